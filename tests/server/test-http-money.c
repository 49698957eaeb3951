/* test-http-money.c: the money path over HTTP on a real server in sandbox
 * mode: pledges, idempotency, sold-out tiers under a storm, the gateway's
 * signed webhooks, all-or-nothing settlement through the test clock, fees,
 * balances, withdrawals, identity checks, and who may see what.  After each
 * scenario the books must balance (cs_test_assert_books). */
#define _GNU_SOURCE 1   /* memmem */
#include "config.h"

#include <string.h>

#include "cs-test-server.h"
#include "cs-test-db.h"
#include "cs-webhook.h"

#define CARD_OK            "4242424242424242"
#define CARD_DECLINED      "4000000000000002"
#define CARD_CAPTURE_FAILS "4000000000000341"
#define DAY                (G_GINT64_CONSTANT (24) * 3600)

static CsTestServer *ts;
static char *creator;       /* tokens */
static char *creator_id;
static char *backer;
static char *backer_id;
static char *backer2;
static char *stranger;
static char *moderator;
static char *admin;

static char *
cpath (const char *id, const char *suffix)
{
  return g_strconcat ("/api/v1/campaigns/", id, suffix, NULL);
}

static char *
ppath (const char *id, const char *suffix)
{
  return g_strconcat ("/api/v1/pledges/", id, suffix, NULL);
}

/* A live campaign of @creator with @goal (USD) over @days days and one
 * tier of @quantity (0: unlimited) at a minimum of 1000; *tier_id if asked. */
static char *
live_campaign (const char *title, gint64 goal, int days, int quantity, char **tier_id)
{
  return cs_test_live_campaign (ts, creator, moderator, title, goal, days, quantity, tier_id);
}

static CsTestResponse *
get (const char *path, const char *token)
{
  return cs_test_request (ts, "GET", path, token, NULL);
}

static gint64
campaign_int (const char *campaign_id, const char *member)
{
  g_autofree char *path = cpath (campaign_id, "");
  g_autoptr(CsTestResponse) resp = get (path, NULL);

  g_assert_cmpuint (resp->status, ==, 200);
  return cs_test_int (resp, member);
}

/* POST with a JSON body and an Idempotency-Key. */
static CsTestResponse *
post_keyed (const char *path, const char *token, const char *body, const char *key)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  return cs_test_request_full (ts, "POST", path, token, "application/json", bytes, "Idempotency-Key", key, NULL);
}

typedef struct {
  const char *id;
  const char *status;
} WithdrawalWait;

static gboolean
withdrawal_has_status (CsTestServer *server, gpointer data)
{
  WithdrawalWait *ww = data;
  g_autoptr(CsTestResponse) list = cs_test_request (server, "GET", "/api/v1/me/withdrawals", creator, NULL);
  JsonArray *items = json_object_get_array_member (cs_test_object (list), "items");

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *w = json_array_get_object_element (items, i);

      if (g_strcmp0 (json_object_get_string_member (w, "id"), ww->id) == 0)
        return g_strcmp0 (json_object_get_string_member (w, "status"), ww->status) == 0;
    }
  return FALSE;
}

static void
wait_withdrawal (const char *id, const char *status)
{
  WithdrawalWait ww = { id, status };

  if (!cs_test_wait_for (ts, withdrawal_has_status, &ww))
    g_error ("withdrawal %s never became %s", id, status);
}

/* Pledges and waits until the authorization webhook has made it authorized. */
static char *
authorized_pledge (const char *token, const char *campaign_id, gint64 amount, const char *tier, const char *card)
{
  g_autofree char *pm = cs_test_card (ts, card);
  g_autoptr(CsTestResponse) resp = cs_test_pledge (ts, token, campaign_id, amount, tier, pm, NULL);
  g_autofree char *path = NULL;
  char *id;

  if (resp->status != 201)
    g_error ("pledge: %u %.*s", resp->status, (int) g_bytes_get_size (resp->body),
             (const char *) g_bytes_get_data (resp->body, NULL));
  g_assert_cmpstr (cs_test_string (resp, "status"), ==, "pending");
  id = g_strdup (cs_test_string (resp, "id"));
  path = ppath (id, "");
  cs_test_wait_field (ts, token, path, "status", "authorized");
  return id;
}

/* ---- pledges ------------------------------------------------------------------- */

static void
test_pledge_lifecycle_and_access (void)
{
  g_autofree char *tier = NULL;
  g_autofree char *campaign = live_campaign ("Lifecycle", 100000, 30, 5, &tier);
  g_autofree char *pledge = authorized_pledge (backer, campaign, 2500, tier, CARD_OK);
  g_autofree char *path = ppath (pledge, "");
  g_autofree char *user_path = g_strconcat ("/api/v1/users/", backer_id, "/pledges", NULL);
  g_autofree char *list_path = cpath (campaign, "/pledges");
  g_autoptr(CsTestResponse) mine = get (path, backer);
  g_autoptr(CsTestResponse) by_creator = get (path, creator);
  g_autoptr(CsTestResponse) by_stranger = get (path, stranger);
  g_autoptr(CsTestResponse) anon = get (path, NULL);
  g_autoptr(CsTestResponse) list_own = get (user_path, backer);
  g_autoptr(CsTestResponse) list_other = get (user_path, stranger);
  g_autoptr(CsTestResponse) list_staff = get (user_path, moderator);
  g_autoptr(CsTestResponse) backers_creator = get (list_path, creator);
  g_autoptr(CsTestResponse) backers_backer = get (list_path, backer);
  g_autoptr(CsTestResponse) patch_other = NULL;
  g_autoptr(CsTestResponse) cancel_other = NULL;

  /* totals count authorized pledges */
  g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 2500);
  g_assert_cmpint (campaign_int (campaign, "backer_count"), ==, 1);

  g_assert_cmpuint (mine->status, ==, 200);
  g_assert_cmpint (cs_test_int (mine, "amount"), ==, 2500);
  g_assert_cmpstr (cs_test_string (mine, "currency"), ==, "USD");
  g_assert_cmpstr (cs_test_string (mine, "reward_tier_id"), ==, tier);
  g_assert_true (g_str_has_prefix (cs_test_string (mine, "transaction_id"), "txn_"));
  g_assert_cmpuint (by_creator->status, ==, 200);
  cs_test_assert_problem (by_stranger, 404, NULL);
  cs_test_assert_problem (anon, 401, NULL);

  g_assert_cmpuint (list_own->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (cs_test_object (list_own), "items")), >=, 1);
  cs_test_assert_problem (list_other, 403, NULL);
  g_assert_cmpuint (list_staff->status, ==, 200);
  g_assert_cmpuint (backers_creator->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (cs_test_object (backers_creator), "items")), ==, 1);
  cs_test_assert_problem (backers_backer, 403, NULL);

  /* only the backer changes or cancels */
  patch_other = cs_test_request (ts, "PATCH", path, stranger, "{\"amount\": 3000}");
  cs_test_assert_problem (patch_other, 404, NULL);
  {
    g_autofree char *cancel = ppath (pledge, "/cancel");

    cancel_other = cs_test_request (ts, "POST", cancel, creator, NULL);
    cs_test_assert_problem (cancel_other, 404, NULL);
  }

  /* a lower amount stays authorized; a higher one is authorized again */
  {
    g_autoptr(CsTestResponse) lower = cs_test_request (ts, "PATCH", path, backer, "{\"amount\": 2000}");
    g_autoptr(CsTestResponse) higher = NULL;
    g_autoptr(CsTestResponse) too_low = cs_test_request (ts, "PATCH", path, backer, "{\"amount\": 500}");

    g_assert_cmpuint (lower->status, ==, 200);
    g_assert_cmpstr (cs_test_string (lower, "status"), ==, "authorized");
    g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 2000);
    cs_test_assert_problem (too_low, 422, "amount");
    higher = cs_test_request (ts, "PATCH", path, backer, "{\"amount\": 4000}");
    g_assert_cmpuint (higher->status, ==, 200);
    cs_test_wait_field (ts, backer, path, "status", "authorized");
    g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 4000);
  }

  /* cancel: out of the totals, the reward released */
  {
    g_autofree char *cancel = ppath (pledge, "/cancel");
    g_autoptr(CsTestResponse) cancelled = cs_test_request (ts, "POST", cancel, backer, NULL);
    g_autoptr(CsTestResponse) again = cs_test_request (ts, "POST", cancel, backer, NULL);
    g_autofree char *rewards = cpath (campaign, "/rewards");
    g_autoptr(CsTestResponse) tiers = NULL;

    g_assert_cmpuint (cancelled->status, ==, 200);
    g_assert_cmpstr (cs_test_string (cancelled, "status"), ==, "cancelled");
    cs_test_assert_problem (again, 409, NULL);
    g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 0);
    g_assert_cmpint (campaign_int (campaign, "backer_count"), ==, 0);
    tiers = get (rewards, NULL);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
      json_object_get_array_member (cs_test_object (tiers), "items"), 0), "quantity_claimed"), ==, 0);
  }
  cs_test_assert_books (ts);
}

static void
test_pledge_idempotency_and_rules (void)
{
  g_autofree char *tier = NULL;
  g_autofree char *campaign = live_campaign ("Idempotent", 100000, 30, 0, &tier);
  g_autofree char *pm = cs_test_card (ts, CARD_OK);
  g_autofree char *key = g_uuid_string_random ();
  g_autoptr(CsTestResponse) first = cs_test_pledge (ts, backer2, campaign, 1500, NULL, pm, key);
  g_autoptr(CsTestResponse) repeat = cs_test_pledge (ts, backer2, campaign, 1500, NULL, pm, key);
  g_autoptr(CsTestResponse) other_body = cs_test_pledge (ts, backer2, campaign, 1600, NULL, pm, key);
  g_autoptr(CsTestResponse) second = cs_test_pledge (ts, backer2, campaign, 1500, NULL, pm, NULL);
  g_autoptr(CsTestResponse) below_one = cs_test_pledge (ts, stranger, campaign, 99, NULL, pm, NULL);
  g_autoptr(CsTestResponse) below_tier = cs_test_pledge (ts, stranger, campaign, 500, tier, pm, NULL);
  g_autoptr(CsTestResponse) own = cs_test_pledge (ts, creator, campaign, 1500, NULL, pm, NULL);
  g_autofree char *path = cpath (campaign, "/pledges");
  static const char no_key_body[] = "{\"amount\": 1500, \"payment_method\": \"pm_x\"}";
  g_autoptr(GBytes) body = g_bytes_new_static (no_key_body, strlen (no_key_body));
  g_autoptr(CsTestResponse) no_key = cs_test_request_full (ts, "POST", path, stranger, "application/json", body, NULL);
  g_autoptr(CsTestResponse) float_amount = NULL;

  g_assert_cmpuint (first->status, ==, 201);
  g_assert_cmpuint (repeat->status, ==, 201);
  g_assert_cmpstr (cs_test_string (repeat, "id"), ==, cs_test_string (first, "id"));
  g_assert_cmpstr (soup_message_headers_get_one (repeat->headers, "Idempotent-Replayed"), ==, "true");
  cs_test_assert_problem (other_body, 422, "Idempotency-Key");
  /* one active pledge per backer: the second points at PATCH */
  cs_test_assert_problem (second, 409, NULL);
  g_assert_nonnull (strstr (json_object_get_string_member (cs_test_object (second), "detail"),
                            cs_test_string (first, "id")));
  cs_test_assert_problem (below_one, 422, "amount");
  cs_test_assert_problem (below_tier, 422, "amount");
  cs_test_assert_problem (own, 403, NULL);
  cs_test_assert_problem (no_key, 422, "Idempotency-Key");
  float_amount = post_keyed (path, stranger, "{\"amount\": 15.5, \"payment_method\": \"pm_x\"}", "float-1");
  cs_test_assert_problem (float_amount, 422, "amount");
  cs_test_assert_books (ts);
}

/* ---- a storm on a limited tier --------------------------------------------------- */

typedef struct {
  const char *campaign;
  const char *tier;
  const char *pm;
  char       *token;
  guint       created;   /* distinct pledges this backer got */
  guint       sold_out;
  char       *pledge_id;
} StormBacker;

static gpointer
storm_thread (gpointer data)
{
  StormBacker *sb = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autofree char *url = g_strconcat (ts->base, "/api/v1/campaigns/", sb->campaign, "/pledges", NULL);
  g_autofree char *body = g_strdup_printf ("{\"amount\": 1000, \"reward_tier_id\": \"%s\", \"payment_method\": \"%s\"}",
                                           sb->tier, sb->pm);
  g_autofree char *key = g_uuid_string_random ();
  g_autofree char *auth = g_strconcat ("Bearer ", sb->token, NULL);

  /* each request is sent twice with the same key, as a client retrying after a timeout would */
  for (int attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) req_body = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) resp = NULL;
      g_autoptr(GError) error = NULL;

      soup_message_set_request_body_from_bytes (msg, "application/json", req_body);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
      resp = soup_session_send_and_read (session, msg, NULL, &error);
      g_assert_no_error (error);
      if (soup_message_get_status (msg) == 201)
        {
          g_autoptr(JsonNode) node = json_from_string (g_bytes_get_data (resp, NULL), NULL);
          const char *id = json_object_get_string_member (json_node_get_object (node), "id");

          if (sb->pledge_id == NULL)
            {
              sb->pledge_id = g_strdup (id);
              sb->created++;
            }
          else
            g_assert_cmpstr (sb->pledge_id, ==, id);   /* the retry got the first answer */
        }
      else
        {
          g_assert_cmpuint (soup_message_get_status (msg), ==, 409);
          sb->sold_out++;
        }
    }
  return NULL;
}

static void
test_storm_never_oversells (void)
{
  const guint n_tier = 5, n_backers = 16;
  g_autofree char *tier = NULL;
  g_autofree char *campaign = live_campaign ("Storm", 1000000, 30, n_tier, &tier);
  g_autofree char *pm = cs_test_card (ts, CARD_OK);
  StormBacker sb[16] = { { 0 } };
  GThread *threads[16];
  guint winners = 0;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < n_backers; i++)
    {
      g_autofree char *name = g_strdup_printf ("storm%u", i);

      sb[i] = (StormBacker) { campaign, tier, pm, cs_test_register (ts, name, NULL), 0, 0, NULL };
    }
  for (guint i = 0; i < n_backers; i++)
    threads[i] = g_thread_new ("storm", storm_thread, &sb[i]);
  for (guint i = 0; i < n_backers; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < n_backers; i++)
    {
      winners += sb[i].created;
      if (sb[i].pledge_id != NULL)
        g_assert_true (g_hash_table_add (ids, sb[i].pledge_id));   /* no duplicates */
    }
  g_assert_cmpuint (winners, ==, n_tier);
  {
    g_autofree char *rewards = cpath (campaign, "/rewards");
    g_autoptr(CsTestResponse) tiers = get (rewards, NULL);

    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
      json_object_get_array_member (cs_test_object (tiers), "items"), 0), "quantity_claimed"), ==, n_tier);
  }
  cs_test_assert_books (ts);
  g_assert_cmpint (campaign_int (campaign, "backer_count"), ==, n_tier);
  g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 1000 * n_tier);
  for (guint i = 0; i < n_backers; i++)
    {
      g_free (sb[i].token);
      g_free (sb[i].pledge_id);
    }
}

/* ---- declined cards and webhooks -------------------------------------------------------- */

static void
test_declined_card (void)
{
  g_autofree char *tier = NULL;
  g_autofree char *campaign = live_campaign ("Declined", 100000, 30, 1, &tier);
  g_autofree char *pm = cs_test_card (ts, CARD_DECLINED);
  g_autoptr(CsTestResponse) resp = cs_test_pledge (ts, backer, campaign, 1000, tier, pm, NULL);
  g_autofree char *path = NULL;
  g_autoptr(CsTestResponse) failed = NULL;
  g_autofree char *retry_pm = cs_test_card (ts, CARD_OK);
  g_autoptr(CsTestResponse) retry = NULL;

  g_assert_cmpuint (resp->status, ==, 201);
  path = ppath (cs_test_string (resp, "id"), "");
  cs_test_wait_field (ts, backer, path, "status", "failed");
  failed = get (path, backer);
  g_assert_nonnull (cs_test_string (failed, "failure_reason"));
  g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 0);
  /* the only reward is free again, and the backer may pledge again */
  retry = cs_test_pledge (ts, backer, campaign, 1000, tier, retry_pm, NULL);
  g_assert_cmpuint (retry->status, ==, 201);
  cs_test_assert_books (ts);
}

static CsTestResponse *
post_webhook (const char *body, gint64 timestamp, const char *secret)
{
  g_autofree char *signature = cs_webhook_sign (secret, timestamp, body, strlen (body));
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  return cs_test_request_full (ts, "POST", "/api/v1/webhooks/payments", NULL, "application/json", bytes,
                               CS_WEBHOOK_SIGNATURE_HEADER, signature, NULL);
}

static void
test_webhook_security (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *event =
    "{\"id\": \"evt_test_unknown_1\", \"type\": \"charge.authorized\", \"created\": 1, "
    "\"data\": {\"object_id\": \"ch_nowhere\", \"reference\": \"pl_nowhere\", \"job_id\": \"job_x\", "
    "\"amount\": 1000, \"currency\": \"USD\", \"failure_reason\": null}}";
  g_autoptr(CsTestResponse) bad_sig = post_webhook (event, now, "not-the-secret");
  g_autoptr(CsTestResponse) old = post_webhook (event, now - 3600, CS_TEST_WEBHOOK_SECRET);
  g_autoptr(CsTestResponse) future = post_webhook (event, now + 3600, CS_TEST_WEBHOOK_SECRET);
  g_autoptr(CsTestResponse) ok = post_webhook (event, now, CS_TEST_WEBHOOK_SECRET);
  g_autoptr(CsTestResponse) replay = post_webhook (event, now, CS_TEST_WEBHOOK_SECRET);
  g_autoptr(GBytes) bytes = g_bytes_new_static (event, strlen (event));
  g_autoptr(CsTestResponse) unsigned_ = cs_test_request_full (ts, "POST", "/api/v1/webhooks/payments", NULL,
                                                               "application/json", bytes, NULL);
  g_autoptr(CsTestResponse) garbage = post_webhook ("{\"id\": 5}", now, CS_TEST_WEBHOOK_SECRET);

  cs_test_assert_problem (bad_sig, 401, NULL);
  cs_test_assert_problem (old, 401, NULL);
  cs_test_assert_problem (future, 401, NULL);
  cs_test_assert_problem (unsigned_, 401, NULL);
  cs_test_assert_problem (garbage, 422, NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_false (json_object_get_boolean_member (cs_test_object (ok), "duplicate"));
  /* the same event again: acknowledged, not processed again */
  g_assert_cmpuint (replay->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (cs_test_object (replay), "duplicate"));
  cs_test_assert_books (ts);
}

/* ---- settlement, fees, balances, withdrawals ---------------------------------------------- */

static void
test_successful_campaign_to_payout (void)
{
  g_autofree char *campaign = live_campaign ("Funded", 10000, 3, 0, NULL);
  g_autofree char *a = authorized_pledge (backer, campaign, 6050, NULL, CARD_OK);
  g_autofree char *b = authorized_pledge (backer2, campaign, 5000, NULL, CARD_CAPTURE_FAILS);
  g_autofree char *a_path = ppath (a, "");
  g_autofree char *b_path = ppath (b, "");
  g_autofree char *balance_path = cpath (campaign, "/balance");
  g_autofree char *withdraw_path = cpath (campaign, "/withdrawals");
  g_autofree char *camp_path = cpath (campaign, "");
  g_autoptr(CsTestResponse) early = NULL;
  g_autoptr(CsTestResponse) balance = NULL;

  g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 11050);

  /* not before success */
  early = post_keyed (withdraw_path, creator, "{\"amount\": 100}", "w-early");
  cs_test_assert_problem (early, 409, NULL);

  cs_test_advance_clock (ts, admin, 4 * DAY);
  cs_test_wait_field (ts, NULL, camp_path, "status", "successful");
  cs_test_wait_field (ts, backer, a_path, "status", "collected");
  cs_test_wait_field (ts, backer2, b_path, "status", "capture_failed");

  /* fees, per collected pledge, half up: 5 % of 60.50 = 3.025 → 3.03;
   * 2.9 % of 60.50 = 1.7545 → 1.75, + 0.30 = 2.05 */
  balance = get (balance_path, creator);
  g_assert_cmpuint (balance->status, ==, 200);
  g_assert_cmpint (cs_test_int (balance, "collected_amount"), ==, 6050);
  g_assert_cmpint (cs_test_int (balance, "platform_fee_amount"), ==, 303);
  g_assert_cmpint (cs_test_int (balance, "processing_fee_amount"), ==, 205);
  g_assert_cmpint (cs_test_int (balance, "available_amount"), ==, 6050 - 303 - 205);
  cs_test_assert_books (ts);

  /* the backer fixes the card: charged at once */
  {
    g_autofree char *pm = cs_test_card (ts, CARD_OK);
    g_autofree char *body = g_strdup_printf ("{\"payment_method\": \"%s\"}", pm);
    g_autoptr(CsTestResponse) fixed = cs_test_request (ts, "PATCH", b_path, backer2, body);
    g_autoptr(CsTestResponse) amount_change = cs_test_request (ts, "PATCH", b_path, backer2, "{\"amount\": 9000}");
    g_autoptr(CsTestResponse) after = NULL;

    g_assert_cmpuint (fixed->status, ==, 200);
    cs_test_wait_field (ts, backer2, b_path, "status", "collected");
    cs_test_assert_problem (amount_change, 409, NULL);
    after = get (balance_path, creator);
    /* 5000: platform 250, processing 145 + 30 = 175 */
    g_assert_cmpint (cs_test_int (after, "collected_amount"), ==, 11050);
    g_assert_cmpint (cs_test_int (after, "platform_fee_amount"), ==, 553);
    g_assert_cmpint (cs_test_int (after, "processing_fee_amount"), ==, 380);
    g_assert_cmpint (cs_test_int (after, "available_amount"), ==, 11050 - 553 - 380);
  }
  cs_test_assert_books (ts);

  /* who may see the balance */
  {
    g_autoptr(CsTestResponse) other = get (balance_path, backer);
    g_autoptr(CsTestResponse) staff = get (balance_path, moderator);

    cs_test_assert_problem (other, 403, NULL);
    g_assert_cmpuint (staff->status, ==, 200);
  }

  /* withdrawals: limits, a failed payout, a paid one */
  {
    gint64 available = 11050 - 553 - 380;
    g_autofree char *too_much = g_strdup_printf ("{\"amount\": %" G_GINT64_FORMAT "}", available + 1);
    g_autofree char *all = g_strdup_printf ("{\"amount\": %" G_GINT64_FORMAT "}", available);
    g_autoptr(CsTestResponse) over = post_keyed (withdraw_path, creator, too_much, "w-over");
    g_autoptr(CsTestResponse) not_owner = post_keyed (withdraw_path, backer, all, "w-not-owner");
    g_autoptr(CsTestResponse) failing = post_keyed (withdraw_path, creator,
                                                    "{\"amount\": 1000, \"payout_method\": \"ba_sandbox_fail\"}",
                                                    "w-fail");
    g_autoptr(CsTestResponse) paid = NULL;
    g_autoptr(CsTestResponse) paid_again = NULL;
    g_autoptr(CsTestResponse) list = NULL;
    g_autoptr(CsTestResponse) final = NULL;

    cs_test_assert_problem (over, 409, NULL);
    cs_test_assert_problem (not_owner, 403, NULL);
    g_assert_cmpuint (failing->status, ==, 201);
    g_assert_cmpstr (cs_test_string (failing, "status"), ==, "pending");
    /* the failed payout gives the money back */
    wait_withdrawal (cs_test_string (failing, "id"), "failed");
    cs_test_assert_books (ts);
    list = get ("/api/v1/me/withdrawals", creator);
    g_assert_cmpuint (list->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
      json_object_get_array_member (cs_test_object (list), "items"), 0), "status"), ==, "failed");

    paid = post_keyed (withdraw_path, creator, all, "w-all");
    g_assert_cmpuint (paid->status, ==, 201);
    paid_again = post_keyed (withdraw_path, creator, all, "w-all");
    g_assert_cmpuint (paid_again->status, ==, 201);
    g_assert_cmpstr (cs_test_string (paid_again, "id"), ==, cs_test_string (paid, "id"));
    wait_withdrawal (cs_test_string (paid, "id"), "paid");
    cs_test_assert_books (ts);
    final = get (balance_path, creator);
    g_assert_cmpint (cs_test_int (final, "available_amount"), ==, 0);
    g_assert_cmpint (cs_test_int (final, "withdrawn_amount"), ==, available);
    {
      g_autoptr(CsTestResponse) list2 = get ("/api/v1/me/withdrawals", creator);

      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
        json_object_get_array_member (cs_test_object (list2), "items"), 0), "status"), ==, "paid");
    }
  }
}

static void
test_failed_campaign_voids (void)
{
  g_autofree char *campaign = live_campaign ("Unfunded", 500000, 2, 0, NULL);
  g_autofree char *a = authorized_pledge (backer, campaign, 3000, NULL, CARD_OK);
  g_autofree char *a_path = ppath (a, "");
  g_autofree char *camp_path = cpath (campaign, "");
  g_autofree char *balance_path = cpath (campaign, "/balance");
  g_autoptr(CsTestResponse) balance = NULL;
  g_autoptr(CsTestResponse) late = NULL;
  g_autofree char *pm = cs_test_card (ts, CARD_OK);

  cs_test_advance_clock (ts, admin, 3 * DAY);
  cs_test_wait_field (ts, NULL, camp_path, "status", "failed");
  cs_test_wait_field (ts, backer, a_path, "status", "voided");
  balance = get (balance_path, creator);
  g_assert_cmpint (cs_test_int (balance, "collected_amount"), ==, 0);
  g_assert_cmpint (cs_test_int (balance, "available_amount"), ==, 0);
  /* no pledging after the deadline */
  late = cs_test_pledge (ts, backer2, campaign, 1000, NULL, pm, NULL);
  cs_test_assert_problem (late, 409, NULL);
  cs_test_assert_books (ts);
}

static void
test_capture_failure_expires (void)
{
  g_autofree char *campaign = live_campaign ("Expiring", 2000, 2, 0, NULL);
  g_autofree char *a = authorized_pledge (backer, campaign, 1500, NULL, CARD_OK);
  g_autofree char *b = authorized_pledge (backer2, campaign, 1000, NULL, CARD_CAPTURE_FAILS);
  g_autofree char *b_path = ppath (b, "");
  g_autoptr(CsTestResponse) late_fix = NULL;
  g_autofree char *pm = cs_test_card (ts, CARD_OK);
  g_autofree char *body = g_strdup_printf ("{\"payment_method\": \"%s\"}", pm);

  cs_test_advance_clock (ts, admin, 3 * DAY);
  cs_test_wait_field (ts, backer2, b_path, "status", "capture_failed");
  g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 2500);
  cs_test_advance_clock (ts, admin, 8 * DAY);
  cs_test_wait_field (ts, backer2, b_path, "status", "failed");
  g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 1500);
  late_fix = cs_test_request (ts, "PATCH", b_path, backer2, body);
  cs_test_assert_problem (late_fix, 409, NULL);
  cs_test_assert_books (ts);
}

static void
test_final_day_keeps_goal (void)
{
  g_autofree char *campaign = live_campaign ("Final day", 2000, 2, 0, NULL);
  g_autofree char *a = authorized_pledge (backer, campaign, 1500, NULL, CARD_OK);
  g_autofree char *b = authorized_pledge (backer2, campaign, 1000, NULL, CARD_OK);
  g_autofree char *a_cancel = ppath (a, "/cancel");
  g_autofree char *b_path = ppath (b, "");
  g_autoptr(CsTestResponse) cancel = NULL;
  g_autoptr(CsTestResponse) lower = NULL;
  g_autoptr(CsTestResponse) small = NULL;

  /* 12 hours before the end, funded at 2,500 of 2,000 */
  cs_test_advance_clock (ts, admin, 2 * DAY - 12 * 3600);
  cancel = cs_test_request (ts, "POST", a_cancel, backer, NULL);
  cs_test_assert_problem (cancel, 409, NULL);
  lower = cs_test_request (ts, "PATCH", b_path, backer2, "{\"amount\": 400}");
  cs_test_assert_problem (lower, 409, NULL);
  /* a change that keeps the goal is fine */
  small = cs_test_request (ts, "PATCH", b_path, backer2, "{\"amount\": 500}");
  g_assert_cmpuint (small->status, ==, 200);
  g_assert_cmpint (campaign_int (campaign, "current_amount"), ==, 2000);
  cs_test_assert_books (ts);
}

static void
test_cancelled_campaign_voids (void)
{
  g_autofree char *campaign = live_campaign ("Cancelled", 200000, 10, 0, NULL);
  g_autofree char *a = authorized_pledge (backer, campaign, 2000, NULL, CARD_OK);
  g_autofree char *a_path = ppath (a, "");
  g_autofree char *cancel = cpath (campaign, "/cancel");
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "POST", cancel, creator, NULL);

  g_assert_cmpuint (resp->status, ==, 200);
  cs_test_wait_field (ts, backer, a_path, "status", "voided");
  cs_test_assert_books (ts);
}

/* ---- identity checks ------------------------------------------------------------------------ */

static void
test_identity_gates (void)
{
  g_autofree char *maker = cs_test_register (ts, "kycmaker", NULL);
  g_autofree char *draft = cs_test_create_campaign (ts, maker, "Needs KYC", "design");
  g_autofree char *submit = cpath (draft, "/submit");
  g_autoptr(CsTestResponse) refused = cs_test_request (ts, "POST", submit, maker, NULL);
  g_autoptr(CsTestResponse) review = cs_test_request (ts, "POST", "/api/v1/me/kyc", maker,
    "{\"full_name\": \"Kim Maker\", \"country\": \"DE\", \"document_type\": \"id_card\", \"document_number\": \"REVIEW-778899\"}");
  g_autoptr(CsTestResponse) twice = NULL;
  g_autoptr(CsTestResponse) queue = NULL;
  g_autoptr(CsTestResponse) queue_backer = NULL;
  g_autoptr(CsTestResponse) decided = NULL;
  g_autoptr(CsTestResponse) no_reason = NULL;
  g_autoptr(CsTestResponse) by_backer = NULL;
  g_autoptr(CsTestResponse) accepted = NULL;
  g_autoptr(CsTestResponse) state = NULL;
  g_autofree char *decision = NULL;
  const char *kyc_id;
  JsonArray *items;
  gboolean listed = FALSE;

  cs_test_assert_problem (refused, 403, NULL);
  g_assert_cmpuint (review->status, ==, 202);
  kyc_id = json_object_get_string_member (json_object_get_object_member (cs_test_object (review), "check"), "id");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (cs_test_object (review), "check"),
                                                  "document_last4"), ==, "8899");
  cs_test_wait_field (ts, maker, "/api/v1/me/kyc", "status", "review");
  twice = cs_test_request (ts, "POST", "/api/v1/me/kyc", maker,
    "{\"full_name\": \"Kim Maker\", \"country\": \"DE\", \"document_type\": \"id_card\", \"document_number\": \"X12345\"}");
  cs_test_assert_problem (twice, 409, NULL);

  queue = get ("/api/v1/moderation/queue", moderator);
  g_assert_cmpuint (queue->status, ==, 200);
  items = json_object_get_array_member (cs_test_object (queue), "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    if (g_strcmp0 (json_object_get_string_member (json_object_get_object_member (
          json_array_get_object_element (items, i), "kyc"), "id"), kyc_id) == 0)
      listed = TRUE;
  g_assert_true (listed);
  queue_backer = get ("/api/v1/moderation/queue", backer);
  cs_test_assert_problem (queue_backer, 403, NULL);

  decision = g_strconcat ("/api/v1/moderation/kyc/", kyc_id, "/decision", NULL);
  no_reason = cs_test_request (ts, "POST", decision, moderator, "{\"decision\": \"verified\"}");
  cs_test_assert_problem (no_reason, 422, "reason");
  by_backer = cs_test_request (ts, "POST", decision, backer, "{\"decision\": \"verified\", \"reason\": \"ok\"}");
  cs_test_assert_problem (by_backer, 403, NULL);
  decided = cs_test_request (ts, "POST", decision, moderator,
                             "{\"decision\": \"verified\", \"reason\": \"Document checked by hand\"}");
  g_assert_cmpuint (decided->status, ==, 200);
  g_assert_cmpstr (cs_test_string (decided, "status"), ==, "verified");
  state = get ("/api/v1/me/kyc", maker);
  g_assert_cmpstr (cs_test_string (state, "status"), ==, "verified");
  accepted = cs_test_request (ts, "POST", submit, maker, NULL);
  g_assert_cmpuint (accepted->status, ==, 200);

  /* the decision is audited */
  {
    g_autoptr(CsTestResponse) audit = get ("/api/v1/admin/audit", admin);
    g_autofree char *text = g_strndup (g_bytes_get_data (audit->body, NULL), g_bytes_get_size (audit->body));

    g_assert_nonnull (strstr (text, "Document checked by hand"));
  }

  /* a rejected document */
  {
    g_autofree char *other = cs_test_register (ts, "kycrejected", NULL);
    g_autoptr(CsTestResponse) rejected = cs_test_request (ts, "POST", "/api/v1/me/kyc", other,
      "{\"full_name\": \"Rex Ject\", \"country\": \"FR\", \"document_type\": \"passport\", \"document_number\": \"REJECT-1\"}");

    g_assert_cmpuint (rejected->status, ==, 202);
    cs_test_wait_field (ts, other, "/api/v1/me/kyc", "status", "rejected");
  }
}

static void
test_fee_settings (void)
{
  g_autoptr(CsTestResponse) read = get ("/api/v1/admin/settings/fees", admin);
  g_autoptr(CsTestResponse) by_mod = get ("/api/v1/admin/settings/fees", moderator);
  g_autoptr(CsTestResponse) bad = cs_test_request (ts, "PUT", "/api/v1/admin/settings/fees", admin,
    "{\"platform_fee_bps\": -1, \"processing_fee_bps\": 290, \"processing_fee_fixed\": 30}");
  g_autoptr(CsTestResponse) put = NULL;
  g_autoptr(CsTestResponse) back = NULL;

  g_assert_cmpuint (read->status, ==, 200);
  g_assert_cmpint (cs_test_int (read, "platform_fee_bps"), ==, 500);
  g_assert_cmpint (cs_test_int (read, "processing_fee_bps"), ==, 290);
  g_assert_cmpint (cs_test_int (read, "processing_fee_fixed"), ==, 30);
  cs_test_assert_problem (by_mod, 403, NULL);
  cs_test_assert_problem (bad, 422, "platform_fee_bps");
  put = cs_test_request (ts, "PUT", "/api/v1/admin/settings/fees", admin,
    "{\"platform_fee_bps\": 400, \"processing_fee_bps\": 250, \"processing_fee_fixed\": 25}");
  g_assert_cmpuint (put->status, ==, 200);
  g_assert_cmpint (cs_test_int (put, "platform_fee_bps"), ==, 400);
  back = cs_test_request (ts, "PUT", "/api/v1/admin/settings/fees", admin,
    "{\"platform_fee_bps\": 500, \"processing_fee_bps\": 290, \"processing_fee_fixed\": 30}");
  g_assert_cmpuint (back->status, ==, 200);
}

static void
test_card_tokenisation (void)
{
  g_autoptr(CsTestResponse) luhn = cs_test_request (ts, "POST", "/api/v1/sandbox/gateway/payment_methods", NULL,
    "{\"card_number\": \"4242424242424241\", \"exp_month\": 12, \"exp_year\": 2099, \"cvc\": \"123\"}");
  g_autoptr(CsTestResponse) expired = cs_test_request (ts, "POST", "/api/v1/sandbox/gateway/payment_methods", NULL,
    "{\"card_number\": \"4242424242424242\", \"exp_month\": 1, \"exp_year\": 2001, \"cvc\": \"123\"}");
  g_autoptr(CsTestResponse) ok = cs_test_request (ts, "POST", "/api/v1/sandbox/gateway/payment_methods", NULL,
    "{\"card_number\": \"4242 4242 4242 4242\", \"exp_month\": 12, \"exp_year\": 2099, \"cvc\": \"123\"}");

  cs_test_assert_problem (luhn, 422, "card_number");
  cs_test_assert_problem (expired, 422, NULL);
  g_assert_cmpuint (ok->status, ==, 201);
  g_assert_cmpstr (cs_test_string (ok, "last4"), ==, "4242");
  /* the card number never reaches the database */
  g_assert_false (cs_test_db_contains (ts->config->database_url, "4242424242424242"));
  /* the scan can see what is stored: the last four digits are */
  g_assert_true (cs_test_db_contains (ts->config->database_url, cs_test_string (ok, "id")));
}

static void
tweak (CsServerConfig *config)
{
  config->workers = 8;
  /* the test clock moves days ahead: tokens must outlive it */
  config->access_token_ttl = 400 * DAY;
  config->refresh_token_ttl = 800 * DAY;
}

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  ts = cs_test_server_new (tweak);
  creator = cs_test_register (ts, "moneycreator", &creator_id);
  backer = cs_test_register (ts, "moneybacker", &backer_id);
  backer2 = cs_test_register (ts, "moneybacker2", NULL);
  stranger = cs_test_register (ts, "moneystranger", NULL);
  moderator = cs_test_staff_token (ts, "moneymod", CS_ROLE_MODERATOR);
  admin = cs_test_staff_token (ts, "moneyadmin", CS_ROLE_ADMIN);

  g_test_add_func ("/money/tokenisation", test_card_tokenisation);
  g_test_add_func ("/money/pledge-lifecycle", test_pledge_lifecycle_and_access);
  g_test_add_func ("/money/idempotency-and-rules", test_pledge_idempotency_and_rules);
  g_test_add_func ("/money/storm", test_storm_never_oversells);
  g_test_add_func ("/money/declined", test_declined_card);
  g_test_add_func ("/money/webhook-security", test_webhook_security);
  g_test_add_func ("/money/fees", test_fee_settings);
  g_test_add_func ("/money/identity", test_identity_gates);
  g_test_add_func ("/money/cancelled-campaign", test_cancelled_campaign_voids);
  g_test_add_func ("/money/final-day", test_final_day_keeps_goal);
  g_test_add_func ("/money/successful-to-payout", test_successful_campaign_to_payout);
  g_test_add_func ("/money/failed-voids", test_failed_campaign_voids);
  g_test_add_func ("/money/capture-failure-expires", test_capture_failure_expires);
  status = g_test_run ();

  g_free (creator);
  g_free (creator_id);
  g_free (backer);
  g_free (backer_id);
  g_free (backer2);
  g_free (stranger);
  g_free (moderator);
  g_free (admin);
  cs_test_server_free (ts);
  return status;
}
