/* cs-pledge.h: the money path's models: pledges, fees, balances,
 * withdrawals and identity checks (KYC), with their JSON forms.
 *
 * Money is always gint64 minor units beside an ISO 4217 currency. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cs-json.h"

G_BEGIN_DECLS

/* ---- Pledges ----------------------------------------------------------- */

typedef enum {
  CS_PLEDGE_PENDING,         /* waiting for the authorization webhook */
  CS_PLEDGE_AUTHORIZED,      /* the card is held for the amount */
  CS_PLEDGE_FAILED,          /* authorization declined, or capture never fixed */
  CS_PLEDGE_CANCELLED,       /* by the backer, before the deadline */
  CS_PLEDGE_COLLECTED,       /* captured after a successful campaign */
  CS_PLEDGE_CAPTURE_FAILED,  /* capture declined: 7 days to fix the payment method */
  CS_PLEDGE_VOIDED,          /* the authorization was released (campaign failed, cancelled, suspended) */
  CS_PLEDGE_REFUNDED,        /* collected, then given back */
  CS_PLEDGE_N_STATUSES
} CsPledgeStatus;

const char *cs_pledge_status_to_string   (CsPledgeStatus status);
gboolean    cs_pledge_status_from_string (const char *text, CsPledgeStatus *out);
/* Whether a pledge in @status still holds the backer's place (one active
 * pledge per backer and campaign; tier claims): pending, authorized,
 * collected, capture_failed. */
gboolean    cs_pledge_status_is_active   (CsPledgeStatus status);

/* Days a backer has to fix a payment method after a failed capture. */
#define CS_CAPTURE_RETRY_SECONDS (7 * 24 * 3600)
/* The last window of a campaign in which no change may drop it below its goal. */
#define CS_FINAL_WINDOW_SECONDS  (24 * 3600)

typedef struct {
  char           *id;
  char           *backer_id;
  char           *campaign_id;
  gint64          amount;
  char            currency[4];
  char           *reward_tier_id;     /* or NULL */
  CsPledgeStatus  status;
  char           *transaction_id;     /* the latest money transaction (txn_…), or NULL */
  char           *payment_method_id;  /* the gateway's token (pm_…); never a card number */
  char           *failure_reason;     /* or NULL: why it failed / capture failed */
  gint64          capture_retry_until;/* capture_failed: deadline to fix it; else 0 */
  gint64          created_at;
  gint64          updated_at;
  /* joined for lists, may be NULL */
  char           *backer_name;
  char           *reward_title;
  char           *campaign_title;
} CsPledge;

CsPledge *cs_pledge_new        (void);
void      cs_pledge_free       (CsPledge *pledge);
CsPledge *cs_pledge_copy       (const CsPledge *pledge);
/* JSON: id, backer_id, campaign_id, amount, currency, reward_tier_id, status,
 * transaction_id, payment_method (token), failure_reason,
 * capture_retry_until (RFC 3339 or null), created_at, updated_at, and, when
 * known, backer_name, reward_title, campaign_title. */
void      cs_pledge_write_json (const CsPledge *pledge, CsJsonWriter *w);
CsPledge *cs_pledge_from_json  (JsonObject *obj, GError **error);

/* What a backer sends to create or change a pledge. */
typedef struct {
  gboolean has_amount;
  gint64   amount;
  gboolean has_tier;          /* reward_tier_id member present */
  char    *reward_tier_id;    /* NULL with has_tier: no reward */
  char    *payment_method;    /* pm_… token, or NULL */
} CsPledgeInput;

void      cs_pledge_input_clear (CsPledgeInput *in);
/* Reads {"amount", "reward_tier_id"?, "payment_method"} strictly: unknown
 * members, wrong types → CS_ERROR_INVALID with field errors.  When
 * !@partial, amount and payment_method are required.  Amounts must be
 * 1..CS_MONEY_MAX_AMOUNT here; the minimum (1.00, the tier's minimum) is a
 * rule checked against the campaign's currency by the caller. */
gboolean  cs_pledge_input_read  (JsonObject *obj, gboolean partial, CsPledgeInput *out, GError **error);

/* The platform minimum pledge in @currency: one major unit (100 for USD). */
gint64    cs_pledge_minimum_for_currency (const char *currency);

/* ---- Fees ------------------------------------------------------------- */

typedef struct {
  gint64 platform_bps;          /* of each collected pledge; default 500 (5 %) */
  gint64 processing_bps;        /* default 290 (2.9 %) */
  gint64 processing_fixed;      /* minor units per collected pledge; default 30 */
} CsFeeSettings;

#define CS_FEE_MAX_BPS   5000           /* 50 %: anything above is surely a typo */
#define CS_FEE_MAX_FIXED 10000

void      cs_fee_settings_default (CsFeeSettings *out);
void      cs_fee_settings_write_json (const CsFeeSettings *fees, CsJsonWriter *w);
/* {"platform_fee_bps", "processing_fee_bps", "processing_fee_fixed"}: all
 * three required, integers in range (field errors otherwise). */
gboolean  cs_fee_settings_read    (JsonObject *obj, CsFeeSettings *out, GError **error);

/* The fees on one collected pledge of @amount.  Rounding (stated in the
 * API): each fee is computed per collected pledge and rounded half up to the
 * minor unit (commercial rounding); the processing fee is
 * round(amount × bps / 10000) + fixed; neither fee exceeds the amount (the
 * platform fee is taken first, then the processing fee is capped at what is
 * left).  FALSE only on overflow. */
gboolean  cs_fees_for_amount      (const CsFeeSettings *fees, gint64 amount,
                                   gint64 *platform_fee, gint64 *processing_fee);

/* ---- Balances ----------------------------------------------------------- */

typedef struct {
  char   campaign_id[72];
  char   currency[4];
  gint64 collected_amount;
  gint64 platform_fee_amount;
  gint64 processing_fee_amount;
  gint64 refunded_amount;
  gint64 withdrawn_amount;    /* paid and in-flight withdrawals */
  gint64 available_amount;    /* collected − fees − refunded − withdrawn, never negative */
} CsBalance;

void      cs_balance_write_json (const CsBalance *balance, CsJsonWriter *w);

/* ---- Withdrawals ---------------------------------------------------------- */

typedef enum {
  CS_WITHDRAWAL_PENDING,
  CS_WITHDRAWAL_PAID,
  CS_WITHDRAWAL_FAILED,
} CsWithdrawalStatus;

const char *cs_withdrawal_status_to_string   (CsWithdrawalStatus status);
gboolean    cs_withdrawal_status_from_string (const char *text, CsWithdrawalStatus *out);

typedef struct {
  char               *id;
  char               *campaign_id;
  char               *creator_id;
  gint64              amount;
  char                currency[4];
  CsWithdrawalStatus  status;
  char               *transaction_id;
  char               *failure_reason;
  gint64              created_at;
  gint64              updated_at;
} CsWithdrawal;

CsWithdrawal *cs_withdrawal_new        (void);
void          cs_withdrawal_free       (CsWithdrawal *withdrawal);
void          cs_withdrawal_write_json (const CsWithdrawal *withdrawal, CsJsonWriter *w);

/* ---- Identity checks (KYC) -------------------------------------------------- */

typedef enum {
  CS_KYC_UNVERIFIED,   /* nothing submitted */
  CS_KYC_PENDING,      /* submitted, the provider has not answered */
  CS_KYC_REVIEW,       /* the provider asks a person: waits for a moderator */
  CS_KYC_VERIFIED,
  CS_KYC_REJECTED,
} CsKycStatus;

const char *cs_kyc_status_to_string   (CsKycStatus status);
gboolean    cs_kyc_status_from_string (const char *text, CsKycStatus *out);

typedef struct {
  char        *id;              /* kyc_… */
  char        *user_id;
  CsKycStatus  status;
  char        *full_name;
  char        *country;         /* ISO 3166-1 alpha-2 */
  char        *document_type;   /* passport, id_card, driving_licence */
  char        *document_last4;  /* the number itself is never stored */
  char        *reason;          /* a rejection or review reason, or NULL */
  char        *decided_by;      /* a moderator's id, or NULL (the provider) */
  gint64       created_at;
  gint64       updated_at;
} CsKycCheck;

CsKycCheck *cs_kyc_check_new        (void);
void        cs_kyc_check_free       (CsKycCheck *check);
void        cs_kyc_check_write_json (const CsKycCheck *check, CsJsonWriter *w);

typedef struct {
  char *full_name;
  char *country;
  char *document_type;
  char *document_number;   /* goes to the provider only */
} CsKycInput;

void      cs_kyc_input_clear (CsKycInput *in);
/* {"full_name", "country", "document_type", "document_number"}, all required. */
gboolean  cs_kyc_input_read  (JsonObject *obj, CsKycInput *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsPledge, cs_pledge_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CsPledgeInput, cs_pledge_input_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsWithdrawal, cs_withdrawal_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsKycCheck, cs_kyc_check_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CsKycInput, cs_kyc_input_clear)

G_END_DECLS
