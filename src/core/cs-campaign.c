/* cs-campaign.c: campaigns, their state machine, JSON form and input. */
#include "config.h"

#include <string.h>

#include "cs-campaign.h"
#include "cs-money.h"
#include "cs-util.h"

#define SUMMARY_MAX_CHARS 280
#define MAX_REWARDS 50

/* Helpers */

static const char * const status_names[CS_CAMPAIGN_N_STATUSES] = {
  [CS_CAMPAIGN_DRAFT] = "draft",
  [CS_CAMPAIGN_PENDING_REVIEW] = "pending_review",
  [CS_CAMPAIGN_LIVE] = "live",
  [CS_CAMPAIGN_SUCCESSFUL] = "successful",
  [CS_CAMPAIGN_FAILED] = "failed",
  [CS_CAMPAIGN_REJECTED] = "rejected",
  [CS_CAMPAIGN_CANCELLED] = "cancelled",
  [CS_CAMPAIGN_SUSPENDED] = "suspended",
};

/* "A live campaign cannot be …" */
static const char * const status_subjects[CS_CAMPAIGN_N_STATUSES] = {
  [CS_CAMPAIGN_DRAFT] = "A draft",
  [CS_CAMPAIGN_PENDING_REVIEW] = "A campaign pending review",
  [CS_CAMPAIGN_LIVE] = "A live campaign",
  [CS_CAMPAIGN_SUCCESSFUL] = "A successful campaign",
  [CS_CAMPAIGN_FAILED] = "A failed campaign",
  [CS_CAMPAIGN_REJECTED] = "A rejected campaign",
  [CS_CAMPAIGN_CANCELLED] = "A cancelled campaign",
  [CS_CAMPAIGN_SUSPENDED] = "A suspended campaign",
};

/* "The campaign is already …" */
static const char * const status_adjectives[CS_CAMPAIGN_N_STATUSES] = {
  [CS_CAMPAIGN_DRAFT] = "a draft",
  [CS_CAMPAIGN_PENDING_REVIEW] = "pending review",
  [CS_CAMPAIGN_LIVE] = "live",
  [CS_CAMPAIGN_SUCCESSFUL] = "successful",
  [CS_CAMPAIGN_FAILED] = "failed",
  [CS_CAMPAIGN_REJECTED] = "rejected",
  [CS_CAMPAIGN_CANCELLED] = "cancelled",
  [CS_CAMPAIGN_SUSPENDED] = "suspended",
};

typedef struct {
  const char          *name;
  const char          *past;     /* "… cannot be <past>" */
  CsCampaignStatusSet  sources;
  CsCampaignStatus     target;
} EventInfo;

static const EventInfo events[CS_CAMPAIGN_N_EVENTS] = {
  [CS_CAMPAIGN_EVENT_SUBMIT] = {
    "submit", "submitted for review",
    CS_STATUS_BIT (CS_CAMPAIGN_DRAFT) | CS_STATUS_BIT (CS_CAMPAIGN_REJECTED),
    CS_CAMPAIGN_PENDING_REVIEW },
  [CS_CAMPAIGN_EVENT_APPROVE] = {
    "approve", "approved",
    CS_STATUS_BIT (CS_CAMPAIGN_PENDING_REVIEW),
    CS_CAMPAIGN_LIVE },
  [CS_CAMPAIGN_EVENT_REJECT] = {
    "reject", "rejected",
    CS_STATUS_BIT (CS_CAMPAIGN_PENDING_REVIEW),
    CS_CAMPAIGN_REJECTED },
  [CS_CAMPAIGN_EVENT_CANCEL] = {
    "cancel", "cancelled",
    CS_STATUS_BIT (CS_CAMPAIGN_DRAFT) | CS_STATUS_BIT (CS_CAMPAIGN_PENDING_REVIEW) |
    CS_STATUS_BIT (CS_CAMPAIGN_REJECTED) | CS_STATUS_BIT (CS_CAMPAIGN_LIVE) |
    CS_STATUS_BIT (CS_CAMPAIGN_SUSPENDED),
    CS_CAMPAIGN_CANCELLED },
  [CS_CAMPAIGN_EVENT_SUSPEND] = {
    "suspend", "suspended",
    CS_STATUS_BIT (CS_CAMPAIGN_LIVE),
    CS_CAMPAIGN_SUSPENDED },
  [CS_CAMPAIGN_EVENT_REINSTATE] = {
    "reinstate", "reinstated",
    CS_STATUS_BIT (CS_CAMPAIGN_SUSPENDED),
    CS_CAMPAIGN_LIVE },
  [CS_CAMPAIGN_EVENT_SUCCEED] = {
    "succeed", "marked successful",
    CS_STATUS_BIT (CS_CAMPAIGN_LIVE),
    CS_CAMPAIGN_SUCCESSFUL },
  [CS_CAMPAIGN_EVENT_FAIL] = {
    "fail", "marked failed",
    CS_STATUS_BIT (CS_CAMPAIGN_LIVE) | CS_STATUS_BIT (CS_CAMPAIGN_SUSPENDED),
    CS_CAMPAIGN_FAILED },
};

#define ALL_STATUSES ((CsCampaignStatusSet) (CS_STATUS_BIT (CS_CAMPAIGN_N_STATUSES) - 1))
#define SETUP_STATUSES (CS_STATUS_BIT (CS_CAMPAIGN_DRAFT) | CS_STATUS_BIT (CS_CAMPAIGN_REJECTED))
#define STORY_STATUSES (SETUP_STATUSES | CS_STATUS_BIT (CS_CAMPAIGN_LIVE))

typedef struct {
  CsCampaignField      field;
  const char          *name;
  CsCampaignStatusSet  editable_in;
} FieldInfo;

static const FieldInfo fields_info[] = {
  { CS_CAMPAIGN_FIELD_TITLE,         "title",         SETUP_STATUSES },
  { CS_CAMPAIGN_FIELD_DESCRIPTION,   "description",   STORY_STATUSES },
  { CS_CAMPAIGN_FIELD_CATEGORY,      "category",      SETUP_STATUSES },
  { CS_CAMPAIGN_FIELD_GOAL_AMOUNT,   "goal_amount",   SETUP_STATUSES },
  { CS_CAMPAIGN_FIELD_CURRENCY,      "currency",      SETUP_STATUSES },
  { CS_CAMPAIGN_FIELD_DURATION_DAYS, "duration_days", SETUP_STATUSES },
  { CS_CAMPAIGN_FIELD_IMAGE_URL,     "image_url",     STORY_STATUSES },
};

#define ALL_FIELDS ((guint) ((CS_CAMPAIGN_FIELD_IMAGE_URL << 1) - 1))

/* "rewards" is known to PATCH too, but refused there with its own message. */
static const char * const input_members[] = {
  "title", "description", "category", "goal_amount", "currency", "duration_days",
  "image_url", "rewards", NULL
};

static gboolean
status_is_valid (CsCampaignStatus status)
{
  return (guint) status < CS_CAMPAIGN_N_STATUSES;
}

static gboolean
event_is_valid (CsCampaignEvent event)
{
  return (guint) event < CS_CAMPAIGN_N_EVENTS;
}

static gboolean
is_ascii_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The description cut for lists: at most SUMMARY_MAX_CHARS characters,
 * ending in "…" when something was cut. */
static char *
summary_description (const char *description)
{
  g_autofree char *valid = NULL;
  const char *s = description;
  const char *cut;
  const char *end;

  if (s == NULL)
    return NULL;
  if (!g_utf8_validate (s, -1, NULL))
    s = valid = g_utf8_make_valid (s, -1);
  if (g_utf8_strlen (s, -1) <= SUMMARY_MAX_CHARS)
    return g_strdup (s);

  cut = g_utf8_offset_to_pointer (s, SUMMARY_MAX_CHARS - 1);
  end = cut;
  while (end > s && is_ascii_space (end[-1]))
    end--;
  {
    GString *out = g_string_sized_new ((end - s) + 4);

    g_string_append_len (out, s, end - s);
    g_string_append (out, "…");
    return g_string_free (out, FALSE);
  }
}

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

static gboolean
is_category_slug (const char *s)
{
  for (; *s != '\0'; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
      return FALSE;
  return TRUE;
}

static gboolean
is_image_url (const char *url)
{
  if (g_str_has_prefix (url, "/media/"))
    return strlen (url) > strlen ("/media/");
  if (g_str_has_prefix (url, "https://"))
    return strlen (url) > strlen ("https://");
  return FALSE;
}

static void
creator_clear (CsCreatorSummary *creator)
{
  g_clear_pointer (&creator->id, g_free);
  g_clear_pointer (&creator->username, g_free);
  g_clear_pointer (&creator->display_name, g_free);
}

static void
read_rewards (JsonObject *obj, const char *currency, CsValidation *v, CsCampaignInput *out)
{
  JsonNode *node = json_object_get_member (obj, "rewards");
  JsonArray *array;
  guint n;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      cs_validation_add (v, "rewards", "must be an array");
      return;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > MAX_REWARDS)
    {
      cs_validation_add (v, "rewards", "must have at most %d reward tiers", MAX_REWARDS);
      return;
    }

  out->rewards = g_array_sized_new (FALSE, TRUE, sizeof (CsRewardTierInput), n);
  g_array_set_clear_func (out->rewards, (GDestroyNotify) cs_reward_tier_input_clear);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      CsRewardTierInput tier = { 0 };
      g_autofree char *prefix = g_strdup_printf ("rewards[%u].", i);

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_autofree char *field = g_strdup_printf ("rewards[%u]", i);

          cs_validation_add (v, field, "must be an object");
          continue;
        }
      if (cs_reward_tier_input_read (json_node_get_object (element), FALSE, currency,
                                     prefix, v, &tier))
        g_array_append_val (out->rewards, tier);
      else
        cs_reward_tier_input_clear (&tier);
    }
}

/* Public API: statuses and events */

const char *
cs_campaign_status_to_string (CsCampaignStatus status)
{
  if (!status_is_valid (status))
    return "draft";
  return status_names[status];
}

gboolean
cs_campaign_status_from_string (const char *text, CsCampaignStatus *out)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < CS_CAMPAIGN_N_STATUSES; i++)
    if (strcmp (text, status_names[i]) == 0)
      {
        if (out != NULL)
          *out = (CsCampaignStatus) i;
        return TRUE;
      }
  return FALSE;
}

const char *
cs_campaign_event_to_string (CsCampaignEvent event)
{
  if (!event_is_valid (event))
    return "unknown";
  return events[event].name;
}

CsCampaignStatusSet
cs_campaign_event_sources (CsCampaignEvent event)
{
  if (!event_is_valid (event))
    return 0;
  return events[event].sources;
}

CsCampaignStatus
cs_campaign_event_target (CsCampaignEvent event)
{
  g_return_val_if_fail (event_is_valid (event), CS_CAMPAIGN_DRAFT);

  return events[event].target;
}

gboolean
cs_campaign_transition (CsCampaignStatus from, CsCampaignEvent event,
                        CsCampaignStatus *to, GError **error)
{
  const EventInfo *info;

  if (!status_is_valid (from) || !event_is_valid (event))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT,
                           "The campaign’s status does not allow this");
      return FALSE;
    }

  info = &events[event];
  if ((info->sources & CS_STATUS_BIT (from)) == 0)
    {
      if (info->target == from)
        g_set_error (error, CS_ERROR, CS_ERROR_CONFLICT,
                     "The campaign is already %s", status_adjectives[from]);
      else
        g_set_error (error, CS_ERROR, CS_ERROR_CONFLICT,
                     "%s cannot be %s", status_subjects[from], info->past);
      return FALSE;
    }

  if (to != NULL)
    *to = info->target;
  return TRUE;
}

gboolean
cs_campaign_status_is_public (CsCampaignStatus status)
{
  /* A cancelled campaign is public only if it was ever live; the status
   * alone cannot tell, so callers look at published_at. */
  switch (status)
    {
    case CS_CAMPAIGN_LIVE:
    case CS_CAMPAIGN_SUCCESSFUL:
    case CS_CAMPAIGN_FAILED:
    case CS_CAMPAIGN_SUSPENDED:
      return TRUE;
    case CS_CAMPAIGN_DRAFT:
    case CS_CAMPAIGN_PENDING_REVIEW:
    case CS_CAMPAIGN_REJECTED:
    case CS_CAMPAIGN_CANCELLED:
    case CS_CAMPAIGN_N_STATUSES:
    default:
      return FALSE;
    }
}

/* Public API: editable fields */

const char *
cs_campaign_field_name (CsCampaignField field)
{
  for (gsize i = 0; i < G_N_ELEMENTS (fields_info); i++)
    if (fields_info[i].field == field)
      return fields_info[i].name;
  return NULL;
}

CsCampaignStatusSet
cs_campaign_fields_editable_in (guint fields)
{
  CsCampaignStatusSet set = ALL_STATUSES;

  /* Unknown bits cannot be edited anywhere; an empty set of fields is
   * treated like a harmless edit: allowed wherever anything is editable. */
  if ((fields & ~ALL_FIELDS) != 0)
    return 0;
  if (fields == 0)
    return STORY_STATUSES;

  for (gsize i = 0; i < G_N_ELEMENTS (fields_info); i++)
    if (fields & fields_info[i].field)
      set &= fields_info[i].editable_in;
  return set;
}

CsCampaignStatusSet
cs_campaign_tiers_editable_in (void)
{
  return SETUP_STATUSES;
}

CsCampaignStatusSet
cs_campaign_tiers_addable_in (void)
{
  return STORY_STATUSES;
}

/* Public API: the campaign */

CsCampaign *
cs_campaign_new (void)
{
  CsCampaign *campaign = g_new0 (CsCampaign, 1);

  campaign->status = CS_CAMPAIGN_DRAFT;
  campaign->rewards = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_reward_tier_free);
  return campaign;
}

CsCampaign *
cs_campaign_copy (const CsCampaign *campaign)
{
  CsCampaign *copy;

  if (campaign == NULL)
    return NULL;

  copy = g_new0 (CsCampaign, 1);
  *copy = *campaign;
  copy->id = g_strdup (campaign->id);
  copy->creator_id = g_strdup (campaign->creator_id);
  copy->creator.id = g_strdup (campaign->creator.id);
  copy->creator.username = g_strdup (campaign->creator.username);
  copy->creator.display_name = g_strdup (campaign->creator.display_name);
  copy->title = g_strdup (campaign->title);
  copy->description = g_strdup (campaign->description);
  copy->category = g_strdup (campaign->category);
  copy->image_url = g_strdup (campaign->image_url);
  copy->rejection_reason = g_strdup (campaign->rejection_reason);
  copy->rewards = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_reward_tier_free);
  if (campaign->rewards != NULL)
    for (guint i = 0; i < campaign->rewards->len; i++)
      g_ptr_array_add (copy->rewards, cs_reward_tier_copy (g_ptr_array_index (campaign->rewards, i)));
  return copy;
}

void
cs_campaign_free (CsCampaign *campaign)
{
  if (campaign == NULL)
    return;
  g_free (campaign->id);
  g_free (campaign->creator_id);
  creator_clear (&campaign->creator);
  g_free (campaign->title);
  g_free (campaign->description);
  g_free (campaign->category);
  g_free (campaign->image_url);
  g_free (campaign->rejection_reason);
  g_clear_pointer (&campaign->rewards, g_ptr_array_unref);
  g_free (campaign);
}

gint64
cs_campaign_percent_funded (const CsCampaign *campaign)
{
  g_return_val_if_fail (campaign != NULL, 0);

  return cs_money_percent_of (campaign->current_amount, campaign->goal_amount);
}

void
cs_campaign_write_json (const CsCampaign *campaign, CsJsonWriter *w, CsCampaignJsonFlags flags)
{
  gboolean summary = (flags & CS_CAMPAIGN_JSON_SUMMARY) != 0;

  g_return_if_fail (campaign != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", campaign->id);
  cs_json_writer_member_string (w, "creator_id", campaign->creator_id);
  cs_json_writer_key (w, "creator");
  if (campaign->creator.id != NULL)
    {
      cs_json_writer_begin_object (w);
      cs_json_writer_member_string (w, "id", campaign->creator.id);
      cs_json_writer_member_string (w, "username", campaign->creator.username);
      cs_json_writer_member_string (w, "display_name",
                                    campaign->creator.display_name != NULL
                                    ? campaign->creator.display_name
                                    : campaign->creator.username);
      cs_json_writer_end_object (w);
    }
  else
    cs_json_writer_null (w);
  cs_json_writer_member_string (w, "title", campaign->title);
  if (summary)
    {
      g_autofree char *cut = summary_description (campaign->description);

      cs_json_writer_member_string (w, "description", cut);
    }
  else
    cs_json_writer_member_string (w, "description", campaign->description);
  cs_json_writer_member_string (w, "category", campaign->category);
  cs_json_writer_member_int (w, "goal_amount", campaign->goal_amount);
  cs_json_writer_member_int (w, "current_amount", campaign->current_amount);
  cs_json_writer_member_string (w, "currency", campaign->currency);
  cs_json_writer_member_int (w, "backer_count", campaign->backer_count);
  cs_json_writer_member_int (w, "percent_funded", cs_campaign_percent_funded (campaign));
  cs_json_writer_member_string (w, "status", cs_campaign_status_to_string (campaign->status));
  cs_json_writer_member_int (w, "duration_days", campaign->duration_days);
  cs_json_writer_member_time (w, "start_date", campaign->start_date);
  cs_json_writer_member_time (w, "end_date", campaign->end_date);
  cs_json_writer_member_string (w, "image_url", campaign->image_url);
  if (flags & CS_CAMPAIGN_JSON_PRIVATE)
    cs_json_writer_member_string (w, "rejection_reason", campaign->rejection_reason);
  cs_json_writer_member_time (w, "created_at", campaign->created_at);
  cs_json_writer_member_time (w, "updated_at", campaign->updated_at);
  cs_json_writer_member_time (w, "published_at", campaign->published_at);
  if (!summary)
    {
      cs_json_writer_key (w, "rewards");
      cs_json_writer_begin_array (w);
      if (campaign->rewards != NULL)
        for (guint i = 0; i < campaign->rewards->len; i++)
          cs_reward_tier_write_json (g_ptr_array_index (campaign->rewards, i), w);
      cs_json_writer_end_array (w);
    }
  cs_json_writer_end_object (w);
}

CsCampaign *
cs_campaign_from_json (JsonObject *obj, GError **error)
{
  g_autoptr(CsCampaign) campaign = NULL;
  const char *id = cs_json_get_string_or (obj, "id", NULL);
  const char *status = cs_json_get_string_or (obj, "status", NULL);
  const char *currency;
  JsonNode *node;
  gint64 days;

  if (id == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The campaign object has no id");
      return NULL;
    }

  campaign = cs_campaign_new ();
  campaign->id = g_strdup (id);
  if (!cs_campaign_status_from_string (status, &campaign->status))
    {
      g_set_error (error, CS_ERROR, CS_ERROR_MALFORMED,
                   "The campaign object has an unknown status “%s”", status != NULL ? status : "");
      return NULL;
    }

  campaign->creator_id = g_strdup (cs_json_get_string_or (obj, "creator_id", NULL));
  node = json_object_get_member (obj, "creator");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *creator = json_node_get_object (node);

      campaign->creator.id = g_strdup (cs_json_get_string_or (creator, "id", NULL));
      campaign->creator.username = g_strdup (cs_json_get_string_or (creator, "username", NULL));
      campaign->creator.display_name = g_strdup (cs_json_get_string_or (creator, "display_name", NULL));
    }
  campaign->title = g_strdup (cs_json_get_string_or (obj, "title", NULL));
  campaign->description = g_strdup (cs_json_get_string_or (obj, "description", NULL));
  campaign->category = g_strdup (cs_json_get_string_or (obj, "category", NULL));
  campaign->goal_amount = cs_json_get_int_or (obj, "goal_amount", 0);
  campaign->current_amount = cs_json_get_int_or (obj, "current_amount", 0);
  currency = cs_json_get_string_or (obj, "currency", "");
  if (strlen (currency) == 3)
    memcpy (campaign->currency, currency, 4);
  campaign->backer_count = cs_json_get_int_or (obj, "backer_count", 0);
  days = cs_json_get_int_or (obj, "duration_days", 0);
  campaign->duration_days = (gint) CLAMP (days, 0, G_MAXINT);
  campaign->start_date = cs_json_get_time (obj, "start_date");
  campaign->end_date = cs_json_get_time (obj, "end_date");
  campaign->image_url = g_strdup (cs_json_get_string_or (obj, "image_url", NULL));
  campaign->rejection_reason = g_strdup (cs_json_get_string_or (obj, "rejection_reason", NULL));
  campaign->created_at = cs_json_get_time (obj, "created_at");
  campaign->updated_at = cs_json_get_time (obj, "updated_at");
  campaign->published_at = cs_json_get_time (obj, "published_at");

  node = json_object_get_member (obj, "rewards");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      for (guint i = 0; i < n; i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          CsRewardTier *tier;

          if (!JSON_NODE_HOLDS_OBJECT (element))
            {
              g_set_error (error, CS_ERROR, CS_ERROR_MALFORMED,
                           "Reward tier %u of the campaign is not an object", i);
              return NULL;
            }
          tier = cs_reward_tier_from_json (json_node_get_object (element), error);
          if (tier == NULL)
            return NULL;
          g_ptr_array_add (campaign->rewards, tier);
        }
    }

  return g_steal_pointer (&campaign);
}

/* Public API: input */

void
cs_campaign_input_clear (CsCampaignInput *in)
{
  if (in == NULL)
    return;
  g_free (in->title);
  g_free (in->description);
  g_free (in->category);
  g_free (in->currency);
  g_free (in->image_url);
  g_clear_pointer (&in->rewards, g_array_unref);
  memset (in, 0, sizeof *in);
}

gboolean
cs_campaign_input_read (JsonObject *obj, gboolean partial, const char *currency_hint,
                        CsCampaignInput *out, GError **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  const char *currency = NULL;
  gboolean is_null = FALSE;
  gint64 days = 0;

  g_return_val_if_fail (obj != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (out, 0, sizeof *out);

  cs_json_reject_unknown (obj, input_members, v);

  if (cs_json_read_string (obj, "title", !partial, 3, 120, FALSE, v, &out->title))
    out->fields |= CS_CAMPAIGN_FIELD_TITLE;
  if (cs_json_read_string (obj, "description", !partial, 1, 50000, TRUE, v, &out->description))
    out->fields |= CS_CAMPAIGN_FIELD_DESCRIPTION;
  if (cs_json_read_string (obj, "category", !partial, 1, 40, FALSE, v, &out->category))
    {
      if (is_category_slug (out->category))
        out->fields |= CS_CAMPAIGN_FIELD_CATEGORY;
      else
        {
          cs_validation_add (v, "category", "may only contain lower-case letters, digits and “-”");
          g_clear_pointer (&out->category, g_free);
        }
    }

  if (cs_json_read_string (obj, "currency", !partial, 0, -1, FALSE, v, &out->currency))
    {
      if (cs_currency_is_supported (out->currency))
        {
          out->fields |= CS_CAMPAIGN_FIELD_CURRENCY;
          currency = out->currency;
        }
      else
        {
          cs_validation_add (v, "currency", "is not a supported currency");
          g_clear_pointer (&out->currency, g_free);
        }
    }
  if (currency == NULL && cs_currency_is_supported (currency_hint))
    currency = currency_hint;

  if (cs_json_read_amount (obj, "goal_amount", !partial, minimum_amount_for (currency),
                           CS_MONEY_MAX_AMOUNT, v, &out->goal_amount))
    out->fields |= CS_CAMPAIGN_FIELD_GOAL_AMOUNT;

  if (cs_json_read_int (obj, "duration_days", !partial, CS_CAMPAIGN_MIN_DAYS, CS_CAMPAIGN_MAX_DAYS,
                        v, &days))
    {
      out->duration_days = (gint) days;
      out->fields |= CS_CAMPAIGN_FIELD_DURATION_DAYS;
    }

  if (cs_json_read_string_nullable (obj, "image_url", 1, 2048, FALSE, v, &out->image_url, &is_null))
    {
      if (!is_null && !is_image_url (out->image_url))
        {
          cs_validation_add (v, "image_url", "must be a /media/ path or an https:// URL");
          g_clear_pointer (&out->image_url, g_free);
        }
      else
        out->fields |= CS_CAMPAIGN_FIELD_IMAGE_URL;
    }

  if (partial)
    {
      if (json_object_has_member (obj, "rewards"))
        cs_validation_add (v, "rewards", "rewards are edited at /campaigns/{id}/rewards");
    }
  else
    read_rewards (obj, currency, v, out);

  if (!cs_validation_finish (v, "The campaign has invalid fields", error))
    {
      cs_campaign_input_clear (out);
      return FALSE;
    }
  return TRUE;
}
