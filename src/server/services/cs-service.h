/* cs-service.h: what every service call gets: the caller, the clock, the
 * store connection and the settings.  Services know no HTTP. */
#pragma once

#include <glib.h>
#include "crowdspark-core.h"
#include "cs-config.h"
#include "cs-store.h"

G_BEGIN_DECLS

typedef struct {
  CsStoreConn          *conn;
  const CsServerConfig *config;
  gint64                now;
  const char           *user_id;      /* NULL: anonymous */
  CsRole                role;
  const char           *session_id;   /* NULL: anonymous */
  const char           *remote_addr;  /* for rate limits */
} CsCall;

static inline gboolean
cs_call_is_staff (const CsCall *call)
{
  return call->user_id != NULL && cs_role_is_staff (call->role);
}

G_END_DECLS
