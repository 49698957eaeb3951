/* cs-campaign-service.c: campaigns and their tiers: who may see and change
 * what.  The status rules themselves live in core (cs-campaign.h) and are
 * enforced inside the store's transactions. */
#include "config.h"

#include <string.h>

#include "cs-campaign-service.h"

gboolean
cs_campaign_visible_to (const CsCall *call, const CsCampaign *campaign)
{
  return campaign->published_at != 0 || cs_campaign_manageable_by (call, campaign);
}

gboolean
cs_campaign_manageable_by (const CsCall *call, const CsCampaign *campaign)
{
  return call->user_id != NULL &&
         (g_strcmp0 (call->user_id, campaign->creator_id) == 0 || cs_role_is_staff (call->role));
}

static gboolean
is_owner (const CsCall *call, const CsCampaign *campaign)
{
  return call->user_id != NULL && g_strcmp0 (call->user_id, campaign->creator_id) == 0;
}

static void
set_not_found (GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND, "There is no campaign with this id.");
}

/* The campaign if the caller may see it (404 otherwise, also for drafts). */
static CsCampaign *
load_visible (const CsCall *call, const char *campaign_id, GError **error)
{
  g_autoptr(CsCampaign) campaign = NULL;

  if (!cs_id_is_valid (campaign_id))
    {
      set_not_found (error);
      return NULL;
    }
  campaign = cs_store_campaign_get (call->conn, campaign_id, error);
  if (campaign == NULL)
    return NULL;
  if (!cs_campaign_visible_to (call, campaign))
    {
      set_not_found (error);
      return NULL;
    }
  return g_steal_pointer (&campaign);
}

/* The campaign if the caller is its creator: 404 if they cannot see it,
 * 403 if they can but it is not theirs. */
static CsCampaign *
load_owned (const CsCall *call, const char *campaign_id, GError **error)
{
  g_autoptr(CsCampaign) campaign = load_visible (call, campaign_id, error);

  if (campaign == NULL)
    return NULL;
  if (!is_owner (call, campaign))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_FORBIDDEN, "Only the campaign's creator may do this.");
      return NULL;
    }
  return g_steal_pointer (&campaign);
}

static CsRewardTier *
tier_from_input (const CsRewardTierInput *in, const char *campaign_id, gint64 now)
{
  CsRewardTier *tier = cs_reward_tier_new ();

  tier->id = cs_id_new ("tier");
  tier->campaign_id = g_strdup (campaign_id);
  tier->title = g_strdup (in->title);
  tier->description = g_strdup (in->description != NULL ? in->description : "");
  tier->minimum_pledge = in->minimum_pledge;
  tier->estimated_delivery_date = g_strdup (in->estimated_delivery_date);
  tier->quantity_available = in->has_quantity_available ? in->quantity_available : -1;
  tier->created_at = tier->updated_at = now;
  return tier;
}

CsCampaign *
cs_campaigns_create (const CsCall *call, JsonObject *body, GError **error)
{
  g_auto(CsCampaignInput) in = { 0 };
  g_autoptr(CsCampaign) campaign = NULL;

  if (!cs_campaign_input_read (body, FALSE, NULL, &in, error))
    return NULL;

  campaign = cs_campaign_new ();
  campaign->id = cs_id_new ("cmp");
  campaign->creator_id = g_strdup (call->user_id);
  campaign->title = g_strdup (in.title);
  campaign->description = g_strdup (in.description);
  campaign->category = g_strdup (in.category);
  campaign->goal_amount = in.goal_amount;
  g_strlcpy (campaign->currency, in.currency, sizeof campaign->currency);
  campaign->duration_days = in.duration_days;
  campaign->image_url = g_strdup (in.image_url);
  campaign->status = CS_CAMPAIGN_DRAFT;
  campaign->created_at = campaign->updated_at = call->now;
  if (in.rewards != NULL)
    for (guint i = 0; i < in.rewards->len; i++)
      {
        CsRewardTier *tier = tier_from_input (&g_array_index (in.rewards, CsRewardTierInput, i),
                                              campaign->id, call->now);

        tier->position = (gint) i;
        g_ptr_array_add (campaign->rewards, tier);
      }

  return cs_store_campaign_insert (call->conn, campaign, error);
}

CsCampaign *
cs_campaigns_get (const CsCall *call, const char *campaign_id, GError **error)
{
  return load_visible (call, campaign_id, error);
}

CsCampaign *
cs_campaigns_get_owned (const CsCall *call, const char *campaign_id, GError **error)
{
  return load_owned (call, campaign_id, error);
}

gboolean
cs_campaigns_public_version (const CsCall *call, const char *campaign_id, gint64 *version, GError **error)
{
  CsCampaignVersion v;

  if (!cs_id_is_valid (campaign_id))
    {
      set_not_found (error);
      return FALSE;
    }
  if (!cs_store_campaign_version (call->conn, campaign_id, &v, error))
    return FALSE;
  if (!v.published)
    return FALSE;   /* only its creator and staff see it: no shared copy */
  if (call->user_id != NULL && (g_strcmp0 (call->user_id, v.creator_id) == 0 || cs_role_is_staff (call->role)))
    return FALSE;
  *version = v.change_seq;
  return TRUE;
}

CsCampaign *
cs_campaigns_update (const CsCall *call, const char *campaign_id, JsonObject *body, GError **error)
{
  g_autoptr(CsCampaign) campaign = load_owned (call, campaign_id, error);
  g_auto(CsCampaignInput) in = { 0 };

  if (campaign == NULL)
    return NULL;
  if (!cs_campaign_input_read (body, TRUE, campaign->currency, &in, error))
    return NULL;
  if (in.fields == 0)
    return g_steal_pointer (&campaign);
  return cs_store_campaign_update (call->conn, campaign_id, &in, cs_campaign_fields_editable_in (in.fields),
                                   call->now, error);
}

CsCampaign *
cs_campaigns_transition (const CsCall    *call,
                         const char      *campaign_id,
                         CsCampaignEvent  event,
                         JsonObject      *body,
                         GError         **error)
{
  g_autoptr(CsCampaign) campaign = NULL;
  g_autofree char *reason = NULL;
  gboolean needs_reason = event == CS_CAMPAIGN_EVENT_REJECT || event == CS_CAMPAIGN_EVENT_SUSPEND;
  gboolean staff_event = needs_reason || event == CS_CAMPAIGN_EVENT_APPROVE;

  if (staff_event)
    {
      if (!cs_call_is_staff (call))
        {
          g_set_error_literal (error, CS_ERROR, CS_ERROR_FORBIDDEN, "Only moderators and administrators may do this.");
          return NULL;
        }
      campaign = load_visible (call, campaign_id, error);
    }
  else
    campaign = load_owned (call, campaign_id, error);
  if (campaign == NULL)
    return NULL;

  if (body != NULL)
    {
      static const char * const allowed[] = { "reason", NULL };
      g_autoptr(CsValidation) v = cs_validation_new ();

      cs_json_reject_unknown (body, allowed, v);
      cs_json_read_string (body, "reason", needs_reason, 3, 2000, TRUE, v, &reason);
      if (!cs_validation_finish (v, "The decision is missing its reason", error))
        return NULL;
    }
  else if (needs_reason)
    {
      g_autoptr(CsValidation) v = cs_validation_new ();

      cs_validation_add (v, "reason", "is required");
      cs_validation_finish (v, "The decision is missing its reason", error);
      return NULL;
    }

  return cs_store_campaign_transition (call->conn, campaign_id, event, call->user_id, reason, call->now, error);
}

CsCampaign *
cs_campaigns_set_image (const CsCall *call, const char *campaign_id, const char *image_url, GError **error)
{
  g_autoptr(CsCampaign) campaign = load_owned (call, campaign_id, error);

  if (campaign == NULL)
    return NULL;
  return cs_store_campaign_set_image (call->conn, campaign_id, image_url,
                                      cs_campaign_fields_editable_in (CS_CAMPAIGN_FIELD_IMAGE_URL),
                                      call->now, error);
}

static gboolean
parse_statuses (const char *text, CsCampaignStatusSet *out, CsValidation *v)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  *out = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      CsCampaignStatus status;

      if (!cs_campaign_status_from_string (g_strstrip (parts[i]), &status))
        {
          cs_validation_add (v, "status", "“%s” is not a campaign status", parts[i]);
          return FALSE;
        }
      *out |= CS_STATUS_BIT (status);
    }
  return TRUE;
}

gboolean
cs_campaigns_list (const CsCall *call, GHashTable *query, guint limit, CsCampaignPage *out, GError **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  const char *q = query ? g_hash_table_lookup (query, "q") : NULL;
  const char *category = query ? g_hash_table_lookup (query, "category") : NULL;
  const char *status = query ? g_hash_table_lookup (query, "status") : NULL;
  const char *creator_id = query ? g_hash_table_lookup (query, "creator_id") : NULL;
  const char *sort = query ? g_hash_table_lookup (query, "sort") : NULL;
  const char *cursor = query ? g_hash_table_lookup (query, "cursor") : NULL;
  CsCampaignQuery cq = { 0 };

  if (q != NULL)
    {
      if (!cs_text_is_clean (q, FALSE))
        cs_validation_add (v, "q", "contains characters that cannot be searched");
      else if (cs_text_length (q) > 200)
        cs_validation_add (v, "q", "must be at most 200 characters");
      else if (*g_strstrip ((char *) q) == '\0')   /* the table owns q; stripping in place is fine */
        q = NULL;
    }
  if (status != NULL)
    parse_statuses (status, &cq.statuses, v);
  if (sort != NULL)
    {
      if (!cs_campaign_sort_from_string (sort, &cq.sort))
        cs_validation_add (v, "sort", "must be one of trending, newest, ending_soon, most_funded, relevance");
      else if (cq.sort == CS_SORT_RELEVANCE && q == NULL)
        cs_validation_add (v, "sort", "relevance needs a search query q");
    }
  else
    cq.sort = q != NULL ? CS_SORT_RELEVANCE : CS_SORT_TRENDING;
  if (category != NULL && (strlen (category) == 0 || strlen (category) > 40))
    cs_validation_add (v, "category", "is not a known category");
  if (creator_id != NULL && !cs_id_is_valid (creator_id))
    cs_validation_add (v, "creator_id", "is not a valid id");
  if (cursor != NULL && strlen (cursor) > 512)
    cs_validation_add (v, "cursor", "is not a valid cursor");
  if (!cs_validation_finish (v, "The query has invalid parameters", error))
    return FALSE;

  cq.q = q;
  cq.category = category;
  cq.creator_id = creator_id;
  cq.cursor = cursor;
  cq.limit = limit;
  cq.viewer_id = call->user_id;
  cq.viewer_is_staff = cs_call_is_staff (call);
  cq.now = call->now;
  return cs_store_campaign_list (call->conn, &cq, out, error);
}

GPtrArray *
cs_categories_list (const CsCall *call, GError **error)
{
  return cs_store_categories (call->conn, error);
}

GPtrArray *
cs_tiers_list (const CsCall *call, const char *campaign_id, GError **error)
{
  g_autoptr(CsCampaign) campaign = load_visible (call, campaign_id, error);

  if (campaign == NULL)
    return NULL;
  return g_ptr_array_ref (campaign->rewards);
}

CsRewardTier *
cs_tiers_create (const CsCall *call, const char *campaign_id, JsonObject *body, GError **error)
{
  g_autoptr(CsCampaign) campaign = load_owned (call, campaign_id, error);
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(CsRewardTier) tier = NULL;
  g_auto(CsRewardTierInput) in = { 0 };

  if (campaign == NULL)
    return NULL;
  cs_reward_tier_input_read (body, FALSE, campaign->currency, "", v, &in);
  if (!cs_validation_finish (v, "The reward has invalid fields", error))
    return NULL;
  tier = tier_from_input (&in, campaign_id, call->now);
  return cs_store_tier_insert (call->conn, campaign_id, tier, cs_campaign_tiers_addable_in (), call->now, error);
}

CsRewardTier *
cs_tiers_update (const CsCall *call, const char *campaign_id, const char *tier_id, JsonObject *body,
                 GError **error)
{
  g_autoptr(CsCampaign) campaign = load_owned (call, campaign_id, error);
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_auto(CsRewardTierInput) in = { 0 };

  if (campaign == NULL)
    return NULL;
  cs_reward_tier_input_read (body, TRUE, campaign->currency, "", v, &in);
  if (!cs_validation_finish (v, "The reward has invalid fields", error))
    return NULL;
  return cs_store_tier_update (call->conn, campaign_id, tier_id, &in, cs_campaign_tiers_editable_in (),
                               call->now, error);
}

gboolean
cs_tiers_delete (const CsCall *call, const char *campaign_id, const char *tier_id, GError **error)
{
  g_autoptr(CsCampaign) campaign = load_owned (call, campaign_id, error);

  if (campaign == NULL)
    return FALSE;
  return cs_store_tier_delete (call->conn, campaign_id, tier_id, cs_campaign_tiers_editable_in (),
                               call->now, error);
}
