/* test-pledge.c: the money path's models: status strings, fee rounding,
 * pledge, fee and identity input, and the JSON shapes of pledges,
 * withdrawals, balances and identity checks. */
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

/* Asserts that @error is a validation error whose fields are exactly the
 * NULL-terminated list that follows. */
static void
assert_fields (const GError *error, ...)
{
  GHashTable *fields;
  guint n = 0;
  va_list args;

  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  fields = cs_error_get_fields (error);
  g_assert_nonnull (fields);
  va_start (args, error);
  for (const char *f = va_arg (args, const char *); f != NULL; f = va_arg (args, const char *))
    {
      if (!g_hash_table_contains (fields, f))
        g_error ("expected a field error on “%s”", f);
      n++;
    }
  va_end (args);
  if (g_hash_table_size (fields) != n)
    {
      GHashTableIter iter;
      gpointer k, val;

      g_hash_table_iter_init (&iter, fields);
      while (g_hash_table_iter_next (&iter, &k, &val))
        g_printerr ("  %s: %s\n", (char *) k, (char *) val);
      g_error ("expected %u field errors, got %u", n, g_hash_table_size (fields));
    }
}

static const char *
field_message (const GError *error, const char *field)
{
  GHashTable *fields = cs_error_get_fields (error);

  g_assert_nonnull (fields);
  return g_hash_table_lookup (fields, field);
}

/* Members of @obj, sorted, joined with ",". */
static char *
member_names (JsonObject *obj)
{
  GList *names = g_list_sort (json_object_get_members (obj), (GCompareFunc) strcmp);
  g_autoptr(GString) s = g_string_new (NULL);

  for (GList *l = names; l != NULL; l = l->next)
    {
      if (s->len > 0)
        g_string_append_c (s, ',');
      g_string_append (s, l->data);
    }
  g_list_free (names);
  return g_strdup (s->str);
}

static gboolean
member_is_null (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  return node != NULL && JSON_NODE_HOLDS_NULL (node);
}

/* Statuses */

static void
test_pledge_status_strings (void)
{
  const char *names[] = { "pending", "authorized", "failed", "cancelled", "collected",
                          "capture_failed", "voided", "refunded" };
  const gboolean active[] = { TRUE, TRUE, FALSE, FALSE, TRUE, TRUE, FALSE, FALSE };
  CsPledgeStatus status;

  G_STATIC_ASSERT (G_N_ELEMENTS (names) == CS_PLEDGE_N_STATUSES);
  for (int s = 0; s < CS_PLEDGE_N_STATUSES; s++)
    {
      status = CS_PLEDGE_N_STATUSES;
      g_assert_cmpstr (cs_pledge_status_to_string ((CsPledgeStatus) s), ==, names[s]);
      g_assert_true (cs_pledge_status_from_string (names[s], &status));
      g_assert_cmpint (status, ==, s);
      g_assert_cmpint (cs_pledge_status_is_active ((CsPledgeStatus) s), ==, active[s]);
    }
  g_assert_true (cs_pledge_status_from_string ("voided", NULL));
  g_assert_false (cs_pledge_status_from_string ("AUTHORIZED", &status));
  g_assert_false (cs_pledge_status_from_string ("capture failed", &status));
  g_assert_false (cs_pledge_status_from_string ("", &status));
  g_assert_false (cs_pledge_status_from_string (NULL, &status));
  g_assert_false (cs_pledge_status_is_active (CS_PLEDGE_N_STATUSES));
}

static void
test_withdrawal_status_strings (void)
{
  const char *names[] = { "pending", "paid", "failed" };
  CsWithdrawalStatus status;

  for (guint s = 0; s < G_N_ELEMENTS (names); s++)
    {
      g_assert_cmpstr (cs_withdrawal_status_to_string ((CsWithdrawalStatus) s), ==, names[s]);
      g_assert_true (cs_withdrawal_status_from_string (names[s], &status));
      g_assert_cmpint (status, ==, s);
    }
  g_assert_false (cs_withdrawal_status_from_string ("refunded", &status));
  g_assert_false (cs_withdrawal_status_from_string ("Paid", &status));
  g_assert_false (cs_withdrawal_status_from_string (NULL, &status));
}

static void
test_kyc_status_strings (void)
{
  const char *names[] = { "unverified", "pending", "review", "verified", "rejected" };
  CsKycStatus status;

  for (guint s = 0; s < G_N_ELEMENTS (names); s++)
    {
      g_assert_cmpstr (cs_kyc_status_to_string ((CsKycStatus) s), ==, names[s]);
      g_assert_true (cs_kyc_status_from_string (names[s], &status));
      g_assert_cmpint (status, ==, s);
    }
  g_assert_false (cs_kyc_status_from_string ("approved", &status));
  g_assert_false (cs_kyc_status_from_string ("VERIFIED", &status));
  g_assert_false (cs_kyc_status_from_string ("", &status));
  g_assert_false (cs_kyc_status_from_string (NULL, &status));
}

static void
test_pledge_minimum (void)
{
  g_assert_cmpint (cs_pledge_minimum_for_currency ("USD"), ==, 100);
  g_assert_cmpint (cs_pledge_minimum_for_currency ("EUR"), ==, 100);
  g_assert_cmpint (cs_pledge_minimum_for_currency ("JPY"), ==, 1);
  /* Unknown currencies are refused elsewhere; never a zero minimum. */
  g_assert_cmpint (cs_pledge_minimum_for_currency ("XXX"), ==, 100);
  g_assert_cmpint (cs_pledge_minimum_for_currency (NULL), ==, 100);
}

/* Fees */

static void
test_fee_defaults (void)
{
  CsFeeSettings fees;

  cs_fee_settings_default (&fees);
  g_assert_cmpint (fees.platform_bps, ==, 500);
  g_assert_cmpint (fees.processing_bps, ==, 290);
  g_assert_cmpint (fees.processing_fixed, ==, 30);
}

static void
test_fee_rounding (void)
{
  /* Default settings: 5 %, 2.9 % + 30; each rounded half up, per pledge. */
  static const struct {
    gint64 amount, platform, processing;
  } cases[] = {
    { 10000, 500, 320 },     /* 100.00: exact */
    { 100,   5,   33 },      /* 1.00: 2.9 → 3, + 30 */
    { 500,   25,  45 },      /* 14.5 → 15 (half up; half even would say 14) */
    { 1500,  75,  74 },      /* 43.5 → 44 */
    { 1050,  53,  60 },      /* platform 52.5 → 53; processing 30.45 → 30 */
    { 1017,  51,  59 },      /* 50.85 → 51; 29.493 → 29 */
    { 1010,  51,  59 },      /* 50.5 → 51; 29.29 → 29 */
    { 990,   50,  59 },      /* 49.5 → 50; 28.71 → 29 */
    { 2500,  125, 103 },     /* 72.5 → 73 */
    /* Tiny amounts: the fixed part would exceed what is left. */
    { 30,    2,   28 },      /* 1.5 → 2; 0.87 → 1, + 30 = 31, capped at 28 */
    { 10,    1,   9 },       /* 0.5 → 1; 30 capped at 9 */
    { 9,     0,   9 },       /* 0.45 → 0 */
    { 2,     0,   2 },
    { 1,     0,   1 },
    { 0,     0,   0 },
    /* Where the cap stops mattering: 31 would pay 2 + 31 → capped at 29;
     * 33 pays 2 + (0.957 → 1) + 30 = 33 exactly. */
    { 31,    2,   29 },
    { 33,    2,   31 },
    { 34,    2,   31 },
    { CS_MONEY_MAX_AMOUNT, CS_MONEY_MAX_AMOUNT / 20, CS_MONEY_MAX_AMOUNT / 10000 * 290 + 30 },
  };
  CsFeeSettings fees;

  cs_fee_settings_default (&fees);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 platform = -1, processing = -1;

      if (!cs_fees_for_amount (&fees, cases[i].amount, &platform, &processing))
        g_error ("fees for %" G_GINT64_FORMAT " overflowed", cases[i].amount);
      if (platform != cases[i].platform || processing != cases[i].processing)
        g_error ("fees for %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT
                 ", expected %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT,
                 cases[i].amount, platform, processing, cases[i].platform, cases[i].processing);
    }
}

/* Half up for positive amounts, computed independently of cs-money.c. */
static gint64
reference_half_up (gint64 amount, gint64 bps)
{
  return (amount * bps * 2 + 10000) / 20000;
}

static void
test_fee_reference (void)
{
  const CsFeeSettings settings[] = {
    { 500, 290, 30 },
    { 0, 0, 0 },
    { 0, 290, 0 },
    { 750, 350, 25 },
    { CS_FEE_MAX_BPS, CS_FEE_MAX_BPS, CS_FEE_MAX_FIXED },
    { 1, 1, 1 },
  };

  for (guint s = 0; s < G_N_ELEMENTS (settings); s++)
    for (gint64 amount = 0; amount <= 20000; amount++)
      {
        gint64 platform, processing, want_platform, want_processing;

        g_assert_true (cs_fees_for_amount (&settings[s], amount, &platform, &processing));
        want_platform = MIN (reference_half_up (amount, settings[s].platform_bps), amount);
        want_processing = MIN (reference_half_up (amount, settings[s].processing_bps) +
                               settings[s].processing_fixed,
                               amount - want_platform);
        if (platform != want_platform || processing != want_processing)
          g_error ("settings %u, amount %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " + %"
                   G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT,
                   s, amount, platform, processing, want_platform, want_processing);
        /* The creator never owes more than the pledge brought in. */
        g_assert_cmpint (platform, >=, 0);
        g_assert_cmpint (processing, >=, 0);
        g_assert_cmpint (platform + processing, <=, amount);
      }
}

static void
test_fee_overflow (void)
{
  CsFeeSettings fees = { 500, 290, G_MAXINT64 };
  gint64 platform = 7, processing = 7;

  /* 2.9 % of 100 is 3; 3 + G_MAXINT64 overflows. */
  g_assert_false (cs_fees_for_amount (&fees, 100, &platform, &processing));
  g_assert_cmpint (platform, ==, 7);
  g_assert_cmpint (processing, ==, 7);

  fees = (CsFeeSettings) { G_MAXINT64, 0, 0 };
  g_assert_false (cs_fees_for_amount (&fees, G_MAXINT64, &platform, &processing));

  /* The largest amount we accept at the largest rates is fine. */
  fees = (CsFeeSettings) { CS_FEE_MAX_BPS, CS_FEE_MAX_BPS, CS_FEE_MAX_FIXED };
  g_assert_true (cs_fees_for_amount (&fees, CS_MONEY_MAX_AMOUNT, &platform, &processing));
  g_assert_cmpint (platform, ==, CS_MONEY_MAX_AMOUNT / 2);
  g_assert_cmpint (processing, ==, CS_MONEY_MAX_AMOUNT / 2);

  /* Outputs are optional. */
  g_assert_true (cs_fees_for_amount (&fees, 1000, NULL, NULL));
}

static void
test_fee_settings_read (void)
{
  {
    g_autoptr(JsonNode) node = parse_object ("{\"platform_fee_bps\": 450, \"processing_fee_bps\": 0,"
                                             " \"processing_fee_fixed\": 25}");
    g_autoptr(GError) error = NULL;
    CsFeeSettings fees = { -1, -1, -1 };

    g_assert_true (cs_fee_settings_read (json_node_get_object (node), &fees, &error));
    g_assert_no_error (error);
    g_assert_cmpint (fees.platform_bps, ==, 450);
    g_assert_cmpint (fees.processing_bps, ==, 0);
    g_assert_cmpint (fees.processing_fixed, ==, 25);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"platform_fee_bps\": 5000, \"processing_fee_bps\": 5000,"
                                             " \"processing_fee_fixed\": 10000}");
    g_autoptr(GError) error = NULL;
    CsFeeSettings fees;

    g_assert_true (cs_fee_settings_read (json_node_get_object (node), &fees, &error));
    g_assert_cmpint (fees.processing_fixed, ==, CS_FEE_MAX_FIXED);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{}");
    g_autoptr(GError) error = NULL;
    CsFeeSettings fees = { 1, 2, 3 };

    g_assert_false (cs_fee_settings_read (json_node_get_object (node), &fees, &error));
    assert_fields (error, "platform_fee_bps", "processing_fee_bps", "processing_fee_fixed", NULL);
    g_assert_cmpstr (field_message (error, "platform_fee_bps"), ==, "is required");
    /* Untouched on failure. */
    g_assert_cmpint (fees.platform_bps, ==, 1);
    g_assert_cmpint (fees.processing_fixed, ==, 3);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"platform_fee_bps\": 5001, \"processing_fee_bps\": -1,"
                                             " \"processing_fee_fixed\": 10001}");
    g_autoptr(GError) error = NULL;
    CsFeeSettings fees;

    g_assert_false (cs_fee_settings_read (json_node_get_object (node), &fees, &error));
    assert_fields (error, "platform_fee_bps", "processing_fee_bps", "processing_fee_fixed", NULL);
    g_assert_cmpstr (field_message (error, "platform_fee_bps"), ==, "must be between 0 and 5000");
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"platform_fee_bps\": 2.5, \"processing_fee_bps\": \"290\","
                                             " \"processing_fee_fixed\": 30, \"rounding\": \"up\"}");
    g_autoptr(GError) error = NULL;
    CsFeeSettings fees;

    g_assert_false (cs_fee_settings_read (json_node_get_object (node), &fees, &error));
    assert_fields (error, "platform_fee_bps", "processing_fee_bps", "rounding", NULL);
  }
}

static void
test_fee_settings_json (void)
{
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *json = NULL;
  g_autofree char *names = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  CsFeeSettings fees = { 420, 310, 25 }, back;

  cs_fee_settings_write_json (&fees, w);
  json = cs_json_writer_free_to_string (g_steal_pointer (&w));
  node = parse_object (json);
  names = member_names (json_node_get_object (node));
  g_assert_cmpstr (names, ==, "platform_fee_bps,processing_fee_bps,processing_fee_fixed");
  /* What GET answers, PUT accepts. */
  g_assert_true (cs_fee_settings_read (json_node_get_object (node), &back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (&back, sizeof back, &fees, sizeof fees);
}

/* Pledge input */

static void
test_pledge_input_create (void)
{
  {
    g_autoptr(JsonNode) node = parse_object ("{\"amount\": 2500, \"reward_tier_id\": \"rw_abc123\","
                                             " \"payment_method\": \"pm_xyz\"}");
    g_autoptr(GError) error = NULL;
    g_auto(CsPledgeInput) in = { 0 };

    g_assert_true (cs_pledge_input_read (json_node_get_object (node), FALSE, &in, &error));
    g_assert_no_error (error);
    g_assert_true (in.has_amount);
    g_assert_cmpint (in.amount, ==, 2500);
    g_assert_true (in.has_tier);
    g_assert_cmpstr (in.reward_tier_id, ==, "rw_abc123");
    g_assert_cmpstr (in.payment_method, ==, "pm_xyz");
  }
  {
    /* No reward: absent or null. */
    g_autoptr(JsonNode) node = parse_object ("{\"amount\": 100, \"payment_method\": \"pm_1\"}");
    g_autoptr(GError) error = NULL;
    g_auto(CsPledgeInput) in = { 0 };

    g_assert_true (cs_pledge_input_read (json_node_get_object (node), FALSE, &in, &error));
    g_assert_false (in.has_tier);
    g_assert_null (in.reward_tier_id);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"amount\": 1, \"reward_tier_id\": null,"
                                             " \"payment_method\": \"pm_1\"}");
    g_autoptr(GError) error = NULL;
    g_auto(CsPledgeInput) in = { 0 };

    g_assert_true (cs_pledge_input_read (json_node_get_object (node), FALSE, &in, &error));
    g_assert_true (in.has_tier);
    g_assert_null (in.reward_tier_id);
    g_assert_cmpint (in.amount, ==, 1);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"amount\": 10000000000000, \"payment_method\": \"pm_1\"}");
    g_autoptr(GError) error = NULL;
    g_auto(CsPledgeInput) in = { 0 };

    g_assert_true (cs_pledge_input_read (json_node_get_object (node), FALSE, &in, &error));
    g_assert_cmpint (in.amount, ==, CS_MONEY_MAX_AMOUNT);
  }
}

typedef struct {
  const char *json;
  gboolean    partial;
  const char *fields[4];
} BadPledgeInput;

static void
test_pledge_input_errors (void)
{
  static const BadPledgeInput cases[] = {
    { "{}", FALSE, { "amount", "payment_method" } },
    { "{\"amount\": 100}", FALSE, { "payment_method" } },
    { "{\"payment_method\": \"pm_1\"}", FALSE, { "amount" } },
    { "{\"amount\": 0, \"payment_method\": \"pm_1\"}", FALSE, { "amount" } },
    { "{\"amount\": -100, \"payment_method\": \"pm_1\"}", FALSE, { "amount" } },
    { "{\"amount\": 10000000000001, \"payment_method\": \"pm_1\"}", FALSE, { "amount" } },
    { "{\"amount\": 12.5, \"payment_method\": \"pm_1\"}", FALSE, { "amount" } },
    { "{\"amount\": \"1250\", \"payment_method\": \"pm_1\"}", FALSE, { "amount" } },
    { "{\"amount\": null, \"payment_method\": \"pm_1\"}", FALSE, { "amount" } },
    { "{\"amount\": 100, \"payment_method\": 42}", FALSE, { "payment_method" } },
    { "{\"amount\": 100, \"payment_method\": \"\"}", FALSE, { "payment_method" } },
    { "{\"amount\": 100, \"payment_method\": \"pm_1\\npm_2\"}", FALSE, { "payment_method" } },
    { "{\"amount\": 100, \"payment_method\": \"pm_1\", \"reward_tier_id\": 7}", FALSE,
      { "reward_tier_id" } },
    { "{\"amount\": 100, \"payment_method\": \"pm_1\", \"reward_tier_id\": \"\"}", FALSE,
      { "reward_tier_id" } },
    { "{\"amount\": 100, \"payment_method\": \"pm_1\", \"reward_tier_id\": \"../x\"}", FALSE,
      { "reward_tier_id" } },
    /* A card number is never accepted here, whatever it is called. */
    { "{\"amount\": 100, \"card_number\": \"4242424242424242\"}", FALSE,
      { "payment_method", "card_number" } },
    { "{\"amount\": 100, \"payment_method\": \"pm_1\", \"currency\": \"USD\"}", FALSE, { "currency" } },
    { "{\"amount\": 0}", TRUE, { "amount" } },
    { "{\"status\": \"collected\"}", TRUE, { "status" } },
    { "{\"reward_tier_id\": \"RW_UPPER\"}", TRUE, { "reward_tier_id" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = parse_object (cases[i].json);
      g_autoptr(GError) error = NULL;
      g_auto(CsPledgeInput) in = { 0 };
      GHashTable *fields;
      guint n = 0;

      if (cs_pledge_input_read (json_node_get_object (node), cases[i].partial, &in, &error))
        g_error ("%s was accepted", cases[i].json);
      g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
      fields = cs_error_get_fields (error);
      for (; n < G_N_ELEMENTS (cases[i].fields) && cases[i].fields[n] != NULL; n++)
        if (!g_hash_table_contains (fields, cases[i].fields[n]))
          g_error ("%s: no error on %s", cases[i].json, cases[i].fields[n]);
      if (g_hash_table_size (fields) != n)
        g_error ("%s: %u field errors, expected %u", cases[i].json, g_hash_table_size (fields), n);
      /* Nothing is left behind on failure. */
      g_assert_null (in.payment_method);
      g_assert_null (in.reward_tier_id);
      g_assert_false (in.has_amount);
    }
}

static void
test_pledge_input_partial (void)
{
  {
    g_autoptr(JsonNode) node = parse_object ("{}");
    g_autoptr(GError) error = NULL;
    g_auto(CsPledgeInput) in = { 0 };

    g_assert_true (cs_pledge_input_read (json_node_get_object (node), TRUE, &in, &error));
    g_assert_false (in.has_amount);
    g_assert_false (in.has_tier);
    g_assert_null (in.payment_method);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"reward_tier_id\": null}");
    g_autoptr(GError) error = NULL;
    g_auto(CsPledgeInput) in = { 0 };

    g_assert_true (cs_pledge_input_read (json_node_get_object (node), TRUE, &in, &error));
    g_assert_false (in.has_amount);
    g_assert_true (in.has_tier);
    g_assert_null (in.reward_tier_id);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"amount\": 5000, \"payment_method\": \"pm_new\"}");
    g_autoptr(GError) error = NULL;
    g_auto(CsPledgeInput) in = { 0 };

    g_assert_true (cs_pledge_input_read (json_node_get_object (node), TRUE, &in, &error));
    g_assert_true (in.has_amount);
    g_assert_cmpint (in.amount, ==, 5000);
    g_assert_false (in.has_tier);
    g_assert_cmpstr (in.payment_method, ==, "pm_new");
  }
}

/* JSON output */

static CsPledge *
sample_pledge (void)
{
  CsPledge *pledge = cs_pledge_new ();

  pledge->id = g_strdup ("pl_1");
  pledge->backer_id = g_strdup ("usr_b");
  pledge->campaign_id = g_strdup ("cmp_c");
  pledge->amount = 2550;
  memcpy (pledge->currency, "EUR", 4);
  pledge->status = CS_PLEDGE_CAPTURE_FAILED;
  pledge->transaction_id = g_strdup ("txn_t");
  pledge->payment_method_id = g_strdup ("pm_p");
  pledge->failure_reason = g_strdup ("card_declined");
  pledge->capture_retry_until = 1700604800;
  pledge->created_at = 1700000000;
  pledge->updated_at = 1700000060;
  return pledge;
}

static void
test_pledge_json (void)
{
  g_autoptr(CsPledge) pledge = sample_pledge ();
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *json = NULL;
  g_autofree char *names = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CsPledge) back = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;

  cs_pledge_write_json (pledge, w);
  json = cs_json_writer_free_to_string (g_steal_pointer (&w));
  node = parse_object (json);
  obj = json_node_get_object (node);
  names = member_names (obj);
  /* Joined names are absent when unknown. */
  g_assert_cmpstr (names, ==, "amount,backer_id,campaign_id,capture_retry_until,created_at,currency,"
                   "failure_reason,id,payment_method,reward_tier_id,status,transaction_id,updated_at");
  g_assert_true (member_is_null (obj, "reward_tier_id"));
  g_assert_cmpint (json_object_get_int_member (obj, "amount"), ==, 2550);
  g_assert_cmpuint (json_node_get_value_type (json_object_get_member (obj, "amount")), ==, G_TYPE_INT64);
  g_assert_cmpstr (json_object_get_string_member (obj, "currency"), ==, "EUR");
  g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "capture_failed");
  g_assert_cmpstr (json_object_get_string_member (obj, "payment_method"), ==, "pm_p");
  g_assert_cmpstr (json_object_get_string_member (obj, "capture_retry_until"), ==, "2023-11-21T22:13:20Z");
  g_assert_cmpstr (json_object_get_string_member (obj, "created_at"), ==, "2023-11-14T22:13:20Z");

  back = cs_pledge_from_json (obj, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->id, ==, "pl_1");
  g_assert_cmpstr (back->backer_id, ==, "usr_b");
  g_assert_cmpstr (back->campaign_id, ==, "cmp_c");
  g_assert_cmpint (back->amount, ==, 2550);
  g_assert_cmpstr (back->currency, ==, "EUR");
  g_assert_null (back->reward_tier_id);
  g_assert_cmpint (back->status, ==, CS_PLEDGE_CAPTURE_FAILED);
  g_assert_cmpstr (back->transaction_id, ==, "txn_t");
  g_assert_cmpstr (back->payment_method_id, ==, "pm_p");
  g_assert_cmpstr (back->failure_reason, ==, "card_declined");
  g_assert_cmpint (back->capture_retry_until, ==, 1700604800);
  g_assert_cmpint (back->created_at, ==, 1700000000);
  g_assert_cmpint (back->updated_at, ==, 1700000060);
  g_assert_null (back->backer_name);
}

static void
test_pledge_json_joined (void)
{
  g_autoptr(CsPledge) pledge = sample_pledge ();
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CsPledge) back = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;

  pledge->status = CS_PLEDGE_AUTHORIZED;
  pledge->capture_retry_until = 0;
  g_clear_pointer (&pledge->failure_reason, g_free);
  g_clear_pointer (&pledge->transaction_id, g_free);
  pledge->reward_tier_id = g_strdup ("rw_r");
  pledge->backer_name = g_strdup ("Ada \"L\"");
  pledge->reward_title = g_strdup ("Poster");
  pledge->campaign_title = g_strdup ("Lamp");
  cs_pledge_write_json (pledge, w);
  json = cs_json_writer_free_to_string (g_steal_pointer (&w));
  node = parse_object (json);
  obj = json_node_get_object (node);
  g_assert_true (member_is_null (obj, "capture_retry_until"));
  g_assert_true (member_is_null (obj, "failure_reason"));
  g_assert_true (member_is_null (obj, "transaction_id"));
  g_assert_cmpstr (json_object_get_string_member (obj, "reward_tier_id"), ==, "rw_r");
  g_assert_cmpstr (json_object_get_string_member (obj, "backer_name"), ==, "Ada \"L\"");
  g_assert_cmpstr (json_object_get_string_member (obj, "reward_title"), ==, "Poster");
  g_assert_cmpstr (json_object_get_string_member (obj, "campaign_title"), ==, "Lamp");

  back = cs_pledge_from_json (obj, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->status, ==, CS_PLEDGE_AUTHORIZED);
  g_assert_cmpint (back->capture_retry_until, ==, 0);
  g_assert_cmpstr (back->reward_title, ==, "Poster");
  g_assert_cmpstr (back->backer_name, ==, "Ada \"L\"");
}

static void
test_pledge_from_json_errors (void)
{
  {
    g_autoptr(JsonNode) node = parse_object ("{\"status\": \"pending\"}");
    g_autoptr(GError) error = NULL;
    g_autoptr(CsPledge) pledge = cs_pledge_from_json (json_node_get_object (node), &error);

    g_assert_null (pledge);
    g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
  }
  {
    g_autoptr(JsonNode) node = parse_object ("{\"id\": \"pl_1\", \"status\": \"paid\"}");
    g_autoptr(GError) error = NULL;
    g_autoptr(CsPledge) pledge = cs_pledge_from_json (json_node_get_object (node), &error);

    g_assert_null (pledge);
    g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
  }
  {
    /* A currency that is not three letters is left empty, not truncated. */
    g_autoptr(JsonNode) node = parse_object ("{\"id\": \"pl_1\", \"status\": \"pending\","
                                             " \"currency\": \"EURO\", \"amount\": \"12\"}");
    g_autoptr(GError) error = NULL;
    g_autoptr(CsPledge) pledge = cs_pledge_from_json (json_node_get_object (node), &error);

    g_assert_no_error (error);
    g_assert_cmpstr (pledge->currency, ==, "");
    g_assert_cmpint (pledge->amount, ==, 0);
  }
}

static void
test_withdrawal_json (void)
{
  g_autoptr(CsWithdrawal) wd = cs_withdrawal_new ();
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *json = NULL;
  g_autofree char *names = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;

  g_assert_cmpint (wd->status, ==, CS_WITHDRAWAL_PENDING);
  wd->id = g_strdup ("wd_1");
  wd->campaign_id = g_strdup ("cmp_c");
  wd->creator_id = g_strdup ("usr_c");
  wd->amount = 90000;
  memcpy (wd->currency, "USD", 4);
  wd->status = CS_WITHDRAWAL_FAILED;
  wd->failure_reason = g_strdup ("account_closed");
  wd->created_at = 1700000000;
  wd->updated_at = 1700000001;
  cs_withdrawal_write_json (wd, w);
  json = cs_json_writer_free_to_string (g_steal_pointer (&w));
  node = parse_object (json);
  obj = json_node_get_object (node);
  names = member_names (obj);
  g_assert_cmpstr (names, ==, "amount,campaign_id,created_at,creator_id,currency,failure_reason,id,"
                   "status,transaction_id,updated_at");
  g_assert_cmpint (json_object_get_int_member (obj, "amount"), ==, 90000);
  g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "failed");
  g_assert_true (member_is_null (obj, "transaction_id"));
  g_assert_cmpstr (json_object_get_string_member (obj, "failure_reason"), ==, "account_closed");
}

static void
test_balance_json (void)
{
  CsBalance balance = {
    .campaign_id = "cmp_c",
    .currency = "USD",
    .collected_amount = 100000,
    .platform_fee_amount = 5000,
    .processing_fee_amount = 3200,
    .refunded_amount = 1000,
    .withdrawn_amount = 800,
    .available_amount = 90000,
  };
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *json = NULL;
  g_autofree char *names = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;

  cs_balance_write_json (&balance, w);
  json = cs_json_writer_free_to_string (g_steal_pointer (&w));
  node = parse_object (json);
  obj = json_node_get_object (node);
  names = member_names (obj);
  g_assert_cmpstr (names, ==, "available_amount,campaign_id,collected_amount,currency,platform_fee_amount,"
                   "processing_fee_amount,refunded_amount,withdrawn_amount");
  g_assert_cmpstr (json_object_get_string_member (obj, "currency"), ==, "USD");
  g_assert_cmpint (json_object_get_int_member (obj, "collected_amount"), ==, 100000);
  g_assert_cmpint (json_object_get_int_member (obj, "platform_fee_amount"), ==, 5000);
  g_assert_cmpint (json_object_get_int_member (obj, "processing_fee_amount"), ==, 3200);
  g_assert_cmpint (json_object_get_int_member (obj, "refunded_amount"), ==, 1000);
  g_assert_cmpint (json_object_get_int_member (obj, "withdrawn_amount"), ==, 800);
  g_assert_cmpint (json_object_get_int_member (obj, "available_amount"), ==, 90000);
}

/* Identity checks */

static void
test_kyc_check_json (void)
{
  g_autoptr(CsKycCheck) check = cs_kyc_check_new ();
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *json = NULL;
  g_autofree char *names = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;

  g_assert_cmpint (check->status, ==, CS_KYC_PENDING);
  check->id = g_strdup ("kyc_1");
  check->user_id = g_strdup ("usr_1");
  check->status = CS_KYC_REVIEW;
  check->full_name = g_strdup ("Ada Lovelace");
  check->country = g_strdup ("GB");
  check->document_type = g_strdup ("passport");
  check->document_last4 = g_strdup ("1234");
  check->created_at = 1700000000;
  check->updated_at = 1700000000;
  cs_kyc_check_write_json (check, w);
  json = cs_json_writer_free_to_string (g_steal_pointer (&w));
  node = parse_object (json);
  obj = json_node_get_object (node);
  names = member_names (obj);
  g_assert_cmpstr (names, ==, "country,created_at,decided_by,document_last4,document_type,full_name,id,"
                   "reason,status,updated_at,user_id");
  g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "review");
  g_assert_cmpstr (json_object_get_string_member (obj, "document_last4"), ==, "1234");
  g_assert_true (member_is_null (obj, "reason"));
  g_assert_true (member_is_null (obj, "decided_by"));
}

static void
test_kyc_input (void)
{
  g_autoptr(JsonNode) node = parse_object ("{\"full_name\": \"  Ada Lovelace \", \"country\": \"gb\","
                                           " \"document_type\": \"id_card\","
                                           " \"document_number\": \"REVIEW-0042\"}");
  g_autoptr(GError) error = NULL;
  g_auto(CsKycInput) in = { 0 };

  g_assert_true (cs_kyc_input_read (json_node_get_object (node), &in, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (in.full_name, ==, "Ada Lovelace");
  g_assert_cmpstr (in.country, ==, "GB");
  g_assert_cmpstr (in.document_type, ==, "id_card");
  g_assert_cmpstr (in.document_number, ==, "REVIEW-0042");
}

static void
test_kyc_input_errors (void)
{
  static const struct {
    const char *json;
    const char *fields[5];
  } cases[] = {
    { "{}", { "full_name", "country", "document_type", "document_number" } },
    { "{\"full_name\": \"   \", \"country\": \"GB\", \"document_type\": \"passport\","
      " \"document_number\": \"X1234567\"}", { "full_name" } },
    { "{\"full_name\": \"A\", \"country\": \"GBR\", \"document_type\": \"passport\","
      " \"document_number\": \"X1234567\"}", { "country" } },
    { "{\"full_name\": \"A\", \"country\": \"1B\", \"document_type\": \"passport\","
      " \"document_number\": \"X1234567\"}", { "country" } },
    { "{\"full_name\": \"A\", \"country\": \"GB\", \"document_type\": \"library_card\","
      " \"document_number\": \"X1234567\"}", { "document_type" } },
    { "{\"full_name\": \"A\", \"country\": \"GB\", \"document_type\": \"passport\","
      " \"document_number\": \"X12\"}", { "document_number" } },
    { "{\"full_name\": \"A\", \"country\": \"GB\", \"document_type\": \"passport\","
      " \"document_number\": \"X12 345/67\"}", { "document_number" } },
    { "{\"full_name\": \"A\", \"country\": \"GB\", \"document_type\": \"passport\","
      " \"document_number\": 12345678}", { "document_number" } },
    { "{\"full_name\": \"A\", \"country\": \"GB\", \"document_type\": \"passport\","
      " \"document_number\": \"X1234567\", \"status\": \"verified\"}", { "status" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = parse_object (cases[i].json);
      g_autoptr(GError) error = NULL;
      g_auto(CsKycInput) in = { 0 };
      GHashTable *fields;
      guint n = 0;

      if (cs_kyc_input_read (json_node_get_object (node), &in, &error))
        g_error ("%s was accepted", cases[i].json);
      g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
      fields = cs_error_get_fields (error);
      for (; n < G_N_ELEMENTS (cases[i].fields) && cases[i].fields[n] != NULL; n++)
        if (!g_hash_table_contains (fields, cases[i].fields[n]))
          g_error ("%s: no error on %s", cases[i].json, cases[i].fields[n]);
      if (g_hash_table_size (fields) != n)
        g_error ("%s: %u field errors, expected %u", cases[i].json, g_hash_table_size (fields), n);
      g_assert_null (in.full_name);
      g_assert_null (in.document_number);
    }

  /* The document number never appears in an error. */
  {
    g_autoptr(JsonNode) node = parse_object ("{\"full_name\": \"A\", \"country\": \"GB\","
                                             " \"document_type\": \"passport\","
                                             " \"document_number\": \"SECRET 99\"}");
    g_autoptr(GError) error = NULL;
    g_auto(CsKycInput) in = { 0 };

    g_assert_false (cs_kyc_input_read (json_node_get_object (node), &in, &error));
    g_assert_null (strstr (error->message, "SECRET"));
    g_assert_null (strstr (field_message (error, "document_number"), "SECRET"));
  }
}

/* A copy owns its own strings: freeing the original leaves it intact. */
static void
test_pledge_copy (void)
{
  CsPledge *p = cs_pledge_new ();
  g_autoptr(CsPledge) copy = NULL;

  p->id = g_strdup ("plg_1");
  p->backer_id = g_strdup ("usr_1");
  p->campaign_id = g_strdup ("cmp_1");
  p->amount = 2500;
  memcpy (p->currency, "EUR", 4);
  p->status = CS_PLEDGE_FAILED;
  p->failure_reason = g_strdup ("Your card was declined.");
  p->campaign_title = g_strdup ("Tiny synth");
  copy = cs_pledge_copy (p);
  cs_pledge_free (p);
  g_assert_cmpstr (copy->id, ==, "plg_1");
  g_assert_cmpstr (copy->backer_id, ==, "usr_1");
  g_assert_cmpstr (copy->campaign_id, ==, "cmp_1");
  g_assert_cmpint (copy->amount, ==, 2500);
  g_assert_cmpstr (copy->currency, ==, "EUR");
  g_assert_cmpint (copy->status, ==, CS_PLEDGE_FAILED);
  g_assert_cmpstr (copy->failure_reason, ==, "Your card was declined.");
  g_assert_cmpstr (copy->campaign_title, ==, "Tiny synth");
  g_assert_null (copy->reward_tier_id);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/pledge/status-strings", test_pledge_status_strings);
  g_test_add_func ("/core/pledge/minimum", test_pledge_minimum);
  g_test_add_func ("/core/pledge/input/create", test_pledge_input_create);
  g_test_add_func ("/core/pledge/input/errors", test_pledge_input_errors);
  g_test_add_func ("/core/pledge/input/partial", test_pledge_input_partial);
  g_test_add_func ("/core/pledge/json", test_pledge_json);
  g_test_add_func ("/core/pledge/copy", test_pledge_copy);
  g_test_add_func ("/core/pledge/json-joined", test_pledge_json_joined);
  g_test_add_func ("/core/pledge/from-json-errors", test_pledge_from_json_errors);
  g_test_add_func ("/core/fees/defaults", test_fee_defaults);
  g_test_add_func ("/core/fees/rounding", test_fee_rounding);
  g_test_add_func ("/core/fees/reference", test_fee_reference);
  g_test_add_func ("/core/fees/overflow", test_fee_overflow);
  g_test_add_func ("/core/fees/settings-read", test_fee_settings_read);
  g_test_add_func ("/core/fees/settings-json", test_fee_settings_json);
  g_test_add_func ("/core/withdrawal/status-strings", test_withdrawal_status_strings);
  g_test_add_func ("/core/withdrawal/json", test_withdrawal_json);
  g_test_add_func ("/core/balance/json", test_balance_json);
  g_test_add_func ("/core/kyc/status-strings", test_kyc_status_strings);
  g_test_add_func ("/core/kyc/check-json", test_kyc_check_json);
  g_test_add_func ("/core/kyc/input", test_kyc_input);
  g_test_add_func ("/core/kyc/input-errors", test_kyc_input_errors);

  return g_test_run ();
}
