/* cs-reward-tier.h: a campaign's reward tiers. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cs-json.h"

G_BEGIN_DECLS

#define CS_TIER_MAX_QUANTITY 1000000

typedef struct {
  char   *id;
  char   *campaign_id;
  char   *title;
  char   *description;              /* "" if none */
  gint64  minimum_pledge;           /* minor units of the campaign's currency */
  char   *estimated_delivery_date;  /* "YYYY-MM-DD" or NULL */
  gint64  quantity_available;       /* -1: unlimited (JSON null) */
  gint64  quantity_claimed;
  gint    position;                 /* display order within the campaign */
  gint64  created_at;
  gint64  updated_at;
} CsRewardTier;

CsRewardTier *cs_reward_tier_new        (void);
CsRewardTier *cs_reward_tier_copy       (const CsRewardTier *tier);
void          cs_reward_tier_free       (CsRewardTier *tier);
/* Remaining quantity, -1 if unlimited. */
gint64        cs_reward_tier_remaining  (const CsRewardTier *tier);

/* JSON: id, campaign_id, title, description, minimum_pledge,
 * estimated_delivery_date, quantity_available (null = unlimited),
 * quantity_claimed, quantity_remaining (null = unlimited), position,
 * created_at, updated_at. */
void          cs_reward_tier_write_json (const CsRewardTier *tier, CsJsonWriter *w);
CsRewardTier *cs_reward_tier_from_json  (JsonObject *obj, GError **error);

/* Input of a tier create/patch as sent by a creator.  The has_* flags say
 * which members were present (for PATCH). */
typedef struct {
  char    *title;
  char    *description;
  gint64   minimum_pledge;
  char    *estimated_delivery_date;   /* NULL with has_* = clears it */
  gint64   quantity_available;        /* -1 = unlimited */
  gboolean has_title, has_description, has_minimum_pledge;
  gboolean has_estimated_delivery_date, has_quantity_available;
} CsRewardTierInput;

void      cs_reward_tier_input_clear     (CsRewardTierInput *in);
/* Reads and validates @obj; field names in errors are prefixed with @prefix
 * (e.g. "rewards[2]."), "" for none.  @partial: nothing is required (PATCH).
 * @currency gives the minor-unit exponent for the 1.00 minimum.  Adds errors
 * to @v; returns FALSE if any were added (and then leaves @out cleared).
 * @out is overwritten, not freed: clear it with cs_reward_tier_input_clear(). */
gboolean  cs_reward_tier_input_read      (JsonObject *obj, gboolean partial, const char *currency,
                                          const char *prefix, CsValidation *v, CsRewardTierInput *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsRewardTier, cs_reward_tier_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CsRewardTierInput, cs_reward_tier_input_clear)

G_END_DECLS
