/* test-multi.c: one platform on two server instances (issue 4).
 *
 * Servers A and B run in this process, each with its own threads, port,
 * worker pool and jobs thread, on one PostgreSQL database and one Redis:
 *   - a pledge made through B reaches a WebSocket subscriber of A;
 *   - a limited tier is not oversold by concurrent pledges spread over both;
 *   - campaigns that end together are settled exactly once although both
 *     instances run the settlement job, and the books balance.
 * Registered only as a PostgreSQL suite (tests/services.sh provides
 * PostgreSQL and Redis). */
#include "config.h"

#include <string.h>

#include "cs-test-server.h"
#include "cs-test-db.h"

#define CARD_OK "4242424242424242"
#define DAY     (24 * 3600)

static CsTestServer *a, *b;
static char *creator, *moderator;

static void
tweak (CsServerConfig *config)
{
  g_free (config->redis_url);
  config->redis_url = g_strdup (cs_test_redis_url ());
  /* the test clock moves days ahead: tokens must outlive it */
  config->access_token_ttl = 400 * DAY;
  config->refresh_token_ttl = 800 * DAY;
}

/* A live campaign made through A: one tier of @quantity (0: unlimited) at
 * a minimum of 1000; *tier_id if asked. */
static char *
live_campaign (const char *title, gint64 goal, int days, int quantity, char **tier_id)
{
  return cs_test_live_campaign (a, creator, moderator, title, goal, days, quantity, tier_id);
}

static JsonObject *
campaign_on (CsTestServer *ts, const char *campaign_id, CsTestResponse **keep)
{
  g_autofree char *path = g_strconcat ("/api/v1/campaigns/", campaign_id, NULL);

  *keep = cs_test_request (ts, "GET", path, NULL, NULL);
  g_assert_cmpuint ((*keep)->status, ==, 200);
  return cs_test_object (*keep);
}

/* ---- a WebSocket subscriber ------------------------------------------------------ */

typedef struct {
  SoupWebsocketConnection *conn;
  GPtrArray               *frames;   /* JsonNode* */
  GError                  *error;
  gboolean                 connected;
} Subscriber;

static void
subscriber_message_cb (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer data)
{
  Subscriber *s = data;
  JsonNode *node = json_from_string (g_bytes_get_data (message, NULL), NULL);

  g_assert_nonnull (node);
  g_ptr_array_add (s->frames, node);
}

static void
subscriber_connected_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Subscriber *s = data;

  s->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &s->error);
  s->connected = TRUE;
}

static gboolean
subscriber_connected (CsTestServer *ts, gpointer data)
{
  return ((Subscriber *) data)->connected;
}

typedef struct {
  Subscriber *s;
  const char *type;
  const char *campaign_id;
  gint64      min_amount;   /* campaign.progress: current_amount at least this */
  JsonObject *found;
} FrameWanted;

static gboolean
frame_arrived (CsTestServer *ts, gpointer data)
{
  FrameWanted *w = data;

  for (guint i = 0; i < w->s->frames->len; i++)
    {
      JsonObject *o = json_node_get_object (g_ptr_array_index (w->s->frames, i));

      if (g_strcmp0 (json_object_get_string_member_with_default (o, "type", ""), w->type) != 0)
        continue;
      if (w->campaign_id != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (o, "campaign_id", ""), w->campaign_id) != 0)
        continue;
      if (w->min_amount > 0 && json_object_get_int_member_with_default (o, "current_amount", 0) < w->min_amount)
        continue;
      w->found = o;
      return TRUE;
    }
  return FALSE;
}

static Subscriber *
subscribe (CsTestServer *ts, const char *campaign_id)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/api/v1/live", cs_server_get_port (ts->server));
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *frame = g_strdup_printf ("{\"type\": \"subscribe\", \"campaign_ids\": [\"%s\"]}", campaign_id);
  Subscriber *s = g_new0 (Subscriber, 1);
  FrameWanted ack = { s, "subscribed", NULL, 0, NULL };

  s->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  soup_session_websocket_connect_async (ts->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        subscriber_connected_cb, s);
  g_assert_true (cs_test_wait_for (ts, subscriber_connected, s));
  g_assert_no_error (s->error);
  g_signal_connect (s->conn, "message", G_CALLBACK (subscriber_message_cb), s);
  soup_websocket_connection_send_text (s->conn, frame);
  g_assert_true (cs_test_wait_for (ts, frame_arrived, &ack));
  return s;
}

static void
subscriber_free (Subscriber *s)
{
  g_signal_handlers_disconnect_by_data (s->conn, s);
  if (soup_websocket_connection_get_state (s->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (s->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_object_unref (s->conn);
  g_ptr_array_unref (s->frames);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Subscriber, subscriber_free)

/* ---- a pledge through B reaches a subscriber of A ------------------------------------ */

static void
test_live_across_instances (void)
{
  g_autofree char *campaign = live_campaign ("Across", 500000, 30, 0, NULL);
  g_autoptr(Subscriber) on_a = subscribe (a, campaign);
  g_autofree char *backer = cs_test_register (b, "acrossbacker", NULL);
  g_autofree char *pm = cs_test_card (b, CARD_OK);
  g_autoptr(CsTestResponse) pledge = cs_test_pledge (b, backer, campaign, 4200, NULL, pm, NULL);
  FrameWanted progress = { on_a, "campaign.progress", campaign, 4200, NULL };

  g_assert_cmpuint (pledge->status, ==, 201);
  /* B's jobs authorize it; the counted pledge is published to Redis by B
   * and relayed by A to its subscriber */
  g_assert_true (cs_test_wait_for (a, frame_arrived, &progress));
  g_assert_cmpint (json_object_get_int_member (progress.found, "current_amount"), ==, 4200);
  g_assert_cmpint (json_object_get_int_member (progress.found, "backer_count"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (progress.found, "status"), ==, "live");
}

/* ---- a limited tier over both instances --------------------------------------------------- */

typedef struct {
  CsTestServer *ts;
  const char   *campaign;
  const char   *tier;
  const char   *pm;
  char         *token;
  guint         status;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *r = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autofree char *url = g_strconcat (r->ts->base, "/api/v1/campaigns/", r->campaign, "/pledges", NULL);
  g_autofree char *body = g_strdup_printf ("{\"amount\": 1000, \"reward_tier_id\": \"%s\", \"payment_method\": \"%s\"}",
                                           r->tier, r->pm);
  g_autofree char *auth = g_strconcat ("Bearer ", r->token, NULL);
  g_autofree char *key = g_uuid_string_random ();
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) req_body = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) resp = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/json", req_body);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
  resp = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  r->status = soup_message_get_status (msg);
  return NULL;
}

static void
test_tier_not_oversold (void)
{
  enum { N_TIER = 5, N_RACERS = 20 };
  g_autofree char *tier = NULL;
  g_autofree char *campaign = live_campaign ("Scarce", 1000000, 30, N_TIER, &tier);
  g_autofree char *pm = cs_test_card (a, CARD_OK);
  Racer racers[N_RACERS];
  GThread *threads[N_RACERS];
  guint created = 0, sold_out = 0, created_on_b = 0;

  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("racer%u", i);
      CsTestServer *ts = i % 2 == 0 ? a : b;

      racers[i] = (Racer) { ts, campaign, tier, pm, cs_test_register (ts, name, NULL), 0 };
    }
  for (guint i = 0; i < N_RACERS; i++)
    threads[i] = g_thread_new ("racer", racer_thread, &racers[i]);
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_thread_join (threads[i]);
      if (racers[i].status == 201)
        {
          created++;
          created_on_b += racers[i].ts == b;
        }
      else if (racers[i].status == 409)
        sold_out++;
      else
        g_error ("racer %u got HTTP %u", i, racers[i].status);
      g_free (racers[i].token);
    }
  g_assert_cmpuint (created, ==, N_TIER);
  g_assert_cmpuint (sold_out, ==, N_RACERS - N_TIER);
  g_test_message ("%u of the %u winners pledged through B", created_on_b, created);

  /* both instances see the same claims */
  for (CsTestServer **ts = (CsTestServer *[]) { a, b, NULL }; *ts != NULL; ts++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/campaigns/", campaign, "/rewards", NULL);
      g_autoptr(CsTestResponse) tiers = cs_test_request (*ts, "GET", path, NULL, NULL);
      JsonObject *t = json_array_get_object_element (json_object_get_array_member (cs_test_object (tiers), "items"), 0);

      g_assert_cmpint (json_object_get_int_member (t, "quantity_claimed"), ==, N_TIER);
    }
  cs_test_assert_books (a);
}

/* ---- settlement by two jobs threads ---------------------------------------------------------- */

typedef struct {
  char **campaigns;
  guint  n;
} Ending;

static gboolean
all_settled (CsTestServer *ts, gpointer data)
{
  Ending *e = data;

  for (guint i = 0; i < e->n; i++)
    {
      g_autoptr(CsTestResponse) resp = NULL;
      JsonObject *c = campaign_on (ts, e->campaigns[i], &resp);

      if (g_strcmp0 (json_object_get_string_member (c, "status"), "live") == 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
all_backed (CsTestServer *ts, gpointer data)
{
  Ending *e = data;

  for (guint i = 0; i < e->n; i++)
    {
      g_autoptr(CsTestResponse) resp = NULL;
      JsonObject *c = campaign_on (ts, e->campaigns[i], &resp);

      if (json_object_get_int_member (c, "backer_count") < 1)
        return FALSE;
    }
  return TRUE;
}

static void
test_settled_exactly_once (void)
{
  enum { N = 6 };
  g_autofree char *backer = cs_test_register (b, "settlebacker", NULL);
  g_autofree char *pm = cs_test_card (b, CARD_OK);
  char *campaigns[N + 1] = { NULL };
  Ending ending = { campaigns, N };
  g_autofree char *clock = NULL;

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *title = g_strdup_printf ("Ending %u", i);
      /* even ones reach their goal of 2000, odd ones do not */
      g_autoptr(CsTestResponse) pledge = NULL;

      campaigns[i] = live_campaign (title, 2000, 1, 0, NULL);
      pledge = cs_test_pledge (i % 2 == 0 ? b : a, backer, campaigns[i], i % 2 == 0 ? 2500 : 1000, NULL, pm, NULL);
      g_assert_cmpuint (pledge->status, ==, 201);
    }
  /* every pledge authorized (counted) before the end */
  g_assert_true (cs_test_wait_for (a, all_backed, &ending));
  cs_test_assert_books (a);

  /* The shared test clock moves two days ahead in the database itself, so
   * that neither instance is told first: both jobs threads pick it up at
   * their next poll and race for the same campaigns. */
  clock = g_strdup_printf ("INSERT INTO settings (key, value) VALUES ('sandbox.clock_offset', %d) "
                           "ON CONFLICT (key) DO UPDATE SET value = settings.value + %d", 2 * DAY, 2 * DAY);
  cs_test_db_exec (a->config->database_url, clock);
  g_assert_true (cs_test_wait_for (a, all_settled, &ending));

  for (guint i = 0; i < N; i++)
    {
      g_autoptr(CsTestResponse) on_a = NULL, on_b = NULL;
      JsonObject *ca = campaign_on (a, campaigns[i], &on_a);
      JsonObject *cb = campaign_on (b, campaigns[i], &on_b);
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM audit_log WHERE subject_id = '%s' "
                                              "AND actor_id IS NULL AND action IN ('campaign.succeed', 'campaign.fail')",
                                              campaigns[i]);
      g_autofree char *settlements = cs_test_db_query_text (a->config->database_url, sql);

      g_assert_cmpstr (json_object_get_string_member (ca, "status"), ==, i % 2 == 0 ? "successful" : "failed");
      g_assert_cmpstr (json_object_get_string_member (cb, "status"), ==, json_object_get_string_member (ca, "status"));
      g_assert_cmpstr (settlements, ==, "1");
    }
  /* captures of the successful ones, voids of the failed ones: each once */
  cs_test_assert_books (a);
  {
    g_autofree char *doubled = cs_test_db_query_text (a->config->database_url,
      "SELECT count(*) FROM (SELECT pledge_id, kind FROM payment_jobs WHERE pledge_id IS NOT NULL "
      "GROUP BY pledge_id, kind HAVING count(*) > 1) AS d");

    g_assert_cmpstr (doubled, ==, "0");
  }
  for (guint i = 0; i < N; i++)
    g_free (campaigns[i]);
}

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  if (!cs_test_db_is_postgresql ())
    {
      g_printerr ("SKIP: the multi-instance suite runs on PostgreSQL (server-multi-instance-pg)\n");
      return 77;
    }
  if (cs_test_redis_url () == NULL)
    g_error ("CS_TEST_REDIS is not set: tests/services.sh provides it");

  a = cs_test_server_new (tweak);
  b = cs_test_server_new_sharing (a, tweak);
  creator = cs_test_register (a, "multicreator", NULL);
  moderator = cs_test_staff_token (a, "multimod", CS_ROLE_MODERATOR);

  g_test_add_func ("/multi/live-across-instances", test_live_across_instances);
  g_test_add_func ("/multi/tier-not-oversold", test_tier_not_oversold);
  g_test_add_func ("/multi/settled-exactly-once", test_settled_exactly_once);
  status = g_test_run ();

  g_free (creator);
  g_free (moderator);
  cs_test_server_free (b);
  cs_test_server_free (a);
  return status;
}
