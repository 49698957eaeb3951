/* cs-campaign-card.h: one campaign in the Discover grid (image, title,
 * creator, progress, money raised, time left), bound to a CsCampaignItem
 * and updated live when the item changes. */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_CAMPAIGN_CARD (cs_campaign_card_get_type ())
G_DECLARE_FINAL_TYPE (CsCampaignCard, cs_campaign_card, CS, CAMPAIGN_CARD, GtkWidget)

GtkWidget      *cs_campaign_card_new      (CsContext *context);
/* @item may be NULL (the card is being recycled). */
void            cs_campaign_card_set_item (CsCampaignCard *self, CsCampaignItem *item);
CsCampaignItem *cs_campaign_card_get_item (CsCampaignCard *self);
const char     *cs_campaign_card_get_title (CsCampaignCard *self);
/* How many cards exist right now (the grid recycles them: a benchmark). */
guint           cs_campaign_card_get_n_alive (void);

G_END_DECLS
