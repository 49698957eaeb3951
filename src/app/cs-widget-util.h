/* cs-widget-util.h: small helpers shared by the app's widgets. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* For the dispose() of a plain GtkWidget subclass built from a template:
 * clears the template's children (gtk_widget_dispose_template) and
 * unparents whatever children remain (the template's root widgets that are
 * not bound to a field), so the widget is finalized without children. */
void cs_widget_dispose_template (GtkWidget *widget, GType widget_type);

G_END_DECLS
