/* cs-campaign-page.c: one campaign. */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-campaign-page.h"
#include "cs-widget-util.h"
#include "cs-format.h"
#include "cs-image.h"
#include "cs-tier-row.h"

struct _CsCampaignPage
{
  GtkWidget       parent_instance;

  /* template widgets */
  GtkStack       *stack;
  AdwStatusPage  *error_page;
  GtkStack       *image_stack;
  GtkPicture     *picture;
  GtkLabel       *title_label;
  GtkLabel       *creator_label;
  GtkProgressBar *progress_bar;
  GtkLabel       *raised_label;
  GtkLabel       *goal_label;
  GtkLabel       *backers_label;
  GtkLabel       *time_label;
  GtkWidget      *back_button;
  GtkLabel       *not_live_label;
  GtkLabel       *story_label;
  GtkWidget      *tiers_box;
  GtkListBox     *tiers_list;
  GtkListBox     *updates_list;
  GtkLabel       *updates_status_label;

  /* owned */
  CsContext      *context;
  char           *campaign_id;
  CsCampaign     *campaign;
  GCancellable   *cancellable;     /* the page's life */
  GCancellable   *image_cancellable;
  char           *image_url;
  gboolean        watching;
  guint           n_fetching;      /* fetches in flight ("loading") */
  /* the last live progress seen while a fetch was in flight: newer than
   * the fetch's answer, which may have been written before it */
  gboolean        live_seen;
  gint64          live_amount;
  gint64          live_backers;
  char           *live_status;
};

G_DEFINE_FINAL_TYPE (CsCampaignPage, cs_campaign_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_CAMPAIGN_ID,
  PROP_TITLE,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- helpers ------------------------------------------------------------ */

static void image_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
show_progress (CsCampaignPage *self)
{
  const CsCampaign *c = self->campaign;
  g_autofree char *raised = cs_format_money (c->current_amount, c->currency);
  g_autofree char *goal = cs_format_money (c->goal_amount, c->currency);
  g_autofree char *percent = cs_format_percent_funded (cs_campaign_percent_funded (c));
  g_autofree char *goal_text = NULL;
  g_autofree char *backers = cs_format_backers (c->backer_count);
  g_autofree char *time_left = cs_format_time_left (c->status, c->end_date, g_get_real_time () / G_USEC_PER_SEC);
  const char *reason = cs_format_not_backable_reason (c->status);

  /* TRANSLATORS: "raised of a $5,000.00 goal · 24% funded" */
  goal_text = g_strdup_printf (_("raised of a %s goal · %s"), goal, percent);
  gtk_progress_bar_set_fraction (self->progress_bar, cs_format_progress_fraction (c->current_amount, c->goal_amount));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar), GTK_ACCESSIBLE_PROPERTY_LABEL, percent, -1);
  gtk_label_set_label (self->raised_label, raised);
  gtk_label_set_label (self->goal_label, goal_text);
  gtk_label_set_label (self->backers_label, backers);
  gtk_label_set_label (self->time_label, time_left);

  gtk_widget_set_sensitive (self->back_button, reason == NULL);
  gtk_label_set_label (self->not_live_label, reason);
  gtk_widget_set_visible (GTK_WIDGET (self->not_live_label), reason != NULL);
}

static void
show_tiers (CsCampaignPage *self)
{
  const CsCampaign *c = self->campaign;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->tiers_list))) != NULL)
    gtk_list_box_remove (self->tiers_list, child);
  for (guint i = 0; i < c->rewards->len; i++)
    gtk_list_box_append (self->tiers_list,
                         cs_tier_row_new (g_ptr_array_index (c->rewards, i), c->id, c->currency,
                                          c->status == CS_CAMPAIGN_LIVE));
  gtk_widget_set_visible (self->tiers_box, c->rewards->len > 0);
}

static void
show_image (CsCampaignPage *self, const char *url)
{
  /* no image, no empty frame */
  gtk_widget_set_visible (GTK_WIDGET (self->image_stack), url != NULL && *url != '\0');
  if (g_strcmp0 (url, self->image_url) == 0)
    return;
  g_cancellable_cancel (self->image_cancellable);
  g_clear_object (&self->image_cancellable);
  g_free (self->image_url);
  self->image_url = g_strdup (url);
  gtk_stack_set_visible_child_name (self->image_stack, "placeholder");
  if (url == NULL || *url == '\0')
    return;
  self->image_cancellable = g_cancellable_new ();
  cs_image_load_async (self->context, url, self->image_cancellable, image_loaded_cb, g_object_ref (self));
}

static void
show_campaign (CsCampaignPage *self, CsCampaign *campaign)
{
  const char *creator = campaign->creator.display_name;
  g_autofree char *by = NULL;

  if (creator == NULL || *creator == '\0')
    creator = campaign->creator.username;
  by = creator != NULL ? g_strdup_printf (_("by %s"), creator) : NULL;

  g_clear_pointer (&self->campaign, cs_campaign_free);
  self->campaign = campaign;

  gtk_label_set_label (self->title_label, campaign->title);
  gtk_label_set_label (self->creator_label, by);
  gtk_widget_set_visible (GTK_WIDGET (self->creator_label), by != NULL);
  gtk_label_set_label (self->story_label, campaign->description);
  /* the target first: an action with a NULL target would not match "s" */
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->back_button), g_variant_new_string (campaign->id));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->back_button), "win.back-project");
  show_progress (self);
  show_tiers (self);
  show_image (self, campaign->image_url);
  gtk_stack_set_visible_child_name (self->stack, "content");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

static void
show_error (CsCampaignPage *self, const GError *error)
{
  if (g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE))
    {
      adw_status_page_set_icon_name (self->error_page, "network-offline-symbolic");
      adw_status_page_set_title (self->error_page, _("You Are Offline"));
      adw_status_page_set_description (self->error_page,
                                       _("This campaign has not been saved on this computer yet. "
                                         "Connect to the internet to see it."));
    }
  else
    {
      adw_status_page_set_icon_name (self->error_page, "dialog-warning-symbolic");
      adw_status_page_set_title (self->error_page, _("Campaign Not Available"));
      adw_status_page_set_description (self->error_page, error->message);
    }
  gtk_stack_set_visible_child_name (self->stack, "error");
}

static void
clear_updates (CsCampaignPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->updates_list))) != NULL)
    gtk_list_box_remove (self->updates_list, child);
}

static GtkWidget *
update_row_new (const CsUpdate *update)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *title = gtk_label_new (update->title);
  g_autofree char *date = cs_format_date (update->created_at);
  GtkWidget *date_label = gtk_label_new (date);
  GtkWidget *content;
  gboolean locked = update->content == NULL;

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (date_label), 0);
  gtk_widget_add_css_class (date_label, "caption");
  gtk_widget_add_css_class (date_label, "dim-label");
  if (locked)
    {
      GtkWidget *image = gtk_image_new_from_icon_name ("system-lock-screen-symbolic");

      content = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Locked"), -1);
      gtk_box_append (GTK_BOX (content), image);
      gtk_box_append (GTK_BOX (content), gtk_label_new (_("For backers only")));
      gtk_widget_add_css_class (content, "dim-label");
    }
  else
    {
      content = gtk_label_new (update->content);
      gtk_label_set_xalign (GTK_LABEL (content), 0);
      gtk_label_set_wrap (GTK_LABEL (content), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (content), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_selectable (GTK_LABEL (content), TRUE);
    }
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), date_label);
  gtk_box_append (GTK_BOX (box), content);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  /* the row takes the focus: a screen reader names it by the update's title */
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, update->title, -1);
  return row;
}

static void cached_cb (GObject *object, GAsyncResult *result, gpointer user_data);
static void fetched_cb (GObject *object, GAsyncResult *result, gpointer user_data);
static void updates_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
fetch (CsCampaignPage *self)
{
  if (self->n_fetching++ == 0)
    {
      self->live_seen = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }
  cs_sync_engine_fetch_campaign_async (cs_context_get_sync_engine (self->context), self->campaign_id,
                                       self->cancellable, fetched_cb, g_object_ref (self));
  cs_api_client_list_updates_async (cs_context_get_api (self->context), self->campaign_id,
                                    self->cancellable, updates_cb, g_object_ref (self));
}

static void
set_watching (CsCampaignPage *self, gboolean watching)
{
  if (self->watching == watching || self->context == NULL)
    return;
  self->watching = watching;
  if (watching)
    cs_sync_engine_watch_campaign (cs_context_get_sync_engine (self->context), self->campaign_id);
  else
    cs_sync_engine_unwatch_campaign (cs_context_get_sync_engine (self->context), self->campaign_id);
}

/* ---- callbacks ---------------------------------------------------------- */

static void
image_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsCampaignPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = cs_image_load_finish (result, &error);

  if (g_strcmp0 (cs_image_load_get_url (result), self->image_url) != 0 || self->picture == NULL)
    return;
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
cached_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsCampaignPage) self = user_data;
  g_autoptr(GError) error = NULL;
  CsCampaign *campaign = cs_cache_get_campaign_finish (CS_CACHE (object), result, &error);

  if (campaign == NULL)
    return;   /* not cached (or cancelled): the fetch decides */
  if (self->campaign != NULL)
    {
      cs_campaign_free (campaign);   /* the server's answer came first */
      return;
    }
  show_campaign (self, campaign);
}

static void
fetched_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsCampaignPage) self = user_data;
  g_autoptr(GError) error = NULL;
  CsCampaign *campaign = cs_sync_engine_fetch_campaign_finish (CS_SYNC_ENGINE (object), result, &error);
  CsCampaignStatus status;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (campaign != NULL)
    {
      if (self->live_seen)
        {
          campaign->current_amount = self->live_amount;
          campaign->backer_count = self->live_backers;
          if (self->live_status != NULL && cs_campaign_status_from_string (self->live_status, &status))
            campaign->status = status;
        }
      show_campaign (self, campaign);
    }
  else if (self->campaign == NULL)
    show_error (self, error);   /* else keep the cached copy */

  if (--self->n_fetching == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
updates_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsCampaignPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) updates = cs_api_client_list_updates_finish (CS_API_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  clear_updates (self);
  if (updates == NULL)
    {
      gtk_label_set_label (self->updates_status_label,
                           g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE)
                           ? _("Updates are unavailable offline.")
                           : error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->updates_list), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->updates_status_label), TRUE);
      return;
    }
  for (guint i = 0; i < updates->len; i++)
    gtk_list_box_append (self->updates_list, update_row_new (g_ptr_array_index (updates, i)));
  gtk_widget_set_visible (GTK_WIDGET (self->updates_list), updates->len > 0);
  gtk_label_set_label (self->updates_status_label, _("The creator has not posted any updates yet."));
  gtk_widget_set_visible (GTK_WIDGET (self->updates_status_label), updates->len == 0);
}

static void
campaign_progress_cb (CsSyncEngine   *engine,
                      const char     *campaign_id,
                      gint64          current_amount,
                      gint64          backer_count,
                      const char     *status,
                      CsCampaignPage *self)
{
  CsCampaignStatus new_status;

  if (g_strcmp0 (campaign_id, self->campaign_id) != 0)
    return;
  if (self->n_fetching > 0)
    {
      self->live_seen = TRUE;
      self->live_amount = current_amount;
      self->live_backers = backer_count;
      g_free (self->live_status);
      self->live_status = g_strdup (status);
    }
  if (self->campaign == NULL)
    return;
  self->campaign->current_amount = current_amount;
  self->campaign->backer_count = backer_count;
  if (status != NULL && cs_campaign_status_from_string (status, &new_status) &&
      new_status != self->campaign->status)
    {
      self->campaign->status = new_status;
      show_tiers (self);
    }
  show_progress (self);
}

/* ---- overrides ---------------------------------------------------------- */

static void
cs_campaign_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (cs_campaign_page_parent_class)->map (widget);
  set_watching (CS_CAMPAIGN_PAGE (widget), TRUE);
}

static void
cs_campaign_page_unmap (GtkWidget *widget)
{
  set_watching (CS_CAMPAIGN_PAGE (widget), FALSE);
  GTK_WIDGET_CLASS (cs_campaign_page_parent_class)->unmap (widget);
}

static void
cs_campaign_page_constructed (GObject *object)
{
  CsCampaignPage *self = CS_CAMPAIGN_PAGE (object);

  G_OBJECT_CLASS (cs_campaign_page_parent_class)->constructed (object);

  g_signal_connect_object (cs_context_get_sync_engine (self->context), "campaign-progress",
                           G_CALLBACK (campaign_progress_cb), self, 0);
  gtk_label_set_label (self->updates_status_label, _("Loading updates…"));
  cs_cache_get_campaign_async (cs_context_get_cache (self->context), self->campaign_id, self->cancellable,
                               cached_cb, g_object_ref (self));
  fetch (self);
}

static void
cs_campaign_page_dispose (GObject *object)
{
  CsCampaignPage *self = CS_CAMPAIGN_PAGE (object);

  set_watching (self, FALSE);
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->image_cancellable);
  cs_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_CAMPAIGN_PAGE);
  g_clear_object (&self->image_cancellable);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (cs_campaign_page_parent_class)->dispose (object);
}

static void
cs_campaign_page_finalize (GObject *object)
{
  CsCampaignPage *self = CS_CAMPAIGN_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->campaign, cs_campaign_free);
  g_free (self->campaign_id);
  g_free (self->image_url);
  g_free (self->live_status);
  G_OBJECT_CLASS (cs_campaign_page_parent_class)->finalize (object);
}

static void
cs_campaign_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsCampaignPage *self = CS_CAMPAIGN_PAGE (object);

  switch (prop_id)
    {
    case PROP_CAMPAIGN_ID:
      g_value_set_string (value, self->campaign_id);
      break;
    case PROP_TITLE:
      g_value_set_string (value, cs_campaign_page_get_title (self));
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->n_fetching > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_campaign_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CsCampaignPage *self = CS_CAMPAIGN_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    case PROP_CAMPAIGN_ID:
      self->campaign_id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_campaign_page_class_init (CsCampaignPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cs_campaign_page_constructed;
  object_class->dispose = cs_campaign_page_dispose;
  object_class->finalize = cs_campaign_page_finalize;
  object_class->get_property = cs_campaign_page_get_property;
  object_class->set_property = cs_campaign_page_set_property;
  widget_class->map = cs_campaign_page_map;
  widget_class->unmap = cs_campaign_page_unmap;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CS_TYPE_CONTEXT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMPAIGN_ID] =
    g_param_spec_string ("campaign-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/crowdspark/CrowdSpark/cs-campaign-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, stack);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, image_stack);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, picture);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, creator_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, raised_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, goal_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, backers_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, time_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, back_button);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, not_live_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, story_label);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, tiers_box);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, tiers_list);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, updates_list);
  gtk_widget_class_bind_template_child (widget_class, CsCampaignPage, updates_status_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  /* Escape goes back (the window's binding; here too when focus is inside) */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.go-back", NULL);
}

static void
cs_campaign_page_init (CsCampaignPage *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ---- public API --------------------------------------------------------- */

GtkWidget *
cs_campaign_page_new (CsContext *context, const char *campaign_id)
{
  g_return_val_if_fail (CS_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (campaign_id != NULL, NULL);
  return g_object_new (CS_TYPE_CAMPAIGN_PAGE, "context", context, "campaign-id", campaign_id, NULL);
}

const char *
cs_campaign_page_get_campaign_id (CsCampaignPage *self)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_PAGE (self), NULL);
  return self->campaign_id;
}

const char *
cs_campaign_page_get_title (CsCampaignPage *self)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_PAGE (self), NULL);
  return self->campaign != NULL ? self->campaign->title : _("Campaign");
}

const CsCampaign *
cs_campaign_page_get_campaign (CsCampaignPage *self)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_PAGE (self), NULL);
  return self->campaign;
}

void
cs_campaign_page_reload (CsCampaignPage *self)
{
  g_return_if_fail (CS_IS_CAMPAIGN_PAGE (self));
  if (self->campaign == NULL)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  fetch (self);
}
