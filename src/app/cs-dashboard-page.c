/* cs-dashboard-page.c: placeholder (the FLOWS helper replaces it). */
#include <glib/gi18n.h>
#include "cs-dashboard-page.h"

struct _CsDashboardPage { GtkWidget parent_instance; };

G_DEFINE_FINAL_TYPE (CsDashboardPage, cs_dashboard_page, GTK_TYPE_WIDGET)

static void
cs_dashboard_page_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (cs_dashboard_page_parent_class)->dispose (object);
}

static void
cs_dashboard_page_class_init (CsDashboardPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cs_dashboard_page_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
cs_dashboard_page_init (CsDashboardPage *self)
{
  GtkWidget *status = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (status), _("My Pledges"));
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "starred-symbolic");
  gtk_widget_set_parent (status, GTK_WIDGET (self));
}

GtkWidget *
cs_dashboard_page_new (CsContext *context)
{
  return g_object_new (CS_TYPE_DASHBOARD_PAGE, NULL);
}
