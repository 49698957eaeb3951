/* cs-store-pg-trust.c: the PostgreSQL backend's identity checks (KYC), fees
 * and settings, the sandbox processor's records, the webhook outbox and
 * incoming webhook deduplication (postgresql/003-trust.sql).  Each
 * operation behaves like its SQLite twin (cs-store-sqlite-trust.c, and the
 * settings of cs-store-sqlite-money.c).
 *
 * Concurrency (READ COMMITTED, several instances on one database):
 *  - every change of a user's identity checks first locks that user's row
 *    (kyc_submit by its UPDATE of users.kyc_status, kyc_decide by SELECT …
 *    FOR UPDATE), so the changes of one user are serialized as they were on
 *    SQLite, and the locks are always taken users → kyc_checks;
 *  - the one-open-check-per-user index and the primary keys of
 *    sandbox_operations and webhook_events_seen decide between racing
 *    inserts (INSERT … ON CONFLICT);
 *  - outbox claims lock their rows with FOR UPDATE SKIP LOCKED, so two
 *    workers never hold the same message while a lease lasts;
 *  - conditional UPDATEs (… WHERE delivered_at IS NULL, … AND status =
 *    'pending') are re-checked by PostgreSQL on the row's newest version.
 */
#include "config.h"

#include <string.h>

#include "cs-store-pg-private.h"

/* A pending check the provider has not answered for this long may be
 * replaced by a new submission. */
#define KYC_STALE_SECONDS          (10 * 60)
/* Delivered webhooks stay this long for inspection. */
#define OUTBOX_KEEP_SECONDS        (7 * 24 * 3600)
#define OUTBOX_PURGE_BATCH         100
#define OUTBOX_MAX_CLAIM           1000
#define LAST_ERROR_MAX_CHARS       500

#define KEY_PLATFORM_BPS     "fees.platform_bps"
#define KEY_PROCESSING_BPS   "fees.processing_bps"
#define KEY_PROCESSING_FIXED "fees.processing_fixed"

/* ---- Statements ------------------------------------------------------------------ */

static const char SQL_SETTING_GET[] = "SELECT value FROM settings WHERE key = $1";
static const char SQL_SETTING_PUT[] =
  "INSERT INTO settings (key, value) VALUES ($1, $2::bigint) "
  "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
/* The three fee settings in one statement: one snapshot. */
static const char SQL_FEES_GET[] =
  "SELECT key, value FROM settings WHERE key IN ($1, $2, $3)";
/* …and written in one statement, always in the same key order. */
static const char SQL_FEES_PUT[] =
  "INSERT INTO settings (key, value) VALUES ($1, $2::bigint), ($3, $4::bigint), ($5, $6::bigint) "
  "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

#define KYC_COLUMNS \
  "id, user_id, status, full_name, country, document_type, document_last4, reason, decided_by, " \
  "created_at, updated_at"

static const char SQL_KYC_EXPIRE_STALE[] =
  "UPDATE kyc_checks SET status = 'expired', updated_at = $3::bigint "
  "WHERE user_id = $1 AND status = 'pending' AND created_at <= $2::bigint";
/* Also the lock on the user that serializes their identity checks. */
static const char SQL_KYC_USER_PENDING[] =
  "UPDATE users SET kyc_status = 'pending' WHERE id = $1 AND kyc_status <> 'verified'";
static const char SQL_KYC_INSERT[] =
  "INSERT INTO kyc_checks (id, user_id, status, full_name, country, document_type, document_last4, "
  "                        created_at, updated_at) "
  "VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7::bigint, $7::bigint)";
static const char SQL_KYC_GET[] =
  "SELECT " KYC_COLUMNS " FROM kyc_checks WHERE id = $1";
static const char SQL_KYC_LATEST[] =
  "SELECT " KYC_COLUMNS " FROM kyc_checks "
  "WHERE user_id = $1 AND status <> 'expired' ORDER BY rowid DESC LIMIT 1";
static const char SQL_USER_KYC_STATUS[] =
  "SELECT kyc_status FROM users WHERE id = $1";
static const char SQL_USER_KYC_SET[] =
  "UPDATE users SET kyc_status = $2 WHERE id = $1";
/* Whose check it is (unlocked: a check never changes owner). */
static const char SQL_KYC_OWNER[] =
  "SELECT user_id FROM kyc_checks WHERE id = $1";
static const char SQL_USER_LOCK[] =
  "SELECT 1 FROM users WHERE id = $1 FOR UPDATE";
/* The provider answers only a pending check. */
static const char SQL_KYC_PROVIDER_DECIDE[] =
  "UPDATE kyc_checks SET status = $2, reason = $3, decided_at = $4::bigint, updated_at = $4::bigint "
  "WHERE id = $1 AND status = 'pending' "
  "RETURNING user_id";
/* What a refused decision found, to say why. */
static const char SQL_KYC_STATE[] =
  "SELECT status, user_id, decided_by FROM kyc_checks WHERE id = $1";
/* A moderator decides a check in review, or overrides a decided one, but
 * only the user's newest check and never their own. */
static const char SQL_KYC_MODERATOR_DECIDE[] =
  "UPDATE kyc_checks SET status = $2, reason = $3, decided_by = $4, decided_at = $5::bigint, "
  "                      updated_at = $5::bigint "
  "WHERE id = $1 AND status IN ('review', 'verified', 'rejected') AND user_id <> $4 "
  "  AND NOT EXISTS (SELECT 1 FROM kyc_checks AS n "
  "                  WHERE n.user_id = kyc_checks.user_id AND n.rowid > kyc_checks.rowid) "
  "RETURNING user_id";
static const char SQL_KYC_QUEUE[] =
  "SELECT " KYC_COLUMNS ", rowid FROM kyc_checks WHERE status = 'review' "
  "ORDER BY created_at, rowid LIMIT $1::bigint";
static const char SQL_KYC_QUEUE_AFTER[] =
  "SELECT " KYC_COLUMNS ", rowid FROM kyc_checks WHERE status = 'review' "
  "  AND (created_at, rowid) > ($2::bigint, $3::bigint) "
  "ORDER BY created_at, rowid LIMIT $1::bigint";

static const char SQL_PM_INSERT[] =
  "INSERT INTO sandbox_payment_methods (id, brand, last4, exp_month, exp_year, behaviour, created_at) "
  "VALUES ($1, $2, $3, $4::integer, $5::integer, $6::integer, $7::bigint)";
static const char SQL_PM_GET[] =
  "SELECT id, brand, last4, exp_month, exp_year, behaviour, created_at "
  "FROM sandbox_payment_methods WHERE id = $1";
static const char SQL_CHARGE_GET[] =
  "SELECT id, payment_method_id, reference, amount, captured_amount, refunded_amount, currency, status "
  "FROM sandbox_charges WHERE id = $1";
static const char SQL_CHARGE_UPSERT[] =
  "INSERT INTO sandbox_charges (id, payment_method_id, reference, amount, captured_amount, "
  "                             refunded_amount, currency, status, created_at, updated_at) "
  "VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6::bigint, $7, $8, $9::bigint, $9::bigint) "
  "ON CONFLICT (id) DO UPDATE SET payment_method_id = excluded.payment_method_id, "
  "  reference = excluded.reference, amount = excluded.amount, "
  "  captured_amount = excluded.captured_amount, refunded_amount = excluded.refunded_amount, "
  "  currency = excluded.currency, status = excluded.status, updated_at = excluded.updated_at";
/* The key is the claim: a second insert of the same key changes nothing
 * (a concurrent one waits for the first to commit, then does nothing). */
static const char SQL_OP_INSERT[] =
  "INSERT INTO sandbox_operations (op_key, charge_id, created_at) VALUES ($1, $2, $3::bigint) "
  "ON CONFLICT (op_key) DO NOTHING";
static const char SQL_OP_GET[] =
  "SELECT charge_id FROM sandbox_operations WHERE op_key = $1";

static const char SQL_OUTBOX_INSERT[] =
  "INSERT INTO webhook_outbox (id, endpoint, event_id, body, next_attempt_at, created_at) "
  "VALUES ($1, $2, $3, $4, $5::bigint, $5::bigint)";
/* Claims (and counts an attempt) in one statement: rows another worker is
 * claiming right now are skipped, and a row claimed and committed meanwhile
 * is re-checked (its lease) before it is locked; handed out oldest due
 * first. */
static const char SQL_OUTBOX_CLAIM[] =
  "WITH due AS ("
  "  SELECT rowid FROM webhook_outbox "
  "  WHERE delivered_at IS NULL AND next_attempt_at <= $2::bigint "
  "    AND (claimed_until IS NULL OR claimed_until <= $2::bigint) "
  "  ORDER BY next_attempt_at, rowid LIMIT $4::bigint "
  "  FOR UPDATE SKIP LOCKED), "
  "claimed AS ("
  "  UPDATE webhook_outbox AS o SET claimed_by = $1, claimed_until = $3::bigint, "
  "                                 attempts = o.attempts + 1 "
  "  FROM due WHERE o.rowid = due.rowid "
  "  RETURNING o.rowid, o.id, o.endpoint, o.event_id, o.body, o.attempts, o.next_attempt_at) "
  "SELECT id, endpoint, event_id, body, attempts, next_attempt_at FROM claimed "
  "ORDER BY next_attempt_at, rowid";
static const char SQL_OUTBOX_DELIVERED[] =
  "UPDATE webhook_outbox SET delivered_at = $2::bigint, claimed_by = NULL, claimed_until = NULL "
  "WHERE id = $1 AND delivered_at IS NULL";
static const char SQL_OUTBOX_RETRY[] =
  "UPDATE webhook_outbox SET next_attempt_at = $2::bigint, last_error = $3, claimed_by = NULL, "
  "                          claimed_until = NULL "
  "WHERE id = $1 AND delivered_at IS NULL";
static const char SQL_OUTBOX_EXISTS[] =
  "SELECT 1 FROM webhook_outbox WHERE id = $1";
/* Two workers purging at once take different rows. */
static const char SQL_OUTBOX_PURGE[] =
  "DELETE FROM webhook_outbox WHERE rowid IN "
  "  (SELECT rowid FROM webhook_outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1::bigint "
  "   ORDER BY delivered_at LIMIT $2::bigint FOR UPDATE SKIP LOCKED)";
static const char SQL_OUTBOX_COUNT[] =
  "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL";

static const char SQL_WEBHOOK_SEEN[] =
  "INSERT INTO webhook_events_seen (event_id, seen_at) VALUES ($1, $2::bigint) "
  "ON CONFLICT (event_id) DO NOTHING";

/* ---- Helpers ----------------------------------------------------------------------- */

static guint
page_limit (guint limit)
{
  if (limit == 0)
    return CS_STORE_DEFAULT_LIMIT;
  return MIN (limit, CS_STORE_MAX_LIMIT);
}

/* Rows a command changed (INSERT, UPDATE, DELETE). */
static gint64
changed_rows (const PGresult *r)
{
  const char *n = PQcmdTuples ((PGresult *) r);

  return n != NULL && *n != '\0' ? g_ascii_strtoll (n, NULL, 10) : 0;
}

/* Runs a statement that must find one row: NOT_FOUND "@what not found" if
 * it finds none. */
static PGresult *
query_found (CsPgConn *c, const char *sql, PgArgs *args, const char *what, GError **error)
{
  PGresult *r = pg_query (c, sql, args, error);

  if (r != NULL && PQntuples (r) == 0)
    {
      PQclear (r);
      pg_set_not_found (error, what);
      return NULL;
    }
  return r;
}

static CsKycCheck *
kyc_from_row (const PGresult *r, int row)
{
  CsKycCheck *check = cs_kyc_check_new ();

  check->id = pg_col_dup (r, row, 0);
  check->user_id = pg_col_dup (r, row, 1);
  /* 'expired' rows are never loaded; anything unknown reads as not verified. */
  if (!cs_kyc_status_from_string (pg_col_text (r, row, 2), &check->status))
    check->status = CS_KYC_UNVERIFIED;
  check->full_name = pg_col_dup (r, row, 3);
  check->country = pg_col_dup (r, row, 4);
  check->document_type = pg_col_dup (r, row, 5);
  check->document_last4 = pg_col_dup (r, row, 6);
  check->reason = pg_col_dup (r, row, 7);
  check->decided_by = pg_col_dup (r, row, 8);
  check->created_at = pg_col_int (r, row, 9);
  check->updated_at = pg_col_int (r, row, 10);
  return check;
}

static CsKycCheck *
kyc_load (CsPgConn *c, const char *kyc_id, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, kyc_id);
  r = query_found (c, SQL_KYC_GET, a, "Identity check", error);
  if (r == NULL)
    return NULL;
  return kyc_from_row (r, 0);
}

static gboolean
set_user_kyc_status (CsPgConn *c, const char *user_id, CsKycStatus status, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, user_id);
  pg_arg_text (a, cs_kyc_status_to_string (status));
  r = pg_query (c, SQL_USER_KYC_SET, a, error);
  return r != NULL;
}

/* Runs an UPDATE … RETURNING user_id: *user_id_out is NULL when no row
 * matched. */
static gboolean
query_returning_user (CsPgConn *c, const char *sql, PgArgs *args, char **user_id_out, GError **error)
{
  g_autoptr(PGresult) r = pg_query (c, sql, args, error);

  if (r == NULL)
    return FALSE;
  if (PQntuples (r) > 0)
    *user_id_out = pg_col_dup (r, 0, 0);
  return TRUE;
}

/* ---- Fees and settings --------------------------------------------------------------- */

static gboolean
setting_read (CsPgConn *c, const char *key, gint64 def, gint64 *out, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, key);
  r = pg_query (c, SQL_SETTING_GET, a, error);
  if (r == NULL)
    return FALSE;
  *out = PQntuples (r) > 0 ? pg_col_int (r, 0, 0) : def;
  return TRUE;
}

gboolean
pg_setting_get_int (CsStoreConn *conn, const char *key, gint64 def, gint64 *out, GError **error)
{
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  /* One statement: atomic on its own. */
  return setting_read ((CsPgConn *) conn, key, def, out, error);
}

gboolean
pg_setting_set_int (CsStoreConn *conn, const char *key, gint64 value, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  g_return_val_if_fail (key != NULL, FALSE);
  pg_arg_text (a, key);
  pg_arg_int (a, value);
  r = pg_query (c, SQL_SETTING_PUT, a, error);
  return r != NULL;
}

gboolean
pg_fee_settings_get (CsStoreConn *conn, CsFeeSettings *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  CsFeeSettings fees;

  g_return_val_if_fail (out != NULL, FALSE);
  cs_fee_settings_default (&fees);
  pg_arg_text (a, KEY_PLATFORM_BPS);
  pg_arg_text (a, KEY_PROCESSING_BPS);
  pg_arg_text (a, KEY_PROCESSING_FIXED);
  r = pg_query (c, SQL_FEES_GET, a, error);
  if (r == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (r); i++)
    {
      const char *key = pg_col_text (r, i, 0);
      gint64 value = pg_col_int (r, i, 1);

      if (g_strcmp0 (key, KEY_PLATFORM_BPS) == 0)
        fees.platform_bps = value;
      else if (g_strcmp0 (key, KEY_PROCESSING_BPS) == 0)
        fees.processing_bps = value;
      else if (g_strcmp0 (key, KEY_PROCESSING_FIXED) == 0)
        fees.processing_fixed = value;
    }
  *out = fees;
  return TRUE;
}

static gboolean
fee_settings_put_txn (CsPgConn *c, const CsFeeSettings *fees, const char *actor_id, gint64 now,
                      GError **error)
{
  g_autofree char *detail = g_strdup_printf ("platform %" G_GINT64_FORMAT " bps, processing %" G_GINT64_FORMAT
                                             " bps + %" G_GINT64_FORMAT, fees->platform_bps,
                                             fees->processing_bps, fees->processing_fixed);
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, KEY_PLATFORM_BPS);
  pg_arg_int (a, fees->platform_bps);
  pg_arg_text (a, KEY_PROCESSING_BPS);
  pg_arg_int (a, fees->processing_bps);
  pg_arg_text (a, KEY_PROCESSING_FIXED);
  pg_arg_int (a, fees->processing_fixed);
  r = pg_query (c, SQL_FEES_PUT, a, error);
  if (r == NULL)
    return FALSE;
  return pg_audit_insert (c, actor_id, "fees.update", "settings", "fees", NULL, detail, now, error);
}

gboolean
pg_fee_settings_put (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id, gint64 now,
                     GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(CsValidation) v = cs_validation_new ();
  gboolean ok;

  g_return_val_if_fail (fees != NULL, FALSE);
  if (fees->platform_bps < 0 || fees->platform_bps > CS_FEE_MAX_BPS)
    cs_validation_add (v, "platform_fee_bps", "must be between 0 and %d", CS_FEE_MAX_BPS);
  if (fees->processing_bps < 0 || fees->processing_bps > CS_FEE_MAX_BPS)
    cs_validation_add (v, "processing_fee_bps", "must be between 0 and %d", CS_FEE_MAX_BPS);
  if (fees->processing_fixed < 0 || fees->processing_fixed > CS_FEE_MAX_FIXED)
    cs_validation_add (v, "processing_fee_fixed", "must be between 0 and %d", CS_FEE_MAX_FIXED);
  if (!cs_validation_finish (v, "The fee settings are not valid.", error))
    return FALSE;
  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  ok = fee_settings_put_txn (c, fees, actor_id, now, error);
  return pg_txn_end (c, ok, error);
}

/* ---- Identity checks: submit ------------------------------------------------------------ */

static CsKycCheck *
kyc_submit_txn (CsPgConn *c, const CsKycCheck *check, gint64 now, GError **error)
{
  /* The user's row first: it serializes this user's identity changes (two
   * submissions at once: the second waits here, then meets the first's
   * open check). */
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, check->user_id);
    r = pg_query (c, SQL_KYC_USER_PENDING, a, error);
    if (r == NULL)
      return NULL;
    if (changed_rows (r) == 0)
      {
        CsKycStatus status;

        /* Either no such user, or verified already. */
        if (!pg_user_kyc_status ((CsStoreConn *) c, check->user_id, &status, error))
          return NULL;
        g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "Your identity is already verified.");
        return NULL;
      }
  }

  /* A check the provider never answered no longer blocks a new one. */
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, check->user_id);
    pg_arg_int (a, now - KYC_STALE_SECONDS);
    pg_arg_int (a, now);
    r = pg_query (c, SQL_KYC_EXPIRE_STALE, a, error);
    if (r == NULL)
      return NULL;
  }

  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;
    g_autoptr(GError) local = NULL;

    pg_arg_text (a, check->id);
    pg_arg_text (a, check->user_id);
    pg_arg_text (a, check->full_name);
    pg_arg_text (a, check->country);
    pg_arg_text (a, check->document_type);
    pg_arg_text (a, check->document_last4);
    pg_arg_int (a, now);
    r = pg_query (c, SQL_KYC_INSERT, a, &local);
    if (r == NULL)
      {
        /* The one-open-check-per-user index decides between two submissions. */
        if (pg_failed_unique (c, NULL))
          g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT,
                               "An identity check is already waiting for a decision.");
        else
          g_propagate_error (error, g_steal_pointer (&local));
        return NULL;
      }
  }
  return kyc_load (c, check->id, error);
}

CsKycCheck *
pg_kyc_submit (CsStoreConn *conn, const CsKycCheck *check, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  g_return_val_if_fail (check != NULL && check->id != NULL && check->user_id != NULL, NULL);

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  return pg_txn_end_with (c, kyc_submit_txn (c, check, now, error),
                          (GDestroyNotify) cs_kyc_check_free, error);
}

/* ---- Identity checks: reads ---------------------------------------------------------------- */

CsKycCheck *
pg_kyc_latest (CsStoreConn *conn, const char *user_id, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, user_id);
  r = pg_query (c, SQL_KYC_LATEST, a, error);
  if (r == NULL || PQntuples (r) == 0)
    return NULL;
  return kyc_from_row (r, 0);
}

gboolean
pg_user_kyc_status (CsStoreConn *conn, const char *user_id, CsKycStatus *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  CsKycStatus status = CS_KYC_UNVERIFIED;

  pg_arg_text (a, user_id);
  r = query_found (c, SQL_USER_KYC_STATUS, a, "User", error);
  if (r == NULL)
    return FALSE;
  /* The column's CHECK allows only our names. */
  cs_kyc_status_from_string (pg_col_text (r, 0, 0), &status);
  if (out != NULL)
    *out = status;
  return TRUE;
}

GPtrArray *
pg_kyc_queue (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_kyc_check_free);
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  gint64 after[2] = { 0, 0 };
  gint64 keys[2] = { 0, 0 };
  gboolean has_more = FALSE;

  if (cursor != NULL && *cursor == '\0')
    cursor = NULL;
  if (cursor != NULL && !cs_store_cursor_decode (cursor, "kyc-queue", after, 2, NULL))
    {
      cs_store_set_cursor_error (error, "cursor");
      return NULL;
    }
  limit = page_limit (limit);
  pg_arg_int (a, (gint64) limit + 1);
  if (cursor != NULL)
    {
      pg_arg_int (a, after[0]);
      pg_arg_int (a, after[1]);
    }
  r = pg_query (c, cursor != NULL ? SQL_KYC_QUEUE_AFTER : SQL_KYC_QUEUE, a, error);
  if (r == NULL)
    return NULL;
  for (int i = 0; i < PQntuples (r); i++)
    {
      if (items->len == limit)
        {
          has_more = TRUE;
          break;
        }
      g_ptr_array_add (items, kyc_from_row (r, i));
      keys[0] = pg_col_int (r, i, 9);    /* created_at */
      keys[1] = pg_col_int (r, i, 11);   /* rowid */
    }
  if (has_more && next_cursor != NULL)
    *next_cursor = cs_store_cursor_encode ("kyc-queue", keys, 2, NULL);
  return g_steal_pointer (&items);
}

/* ---- Identity checks: decisions -------------------------------------------------------------- */

/* After a decision on @kyc_id matched no row: TRUE if it repeats the
 * provider's earlier answer (nothing to do), else FALSE with why it was
 * refused (NOT_FOUND, FORBIDDEN or CONFLICT). */
static gboolean
kyc_repeated (CsPgConn *c, const char *kyc_id, CsKycStatus decision, const char *moderator_id,
              GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  const char *status;

  pg_arg_text (a, kyc_id);
  r = query_found (c, SQL_KYC_STATE, a, "Identity check", error);
  if (r == NULL)
    return FALSE;
  status = pg_col_text (r, 0, 0);

  if (moderator_id == NULL)
    {
      /* Webhooks are delivered at least once: the same answer again is no news. */
      if (g_strcmp0 (status, cs_kyc_status_to_string (decision)) == 0 && pg_col_null (r, 0, 2))
        return TRUE;
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT,
                           "This identity check is not waiting for the provider's answer.");
      return FALSE;
    }

  if (g_strcmp0 (pg_col_text (r, 0, 1), moderator_id) == 0)
    g_set_error_literal (error, CS_ERROR, CS_ERROR_FORBIDDEN,
                         "Moderators cannot decide their own identity check.");
  else if (g_strcmp0 (status, "pending") == 0)
    g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT,
                         "This identity check is still waiting for the provider's answer.");
  else
    g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT,
                         "A newer identity check of this user replaced this one.");
  return FALSE;
}

static CsKycCheck *
kyc_decide_txn (CsPgConn *c, const char *kyc_id, CsKycStatus decision, const char *reason,
                const char *moderator_id, gint64 now, GError **error)
{
  g_autofree char *owner = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *previous = NULL;
  const char *decision_text = cs_kyc_status_to_string (decision);

  /* Lock the check's user first, as kyc_submit does: no new check of this
   * user appears and no other decision on their checks lands until we
   * commit, so "the user's newest check" and the status we read hold. */
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, kyc_id);
    r = query_found (c, SQL_KYC_OWNER, a, "Identity check", error);
    if (r == NULL)
      return NULL;
    owner = pg_col_dup (r, 0, 0);
  }
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, owner);
    r = query_found (c, SQL_USER_LOCK, a, "User", error);
    if (r == NULL)
      return NULL;
  }

  if (moderator_id == NULL)
    {
      g_autoptr(PgArgs) a = pg_args_new ();

      pg_arg_text (a, kyc_id);
      pg_arg_text (a, decision_text);
      pg_arg_text (a, reason);
      pg_arg_int (a, now);
      if (!query_returning_user (c, SQL_KYC_PROVIDER_DECIDE, a, &user_id, error))
        return NULL;
    }
  else
    {
      /* This is the status the UPDATE changes (we hold the user's lock).
       * It is read only for the audit trail; the UPDATE decides. */
      {
        g_autoptr(PgArgs) a = pg_args_new ();
        g_autoptr(PGresult) r = NULL;

        pg_arg_text (a, kyc_id);
        r = query_found (c, SQL_KYC_STATE, a, "Identity check", error);
        if (r == NULL)
          return NULL;
        previous = pg_col_dup (r, 0, 0);
      }
      {
        g_autoptr(PgArgs) a = pg_args_new ();

        pg_arg_text (a, kyc_id);
        pg_arg_text (a, decision_text);
        pg_arg_text (a, reason);
        pg_arg_text (a, moderator_id);
        pg_arg_int (a, now);
        if (!query_returning_user (c, SQL_KYC_MODERATOR_DECIDE, a, &user_id, error))
          return NULL;
      }
    }

  /* Nothing matched: refused, or the provider repeating itself. */
  if (user_id == NULL)
    {
      if (!kyc_repeated (c, kyc_id, decision, moderator_id, error))
        return NULL;
      return kyc_load (c, kyc_id, error);
    }

  if (!set_user_kyc_status (c, user_id, decision, error))
    return NULL;
  if (moderator_id != NULL)
    {
      g_autofree char *detail = g_strdup_printf ("%s → %s", previous, decision_text);

      if (!pg_audit_insert (c, moderator_id, "kyc.decision", "kyc", kyc_id, reason, detail, now, error))
        return NULL;
    }
  return kyc_load (c, kyc_id, error);
}

CsKycCheck *
pg_kyc_decide (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason,
               const char *moderator_id, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  return pg_txn_end_with (c, kyc_decide_txn (c, kyc_id, decision, reason, moderator_id, now, error),
                          (GDestroyNotify) cs_kyc_check_free, error);
}

/* ---- The sandbox processor's records ------------------------------------------------------------- */

gboolean
pg_sandbox_pm_insert (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (pm != NULL, FALSE);

  pg_arg_text (a, pm->id);
  pg_arg_text (a, pm->brand);
  pg_arg_text (a, pm->last4);
  pg_arg_int (a, pm->exp_month);
  pg_arg_int (a, pm->exp_year);
  pg_arg_int (a, pm->behaviour);
  pg_arg_int (a, pm->created_at);
  r = pg_query (c, SQL_PM_INSERT, a, &local);
  if (r != NULL)
    return TRUE;
  if (pg_failed_unique (c, "sandbox_payment_methods_pkey"))
    g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This payment method exists already.");
  else
    g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
pg_sandbox_pm_get (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  CsSandboxPaymentMethod pm = { 0 };

  pg_arg_text (a, pm_id);
  r = query_found (c, SQL_PM_GET, a, "Payment method", error);
  if (r == NULL)
    return FALSE;
  g_strlcpy (pm.id, pg_col_text (r, 0, 0), sizeof pm.id);
  g_strlcpy (pm.brand, pg_col_text (r, 0, 1), sizeof pm.brand);
  g_strlcpy (pm.last4, pg_col_text (r, 0, 2), sizeof pm.last4);
  pm.exp_month = (int) pg_col_int (r, 0, 3);
  pm.exp_year = (int) pg_col_int (r, 0, 4);
  pm.behaviour = (int) pg_col_int (r, 0, 5);
  pm.created_at = pg_col_int (r, 0, 6);
  if (out != NULL)
    *out = pm;
  return TRUE;
}

gboolean
pg_sandbox_charge_get (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  CsSandboxCharge charge = { 0 };
  const char *pm;

  pg_arg_text (a, charge_id);
  r = query_found (c, SQL_CHARGE_GET, a, "Charge", error);
  if (r == NULL)
    return FALSE;
  g_strlcpy (charge.id, pg_col_text (r, 0, 0), sizeof charge.id);
  pm = pg_col_text (r, 0, 1);
  if (pm != NULL)
    g_strlcpy (charge.payment_method_id, pm, sizeof charge.payment_method_id);
  g_strlcpy (charge.reference, pg_col_text (r, 0, 2), sizeof charge.reference);
  charge.amount = pg_col_int (r, 0, 3);
  charge.captured_amount = pg_col_int (r, 0, 4);
  charge.refunded_amount = pg_col_int (r, 0, 5);
  g_strlcpy (charge.currency, pg_col_text (r, 0, 6), sizeof charge.currency);
  g_strlcpy (charge.status, pg_col_text (r, 0, 7), sizeof charge.status);
  if (out != NULL)
    *out = charge;
  return TRUE;
}

static gboolean
outbox_insert (CsPgConn *c, const CsOutboxMessage *event, gint64 now, GError **error)
{
  g_autofree char *generated = event->id == NULL ? cs_id_new ("msg") : NULL;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, event->id != NULL ? event->id : generated);
  pg_arg_text (a, event->endpoint);
  pg_arg_text (a, event->event_id);
  pg_arg_text (a, event->body);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_OUTBOX_INSERT, a, error);
  return r != NULL;
}

static gboolean
charge_upsert (CsPgConn *c, const CsSandboxCharge *charge, gint64 now, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, charge->id);
  pg_arg_text (a, charge->payment_method_id[0] != '\0' ? charge->payment_method_id : NULL);
  pg_arg_text (a, charge->reference);
  pg_arg_int (a, charge->amount);
  pg_arg_int (a, charge->captured_amount);
  pg_arg_int (a, charge->refunded_amount);
  pg_arg_text (a, charge->currency);
  pg_arg_text (a, charge->status);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_CHARGE_UPSERT, a, error);
  return r != NULL;
}

static gboolean
sandbox_record_txn (CsPgConn *c, const char *op_key, const CsSandboxCharge *charge,
                    const CsOutboxMessage *event, gint64 now, gboolean *replayed,
                    char **charge_id_out, GError **error)
{
  gint64 inserted;

  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, op_key);
    pg_arg_text (a, charge != NULL ? charge->id : NULL);
    pg_arg_int (a, now);
    r = pg_query (c, SQL_OP_INSERT, a, error);
    if (r == NULL)
      return FALSE;
    inserted = changed_rows (r);
  }

  if (inserted == 0)
    {
      g_autoptr(PgArgs) a = pg_args_new ();
      g_autoptr(PGresult) r = NULL;

      pg_arg_text (a, op_key);
      r = query_found (c, SQL_OP_GET, a, "Operation", error);
      if (r == NULL)
        return FALSE;
      *replayed = TRUE;
      *charge_id_out = pg_col_dup (r, 0, 0);
      return TRUE;
    }

  if (charge != NULL && !charge_upsert (c, charge, now, error))
    return FALSE;
  if (event != NULL && !outbox_insert (c, event, now, error))
    return FALSE;
  *replayed = FALSE;
  *charge_id_out = charge != NULL ? g_strdup (charge->id) : NULL;
  return TRUE;
}

gboolean
pg_sandbox_record (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge,
                   const CsOutboxMessage *event, gint64 now, gboolean *replayed,
                   char **charge_id_out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autofree char *charge_id = NULL;
  gboolean was_replayed = FALSE;
  gboolean ok;

  g_return_val_if_fail (op_key != NULL, FALSE);

  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  ok = sandbox_record_txn (c, op_key, charge, event, now, &was_replayed, &charge_id, error);
  if (!pg_txn_end (c, ok, error))
    return FALSE;
  if (replayed != NULL)
    *replayed = was_replayed;
  if (charge_id_out != NULL)
    *charge_id_out = g_steal_pointer (&charge_id);
  return TRUE;
}

/* ---- The webhook outbox ------------------------------------------------------------------------------ */

GPtrArray *
pg_outbox_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max,
                 GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  GPtrArray *out;

  g_return_val_if_fail (worker != NULL, NULL);

  if (max == 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cs_outbox_message_free);
  max = MIN (max, OUTBOX_MAX_CLAIM);
  lease = CLAMP (lease, 1, 24 * 3600);
  /* One statement: its own transaction. */
  pg_arg_text (a, worker);
  pg_arg_int (a, now);
  pg_arg_int (a, now + lease);
  pg_arg_int (a, max);
  r = pg_query (c, SQL_OUTBOX_CLAIM, a, error);
  if (r == NULL)
    return NULL;
  out = g_ptr_array_new_full (PQntuples (r), (GDestroyNotify) cs_outbox_message_free);
  for (int i = 0; i < PQntuples (r); i++)
    {
      CsOutboxMessage *m = g_new0 (CsOutboxMessage, 1);

      m->id = pg_col_dup (r, i, 0);
      m->endpoint = pg_col_dup (r, i, 1);
      m->event_id = pg_col_dup (r, i, 2);
      m->body = pg_col_dup (r, i, 3);
      m->attempts = pg_col_int (r, i, 4);
      m->next_attempt_at = pg_col_int (r, i, 5);
      g_ptr_array_add (out, m);
    }
  return out;
}

/* After an UPDATE of message @message_id that changed nothing: NOT_FOUND if
 * it does not exist (else it was delivered already: nothing to do). */
static gboolean
outbox_check_exists (CsPgConn *c, const char *message_id, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, message_id);
  r = query_found (c, SQL_OUTBOX_EXISTS, a, "Outbox message", error);
  return r != NULL;
}

static gboolean
outbox_delivered_txn (CsPgConn *c, const char *message_id, gint64 now, GError **error)
{
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, message_id);
    pg_arg_int (a, now);
    r = pg_query (c, SQL_OUTBOX_DELIVERED, a, error);
    if (r == NULL)
      return FALSE;
    /* A late report after another worker's delivery changes nothing. */
    if (changed_rows (r) == 0)
      return outbox_check_exists (c, message_id, error);
  }
  /* Forget, a few at a time, what was delivered long ago. */
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_int (a, now - OUTBOX_KEEP_SECONDS);
    pg_arg_int (a, OUTBOX_PURGE_BATCH);
    r = pg_query (c, SQL_OUTBOX_PURGE, a, error);
    return r != NULL;
  }
}

gboolean
pg_outbox_delivered (CsStoreConn *conn, const char *message_id, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  return pg_txn_end (c, outbox_delivered_txn (c, message_id, now, error), error);
}

gboolean
pg_outbox_retry (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at,
                 const char *last_error, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  g_autofree char *cut = NULL;

  /* An error text comes from the far side of a network: bound it, and make
   * sure it is valid UTF-8 for the text column. */
  if (last_error != NULL)
    {
      g_autofree char *valid = g_utf8_make_valid (last_error, -1);

      cut = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1), LAST_ERROR_MAX_CHARS));
    }
  /* One statement, then (if it changed nothing) a read: no transaction is
   * needed, a message never comes back once delivered or deleted. */
  pg_arg_text (a, message_id);
  pg_arg_int (a, next_attempt_at);
  pg_arg_text (a, cut);
  r = pg_query (c, SQL_OUTBOX_RETRY, a, error);
  if (r == NULL)
    return FALSE;
  /* Delivered meanwhile (by a worker whose claim followed ours): keep it so. */
  if (changed_rows (r) == 0)
    return outbox_check_exists (c, message_id, error);
  return TRUE;
}

gboolean
pg_outbox_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PGresult) r = query_found (c, SQL_OUTBOX_COUNT, NULL, "Count", error);

  if (r == NULL)
    return FALSE;
  if (count != NULL)
    *count = pg_col_int (r, 0, 0);
  return TRUE;
}

/* ---- Incoming webhooks -------------------------------------------------------------------------------- */

gboolean
pg_webhook_seen (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  g_return_val_if_fail (event_id != NULL, FALSE);

  /* One statement: the primary key decides (a concurrent insert of the
   * same id waits for the first, then inserts nothing). */
  pg_arg_text (a, event_id);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_WEBHOOK_SEEN, a, error);
  if (r == NULL)
    return FALSE;
  if (is_new != NULL)
    *is_new = changed_rows (r) == 1;
  return TRUE;
}
