/* test-cache.c: the offline cache (real SQLite files in a temp folder) and
 * the list models read from it.  No server: sync pages are built by hand. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cs-cache.h"
#include "cs-campaign-list.h"
#include "cs-pledge-list.h"

#define WAIT_SECONDS 20

typedef struct {
  char    *dir;
  char    *path;
  CsCache *cache;
} Fixture;

/* ---- helpers ---- */

static gboolean
timeout_cb (gpointer data)
{
  g_error ("timed out waiting for %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until *@flag (fails the test after a while). */
static void
wait_until (gboolean *flag, const char *what)
{
  guint id = g_timeout_add_seconds (WAIT_SECONDS, timeout_cb, (gpointer) what);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

static void
result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
await (GAsyncResult **slot)
{
  guint id = g_timeout_add_seconds (WAIT_SECONDS, timeout_cb, "an async result");

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  return *slot;
}

/* Runs pending idle callbacks (the "changed" signals) until none is left. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
remove_cache_files (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cs-cache-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "cache.db", NULL);
  f->cache = cs_cache_new (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->cache);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->cache);
  drain ();
  remove_cache_files (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static gint64
file_user_version (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  gint64 version = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &st, NULL), ==, SQLITE_OK);
  if (sqlite3_step (st) == SQLITE_ROW)
    version = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (db);
  return version;
}

static CsCampaign *
make_campaign (const char *id, const char *title, const char *category, CsCampaignStatus status,
               gint64 goal, gint64 current, gint64 backers, gint64 published_at, gint64 end_date)
{
  CsCampaign *c = cs_campaign_new ();

  c->id = g_strdup (id);
  c->creator_id = g_strdup ("usr_creator");
  c->creator.id = g_strdup ("usr_creator");
  c->creator.username = g_strdup ("maker");
  c->creator.display_name = g_strdup ("Zoë Müller");
  c->title = g_strdup (title);
  c->description = g_strdup_printf ("The story of %s.\n\nMore details follow.", title);
  c->category = g_strdup (category);
  c->goal_amount = goal;
  c->current_amount = current;
  g_strlcpy (c->currency, "EUR", sizeof c->currency);
  c->backer_count = backers;
  c->status = status;
  c->duration_days = 30;
  c->start_date = published_at;
  c->end_date = end_date;
  c->created_at = published_at > 0 ? published_at - 100 : cs_now_seconds () - 100;
  c->updated_at = c->created_at;
  c->published_at = published_at;
  return c;
}

static void
add_tier (CsCampaign *c, const char *id, const char *title, gint position)
{
  CsRewardTier *t = cs_reward_tier_new ();

  t->id = g_strdup (id);
  t->campaign_id = g_strdup (c->id);
  t->title = g_strdup (title);
  t->description = g_strdup ("");
  t->minimum_pledge = 1000 * (position + 1);
  t->position = position;
  g_ptr_array_add (c->rewards, t);
}

static CsPledge *
make_pledge (const char *id, const char *campaign_id, CsPledgeStatus status, gint64 amount,
             const char *currency, gint64 created_at)
{
  CsPledge *p = cs_pledge_new ();

  p->id = g_strdup (id);
  p->backer_id = g_strdup ("usr_backer");
  p->campaign_id = g_strdup (campaign_id);
  p->amount = amount;
  g_strlcpy (p->currency, currency, sizeof p->currency);
  p->status = status;
  p->created_at = created_at;
  p->updated_at = created_at;
  p->campaign_title = g_strdup ("Title sent by the server");
  return p;
}

static void
tombstone_free (CsApiTombstone *t)
{
  g_free (t->type);
  g_free (t->id);
  g_free (t->campaign_id);
  g_free (t);
}

static CsApiTombstone *
make_tombstone (const char *type, const char *id)
{
  CsApiTombstone *t = g_new0 (CsApiTombstone, 1);

  t->type = g_strdup (type);
  t->id = g_strdup (id);
  t->deleted_at = cs_now_seconds ();
  return t;
}

static void
sync_page_free (CsApiSyncPage *page)
{
  g_ptr_array_unref (page->campaigns);
  g_ptr_array_unref (page->tombstones);
  g_free (page->next_cursor);
  g_free (page);
}

/* Built and freed here, without cs-api-client.c. */
typedef CsApiSyncPage TestSyncPage;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestSyncPage, sync_page_free)

static CsApiSyncPage *
sync_page_new (const char *cursor)
{
  CsApiSyncPage *page = g_new0 (CsApiSyncPage, 1);

  page->campaigns = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  page->tombstones = g_ptr_array_new_with_free_func ((GDestroyNotify) tombstone_free);
  page->next_cursor = g_strdup (cursor);
  return page;
}

static void
apply_sync (CsCache *cache, const CsApiSyncPage *page)
{
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;

  cs_cache_apply_sync_async (cache, page, NULL, result_cb, &r);
  g_assert_true (cs_cache_apply_sync_finish (cache, await (&r), &error));
  g_assert_no_error (error);
}

static void
put_campaigns (CsCache *cache, GPtrArray *campaigns)
{
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;

  cs_cache_put_campaigns_async (cache, campaigns, NULL, result_cb, &r);
  g_assert_true (cs_cache_put_campaigns_finish (cache, await (&r), &error));
  g_assert_no_error (error);
}

static void
put_one (CsCache *cache, CsCampaign *campaign)
{
  g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);

  g_ptr_array_add (array, campaign);
  put_campaigns (cache, array);
}

static GPtrArray *
query (CsCache *cache, CsApiSort sort, const char *category, const char *text, guint limit,
       gboolean public_only)
{
  CsCacheQuery q = { sort, category, text, limit, public_only };
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *result;

  cs_cache_query_campaigns_async (cache, &q, NULL, result_cb, &r);
  result = cs_cache_query_campaigns_finish (cache, await (&r), &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

/* The ids of @campaigns, space-separated. */
static char *
ids_of (GPtrArray *campaigns)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < campaigns->len; i++)
    {
      const CsCampaign *c = g_ptr_array_index (campaigns, i);

      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, c->id);
    }
  return g_string_free (s, FALSE);
}

static char *
query_ids (CsCache *cache, CsApiSort sort, const char *category, const char *text, gboolean public_only)
{
  g_autoptr(GPtrArray) result = query (cache, sort, category, text, 0, public_only);

  return ids_of (result);
}

static CsCampaign *
get_campaign (CsCache *cache, const char *id, GError **error)
{
  g_autoptr(GAsyncResult) r = NULL;

  cs_cache_get_campaign_async (cache, id, NULL, result_cb, &r);
  return cs_cache_get_campaign_finish (cache, await (&r), error);
}

static char *
get_value (CsCache *cache, const char *key)
{
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  char *value;

  cs_cache_get_value_async (cache, key, NULL, result_cb, &r);
  value = cs_cache_get_value_finish (cache, await (&r), &error);
  g_assert_no_error (error);
  return value;
}

static void
set_value (CsCache *cache, const char *key, const char *value)
{
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;

  cs_cache_set_value_async (cache, key, value, NULL, result_cb, &r);
  g_assert_true (cs_cache_set_value_finish (cache, await (&r), &error));
  g_assert_no_error (error);
}

static void
put_pledges (CsCache *cache, const char *user_id, GPtrArray *pledges, gboolean replace_all)
{
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;

  cs_cache_put_pledges_async (cache, user_id, pledges, replace_all, NULL, result_cb, &r);
  g_assert_true (cs_cache_put_pledges_finish (cache, await (&r), &error));
  g_assert_no_error (error);
}

static GPtrArray *
list_pledges (CsCache *cache, const char *user_id)
{
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *pledges;

  cs_cache_list_pledges_async (cache, user_id, NULL, result_cb, &r);
  pledges = cs_cache_list_pledges_finish (cache, await (&r), &error);
  g_assert_no_error (error);
  return pledges;
}

static gint64
outbox_add (CsCache *cache, const char *key, const char *target_id)
{
  CsOutboxItem item = {
    .kind = (char *) "pledge.cancel", .method = (char *) "POST",
    .path = (char *) "/api/v1/pledges/x/cancel", .body = NULL,
    .idempotency_key = (char *) key, .target_id = (char *) target_id,
  };
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  cs_cache_outbox_add_async (cache, &item, NULL, result_cb, &r);
  id = cs_cache_outbox_add_finish (cache, await (&r), &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static GPtrArray *
outbox_list (CsCache *cache)
{
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *items;

  cs_cache_outbox_list_async (cache, NULL, result_cb, &r);
  items = cs_cache_outbox_list_finish (cache, await (&r), &error);
  g_assert_no_error (error);
  return items;
}

static void
changed_cb (CsCache *cache, gpointer user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* ---- tests: schema ---- */

static void
test_migrations (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) none = NULL;

  g_assert_cmpstr (cs_cache_get_path (f->cache), ==, f->path);
  g_assert_cmpint (file_user_version (f->path), ==, CS_CACHE_SCHEMA_VERSION);
  none = query (f->cache, CS_API_SORT_TRENDING, NULL, "anything", 0, FALSE);
  g_assert_cmpuint (none->len, ==, 0);

  /* Opening again migrates nothing and keeps the data. */
  put_one (f->cache, make_campaign ("cmp_a", "Solar kettle", "design", CS_CAMPAIGN_LIVE,
                                    1000, 10, 1, cs_now_seconds () - 3600, cs_now_seconds () + 86400));
  g_clear_object (&f->cache);
  drain ();
  f->cache = cs_cache_new (f->path, &error);
  g_assert_no_error (error);
  {
    g_autofree char *ids = query_ids (f->cache, CS_API_SORT_NEWEST, NULL, "kettle", FALSE);

    g_assert_cmpstr (ids, ==, "cmp_a");
  }
  g_assert_cmpint (file_user_version (f->path), ==, 2);
}

static void
test_upgrade_v1 (void)
{
  const char *data_dir = g_getenv ("CS_TEST_DATA_DIR");
  g_autofree char *dump_path = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCache) cache = NULL;
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_nonnull (data_dir);
  dump_path = g_build_filename (data_dir, "cache-v1.sql", NULL);
  g_file_get_contents (dump_path, &dump, NULL, &error);
  g_assert_no_error (error);

  dir = g_dir_make_tmp ("cs-cache-v1-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cache.db", NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, dump, NULL, NULL, &message) != SQLITE_OK)
    g_error ("loading cache-v1.sql: %s", message);
  sqlite3_close (db);
  g_assert_cmpint (file_user_version (path), ==, 1);

  cache = cs_cache_new (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (file_user_version (path), ==, 2);

  /* The rows of version 1 are found by the search of version 2 (title,
   * creator, category, story; accents folded; prefixes). */
  {
    g_autofree char *a = query_ids (cache, CS_API_SORT_NEWEST, NULL, "cafe", FALSE);
    g_autofree char *b = query_ids (cache, CS_API_SORT_NEWEST, NULL, "Hélène", FALSE);
    g_autofree char *c = query_ids (cache, CS_API_SORT_NEWEST, NULL, "boardga", FALSE);
    g_autofree char *d = query_ids (cache, CS_API_SORT_NEWEST, NULL, "lighthouse keeper", FALSE);
    g_autofree char *all = query_ids (cache, CS_API_SORT_NEWEST, NULL, NULL, FALSE);

    g_assert_cmpstr (a, ==, "cmp_v1cafe");
    g_assert_cmpstr (b, ==, "cmp_v1cafe");
    g_assert_cmpstr (c, ==, "cmp_v1game");
    g_assert_cmpstr (d, ==, "cmp_v1film");
    g_assert_cmpstr (all, ==, "cmp_v1film cmp_v1cafe cmp_v1game");
  }
  /* Old tiers, pledges and the outbox survived. */
  {
    g_autoptr(CsCampaign) c = get_campaign (cache, "cmp_v1game", &error);
    g_autoptr(GPtrArray) pledges = list_pledges (cache, "usr_v1");
    g_autoptr(GPtrArray) outbox = outbox_list (cache);

    g_assert_no_error (error);
    g_assert_cmpuint (c->rewards->len, ==, 2);
    g_assert_cmpuint (pledges->len, ==, 1);
    g_assert_cmpstr (((CsPledge *) pledges->pdata[0])->campaign_title, ==, "Dungeon Boardgame");
    g_assert_cmpuint (outbox->len, ==, 1);
  }
  /* And the triggers keep the index in step from now on. */
  put_one (cache, make_campaign ("cmp_new", "Café racer motorbike", "design", CS_CAMPAIGN_LIVE,
                                 1000, 0, 0, cs_now_seconds () - 60, cs_now_seconds () + 86400));
  {
    g_autofree char *a = query_ids (cache, CS_API_SORT_MOST_FUNDED, NULL, "café", FALSE);

    g_assert_cmpstr (a, ==, "cmp_v1cafe cmp_new");
  }

  g_clear_object (&cache);
  drain ();
  remove_cache_files (path);
  g_rmdir (dir);
}

static void
test_newer_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cs-cache-new-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(CsCache) cache = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE future (x); PRAGMA user_version = 3", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);

  cache = cs_cache_new (path, &error);
  g_assert_null (cache);
  g_assert_error (error, CS_ERROR, CS_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "newer"));
  /* Left as it was. */
  g_assert_cmpint (file_user_version (path), ==, 3);

  remove_cache_files (path);
  g_rmdir (dir);
}

/* ---- tests: campaigns ---- */

static void
test_apply_sync (Fixture *f, gconstpointer data)
{
  gint64 now = cs_now_seconds ();
  g_autoptr(TestSyncPage) page = sync_page_new ("cursor-1");
  g_autoptr(TestSyncPage) page2 = sync_page_new ("cursor-2");
  g_autoptr(GError) error = NULL;
  CsCampaign *a, *b;
  guint changed = 0;
  g_autofree char *cursor = NULL;

  g_signal_connect (f->cache, "changed::campaigns", G_CALLBACK (changed_cb), &changed);

  a = make_campaign ("cmp_a", "Alpha", "games", CS_CAMPAIGN_LIVE, 1000, 500, 5, now - 3600, now + 86400);
  add_tier (a, "tier_a1", "Sticker", 0);
  add_tier (a, "tier_a2", "Poster", 1);
  b = make_campaign ("cmp_b", "Beta", "music", CS_CAMPAIGN_LIVE, 1000, 100, 1, now - 3600, now + 86400);
  add_tier (b, "tier_b1", "Album", 0);
  g_ptr_array_add (page->campaigns, a);
  g_ptr_array_add (page->campaigns, b);
  apply_sync (f->cache, page);
  drain ();
  g_assert_cmpuint (changed, ==, 1);

  cursor = get_value (f->cache, "sync.cursor");
  g_assert_cmpstr (cursor, ==, "cursor-1");
  {
    g_autoptr(CsCampaign) got = get_campaign (f->cache, "cmp_a", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (got->title, ==, "Alpha");
    g_assert_cmpstr (got->creator.display_name, ==, "Zoë Müller");
    g_assert_cmpstr (got->currency, ==, "EUR");
    g_assert_cmpint (got->status, ==, CS_CAMPAIGN_LIVE);
    g_assert_cmpuint (got->rewards->len, ==, 2);
    g_assert_cmpstr (((CsRewardTier *) got->rewards->pdata[0])->title, ==, "Sticker");
    g_assert_cmpint (((CsRewardTier *) got->rewards->pdata[1])->quantity_available, ==, -1);
  }

  /* A summary (no rewards, story cut) keeps the tiers and the whole story. */
  {
    CsCampaign *summary = make_campaign ("cmp_a", "Alpha renamed", "games", CS_CAMPAIGN_LIVE,
                                         1000, 600, 6, now - 3600, now + 86400);
    g_autoptr(CsCampaign) got = NULL;

    g_free (summary->description);
    summary->description = g_strdup ("The story of…");
    put_one (f->cache, summary);
    got = get_campaign (f->cache, "cmp_a", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (got->title, ==, "Alpha renamed");
    g_assert_cmpint (got->current_amount, ==, 600);
    g_assert_cmpuint (got->rewards->len, ==, 2);
    g_assert_cmpstr (got->description, ==, "The story of Alpha.\n\nMore details follow.");
  }

  /* A pledge of the user on cmp_b, which is then deleted: the pledge stays. */
  {
    g_autoptr(GPtrArray) pledges = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_pledge_free);

    g_ptr_array_add (pledges, make_pledge ("pl_1", "cmp_b", CS_PLEDGE_AUTHORIZED, 2000, "EUR", now));
    put_pledges (f->cache, "usr_backer", pledges, TRUE);
  }

  /* Tombstones: a campaign (with its tiers) and one tier of another. */
  g_ptr_array_add (page2->tombstones, make_tombstone ("campaign", "cmp_b"));
  g_ptr_array_add (page2->tombstones, make_tombstone ("reward_tier", "tier_a2"));
  g_ptr_array_add (page2->tombstones, make_tombstone ("update", "upd_x"));
  apply_sync (f->cache, page2);
  drain ();
  g_assert_cmpuint (changed, ==, 3);
  {
    g_autoptr(CsCampaign) gone = get_campaign (f->cache, "cmp_b", &error);
    g_autoptr(CsCampaign) got = NULL;
    g_autoptr(GPtrArray) pledges = NULL;
    g_autofree char *cursor2 = get_value (f->cache, "sync.cursor");

    g_assert_null (gone);
    g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
    g_clear_error (&error);
    got = get_campaign (f->cache, "cmp_a", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (got->rewards->len, ==, 1);
    g_assert_cmpstr (cursor2, ==, "cursor-2");
    pledges = list_pledges (f->cache, "usr_backer");
    g_assert_cmpuint (pledges->len, ==, 1);
    /* The campaign is gone: the title the server sent is used. */
    g_assert_cmpstr (((CsPledge *) pledges->pdata[0])->campaign_title, ==, "Title sent by the server");
  }
  /* The search forgot the deleted campaign. */
  {
    g_autofree char *ids = query_ids (f->cache, CS_API_SORT_NEWEST, NULL, "beta", FALSE);

    g_assert_cmpstr (ids, ==, "");
  }
}

/* Campaigns for the sort tests:
 *   id     status      category  goal  current backers  published   end
 *   c_hot  live        games     1000  500     50       now-1d      now+5d
 *   c_old  live        games     1000  900     60       now-30d     now+1d
 *   c_new  live        music     1000  100     1        now-1h      now+20d
 *   c_win  successful  games     1000  2000    80       now-40d     now-1d
 *   c_lost failed      music     1000  10      1        now-50d     now-2d
 *   c_drft draft       games     1000  0       0        0           0
 *   c_susp suspended   music     1000  300     3        now-10d     now+3d
 */
static void
fill_sort_set (CsCache *cache)
{
  gint64 now = cs_now_seconds (), day = 86400;
  g_autoptr(GPtrArray) set = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);

  g_ptr_array_add (set, make_campaign ("c_hot", "Hot dice", "games", CS_CAMPAIGN_LIVE, 1000, 500, 50, now - day, now + 5 * day));
  g_ptr_array_add (set, make_campaign ("c_old", "Old cards", "games", CS_CAMPAIGN_LIVE, 1000, 900, 60, now - 30 * day, now + day));
  g_ptr_array_add (set, make_campaign ("c_new", "New song", "music", CS_CAMPAIGN_LIVE, 1000, 100, 1, now - 3600, now + 20 * day));
  g_ptr_array_add (set, make_campaign ("c_win", "Won board", "games", CS_CAMPAIGN_SUCCESSFUL, 1000, 2000, 80, now - 40 * day, now - day));
  g_ptr_array_add (set, make_campaign ("c_lost", "Lost album", "music", CS_CAMPAIGN_FAILED, 1000, 10, 1, now - 50 * day, now - 2 * day));
  g_ptr_array_add (set, make_campaign ("c_drft", "Draft game", "games", CS_CAMPAIGN_DRAFT, 1000, 0, 0, 0, 0));
  g_ptr_array_add (set, make_campaign ("c_susp", "Paused band", "music", CS_CAMPAIGN_SUSPENDED, 1000, 300, 3, now - 10 * day, now + 3 * day));
  put_campaigns (cache, set);
}

static void
test_sorts (Fixture *f, gconstpointer data)
{
  struct {
    CsApiSort   sort;
    const char *category;
    gboolean    public_only;
    const char *expected;
  } cases[] = {
    /* trending: only live campaigns score (backers per day since published):
     * hot 50/day, old 2/day, new 1/day (an hour counts as a day); then
     * percent funded. */
    { CS_API_SORT_TRENDING, NULL, TRUE, "c_hot c_old c_new c_win c_lost" },
    { CS_API_SORT_TRENDING, NULL, FALSE, "c_hot c_old c_new c_win c_susp c_lost c_drft" },
    { CS_API_SORT_NEWEST, NULL, TRUE, "c_new c_hot c_old c_win c_lost" },
    { CS_API_SORT_NEWEST, NULL, FALSE, "c_drft c_new c_hot c_susp c_old c_win c_lost" },
    { CS_API_SORT_ENDING_SOON, NULL, TRUE, "c_old c_hot c_new" },
    { CS_API_SORT_ENDING_SOON, NULL, FALSE, "c_old c_hot c_new" },
    { CS_API_SORT_MOST_FUNDED, NULL, TRUE, "c_win c_old c_hot c_new c_lost" },
    { CS_API_SORT_MOST_FUNDED, "games", TRUE, "c_win c_old c_hot" },
    { CS_API_SORT_MOST_FUNDED, "music", FALSE, "c_susp c_new c_lost" },
    { CS_API_SORT_NEWEST, "music", TRUE, "c_new c_lost" },
    { CS_API_SORT_TRENDING, "games", TRUE, "c_hot c_old c_win" },
    { CS_API_SORT_ENDING_SOON, "music", TRUE, "c_new" },
    { CS_API_SORT_NEWEST, "nothing-here", TRUE, "" },
  };

  fill_sort_set (f->cache);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ids = query_ids (f->cache, cases[i].sort, cases[i].category, NULL, cases[i].public_only);

      g_test_message ("case %u", i);
      g_assert_cmpstr (ids, ==, cases[i].expected);
    }

  /* The limit. */
  {
    g_autoptr(GPtrArray) two = query (f->cache, CS_API_SORT_MOST_FUNDED, NULL, NULL, 2, TRUE);
    g_autofree char *ids = ids_of (two);

    g_assert_cmpstr (ids, ==, "c_win c_old");
  }

  /* A live progress event moves a campaign up. */
  {
    g_autoptr(GAsyncResult) r = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *ids = NULL;
    guint changed = 0;

    g_signal_connect (f->cache, "changed::campaigns", G_CALLBACK (changed_cb), &changed);
    cs_cache_update_progress_async (f->cache, "c_new", 5000, 500, NULL, NULL, result_cb, &r);
    g_assert_true (cs_cache_update_progress_finish (f->cache, await (&r), &error));
    g_assert_no_error (error);
    drain ();
    g_assert_cmpuint (changed, ==, 1);
    ids = query_ids (f->cache, CS_API_SORT_TRENDING, NULL, NULL, TRUE);
    g_assert_cmpstr (ids, ==, "c_new c_hot c_old c_win c_lost");
    g_clear_pointer (&ids, g_free);
    ids = query_ids (f->cache, CS_API_SORT_MOST_FUNDED, NULL, NULL, TRUE);
    g_assert_cmpstr (ids, ==, "c_new c_win c_old c_hot c_lost");

    /* A status change through progress (settled): out of trending's lead. */
    g_clear_object (&r);
    cs_cache_update_progress_async (f->cache, "c_new", 5000, 500, "successful", NULL, result_cb, &r);
    g_assert_true (cs_cache_update_progress_finish (f->cache, await (&r), &error));
    g_clear_pointer (&ids, g_free);
    ids = query_ids (f->cache, CS_API_SORT_TRENDING, NULL, NULL, TRUE);
    g_assert_cmpstr (ids, ==, "c_hot c_old c_new c_win c_lost");

    /* An unknown status is refused; an unknown campaign is no error. */
    g_clear_object (&r);
    cs_cache_update_progress_async (f->cache, "c_new", 1, 1, "exploded", NULL, result_cb, &r);
    g_assert_false (cs_cache_update_progress_finish (f->cache, await (&r), &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
    g_clear_error (&error);
    g_clear_object (&r);
    cs_cache_update_progress_async (f->cache, "cmp_unknown", 1, 1, NULL, NULL, result_cb, &r);
    g_assert_true (cs_cache_update_progress_finish (f->cache, await (&r), &error));
    g_assert_no_error (error);
  }

  /* The sync test variants. */
  {
    CsCacheQuery q = { CS_API_SORT_NEWEST, "games", NULL, 0, TRUE };
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) got = cs_cache_query_campaigns_sync (f->cache, &q, &error);
    g_autofree char *ids = NULL;

    g_assert_no_error (error);
    ids = ids_of (got);
    g_assert_cmpstr (ids, ==, "c_hot c_old c_win");
  }
}

static void
test_categories (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) categories = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_category_free);
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) got = NULL;
  CsCategory *c;

  fill_sort_set (f->cache);
  c = g_new0 (CsCategory, 1);
  c->slug = g_strdup ("music");
  c->name = g_strdup ("Music");
  g_ptr_array_add (categories, c);
  c = g_new0 (CsCategory, 1);
  c->slug = g_strdup ("art");
  c->name = g_strdup ("Art");
  g_ptr_array_add (categories, c);
  cs_cache_put_categories_async (f->cache, categories, NULL, result_cb, &r);
  g_assert_true (cs_cache_put_categories_finish (f->cache, await (&r), &error));
  g_assert_no_error (error);

  g_clear_object (&r);
  cs_cache_list_categories_async (f->cache, NULL, result_cb, &r);
  got = cs_cache_list_categories_finish (f->cache, await (&r), &error);
  g_assert_no_error (error);
  /* By name; "games" has no name from the server: its slug stands in. */
  g_assert_cmpuint (got->len, ==, 3);
  c = got->pdata[0];
  g_assert_cmpstr (c->slug, ==, "art");
  g_assert_cmpint (c->live_count, ==, 0);
  c = got->pdata[1];
  g_assert_cmpstr (c->name, ==, "games");
  g_assert_cmpint (c->live_count, ==, 2);
  c = got->pdata[2];
  g_assert_cmpstr (c->name, ==, "Music");
  g_assert_cmpint (c->live_count, ==, 1);
}

static void
test_search (Fixture *f, gconstpointer data)
{
  gint64 now = cs_now_seconds ();
  g_autoptr(GPtrArray) set = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  CsCampaign *c;
  struct {
    const char *text;
    const char *expected;
  } cases[] = {
    { "café", "s_cafe" },
    { "cafe", "s_cafe" },
    { "CAFÉ", "s_cafe" },
    { "caf", "s_cafe" },
    { "naïve robots", "s_robot" },
    { "naive rob", "s_robot" },
    { "rob naive", "s_robot" },
    { "zoe", "s_robot s_cafe" },            /* the creator's display name */
    { "muller", "s_robot s_cafe" },
    { "maker", "s_robot s_cafe" },         /* username */
    { "photography", "s_photo" },          /* category */
    { "lighthouse", "s_photo" },           /* story */
    { "garden", "" },
    /* Hostile input: never an error, FTS syntax is only ever words. */
    { "\"", "s_robot s_photo s_cafe" },    /* no word: no text filter */
    { "\"café", "s_cafe" },
    { "café\" OR \"robots", "" },          /* four words, all required (OR matches nothing) */
    { "robots AND", "" },
    { "AND", "" },
    { "*", "s_robot s_photo s_cafe" },
    { "caf*", "s_cafe" },
    { "NEAR(café robots", "" },
    { "NEAR(", "" },
    { "robots)", "s_robot" },
    { "^robots", "s_robot" },
    { "-robots", "s_robot" },
    { "title:robots", "" },
    { "{title}: robots", "" },
    { "café'; DROP TABLE campaigns; --", "" },
  };

  c = make_campaign ("s_cafe", "Café Crème corner", "food", CS_CAMPAIGN_LIVE, 1000, 10, 1, now - 300, now + 86400);
  g_ptr_array_add (set, c);
  c = make_campaign ("s_robot", "Naïve robots for kids", "technology", CS_CAMPAIGN_LIVE, 1000, 10, 1, now - 200, now + 86400);
  g_ptr_array_add (set, c);
  c = make_campaign ("s_photo", "Coastal pictures", "photography", CS_CAMPAIGN_LIVE, 1000, 10, 1, now - 250, now + 86400);
  g_free (c->description);
  c->description = g_strdup ("A year with the lighthouse keepers of Brittany.");
  g_free (c->creator.display_name);
  c->creator.display_name = g_strdup ("Ana Sousa");
  g_free (c->creator.username);
  c->creator.username = g_strdup ("ana");
  g_ptr_array_add (set, c);
  put_campaigns (f->cache, set);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ids = query_ids (f->cache, CS_API_SORT_NEWEST, NULL, cases[i].text, FALSE);

      g_test_message ("search «%s»", cases[i].text);
      g_assert_cmpstr (ids, ==, cases[i].expected);
    }

  /* An edited title is searched by its new words only. */
  c = make_campaign ("s_cafe", "Tea house", "food", CS_CAMPAIGN_LIVE, 1000, 10, 1, now - 300, now + 86400);
  put_one (f->cache, c);
  {
    g_autofree char *old = query_ids (f->cache, CS_API_SORT_NEWEST, NULL, "crème", FALSE);
    g_autofree char *new = query_ids (f->cache, CS_API_SORT_NEWEST, NULL, "tea", FALSE);

    g_assert_cmpstr (old, ==, "");
    g_assert_cmpstr (new, ==, "s_cafe");
  }
  /* Search with a category and public_only. */
  {
    g_autofree char *ids = query_ids (f->cache, CS_API_SORT_TRENDING, "technology", "kids", TRUE);

    g_assert_cmpstr (ids, ==, "s_robot");
  }

  /* A word found in more than a thousand campaigns takes the other plan
   * (the sort index walked, each row tested): same answers. */
  g_ptr_array_set_size (set, 0);
  for (guint i = 0; i < 1100; i++)
    {
      g_autofree char *id = g_strdup_printf ("s_lamp%04u", i);

      g_ptr_array_add (set, make_campaign (id, "Paper lantern", i % 2 ? "crafts" : "design",
                                           CS_CAMPAIGN_LIVE, 1000, i, i % 50, now - 86400 - i, now + 86400));
    }
  put_campaigns (f->cache, set);
  {
    g_autoptr(GPtrArray) found = query (f->cache, CS_API_SORT_MOST_FUNDED, "crafts", "lant", 3, TRUE);
    g_autofree char *ids = ids_of (found);
    g_autoptr(GPtrArray) all = query (f->cache, CS_API_SORT_NEWEST, NULL, "paper lantern", 0, FALSE);
    g_autofree char *cafe = query_ids (f->cache, CS_API_SORT_NEWEST, NULL, "tea", FALSE);

    g_assert_cmpstr (ids, ==, "s_lamp1099 s_lamp1097 s_lamp1095");
    g_assert_cmpuint (all->len, ==, 1100);
    g_assert_cmpstr (cafe, ==, "s_cafe");
  }
}

/* The first @n ids of @all (space-separated). */
static char *
first_ids (const char *all, guint n)
{
  g_auto(GStrv) ids = g_strsplit (all, " ", n + 1);

  /* The last part holds the rest, if any. */
  if (g_strv_length (ids) > n)
    g_clear_pointer (&ids[n], g_free);
  return g_strjoinv (" ", ids);
}

/* Words found in most of 3,000 campaigns: a limited page may be answered
 * by testing the rows of the sort index against the words (cs-cache.c,
 * PROBE_SAMPLE), and gives up on that when a filter makes matches rare
 * (a category where the word is scarce).  Whatever the plan, a page is the
 * head of the full answer (no limit: always the FTS index). */
static void
test_search_common_words (Fixture *f, gconstpointer data)
{
  gint64 now = cs_now_seconds ();
  g_autoptr(GPtrArray) set = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  static const CsCampaignStatus statuses[] = {
    CS_CAMPAIGN_LIVE, CS_CAMPAIGN_SUCCESSFUL, CS_CAMPAIGN_LIVE, CS_CAMPAIGN_FAILED, CS_CAMPAIGN_CANCELLED,
  };
  static const char *texts[] = {
    "lant", "LANTÉRN walk", "zoe", "walks maker", "lantern \" OR \"pot", "lantern^ z", "xylo",
  };
  static const char *categories[] = { NULL, "crafts", "design" };

  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *id = g_strdup_printf ("s_common%04u", i);
      CsCampaign *c;

      /* Design: 600 busy campaigns without the word, 3 quiet ones with it. */
      if (i < 600)
        c = make_campaign (id, "Clay pot", "design", CS_CAMPAIGN_LIVE, 1000, 900, 1000 + i,
                           now - 3600 - i, now + 86400 + i);
      else if (i < 603)
        c = make_campaign (id, "Lantern walks", "design", CS_CAMPAIGN_LIVE, 1000, i, 1,
                           now - 86400 - i, now + 2 * 86400 - i);
      else
        c = make_campaign (id, i % 7 == 0 ? "Xylophone lantern walks" : "Lantern walks",
                           i % 2 ? "crafts" : "food", statuses[i % G_N_ELEMENTS (statuses)],
                           1000, (i * 37) % 1500, i % 90, now - 86400 - (i * 13) % 5000,
                           now + 86400 + (i * 17) % 9000);
      g_ptr_array_add (set, c);
    }
  put_campaigns (f->cache, set);

  for (CsApiSort sort = CS_API_SORT_TRENDING; sort <= CS_API_SORT_MOST_FUNDED; sort++)
    for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
      for (guint k = 0; k < G_N_ELEMENTS (categories); k++)
        for (guint p = 0; p < 2; p++)
          {
            g_autofree char *all = query_ids (f->cache, sort, categories[k], texts[t], p);
            g_autofree char *head = first_ids (all, 40);
            g_autoptr(GPtrArray) page = query (f->cache, sort, categories[k], texts[t], 40, p);
            g_autofree char *ids = ids_of (page);

            g_test_message ("sort %d, «%s», %s, public only %u", sort, texts[t],
                            categories[k] != NULL ? categories[k] : "all", p);
            g_assert_cmpstr (ids, ==, head);
          }

  /* Counts that tell a wrong plan apart. */
  {
    g_autoptr(GPtrArray) design = query (f->cache, CS_API_SORT_TRENDING, "design", "lantern", 10, FALSE);
    g_autoptr(GPtrArray) pots = query (f->cache, CS_API_SORT_TRENDING, NULL, "pot", 0, FALSE);
    g_autoptr(GPtrArray) walks = query (f->cache, CS_API_SORT_NEWEST, NULL, "walk", 0, FALSE);
    g_autoptr(GPtrArray) page = query (f->cache, CS_API_SORT_NEWEST, NULL, "zoe walk", 25, TRUE);

    g_assert_cmpuint (design->len, ==, 3);
    g_assert_cmpuint (pots->len, ==, 600);
    g_assert_cmpuint (walks->len, ==, 2400);
    g_assert_cmpuint (page->len, ==, 25);
  }
}

/* ---- tests: pledges, images, kv, outbox ---- */

static void
test_pledges (Fixture *f, gconstpointer data)
{
  gint64 now = cs_now_seconds ();
  g_autoptr(GPtrArray) pledges = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_pledge_free);
  g_autoptr(GPtrArray) got = NULL;
  CsCampaign *c = make_campaign ("cmp_p", "Cached title", "games", CS_CAMPAIGN_LIVE, 1000, 0, 0, now - 10, now + 86400);
  CsPledge *p;
  guint changed = 0;

  add_tier (c, "tier_p", "Cached tier", 0);
  put_one (f->cache, c);
  g_signal_connect (f->cache, "changed::pledges", G_CALLBACK (changed_cb), &changed);

  p = make_pledge ("pl_old", "cmp_p", CS_PLEDGE_COLLECTED, 1500, "EUR", now - 100);
  p->reward_tier_id = g_strdup ("tier_p");
  p->payment_method_id = g_strdup ("pm_x");
  g_ptr_array_add (pledges, p);
  g_ptr_array_add (pledges, make_pledge ("pl_new", "cmp_gone", CS_PLEDGE_CANCELLED, 700, "USD", now));
  put_pledges (f->cache, "usr_a", pledges, TRUE);
  drain ();
  g_assert_cmpuint (changed, ==, 1);

  got = list_pledges (f->cache, "usr_a");
  g_assert_cmpuint (got->len, ==, 2);
  p = got->pdata[0];
  g_assert_cmpstr (p->id, ==, "pl_new");
  g_assert_cmpstr (p->currency, ==, "USD");
  g_assert_cmpint (p->status, ==, CS_PLEDGE_CANCELLED);
  g_assert_cmpstr (p->campaign_title, ==, "Title sent by the server");
  p = got->pdata[1];
  g_assert_cmpstr (p->id, ==, "pl_old");
  g_assert_cmpstr (p->campaign_title, ==, "Cached title");
  g_assert_cmpstr (p->reward_title, ==, "Cached tier");
  g_assert_cmpstr (p->payment_method_id, ==, "pm_x");
  g_assert_cmpint (p->amount, ==, 1500);
  g_clear_pointer (&got, g_ptr_array_unref);

  /* Another user sees nothing; replace_all drops what is not sent again. */
  got = list_pledges (f->cache, "usr_b");
  g_assert_cmpuint (got->len, ==, 0);
  g_clear_pointer (&got, g_ptr_array_unref);
  g_ptr_array_remove_index (pledges, 1);
  put_pledges (f->cache, "usr_a", pledges, TRUE);
  got = list_pledges (f->cache, "usr_a");
  g_assert_cmpuint (got->len, ==, 1);
  g_clear_pointer (&got, g_ptr_array_unref);

  /* Without replace_all: an upsert. */
  g_ptr_array_set_size (pledges, 0);
  g_ptr_array_add (pledges, make_pledge ("pl_third", "cmp_p", CS_PLEDGE_PENDING, 100, "EUR", now + 5));
  put_pledges (f->cache, "usr_a", pledges, FALSE);
  got = list_pledges (f->cache, "usr_a");
  g_assert_cmpuint (got->len, ==, 2);
}

static void
test_images_and_values (Fixture *f, gconstpointer data)
{
  const guint8 png[] = { 0x89, 'P', 'N', 'G', 0, 1, 2, 3, 0 };
  g_autoptr(GBytes) bytes = g_bytes_new (png, sizeof png);
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autofree char *unset = NULL;
  g_autofree char *value = NULL;

  cs_cache_get_image_async (f->cache, "https://x/img.png", NULL, result_cb, &r);
  got = cs_cache_get_image_finish (f->cache, await (&r), &error);
  g_assert_no_error (error);
  g_assert_null (got);

  g_clear_object (&r);
  cs_cache_put_image_async (f->cache, "https://x/img.png", bytes, NULL, result_cb, &r);
  g_assert_true (cs_cache_put_image_finish (f->cache, await (&r), &error));
  g_assert_no_error (error);
  g_clear_object (&r);
  cs_cache_get_image_async (f->cache, "https://x/img.png", NULL, result_cb, &r);
  got = cs_cache_get_image_finish (f->cache, await (&r), &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_true (g_bytes_equal (got, bytes));

  unset = get_value (f->cache, "nothing");
  g_assert_null (unset);
  set_value (f->cache, "k", "v1");
  set_value (f->cache, "k", "v2");
  value = get_value (f->cache, "k");
  g_assert_cmpstr (value, ==, "v2");
  set_value (f->cache, "k", NULL);
  g_clear_pointer (&value, g_free);
  value = get_value (f->cache, "k");
  g_assert_null (value);
}

static void
test_outbox (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  CsOutboxItem *item;
  gint64 first, second, again;
  guint changed = 0, pledges_changed = 0;

  g_signal_connect (f->cache, "changed::outbox", G_CALLBACK (changed_cb), &changed);
  g_signal_connect (f->cache, "changed::pledges", G_CALLBACK (changed_cb), &pledges_changed);
  first = outbox_add (f->cache, "key-1", "pl_1");
  second = outbox_add (f->cache, "key-2", "pl_2");
  again = outbox_add (f->cache, "key-1", "pl_1");   /* the same write */
  g_assert_cmpint (again, ==, first);
  g_assert_cmpint (second, >, first);
  drain ();
  g_assert_cmpuint (changed, ==, 3);

  /* A write without an idempotency key is refused. */
  {
    CsOutboxItem bad = { .kind = (char *) "x", .method = (char *) "POST", .path = (char *) "/" };

    cs_cache_outbox_add_async (f->cache, &bad, NULL, result_cb, &r);
    g_assert_cmpint (cs_cache_outbox_add_finish (f->cache, await (&r), &error), ==, -1);
    g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
    g_clear_error (&error);
    g_clear_object (&r);
  }

  cs_cache_outbox_failed_async (f->cache, first, "Server unavailable", FALSE, NULL, result_cb, &r);
  g_assert_true (cs_cache_outbox_failed_finish (f->cache, await (&r), &error));
  g_clear_object (&r);
  cs_cache_outbox_failed_async (f->cache, second, "Refused", TRUE, NULL, result_cb, &r);
  g_assert_true (cs_cache_outbox_failed_finish (f->cache, await (&r), &error));
  g_clear_object (&r);
  g_assert_no_error (error);

  /* It survives closing and opening again. */
  g_clear_object (&f->cache);
  drain ();
  f->cache = cs_cache_new (f->path, &error);
  g_assert_no_error (error);
  changed = 0;
  g_signal_connect (f->cache, "changed::outbox", G_CALLBACK (changed_cb), &changed);
  g_signal_connect (f->cache, "changed::pledges", G_CALLBACK (changed_cb), &pledges_changed);

  items = outbox_list (f->cache);
  g_assert_cmpuint (items->len, ==, 2);
  item = items->pdata[0];
  g_assert_cmpint (item->id, ==, first);
  g_assert_cmpstr (item->kind, ==, "pledge.cancel");
  g_assert_cmpstr (item->method, ==, "POST");
  g_assert_cmpstr (item->path, ==, "/api/v1/pledges/x/cancel");
  g_assert_null (item->body);
  g_assert_cmpstr (item->idempotency_key, ==, "key-1");
  g_assert_cmpstr (item->target_id, ==, "pl_1");
  g_assert_cmpint (item->attempts, ==, 1);
  g_assert_cmpstr (item->last_error, ==, "Server unavailable");
  g_assert_false (item->failed);
  g_assert_cmpint (item->created_at, >, 0);
  item = items->pdata[1];
  g_assert_true (item->failed);
  g_assert_cmpstr (item->last_error, ==, "Refused");
  g_clear_pointer (&items, g_ptr_array_unref);

  /* Done, with the pledge the server answered: one transaction. */
  {
    g_autoptr(CsPledge) p = make_pledge ("pl_1", "cmp_x", CS_PLEDGE_CANCELLED, 500, "EUR", 10);
    g_autoptr(GPtrArray) pledges = NULL;

    cs_cache_outbox_done_async (f->cache, first, "usr_a", p, NULL, result_cb, &r);
    g_assert_true (cs_cache_outbox_done_finish (f->cache, await (&r), &error));
    g_assert_no_error (error);
    g_clear_object (&r);
    pledges = list_pledges (f->cache, "usr_a");
    g_assert_cmpuint (pledges->len, ==, 1);
    g_assert_cmpint (((CsPledge *) pledges->pdata[0])->status, ==, CS_PLEDGE_CANCELLED);
  }
  cs_cache_outbox_remove_async (f->cache, second, NULL, result_cb, &r);
  g_assert_true (cs_cache_outbox_remove_finish (f->cache, await (&r), &error));
  g_assert_no_error (error);
  g_clear_object (&r);
  items = outbox_list (f->cache);
  g_assert_cmpuint (items->len, ==, 0);
  drain ();
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpuint (pledges_changed, ==, 1);

  /* Sign-out forgets pledges, outbox and cursor. */
  outbox_add (f->cache, "key-3", NULL);
  set_value (f->cache, "sync.cursor", "c");
  cs_cache_forget_user_async (f->cache, NULL, result_cb, &r);
  g_assert_true (cs_cache_forget_user_finish (f->cache, await (&r), &error));
  g_assert_no_error (error);
  g_clear_pointer (&items, g_ptr_array_unref);
  items = outbox_list (f->cache);
  g_assert_cmpuint (items->len, ==, 0);
  {
    g_autoptr(GPtrArray) pledges = list_pledges (f->cache, "usr_a");
    g_autofree char *cursor = get_value (f->cache, "sync.cursor");

    g_assert_cmpuint (pledges->len, ==, 0);
    g_assert_null (cursor);
  }
}

static void
test_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  cs_cache_get_value_async (f->cache, "k", cancellable, result_cb, &r);
  g_assert_null (cs_cache_get_value_finish (f->cache, await (&r), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- tests: list models ---- */

typedef struct {
  GListModel *model;
  GPtrArray  *mirror;     /* the items as the signals said */
  guint       signals;
  guint       removed;
  guint       added;
  guint       notifies;
} Watch;

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added, gpointer user_data)
{
  Watch *w = user_data;

  w->signals++;
  w->removed += removed;
  w->added += added;
  g_assert_cmpuint (position + removed, <=, w->mirror->len);
  g_ptr_array_remove_range (w->mirror, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (w->mirror, position + i, g_list_model_get_item (model, position + i));
}

static void
watch_init (Watch *w, GListModel *model)
{
  w->model = model;
  w->mirror = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), w);
}

static void
watch_reset (Watch *w)
{
  w->signals = w->removed = w->added = w->notifies = 0;
}

static void
watch_check_mirror (Watch *w)
{
  g_assert_cmpuint (w->mirror->len, ==, g_list_model_get_n_items (w->model));
  for (guint i = 0; i < w->mirror->len; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (w->model, i);

      g_assert_true (item == w->mirror->pdata[i]);
    }
}

static void
watch_clear (Watch *w)
{
  g_signal_handlers_disconnect_by_data (w->model, w);
  g_ptr_array_unref (w->mirror);
}

static void
notify_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  Watch *w = user_data;

  w->notifies++;
}

static void
loading_done_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  gboolean loading;

  g_object_get (object, "loading", &loading, NULL);
  if (!loading)
    *(gboolean *) user_data = TRUE;
}

static const char *
item_id (GListModel *model, guint i)
{
  g_autoptr(CsCampaignItem) item = g_list_model_get_item (model, i);

  return cs_campaign_item_get_id (item);   /* the list keeps it alive */
}

/* Waits until a list has read the cache after a change: "changed" (emitted
 * before the write's callback) starts the list's read on the one worker, so
 * a query queued after it completes after it. */
static void
settle (CsCache *cache)
{
  /* A reload is at most two reads (pledges, then the outbox), and one more
   * reload may be due after it. */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(GPtrArray) after = query (cache, CS_API_SORT_NEWEST, NULL, NULL, 1, FALSE);

      drain ();
    }
}

static void
test_campaign_list (Fixture *f, gconstpointer data)
{
  g_autoptr(CsCampaignList) list = cs_campaign_list_new (f->cache);
  CsCacheQuery q = { CS_API_SORT_MOST_FUNDED, NULL, NULL, 0, TRUE };
  gint64 now = cs_now_seconds ();
  gboolean loaded = FALSE;
  CsCampaignItem *hot;
  g_autoptr(GObject) hot_ref = NULL;
  Watch w = { 0 };
  g_autofree char *title = NULL;
  gint64 amount;
  gint percent;

  fill_sort_set (f->cache);
  drain ();
  watch_init (&w, G_LIST_MODEL (list));
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (list)) == CS_TYPE_CAMPAIGN_ITEM);
  g_assert_false (cs_campaign_list_get_loading (list));

  g_signal_connect (list, "notify::loading", G_CALLBACK (loading_done_cb), &loaded);
  cs_campaign_list_set_query (list, &q);
  g_assert_true (cs_campaign_list_get_loading (list));
  wait_until (&loaded, "the first read");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 5);
  g_assert_cmpuint (w.signals, ==, 1);
  watch_check_mirror (&w);
  g_assert_cmpstr (item_id (G_LIST_MODEL (list), 0), ==, "c_win");
  g_assert_cmpstr (item_id (G_LIST_MODEL (list), 2), ==, "c_hot");

  hot = cs_campaign_list_lookup (list, "c_hot");
  g_assert_nonnull (hot);
  hot_ref = g_object_ref (G_OBJECT (hot));
  g_object_get (hot, "title", &title, "current-amount", &amount, "percent-funded", &percent, NULL);
  g_assert_cmpstr (title, ==, "Hot dice");
  g_assert_cmpint (amount, ==, 500);
  g_assert_cmpint (percent, ==, 50);
  {
    g_autofree char *summary = NULL;
    g_autofree char *creator = NULL;
    g_autofree char *status = NULL;

    g_object_get (hot, "summary", &summary, "creator-name", &creator, "status", &status, NULL);
    g_assert_cmpstr (summary, ==, "The story of Hot dice.");
    g_assert_cmpstr (creator, ==, "Zoë Müller");
    g_assert_cmpstr (status, ==, "live");
  }

  /* A change that keeps the order: the same object, updated in place, no
   * items-changed; only the properties that changed notify. */
  g_signal_connect (hot, "notify", G_CALLBACK (notify_cb), &w);
  watch_reset (&w);
  put_one (f->cache, make_campaign ("c_hot", "Hot dice", "games", CS_CAMPAIGN_LIVE, 1000, 550, 51,
                                    now - 86400, now + 5 * 86400));
  settle (f->cache);
  g_assert_cmpuint (w.signals, ==, 0);
  g_assert_true (cs_campaign_list_lookup (list, "c_hot") == hot);
  g_object_get (hot, "current-amount", &amount, NULL);
  g_assert_cmpint (amount, ==, 550);
  g_assert_cmpuint (w.notifies, ==, 3);   /* current-amount, backer-count, percent-funded */

  /* A new campaign: one insertion, at its place. */
  watch_reset (&w);
  put_one (f->cache, make_campaign ("c_mid", "Middle", "games", CS_CAMPAIGN_LIVE, 1000, 700, 7,
                                    now - 86400, now + 86400));
  settle (f->cache);
  g_assert_cmpuint (w.signals, ==, 1);
  g_assert_cmpuint (w.added, ==, 1);
  g_assert_cmpuint (w.removed, ==, 0);
  g_assert_cmpstr (item_id (G_LIST_MODEL (list), 2), ==, "c_mid");
  watch_check_mirror (&w);

  /* A campaign moving up: one removal and one insertion, the others stay. */
  watch_reset (&w);
  put_one (f->cache, make_campaign ("c_hot", "Hot dice", "games", CS_CAMPAIGN_LIVE, 1000, 5000, 51,
                                    now - 86400, now + 5 * 86400));
  settle (f->cache);
  g_assert_cmpuint (w.removed, ==, 1);
  g_assert_cmpuint (w.added, ==, 1);
  g_assert_true (cs_campaign_list_lookup (list, "c_hot") == hot);
  g_assert_true (g_list_model_get_item (G_LIST_MODEL (list), 0) == (gpointer) hot);
  g_object_unref (hot);   /* the get_item above */
  watch_check_mirror (&w);

  /* A deleted campaign: one removal. */
  watch_reset (&w);
  {
    g_autoptr(TestSyncPage) page = sync_page_new (NULL);

    g_ptr_array_add (page->tombstones, make_tombstone ("campaign", "c_mid"));
    apply_sync (f->cache, page);
  }
  settle (f->cache);
  g_assert_cmpuint (w.signals, ==, 1);
  g_assert_cmpuint (w.removed, ==, 1);
  g_assert_cmpuint (w.added, ==, 0);
  g_assert_null (cs_campaign_list_lookup (list, "c_mid"));
  watch_check_mirror (&w);

  /* merge() appends what the list lacks, once. */
  watch_reset (&w);
  {
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);

    g_ptr_array_add (found, make_campaign ("c_hot", "Hot dice", "games", CS_CAMPAIGN_LIVE, 1000, 5000, 51, now, now + 1));
    g_ptr_array_add (found, make_campaign ("c_far", "From the server", "games", CS_CAMPAIGN_LIVE, 1000, 1, 1, now, now + 1));
    cs_campaign_list_merge (list, found);
    cs_campaign_list_merge (list, found);
  }
  g_assert_cmpuint (w.signals, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 6);
  g_assert_cmpstr (item_id (G_LIST_MODEL (list), 5), ==, "c_far");
  watch_check_mirror (&w);
  /* The merged campaign stays through a reload. */
  put_one (f->cache, make_campaign ("c_old", "Old cards", "games", CS_CAMPAIGN_LIVE, 1000, 901, 60,
                                    now - 30 * 86400, now + 86400));
  settle (f->cache);
  g_assert_nonnull (cs_campaign_list_lookup (list, "c_far"));
  watch_check_mirror (&w);

  /* A new query: a search, as typed. */
  loaded = FALSE;
  q.text = "dic";
  cs_campaign_list_set_query (list, &q);
  wait_until (&loaded, "the search");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_true (cs_campaign_list_lookup (list, "c_hot") == hot);
  watch_check_mirror (&w);

  /* Many random changes: the signals always describe the list. */
  loaded = FALSE;
  q.text = NULL;
  q.sort = CS_API_SORT_TRENDING;
  cs_campaign_list_set_query (list, &q);
  wait_until (&loaded, "the trending read");
  {
    g_autoptr(GRand) rand = g_rand_new_with_seed (7);

    for (guint round = 0; round < 30; round++)
      {
        g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
        g_autoptr(TestSyncPage) page = sync_page_new (NULL);

        for (guint k = 0; k < 4; k++)
          {
            g_autofree char *id = g_strdup_printf ("r_%d", g_rand_int_range (rand, 0, 12));

            g_ptr_array_add (batch, make_campaign (id, "Random", "games", CS_CAMPAIGN_LIVE, 1000,
                                                   g_rand_int_range (rand, 0, 3000),
                                                   g_rand_int_range (rand, 0, 100),
                                                   now - g_rand_int_range (rand, 1, 30) * 86400,
                                                   now + 86400));
          }
        put_campaigns (f->cache, batch);
        if (g_rand_boolean (rand))
          {
            g_autofree char *id = g_strdup_printf ("r_%d", g_rand_int_range (rand, 0, 12));

            g_ptr_array_add (page->tombstones, make_tombstone ("campaign", id));
            apply_sync (f->cache, page);
          }
        settle (f->cache);
        watch_check_mirror (&w);
        {
          g_autoptr(GPtrArray) expected = query (f->cache, CS_API_SORT_TRENDING, NULL, NULL, 0, TRUE);

          g_assert_cmpuint (expected->len, ==, w.mirror->len);
          for (guint i = 0; i < expected->len; i++)
            g_assert_cmpstr (((CsCampaign *) expected->pdata[i])->id, ==,
                             cs_campaign_item_get_id (w.mirror->pdata[i]));
        }
      }
  }
  g_signal_handlers_disconnect_by_data (hot, &w);
  watch_clear (&w);
}

static void
test_pledge_list (Fixture *f, gconstpointer data)
{
  g_autoptr(CsPledgeList) list = cs_pledge_list_new (f->cache);
  g_autoptr(GPtrArray) pledges = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_pledge_free);
  g_autoptr(GArray) totals = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  gboolean loaded = FALSE;
  Watch w = { 0 };
  const char *expected[] = { "p_failed", "p_capfail", "p_pending", "p_auth_new", "p_auth_old",
                             "p_usd", "p_collected", "p_refunded", "p_cancelled" };
  CsPledgeItem *auth_old;
  gint64 outbox_id;
  gboolean pending;

  g_ptr_array_add (pledges, make_pledge ("p_auth_old", "c1", CS_PLEDGE_AUTHORIZED, 1000, "EUR", 100));
  g_ptr_array_add (pledges, make_pledge ("p_auth_new", "c2", CS_PLEDGE_AUTHORIZED, 2500, "EUR", 300));
  g_ptr_array_add (pledges, make_pledge ("p_usd", "c3", CS_PLEDGE_AUTHORIZED, 999, "USD", 50));
  g_ptr_array_add (pledges, make_pledge ("p_collected", "c4", CS_PLEDGE_COLLECTED, 4000, "EUR", 10));
  g_ptr_array_add (pledges, make_pledge ("p_failed", "c5", CS_PLEDGE_FAILED, 123, "EUR", 200));
  g_ptr_array_add (pledges, make_pledge ("p_capfail", "c6", CS_PLEDGE_CAPTURE_FAILED, 321, "EUR", 20));
  g_ptr_array_add (pledges, make_pledge ("p_pending", "c7", CS_PLEDGE_PENDING, 111, "EUR", 400));
  g_ptr_array_add (pledges, make_pledge ("p_refunded", "c8", CS_PLEDGE_REFUNDED, 5000, "EUR", 500));
  g_ptr_array_add (pledges, make_pledge ("p_cancelled", "c9", CS_PLEDGE_CANCELLED, 7000, "GBP", 30));
  put_pledges (f->cache, "usr_me", pledges, TRUE);
  outbox_id = outbox_add (f->cache, "k-cancel", "p_auth_old");
  drain ();

  watch_init (&w, G_LIST_MODEL (list));
  g_signal_connect (list, "notify::loading", G_CALLBACK (loading_done_cb), &loaded);
  cs_pledge_list_set_user_id (list, "usr_me");
  g_assert_true (cs_pledge_list_get_loading (list));
  wait_until (&loaded, "the pledges");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(CsPledgeItem) item = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert_cmpstr (cs_pledge_item_get_pledge (item)->id, ==, expected[i]);
    }
  watch_check_mirror (&w);

  auth_old = g_list_model_get_item (G_LIST_MODEL (list), 4);
  g_assert_true (cs_pledge_item_get_pending (auth_old));
  g_assert_cmpint (cs_pledge_item_get_group (auth_old), ==, CS_PLEDGE_GROUP_ACTIVE);
  {
    g_autoptr(CsPledgeItem) other = g_list_model_get_item (G_LIST_MODEL (list), 3);
    g_autofree char *status = NULL;
    gint group;

    g_assert_false (cs_pledge_item_get_pending (other));
    g_object_get (other, "status", &status, "group", &group, NULL);
    g_assert_cmpstr (status, ==, "authorized");
    g_assert_cmpint (group, ==, CS_PLEDGE_GROUP_ACTIVE);
  }

  /* Totals: active and collected, per currency, sorted by code. */
  totals = cs_pledge_list_totals (list);
  g_assert_cmpuint (totals->len, ==, 2);
  g_assert_cmpstr (g_array_index (totals, CsMoney, 0).currency, ==, "EUR");
  g_assert_cmpint (g_array_index (totals, CsMoney, 0).amount, ==, 1000 + 2500 + 4000);
  g_assert_cmpstr (g_array_index (totals, CsMoney, 1).currency, ==, "USD");
  g_assert_cmpint (g_array_index (totals, CsMoney, 1).amount, ==, 999);

  /* The write was sent: the outbox item goes, the pledge is cancelled; the
   * item is the same object, moved to the closed group. */
  watch_reset (&w);
  g_signal_connect (auth_old, "notify", G_CALLBACK (notify_cb), &w);
  {
    g_autoptr(CsPledge) cancelled = make_pledge ("p_auth_old", "c1", CS_PLEDGE_CANCELLED, 1000, "EUR", 100);

    cs_cache_outbox_done_async (f->cache, outbox_id, "usr_me", cancelled, NULL, result_cb, &r);
    g_assert_true (cs_cache_outbox_done_finish (f->cache, await (&r), &error));
    g_assert_no_error (error);
  }
  settle (f->cache);
  g_object_get (auth_old, "pending", &pending, NULL);
  g_assert_false (pending);
  g_assert_cmpint (cs_pledge_item_get_group (auth_old), ==, CS_PLEDGE_GROUP_CLOSED);
  g_assert_cmpuint (w.removed, ==, 1);
  g_assert_cmpuint (w.added, ==, 1);
  g_assert_cmpuint (w.notifies, ==, 3);   /* status, group, pending */
  watch_check_mirror (&w);
  {
    g_autoptr(GArray) after = cs_pledge_list_totals (list);

    g_assert_cmpint (g_array_index (after, CsMoney, 0).amount, ==, 2500 + 4000);
  }
  g_signal_handlers_disconnect_by_data (auth_old, &w);
  g_object_unref (auth_old);

  /* No user: empty. */
  watch_reset (&w);
  cs_pledge_list_set_user_id (list, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_cmpuint (w.signals, ==, 1);
  watch_check_mirror (&w);
  watch_clear (&w);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/client/cache/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("migrations", test_migrations);
  g_test_add_func ("/client/cache/upgrade-v1", test_upgrade_v1);
  g_test_add_func ("/client/cache/newer-refused", test_newer_refused);
  ADD ("apply-sync", test_apply_sync);
  ADD ("sorts", test_sorts);
  ADD ("categories", test_categories);
  ADD ("search", test_search);
  ADD ("search-common-words", test_search_common_words);
  ADD ("pledges", test_pledges);
  ADD ("images-and-values", test_images_and_values);
  ADD ("outbox", test_outbox);
  ADD ("cancelled", test_cancelled);
  ADD ("campaign-list", test_campaign_list);
  ADD ("pledge-list", test_pledge_list);
#undef ADD

  return g_test_run ();
}
