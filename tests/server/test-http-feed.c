/* test-http-feed.c: updates, the dashboard and the sync feed over HTTP. */
#include "config.h"

#include <string.h>

#include "cs-test-server.h"

static CsTestServer *ts;
static char *creator, *creator_id;
static char *backer, *backer_id;
static char *stranger;
static char *moderator;
static char *live_id;
static char *draft_id;

/* A pledge through the money path: a sandbox card, the pledge, and the
 * gateway's authorization webhook. */
static void
pledge (const char *campaign_id, const char *token, gint64 amount)
{
  g_autofree char *pm = cs_test_card (ts, "4242424242424242");
  g_autoptr(CsTestResponse) resp = cs_test_pledge (ts, token, campaign_id, amount, NULL, pm, NULL);
  g_autofree char *path = NULL;

  g_assert_cmpuint (resp->status, ==, 201);
  path = g_strconcat ("/api/v1/pledges/", cs_test_string (resp, "id"), NULL);
  cs_test_wait_field (ts, token, path, "status", "authorized");
}

static void
test_updates (void)
{
  g_autofree char *path = g_strconcat ("/api/v1/campaigns/", live_id, "/updates", NULL);
  g_autofree char *draft_path = g_strconcat ("/api/v1/campaigns/", draft_id, "/updates", NULL);
  g_autoptr(CsTestResponse) pub = cs_test_request (ts, "PUT", path, creator,
    "{\"title\": \"We shipped the prototype\", \"content\": \"Photos inside.\", \"visibility\": \"public\"}");
  g_autoptr(CsTestResponse) priv = cs_test_request (ts, "PUT", path, creator,
    "{\"title\": \"Backer survey\", \"content\": \"Your survey code is 42.\", \"visibility\": \"backers\"}");
  g_autoptr(CsTestResponse) by_stranger = cs_test_request (ts, "PUT", path, stranger,
    "{\"title\": \"Spam\", \"content\": \"Buy now\"}");
  g_autoptr(CsTestResponse) invalid = cs_test_request (ts, "PUT", path, creator,
    "{\"title\": \"\", \"content\": \"x\", \"visibility\": \"friends\"}");
  g_autoptr(CsTestResponse) on_draft = cs_test_request (ts, "PUT", draft_path, creator,
    "{\"title\": \"Too early\", \"content\": \"Not live yet\"}");
  g_autoptr(CsTestResponse) anon_list = NULL, backer_list = NULL, hidden_draft = NULL;
  JsonArray *items;

  g_assert_cmpuint (pub->status, ==, 201);
  g_assert_cmpuint (priv->status, ==, 201);
  g_assert_cmpstr (cs_test_string (priv, "visibility"), ==, "backers");
  cs_test_assert_problem (by_stranger, 403, NULL);
  cs_test_assert_problem (invalid, 422, "title");
  cs_test_assert_problem (invalid, 422, "visibility");
  cs_test_assert_problem (on_draft, 409, NULL);

  anon_list = cs_test_request (ts, "GET", path, NULL, NULL);
  items = json_object_get_array_member (cs_test_object (anon_list), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  {
    JsonObject *newest = json_array_get_object_element (items, 0);

    /* newest first: the backers-only one, locked for strangers */
    g_assert_cmpstr (json_object_get_string_member (newest, "title"), ==, "Backer survey");
    g_assert_true (json_object_get_boolean_member (newest, "locked"));
    g_assert_true (json_object_get_null_member (newest, "content"));
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 1), "content"), ==, "Photos inside.");
  }

  backer_list = cs_test_request (ts, "GET", path, backer, NULL);
  items = json_object_get_array_member (cs_test_object (backer_list), "items");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 0), "content"), ==,
                   "Your survey code is 42.");

  hidden_draft = cs_test_request (ts, "GET", draft_path, stranger, NULL);
  cs_test_assert_problem (hidden_draft, 404, NULL);
}

static void
test_dashboard (void)
{
  g_autoptr(CsTestResponse) mine = cs_test_request (ts, "GET", "/api/v1/me/dashboard", creator, NULL);
  g_autoptr(CsTestResponse) theirs = cs_test_request (ts, "GET", "/api/v1/me/dashboard", backer, NULL);
  g_autoptr(CsTestResponse) anon = cs_test_request (ts, "GET", "/api/v1/me/dashboard", NULL, NULL);
  JsonObject *totals;
  JsonArray *backed, *attention, *raised;

  g_assert_cmpuint (mine->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (cs_test_object (mine), "created")), ==, 2);
  totals = json_object_get_object_member (cs_test_object (mine), "totals");
  g_assert_cmpint (json_object_get_int_member (totals, "created_count"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (totals, "live_count"), ==, 1);
  raised = json_object_get_array_member (totals, "raised");
  g_assert_cmpuint (json_array_get_length (raised), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (raised, 0), "amount"), ==, 7500);
  attention = json_object_get_array_member (cs_test_object (mine), "attention");
  g_assert_cmpuint (json_array_get_length (attention), >=, 1);   /* the draft */

  backed = json_object_get_array_member (cs_test_object (theirs), "backed");
  g_assert_cmpuint (json_array_get_length (backed), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (json_array_get_object_element (backed, 0), "pledge"), "amount"), ==, 7500);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (backed, 0), "campaign"), "id"), ==, live_id);
  totals = json_object_get_object_member (cs_test_object (theirs), "totals");
  g_assert_cmpint (json_object_get_int_member (totals, "backed_count"), ==, 1);

  cs_test_assert_problem (anon, 401, NULL);
}

static JsonObject *
find_campaign (JsonArray *campaigns, const char *id)
{
  for (guint i = 0; i < json_array_get_length (campaigns); i++)
    {
      JsonObject *c = json_array_get_object_element (campaigns, i);

      if (g_strcmp0 (json_object_get_string_member (c, "id"), id) == 0)
        return c;
    }
  return NULL;
}

static void
test_sync (void)
{
  g_autoptr(CsTestResponse) anon = cs_test_request (ts, "GET", "/api/v1/sync", NULL, NULL);
  g_autoptr(CsTestResponse) own = cs_test_request (ts, "GET", "/api/v1/sync", creator, NULL);
  g_autoptr(CsTestResponse) quiet = NULL, after_change = NULL, after_delete = NULL, bad = NULL, paged = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *path = NULL;
  g_autofree char *tier_path = NULL;
  g_autoptr(CsTestResponse) tier = NULL, del = NULL;
  JsonArray *campaigns, *tombstones;
  JsonObject *c;

  g_assert_cmpuint (anon->status, ==, 200);
  campaigns = json_object_get_array_member (cs_test_object (anon), "campaigns");
  g_assert_nonnull (find_campaign (campaigns, live_id));
  g_assert_null (find_campaign (campaigns, draft_id));
  c = find_campaign (campaigns, live_id);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (c, "rewards")), >=, 1);
  g_assert_nonnull (find_campaign (json_object_get_array_member (cs_test_object (own), "campaigns"), draft_id));

  /* nothing changed since: an empty page with the same cursor */
  cursor = g_strdup (cs_test_string (anon, "next_cursor"));
  path = g_strdup_printf ("/api/v1/sync?since=%s", cursor);
  quiet = cs_test_request (ts, "GET", path, NULL, NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (cs_test_object (quiet), "campaigns")), ==, 0);
  g_assert_false (json_object_get_boolean_member (cs_test_object (quiet), "has_more"));

  /* a new tier on the live campaign brings the campaign back, then deleting it leaves a tombstone */
  tier_path = g_strconcat ("/api/v1/campaigns/", live_id, "/rewards", NULL);
  tier = cs_test_request (ts, "POST", tier_path, creator, "{\"title\": \"Sticker\", \"minimum_pledge\": 300}");
  g_assert_cmpuint (tier->status, ==, 201);
  after_change = cs_test_request (ts, "GET", path, NULL, NULL);
  campaigns = json_object_get_array_member (cs_test_object (after_change), "campaigns");
  g_assert_cmpuint (json_array_get_length (campaigns), ==, 1);
  g_assert_nonnull (find_campaign (campaigns, live_id));

  /* tiers of a live campaign cannot be deleted; use a draft's */
  {
    g_autofree char *draft_tiers = g_strconcat ("/api/v1/campaigns/", draft_id, "/rewards", NULL);
    g_autoptr(CsTestResponse) list = cs_test_request (ts, "GET", draft_tiers, creator, NULL);
    JsonArray *items = json_object_get_array_member (cs_test_object (list), "items");
    const char *tier_id = json_object_get_string_member (json_array_get_object_element (items, 0), "id");
    g_autofree char *one = g_strconcat (draft_tiers, "/", tier_id, NULL);
    g_autofree char *since_path = g_strdup_printf ("/api/v1/sync?since=%s",
                                                   cs_test_string (after_change, "next_cursor"));
    g_autofree char *expected_id = g_strdup (tier_id);

    del = cs_test_request (ts, "DELETE", one, creator, NULL);
    g_assert_cmpuint (del->status, ==, 204);
    after_delete = cs_test_request (ts, "GET", since_path, creator, NULL);
    tombstones = json_object_get_array_member (cs_test_object (after_delete), "tombstones");
    g_assert_cmpuint (json_array_get_length (tombstones), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tombstones, 0), "type"), ==, "reward_tier");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tombstones, 0), "id"), ==, expected_id);
  }

  bad = cs_test_request (ts, "GET", "/api/v1/sync?since=not-a-cursor", NULL, NULL);
  cs_test_assert_problem (bad, 422, "since");

  paged = cs_test_request (ts, "GET", "/api/v1/sync?limit=1", creator, NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (cs_test_object (paged), "campaigns")), ==, 1);
  g_assert_true (json_object_get_boolean_member (cs_test_object (paged), "has_more"));
}

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  ts = cs_test_server_new (NULL);
  creator = cs_test_register (ts, "author", &creator_id);
  backer = cs_test_register (ts, "supporter", &backer_id);
  stranger = cs_test_register (ts, "passerby", NULL);
  moderator = cs_test_staff_token (ts, "reviewer", CS_ROLE_MODERATOR);
  live_id = cs_test_create_campaign (ts, creator, "Live and kicking", "comics");
  cs_test_make_live (ts, live_id, creator, moderator);
  draft_id = cs_test_create_campaign (ts, creator, "Still a draft", "comics");
  pledge (live_id, backer, 7500);

  g_test_add_func ("/feed/updates", test_updates);
  g_test_add_func ("/feed/dashboard", test_dashboard);
  g_test_add_func ("/feed/sync", test_sync);

  status = g_test_run ();
  g_free (creator);
  g_free (creator_id);
  g_free (backer);
  g_free (backer_id);
  g_free (stranger);
  g_free (moderator);
  g_free (live_id);
  g_free (draft_id);
  cs_test_server_free (ts);
  return status;
}
