/* cs-redis.c: live events between instances through Redis pub/sub (see cs-redis.h).
 *
 * Two connections, both on the link's own thread and GMainContext: one
 * PUBLISHes (a subscribed connection may send nothing else), one is
 * SUBSCRIBEd to the channel.  A message is a small JSON envelope:
 *   {"origin":"<16 hex: this process>","seq":N,"event":{…the event…}}
 * and a heartbeat {"origin":"…","beat":N}.
 *
 * Exactly once, in one order.  An own publication gets its sequence number
 * when it is sent and waits in `unechoed` until it is delivered to this
 * instance's subscribers, which happens exactly once, at the first of:
 *  - its echo arrives through the subscription (or a later one's: Redis keeps
 *    the order, so an earlier echo that is missing will never come);
 *  - ECHO_TIMEOUT passes without it (Redis is slow; a late echo then finds
 *    nothing and is ignored);
 *  - either connection goes down.
 * While the subscription is down, publications are delivered here at once
 * (and still published, for the other instances); while the publishing
 * connection is down they are delivered here only.  Own deliveries all happen
 * under the lock, so they keep the publication order across these changes.
 *
 * Bounded.  At most MAX_IN_FLIGHT PUBLISHes wait for Redis's answer (hiredis
 * would buffer without limit); the rest waits in `queue`, where a newer
 * progress state of a campaign replaces the queued one, and which holds at
 * most MAX_QUEUE events: past that the oldest coalescable event (else the
 * oldest) is dropped for the other instances and delivered here only.
 *
 * Liveness.  A Redis that stops closes the connections and hiredis says so.
 * One that hangs, or a network that loses packets, is found by timeouts: a
 * connection must be ready (PING answered, subscription confirmed) within
 * READY_TIMEOUT, a PUBLISH answered within REPLY_TIMEOUT, and the heartbeat
 * published every BEAT_INTERVAL must come back within SILENCE_TIMEOUT;
 * otherwise that connection is closed and reconnects with backoff.
 *
 * hiredis's own GLib adapter (adapters/glib.h) reads the context again after
 * redisAsyncHandleWrite() may have freed it; the small adapter below does not.
 */
#include "config.h"

#include <string.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "crowdspark-core.h"
#include "cs-config.h"
#include "cs-redis.h"

#define CHANNEL_NAME        "crowdspark:live"
#define MAX_QUEUE           10000                    /* events waiting to be sent */
#define MAX_IN_FLIGHT       512                      /* PUBLISHes sent, not yet answered */
#define ECHO_TIMEOUT_US     (1 * G_USEC_PER_SEC)
#define BEAT_INTERVAL_US    (2 * G_USEC_PER_SEC)
#define SILENCE_TIMEOUT_US  (3 * BEAT_INTERVAL_US)
#define REPLY_TIMEOUT_US    (5 * G_USEC_PER_SEC)
#define READY_TIMEOUT_US    (3 * G_USEC_PER_SEC)     /* from connect() to a ready connection */
#define TICK_MS             250
#define BACKOFF_MIN_MS      100
#define BACKOFF_MAX_MS      5000

typedef struct {
  gpointer event;
  char    *key;          /* coalescing key, or NULL */
  guint64  seq;
  gint64   sent_at;      /* monotonic µs */
  gboolean local_done;   /* already delivered to this instance's subscribers */
} Item;

typedef enum { LINK_PUB, LINK_SUB } LinkKind;

typedef struct {
  CsRedis           *redis;
  LinkKind           kind;
  redisAsyncContext *ac;
  GSource           *retry;
  guint              backoff_ms;
  gint64             started_at;   /* monotonic µs of the last connect */
  gint64             ready_at;
  gboolean           ready;        /* pub: PING answered; sub: subscription confirmed */
} Link;

struct _CsRedis {
  char              *host;
  guint              port;
  char              *channel;
  CsRedisEventFuncs  funcs;
  gpointer           user_data;
  char               prefix[48];   /* {"origin":"<16 hex>", : how own messages start */
  gsize              prefix_len;

  GThread           *thread;
  GMainContext      *context;
  GMainLoop         *loop;
  GSource           *wakeup;
  GSource           *tick;
  gint               connected;    /* atomic: both links ready */

  /* the link's thread only */
  Link               pub;
  Link               sub;
  guint64            next_seq;
  guint              in_flight;
  gint64             answered_at;  /* last PUBLISH answer (or first send after a quiet spell) */
  guint64            beat;
  gint64             beat_sent_at;
  gint64             beat_heard_at;
  gboolean           announced;    /* the log said something already */
  gboolean           announced_up; /* and what */
  char              *last_error;
  gboolean           stopping;

  /* under lock */
  GMutex             lock;
  gboolean           pub_up;
  gboolean           sub_up;
  GQueue             queue;        /* Item*: waiting to be sent */
  GHashTable        *queued;       /* coalescing key → its Item* in queue */
  GQueue             unechoed;     /* Item*: sent, not yet delivered here; seq order */
  gboolean           drop_warned;
};

static void link_connect (Link *link);
static void pump (CsRedis *r);

/* ---- a GLib adapter for hiredis ---------------------------------------------------- */

typedef struct {
  GSource            source;
  redisAsyncContext *ac;       /* NULL once hiredis cleaned up */
  gpointer           tag;
  GIOCondition       events;
} RedisSource;

static void
redis_source_update (RedisSource *rs, GIOCondition add, GIOCondition remove)
{
  if (rs->ac == NULL)
    return;
  rs->events = (rs->events | add) & ~remove;
  g_source_modify_unix_fd (&rs->source, rs->tag, rs->events);
}

static void ev_add_read (void *data)  { redis_source_update (data, G_IO_IN, 0); }
static void ev_del_read (void *data)  { redis_source_update (data, 0, G_IO_IN); }
static void ev_add_write (void *data) { redis_source_update (data, G_IO_OUT, 0); }
static void ev_del_write (void *data) { redis_source_update (data, 0, G_IO_OUT); }

/* hiredis is freeing the context (possibly from inside our dispatch). */
static void
ev_cleanup (void *data)
{
  RedisSource *rs = data;

  rs->ac = NULL;
  g_source_destroy (&rs->source);
  g_source_unref (&rs->source);
}

static gboolean
redis_source_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  RedisSource *rs = (RedisSource *) source;
  GIOCondition revents = g_source_query_unix_fd (source, rs->tag);

  if (rs->ac != NULL && (revents & G_IO_OUT))
    redisAsyncHandleWrite (rs->ac);
  /* The write may have freed the context (ev_cleanup then cleared rs->ac).
   * An error or hang-up is read too: hiredis then sees the end and disconnects. */
  if (rs->ac != NULL && (revents & (G_IO_IN | G_IO_ERR | G_IO_HUP)))
    redisAsyncHandleRead (rs->ac);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs redis_source_funcs = { NULL, NULL, redis_source_dispatch, NULL, NULL, NULL };

static void
redis_attach (redisAsyncContext *ac, GMainContext *context)
{
  RedisSource *rs = (RedisSource *) g_source_new (&redis_source_funcs, sizeof (RedisSource));

  rs->ac = ac;
  rs->tag = g_source_add_unix_fd (&rs->source, ac->c.fd, 0);
  ac->ev.addRead = ev_add_read;
  ac->ev.delRead = ev_del_read;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_del_write;
  ac->ev.cleanup = ev_cleanup;
  ac->ev.data = rs;
  g_source_attach (&rs->source, context);
  /* our reference goes in ev_cleanup */
}

/* ---- items --------------------------------------------------------------------------- */

static void
item_free (CsRedis *r, Item *item)
{
  if (item->event != NULL)
    r->funcs.free (item->event);
  g_free (item->key);
  g_free (item);
}

/* With r->lock held. */
static void
deliver_locked (CsRedis *r, Item *item)
{
  if (!item->local_done)
    r->funcs.deliver (item->event, r->user_data);
  item->local_done = TRUE;
}

/* With r->lock held: delivers here what was sent and not heard back, then
 * what waits in the queue (older first, to keep the order). */
static void
flush_unechoed_locked (CsRedis *r)
{
  Item *item;

  while ((item = g_queue_pop_head (&r->unechoed)) != NULL)
    {
      deliver_locked (r, item);
      item_free (r, item);
    }
}

/* ---- the link's state ------------------------------------------------------------------ */

static void
set_last_error (CsRedis *r, const char *reason)
{
  if (reason == NULL || reason[0] == '\0')
    return;
  g_free (r->last_error);
  r->last_error = g_strdup (reason);
}

static void
announce (CsRedis *r)
{
  gboolean up = r->pub.ready && r->sub.ready;

  g_atomic_int_set (&r->connected, up);
  if (r->stopping || (r->announced && up == r->announced_up))
    return;
  if (up)
    g_message ("Live events: linked to Redis at %s:%u (channel %s): every instance hears every event",
               r->host, r->port, r->channel);
  else if (r->pub.ac == NULL || r->sub.ac == NULL)   /* a connection failed, not just "not ready yet" */
    g_message ("Live events: Redis at %s:%u is %s (%s): events reach this instance's subscribers only "
               "until it is back; reconnecting in the background",
               r->host, r->port, r->announced ? "gone" : "not reachable",
               r->last_error != NULL ? r->last_error : "no answer");
  else
    return;
  r->announced = TRUE;
  r->announced_up = up;
}

static gboolean
retry_cb (gpointer data)
{
  Link *link = data;

  g_clear_pointer (&link->retry, g_source_unref);
  link_connect (link);
  return G_SOURCE_REMOVE;
}

/* A connection is gone (or never came): what waited on it is delivered here,
 * and it reconnects after the backoff. */
static void
link_lost (Link *link, const char *reason)
{
  CsRedis *r = link->redis;
  Item *item;

  link->ready = FALSE;
  set_last_error (r, reason);

  g_mutex_lock (&r->lock);
  if (link->kind == LINK_PUB)
    r->pub_up = FALSE;
  else
    r->sub_up = FALSE;
  /* Sent, and the echo may never come. */
  flush_unechoed_locked (r);
  if (link->kind == LINK_PUB)
    {
      /* Not sent yet, and never will be: publications made while the link
       * is down reach this instance's subscribers only. */
      while ((item = g_queue_pop_head (&r->queue)) != NULL)
        {
          deliver_locked (r, item);
          item_free (r, item);
        }
      g_hash_table_remove_all (r->queued);
    }
  else
    {
      /* Will be sent (for the other instances), but not heard back. */
      for (GList *l = r->queue.head; l != NULL; l = l->next)
        deliver_locked (r, l->data);
    }
  g_mutex_unlock (&r->lock);

  if (link->kind == LINK_PUB)
    r->in_flight = 0;
  announce (r);
  if (!r->stopping && link->retry == NULL)
    {
      link->retry = g_timeout_source_new (link->backoff_ms);
      g_source_set_callback (link->retry, retry_cb, link, NULL);
      g_source_attach (link->retry, r->context);
      link->backoff_ms = MIN (link->backoff_ms * 2, BACKOFF_MAX_MS);
    }
}

static void
link_ready (Link *link)
{
  CsRedis *r = link->redis;
  gint64 now = g_get_monotonic_time ();

  link->ready = TRUE;
  link->ready_at = now;
  link->backoff_ms = BACKOFF_MIN_MS;
  g_mutex_lock (&r->lock);
  if (link->kind == LINK_PUB)
    r->pub_up = TRUE;
  else
    r->sub_up = TRUE;
  g_mutex_unlock (&r->lock);
  if (link->kind == LINK_PUB)
    {
      r->in_flight = 0;
      r->answered_at = now;
    }
  else
    r->beat_heard_at = now;
  announce (r);
  if (link->kind == LINK_PUB)
    pump (r);
}

/* Closes a connection that does not answer; it reconnects. */
static void
link_reset (Link *link, const char *why)
{
  redisAsyncContext *ac = link->ac;

  if (ac == NULL)
    return;
  link->ac = NULL;           /* disconnect_cb () then knows it was us */
  redisAsyncFree (ac);
  link_lost (link, why);
}

/* ---- hiredis callbacks -------------------------------------------------------------------- */

static void
handle_own (CsRedis *r, const char *rest)
{
  Item *item;
  guint64 seq;

  if (g_str_has_prefix (rest, "\"beat\":"))
    {
      r->beat_heard_at = g_get_monotonic_time ();
      return;
    }
  if (!g_str_has_prefix (rest, "\"seq\":"))
    return;
  seq = g_ascii_strtoull (rest + 6, NULL, 10);
  g_mutex_lock (&r->lock);
  while ((item = g_queue_peek_head (&r->unechoed)) != NULL && item->seq <= seq)
    {
      g_queue_pop_head (&r->unechoed);
      deliver_locked (r, item);
      item_free (r, item);
    }
  g_mutex_unlock (&r->lock);
}

static void
handle_message (CsRedis *r, const char *data, gsize len)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root, *event_node;
  JsonObject *obj;
  const char *origin;
  gpointer event;

  if (len > r->prefix_len && memcmp (data, r->prefix, r->prefix_len) == 0)
    {
      handle_own (r, data + r->prefix_len);
      return;
    }
  /* another instance's */
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  obj = json_node_get_object (root);
  origin = json_object_get_string_member_with_default (obj, "origin", NULL);
  event_node = json_object_get_member (obj, "event");
  if (origin == NULL || event_node == NULL || !JSON_NODE_HOLDS_OBJECT (event_node))
    return;   /* a heartbeat, or not ours to read */
  event = r->funcs.decode (json_node_get_object (event_node));
  if (event == NULL)
    return;
  r->funcs.deliver (event, r->user_data);
  r->funcs.free (event);
}

static void
subscribe_cb (redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
  Link *link = ac->data;
  redisReply *reply = reply_ptr;
  const char *kind;

  if (reply == NULL || link->ac != ac)
    return;   /* the connection is going */
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 || reply->element[0]->type != REDIS_REPLY_STRING)
    return;
  kind = reply->element[0]->str;
  if (strcmp (kind, "message") == 0 && reply->element[2]->type == REDIS_REPLY_STRING)
    handle_message (link->redis, reply->element[2]->str, reply->element[2]->len);
  else if (strcmp (kind, "subscribe") == 0 && !link->ready)
    link_ready (link);
}

static void
ping_cb (redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
  Link *link = ac->data;
  redisReply *reply = reply_ptr;

  if (reply == NULL || link->ac != ac)
    return;
  if (reply->type == REDIS_REPLY_ERROR)
    {
      g_autofree char *why = g_strdup_printf ("Redis answered: %s", reply->str);

      set_last_error (link->redis, why);
      redisAsyncDisconnect (ac);   /* after this callback; disconnect_cb () follows */
      return;
    }
  link_ready (link);
}

static void
publish_cb (redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
  Link *link = ac->data;
  CsRedis *r = link->redis;
  redisReply *reply = reply_ptr;

  if (reply == NULL || link->ac != ac)
    return;
  if (r->in_flight > 0)
    r->in_flight--;
  r->answered_at = g_get_monotonic_time ();
  if (reply->type == REDIS_REPLY_ERROR)
    {
      g_autofree char *why = g_strdup_printf ("Redis refused to publish: %s", reply->str);

      /* e.g. a read-only replica: this connection is of no use */
      set_last_error (r, why);
      redisAsyncDisconnect (ac);
      return;
    }
  pump (r);
}

static void
connect_cb (const redisAsyncContext *cac, int status)
{
  redisAsyncContext *ac = (redisAsyncContext *) cac;
  Link *link = ac->data;
  CsRedis *r = link->redis;

  if (link->ac != ac)
    return;
  if (status != REDIS_OK)
    {
      /* hiredis frees the context when this returns */
      link->ac = NULL;
      link_lost (link, ac->errstr);
      return;
    }
  redisEnableKeepAlive (&ac->c);
  if (link->kind == LINK_PUB)
    redisAsyncCommand (ac, ping_cb, NULL, "PING");
  else
    redisAsyncCommand (ac, subscribe_cb, NULL, "SUBSCRIBE %b", r->channel, strlen (r->channel));
}

static void
disconnect_cb (const redisAsyncContext *cac, int status)
{
  redisAsyncContext *ac = (redisAsyncContext *) cac;
  Link *link = ac->data;

  if (link->ac != ac)
    return;   /* link_reset () or the shutdown closed it and handles the rest */
  link->ac = NULL;
  link_lost (link, ac->err != 0 ? ac->errstr : "the connection closed");
}

static void
link_connect (Link *link)
{
  CsRedis *r = link->redis;
  redisAsyncContext *ac;

  link->started_at = g_get_monotonic_time ();
  ac = redisAsyncConnect (r->host, (int) r->port);
  if (ac == NULL || ac->err != 0)
    {
      g_autofree char *why = g_strdup (ac != NULL ? ac->errstr : "out of memory");

      if (ac != NULL)
        redisAsyncFree (ac);
      link_lost (link, why);
      return;
    }
  ac->data = link;
  link->ac = ac;
  redis_attach (ac, r->context);
  /* after the adapter: setting the connect callback asks for a write event */
  redisAsyncSetConnectCallback (ac, connect_cb);
  redisAsyncSetDisconnectCallback (ac, disconnect_cb);
}

/* ---- sending ---------------------------------------------------------------------------- */

static gboolean
send_publish (CsRedis *r, const char *payload, gsize len)
{
  const char *argv[3] = { "PUBLISH", r->channel, payload };
  size_t argvlen[3] = { 7, strlen (r->channel), len };

  if (redisAsyncCommandArgv (r->pub.ac, publish_cb, NULL, 3, argv, argvlen) != REDIS_OK)
    return FALSE;
  if (r->in_flight++ == 0)
    r->answered_at = g_get_monotonic_time ();
  return TRUE;
}

/* Sends what is queued, up to MAX_IN_FLIGHT unanswered PUBLISHes. */
static void
pump (CsRedis *r)
{
  while (r->pub.ready && r->pub.ac != NULL && r->in_flight < MAX_IN_FLIGHT)
    {
      g_autoptr(GString) text = NULL;
      g_autoptr(GBytes) event = NULL;
      gboolean sent;
      gsize len = 0;
      const char *data;
      Item *item;

      g_mutex_lock (&r->lock);
      item = g_queue_pop_head (&r->queue);
      if (item != NULL && item->key != NULL)
        g_hash_table_remove (r->queued, item->key);
      if (item == NULL)
        r->drop_warned = FALSE;
      g_mutex_unlock (&r->lock);
      if (item == NULL)
        break;

      item->seq = ++r->next_seq;
      event = r->funcs.encode (item->event);
      data = g_bytes_get_data (event, &len);
      text = g_string_sized_new (r->prefix_len + len + 32);
      g_string_append_len (text, r->prefix, r->prefix_len);
      g_string_append_printf (text, "\"seq\":%" G_GUINT64_FORMAT ",\"event\":", item->seq);
      g_string_append_len (text, data, len);
      g_string_append_c (text, '}');
      sent = send_publish (r, text->str, text->len);

      g_mutex_lock (&r->lock);
      if (sent && !item->local_done && r->sub_up)
        {
          item->sent_at = g_get_monotonic_time ();
          g_queue_push_tail (&r->unechoed, item);
          item = NULL;
        }
      else
        deliver_locked (r, item);
      g_mutex_unlock (&r->lock);
      if (item != NULL)
        item_free (r, item);
    }
}

static gboolean
wakeup_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  g_source_set_ready_time (source, -1);
  return callback (data);
}

static GSourceFuncs wakeup_funcs = { NULL, NULL, wakeup_dispatch, NULL, NULL, NULL };

static gboolean
wakeup_cb (gpointer data)
{
  pump (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
tick_cb (gpointer data)
{
  CsRedis *r = data;
  gint64 now = g_get_monotonic_time ();
  Item *item;

  /* Echoes that did not come in time: delivered here now. */
  g_mutex_lock (&r->lock);
  while ((item = g_queue_peek_head (&r->unechoed)) != NULL && now - item->sent_at > ECHO_TIMEOUT_US)
    {
      g_queue_pop_head (&r->unechoed);
      deliver_locked (r, item);
      item_free (r, item);
    }
  g_mutex_unlock (&r->lock);

  /* Connections that do not answer. */
  if (r->pub.ac != NULL && !r->pub.ready && now - r->pub.started_at > READY_TIMEOUT_US)
    link_reset (&r->pub, "Redis did not answer");
  if (r->sub.ac != NULL && !r->sub.ready && now - r->sub.started_at > READY_TIMEOUT_US)
    link_reset (&r->sub, "Redis did not confirm the subscription");
  if (r->pub.ready && r->in_flight > 0 && now - r->answered_at > REPLY_TIMEOUT_US)
    link_reset (&r->pub, "Redis stopped answering");

  /* The heartbeat: proves the subscription still hears the channel. */
  if (r->pub.ready && r->sub.ready)
    {
      if (now - r->beat_sent_at >= BEAT_INTERVAL_US)
        {
          g_autofree char *beat = g_strdup_printf ("%s\"beat\":%" G_GUINT64_FORMAT "}", r->prefix, ++r->beat);

          send_publish (r, beat, strlen (beat));
          r->beat_sent_at = now;
        }
      if (now - MAX (r->beat_heard_at, MAX (r->sub.ready_at, r->pub.ready_at)) > SILENCE_TIMEOUT_US)
        link_reset (&r->sub, "the subscription stopped hearing the channel");
    }
  return G_SOURCE_CONTINUE;
}

/* ---- the thread ------------------------------------------------------------------------- */

static gboolean
stop_cb (gpointer data)
{
  CsRedis *r = data;

  r->stopping = TRUE;
  g_main_loop_quit (r->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
redis_thread_main (gpointer data)
{
  CsRedis *r = data;
  Link *links[2] = { &r->pub, &r->sub };

  g_main_context_push_thread_default (r->context);
  link_connect (&r->pub);
  link_connect (&r->sub);
  g_main_loop_run (r->loop);

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      Link *link = links[i];
      redisAsyncContext *ac = link->ac;

      if (link->retry != NULL)
        {
          g_source_destroy (link->retry);
          g_clear_pointer (&link->retry, g_source_unref);
        }
      link->ac = NULL;
      link->ready = FALSE;
      if (ac != NULL)
        redisAsyncFree (ac);
    }
  g_atomic_int_set (&r->connected, FALSE);
  g_source_destroy (r->wakeup);
  g_source_destroy (r->tick);
  while (g_main_context_iteration (r->context, FALSE))
    ;
  g_main_context_pop_thread_default (r->context);
  return NULL;
}

/* ---- public ------------------------------------------------------------------------------ */

CsRedis *
cs_redis_new (const char *url, const CsRedisEventFuncs *funcs, gpointer user_data, GError **error)
{
  CsRedis *r;
  g_autofree char *host = NULL;
  guint port = 0, db = 0;
  guint8 rnd[8];
  char origin[17];

  g_return_val_if_fail (funcs != NULL, NULL);

  if (!cs_redis_url_parse (url, &host, &port, &db, error))
    return NULL;

  r = g_new0 (CsRedis, 1);
  r->host = g_steal_pointer (&host);
  r->port = port;
  r->channel = db == 0 ? g_strdup (CHANNEL_NAME) : g_strdup_printf (CHANNEL_NAME ":%u", db);
  r->funcs = *funcs;
  r->user_data = user_data;
  cs_random_bytes (rnd, sizeof rnd);
  for (guint i = 0; i < sizeof rnd; i++)
    g_snprintf (origin + 2 * i, 3, "%02x", rnd[i]);
  g_snprintf (r->prefix, sizeof r->prefix, "{\"origin\":\"%s\",", origin);
  r->prefix_len = strlen (r->prefix);
  g_mutex_init (&r->lock);
  g_queue_init (&r->queue);
  g_queue_init (&r->unechoed);
  r->queued = g_hash_table_new (g_str_hash, g_str_equal);
  r->pub.redis = r->sub.redis = r;
  r->pub.kind = LINK_PUB;
  r->sub.kind = LINK_SUB;
  r->pub.backoff_ms = r->sub.backoff_ms = BACKOFF_MIN_MS;

  r->context = g_main_context_new ();
  r->loop = g_main_loop_new (r->context, FALSE);
  r->wakeup = g_source_new (&wakeup_funcs, sizeof (GSource));
  g_source_set_callback (r->wakeup, wakeup_cb, r, NULL);
  g_source_set_ready_time (r->wakeup, -1);
  g_source_attach (r->wakeup, r->context);
  r->tick = g_timeout_source_new (TICK_MS);
  g_source_set_callback (r->tick, tick_cb, r, NULL);
  g_source_attach (r->tick, r->context);

  r->thread = g_thread_new ("cs-redis", redis_thread_main, r);
  return r;
}

void
cs_redis_free (CsRedis *r)
{
  Item *item;

  if (r == NULL)
    return;
  g_main_context_invoke (r->context, stop_cb, r);
  g_thread_join (r->thread);

  while ((item = g_queue_pop_head (&r->queue)) != NULL)
    item_free (r, item);
  while ((item = g_queue_pop_head (&r->unechoed)) != NULL)
    item_free (r, item);
  g_hash_table_unref (r->queued);
  g_source_unref (r->wakeup);
  g_source_unref (r->tick);
  g_main_loop_unref (r->loop);
  g_main_context_unref (r->context);
  g_mutex_clear (&r->lock);
  g_free (r->last_error);
  g_free (r->channel);
  g_free (r->host);
  g_free (r);
}

void
cs_redis_publish (CsRedis *r, gpointer event, const char *coalesce_key)
{
  gboolean local_done;
  Item *item;

  g_return_if_fail (r != NULL);
  g_return_if_fail (event != NULL);

  g_mutex_lock (&r->lock);
  if (!r->pub_up)
    {
      /* The link is down: this publication reaches this instance's
       * subscribers only (Redis keeps nothing for later, so the other
       * instances never see it). */
      r->funcs.deliver (event, r->user_data);
      g_mutex_unlock (&r->lock);
      r->funcs.free (event);
      return;
    }
  /* Published, but not heard back while the subscription is down: here now. */
  local_done = !r->sub_up;
  if (local_done)
    r->funcs.deliver (event, r->user_data);

  item = coalesce_key != NULL ? g_hash_table_lookup (r->queued, coalesce_key) : NULL;
  if (item != NULL)
    {
      /* a newer state of what waits: only the latest goes out */
      r->funcs.free (item->event);
      item->event = event;
      item->local_done = local_done;
      g_mutex_unlock (&r->lock);
      return;
    }

  if (r->queue.length >= MAX_QUEUE)
    {
      GList *l = r->queue.head;

      while (l != NULL && ((Item *) l->data)->key == NULL)
        l = l->next;
      if (l == NULL)
        l = r->queue.head;
      g_assert (l != NULL);
      item = l->data;
      g_queue_delete_link (&r->queue, l);
      if (item->key != NULL)
        g_hash_table_remove (r->queued, item->key);
      deliver_locked (r, item);   /* for this instance's subscribers at least */
      item_free (r, item);
      if (!r->drop_warned)
        g_message ("Live events: Redis does not keep up; dropping the oldest queued events "
                   "(this instance's subscribers still get them)");
      r->drop_warned = TRUE;
    }

  item = g_new0 (Item, 1);
  item->event = event;
  item->local_done = local_done;
  if (coalesce_key != NULL)
    {
      item->key = g_strdup (coalesce_key);
      g_hash_table_insert (r->queued, item->key, item);
    }
  g_queue_push_tail (&r->queue, item);
  if (r->queue.length == 1)
    g_source_set_ready_time (r->wakeup, 0);
  g_mutex_unlock (&r->lock);
}

gboolean
cs_redis_is_connected (CsRedis *r)
{
  g_return_val_if_fail (r != NULL, FALSE);
  return g_atomic_int_get (&r->connected);
}

const char *
cs_redis_get_channel (CsRedis *r)
{
  return r->channel;
}
