/* cs-store-sqlite-money.c: the money path of the SQLite backend
 * (cs-store-money.h): pledges, payment jobs, gateway events, settlement,
 * the ledger, balances, withdrawals, fees and settings.
 *
 * Every operation is one transaction.  Writes take the write lock up front
 * (BEGIN IMMEDIATE), so what a transaction reads is what it changes; a
 * pledge's or withdrawal's new state is still written by a conditional
 * UPDATE guarded by the status it was read in.  The races that matter are
 * decided by the database: the tier claim is a conditional UPDATE, the one
 * active pledge per backer a unique index, one capture per pledge another.
 *
 * The ledger (money_transactions, ledger_entries: append-only) has the
 * accounts of cs-store-money.h: "card_holds", "processor", "platform:fees",
 * "processor:fees" (per currency) and "campaign:<id>:pledged|creator|payouts".
 * post_txn() writes one transaction and refuses entries that do not sum to
 * zero.  A capture is followed by two fee transactions (kinds platform_fee
 * and processing_fee), so that the campaign's balance reads both fees from
 * the creator's account alone.  A pledge's transaction_id is its newest.
 *
 * Counted pledges (campaign current_amount and backer_count) are the
 * generated column pledges.counted; every change of it is applied to the
 * campaign's totals in the same transaction (campaign_changed()).
 *
 * The rules both backends share (checks, ledger transactions, changing and
 * cancelling a pledge, the gateway-event state machines, check_books' sums
 * and wording) are in cs-store-money-logic.c, which calls this file's
 * functions through the MoneyPrimitives table `primitives`.
 */
#include "config.h"

#include <string.h>

#include "cs-store-sqlite-private.h"
#include "cs-store-money-logic.h"

/* Where a payout goes when the creator names no destination. */
#define DEFAULT_PAYOUT_METHOD "ba_sandbox_default"
/* Idempotency records live at least 24 hours; the housekeeping job drops
 * them after 48 (cs-store-sqlite.c). */

#define ACTIVE_PLEDGE "('pending', 'authorized', 'collected', 'capture_failed')"

/* ---- SQL ------------------------------------------------------------------------ */

#define PLEDGE_COLS \
  "p.id, p.backer_id, p.campaign_id, p.amount, p.currency, p.reward_tier_id, p.status, " \
  "p.transaction_id, p.payment_method_id, p.failure_reason, p.capture_retry_until, " \
  "p.created_at, p.updated_at, p.rowid, p.charge_id, p.pending_job_id, p.void_reason"

enum {
  PC_ID, PC_BACKER, PC_CAMPAIGN, PC_AMOUNT, PC_CURRENCY, PC_TIER, PC_STATUS, PC_TXN, PC_PM,
  PC_FAILURE, PC_RETRY, PC_CREATED, PC_UPDATED, PC_ROWID, PC_CHARGE, PC_JOB, PC_VOID,
  PC_N
};

/* With the names a list shows. */
#define PLEDGE_VIEW_SELECT \
  "SELECT " PLEDGE_COLS ", coalesce (u.display_name, u.username), t.title, c.title " \
  "FROM pledges p JOIN users u ON u.id = p.backer_id JOIN campaigns c ON c.id = p.campaign_id " \
  "LEFT JOIN reward_tiers t ON t.id = p.reward_tier_id "

static const char SQL_PLEDGE_ROW[] = "SELECT " PLEDGE_COLS " FROM pledges p WHERE p.id = ?1";
static const char SQL_PLEDGE_VIEW[] = PLEDGE_VIEW_SELECT "WHERE p.id = ?1";
/* Keyset pages, newest first; without a cursor the keys are bound to the
 * largest values. */
static const char SQL_PLEDGES_OF_BACKER[] =
  PLEDGE_VIEW_SELECT
  "WHERE p.backer_id = ?1 AND (p.created_at, p.rowid) < (?2, ?3) "
  "ORDER BY p.created_at DESC, p.rowid DESC LIMIT ?4";
static const char SQL_PLEDGES_OF_CAMPAIGN[] =
  PLEDGE_VIEW_SELECT
  "WHERE p.campaign_id = ?1 AND (p.created_at, p.rowid) < (?2, ?3) "
  "  AND p.status NOT IN ('cancelled', 'failed') "
  "ORDER BY p.created_at DESC, p.rowid DESC LIMIT ?4";
static const char SQL_PLEDGE_INSERT[] =
  "INSERT INTO pledges (id, backer_id, campaign_id, reward_tier_id, amount, currency, status, "
  "                     payment_method_id, pending_job_id, created_at, updated_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?9)";
static const char SQL_PLEDGE_ACTIVE[] =
  "SELECT id FROM pledges WHERE backer_id = ?1 AND campaign_id = ?2 AND status IN " ACTIVE_PLEDGE;
static const char SQL_PLEDGE_SAVE[] =
  "UPDATE pledges SET amount = ?3, reward_tier_id = ?4, status = ?5, payment_method_id = ?6, "
  "  charge_id = ?7, pending_job_id = ?8, transaction_id = ?9, failure_reason = ?10, "
  "  capture_retry_until = ?11, void_reason = ?12, updated_at = ?13 "
  "WHERE id = ?1 AND status = ?2";
static const char SQL_PLEDGES_AUTHORIZED[] =
  "SELECT id FROM pledges WHERE campaign_id = ?1 AND status = 'authorized' ORDER BY created_at";
static const char SQL_PLEDGES_EXPIRED[] =
  "SELECT id FROM pledges WHERE status = 'capture_failed' AND capture_retry_until <= ?1 "
  "  AND pending_job_id IS NULL ORDER BY capture_retry_until LIMIT ?2";

static const char SQL_CAMPAIGN_MONEY[] =
  "SELECT status, goal_amount, current_amount, backer_count, coalesce (end_date, 0), currency, "
  "  creator_id, fee_platform_bps, fee_processing_bps, fee_processing_fixed "
  "FROM campaigns WHERE id = ?1";
static const char SQL_CAMPAIGN_TOTALS[] =
  "UPDATE campaigns SET current_amount = current_amount + ?2, backer_count = backer_count + ?3, "
  "  updated_at = ?4, change_seq = ?5 WHERE id = ?1 "
  "RETURNING current_amount, backer_count, goal_amount, currency, status";
static const char SQL_CAMPAIGNS_DUE[] =
  "SELECT id FROM campaigns WHERE status = 'live' AND end_date <= ?1 ORDER BY end_date, rowid LIMIT ?2";
/* The claim of a settlement: only one transaction finds the campaign live. */
static const char SQL_CAMPAIGN_SETTLE[] =
  "UPDATE campaigns SET "
  "  status = CASE WHEN current_amount >= goal_amount THEN 'successful' ELSE 'failed' END, "
  "  fee_platform_bps = CASE WHEN current_amount >= goal_amount THEN ?3 END, "
  "  fee_processing_bps = CASE WHEN current_amount >= goal_amount THEN ?4 END, "
  "  fee_processing_fixed = CASE WHEN current_amount >= goal_amount THEN ?5 END, "
  "  settled_at = ?2, updated_at = ?2, change_seq = ?6 "
  "WHERE id = ?1 AND status = 'live' AND end_date <= ?2 "
  "RETURNING current_amount, backer_count, goal_amount, currency, status";

static const char SQL_TIER_MINIMUM[] =
  "SELECT minimum_pledge FROM reward_tiers WHERE id = ?1 AND campaign_id = ?2";
static const char SQL_TIER_CLAIM[] =
  "UPDATE reward_tiers SET quantity_claimed = quantity_claimed + 1, updated_at = ?3 "
  "WHERE id = ?1 AND campaign_id = ?2 "
  "  AND (quantity_available IS NULL OR quantity_claimed < quantity_available)";
static const char SQL_TIER_RELEASE[] =
  "UPDATE reward_tiers SET quantity_claimed = quantity_claimed - 1, updated_at = ?2 "
  "WHERE id = ?1 AND quantity_claimed > 0";

static const char SQL_IDEM_GET[] =
  "SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = ?1 AND key = ?2";
static const char SQL_IDEM_PUT[] =
  "INSERT INTO idempotency_keys (user_id, key, scope, request_hash, status, body, created_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

static const char SQL_JOB_INSERT[] =
  "INSERT INTO payment_jobs (id, kind, pledge_id, withdrawal_id, charge_id, payment_method_id, "
  "                          amount, currency, next_attempt_at, created_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)";
/* A job the gateway never saw (never claimed) can simply be forgotten. */
static const char SQL_JOB_DROP_UNSENT[] = "DELETE FROM payment_jobs WHERE id = ?1 AND attempts = 0";
static const char SQL_JOBS_DUE[] =
  "SELECT id FROM payment_jobs WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, created_at LIMIT ?2";
/* The claim moves the job out of the due range until its lease ends. */
static const char SQL_JOB_CLAIM[] =
  "UPDATE payment_jobs SET claimed_by = ?2, claimed_until = ?3, next_attempt_at = ?3, "
  "  attempts = attempts + 1 "
  "WHERE id = ?1 AND next_attempt_at <= ?4 "
  "RETURNING kind, pledge_id, withdrawal_id, charge_id, payment_method_id, amount, currency, attempts";
static const char SQL_JOB_DONE[] =
  "DELETE FROM payment_jobs WHERE id = ?1 RETURNING kind, pledge_id, withdrawal_id";
static const char SQL_JOB_RETRY[] =
  "UPDATE payment_jobs SET next_attempt_at = ?2, last_error = ?3, claimed_by = NULL, "
  "  claimed_until = NULL WHERE id = ?1";
static const char SQL_JOBS_COUNT[] = "SELECT count(*) FROM payment_jobs";
/* The gateway's reference, for the job we are still waiting for only. */
static const char SQL_PLEDGE_SET_CHARGE[] =
  "UPDATE pledges SET charge_id = ?2 WHERE id = ?1 AND pending_job_id = ?3";
static const char SQL_WITHDRAWAL_SET_PAYOUT[] =
  "UPDATE withdrawals SET payout_id = ?2 WHERE id = ?1 AND payout_id IS NULL";

static const char SQL_EVENT_SEEN[] =
  "INSERT INTO payment_events (id, type, object_id, reference, seen_at) VALUES (?1, ?2, ?3, ?4, ?5) "
  "ON CONFLICT (id) DO NOTHING";

static const char SQL_TXN_INSERT[] =
  "INSERT INTO money_transactions (id, kind, campaign_id, pledge_id, withdrawal_id, amount, currency, "
  "                                gateway_ref, created_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_ENTRY_INSERT[] =
  "INSERT INTO ledger_entries (transaction_id, account, currency, amount) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_ACCOUNT_SUM[] =
  "SELECT coalesce (sum (amount), 0) FROM ledger_entries WHERE account = ?1 AND currency = ?2";
static const char SQL_ACCOUNT_BY_KIND[] =
  "SELECT t.kind, sum (e.amount) FROM ledger_entries e "
  "JOIN money_transactions t ON t.id = e.transaction_id "
  "WHERE e.account = ?1 AND e.currency = ?2 GROUP BY t.kind";
static const char SQL_CAMPAIGN_CURRENCY[] = "SELECT currency FROM campaigns WHERE id = ?1";

#define WITHDRAWAL_COLS \
  "id, campaign_id, creator_id, amount, currency, status, transaction_id, failure_reason, " \
  "created_at, updated_at, rowid, payout_id"
static const char SQL_WITHDRAWAL_GET[] = "SELECT " WITHDRAWAL_COLS " FROM withdrawals WHERE id = ?1";
static const char SQL_WITHDRAWALS_OF[] =
  "SELECT " WITHDRAWAL_COLS " FROM withdrawals WHERE creator_id = ?1 AND (created_at, rowid) < (?2, ?3) "
  "ORDER BY created_at DESC, rowid DESC LIMIT ?4";
static const char SQL_WITHDRAWAL_GATE[] =
  "SELECT c.creator_id, c.status, c.currency, u.kyc_status FROM campaigns c "
  "JOIN users u ON u.id = c.creator_id WHERE c.id = ?1";
static const char SQL_WITHDRAWAL_INSERT[] =
  "INSERT INTO withdrawals (id, campaign_id, creator_id, amount, currency, status, payout_method, "
  "                         created_at, updated_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?7)";
static const char SQL_WITHDRAWAL_SAVE[] =
  "UPDATE withdrawals SET status = ?3, payout_id = coalesce (?4, payout_id), transaction_id = ?5, "
  "  failure_reason = ?6, updated_at = ?7 WHERE id = ?1 AND status = ?2";

static const char SQL_SETTING_GET[] = "SELECT value FROM settings WHERE key = ?1";
static const char SQL_SETTING_PUT[] =
  "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/* The books (one read snapshot). */
static const char SQL_BOOKS_CAMPAIGNS[] =
  "SELECT id, currency, current_amount, backer_count, fee_platform_bps, fee_processing_bps, "
  "  fee_processing_fixed FROM campaigns ORDER BY rowid";
static const char SQL_BOOKS_PLEDGE_TOTALS[] =
  "SELECT campaign_id, coalesce (sum (amount) FILTER (WHERE counted), 0), "
  "  count(*) FILTER (WHERE counted), coalesce (sum (amount) FILTER (WHERE status = 'authorized'), 0) "
  "FROM pledges GROUP BY campaign_id";
static const char SQL_BOOKS_COLLECTED[] =
  "SELECT campaign_id, amount, status FROM pledges WHERE status IN ('collected', 'refunded')";
static const char SQL_BOOKS_WITHDRAWALS[] =
  "SELECT campaign_id, coalesce (sum (amount) FILTER (WHERE status IN ('pending', 'paid')), 0), "
  "  coalesce (sum (amount) FILTER (WHERE status = 'pending'), 0), "
  "  coalesce (sum (amount) FILTER (WHERE status = 'paid'), 0) "
  "FROM withdrawals GROUP BY campaign_id";
static const char SQL_BOOKS_ACCOUNTS[] =
  "SELECT account, currency, sum (amount) FROM ledger_entries GROUP BY account, currency";
static const char SQL_BOOKS_UNBALANCED[] =
  "SELECT t.id, t.kind, count (e.account), coalesce (sum (e.amount), 0), "
  "  coalesce (sum (e.currency <> t.currency), 0) "
  "FROM money_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id "
  "GROUP BY t.id "
  "HAVING count (e.account) = 0 OR sum (e.amount) <> 0 OR sum (e.currency <> t.currency) > 0";
static const char SQL_BOOKS_ORPHANS[] =
  "SELECT DISTINCT e.transaction_id FROM ledger_entries e "
  "WHERE NOT EXISTS (SELECT 1 FROM money_transactions t WHERE t.id = e.transaction_id)";
static const char SQL_BOOKS_CAPTURES[] =
  "SELECT pledge_id, count(*) FROM money_transactions WHERE kind = 'capture' "
  "GROUP BY pledge_id HAVING count(*) > 1";
static const char SQL_BOOKS_CAPTURE_MISMATCH[] =
  "SELECT p.id, p.status, EXISTS (SELECT 1 FROM money_transactions t "
  "                               WHERE t.pledge_id = p.id AND t.kind = 'capture') AS captured "
  "FROM pledges p WHERE (p.status IN ('collected', 'refunded')) <> captured";
static const char SQL_BOOKS_TIERS[] =
  "SELECT t.id, t.quantity_claimed, t.quantity_available, "
  "  (SELECT count(*) FROM pledges p WHERE p.reward_tier_id = t.id AND p.status IN " ACTIVE_PLEDGE ") "
  "FROM reward_tiers t ORDER BY t.rowid";
static const char SQL_BOOKS_PAYOUTS[] =
  "SELECT w.id FROM withdrawals w WHERE w.status = 'paid' AND NOT EXISTS "
  "  (SELECT 1 FROM money_transactions t WHERE t.withdrawal_id = w.id AND t.kind = 'payout')";

/* ---- Small helpers --------------------------------------------------------------- */

static void
bind_opt_int (sqlite3_stmt *st, int i, gint64 value)
{
  if (value != 0)
    sq_bind_int (st, i, value);
  else
    sqlite3_bind_null (st, i);
}

/* Steps a statement that must change exactly one row.  Under the write lock
 * anything else means the row is not what this transaction read. */
static gboolean
step_one_change (CsSqliteConn *c, sqlite3_stmt *st, const char *what, GError **error)
{
  if (!sq_step_done (c, st, error))
    return FALSE;
  if (sqlite3_changes (c->db) != 1)
    {
      g_autofree char *why = g_strdup_printf ("%s changed under a write lock", what);

      return money_internal (error, why);
    }
  return TRUE;
}

/* Ids of the rows of @st (column 0), so that the rows can be changed
 * after the statement's lease ends. */
static GPtrArray *
collect_ids (CsSqliteConn *c, sqlite3_stmt *st, GError **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (ids, sq_col_dup (st, 0));
  if (rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  return g_steal_pointer (&ids);
}

/* ---- Rows ------------------------------------------------------------------------- */

static CsPledge *
pledge_from_row (sqlite3_stmt *st, gboolean with_names)
{
  CsPledge *p = cs_pledge_new ();
  const char *currency = sq_col_text (st, PC_CURRENCY);

  p->id = sq_col_dup (st, PC_ID);
  p->backer_id = sq_col_dup (st, PC_BACKER);
  p->campaign_id = sq_col_dup (st, PC_CAMPAIGN);
  p->amount = sq_col_int (st, PC_AMOUNT);
  g_strlcpy (p->currency, currency != NULL ? currency : "", sizeof p->currency);
  p->reward_tier_id = sq_col_dup (st, PC_TIER);
  /* The schema's CHECK allows only known statuses. */
  if (!cs_pledge_status_from_string (sq_col_text (st, PC_STATUS), &p->status))
    p->status = CS_PLEDGE_FAILED;
  p->transaction_id = sq_col_dup (st, PC_TXN);
  p->payment_method_id = sq_col_dup (st, PC_PM);
  p->failure_reason = sq_col_dup (st, PC_FAILURE);
  p->capture_retry_until = sq_col_int (st, PC_RETRY);   /* NULL reads as 0 */
  p->created_at = sq_col_int (st, PC_CREATED);
  p->updated_at = sq_col_int (st, PC_UPDATED);
  if (with_names)
    {
      p->backer_name = sq_col_dup (st, PC_N);
      p->reward_title = sq_col_dup (st, PC_N + 1);
      p->campaign_title = sq_col_dup (st, PC_N + 2);
    }
  return p;
}

static gboolean
row_load (CsSqliteConn *c, const char *pledge_id, MoneyRow *r, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGE_ROW, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, pledge_id);
  if (!sq_step_found (c, st, "Pledge", error))
    return FALSE;
  money_row_clear (r);
  r->p = pledge_from_row (st, FALSE);
  r->charge_id = sq_col_dup (st, PC_CHARGE);
  r->pending_job_id = sq_col_dup (st, PC_JOB);
  r->void_reason = sq_col_dup (st, PC_VOID);
  r->loaded = r->p->status;
  return TRUE;
}

/* Writes @r back, if it is still in the status it was read in. */
static gboolean
row_save (CsStoreConn *conn, MoneyRow *r, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGE_SAVE, error);
  CsPledge *p = r->p;

  if (st == NULL)
    return FALSE;
  if (p->status != CS_PLEDGE_VOIDED)
    g_clear_pointer (&r->void_reason, g_free);
  sq_bind_text (st, 1, p->id);
  sq_bind_text (st, 2, cs_pledge_status_to_string (r->loaded));
  sq_bind_int (st, 3, p->amount);
  sq_bind_text (st, 4, p->reward_tier_id);
  sq_bind_text (st, 5, cs_pledge_status_to_string (p->status));
  sq_bind_text (st, 6, p->payment_method_id);
  sq_bind_text (st, 7, r->charge_id);
  sq_bind_text (st, 8, r->pending_job_id);
  sq_bind_text (st, 9, p->transaction_id);
  sq_bind_text (st, 10, p->failure_reason);
  bind_opt_int (st, 11, p->capture_retry_until);
  sq_bind_text (st, 12, r->void_reason);
  sq_bind_int (st, 13, now);
  if (!step_one_change (c, st, "a pledge", error))
    return FALSE;
  r->loaded = p->status;
  p->updated_at = now;
  return TRUE;
}

/* The pledge as the API shows it (with names). */
static CsPledge *
pledge_view (CsStoreConn *conn, const char *pledge_id, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGE_VIEW, error);

  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, pledge_id);
  if (!sq_step_found (c, st, "Pledge", error))
    return NULL;
  return pledge_from_row (st, TRUE);
}

static gboolean
camp_load (CsSqliteConn *c, const char *campaign_id, MoneyCamp *k, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_CAMPAIGN_MONEY, error);
  const char *currency;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, campaign_id);
  if (!sq_step_found (c, st, "Campaign", error))
    return FALSE;
  money_set_str (&k->id, campaign_id);
  if (!cs_campaign_status_from_string (sq_col_text (st, 0), &k->status))
    k->status = CS_CAMPAIGN_DRAFT;
  k->goal_amount = sq_col_int (st, 1);
  k->current_amount = sq_col_int (st, 2);
  k->backer_count = sq_col_int (st, 3);
  k->end_date = sq_col_int (st, 4);
  currency = sq_col_text (st, 5);
  g_strlcpy (k->currency, currency != NULL ? currency : "", sizeof k->currency);
  money_set_str (&k->creator_id, sq_col_text (st, 6));
  k->has_fees = sqlite3_column_type (st, 7) != SQLITE_NULL;
  k->fees.platform_bps = sq_col_int (st, 7);
  k->fees.processing_bps = sq_col_int (st, 8);
  k->fees.processing_fixed = sq_col_int (st, 9);
  return TRUE;
}

static void
progress_from_row (sqlite3_stmt *st, const char *campaign_id, CsCampaignProgress *out)
{
  const char *currency = sq_col_text (st, 3);

  g_strlcpy (out->campaign_id, campaign_id, sizeof out->campaign_id);
  out->current_amount = sq_col_int (st, 0);
  out->backer_count = sq_col_int (st, 1);
  out->goal_amount = sq_col_int (st, 2);
  g_strlcpy (out->currency, currency != NULL ? currency : "", sizeof out->currency);
  if (!cs_campaign_status_from_string (sq_col_text (st, 4), &out->status))
    out->status = CS_CAMPAIGN_DRAFT;
}

/* Applies a change of the counted pledges to the campaign's totals and
 * marks it changed (change_seq, updated_at) for caches and /sync; also
 * when only its tiers' claims changed (deltas 0).  Fills @progress. */
static gboolean
campaign_changed (CsStoreConn *conn, const char *campaign_id, gint64 d_amount, gint64 d_backers,
                  gint64 now, CsCampaignProgress *progress, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;
  gint64 seq;

  if (!sq_bump_seq (c, &seq, error))
    return FALSE;
  st = sq_stmt_static (c, SQL_CAMPAIGN_TOTALS, error);
  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, campaign_id);
  sq_bind_int (st, 2, d_amount);
  sq_bind_int (st, 3, d_backers);
  sq_bind_int (st, 4, now);
  sq_bind_int (st, 5, seq);
  if (!sq_step_found (c, st, "Campaign", error))
    return FALSE;
  if (progress != NULL)
    progress_from_row (st, campaign_id, progress);
  return TRUE;
}

/* ---- Tiers ---------------------------------------------------------------------------- */

static gboolean
tier_minimum (CsStoreConn *conn, const char *tier_id, const char *campaign_id, gint64 *minimum,
              GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_TIER_MINIMUM, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, tier_id);
  sq_bind_text (st, 2, campaign_id);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    {
      *minimum = sq_col_int (st, 0);
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  return money_invalid_field (error, "reward_tier_id", "is not a reward of this campaign",
                              "The reward does not exist.");
}

/* The claim itself decides a sold-out reward: a conditional UPDATE. */
static gboolean
tier_claim (CsStoreConn *conn, const char *tier_id, const char *campaign_id, gint64 now,
            GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_TIER_CLAIM, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, tier_id);
  sq_bind_text (st, 2, campaign_id);
  sq_bind_int (st, 3, now);
  if (!sq_step_done (c, st, error))
    return FALSE;
  if (sqlite3_changes (c->db) == 0)
    return money_conflict (error, "reward-sold-out",
                           "This reward is sold out: choose another reward or pledge without one.");
  return TRUE;
}

static gboolean
tier_release (CsStoreConn *conn, const char *tier_id, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;

  if (tier_id == NULL)
    return TRUE;
  st = sq_stmt_static (c, SQL_TIER_RELEASE, error);
  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, tier_id);
  sq_bind_int (st, 2, now);
  if (!sq_step_done (c, st, error))
    return FALSE;
  /* check-books reports the miscount; the backer's action goes on. */
  if (sqlite3_changes (c->db) == 0)
    g_warning ("store: reward %s had no claim to release", tier_id);
  return TRUE;
}

/* ---- Idempotency ------------------------------------------------------------------------ */

/* Fills @replay when @idem repeats a request already answered; another
 * request under the same key is refused. */
static gboolean
idem_find (CsSqliteConn *c, const CsIdempotency *idem, CsReplay *replay, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_IDEM_GET, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, idem->user_id);
  sq_bind_text (st, 2, idem->key);
  rc = sqlite3_step (st);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  if (!money_idem_check_hash (idem, sq_col_text (st, 0), error))
    return FALSE;
  replay->replayed = TRUE;
  replay->status = (guint) sq_col_int (st, 1);
  replay->body = g_bytes_new (sqlite3_column_blob (st, 2), sqlite3_column_bytes (st, 2));
  return TRUE;
}

static gboolean
idem_save (CsSqliteConn *c, const CsIdempotency *idem, guint status, GBytes *body, gint64 now,
           GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_IDEM_PUT, error);
  gsize len = 0;
  const void *data = g_bytes_get_data (body, &len);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, idem->user_id);
  sq_bind_text (st, 2, idem->key);
  sq_bind_text (st, 3, idem->scope);
  sq_bind_text (st, 4, idem->request_hash);
  sq_bind_int (st, 5, status);
  sqlite3_bind_blob (st, 6, data != NULL ? data : "", (int) len, SQLITE_STATIC);
  sq_bind_int (st, 7, now);
  return sq_step_done (c, st, error);
}

/* ---- Jobs --------------------------------------------------------------------------------- */

static const char *
job_kind_text (CsPaymentJobKind kind)
{
  return cs_payment_job_kind_to_string (kind);
}

/* Queues a job toward the gateway, due now.  @job_id NULL: a new id. */
static gboolean
job_insert (CsStoreConn *conn, const char *job_id, CsPaymentJobKind kind, const char *pledge_id,
            const char *withdrawal_id, const char *charge_id, const char *payment_method_id,
            gint64 amount, const char *currency, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autofree char *new_id = job_id == NULL ? cs_id_new ("job") : NULL;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_JOB_INSERT, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, job_id != NULL ? job_id : new_id);
  sq_bind_text (st, 2, job_kind_text (kind));
  sq_bind_text (st, 3, pledge_id);
  sq_bind_text (st, 4, withdrawal_id);
  sq_bind_text (st, 5, charge_id);
  sq_bind_text (st, 6, payment_method_id);
  sq_bind_int (st, 7, amount);
  sq_bind_text (st, 8, currency);
  sq_bind_int (st, 9, now);
  return sq_step_done (c, st, error);
}

static gboolean
job_drop_unsent (CsStoreConn *conn, const char *job_id, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;

  if (job_id == NULL)
    return TRUE;
  st = sq_stmt_static (c, SQL_JOB_DROP_UNSENT, error);
  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, job_id);
  return sq_step_done (c, st, error);
}

/* ---- The ledger ----------------------------------------------------------------------------- */

/* Posts one money transaction with its entries; they must balance.
 * Returns the new transaction's id. */
static char *
post_txn (CsStoreConn *conn, const MoneyTxn *txn, const MoneyEntry *entries, guint n_entries, gint64 now,
          GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autofree char *id = NULL;

  if (!money_txn_check (txn, entries, n_entries, error))
    return NULL;
  id = cs_id_new ("txn");
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_TXN_INSERT, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, id);
    sq_bind_text (st, 2, txn->kind);
    sq_bind_text (st, 3, txn->campaign_id);
    sq_bind_text (st, 4, txn->pledge_id);
    sq_bind_text (st, 5, txn->withdrawal_id);
    sq_bind_int (st, 6, txn->amount);
    sq_bind_text (st, 7, txn->currency);
    sq_bind_text (st, 8, txn->gateway_ref);
    sq_bind_int (st, 9, now);
    if (!sq_step_done (c, st, error))
      return NULL;
  }
  for (guint i = 0; i < n_entries; i++)
    {
      g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_ENTRY_INSERT, error);

      if (st == NULL)
        return NULL;
      sq_bind_text (st, 1, id);
      sq_bind_text (st, 2, entries[i].account);
      sq_bind_text (st, 3, txn->currency);
      sq_bind_int (st, 4, entries[i].amount);
      if (!sq_step_done (c, st, error))
        return NULL;
    }
  return g_steal_pointer (&id);
}

static gboolean
fee_settings_read (CsStoreConn *conn, CsFeeSettings *out, GError **error);
static gboolean
wrow_load (CsStoreConn *conn, const char *withdrawal_id, MoneyWRow *r, GError **error);
static gboolean
wrow_save (CsStoreConn *conn, MoneyWRow *r, CsWithdrawalStatus from, gint64 now, GError **error);

/* ---- What the shared money logic (cs-store-money-logic.c) calls ------------------------------ */

/* The pledge and its campaign, to change the pledge: the pledge first (a
 * write transaction of SQLite locks the whole database). */
static gboolean
pledge_lock (CsStoreConn *conn, const char *pledge_id, MoneyRow *r, MoneyCamp *k, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  return row_load (c, pledge_id, r, error) && camp_load (c, r->p->campaign_id, k, error);
}

static const MoneyPrimitives primitives = {
  .pledge_lock       = pledge_lock,
  .row_save          = row_save,
  .pledge_view       = pledge_view,
  .wrow_lock         = wrow_load,
  .wrow_save         = wrow_save,
  .campaign_changed  = campaign_changed,
  .tier_minimum      = tier_minimum,
  .tier_claim        = tier_claim,
  .tier_release      = tier_release,
  .job_insert        = job_insert,
  .job_drop_unsent   = job_drop_unsent,
  .post_txn          = post_txn,
  .fee_settings_read = fee_settings_read,
};

/* ---- Pledges: create ------------------------------------------------------------------------- */

static gboolean
pledge_insert (CsSqliteConn *c, const CsPledgeCreate *in, const char *currency, gint64 now,
               GError **error)
{
  int rc;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGE_INSERT, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, in->pledge_id);
    sq_bind_text (st, 2, in->backer_id);
    sq_bind_text (st, 3, in->campaign_id);
    sq_bind_text (st, 4, in->reward_tier_id);
    sq_bind_int (st, 5, in->amount);
    sq_bind_text (st, 6, currency);
    sq_bind_text (st, 7, in->payment_method_id);
    sq_bind_text (st, 8, in->job_id);
    sq_bind_int (st, 9, now);
    rc = sqlite3_step (st);
  }
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    {
      /* The campaign and the tier were read above: the backer is unknown. */
      sq_set_not_found (error, "User");
      return FALSE;
    }
  if (rc != SQLITE_CONSTRAINT_UNIQUE)
    return sq_db_fail (c, rc, error);

  /* The unique index of active pledges decided: name the one that holds. */
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGE_ACTIVE, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, in->backer_id);
    sq_bind_text (st, 2, in->campaign_id);
    rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
      return money_conflict (error, "pledge-exists",
                             "You already back this campaign with pledge %s: change it with "
                             "PATCH /api/v1/pledges/%s.", sq_col_text (st, 0), sq_col_text (st, 0));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  return money_internal (error, "a new pledge's id is taken");
}

static gboolean
pledge_create_txn (CsSqliteConn *c, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now,
                   CsPledge **out, CsReplay *replay, GError **error)
{
  g_auto(MoneyCamp) k = { 0 };
  g_autoptr(CsPledge) pledge = NULL;
  g_autoptr(GBytes) body = NULL;

  if (idem != NULL && !idem_find (c, idem, replay, error))
    return FALSE;
  if (replay->replayed)
    return TRUE;
  if (!camp_load (c, in->campaign_id, &k, error) ||
      !money_check_open (&k, now, "it does not take pledges", error) ||
      !money_check_amount (&primitives, &c->parent, in->campaign_id, k.currency, in->reward_tier_id, in->amount,
                           error) ||
      !pledge_insert (c, in, k.currency, now, error))
    return FALSE;
  /* The claim shows on the campaign's rewards. */
  if (in->reward_tier_id != NULL &&
      (!tier_claim (&c->parent, in->reward_tier_id, in->campaign_id, now, error) ||
       !campaign_changed (&c->parent, in->campaign_id, 0, 0, now, NULL, error)))
    return FALSE;
  if (!job_insert (&c->parent, in->job_id, CS_PAYMENT_JOB_AUTHORIZE, in->pledge_id, NULL, NULL,
                   in->payment_method_id, in->amount, k.currency, now, error))
    return FALSE;
  pledge = pledge_view (&c->parent, in->pledge_id, error);
  if (pledge == NULL)
    return FALSE;
  if (idem != NULL)
    {
      body = money_pledge_json (pledge);
      if (!idem_save (c, idem, 201, body, now, error))
        return FALSE;
    }
  *out = g_steal_pointer (&pledge);
  return TRUE;
}

gboolean
sqlite_pledge_create (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now,
                      CsPledge **out, CsReplay *replay, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  g_return_val_if_fail (in != NULL && out != NULL && replay != NULL, FALSE);
  *out = NULL;
  cs_replay_clear (replay);
  if (in->pledge_id == NULL || in->campaign_id == NULL || in->backer_id == NULL ||
      in->payment_method_id == NULL || in->job_id == NULL)
    return money_invalid_field (error, "payment_method", "is required", "The pledge is incomplete.");
  if (in->amount <= 0)
    return money_invalid_field (error, "amount", "must be positive", "The amount must be positive.");
  if (!money_idem_check_args (idem, error))
    return FALSE;

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = pledge_create_txn (c, in, idem, now, out, replay, error);
  if (!sq_txn_end (c, ok, error))
    {
      g_clear_pointer (out, cs_pledge_free);
      cs_replay_clear (replay);
      return FALSE;
    }
  return TRUE;
}

/* ---- Pledges: read --------------------------------------------------------------------------- */

CsPledge *
sqlite_pledge_get (CsStoreConn *conn, const char *pledge_id, GError **error)
{
  g_return_val_if_fail (pledge_id != NULL, NULL);
  /* One statement: one snapshot. */
  return pledge_view (conn, pledge_id, error);
}

static gpointer
pledge_view_row (sqlite3_stmt *st)
{
  return pledge_from_row (st, TRUE);
}

/* A newest-first keyset page of @sql for @owner_id; rows carry
 * created_at and rowid in @time_col and @rowid_col. */
static GPtrArray *
time_page (CsSqliteConn *c, const char *sql, const char *tag, const char *owner_id, const char *cursor,
           guint limit, int time_col, int rowid_col, gpointer (*from_row) (sqlite3_stmt *),
           GDestroyNotify free_func, char **next_cursor, GError **error)
{
  g_autoptr(CsStmtLease) st = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (free_func);
  gint64 after[2] = { G_MAXINT64, G_MAXINT64 };
  gint64 keys[2] = { 0, 0 };
  gboolean has_more = FALSE;
  int rc;

  *next_cursor = NULL;
  if (cursor != NULL && *cursor != '\0' && !cs_store_cursor_decode (cursor, tag, after, 2, NULL))
    {
      cs_store_set_cursor_error (error, "cursor");
      return NULL;
    }
  limit = money_clamp_limit (limit);
  st = sq_stmt_static (c, sql, error);
  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, owner_id);
  sq_bind_int (st, 2, after[0]);
  sq_bind_int (st, 3, after[1]);
  sq_bind_int (st, 4, (gint64) limit + 1);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      if (items->len == limit)
        {
          has_more = TRUE;
          break;
        }
      g_ptr_array_add (items, from_row (st));
      keys[0] = sq_col_int (st, time_col);
      keys[1] = sq_col_int (st, rowid_col);
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  if (has_more)
    *next_cursor = cs_store_cursor_encode (tag, keys, 2, NULL);
  return g_steal_pointer (&items);
}

GPtrArray *
sqlite_pledge_list_for_backer (CsStoreConn *conn, const char *backer_id, const char *cursor, guint limit,
                               char **next_cursor, GError **error)
{
  g_return_val_if_fail (backer_id != NULL && next_cursor != NULL, NULL);
  return time_page ((CsSqliteConn *) conn, SQL_PLEDGES_OF_BACKER, "pledges-backer", backer_id, cursor,
                    limit, PC_CREATED, PC_ROWID, pledge_view_row, (GDestroyNotify) cs_pledge_free, next_cursor,
                    error);
}

GPtrArray *
sqlite_pledge_list_for_campaign (CsStoreConn *conn, const char *campaign_id, const char *cursor,
                                 guint limit, char **next_cursor, GError **error)
{
  g_return_val_if_fail (campaign_id != NULL && next_cursor != NULL, NULL);
  return time_page ((CsSqliteConn *) conn, SQL_PLEDGES_OF_CAMPAIGN, "pledges-campaign", campaign_id,
                    cursor, limit, PC_CREATED, PC_ROWID, pledge_view_row, (GDestroyNotify) cs_pledge_free,
                    next_cursor, error);
}

/* ---- Pledges: change and cancel ----------------------------------------------------------------- */

CsPledge *
sqlite_pledge_change (CsStoreConn *conn, const char *pledge_id, const char *backer_id,
                      const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress,
                      GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  CsPledge *pledge;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  pledge = money_pledge_change (&primitives, conn, pledge_id, backer_id, change, now, progress, error);
  return sq_txn_end_with (c, pledge, (GDestroyNotify) cs_pledge_free, error);
}

CsPledge *
sqlite_pledge_cancel (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const char *job_id,
                      gint64 now, CsCampaignProgress *progress, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  CsPledge *pledge;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  pledge = money_pledge_cancel (&primitives, conn, pledge_id, backer_id, job_id, now, progress, error);
  return sq_txn_end_with (c, pledge, (GDestroyNotify) cs_pledge_free, error);
}

/* ---- Payment jobs ---------------------------------------------------------------------------------- */

static GPtrArray *
jobs_claim_txn (CsSqliteConn *c, const char *worker, gint64 now, gint64 lease, guint max, GError **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_payment_job_free);
  g_autoptr(GPtrArray) ids = NULL;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_JOBS_DUE, error);

    if (st == NULL)
      return NULL;
    sq_bind_int (st, 1, now);
    sq_bind_int (st, 2, max);
    ids = collect_ids (c, st, error);
    if (ids == NULL)
      return NULL;
  }
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_JOB_CLAIM, error);
      g_autoptr(CsPaymentJob) job = NULL;
      const char *currency;
      int rc;

      if (st == NULL)
        return NULL;
      sq_bind_text (st, 1, g_ptr_array_index (ids, i));
      sq_bind_text (st, 2, worker);
      sq_bind_int (st, 3, now + lease);
      sq_bind_int (st, 4, now);
      rc = sqlite3_step (st);
      if (rc == SQLITE_DONE)
        continue;
      if (rc != SQLITE_ROW)
        {
          sq_db_fail (c, rc, error);
          return NULL;
        }
      job = g_new0 (CsPaymentJob, 1);
      job->id = g_strdup (g_ptr_array_index (ids, i));
      if (!money_job_kind_from_text (sq_col_text (st, 0), &job->kind))
        continue;   /* the schema's CHECK allows only known kinds */
      job->pledge_id = sq_col_dup (st, 1);
      job->withdrawal_id = sq_col_dup (st, 2);
      job->charge_id = sq_col_dup (st, 3);
      job->payment_method_id = sq_col_dup (st, 4);
      job->amount = sq_col_int (st, 5);
      currency = sq_col_text (st, 6);
      g_strlcpy (job->currency, currency != NULL ? currency : "", sizeof job->currency);
      job->attempts = sq_col_int (st, 7);
      g_ptr_array_add (jobs, g_steal_pointer (&job));
    }
  return g_steal_pointer (&jobs);
}

GPtrArray *
sqlite_payment_jobs_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max,
                           GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  g_return_val_if_fail (worker != NULL, NULL);
  if (max == 0 || lease <= 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cs_payment_job_free);
  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, jobs_claim_txn (c, worker, now, lease, MIN (max, 1000), error),
                          (GDestroyNotify) g_ptr_array_unref, error);
}

static gboolean
job_done_txn (CsSqliteConn *c, const char *job_id, const char *gateway_ref, GError **error)
{
  g_autofree char *pledge_id = NULL;
  g_autofree char *withdrawal_id = NULL;
  CsPaymentJobKind kind = CS_PAYMENT_JOB_AUTHORIZE;
  int rc;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_JOB_DONE, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, job_id);
    rc = sqlite3_step (st);
    /* Already done (a worker's second report): nothing to forget. */
    if (rc == SQLITE_DONE)
      return TRUE;
    if (rc != SQLITE_ROW)
      return sq_db_fail (c, rc, error);
    money_job_kind_from_text (sq_col_text (st, 0), &kind);
    pledge_id = sq_col_dup (st, 1);
    withdrawal_id = sq_col_dup (st, 2);
  }
  if (gateway_ref == NULL)
    return TRUE;

  if ((kind == CS_PAYMENT_JOB_AUTHORIZE || kind == CS_PAYMENT_JOB_CHARGE) && pledge_id != NULL)
    {
      /* Only while the pledge still waits for this job: the webhook may have
       * come first, or the backer changed the pledge meanwhile. */
      g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGE_SET_CHARGE, error);

      if (st == NULL)
        return FALSE;
      sq_bind_text (st, 1, pledge_id);
      sq_bind_text (st, 2, gateway_ref);
      sq_bind_text (st, 3, job_id);
      return sq_step_done (c, st, error);
    }
  if (kind == CS_PAYMENT_JOB_PAYOUT && withdrawal_id != NULL)
    {
      g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_WITHDRAWAL_SET_PAYOUT, error);

      if (st == NULL)
        return FALSE;
      sq_bind_text (st, 1, withdrawal_id);
      sq_bind_text (st, 2, gateway_ref);
      return sq_step_done (c, st, error);
    }
  return TRUE;
}

gboolean
sqlite_payment_job_done (CsStoreConn *conn, const char *job_id, const char *gateway_ref, gint64 now,
                         GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  g_return_val_if_fail (job_id != NULL, FALSE);
  (void) now;
  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = job_done_txn (c, job_id, gateway_ref, error);
  return sq_txn_end (c, ok, error);
}

gboolean
sqlite_payment_job_retry (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at,
                          const char *last_error, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;

  g_return_val_if_fail (job_id != NULL, FALSE);
  /* One statement: atomic on its own. */
  st = sq_stmt_static (c, SQL_JOB_RETRY, error);
  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, job_id);
  sq_bind_int (st, 2, next_attempt_at);
  sq_bind_text (st, 3, last_error);
  if (!sq_step_done (c, st, error))
    return FALSE;
  if (sqlite3_changes (c->db) == 0)
    {
      sq_set_not_found (error, "Payment job");
      return FALSE;
    }
  return TRUE;
}

gboolean
sqlite_payment_jobs_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;
  int rc;

  g_return_val_if_fail (count != NULL, FALSE);
  st = sq_stmt_static (c, SQL_JOBS_COUNT, error);
  if (st == NULL)
    return FALSE;
  rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  *count = sq_col_int (st, 0);
  return TRUE;
}

/* ---- Gateway events ----------------------------------------------------------------------------------- */

static CsWithdrawal *
withdrawal_from_row (sqlite3_stmt *st)
{
  CsWithdrawal *w = cs_withdrawal_new ();
  const char *currency = sq_col_text (st, 4);

  w->id = sq_col_dup (st, 0);
  w->campaign_id = sq_col_dup (st, 1);
  w->creator_id = sq_col_dup (st, 2);
  w->amount = sq_col_int (st, 3);
  g_strlcpy (w->currency, currency != NULL ? currency : "", sizeof w->currency);
  if (!cs_withdrawal_status_from_string (sq_col_text (st, 5), &w->status))
    w->status = CS_WITHDRAWAL_FAILED;
  w->transaction_id = sq_col_dup (st, 6);
  w->failure_reason = sq_col_dup (st, 7);
  w->created_at = sq_col_int (st, 8);
  w->updated_at = sq_col_int (st, 9);
  return w;
}

static gpointer
withdrawal_row (sqlite3_stmt *st)
{
  return withdrawal_from_row (st);
}

static gboolean
wrow_load (CsStoreConn *conn, const char *withdrawal_id, MoneyWRow *r, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_WITHDRAWAL_GET, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, withdrawal_id);
  if (!sq_step_found (c, st, "Withdrawal", error))
    return FALSE;
  money_wrow_clear (r);
  r->w = withdrawal_from_row (st);
  r->rowid = sq_col_int (st, 10);
  r->payout_id = sq_col_dup (st, 11);
  return TRUE;
}

static gboolean
wrow_save (CsStoreConn *conn, MoneyWRow *r, CsWithdrawalStatus from, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_WITHDRAWAL_SAVE, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, r->w->id);
  sq_bind_text (st, 2, cs_withdrawal_status_to_string (from));
  sq_bind_text (st, 3, cs_withdrawal_status_to_string (r->w->status));
  sq_bind_text (st, 4, r->payout_id);
  sq_bind_text (st, 5, r->w->transaction_id);
  sq_bind_text (st, 6, r->w->failure_reason);
  sq_bind_int (st, 7, now);
  return step_one_change (c, st, "a withdrawal", error);
}

static gboolean
event_apply_txn (CsSqliteConn *c, const CsPaymentEvent *event, gint64 now, gboolean *duplicate,
                 CsCampaignProgress *progress, GError **error)
{
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_EVENT_SEEN, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, event->event_id);
    sq_bind_text (st, 2, cs_payment_event_type_to_string (event->type));
    sq_bind_text (st, 3, event->object_id);
    sq_bind_text (st, 4, event->reference);
    sq_bind_int (st, 5, now);
    if (!sq_step_done (c, st, error))
      return FALSE;
    if (sqlite3_changes (c->db) == 0)
      {
        *duplicate = TRUE;
        return TRUE;
      }
  }
  if (event->type == CS_PAYMENT_EVENT_PAYOUT_PAID || event->type == CS_PAYMENT_EVENT_PAYOUT_FAILED)
    return money_withdrawal_event (&primitives, &c->parent, event, now, error);
  return money_pledge_event (&primitives, &c->parent, event, now, progress, error);
}

gboolean
sqlite_payment_event_apply (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now,
                            gboolean *duplicate, CsCampaignProgress *progress, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  g_return_val_if_fail (event != NULL && duplicate != NULL && progress != NULL, FALSE);
  *duplicate = FALSE;
  memset (progress, 0, sizeof *progress);
  if (event->event_id == NULL || event->object_id == NULL || event->reference == NULL ||
      event->currency == NULL || (guint) event->type > CS_PAYMENT_EVENT_PAYOUT_FAILED)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                           "A payment event needs an id, a type, object_id, reference and currency.");
      return FALSE;
    }
  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = event_apply_txn (c, event, now, duplicate, progress, error);
  if (!sq_txn_end (c, ok, error))
    {
      *duplicate = FALSE;
      memset (progress, 0, sizeof *progress);
      return FALSE;
    }
  return TRUE;
}

/* ---- Settlement and expiries ---------------------------------------------------------------------- */

/* Every authorized pledge of a campaign that ended without success (failed,
 * cancelled, suspended) is voided: ledger, VOID job, its reward released.
 * They stay counted: the campaign's history.  The caller marks the
 * campaign changed. */
gboolean
sq_money_void_campaign (CsSqliteConn *c, const char *campaign_id, gboolean suspended, gint64 now,
                        GError **error)
{
  g_autoptr(GPtrArray) ids = NULL;
  gint64 d_amount = 0, d_backers = 0;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGES_AUTHORIZED, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, campaign_id);
    ids = collect_ids (c, st, error);
    if (ids == NULL)
      return FALSE;
  }
  for (guint i = 0; i < ids->len; i++)
    {
      g_auto(MoneyRow) r = { 0 };

      if (!row_load (c, g_ptr_array_index (ids, i), &r, error) ||
          !money_void_hold (&primitives, &c->parent, &r, NULL, now, error) ||
          !tier_release (&c->parent, r.p->reward_tier_id, now, error))
        return FALSE;
      r.p->status = CS_PLEDGE_VOIDED;
      /* An ended campaign keeps its history in its totals; a suspended one
       * may be reinstated, and must then count only money that is held. */
      money_set_str (&r.void_reason, suspended ? "campaign_suspended" : "campaign_ended");
      if (suspended)
        {
          d_amount -= r.p->amount;
          d_backers--;
        }
      if (!row_save (&c->parent, &r, now, error))
        return FALSE;
    }
  if (suspended && ids->len > 0)
    return campaign_changed (&c->parent, campaign_id, d_amount, d_backers, now, NULL, error);
  return TRUE;
}

/* Collects every authorized pledge of a successful campaign. */
static gboolean
queue_captures (CsSqliteConn *c, const char *campaign_id, gint64 now, GError **error)
{
  g_autoptr(GPtrArray) ids = NULL;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGES_AUTHORIZED, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, campaign_id);
    ids = collect_ids (c, st, error);
    if (ids == NULL)
      return FALSE;
  }
  for (guint i = 0; i < ids->len; i++)
    {
      g_auto(MoneyRow) r = { 0 };

      if (!row_load (c, g_ptr_array_index (ids, i), &r, error))
        return FALSE;
      if (r.charge_id == NULL)
        {
          g_warning ("store: pledge %s was authorized without a charge: it cannot be captured", r.p->id);
          continue;
        }
      if (!job_insert (&c->parent, NULL, CS_PAYMENT_JOB_CAPTURE, r.p->id, NULL, r.charge_id, NULL, r.p->amount,
                       r.p->currency, now, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
settle_one_txn (CsSqliteConn *c, const char *campaign_id, gint64 now, CsCampaignProgress *progress,
                gboolean *settled, GError **error)
{
  CsFeeSettings fees;
  g_autofree char *detail = NULL;
  g_autofree char *action = NULL;
  g_autofree char *raised = NULL;
  g_autofree char *goal = NULL;
  gboolean success;
  gint64 seq;
  int rc;

  if (!fee_settings_read (&c->parent, &fees, error) || !sq_bump_seq (c, &seq, error))
    return FALSE;
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_CAMPAIGN_SETTLE, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, campaign_id);
    sq_bind_int (st, 2, now);
    sq_bind_int (st, 3, fees.platform_bps);
    sq_bind_int (st, 4, fees.processing_bps);
    sq_bind_int (st, 5, fees.processing_fixed);
    sq_bind_int (st, 6, seq);
    rc = sqlite3_step (st);
    /* Another instance settled it first. */
    if (rc == SQLITE_DONE)
      return TRUE;
    if (rc != SQLITE_ROW)
      return sq_db_fail (c, rc, error);
    progress_from_row (st, campaign_id, progress);
  }
  *settled = TRUE;
  success = progress->status == CS_CAMPAIGN_SUCCESSFUL;
  if (success ? !queue_captures (c, campaign_id, now, error)
              : !sq_money_void_campaign (c, campaign_id, FALSE, now, error))
    return FALSE;

  raised = cs_money_format (progress->current_amount, progress->currency);
  goal = cs_money_format (progress->goal_amount, progress->currency);
  action = g_strdup_printf ("campaign.%s", cs_campaign_event_to_string (success ? CS_CAMPAIGN_EVENT_SUCCEED
                                                                                : CS_CAMPAIGN_EVENT_FAIL));
  detail = g_strdup_printf ("live → %s at the deadline: %s of %s from %" G_GINT64_FORMAT " backers",
                            cs_campaign_status_to_string (progress->status), raised, goal,
                            progress->backer_count);
  return sq_audit_insert (c, NULL, action, "campaign", campaign_id, NULL, detail, now, error);
}

gboolean
sqlite_settle_due (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(GPtrArray) ids = NULL;

  g_return_val_if_fail (settled != NULL, FALSE);
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_CAMPAIGNS_DUE, error);

    if (st == NULL)
      return FALSE;
    sq_bind_int (st, 1, now);
    sq_bind_int (st, 2, max);
    ids = collect_ids (c, st, error);
    if (ids == NULL)
      return FALSE;
  }
  for (guint i = 0; i < ids->len; i++)
    {
      CsCampaignProgress progress = { 0 };
      gboolean done = FALSE, ok;

      if (!sq_txn_begin (c, TRUE, error))
        return FALSE;
      ok = settle_one_txn (c, g_ptr_array_index (ids, i), now, &progress, &done, error);
      if (!sq_txn_end (c, ok, error))
        return FALSE;
      if (done)
        g_ptr_array_add (settled, g_memdup2 (&progress, sizeof progress));
    }
  return TRUE;
}

static gboolean
expire_txn (CsSqliteConn *c, gint64 now, GPtrArray *out, GError **error)
{
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GHashTable) touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer value;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGES_EXPIRED, error);

    if (st == NULL)
      return FALSE;
    sq_bind_int (st, 1, now);
    sq_bind_int (st, 2, 1000);
    ids = collect_ids (c, st, error);
    if (ids == NULL)
      return FALSE;
  }
  for (guint i = 0; i < ids->len; i++)
    {
      g_auto(MoneyRow) r = { 0 };

      if (!row_load (c, g_ptr_array_index (ids, i), &r, error) ||
          !money_expire_pledge (&primitives, &c->parent, &r, now, touched, error))
        return FALSE;
    }
  g_hash_table_iter_init (&iter, touched);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (out, g_memdup2 (value, sizeof (CsCampaignProgress)));
  return TRUE;
}

gboolean
sqlite_expire_capture_failed (CsStoreConn *conn, gint64 now, GPtrArray *progress, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  g_return_val_if_fail (progress != NULL, FALSE);
  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = expire_txn (c, now, out, error);
  if (!sq_txn_end (c, ok, error))
    return FALSE;
  /* Handed over only once committed. */
  for (guint i = 0; i < out->len; i++)
    g_ptr_array_add (progress, g_steal_pointer (&out->pdata[i]));
  return TRUE;
}

/* ---- Balances and withdrawals ------------------------------------------------------------------------ */

/* What the creator may withdraw: the creator account's credit balance. */
static gboolean
available_amount (CsSqliteConn *c, const char *campaign_id, const char *currency, gint64 *out,
                  GError **error)
{
  g_autofree char *creator = money_campaign_account (campaign_id, "creator");
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_ACCOUNT_SUM, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, creator);
  sq_bind_text (st, 2, currency);
  rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  *out = -sq_col_int (st, 0);
  return TRUE;
}

static gboolean
balance_read (CsSqliteConn *c, const char *campaign_id, CsBalance *out, GError **error)
{
  g_autofree char *creator = money_campaign_account (campaign_id, "creator");
  gint64 total = 0;
  int rc;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_CAMPAIGN_CURRENCY, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, campaign_id);
    if (!sq_step_found (c, st, "Campaign", error))
      return FALSE;
    g_strlcpy (out->currency, sq_col_text (st, 0), sizeof out->currency);
  }
  g_strlcpy (out->campaign_id, campaign_id, sizeof out->campaign_id);
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_ACCOUNT_BY_KIND, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, creator);
    sq_bind_text (st, 2, out->currency);
    /* The creator's account is a credit account: what it owes is -sum. */
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      {
        const char *kind = sq_col_text (st, 0);
        gint64 sum = sq_col_int (st, 1);

        total += sum;
        if (g_strcmp0 (kind, "capture") == 0)
          out->collected_amount += -sum;
        else if (g_strcmp0 (kind, "platform_fee") == 0)
          out->platform_fee_amount += sum;
        else if (g_strcmp0 (kind, "processing_fee") == 0)
          out->processing_fee_amount += sum;
        else if (g_strcmp0 (kind, "refund") == 0)
          out->refunded_amount += sum;
        else if (g_strcmp0 (kind, "withdrawal") == 0 || g_strcmp0 (kind, "payout_failed") == 0)
          out->withdrawn_amount += sum;
      }
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  out->available_amount = MAX (-total, 0);
  return TRUE;
}

gboolean
sqlite_campaign_balance (CsStoreConn *conn, const char *campaign_id, CsBalance *out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  g_return_val_if_fail (campaign_id != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  /* Two statements: one snapshot. */
  if (!sq_txn_begin (c, FALSE, error))
    return FALSE;
  ok = balance_read (c, campaign_id, out, error);
  if (!sq_txn_end (c, ok, error))
    {
      memset (out, 0, sizeof *out);
      return FALSE;
    }
  return TRUE;
}

static gboolean
withdrawal_create_txn (CsSqliteConn *c, const CsWithdrawalCreate *in, const CsIdempotency *idem,
                       gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error)
{
  const char *payout_method = in->payout_method != NULL ? in->payout_method : DEFAULT_PAYOUT_METHOD;
  g_autofree char *creator = NULL;
  g_autofree char *payouts = NULL;
  g_auto(MoneyWRow) r = { 0 };
  g_autoptr(GBytes) body = NULL;
  CsCampaignStatus status = CS_CAMPAIGN_DRAFT;
  char currency[4] = "";
  gint64 available = 0;

  if (idem != NULL && !idem_find (c, idem, replay, error))
    return FALSE;
  if (replay->replayed)
    return TRUE;
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_WITHDRAWAL_GATE, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, in->campaign_id);
    if (!sq_step_found (c, st, "Campaign", error))
      return FALSE;
    /* Another creator's campaign does not exist for this one. */
    if (g_strcmp0 (sq_col_text (st, 0), in->creator_id) != 0)
      {
        sq_set_not_found (error, "Campaign");
        return FALSE;
      }
    if (g_strcmp0 (sq_col_text (st, 3), "verified") != 0)
      {
        g_autoptr(GError) local = g_error_new_literal (CS_ERROR, CS_ERROR_FORBIDDEN,
                                                       "Verify your identity before withdrawing "
                                                       "(POST /api/v1/me/kyc).");

        cs_error_set_type_slug (local, "kyc-required");
        g_propagate_error (error, g_steal_pointer (&local));
        return FALSE;
      }
    cs_campaign_status_from_string (sq_col_text (st, 1), &status);
    g_strlcpy (currency, sq_col_text (st, 2), sizeof currency);
  }
  if (status != CS_CAMPAIGN_SUCCESSFUL)
    return money_conflict (error, "campaign-not-successful",
                           "Only the funds of a successful campaign can be withdrawn: this campaign is %s.",
                           cs_store_status_label (status));
  if (!available_amount (c, in->campaign_id, currency, &available, error))
    return FALSE;
  if (in->amount < 1 || in->amount > available)
    {
      g_autofree char *text = cs_money_format (MAX (available, 0), currency);

      return money_conflict (error, "insufficient-balance",
                             "You can withdraw at most %s from this campaign now.", text);
    }

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_WITHDRAWAL_INSERT, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, in->withdrawal_id);
    sq_bind_text (st, 2, in->campaign_id);
    sq_bind_text (st, 3, in->creator_id);
    sq_bind_int (st, 4, in->amount);
    sq_bind_text (st, 5, currency);
    sq_bind_text (st, 6, payout_method);
    sq_bind_int (st, 7, now);
    if (!sq_step_done (c, st, error))
      return FALSE;
  }
  if (!wrow_load (&c->parent, in->withdrawal_id, &r, error))
    return FALSE;
  creator = money_campaign_account (in->campaign_id, "creator");
  payouts = money_campaign_account (in->campaign_id, "payouts");
  {
    const MoneyEntry entries[] = { { creator, in->amount }, { payouts, -in->amount } };

    if (!money_post_withdrawal_txn (&primitives, &c->parent, &r, "withdrawal", NULL, entries, 2, now, error) ||
        !wrow_save (&c->parent, &r, CS_WITHDRAWAL_PENDING, now, error))
      return FALSE;
  }
  if (!job_insert (&c->parent, in->job_id, CS_PAYMENT_JOB_PAYOUT, NULL, in->withdrawal_id, NULL, payout_method,
                   in->amount, currency, now, error))
    return FALSE;
  r.w->updated_at = now;
  if (idem != NULL)
    {
      body = money_withdrawal_json (r.w);
      if (!idem_save (c, idem, 201, body, now, error))
        return FALSE;
    }
  *out = g_steal_pointer (&r.w);
  return TRUE;
}

gboolean
sqlite_withdrawal_create (CsStoreConn *conn, const CsWithdrawalCreate *in, const CsIdempotency *idem,
                          gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  g_return_val_if_fail (in != NULL && out != NULL && replay != NULL, FALSE);
  *out = NULL;
  cs_replay_clear (replay);
  if (in->withdrawal_id == NULL || in->campaign_id == NULL || in->creator_id == NULL ||
      in->job_id == NULL)
    return money_invalid_field (error, "amount", "is required", "The withdrawal is incomplete.");
  if (!money_idem_check_args (idem, error))
    return FALSE;
  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = withdrawal_create_txn (c, in, idem, now, out, replay, error);
  if (!sq_txn_end (c, ok, error))
    {
      g_clear_pointer (out, cs_withdrawal_free);
      cs_replay_clear (replay);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
sqlite_withdrawal_list (CsStoreConn *conn, const char *creator_id, const char *cursor, guint limit,
                        char **next_cursor, GError **error)
{
  g_return_val_if_fail (creator_id != NULL && next_cursor != NULL, NULL);
  return time_page ((CsSqliteConn *) conn, SQL_WITHDRAWALS_OF, "withdrawals", creator_id, cursor, limit,
                    8, 10, withdrawal_row, (GDestroyNotify) cs_withdrawal_free, next_cursor, error);
}

/* ---- The books ------------------------------------------------------------------------------------------ */

/* The ledger's own checks (cs-store-money-logic.c words the violations). */
static gboolean
books_ledger (CsSqliteConn *c, MoneyBooks *books, GError **error)
{
  int rc;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_UNBALANCED, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_bad_txn (books, sq_col_text (st, 0), sq_col_text (st, 1), sq_col_int (st, 2), sq_col_int (st, 4),
                           sq_col_int (st, 3));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_ORPHANS, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_orphan_entries (books, sq_col_text (st, 0));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_CAPTURES, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_captured_twice (books, sq_col_text (st, 0), sq_col_int (st, 1));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_CAPTURE_MISMATCH, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_capture_mismatch (books, sq_col_text (st, 0), sq_col_text (st, 1), sq_col_int (st, 2) != 0);
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_PAYOUTS, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_payout_missing (books, sq_col_text (st, 0));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_TIERS, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_tier (books, sq_col_text (st, 0), sq_col_int (st, 1), sqlite3_column_type (st, 2) != SQLITE_NULL,
                        sq_col_int (st, 2), sq_col_int (st, 3));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  return TRUE;
}

/* The campaigns with their sums, and the account balances. */
static gboolean
books_sums (CsSqliteConn *c, MoneyBooks *books, GError **error)
{
  int rc;

  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_CAMPAIGNS, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      {
        CsFeeSettings fees = {
          .platform_bps = sq_col_int (st, 4), .processing_bps = sq_col_int (st, 5),
          .processing_fixed = sq_col_int (st, 6),
        };

        money_books_campaign (books, sq_col_text (st, 0), sq_col_text (st, 1), sq_col_int (st, 2),
                              sq_col_int (st, 3), sqlite3_column_type (st, 4) != SQLITE_NULL ? &fees : NULL);
      }
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_PLEDGE_TOTALS, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_pledge_totals (books, sq_col_text (st, 0), sq_col_int (st, 1), sq_col_int (st, 2),
                                 sq_col_int (st, 3));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_COLLECTED, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_collected (books, sq_col_text (st, 0), sq_col_int (st, 1), sq_col_text (st, 2));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_WITHDRAWALS, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_withdrawals (books, sq_col_text (st, 0), sq_col_int (st, 1), sq_col_int (st, 2),
                               sq_col_int (st, 3));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_BOOKS_ACCOUNTS, error);

    if (st == NULL)
      return FALSE;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      money_books_account (books, sq_col_text (st, 0), sq_col_text (st, 1), sq_col_int (st, 2));
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  return TRUE;
}

static gboolean
books_read (CsSqliteConn *c, GPtrArray *violations, GError **error)
{
  g_auto(MoneyBooks) books = { 0 };

  money_books_init (&books, violations);
  if (!books_ledger (c, &books, error) || !books_sums (c, &books, error))
    return FALSE;
  money_books_check (&books);
  return TRUE;
}

gboolean
sqlite_check_books (CsStoreConn *conn, GPtrArray *violations, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  guint before;
  gboolean ok;

  g_return_val_if_fail (violations != NULL, FALSE);
  before = violations->len;
  if (!sq_txn_begin (c, FALSE, error))
    return FALSE;
  ok = books_read (c, violations, error);
  if (!sq_txn_end (c, ok, error))
    {
      g_ptr_array_remove_range (violations, before, violations->len - before);
      return FALSE;
    }
  return TRUE;
}

/* ---- Fees and settings ------------------------------------------------------------------------------------ */

#define KEY_PLATFORM_BPS     "fees.platform_bps"
#define KEY_PROCESSING_BPS   "fees.processing_bps"
#define KEY_PROCESSING_FIXED "fees.processing_fixed"

static gboolean
setting_read (CsSqliteConn *c, const char *key, gint64 def, gint64 *out, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_SETTING_GET, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, key);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    *out = sq_col_int (st, 0);
  else if (rc == SQLITE_DONE)
    *out = def;
  else
    return sq_db_fail (c, rc, error);
  return TRUE;
}

static gboolean
setting_write (CsSqliteConn *c, const char *key, gint64 value, GError **error)
{
  g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_SETTING_PUT, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, key);
  sq_bind_int (st, 2, value);
  return sq_step_done (c, st, error);
}

static gboolean
fee_settings_read (CsStoreConn *conn, CsFeeSettings *out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  CsFeeSettings def;

  cs_fee_settings_default (&def);
  return setting_read (c, KEY_PLATFORM_BPS, def.platform_bps, &out->platform_bps, error) &&
         setting_read (c, KEY_PROCESSING_BPS, def.processing_bps, &out->processing_bps, error) &&
         setting_read (c, KEY_PROCESSING_FIXED, def.processing_fixed, &out->processing_fixed, error);
}

gboolean
sqlite_fee_settings_get (CsStoreConn *conn, CsFeeSettings *out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  g_return_val_if_fail (out != NULL, FALSE);
  /* Three statements: one snapshot. */
  if (!sq_txn_begin (c, FALSE, error))
    return FALSE;
  ok = fee_settings_read (&c->parent, out, error);
  return sq_txn_end (c, ok, error);
}

static gboolean
fee_settings_put_txn (CsSqliteConn *c, const CsFeeSettings *fees, const char *actor_id, gint64 now,
                      GError **error)
{
  g_autofree char *detail = g_strdup_printf ("platform %" G_GINT64_FORMAT " bps, processing %" G_GINT64_FORMAT
                                             " bps + %" G_GINT64_FORMAT, fees->platform_bps,
                                             fees->processing_bps, fees->processing_fixed);

  return setting_write (c, KEY_PLATFORM_BPS, fees->platform_bps, error) &&
         setting_write (c, KEY_PROCESSING_BPS, fees->processing_bps, error) &&
         setting_write (c, KEY_PROCESSING_FIXED, fees->processing_fixed, error) &&
         sq_audit_insert (c, actor_id, "fees.update", "settings", "fees", NULL, detail, now, error);
}

gboolean
sqlite_fee_settings_put (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id, gint64 now,
                         GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
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
  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = fee_settings_put_txn (c, fees, actor_id, now, error);
  return sq_txn_end (c, ok, error);
}

gboolean
sqlite_setting_get_int (CsStoreConn *conn, const char *key, gint64 def, gint64 *out, GError **error)
{
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  /* One statement: atomic on its own. */
  return setting_read ((CsSqliteConn *) conn, key, def, out, error);
}

gboolean
sqlite_setting_set_int (CsStoreConn *conn, const char *key, gint64 value, GError **error)
{
  g_return_val_if_fail (key != NULL, FALSE);
  return setting_write ((CsSqliteConn *) conn, key, value, error);
}
