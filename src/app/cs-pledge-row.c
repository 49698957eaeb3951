/* cs-pledge-row.c: one of the user's pledges on the dashboard. */
#include "config.h"

#include <glib/gi18n.h>

#include "cs-format.h"
#include "cs-pledge-dialog.h"
#include "cs-pledge-row.h"

struct _CsPledgeRow
{
  GtkListBoxRow parent_instance;

  /* template widgets */
  GtkLabel  *title_label;
  GtkLabel  *detail_label;
  GtkLabel  *pending_label;
  GtkLabel  *failure_label;
  GtkLabel  *amount_label;
  GtkLabel  *status_label;
  GtkButton *change_button;

  /* owned */
  CsContext    *context;
  CsPledgeItem *item;
};

G_DEFINE_FINAL_TYPE (CsPledgeRow, cs_pledge_row, GTK_TYPE_LIST_BOX_ROW)

/* ---- helpers ------------------------------------------------------------ */

/* The pill's words and its colour class (NULL: neutral). */
static const char *
status_label (CsPledgeStatus status, const char **style_class)
{
  *style_class = NULL;
  switch (status)
    {
    case CS_PLEDGE_PENDING:
      *style_class = "warning";
      return _("Waiting for the bank");
    case CS_PLEDGE_AUTHORIZED:
      *style_class = "success";
      return _("Active");
    case CS_PLEDGE_FAILED:
      *style_class = "error";
      return _("Declined");
    case CS_PLEDGE_CAPTURE_FAILED:
      *style_class = "error";
      return _("Payment failed");
    case CS_PLEDGE_COLLECTED:
      *style_class = "success";
      return _("Collected");
    case CS_PLEDGE_CANCELLED:
      return _("Cancelled");
    case CS_PLEDGE_VOIDED:
      return _("Released");
    case CS_PLEDGE_REFUNDED:
      return _("Refunded");
    case CS_PLEDGE_N_STATUSES:
    default:
      return _("Unknown");
    }
}

static void
update (CsPledgeRow *self)
{
  const CsPledge *pledge = cs_pledge_item_get_pledge (self->item);
  const char *style_class = NULL;
  const char *status = status_label (pledge->status, &style_class);
  g_autofree char *amount = cs_format_money (pledge->amount, pledge->currency);
  gboolean failed = pledge->status == CS_PLEDGE_FAILED || pledge->status == CS_PLEDGE_CAPTURE_FAILED;
  gboolean changeable = pledge->status == CS_PLEDGE_PENDING || pledge->status == CS_PLEDGE_AUTHORIZED;
  const char *reward = pledge->reward_title ? pledge->reward_title
                       : pledge->reward_tier_id ? _("A reward") : _("No reward");
  g_autofree char *accessible = NULL;

  gtk_label_set_text (self->title_label, pledge->campaign_title ? pledge->campaign_title : _("A project"));
  if (pledge->created_at > 0)
    {
      g_autofree char *date = cs_format_date (pledge->created_at);
      /* TRANSLATORS: the reward and the day of a pledge: "Early Bird · 3 March 2025" */
      g_autofree char *detail = g_strdup_printf (_("%s · %s"), reward, date);
      gtk_label_set_text (self->detail_label, detail);
    }
  else
    gtk_label_set_text (self->detail_label, reward);
  gtk_label_set_text (self->amount_label, amount);

  gtk_label_set_text (self->status_label, status);
  if (style_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), style_class);
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");

  gtk_widget_set_visible (GTK_WIDGET (self->pending_label), cs_pledge_item_get_pending (self->item));
  if (failed)
    gtk_label_set_text (self->failure_label, cs_pledge_failure_text (pledge->failure_reason));
  gtk_widget_set_visible (GTK_WIDGET (self->failure_label), failed);
  gtk_widget_set_visible (GTK_WIDGET (self->change_button), changeable);

  gtk_actionable_set_action_target (GTK_ACTIONABLE (self), "s", pledge->campaign_id);
  /* TRANSLATORS: a pledge as a screen reader says it: "Project X, $25.00, Active" */
  accessible = g_strdup_printf (_("%s, %s, %s"), gtk_label_get_text (self->title_label), amount, status);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

/* ---- callbacks ---------------------------------------------------------- */

static void
change_clicked_cb (CsPledgeRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const CsPledge *pledge = cs_pledge_item_get_pledge (self->item);
  GtkWidget *dialog;

  dialog = cs_pledge_dialog_new_for_change (self->context, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                            pledge->id);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- overrides ------------------------------------------------------------ */

static void
cs_pledge_row_dispose (GObject *object)
{
  CsPledgeRow *self = CS_PLEDGE_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_PLEDGE_ROW);
  g_clear_object (&self->context);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (cs_pledge_row_parent_class)->dispose (object);
}

static void
cs_pledge_row_class_init (CsPledgeRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cs_pledge_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/crowdspark/CrowdSpark/cs-pledge-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CsPledgeRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeRow, pending_label);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeRow, failure_label);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeRow, amount_label);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeRow, change_button);
  gtk_widget_class_bind_template_callback (widget_class, change_clicked_cb);
}

static void
cs_pledge_row_init (CsPledgeRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ---- public API ------------------------------------------------------------ */

GtkWidget *
cs_pledge_row_new (CsContext *context, CsPledgeItem *item)
{
  CsPledgeRow *self;

  g_return_val_if_fail (CS_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (CS_IS_PLEDGE_ITEM (item), NULL);

  self = g_object_new (CS_TYPE_PLEDGE_ROW, NULL);
  self->context = g_object_ref (context);
  self->item = g_object_ref (item);
  update (self);
  return GTK_WIDGET (self);
}

CsPledgeItem *
cs_pledge_row_get_item (CsPledgeRow *self)
{
  g_return_val_if_fail (CS_IS_PLEDGE_ROW (self), NULL);

  return self->item;
}

const char *
cs_pledge_failure_text (const char *failure_reason)
{
  if (failure_reason == NULL || *failure_reason == '\0')
    return _("The bank declined the payment.");
  if (g_str_equal (failure_reason, "card_declined"))
    return _("The bank declined the card.");
  if (g_str_equal (failure_reason, "expired_card"))
    return _("The card has expired.");
  if (g_str_equal (failure_reason, "insufficient_funds"))
    return _("The card has insufficient funds.");
  if (g_str_equal (failure_reason, "capture_failed"))
    return _("The payment could not be collected. Update your card to keep your pledge.");
  if (g_str_equal (failure_reason, "account_closed"))
    return _("The card’s account is closed.");
  return failure_reason;
}
