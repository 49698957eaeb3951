/* cs-campaign.h: campaigns, their JSON form, their input validation and the
 * campaign state machine (product.md "Campaign life"). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cs-json.h"
#include "cs-reward-tier.h"

G_BEGIN_DECLS

#define CS_CAMPAIGN_MIN_DAYS 1
#define CS_CAMPAIGN_MAX_DAYS 60

typedef enum {
  CS_CAMPAIGN_DRAFT,
  CS_CAMPAIGN_PENDING_REVIEW,
  CS_CAMPAIGN_LIVE,
  CS_CAMPAIGN_SUCCESSFUL,
  CS_CAMPAIGN_FAILED,
  CS_CAMPAIGN_REJECTED,
  CS_CAMPAIGN_CANCELLED,
  CS_CAMPAIGN_SUSPENDED,
  CS_CAMPAIGN_N_STATUSES
} CsCampaignStatus;

/* A set of statuses, for conditional updates in the store. */
typedef guint CsCampaignStatusSet;
#define CS_STATUS_BIT(s) (1u << (s))

const char *cs_campaign_status_to_string   (CsCampaignStatus status);
gboolean    cs_campaign_status_from_string (const char *text, CsCampaignStatus *out);

typedef enum {
  CS_CAMPAIGN_EVENT_SUBMIT,     /* creator: draft|rejected → pending_review */
  CS_CAMPAIGN_EVENT_APPROVE,    /* moderator: pending_review → live */
  CS_CAMPAIGN_EVENT_REJECT,     /* moderator: pending_review → rejected */
  CS_CAMPAIGN_EVENT_CANCEL,     /* creator: draft|pending_review|rejected|live|suspended → cancelled */
  CS_CAMPAIGN_EVENT_SUSPEND,    /* moderator: live → suspended */
  CS_CAMPAIGN_EVENT_REINSTATE,  /* moderator: suspended → live */
  CS_CAMPAIGN_EVENT_SUCCEED,    /* settlement: live → successful */
  CS_CAMPAIGN_EVENT_FAIL,       /* settlement: live|suspended → failed */
  CS_CAMPAIGN_N_EVENTS
} CsCampaignEvent;

const char         *cs_campaign_event_to_string  (CsCampaignEvent event);
/* The statuses from which @event is allowed. */
CsCampaignStatusSet cs_campaign_event_sources    (CsCampaignEvent event);
CsCampaignStatus    cs_campaign_event_target     (CsCampaignEvent event);
/* TRUE and *to set if @event is allowed in @from; otherwise CS_ERROR_CONFLICT
 * with a sentence a person understands ("A live campaign cannot be submitted"). */
gboolean            cs_campaign_transition       (CsCampaignStatus from, CsCampaignEvent event,
                                                  CsCampaignStatus *to, GError **error);

/* Public statuses: visible to everyone (live, successful, failed, suspended,
 * and cancelled if it was ever live).  Drafts, pending_review and rejected
 * are seen only by the creator and staff. */
gboolean            cs_campaign_status_is_public (CsCampaignStatus status);

/* Which fields may be changed in which status:
 * - title, category, goal_amount, currency, duration_days: draft, rejected
 * - description, image_url: draft, rejected, live (the story can be refined)
 * - reward tiers: added, edited, deleted in draft and rejected; added in live. */
typedef enum {
  CS_CAMPAIGN_FIELD_TITLE         = 1 << 0,
  CS_CAMPAIGN_FIELD_DESCRIPTION   = 1 << 1,
  CS_CAMPAIGN_FIELD_CATEGORY      = 1 << 2,
  CS_CAMPAIGN_FIELD_GOAL_AMOUNT   = 1 << 3,
  CS_CAMPAIGN_FIELD_CURRENCY      = 1 << 4,
  CS_CAMPAIGN_FIELD_DURATION_DAYS = 1 << 5,
  CS_CAMPAIGN_FIELD_IMAGE_URL     = 1 << 6,
} CsCampaignField;

const char         *cs_campaign_field_name           (CsCampaignField field);
/* Statuses in which every field of @fields may be edited. */
CsCampaignStatusSet cs_campaign_fields_editable_in   (guint fields);
CsCampaignStatusSet cs_campaign_tiers_editable_in    (void);  /* edit/delete */
CsCampaignStatusSet cs_campaign_tiers_addable_in     (void);  /* add */

typedef struct {
  char   *id;
  char   *username;
  char   *display_name;
} CsCreatorSummary;

typedef struct {
  char             *id;
  char             *creator_id;
  CsCreatorSummary  creator;          /* filled when loaded with the campaign */
  char             *title;
  char             *description;      /* the story, plain text / Markdown */
  char             *category;         /* category slug */
  gint64            goal_amount;
  gint64            current_amount;
  char              currency[4];
  gint64            backer_count;
  CsCampaignStatus  status;
  gint              duration_days;
  gint64            start_date;       /* 0 until approved */
  gint64            end_date;         /* 0 until approved */
  char             *image_url;        /* NULL if none */
  char             *rejection_reason; /* NULL unless rejected */
  gint64            created_at;
  gint64            updated_at;
  gint64            published_at;     /* 0 if never live */
  GPtrArray        *rewards;          /* CsRewardTier*, owned; never NULL */
} CsCampaign;

CsCampaign *cs_campaign_new         (void);
CsCampaign *cs_campaign_copy        (const CsCampaign *campaign);
void        cs_campaign_free        (CsCampaign *campaign);
gint64      cs_campaign_percent_funded (const CsCampaign *campaign);

/* JSON: the api.md shape: id, creator_id, creator{id,username,display_name}
 * (null when not loaded), title, description, category, goal_amount,
 * current_amount, currency, backer_count, percent_funded, status,
 * duration_days, start_date, end_date, image_url, rejection_reason (only with
 * CS_CAMPAIGN_JSON_PRIVATE), created_at, updated_at, published_at, rewards[]
 * (omitted with CS_CAMPAIGN_JSON_SUMMARY, which also cuts the description to
 * at most 280 characters, ending in "…" when cut). */
typedef enum {
  CS_CAMPAIGN_JSON_FULL          = 0,
  CS_CAMPAIGN_JSON_SUMMARY       = 1 << 0,  /* lists: description cut to 280 chars, no rewards */
  CS_CAMPAIGN_JSON_PRIVATE       = 1 << 1,  /* owner/staff: include rejection_reason */
} CsCampaignJsonFlags;

void        cs_campaign_write_json  (const CsCampaign *campaign, CsJsonWriter *w, CsCampaignJsonFlags flags);
CsCampaign *cs_campaign_from_json   (JsonObject *obj, GError **error);

/* Input of POST /campaigns (all of title, description, category,
 * goal_amount, currency, duration_days required; image_url, rewards optional)
 * or PATCH (@partial: any subset; rewards not allowed). */
typedef struct {
  char      *title;
  char      *description;
  char      *category;
  gint64     goal_amount;
  char      *currency;
  gint       duration_days;
  char      *image_url;
  GArray    *rewards;    /* CsRewardTierInput; NULL if absent */
  guint      fields;     /* CsCampaignField bits that were present */
} CsCampaignInput;

void     cs_campaign_input_clear (CsCampaignInput *in);
/* Validates everything that needs no database (lengths, ranges, currency
 * supported, goal >= 1.00 and <= CS_MONEY_MAX_AMOUNT, image_url a /media/ path
 * or https URL, tiers).  For PATCH, @currency_hint is the campaign's current
 * currency (used for the goal's minimum when currency is not patched). */
gboolean cs_campaign_input_read  (JsonObject *obj, gboolean partial, const char *currency_hint,
                                  CsCampaignInput *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsCampaign, cs_campaign_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CsCampaignInput, cs_campaign_input_clear)

G_END_DECLS
