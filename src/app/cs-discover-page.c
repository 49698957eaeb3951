/* cs-discover-page.c: browse and search campaigns. */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-card-grid.h"
#include "cs-discover-page.h"
#include "cs-widget-util.h"

struct _CsDiscoverPage
{
  GtkWidget        parent_instance;

  /* template widgets */
  GtkSearchEntry  *search_entry;
  GtkDropDown     *category_dropdown;
  GtkToggleButton *sort_trending;
  GtkToggleButton *sort_newest;
  GtkToggleButton *sort_ending_soon;
  GtkToggleButton *sort_most_funded;
  GtkStack        *content_stack;
  AdwStatusPage   *empty_page;
  AdwStatusPage   *error_page;
  CsCardGrid      *grid;

  /* owned */
  CsContext       *context;
  CsCampaignList  *list;
  GtkStringList   *category_names;   /* "All Categories", then the cache's */
  GPtrArray       *category_slugs;   /* char*, parallel to category_names; [0] NULL */
  GCancellable    *cancellable;      /* the page's life */
  GCancellable    *search_cancellable;
  GPtrArray       *pending_results;  /* CsCampaign* the server found, merged once the list has loaded */
  GError          *search_error;
  gboolean         searching;
  CsApiSort        sort;
  char            *category;
  char            *text;
};

G_DEFINE_FINAL_TYPE (CsDiscoverPage, cs_discover_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- helpers ------------------------------------------------------------ */

static gboolean
has_filter (CsDiscoverPage *self)
{
  return (self->text != NULL && *self->text != '\0') || self->category != NULL;
}

static void
update_state (CsDiscoverPage *self)
{
  CsSyncEngine *engine = cs_context_get_sync_engine (self->context);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->list));
  const char *state;

  if (n_items > 0)
    state = "grid";
  else if (cs_campaign_list_get_loading (self->list) || self->searching ||
           (!has_filter (self) && cs_sync_engine_get_synchronizing (engine)))
    state = "loading";
  else if (!has_filter (self) && !cs_sync_engine_get_online (engine))
    {
      state = "error";
      adw_status_page_set_icon_name (self->error_page, "network-offline-symbolic");
      adw_status_page_set_title (self->error_page, _("You Are Offline"));
      adw_status_page_set_description (self->error_page,
                                       _("Campaigns appear here once CrowdSpark has reached the server."));
    }
  else if (!has_filter (self) && cs_sync_engine_get_last_error (engine) != NULL)
    {
      state = "error";
      adw_status_page_set_icon_name (self->error_page, "network-error-symbolic");
      adw_status_page_set_title (self->error_page, _("Could Not Load Campaigns"));
      adw_status_page_set_description (self->error_page, cs_sync_engine_get_last_error (engine));
    }
  else if (has_filter (self) && self->search_error != NULL &&
           !g_error_matches (self->search_error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE))
    {
      state = "error";
      adw_status_page_set_icon_name (self->error_page, "network-error-symbolic");
      adw_status_page_set_title (self->error_page, _("Search Failed"));
      adw_status_page_set_description (self->error_page, self->search_error->message);
    }
  else
    {
      state = "empty";
      if (has_filter (self) && !cs_sync_engine_get_online (engine))
        adw_status_page_set_description (self->empty_page,
                                         _("Only campaigns saved on this computer were searched. "
                                           "Connect to the internet to search them all."));
      else if (has_filter (self))
        adw_status_page_set_description (self->empty_page, _("Try other words or another category."));
      else
        adw_status_page_set_description (self->empty_page, _("New campaigns will appear here when they go live."));
    }
  gtk_stack_set_visible_child_name (self->content_stack, state);
}

static void
flush_pending_results (CsDiscoverPage *self)
{
  if (self->pending_results == NULL || cs_campaign_list_get_loading (self->list))
    return;
  cs_campaign_list_merge (self->list, self->pending_results);
  g_clear_pointer (&self->pending_results, g_ptr_array_unref);
}

static void
apply_query (CsDiscoverPage *self)
{
  CsCacheQuery query = {
    .sort = self->sort,
    .category = self->category,
    .text = (self->text != NULL && *self->text != '\0') ? self->text : NULL,
    .limit = 0,
    .public_only = TRUE,
  };

  /* what the server found for the old query is stale now */
  g_clear_pointer (&self->pending_results, g_ptr_array_unref);
  cs_campaign_list_set_query (self->list, &query);
  update_state (self);
}

static void searched_cb (GObject *object, GAsyncResult *result, gpointer user_data);

/* The server's results for the text (the cache may not have every campaign). */
static void
search_server (CsDiscoverPage *self)
{
  CsApiCampaignQuery query = {
    .sort = self->sort,
    .category = self->category,
    .text = self->text,
    .cursor = NULL,
    .limit = 50,
  };

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_error (&self->search_error);
  self->searching = FALSE;

  if (self->text == NULL || *self->text == '\0')
    {
      update_state (self);
      return;
    }
  self->search_cancellable = g_cancellable_new ();
  self->searching = TRUE;
  cs_api_client_list_campaigns_async (cs_context_get_api (self->context), &query, self->search_cancellable,
                                      searched_cb, g_object_ref (self));
  update_state (self);
}

static void categories_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
load_categories (CsDiscoverPage *self)
{
  cs_cache_list_categories_async (cs_context_get_cache (self->context), self->cancellable,
                                  categories_loaded_cb, g_object_ref (self));
}

/* ---- callbacks ---------------------------------------------------------- */

static void
campaigns_stored_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!cs_cache_put_campaigns_finish (CS_CACHE (object), result, &error))
    g_debug ("Caching search results: %s", error->message);
}

static void
searched_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsDiscoverPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsApiCampaignPage) page = cs_api_client_list_campaigns_finish (CS_API_CLIENT (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->searching = FALSE;
  if (page == NULL)
    {
      self->search_error = g_steal_pointer (&error);
      update_state (self);
      return;
    }

  /* shown at once, and kept so that opening one works offline */
  g_clear_pointer (&self->pending_results, g_ptr_array_unref);
  self->pending_results = g_ptr_array_ref (page->campaigns);
  flush_pending_results (self);
  cs_cache_put_campaigns_async (cs_context_get_cache (self->context), page->campaigns, self->cancellable,
                                campaigns_stored_cb, NULL);
  update_state (self);
}

static void
categories_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsDiscoverPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) categories = cs_cache_list_categories_finish (CS_CACHE (object), result, &error);
  g_autoptr(GPtrArray) slugs = NULL;
  g_autoptr(GPtrArray) names = NULL;
  guint selected = 0;
  gboolean same;

  if (categories == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Categories: %s", error->message);
      return;
    }

  slugs = g_ptr_array_new_with_free_func (g_free);
  names = g_ptr_array_new ();
  g_ptr_array_add (slugs, NULL);
  g_ptr_array_add (names, (gpointer) _("All Categories"));
  for (guint i = 0; i < categories->len; i++)
    {
      CsCategory *category = g_ptr_array_index (categories, i);

      g_ptr_array_add (slugs, g_strdup (category->slug));
      g_ptr_array_add (names, category->name != NULL ? category->name : category->slug);
      if (g_strcmp0 (category->slug, self->category) == 0)
        selected = i + 1;
    }
  g_ptr_array_add (names, NULL);

  same = self->category_slugs != NULL && self->category_slugs->len == slugs->len;
  for (guint i = 1; same && i < slugs->len; i++)
    same = g_strcmp0 (g_ptr_array_index (slugs, i), g_ptr_array_index (self->category_slugs, i)) == 0;
  if (same)
    return;   /* do not disturb an open popover */

  g_clear_pointer (&self->category_slugs, g_ptr_array_unref);
  self->category_slugs = g_steal_pointer (&slugs);
  g_signal_handlers_block_matched (self->category_dropdown, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  gtk_string_list_splice (self->category_names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->category_names)),
                          (const char * const *) names->pdata);
  gtk_drop_down_set_selected (self->category_dropdown, selected);
  g_signal_handlers_unblock_matched (self->category_dropdown, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
}

static void
cache_changed_cb (CsDiscoverPage *self)
{
  load_categories (self);
}

static void
list_changed_cb (CsDiscoverPage *self)
{
  flush_pending_results (self);
  update_state (self);
}

static void
engine_changed_cb (CsDiscoverPage *self)
{
  update_state (self);
}

static void
search_text_changed_cb (CsDiscoverPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (self->list == NULL)
    return;
  if (g_strcmp0 (stripped, self->text) == 0)
    return;
  g_free (self->text);
  self->text = g_steal_pointer (&stripped);
  /* the cache's results at once; the server's after the typing pauses */
  apply_query (self);
}

static void
search_changed_cb (CsDiscoverPage *self)
{
  search_server (self);
}

static void
search_activate_cb (CsDiscoverPage *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->list)) > 0)
    gtk_widget_child_focus (GTK_WIDGET (self->grid), GTK_DIR_TAB_FORWARD);
}

static void
stop_search_cb (CsDiscoverPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
category_selected_cb (CsDiscoverPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->category_dropdown);
  const char *slug = NULL;

  if (self->list == NULL)
    return;   /* the template is being built */
  if (self->category_slugs != NULL && selected < self->category_slugs->len)
    slug = g_ptr_array_index (self->category_slugs, selected);
  if (g_strcmp0 (slug, self->category) == 0)
    return;
  g_free (self->category);
  self->category = g_strdup (slug);
  apply_query (self);
  search_server (self);
}

static void
sort_toggled_cb (CsDiscoverPage *self, GtkToggleButton *button)
{
  CsApiSort sort;

  if (!gtk_toggle_button_get_active (button))
    return;
  if (button == self->sort_newest)
    sort = CS_API_SORT_NEWEST;
  else if (button == self->sort_ending_soon)
    sort = CS_API_SORT_ENDING_SOON;
  else if (button == self->sort_most_funded)
    sort = CS_API_SORT_MOST_FUNDED;
  else
    sort = CS_API_SORT_TRENDING;
  if (sort == self->sort || self->list == NULL)
    return;
  self->sort = sort;
  apply_query (self);
  search_server (self);
}

static void
grid_activate_cb (CsDiscoverPage *self, guint position)
{
  g_autoptr(CsCampaignItem) item = g_list_model_get_item (G_LIST_MODEL (self->list), position);

  if (item != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-campaign", "s", cs_campaign_item_get_id (item));
}

/* ---- overrides ---------------------------------------------------------- */

static void
cs_discover_page_constructed (GObject *object)
{
  CsDiscoverPage *self = CS_DISCOVER_PAGE (object);
  CsSyncEngine *engine = cs_context_get_sync_engine (self->context);

  G_OBJECT_CLASS (cs_discover_page_parent_class)->constructed (object);

  self->list = cs_campaign_list_new (cs_context_get_cache (self->context));
  g_signal_connect_object (self->list, "items-changed", G_CALLBACK (list_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list, "notify::loading", G_CALLBACK (list_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::online", G_CALLBACK (engine_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::last-error", G_CALLBACK (engine_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::synchronizing", G_CALLBACK (engine_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (cs_context_get_cache (self->context), "changed::campaigns",
                           G_CALLBACK (cache_changed_cb), self, G_CONNECT_SWAPPED);

  cs_card_grid_set_context (self->grid, self->context);
  cs_card_grid_set_model (self->grid, G_LIST_MODEL (self->list));

  apply_query (self);
  load_categories (self);
}

static void
cs_discover_page_dispose (GObject *object)
{
  CsDiscoverPage *self = CS_DISCOVER_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->search_cancellable);
  if (self->grid != NULL)
    cs_card_grid_set_model (self->grid, NULL);
  cs_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_DISCOVER_PAGE);
  g_clear_object (&self->list);
  g_clear_object (&self->context);
  g_clear_object (&self->category_names);
  g_clear_pointer (&self->category_slugs, g_ptr_array_unref);
  g_clear_pointer (&self->pending_results, g_ptr_array_unref);
  g_clear_object (&self->search_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->search_error);

  G_OBJECT_CLASS (cs_discover_page_parent_class)->dispose (object);
}

static void
cs_discover_page_finalize (GObject *object)
{
  CsDiscoverPage *self = CS_DISCOVER_PAGE (object);

  g_free (self->category);
  g_free (self->text);
  G_OBJECT_CLASS (cs_discover_page_parent_class)->finalize (object);
}

static void
cs_discover_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CsDiscoverPage *self = CS_DISCOVER_PAGE (object);

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
cs_discover_page_class_init (CsDiscoverPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cs_discover_page_constructed;
  object_class->dispose = cs_discover_page_dispose;
  object_class->finalize = cs_discover_page_finalize;
  object_class->set_property = cs_discover_page_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CS_TYPE_CONTEXT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/crowdspark/CrowdSpark/cs-discover-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, category_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, sort_trending);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, sort_newest);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, sort_ending_soon);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, sort_most_funded);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, CsDiscoverPage, grid);
  gtk_widget_class_bind_template_callback (widget_class, search_text_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, category_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, sort_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, grid_activate_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  g_type_ensure (CS_TYPE_CARD_GRID);
}

static void
cs_discover_page_init (CsDiscoverPage *self)
{
  self->sort = CS_API_SORT_TRENDING;
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  self->category_names = gtk_string_list_new (NULL);
  gtk_string_list_append (self->category_names, _("All Categories"));
  self->category_slugs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->category_slugs, NULL);
  gtk_drop_down_set_model (self->category_dropdown, G_LIST_MODEL (self->category_names));
  /* GTK 4.8's drop-down button has no name of its own */
  cs_widget_label_inner (GTK_WIDGET (self->category_dropdown), GTK_TYPE_TOGGLE_BUTTON, _("Category"));
}

/* ---- public API --------------------------------------------------------- */

GtkWidget *
cs_discover_page_new (CsContext *context)
{
  g_return_val_if_fail (CS_IS_CONTEXT (context), NULL);
  return g_object_new (CS_TYPE_DISCOVER_PAGE, "context", context, NULL);
}

void
cs_discover_page_focus_search (CsDiscoverPage *self)
{
  g_return_if_fail (CS_IS_DISCOVER_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
cs_discover_page_reload (CsDiscoverPage *self)
{
  g_return_if_fail (CS_IS_DISCOVER_PAGE (self));
  load_categories (self);
  search_server (self);
}

GListModel *
cs_discover_page_get_model (CsDiscoverPage *self)
{
  g_return_val_if_fail (CS_IS_DISCOVER_PAGE (self), NULL);
  return G_LIST_MODEL (self->list);
}

const char *
cs_discover_page_get_state (CsDiscoverPage *self)
{
  g_return_val_if_fail (CS_IS_DISCOVER_PAGE (self), NULL);
  return gtk_stack_get_visible_child_name (self->content_stack);
}
