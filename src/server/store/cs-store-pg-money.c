/* cs-store-pg-money.c: the money path of the PostgreSQL backend
 * (cs-store-money.h, postgresql/002-money.sql): pledges, payment jobs,
 * gateway events, settlement, the ledger, balances and withdrawals.  Each
 * operation behaves like its SQLite twin in cs-store-sqlite-money.c (same
 * results, errors, messages and orders); the ledger's accounts and the
 * counted pledges are described there and in cs-store-money.h.  The rules
 * both backends share (checks, ledger transactions, changing and cancelling
 * a pledge, the gateway-event state machines, check_books' sums and
 * wording) are in cs-store-money-logic.c, which calls this file's functions
 * through the MoneyPrimitives table `primitives`.
 *
 * Concurrency (READ COMMITTED, several instances on one database).  SQLite
 * serialized every writer; here each transaction takes the row locks of
 * what it checks before it writes, always in the order
 *
 *   campaign → reward tier → pledge → other rows → change_counter
 *
 * - Every transaction that changes a campaign's totals, its tiers' claims
 *   or its pledges first locks the campaign row (SELECT … FOR NO KEY
 *   UPDATE: the lock an UPDATE of the row takes, which does not block the
 *   foreign-key checks of other transactions).  The transactions of one
 *   campaign are thus serialized as they were on SQLite, and a pledge's or
 *   tier's row is only ever locked under its campaign's lock.  A pledge's
 *   transaction finds its campaign from the pledge (a pledge never moves).
 * - change_counter (pg_bump_seq) is locked last, in the same statement as
 *   the campaign's UPDATE (campaign_changed()), since every writer of a
 *   campaign takes it and holds it until commit.
 * - The claims are decided by the database: a tier by its conditional
 *   UPDATE, one active pledge per backer by a unique index, one capture per
 *   pledge by another, a settlement by re-checking status = 'live' under
 *   the lock, payment jobs by FOR UPDATE SKIP LOCKED, a gateway event by
 *   its primary key.
 * - Idempotency records are inserted by the transaction that answers; a
 *   repeat racing its first request loses on a unique index (the active
 *   pledge, or the record's key) and is then answered from the record.
 *
 * The pledge create is the hot path (a storm of pledges on one campaign is
 * serialized on that campaign's row): BEGIN, one statement that locks the
 * campaign and reads all the checks need, one statement that writes
 * everything, COMMIT.
 */
#include "config.h"

#include <string.h>

#include "cs-store-pg-private.h"
#include "cs-store-money-logic.h"

/* Where a payout goes when the creator names no destination. */
#define DEFAULT_PAYOUT_METHOD "ba_sandbox_default"

#define ACTIVE_PLEDGE "('pending', 'authorized', 'collected', 'capture_failed')"

#define KEY_PLATFORM_BPS     "fees.platform_bps"
#define KEY_PROCESSING_BPS   "fees.processing_bps"
#define KEY_PROCESSING_FIXED "fees.processing_fixed"

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

static const char SQL_PLEDGE_ROW_LOCK[] =
  "SELECT " PLEDGE_COLS " FROM pledges p WHERE p.id = $1 FOR UPDATE";
static const char SQL_PLEDGE_VIEW[] = PLEDGE_VIEW_SELECT "WHERE p.id = $1";
/* Keyset pages, newest first; without a cursor the keys are bound to the
 * largest values. */
static const char SQL_PLEDGES_OF_BACKER[] =
  PLEDGE_VIEW_SELECT
  "WHERE p.backer_id = $1 AND (p.created_at, p.rowid) < ($2::bigint, $3::bigint) "
  "ORDER BY p.created_at DESC, p.rowid DESC LIMIT $4::bigint";
static const char SQL_PLEDGES_OF_CAMPAIGN[] =
  PLEDGE_VIEW_SELECT
  "WHERE p.campaign_id = $1 AND (p.created_at, p.rowid) < ($2::bigint, $3::bigint) "
  "  AND p.status NOT IN ('cancelled', 'failed') "
  "ORDER BY p.created_at DESC, p.rowid DESC LIMIT $4::bigint";
static const char SQL_PLEDGE_ACTIVE[] =
  "SELECT id FROM pledges WHERE backer_id = $1 AND campaign_id = $2 AND status IN " ACTIVE_PLEDGE;
static const char SQL_PLEDGE_SAVE[] =
  "UPDATE pledges SET amount = $3::bigint, reward_tier_id = $4, status = $5, payment_method_id = $6, "
  "  charge_id = $7, pending_job_id = $8, transaction_id = $9, failure_reason = $10, "
  "  capture_retry_until = $11::bigint, void_reason = $12, updated_at = $13::bigint "
  "WHERE id = $1 AND status = $2";
/* Locked: the caller holds the campaign's lock, the pledges follow. */
static const char SQL_PLEDGES_AUTHORIZED[] =
  "SELECT " PLEDGE_COLS " FROM pledges p WHERE p.campaign_id = $1 AND p.status = 'authorized' "
  "ORDER BY p.created_at, p.rowid FOR UPDATE";
/* A campaign's authorized pledges voided at once (its end or suspension):
 * the transactions with their entries, … */
static const char SQL_VOID_TXNS[] =
  "WITH u AS (SELECT * FROM unnest ($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) "
  "           AS u (txn, pledge, amount, currency, charge)), "
  "t AS ("
  "  INSERT INTO money_transactions (id, kind, campaign_id, pledge_id, amount, currency, gateway_ref, "
  "                                  created_at) "
  "  SELECT txn, 'void', $6::text, pledge, amount, currency, nullif (charge, ''), $8::bigint FROM u) "
  "INSERT INTO ledger_entries (transaction_id, account, currency, amount) "
  "SELECT u.txn, e.account, u.currency, e.amount FROM u "
  "CROSS JOIN LATERAL (VALUES ($7::text, u.amount), ('card_holds', -u.amount)) AS e (account, amount)";
/* …their VOID or CAPTURE jobs (one per charge), … */
static const char SQL_JOBS_INSERT_MANY[] =
  "INSERT INTO payment_jobs (id, kind, pledge_id, charge_id, amount, currency, next_attempt_at, created_at) "
  "SELECT job, $1::text, pledge, charge, amount, currency, $7::bigint, $7::bigint "
  "FROM unnest ($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) "
  "  AS u (job, pledge, charge, amount, currency)";
/* …their rewards' claims released (a count per reward; never below 0:
 * check-books reports a miscount), … */
static const char SQL_TIERS_RELEASE_MANY[] =
  "WITH n AS (SELECT tier, count(*) AS n FROM unnest ($1::text[]) AS tier GROUP BY tier) "
  "UPDATE reward_tiers t SET quantity_claimed = t.quantity_claimed - least (n.n, t.quantity_claimed), "
  "  updated_at = $2::bigint "
  "FROM n JOIN reward_tiers o ON o.id = n.tier "
  "WHERE t.id = n.tier RETURNING t.id, o.quantity_claimed < n.n";
/* …and the pledges themselves. */
static const char SQL_PLEDGES_VOID_MANY[] =
  "UPDATE pledges p SET status = 'voided', void_reason = $3, transaction_id = u.txn, updated_at = $4::bigint "
  "FROM unnest ($1::text[], $2::text[]) AS u (pledge, txn) "
  "WHERE p.id = u.pledge AND p.status = 'authorized'";
static const char SQL_PLEDGES_EXPIRED[] =
  "SELECT id, campaign_id FROM pledges WHERE status = 'capture_failed' "
  "  AND capture_retry_until <= $1::bigint AND pending_job_id IS NULL "
  "ORDER BY capture_retry_until, rowid LIMIT $2::bigint";

/* The pledge create: the campaign locked, and everything the checks and
 * the answer need, in one statement. */
static const char SQL_CREATE_READ[] =
  "SELECT c.status, coalesce (c.end_date, 0), c.currency, c.title, "
  "       t.id, t.minimum_pledge, t.title, "
  "       u.id, coalesce (u.display_name, u.username), "
  "       i.request_hash, i.status, i.body "
  "FROM campaigns c "
  "LEFT JOIN reward_tiers t ON t.id = $2 AND t.campaign_id = c.id "
  "LEFT JOIN users u ON u.id = $3 "
  "LEFT JOIN idempotency_keys i ON i.user_id = $4 AND i.key = $5 "
  "WHERE c.id = $1 "
  "FOR NO KEY UPDATE OF c";
enum {
  CR_STATUS, CR_END, CR_CURRENCY, CR_TITLE, CR_TIER, CR_TIER_MIN, CR_TIER_TITLE, CR_USER, CR_USER_NAME,
  CR_IDEM_HASH, CR_IDEM_STATUS, CR_IDEM_BODY
};
/* …and everything it writes, in one statement, in the lock order: the
 * pledge (the one-active-pledge index decides a second one), the tier
 * claim (a conditional UPDATE: sold out when it changes nothing), then,
 * only if a tier was claimed, change_counter and the campaign (changed for
 * caches and /sync); the AUTHORIZE job; the idempotency record with the
 * answer.  Each step depends on the one before, so they run in this
 * order.  Returns the number of tiers claimed (0 or 1). */
static const char SQL_CREATE_WRITE[] =
  "WITH pledge AS ("
  "  INSERT INTO pledges (id, backer_id, campaign_id, reward_tier_id, amount, currency, status, "
  "                       payment_method_id, pending_job_id, created_at, updated_at) "
  "  VALUES ($1, $2, $3, $4, $5::bigint, $6, 'pending', $7, $8, $9::bigint, $9::bigint) "
  "  RETURNING id), "
  "claim AS ("
  "  UPDATE reward_tiers SET quantity_claimed = quantity_claimed + 1, updated_at = $9::bigint "
  "  WHERE id = $4 AND campaign_id = $3 AND EXISTS (SELECT 1 FROM pledge) "
  "    AND (quantity_available IS NULL OR quantity_claimed < quantity_available) "
  "  RETURNING id), "
  "seq AS ("
  "  UPDATE change_counter SET value = value + 1 WHERE EXISTS (SELECT 1 FROM claim) "
  "  RETURNING value), "
  "changed AS ("
  "  UPDATE campaigns SET updated_at = $9::bigint, change_seq = seq.value FROM seq "
  "  WHERE campaigns.id = $3 RETURNING 1), "
  "job AS ("
  "  INSERT INTO payment_jobs (id, kind, pledge_id, payment_method_id, amount, currency, "
  "                            next_attempt_at, created_at) "
  "  SELECT $8::text, 'authorize', pledge.id, $7::text, $5::bigint, $6::text, $9::bigint, $9::bigint "
  "  FROM pledge), "
  "idem AS ("
  "  INSERT INTO idempotency_keys (user_id, key, scope, request_hash, status, body, created_at) "
  "  SELECT $10::text, $11::text, $12::text, $13::text, 201, decode ($14::text, 'hex'), $9::bigint "
  "  FROM pledge WHERE $10::text IS NOT NULL) "
  "SELECT (SELECT count(*) FROM claim)";

#define CAMPAIGN_MONEY_COLS \
  "status, goal_amount, current_amount, backer_count, coalesce (end_date, 0), currency, " \
  "creator_id, fee_platform_bps, fee_processing_bps, fee_processing_fixed, id"
/* The campaign of a pledge, locked (the first lock of a pledge's change). */
static const char SQL_CAMPAIGN_OF_PLEDGE_LOCK[] =
  "SELECT " CAMPAIGN_MONEY_COLS " FROM campaigns "
  "WHERE id = (SELECT campaign_id FROM pledges WHERE id = $1) FOR NO KEY UPDATE";
/* Applies a change of the counted pledges to the campaign's totals and
 * marks it changed, under the campaign's lock: change_counter is the last
 * lock taken. */
static const char SQL_CAMPAIGN_TOTALS[] =
  "WITH seq AS (UPDATE change_counter SET value = value + 1 RETURNING value) "
  "UPDATE campaigns SET current_amount = current_amount + $2::bigint, "
  "  backer_count = backer_count + $3::bigint, updated_at = $4::bigint, change_seq = seq.value "
  "FROM seq WHERE campaigns.id = $1 "
  "RETURNING current_amount, backer_count, goal_amount, currency, status";
static const char SQL_CAMPAIGNS_DUE[] =
  "SELECT id FROM campaigns WHERE status = 'live' AND end_date <= $1::bigint "
  "ORDER BY end_date, rowid LIMIT $2::bigint";
/* The claim of a settlement: the lock, then the status re-checked on the
 * row's newest version; another instance that settled it first leaves no
 * row. */
static const char SQL_CAMPAIGN_SETTLE_LOCK[] =
  "SELECT 1 FROM campaigns WHERE id = $1 AND status = 'live' AND end_date <= $2::bigint "
  "FOR NO KEY UPDATE";
static const char SQL_CAMPAIGN_SETTLE[] =
  "WITH seq AS (UPDATE change_counter SET value = value + 1 RETURNING value) "
  "UPDATE campaigns SET "
  "  status = CASE WHEN current_amount >= goal_amount THEN 'successful' ELSE 'failed' END, "
  "  fee_platform_bps = CASE WHEN current_amount >= goal_amount THEN $3::bigint END, "
  "  fee_processing_bps = CASE WHEN current_amount >= goal_amount THEN $4::bigint END, "
  "  fee_processing_fixed = CASE WHEN current_amount >= goal_amount THEN $5::bigint END, "
  "  settled_at = $2::bigint, updated_at = $2::bigint, change_seq = seq.value "
  "FROM seq WHERE campaigns.id = $1 AND campaigns.status = 'live' "
  "RETURNING current_amount, backer_count, goal_amount, currency, status";
/* The campaigns of expiring pledges, locked in one order. */
static const char SQL_CAMPAIGNS_LOCK[] =
  "SELECT id FROM campaigns WHERE id = ANY ($1::text[]) ORDER BY id FOR NO KEY UPDATE";

static const char SQL_TIER_MINIMUM[] =
  "SELECT minimum_pledge FROM reward_tiers WHERE id = $1 AND campaign_id = $2";
static const char SQL_TIER_CLAIM[] =
  "UPDATE reward_tiers SET quantity_claimed = quantity_claimed + 1, updated_at = $3::bigint "
  "WHERE id = $1 AND campaign_id = $2 "
  "  AND (quantity_available IS NULL OR quantity_claimed < quantity_available)";
static const char SQL_TIER_RELEASE[] =
  "UPDATE reward_tiers SET quantity_claimed = quantity_claimed - 1, updated_at = $2::bigint "
  "WHERE id = $1 AND quantity_claimed > 0";

static const char SQL_IDEM_GET[] =
  "SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = $1 AND key = $2";
static const char SQL_IDEM_PUT[] =
  "INSERT INTO idempotency_keys (user_id, key, scope, request_hash, status, body, created_at) "
  "VALUES ($1, $2, $3, $4, $5::integer, decode ($6::text, 'hex'), $7::bigint)";

static const char SQL_JOB_INSERT[] =
  "INSERT INTO payment_jobs (id, kind, pledge_id, withdrawal_id, charge_id, payment_method_id, "
  "                          amount, currency, next_attempt_at, created_at) "
  "VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, $8, $9::bigint, $9::bigint)";
/* A job the gateway never saw (never claimed) can simply be forgotten. */
static const char SQL_JOB_DROP_UNSENT[] = "DELETE FROM payment_jobs WHERE id = $1 AND attempts = 0";
/* Claims (and counts an attempt) in one statement: jobs another worker is
 * claiming right now are skipped, a job claimed and committed meanwhile is
 * re-checked (next_attempt_at) on its newest version before it is locked;
 * handed out oldest due first. */
static const char SQL_JOBS_CLAIM[] =
  "WITH due AS ("
  "  SELECT id, next_attempt_at AS due_at, created_at AS queued_at FROM payment_jobs "
  "  WHERE next_attempt_at <= $1::bigint "
  "  ORDER BY next_attempt_at, created_at, id LIMIT $2::bigint "
  "  FOR UPDATE SKIP LOCKED), "
  "claimed AS ("
  "  UPDATE payment_jobs j SET claimed_by = $3, claimed_until = $4::bigint, "
  "    next_attempt_at = $4::bigint, attempts = j.attempts + 1 "
  "  FROM due WHERE j.id = due.id "
  "  RETURNING j.id, j.kind, j.pledge_id, j.withdrawal_id, j.charge_id, j.payment_method_id, "
  "    j.amount, j.currency, j.attempts, due.due_at, due.queued_at) "
  "SELECT id, kind, pledge_id, withdrawal_id, charge_id, payment_method_id, amount, currency, attempts "
  "FROM claimed ORDER BY due_at, queued_at, id";
/* The gateway accepted a job: its reference goes on the pledge (only while
 * the pledge still waits for this job: the webhook may have come first, or
 * the backer changed the pledge meanwhile) or on the withdrawal, then the
 * job is forgotten.  The job's row is read unlocked and deleted last, so
 * that the pledge is locked before the job (the main DELETE's condition
 * runs the two UPDATEs first); a job already done changes nothing. */
static const char SQL_JOB_DONE[] =
  "WITH j AS (SELECT kind, pledge_id, withdrawal_id FROM payment_jobs WHERE id = $1), "
  "p AS ("
  "  UPDATE pledges SET charge_id = $2 FROM j "
  "  WHERE $2::text IS NOT NULL AND j.kind IN ('authorize', 'charge') "
  "    AND pledges.id = j.pledge_id AND pledges.pending_job_id = $1 RETURNING 1), "
  "w AS ("
  "  UPDATE withdrawals SET payout_id = $2 FROM j "
  "  WHERE $2::text IS NOT NULL AND j.kind = 'payout' "
  "    AND withdrawals.id = j.withdrawal_id AND withdrawals.payout_id IS NULL RETURNING 1) "
  "DELETE FROM payment_jobs WHERE id = $1 "
  "  AND (SELECT count(*) FROM p) + (SELECT count(*) FROM w) >= 0";
static const char SQL_JOB_RETRY[] =
  "UPDATE payment_jobs SET next_attempt_at = $2::bigint, last_error = $3, claimed_by = NULL, "
  "  claimed_until = NULL WHERE id = $1";
static const char SQL_JOBS_COUNT[] = "SELECT count(*) FROM payment_jobs";

static const char SQL_EVENT_SEEN[] =
  "INSERT INTO payment_events (id, type, object_id, reference, seen_at) "
  "VALUES ($1, $2, $3, $4, $5::bigint) ON CONFLICT (id) DO NOTHING";

/* One money transaction with its entries, in one statement (the entries'
 * sum is checked before, and again at commit by the schema). */
static const char SQL_POST_TXN2[] =
  "WITH t AS ("
  "  INSERT INTO money_transactions (id, kind, campaign_id, pledge_id, withdrawal_id, amount, "
  "                                  currency, gateway_ref, created_at) "
  "  VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8, $9::bigint)) "
  "INSERT INTO ledger_entries (transaction_id, account, currency, amount) "
  "VALUES ($1, $10, $7, $11::bigint), ($1, $12, $7, $13::bigint)";
static const char SQL_POST_TXN4[] =
  "WITH t AS ("
  "  INSERT INTO money_transactions (id, kind, campaign_id, pledge_id, withdrawal_id, amount, "
  "                                  currency, gateway_ref, created_at) "
  "  VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8, $9::bigint)) "
  "INSERT INTO ledger_entries (transaction_id, account, currency, amount) "
  "VALUES ($1, $10, $7, $11::bigint), ($1, $12, $7, $13::bigint), "
  "       ($1, $14, $7, $15::bigint), ($1, $16, $7, $17::bigint)";
static const char SQL_ACCOUNT_SUM[] =
  "SELECT coalesce (sum (amount), 0) FROM ledger_entries WHERE account = $1 AND currency = $2";
/* A campaign's currency and its creator account by transaction kind, in
 * one statement: one snapshot.  No row: no such campaign. */
static const char SQL_BALANCE[] =
  "SELECT c.currency, t.kind, sum (e.amount) FROM campaigns c "
  "LEFT JOIN (ledger_entries e JOIN money_transactions t ON t.id = e.transaction_id) "
  "  ON e.account = $2 AND e.currency = c.currency "
  "WHERE c.id = $1 GROUP BY c.currency, t.kind";

#define WITHDRAWAL_COLS \
  "id, campaign_id, creator_id, amount, currency, status, transaction_id, failure_reason, " \
  "created_at, updated_at, rowid, payout_id"
static const char SQL_WITHDRAWAL_LOCK[] =
  "SELECT " WITHDRAWAL_COLS " FROM withdrawals WHERE id = $1 FOR UPDATE";
static const char SQL_WITHDRAWALS_OF[] =
  "SELECT " WITHDRAWAL_COLS " FROM withdrawals "
  "WHERE creator_id = $1 AND (created_at, rowid) < ($2::bigint, $3::bigint) "
  "ORDER BY created_at DESC, rowid DESC LIMIT $4::bigint";
/* Locks the campaign: its withdrawals are decided one at a time against
 * its balance. */
static const char SQL_WITHDRAWAL_GATE[] =
  "SELECT c.creator_id, c.status, c.currency, u.kyc_status FROM campaigns c "
  "JOIN users u ON u.id = c.creator_id WHERE c.id = $1 FOR NO KEY UPDATE OF c";
static const char SQL_WITHDRAWAL_INSERT[] =
  "INSERT INTO withdrawals (id, campaign_id, creator_id, amount, currency, status, payout_method, "
  "                         created_at, updated_at) "
  "VALUES ($1, $2, $3, $4::bigint, $5, 'pending', $6, $7::bigint, $7::bigint) "
  "RETURNING " WITHDRAWAL_COLS;
static const char SQL_WITHDRAWAL_SAVE[] =
  "UPDATE withdrawals SET status = $3, payout_id = coalesce ($4, payout_id), transaction_id = $5, "
  "  failure_reason = $6, updated_at = $7::bigint WHERE id = $1 AND status = $2";

static const char SQL_FEES_GET[] =
  "SELECT key, value FROM settings WHERE key IN ($1, $2, $3)";

/* The books (one read snapshot: REPEATABLE READ). */
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
  "  count (*) FILTER (WHERE e.currency <> t.currency) "
  "FROM money_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id "
  "GROUP BY t.id, t.kind "
  "HAVING count (e.account) = 0 OR sum (e.amount) <> 0 "
  "    OR count (*) FILTER (WHERE e.currency <> t.currency) > 0 "
  "ORDER BY t.id";
static const char SQL_BOOKS_ORPHANS[] =
  "SELECT DISTINCT e.transaction_id FROM ledger_entries e "
  "WHERE NOT EXISTS (SELECT 1 FROM money_transactions t WHERE t.id = e.transaction_id) "
  "ORDER BY e.transaction_id";
static const char SQL_BOOKS_CAPTURES[] =
  "SELECT pledge_id, count(*) FROM money_transactions WHERE kind = 'capture' "
  "GROUP BY pledge_id HAVING count(*) > 1 ORDER BY pledge_id";
static const char SQL_BOOKS_CAPTURE_MISMATCH[] =
  "SELECT id, status, captured FROM ("
  "  SELECT p.id, p.status, p.rowid, EXISTS (SELECT 1 FROM money_transactions t "
  "                                          WHERE t.pledge_id = p.id AND t.kind = 'capture') AS captured "
  "  FROM pledges p) x "
  "WHERE (status IN ('collected', 'refunded')) <> captured ORDER BY rowid";
static const char SQL_BOOKS_TIERS[] =
  "SELECT t.id, t.quantity_claimed, t.quantity_available, "
  "  (SELECT count(*) FROM pledges p WHERE p.reward_tier_id = t.id AND p.status IN " ACTIVE_PLEDGE ") "
  "FROM reward_tiers t ORDER BY t.created_at, t.campaign_id, t.position, t.id";
static const char SQL_BOOKS_PAYOUTS[] =
  "SELECT w.id FROM withdrawals w WHERE w.status = 'paid' AND NOT EXISTS "
  "  (SELECT 1 FROM money_transactions t WHERE t.withdrawal_id = w.id AND t.kind = 'payout') "
  "ORDER BY w.rowid";

/* ---- Small helpers --------------------------------------------------------------- */

/* Rows a statement changed. */
static gint64
changes (const PGresult *r)
{
  return g_ascii_strtoll (PQcmdTuples ((PGresult *) r), NULL, 10);
}

/* Runs a statement that must change exactly one row.  Under the row's lock
 * anything else means the row is not what this transaction read. */
static gboolean
exec_one_change (CsPgConn *c, const char *sql, PgArgs *args, const char *what, GError **error)
{
  g_autoptr(PGresult) r = pg_query (c, sql, args, error);

  if (r == NULL)
    return FALSE;
  if (changes (r) != 1)
    {
      g_autofree char *why = g_strdup_printf ("%s changed under its lock", what);

      return money_internal (error, why);
    }
  return TRUE;
}

/* Runs a statement without a result worth reading. */
static gboolean
exec_done (CsPgConn *c, const char *sql, PgArgs *args, GError **error)
{
  g_autoptr(PGresult) r = pg_query (c, sql, args, error);

  return r != NULL;
}

/* Hex text of @bytes, for decode (…, 'hex'). */
static char *
hex_of (GBytes *bytes)
{
  static const char digits[] = "0123456789abcdef";
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  char *hex = g_malloc (2 * len + 1);

  for (gsize i = 0; i < len; i++)
    {
      hex[2 * i] = digits[data[i] >> 4];
      hex[2 * i + 1] = digits[data[i] & 0xf];
    }
  hex[2 * len] = '\0';
  return hex;
}

/* A bytea cell (text format, "\x…") as bytes. */
static GBytes *
bytes_of_cell (const PGresult *r, int row, int col)
{
  size_t len = 0;
  unsigned char *raw;
  GBytes *bytes;

  if (pg_col_null (r, row, col))
    return g_bytes_new (NULL, 0);
  raw = PQunescapeBytea ((const unsigned char *) PQgetvalue (r, row, col), &len);
  if (raw == NULL)
    return g_bytes_new (NULL, 0);
  bytes = g_bytes_new (raw, len);
  PQfreemem (raw);
  return bytes;
}

/* A text[] literal of @items (double-quoted elements). */
static char *
text_array (GPtrArray *items)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < items->len; i++)
    {
      const char *item = g_ptr_array_index (items, i);

      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, '"');
      for (const char *p = item; *p != '\0'; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '"');
    }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

/* ---- Rows ------------------------------------------------------------------------- */

static CsPledge *
pledge_from_row (const PGresult *r, int row, gboolean with_names)
{
  CsPledge *p = cs_pledge_new ();
  const char *currency = pg_col_text (r, row, PC_CURRENCY);

  p->id = pg_col_dup (r, row, PC_ID);
  p->backer_id = pg_col_dup (r, row, PC_BACKER);
  p->campaign_id = pg_col_dup (r, row, PC_CAMPAIGN);
  p->amount = pg_col_int (r, row, PC_AMOUNT);
  g_strlcpy (p->currency, currency != NULL ? currency : "", sizeof p->currency);
  p->reward_tier_id = pg_col_dup (r, row, PC_TIER);
  /* The schema's CHECK allows only known statuses. */
  if (!cs_pledge_status_from_string (pg_col_text (r, row, PC_STATUS), &p->status))
    p->status = CS_PLEDGE_FAILED;
  p->transaction_id = pg_col_dup (r, row, PC_TXN);
  p->payment_method_id = pg_col_dup (r, row, PC_PM);
  p->failure_reason = pg_col_dup (r, row, PC_FAILURE);
  p->capture_retry_until = pg_col_int (r, row, PC_RETRY);   /* NULL reads as 0 */
  p->created_at = pg_col_int (r, row, PC_CREATED);
  p->updated_at = pg_col_int (r, row, PC_UPDATED);
  if (with_names)
    {
      p->backer_name = pg_col_dup (r, row, PC_N);
      p->reward_title = pg_col_dup (r, row, PC_N + 1);
      p->campaign_title = pg_col_dup (r, row, PC_N + 2);
    }
  return p;
}

static void
row_fill (MoneyRow *r, const PGresult *res, int row)
{
  money_row_clear (r);
  r->p = pledge_from_row (res, row, FALSE);
  r->charge_id = pg_col_dup (res, row, PC_CHARGE);
  r->pending_job_id = pg_col_dup (res, row, PC_JOB);
  r->void_reason = pg_col_dup (res, row, PC_VOID);
  r->loaded = r->p->status;
}

/* Loads and locks a pledge (its campaign is locked already). */
static gboolean
row_lock (CsPgConn *c, const char *pledge_id, MoneyRow *r, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) res = NULL;

  pg_arg_text (a, pledge_id);
  res = pg_query (c, SQL_PLEDGE_ROW_LOCK, a, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      pg_set_not_found (error, "Pledge");
      return FALSE;
    }
  row_fill (r, res, 0);
  return TRUE;
}

/* Writes @r back, if it is still in the status it was read in. */
static gboolean
row_save (CsStoreConn *conn, MoneyRow *r, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  CsPledge *p = r->p;

  if (p->status != CS_PLEDGE_VOIDED)
    g_clear_pointer (&r->void_reason, g_free);
  pg_arg_text (a, p->id);
  pg_arg_text (a, cs_pledge_status_to_string (r->loaded));
  pg_arg_int (a, p->amount);
  pg_arg_text (a, p->reward_tier_id);
  pg_arg_text (a, cs_pledge_status_to_string (p->status));
  pg_arg_text (a, p->payment_method_id);
  pg_arg_text (a, r->charge_id);
  pg_arg_text (a, r->pending_job_id);
  pg_arg_text (a, p->transaction_id);
  pg_arg_text (a, p->failure_reason);
  pg_arg_int_or_null (a, p->capture_retry_until == 0, p->capture_retry_until);
  pg_arg_text (a, r->void_reason);
  pg_arg_int (a, now);
  if (!exec_one_change (c, SQL_PLEDGE_SAVE, a, "a pledge", error))
    return FALSE;
  r->loaded = p->status;
  p->updated_at = now;
  return TRUE;
}

/* The pledge as the API shows it (with names). */
static CsPledge *
pledge_view (CsStoreConn *conn, const char *pledge_id, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, pledge_id);
  r = pg_query (c, SQL_PLEDGE_VIEW, a, error);
  if (r == NULL)
    return NULL;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Pledge");
      return NULL;
    }
  return pledge_from_row (r, 0, TRUE);
}

static void
camp_fill (MoneyCamp *k, const PGresult *r, int row)
{
  const char *currency = pg_col_text (r, row, 5);

  money_camp_clear (k);
  if (!cs_campaign_status_from_string (pg_col_text (r, row, 0), &k->status))
    k->status = CS_CAMPAIGN_DRAFT;
  k->goal_amount = pg_col_int (r, row, 1);
  k->current_amount = pg_col_int (r, row, 2);
  k->backer_count = pg_col_int (r, row, 3);
  k->end_date = pg_col_int (r, row, 4);
  g_strlcpy (k->currency, currency != NULL ? currency : "", sizeof k->currency);
  k->creator_id = pg_col_dup (r, row, 6);
  k->has_fees = !pg_col_null (r, row, 7);
  k->fees.platform_bps = pg_col_int (r, row, 7);
  k->fees.processing_bps = pg_col_int (r, row, 8);
  k->fees.processing_fixed = pg_col_int (r, row, 9);
  k->id = pg_col_dup (r, row, 10);
}

/* Locks the campaign of pledge @pledge_id: the first lock of every
 * transaction that changes a pledge.  NOT_FOUND "Pledge" if there is no
 * such pledge. */
static gboolean
camp_lock_of_pledge (CsPgConn *c, const char *pledge_id, MoneyCamp *k, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, pledge_id);
  r = pg_query (c, SQL_CAMPAIGN_OF_PLEDGE_LOCK, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Pledge");
      return FALSE;
    }
  camp_fill (k, r, 0);
  return TRUE;
}

static void
progress_from_row (const PGresult *r, int row, const char *campaign_id, CsCampaignProgress *out)
{
  const char *currency = pg_col_text (r, row, 3);

  g_strlcpy (out->campaign_id, campaign_id, sizeof out->campaign_id);
  out->current_amount = pg_col_int (r, row, 0);
  out->backer_count = pg_col_int (r, row, 1);
  out->goal_amount = pg_col_int (r, row, 2);
  g_strlcpy (out->currency, currency != NULL ? currency : "", sizeof out->currency);
  if (!cs_campaign_status_from_string (pg_col_text (r, row, 4), &out->status))
    out->status = CS_CAMPAIGN_DRAFT;
}

/* Applies a change of the counted pledges to the campaign's totals and
 * marks it changed (change_seq, updated_at) for caches and /sync; also
 * when only its tiers' claims changed (deltas 0).  Fills @progress.  The
 * caller holds the campaign's lock. */
static gboolean
campaign_changed (CsStoreConn *conn, const char *campaign_id, gint64 d_amount, gint64 d_backers,
                  gint64 now, CsCampaignProgress *progress, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, campaign_id);
  pg_arg_int (a, d_amount);
  pg_arg_int (a, d_backers);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_CAMPAIGN_TOTALS, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Campaign");
      return FALSE;
    }
  if (progress != NULL)
    progress_from_row (r, 0, campaign_id, progress);
  return TRUE;
}

/* ---- Tiers ---------------------------------------------------------------------------- */

static gboolean
tier_minimum (CsStoreConn *conn, const char *tier_id, const char *campaign_id, gint64 *minimum,
              GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, tier_id);
  pg_arg_text (a, campaign_id);
  r = pg_query (c, SQL_TIER_MINIMUM, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) > 0)
    {
      *minimum = pg_col_int (r, 0, 0);
      return TRUE;
    }
  return money_invalid_field (error, "reward_tier_id", "is not a reward of this campaign",
                              "The reward does not exist.");
}

static gboolean
sold_out (GError **error)
{
  return money_conflict (error, "reward-sold-out",
                         "This reward is sold out: choose another reward or pledge without one.");
}

/* The claim itself decides a sold-out reward: a conditional UPDATE. */
static gboolean
tier_claim (CsStoreConn *conn, const char *tier_id, const char *campaign_id, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, tier_id);
  pg_arg_text (a, campaign_id);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_TIER_CLAIM, a, error);
  if (r == NULL)
    return FALSE;
  if (changes (r) == 0)
    return sold_out (error);
  return TRUE;
}

static gboolean
tier_release (CsStoreConn *conn, const char *tier_id, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = NULL;
  g_autoptr(PGresult) r = NULL;

  if (tier_id == NULL)
    return TRUE;
  a = pg_args_new ();
  pg_arg_text (a, tier_id);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_TIER_RELEASE, a, error);
  if (r == NULL)
    return FALSE;
  /* check-books reports the miscount; the backer's action goes on. */
  if (changes (r) == 0)
    g_warning ("store: reward %s had no claim to release", tier_id);
  return TRUE;
}

/* ---- Idempotency ------------------------------------------------------------------------ */

/* Decides on a stored record (@hash, @status, @body at @row, @col…) of
 * @idem: the replay, or the key's reuse refused. */
static gboolean
idem_decide (const CsIdempotency *idem, const PGresult *r, int row, int col, CsReplay *replay,
             GError **error)
{
  if (!money_idem_check_hash (idem, pg_col_text (r, row, col), error))
    return FALSE;
  replay->replayed = TRUE;
  replay->status = (guint) pg_col_int (r, row, col + 1);
  replay->body = bytes_of_cell (r, row, col + 2);
  return TRUE;
}

/* Fills @replay when @idem repeats a request already answered; another
 * request under the same key is refused. */
static gboolean
idem_find (CsPgConn *c, const CsIdempotency *idem, CsReplay *replay, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, idem->user_id);
  pg_arg_text (a, idem->key);
  r = pg_query (c, SQL_IDEM_GET, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    return TRUE;
  return idem_decide (idem, r, 0, 0, replay, error);
}

static gboolean
idem_save (CsPgConn *c, const CsIdempotency *idem, guint status, GBytes *body, gint64 now,
           GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autofree char *hex = hex_of (body);

  pg_arg_text (a, idem->user_id);
  pg_arg_text (a, idem->key);
  pg_arg_text (a, idem->scope);
  pg_arg_text (a, idem->request_hash);
  pg_arg_int (a, status);
  pg_arg_text (a, hex);
  pg_arg_int (a, now);
  return exec_done (c, SQL_IDEM_PUT, a, error);
}

/* After a transaction with @idem failed on a unique index: if a request
 * with the same key committed meanwhile (it won the race), its answer is
 * ours.  TRUE (@error replaced) when the record decided. */
static gboolean
idem_after_race (CsPgConn *c, const CsIdempotency *idem, CsReplay *replay, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(PgArgs) a = NULL;
  g_autoptr(PGresult) r = NULL;

  if (idem == NULL)
    return FALSE;
  a = pg_args_new ();
  pg_arg_text (a, idem->user_id);
  pg_arg_text (a, idem->key);
  r = pg_query (c, SQL_IDEM_GET, a, &local);
  if (r == NULL || PQntuples (r) == 0)
    return FALSE;
  g_debug ("store: a request raced its repeat under the same Idempotency-Key: answered from the record");
  g_clear_error (error);
  idem_decide (idem, r, 0, 0, replay, error);
  return TRUE;
}

/* ---- Jobs --------------------------------------------------------------------------------- */

/* Queues a job toward the gateway, due now.  @job_id NULL: a new id. */
static gboolean
job_insert (CsStoreConn *conn, const char *job_id, CsPaymentJobKind kind, const char *pledge_id,
            const char *withdrawal_id, const char *charge_id, const char *payment_method_id,
            gint64 amount, const char *currency, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autofree char *new_id = job_id == NULL ? cs_id_new ("job") : NULL;
  g_autoptr(PgArgs) a = pg_args_new ();

  pg_arg_text (a, job_id != NULL ? job_id : new_id);
  pg_arg_text (a, cs_payment_job_kind_to_string (kind));
  pg_arg_text (a, pledge_id);
  pg_arg_text (a, withdrawal_id);
  pg_arg_text (a, charge_id);
  pg_arg_text (a, payment_method_id);
  pg_arg_int (a, amount);
  pg_arg_text (a, currency);
  pg_arg_int (a, now);
  return exec_done (c, SQL_JOB_INSERT, a, error);
}

static gboolean
job_drop_unsent (CsStoreConn *conn, const char *job_id, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = NULL;

  if (job_id == NULL)
    return TRUE;
  a = pg_args_new ();
  pg_arg_text (a, job_id);
  return exec_done (c, SQL_JOB_DROP_UNSENT, a, error);
}

/* ---- The ledger ----------------------------------------------------------------------------- */

/* Posts one money transaction with its entries (2 or 4); they must
 * balance.  Returns the new transaction's id. */
static char *
post_txn (CsStoreConn *conn, const MoneyTxn *txn, const MoneyEntry *entries, guint n_entries, gint64 now,
          GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autofree char *id = NULL;
  g_autoptr(PgArgs) a = NULL;

  if (!money_txn_check (txn, entries, n_entries, error))
    return NULL;
  /* One statement per shape: SQL_POST_TXN2 and SQL_POST_TXN4. */
  if (n_entries != 2 && n_entries != 4)
    {
      g_autofree char *why = g_strdup_printf ("refusing a %s transaction of %u entries (2 or 4 can be posted)",
                                              txn->kind, n_entries);

      money_internal (error, why);
      return NULL;
    }
  id = cs_id_new ("txn");
  a = pg_args_new ();
  pg_arg_text (a, id);
  pg_arg_text (a, txn->kind);
  pg_arg_text (a, txn->campaign_id);
  pg_arg_text (a, txn->pledge_id);
  pg_arg_text (a, txn->withdrawal_id);
  pg_arg_int (a, txn->amount);
  pg_arg_text (a, txn->currency);
  pg_arg_text (a, txn->gateway_ref);
  pg_arg_int (a, now);
  for (guint i = 0; i < n_entries; i++)
    {
      pg_arg_text (a, entries[i].account);
      pg_arg_int (a, entries[i].amount);
    }
  if (!exec_done (c, n_entries == 2 ? SQL_POST_TXN2 : SQL_POST_TXN4, a, error))
    return NULL;
  return g_steal_pointer (&id);
}

/* The fee settings of now (the trust file's are one transaction of their
 * own; this reads them inside the caller's). */
static gboolean
fee_settings_read (CsStoreConn *conn, CsFeeSettings *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  cs_fee_settings_default (out);
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
        out->platform_bps = value;
      else if (g_strcmp0 (key, KEY_PROCESSING_BPS) == 0)
        out->processing_bps = value;
      else if (g_strcmp0 (key, KEY_PROCESSING_FIXED) == 0)
        out->processing_fixed = value;
    }
  return TRUE;
}

/* ---- What the shared money logic (cs-store-money-logic.c) calls ------------------------------ */

/* The pledge and its campaign, to change the pledge: the campaign
 * first, then the pledge (the lock order). */
static gboolean
pledge_lock (CsStoreConn *conn, const char *pledge_id, MoneyRow *r, MoneyCamp *k, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  return camp_lock_of_pledge (c, pledge_id, k, error) && row_lock (c, pledge_id, r, error);
}

static gboolean
wrow_lock (CsStoreConn *conn, const char *withdrawal_id, MoneyWRow *r, GError **error);
static gboolean
wrow_save (CsStoreConn *conn, MoneyWRow *r, CsWithdrawalStatus from, gint64 now, GError **error);

static const MoneyPrimitives primitives = {
  .pledge_lock       = pledge_lock,
  .row_save          = row_save,
  .pledge_view       = pledge_view,
  .wrow_lock         = wrow_lock,
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

/* The conflict of a second active pledge names the one that holds. */
static gboolean
active_pledge_conflict (CsPgConn *c, const CsPledgeCreate *in, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, in->backer_id);
  pg_arg_text (a, in->campaign_id);
  r = pg_query (c, SQL_PLEDGE_ACTIVE, a, &local);
  if (r == NULL || PQntuples (r) == 0)
    return FALSE;
  g_clear_error (error);
  return money_conflict (error, "pledge-exists",
                         "You already back this campaign with pledge %s: change it with "
                         "PATCH /api/v1/pledges/%s.", pg_col_text (r, 0, 0), pg_col_text (r, 0, 0));
}

typedef enum {
  CREATE_FAILED,
  CREATE_DONE,
  CREATE_LOST_RACE,   /* failed on a unique index: see who won */
} CreateResult;

static CreateResult
pledge_create_txn (CsPgConn *c, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now,
                   CsPledge **out, CsReplay *replay, GError **error)
{
  g_autoptr(CsPledge) pledge = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *hex = NULL;
  g_autoptr(PGresult) r = NULL;
  g_autoptr(PGresult) w = NULL;
  CsCampaignStatus status = CS_CAMPAIGN_DRAFT;
  gint64 tier_min = 0;

  {
    g_autoptr(PgArgs) a = pg_args_new ();

    pg_arg_text (a, in->campaign_id);
    pg_arg_text (a, in->reward_tier_id);
    pg_arg_text (a, in->backer_id);
    pg_arg_text (a, idem != NULL ? idem->user_id : NULL);
    pg_arg_text (a, idem != NULL ? idem->key : NULL);
    r = pg_query (c, SQL_CREATE_READ, a, error);
    if (r == NULL)
      return CREATE_FAILED;
  }
  /* 1. A repeat is answered from its record (even if the campaign is gone). */
  if (PQntuples (r) == 0)
    {
      if (idem != NULL && !idem_find (c, idem, replay, error))
        return CREATE_FAILED;
      if (replay->replayed)
        return CREATE_DONE;
      pg_set_not_found (error, "Campaign");
      return CREATE_FAILED;
    }
  if (idem != NULL && !pg_col_null (r, 0, CR_IDEM_HASH))
    return idem_decide (idem, r, 0, CR_IDEM_HASH, replay, error) ? CREATE_DONE : CREATE_FAILED;

  /* 2. The rules. */
  if (!cs_campaign_status_from_string (pg_col_text (r, 0, CR_STATUS), &status))
    status = CS_CAMPAIGN_DRAFT;
  if (!money_check_open_at (status, pg_col_int (r, 0, CR_END), now, "it does not take pledges", error))
    return CREATE_FAILED;
  if (in->reward_tier_id != NULL)
    {
      if (pg_col_null (r, 0, CR_TIER))
        {
          money_invalid_field (error, "reward_tier_id", "is not a reward of this campaign",
                               "The reward does not exist.");
          return CREATE_FAILED;
        }
      tier_min = pg_col_int (r, 0, CR_TIER_MIN);
    }
  if (!money_check_amount_against (pg_col_text (r, 0, CR_CURRENCY), tier_min, in->amount, error))
    return CREATE_FAILED;
  if (pg_col_null (r, 0, CR_USER))
    {
      pg_set_not_found (error, "User");
      return CREATE_FAILED;
    }

  /* The answer, as the pledge will read once written. */
  pledge = cs_pledge_new ();
  pledge->id = g_strdup (in->pledge_id);
  pledge->backer_id = g_strdup (in->backer_id);
  pledge->campaign_id = g_strdup (in->campaign_id);
  pledge->amount = in->amount;
  g_strlcpy (pledge->currency, pg_col_text (r, 0, CR_CURRENCY), sizeof pledge->currency);
  pledge->reward_tier_id = g_strdup (in->reward_tier_id);
  pledge->status = CS_PLEDGE_PENDING;
  pledge->payment_method_id = g_strdup (in->payment_method_id);
  pledge->created_at = pledge->updated_at = now;
  pledge->backer_name = pg_col_dup (r, 0, CR_USER_NAME);
  pledge->reward_title = in->reward_tier_id != NULL ? pg_col_dup (r, 0, CR_TIER_TITLE) : NULL;
  pledge->campaign_title = pg_col_dup (r, 0, CR_TITLE);
  if (idem != NULL)
    {
      body = money_pledge_json (pledge);
      hex = hex_of (body);
    }

  /* 3.–5. The pledge, the claim, the job, the record. */
  {
    g_autoptr(PgArgs) a = pg_args_new ();

    pg_arg_text (a, in->pledge_id);
    pg_arg_text (a, in->backer_id);
    pg_arg_text (a, in->campaign_id);
    pg_arg_text (a, in->reward_tier_id);
    pg_arg_int (a, in->amount);
    pg_arg_text (a, pledge->currency);
    pg_arg_text (a, in->payment_method_id);
    pg_arg_text (a, in->job_id);
    pg_arg_int (a, now);
    pg_arg_text (a, idem != NULL ? idem->user_id : NULL);
    pg_arg_text (a, idem != NULL ? idem->key : NULL);
    pg_arg_text (a, idem != NULL ? idem->scope : NULL);
    pg_arg_text (a, idem != NULL ? idem->request_hash : NULL);
    pg_arg_text (a, hex);
    w = pg_query (c, SQL_CREATE_WRITE, a, error);
  }
  if (w == NULL)
    {
      if (pg_failed_unique (c, NULL))
        return CREATE_LOST_RACE;
      if (strcmp (c->sqlstate, "23503") == 0)
        {
          /* The campaign and the tier are locked: the backer is gone. */
          g_clear_error (error);
          pg_set_not_found (error, "User");
        }
      return CREATE_FAILED;
    }
  if (in->reward_tier_id != NULL && pg_col_int (w, 0, 0) == 0)
    {
      sold_out (error);
      return CREATE_FAILED;
    }
  *out = g_steal_pointer (&pledge);
  return CREATE_DONE;
}

gboolean
pg_pledge_create (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now,
                  CsPledge **out, CsReplay *replay, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  CreateResult result;
  gboolean lost_to_active;

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

  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  result = pledge_create_txn (c, in, idem, now, out, replay, error);
  lost_to_active = result == CREATE_LOST_RACE && pg_failed_unique (c, "pledges_one_active_key");
  if (pg_txn_end (c, result == CREATE_DONE, error))
    return TRUE;
  g_clear_pointer (out, cs_pledge_free);
  cs_replay_clear (replay);
  if (result != CREATE_LOST_RACE)
    return FALSE;
  /* A request with the same key committed first: its answer is ours.  Else
   * the index of active pledges decided: name the one that holds. */
  if (idem_after_race (c, idem, replay, error))
    return replay->replayed;
  if (lost_to_active)
    active_pledge_conflict (c, in, error);
  return FALSE;
}

/* ---- Pledges: read --------------------------------------------------------------------------- */

CsPledge *
pg_pledge_get (CsStoreConn *conn, const char *pledge_id, GError **error)
{
  g_return_val_if_fail (pledge_id != NULL, NULL);
  /* One statement: one snapshot. */
  return pledge_view (conn, pledge_id, error);
}

static gpointer
pledge_view_row (const PGresult *r, int row)
{
  return pledge_from_row (r, row, TRUE);
}

/* A newest-first keyset page of @sql for @owner_id; rows carry
 * created_at and rowid in @time_col and @rowid_col. */
static GPtrArray *
time_page (CsPgConn *c, const char *sql, const char *tag, const char *owner_id, const char *cursor,
           guint limit, int time_col, int rowid_col, gpointer (*from_row) (const PGresult *, int),
           GDestroyNotify free_func, char **next_cursor, GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (free_func);
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  gint64 after[2] = { G_MAXINT64, G_MAXINT64 };
  gint64 keys[2] = { 0, 0 };
  int n;

  *next_cursor = NULL;
  if (cursor != NULL && *cursor != '\0' && !cs_store_cursor_decode (cursor, tag, after, 2, NULL))
    {
      cs_store_set_cursor_error (error, "cursor");
      return NULL;
    }
  limit = money_clamp_limit (limit);
  pg_arg_text (a, owner_id);
  pg_arg_int (a, after[0]);
  pg_arg_int (a, after[1]);
  pg_arg_int (a, (gint64) limit + 1);
  r = pg_query (c, sql, a, error);
  if (r == NULL)
    return NULL;
  n = PQntuples (r);
  for (int i = 0; i < n && (guint) i < limit; i++)
    {
      g_ptr_array_add (items, from_row (r, i));
      keys[0] = pg_col_int (r, i, time_col);
      keys[1] = pg_col_int (r, i, rowid_col);
    }
  if ((guint) n > limit)
    *next_cursor = cs_store_cursor_encode (tag, keys, 2, NULL);
  return g_steal_pointer (&items);
}

GPtrArray *
pg_pledge_list_for_backer (CsStoreConn *conn, const char *backer_id, const char *cursor, guint limit,
                           char **next_cursor, GError **error)
{
  g_return_val_if_fail (backer_id != NULL && next_cursor != NULL, NULL);
  return time_page ((CsPgConn *) conn, SQL_PLEDGES_OF_BACKER, "pledges-backer", backer_id, cursor,
                    limit, PC_CREATED, PC_ROWID, pledge_view_row, (GDestroyNotify) cs_pledge_free, next_cursor,
                    error);
}

GPtrArray *
pg_pledge_list_for_campaign (CsStoreConn *conn, const char *campaign_id, const char *cursor,
                             guint limit, char **next_cursor, GError **error)
{
  g_return_val_if_fail (campaign_id != NULL && next_cursor != NULL, NULL);
  return time_page ((CsPgConn *) conn, SQL_PLEDGES_OF_CAMPAIGN, "pledges-campaign", campaign_id,
                    cursor, limit, PC_CREATED, PC_ROWID, pledge_view_row, (GDestroyNotify) cs_pledge_free,
                    next_cursor, error);
}

/* ---- Pledges: change and cancel ----------------------------------------------------------------- */

CsPledge *
pg_pledge_change (CsStoreConn *conn, const char *pledge_id, const char *backer_id,
                  const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress,
                  GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  CsPledge *pledge;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  pledge = money_pledge_change (&primitives, conn, pledge_id, backer_id, change, now, progress, error);
  return pg_txn_end_with (c, pledge, (GDestroyNotify) cs_pledge_free, error);
}

CsPledge *
pg_pledge_cancel (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const char *job_id,
                  gint64 now, CsCampaignProgress *progress, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  CsPledge *pledge;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  pledge = money_pledge_cancel (&primitives, conn, pledge_id, backer_id, job_id, now, progress, error);
  return pg_txn_end_with (c, pledge, (GDestroyNotify) cs_pledge_free, error);
}

/* ---- Payment jobs ---------------------------------------------------------------------------------- */

GPtrArray *
pg_payment_jobs_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max,
                       GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_payment_job_free);
  g_autoptr(PgArgs) a = NULL;
  g_autoptr(PGresult) r = NULL;

  g_return_val_if_fail (worker != NULL, NULL);
  if (max == 0 || lease <= 0)
    return g_steal_pointer (&jobs);
  /* One statement: atomic on its own. */
  a = pg_args_new ();
  pg_arg_int (a, now);
  pg_arg_int (a, MIN (max, 1000));
  pg_arg_text (a, worker);
  pg_arg_int (a, now + lease);
  r = pg_query (c, SQL_JOBS_CLAIM, a, error);
  if (r == NULL)
    return NULL;
  for (int i = 0; i < PQntuples (r); i++)
    {
      g_autoptr(CsPaymentJob) job = g_new0 (CsPaymentJob, 1);
      const char *currency = pg_col_text (r, i, 7);

      job->id = pg_col_dup (r, i, 0);
      if (!money_job_kind_from_text (pg_col_text (r, i, 1), &job->kind))
        continue;   /* the schema's CHECK allows only known kinds */
      job->pledge_id = pg_col_dup (r, i, 2);
      job->withdrawal_id = pg_col_dup (r, i, 3);
      job->charge_id = pg_col_dup (r, i, 4);
      job->payment_method_id = pg_col_dup (r, i, 5);
      job->amount = pg_col_int (r, i, 6);
      g_strlcpy (job->currency, currency != NULL ? currency : "", sizeof job->currency);
      job->attempts = pg_col_int (r, i, 8);
      g_ptr_array_add (jobs, g_steal_pointer (&job));
    }
  return g_steal_pointer (&jobs);
}

gboolean
pg_payment_job_done (CsStoreConn *conn, const char *job_id, const char *gateway_ref, gint64 now,
                     GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = NULL;

  g_return_val_if_fail (job_id != NULL, FALSE);
  (void) now;
  /* One statement: atomic on its own. */
  a = pg_args_new ();
  pg_arg_text (a, job_id);
  pg_arg_text (a, gateway_ref);
  return exec_done (c, SQL_JOB_DONE, a, error);
}

gboolean
pg_payment_job_retry (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at,
                      const char *last_error, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = NULL;
  g_autoptr(PGresult) r = NULL;

  g_return_val_if_fail (job_id != NULL, FALSE);
  /* One statement: atomic on its own. */
  a = pg_args_new ();
  pg_arg_text (a, job_id);
  pg_arg_int (a, next_attempt_at);
  pg_arg_text (a, last_error);
  r = pg_query (c, SQL_JOB_RETRY, a, error);
  if (r == NULL)
    return FALSE;
  if (changes (r) == 0)
    {
      pg_set_not_found (error, "Payment job");
      return FALSE;
    }
  return TRUE;
}

gboolean
pg_payment_jobs_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PGresult) r = NULL;

  g_return_val_if_fail (count != NULL, FALSE);
  r = pg_query (c, SQL_JOBS_COUNT, NULL, error);
  if (r == NULL)
    return FALSE;
  *count = pg_col_int (r, 0, 0);
  return TRUE;
}

/* ---- Gateway events ----------------------------------------------------------------------------------- */

static CsWithdrawal *
withdrawal_from_row (const PGresult *r, int row)
{
  CsWithdrawal *w = cs_withdrawal_new ();
  const char *currency = pg_col_text (r, row, 4);

  w->id = pg_col_dup (r, row, 0);
  w->campaign_id = pg_col_dup (r, row, 1);
  w->creator_id = pg_col_dup (r, row, 2);
  w->amount = pg_col_int (r, row, 3);
  g_strlcpy (w->currency, currency != NULL ? currency : "", sizeof w->currency);
  if (!cs_withdrawal_status_from_string (pg_col_text (r, row, 5), &w->status))
    w->status = CS_WITHDRAWAL_FAILED;
  w->transaction_id = pg_col_dup (r, row, 6);
  w->failure_reason = pg_col_dup (r, row, 7);
  w->created_at = pg_col_int (r, row, 8);
  w->updated_at = pg_col_int (r, row, 9);
  return w;
}

static gpointer
withdrawal_row (const PGresult *r, int row)
{
  return withdrawal_from_row (r, row);
}

static void
wrow_fill (MoneyWRow *r, const PGresult *res, int row)
{
  money_wrow_clear (r);
  r->w = withdrawal_from_row (res, row);
  r->rowid = pg_col_int (res, row, 10);
  r->payout_id = pg_col_dup (res, row, 11);
}

/* Reads and locks a withdrawal.  Its lock serializes its events (a payout
 * moves no campaign totals, and only gives money back to the creator). */
static gboolean
wrow_lock (CsStoreConn *conn, const char *withdrawal_id, MoneyWRow *r, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) res = NULL;

  pg_arg_text (a, withdrawal_id);
  res = pg_query (c, SQL_WITHDRAWAL_LOCK, a, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      pg_set_not_found (error, "Withdrawal");
      return FALSE;
    }
  wrow_fill (r, res, 0);
  return TRUE;
}

static gboolean
wrow_save (CsStoreConn *conn, MoneyWRow *r, CsWithdrawalStatus from, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();

  pg_arg_text (a, r->w->id);
  pg_arg_text (a, cs_withdrawal_status_to_string (from));
  pg_arg_text (a, cs_withdrawal_status_to_string (r->w->status));
  pg_arg_text (a, r->payout_id);
  pg_arg_text (a, r->w->transaction_id);
  pg_arg_text (a, r->w->failure_reason);
  pg_arg_int (a, now);
  return exec_one_change (c, SQL_WITHDRAWAL_SAVE, a, "a withdrawal", error);
}

static gboolean
event_apply_txn (CsPgConn *c, const CsPaymentEvent *event, gint64 now, gboolean *duplicate,
                 CsCampaignProgress *progress, GError **error)
{
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, event->event_id);
    pg_arg_text (a, cs_payment_event_type_to_string (event->type));
    pg_arg_text (a, event->object_id);
    pg_arg_text (a, event->reference);
    pg_arg_int (a, now);
    /* The primary key decides: a concurrent copy waits for this one's
     * commit, then inserts nothing. */
    r = pg_query (c, SQL_EVENT_SEEN, a, error);
    if (r == NULL)
      return FALSE;
    if (changes (r) == 0)
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
pg_payment_event_apply (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now,
                        gboolean *duplicate, CsCampaignProgress *progress, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
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
  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  ok = event_apply_txn (c, event, now, duplicate, progress, error);
  if (!pg_txn_end (c, ok, error))
    {
      *duplicate = FALSE;
      memset (progress, 0, sizeof *progress);
      return FALSE;
    }
  return TRUE;
}

/* ---- Settlement and expiries ---------------------------------------------------------------------- */

/* The authorized pledges of a campaign, locked, in their order. */
static PGresult *
authorized_pledges (CsPgConn *c, const char *campaign_id, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();

  pg_arg_text (a, campaign_id);
  return pg_query (c, SQL_PLEDGES_AUTHORIZED, a, error);
}

/* Queues a job of @kind for every pledge of @rows that has a charge, in
 * one statement. */
static gboolean
jobs_for_charges (CsPgConn *c, const PGresult *rows, CsPaymentJobKind kind, gint64 now, GError **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) pledges = g_ptr_array_new ();
  g_autoptr(GPtrArray) charges = g_ptr_array_new ();
  g_autoptr(GPtrArray) amounts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) currencies = g_ptr_array_new ();
  g_autofree char *jobs_text = NULL, *pledges_text = NULL, *charges_text = NULL;
  g_autofree char *amounts_text = NULL, *currencies_text = NULL;
  g_autoptr(PgArgs) a = NULL;

  for (int i = 0; i < PQntuples (rows); i++)
    {
      if (pg_col_null (rows, i, PC_CHARGE))
        {
          /* Only demo data is authorized without a charge. */
          g_warning ("store: pledge %s was authorized without a charge: no %s job",
                     pg_col_text (rows, i, PC_ID), cs_payment_job_kind_to_string (kind));
          continue;
        }
      g_ptr_array_add (jobs, cs_id_new ("job"));
      g_ptr_array_add (pledges, (gpointer) pg_col_text (rows, i, PC_ID));
      g_ptr_array_add (charges, (gpointer) pg_col_text (rows, i, PC_CHARGE));
      g_ptr_array_add (amounts, g_strdup (pg_col_text (rows, i, PC_AMOUNT)));
      g_ptr_array_add (currencies, (gpointer) pg_col_text (rows, i, PC_CURRENCY));
    }
  if (jobs->len == 0)
    return TRUE;
  jobs_text = text_array (jobs);
  pledges_text = text_array (pledges);
  charges_text = text_array (charges);
  amounts_text = text_array (amounts);
  currencies_text = text_array (currencies);
  a = pg_args_new ();
  pg_arg_text (a, cs_payment_job_kind_to_string (kind));
  pg_arg_text (a, jobs_text);
  pg_arg_text (a, pledges_text);
  pg_arg_text (a, charges_text);
  pg_arg_text (a, amounts_text);
  pg_arg_text (a, currencies_text);
  pg_arg_int (a, now);
  return exec_done (c, SQL_JOBS_INSERT_MANY, a, error);
}

/* Every authorized pledge of a campaign that ended without success (failed,
 * cancelled, suspended) is voided: ledger, VOID job, its reward released;
 * as void_hold() and tier_release() would one by one, in a few statements
 * whatever their number.  They stay counted: the campaign's history.  The
 * caller holds the campaign's lock and marks it changed. */
gboolean
pg_money_void_campaign (CsPgConn *c, const char *campaign_id, gboolean suspended, gint64 now,
                        GError **error)
{
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GPtrArray) txns = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) pledges = g_ptr_array_new ();
  g_autoptr(GPtrArray) amounts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) currencies = g_ptr_array_new ();
  g_autoptr(GPtrArray) charges = g_ptr_array_new ();
  g_autoptr(GPtrArray) tiers = g_ptr_array_new ();
  g_autofree char *pledged = money_campaign_account (campaign_id, "pledged");
  g_autofree char *txns_text = NULL, *pledges_text = NULL, *amounts_text = NULL;
  g_autofree char *currencies_text = NULL, *charges_text = NULL;
  gint64 d_amount = 0;
  int n;

  rows = authorized_pledges (c, campaign_id, error);
  if (rows == NULL)
    return FALSE;
  n = PQntuples (rows);
  if (n == 0)
    return TRUE;
  for (int i = 0; i < n; i++)
    {
      g_ptr_array_add (txns, cs_id_new ("txn"));
      g_ptr_array_add (pledges, (gpointer) pg_col_text (rows, i, PC_ID));
      g_ptr_array_add (amounts, g_strdup (pg_col_text (rows, i, PC_AMOUNT)));
      g_ptr_array_add (currencies, (gpointer) pg_col_text (rows, i, PC_CURRENCY));
      /* The array literal's NULL (unquoted) is not what text_array()
       * writes: a charge-less pledge's transaction gets an empty
       * reference, turned back into NULL below. */
      g_ptr_array_add (charges, (gpointer) (pg_col_null (rows, i, PC_CHARGE) ? "" : pg_col_text (rows, i, PC_CHARGE)));
      if (!pg_col_null (rows, i, PC_TIER))
        g_ptr_array_add (tiers, (gpointer) pg_col_text (rows, i, PC_TIER));
      if (pg_col_int (rows, i, PC_AMOUNT) <= 0)
        return money_internal (error, "refusing an unbalanced void transaction");
      d_amount -= pg_col_int (rows, i, PC_AMOUNT);
    }
  txns_text = text_array (txns);
  pledges_text = text_array (pledges);
  amounts_text = text_array (amounts);
  currencies_text = text_array (currencies);
  charges_text = text_array (charges);

  /* The ledger: D campaign:pledged, C card_holds, per pledge. */
  {
    g_autoptr(PgArgs) a = pg_args_new ();

    pg_arg_text (a, txns_text);
    pg_arg_text (a, pledges_text);
    pg_arg_text (a, amounts_text);
    pg_arg_text (a, currencies_text);
    pg_arg_text (a, charges_text);
    pg_arg_text (a, campaign_id);
    pg_arg_text (a, pledged);
    pg_arg_int (a, now);
    if (!exec_done (c, SQL_VOID_TXNS, a, error))
      return FALSE;
  }
  /* The gateway's side. */
  if (!jobs_for_charges (c, rows, CS_PAYMENT_JOB_VOID, now, error))
    return FALSE;
  /* The rewards. */
  if (tiers->len > 0)
    {
      g_autoptr(PgArgs) a = pg_args_new ();
      g_autofree char *tiers_text = text_array (tiers);
      g_autoptr(PGresult) r = NULL;

      pg_arg_text (a, tiers_text);
      pg_arg_int (a, now);
      r = pg_query (c, SQL_TIERS_RELEASE_MANY, a, error);
      if (r == NULL)
        return FALSE;
      for (int i = 0; i < PQntuples (r); i++)
        if (pg_col_bool (r, i, 1))
          g_warning ("store: reward %s had fewer claims than pledges to release", pg_col_text (r, i, 0));
    }
  /* The pledges.  An ended campaign keeps its history in its totals; a
   * suspended one may be reinstated, and must then count only money that
   * is held. */
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, pledges_text);
    pg_arg_text (a, txns_text);
    pg_arg_text (a, suspended ? "campaign_suspended" : "campaign_ended");
    pg_arg_int (a, now);
    r = pg_query (c, SQL_PLEDGES_VOID_MANY, a, error);
    if (r == NULL)
      return FALSE;
    if (changes (r) != n)
      return money_internal (error, "pledges changed under their lock");
  }
  if (suspended)
    return campaign_changed (&c->parent, campaign_id, d_amount, -n, now, NULL, error);
  return TRUE;
}

/* Collects every authorized pledge of a successful campaign. */
static gboolean
queue_captures (CsPgConn *c, const char *campaign_id, gint64 now, GError **error)
{
  g_autoptr(PGresult) rows = authorized_pledges (c, campaign_id, error);

  return rows != NULL && jobs_for_charges (c, rows, CS_PAYMENT_JOB_CAPTURE, now, error);
}

static gboolean
settle_one_txn (CsPgConn *c, const char *campaign_id, gint64 now, CsCampaignProgress *progress,
                gboolean *settled, GError **error)
{
  CsFeeSettings fees;
  g_autofree char *detail = NULL;
  g_autofree char *action = NULL;
  g_autofree char *raised = NULL;
  g_autofree char *goal = NULL;
  gboolean success;

  /* The claim: another instance that settled it first leaves no row. */
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, campaign_id);
    pg_arg_int (a, now);
    r = pg_query (c, SQL_CAMPAIGN_SETTLE_LOCK, a, error);
    if (r == NULL)
      return FALSE;
    if (PQntuples (r) == 0)
      return TRUE;
  }
  if (!fee_settings_read (&c->parent, &fees, error))
    return FALSE;
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, campaign_id);
    pg_arg_int (a, now);
    pg_arg_int (a, fees.platform_bps);
    pg_arg_int (a, fees.processing_bps);
    pg_arg_int (a, fees.processing_fixed);
    r = pg_query (c, SQL_CAMPAIGN_SETTLE, a, error);
    if (r == NULL)
      return FALSE;
    if (PQntuples (r) == 0)
      return money_internal (error, "a campaign changed under its settlement's lock");
    progress_from_row (r, 0, campaign_id, progress);
  }
  *settled = TRUE;
  success = progress->status == CS_CAMPAIGN_SUCCESSFUL;
  if (success ? !queue_captures (c, campaign_id, now, error)
              : !pg_money_void_campaign (c, campaign_id, FALSE, now, error))
    return FALSE;

  raised = cs_money_format (progress->current_amount, progress->currency);
  goal = cs_money_format (progress->goal_amount, progress->currency);
  action = g_strdup_printf ("campaign.%s", cs_campaign_event_to_string (success ? CS_CAMPAIGN_EVENT_SUCCEED
                                                                                : CS_CAMPAIGN_EVENT_FAIL));
  detail = g_strdup_printf ("live → %s at the deadline: %s of %s from %" G_GINT64_FORMAT " backers",
                            cs_campaign_status_to_string (progress->status), raised, goal,
                            progress->backer_count);
  return pg_audit_insert (c, NULL, action, "campaign", campaign_id, NULL, detail, now, error);
}

gboolean
pg_settle_due (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PGresult) ids = NULL;

  g_return_val_if_fail (settled != NULL, FALSE);
  {
    g_autoptr(PgArgs) a = pg_args_new ();

    pg_arg_int (a, now);
    pg_arg_int (a, max);
    ids = pg_query (c, SQL_CAMPAIGNS_DUE, a, error);
    if (ids == NULL)
      return FALSE;
  }
  for (int i = 0; i < PQntuples (ids); i++)
    {
      CsCampaignProgress progress = { 0 };
      gboolean done = FALSE, ok;

      if (!pg_txn_begin (c, TRUE, error))
        return FALSE;
      ok = settle_one_txn (c, pg_col_text (ids, i, 0), now, &progress, &done, error);
      if (!pg_txn_end (c, ok, error))
        return FALSE;
      if (done)
        g_ptr_array_add (settled, g_memdup2 (&progress, sizeof progress));
    }
  return TRUE;
}

static gboolean
expire_txn (CsPgConn *c, gint64 now, GPtrArray *out, GError **error)
{
  g_autoptr(PGresult) found = NULL;
  g_autoptr(GHashTable) touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GPtrArray) campaigns = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer value;
  int n;

  {
    g_autoptr(PgArgs) a = pg_args_new ();

    pg_arg_int (a, now);
    pg_arg_int (a, 1000);
    found = pg_query (c, SQL_PLEDGES_EXPIRED, a, error);
    if (found == NULL)
      return FALSE;
  }
  n = PQntuples (found);
  if (n == 0)
    return TRUE;
  /* Their campaigns first, all in one order (several instances run this). */
  for (int i = 0; i < n; i++)
    if (g_hash_table_add (seen, (gpointer) pg_col_text (found, i, 1)))
      g_ptr_array_add (campaigns, g_strdup (pg_col_text (found, i, 1)));
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autofree char *list = text_array (campaigns);
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, list);
    r = pg_query (c, SQL_CAMPAIGNS_LOCK, a, error);
    if (r == NULL)
      return FALSE;
  }
  for (int i = 0; i < n; i++)
    {
      g_auto(MoneyRow) r = { 0 };

      if (!row_lock (c, pg_col_text (found, i, 0), &r, error))
        return FALSE;
      /* Fixed or expired by another instance since the scan. */
      if (r.p->status != CS_PLEDGE_CAPTURE_FAILED || r.p->capture_retry_until > now ||
          r.pending_job_id != NULL)
        continue;
      if (!money_expire_pledge (&primitives, &c->parent, &r, now, touched, error))
        return FALSE;
    }
  g_hash_table_iter_init (&iter, touched);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (out, g_memdup2 (value, sizeof (CsCampaignProgress)));
  return TRUE;
}

gboolean
pg_expire_capture_failed (CsStoreConn *conn, gint64 now, GPtrArray *progress, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  g_return_val_if_fail (progress != NULL, FALSE);
  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  ok = expire_txn (c, now, out, error);
  if (!pg_txn_end (c, ok, error))
    return FALSE;
  /* Handed over only once committed. */
  for (guint i = 0; i < out->len; i++)
    g_ptr_array_add (progress, g_steal_pointer (&out->pdata[i]));
  return TRUE;
}

/* ---- Balances and withdrawals ------------------------------------------------------------------------ */

/* What the creator may withdraw: the creator account's credit balance. */
static gboolean
available_amount (CsPgConn *c, const char *campaign_id, const char *currency, gint64 *out,
                  GError **error)
{
  g_autofree char *creator = money_campaign_account (campaign_id, "creator");
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, creator);
  pg_arg_text (a, currency);
  r = pg_query (c, SQL_ACCOUNT_SUM, a, error);
  if (r == NULL)
    return FALSE;
  *out = -pg_col_int (r, 0, 0);
  return TRUE;
}

gboolean
pg_campaign_balance (CsStoreConn *conn, const char *campaign_id, CsBalance *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autofree char *creator = NULL;
  g_autoptr(PgArgs) a = NULL;
  g_autoptr(PGresult) r = NULL;
  gint64 total = 0;

  g_return_val_if_fail (campaign_id != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  /* One statement: one snapshot. */
  creator = money_campaign_account (campaign_id, "creator");
  a = pg_args_new ();
  pg_arg_text (a, campaign_id);
  pg_arg_text (a, creator);
  r = pg_query (c, SQL_BALANCE, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Campaign");
      return FALSE;
    }
  g_strlcpy (out->campaign_id, campaign_id, sizeof out->campaign_id);
  g_strlcpy (out->currency, pg_col_text (r, 0, 0), sizeof out->currency);
  /* The creator's account is a credit account: what it owes is -sum. */
  for (int i = 0; i < PQntuples (r); i++)
    {
      const char *kind = pg_col_text (r, i, 1);
      gint64 sum = pg_col_int (r, i, 2);

      if (kind == NULL)
        continue;   /* no entries yet */
      total += sum;
      if (strcmp (kind, "capture") == 0)
        out->collected_amount += -sum;
      else if (strcmp (kind, "platform_fee") == 0)
        out->platform_fee_amount += sum;
      else if (strcmp (kind, "processing_fee") == 0)
        out->processing_fee_amount += sum;
      else if (strcmp (kind, "refund") == 0)
        out->refunded_amount += sum;
      else if (strcmp (kind, "withdrawal") == 0 || strcmp (kind, "payout_failed") == 0)
        out->withdrawn_amount += sum;
    }
  out->available_amount = MAX (-total, 0);
  return TRUE;
}

static gboolean
withdrawal_create_txn (CsPgConn *c, const CsWithdrawalCreate *in, const CsIdempotency *idem,
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
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) res = NULL;

    pg_arg_text (a, in->campaign_id);
    res = pg_query (c, SQL_WITHDRAWAL_GATE, a, error);
    if (res == NULL)
      return FALSE;
    if (PQntuples (res) == 0)
      {
        pg_set_not_found (error, "Campaign");
        return FALSE;
      }
    /* Another creator's campaign does not exist for this one. */
    if (g_strcmp0 (pg_col_text (res, 0, 0), in->creator_id) != 0)
      {
        pg_set_not_found (error, "Campaign");
        return FALSE;
      }
    if (g_strcmp0 (pg_col_text (res, 0, 3), "verified") != 0)
      {
        g_autoptr(GError) local = g_error_new_literal (CS_ERROR, CS_ERROR_FORBIDDEN,
                                                       "Verify your identity before withdrawing "
                                                       "(POST /api/v1/me/kyc).");

        cs_error_set_type_slug (local, "kyc-required");
        g_propagate_error (error, g_steal_pointer (&local));
        return FALSE;
      }
    cs_campaign_status_from_string (pg_col_text (res, 0, 1), &status);
    g_strlcpy (currency, pg_col_text (res, 0, 2), sizeof currency);
  }
  /* A repeat that waited for the campaign's lock behind its first request
   * finds the first answer now. */
  if (idem != NULL && !idem_find (c, idem, replay, error))
    return FALSE;
  if (replay->replayed)
    return TRUE;
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
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) res = NULL;

    pg_arg_text (a, in->withdrawal_id);
    pg_arg_text (a, in->campaign_id);
    pg_arg_text (a, in->creator_id);
    pg_arg_int (a, in->amount);
    pg_arg_text (a, currency);
    pg_arg_text (a, payout_method);
    pg_arg_int (a, now);
    res = pg_query (c, SQL_WITHDRAWAL_INSERT, a, error);
    if (res == NULL)
      return FALSE;
    wrow_fill (&r, res, 0);
  }
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
pg_withdrawal_create (CsStoreConn *conn, const CsWithdrawalCreate *in, const CsIdempotency *idem,
                      gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  gboolean ok, lost_race;

  g_return_val_if_fail (in != NULL && out != NULL && replay != NULL, FALSE);
  *out = NULL;
  cs_replay_clear (replay);
  if (in->withdrawal_id == NULL || in->campaign_id == NULL || in->creator_id == NULL ||
      in->job_id == NULL)
    return money_invalid_field (error, "amount", "is required", "The withdrawal is incomplete.");
  if (!money_idem_check_args (idem, error))
    return FALSE;
  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  ok = withdrawal_create_txn (c, in, idem, now, out, replay, error);
  lost_race = !ok && pg_failed_unique (c, "idempotency_keys_pkey");
  if (pg_txn_end (c, ok, error))
    return TRUE;
  g_clear_pointer (out, cs_withdrawal_free);
  cs_replay_clear (replay);
  if (lost_race && idem_after_race (c, idem, replay, error))
    return replay->replayed;
  return FALSE;
}

GPtrArray *
pg_withdrawal_list (CsStoreConn *conn, const char *creator_id, const char *cursor, guint limit,
                    char **next_cursor, GError **error)
{
  g_return_val_if_fail (creator_id != NULL && next_cursor != NULL, NULL);
  return time_page ((CsPgConn *) conn, SQL_WITHDRAWALS_OF, "withdrawals", creator_id, cursor, limit,
                    8, 10, withdrawal_row, (GDestroyNotify) cs_withdrawal_free, next_cursor, error);
}

/* ---- The books ------------------------------------------------------------------------------------------ */

/* The ledger's own checks (cs-store-money-logic.c words the violations). */
static gboolean
books_ledger (CsPgConn *c, MoneyBooks *books, GError **error)
{
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_UNBALANCED, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_bad_txn (books, pg_col_text (r, i, 0), pg_col_text (r, i, 1), pg_col_int (r, i, 2),
                           pg_col_int (r, i, 4), pg_col_int (r, i, 3));
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_ORPHANS, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_orphan_entries (books, pg_col_text (r, i, 0));
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_CAPTURES, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_captured_twice (books, pg_col_text (r, i, 0), pg_col_int (r, i, 1));
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_CAPTURE_MISMATCH, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_capture_mismatch (books, pg_col_text (r, i, 0), pg_col_text (r, i, 1), pg_col_bool (r, i, 2));
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_PAYOUTS, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_payout_missing (books, pg_col_text (r, i, 0));
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_TIERS, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_tier (books, pg_col_text (r, i, 0), pg_col_int (r, i, 1), !pg_col_null (r, i, 2),
                        pg_col_int (r, i, 2), pg_col_int (r, i, 3));
  }
  return TRUE;
}

/* The campaigns with their sums, and the account balances. */
static gboolean
books_sums (CsPgConn *c, MoneyBooks *books, GError **error)
{
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_CAMPAIGNS, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      {
        CsFeeSettings fees = {
          .platform_bps = pg_col_int (r, i, 4), .processing_bps = pg_col_int (r, i, 5),
          .processing_fixed = pg_col_int (r, i, 6),
        };

        money_books_campaign (books, pg_col_text (r, i, 0), pg_col_text (r, i, 1), pg_col_int (r, i, 2),
                              pg_col_int (r, i, 3), !pg_col_null (r, i, 4) ? &fees : NULL);
      }
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_PLEDGE_TOTALS, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_pledge_totals (books, pg_col_text (r, i, 0), pg_col_int (r, i, 1), pg_col_int (r, i, 2),
                                 pg_col_int (r, i, 3));
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_COLLECTED, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_collected (books, pg_col_text (r, i, 0), pg_col_int (r, i, 1), pg_col_text (r, i, 2));
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_WITHDRAWALS, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_withdrawals (books, pg_col_text (r, i, 0), pg_col_int (r, i, 1), pg_col_int (r, i, 2),
                               pg_col_int (r, i, 3));
  }
  {
    g_autoptr(PGresult) r = pg_query (c, SQL_BOOKS_ACCOUNTS, NULL, error);

    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      money_books_account (books, pg_col_text (r, i, 0), pg_col_text (r, i, 1), pg_col_int (r, i, 2));
  }
  return TRUE;
}

static gboolean
books_read (CsPgConn *c, GPtrArray *violations, GError **error)
{
  g_auto(MoneyBooks) books = { 0 };

  /* Every statement below reads the same snapshot. */
  if (!pg_exec (c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", error))
    return FALSE;
  money_books_init (&books, violations);
  if (!books_ledger (c, &books, error) || !books_sums (c, &books, error))
    return FALSE;
  money_books_check (&books);
  return TRUE;
}

gboolean
pg_check_books (CsStoreConn *conn, GPtrArray *violations, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  guint before;
  gboolean ok;

  g_return_val_if_fail (violations != NULL, FALSE);
  before = violations->len;
  if (!pg_txn_begin (c, FALSE, error))
    return FALSE;
  ok = books_read (c, violations, error);
  if (!pg_txn_end (c, ok, error))
    {
      g_ptr_array_remove_range (violations, before, violations->len - before);
      return FALSE;
    }
  return TRUE;
}
