/* cs-campaign-card.c: one campaign in the Discover grid. */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-campaign-card.h"
#include "cs-widget-util.h"
#include "cs-format.h"
#include "cs-image.h"

struct _CsCampaignCard
{
  GtkWidget       parent_instance;

  /* template widgets */
  GtkStack       *image_stack;
  GtkPicture     *picture;
  GtkLabel       *title_label;
  GtkLabel       *creator_label;
  GtkProgressBar *progress_bar;
  GtkLabel       *percent_label;
  GtkLabel       *time_label;
  GtkLabel       *raised_label;

  /* owned */
  CsContext      *context;
  CsCampaignItem *item;
  gulong          notify_id;
  GCancellable   *image_cancellable;
  char           *image_url;     /* the image shown or being loaded */
};

G_DEFINE_FINAL_TYPE (CsCampaignCard, cs_campaign_card, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static guint n_alive;

/* ---- helpers ------------------------------------------------------------ */

static void image_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
load_image (CsCampaignCard *self, const char *url)
{
  if (g_strcmp0 (self->image_url, url) == 0)
    return;

  g_cancellable_cancel (self->image_cancellable);
  g_clear_object (&self->image_cancellable);
  g_free (self->image_url);
  self->image_url = g_strdup (url);
  gtk_picture_set_paintable (self->picture, NULL);
  gtk_stack_set_visible_child_name (self->image_stack, "placeholder");

  if (url == NULL || *url == '\0' || self->context == NULL)
    return;
  self->image_cancellable = g_cancellable_new ();
  cs_image_load_async (self->context, url, self->image_cancellable, image_loaded_cb, g_object_ref (self));
}

static void
update (CsCampaignCard *self)
{
  g_autofree char *title = NULL;
  g_autofree char *creator = NULL;
  g_autofree char *currency = NULL;
  g_autofree char *status_text = NULL;
  g_autofree char *image_url = NULL;
  g_autofree char *by = NULL;
  g_autofree char *percent_text = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *raised = NULL;
  g_autofree char *goal = NULL;
  g_autofree char *raised_text = NULL;
  g_autofree char *summary = NULL;
  gint64 goal_amount = 0, current_amount = 0, end_date = 0;
  int percent = 0;
  CsCampaignStatus status = CS_CAMPAIGN_LIVE;

  if (self->item == NULL)
    {
      load_image (self, NULL);
      return;
    }

  g_object_get (self->item,
                "title", &title,
                "creator-name", &creator,
                "currency", &currency,
                "goal-amount", &goal_amount,
                "current-amount", &current_amount,
                "percent-funded", &percent,
                "status", &status_text,
                "end-date", &end_date,
                "image-url", &image_url,
                NULL);
  if (status_text != NULL)
    cs_campaign_status_from_string (status_text, &status);

  by = g_strdup_printf (_("by %s"), creator != NULL ? creator : _("Unknown creator"));
  percent_text = cs_format_percent_funded (percent);
  time_text = cs_format_time_left (status, end_date, g_get_real_time () / G_USEC_PER_SEC);
  raised = cs_format_money (current_amount, currency != NULL ? currency : "USD");
  goal = cs_format_money (goal_amount, currency != NULL ? currency : "USD");
  /* TRANSLATORS: "$1,234.00 raised of $5,000.00" */
  raised_text = g_strdup_printf (_("%s raised of %s"), raised, goal);

  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->creator_label, by);
  gtk_progress_bar_set_fraction (self->progress_bar, cs_format_progress_fraction (current_amount, goal_amount));
  gtk_label_set_label (self->percent_label, percent_text);
  gtk_label_set_label (self->time_label, time_text);
  gtk_label_set_label (self->raised_label, raised_text);

  /* TRANSLATORS: what a screen reader says for a card: title, "by …", "45% funded", "… raised of …", "3 days left" */
  summary = g_strdup_printf (_("%s, %s. %s, %s. %s."), title, by, percent_text, raised_text, time_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, summary, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  percent_text, -1);

  load_image (self, image_url);
}

/* ---- callbacks ---------------------------------------------------------- */

static void
image_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsCampaignCard) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = cs_image_load_finish (result, &error);

  if (g_strcmp0 (cs_image_load_get_url (result), self->image_url) != 0)
    return;   /* recycled for another campaign meanwhile */
  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Campaign image %s: %s", self->image_url, error->message);
      return;
    }
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  gtk_stack_set_visible_child_name (self->image_stack, "picture");
}

static void
item_notify_cb (CsCampaignCard *self)
{
  update (self);
}

/* ---- overrides ---------------------------------------------------------- */

static void
cs_campaign_card_dispose (GObject *object)
{
  CsCampaignCard *self = CS_CAMPAIGN_CARD (object);

  cs_campaign_card_set_item (self, NULL);
  g_cancellable_cancel (self->image_cancellable);
  g_clear_object (&self->image_cancellable);
  cs_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_CAMPAIGN_CARD);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (cs_campaign_card_parent_class)->dispose (object);
}

static void
cs_campaign_card_finalize (GObject *object)
{
  CsCampaignCard *self = CS_CAMPAIGN_CARD (object);

  g_free (self->image_url);
  n_alive--;
  G_OBJECT_CLASS (cs_campaign_card_parent_class)->finalize (object);
}

static void
cs_campaign_card_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CsCampaignCard *self = CS_CAMPAIGN_CARD (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_campaign_card_class_init (CsCampaignCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cs_campaign_card_dispose;
  object_class->finalize = cs_campaign_card_finalize;
  object_class->set_property = cs_campaign_card_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CS_TYPE_CONTEXT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/crowdspark/CrowdSpark/cs-campaign-card.ui");
  gtk_widget_class_bind_template_child (widget_class, CsCampaignCard, image_stack);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignCard, picture);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignCard, title_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignCard, creator_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignCard, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignCard, percent_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignCard, time_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignCard, raised_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "campaigncard");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
cs_campaign_card_init (CsCampaignCard *self)
{
  n_alive++;
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ---- public API --------------------------------------------------------- */

GtkWidget *
cs_campaign_card_new (CsContext *context)
{
  return g_object_new (CS_TYPE_CAMPAIGN_CARD, "context", context, NULL);
}

void
cs_campaign_card_set_item (CsCampaignCard *self, CsCampaignItem *item)
{
  g_return_if_fail (CS_IS_CAMPAIGN_CARD (self));

  if (self->item == item)
    return;
  if (self->item != NULL)
    g_clear_signal_handler (&self->notify_id, self->item);
  g_set_object (&self->item, item);
  if (item != NULL)
    self->notify_id = g_signal_connect_object (item, "notify", G_CALLBACK (item_notify_cb), self,
                                               G_CONNECT_SWAPPED);
  update (self);
}

CsCampaignItem *
cs_campaign_card_get_item (CsCampaignCard *self)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_CARD (self), NULL);
  return self->item;
}

const char *
cs_campaign_card_get_title (CsCampaignCard *self)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_CARD (self), NULL);
  return gtk_label_get_label (self->title_label);
}

guint
cs_campaign_card_get_n_alive (void)
{
  return n_alive;
}
