/* cs-pledge-item.c: one of the user's pledges as a GObject. */
#include "config.h"

#include <string.h>

#include "cs-pledge-item.h"

struct _CsPledgeItem
{
  GObject parent_instance;

  CsPledge *pledge;    /* owned, never NULL */
  gboolean  pending;
};

G_DEFINE_FINAL_TYPE (CsPledgeItem, cs_pledge_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_CAMPAIGN_ID,
  PROP_CAMPAIGN_TITLE,
  PROP_REWARD_TITLE,
  PROP_AMOUNT,
  PROP_CURRENCY,
  PROP_STATUS,
  PROP_FAILURE_REASON,
  PROP_CREATED_AT,
  PROP_GROUP,
  PROP_PENDING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- helpers ---- */

/* ---- overrides ---- */

static void
cs_pledge_item_finalize (GObject *object)
{
  CsPledgeItem *self = CS_PLEDGE_ITEM (object);

  cs_pledge_free (self->pledge);

  G_OBJECT_CLASS (cs_pledge_item_parent_class)->finalize (object);
}

static void
cs_pledge_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsPledgeItem *self = CS_PLEDGE_ITEM (object);
  const CsPledge *p = self->pledge;

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, p->id);
      break;
    case PROP_CAMPAIGN_ID:
      g_value_set_string (value, p->campaign_id);
      break;
    case PROP_CAMPAIGN_TITLE:
      g_value_set_string (value, p->campaign_title);
      break;
    case PROP_REWARD_TITLE:
      g_value_set_string (value, p->reward_title);
      break;
    case PROP_AMOUNT:
      g_value_set_int64 (value, p->amount);
      break;
    case PROP_CURRENCY:
      g_value_set_string (value, p->currency);
      break;
    case PROP_STATUS:
      g_value_set_string (value, cs_pledge_status_to_string (p->status));
      break;
    case PROP_FAILURE_REASON:
      g_value_set_string (value, p->failure_reason);
      break;
    case PROP_CREATED_AT:
      g_value_set_int64 (value, p->created_at);
      break;
    case PROP_GROUP:
      g_value_set_int (value, cs_pledge_group_for_status (p->status));
      break;
    case PROP_PENDING:
      g_value_set_boolean (value, self->pending);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_pledge_item_class_init (CsPledgeItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cs_pledge_item_finalize;
  object_class->get_property = cs_pledge_item_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_CAMPAIGN_ID] = g_param_spec_string ("campaign-id", NULL, NULL, NULL, flags);
  properties[PROP_CAMPAIGN_TITLE] = g_param_spec_string ("campaign-title", NULL, NULL, NULL, flags);
  properties[PROP_REWARD_TITLE] = g_param_spec_string ("reward-title", NULL, NULL, NULL, flags);
  properties[PROP_AMOUNT] = g_param_spec_int64 ("amount", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_CURRENCY] = g_param_spec_string ("currency", NULL, NULL, NULL, flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  properties[PROP_FAILURE_REASON] = g_param_spec_string ("failure-reason", NULL, NULL, NULL, flags);
  properties[PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_GROUP] =
    g_param_spec_int ("group", NULL, NULL, 0, CS_PLEDGE_N_GROUPS - 1, CS_PLEDGE_GROUP_PENDING, flags);
  properties[PROP_PENDING] = g_param_spec_boolean ("pending", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cs_pledge_item_init (CsPledgeItem *self)
{
}

/* ---- public API ---- */

CsPledgeGroup
cs_pledge_group_for_status (CsPledgeStatus status)
{
  switch (status)
    {
    case CS_PLEDGE_FAILED:
    case CS_PLEDGE_CAPTURE_FAILED:
      return CS_PLEDGE_GROUP_PAYMENT_FAILED;
    case CS_PLEDGE_PENDING:
      return CS_PLEDGE_GROUP_PENDING;
    case CS_PLEDGE_AUTHORIZED:
      return CS_PLEDGE_GROUP_ACTIVE;
    case CS_PLEDGE_COLLECTED:
      return CS_PLEDGE_GROUP_COLLECTED;
    case CS_PLEDGE_CANCELLED:
    case CS_PLEDGE_VOIDED:
    case CS_PLEDGE_REFUNDED:
    case CS_PLEDGE_N_STATUSES:
    default:
      return CS_PLEDGE_GROUP_CLOSED;
    }
}

CsPledgeItem *
cs_pledge_item_new (const CsPledge *pledge, gboolean pending)
{
  CsPledgeItem *self;

  g_return_val_if_fail (pledge != NULL, NULL);

  self = g_object_new (CS_TYPE_PLEDGE_ITEM, NULL);
  self->pledge = cs_pledge_copy (pledge);
  self->pending = !!pending;
  return self;
}

const CsPledge *
cs_pledge_item_get_pledge (CsPledgeItem *self)
{
  g_return_val_if_fail (CS_IS_PLEDGE_ITEM (self), NULL);

  return self->pledge;
}

CsPledgeGroup
cs_pledge_item_get_group (CsPledgeItem *self)
{
  g_return_val_if_fail (CS_IS_PLEDGE_ITEM (self), CS_PLEDGE_GROUP_CLOSED);

  return cs_pledge_group_for_status (self->pledge->status);
}

gboolean
cs_pledge_item_get_pending (CsPledgeItem *self)
{
  g_return_val_if_fail (CS_IS_PLEDGE_ITEM (self), FALSE);

  return self->pending;
}

void
cs_pledge_item_set_pledge (CsPledgeItem *self, const CsPledge *pledge)
{
  g_autoptr(CsPledge) old = NULL;
  const CsPledge *p;

  g_return_if_fail (CS_IS_PLEDGE_ITEM (self));
  g_return_if_fail (pledge != NULL);
  g_return_if_fail (g_strcmp0 (pledge->id, self->pledge->id) == 0);

  old = g_steal_pointer (&self->pledge);
  self->pledge = cs_pledge_copy (pledge);
  p = self->pledge;

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (old->campaign_id, p->campaign_id) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMPAIGN_ID]);
  if (g_strcmp0 (old->campaign_title, p->campaign_title) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMPAIGN_TITLE]);
  if (g_strcmp0 (old->reward_title, p->reward_title) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REWARD_TITLE]);
  if (old->amount != p->amount)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AMOUNT]);
  if (strcmp (old->currency, p->currency) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENCY]);
  if (old->status != p->status)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  if (g_strcmp0 (old->failure_reason, p->failure_reason) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILURE_REASON]);
  if (old->created_at != p->created_at)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED_AT]);
  if (cs_pledge_group_for_status (old->status) != cs_pledge_group_for_status (p->status))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUP]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
cs_pledge_item_set_pending (CsPledgeItem *self, gboolean pending)
{
  g_return_if_fail (CS_IS_PLEDGE_ITEM (self));

  pending = !!pending;
  if (self->pending == pending)
    return;
  self->pending = pending;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
}
