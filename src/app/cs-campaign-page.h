/* cs-campaign-page.h: one campaign: the cached copy at once, then the
 * server's; live progress while shown; reward tiers; creator updates.
 *
 * Properties: "title" (the campaign's title, for the header bar), "loading"
 * (the server's copy is being fetched). */
#pragma once

#include <adwaita.h>
#include "cs-context.h"
#include "cs-client-error.h"

G_BEGIN_DECLS

#define CS_TYPE_CAMPAIGN_PAGE (cs_campaign_page_get_type ())
G_DECLARE_FINAL_TYPE (CsCampaignPage, cs_campaign_page, CS, CAMPAIGN_PAGE, GtkWidget)

GtkWidget        *cs_campaign_page_new             (CsContext *context, const char *campaign_id);
const char       *cs_campaign_page_get_campaign_id (CsCampaignPage *self);
const char       *cs_campaign_page_get_title       (CsCampaignPage *self);
/* The campaign shown, or NULL while loading (borrowed). */
const CsCampaign *cs_campaign_page_get_campaign    (CsCampaignPage *self);
/* Fetches the campaign and its updates again. */
void              cs_campaign_page_reload          (CsCampaignPage *self);

G_END_DECLS
