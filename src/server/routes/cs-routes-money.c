/* cs-routes-money.c: pledges, provider webhooks, identity checks, balances,
 * withdrawals, fees, and the sandbox's card tokenisation and test clock.
 *
 * After a commit that changed a campaign's progress, the route publishes it
 * to the live hub; after one that queued work for the gateway, it wakes the
 * job runner, so the authorization starts at once rather than at the next
 * poll. */
#include "config.h"

#include <string.h>

#include "cs-routes.h"
#include "cs-pledge-service.h"
#include "cs-money-service.h"
#include "cs-gateway.h"
#include "cs-jobs.h"
#include "cs-live.h"

#define SANDBOX_CLOCK_KEY "sandbox.clock_offset"

static void
publish_progress (CsRequest *req, const CsCampaignProgress *progress)
{
  if (progress->campaign_id[0] != '\0' && req->ctx->live != NULL)
    cs_live_publish_progress (req->ctx->live, progress);
}

static void
wake_jobs (CsRequest *req)
{
  if (req->ctx->jobs != NULL)
    cs_jobs_wake (req->ctx->jobs);
}

static gboolean
require_gateway (CsRequest *req, CsResponse *resp)
{
  if (req->ctx->gateway != NULL)
    return TRUE;
  cs_response_problem (resp, req, CS_ERROR_UNAVAILABLE,
                       "Payments are not configured on this server (start it with --sandbox for the test gateway).");
  return FALSE;
}

static gboolean
require_sandbox (CsRequest *req, CsResponse *resp)
{
  if (req->ctx->config->sandbox)
    return TRUE;
  cs_response_problem (resp, req, CS_ERROR_NOT_FOUND, "The sandbox is not enabled on this server.");
  return FALSE;
}

static void
respond_replay (CsResponse *resp, CsReplay *replay)
{
  cs_response_set_bytes (resp, replay->status, "application/json", replay->body);
  cs_response_add_header (resp, "Idempotent-Replayed", "true");
}

static void
respond_pledge (CsRequest *req, CsResponse *resp, guint status, const CsPledge *pledge)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_pledge_write_json (pledge, w);
  cs_response_take_json (resp, status, w);
  if (status == 200)
    cs_response_apply_etag (resp, req);
}

typedef void (*WriteItem) (gconstpointer item, CsJsonWriter *w);

/* A page of @items as {"items", "next_cursor"}, or the error when @items
 * is NULL. */
static void
respond_list (CsRequest *req, CsResponse *resp, GPtrArray *items, const char *next, const GError *error,
              WriteItem write_item)
{
  CsJsonWriter *w;

  if (items == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_json_list_begin (w);
  for (guint i = 0; i < items->len; i++)
    write_item (g_ptr_array_index (items, i), w);
  cs_json_list_end (w, next);
  cs_response_take_json (resp, 200, w);
}

/* ---- pledges -------------------------------------------------------------------- */

static void
pledge_create_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = NULL;
  g_auto(CsReplay) replay = { 0 };
  g_autofree char *location = NULL;
  CsCall call;

  if (!require_gateway (req, resp))
    return;
  cs_call_init (&call, req);
  pledge = cs_pledges_create (&call, cs_request_param (req, "campaign_id"), cs_request_json_object (req),
                              req->idempotency_key, req->body, &replay, &error);
  if (replay.replayed)
    {
      respond_replay (resp, &replay);
      return;
    }
  if (pledge == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  wake_jobs (req);
  respond_pledge (req, resp, 201, pledge);
  location = g_strconcat ("/api/v1/pledges/", pledge->id, NULL);
  cs_response_add_header (resp, "Location", location);
}

static void
pledge_get_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = NULL;
  CsCall call;

  cs_call_init (&call, req);
  pledge = cs_pledges_get (&call, cs_request_param (req, "pledge_id"), &error);
  if (pledge == NULL)
    cs_response_set_error (resp, req, error);
  else
    respond_pledge (req, resp, 200, pledge);
}

static void
pledge_patch_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = NULL;
  CsCampaignProgress progress = { 0 };
  CsCall call;

  if (!require_gateway (req, resp))
    return;
  cs_call_init (&call, req);
  pledge = cs_pledges_change (&call, cs_request_param (req, "pledge_id"), cs_request_json_object (req),
                              &progress, &error);
  if (pledge == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  publish_progress (req, &progress);
  wake_jobs (req);
  respond_pledge (req, resp, 200, pledge);
}

static void
pledge_cancel_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = NULL;
  CsCampaignProgress progress = { 0 };
  CsCall call;

  cs_call_init (&call, req);
  pledge = cs_pledges_cancel (&call, cs_request_param (req, "pledge_id"), &progress, &error);
  if (pledge == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  publish_progress (req, &progress);
  wake_jobs (req);
  respond_pledge (req, resp, 200, pledge);
}

static void
user_pledges_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pledges = NULL;
  g_autofree char *next = NULL;
  guint limit;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_request_limit (req, 20, &limit, &error))
    pledges = cs_pledges_list_for_user (&call, cs_request_param (req, "user_id"), cs_request_query (req, "cursor"),
                                        limit, &next, &error);
  respond_list (req, resp, pledges, next, error, (WriteItem) cs_pledge_write_json);
}

static void
campaign_pledges_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pledges = NULL;
  g_autofree char *next = NULL;
  guint limit;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_request_limit (req, 50, &limit, &error))
    pledges = cs_pledges_list_for_campaign (&call, cs_request_param (req, "campaign_id"),
                                            cs_request_query (req, "cursor"), limit, &next, &error);
  respond_list (req, resp, pledges, next, error, (WriteItem) cs_pledge_write_json);
}

/* ---- provider webhooks ---------------------------------------------------------------- */

static void
respond_received (CsResponse *resp, gboolean duplicate)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_member_bool (w, "received", TRUE);
  cs_json_writer_member_bool (w, "duplicate", duplicate);
  cs_json_writer_end_object (w);
  cs_response_take_json (resp, 200, w);
}

/* Tells a pledge's backer (their live connections only) its new state:
 * {"type": "pledge.updated", "pledge_id", "campaign_id", "status", "amount",
 * "currency", "reward_tier_id", "failure_reason"}. */
static void
publish_pledge (CsRequest *req, const CsPledge *pledge)
{
  CsJsonWriter *w;
  g_autofree char *json = NULL;

  if (pledge == NULL || req->ctx->live == NULL)
    return;
  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "type", "pledge.updated");
  cs_json_writer_member_string (w, "pledge_id", pledge->id);
  cs_json_writer_member_string (w, "campaign_id", pledge->campaign_id);
  cs_json_writer_member_string (w, "status", cs_pledge_status_to_string (pledge->status));
  cs_json_writer_member_int (w, "amount", pledge->amount);
  cs_json_writer_member_string (w, "currency", pledge->currency);
  cs_json_writer_member_string (w, "reward_tier_id", pledge->reward_tier_id);
  cs_json_writer_member_string (w, "failure_reason", pledge->failure_reason);
  cs_json_writer_end_object (w);
  json = cs_json_writer_free_to_string (w);
  cs_live_publish_json (req->ctx->live, NULL, pledge->backer_id, json);
}

static void
payments_webhook_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = NULL;
  CsCampaignProgress progress = { 0 };
  gboolean duplicate = FALSE;
  CsCall call;

  cs_call_init (&call, req);
  if (!cs_payments_webhook (&call, req->ctx->webhook_secret, req->webhook_signature, req->body,
                            &duplicate, &progress, &pledge, &error))
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  publish_progress (req, &progress);
  publish_pledge (req, pledge);
  wake_jobs (req);
  respond_received (resp, duplicate);
}

static void
kyc_webhook_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsKycCheck) check = NULL;
  gboolean duplicate = FALSE;
  CsCall call;

  cs_call_init (&call, req);
  if (!cs_kyc_webhook (&call, req->ctx->webhook_secret, req->webhook_signature, req->body,
                       &duplicate, &check, &error))
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  if (check != NULL && req->ctx->live != NULL)
    {
      CsJsonWriter *w = cs_json_writer_new ();
      g_autofree char *json = NULL;

      cs_json_writer_begin_object (w);
      cs_json_writer_member_string (w, "type", "notification");
      cs_json_writer_member_string (w, "kind", "kyc.decided");
      cs_json_writer_member_string (w, "status", cs_kyc_status_to_string (check->status));
      cs_json_writer_end_object (w);
      json = cs_json_writer_free_to_string (w);
      cs_live_publish_json (req->ctx->live, NULL, check->user_id, json);
    }
  respond_received (resp, duplicate);
}

/* ---- identity checks --------------------------------------------------------------------- */

static void
write_kyc_state (CsJsonWriter *w, const CsKycCheck *check)
{
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "status", cs_kyc_status_to_string (check != NULL ? check->status
                                                                                     : CS_KYC_UNVERIFIED));
  cs_json_writer_key (w, "check");
  if (check != NULL)
    cs_kyc_check_write_json (check, w);
  else
    cs_json_writer_null (w);
  cs_json_writer_end_object (w);
}

static void
kyc_get_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsKycCheck) check = NULL;
  CsJsonWriter *w;
  CsCall call;

  cs_call_init (&call, req);
  check = cs_kyc_get (&call, &error);
  if (error != NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  write_kyc_state (w, check);
  cs_response_take_json (resp, 200, w);
}

static void
kyc_post_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsKycCheck) check = NULL;
  CsJsonWriter *w;
  CsCall call;

  cs_call_init (&call, req);
  check = cs_kyc_submit (&call, cs_request_json_object (req), &error);
  if (check == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  wake_jobs (req);
  w = cs_json_writer_new ();
  write_kyc_state (w, check);
  /* accepted: the provider decides asynchronously */
  cs_response_take_json (resp, 202, w);
}

static void
write_queue_item (gconstpointer item, CsJsonWriter *w)
{
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "kind", "kyc_review");
  cs_json_writer_key (w, "kyc");
  cs_kyc_check_write_json (item, w);
  cs_json_writer_end_object (w);
}

static void
moderation_queue_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) checks = NULL;
  g_autofree char *next = NULL;
  guint limit;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_request_limit (req, 20, &limit, &error))
    checks = cs_kyc_queue (&call, cs_request_query (req, "cursor"), limit, &next, &error);
  respond_list (req, resp, checks, next, error, write_queue_item);
}

static void
kyc_decision_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsKycCheck) check = NULL;
  CsJsonWriter *w;
  CsCall call;

  cs_call_init (&call, req);
  check = cs_kyc_decide (&call, cs_request_param (req, "kyc_id"), cs_request_json_object (req), &error);
  if (check == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_kyc_check_write_json (check, w);
  cs_response_take_json (resp, 200, w);
}

/* ---- balances and withdrawals --------------------------------------------------------------- */

static void
balance_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  CsBalance balance = { 0 };
  CsJsonWriter *w;
  CsCall call;

  cs_call_init (&call, req);
  if (!cs_balance_get (&call, cs_request_param (req, "campaign_id"), &balance, &error))
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_balance_write_json (&balance, w);
  cs_response_take_json (resp, 200, w);
}

static void
withdrawal_create_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsWithdrawal) withdrawal = NULL;
  g_auto(CsReplay) replay = { 0 };
  CsJsonWriter *w;
  CsCall call;

  if (!require_gateway (req, resp))
    return;
  cs_call_init (&call, req);
  withdrawal = cs_withdrawals_create (&call, cs_request_param (req, "campaign_id"), cs_request_json_object (req),
                                      req->idempotency_key, req->body, &replay, &error);
  if (replay.replayed)
    {
      respond_replay (resp, &replay);
      return;
    }
  if (withdrawal == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  wake_jobs (req);
  w = cs_json_writer_new ();
  cs_withdrawal_write_json (withdrawal, w);
  cs_response_take_json (resp, 201, w);
}

static void
withdrawals_list_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *next = NULL;
  guint limit;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_request_limit (req, 20, &limit, &error))
    items = cs_withdrawals_list (&call, cs_request_query (req, "cursor"), limit, &next, &error);
  respond_list (req, resp, items, next, error, (WriteItem) cs_withdrawal_write_json);
}

/* ---- fees ------------------------------------------------------------------------------------ */

static void
respond_fees (CsResponse *resp, const CsFeeSettings *fees)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_fee_settings_write_json (fees, w);
  cs_response_take_json (resp, 200, w);
}

static void
fees_get_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  CsFeeSettings fees;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_fees_get (&call, &fees, &error))
    respond_fees (resp, &fees);
  else
    cs_response_set_error (resp, req, error);
}

static void
fees_put_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  CsFeeSettings fees;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_fees_put (&call, cs_request_json_object (req), &fees, &error))
    respond_fees (resp, &fees);
  else
    cs_response_set_error (resp, req, error);
}

/* ---- sandbox ------------------------------------------------------------------------------------ */

static void
sandbox_tokenize_cb (CsRequest *req, CsResponse *resp)
{
  static const char * const allowed[] = { "card_number", "exp_month", "exp_year", "cvc", NULL };
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *number = NULL;
  g_autofree char *cvc = NULL;
  JsonObject *body = cs_request_json_object (req);
  CsSandboxPaymentMethod pm = { 0 };
  gint64 month = 0, year = 0;
  gboolean ok;
  CsJsonWriter *w;

  if (!require_sandbox (req, resp))
    return;
  cs_json_reject_unknown (body, allowed, v);
  cs_json_read_string (body, "card_number", TRUE, 1, 32, FALSE, v, &number);
  cs_json_read_int (body, "exp_month", TRUE, 1, 12, v, &month);
  cs_json_read_int (body, "exp_year", TRUE, 2000, 2100, v, &year);
  cs_json_read_string (body, "cvc", TRUE, 1, 8, FALSE, v, &cvc);
  ok = cs_validation_finish (v, "The card details are not valid.", &error) &&
       cs_sandbox_tokenize (req->conn, number, (int) month, (int) year, cvc, req->now, &pm, &error);
  if (number != NULL)
    memset (number, 0, strlen (number));
  if (!ok)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", pm.id);
  cs_json_writer_member_string (w, "brand", pm.brand);
  cs_json_writer_member_string (w, "last4", pm.last4);
  cs_json_writer_member_int (w, "exp_month", pm.exp_month);
  cs_json_writer_member_int (w, "exp_year", pm.exp_year);
  cs_json_writer_end_object (w);
  cs_response_take_json (resp, 201, w);
}

/* POST /sandbox/clock {"advance_seconds": N}: like a processor's test
 * clock.  The offset is kept in the database, so a restart keeps the time. */
static void
sandbox_clock_cb (CsRequest *req, CsResponse *resp)
{
  static const char * const allowed[] = { "advance_seconds", NULL };
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *body = cs_request_json_object (req);
  gint64 advance = 0, offset = 0;
  CsJsonWriter *w;

  if (!require_sandbox (req, resp))
    return;
  cs_json_reject_unknown (body, allowed, v);
  cs_json_read_int (body, "advance_seconds", TRUE, 0, G_GINT64_CONSTANT (10) * 366 * 24 * 3600, v, &advance);
  if (!cs_validation_finish (v, "The clock change is not valid.", &error) ||
      !cs_store_setting_get_int (req->conn, SANDBOX_CLOCK_KEY, 0, &offset, &error) ||
      !cs_store_setting_set_int (req->conn, SANDBOX_CLOCK_KEY, offset + advance, &error))
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  __atomic_store_n (&req->ctx->clock_offset, offset + advance, __ATOMIC_RELAXED);
  if (req->ctx->jobs != NULL && !cs_jobs_run_due (req->ctx->jobs, req->conn, &error))
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  wake_jobs (req);
  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_time (w, "now", cs_server_context_now (req->ctx));
  cs_json_writer_member_int (w, "offset_seconds", offset + advance);
  cs_json_writer_end_object (w);
  cs_response_take_json (resp, 200, w);
}

void
cs_routes_money_register (CsRouter *router)
{
  const CsRouteFlags write = CS_ROUTE_AUTH | CS_ROUTE_JSON | CS_ROUTE_OFFLOAD;
  const CsRouteFlags action = CS_ROUTE_AUTH | CS_ROUTE_OFFLOAD;
  const CsRouteFlags webhook = CS_ROUTE_PUBLIC | CS_ROUTE_OFFLOAD;

  cs_router_add (router, CS_HTTP_POST, "/api/v1/campaigns/{campaign_id}/pledges", pledge_create_cb, write);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/campaigns/{campaign_id}/pledges", campaign_pledges_cb,
                 CS_ROUTE_AUTH);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/pledges/{pledge_id}", pledge_get_cb, CS_ROUTE_AUTH);
  cs_router_add (router, CS_HTTP_PATCH, "/api/v1/pledges/{pledge_id}", pledge_patch_cb, write);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/pledges/{pledge_id}/cancel", pledge_cancel_cb, action);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/users/{user_id}/pledges", user_pledges_cb, CS_ROUTE_AUTH);

  cs_router_add (router, CS_HTTP_POST, "/api/v1/webhooks/payments", payments_webhook_cb, webhook);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/webhooks/kyc", kyc_webhook_cb, webhook);

  cs_router_add (router, CS_HTTP_GET, "/api/v1/me/kyc", kyc_get_cb, CS_ROUTE_AUTH);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/me/kyc", kyc_post_cb, write);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/moderation/queue", moderation_queue_cb, CS_ROUTE_STAFF);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/moderation/kyc/{kyc_id}/decision", kyc_decision_cb,
                 CS_ROUTE_STAFF | CS_ROUTE_JSON | CS_ROUTE_OFFLOAD);

  cs_router_add (router, CS_HTTP_GET, "/api/v1/campaigns/{campaign_id}/balance", balance_cb, CS_ROUTE_AUTH);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/campaigns/{campaign_id}/withdrawals", withdrawal_create_cb, write);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/me/withdrawals", withdrawals_list_cb, CS_ROUTE_AUTH);

  cs_router_add (router, CS_HTTP_GET, "/api/v1/admin/settings/fees", fees_get_cb, CS_ROUTE_ADMIN);
  cs_router_add (router, CS_HTTP_PUT, "/api/v1/admin/settings/fees", fees_put_cb,
                 CS_ROUTE_ADMIN | CS_ROUTE_JSON | CS_ROUTE_OFFLOAD);

  cs_router_add (router, CS_HTTP_POST, "/api/v1/sandbox/gateway/payment_methods", sandbox_tokenize_cb,
                 CS_ROUTE_PUBLIC | CS_ROUTE_JSON | CS_ROUTE_OFFLOAD);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/sandbox/clock", sandbox_clock_cb,
                 CS_ROUTE_ADMIN | CS_ROUTE_JSON | CS_ROUTE_OFFLOAD);
}
