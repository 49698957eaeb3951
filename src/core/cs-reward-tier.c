/* cs-reward-tier.c: reward tiers, their JSON form and their input. */
#include "config.h"

#include <string.h>

#include "cs-money.h"
#include "cs-reward-tier.h"
#include "cs-util.h"

/* Helpers */

static const char * const tier_input_members[] = {
  "title",
  "description",
  "minimum_pledge",
  "estimated_delivery_date",
  "quantity_available",
  NULL
};

static gint64
minimum_amount_for (const char *currency)
{
  int exponent = cs_currency_exponent (currency);
  gint64 minimum = 1;

  if (exponent < 0)
    exponent = 2;
  while (exponent-- > 0)
    minimum *= 10;
  return minimum;
}

/* Public API */

CsRewardTier *
cs_reward_tier_new (void)
{
  CsRewardTier *tier = g_new0 (CsRewardTier, 1);

  tier->quantity_available = -1;
  return tier;
}

CsRewardTier *
cs_reward_tier_copy (const CsRewardTier *tier)
{
  CsRewardTier *copy;

  if (tier == NULL)
    return NULL;

  copy = g_new0 (CsRewardTier, 1);
  *copy = *tier;
  copy->id = g_strdup (tier->id);
  copy->campaign_id = g_strdup (tier->campaign_id);
  copy->title = g_strdup (tier->title);
  copy->description = g_strdup (tier->description);
  copy->estimated_delivery_date = g_strdup (tier->estimated_delivery_date);
  return copy;
}

void
cs_reward_tier_free (CsRewardTier *tier)
{
  if (tier == NULL)
    return;
  g_free (tier->id);
  g_free (tier->campaign_id);
  g_free (tier->title);
  g_free (tier->description);
  g_free (tier->estimated_delivery_date);
  g_free (tier);
}

gint64
cs_reward_tier_remaining (const CsRewardTier *tier)
{
  g_return_val_if_fail (tier != NULL, 0);

  if (tier->quantity_available < 0)
    return -1;
  return MAX (tier->quantity_available - tier->quantity_claimed, 0);
}

void
cs_reward_tier_write_json (const CsRewardTier *tier, CsJsonWriter *w)
{
  g_return_if_fail (tier != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", tier->id);
  cs_json_writer_member_string (w, "campaign_id", tier->campaign_id);
  cs_json_writer_member_string (w, "title", tier->title);
  cs_json_writer_member_string (w, "description", tier->description != NULL ? tier->description : "");
  cs_json_writer_member_int (w, "minimum_pledge", tier->minimum_pledge);
  cs_json_writer_member_string (w, "estimated_delivery_date", tier->estimated_delivery_date);
  if (tier->quantity_available < 0)
    {
      cs_json_writer_member_null (w, "quantity_available");
      cs_json_writer_member_int (w, "quantity_claimed", tier->quantity_claimed);
      cs_json_writer_member_null (w, "quantity_remaining");
    }
  else
    {
      cs_json_writer_member_int (w, "quantity_available", tier->quantity_available);
      cs_json_writer_member_int (w, "quantity_claimed", tier->quantity_claimed);
      cs_json_writer_member_int (w, "quantity_remaining", cs_reward_tier_remaining (tier));
    }
  cs_json_writer_member_int (w, "position", tier->position);
  cs_json_writer_member_time (w, "created_at", tier->created_at);
  cs_json_writer_member_time (w, "updated_at", tier->updated_at);
  cs_json_writer_end_object (w);
}

CsRewardTier *
cs_reward_tier_from_json (JsonObject *obj, GError **error)
{
  g_autoptr(CsRewardTier) tier = NULL;
  const char *id = cs_json_get_string_or (obj, "id", NULL);
  gint64 position;

  if (id == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The reward tier object has no id");
      return NULL;
    }

  tier = cs_reward_tier_new ();
  tier->id = g_strdup (id);
  tier->campaign_id = g_strdup (cs_json_get_string_or (obj, "campaign_id", NULL));
  tier->title = g_strdup (cs_json_get_string_or (obj, "title", ""));
  tier->description = g_strdup (cs_json_get_string_or (obj, "description", ""));
  tier->minimum_pledge = cs_json_get_int_or (obj, "minimum_pledge", 0);
  tier->estimated_delivery_date = g_strdup (cs_json_get_string_or (obj, "estimated_delivery_date", NULL));
  tier->quantity_available = cs_json_get_int_or (obj, "quantity_available", -1);
  if (tier->quantity_available < 0)
    tier->quantity_available = -1;
  tier->quantity_claimed = cs_json_get_int_or (obj, "quantity_claimed", 0);
  position = cs_json_get_int_or (obj, "position", 0);
  tier->position = (gint) CLAMP (position, G_MININT, G_MAXINT);
  tier->created_at = cs_json_get_time (obj, "created_at");
  tier->updated_at = cs_json_get_time (obj, "updated_at");
  return g_steal_pointer (&tier);
}

void
cs_reward_tier_input_clear (CsRewardTierInput *in)
{
  if (in == NULL)
    return;
  g_free (in->title);
  g_free (in->description);
  g_free (in->estimated_delivery_date);
  memset (in, 0, sizeof *in);
  in->quantity_available = -1;
}

gboolean
cs_reward_tier_input_read (JsonObject *obj, gboolean partial, const char *currency,
                           const char *prefix, CsValidation *v, CsRewardTierInput *out)
{
  g_autoptr(CsValidation) sub = cs_validation_new ();
  gboolean is_null = FALSE;
  char *date = NULL;
  gint64 quantity = -1;

  g_return_val_if_fail (obj != NULL, FALSE);
  g_return_val_if_fail (v != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  out->quantity_available = -1;

  cs_json_reject_unknown (obj, tier_input_members, sub);

  out->has_title = cs_json_read_string (obj, "title", !partial, 1, 80, FALSE, sub, &out->title);
  out->has_description = cs_json_read_string (obj, "description", FALSE, 0, 2000, TRUE, sub,
                                              &out->description);
  if (!out->has_description && !partial)
    out->description = g_strdup ("");
  out->has_minimum_pledge = cs_json_read_amount (obj, "minimum_pledge", !partial,
                                                 minimum_amount_for (currency), CS_MONEY_MAX_AMOUNT,
                                                 sub, &out->minimum_pledge);

  if (cs_json_read_string_nullable (obj, "estimated_delivery_date", 0, -1, FALSE, sub,
                                    &date, &is_null))
    {
      if (!is_null && !cs_date_is_valid_text (date))
        {
          cs_validation_add (sub, "estimated_delivery_date", "must be a date in the form YYYY-MM-DD");
          g_free (date);
        }
      else
        {
          out->has_estimated_delivery_date = TRUE;
          out->estimated_delivery_date = date;
        }
    }

  if (cs_json_read_int_nullable (obj, "quantity_available", 1, CS_TIER_MAX_QUANTITY, sub,
                                 &quantity, &is_null))
    {
      out->has_quantity_available = TRUE;
      out->quantity_available = is_null ? -1 : quantity;
    }

  if (!cs_validation_has_errors (sub))
    return TRUE;

  cs_validation_merge (v, sub, prefix);
  cs_reward_tier_input_clear (out);
  return FALSE;
}
