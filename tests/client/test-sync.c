/* test-sync.c: the sync engine against a real server, through a relay that
 * can make the network fail (cs-test-proxy.h): first and incremental passes
 * with tombstones, live progress and pledge news, the outbox surviving being
 * offline and a restart, answers lost mid-send repeated without doing the
 * write twice, offline reads, sign-out. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cs-test-server.h"
#include "cs-test-proxy.h"
#include "cs-context.h"
#include "cs-client-error.h"

#define WAIT_SECONDS 30
#define PASSWORD "correct horse battery"

typedef struct {
  CsTestServer *ts;
  CsTestProxy  *proxy;
  char         *dir;
  char         *cache_path;
  /* the client, as one app run */
  CsApiClient  *api;
  CsSession    *session;
  CsCache      *cache;
  CsLiveClient *live;
  CsSyncEngine *engine;
  /* the platform */
  char         *creator;
  char         *moderator;
} Fixture;

/* ---- waiting ------------------------------------------------------------------------------ */

typedef gboolean (*Condition) (gpointer data);

static gboolean
expired_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds; fails the test after
 * WAIT_SECONDS.  A 20 ms tick lets conditions set by other threads (the
 * server's) be seen. */
static void
wait_until (Condition cond, gpointer data, const char *what)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add_seconds (WAIT_SECONDS, expired_cb, &expired);
  guint tick = g_timeout_add (20, tick_cb, NULL);

  while (!cond (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (expired)
    g_error ("timed out waiting for %s", what);
  g_source_remove (deadline);
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
store_result_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/* The result of an async call started with store_result_cb and &result. */
static GAsyncResult *
await (GAsyncResult **result, const char *what)
{
  wait_until (result_ready, result, what);
  return *result;
}

/* ---- the client stack ---------------------------------------------------------------------- */

static void
client_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->cache = cs_cache_new (f->cache_path, &error);
  g_assert_no_error (error);
  f->api = cs_api_client_new (cs_test_proxy_get_url (f->proxy));
  f->session = cs_session_new (f->api, NULL);
  f->live = cs_live_client_new (f->api);
  f->engine = cs_sync_engine_new (f->api, f->session, f->cache, f->live);
}

/* As if the app quit (or crashed after its last write to the cache). */
static void
client_close (Fixture *f)
{
  cs_sync_engine_stop (f->engine);
  g_clear_object (&f->engine);
  g_clear_object (&f->live);
  g_clear_object (&f->session);
  g_clear_object (&f->api);
  g_clear_object (&f->cache);
}

static void
sign_in (Fixture *f, const char *username)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cs_session_sign_in_async (f->session, username, PASSWORD, NULL, store_result_cb, &result);
  cs_session_sign_in_finish (f->session, await (&result, "signing in"), &error);
  g_assert_no_error (error);
  g_assert_true (cs_session_get_signed_in (f->session));
}

static gboolean
refresh (Fixture *f, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cs_sync_engine_refresh_async (f->engine, NULL, store_result_cb, &result);
  return cs_sync_engine_refresh_finish (f->engine, await (&result, "a sync pass"), error);
}

static void
refresh_ok (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  refresh (f, &error);
  g_assert_no_error (error);
}

static GPtrArray *
cached_campaigns (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CsCacheQuery query = { .sort = CS_API_SORT_NEWEST, .public_only = FALSE };
  GPtrArray *campaigns;

  cs_cache_query_campaigns_async (f->cache, &query, NULL, store_result_cb, &result);
  campaigns = cs_cache_query_campaigns_finish (f->cache, await (&result, "a cache query"), &error);
  g_assert_no_error (error);
  return campaigns;
}

static CsCampaign *
cached_campaign (Fixture *f, const char *id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CsCampaign *campaign;

  cs_cache_get_campaign_async (f->cache, id, NULL, store_result_cb, &result);
  campaign = cs_cache_get_campaign_finish (f->cache, await (&result, "a cached campaign"), &error);
  g_assert_no_error (error);
  return campaign;
}

static GPtrArray *
cached_pledges (Fixture *f, const char *user_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *pledges;

  cs_cache_list_pledges_async (f->cache, user_id, NULL, store_result_cb, &result);
  pledges = cs_cache_list_pledges_finish (f->cache, await (&result, "cached pledges"), &error);
  g_assert_no_error (error);
  return pledges;
}

static GPtrArray *
outbox (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *items;

  cs_cache_outbox_list_async (f->cache, NULL, store_result_cb, &result);
  items = cs_cache_outbox_list_finish (f->cache, await (&result, "the outbox"), &error);
  g_assert_no_error (error);
  return items;
}

static gboolean
title_in (GPtrArray *campaigns, const char *title)
{
  for (guint i = 0; i < campaigns->len; i++)
    if (g_strcmp0 (((CsCampaign *) g_ptr_array_index (campaigns, i))->title, title) == 0)
      return TRUE;
  return FALSE;
}

/* The server's view of a pledge (as its backer). */
static CsTestResponse *
server_pledge (Fixture *f, const char *token, const char *pledge_id)
{
  g_autofree char *path = g_strconcat ("/api/v1/pledges/", pledge_id, NULL);
  CsTestResponse *resp = cs_test_request (f->ts, "GET", path, token, NULL);

  g_assert_cmpuint (resp->status, ==, 200);
  return resp;
}

static gint64
server_campaign_amount (Fixture *f, const char *campaign_id)
{
  g_autofree char *path = g_strconcat ("/api/v1/campaigns/", campaign_id, NULL);
  g_autoptr(CsTestResponse) resp = cs_test_request (f->ts, "GET", path, NULL, NULL);

  g_assert_cmpuint (resp->status, ==, 200);
  return cs_test_int (resp, "current_amount");
}

static void
wait_authorized (Fixture *f, const char *token, const char *pledge_id)
{
  g_autofree char *path = g_strconcat ("/api/v1/pledges/", pledge_id, NULL);

  cs_test_wait_field (f->ts, token, path, "status", "authorized");
}

/* A backer's authorized pledge of @amount, made on the server directly. */
static char *
authorized_pledge (Fixture *f, const char *token, const char *campaign_id, gint64 amount)
{
  g_autofree char *pm = cs_test_card (f->ts, "4242424242424242");
  g_autoptr(CsTestResponse) resp = cs_test_pledge (f->ts, token, campaign_id, amount, NULL, pm, NULL);
  g_autofree char *path = NULL;
  char *id;

  g_assert_cmpuint (resp->status, ==, 201);
  id = g_strdup (cs_test_string (resp, "id"));
  path = g_strconcat ("/api/v1/pledges/", id, NULL);
  cs_test_wait_field (f->ts, token, path, "status", "authorized");
  return id;
}

/* ---- fixture -------------------------------------------------------------------------------- */

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->ts = cs_test_server_new (NULL);
  f->proxy = cs_test_proxy_new (f->ts->base);
  f->dir = g_dir_make_tmp ("cs-test-sync-XXXXXX", &error);
  g_assert_no_error (error);
  f->cache_path = g_build_filename (f->dir, "cache.db", NULL);
  f->creator = cs_test_register (f->ts, "maker", NULL);
  f->moderator = cs_test_staff_token (f->ts, "keeper", CS_ROLE_MODERATOR);
  client_open (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;

  client_close (f);
  cs_test_proxy_free (f->proxy);
  cs_test_server_free (f->ts);
  wal = g_strconcat (f->cache_path, "-wal", NULL);
  shm = g_strconcat (f->cache_path, "-shm", NULL);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (f->cache_path);
  g_rmdir (f->dir);
  g_free (f->cache_path);
  g_free (f->dir);
  g_free (f->creator);
  g_free (f->moderator);
}

/* ---- tests -------------------------------------------------------------------------------- */

/* Signed out, a first pass brings every public campaign with its tiers, the
 * categories and a cursor; drafts stay private. */
static void
test_first_pass (Fixture *f, gconstpointer data)
{
  g_autofree char *a = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Solar kettle", 50000, 30, 10, NULL);
  g_autofree char *b = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Paper drone", 80000, 20, 0, NULL);
  g_autofree char *draft = cs_test_create_campaign (f->ts, f->creator, "Secret draft", "games");
  g_autoptr(GPtrArray) campaigns = NULL;
  g_autoptr(CsCampaign) kettle = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cursor = NULL;
  g_autoptr(GPtrArray) categories = NULL;

  refresh_ok (f);
  g_assert_true (cs_sync_engine_get_online (f->engine));
  g_assert_false (cs_sync_engine_get_synchronizing (f->engine));
  g_assert_null (cs_sync_engine_get_last_error (f->engine));

  campaigns = cached_campaigns (f);
  g_assert_cmpuint (campaigns->len, ==, 2);
  g_assert_true (title_in (campaigns, "Solar kettle"));
  g_assert_true (title_in (campaigns, "Paper drone"));
  g_assert_false (title_in (campaigns, "Secret draft"));

  kettle = cached_campaign (f, a);
  g_assert_cmpstr (kettle->title, ==, "Solar kettle");
  g_assert_cmpint (kettle->goal_amount, ==, 50000);
  g_assert_cmpuint (kettle->rewards->len, ==, 1);
  g_assert_cmpint (((CsRewardTier *) g_ptr_array_index (kettle->rewards, 0))->quantity_available, ==, 10);

  cs_cache_get_value_async (f->cache, "sync.cursor", NULL, store_result_cb, &result);
  cursor = cs_cache_get_value_finish (f->cache, await (&result, "the cursor"), &error);
  g_assert_no_error (error);
  g_assert_nonnull (cursor);
  g_clear_object (&result);

  cs_cache_list_categories_async (f->cache, NULL, store_result_cb, &result);
  categories = cs_cache_list_categories_finish (f->cache, await (&result, "categories"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (categories->len, >, 0);
}

/* A later pass brings only what changed, and a deleted tier's tombstone
 * removes it from the cache; a cursor the server does not know starts over. */
static void
test_incremental_and_tombstones (Fixture *f, gconstpointer data)
{
  g_autofree char *draft = cs_test_create_campaign (f->ts, f->creator, "Loom kit", "crafts");
  g_autofree char *rewards_path = g_strconcat ("/api/v1/campaigns/", draft, "/rewards", NULL);
  g_autofree char *campaign_path = g_strconcat ("/api/v1/campaigns/", draft, NULL);
  g_autoptr(CsTestResponse) added = NULL;
  g_autoptr(CsTestResponse) renamed = NULL;
  g_autoptr(CsTestResponse) deleted = NULL;
  g_autofree char *tier_path = NULL;
  g_autoptr(CsCampaign) before = NULL;
  g_autoptr(CsCampaign) after = NULL;
  g_autoptr(CsCampaign) again = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* the creator sees their own draft */
  sign_in (f, "maker");
  added = cs_test_request (f->ts, "POST", rewards_path, f->creator,
                           "{\"title\": \"Extra yarn\", \"description\": \"More colours\", "
                           "\"minimum_pledge\": 2500}");
  g_assert_cmpuint (added->status, ==, 201);
  refresh_ok (f);
  before = cached_campaign (f, draft);
  g_assert_cmpuint (before->rewards->len, ==, 2);

  tier_path = g_strconcat (rewards_path, "/", cs_test_string (added, "id"), NULL);
  deleted = cs_test_request (f->ts, "DELETE", tier_path, f->creator, NULL);
  g_assert_cmpuint (deleted->status, ==, 204);
  renamed = cs_test_request (f->ts, "PATCH", campaign_path, f->creator, "{\"title\": \"Loom kit, second edition\"}");
  g_assert_cmpuint (renamed->status, ==, 200);
  refresh_ok (f);
  after = cached_campaign (f, draft);
  g_assert_cmpstr (after->title, ==, "Loom kit, second edition");
  g_assert_cmpuint (after->rewards->len, ==, 1);
  g_assert_cmpstr (((CsRewardTier *) g_ptr_array_index (after->rewards, 0))->title, !=, "Extra yarn");

  /* A cursor from another server's life: 422, then a pass from scratch. */
  cs_cache_set_value_async (f->cache, "sync.cursor", "not-a-cursor", NULL, store_result_cb, &result);
  cs_cache_set_value_finish (f->cache, await (&result, "a cursor"), &error);
  g_assert_no_error (error);
  refresh_ok (f);
  again = cached_campaign (f, draft);
  g_assert_cmpstr (again->title, ==, "Loom kit, second edition");
}

typedef struct {
  char   *campaign_id;
  gint64  amount;
  gint64  backers;
  guint   count;
} ProgressSeen;

static void
progress_cb (CsSyncEngine *engine, const char *campaign_id, gint64 amount, gint64 backers, const char *status,
             gpointer data)
{
  ProgressSeen *seen = data;

  if (g_strcmp0 (campaign_id, seen->campaign_id) != 0)
    return;
  seen->amount = amount;
  seen->backers = backers;
  seen->count++;
}

static gboolean
progress_reached (gpointer data)
{
  ProgressSeen *seen = data;

  return seen->amount == 3000 && seen->backers == 1;
}

static gboolean
live_connected (gpointer data)
{
  return cs_live_client_get_connected (CS_LIVE_CLIENT (data));
}

/* A watched campaign's progress arrives live, into the cache too. */
static void
test_live_progress (Fixture *f, gconstpointer data)
{
  g_autofree char *campaign = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Live loom", 90000, 30, 0, NULL);
  g_autofree char *backer = cs_test_register (f->ts, "eager", NULL);
  ProgressSeen seen = { .campaign_id = campaign };
  g_autoptr(CsCampaign) cached = NULL;
  g_autofree char *pledge = NULL;

  g_signal_connect (f->engine, "campaign-progress", G_CALLBACK (progress_cb), &seen);
  cs_sync_engine_start (f->engine);
  wait_until (live_connected, f->live, "the live connection");
  cs_sync_engine_watch_campaign (f->engine, campaign);
  /* the first pass may still be running: let it end, so the cache has the campaign */
  refresh_ok (f);

  pledge = authorized_pledge (f, backer, campaign, 3000);
  wait_until (progress_reached, &seen, "the live progress");
  cached = cached_campaign (f, campaign);
  g_assert_cmpint (cached->current_amount, ==, 3000);
  g_assert_cmpint (cached->backer_count, ==, 1);
  g_signal_handlers_disconnect_by_data (f->engine, &seen);
}

static void
pledge_changed_cb (CsSyncEngine *engine, const char *pledge_id, const char *status, const char *reason,
                   gpointer data)
{
  GHashTable *seen = data;

  g_hash_table_replace (seen, g_strdup (pledge_id), g_strconcat (status, "|", reason ? reason : "", NULL));
}

typedef struct {
  GHashTable *seen;
  const char *pledge_id;
  const char *status;
} PledgeWait;

static gboolean
pledge_reached (gpointer data)
{
  PledgeWait *w = data;
  const char *value = g_hash_table_lookup (w->seen, w->pledge_id);

  return value != NULL && g_str_has_prefix (value, w->status) && value[strlen (w->status)] == '|';
}

/* Making a pledge from the app: pending, then the gateway's answer arrives
 * live as pledge-changed (authorized; declined with the reason), and the
 * cache follows. */
static void
test_pledge_news (Fixture *f, gconstpointer data)
{
  g_autofree char *campaign = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Quiet fan", 90000, 30, 0, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *token = cs_test_register (f->ts, "newsy", &user_id);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *good = cs_test_card (f->ts, "4242424242424242");
  g_autofree char *bad = cs_test_card (f->ts, "4000000000000002");
  g_autofree char *key = cs_api_new_idempotency_key ();
  g_autofree char *key2 = cs_api_new_idempotency_key ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) made = NULL;
  g_autoptr(CsPledge) declined = NULL;
  g_autoptr(GPtrArray) cached = NULL;
  PledgeWait w = { seen, NULL, "authorized" };
  const char *value;

  g_signal_connect (f->engine, "pledge-changed", G_CALLBACK (pledge_changed_cb), seen);
  sign_in (f, "newsy");
  cs_sync_engine_start (f->engine);
  wait_until (live_connected, f->live, "the live connection");

  cs_sync_engine_create_pledge_async (f->engine, campaign, 4200, NULL, good, key, NULL, store_result_cb, &result);
  made = cs_sync_engine_create_pledge_finish (f->engine, await (&result, "a pledge"), &error);
  g_assert_no_error (error);
  g_assert_cmpint (made->amount, ==, 4200);
  w.pledge_id = made->id;
  wait_until (pledge_reached, &w, "the pledge to be authorized");
  g_clear_object (&result);

  cs_sync_engine_create_pledge_async (f->engine, campaign, 4200, NULL, bad, key2, NULL, store_result_cb, &result);
  declined = cs_sync_engine_create_pledge_finish (f->engine, await (&result, "a pledge"), &error);
  /* one active pledge per campaign: the first is authorized, so this one is refused */
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 409);
  g_clear_error (&error);
  g_clear_object (&result);

  /* a declined card on another campaign */
  {
    g_autofree char *other = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Loud fan", 90000, 30, 0, NULL);
    g_autofree char *key3 = cs_api_new_idempotency_key ();

    cs_sync_engine_create_pledge_async (f->engine, other, 1500, NULL, bad, key3, NULL, store_result_cb, &result);
    declined = cs_sync_engine_create_pledge_finish (f->engine, await (&result, "a pledge"), &error);
    g_assert_no_error (error);
    w.pledge_id = declined->id;
    w.status = "failed";
    wait_until (pledge_reached, &w, "the pledge to be declined");
    value = g_hash_table_lookup (seen, declined->id);
    g_assert_cmpuint (strlen (value), >, strlen ("failed|"));   /* with the gateway's reason */
  }

  /* the cache follows (the next pass at the latest) */
  refresh_ok (f);
  cached = cached_pledges (f, user_id);
  g_assert_cmpuint (cached->len, ==, 2);
  for (guint i = 0; i < cached->len; i++)
    {
      CsPledge *p = g_ptr_array_index (cached, i);

      if (g_strcmp0 (p->id, made->id) == 0)
        g_assert_cmpint (p->status, ==, CS_PLEDGE_AUTHORIZED);
      else
        g_assert_cmpint (p->status, ==, CS_PLEDGE_FAILED);
    }
  (void) token;
  g_signal_handlers_disconnect_by_data (f->engine, seen);
}

/* A first sign-in on this computer finds pledges made elsewhere: that is
 * the baseline, not news (no notification storm); a change made elsewhere
 * afterwards is news at the next pass. */
static void
test_pledge_news_baseline (Fixture *f, gconstpointer data)
{
  g_autofree char *a = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Old lamp", 90000, 30, 0, NULL);
  g_autofree char *b = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Old drum", 90000, 30, 0, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *token = cs_test_register (f->ts, "elsewhere", &user_id);
  g_autofree char *first = authorized_pledge (f, token, a, 2000);
  g_autofree char *second = authorized_pledge (f, token, b, 2000);
  g_autofree char *cancel_path = g_strconcat ("/api/v1/pledges/", second, "/cancel", NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(CsTestResponse) cancelled = NULL;
  PledgeWait w = { seen, second, "cancelled" };

  g_signal_connect (f->engine, "pledge-changed", G_CALLBACK (pledge_changed_cb), seen);
  sign_in (f, "elsewhere");
  refresh_ok (f);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 0);

  cancelled = cs_test_request (f->ts, "POST", cancel_path, token, NULL);
  g_assert_cmpuint (cancelled->status, ==, 200);
  refresh_ok (f);
  g_assert_true (pledge_reached (&w));
  g_assert_cmpuint (g_hash_table_size (seen), ==, 1);
  g_signal_handlers_disconnect_by_data (f->engine, seen);
  (void) first;
}

/* A change made offline waits in the outbox, survives a restart, and is sent
 * once the server can be reached. */
static void
test_outbox_offline_restart (Fixture *f, gconstpointer data)
{
  g_autofree char *campaign = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Tide clock", 90000, 30, 0, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *token = cs_test_register (f->ts, "offliner", &user_id);
  g_autofree char *pledge = authorized_pledge (f, token, campaign, 2000);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GPtrArray) cached = NULL;
  g_autoptr(CsTestResponse) server = NULL;

  sign_in (f, "offliner");
  refresh_ok (f);
  cs_test_proxy_set_mode (f->proxy, CS_TEST_PROXY_OFFLINE);

  cs_sync_engine_change_pledge_async (f->engine, pledge, 3500, NULL, NULL, store_result_cb, &result);
  cs_sync_engine_change_pledge_finish (f->engine, await (&result, "queueing a change"), &error);
  g_assert_no_error (error);
  refresh (f, &error);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE);
  g_clear_error (&error);
  g_assert_false (cs_sync_engine_get_online (f->engine));
  g_assert_null (cs_sync_engine_get_last_error (f->engine));   /* offline is not a server problem */
  items = outbox (f);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpstr (((CsOutboxItem *) g_ptr_array_index (items, 0))->kind, ==, "pledge.change");
  g_assert_false (((CsOutboxItem *) g_ptr_array_index (items, 0))->failed);

  /* offline reads: what was cached is still there */
  {
    g_autoptr(GPtrArray) campaigns = cached_campaigns (f);

    g_assert_true (title_in (campaigns, "Tide clock"));
  }

  /* the app is closed, and started again later, online */
  client_close (f);
  server = server_pledge (f, token, pledge);
  g_assert_cmpint (cs_test_int (server, "amount"), ==, 2000);   /* nothing was sent */
  g_clear_pointer (&server, cs_test_response_free);
  cs_test_proxy_set_mode (f->proxy, CS_TEST_PROXY_ONLINE);
  client_open (f);
  sign_in (f, "offliner");
  refresh_ok (f);
  g_assert_true (cs_sync_engine_get_online (f->engine));

  after = outbox (f);
  g_assert_cmpuint (after->len, ==, 0);
  server = server_pledge (f, token, pledge);
  g_assert_cmpint (cs_test_int (server, "amount"), ==, 3500);
  /* a new amount is authorized again before it counts */
  wait_authorized (f, token, pledge);
  g_assert_cmpint (server_campaign_amount (f, campaign), ==, 3500);
  cached = cached_pledges (f, user_id);
  g_assert_cmpuint (cached->len, ==, 1);
  g_assert_cmpint (((CsPledge *) g_ptr_array_index (cached, 0))->amount, ==, 3500);
}

/* The server applied a write but its answer never came back (the link
 * dropped, or the app was killed mid-send): after a restart the item is
 * sent again and its effect happens once. */
static void
test_outbox_lost_answer (Fixture *f, gconstpointer data)
{
  g_autofree char *campaign = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Rain drum", 90000, 30, 0, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *token = cs_test_register (f->ts, "unlucky", &user_id);
  g_autofree char *pledge = authorized_pledge (f, token, campaign, 2000);
  g_autofree char *list_path = g_strconcat ("/api/v1/users/", user_id, "/pledges", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(CsTestResponse) server = NULL;
  g_autoptr(CsTestResponse) list = NULL;
  g_autoptr(GPtrArray) cached = NULL;

  sign_in (f, "unlucky");
  refresh_ok (f);

  /* a change: applied by the server, the answer lost */
  cs_test_proxy_set_mode (f->proxy, CS_TEST_PROXY_LOSE_ANSWERS);
  cs_sync_engine_change_pledge_async (f->engine, pledge, 6000, NULL, NULL, store_result_cb, &result);
  cs_sync_engine_change_pledge_finish (f->engine, await (&result, "queueing a change"), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  refresh (f, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (cs_test_proxy_get_lost (f->proxy), >=, 1);
  server = server_pledge (f, token, pledge);
  g_assert_cmpint (cs_test_int (server, "amount"), ==, 6000);     /* it did happen */
  g_clear_pointer (&server, cs_test_response_free);
  items = outbox (f);
  g_assert_cmpuint (items->len, ==, 1);                            /* but we never heard */
  g_clear_pointer (&items, g_ptr_array_unref);

  /* killed and restarted: sent again, done once */
  client_close (f);
  cs_test_proxy_set_mode (f->proxy, CS_TEST_PROXY_ONLINE);
  client_open (f);
  sign_in (f, "unlucky");
  refresh_ok (f);
  items = outbox (f);
  g_assert_cmpuint (items->len, ==, 0);
  server = server_pledge (f, token, pledge);
  g_assert_cmpint (cs_test_int (server, "amount"), ==, 6000);
  g_clear_pointer (&server, cs_test_response_free);
  wait_authorized (f, token, pledge);
  g_assert_cmpint (server_campaign_amount (f, campaign), ==, 6000);
  g_clear_pointer (&items, g_ptr_array_unref);

  /* a cancellation: applied, the answer lost, repeated after a restart */
  cs_test_proxy_set_mode (f->proxy, CS_TEST_PROXY_LOSE_ANSWERS);
  cs_sync_engine_cancel_pledge_async (f->engine, pledge, NULL, store_result_cb, &result);
  cs_sync_engine_cancel_pledge_finish (f->engine, await (&result, "queueing a cancellation"), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  refresh (f, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);
  server = server_pledge (f, token, pledge);
  g_assert_cmpstr (cs_test_string (server, "status"), ==, "cancelled");
  g_clear_pointer (&server, cs_test_response_free);

  client_close (f);
  cs_test_proxy_set_mode (f->proxy, CS_TEST_PROXY_ONLINE);
  client_open (f);
  sign_in (f, "unlucky");
  refresh_ok (f);
  items = outbox (f);
  g_assert_cmpuint (items->len, ==, 0);              /* done, not "failed" */
  cached = cached_pledges (f, user_id);
  g_assert_cmpuint (cached->len, ==, 1);
  g_assert_cmpint (((CsPledge *) g_ptr_array_index (cached, 0))->status, ==, CS_PLEDGE_CANCELLED);
  g_assert_cmpint (server_campaign_amount (f, campaign), ==, 0);
  /* one pledge on the server, ever */
  list = cs_test_request (f->ts, "GET", list_path, token, NULL);
  g_assert_cmpuint (list->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (cs_test_object (list), "items")), ==, 1);
}

/* A write the server refuses for good is kept as failed, with its reason,
 * and not sent again. */
static void
test_outbox_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *campaign = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Kite set", 90000, 30, 0, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *token = cs_test_register (f->ts, "tooeager", &user_id);
  g_autofree char *pledge = authorized_pledge (f, token, campaign, 2000);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) again = NULL;
  CsOutboxItem *item;

  sign_in (f, "tooeager");
  /* below the platform's minimum pledge: 422 */
  cs_sync_engine_change_pledge_async (f->engine, pledge, 1, NULL, NULL, store_result_cb, &result);
  cs_sync_engine_change_pledge_finish (f->engine, await (&result, "queueing a change"), &error);
  g_assert_no_error (error);
  refresh_ok (f);
  items = outbox (f);
  g_assert_cmpuint (items->len, ==, 1);
  item = g_ptr_array_index (items, 0);
  g_assert_true (item->failed);
  g_assert_nonnull (item->last_error);
  g_assert_cmpint (item->attempts, ==, 1);
  refresh_ok (f);
  again = outbox (f);
  g_assert_cmpint (((CsOutboxItem *) g_ptr_array_index (again, 0))->attempts, ==, 1);   /* not resent */
  (void) token;
}

/* Signing out forgets the account's pledges and outbox. */
static void
test_sign_out_forgets (Fixture *f, gconstpointer data)
{
  g_autofree char *campaign = cs_test_live_campaign (f->ts, f->creator, f->moderator, "Moss lamp", 90000, 30, 0, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *token = cs_test_register (f->ts, "leaver", &user_id);
  g_autofree char *pledge = authorized_pledge (f, token, campaign, 2000);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;

  sign_in (f, "leaver");
  cs_sync_engine_start (f->engine);
  refresh_ok (f);
  before = cached_pledges (f, user_id);
  g_assert_cmpuint (before->len, ==, 1);

  cs_session_sign_out_async (f->session, NULL, store_result_cb, &result);
  cs_session_sign_out_finish (f->session, await (&result, "signing out"), &error);
  g_assert_no_error (error);
  /* the forgetting is followed by a (signed-out) pass: wait for it */
  refresh_ok (f);
  after = cached_pledges (f, user_id);
  g_assert_cmpuint (after->len, ==, 0);
  (void) pledge;
  (void) token;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sync/first-pass", Fixture, NULL, fixture_set_up, test_first_pass, fixture_tear_down);
  g_test_add ("/sync/incremental-and-tombstones", Fixture, NULL, fixture_set_up,
              test_incremental_and_tombstones, fixture_tear_down);
  g_test_add ("/sync/live-progress", Fixture, NULL, fixture_set_up, test_live_progress, fixture_tear_down);
  g_test_add ("/sync/pledge-news", Fixture, NULL, fixture_set_up, test_pledge_news, fixture_tear_down);
  g_test_add ("/sync/pledge-news-baseline", Fixture, NULL, fixture_set_up, test_pledge_news_baseline,
              fixture_tear_down);
  g_test_add ("/sync/outbox/offline-and-restart", Fixture, NULL, fixture_set_up, test_outbox_offline_restart,
              fixture_tear_down);
  g_test_add ("/sync/outbox/lost-answer", Fixture, NULL, fixture_set_up, test_outbox_lost_answer,
              fixture_tear_down);
  g_test_add ("/sync/outbox/refused", Fixture, NULL, fixture_set_up, test_outbox_refused, fixture_tear_down);
  g_test_add ("/sync/sign-out-forgets", Fixture, NULL, fixture_set_up, test_sign_out_forgets,
              fixture_tear_down);
  return g_test_run ();
}
