/* cs-tier-row.h: one reward tier of a campaign page: title, minimum pledge,
 * description, estimated delivery, how many are left, and a button that
 * backs the campaign (win.back-project). */
#pragma once

#include <adwaita.h>
#include "crowdspark-core.h"

G_BEGIN_DECLS

#define CS_TYPE_TIER_ROW (cs_tier_row_get_type ())
G_DECLARE_FINAL_TYPE (CsTierRow, cs_tier_row, CS, TIER_ROW, GtkListBoxRow)

/* @currency: the campaign's; @can_back: the campaign is live. */
GtkWidget  *cs_tier_row_new       (const CsRewardTier *tier, const char *campaign_id, const char *currency,
                                   gboolean can_back);
const char *cs_tier_row_get_title (CsTierRow *self);

G_END_DECLS
