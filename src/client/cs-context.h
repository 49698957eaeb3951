/* cs-context.h: the services of one server connection, in one object.
 *
 * The API client, the session (keyring), the cache, the live client and
 * the sync engine for a server URL.  The cache lives in
 * DATA_DIR/servers/<server-key>/cache.db (a folder per server, so that the
 * outbox of one server is never sent to another).  Widgets get it from the
 * application and never build services themselves.
 */
#pragma once

#include "cs-api-client.h"
#include "cs-cache.h"
#include "cs-live-client.h"
#include "cs-session.h"
#include "cs-sync-engine.h"
#include "cs-campaign-list.h"
#include "cs-pledge-list.h"

G_BEGIN_DECLS

#define CS_TYPE_CONTEXT (cs_context_get_type ())
G_DECLARE_FINAL_TYPE (CsContext, cs_context, CS, CONTEXT, GObject)

/* @data_dir: e.g. g_get_user_data_dir()/crowdspark.  @use_keyring FALSE: no
 * Secret Service at all (the account lasts for the run). */
CsContext    *cs_context_new          (const char *server_url, const char *data_dir,
                                       gboolean use_keyring, GError **error);
const char   *cs_context_get_server_url (CsContext *self);
CsApiClient  *cs_context_get_api      (CsContext *self);
CsSession    *cs_context_get_session  (CsContext *self);
CsCache      *cs_context_get_cache    (CsContext *self);
CsLiveClient *cs_context_get_live     (CsContext *self);
CsSyncEngine       *cs_context_get_sync_engine     (CsContext *self);

/* Restores the saved account, then starts syncing.  Completes when the
 * account is known (TRUE: signed in), before the first pass ends. */
void          cs_context_start_async  (CsContext *self, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_context_start_finish (CsContext *self, GAsyncResult *result, GError **error);

G_END_DECLS
