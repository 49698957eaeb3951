/* cs-live.h: live events over WebSocket (GET /api/v1/live, api.md "Live").
 *
 * The hub keeps each loop thread's WebSocket subscribers per campaign.
 * Publishing is thread-safe and never blocks: it may be called from any
 * thread after a commit.  Progress events of one campaign are coalesced to
 * at most 5 per second, and the last state always arrives.  A subscriber
 * whose connection cannot keep up (its kernel send queue stays full) or is
 * dead is dropped, never waited for.
 */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>
#include "cs-store.h"

G_BEGIN_DECLS

typedef struct _CsLive CsLive;

CsLive  *cs_live_new               (void);
void     cs_live_free              (CsLive *live);

/* Sends {"type": "campaign.progress", "campaign_id", "current_amount",
 * "backer_count", "goal_amount", "currency", "status"} to the campaign's
 * subscribers (coalesced). */
void     cs_live_publish_progress  (CsLive *live, const CsCampaignProgress *progress);
/* Sends @json (a complete JSON object text, e.g. {"type": "update.posted",
 * ...}) to @campaign_id's subscribers, or, with @user_id, only to that
 * user's connections (authenticated subscribers; @campaign_id may then be
 * NULL). */
void     cs_live_publish_json      (CsLive *live, const char *campaign_id, const char *user_id,
                                    const char *json);
/* Publishes every event through Redis pub/sub (cs-redis.h) so that every
 * server instance's subscribers hear it, this one's included (they then get
 * it from Redis, exactly once).  @url is redis://HOST:PORT[/DB].  Before the
 * loops attach.  A Redis that is not there (yet) is no error: the link keeps
 * reconnecting and events reach this instance's subscribers meanwhile.
 * Fails on a bad URL, or when the server was built without hiredis. */
gboolean cs_live_use_redis         (CsLive *live, const char *url, GError **error);
/* 1 while the Redis link is up (both its connections), else 0 (metrics). */
guint    cs_live_redis_connected   (CsLive *live);
/* Number of open subscriber connections (metrics, tests). */
guint    cs_live_n_connections     (CsLive *live);
/* The keepalive ping interval of new connections (default 30 s); a peer
 * silent for two and a half intervals is dropped, and signed-in sockets
 * have their session looked up every two intervals.  For tests. */
void     cs_live_set_keepalive     (CsLive *live, guint seconds);

/* ---- For cs-server.c: one CsLiveLoop per event-loop thread ----------------
 * Each loop keeps its own subscribers and sends to them itself; publishers
 * only hand events over (under a short lock) and wake the loop up. */
typedef struct _CsLiveLoop CsLiveLoop;
struct _CsServerContext;

typedef void (*CsLiveUpgradedFunc) (GSocket *socket, gpointer user_data);

/* On the loop thread, before it listens: serves GET /api/v1/live on @soup.
 * Bearer tokens are checked inline on @conn, the loop's connection, when the
 * store is inline (SQLite); otherwise (PostgreSQL) on the hub's own worker
 * threads and connections, the upgrade paused meanwhile: the loop never
 * waits on the database.
 * @upgraded (may be NULL) hears of each connection that became a WebSocket:
 * libsoup no longer serves HTTP on it. */
CsLiveLoop *cs_live_attach_loop    (CsLive *live, SoupServer *soup, struct _CsServerContext *ctx,
                                    CsStoreConn *conn, CsLiveUpgradedFunc upgraded, gpointer user_data);
/* On the loop thread once its main loop has stopped, before the SoupServer
 * goes: closes the loop's WebSockets (1001) and forgets them.  The thread
 * must iterate its context afterwards so that the closes complete. */
void        cs_live_detach_loop    (CsLiveLoop *loop);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsLive, cs_live_free)

G_END_DECLS
