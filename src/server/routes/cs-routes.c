/* cs-routes.c: the route table and helpers shared by the route files. */
#include "config.h"

#include "cs-routes.h"
#include "cs-campaign-service.h"

void
cs_routes_register (CsRouter *router)
{
  cs_routes_auth_register (router);
  cs_routes_me_register (router);
  cs_routes_campaigns_register (router);
  cs_routes_ops_register (router);
  cs_routes_money_register (router);
}

void
cs_call_init (CsCall *call, const CsRequest *req)
{
  call->conn = req->conn;
  call->config = req->ctx->config;
  call->now = req->now;
  call->user_id = cs_request_user_id (req);
  call->role = req->principal.authenticated ? req->principal.role : CS_ROLE_BACKER;
  call->session_id = req->principal.authenticated ? req->principal.session_id : NULL;
  call->remote_addr = req->remote_addr;
}

void
cs_routes_write_campaign (const CsRequest *req, const CsCampaign *campaign, CsJsonWriter *w, gboolean summary)
{
  CsCall call;
  CsCampaignJsonFlags flags = summary ? CS_CAMPAIGN_JSON_SUMMARY : CS_CAMPAIGN_JSON_FULL;

  cs_call_init (&call, req);
  if (cs_campaign_manageable_by (&call, campaign))
    flags |= CS_CAMPAIGN_JSON_PRIVATE;
  cs_campaign_write_json (campaign, w, flags);
}

void
cs_routes_respond_campaign (CsRequest *req, CsResponse *resp, guint status, CsCampaign *campaign)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_routes_write_campaign (req, campaign, w, FALSE);
  cs_response_take_json (resp, status, w);
  if (status == 200)
    cs_response_apply_etag (resp, req);
}
