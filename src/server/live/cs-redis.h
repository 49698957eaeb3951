/* cs-redis.h: live events between server instances through Redis pub/sub
 * (issue 4; hiredis 0.14).
 *
 * Every instance PUBLISHes its events on one channel and SUBSCRIBEs to it;
 * what arrives is handed to the instance's own subscribers through
 * @funcs->deliver.  An instance hears its own publications back (its
 * "echo"): it delivers them to its own subscribers then, and only then, so
 * every instance sees the events in the channel's one order; each event is
 * delivered exactly once on each instance.
 *
 * The link never stands in a request's way.  The Redis work runs on a thread
 * of its own with its own GMainContext; publishing only queues (bounded:
 * when Redis falls behind, the oldest coalescable events are dropped from
 * the queue, and go to this instance's subscribers only).  While the link is
 * down (Redis stopped, unreachable, not yet there at start) publications are
 * delivered to this instance's subscribers only, at once: Redis keeps no
 * messages, so other instances never see them.  The link reconnects by
 * itself (backoff from 100 ms doubling to 5 s) and subscribes again; it logs
 * once when it goes down and once when it is back.
 *
 * Pub/sub ignores Redis's numbered databases, so a /DB in the URL becomes
 * part of the channel's name: instances that name different databases of
 * one Redis do not hear each other.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _CsRedis CsRedis;

/* How the link sees the events it carries (opaque pointers). */
typedef struct {
  /* The event as one JSON object text (on the Redis thread). */
  GBytes  *(*encode)  (gpointer event);
  /* An event of another instance, from its JSON object; NULL if it is not
   * a valid one (it is ignored). */
  gpointer (*decode)  (JsonObject *object);
  /* Hands @event to this instance's subscribers; called on any thread,
   * possibly under the link's lock: it must not block nor publish. */
  void     (*deliver) (gpointer event, gpointer user_data);
  void     (*free)    (gpointer event);
} CsRedisEventFuncs;

/* Starts the link's thread, which connects in the background: a Redis that
 * is not there yet is no error.  Fails only on a bad @url. */
CsRedis  *cs_redis_new          (const char *url, const CsRedisEventFuncs *funcs, gpointer user_data,
                                 GError **error);
/* Stops the thread and closes the connections; undelivered events are dropped. */
void      cs_redis_free         (CsRedis *redis);
/* Takes @event.  Thread-safe, never blocks on the network.  A @coalesce_key
 * (a campaign id for progress) lets a newer event replace a queued one with
 * the same key: only the latest state goes out. */
void      cs_redis_publish      (CsRedis *redis, gpointer event, const char *coalesce_key);
/* TRUE while both connections (publishing and subscribed) are up. */
gboolean  cs_redis_is_connected (CsRedis *redis);
const char *cs_redis_get_channel (CsRedis *redis);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsRedis, cs_redis_free)

G_END_DECLS
