/* cs-pledge-service.c: pledges: access rules around the store's money
 * transactions. */
#include "config.h"

#include <string.h>

#include "cs-pledge-service.h"
#include "cs-campaign-service.h"

gboolean
cs_idempotency_key_check (const char *key, GError **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  gsize len = key != NULL ? strlen (key) : 0;

  if (key == NULL || len == 0)
    cs_validation_add (v, "Idempotency-Key", "is required: send a unique key (e.g. a UUID) with each new request");
  else if (len > 255)
    cs_validation_add (v, "Idempotency-Key", "must be at most 255 characters");
  else
    for (const char *p = key; *p != '\0'; p++)
      if (*p < 0x21 || *p > 0x7e)
        {
          cs_validation_add (v, "Idempotency-Key", "must be visible ASCII characters");
          break;
        }
  return cs_validation_finish (v, "The Idempotency-Key header is missing or invalid.", error);
}

char *
cs_idempotency_request_hash (const char *scope, GBytes *body)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = 0;
  const guchar *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  g_checksum_update (sum, (const guchar *) scope, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  if (len > 0)
    g_checksum_update (sum, data, len);
  return g_strdup (g_checksum_get_string (sum));
}

static void
set_pledge_not_found (GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND, "There is no pledge with this id.");
}

static gboolean
check_payment_method (const char *pm, GError **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();

  if (pm != NULL && (!g_str_has_prefix (pm, "pm_") || strlen (pm) > 64))
    cs_validation_add (v, "payment_method", "must be a payment method token (pm_…) from the payment gateway");
  return cs_validation_finish (v, "The payment method is not valid.", error);
}

CsPledge *
cs_pledges_create (const CsCall *call, const char *campaign_id, JsonObject *body,
                   const char *idempotency_key, GBytes *raw_body, CsReplay *replay, GError **error)
{
  g_auto(CsPledgeInput) in = { 0 };
  g_autoptr(CsCampaign) campaign = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *pledge_id = NULL;
  g_autofree char *job_id = NULL;
  CsPledge *pledge = NULL;
  CsPledgeCreate create;
  CsIdempotency idem;

  campaign = cs_campaigns_get (call, campaign_id, error);
  if (campaign == NULL)
    return NULL;
  if (g_strcmp0 (campaign->creator_id, call->user_id) == 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_FORBIDDEN, "Creators cannot back their own campaign.");
      return NULL;
    }
  if (!cs_idempotency_key_check (idempotency_key, error) ||
      !cs_pledge_input_read (body, FALSE, &in, error) ||
      !check_payment_method (in.payment_method, error))
    return NULL;

  scope = g_strconcat ("POST /api/v1/campaigns/", campaign_id, "/pledges", NULL);
  hash = cs_idempotency_request_hash (scope, raw_body);
  pledge_id = cs_id_new ("pl");
  job_id = cs_id_new ("job");
  create = (CsPledgeCreate) {
    .pledge_id = pledge_id,
    .campaign_id = campaign_id,
    .backer_id = call->user_id,
    .amount = in.amount,
    .reward_tier_id = in.has_tier ? in.reward_tier_id : NULL,
    .payment_method_id = in.payment_method,
    .job_id = job_id,
  };
  idem = (CsIdempotency) {
    .user_id = call->user_id,
    .key = idempotency_key,
    .scope = scope,
    .request_hash = hash,
  };
  if (!cs_store_pledge_create (call->conn, &create, &idem, call->now, &pledge, replay, error))
    return NULL;
  return pledge;
}

CsPledge *
cs_pledges_get (const CsCall *call, const char *pledge_id, GError **error)
{
  g_autoptr(CsPledge) pledge = NULL;
  g_autoptr(GError) local = NULL;

  if (!cs_id_is_valid (pledge_id))
    {
      set_pledge_not_found (error);
      return NULL;
    }
  pledge = cs_store_pledge_get (call->conn, pledge_id, error);
  if (pledge == NULL)
    return NULL;
  if (g_strcmp0 (pledge->backer_id, call->user_id) == 0 || cs_call_is_staff (call))
    return g_steal_pointer (&pledge);
  /* the campaign's creator sees the pledges made to it */
  {
    g_autoptr(CsCampaign) campaign = cs_store_campaign_get (call->conn, pledge->campaign_id, &local);

    if (campaign != NULL && g_strcmp0 (campaign->creator_id, call->user_id) == 0)
      return g_steal_pointer (&pledge);
  }
  set_pledge_not_found (error);
  return NULL;
}

GPtrArray *
cs_pledges_list_for_user (const CsCall *call, const char *user_id, const char *cursor, guint limit,
                          char **next_cursor, GError **error)
{
  if (g_strcmp0 (user_id, call->user_id) != 0 && !cs_call_is_staff (call))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_FORBIDDEN,
                           "Only the user themself and staff may see a user's pledges.");
      return NULL;
    }
  if (!cs_id_is_valid (user_id))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND, "There is no user with this id.");
      return NULL;
    }
  return cs_store_pledge_list_for_backer (call->conn, user_id, cursor, limit, next_cursor, error);
}

GPtrArray *
cs_pledges_list_for_campaign (const CsCall *call, const char *campaign_id, const char *cursor, guint limit,
                              char **next_cursor, GError **error)
{
  g_autoptr(CsCampaign) campaign = NULL;

  if (cs_call_is_staff (call))
    campaign = cs_campaigns_get (call, campaign_id, error);
  else
    campaign = cs_campaigns_get_owned (call, campaign_id, error);
  if (campaign == NULL)
    return NULL;
  return cs_store_pledge_list_for_campaign (call->conn, campaign_id, cursor, limit, next_cursor, error);
}

CsPledge *
cs_pledges_change (const CsCall *call, const char *pledge_id, JsonObject *body,
                   CsCampaignProgress *progress, GError **error)
{
  g_auto(CsPledgeInput) in = { 0 };
  g_autofree char *job_id = NULL;
  CsPledgeChange change;

  if (!cs_id_is_valid (pledge_id))
    {
      set_pledge_not_found (error);
      return NULL;
    }
  if (!cs_pledge_input_read (body, TRUE, &in, error) ||
      !check_payment_method (in.payment_method, error))
    return NULL;
  if (!in.has_amount && !in.has_tier && in.payment_method == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                           "Nothing to change: send amount, reward_tier_id or payment_method.");
      return NULL;
    }
  job_id = cs_id_new ("job");
  change = (CsPledgeChange) {
    .has_amount = in.has_amount,
    .amount = in.amount,
    .has_tier = in.has_tier,
    .reward_tier_id = in.reward_tier_id,
    .payment_method_id = in.payment_method,
    .job_id = job_id,
  };
  return cs_store_pledge_change (call->conn, pledge_id, call->user_id, &change, call->now, progress, error);
}

CsPledge *
cs_pledges_cancel (const CsCall *call, const char *pledge_id, CsCampaignProgress *progress, GError **error)
{
  g_autofree char *job_id = NULL;

  if (!cs_id_is_valid (pledge_id))
    {
      set_pledge_not_found (error);
      return NULL;
    }
  job_id = cs_id_new ("job");
  return cs_store_pledge_cancel (call->conn, pledge_id, call->user_id, job_id, call->now, progress, error);
}
