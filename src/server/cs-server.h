/* cs-server.h: the running server: event-loop threads sharing one port, a
 * worker pool for slow requests, and the context the routes see. */
#pragma once

#include <glib.h>
#include "cs-config.h"
#include "cs-router.h"
#include "cs-metrics.h"
#include "cs-store.h"

G_BEGIN_DECLS

struct _CsServerContext {
  CsServerConfig *config;
  CsStore        *store;
  CsRouter       *router;
  CsMetrics      *metrics;
  gint64          started_at;
  volatile gint64 clock_offset;   /* seconds added to wall-clock time (sandbox test clock) */
  struct _CsGateway *gateway;     /* the payment gateway, NULL when none is configured */
  struct _CsJobs    *jobs;        /* background jobs: payments, webhooks, settlement */
  struct _CsLive    *live;        /* WebSocket subscribers of GET /api/v1/live (cs-live.h) */
  char              *webhook_secret;  /* effective secret (config or random) */
};

/* now, as the server sees it */
gint64 cs_server_context_now (CsServerContext *ctx);

typedef struct _CsServer CsServer;

/* Opens the store (migrating it), builds the routes; does not listen yet. */
CsServer        *cs_server_new        (CsServerConfig *config, GError **error);
/* Binds and starts the event-loop threads.  Returns once listening. */
gboolean         cs_server_start      (CsServer *server, GError **error);
/* "http://127.0.0.1:PORT" once started */
const char      *cs_server_get_url    (CsServer *server);
guint            cs_server_get_port   (CsServer *server);
CsServerContext *cs_server_get_context (CsServer *server);
/* Graceful stop: stops accepting, lets in-flight requests finish (up to
 * @grace_ms), then stops the threads.  Idempotent. */
void             cs_server_stop       (CsServer *server, guint grace_ms);
void             cs_server_free       (CsServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsServer, cs_server_free)

G_END_DECLS
