/* cs-routes-me.c: the signed-in person's account, dashboard and sync feed. */
#include "config.h"

#include "cs-routes.h"
#include "cs-auth-service.h"
#include "cs-feed-service.h"

static void
respond_user (CsResponse *resp, CsUser *user)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_user_write_json (user, w, TRUE);
  cs_response_take_json (resp, 200, w);
}

static void
me_get_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) user = NULL;
  CsCall call;

  cs_call_init (&call, req);
  user = cs_account_get (&call, &error);
  if (user == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  respond_user (resp, user);
  cs_response_apply_etag (resp, req);
}

static void
me_patch_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) user = NULL;
  CsCall call;

  cs_call_init (&call, req);
  user = cs_account_update (&call, cs_request_json_object (req), &error);
  if (user == NULL)
    cs_response_set_error (resp, req, error);
  else
    respond_user (resp, user);
}

static void
write_totals (CsJsonWriter *w, const char *key, GArray *totals)
{
  cs_json_writer_key (w, key);
  cs_json_writer_begin_array (w);
  for (guint i = 0; i < totals->len; i++)
    {
      CsMoney *m = &g_array_index (totals, CsMoney, i);

      cs_json_writer_begin_object (w);
      cs_json_writer_member_string (w, "currency", m->currency);
      cs_json_writer_member_int (w, "amount", m->amount);
      cs_json_writer_end_object (w);
    }
  cs_json_writer_end_array (w);
}

static void
dashboard_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  CsDashboardView view = { 0 };
  CsJsonWriter *w;
  CsCall call;

  cs_call_init (&call, req);
  if (!cs_dashboard_get (&call, &view, &error))
    {
      cs_response_set_error (resp, req, error);
      cs_dashboard_view_clear (&view);
      return;
    }

  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_key (w, "user");
  cs_user_write_json (view.user, w, TRUE);

  cs_json_writer_key (w, "created");
  cs_json_writer_begin_array (w);
  for (guint i = 0; i < view.data.created->len; i++)
    cs_campaign_write_json (g_ptr_array_index (view.data.created, i), w,
                            CS_CAMPAIGN_JSON_SUMMARY | CS_CAMPAIGN_JSON_PRIVATE);
  cs_json_writer_end_array (w);

  cs_json_writer_key (w, "backed");
  cs_json_writer_begin_array (w);
  for (guint i = 0; i < view.data.backed->len; i++)
    {
      CsBackedItem *b = g_ptr_array_index (view.data.backed, i);

      cs_json_writer_begin_object (w);
      cs_json_writer_key (w, "pledge");
      cs_json_writer_begin_object (w);
      cs_json_writer_member_string (w, "id", b->pledge_id);
      cs_json_writer_member_int (w, "amount", b->amount);
      cs_json_writer_member_string (w, "currency", b->currency);
      cs_json_writer_member_string (w, "status", b->pledge_status);
      cs_json_writer_member_string (w, "reward_tier_id", b->reward_tier_id);
      cs_json_writer_member_string (w, "reward_title", b->reward_title);
      cs_json_writer_member_time (w, "created_at", b->pledged_at);
      cs_json_writer_end_object (w);
      cs_json_writer_key (w, "campaign");
      cs_routes_write_campaign (req, b->campaign, w, TRUE);
      cs_json_writer_end_object (w);
    }
  cs_json_writer_end_array (w);

  cs_json_writer_key (w, "totals");
  cs_json_writer_begin_object (w);
  cs_json_writer_member_int (w, "created_count", view.data.created->len);
  cs_json_writer_member_int (w, "live_count", view.live_count);
  cs_json_writer_member_int (w, "backed_count", view.data.backed->len);
  write_totals (w, "raised", view.raised);
  write_totals (w, "pledged", view.pledged);
  cs_json_writer_end_object (w);

  cs_json_writer_key (w, "attention");
  cs_json_writer_begin_array (w);
  for (guint i = 0; i < view.attention->len; i++)
    {
      CsAttention *a = g_ptr_array_index (view.attention, i);

      cs_json_writer_begin_object (w);
      cs_json_writer_member_string (w, "kind", a->kind);
      cs_json_writer_member_string (w, "campaign_id", a->campaign_id);
      cs_json_writer_member_string (w, "message", a->message);
      cs_json_writer_end_object (w);
    }
  cs_json_writer_end_array (w);
  cs_json_writer_end_object (w);

  cs_response_take_json (resp, 200, w);
  cs_dashboard_view_clear (&view);
}

static void
sync_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  CsSyncPage page = { 0 };
  CsJsonWriter *w;
  guint limit;
  CsCall call;

  if (!cs_request_limit (req, 100, &limit, &error))
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  cs_call_init (&call, req);
  if (!cs_sync_get (&call, cs_request_query (req, "since"), limit, &page, &error))
    {
      cs_response_set_error (resp, req, error);
      cs_sync_page_clear (&page);
      return;
    }

  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_key (w, "campaigns");
  cs_json_writer_begin_array (w);
  for (guint i = 0; i < page.campaigns->len; i++)
    cs_routes_write_campaign (req, g_ptr_array_index (page.campaigns, i), w, FALSE);
  cs_json_writer_end_array (w);
  cs_json_writer_key (w, "tombstones");
  cs_json_writer_begin_array (w);
  for (guint i = 0; i < page.tombstones->len; i++)
    {
      CsTombstone *t = g_ptr_array_index (page.tombstones, i);

      cs_json_writer_begin_object (w);
      cs_json_writer_member_string (w, "type", t->type);
      cs_json_writer_member_string (w, "id", t->id);
      cs_json_writer_member_string (w, "campaign_id", t->campaign_id);
      cs_json_writer_member_time (w, "deleted_at", t->deleted_at);
      cs_json_writer_end_object (w);
    }
  cs_json_writer_end_array (w);
  cs_json_writer_member_string (w, "next_cursor", page.next_cursor);
  cs_json_writer_member_bool (w, "has_more", page.has_more);
  cs_json_writer_end_object (w);
  cs_response_take_json (resp, 200, w);
  cs_sync_page_clear (&page);
}

void
cs_routes_me_register (CsRouter *router)
{
  cs_router_add (router, CS_HTTP_GET, "/api/v1/me", me_get_cb, CS_ROUTE_AUTH);
  cs_router_add (router, CS_HTTP_PATCH, "/api/v1/me", me_patch_cb, CS_ROUTE_AUTH | CS_ROUTE_JSON | CS_ROUTE_OFFLOAD);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/me/dashboard", dashboard_cb, CS_ROUTE_AUTH);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/sync", sync_cb, CS_ROUTE_AUTH_OPTIONAL);
}
