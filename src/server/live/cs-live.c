/* cs-live.c: live events over WebSocket (see cs-live.h).
 *
 * Threads.  Every event-loop thread has a CsLiveLoop holding the WebSockets
 * that thread accepted; only that thread touches them (a libsoup object
 * belongs to one context).  A publisher, on any thread, takes the hub's lock,
 * appends the event to the inbox of each loop that has subscribers for it
 * (each loop mirrors its subscribed campaign and user ids under the same
 * lock) and wakes that loop with g_source_set_ready_time (); it never waits
 * on a socket.  A progress event still in an inbox is replaced in place by a
 * newer state of the same campaign.
 *
 * Coalescing.  A loop sends a campaign's progress at most once per
 * PROGRESS_INTERVAL_MS; a newer state inside that window waits (only the
 * latest is kept) and goes out when the window ends, so the last state
 * always arrives.
 *
 * Slow and dead subscribers.  libsoup 3.2 queues outgoing frames without
 * bound and cannot say how much it holds.  So we count the bytes we hand it
 * (frame headers included) and compare them with what the peer's TCP has
 * acknowledged (TCP_INFO tcpi_bytes_acked): the difference is what waits in
 * libsoup's queue and the kernel's send buffer.  Past MAX_BACKLOG the
 * subscriber is dropped: taken out of every set at once, its socket shut
 * down with SO_LINGER 0 (the queued data is discarded, a RST goes out), and
 * libsoup, seeing the end of the stream, closes and says "closed".  A peer
 * that stops answering our keepalive pings is dropped the same way.
 *
 * Authentication happens at the upgrade (a normal handler on the same path
 * runs before libsoup's handshake and may refuse it with 401).  The session
 * is checked again every two keepalive intervals: once it is revoked, or its
 * access token expired or was rotated by a refresh, the socket is closed
 * with 1008 and the client reconnects with its new token.  On SQLite these
 * lookups run inline on the loop's connection (microseconds); on PostgreSQL
 * (cs_store_is_inline () is FALSE) the loop never waits on the database: the
 * early handler pauses the upgrade and a worker of the hub's small pool
 * looks the token up on its own connection, and the periodic checks go to
 * the same pool; the answers come back to the loop.
 *
 * Several instances.  With Redis (cs_live_use_redis ()) a publication does
 * not go to the loops directly: it goes to Redis (cs-redis.c), and what
 * Redis relays, this instance's own publications included, is delivered to
 * the loops as above, exactly once.  While the link is down, publications
 * are delivered here directly (and only here).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <linux/tcp.h>     /* glibc's netinet/tcp.h lacks tcpi_bytes_acked */

#include "cs-live.h"
#include "cs-server.h"
#include "cs-http.h"
#include "cs-auth-service.h"
#ifdef HAVE_REDIS
#include "cs-redis.h"
#endif

#define LIVE_PATH               "/api/v1/live"
#define MAX_IDS_PER_MESSAGE     100
#define MAX_SUBSCRIPTIONS       1000          /* per connection */
#define MAX_INCOMING_BYTES      16384         /* a subscribe of 100 long ids fits */
#define PROGRESS_INTERVAL_MS    200           /* ≤ 5 progress events per second per campaign */
#define KEEPALIVE_SECONDS       30            /* ping interval; silent 2.5 intervals = dead */
#define MAX_BACKLOG             (1024 * 1024) /* unacknowledged bytes before a subscriber is dropped */
#define BACKLOG_CHECK_BYTES     (64 * 1024)   /* below this estimate, TCP_INFO is not asked */
#define MAX_INBOX               100000        /* events waiting for one loop */

#define AUTH_DATA_KEY           "cs-live-auth"
#define CHECKED_DATA_KEY        "cs-live-checked"   /* the early handler checked the upgrade (off the loop) */
#define AUTH_THREADS            4                   /* PostgreSQL: workers (and connections) for token lookups */

typedef enum {
  EVENT_PROGRESS,
  EVENT_CAMPAIGN_JSON,
  EVENT_USER_JSON,
} EventKind;

typedef struct {
  EventKind          kind;
  char              *key;        /* campaign id, or user id for EVENT_USER_JSON */
  CsCampaignProgress progress;
  GBytes            *json;
} LiveEvent;

struct _CsLive {
  GMutex     lock;
  GPtrArray *loops;              /* CsLiveLoop* */
  gint       n_connections;      /* atomic */
  gint       keepalive;          /* atomic: ping interval in seconds */
  gboolean   inbox_warned;
#ifdef HAVE_REDIS
  CsRedis   *redis;              /* set before the loops attach; NULL: this instance only */
#endif
  /* PostgreSQL: token lookups off the loops (created by the first loop) */
  CsStore     *store;
  GThreadPool *auth_pool;
  GAsyncQueue *auth_conns;       /* idle CsStoreConn* of the pool's workers */
};

typedef struct _Subscriber Subscriber;

struct _CsLiveLoop {
  CsLive            *live;
  CsServerContext   *ctx;
  CsStoreConn       *conn;
  SoupServer        *soup;
  GMainContext      *context;
  GSource           *wakeup;
  GSource           *sweep;
  CsLiveUpgradedFunc upgraded;
  gpointer           upgraded_data;
  gboolean           offload;        /* token lookups go to live->auth_pool */
  guint              jobs_in_flight; /* loop thread only: lookups whose answer has not come back */
  gboolean           detaching;

  /* under live->lock */
  GQueue             inbox;          /* LiveEvent* */
  GHashTable        *inbox_progress; /* campaign id → its EVENT_PROGRESS in inbox (not owned) */
  GHashTable        *campaign_ids;   /* ids with a subscriber here (mirror of by_campaign) */
  GHashTable        *user_ids;       /* ids with a connection here (mirror of by_user) */

  /* loop thread only */
  GHashTable        *subscribers;    /* Subscriber* (owned) */
  GHashTable        *by_campaign;    /* campaign id → GHashTable set of Subscriber* */
  GHashTable        *by_user;        /* user id → GHashTable set of Subscriber* */
  GHashTable        *rates;          /* campaign id → Rate* */
};

struct _Subscriber {
  CsLiveLoop              *loop;
  SoupWebsocketConnection *conn;
  GSocket                 *socket;      /* NULL when libsoup did not tell */
  gboolean                 measurable;  /* TCP_INFO works on it: the backlog can be watched */
  char                    *user_id;     /* NULL: anonymous */
  char                    *token_hash;  /* SHA-256 of the access token, to re-check the session */
  GHashTable              *campaigns;   /* subscribed ids (owned) */
  guint64                  queued;      /* bytes written to the socket since it opened, ours and libsoup's queue */
  guint64                  acked;       /* the peer's acknowledged bytes, last time we asked */
  gint64                   last_seen;   /* monotonic µs of the last frame or pong */
  gint64                   checked_at;  /* monotonic µs of the last session check */
  gboolean                 forgotten;   /* out of every set: nothing more is sent */
};

typedef struct {
  CsLiveLoop        *loop;
  char              *campaign_id;
  GSource           *timer;
  gboolean           has_pending;
  CsCampaignProgress pending;
} Rate;

typedef struct {
  char *user_id;
  char *token_hash;
} LiveAuth;

/* ---- events ------------------------------------------------------------------ */

static void
live_event_free (LiveEvent *event)
{
  g_free (event->key);
  g_clear_pointer (&event->json, g_bytes_unref);
  g_free (event);
}

static void
live_auth_free (LiveAuth *auth)
{
  g_free (auth->user_id);
  g_free (auth->token_hash);
  g_free (auth);
}

static GBytes *
progress_to_json (const CsCampaignProgress *p)
{
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "type", "campaign.progress");
  cs_json_writer_member_string (w, "campaign_id", p->campaign_id);
  cs_json_writer_member_int (w, "current_amount", p->current_amount);
  cs_json_writer_member_int (w, "backer_count", p->backer_count);
  cs_json_writer_member_int (w, "goal_amount", p->goal_amount);
  cs_json_writer_member_string (w, "currency", p->currency);
  cs_json_writer_member_string (w, "status", cs_campaign_status_to_string (p->status));
  cs_json_writer_end_object (w);
  return cs_json_writer_free_to_bytes (g_steal_pointer (&w));
}

/* ---- the hub ------------------------------------------------------------------ */

CsLive *
cs_live_new (void)
{
  CsLive *live = g_new0 (CsLive, 1);

  g_mutex_init (&live->lock);
  live->loops = g_ptr_array_new ();
  live->keepalive = KEEPALIVE_SECONDS;
  return live;
}

void
cs_live_set_keepalive (CsLive *live, guint seconds)
{
  g_return_if_fail (live != NULL);
  g_return_if_fail (seconds > 0);

  g_atomic_int_set (&live->keepalive, (gint) seconds);
  /* Each loop's sweep runs now and takes up the new pace. */
  g_mutex_lock (&live->lock);
  for (guint i = 0; i < live->loops->len; i++)
    g_source_set_ready_time (((CsLiveLoop *) g_ptr_array_index (live->loops, i))->sweep, 0);
  g_mutex_unlock (&live->lock);
}

void
cs_live_free (CsLive *live)
{
  if (live == NULL)
    return;
#ifdef HAVE_REDIS
  /* Publishers (routes, jobs) have stopped: the link can go. */
  g_clear_pointer (&live->redis, cs_redis_free);
#endif
  /* Every loop detaches before the server frees the hub (and waits for its lookups). */
  g_warn_if_fail (live->loops->len == 0);
  if (live->auth_pool != NULL)
    g_thread_pool_free (live->auth_pool, FALSE, TRUE);
  g_clear_pointer (&live->auth_conns, g_async_queue_unref);
  g_ptr_array_unref (live->loops);
  g_mutex_clear (&live->lock);
  g_free (live);
}

guint
cs_live_n_connections (CsLive *live)
{
  g_return_val_if_fail (live != NULL, 0);
  return (guint) g_atomic_int_get (&live->n_connections);
}

/* Called with live->lock held. */
static gboolean
inbox_has_room (CsLive *live, CsLiveLoop *loop)
{
  if (loop->inbox.length < MAX_INBOX)
    return TRUE;
  if (!live->inbox_warned)
    g_warning ("A live event loop is %u events behind: dropping events", loop->inbox.length);
  live->inbox_warned = TRUE;
  return FALSE;
}

/* Hands a progress state to the loops with subscribers for it. */
static void
deliver_progress (CsLive *live, const CsCampaignProgress *progress)
{
  g_mutex_lock (&live->lock);
  for (guint i = 0; i < live->loops->len; i++)
    {
      CsLiveLoop *loop = g_ptr_array_index (live->loops, i);
      LiveEvent *event;

      if (!g_hash_table_contains (loop->campaign_ids, progress->campaign_id))
        continue;
      /* A state the loop has not taken yet is stale: replace it in place. */
      event = g_hash_table_lookup (loop->inbox_progress, progress->campaign_id);
      if (event != NULL)
        {
          event->progress = *progress;
          continue;
        }
      if (!inbox_has_room (live, loop))
        continue;
      event = g_new0 (LiveEvent, 1);
      event->kind = EVENT_PROGRESS;
      event->key = g_strdup (progress->campaign_id);
      event->progress = *progress;
      g_queue_push_tail (&loop->inbox, event);
      g_hash_table_insert (loop->inbox_progress, event->key, event);
      g_source_set_ready_time (loop->wakeup, 0);
    }
  g_mutex_unlock (&live->lock);
}

/* Hands a JSON event to the loops with subscribers for @key. */
static void
deliver_json (CsLive *live, EventKind kind, const char *key, GBytes *bytes)
{
  g_mutex_lock (&live->lock);
  for (guint i = 0; i < live->loops->len; i++)
    {
      CsLiveLoop *loop = g_ptr_array_index (live->loops, i);
      LiveEvent *event;

      if (!g_hash_table_contains (kind == EVENT_USER_JSON ? loop->user_ids : loop->campaign_ids, key))
        continue;
      if (!inbox_has_room (live, loop))
        continue;
      event = g_new0 (LiveEvent, 1);
      event->kind = kind;
      event->key = g_strdup (key);
      event->json = g_bytes_ref (bytes);
      g_queue_push_tail (&loop->inbox, event);
      g_source_set_ready_time (loop->wakeup, 0);
    }
  g_mutex_unlock (&live->lock);
}

#ifdef HAVE_REDIS
/* ---- events through Redis (cs-redis.h) ------------------------------------------ */

/* On the wire, inside the link's envelope:
 *   {"kind": "progress", "campaign_id", "current_amount", "backer_count",
 *    "goal_amount", "currency", "status"}
 *   {"kind": "campaign" | "user", "key": id, "json": "<the event's text>"} */
static GBytes *
live_event_encode (gpointer data)
{
  LiveEvent *event = data;
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  if (event->kind == EVENT_PROGRESS)
    {
      const CsCampaignProgress *p = &event->progress;

      cs_json_writer_member_string (w, "kind", "progress");
      cs_json_writer_member_string (w, "campaign_id", p->campaign_id);
      cs_json_writer_member_int (w, "current_amount", p->current_amount);
      cs_json_writer_member_int (w, "backer_count", p->backer_count);
      cs_json_writer_member_int (w, "goal_amount", p->goal_amount);
      cs_json_writer_member_string (w, "currency", p->currency);
      cs_json_writer_member_string (w, "status", cs_campaign_status_to_string (p->status));
    }
  else
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (event->json, NULL), g_bytes_get_size (event->json));

      cs_json_writer_member_string (w, "kind", event->kind == EVENT_USER_JSON ? "user" : "campaign");
      cs_json_writer_member_string (w, "key", event->key);
      cs_json_writer_member_string (w, "json", text);
    }
  cs_json_writer_end_object (w);
  return cs_json_writer_free_to_bytes (w);
}

static gboolean
read_int_member (JsonObject *obj, const char *name, gint64 *out)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static const char *
read_string_member (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Another instance's event; NULL unless it is one we could have sent. */
static gpointer
live_event_decode (JsonObject *obj)
{
  const char *kind = read_string_member (obj, "kind");
  LiveEvent *event = g_new0 (LiveEvent, 1);

  if (g_strcmp0 (kind, "progress") == 0)
    {
      CsCampaignProgress *p = &event->progress;
      const char *id = read_string_member (obj, "campaign_id");
      const char *currency = read_string_member (obj, "currency");

      event->kind = EVENT_PROGRESS;
      if (!cs_id_is_valid (id) || strlen (id) >= sizeof p->campaign_id ||
          currency == NULL || strlen (currency) >= sizeof p->currency ||
          !read_int_member (obj, "current_amount", &p->current_amount) ||
          !read_int_member (obj, "backer_count", &p->backer_count) ||
          !read_int_member (obj, "goal_amount", &p->goal_amount) ||
          !cs_campaign_status_from_string (read_string_member (obj, "status"), &p->status))
        goto bad;
      g_strlcpy (p->campaign_id, id, sizeof p->campaign_id);
      g_strlcpy (p->currency, currency, sizeof p->currency);
      event->key = g_strdup (id);
    }
  else if (g_strcmp0 (kind, "campaign") == 0 || g_strcmp0 (kind, "user") == 0)
    {
      const char *key = read_string_member (obj, "key");
      const char *json = read_string_member (obj, "json");

      event->kind = kind[0] == 'u' ? EVENT_USER_JSON : EVENT_CAMPAIGN_JSON;
      if (key == NULL || key[0] == '\0' || json == NULL || json[0] != '{')
        goto bad;
      event->key = g_strdup (key);
      event->json = g_bytes_new (json, strlen (json));
    }
  else
    goto bad;
  return event;

bad:
  live_event_free (event);
  return NULL;
}

static void
live_event_destroy (gpointer data)
{
  live_event_free (data);
}

static void
live_event_deliver (gpointer data, gpointer user_data)
{
  LiveEvent *event = data;

  if (event->kind == EVENT_PROGRESS)
    deliver_progress (user_data, &event->progress);
  else
    deliver_json (user_data, event->kind, event->key, event->json);
}
#endif

gboolean
cs_live_use_redis (CsLive *live, const char *url, GError **error)
{
  g_return_val_if_fail (live != NULL, FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

#ifdef HAVE_REDIS
  {
    static const CsRedisEventFuncs funcs = {
      live_event_encode, live_event_decode, live_event_deliver, live_event_destroy,
    };

    g_return_val_if_fail (live->redis == NULL, FALSE);
    g_return_val_if_fail (live->loops->len == 0, FALSE);
    live->redis = cs_redis_new (url, &funcs, live, error);
    return live->redis != NULL;
  }
#else
  g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
               "This crowdspark-server was built without Redis support (hiredis): it cannot use %s", url);
  return FALSE;
#endif
}

guint
cs_live_redis_connected (CsLive *live)
{
  g_return_val_if_fail (live != NULL, 0);
#ifdef HAVE_REDIS
  return live->redis != NULL && cs_redis_is_connected (live->redis) ? 1 : 0;
#else
  return 0;
#endif
}

void
cs_live_publish_progress (CsLive *live, const CsCampaignProgress *progress)
{
  g_return_if_fail (live != NULL);
  g_return_if_fail (progress != NULL);

  if (progress->campaign_id[0] == '\0')
    return;
#ifdef HAVE_REDIS
  if (live->redis != NULL)
    {
      LiveEvent *event = g_new0 (LiveEvent, 1);

      event->kind = EVENT_PROGRESS;
      event->key = g_strdup (progress->campaign_id);
      event->progress = *progress;
      cs_redis_publish (live->redis, event, progress->campaign_id);   /* a newer state replaces a queued one */
      return;
    }
#endif
  deliver_progress (live, progress);
}

void
cs_live_publish_json (CsLive *live, const char *campaign_id, const char *user_id, const char *json)
{
  g_autoptr(GBytes) bytes = NULL;
  EventKind kind = user_id != NULL ? EVENT_USER_JSON : EVENT_CAMPAIGN_JSON;
  const char *key = user_id != NULL ? user_id : campaign_id;

  g_return_if_fail (live != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (json != NULL && json[0] == '{');

  bytes = g_bytes_new (json, strlen (json));
#ifdef HAVE_REDIS
  if (live->redis != NULL)
    {
      LiveEvent *event = g_new0 (LiveEvent, 1);

      event->kind = kind;
      event->key = g_strdup (key);
      event->json = g_steal_pointer (&bytes);
      cs_redis_publish (live->redis, event, NULL);
      return;
    }
#endif
  deliver_json (live, kind, key, bytes);
}

/* ---- sending ----------------------------------------------------------------- */

/* What a server frame of @len payload bytes takes on the wire (RFC 6455 §5.2). */
static guint64
frame_size (gsize len)
{
  return len + (len < 126 ? 2 : len < 65536 ? 4 : 10);
}

static gboolean
subscriber_socket_usable (Subscriber *sub)
{
  /* Once libsoup starts closing, the descriptor may be closed and reused. */
  return sub->socket != NULL && !g_socket_is_closed (sub->socket) &&
         soup_websocket_connection_get_state (sub->conn) == SOUP_WEBSOCKET_STATE_OPEN;
}

static gboolean
subscriber_refresh_acked (Subscriber *sub)
{
  struct tcp_info info;
  socklen_t len = sizeof info;

  memset (&info, 0, sizeof info);
  if (!subscriber_socket_usable (sub) ||
      getsockopt (g_socket_get_fd (sub->socket), IPPROTO_TCP, TCP_INFO, &info, &len) < 0 ||
      len < offsetof (struct tcp_info, tcpi_bytes_acked) + sizeof info.tcpi_bytes_acked)
    return FALSE;
  sub->acked = info.tcpi_bytes_acked;
  /* libsoup's own frames (pongs, pings) are acknowledged but not counted by us. */
  if (sub->acked > sub->queued)
    sub->queued = sub->acked;
  return TRUE;
}

/* Whether @extra more bytes would leave the subscriber within MAX_BACKLOG. */
static gboolean
subscriber_keeps_up (Subscriber *sub, guint64 extra)
{
  if (!sub->measurable)
    return TRUE;   /* nothing to measure with: keepalive still finds dead peers */
  if (sub->queued + extra - sub->acked <= BACKLOG_CHECK_BYTES)
    return TRUE;
  subscriber_refresh_acked (sub);
  return sub->queued + extra - sub->acked <= MAX_BACKLOG;
}

/* FALSE when the subscriber cannot keep up: the caller drops it. */
static gboolean
subscriber_send (Subscriber *sub, GBytes *payload)
{
  guint64 size = frame_size (g_bytes_get_size (payload));

  if (sub->forgotten || soup_websocket_connection_get_state (sub->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return TRUE;
  if (!subscriber_keeps_up (sub, size))
    return FALSE;
  soup_websocket_connection_send_message (sub->conn, SOUP_WEBSOCKET_DATA_TEXT, payload);
  sub->queued += size;
  return TRUE;
}

static void subscriber_abort (Subscriber *sub);

static void
broadcast (CsLiveLoop *loop, GHashTable *set, GBytes *payload)
{
  g_autoptr(GPtrArray) slow = NULL;
  GHashTableIter iter;
  gpointer key;

  if (set == NULL)
    return;
  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!subscriber_send (key, payload))
      {
        if (slow == NULL)
          slow = g_ptr_array_new ();
        g_ptr_array_add (slow, key);
      }
  /* Dropping changes the sets: after the walk. */
  for (guint i = 0; slow != NULL && i < slow->len; i++)
    {
      g_message ("Dropping a live subscriber that does not keep up (over %d bytes unacknowledged)", MAX_BACKLOG);
      subscriber_abort (g_ptr_array_index (slow, i));
    }
}

static void
send_progress (CsLiveLoop *loop, const CsCampaignProgress *progress)
{
  GHashTable *set = g_hash_table_lookup (loop->by_campaign, progress->campaign_id);
  g_autoptr(GBytes) payload = NULL;

  if (set == NULL)
    return;
  payload = progress_to_json (progress);
  broadcast (loop, set, payload);
}

static void
send_object (Subscriber *sub, CsJsonWriter *w)
{
  g_autoptr(GBytes) payload = cs_json_writer_free_to_bytes (w);

  if (!subscriber_send (sub, payload))
    subscriber_abort (sub);
}

static void
send_error (Subscriber *sub, const char *detail, GHashTable *fields)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "type", "error");
  cs_json_writer_member_string (w, "detail", detail);
  if (fields != NULL && g_hash_table_size (fields) > 0)
    {
      g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (fields), (GCompareFunc) strcmp);

      cs_json_writer_key (w, "errors");
      cs_json_writer_begin_object (w);
      for (GList *l = keys; l != NULL; l = l->next)
        cs_json_writer_member_string (w, l->data, g_hash_table_lookup (fields, l->data));
      cs_json_writer_end_object (w);
    }
  cs_json_writer_end_object (w);
  send_object (sub, w);
}

/* ---- coalescing --------------------------------------------------------------- */

static void
rate_free (Rate *rate)
{
  if (rate->timer != NULL)
    {
      g_source_destroy (rate->timer);
      g_source_unref (rate->timer);
    }
  g_free (rate->campaign_id);
  g_free (rate);
}

static gboolean
rate_timer_cb (gpointer data)
{
  Rate *rate = data;

  if (rate->has_pending)
    {
      rate->has_pending = FALSE;
      send_progress (rate->loop, &rate->pending);
      return G_SOURCE_CONTINUE;   /* the next window starts now */
    }
  /* A quiet window: the next state may go out at once. */
  g_clear_pointer (&rate->timer, g_source_unref);
  g_hash_table_remove (rate->loop->rates, rate->campaign_id);
  return G_SOURCE_REMOVE;
}

static void
handle_progress (CsLiveLoop *loop, const CsCampaignProgress *progress)
{
  Rate *rate = g_hash_table_lookup (loop->rates, progress->campaign_id);

  if (rate != NULL)
    {
      rate->pending = *progress;
      rate->has_pending = TRUE;
      return;
    }
  send_progress (loop, progress);
  rate = g_new0 (Rate, 1);
  rate->loop = loop;
  rate->campaign_id = g_strdup (progress->campaign_id);
  rate->timer = g_timeout_source_new (PROGRESS_INTERVAL_MS);
  g_source_set_callback (rate->timer, rate_timer_cb, rate, NULL);
  g_source_attach (rate->timer, loop->context);
  g_hash_table_insert (loop->rates, rate->campaign_id, rate);
}

/* The wakeup and sweep sources: ready when their ready time comes (0: now,
 * set from any thread). */
static gboolean
wakeup_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  g_source_set_ready_time (source, -1);
  return callback (data);
}

static GSourceFuncs wakeup_funcs = { NULL, NULL, wakeup_dispatch, NULL, NULL, NULL };

static gboolean
drain_inbox_cb (gpointer data)
{
  CsLiveLoop *loop = data;
  CsLive *live = loop->live;
  GQueue events = G_QUEUE_INIT;
  LiveEvent *event;

  g_mutex_lock (&live->lock);
  events = loop->inbox;
  g_queue_init (&loop->inbox);
  g_hash_table_remove_all (loop->inbox_progress);
  g_mutex_unlock (&live->lock);

  while ((event = g_queue_pop_head (&events)) != NULL)
    {
      switch (event->kind)
        {
        case EVENT_PROGRESS:
          handle_progress (loop, &event->progress);
          break;
        case EVENT_CAMPAIGN_JSON:
          broadcast (loop, g_hash_table_lookup (loop->by_campaign, event->key), event->json);
          break;
        case EVENT_USER_JSON:
          broadcast (loop, g_hash_table_lookup (loop->by_user, event->key), event->json);
          break;
        }
      live_event_free (event);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- subscriptions ------------------------------------------------------------ */

/* Adds @sub to the set of @key in @index, mirroring a new key in @mirror. */
static void
index_add (CsLiveLoop *loop, GHashTable *index, GHashTable *mirror, const char *key, Subscriber *sub)
{
  GHashTable *set = g_hash_table_lookup (index, key);

  if (set == NULL)
    {
      set = g_hash_table_new (NULL, NULL);
      g_hash_table_insert (index, g_strdup (key), set);
      g_mutex_lock (&loop->live->lock);
      g_hash_table_add (mirror, g_strdup (key));
      g_mutex_unlock (&loop->live->lock);
    }
  g_hash_table_add (set, sub);
}

static void
index_remove (CsLiveLoop *loop, GHashTable *index, GHashTable *mirror, const char *key, Subscriber *sub)
{
  GHashTable *set = g_hash_table_lookup (index, key);

  if (set == NULL || !g_hash_table_remove (set, sub) || g_hash_table_size (set) > 0)
    return;
  g_mutex_lock (&loop->live->lock);
  g_hash_table_remove (mirror, key);
  g_mutex_unlock (&loop->live->lock);
  g_hash_table_remove (index, key);
}

/* Takes @sub out of every set: nothing more is sent to it. */
static void
subscriber_forget (Subscriber *sub)
{
  CsLiveLoop *loop = sub->loop;
  GHashTableIter iter;
  gpointer key;

  if (sub->forgotten)
    return;
  sub->forgotten = TRUE;
  g_hash_table_iter_init (&iter, sub->campaigns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    index_remove (loop, loop->by_campaign, loop->campaign_ids, key, sub);
  g_hash_table_remove_all (sub->campaigns);
  if (sub->user_id != NULL)
    index_remove (loop, loop->by_user, loop->user_ids, sub->user_id, sub);
  g_atomic_int_add (&loop->live->n_connections, -1);
}

/* For a peer that cannot receive: no close handshake (it would wait behind
 * the backlog), the socket goes now and libsoup reports "closed". */
static void
subscriber_abort (Subscriber *sub)
{
  subscriber_forget (sub);
  if (subscriber_socket_usable (sub))
    {
      struct linger linger = { 1, 0 };
      int fd = g_socket_get_fd (sub->socket);

      setsockopt (fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
      shutdown (fd, SHUT_RDWR);
    }
  else if (soup_websocket_connection_get_state (sub->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (sub->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
}

static void
subscriber_close (Subscriber *sub, gushort code, const char *reason)
{
  subscriber_forget (sub);
  if (soup_websocket_connection_get_state (sub->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (sub->conn, code, reason);
}

static void
subscriber_free (Subscriber *sub)
{
  g_signal_handlers_disconnect_by_data (sub->conn, sub);
  g_object_unref (sub->conn);
  g_clear_object (&sub->socket);
  g_hash_table_unref (sub->campaigns);
  g_free (sub->user_id);
  g_free (sub->token_hash);
  g_free (sub);
}

/* ---- messages from the client --------------------------------------------------- */

/* campaign_ids: an array of 1..MAX_IDS_PER_MESSAGE ids. */
static GPtrArray *
read_campaign_ids (JsonObject *obj, CsValidation *v)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  JsonNode *node = json_object_get_member (obj, "campaign_ids");
  JsonArray *array;
  guint n;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      cs_validation_add (v, "campaign_ids", "is required");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      cs_validation_add (v, "campaign_ids", "must be an array of campaign ids");
      return NULL;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > MAX_IDS_PER_MESSAGE)
    {
      cs_validation_add (v, "campaign_ids", "must hold 1 to %d campaign ids", MAX_IDS_PER_MESSAGE);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      const char *id = JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING
                       ? json_node_get_string (item) : NULL;

      if (!cs_id_is_valid (id))
        {
          g_autofree char *field = g_strdup_printf ("campaign_ids[%u]", i);

          cs_validation_add (v, field, "must be a campaign id (1 to 64 characters of a-z, 0-9, _ and -)");
        }
      else
        g_ptr_array_add (ids, (gpointer) id);
    }
  return cs_validation_has_errors (v) ? NULL : g_steal_pointer (&ids);
}

static void
send_ack (Subscriber *sub, const char *type, GPtrArray *ids)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "type", type);
  cs_json_writer_key (w, "campaign_ids");
  cs_json_writer_begin_array (w);
  for (guint i = 0; i < ids->len; i++)
    cs_json_writer_string (w, g_ptr_array_index (ids, i));
  cs_json_writer_end_array (w);
  cs_json_writer_end_object (w);
  send_object (sub, w);
}

static void
handle_request (Subscriber *sub, GBytes *message)
{
  static const char * const allowed[] = { "type", "campaign_ids", NULL };
  CsLiveLoop *loop = sub->loop;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(GPtrArray) ids = NULL;
  g_autofree char *type = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);
  JsonObject *obj;
  gboolean subscribe;

  root = cs_json_parse_object (data, len, &error);
  if (root == NULL)
    {
      g_autofree char *detail = g_strdup_printf ("The message must be one JSON object: %s", error->message);

      send_error (sub, detail, NULL);
      return;
    }
  obj = json_node_get_object (root);
  cs_json_reject_unknown (obj, allowed, v);
  if (cs_json_read_string (obj, "type", TRUE, 1, 32, FALSE, v, &type) &&
      g_strcmp0 (type, "subscribe") != 0 && g_strcmp0 (type, "unsubscribe") != 0)
    cs_validation_add (v, "type", "must be “subscribe” or “unsubscribe”");
  ids = read_campaign_ids (obj, v);
  if (!cs_validation_finish (v, "The message is not valid.", &error))
    {
      send_error (sub, error->message, cs_error_get_fields (error));
      return;
    }

  subscribe = strcmp (type, "subscribe") == 0;
  if (subscribe)
    {
      guint n_new = 0;

      for (guint i = 0; i < ids->len; i++)
        if (!g_hash_table_contains (sub->campaigns, g_ptr_array_index (ids, i)))
          n_new++;
      if (g_hash_table_size (sub->campaigns) + n_new > MAX_SUBSCRIPTIONS)
        {
          g_autofree char *detail = g_strdup_printf ("A connection may follow at most %d campaigns; "
                                                     "unsubscribe from some first.", MAX_SUBSCRIPTIONS);

          send_error (sub, detail, NULL);
          return;
        }
    }
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);

      if (subscribe && !g_hash_table_contains (sub->campaigns, id))
        {
          g_hash_table_add (sub->campaigns, g_strdup (id));
          index_add (loop, loop->by_campaign, loop->campaign_ids, id, sub);
        }
      else if (!subscribe && g_hash_table_contains (sub->campaigns, id))
        {
          index_remove (loop, loop->by_campaign, loop->campaign_ids, id, sub);
          g_hash_table_remove (sub->campaigns, id);
        }
    }
  /* Sent after the mirror sets changed: a publish that follows the ack reaches this client. */
  send_ack (sub, subscribe ? "subscribed" : "unsubscribed", ids);
}

static void
message_cb (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
  Subscriber *sub = data;

  sub->last_seen = g_get_monotonic_time ();
  if (sub->forgotten)
    return;
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      send_error (sub, "Send JSON text frames, not binary ones.", NULL);
      return;
    }
  handle_request (sub, message);
}

static void
pong_cb (SoupWebsocketConnection *conn, GBytes *message, gpointer data)
{
  ((Subscriber *) data)->last_seen = g_get_monotonic_time ();
}

static void
closed_cb (SoupWebsocketConnection *conn, gpointer data)
{
  Subscriber *sub = data;

  subscriber_forget (sub);
  g_hash_table_remove (sub->loop->subscribers, sub);   /* frees it: libsoup holds its own reference meanwhile */
}

/* ---- upgrade -------------------------------------------------------------------- */

static void
respond_problem (SoupServerMessage *msg, const char *path, CsErrorCode code, guint status, const char *slug,
                 const char *detail)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  g_autofree char *id = cs_token_new (12);
  CsRequest req = { 0 };
  CsResponse resp = { 0 };

  req.path = (char *) path;
  g_snprintf (req.request_id, sizeof req.request_id, "live-%s", id);
  if (slug != NULL)
    cs_response_problem_status (&resp, &req, status, slug, detail);
  else
    cs_response_problem (&resp, &req, code, detail);
  soup_server_message_set_status (msg, resp.status, NULL);
  soup_message_headers_replace (hdrs, "X-Request-Id", req.request_id);
  soup_server_message_set_response (msg, resp.content_type, SOUP_MEMORY_COPY,
                                    g_bytes_get_data (resp.body, NULL), g_bytes_get_size (resp.body));
  cs_response_clear (&resp);
}

/* Refuses an upgrade whose token did not check out. */
static void
refuse_token (SoupServerMessage *msg, const char *path, const GError *error)
{
  guint status = cs_error_http_status (error);

  respond_problem (msg, path, status == 401 ? CS_ERROR_UNAUTHORIZED : CS_ERROR_UNAVAILABLE, 0, NULL,
                   status == 401 ? error->message : "Signing in failed for a moment. Please retry.");
  if (status == 401)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate",
                                  "Bearer error=\"invalid_token\"");
}

static LiveAuth *
live_auth_new (const CsSessionInfo *info, const char *token)
{
  LiveAuth *auth = g_new0 (LiveAuth, 1);

  auth->user_id = g_strdup (info->user_id);
  auth->token_hash = cs_sha256_hex (token);
  return auth;
}

/* What needs no database: the path, the method, the handshake and the form
 * of the Authorization header.  Responds with a problem and returns FALSE,
 * or returns TRUE with *token_out (NULL: anonymous). */
static gboolean
check_request (SoupServerMessage *msg, const char *path, GHashTable *query, const char **token_out)
{
  SoupMessageHeaders *req_hdrs = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp_hdrs = soup_server_message_get_response_headers (msg);
  g_autoptr(GError) error = NULL;
  const char *authorization = soup_message_headers_get_one (req_hdrs, "Authorization");
  const char *token = NULL;

  *token_out = NULL;
  if (strcmp (path, LIVE_PATH) != 0)
    {
      respond_problem (msg, path, CS_ERROR_NOT_FOUND, 0, NULL, "There is nothing at this address.");
      return FALSE;
    }
  if (strcmp (soup_server_message_get_method (msg), "GET") != 0)
    {
      respond_problem (msg, path, 0, 405, "method-not-allowed", "This resource does not support that method.");
      soup_message_headers_replace (resp_hdrs, "Allow", "GET");
      return FALSE;
    }
  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error))
    {
      const char *upgrade = soup_message_headers_get_one (req_hdrs, "Upgrade");

      respond_problem (msg, path, CS_ERROR_MALFORMED, 0, NULL,
                       upgrade == NULL || g_ascii_strcasecmp (upgrade, "websocket") != 0
                       ? "GET /api/v1/live upgrades to a WebSocket: send “Connection: Upgrade” and “Upgrade: websocket”."
                       : error->message);
      return FALSE;
    }

  if (authorization != NULL)
    {
      if (g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
        {
          respond_problem (msg, path, CS_ERROR_UNAUTHORIZED, 0, NULL, "The Authorization header must be “Bearer <token>”.");
          soup_message_headers_replace (resp_hdrs, "WWW-Authenticate", "Bearer");
          return FALSE;
        }
      token = authorization + 7;
      while (*token == ' ')
        token++;
    }
  else if (query != NULL)
    token = g_hash_table_lookup (query, "access_token");   /* for clients that cannot set headers */
  *token_out = token;
  return TRUE;
}

/* ---- token lookups off the loop (PostgreSQL) --------------------------------------
 *
 * A job goes to live->auth_pool, whose workers keep their own connections;
 * its answer comes back to the loop's context (auth_job_done_cb).  The loop
 * counts the jobs it is owed, and cs_live_detach_loop () waits for them, so
 * an answer never finds its loop gone.  Subscribers are named by pointer and
 * token hash and looked up again on the loop: one that closed meanwhile is
 * simply not found (a new one at the same address with the same token hash
 * has the same session, and the same verdict). */

typedef enum {
  AUTH_UPGRADE,     /* a bearer token at the upgrade */
  AUTH_RECHECK,     /* signed-in sockets' sessions, every two keepalive intervals */
} AuthJobKind;

typedef struct {
  AuthJobKind        kind;
  CsLiveLoop        *loop;
  gint64             now;
  /* AUTH_UPGRADE */
  SoupServerMessage *msg;
  char              *path;
  char              *token;
  LiveAuth          *auth;       /* the answer: signed in ... */
  GError            *error;      /* ... or why not */
  /* AUTH_RECHECK */
  GPtrArray         *subs;       /* Subscriber*, only compared */
  GPtrArray         *hashes;     /* their token hashes (owned) */
  GArray            *valid;      /* gboolean each */
} AuthJob;

static void
auth_job_free (AuthJob *job)
{
  g_clear_object (&job->msg);
  g_free (job->path);
  if (job->token != NULL)
    memset (job->token, 0, strlen (job->token));
  g_free (job->token);
  g_clear_pointer (&job->auth, live_auth_free);
  g_clear_error (&job->error);
  g_clear_pointer (&job->subs, g_ptr_array_unref);
  g_clear_pointer (&job->hashes, g_ptr_array_unref);
  if (job->valid != NULL)
    g_array_unref (job->valid);
  g_free (job);
}

/* Only a definite answer ends a session; a database that is away does not. */
static gboolean
session_valid (CsStoreConn *conn, const char *token_hash, gint64 now)
{
  g_autoptr(GError) error = NULL;
  CsSessionInfo info = { 0 };
  gboolean valid;

  if (!cs_store_session_lookup (conn, token_hash, now, &info, &error))
    return !g_error_matches (error, CS_ERROR, CS_ERROR_UNAUTHORIZED);
  valid = !info.suspended;
  cs_session_info_clear (&info);
  return valid;
}

static gboolean
auth_job_done_cb (gpointer data)
{
  AuthJob *job = data;
  CsLiveLoop *loop = job->loop;

  g_assert (loop->jobs_in_flight > 0);
  loop->jobs_in_flight--;
  if (job->kind == AUTH_UPGRADE)
    {
      if (loop->detaching)
        respond_problem (job->msg, job->path, CS_ERROR_UNAVAILABLE, 0, NULL, "The server is shutting down. Please retry.");
      else if (job->auth != NULL)
        g_object_set_data_full (G_OBJECT (job->msg), AUTH_DATA_KEY, g_steal_pointer (&job->auth),
                                (GDestroyNotify) live_auth_free);
      else
        refuse_token (job->msg, job->path, job->error);
      soup_server_message_unpause (job->msg);
    }
  else if (!loop->detaching)
    {
      for (guint i = 0; i < job->subs->len; i++)
        {
          Subscriber *sub = g_ptr_array_index (job->subs, i);

          if (g_array_index (job->valid, gboolean, i) || !g_hash_table_contains (loop->subscribers, sub) ||
              sub->forgotten || g_strcmp0 (sub->token_hash, g_ptr_array_index (job->hashes, i)) != 0)
            continue;
          subscriber_close (sub, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                            "The access token expired or was replaced: reconnect with a fresh one.");
        }
    }
  return G_SOURCE_REMOVE;
}

/* On a worker of live->auth_pool. */
static void
auth_worker (gpointer data, gpointer user_data)
{
  AuthJob *job = data;
  CsLive *live = user_data;
  g_autoptr(GError) error = NULL;
  CsStoreConn *conn = g_async_queue_try_pop (live->auth_conns);

  if (conn == NULL)
    conn = cs_store_connect (live->store, &error);
  if (job->kind == AUTH_UPGRADE)
    {
      CsSessionInfo info = { 0 };

      if (conn == NULL)
        job->error = g_steal_pointer (&error);
      else if (cs_auth_authenticate (conn, job->token, job->now, &info, &job->error))
        {
          job->auth = live_auth_new (&info, job->token);
          cs_session_info_clear (&info);
        }
    }
  else
    for (guint i = 0; i < job->hashes->len; i++)
      {
        gboolean valid = conn == NULL || session_valid (conn, g_ptr_array_index (job->hashes, i), job->now);

        g_array_append_val (job->valid, valid);
      }
  if (conn != NULL)
    {
      if (cs_store_conn_is_usable (conn))
        g_async_queue_push (live->auth_conns, conn);
      else
        cs_store_conn_free (conn);
    }
  g_main_context_invoke_full (job->loop->context, G_PRIORITY_DEFAULT, auth_job_done_cb, job,
                              (GDestroyNotify) auth_job_free);
}

static void
auth_job_push (CsLiveLoop *loop, AuthJob *job)
{
  job->loop = loop;
  job->now = cs_server_context_now (loop->ctx);
  loop->jobs_in_flight++;
  g_thread_pool_push (loop->live->auth_pool, job, NULL);
}

/* ---- upgrade handlers ---------------------------------------------------------------- */

/* A GET /api/v1/live carries no body: refuse one before libsoup reads it.
 * On PostgreSQL, the token is looked up here, off the loop, with the
 * message paused: libsoup goes on (to live_http_cb () and the handshake)
 * once the answer is in. */
static void
live_early_cb (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  CsLiveLoop *loop = data;
  SoupMessageHeaders *hdrs = soup_server_message_get_request_headers (msg);
  const char *token = NULL;
  AuthJob *job;

  if (!(soup_message_headers_get_encoding (hdrs) == SOUP_ENCODING_CONTENT_LENGTH &&
        soup_message_headers_get_content_length (hdrs) == 0) &&
      soup_message_headers_get_encoding (hdrs) != SOUP_ENCODING_NONE)
    {
      respond_problem (msg, path, CS_ERROR_MALFORMED, 0, NULL, "This address takes no request body.");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      return;
    }
  if (!loop->offload)
    return;   /* SQLite: live_http_cb () does it all inline */

  if (!check_request (msg, path, query, &token))
    return;   /* refused: libsoup skips the handlers */
  g_object_set_data (G_OBJECT (msg), CHECKED_DATA_KEY, GINT_TO_POINTER (TRUE));
  if (token == NULL)
    return;   /* anonymous: public events only */
  if (loop->detaching)
    {
      respond_problem (msg, path, CS_ERROR_UNAVAILABLE, 0, NULL, "The server is shutting down. Please retry.");
      return;
    }
  job = g_new0 (AuthJob, 1);
  job->kind = AUTH_UPGRADE;
  job->msg = g_object_ref (msg);
  job->path = g_strdup (path);
  job->token = g_strdup (token);
  soup_server_message_pause (msg);
  auth_job_push (loop, job);
}

/* Runs before libsoup's handshake: a status set here refuses the upgrade. */
static void
live_http_cb (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  CsLiveLoop *loop = data;
  g_autoptr(GError) error = NULL;
  const char *token = NULL;
  CsSessionInfo info = { 0 };

  if (soup_server_message_get_status (msg) != 0)
    return;   /* refused early */
  if (g_object_get_data (G_OBJECT (msg), CHECKED_DATA_KEY) != NULL)
    return;   /* checked by live_early_cb () and a worker */
  if (!check_request (msg, path, query, &token))
    return;
  if (token == NULL)
    return;   /* anonymous: public events only */
  if (!cs_auth_authenticate (loop->conn, token, cs_server_context_now (loop->ctx), &info, &error))
    {
      refuse_token (msg, path, error);
      return;
    }
  g_object_set_data_full (G_OBJECT (msg), AUTH_DATA_KEY, live_auth_new (&info, token), (GDestroyNotify) live_auth_free);
  cs_session_info_clear (&info);
}

static void
live_websocket_cb (SoupServer *soup, SoupServerMessage *msg, const char *path, SoupWebsocketConnection *conn,
                   gpointer data)
{
  CsLiveLoop *loop = data;
  LiveAuth *auth = g_object_get_data (G_OBJECT (msg), AUTH_DATA_KEY);
  GSocket *socket = soup_server_message_get_socket (msg);
  Subscriber *sub = g_new0 (Subscriber, 1);

  sub->loop = loop;
  sub->conn = g_object_ref (conn);   /* libsoup drops its reference when this returns */
  sub->campaigns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sub->last_seen = sub->checked_at = g_get_monotonic_time ();
  if (auth != NULL)
    {
      sub->user_id = g_strdup (auth->user_id);
      sub->token_hash = g_strdup (auth->token_hash);
    }
  if (socket != NULL)
    {
      int outq = 0;

      sub->socket = g_object_ref (socket);
      /* Everything already written (the 101 response) is the starting point. */
      sub->measurable = subscriber_refresh_acked (sub);
      if (ioctl (g_socket_get_fd (socket), SIOCOUTQ, &outq) == 0 && outq > 0)
        sub->queued = sub->acked + (guint64) outq;
      if (loop->upgraded != NULL)
        loop->upgraded (socket, loop->upgraded_data);
    }
  soup_websocket_connection_set_keepalive_interval (conn, (guint) g_atomic_int_get (&loop->live->keepalive));
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_INCOMING_BYTES);
  g_signal_connect (conn, "message", G_CALLBACK (message_cb), sub);
  g_signal_connect (conn, "pong", G_CALLBACK (pong_cb), sub);
  g_signal_connect (conn, "closed", G_CALLBACK (closed_cb), sub);

  g_hash_table_add (loop->subscribers, sub);
  g_atomic_int_inc (&loop->live->n_connections);
  if (sub->user_id != NULL)
    index_add (loop, loop->by_user, loop->user_ids, sub->user_id, sub);
}

/* ---- housekeeping --------------------------------------------------------------- */

/* Every half keepalive interval: drops peers silent for 2.5 intervals (no
 * frame, no pong), and closes sockets whose session ended (looked up every
 * two intervals). */
static gboolean
sweep_cb (gpointer data)
{
  CsLiveLoop *loop = data;
  gint64 now = g_get_monotonic_time ();
  gint64 interval = (gint64) g_atomic_int_get (&loop->live->keepalive) * G_USEC_PER_SEC;
  g_autoptr(GPtrArray) dead = g_ptr_array_new ();
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  AuthJob *job = NULL;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, loop->subscribers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Subscriber *sub = key;

      if (sub->forgotten)
        continue;
      if (now - sub->last_seen > interval * 5 / 2)
        g_ptr_array_add (dead, sub);
      else if (sub->token_hash != NULL && now - sub->checked_at >= 2 * interval)
        {
          sub->checked_at = now;
          if (loop->offload)
            {
              if (loop->detaching)
                continue;
              if (job == NULL)
                {
                  job = g_new0 (AuthJob, 1);
                  job->kind = AUTH_RECHECK;
                  job->subs = g_ptr_array_new ();
                  job->hashes = g_ptr_array_new_with_free_func (g_free);
                  job->valid = g_array_new (FALSE, FALSE, sizeof (gboolean));
                }
              g_ptr_array_add (job->subs, sub);
              g_ptr_array_add (job->hashes, g_strdup (sub->token_hash));
            }
          else if (!session_valid (loop->conn, sub->token_hash, cs_server_context_now (loop->ctx)))
            g_ptr_array_add (expired, sub);
        }
    }
  if (job != NULL)
    auth_job_push (loop, job);   /* the answer closes the expired ones */
  for (guint i = 0; i < dead->len; i++)
    subscriber_abort (g_ptr_array_index (dead, i));
  for (guint i = 0; i < expired->len; i++)
    subscriber_close (g_ptr_array_index (expired, i), SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                      "The access token expired or was replaced: reconnect with a fresh one.");
  g_source_set_ready_time (loop->sweep, g_get_monotonic_time () + interval / 2);
  return G_SOURCE_CONTINUE;
}

/* ---- loops ------------------------------------------------------------------------ */

static GHashTable *
new_index (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
}

CsLiveLoop *
cs_live_attach_loop (CsLive *live, SoupServer *soup, CsServerContext *ctx, CsStoreConn *conn,
                     CsLiveUpgradedFunc upgraded, gpointer user_data)
{
  CsLiveLoop *loop = g_new0 (CsLiveLoop, 1);

  g_return_val_if_fail (live != NULL, NULL);

  loop->live = live;
  loop->ctx = ctx;
  loop->conn = conn;
  loop->upgraded = upgraded;
  loop->upgraded_data = user_data;
  loop->offload = ctx != NULL && ctx->store != NULL && !cs_store_is_inline (ctx->store);
  loop->soup = g_object_ref (soup);
  loop->context = g_main_context_ref_thread_default ();
  g_queue_init (&loop->inbox);
  loop->inbox_progress = g_hash_table_new (g_str_hash, g_str_equal);
  loop->campaign_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  loop->user_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  loop->subscribers = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) subscriber_free, NULL);
  loop->by_campaign = new_index ();
  loop->by_user = new_index ();
  loop->rates = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) rate_free);

  loop->wakeup = g_source_new (&wakeup_funcs, sizeof (GSource));
  g_source_set_callback (loop->wakeup, drain_inbox_cb, loop, NULL);
  g_source_set_ready_time (loop->wakeup, -1);
  g_source_attach (loop->wakeup, loop->context);

  loop->sweep = g_source_new (&wakeup_funcs, sizeof (GSource));
  g_source_set_callback (loop->sweep, sweep_cb, loop, NULL);
  g_source_set_ready_time (loop->sweep, g_get_monotonic_time () +
                           g_atomic_int_get (&live->keepalive) * G_USEC_PER_SEC / 2);
  g_source_attach (loop->sweep, loop->context);

  /* permessage-deflate would cost each of thousands of subscribers a zlib
   * state and each event a compression per subscriber; our frames are small. */
  soup_server_remove_websocket_extension (soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_early_handler (soup, LIVE_PATH, live_early_cb, loop, NULL);
  soup_server_add_handler (soup, LIVE_PATH, live_http_cb, loop, NULL);
  soup_server_add_websocket_handler (soup, LIVE_PATH, NULL, NULL, live_websocket_cb, loop, NULL);

  g_mutex_lock (&live->lock);
  if (loop->offload && live->auth_pool == NULL)
    {
      live->store = ctx->store;
      live->auth_conns = g_async_queue_new_full ((GDestroyNotify) cs_store_conn_free);
      live->auth_pool = g_thread_pool_new (auth_worker, live, AUTH_THREADS, FALSE, NULL);
    }
  g_ptr_array_add (live->loops, loop);
  g_mutex_unlock (&live->lock);
  return loop;
}

void
cs_live_detach_loop (CsLiveLoop *loop)
{
  CsLive *live;
  GHashTableIter iter;
  gpointer key;
  LiveEvent *event;

  if (loop == NULL)
    return;
  live = loop->live;

  /* Token lookups still out answer to this loop: wait for them (they
   * refuse their upgrades now).  Short: each is one query. */
  loop->detaching = TRUE;
  while (loop->jobs_in_flight > 0)
    g_main_context_iteration (loop->context, TRUE);

  g_mutex_lock (&live->lock);
  g_ptr_array_remove (live->loops, loop);
  g_hash_table_remove_all (loop->inbox_progress);
  while ((event = g_queue_pop_head (&loop->inbox)) != NULL)
    live_event_free (event);
  g_mutex_unlock (&live->lock);

  soup_server_remove_handler (loop->soup, LIVE_PATH);
  g_source_destroy (loop->wakeup);
  g_source_unref (loop->wakeup);
  g_source_destroy (loop->sweep);
  g_source_unref (loop->sweep);
  g_hash_table_remove_all (loop->rates);

  g_hash_table_iter_init (&iter, loop->subscribers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Subscriber *sub = key;

      subscriber_close (sub, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "The server is shutting down.");
      /* libsoup finishes the close when the thread iterates its context. */
      g_signal_handlers_disconnect_by_data (sub->conn, sub);
    }
  g_hash_table_unref (loop->subscribers);
  g_hash_table_unref (loop->by_campaign);
  g_hash_table_unref (loop->by_user);
  g_hash_table_unref (loop->rates);
  g_hash_table_unref (loop->inbox_progress);
  g_hash_table_unref (loop->campaign_ids);
  g_hash_table_unref (loop->user_ids);
  g_main_context_unref (loop->context);
  g_object_unref (loop->soup);
  g_free (loop);
}
