/* cs-tier-row.c: one reward tier of a campaign page. */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-tier-row.h"
#include "cs-format.h"

struct _CsTierRow
{
  GtkListBoxRow  parent_instance;

  /* template widgets */
  GtkLabel      *title_label;
  GtkLabel      *minimum_label;
  GtkLabel      *description_label;
  GtkLabel      *delivery_label;
  GtkLabel      *quantity_label;
  GtkWidget     *select_button;
};

G_DEFINE_FINAL_TYPE (CsTierRow, cs_tier_row, GTK_TYPE_LIST_BOX_ROW)

/* ---- helpers ------------------------------------------------------------ */

static char *
format_delivery (const char *date)
{
  int year = 0, month = 0, day = 0;
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *month_year = NULL;

  if (date == NULL || sscanf (date, "%d-%d-%d", &year, &month, &day) != 3)
    return NULL;
  dt = g_date_time_new_utc (year, month, day, 0, 0, 0);
  if (dt == NULL)
    return NULL;
  /* TRANSLATORS: a month and year, see strftime(3): "June 2027" */
  month_year = g_date_time_format (dt, _("%B %Y"));
  return g_strdup_printf (_("Estimated delivery: %s"), month_year);
}

static void
fill (CsTierRow *self, const CsRewardTier *tier, const char *campaign_id, const char *currency,
      gboolean can_back)
{
  g_autofree char *minimum = cs_format_money (tier->minimum_pledge, currency);
  g_autofree char *minimum_text = g_strdup_printf (_("Pledge %s or more"), minimum);
  g_autofree char *delivery = format_delivery (tier->estimated_delivery_date);
  g_autofree char *quantity = NULL;
  g_autofree char *button_label = NULL;
  gint64 remaining = cs_reward_tier_remaining (tier);
  gboolean sold_out = remaining == 0;

  if (remaining < 0)
    quantity = g_strdup (_("Unlimited"));
  else if (sold_out)
    quantity = g_strdup (_("Sold out"));
  else
    quantity = g_strdup_printf (ngettext ("%lld left", "%lld left", (unsigned long) remaining),
                                (long long) remaining);

  gtk_label_set_label (self->title_label, tier->title);
  /* the row takes the focus: a screen reader names it by the reward */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, tier->title, -1);
  gtk_label_set_label (self->minimum_label, minimum_text);
  gtk_label_set_label (self->description_label, tier->description);
  gtk_widget_set_visible (GTK_WIDGET (self->description_label),
                          tier->description != NULL && *tier->description != '\0');
  gtk_label_set_label (self->delivery_label, delivery);
  gtk_widget_set_visible (GTK_WIDGET (self->delivery_label), delivery != NULL);
  gtk_label_set_label (self->quantity_label, quantity);

  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->select_button),
                                          g_variant_new_string (campaign_id));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->select_button), "win.back-project");
  gtk_widget_set_sensitive (self->select_button, can_back && !sold_out);
  if (sold_out)
    gtk_widget_set_tooltip_text (self->select_button, _("This reward is sold out"));
  else if (!can_back)
    gtk_widget_set_tooltip_text (self->select_button, _("This campaign is not open for pledges"));
  /* TRANSLATORS: what a screen reader says for the tier's button */
  button_label = g_strdup_printf (_("Back this project with the reward “%s”"), tier->title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->select_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  button_label, -1);
}

/* ---- overrides ---------------------------------------------------------- */

static void
cs_tier_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CS_TYPE_TIER_ROW);
  G_OBJECT_CLASS (cs_tier_row_parent_class)->dispose (object);
}

static void
cs_tier_row_class_init (CsTierRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cs_tier_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/crowdspark/CrowdSpark/cs-tier-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CsTierRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, CsTierRow, minimum_label);
  gtk_widget_class_bind_template_child (widget_class, CsTierRow, description_label);
  gtk_widget_class_bind_template_child (widget_class, CsTierRow, delivery_label);
  gtk_widget_class_bind_template_child (widget_class, CsTierRow, quantity_label);
  gtk_widget_class_bind_template_child (widget_class, CsTierRow, select_button);
}

static void
cs_tier_row_init (CsTierRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ---- public API --------------------------------------------------------- */

GtkWidget *
cs_tier_row_new (const CsRewardTier *tier, const char *campaign_id, const char *currency, gboolean can_back)
{
  CsTierRow *self;

  g_return_val_if_fail (tier != NULL, NULL);
  g_return_val_if_fail (campaign_id != NULL, NULL);
  self = g_object_new (CS_TYPE_TIER_ROW, NULL);
  fill (self, tier, campaign_id, currency, can_back);
  return GTK_WIDGET (self);
}

const char *
cs_tier_row_get_title (CsTierRow *self)
{
  g_return_val_if_fail (CS_IS_TIER_ROW (self), NULL);
  return gtk_label_get_label (self->title_label);
}
