/* cs-live.h: live events over WebSocket (GET /api/v1/live, api.md "Live").
 *
 * The hub keeps each loop thread's WebSocket subscribers per campaign.
 * Publishing is thread-safe and never blocks: it may be called from any
 * thread after a commit.  Progress events of one campaign are coalesced to
 * at most 5 per second, and the last state always arrives.  A subscriber
 * whose connection cannot keep up (its kernel send queue stays full) or is
 * dead is dropped, never waited for.
 */
#pragma once

#include <glib.h>
#include "cs-store.h"

G_BEGIN_DECLS

typedef struct _CsLive CsLive;

CsLive  *cs_live_new               (void);
void     cs_live_free              (CsLive *live);

/* Sends {"type": "campaign.progress", "campaign_id", "current_amount",
 * "backer_count", "goal_amount", "currency", "status"} to the campaign's
 * subscribers (coalesced). */
void     cs_live_publish_progress  (CsLive *live, const CsCampaignProgress *progress);
/* Sends @json (a complete JSON object text, e.g. {"type": "update.posted",
 * ...}) to @campaign_id's subscribers, or, with @user_id, only to that
 * user's connections (authenticated subscribers). */
void     cs_live_publish_json      (CsLive *live, const char *campaign_id, const char *user_id,
                                    const char *json);
/* Number of open subscriber connections (metrics, tests). */
guint    cs_live_n_connections     (CsLive *live);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsLive, cs_live_free)

G_END_DECLS
