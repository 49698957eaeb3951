/* cs-campaign-list.c: a GListModel of CsCampaignItem filled from the cache.
 *
 * A reload reads the query again and diffs the result against the list by
 * campaign id: items still present are kept (their data replaced in place,
 * so only changed properties notify), and items-changed is emitted for the
 * removed and inserted runs only (_cs_list_replace_items).  A reload asked
 * while one is running waits for it and runs once after it.
 */
#include "config.h"

#include "cs-campaign-list.h"

struct _CsCampaignList
{
  GObject parent_instance;

  CsCache      *cache;          /* owned */
  gulong        changed_id;

  /* The query (owned copies of its strings); has_query FALSE until set. */
  gboolean      has_query;
  CsCacheQuery  query;

  GPtrArray    *items;          /* CsCampaignItem*, owned */
  GHashTable   *by_id;          /* id (borrowed from the item) → item (borrowed) */
  GPtrArray    *merged;         /* ids merged from the server, in order (owned) */

  GCancellable *cancellable;    /* of the running read, or NULL */
  guint         generation;     /* bumped by set_query */
  gboolean      reload_again;   /* the cache changed during a read */
  gboolean      loading;
};

/* A read in flight: the list (a reference) and the query it was for. */
typedef struct {
  CsCampaignList *self;
  guint           generation;
} ReadData;

static void cs_campaign_list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CsCampaignList, cs_campaign_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, cs_campaign_list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void reload (CsCampaignList *self);

/* ---- helpers ---- */

static void
set_loading (CsCampaignList *self, gboolean loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
clear_query (CsCampaignList *self)
{
  g_clear_pointer ((char **) &self->query.category, g_free);
  g_clear_pointer ((char **) &self->query.text, g_free);
  self->has_query = FALSE;
}

/* Indexes @items (which become the list). */
static void
index_items (CsCampaignList *self, GPtrArray *items)
{
  g_hash_table_remove_all (self->by_id);
  for (guint i = 0; i < items->len; i++)
    {
      CsCampaignItem *item = g_ptr_array_index (items, i);

      g_hash_table_insert (self->by_id, (gpointer) cs_campaign_item_get_id (item), item);
    }
}

/* The list for @campaigns: the item already shown for a campaign (updated)
 * or a new one; then the merged campaigns the cache did not return. */
static void
apply_campaigns (CsCampaignList *self, GPtrArray *campaigns)
{
  g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < campaigns->len; i++)
    {
      const CsCampaign *c = g_ptr_array_index (campaigns, i);
      CsCampaignItem *item;

      if (c->id == NULL || g_hash_table_contains (seen, c->id))
        continue;
      item = g_hash_table_lookup (self->by_id, c->id);
      if (item != NULL)
        {
          cs_campaign_item_set_campaign (item, c);
          g_ptr_array_add (next, g_object_ref (item));
        }
      else
        g_ptr_array_add (next, cs_campaign_item_new (c));
      g_hash_table_add (seen, (gpointer) c->id);
    }
  for (guint i = 0; i < self->merged->len; i++)
    {
      const char *id = g_ptr_array_index (self->merged, i);
      CsCampaignItem *item = g_hash_table_lookup (self->by_id, id);

      if (item != NULL && !g_hash_table_contains (seen, id))
        {
          g_ptr_array_add (next, g_object_ref (item));
          g_hash_table_add (seen, (gpointer) id);
        }
    }

  /* Index first: a handler of items-changed may look items up. */
  index_items (self, next);
  _cs_list_replace_items (G_LIST_MODEL (self), self->items, next);
}

/* ---- callbacks ---- */

static void
query_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ReadData *read = user_data;
  g_autoptr(CsCampaignList) self = read->self;
  guint generation = read->generation;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) campaigns = cs_cache_query_campaigns_finish (CS_CACHE (source), result, &error);

  g_free (read);
  if (generation != self->generation)
    return;   /* a later query replaced this one (and runs its own read) */
  g_clear_object (&self->cancellable);

  if (campaigns == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read campaigns from the offline cache: %s", error->message);
    }
  else
    apply_campaigns (self, campaigns);

  set_loading (self, FALSE);
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      reload (self);
    }
}

static void
cache_changed_cb (CsCache *cache, gpointer user_data)
{
  CsCampaignList *self = user_data;

  if (!self->has_query)
    return;
  if (self->cancellable != NULL)
    self->reload_again = TRUE;
  else
    reload (self);
}

/* Starts a read of the query. */
static void
reload (CsCampaignList *self)
{
  ReadData *read = g_new0 (ReadData, 1);

  read->self = g_object_ref (self);
  read->generation = self->generation;
  self->cancellable = g_cancellable_new ();
  cs_cache_query_campaigns_async (self->cache, &self->query, self->cancellable, query_done_cb, read);
}

/* ---- overrides ---- */

static GType
cs_campaign_list_get_item_type (GListModel *model)
{
  return CS_TYPE_CAMPAIGN_ITEM;
}

static guint
cs_campaign_list_get_n_items (GListModel *model)
{
  return CS_CAMPAIGN_LIST (model)->items->len;
}

static gpointer
cs_campaign_list_get_item (GListModel *model, guint position)
{
  CsCampaignList *self = CS_CAMPAIGN_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
cs_campaign_list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = cs_campaign_list_get_item_type;
  iface->get_n_items = cs_campaign_list_get_n_items;
  iface->get_item = cs_campaign_list_get_item;
}

static void
cs_campaign_list_dispose (GObject *object)
{
  CsCampaignList *self = CS_CAMPAIGN_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_signal_handler (&self->changed_id, self->cache);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (cs_campaign_list_parent_class)->dispose (object);
}

static void
cs_campaign_list_finalize (GObject *object)
{
  CsCampaignList *self = CS_CAMPAIGN_LIST (object);

  clear_query (self);
  g_hash_table_unref (self->by_id);
  g_ptr_array_unref (self->items);
  g_ptr_array_unref (self->merged);

  G_OBJECT_CLASS (cs_campaign_list_parent_class)->finalize (object);
}

static void
cs_campaign_list_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsCampaignList *self = CS_CAMPAIGN_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_campaign_list_class_init (CsCampaignListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cs_campaign_list_dispose;
  object_class->finalize = cs_campaign_list_finalize;
  object_class->get_property = cs_campaign_list_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cs_campaign_list_init (CsCampaignList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->merged = g_ptr_array_new_with_free_func (g_free);
}

/* ---- public API ---- */

CsCampaignList *
cs_campaign_list_new (CsCache *cache)
{
  CsCampaignList *self;

  g_return_val_if_fail (CS_IS_CACHE (cache), NULL);

  self = g_object_new (CS_TYPE_CAMPAIGN_LIST, NULL);
  self->cache = g_object_ref (cache);
  self->changed_id = g_signal_connect (cache, "changed::campaigns", G_CALLBACK (cache_changed_cb), self);
  return self;
}

void
cs_campaign_list_set_query (CsCampaignList *self, const CsCacheQuery *query)
{
  g_return_if_fail (CS_IS_CAMPAIGN_LIST (self));
  g_return_if_fail (query != NULL);

  clear_query (self);
  self->query = *query;
  self->query.category = g_strdup (query->category);
  self->query.text = g_strdup (query->text);
  self->has_query = TRUE;
  g_ptr_array_set_size (self->merged, 0);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->reload_again = FALSE;
  self->generation++;
  set_loading (self, TRUE);
  reload (self);
}

gboolean
cs_campaign_list_get_loading (CsCampaignList *self)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_LIST (self), FALSE);

  return self->loading;
}

void
cs_campaign_list_merge (CsCampaignList *self, GPtrArray *campaigns)
{
  guint position, added = 0;

  g_return_if_fail (CS_IS_CAMPAIGN_LIST (self));
  g_return_if_fail (campaigns != NULL);

  position = self->items->len;
  for (guint i = 0; i < campaigns->len; i++)
    {
      const CsCampaign *c = g_ptr_array_index (campaigns, i);
      CsCampaignItem *item;

      if (c == NULL || c->id == NULL || g_hash_table_contains (self->by_id, c->id))
        continue;
      item = cs_campaign_item_new (c);
      g_ptr_array_add (self->items, item);
      g_hash_table_insert (self->by_id, (gpointer) cs_campaign_item_get_id (item), item);
      g_ptr_array_add (self->merged, g_strdup (c->id));
      added++;
    }
  if (added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), position, 0, added);
}

CsCampaignItem *
cs_campaign_list_lookup (CsCampaignList *self, const char *campaign_id)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_LIST (self), NULL);
  g_return_val_if_fail (campaign_id != NULL, NULL);

  return g_hash_table_lookup (self->by_id, campaign_id);
}

/* The items that keep their place are the longest subsequence of @new_items
 * whose old positions increase (patience sorting, O(n log n)); every other
 * old item is removed (runs from the end, so positions stay valid), then
 * every other new item inserted (runs from the start). */
void
_cs_list_replace_items (GListModel *model, GPtrArray *items, GPtrArray *new_items)
{
  g_autoptr(GHashTable) old_position = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) kept = g_hash_table_new (NULL, NULL);
  g_autofree guint *seq = g_new (guint, new_items->len + 1);      /* old positions, in new order */
  g_autofree guint *tails = g_new (guint, new_items->len + 1);    /* index in seq of each length's tail */
  g_autofree guint *previous = g_new (guint, new_items->len + 1);
  guint n_seq = 0, n_tails = 0;

  for (guint i = 0; i < items->len; i++)
    g_hash_table_insert (old_position, g_ptr_array_index (items, i), GUINT_TO_POINTER (i + 1));
  for (guint j = 0; j < new_items->len; j++)
    {
      guint p = GPOINTER_TO_UINT (g_hash_table_lookup (old_position, g_ptr_array_index (new_items, j)));

      if (p > 0)
        seq[n_seq++] = p - 1;
    }

  for (guint k = 0; k < n_seq; k++)
    {
      guint lo = 0, hi = n_tails;

      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;

          if (seq[tails[mid]] < seq[k])
            lo = mid + 1;
          else
            hi = mid;
        }
      previous[k] = lo > 0 ? tails[lo - 1] : G_MAXUINT;
      tails[lo] = k;
      if (lo == n_tails)
        n_tails++;
    }
  if (n_tails > 0)
    for (guint k = tails[n_tails - 1]; k != G_MAXUINT; k = previous[k])
      g_hash_table_add (kept, g_ptr_array_index (items, seq[k]));

  for (guint i = items->len; i > 0;)
    {
      guint end = i, start;

      if (g_hash_table_contains (kept, g_ptr_array_index (items, i - 1)))
        {
          i--;
          continue;
        }
      start = i - 1;
      while (start > 0 && !g_hash_table_contains (kept, g_ptr_array_index (items, start - 1)))
        start--;
      g_ptr_array_remove_range (items, start, end - start);
      g_list_model_items_changed (model, start, end - start, 0);
      i = start;
    }

  for (guint j = 0; j < new_items->len;)
    {
      guint start = j;

      if (g_hash_table_contains (kept, g_ptr_array_index (new_items, j)))
        {
          j++;
          continue;
        }
      while (j < new_items->len && !g_hash_table_contains (kept, g_ptr_array_index (new_items, j)))
        {
          g_ptr_array_insert (items, j, g_object_ref (g_ptr_array_index (new_items, j)));
          j++;
        }
      g_list_model_items_changed (model, start, 0, j - start);
    }
}
