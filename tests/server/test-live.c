/* test-live.c: GET /api/v1/live on a real server, with libsoup WebSocket
 * clients (and one raw TCP client that stops reading).  Every wait runs the
 * test's main loop until an event arrives or a deadline passes. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#include "cs-test-server.h"
#include "cs-test-db.h"
#include "cs-live.h"

#define WAIT_SECONDS 15

/* ---- waiting ------------------------------------------------------------------ */

typedef gboolean (*Condition) (gpointer data);

static gboolean
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the default context until @cond holds; fails after WAIT_SECONDS.
 * A 10 ms tick lets conditions that change on the server's threads be seen. */
static void
wait_until (Condition cond, gpointer data, const char *what)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add_seconds (WAIT_SECONDS, flag_cb, &expired);
  guint tick = g_timeout_add (10, tick_cb, NULL);

  while (!cond (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (expired)
    g_error ("timed out waiting for %s", what);
  g_source_remove (deadline);
}

/* ---- a libsoup WebSocket client ------------------------------------------------ */

typedef struct {
  SoupWebsocketConnection *conn;
  GPtrArray               *frames;    /* JsonNode* */
  guint                    next;      /* first frame not yet looked at */
  gboolean                 closed;
  /* while connecting */
  gboolean                 done;
  GError                  *error;
} Client;

static void
client_message_cb (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
  Client *c = data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  json_parser_load_from_data (parser, g_bytes_get_data (message, NULL), g_bytes_get_size (message), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  g_ptr_array_add (c->frames, json_node_ref (json_parser_get_root (parser)));
}

static void
client_closed_cb (SoupWebsocketConnection *conn, gpointer data)
{
  ((Client *) data)->closed = TRUE;
}

static void
client_connected_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Client *c = data;

  c->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &c->error);
  c->done = TRUE;
}

static gboolean
client_done (gpointer data)
{
  return ((Client *) data)->done;
}

static void
client_free (Client *c)
{
  if (c == NULL)
    return;
  if (c->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (c->conn, c);
      if (soup_websocket_connection_get_state (c->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (c->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (c->conn);
    }
  g_ptr_array_unref (c->frames);
  g_clear_error (&c->error);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

/* Connects to /api/v1/live@query with an optional bearer @token.  On a
 * refused handshake returns the client with ->error set and *status. */
static Client *
client_connect (CsTestServer *ts, const char *token, const char *query, guint *status)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/api/v1/live%s", cs_server_get_port (ts->server),
                                          query != NULL ? query : "");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  Client *c = g_new0 (Client, 1);

  c->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_session_websocket_connect_async (ts->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        client_connected_cb, c);
  wait_until (client_done, c, "the WebSocket handshake");
  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (c->conn != NULL)
    {
      g_signal_connect (c->conn, "message", G_CALLBACK (client_message_cb), c);
      g_signal_connect (c->conn, "closed", G_CALLBACK (client_closed_cb), c);
    }
  else
    {
      /* Refused: the problem's type is in the response headers. */
      const char *ctype = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);

      g_assert_cmpstr (ctype, ==, "application/problem+json");
    }
  return c;
}

static Client *
client_open (CsTestServer *ts, const char *token)
{
  Client *c = client_connect (ts, token, NULL, NULL);

  g_assert_no_error (c->error);
  g_assert_nonnull (c->conn);
  return c;
}

static gboolean
client_has_frame (gpointer data)
{
  Client *c = data;

  return c->next < c->frames->len;
}

/* The next frame from the server (waits for it). */
static JsonObject *
client_next (Client *c)
{
  wait_until (client_has_frame, c, "a frame from the server");
  return json_node_get_object (g_ptr_array_index (c->frames, c->next++));
}

static void
client_send (Client *c, const char *text)
{
  soup_websocket_connection_send_text (c->conn, text);
}

static void
assert_ids (JsonObject *frame, const char *type, const char *first_id, guint n)
{
  JsonArray *ids;

  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, type);
  ids = json_object_get_array_member (frame, "campaign_ids");
  g_assert_nonnull (ids);
  g_assert_cmpuint (json_array_get_length (ids), ==, n);
  g_assert_cmpstr (json_array_get_string_element (ids, 0), ==, first_id);
}

static void
client_subscribe (Client *c, const char *campaign_id)
{
  g_autofree char *text = g_strdup_printf ("{\"type\": \"subscribe\", \"campaign_ids\": [\"%s\"]}", campaign_id);

  client_send (c, text);
  assert_ids (client_next (c), "subscribed", campaign_id, 1);
}

static CsLive *
hub (CsTestServer *ts)
{
  return cs_server_get_context (ts->server)->live;
}

static void
progress (CsCampaignProgress *p, const char *campaign_id, gint64 amount, gint64 backers)
{
  memset (p, 0, sizeof *p);
  g_strlcpy (p->campaign_id, campaign_id, sizeof p->campaign_id);
  p->current_amount = amount;
  p->backer_count = backers;
  p->goal_amount = 500000;
  g_strlcpy (p->currency, "EUR", sizeof p->currency);
  p->status = CS_CAMPAIGN_LIVE;
}

static void
publish (CsTestServer *ts, const char *campaign_id, gint64 amount, gint64 backers)
{
  CsCampaignProgress p;

  progress (&p, campaign_id, amount, backers);
  cs_live_publish_progress (hub (ts), &p);
}

typedef struct {
  CsTestServer *ts;
  guint         n;
} ConnectionCount;

static gboolean
connections_are (gpointer data)
{
  ConnectionCount *cc = data;

  return cs_live_n_connections (hub (cc->ts)) == cc->n;
}

static void
wait_connections (CsTestServer *ts, guint n)
{
  ConnectionCount cc = { ts, n };

  wait_until (connections_are, &cc, "the server's count of live connections");
}

/* ---- tests ------------------------------------------------------------------------ */

typedef struct {
  CsTestServer *ts;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->ts = cs_test_server_new (NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  cs_test_server_free (f->ts);
}

static void
test_progress_reaches_subscribers (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) a = client_open (ts, NULL);
  g_autoptr(Client) b = client_open (ts, NULL);
  JsonObject *frame;

  wait_connections (ts, 2);
  client_subscribe (a, "cmp_alpha");
  client_subscribe (b, "cmp_beta");

  publish (ts, "cmp_alpha", 12345, 7);
  frame = client_next (a);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "campaign.progress");
  g_assert_cmpstr (json_object_get_string_member (frame, "campaign_id"), ==, "cmp_alpha");
  g_assert_cmpint (json_object_get_int_member (frame, "current_amount"), ==, 12345);
  g_assert_cmpint (json_object_get_int_member (frame, "backer_count"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (frame, "goal_amount"), ==, 500000);
  g_assert_cmpstr (json_object_get_string_member (frame, "currency"), ==, "EUR");
  g_assert_cmpstr (json_object_get_string_member (frame, "status"), ==, "live");
  /* Money is an integer, never a float. */
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (frame, "current_amount")), ==, G_TYPE_INT64);

  /* b follows another campaign: its next frame is its own, not alpha's. */
  publish (ts, "cmp_beta", 99, 1);
  frame = client_next (b);
  g_assert_cmpstr (json_object_get_string_member (frame, "campaign_id"), ==, "cmp_beta");
  g_assert_cmpint (json_object_get_int_member (frame, "current_amount"), ==, 99);
  g_assert_cmpuint (a->next, ==, a->frames->len);

  /* Custom events reach the campaign's subscribers too. */
  cs_live_publish_json (hub (ts), "cmp_beta", NULL, "{\"type\": \"update.posted\", \"campaign_id\": \"cmp_beta\"}");
  frame = client_next (b);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "update.posted");
}

static void
test_coalescing (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) c = client_open (ts, NULL);
  guint n_progress = 0;
  JsonObject *frame;

  client_subscribe (c, "cmp_hot");
  for (gint i = 1; i <= 50; i++)
    publish (ts, "cmp_hot", i * 100, i);

  /* Whatever is coalesced, the last state arrives. */
  do
    {
      frame = client_next (c);
      g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "campaign.progress");
      n_progress++;
    }
  while (json_object_get_int_member (frame, "current_amount") != 5000);
  g_assert_cmpint (json_object_get_int_member (frame, "backer_count"), ==, 50);
  g_test_message ("50 states published, %u delivered", n_progress);
  g_assert_cmpuint (n_progress, <=, 5);

  /* Nothing older trails behind the final state: the next frame is a marker. */
  cs_live_publish_json (hub (ts), "cmp_hot", NULL, "{\"type\": \"marker\"}");
  frame = client_next (c);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "marker");

  /* After a quiet window a new state goes out again. */
  publish (ts, "cmp_hot", 777, 51);
  frame = client_next (c);
  g_assert_cmpint (json_object_get_int_member (frame, "current_amount"), ==, 777);
}

typedef struct {
  CsTestServer *ts;
  gint          i;
  gint          n;
} Ticker;

static gboolean
publish_tick_cb (gpointer data)
{
  Ticker *t = data;

  t->i++;
  publish (t->ts, "cmp_steady", t->i * 10, t->i);
  return t->i < t->n ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* A steady stream of states (one every 5 ms) is thinned to at most one per
 * 200 ms, measured against the stream's real duration. */
static void
test_rate_limit (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) c = client_open (ts, NULL);
  Ticker t = { ts, 0, 100 };
  guint n_progress = 0;
  gint64 t0, elapsed;
  JsonObject *frame;

  client_subscribe (c, "cmp_steady");
  t0 = g_get_monotonic_time ();
  g_timeout_add (5, publish_tick_cb, &t);
  do
    {
      frame = client_next (c);
      n_progress++;
    }
  while (json_object_get_int_member (frame, "current_amount") != 1000);
  elapsed = g_get_monotonic_time () - t0;
  g_test_message ("100 states over %" G_GINT64_FORMAT " ms, %u delivered", elapsed / 1000, n_progress);
  g_assert_cmpint (t.i, ==, 100);
  g_assert_cmpint (json_object_get_int_member (frame, "backer_count"), ==, 100);
  g_assert_cmpuint (n_progress, >=, 2);
  g_assert_cmpuint (n_progress, <=, 2 + elapsed / 200000);
}

static void
test_unsubscribe (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) c = client_open (ts, NULL);
  JsonObject *frame;

  client_send (c, "{\"type\": \"subscribe\", \"campaign_ids\": [\"cmp_one\", \"cmp_two\", \"cmp_one\"]}");
  assert_ids (client_next (c), "subscribed", "cmp_one", 3);
  client_send (c, "{\"type\": \"unsubscribe\", \"campaign_ids\": [\"cmp_one\"]}");
  assert_ids (client_next (c), "unsubscribed", "cmp_one", 1);

  /* one's event would come first (same loop, same order) if it were still routed here. */
  publish (ts, "cmp_one", 1, 1);
  publish (ts, "cmp_two", 2, 2);
  frame = client_next (c);
  g_assert_cmpstr (json_object_get_string_member (frame, "campaign_id"), ==, "cmp_two");

  /* Unsubscribing from what one does not follow is harmless. */
  client_send (c, "{\"type\": \"unsubscribe\", \"campaign_ids\": [\"cmp_never\"]}");
  assert_ids (client_next (c), "unsubscribed", "cmp_never", 1);
}

static void
assert_error_frame (Client *c, const char *text, const char *field)
{
  JsonObject *frame;

  client_send (c, text);
  frame = client_next (c);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "error");
  g_assert_nonnull (json_object_get_string_member (frame, "detail"));
  if (field != NULL)
    {
      JsonObject *errors = json_object_get_object_member (frame, "errors");

      g_assert_nonnull (errors);
      if (!json_object_has_member (errors, field))
        g_error ("expected an error for %s after sending %s", field, text);
    }
}

static void
test_bad_frames (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) c = client_open (ts, NULL);
  g_autoptr(GString) many = g_string_new ("{\"type\": \"subscribe\", \"campaign_ids\": [");
  g_autofree char *long_id = g_strnfill (65, 'a');
  g_autofree char *too_long = g_strdup_printf ("{\"type\": \"subscribe\", \"campaign_ids\": [\"%s\"]}", long_id);
  g_autoptr(GBytes) binary = g_bytes_new_static ("\x01\x02", 2);
  JsonObject *frame;

  for (guint i = 0; i < 101; i++)
    g_string_append_printf (many, "%s\"cmp_%u\"", i > 0 ? ", " : "", i);
  g_string_append (many, "]}");

  assert_error_frame (c, "not json", NULL);
  assert_error_frame (c, "[\"subscribe\"]", NULL);
  assert_error_frame (c, "{\"type\": \"subscribe\", \"campaign_ids\": [\"cmp_a\"]} trailing", NULL);
  assert_error_frame (c, "{\"type\": \"dance\", \"campaign_ids\": [\"cmp_a\"]}", "type");
  assert_error_frame (c, "{\"type\": 5, \"campaign_ids\": [\"cmp_a\"]}", "type");
  assert_error_frame (c, "{\"campaign_ids\": [\"cmp_a\"]}", "type");
  assert_error_frame (c, "{\"type\": \"subscribe\"}", "campaign_ids");
  assert_error_frame (c, "{\"type\": \"subscribe\", \"campaign_ids\": \"cmp_a\"}", "campaign_ids");
  assert_error_frame (c, "{\"type\": \"subscribe\", \"campaign_ids\": []}", "campaign_ids");
  assert_error_frame (c, many->str, "campaign_ids");
  assert_error_frame (c, too_long, "campaign_ids[0]");
  assert_error_frame (c, "{\"type\": \"subscribe\", \"campaign_ids\": [\"cmp_ok\", \"Cmp!\"]}", "campaign_ids[1]");
  assert_error_frame (c, "{\"type\": \"subscribe\", \"campaign_ids\": [42]}", "campaign_ids[0]");
  assert_error_frame (c, "{\"type\": \"subscribe\", \"campaign_ids\": [\"cmp_a\"], \"extra\": 1}", "extra");
  soup_websocket_connection_send_message (c->conn, SOUP_WEBSOCKET_DATA_BINARY, binary);
  frame = client_next (c);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "error");

  /* None of it subscribed anything, and the connection still works. */
  publish (ts, "cmp_ok", 5, 5);
  publish (ts, "cmp_a", 6, 6);
  g_assert_false (c->closed);
  client_subscribe (c, "cmp_good");
  publish (ts, "cmp_good", 7, 7);
  frame = client_next (c);
  g_assert_cmpstr (json_object_get_string_member (frame, "campaign_id"), ==, "cmp_good");
  g_assert_cmpuint (cs_live_n_connections (hub (ts)), ==, 1);
}

/* Documented in the OpenAPI document, and counted in /metrics. */
static void
test_documented_and_counted (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) c = client_open (ts, NULL);
  g_autoptr(CsTestResponse) doc = NULL;
  g_autoptr(CsTestResponse) metrics = NULL;
  g_autofree char *text = NULL;
  JsonObject *get;

  doc = cs_test_request (ts, "GET", "/api/v1/openapi.json", NULL, NULL);
  get = json_object_get_object_member (json_object_get_object_member (json_object_get_object_member (
          cs_test_object (doc), "paths"), "/api/v1/live"), "get");
  g_assert_nonnull (get);
  g_assert_true (json_object_has_member (json_object_get_object_member (get, "responses"), "101"));

  wait_connections (ts, 1);
  metrics = cs_test_request (ts, "GET", "/metrics", NULL, NULL);
  g_assert_cmpuint (metrics->status, ==, 200);
  text = g_strndup (g_bytes_get_data (metrics->body, NULL), g_bytes_get_size (metrics->body));
  g_assert_nonnull (strstr (text, "\ncrowdspark_live_connections 1\n"));
}

static void
test_auth (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autofree char *user_id = NULL;
  g_autofree char *token = cs_test_register (ts, "livefan", &user_id);
  g_autofree char *query = g_strconcat ("?access_token=", token, NULL);
  g_autoptr(Client) bad = NULL;
  g_autoptr(Client) bad_query = NULL;
  g_autoptr(Client) with_header = NULL;
  g_autoptr(Client) with_query = NULL;
  g_autoptr(Client) anonymous = NULL;
  g_autoptr(CsTestResponse) plain = NULL;
  JsonObject *frame;
  guint status = 0;

  bad = client_connect (ts, "cs_at_not-a-real-token", NULL, &status);
  g_assert_null (bad->conn);
  g_assert_cmpuint (status, ==, 401);
  bad_query = client_connect (ts, NULL, "?access_token=junk", &status);
  g_assert_null (bad_query->conn);
  g_assert_cmpuint (status, ==, 401);

  /* Not an upgrade: a problem, not a hang. */
  plain = cs_test_request (ts, "GET", "/api/v1/live", NULL, NULL);
  cs_test_assert_problem (plain, 400, NULL);

  with_header = client_open (ts, token);
  with_query = client_connect (ts, NULL, query, &status);
  g_assert_nonnull (with_query->conn);
  anonymous = client_open (ts, NULL);
  wait_connections (ts, 3);

  /* A user's event reaches that user's connections only. */
  client_subscribe (anonymous, "cmp_pub");
  cs_live_publish_json (hub (ts), NULL, user_id, "{\"type\": \"notification\", \"title\": \"hello\"}");
  frame = client_next (with_header);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "notification");
  frame = client_next (with_query);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "notification");
  publish (ts, "cmp_pub", 1, 1);
  frame = client_next (anonymous);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "campaign.progress");
}

/* A raw client: completes the handshake, subscribes, reads the ack, then
 * never reads again. */
static int
raw_client_connect (CsTestServer *ts, const char *campaign_id)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  struct timeval tv = { WAIT_SECONDS, 0 };
  g_autofree char *request = g_strdup_printf ("GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                              "Sec-WebSocket-Version: 13\r\n\r\n",
                                              cs_server_get_port (ts->server));
  g_autofree char *payload = g_strdup_printf ("{\"type\": \"subscribe\", \"campaign_ids\": [\"%s\"]}", campaign_id);
  g_autoptr(GString) head = g_string_new (NULL);
  guint8 frame[256];
  gsize len = strlen (payload);
  const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };
  guint8 hdr[2];
  char ch;

  g_assert_cmpint (fd, >=, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);   /* fills sooner */
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (cs_server_get_port (ts->server));
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (write (fd, request, strlen (request)), ==, (gssize) strlen (request));
  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      g_assert_cmpint (read (fd, &ch, 1), ==, 1);
      g_string_append_c (head, ch);
    }
  g_assert_true (g_str_has_prefix (head->str, "HTTP/1.1 101"));

  g_assert_cmpuint (len, <, 126);
  frame[0] = 0x81;
  frame[1] = 0x80 | (guint8) len;
  memcpy (frame + 2, mask, 4);
  for (gsize i = 0; i < len; i++)
    frame[6 + i] = (guint8) payload[i] ^ mask[i % 4];
  g_assert_cmpint (write (fd, frame, 6 + len), ==, (gssize) (6 + len));

  /* The ack: a short unmasked text frame. */
  g_assert_cmpint (read (fd, hdr, 2), ==, 2);
  g_assert_cmpuint (hdr[0], ==, 0x81);
  g_assert_cmpuint (hdr[1], <, 126);
  for (guint n = 0; n < hdr[1]; )
    {
      gssize r = read (fd, frame + n, hdr[1] - n);

      g_assert_cmpint (r, >, 0);
      n += r;
    }
  g_assert_nonnull (g_strstr_len ((char *) frame, hdr[1], "\"subscribed\""));
  return fd;
}

typedef struct {
  Client *c;
  guint   n;
} FrameCount;

static gboolean
has_frames (gpointer data)
{
  FrameCount *fc = data;

  return fc->c->frames->len >= fc->n;
}

static void
test_slow_subscriber_dropped (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) good = client_open (ts, NULL);
  g_autoptr(GString) big = g_string_new ("{\"type\": \"update.posted\", \"campaign_id\": \"cmp_busy\", \"body\": \"");
  int raw = raw_client_connect (ts, "cmp_busy");
  FrameCount fc = { good, 0 };
  const guint n_events = 48;   /* 3 MiB: past the 1 MiB bound and the socket buffers */
  guint8 buf[65536];
  gssize r;

  client_subscribe (good, "cmp_busy");
  fc.n = good->frames->len;
  wait_connections (ts, 2);

  g_string_append_len (big, (const char *) memset (buf, 'x', 64 * 1024), 64 * 1024);
  g_string_append (big, "\"}");
  /* Paced by the good client, which never falls behind. */
  for (guint i = 0; i < n_events; i++)
    {
      cs_live_publish_json (hub (ts), "cmp_busy", NULL, big->str);
      fc.n++;
      wait_until (has_frames, &fc, "the good client's event");
    }
  wait_connections (ts, 1);
  g_assert_false (good->closed);

  /* The raw client's connection was cut: it reads what got through, then
   * the end (a reset, since the server discarded the rest). */
  do
    r = read (raw, buf, sizeof buf);
  while (r > 0);
  g_assert_true (r == 0 || errno == ECONNRESET);
  close (raw);

  /* The others carry on. */
  good->next = good->frames->len;
  publish (ts, "cmp_busy", 42, 1);
  g_assert_cmpint (json_object_get_int_member (client_next (good), "current_amount"), ==, 42);
}

/* A peer that answers pings stays; one that does not (a raw client that
 * stopped reading) is dropped after two and a half intervals. */
static void
test_dead_peer_dropped (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) alive = NULL;
  int first, second;

  cs_live_set_keepalive (hub (ts), 1);
  alive = client_open (ts, NULL);
  client_subscribe (alive, "cmp_ping");
  first = raw_client_connect (ts, "cmp_ping");
  wait_connections (ts, 1);
  /* A second silent peer, dropped ≥ 2.5 s later: meanwhile `alive` sent
   * nothing but pongs, and would have been dropped too without them. */
  second = raw_client_connect (ts, "cmp_ping");
  wait_connections (ts, 2);
  wait_connections (ts, 1);
  g_assert_false (alive->closed);
  publish (ts, "cmp_ping", 8, 8);
  g_assert_cmpint (json_object_get_int_member (client_next (alive), "current_amount"), ==, 8);
  close (first);
  close (second);
}

static gboolean
client_closed (gpointer data)
{
  return ((Client *) data)->closed;
}

/* A signed-in socket ends with its session (here: logout) with 1008. */
static void
test_session_end_closes (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autofree char *token = cs_test_register (ts, "leaver", NULL);
  g_autoptr(Client) signed_in = NULL;
  g_autoptr(Client) anonymous = NULL;
  g_autoptr(CsTestResponse) logout = NULL;

  cs_live_set_keepalive (hub (ts), 1);
  signed_in = client_open (ts, token);
  anonymous = client_open (ts, NULL);
  client_subscribe (signed_in, "cmp_s");
  client_subscribe (anonymous, "cmp_s");
  logout = cs_test_request (ts, "POST", "/api/v1/auth/logout", token, NULL);
  g_assert_cmpuint (logout->status / 100, ==, 2);
  wait_until (client_closed, signed_in, "the signed-out socket to close");
  g_assert_cmpuint (soup_websocket_connection_get_close_code (signed_in->conn), ==,
                    SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  wait_connections (ts, 1);
  g_assert_false (anonymous->closed);
}

static void
test_shutdown_closes (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autoptr(Client) c = client_open (ts, NULL);

  client_subscribe (c, "cmp_bye");
  cs_server_stop (ts->server, 1000);
  wait_until (client_closed, c, "the server's close");
  g_assert_cmpuint (soup_websocket_connection_get_close_code (c->conn), ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  g_assert_cmpuint (cs_live_n_connections (hub (ts)), ==, 0);
}

static void
test_client_close_forgets (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  Client *c = client_open (ts, NULL);
  g_autoptr(Client) d = client_open (ts, NULL);

  client_subscribe (c, "cmp_x");
  client_subscribe (d, "cmp_x");
  wait_connections (ts, 2);
  soup_websocket_connection_close (c->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  wait_until (client_closed, c, "the close handshake");
  client_free (c);
  wait_connections (ts, 1);
  publish (ts, "cmp_x", 3, 3);
  g_assert_cmpint (json_object_get_int_member (client_next (d), "current_amount"), ==, 3);
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

typedef struct {
  guint at_most;
  guint now;
} FdCount;

static gboolean
fds_back (gpointer data)
{
  FdCount *fc = data;

  fc->now = count_open_fds ();
  return fc->now <= fc->at_most;
}

/* Every way a WebSocket ends gives its descriptor back (server and client
 * run in this process, so both sides are counted). */
static void
test_descriptors_released (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  FdCount fc = { 0, 0 };

  /* warm up: the server's and the session's own descriptors are open (on
   * PostgreSQL also the connection the hub's workers look tokens up on) */
  {
    g_autoptr(Client) warm = client_open (ts, NULL);
    g_autoptr(Client) refused = NULL;
    guint status = 0;

    client_subscribe (warm, "cmp_warm");
    refused = client_connect (ts, "cs_at_junk", NULL, &status);
    g_assert_cmpuint (status, ==, 401);
  }
  soup_session_abort (ts->session);
  wait_connections (ts, 0);
  fc.at_most = count_open_fds ();

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(Client) closing = client_open (ts, NULL);   /* closed by the client */
      g_autoptr(Client) refused = NULL;
      guint status = 0;

      client_subscribe (closing, "cmp_fd");
      refused = client_connect (ts, "cs_at_junk", NULL, &status);
      g_assert_cmpuint (status, ==, 401);
    }
  {
    /* dropped by the server: a raw client that stops reading */
    int raw = raw_client_connect (ts, "cmp_fd_slow");

    close (raw);
  }
  /* A refused upgrade is a plain HTTP answer: its keep-alive connection
   * idles in the session's pool until the session lets it go. */
  soup_session_abort (ts->session);
  wait_connections (ts, 0);
  wait_until (fds_back, &fc, "the descriptors to be released");
}

/* End to end: a pledge's authorization webhook commits, and the
 * campaign's subscribers hear the new totals. */
static void
test_pledge_publishes (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autofree char *creator = cs_test_register (ts, "livecreator", NULL);
  g_autofree char *backer = cs_test_register (ts, "livebacker", NULL);
  g_autofree char *moderator = cs_test_staff_token (ts, "livemod", CS_ROLE_MODERATOR);
  g_autofree char *campaign = cs_test_create_campaign (ts, creator, "Live pledge", "games");
  g_autofree char *pm = NULL;
  g_autoptr(Client) c = client_open (ts, NULL);
  g_autoptr(CsTestResponse) pledge = NULL;
  JsonObject *frame = NULL;

  cs_test_make_live (ts, campaign, creator, moderator);
  wait_connections (ts, 1);
  client_subscribe (c, campaign);
  pm = cs_test_card (ts, "4242424242424242");
  pledge = cs_test_pledge (ts, backer, campaign, 3000, NULL, pm, NULL);
  g_assert_cmpuint (pledge->status, ==, 201);
  /* pending first (no event); the authorization brings the totals */
  do
    frame = client_next (c);
  while (g_strcmp0 (json_object_get_string_member (frame, "type"), "campaign.progress") != 0 ||
         json_object_get_int_member (frame, "current_amount") != 3000);
  g_assert_cmpstr (json_object_get_string_member (frame, "campaign_id"), ==, campaign);
  g_assert_cmpint (json_object_get_int_member (frame, "backer_count"), ==, 1);
}

/* The backer's own connections hear their pledge's fate (the app's "pending
 * → authorized / declined"), and nobody else does. */
static void
test_pledge_updated_to_backer (Fixture *f, gconstpointer data)
{
  CsTestServer *ts = f->ts;
  g_autofree char *creator = cs_test_register (ts, "fatecreator", NULL);
  g_autofree char *backer_id = NULL;
  g_autofree char *backer = cs_test_register (ts, "fatebacker", &backer_id);
  g_autofree char *other = cs_test_register (ts, "fateother", NULL);
  g_autofree char *moderator = cs_test_staff_token (ts, "fatemod", CS_ROLE_MODERATOR);
  g_autofree char *campaign = cs_test_create_campaign (ts, creator, "Fate", "games");
  g_autofree char *good = NULL, *bad = NULL;
  g_autoptr(Client) mine = client_open (ts, backer);
  g_autoptr(Client) theirs = client_open (ts, other);
  g_autoptr(CsTestResponse) ok = NULL, declined = NULL;
  const char *ok_id, *declined_id;
  gboolean seen_ok = FALSE, seen_declined = FALSE;

  cs_test_make_live (ts, campaign, creator, moderator);
  wait_connections (ts, 2);
  /* both subscribe to the campaign: progress is public, pledge news is not */
  client_subscribe (mine, campaign);
  client_subscribe (theirs, campaign);
  good = cs_test_card (ts, "4242424242424242");
  bad = cs_test_card (ts, "4000000000000002");
  ok = cs_test_pledge (ts, backer, campaign, 2500, NULL, good, NULL);
  g_assert_cmpuint (ok->status, ==, 201);
  ok_id = cs_test_string (ok, "id");
  while (!seen_ok)
    {
      JsonObject *frame = client_next (mine);

      if (g_strcmp0 (json_object_get_string_member (frame, "type"), "pledge.updated") != 0)
        continue;
      g_assert_cmpstr (json_object_get_string_member (frame, "pledge_id"), ==, ok_id);
      g_assert_cmpstr (json_object_get_string_member (frame, "campaign_id"), ==, campaign);
      g_assert_cmpstr (json_object_get_string_member (frame, "status"), ==, "authorized");
      g_assert_cmpint (json_object_get_int_member (frame, "amount"), ==, 2500);
      seen_ok = TRUE;
    }
  /* cancel, then a declined card: its reason comes with it */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/pledges/%s/cancel", ok_id);
    g_autoptr(CsTestResponse) cancelled = cs_test_request (ts, "POST", path, backer, NULL);

    g_assert_cmpuint (cancelled->status, ==, 200);
  }
  declined = cs_test_pledge (ts, backer, campaign, 2500, NULL, bad, NULL);
  g_assert_cmpuint (declined->status, ==, 201);
  declined_id = cs_test_string (declined, "id");
  while (!seen_declined)
    {
      JsonObject *frame = client_next (mine);

      if (g_strcmp0 (json_object_get_string_member (frame, "type"), "pledge.updated") != 0 ||
          g_strcmp0 (json_object_get_string_member (frame, "pledge_id"), declined_id) != 0)
        continue;
      g_assert_cmpstr (json_object_get_string_member (frame, "status"), ==, "failed");
      g_assert_nonnull (json_object_get_string_member (frame, "failure_reason"));
      g_assert_cmpstr (json_object_get_string_member (frame, "failure_reason"), !=, "");
      seen_declined = TRUE;
    }
  /* The other user heard the progress but never a pledge of someone else. */
  for (guint i = theirs->next; i < theirs->frames->len; i++)
    {
      JsonObject *frame = json_node_get_object (g_ptr_array_index (theirs->frames, i));

      g_assert_cmpstr (json_object_get_string_member (frame, "type"), !=, "pledge.updated");
    }
}

/* The URL is checked where it is configured, with a message that says how. */
static void
test_redis_url_checked (void)
{
  g_autoptr(CsServerConfig) config = cs_server_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  guint port = 0, db = 7;
  static const char * const bad[] = {
    "redis://127.0.0.1", "http://127.0.0.1:6379", "127.0.0.1:6379", "redis://:6379", "redis://host:0",
    "redis://host:70000", "redis://host:port", "redis://user:secret@host:6379", "redis://:secret@host:x", "redis://host:6379/x",
    "redis://host:6379/1/2", "redis://host:6379?db=1", "redis://host:6379#f", "rediss://host:6379", "",
  };

  g_assert_true (cs_redis_url_parse ("redis://127.0.0.1:6379", &host, &port, &db, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpuint (port, ==, 6379);
  g_assert_cmpuint (db, ==, 0);
  g_clear_pointer (&host, g_free);
  g_assert_true (cs_redis_url_parse ("redis://[::1]:6380/3", &host, &port, &db, NULL));
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpuint (port, ==, 6380);
  g_assert_cmpuint (db, ==, 3);
  g_assert_true (cs_redis_url_parse ("redis://redis.internal:6379/", NULL, NULL, NULL, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      if (cs_redis_url_parse (bad[i], NULL, NULL, NULL, &error))
        g_error ("“%s” was taken for a Redis URL", bad[i]);
      g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "redis://"));
      g_assert_null (strstr (error->message, "secret"));   /* no password in a message */
      g_clear_error (&error);
    }

  /* --redis and the config file's key both check it */
  g_assert_false (cs_server_config_set_redis (config, "redis://localhost", &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no port"));
  g_clear_error (&error);
  g_assert_null (config->redis_url);
  g_assert_true (cs_server_config_set_redis (config, "redis://localhost:6379/2", &error));
  g_assert_cmpstr (config->redis_url, ==, "redis://localhost:6379/2");

  dir = g_dir_make_tmp ("crowdspark-config-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "server.conf", NULL);
  g_file_set_contents (path, "[server]\nredis = redis://10.0.0.5:6379/1\n", -1, &error);
  g_assert_no_error (error);
  g_assert_true (cs_server_config_load_file (config, path, &error));
  g_assert_cmpstr (config->redis_url, ==, "redis://10.0.0.5:6379/1");
  g_file_set_contents (path, "[server]\nredis = redis://10.0.0.5\n", -1, &error);
  g_assert_false (cs_server_config_load_file (config, path, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "redis"));
  g_clear_error (&error);
  g_unlink (path);
  g_rmdir (dir);
}

#ifdef HAVE_REDIS
/* ---- several instances: Redis ---------------------------------------------------------
 *
 * These need a Redis: CS_TEST_REDIS (CI, the -pg run), or a redis-server this
 * process starts itself.  Without either the whole program is skipped (77). */

typedef struct {
  GSubprocess *proc;
  guint        port;
  char        *url;
  char        *dir;
} OwnRedis;

static OwnRedis *shared_redis;    /* when CS_TEST_REDIS is unset */

static gboolean
redis_server_installed (void)
{
  g_autofree char *path = g_find_program_in_path ("redis-server");

  return path != NULL;
}

static guint
free_port (void)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &addr, &len), ==, 0);
  close (fd);
  return ntohs (addr.sin_port);
}

/* Whether a Redis answers PING on 127.0.0.1:@port. */
static gboolean
redis_answers (gpointer data)
{
  OwnRedis *r = data;
  struct sockaddr_in addr = { 0 };
  struct timeval tv = { 1, 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char buf[8] = { 0 };
  gboolean ok = FALSE;

  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (r->port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0 && write (fd, "PING\r\n", 6) == 6 &&
      read (fd, buf, 5) == 5)
    ok = strncmp (buf, "+PONG", 5) == 0;
  close (fd);
  return ok;
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);   /* never outlives a test that aborted */
}

/* Starts (or restarts, on the same port) a redis-server child. */
static void
own_redis_start (OwnRedis *r)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;

  if (r->port == 0)
    {
      g_autoptr(GError) tmp_error = NULL;

      r->port = free_port ();
      r->url = g_strdup_printf ("redis://127.0.0.1:%u", r->port);
      r->dir = g_dir_make_tmp ("crowdspark-redis-XXXXXX", &tmp_error);
      g_assert_no_error (tmp_error);
    }
  port = g_strdup_printf ("%u", r->port);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  r->proc = g_subprocess_launcher_spawn (launcher, &error, "redis-server", "--bind", "127.0.0.1", "--port", port,
                                         "--save", "", "--appendonly", "no", "--dir", r->dir, NULL);
  g_assert_no_error (error);
  wait_until (redis_answers, r, "redis-server to answer");
}

/* Kills it (as a crash would): the port stays ours for a restart. */
static void
own_redis_kill (OwnRedis *r)
{
  if (r->proc == NULL)
    return;
  g_subprocess_force_exit (r->proc);
  g_subprocess_wait (r->proc, NULL, NULL);
  g_clear_object (&r->proc);
}

static void
own_redis_free (OwnRedis *r)
{
  if (r == NULL)
    return;
  own_redis_kill (r);
  if (r->dir != NULL)
    g_rmdir (r->dir);   /* --save '': nothing was written in it */
  g_free (r->dir);
  g_free (r->url);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwnRedis, own_redis_free)

/* An unstarted redis on a port of its own. */
static OwnRedis *
own_redis_new (void)
{
  OwnRedis *r = g_new0 (OwnRedis, 1);
  g_autoptr(GError) error = NULL;

  r->port = free_port ();
  r->url = g_strdup_printf ("redis://127.0.0.1:%u", r->port);
  r->dir = g_dir_make_tmp ("crowdspark-redis-XXXXXX", &error);
  g_assert_no_error (error);
  return r;
}

/* The Redis of this run: CS_TEST_REDIS, or one started for the whole
 * program.  Other test programs may use the same Redis at the same time: a
 * database number of our own gives this one a channel of its own. */
static const char *
test_redis_url (void)
{
  static char *url;
  const char *base = cs_test_redis_url ();

  if (url != NULL)
    return url;
  if (base == NULL)
    {
      shared_redis = own_redis_new ();
      own_redis_start (shared_redis);
      base = shared_redis->url;
    }
  url = g_strdup_printf ("%s/%d", base, 1 + (gint) ((guint) getpid () % 1000000) * 1000 + g_random_int_range (0, 1000));
  return url;
}

/* cs_test_server_new () takes a tweak without data: these say what it sets. */
static const char *next_redis_url;     /* the next server's --redis (NULL: none) */
static const char *next_shared_db;     /* the next server uses this database (NULL: its own) */
static char       *next_own_db;        /* ... and the fresh one it was given, dropped with it */

static void
tweak_instance (CsServerConfig *config)
{
  g_autoptr(GError) error = NULL;

  if (next_redis_url != NULL)
    {
      cs_server_config_set_redis (config, next_redis_url, &error);
      g_assert_no_error (error);
    }
  if (next_shared_db != NULL)
    {
      next_own_db = config->database_url;
      config->database_url = g_strdup (next_shared_db);
    }
}

static gboolean
redis_linked (gpointer data)
{
  return cs_live_redis_connected (hub (data)) == 1;
}

static gboolean
redis_unlinked (gpointer data)
{
  return cs_live_redis_connected (hub (data)) == 0;
}

static CsTestServer *
instance_new (const char *redis_url, const char *shared_db, char **own_db)
{
  CsTestServer *ts;

  next_redis_url = redis_url;
  next_shared_db = shared_db;
  ts = cs_test_server_new (tweak_instance);
  next_redis_url = next_shared_db = NULL;
  if (own_db != NULL)
    *own_db = g_steal_pointer (&next_own_db);
  return ts;
}

/* Two instances on one database (SQLite: one file; PostgreSQL: one schema)
 * and one Redis. */
typedef struct {
  CsTestServer *a;
  CsTestServer *b;
  char         *b_own_db;
} Pair;

static void
pair_start (Pair *p, const char *redis_url)
{
  p->a = instance_new (redis_url, NULL, NULL);
  p->b = instance_new (redis_url, p->a->config->database_url, &p->b_own_db);
}

static void
pair_free (Pair *p)
{
  if (p->b != NULL)
    {
      /* B drops the database it was given, not A's. */
      g_free (p->b->config->database_url);
      p->b->config->database_url = g_steal_pointer (&p->b_own_db);
      cs_test_server_free (p->b);
    }
  cs_test_server_free (p->a);
}

static void
publish_marker (CsTestServer *ts, const char *campaign_id, const char *mark)
{
  g_autofree char *json = g_strdup_printf ("{\"type\": \"marker\", \"campaign_id\": \"%s\", \"mark\": \"%s\"}",
                                           campaign_id, mark);

  cs_live_publish_json (hub (ts), campaign_id, NULL, json);
}

static const char *
frame_type (JsonObject *frame)
{
  return json_object_get_string_member_with_default (frame, "type", "");
}

/* The next frame must be marker @mark. */
static void
expect_marker (Client *c, const char *mark)
{
  JsonObject *frame = client_next (c);

  g_assert_cmpstr (frame_type (frame), ==, "marker");
  g_assert_cmpstr (json_object_get_string_member (frame, "mark"), ==, mark);
}

/* ---- the tests ---- */

/* A publication on A reaches B's subscriber, and B's reaches A's; each
 * instance's own subscribers hear every event once, in the same order. */
static void
test_redis_between_instances (void)
{
  Pair p = { 0 };
  g_autoptr(Client) on_a = NULL;
  g_autoptr(Client) on_b = NULL;
  g_autoptr(CsTestResponse) metrics = NULL;
  g_autofree char *text = NULL;
  Client *clients[2];
  JsonObject *frame;

  pair_start (&p, test_redis_url ());
  wait_until (redis_linked, p.a, "instance A's Redis link");
  wait_until (redis_linked, p.b, "instance B's Redis link");
  on_a = client_open (p.a, NULL);
  on_b = client_open (p.b, NULL);
  client_subscribe (on_a, "cmp_shared");
  client_subscribe (on_b, "cmp_shared");
  clients[0] = on_a;
  clients[1] = on_b;

  /* A's progress reaches B's subscriber through Redis (and A's, once). */
  publish (p.a, "cmp_shared", 4200, 3);
  for (guint i = 0; i < 2; i++)
    {
      frame = client_next (clients[i]);
      g_assert_cmpstr (frame_type (frame), ==, "campaign.progress");
      g_assert_cmpstr (json_object_get_string_member (frame, "campaign_id"), ==, "cmp_shared");
      g_assert_cmpint (json_object_get_int_member (frame, "current_amount"), ==, 4200);
      g_assert_cmpint (json_object_get_int_member (frame, "backer_count"), ==, 3);
      g_assert_cmpstr (json_object_get_string_member (frame, "currency"), ==, "EUR");
      g_assert_cmpstr (json_object_get_string_member (frame, "status"), ==, "live");
    }

  /* Events from both sides, interleaved: every subscriber hears each once,
   * and both in the one order of the channel (so each instance's own are
   * not delivered directly as well: that would put them first, or twice). */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *mark = g_strdup_printf ("m%02u", i);

      publish_marker (i % 2 == 0 ? p.a : p.b, "cmp_shared", mark);
    }
  {
    g_autoptr(GPtrArray) order_a = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) order_b = g_ptr_array_new_with_free_func (g_free);
    GPtrArray *order[2] = { order_a, order_b };

    for (guint c = 0; c < 2; c++)
      for (guint i = 0; i < 20; i++)
        {
          frame = client_next (clients[c]);
          g_assert_cmpstr (frame_type (frame), ==, "marker");
          g_ptr_array_add (order[c], g_strdup (json_object_get_string_member (frame, "mark")));
        }
    for (guint i = 0; i < 20; i++)
      {
        /* each instance's own publications keep their order */
        g_assert_cmpstr (g_ptr_array_index (order[0], i), ==, g_ptr_array_index (order[1], i));
        for (guint j = 0; j < i; j++)
          g_assert_cmpstr (g_ptr_array_index (order[0], i), !=, g_ptr_array_index (order[0], j));
      }
  }

  /* Nothing trails: a last event from each side is the next frame on both. */
  publish_marker (p.a, "cmp_shared", "fence-a");
  expect_marker (on_a, "fence-a");
  expect_marker (on_b, "fence-a");
  publish_marker (p.b, "cmp_shared", "fence-b");
  expect_marker (on_a, "fence-b");
  expect_marker (on_b, "fence-b");

  /* A user's events reach that user's sockets on every instance. */
  {
    g_autofree char *user_id = NULL;
    g_autofree char *token = cs_test_register (p.a, "twoplaces", &user_id);
    g_autoptr(Client) user_on_a = client_open (p.a, token);
    g_autoptr(Client) user_on_b = client_open (p.b, token);

    wait_connections (p.a, 2);
    wait_connections (p.b, 2);
    cs_live_publish_json (hub (p.b), NULL, user_id, "{\"type\": \"notification\", \"title\": \"both\"}");
    g_assert_cmpstr (frame_type (client_next (user_on_a)), ==, "notification");
    g_assert_cmpstr (frame_type (client_next (user_on_b)), ==, "notification");
  }

  metrics = cs_test_request (p.a, "GET", "/metrics", NULL, NULL);
  text = g_strndup (g_bytes_get_data (metrics->body, NULL), g_bytes_get_size (metrics->body));
  g_assert_nonnull (strstr (text, "\ncrowdspark_redis_connected 1\n"));
  g_assert_cmpuint (on_a->next, ==, on_a->frames->len);
  g_assert_cmpuint (on_b->next, ==, on_b->frames->len);

  g_clear_pointer (&on_a, client_free);
  g_clear_pointer (&on_b, client_free);
  pair_free (&p);
}

/* Many states of one campaign published on A: B's subscriber ends on the
 * last one, A's too, each at most 5 a second. */
static void
test_redis_coalescing (void)
{
  Pair p = { 0 };
  g_autoptr(Client) on_a = NULL;
  g_autoptr(Client) on_b = NULL;
  Client *clients[2];

  pair_start (&p, test_redis_url ());
  wait_until (redis_linked, p.a, "instance A's Redis link");
  wait_until (redis_linked, p.b, "instance B's Redis link");
  on_a = client_open (p.a, NULL);
  on_b = client_open (p.b, NULL);
  client_subscribe (on_a, "cmp_hot");
  client_subscribe (on_b, "cmp_hot");
  clients[0] = on_a;
  clients[1] = on_b;

  for (gint i = 1; i <= 200; i++)
    publish (p.a, "cmp_hot", i * 100, i);
  for (guint c = 0; c < 2; c++)
    {
      guint n = 0;
      JsonObject *frame;

      do
        {
          frame = client_next (clients[c]);
          g_assert_cmpstr (frame_type (frame), ==, "campaign.progress");
          n++;
        }
      while (json_object_get_int_member (frame, "current_amount") != 20000);
      g_test_message ("200 states published, %u delivered on %c", n, "AB"[c]);
      g_assert_cmpint (json_object_get_int_member (frame, "backer_count"), ==, 200);
      g_assert_cmpuint (n, <=, 5);
    }
  publish_marker (p.b, "cmp_hot", "after");
  expect_marker (on_a, "after");
  expect_marker (on_b, "after");

  g_clear_pointer (&on_a, client_free);
  g_clear_pointer (&on_b, client_free);
  pair_free (&p);
}

/* End to end: a pledge made through A reaches a subscriber on B. */
static void
test_redis_pledge (void)
{
  Pair p = { 0 };
  g_autofree char *creator = NULL;
  g_autofree char *backer = NULL;
  g_autofree char *moderator = NULL;
  g_autofree char *campaign = NULL;
  g_autofree char *pm = NULL;
  g_autoptr(Client) on_b = NULL;
  g_autoptr(CsTestResponse) pledge = NULL;
  JsonObject *frame;

  pair_start (&p, test_redis_url ());
  creator = cs_test_register (p.a, "redcreator", NULL);
  backer = cs_test_register (p.a, "redbacker", NULL);
  moderator = cs_test_staff_token (p.a, "redmod", CS_ROLE_MODERATOR);
  campaign = cs_test_create_campaign (p.a, creator, "Across instances", "games");
  cs_test_make_live (p.a, campaign, creator, moderator);
  wait_until (redis_linked, p.a, "instance A's Redis link");
  wait_until (redis_linked, p.b, "instance B's Redis link");
  on_b = client_open (p.b, NULL);
  client_subscribe (on_b, campaign);

  pm = cs_test_card (p.a, "4242424242424242");
  pledge = cs_test_pledge (p.a, backer, campaign, 3000, NULL, pm, NULL);
  g_assert_cmpuint (pledge->status, ==, 201);
  do
    frame = client_next (on_b);
  while (g_strcmp0 (frame_type (frame), "campaign.progress") != 0 ||
         json_object_get_int_member (frame, "current_amount") != 3000);
  g_assert_cmpstr (json_object_get_string_member (frame, "campaign_id"), ==, campaign);
  g_assert_cmpint (json_object_get_int_member (frame, "backer_count"), ==, 1);

  g_clear_pointer (&on_b, client_free);
  pair_free (&p);
}

static void
assert_requests_succeed (CsTestServer *ts, const char *username)
{
  g_autoptr(CsTestResponse) list = cs_test_request (ts, "GET", "/api/v1/campaigns", NULL, NULL);
  g_autoptr(CsTestResponse) health = cs_test_request (ts, "GET", "/healthz", NULL, NULL);
  g_autofree char *token = cs_test_register (ts, username, NULL);   /* a write */

  g_assert_cmpuint (list->status, ==, 200);
  g_assert_cmpuint (health->status, ==, 200);
  g_assert_nonnull (token);
}

static void
assert_redis_gauge (CsTestServer *ts, guint value)
{
  g_autoptr(CsTestResponse) metrics = cs_test_request (ts, "GET", "/metrics", NULL, NULL);
  g_autofree char *text = g_strndup (g_bytes_get_data (metrics->body, NULL), g_bytes_get_size (metrics->body));
  g_autofree char *line = g_strdup_printf ("\ncrowdspark_redis_connected %u\n", value);

  g_assert_cmpuint (metrics->status, ==, 200);
  g_assert_nonnull (strstr (text, line));
}

/* Both instances' subscribers of cmp_r hear a publication of @from's. */
static void
assert_crosses (CsTestServer *from, Client *on_a, Client *on_b, const char *mark)
{
  publish_marker (from, "cmp_r", mark);
  expect_marker (on_a, mark);
  expect_marker (on_b, mark);
}

/* Redis not there at start, then there, then killed, then back on the same
 * port: the instances serve throughout, their own subscribers keep hearing
 * their own events, and events cross again once Redis is back. */
static void
test_redis_outage (void)
{
  g_autoptr(OwnRedis) redis = NULL;
  Pair p = { 0 };
  g_autoptr(Client) on_a = NULL;
  g_autoptr(Client) on_b = NULL;

  if (!redis_server_installed ())
    {
      g_test_skip ("redis-server is not installed: this test starts and kills its own");
      return;
    }
  redis = own_redis_new ();

  /* Not there at start: the servers start and serve, events stay local. */
  pair_start (&p, redis->url);
  on_a = client_open (p.a, NULL);
  on_b = client_open (p.b, NULL);
  client_subscribe (on_a, "cmp_r");
  client_subscribe (on_b, "cmp_r");
  assert_redis_gauge (p.a, 0);
  assert_requests_succeed (p.a, "early1");
  publish_marker (p.a, "cmp_r", "local-a");
  expect_marker (on_a, "local-a");
  publish_marker (p.b, "cmp_r", "local-b");
  expect_marker (on_b, "local-b");   /* A's did not cross: B's own comes first */

  /* Redis comes: the links come up by themselves. */
  own_redis_start (redis);
  wait_until (redis_linked, p.a, "instance A's Redis link");
  wait_until (redis_linked, p.b, "instance B's Redis link");
  assert_redis_gauge (p.b, 1);
  assert_crosses (p.a, on_a, on_b, "up-a");
  assert_crosses (p.b, on_a, on_b, "up-b");

  /* Redis dies mid-run. */
  own_redis_kill (redis);
  wait_until (redis_unlinked, p.a, "instance A to notice Redis is gone");
  wait_until (redis_unlinked, p.b, "instance B to notice Redis is gone");
  assert_requests_succeed (p.a, "outage1");
  assert_requests_succeed (p.b, "outage2");
  assert_redis_gauge (p.a, 0);
  publish (p.a, "cmp_r", 500, 5);
  g_assert_cmpint (json_object_get_int_member (client_next (on_a), "current_amount"), ==, 500);
  publish_marker (p.a, "cmp_r", "down-a");
  expect_marker (on_a, "down-a");
  publish_marker (p.b, "cmp_r", "down-b");
  expect_marker (on_b, "down-b");    /* nothing of A's on B */

  /* Back on the same port: the links reconnect, subscribe again, and events cross. */
  own_redis_start (redis);
  wait_until (redis_linked, p.a, "instance A's Redis link to come back");
  wait_until (redis_linked, p.b, "instance B's Redis link to come back");
  assert_crosses (p.a, on_a, on_b, "back-a");
  assert_crosses (p.b, on_a, on_b, "back-b");
  assert_requests_succeed (p.b, "after1");
  g_assert_cmpuint (on_a->next, ==, on_a->frames->len);
  g_assert_cmpuint (on_b->next, ==, on_b->frames->len);

  g_clear_pointer (&on_a, client_free);
  g_clear_pointer (&on_b, client_free);
  pair_free (&p);
}

/* Whether the process is stopped (SIGSTOP takes effect after kill () returns). */
static gboolean
redis_stopped (gpointer data)
{
  OwnRedis *r = data;
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", g_subprocess_get_identifier (r->proc));
  g_autofree char *stat = NULL;
  const char *end;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (end = strrchr (stat, ')')) == NULL)
    return FALSE;
  return end[1] == ' ' && (end[2] == 'T' || end[2] == 't');
}

/* A Redis that hangs (SIGSTOP) rather than dies: the links notice by their
 * timeouts, the instances' own subscribers still hear their events, and
 * everything comes back when it resumes. */
static void
test_redis_hung (void)
{
  g_autoptr(OwnRedis) redis = NULL;
  Pair p = { 0 };
  g_autoptr(Client) on_a = NULL;
  g_autoptr(Client) on_b = NULL;
  JsonObject *frame;

  if (!redis_server_installed ())
    {
      g_test_skip ("redis-server is not installed: this test starts and stops its own");
      return;
    }
  redis = own_redis_new ();
  own_redis_start (redis);
  pair_start (&p, redis->url);
  wait_until (redis_linked, p.a, "instance A's Redis link");
  wait_until (redis_linked, p.b, "instance B's Redis link");
  on_a = client_open (p.a, NULL);
  on_b = client_open (p.b, NULL);
  client_subscribe (on_a, "cmp_r");
  client_subscribe (on_b, "cmp_r");
  assert_crosses (p.a, on_a, on_b, "before");

  g_subprocess_send_signal (redis->proc, SIGSTOP);
  wait_until (redis_stopped, redis, "redis-server to stop");
  /* The echo never comes: A's subscriber gets A's event anyway. */
  publish_marker (p.a, "cmp_r", "frozen-a");
  expect_marker (on_a, "frozen-a");
  assert_requests_succeed (p.a, "frozen1");
  wait_until (redis_unlinked, p.a, "instance A to notice Redis hangs");
  wait_until (redis_unlinked, p.b, "instance B to notice Redis hangs");
  publish_marker (p.b, "cmp_r", "frozen-b");
  expect_marker (on_b, "frozen-b");

  g_subprocess_send_signal (redis->proc, SIGCONT);
  wait_until (redis_linked, p.a, "instance A's Redis link to come back");
  wait_until (redis_linked, p.b, "instance B's Redis link to come back");
  publish_marker (p.a, "cmp_r", "thawed");
  /* A's own subscriber never hears "frozen-a" again (it was delivered);
   * B may hear it late, once, if Redis ran that PUBLISH after it resumed. */
  expect_marker (on_a, "thawed");
  frame = client_next (on_b);
  if (g_strcmp0 (json_object_get_string_member (frame, "mark"), "frozen-a") == 0)
    frame = client_next (on_b);
  g_assert_cmpstr (json_object_get_string_member (frame, "mark"), ==, "thawed");
  assert_crosses (p.b, on_a, on_b, "after-b");
  assert_crosses (p.a, on_a, on_b, "after-a");

  g_clear_pointer (&on_a, client_free);
  g_clear_pointer (&on_b, client_free);
  pair_free (&p);
}

/* The single-instance suite, again with every event going through Redis. */
static void
fixture_set_up_redis (Fixture *f, gconstpointer data)
{
  f->ts = instance_new (test_redis_url (), NULL, NULL);
  wait_until (redis_linked, f->ts, "the Redis link");
}

#endif /* HAVE_REDIS */

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);

  g_test_add ("/live/progress-reaches-subscribers", Fixture, NULL, fixture_set_up, test_progress_reaches_subscribers, fixture_tear_down);
  g_test_add ("/live/coalescing", Fixture, NULL, fixture_set_up, test_coalescing, fixture_tear_down);
  g_test_add ("/live/rate-limit", Fixture, NULL, fixture_set_up, test_rate_limit, fixture_tear_down);
  g_test_add ("/live/unsubscribe", Fixture, NULL, fixture_set_up, test_unsubscribe, fixture_tear_down);
  g_test_add ("/live/bad-frames", Fixture, NULL, fixture_set_up, test_bad_frames, fixture_tear_down);
  g_test_add ("/live/documented-and-counted", Fixture, NULL, fixture_set_up, test_documented_and_counted, fixture_tear_down);
  g_test_add ("/live/auth", Fixture, NULL, fixture_set_up, test_auth, fixture_tear_down);
  g_test_add ("/live/slow-subscriber-dropped", Fixture, NULL, fixture_set_up, test_slow_subscriber_dropped, fixture_tear_down);
  g_test_add ("/live/dead-peer-dropped", Fixture, NULL, fixture_set_up, test_dead_peer_dropped, fixture_tear_down);
  g_test_add ("/live/session-end-closes", Fixture, NULL, fixture_set_up, test_session_end_closes, fixture_tear_down);
  g_test_add ("/live/client-close-forgets", Fixture, NULL, fixture_set_up, test_client_close_forgets, fixture_tear_down);
  g_test_add ("/live/descriptors-released", Fixture, NULL, fixture_set_up, test_descriptors_released, fixture_tear_down);
  g_test_add ("/live/pledge-publishes", Fixture, NULL, fixture_set_up, test_pledge_publishes, fixture_tear_down);
  g_test_add ("/live/pledge-updated-to-backer", Fixture, NULL, fixture_set_up, test_pledge_updated_to_backer, fixture_tear_down);
  g_test_add ("/live/shutdown-closes", Fixture, NULL, fixture_set_up, test_shutdown_closes, fixture_tear_down);

  g_test_add_func ("/live/redis/url", test_redis_url_checked);
#ifdef HAVE_REDIS
  g_test_add_func ("/live/redis/between-instances", test_redis_between_instances);
  g_test_add_func ("/live/redis/coalescing", test_redis_coalescing);
  g_test_add_func ("/live/redis/pledge-across-instances", test_redis_pledge);
  g_test_add_func ("/live/redis/outage", test_redis_outage);
  g_test_add_func ("/live/redis/hung", test_redis_hung);
  g_test_add ("/live/redis/progress-reaches-subscribers", Fixture, NULL, fixture_set_up_redis, test_progress_reaches_subscribers, fixture_tear_down);
  g_test_add ("/live/redis/coalescing-one-instance", Fixture, NULL, fixture_set_up_redis, test_coalescing, fixture_tear_down);
  g_test_add ("/live/redis/rate-limit", Fixture, NULL, fixture_set_up_redis, test_rate_limit, fixture_tear_down);
  g_test_add ("/live/redis/unsubscribe", Fixture, NULL, fixture_set_up_redis, test_unsubscribe, fixture_tear_down);
  g_test_add ("/live/redis/auth", Fixture, NULL, fixture_set_up_redis, test_auth, fixture_tear_down);
  g_test_add ("/live/redis/slow-subscriber-dropped", Fixture, NULL, fixture_set_up_redis, test_slow_subscriber_dropped, fixture_tear_down);
  g_test_add ("/live/redis/pledge-publishes", Fixture, NULL, fixture_set_up_redis, test_pledge_publishes, fixture_tear_down);
#endif

  /* The Redis tests need a Redis: CI provides one (CS_TEST_REDIS); otherwise
   * this program starts its own, and without redis-server it is skipped. */
#ifdef HAVE_REDIS
  if (cs_test_redis_url () == NULL && !redis_server_installed ())
    {
      g_printerr ("SKIP: no Redis (CS_TEST_REDIS is unset and redis-server is not installed)\n");
      return 77;
    }
#endif
  status = g_test_run ();
#ifdef HAVE_REDIS
  g_clear_pointer (&shared_redis, own_redis_free);
#endif
  return status;
}
