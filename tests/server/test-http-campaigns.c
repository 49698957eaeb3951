/* test-http-campaigns.c: campaigns, tiers, moderation and images over HTTP. */
#include "config.h"

#include <string.h>

#include "cs-test-server.h"

static CsTestServer *ts;
static char *creator;      /* tokens */
static char *stranger;
static char *moderator;
static char *admin;

static char *
path_of (const char *id, const char *suffix)
{
  return g_strconcat ("/api/v1/campaigns/", id, suffix, NULL);
}

static void
test_create_and_get (void)
{
  g_autoptr(CsTestResponse) created = cs_test_request (ts, "POST", "/api/v1/campaigns", creator,
    "{\"title\": \"Solar Lantern\", \"description\": \"Light for everyone.\\nSecond line.\", \"category\": \"technology\","
    " \"goal_amount\": 1500000, \"currency\": \"EUR\", \"duration_days\": 45,"
    " \"rewards\": [{\"title\": \"One lantern\", \"minimum_pledge\": 4900, \"quantity_available\": 2},"
    "               {\"title\": \"Thanks\", \"minimum_pledge\": 100}]}");
  const char *id;
  g_autofree char *path = NULL;
  g_autoptr(CsTestResponse) own = NULL;
  g_autoptr(CsTestResponse) anon = NULL;
  g_autoptr(CsTestResponse) other = NULL;
  g_autoptr(CsTestResponse) staff = NULL;
  JsonArray *rewards;

  g_assert_cmpuint (created->status, ==, 201);
  id = cs_test_string (created, "id");
  g_assert_true (g_str_has_prefix (id, "cmp_"));
  g_assert_cmpstr (cs_test_string (created, "status"), ==, "draft");
  g_assert_cmpint (cs_test_int (created, "goal_amount"), ==, 1500000);
  g_assert_cmpint (cs_test_int (created, "current_amount"), ==, 0);
  g_assert_cmpstr (cs_test_string (created, "currency"), ==, "EUR");
  g_assert_true (g_str_has_suffix (soup_message_headers_get_one (created->headers, "Location"), id));
  rewards = json_object_get_array_member (cs_test_object (created), "rewards");
  g_assert_cmpuint (json_array_get_length (rewards), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rewards, 0), "title"), ==, "One lantern");
  g_assert_true (json_object_get_null_member (json_array_get_object_element (rewards, 1), "quantity_available"));

  path = path_of (id, "");
  own = cs_test_request (ts, "GET", path, creator, NULL);
  g_assert_cmpuint (own->status, ==, 200);
  /* a draft is invisible to everyone but its creator and staff */
  anon = cs_test_request (ts, "GET", path, NULL, NULL);
  cs_test_assert_problem (anon, 404, NULL);
  other = cs_test_request (ts, "GET", path, stranger, NULL);
  cs_test_assert_problem (other, 404, NULL);
  staff = cs_test_request (ts, "GET", path, moderator, NULL);
  g_assert_cmpuint (staff->status, ==, 200);
}

static void
test_create_invalid (void)
{
  g_autoptr(CsTestResponse) anon = cs_test_request (ts, "POST", "/api/v1/campaigns", NULL, "{}");
  g_autoptr(CsTestResponse) bad = cs_test_request (ts, "POST", "/api/v1/campaigns", creator,
    "{\"title\": \"x\", \"description\": \"\", \"category\": \"technology\", \"goal_amount\": 12.5,"
    " \"currency\": \"XXX\", \"duration_days\": 61}");
  g_autoptr(CsTestResponse) category = cs_test_request (ts, "POST", "/api/v1/campaigns", creator,
    "{\"title\": \"Valid title\", \"description\": \"ok\", \"category\": \"no-such-thing\", \"goal_amount\": 10000,"
    " \"currency\": \"USD\", \"duration_days\": 10}");
  g_autoptr(CsTestResponse) tier = cs_test_request (ts, "POST", "/api/v1/campaigns", creator,
    "{\"title\": \"Valid title\", \"description\": \"ok\", \"category\": \"art\", \"goal_amount\": 10000,"
    " \"currency\": \"USD\", \"duration_days\": 10, \"rewards\": [{\"title\": \"t\", \"minimum_pledge\": 50}]}");

  cs_test_assert_problem (anon, 401, NULL);
  cs_test_assert_problem (bad, 422, "title");
  cs_test_assert_problem (bad, 422, "goal_amount");
  cs_test_assert_problem (bad, 422, "currency");
  cs_test_assert_problem (bad, 422, "duration_days");
  cs_test_assert_problem (category, 422, "category");
  cs_test_assert_problem (tier, 422, "rewards[0].minimum_pledge");
}

static void
test_patch_rules (void)
{
  g_autofree char *id = cs_test_create_campaign (ts, creator, "Patchable", "games");
  g_autofree char *path = path_of (id, "");
  g_autoptr(CsTestResponse) ok = cs_test_request (ts, "PATCH", path, creator, "{\"title\": \"Patched title\", \"goal_amount\": 900000}");
  g_autoptr(CsTestResponse) not_owner = cs_test_request (ts, "PATCH", path, stranger, "{\"title\": \"Mine now\"}");
  g_autoptr(CsTestResponse) bad = cs_test_request (ts, "PATCH", path, creator, "{\"duration_days\": 0}");
  g_autoptr(CsTestResponse) rewards = cs_test_request (ts, "PATCH", path, creator, "{\"rewards\": []}");
  g_autoptr(CsTestResponse) live_goal = NULL;
  g_autoptr(CsTestResponse) live_story = NULL;
  g_autoptr(CsTestResponse) stranger_live = NULL;

  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpstr (cs_test_string (ok, "title"), ==, "Patched title");
  g_assert_cmpint (cs_test_int (ok, "goal_amount"), ==, 900000);
  cs_test_assert_problem (not_owner, 404, NULL);   /* a draft: the stranger cannot even see it */
  cs_test_assert_problem (bad, 422, "duration_days");
  cs_test_assert_problem (rewards, 422, "rewards");

  cs_test_make_live (ts, id, creator, moderator);
  live_goal = cs_test_request (ts, "PATCH", path, creator, "{\"goal_amount\": 1}");
  cs_test_assert_problem (live_goal, 422, "goal_amount");   /* below 1.00 is invalid before it is a conflict */
  g_clear_pointer (&live_goal, cs_test_response_free);
  live_goal = cs_test_request (ts, "PATCH", path, creator, "{\"goal_amount\": 100000}");
  cs_test_assert_problem (live_goal, 409, NULL);
  live_story = cs_test_request (ts, "PATCH", path, creator, "{\"description\": \"A better story.\"}");
  g_assert_cmpuint (live_story->status, ==, 200);
  g_assert_cmpstr (cs_test_string (live_story, "description"), ==, "A better story.");
  stranger_live = cs_test_request (ts, "PATCH", path, stranger, "{\"description\": \"Vandalism\"}");
  cs_test_assert_problem (stranger_live, 403, NULL);
}

static void
test_lifecycle (void)
{
  g_autofree char *id = cs_test_create_campaign (ts, creator, "Lifecycle", "music");
  g_autofree char *submit = path_of (id, "/submit");
  g_autofree char *cancel = path_of (id, "/cancel");
  g_autofree char *approve = g_strconcat ("/api/v1/admin/campaigns/", id, "/approve", NULL);
  g_autofree char *reject = g_strconcat ("/api/v1/admin/campaigns/", id, "/reject", NULL);
  g_autofree char *suspend = g_strconcat ("/api/v1/admin/campaigns/", id, "/suspend", NULL);
  g_autoptr(CsTestResponse) early_approve = cs_test_request (ts, "POST", approve, moderator, NULL);
  g_autoptr(CsTestResponse) s1 = NULL, by_backer = NULL, no_reason = NULL, rejected = NULL;
  g_autoptr(CsTestResponse) s2 = NULL, approved = NULL, again = NULL, suspended = NULL, cancelled = NULL;
  g_autoptr(CsTestResponse) stranger_submit = NULL, audit = NULL, audit_backer = NULL, anon = NULL;
  JsonArray *items;

  cs_test_assert_problem (early_approve, 409, NULL);
  stranger_submit = cs_test_request (ts, "POST", submit, stranger, NULL);
  cs_test_assert_problem (stranger_submit, 404, NULL);
  s1 = cs_test_request (ts, "POST", submit, creator, NULL);
  g_assert_cmpstr (cs_test_string (s1, "status"), ==, "pending_review");

  by_backer = cs_test_request (ts, "POST", reject, stranger, "{\"reason\": \"I do not like it\"}");
  cs_test_assert_problem (by_backer, 403, NULL);
  no_reason = cs_test_request (ts, "POST", reject, moderator, NULL);
  cs_test_assert_problem (no_reason, 422, "reason");
  rejected = cs_test_request (ts, "POST", reject, moderator, "{\"reason\": \"The rewards need delivery dates.\"}");
  g_assert_cmpuint (rejected->status, ==, 200);
  g_assert_cmpstr (cs_test_string (rejected, "status"), ==, "rejected");
  g_assert_cmpstr (cs_test_string (rejected, "rejection_reason"), ==, "The rewards need delivery dates.");

  s2 = cs_test_request (ts, "POST", submit, creator, NULL);
  g_assert_cmpstr (cs_test_string (s2, "status"), ==, "pending_review");
  approved = cs_test_request (ts, "POST", approve, admin, NULL);
  g_assert_cmpstr (cs_test_string (approved, "status"), ==, "live");
  g_assert_false (json_object_get_null_member (cs_test_object (approved), "end_date"));
  again = cs_test_request (ts, "POST", submit, creator, NULL);
  cs_test_assert_problem (again, 409, NULL);

  /* now public */
  {
    g_autofree char *path = path_of (id, "");

    anon = cs_test_request (ts, "GET", path, NULL, NULL);
  }
  g_assert_cmpuint (anon->status, ==, 200);
  g_assert_false (json_object_has_member (cs_test_object (anon), "rejection_reason"));

  suspended = cs_test_request (ts, "POST", suspend, moderator, "{\"reason\": \"Reported as a scam\"}");
  g_assert_cmpstr (cs_test_string (suspended, "status"), ==, "suspended");
  cancelled = cs_test_request (ts, "POST", cancel, creator, NULL);
  g_assert_cmpstr (cs_test_string (cancelled, "status"), ==, "cancelled");

  audit_backer = cs_test_request (ts, "GET", "/api/v1/admin/audit", stranger, NULL);
  cs_test_assert_problem (audit_backer, 403, NULL);
  audit = cs_test_request (ts, "GET", "/api/v1/admin/audit?limit=100", moderator, NULL);
  g_assert_cmpuint (audit->status, ==, 200);
  items = json_object_get_array_member (cs_test_object (audit), "items");
  {
    gboolean found_reject = FALSE;

    for (guint i = 0; i < json_array_get_length (items); i++)
      {
        JsonObject *e = json_array_get_object_element (items, i);

        if (g_strcmp0 (json_object_get_string_member (e, "subject_id"), id) == 0 &&
            g_strcmp0 (json_object_get_string_member (e, "action"), "campaign.reject") == 0)
          {
            found_reject = TRUE;
            g_assert_cmpstr (json_object_get_string_member (e, "reason"), ==, "The rewards need delivery dates.");
          }
      }
    g_assert_true (found_reject);
  }
}

static void
test_etag (void)
{
  g_autofree char *id = cs_test_create_campaign (ts, creator, "Cached", "film");
  g_autofree char *path = path_of (id, "");
  g_autoptr(CsTestResponse) first = NULL, second = NULL, changed = NULL, third = NULL;
  g_autofree char *etag = NULL;

  cs_test_make_live (ts, id, creator, moderator);
  first = cs_test_request (ts, "GET", path, NULL, NULL);
  etag = g_strdup (soup_message_headers_get_one (first->headers, "ETag"));
  g_assert_nonnull (etag);
  second = cs_test_request_full (ts, "GET", path, NULL, NULL, NULL, "If-None-Match", etag, NULL);
  g_assert_cmpuint (second->status, ==, 304);
  g_assert_cmpuint (g_bytes_get_size (second->body), ==, 0);
  changed = cs_test_request (ts, "PATCH", path, creator, "{\"description\": \"New words\"}");
  g_assert_cmpuint (changed->status, ==, 200);
  third = cs_test_request_full (ts, "GET", path, NULL, NULL, NULL, "If-None-Match", etag, NULL);
  g_assert_cmpuint (third->status, ==, 200);
  g_assert_cmpstr (cs_test_string (third, "description"), ==, "New words");

  /* the creator's new name shows on the (cached) public page at once */
  {
    g_autoptr(CsTestResponse) renamed = cs_test_request (ts, "PATCH", "/api/v1/me", creator,
                                                         "{\"display_name\": \"Maker Studio\"}");
    g_autoptr(CsTestResponse) fourth = NULL;
    JsonObject *who;

    g_assert_cmpuint (renamed->status, ==, 200);
    fourth = cs_test_request (ts, "GET", path, NULL, NULL);
    who = json_object_get_object_member (cs_test_object (fourth), "creator");
    g_assert_cmpstr (json_object_get_string_member (who, "display_name"), ==, "Maker Studio");
  }
}

static void
test_tiers (void)
{
  g_autofree char *id = cs_test_create_campaign (ts, creator, "Tiered", "design");
  g_autofree char *rewards = path_of (id, "/rewards");
  g_autoptr(CsTestResponse) added = cs_test_request (ts, "POST", rewards, creator,
    "{\"title\": \"Poster\", \"description\": \"A3 print\", \"minimum_pledge\": 1500, \"quantity_available\": 50,"
    " \"estimated_delivery_date\": \"2027-02-01\"}");
  g_autoptr(CsTestResponse) bad_date = cs_test_request (ts, "POST", rewards, creator,
    "{\"title\": \"Poster\", \"minimum_pledge\": 1500, \"estimated_delivery_date\": \"2027-02-31\"}");
  g_autoptr(CsTestResponse) not_owner = NULL, patched = NULL, list = NULL, deleted = NULL, gone = NULL;
  g_autoptr(CsTestResponse) live_add = NULL, live_edit = NULL, live_delete = NULL, zero = NULL;
  g_autofree char *tier_path = NULL;
  g_autofree char *first_tier_path = NULL;
  JsonArray *items;

  g_assert_cmpuint (added->status, ==, 201);
  g_assert_cmpint (cs_test_int (added, "minimum_pledge"), ==, 1500);
  g_assert_cmpint (cs_test_int (added, "quantity_remaining"), ==, 50);
  cs_test_assert_problem (bad_date, 422, "estimated_delivery_date");
  tier_path = g_strconcat (rewards, "/", cs_test_string (added, "id"), NULL);

  not_owner = cs_test_request (ts, "PATCH", tier_path, stranger, "{\"title\": \"Hijack\"}");
  cs_test_assert_problem (not_owner, 404, NULL);
  patched = cs_test_request (ts, "PATCH", tier_path, creator, "{\"title\": \"Signed poster\", \"quantity_available\": null}");
  g_assert_cmpuint (patched->status, ==, 200);
  g_assert_cmpstr (cs_test_string (patched, "title"), ==, "Signed poster");
  g_assert_true (json_object_get_null_member (cs_test_object (patched), "quantity_available"));
  zero = cs_test_request (ts, "PATCH", tier_path, creator, "{\"minimum_pledge\": 0}");
  cs_test_assert_problem (zero, 422, "minimum_pledge");

  list = cs_test_request (ts, "GET", rewards, creator, NULL);
  items = json_object_get_array_member (cs_test_object (list), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  first_tier_path = g_strconcat (rewards, "/", json_object_get_string_member (json_array_get_object_element (items, 0), "id"), NULL);

  deleted = cs_test_request (ts, "DELETE", tier_path, creator, NULL);
  g_assert_cmpuint (deleted->status, ==, 204);
  gone = cs_test_request (ts, "DELETE", tier_path, creator, NULL);
  cs_test_assert_problem (gone, 404, NULL);

  cs_test_make_live (ts, id, creator, moderator);
  live_add = cs_test_request (ts, "POST", rewards, creator, "{\"title\": \"Late addition\", \"minimum_pledge\": 5000}");
  g_assert_cmpuint (live_add->status, ==, 201);
  live_edit = cs_test_request (ts, "PATCH", first_tier_path, creator, "{\"minimum_pledge\": 100}");
  cs_test_assert_problem (live_edit, 409, NULL);
  live_delete = cs_test_request (ts, "DELETE", first_tier_path, creator, NULL);
  cs_test_assert_problem (live_delete, 409, NULL);
}

static GBytes *
tiny_png (void)
{
  static const guint8 png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
  };
  return g_bytes_new_static (png, sizeof png);
}

static void
test_image_upload (void)
{
  g_autofree char *id = cs_test_create_campaign (ts, creator, "Pictured", "photography");
  g_autofree char *image = path_of (id, "/image");
  g_autoptr(GBytes) png = tiny_png ();
  g_autoptr(GBytes) text = g_bytes_new_static ("hello", 5);
  g_autoptr(CsTestResponse) ok = cs_test_request_full (ts, "POST", image, creator, "image/png", png, NULL);
  g_autoptr(CsTestResponse) lying = cs_test_request_full (ts, "POST", image, creator, "image/jpeg", png, NULL);
  g_autoptr(CsTestResponse) wrong_type = cs_test_request_full (ts, "POST", image, creator, "text/plain", text, NULL);
  g_autoptr(CsTestResponse) not_owner = cs_test_request_full (ts, "POST", image, stranger, "image/png", png, NULL);
  g_autoptr(CsTestResponse) media = NULL, cached = NULL, missing = NULL, too_big = NULL;
  g_autofree char *big = g_malloc0 (6 * 1024 * 1024);
  g_autoptr(GBytes) big_bytes = NULL;
  const char *url;

  g_assert_cmpuint (ok->status, ==, 200);
  url = cs_test_string (ok, "image_url");
  g_assert_true (g_str_has_prefix (url, "/media/"));
  cs_test_assert_problem (lying, 422, "image");
  cs_test_assert_problem (wrong_type, 415, NULL);
  cs_test_assert_problem (not_owner, 404, NULL);

  media = cs_test_request (ts, "GET", url, NULL, NULL);
  g_assert_cmpuint (media->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (media->headers, NULL), ==, "image/png");
  g_assert_true (g_bytes_equal (media->body, png));
  g_assert_nonnull (strstr (soup_message_headers_get_one (media->headers, "Cache-Control"), "immutable"));
  cached = cs_test_request_full (ts, "GET", url, NULL, NULL, NULL,
                                 "If-None-Match", soup_message_headers_get_one (media->headers, "ETag"), NULL);
  g_assert_cmpuint (cached->status, ==, 304);
  missing = cs_test_request (ts, "GET", "/media/0000000000000000000000000000000000000000000000000000000000000000.png", NULL, NULL);
  cs_test_assert_problem (missing, 404, NULL);

  memcpy (big, "\x89PNG\r\n\x1a\n", 8);
  big_bytes = g_bytes_new_static (big, 6 * 1024 * 1024);
  too_big = cs_test_request_full (ts, "POST", image, creator, "image/png", big_bytes, NULL);
  g_assert_cmpuint (too_big->status, ==, 413);
}

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  ts = cs_test_server_new (NULL);
  creator = cs_test_register (ts, "maker", NULL);
  stranger = cs_test_register (ts, "stranger", NULL);
  moderator = cs_test_staff_token (ts, "mod", CS_ROLE_MODERATOR);
  admin = cs_test_staff_token (ts, "boss", CS_ROLE_ADMIN);

  g_test_add_func ("/campaigns/create-and-get", test_create_and_get);
  g_test_add_func ("/campaigns/create-invalid", test_create_invalid);
  g_test_add_func ("/campaigns/patch-rules", test_patch_rules);
  g_test_add_func ("/campaigns/lifecycle", test_lifecycle);
  g_test_add_func ("/campaigns/etag", test_etag);
  g_test_add_func ("/campaigns/tiers", test_tiers);
  g_test_add_func ("/campaigns/image-upload", test_image_upload);

  status = g_test_run ();
  g_free (creator);
  g_free (stranger);
  g_free (moderator);
  g_free (admin);
  cs_test_server_free (ts);
  return status;
}
