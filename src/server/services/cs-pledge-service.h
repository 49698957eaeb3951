/* cs-pledge-service.h: pledges: who may make, see, change and cancel them.
 * The money rules themselves (tier claims, minimums, deadlines, the final
 * 24 hours, idempotency) are decided inside the store's transactions. */
#pragma once

#include "cs-service.h"

G_BEGIN_DECLS

/* An Idempotency-Key header as accepted: 1–255 visible ASCII characters.
 * Missing or bad → CS_ERROR_INVALID field "Idempotency-Key". */
gboolean   cs_idempotency_key_check    (const char *key, GError **error);
/* The hash that tells a repeat from another request with the same key. */
char      *cs_idempotency_request_hash (const char *scope, GBytes *body);

/* POST /campaigns/{id}/pledges.  The campaign must be visible to the
 * caller (404), the caller not its creator (403).  On a repeat of the same
 * request @replay holds the first answer and NULL is returned without error. */
CsPledge  *cs_pledges_create          (const CsCall *call, const char *campaign_id, JsonObject *body,
                                       const char *idempotency_key, GBytes *raw_body, CsReplay *replay,
                                       GError **error);
/* The backer, the campaign's creator and staff see a pledge; others 404. */
CsPledge  *cs_pledges_get             (const CsCall *call, const char *pledge_id, GError **error);
/* A user's pledges: the user themself and staff; another user → 403. */
GPtrArray *cs_pledges_list_for_user   (const CsCall *call, const char *user_id, const char *cursor,
                                       guint limit, char **next_cursor, GError **error);
/* The backer list: the campaign's creator and staff (404 if the caller
 * cannot see the campaign, 403 if they can but do not own it). */
GPtrArray *cs_pledges_list_for_campaign (const CsCall *call, const char *campaign_id, const char *cursor,
                                         guint limit, char **next_cursor, GError **error);
/* Only the backer changes or cancels (others get 404). */
CsPledge  *cs_pledges_change          (const CsCall *call, const char *pledge_id, JsonObject *body,
                                       CsCampaignProgress *progress, GError **error);
CsPledge  *cs_pledges_cancel          (const CsCall *call, const char *pledge_id,
                                       CsCampaignProgress *progress, GError **error);

G_END_DECLS
