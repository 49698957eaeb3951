/* cs-campaign-item.h: one campaign as a GObject, for list models and pages.
 *
 * Read-only properties (notify when updated): id, title, creator-name,
 * category, image-url, currency, goal-amount, current-amount, backer-count,
 * percent-funded (int, may exceed 100), status (string), end-date (gint64
 * unix seconds, 0 if none), summary (the story's first lines).
 */
#pragma once

#include <glib-object.h>
#include "crowdspark-core.h"

G_BEGIN_DECLS

#define CS_TYPE_CAMPAIGN_ITEM (cs_campaign_item_get_type ())
G_DECLARE_FINAL_TYPE (CsCampaignItem, cs_campaign_item, CS, CAMPAIGN_ITEM, GObject)

/* Takes a copy of @campaign. */
CsCampaignItem   *cs_campaign_item_new          (const CsCampaign *campaign);
const CsCampaign *cs_campaign_item_get_campaign (CsCampaignItem *self);
const char       *cs_campaign_item_get_id       (CsCampaignItem *self);
/* Replaces the data (same id), notifying the properties that changed. */
void              cs_campaign_item_set_campaign (CsCampaignItem *self, const CsCampaign *campaign);
void              cs_campaign_item_set_progress (CsCampaignItem *self, gint64 current_amount,
                                                 gint64 backer_count, const char *status);

G_END_DECLS
