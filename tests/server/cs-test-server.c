/* cs-test-server.c: see cs-test-server.h */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cs-test-server.h"
#include "cs-auth-service.h"
#include "cs-test-db.h"

void
cs_test_init (int *argc, char ***argv)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (argc, argv, NULL);
}

static CsTestServer *
server_new (CsTestServer *first, void (*tweak) (CsServerConfig *config))
{
  CsTestServer *ts = g_new0 (CsTestServer, 1);
  g_autoptr(GError) error = NULL;

  ts->config = cs_server_config_new ();
  g_free (ts->config->database_url);
  g_free (ts->config->media_dir);
  if (first == NULL)
    {
      ts->dir = g_dir_make_tmp ("crowdspark-test-XXXXXX", &error);
      g_assert_no_error (error);
      ts->config->database_url = cs_test_db_url (ts->dir, "test.db");
      ts->config->media_dir = g_build_filename (ts->dir, "media", NULL);
    }
  else
    {
      /* another instance of the same platform: the database and the
       * media folder (a shared volume in production) are the first's */
      ts->shares_database = TRUE;
      ts->config->database_url = g_strdup (first->config->database_url);
      ts->config->media_dir = g_strdup (first->config->media_dir);
    }
  cs_server_config_set_listen (ts->config, "127.0.0.1:0", NULL);
  ts->config->threads = 2;
  ts->config->workers = 4;
  ts->config->access_log = FALSE;
  ts->config->password_cost = CS_PASSWORD_COST_MINIMUM;
  ts->config->sandbox = TRUE;
  ts->config->webhook_secret = g_strdup (CS_TEST_WEBHOOK_SECRET);
  if (tweak != NULL)
    tweak (ts->config);

  ts->server = cs_server_new (ts->config, &error);
  g_assert_no_error (error);
  cs_server_start (ts->server, &error);
  g_assert_no_error (error);
  ts->base = g_strdup (cs_server_get_url (ts->server));
  ts->session = soup_session_new_with_options ("max-conns-per-host", 16, "timeout", 30, NULL);
  return ts;
}

CsTestServer *
cs_test_server_new (void (*tweak) (CsServerConfig *config))
{
  return server_new (NULL, tweak);
}

CsTestServer *
cs_test_server_new_sharing (CsTestServer *first, void (*tweak) (CsServerConfig *config))
{
  g_return_val_if_fail (first != NULL && !first->shares_database, NULL);
  return server_new (first, tweak);
}

static gboolean
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR))
          remove_tree (child);
        else
          g_unlink (child);
      }
  return g_rmdir (path) == 0;
}

void
cs_test_server_free (CsTestServer *ts)
{
  if (ts == NULL)
    return;
  g_clear_object (&ts->session);
  cs_server_free (ts->server);
  if (!ts->shares_database)
    {
      cs_test_db_drop (ts->config->database_url);
      remove_tree (ts->dir);
    }
  cs_server_config_free (ts->config);
  g_free (ts->dir);
  g_free (ts->base);
  g_free (ts);
}

static CsTestResponse *
send_message (CsTestServer *ts, SoupMessage *msg)
{
  g_autoptr(GError) error = NULL;
  CsTestResponse *resp = g_new0 (CsTestResponse, 1);
  const char *ctype;

  resp->body = soup_session_send_and_read (ts->session, msg, NULL, &error);
  g_assert_no_error (error);
  resp->status = soup_message_get_status (msg);
  resp->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  ctype = soup_message_headers_get_content_type (resp->headers, NULL);
  if (ctype != NULL && (g_str_equal (ctype, "application/json") || g_str_equal (ctype, "application/problem+json")) &&
      g_bytes_get_size (resp->body) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      json_parser_load_from_data (parser, g_bytes_get_data (resp->body, NULL), g_bytes_get_size (resp->body), &error);
      g_assert_no_error (error);
      resp->json = json_node_ref (json_parser_get_root (parser));
    }
  return resp;
}

static SoupMessage *
new_message (CsTestServer *ts, const char *method, const char *path, const char *token)
{
  g_autofree char *url = g_strconcat (ts->base, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  return msg;
}

CsTestResponse *
cs_test_request (CsTestServer *ts, const char *method, const char *path, const char *token, const char *json_body)
{
  g_autoptr(SoupMessage) msg = new_message (ts, method, path, token);

  if (json_body != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }
  return send_message (ts, msg);
}

CsTestResponse *
cs_test_request_full (CsTestServer *ts, const char *method, const char *path, const char *token,
                      const char *content_type, GBytes *body, ...)
{
  g_autoptr(SoupMessage) msg = new_message (ts, method, path, token);
  va_list args;
  const char *name;

  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);
  va_start (args, body);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      soup_message_headers_replace (soup_message_get_request_headers (msg), name, value);
    }
  va_end (args);
  return send_message (ts, msg);
}

void
cs_test_response_free (CsTestResponse *resp)
{
  if (resp == NULL)
    return;
  g_clear_pointer (&resp->body, g_bytes_unref);
  g_clear_pointer (&resp->json, json_node_unref);
  g_clear_pointer (&resp->headers, soup_message_headers_unref);
  g_free (resp);
}

JsonObject *
cs_test_object (CsTestResponse *resp)
{
  g_assert_nonnull (resp->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (resp->json));
  return json_node_get_object (resp->json);
}

const char *
cs_test_string (CsTestResponse *resp, const char *member)
{
  JsonObject *obj = cs_test_object (resp);

  g_assert_true (json_object_has_member (obj, member));
  return json_object_get_string_member (obj, member);
}

gint64
cs_test_int (CsTestResponse *resp, const char *member)
{
  JsonObject *obj = cs_test_object (resp);

  g_assert_true (json_object_has_member (obj, member));
  return json_object_get_int_member (obj, member);
}

void
cs_test_assert_problem (CsTestResponse *resp, guint status, const char *field)
{
  JsonObject *obj;

  if (resp->status != status)
    g_error ("expected status %u, got %u: %.*s", status, resp->status,
             (int) g_bytes_get_size (resp->body), (const char *) g_bytes_get_data (resp->body, NULL));
  g_assert_cmpstr (soup_message_headers_get_content_type (resp->headers, NULL), ==, "application/problem+json");
  obj = cs_test_object (resp);
  g_assert_cmpint (json_object_get_int_member (obj, "status"), ==, status);
  g_assert_nonnull (json_object_get_string_member (obj, "title"));
  g_assert_nonnull (json_object_get_string_member (obj, "type"));
  g_assert_nonnull (json_object_get_string_member (obj, "detail"));
  if (field != NULL)
    {
      JsonObject *errors = json_object_get_object_member (obj, "errors");

      g_assert_nonnull (errors);
      if (!json_object_has_member (errors, field))
        g_error ("expected a field error for %s in %.*s", field,
                 (int) g_bytes_get_size (resp->body), (const char *) g_bytes_get_data (resp->body, NULL));
    }
}

char *
cs_test_register (CsTestServer *ts, const char *username, char **user_id)
{
  g_autofree char *body = g_strdup_printf ("{\"email\": \"%s@example.org\", \"username\": \"%s\", "
                                           "\"password\": \"correct horse battery\"}", username, username);
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL, body);

  if (resp->status != 201)
    g_error ("register %s: %u %.*s", username, resp->status,
             (int) g_bytes_get_size (resp->body), (const char *) g_bytes_get_data (resp->body, NULL));
  if (user_id != NULL)
    *user_id = g_strdup (json_object_get_string_member (json_object_get_object_member (cs_test_object (resp), "user"), "id"));
  return g_strdup (cs_test_string (resp, "access_token"));
}

char *
cs_test_staff_token (CsTestServer *ts, const char *username, CsRole role)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStore) store = cs_store_open (ts->config->database_url, &error);
  g_autoptr(CsStoreConn) conn = NULL;
  g_autoptr(CsUser) user = NULL;
  g_autofree char *email = g_strconcat (username, "@staff.example.org", NULL);
  g_autofree char *body = NULL;
  g_autoptr(CsTestResponse) resp = NULL;

  g_assert_no_error (error);
  conn = cs_store_connect (store, &error);
  g_assert_no_error (error);
  user = cs_account_create_with_role (conn, ts->config, email, username, "staff password 123", role,
                                      g_get_real_time () / G_USEC_PER_SEC, &error);
  g_assert_no_error (error);

  body = g_strdup_printf ("{\"email\": \"%s\", \"password\": \"staff password 123\"}", email);
  resp = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL, body);
  g_assert_cmpuint (resp->status, ==, 200);
  return g_strdup (cs_test_string (resp, "access_token"));
}

char *
cs_test_create_campaign (CsTestServer *ts, const char *token, const char *title, const char *category)
{
  g_autofree char *body = g_strdup_printf (
    "{\"title\": \"%s\", \"description\": \"A story about %s.\", \"category\": \"%s\", "
    "\"goal_amount\": 500000, \"currency\": \"USD\", \"duration_days\": 30, "
    "\"rewards\": [{\"title\": \"Early bird\", \"description\": \"First edition\", \"minimum_pledge\": 2500, "
    "\"quantity_available\": 100, \"estimated_delivery_date\": \"2027-06-01\"}]}",
    title, title, category);
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "POST", "/api/v1/campaigns", token, body);

  if (resp->status != 201)
    g_error ("create campaign: %u %.*s", resp->status,
             (int) g_bytes_get_size (resp->body), (const char *) g_bytes_get_data (resp->body, NULL));
  return g_strdup (cs_test_string (resp, "id"));
}

void
cs_test_make_live (CsTestServer *ts, const char *campaign_id, const char *creator_token, const char *moderator_token)
{
  g_autofree char *submit = g_strconcat ("/api/v1/campaigns/", campaign_id, "/submit", NULL);
  g_autofree char *approve = g_strconcat ("/api/v1/admin/campaigns/", campaign_id, "/approve", NULL);
  g_autoptr(CsTestResponse) r1 = NULL;
  g_autoptr(CsTestResponse) r2 = NULL;

  /* only identity-verified creators may submit */
  cs_test_verify_identity (ts, creator_token);
  r1 = cs_test_request (ts, "POST", submit, creator_token, NULL);
  g_assert_cmpuint (r1->status, ==, 200);
  r2 = cs_test_request (ts, "POST", approve, moderator_token, NULL);
  g_assert_cmpuint (r2->status, ==, 200);
  g_assert_cmpstr (cs_test_string (r2, "status"), ==, "live");
}

char *
cs_test_live_campaign (CsTestServer *ts, const char *creator_token, const char *moderator_token,
                       const char *title, gint64 goal, int days, int quantity, char **tier_id)
{
  g_autofree char *qty = quantity > 0 ? g_strdup_printf ("%d", quantity) : g_strdup ("null");
  g_autofree char *body = g_strdup_printf (
    "{\"title\": \"%s\", \"description\": \"A campaign of the test suite.\", \"category\": \"games\", "
    "\"goal_amount\": %" G_GINT64_FORMAT ", \"currency\": \"USD\", \"duration_days\": %d, "
    "\"rewards\": [{\"title\": \"Limited\", \"minimum_pledge\": 1000, \"quantity_available\": %s}]}",
    title, goal, days, qty);
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "POST", "/api/v1/campaigns", creator_token, body);
  char *id;

  g_assert_cmpuint (resp->status, ==, 201);
  id = g_strdup (cs_test_string (resp, "id"));
  if (tier_id != NULL)
    *tier_id = g_strdup (json_object_get_string_member (
      json_array_get_object_element (json_object_get_array_member (cs_test_object (resp), "rewards"), 0), "id"));
  cs_test_make_live (ts, id, creator_token, moderator_token);
  return id;
}


/* ---- the money path -------------------------------------------------------- */

gboolean
cs_test_wait_for (CsTestServer *ts, CsTestCondition condition, gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  gulong pause = 2000;

  /* The server's job thread works asynchronously (gateway, webhooks); we
   * observe its effect through the API until it shows, with a deadline. */
  while (!condition (ts, data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      /* what this thread has in flight (a WebSocket) makes progress too */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (condition (ts, data))
        break;
      g_usleep (pause);
      pause = MIN (pause * 2, 50000);
    }
  return TRUE;
}

typedef struct {
  const char *token;
  const char *path;
  const char *member;
  const char *value;
  char       *last;
} FieldWait;

static gboolean
field_equals (CsTestServer *ts, gpointer data)
{
  FieldWait *fw = data;
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "GET", fw->path, fw->token, NULL);

  if (resp->status != 200)
    g_error ("GET %s: %u", fw->path, resp->status);
  g_free (fw->last);
  fw->last = g_strdup (cs_test_string (resp, fw->member));
  return g_strcmp0 (fw->last, fw->value) == 0;
}

void
cs_test_wait_field (CsTestServer *ts, const char *token, const char *path, const char *member,
                    const char *value)
{
  FieldWait fw = { token, path, member, value, NULL };

  if (!cs_test_wait_for (ts, field_equals, &fw))
    g_error ("GET %s: %s stayed “%s”, expected “%s”", path, member, fw.last, value);
  g_free (fw.last);
}

void
cs_test_verify_identity (CsTestServer *ts, const char *token)
{
  g_autoptr(CsTestResponse) state = cs_test_request (ts, "GET", "/api/v1/me/kyc", token, NULL);
  g_autoptr(CsTestResponse) resp = NULL;

  g_assert_cmpuint (state->status, ==, 200);
  if (g_strcmp0 (cs_test_string (state, "status"), "verified") == 0)
    return;
  resp = cs_test_request (ts, "POST", "/api/v1/me/kyc", token,
                          "{\"full_name\": \"Test Creator\", \"country\": \"NL\", "
                          "\"document_type\": \"passport\", \"document_number\": \"NX1234567\"}");
  if (resp->status != 202)
    g_error ("POST /me/kyc: %u %.*s", resp->status,
             (int) g_bytes_get_size (resp->body), (const char *) g_bytes_get_data (resp->body, NULL));
  cs_test_wait_field (ts, token, "/api/v1/me/kyc", "status", "verified");
}

char *
cs_test_card (CsTestServer *ts, const char *number)
{
  g_autofree char *body = g_strdup_printf ("{\"card_number\": \"%s\", \"exp_month\": 12, "
                                           "\"exp_year\": 2099, \"cvc\": \"123\"}", number);
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "POST", "/api/v1/sandbox/gateway/payment_methods",
                                                    NULL, body);

  if (resp->status != 201)
    g_error ("tokenise: %u %.*s", resp->status,
             (int) g_bytes_get_size (resp->body), (const char *) g_bytes_get_data (resp->body, NULL));
  return g_strdup (cs_test_string (resp, "id"));
}

CsTestResponse *
cs_test_pledge (CsTestServer *ts, const char *token, const char *campaign_id, gint64 amount,
                const char *tier_id, const char *payment_method, const char *idempotency_key)
{
  g_autofree char *path = g_strconcat ("/api/v1/campaigns/", campaign_id, "/pledges", NULL);
  g_autofree char *tier = tier_id != NULL ? g_strdup_printf (", \"reward_tier_id\": \"%s\"", tier_id)
                                          : g_strdup ("");
  g_autofree char *body = g_strdup_printf ("{\"amount\": %" G_GINT64_FORMAT "%s, \"payment_method\": \"%s\"}",
                                           amount, tier, payment_method);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autofree char *key = idempotency_key != NULL ? g_strdup (idempotency_key) : g_uuid_string_random ();

  return cs_test_request_full (ts, "POST", path, token, "application/json", bytes,
                               "Idempotency-Key", key, NULL);
}

void
cs_test_advance_clock (CsTestServer *ts, const char *admin_token, gint64 seconds)
{
  g_autofree char *body = g_strdup_printf ("{\"advance_seconds\": %" G_GINT64_FORMAT "}", seconds);
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "POST", "/api/v1/sandbox/clock", admin_token, body);

  if (resp->status != 200)
    g_error ("clock: %u %.*s", resp->status,
             (int) g_bytes_get_size (resp->body), (const char *) g_bytes_get_data (resp->body, NULL));
}

static gboolean
jobs_idle (CsTestServer *ts, gpointer data)
{
  CsStoreConn *conn = data;
  g_autoptr(GError) error = NULL;
  gint64 jobs = -1, messages = -1;

  if (!cs_store_payment_jobs_count (conn, &jobs, &error) || !cs_store_outbox_count (conn, &messages, &error))
    g_error ("counting queued work: %s", error->message);
  return jobs == 0 && messages == 0;
}

void
cs_test_assert_books (CsTestServer *ts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStore) store = cs_store_open (ts->config->database_url, &error);
  g_autoptr(CsStoreConn) conn = NULL;
  g_autoptr(GPtrArray) violations = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  conn = cs_store_connect (store, &error);
  g_assert_no_error (error);
  /* settle first: no gateway call or webhook still on its way */
  if (!cs_test_wait_for (ts, jobs_idle, conn))
    g_error ("payment jobs or webhooks still queued after 30 s");
  g_assert_true (cs_store_check_books (conn, violations, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < violations->len; i++)
    g_printerr ("books: %s\n", (const char *) g_ptr_array_index (violations, i));
  g_assert_cmpuint (violations->len, ==, 0);
}
