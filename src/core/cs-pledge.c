/* cs-pledge.c: the money path's models: pledges, fees, balances,
 * withdrawals and identity checks, their JSON forms and their input. */
#include "config.h"

#include <string.h>

#include "cs-money.h"
#include "cs-pledge.h"
#include "cs-util.h"

#define KYC_NAME_MAX_CHARS      200
#define KYC_DOCUMENT_MIN_CHARS  4
#define KYC_DOCUMENT_MAX_CHARS  40
#define PAYMENT_METHOD_MAX_CHARS 64

/* Helpers */

static const char * const pledge_status_names[CS_PLEDGE_N_STATUSES] = {
  [CS_PLEDGE_PENDING] = "pending",
  [CS_PLEDGE_AUTHORIZED] = "authorized",
  [CS_PLEDGE_FAILED] = "failed",
  [CS_PLEDGE_CANCELLED] = "cancelled",
  [CS_PLEDGE_COLLECTED] = "collected",
  [CS_PLEDGE_CAPTURE_FAILED] = "capture_failed",
  [CS_PLEDGE_VOIDED] = "voided",
  [CS_PLEDGE_REFUNDED] = "refunded",
};

static const char * const withdrawal_status_names[] = {
  [CS_WITHDRAWAL_PENDING] = "pending",
  [CS_WITHDRAWAL_PAID] = "paid",
  [CS_WITHDRAWAL_FAILED] = "failed",
};

static const char * const kyc_status_names[] = {
  [CS_KYC_UNVERIFIED] = "unverified",
  [CS_KYC_PENDING] = "pending",
  [CS_KYC_REVIEW] = "review",
  [CS_KYC_VERIFIED] = "verified",
  [CS_KYC_REJECTED] = "rejected",
};

static const char * const kyc_document_types[] = {
  "passport",
  "id_card",
  "driving_licence",
  NULL
};

static const char * const pledge_input_members[] = {
  "amount",
  "reward_tier_id",
  "payment_method",
  NULL
};

static const char * const fee_members[] = {
  "platform_fee_bps",
  "processing_fee_bps",
  "processing_fee_fixed",
  NULL
};

static const char * const kyc_input_members[] = {
  "full_name",
  "country",
  "document_type",
  "document_number",
  NULL
};

/* Index of @text in @names (@n entries), or -1. */
static int
name_index (const char * const *names, guint n, const char *text)
{
  if (text == NULL)
    return -1;
  for (guint i = 0; i < n; i++)
    if (names[i] != NULL && strcmp (text, names[i]) == 0)
      return (int) i;
  return -1;
}

static void
copy_currency (char dest[4], const char *currency)
{
  memset (dest, 0, 4);
  if (currency != NULL && strlen (currency) == 3)
    memcpy (dest, currency, 3);
}

static gboolean
is_document_number (const char *s)
{
  for (; *s != '\0'; s++)
    if (!g_ascii_isalnum (*s) && *s != '-')
      return FALSE;
  return TRUE;
}

/* Public API: pledges */

const char *
cs_pledge_status_to_string (CsPledgeStatus status)
{
  if ((guint) status >= CS_PLEDGE_N_STATUSES)
    return "pending";
  return pledge_status_names[status];
}

gboolean
cs_pledge_status_from_string (const char *text, CsPledgeStatus *out)
{
  int i = name_index (pledge_status_names, CS_PLEDGE_N_STATUSES, text);

  if (i < 0)
    return FALSE;
  if (out != NULL)
    *out = (CsPledgeStatus) i;
  return TRUE;
}

gboolean
cs_pledge_status_is_active (CsPledgeStatus status)
{
  switch (status)
    {
    case CS_PLEDGE_PENDING:
    case CS_PLEDGE_AUTHORIZED:
    case CS_PLEDGE_COLLECTED:
    case CS_PLEDGE_CAPTURE_FAILED:
      return TRUE;
    case CS_PLEDGE_FAILED:
    case CS_PLEDGE_CANCELLED:
    case CS_PLEDGE_VOIDED:
    case CS_PLEDGE_REFUNDED:
    case CS_PLEDGE_N_STATUSES:
    default:
      return FALSE;
    }
}

CsPledge *
cs_pledge_new (void)
{
  CsPledge *pledge = g_new0 (CsPledge, 1);

  pledge->status = CS_PLEDGE_PENDING;
  return pledge;
}

void
cs_pledge_free (CsPledge *pledge)
{
  if (pledge == NULL)
    return;
  g_free (pledge->id);
  g_free (pledge->backer_id);
  g_free (pledge->campaign_id);
  g_free (pledge->reward_tier_id);
  g_free (pledge->transaction_id);
  g_free (pledge->payment_method_id);
  g_free (pledge->failure_reason);
  g_free (pledge->backer_name);
  g_free (pledge->reward_title);
  g_free (pledge->campaign_title);
  g_free (pledge);
}

CsPledge *
cs_pledge_copy (const CsPledge *pledge)
{
  CsPledge *copy;

  g_return_val_if_fail (pledge != NULL, NULL);

  copy = g_memdup2 (pledge, sizeof *pledge);
  copy->id = g_strdup (pledge->id);
  copy->backer_id = g_strdup (pledge->backer_id);
  copy->campaign_id = g_strdup (pledge->campaign_id);
  copy->reward_tier_id = g_strdup (pledge->reward_tier_id);
  copy->transaction_id = g_strdup (pledge->transaction_id);
  copy->payment_method_id = g_strdup (pledge->payment_method_id);
  copy->failure_reason = g_strdup (pledge->failure_reason);
  copy->backer_name = g_strdup (pledge->backer_name);
  copy->reward_title = g_strdup (pledge->reward_title);
  copy->campaign_title = g_strdup (pledge->campaign_title);
  return copy;
}

void
cs_pledge_write_json (const CsPledge *pledge, CsJsonWriter *w)
{
  g_return_if_fail (pledge != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", pledge->id);
  cs_json_writer_member_string (w, "backer_id", pledge->backer_id);
  cs_json_writer_member_string (w, "campaign_id", pledge->campaign_id);
  cs_json_writer_member_int (w, "amount", pledge->amount);
  cs_json_writer_member_string (w, "currency", pledge->currency);
  cs_json_writer_member_string (w, "reward_tier_id", pledge->reward_tier_id);
  cs_json_writer_member_string (w, "status", cs_pledge_status_to_string (pledge->status));
  cs_json_writer_member_string (w, "transaction_id", pledge->transaction_id);
  cs_json_writer_member_string (w, "payment_method", pledge->payment_method_id);
  cs_json_writer_member_string (w, "failure_reason", pledge->failure_reason);
  cs_json_writer_member_time (w, "capture_retry_until", pledge->capture_retry_until);
  cs_json_writer_member_time (w, "created_at", pledge->created_at);
  cs_json_writer_member_time (w, "updated_at", pledge->updated_at);
  /* Joined names are only known in some lists: absent rather than null, so
   * that null keeps meaning "none" (a pledge without a reward). */
  if (pledge->backer_name != NULL)
    cs_json_writer_member_string (w, "backer_name", pledge->backer_name);
  if (pledge->reward_title != NULL)
    cs_json_writer_member_string (w, "reward_title", pledge->reward_title);
  if (pledge->campaign_title != NULL)
    cs_json_writer_member_string (w, "campaign_title", pledge->campaign_title);
  cs_json_writer_end_object (w);
}

CsPledge *
cs_pledge_from_json (JsonObject *obj, GError **error)
{
  g_autoptr(CsPledge) pledge = NULL;
  const char *id;
  const char *status;

  g_return_val_if_fail (obj != NULL, NULL);

  id = cs_json_get_string_or (obj, "id", NULL);
  if (id == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The pledge object has no id");
      return NULL;
    }

  pledge = cs_pledge_new ();
  pledge->id = g_strdup (id);
  status = cs_json_get_string_or (obj, "status", NULL);
  if (!cs_pledge_status_from_string (status, &pledge->status))
    {
      g_set_error (error, CS_ERROR, CS_ERROR_MALFORMED,
                   "The pledge object has an unknown status “%s”", status != NULL ? status : "");
      return NULL;
    }
  pledge->backer_id = g_strdup (cs_json_get_string_or (obj, "backer_id", NULL));
  pledge->campaign_id = g_strdup (cs_json_get_string_or (obj, "campaign_id", NULL));
  pledge->amount = cs_json_get_int_or (obj, "amount", 0);
  copy_currency (pledge->currency, cs_json_get_string_or (obj, "currency", NULL));
  pledge->reward_tier_id = g_strdup (cs_json_get_string_or (obj, "reward_tier_id", NULL));
  pledge->transaction_id = g_strdup (cs_json_get_string_or (obj, "transaction_id", NULL));
  pledge->payment_method_id = g_strdup (cs_json_get_string_or (obj, "payment_method", NULL));
  pledge->failure_reason = g_strdup (cs_json_get_string_or (obj, "failure_reason", NULL));
  pledge->capture_retry_until = cs_json_get_time (obj, "capture_retry_until");
  pledge->created_at = cs_json_get_time (obj, "created_at");
  pledge->updated_at = cs_json_get_time (obj, "updated_at");
  pledge->backer_name = g_strdup (cs_json_get_string_or (obj, "backer_name", NULL));
  pledge->reward_title = g_strdup (cs_json_get_string_or (obj, "reward_title", NULL));
  pledge->campaign_title = g_strdup (cs_json_get_string_or (obj, "campaign_title", NULL));
  return g_steal_pointer (&pledge);
}

void
cs_pledge_input_clear (CsPledgeInput *in)
{
  if (in == NULL)
    return;
  g_free (in->reward_tier_id);
  g_free (in->payment_method);
  memset (in, 0, sizeof *in);
}

gboolean
cs_pledge_input_read (JsonObject *obj, gboolean partial, CsPledgeInput *out, GError **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  gboolean is_null = FALSE;

  g_return_val_if_fail (obj != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (out, 0, sizeof *out);

  cs_json_reject_unknown (obj, pledge_input_members, v);

  out->has_amount = cs_json_read_amount (obj, "amount", !partial, 1, CS_MONEY_MAX_AMOUNT, v,
                                         &out->amount);

  /* null (or absent on create) means no reward; whether the id names a
   * tier of this campaign is the store's question. */
  if (cs_json_read_string_nullable (obj, "reward_tier_id", 1, 64, FALSE, v, &out->reward_tier_id,
                                    &is_null))
    {
      if (!is_null && !cs_id_is_valid (out->reward_tier_id))
        {
          cs_validation_add (v, "reward_tier_id", "is not a valid reward tier id");
          g_clear_pointer (&out->reward_tier_id, g_free);
        }
      else
        out->has_tier = TRUE;
    }

  /* Only the gateway's token: a card number never reaches the server's
   * model (the service checks the token's form for its gateway). */
  cs_json_read_string (obj, "payment_method", !partial, 1, PAYMENT_METHOD_MAX_CHARS, FALSE, v,
                       &out->payment_method);

  if (!cs_validation_finish (v, "The pledge has invalid fields", error))
    {
      cs_pledge_input_clear (out);
      return FALSE;
    }
  return TRUE;
}

gint64
cs_pledge_minimum_for_currency (const char *currency)
{
  int exponent = cs_currency_exponent (currency);
  gint64 minimum = 1;

  /* An unknown currency is refused elsewhere; assume cents meanwhile. */
  if (exponent < 0)
    exponent = 2;
  while (exponent-- > 0)
    minimum *= 10;
  return minimum;
}

/* Public API: fees */

void
cs_fee_settings_default (CsFeeSettings *out)
{
  g_return_if_fail (out != NULL);

  out->platform_bps = 500;
  out->processing_bps = 290;
  out->processing_fixed = 30;
}

void
cs_fee_settings_write_json (const CsFeeSettings *fees, CsJsonWriter *w)
{
  g_return_if_fail (fees != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_int (w, "platform_fee_bps", fees->platform_bps);
  cs_json_writer_member_int (w, "processing_fee_bps", fees->processing_bps);
  cs_json_writer_member_int (w, "processing_fee_fixed", fees->processing_fixed);
  cs_json_writer_end_object (w);
}

gboolean
cs_fee_settings_read (JsonObject *obj, CsFeeSettings *out, GError **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  CsFeeSettings fees = { 0 };

  g_return_val_if_fail (obj != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cs_json_reject_unknown (obj, fee_members, v);
  cs_json_read_int (obj, "platform_fee_bps", TRUE, 0, CS_FEE_MAX_BPS, v, &fees.platform_bps);
  cs_json_read_int (obj, "processing_fee_bps", TRUE, 0, CS_FEE_MAX_BPS, v, &fees.processing_bps);
  cs_json_read_amount (obj, "processing_fee_fixed", TRUE, 0, CS_FEE_MAX_FIXED, v,
                       &fees.processing_fixed);
  if (!cs_validation_finish (v, "The fee settings have invalid fields", error))
    return FALSE;
  *out = fees;
  return TRUE;
}

gboolean
cs_fees_for_amount (const CsFeeSettings *fees, gint64 amount,
                    gint64 *platform_fee, gint64 *processing_fee)
{
  gint64 platform = 0, processing = 0;

  g_return_val_if_fail (fees != NULL, FALSE);
  g_return_val_if_fail (amount >= 0, FALSE);

  if (!cs_money_apply_basis_points (amount, fees->platform_bps, CS_ROUND_HALF_UP, &platform) ||
      !cs_money_apply_basis_points (amount, fees->processing_bps, CS_ROUND_HALF_UP, &processing) ||
      !cs_int64_add_checked (processing, fees->processing_fixed, &processing))
    return FALSE;

  /* The fixed part can exceed a tiny pledge: the creator never owes more
   * than the pledge brought in.  The platform's share is taken first. */
  platform = CLAMP (platform, 0, amount);
  processing = CLAMP (processing, 0, amount - platform);

  if (platform_fee != NULL)
    *platform_fee = platform;
  if (processing_fee != NULL)
    *processing_fee = processing;
  return TRUE;
}

/* Public API: balances */

void
cs_balance_write_json (const CsBalance *balance, CsJsonWriter *w)
{
  g_return_if_fail (balance != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "campaign_id", balance->campaign_id);
  cs_json_writer_member_string (w, "currency", balance->currency);
  cs_json_writer_member_int (w, "collected_amount", balance->collected_amount);
  cs_json_writer_member_int (w, "platform_fee_amount", balance->platform_fee_amount);
  cs_json_writer_member_int (w, "processing_fee_amount", balance->processing_fee_amount);
  cs_json_writer_member_int (w, "refunded_amount", balance->refunded_amount);
  cs_json_writer_member_int (w, "withdrawn_amount", balance->withdrawn_amount);
  cs_json_writer_member_int (w, "available_amount", MAX (balance->available_amount, 0));
  cs_json_writer_end_object (w);
}

/* Public API: withdrawals */

const char *
cs_withdrawal_status_to_string (CsWithdrawalStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (withdrawal_status_names))
    return "pending";
  return withdrawal_status_names[status];
}

gboolean
cs_withdrawal_status_from_string (const char *text, CsWithdrawalStatus *out)
{
  int i = name_index (withdrawal_status_names, G_N_ELEMENTS (withdrawal_status_names), text);

  if (i < 0)
    return FALSE;
  if (out != NULL)
    *out = (CsWithdrawalStatus) i;
  return TRUE;
}

CsWithdrawal *
cs_withdrawal_new (void)
{
  CsWithdrawal *withdrawal = g_new0 (CsWithdrawal, 1);

  withdrawal->status = CS_WITHDRAWAL_PENDING;
  return withdrawal;
}

void
cs_withdrawal_free (CsWithdrawal *withdrawal)
{
  if (withdrawal == NULL)
    return;
  g_free (withdrawal->id);
  g_free (withdrawal->campaign_id);
  g_free (withdrawal->creator_id);
  g_free (withdrawal->transaction_id);
  g_free (withdrawal->failure_reason);
  g_free (withdrawal);
}

void
cs_withdrawal_write_json (const CsWithdrawal *withdrawal, CsJsonWriter *w)
{
  g_return_if_fail (withdrawal != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", withdrawal->id);
  cs_json_writer_member_string (w, "campaign_id", withdrawal->campaign_id);
  cs_json_writer_member_string (w, "creator_id", withdrawal->creator_id);
  cs_json_writer_member_int (w, "amount", withdrawal->amount);
  cs_json_writer_member_string (w, "currency", withdrawal->currency);
  cs_json_writer_member_string (w, "status", cs_withdrawal_status_to_string (withdrawal->status));
  cs_json_writer_member_string (w, "transaction_id", withdrawal->transaction_id);
  cs_json_writer_member_string (w, "failure_reason", withdrawal->failure_reason);
  cs_json_writer_member_time (w, "created_at", withdrawal->created_at);
  cs_json_writer_member_time (w, "updated_at", withdrawal->updated_at);
  cs_json_writer_end_object (w);
}

/* Public API: identity checks */

const char *
cs_kyc_status_to_string (CsKycStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (kyc_status_names))
    return "unverified";
  return kyc_status_names[status];
}

gboolean
cs_kyc_status_from_string (const char *text, CsKycStatus *out)
{
  int i = name_index (kyc_status_names, G_N_ELEMENTS (kyc_status_names), text);

  if (i < 0)
    return FALSE;
  if (out != NULL)
    *out = (CsKycStatus) i;
  return TRUE;
}

CsKycCheck *
cs_kyc_check_new (void)
{
  CsKycCheck *check = g_new0 (CsKycCheck, 1);

  check->status = CS_KYC_PENDING;
  return check;
}

void
cs_kyc_check_free (CsKycCheck *check)
{
  if (check == NULL)
    return;
  g_free (check->id);
  g_free (check->user_id);
  g_free (check->full_name);
  g_free (check->country);
  g_free (check->document_type);
  g_free (check->document_last4);
  g_free (check->reason);
  g_free (check->decided_by);
  g_free (check);
}

void
cs_kyc_check_write_json (const CsKycCheck *check, CsJsonWriter *w)
{
  g_return_if_fail (check != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", check->id);
  cs_json_writer_member_string (w, "user_id", check->user_id);
  cs_json_writer_member_string (w, "status", cs_kyc_status_to_string (check->status));
  cs_json_writer_member_string (w, "full_name", check->full_name);
  cs_json_writer_member_string (w, "country", check->country);
  cs_json_writer_member_string (w, "document_type", check->document_type);
  cs_json_writer_member_string (w, "document_last4", check->document_last4);
  cs_json_writer_member_string (w, "reason", check->reason);
  cs_json_writer_member_string (w, "decided_by", check->decided_by);
  cs_json_writer_member_time (w, "created_at", check->created_at);
  cs_json_writer_member_time (w, "updated_at", check->updated_at);
  cs_json_writer_end_object (w);
}

void
cs_kyc_input_clear (CsKycInput *in)
{
  if (in == NULL)
    return;
  g_free (in->full_name);
  g_free (in->country);
  g_free (in->document_type);
  /* The document number is personal data that only the provider may see:
   * leave no copy in freed memory. */
  if (in->document_number != NULL)
    explicit_bzero (in->document_number, strlen (in->document_number));
  g_free (in->document_number);
  memset (in, 0, sizeof *in);
}

gboolean
cs_kyc_input_read (JsonObject *obj, CsKycInput *out, GError **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();

  g_return_val_if_fail (obj != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (out, 0, sizeof *out);

  cs_json_reject_unknown (obj, kyc_input_members, v);

  if (cs_json_read_string (obj, "full_name", TRUE, 1, KYC_NAME_MAX_CHARS, FALSE, v, &out->full_name))
    {
      g_strstrip (out->full_name);
      if (out->full_name[0] == '\0')
        {
          cs_validation_add (v, "full_name", "must not be empty");
          g_clear_pointer (&out->full_name, g_free);
        }
    }

  if (cs_json_read_string (obj, "country", TRUE, 2, 2, FALSE, v, &out->country))
    {
      if (!g_ascii_isalpha (out->country[0]) || !g_ascii_isalpha (out->country[1]))
        {
          cs_validation_add (v, "country", "must be a two-letter ISO 3166-1 country code");
          g_clear_pointer (&out->country, g_free);
        }
      else
        {
          out->country[0] = g_ascii_toupper (out->country[0]);
          out->country[1] = g_ascii_toupper (out->country[1]);
        }
    }

  if (cs_json_read_string (obj, "document_type", TRUE, 1, 32, FALSE, v, &out->document_type) &&
      !g_strv_contains (kyc_document_types, out->document_type))
    {
      cs_validation_add (v, "document_type", "must be “passport”, “id_card” or “driving_licence”");
      g_clear_pointer (&out->document_type, g_free);
    }

  /* The number's own text never goes into an error message. */
  if (cs_json_read_string (obj, "document_number", TRUE, KYC_DOCUMENT_MIN_CHARS,
                           KYC_DOCUMENT_MAX_CHARS, FALSE, v, &out->document_number) &&
      !is_document_number (out->document_number))
    {
      cs_validation_add (v, "document_number", "may only contain letters, digits and “-”");
      explicit_bzero (out->document_number, strlen (out->document_number));
      g_clear_pointer (&out->document_number, g_free);
    }

  if (!cs_validation_finish (v, "The identity check has invalid fields", error))
    {
      cs_kyc_input_clear (out);
      return FALSE;
    }
  return TRUE;
}
