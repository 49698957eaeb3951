/* test-flows.c: the sign-in dialog, the pledge dialog and the dashboard,
 * in-process, against a real server (tests/server/cs-test-server.h) with a
 * real cache, keyring and display (tests/desktop-session.sh --display).
 *
 * The widgets are driven as a person would (text typed into the rows,
 * buttons activated); every wait iterates the main context until the
 * condition holds, with a timeout that fails the test.  Screenshots of each
 * step go to CS_SCREENSHOT_DIR (cs_test_app_screenshot) and must not be blank.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <adwaita.h>

#include "cs-test-app.h"
#include "cs-context.h"
#include "cs-dashboard-page.h"
#include "cs-pledge-dialog.h"
#include "cs-pledge-row.h"
#include "cs-sign-in-dialog.h"

/* The app's resources (the templates), compiled with c_name cs_app. */
GResource *cs_app_get_resource (void);

#define WAIT_SECONDS 60
#define PASSWORD     "correct horse battery"

typedef struct {
  CsTestServer *ts;
  char         *data_dir;
  CsContext    *context;
  GtkWidget    *parent;
  char         *creator_token;
  char         *moderator_token;
  char         *last_action;   /* "open-campaign ID", "sign-in", ... */
} Fixture;

/* ---- waiting ------------------------------------------------------------ */

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds; fails after WAIT_SECONDS. */
#define WAIT_FOR(cond, what) G_STMT_START {                                      \
    gint64 _end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;       \
    guint _wake = g_timeout_add (20, wake_cb, NULL);                             \
    while (!(cond))                                                              \
      {                                                                          \
        if (g_get_monotonic_time () > _end)                                      \
          g_error ("Timed out waiting for %s", what);                            \
        g_main_context_iteration (NULL, TRUE);                                   \
      }                                                                          \
    g_source_remove (_wake);                                                     \
  } G_STMT_END

static void
store_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
await (GAsyncResult **slot, const char *what)
{
  WAIT_FOR (*slot != NULL, what);
  return *slot;
}

static void
flag_cb (gpointer instance, gpointer user_data)
{
  (*(int *) user_data)++;
}

static void
pledge_made_cb (GtkWidget *dialog, const char *pledge_id, gpointer user_data)
{
  g_assert_nonnull (pledge_id);
  (*(int *) user_data)++;
}

/* ---- widgets -------------------------------------------------------------- */

static gpointer
child (gpointer widget, GType type, const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (object);
  return object;
}

static const char *
step_of (GtkWidget *dialog)
{
  GtkStack *steps = child (dialog, CS_TYPE_PLEDGE_DIALOG, "steps");

  return gtk_stack_get_visible_child_name (steps);
}

static void
collect_descendants (GtkWidget *widget, GType type, GPtrArray *out)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (c, type))
        g_ptr_array_add (out, c);
      collect_descendants (c, type, out);
    }
}

static void
type_into (gpointer editable, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (editable), text);
}

/* A click as a person makes it (only on a sensitive, visible button; a
 * button's "activate" would wait for its pressed animation). */
static void
click (gpointer button)
{
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (button)));
  g_assert_true (gtk_widget_is_visible (GTK_WIDGET (button)));
  if (GTK_IS_CHECK_BUTTON (button))
    gtk_check_button_set_active (GTK_CHECK_BUTTON (button), TRUE);
  else
    g_signal_emit_by_name (button, "clicked");
}

static gboolean
label_shown (gpointer label)
{
  return gtk_widget_get_visible (GTK_WIDGET (label)) && *gtk_label_get_text (GTK_LABEL (label)) != '\0';
}

/* ---- the fixture ---------------------------------------------------------------- */

/* The window actions the widgets use (app-contract.md), recording what they get. */
static void
record_action_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  Fixture *f = user_data;

  g_free (f->last_action);
  f->last_action = parameter
    ? g_strdup_printf ("%s %s", g_action_get_name (G_ACTION (action)), g_variant_get_string (parameter, NULL))
    : g_strdup (g_action_get_name (G_ACTION (action)));
}

static void
add_window_actions (Fixture *f)
{
  const GActionEntry entries[] = {
    { "open-campaign", record_action_cb, "s", NULL, NULL, { 0 } },
    { "sign-in", record_action_cb, NULL, NULL, NULL, { 0 } },
    { "show-discover", record_action_cb, NULL, NULL, NULL, { 0 } },
  };
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();

  g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), f);
  gtk_widget_insert_action_group (f->parent, "win", G_ACTION_GROUP (group));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  f->ts = cs_test_server_new (NULL);
  f->data_dir = g_dir_make_tmp ("crowdspark-flows-XXXXXX", &error);
  g_assert_no_error (error);
  f->context = cs_context_new (f->ts->base, f->data_dir, TRUE, &error);
  g_assert_no_error (error);
  cs_context_start_async (f->context, NULL, store_result_cb, &result);
  g_assert_false (cs_context_start_finish (f->context, await (&result, "the context to start"), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  f->parent = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->parent), 900, 700);
  add_window_actions (f);
  gtk_window_present (GTK_WINDOW (f->parent));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->parent));
  cs_sync_engine_stop (cs_context_get_sync_engine (f->context));
  g_clear_object (&f->context);
  /* Let cancelled calls and destroyed windows finish on the main context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  cs_test_server_free (f->ts);
  cs_test_app_remove_tree (f->data_dir);
  g_free (f->data_dir);
  g_free (f->creator_token);
  g_free (f->moderator_token);
  g_free (f->last_action);
}

/* A live campaign (one tier "Limited" at a minimum of $10.00) by a new creator. */
static char *
live_campaign (Fixture *f, const char *title, char **tier_id)
{
  if (f->creator_token == NULL)
    {
      f->creator_token = cs_test_register (f->ts, "creator", NULL);
      f->moderator_token = cs_test_staff_token (f->ts, "moderator", CS_ROLE_MODERATOR);
    }
  return cs_test_live_campaign (f->ts, f->creator_token, f->moderator_token, title, 100000, 30, 50, tier_id);
}

/* Creates and signs in a backer through the session (not the dialog). */
static void
sign_up_backer (Fixture *f, const char *username)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *email = g_strconcat (username, "@example.org", NULL);
  GAsyncResult *result = NULL;
  CsSession *session = cs_context_get_session (f->context);

  cs_session_sign_up_async (session, email, username, PASSWORD, NULL, store_result_cb, &result);
  g_assert_true (cs_session_sign_up_finish (session, await (&result, "signing up"), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
}

static void
refresh (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  CsSyncEngine *engine = cs_context_get_sync_engine (f->context);

  cs_sync_engine_refresh_async (engine, NULL, store_result_cb, &result);
  g_assert_true (cs_sync_engine_refresh_finish (engine, await (&result, "a sync pass"), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
}

/* The signed-in backer's pledges as the server lists them. */
static JsonArray *
server_pledges (Fixture *f, CsTestResponse **resp_out)
{
  CsApiClient *api = cs_context_get_api (f->context);
  g_autofree char *token = cs_api_client_dup_access_token (api);
  g_autofree char *path = g_strdup_printf ("/api/v1/users/%s/pledges",
                                           cs_session_get_user_id (cs_context_get_session (f->context)));
  CsTestResponse *resp = cs_test_request (f->ts, "GET", path, token, NULL);

  g_assert_cmpuint (resp->status, ==, 200);
  *resp_out = resp;
  return json_object_get_array_member (cs_test_object (resp), "items");
}

/* ---- the sign-in dialog -------------------------------------------------------------- */

static void
test_sign_up (Fixture *f, gconstpointer data)
{
  GtkWidget *dialog = cs_sign_in_dialog_new (f->context, GTK_WINDOW (f->parent));
  GType type = CS_TYPE_SIGN_IN_DIALOG;
  CsSession *session = cs_context_get_session (f->context);
  int signed_in = 0;

  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  g_signal_connect (dialog, "signed-in", G_CALLBACK (flag_cb), &signed_in);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->parent));
  g_assert_cmpstr (adw_window_title_get_subtitle (child (dialog, type, "window_title")), ==, f->ts->base);
  g_assert_false (gtk_widget_is_sensitive (child (dialog, type, "submit_button")));
  g_free (cs_test_app_screenshot (dialog, "sign-in", 32));

  click (child (dialog, type, "mode_button"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (child (dialog, type, "mode_stack")), ==, "sign-up");
  type_into (child (dialog, type, "email_row"), "newbie@example.org");
  type_into (child (dialog, type, "username_row"), "newbie");
  type_into (child (dialog, type, "new_password_row"), "short");

  /* The password rule is checked before anything is sent. */
  click (child (dialog, type, "submit_button"));
  g_assert_true (label_shown (child (dialog, type, "sign_up_fields_error")));
  g_assert_true (gtk_widget_has_css_class (child (dialog, type, "new_password_row"), "error"));
  g_assert_false (cs_session_get_signed_in (session));
  g_free (cs_test_app_screenshot (dialog, "sign-up-error", 32));

  type_into (child (dialog, type, "new_password_row"), PASSWORD);
  g_assert_false (gtk_widget_has_css_class (child (dialog, type, "new_password_row"), "error"));
  g_free (cs_test_app_screenshot (dialog, "sign-up", 32));
  click (child (dialog, type, "submit_button"));
  WAIT_FOR (signed_in == 1, "the dialog's signed-in");
  WAIT_FOR (dialog == NULL, "the dialog to close");
  g_assert_true (cs_session_get_signed_in (session));
  g_assert_cmpstr (cs_session_get_username (session), ==, "newbie");
}

static void
test_sign_in_wrong_password (Fixture *f, gconstpointer data)
{
  GtkWidget *dialog = cs_sign_in_dialog_new (f->context, GTK_WINDOW (f->parent));
  GType type = CS_TYPE_SIGN_IN_DIALOG;
  g_autoptr(CsTestResponse) refused = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *token = cs_test_register (f->ts, "alice", &user_id);
  GtkLabel *error_label = child (dialog, type, "error_label");
  GtkLabel *fields_error = child (dialog, type, "sign_in_fields_error");
  const char *expected;
  int signed_in = 0;

  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  g_signal_connect (dialog, "signed-in", G_CALLBACK (flag_cb), &signed_in);
  gtk_window_present (GTK_WINDOW (dialog));

  type_into (child (dialog, type, "login_row"), "alice");
  type_into (child (dialog, type, "password_row"), "not the password");
  click (child (dialog, type, "submit_button"));
  WAIT_FOR (label_shown (error_label) || label_shown (fields_error), "the sign-in error");

  /* The dialog says what the server said. */
  refused = cs_test_request (f->ts, "POST", "/api/v1/auth/login", NULL,
                             "{\"email\": \"alice\", \"password\": \"not the password\"}");
  g_assert_cmpuint (refused->status, >=, 400);
  expected = json_object_has_member (cs_test_object (refused), "detail")
             ? cs_test_string (refused, "detail") : cs_test_string (refused, "title");
  g_assert_nonnull (expected);
  if (label_shown (error_label))
    g_assert_cmpstr (gtk_label_get_text (error_label), ==, expected);
  else
    g_assert_nonnull (strstr (gtk_label_get_text (fields_error), expected));
  /* What was typed is still there, and the dialog is still open. */
  g_assert_cmpstr (gtk_editable_get_text (child (dialog, type, "login_row")), ==, "alice");
  g_assert_cmpstr (gtk_editable_get_text (child (dialog, type, "password_row")), ==, "not the password");
  g_assert_cmpint (signed_in, ==, 0);
  g_free (cs_test_app_screenshot (dialog, "sign-in-wrong-password", 32));

  /* Enter in the password row signs in with the right one. */
  type_into (child (dialog, type, "password_row"), PASSWORD);
  g_signal_emit_by_name (gtk_editable_get_delegate (child (dialog, type, "password_row")), "activate");
  WAIT_FOR (signed_in == 1, "signing in with Enter");
  WAIT_FOR (dialog == NULL, "the dialog to close");
  g_assert_cmpstr (cs_session_get_user_id (cs_context_get_session (f->context)), ==, user_id);
}

/* An unreachable server: the dialog says so, and keeps what was typed. */
static void
test_sign_in_offline (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autofree char *data_dir = g_dir_make_tmp ("crowdspark-flows-XXXXXX", &error);
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  CsContext *context;
  GtkWidget *dialog;
  GType type = CS_TYPE_SIGN_IN_DIALOG;
  guint16 port;

  /* A port that was free a moment ago and is closed now. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  context = cs_context_new (url, data_dir, TRUE, &error);
  g_assert_no_error (error);

  dialog = cs_sign_in_dialog_new (context, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  type_into (child (dialog, type, "login_row"), "alice");
  type_into (child (dialog, type, "password_row"), PASSWORD);
  click (child (dialog, type, "submit_button"));
  WAIT_FOR (label_shown (child (dialog, type, "error_label")), "the offline error");
  expected = g_strdup_printf ("Cannot reach %s", cs_context_get_server_url (context));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (child (dialog, type, "error_label")), expected));
  g_assert_cmpstr (gtk_editable_get_text (child (dialog, type, "password_row")), ==, PASSWORD);
  g_assert_true (gtk_widget_is_sensitive (child (dialog, type, "submit_button")));

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (context);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  cs_test_app_remove_tree (data_dir);
}

/* ---- the pledge dialog ------------------------------------------------------------- */

/* Opens the pledge dialog, picks the tier, and goes through the card and the
 * review (with screenshots when @shots is set); returns with the dialog on
 * the result page.  *pledges_made counts "pledge-made". */
static GtkWidget *
pledge_through_dialog (Fixture *f, const char *campaign_id, const char *card, gboolean shots,
                       int *pledges_made, char **pledge_id)
{
  GtkWidget *dialog = cs_pledge_dialog_new (f->context, GTK_WINDOW (f->parent), campaign_id);
  GType type = CS_TYPE_PLEDGE_DIALOG;
  g_autoptr(GPtrArray) checks = g_ptr_array_new ();
  GtkWidget *next = child (dialog, type, "next_button");
  GtkWidget *amount_row = child (dialog, type, "amount_row");
  GtkWidget *card_row = child (dialog, type, "card_row");

  g_signal_connect (dialog, "pledge-made", G_CALLBACK (pledge_made_cb), pledges_made);
  gtk_window_present (GTK_WINDOW (dialog));
  WAIT_FOR (g_strcmp0 (step_of (dialog), "reward") == 0, "the reward step");

  /* a) "No reward" and the tier; picking the tier fills in its minimum */
  collect_descendants (child (dialog, type, "reward_group"), GTK_TYPE_CHECK_BUTTON, checks);
  g_assert_cmpuint (checks->len, ==, 2);
  g_assert_true (gtk_check_button_get_active (g_ptr_array_index (checks, 0)));
  click (g_ptr_array_index (checks, 1));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (amount_row)), ==, "10.00");
  type_into (amount_row, "5");
  g_assert_true (label_shown (child (dialog, type, "amount_error")));
  g_assert_false (gtk_widget_is_sensitive (next));
  if (shots)
    g_free (cs_test_app_screenshot (dialog, "pledge-1-reward-error", 32));
  type_into (amount_row, "25");
  g_assert_false (label_shown (child (dialog, type, "amount_error")));
  if (shots)
    g_free (cs_test_app_screenshot (dialog, "pledge-1-reward", 32));
  click (next);
  g_assert_cmpstr (step_of (dialog), ==, "payment");

  /* b) the card: grouped as typed, checked before it is sent */
  type_into (card_row, "4242424242424241");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (card_row)), ==, "4242 4242 4242 4241");
  type_into (child (dialog, type, "expiry_row"), "12/34");
  type_into (child (dialog, type, "cvc_row"), "123");
  click (next);
  g_assert_true (label_shown (child (dialog, type, "card_error")));
  g_assert_true (gtk_widget_has_css_class (card_row, "error"));
  g_assert_cmpstr (step_of (dialog), ==, "payment");
  type_into (card_row, card);
  g_assert_false (gtk_widget_has_css_class (card_row, "error"));
  if (shots)
    g_free (cs_test_app_screenshot (dialog, "pledge-2-payment", 32));
  click (next);
  WAIT_FOR (g_strcmp0 (step_of (dialog), "review") == 0, "the card to be tokenised");

  /* The card number is gone as soon as the token is back. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (card_row)), ==, "");
  g_assert_cmpstr (gtk_editable_get_text (child (dialog, type, "cvc_row")), ==, "");
  g_assert_cmpstr (gtk_label_get_text (child (dialog, type, "review_amount")), ==, "$25.00");
  g_assert_cmpstr (gtk_label_get_text (child (dialog, type, "review_reward")), ==, "Limited");
  {
    g_autofree char *last4 = g_strdup_printf ("•••• %s", card + strlen (card) - 4);

    g_assert_cmpstr (gtk_label_get_text (child (dialog, type, "review_card")), ==, last4);
  }
  if (shots)
    g_free (cs_test_app_screenshot (dialog, "pledge-3-review", 32));

  /* c) Confirm, twice in a row: one pledge */
  g_signal_emit_by_name (next, "clicked");
  g_signal_emit_by_name (next, "clicked");
  WAIT_FOR (g_strcmp0 (step_of (dialog), "result") == 0, "the pledge to be made");
  g_assert_cmpint (*pledges_made, ==, 1);
  if (pledge_id != NULL)
    {
      CsTestResponse *resp = NULL;
      JsonArray *items = server_pledges (f, &resp);

      g_assert_cmpuint (json_array_get_length (items), >=, 1);
      *pledge_id = g_strdup (json_object_get_string_member (json_array_get_object_element (items, 0), "id"));
      cs_test_response_free (resp);
    }
  return dialog;
}

static const char *
result_title (GtkWidget *dialog)
{
  return adw_status_page_get_title (child (dialog, CS_TYPE_PLEDGE_DIALOG, "result_page"));
}

static void
test_pledge_authorized (Fixture *f, gconstpointer data)
{
  g_autofree char *tier_id = NULL;
  g_autofree char *campaign_id = live_campaign (f, "Solar Lamp", &tier_id);
  g_autoptr(CsTestResponse) resp = NULL;
  GtkWidget *dialog;
  JsonArray *items;
  JsonObject *pledge;
  int made = 0;

  sign_up_backer (f, "backer");
  dialog = pledge_through_dialog (f, campaign_id, "4242424242424242", TRUE, &made, NULL);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  if (g_strcmp0 (result_title (dialog), "Waiting for the bank…") == 0)
    g_free (cs_test_app_screenshot (dialog, "pledge-4-pending", 32));
  WAIT_FOR (g_strcmp0 (result_title (dialog), "You backed Solar Lamp") == 0, "the bank to authorize");
  g_free (cs_test_app_screenshot (dialog, "pledge-5-authorized", 32));

  /* The server has exactly one pledge, for $25.00 with the tier. */
  items = server_pledges (f, &resp);
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  pledge = json_array_get_object_element (items, 0);
  g_assert_cmpint (json_object_get_int_member (pledge, "amount"), ==, 2500);
  g_assert_cmpstr (json_object_get_string_member (pledge, "reward_tier_id"), ==, tier_id);
  g_assert_cmpstr (json_object_get_string_member (pledge, "status"), ==, "authorized");
  g_assert_cmpint (made, ==, 1);

  click (child (dialog, CS_TYPE_PLEDGE_DIALOG, "next_button"));
  WAIT_FOR (dialog == NULL, "Done to close the dialog");
}

static void
test_pledge_declined (Fixture *f, gconstpointer data)
{
  g_autofree char *campaign_id = live_campaign (f, "River Boat", NULL);
  g_autofree char *pledge_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(CsTestResponse) resp = NULL;
  g_autofree char *token = NULL;
  GtkWidget *dialog;
  const char *reason;
  int made = 0;

  sign_up_backer (f, "unlucky");
  dialog = pledge_through_dialog (f, campaign_id, "4000000000000002", FALSE, &made, &pledge_id);
  WAIT_FOR (g_strcmp0 (result_title (dialog), "Payment Declined") == 0, "the bank to decline");

  /* The gateway's reason is shown, and a new attempt is offered. */
  token = cs_api_client_dup_access_token (cs_context_get_api (f->context));
  path = g_strdup_printf ("/api/v1/pledges/%s", pledge_id);
  resp = cs_test_request (f->ts, "GET", path, token, NULL);
  g_assert_cmpuint (resp->status, ==, 200);
  g_assert_cmpstr (cs_test_string (resp, "status"), ==, "failed");
  reason = cs_test_string (resp, "failure_reason");
  g_assert_nonnull (reason);
  g_assert_cmpstr (reason, ==, "card_declined");
  g_assert_cmpstr (adw_status_page_get_description (child (dialog, CS_TYPE_PLEDGE_DIALOG, "result_page")),
                   ==, cs_pledge_failure_text (reason));
  g_assert_true (gtk_widget_get_visible (child (dialog, CS_TYPE_PLEDGE_DIALOG, "retry_button")));
  g_free (cs_test_app_screenshot (dialog, "pledge-6-declined", 32));
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* ---- the dashboard ----------------------------------------------------------------- */

static const char *
dashboard_state (GtkWidget *page)
{
  return gtk_stack_get_visible_child_name (child (page, CS_TYPE_DASHBOARD_PAGE, "stack"));
}

static GtkListBoxRow *
row_at (GtkWidget *page, int index)
{
  return gtk_list_box_get_row_at_index (child (page, CS_TYPE_DASHBOARD_PAGE, "list_box"), index);
}

static void
pledge_on_server (Fixture *f, const char *campaign_id, const char *tier_id, gint64 amount,
                  const char *card, const char *status)
{
  g_autofree char *token = cs_api_client_dup_access_token (cs_context_get_api (f->context));
  g_autofree char *pm = cs_test_card (f->ts, card);
  g_autoptr(CsTestResponse) resp = cs_test_pledge (f->ts, token, campaign_id, amount, tier_id, pm, NULL);
  g_autofree char *path = NULL;

  g_assert_cmpuint (resp->status, ==, 201);
  path = g_strdup_printf ("/api/v1/pledges/%s", cs_test_string (resp, "id"));
  cs_test_wait_field (f->ts, token, path, "status", status);
}

static void
test_dashboard (Fixture *f, gconstpointer data)
{
  g_autofree char *tier_id = NULL;
  g_autofree char *lamp = live_campaign (f, "Solar Lamp", &tier_id);
  g_autofree char *boat = live_campaign (f, "River Boat", NULL);
  GtkWidget *page = cs_dashboard_page_new (f->context);
  GtkListBoxRow *row;
  GtkWidget *header;

  gtk_window_set_child (GTK_WINDOW (f->parent), page);
  WAIT_FOR (g_strcmp0 (dashboard_state (page), "signed-out") == 0, "the signed-out page");
  g_free (cs_test_app_screenshot (f->parent, "dashboard-1-signed-out", 32));

  sign_up_backer (f, "dashboarder");
  WAIT_FOR (g_strcmp0 (dashboard_state (page), "empty") == 0, "the empty page");
  g_free (cs_test_app_screenshot (f->parent, "dashboard-2-empty", 32));

  pledge_on_server (f, lamp, tier_id, 2500, "4242424242424242", "authorized");
  pledge_on_server (f, boat, NULL, 700, "4000000000000002", "failed");
  refresh (f);
  WAIT_FOR (row_at (page, 1) != NULL, "two pledges on the dashboard");
  g_assert_cmpstr (dashboard_state (page), ==, "list");

  /* What needs attention first: the failed payment, then the active pledge. */
  row = row_at (page, 0);
  header = gtk_list_box_row_get_header (row);
  g_assert_true (GTK_IS_LABEL (header));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (header)), ==, "Payment failed");
  g_assert_cmpstr (gtk_label_get_text (child (row, CS_TYPE_PLEDGE_ROW, "title_label")), ==, "River Boat");
  g_assert_cmpstr (gtk_label_get_text (child (row, CS_TYPE_PLEDGE_ROW, "failure_label")), ==,
                   "The bank declined the card.");
  g_assert_false (gtk_widget_get_visible (child (row, CS_TYPE_PLEDGE_ROW, "change_button")));

  row = row_at (page, 1);
  header = gtk_list_box_row_get_header (row);
  g_assert_true (GTK_IS_LABEL (header));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (header)), ==, "Active");
  g_assert_cmpstr (gtk_label_get_text (child (row, CS_TYPE_PLEDGE_ROW, "title_label")), ==, "Solar Lamp");
  g_assert_cmpstr (gtk_label_get_text (child (row, CS_TYPE_PLEDGE_ROW, "amount_label")), ==, "$25.00");
  g_assert_true (gtk_widget_get_visible (child (row, CS_TYPE_PLEDGE_ROW, "change_button")));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (row)), ==, "win.open-campaign");
  g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (row)), NULL),
                   ==, lamp);

  /* Activating a row opens its campaign. */
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (row)));
  g_assert_true (gtk_widget_activate (GTK_WIDGET (row)));
  {
    g_autofree char *expected = g_strconcat ("open-campaign ", lamp, NULL);

    g_assert_cmpstr (f->last_action, ==, expected);
  }

  /* Only the active pledge counts in the total. */
  g_assert_cmpstr (gtk_label_get_text (child (page, CS_TYPE_DASHBOARD_PAGE, "totals_label")), ==,
                   "You have pledged $25.00");
  g_free (cs_test_app_screenshot (f->parent, "dashboard-3-pledges", 32));
}

/* ---- changing a pledge ------------------------------------------------------------- */

static gboolean
server_amount_is (Fixture *f, const char *pledge_id, gint64 amount)
{
  g_autofree char *token = cs_api_client_dup_access_token (cs_context_get_api (f->context));
  g_autofree char *path = g_strdup_printf ("/api/v1/pledges/%s", pledge_id);
  g_autoptr(CsTestResponse) resp = cs_test_request (f->ts, "GET", path, token, NULL);

  return resp->status == 200 && cs_test_int (resp, "amount") == amount;
}

static void
test_change_pledge (Fixture *f, gconstpointer data)
{
  g_autofree char *tier_id = NULL;
  g_autofree char *lamp = live_campaign (f, "Solar Lamp", &tier_id);
  g_autoptr(CsTestResponse) resp = NULL;
  g_autofree char *pledge_id = NULL;
  GType type = CS_TYPE_PLEDGE_DIALOG;
  GtkWidget *dialog;
  JsonArray *items;

  sign_up_backer (f, "changer");
  pledge_on_server (f, lamp, tier_id, 2500, "4242424242424242", "authorized");
  items = server_pledges (f, &resp);
  pledge_id = g_strdup (json_object_get_string_member (json_array_get_object_element (items, 0), "id"));
  refresh (f);

  dialog = cs_pledge_dialog_new_for_change (f->context, GTK_WINDOW (f->parent), pledge_id);
  gtk_window_present (GTK_WINDOW (dialog));
  WAIT_FOR (g_strcmp0 (step_of (dialog), "loading") != 0, "the change dialog");
  if (g_strcmp0 (step_of (dialog), "reward") != 0)
    g_error ("The change dialog shows “%s”: %s", step_of (dialog),
             adw_status_page_get_description (child (dialog, type, "unavailable_page")));
  g_assert_cmpstr (gtk_editable_get_text (child (dialog, type, "amount_row")), ==, "25.00");
  g_assert_true (gtk_widget_get_visible (child (dialog, type, "cancel_group")));
  /* Nothing changed yet: nothing to send. */
  g_assert_false (gtk_widget_is_sensitive (child (dialog, type, "next_button")));
  type_into (child (dialog, type, "amount_row"), "40");
  g_free (cs_test_app_screenshot (dialog, "pledge-7-change", 32));
  click (child (dialog, type, "next_button"));
  g_assert_cmpstr (step_of (dialog), ==, "review");
  g_assert_false (gtk_widget_get_visible (child (dialog, type, "review_card_row")));
  click (child (dialog, type, "next_button"));
  WAIT_FOR (g_strcmp0 (step_of (dialog), "result") == 0, "the change to be queued");
  g_assert_cmpstr (result_title (dialog), ==, "Pledge Changed");
  WAIT_FOR (server_amount_is (f, pledge_id, 4000), "the change to reach the server");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

int
main (int argc, char **argv)
{
  cs_test_init (&argc, &argv);
  if (!gtk_init_check ())
    {
      g_printerr ("test-flows needs a display (run it in tests/desktop-session.sh --display)\n");
      return 1;
    }
  adw_init ();
  /* Referencing the resource keeps it (and its registration) in the test. */
  g_assert_nonnull (cs_app_get_resource ());
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add ("/flows/sign-in/sign-up", Fixture, NULL, fixture_setup, test_sign_up, fixture_teardown);
  g_test_add ("/flows/sign-in/wrong-password", Fixture, NULL, fixture_setup, test_sign_in_wrong_password,
              fixture_teardown);
  g_test_add_func ("/flows/sign-in/offline", test_sign_in_offline);
  g_test_add ("/flows/pledge/authorized", Fixture, NULL, fixture_setup, test_pledge_authorized,
              fixture_teardown);
  g_test_add ("/flows/pledge/declined", Fixture, NULL, fixture_setup, test_pledge_declined, fixture_teardown);
  g_test_add ("/flows/pledge/change", Fixture, NULL, fixture_setup, test_change_pledge, fixture_teardown);
  g_test_add ("/flows/dashboard", Fixture, NULL, fixture_setup, test_dashboard, fixture_teardown);
  return g_test_run ();
}
