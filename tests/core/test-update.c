/* test-update.c: updates and categories read back from their JSON form. */
#include "config.h"

#include "crowdspark-core.h"

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = cs_json_parse_object (text, strlen (text), &error);

  g_assert_no_error (error);
  return node;
}

static JsonNode *
write_category (const CsCategory *category)
{
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *text = NULL;

  cs_category_write_json (category, w);
  text = cs_json_writer_free_to_string (g_steal_pointer (&w));
  return parse (text);
}

static void
test_category_round_trip (void)
{
  CsCategory in = { .slug = (char *) "games", .name = (char *) "Games", .live_count = 7 };
  g_autoptr(JsonNode) node = write_category (&in);
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCategory) out = cs_category_from_json (json_node_get_object (node), &error);

  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_cmpstr (out->slug, ==, "games");
  g_assert_cmpstr (out->name, ==, "Games");
  g_assert_cmpint (out->live_count, ==, 7);
}

static void
test_category_rejects (void)
{
  static const char * const bad[] = {
    "{\"name\": \"Games\", \"live_count\": 1}",
    "{\"slug\": 3, \"name\": \"Games\"}",
    "{\"slug\": \"\", \"name\": \"Games\"}",
    "{\"slug\": \"games\"}",
    "{\"slug\": \"games\", \"name\": \"Games\", \"live_count\": \"7\"}",
    "{\"slug\": \"games\", \"name\": \"Games\", \"live_count\": 1.5}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) node = parse (bad[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(CsCategory) out = cs_category_from_json (json_node_get_object (node), &error);

      g_assert_null (out);
      g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
    }

  {
    g_autoptr(JsonNode) node = parse ("{\"slug\": \"art\", \"name\": \"Art\", \"live_count\": null}");
    g_autoptr(GError) error = NULL;
    g_autoptr(CsCategory) out = cs_category_from_json (json_node_get_object (node), &error);

    g_assert_no_error (error);
    g_assert_cmpint (out->live_count, ==, 0);
  }
}

static void
test_update_round_trip (void)
{
  g_autoptr(CsUpdate) in = cs_update_new ();
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUpdate) out = NULL;

  in->id = g_strdup ("upd_1");
  in->campaign_id = g_strdup ("cmp_1");
  in->author_id = g_strdup ("usr_1");
  in->title = g_strdup ("Shipping");
  in->content = g_strdup ("Boxes are on their way.");
  in->visibility = CS_UPDATE_BACKERS_ONLY;
  in->created_at = 1700000000;
  cs_update_write_json (in, w, FALSE);   /* a non-backer's view: locked */
  text = cs_json_writer_free_to_string (g_steal_pointer (&w));
  node = parse (text);

  out = cs_update_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out->id, ==, "upd_1");
  g_assert_cmpstr (out->campaign_id, ==, "cmp_1");
  g_assert_cmpstr (out->title, ==, "Shipping");
  g_assert_null (out->content);
  g_assert_cmpint (out->visibility, ==, CS_UPDATE_BACKERS_ONLY);
  g_assert_cmpint (out->created_at, ==, 1700000000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/update/category-round-trip", test_category_round_trip);
  g_test_add_func ("/update/category-rejects", test_category_rejects);
  g_test_add_func ("/update/round-trip", test_update_round_trip);
  return g_test_run ();
}
