/* cs-widget-util.h: small helpers shared by the app's widgets. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* For the dispose() of a plain GtkWidget subclass built from a template:
 * clears the template's children (gtk_widget_dispose_template) and
 * unparents whatever children remain (the template's root widgets that are
 * not bound to a field), so the widget is finalized without children. */
void cs_widget_dispose_template (GtkWidget *widget, GType widget_type);

/* Gives an accessible name to the first visible descendant of @parent of
 * type @type: for the unlabelled buttons inside GTK 4.8 and libadwaita 1.2
 * composite widgets (GtkDropDown's toggle, AdwPasswordEntryRow's peek
 * button), which screen readers otherwise announce by their type name.
 * Returns whether one was found. */
gboolean cs_widget_label_inner (GtkWidget *parent, GType type, const char *label);

G_END_DECLS
