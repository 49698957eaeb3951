/* cs-money-service.h: the provider webhooks (payments, identity), balances,
 * withdrawals, identity checks and fee settings. */
#pragma once

#include "cs-service.h"

G_BEGIN_DECLS

/* How far a webhook's signed timestamp may be from now. */
#define CS_WEBHOOK_TOLERANCE_SECONDS 300

/* POST /webhooks/payments: verifies the signature of @body (tolerance,
 * constant-time), parses the event and applies it exactly once.
 * *duplicate: the event id was seen before (nothing was done again).
 * @pledge_out (may be NULL): for a new event about a pledge, the pledge as it
 * is after the event (so that its backer can be told), else NULL. */
gboolean    cs_payments_webhook     (const CsCall *call, const char *secret, const char *signature,
                                     GBytes *body, gboolean *duplicate, CsCampaignProgress *progress,
                                     CsPledge **pledge_out, GError **error);
/* POST /webhooks/kyc: the identity provider's decision on a check. */
gboolean    cs_kyc_webhook          (const CsCall *call, const char *secret, const char *signature,
                                     GBytes *body, gboolean *duplicate, CsKycCheck **check_out,
                                     GError **error);

/* GET /me/kyc: the caller's newest check, or NULL without error. */
CsKycCheck *cs_kyc_get              (const CsCall *call, GError **error);
/* POST /me/kyc: records the check and hands the document to the provider. */
CsKycCheck *cs_kyc_submit           (const CsCall *call, JsonObject *body, GError **error);
/* POST /moderation/kyc/{id}/decision {"decision": "verified"|"rejected", "reason"}. */
CsKycCheck *cs_kyc_decide           (const CsCall *call, const char *kyc_id, JsonObject *body,
                                     GError **error);
GPtrArray  *cs_kyc_queue            (const CsCall *call, const char *cursor, guint limit,
                                     char **next_cursor, GError **error);

/* GET /campaigns/{id}/balance: the creator and staff. */
gboolean    cs_balance_get          (const CsCall *call, const char *campaign_id, CsBalance *out,
                                     GError **error);
/* POST /campaigns/{id}/withdrawals {"amount", "payout_method"?}. */
CsWithdrawal *cs_withdrawals_create (const CsCall *call, const char *campaign_id, JsonObject *body,
                                     const char *idempotency_key, GBytes *raw_body, CsReplay *replay,
                                     GError **error);
GPtrArray  *cs_withdrawals_list     (const CsCall *call, const char *cursor, guint limit,
                                     char **next_cursor, GError **error);

gboolean    cs_fees_get             (const CsCall *call, CsFeeSettings *out, GError **error);
gboolean    cs_fees_put             (const CsCall *call, JsonObject *body, CsFeeSettings *out,
                                     GError **error);

G_END_DECLS
