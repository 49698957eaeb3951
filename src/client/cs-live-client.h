/* cs-live-client.h: the live WebSocket (GET /api/v1/live) for the campaigns
 * the app is watching.
 *
 * Subscriptions are counted (watch twice, unwatch twice) and re-sent after
 * every reconnect.  The connection carries the bearer token when signed in
 * (so that the user's own events, such as "pledge.updated", arrive) and is
 * reopened when the tokens change.  A lost connection is retried with
 * backoff: 0.5 s doubling to 30 s, back to 0.5 s after a success.
 *
 * Properties: connected (bool).  Signal "event" (const char *type,
 * JsonObject *event) for every frame the server pushes, on the main context.
 */
#pragma once

#include "cs-api-client.h"

G_BEGIN_DECLS

#define CS_TYPE_LIVE_CLIENT (cs_live_client_get_type ())
G_DECLARE_FINAL_TYPE (CsLiveClient, cs_live_client, CS, LIVE_CLIENT, GObject)

CsLiveClient *cs_live_client_new           (CsApiClient *api);
/* Starts connecting (and keeps the connection up) until stop. */
void          cs_live_client_start         (CsLiveClient *self);
void          cs_live_client_stop          (CsLiveClient *self);
gboolean      cs_live_client_get_connected (CsLiveClient *self);
/* Reconnects now (e.g. when the network came back), resetting the backoff. */
void          cs_live_client_reconnect     (CsLiveClient *self);
void          cs_live_client_watch         (CsLiveClient *self, const char *campaign_id);
void          cs_live_client_unwatch       (CsLiveClient *self, const char *campaign_id);

G_END_DECLS
