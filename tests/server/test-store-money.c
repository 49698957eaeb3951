/* test-store-money.c: the money path of the store (cs-store-money.h) on a
 * real database (SQLite, or PostgreSQL: cs-test-db.h): pledges and their idempotency, tier claims under
 * concurrent pledging, gateway events applied exactly once and in any
 * order, settlement both ways, fees, failed captures and their expiry,
 * cancelled and suspended campaigns, withdrawals, payment jobs, settings,
 * and the books: green after every scenario, red on a corrupted file. */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "crowdspark-core.h"
#include "cs-store.h"
#include "cs-server-resources.h"
#include "cs-test-db.h"

#define NOW G_GINT64_CONSTANT (1700000000)
#define DAY G_GINT64_CONSTANT (86400)

typedef struct {
  char        *dir;
  char        *path;
  char        *url;
  CsStore     *store;
  CsStoreConn *conn;
  char        *creator;
  char        *moderator;
  GHashTable  *declined;       /* pledge ids whose authorization the gateway declines */
  GHashTable  *capture_fails;  /* pledge ids whose capture the gateway refuses */
  guint        n_events;
} Fixture;

/* ---- Helpers ------------------------------------------------------------------ */

static char *
add_user (CsStoreConn *conn, const char *name, CsRole role)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) user = cs_user_new ();

  user->id = cs_id_new ("usr");
  user->email = g_strdup_printf ("%s@example.com", name);
  user->username = g_strdup (name);
  user->role = role;
  user->created_at = user->updated_at = NOW;
  g_assert_true (cs_store_user_insert (conn, user, "$argon2id$fake", &error));
  g_assert_no_error (error);
  return g_strdup (user->id);
}

/* Through the identity checks, as the sandbox provider would decide. */
static void
verify (CsStoreConn *conn, const char *user_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsKycCheck) check = cs_kyc_check_new ();
  g_autoptr(CsKycCheck) stored = NULL;
  g_autoptr(CsKycCheck) decided = NULL;

  check->id = cs_id_new ("kyc");
  check->user_id = g_strdup (user_id);
  check->status = CS_KYC_PENDING;
  check->full_name = g_strdup ("Casey Creator");
  check->country = g_strdup ("DE");
  check->document_type = g_strdup ("passport");
  check->document_last4 = g_strdup ("0042");
  check->created_at = check->updated_at = NOW;
  stored = cs_store_kyc_submit (conn, check, NOW, &error);
  g_assert_no_error (error);
  decided = cs_store_kyc_decide (conn, stored->id, CS_KYC_VERIFIED, NULL, NULL, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpint (decided->status, ==, CS_KYC_VERIFIED);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cs-store-money-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "store.db", NULL);
  f->url = cs_test_db_url (f->dir, "store.db");
  f->store = cs_store_open (f->url, &error);
  g_assert_no_error (error);
  f->conn = cs_store_connect (f->store, &error);
  g_assert_no_error (error);
  f->creator = add_user (f->conn, "creator", CS_ROLE_BACKER);
  f->moderator = add_user (f->conn, "moderator", CS_ROLE_MODERATOR);
  verify (f->conn, f->creator);
  f->declined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->capture_fails = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      g_remove (p);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->conn, cs_store_conn_free);
  g_clear_pointer (&f->store, cs_store_free);
  cs_test_db_drop (f->url);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_free (f->url);
  g_free (f->creator);
  g_free (f->moderator);
  g_hash_table_unref (f->declined);
  g_hash_table_unref (f->capture_fails);
}

/* A live campaign of the fixture's creator, approved at NOW, with one
 * reward (minimum 1000) of @quantity (-1: unlimited); *tier_id if asked. */
static char *
live_campaign (Fixture *f, gint64 goal, int days, gint64 quantity, char **tier_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCampaign) c = cs_campaign_new ();
  g_autoptr(CsCampaign) stored = NULL;
  CsRewardTier *t = cs_reward_tier_new ();

  c->id = cs_id_new ("cmp");
  c->creator_id = g_strdup (f->creator);
  c->title = g_strdup ("A money test");
  c->description = g_strdup ("Money moves exactly once.");
  c->category = g_strdup ("games");
  c->goal_amount = goal;
  g_strlcpy (c->currency, "USD", sizeof c->currency);
  c->duration_days = days;
  c->created_at = NOW - 10;
  t->id = cs_id_new ("tier");
  t->title = g_strdup ("Limited");
  t->description = g_strdup ("A reward");
  t->minimum_pledge = 1000;
  t->quantity_available = quantity;
  g_ptr_array_add (c->rewards, t);
  stored = cs_store_campaign_insert (f->conn, c, &error);
  g_assert_no_error (error);
  if (tier_id != NULL)
    *tier_id = g_strdup (t->id);
  cs_campaign_free (cs_store_campaign_transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUBMIT, f->creator,
                                                  NULL, NOW - 5, &error));
  g_assert_no_error (error);
  cs_campaign_free (cs_store_campaign_transition (f->conn, c->id, CS_CAMPAIGN_EVENT_APPROVE, f->moderator,
                                                  NULL, NOW, &error));
  g_assert_no_error (error);
  return g_strdup (c->id);
}

static CsCampaign *
campaign (Fixture *f, const char *id)
{
  g_autoptr(GError) error = NULL;
  CsCampaign *c = cs_store_campaign_get (f->conn, id, &error);

  g_assert_no_error (error);
  return c;
}

static void
assert_totals (Fixture *f, const char *campaign_id, gint64 amount, gint64 backers)
{
  g_autoptr(CsCampaign) c = campaign (f, campaign_id);

  g_assert_cmpint (c->current_amount, ==, amount);
  g_assert_cmpint (c->backer_count, ==, backers);
}

static gint64
tier_claimed (Fixture *f, const char *campaign_id)
{
  g_autoptr(CsCampaign) c = campaign (f, campaign_id);

  return ((CsRewardTier *) g_ptr_array_index (c->rewards, 0))->quantity_claimed;
}

static gboolean
try_pledge (CsStoreConn *conn, const char *backer, const char *campaign_id, gint64 amount,
            const char *tier, const char *key, gint64 now, CsPledge **out, CsReplay *replay,
            GError **error)
{
  g_autofree char *pledge_id = cs_id_new ("pl");
  g_autofree char *job_id = cs_id_new ("job");
  g_autofree char *scope = g_strconcat ("POST /api/v1/campaigns/", campaign_id, "/pledges", NULL);
  /* Stands for the SHA-256 of scope and body. */
  g_autofree char *hash = g_strdup_printf ("%s|%" G_GINT64_FORMAT "|%s", scope, amount, tier ? tier : "");
  g_autofree char *own_key = key == NULL ? g_uuid_string_random () : NULL;
  CsPledgeCreate in = {
    .pledge_id = pledge_id, .campaign_id = campaign_id, .backer_id = backer, .amount = amount,
    .reward_tier_id = tier, .payment_method_id = "pm_test_card", .job_id = job_id,
  };
  CsIdempotency idem = { backer, key != NULL ? key : own_key, scope, hash };

  return cs_store_pledge_create (conn, &in, &idem, now, out, replay, error);
}

static CsPledge *
pledge (Fixture *f, const char *backer, const char *campaign_id, gint64 amount, const char *tier)
{
  g_autoptr(GError) error = NULL;
  g_auto(CsReplay) replay = { 0 };
  CsPledge *p = NULL;

  g_assert_true (try_pledge (f->conn, backer, campaign_id, amount, tier, NULL, NOW + 60, &p, &replay, &error));
  g_assert_no_error (error);
  g_assert_false (replay.replayed);
  g_assert_nonnull (p);
  g_assert_cmpint (p->status, ==, CS_PLEDGE_PENDING);
  return p;
}

static CsPledge *
get_pledge (Fixture *f, const char *id)
{
  g_autoptr(GError) error = NULL;
  CsPledge *p = cs_store_pledge_get (f->conn, id, &error);

  g_assert_no_error (error);
  return p;
}

static void
assert_status (Fixture *f, const char *pledge_id, CsPledgeStatus status)
{
  g_autoptr(CsPledge) p = get_pledge (f, pledge_id);

  g_assert_cmpstr (cs_pledge_status_to_string (p->status), ==, cs_pledge_status_to_string (status));
}

static gboolean
apply (Fixture *f, const char *event_id, CsPaymentEventType type, const char *object_id,
       const char *reference, const char *job_id, gint64 amount, const char *failure, gint64 now)
{
  g_autoptr(GError) error = NULL;
  CsPaymentEvent event = {
    .event_id = event_id, .type = type, .object_id = object_id, .reference = reference,
    .job_id = job_id, .amount = amount, .currency = "USD", .failure_reason = failure,
  };
  CsCampaignProgress progress;
  gboolean duplicate = TRUE;

  g_assert_true (cs_store_payment_event_apply (f->conn, &event, now, &duplicate, &progress, &error));
  g_assert_no_error (error);
  return duplicate;
}

/* Plays the gateway: claims every due job and answers it as the sandbox
 * processor would, by an event, until no job is due.  Returns the number
 * of jobs of @kind handled (all kinds if -1). */
static guint
run_gateway (Fixture *f, gint64 now, int kind)
{
  guint handled = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) jobs = cs_store_payment_jobs_claim (f->conn, "test-gateway", now, 60, 50, &error);

      g_assert_no_error (error);
      if (jobs->len == 0)
        return handled;
      for (guint i = 0; i < jobs->len; i++)
        {
          CsPaymentJob *job = g_ptr_array_index (jobs, i);
          g_autofree char *evt = g_strdup_printf ("evt_%u", ++f->n_events);
          g_autofree char *charge = g_strdup_printf ("ch_%s", job->id);
          g_autofree char *payout = g_strdup_printf ("po_%s", job->id);
          gboolean declined = job->pledge_id != NULL && g_hash_table_contains (f->declined, job->pledge_id);
          gboolean capture_fails = job->pledge_id != NULL && g_hash_table_contains (f->capture_fails, job->pledge_id);
          gboolean payout_fails = g_strcmp0 (job->payment_method_id, "ba_sandbox_fail") == 0;

          if (kind < 0 || (int) job->kind == kind)
            handled++;
          switch (job->kind)
            {
            case CS_PAYMENT_JOB_AUTHORIZE:
              g_assert_true (cs_store_payment_job_done (f->conn, job->id, declined ? NULL : charge, now, &error));
              apply (f, evt, declined ? CS_PAYMENT_EVENT_AUTHORIZATION_FAILED : CS_PAYMENT_EVENT_AUTHORIZED,
                     charge, job->pledge_id, job->id, job->amount, declined ? "Declined" : NULL, now);
              break;
            case CS_PAYMENT_JOB_CAPTURE:
              g_assert_true (cs_store_payment_job_done (f->conn, job->id, job->charge_id, now, &error));
              apply (f, evt, capture_fails ? CS_PAYMENT_EVENT_CAPTURE_FAILED : CS_PAYMENT_EVENT_CAPTURED,
                     job->charge_id, job->pledge_id, job->id, job->amount,
                     capture_fails ? "Insufficient funds" : NULL, now);
              break;
            case CS_PAYMENT_JOB_CHARGE:
              {
                g_autofree char *evt2 = g_strdup_printf ("evt_%u", ++f->n_events);

                g_assert_true (cs_store_payment_job_done (f->conn, job->id, charge, now, &error));
                apply (f, evt, CS_PAYMENT_EVENT_AUTHORIZED, charge, job->pledge_id, job->id, job->amount, NULL, now);
                apply (f, evt2, CS_PAYMENT_EVENT_CAPTURED, charge, job->pledge_id, job->id, job->amount, NULL, now);
              }
              break;
            case CS_PAYMENT_JOB_VOID:
              g_assert_true (cs_store_payment_job_done (f->conn, job->id, job->charge_id, now, &error));
              apply (f, evt, CS_PAYMENT_EVENT_VOIDED, job->charge_id, job->pledge_id, job->id, job->amount,
                     NULL, now);
              break;
            case CS_PAYMENT_JOB_REFUND:
              g_assert_true (cs_store_payment_job_done (f->conn, job->id, job->charge_id, now, &error));
              apply (f, evt, CS_PAYMENT_EVENT_REFUNDED, job->charge_id, job->pledge_id, job->id, job->amount,
                     NULL, now);
              break;
            case CS_PAYMENT_JOB_PAYOUT:
            default:
              g_assert_true (cs_store_payment_job_done (f->conn, job->id, payout, now, &error));
              apply (f, evt, payout_fails ? CS_PAYMENT_EVENT_PAYOUT_FAILED : CS_PAYMENT_EVENT_PAYOUT_PAID,
                     payout, job->withdrawal_id, job->id, job->amount, payout_fails ? "Account closed" : NULL,
                     now);
              break;
            }
          g_assert_no_error (error);
        }
    }
}

static gint64
jobs_waiting (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gint64 count = -1;

  g_assert_true (cs_store_payment_jobs_count (f->conn, &count, &error));
  g_assert_no_error (error);
  return count;
}

static GPtrArray *
books (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *violations = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (cs_store_check_books (f->conn, violations, &error));
  g_assert_no_error (error);
  return violations;
}

static void
assert_books (Fixture *f)
{
  g_autoptr(GPtrArray) violations = books (f);

  for (guint i = 0; i < violations->len; i++)
    g_printerr ("violation: %s\n", (const char *) g_ptr_array_index (violations, i));
  g_assert_cmpuint (violations->len, ==, 0);
}

static gboolean
has_violation (GPtrArray *violations, const char *a, const char *b)
{
  for (guint i = 0; i < violations->len; i++)
    {
      const char *v = g_ptr_array_index (violations, i);

      if (strstr (v, a) != NULL && (b == NULL || strstr (v, b) != NULL))
        return TRUE;
    }
  return FALSE;
}

static CsBalance
balance (Fixture *f, const char *campaign_id)
{
  g_autoptr(GError) error = NULL;
  CsBalance b;

  g_assert_true (cs_store_campaign_balance (f->conn, campaign_id, &b, &error));
  g_assert_no_error (error);
  return b;
}

static CsPledge *
change (Fixture *f, const char *pledge_id, const char *backer, gint64 amount, gboolean has_tier,
        const char *tier, const char *pm, gint64 now, GError **error)
{
  g_autofree char *job_id = cs_id_new ("job");
  CsPledgeChange ch = {
    .has_amount = amount > 0, .amount = amount, .has_tier = has_tier, .reward_tier_id = tier,
    .payment_method_id = pm, .job_id = job_id,
  };
  CsCampaignProgress progress;

  return cs_store_pledge_change (f->conn, pledge_id, backer, &ch, now, &progress, error);
}

static CsPledge *
cancel (Fixture *f, const char *pledge_id, const char *backer, gint64 now, GError **error)
{
  g_autofree char *job_id = cs_id_new ("job");
  CsCampaignProgress progress;

  return cs_store_pledge_cancel (f->conn, pledge_id, backer, job_id, now, &progress, error);
}

static guint
settle (Fixture *f, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) settled = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (cs_store_settle_due (f->conn, now, 10, settled, &error));
  g_assert_no_error (error);
  return settled->len;
}

static const char *
field_error (const GError *error, const char *field)
{
  GHashTable *fields = cs_error_get_fields (error);

  return fields != NULL ? g_hash_table_lookup (fields, field) : NULL;
}

/* Reading and corrupting the database behind the store's back, on either
 * backend: @sql may name one text argument as ?1 (quoted here). */
static char *
raw_sql (const char *sql, const char *arg)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *quoted = NULL;

  if (arg == NULL)
    return g_strdup (sql);
  parts = g_strsplit (arg, "'", -1);
  escaped = g_strjoinv ("''", parts);
  quoted = g_strconcat ("'", escaped, "'", NULL);
  g_strfreev (parts);
  parts = g_strsplit (sql, "?1", -1);
  return g_strjoinv (quoted, parts);
}

/* The first column of the first row of @sql as text (it must have one). */
static char *
raw_text (Fixture *f, const char *sql, const char *arg)
{
  g_autofree char *query = raw_sql (sql, arg);
  char *value = cs_test_db_query_text (f->url, query);

  g_assert_nonnull (value);
  return value;
}

static gint64
raw_int (Fixture *f, const char *sql, const char *arg)
{
  g_autofree char *text = raw_text (f, sql, arg);
  gint64 value = 0;

  g_assert_true (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value, NULL));
  return value;
}

/* Whether the database refuses @sql as a constraint or trigger would (and
 * then changes nothing). */
static gboolean
raw_refused (Fixture *f, const char *sql)
{
  if (!cs_test_db_is_postgresql ())
    {
      sqlite3 *db = NULL;
      int rc;

      g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
      sqlite3_busy_timeout (db, 5000);
      rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
      sqlite3_close (db);
      return rc == SQLITE_CONSTRAINT;
    }
  else
    {
      /* Run inside a function that catches the error and names its
       * SQLSTATE: a trigger's RAISE (P0001) or an integrity constraint (23…). */
      g_autofree char *call = raw_sql ("SELECT coalesce (test_refused (?1), 'accepted')", sql);
      g_autofree char *state = NULL;

      cs_test_db_exec (f->url,
                       "CREATE OR REPLACE FUNCTION test_refused (q text) RETURNS text "
                       "LANGUAGE plpgsql AS $$ BEGIN EXECUTE q; RETURN NULL; "
                       "EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$");
      state = cs_test_db_query_text (f->url, call);
      g_test_message ("%s: %s", sql, state);
      return g_strcmp0 (state, "P0001") == 0 || g_str_has_prefix (state, "23");
    }
}

/* ---- Pledges ------------------------------------------------------------------------ */

static void
test_create_and_idempotency (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 100000, 30, 5, &tier);
  g_autoptr(CsPledge) first = NULL;
  g_autoptr(CsPledge) again = NULL;
  g_autoptr(CsPledge) other = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CsReplay) replay = { 0 };
  g_autofree char *first_json = NULL;

  /* the first answer */
  g_assert_true (try_pledge (f->conn, bob, cmp, 2500, tier, "key-1", NOW + 10, &first, &replay, &error));
  g_assert_no_error (error);
  g_assert_false (replay.replayed);
  g_assert_cmpint (first->amount, ==, 2500);
  g_assert_cmpstr (first->currency, ==, "USD");
  g_assert_cmpstr (first->reward_tier_id, ==, tier);
  g_assert_cmpstr (first->backer_name, ==, "bob");
  g_assert_cmpstr (first->reward_title, ==, "Limited");
  g_assert_cmpstr (first->payment_method_id, ==, "pm_test_card");
  g_assert_null (first->transaction_id);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 1);
  /* pending pledges are not counted */
  assert_totals (f, cmp, 0, 0);
  g_assert_cmpint (jobs_waiting (f), ==, 1);
  {
    CsJsonWriter *w = cs_json_writer_new ();

    cs_pledge_write_json (first, w);
    first_json = cs_json_writer_free_to_string (w);
  }

  /* the same request again: the first answer, nothing created */
  g_assert_true (try_pledge (f->conn, bob, cmp, 2500, tier, "key-1", NOW + 20, &again, &replay, &error));
  g_assert_no_error (error);
  g_assert_true (replay.replayed);
  g_assert_null (again);
  g_assert_cmpuint (replay.status, ==, 201);
  g_assert_cmpmem (g_bytes_get_data (replay.body, NULL), g_bytes_get_size (replay.body),
                   first_json, strlen (first_json));
  g_assert_cmpint (tier_claimed (f, cmp), ==, 1);
  g_assert_cmpint (jobs_waiting (f), ==, 1);
  cs_replay_clear (&replay);

  /* the key with another request */
  g_assert_false (try_pledge (f->conn, bob, cmp, 2600, tier, "key-1", NOW + 20, &again, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_cmpstr (field_error (error, "Idempotency-Key"), ==, "was used with another request");
  g_clear_error (&error);
  /* the same key of another user is another key */
  g_assert_true (try_pledge (f->conn, carol, cmp, 2500, tier, "key-1", NOW + 20, &other, &replay, &error));
  g_assert_no_error (error);
  g_assert_false (replay.replayed);
  g_assert_cmpstr (other->id, !=, first->id);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 2);

  /* one active pledge per backer: the conflict names it */
  g_assert_false (try_pledge (f->conn, bob, cmp, 1500, NULL, NULL, NOW + 30, &again, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, first->id));
  g_assert_nonnull (strstr (error->message, "PATCH"));
  g_clear_error (&error);
  /* ... and the failed attempt claimed nothing */
  g_assert_cmpint (tier_claimed (f, cmp), ==, 2);
  assert_books (f);
}

static void
test_rules (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 100000, 10, -1, &tier);
  g_autofree char *other_tier = NULL;
  g_autofree char *other = live_campaign (f, 100000, 10, -1, &other_tier);
  g_autoptr(GError) error = NULL;
  g_auto(CsReplay) replay = { 0 };
  CsPledge *p = NULL;

  /* below 1.00 */
  g_assert_false (try_pledge (f->conn, bob, cmp, 99, NULL, NULL, NOW + 1, &p, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_nonnull (field_error (error, "amount"));
  g_clear_error (&error);
  /* below the reward's minimum */
  g_assert_false (try_pledge (f->conn, bob, cmp, 999, tier, NULL, NOW + 1, &p, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_nonnull (strstr (field_error (error, "amount"), "for this reward"));
  g_clear_error (&error);
  /* a reward of another campaign, an unknown one */
  g_assert_false (try_pledge (f->conn, bob, cmp, 1000, other_tier, NULL, NOW + 1, &p, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_nonnull (field_error (error, "reward_tier_id"));
  g_clear_error (&error);
  g_assert_false (try_pledge (f->conn, bob, cmp, 1000, "tier_missing", NULL, NOW + 1, &p, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);
  /* an unknown campaign */
  g_assert_false (try_pledge (f->conn, bob, "cmp_missing", 1000, NULL, NULL, NOW + 1, &p, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* exactly the minimum is fine */
  g_assert_true (try_pledge (f->conn, bob, cmp, 1000, tier, NULL, NOW + 1, &p, &replay, &error));
  g_assert_no_error (error);
  g_clear_pointer (&p, cs_pledge_free);
  /* not after the deadline */
  g_assert_false (try_pledge (f->conn, bob, other, 1000, NULL, NULL, NOW + 10 * DAY, &p, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  /* not on a campaign that is not live */
  {
    g_autoptr(CsCampaign) c = cs_campaign_new ();
    g_autoptr(CsCampaign) stored = NULL;

    c->id = cs_id_new ("cmp");
    c->creator_id = g_strdup (f->creator);
    c->title = g_strdup ("Draft");
    c->category = g_strdup ("art");
    c->goal_amount = 1000;
    g_strlcpy (c->currency, "USD", sizeof c->currency);
    c->duration_days = 5;
    c->created_at = NOW;
    stored = cs_store_campaign_insert (f->conn, c, &error);
    g_assert_no_error (error);
    g_assert_false (try_pledge (f->conn, bob, c->id, 1000, NULL, NULL, NOW + 1, &p, &replay, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
  }
  assert_books (f);
}

/* ---- A limited tier under concurrent pledging ---------------------------------------------- */

typedef struct {
  Fixture    *f;
  const char *campaign;
  const char *tier;
  char       *backer;
  char       *pledge_id;
  guint       created;
  guint       sold_out;
  guint       replays;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *r = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStoreConn) conn = cs_store_connect (r->f->store, &error);
  g_autofree char *key = g_uuid_string_random ();

  g_assert_no_error (error);
  /* Each request twice with the same key, as a client retrying after a
   * timeout would. */
  for (int attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(CsPledge) p = NULL;
      g_auto(CsReplay) replay = { 0 };

      if (try_pledge (conn, r->backer, r->campaign, 1000, r->tier, key, NOW + 30, &p, &replay, &error))
        {
          if (replay.replayed)
            r->replays++;
          else
            {
              r->created++;
              r->pledge_id = g_strdup (p->id);
            }
          continue;
        }
      g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
      g_assert_nonnull (strstr (error->message, "sold out"));
      r->sold_out++;
      g_clear_error (&error);
    }
  return NULL;
}

static void
test_tier_concurrency (Fixture *f, gconstpointer data)
{
  enum { N_TIER = 5, N_RACERS = 12 };
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 1000000, 30, N_TIER, &tier);
  Racer racers[N_RACERS];
  GThread *threads[N_RACERS];
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  guint created = 0, sold_out = 0, replays = 0;

  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("racer%u", i);

      racers[i] = (Racer) { f, cmp, tier, add_user (f->conn, name, CS_ROLE_BACKER), NULL, 0, 0, 0 };
    }
  for (guint i = 0; i < N_RACERS; i++)
    threads[i] = g_thread_new ("racer", racer_thread, &racers[i]);
  for (guint i = 0; i < N_RACERS; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < N_RACERS; i++)
    {
      created += racers[i].created;
      sold_out += racers[i].sold_out;
      replays += racers[i].replays;
      /* a winner's retry got its first answer, a loser's retry lost again */
      g_assert_cmpuint (racers[i].created + racers[i].replays + racers[i].sold_out, ==, 2);
      g_assert_cmpuint (racers[i].created, <=, 1);
      if (racers[i].pledge_id != NULL)
        g_assert_true (g_hash_table_add (ids, racers[i].pledge_id));
    }
  g_assert_cmpuint (created, ==, N_TIER);
  g_assert_cmpuint (replays, ==, N_TIER);
  g_assert_cmpuint (sold_out, ==, 2 * (N_RACERS - N_TIER));
  g_assert_cmpint (tier_claimed (f, cmp), ==, N_TIER);

  /* every winner authorized: counted exactly */
  g_assert_cmpuint (run_gateway (f, NOW + 40, CS_PAYMENT_JOB_AUTHORIZE), ==, N_TIER);
  assert_totals (f, cmp, 1000 * N_TIER, N_TIER);
  assert_books (f);
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_free (racers[i].backer);
      g_free (racers[i].pledge_id);
    }
}

/* ---- Gateway events -------------------------------------------------------------------------- */

static void
test_events_exactly_once (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *cmp = live_campaign (f, 100000, 30, -1, NULL);
  g_autoptr(CsPledge) p = pledge (f, bob, cmp, 2000, NULL);
  g_autoptr(CsPledge) q = pledge (f, carol, cmp, 3000, NULL);
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = NULL;
  CsPaymentJob *job_p = NULL, *job_q = NULL;

  jobs = cs_store_payment_jobs_claim (f->conn, "w1", NOW + 100, 60, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 2);
  for (guint i = 0; i < jobs->len; i++)
    {
      CsPaymentJob *job = g_ptr_array_index (jobs, i);

      g_assert_cmpint (job->kind, ==, CS_PAYMENT_JOB_AUTHORIZE);
      g_assert_cmpstr (job->payment_method_id, ==, "pm_test_card");
      g_assert_cmpstr (job->currency, ==, "USD");
      g_assert_cmpint (job->attempts, ==, 1);
      if (g_strcmp0 (job->pledge_id, p->id) == 0)
        job_p = job;
      else
        job_q = job;
    }
  g_assert_nonnull (job_p);
  g_assert_nonnull (job_q);
  g_assert_cmpint (job_p->amount, ==, 2000);

  /* p: the webhook, then the worker's report */
  g_assert_false (apply (f, "evt_p1", CS_PAYMENT_EVENT_AUTHORIZED, "ch_p", p->id, job_p->id, 2000, NULL, NOW + 101));
  assert_totals (f, cmp, 2000, 1);
  /* the same event again, and the same authorization under another id */
  g_assert_true (apply (f, "evt_p1", CS_PAYMENT_EVENT_AUTHORIZED, "ch_p", p->id, job_p->id, 2000, NULL, NOW + 102));
  g_assert_false (apply (f, "evt_p2", CS_PAYMENT_EVENT_AUTHORIZED, "ch_p", p->id, job_p->id, 2000, NULL, NOW + 102));
  assert_totals (f, cmp, 2000, 1);
  g_assert_true (cs_store_payment_job_done (f->conn, job_p->id, "ch_p", NOW + 103, &error));
  g_assert_no_error (error);
  /* a report of a job already done is harmless */
  g_assert_true (cs_store_payment_job_done (f->conn, job_p->id, "ch_p", NOW + 103, &error));
  g_assert_no_error (error);
  {
    g_autoptr(CsPledge) now_p = get_pledge (f, p->id);

    g_assert_cmpint (now_p->status, ==, CS_PLEDGE_AUTHORIZED);
    g_assert_true (g_str_has_prefix (now_p->transaction_id, "txn_"));
  }

  /* q: the worker's report first, then the webhook */
  g_assert_true (cs_store_payment_job_done (f->conn, job_q->id, "ch_q", NOW + 104, &error));
  g_assert_no_error (error);
  assert_status (f, q->id, CS_PLEDGE_PENDING);
  g_assert_false (apply (f, "evt_q1", CS_PAYMENT_EVENT_AUTHORIZED, "ch_q", q->id, job_q->id, 3000, NULL, NOW + 105));
  assert_totals (f, cmp, 5000, 2);
  g_assert_cmpint (jobs_waiting (f), ==, 0);

  /* events for nobody are acknowledged and recorded */
  g_assert_false (apply (f, "evt_x", CS_PAYMENT_EVENT_AUTHORIZED, "ch_x", "pl_nowhere", "job_x", 100, NULL, NOW));
  g_assert_true (apply (f, "evt_x", CS_PAYMENT_EVENT_AUTHORIZED, "ch_x", "pl_nowhere", "job_x", 100, NULL, NOW));
  g_assert_false (apply (f, "evt_y", CS_PAYMENT_EVENT_PAYOUT_PAID, "po_x", "wd_nowhere", "job_y", 100, NULL, NOW));
  assert_books (f);
}

static void
test_declined (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 100000, 30, 1, &tier);
  g_autoptr(CsPledge) p = pledge (f, bob, cmp, 1000, tier);
  g_autoptr(CsPledge) failed = NULL;
  g_autoptr(CsPledge) retry = NULL;

  g_hash_table_add (f->declined, g_strdup (p->id));
  g_assert_cmpint (tier_claimed (f, cmp), ==, 1);
  run_gateway (f, NOW + 100, -1);
  failed = get_pledge (f, p->id);
  g_assert_cmpint (failed->status, ==, CS_PLEDGE_FAILED);
  g_assert_cmpstr (failed->failure_reason, ==, "Declined");
  /* the reward is free again and the backer may pledge again */
  g_assert_cmpint (tier_claimed (f, cmp), ==, 0);
  assert_totals (f, cmp, 0, 0);
  retry = pledge (f, bob, cmp, 1000, tier);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 1);
  assert_books (f);
}

/* ---- Change and cancel ------------------------------------------------------------------------ */

static void
test_change_and_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *eve = add_user (f->conn, "eve", CS_ROLE_BACKER);
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 100000, 30, 3, &tier);
  g_autoptr(CsPledge) p = pledge (f, bob, cmp, 2500, tier);
  g_autoptr(GError) error = NULL;
  CsPledge *r;

  run_gateway (f, NOW + 100, -1);
  assert_totals (f, cmp, 2500, 1);

  /* someone else's pledge does not exist for them */
  g_assert_null (change (f, p->id, eve, 3000, FALSE, NULL, NULL, NOW + 200, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (cancel (f, p->id, eve, NOW + 200, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* lower: still authorized, part of the hold released */
  r = change (f, p->id, bob, 2000, FALSE, NULL, NULL, NOW + 200, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->status, ==, CS_PLEDGE_AUTHORIZED);
  g_assert_cmpint (r->amount, ==, 2000);
  cs_pledge_free (r);
  assert_totals (f, cmp, 2000, 1);
  g_assert_cmpint (jobs_waiting (f), ==, 0);
  assert_books (f);

  /* below the reward's minimum */
  g_assert_null (change (f, p->id, bob, 500, FALSE, NULL, NULL, NOW + 200, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_nonnull (field_error (error, "amount"));
  g_clear_error (&error);
  /* ... fine without the reward */
  r = change (f, p->id, bob, 500, TRUE, NULL, NULL, NOW + 200, &error);
  g_assert_no_error (error);
  g_assert_null (r->reward_tier_id);
  cs_pledge_free (r);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 0);
  assert_totals (f, cmp, 500, 1);
  assert_books (f);

  /* higher, with the reward again: authorized anew */
  r = change (f, p->id, bob, 4000, TRUE, tier, NULL, NOW + 300, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->status, ==, CS_PLEDGE_PENDING);
  cs_pledge_free (r);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 1);
  assert_totals (f, cmp, 0, 0);
  /* the old hold is voided, the new one asked for */
  g_assert_cmpint (jobs_waiting (f), ==, 2);
  assert_books (f);
  g_assert_cmpuint (run_gateway (f, NOW + 301, CS_PAYMENT_JOB_AUTHORIZE), ==, 1);
  assert_status (f, p->id, CS_PLEDGE_AUTHORIZED);
  assert_totals (f, cmp, 4000, 1);
  assert_books (f);

  /* a pending change whose first authorization arrives late: it is voided */
  {
    g_autoptr(GPtrArray) jobs = NULL;
    CsPaymentJob *old;

    r = change (f, p->id, bob, 0, FALSE, NULL, "pm_other_card", NOW + 400, &error);
    g_assert_no_error (error);
    g_assert_cmpint (r->status, ==, CS_PLEDGE_PENDING);
    g_assert_cmpstr (r->payment_method_id, ==, "pm_other_card");
    cs_pledge_free (r);
    jobs = cs_store_payment_jobs_claim (f->conn, "w", NOW + 401, 60, 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (jobs->len, ==, 2);   /* the VOID and the AUTHORIZE */
    old = g_ptr_array_index (jobs, 0);
    if (old->kind != CS_PAYMENT_JOB_AUTHORIZE)
      old = g_ptr_array_index (jobs, 1);
    g_assert_cmpint (old->kind, ==, CS_PAYMENT_JOB_AUTHORIZE);
    /* the backer changes again before the gateway answered */
    r = change (f, p->id, bob, 4500, FALSE, NULL, NULL, NOW + 402, &error);
    g_assert_no_error (error);
    cs_pledge_free (r);
    /* the first authorization arrives: nobody waits for it */
    g_assert_false (apply (f, "evt_late", CS_PAYMENT_EVENT_AUTHORIZED, "ch_late", p->id,
                           old->id, 4000, NULL, NOW + 403));
    assert_status (f, p->id, CS_PLEDGE_PENDING);
    assert_totals (f, cmp, 0, 0);
    for (guint i = 0; i < jobs->len; i++)
      g_assert_true (cs_store_payment_job_done (f->conn, ((CsPaymentJob *) g_ptr_array_index (jobs, i))->id,
                                                NULL, NOW + 404, &error));
    /* the new AUTHORIZE and a VOID for ch_late */
    g_assert_cmpint (jobs_waiting (f), ==, 2);
    run_gateway (f, NOW + 405, -1);
    assert_status (f, p->id, CS_PLEDGE_AUTHORIZED);
    assert_totals (f, cmp, 4500, 1);
    assert_books (f);
  }

  /* cancel: out of the totals, the reward released, the hold voided */
  r = cancel (f, p->id, bob, NOW + 500, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->status, ==, CS_PLEDGE_CANCELLED);
  cs_pledge_free (r);
  assert_totals (f, cmp, 0, 0);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 0);
  g_assert_cmpint (jobs_waiting (f), ==, 1);
  g_assert_null (cancel (f, p->id, bob, NOW + 501, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (change (f, p->id, bob, 3000, FALSE, NULL, NULL, NOW + 501, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  run_gateway (f, NOW + 502, -1);
  assert_books (f);

  /* a pending pledge cancelled before the gateway saw it: its job is gone */
  {
    g_autoptr(CsPledge) q = pledge (f, bob, cmp, 1500, NULL);

    g_assert_cmpint (jobs_waiting (f), ==, 1);
    r = cancel (f, q->id, bob, NOW + 600, &error);
    g_assert_no_error (error);
    cs_pledge_free (r);
    g_assert_cmpint (jobs_waiting (f), ==, 0);
    assert_books (f);
  }
}

static void
test_final_day (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *cmp = live_campaign (f, 2000, 2, -1, NULL);
  g_autoptr(CsPledge) a = pledge (f, bob, cmp, 1500, NULL);
  g_autoptr(CsPledge) b = pledge (f, carol, cmp, 1000, NULL);
  g_autoptr(GError) error = NULL;
  gint64 late = NOW + 2 * DAY - 12 * 3600;
  CsPledge *r;

  run_gateway (f, NOW + 100, -1);
  assert_totals (f, cmp, 2500, 2);
  /* earlier, dropping below the goal is allowed */
  r = change (f, b->id, carol, 400, FALSE, NULL, NULL, NOW + DAY - 10, &error);
  g_assert_no_error (error);
  cs_pledge_free (r);
  r = change (f, b->id, carol, 1000, FALSE, NULL, NULL, NOW + DAY - 9, &error);
  g_assert_no_error (error);
  cs_pledge_free (r);
  run_gateway (f, NOW + DAY - 8, -1);
  assert_totals (f, cmp, 2500, 2);

  /* in the last 24 hours it keeps its goal */
  g_assert_null (cancel (f, a->id, bob, late, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (change (f, b->id, carol, 400, FALSE, NULL, NULL, late, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  /* a new authorization would leave it below the goal meanwhile */
  g_assert_null (change (f, a->id, bob, 0, FALSE, NULL, "pm_other_card", late, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  r = change (f, b->id, carol, 500, FALSE, NULL, NULL, late, &error);
  g_assert_no_error (error);
  cs_pledge_free (r);
  assert_totals (f, cmp, 2000, 2);
  assert_books (f);
}

/* ---- Settlement ----------------------------------------------------------------------------------- */

static void
test_settle_successful (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *cmp = live_campaign (f, 10000, 3, -1, NULL);
  g_autoptr(CsPledge) a = pledge (f, bob, cmp, 6050, NULL);
  g_autoptr(CsPledge) b = pledge (f, carol, cmp, 5000, NULL);
  g_autoptr(GError) error = NULL;
  gint64 end = NOW + 3 * DAY;
  CsBalance bal;

  g_hash_table_add (f->capture_fails, g_strdup (b->id));
  run_gateway (f, NOW + 100, -1);
  assert_totals (f, cmp, 11050, 2);
  g_assert_cmpuint (settle (f, end - 1), ==, 0);
  g_assert_cmpuint (settle (f, end), ==, 1);
  /* a second settlement finds nothing */
  g_assert_cmpuint (settle (f, end + 1), ==, 0);
  {
    g_autoptr(CsCampaign) c = campaign (f, cmp);

    g_assert_cmpint (c->status, ==, CS_CAMPAIGN_SUCCESSFUL);
  }
  g_assert_cmpint (jobs_waiting (f), ==, 2);
  assert_books (f);
  /* an admin changes the fees after the success: the snapshot holds */
  {
    CsFeeSettings fees = { 1000, 1000, 100 };

    g_assert_true (cs_store_fee_settings_put (f->conn, &fees, f->moderator, end + 5, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (run_gateway (f, end + 10, CS_PAYMENT_JOB_CAPTURE), ==, 2);
  assert_status (f, a->id, CS_PLEDGE_COLLECTED);
  assert_status (f, b->id, CS_PLEDGE_CAPTURE_FAILED);
  /* still counted */
  assert_totals (f, cmp, 11050, 2);

  /* 5 % of 60.50 = 3.025 → 3.03; 2.9 % of 60.50 = 1.7545 → 1.75, + 0.30 */
  bal = balance (f, cmp);
  g_assert_cmpstr (bal.currency, ==, "USD");
  g_assert_cmpint (bal.collected_amount, ==, 6050);
  g_assert_cmpint (bal.platform_fee_amount, ==, 303);
  g_assert_cmpint (bal.processing_fee_amount, ==, 205);
  g_assert_cmpint (bal.refunded_amount, ==, 0);
  g_assert_cmpint (bal.withdrawn_amount, ==, 0);
  g_assert_cmpint (bal.available_amount, ==, 6050 - 303 - 205);
  assert_books (f);

  /* the backer fixes the card: amount and reward cannot change then */
  {
    g_autoptr(CsPledge) failed = get_pledge (f, b->id);
    CsPledge *r;

    g_assert_cmpint (failed->capture_retry_until, ==, end + 10 + 7 * DAY);
    g_assert_cmpstr (failed->failure_reason, ==, "Insufficient funds");
    g_assert_null (change (f, b->id, carol, 9000, FALSE, NULL, "pm_new_card", end + 20, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
    g_assert_null (change (f, b->id, carol, 0, FALSE, NULL, NULL, end + 20, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
    g_assert_null (cancel (f, b->id, carol, end + 20, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
    g_hash_table_remove (f->capture_fails, b->id);
    r = change (f, b->id, carol, 0, FALSE, NULL, "pm_new_card", end + 20, &error);
    g_assert_no_error (error);
    g_assert_cmpint (r->status, ==, CS_PLEDGE_CAPTURE_FAILED);
    cs_pledge_free (r);
    /* one retry at a time */
    g_assert_null (change (f, b->id, carol, 0, FALSE, NULL, "pm_third_card", end + 21, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
    g_assert_cmpuint (run_gateway (f, end + 30, CS_PAYMENT_JOB_CHARGE), ==, 1);
    assert_status (f, b->id, CS_PLEDGE_COLLECTED);
  }
  /* 50.00: platform 2.50, processing 1.45 + 0.30 */
  bal = balance (f, cmp);
  g_assert_cmpint (bal.collected_amount, ==, 11050);
  g_assert_cmpint (bal.platform_fee_amount, ==, 553);
  g_assert_cmpint (bal.processing_fee_amount, ==, 380);
  g_assert_cmpint (bal.available_amount, ==, 11050 - 553 - 380);
  assert_totals (f, cmp, 11050, 2);
  assert_books (f);

  /* a capture repeated under another event id is not collected twice */
  {
    g_autoptr(CsPledge) now_a = get_pledge (f, a->id);
    g_autofree char *charge = NULL;

    charge = g_strdup_printf ("%" G_GINT64_FORMAT, raw_int (f, "SELECT count(*) FROM money_transactions "
                                                               "WHERE pledge_id = ?1 AND kind = 'capture'", a->id));
    g_assert_cmpstr (charge, ==, "1");
    g_free (charge);
    charge = raw_text (f, "SELECT charge_id FROM pledges WHERE id = ?1", a->id);
    g_assert_false (apply (f, "evt_capture_again", CS_PAYMENT_EVENT_CAPTURED, charge, a->id, NULL, 6050, NULL,
                           end + 40));
    bal = balance (f, cmp);
    g_assert_cmpint (bal.collected_amount, ==, 11050);
    g_assert_cmpint (jobs_waiting (f), ==, 0);
  }

  /* a refund: from the creator's balance, the pledge stays counted */
  {
    g_autofree char *charge = raw_text (f, "SELECT charge_id FROM pledges WHERE id = ?1", b->id);

    /* a refund the processor refused changes nothing */
    g_assert_false (apply (f, "evt_refund_refused", CS_PAYMENT_EVENT_REFUNDED, charge, b->id, NULL, 5000,
                           "charge_not_captured", end + 49));
    assert_status (f, b->id, CS_PLEDGE_COLLECTED);
    g_assert_false (apply (f, "evt_refund", CS_PAYMENT_EVENT_REFUNDED, charge, b->id, NULL, 5000, NULL, end + 50));
    assert_status (f, b->id, CS_PLEDGE_REFUNDED);
    bal = balance (f, cmp);
    g_assert_cmpint (bal.refunded_amount, ==, 5000);
    g_assert_cmpint (bal.available_amount, ==, 11050 - 553 - 380 - 5000);
    assert_totals (f, cmp, 11050, 2);
    assert_books (f);
  }
}

static void
test_settle_failed (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 500000, 2, 10, &tier);
  g_autoptr(CsPledge) a = pledge (f, bob, cmp, 3000, tier);
  g_autoptr(CsPledge) late = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = NULL;
  gint64 end = NOW + 2 * DAY;
  CsBalance bal;

  run_gateway (f, NOW + 100, -1);
  /* a pledge whose authorization is still on its way at the deadline */
  late = pledge (f, carol, cmp, 2000, tier);
  jobs = cs_store_payment_jobs_claim (f->conn, "slow", end - 10, 3600, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 1);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 2);

  g_assert_cmpuint (settle (f, end), ==, 1);
  {
    g_autoptr(CsCampaign) c = campaign (f, cmp);

    g_assert_cmpint (c->status, ==, CS_CAMPAIGN_FAILED);
  }
  /* voided, still part of the campaign's history */
  assert_status (f, a->id, CS_PLEDGE_VOIDED);
  assert_totals (f, cmp, 3000, 1);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 1);
  g_assert_cmpuint (run_gateway (f, end + 1, CS_PAYMENT_JOB_VOID), ==, 1);
  assert_books (f);

  /* the late authorization is released at once, never counted */
  g_assert_false (apply (f, "evt_late", CS_PAYMENT_EVENT_AUTHORIZED, "ch_late", late->id,
                         ((CsPaymentJob *) g_ptr_array_index (jobs, 0))->id, 2000, NULL, end + 2));
  assert_status (f, late->id, CS_PLEDGE_VOIDED);
  assert_totals (f, cmp, 3000, 1);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 0);
  g_assert_cmpuint (run_gateway (f, end + 3, CS_PAYMENT_JOB_VOID), ==, 1);

  bal = balance (f, cmp);
  g_assert_cmpint (bal.collected_amount, ==, 0);
  g_assert_cmpint (bal.available_amount, ==, 0);
  /* the settlement is audited */
  {
    g_autofree char *next = NULL;
    g_autoptr(GPtrArray) audit = cs_store_audit_list (f->conn, NULL, 10, &next, &error);
    gboolean found = FALSE;

    g_assert_no_error (error);
    for (guint i = 0; i < audit->len; i++)
      {
        CsAuditEntry *e = g_ptr_array_index (audit, i);

        if (g_strcmp0 (e->action, "campaign.fail") == 0 && g_strcmp0 (e->subject_id, cmp) == 0)
          {
            found = TRUE;
            g_assert_null (e->actor_id);
          }
      }
    g_assert_true (found);
  }
  assert_books (f);
}

static void
test_capture_failed_expiry (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 2000, 2, -1, &tier);
  g_autoptr(CsPledge) a = pledge (f, bob, cmp, 1500, NULL);
  g_autoptr(CsPledge) b = pledge (f, carol, cmp, 1000, tier);
  g_autoptr(GPtrArray) progress = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gint64 end = NOW + 2 * DAY, failed_at = end + 5;

  g_hash_table_add (f->capture_fails, g_strdup (b->id));
  run_gateway (f, NOW + 100, -1);
  g_assert_cmpuint (settle (f, end), ==, 1);
  run_gateway (f, failed_at, -1);
  assert_status (f, b->id, CS_PLEDGE_CAPTURE_FAILED);
  assert_totals (f, cmp, 2500, 2);
  assert_books (f);

  g_assert_true (cs_store_expire_capture_failed (f->conn, failed_at + 7 * DAY - 1, progress, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (progress->len, ==, 0);
  g_assert_true (cs_store_expire_capture_failed (f->conn, failed_at + 7 * DAY, progress, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (progress->len, ==, 1);
  g_assert_cmpstr (((CsCampaignProgress *) g_ptr_array_index (progress, 0))->campaign_id, ==, cmp);
  g_assert_cmpint (((CsCampaignProgress *) g_ptr_array_index (progress, 0))->current_amount, ==, 1500);
  assert_status (f, b->id, CS_PLEDGE_FAILED);
  assert_totals (f, cmp, 1500, 1);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 0);
  /* too late to fix */
  g_assert_null (change (f, b->id, carol, 0, FALSE, NULL, "pm_new_card", failed_at + 7 * DAY + 1, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  assert_books (f);
}

static void
test_cancel_and_suspend_void (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autoptr(GError) error = NULL;
  const CsCampaignEvent events[] = { CS_CAMPAIGN_EVENT_CANCEL, CS_CAMPAIGN_EVENT_SUSPEND };

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autofree char *tier = NULL;
      g_autofree char *cmp = live_campaign (f, 200000, 10, 5, &tier);
      g_autoptr(CsPledge) p = pledge (f, bob, cmp, 2000, tier);
      g_autoptr(CsCampaign) c = NULL;
      const char *actor = events[i] == CS_CAMPAIGN_EVENT_CANCEL ? f->creator : f->moderator;

      run_gateway (f, NOW + 100, -1);
      assert_totals (f, cmp, 2000, 1);
      c = cs_store_campaign_transition (f->conn, cmp, events[i], actor, "Because", NOW + 200, &error);
      g_assert_no_error (error);
      assert_status (f, p->id, CS_PLEDGE_VOIDED);
      /* a cancelled campaign keeps its history in its totals; a suspended
       * one may be reinstated, so it counts only money that is held */
      if (events[i] == CS_CAMPAIGN_EVENT_CANCEL)
        assert_totals (f, cmp, 2000, 1);
      else
        assert_totals (f, cmp, 0, 0);
      g_assert_cmpint (tier_claimed (f, cmp), ==, 0);
      g_assert_cmpuint (run_gateway (f, NOW + 201, CS_PAYMENT_JOB_VOID), ==, 1);
      assert_books (f);
    }
}

/* ---- Identity and withdrawals ----------------------------------------------------------------- */

static void
test_submit_needs_identity (Fixture *f, gconstpointer data)
{
  g_autofree char *maker = add_user (f->conn, "maker", CS_ROLE_BACKER);
  g_autoptr(CsCampaign) c = cs_campaign_new ();
  g_autoptr(CsCampaign) stored = NULL;
  g_autoptr(CsCampaign) submitted = NULL;
  g_autoptr(GError) error = NULL;

  c->id = cs_id_new ("cmp");
  c->creator_id = g_strdup (maker);
  c->title = g_strdup ("Unverified");
  c->category = g_strdup ("art");
  c->goal_amount = 1000;
  g_strlcpy (c->currency, "USD", sizeof c->currency);
  c->duration_days = 5;
  c->created_at = NOW;
  stored = cs_store_campaign_insert (f->conn, c, &error);
  g_assert_no_error (error);
  g_assert_null (cs_store_campaign_transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUBMIT, maker, NULL, NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "/api/v1/me/kyc"));
  g_clear_error (&error);
  verify (f->conn, maker);
  submitted = cs_store_campaign_transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUBMIT, maker, NULL, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpint (submitted->status, ==, CS_CAMPAIGN_PENDING_REVIEW);
}

static gboolean
try_withdraw (Fixture *f, const char *creator, const char *campaign_id, gint64 amount, const char *method,
              const char *key, CsWithdrawal **out, CsReplay *replay, GError **error)
{
  g_autofree char *wd = cs_id_new ("wd");
  g_autofree char *job = cs_id_new ("job");
  g_autofree char *scope = g_strconcat ("POST /api/v1/campaigns/", campaign_id, "/withdrawals", NULL);
  g_autofree char *hash = g_strdup_printf ("%s|%" G_GINT64_FORMAT "|%s", scope, amount, method ? method : "");
  g_autofree char *own_key = key == NULL ? g_uuid_string_random () : NULL;
  CsWithdrawalCreate in = { wd, campaign_id, creator, amount, method, job };
  CsIdempotency idem = { creator, key != NULL ? key : own_key, scope, hash };

  return cs_store_withdrawal_create (f->conn, &in, &idem, NOW + 10 * DAY, out, replay, error);
}

static void
test_withdrawals (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *cmp = live_campaign (f, 10000, 3, -1, NULL);
  g_autoptr(CsPledge) a = pledge (f, bob, cmp, 20000, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(CsReplay) replay = { 0 };
  CsWithdrawal *w = NULL;
  g_autofree char *failing_id = NULL;
  g_autofree char *paid_id = NULL;
  gint64 available;
  CsBalance bal;

  run_gateway (f, NOW + 100, -1);
  /* not before success */
  g_assert_false (try_withdraw (f, f->creator, cmp, 100, NULL, NULL, &w, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpuint (settle (f, NOW + 3 * DAY), ==, 1);
  run_gateway (f, NOW + 3 * DAY + 1, -1);
  bal = balance (f, cmp);
  /* 200.00: platform 10.00, processing 5.80 + 0.30 */
  available = 20000 - 1000 - 610;
  g_assert_cmpint (bal.available_amount, ==, available);

  /* only the creator's campaign, only up to what is available */
  g_assert_false (try_withdraw (f, bob, cmp, 100, NULL, NULL, &w, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (try_withdraw (f, f->creator, cmp, available + 1, NULL, NULL, &w, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "$183.90"));
  g_clear_error (&error);
  g_assert_false (try_withdraw (f, f->creator, "cmp_missing", 100, NULL, NULL, &w, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* an identity revoked by a moderator: no withdrawal */
  {
    g_autoptr(CsKycCheck) latest = cs_store_kyc_latest (f->conn, f->creator, &error);
    g_autoptr(CsKycCheck) revoked = NULL;
    g_autoptr(CsKycCheck) restored = NULL;

    g_assert_no_error (error);
    revoked = cs_store_kyc_decide (f->conn, latest->id, CS_KYC_REJECTED, "Forged document", f->moderator,
                                   NOW + 5 * DAY, &error);
    g_assert_no_error (error);
    g_assert_false (try_withdraw (f, f->creator, cmp, 100, NULL, NULL, &w, &replay, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_FORBIDDEN);
    g_clear_error (&error);
    restored = cs_store_kyc_decide (f->conn, latest->id, CS_KYC_VERIFIED, "Checked again", f->moderator,
                                    NOW + 5 * DAY, &error);
    g_assert_no_error (error);
  }

  /* a payout that fails gives the money back */
  g_assert_true (try_withdraw (f, f->creator, cmp, 1000, "ba_sandbox_fail", NULL, &w, &replay, &error));
  g_assert_no_error (error);
  g_assert_cmpint (w->status, ==, CS_WITHDRAWAL_PENDING);
  g_assert_true (g_str_has_prefix (w->transaction_id, "txn_"));
  failing_id = g_strdup (w->id);
  g_clear_pointer (&w, cs_withdrawal_free);
  bal = balance (f, cmp);
  g_assert_cmpint (bal.withdrawn_amount, ==, 1000);
  g_assert_cmpint (bal.available_amount, ==, available - 1000);
  assert_books (f);
  g_assert_cmpuint (run_gateway (f, NOW + 10 * DAY, CS_PAYMENT_JOB_PAYOUT), ==, 1);
  bal = balance (f, cmp);
  g_assert_cmpint (bal.withdrawn_amount, ==, 0);
  g_assert_cmpint (bal.available_amount, ==, available);
  assert_books (f);

  /* all of it, twice with the same key: one withdrawal */
  g_assert_true (try_withdraw (f, f->creator, cmp, available, NULL, "w-all", &w, &replay, &error));
  g_assert_no_error (error);
  paid_id = g_strdup (w->id);
  g_clear_pointer (&w, cs_withdrawal_free);
  g_assert_true (try_withdraw (f, f->creator, cmp, available, NULL, "w-all", &w, &replay, &error));
  g_assert_no_error (error);
  g_assert_true (replay.replayed);
  g_assert_null (w);
  g_assert_nonnull (strstr (g_bytes_get_data (replay.body, NULL), paid_id));
  cs_replay_clear (&replay);
  g_assert_false (try_withdraw (f, f->creator, cmp, 1, NULL, NULL, &w, &replay, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  {
    g_autoptr(GPtrArray) jobs = cs_store_payment_jobs_claim (f->conn, "w", NOW + 10 * DAY, 1, 10, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (jobs->len, ==, 1);
    g_assert_cmpint (((CsPaymentJob *) g_ptr_array_index (jobs, 0))->kind, ==, CS_PAYMENT_JOB_PAYOUT);
    g_assert_cmpstr (((CsPaymentJob *) g_ptr_array_index (jobs, 0))->payment_method_id, ==, "ba_sandbox_default");
    g_assert_cmpstr (((CsPaymentJob *) g_ptr_array_index (jobs, 0))->withdrawal_id, ==, paid_id);
  }
  /* the lease ends: the gateway gets it again */
  g_assert_cmpuint (run_gateway (f, NOW + 10 * DAY + 2, CS_PAYMENT_JOB_PAYOUT), ==, 1);
  bal = balance (f, cmp);
  g_assert_cmpint (bal.withdrawn_amount, ==, available);
  g_assert_cmpint (bal.available_amount, ==, 0);
  assert_books (f);

  /* the creator's list, newest first, a page at a time */
  {
    g_autofree char *next = NULL;
    g_autofree char *next2 = NULL;
    g_autoptr(GPtrArray) page = cs_store_withdrawal_list (f->conn, f->creator, NULL, 1, &next, &error);
    g_autoptr(GPtrArray) page2 = NULL;

    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 1);
    g_assert_cmpstr (((CsWithdrawal *) g_ptr_array_index (page, 0))->id, ==, paid_id);
    g_assert_cmpint (((CsWithdrawal *) g_ptr_array_index (page, 0))->status, ==, CS_WITHDRAWAL_PAID);
    g_assert_nonnull (next);
    page2 = cs_store_withdrawal_list (f->conn, f->creator, next, 1, &next2, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (page2->len, ==, 1);
    g_assert_cmpstr (((CsWithdrawal *) g_ptr_array_index (page2, 0))->id, ==, failing_id);
    g_assert_cmpint (((CsWithdrawal *) g_ptr_array_index (page2, 0))->status, ==, CS_WITHDRAWAL_FAILED);
    g_assert_cmpstr (((CsWithdrawal *) g_ptr_array_index (page2, 0))->failure_reason, ==, "Account closed");
  }
}

/* ---- Jobs, lists, settings, housekeeping --------------------------------------------------------- */

static void
test_job_claims (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *cmp = live_campaign (f, 100000, 10, -1, NULL);
  g_autoptr(CsPledge) p = pledge (f, bob, cmp, 1000, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = cs_store_payment_jobs_claim (f->conn, "w1", NOW + 100, 30, 10, &error);
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) third = NULL;
  g_autoptr(GPtrArray) fourth = NULL;
  const char *job_id;

  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 1);
  job_id = ((CsPaymentJob *) g_ptr_array_index (first, 0))->id;
  /* claimed: nobody else gets it while the claim lasts */
  second = cs_store_payment_jobs_claim (f->conn, "w2", NOW + 129, 30, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (second->len, ==, 0);
  /* w1 died: after the lease, another worker gets it */
  third = cs_store_payment_jobs_claim (f->conn, "w2", NOW + 130, 30, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (third->len, ==, 1);
  g_assert_cmpint (((CsPaymentJob *) g_ptr_array_index (third, 0))->attempts, ==, 2);
  /* the gateway could not be reached: later */
  g_assert_true (cs_store_payment_job_retry (f->conn, job_id, NOW + 500, "connection refused", &error));
  g_assert_no_error (error);
  fourth = cs_store_payment_jobs_claim (f->conn, "w2", NOW + 499, 30, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fourth->len, ==, 0);
  g_clear_pointer (&fourth, g_ptr_array_unref);
  fourth = cs_store_payment_jobs_claim (f->conn, "w2", NOW + 500, 30, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fourth->len, ==, 1);
  g_assert_cmpint (jobs_waiting (f), ==, 1);
  g_assert_true (cs_store_payment_job_done (f->conn, job_id, "ch_1", NOW + 501, &error));
  g_assert_no_error (error);
  g_assert_cmpint (jobs_waiting (f), ==, 0);
  g_assert_false (cs_store_payment_job_retry (f->conn, job_id, NOW + 600, "x", &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
}

static void
test_lists (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *c1 = live_campaign (f, 100000, 10, -1, NULL);
  g_autofree char *c2 = live_campaign (f, 100000, 10, -1, NULL);
  g_autoptr(CsPledge) p1 = pledge (f, bob, c1, 1000, NULL);
  g_autoptr(CsPledge) p2 = pledge (f, bob, c2, 2000, NULL);
  g_autoptr(CsPledge) p3 = pledge (f, carol, c1, 3000, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  g_autofree char *next2 = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) page2 = NULL;
  g_autoptr(GPtrArray) backers = NULL;
  CsPledge *r;

  /* bob's, newest first (same second: insertion order breaks the tie) */
  page = cs_store_pledge_list_for_backer (f->conn, bob, NULL, 1, &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (((CsPledge *) g_ptr_array_index (page, 0))->id, ==, p2->id);
  g_assert_cmpstr (((CsPledge *) g_ptr_array_index (page, 0))->campaign_title, ==, "A money test");
  g_assert_nonnull (next);
  page2 = cs_store_pledge_list_for_backer (f->conn, bob, next, 1, &next2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page2->len, ==, 1);
  g_assert_cmpstr (((CsPledge *) g_ptr_array_index (page2, 0))->id, ==, p1->id);
  g_assert_null (next2);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = cs_store_pledge_list_for_backer (f->conn, bob, "not-a-cursor", 1, &next2, &error);
  g_assert_null (page);
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);

  /* the backer list leaves out cancelled pledges */
  r = cancel (f, p3->id, carol, NOW + 100, &error);
  g_assert_no_error (error);
  cs_pledge_free (r);
  backers = cs_store_pledge_list_for_campaign (f->conn, c1, NULL, 10, &next2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (backers->len, ==, 1);
  g_assert_cmpstr (((CsPledge *) g_ptr_array_index (backers, 0))->backer_name, ==, "bob");
  /* the backer's own list keeps them */
  g_clear_pointer (&page, g_ptr_array_unref);
  page = cs_store_pledge_list_for_backer (f->conn, carol, NULL, 10, &next2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpint (((CsPledge *) g_ptr_array_index (page, 0))->status, ==, CS_PLEDGE_CANCELLED);
  /* unknown */
  g_assert_null (cs_store_pledge_get (f->conn, "pl_missing", &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
}

static void
test_settings (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  CsFeeSettings fees, bad = { -1, 290, 30 }, mine = { 400, 250, 25 };
  gint64 value = 0;

  g_assert_true (cs_store_fee_settings_get (f->conn, &fees, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fees.platform_bps, ==, 500);
  g_assert_cmpint (fees.processing_bps, ==, 290);
  g_assert_cmpint (fees.processing_fixed, ==, 30);
  g_assert_false (cs_store_fee_settings_put (f->conn, &bad, f->moderator, NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_nonnull (field_error (error, "platform_fee_bps"));
  g_clear_error (&error);
  g_assert_true (cs_store_fee_settings_put (f->conn, &mine, f->moderator, NOW, &error));
  g_assert_no_error (error);
  g_assert_true (cs_store_fee_settings_get (f->conn, &fees, &error));
  g_assert_cmpint (fees.platform_bps, ==, 400);
  g_assert_cmpint (fees.processing_bps, ==, 250);
  g_assert_cmpint (fees.processing_fixed, ==, 25);
  g_assert_cmpint (raw_int (f, "SELECT count(*) FROM audit_log WHERE action = 'fees.update' AND actor_id = ?1",
                            f->moderator), ==, 1);

  g_assert_true (cs_store_setting_get_int (f->conn, "sandbox.clock_offset", 7, &value, &error));
  g_assert_cmpint (value, ==, 7);
  g_assert_true (cs_store_setting_set_int (f->conn, "sandbox.clock_offset", 3600, &error));
  g_assert_true (cs_store_setting_get_int (f->conn, "sandbox.clock_offset", 7, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, 3600);
}

static void
test_idempotency_purge (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *cmp = live_campaign (f, 100000, 10, -1, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(CsReplay) replay = { 0 };
  CsPledge *p = NULL;

  g_assert_true (try_pledge (f->conn, bob, cmp, 1000, NULL, "old-key", NOW + 60, &p, &replay, &error));
  g_assert_no_error (error);
  cs_pledge_free (p);
  /* kept 48 hours */
  g_assert_true (cs_store_purge_expired (f->conn, NOW + 60 + 2 * DAY - 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f, "SELECT count(*) FROM idempotency_keys WHERE key = ?1", "old-key"), ==, 1);
  g_assert_true (cs_store_purge_expired (f->conn, NOW + 61 + 2 * DAY, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (f, "SELECT count(*) FROM idempotency_keys WHERE key = ?1", "old-key"), ==, 0);
}

/* ---- Races between instances ---------------------------------------------------------------------- */

/* Threads (each with its own connection, as another server instance would
 * have) released at once. */
typedef struct {
  GMutex mutex;
  GCond  cond;
  guint  waiting;
  guint  total;
} Gate;

static void
gate_pass (Gate *g)
{
  g_mutex_lock (&g->mutex);
  if (++g->waiting == g->total)
    g_cond_broadcast (&g->cond);
  while (g->waiting < g->total)
    g_cond_wait (&g->cond, &g->mutex);
  g_mutex_unlock (&g->mutex);
}

typedef struct {
  Fixture    *f;
  Gate       *gate;
  const char *campaign;
  const char *tier;
  const char *backer;
  const char *key;
  gint64      amount;
  /* results */
  gboolean    ok;
  gboolean    replayed;
  GError     *error;
  char       *json;       /* the answer: created or replayed */
  guint       settled;
} Contender;

static gpointer
same_pledge_thread (gpointer data)
{
  Contender *t = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStoreConn) conn = cs_store_connect (t->f->store, &error);
  g_autoptr(CsPledge) p = NULL;
  g_auto(CsReplay) replay = { 0 };

  g_assert_no_error (error);
  gate_pass (t->gate);
  t->ok = try_pledge (conn, t->backer, t->campaign, t->amount, t->tier, t->key, NOW + 30, &p, &replay, &t->error);
  if (t->ok && replay.replayed)
    {
      t->replayed = TRUE;
      t->json = g_strndup (g_bytes_get_data (replay.body, NULL), g_bytes_get_size (replay.body));
    }
  else if (t->ok)
    {
      CsJsonWriter *w = cs_json_writer_new ();

      cs_pledge_write_json (p, w);
      t->json = cs_json_writer_free_to_string (w);
    }
  return NULL;
}

static gpointer
settle_thread (gpointer data)
{
  Contender *t = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStoreConn) conn = cs_store_connect (t->f->store, &error);
  g_autoptr(GPtrArray) settled = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  gate_pass (t->gate);
  t->ok = cs_store_settle_due (conn, NOW + 3 * DAY, 10, settled, &t->error);
  t->settled = settled->len;
  return NULL;
}

static gpointer
withdraw_thread (gpointer data)
{
  Contender *t = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStoreConn) conn = cs_store_connect (t->f->store, &error);
  g_autofree char *wd = cs_id_new ("wd");
  g_autofree char *job = cs_id_new ("job");
  g_autofree char *key = g_uuid_string_random ();
  g_autofree char *scope = g_strconcat ("POST /api/v1/campaigns/", t->campaign, "/withdrawals", NULL);
  CsWithdrawalCreate in = { wd, t->campaign, t->backer, t->amount, NULL, job };
  CsIdempotency idem = { t->backer, key, scope, "hash" };
  g_autoptr(CsWithdrawal) w = NULL;
  g_auto(CsReplay) replay = { 0 };

  g_assert_no_error (error);
  gate_pass (t->gate);
  t->ok = cs_store_withdrawal_create (conn, &in, &idem, NOW + 4 * DAY, &w, &replay, &t->error);
  return NULL;
}

static void
race (Contender *contenders, guint n, GThreadFunc func)
{
  Gate gate = { .total = n };
  GThread *threads[16];

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (threads));
  g_mutex_init (&gate.mutex);
  g_cond_init (&gate.cond);
  for (guint i = 0; i < n; i++)
    {
      contenders[i].gate = &gate;
      threads[i] = g_thread_new ("contender", func, &contenders[i]);
    }
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);
  g_mutex_clear (&gate.mutex);
  g_cond_clear (&gate.cond);
}

static void
contenders_clear (Contender *contenders, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_clear_error (&contenders[i].error);
      g_clear_pointer (&contenders[i].json, g_free);
    }
}

/* What two instances may do at the same moment: one request sent to both
 * (a client retrying on another connection), the settlement job run by
 * both, a creator's withdrawals racing for one balance. */
static void
test_races (Fixture *f, gconstpointer data)
{
  enum { N = 6 };
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 5000, 3, 3, &tier);
  g_autoptr(CsPledge) q = NULL;
  Contender c[N];
  guint created = 0, replayed = 0, settled = 0, withdrawn = 0;
  const char *first_json = NULL;
  CsBalance bal;

  /* one pledge request, six times at once: one pledge, five replays of it */
  for (guint i = 0; i < N; i++)
    c[i] = (Contender) { .f = f, .campaign = cmp, .tier = tier, .backer = bob, .key = "same-key", .amount = 4000 };
  race (c, N, same_pledge_thread);
  for (guint i = 0; i < N; i++)
    {
      g_assert_no_error (c[i].error);
      g_assert_true (c[i].ok);
      if (c[i].replayed)
        replayed++;
      else
        created++;
      if (first_json == NULL)
        first_json = c[i].json;
      g_assert_cmpstr (c[i].json, ==, first_json);
    }
  g_assert_cmpuint (created, ==, 1);
  g_assert_cmpuint (replayed, ==, N - 1);
  g_assert_cmpint (tier_claimed (f, cmp), ==, 1);
  g_assert_cmpint (jobs_waiting (f), ==, 1);
  contenders_clear (c, N);
  q = pledge (f, carol, cmp, 3000, NULL);
  run_gateway (f, NOW + 100, -1);
  assert_totals (f, cmp, 7000, 2);

  /* the settlement job on two instances: settled once, captured once */
  for (guint i = 0; i < 2; i++)
    c[i] = (Contender) { .f = f };
  race (c, 2, settle_thread);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_no_error (c[i].error);
      g_assert_true (c[i].ok);
      settled += c[i].settled;
    }
  g_assert_cmpuint (settled, ==, 1);
  g_assert_cmpint (jobs_waiting (f), ==, 2);
  g_assert_cmpuint (run_gateway (f, NOW + 3 * DAY + 1, CS_PAYMENT_JOB_CAPTURE), ==, 2);
  assert_books (f);

  /* all that is available, asked four times at once: paid out once */
  bal = balance (f, cmp);
  g_assert_cmpint (bal.available_amount, >, 0);
  for (guint i = 0; i < 4; i++)
    c[i] = (Contender) { .f = f, .campaign = cmp, .backer = f->creator, .amount = bal.available_amount };
  race (c, 4, withdraw_thread);
  for (guint i = 0; i < 4; i++)
    {
      if (c[i].ok)
        {
          g_assert_no_error (c[i].error);
          withdrawn++;
          continue;
        }
      g_assert_error (c[i].error, CS_ERROR, CS_ERROR_CONFLICT);
      g_assert_nonnull (strstr (c[i].error->message, "at most $0.00"));
    }
  g_assert_cmpuint (withdrawn, ==, 1);
  contenders_clear (c, 4);
  bal = balance (f, cmp);
  g_assert_cmpint (bal.available_amount, ==, 0);
  assert_books (f);
}

/* ---- The books ---------------------------------------------------------------------------------- */

static void
test_books_detect_corruption (Fixture *f, gconstpointer data)
{
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *tier = NULL;
  g_autofree char *cmp = live_campaign (f, 1000, 2, 5, &tier);
  g_autoptr(CsPledge) a = pledge (f, bob, cmp, 1500, tier);
  g_autoptr(CsPledge) b = pledge (f, carol, cmp, 2000, NULL);
  g_autoptr(GPtrArray) violations = NULL;

  run_gateway (f, NOW + 100, -1);
  g_assert_cmpuint (settle (f, NOW + 2 * DAY), ==, 1);
  run_gateway (f, NOW + 2 * DAY + 1, -1);
  assert_status (f, a->id, CS_PLEDGE_COLLECTED);
  assert_books (f);

  /* the ledger is append-only */
  g_assert_true (raw_refused (f, "UPDATE ledger_entries SET amount = amount + 1"));
  g_assert_true (raw_refused (f, "DELETE FROM money_transactions"));
  /* a capture twice is refused by the schema too */
  g_assert_true (raw_refused (f, "INSERT INTO money_transactions (id, kind, campaign_id, pledge_id, amount, "
                                 "currency, created_at) SELECT 'txn_dup', kind, campaign_id, pledge_id, amount, "
                                 "currency, created_at FROM money_transactions WHERE kind = 'capture' LIMIT 1"));
  /* ...and nothing of those happened */
  assert_books (f);

  /* corrupt it anyway, behind the schema's back (on PostgreSQL, past the
   * check of balanced entries at commit too) */
  {
    const char *unguard = cs_test_db_is_postgresql ()
      ? "DROP TRIGGER ledger_entries_no_update ON ledger_entries;"
        "DROP TRIGGER ledger_entries_balanced ON ledger_entries;"
      : "DROP TRIGGER ledger_entries_no_update;";
    g_autofree char *sql = g_strdup_printf (
      "UPDATE campaigns SET current_amount = current_amount + 500 WHERE id = '%s';"
      "UPDATE reward_tiers SET quantity_claimed = quantity_claimed + 1 WHERE id = '%s';"
      "%s"
      "UPDATE ledger_entries SET amount = amount + 7 WHERE (transaction_id, account) = "
      "  (SELECT transaction_id, account FROM ledger_entries WHERE account = 'card_holds' LIMIT 1);"
      "DROP INDEX money_transactions_one_capture_key;"
      "INSERT INTO money_transactions (id, kind, campaign_id, pledge_id, amount, currency, created_at) "
      "  SELECT 'txn_dup', kind, campaign_id, pledge_id, amount, currency, created_at "
      "  FROM money_transactions WHERE kind = 'capture' AND pledge_id = '%s';",
      cmp, tier, unguard, a->id);

    cs_test_db_exec (f->url, sql);
  }

  violations = books (f);
  for (guint i = 0; i < violations->len; i++)
    g_test_message ("violation: %s", (const char *) g_ptr_array_index (violations, i));
  g_assert_true (has_violation (violations, cmp, "current_amount 4000 but its counted pledges sum to 3500"));
  g_assert_true (has_violation (violations, tier, "quantity_claimed 2 but 1 active pledges"));
  g_assert_true (has_violation (violations, "txn_dup", "has no entries"));
  g_assert_true (has_violation (violations, a->id, "captured 2 times"));
  g_assert_true (has_violation (violations, "entries sum to 7", NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The migrations live in the server's resources. */
  g_assert_nonnull (cs_server_get_resource ());

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/store/money/pledge/create-and-idempotency", test_create_and_idempotency);
  ADD ("/store/money/pledge/rules", test_rules);
  ADD ("/store/money/pledge/tier-concurrency", test_tier_concurrency);
  ADD ("/store/money/events/exactly-once", test_events_exactly_once);
  ADD ("/store/money/events/declined", test_declined);
  ADD ("/store/money/pledge/change-and-cancel", test_change_and_cancel);
  ADD ("/store/money/pledge/final-day", test_final_day);
  ADD ("/store/money/settle/successful", test_settle_successful);
  ADD ("/store/money/settle/failed", test_settle_failed);
  ADD ("/store/money/settle/capture-failed-expiry", test_capture_failed_expiry);
  ADD ("/store/money/campaign/cancel-and-suspend", test_cancel_and_suspend_void);
  ADD ("/store/money/identity/submit", test_submit_needs_identity);
  ADD ("/store/money/withdrawals", test_withdrawals);
  ADD ("/store/money/jobs/claims", test_job_claims);
  ADD ("/store/money/lists", test_lists);
  ADD ("/store/money/settings", test_settings);
  ADD ("/store/money/idempotency-purge", test_idempotency_purge);
  ADD ("/store/money/races", test_races);
  ADD ("/store/money/books/corruption", test_books_detect_corruption);
#undef ADD
  return g_test_run ();
}
