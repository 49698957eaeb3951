/* cs-pledge-item.h: one of the user's pledges as a GObject (backer dashboard).
 *
 * Read-only properties: id, campaign-id, campaign-title, reward-title,
 * amount, currency, status (string), failure-reason, created-at, group
 * (CsPledgeGroup as int), pending (TRUE while a change or cancellation of it
 * waits in the outbox).
 */
#pragma once

#include <glib-object.h>
#include "crowdspark-core.h"

G_BEGIN_DECLS

/* What needs attention first. */
typedef enum {
  CS_PLEDGE_GROUP_PAYMENT_FAILED,  /* failed, capture_failed */
  CS_PLEDGE_GROUP_PENDING,         /* pending (the gateway has not answered yet) */
  CS_PLEDGE_GROUP_ACTIVE,          /* authorized: the campaign is running */
  CS_PLEDGE_GROUP_COLLECTED,       /* collected: the campaign succeeded */
  CS_PLEDGE_GROUP_CLOSED,          /* cancelled, voided, refunded */
  CS_PLEDGE_N_GROUPS
} CsPledgeGroup;

CsPledgeGroup cs_pledge_group_for_status (CsPledgeStatus status);

#define CS_TYPE_PLEDGE_ITEM (cs_pledge_item_get_type ())
G_DECLARE_FINAL_TYPE (CsPledgeItem, cs_pledge_item, CS, PLEDGE_ITEM, GObject)

/* Takes a copy of @pledge. */
CsPledgeItem   *cs_pledge_item_new         (const CsPledge *pledge, gboolean pending);
const CsPledge *cs_pledge_item_get_pledge  (CsPledgeItem *self);
CsPledgeGroup   cs_pledge_item_get_group   (CsPledgeItem *self);
gboolean        cs_pledge_item_get_pending (CsPledgeItem *self);
/* For CsPledgeList: replaces the data (same id) and the pending flag,
 * notifying the properties that changed. */
void            cs_pledge_item_set_pledge  (CsPledgeItem *self, const CsPledge *pledge);
void            cs_pledge_item_set_pending (CsPledgeItem *self, gboolean pending);

G_END_DECLS
