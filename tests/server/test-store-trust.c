/* test-store-trust.c: the store's trust operations on a real database
 * (SQLite, or PostgreSQL in the -pg run):
 * identity checks (submit, provider and moderator decisions, the queue),
 * the sandbox processor's records (cards, charges, idempotent operations),
 * the webhook outbox (claims, leases, delivery, retries) and incoming
 * webhook deduplication. */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "crowdspark-core.h"
#include "cs-store.h"
#include "cs-server-resources.h"
#include "cs-test-db.h"

#define NOW G_GINT64_CONSTANT (1700000000)
#define MINUTE 60
#define DAY 86400

typedef struct {
  char        *dir;
  char        *path;
  char        *url;
  CsStore     *store;
  CsStoreConn *conn;
} Fixture;

/* Helpers */

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cs-store-trust-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "store.db", NULL);
  f->url = cs_test_db_url (f->dir, "store.db");
  f->store = cs_store_open (f->url, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
  f->conn = cs_store_connect (f->store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->conn);
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
}

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

static CsKycStatus
user_kyc (CsStoreConn *conn, const char *user_id)
{
  g_autoptr(GError) error = NULL;
  CsKycStatus status = CS_KYC_REJECTED + 1;

  g_assert_true (cs_store_user_kyc_status (conn, user_id, &status, &error));
  g_assert_no_error (error);
  return status;
}

/* Submits a check for @user_id at @now: returns the stored check, or NULL
 * with @error. */
static CsKycCheck *
try_submit (CsStoreConn *conn, const char *user_id, gint64 now, GError **error)
{
  g_autoptr(CsKycCheck) check = cs_kyc_check_new ();

  check->id = cs_id_new ("kyc");
  check->user_id = g_strdup (user_id);
  check->status = CS_KYC_PENDING;
  check->full_name = g_strdup ("Ada Lovelace");
  check->country = g_strdup ("GB");
  check->document_type = g_strdup ("passport");
  check->document_last4 = g_strdup ("0042");
  check->created_at = check->updated_at = now;
  return cs_store_kyc_submit (conn, check, now, error);
}

static CsKycCheck *
submit (CsStoreConn *conn, const char *user_id, gint64 now)
{
  g_autoptr(GError) error = NULL;
  CsKycCheck *check = try_submit (conn, user_id, now, &error);

  g_assert_no_error (error);
  g_assert_nonnull (check);
  return check;
}

static CsKycCheck *
decide (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason,
        const char *moderator_id, gint64 now)
{
  g_autoptr(GError) error = NULL;
  CsKycCheck *check = cs_store_kyc_decide (conn, kyc_id, decision, reason, moderator_id, now, &error);

  g_assert_no_error (error);
  g_assert_nonnull (check);
  return check;
}

static void
assert_decide_fails (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason,
                     const char *moderator_id, gint64 now, int code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsKycCheck) check = cs_store_kyc_decide (conn, kyc_id, decision, reason, moderator_id, now,
                                                     &error);

  g_assert_null (check);
  g_assert_error (error, CS_ERROR, code);
}

/* Audit entries of @action, newest first. */
static GPtrArray *
audit_of (CsStoreConn *conn, const char *action)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  g_autoptr(GPtrArray) all = cs_store_audit_list (conn, NULL, 100, &next, &error);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_audit_entry_free);

  g_assert_no_error (error);
  g_assert_nonnull (all);
  for (guint i = 0; i < all->len; i++)
    {
      CsAuditEntry *e = g_ptr_array_index (all, i);

      /* Moved into @out; @all frees the NULL left behind. */
      if (g_strcmp0 (e->action, action) == 0)
        {
          g_ptr_array_add (out, e);
          g_ptr_array_index (all, i) = NULL;
        }
    }
  return out;
}

/* The first column of the first row of @sql (a number), read on a
 * separate connection: SQL valid on both backends. */
static gint64
count_rows (Fixture *f, const char *sql)
{
  g_autofree char *text = cs_test_db_query_text (f->url, sql);
  gint64 n = 0;

  g_assert_nonnull (text);
  g_assert_true (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &n, NULL));
  return n;
}

/* Runs @sql on a separate connection and says how the database took it:
 * "ok", "constraint" (refused by a constraint: SQLITE_CONSTRAINT, or an
 * SQLSTATE of class 23 on PostgreSQL), or "other …". */
static char *
raw_exec (Fixture *f, const char *sql)
{
  if (!cs_test_db_is_postgresql ())
    {
      sqlite3 *db = NULL;
      int rc;

      g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
      rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
      sqlite3_close (db);
      if (rc == SQLITE_OK)
        return g_strdup ("ok");
      if (rc == SQLITE_CONSTRAINT)
        return g_strdup ("constraint");
      return g_strdup_printf ("other (SQLite %d)", rc);
    }
  else
    {
      /* A statement that fails would fail the helper: run it inside a
       * function that catches the error and answers its SQLSTATE. */
      g_autofree char *script = NULL;
      g_autofree char *state = NULL;

      g_assert_null (strstr (sql, "$sql$"));
      script = g_strdup_printf ("CREATE FUNCTION pg_temp.sqlstate_of (q text) RETURNS text "
                                "LANGUAGE plpgsql AS $fn$ BEGIN EXECUTE q; RETURN '00000'; "
                                "EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $fn$; "
                                "SELECT pg_temp.sqlstate_of ($sql$%s$sql$)", sql);
      state = cs_test_db_query_text (f->url, script);
      g_assert_nonnull (state);
      if (strcmp (state, "00000") == 0)
        return g_strdup ("ok");
      if (g_str_has_prefix (state, "23"))
        return g_strdup ("constraint");
      return g_strdup_printf ("other (SQLSTATE %s)", state);
    }
}

/* @sql is refused by a constraint of the schema. */
#define assert_refused(f, sql) \
  G_STMT_START { \
    g_autofree char *outcome_ = raw_exec ((f), (sql)); \
    g_assert_cmpstr (outcome_, ==, "constraint"); \
  } G_STMT_END

/* Identity checks */

static void
test_kyc_submit (Fixture *f, gconstpointer data)
{
  g_autofree char *ada = add_user (f->conn, "ada", CS_ROLE_BACKER);
  g_autoptr(CsKycCheck) check = NULL;
  g_autoptr(CsKycCheck) latest = NULL;
  g_autoptr(GError) error = NULL;
  CsKycStatus status;

  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_UNVERIFIED);
  latest = cs_store_kyc_latest (f->conn, ada, &error);
  g_assert_no_error (error);
  g_assert_null (latest);

  check = submit (f->conn, ada, NOW);
  g_assert_cmpint (check->status, ==, CS_KYC_PENDING);
  g_assert_cmpstr (check->user_id, ==, ada);
  g_assert_cmpstr (check->full_name, ==, "Ada Lovelace");
  g_assert_cmpstr (check->country, ==, "GB");
  g_assert_cmpstr (check->document_type, ==, "passport");
  g_assert_cmpstr (check->document_last4, ==, "0042");
  g_assert_null (check->reason);
  g_assert_null (check->decided_by);
  g_assert_cmpint (check->created_at, ==, NOW);
  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_PENDING);

  latest = cs_store_kyc_latest (f->conn, ada, &error);
  g_assert_no_error (error);
  g_assert_nonnull (latest);
  g_assert_cmpstr (latest->id, ==, check->id);

  /* A second submission while the first waits for the provider. */
  {
    g_autoptr(CsKycCheck) again = try_submit (f->conn, ada, NOW + 1, &error);

    g_assert_null (again);
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
  }
  {
    g_autoptr(CsKycCheck) again = try_submit (f->conn, ada, NOW + 10 * MINUTE - 1, &error);

    g_assert_null (again);
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
  }
  /* The refusal left nothing behind. */
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM kyc_checks"), ==, 1);
  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_PENDING);

  /* Unknown users. */
  {
    g_autoptr(CsKycCheck) none = try_submit (f->conn, "usr_nobody", NOW, &error);

    g_assert_null (none);
    g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  g_assert_false (cs_store_user_kyc_status (f->conn, "usr_nobody", &status, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&latest, cs_kyc_check_free);
  latest = cs_store_kyc_latest (f->conn, "usr_nobody", &error);
  g_assert_no_error (error);
  g_assert_null (latest);
}

static void
test_kyc_stale_pending (Fixture *f, gconstpointer data)
{
  g_autofree char *ada = add_user (f->conn, "ada", CS_ROLE_BACKER);
  g_autoptr(CsKycCheck) first = submit (f->conn, ada, NOW);
  g_autoptr(CsKycCheck) second = NULL;
  g_autoptr(CsKycCheck) latest = NULL;
  g_autoptr(CsKycCheck) verified = NULL;
  g_autoptr(GError) error = NULL;

  /* The provider never answered: after 10 minutes a new submission is allowed. */
  second = submit (f->conn, ada, NOW + 10 * MINUTE);
  g_assert_cmpstr (second->id, !=, first->id);
  latest = cs_store_kyc_latest (f->conn, ada, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (latest->id, ==, second->id);
  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_PENDING);

  /* A late answer to the replaced check is refused and changes nothing. */
  assert_decide_fails (f->conn, first->id, CS_KYC_VERIFIED, NULL, NULL, NOW + 11 * MINUTE,
                       CS_ERROR_CONFLICT);
  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_PENDING);

  verified = decide (f->conn, second->id, CS_KYC_VERIFIED, NULL, NULL, NOW + 11 * MINUTE);
  g_assert_cmpint (verified->status, ==, CS_KYC_VERIFIED);
  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_VERIFIED);
}

static void
test_kyc_provider_decisions (Fixture *f, gconstpointer data)
{
  g_autofree char *vera = add_user (f->conn, "vera", CS_ROLE_BACKER);
  g_autofree char *rex = add_user (f->conn, "rex", CS_ROLE_BACKER);
  g_autofree char *rita = add_user (f->conn, "rita", CS_ROLE_BACKER);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) audit = NULL;

  /* verified */
  {
    g_autoptr(CsKycCheck) check = submit (f->conn, vera, NOW);
    g_autoptr(CsKycCheck) decided = decide (f->conn, check->id, CS_KYC_VERIFIED, NULL, NULL, NOW + 5);
    g_autoptr(CsKycCheck) repeat = NULL;
    g_autoptr(CsKycCheck) again = NULL;

    g_assert_cmpint (decided->status, ==, CS_KYC_VERIFIED);
    g_assert_null (decided->decided_by);
    g_assert_cmpint (decided->updated_at, ==, NOW + 5);
    g_assert_cmpint (user_kyc (f->conn, vera), ==, CS_KYC_VERIFIED);

    /* Webhooks come at least once: the same answer again is a no-op. */
    repeat = decide (f->conn, check->id, CS_KYC_VERIFIED, NULL, NULL, NOW + 60);
    g_assert_cmpint (repeat->status, ==, CS_KYC_VERIFIED);
    g_assert_cmpint (repeat->updated_at, ==, NOW + 5);
    /* Another answer to a decided check is refused. */
    assert_decide_fails (f->conn, check->id, CS_KYC_REJECTED, "x", NULL, NOW + 60, CS_ERROR_CONFLICT);
    g_assert_cmpint (user_kyc (f->conn, vera), ==, CS_KYC_VERIFIED);

    /* Verified users do not submit again. */
    again = try_submit (f->conn, vera, NOW + DAY, &error);
    g_assert_null (again);
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
  }

  /* rejected: a new submission is allowed at once */
  {
    g_autoptr(CsKycCheck) check = submit (f->conn, rex, NOW);
    g_autoptr(CsKycCheck) decided = decide (f->conn, check->id, CS_KYC_REJECTED,
                                            "The document could not be verified.", NULL, NOW + 5);
    g_autoptr(CsKycCheck) again = NULL;

    g_assert_cmpint (decided->status, ==, CS_KYC_REJECTED);
    g_assert_cmpstr (decided->reason, ==, "The document could not be verified.");
    g_assert_cmpint (user_kyc (f->conn, rex), ==, CS_KYC_REJECTED);
    again = submit (f->conn, rex, NOW + 6);
    g_assert_cmpint (again->status, ==, CS_KYC_PENDING);
    g_assert_cmpint (user_kyc (f->conn, rex), ==, CS_KYC_PENDING);
  }

  /* review: waits for a moderator, however long */
  {
    g_autoptr(CsKycCheck) check = submit (f->conn, rita, NOW);
    g_autoptr(CsKycCheck) decided = decide (f->conn, check->id, CS_KYC_REVIEW,
                                            "The document needs a manual review.", NULL, NOW + 5);
    g_autoptr(CsKycCheck) again = NULL;

    g_assert_cmpint (decided->status, ==, CS_KYC_REVIEW);
    g_assert_cmpint (user_kyc (f->conn, rita), ==, CS_KYC_REVIEW);
    again = try_submit (f->conn, rita, NOW + 30 * DAY, &error);
    g_assert_null (again);
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
    /* The provider has had its say. */
    assert_decide_fails (f->conn, check->id, CS_KYC_VERIFIED, NULL, NULL, NOW + 6, CS_ERROR_CONFLICT);
    g_assert_cmpint (user_kyc (f->conn, rita), ==, CS_KYC_REVIEW);
  }

  /* Not a provider's answer; unknown checks. */
  {
    g_autofree char *other = add_user (f->conn, "other", CS_ROLE_BACKER);
    g_autoptr(CsKycCheck) check = submit (f->conn, other, NOW);

    assert_decide_fails (f->conn, check->id, CS_KYC_PENDING, NULL, NULL, NOW, CS_ERROR_INVALID);
    assert_decide_fails (f->conn, check->id, CS_KYC_UNVERIFIED, NULL, NULL, NOW, CS_ERROR_INVALID);
    assert_decide_fails (f->conn, "kyc_nothing", CS_KYC_VERIFIED, NULL, NULL, NOW, CS_ERROR_NOT_FOUND);
    g_assert_cmpint (user_kyc (f->conn, other), ==, CS_KYC_PENDING);
  }

  /* The provider's decisions are not moderation: no audit entries. */
  audit = audit_of (f->conn, "kyc.decision");
  g_assert_cmpuint (audit->len, ==, 0);
}

static void
test_kyc_moderator_decisions (Fixture *f, gconstpointer data)
{
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autofree char *ada = add_user (f->conn, "ada", CS_ROLE_BACKER);
  g_autofree char *ben = add_user (f->conn, "ben", CS_ROLE_BACKER);
  g_autoptr(CsKycCheck) check = submit (f->conn, ada, NOW);
  g_autoptr(GPtrArray) audit = NULL;
  CsAuditEntry *e;

  /* Not while the provider is still to answer. */
  assert_decide_fails (f->conn, check->id, CS_KYC_VERIFIED, "Looks fine", mod, NOW + 1, CS_ERROR_CONFLICT);
  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_PENDING);

  g_clear_pointer (&check, cs_kyc_check_free);
  {
    g_autoptr(CsKycCheck) first = cs_store_kyc_latest (f->conn, ada, NULL);

    check = decide (f->conn, first->id, CS_KYC_REVIEW, "Blurry photo", NULL, NOW + 2);
  }

  /* A moderator's decision needs verified or rejected, and a reason. */
  assert_decide_fails (f->conn, check->id, CS_KYC_VERIFIED, NULL, mod, NOW + 3, CS_ERROR_INVALID);
  assert_decide_fails (f->conn, check->id, CS_KYC_VERIFIED, "", mod, NOW + 3, CS_ERROR_INVALID);
  assert_decide_fails (f->conn, check->id, CS_KYC_REVIEW, "Hmm", mod, NOW + 3, CS_ERROR_INVALID);
  assert_decide_fails (f->conn, check->id, CS_KYC_PENDING, "Hmm", mod, NOW + 3, CS_ERROR_INVALID);
  assert_decide_fails (f->conn, "kyc_nothing", CS_KYC_VERIFIED, "Fine", mod, NOW + 3, CS_ERROR_NOT_FOUND);
  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_REVIEW);

  {
    g_autoptr(CsKycCheck) decided = decide (f->conn, check->id, CS_KYC_VERIFIED,
                                            "Passport matches the selfie", mod, NOW + 100);

    g_assert_cmpint (decided->status, ==, CS_KYC_VERIFIED);
    g_assert_cmpstr (decided->decided_by, ==, mod);
    g_assert_cmpstr (decided->reason, ==, "Passport matches the selfie");
    g_assert_cmpint (decided->updated_at, ==, NOW + 100);
    g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_VERIFIED);
  }

  audit = audit_of (f->conn, "kyc.decision");
  g_assert_cmpuint (audit->len, ==, 1);
  e = g_ptr_array_index (audit, 0);
  g_assert_cmpstr (e->actor_id, ==, mod);
  g_assert_cmpstr (e->subject_type, ==, "kyc");
  g_assert_cmpstr (e->subject_id, ==, check->id);
  g_assert_cmpstr (e->reason, ==, "Passport matches the selfie");
  g_assert_cmpstr (e->detail, ==, "review → verified");
  g_assert_cmpint (e->created_at, ==, NOW + 100);
  g_clear_pointer (&audit, g_ptr_array_unref);

  /* Override: a decided check can be decided again by a moderator. */
  {
    g_autoptr(CsKycCheck) decided = decide (f->conn, check->id, CS_KYC_REJECTED,
                                            "The passport was reported stolen", mod, NOW + 200);

    g_assert_cmpint (decided->status, ==, CS_KYC_REJECTED);
    g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_REJECTED);
  }
  audit = audit_of (f->conn, "kyc.decision");
  g_assert_cmpuint (audit->len, ==, 2);
  e = g_ptr_array_index (audit, 0);
  g_assert_cmpstr (e->detail, ==, "verified → rejected");
  g_assert_cmpstr (e->reason, ==, "The passport was reported stolen");
  g_clear_pointer (&audit, g_ptr_array_unref);

  /* Once the user submitted again, the old check is history. */
  {
    g_autoptr(CsKycCheck) newer = submit (f->conn, ada, NOW + 300);

    assert_decide_fails (f->conn, check->id, CS_KYC_VERIFIED, "Changed my mind", mod, NOW + 301,
                         CS_ERROR_CONFLICT);
    g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_PENDING);
  }

  /* Nobody decides their own check. */
  {
    g_autoptr(CsKycCheck) own = submit (f->conn, mod, NOW);
    g_autoptr(CsKycCheck) reviewed = decide (f->conn, own->id, CS_KYC_REVIEW, "Manual", NULL, NOW + 1);

    assert_decide_fails (f->conn, own->id, CS_KYC_VERIFIED, "It is me", mod, NOW + 2, CS_ERROR_FORBIDDEN);
    g_assert_cmpint (user_kyc (f->conn, mod), ==, CS_KYC_REVIEW);
  }

  /* A check the provider rejected may be approved by a moderator. */
  {
    g_autoptr(CsKycCheck) bens = submit (f->conn, ben, NOW + 400);
    g_autoptr(CsKycCheck) rejected = decide (f->conn, bens->id, CS_KYC_REJECTED, "Unreadable", NULL,
                                             NOW + 401);
    g_autoptr(CsKycCheck) approved = decide (f->conn, bens->id, CS_KYC_VERIFIED, "Checked by hand", mod,
                                             NOW + 402);

    g_assert_cmpint (approved->status, ==, CS_KYC_VERIFIED);
    g_assert_cmpint (user_kyc (f->conn, ben), ==, CS_KYC_VERIFIED);
  }

  audit = audit_of (f->conn, "kyc.decision");
  g_assert_cmpuint (audit->len, ==, 3);
  e = g_ptr_array_index (audit, 0);
  g_assert_cmpstr (e->detail, ==, "rejected → verified");
}

static void
test_kyc_queue (Fixture *f, gconstpointer data)
{
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *cursor = NULL;
  guint pages = 0;

  /* Five in review (submitted in this order), one verified, one pending. */
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *name = g_strdup_printf ("user%u", i);
      g_autofree char *user = add_user (f->conn, name, CS_ROLE_BACKER);
      g_autoptr(CsKycCheck) check = submit (f->conn, user, NOW + i * 10);

      if (i == 2)
        {
          g_autoptr(CsKycCheck) d = decide (f->conn, check->id, CS_KYC_VERIFIED, NULL, NULL, NOW + 100);
        }
      else if (i != 5)
        {
          /* Reviewed in reverse order: the queue goes by submission. */
          g_autoptr(CsKycCheck) d = decide (f->conn, check->id, CS_KYC_REVIEW, "Manual", NULL,
                                            NOW + 200 - i);

          g_ptr_array_add (ids, g_strdup (check->id));
        }
    }

  do
    {
      g_autofree char *next = NULL;
      g_autoptr(GPtrArray) page = cs_store_kyc_queue (f->conn, cursor, 2, &next, &error);

      g_assert_no_error (error);
      g_assert_nonnull (page);
      g_assert_cmpuint (page->len, <=, 2);
      for (guint i = 0; i < page->len; i++)
        {
          CsKycCheck *c = g_ptr_array_index (page, i);

          g_assert_cmpint (c->status, ==, CS_KYC_REVIEW);
          g_ptr_array_add (seen, g_strdup (c->id));
        }
      g_free (cursor);
      cursor = g_steal_pointer (&next);
      pages++;
    }
  while (cursor != NULL && pages < 10);

  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (seen->len, ==, ids->len);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpstr (g_ptr_array_index (seen, i), ==, g_ptr_array_index (ids, i));

  /* Exactly one page: no cursor. */
  {
    g_autofree char *next = NULL;
    g_autoptr(GPtrArray) page = cs_store_kyc_queue (f->conn, NULL, 4, &next, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 4);
    g_assert_nonnull (next);
  }
  {
    g_autofree char *next = NULL;
    g_autoptr(GPtrArray) page = cs_store_kyc_queue (f->conn, NULL, 0, &next, &error);

    /* 0: the default page size. */
    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 5);
    g_assert_null (next);
  }

  /* A decided check leaves the queue. */
  {
    g_autoptr(CsKycCheck) d = decide (f->conn, g_ptr_array_index (ids, 0), CS_KYC_REJECTED, "Fake", mod,
                                      NOW + 300);
    g_autoptr(GPtrArray) page = cs_store_kyc_queue (f->conn, NULL, 10, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 4);
    g_assert_cmpstr (((CsKycCheck *) g_ptr_array_index (page, 0))->id, ==, g_ptr_array_index (ids, 1));
  }

  /* Cursors that are not ours. */
  {
    g_autoptr(GPtrArray) page = cs_store_kyc_queue (f->conn, "garbage!", 10, NULL, &error);

    g_assert_null (page);
    g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
    g_clear_error (&error);
  }
  {
    /* Well formed, but another list's. */
    g_autofree char *foreign = cs_base64url_encode ((const guint8 *) "audit|1700000000|1", 18);
    g_autofree char *own = cs_base64url_encode ((const guint8 *) "kyc-queue|1700000000|1", 22);
    g_autoptr(GPtrArray) page = cs_store_kyc_queue (f->conn, own, 10, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 4);
    g_clear_pointer (&page, g_ptr_array_unref);
    page = cs_store_kyc_queue (f->conn, foreign, 10, NULL, &error);
    g_assert_null (page);
    g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  }
}

static void
test_kyc_schema_guards (Fixture *f, gconstpointer data)
{
  g_autofree char *ada = add_user (f->conn, "ada", CS_ROLE_BACKER);
  g_autoptr(CsKycCheck) check = submit (f->conn, ada, NOW);
  g_autofree char *sql = NULL;

  /* The database refuses anything longer than 4 characters of a document. */
  sql = g_strdup_printf ("UPDATE kyc_checks SET document_last4 = 'X1234567' WHERE id = '%s'", check->id);
  assert_refused (f, sql);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM kyc_checks WHERE length (document_last4) > 4"),
                   ==, 0);
  /* A second open check for one user is refused by the schema itself. */
  g_free (sql);
  sql = g_strdup_printf ("INSERT INTO kyc_checks (id, user_id, status, full_name, country, document_type, "
                         "document_last4, created_at, updated_at) VALUES ('kyc_x', '%s', 'pending', 'A', "
                         "'GB', 'passport', '1234', 1, 1)", ada);
  assert_refused (f, sql);
}

/* The sandbox processor */

static void
fill_pm (CsSandboxPaymentMethod *pm, const char *id, const char *last4, int behaviour)
{
  memset (pm, 0, sizeof *pm);
  g_strlcpy (pm->id, id, sizeof pm->id);
  g_strlcpy (pm->brand, "visa", sizeof pm->brand);
  g_strlcpy (pm->last4, last4, sizeof pm->last4);
  pm->exp_month = 12;
  pm->exp_year = 2031;
  pm->behaviour = behaviour;
  pm->created_at = NOW;
}

static void
test_sandbox_payment_methods (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  CsSandboxPaymentMethod pm, back;

  fill_pm (&pm, "pm_one", "4242", 0);
  g_assert_true (cs_store_sandbox_pm_insert (f->conn, &pm, &error));
  g_assert_no_error (error);
  fill_pm (&pm, "pm_two", "0341", 2);
  pm.exp_month = 1;
  g_assert_true (cs_store_sandbox_pm_insert (f->conn, &pm, &error));
  g_assert_no_error (error);

  memset (&back, 0xff, sizeof back);
  g_assert_true (cs_store_sandbox_pm_get (f->conn, "pm_two", &back, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (back.id, ==, "pm_two");
  g_assert_cmpstr (back.brand, ==, "visa");
  g_assert_cmpstr (back.last4, ==, "0341");
  g_assert_cmpint (back.exp_month, ==, 1);
  g_assert_cmpint (back.exp_year, ==, 2031);
  g_assert_cmpint (back.behaviour, ==, 2);
  g_assert_cmpint (back.created_at, ==, NOW);

  g_assert_false (cs_store_sandbox_pm_get (f->conn, "pm_unknown", &back, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (cs_store_sandbox_pm_insert (f->conn, &pm, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);

  /* Values the schema refuses: not a card's last four digits, a bad month. */
  fill_pm (&pm, "pm_bad", "42x2", 0);
  g_assert_false (cs_store_sandbox_pm_insert (f->conn, &pm, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);
  fill_pm (&pm, "pm_bad", "4242", 0);
  pm.exp_month = 13;
  g_assert_false (cs_store_sandbox_pm_insert (f->conn, &pm, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);

  /* A card number never fits anywhere. */
  assert_refused (f, "UPDATE sandbox_payment_methods SET last4 = '4242424242424242'");
  assert_refused (f, "UPDATE sandbox_payment_methods SET brand = '4242424242424242'");
}

static void
fill_charge (CsSandboxCharge *ch, const char *id, const char *pm_id, const char *reference,
             gint64 amount, const char *status)
{
  memset (ch, 0, sizeof *ch);
  g_strlcpy (ch->id, id, sizeof ch->id);
  if (pm_id != NULL)
    g_strlcpy (ch->payment_method_id, pm_id, sizeof ch->payment_method_id);
  g_strlcpy (ch->reference, reference, sizeof ch->reference);
  ch->amount = amount;
  g_strlcpy (ch->currency, "EUR", sizeof ch->currency);
  g_strlcpy (ch->status, status, sizeof ch->status);
}

/* A message for endpoint @endpoint with a fresh event id. */
static CsOutboxMessage *
new_message (const char *endpoint)
{
  CsOutboxMessage *m = g_new0 (CsOutboxMessage, 1);

  m->id = cs_id_new ("msg");
  m->endpoint = g_strdup (endpoint);
  m->event_id = cs_id_new ("evt");
  m->body = g_strdup_printf ("{\"id\": \"%s\"}", m->event_id);
  return m;
}

static gboolean
record (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge, const CsOutboxMessage *m,
        gint64 now, gboolean *replayed, char **charge_id, GError **error)
{
  *replayed = 2;
  return cs_store_sandbox_record (conn, op_key, charge, m, now, replayed, charge_id, error);
}

static gint64
outbox_count (CsStoreConn *conn)
{
  g_autoptr(GError) error = NULL;
  gint64 n = -1;

  g_assert_true (cs_store_outbox_count (conn, &n, &error));
  g_assert_no_error (error);
  return n;
}

static void
test_sandbox_record (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  CsSandboxCharge ch, back;
  gboolean replayed;

  g_assert_cmpint (outbox_count (f->conn), ==, 0);

  /* An authorization: the charge and its event, under the job's key. */
  {
    g_autoptr(CsOutboxMessage) m = new_message ("payments");
    g_autofree char *charge_id = NULL;

    fill_charge (&ch, "ch_1", "pm_one", "pl_1", 2500, "authorized");
    g_assert_true (record (f->conn, "job_1", &ch, m, NOW, &replayed, &charge_id, &error));
    g_assert_no_error (error);
    g_assert_false (replayed);
    g_assert_cmpstr (charge_id, ==, "ch_1");
  }
  g_assert_cmpint (outbox_count (f->conn), ==, 1);
  g_assert_true (cs_store_sandbox_charge_get (f->conn, "ch_1", &back, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (back.id, ==, "ch_1");
  g_assert_cmpstr (back.payment_method_id, ==, "pm_one");
  g_assert_cmpstr (back.reference, ==, "pl_1");
  g_assert_cmpint (back.amount, ==, 2500);
  g_assert_cmpint (back.captured_amount, ==, 0);
  g_assert_cmpstr (back.currency, ==, "EUR");
  g_assert_cmpstr (back.status, ==, "authorized");

  /* The job retried (its first answer was lost): the first charge id, no
   * second event, no change. */
  {
    g_autoptr(CsOutboxMessage) m = new_message ("payments");
    g_autofree char *charge_id = NULL;

    fill_charge (&ch, "ch_other", "pm_one", "pl_1", 2500, "declined");
    g_assert_true (record (f->conn, "job_1", &ch, m, NOW + 5, &replayed, &charge_id, &error));
    g_assert_no_error (error);
    g_assert_true (replayed);
    g_assert_cmpstr (charge_id, ==, "ch_1");
  }
  g_assert_cmpint (outbox_count (f->conn), ==, 1);
  g_assert_false (cs_store_sandbox_charge_get (f->conn, "ch_other", &back, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Another operation on the same charge replaces its row. */
  {
    g_autoptr(CsOutboxMessage) m = new_message ("payments");
    g_autofree char *charge_id = NULL;

    fill_charge (&ch, "ch_1", "pm_one", "pl_1", 2500, "captured");
    ch.captured_amount = 2500;
    g_assert_true (record (f->conn, "job_2", &ch, m, NOW + 10, &replayed, &charge_id, &error));
    g_assert_no_error (error);
    g_assert_false (replayed);
  }
  g_assert_cmpint (outbox_count (f->conn), ==, 2);
  g_assert_true (cs_store_sandbox_charge_get (f->conn, "ch_1", &back, &error));
  g_assert_cmpstr (back.status, ==, "captured");
  g_assert_cmpint (back.captured_amount, ==, 2500);

  /* A payout has no card; an operation may touch no charge at all (KYC). */
  {
    g_autoptr(CsOutboxMessage) m = new_message ("payments");
    g_autofree char *charge_id = NULL;

    fill_charge (&ch, "po_1", NULL, "wd_1", 9000, "paid");
    g_assert_true (record (f->conn, "job_3", &ch, m, NOW, &replayed, &charge_id, &error));
    g_assert_no_error (error);
    g_assert_true (cs_store_sandbox_charge_get (f->conn, "po_1", &back, &error));
    g_assert_cmpstr (back.payment_method_id, ==, "");
    g_assert_cmpstr (back.reference, ==, "wd_1");
  }
  {
    g_autoptr(CsOutboxMessage) m = new_message ("kyc");
    g_autofree char *charge_id = NULL;

    g_assert_true (record (f->conn, "kyc:kyc_1", NULL, m, NOW, &replayed, &charge_id, &error));
    g_assert_no_error (error);
    g_assert_false (replayed);
    g_assert_null (charge_id);
    g_assert_true (record (f->conn, "kyc:kyc_1", NULL, m, NOW, &replayed, &charge_id, &error));
    g_assert_no_error (error);
    g_assert_true (replayed);
    g_assert_null (charge_id);
  }
  g_assert_cmpint (outbox_count (f->conn), ==, 4);

  /* All or nothing: when the event cannot be stored, neither is the key nor
   * the charge, and the retry does the work. */
  {
    g_autoptr(CsOutboxMessage) bad = new_message ("nowhere");
    g_autoptr(CsOutboxMessage) good = new_message ("payments");
    g_autofree char *charge_id = NULL;

    fill_charge (&ch, "ch_2", "pm_one", "pl_2", 100, "authorized");
    g_assert_false (record (f->conn, "job_4", &ch, bad, NOW, &replayed, &charge_id, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_assert_false (cs_store_sandbox_charge_get (f->conn, "ch_2", &back, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
    g_clear_error (&error);

    g_assert_true (record (f->conn, "job_4", &ch, good, NOW, &replayed, &charge_id, &error));
    g_assert_no_error (error);
    g_assert_false (replayed);
    g_assert_cmpstr (charge_id, ==, "ch_2");
  }
  g_assert_cmpint (outbox_count (f->conn), ==, 5);

  g_assert_false (cs_store_sandbox_charge_get (f->conn, "ch_nothing", &back, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
}

/* The webhook outbox */

/* Queues @n messages due at NOW + i; their ids in order into @ids. */
static void
queue_messages (CsStoreConn *conn, guint n, GPtrArray *ids)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CsOutboxMessage) m = new_message ("payments");
      g_autoptr(GError) error = NULL;
      g_autofree char *op = g_strdup_printf ("op_%u_%s", i, m->id);
      g_autofree char *charge_id = NULL;
      gboolean replayed;

      g_assert_true (cs_store_sandbox_record (conn, op, NULL, m, NOW + i, &replayed, &charge_id, &error));
      g_assert_no_error (error);
      if (ids != NULL)
        g_ptr_array_add (ids, g_strdup (m->id));
    }
}

static GPtrArray *
claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *batch = cs_store_outbox_claim (conn, worker, now, lease, max, &error);

  g_assert_no_error (error);
  g_assert_nonnull (batch);
  return batch;
}

static const char *
message_id (GPtrArray *batch, guint i)
{
  return ((CsOutboxMessage *) g_ptr_array_index (batch, i))->id;
}

static void
test_outbox_claims (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStoreConn) other = cs_store_connect (f->store, &error);

  g_assert_no_error (error);
  queue_messages (f->conn, 3, ids);

  /* Not yet due. */
  {
    g_autoptr(GPtrArray) none = claim (f->conn, "a", NOW - 1, 30, 10);

    g_assert_cmpuint (none->len, ==, 0);
  }

  /* Worker a takes the two oldest; worker b, on its own connection, gets
   * only the third while a's lease lasts. */
  {
    g_autoptr(GPtrArray) a = claim (f->conn, "a", NOW + 10, 30, 2);
    g_autoptr(GPtrArray) b = claim (other, "b", NOW + 10, 30, 10);
    g_autoptr(GPtrArray) b2 = claim (other, "b", NOW + 39, 30, 10);
    CsOutboxMessage *m;

    g_assert_cmpuint (a->len, ==, 2);
    g_assert_cmpstr (message_id (a, 0), ==, g_ptr_array_index (ids, 0));
    g_assert_cmpstr (message_id (a, 1), ==, g_ptr_array_index (ids, 1));
    m = g_ptr_array_index (a, 0);
    g_assert_cmpstr (m->endpoint, ==, "payments");
    g_assert_true (g_str_has_prefix (m->event_id, "evt_"));
    g_assert_nonnull (strstr (m->body, m->event_id));
    g_assert_cmpint (m->attempts, ==, 1);
    g_assert_cmpint (m->next_attempt_at, ==, NOW);

    g_assert_cmpuint (b->len, ==, 1);
    g_assert_cmpstr (message_id (b, 0), ==, g_ptr_array_index (ids, 2));
    g_assert_cmpuint (b2->len, ==, 0);
  }

  /* a crashed: when its lease ends, its messages are due again. */
  {
    g_autoptr(GPtrArray) b = claim (other, "b", NOW + 40, 30, 10);

    g_assert_cmpuint (b->len, ==, 3);
    g_assert_cmpstr (message_id (b, 0), ==, g_ptr_array_index (ids, 0));
    g_assert_cmpint (((CsOutboxMessage *) g_ptr_array_index (b, 0))->attempts, ==, 2);
  }

  /* max 0 claims nothing. */
  {
    g_autoptr(GPtrArray) none = claim (f->conn, "a", NOW + 1000, 30, 0);

    g_assert_cmpuint (none->len, ==, 0);
  }
}

static void
test_outbox_delivered_and_retry (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *long_error = g_strnfill (2000, 'e');
  const char *m0, *m1, *m2;

  queue_messages (f->conn, 3, ids);
  m0 = g_ptr_array_index (ids, 0);
  m1 = g_ptr_array_index (ids, 1);
  m2 = g_ptr_array_index (ids, 2);
  {
    g_autoptr(GPtrArray) all = claim (f->conn, "a", NOW + 10, 500, 10);

    g_assert_cmpuint (all->len, ==, 3);
  }

  /* Delivered: gone from the count, never claimed again; a second report
   * is harmless. */
  g_assert_true (cs_store_outbox_delivered (f->conn, m0, NOW + 11, &error));
  g_assert_no_error (error);
  g_assert_cmpint (outbox_count (f->conn), ==, 2);
  g_assert_true (cs_store_outbox_delivered (f->conn, m0, NOW + 12, &error));
  g_assert_no_error (error);
  g_assert_false (cs_store_outbox_delivered (f->conn, "msg_nothing", NOW + 12, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Retry: released now, due again at the given time; the error is kept,
   * bounded. */
  g_assert_true (cs_store_outbox_retry (f->conn, m1, NOW + 100, long_error, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT max (length (last_error)) FROM webhook_outbox"), ==, 500);
  {
    g_autoptr(GPtrArray) early = claim (f->conn, "b", NOW + 99, 30, 10);

    g_assert_cmpuint (early->len, ==, 0);
  }
  {
    g_autoptr(GPtrArray) due = claim (f->conn, "b", NOW + 100, 30, 10);

    g_assert_cmpuint (due->len, ==, 1);
    g_assert_cmpstr (message_id (due, 0), ==, m1);
    g_assert_cmpint (((CsOutboxMessage *) g_ptr_array_index (due, 0))->attempts, ==, 2);
    g_assert_cmpint (((CsOutboxMessage *) g_ptr_array_index (due, 0))->next_attempt_at, ==, NOW + 100);
  }

  /* A late failure report after the delivery does not bring it back. */
  g_assert_true (cs_store_outbox_retry (f->conn, m0, NOW + 101, "timeout", &error));
  g_assert_no_error (error);
  g_assert_cmpint (outbox_count (f->conn), ==, 2);
  {
    g_autoptr(GPtrArray) later = claim (f->conn, "c", NOW + 1000, 30, 10);

    /* m1 (b's lease ended) and m2 (a's lease ended), never m0. */
    g_assert_cmpuint (later->len, ==, 2);
    g_assert_cmpstr (message_id (later, 0), ==, m2);
    g_assert_cmpstr (message_id (later, 1), ==, m1);
  }
  g_assert_false (cs_store_outbox_retry (f->conn, "msg_nothing", NOW, NULL, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Delivered rows stay a week for inspection, then go. */
  g_assert_true (cs_store_outbox_delivered (f->conn, m1, NOW + 1001, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM webhook_outbox"), ==, 3);
  g_assert_true (cs_store_outbox_delivered (f->conn, m2, NOW + 11 + 7 * DAY, &error));
  g_assert_no_error (error);
  /* m0 (delivered at NOW + 11) is exactly a week old: still kept. */
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM webhook_outbox"), ==, 3);
  queue_messages (f->conn, 1, ids);
  {
    g_autoptr(GPtrArray) last = claim (f->conn, "c", NOW + 8 * DAY, 30, 10);

    g_assert_cmpuint (last->len, ==, 1);
    g_assert_true (cs_store_outbox_delivered (f->conn, message_id (last, 0), NOW + 8 * DAY, &error));
    g_assert_no_error (error);
  }
  /* m0 and m1 are over a week old now; m2 and the new one stay. */
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM webhook_outbox"), ==, 2);
  g_assert_cmpint (outbox_count (f->conn), ==, 0);
}

#define N_WORKERS  4
#define N_MESSAGES 120

typedef struct {
  CsStore    *store;
  GMutex      lock;
  GHashTable *claimed;     /* message id → worker name */
  guint       duplicates;
  guint       failures;
} ClaimRace;

static gpointer
claim_thread (gpointer data)
{
  ClaimRace *race = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStoreConn) conn = cs_store_connect (race->store, &error);
  g_autofree char *worker = g_strdup_printf ("w%p", (void *) g_thread_self ());

  if (conn == NULL)
    {
      g_atomic_int_inc (&race->failures);
      return NULL;
    }
  /* Bounded, so that a claim handing out leased messages fails the test
   * instead of spinning forever. */
  for (guint round = 0; round <= N_MESSAGES; round++)
    {
      g_autoptr(GPtrArray) batch = cs_store_outbox_claim (conn, worker, NOW + 1000, 600, 3, &error);

      if (batch == NULL)
        {
          /* Busy is an expected answer under contention: try again. */
          if (g_error_matches (error, CS_ERROR, CS_ERROR_UNAVAILABLE))
            {
              g_clear_error (&error);
              continue;
            }
          g_atomic_int_inc (&race->failures);
          return NULL;
        }
      if (batch->len == 0)
        return NULL;
      g_mutex_lock (&race->lock);
      for (guint i = 0; i < batch->len; i++)
        {
          const char *id = message_id (batch, i);

          if (g_hash_table_contains (race->claimed, id))
            race->duplicates++;
          else
            g_hash_table_insert (race->claimed, g_strdup (id), g_strdup (worker));
        }
      g_mutex_unlock (&race->lock);
    }
  g_atomic_int_inc (&race->failures);
  return NULL;
}

static void
test_outbox_concurrent_claims (Fixture *f, gconstpointer data)
{
  ClaimRace race = { .store = f->store };
  GThread *threads[N_WORKERS];

  queue_messages (f->conn, N_MESSAGES, NULL);
  g_mutex_init (&race.lock);
  race.claimed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < N_WORKERS; i++)
    threads[i] = g_thread_new ("claim", claim_thread, &race);
  for (guint i = 0; i < N_WORKERS; i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (race.failures, ==, 0);
  g_assert_cmpuint (race.duplicates, ==, 0);
  g_assert_cmpuint (g_hash_table_size (race.claimed), ==, N_MESSAGES);
  g_hash_table_unref (race.claimed);
  g_mutex_clear (&race.lock);
}

/* Incoming webhooks */

static void
test_webhook_seen (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gboolean is_new = FALSE;

  g_assert_true (cs_store_webhook_seen (f->conn, "evt_1", NOW, &is_new, &error));
  g_assert_no_error (error);
  g_assert_true (is_new);
  g_assert_true (cs_store_webhook_seen (f->conn, "evt_1", NOW + 60, &is_new, &error));
  g_assert_no_error (error);
  g_assert_false (is_new);
  g_assert_true (cs_store_webhook_seen (f->conn, "evt_2", NOW + 60, &is_new, &error));
  g_assert_true (is_new);
  /* The first sighting is the one remembered. */
  g_assert_cmpint (count_rows (f, "SELECT seen_at FROM webhook_events_seen WHERE event_id = 'evt_1'"), ==,
                   NOW);
}

/* Races: several connections (on PostgreSQL: several sessions, as two
 * server instances would be) doing the same thing at the same moment. */

#define N_RACERS 4

typedef enum {
  RACE_KYC_SUBMIT,
  RACE_WEBHOOK_SEEN,
  RACE_SANDBOX_RECORD,
} RaceKind;

#define RACE_EVENTS 25

typedef struct {
  CsStore   *store;
  RaceKind   kind;
  char      *user_id;
  gint       ready;
  gint       go;
  gint       index;
  gint       won;          /* new: submitted, first sighting, recorded */
  gint       lost;         /* refused (CONFLICT), duplicate, replayed */
  gint       failures;
  GMutex     lock;
  GPtrArray *charge_ids;   /* what each sandbox_record answered */
} Race;

static void
race_one (Race *race, CsStoreConn *conn, guint index)
{
  /* Busy (UNAVAILABLE) is a legitimate answer under contention: retry. */
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      g_autoptr(GError) error = NULL;

      switch (race->kind)
        {
        case RACE_KYC_SUBMIT:
          {
            g_autoptr(CsKycCheck) check = try_submit (conn, race->user_id, NOW, &error);

            if (check != NULL)
              g_atomic_int_inc (&race->won);
            else if (g_error_matches (error, CS_ERROR, CS_ERROR_CONFLICT))
              g_atomic_int_inc (&race->lost);
            else if (g_error_matches (error, CS_ERROR, CS_ERROR_UNAVAILABLE))
              continue;
            else
              g_atomic_int_inc (&race->failures);
            return;
          }
        case RACE_WEBHOOK_SEEN:
          /* Not retried: a retry could count an event twice. */
          for (guint i = 0; i < RACE_EVENTS; i++)
            {
              g_autofree char *event_id = g_strdup_printf ("evt_race_%u", i);
              gboolean is_new = FALSE;

              if (!cs_store_webhook_seen (conn, event_id, NOW + index, &is_new, &error))
                {
                  g_atomic_int_inc (&race->failures);
                  return;
                }
              g_atomic_int_inc (is_new ? &race->won : &race->lost);
            }
          return;
        case RACE_SANDBOX_RECORD:
          {
            CsSandboxCharge charge;
            g_autofree char *charge_id = g_strdup_printf ("ch_race_%u", index);
            g_autofree char *answered = NULL;
            g_autoptr(CsOutboxMessage) m = new_message ("payments");
            gboolean replayed = FALSE;

            fill_charge (&charge, charge_id, "pm_race", "pl_race", 1000, "authorized");
            if (!cs_store_sandbox_record (conn, "op_race", &charge, m, NOW, &replayed, &answered, &error))
              {
                if (g_error_matches (error, CS_ERROR, CS_ERROR_UNAVAILABLE))
                  continue;
                g_atomic_int_inc (&race->failures);
                return;
              }
            g_atomic_int_inc (replayed ? &race->lost : &race->won);
            g_mutex_lock (&race->lock);
            g_ptr_array_add (race->charge_ids, g_steal_pointer (&answered));
            g_mutex_unlock (&race->lock);
            return;
          }
        }
    }
  g_atomic_int_inc (&race->failures);
}

static gpointer
race_thread (gpointer data)
{
  Race *race = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStoreConn) conn = cs_store_connect (race->store, &error);
  guint index = (guint) g_atomic_int_add (&race->index, 1);

  if (conn == NULL)
    {
      g_atomic_int_inc (&race->failures);
      g_atomic_int_inc (&race->ready);
      return NULL;
    }
  /* Everybody connected first, then all at once. */
  g_atomic_int_inc (&race->ready);
  while (!g_atomic_int_get (&race->go))
    g_thread_yield ();
  race_one (race, conn, index);
  return NULL;
}

static void
run_race (Race *race)
{
  GThread *threads[N_RACERS];

  g_mutex_init (&race->lock);
  race->charge_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < N_RACERS; i++)
    threads[i] = g_thread_new ("race", race_thread, race);
  while (g_atomic_int_get (&race->ready) < N_RACERS)
    g_thread_yield ();
  g_atomic_int_set (&race->go, 1);
  for (guint i = 0; i < N_RACERS; i++)
    g_thread_join (threads[i]);
  g_mutex_clear (&race->lock);
  g_assert_cmpint (race->failures, ==, 0);
}

static void
test_race_kyc_submit (Fixture *f, gconstpointer data)
{
  g_autofree char *ada = add_user (f->conn, "ada", CS_ROLE_BACKER);
  Race race = { .store = f->store, .kind = RACE_KYC_SUBMIT, .user_id = ada };

  run_race (&race);
  /* One open check per user, whoever comes first. */
  g_assert_cmpint (race.won, ==, 1);
  g_assert_cmpint (race.lost, ==, N_RACERS - 1);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM kyc_checks"), ==, 1);
  g_assert_cmpint (user_kyc (f->conn, ada), ==, CS_KYC_PENDING);
  g_ptr_array_unref (race.charge_ids);
}

static void
test_race_webhook_seen (Fixture *f, gconstpointer data)
{
  Race race = { .store = f->store, .kind = RACE_WEBHOOK_SEEN };

  run_race (&race);
  /* Each event is new to exactly one of them. */
  g_assert_cmpint (race.won, ==, RACE_EVENTS);
  g_assert_cmpint (race.lost, ==, (N_RACERS - 1) * RACE_EVENTS);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM webhook_events_seen"), ==, RACE_EVENTS);
  g_ptr_array_unref (race.charge_ids);
}

static void
test_race_sandbox_record (Fixture *f, gconstpointer data)
{
  Race race = { .store = f->store, .kind = RACE_SANDBOX_RECORD };

  run_race (&race);
  /* One operation recorded; the others answered from it. */
  g_assert_cmpint (race.won, ==, 1);
  g_assert_cmpint (race.lost, ==, N_RACERS - 1);
  g_assert_cmpuint (race.charge_ids->len, ==, N_RACERS);
  for (guint i = 1; i < race.charge_ids->len; i++)
    g_assert_cmpstr (race.charge_ids->pdata[i], ==, race.charge_ids->pdata[0]);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sandbox_charges"), ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sandbox_operations"), ==, 1);
  g_assert_cmpint (outbox_count (f->conn), ==, 1);
  g_ptr_array_unref (race.charge_ids);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The migrations live in the server's GResource: make sure it is linked. */
  g_assert_nonnull (cs_server_get_resource ());

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/store/trust/kyc/submit", test_kyc_submit);
  ADD ("/store/trust/kyc/stale-pending", test_kyc_stale_pending);
  ADD ("/store/trust/kyc/provider-decisions", test_kyc_provider_decisions);
  ADD ("/store/trust/kyc/moderator-decisions", test_kyc_moderator_decisions);
  ADD ("/store/trust/kyc/queue", test_kyc_queue);
  ADD ("/store/trust/kyc/schema-guards", test_kyc_schema_guards);
  ADD ("/store/trust/sandbox/payment-methods", test_sandbox_payment_methods);
  ADD ("/store/trust/sandbox/record", test_sandbox_record);
  ADD ("/store/trust/outbox/claims", test_outbox_claims);
  ADD ("/store/trust/outbox/delivered-and-retry", test_outbox_delivered_and_retry);
  ADD ("/store/trust/outbox/concurrent-claims", test_outbox_concurrent_claims);
  ADD ("/store/trust/webhook-seen", test_webhook_seen);
  ADD ("/store/trust/race/kyc-submit", test_race_kyc_submit);
  ADD ("/store/trust/race/webhook-seen", test_race_webhook_seen);
  ADD ("/store/trust/race/sandbox-record", test_race_sandbox_record);
#undef ADD

  return g_test_run ();
}
