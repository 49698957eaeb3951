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

static GtkWidget *
find_descendant (GtkWidget *parent, GType type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (parent); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (!gtk_widget_get_visible (child))
        continue;
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = find_descendant (child, type)) != NULL)
        return found;
    }
  return NULL;
}

gboolean
cs_widget_label_inner (GtkWidget *parent, GType type, const char *label)
{
  GtkWidget *inner;

  g_return_val_if_fail (GTK_IS_WIDGET (parent), FALSE);
  g_return_val_if_fail (label != NULL, FALSE);

  inner = find_descendant (parent, type);
  if (inner == NULL)
    return FALSE;
  gtk_accessible_update_property (GTK_ACCESSIBLE (inner), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return TRUE;
}
