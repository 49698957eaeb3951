/* test-http-discovery.c: GET /campaigns (search, filters, sorts, cursors)
 * and GET /categories over HTTP. */
#include "config.h"

#include <string.h>

#include "cs-test-server.h"

static CsTestServer *ts;
static char *creator;
static char *creator_id;
static char *other;
static char *moderator;
static char *draft_id;

static const struct {
  const char *title;
  const char *category;
} seeds[] = {
  { "Solar powered lantern for hikers", "technology" },
  { "Hand bound poetry anthology", "publishing" },
  { "Cooperative board game about bees", "games" },
  { "Documentary on glacier melt", "film" },
  { "Vegan ramen pop-up kitchen", "food" },
  { "Solar oven for community kitchens", "technology" },
  { "Jazz quartet debut album", "music" },
  { "Ceramic plant pots with drainage", "crafts" },
  { "Café au lait photo book", "photography" },
  { "Pixel art roguelike game", "games" },
  { "Zine about urban cycling", "publishing" },
  { "Modular synthesizer kit", "technology" },
};

static JsonArray *
items_of (CsTestResponse *resp)
{
  g_assert_cmpuint (resp->status, ==, 200);
  return json_object_get_array_member (cs_test_object (resp), "items");
}

static gboolean
contains_id (JsonArray *items, const char *id)
{
  for (guint i = 0; i < json_array_get_length (items); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (items, i), "id"), id) == 0)
      return TRUE;
  return FALSE;
}

static void
test_categories (void)
{
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "GET", "/api/v1/categories", NULL, NULL);
  JsonArray *items = items_of (resp);
  gboolean found_games = FALSE;

  g_assert_cmpuint (json_array_get_length (items), >=, 10);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *c = json_array_get_object_element (items, i);

      g_assert_nonnull (json_object_get_string_member (c, "name"));
      if (g_strcmp0 (json_object_get_string_member (c, "slug"), "games") == 0)
        {
          found_games = TRUE;
          g_assert_cmpint (json_object_get_int_member (c, "live_count"), ==, 2);
        }
    }
  g_assert_true (found_games);
}

static void
test_default_list_hides_drafts (void)
{
  g_autoptr(CsTestResponse) anon = cs_test_request (ts, "GET", "/api/v1/campaigns?limit=100", NULL, NULL);
  g_autoptr(CsTestResponse) mine = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/campaigns?creator_id=%s&limit=100", creator_id);
  g_autoptr(CsTestResponse) drafts_anon = cs_test_request (ts, "GET", "/api/v1/campaigns?status=draft", NULL, NULL);
  g_autoptr(CsTestResponse) drafts_staff = cs_test_request (ts, "GET", "/api/v1/campaigns?status=draft", moderator, NULL);
  JsonArray *items = items_of (anon);

  g_assert_cmpuint (json_array_get_length (items), ==, G_N_ELEMENTS (seeds));
  g_assert_false (contains_id (items, draft_id));
  /* summaries carry no rewards */
  g_assert_false (json_object_has_member (json_array_get_object_element (items, 0), "rewards"));

  mine = cs_test_request (ts, "GET", path, creator, NULL);
  g_assert_true (contains_id (items_of (mine), draft_id));
  g_assert_cmpuint (json_array_get_length (items_of (drafts_anon)), ==, 0);
  g_assert_true (contains_id (items_of (drafts_staff), draft_id));
}

static void
test_search (void)
{
  g_autoptr(CsTestResponse) solar = cs_test_request (ts, "GET", "/api/v1/campaigns?q=solar", NULL, NULL);
  g_autoptr(CsTestResponse) prefix = cs_test_request (ts, "GET", "/api/v1/campaigns?q=synth", NULL, NULL);
  g_autoptr(CsTestResponse) accents = cs_test_request (ts, "GET", "/api/v1/campaigns?q=cafe", NULL, NULL);
  g_autoptr(CsTestResponse) hostile = cs_test_request (ts, "GET", "/api/v1/campaigns?q=%22%2A%28%29%20OR%20NEAR", NULL, NULL);
  g_autoptr(CsTestResponse) nothing = cs_test_request (ts, "GET", "/api/v1/campaigns?q=%2A%2A%2A", NULL, NULL);
  g_autoptr(CsTestResponse) cat = cs_test_request (ts, "GET", "/api/v1/campaigns?q=solar&category=technology&sort=newest", NULL, NULL);
  g_autoptr(CsTestResponse) stem = cs_test_request (ts, "GET", "/api/v1/campaigns?q=kitchen", NULL, NULL);
  JsonArray *items = items_of (solar);

  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (items, i), "title"), "Solar"));
  g_assert_cmpuint (json_array_get_length (items_of (prefix)), ==, 1);
  g_assert_cmpuint (json_array_get_length (items_of (accents)), ==, 1);
  g_assert_cmpuint (hostile->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (items_of (nothing)), ==, 0);
  g_assert_cmpuint (json_array_get_length (items_of (cat)), ==, 2);
  g_assert_cmpuint (json_array_get_length (items_of (stem)), ==, 2);   /* "kitchen" and "kitchens" */
}

static void
test_filters (void)
{
  g_autoptr(CsTestResponse) games = cs_test_request (ts, "GET", "/api/v1/campaigns?category=games", NULL, NULL);
  g_autoptr(CsTestResponse) live = cs_test_request (ts, "GET", "/api/v1/campaigns?status=live&limit=100", NULL, NULL);
  g_autoptr(CsTestResponse) multi = cs_test_request (ts, "GET", "/api/v1/campaigns?status=live,successful", NULL, NULL);
  g_autoptr(CsTestResponse) bad_status = cs_test_request (ts, "GET", "/api/v1/campaigns?status=flying", NULL, NULL);
  g_autoptr(CsTestResponse) bad_sort = cs_test_request (ts, "GET", "/api/v1/campaigns?sort=random", NULL, NULL);
  g_autoptr(CsTestResponse) relevance_no_q = cs_test_request (ts, "GET", "/api/v1/campaigns?sort=relevance", NULL, NULL);
  g_autoptr(CsTestResponse) big = cs_test_request (ts, "GET", "/api/v1/campaigns?limit=101", NULL, NULL);
  g_autoptr(CsTestResponse) zero = cs_test_request (ts, "GET", "/api/v1/campaigns?limit=0", NULL, NULL);
  g_autoptr(CsTestResponse) cursor = cs_test_request (ts, "GET", "/api/v1/campaigns?cursor=garbage", NULL, NULL);
  JsonArray *items = items_of (games);

  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, i), "category"), ==, "games");
  g_assert_cmpuint (json_array_get_length (items_of (live)), ==, G_N_ELEMENTS (seeds));
  g_assert_cmpuint (multi->status, ==, 200);
  cs_test_assert_problem (bad_status, 422, "status");
  cs_test_assert_problem (bad_sort, 422, "sort");
  cs_test_assert_problem (relevance_no_q, 422, "sort");
  cs_test_assert_problem (big, 422, "limit");
  cs_test_assert_problem (zero, 422, "limit");
  cs_test_assert_problem (cursor, 422, "cursor");
}

/* Walks every page of @sort with page size 5: every campaign once, in order. */
static void
walk_sort (const char *sort)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  guint pages = 0;
  gint64 last_key = G_MININT64;

  do
    {
      g_autofree char *path = NULL;
      g_autoptr(CsTestResponse) resp = NULL;
      JsonArray *items;
      JsonNode *next;

      if (cursor != NULL)
        {
          g_autofree char *escaped = g_uri_escape_string (cursor, NULL, FALSE);

          path = g_strdup_printf ("/api/v1/campaigns?sort=%s&limit=5&cursor=%s", sort, escaped);
        }
      else
        path = g_strdup_printf ("/api/v1/campaigns?sort=%s&limit=5", sort);
      resp = cs_test_request (ts, "GET", path, NULL, NULL);
      items = items_of (resp);
      g_assert_cmpuint (json_array_get_length (items), <=, 5);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *c = json_array_get_object_element (items, i);
          const char *id = json_object_get_string_member (c, "id");

          g_assert_false (g_hash_table_contains (seen, id));
          g_hash_table_add (seen, g_strdup (id));
          if (g_str_equal (sort, "ending_soon"))
            {
              gint64 end = 0;

              g_assert_true (cs_time_parse (json_object_get_string_member (c, "end_date"), &end));
              g_assert_cmpint (end, >=, last_key);
              last_key = end;
            }
        }
      g_clear_pointer (&cursor, g_free);
      next = json_object_get_member (cs_test_object (resp), "next_cursor");
      if (next != NULL && !JSON_NODE_HOLDS_NULL (next))
        cursor = g_strdup (json_node_get_string (next));
      pages++;
    }
  while (cursor != NULL && pages < 10);

  g_assert_cmpuint (g_hash_table_size (seen), ==, G_N_ELEMENTS (seeds));
  g_assert_cmpuint (pages, ==, 3);
}

static void
test_sorts_and_pages (void)
{
  walk_sort ("trending");
  walk_sort ("newest");
  walk_sort ("ending_soon");
  walk_sort ("most_funded");
}

static void
test_cursor_of_other_sort (void)
{
  g_autoptr(CsTestResponse) first = cs_test_request (ts, "GET", "/api/v1/campaigns?sort=newest&limit=2", NULL, NULL);
  g_autofree char *escaped = g_uri_escape_string (cs_test_string (first, "next_cursor"), NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/campaigns?sort=most_funded&cursor=%s", escaped);
  g_autoptr(CsTestResponse) mixed = cs_test_request (ts, "GET", path, NULL, NULL);

  cs_test_assert_problem (mixed, 422, "cursor");
}

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  ts = cs_test_server_new (NULL);
  creator = cs_test_register (ts, "finder", &creator_id);
  other = cs_test_register (ts, "seeker", NULL);
  moderator = cs_test_staff_token (ts, "curator", CS_ROLE_MODERATOR);
  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      g_autofree char *id = cs_test_create_campaign (ts, creator, seeds[i].title, seeds[i].category);

      cs_test_make_live (ts, id, creator, moderator);
    }
  draft_id = cs_test_create_campaign (ts, creator, "Solar secret draft", "technology");

  g_test_add_func ("/discovery/categories", test_categories);
  g_test_add_func ("/discovery/default-list-hides-drafts", test_default_list_hides_drafts);
  g_test_add_func ("/discovery/search", test_search);
  g_test_add_func ("/discovery/filters", test_filters);
  g_test_add_func ("/discovery/sorts-and-pages", test_sorts_and_pages);
  g_test_add_func ("/discovery/cursor-of-other-sort", test_cursor_of_other_sort);

  status = g_test_run ();
  g_free (creator);
  g_free (creator_id);
  g_free (other);
  g_free (moderator);
  g_free (draft_id);
  cs_test_server_free (ts);
  return status;
}
