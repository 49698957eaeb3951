/* cs-widget-util.c: small helpers shared by the app's widgets. */
#include "config.h"

#include "cs-widget-util.h"

void
cs_widget_dispose_template (GtkWidget *widget, GType widget_type)
{
  GtkWidget *child;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  gtk_widget_dispose_template (widget, widget_type);
  while ((child = gtk_widget_get_first_child (widget)) != NULL)
    gtk_widget_unparent (child);
}
