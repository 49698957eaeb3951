/* cs-store-pg-platform.c: the PostgreSQL store's platform operations:
 * accounts, sessions, rate limits, categories, campaigns (state machine,
 * lists and search), rewards, updates, dashboard, sync, jobs, audit.
 *
 * Each operation behaves exactly like its SQLite twin in cs-store-sqlite.c
 * (same results, errors, messages, order and cursors).  What differs is how
 * a check is kept true until commit: SQLite serialized every writer, while
 * here transactions run at READ COMMITTED side by side, so
 *
 *   - a write to a campaign first locks its row (a conditional UPDATE, or
 *     SELECT … FOR NO KEY UPDATE when the status read decides more), and
 *     takes the change counter last, in the statement that marks the
 *     campaign changed, right before COMMIT (the counter's row stays locked
 *     until then and serializes every campaign write of every instance:
 *     it is held as briefly as possible).  The lock order is campaign →
 *     reward tier → pledge → other rows → change_counter, as in
 *     cs-store-pg-money.c;
 *   - uniqueness is left to the constraints (ON CONFLICT DO NOTHING, then a
 *     look at what was taken);
 *   - a read that takes several statements and must see one state (the
 *     dashboard, /sync) runs in a REPEATABLE READ, READ ONLY transaction.
 *
 * Reads on the hot paths (session lookup, campaign GET and version, lists)
 * are one prepared statement each, without BEGIN/COMMIT.
 */
#include "config.h"

#include <string.h>

#include "cs-store-pg-private.h"

/* ---- Columns ------------------------------------------------------------------ */

#define USER_COLS \
  "id, email, username, coalesce (display_name, username), bio, role, suspended, " \
  "created_at, updated_at"

/* Campaign columns, read by campaign_from_row(); the last ones are sort keys. */
#define CAMPAIGN_COLS_WITH(description) \
  "c.id, c.creator_id, c.title, " description ", c.category, c.goal_amount, " \
  "c.current_amount, c.currency, c.backer_count, c.status, c.duration_days, " \
  "c.start_date, c.end_date, c.image_url, c.rejection_reason, c.created_at, " \
  "c.updated_at, c.published_at, u.username, coalesce (u.display_name, u.username), " \
  "c.rowid, c.listed_at, c.funded_bp, c.trend_score, c.change_seq"
#define CAMPAIGN_COLS CAMPAIGN_COLS_WITH ("c.description")
/* Lists show at most 280 characters of the story: do not copy all of it. */
#define CAMPAIGN_SUMMARY_COLS CAMPAIGN_COLS_WITH ("substr (c.description, 1, 500)")
#define CAMPAIGN_FROM "campaigns c JOIN users u ON u.id = c.creator_id"

enum {
  CC_ID, CC_CREATOR_ID, CC_TITLE, CC_DESCRIPTION, CC_CATEGORY, CC_GOAL, CC_CURRENT,
  CC_CURRENCY, CC_BACKERS, CC_STATUS, CC_DURATION, CC_START, CC_END, CC_IMAGE,
  CC_REJECTION, CC_CREATED, CC_UPDATED, CC_PUBLISHED, CC_USERNAME, CC_DISPLAY_NAME,
  CC_ROWID, CC_LISTED_AT, CC_FUNDED_BP, CC_TREND, CC_CHANGE_SEQ,
  CC_N
};

#define TIER_COLS \
  "id, campaign_id, title, description, minimum_pledge, estimated_delivery_date, " \
  "quantity_available, quantity_claimed, position, created_at, updated_at"
#define TIER_COLS_T \
  "t.id, t.campaign_id, t.title, t.description, t.minimum_pledge, t.estimated_delivery_date, " \
  "t.quantity_available, t.quantity_claimed, t.position, t.created_at, t.updated_at"
#define TIER_N 11

#define ACTIVE_PLEDGE "('pending', 'authorized', 'collected', 'capture_failed')"

/* ---- SQL ------------------------------------------------------------------------- */

static const char SQL_USER_INSERT[] =
  "INSERT INTO users (id, email, username, display_name, bio, role, suspended, password_hash, "
  "                   created_at, updated_at) "
  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) "
  "ON CONFLICT DO NOTHING RETURNING 1";
static const char SQL_USER_GET[] = "SELECT " USER_COLS " FROM users WHERE id = $1";
static const char SQL_USER_BY_EMAIL[] =
  "SELECT " USER_COLS ", password_hash FROM users WHERE email = $1";
static const char SQL_USER_BY_USERNAME[] =
  "SELECT " USER_COLS ", password_hash FROM users WHERE lower (username) = lower ($1)";
static const char SQL_USER_TAKEN[] =
  "SELECT EXISTS (SELECT 1 FROM users WHERE email = $1 AND id <> $3), "
  "       EXISTS (SELECT 1 FROM users WHERE lower (username) = lower ($2) AND id <> $3)";
static const char SQL_USER_UPDATE[] =
  "UPDATE users SET email = coalesce ($2, email), username = coalesce ($3, username), "
  "  display_name = coalesce ($4, display_name), "
  "  bio = CASE WHEN $5::boolean THEN $6 ELSE bio END, "
  "  password_hash = coalesce ($7, password_hash), "
  "  role = CASE WHEN $8::boolean THEN $9 ELSE role END, updated_at = $10 "
  "WHERE id = $1 "
  "RETURNING " USER_COLS;
/* The creator's campaigns, locked (in one order) before the user's row. */
static const char SQL_CREATOR_CAMPAIGNS_LOCK[] =
  "SELECT 1 FROM campaigns WHERE creator_id = $1 ORDER BY rowid FOR NO KEY UPDATE";
static const char SQL_CREATOR_CAMPAIGNS_BUMP[] =
  "WITH seq AS (UPDATE change_counter SET value = value + 1 RETURNING value) "
  "UPDATE campaigns SET change_seq = seq.value FROM seq WHERE campaigns.creator_id = $1";

/* The session and its first refresh token in one statement (the foreign
 * key is checked at its end, when the session exists). */
static const char SQL_SESSION_CREATE[] =
  "WITH s AS (INSERT INTO sessions (id, user_id, access_hash, access_expires, created_at) "
  "           VALUES ($1, $2, $3, $4, $5) RETURNING id) "
  "INSERT INTO refresh_tokens (hash, session_id, expires_at, created_at) "
  "SELECT $6, s.id, $7, $5 FROM s";
static const char SQL_SESSION_LOOKUP[] =
  "SELECT s.id, s.user_id, u.role, u.suspended FROM sessions s JOIN users u ON u.id = s.user_id "
  "WHERE s.access_hash = $1 AND s.access_expires > $2 AND s.revoked_at IS NULL";
/* Both rows locked: a concurrent use of the same token waits, then sees it spent. */
static const char SQL_REFRESH_FIND[] =
  "SELECT r.session_id, r.expires_at, r.used_at IS NOT NULL, s.revoked_at IS NOT NULL "
  "FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.hash = $1 "
  "FOR NO KEY UPDATE";
/* Spends the token and stores its successor: one row, or none if it was spent. */
static const char SQL_REFRESH_ROTATE[] =
  "WITH spent AS (UPDATE refresh_tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL "
  "               RETURNING session_id) "
  "INSERT INTO refresh_tokens (hash, session_id, expires_at, created_at) "
  "SELECT $3, spent.session_id, $4, $2 FROM spent RETURNING 1";
static const char SQL_SESSION_ROTATE[] =
  "UPDATE sessions s SET access_hash = $2, access_expires = $3 FROM users u "
  "WHERE s.id = $1 AND s.revoked_at IS NULL AND u.id = s.user_id "
  "RETURNING s.id, s.user_id, u.role, u.suspended";
static const char SQL_SESSION_REVOKE[] =
  "UPDATE sessions SET revoked_at = coalesce (revoked_at, $2) WHERE id = $1";

/* In the upsert's SET, rate_limits.* is the stored row. */
static const char SQL_RATE_HIT[] =
  "INSERT INTO rate_limits AS r (key, window_start, count) VALUES ($1, $2, 1) "
  "ON CONFLICT (key) DO UPDATE SET "
  "  window_start = CASE WHEN r.window_start + $3 <= $2 THEN $2 ELSE r.window_start END, "
  "  count = CASE WHEN r.window_start + $3 <= $2 THEN 1 ELSE r.count + 1 END "
  "RETURNING window_start, count";
static const char SQL_RATE_PEEK[] = "SELECT window_start, count FROM rate_limits WHERE key = $1";
static const char SQL_RATE_CLEAR[] = "DELETE FROM rate_limits WHERE key = $1";

static const char SQL_CATEGORIES[] =
  "SELECT k.slug, k.name, "
  "  (SELECT count(*) FROM campaigns c WHERE c.category = k.slug AND c.status = 'live') "
  "FROM categories k ORDER BY k.position, k.slug";
static const char SQL_CATEGORY_EXISTS[] = "SELECT 1 FROM categories WHERE slug = $1";

static const char SQL_CAMPAIGN_INSERT[] =
  "INSERT INTO campaigns (id, creator_id, title, description, category, goal_amount, currency, "
  "                       duration_days, image_url, created_at, updated_at, change_seq) "
  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0) "
  "ON CONFLICT (id) DO NOTHING RETURNING 1";
/* The campaign with its tiers in one statement (one row per tier, the
 * campaign's columns repeated): one snapshot, one round trip. */
static const char SQL_CAMPAIGN_GET[] =
  "SELECT " CAMPAIGN_COLS ", " TIER_COLS_T " FROM " CAMPAIGN_FROM " "
  "LEFT JOIN reward_tiers t ON t.campaign_id = c.id WHERE c.id = $1 "
  "ORDER BY t.position, t.id";
/* The row every write to a campaign locks first. */
static const char SQL_CAMPAIGN_LOCK[] =
  "SELECT status, creator_id, published_at IS NOT NULL FROM campaigns WHERE id = $1 "
  "FOR NO KEY UPDATE";
/* Read under a share lock: a decision on the identity check waits for us. */
static const char SQL_CREATOR_KYC[] =
  "SELECT u.kyc_status FROM campaigns c JOIN users u ON u.id = c.creator_id WHERE c.id = $1 "
  "FOR SHARE OF u";
static const char SQL_CAMPAIGN_VERSION[] =
  "SELECT change_seq, published_at IS NOT NULL, creator_id FROM campaigns WHERE id = $1";
static const char SQL_CAMPAIGN_EXISTS[] = "SELECT 1 FROM campaigns WHERE id = $1";
/* Conditional: the row is locked, and the status re-checked on its newest
 * version if another transaction changed it meanwhile.  No row: look why. */
static const char SQL_CAMPAIGN_UPDATE[] =
  "UPDATE campaigns SET "
  "  title = CASE WHEN $2::boolean THEN $3 ELSE title END, "
  "  description = CASE WHEN $4::boolean THEN $5 ELSE description END, "
  "  category = CASE WHEN $6::boolean THEN $7 ELSE category END, "
  "  goal_amount = CASE WHEN $8::boolean THEN $9::bigint ELSE goal_amount END, "
  "  currency = CASE WHEN $10::boolean THEN $11 ELSE currency END, "
  "  duration_days = CASE WHEN $12::boolean THEN $13::bigint ELSE duration_days END, "
  "  image_url = CASE WHEN $14::boolean THEN $15 ELSE image_url END, "
  "  updated_at = $16 "
  "WHERE id = $1 AND status = ANY ($17::text[]) RETURNING 1";
/* $3: approve (start the clock, publish); $4: 1 set rejection_reason, 2 clear it. */
static const char SQL_CAMPAIGN_TRANSITION[] =
  "UPDATE campaigns SET status = $2, "
  "  start_date = CASE WHEN $3::boolean THEN $5::bigint ELSE start_date END, "
  "  end_date = CASE WHEN $3::boolean THEN $5::bigint + duration_days * 86400 ELSE end_date END, "
  "  published_at = CASE WHEN $3::boolean THEN coalesce (published_at, $5::bigint) "
  "                 ELSE published_at END, "
  "  rejection_reason = CASE $4::integer WHEN 1 THEN $6 WHEN 2 THEN NULL "
  "                     ELSE rejection_reason END, "
  "  updated_at = $5::bigint "
  "WHERE id = $1";
static const char SQL_CAMPAIGN_SET_IMAGE[] =
  "UPDATE campaigns SET image_url = $2, updated_at = $3 "
  "WHERE id = $1 AND status = ANY ($4::text[]) RETURNING 1";
/* Marks a campaign (locked by this transaction) changed: the last
 * statement before COMMIT, as it takes the change counter. */
static const char SQL_CAMPAIGN_MARK[] =
  "WITH seq AS (UPDATE change_counter SET value = value + 1 RETURNING value) "
  "UPDATE campaigns SET updated_at = $2, change_seq = seq.value FROM seq "
  "WHERE campaigns.id = $1 RETURNING seq.value";

static const char SQL_TIER_INSERT[] =
  "INSERT INTO reward_tiers (id, campaign_id, title, description, minimum_pledge, "
  "  estimated_delivery_date, quantity_available, quantity_claimed, position, created_at, "
  "  updated_at) "
  "VALUES ($1, $2, $3, $4, $5, $6, $7, 0, "
  "  coalesce ((SELECT max (position) + 1 FROM reward_tiers WHERE campaign_id = $2), 0), $8, $8) "
  "ON CONFLICT (id) DO NOTHING "
  "RETURNING " TIER_COLS;
static const char SQL_TIER_GET[] =
  "SELECT " TIER_COLS " FROM reward_tiers WHERE id = $1 AND campaign_id = $2";
static const char SQL_TIER_UPDATE[] =
  "UPDATE reward_tiers SET "
  "  title = CASE WHEN $3::boolean THEN $4 ELSE title END, "
  "  description = CASE WHEN $5::boolean THEN $6 ELSE description END, "
  "  minimum_pledge = CASE WHEN $7::boolean THEN $8::bigint ELSE minimum_pledge END, "
  "  estimated_delivery_date = CASE WHEN $9::boolean THEN $10 ELSE estimated_delivery_date END, "
  "  quantity_available = CASE WHEN $11::boolean THEN $12::bigint ELSE quantity_available END, "
  "  updated_at = $13 "
  "WHERE id = $1 AND campaign_id = $2 "
  "  AND (NOT $11::boolean OR $12::bigint IS NULL OR $12::bigint >= quantity_claimed) "
  "RETURNING " TIER_COLS;
static const char SQL_TIER_DELETE[] =
  "DELETE FROM reward_tiers WHERE id = $1 AND campaign_id = $2 AND quantity_claimed = 0 "
  "  AND NOT EXISTS (SELECT 1 FROM pledges WHERE reward_tier_id = $1)";
static const char SQL_TOMBSTONE_INSERT[] =
  "INSERT INTO tombstones (seq, type, id, campaign_id, deleted_at, creator_id, published) "
  "VALUES ($1, $2, $3, $4, $5, $6, $7)";

static const char SQL_AUDIT_INSERT[] =
  "INSERT INTO audit_log (id, actor_id, action, subject_type, subject_id, reason, detail, "
  "                       created_at) "
  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
static const char SQL_AUDIT_LIST[] =
  "SELECT id, actor_id, action, subject_type, subject_id, reason, detail, created_at, rowid "
  "FROM audit_log ORDER BY created_at DESC, rowid DESC LIMIT $1";
static const char SQL_AUDIT_LIST_AFTER[] =
  "SELECT id, actor_id, action, subject_type, subject_id, reason, detail, created_at, rowid "
  "FROM audit_log WHERE (created_at, rowid) < ($2::bigint, $3::bigint) "
  "ORDER BY created_at DESC, rowid DESC LIMIT $1";

/* Inserted only if the campaign exists and the id is new: one round trip
 * on the way that matters; no row tells to look why. */
static const char SQL_UPDATE_INSERT[] =
  "INSERT INTO updates (id, campaign_id, author_id, title, content, visibility, created_at) "
  "SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = $2) "
  "ON CONFLICT (id) DO NOTHING RETURNING 1";
static const char SQL_UPDATE_LIST[] =
  "SELECT id, campaign_id, author_id, title, content, visibility, created_at, rowid "
  "FROM updates WHERE campaign_id = $1 ORDER BY created_at DESC, rowid DESC LIMIT $2";
static const char SQL_UPDATE_LIST_AFTER[] =
  "SELECT id, campaign_id, author_id, title, content, visibility, created_at, rowid "
  "FROM updates WHERE campaign_id = $1 AND (created_at, rowid) < ($3::bigint, $4::bigint) "
  "ORDER BY created_at DESC, rowid DESC LIMIT $2";
static const char SQL_IS_BACKER[] =
  "SELECT EXISTS (SELECT 1 FROM pledges WHERE campaign_id = $1 AND backer_id = $2 "
  "               AND status IN " ACTIVE_PLEDGE ")";

static const char SQL_DASH_CREATED[] =
  "SELECT " CAMPAIGN_SUMMARY_COLS " FROM " CAMPAIGN_FROM " WHERE c.creator_id = $1 "
  "ORDER BY c.created_at DESC, c.rowid DESC";
static const char SQL_DASH_BACKED[] =
  "SELECT " CAMPAIGN_SUMMARY_COLS ", p.id, p.amount, p.currency, p.status, p.reward_tier_id, "
  "  t.title, p.created_at "
  "FROM pledges p JOIN campaigns c ON c.id = p.campaign_id JOIN users u ON u.id = c.creator_id "
  "  LEFT JOIN reward_tiers t ON t.id = p.reward_tier_id "
  "WHERE p.backer_id = $1 AND p.status <> 'cancelled' "
  "ORDER BY p.created_at DESC, p.id COLLATE \"C\" DESC";

static const char SQL_COUNTER_GET[] = "SELECT value FROM change_counter WHERE id = 1";
/* A page of changed campaigns with their tiers (one row per tier). */
static const char SQL_SYNC_CAMPAIGNS[] =
  "SELECT " CAMPAIGN_COLS ", " TIER_COLS_T " FROM "
  "  (SELECT c.* FROM campaigns c "
  "   WHERE c.change_seq > $1 AND (c.published_at IS NOT NULL OR c.creator_id = $2 OR $3::boolean) "
  "   ORDER BY c.change_seq LIMIT $4) c "
  "  JOIN users u ON u.id = c.creator_id "
  "  LEFT JOIN reward_tiers t ON t.campaign_id = c.id "
  "ORDER BY c.change_seq, t.position, t.id";
static const char SQL_SYNC_TOMBSTONES[] =
  "SELECT type, id, campaign_id, deleted_at FROM tombstones "
  "WHERE seq > $1 AND seq <= $2 AND (published OR creator_id = $3 OR $4::boolean) ORDER BY seq";

static const char SQL_PURGE_RATE_LIMITS[] = "DELETE FROM rate_limits WHERE window_start < $1::bigint - 86400";
static const char SQL_PURGE_REFRESH_TOKENS[] =
  "DELETE FROM refresh_tokens WHERE expires_at < $1::bigint - 86400";
static const char SQL_PURGE_SESSIONS[] =
  "DELETE FROM sessions WHERE revoked_at < $1::bigint - 86400 "
  "   OR (access_expires < $1::bigint - 86400 "
  "       AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.session_id = sessions.id))";
/* Idempotency-Keys are promised for 24 hours; kept for 48. */
static const char SQL_PURGE_IDEMPOTENCY[] =
  "DELETE FROM idempotency_keys WHERE created_at < $1::bigint - 172800";

/* Only campaigns that have a score or recent pledges are looked at. */
static const char SQL_TRENDING[] =
  "WITH recent (campaign_id, n) AS ("
  "  SELECT campaign_id, count(*) FROM pledges "
  "  WHERE created_at >= $1::bigint - 604800 AND created_at < $1::bigint "
  "    AND status IN ('pending', 'authorized', 'collected') "
  "  GROUP BY campaign_id), "
  "candidates (r) AS ("
  "  SELECT rowid FROM campaigns WHERE trend_score > 0 "
  "  UNION SELECT c.rowid FROM recent JOIN campaigns c ON c.id = recent.campaign_id), "
  "scores (r, n) AS ("
  "  SELECT c.rowid, CASE WHEN c.status = 'live' THEN coalesce (recent.n, 0) ELSE 0 END "
  "  FROM candidates JOIN campaigns c ON c.rowid = candidates.r "
  "    LEFT JOIN recent ON recent.campaign_id = c.id) "
  "UPDATE campaigns SET trend_score = scores.n FROM scores "
  "WHERE campaigns.rowid = scores.r AND campaigns.trend_score <> scores.n";

/* ---- Rows ------------------------------------------------------------------------ */

static CsUser *
user_from_row (const PGresult *r, int row)
{
  CsUser *user = cs_user_new ();

  user->id = pg_col_dup (r, row, 0);
  user->email = pg_col_dup (r, row, 1);
  user->username = pg_col_dup (r, row, 2);
  user->display_name = pg_col_dup (r, row, 3);
  user->bio = pg_col_dup (r, row, 4);
  if (!cs_role_from_string (pg_col_text (r, row, 5), &user->role))
    user->role = CS_ROLE_BACKER;
  user->suspended = pg_col_bool (r, row, 6);
  user->created_at = pg_col_int (r, row, 7);
  user->updated_at = pg_col_int (r, row, 8);
  return user;
}

/* TIER_COLS from column @i on. */
static CsRewardTier *
tier_from_row_at (const PGresult *r, int row, int i)
{
  CsRewardTier *tier = cs_reward_tier_new ();

  tier->id = pg_col_dup (r, row, i + 0);
  tier->campaign_id = pg_col_dup (r, row, i + 1);
  tier->title = pg_col_dup (r, row, i + 2);
  tier->description = pg_col_dup (r, row, i + 3);
  if (tier->description == NULL)
    tier->description = g_strdup ("");
  tier->minimum_pledge = pg_col_int (r, row, i + 4);
  tier->estimated_delivery_date = pg_col_dup (r, row, i + 5);
  tier->quantity_available = pg_col_null (r, row, i + 6) ? -1 : pg_col_int (r, row, i + 6);
  tier->quantity_claimed = pg_col_int (r, row, i + 7);
  tier->position = (gint) pg_col_int (r, row, i + 8);
  tier->created_at = pg_col_int (r, row, i + 9);
  tier->updated_at = pg_col_int (r, row, i + 10);
  return tier;
}

static CsCampaign *
campaign_from_row (const PGresult *r, int row)
{
  CsCampaign *campaign = cs_campaign_new ();
  const char *currency = pg_col_text (r, row, CC_CURRENCY);

  campaign->id = pg_col_dup (r, row, CC_ID);
  campaign->creator_id = pg_col_dup (r, row, CC_CREATOR_ID);
  campaign->creator.id = pg_col_dup (r, row, CC_CREATOR_ID);
  campaign->creator.username = pg_col_dup (r, row, CC_USERNAME);
  campaign->creator.display_name = pg_col_dup (r, row, CC_DISPLAY_NAME);
  campaign->title = pg_col_dup (r, row, CC_TITLE);
  campaign->description = pg_col_dup (r, row, CC_DESCRIPTION);
  campaign->category = pg_col_dup (r, row, CC_CATEGORY);
  campaign->goal_amount = pg_col_int (r, row, CC_GOAL);
  campaign->current_amount = pg_col_int (r, row, CC_CURRENT);
  g_strlcpy (campaign->currency, currency != NULL ? currency : "", sizeof campaign->currency);
  campaign->backer_count = pg_col_int (r, row, CC_BACKERS);
  if (!cs_campaign_status_from_string (pg_col_text (r, row, CC_STATUS), &campaign->status))
    campaign->status = CS_CAMPAIGN_DRAFT;
  campaign->duration_days = (gint) pg_col_int (r, row, CC_DURATION);
  campaign->start_date = pg_col_int (r, row, CC_START);
  campaign->end_date = pg_col_int (r, row, CC_END);
  campaign->image_url = pg_col_dup (r, row, CC_IMAGE);
  campaign->rejection_reason = pg_col_dup (r, row, CC_REJECTION);
  campaign->created_at = pg_col_int (r, row, CC_CREATED);
  campaign->updated_at = pg_col_int (r, row, CC_UPDATED);
  campaign->published_at = pg_col_int (r, row, CC_PUBLISHED);
  return campaign;
}

static CsUpdate *
update_from_row (const PGresult *r, int row)
{
  CsUpdate *update = cs_update_new ();

  update->id = pg_col_dup (r, row, 0);
  update->campaign_id = pg_col_dup (r, row, 1);
  update->author_id = pg_col_dup (r, row, 2);
  update->title = pg_col_dup (r, row, 3);
  update->content = pg_col_dup (r, row, 4);
  /* Anything unexpected is treated as the more private choice. */
  update->visibility = g_strcmp0 (pg_col_text (r, row, 5), "public") == 0 ? CS_UPDATE_PUBLIC
                                                                       : CS_UPDATE_BACKERS_ONLY;
  update->created_at = pg_col_int (r, row, 6);
  return update;
}

static CsAuditEntry *
audit_from_row (const PGresult *r, int row)
{
  CsAuditEntry *entry = g_new0 (CsAuditEntry, 1);

  entry->id = pg_col_dup (r, row, 0);
  entry->actor_id = pg_col_dup (r, row, 1);
  entry->action = pg_col_dup (r, row, 2);
  entry->subject_type = pg_col_dup (r, row, 3);
  entry->subject_id = pg_col_dup (r, row, 4);
  entry->reason = pg_col_dup (r, row, 5);
  entry->detail = pg_col_dup (r, row, 6);
  entry->created_at = pg_col_int (r, row, 7);
  return entry;
}

static void
session_info_from_row (const PGresult *r, int row, CsSessionInfo *out)
{
  out->session_id = pg_col_dup (r, row, 0);
  out->user_id = pg_col_dup (r, row, 1);
  if (!cs_role_from_string (pg_col_text (r, row, 2), &out->role))
    out->role = CS_ROLE_BACKER;
  out->suspended = pg_col_bool (r, row, 3);
}

/* "{draft,rejected}": a text[] parameter for "status = ANY (…)". */
static char *
status_array_text (CsCampaignStatusSet set)
{
  GString *s = g_string_new ("{");
  gboolean first = TRUE;

  for (int st = 0; st < CS_CAMPAIGN_N_STATUSES; st++)
    if (set & CS_STATUS_BIT (st))
      {
        if (!first)
          g_string_append_c (s, ',');
        g_string_append (s, cs_campaign_status_to_string ((CsCampaignStatus) st));
        first = FALSE;
      }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

/* Adds @value as a text parameter that @args owns from now on. */
static void
pg_arg_text_take (PgArgs *args, char *value)
{
  g_ptr_array_add (args->owned, value);
  pg_arg_text (args, value);
}

/* Runs @sql expecting exactly one changed row (the row is locked by us). */
static gboolean
run_update_1 (CsPgConn *c, const char *sql, PgArgs *a, GError **error)
{
  g_autoptr(PGresult) r = pg_query (c, sql, a, error);

  if (r == NULL)
    return FALSE;
  if (strcmp (PQcmdTuples (r), "1") != 0)
    {
      g_warning ("store: a locked row changed under us");
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Internal database error");
      return FALSE;
    }
  return TRUE;
}

/* A read-only transaction that sees one snapshot for all its statements. */
static gboolean
snapshot_begin (CsPgConn *c, GError **error)
{
  g_return_val_if_fail (!c->in_txn, FALSE);
  if (!pg_exec (c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", error))
    return FALSE;
  c->in_txn = TRUE;
  return TRUE;
}

/* ---- Loading ------------------------------------------------------------------------ */

/* The rows of a campaign (CAMPAIGN_COLS, then TIER_COLS_T, one row per
 * tier) from row *@row on; leaves *@row after them. */
static CsCampaign *
campaign_with_tiers (const PGresult *r, int *row)
{
  int n = PQntuples (r);
  CsCampaign *campaign = campaign_from_row (r, *row);
  const char *id = pg_col_text (r, *row, CC_ID);

  for (; *row < n && g_strcmp0 (pg_col_text (r, *row, CC_ID), id) == 0; (*row)++)
    if (!pg_col_null (r, *row, CC_N))   /* a campaign without tiers */
      g_ptr_array_add (campaign->rewards, tier_from_row_at (r, *row, CC_N));
  return campaign;
}

CsCampaign *
pg_load_campaign (CsPgConn *c, const char *campaign_id, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  int row = 0;

  pg_arg_text (a, campaign_id);
  r = pg_query (c, SQL_CAMPAIGN_GET, a, error);
  if (r == NULL)
    return NULL;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Campaign");
      return NULL;
    }
  return campaign_with_tiers (r, &row);
}

/* Why a write to a campaign in status @status_text is refused. */
typedef enum {
  REFUSED_EDIT,
  REFUSED_IMAGE,
  REFUSED_TIER_ADD,
  REFUSED_TIER_CHANGE,
} Refusal;

static gboolean
campaign_refused (const char *status_text, Refusal refusal, GError **error)
{
  CsCampaignStatus status = CS_CAMPAIGN_DRAFT;
  const char *label;

  cs_campaign_status_from_string (status_text, &status);
  label = cs_store_status_label (status);
  switch (refusal)
    {
    case REFUSED_IMAGE:
      g_set_error (error, CS_ERROR, CS_ERROR_CONFLICT,
                   "The image of a %s campaign can no longer be changed", label);
      break;
    case REFUSED_TIER_ADD:
      g_set_error (error, CS_ERROR, CS_ERROR_CONFLICT,
                   "Rewards can no longer be added to a %s campaign", label);
      break;
    case REFUSED_TIER_CHANGE:
      g_set_error (error, CS_ERROR, CS_ERROR_CONFLICT,
                   "The rewards of a %s campaign can no longer be changed", label);
      break;
    case REFUSED_EDIT:
    default:
      g_set_error (error, CS_ERROR, CS_ERROR_CONFLICT,
                   "A %s campaign can no longer be edited", label);
      break;
    }
  return FALSE;
}

typedef struct {
  CsCampaignStatus status;
  char            *creator_id;
  gboolean         published;
} LockedCampaign;

static void
locked_campaign_clear (LockedCampaign *l)
{
  g_clear_pointer (&l->creator_id, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LockedCampaign, locked_campaign_clear)

/* Locks the campaign's row for this transaction and reads what writes
 * check: NOT_FOUND if absent. */
static gboolean
campaign_lock (CsPgConn *c, const char *campaign_id, LockedCampaign *out, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, campaign_id);
  r = pg_query (c, SQL_CAMPAIGN_LOCK, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Campaign");
      return FALSE;
    }
  out->status = CS_CAMPAIGN_DRAFT;
  cs_campaign_status_from_string (pg_col_text (r, 0, 0), &out->status);
  out->creator_id = pg_col_dup (r, 0, 1);
  out->published = pg_col_bool (r, 0, 2);
  return TRUE;
}

/* Locks the campaign and checks that its status is in @allowed (else
 * CONFLICT naming it, as @refusal words it). */
static gboolean
campaign_lock_allowed (CsPgConn *c, const char *campaign_id, CsCampaignStatusSet allowed,
                       Refusal refusal, LockedCampaign *out, GError **error)
{
  if (!campaign_lock (c, campaign_id, out, error))
    return FALSE;
  if ((allowed & CS_STATUS_BIT (out->status)) == 0)
    return campaign_refused (cs_campaign_status_to_string (out->status), refusal, error);
  return TRUE;
}

/* Marks the campaign (whose row this transaction holds) changed: a new
 * change sequence value (*@seq_out, if wanted) and updated_at.  It takes
 * the change counter: call it last, right before COMMIT. */
static gboolean
campaign_mark (CsPgConn *c, const char *campaign_id, gint64 now, gint64 *seq_out, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, campaign_id);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_CAMPAIGN_MARK, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) != 1)
    {
      g_warning ("store: a locked campaign went away");
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Internal database error");
      return FALSE;
    }
  if (seq_out != NULL)
    *seq_out = pg_col_int (r, 0, 0);
  return TRUE;
}

/* After a conditional UPDATE of a campaign matched no row: NOT_FOUND if it
 * is absent, else CONFLICT naming its status. */
static gboolean
campaign_refused_now (CsPgConn *c, const char *campaign_id, Refusal refusal, GError **error)
{
  g_auto(LockedCampaign) locked = { 0 };

  if (!campaign_lock (c, campaign_id, &locked, error))
    return FALSE;
  return campaign_refused (cs_campaign_status_to_string (locked.status), refusal, error);
}

/* An edit of a campaign: runs a conditional UPDATE (… AND status = ANY
 * (allowed) RETURNING 1) built in @a, then marks the campaign changed (the
 * change counter last) and returns it as stored; @refusal explains a row
 * the UPDATE did not change. */
static CsCampaign *
campaign_edit (CsPgConn *c, const char *sql, PgArgs *a, const char *campaign_id, Refusal refusal,
               gint64 now, GError **error)
{
  g_autoptr(PGresult) r = pg_query (c, sql, a, error);
  g_autoptr(CsCampaign) stored = NULL;

  if (r == NULL)
    return NULL;
  if (PQntuples (r) == 0)
    {
      campaign_refused_now (c, campaign_id, refusal, error);
      return NULL;
    }
  stored = pg_load_campaign (c, campaign_id, error);
  if (stored == NULL || !campaign_mark (c, campaign_id, now, NULL, error))
    return NULL;
  return g_steal_pointer (&stored);
}

/* ---- Users -------------------------------------------------------------------------- */

/* After a unique violation on users: which of e-mail and username is taken
 * (by another user than @user_id)?  Sets CONFLICT with field errors. */
static gboolean
user_taken (CsPgConn *c, const char *email, const char *username, const char *user_id,
            GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  g_autoptr(GError) local = NULL;
  gboolean email_taken, username_taken;

  pg_arg_text (a, email);
  pg_arg_text (a, username);
  pg_arg_text (a, user_id);
  r = pg_query (c, SQL_USER_TAKEN, a, error);
  if (r == NULL)
    return FALSE;
  email_taken = email != NULL && pg_col_bool (r, 0, 0);
  username_taken = username != NULL && pg_col_bool (r, 0, 1);

  if (!email_taken && !username_taken)
    {
      g_warning ("store: unexpected duplicate user id");
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Internal database error");
      return FALSE;
    }
  local = g_error_new_literal (CS_ERROR, CS_ERROR_CONFLICT,
                               email_taken ? "An account with this e-mail address already exists"
                                           : "This username is already taken");
  if (email_taken)
    cs_error_add_field (local, "email", "is already taken");
  if (username_taken)
    cs_error_add_field (local, "username", "is already taken");
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
pg_user_insert (CsStoreConn *conn, const CsUser *user, const char *password_hash, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autofree char *email = cs_email_normalize (user->email);
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  /* One statement: atomic on its own. */
  pg_arg_text (a, user->id);
  pg_arg_text (a, email);
  pg_arg_text (a, user->username);
  pg_arg_text (a, user->display_name);
  pg_arg_text (a, user->bio);
  pg_arg_text (a, cs_role_to_string (user->role));
  pg_arg_bool (a, user->suspended);
  pg_arg_text (a, password_hash);
  pg_arg_int (a, user->created_at);
  r = pg_query (c, SQL_USER_INSERT, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    return user_taken (c, email, user->username, user->id, error);
  return TRUE;
}

static CsUser *
user_select (CsPgConn *c, const char *sql, const char *key, char **password_hash_out,
             GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, key);
  r = pg_query (c, sql, a, error);
  if (r == NULL)
    return NULL;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "User");
      return NULL;
    }
  if (password_hash_out != NULL)
    *password_hash_out = pg_col_dup (r, 0, 9);
  return user_from_row (r, 0);
}

CsUser *
pg_user_get (CsStoreConn *conn, const char *user_id, GError **error)
{
  return user_select ((CsPgConn *) conn, SQL_USER_GET, user_id, NULL, error);
}

CsUser *
pg_user_get_by_login (CsStoreConn *conn, const char *login, char **password_hash_out,
                      GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (strchr (login, '@') != NULL)
    {
      g_autofree char *email = cs_email_normalize (login);

      return user_select (c, SQL_USER_BY_EMAIL, email, password_hash_out, error);
    }
  return user_select (c, SQL_USER_BY_USERNAME, login, password_hash_out, error);
}

static CsUser *
user_update_txn (CsPgConn *c, const char *user_id, const CsUserPatch *patch, const char *email,
                 gint64 now, GError **error)
{
  gboolean renames = patch->username != NULL || patch->display_name != NULL;
  g_autoptr(CsUser) user = NULL;

  /* The creator's name is part of every campaign's JSON: caches and the
   * sync feed must see those campaigns change.  Campaign rows are locked
   * before any other row. */
  if (renames)
    {
      g_autoptr(PgArgs) a = pg_args_new ();
      g_autoptr(PGresult) r = NULL;

      pg_arg_text (a, user_id);
      r = pg_query (c, SQL_CREATOR_CAMPAIGNS_LOCK, a, error);
      if (r == NULL)
        return NULL;
    }
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, user_id);
    pg_arg_text (a, email);
    pg_arg_text (a, patch->username);
    pg_arg_text (a, patch->display_name);
    pg_arg_bool (a, patch->has_bio);
    pg_arg_text (a, patch->bio);
    pg_arg_text (a, patch->password_hash);
    pg_arg_bool (a, patch->has_role);
    pg_arg_text (a, cs_role_to_string (patch->role));
    pg_arg_int (a, now);
    r = pg_query (c, SQL_USER_UPDATE, a, error);
    if (r == NULL)
      return NULL;
    if (PQntuples (r) == 0)
      {
        pg_set_not_found (error, "User");
        return NULL;
      }
    user = user_from_row (r, 0);
  }
  if (renames)
    {
      g_autoptr(PgArgs) a = pg_args_new ();
      g_autoptr(PGresult) r = NULL;

      pg_arg_text (a, user_id);
      r = pg_query (c, SQL_CREATOR_CAMPAIGNS_BUMP, a, error);
      if (r == NULL)
        return NULL;
    }
  return g_steal_pointer (&user);
}

CsUser *
pg_user_update (CsStoreConn *conn, const char *user_id, const CsUserPatch *patch, gint64 now,
                GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autofree char *email = cs_email_normalize (patch->email);
  g_autoptr(GError) local = NULL;
  CsUser *user;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  user = user_update_txn (c, user_id, patch, email, now, &local);
  if (user == NULL && pg_failed_unique (c, NULL))
    {
      /* The transaction is aborted: look at what is taken after it. */
      pg_txn_end (c, FALSE, NULL);
      user_taken (c, email, patch->username, user_id, error);
      return NULL;
    }
  if (user == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return pg_txn_end_with (c, user, (GDestroyNotify) cs_user_free, error);
}

/* ---- Sessions ----------------------------------------------------------------------- */

gboolean
pg_session_create (CsStoreConn *conn, const char *session_id, const char *user_id,
                   const char *access_hash, gint64 access_expires,
                   const char *refresh_hash, gint64 refresh_expires, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  g_autoptr(GError) local = NULL;

  pg_arg_text (a, session_id);
  pg_arg_text (a, user_id);
  pg_arg_text (a, access_hash);
  pg_arg_int (a, access_expires);
  pg_arg_int (a, now);
  pg_arg_text (a, refresh_hash);
  pg_arg_int (a, refresh_expires);
  r = pg_query (c, SQL_SESSION_CREATE, a, &local);
  if (r != NULL)
    return TRUE;
  if (strcmp (c->sqlstate, "23503") == 0)
    pg_set_not_found (error, "User");
  else
    g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* The hot path of every authenticated request: one prepared statement. */
gboolean
pg_session_lookup (CsStoreConn *conn, const char *access_hash, gint64 now, CsSessionInfo *out,
                   GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, access_hash);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_SESSION_LOOKUP, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED,
                           "The access token is invalid or has expired");
      return FALSE;
    }
  session_info_from_row (r, 0, out);
  return TRUE;
}

static gboolean
session_revoke (CsPgConn *c, const char *session_id, gint64 now, gboolean *found, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, session_id);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_SESSION_REVOKE, a, error);
  if (r == NULL)
    return FALSE;
  *found = strcmp (PQcmdTuples (r), "0") != 0;
  return TRUE;
}

static gboolean
session_refresh_txn (CsPgConn *c, const char *refresh_hash, gint64 now,
                     const char *new_access_hash, gint64 access_expires,
                     const char *new_refresh_hash, gint64 refresh_expires,
                     CsRefreshResult *result, CsSessionInfo *out, GError **error)
{
  g_autofree char *session_id = NULL;
  gint64 expires_at;
  gboolean used, revoked, found;

  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, refresh_hash);
    r = pg_query (c, SQL_REFRESH_FIND, a, error);
    if (r == NULL)
      return FALSE;
    if (PQntuples (r) == 0)
      {
        *result = CS_REFRESH_UNKNOWN;
        return TRUE;
      }
    session_id = pg_col_dup (r, 0, 0);
    expires_at = pg_col_int (r, 0, 1);
    used = pg_col_bool (r, 0, 2);
    revoked = pg_col_bool (r, 0, 3);
  }

  if (revoked)
    {
      *result = CS_REFRESH_UNKNOWN;
      return TRUE;
    }
  if (used)
    {
      /* A rotated token came back: someone holds a copy.  Revoke the whole
       * session; this is a result, not an error, so it commits. */
      if (!session_revoke (c, session_id, now, &found, error))
        return FALSE;
      *result = CS_REFRESH_REUSED;
      return TRUE;
    }
  if (expires_at <= now)
    {
      *result = CS_REFRESH_EXPIRED;
      return TRUE;
    }

  {
    g_autoptr(PgArgs) a = pg_args_new ();

    pg_arg_text (a, refresh_hash);
    pg_arg_int (a, now);
    pg_arg_text (a, new_refresh_hash);
    pg_arg_int (a, refresh_expires);
    if (!run_update_1 (c, SQL_REFRESH_ROTATE, a, error))
      return FALSE;
  }
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, session_id);
    pg_arg_text (a, new_access_hash);
    pg_arg_int (a, access_expires);
    r = pg_query (c, SQL_SESSION_ROTATE, a, error);
    if (r == NULL)
      return FALSE;
    if (PQntuples (r) != 1)
      {
        g_warning ("store: a locked session changed under us");
        g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Internal database error");
        return FALSE;
      }
    session_info_from_row (r, 0, out);
  }
  *result = CS_REFRESH_OK;
  return TRUE;
}

gboolean
pg_session_refresh (CsStoreConn *conn, const char *refresh_hash, gint64 now,
                    const char *new_access_hash, gint64 access_expires,
                    const char *new_refresh_hash, gint64 refresh_expires,
                    CsRefreshResult *result, CsSessionInfo *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  gboolean ok;

  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  ok = session_refresh_txn (c, refresh_hash, now, new_access_hash, access_expires,
                            new_refresh_hash, refresh_expires, result, out, error);
  if (!pg_txn_end (c, ok, error))
    {
      cs_session_info_clear (out);
      *result = CS_REFRESH_UNKNOWN;
      return FALSE;
    }
  return TRUE;
}

gboolean
pg_session_revoke (CsStoreConn *conn, const char *session_id, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  gboolean found = FALSE;

  /* One statement: atomic on its own. */
  if (!session_revoke (c, session_id, now, &found, error))
    return FALSE;
  if (!found)
    {
      pg_set_not_found (error, "Session");
      return FALSE;
    }
  return TRUE;
}

/* ---- Rate limits -------------------------------------------------------------------- */

static void
rate_verdict (gint64 window_start, gint64 count, gint64 now, gint64 window, gint64 limit,
              gboolean counted, gboolean *allowed, gint64 *retry_after)
{
  /* A hit is allowed while the count including it stays within @limit; a
   * peek tells whether one more hit would be. */
  *allowed = counted ? count <= limit : count < limit;
  *retry_after = *allowed ? 0 : CLAMP (window_start + window - now, 1, window);
}

gboolean
pg_rate_limit_hit (CsStoreConn *conn, const char *key, gint64 now, gint64 window, gint64 limit,
                   gboolean *allowed, gint64 *retry_after, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  /* One upsert statement: atomic, also between instances. */
  pg_arg_text (a, key);
  pg_arg_int (a, now);
  pg_arg_int (a, window);
  r = pg_query (c, SQL_RATE_HIT, a, error);
  if (r == NULL)
    return FALSE;
  rate_verdict (pg_col_int (r, 0, 0), pg_col_int (r, 0, 1), now, window, limit, TRUE, allowed,
                retry_after);
  return TRUE;
}

gboolean
pg_rate_limit_peek (CsStoreConn *conn, const char *key, gint64 now, gint64 window, gint64 limit,
                    gboolean *allowed, gint64 *retry_after, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  gint64 window_start, count;

  pg_arg_text (a, key);
  r = pg_query (c, SQL_RATE_PEEK, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      rate_verdict (now, 0, now, window, limit, FALSE, allowed, retry_after);
      return TRUE;
    }
  window_start = pg_col_int (r, 0, 0);
  count = pg_col_int (r, 0, 1);
  if (window_start + window <= now)
    {
      window_start = now;
      count = 0;
    }
  rate_verdict (window_start, count, now, window, limit, FALSE, allowed, retry_after);
  return TRUE;
}

gboolean
pg_rate_limit_clear (CsStoreConn *conn, const char *key, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, key);
  r = pg_query (c, SQL_RATE_CLEAR, a, error);
  return r != NULL;
}

/* ---- Categories ---------------------------------------------------------------------- */

GPtrArray *
pg_categories (CsStoreConn *conn, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PGresult) r = pg_query (c, SQL_CATEGORIES, NULL, error);
  GPtrArray *out;

  if (r == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_category_free);
  for (int i = 0; i < PQntuples (r); i++)
    {
      CsCategory *category = g_new0 (CsCategory, 1);

      category->slug = pg_col_dup (r, i, 0);
      category->name = pg_col_dup (r, i, 1);
      category->live_count = pg_col_int (r, i, 2);
      g_ptr_array_add (out, category);
    }
  return out;
}

static gboolean
check_category (CsPgConn *c, const char *slug, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, slug);
  r = pg_query (c, SQL_CATEGORY_EXISTS, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) > 0)
    return TRUE;
  {
    g_autoptr(GError) local = g_error_new_literal (CS_ERROR, CS_ERROR_INVALID,
                                                   "The category does not exist");

    cs_error_add_field (local, "category", "is not a known category");
    g_propagate_error (error, g_steal_pointer (&local));
  }
  return FALSE;
}

/* ---- Campaigns ------------------------------------------------------------------------ */

static CsRewardTier *
tier_insert (CsPgConn *c, const char *campaign_id, const CsRewardTier *tier, gint64 now,
             GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, tier->id);
  pg_arg_text (a, campaign_id);
  pg_arg_text (a, tier->title);
  pg_arg_text (a, tier->description != NULL ? tier->description : "");
  pg_arg_int (a, tier->minimum_pledge);
  pg_arg_text (a, tier->estimated_delivery_date);
  pg_arg_int_or_null (a, tier->quantity_available < 0, tier->quantity_available);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_TIER_INSERT, a, error);
  if (r == NULL)
    return NULL;
  if (PQntuples (r) == 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This reward already exists");
      return NULL;
    }
  return tier_from_row_at (r, 0, 0);
}

static CsCampaign *
campaign_insert_txn (CsPgConn *c, const CsCampaign *campaign, GError **error)
{
  g_autoptr(CsCampaign) stored = NULL;

  if (!check_category (c, campaign->category, error))
    return NULL;
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;
    g_autoptr(GError) local = NULL;

    pg_arg_text (a, campaign->id);
    pg_arg_text (a, campaign->creator_id);
    pg_arg_text (a, campaign->title);
    pg_arg_text (a, campaign->description != NULL ? campaign->description : "");
    pg_arg_text (a, campaign->category);
    pg_arg_int (a, campaign->goal_amount);
    pg_arg_text (a, campaign->currency);
    pg_arg_int (a, campaign->duration_days);
    pg_arg_text (a, campaign->image_url);
    pg_arg_int (a, campaign->created_at);
    r = pg_query (c, SQL_CAMPAIGN_INSERT, a, &local);
    if (r == NULL)
      {
        /* The category was checked above: the creator is unknown. */
        if (strcmp (c->sqlstate, "23503") == 0)
          pg_set_not_found (error, "User");
        else
          g_propagate_error (error, g_steal_pointer (&local));
        return NULL;
      }
    if (PQntuples (r) == 0)
      {
        g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This campaign already exists");
        return NULL;
      }
  }
  for (guint i = 0; campaign->rewards != NULL && i < campaign->rewards->len; i++)
    {
      CsRewardTier *tier = tier_insert (c, campaign->id, g_ptr_array_index (campaign->rewards, i),
                                        campaign->created_at, error);

      if (tier == NULL)
        return NULL;
      cs_reward_tier_free (tier);
    }
  /* What the campaign JSON shows does not include the sequence: load it
   * first, so that the counter is held only by the last statement. */
  stored = pg_load_campaign (c, campaign->id, error);
  if (stored == NULL || !campaign_mark (c, campaign->id, campaign->created_at, NULL, error))
    return NULL;
  return g_steal_pointer (&stored);
}

CsCampaign *
pg_campaign_insert (CsStoreConn *conn, const CsCampaign *campaign, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  return pg_txn_end_with (c, campaign_insert_txn (c, campaign, error),
                          (GDestroyNotify) cs_campaign_free, error);
}

/* The hot path of GET /campaigns/{id}: one prepared statement. */
gboolean
pg_campaign_version (CsStoreConn *conn, const char *campaign_id, CsCampaignVersion *out,
                     GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, campaign_id);
  r = pg_query (c, SQL_CAMPAIGN_VERSION, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Campaign");
      return FALSE;
    }
  out->change_seq = pg_col_int (r, 0, 0);
  out->published = pg_col_bool (r, 0, 1);
  g_strlcpy (out->creator_id, pg_col_text (r, 0, 2), sizeof out->creator_id);
  return TRUE;
}

CsCampaign *
pg_campaign_get (CsStoreConn *conn, const char *campaign_id, GError **error)
{
  return pg_load_campaign ((CsPgConn *) conn, campaign_id, error);
}

static CsCampaign *
campaign_update_txn (CsPgConn *c, const char *campaign_id, const CsCampaignInput *patch,
                     CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  guint f = patch->fields;

  if ((f & CS_CAMPAIGN_FIELD_CATEGORY) && !check_category (c, patch->category, error))
    return NULL;
  pg_arg_text (a, campaign_id);
  pg_arg_bool (a, (f & CS_CAMPAIGN_FIELD_TITLE) != 0);
  pg_arg_text (a, patch->title);
  pg_arg_bool (a, (f & CS_CAMPAIGN_FIELD_DESCRIPTION) != 0);
  pg_arg_text (a, patch->description != NULL ? patch->description : "");
  pg_arg_bool (a, (f & CS_CAMPAIGN_FIELD_CATEGORY) != 0);
  pg_arg_text (a, patch->category);
  pg_arg_bool (a, (f & CS_CAMPAIGN_FIELD_GOAL_AMOUNT) != 0);
  pg_arg_int (a, patch->goal_amount);
  pg_arg_bool (a, (f & CS_CAMPAIGN_FIELD_CURRENCY) != 0);
  pg_arg_text (a, patch->currency);
  pg_arg_bool (a, (f & CS_CAMPAIGN_FIELD_DURATION_DAYS) != 0);
  pg_arg_int (a, patch->duration_days);
  pg_arg_bool (a, (f & CS_CAMPAIGN_FIELD_IMAGE_URL) != 0);
  pg_arg_text (a, patch->image_url);
  pg_arg_int (a, now);
  pg_arg_text_take (a, status_array_text (allowed));
  return campaign_edit (c, SQL_CAMPAIGN_UPDATE, a, campaign_id, REFUSED_EDIT, now, error);
}

CsCampaign *
pg_campaign_update (CsStoreConn *conn, const char *campaign_id, const CsCampaignInput *patch,
                    CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  return pg_txn_end_with (c, campaign_update_txn (c, campaign_id, patch, allowed, now, error),
                          (GDestroyNotify) cs_campaign_free, error);
}

gboolean
pg_audit_insert (CsPgConn *c, const char *actor_id, const char *action, const char *subject_type,
                 const char *subject_id, const char *reason, const char *detail, gint64 now,
                 GError **error)
{
  g_autofree char *id = cs_id_new ("aud");
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, id);
  pg_arg_text (a, actor_id);
  pg_arg_text (a, action);
  pg_arg_text (a, subject_type);
  pg_arg_text (a, subject_id);
  pg_arg_text (a, reason);
  pg_arg_text (a, detail);
  pg_arg_int (a, now);
  r = pg_query (c, SQL_AUDIT_INSERT, a, error);
  return r != NULL;
}

/* Only a verified creator goes to review (decided under a share lock on
 * the creator, so a decision on their identity waits for this one). */
static gboolean
check_creator_verified (CsPgConn *c, const char *campaign_id, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, campaign_id);
  r = pg_query (c, SQL_CREATOR_KYC, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Campaign");
      return FALSE;
    }
  if (g_strcmp0 (pg_col_text (r, 0, 0), "verified") != 0)
    {
      g_autoptr(GError) local = g_error_new_literal (
        CS_ERROR, CS_ERROR_FORBIDDEN,
        "Verify your identity (POST /api/v1/me/kyc) before submitting a campaign for review.");

      cs_error_set_type_slug (local, "kyc-required");
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

static CsCampaign *
campaign_transition_txn (CsPgConn *c, const char *campaign_id, CsCampaignEvent event,
                         const char *actor_id, const char *reason, gint64 now, GError **error)
{
  g_auto(LockedCampaign) locked = { 0 };
  g_autoptr(CsCampaign) stored = NULL;
  CsCampaignStatus from, to;
  g_autofree char *action = NULL;
  g_autofree char *detail = NULL;

  /* The status read under the row lock is the one we change. */
  if (!campaign_lock (c, campaign_id, &locked, error))
    return NULL;
  from = locked.status;
  if (!cs_campaign_transition (from, event, &to, error))
    return NULL;
  if (event == CS_CAMPAIGN_EVENT_SUBMIT && !check_creator_verified (c, campaign_id, error))
    return NULL;
  {
    g_autoptr(PgArgs) a = pg_args_new ();

    pg_arg_text (a, campaign_id);
    pg_arg_text (a, cs_campaign_status_to_string (cs_campaign_event_target (event)));
    pg_arg_bool (a, event == CS_CAMPAIGN_EVENT_APPROVE);
    pg_arg_int (a, event == CS_CAMPAIGN_EVENT_REJECT ? 1 : event == CS_CAMPAIGN_EVENT_SUBMIT ? 2 : 0);
    pg_arg_int (a, now);
    pg_arg_text (a, reason);
    if (!run_update_1 (c, SQL_CAMPAIGN_TRANSITION, a, error))
      return NULL;
  }
  /* A campaign that stops early releases its backers' holds. */
  if ((event == CS_CAMPAIGN_EVENT_CANCEL || event == CS_CAMPAIGN_EVENT_SUSPEND) &&
      !pg_money_void_campaign (c, campaign_id, event == CS_CAMPAIGN_EVENT_SUSPEND, now, error))
    return NULL;

  action = g_strdup_printf ("campaign.%s", cs_campaign_event_to_string (event));
  detail = g_strdup_printf ("%s → %s", cs_campaign_status_to_string (from),
                            cs_campaign_status_to_string (to));
  if (!pg_audit_insert (c, actor_id, action, "campaign", campaign_id, reason, detail, now, error))
    return NULL;
  stored = pg_load_campaign (c, campaign_id, error);
  if (stored == NULL || !campaign_mark (c, campaign_id, now, NULL, error))
    return NULL;
  return g_steal_pointer (&stored);
}

CsCampaign *
pg_campaign_transition (CsStoreConn *conn, const char *campaign_id, CsCampaignEvent event,
                        const char *actor_id, const char *reason, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  return pg_txn_end_with (c, campaign_transition_txn (c, campaign_id, event, actor_id, reason, now,
                                                      error),
                          (GDestroyNotify) cs_campaign_free, error);
}

static CsCampaign *
campaign_set_image_txn (CsPgConn *c, const char *campaign_id, const char *image_url,
                        CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();

  pg_arg_text (a, campaign_id);
  pg_arg_text (a, image_url);
  pg_arg_int (a, now);
  pg_arg_text_take (a, status_array_text (allowed));
  return campaign_edit (c, SQL_CAMPAIGN_SET_IMAGE, a, campaign_id, REFUSED_IMAGE, now, error);
}

CsCampaign *
pg_campaign_set_image (CsStoreConn *conn, const char *campaign_id, const char *image_url,
                       CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  return pg_txn_end_with (c, campaign_set_image_txn (c, campaign_id, image_url, allowed, now, error),
                          (GDestroyNotify) cs_campaign_free, error);
}

/* ---- Campaign lists ----------------------------------------------------------------- */

#define SEARCH_MAX_WORDS 16
/* Ranking is exact for a search with at most this many (visible, filtered)
 * matches; a broader one ranks its RANK_CAP most recent matches, like the
 * SQLite store (fresh campaigns first is what discovery wants anyway). */
#define RANK_CAP 1000
/* ts_rank's weights for D, C (story), B (category), A (title): in the
 * proportions of FTS5's bm25 (10.0, 1.0, 3.0) for title, story, category. */
#define RANK_WEIGHTS "'{0.1, 0.1, 0.3, 1.0}'"
/* The tsquery of parameter $n: a scalar subquery, so that it is computed
 * once per statement (as a filter, to_tsquery of a parameter would be
 * parsed again for every row: ~10 µs each). */
#define TS_QUERY_OPEN "(SELECT to_tsquery ('cs_search', cs_search_unaccent ("
#define TS_QUERY_CLOSE ")))"

/* The tsquery text for a person's words: each word a quoted lexeme (the
 * words hold only letters, digits and combining marks, so no tsquery
 * syntax survives), all of them required (&), the last one a prefix
 * (search as you type) when it has at least 2 characters. */
static char *
ts_query_text (char **words)
{
  GString *s = g_string_new (NULL);
  guint n = 0;

  for (guint i = 0; words[i] != NULL; i++, n++)
    {
      if (i > 0)
        g_string_append (s, " & ");
      g_string_append_c (s, '\'');
      for (const char *p = words[i]; *p != '\0'; p++)
        {
          /* Not expected in a word; made inert all the same. */
          if (*p == '\'' || *p == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '\'');
    }
  if (n > 0 && g_utf8_strlen (words[n - 1], -1) >= 2)
    g_string_append (s, ":*");
  return g_string_free (s, FALSE);
}

static guint
sort_n_keys (CsCampaignSort sort)
{
  switch (sort)
    {
    case CS_SORT_TRENDING:
      return 3;     /* trend_score, funded_bp, rowid */
    case CS_SORT_RELEVANCE:
      return 1;     /* offset */
    case CS_SORT_NEWEST:
    case CS_SORT_ENDING_SOON:
    case CS_SORT_MOST_FUNDED:
    default:
      return 2;     /* key, rowid */
    }
}

/* A statement being assembled: its text and its parameters. */
typedef struct {
  GString *sql;
  PgArgs  *args;
} Builder;

static void
param_text (Builder *b, const char *value)
{
  pg_arg_text (b->args, value);
  g_string_append_printf (b->sql, "$%u", b->args->values->len);
}

/* @value is the statement's from now on. */
static void
param_text_take (Builder *b, char *value)
{
  pg_arg_text_take (b->args, value);
  g_string_append_printf (b->sql, "$%u", b->args->values->len);
}

static void
param_int (Builder *b, gint64 value)
{
  pg_arg_int (b->args, value);
  g_string_append_printf (b->sql, "$%u::bigint", b->args->values->len);
}

/* The WHERE terms on "c" for visibility and the filters (cs-store.h). */
static void
append_filters (Builder *b, const CsCampaignQuery *q)
{
  gboolean own_only = q->creator_id != NULL && q->viewer_id != NULL &&
                      strcmp (q->creator_id, q->viewer_id) == 0;

  if (q->statuses == 0)
    {
      if (!own_only)
        g_string_append (b->sql, " AND c.published_at IS NOT NULL");
    }
  else
    {
      /* An empty array (no known status) matches nothing. */
      g_string_append (b->sql, " AND c.status = ANY (");
      param_text_take (b, status_array_text (q->statuses));
      g_string_append (b->sql, "::text[])");
      if (!q->viewer_is_staff && !own_only)
        {
          if (q->viewer_id != NULL)
            {
              g_string_append (b->sql, " AND (c.published_at IS NOT NULL OR c.creator_id = ");
              param_text (b, q->viewer_id);
              g_string_append_c (b->sql, ')');
            }
          else
            g_string_append (b->sql, " AND c.published_at IS NOT NULL");
        }
    }
  if (q->category != NULL)
    {
      g_string_append (b->sql, " AND c.category = ");
      param_text (b, q->category);
    }
  if (q->creator_id != NULL)
    {
      g_string_append (b->sql, " AND c.creator_id = ");
      param_text (b, q->creator_id);
    }
  if (q->sort == CS_SORT_ENDING_SOON)
    {
      g_string_append (b->sql, " AND c.status = 'live' AND c.end_date > ");
      param_int (b, q->now);
    }
}

/* Keyset condition and order of a non-relevance sort.  @by_index FALSE:
 * an order the sort's index cannot give (its first key + 0), so that the
 * planner drives the query from the search index instead of walking the
 * sort index through rows that do not match. */
static void
append_order (Builder *b, CsCampaignSort sort, const gint64 *keys, gboolean by_index)
{
  const char *cols, *first, *rest;
  const char *cmp = "<";

  switch (sort)
    {
    case CS_SORT_TRENDING:
      cols = "c.trend_score, c.funded_bp, c.rowid";
      first = "c.trend_score";
      rest = " DESC, c.funded_bp DESC, c.rowid DESC";
      break;
    case CS_SORT_NEWEST:
      cols = "c.listed_at, c.rowid";
      first = "c.listed_at";
      rest = " DESC, c.rowid DESC";
      break;
    case CS_SORT_ENDING_SOON:
      cols = "c.end_date, c.rowid";
      first = "c.end_date";
      rest = ", c.rowid";
      cmp = ">";
      break;
    case CS_SORT_MOST_FUNDED:
    case CS_SORT_RELEVANCE:
    default:
      cols = "c.funded_bp, c.rowid";
      first = "c.funded_bp";
      rest = " DESC, c.rowid DESC";
      break;
    }
  if (keys != NULL)
    {
      guint n = sort == CS_SORT_TRENDING ? 3 : 2;

      g_string_append_printf (b->sql, " AND (%s) %s (", cols, cmp);
      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append (b->sql, ", ");
          param_int (b, keys[i]);
        }
      g_string_append_c (b->sql, ')');
    }
  g_string_append_printf (b->sql, " ORDER BY %s%s%s", first, by_index ? "" : " + 0", rest);
}

/* How a search is run.  The search index (GIN) finds every match at a cost
 * that grows with their number (~1 µs each: 70 ms for a word in all of
 * 100,000 campaigns); walking the sort's index and testing each row stops
 * as soon as a page is full (~0.3 µs a row: cheap for a common word, a
 * whole-table walk for a rare one).  A search first walks a bounded
 * number of rows; only if that did not fill its page does it ask the
 * search index (SQLite's store decides the same by counting matches). */
typedef enum {
  PLAN_PLAIN,     /* no q */
  PLAN_WALK,      /* walk the sort index, at most WALK_ROWS (RANK_WALK_ROWS) rows */
  PLAN_MATCHES,   /* from the search index's matches */
} ListPlan;

#define WALK_ROWS 2000
/* Ranking needs RANK_CAP matches from the walk: words in >= 10% of the
 * campaigns, where the walk is cheaper than the index. */
#define RANK_WALK_ROWS 10000

/* Assembles the list query from fixed fragments; every value is a parameter. */
static void
list_sql (Builder *b, const CsCampaignQuery *q, const char *match, const gint64 *cursor_keys,
          ListPlan plan)
{
  guint m;

  if (match != NULL && q->sort == CS_SORT_RELEVANCE)
    {
      /* The RANK_CAP newest matches through the filters (narrow rows)... */
      g_string_append (b->sql, "WITH m AS MATERIALIZED (");
      if (plan == PLAN_WALK)
        {
          g_string_append (b->sql, "SELECT w.r, w.s FROM (SELECT c.rowid AS r, c.search AS s"
                                   " FROM campaigns c WHERE TRUE");
          append_filters (b, q);
          g_string_append (b->sql, " ORDER BY c.rowid DESC LIMIT ");
          param_int (b, RANK_WALK_ROWS);
          g_string_append (b->sql, ") w WHERE w.s @@ " TS_QUERY_OPEN);
          param_text (b, match);
          m = b->args->values->len;
          g_string_append (b->sql, TS_QUERY_CLOSE " LIMIT ");
        }
      else
        {
          g_string_append (b->sql, "SELECT c.rowid AS r, c.search AS s FROM campaigns c"
                                   " WHERE c.search @@ " TS_QUERY_OPEN);
          param_text (b, match);
          m = b->args->values->len;
          g_string_append (b->sql, TS_QUERY_CLOSE);
          append_filters (b, q);
          g_string_append (b->sql, " ORDER BY c.rowid + 0 DESC LIMIT ");
        }
      param_int (b, RANK_CAP);
      /* ...ranked, the page of them by offset, then their campaigns; the
       * number of matches ranked comes last in every row (a row of NULL
       * campaign columns when the page is empty). */
      g_string_append (b->sql, ") SELECT " CAMPAIGN_SUMMARY_COLS ", n.n FROM (SELECT count(*) AS n FROM m) n"
                               " LEFT JOIN ((SELECT m.r, ts_rank (" RANK_WEIGHTS ", m.s, " TS_QUERY_OPEN);
      g_string_append_printf (b->sql, "$%u" TS_QUERY_CLOSE ") AS k FROM m ORDER BY k DESC, m.r LIMIT ", m);
      param_int (b, (gint64) q->limit + 1);
      g_string_append (b->sql, " OFFSET ");
      param_int (b, cursor_keys != NULL ? cursor_keys[0] : 0);
      g_string_append (b->sql, ") AS top JOIN campaigns c ON c.rowid = top.r"
                               " JOIN users u ON u.id = c.creator_id) ON TRUE ORDER BY top.k DESC, top.r");
      return;
    }

  g_string_append (b->sql, "SELECT " CAMPAIGN_SUMMARY_COLS);
  if (plan == PLAN_WALK)
    {
      /* The first matches among the first WALK_ROWS rows in the sort's
       * order (the walk stops when the page is full), then their campaigns. */
      g_string_append (b->sql, " FROM (SELECT w.r FROM (SELECT c.rowid AS r, c.search AS s"
                               " FROM campaigns c WHERE TRUE");
      append_filters (b, q);
      append_order (b, q->sort, cursor_keys, TRUE);
      g_string_append (b->sql, " LIMIT ");
      param_int (b, WALK_ROWS);
      g_string_append (b->sql, ") w WHERE w.s @@ " TS_QUERY_OPEN);
      param_text (b, match);
      g_string_append (b->sql, TS_QUERY_CLOSE " LIMIT ");
      param_int (b, (gint64) q->limit + 1);
      g_string_append (b->sql, ") AS top JOIN " CAMPAIGN_FROM " ON c.rowid = top.r WHERE TRUE");
      append_order (b, q->sort, NULL, TRUE);
      return;
    }
  g_string_append (b->sql, " FROM " CAMPAIGN_FROM " WHERE TRUE");
  if (match != NULL)
    {
      g_string_append (b->sql, " AND c.search @@ " TS_QUERY_OPEN);
      param_text (b, match);
      g_string_append (b->sql, TS_QUERY_CLOSE);
    }
  append_filters (b, q);
  append_order (b, q->sort, cursor_keys, plan == PLAN_PLAIN);
  g_string_append (b->sql, " LIMIT ");
  param_int (b, (gint64) q->limit + 1);
}

/* Runs the list query of @plan. */
static PGresult *
list_query (CsPgConn *c, const CsCampaignQuery *q, const char *match, const gint64 *cursor_keys,
            ListPlan plan, GError **error)
{
  g_autoptr(PgArgs) args = pg_args_new ();
  g_autoptr(GString) sql = g_string_new (NULL);
  Builder b = { sql, args };

  list_sql (&b, q, match, cursor_keys, plan);
  return pg_query_shape (c, sql->str, args, error);
}

/* The cursor keys of row @row. */
static void
row_keys (const PGresult *r, int row, CsCampaignSort sort, gint64 *keys)
{
  switch (sort)
    {
    case CS_SORT_TRENDING:
      keys[0] = pg_col_int (r, row, CC_TREND);
      keys[1] = pg_col_int (r, row, CC_FUNDED_BP);
      keys[2] = pg_col_int (r, row, CC_ROWID);
      break;
    case CS_SORT_NEWEST:
      keys[0] = pg_col_int (r, row, CC_LISTED_AT);
      keys[1] = pg_col_int (r, row, CC_ROWID);
      break;
    case CS_SORT_ENDING_SOON:
      keys[0] = pg_col_int (r, row, CC_END);
      keys[1] = pg_col_int (r, row, CC_ROWID);
      break;
    case CS_SORT_MOST_FUNDED:
      keys[0] = pg_col_int (r, row, CC_FUNDED_BP);
      keys[1] = pg_col_int (r, row, CC_ROWID);
      break;
    case CS_SORT_RELEVANCE:
    default:
      break;
    }
}

gboolean
pg_campaign_list (CsStoreConn *conn, const CsCampaignQuery *q, CsCampaignPage *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  const char *tag = cs_campaign_sort_to_string (q->sort);
  guint n_keys = sort_n_keys (q->sort);
  gint64 cursor_keys[3] = { 0, 0, 0 };
  gint64 keys[3] = { 0, 0, 0 };
  g_auto(GStrv) words = NULL;
  g_autofree char *match = NULL;
  const gint64 *after = q->cursor != NULL ? cursor_keys : NULL;
  gboolean ranked = FALSE;
  g_autoptr(PGresult) r = NULL;
  GPtrArray *items;
  int n;

  if (q->cursor != NULL &&
      (!cs_store_cursor_decode (q->cursor, tag, cursor_keys, n_keys, NULL) ||
       (q->sort == CS_SORT_RELEVANCE && (cursor_keys[0] < 0 || cursor_keys[0] > G_MAXINT32))))
    {
      cs_store_set_cursor_error (error, "cursor");
      return FALSE;
    }

  if (q->q != NULL)
    {
      words = cs_store_search_words (q->q, SEARCH_MAX_WORDS);
      if (words == NULL)
        {
          /* Nothing searchable was typed: nothing matches. */
          out->items = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
          return TRUE;
        }
      match = ts_query_text (words);
    }

  /* One statement (one snapshot), or for a search whose walk was not
   * conclusive, a second one that is the answer by itself. */
  if (match == NULL)
    r = list_query (c, q, NULL, after, PLAN_PLAIN, error);
  else
    {
      ranked = q->sort == CS_SORT_RELEVANCE;
      r = list_query (c, q, match, after, PLAN_WALK, error);
      if (r != NULL &&
          (ranked ? pg_col_int (r, 0, CC_N) < RANK_CAP : (guint) PQntuples (r) <= q->limit))
        {
          g_clear_pointer (&r, PQclear);
          r = list_query (c, q, match, after, PLAN_MATCHES, error);
        }
    }
  if (r == NULL)
    return FALSE;

  n = PQntuples (r);
  /* A ranked page of no campaign is one row of NULL campaign columns. */
  if (ranked && n == 1 && pg_col_null (r, 0, CC_ID))
    n = 0;
  items = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  for (int i = 0; i < n && items->len < q->limit; i++)
    g_ptr_array_add (items, campaign_from_row (r, i));
  if ((guint) n > q->limit)
    {
      if (q->sort == CS_SORT_RELEVANCE)
        keys[0] = cursor_keys[0] + q->limit;
      else
        row_keys (r, (int) q->limit - 1, q->sort, keys);
      out->next_cursor = cs_store_cursor_encode (tag, keys, n_keys, NULL);
    }
  out->items = items;
  return TRUE;
}

/* ---- Tiers ------------------------------------------------------------------------------ */


/* After a conditional tier change matched no row: NOT_FOUND if the tier is
 * not the campaign's, else CONFLICT. */
static gboolean
tier_refused (CsPgConn *c, const char *campaign_id, const char *tier_id, gboolean quantity,
              GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  g_autoptr(GError) local = NULL;

  pg_arg_text (a, tier_id);
  pg_arg_text (a, campaign_id);
  r = pg_query (c, SQL_TIER_GET, a, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples (r) == 0)
    {
      pg_set_not_found (error, "Reward");
      return FALSE;
    }
  if (quantity)
    {
      local = g_error_new (CS_ERROR, CS_ERROR_CONFLICT,
                           "The quantity cannot be lower than the %" G_GINT64_FORMAT
                           " already claimed", pg_col_int (r, 0, 7));
      cs_error_add_field (local, "quantity_available", "is lower than the quantity already claimed");
    }
  else
    local = g_error_new_literal (CS_ERROR, CS_ERROR_CONFLICT,
                                 "A reward that backers have chosen cannot be deleted");
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static CsRewardTier *
tier_insert_txn (CsPgConn *c, const char *campaign_id, const CsRewardTier *tier,
                 CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_auto(LockedCampaign) locked = { 0 };
  g_autoptr(CsRewardTier) stored = NULL;

  if (!campaign_lock_allowed (c, campaign_id, allowed, REFUSED_TIER_ADD, &locked, error))
    return NULL;
  stored = tier_insert (c, campaign_id, tier, now, error);
  if (stored == NULL || !campaign_mark (c, campaign_id, now, NULL, error))
    return NULL;
  return g_steal_pointer (&stored);
}

CsRewardTier *
pg_tier_insert (CsStoreConn *conn, const char *campaign_id, const CsRewardTier *tier,
                CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  return pg_txn_end_with (c, tier_insert_txn (c, campaign_id, tier, allowed, now, error),
                          (GDestroyNotify) cs_reward_tier_free, error);
}

static CsRewardTier *
tier_update_txn (CsPgConn *c, const char *campaign_id, const char *tier_id,
                 const CsRewardTierInput *patch, CsCampaignStatusSet allowed, gint64 now,
                 GError **error)
{
  g_auto(LockedCampaign) locked = { 0 };
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  g_autoptr(CsRewardTier) stored = NULL;

  if (!campaign_lock_allowed (c, campaign_id, allowed, REFUSED_TIER_CHANGE, &locked, error))
    return NULL;
  pg_arg_text (a, tier_id);
  pg_arg_text (a, campaign_id);
  pg_arg_bool (a, patch->has_title);
  pg_arg_text (a, patch->title);
  pg_arg_bool (a, patch->has_description);
  pg_arg_text (a, patch->description != NULL ? patch->description : "");
  pg_arg_bool (a, patch->has_minimum_pledge);
  pg_arg_int (a, patch->minimum_pledge);
  pg_arg_bool (a, patch->has_estimated_delivery_date);
  pg_arg_text (a, patch->estimated_delivery_date);
  pg_arg_bool (a, patch->has_quantity_available);
  pg_arg_int_or_null (a, patch->quantity_available < 0, patch->quantity_available);
  pg_arg_int (a, now);
  /* The tier's row is re-checked if a pledge claimed from it meanwhile. */
  r = pg_query (c, SQL_TIER_UPDATE, a, error);
  if (r == NULL)
    return NULL;
  if (PQntuples (r) == 0)
    {
      tier_refused (c, campaign_id, tier_id, TRUE, error);
      return NULL;
    }
  stored = tier_from_row_at (r, 0, 0);
  if (!campaign_mark (c, campaign_id, now, NULL, error))
    return NULL;
  return g_steal_pointer (&stored);
}

CsRewardTier *
pg_tier_update (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                const CsRewardTierInput *patch, CsCampaignStatusSet allowed, gint64 now,
                GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (!pg_txn_begin (c, TRUE, error))
    return NULL;
  return pg_txn_end_with (c, tier_update_txn (c, campaign_id, tier_id, patch, allowed, now, error),
                          (GDestroyNotify) cs_reward_tier_free, error);
}

static gboolean
tier_delete_txn (CsPgConn *c, const char *campaign_id, const char *tier_id,
                 CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_auto(LockedCampaign) locked = { 0 };
  gint64 seq;

  if (!campaign_lock_allowed (c, campaign_id, allowed, REFUSED_TIER_CHANGE, &locked, error))
    return FALSE;
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, tier_id);
    pg_arg_text (a, campaign_id);
    r = pg_query (c, SQL_TIER_DELETE, a, error);
    if (r == NULL)
      return FALSE;
    if (strcmp (PQcmdTuples (r), "0") == 0)
      return tier_refused (c, campaign_id, tier_id, FALSE, error);
  }
  /* The tombstone (a new row) carries the sequence value. */
  if (!campaign_mark (c, campaign_id, now, &seq, error))
    return FALSE;
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_int (a, seq);
    pg_arg_text (a, "reward_tier");
    pg_arg_text (a, tier_id);
    pg_arg_text (a, campaign_id);
    pg_arg_int (a, now);
    pg_arg_text (a, locked.creator_id);
    pg_arg_bool (a, locked.published);
    r = pg_query (c, SQL_TOMBSTONE_INSERT, a, error);
    if (r == NULL)
      return FALSE;
  }
  return TRUE;
}

gboolean
pg_tier_delete (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  gboolean ok;

  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  ok = tier_delete_txn (c, campaign_id, tier_id, allowed, now, error);
  return pg_txn_end (c, ok, error);
}

/* ---- Updates ------------------------------------------------------------------------------ */

CsUpdate *
pg_update_insert (CsStoreConn *conn, const CsUpdate *update, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  CsUpdate *copy;

  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, update->id);
    pg_arg_text (a, update->campaign_id);
    pg_arg_text (a, update->author_id);
    pg_arg_text (a, update->title);
    pg_arg_text (a, update->content != NULL ? update->content : "");
    /* The stored names are the schema's, independent of the API's. */
    pg_arg_text (a, update->visibility == CS_UPDATE_PUBLIC ? "public" : "backers");
    pg_arg_int (a, update->created_at);
    r = pg_query (c, SQL_UPDATE_INSERT, a, error);
    if (r == NULL)
      return NULL;
    if (PQntuples (r) == 0)
      {
        /* Campaigns are never deleted: whichever reason holds now held then. */
        g_autoptr(PgArgs) e = pg_args_new ();
        g_autoptr(PGresult) found = NULL;

        pg_arg_text (e, update->campaign_id);
        found = pg_query (c, SQL_CAMPAIGN_EXISTS, e, error);
        if (found == NULL)
          return NULL;
        if (PQntuples (found) == 0)
          pg_set_not_found (error, "Campaign");
        else
          g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This update already exists");
        return NULL;
      }
  }

  copy = cs_update_new ();
  copy->id = g_strdup (update->id);
  copy->campaign_id = g_strdup (update->campaign_id);
  copy->author_id = g_strdup (update->author_id);
  copy->title = g_strdup (update->title);
  copy->content = g_strdup (update->content != NULL ? update->content : "");
  copy->visibility = update->visibility;
  copy->created_at = update->created_at;
  return copy;
}

/* A newest-first page of @r (fetched with limit + 1); rows carry created_at
 * and rowid in columns @time_col and @time_col + 1. */
static GPtrArray *
read_time_page (const PGresult *r, guint limit, int time_col, const char *tag,
                gpointer (*from_row) (const PGresult *, int), GDestroyNotify free_func,
                char **next_cursor)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (free_func);
  int n = PQntuples (r);

  for (int i = 0; i < n && items->len < limit; i++)
    g_ptr_array_add (items, from_row (r, i));
  if ((guint) n > limit && limit > 0)
    {
      gint64 keys[2] = { pg_col_int (r, (int) limit - 1, time_col),
                         pg_col_int (r, (int) limit - 1, time_col + 1) };

      *next_cursor = cs_store_cursor_encode (tag, keys, 2, NULL);
    }
  return items;
}

static gpointer
update_row (const PGresult *r, int row)
{
  return update_from_row (r, row);
}

static gpointer
audit_row (const PGresult *r, int row)
{
  return audit_from_row (r, row);
}

GPtrArray *
pg_update_list (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit,
                char **next_cursor, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  gint64 after[2] = { 0, 0 };

  if (cursor != NULL && !cs_store_cursor_decode (cursor, "updates", after, 2, NULL))
    {
      cs_store_set_cursor_error (error, "cursor");
      return NULL;
    }
  pg_arg_text (a, campaign_id);
  pg_arg_int (a, (gint64) limit + 1);
  if (cursor != NULL)
    {
      pg_arg_int (a, after[0]);
      pg_arg_int (a, after[1]);
    }
  r = pg_query (c, cursor != NULL ? SQL_UPDATE_LIST_AFTER : SQL_UPDATE_LIST, a, error);
  if (r == NULL)
    return NULL;
  return read_time_page (r, limit, 6, "updates", update_row, (GDestroyNotify) cs_update_free,
                         next_cursor);
}

gboolean
pg_is_backer (CsStoreConn *conn, const char *campaign_id, const char *user_id,
              gboolean *is_backer, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_text (a, campaign_id);
  pg_arg_text (a, user_id);
  r = pg_query (c, SQL_IS_BACKER, a, error);
  if (r == NULL)
    return FALSE;
  *is_backer = pg_col_bool (r, 0, 0);
  return TRUE;
}

/* ---- Dashboard ------------------------------------------------------------------------------ */

static gboolean
dashboard_read (CsPgConn *c, const char *user_id, CsDashboard *out, GError **error)
{
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, user_id);
    r = pg_query (c, SQL_DASH_CREATED, a, error);
    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      g_ptr_array_add (out->created, campaign_from_row (r, i));
  }
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_text (a, user_id);
    r = pg_query (c, SQL_DASH_BACKED, a, error);
    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      {
        CsBackedItem *item = g_new0 (CsBackedItem, 1);
        const char *currency = pg_col_text (r, i, CC_N + 2);

        item->campaign = campaign_from_row (r, i);
        item->pledge_id = pg_col_dup (r, i, CC_N);
        item->amount = pg_col_int (r, i, CC_N + 1);
        g_strlcpy (item->currency, currency != NULL ? currency : "", sizeof item->currency);
        item->pledge_status = pg_col_dup (r, i, CC_N + 3);
        item->reward_tier_id = pg_col_dup (r, i, CC_N + 4);
        item->reward_title = pg_col_dup (r, i, CC_N + 5);
        item->pledged_at = pg_col_int (r, i, CC_N + 6);
        g_ptr_array_add (out->backed, item);
      }
  }
  return TRUE;
}

gboolean
pg_dashboard (CsStoreConn *conn, const char *user_id, CsDashboard *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  gboolean ok;

  out->created = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  out->backed = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_backed_item_free);
  if (!snapshot_begin (c, error))
    {
      cs_dashboard_clear (out);
      return FALSE;
    }
  ok = dashboard_read (c, user_id, out, error);
  if (!pg_txn_end (c, ok, error))
    {
      cs_dashboard_clear (out);
      return FALSE;
    }
  return TRUE;
}

/* ---- Sync ------------------------------------------------------------------------------------ */

static gboolean
sync_read (CsPgConn *c, gint64 since, const char *viewer_id, gboolean staff, guint limit,
           CsSyncPage *out, GError **error)
{
  gint64 counter, upper;

  {
    g_autoptr(PGresult) r = pg_query (c, SQL_COUNTER_GET, NULL, error);

    if (r == NULL)
      return FALSE;
    counter = pg_col_int (r, 0, 0);
  }
  if (since > counter)
    {
      /* A cursor from the future: another database.  The client must
       * start over. */
      cs_store_set_cursor_error (error, "since");
      return FALSE;
    }

  upper = counter;
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;
    int row = 0, n;

    pg_arg_int (a, since);
    pg_arg_text (a, viewer_id);
    pg_arg_bool (a, staff);
    pg_arg_int (a, (gint64) limit + 1);
    r = pg_query (c, SQL_SYNC_CAMPAIGNS, a, error);
    if (r == NULL)
      return FALSE;
    n = PQntuples (r);
    while (row < n)
      {
        gint64 seq = pg_col_int (r, row, CC_CHANGE_SEQ);

        if (out->campaigns->len == limit)
          {
            out->has_more = TRUE;
            break;
          }
        g_ptr_array_add (out->campaigns, campaign_with_tiers (r, &row));
        upper = seq;
      }
    /* A page that is not full covers everything up to now. */
    if (!out->has_more)
      upper = counter;
  }
  {
    g_autoptr(PgArgs) a = pg_args_new ();
    g_autoptr(PGresult) r = NULL;

    pg_arg_int (a, since);
    pg_arg_int (a, upper);
    pg_arg_text (a, viewer_id);
    pg_arg_bool (a, staff);
    r = pg_query (c, SQL_SYNC_TOMBSTONES, a, error);
    if (r == NULL)
      return FALSE;
    for (int i = 0; i < PQntuples (r); i++)
      {
        CsTombstone *t = g_new0 (CsTombstone, 1);

        t->type = pg_col_dup (r, i, 0);
        t->id = pg_col_dup (r, i, 1);
        t->campaign_id = pg_col_dup (r, i, 2);
        t->deleted_at = pg_col_int (r, i, 3);
        g_ptr_array_add (out->tombstones, t);
      }
  }
  out->next_cursor = cs_store_sync_cursor_encode (upper);
  return TRUE;
}

gboolean
pg_sync (CsStoreConn *conn, const char *since, const char *viewer_id, gboolean viewer_is_staff,
         guint limit, CsSyncPage *out, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  gint64 since_seq = 0;
  gboolean ok;

  if (since != NULL && !cs_store_sync_cursor_decode (since, &since_seq))
    {
      cs_store_set_cursor_error (error, "since");
      return FALSE;
    }
  out->campaigns = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  out->tombstones = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_tombstone_free);
  if (!snapshot_begin (c, error))
    {
      cs_sync_page_clear (out);
      return FALSE;
    }
  ok = sync_read (c, since_seq, viewer_id, viewer_is_staff, limit, out, error);
  if (!pg_txn_end (c, ok, error))
    {
      cs_sync_page_clear (out);
      return FALSE;
    }
  return TRUE;
}

/* ---- Jobs ---------------------------------------------------------------------------------------- */

static gboolean
run_at (CsPgConn *c, const char *sql, gint64 now, GError **error)
{
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;

  pg_arg_int (a, now);
  r = pg_query (c, sql, a, error);
  return r != NULL;
}

gboolean
pg_refresh_trending (CsStoreConn *conn, gint64 now, GError **error)
{
  /* One statement: atomic on its own. */
  return run_at ((CsPgConn *) conn, SQL_TRENDING, now, error);
}

gboolean
pg_purge_expired (CsStoreConn *conn, gint64 now, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  static const char *const purges[] = { SQL_PURGE_RATE_LIMITS, SQL_PURGE_REFRESH_TOKENS,
                                        SQL_PURGE_SESSIONS, SQL_PURGE_IDEMPOTENCY };
  gboolean ok = TRUE;

  if (!pg_txn_begin (c, TRUE, error))
    return FALSE;
  for (guint i = 0; ok && i < G_N_ELEMENTS (purges); i++)
    ok = run_at (c, purges[i], now, error);
  return pg_txn_end (c, ok, error);
}

/* ---- Audit ----------------------------------------------------------------------------------------- */

GPtrArray *
pg_audit_list (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor,
               GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;
  g_autoptr(PgArgs) a = pg_args_new ();
  g_autoptr(PGresult) r = NULL;
  gint64 after[2] = { 0, 0 };

  if (cursor != NULL && !cs_store_cursor_decode (cursor, "audit", after, 2, NULL))
    {
      cs_store_set_cursor_error (error, "cursor");
      return NULL;
    }
  pg_arg_int (a, (gint64) limit + 1);
  if (cursor != NULL)
    {
      pg_arg_int (a, after[0]);
      pg_arg_int (a, after[1]);
    }
  r = pg_query (c, cursor != NULL ? SQL_AUDIT_LIST_AFTER : SQL_AUDIT_LIST, a, error);
  if (r == NULL)
    return NULL;
  return read_time_page (r, limit, 7, "audit", audit_row, (GDestroyNotify) cs_audit_entry_free,
                         next_cursor);
}
