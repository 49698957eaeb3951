/* cs-store-money-logic.h: the money path's rules, shared by the SQLite
 * (cs-store-sqlite-money.c) and PostgreSQL (cs-store-pg-money.c) backends.
 * Only those two files include this header.
 *
 * What is here decides, and never speaks SQL: the pledge, campaign and
 * withdrawal records the money path works on, the checks of an amount, a
 * campaign or an idempotency key, the ledger transactions of a pledge or a
 * withdrawal, changing or cancelling a pledge, its expiry after a failed
 * capture, the gateway-event state machines of pledges and withdrawals, and
 * the sums, invariants and wording of check_books.  It reaches the database only
 * through MoneyPrimitives, a table of a few backend functions that each
 * backend fills with its own (static) implementations; every shared function
 * takes that table and the connection (the backend's connection, passed as
 * its CsStoreConn parent) as its first two arguments.
 *
 * Every function here runs inside a transaction the backend began, and the
 * backend keeps its lock order: the shared code takes no lock but through
 * MoneyPrimitives.pledge_lock() / wrow_lock(), which it calls first, then
 * writes (reward tier, pledge, jobs, ledger, campaign totals) in the order
 * both backends' own code did.
 */
#pragma once

#include "cs-store-private.h"

G_BEGIN_DECLS

/* ---- Records ------------------------------------------------------------------------- */

/* A pledge as the money path changes it: the public model plus the payment
 * state it does not show. */
typedef struct {
  CsPledge       *p;
  char           *charge_id;
  char           *pending_job_id;    /* the AUTHORIZE or CHARGE job whose answer we await */
  char           *void_reason;
  CsPledgeStatus  loaded;            /* the status read: the guard of MoneyPrimitives.row_save() */
} MoneyRow;

void money_row_clear (MoneyRow *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MoneyRow, money_row_clear)

/* What the money path needs of a campaign. */
typedef struct {
  char            *id;
  CsCampaignStatus status;
  gint64           goal_amount;
  gint64           current_amount;
  gint64           backer_count;
  gint64           end_date;
  char             currency[4];
  char            *creator_id;
  gboolean         has_fees;       /* the snapshot taken at settlement */
  CsFeeSettings    fees;
} MoneyCamp;

void money_camp_clear (MoneyCamp *k);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MoneyCamp, money_camp_clear)

/* A withdrawal as the money path changes it. */
typedef struct {
  CsWithdrawal *w;
  char         *payout_id;
  gint64        rowid;
} MoneyWRow;

void money_wrow_clear (MoneyWRow *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MoneyWRow, money_wrow_clear)

/* One ledger entry: debit > 0, credit < 0. */
typedef struct {
  const char *account;
  gint64      amount;
} MoneyEntry;

/* One money transaction (money_transactions row) of a pledge or a withdrawal. */
typedef struct {
  const char *kind;
  const char *campaign_id;
  const char *pledge_id;     /* one of these two */
  const char *withdrawal_id;
  gint64      amount;
  const char *currency;
  const char *gateway_ref;
} MoneyTxn;

/* ---- What the shared code needs of a backend ----------------------------------------- */

typedef struct {
  /* Reads pledge @pledge_id into @r and its campaign into @k, both locked
   * for this transaction (PostgreSQL: the campaign first, the lock order;
   * SQLite's write transaction holds the whole database).  NOT_FOUND
   * "Pledge" if there is no such pledge. */
  gboolean   (*pledge_lock)       (CsStoreConn *conn, const char *pledge_id, MoneyRow *r, MoneyCamp *k,
                                   GError **error);
  /* Writes @r back, guarded by the status it was read in (r->loaded: any
   * other means it changed under the lock, INTERNAL); then r->loaded =
   * r->p->status and r->p->updated_at = @now. */
  gboolean   (*row_save)          (CsStoreConn *conn, MoneyRow *r, gint64 now, GError **error);
  /* The pledge as the API shows it (with names). */
  CsPledge  *(*pledge_view)       (CsStoreConn *conn, const char *pledge_id, GError **error);
  /* Reads withdrawal @withdrawal_id into @r, locked for this transaction.
   * NOT_FOUND "Withdrawal" if there is none. */
  gboolean   (*wrow_lock)         (CsStoreConn *conn, const char *withdrawal_id, MoneyWRow *r, GError **error);
  /* Writes withdrawal @r back, guarded by status @from (as row_save()). */
  gboolean   (*wrow_save)         (CsStoreConn *conn, MoneyWRow *r, CsWithdrawalStatus from, gint64 now,
                                   GError **error);
  /* Applies a change of the counted pledges to the campaign's totals and
   * marks it changed (also when only its tiers' claims changed: deltas 0);
   * fills @progress (may be NULL) with its new totals. */
  gboolean   (*campaign_changed)  (CsStoreConn *conn, const char *campaign_id, gint64 d_amount,
                                   gint64 d_backers, gint64 now, CsCampaignProgress *progress,
                                   GError **error);
  /* The reward's minimum amount; INVALID if it is no reward of @campaign_id. */
  gboolean   (*tier_minimum)      (CsStoreConn *conn, const char *tier_id, const char *campaign_id,
                                   gint64 *minimum, GError **error);
  /* Claims one of the reward's places; CONFLICT reward-sold-out if none is left. */
  gboolean   (*tier_claim)        (CsStoreConn *conn, const char *tier_id, const char *campaign_id,
                                   gint64 now, GError **error);
  /* Gives a place back (@tier_id NULL: nothing to do). */
  gboolean   (*tier_release)      (CsStoreConn *conn, const char *tier_id, gint64 now, GError **error);
  /* Queues a payment job (@job_id NULL: a new id). */
  gboolean   (*job_insert)        (CsStoreConn *conn, const char *job_id, CsPaymentJobKind kind,
                                   const char *pledge_id, const char *withdrawal_id, const char *object_id,
                                   const char *payment_method_id, gint64 amount, const char *currency,
                                   gint64 now, GError **error);
  /* Deletes job @job_id if it was never sent (@job_id NULL: nothing to do). */
  gboolean   (*job_drop_unsent)   (CsStoreConn *conn, const char *job_id, GError **error);
  /* Checks a transaction (money_txn_check()) and writes it with its
   * entries; returns the new transaction's id. */
  char      *(*post_txn)          (CsStoreConn *conn, const MoneyTxn *txn, const MoneyEntry *entries,
                                   guint n_entries, gint64 now, GError **error);
  /* Today's fee settings. */
  gboolean   (*fee_settings_read) (CsStoreConn *conn, CsFeeSettings *out, GError **error);
} MoneyPrimitives;

/* ---- Small helpers --------------------------------------------------------------------- */

/* Replaces *@field by a copy of @value. */
void     money_set_str        (char **field, const char *value);
/* "campaign:<id>:<which>" */
char    *money_campaign_account (const char *campaign_id, const char *which);
/* A page size: 0 means CS_STORE_DEFAULT_LIMIT; at most CS_STORE_MAX_LIMIT. */
guint    money_clamp_limit    (guint limit);
/* Sets CONFLICT with @slug as the problem type (NULL: the default) and the
 * formatted message; returns FALSE. */
gboolean money_conflict       (GError **error, const char *slug, const char *format, ...) G_GNUC_PRINTF (3, 4);
/* Sets INVALID (@detail) with @message on @field; returns FALSE. */
gboolean money_invalid_field  (GError **error, const char *field, const char *message, const char *detail);
/* Logs @why and sets INTERNAL; returns FALSE. */
gboolean money_internal       (GError **error, const char *why);

/* ---- Rules ------------------------------------------------------------------------------ */

/* At least the platform minimum and the reward's minimum (@tier_min, 0 if none). */
gboolean money_check_amount_against (const char *currency, gint64 tier_min, gint64 amount, GError **error);
/* The same, reading the minimum of reward @tier_id (NULL: none). */
gboolean money_check_amount   (const MoneyPrimitives *prim, CsStoreConn *conn, const char *campaign_id,
                               const char *currency, const char *tier_id, gint64 amount, GError **error);
/* The campaign is live and not ended, else CONFLICT naming @action. */
gboolean money_check_open_at  (CsCampaignStatus status, gint64 end_date, gint64 now, const char *action,
                               GError **error);
gboolean money_check_open     (const MoneyCamp *k, gint64 now, const char *action, GError **error);
/* In its final 24 hours a campaign that reached its goal keeps it. */
gboolean money_check_final_window (const MoneyCamp *k, gint64 new_current, gint64 now, GError **error);
/* No idempotency (@idem NULL), or all of it; else INVALID Idempotency-Key. */
gboolean money_idem_check_args (const CsIdempotency *idem, GError **error);
/* INVALID unless the record stored under @idem's key (@stored_hash) is of
 * the same request: a key is never reused for another one. */
gboolean money_idem_check_hash (const CsIdempotency *idem, const char *stored_hash, GError **error);
/* The bodies stored for an idempotent replay. */
GBytes  *money_pledge_json     (const CsPledge *pledge);
GBytes  *money_withdrawal_json (const CsWithdrawal *w);
/* The kind named @text; FALSE if none is. */
gboolean money_job_kind_from_text (const char *text, CsPaymentJobKind *out);

/* ---- The ledger ------------------------------------------------------------------------- */

/* INTERNAL unless @entries are at least two, none zero, and sum to zero
 * without overflow, and the transaction's amount is positive.  Every
 * backend's MoneyPrimitives.post_txn() starts with it. */
gboolean money_txn_check      (const MoneyTxn *txn, const MoneyEntry *entries, guint n_entries, GError **error);
/* Posts a transaction of pledge @r and makes it the pledge's newest. */
gboolean money_post_pledge_txn (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const char *kind,
                                gint64 amount, const char *gateway_ref, const MoneyEntry *entries,
                                guint n_entries, gint64 now, GError **error);
/* authorization: D card_holds, C campaign:pledged */
gboolean money_ledger_hold    (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r,
                               const char *gateway_ref, gint64 now, GError **error);
/* void (all of a hold) or release (part of it): D campaign:pledged, C card_holds */
gboolean money_ledger_release (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const char *kind,
                               gint64 amount, gint64 now, GError **error);
/* capture: (the hold released, if @held) D processor, C campaign:creator;
 * then the fees at @fees: D campaign:creator, C platform:fees and
 * processor:fees, one transaction each. */
gboolean money_ledger_capture (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, gboolean held,
                               const CsFeeSettings *fees, const char *gateway_ref, gint64 now, GError **error);
/* An authorized pledge's hold is released: in the ledger, and at the
 * gateway by a VOID job (@job_id, NULL: a new id) for its charge. */
gboolean money_void_hold      (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const char *job_id,
                               gint64 now, GError **error);

/* Posts a transaction of withdrawal @r (of its amount) and makes it its newest. */
gboolean money_post_withdrawal_txn (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyWRow *r,
                                    const char *kind, const char *gateway_ref, const MoneyEntry *entries,
                                    guint n_entries, gint64 now, GError **error);

/* ---- Settlement and expiries ---------------------------------------------------------------- */

/* Pledge @r (CAPTURE_FAILED, its time to fix passed, read and locked by the
 * backend) fails: its reward claim is given back and it no longer counts.
 * @touched: campaign id → CsCampaignProgress (owned), the new totals of
 * each campaign changed, added to. */
gboolean money_expire_pledge  (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, gint64 now,
                               GHashTable *touched, GError **error);

/* ---- Pledges: change and cancel ----------------------------------------------------------- */

/* The body of the pledge_change operation (cs-store-money.h), inside the
 * backend's write transaction: the backer's pledge @pledge_id changed as
 * @change says (a CAPTURE_FAILED one only gets a new card), its hold, jobs,
 * tier claim and campaign totals following.  Returns the pledge as the API
 * shows it, or NULL with @error. */
CsPledge *money_pledge_change (const MoneyPrimitives *prim, CsStoreConn *conn, const char *pledge_id,
                               const char *backer_id, const CsPledgeChange *change, gint64 now,
                               CsCampaignProgress *progress, GError **error);
/* The body of pledge_cancel: the pledge cancelled, its hold voided by job
 * @job_id (or its unsent AUTHORIZE job dropped), its tier claim given back. */
CsPledge *money_pledge_cancel (const MoneyPrimitives *prim, CsStoreConn *conn, const char *pledge_id,
                               const char *backer_id, const char *job_id, gint64 now,
                               CsCampaignProgress *progress, GError **error);

/* ---- Gateway events --------------------------------------------------------------------- */

/* Applies a gateway event about pledge event->reference (the pledge's
 * state machine).  An event for no pledge, or one that does not fit the
 * pledge's state, is logged and acknowledged (TRUE).  @progress: the
 * campaign's totals when an authorization counts the pledge. */
gboolean money_pledge_event   (const MoneyPrimitives *prim, CsStoreConn *conn, const CsPaymentEvent *event,
                               gint64 now, CsCampaignProgress *progress, GError **error);

/* Applies a PAYOUT_PAID or PAYOUT_FAILED event about withdrawal
 * event->reference.  An event for no withdrawal, or one that does not fit
 * it, is logged and acknowledged (TRUE). */
gboolean money_withdrawal_event (const MoneyPrimitives *prim, CsStoreConn *conn, const CsPaymentEvent *event,
                                 gint64 now, GError **error);

/* ---- The books (check_books) --------------------------------------------------------------- */

/* One campaign as check_books sees it: its row, and the sums of its pledges,
 * fees and withdrawals. */
typedef struct {
  char          *id;
  char           currency[4];
  gint64         current_amount;
  gint64         backer_count;
  gboolean       has_fees;
  CsFeeSettings  fees;
  gint64         counted_sum;
  gint64         counted_n;
  gint64         authorized;
  gint64         collected;       /* collected and refunded pledges */
  gint64         platform_fee;
  gint64         processing_fee;
  gint64         refunded;
  gint64         withdrawn;       /* pending and paid withdrawals */
  gint64         in_flight;       /* pending withdrawals */
  gint64         paid;
} MoneyBookCampaign;

/* What a backend reads for check_books, all in one snapshot: it reports
 * each row with the money_books_*() functions below, in this order: the
 * ledger's own checks (each may add a violation at once), the campaigns,
 * their pledge totals, collected pledges and withdrawals, the account
 * balances; then money_books_check() adds the campaign and currency
 * invariants. */
typedef struct {
  GHashTable *campaigns;   /* id → MoneyBookCampaign * (owned) */
  GPtrArray  *order;       /* the same campaigns, in the order read */
  GHashTable *accounts;    /* "account|currency" → gint64 * balance (owned) */
  GPtrArray  *violations;  /* borrowed: one message (char *) per violation */
} MoneyBooks;

void money_books_init  (MoneyBooks *books, GPtrArray *violations);
void money_books_clear (MoneyBooks *books);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MoneyBooks, money_books_clear)

/* The ledger's own checks, one row each. */
/* A transaction with no entries (@n_entries 0), with entries in another
 * currency (@n_foreign > 0), or whose entries sum to @sum, not 0. */
void money_books_bad_txn          (MoneyBooks *books, const char *txn_id, const char *kind, gint64 n_entries,
                                   gint64 n_foreign, gint64 sum);
void money_books_orphan_entries   (MoneyBooks *books, const char *txn_id);
void money_books_captured_twice   (MoneyBooks *books, const char *pledge_id, gint64 n_captures);
/* A pledge whose status says otherwise than its capture (@has_capture). */
void money_books_capture_mismatch (MoneyBooks *books, const char *pledge_id, const char *status,
                                   gboolean has_capture);
void money_books_payout_missing   (MoneyBooks *books, const char *withdrawal_id);
/* A reward: its quantity_claimed, its quantity (@limited FALSE: none), the
 * active pledges that hold it. */
void money_books_tier             (MoneyBooks *books, const char *tier_id, gint64 claimed, gboolean limited,
                                   gint64 quantity, gint64 active);

/* The sums, one row each; the rows of a campaign not read are skipped. */
/* A campaign (@fees NULL: no fee rates of its settlement). */
void money_books_campaign         (MoneyBooks *books, const char *id, const char *currency,
                                   gint64 current_amount, gint64 backer_count, const CsFeeSettings *fees);
/* Its counted pledges' sum and number, and its authorized pledges' sum. */
void money_books_pledge_totals    (MoneyBooks *books, const char *campaign_id, gint64 counted_sum,
                                   gint64 counted_n, gint64 authorized);
/* One collected or refunded (@status) pledge of @amount. */
void money_books_collected        (MoneyBooks *books, const char *campaign_id, gint64 amount,
                                   const char *status);
/* Its pending and paid withdrawals' sum, pending ones' sum, paid ones' sum. */
void money_books_withdrawals      (MoneyBooks *books, const char *campaign_id, gint64 withdrawn,
                                   gint64 in_flight, gint64 paid);
/* The balance of a ledger account in a currency. */
void money_books_account          (MoneyBooks *books, const char *account, const char *currency,
                                   gint64 balance);
/* After all rows: the campaign invariants, then each currency's (in code order). */
void money_books_check            (MoneyBooks *books);

G_END_DECLS
