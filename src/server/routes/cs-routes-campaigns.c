/* cs-routes-campaigns.c: campaigns, rewards, updates, images, categories
 * and the moderation decisions on campaigns. */
#include "config.h"

#include "cs-routes.h"
#include "cs-campaign-service.h"
#include "cs-feed-service.h"
#include "cs-media-service.h"
#include "cs-response-cache.h"

#define CAMPAIGN_ID(req) cs_request_param ((req), "campaign_id")

static void
respond_campaign_or_error (CsRequest *req, CsResponse *resp, guint status, CsCampaign *campaign, GError *error)
{
  if (campaign == NULL)
    cs_response_set_error (resp, req, error);
  else
    cs_routes_respond_campaign (req, resp, status, campaign);
}

static void
categories_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) categories = NULL;
  CsJsonWriter *w;
  CsCall call;

  cs_call_init (&call, req);
  categories = cs_categories_list (&call, &error);
  if (categories == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_json_list_begin (w);
  for (guint i = 0; i < categories->len; i++)
    cs_category_write_json (g_ptr_array_index (categories, i), w);
  cs_json_list_end (w, NULL);
  cs_response_take_json (resp, 200, w);
}

static void
list_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  CsCampaignPage page = { 0 };
  CsJsonWriter *w;
  guint limit;
  CsCall call;

  cs_call_init (&call, req);
  if (!cs_request_limit (req, 20, &limit, &error) ||
      !cs_campaigns_list (&call, req->query, limit, &page, &error))
    {
      cs_response_set_error (resp, req, error);
      cs_campaign_page_clear (&page);
      return;
    }
  w = cs_json_writer_new ();
  cs_json_list_begin (w);
  for (guint i = 0; i < page.items->len; i++)
    cs_routes_write_campaign (req, g_ptr_array_index (page.items, i), w, TRUE);
  cs_json_list_end (w, page.next_cursor);
  cs_response_take_json (resp, 200, w);
  cs_campaign_page_clear (&page);
}

static void
create_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCampaign) campaign = NULL;
  CsCall call;

  cs_call_init (&call, req);
  campaign = cs_campaigns_create (&call, cs_request_json_object (req), &error);
  respond_campaign_or_error (req, resp, 201, campaign, error);
  if (campaign != NULL)
    {
      g_autofree char *location = g_strconcat ("/api/v1/campaigns/", campaign->id, NULL);

      cs_response_add_header (resp, "Location", location);
    }
}

/* The hottest route: the public form of a published campaign is served
 * from the loop thread's cache while its change sequence is unchanged (one
 * indexed read), so the campaign, its tiers and its JSON are only rebuilt
 * after a change. */
static void
get_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCampaign) campaign = NULL;
  g_autofree char *etag = NULL;
  const char *id = CAMPAIGN_ID (req);
  gboolean cacheable = FALSE;
  gint64 version = 0;
  CsCall call;

  cs_call_init (&call, req);
  if (req->cache != NULL)
    {
      const char *cached_etag = NULL;
      g_autoptr(GBytes) cached = NULL;

      cacheable = cs_campaigns_public_version (&call, id, &version, &error);
      if (error != NULL)
        {
          cs_response_set_error (resp, req, error);
          return;
        }
      if (cacheable)
        cached = cs_response_cache_lookup (req->cache, id, version, &cached_etag);
      if (cached != NULL)
        {
          cs_response_set_bytes (resp, 200, "application/json", cached);
          cs_response_set_etag (resp, req, cached_etag);
          return;
        }
    }

  campaign = cs_campaigns_get (&call, id, &error);
  if (campaign == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  {
    CsJsonWriter *w = cs_json_writer_new ();

    cs_routes_write_campaign (req, campaign, w, FALSE);
    cs_response_take_json (resp, 200, w);
  }
  etag = cs_etag_for_bytes (resp->body);
  /* The campaign read after the version may be newer than it: stored under
   * the older version it can only cause a miss, never a stale answer. */
  if (cacheable)
    cs_response_cache_store (req->cache, id, version, resp->body, etag);
  cs_response_set_etag (resp, req, etag);
}

static void
patch_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCampaign) campaign = NULL;
  CsCall call;

  cs_call_init (&call, req);
  campaign = cs_campaigns_update (&call, CAMPAIGN_ID (req), cs_request_json_object (req), &error);
  respond_campaign_or_error (req, resp, 200, campaign, error);
}

static void
transition (CsRequest *req, CsResponse *resp, CsCampaignEvent event)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCampaign) campaign = NULL;
  g_autoptr(JsonNode) body = NULL;
  gsize len = 0;
  CsCall call;

  /* The body is optional here (a reason), so it is parsed only when sent. */
  g_bytes_get_data (req->body, &len);
  if (len > 0)
    {
      body = cs_json_parse_object (g_bytes_get_data (req->body, NULL), len, &error);
      if (body == NULL)
        {
          cs_response_set_error (resp, req, error);
          return;
        }
    }
  cs_call_init (&call, req);
  campaign = cs_campaigns_transition (&call, CAMPAIGN_ID (req), event,
                                      body != NULL ? json_node_get_object (body) : NULL, &error);
  respond_campaign_or_error (req, resp, 200, campaign, error);
}

static void
submit_cb (CsRequest *req, CsResponse *resp)
{
  transition (req, resp, CS_CAMPAIGN_EVENT_SUBMIT);
}

static void
cancel_cb (CsRequest *req, CsResponse *resp)
{
  transition (req, resp, CS_CAMPAIGN_EVENT_CANCEL);
}

static void
approve_cb (CsRequest *req, CsResponse *resp)
{
  transition (req, resp, CS_CAMPAIGN_EVENT_APPROVE);
}

static void
reject_cb (CsRequest *req, CsResponse *resp)
{
  transition (req, resp, CS_CAMPAIGN_EVENT_REJECT);
}

static void
suspend_cb (CsRequest *req, CsResponse *resp)
{
  transition (req, resp, CS_CAMPAIGN_EVENT_SUSPEND);
}

static void
image_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCampaign) campaign = NULL;
  g_autofree char *key = NULL;
  g_autofree char *url = NULL;
  CsCall call;

  cs_call_init (&call, req);
  /* Check ownership first, so a refused upload stores nothing. */
  campaign = cs_campaigns_get_owned (&call, CAMPAIGN_ID (req), &error);
  if (campaign == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  g_clear_pointer (&campaign, cs_campaign_free);

  key = cs_media_store (call.config, req->content_type, req->body, &error);
  if (key == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  url = g_strconcat ("/media/", key, NULL);
  campaign = cs_campaigns_set_image (&call, CAMPAIGN_ID (req), url, &error);
  respond_campaign_or_error (req, resp, 200, campaign, error);
}

static void
write_tier_response (CsResponse *resp, guint status, CsRewardTier *tier)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_reward_tier_write_json (tier, w);
  cs_response_take_json (resp, status, w);
}

static void
rewards_list_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tiers = NULL;
  CsJsonWriter *w;
  CsCall call;

  cs_call_init (&call, req);
  tiers = cs_tiers_list (&call, CAMPAIGN_ID (req), &error);
  if (tiers == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_json_list_begin (w);
  for (guint i = 0; i < tiers->len; i++)
    cs_reward_tier_write_json (g_ptr_array_index (tiers, i), w);
  cs_json_list_end (w, NULL);
  cs_response_take_json (resp, 200, w);
}

static void
rewards_create_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsRewardTier) tier = NULL;
  CsCall call;

  cs_call_init (&call, req);
  tier = cs_tiers_create (&call, CAMPAIGN_ID (req), cs_request_json_object (req), &error);
  if (tier == NULL)
    cs_response_set_error (resp, req, error);
  else
    write_tier_response (resp, 201, tier);
}

static void
rewards_patch_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsRewardTier) tier = NULL;
  CsCall call;

  cs_call_init (&call, req);
  tier = cs_tiers_update (&call, CAMPAIGN_ID (req), cs_request_param (req, "tier_id"),
                          cs_request_json_object (req), &error);
  if (tier == NULL)
    cs_response_set_error (resp, req, error);
  else
    write_tier_response (resp, 200, tier);
}

static void
rewards_delete_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_tiers_delete (&call, CAMPAIGN_ID (req), cs_request_param (req, "tier_id"), &error))
    cs_response_no_content (resp);
  else
    cs_response_set_error (resp, req, error);
}

static void
updates_list_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) updates = NULL;
  g_autofree char *next = NULL;
  gboolean can_read = FALSE;
  CsJsonWriter *w;
  guint limit;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_request_limit (req, 20, &limit, &error))
    updates = cs_updates_list (&call, CAMPAIGN_ID (req), cs_request_query (req, "cursor"), limit,
                               &next, &can_read, &error);
  if (updates == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_json_list_begin (w);
  for (guint i = 0; i < updates->len; i++)
    {
      CsUpdate *u = g_ptr_array_index (updates, i);

      cs_update_write_json (u, w, u->visibility == CS_UPDATE_PUBLIC || can_read);
    }
  cs_json_list_end (w, next);
  cs_response_take_json (resp, 200, w);
}

static void
updates_post_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUpdate) update = NULL;
  CsJsonWriter *w;
  CsCall call;

  cs_call_init (&call, req);
  update = cs_updates_post (&call, CAMPAIGN_ID (req), cs_request_json_object (req), &error);
  if (update == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_update_write_json (update, w, TRUE);
  cs_response_take_json (resp, 201, w);
}

void
cs_routes_campaigns_register (CsRouter *router)
{
  const CsRouteFlags write = CS_ROUTE_AUTH | CS_ROUTE_JSON | CS_ROUTE_OFFLOAD;
  const CsRouteFlags action = CS_ROUTE_AUTH | CS_ROUTE_OFFLOAD;
  const CsRouteFlags staff = CS_ROUTE_STAFF | CS_ROUTE_OFFLOAD;

  cs_router_add (router, CS_HTTP_GET, "/api/v1/categories", categories_cb, CS_ROUTE_PUBLIC);
  /* a ranked full-text search can take milliseconds: not on the event loop */
  cs_router_add (router, CS_HTTP_GET, "/api/v1/campaigns", list_cb, CS_ROUTE_AUTH_OPTIONAL | CS_ROUTE_OFFLOAD_SEARCH);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/campaigns", create_cb, write);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/campaigns/{campaign_id}", get_cb, CS_ROUTE_AUTH_OPTIONAL);
  cs_router_add (router, CS_HTTP_PATCH, "/api/v1/campaigns/{campaign_id}", patch_cb, write);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/campaigns/{campaign_id}/submit", submit_cb, action);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/campaigns/{campaign_id}/cancel", cancel_cb, action);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/campaigns/{campaign_id}/image", image_cb,
                 action | CS_ROUTE_LARGE_BODY);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/campaigns/{campaign_id}/rewards", rewards_list_cb,
                 CS_ROUTE_AUTH_OPTIONAL);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/campaigns/{campaign_id}/rewards", rewards_create_cb, write);
  cs_router_add (router, CS_HTTP_PATCH, "/api/v1/campaigns/{campaign_id}/rewards/{tier_id}", rewards_patch_cb, write);
  cs_router_add (router, CS_HTTP_DELETE, "/api/v1/campaigns/{campaign_id}/rewards/{tier_id}", rewards_delete_cb,
                 action);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/campaigns/{campaign_id}/updates", updates_list_cb,
                 CS_ROUTE_AUTH_OPTIONAL);
  cs_router_add (router, CS_HTTP_PUT, "/api/v1/campaigns/{campaign_id}/updates", updates_post_cb, write);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/admin/campaigns/{campaign_id}/approve", approve_cb, staff);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/admin/campaigns/{campaign_id}/reject", reject_cb, staff);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/admin/campaigns/{campaign_id}/suspend", suspend_cb, staff);
}
