/* cs-pledge-list.c: the signed-in user's pledges, from the cache.
 *
 * A reload reads the user's pledges, then the outbox (an item waiting to be
 * sent whose target_id is a pledge marks it pending), sorts them by group
 * then newest first, and applies the difference like CsCampaignList: same
 * items for the same pledge ids, updated in place.
 */
#include "config.h"

#include <string.h>

#include "cs-campaign-list.h"
#include "cs-pledge-list.h"

struct _CsPledgeList
{
  GObject parent_instance;

  CsCache      *cache;          /* owned */
  gulong        pledges_changed_id;
  gulong        outbox_changed_id;

  char         *user_id;
  GPtrArray    *items;          /* CsPledgeItem*, owned */
  GHashTable   *by_id;          /* id (borrowed from the item) → item */

  GCancellable *cancellable;    /* of the running read, or NULL */
  guint         generation;     /* bumped by set_user_id */
  gboolean      reload_again;
  gboolean      loading;
};

/* A read in flight. */
typedef struct {
  CsPledgeList *self;        /* a reference */
  guint         generation;
  GPtrArray    *pledges;     /* CsPledge*, once read */
} ReadData;

static void cs_pledge_list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CsPledgeList, cs_pledge_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, cs_pledge_list_model_iface_init))

enum {
  PROP_0,
  PROP_USER_ID,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void reload (CsPledgeList *self);

/* ---- helpers ---- */

static void
read_data_free (ReadData *read)
{
  g_object_unref (read->self);
  g_clear_pointer (&read->pledges, g_ptr_array_unref);
  g_free (read);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReadData, read_data_free)

static void
set_loading (CsPledgeList *self, gboolean loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
index_items (CsPledgeList *self, GPtrArray *items)
{
  g_hash_table_remove_all (self->by_id);
  for (guint i = 0; i < items->len; i++)
    {
      CsPledgeItem *item = g_ptr_array_index (items, i);

      g_hash_table_insert (self->by_id, cs_pledge_item_get_pledge (item)->id, item);
    }
}

/* Group, then newest first (then by id, so that the order is total). */
static gint
compare_items (gconstpointer a, gconstpointer b)
{
  CsPledgeItem *item_a = *(CsPledgeItem * const *) a;
  CsPledgeItem *item_b = *(CsPledgeItem * const *) b;
  const CsPledge *pa = cs_pledge_item_get_pledge (item_a);
  const CsPledge *pb = cs_pledge_item_get_pledge (item_b);
  CsPledgeGroup ga = cs_pledge_item_get_group (item_a);
  CsPledgeGroup gb = cs_pledge_item_get_group (item_b);

  if (ga != gb)
    return ga < gb ? -1 : 1;
  if (pa->created_at != pb->created_at)
    return pa->created_at > pb->created_at ? -1 : 1;
  return -g_strcmp0 (pa->id, pb->id);
}

static void
apply_pledges (CsPledgeList *self, GPtrArray *pledges, GPtrArray *outbox)
{
  g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) pending = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < outbox->len; i++)
    {
      const CsOutboxItem *o = g_ptr_array_index (outbox, i);

      if (o->target_id != NULL && !o->failed)
        g_hash_table_add (pending, o->target_id);
    }
  for (guint i = 0; i < pledges->len; i++)
    {
      const CsPledge *p = g_ptr_array_index (pledges, i);
      gboolean is_pending = g_hash_table_contains (pending, p->id);
      CsPledgeItem *item;

      if (g_hash_table_contains (seen, p->id))
        continue;
      g_hash_table_add (seen, p->id);
      item = g_hash_table_lookup (self->by_id, p->id);
      if (item != NULL)
        {
          cs_pledge_item_set_pledge (item, p);
          cs_pledge_item_set_pending (item, is_pending);
          g_ptr_array_add (next, g_object_ref (item));
        }
      else
        g_ptr_array_add (next, cs_pledge_item_new (p, is_pending));
    }
  g_ptr_array_sort (next, compare_items);

  index_items (self, next);
  _cs_list_replace_items (G_LIST_MODEL (self), self->items, next);
}

/* Ends a read: TRUE if it is still the current one. */
static gboolean
read_is_current (CsPledgeList *self, guint generation)
{
  if (generation != self->generation)
    return FALSE;
  g_clear_object (&self->cancellable);
  return TRUE;
}

static void
read_finished (CsPledgeList *self)
{
  set_loading (self, FALSE);
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      reload (self);
    }
}

/* ---- callbacks ---- */

static void
outbox_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(ReadData) read = user_data;
  CsPledgeList *self = read->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outbox = cs_cache_outbox_list_finish (CS_CACHE (source), result, &error);

  if (!read_is_current (self, read->generation))
    return;
  if (outbox == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the outbox from the offline cache: %s", error->message);
    }
  else
    apply_pledges (self, read->pledges, outbox);
  read_finished (self);
}

static void
pledges_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(ReadData) read = user_data;
  CsPledgeList *self = read->self;
  g_autoptr(GError) error = NULL;

  read->pledges = cs_cache_list_pledges_finish (CS_CACHE (source), result, &error);
  if (read->generation != self->generation)
    return;
  if (read->pledges == NULL)
    {
      read_is_current (self, read->generation);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read pledges from the offline cache: %s", error->message);
      read_finished (self);
      return;
    }
  cs_cache_outbox_list_async (self->cache, self->cancellable, outbox_read_cb, g_steal_pointer (&read));
}

static void
cache_changed_cb (CsCache *cache, gpointer user_data)
{
  CsPledgeList *self = user_data;

  if (self->user_id == NULL)
    return;
  if (self->cancellable != NULL)
    self->reload_again = TRUE;
  else
    reload (self);
}

static void
reload (CsPledgeList *self)
{
  ReadData *read = g_new0 (ReadData, 1);

  read->self = g_object_ref (self);
  read->generation = self->generation;
  self->cancellable = g_cancellable_new ();
  cs_cache_list_pledges_async (self->cache, self->user_id, self->cancellable, pledges_read_cb, read);
}

/* ---- overrides ---- */

static GType
cs_pledge_list_get_item_type (GListModel *model)
{
  return CS_TYPE_PLEDGE_ITEM;
}

static guint
cs_pledge_list_get_n_items (GListModel *model)
{
  return CS_PLEDGE_LIST (model)->items->len;
}

static gpointer
cs_pledge_list_get_item (GListModel *model, guint position)
{
  CsPledgeList *self = CS_PLEDGE_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
cs_pledge_list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = cs_pledge_list_get_item_type;
  iface->get_n_items = cs_pledge_list_get_n_items;
  iface->get_item = cs_pledge_list_get_item;
}

static void
cs_pledge_list_dispose (GObject *object)
{
  CsPledgeList *self = CS_PLEDGE_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_signal_handler (&self->pledges_changed_id, self->cache);
  g_clear_signal_handler (&self->outbox_changed_id, self->cache);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (cs_pledge_list_parent_class)->dispose (object);
}

static void
cs_pledge_list_finalize (GObject *object)
{
  CsPledgeList *self = CS_PLEDGE_LIST (object);

  g_free (self->user_id);
  g_hash_table_unref (self->by_id);
  g_ptr_array_unref (self->items);

  G_OBJECT_CLASS (cs_pledge_list_parent_class)->finalize (object);
}

static void
cs_pledge_list_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsPledgeList *self = CS_PLEDGE_LIST (object);

  switch (prop_id)
    {
    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_pledge_list_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CsPledgeList *self = CS_PLEDGE_LIST (object);

  switch (prop_id)
    {
    case PROP_USER_ID:
      cs_pledge_list_set_user_id (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_pledge_list_class_init (CsPledgeListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cs_pledge_list_dispose;
  object_class->finalize = cs_pledge_list_finalize;
  object_class->get_property = cs_pledge_list_get_property;
  object_class->set_property = cs_pledge_list_set_property;

  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cs_pledge_list_init (CsPledgeList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

/* ---- public API ---- */

CsPledgeList *
cs_pledge_list_new (CsCache *cache)
{
  CsPledgeList *self;

  g_return_val_if_fail (CS_IS_CACHE (cache), NULL);

  self = g_object_new (CS_TYPE_PLEDGE_LIST, NULL);
  self->cache = g_object_ref (cache);
  self->pledges_changed_id =
    g_signal_connect (cache, "changed::pledges", G_CALLBACK (cache_changed_cb), self);
  self->outbox_changed_id =
    g_signal_connect (cache, "changed::outbox", G_CALLBACK (cache_changed_cb), self);
  return self;
}

void
cs_pledge_list_set_user_id (CsPledgeList *self, const char *user_id)
{
  guint removed;

  g_return_if_fail (CS_IS_PLEDGE_LIST (self));

  if (g_strcmp0 (self->user_id, user_id) == 0)
    return;
  g_free (self->user_id);
  self->user_id = g_strdup (user_id);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->reload_again = FALSE;
  self->generation++;

  /* Another user's pledges are never shown, not even while loading. */
  removed = self->items->len;
  g_hash_table_remove_all (self->by_id);
  g_ptr_array_set_size (self->items, 0);
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_ID]);
  if (user_id != NULL)
    {
      set_loading (self, TRUE);
      reload (self);
    }
  else
    set_loading (self, FALSE);
}

gboolean
cs_pledge_list_get_loading (CsPledgeList *self)
{
  g_return_val_if_fail (CS_IS_PLEDGE_LIST (self), FALSE);

  return self->loading;
}

static gint
compare_money (gconstpointer a, gconstpointer b)
{
  return strcmp (((const CsMoney *) a)->currency, ((const CsMoney *) b)->currency);
}

GArray *
cs_pledge_list_totals (CsPledgeList *self)
{
  GArray *totals;

  g_return_val_if_fail (CS_IS_PLEDGE_LIST (self), NULL);

  totals = g_array_new (FALSE, TRUE, sizeof (CsMoney));
  for (guint i = 0; i < self->items->len; i++)
    {
      CsPledgeItem *item = g_ptr_array_index (self->items, i);
      const CsPledge *p = cs_pledge_item_get_pledge (item);
      CsPledgeGroup group = cs_pledge_item_get_group (item);
      CsMoney *sum = NULL;

      if (group != CS_PLEDGE_GROUP_ACTIVE && group != CS_PLEDGE_GROUP_COLLECTED)
        continue;
      for (guint k = 0; k < totals->len && sum == NULL; k++)
        if (strcmp (g_array_index (totals, CsMoney, k).currency, p->currency) == 0)
          sum = &g_array_index (totals, CsMoney, k);
      if (sum == NULL)
        {
          CsMoney zero = { 0, "" };

          g_strlcpy (zero.currency, p->currency, sizeof zero.currency);
          g_array_append_val (totals, zero);
          sum = &g_array_index (totals, CsMoney, totals->len - 1);
        }
      /* Amounts are capped far below G_MAXINT64 (cs-money.h): an overflow
       * means corrupt data, and the total stays what it was. */
      if (!cs_int64_add_checked (sum->amount, p->amount, &sum->amount))
        g_warning ("The total of the %s pledges overflows", p->currency);
    }
  g_array_sort (totals, compare_money);
  return totals;
}
