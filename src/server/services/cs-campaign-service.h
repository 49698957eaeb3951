/* cs-campaign-service.h: campaigns, tiers, visibility and the moderation
 * decisions on them. */
#pragma once

#include "cs-service.h"

G_BEGIN_DECLS

/* Whether the caller may see @campaign at all (else it is a 404 for them). */
gboolean    cs_campaign_visible_to    (const CsCall *call, const CsCampaign *campaign);
/* Whether the caller owns it or is staff (sees private fields). */
gboolean    cs_campaign_manageable_by (const CsCall *call, const CsCampaign *campaign);

CsCampaign *cs_campaigns_create       (const CsCall *call, JsonObject *body, GError **error);
CsCampaign *cs_campaigns_get          (const CsCall *call, const char *campaign_id, GError **error);
/* The campaign if the caller created it: NOT_FOUND if they cannot see it,
 * FORBIDDEN if they can but it is not theirs. */
CsCampaign *cs_campaigns_get_owned    (const CsCall *call, const char *campaign_id, GError **error);
/* TRUE when the caller sees the campaign's public form (it is published and
 * the caller neither created it nor is staff); *version is then what a
 * cached copy of that form must match.  FALSE without an error when the
 * caller gets another view; FALSE with NOT_FOUND when there is none. */
gboolean    cs_campaigns_public_version (const CsCall *call, const char *campaign_id, gint64 *version,
                                         GError **error);
CsCampaign *cs_campaigns_update       (const CsCall *call, const char *campaign_id, JsonObject *body,
                                       GError **error);
/* Owner events (SUBMIT, CANCEL) and staff events (APPROVE, REJECT, SUSPEND).
 * @body may carry "reason" (required for REJECT and SUSPEND). */
CsCampaign *cs_campaigns_transition   (const CsCall *call, const char *campaign_id, CsCampaignEvent event,
                                       JsonObject *body, GError **error);
CsCampaign *cs_campaigns_set_image    (const CsCall *call, const char *campaign_id, const char *image_url,
                                       GError **error);
gboolean    cs_campaigns_list         (const CsCall *call, GHashTable *query, guint limit,
                                       CsCampaignPage *out, GError **error);
GPtrArray  *cs_categories_list        (const CsCall *call, GError **error);

GPtrArray    *cs_tiers_list           (const CsCall *call, const char *campaign_id, GError **error);
CsRewardTier *cs_tiers_create         (const CsCall *call, const char *campaign_id, JsonObject *body,
                                       GError **error);
CsRewardTier *cs_tiers_update         (const CsCall *call, const char *campaign_id, const char *tier_id,
                                       JsonObject *body, GError **error);
gboolean      cs_tiers_delete         (const CsCall *call, const char *campaign_id, const char *tier_id,
                                       GError **error);

G_END_DECLS
