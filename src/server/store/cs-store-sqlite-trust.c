/* cs-store-sqlite-trust.c: the SQLite backend's identity checks (KYC), the
 * sandbox processor's records and the webhook outbox (003-trust.sql). */
#include "config.h"

#include <string.h>

#include "cs-store-sqlite-private.h"

/* A pending check the provider has not answered for this long may be
 * replaced by a new submission. */
#define KYC_STALE_SECONDS          (10 * 60)
/* Delivered webhooks stay this long for inspection. */
#define OUTBOX_KEEP_SECONDS        (7 * 24 * 3600)
#define OUTBOX_PURGE_BATCH         100
#define OUTBOX_MAX_CLAIM           1000
#define LAST_ERROR_MAX_CHARS       500

/* Statements */

#define KYC_COLUMNS \
  "id, user_id, status, full_name, country, document_type, document_last4, reason, decided_by, " \
  "created_at, updated_at"

static const char SQL_KYC_EXPIRE_STALE[] =
  "UPDATE kyc_checks SET status = 'expired', updated_at = ?3 "
  "WHERE user_id = ?1 AND status = 'pending' AND created_at <= ?2";
static const char SQL_KYC_USER_PENDING[] =
  "UPDATE users SET kyc_status = 'pending' WHERE id = ?1 AND kyc_status <> 'verified'";
static const char SQL_KYC_INSERT[] =
  "INSERT INTO kyc_checks (id, user_id, status, full_name, country, document_type, document_last4, "
  "                        created_at, updated_at) "
  "VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6, ?7, ?7)";
static const char SQL_KYC_GET[] =
  "SELECT " KYC_COLUMNS " FROM kyc_checks WHERE id = ?1";
static const char SQL_KYC_LATEST[] =
  "SELECT " KYC_COLUMNS " FROM kyc_checks "
  "WHERE user_id = ?1 AND status <> 'expired' ORDER BY rowid DESC LIMIT 1";
static const char SQL_USER_KYC_STATUS[] =
  "SELECT kyc_status FROM users WHERE id = ?1";
static const char SQL_USER_KYC_SET[] =
  "UPDATE users SET kyc_status = ?2 WHERE id = ?1";
/* The provider answers only a pending check. */
static const char SQL_KYC_PROVIDER_DECIDE[] =
  "UPDATE kyc_checks SET status = ?2, reason = ?3, decided_at = ?4, updated_at = ?4 "
  "WHERE id = ?1 AND status = 'pending' "
  "RETURNING user_id";
/* What a refused decision found, to say why. */
static const char SQL_KYC_STATE[] =
  "SELECT status, user_id, decided_by FROM kyc_checks WHERE id = ?1";
/* A moderator decides a check in review, or overrides a decided one, but
 * only the user's newest check and never their own. */
static const char SQL_KYC_MODERATOR_DECIDE[] =
  "UPDATE kyc_checks SET status = ?2, reason = ?3, decided_by = ?4, decided_at = ?5, updated_at = ?5 "
  "WHERE id = ?1 AND status IN ('review', 'verified', 'rejected') AND user_id <> ?4 "
  "  AND NOT EXISTS (SELECT 1 FROM kyc_checks AS n "
  "                  WHERE n.user_id = kyc_checks.user_id AND n.rowid > kyc_checks.rowid) "
  "RETURNING user_id";
static const char SQL_KYC_QUEUE[] =
  "SELECT " KYC_COLUMNS ", rowid FROM kyc_checks WHERE status = 'review' "
  "ORDER BY created_at, rowid LIMIT ?1";
static const char SQL_KYC_QUEUE_AFTER[] =
  "SELECT " KYC_COLUMNS ", rowid FROM kyc_checks WHERE status = 'review' "
  "  AND (created_at, rowid) > (?2, ?3) "
  "ORDER BY created_at, rowid LIMIT ?1";

static const char SQL_PM_INSERT[] =
  "INSERT INTO sandbox_payment_methods (id, brand, last4, exp_month, exp_year, behaviour, created_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_PM_GET[] =
  "SELECT id, brand, last4, exp_month, exp_year, behaviour, created_at "
  "FROM sandbox_payment_methods WHERE id = ?1";
static const char SQL_CHARGE_GET[] =
  "SELECT id, payment_method_id, reference, amount, captured_amount, refunded_amount, currency, status "
  "FROM sandbox_charges WHERE id = ?1";
static const char SQL_CHARGE_UPSERT[] =
  "INSERT INTO sandbox_charges (id, payment_method_id, reference, amount, captured_amount, "
  "                             refunded_amount, currency, status, created_at, updated_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "
  "ON CONFLICT (id) DO UPDATE SET payment_method_id = excluded.payment_method_id, "
  "  reference = excluded.reference, amount = excluded.amount, "
  "  captured_amount = excluded.captured_amount, refunded_amount = excluded.refunded_amount, "
  "  currency = excluded.currency, status = excluded.status, updated_at = excluded.updated_at";
/* The key is the claim: a second insert of the same key changes nothing. */
static const char SQL_OP_INSERT[] =
  "INSERT INTO sandbox_operations (op_key, charge_id, created_at) VALUES (?1, ?2, ?3) "
  "ON CONFLICT (op_key) DO NOTHING";
static const char SQL_OP_GET[] =
  "SELECT charge_id FROM sandbox_operations WHERE op_key = ?1";

static const char SQL_OUTBOX_INSERT[] =
  "INSERT INTO webhook_outbox (id, endpoint, event_id, body, next_attempt_at, created_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
/* Claims (and counts an attempt) in one statement under the write lock, so
 * two workers never hold the same message while a lease lasts. */
static const char SQL_OUTBOX_CLAIM[] =
  "UPDATE webhook_outbox SET claimed_by = ?1, claimed_until = ?3, attempts = attempts + 1 "
  "WHERE rowid IN (SELECT rowid FROM webhook_outbox "
  "                WHERE delivered_at IS NULL AND next_attempt_at <= ?2 "
  "                  AND (claimed_until IS NULL OR claimed_until <= ?2) "
  "                ORDER BY next_attempt_at, rowid LIMIT ?4) "
  "RETURNING rowid, id, endpoint, event_id, body, attempts, next_attempt_at";
static const char SQL_OUTBOX_DELIVERED[] =
  "UPDATE webhook_outbox SET delivered_at = ?2, claimed_by = NULL, claimed_until = NULL "
  "WHERE id = ?1 AND delivered_at IS NULL";
static const char SQL_OUTBOX_RETRY[] =
  "UPDATE webhook_outbox SET next_attempt_at = ?2, last_error = ?3, claimed_by = NULL, "
  "                          claimed_until = NULL "
  "WHERE id = ?1 AND delivered_at IS NULL";
static const char SQL_OUTBOX_EXISTS[] =
  "SELECT 1 FROM webhook_outbox WHERE id = ?1";
static const char SQL_OUTBOX_PURGE[] =
  "DELETE FROM webhook_outbox WHERE rowid IN "
  "  (SELECT rowid FROM webhook_outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?1 "
  "   ORDER BY delivered_at LIMIT ?2)";
static const char SQL_OUTBOX_COUNT[] =
  "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL";

static const char SQL_WEBHOOK_SEEN[] =
  "INSERT INTO webhook_events_seen (event_id, seen_at) VALUES (?1, ?2) "
  "ON CONFLICT (event_id) DO NOTHING";

/* Helpers */

static guint
page_limit (guint limit)
{
  if (limit == 0)
    return CS_STORE_DEFAULT_LIMIT;
  return MIN (limit, CS_STORE_MAX_LIMIT);
}

static CsKycCheck *
kyc_from_row (sqlite3_stmt *st)
{
  CsKycCheck *check = cs_kyc_check_new ();

  check->id = sq_col_dup (st, 0);
  check->user_id = sq_col_dup (st, 1);
  /* 'expired' rows are never loaded; anything unknown reads as not verified. */
  if (!cs_kyc_status_from_string (sq_col_text (st, 2), &check->status))
    check->status = CS_KYC_UNVERIFIED;
  check->full_name = sq_col_dup (st, 3);
  check->country = sq_col_dup (st, 4);
  check->document_type = sq_col_dup (st, 5);
  check->document_last4 = sq_col_dup (st, 6);
  check->reason = sq_col_dup (st, 7);
  check->decided_by = sq_col_dup (st, 8);
  check->created_at = sq_col_int (st, 9);
  check->updated_at = sq_col_int (st, 10);
  return check;
}

static CsKycCheck *
kyc_load (CsSqliteConn *c, const char *kyc_id, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_GET, error);

  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, kyc_id);
  if (!sq_step_found (c, st, "Identity check", error))
    return NULL;
  return kyc_from_row (st);
}

static gboolean
set_user_kyc_status (CsSqliteConn *c, const char *user_id, CsKycStatus status, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_USER_KYC_SET, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, user_id);
  sq_bind_text (st, 2, cs_kyc_status_to_string (status));
  return sq_step_done (c, st, error);
}

/* Runs an UPDATE … RETURNING user_id: *user_id_out is NULL when no row
 * matched. */
static gboolean
step_returning_user (CsSqliteConn *c, sqlite3_stmt *st, char **user_id_out, GError **error)
{
  int rc = sqlite3_step (st);

  if (rc == SQLITE_ROW)
    {
      *user_id_out = sq_col_dup (st, 0);
      rc = sqlite3_step (st);
    }
  if (rc != SQLITE_DONE)
    {
      g_clear_pointer (user_id_out, g_free);
      return sq_db_fail (c, rc, error);
    }
  return TRUE;
}

/* Identity checks: submit */

static CsKycCheck *
kyc_submit_txn (CsSqliteConn *c, const CsKycCheck *check, gint64 now, GError **error)
{
  int rc;

  /* A check the provider never answered no longer blocks a new one. */
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_EXPIRE_STALE, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, check->user_id);
    sq_bind_int (st, 2, now - KYC_STALE_SECONDS);
    sq_bind_int (st, 3, now);
    if (!sq_step_done (c, st, error))
      return NULL;
  }

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_USER_PENDING, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, check->user_id);
    if (!sq_step_done (c, st, error))
      return NULL;
    if (sqlite3_changes (c->db) == 0)
      {
        CsKycStatus status;

        /* Either no such user, or verified already. */
        if (!sqlite_user_kyc_status ((CsStoreConn *) c, check->user_id, &status, error))
          return NULL;
        g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "Your identity is already verified.");
        return NULL;
      }
  }

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_INSERT, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, check->id);
    sq_bind_text (st, 2, check->user_id);
    sq_bind_text (st, 3, check->full_name);
    sq_bind_text (st, 4, check->country);
    sq_bind_text (st, 5, check->document_type);
    sq_bind_text (st, 6, check->document_last4);
    sq_bind_int (st, 7, now);
    rc = sqlite3_step (st);
    /* The one-open-check-per-user index decides between two submissions. */
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
      {
        g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT,
                             "An identity check is already waiting for a decision.");
        return NULL;
      }
    if (rc != SQLITE_DONE)
      {
        sq_db_fail (c, rc, error);
        return NULL;
      }
  }
  return kyc_load (c, check->id, error);
}

CsKycCheck *
sqlite_kyc_submit (CsStoreConn *conn, const CsKycCheck *check, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  g_return_val_if_fail (check != NULL && check->id != NULL && check->user_id != NULL, NULL);

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, kyc_submit_txn (c, check, now, error),
                          (GDestroyNotify) cs_kyc_check_free, error);
}

/* Identity checks: reads */

CsKycCheck *
sqlite_kyc_latest (CsStoreConn *conn, const char *user_id, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_LATEST, error);
  int rc;

  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, user_id);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    return kyc_from_row (st);
  if (rc != SQLITE_DONE)
    sq_db_fail (c, rc, error);
  return NULL;
}

gboolean
sqlite_user_kyc_status (CsStoreConn *conn, const char *user_id, CsKycStatus *out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_USER_KYC_STATUS, error);
  CsKycStatus status = CS_KYC_UNVERIFIED;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, user_id);
  if (!sq_step_found (c, st, "User", error))
    return FALSE;
  /* The column's CHECK allows only our names. */
  cs_kyc_status_from_string (sq_col_text (st, 0), &status);
  if (out != NULL)
    *out = status;
  return TRUE;
}

GPtrArray *
sqlite_kyc_queue (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor,
                  GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_kyc_check_free);
  g_autoptr(CsStmtLease) st = NULL;
  gint64 after[2] = { 0, 0 };
  gint64 keys[2] = { 0, 0 };
  gboolean has_more = FALSE;
  int rc;

  if (cursor != NULL && *cursor == '\0')
    cursor = NULL;
  if (cursor != NULL && !cs_store_cursor_decode (cursor, "kyc-queue", after, 2, NULL))
    {
      cs_store_set_cursor_error (error, "cursor");
      return NULL;
    }
  limit = page_limit (limit);
  st = sq_stmt_static (c, cursor != NULL ? SQL_KYC_QUEUE_AFTER : SQL_KYC_QUEUE, error);
  if (st == NULL)
    return NULL;
  sq_bind_int (st, 1, (gint64) limit + 1);
  if (cursor != NULL)
    {
      sq_bind_int (st, 2, after[0]);
      sq_bind_int (st, 3, after[1]);
    }
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      if (items->len == limit)
        {
          has_more = TRUE;
          break;
        }
      g_ptr_array_add (items, kyc_from_row (st));
      keys[0] = sq_col_int (st, 9);    /* created_at */
      keys[1] = sq_col_int (st, 11);   /* rowid */
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  if (has_more && next_cursor != NULL)
    *next_cursor = cs_store_cursor_encode ("kyc-queue", keys, 2, NULL);
  return g_steal_pointer (&items);
}

/* Identity checks: decisions */

/* After a decision on @kyc_id matched no row: TRUE if it repeats the
 * provider's earlier answer (nothing to do), else FALSE with why it was
 * refused (NOT_FOUND, FORBIDDEN or CONFLICT). */
static gboolean
kyc_repeated (CsSqliteConn *c, const char *kyc_id, CsKycStatus decision, const char *moderator_id,
              GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_STATE, error);
  const char *status;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, kyc_id);
  if (!sq_step_found (c, st, "Identity check", error))
    return FALSE;
  status = sq_col_text (st, 0);

  if (moderator_id == NULL)
    {
      /* Webhooks are delivered at least once: the same answer again is no news. */
      if (g_strcmp0 (status, cs_kyc_status_to_string (decision)) == 0 &&
          sqlite3_column_type (st, 2) == SQLITE_NULL)
        return TRUE;
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT,
                           "This identity check is not waiting for the provider's answer.");
      return FALSE;
    }

  if (g_strcmp0 (sq_col_text (st, 1), moderator_id) == 0)
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
kyc_decide_txn (CsSqliteConn *c, const char *kyc_id, CsKycStatus decision, const char *reason,
                const char *moderator_id, gint64 now, GError **error)
{
  g_autofree char *user_id = NULL;
  g_autofree char *previous = NULL;
  const char *decision_text = cs_kyc_status_to_string (decision);

  if (moderator_id == NULL)
    {
      g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_PROVIDER_DECIDE, error);

      if (st == NULL)
        return NULL;
      sq_bind_text (st, 1, kyc_id);
      sq_bind_text (st, 2, decision_text);
      sq_bind_text (st, 3, reason);
      sq_bind_int (st, 4, now);
      if (!step_returning_user (c, st, &user_id, error))
        return NULL;
    }
  else
    {
      /* We hold the write lock: this is the status the UPDATE changes.  It
       * is read only for the audit trail; the UPDATE decides. */
      {
        g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_STATE, error);

        if (st == NULL)
          return NULL;
        sq_bind_text (st, 1, kyc_id);
        if (!sq_step_found (c, st, "Identity check", error))
          return NULL;
        previous = sq_col_dup (st, 0);
      }
      {
        g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_KYC_MODERATOR_DECIDE, error);

        if (st == NULL)
          return NULL;
        sq_bind_text (st, 1, kyc_id);
        sq_bind_text (st, 2, decision_text);
        sq_bind_text (st, 3, reason);
        sq_bind_text (st, 4, moderator_id);
        sq_bind_int (st, 5, now);
        if (!step_returning_user (c, st, &user_id, error))
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

      if (!sq_audit_insert (c, moderator_id, "kyc.decision", "kyc", kyc_id, reason, detail, now, error))
        return NULL;
    }
  return kyc_load (c, kyc_id, error);
}

CsKycCheck *
sqlite_kyc_decide (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason,
                   const char *moderator_id, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, kyc_decide_txn (c, kyc_id, decision, reason, moderator_id, now, error),
                          (GDestroyNotify) cs_kyc_check_free, error);
}

/* The sandbox processor's records */

gboolean
sqlite_sandbox_pm_insert (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;
  int rc;

  g_return_val_if_fail (pm != NULL, FALSE);

  st = sq_stmt_static (c, SQL_PM_INSERT, error);
  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, pm->id);
  sq_bind_text (st, 2, pm->brand);
  sq_bind_text (st, 3, pm->last4);
  sq_bind_int (st, 4, pm->exp_month);
  sq_bind_int (st, 5, pm->exp_year);
  sq_bind_int (st, 6, pm->behaviour);
  sq_bind_int (st, 7, pm->created_at);
  rc = sqlite3_step (st);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This payment method exists already.");
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  return TRUE;
}

gboolean
sqlite_sandbox_pm_get (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out,
                       GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PM_GET, error);
  CsSandboxPaymentMethod pm = { 0 };

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, pm_id);
  if (!sq_step_found (c, st, "Payment method", error))
    return FALSE;
  g_strlcpy (pm.id, sq_col_text (st, 0), sizeof pm.id);
  g_strlcpy (pm.brand, sq_col_text (st, 1), sizeof pm.brand);
  g_strlcpy (pm.last4, sq_col_text (st, 2), sizeof pm.last4);
  pm.exp_month = (int) sq_col_int (st, 3);
  pm.exp_year = (int) sq_col_int (st, 4);
  pm.behaviour = (int) sq_col_int (st, 5);
  pm.created_at = sq_col_int (st, 6);
  if (out != NULL)
    *out = pm;
  return TRUE;
}

gboolean
sqlite_sandbox_charge_get (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out,
                           GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_CHARGE_GET, error);
  CsSandboxCharge charge = { 0 };
  const char *pm;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, charge_id);
  if (!sq_step_found (c, st, "Charge", error))
    return FALSE;
  g_strlcpy (charge.id, sq_col_text (st, 0), sizeof charge.id);
  pm = sq_col_text (st, 1);
  if (pm != NULL)
    g_strlcpy (charge.payment_method_id, pm, sizeof charge.payment_method_id);
  g_strlcpy (charge.reference, sq_col_text (st, 2), sizeof charge.reference);
  charge.amount = sq_col_int (st, 3);
  charge.captured_amount = sq_col_int (st, 4);
  charge.refunded_amount = sq_col_int (st, 5);
  g_strlcpy (charge.currency, sq_col_text (st, 6), sizeof charge.currency);
  g_strlcpy (charge.status, sq_col_text (st, 7), sizeof charge.status);
  if (out != NULL)
    *out = charge;
  return TRUE;
}

static gboolean
outbox_insert (CsSqliteConn *c, const CsOutboxMessage *event, gint64 now, GError **error)
{
  g_autofree char *generated = event->id == NULL ? cs_id_new ("msg") : NULL;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OUTBOX_INSERT, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, event->id != NULL ? event->id : generated);
  sq_bind_text (st, 2, event->endpoint);
  sq_bind_text (st, 3, event->event_id);
  sq_bind_text (st, 4, event->body);
  sq_bind_int (st, 5, now);
  return sq_step_done (c, st, error);
}

static gboolean
charge_upsert (CsSqliteConn *c, const CsSandboxCharge *charge, gint64 now, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_CHARGE_UPSERT, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, charge->id);
  sq_bind_text (st, 2, charge->payment_method_id[0] != '\0' ? charge->payment_method_id : NULL);
  sq_bind_text (st, 3, charge->reference);
  sq_bind_int (st, 4, charge->amount);
  sq_bind_int (st, 5, charge->captured_amount);
  sq_bind_int (st, 6, charge->refunded_amount);
  sq_bind_text (st, 7, charge->currency);
  sq_bind_text (st, 8, charge->status);
  sq_bind_int (st, 9, now);
  return sq_step_done (c, st, error);
}

static gboolean
sandbox_record_txn (CsSqliteConn *c, const char *op_key, const CsSandboxCharge *charge,
                    const CsOutboxMessage *event, gint64 now, gboolean *replayed,
                    char **charge_id_out, GError **error)
{
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OP_INSERT, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, op_key);
    sq_bind_text (st, 2, charge != NULL ? charge->id : NULL);
    sq_bind_int (st, 3, now);
    if (!sq_step_done (c, st, error))
      return FALSE;
  }

  if (sqlite3_changes (c->db) == 0)
    {
      g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OP_GET, error);

      if (st == NULL)
        return FALSE;
      sq_bind_text (st, 1, op_key);
      if (!sq_step_found (c, st, "Operation", error))
        return FALSE;
      *replayed = TRUE;
      *charge_id_out = sq_col_dup (st, 0);
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
sqlite_sandbox_record (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge,
                       const CsOutboxMessage *event, gint64 now, gboolean *replayed,
                       char **charge_id_out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autofree char *charge_id = NULL;
  gboolean was_replayed = FALSE;

  g_return_val_if_fail (op_key != NULL, FALSE);

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  if (!sq_txn_end (c, sandbox_record_txn (c, op_key, charge, event, now, &was_replayed, &charge_id,
                                          error),
                   error))
    return FALSE;
  if (replayed != NULL)
    *replayed = was_replayed;
  if (charge_id_out != NULL)
    *charge_id_out = g_steal_pointer (&charge_id);
  return TRUE;
}

/* The webhook outbox */

typedef struct {
  gint64           rowid;
  CsOutboxMessage *message;
} Claimed;

static int
claimed_compare (gconstpointer a, gconstpointer b)
{
  const Claimed *x = a, *y = b;

  if (x->message->next_attempt_at != y->message->next_attempt_at)
    return x->message->next_attempt_at < y->message->next_attempt_at ? -1 : 1;
  return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

static GPtrArray *
outbox_claim_txn (CsSqliteConn *c, const char *worker, gint64 now, gint64 lease, guint max,
                  GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OUTBOX_CLAIM, error);
  g_autoptr(GArray) claimed = g_array_new (FALSE, FALSE, sizeof (Claimed));
  GPtrArray *out;
  int rc;

  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, worker);
  sq_bind_int (st, 2, now);
  sq_bind_int (st, 3, now + lease);
  sq_bind_int (st, 4, max);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      Claimed item = { sq_col_int (st, 0), g_new0 (CsOutboxMessage, 1) };

      item.message->id = sq_col_dup (st, 1);
      item.message->endpoint = sq_col_dup (st, 2);
      item.message->event_id = sq_col_dup (st, 3);
      item.message->body = sq_col_dup (st, 4);
      item.message->attempts = sq_col_int (st, 5);
      item.message->next_attempt_at = sq_col_int (st, 6);
      g_array_append_val (claimed, item);
    }
  if (rc != SQLITE_DONE)
    {
      for (guint i = 0; i < claimed->len; i++)
        cs_outbox_message_free (g_array_index (claimed, Claimed, i).message);
      sq_db_fail (c, rc, error);
      return NULL;
    }

  /* RETURNING has no order: hand them out oldest due first. */
  g_array_sort (claimed, claimed_compare);
  out = g_ptr_array_new_full (claimed->len, (GDestroyNotify) cs_outbox_message_free);
  for (guint i = 0; i < claimed->len; i++)
    g_ptr_array_add (out, g_array_index (claimed, Claimed, i).message);
  return out;
}

GPtrArray *
sqlite_outbox_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max,
                     GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  g_return_val_if_fail (worker != NULL, NULL);

  if (max == 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cs_outbox_message_free);
  max = MIN (max, OUTBOX_MAX_CLAIM);
  lease = CLAMP (lease, 1, 24 * 3600);
  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, outbox_claim_txn (c, worker, now, lease, max, error),
                          (GDestroyNotify) g_ptr_array_unref, error);
}

/* After an UPDATE of message @message_id that changed nothing: NOT_FOUND if
 * it does not exist (else it was delivered already: nothing to do). */
static gboolean
outbox_check_exists (CsSqliteConn *c, const char *message_id, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OUTBOX_EXISTS, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, message_id);
  return sq_step_found (c, st, "Outbox message", error);
}

static gboolean
outbox_delivered_txn (CsSqliteConn *c, const char *message_id, gint64 now, GError **error)
{
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OUTBOX_DELIVERED, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, message_id);
    sq_bind_int (st, 2, now);
    if (!sq_step_done (c, st, error))
      return FALSE;
    /* A late report after another worker's delivery changes nothing. */
    if (sqlite3_changes (c->db) == 0)
      return outbox_check_exists (c, message_id, error);
  }
  /* Forget, a few at a time, what was delivered long ago. */
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OUTBOX_PURGE, error);

    if (st == NULL)
      return FALSE;
    sq_bind_int (st, 1, now - OUTBOX_KEEP_SECONDS);
    sq_bind_int (st, 2, OUTBOX_PURGE_BATCH);
    return sq_step_done (c, st, error);
  }
}

gboolean
sqlite_outbox_delivered (CsStoreConn *conn, const char *message_id, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  return sq_txn_end (c, outbox_delivered_txn (c, message_id, now, error), error);
}

static gboolean
outbox_retry_txn (CsSqliteConn *c, const char *message_id, gint64 next_attempt_at,
                  const char *last_error, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OUTBOX_RETRY, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, message_id);
  sq_bind_int (st, 2, next_attempt_at);
  sq_bind_text (st, 3, last_error);
  if (!sq_step_done (c, st, error))
    return FALSE;
  /* Delivered meanwhile (by a worker whose claim followed ours): keep it so. */
  if (sqlite3_changes (c->db) == 0)
    return outbox_check_exists (c, message_id, error);
  return TRUE;
}

gboolean
sqlite_outbox_retry (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at,
                     const char *last_error, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autofree char *cut = NULL;

  /* An error text comes from the far side of a network: bound it, and make
   * sure it is valid UTF-8 for the TEXT column. */
  if (last_error != NULL)
    {
      g_autofree char *valid = g_utf8_make_valid (last_error, -1);

      cut = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1), LAST_ERROR_MAX_CHARS));
    }
  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  return sq_txn_end (c, outbox_retry_txn (c, message_id, next_attempt_at, cut, error), error);
}

gboolean
sqlite_outbox_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_OUTBOX_COUNT, error);

  if (st == NULL)
    return FALSE;
  if (!sq_step_found (c, st, "Count", error))
    return FALSE;
  if (count != NULL)
    *count = sq_col_int (st, 0);
  return TRUE;
}

/* Incoming webhooks */

gboolean
sqlite_webhook_seen (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new,
                     GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;

  g_return_val_if_fail (event_id != NULL, FALSE);

  /* One statement, so one transaction: the primary key decides. */
  st = sq_stmt_static (c, SQL_WEBHOOK_SEEN, error);
  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, event_id);
  sq_bind_int (st, 2, now);
  if (!sq_step_done (c, st, error))
    return FALSE;
  if (is_new != NULL)
    *is_new = sqlite3_changes (c->db) == 1;
  return TRUE;
}
