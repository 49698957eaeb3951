/* cs-status-bar.c: the one message at the top of the window. */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-status-bar.h"
#include "cs-widget-util.h"

struct _CsStatusBar
{
  GtkWidget     parent_instance;

  /* template widgets */
  GtkRevealer  *revealer;
  GtkWidget    *bar;
  GtkImage     *icon;
  GtkLabel     *label;
  GtkButton    *button;

  /* owned */
  gboolean      online;
  char         *last_error;
  gboolean      signed_in;
  CsStatusKind  kind;
};

G_DEFINE_FINAL_TYPE (CsStatusBar, cs_status_bar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ONLINE,
  PROP_LAST_ERROR,
  PROP_SIGNED_IN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- helpers ------------------------------------------------------------ */

static void
show (CsStatusBar *self, const char *css_class, const char *icon_name, const char *message,
      const char *button_label, const char *action_name)
{
  static const char *classes[] = { "offline", "server-problem", "signed-out" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (self->bar, classes[i]);
  gtk_widget_add_css_class (self->bar, css_class);
  gtk_image_set_from_icon_name (self->icon, icon_name);
  gtk_label_set_label (self->label, message);
  gtk_button_set_label (self->button, button_label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->button), action_name);
  gtk_revealer_set_reveal_child (self->revealer, TRUE);
}

static void
update (CsStatusBar *self)
{
  if (!self->online)
    {
      self->kind = CS_STATUS_OFFLINE;
      show (self, "offline", "network-offline-symbolic",
            _("You are offline. Campaigns shown may be out of date."), _("_Retry"), "win.refresh");
    }
  else if (self->last_error != NULL && *self->last_error != '\0')
    {
      g_autofree char *message = g_strdup_printf (_("The server has a problem: %s"), self->last_error);

      self->kind = CS_STATUS_SERVER_PROBLEM;
      show (self, "server-problem", "dialog-warning-symbolic", message, _("_Retry"), "win.refresh");
    }
  else if (!self->signed_in)
    {
      self->kind = CS_STATUS_SIGNED_OUT;
      show (self, "signed-out", "avatar-default-symbolic",
            _("Sign in to back projects and follow your pledges."), _("_Sign In…"), "win.sign-in");
    }
  else
    {
      self->kind = CS_STATUS_NONE;
      gtk_revealer_set_reveal_child (self->revealer, FALSE);
    }
}

/* ---- overrides ---------------------------------------------------------- */

static void
cs_status_bar_dispose (GObject *object)
{
  cs_widget_dispose_template (GTK_WIDGET (object), CS_TYPE_STATUS_BAR);
  G_OBJECT_CLASS (cs_status_bar_parent_class)->dispose (object);
}

static void
cs_status_bar_finalize (GObject *object)
{
  g_free (CS_STATUS_BAR (object)->last_error);
  G_OBJECT_CLASS (cs_status_bar_parent_class)->finalize (object);
}

static void
cs_status_bar_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsStatusBar *self = CS_STATUS_BAR (object);

  switch (prop_id)
    {
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->signed_in);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_status_bar_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CsStatusBar *self = CS_STATUS_BAR (object);

  switch (prop_id)
    {
    case PROP_ONLINE:
      if (self->online == g_value_get_boolean (value))
        return;
      self->online = g_value_get_boolean (value);
      break;
    case PROP_LAST_ERROR:
      if (g_strcmp0 (self->last_error, g_value_get_string (value)) == 0)
        return;
      g_free (self->last_error);
      self->last_error = g_value_dup_string (value);
      break;
    case PROP_SIGNED_IN:
      if (self->signed_in == g_value_get_boolean (value))
        return;
      self->signed_in = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  update (self);
  g_object_notify_by_pspec (object, pspec);
}

static void
cs_status_bar_class_init (CsStatusBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cs_status_bar_dispose;
  object_class->finalize = cs_status_bar_finalize;
  object_class->get_property = cs_status_bar_get_property;
  object_class->set_property = cs_status_bar_set_property;

  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/crowdspark/CrowdSpark/cs-status-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, CsStatusBar, revealer);
  gtk_widget_class_bind_template_child (widget_class, CsStatusBar, bar);
  gtk_widget_class_bind_template_child (widget_class, CsStatusBar, icon);
  gtk_widget_class_bind_template_child (widget_class, CsStatusBar, label);
  gtk_widget_class_bind_template_child (widget_class, CsStatusBar, button);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "statusbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
cs_status_bar_init (CsStatusBar *self)
{
  self->online = TRUE;
  self->signed_in = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ---- public API --------------------------------------------------------- */

GtkWidget *
cs_status_bar_new (void)
{
  return g_object_new (CS_TYPE_STATUS_BAR, NULL);
}

CsStatusKind
cs_status_bar_get_kind (CsStatusBar *self)
{
  g_return_val_if_fail (CS_IS_STATUS_BAR (self), CS_STATUS_NONE);
  return self->kind;
}

const char *
cs_status_bar_get_message (CsStatusBar *self)
{
  g_return_val_if_fail (CS_IS_STATUS_BAR (self), NULL);
  return self->kind == CS_STATUS_NONE ? NULL : gtk_label_get_label (self->label);
}
