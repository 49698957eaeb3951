/* cs-store-sqlite-private.h: what the files of the SQLite backend share.
 *
 * cs-store-sqlite.c holds the connection, migrations and the platform's
 * first operations; cs-store-sqlite-money.c (pledges, payments, ledger,
 * settlement, withdrawals) and cs-store-sqlite-trust.c (identity checks,
 * fees, settings, the sandbox processor's records, webhook outbox) use the
 * helpers below.  Only the SQLite backend's files include this header.
 *
 * Statements: cs-store-sqlite.c has its own table of statements (StmtId);
 * the other files keep each SQL text in a `static const char NAME[]` and
 * use sq_stmt_static (c, NAME, error), which prepares it once per
 * connection and caches it by the constant's address.  A use is a lease:
 *
 *   g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGE_GET, error);
 *   if (st == NULL) return FALSE;
 *   sq_bind_text (st, 1, id);
 *   if (!sq_step_found (c, st, "Pledge", error)) return FALSE;
 *
 * and the statement is reset and unbound when the lease leaves scope.
 * Values bound with sq_bind_text() are SQLITE_STATIC: they must outlive
 * the lease.
 */
#pragma once

#include <sqlite3.h>
#include "cs-store-private.h"

G_BEGIN_DECLS

typedef struct {
  CsStoreConn    parent;
  sqlite3       *db;
  sqlite3_stmt **stmts;     /* cs-store-sqlite.c's StmtId table */
  GHashTable    *shapes;    /* SQL text → sqlite3_stmt*: campaign list shapes */
  GHashTable    *statics;   /* SQL constant's address → sqlite3_stmt* */
  gboolean       holds_write_lock;  /* see sq_txn_begin() */
} CsSqliteConn;

/* A statement in use: reset and unbound when the lease ends. */
typedef sqlite3_stmt CsStmtLease;

static inline void
sq_stmt_lease_end (CsStmtLease *st)
{
  sqlite3_reset (st);
  sqlite3_clear_bindings (st);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsStmtLease, sq_stmt_lease_end)

static inline void
sq_bind_text (sqlite3_stmt *st, int i, const char *value)
{
  /* SQLITE_STATIC: every value outlives the lease that binds it. */
  sqlite3_bind_text (st, i, value, -1, SQLITE_STATIC);
}

static inline void
sq_bind_int (sqlite3_stmt *st, int i, gint64 value)
{
  sqlite3_bind_int64 (st, i, value);
}

static inline char *
sq_col_dup (sqlite3_stmt *st, int i)
{
  const unsigned char *text = sqlite3_column_text (st, i);

  if (text == NULL)
    return NULL;
  return g_strndup ((const char *) text, sqlite3_column_bytes (st, i));
}

static inline const char *
sq_col_text (sqlite3_stmt *st, int i)
{
  return (const char *) sqlite3_column_text (st, i);
}

static inline gint64
sq_col_int (sqlite3_stmt *st, int i)
{
  return sqlite3_column_int64 (st, i);
}

/* For a statement that failed with @rc: BUSY/LOCKED → UNAVAILABLE; a
 * foreign key → NOT_FOUND; CHECK/NOT NULL → INVALID; else logged and
 * INTERNAL.  Always returns FALSE. */
gboolean     sq_db_fail          (CsSqliteConn *c, int rc, GError **error);
void         sq_set_not_found    (GError **error, const char *what);
sqlite3_stmt *sq_prepare         (CsSqliteConn *c, const char *sql, GError **error);
CsStmtLease *sq_stmt_static      (CsSqliteConn *c, const char *sql, GError **error);
CsStmtLease *sq_shape_stmt       (CsSqliteConn *c, const char *sql, GError **error);
void         sq_bind_named_text  (sqlite3_stmt *st, const char *name, const char *value);
void         sq_bind_named_int   (sqlite3_stmt *st, const char *name, gint64 value);
/* Steps a statement that returns no rows to its end. */
gboolean     sq_step_done        (CsSqliteConn *c, sqlite3_stmt *st, GError **error);
/* Steps to its row: NOT_FOUND "@what not found" if none. */
gboolean     sq_step_found       (CsSqliteConn *c, sqlite3_stmt *st, const char *what, GError **error);
/* BEGIN IMMEDIATE (@write) or a deferred BEGIN. */
gboolean     sq_txn_begin        (CsSqliteConn *c, gboolean write, GError **error);
/* Commits if @ok, else rolls back; returns whether it committed. */
gboolean     sq_txn_end          (CsSqliteConn *c, gboolean ok, GError **error);
/* sq_txn_end() for a transaction that produced @result (NULL if it failed). */
gpointer     sq_txn_end_with     (CsSqliteConn *c, gpointer result, GDestroyNotify free_func, GError **error);
/* The next change sequence value (inside a write transaction): store it in
 * campaigns.change_seq when a campaign's public state changes. */
gboolean     sq_bump_seq         (CsSqliteConn *c, gint64 *seq, GError **error);
/* A campaign with its rewards and creator summary, NOT_FOUND if absent. */
CsCampaign  *sq_load_campaign    (CsSqliteConn *c, const char *campaign_id, GError **error);
/* Appends an audit_log row (actor NULL: the system). */
gboolean     sq_audit_insert     (CsSqliteConn *c, const char *actor_id, const char *action,
                                  const char *subject_type, const char *subject_id, const char *reason,
                                  const char *detail, gint64 now, GError **error);

/* When a campaign is cancelled or suspended (inside the transition's
 * transaction; cs-store-sqlite-money.c): every authorized pledge is voided
 * (ledger, VOID job, reward released) and stays counted.  The caller marks
 * the campaign changed. */
gboolean     sq_money_void_campaign (CsSqliteConn *c, const char *campaign_id, gboolean suspended, gint64 now,
                                     GError **error);

/* The SQLite implementations of cs-store-money.h (cs-store-sqlite-money.c
 * and cs-store-sqlite-trust.c), named sqlite_<operation>. */
gboolean sqlite_pledge_create (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now, CsPledge **out, CsReplay *replay, GError **error);
CsPledge  * sqlite_pledge_get (CsStoreConn *conn, const char *pledge_id, GError **error);
GPtrArray * sqlite_pledge_list_for_backer (CsStoreConn *conn, const char *backer_id, const char *cursor, guint limit, char **next_cursor, GError **error);
GPtrArray * sqlite_pledge_list_for_campaign (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit, char **next_cursor, GError **error);
CsPledge  * sqlite_pledge_change (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress, GError **error);
CsPledge  * sqlite_pledge_cancel (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const char *job_id, gint64 now, CsCampaignProgress *progress, GError **error);
GPtrArray * sqlite_payment_jobs_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error);
gboolean sqlite_payment_job_done (CsStoreConn *conn, const char *job_id, const char *gateway_ref, gint64 now, GError **error);
gboolean sqlite_payment_job_retry (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at, const char *last_error, GError **error);
gboolean sqlite_payment_jobs_count (CsStoreConn *conn, gint64 *count, GError **error);
gboolean sqlite_payment_event_apply (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now, gboolean *duplicate, CsCampaignProgress *progress, GError **error);
gboolean sqlite_settle_due (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled, GError **error);
gboolean sqlite_expire_capture_failed (CsStoreConn *conn, gint64 now, GPtrArray *progress, GError **error);
gboolean sqlite_campaign_balance (CsStoreConn *conn, const char *campaign_id, CsBalance *out, GError **error);
gboolean sqlite_withdrawal_create (CsStoreConn *conn, const CsWithdrawalCreate *in, const CsIdempotency *idem, gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error);
GPtrArray * sqlite_withdrawal_list (CsStoreConn *conn, const char *creator_id, const char *cursor, guint limit, char **next_cursor, GError **error);
gboolean sqlite_check_books (CsStoreConn *conn, GPtrArray *violations, GError **error);
gboolean sqlite_fee_settings_get (CsStoreConn *conn, CsFeeSettings *out, GError **error);
gboolean sqlite_fee_settings_put (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id, gint64 now, GError **error);
gboolean sqlite_setting_get_int (CsStoreConn *conn, const char *key, gint64 def, gint64 *out, GError **error);
gboolean sqlite_setting_set_int (CsStoreConn *conn, const char *key, gint64 value, GError **error);
CsKycCheck * sqlite_kyc_submit (CsStoreConn *conn, const CsKycCheck *check, gint64 now, GError **error);
CsKycCheck * sqlite_kyc_latest (CsStoreConn *conn, const char *user_id, GError **error);
gboolean sqlite_user_kyc_status (CsStoreConn *conn, const char *user_id, CsKycStatus *out, GError **error);
CsKycCheck * sqlite_kyc_decide (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason, const char *moderator_id, gint64 now, GError **error);
GPtrArray  * sqlite_kyc_queue (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error);
gboolean sqlite_sandbox_pm_insert (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error);
gboolean sqlite_sandbox_pm_get (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out, GError **error);
gboolean sqlite_sandbox_charge_get (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out, GError **error);
gboolean sqlite_sandbox_record (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge, const CsOutboxMessage *event, gint64 now, gboolean *replayed, char **charge_id_out, GError **error);
GPtrArray * sqlite_outbox_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error);
gboolean sqlite_outbox_delivered (CsStoreConn *conn, const char *message_id, gint64 now, GError **error);
gboolean sqlite_outbox_retry (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at, const char *last_error, GError **error);
gboolean sqlite_outbox_count (CsStoreConn *conn, gint64 *count, GError **error);
gboolean sqlite_webhook_seen (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new, GError **error);

G_END_DECLS
