/* cs-routes-auth.c: register, login, refresh, logout. */
#include "config.h"

#include "cs-routes.h"
#include "cs-auth-service.h"

static void
respond_auth (CsRequest *req, CsResponse *resp, guint status, CsAuthResult *result)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_key (w, "user");
  cs_user_write_json (result->user, w, TRUE);
  cs_json_writer_member_string (w, "access_token", result->access_token);
  cs_json_writer_member_string (w, "refresh_token", result->refresh_token);
  cs_json_writer_member_string (w, "token_type", "Bearer");
  cs_json_writer_member_int (w, "expires_in", result->expires_in);
  cs_json_writer_end_object (w);
  cs_response_take_json (resp, status, w);
  cs_response_add_header (resp, "Cache-Control", "no-store");
}

typedef gboolean (*AuthFunc) (const CsCall *call, JsonObject *body, CsAuthResult *out, GError **error);

static void
run_auth (CsRequest *req, CsResponse *resp, AuthFunc func, guint status)
{
  g_autoptr(GError) error = NULL;
  CsAuthResult result = { 0 };
  CsCall call;

  cs_call_init (&call, req);
  if (func (&call, cs_request_json_object (req), &result, &error))
    respond_auth (req, resp, status, &result);
  else
    cs_response_set_error (resp, req, error);
  cs_auth_result_clear (&result);
}

static void
register_cb (CsRequest *req, CsResponse *resp)
{
  run_auth (req, resp, cs_auth_register, 201);
}

static void
login_cb (CsRequest *req, CsResponse *resp)
{
  run_auth (req, resp, cs_auth_login, 200);
}

static void
refresh_cb (CsRequest *req, CsResponse *resp)
{
  run_auth (req, resp, cs_auth_refresh, 200);
}

static void
logout_cb (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  CsCall call;

  cs_call_init (&call, req);
  if (cs_auth_logout (&call, &error))
    cs_response_no_content (resp);
  else
    cs_response_set_error (resp, req, error);
}

void
cs_routes_auth_register (CsRouter *router)
{
  /* argon2id costs tens of milliseconds: never on the event loop */
  cs_router_add (router, CS_HTTP_POST, "/api/v1/auth/register", register_cb, CS_ROUTE_JSON | CS_ROUTE_OFFLOAD);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/auth/login", login_cb, CS_ROUTE_JSON | CS_ROUTE_OFFLOAD);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/auth/refresh", refresh_cb, CS_ROUTE_JSON | CS_ROUTE_OFFLOAD);
  cs_router_add (router, CS_HTTP_POST, "/api/v1/auth/logout", logout_cb, CS_ROUTE_AUTH | CS_ROUTE_OFFLOAD);
}
