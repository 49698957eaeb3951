/* cs-dashboard-page.c: "My pledges", the backer's dashboard.
 *
 * The page follows the session (signed in or not, which user) and shows the
 * cache's CsPledgeList in a GtkListBox bound to the model, with a header
 * where the group changes ("Payment failed", "Waiting for the bank", ...).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cs-dashboard-page.h"
#include "cs-format.h"
#include "cs-widget-util.h"
#include "cs-pledge-row.h"

struct _CsDashboardPage
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkStack   *stack;
  GtkSpinner *spinner;
  GtkLabel   *totals_label;
  GtkListBox *list_box;

  /* owned */
  CsContext    *context;
  CsPledgeList *pledges;
  gulong        signed_in_id;
  gulong        user_id_id;
};

G_DEFINE_FINAL_TYPE (CsDashboardPage, cs_dashboard_page, GTK_TYPE_WIDGET)

/* ---- helpers ------------------------------------------------------------ */

static const char *
group_title (CsPledgeGroup group)
{
  switch (group)
    {
    case CS_PLEDGE_GROUP_PAYMENT_FAILED:
      return _("Payment failed");
    case CS_PLEDGE_GROUP_PENDING:
      return _("Waiting for the bank");
    case CS_PLEDGE_GROUP_ACTIVE:
      return _("Active");
    case CS_PLEDGE_GROUP_COLLECTED:
      return _("Collected");
    case CS_PLEDGE_GROUP_CLOSED:
      return _("Closed");
    case CS_PLEDGE_N_GROUPS:
    default:
      return "";
    }
}

static void
update_totals (CsDashboardPage *self)
{
  g_autoptr(GArray) totals = cs_pledge_list_totals (self->pledges);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; totals != NULL && i < totals->len; i++)
    {
      const CsMoney *money = &g_array_index (totals, CsMoney, i);
      g_autofree char *amount = NULL;

      if (money->amount <= 0)
        continue;
      amount = cs_format_money (money->amount, money->currency);
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append_printf (text, _("You have pledged %s"), amount);
    }
  gtk_label_set_text (self->totals_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->totals_label), text->len > 0);
}

static void
update_state (CsDashboardPage *self)
{
  CsSession *session = cs_context_get_session (self->context);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->pledges));
  gboolean loading = cs_pledge_list_get_loading (self->pledges);
  const char *page;

  if (!cs_session_get_signed_in (session))
    page = "signed-out";
  else if (n_items > 0)
    page = "list";
  else if (loading)
    page = "loading";
  else
    page = "empty";

  gtk_spinner_set_spinning (self->spinner, g_str_equal (page, "loading"));
  gtk_stack_set_visible_child_name (self->stack, page);
}

/* ---- callbacks ---------------------------------------------------------- */

static GtkWidget *
create_row_cb (gpointer item, gpointer user_data)
{
  CsDashboardPage *self = user_data;

  return cs_pledge_row_new (self->context, CS_PLEDGE_ITEM (item));
}

static void
update_header_cb (GtkListBoxRow *row, GtkListBoxRow *before, gpointer user_data)
{
  CsPledgeGroup group = cs_pledge_item_get_group (cs_pledge_row_get_item (CS_PLEDGE_ROW (row)));
  GtkWidget *header;

  if (before != NULL &&
      cs_pledge_item_get_group (cs_pledge_row_get_item (CS_PLEDGE_ROW (before))) == group)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }

  header = gtk_label_new (group_title (group));
  gtk_label_set_xalign (GTK_LABEL (header), 0);
  gtk_widget_add_css_class (header, "heading");
  gtk_widget_add_css_class (header, "pledge-group-header");
  gtk_widget_set_margin_top (header, before ? 18 : 12);
  gtk_widget_set_margin_bottom (header, 6);
  gtk_widget_set_margin_start (header, 12);
  gtk_widget_set_margin_end (header, 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (header), GTK_ACCESSIBLE_PROPERTY_LEVEL, 2, -1);
  gtk_list_box_row_set_header (row, header);
}

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added, CsDashboardPage *self)
{
  update_totals (self);
  update_state (self);
}

static void
loading_changed_cb (CsDashboardPage *self)
{
  update_state (self);
}

static void
session_changed_cb (CsSession *session, GParamSpec *pspec, CsDashboardPage *self)
{
  gboolean signed_in = cs_session_get_signed_in (session);

  cs_pledge_list_set_user_id (self->pledges, signed_in ? cs_session_get_user_id (session) : NULL);
  update_state (self);
}

/* ---- overrides ------------------------------------------------------------ */

static void
cs_dashboard_page_dispose (GObject *object)
{
  CsDashboardPage *self = CS_DASHBOARD_PAGE (object);

  if (self->context != NULL)
    {
      CsSession *session = cs_context_get_session (self->context);

      g_clear_signal_handler (&self->signed_in_id, session);
      g_clear_signal_handler (&self->user_id_id, session);
    }
  if (self->pledges != NULL)
    g_signal_handlers_disconnect_by_data (self->pledges, self);
  if (self->list_box != NULL)
    gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  cs_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_DASHBOARD_PAGE);
  g_clear_object (&self->pledges);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cs_dashboard_page_parent_class)->dispose (object);
}

static void
cs_dashboard_page_class_init (CsDashboardPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cs_dashboard_page_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/crowdspark/CrowdSpark/cs-dashboard-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CsDashboardPage, stack);
  gtk_widget_class_bind_template_child (widget_class, CsDashboardPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, CsDashboardPage, totals_label);
  gtk_widget_class_bind_template_child (widget_class, CsDashboardPage, list_box);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
cs_dashboard_page_init (CsDashboardPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_list_box_set_header_func (self->list_box, update_header_cb, NULL, NULL);
}

/* ---- public API ------------------------------------------------------------ */

GtkWidget *
cs_dashboard_page_new (CsContext *context)
{
  CsDashboardPage *self;
  CsSession *session;

  g_return_val_if_fail (CS_IS_CONTEXT (context), NULL);

  self = g_object_new (CS_TYPE_DASHBOARD_PAGE, NULL);
  self->context = g_object_ref (context);
  self->pledges = cs_pledge_list_new (cs_context_get_cache (context));
  session = cs_context_get_session (context);

  g_signal_connect (self->pledges, "items-changed", G_CALLBACK (items_changed_cb), self);
  g_signal_connect_swapped (self->pledges, "notify::loading", G_CALLBACK (loading_changed_cb), self);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->pledges), create_row_cb, self, NULL);

  self->signed_in_id = g_signal_connect (session, "notify::signed-in", G_CALLBACK (session_changed_cb), self);
  self->user_id_id = g_signal_connect (session, "notify::user-id", G_CALLBACK (session_changed_cb), self);
  session_changed_cb (session, NULL, self);
  update_totals (self);
  return GTK_WIDGET (self);
}
