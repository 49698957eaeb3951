/* cs-store.h: the platform's persistence interface.
 *
 * Services call only these functions; no SQL lives outside store/.  A CsStore
 * is opened once per process from a database URL (it runs the numbered
 * migrations); each thread that touches the database gets its own
 * CsStoreConn from cs_store_connect() (connections are never shared between
 * threads).  Every operation below is ONE database transaction: conflicts
 * (a status that no longer allows an edit, a duplicate e-mail, a sold-out
 * tier) are decided inside it, by a conditional UPDATE or a constraint,
 * never by a read in C followed by a write.
 *
 * Errors are CS_ERROR codes: NOT_FOUND, CONFLICT (with a human detail),
 * INVALID (with field errors), UNAVAILABLE (database busy/locked too long),
 * INTERNAL (anything else; the SQL error is logged, not returned to users).
 *
 * Times are unix seconds, passed in by the caller ("now"), so the sandbox
 * test clock can move them.
 *
 * The SQLite implementation is cs-store-sqlite.c; a PostgreSQL one follows
 * behind the same vtable (cs-store-private.h).
 */
#pragma once

#include <glib.h>
#include "crowdspark-core.h"

G_BEGIN_DECLS

typedef struct _CsStore     CsStore;
typedef struct _CsStoreConn CsStoreConn;

/* Opens the store for @url ("sqlite:///abs/path.db", later "postgresql://…")
 * and migrates it to the newest schema.  Refuses a schema newer than it knows. */
CsStore     *cs_store_open            (const char *url, GError **error);
void         cs_store_free            (CsStore *store);
const char  *cs_store_kind            (CsStore *store);   /* "sqlite", "postgresql" */
/* Whether a short read may run on an event loop: TRUE for SQLite (a local
 * file, microseconds); FALSE for PostgreSQL, whose every call is a network
 * round trip, so the server sends all store work to its worker pool. */
gboolean     cs_store_is_inline       (CsStore *store);
/* A new connection for the calling thread. */
CsStoreConn *cs_store_connect         (CsStore *store, GError **error);
void         cs_store_conn_free       (CsStoreConn *conn);
int          cs_store_schema_version  (CsStoreConn *conn);
/* A cheap round trip, for /healthz. */
gboolean     cs_store_ping            (CsStoreConn *conn, GError **error);
/* FALSE when the connection is broken (the database went away) or was left
 * inside a transaction: do not reuse it; free it. */
gboolean     cs_store_conn_is_usable  (CsStoreConn *conn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsStore, cs_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsStoreConn, cs_store_conn_free)

/* ---- Users -------------------------------------------------------------- */

/* Inserts @user (id, email (normalised), username, display_name, bio, role,
 * created_at = updated_at).  Duplicate e-mail or username (case-insensitive)
 * → CS_ERROR_CONFLICT with a field error "email"/"username": "is already taken". */
gboolean  cs_store_user_insert        (CsStoreConn *conn, const CsUser *user, const char *password_hash,
                                       GError **error);
CsUser   *cs_store_user_get           (CsStoreConn *conn, const char *user_id, GError **error);
/* @login is an e-mail (matched normalised) or a username (case-insensitive).
 * NOT_FOUND if none.  *password_hash_out gets the stored argon2id string. */
CsUser   *cs_store_user_get_by_login  (CsStoreConn *conn, const char *login, char **password_hash_out,
                                       GError **error);

typedef struct {
  const char *email;          /* NULL: unchanged */
  const char *username;       /* NULL: unchanged */
  const char *display_name;   /* NULL: unchanged */
  const char *bio;            /* used when has_bio; NULL clears */
  gboolean    has_bio;
  const char *password_hash;  /* NULL: unchanged */
  gboolean    has_role;       /* staff tools / user-add */
  CsRole      role;
} CsUserPatch;

/* Same conflict rules as insert; bumps updated_at, and the change sequence
 * of the user's campaigns when their public name changes. */
CsUser   *cs_store_user_update        (CsStoreConn *conn, const char *user_id, const CsUserPatch *patch,
                                       gint64 now, GError **error);

/* ---- Sessions and tokens (only SHA-256 hashes of tokens are stored) ------ */

typedef struct {
  char    *session_id;
  char    *user_id;
  CsRole   role;
  gboolean suspended;
} CsSessionInfo;

void      cs_session_info_clear       (CsSessionInfo *info);

gboolean  cs_store_session_create     (CsStoreConn *conn, const char *session_id, const char *user_id,
                                       const char *access_hash, gint64 access_expires,
                                       const char *refresh_hash, gint64 refresh_expires,
                                       gint64 now, GError **error);
/* The live session whose current access token hashes to @access_hash.
 * Unknown, expired or revoked → CS_ERROR_UNAUTHORIZED. */
gboolean  cs_store_session_lookup     (CsStoreConn *conn, const char *access_hash, gint64 now,
                                       CsSessionInfo *out, GError **error);

typedef enum {
  CS_REFRESH_OK,        /* rotated: the new tokens are stored, the old one is spent */
  CS_REFRESH_UNKNOWN,   /* no such token, or its session was revoked */
  CS_REFRESH_EXPIRED,
  CS_REFRESH_REUSED,    /* an already-rotated token: the whole session is now revoked */
} CsRefreshResult;

/* In one transaction: spends the refresh token @refresh_hash and gives its
 * session the new access and refresh tokens; or detects reuse and revokes the
 * session.  On CS_REFRESH_OK, @out is filled.  FALSE only on database errors. */
gboolean  cs_store_session_refresh    (CsStoreConn *conn, const char *refresh_hash, gint64 now,
                                       const char *new_access_hash, gint64 access_expires,
                                       const char *new_refresh_hash, gint64 refresh_expires,
                                       CsRefreshResult *result, CsSessionInfo *out, GError **error);
gboolean  cs_store_session_revoke     (CsStoreConn *conn, const char *session_id, gint64 now,
                                       GError **error);

/* ---- Rate limits (fixed windows, shared through the database) ----------- */

/* Counts one hit for @key and tells whether it is within @limit hits per
 * @window seconds: *allowed = FALSE and *retry_after = seconds until the
 * window ends when over.  Returns FALSE only on database errors. */
gboolean  cs_store_rate_limit_hit     (CsStoreConn *conn, const char *key, gint64 now, gint64 window,
                                       gint64 limit, gboolean *allowed, gint64 *retry_after,
                                       GError **error);
/* Like hit, without counting. */
gboolean  cs_store_rate_limit_peek    (CsStoreConn *conn, const char *key, gint64 now, gint64 window,
                                       gint64 limit, gboolean *allowed, gint64 *retry_after,
                                       GError **error);
gboolean  cs_store_rate_limit_clear   (CsStoreConn *conn, const char *key, GError **error);

/* ---- Categories --------------------------------------------------------- */

/* All categories (CsCategory*, with live_count), in display order. */
GPtrArray *cs_store_categories        (CsStoreConn *conn, GError **error);

/* ---- Campaigns and tiers ------------------------------------------------ */

/* Inserts a draft: @campaign has id, creator_id, title, description,
 * category, goal_amount, currency, duration_days, image_url, created_at,
 * and rewards with ids (positions in array order).  Unknown category →
 * CS_ERROR_INVALID field "category": "is not a known category".
 * Returns the stored campaign as cs_store_campaign_get() would. */
CsCampaign *cs_store_campaign_insert  (CsStoreConn *conn, const CsCampaign *campaign, GError **error);
/* With rewards (by position) and the creator summary.  NOT_FOUND if absent. */
CsCampaign *cs_store_campaign_get     (CsStoreConn *conn, const char *campaign_id, GError **error);
/* What decides whether a cached copy of a campaign's public JSON is still
 * good: its change sequence, bumped by every change to the campaign, its
 * tiers, its totals or its creator's public profile. */
typedef struct {
  gint64   change_seq;
  gboolean published;        /* ever published (visible to everyone) */
  char     creator_id[72];
} CsCampaignVersion;

/* One indexed single-row read.  NOT_FOUND if absent. */
gboolean    cs_store_campaign_version (CsStoreConn *conn, const char *campaign_id, CsCampaignVersion *out,
                                       GError **error);
/* Applies the fields of @patch that are in patch->fields, only if the
 * campaign's status is in @allowed (else CONFLICT "This campaign can no
 * longer be edited" style detail naming the status).  Bumps updated_at. */
CsCampaign *cs_store_campaign_update  (CsStoreConn *conn, const char *campaign_id,
                                       const CsCampaignInput *patch, CsCampaignStatusSet allowed,
                                       gint64 now, GError **error);
/* Moves the campaign through @event (cs_campaign_event_sources/target), only
 * if its current status allows it (CONFLICT with cs_campaign_transition's
 * message otherwise).  APPROVE sets start_date = now, end_date = now +
 * duration_days, published_at = now; REJECT stores @reason as
 * rejection_reason; SUBMIT clears it.  Records an audit entry (actor, event,
 * reason, from → to).  Returns the campaign after the change. */
CsCampaign *cs_store_campaign_transition (CsStoreConn *conn, const char *campaign_id,
                                          CsCampaignEvent event, const char *actor_id,
                                          const char *reason, gint64 now, GError **error);
CsCampaign *cs_store_campaign_set_image (CsStoreConn *conn, const char *campaign_id, const char *image_url,
                                         CsCampaignStatusSet allowed, gint64 now, GError **error);

typedef enum {
  CS_SORT_TRENDING,     /* most pledges in the last 7 days, then percent funded */
  CS_SORT_NEWEST,       /* most recently published (created, for unpublished) */
  CS_SORT_ENDING_SOON,  /* live campaigns by end_date ascending, ended ones excluded */
  CS_SORT_MOST_FUNDED,  /* percent funded, descending */
  CS_SORT_RELEVANCE,    /* full-text rank (only with q) */
} CsCampaignSort;

const char *cs_campaign_sort_to_string   (CsCampaignSort sort);
gboolean    cs_campaign_sort_from_string (const char *text, CsCampaignSort *out);

typedef struct {
  const char         *q;          /* free text typed by a person, or NULL; the store makes a safe FTS query */
  const char         *category;   /* slug or NULL */
  CsCampaignStatusSet statuses;   /* 0: every status the viewer may see, but see below */
  const char         *creator_id; /* or NULL */
  CsCampaignSort      sort;
  const char         *cursor;     /* from a previous page's next_cursor, or NULL */
  guint               limit;      /* 1..100 */
  const char         *viewer_id;  /* NULL: anonymous */
  gboolean            viewer_is_staff;
  gint64              now;
} CsCampaignQuery;

/* Visibility: a campaign is listed if it was ever published (published_at
 * set), or the viewer is its creator, or the viewer is staff.  With
 * statuses == 0, only published campaigns are listed, plus the viewer's own
 * when creator_id == viewer_id.  A cursor that does not decode, or belongs
 * to another sort, → CS_ERROR_INVALID field "cursor". */
typedef struct {
  GPtrArray *items;        /* CsCampaign*, without rewards */
  char      *next_cursor;  /* NULL on the last page */
} CsCampaignPage;

void      cs_campaign_page_clear     (CsCampaignPage *page);
gboolean  cs_store_campaign_list     (CsStoreConn *conn, const CsCampaignQuery *query, CsCampaignPage *out,
                                      GError **error);

/* Tiers.  Insert assigns position = last + 1.  @allowed: campaign statuses
 * in which the change is allowed (checked inside the transaction: CONFLICT).
 * Update: quantity_available may not go below quantity_claimed (CONFLICT);
 * delete: a tier with claims cannot be deleted (CONFLICT).  Unknown
 * campaign or tier (or tier of another campaign) → NOT_FOUND.  Every change
 * also bumps the campaign's updated_at and change sequence (for /sync). */
CsRewardTier *cs_store_tier_insert   (CsStoreConn *conn, const char *campaign_id, const CsRewardTier *tier,
                                      CsCampaignStatusSet allowed, gint64 now, GError **error);
CsRewardTier *cs_store_tier_update   (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                                      const CsRewardTierInput *patch, CsCampaignStatusSet allowed,
                                      gint64 now, GError **error);
gboolean      cs_store_tier_delete   (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                                      CsCampaignStatusSet allowed, gint64 now, GError **error);

/* ---- Updates ------------------------------------------------------------- */

CsUpdate  *cs_store_update_insert    (CsStoreConn *conn, const CsUpdate *update, GError **error);
/* Newest first; @cursor from a previous page (INVALID field "cursor" if bad). */
GPtrArray *cs_store_update_list      (CsStoreConn *conn, const char *campaign_id, const char *cursor,
                                      guint limit, char **next_cursor, GError **error);
/* Whether @user_id holds a pledge on the campaign that is pending,
 * authorized, collected or capture_failed. */
gboolean   cs_store_is_backer        (CsStoreConn *conn, const char *campaign_id, const char *user_id,
                                      gboolean *is_backer, GError **error);

/* ---- Dashboard ----------------------------------------------------------- */

typedef struct {
  CsCampaign *campaign;          /* summary, without rewards */
  char       *pledge_id;
  gint64      amount;
  char        currency[4];
  char       *pledge_status;     /* api.md pledge status string */
  char       *reward_tier_id;    /* or NULL */
  char       *reward_title;      /* or NULL */
  gint64      pledged_at;
} CsBackedItem;

void      cs_backed_item_free        (CsBackedItem *item);

typedef struct {
  GPtrArray *created;   /* CsCampaign*: the user's campaigns, every status, newest first */
  GPtrArray *backed;    /* CsBackedItem*: the user's pledges (not cancelled), newest first */
} CsDashboard;

void      cs_dashboard_clear         (CsDashboard *dashboard);
gboolean  cs_store_dashboard         (CsStoreConn *conn, const char *user_id, CsDashboard *out,
                                      GError **error);

/* ---- Sync feed ----------------------------------------------------------- */

typedef struct {
  char   *type;        /* "campaign", "reward_tier" */
  char   *id;
  char   *campaign_id; /* for tiers */
  gint64  deleted_at;
} CsTombstone;

void      cs_tombstone_free          (CsTombstone *t);

typedef struct {
  GPtrArray *campaigns;   /* CsCampaign* WITH rewards, changed since the cursor, visible to the viewer */
  GPtrArray *tombstones;  /* CsTombstone*, deleted since the cursor */
  char      *next_cursor; /* always set: pass it as since= next time */
  gboolean   has_more;    /* another page is waiting right now */
} CsSyncPage;

void      cs_sync_page_clear         (CsSyncPage *page);
/* Everything that changed after @since (NULL: from the beginning), in change
 * order, at most @limit campaigns.  A bad cursor → INVALID field "since". */
gboolean  cs_store_sync              (CsStoreConn *conn, const char *since, const char *viewer_id,
                                      gboolean viewer_is_staff, guint limit, CsSyncPage *out,
                                      GError **error);

/* ---- Jobs and demo data --------------------------------------------------- */

/* Recomputes every live campaign's trending score from its pledges of the
 * last 7 days before @now. */
gboolean  cs_store_refresh_trending  (CsStoreConn *conn, gint64 now, GError **error);

/* Folds the write-ahead log back into the database where no reader needs
 * it (SQLite: a passive checkpoint; other backends: nothing).  The job
 * thread calls it every second, so that request threads do not. */
gboolean  cs_store_checkpoint        (CsStoreConn *conn, GError **error);

/* Housekeeping: forgets rate-limit windows that ended a day ago, refresh
 * tokens expired a day ago, and sessions revoked, or with no refresh token
 * left and an expired access token, a day ago. */
gboolean  cs_store_purge_expired     (CsStoreConn *conn, gint64 now, GError **error);

/* Moderation audit trail, newest first: each entry as written by transitions. */
typedef struct {
  char   *id;
  char   *actor_id;
  char   *action;       /* e.g. "campaign.approve" */
  char   *subject_type; /* "campaign" */
  char   *subject_id;
  char   *reason;       /* or NULL */
  char   *detail;       /* e.g. "pending_review → live", or NULL */
  gint64  created_at;
} CsAuditEntry;

void       cs_audit_entry_free       (CsAuditEntry *entry);
GPtrArray *cs_store_audit_list       (CsStoreConn *conn, const char *cursor, guint limit,
                                      char **next_cursor, GError **error);

G_END_DECLS

#include "cs-store-money.h"
