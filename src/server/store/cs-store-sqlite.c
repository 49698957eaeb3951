/* cs-store-sqlite.c: the SQLite backend of the store (cs-store.h).
 *
 * One sqlite3 handle per CsStoreConn, used by one thread at a time (opened
 * with SQLITE_OPEN_NOMUTEX).  Every SQL text is a constant in stmt_sql[]
 * (or, for campaign lists, assembled from constant fragments), prepared on
 * first use with SQLITE_PREPARE_PERSISTENT and kept for the connection's
 * life; a use is a "lease" (g_autoptr (CsStmtLease)) that resets the
 * statement and clears its bindings when it goes out of scope.  Values are
 * always bound, never spliced into SQL.
 *
 * Each public operation is one transaction: BEGIN IMMEDIATE for writes (the
 * write lock is taken up front, so a transaction never fails half-way on a
 * lock upgrade), a deferred BEGIN for multi-statement reads (one snapshot).
 * Conflicts are decided inside the write transaction by conditional UPDATEs
 * ("... WHERE id = ? AND status IN (allowed)") and constraints; when a
 * conditional UPDATE changes nothing, the row is looked at in the same
 * transaction to tell NOT_FOUND from CONFLICT.
 *
 * Change sequence (for /sync): every write that changes a campaign or its
 * tiers increments change_counter (UPDATE ... RETURNING value) and stores
 * the value in campaigns.change_seq, or in tombstones.seq for a deletion.
 */
#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "cs-store-sqlite-private.h"
#include "cs-server-resources.h"

/* Types */

typedef struct {
  int         version;
  const char *resource;
} Migration;

/* Append a migration here and to cs-server.gresource.xml; never edit one
 * that has shipped. */
static const Migration migrations[] = {
  { 1, "/io/github/crowdspark/server/sqlite/001-initial.sql" },
  { 2, "/io/github/crowdspark/server/sqlite/002-money.sql" },
  { 3, "/io/github/crowdspark/server/sqlite/003-trust.sql" },
};

#define LATEST_VERSION (migrations[G_N_ELEMENTS (migrations) - 1].version)

typedef struct {
  CsStore  parent;
  char    *path;
  GMutex   write_lock;   /* one writer at a time within this process: see sq_txn_begin() */
} CsSqliteStore;

typedef enum {
  ST_BEGIN,
  ST_BEGIN_IMMEDIATE,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_USER_VERSION,
  ST_PING,
  ST_BUMP_SEQ,
  ST_COUNTER_GET,

  ST_USER_INSERT,
  ST_USER_GET,
  ST_USER_BY_EMAIL,
  ST_USER_BY_USERNAME,
  ST_USER_TAKEN,
  ST_USER_UPDATE,

  ST_SESSION_INSERT,
  ST_REFRESH_INSERT,
  ST_SESSION_LOOKUP,
  ST_SESSION_INFO,
  ST_REFRESH_FIND,
  ST_REFRESH_SPEND,
  ST_SESSION_ROTATE,
  ST_SESSION_REVOKE,

  ST_RATE_HIT,
  ST_RATE_PEEK,
  ST_RATE_CLEAR,

  ST_CATEGORIES,
  ST_CATEGORY_EXISTS,

  ST_CAMPAIGN_INSERT,
  ST_CAMPAIGN_GET,
  ST_CAMPAIGN_STATUS,
  ST_CREATOR_KYC,
  ST_CAMPAIGN_VERSION,
  ST_CREATOR_CAMPAIGNS_BUMP,
  ST_CAMPAIGN_EXISTS,
  ST_CAMPAIGN_UPDATE,
  ST_CAMPAIGN_TRANSITION,
  ST_CAMPAIGN_SET_IMAGE,
  ST_CAMPAIGN_TOUCH,

  ST_TIERS_OF,
  ST_TIER_INSERT,
  ST_TIER_GET,
  ST_TIER_UPDATE,
  ST_TIER_DELETE,
  ST_TOMBSTONE_INSERT,

  ST_AUDIT_INSERT,
  ST_AUDIT_LIST,
  ST_AUDIT_LIST_AFTER,

  ST_UPDATE_INSERT,
  ST_UPDATE_LIST,
  ST_UPDATE_LIST_AFTER,
  ST_IS_BACKER,

  ST_DASH_CREATED,
  ST_DASH_BACKED,

  ST_SYNC_CAMPAIGNS,
  ST_SYNC_TOMBSTONES,

  ST_TRENDING,
  ST_PURGE_RATE_LIMITS,
  ST_PURGE_REFRESH_TOKENS,
  ST_PURGE_SESSIONS,
  ST_PURGE_IDEMPOTENCY,
  ST_MATCH_COUNT,


  N_STATEMENTS
} StmtId;


/* SQL */

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

#define ACTIVE_PLEDGE "('pending', 'authorized', 'collected', 'capture_failed')"

/* ",draft,rejected," style sets are matched with instr(): one statement for
 * any set of allowed statuses. */
#define STATUS_IN(set_param) "instr (" set_param ", ',' || status || ',') > 0"

static const char *const stmt_sql[N_STATEMENTS] = {
  [ST_BEGIN] = "BEGIN",
  [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
  [ST_COMMIT] = "COMMIT",
  [ST_ROLLBACK] = "ROLLBACK",
  [ST_USER_VERSION] = "PRAGMA user_version",
  [ST_PING] = "SELECT 1",
  [ST_BUMP_SEQ] = "UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value",
  [ST_COUNTER_GET] = "SELECT value FROM change_counter WHERE id = 1",

  [ST_USER_INSERT] =
    "INSERT INTO users (id, email, username, display_name, bio, role, suspended, password_hash, "
    "                   created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
  [ST_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
  [ST_USER_BY_EMAIL] = "SELECT " USER_COLS ", password_hash FROM users WHERE email = ?1",
  [ST_USER_BY_USERNAME] =
    "SELECT " USER_COLS ", password_hash FROM users WHERE lower (username) = lower (?1)",
  [ST_USER_TAKEN] =
    "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1 AND id <> ?3), "
    "       EXISTS (SELECT 1 FROM users WHERE lower (username) = lower (?2) AND id <> ?3)",
  [ST_USER_UPDATE] =
    "UPDATE users SET email = coalesce (?2, email), username = coalesce (?3, username), "
    "  display_name = coalesce (?4, display_name), "
    "  bio = CASE WHEN ?5 THEN ?6 ELSE bio END, "
    "  password_hash = coalesce (?7, password_hash), "
    "  role = CASE WHEN ?8 THEN ?9 ELSE role END, updated_at = ?10 "
    "WHERE id = ?1",

  [ST_SESSION_INSERT] =
    "INSERT INTO sessions (id, user_id, access_hash, access_expires, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_REFRESH_INSERT] =
    "INSERT INTO refresh_tokens (hash, session_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
  [ST_SESSION_LOOKUP] =
    "SELECT s.id, s.user_id, u.role, u.suspended FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.access_hash = ?1 AND s.access_expires > ?2 AND s.revoked_at IS NULL",
  [ST_SESSION_INFO] =
    "SELECT s.id, s.user_id, u.role, u.suspended FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.id = ?1",
  [ST_REFRESH_FIND] =
    "SELECT r.session_id, r.expires_at, r.used_at, s.revoked_at "
    "FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.hash = ?1",
  [ST_REFRESH_SPEND] = "UPDATE refresh_tokens SET used_at = ?2 WHERE hash = ?1 AND used_at IS NULL",
  [ST_SESSION_ROTATE] =
    "UPDATE sessions SET access_hash = ?2, access_expires = ?3 WHERE id = ?1 AND revoked_at IS NULL",
  [ST_SESSION_REVOKE] = "UPDATE sessions SET revoked_at = coalesce (revoked_at, ?2) WHERE id = ?1",

  /* In an upsert's SET, bare column names are the stored row's values. */
  [ST_RATE_HIT] =
    "INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1) "
    "ON CONFLICT (key) DO UPDATE SET "
    "  window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END, "
    "  count = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE count + 1 END "
    "RETURNING window_start, count",
  [ST_RATE_PEEK] = "SELECT window_start, count FROM rate_limits WHERE key = ?1",
  [ST_RATE_CLEAR] = "DELETE FROM rate_limits WHERE key = ?1",

  [ST_CATEGORIES] =
    "SELECT k.slug, k.name, "
    "  (SELECT count(*) FROM campaigns c WHERE c.category = k.slug AND c.status = 'live') "
    "FROM categories k ORDER BY k.position, k.slug",
  [ST_CATEGORY_EXISTS] = "SELECT 1 FROM categories WHERE slug = ?1",

  [ST_CAMPAIGN_INSERT] =
    "INSERT INTO campaigns (id, creator_id, title, description, category, goal_amount, currency, "
    "                       duration_days, image_url, created_at, updated_at, change_seq) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
  /* The campaign with its tiers in one statement (one row per tier, the
   * campaign's columns repeated): one snapshot without BEGIN/COMMIT. */
  [ST_CAMPAIGN_GET] =
    "SELECT " CAMPAIGN_COLS ", " TIER_COLS_T " FROM " CAMPAIGN_FROM " "
    "LEFT JOIN reward_tiers t ON t.campaign_id = c.id WHERE c.id = ?1 "
    "ORDER BY t.position, t.rowid",
  [ST_CAMPAIGN_STATUS] = "SELECT status FROM campaigns WHERE id = ?1",
  [ST_CREATOR_KYC] =
    "SELECT u.kyc_status FROM campaigns c JOIN users u ON u.id = c.creator_id WHERE c.id = ?1",
  [ST_CAMPAIGN_VERSION] = "SELECT change_seq, published_at, creator_id FROM campaigns WHERE id = ?1",
  [ST_CREATOR_CAMPAIGNS_BUMP] = "UPDATE campaigns SET change_seq = ?2 WHERE creator_id = ?1",
  [ST_CAMPAIGN_EXISTS] = "SELECT 1 FROM campaigns WHERE id = ?1",
  [ST_CAMPAIGN_UPDATE] =
    "UPDATE campaigns SET "
    "  title = CASE WHEN ?3 THEN ?4 ELSE title END, "
    "  description = CASE WHEN ?5 THEN ?6 ELSE description END, "
    "  category = CASE WHEN ?7 THEN ?8 ELSE category END, "
    "  goal_amount = CASE WHEN ?9 THEN ?10 ELSE goal_amount END, "
    "  currency = CASE WHEN ?11 THEN ?12 ELSE currency END, "
    "  duration_days = CASE WHEN ?13 THEN ?14 ELSE duration_days END, "
    "  image_url = CASE WHEN ?15 THEN ?16 ELSE image_url END, "
    "  updated_at = ?17, change_seq = ?18 "
    "WHERE id = ?1 AND " STATUS_IN ("?2"),
  /* ?4: approve (start the clock, publish); ?5: 1 set rejection_reason, 2 clear it. */
  [ST_CAMPAIGN_TRANSITION] =
    "UPDATE campaigns SET status = ?3, "
    "  start_date = CASE WHEN ?4 THEN ?6 ELSE start_date END, "
    "  end_date = CASE WHEN ?4 THEN ?6 + duration_days * 86400 ELSE end_date END, "
    "  published_at = CASE WHEN ?4 THEN coalesce (published_at, ?6) ELSE published_at END, "
    "  rejection_reason = CASE ?5 WHEN 1 THEN ?7 WHEN 2 THEN NULL ELSE rejection_reason END, "
    "  updated_at = ?6, change_seq = ?8 "
    "WHERE id = ?1 AND " STATUS_IN ("?2"),
  [ST_CAMPAIGN_SET_IMAGE] =
    "UPDATE campaigns SET image_url = ?3, updated_at = ?4, change_seq = ?5 "
    "WHERE id = ?1 AND " STATUS_IN ("?2"),
  [ST_CAMPAIGN_TOUCH] =
    "UPDATE campaigns SET updated_at = ?3, change_seq = ?4 WHERE id = ?1 AND " STATUS_IN ("?2") " "
    /* Not "published_at IS NOT NULL": SQLite 3.40.1 evaluates IS [NOT] NULL
     * wrongly in RETURNING (it answered 1 for a NULL). */
    "RETURNING creator_id, published_at",

  [ST_TIERS_OF] =
    "SELECT " TIER_COLS " FROM reward_tiers WHERE campaign_id = ?1 ORDER BY position, rowid",
  [ST_TIER_INSERT] =
    "INSERT INTO reward_tiers (id, campaign_id, title, description, minimum_pledge, "
    "  estimated_delivery_date, quantity_available, quantity_claimed, position, created_at, "
    "  updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, "
    "  coalesce ((SELECT max (position) + 1 FROM reward_tiers WHERE campaign_id = ?2), 0), ?8, ?8) "
    "RETURNING " TIER_COLS,
  [ST_TIER_GET] = "SELECT " TIER_COLS " FROM reward_tiers WHERE id = ?1 AND campaign_id = ?2",
  [ST_TIER_UPDATE] =
    "UPDATE reward_tiers SET "
    "  title = CASE WHEN ?3 THEN ?4 ELSE title END, "
    "  description = CASE WHEN ?5 THEN ?6 ELSE description END, "
    "  minimum_pledge = CASE WHEN ?7 THEN ?8 ELSE minimum_pledge END, "
    "  estimated_delivery_date = CASE WHEN ?9 THEN ?10 ELSE estimated_delivery_date END, "
    "  quantity_available = CASE WHEN ?11 THEN ?12 ELSE quantity_available END, "
    "  updated_at = ?13 "
    "WHERE id = ?1 AND campaign_id = ?2 AND (NOT ?11 OR ?12 IS NULL OR ?12 >= quantity_claimed) "
    "RETURNING " TIER_COLS,
  [ST_TIER_DELETE] =
    "DELETE FROM reward_tiers WHERE id = ?1 AND campaign_id = ?2 AND quantity_claimed = 0 "
    "  AND NOT EXISTS (SELECT 1 FROM pledges WHERE reward_tier_id = ?1)",
  [ST_TOMBSTONE_INSERT] =
    "INSERT INTO tombstones (seq, type, id, campaign_id, deleted_at, creator_id, published) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",

  [ST_AUDIT_INSERT] =
    "INSERT INTO audit_log (id, actor_id, action, subject_type, subject_id, reason, detail, "
    "                       created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
  [ST_AUDIT_LIST] =
    "SELECT id, actor_id, action, subject_type, subject_id, reason, detail, created_at, rowid "
    "FROM audit_log ORDER BY created_at DESC, rowid DESC LIMIT ?1",
  [ST_AUDIT_LIST_AFTER] =
    "SELECT id, actor_id, action, subject_type, subject_id, reason, detail, created_at, rowid "
    "FROM audit_log WHERE (created_at, rowid) < (?2, ?3) ORDER BY created_at DESC, rowid DESC "
    "LIMIT ?1",

  [ST_UPDATE_INSERT] =
    "INSERT INTO updates (id, campaign_id, author_id, title, content, visibility, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  [ST_UPDATE_LIST] =
    "SELECT id, campaign_id, author_id, title, content, visibility, created_at, rowid "
    "FROM updates WHERE campaign_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2",
  [ST_UPDATE_LIST_AFTER] =
    "SELECT id, campaign_id, author_id, title, content, visibility, created_at, rowid "
    "FROM updates WHERE campaign_id = ?1 AND (created_at, rowid) < (?3, ?4) "
    "ORDER BY created_at DESC, rowid DESC LIMIT ?2",
  [ST_IS_BACKER] =
    "SELECT EXISTS (SELECT 1 FROM pledges WHERE campaign_id = ?1 AND backer_id = ?2 "
    "               AND status IN " ACTIVE_PLEDGE ")",

  [ST_DASH_CREATED] =
    "SELECT " CAMPAIGN_SUMMARY_COLS " FROM " CAMPAIGN_FROM " WHERE c.creator_id = ?1 "
    "ORDER BY c.created_at DESC, c.rowid DESC",
  [ST_DASH_BACKED] =
    "SELECT " CAMPAIGN_SUMMARY_COLS ", p.id, p.amount, p.currency, p.status, p.reward_tier_id, "
    "  t.title, p.created_at "
    "FROM pledges p JOIN campaigns c ON c.id = p.campaign_id JOIN users u ON u.id = c.creator_id "
    "  LEFT JOIN reward_tiers t ON t.id = p.reward_tier_id "
    "WHERE p.backer_id = ?1 AND p.status <> 'cancelled' "
    "ORDER BY p.created_at DESC, p.id DESC",

  [ST_SYNC_CAMPAIGNS] =
    "SELECT " CAMPAIGN_COLS " FROM " CAMPAIGN_FROM " "
    "WHERE c.change_seq > ?1 AND (c.published_at IS NOT NULL OR c.creator_id = ?2 OR ?3) "
    "ORDER BY c.change_seq LIMIT ?4",
  [ST_SYNC_TOMBSTONES] =
    "SELECT type, id, campaign_id, deleted_at FROM tombstones "
    "WHERE seq > ?1 AND seq <= ?2 AND (published OR creator_id = ?3 OR ?4) ORDER BY seq",

  /* Only campaigns that have a score or recent pledges are looked at (not
   * all of them: this holds the write lock). */
  [ST_PURGE_RATE_LIMITS] = "DELETE FROM rate_limits WHERE window_start < ?1 - 86400",
  [ST_PURGE_REFRESH_TOKENS] = "DELETE FROM refresh_tokens WHERE expires_at < ?1 - 86400",
  [ST_PURGE_SESSIONS] =
    "DELETE FROM sessions WHERE revoked_at < ?1 - 86400 "
    "   OR (access_expires < ?1 - 86400 "
    "       AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.session_id = sessions.id))",
  /* Idempotency-Keys are promised for 24 hours; kept for 48. */
  [ST_PURGE_IDEMPOTENCY] = "DELETE FROM idempotency_keys WHERE created_at < ?1 - 172800",
  [ST_TRENDING] =
    "WITH recent (campaign_id, n) AS ("
    "  SELECT campaign_id, count(*) FROM pledges "
    "  WHERE created_at >= ?1 - 604800 AND created_at < ?1 "
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
    "WHERE campaigns.rowid = scores.r AND campaigns.trend_score <> scores.n",
  [ST_MATCH_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM campaigns_fts (?1) LIMIT ?2)",
};

/* Errors */

/* For a statement that failed with @rc: BUSY/LOCKED after the busy timeout
 * → UNAVAILABLE; a foreign key → NOT_FOUND; a CHECK or NOT NULL constraint
 * (a value that got past validation) → INVALID; anything else is logged and
 * becomes INTERNAL.  Values are never logged (they may be secrets). */
gboolean
sq_db_fail (CsSqliteConn *c, int rc, GError **error)
{
  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE,
                           "The database is busy, please try again");
      return FALSE;
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        {
          g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND,
                               "Something this refers to does not exist");
          return FALSE;
        }
      if (rc == SQLITE_CONSTRAINT_CHECK || rc == SQLITE_CONSTRAINT_NOTNULL)
        {
          g_info ("store: constraint failed: %s", sqlite3_errmsg (c->db));
          g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                               "A value is missing or out of range");
          return FALSE;
        }
      break;
    default:
      break;
    }
  g_warning ("store: SQLite error %d: %s", rc, sqlite3_errmsg (c->db));
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Internal database error");
  return FALSE;
}

void
sq_set_not_found (GError **error, const char *what)
{
  g_set_error (error, CS_ERROR, CS_ERROR_NOT_FOUND, "%s not found", what);
}

/* Statements */

sqlite3_stmt *
sq_prepare (CsSqliteConn *c, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v3 (c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);

  if (rc != SQLITE_OK)
    {
      sq_db_fail (c, rc, error);
      sqlite3_finalize (st);
      return NULL;
    }
  return st;
}

/* The cached statement @id, prepared on first use. */
static inline CsStmtLease *
stmt (CsSqliteConn *c, StmtId id, GError **error)
{
  if (G_UNLIKELY (c->stmts[id] == NULL))
    c->stmts[id] = sq_prepare (c, stmt_sql[id], error);
  return c->stmts[id];
}

/* A statement whose SQL is a string constant, cached by the constant's
 * address (for the backend's other files, which have no StmtId). */
CsStmtLease *
sq_stmt_static (CsSqliteConn *c, const char *sql, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup (c->statics, sql);

  if (st != NULL)
    return st;
  st = sq_prepare (c, sql, error);
  if (st != NULL)
    g_hash_table_insert (c->statics, (gpointer) sql, st);
  return st;
}

/* A statement assembled from fixed fragments, cached by its text. */
CsStmtLease *
sq_shape_stmt (CsSqliteConn *c, const char *sql, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup (c->shapes, sql);

  if (st != NULL)
    return st;
  /* The number of shapes is bounded, but keep the cache small anyway. */
  if (g_hash_table_size (c->shapes) >= 64)
    g_hash_table_remove_all (c->shapes);
  st = sq_prepare (c, sql, error);
  if (st != NULL)
    g_hash_table_insert (c->shapes, g_strdup (sql), st);
  return st;
}

/* Binds by name, if the statement has that parameter. */
void
sq_bind_named_text (sqlite3_stmt *st, const char *name, const char *value)
{
  int i = sqlite3_bind_parameter_index (st, name);

  if (i > 0)
    sq_bind_text (st, i, value);
}

void
sq_bind_named_int (sqlite3_stmt *st, const char *name, gint64 value)
{
  int i = sqlite3_bind_parameter_index (st, name);

  if (i > 0)
    sq_bind_int (st, i, value);
}

/* Runs a statement that returns no rows. */
static gboolean
run (CsSqliteConn *c, StmtId id, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, id, error);
  int rc;

  if (st == NULL)
    return FALSE;
  rc = sqlite3_step (st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  return TRUE;
}

/* Steps @st, a statement that returns no rows, to its end. */
gboolean
sq_step_done (CsSqliteConn *c, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step (st);

  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  return TRUE;
}

/* Steps @st to its row: NOT_FOUND naming @what if it has none. */
gboolean
sq_step_found (CsSqliteConn *c, sqlite3_stmt *st, const char *what, GError **error)
{
  int rc = sqlite3_step (st);

  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  sq_set_not_found (error, what);
  return FALSE;
}

/* Runs the cached statement @id with ?1 = @now. */
static gboolean
run_at (CsSqliteConn *c, StmtId id, gint64 now, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, id, error);

  if (st == NULL)
    return FALSE;
  sq_bind_int (st, 1, now);
  return sq_step_done (c, st, error);
}

/* Transactions */

/* SQLite lets one writer in at a time; the others wait in its busy
 * handler, which sleeps in steps of up to 100 ms and so turns contention
 * into latency (a pledge storm's p99 was 90 ms).  Writers of this process
 * queue on a mutex first, which wakes the next one the moment a commit is
 * done; the busy handler is then only met by other processes. */
gboolean
sq_txn_begin (CsSqliteConn *c, gboolean write, GError **error)
{
  CsSqliteStore *store = (CsSqliteStore *) c->parent.store;

  if (!write)
    return run (c, ST_BEGIN, error);
  g_mutex_lock (&store->write_lock);
  c->holds_write_lock = TRUE;
  if (run (c, ST_BEGIN_IMMEDIATE, error))
    return TRUE;
  c->holds_write_lock = FALSE;
  g_mutex_unlock (&store->write_lock);
  return FALSE;
}

static void
release_write_lock (CsSqliteConn *c)
{
  if (c->holds_write_lock)
    {
      c->holds_write_lock = FALSE;
      g_mutex_unlock (&((CsSqliteStore *) c->parent.store)->write_lock);
    }
}

/* Commits if @ok, else (or if the commit fails) rolls back.  Returns
 * whether the transaction committed. */
gboolean
sq_txn_end (CsSqliteConn *c, gboolean ok, GError **error)
{
  if (ok && run (c, ST_COMMIT, error))
    {
      release_write_lock (c);
      return TRUE;
    }
  /* Some errors (SQLITE_FULL, IOERR, ...) have already rolled back. */
  if (!sqlite3_get_autocommit (c->db))
    run (c, ST_ROLLBACK, NULL);
  release_write_lock (c);
  return FALSE;
}

/* sq_txn_end() for a transaction that produced @result (NULL if it failed):
 * returns @result if the transaction committed, else frees it. */
gpointer
sq_txn_end_with (CsSqliteConn *c, gpointer result, GDestroyNotify free_func, GError **error)
{
  if (!sq_txn_end (c, result != NULL, error))
    {
      g_clear_pointer (&result, free_func);
      return NULL;
    }
  return result;
}

/* The next change sequence value (inside a write transaction). */
gboolean
sq_bump_seq (CsSqliteConn *c, gint64 *seq, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_BUMP_SEQ, error);
  int rc;

  if (st == NULL)
    return FALSE;
  rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  *seq = sq_col_int (st, 0);
  return TRUE;
}

/* Rows */

static CsUser *
user_from_row (sqlite3_stmt *st)
{
  CsUser *user = cs_user_new ();

  user->id = sq_col_dup (st, 0);
  user->email = sq_col_dup (st, 1);
  user->username = sq_col_dup (st, 2);
  user->display_name = sq_col_dup (st, 3);
  user->bio = sq_col_dup (st, 4);
  if (!cs_role_from_string (sq_col_text (st, 5), &user->role))
    user->role = CS_ROLE_BACKER;
  user->suspended = sq_col_int (st, 6) != 0;
  user->created_at = sq_col_int (st, 7);
  user->updated_at = sq_col_int (st, 8);
  return user;
}

/* TIER_COLS from column @i on. */
static CsRewardTier *
tier_from_row_at (sqlite3_stmt *st, int i)
{
  CsRewardTier *tier = cs_reward_tier_new ();

  tier->id = sq_col_dup (st, i + 0);
  tier->campaign_id = sq_col_dup (st, i + 1);
  tier->title = sq_col_dup (st, i + 2);
  tier->description = sq_col_dup (st, i + 3);
  if (tier->description == NULL)
    tier->description = g_strdup ("");
  tier->minimum_pledge = sq_col_int (st, i + 4);
  tier->estimated_delivery_date = sq_col_dup (st, i + 5);
  tier->quantity_available = sqlite3_column_type (st, i + 6) == SQLITE_NULL ? -1 : sq_col_int (st, i + 6);
  tier->quantity_claimed = sq_col_int (st, i + 7);
  tier->position = (gint) sq_col_int (st, i + 8);
  tier->created_at = sq_col_int (st, i + 9);
  tier->updated_at = sq_col_int (st, i + 10);
  return tier;
}

static CsRewardTier *
tier_from_row (sqlite3_stmt *st)
{
  return tier_from_row_at (st, 0);
}

static CsCampaign *
campaign_from_row (sqlite3_stmt *st)
{
  CsCampaign *campaign = cs_campaign_new ();
  const char *currency = sq_col_text (st, CC_CURRENCY);

  campaign->id = sq_col_dup (st, CC_ID);
  campaign->creator_id = sq_col_dup (st, CC_CREATOR_ID);
  campaign->creator.id = sq_col_dup (st, CC_CREATOR_ID);
  campaign->creator.username = sq_col_dup (st, CC_USERNAME);
  campaign->creator.display_name = sq_col_dup (st, CC_DISPLAY_NAME);
  campaign->title = sq_col_dup (st, CC_TITLE);
  campaign->description = sq_col_dup (st, CC_DESCRIPTION);
  campaign->category = sq_col_dup (st, CC_CATEGORY);
  campaign->goal_amount = sq_col_int (st, CC_GOAL);
  campaign->current_amount = sq_col_int (st, CC_CURRENT);
  g_strlcpy (campaign->currency, currency != NULL ? currency : "", sizeof campaign->currency);
  campaign->backer_count = sq_col_int (st, CC_BACKERS);
  if (!cs_campaign_status_from_string (sq_col_text (st, CC_STATUS), &campaign->status))
    campaign->status = CS_CAMPAIGN_DRAFT;
  campaign->duration_days = (gint) sq_col_int (st, CC_DURATION);
  campaign->start_date = sq_col_int (st, CC_START);
  campaign->end_date = sq_col_int (st, CC_END);
  campaign->image_url = sq_col_dup (st, CC_IMAGE);
  campaign->rejection_reason = sq_col_dup (st, CC_REJECTION);
  campaign->created_at = sq_col_int (st, CC_CREATED);
  campaign->updated_at = sq_col_int (st, CC_UPDATED);
  campaign->published_at = sq_col_int (st, CC_PUBLISHED);
  return campaign;
}

static CsUpdate *
update_from_row (sqlite3_stmt *st)
{
  CsUpdate *update = cs_update_new ();

  update->id = sq_col_dup (st, 0);
  update->campaign_id = sq_col_dup (st, 1);
  update->author_id = sq_col_dup (st, 2);
  update->title = sq_col_dup (st, 3);
  update->content = sq_col_dup (st, 4);
  /* Anything unexpected is treated as the more private choice. */
  update->visibility = g_strcmp0 (sq_col_text (st, 5), "public") == 0 ? CS_UPDATE_PUBLIC
                                                                   : CS_UPDATE_BACKERS_ONLY;
  update->created_at = sq_col_int (st, 6);
  return update;
}

static CsAuditEntry *
audit_from_row (sqlite3_stmt *st)
{
  CsAuditEntry *entry = g_new0 (CsAuditEntry, 1);

  entry->id = sq_col_dup (st, 0);
  entry->actor_id = sq_col_dup (st, 1);
  entry->action = sq_col_dup (st, 2);
  entry->subject_type = sq_col_dup (st, 3);
  entry->subject_id = sq_col_dup (st, 4);
  entry->reason = sq_col_dup (st, 5);
  entry->detail = sq_col_dup (st, 6);
  entry->created_at = sq_col_int (st, 7);
  return entry;
}

static void
session_info_from_row (sqlite3_stmt *st, CsSessionInfo *out)
{
  out->session_id = sq_col_dup (st, 0);
  out->user_id = sq_col_dup (st, 1);
  if (!cs_role_from_string (sq_col_text (st, 2), &out->role))
    out->role = CS_ROLE_BACKER;
  out->suspended = sq_col_int (st, 3) != 0;
}

/* ",draft,rejected," for STATUS_IN(). */
static const char *
status_set_text (CsCampaignStatusSet set, char *buf, gsize size)
{
  g_strlcpy (buf, ",", size);
  for (int s = 0; s < CS_CAMPAIGN_N_STATUSES; s++)
    if (set & CS_STATUS_BIT (s))
      {
        g_strlcat (buf, cs_campaign_status_to_string ((CsCampaignStatus) s), size);
        g_strlcat (buf, ",", size);
      }
  return buf;
}

/* Loading */

static gboolean
load_tiers (CsSqliteConn *c, CsCampaign *campaign, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_TIERS_OF, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, campaign->id);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (campaign->rewards, tier_from_row (st));
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  return TRUE;
}

/* The campaign with creator and tiers: one statement, so one snapshot even
 * outside a transaction. */
CsCampaign *
sq_load_campaign (CsSqliteConn *c, const char *campaign_id, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_GET, error);
  g_autoptr(CsCampaign) campaign = NULL;
  int rc;

  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, campaign_id);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      if (campaign == NULL)
        campaign = campaign_from_row (st);
      if (sqlite3_column_type (st, CC_N) != SQLITE_NULL)   /* a campaign without tiers */
        g_ptr_array_add (campaign->rewards, tier_from_row_at (st, CC_N));
    }
  if (rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  if (campaign == NULL)
    {
      sq_set_not_found (error, "Campaign");
      return NULL;
    }
  return g_steal_pointer (&campaign);
}

/* Reads the rows of @st as campaign summaries into @out. */
static gboolean
collect_campaigns (CsSqliteConn *c, sqlite3_stmt *st, GPtrArray *out, GError **error)
{
  int rc;

  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (out, campaign_from_row (st));
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  return TRUE;
}

/* Why a conditional campaign UPDATE changed nothing. */
typedef enum {
  REFUSED_EDIT,
  REFUSED_IMAGE,
  REFUSED_TIER_ADD,
  REFUSED_TIER_CHANGE,
} Refusal;

/* Sets NOT_FOUND if the campaign is absent, else CONFLICT naming its status.
 * Called inside the transaction whose conditional UPDATE found no row. */
static gboolean
campaign_refused (CsSqliteConn *c, const char *campaign_id, Refusal refusal, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_STATUS, error);
  CsCampaignStatus status = CS_CAMPAIGN_DRAFT;
  const char *label;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, campaign_id);
  if (!sq_step_found (c, st, "Campaign", error))
    return FALSE;
  cs_campaign_status_from_string (sq_col_text (st, 0), &status);
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

/* After a conditional campaign UPDATE stepped to @rc: the campaign as
 * stored, or why the UPDATE changed nothing. */
static CsCampaign *
campaign_updated (CsSqliteConn *c, int rc, const char *campaign_id, Refusal refusal,
                  GError **error)
{
  if (rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  if (sqlite3_changes (c->db) == 0)
    {
      campaign_refused (c, campaign_id, refusal, error);
      return NULL;
    }
  return sq_load_campaign (c, campaign_id, error);
}

/* Connection lifecycle */

static gboolean
exec_sql (sqlite3 *db, const char *sql, GError **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        g_set_error (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "The database is busy: %s",
                     message ? message : sqlite3_errstr (rc));
      else
        g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "Database error: %s",
                     message ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_user_version (sqlite3 *db, int *version, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &st, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, CS_ERROR, (rc & 0xff) == SQLITE_BUSY ? CS_ERROR_UNAVAILABLE : CS_ERROR_INTERNAL,
                   "Cannot read the database schema version: %s", sqlite3_errmsg (db));
      sqlite3_finalize (st);
      return FALSE;
    }
  *version = sqlite3_column_int (st, 0);
  sqlite3_finalize (st);
  return TRUE;
}

static gboolean
check_version_known (int version, GError **error)
{
  if (version > LATEST_VERSION)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL,
                   "The database schema is version %d, newer than this crowdspark-server knows "
                   "(%d): it was migrated by a newer release; upgrade crowdspark-server",
                   version, LATEST_VERSION);
      return FALSE;
    }
  return TRUE;
}

/* Opens a handle with the per-connection settings. */
static sqlite3 *
open_db (const char *path, GError **error)
{
  /* A plain absolute path: no SQLITE_OPEN_URI, so a path is never read as
   * a "file:" URI with options. */
  static const char pragmas[] =
    "PRAGMA synchronous = NORMAL;"
    "PRAGMA foreign_keys = ON;"
    "PRAGMA cache_size = -16000;"
    "PRAGMA temp_store = MEMORY;"
    "PRAGMA mmap_size = 268435456;"
    /* The server's job thread checkpoints every second
     * (cs_store_checkpoint); a commit runs one itself only past ~40 MiB
     * of log instead of SQLite's 4 MiB, so a burst of small write
     * transactions (a pledge storm) rarely pays for one.  Measured: 0
     * (never) lets the log grow past a gigabyte under a storm. */
    "PRAGMA wal_autocheckpoint = 10000;";
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
              SQLITE_OPEN_EXRESCODE;
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db, flags, NULL);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "Cannot open the database %s: %s",
                   path, db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
      sqlite3_close_v2 (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);
  if (!exec_sql (db, pragmas, error))
    {
      sqlite3_close_v2 (db);
      return NULL;
    }
  return db;
}

static gboolean
apply_migration (sqlite3 *db, const Migration *m, GError **error)
{
  g_autoptr(GBytes) script = NULL;
  g_autofree char *set_version = NULL;
  g_autoptr(GError) local = NULL;
  int version;

  script = g_resource_lookup_data (cs_server_get_resource (), m->resource,
                                   G_RESOURCE_LOOKUP_FLAGS_NONE, &local);
  if (script == NULL)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "Migration %s is missing: %s",
                   m->resource, local->message);
      return FALSE;
    }

  if (!exec_sql (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  /* Another process may have migrated while we waited for the lock. */
  if (!read_user_version (db, &version, error))
    goto fail;
  if (version >= m->version)
    return exec_sql (db, "COMMIT", error);

  /* GResource data is always NUL-terminated. */
  if (!exec_sql (db, g_bytes_get_data (script, NULL), error))
    {
      g_prefix_error (error, "Migration %d failed: ", m->version);
      goto fail;
    }
  set_version = g_strdup_printf ("PRAGMA user_version = %d", m->version);
  if (!exec_sql (db, set_version, error) || !exec_sql (db, "COMMIT", error))
    goto fail;
  g_message ("store: database migrated to schema version %d", m->version);
  return TRUE;

fail:
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static gboolean
migrate (sqlite3 *db, int *version_out, GError **error)
{
  int version;

  if (!read_user_version (db, &version, error) || !check_version_known (version, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (migrations); i++)
    {
      if (migrations[i].version <= version)
        continue;
      if (!apply_migration (db, &migrations[i], error))
        return FALSE;
    }
  if (!read_user_version (db, &version, error) || !check_version_known (version, error))
    return FALSE;
  *version_out = version;
  return TRUE;
}

static CsStore *
sqlite_open (const char *url, const char *location, GError **error)
{
  g_autofree CsSqliteStore *store = NULL;
  sqlite3 *db;
  sqlite3_stmt *st = NULL;
  int version = 0;
  gboolean ok;

  if (!sqlite3_threadsafe ())
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL,
                           "This SQLite library was built without thread support");
      return NULL;
    }

  db = open_db (location, error);
  if (db == NULL)
    return NULL;

  /* Refuse a future schema before touching the file in any way. */
  ok = read_user_version (db, &version, error) && check_version_known (version, error);

  /* WAL is a property of the file: set it once, here. */
  if (ok && sqlite3_prepare_v2 (db, "PRAGMA journal_mode = WAL", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step (st) == SQLITE_ROW)
    {
      const char *mode = (const char *) sqlite3_column_text (st, 0);

      if (g_ascii_strcasecmp (mode != NULL ? mode : "", "wal") != 0)
        g_warning ("store: %s is not in WAL mode (%s): readers will block writers",
                   location, mode != NULL ? mode : "unknown");
    }
  sqlite3_finalize (st);

  ok = ok && migrate (db, &version, error);
  sqlite3_close_v2 (db);
  if (!ok)
    return NULL;

  store = g_new0 (CsSqliteStore, 1);
  store->parent.backend = &cs_store_sqlite_backend;
  store->parent.schema_version = version;
  store->path = g_strdup (location);
  g_mutex_init (&store->write_lock);
  return (CsStore *) g_steal_pointer (&store);
}

static void
sqlite_free (CsStore *store)
{
  CsSqliteStore *self = (CsSqliteStore *) store;

  g_mutex_clear (&self->write_lock);
  g_free (self->path);
  g_free (self);
}

static void
sqlite_conn_free (CsStoreConn *conn)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  g_clear_pointer (&c->shapes, g_hash_table_unref);
  for (int i = 0; c->stmts != NULL && i < N_STATEMENTS; i++)
    sqlite3_finalize (c->stmts[i]);
  g_free (c->stmts);
  g_clear_pointer (&c->statics, g_hash_table_unref);
  /* SQLite's advice for long-lived connections: refresh the planner's
   * statistics where they are stale, with a bounded effort. */
  if (c->db != NULL)
    sqlite3_exec (c->db, "PRAGMA analysis_limit = 400; PRAGMA optimize;", NULL, NULL, NULL);
  sqlite3_close_v2 (c->db);
  g_free (c);
}

static void
finalize_stmt (gpointer st)
{
  sqlite3_finalize (st);
}

static CsStoreConn *
sqlite_connect (CsStore *store, GError **error)
{
  CsSqliteStore *self = (CsSqliteStore *) store;
  CsSqliteConn *c;
  int version;

  c = g_new0 (CsSqliteConn, 1);
  c->parent.store = store;
  c->parent.backend = store->backend;
  c->shapes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_stmt);
  c->statics = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, finalize_stmt);
  c->stmts = g_new0 (sqlite3_stmt *, N_STATEMENTS);
  c->db = open_db (self->path, error);
  if (c->db == NULL)
    {
      sqlite_conn_free ((CsStoreConn *) c);
      return NULL;
    }
  /* Another process may have migrated the file since we opened it. */
  if (!read_user_version (c->db, &version, error) || !check_version_known (version, error))
    {
      sqlite_conn_free ((CsStoreConn *) c);
      return NULL;
    }
  if (version != store->schema_version)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL,
                   "The database schema changed from version %d to %d while open",
                   store->schema_version, version);
      sqlite_conn_free ((CsStoreConn *) c);
      return NULL;
    }
  return (CsStoreConn *) c;
}

static int
sqlite_schema_version (CsStoreConn *conn)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = stmt (c, ST_USER_VERSION, NULL);

  if (st == NULL || sqlite3_step (st) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int (st, 0);
}

static gboolean
sqlite_ping (CsStoreConn *conn, GError **error)
{
  return run ((CsSqliteConn *) conn, ST_PING, error);
}

/* Users */

/* After a UNIQUE violation on users: which of e-mail and username is taken
 * (by another user than @user_id)?  Sets CONFLICT with field errors. */
static gboolean
user_taken (CsSqliteConn *c, const char *email, const char *username, const char *user_id,
            GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_USER_TAKEN, error);
  g_autoptr(GError) local = NULL;
  gboolean email_taken, username_taken;
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, email);
  sq_bind_text (st, 2, username);
  sq_bind_text (st, 3, user_id);
  rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  email_taken = email != NULL && sq_col_int (st, 0) != 0;
  username_taken = username != NULL && sq_col_int (st, 1) != 0;

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

static gboolean
user_insert_txn (CsSqliteConn *c, const CsUser *user, const char *email,
                 const char *password_hash, GError **error)
{
  int rc;

  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_USER_INSERT, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, user->id);
    sq_bind_text (st, 2, email);
    sq_bind_text (st, 3, user->username);
    sq_bind_text (st, 4, user->display_name);
    sq_bind_text (st, 5, user->bio);
    sq_bind_text (st, 6, cs_role_to_string (user->role));
    sq_bind_int (st, 7, user->suspended ? 1 : 0);
    sq_bind_text (st, 8, password_hash);
    sq_bind_int (st, 9, user->created_at);
    rc = sqlite3_step (st);
  }
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    return user_taken (c, email, user->username, user->id, error);
  return sq_db_fail (c, rc, error);
}

static gboolean
sqlite_user_insert (CsStoreConn *conn, const CsUser *user, const char *password_hash,
                    GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autofree char *email = cs_email_normalize (user->email);
  gboolean ok;

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = user_insert_txn (c, user, email, password_hash, error);
  return sq_txn_end (c, ok, error);
}

static CsUser *
user_select (CsSqliteConn *c, StmtId id, const char *key, char **password_hash_out,
             GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, id, error);
  CsUser *user;

  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, key);
  if (!sq_step_found (c, st, "User", error))
    return NULL;
  user = user_from_row (st);
  if (password_hash_out != NULL)
    *password_hash_out = sq_col_dup (st, 9);
  return user;
}

static CsUser *
sqlite_user_get (CsStoreConn *conn, const char *user_id, GError **error)
{
  return user_select ((CsSqliteConn *) conn, ST_USER_GET, user_id, NULL, error);
}

static CsUser *
sqlite_user_get_by_login (CsStoreConn *conn, const char *login, char **password_hash_out,
                          GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (strchr (login, '@') != NULL)
    {
      g_autofree char *email = cs_email_normalize (login);

      return user_select (c, ST_USER_BY_EMAIL, email, password_hash_out, error);
    }
  return user_select (c, ST_USER_BY_USERNAME, login, password_hash_out, error);
}

static CsUser *
user_update_txn (CsSqliteConn *c, const char *user_id, const CsUserPatch *patch,
                 const char *email, gint64 now, GError **error)
{
  int rc;

  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_USER_UPDATE, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, user_id);
    sq_bind_text (st, 2, email);
    sq_bind_text (st, 3, patch->username);
    sq_bind_text (st, 4, patch->display_name);
    sq_bind_int (st, 5, patch->has_bio ? 1 : 0);
    sq_bind_text (st, 6, patch->bio);
    sq_bind_text (st, 7, patch->password_hash);
    sq_bind_int (st, 8, patch->has_role ? 1 : 0);
    sq_bind_text (st, 9, cs_role_to_string (patch->role));
    sq_bind_int (st, 10, now);
    rc = sqlite3_step (st);
  }
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      user_taken (c, email, patch->username, user_id, error);
      return NULL;
    }
  if (rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  if (sqlite3_changes (c->db) == 0)
    {
      sq_set_not_found (error, "User");
      return NULL;
    }

  /* The creator's name is part of every campaign's JSON: caches and the
   * sync feed must see those campaigns change. */
  if (patch->username != NULL || patch->display_name != NULL)
    {
      g_autoptr(CsStmtLease) st = NULL;
      gint64 seq;

      if (!sq_bump_seq (c, &seq, error))
        return NULL;
      st = stmt (c, ST_CREATOR_CAMPAIGNS_BUMP, error);
      if (st == NULL)
        return NULL;
      sq_bind_text (st, 1, user_id);
      sq_bind_int (st, 2, seq);
      if (!sq_step_done (c, st, error))
        return NULL;
    }
  return user_select (c, ST_USER_GET, user_id, NULL, error);
}

static CsUser *
sqlite_user_update (CsStoreConn *conn, const char *user_id, const CsUserPatch *patch,
                    gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autofree char *email = cs_email_normalize (patch->email);

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, user_update_txn (c, user_id, patch, email, now, error),
                       (GDestroyNotify) cs_user_free, error);
}

/* Sessions */

static gboolean
session_create_txn (CsSqliteConn *c, const char *session_id, const char *user_id,
                    const char *access_hash, gint64 access_expires,
                    const char *refresh_hash, gint64 refresh_expires, gint64 now,
                    GError **error)
{
  int rc;

  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_SESSION_INSERT, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, session_id);
    sq_bind_text (st, 2, user_id);
    sq_bind_text (st, 3, access_hash);
    sq_bind_int (st, 4, access_expires);
    sq_bind_int (st, 5, now);
    rc = sqlite3_step (st);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      {
        sq_set_not_found (error, "User");
        return FALSE;
      }
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_REFRESH_INSERT, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, refresh_hash);
    sq_bind_text (st, 2, session_id);
    sq_bind_int (st, 3, refresh_expires);
    sq_bind_int (st, 4, now);
    if (!sq_step_done (c, st, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
sqlite_session_create (CsStoreConn *conn, const char *session_id, const char *user_id,
                       const char *access_hash, gint64 access_expires,
                       const char *refresh_hash, gint64 refresh_expires,
                       gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = session_create_txn (c, session_id, user_id, access_hash, access_expires,
                           refresh_hash, refresh_expires, now, error);
  return sq_txn_end (c, ok, error);
}

/* The hot path of every authenticated request: one cached statement, no
 * explicit transaction. */
static gboolean
sqlite_session_lookup (CsStoreConn *conn, const char *access_hash, gint64 now,
                       CsSessionInfo *out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = stmt (c, ST_SESSION_LOOKUP, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, access_hash);
  sq_bind_int (st, 2, now);
  rc = sqlite3_step (st);
  if (rc == SQLITE_DONE)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED,
                           "The access token is invalid or has expired");
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  session_info_from_row (st, out);
  return TRUE;
}

static gboolean
session_revoke (CsSqliteConn *c, const char *session_id, gint64 now, gboolean *found,
                GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_SESSION_REVOKE, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, session_id);
  sq_bind_int (st, 2, now);
  if (!sq_step_done (c, st, error))
    return FALSE;
  *found = sqlite3_changes (c->db) > 0;
  return TRUE;
}

static gboolean
run_update_1 (CsSqliteConn *c, sqlite3_stmt *st, GError **error)
{
  if (!sq_step_done (c, st, error))
    return FALSE;
  if (sqlite3_changes (c->db) != 1)
    {
      g_warning ("store: a row changed under a write lock");
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Internal database error");
      return FALSE;
    }
  return TRUE;
}

static gboolean
session_refresh_txn (CsSqliteConn *c, const char *refresh_hash, gint64 now,
                     const char *new_access_hash, gint64 access_expires,
                     const char *new_refresh_hash, gint64 refresh_expires,
                     CsRefreshResult *result, CsSessionInfo *out, GError **error)
{
  g_autofree char *session_id = NULL;
  gint64 expires_at;
  gboolean used, revoked, found;
  int rc;

  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_REFRESH_FIND, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, refresh_hash);
    rc = sqlite3_step (st);
    if (rc == SQLITE_DONE)
      {
        *result = CS_REFRESH_UNKNOWN;
        return TRUE;
      }
    if (rc != SQLITE_ROW)
      return sq_db_fail (c, rc, error);
    session_id = sq_col_dup (st, 0);
    expires_at = sq_col_int (st, 1);
    used = sqlite3_column_type (st, 2) != SQLITE_NULL;
    revoked = sqlite3_column_type (st, 3) != SQLITE_NULL;
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
    g_autoptr(CsStmtLease) st = stmt (c, ST_REFRESH_SPEND, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, refresh_hash);
    sq_bind_int (st, 2, now);
    if (!run_update_1 (c, st, error))
      return FALSE;
  }
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_REFRESH_INSERT, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, new_refresh_hash);
    sq_bind_text (st, 2, session_id);
    sq_bind_int (st, 3, refresh_expires);
    sq_bind_int (st, 4, now);
    if (!sq_step_done (c, st, error))
      return FALSE;
  }
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_SESSION_ROTATE, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, session_id);
    sq_bind_text (st, 2, new_access_hash);
    sq_bind_int (st, 3, access_expires);
    if (!run_update_1 (c, st, error))
      return FALSE;
  }
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_SESSION_INFO, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, session_id);
    rc = sqlite3_step (st);
    if (rc != SQLITE_ROW)
      return sq_db_fail (c, rc, error);
    session_info_from_row (st, out);
  }
  *result = CS_REFRESH_OK;
  return TRUE;
}

static gboolean
sqlite_session_refresh (CsStoreConn *conn, const char *refresh_hash, gint64 now,
                        const char *new_access_hash, gint64 access_expires,
                        const char *new_refresh_hash, gint64 refresh_expires,
                        CsRefreshResult *result, CsSessionInfo *out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = session_refresh_txn (c, refresh_hash, now, new_access_hash, access_expires,
                            new_refresh_hash, refresh_expires, result, out, error);
  if (!sq_txn_end (c, ok, error))
    {
      cs_session_info_clear (out);
      *result = CS_REFRESH_UNKNOWN;
      return FALSE;
    }
  return TRUE;
}

static gboolean
sqlite_session_revoke (CsStoreConn *conn, const char *session_id, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean found = FALSE;

  /* One statement: atomic on its own. */
  if (!session_revoke (c, session_id, now, &found, error))
    return FALSE;
  if (!found)
    {
      sq_set_not_found (error, "Session");
      return FALSE;
    }
  return TRUE;
}

/* Rate limits */

static void
rate_verdict (gint64 window_start, gint64 count, gint64 now, gint64 window, gint64 limit,
              gboolean counted, gboolean *allowed, gint64 *retry_after)
{
  /* A hit is allowed while the count including it stays within @limit; a
   * peek tells whether one more hit would be. */
  *allowed = counted ? count <= limit : count < limit;
  *retry_after = *allowed ? 0 : CLAMP (window_start + window - now, 1, window);
}

static gboolean
sqlite_rate_limit_hit (CsStoreConn *conn, const char *key, gint64 now, gint64 window,
                       gint64 limit, gboolean *allowed, gint64 *retry_after, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = stmt (c, ST_RATE_HIT, error);
  int rc;

  if (st == NULL)
    return FALSE;
  /* One upsert statement: atomic, no explicit transaction needed. */
  sq_bind_text (st, 1, key);
  sq_bind_int (st, 2, now);
  sq_bind_int (st, 3, window);
  rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  rate_verdict (sq_col_int (st, 0), sq_col_int (st, 1), now, window, limit, TRUE, allowed, retry_after);
  return TRUE;
}

static gboolean
sqlite_rate_limit_peek (CsStoreConn *conn, const char *key, gint64 now, gint64 window,
                        gint64 limit, gboolean *allowed, gint64 *retry_after, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = stmt (c, ST_RATE_PEEK, error);
  gint64 window_start, count;
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, key);
  rc = sqlite3_step (st);
  if (rc == SQLITE_DONE)
    {
      rate_verdict (now, 0, now, window, limit, FALSE, allowed, retry_after);
      return TRUE;
    }
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  window_start = sq_col_int (st, 0);
  count = sq_col_int (st, 1);
  if (window_start + window <= now)
    {
      window_start = now;
      count = 0;
    }
  rate_verdict (window_start, count, now, window, limit, FALSE, allowed, retry_after);
  return TRUE;
}

static gboolean
sqlite_rate_limit_clear (CsStoreConn *conn, const char *key, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = stmt (c, ST_RATE_CLEAR, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, key);
  return sq_step_done (c, st, error);
}

/* Categories */

static GPtrArray *
sqlite_categories (CsStoreConn *conn, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = stmt (c, ST_CATEGORIES, error);
  g_autoptr(GPtrArray) out = NULL;
  int rc;

  if (st == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_category_free);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CsCategory *category = g_new0 (CsCategory, 1);

      category->slug = sq_col_dup (st, 0);
      category->name = sq_col_dup (st, 1);
      category->live_count = sq_col_int (st, 2);
      g_ptr_array_add (out, category);
    }
  if (rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  return g_steal_pointer (&out);
}

static gboolean
check_category (CsSqliteConn *c, const char *slug, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_CATEGORY_EXISTS, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, slug);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  {
    g_autoptr(GError) local = g_error_new_literal (CS_ERROR, CS_ERROR_INVALID,
                                                   "The category does not exist");

    cs_error_add_field (local, "category", "is not a known category");
    g_propagate_error (error, g_steal_pointer (&local));
  }
  return FALSE;
}

/* Campaigns */

static CsRewardTier *
tier_insert (CsSqliteConn *c, const char *campaign_id, const CsRewardTier *tier, gint64 now,
             GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_TIER_INSERT, error);
  int rc;

  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, tier->id);
  sq_bind_text (st, 2, campaign_id);
  sq_bind_text (st, 3, tier->title);
  sq_bind_text (st, 4, tier->description != NULL ? tier->description : "");
  sq_bind_int (st, 5, tier->minimum_pledge);
  sq_bind_text (st, 6, tier->estimated_delivery_date);
  if (tier->quantity_available >= 0)
    sq_bind_int (st, 7, tier->quantity_available);
  sq_bind_int (st, 8, now);
  rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This reward already exists");
      else
        sq_db_fail (c, rc, error);
      return NULL;
    }
  return tier_from_row (st);
}

static CsCampaign *
campaign_insert_txn (CsSqliteConn *c, const CsCampaign *campaign, GError **error)
{
  gint64 seq;
  int rc;

  if (!check_category (c, campaign->category, error) || !sq_bump_seq (c, &seq, error))
    return NULL;
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_INSERT, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, campaign->id);
    sq_bind_text (st, 2, campaign->creator_id);
    sq_bind_text (st, 3, campaign->title);
    sq_bind_text (st, 4, campaign->description != NULL ? campaign->description : "");
    sq_bind_text (st, 5, campaign->category);
    sq_bind_int (st, 6, campaign->goal_amount);
    sq_bind_text (st, 7, campaign->currency);
    sq_bind_int (st, 8, campaign->duration_days);
    sq_bind_text (st, 9, campaign->image_url);
    sq_bind_int (st, 10, campaign->created_at);
    sq_bind_int (st, 11, seq);
    rc = sqlite3_step (st);
  }
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This campaign already exists");
      return NULL;
    }
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    {
      /* The category was checked above: the creator is unknown. */
      sq_set_not_found (error, "User");
      return NULL;
    }
  if (rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  for (guint i = 0; campaign->rewards != NULL && i < campaign->rewards->len; i++)
    {
      CsRewardTier *tier = tier_insert (c, campaign->id, g_ptr_array_index (campaign->rewards, i),
                                        campaign->created_at, error);

      if (tier == NULL)
        return NULL;
      cs_reward_tier_free (tier);
    }
  return sq_load_campaign (c, campaign->id, error);
}

static CsCampaign *
sqlite_campaign_insert (CsStoreConn *conn, const CsCampaign *campaign, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, campaign_insert_txn (c, campaign, error),
                       (GDestroyNotify) cs_campaign_free, error);
}

/* The hot path of GET /campaigns/{id}: one cached statement. */
static gboolean
sqlite_campaign_version (CsStoreConn *conn, const char *campaign_id, CsCampaignVersion *out,
                         GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_VERSION, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, campaign_id);
  if (!sq_step_found (c, st, "Campaign", error))
    return FALSE;
  out->change_seq = sq_col_int (st, 0);
  out->published = sqlite3_column_type (st, 1) != SQLITE_NULL;
  g_strlcpy (out->creator_id, sq_col_text (st, 2), sizeof out->creator_id);
  return TRUE;
}

static CsCampaign *
sqlite_campaign_get (CsStoreConn *conn, const char *campaign_id, GError **error)
{
  return sq_load_campaign ((CsSqliteConn *) conn, campaign_id, error);
}

static CsCampaign *
campaign_update_txn (CsSqliteConn *c, const char *campaign_id, const CsCampaignInput *patch,
                     CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  char allowed_text[192];
  guint f = patch->fields;
  gint64 seq;
  int rc;

  if ((f & CS_CAMPAIGN_FIELD_CATEGORY) && !check_category (c, patch->category, error))
    return NULL;
  if (!sq_bump_seq (c, &seq, error))
    return NULL;
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_UPDATE, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, campaign_id);
    sq_bind_text (st, 2, status_set_text (allowed, allowed_text, sizeof allowed_text));
    sq_bind_int (st, 3, (f & CS_CAMPAIGN_FIELD_TITLE) != 0);
    sq_bind_text (st, 4, patch->title);
    sq_bind_int (st, 5, (f & CS_CAMPAIGN_FIELD_DESCRIPTION) != 0);
    sq_bind_text (st, 6, patch->description != NULL ? patch->description : "");
    sq_bind_int (st, 7, (f & CS_CAMPAIGN_FIELD_CATEGORY) != 0);
    sq_bind_text (st, 8, patch->category);
    sq_bind_int (st, 9, (f & CS_CAMPAIGN_FIELD_GOAL_AMOUNT) != 0);
    sq_bind_int (st, 10, patch->goal_amount);
    sq_bind_int (st, 11, (f & CS_CAMPAIGN_FIELD_CURRENCY) != 0);
    sq_bind_text (st, 12, patch->currency);
    sq_bind_int (st, 13, (f & CS_CAMPAIGN_FIELD_DURATION_DAYS) != 0);
    sq_bind_int (st, 14, patch->duration_days);
    sq_bind_int (st, 15, (f & CS_CAMPAIGN_FIELD_IMAGE_URL) != 0);
    sq_bind_text (st, 16, patch->image_url);
    sq_bind_int (st, 17, now);
    sq_bind_int (st, 18, seq);
    rc = sqlite3_step (st);
  }
  return campaign_updated (c, rc, campaign_id, REFUSED_EDIT, error);
}

static CsCampaign *
sqlite_campaign_update (CsStoreConn *conn, const char *campaign_id,
                        const CsCampaignInput *patch, CsCampaignStatusSet allowed,
                        gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, campaign_update_txn (c, campaign_id, patch, allowed, now, error),
                       (GDestroyNotify) cs_campaign_free, error);
}

gboolean
sq_audit_insert (CsSqliteConn *c, const char *actor_id, const char *action,
              const char *subject_type, const char *subject_id, const char *reason,
              const char *detail, gint64 now, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_AUDIT_INSERT, error);
  g_autofree char *id = cs_id_new ("aud");

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, id);
  sq_bind_text (st, 2, actor_id);
  sq_bind_text (st, 3, action);
  sq_bind_text (st, 4, subject_type);
  sq_bind_text (st, 5, subject_id);
  sq_bind_text (st, 6, reason);
  sq_bind_text (st, 7, detail);
  sq_bind_int (st, 8, now);
  return sq_step_done (c, st, error);
}

static CsCampaign *
campaign_transition_txn (CsSqliteConn *c, const char *campaign_id, CsCampaignEvent event,
                         const char *actor_id, const char *reason, gint64 now, GError **error)
{
  CsCampaignStatus from = CS_CAMPAIGN_DRAFT, to;
  char sources_text[192];
  g_autofree char *action = NULL;
  g_autofree char *detail = NULL;
  gint64 seq;

  /* We hold the write lock: the status read here is the one we change. */
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_STATUS, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, campaign_id);
    if (!sq_step_found (c, st, "Campaign", error))
      return NULL;
    cs_campaign_status_from_string (sq_col_text (st, 0), &from);
  }
  if (!cs_campaign_transition (from, event, &to, error))
    return NULL;
  /* Only a verified creator goes to review (decided here, under the lock). */
  if (event == CS_CAMPAIGN_EVENT_SUBMIT)
    {
      g_autoptr(CsStmtLease) st = stmt (c, ST_CREATOR_KYC, error);

      if (st == NULL)
        return NULL;
      sq_bind_text (st, 1, campaign_id);
      if (!sq_step_found (c, st, "Campaign", error))
        return NULL;
      if (g_strcmp0 (sq_col_text (st, 0), "verified") != 0)
        {
          g_autoptr(GError) local = g_error_new_literal (
            CS_ERROR, CS_ERROR_FORBIDDEN,
            "Verify your identity (POST /api/v1/me/kyc) before submitting a campaign for review.");

          cs_error_set_type_slug (local, "kyc-required");
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
    }
  if (!sq_bump_seq (c, &seq, error))
    return NULL;
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_TRANSITION, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, campaign_id);
    sq_bind_text (st, 2, status_set_text (cs_campaign_event_sources (event), sources_text,
                                       sizeof sources_text));
    sq_bind_text (st, 3, cs_campaign_status_to_string (cs_campaign_event_target (event)));
    sq_bind_int (st, 4, event == CS_CAMPAIGN_EVENT_APPROVE);
    sq_bind_int (st, 5, event == CS_CAMPAIGN_EVENT_REJECT ? 1 : event == CS_CAMPAIGN_EVENT_SUBMIT ? 2 : 0);
    sq_bind_int (st, 6, now);
    sq_bind_text (st, 7, reason);
    sq_bind_int (st, 8, seq);
    if (!run_update_1 (c, st, error))
      return NULL;
  }
  /* A campaign that stops early releases its backers' holds. */
  if ((event == CS_CAMPAIGN_EVENT_CANCEL || event == CS_CAMPAIGN_EVENT_SUSPEND) &&
      !sq_money_void_campaign (c, campaign_id, event == CS_CAMPAIGN_EVENT_SUSPEND, now, error))
    return NULL;

  action = g_strdup_printf ("campaign.%s", cs_campaign_event_to_string (event));
  detail = g_strdup_printf ("%s → %s", cs_campaign_status_to_string (from),
                            cs_campaign_status_to_string (to));
  if (!sq_audit_insert (c, actor_id, action, "campaign", campaign_id, reason, detail, now, error))
    return NULL;
  return sq_load_campaign (c, campaign_id, error);
}

static CsCampaign *
sqlite_campaign_transition (CsStoreConn *conn, const char *campaign_id, CsCampaignEvent event,
                            const char *actor_id, const char *reason, gint64 now,
                            GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, campaign_transition_txn (c, campaign_id, event, actor_id, reason, now,
                                                   error),
                       (GDestroyNotify) cs_campaign_free, error);
}

static CsCampaign *
campaign_set_image_txn (CsSqliteConn *c, const char *campaign_id, const char *image_url,
                        CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  char allowed_text[192];
  gint64 seq;
  int rc;

  if (!sq_bump_seq (c, &seq, error))
    return NULL;
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_SET_IMAGE, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, campaign_id);
    sq_bind_text (st, 2, status_set_text (allowed, allowed_text, sizeof allowed_text));
    sq_bind_text (st, 3, image_url);
    sq_bind_int (st, 4, now);
    sq_bind_int (st, 5, seq);
    rc = sqlite3_step (st);
  }
  return campaign_updated (c, rc, campaign_id, REFUSED_IMAGE, error);
}

static CsCampaign *
sqlite_campaign_set_image (CsStoreConn *conn, const char *campaign_id, const char *image_url,
                           CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, campaign_set_image_txn (c, campaign_id, image_url, allowed, now, error),
                       (GDestroyNotify) cs_campaign_free, error);
}

/* Campaign lists */

#define SEARCH_MAX_WORDS 16
/* Ranking is exact for a search with at most this many (visible, filtered)
 * matches; a broader one ranks its RANK_CAP most recent matches (fresh
 * campaigns first is what discovery wants anyway).  bm25 costs 1.5-3 µs per
 * match, so this bounds a ranked page to a few milliseconds however common
 * the words are: ranking all 100,000 matches of a word found everywhere
 * takes ~150 ms. */
#define RANK_CAP 1000
/* A search with another sort: up to this many matches, the matches drive
 * the query (look each up, sort them); beyond, the sort index is walked and
 * each row tested against the set of matches. */
#define SPARSE_MATCHES 500

typedef enum {
  MATCH_NONE,     /* no q */
  MATCH_RANKED,   /* sort = relevance */
  MATCH_SPARSE,   /* few matches: drive from the FTS index */
  MATCH_DENSE,    /* many matches: walk the sort index */
} MatchMode;

/* The safe FTS5 query for a person's words: each word a quoted string (so
 * no FTS5 syntax survives), all of them required, the last one a prefix
 * (search as you type) when it has at least 2 characters (the prefix
 * indexes are for 2 and 3; a 1-character prefix would merge thousands of
 * terms). */
static char *
fts_query (char **words)
{
  GString *s = g_string_new (NULL);
  guint n = 0;

  for (guint i = 0; words[i] != NULL; i++, n++)
    {
      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append_c (s, '"');
      g_string_append (s, words[i]);
      g_string_append_c (s, '"');
    }
  if (n > 0 && g_utf8_strlen (words[n - 1], -1) >= 2)
    g_string_append_c (s, '*');
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

/* The WHERE terms on "c" for visibility and the filters (cs-store.h), each
 * value a named parameter. */
static void
append_filters (GString *sql, const CsCampaignQuery *q)
{
  gboolean own_only = q->creator_id != NULL && q->viewer_id != NULL &&
                      strcmp (q->creator_id, q->viewer_id) == 0;

  if (q->statuses == 0)
    {
      if (!own_only)
        g_string_append (sql, " AND c.published_at IS NOT NULL");
    }
  else
    {
      gboolean first = TRUE;

      g_string_append (sql, " AND c.status IN (");
      for (int s = 0; s < CS_CAMPAIGN_N_STATUSES; s++)
        if (q->statuses & CS_STATUS_BIT (s))
          {
            g_string_append_printf (sql, "%s:s%d", first ? "" : ", ", s);
            first = FALSE;
          }
      if (first)
        g_string_append (sql, "NULL");   /* no known status: nothing matches */
      g_string_append_c (sql, ')');
      if (!q->viewer_is_staff && !own_only)
        g_string_append (sql, q->viewer_id != NULL
                              ? " AND (c.published_at IS NOT NULL OR c.creator_id = :viewer)"
                              : " AND c.published_at IS NOT NULL");
    }
  if (q->category != NULL)
    g_string_append (sql, " AND c.category = :category");
  if (q->creator_id != NULL)
    g_string_append (sql, " AND c.creator_id = :creator");
  if (q->sort == CS_SORT_ENDING_SOON)
    g_string_append (sql, " AND c.status = 'live' AND c.end_date > :now");
}

/* Keyset condition and order of a non-relevance sort. */
static void
append_order (GString *sql, CsCampaignSort sort, gboolean has_cursor)
{
  switch (sort)
    {
    case CS_SORT_TRENDING:
      if (has_cursor)
        g_string_append (sql, " AND (c.trend_score, c.funded_bp, c.rowid) < (:k0, :k1, :k2)");
      g_string_append (sql, " ORDER BY c.trend_score DESC, c.funded_bp DESC, c.rowid DESC");
      break;
    case CS_SORT_NEWEST:
      if (has_cursor)
        g_string_append (sql, " AND (c.listed_at, c.rowid) < (:k0, :k1)");
      g_string_append (sql, " ORDER BY c.listed_at DESC, c.rowid DESC");
      break;
    case CS_SORT_ENDING_SOON:
      if (has_cursor)
        g_string_append (sql, " AND (c.end_date, c.rowid) > (:k0, :k1)");
      g_string_append (sql, " ORDER BY c.end_date, c.rowid");
      break;
    case CS_SORT_MOST_FUNDED:
    case CS_SORT_RELEVANCE:
    default:
      if (has_cursor)
        g_string_append (sql, " AND (c.funded_bp, c.rowid) < (:k0, :k1)");
      g_string_append (sql, " ORDER BY c.funded_bp DESC, c.rowid DESC");
      break;
    }
}

/* Assembles the list query from fixed fragments; every value is a named
 * parameter.  (CROSS JOIN fixes SQLite's join order.) */
static char *
list_sql (const CsCampaignQuery *q, MatchMode mode, gboolean has_cursor)
{
  GString *sql = g_string_new ("SELECT " CAMPAIGN_SUMMARY_COLS);

  switch (mode)
    {
    case MATCH_RANKED:
      /* One pass over the matches, newest first, through the filters,
       * stopping after RANK_CAP; rank those narrow (rowid, rank) rows; then
       * load the page's campaigns. */
      g_string_append (sql, " FROM (SELECT r, k FROM (SELECT f.rowid AS r, f.rank AS k"
                            " FROM campaigns_fts (:match) f CROSS JOIN campaigns c ON c.rowid = f.rowid"
                            " WHERE 1");
      append_filters (sql, q);
      g_string_append (sql, " ORDER BY f.rowid DESC LIMIT :cap)"
                            " ORDER BY k, r LIMIT :limit OFFSET :offset) AS top"
                            " CROSS JOIN campaigns c ON c.rowid = top.r"
                            " JOIN users u ON u.id = c.creator_id"
                            " ORDER BY top.k, top.r");
      return g_string_free (sql, FALSE);

    case MATCH_SPARSE:
      g_string_append (sql, " FROM campaigns_fts (:match) f CROSS JOIN campaigns c ON c.rowid = f.rowid"
                            " JOIN users u ON u.id = c.creator_id WHERE 1");
      break;

    case MATCH_DENSE:
      /* "+" keeps SQLite from driving the query from the match set: the
       * set is built once and each row of the sort index tested in it. */
      g_string_append (sql, " FROM " CAMPAIGN_FROM " WHERE +c.rowid IN"
                            " (SELECT rowid FROM campaigns_fts (:match))");
      break;

    case MATCH_NONE:
    default:
      g_string_append (sql, " FROM " CAMPAIGN_FROM " WHERE 1");
      break;
    }
  append_filters (sql, q);
  append_order (sql, q->sort, has_cursor);
  g_string_append (sql, " LIMIT :limit");
  return g_string_free (sql, FALSE);
}

/* The cursor keys of the last row of a page. */
static void
row_keys (sqlite3_stmt *st, CsCampaignSort sort, gint64 *keys)
{
  switch (sort)
    {
    case CS_SORT_TRENDING:
      keys[0] = sq_col_int (st, CC_TREND);
      keys[1] = sq_col_int (st, CC_FUNDED_BP);
      keys[2] = sq_col_int (st, CC_ROWID);
      break;
    case CS_SORT_NEWEST:
      keys[0] = sq_col_int (st, CC_LISTED_AT);
      keys[1] = sq_col_int (st, CC_ROWID);
      break;
    case CS_SORT_ENDING_SOON:
      keys[0] = sq_col_int (st, CC_END);
      keys[1] = sq_col_int (st, CC_ROWID);
      break;
    case CS_SORT_MOST_FUNDED:
      keys[0] = sq_col_int (st, CC_FUNDED_BP);
      keys[1] = sq_col_int (st, CC_ROWID);
      break;
    case CS_SORT_RELEVANCE:
    default:
      break;
    }
}

/* Whether @match has more than SPARSE_MATCHES matches (visible or not). */
static gboolean
match_is_dense (CsSqliteConn *c, const char *match, gboolean *dense, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_MATCH_COUNT, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, match);
  sq_bind_int (st, 2, SPARSE_MATCHES + 1);
  rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  *dense = sq_col_int (st, 0) > SPARSE_MATCHES;
  return TRUE;
}

static gboolean
campaign_list_read (CsSqliteConn *c, const CsCampaignQuery *q, const char *match,
                    const gint64 *cursor_keys, CsCampaignPage *out, GError **error)
{
  static const char *const key_names[] = { ":k0", ":k1", ":k2" };
  static const char *const status_names[] = { ":s0", ":s1", ":s2", ":s3", ":s4", ":s5", ":s6", ":s7" };
  const char *tag = cs_campaign_sort_to_string (q->sort);
  guint n_keys = sort_n_keys (q->sort);
  gint64 keys[3] = { 0, 0, 0 };
  MatchMode mode = MATCH_NONE;
  g_autofree char *sql = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(CsStmtLease) st = NULL;
  gboolean has_more = FALSE;
  int rc;

  G_STATIC_ASSERT (G_N_ELEMENTS (status_names) == CS_CAMPAIGN_N_STATUSES);

  if (match != NULL && q->sort == CS_SORT_RELEVANCE)
    mode = MATCH_RANKED;
  else if (match != NULL)
    {
      gboolean dense = FALSE;

      if (!match_is_dense (c, match, &dense, error))
        return FALSE;
      mode = dense ? MATCH_DENSE : MATCH_SPARSE;
    }

  sql = list_sql (q, mode, cursor_keys != NULL);
  st = sq_shape_stmt (c, sql, error);
  if (st == NULL)
    return FALSE;

  sq_bind_named_text (st, ":match", match);
  sq_bind_named_text (st, ":viewer", q->viewer_id);
  sq_bind_named_text (st, ":category", q->category);
  sq_bind_named_text (st, ":creator", q->creator_id);
  sq_bind_named_int (st, ":now", q->now);
  for (int s = 0; s < CS_CAMPAIGN_N_STATUSES; s++)
    if (q->statuses & CS_STATUS_BIT (s))
      sq_bind_named_text (st, status_names[s], cs_campaign_status_to_string ((CsCampaignStatus) s));
  if (mode == MATCH_RANKED)
    {
      sq_bind_named_int (st, ":cap", RANK_CAP);
      sq_bind_named_int (st, ":offset", cursor_keys != NULL ? cursor_keys[0] : 0);
    }
  else if (cursor_keys != NULL)
    for (guint i = 0; i < n_keys; i++)
      sq_bind_named_int (st, key_names[i], cursor_keys[i]);
  sq_bind_named_int (st, ":limit", (gint64) q->limit + 1);

  items = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      if (items->len == q->limit)
        {
          has_more = TRUE;
          break;
        }
      g_ptr_array_add (items, campaign_from_row (st));
      if (items->len == q->limit && q->sort != CS_SORT_RELEVANCE)
        row_keys (st, q->sort, keys);
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);

  if (has_more)
    {
      if (q->sort == CS_SORT_RELEVANCE)
        keys[0] = (cursor_keys != NULL ? cursor_keys[0] : 0) + q->limit;
      out->next_cursor = cs_store_cursor_encode (tag, keys, n_keys, NULL);
    }
  out->items = g_steal_pointer (&items);
  return TRUE;
}

static gboolean
sqlite_campaign_list (CsStoreConn *conn, const CsCampaignQuery *q, CsCampaignPage *out,
                      GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gint64 keys[3] = { 0, 0, 0 };
  g_auto(GStrv) words = NULL;
  g_autofree char *match = NULL;
  gboolean ok;

  if (q->cursor != NULL &&
      (!cs_store_cursor_decode (q->cursor, cs_campaign_sort_to_string (q->sort), keys,
                                sort_n_keys (q->sort), NULL) ||
       (q->sort == CS_SORT_RELEVANCE && (keys[0] < 0 || keys[0] > G_MAXINT32))))
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
      match = fts_query (words);
    }

  /* A search may take two statements: one snapshot. */
  if (match != NULL && !sq_txn_begin (c, FALSE, error))
    return FALSE;
  ok = campaign_list_read (c, q, match, q->cursor != NULL ? keys : NULL, out, error);
  if (match != NULL && !sq_txn_end (c, ok, error))
    {
      cs_campaign_page_clear (out);
      return FALSE;
    }
  return ok;
}

/* Tiers */

/* Checks @allowed and marks the campaign changed (updated_at, change_seq),
 * inside the transaction.  Returns its creator and whether it was published
 * (for tombstones). */
static gboolean
campaign_touch (CsSqliteConn *c, const char *campaign_id, CsCampaignStatusSet allowed,
                Refusal refusal, gint64 now, gint64 seq, char **creator_id, gboolean *published,
                GError **error)
{
  char allowed_text[192];
  int rc;

  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_TOUCH, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, campaign_id);
    sq_bind_text (st, 2, status_set_text (allowed, allowed_text, sizeof allowed_text));
    sq_bind_int (st, 3, now);
    sq_bind_int (st, 4, seq);
    rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
      {
        if (creator_id != NULL)
          *creator_id = sq_col_dup (st, 0);
        if (published != NULL)
          *published = sqlite3_column_type (st, 1) != SQLITE_NULL;
        return TRUE;
      }
  }
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  return campaign_refused (c, campaign_id, refusal, error);
}

/* After a conditional tier change matched no row: NOT_FOUND if the tier is
 * not the campaign's, else CONFLICT with @detail. */
static gboolean
tier_refused (CsSqliteConn *c, const char *campaign_id, const char *tier_id, gboolean quantity,
              GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_TIER_GET, error);
  g_autoptr(GError) local = NULL;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, tier_id);
  sq_bind_text (st, 2, campaign_id);
  if (!sq_step_found (c, st, "Reward", error))
    return FALSE;
  if (quantity)
    {
      local = g_error_new (CS_ERROR, CS_ERROR_CONFLICT,
                           "The quantity cannot be lower than the %" G_GINT64_FORMAT
                           " already claimed", sq_col_int (st, 7));
      cs_error_add_field (local, "quantity_available", "is lower than the quantity already claimed");
    }
  else
    local = g_error_new_literal (CS_ERROR, CS_ERROR_CONFLICT,
                                 "A reward that backers have chosen cannot be deleted");
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static CsRewardTier *
tier_insert_txn (CsSqliteConn *c, const char *campaign_id, const CsRewardTier *tier,
                 CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  gint64 seq;

  if (!sq_bump_seq (c, &seq, error) ||
      !campaign_touch (c, campaign_id, allowed, REFUSED_TIER_ADD, now, seq, NULL, NULL, error))
    return NULL;
  return tier_insert (c, campaign_id, tier, now, error);
}

static CsRewardTier *
sqlite_tier_insert (CsStoreConn *conn, const char *campaign_id, const CsRewardTier *tier,
                    CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, tier_insert_txn (c, campaign_id, tier, allowed, now, error),
                       (GDestroyNotify) cs_reward_tier_free, error);
}

static CsRewardTier *
tier_update_txn (CsSqliteConn *c, const char *campaign_id, const char *tier_id,
                 const CsRewardTierInput *patch, CsCampaignStatusSet allowed, gint64 now,
                 GError **error)
{
  gint64 seq;
  int rc;

  if (!sq_bump_seq (c, &seq, error) ||
      !campaign_touch (c, campaign_id, allowed, REFUSED_TIER_CHANGE, now, seq, NULL, NULL, error))
    return NULL;
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_TIER_UPDATE, error);

    if (st == NULL)
      return NULL;
    sq_bind_text (st, 1, tier_id);
    sq_bind_text (st, 2, campaign_id);
    sq_bind_int (st, 3, patch->has_title);
    sq_bind_text (st, 4, patch->title);
    sq_bind_int (st, 5, patch->has_description);
    sq_bind_text (st, 6, patch->description != NULL ? patch->description : "");
    sq_bind_int (st, 7, patch->has_minimum_pledge);
    sq_bind_int (st, 8, patch->minimum_pledge);
    sq_bind_int (st, 9, patch->has_estimated_delivery_date);
    sq_bind_text (st, 10, patch->estimated_delivery_date);
    sq_bind_int (st, 11, patch->has_quantity_available);
    if (patch->quantity_available >= 0)
      sq_bind_int (st, 12, patch->quantity_available);
    sq_bind_int (st, 13, now);
    rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
      return tier_from_row (st);
  }
  if (rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  tier_refused (c, campaign_id, tier_id, TRUE, error);
  return NULL;
}

static CsRewardTier *
sqlite_tier_update (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                    const CsRewardTierInput *patch, CsCampaignStatusSet allowed,
                    gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  return sq_txn_end_with (c, tier_update_txn (c, campaign_id, tier_id, patch, allowed, now, error),
                       (GDestroyNotify) cs_reward_tier_free, error);
}

static gboolean
tier_delete_txn (CsSqliteConn *c, const char *campaign_id, const char *tier_id,
                 CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_autofree char *creator_id = NULL;
  gboolean published = FALSE;
  gint64 seq;
  int rc;

  if (!sq_bump_seq (c, &seq, error) ||
      !campaign_touch (c, campaign_id, allowed, REFUSED_TIER_CHANGE, now, seq, &creator_id,
                       &published, error))
    return FALSE;
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_TIER_DELETE, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, tier_id);
    sq_bind_text (st, 2, campaign_id);
    rc = sqlite3_step (st);
  }
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  if (sqlite3_changes (c->db) == 0)
    return tier_refused (c, campaign_id, tier_id, FALSE, error);
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_TOMBSTONE_INSERT, error);

    if (st == NULL)
      return FALSE;
    sq_bind_int (st, 1, seq);
    sq_bind_text (st, 2, "reward_tier");
    sq_bind_text (st, 3, tier_id);
    sq_bind_text (st, 4, campaign_id);
    sq_bind_int (st, 5, now);
    sq_bind_text (st, 6, creator_id);
    sq_bind_int (st, 7, published ? 1 : 0);
    if (!sq_step_done (c, st, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
sqlite_tier_delete (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                    CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = tier_delete_txn (c, campaign_id, tier_id, allowed, now, error);
  return sq_txn_end (c, ok, error);
}

/* Updates */

static gboolean
check_campaign_exists (CsSqliteConn *c, const char *campaign_id, GError **error)
{
  g_autoptr(CsStmtLease) st = stmt (c, ST_CAMPAIGN_EXISTS, error);

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, campaign_id);
  return sq_step_found (c, st, "Campaign", error);
}

static gboolean
update_insert_txn (CsSqliteConn *c, const CsUpdate *update, GError **error)
{
  g_autoptr(CsStmtLease) st = NULL;
  int rc;

  if (!check_campaign_exists (c, update->campaign_id, error))
    return FALSE;
  st = stmt (c, ST_UPDATE_INSERT, error);
  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, update->id);
  sq_bind_text (st, 2, update->campaign_id);
  sq_bind_text (st, 3, update->author_id);
  sq_bind_text (st, 4, update->title);
  sq_bind_text (st, 5, update->content != NULL ? update->content : "");
  /* The stored names are the schema's, independent of the API's. */
  sq_bind_text (st, 6, update->visibility == CS_UPDATE_PUBLIC ? "public" : "backers");
  sq_bind_int (st, 7, update->created_at);
  rc = sqlite3_step (st);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This update already exists");
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return sq_db_fail (c, rc, error);
  return TRUE;
}

static CsUpdate *
sqlite_update_insert (CsStoreConn *conn, const CsUpdate *update, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  CsUpdate *copy;
  gboolean ok;

  if (!sq_txn_begin (c, TRUE, error))
    return NULL;
  ok = update_insert_txn (c, update, error);
  if (!sq_txn_end (c, ok, error))
    return NULL;

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

/* A newest-first page of @st (bound except for the limit and cursor);
 * rows carry created_at and rowid in columns @time_col and @time_col + 1. */
static GPtrArray *
read_time_page (CsSqliteConn *c, sqlite3_stmt *st, guint limit, int time_col, const char *tag,
                gpointer (*from_row) (sqlite3_stmt *), GDestroyNotify free_func,
                char **next_cursor, GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (free_func);
  gint64 keys[2] = { 0, 0 };
  gboolean has_more = FALSE;
  int rc;

  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      if (items->len == limit)
        {
          has_more = TRUE;
          break;
        }
      g_ptr_array_add (items, from_row (st));
      keys[0] = sq_col_int (st, time_col);
      keys[1] = sq_col_int (st, time_col + 1);
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      sq_db_fail (c, rc, error);
      return NULL;
    }
  if (has_more)
    *next_cursor = cs_store_cursor_encode (tag, keys, 2, NULL);
  return g_steal_pointer (&items);
}

static gpointer
update_row (sqlite3_stmt *st)
{
  return update_from_row (st);
}

static gpointer
audit_row (sqlite3_stmt *st)
{
  return audit_from_row (st);
}

static GPtrArray *
sqlite_update_list (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit,
                    char **next_cursor, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;
  gint64 after[2] = { 0, 0 };

  if (cursor != NULL && !cs_store_cursor_decode (cursor, "updates", after, 2, NULL))
    {
      cs_store_set_cursor_error (error, "cursor");
      return NULL;
    }
  st = stmt (c, cursor != NULL ? ST_UPDATE_LIST_AFTER : ST_UPDATE_LIST, error);
  if (st == NULL)
    return NULL;
  sq_bind_text (st, 1, campaign_id);
  sq_bind_int (st, 2, (gint64) limit + 1);
  if (cursor != NULL)
    {
      sq_bind_int (st, 3, after[0]);
      sq_bind_int (st, 4, after[1]);
    }
  return read_time_page (c, st, limit, 6, "updates", update_row,
                         (GDestroyNotify) cs_update_free, next_cursor, error);
}

static gboolean
sqlite_is_backer (CsStoreConn *conn, const char *campaign_id, const char *user_id,
                  gboolean *is_backer, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = stmt (c, ST_IS_BACKER, error);
  int rc;

  if (st == NULL)
    return FALSE;
  sq_bind_text (st, 1, campaign_id);
  sq_bind_text (st, 2, user_id);
  rc = sqlite3_step (st);
  if (rc != SQLITE_ROW)
    return sq_db_fail (c, rc, error);
  *is_backer = sq_col_int (st, 0) != 0;
  return TRUE;
}

/* Dashboard */

static gboolean
dashboard_read (CsSqliteConn *c, const char *user_id, CsDashboard *out, GError **error)
{
  int rc;

  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_DASH_CREATED, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, user_id);
    if (!collect_campaigns (c, st, out->created, error))
      return FALSE;
  }
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_DASH_BACKED, error);

    if (st == NULL)
      return FALSE;
    sq_bind_text (st, 1, user_id);
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      {
        CsBackedItem *item = g_new0 (CsBackedItem, 1);
        const char *currency = sq_col_text (st, CC_N + 2);

        item->campaign = campaign_from_row (st);
        item->pledge_id = sq_col_dup (st, CC_N);
        item->amount = sq_col_int (st, CC_N + 1);
        g_strlcpy (item->currency, currency != NULL ? currency : "", sizeof item->currency);
        item->pledge_status = sq_col_dup (st, CC_N + 3);
        item->reward_tier_id = sq_col_dup (st, CC_N + 4);
        item->reward_title = sq_col_dup (st, CC_N + 5);
        item->pledged_at = sq_col_int (st, CC_N + 6);
        g_ptr_array_add (out->backed, item);
      }
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  return TRUE;
}

static gboolean
sqlite_dashboard (CsStoreConn *conn, const char *user_id, CsDashboard *out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  out->created = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  out->backed = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_backed_item_free);
  if (!sq_txn_begin (c, FALSE, error))
    {
      cs_dashboard_clear (out);
      return FALSE;
    }
  ok = dashboard_read (c, user_id, out, error);
  if (!sq_txn_end (c, ok, error))
    {
      cs_dashboard_clear (out);
      return FALSE;
    }
  return TRUE;
}

/* Sync */

static gboolean
sync_read (CsSqliteConn *c, gint64 since, const char *viewer_id, gboolean staff, guint limit,
           CsSyncPage *out, GError **error)
{
  gint64 counter, upper;
  int rc;

  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_COUNTER_GET, error);

    if (st == NULL)
      return FALSE;
    rc = sqlite3_step (st);
    if (rc != SQLITE_ROW)
      return sq_db_fail (c, rc, error);
    counter = sq_col_int (st, 0);
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
    g_autoptr(CsStmtLease) st = stmt (c, ST_SYNC_CAMPAIGNS, error);

    if (st == NULL)
      return FALSE;
    sq_bind_int (st, 1, since);
    sq_bind_text (st, 2, viewer_id);
    sq_bind_int (st, 3, staff ? 1 : 0);
    sq_bind_int (st, 4, (gint64) limit + 1);
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      {
        if (out->campaigns->len == limit)
          {
            out->has_more = TRUE;
            break;
          }
        g_ptr_array_add (out->campaigns, campaign_from_row (st));
        upper = sq_col_int (st, CC_CHANGE_SEQ);
      }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
    /* A page that is not full covers everything up to now. */
    if (!out->has_more)
      upper = counter;
  }
  for (guint i = 0; i < out->campaigns->len; i++)
    if (!load_tiers (c, g_ptr_array_index (out->campaigns, i), error))
      return FALSE;
  {
    g_autoptr(CsStmtLease) st = stmt (c, ST_SYNC_TOMBSTONES, error);

    if (st == NULL)
      return FALSE;
    sq_bind_int (st, 1, since);
    sq_bind_int (st, 2, upper);
    sq_bind_text (st, 3, viewer_id);
    sq_bind_int (st, 4, staff ? 1 : 0);
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      {
        CsTombstone *t = g_new0 (CsTombstone, 1);

        t->type = sq_col_dup (st, 0);
        t->id = sq_col_dup (st, 1);
        t->campaign_id = sq_col_dup (st, 2);
        t->deleted_at = sq_col_int (st, 3);
        g_ptr_array_add (out->tombstones, t);
      }
    if (rc != SQLITE_DONE)
      return sq_db_fail (c, rc, error);
  }
  out->next_cursor = cs_store_sync_cursor_encode (upper);
  return TRUE;
}

static gboolean
sqlite_sync (CsStoreConn *conn, const char *since, const char *viewer_id, gboolean viewer_is_staff,
             guint limit, CsSyncPage *out, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gint64 since_seq = 0;
  gboolean ok;

  if (since != NULL && !cs_store_sync_cursor_decode (since, &since_seq))
    {
      cs_store_set_cursor_error (error, "since");
      return FALSE;
    }
  out->campaigns = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  out->tombstones = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_tombstone_free);
  if (!sq_txn_begin (c, FALSE, error))
    {
      cs_sync_page_clear (out);
      return FALSE;
    }
  ok = sync_read (c, since_seq, viewer_id, viewer_is_staff, limit, out, error);
  if (!sq_txn_end (c, ok, error))
    {
      cs_sync_page_clear (out);
      return FALSE;
    }
  return TRUE;
}

/* Jobs and demo data */

static gboolean
sqlite_refresh_trending (CsStoreConn *conn, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  gboolean ok;

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  ok = run_at (c, ST_TRENDING, now, error);
  return sq_txn_end (c, ok, error);
}

static gboolean
sqlite_checkpoint (CsStoreConn *conn, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  int rc = sqlite3_wal_checkpoint_v2 (c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
    return sq_db_fail (c, rc, error);
  return TRUE;
}

static gboolean
sqlite_purge_expired (CsStoreConn *conn, gint64 now, GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  static const StmtId purges[] = { ST_PURGE_RATE_LIMITS, ST_PURGE_REFRESH_TOKENS, ST_PURGE_SESSIONS,
                                   ST_PURGE_IDEMPOTENCY };
  gboolean ok = TRUE;

  if (!sq_txn_begin (c, TRUE, error))
    return FALSE;
  for (guint i = 0; ok && i < G_N_ELEMENTS (purges); i++)
    ok = run_at (c, purges[i], now, error);
  return sq_txn_end (c, ok, error);
}

/* Audit */

static GPtrArray *
sqlite_audit_list (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor,
                   GError **error)
{
  CsSqliteConn *c = (CsSqliteConn *) conn;
  g_autoptr(CsStmtLease) st = NULL;
  gint64 after[2] = { 0, 0 };

  if (cursor != NULL && !cs_store_cursor_decode (cursor, "audit", after, 2, NULL))
    {
      cs_store_set_cursor_error (error, "cursor");
      return NULL;
    }
  st = stmt (c, cursor != NULL ? ST_AUDIT_LIST_AFTER : ST_AUDIT_LIST, error);
  if (st == NULL)
    return NULL;
  sq_bind_int (st, 1, (gint64) limit + 1);
  if (cursor != NULL)
    {
      sq_bind_int (st, 2, after[0]);
      sq_bind_int (st, 3, after[1]);
    }
  return read_time_page (c, st, limit, 7, "audit", audit_row,
                         (GDestroyNotify) cs_audit_entry_free, next_cursor, error);
}

/* The backend */

const CsStoreBackend cs_store_sqlite_backend = {
  .kind                = "sqlite",
  .open                = sqlite_open,
  .free                = sqlite_free,
  .connect             = sqlite_connect,
  .conn_free           = sqlite_conn_free,
  .schema_version      = sqlite_schema_version,
  .ping                = sqlite_ping,
  .user_insert         = sqlite_user_insert,
  .user_get            = sqlite_user_get,
  .user_get_by_login   = sqlite_user_get_by_login,
  .user_update         = sqlite_user_update,
  .session_create      = sqlite_session_create,
  .session_lookup      = sqlite_session_lookup,
  .session_refresh     = sqlite_session_refresh,
  .session_revoke      = sqlite_session_revoke,
  .rate_limit_hit      = sqlite_rate_limit_hit,
  .rate_limit_peek     = sqlite_rate_limit_peek,
  .rate_limit_clear    = sqlite_rate_limit_clear,
  .categories          = sqlite_categories,
  .campaign_insert     = sqlite_campaign_insert,
  .campaign_get        = sqlite_campaign_get,
  .campaign_version    = sqlite_campaign_version,
  .checkpoint          = sqlite_checkpoint,
  .purge_expired       = sqlite_purge_expired,
  .campaign_update     = sqlite_campaign_update,
  .campaign_transition = sqlite_campaign_transition,
  .campaign_set_image  = sqlite_campaign_set_image,
  .campaign_list       = sqlite_campaign_list,
  .tier_insert         = sqlite_tier_insert,
  .tier_update         = sqlite_tier_update,
  .tier_delete         = sqlite_tier_delete,
  .update_insert       = sqlite_update_insert,
  .update_list         = sqlite_update_list,
  .is_backer           = sqlite_is_backer,
  .dashboard           = sqlite_dashboard,
  .sync                = sqlite_sync,
  .refresh_trending    = sqlite_refresh_trending,
  .audit_list          = sqlite_audit_list,
  .pledge_create = sqlite_pledge_create,
  .pledge_get = sqlite_pledge_get,
  .pledge_list_for_backer = sqlite_pledge_list_for_backer,
  .pledge_list_for_campaign = sqlite_pledge_list_for_campaign,
  .pledge_change = sqlite_pledge_change,
  .pledge_cancel = sqlite_pledge_cancel,
  .payment_jobs_claim = sqlite_payment_jobs_claim,
  .payment_job_done = sqlite_payment_job_done,
  .payment_job_retry = sqlite_payment_job_retry,
  .payment_jobs_count = sqlite_payment_jobs_count,
  .payment_event_apply = sqlite_payment_event_apply,
  .settle_due = sqlite_settle_due,
  .expire_capture_failed = sqlite_expire_capture_failed,
  .campaign_balance = sqlite_campaign_balance,
  .withdrawal_create = sqlite_withdrawal_create,
  .withdrawal_list = sqlite_withdrawal_list,
  .check_books = sqlite_check_books,
  .fee_settings_get = sqlite_fee_settings_get,
  .fee_settings_put = sqlite_fee_settings_put,
  .setting_get_int = sqlite_setting_get_int,
  .setting_set_int = sqlite_setting_set_int,
  .kyc_submit = sqlite_kyc_submit,
  .kyc_latest = sqlite_kyc_latest,
  .user_kyc_status = sqlite_user_kyc_status,
  .kyc_decide = sqlite_kyc_decide,
  .kyc_queue = sqlite_kyc_queue,
  .sandbox_pm_insert = sqlite_sandbox_pm_insert,
  .sandbox_pm_get = sqlite_sandbox_pm_get,
  .sandbox_charge_get = sqlite_sandbox_charge_get,
  .sandbox_record = sqlite_sandbox_record,
  .outbox_claim = sqlite_outbox_claim,
  .outbox_delivered = sqlite_outbox_delivered,
  .outbox_retry = sqlite_outbox_retry,
  .outbox_count = sqlite_outbox_count,
  .webhook_seen = sqlite_webhook_seen,
};
