/* cs-preferences-window.c: the app's preferences. */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-preferences-window.h"
#include "cs-widget-util.h"

struct _CsPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* template widgets */
  AdwEntryRow          *server_row;
  GtkSwitch            *notify_switch;

  /* owned */
  CsApplication        *application;
};

G_DEFINE_FINAL_TYPE (CsPreferencesWindow, cs_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_APPLICATION_OBJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- callbacks ---------------------------------------------------------- */

static void
server_changed_cb (CsPreferencesWindow *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->server_row), "error");
}

static void
server_apply_cb (CsPreferencesWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row))));
  g_autofree char *message = NULL;
  g_autofree char *escaped = NULL;

  if (!cs_application_set_server_url (self->application, text, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->server_row), "error");
      escaped = g_markup_escape_text (error->message, -1);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (escaped));
      return;
    }
  message = g_strdup_printf (_("Now using %s"), text);
  escaped = g_markup_escape_text (message, -1);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (escaped));
}

/* ---- overrides ---------------------------------------------------------- */

static void
cs_preferences_window_constructed (GObject *object)
{
  CsPreferencesWindow *self = CS_PREFERENCES_WINDOW (object);
  CsContext *context = cs_application_get_context (self->application);
  GSettings *settings = cs_application_get_settings (self->application);
  g_autofree char *saved = NULL;

  G_OBJECT_CLASS (cs_preferences_window_parent_class)->constructed (object);

  if (context != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->server_row), cs_context_get_server_url (context));
  else if (settings != NULL)
    {
      saved = g_settings_get_string (settings, "server-url");
      gtk_editable_set_text (GTK_EDITABLE (self->server_row), saved);
    }
  if (settings != NULL)
    g_settings_bind (settings, "notify-pledges", self->notify_switch, "active", G_SETTINGS_BIND_DEFAULT);
}

static void
cs_preferences_window_dispose (GObject *object)
{
  CsPreferencesWindow *self = CS_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->application);
  G_OBJECT_CLASS (cs_preferences_window_parent_class)->dispose (object);
}

static void
cs_preferences_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CsPreferencesWindow *self = CS_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_APPLICATION_OBJECT:
      self->application = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_preferences_window_class_init (CsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cs_preferences_window_constructed;
  object_class->dispose = cs_preferences_window_dispose;
  object_class->set_property = cs_preferences_window_set_property;

  /* not "application": a dialog is not one of the application's windows */
  properties[PROP_APPLICATION_OBJECT] =
    g_param_spec_object ("cs-application", NULL, NULL, CS_TYPE_APPLICATION,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/crowdspark/CrowdSpark/cs-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CsPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, CsPreferencesWindow, notify_switch);
  gtk_widget_class_bind_template_callback (widget_class, server_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, server_changed_cb);
}

static void
cs_preferences_window_init (CsPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* libadwaita 1.2 exports its (unused) search entry without a name */
  cs_widget_label_inner (GTK_WIDGET (self), GTK_TYPE_SEARCH_ENTRY, _("Search Preferences"));
}

/* ---- public API --------------------------------------------------------- */

GtkWidget *
cs_preferences_window_new (CsApplication *application)
{
  g_return_val_if_fail (CS_IS_APPLICATION (application), NULL);
  return g_object_new (CS_TYPE_PREFERENCES_WINDOW, "cs-application", application, NULL);
}
