/* cs-money-service.c: provider webhooks, identity checks, balances,
 * withdrawals and fees: access rules and parsing around the store. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "cs-money-service.h"
#include "cs-campaign-service.h"
#include "cs-pledge-service.h"
#include "cs-webhook.h"
#include "cs-kyc-provider.h"

/* ---- webhooks -------------------------------------------------------------- */

/* Verifies @signature over @body and parses it: {"id", "type", "created",
 * "data": {...}}.  Returns the root node; *data_out points into it. */
static JsonNode *
verified_event (const CsCall *call, const char *secret, const char *signature, GBytes *body,
                const char **id_out, const char **type_out, JsonObject **data_out, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);
  JsonObject *obj;
  JsonNode *data_node;

  if (signature == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED,
                           "The webhook has no " CS_WEBHOOK_SIGNATURE_HEADER " header.");
      return NULL;
    }
  if (!cs_webhook_verify (secret, signature, data != NULL ? data : "", len, call->now,
                          CS_WEBHOOK_TOLERANCE_SECONDS, error))
    return NULL;
  root = cs_json_parse_object (data, len, error);
  if (root == NULL)
    return NULL;
  obj = json_node_get_object (root);
  *id_out = cs_json_get_string_or (obj, "id", NULL);
  *type_out = cs_json_get_string_or (obj, "type", NULL);
  data_node = json_object_get_member (obj, "data");
  if (*id_out == NULL || *type_out == NULL || strlen (*id_out) > 64 ||
      data_node == NULL || !JSON_NODE_HOLDS_OBJECT (data_node))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                           "A webhook event needs an id, a type and a data object.");
      return NULL;
    }
  *data_out = json_node_get_object (data_node);
  return g_steal_pointer (&root);
}

gboolean
cs_payments_webhook (const CsCall *call, const char *secret, const char *signature, GBytes *body,
                     gboolean *duplicate, CsCampaignProgress *progress, CsPledge **pledge_out,
                     GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local = NULL;
  const char *id = NULL, *type = NULL;
  JsonObject *data = NULL;
  CsPaymentEvent event = { 0 };

  root = verified_event (call, secret, signature, body, &id, &type, &data, error);
  if (root == NULL)
    return FALSE;
  if (!cs_payment_event_type_from_string (type, &event.type))
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID, "Unknown payment event type “%s”.", type);
      return FALSE;
    }
  event.event_id = id;
  event.object_id = cs_json_get_string_or (data, "object_id", NULL);
  event.reference = cs_json_get_string_or (data, "reference", NULL);
  event.job_id = cs_json_get_string_or (data, "job_id", NULL);
  event.amount = cs_json_get_int_or (data, "amount", -1);
  event.currency = cs_json_get_string_or (data, "currency", NULL);
  event.failure_reason = cs_json_get_string_or (data, "failure_reason", NULL);
  if (event.object_id == NULL || event.reference == NULL || event.amount < 0 ||
      event.currency == NULL || !cs_currency_is_supported (event.currency))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                           "A payment event needs object_id, reference, amount and currency.");
      return FALSE;
    }
  if (!cs_store_payment_event_apply (call->conn, &event, call->now, duplicate, progress, error))
    return FALSE;
  if (pledge_out == NULL || *duplicate ||
      event.type == CS_PAYMENT_EVENT_PAYOUT_PAID || event.type == CS_PAYMENT_EVENT_PAYOUT_FAILED)
    return TRUE;
  /* Applied: read the pledge back for its backer's live connection.  A
   * failure here loses only that notice (the app's next sync has the state). */
  *pledge_out = cs_store_pledge_get (call->conn, event.reference, &local);
  if (*pledge_out == NULL && !g_error_matches (local, CS_ERROR, CS_ERROR_NOT_FOUND))
    g_warning ("payments: event %s was applied, but its pledge could not be read back: %s",
               event.event_id, local->message);
  return TRUE;
}

gboolean
cs_kyc_webhook (const CsCall *call, const char *secret, const char *signature, GBytes *body,
                gboolean *duplicate, CsKycCheck **check_out, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  const char *id = NULL, *type = NULL, *check_id, *decision_text, *reason;
  JsonObject *data = NULL;
  CsKycStatus decision;
  gboolean is_new = FALSE;

  root = verified_event (call, secret, signature, body, &id, &type, &data, error);
  if (root == NULL)
    return FALSE;
  check_id = cs_json_get_string_or (data, "check_id", NULL);
  decision_text = cs_json_get_string_or (data, "decision", NULL);
  reason = cs_json_get_string_or (data, "reason", NULL);
  if (g_strcmp0 (type, "kyc.decided") != 0 || check_id == NULL ||
      !cs_kyc_status_from_string (decision_text, &decision) ||
      (decision != CS_KYC_VERIFIED && decision != CS_KYC_REJECTED && decision != CS_KYC_REVIEW))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                           "A KYC event is {\"type\": \"kyc.decided\", \"data\": {\"check_id\", \"decision\"}}.");
      return FALSE;
    }
  if (!cs_store_webhook_seen (call->conn, id, call->now, &is_new, error))
    return FALSE;
  *duplicate = !is_new;
  if (!is_new)
    return TRUE;
  /* a repeat of the same decision is a no-op in the store */
  *check_out = cs_store_kyc_decide (call->conn, check_id, decision, reason, NULL, call->now, error);
  return *check_out != NULL;
}

/* ---- identity checks ------------------------------------------------------------ */

CsKycCheck *
cs_kyc_get (const CsCall *call, GError **error)
{
  return cs_store_kyc_latest (call->conn, call->user_id, error);
}

CsKycCheck *
cs_kyc_submit (const CsCall *call, JsonObject *body, GError **error)
{
  g_auto(CsKycInput) in = { 0 };
  g_autoptr(CsKycCheck) check = cs_kyc_check_new ();
  g_autoptr(CsKycCheck) stored = NULL;
  g_autoptr(GError) provider_error = NULL;
  gsize len;

  if (!call->config->sandbox)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE,
                           "Identity verification is not configured on this server.");
      return NULL;
    }
  if (!cs_kyc_input_read (body, &in, error))
    return NULL;

  len = strlen (in.document_number);
  check->id = cs_id_new ("kyc");
  check->user_id = g_strdup (call->user_id);
  check->status = CS_KYC_PENDING;
  check->full_name = g_strdup (in.full_name);
  check->country = g_strdup (in.country);
  check->document_type = g_strdup (in.document_type);
  check->document_last4 = g_strdup (in.document_number + (len > 4 ? len - 4 : 0));
  check->created_at = check->updated_at = call->now;
  stored = cs_store_kyc_submit (call->conn, check, call->now, error);
  if (stored == NULL)
    return NULL;
  /* The provider answers later, by webhook.  If it cannot be reached now,
   * the check stays pending and may be submitted again after a while. */
  if (!cs_kyc_provider_submit (call->conn, stored->id, in.document_number, call->now, &provider_error))
    g_warning ("kyc: could not hand check %s to the provider: %s", stored->id, provider_error->message);
  sodium_memzero (in.document_number, len);
  return g_steal_pointer (&stored);
}

CsKycCheck *
cs_kyc_decide (const CsCall *call, const char *kyc_id, JsonObject *body, GError **error)
{
  static const char * const allowed[] = { "decision", "reason", NULL };
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autofree char *decision_text = NULL;
  g_autofree char *reason = NULL;
  CsKycStatus decision = CS_KYC_UNVERIFIED;

  cs_json_reject_unknown (body, allowed, v);
  if (cs_json_read_string (body, "decision", TRUE, 1, 16, FALSE, v, &decision_text) &&
      (!cs_kyc_status_from_string (decision_text, &decision) ||
       (decision != CS_KYC_VERIFIED && decision != CS_KYC_REJECTED)))
    cs_validation_add (v, "decision", "must be “verified” or “rejected”");
  cs_json_read_string (body, "reason", TRUE, 3, 2000, TRUE, v, &reason);
  if (!cs_validation_finish (v, "The decision is not valid.", error))
    return NULL;
  if (!cs_id_is_valid (kyc_id))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND, "There is no identity check with this id.");
      return NULL;
    }
  return cs_store_kyc_decide (call->conn, kyc_id, decision, reason, call->user_id, call->now, error);
}

GPtrArray *
cs_kyc_queue (const CsCall *call, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  return cs_store_kyc_queue (call->conn, cursor, limit, next_cursor, error);
}

/* ---- balances and withdrawals ------------------------------------------------------ */

gboolean
cs_balance_get (const CsCall *call, const char *campaign_id, CsBalance *out, GError **error)
{
  g_autoptr(CsCampaign) campaign = NULL;

  if (cs_call_is_staff (call))
    campaign = cs_campaigns_get (call, campaign_id, error);
  else
    campaign = cs_campaigns_get_owned (call, campaign_id, error);
  if (campaign == NULL)
    return FALSE;
  return cs_store_campaign_balance (call->conn, campaign_id, out, error);
}

CsWithdrawal *
cs_withdrawals_create (const CsCall *call, const char *campaign_id, JsonObject *body,
                       const char *idempotency_key, GBytes *raw_body, CsReplay *replay, GError **error)
{
  static const char * const allowed[] = { "amount", "payout_method", NULL };
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(CsCampaign) campaign = NULL;
  g_autofree char *payout_method = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *withdrawal_id = NULL;
  g_autofree char *job_id = NULL;
  CsWithdrawal *withdrawal = NULL;
  CsWithdrawalCreate create;
  CsIdempotency idem;
  gint64 amount = 0;

  campaign = cs_campaigns_get_owned (call, campaign_id, error);
  if (campaign == NULL)
    return NULL;
  if (!cs_idempotency_key_check (idempotency_key, error))
    return NULL;
  cs_json_reject_unknown (body, allowed, v);
  cs_json_read_amount (body, "amount", TRUE, 1, CS_MONEY_MAX_AMOUNT, v, &amount);
  if (cs_json_read_string (body, "payout_method", FALSE, 4, 64, FALSE, v, &payout_method) &&
      !g_str_has_prefix (payout_method, "ba_"))
    cs_validation_add (v, "payout_method", "must be a bank account token (ba_…)");
  if (!cs_validation_finish (v, "The withdrawal is not valid.", error))
    return NULL;

  scope = g_strconcat ("POST /api/v1/campaigns/", campaign_id, "/withdrawals", NULL);
  hash = cs_idempotency_request_hash (scope, raw_body);
  withdrawal_id = cs_id_new ("wd");
  job_id = cs_id_new ("job");
  create = (CsWithdrawalCreate) {
    .withdrawal_id = withdrawal_id,
    .campaign_id = campaign_id,
    .creator_id = call->user_id,
    .amount = amount,
    .payout_method = payout_method,
    .job_id = job_id,
  };
  idem = (CsIdempotency) {
    .user_id = call->user_id,
    .key = idempotency_key,
    .scope = scope,
    .request_hash = hash,
  };
  if (!cs_store_withdrawal_create (call->conn, &create, &idem, call->now, &withdrawal, replay, error))
    return NULL;
  return withdrawal;
}

GPtrArray *
cs_withdrawals_list (const CsCall *call, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  return cs_store_withdrawal_list (call->conn, call->user_id, cursor, limit, next_cursor, error);
}

/* ---- fees -------------------------------------------------------------------------- */

gboolean
cs_fees_get (const CsCall *call, CsFeeSettings *out, GError **error)
{
  return cs_store_fee_settings_get (call->conn, out, error);
}

gboolean
cs_fees_put (const CsCall *call, JsonObject *body, CsFeeSettings *out, GError **error)
{
  if (!cs_fee_settings_read (body, out, error))
    return FALSE;
  return cs_store_fee_settings_put (call->conn, out, call->user_id, call->now, error);
}
