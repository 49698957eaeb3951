/* cs-campaign-item.c: one campaign as a GObject. */
#include "config.h"

#include <string.h>

#include "cs-campaign-item.h"

/* The summary: the story's first paragraph, at most this many characters. */
#define SUMMARY_MAX_CHARS 160

struct _CsCampaignItem
{
  GObject parent_instance;

  CsCampaign *campaign;   /* owned, never NULL */
  char       *summary;
};

G_DEFINE_FINAL_TYPE (CsCampaignItem, cs_campaign_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_CREATOR_NAME,
  PROP_CATEGORY,
  PROP_IMAGE_URL,
  PROP_CURRENCY,
  PROP_GOAL_AMOUNT,
  PROP_CURRENT_AMOUNT,
  PROP_BACKER_COUNT,
  PROP_PERCENT_FUNDED,
  PROP_STATUS,
  PROP_END_DATE,
  PROP_SUMMARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- helpers ---- */

static const char *
creator_name (const CsCampaign *c)
{
  if (c->creator.display_name != NULL && c->creator.display_name[0] != '\0')
    return c->creator.display_name;
  if (c->creator.username != NULL)
    return c->creator.username;
  return "";
}

static gint
percent_funded (const CsCampaign *c)
{
  return (gint) CLAMP (cs_campaign_percent_funded (c), 0, G_MAXINT);
}

/* The first paragraph of @story, cut at a word to SUMMARY_MAX_CHARS. */
static char *
make_summary (const char *story)
{
  g_autofree char *valid = NULL;
  const char *start, *end, *cut;
  glong n = 0;

  if (story == NULL)
    return g_strdup ("");
  valid = g_utf8_make_valid (story, -1);
  start = valid;
  while (*start == '\n' || *start == '\r' || *start == ' ' || *start == '\t')
    start++;
  end = strstr (start, "\n\n");
  if (end == NULL)
    end = start + strlen (start);

  for (cut = start; cut < end && n < SUMMARY_MAX_CHARS; cut = g_utf8_next_char (cut))
    n++;
  if (cut >= end)
    return g_strstrip (g_strndup (start, end - start));

  {
    const char *space = cut;
    g_autofree char *head = NULL;

    while (space > start && *space != ' ' && *space != '\n')
      space--;
    if (space > start)
      cut = space;
    head = g_strndup (start, cut - start);
    return g_strconcat (g_strstrip (head), "…", NULL);
  }
}

/* ---- overrides ---- */

static void
cs_campaign_item_finalize (GObject *object)
{
  CsCampaignItem *self = CS_CAMPAIGN_ITEM (object);

  cs_campaign_free (self->campaign);
  g_free (self->summary);

  G_OBJECT_CLASS (cs_campaign_item_parent_class)->finalize (object);
}

static void
cs_campaign_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsCampaignItem *self = CS_CAMPAIGN_ITEM (object);
  const CsCampaign *c = self->campaign;

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, c->id);
      break;
    case PROP_TITLE:
      g_value_set_string (value, c->title);
      break;
    case PROP_CREATOR_NAME:
      g_value_set_string (value, creator_name (c));
      break;
    case PROP_CATEGORY:
      g_value_set_string (value, c->category);
      break;
    case PROP_IMAGE_URL:
      g_value_set_string (value, c->image_url);
      break;
    case PROP_CURRENCY:
      g_value_set_string (value, c->currency);
      break;
    case PROP_GOAL_AMOUNT:
      g_value_set_int64 (value, c->goal_amount);
      break;
    case PROP_CURRENT_AMOUNT:
      g_value_set_int64 (value, c->current_amount);
      break;
    case PROP_BACKER_COUNT:
      g_value_set_int64 (value, c->backer_count);
      break;
    case PROP_PERCENT_FUNDED:
      g_value_set_int (value, percent_funded (c));
      break;
    case PROP_STATUS:
      g_value_set_string (value, cs_campaign_status_to_string (c->status));
      break;
    case PROP_END_DATE:
      g_value_set_int64 (value, c->end_date);
      break;
    case PROP_SUMMARY:
      g_value_set_string (value, self->summary);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_campaign_item_class_init (CsCampaignItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cs_campaign_item_finalize;
  object_class->get_property = cs_campaign_item_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_CREATOR_NAME] = g_param_spec_string ("creator-name", NULL, NULL, NULL, flags);
  properties[PROP_CATEGORY] = g_param_spec_string ("category", NULL, NULL, NULL, flags);
  properties[PROP_IMAGE_URL] = g_param_spec_string ("image-url", NULL, NULL, NULL, flags);
  properties[PROP_CURRENCY] = g_param_spec_string ("currency", NULL, NULL, NULL, flags);
  properties[PROP_GOAL_AMOUNT] =
    g_param_spec_int64 ("goal-amount", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_CURRENT_AMOUNT] =
    g_param_spec_int64 ("current-amount", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_BACKER_COUNT] =
    g_param_spec_int64 ("backer-count", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_PERCENT_FUNDED] =
    g_param_spec_int ("percent-funded", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  properties[PROP_END_DATE] =
    g_param_spec_int64 ("end-date", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_SUMMARY] = g_param_spec_string ("summary", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cs_campaign_item_init (CsCampaignItem *self)
{
}

/* ---- public API ---- */

CsCampaignItem *
cs_campaign_item_new (const CsCampaign *campaign)
{
  CsCampaignItem *self;

  g_return_val_if_fail (campaign != NULL, NULL);

  self = g_object_new (CS_TYPE_CAMPAIGN_ITEM, NULL);
  self->campaign = cs_campaign_copy (campaign);
  self->summary = make_summary (campaign->description);
  return self;
}

const CsCampaign *
cs_campaign_item_get_campaign (CsCampaignItem *self)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_ITEM (self), NULL);

  return self->campaign;
}

const char *
cs_campaign_item_get_id (CsCampaignItem *self)
{
  g_return_val_if_fail (CS_IS_CAMPAIGN_ITEM (self), NULL);

  return self->campaign->id;
}

void
cs_campaign_item_set_campaign (CsCampaignItem *self, const CsCampaign *campaign)
{
  g_autoptr(CsCampaign) old = NULL;
  g_autofree char *old_summary = NULL;
  const CsCampaign *c;

  g_return_if_fail (CS_IS_CAMPAIGN_ITEM (self));
  g_return_if_fail (campaign != NULL);
  g_return_if_fail (g_strcmp0 (campaign->id, self->campaign->id) == 0);

  old = g_steal_pointer (&self->campaign);
  old_summary = g_steal_pointer (&self->summary);
  self->campaign = cs_campaign_copy (campaign);
  self->summary = make_summary (campaign->description);
  c = self->campaign;

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (old->title, c->title) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  if (strcmp (creator_name (old), creator_name (c)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATOR_NAME]);
  if (g_strcmp0 (old->category, c->category) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CATEGORY]);
  if (g_strcmp0 (old->image_url, c->image_url) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGE_URL]);
  if (strcmp (old->currency, c->currency) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENCY]);
  if (old->goal_amount != c->goal_amount)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GOAL_AMOUNT]);
  if (old->current_amount != c->current_amount)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_AMOUNT]);
  if (old->backer_count != c->backer_count)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKER_COUNT]);
  if (percent_funded (old) != percent_funded (c))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PERCENT_FUNDED]);
  if (old->status != c->status)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  if (old->end_date != c->end_date)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END_DATE]);
  if (strcmp (old_summary, self->summary) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
cs_campaign_item_set_progress (CsCampaignItem *self, gint64 current_amount, gint64 backer_count,
                               const char *status)
{
  CsCampaign *c;
  gint old_percent;
  CsCampaignStatus parsed;

  g_return_if_fail (CS_IS_CAMPAIGN_ITEM (self));

  c = self->campaign;
  old_percent = percent_funded (c);
  g_object_freeze_notify (G_OBJECT (self));
  if (c->current_amount != current_amount)
    {
      c->current_amount = current_amount;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_AMOUNT]);
    }
  if (c->backer_count != backer_count)
    {
      c->backer_count = backer_count;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKER_COUNT]);
    }
  if (percent_funded (c) != old_percent)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PERCENT_FUNDED]);
  if (status != NULL && cs_campaign_status_from_string (status, &parsed) && parsed != c->status)
    {
      c->status = parsed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}
