/* cs-window.c: the main window. */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-window.h"
#include "cs-campaign-page.h"
#include "cs-dashboard-page.h"
#include "cs-discover-page.h"
#include "cs-pledge-dialog.h"
#include "cs-sign-in-dialog.h"
#include "cs-status-bar.h"

struct _CsWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkWidget            *back_button;
  GtkStack             *refresh_stack;
  GtkStack             *title_stack;
  AdwViewSwitcherTitle *switcher_title;
  AdwWindowTitle       *campaign_title;
  CsStatusBar          *status_bar;
  GtkStack             *main_stack;
  AdwViewStack         *view_stack;
  AdwViewSwitcherBar   *switcher_bar;

  /* borrowed: children of the stacks */
  GtkWidget            *discover_page;
  GtkWidget            *dashboard_page;
  GtkWidget            *campaign_page;

  /* owned */
  CsContext            *context;
  GSettings            *settings;
  GCancellable         *cancellable;   /* cancelled with the window or the context */
  GBindingGroup        *engine_bindings;
  GBindingGroup        *session_bindings;
  GSignalGroup         *session_signals;
  GBinding             *title_binding;
  gboolean              keyring_toast_shown;
};

G_DEFINE_FINAL_TYPE (CsWindow, cs_window, ADW_TYPE_APPLICATION_WINDOW)

#define PENDING_CAMPAIGN_KEY "cs-pending-campaign-id"

static void cs_window_set_context (CsWindow *self, CsContext *context);

/* ---- helpers ------------------------------------------------------------ */

static gboolean
campaign_shown (CsWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "campaign") == 0;
}

static void
update_navigation (CsWindow *self)
{
  gboolean on_campaign = campaign_shown (self);

  gtk_widget_set_visible (self->back_button, on_campaign);
  gtk_stack_set_visible_child_name (self->title_stack, on_campaign ? "campaign" : "main");
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    !on_campaign && adw_view_switcher_title_get_title_visible (self->switcher_title));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.go-back", on_campaign);
}

static void
update_signed_in (CsWindow *self)
{
  gboolean signed_in = self->context != NULL && cs_session_get_signed_in (cs_context_get_session (self->context));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-in", !signed_in);
}

static void
check_keyring (CsWindow *self)
{
  CsSession *session;

  if (self->context == NULL || self->keyring_toast_shown)
    return;
  session = cs_context_get_session (self->context);
  if (cs_session_get_keyring_available (session))
    return;
  self->keyring_toast_shown = TRUE;
  cs_window_add_toast (self, _("No keyring is available: your account is remembered for this run only"));
}

static void
drop_campaign_page (CsWindow *self)
{
  if (self->campaign_page == NULL)
    return;
  g_clear_object (&self->title_binding);
  gtk_stack_remove (self->main_stack, self->campaign_page);
  self->campaign_page = NULL;
}

static void
show_main (CsWindow *self, const char *view)
{
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  if (view != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, view);
}

static void
open_pledge_dialog (CsWindow *self, const char *campaign_id)
{
  GtkWidget *dialog = cs_pledge_dialog_new (self->context, GTK_WINDOW (self), campaign_id);

  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
present_sign_in (CsWindow *self)
{
  GtkWidget *dialog = cs_sign_in_dialog_new (self->context, GTK_WINDOW (self));

  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static gboolean
synchronizing_to_page (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  g_value_set_string (to, g_value_get_boolean (from) ? "spinner" : "icon");
  return TRUE;
}

/* ---- callbacks ---------------------------------------------------------- */

static void
main_stack_changed_cb (CsWindow *self)
{
  /* also emitted while the template is built and torn down */
  if (self->back_button == NULL || self->main_stack == NULL || self->switcher_bar == NULL)
    return;
  update_navigation (self);
  /* the campaign page leaves once the slide back has ended */
  if (!campaign_shown (self) && !gtk_stack_get_transition_running (self->main_stack))
    drop_campaign_page (self);
}

static void
title_visible_changed_cb (CsWindow *self)
{
  update_navigation (self);
}

static void
context_changed_cb (CsApplication *app, GParamSpec *pspec, CsWindow *self)
{
  cs_window_set_context (self, cs_application_get_context (app));
}

/* "application" is not a construct property: it is set after constructed() */
static void
application_changed_cb (CsWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (!CS_IS_APPLICATION (app))
    return;
  g_signal_connect_object (app, "notify::context", G_CALLBACK (context_changed_cb), self, 0);
  cs_window_set_context (self, cs_application_get_context (CS_APPLICATION (app)));
}

static void
session_signed_in_changed_cb (CsSession *session, GParamSpec *pspec, CsWindow *self)
{
  update_signed_in (self);
}

static void
session_keyring_changed_cb (CsSession *session, GParamSpec *pspec, CsWindow *self)
{
  check_keyring (self);
}

static void
signed_in_then_pledge_cb (GtkWidget *dialog, CsWindow *self)
{
  const char *campaign_id = g_object_get_data (G_OBJECT (dialog), PENDING_CAMPAIGN_KEY);

  if (campaign_id != NULL)
    open_pledge_dialog (self, campaign_id);
}

static void
refreshed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  /* failures show in the status bar (online, last-error) */
  if (!cs_sync_engine_refresh_finish (CS_SYNC_ENGINE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Refresh: %s", error->message);
}

/* ---- actions ------------------------------------------------------------ */

static void
open_campaign_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  CsWindow *self = CS_WINDOW (widget);
  const char *campaign_id = g_variant_get_string (parameter, NULL);
  GtkWidget *page;

  if (self->context == NULL || *campaign_id == '\0')
    return;

  page = cs_campaign_page_new (self->context, campaign_id);
  if (self->campaign_page != NULL)
    {
      /* replace at once, without a slide */
      gtk_stack_set_visible_child_full (self->main_stack, "main", GTK_STACK_TRANSITION_TYPE_NONE);
      drop_campaign_page (self);
    }
  self->campaign_page = page;
  gtk_stack_add_named (self->main_stack, page, "campaign");
  self->title_binding = g_object_ref (g_object_bind_property (page, "title", self->campaign_title, "title",
                                                              G_BINDING_SYNC_CREATE));
  gtk_stack_set_visible_child_name (self->main_stack, "campaign");
  /* keyboard users land on the page, not on the card they left */
  gtk_widget_child_focus (page, GTK_DIR_TAB_FORWARD);
}

static void
go_back_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  CsWindow *self = CS_WINDOW (widget);

  if (campaign_shown (self))
    show_main (self, NULL);
}

static void
back_project_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  CsWindow *self = CS_WINDOW (widget);
  const char *campaign_id = g_variant_get_string (parameter, NULL);
  GtkWidget *dialog;

  if (self->context == NULL)
    return;
  if (cs_session_get_signed_in (cs_context_get_session (self->context)))
    {
      open_pledge_dialog (self, campaign_id);
      return;
    }
  /* sign in first, then pledge */
  dialog = present_sign_in (self);
  g_object_set_data_full (G_OBJECT (dialog), PENDING_CAMPAIGN_KEY, g_strdup (campaign_id), g_free);
  g_signal_connect_object (dialog, "signed-in", G_CALLBACK (signed_in_then_pledge_cb), self, 0);
}

static void
sign_in_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  CsWindow *self = CS_WINDOW (widget);

  if (self->context != NULL)
    present_sign_in (self);
}

static void
show_dashboard_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  show_main (CS_WINDOW (widget), "dashboard");
}

static void
show_discover_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  show_main (CS_WINDOW (widget), "discover");
}

static void
search_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  CsWindow *self = CS_WINDOW (widget);

  show_main (self, "discover");
  if (self->discover_page != NULL)
    cs_discover_page_focus_search (CS_DISCOVER_PAGE (self->discover_page));
}

static void
refresh_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  CsWindow *self = CS_WINDOW (widget);

  if (self->context == NULL)
    return;
  cs_live_client_reconnect (cs_context_get_live (self->context));
  cs_sync_engine_refresh_async (cs_context_get_sync_engine (self->context), self->cancellable,
                                refreshed_cb, NULL);
  if (self->discover_page != NULL)
    cs_discover_page_reload (CS_DISCOVER_PAGE (self->discover_page));
  if (self->campaign_page != NULL)
    cs_campaign_page_reload (CS_CAMPAIGN_PAGE (self->campaign_page));
}

/* ---- overrides ---------------------------------------------------------- */

static gboolean
cs_window_close_request (GtkWindow *window)
{
  CsWindow *self = CS_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window))
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);

  return GTK_WINDOW_CLASS (cs_window_parent_class)->close_request (window);
}

static void
cs_window_constructed (GObject *object)
{
  G_OBJECT_CLASS (cs_window_parent_class)->constructed (object);

#ifdef DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (object), "devel");
#endif
}

static void
cs_window_dispose (GObject *object)
{
  CsWindow *self = CS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->title_binding);
  if (self->main_stack != NULL)
    g_signal_handlers_disconnect_by_data (self->main_stack, self);
  if (self->engine_bindings != NULL)
    g_binding_group_set_source (self->engine_bindings, NULL);
  if (self->session_bindings != NULL)
    g_binding_group_set_source (self->session_bindings, NULL);
  if (self->session_signals != NULL)
    g_signal_group_set_target (self->session_signals, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_WINDOW);
  self->discover_page = self->dashboard_page = self->campaign_page = NULL;
  g_clear_object (&self->engine_bindings);
  g_clear_object (&self->session_bindings);
  g_clear_object (&self->session_signals);
  g_clear_object (&self->context);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (cs_window_parent_class)->dispose (object);
}

static void
cs_window_class_init (CsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = cs_window_constructed;
  object_class->dispose = cs_window_dispose;
  window_class->close_request = cs_window_close_request;

  g_type_ensure (CS_TYPE_STATUS_BAR);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/crowdspark/CrowdSpark/cs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, refresh_stack);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, title_stack);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, campaign_title);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, status_bar);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, CsWindow, switcher_bar);
  gtk_widget_class_bind_template_callback (widget_class, main_stack_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.open-campaign", "s", open_campaign_action);
  gtk_widget_class_install_action (widget_class, "win.back-project", "s", back_project_action);
  gtk_widget_class_install_action (widget_class, "win.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.show-dashboard", NULL, show_dashboard_action);
  gtk_widget_class_install_action (widget_class, "win.show-discover", NULL, show_discover_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.go-back", NULL, go_back_action);

  /* Escape leaves the campaign page (a focused entry keeps its own Escape) */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.go-back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Back, 0, "win.go-back", NULL);
}

static void
cs_window_init (CsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (CS_APPLICATION_SCHEMA_ID);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  self->engine_bindings = g_binding_group_new ();
  g_binding_group_bind (self->engine_bindings, "online", self->status_bar, "online", G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->engine_bindings, "last-error", self->status_bar, "last-error", G_BINDING_SYNC_CREATE);
  g_binding_group_bind_full (self->engine_bindings, "synchronizing", self->refresh_stack, "visible-child-name",
                             G_BINDING_SYNC_CREATE, synchronizing_to_page, NULL, NULL, NULL);
  self->session_bindings = g_binding_group_new ();
  g_binding_group_bind (self->session_bindings, "signed-in", self->status_bar, "signed-in", G_BINDING_SYNC_CREATE);
  self->session_signals = g_signal_group_new (CS_TYPE_SESSION);
  g_signal_group_connect_object (self->session_signals, "notify::signed-in",
                                 G_CALLBACK (session_signed_in_changed_cb), self, 0);
  g_signal_group_connect_object (self->session_signals, "notify::keyring-available",
                                 G_CALLBACK (session_keyring_changed_cb), self, 0);

  g_signal_connect (self, "notify::application", G_CALLBACK (application_changed_cb), NULL);
  g_signal_connect_object (self->switcher_title, "notify::title-visible",
                           G_CALLBACK (title_visible_changed_cb), self, G_CONNECT_SWAPPED);
  update_navigation (self);
}

/* Replaces the pages with ones for @context (a new server). */
static void
cs_window_set_context (CsWindow *self, CsContext *context)
{
  const char *view;
  g_autofree char *visible = NULL;

  if (self->context == context)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_set_object (&self->context, context);

  gtk_stack_set_visible_child_full (self->main_stack, "main", GTK_STACK_TRANSITION_TYPE_NONE);
  drop_campaign_page (self);

  view = adw_view_stack_get_visible_child_name (self->view_stack);
  visible = g_strdup (view != NULL ? view : "discover");
  if (self->discover_page != NULL)
    adw_view_stack_remove (self->view_stack, self->discover_page);
  if (self->dashboard_page != NULL)
    adw_view_stack_remove (self->view_stack, self->dashboard_page);
  self->discover_page = self->dashboard_page = NULL;

  g_binding_group_set_source (self->engine_bindings, context ? cs_context_get_sync_engine (context) : NULL);
  g_binding_group_set_source (self->session_bindings, context ? cs_context_get_session (context) : NULL);
  g_signal_group_set_target (self->session_signals, context ? cs_context_get_session (context) : NULL);
  update_signed_in (self);

  if (context == NULL)
    return;

  self->discover_page = cs_discover_page_new (context);
  adw_view_stack_page_set_icon_name (adw_view_stack_add_titled (self->view_stack, self->discover_page,
                                                                "discover", _("Discover")),
                                     "system-search-symbolic");
  self->dashboard_page = cs_dashboard_page_new (context);
  adw_view_stack_page_set_icon_name (adw_view_stack_add_titled (self->view_stack, self->dashboard_page,
                                                                "dashboard", _("My Pledges")),
                                     "starred-symbolic");
  adw_view_stack_set_visible_child_name (self->view_stack, visible);
  check_keyring (self);
}

/* ---- public API --------------------------------------------------------- */

CsWindow *
cs_window_new (CsApplication *application)
{
  return g_object_new (CS_TYPE_WINDOW, "application", application, NULL);
}

void
cs_window_add_toast (CsWindow *self, const char *text)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (CS_IS_WINDOW (self));
  escaped = g_markup_escape_text (text, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

GtkWidget *
cs_window_get_discover_page (CsWindow *self)
{
  g_return_val_if_fail (CS_IS_WINDOW (self), NULL);
  return self->discover_page;
}

GtkWidget *
cs_window_get_dashboard_page (CsWindow *self)
{
  g_return_val_if_fail (CS_IS_WINDOW (self), NULL);
  return self->dashboard_page;
}

GtkWidget *
cs_window_get_campaign_page (CsWindow *self)
{
  g_return_val_if_fail (CS_IS_WINDOW (self), NULL);
  return self->campaign_page;
}

GtkWidget *
cs_window_get_status_bar (CsWindow *self)
{
  g_return_val_if_fail (CS_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->status_bar);
}
