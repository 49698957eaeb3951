/* cs-routes-ops.c: health, metrics, the OpenAPI document, media and the
 * audit trail. */
#include "config.h"

#include "cs-routes.h"
#include "cs-feed-service.h"
#include "cs-media-service.h"
#include "cs-server-resources.h"

static void
healthz_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = cs_store_ping (req->conn, &error);
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "status", ok ? "ok" : "degraded");
  cs_json_writer_member_string (w, "database", ok ? "ok" : "unreachable");
  cs_json_writer_member_string (w, "version", PACKAGE_VERSION);
  cs_json_writer_end_object (w);
  cs_response_take_json (resp, ok ? 200 : 503, w);
  cs_response_add_header (resp, "Cache-Control", "no-store");
}

static void
metrics_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GBytes) body = cs_metrics_render (req->ctx->metrics);

  cs_response_set_bytes (resp, 200, "text/plain; version=0.0.4; charset=utf-8", body);
}

static void
openapi_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) doc = g_resource_lookup_data (cs_server_get_resource (),
                                                  "/io/github/crowdspark/server/openapi.json",
                                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);

  if (doc == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  cs_response_set_bytes (resp, 200, "application/json", doc);
  cs_response_apply_etag (resp, req);
}

static void
media_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  const char *content_type = NULL;
  const char *key = cs_request_param (req, "key");
  g_autoptr(GBytes) bytes = cs_media_load (req->ctx->config, key, &content_type, &error);
  g_autofree char *etag = NULL;

  if (bytes == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  cs_response_set_bytes (resp, 200, content_type, bytes);
  cs_response_add_header (resp, "Cache-Control", "public, max-age=31536000, immutable");
  /* content-addressed: the key is the hash */
  etag = g_strdup_printf ("\"%s\"", key);
  cs_response_set_etag (resp, req, etag);
}

static void
audit_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *next = NULL;
  CsJsonWriter *w;
  guint limit;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_request_limit (req, 50, &limit, &error))
    entries = cs_audit_list (&call, cs_request_query (req, "cursor"), limit, &next, &error);
  if (entries == NULL)
    {
      cs_response_set_error (resp, req, error);
      return;
    }
  w = cs_json_writer_new ();
  cs_json_list_begin (w);
  for (guint i = 0; i < entries->len; i++)
    {
      CsAuditEntry *e = g_ptr_array_index (entries, i);

      cs_json_writer_begin_object (w);
      cs_json_writer_member_string (w, "id", e->id);
      cs_json_writer_member_string (w, "actor_id", e->actor_id);
      cs_json_writer_member_string (w, "action", e->action);
      cs_json_writer_member_string (w, "subject_type", e->subject_type);
      cs_json_writer_member_string (w, "subject_id", e->subject_id);
      cs_json_writer_member_string (w, "reason", e->reason);
      cs_json_writer_member_string (w, "detail", e->detail);
      cs_json_writer_member_time (w, "created_at", e->created_at);
      cs_json_writer_end_object (w);
    }
  cs_json_list_end (w, next);
  cs_response_take_json (resp, 200, w);
}

void
cs_routes_ops_register (CsRouter *router)
{
  cs_router_add (router, CS_HTTP_GET, "/healthz", healthz_cb, CS_ROUTE_PUBLIC);
  cs_router_add (router, CS_HTTP_GET, "/metrics", metrics_cb, CS_ROUTE_PUBLIC);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/openapi.json", openapi_cb, CS_ROUTE_PUBLIC);
  cs_router_add (router, CS_HTTP_GET, "/media/{key}", media_cb, CS_ROUTE_OFFLOAD);
  cs_router_add (router, CS_HTTP_GET, "/api/v1/admin/audit", audit_cb, CS_ROUTE_STAFF);
}
