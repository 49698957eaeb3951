/* cs-gateway-private.h: what a payment gateway implements.  Only gateway/
 * includes this header. */
#pragma once

#include "cs-gateway.h"

G_BEGIN_DECLS

typedef struct {
  const char *name;
  /* Same contract as cs_gateway_execute(); called from several threads. */
  gboolean  (*execute) (CsGateway *gw, CsStoreConn *conn, const CsPaymentJob *job, gint64 now,
                        char **gateway_ref_out, GError **error);
  /* Frees the backend's data and the struct itself. */
  void      (*free)    (CsGateway *gw);
} CsGatewayBackend;

/* A backend's struct starts with this. */
struct _CsGateway {
  const CsGatewayBackend *backend;
  CsStore                *store;    /* borrowed: outlives the gateway */
};

G_END_DECLS
