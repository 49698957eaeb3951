/* test-campaign.c: the campaign state machine, editable fields, and the
 * validation of campaign, reward tier and account input. */
#include "config.h"

#include <string.h>

#include <crowdspark-core.h>

/* Helpers */

static JsonNode *
parse_object (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = cs_json_parse_object (json, strlen (json), &error);

  g_assert_no_error (error);
  return node;
}

/* Asserts that @error is a validation error with exactly one field error,
 * @field → @message (any message if NULL). */
static void
assert_only_field (const GError *error, const char *field, const char *message)
{
  GHashTable *fields;

  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  fields = cs_error_get_fields (error);
  g_assert_nonnull (fields);
  if (!g_hash_table_contains (fields, field) || g_hash_table_size (fields) != 1)
    {
      GHashTableIter iter;
      gpointer k, val;

      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &k, &val))
        g_printerr ("  %s: %s\n", (char *) k, (char *) val);
      g_error ("expected only an error on “%s”", field);
    }
  if (message != NULL)
    g_assert_cmpstr (g_hash_table_lookup (fields, field), ==, message);
}

static void
assert_only_validation_field (CsValidation *v, const char *field, const char *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cs_validation_finish (v, "x", &error));
  assert_only_field (error, field, message);
}

/* Statuses and the state machine */

#define NO -1

/* expected[event][status]: the target status, or NO. */
static const int expected_transitions[CS_CAMPAIGN_N_EVENTS][CS_CAMPAIGN_N_STATUSES] = {
  /*                 draft                       pending                   live                      successful failed rejected                    cancelled suspended */
  [CS_CAMPAIGN_EVENT_SUBMIT]    = { CS_CAMPAIGN_PENDING_REVIEW, NO, NO, NO, NO, CS_CAMPAIGN_PENDING_REVIEW, NO, NO },
  [CS_CAMPAIGN_EVENT_APPROVE]   = { NO, CS_CAMPAIGN_LIVE, NO, NO, NO, NO, NO, NO },
  [CS_CAMPAIGN_EVENT_REJECT]    = { NO, CS_CAMPAIGN_REJECTED, NO, NO, NO, NO, NO, NO },
  [CS_CAMPAIGN_EVENT_CANCEL]    = { CS_CAMPAIGN_CANCELLED, CS_CAMPAIGN_CANCELLED, CS_CAMPAIGN_CANCELLED,
                                    NO, NO, CS_CAMPAIGN_CANCELLED, NO, CS_CAMPAIGN_CANCELLED },
  [CS_CAMPAIGN_EVENT_SUSPEND]   = { NO, NO, CS_CAMPAIGN_SUSPENDED, NO, NO, NO, NO, NO },
  [CS_CAMPAIGN_EVENT_REINSTATE] = { NO, NO, NO, NO, NO, NO, NO, CS_CAMPAIGN_LIVE },
  [CS_CAMPAIGN_EVENT_SUCCEED]   = { NO, NO, CS_CAMPAIGN_SUCCESSFUL, NO, NO, NO, NO, NO },
  [CS_CAMPAIGN_EVENT_FAIL]      = { NO, NO, CS_CAMPAIGN_FAILED, NO, NO, NO, NO, CS_CAMPAIGN_FAILED },
};

static void
test_status_strings (void)
{
  const char *names[] = { "draft", "pending_review", "live", "successful", "failed",
                          "rejected", "cancelled", "suspended" };
  CsCampaignStatus status;

  G_STATIC_ASSERT (G_N_ELEMENTS (names) == CS_CAMPAIGN_N_STATUSES);
  for (int s = 0; s < CS_CAMPAIGN_N_STATUSES; s++)
    {
      g_assert_cmpstr (cs_campaign_status_to_string ((CsCampaignStatus) s), ==, names[s]);
      g_assert_true (cs_campaign_status_from_string (names[s], &status));
      g_assert_cmpint (status, ==, s);
    }
  g_assert_false (cs_campaign_status_from_string ("LIVE", &status));
  g_assert_false (cs_campaign_status_from_string ("", &status));
  g_assert_false (cs_campaign_status_from_string (NULL, &status));
  g_assert_false (cs_campaign_status_from_string ("pending review", &status));

  {
    const char *events[] = { "submit", "approve", "reject", "cancel", "suspend", "reinstate",
                             "succeed", "fail" };

    G_STATIC_ASSERT (G_N_ELEMENTS (events) == CS_CAMPAIGN_N_EVENTS);
    for (int e = 0; e < CS_CAMPAIGN_N_EVENTS; e++)
      g_assert_cmpstr (cs_campaign_event_to_string ((CsCampaignEvent) e), ==, events[e]);
  }
}

static void
test_transitions (void)
{
  for (int e = 0; e < CS_CAMPAIGN_N_EVENTS; e++)
    {
      CsCampaignStatusSet sources = 0;
      int target = NO;

      for (int s = 0; s < CS_CAMPAIGN_N_STATUSES; s++)
        {
          g_autoptr(GError) error = NULL;
          CsCampaignStatus to = CS_CAMPAIGN_N_STATUSES;
          int want = expected_transitions[e][s];
          gboolean ok = cs_campaign_transition ((CsCampaignStatus) s, (CsCampaignEvent) e, &to, &error);

          if (want == NO)
            {
              if (ok)
                g_error ("%s from %s was allowed", cs_campaign_event_to_string (e),
                         cs_campaign_status_to_string (s));
              g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
              g_assert_cmpuint (strlen (error->message), >, 10);
              g_assert_cmpint (to, ==, CS_CAMPAIGN_N_STATUSES);
              g_assert_cmpuint (cs_error_http_status (error), ==, 409);
            }
          else
            {
              if (!ok)
                g_error ("%s from %s: %s", cs_campaign_event_to_string (e),
                         cs_campaign_status_to_string (s), error->message);
              g_assert_cmpint (to, ==, want);
              sources |= CS_STATUS_BIT (s);
              target = want;
            }
        }
      g_assert_cmphex (cs_campaign_event_sources ((CsCampaignEvent) e), ==, sources);
      g_assert_cmpint (cs_campaign_event_target ((CsCampaignEvent) e), ==, target);
    }
}

static void
test_transition_messages (void)
{
  static const struct {
    CsCampaignStatus from;
    CsCampaignEvent  event;
    const char      *message;
  } cases[] = {
    { CS_CAMPAIGN_LIVE, CS_CAMPAIGN_EVENT_SUBMIT, "A live campaign cannot be submitted for review" },
    { CS_CAMPAIGN_DRAFT, CS_CAMPAIGN_EVENT_APPROVE, "A draft cannot be approved" },
    { CS_CAMPAIGN_SUCCESSFUL, CS_CAMPAIGN_EVENT_CANCEL, "A successful campaign cannot be cancelled" },
    { CS_CAMPAIGN_CANCELLED, CS_CAMPAIGN_EVENT_CANCEL, "The campaign is already cancelled" },
    { CS_CAMPAIGN_LIVE, CS_CAMPAIGN_EVENT_APPROVE, "The campaign is already live" },
    { CS_CAMPAIGN_PENDING_REVIEW, CS_CAMPAIGN_EVENT_SUBMIT, "The campaign is already pending review" },
    { CS_CAMPAIGN_FAILED, CS_CAMPAIGN_EVENT_SUCCEED, "A failed campaign cannot be marked successful" },
    { CS_CAMPAIGN_REJECTED, CS_CAMPAIGN_EVENT_SUSPEND, "A rejected campaign cannot be suspended" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (cs_campaign_transition (cases[i].from, cases[i].event, NULL, &error));
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }

  {
    g_autoptr(GError) error = NULL;

    /* Out-of-range values from a corrupt row are a conflict, not a crash. */
    g_assert_false (cs_campaign_transition ((CsCampaignStatus) 99, CS_CAMPAIGN_EVENT_CANCEL, NULL, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
    g_assert_false (cs_campaign_transition (CS_CAMPAIGN_LIVE, (CsCampaignEvent) 99, NULL, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_assert_cmphex (cs_campaign_event_sources ((CsCampaignEvent) 99), ==, 0);
  }
}

static void
test_is_public (void)
{
  g_assert_false (cs_campaign_status_is_public (CS_CAMPAIGN_DRAFT));
  g_assert_false (cs_campaign_status_is_public (CS_CAMPAIGN_PENDING_REVIEW));
  g_assert_true (cs_campaign_status_is_public (CS_CAMPAIGN_LIVE));
  g_assert_true (cs_campaign_status_is_public (CS_CAMPAIGN_SUCCESSFUL));
  g_assert_true (cs_campaign_status_is_public (CS_CAMPAIGN_FAILED));
  g_assert_false (cs_campaign_status_is_public (CS_CAMPAIGN_REJECTED));
  g_assert_false (cs_campaign_status_is_public (CS_CAMPAIGN_CANCELLED));
  g_assert_true (cs_campaign_status_is_public (CS_CAMPAIGN_SUSPENDED));
  g_assert_false (cs_campaign_status_is_public ((CsCampaignStatus) 42));
}

#define B(s) CS_STATUS_BIT (CS_CAMPAIGN_ ## s)

static void
test_editable_fields (void)
{
  const CsCampaignStatusSet setup = B (DRAFT) | B (REJECTED);
  const CsCampaignStatusSet story = setup | B (LIVE);

  g_assert_cmpstr (cs_campaign_field_name (CS_CAMPAIGN_FIELD_TITLE), ==, "title");
  g_assert_cmpstr (cs_campaign_field_name (CS_CAMPAIGN_FIELD_DESCRIPTION), ==, "description");
  g_assert_cmpstr (cs_campaign_field_name (CS_CAMPAIGN_FIELD_CATEGORY), ==, "category");
  g_assert_cmpstr (cs_campaign_field_name (CS_CAMPAIGN_FIELD_GOAL_AMOUNT), ==, "goal_amount");
  g_assert_cmpstr (cs_campaign_field_name (CS_CAMPAIGN_FIELD_CURRENCY), ==, "currency");
  g_assert_cmpstr (cs_campaign_field_name (CS_CAMPAIGN_FIELD_DURATION_DAYS), ==, "duration_days");
  g_assert_cmpstr (cs_campaign_field_name (CS_CAMPAIGN_FIELD_IMAGE_URL), ==, "image_url");
  g_assert_null (cs_campaign_field_name ((CsCampaignField) (1 << 12)));

  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_TITLE), ==, setup);
  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_CATEGORY), ==, setup);
  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_GOAL_AMOUNT), ==, setup);
  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_CURRENCY), ==, setup);
  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_DURATION_DAYS), ==, setup);
  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_DESCRIPTION), ==, story);
  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_IMAGE_URL), ==, story);
  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_DESCRIPTION |
                                                   CS_CAMPAIGN_FIELD_IMAGE_URL), ==, story);
  g_assert_cmphex (cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_DESCRIPTION |
                                                   CS_CAMPAIGN_FIELD_TITLE), ==, setup);
  g_assert_cmphex (cs_campaign_fields_editable_in (0), ==, story);
  g_assert_cmphex (cs_campaign_fields_editable_in (1 << 20), ==, 0);

  /* Nothing is editable once the campaign is over or under review. */
  for (guint fields = 1; fields < (1u << 7); fields++)
    {
      CsCampaignStatusSet set = cs_campaign_fields_editable_in (fields);

      g_assert_cmphex (set & (B (PENDING_REVIEW) | B (SUCCESSFUL) | B (FAILED) |
                              B (CANCELLED) | B (SUSPENDED)), ==, 0);
      g_assert_cmphex (set & setup, ==, setup);
    }

  g_assert_cmphex (cs_campaign_tiers_editable_in (), ==, setup);
  g_assert_cmphex (cs_campaign_tiers_addable_in (), ==, story);
}

/* The campaign object */

static void
test_campaign_copy (void)
{
  g_autoptr(CsCampaign) c = cs_campaign_new ();
  g_autoptr(CsCampaign) copy = NULL;
  CsRewardTier *tier = cs_reward_tier_new ();

  g_assert_nonnull (c->rewards);
  g_assert_cmpint (c->status, ==, CS_CAMPAIGN_DRAFT);
  c->id = g_strdup ("cmp_1");
  c->title = g_strdup ("T");
  c->creator.username = g_strdup ("u");
  c->goal_amount = 1000;
  c->current_amount = 2500;
  memcpy (c->currency, "USD", 4);
  tier->title = g_strdup ("tier");
  g_ptr_array_add (c->rewards, tier);

  copy = cs_campaign_copy (c);
  g_assert_true (copy->title != c->title);
  g_assert_cmpstr (copy->title, ==, "T");
  g_assert_true (copy->creator.username != c->creator.username);
  g_assert_cmpstr (copy->currency, ==, "USD");
  g_assert_true (copy->rewards != c->rewards);
  g_assert_cmpuint (copy->rewards->len, ==, 1);
  g_assert_true (g_ptr_array_index (copy->rewards, 0) != tier);
  g_assert_cmpstr (((CsRewardTier *) g_ptr_array_index (copy->rewards, 0))->title, ==, "tier");
  g_assert_cmpint (cs_campaign_percent_funded (copy), ==, 250);

  g_assert_null (cs_campaign_copy (NULL));
  g_assert_null (cs_reward_tier_copy (NULL));
  cs_campaign_free (NULL);
  cs_reward_tier_free (NULL);
}

/* Campaign input */

static const char *valid_create =
  "{\"title\":\"Quiet keyboard\",\"description\":\"A story.\\nWith two lines.\","
  "\"category\":\"technology\",\"goal_amount\":500000,\"currency\":\"EUR\",\"duration_days\":30,"
  "\"image_url\":\"https://example.org/a.png\","
  "\"rewards\":[{\"title\":\"Sticker\",\"description\":\"\",\"minimum_pledge\":500,"
  "\"estimated_delivery_date\":\"2027-01-31\",\"quantity_available\":100},"
  "{\"title\":\"Keyboard\",\"minimum_pledge\":15000,\"quantity_available\":null}]}";

static void
test_input_valid (void)
{
  g_autoptr(JsonNode) node = parse_object (valid_create);
  g_autoptr(GError) error = NULL;
  CsCampaignInput in;
  CsRewardTierInput *t;

  g_assert_true (cs_campaign_input_read (json_node_get_object (node), FALSE, NULL, &in, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (in.title, ==, "Quiet keyboard");
  g_assert_cmpstr (in.description, ==, "A story.\nWith two lines.");
  g_assert_cmpstr (in.category, ==, "technology");
  g_assert_cmpint (in.goal_amount, ==, 500000);
  g_assert_cmpstr (in.currency, ==, "EUR");
  g_assert_cmpint (in.duration_days, ==, 30);
  g_assert_cmpstr (in.image_url, ==, "https://example.org/a.png");
  g_assert_cmphex (in.fields, ==, CS_CAMPAIGN_FIELD_TITLE | CS_CAMPAIGN_FIELD_DESCRIPTION |
                   CS_CAMPAIGN_FIELD_CATEGORY | CS_CAMPAIGN_FIELD_GOAL_AMOUNT |
                   CS_CAMPAIGN_FIELD_CURRENCY | CS_CAMPAIGN_FIELD_DURATION_DAYS |
                   CS_CAMPAIGN_FIELD_IMAGE_URL);
  g_assert_nonnull (in.rewards);
  g_assert_cmpuint (in.rewards->len, ==, 2);

  t = &g_array_index (in.rewards, CsRewardTierInput, 0);
  g_assert_cmpstr (t->title, ==, "Sticker");
  g_assert_cmpstr (t->description, ==, "");
  g_assert_cmpint (t->minimum_pledge, ==, 500);
  g_assert_cmpstr (t->estimated_delivery_date, ==, "2027-01-31");
  g_assert_cmpint (t->quantity_available, ==, 100);
  g_assert_true (t->has_title && t->has_description && t->has_minimum_pledge &&
                 t->has_estimated_delivery_date && t->has_quantity_available);

  t = &g_array_index (in.rewards, CsRewardTierInput, 1);
  g_assert_cmpstr (t->title, ==, "Keyboard");
  g_assert_cmpstr (t->description, ==, "");
  g_assert_false (t->has_description);
  g_assert_null (t->estimated_delivery_date);
  g_assert_false (t->has_estimated_delivery_date);
  g_assert_cmpint (t->quantity_available, ==, -1);
  g_assert_true (t->has_quantity_available);

  cs_campaign_input_clear (&in);
  g_assert_null (in.title);
  g_assert_null (in.rewards);
  cs_campaign_input_clear (&in);  /* twice is fine */
  cs_campaign_input_clear (NULL);
}

static void
test_input_minimal (void)
{
  /* Optional members absent, a /media/ image, the extremes of each range. */
  g_autoptr(JsonNode) node = parse_object (
    "{\"title\":\"abc\",\"description\":\"x\",\"category\":\"a-1\",\"goal_amount\":1,"
    "\"currency\":\"JPY\",\"duration_days\":60,\"image_url\":\"/media/k.png\"}");
  g_autoptr(GError) error = NULL;
  CsCampaignInput in;

  g_assert_true (cs_campaign_input_read (json_node_get_object (node), FALSE, NULL, &in, &error));
  g_assert_no_error (error);
  g_assert_null (in.rewards);
  g_assert_cmpint (in.goal_amount, ==, 1);
  g_assert_cmpint (in.duration_days, ==, 60);
  cs_campaign_input_clear (&in);
}

typedef struct {
  const char *member;
  const char *value;     /* JSON text; NULL: remove the member */
  const char *field;
  const char *message;   /* NULL: any */
} BadInput;

static const BadInput bad_inputs[] = {
  { "title", NULL, "title", "is required" },
  { "title", "null", "title", "is required" },
  { "title", "\"ab\"", "title", "must be at least 3 characters" },
  { "title", "5", "title", "must be a string" },
  { "title", "[\"x\"]", "title", "must be a string" },
  { "title", "\"two\\nlines\"", "title", "must be a single line" },
  { "title", "\"bell\\u0007\"", "title", "must not contain control characters" },
  { "description", NULL, "description", "is required" },
  { "description", "\"\"", "description", "must not be empty" },
  { "description", "{}", "description", "must be a string" },
  { "description", "\"esc\\u001b[0m\"", "description", "must not contain control characters" },
  { "category", NULL, "category", "is required" },
  { "category", "\"Tech\"", "category", "may only contain lower-case letters, digits and “-”" },
  { "category", "\"a b\"", "category", "may only contain lower-case letters, digits and “-”" },
  { "category", "\"\"", "category", "must not be empty" },
  { "category", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "category", "must be at most 40 characters" },
  { "category", "true", "category", "must be a string" },
  { "goal_amount", NULL, "goal_amount", "is required" },
  { "goal_amount", "99", "goal_amount", "must be between 100 and 10000000000000" },
  { "goal_amount", "-500", "goal_amount", "must be between 100 and 10000000000000" },
  { "goal_amount", "10000000000001", "goal_amount", "must be between 100 and 10000000000000" },
  { "goal_amount", "500.5", "goal_amount", "must be a whole number (in minor units)" },
  { "goal_amount", "5e5", "goal_amount", "must be a whole number (in minor units)" },
  { "goal_amount", "\"500000\"", "goal_amount", "must be a whole number (in minor units)" },
  { "currency", NULL, "currency", "is required" },
  { "currency", "\"XXX\"", "currency", "is not a supported currency" },
  { "currency", "\"eur\"", "currency", "is not a supported currency" },
  { "currency", "\"EURO\"", "currency", "is not a supported currency" },
  { "currency", "978", "currency", "must be a string" },
  { "currency", "\"\"", "currency", "is not a supported currency" },
  { "currency", "\"US Dollars, the currency of the United States of America and some others\"",
    "currency", "is not a supported currency" },
  { "duration_days", NULL, "duration_days", "is required" },
  { "duration_days", "0", "duration_days", "must be between 1 and 60" },
  { "duration_days", "61", "duration_days", "must be between 1 and 60" },
  { "duration_days", "30.5", "duration_days", "must be a whole number" },
  { "duration_days", "\"30\"", "duration_days", "must be a whole number" },
  { "image_url", "\"http://example.org/a.png\"", "image_url", "must be a /media/ path or an https:// URL" },
  { "image_url", "\"/media/\"", "image_url", "must be a /media/ path or an https:// URL" },
  { "image_url", "\"javascript:alert(1)\"", "image_url", "must be a /media/ path or an https:// URL" },
  { "image_url", "\"\"", "image_url", "must not be empty" },
  { "image_url", "7", "image_url", "must be a string" },
  { "rewards", "{}", "rewards", "must be an array" },
  { "rewards", "\"none\"", "rewards", "must be an array" },
  { "rewards", "[1]", "rewards[0]", "must be an object" },
  { "rewards", "[{\"minimum_pledge\":500}]", "rewards[0].title", "is required" },
  { "rewards", "[{\"title\":\"t\"}]", "rewards[0].minimum_pledge", "is required" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":99}]", "rewards[0].minimum_pledge",
    "must be between 100 and 10000000000000" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":9.99}]", "rewards[0].minimum_pledge",
    "must be a whole number (in minor units)" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"bogus\":1}]", "rewards[0].bogus",
    "is not a known field" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"estimated_delivery_date\":\"2027-02-30\"}]",
    "rewards[0].estimated_delivery_date", "must be a date in the form YYYY-MM-DD" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"estimated_delivery_date\":\"soon\"}]",
    "rewards[0].estimated_delivery_date", "must be a date in the form YYYY-MM-DD" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"estimated_delivery_date\":"
    "\"2027-01-01 and a very long text after the date that goes on and on and on and on\"}]",
    "rewards[0].estimated_delivery_date", "must be a date in the form YYYY-MM-DD" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"estimated_delivery_date\":5}]",
    "rewards[0].estimated_delivery_date", "must be a string" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"quantity_available\":0}]",
    "rewards[0].quantity_available", "must be between 1 and 1000000" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"quantity_available\":1000001}]",
    "rewards[0].quantity_available", "must be between 1 and 1000000" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"quantity_available\":\"5\"}]",
    "rewards[0].quantity_available", NULL },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500},{\"title\":\"\",\"minimum_pledge\":500}]",
    "rewards[1].title", "must not be empty" },
  { "rewards", "[{\"title\":\"t\",\"minimum_pledge\":500,\"description\":[]}]",
    "rewards[0].description", "must be a string" },
  { "status", "\"live\"", "status", "is not a known field" },
  { "current_amount", "1000000", "current_amount", "is not a known field" },
};

static void
test_input_bad_fields (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_inputs); i++)
    {
      const BadInput *c = &bad_inputs[i];
      g_autoptr(JsonNode) node = parse_object (valid_create);
      JsonObject *obj = json_node_get_object (node);
      g_autoptr(GError) error = NULL;
      CsCampaignInput in;

      if (c->value == NULL)
        json_object_remove_member (obj, c->member);
      else
        {
          g_autofree char *wrapper = g_strdup_printf ("{\"v\":%s}", c->value);
          g_autoptr(JsonNode) value = parse_object (wrapper);

          json_object_set_member (obj, c->member,
                                  json_node_copy (json_object_get_member (json_node_get_object (value), "v")));
        }

      if (cs_campaign_input_read (obj, FALSE, NULL, &in, &error))
        g_error ("case %zu (%s = %s) was accepted", i, c->member, c->value);
      g_assert_cmpstr (error->message, ==, "The campaign has invalid fields");
      assert_only_field (error, c->field, c->message);
      /* A failed read leaves nothing to free. */
      g_assert_null (in.title);
      g_assert_null (in.rewards);
    }
}

static void
test_input_too_long (void)
{
  g_autoptr(JsonNode) node = parse_object (valid_create);
  JsonObject *obj = json_node_get_object (node);
  g_autofree char *long_description = g_strnfill (50001, 'x');
  g_autofree char *long_url_tail = g_strnfill (2048 - strlen ("https://") + 1, 'u');
  g_autofree char *long_url = g_strconcat ("https://", long_url_tail, NULL);
  g_autofree char *title = g_strnfill (121, 't');
  g_autoptr(GError) error = NULL;
  CsCampaignInput in;

  json_object_set_string_member (obj, "title", title);
  g_assert_false (cs_campaign_input_read (obj, FALSE, NULL, &in, &error));
  assert_only_field (error, "title", "must be at most 120 characters");
  g_clear_error (&error);
  title[120] = '\0';
  json_object_set_string_member (obj, "title", title);

  json_object_set_string_member (obj, "description", long_description);
  g_assert_false (cs_campaign_input_read (obj, FALSE, NULL, &in, &error));
  assert_only_field (error, "description", "must be at most 50000 characters");
  g_clear_error (&error);

  long_description[50000] = '\0';
  json_object_set_string_member (obj, "description", long_description);
  json_object_set_string_member (obj, "image_url", long_url);
  g_assert_false (cs_campaign_input_read (obj, FALSE, NULL, &in, &error));
  assert_only_field (error, "image_url", "must be at most 2048 characters");
  g_clear_error (&error);

  long_url[2048] = '\0';
  json_object_set_string_member (obj, "image_url", long_url);
  g_assert_true (cs_campaign_input_read (obj, FALSE, NULL, &in, &error));
  g_assert_no_error (error);
  cs_campaign_input_clear (&in);
}

static void
test_input_many_rewards (void)
{
  g_autoptr(GString) json = g_string_new (
    "{\"title\":\"abc\",\"description\":\"x\",\"category\":\"art\",\"goal_amount\":1000,"
    "\"currency\":\"USD\",\"duration_days\":10,\"rewards\":[");
  g_autoptr(GError) error = NULL;
  CsCampaignInput in;

  for (int i = 0; i < 50; i++)
    g_string_append_printf (json, "%s{\"title\":\"t%d\",\"minimum_pledge\":%d}", i ? "," : "", i, 100 + i);
  g_string_append (json, "]}");
  {
    g_autoptr(JsonNode) node = parse_object (json->str);

    g_assert_true (cs_campaign_input_read (json_node_get_object (node), FALSE, NULL, &in, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (in.rewards->len, ==, 50);
    g_assert_cmpint (g_array_index (in.rewards, CsRewardTierInput, 49).minimum_pledge, ==, 149);
    cs_campaign_input_clear (&in);
  }

  g_string_truncate (json, json->len - 2);
  g_string_append (json, ",{\"title\":\"one too many\",\"minimum_pledge\":100}]}");
  {
    g_autoptr(JsonNode) node = parse_object (json->str);

    g_assert_false (cs_campaign_input_read (json_node_get_object (node), FALSE, NULL, &in, &error));
    assert_only_field (error, "rewards", "must have at most 50 reward tiers");
  }
}

static void
test_input_many_errors (void)
{
  /* Every problem is reported at once. */
  g_autoptr(JsonNode) node = parse_object (
    "{\"title\":1,\"description\":\"\",\"category\":\"A\",\"goal_amount\":1.5,\"currency\":\"XXX\","
    "\"duration_days\":0,\"image_url\":\"ftp://x\",\"rewards\":[{}],\"extra\":true}");
  g_autoptr(GError) error = NULL;
  CsCampaignInput in;
  GHashTable *fields;
  const char *expected[] = { "title", "description", "category", "goal_amount", "currency",
                             "duration_days", "image_url", "rewards[0].title",
                             "rewards[0].minimum_pledge", "extra" };

  g_assert_false (cs_campaign_input_read (json_node_get_object (node), FALSE, NULL, &in, &error));
  fields = cs_error_get_fields (error);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_true (g_hash_table_contains (fields, expected[i]));
  g_assert_cmpuint (g_hash_table_size (fields), ==, G_N_ELEMENTS (expected));
}

static void
test_input_currency_minimum (void)
{
  static const struct {
    const char *json;
    gboolean    partial;
    const char *hint;
    gboolean    ok;
  } cases[] = {
    { "{\"title\":\"abc\",\"description\":\"x\",\"category\":\"art\",\"goal_amount\":1,"
      "\"currency\":\"JPY\",\"duration_days\":10,\"rewards\":[{\"title\":\"t\",\"minimum_pledge\":1}]}",
      FALSE, NULL, TRUE },
    { "{\"title\":\"abc\",\"description\":\"x\",\"category\":\"art\",\"goal_amount\":99,"
      "\"currency\":\"USD\",\"duration_days\":10}", FALSE, "JPY", FALSE },
    { "{\"goal_amount\":50}", TRUE, "JPY", TRUE },
    { "{\"goal_amount\":50}", TRUE, "USD", FALSE },
    { "{\"goal_amount\":50}", TRUE, NULL, FALSE },
    { "{\"goal_amount\":50}", TRUE, "bogus", FALSE },
    { "{\"goal_amount\":50,\"currency\":\"JPY\"}", TRUE, "USD", TRUE },
    { "{\"goal_amount\":50,\"currency\":\"USD\"}", TRUE, "JPY", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = parse_object (cases[i].json);
      g_autoptr(GError) error = NULL;
      CsCampaignInput in;
      gboolean ok = cs_campaign_input_read (json_node_get_object (node), cases[i].partial,
                                            cases[i].hint, &in, &error);

      if (ok != cases[i].ok)
        g_error ("case %zu: %s", i, error != NULL ? error->message : "accepted");
      if (!ok)
        assert_only_field (error, "goal_amount", NULL);
      cs_campaign_input_clear (&in);
    }
}

static void
test_input_partial (void)
{
  static const struct {
    const char *json;
    guint       fields;
  } good[] = {
    { "{}", 0 },
    { "{\"title\":\"New title\"}", CS_CAMPAIGN_FIELD_TITLE },
    { "{\"title\":null}", 0 },
    { "{\"description\":\"More\\nstory\",\"image_url\":null}",
      CS_CAMPAIGN_FIELD_DESCRIPTION | CS_CAMPAIGN_FIELD_IMAGE_URL },
    { "{\"image_url\":\"/media/new.png\"}", CS_CAMPAIGN_FIELD_IMAGE_URL },
    { "{\"category\":\"games\",\"currency\":\"GBP\",\"goal_amount\":100,\"duration_days\":1}",
      CS_CAMPAIGN_FIELD_CATEGORY | CS_CAMPAIGN_FIELD_CURRENCY | CS_CAMPAIGN_FIELD_GOAL_AMOUNT |
      CS_CAMPAIGN_FIELD_DURATION_DAYS },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(JsonNode) node = parse_object (good[i].json);
      g_autoptr(GError) error = NULL;
      CsCampaignInput in;

      if (!cs_campaign_input_read (json_node_get_object (node), TRUE, "EUR", &in, &error))
        g_error ("%s: %s", good[i].json, error->message);
      g_assert_cmphex (in.fields, ==, good[i].fields);
      g_assert_null (in.rewards);
      if (good[i].fields & CS_CAMPAIGN_FIELD_IMAGE_URL && strstr (good[i].json, "null") != NULL)
        g_assert_null (in.image_url);
      cs_campaign_input_clear (&in);
    }

  {
    g_autoptr(JsonNode) node = parse_object ("{\"title\":\"ok title\",\"rewards\":[]}");
    g_autoptr(GError) error = NULL;
    CsCampaignInput in;

    g_assert_false (cs_campaign_input_read (json_node_get_object (node), TRUE, "EUR", &in, &error));
    assert_only_field (error, "rewards", "rewards are edited at /campaigns/{id}/rewards");
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"title\":\"x\",\"id\":\"cmp_1\"}");
    g_autoptr(GError) error = NULL;
    CsCampaignInput in;
    GHashTable *fields;

    g_assert_false (cs_campaign_input_read (json_node_get_object (node), TRUE, "EUR", &in, &error));
    fields = cs_error_get_fields (error);
    g_assert_cmpuint (g_hash_table_size (fields), ==, 2);
    g_assert_cmpstr (g_hash_table_lookup (fields, "id"), ==, "is not a known field");
    g_assert_cmpstr (g_hash_table_lookup (fields, "title"), ==, "must be at least 3 characters");
  }
}

/* Reward tier input */

static void
test_tier_input (void)
{
  CsRewardTierInput in;

  {
    g_autoptr(JsonNode) node = parse_object ("{}");
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_true (cs_reward_tier_input_read (json_node_get_object (node), TRUE, "EUR", "", v, &in));
    g_assert_false (in.has_title || in.has_description || in.has_minimum_pledge ||
                    in.has_estimated_delivery_date || in.has_quantity_available);
    g_assert_cmpint (in.quantity_available, ==, -1);
    g_assert_null (in.description);
    cs_reward_tier_input_clear (&in);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"title\":\"T\",\"minimum_pledge\":100}");
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_true (cs_reward_tier_input_read (json_node_get_object (node), FALSE, NULL, "", v, &in));
    g_assert_true (in.has_title && in.has_minimum_pledge);
    g_assert_false (in.has_quantity_available || in.has_estimated_delivery_date);
    g_assert_cmpint (in.quantity_available, ==, -1);
    g_assert_cmpstr (in.description, ==, "");
    cs_reward_tier_input_clear (&in);
  }
  {
    g_autoptr(JsonNode) node = parse_object (
      "{\"quantity_available\":null,\"estimated_delivery_date\":null,"
      "\"description\":\"Line\\n\\tindented\"}");
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_true (cs_reward_tier_input_read (json_node_get_object (node), TRUE, "EUR", "", v, &in));
    g_assert_true (in.has_quantity_available && in.has_estimated_delivery_date && in.has_description);
    g_assert_cmpint (in.quantity_available, ==, -1);
    g_assert_null (in.estimated_delivery_date);
    g_assert_cmpstr (in.description, ==, "Line\n\tindented");
    cs_reward_tier_input_clear (&in);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"quantity_available\":1000000,\"minimum_pledge\":10000000000000}");
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_true (cs_reward_tier_input_read (json_node_get_object (node), TRUE, "EUR", "", v, &in));
    g_assert_cmpint (in.quantity_available, ==, 1000000);
    g_assert_cmpint (in.minimum_pledge, ==, CS_MONEY_MAX_AMOUNT);
    cs_reward_tier_input_clear (&in);
  }

  /* Errors, with and without a prefix. */
  {
    g_autofree char *title81 = g_strnfill (81, 't');
    g_autofree char *desc2001 = g_strnfill (2001, 'd');
    g_autofree char *json = g_strdup_printf ("{\"title\":\"%s\"}", title81);
    g_autofree char *json2 = g_strdup_printf ("{\"description\":\"%s\"}", desc2001);
    g_autoptr(JsonNode) node = parse_object (json);
    g_autoptr(JsonNode) node2 = parse_object (json2);
    g_autoptr(CsValidation) v = cs_validation_new ();
    g_autoptr(CsValidation) v2 = cs_validation_new ();

    g_assert_false (cs_reward_tier_input_read (json_node_get_object (node), TRUE, "EUR", "", v, &in));
    assert_only_validation_field (v, "title", "must be at most 80 characters");
    g_assert_null (in.title);
    g_assert_false (cs_reward_tier_input_read (json_node_get_object (node2), TRUE, "EUR", "tier.", v2, &in));
    assert_only_validation_field (v2, "tier.description", "must be at most 2000 characters");
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"title\":\"x\"}");
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_false (cs_reward_tier_input_read (json_node_get_object (node), FALSE, "EUR", NULL, v, &in));
    assert_only_validation_field (v, "minimum_pledge", "is required");
  }
}

/* Accounts */

static void
test_roles (void)
{
  CsRole role;

  g_assert_cmpstr (cs_role_to_string (CS_ROLE_BACKER), ==, "backer");
  g_assert_cmpstr (cs_role_to_string (CS_ROLE_MODERATOR), ==, "moderator");
  g_assert_cmpstr (cs_role_to_string (CS_ROLE_ADMIN), ==, "admin");
  g_assert_true (cs_role_from_string ("admin", &role));
  g_assert_cmpint (role, ==, CS_ROLE_ADMIN);
  g_assert_false (cs_role_from_string ("root", &role));
  g_assert_false (cs_role_from_string (NULL, &role));
  g_assert_false (cs_role_is_staff (CS_ROLE_BACKER));
  g_assert_true (cs_role_is_staff (CS_ROLE_MODERATOR));
  g_assert_true (cs_role_is_staff (CS_ROLE_ADMIN));
}

static void
test_validate_email (void)
{
  static const char * const good[] = {
    "a@b.co", " Ada@Example.org ", "first.last+tag@sub.example.co.uk", "x_y-z@a-b.io",
  };
  static const char * const bad[] = {
    "plain", "a@b", "@b.co", "a@@b.co", "a@b@c.co", "a b@c.co", "a@b..co", "a@.b.co",
    "a@b.co.", "a\n@b.co", "a@", "a@b .co", "a@b.co\x7f",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(CsValidation) v = cs_validation_new ();

      if (!cs_validate_email (good[i], "email", v))
        g_error ("“%s” was rejected", good[i]);
      g_assert_false (cs_validation_has_errors (v));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(CsValidation) v = cs_validation_new ();

      if (cs_validate_email (bad[i], "email", v))
        g_error ("“%s” was accepted", bad[i]);
      assert_only_validation_field (v, "email", "is not a valid e-mail address");
    }

  {
    g_autoptr(CsValidation) v = cs_validation_new ();
    g_autofree char *local = g_strnfill (60, 'l');
    g_autofree char *domain = g_strnfill (190, 'd');
    g_autofree char *long_email = g_strconcat (local, "@", domain, ".com", NULL);  /* 255 */

    g_assert_cmpuint (strlen (long_email), ==, 255);
    g_assert_false (cs_validate_email (long_email, "email", v));
    assert_only_validation_field (v, "email", "must be at most 254 characters");
  }
  {
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_false (cs_validate_email (NULL, "email", v));
    g_assert_false (cs_validate_email ("", "other", v));
    g_assert_true (cs_validation_has_errors (v));
  }

  {
    g_autofree char *n = cs_email_normalize ("  Ada@Example.ORG \n");

    g_assert_cmpstr (n, ==, "ada@example.org");
    g_assert_null (cs_email_normalize (NULL));
  }
}

static void
test_validate_username (void)
{
  static const char * const good[] = { "ada", "Ada_Lovelace-1", "007", "abcdefghijklmnopqrstuvwxyz0123" };
  static const struct { const char *name; const char *message; } bad[] = {
    { "ab", "must be at least 3 characters" },
    { "abcdefghijklmnopqrstuvwxyz01234", "must be at most 30 characters" },
    { "_ada", "must start with a letter or a digit" },
    { "-ada", "must start with a letter or a digit" },
    { "ada!", "may only contain letters, digits, “_” and “-”" },
    { "adé", "may only contain letters, digits, “_” and “-”" },
    { "a da", "may only contain letters, digits, “_” and “-”" },
    { "", "is required" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(CsValidation) v = cs_validation_new ();

      if (!cs_validate_username (good[i], "username", v))
        g_error ("“%s” was rejected", good[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(CsValidation) v = cs_validation_new ();

      g_assert_false (cs_validate_username (bad[i].name, "username", v));
      assert_only_validation_field (v, "username", bad[i].message);
    }
}

static void
test_validate_password (void)
{
  static const struct {
    const char *password;
    const char *username;
    const char *email;
    const char *message;  /* NULL: valid */
  } cases[] = {
    { "correct horse battery", "ada", "ada@example.org", NULL },
    { "0123456789", NULL, NULL, NULL },
    { "aaaaaaaaab", "ada", NULL, NULL },
    { "short", "ada", NULL, "must be at least 10 characters" },
    { "ééééééééé", NULL, NULL, "must be at least 10 characters" },
    { "aaaaaaaaaaaa", NULL, NULL, "must not be one character repeated" },
    { "ééééééééééé", NULL, NULL, "must not be one character repeated" },
    { "longusername1", "LongUsername1", NULL, "must not be the same as the username" },
    { "ADA@EXAMPLE.ORG", "ada", " ada@example.org ", "must not be the same as the e-mail address" },
    { "", NULL, NULL, "is required" },
    { "bad utf8 \xff\xfe", NULL, NULL, "must be valid text" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CsValidation) v = cs_validation_new ();
      gboolean ok = cs_validate_password (cases[i].password, cases[i].username, cases[i].email,
                                          "password", v);

      if (cases[i].message == NULL)
        {
          if (!ok)
            g_error ("case %zu was rejected", i);
        }
      else
        {
          g_assert_false (ok);
          assert_only_validation_field (v, "password", cases[i].message);
        }
    }

  {
    g_autoptr(CsValidation) v = cs_validation_new ();
    g_autofree char *p256 = g_strnfill (256, 'x');
    g_autofree char *p257 = g_strnfill (257, 'x');

    p256[0] = 'y';
    p257[0] = 'y';
    g_assert_true (cs_validate_password (p256, NULL, NULL, "password", v));
    g_assert_false (cs_validate_password (p257, NULL, NULL, "password", v));
    assert_only_validation_field (v, "password", "must be at most 256 characters");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/campaign/status-strings", test_status_strings);
  g_test_add_func ("/core/campaign/transitions", test_transitions);
  g_test_add_func ("/core/campaign/transition-messages", test_transition_messages);
  g_test_add_func ("/core/campaign/is-public", test_is_public);
  g_test_add_func ("/core/campaign/editable-fields", test_editable_fields);
  g_test_add_func ("/core/campaign/copy", test_campaign_copy);
  g_test_add_func ("/core/campaign/input/valid", test_input_valid);
  g_test_add_func ("/core/campaign/input/minimal", test_input_minimal);
  g_test_add_func ("/core/campaign/input/bad-fields", test_input_bad_fields);
  g_test_add_func ("/core/campaign/input/too-long", test_input_too_long);
  g_test_add_func ("/core/campaign/input/many-rewards", test_input_many_rewards);
  g_test_add_func ("/core/campaign/input/many-errors", test_input_many_errors);
  g_test_add_func ("/core/campaign/input/currency-minimum", test_input_currency_minimum);
  g_test_add_func ("/core/campaign/input/partial", test_input_partial);
  g_test_add_func ("/core/reward-tier/input", test_tier_input);
  g_test_add_func ("/core/user/roles", test_roles);
  g_test_add_func ("/core/user/validate-email", test_validate_email);
  g_test_add_func ("/core/user/validate-username", test_validate_username);
  g_test_add_func ("/core/user/validate-password", test_validate_password);

  return g_test_run ();
}
