/* test-http-ops.c: health, metrics, the OpenAPI document, and the HTTP
 * layer's own answers (404, 405, 413, request ids). */
#include "config.h"

#include <string.h>

#include "cs-test-server.h"
#include "cs-router.h"

static CsTestServer *ts;

static void
test_healthz (void)
{
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "GET", "/healthz", NULL, NULL);

  g_assert_cmpuint (resp->status, ==, 200);
  g_assert_cmpstr (cs_test_string (resp, "status"), ==, "ok");
  g_assert_cmpstr (cs_test_string (resp, "database"), ==, "ok");
  g_assert_cmpstr (cs_test_string (resp, "version"), ==, PACKAGE_VERSION);
}

static void
test_metrics (void)
{
  g_autoptr(CsTestResponse) a = cs_test_request (ts, "GET", "/healthz", NULL, NULL);
  g_autoptr(CsTestResponse) b = cs_test_request (ts, "GET", "/api/v1/nothing-here", NULL, NULL);
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "GET", "/metrics", NULL, NULL);
  g_autofree char *text = g_strndup (g_bytes_get_data (resp->body, NULL), g_bytes_get_size (resp->body));

  g_assert_cmpuint (resp->status, ==, 200);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (resp->headers, NULL), "text/plain"));
  g_assert_nonnull (strstr (text, "# TYPE crowdspark_http_requests_total counter"));
  g_assert_nonnull (strstr (text, "crowdspark_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"));
  g_assert_nonnull (strstr (text, "crowdspark_http_requests_total{route=\"unmatched\",method=\"any\",status=\"404\"}"));
  g_assert_nonnull (strstr (text, "crowdspark_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"+Inf\"}"));
  g_assert_nonnull (strstr (text, "crowdspark_http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\"}"));
}

/* Every routed path and method is described in the OpenAPI document. */
static void
test_openapi_covers_routes (void)
{
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "GET", "/api/v1/openapi.json", NULL, NULL);
  CsRouter *router = cs_server_get_context (ts->server)->router;
  JsonObject *paths;

  g_assert_cmpuint (resp->status, ==, 200);
  g_assert_true (g_str_has_prefix (cs_test_string (resp, "openapi"), "3.1"));
  paths = json_object_get_object_member (cs_test_object (resp), "paths");
  g_assert_nonnull (paths);

  for (guint i = 0; i < cs_router_n_routes (router); i++)
    {
      const CsRoute *route = cs_router_get (router, i);
      g_autofree char *method = g_ascii_strdown (cs_http_method_to_string (route->method), -1);
      JsonObject *item;

      if (!json_object_has_member (paths, route->pattern))
        g_error ("OpenAPI document lacks the path %s", route->pattern);
      item = json_object_get_object_member (paths, route->pattern);
      if (!json_object_has_member (item, method))
        g_error ("OpenAPI document lacks %s %s", method, route->pattern);
    }
}

static void
test_not_found_and_method (void)
{
  g_autoptr(CsTestResponse) missing = cs_test_request (ts, "GET", "/api/v1/unknown/thing", NULL, NULL);
  g_autoptr(CsTestResponse) slash = cs_test_request (ts, "GET", "/api/v1/campaigns/", NULL, NULL);
  g_autoptr(CsTestResponse) method = cs_test_request (ts, "DELETE", "/api/v1/categories", NULL, NULL);
  g_autoptr(CsTestResponse) no_campaign = cs_test_request (ts, "GET", "/api/v1/campaigns/cmp_doesnotexist", NULL, NULL);
  g_autoptr(CsTestResponse) junk_id = cs_test_request (ts, "GET", "/api/v1/campaigns/%27%20OR%201%3D1", NULL, NULL);

  cs_test_assert_problem (missing, 404, NULL);
  cs_test_assert_problem (slash, 404, NULL);
  cs_test_assert_problem (method, 405, NULL);
  g_assert_cmpstr (soup_message_headers_get_one (method->headers, "Allow"), ==, "GET");
  cs_test_assert_problem (no_campaign, 404, NULL);
  cs_test_assert_problem (junk_id, 404, NULL);
}

static void
test_head (void)
{
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "HEAD", "/healthz", NULL, NULL);

  g_assert_cmpuint (resp->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (resp->body), ==, 0);
}

static void
test_body_too_large (void)
{
  gsize size = 2 * 1024 * 1024;
  g_autofree char *big = g_malloc (size);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(CsTestResponse) resp = NULL;
  g_autoptr(CsTestResponse) after = NULL;

  memset (big, ' ', size);
  big[0] = '{';
  big[size - 1] = '}';
  bytes = g_bytes_new_static (big, size);
  resp = cs_test_request_full (ts, "POST", "/api/v1/auth/login", NULL, "application/json", bytes, NULL);
  g_assert_cmpuint (resp->status, ==, 413);
  /* and the server carries on */
  after = cs_test_request (ts, "GET", "/healthz", NULL, NULL);
  g_assert_cmpuint (after->status, ==, 200);
}

static void
test_request_id (void)
{
  g_autoptr(CsTestResponse) given = cs_test_request_full (ts, "GET", "/healthz", NULL, NULL, NULL,
                                                          "X-Request-Id", "trace-abc-123", NULL);
  g_autoptr(CsTestResponse) made = cs_test_request (ts, "GET", "/api/v1/nowhere", NULL, NULL);
  g_autoptr(CsTestResponse) bad = cs_test_request_full (ts, "GET", "/healthz", NULL, NULL, NULL,
                                                        "X-Request-Id", "evil\"id with spaces", NULL);

  g_assert_cmpstr (soup_message_headers_get_one (given->headers, "X-Request-Id"), ==, "trace-abc-123");
  g_assert_nonnull (soup_message_headers_get_one (made->headers, "X-Request-Id"));
  g_assert_cmpstr (cs_test_string (made, "request_id"), ==, soup_message_headers_get_one (made->headers, "X-Request-Id"));
  g_assert_cmpstr (soup_message_headers_get_one (bad->headers, "X-Request-Id"), !=, "evil\"id with spaces");
}

/* Many requests at once over several connections: all answered, none mixed up. */
typedef struct {
  int pending;
  int ok;
  GMainLoop *loop;
} Burst;

static void
burst_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Burst *burst = data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  if (body != NULL && soup_message_get_status (msg) == 200)
    burst->ok++;
  if (--burst->pending == 0)
    g_main_loop_quit (burst->loop);
}

static void
test_concurrent_requests (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *url = g_strconcat (ts->base, "/api/v1/categories", NULL);
  Burst burst = { 0 };

  g_main_context_push_thread_default (context);
  loop = g_main_loop_new (context, FALSE);
  session = soup_session_new_with_options ("max-conns-per-host", 32, NULL);
  burst.loop = loop;
  burst.pending = 400;
  for (int i = 0; i < 400; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, burst_done_cb, &burst);
    }
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (context);
  g_assert_cmpint (burst.ok, ==, 400);
}

static guint
count_open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Clients that close their keep-alive connection between requests must not
 * leave descriptors behind in the server (libsoup 3.2 would). */
static void
test_closed_connections_are_released (void)
{
  guint before, after = 0;
  gint64 deadline;

  /* warm up: the server's own descriptors (database, pools) are open */
  {
    g_autoptr(CsTestResponse) warm = cs_test_request (ts, "GET", "/healthz", NULL, NULL);
    g_assert_cmpuint (warm->status, ==, 200);
  }
  before = count_open_fds ();

  for (int i = 0; i < 40; i++)
    {
      g_autoptr(SoupSession) session = soup_session_new ();
      g_autofree char *url = g_strconcat (ts->base, "/healthz", NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);

      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
      /* the session, and with it the idle keep-alive connection, goes away here */
    }

  /* Wait (bounded) for the server to notice every hang-up. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      after = count_open_fds ();
      if (after <= before)
        break;
      g_usleep (10 * 1000);
    }
  g_assert_cmpuint (after, <=, before);
}

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  ts = cs_test_server_new (NULL);

  g_test_add_func ("/ops/healthz", test_healthz);
  g_test_add_func ("/ops/metrics", test_metrics);
  g_test_add_func ("/ops/openapi-covers-routes", test_openapi_covers_routes);
  g_test_add_func ("/ops/not-found-and-method", test_not_found_and_method);
  g_test_add_func ("/ops/head", test_head);
  g_test_add_func ("/ops/body-too-large", test_body_too_large);
  g_test_add_func ("/ops/request-id", test_request_id);
  g_test_add_func ("/ops/concurrent-requests", test_concurrent_requests);
  g_test_add_func ("/ops/closed-connections-are-released", test_closed_connections_are_released);

  status = g_test_run ();
  cs_test_server_free (ts);
  return status;
}
