/* test-session.c: signing in and staying signed in across starts, with a
 * real gnome-keyring (tests/desktop-session.sh) and a real server; and,
 * with CS_TEST_NO_KEYRING=1 (desktop-session.sh --no-keyring), what
 * happens when there is no Secret Service at all. */
#include "config.h"

#define SECRET_API_SUBJECT_TO_CHANGE
#include <libsecret/secret.h>

#include "../server/cs-test-server.h"  /* server_test_dep carries no include path */
#include "cs-session.h"
#include "cs-client-error.h"
#include "cs-client-test-wait.h"

#define PASSWORD "correct horse battery"

static CsTestServer *ts;
static guint user_counter;

/* The schema as documented in cs-secret-store.h (and the README), spelt
 * out again here so that the test checks the documented contract. */
static const SecretSchema documented_schema = {
  "io.github.crowdspark.CrowdSpark.Account", SECRET_SCHEMA_NONE,
  {
    { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "user-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* ---- helpers ---------------------------------------------------------------------- */

typedef struct {
  CsApiClient   *api;
  CsSecretStore *secrets;
  CsSession     *session;
} App;

/* One start of the app: a new API client, keyring store and session. */
static App *
app_new (gboolean with_keyring)
{
  App *app = g_new0 (App, 1);

  app->api = cs_api_client_new (ts->base);
  app->secrets = with_keyring ? cs_secret_store_new () : NULL;
  app->session = cs_session_new (app->api, app->secrets);
  return app;
}

static void
app_free (App *app)
{
  g_clear_object (&app->session);
  g_clear_object (&app->secrets);
  g_clear_object (&app->api);
  g_free (app);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (App, app_free)

static gboolean
restore (App *app, GError **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  AWAIT (res, cs_session_restore_async (app->session, NULL, CB (res)));
  return cs_session_restore_finish (app->session, res, error);
}

static char *
sign_up (App *app)
{
  g_autofree char *username = g_strdup_printf ("sessionuser%u", ++user_counter);
  g_autofree char *email = g_strdup_printf ("%s@example.com", username);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;

  AWAIT (res, cs_session_sign_up_async (app->session, email, username, PASSWORD, NULL, CB (res)));
  g_assert_true (cs_session_sign_up_finish (app->session, res, &error));
  g_assert_no_error (error);
  g_assert_true (cs_session_get_signed_in (app->session));
  g_assert_cmpstr (cs_session_get_username (app->session), ==, username);
  return g_steal_pointer (&username);
}

static void
sign_in (App *app, const char *login)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;

  AWAIT (res, cs_session_sign_in_async (app->session, login, PASSWORD, NULL, CB (res)));
  g_assert_true (cs_session_sign_in_finish (app->session, res, &error));
  g_assert_no_error (error);
  g_assert_true (cs_session_get_signed_in (app->session));
}

static void
sign_out (App *app)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;

  AWAIT (res, cs_session_sign_out_async (app->session, NULL, CB (res)));
  g_assert_true (cs_session_sign_out_finish (app->session, res, &error));
  g_assert_no_error (error);
  g_assert_false (cs_session_get_signed_in (app->session));
  g_assert_null (cs_session_get_user_id (app->session));
}

static CsUser *
get_me (App *app, GError **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  AWAIT (res, cs_api_client_get_me_async (app->api, NULL, CB (res)));
  return cs_api_client_get_me_finish (app->api, res, error);
}

/* The secret stored for the test server with exactly these attributes.
 * (The async API on this context: libsecret's *_sync calls leak the D-Bus
 * messages their private main context never dispatches.) */
static char *
stored_secret (const char *user_id, const char *username)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  char *secret;

  AWAIT (res, secret_password_lookup (&documented_schema, NULL, CB (res),
                                      "server", ts->base,
                                      "user-id", user_id,
                                      "username", username,
                                      NULL));
  secret = secret_password_lookup_finish (res, &error);
  g_assert_no_error (error);
  return secret;
}

static void
got_service_paths_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  guint *n = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) unlocked = NULL;
  g_auto(GStrv) locked = NULL;

  g_assert_true (secret_service_search_for_dbus_paths_finish (SECRET_SERVICE (source), result, &unlocked,
                                                              &locked, &error));
  g_assert_no_error (error);
  *n = g_strv_length (unlocked) + g_strv_length (locked);
}

static guint
n_items_for_server (void)
{
  g_autoptr(GHashTable) attributes = secret_attributes_build (&documented_schema, "server", ts->base, NULL);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SecretService) service = NULL;
  guint n = G_MAXUINT;

  AWAIT (res, secret_service_get (SECRET_SERVICE_NONE, NULL, CB (res)));
  service = secret_service_get_finish (res, &error);
  g_assert_no_error (error);
  secret_service_search_for_dbus_paths (service, &documented_schema, attributes, NULL, got_service_paths_cb, &n);
  ITERATE_UNTIL (n != G_MAXUINT);
  return n;
}

static gboolean
secret_is (const char *user_id, const char *username, const char *expected)
{
  g_autofree char *secret = stored_secret (user_id, username);

  return g_strcmp0 (secret, expected) == 0;
}

/* ---- with a keyring ----------------------------------------------------------------- */

static void
test_nothing_saved (void)
{
  g_autoptr(App) app = app_new (TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_false (restore (app, &error));
  g_assert_no_error (error);
  g_assert_false (cs_session_get_signed_in (app->session));
  g_assert_true (cs_session_get_keyring_available (app->session));
  g_assert_null (cs_session_get_keyring_error (app->session));
}

static void
test_keyring_lifecycle (void)
{
  g_autoptr(App) first = app_new (TRUE);
  g_autoptr(App) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) me = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autofree char *username = sign_up (first);
  g_autofree char *user_id = g_strdup (cs_session_get_user_id (first->session));
  g_autofree char *refresh = cs_api_client_dup_refresh_token (first->api);
  g_autofree char *rotated = NULL;

  /* sign-up stored the refresh token under the documented attributes */
  g_assert_true (cs_session_get_keyring_available (first->session));
  g_assert_true (secret_is (user_id, username, refresh));
  g_assert_cmpuint (n_items_for_server (), ==, 1);
  g_assert_cmpstr (cs_session_get_role (first->session), ==, "backer");
  g_clear_pointer (&first, app_free);

  /* the next start restores it, and a call works (refreshing the token) */
  second = app_new (TRUE);
  g_assert_true (restore (second, &error));
  g_assert_no_error (error);
  g_assert_true (cs_session_get_signed_in (second->session));
  g_assert_cmpstr (cs_session_get_user_id (second->session), ==, user_id);
  g_assert_cmpstr (cs_session_get_username (second->session), ==, username);
  me = get_me (second, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me->id, ==, user_id);

  /* the restore's refresh rotated the token: the keyring holds the new one */
  rotated = cs_api_client_dup_refresh_token (second->api);
  g_assert_cmpstr (rotated, !=, refresh);
  ITERATE_UNTIL (secret_is (user_id, username, rotated));
  g_assert_cmpuint (n_items_for_server (), ==, 1);

  /* and so does every later rotation */
  AWAIT (res, cs_api_client_refresh_async (second->api, NULL, CB (res)));
  g_assert_true (cs_api_client_refresh_finish (second->api, res, &error));
  g_assert_no_error (error);
  g_clear_pointer (&rotated, g_free);
  rotated = cs_api_client_dup_refresh_token (second->api);
  ITERATE_UNTIL (secret_is (user_id, username, rotated));
  g_assert_cmpuint (n_items_for_server (), ==, 1);

  /* sign-out deletes it */
  sign_out (second);
  g_assert_cmpuint (n_items_for_server (), ==, 0);
  g_clear_pointer (&second, app_free);

  second = app_new (TRUE);
  g_assert_false (restore (second, &error));
  g_assert_no_error (error);
  g_assert_false (cs_session_get_signed_in (second->session));
}

static void
test_refused_token_clears (void)
{
  g_autoptr(App) app = app_new (TRUE);
  g_autoptr(App) thief = app_new (FALSE);
  g_autoptr(App) later = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autofree char *username = sign_up (app);
  g_autofree char *user_id = g_strdup (cs_session_get_user_id (app->session));
  g_autofree char *refresh = cs_api_client_dup_refresh_token (app->api);

  /* another user of the saved token rotates it: the saved one is now a
   * reused token, which the server refuses (and revokes the session) */
  cs_api_client_set_tokens (thief->api, NULL, refresh);
  AWAIT (res, cs_api_client_refresh_async (thief->api, NULL, CB (res)));
  g_assert_true (cs_api_client_refresh_finish (thief->api, res, &error));
  g_assert_no_error (error);
  g_assert_true (secret_is (user_id, username, refresh));

  later = app_new (TRUE);
  g_assert_false (restore (later, &error));
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_assert_false (cs_session_get_signed_in (later->session));
  g_assert_null (cs_session_get_user_id (later->session));
  g_assert_cmpuint (n_items_for_server (), ==, 0);

  /* signing in again stores a fresh one */
  sign_in (later, username);
  g_clear_pointer (&refresh, g_free);
  refresh = cs_api_client_dup_refresh_token (later->api);
  g_assert_true (secret_is (user_id, username, refresh));
  sign_out (later);
}

/* A refused refresh while running (not at restore) signs out and clears. */
static void
test_refused_while_running (void)
{
  g_autoptr(App) app = app_new (TRUE);
  g_autoptr(App) thief = app_new (FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autofree char *username = sign_up (app);
  g_autofree char *refresh = cs_api_client_dup_refresh_token (app->api);

  g_assert_nonnull (username);
  cs_api_client_set_tokens (thief->api, NULL, refresh);
  AWAIT (res, cs_api_client_refresh_async (thief->api, NULL, CB (res)));
  g_assert_true (cs_api_client_refresh_finish (thief->api, res, &error));

  /* the app's access token still works until it refreshes */
  AWAIT (res, cs_api_client_refresh_async (app->api, NULL, CB (res)));
  g_assert_false (cs_api_client_refresh_finish (app->api, res, &error));
  g_assert_error (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH);
  g_assert_false (cs_session_get_signed_in (app->session));
  ITERATE_UNTIL (n_items_for_server () == 0);
}

/* ---- without a keyring --------------------------------------------------------------- */

static void
test_no_keyring (void)
{
  g_autoptr(App) app = app_new (TRUE);
  g_autoptr(App) none = app_new (FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) me = NULL;
  g_autofree char *username = NULL;

  /* nothing can be restored, and the session says why */
  g_assert_false (restore (app, &error));
  g_assert_no_error (error);
  g_assert_false (cs_session_get_keyring_available (app->session));
  g_assert_nonnull (cs_session_get_keyring_error (app->session));
  g_assert_cmpstr (cs_session_get_keyring_error (app->session), !=, "");

  /* signing up and in still works, for this run */
  username = sign_up (app);
  me = get_me (app, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me->username, ==, username);
  sign_out (app);
  sign_in (app, username);
  g_assert_cmpstr (cs_session_get_username (app->session), ==, username);
  g_assert_false (cs_session_get_keyring_available (app->session));

  /* a session made without a store never had one */
  g_assert_false (cs_session_get_keyring_available (none->session));
  g_assert_false (restore (none, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  ts = cs_test_server_new (NULL);

  if (g_strcmp0 (g_getenv ("CS_TEST_NO_KEYRING"), "1") == 0)
    g_test_add_func ("/session/no-keyring", test_no_keyring);
  else
    {
      g_test_add_func ("/session/nothing-saved", test_nothing_saved);
      g_test_add_func ("/session/keyring-lifecycle", test_keyring_lifecycle);
      g_test_add_func ("/session/refused-token-clears", test_refused_token_clears);
      g_test_add_func ("/session/refused-while-running", test_refused_while_running);
    }
  status = g_test_run ();

  cs_test_server_free (ts);
  return status;
}
