/* test-e2e.c: a backer's whole way through the real app, end to end.
 *
 * A seeded server (in-process, its own threads) reached through a relay
 * that can take the network away (tests/client/cs-test-proxy.h); the real
 * application with its window, keyring (gnome-keyring in the private
 * session) and cache.  The backer opens a campaign, presses "Back this
 * project", creates an account in the sign-in dialog, pledges with the
 * sandbox card, sees the pledge authorized and the campaign's progress move,
 * then quits; the app is started again with the network gone, is still
 * signed in (the keyring), says it is offline, and still shows the pledge
 * and the campaign from its cache. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cs-test-app.h"
#include "cs-test-proxy.h"
#include "cs-context.h"
#include "cs-pledge-dialog.h"
#include "cs-sign-in-dialog.h"

#define PASSWORD "correct horse battery"

/* ---- helpers -------------------------------------------------------------------------------- */

static gpointer
template_child (gpointer widget, GType type, const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (object);
  return object;
}

static void
click (gpointer button)
{
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (button)));
  g_signal_emit_by_name (button, "clicked");
}

static void
type_into (gpointer editable, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (editable), text);
}

typedef struct {
  CsTestApp *app;
  GType      type;
  GtkWidget *found;
} WindowSearch;

/* The application's window of @type, once it is shown. */
static gboolean
window_shown (gpointer data)
{
  WindowSearch *search = data;

  GListModel *toplevels = gtk_window_get_toplevels ();

  /* dialogs are transient for the window, not the application's windows */
  search->found = NULL;
  for (guint i = 0; i < g_list_model_get_n_items (toplevels) && search->found == NULL; i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, search->type) && gtk_widget_get_mapped (window))
        search->found = window;
    }
  return search->found != NULL;
}

static GtkWidget *
wait_window (CsTestApp *app, GType type)
{
  WindowSearch search = { app, type, NULL };

  cs_test_app_assert_wait (window_shown, &search);
  return search.found;
}

static gboolean
window_gone (gpointer data)
{
  return !window_shown (data);
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelSearch;

static gboolean
label_containing_shown (gpointer data)
{
  LabelSearch *search = data;

  return cs_test_app_find_label_containing (search->root, search->text) != NULL;
}

static void
wait_label (GtkWidget *root, const char *text)
{
  LabelSearch search = { root, text };

  if (!cs_test_app_wait (label_containing_shown, &search, CS_TEST_APP_TIMEOUT_MS))
    g_error ("no label showing “%s” appeared", text);
}

static gboolean
step_is (gpointer data)
{
  GtkWidget *dialog = ((gpointer *) data)[0];
  const char *name = ((gpointer *) data)[1];
  GtkStack *steps = template_child (dialog, CS_TYPE_PLEDGE_DIALOG, "steps");

  return g_strcmp0 (gtk_stack_get_visible_child_name (steps), name) == 0;
}

static void
wait_step (GtkWidget *dialog, const char *name)
{
  gpointer data[2] = { dialog, (gpointer) name };

  cs_test_app_assert_wait (step_is, data);
}

static gboolean
result_is (gpointer data)
{
  GtkWidget *dialog = ((gpointer *) data)[0];
  const char *title = ((gpointer *) data)[1];
  AdwStatusPage *page = template_child (dialog, CS_TYPE_PLEDGE_DIALOG, "result_page");

  return g_strcmp0 (adw_status_page_get_title (page), title) == 0;
}

static gboolean
signed_in (gpointer data)
{
  CsTestApp *app = data;
  CsContext *context = cs_test_app_get_context (app);

  return context != NULL && cs_session_get_signed_in (cs_context_get_session (context));
}

static gboolean
offline (gpointer data)
{
  CsContext *context = cs_test_app_get_context (data);

  return context != NULL && !cs_sync_engine_get_online (cs_context_get_sync_engine (context));
}

static gboolean
online (gpointer data)
{
  return !offline (data);
}

static gboolean
offline_bar_gone (gpointer data)
{
  return !label_containing_shown (data);
}

static gboolean
campaign_page_shown (gpointer data)
{
  CsTestApp *app = data;
  GtkWidget *page = cs_window_get_campaign_page (app->window);

  return page != NULL && gtk_widget_get_mapped (page);
}

static void
activate (CsTestApp *app, const char *action, const char *campaign_id)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (app->window), action,
                                             campaign_id != NULL ? "s" : NULL, campaign_id));
}

/* ---- a notification server -------------------------------------------------------------------- */

/* The desktop's notification service (org.freedesktop.Notifications) on the
 * test's private session bus: it keeps the summaries it is sent, so the test
 * sees the desktop notification the app sends when a pledge is authorized. */
static const char notifications_xml[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='u' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
  "</interface></node>";

static GPtrArray *notified;   /* char*: "summary\nbody" */

static void
notifications_call_cb (GDBusConnection *connection, const char *sender, const char *path,
                       const char *interface, const char *method, GVariant *parameters,
                       GDBusMethodInvocation *invocation, gpointer data)
{
  if (g_strcmp0 (method, "Notify") == 0)
    {
      const char *summary = NULL, *body = NULL;

      g_variant_get_child (parameters, 3, "&s", &summary);
      g_variant_get_child (parameters, 4, "&s", &body);
      g_ptr_array_add (notified, g_strconcat (summary, "\n", body, NULL));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", notified->len));
    }
  else if (g_strcmp0 (method, "GetCapabilities") == 0)
    g_dbus_method_invocation_return_value (invocation, g_variant_new_parsed ("(['body'],)"));
  else if (g_strcmp0 (method, "GetServerInformation") == 0)
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "test", "crowdspark", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
name_owned (gpointer data)
{
  return *(gboolean *) data;
}

static void
name_acquired_cb (GDBusConnection *connection, const char *name, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static guint
notification_server_start (void)
{
  static const GDBusInterfaceVTable vtable = { notifications_call_cb, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  static gboolean owned;
  guint owner;

  g_assert_no_error (error);
  notified = g_ptr_array_new_with_free_func (g_free);
  g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications", info->interfaces[0], &vtable,
                                     NULL, NULL, &error);
  g_assert_no_error (error);
  owner = g_bus_own_name_on_connection (bus, "org.freedesktop.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                        name_acquired_cb, NULL, &owned, NULL);
  cs_test_app_assert_wait (name_owned, &owned);
  return owner;
}

static gboolean
notified_containing (gpointer data)
{
  for (guint i = 0; i < notified->len; i++)
    if (strstr (g_ptr_array_index (notified, i), data) != NULL)
      return TRUE;
  return FALSE;
}

/* ---- the test -------------------------------------------------------------------------------- */

typedef struct {
  CsTestAppServer *server;
  CsTestProxy     *proxy;
  const char      *campaign_id;
  const char      *title;
  char            *amount_text;
} E2e;

/* First start, online: the campaign's page, "Back this project", an account
 * made in the sign-in dialog, a pledge with the sandbox card, authorized
 * live, the page's progress moving, My pledges listing it. */
static void
first_start (CsTestApp *app, gpointer data)
{
  E2e *e = data;
  g_autofree char *backed_title = g_strdup_printf ("You backed %s", e->title);
  GtkWidget *dialog;
  GType type;

  wait_label (GTK_WIDGET (app->window), e->title);        /* its card on Discover */
  activate (app, "win.open-campaign", e->campaign_id);
  cs_test_app_assert_wait (campaign_page_shown, app);
  g_free (cs_test_app_screenshot (GTK_WIDGET (app->window), "e2e-1-campaign", 64));
  activate (app, "win.back-project", e->campaign_id);

  /* Signed out: the sign-in dialog first; create an account in it. */
  dialog = wait_window (app, CS_TYPE_SIGN_IN_DIALOG);
  type = CS_TYPE_SIGN_IN_DIALOG;
  click (template_child (dialog, type, "mode_button"));
  type_into (template_child (dialog, type, "email_row"), "e2e@example.org");
  type_into (template_child (dialog, type, "username_row"), "e2e");
  type_into (template_child (dialog, type, "new_password_row"), PASSWORD);
  g_free (cs_test_app_screenshot (dialog, "e2e-2-sign-up", 32));
  click (template_child (dialog, type, "submit_button"));
  cs_test_app_assert_wait (signed_in, app);

  /* Then the pledge dialog: no reward, $30.00, the sandbox card. */
  dialog = wait_window (app, CS_TYPE_PLEDGE_DIALOG);
  type = CS_TYPE_PLEDGE_DIALOG;
  wait_step (dialog, "reward");
  type_into (template_child (dialog, type, "amount_row"), "30");
  click (template_child (dialog, type, "next_button"));
  wait_step (dialog, "payment");
  type_into (template_child (dialog, type, "card_row"), "4242424242424242");
  type_into (template_child (dialog, type, "expiry_row"), "12/34");
  type_into (template_child (dialog, type, "cvc_row"), "123");
  click (template_child (dialog, type, "next_button"));
  wait_step (dialog, "review");
  click (template_child (dialog, type, "next_button"));
  wait_step (dialog, "result");

  /* Pending, then authorized: the gateway's answer arrives live. */
  {
    gpointer result[2] = { dialog, backed_title };

    cs_test_app_assert_wait (result_is, result);
  }
  g_free (cs_test_app_screenshot (dialog, "e2e-3-authorized", 32));
  /* and the desktop was told */
  cs_test_app_assert_wait (notified_containing, (gpointer) "Pledge Authorized");
  click (template_child (dialog, type, "next_button"));
  {
    WindowSearch search = { app, CS_TYPE_PLEDGE_DIALOG, NULL };

    cs_test_app_assert_wait (window_gone, &search);
  }

  /* The campaign page, still open behind, shows the new total (live). */
  wait_label (GTK_WIDGET (app->window), e->amount_text);
  g_free (cs_test_app_screenshot (GTK_WIDGET (app->window), "e2e-4-progress", 64));

  /* My pledges lists it. */
  activate (app, "win.go-back", NULL);
  activate (app, "win.show-dashboard", NULL);
  wait_label (GTK_WIDGET (app->window), e->title);
  wait_label (GTK_WIDGET (app->window), e->amount_text);
  g_free (cs_test_app_screenshot (GTK_WIDGET (app->window), "e2e-5-dashboard", 64));
}

/* The next start, with the network gone: still signed in (the keyring),
 * offline, the pledge and the campaign from the cache; then back online. */
static void
offline_start (CsTestApp *app, gpointer data)
{
  E2e *e = data;

  cs_test_app_assert_wait (signed_in, app);
  cs_test_app_assert_wait (offline, app);
  wait_label (GTK_WIDGET (app->window), "offline");
  activate (app, "win.show-dashboard", NULL);
  wait_label (GTK_WIDGET (app->window), e->title);
  wait_label (GTK_WIDGET (app->window), e->amount_text);
  g_free (cs_test_app_screenshot (GTK_WIDGET (app->window), "e2e-6-offline-dashboard", 64));

  activate (app, "win.open-campaign", e->campaign_id);
  cs_test_app_assert_wait (campaign_page_shown, app);
  wait_label (GTK_WIDGET (app->window), e->amount_text);
  g_free (cs_test_app_screenshot (GTK_WIDGET (app->window), "e2e-7-offline-campaign", 64));

  /* Back online: a refresh finds the server, the status bar goes. */
  cs_test_proxy_set_mode (e->proxy, CS_TEST_PROXY_ONLINE);
  activate (app, "win.refresh", NULL);
  cs_test_app_assert_wait (online, app);
  {
    LabelSearch search = { GTK_WIDGET (app->window), "You are offline" };

    cs_test_app_assert_wait (offline_bar_gone, &search);
  }
}

static void
test_backer_end_to_end (void)
{
  static const char * const titles[] = { "Harbour lantern", "Paper synth", "Quiet garden", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("crowdspark-e2e-XXXXXX", &error);
  E2e e = { 0 };
  guint notifications;

  g_assert_no_error (error);
  notifications = notification_server_start ();
  e.server = cs_test_app_server_new (titles);
  e.proxy = cs_test_proxy_new (e.server->ts->base);
  e.campaign_id = g_ptr_array_index (e.server->campaign_ids, 0);
  e.title = g_ptr_array_index (e.server->titles, 0);
  e.amount_text = cs_money_format (3000, "USD");

  cs_test_app_run_in (cs_test_proxy_get_url (e.proxy), data_dir, first_start, &e);
  cs_test_proxy_set_mode (e.proxy, CS_TEST_PROXY_OFFLINE);
  cs_test_app_run_in (cs_test_proxy_get_url (e.proxy), data_dir, offline_start, &e);

  cs_test_app_remove_tree (data_dir);
  g_free (e.amount_text);
  cs_test_proxy_free (e.proxy);
  cs_test_app_server_free (e.server);
  g_bus_unown_name (notifications);
  g_clear_pointer (&notified, g_ptr_array_unref);
}

int
main (int argc, char **argv)
{
  cs_test_app_init (&argc, &argv);
  g_test_add_func ("/e2e/backer", test_backer_end_to_end);
  return g_test_run ();
}
