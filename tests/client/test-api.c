/* test-api.c: the client library's API client and live client against a
 * real server (in-process, on its own threads and port); the client runs on
 * this thread's main context, which the tests iterate until the callback
 * ran. */
#include "config.h"

#include <string.h>

#include "../server/cs-test-server.h"  /* server_test_dep carries no include path (see report) */
#include "cs-api-client.h"
#include "cs-client-error.h"

#define WAIT_SECONDS 30

static CsTestServer *ts;
static char *creator;        /* access tokens made over plain HTTP */
static char *moderator;
static char *campaign_id;    /* live, with one limited tier */
static char *tier_id;
static guint user_counter;

/* ---- waiting on the main context ------------------------------------------- */

static gboolean
timed_out_cb (gpointer data)
{
  gboolean *timed_out = data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

#define ITERATE_UNTIL(cond)                                                         \
  G_STMT_START {                                                                    \
    gboolean timed_out_ = FALSE;                                                    \
    guint timeout_id_ = g_timeout_add_seconds (WAIT_SECONDS, timed_out_cb, &timed_out_); \
    while (!(cond) && !timed_out_)                                                  \
      g_main_context_iteration (NULL, TRUE);                                        \
    if (timed_out_)                                                                 \
      g_error ("timed out waiting for %s", #cond);                                  \
    g_source_remove (timeout_id_);                                                  \
  } G_STMT_END

static void
got_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

/* Runs @call with the callback storing into res, then waits for it. */
#define AWAIT(res, call) G_STMT_START { g_clear_object (&(res)); call; ITERATE_UNTIL ((res) != NULL); } G_STMT_END
#define CB(res) got_result_cb, &(res)

/* ---- helpers ------------------------------------------------------------------ */

typedef struct {
  guint  count;
  char  *last;           /* the last refresh token, NULL when it was NULL */
} TokenLog;

static void
tokens_changed_cb (CsApiClient *api, const char *refresh_token, TokenLog *log)
{
  log->count++;
  g_free (log->last);
  log->last = g_strdup (refresh_token);
}

static void
token_log_clear (TokenLog *log)
{
  g_clear_pointer (&log->last, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TokenLog, token_log_clear)

static CsApiClient *
api_new (void)
{
  return cs_api_client_new (ts->base);
}

/* A fresh account signed in on @api; returns its user. */
static CsUser *
sign_up (CsApiClient *api, const char *prefix)
{
  g_autofree char *username = g_strdup_printf ("%s%u", prefix, ++user_counter);
  g_autofree char *email = g_strdup_printf ("%s@example.com", username);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsApiAuth) auth = NULL;

  AWAIT (res, cs_api_client_register_async (api, email, username, "correct horse battery", NULL, CB (res)));
  auth = cs_api_client_register_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_nonnull (auth);
  return cs_user_copy (auth->user);
}

static CsUser *
get_me (CsApiClient *api, GError **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  AWAIT (res, cs_api_client_get_me_async (api, NULL, CB (res)));
  return cs_api_client_get_me_finish (api, res, error);
}

static char *
tokenize (CsApiClient *api, const char *number, GError **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  AWAIT (res, cs_api_client_tokenize_card_async (api, number, 12, 2099, "123", NULL, CB (res)));
  return cs_api_client_tokenize_card_finish (api, res, error);
}

static CsPledge *
create_pledge (CsApiClient *api, const char *campaign, gint64 amount, const char *tier, const char *pm,
               const char *key, GError **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  AWAIT (res, cs_api_client_create_pledge_async (api, campaign, amount, tier, pm, key, NULL, CB (res)));
  return cs_api_client_create_pledge_finish (api, res, error);
}

static void
assert_field (const GError *error, const char *field)
{
  GHashTable *fields = cs_client_error_get_fields (error);

  g_assert_nonnull (fields);
  g_assert_nonnull (g_hash_table_lookup (fields, field));
}

static char *
new_live_campaign (const char *title)
{
  return cs_test_live_campaign (ts, creator, moderator, title, 50000, 30, 0, NULL);
}

/* ---- auth ------------------------------------------------------------------ */

static void
test_auth (void)
{
  g_autoptr(CsApiClient) api = api_new ();
  g_auto(TokenLog) log = { 0 };
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) user = NULL;
  g_autoptr(CsUser) me = NULL;
  g_autoptr(CsApiAuth) auth = NULL;
  g_autofree char *first_refresh = NULL;
  g_autofree char *refresh = NULL;

  g_signal_connect (api, "tokens-changed", G_CALLBACK (tokens_changed_cb), &log);
  g_assert_cmpstr (cs_api_client_get_base_url (api), ==, ts->base);
  g_assert_false (cs_api_client_has_refresh_token (api));

  /* no token at all: AUTH without asking the server */
  me = get_me (api, &error);
  g_assert_null (me);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_clear_error (&error);

  user = sign_up (api, "authuser");
  g_assert_cmpuint (log.count, ==, 1);
  first_refresh = cs_api_client_dup_refresh_token (api);
  g_assert_nonnull (first_refresh);
  g_assert_cmpstr (log.last, ==, first_refresh);

  me = get_me (api, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me->id, ==, user->id);
  g_assert_cmpstr (me->username, ==, user->username);
  g_clear_pointer (&me, cs_user_free);

  /* the same username again: 409 */
  AWAIT (res, cs_api_client_register_async (api, "other@example.com", user->username, "correct horse battery",
                                            NULL, CB (res)));
  auth = cs_api_client_register_finish (api, res, &error);
  g_assert_null (auth);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 409);
  g_assert_false (cs_client_error_is_transient (error));
  g_clear_error (&error);

  /* invalid fields: 422 with field errors and a problem type */
  AWAIT (res, cs_api_client_register_async (api, "not-an-email", "x", "short", NULL, CB (res)));
  auth = cs_api_client_register_finish (api, res, &error);
  g_assert_null (auth);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 422);
  g_assert_nonnull (cs_client_error_get_problem_type (error));
  assert_field (error, "email");
  assert_field (error, "password");
  g_clear_error (&error);
  g_assert_cmpuint (log.count, ==, 1);   /* failures leave the tokens alone */

  /* a wrong password: AUTH (401) */
  AWAIT (res, cs_api_client_login_async (api, user->username, "wrong password here", NULL, CB (res)));
  auth = cs_api_client_login_finish (api, res, &error);
  g_assert_null (auth);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 401);
  g_clear_error (&error);

  /* login by username: new tokens */
  AWAIT (res, cs_api_client_login_async (api, user->username, "correct horse battery", NULL, CB (res)));
  auth = cs_api_client_login_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (auth->user->id, ==, user->id);
  g_assert_cmpuint (log.count, ==, 2);
  refresh = cs_api_client_dup_refresh_token (api);
  g_assert_cmpstr (refresh, ==, auth->refresh_token);
  g_assert_cmpstr (refresh, !=, first_refresh);

  /* an explicit refresh rotates it */
  AWAIT (res, cs_api_client_refresh_async (api, NULL, CB (res)));
  g_assert_true (cs_api_client_refresh_finish (api, res, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log.count, ==, 3);
  g_assert_cmpstr (log.last, !=, refresh);

  /* logout drops the tokens and revokes the session */
  g_clear_pointer (&refresh, g_free);
  refresh = cs_api_client_dup_refresh_token (api);
  AWAIT (res, cs_api_client_logout_async (api, NULL, CB (res)));
  g_assert_true (cs_api_client_logout_finish (api, res, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log.count, ==, 4);
  g_assert_null (log.last);
  g_assert_false (cs_api_client_has_refresh_token (api));
  me = get_me (api, &error);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_clear_error (&error);

  cs_api_client_set_tokens (api, NULL, refresh);
  me = get_me (api, &error);
  g_assert_null (me);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_assert_false (cs_api_client_has_refresh_token (api));
}

/* ---- refresh rotation ----------------------------------------------------------- */

static void
test_refresh_rotation (void)
{
  g_autoptr(CsApiClient) api = api_new ();
  g_autoptr(CsApiClient) replay = api_new ();
  g_auto(TokenLog) log = { 0 };
  g_auto(TokenLog) replay_log = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) user = sign_up (api, "rotator");
  g_autoptr(CsUser) me = NULL;
  g_autofree char *old_refresh = cs_api_client_dup_refresh_token (api);
  g_autofree char *access = NULL;

  g_signal_connect (api, "tokens-changed", G_CALLBACK (tokens_changed_cb), &log);
  g_signal_connect (replay, "tokens-changed", G_CALLBACK (tokens_changed_cb), &replay_log);

  /* an access token the server does not know, with a good refresh token */
  cs_api_client_set_tokens (api, "garbage-access-token", old_refresh);
  g_assert_cmpuint (log.count, ==, 0);
  me = get_me (api, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me->id, ==, user->id);
  g_assert_cmpuint (log.count, ==, 1);
  g_assert_nonnull (log.last);
  g_assert_cmpstr (log.last, !=, old_refresh);
  access = cs_api_client_dup_access_token (api);
  g_assert_cmpstr (access, !=, "garbage-access-token");
  g_clear_pointer (&me, cs_user_free);

  /* the rotated token is dead: another client reusing it fails AUTH and drops it */
  cs_api_client_set_tokens (replay, NULL, old_refresh);
  g_assert_cmpuint (replay_log.count, ==, 1);
  me = get_me (replay, &error);
  g_assert_null (me);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_assert_cmpuint (replay_log.count, ==, 2);
  g_assert_null (replay_log.last);
  g_assert_false (cs_api_client_has_refresh_token (replay));
  g_clear_error (&error);

  /* a refresh token the server never issued */
  cs_api_client_set_tokens (replay, "garbage", "garbage-refresh-token");
  me = get_me (replay, &error);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_assert_null (replay_log.last);
  g_assert_false (cs_api_client_has_refresh_token (replay));
}

typedef struct {
  CsApiClient *api;
  guint        done;
  guint        ok;
} Concurrent;

static void
concurrent_me_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Concurrent *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) me = cs_api_client_get_me_finish (c->api, result, &error);

  g_assert_no_error (error);
  c->ok += me != NULL;
  c->done++;
}

static void
test_concurrent_refresh (void)
{
  g_autoptr(CsApiClient) api = api_new ();
  g_auto(TokenLog) log = { 0 };
  g_autoptr(CsUser) user = sign_up (api, "concurrent");
  g_autofree char *refresh = cs_api_client_dup_refresh_token (api);
  Concurrent c = { api, 0, 0 };
  const guint n = 6;

  g_signal_connect (api, "tokens-changed", G_CALLBACK (tokens_changed_cb), &log);
  cs_api_client_set_tokens (api, "expired-or-garbage", refresh);
  for (guint i = 0; i < n; i++)
    cs_api_client_get_me_async (api, NULL, concurrent_me_cb, &c);
  ITERATE_UNTIL (c.done == n);
  g_assert_cmpuint (c.ok, ==, n);
  /* one shared refresh: a second one with the same token would have
   * revoked the session and failed the calls */
  g_assert_cmpuint (log.count, ==, 1);
  g_assert_cmpstr (log.last, !=, refresh);

  /* signed in from a saved refresh token alone: the first call refreshes */
  cs_api_client_set_tokens (api, NULL, log.last);
  c.done = c.ok = 0;
  for (guint i = 0; i < n; i++)
    cs_api_client_get_me_async (api, NULL, concurrent_me_cb, &c);
  ITERATE_UNTIL (c.done == n);
  g_assert_cmpuint (c.ok, ==, n);
  g_assert_cmpuint (log.count, ==, 2);
}

/* ---- error mapping --------------------------------------------------------------- */

static guint
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  guint port;

  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);   /* bound, never listening: refused */
  return port;
}

static void
test_errors (void)
{
  g_autofree char *offline_url = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(CsApiClient) offline = cs_api_client_new (offline_url);
  g_autoptr(CsApiClient) api = api_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) categories = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CsCampaign) campaign = NULL;
  g_autoptr(CsUser) me = NULL;

  /* offline */
  AWAIT (res, cs_api_client_list_categories_async (offline, NULL, CB (res)));
  categories = cs_api_client_list_categories_finish (offline, res, &error);
  g_assert_null (categories);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 0);
  g_assert_true (cs_client_error_is_transient (error));
  g_clear_error (&error);

  /* cancelled stays cancelled */
  g_cancellable_cancel (cancellable);
  AWAIT (res, cs_api_client_list_categories_async (api, cancellable, CB (res)));
  categories = cs_api_client_list_categories_finish (api, res, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* a 401 from the server (a token it does not know, nothing to refresh with) */
  cs_api_client_set_tokens (api, "not-a-token", NULL);
  me = get_me (api, &error);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 401);
  g_clear_error (&error);
  cs_api_client_set_tokens (api, NULL, NULL);

  /* 404 */
  AWAIT (res, cs_api_client_get_campaign_async (api, "cmp_does_not_exist", NULL, CB (res)));
  campaign = cs_api_client_get_campaign_finish (api, res, &error);
  g_assert_null (campaign);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 404);
  g_assert_cmpstr (error->message, !=, "");
  g_clear_error (&error);

  /* 422 from a query parameter, through the generic call */
  AWAIT (res, cs_api_client_call_async (api, "GET", "/api/v1/campaigns?sort=sideways", NULL, CS_API_CALL_DEFAULT,
                                        NULL, NULL, CB (res)));
  node = cs_api_client_call_finish (api, res, &error);
  g_assert_null (node);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 422);
  assert_field (error, "sort");
  g_clear_error (&error);

  /* an answer that is not JSON */
  AWAIT (res, cs_api_client_call_async (api, "GET", "/metrics", NULL, CS_API_CALL_DEFAULT, NULL, NULL, CB (res)));
  node = cs_api_client_call_finish (api, res, &error);
  g_assert_null (node);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_PARSE);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 200);
  g_clear_error (&error);

  /* JSON of the wrong shape for a typed call: /healthz is an object
   * without "items" */
  AWAIT (res, cs_api_client_call_async (api, "GET", "/healthz", NULL, CS_API_CALL_DEFAULT, NULL, NULL, CB (res)));
  node = cs_api_client_call_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
}

static void
no_sandbox (CsServerConfig *config)
{
  config->sandbox = FALSE;
}

/* A 5xx: pledging on a server that has no payment gateway is 503. */
static void
test_server_error (void)
{
  CsTestServer *plain = cs_test_server_new (no_sandbox);
  g_autoptr(CsApiClient) api = cs_api_client_new (plain->base);
  g_autoptr(CsUser) user = sign_up (api, "nogateway");
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = create_pledge (api, "cmp_any", 1000, NULL, "pm_any", NULL, &error);

  g_assert_null (pledge);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_SERVER);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 503);
  g_assert_true (cs_client_error_is_transient (error));
  g_clear_object (&api);
  cs_test_server_free (plain);
}

/* ---- campaigns, categories, updates, media, sync ------------------------------------ */

static GBytes *
tiny_png (void)
{
  static const guint8 png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
  };
  return g_bytes_new_static (png, sizeof png);
}

static gboolean
page_has (GPtrArray *campaigns, const char *id)
{
  for (guint i = 0; i < campaigns->len; i++)
    if (g_strcmp0 (((CsCampaign *) g_ptr_array_index (campaigns, i))->id, id) == 0)
      return TRUE;
  return FALSE;
}

static void
test_campaigns (void)
{
  g_autoptr(CsApiClient) api = api_new ();
  g_autofree char *second = new_live_campaign ("Second Campaign");
  g_autofree char *image_path = g_strconcat ("/api/v1/campaigns/", campaign_id, "/image", NULL);
  g_autofree char *updates_path = g_strconcat ("/api/v1/campaigns/", campaign_id, "/updates", NULL);
  g_autoptr(GBytes) png = tiny_png ();
  g_autoptr(CsTestResponse) uploaded = cs_test_request_full (ts, "POST", image_path, creator, "image/png", png, NULL);
  g_autoptr(CsTestResponse) posted = cs_test_request (ts, "PUT", updates_path, creator,
    "{\"title\": \"We are live\", \"content\": \"Thank you all.\", \"visibility\": \"public\"}");
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsApiCampaignPage) page = NULL;
  g_autoptr(CsApiCampaignPage) page2 = NULL;
  g_autoptr(CsCampaign) campaign = NULL;
  g_autoptr(GPtrArray) categories = NULL;
  g_autoptr(GPtrArray) updates = NULL;
  g_autoptr(GBytes) media = NULL;
  g_autoptr(CsApiSyncPage) sync = NULL;
  g_autoptr(CsApiSyncPage) sync2 = NULL;
  CsApiCampaignQuery query = { .sort = CS_API_SORT_NEWEST, .limit = 1 };
  gboolean found_category = FALSE;
  CsUpdate *update;

  g_assert_cmpuint (uploaded->status, ==, 200);
  g_assert_cmpuint (posted->status, ==, 201);

  /* two pages of one */
  AWAIT (res, cs_api_client_list_campaigns_async (api, &query, NULL, CB (res)));
  page = cs_api_client_list_campaigns_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->campaigns->len, ==, 1);
  g_assert_nonnull (page->next_cursor);
  g_assert_true (page_has (page->campaigns, second));   /* the newest */
  query.cursor = page->next_cursor;
  AWAIT (res, cs_api_client_list_campaigns_async (api, &query, NULL, CB (res)));
  page2 = cs_api_client_list_campaigns_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page2->campaigns->len, ==, 1);
  g_assert_true (page_has (page2->campaigns, campaign_id));

  /* a category filter and a text query */
  {
    CsApiCampaignQuery q = { .sort = CS_API_SORT_MOST_FUNDED, .category = "games", .text = "Second" };
    g_autoptr(CsApiCampaignPage) filtered = NULL;

    AWAIT (res, cs_api_client_list_campaigns_async (api, &q, NULL, CB (res)));
    filtered = cs_api_client_list_campaigns_finish (api, res, &error);
    g_assert_no_error (error);
    g_assert_true (page_has (filtered->campaigns, second));
    g_assert_false (page_has (filtered->campaigns, campaign_id));
  }

  AWAIT (res, cs_api_client_get_campaign_async (api, campaign_id, NULL, CB (res)));
  campaign = cs_api_client_get_campaign_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (campaign->id, ==, campaign_id);
  g_assert_cmpint (campaign->status, ==, CS_CAMPAIGN_LIVE);
  g_assert_cmpuint (campaign->rewards->len, ==, 1);
  g_assert_cmpstr (((CsRewardTier *) g_ptr_array_index (campaign->rewards, 0))->id, ==, tier_id);
  g_assert_nonnull (campaign->image_url);

  AWAIT (res, cs_api_client_fetch_media_async (api, campaign->image_url, NULL, CB (res)));
  media = cs_api_client_fetch_media_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (media, png));
  g_clear_pointer (&media, g_bytes_unref);
  AWAIT (res, cs_api_client_fetch_media_async (api, "/media/0000000000000000000000000000000000000000000000000000000000000000.png",
                                               NULL, CB (res)));
  media = cs_api_client_fetch_media_finish (api, res, &error);
  g_assert_null (media);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 404);
  g_clear_error (&error);

  AWAIT (res, cs_api_client_list_categories_async (api, NULL, CB (res)));
  categories = cs_api_client_list_categories_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (categories->len, >, 0);
  for (guint i = 0; i < categories->len; i++)
    {
      CsCategory *category = g_ptr_array_index (categories, i);

      g_assert_nonnull (category->name);
      if (g_strcmp0 (category->slug, "games") == 0)
        {
          found_category = TRUE;
          g_assert_cmpint (category->live_count, >=, 1);
        }
    }
  g_assert_true (found_category);

  AWAIT (res, cs_api_client_list_updates_async (api, campaign_id, NULL, CB (res)));
  updates = cs_api_client_list_updates_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (updates->len, ==, 1);
  update = g_ptr_array_index (updates, 0);
  g_assert_cmpstr (update->title, ==, "We are live");
  g_assert_cmpstr (update->content, ==, "Thank you all.");

  AWAIT (res, cs_api_client_sync_async (api, NULL, NULL, CB (res)));
  sync = cs_api_client_sync_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_true (page_has (sync->campaigns, campaign_id));
  g_assert_nonnull (sync->next_cursor);
  g_assert_nonnull (sync->tombstones);
  AWAIT (res, cs_api_client_sync_async (api, sync->next_cursor, NULL, CB (res)));
  sync2 = cs_api_client_sync_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_false (page_has (sync2->campaigns, campaign_id));   /* nothing changed since */
}

/* ---- money ---------------------------------------------------------------------------- */

static void
test_pledges (void)
{
  g_autoptr(CsApiClient) api = api_new ();
  g_autoptr(CsUser) backer = sign_up (api, "backer");
  g_autofree char *campaign = new_live_campaign ("Pledged Campaign");
  g_autofree char *key = cs_api_new_idempotency_key ();
  g_autofree char *pm = NULL;
  g_autofree char *bad_pm = NULL;
  g_autofree char *pledge_path = NULL;
  g_autofree char *token = cs_api_client_dup_access_token (api);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = NULL;
  g_autoptr(CsPledge) again = NULL;
  g_autoptr(CsPledge) got = NULL;
  g_autoptr(CsPledge) changed = NULL;
  g_autoptr(CsPledge) cancelled = NULL;
  g_autoptr(GPtrArray) mine = NULL;

  g_assert_true (g_uuid_string_is_valid (key));

  /* a card that fails the Luhn check: 422 on card_number */
  bad_pm = tokenize (api, "4242424242424241", &error);
  g_assert_null (bad_pm);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  assert_field (error, "card_number");
  g_clear_error (&error);
  pm = tokenize (api, "4242424242424242", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (pm, "pm_"));

  /* below the minimum: 422 */
  pledge = create_pledge (api, campaign, 1, NULL, pm, NULL, &error);
  g_assert_null (pledge);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 422);
  g_clear_error (&error);

  /* the same key twice: one pledge */
  pledge = create_pledge (api, campaign, 2500, NULL, pm, key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pledge->campaign_id, ==, campaign);
  g_assert_cmpstr (pledge->backer_id, ==, backer->id);
  g_assert_cmpint (pledge->amount, ==, 2500);
  again = create_pledge (api, campaign, 2500, NULL, pm, key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->id, ==, pledge->id);
  g_clear_pointer (&again, cs_pledge_free);

  /* a second pledge with a new key on the same campaign: 409 */
  again = create_pledge (api, campaign, 3000, NULL, pm, NULL, &error);
  g_assert_null (again);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_assert_cmpuint (cs_client_error_get_status (error), ==, 409);
  g_clear_error (&error);

  pledge_path = g_strconcat ("/api/v1/pledges/", pledge->id, NULL);
  cs_test_wait_field (ts, token, pledge_path, "status", "authorized");

  AWAIT (res, cs_api_client_get_pledge_async (api, pledge->id, NULL, CB (res)));
  got = cs_api_client_get_pledge_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->status, ==, CS_PLEDGE_AUTHORIZED);

  AWAIT (res, cs_api_client_change_pledge_async (api, pledge->id, 4000, NULL, NULL, NULL, CB (res)));
  changed = cs_api_client_change_pledge_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changed->amount, ==, 4000);

  AWAIT (res, cs_api_client_list_user_pledges_async (api, backer->id, NULL, CB (res)));
  mine = cs_api_client_list_user_pledges_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mine->len, ==, 1);
  g_assert_cmpstr (((CsPledge *) g_ptr_array_index (mine, 0))->id, ==, pledge->id);
  g_assert_cmpstr (((CsPledge *) g_ptr_array_index (mine, 0))->campaign_title, ==, "Pledged Campaign");
  g_clear_pointer (&mine, g_ptr_array_unref);

  /* someone else's pledges: refused */
  AWAIT (res, cs_api_client_list_user_pledges_async (api, "usr_somebody_else", NULL, CB (res)));
  mine = cs_api_client_list_user_pledges_finish (api, res, &error);
  g_assert_null (mine);
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT);
  g_clear_error (&error);

  g_clear_pointer (&key, g_free);
  key = cs_api_new_idempotency_key ();
  AWAIT (res, cs_api_client_cancel_pledge_async (api, pledge->id, key, NULL, CB (res)));
  cancelled = cs_api_client_cancel_pledge_finish (api, res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cancelled->status, ==, CS_PLEDGE_CANCELLED);
}

/* ---- main -------------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  ts = cs_test_server_new (NULL);
  creator = cs_test_register (ts, "apicreator", NULL);
  moderator = cs_test_staff_token (ts, "apimoderator", CS_ROLE_MODERATOR);
  campaign_id = cs_test_live_campaign (ts, creator, moderator, "First Campaign", 100000, 30, 10, &tier_id);

  g_test_add_func ("/api/auth", test_auth);
  g_test_add_func ("/api/refresh-rotation", test_refresh_rotation);
  g_test_add_func ("/api/concurrent-refresh", test_concurrent_refresh);
  g_test_add_func ("/api/errors", test_errors);
  g_test_add_func ("/api/server-error", test_server_error);
  g_test_add_func ("/api/campaigns", test_campaigns);
  g_test_add_func ("/api/pledges", test_pledges);
  status = g_test_run ();

  g_free (creator);
  g_free (moderator);
  g_free (campaign_id);
  g_free (tier_id);
  cs_test_server_free (ts);
  return status;
}
