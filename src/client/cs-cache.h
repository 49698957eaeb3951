/* cs-cache.h: the app's offline cache (SQLite), one per server and account
 * folder.
 *
 * Reads come from here first, so pages paint at once, offline too.  It holds
 * campaigns with their reward tiers, the signed-in user's pledges, image
 * bytes, small key/value state (the sync cursor) and the outbox of writes
 * waiting to be sent (with their idempotency keys), which survives restarts.
 *
 * Schema: numbered migrations (src/client/cache/NNN-*.sql, in a GResource),
 * each in one transaction, tracked in PRAGMA user_version; a cache newer than
 * this program is refused.  Local search is FTS5 over title, creator,
 * category and story.
 *
 * Threads: cs_cache_new() opens and migrates on the caller's thread; every
 * other operation runs on the cache's one worker thread and completes on the
 * caller's thread-default main context.  After a write the "changed" signal
 * is emitted on the main context with a detail: "campaigns", "pledges" or
 * "outbox".
 */
#pragma once

#include <gio/gio.h>
#include "crowdspark-core.h"
#include "cs-api-client.h"

G_BEGIN_DECLS

#define CS_CACHE_SCHEMA_VERSION 2

#define CS_TYPE_CACHE (cs_cache_get_type ())
G_DECLARE_FINAL_TYPE (CsCache, cs_cache, CS, CACHE, GObject)

/* What a Discover page asks of the cache. */
typedef struct {
  CsApiSort sort;
  const char    *category;  /* slug or NULL */
  const char    *text;      /* local full-text search (FTS5, prefix match of each word) or NULL */
  guint          limit;     /* 0: no limit */
  gboolean       public_only; /* live, successful and failed campaigns only (Discover) */
} CsCacheQuery;

/* A write waiting to be sent. */
typedef struct {
  gint64  id;
  char   *kind;             /* "pledge.change", "pledge.cancel", ... */
  char   *method;           /* "PATCH", "POST", ... */
  char   *path;             /* "/api/v1/pledges/…/cancel" */
  char   *body;             /* JSON text or NULL */
  char   *idempotency_key;
  char   *target_id;        /* the pledge (or other object) it changes */
  gint    attempts;
  char   *last_error;       /* or NULL */
  gboolean failed;          /* refused for good (a 4xx): kept to show, not resent */
  gint64  created_at;
} CsOutboxItem;

void          cs_outbox_item_free (CsOutboxItem *item);

/* Opens (creating) the cache file at @path and migrates it. */
CsCache      *cs_cache_new                   (const char *path, GError **error);
const char   *cs_cache_get_path              (CsCache *self);

/* ---- campaigns ---- */
/* Applies a sync page in one transaction: upserts the campaigns (with their
 * tiers, replacing the old ones), deletes what the tombstones name, and stores
 * @next_cursor under the key "sync.cursor". */
void          cs_cache_apply_sync_async      (CsCache *self, const CsApiSyncPage *page,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_apply_sync_finish     (CsCache *self, GAsyncResult *result, GError **error);
/* Upserts campaigns seen elsewhere (a list page or a campaign page); a
 * summary without rewards keeps the cached tiers. (GPtrArray of CsCampaign*) */
void          cs_cache_put_campaigns_async   (CsCache *self, GPtrArray *campaigns,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_put_campaigns_finish  (CsCache *self, GAsyncResult *result, GError **error);
/* A live progress event. */
void          cs_cache_update_progress_async (CsCache *self, const char *campaign_id,
                                              gint64 current_amount, gint64 backer_count,
                                              const char *status, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_update_progress_finish (CsCache *self, GAsyncResult *result, GError **error);
/* GPtrArray of CsCampaign* (without rewards), in the query's order. */
void          cs_cache_query_campaigns_async  (CsCache *self, const CsCacheQuery *query,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
GPtrArray    *cs_cache_query_campaigns_finish (CsCache *self, GAsyncResult *result, GError **error);
/* The campaign with its tiers; CS_ERROR_NOT_FOUND when not cached. */
void          cs_cache_get_campaign_async     (CsCache *self, const char *campaign_id,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
CsCampaign   *cs_cache_get_campaign_finish    (CsCache *self, GAsyncResult *result, GError **error);
/* The categories present in the cache, with their live counts
 * (GPtrArray of CsCategory*, by name). */
void          cs_cache_list_categories_async  (CsCache *self, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
GPtrArray    *cs_cache_list_categories_finish (CsCache *self, GAsyncResult *result, GError **error);
void          cs_cache_put_categories_async   (CsCache *self, GPtrArray *categories,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_put_categories_finish  (CsCache *self, GAsyncResult *result, GError **error);

/* ---- the user's pledges ---- */
/* Replaces @user_id's cached pledges with @pledges (GPtrArray of CsPledge*). */
void          cs_cache_put_pledges_async      (CsCache *self, const char *user_id, GPtrArray *pledges,
                                               gboolean replace_all, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_put_pledges_finish     (CsCache *self, GAsyncResult *result, GError **error);
/* GPtrArray of CsPledge* (campaign_title filled from the cached campaign), newest first. */
void          cs_cache_list_pledges_async     (CsCache *self, const char *user_id,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
GPtrArray    *cs_cache_list_pledges_finish    (CsCache *self, GAsyncResult *result, GError **error);

/* ---- images ---- */
/* NULL without error when not cached. */
void          cs_cache_get_image_async        (CsCache *self, const char *url, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
GBytes       *cs_cache_get_image_finish       (CsCache *self, GAsyncResult *result, GError **error);
void          cs_cache_put_image_async        (CsCache *self, const char *url, GBytes *bytes,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_put_image_finish       (CsCache *self, GAsyncResult *result, GError **error);

/* ---- small state ---- */
/* NULL without error when unset. */
void          cs_cache_get_value_async        (CsCache *self, const char *key, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
char         *cs_cache_get_value_finish       (CsCache *self, GAsyncResult *result, GError **error);
/* @value NULL deletes the key. */
void          cs_cache_set_value_async        (CsCache *self, const char *key, const char *value,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_set_value_finish       (CsCache *self, GAsyncResult *result, GError **error);

/* ---- the outbox ---- */
/* Stores a write; returns its id.  @item's id, attempts, last_error, failed
 * and created_at are ignored. */
void          cs_cache_outbox_add_async       (CsCache *self, const CsOutboxItem *item,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gint64        cs_cache_outbox_add_finish      (CsCache *self, GAsyncResult *result, GError **error);
/* Every item, oldest first (GPtrArray of CsOutboxItem*). */
void          cs_cache_outbox_list_async      (CsCache *self, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
GPtrArray    *cs_cache_outbox_list_finish     (CsCache *self, GAsyncResult *result, GError **error);
/* Sent: removes @id; when @pledge is not NULL, upserts it into @user_id's
 * pledges in the same transaction. */
void          cs_cache_outbox_done_async      (CsCache *self, gint64 id, const char *user_id,
                                               const CsPledge *pledge, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_outbox_done_finish     (CsCache *self, GAsyncResult *result, GError **error);
/* Records a failed attempt (attempts + 1, last_error); @give_up marks it failed. */
void          cs_cache_outbox_failed_async    (CsCache *self, gint64 id, const char *message,
                                               gboolean give_up, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_outbox_failed_finish   (CsCache *self, GAsyncResult *result, GError **error);
/* Removes an item (the user dismissed a failed write). */
void          cs_cache_outbox_remove_async    (CsCache *self, gint64 id, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_outbox_remove_finish   (CsCache *self, GAsyncResult *result, GError **error);

/* Sign-out: forgets the user's pledges, the outbox and the sync cursor. */
void          cs_cache_forget_user_async      (CsCache *self, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_cache_forget_user_finish     (CsCache *self, GAsyncResult *result, GError **error);

/* For tests and benchmarks: the same queries, run on the calling thread
 * (never call these from the main thread of the app). */
GPtrArray    *cs_cache_query_campaigns_sync   (CsCache *self, const CsCacheQuery *query, GError **error);
gboolean      cs_cache_put_campaigns_sync     (CsCache *self, GPtrArray *campaigns, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsOutboxItem, cs_outbox_item_free)

G_END_DECLS
