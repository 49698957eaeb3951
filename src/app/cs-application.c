/* cs-application.c: the CrowdSpark application. */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-app-resources.h"
#include "cs-application.h"
#include "cs-preferences-window.h"
#include "cs-window.h"

struct _CsApplication
{
  AdwApplication  parent_instance;

  /* owned */
  GSettings      *settings;
  CsContext      *context;
  GCancellable   *cancellable;     /* the context's start; cancelled with it */
  char           *server_override; /* --server: this run only */
  char           *sign_in_login;   /* --sign-in: signs in at start (password: CROWDSPARK_PASSWORD) */
  char           *data_dir;
  gulong          pledge_changed_id;
  gulong          signed_in_id;
};

G_DEFINE_FINAL_TYPE (CsApplication, cs_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- helpers ------------------------------------------------------------ */

static GtkWindow *
active_window (CsApplication *self)
{
  return gtk_application_get_active_window (GTK_APPLICATION (self));
}

static void
add_toast (CsApplication *self, const char *text)
{
  GtkWindow *window = active_window (self);

  if (CS_IS_WINDOW (window))
    cs_window_add_toast (CS_WINDOW (window), text);
}

static void
update_sign_out_enabled (CsApplication *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "sign-out");
  gboolean signed_in = FALSE;

  if (self->context != NULL)
    signed_in = cs_session_get_signed_in (cs_context_get_session (self->context));
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), signed_in);
}

static const char *
effective_server_url (CsApplication *self, char **owned)
{
  if (self->server_override != NULL)
    return self->server_override;
  *owned = g_settings_get_string (self->settings, "server-url");
  return *owned;
}

/* ---- callbacks ---------------------------------------------------------- */

static void
pledge_changed_cb (CsSyncEngine  *engine,
                   const char    *pledge_id,
                   const char    *status,
                   const char    *failure_reason,
                   CsApplication *self)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *notification_id = NULL;

  if (!g_settings_get_boolean (self->settings, "notify-pledges"))
    return;

  if (g_strcmp0 (status, "authorized") == 0)
    {
      notification = g_notification_new (_("Pledge Authorized"));
      g_notification_set_body (notification,
                               _("Your pledge went through. Your card is charged only if the campaign reaches its goal."));
    }
  else if (g_strcmp0 (status, "failed") == 0)
    {
      notification = g_notification_new (_("Pledge Failed"));
      g_notification_set_body (notification,
                               failure_reason != NULL && *failure_reason != '\0'
                               ? failure_reason
                               : _("The payment was declined. You can try again with another card."));
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
    }
  else
    return;

  g_notification_set_default_action (notification, "app.activate");
  notification_id = g_strconcat ("pledge-", pledge_id, NULL);
  g_application_send_notification (G_APPLICATION (self), notification_id, notification);
}

static void
signed_in_changed_cb (CsSession     *session,
                      GParamSpec    *pspec,
                      CsApplication *self)
{
  update_sign_out_enabled (self);
}

static void
start_signed_in_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CsApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cs_session_sign_in_finish (CS_SESSION (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf (_("Could not sign in as %s: %s"), self->sign_in_login,
                                               error->message);

      add_toast (self, text);
    }
}

static void
context_started_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CsApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean signed_in;

  /* FALSE without an error: nobody is signed in */
  signed_in = cs_context_start_finish (CS_CONTEXT (object), result, &error);
  if (!signed_in && error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Starting the context: %s", error->message);
  /* The sync engine's online/last-error properties tell the window the rest. */

  /* --sign-in (demos, scripts): only when the keyring did not already sign someone in */
  if (!signed_in && self->sign_in_login != NULL && self->context != NULL &&
      CS_CONTEXT (object) == self->context && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      const char *password = g_getenv ("CROWDSPARK_PASSWORD");

      if (password == NULL || password[0] == '\0')
        {
          add_toast (self, _("To sign in at start, set CROWDSPARK_PASSWORD"));
          return;
        }
      cs_session_sign_in_async (cs_context_get_session (self->context), self->sign_in_login, password,
                                self->cancellable, start_signed_in_cb, g_object_ref (self));
    }
}

static void
drop_context (CsApplication *self)
{
  if (self->context == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_signal_handler (&self->pledge_changed_id, cs_context_get_sync_engine (self->context));
  g_clear_signal_handler (&self->signed_in_id, cs_context_get_session (self->context));
  cs_sync_engine_stop (cs_context_get_sync_engine (self->context));
  g_clear_object (&self->context);
}

static void
replace_context (CsApplication *self, const char *server_url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsContext) context = NULL;
  gboolean use_keyring = g_strcmp0 (g_getenv ("CS_APP_NO_KEYRING"), "1") != 0;

  g_mkdir_with_parents (self->data_dir, 0700);
  context = cs_context_new (server_url, self->data_dir, use_keyring, &error);
  if (context == NULL)
    {
      /* Only a broken data folder gets here: keep what works. */
      g_warning ("Cannot use the server %s: %s", server_url, error->message);
      add_toast (self, error->message);
      return;
    }

  drop_context (self);
  self->context = g_steal_pointer (&context);
  self->cancellable = g_cancellable_new ();
  self->pledge_changed_id = g_signal_connect (cs_context_get_sync_engine (self->context), "pledge-changed",
                                              G_CALLBACK (pledge_changed_cb), self);
  self->signed_in_id = g_signal_connect (cs_context_get_session (self->context), "notify::signed-in",
                                         G_CALLBACK (signed_in_changed_cb), self);
  update_sign_out_enabled (self);
  cs_context_start_async (self->context, self->cancellable, context_started_cb, g_object_ref (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

static void
signed_out_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CsApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cs_session_sign_out_finish (CS_SESSION (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        add_toast (self, error->message);
      return;
    }
  add_toast (self, _("Signed out"));
}

/* ---- actions ------------------------------------------------------------ */

static void
preferences_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  CsApplication *self = user_data;
  GtkWidget *window = cs_preferences_window_new (self);

  gtk_window_set_transient_for (GTK_WINDOW (window), active_window (self));
  gtk_window_present (GTK_WINDOW (window));
}

static void
shortcuts_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkWindow *window = active_window (user_data);

  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static void
about_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  CsApplication *self = user_data;
  const char *developers[] = { _("The CrowdSpark developers"), NULL };

  adw_show_about_window (active_window (self),
                         "application-name", _("CrowdSpark"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("The CrowdSpark developers"),
                         "developers", developers,
                         "version", PACKAGE_VERSION,
                         "website", "https://github.com/crowdspark/crowdspark",
                         "issue-url", "https://github.com/crowdspark/crowdspark/issues",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "copyright", "© 2026 The CrowdSpark developers",
                         /* TRANSLATORS: your names, one per line */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
sign_out_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  CsApplication *self = user_data;

  if (self->context == NULL)
    return;
  cs_session_sign_out_async (cs_context_get_session (self->context), self->cancellable,
                             signed_out_cb, g_object_ref (self));
}

static void
quit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  CsApplication *self = user_data;
  GList *windows;

  /* Close the windows (they save their size), then quit. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL)
    gtk_window_destroy (windows->data);
  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_action },
  { "shortcuts", shortcuts_action },
  { "about", about_action },
  { "sign-out", sign_out_action },
  { "quit", quit_action },
};

static const struct {
  const char *action;
  const char *accels[3];
} app_accels[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "win.search", { "<Control>f", NULL } },
  { "win.refresh", { "F5", "<Control>r", NULL } },
  { "win.go-back", { "<Alt>Left", NULL } },
  { "win.show-discover", { "<Alt>1", NULL } },
  { "win.show-dashboard", { "<Alt>2", NULL } },
  { "window.close", { "<Control>w", NULL } },
};

/* ---- overrides ---------------------------------------------------------- */

static gint
cs_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  CsApplication *self = CS_APPLICATION (app);
  const char *server = NULL;

  if (g_variant_dict_lookup (options, "sign-in", "s", &self->sign_in_login) &&
      self->sign_in_login[0] == '\0')
    g_clear_pointer (&self->sign_in_login, g_free);
  if (g_variant_dict_lookup (options, "server", "&s", &server))
    {
      g_autoptr(GError) error = NULL;

      if (!cs_application_validate_server_url (server, &error))
        {
          g_printerr ("%s: %s\n", server, error->message);
          return 1;
        }
      cs_application_set_server_override (self, server);
    }
  return -1;
}

static void
cs_application_startup (GApplication *app)
{
  CsApplication *self = CS_APPLICATION (app);
  g_autofree char *saved_url = NULL;

  G_APPLICATION_CLASS (cs_application_parent_class)->startup (app);

  gtk_window_set_default_icon_name (APPLICATION_ID);
  /* follow the system's dark style preference */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (app_accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), app_accels[i].action, app_accels[i].accels);

  self->settings = g_settings_new (CS_APPLICATION_SCHEMA_ID);
  if (self->data_dir == NULL)
    self->data_dir = g_build_filename (g_get_user_data_dir (), "crowdspark", NULL);
  replace_context (self, effective_server_url (self, &saved_url));
}

static void
cs_application_activate (GApplication *app)
{
  CsApplication *self = CS_APPLICATION (app);
  GtkWindow *window = active_window (self);

  if (window == NULL)
    window = GTK_WINDOW (cs_window_new (self));
  gtk_window_present (window);
}

static void
cs_application_shutdown (GApplication *app)
{
  CsApplication *self = CS_APPLICATION (app);

  drop_context (self);
  G_APPLICATION_CLASS (cs_application_parent_class)->shutdown (app);
}

static void
cs_application_constructed (GObject *object)
{
  G_OBJECT_CLASS (cs_application_parent_class)->constructed (object);
  /* the same resources (style.css, gtk/help-overlay.ui) for the .Devel id */
  g_application_set_resource_base_path (G_APPLICATION (object), "/io/github/crowdspark/CrowdSpark");
}

static void
cs_application_dispose (GObject *object)
{
  CsApplication *self = CS_APPLICATION (object);

  drop_context (self);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (cs_application_parent_class)->dispose (object);
}

static void
cs_application_finalize (GObject *object)
{
  CsApplication *self = CS_APPLICATION (object);

  g_free (self->server_override);
  g_free (self->sign_in_login);
  g_free (self->data_dir);
  G_OBJECT_CLASS (cs_application_parent_class)->finalize (object);
}

static void
cs_application_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsApplication *self = CS_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_application_class_init (CsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  /* keeps the GResource of the static library linked in (toolchain.md, trap 1) */
  (void) cs_app_get_resource ();

  object_class->constructed = cs_application_constructed;
  object_class->dispose = cs_application_dispose;
  object_class->finalize = cs_application_finalize;
  object_class->get_property = cs_application_get_property;

  app_class->handle_local_options = cs_application_handle_local_options;
  app_class->startup = cs_application_startup;
  app_class->activate = cs_application_activate;
  app_class->shutdown = cs_application_shutdown;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CS_TYPE_CONTEXT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cs_application_init (CsApplication *self)
{
  static const GOptionEntry options[] = {
    { "server", 's', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
      N_("Use this server for this run (not saved)"), N_("URL") },
    { "sign-in", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
      N_("Sign in as this e-mail or username at start, with the password in CROWDSPARK_PASSWORD"),
      N_("LOGIN") },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

/* ---- public API --------------------------------------------------------- */

CsApplication *
cs_application_new (void)
{
  return g_object_new (CS_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

CsApplication *
cs_application_get_default (void)
{
  return CS_APPLICATION (g_application_get_default ());
}

CsContext *
cs_application_get_context (CsApplication *self)
{
  g_return_val_if_fail (CS_IS_APPLICATION (self), NULL);
  return self->context;
}

GSettings *
cs_application_get_settings (CsApplication *self)
{
  g_return_val_if_fail (CS_IS_APPLICATION (self), NULL);
  return self->settings;
}

void
cs_application_set_server_override (CsApplication *self, const char *server_url)
{
  g_return_if_fail (CS_IS_APPLICATION (self));
  g_free (self->server_override);
  self->server_override = g_strdup (server_url);
}

void
cs_application_set_data_dir (CsApplication *self, const char *data_dir)
{
  g_return_if_fail (CS_IS_APPLICATION (self));
  g_free (self->data_dir);
  self->data_dir = g_strdup (data_dir);
}

gboolean
cs_application_validate_server_url (const char *text, GError **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (text == NULL || *text == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Enter the server’s address"));
      return FALSE;
    }
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (scheme == NULL || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The address must start with http:// or https://"));
      return FALSE;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The address has no host name"));
      return FALSE;
    }
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL || g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The address cannot contain a user name, a query or a fragment"));
      return FALSE;
    }
  return TRUE;
}

gboolean
cs_application_set_server_url (CsApplication *self, const char *server_url, GError **error)
{
  g_return_val_if_fail (CS_IS_APPLICATION (self), FALSE);

  if (!cs_application_validate_server_url (server_url, error))
    return FALSE;
  g_settings_set_string (self->settings, "server-url", server_url);
  g_clear_pointer (&self->server_override, g_free);
  if (self->context == NULL || g_strcmp0 (cs_context_get_server_url (self->context), server_url) != 0)
    replace_context (self, server_url);
  return TRUE;
}
