/* cs-sync-engine.h: keeps the cache fresh and sends the outbox.
 *
 * A pass (refresh) sends what waits in the outbox (oldest first, each with
 * its own idempotency key, so a write interrupted by a crash or a lost
 * answer is repeated and never done twice), then pulls GET /sync?since= pages
 * into the cache (tombstones delete), then the signed-in user's pledges.
 * Passes run at start, when the live connection comes back, after a write is
 * queued, and every five minutes.  Live events update the cache at once.
 *
 * Properties (notify on the main context):
 *   online         the server answered the last request (FALSE after a network failure)
 *   synchronizing  a pass is running
 *   last-error     the last pass's error message (a server problem), or NULL
 * Signals:
 *   pledge-changed (const char *pledge_id, const char *status, const char *failure_reason)
 *      a pledge of the user changed state (from the live connection or a pass)
 *   campaign-progress (const char *campaign_id, gint64 current_amount, gint64 backer_count,
 *      const char *status): a live progress event (also written to the cache)
 */
#pragma once

#include "cs-api-client.h"
#include "cs-cache.h"
#include "cs-live-client.h"
#include "cs-session.h"

G_BEGIN_DECLS

#define CS_TYPE_SYNC_ENGINE (cs_sync_engine_get_type ())
G_DECLARE_FINAL_TYPE (CsSyncEngine, cs_sync_engine, CS, SYNC_ENGINE, GObject)

CsSyncEngine      *cs_sync_engine_new                 (CsApiClient *api, CsSession *session, CsCache *cache,
                                          CsLiveClient *live);
/* Starts the periodic passes and the live connection; runs a pass now. */
void         cs_sync_engine_start               (CsSyncEngine *self);
void         cs_sync_engine_stop                (CsSyncEngine *self);
gboolean     cs_sync_engine_get_online          (CsSyncEngine *self);
gboolean     cs_sync_engine_get_synchronizing   (CsSyncEngine *self);
const char  *cs_sync_engine_get_last_error      (CsSyncEngine *self);

/* One pass now (joins a running one); also works before start (no live
 * connection, no periodic passes then). */
void         cs_sync_engine_refresh_async       (CsSyncEngine *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean     cs_sync_engine_refresh_finish      (CsSyncEngine *self, GAsyncResult *result, GError **error);

/* Live progress for a campaign page that is open (counted). */
void         cs_sync_engine_watch_campaign      (CsSyncEngine *self, const char *campaign_id);
void         cs_sync_engine_unwatch_campaign    (CsSyncEngine *self, const char *campaign_id);

/* Fetches one campaign from the server into the cache (a campaign page opened). */
void         cs_sync_engine_fetch_campaign_async  (CsSyncEngine *self, const char *campaign_id,
                                            GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
CsCampaign  *cs_sync_engine_fetch_campaign_finish (CsSyncEngine *self, GAsyncResult *result, GError **error);

/* Makes a pledge: online only (the payment needs the gateway).  The result
 * (usually "pending", then "pledge-changed" when the gateway answers) is
 * stored in the cache.  @idempotency_key: one per attempt the person makes, so
 * a repeated click or a retry after a lost answer is one pledge. */
void         cs_sync_engine_create_pledge_async  (CsSyncEngine *self, const char *campaign_id, gint64 amount,
                                           const char *reward_tier_id, const char *payment_method,
                                           const char *idempotency_key, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
CsPledge    *cs_sync_engine_create_pledge_finish (CsSyncEngine *self, GAsyncResult *result, GError **error);
/* Queues a change (new amount; @reward_tier_id NULL keeps the tier, "" drops
 * it) or a cancellation in the outbox and starts sending it.  Completes when
 * it is stored (offline too); the outcome arrives as "pledge-changed", or as
 * a failed outbox item. */
void         cs_sync_engine_change_pledge_async  (CsSyncEngine *self, const char *pledge_id, gint64 amount,
                                           const char *reward_tier_id, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean     cs_sync_engine_change_pledge_finish (CsSyncEngine *self, GAsyncResult *result, GError **error);
void         cs_sync_engine_cancel_pledge_async  (CsSyncEngine *self, const char *pledge_id, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean     cs_sync_engine_cancel_pledge_finish (CsSyncEngine *self, GAsyncResult *result, GError **error);

G_END_DECLS
