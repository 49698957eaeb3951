/* cs-store-money.h: the money path's persistence (included by cs-store.h).
 *
 * Same rules as the rest of the store: every function is ONE transaction,
 * conflicts are decided inside it (conditional UPDATEs, constraints), times
 * are passed in as @now (unix seconds; the sandbox clock moves them).
 *
 * The model:
 * - A pledge is created `pending` together with a payment job AUTHORIZE
 *   (the transactional outbox toward the gateway).  A job worker claims due
 *   jobs, calls the gateway and marks them done; the gateway answers by
 *   signed webhooks, which the payment service turns into CsPaymentEvent and
 *   applies here exactly once (deduplicated by event id).
 * - Every money movement is a row of money_transactions (txn_…, append-only)
 *   with balanced ledger_entries (signed amounts, debits positive, each
 *   transaction sums to zero).  Accounts (per currency):
 *     card_holds                    D: authorizations outstanding
 *     campaign:<id>:pledged         C: what those holds are for
 *     processor                     D: money captured, held by the processor
 *     campaign:<id>:creator         C: what the creator is owed (= available)
 *     platform:fees                 C: platform fees earned
 *     processor:fees                C: processing fees
 *     campaign:<id>:payouts         C: withdrawals in flight
 *   authorization:   D card_holds               C campaign:pledged
 *   void / release:  D campaign:pledged         C card_holds
 *   capture:         (release) + D processor    C campaign:creator
 *   fees:            D campaign:creator         C platform:fees, processor:fees
 *   refund:          D campaign:creator         C processor
 *   withdrawal:      D campaign:creator         C campaign:payouts
 *   payout paid:     D campaign:payouts         C processor
 *   payout failed:   D campaign:payouts         C campaign:creator
 * - Counted pledges (campaign current_amount and backer_count): authorized,
 *   collected, capture_failed, refunded, and voided by a campaign's end
 *   (failed or cancelled: the campaign's history keeps them).  Pledges
 *   voided by a suspension are not counted: a reinstated campaign counts
 *   only money that is held.
 *   Tier claims are held by active pledges (pending, authorized, collected,
 *   capture_failed).
 */
#pragma once

#include <glib.h>
#include "crowdspark-core.h"

G_BEGIN_DECLS

typedef struct _CsStoreConn CsStoreConn;

/* What a commit did to a campaign's public progress (for live events).
 * campaign_id[0] == '\0' when nothing changed. */
typedef struct {
  char             campaign_id[72];
  gint64           current_amount;
  gint64           backer_count;
  gint64           goal_amount;
  char             currency[4];
  CsCampaignStatus status;
} CsCampaignProgress;

/* An Idempotency-Key as the store keeps it: per user and key; @scope is the
 * method and route ("POST /campaigns/{id}/pledges" with the id), @request_hash
 * the SHA-256 of scope + body.  Records are kept at least 24 hours. */
typedef struct {
  const char *user_id;
  const char *key;
  const char *scope;
  const char *request_hash;
} CsIdempotency;

/* The first answer to an idempotent request, when this one is a repeat. */
typedef struct {
  gboolean  replayed;
  guint     status;   /* HTTP status of the first answer */
  GBytes   *body;     /* its JSON body */
} CsReplay;

void cs_replay_clear (CsReplay *replay);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CsReplay, cs_replay_clear)

/* ---- Pledges ------------------------------------------------------------- */

typedef struct {
  const char *pledge_id;         /* new id (pl_…) */
  const char *campaign_id;
  const char *backer_id;
  gint64      amount;
  const char *reward_tier_id;    /* or NULL */
  const char *payment_method_id; /* pm_… */
  const char *job_id;            /* new id for the AUTHORIZE job (job_…) */
} CsPledgeCreate;

/* In one transaction:
 * 1. the idempotency record (@idem): a repeat with the same request hash
 *    fills @replay with the first answer and changes nothing; with another
 *    hash → CS_ERROR_INVALID field "Idempotency-Key": "was used with another request";
 * 2. the campaign must be live and now < end_date (else CONFLICT); the
 *    amount at least cs_pledge_minimum_for_currency() and the tier's
 *    minimum_pledge (INVALID field "amount"); an unknown tier or one of
 *    another campaign → INVALID field "reward_tier_id";
 * 3. the tier claim: a conditional UPDATE; sold out → CONFLICT
 *    "This reward is sold out";
 * 4. the pledge (pending), the AUTHORIZE job; a second active pledge of the
 *    backer → CONFLICT whose detail names the existing pledge id and says to
 *    change it with PATCH /api/v1/pledges/{id};
 * 5. the idempotency record with the answer (201, the pledge's JSON).
 * On success *out is the new pledge (NULL when replayed). */
gboolean   cs_store_pledge_create   (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem,
                                     gint64 now, CsPledge **out, CsReplay *replay, GError **error);
/* With backer_name, reward_title and campaign_title.  NOT_FOUND if absent. */
CsPledge  *cs_store_pledge_get      (CsStoreConn *conn, const char *pledge_id, GError **error);
/* A backer's pledges (every status), newest first. */
GPtrArray *cs_store_pledge_list_for_backer   (CsStoreConn *conn, const char *backer_id, const char *cursor,
                                              guint limit, char **next_cursor, GError **error);
/* A campaign's pledges for its creator's backer list (every status but
 * cancelled and failed), newest first. */
GPtrArray *cs_store_pledge_list_for_campaign (CsStoreConn *conn, const char *campaign_id, const char *cursor,
                                              guint limit, char **next_cursor, GError **error);

typedef struct {
  gboolean    has_amount;
  gint64      amount;
  gboolean    has_tier;
  const char *reward_tier_id;     /* NULL with has_tier: no reward */
  const char *payment_method_id;  /* a new card, or NULL */
  const char *job_id;             /* new id, in case a job is needed */
} CsPledgeChange;

/* The backer (@backer_id, else NOT_FOUND) changes a pledge, in one
 * transaction:
 * - pending or authorized, campaign live and now < end_date (else CONFLICT):
 *   tier swap (release the old claim, claim the new: sold out → CONFLICT),
 *   minimums as for create.  A lower or equal amount stays authorized (the
 *   hold is partly released: ledger "release" of the difference).  A higher
 *   amount, or a new payment method, needs a new authorization: the old one
 *   is voided (ledger + VOID job), the pledge goes back to pending with an
 *   AUTHORIZE job.  In the final 24 hours of a campaign that has reached its
 *   goal, a change that would leave it below its goal → CONFLICT.
 * - capture_failed before capture_retry_until, with payment_method_id: the
 *   backer fixes the card: a CHARGE job (authorize and capture) for the
 *   same amount; amount and tier cannot change then (CONFLICT).
 * Fills @progress when the campaign's totals changed. */
CsPledge  *cs_store_pledge_change   (CsStoreConn *conn, const char *pledge_id, const char *backer_id,
                                     const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress,
                                     GError **error);
/* The backer cancels a pending or authorized pledge before the deadline
 * (else CONFLICT); the final-24-hours rule as above.  Releases the tier
 * claim; an authorized pledge is voided in the ledger and a VOID job is
 * queued (@job_id).  A pending one is voided when its authorization
 * arrives. */
CsPledge  *cs_store_pledge_cancel   (CsStoreConn *conn, const char *pledge_id, const char *backer_id,
                                     const char *job_id, gint64 now, CsCampaignProgress *progress,
                                     GError **error);

/* ---- Payment jobs (our outbox toward the gateway) ---------------------------- */

typedef enum {
  CS_PAYMENT_JOB_AUTHORIZE,  /* pledge: hold amount on payment_method */
  CS_PAYMENT_JOB_CAPTURE,    /* pledge: capture charge_id */
  CS_PAYMENT_JOB_VOID,       /* pledge: release charge_id */
  CS_PAYMENT_JOB_CHARGE,     /* pledge: authorize and capture at once (fixed card) */
  CS_PAYMENT_JOB_REFUND,     /* pledge: refund charge_id */
  CS_PAYMENT_JOB_PAYOUT,     /* withdrawal: pay amount to the creator */
} CsPaymentJobKind;

const char *cs_payment_job_kind_to_string (CsPaymentJobKind kind);

typedef struct {
  char             *id;                 /* also the gateway idempotency key */
  CsPaymentJobKind  kind;
  char             *pledge_id;          /* or NULL (payout) */
  char             *withdrawal_id;      /* or NULL */
  char             *charge_id;          /* capture, void, refund */
  char             *payment_method_id;  /* authorize, charge */
  gint64            amount;
  char              currency[4];
  gint64            attempts;
} CsPaymentJob;

void       cs_payment_job_free      (CsPaymentJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsPaymentJob, cs_payment_job_free)

/* Claims up to @max due jobs (next_attempt_at <= now, no live claim) for
 * @worker for @lease seconds, oldest first.  Two workers never get the same
 * job while its claim lasts; a crashed worker's claims expire. */
GPtrArray *cs_store_payment_jobs_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease,
                                        guint max, GError **error);
/* The gateway accepted the job: forget it, remember @gateway_ref (the
 * charge or payout id) on its pledge or withdrawal. */
gboolean   cs_store_payment_job_done   (CsStoreConn *conn, const char *job_id, const char *gateway_ref,
                                        gint64 now, GError **error);
/* The gateway could not be reached: try again at @next_attempt_at. */
gboolean   cs_store_payment_job_retry  (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at,
                                        const char *last_error, GError **error);
/* Jobs waiting (for tests, metrics and the test clock). */
gboolean   cs_store_payment_jobs_count (CsStoreConn *conn, gint64 *count, GError **error);

/* ---- Gateway events (verified webhooks) ----------------------------------------- */

typedef enum {
  CS_PAYMENT_EVENT_AUTHORIZED,
  CS_PAYMENT_EVENT_AUTHORIZATION_FAILED,
  CS_PAYMENT_EVENT_CAPTURED,
  CS_PAYMENT_EVENT_CAPTURE_FAILED,
  CS_PAYMENT_EVENT_VOIDED,
  CS_PAYMENT_EVENT_REFUNDED,
  CS_PAYMENT_EVENT_PAYOUT_PAID,
  CS_PAYMENT_EVENT_PAYOUT_FAILED,
} CsPaymentEventType;

/* "charge.authorized", "charge.authorization_failed", "charge.captured",
 * "charge.capture_failed", "charge.voided", "charge.refunded",
 * "payout.paid", "payout.failed" */
const char *cs_payment_event_type_to_string   (CsPaymentEventType type);
gboolean    cs_payment_event_type_from_string (const char *text, CsPaymentEventType *out);

typedef struct {
  const char         *event_id;     /* evt_…: deduplication */
  CsPaymentEventType  type;
  const char         *object_id;    /* the charge (ch_…) or payout (po_…) id */
  const char         *reference;    /* our pledge or withdrawal id */
  const char         *job_id;       /* the job (idempotency key) that caused it */
  gint64              amount;
  const char         *currency;
  const char         *failure_reason; /* or NULL */
} CsPaymentEvent;

/* Applies @event exactly once, in one transaction (*duplicate = TRUE and
 * nothing else when its id was seen).  Unknown references are recorded and
 * ignored (a webhook must still be acknowledged).  Effects:
 * - AUTHORIZED: a pending pledge of that amount → authorized (ledger
 *   authorization, totals); if the campaign already ended successful a
 *   CAPTURE job follows, if it ended otherwise the pledge is voided (ledger
 *   + VOID job); a pledge that is no longer waiting for this authorization
 *   (cancelled, changed) gets a VOID job for the charge.
 * - AUTHORIZATION_FAILED: pending → failed, tier claim released.
 * - CAPTURED: authorized (or capture_failed, after a CHARGE) → collected:
 *   ledger capture and the fees at the campaign's settlement rates.
 * - CAPTURE_FAILED: authorized → capture_failed (hold released,
 *   capture_retry_until = now + 7 days); capture_failed stays so.
 * - VOIDED: confirmation, recorded.  REFUNDED: collected → refunded (ledger).
 * - PAYOUT_PAID / PAYOUT_FAILED: the withdrawal → paid (ledger) / failed
 *   (ledger reversal: the amount is available again).
 * Fills @progress when a campaign's totals or status changed. */
gboolean   cs_store_payment_event_apply (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now,
                                         gboolean *duplicate, CsCampaignProgress *progress,
                                         GError **error);

/* ---- Settlement and expiries (jobs) ---------------------------------------------- */

/* Settles up to @max live campaigns whose end_date <= @now, each in its own
 * transaction.  The conditional status UPDATE (live → successful/failed) is
 * the claim: two instances never settle one campaign twice.  Goal met
 * (current_amount >= goal_amount) → successful: the fee settings of the
 * moment are stored on the campaign and a CAPTURE job is queued for every
 * authorized pledge.  Else → failed: every authorized pledge is voided
 * (ledger + VOID job), every pending one is voided when its authorization
 * arrives.  An audit entry (actor NULL) records each.  Appends a
 * CsCampaignProgress* per settled campaign to @settled. */
gboolean   cs_store_settle_due        (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled,
                                       GError **error);
/* capture_failed pledges whose capture_retry_until has passed → failed
 * ("dropped"), out of the totals; appends progress per campaign touched. */
gboolean   cs_store_expire_capture_failed (CsStoreConn *conn, gint64 now, GPtrArray *progress,
                                           GError **error);
/* When a campaign is cancelled or suspended, cs_store_campaign_transition
 * voids every authorized pledge in the same transaction (ledger + VOID job). */

/* ---- Balances and withdrawals ------------------------------------------------------ */

/* The creator's balance of a campaign, from the ledger.  NOT_FOUND if the
 * campaign does not exist. */
gboolean   cs_store_campaign_balance  (CsStoreConn *conn, const char *campaign_id, CsBalance *out,
                                       GError **error);

typedef struct {
  const char *withdrawal_id;   /* new id (wd_…) */
  const char *campaign_id;
  const char *creator_id;      /* the caller: must own the campaign (else NOT_FOUND) */
  gint64      amount;
  const char *payout_method;   /* sandbox test destination, or NULL: the default */
  const char *job_id;
} CsWithdrawalCreate;

/* In one transaction: idempotency as for pledges; the creator verified
 * (else FORBIDDEN "Verify your identity before withdrawing"); the campaign
 * successful (else CONFLICT); amount >= 1 and <= available (else CONFLICT
 * naming the available amount); ledger withdrawal entries; a PAYOUT job. */
gboolean   cs_store_withdrawal_create (CsStoreConn *conn, const CsWithdrawalCreate *in,
                                       const CsIdempotency *idem, gint64 now, CsWithdrawal **out,
                                       CsReplay *replay, GError **error);
/* The user's withdrawals, newest first. */
GPtrArray *cs_store_withdrawal_list   (CsStoreConn *conn, const char *creator_id, const char *cursor,
                                       guint limit, char **next_cursor, GError **error);

/* ---- The books ------------------------------------------------------------------- */

/* Recomputes every invariant and appends one human sentence per violation
 * to @violations (empty: the books hold):
 * - every transaction has entries and they sum to zero;
 * - every campaign's current_amount and backer_count equal its counted pledges;
 * - every tier's quantity_claimed equals its active pledges, within quantity_available;
 * - every campaign's pledged account equals its authorized pledges;
 * - every campaign's creator account equals collected − fees − refunded −
 *   withdrawn (not failed), and is never negative;
 * - no pledge has more than one capture; every collected pledge has one;
 * - every paid withdrawal has its payout transaction.
 * Read-only, one snapshot. */
gboolean   cs_store_check_books       (CsStoreConn *conn, GPtrArray *violations, GError **error);

/* ---- Fees and settings ---------------------------------------------------------------- */

gboolean   cs_store_fee_settings_get  (CsStoreConn *conn, CsFeeSettings *out, GError **error);
/* Stores @fees and an audit entry by @actor_id. */
gboolean   cs_store_fee_settings_put  (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id,
                                       gint64 now, GError **error);
/* A platform setting (e.g. "sandbox.clock_offset"): *out = @def if unset. */
gboolean   cs_store_setting_get_int   (CsStoreConn *conn, const char *key, gint64 def, gint64 *out,
                                       GError **error);
gboolean   cs_store_setting_set_int   (CsStoreConn *conn, const char *key, gint64 value, GError **error);

/* ---- Identity checks --------------------------------------------------------------- */

/* Records a new check (status pending) and sets the user's kyc_status to
 * pending.  CONFLICT when the user is verified already, or has a check that
 * is pending (younger than 10 minutes) or in review. */
CsKycCheck *cs_store_kyc_submit       (CsStoreConn *conn, const CsKycCheck *check, gint64 now,
                                       GError **error);
/* The user's newest check, or NULL (without error) if none. */
CsKycCheck *cs_store_kyc_latest       (CsStoreConn *conn, const char *user_id, GError **error);
gboolean    cs_store_user_kyc_status  (CsStoreConn *conn, const char *user_id, CsKycStatus *out,
                                       GError **error);
/* A decision on check @kyc_id: by the provider (@moderator_id NULL: only on
 * a pending check, to verified, rejected or review; a repeat of the same
 * decision is a no-op) or by a moderator (on a check in review, verified
 * or rejected: verified or rejected, with @reason required; audited).
 * Updates the user's kyc_status.  NOT_FOUND / CONFLICT otherwise. */
CsKycCheck *cs_store_kyc_decide       (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision,
                                       const char *reason, const char *moderator_id, gint64 now,
                                       GError **error);
/* Checks waiting for a moderator (status review), oldest first. */
GPtrArray  *cs_store_kyc_queue        (CsStoreConn *conn, const char *cursor, guint limit,
                                       char **next_cursor, GError **error);

/* ---- The sandbox processor's records, and the webhook outbox ---------------------------- */

/* A tokenised card: only what a processor would show (brand, last4, expiry). */
typedef struct {
  char   id[40];          /* pm_… */
  char   brand[16];
  char   last4[5];
  int    exp_month;
  int    exp_year;
  int    behaviour;       /* the sandbox's CsSandboxCard value */
  gint64 created_at;
} CsSandboxPaymentMethod;

gboolean   cs_store_sandbox_pm_insert (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error);
/* NOT_FOUND if unknown. */
gboolean   cs_store_sandbox_pm_get    (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out,
                                       GError **error);

/* A charge or payout at the sandbox processor. */
typedef struct {
  char   id[40];           /* ch_… or po_… */
  char   payment_method_id[40];  /* charges */
  char   reference[72];    /* the platform's pledge or withdrawal id */
  gint64 amount;
  gint64 captured_amount;
  gint64 refunded_amount;
  char   currency[4];
  char   status[24];       /* authorized, declined, captured, capture_failed, voided, refunded, paid, failed */
} CsSandboxCharge;

gboolean   cs_store_sandbox_charge_get (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out,
                                        GError **error);

/* A webhook waiting to be delivered (at least once, with backoff). */
typedef struct {
  char   *id;             /* msg_… */
  char   *endpoint;       /* "payments" or "kyc": which of our webhook routes */
  char   *event_id;       /* the event's id (inside the body too) */
  char   *body;           /* the JSON sent, signed at delivery */
  gint64  attempts;
  gint64  next_attempt_at;
} CsOutboxMessage;

void       cs_outbox_message_free     (CsOutboxMessage *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsOutboxMessage, cs_outbox_message_free)

/* One processor operation, in one transaction: if @op_key (the caller's
 * idempotency key for this operation) was seen, *replayed = TRUE and
 * *charge_id_out = the charge it touched, nothing else.  Otherwise @charge
 * (may be NULL) is inserted or replaces the row of the same id, @event (may
 * be NULL) is queued in the outbox (due now), and @op_key is remembered. */
gboolean   cs_store_sandbox_record    (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge,
                                       const CsOutboxMessage *event, gint64 now, gboolean *replayed,
                                       char **charge_id_out, GError **error);
/* Claims up to @max due outbox messages for @worker for @lease seconds. */
GPtrArray *cs_store_outbox_claim      (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease,
                                       guint max, GError **error);
gboolean   cs_store_outbox_delivered  (CsStoreConn *conn, const char *message_id, gint64 now, GError **error);
gboolean   cs_store_outbox_retry      (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at,
                                       const char *last_error, GError **error);
/* Messages not yet delivered (for tests and the test clock). */
gboolean   cs_store_outbox_count      (CsStoreConn *conn, gint64 *count, GError **error);

/* Incoming webhooks: remembers @event_id (with @now) and says whether it
 * was new; a KYC event is deduplicated here, payment events inside
 * cs_store_payment_event_apply(). */
gboolean   cs_store_webhook_seen      (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new,
                                       GError **error);

G_END_DECLS
