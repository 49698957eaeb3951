/* cs-cache.c: the app's offline cache (SQLite).
 *
 * One connection, used by one worker thread (an exclusive GThreadPool of one
 * thread) that runs the GTasks of the async API one after the other; a mutex
 * also serializes the *_sync test variants with it.  Statements are prepared
 * once and kept (the query variants in a table keyed by their shape).
 * Results complete on the caller's thread-default context; "changed" is
 * emitted on the main context of the thread that created the cache, before
 * the write's own callback runs.
 */
#include "config.h"

#include <string.h>
#include <sqlite3.h>
#include <glib/gi18n-lib.h>

#include "cs-cache.h"
#include "cs-client-resources.h"

#define BUSY_TIMEOUT_MS 5000
#define RESOURCE_DIR "/io/github/crowdspark/Client/cache/"
/* Words of a local search beyond this are ignored. */
#define SEARCH_MAX_WORDS 16
/* A search reads the rowids of its matches from the FTS index (in rowid
 * order) into an array.  With at most this many matches the query is driven
 * from the FTS index (look each match up, sort them); a broader one walks
 * the sort index and tests each row against the array (binary search in
 * cs_matched()), stopping at the limit.  Measured with bench-cache at
 * 100,000 campaigns: driving 60,000 matches costs ~40 ms; walking the index
 * against an "IN (SELECT rowid ... MATCH)" set ~13 ms, nearly all of it
 * building SQLite's temporary b-tree of the rowids; against the array 5-9 ms,
 * all of it reading the rowids (~80 ns each, whatever the FTS5 detail). */
#define SPARSE_MATCHES 1000
/* Reading the matches of a word found in most campaigns costs more than the
 * page it is for: after this many matches, their density is estimated (their
 * share of the rowids read so far) and, for a limited page, if walking the
 * sort index and testing each row's own text with FTS5's tokenizer
 * (cs_probe(), ~5 µs a row) should cost less than reading the other matches
 * (at the pace of the sample: ~80 ns a match for one word, several times
 * that for two words, one of them common), that plan is taken.  It gives up
 * (and the matches are read after all) past PROBE_BUDGET_FACTOR times the
 * rows it expected to test. */
#define PROBE_SAMPLE 2000
#define PROBE_ROW_NS 5000
#define PROBE_BUDGET_FACTOR 4
#define PROBE_BUDGET_SLACK 256
/* The pointer types bound to cs_matched() and cs_probe(). */
#define MATCHES_POINTER "cs-cache-matches"
#define PROBE_POINTER "cs-cache-probe"

typedef enum {
  ST_UPSERT_CAMPAIGN,
  ST_DELETE_TIERS_OF,
  ST_UPSERT_TIER,
  ST_DELETE_CAMPAIGN,
  ST_DELETE_TIER,
  ST_SET_VALUE,
  ST_DELETE_VALUE,
  ST_GET_VALUE,
  ST_UPDATE_PROGRESS,
  ST_GET_CAMPAIGN,
  ST_GET_TIERS,
  ST_LIST_CATEGORIES,
  ST_DELETE_CATEGORIES,
  ST_INSERT_CATEGORY,
  ST_DELETE_PLEDGES_OF,
  ST_UPSERT_PLEDGE,
  ST_LIST_PLEDGES,
  ST_GET_IMAGE,
  ST_PUT_IMAGE,
  ST_OUTBOX_ADD,
  ST_OUTBOX_ID_OF_KEY,
  ST_OUTBOX_LIST,
  ST_OUTBOX_DELETE,
  ST_OUTBOX_FAILED,
  ST_FORGET_PLEDGES,
  ST_FORGET_OUTBOX,
  ST_MATCHES,
  ST_ROWID_RANGE,
  N_STATEMENTS
} StatementId;

/* A search tested against a row's own text: the tokens of its words as
 * FTS5's tokenizer makes them (each word one token, a prefix), found in any
 * of the indexed texts. */
typedef struct {
  fts5_tokenizer  api;
  Fts5Tokenizer  *tokenizer;
  const char     *tokens[SEARCH_MAX_WORDS];
  int             lengths[SEARCH_MAX_WORDS];
  guint           n_tokens;
  guint32         found;       /* bit i: tokens[i] seen in this row */
  guint           rows;        /* rows tested */
  guint           budget;      /* more rows than this: give up */
  gboolean        over_budget;
} Probe;

/* A statement in use: reset and unbound when released. */
typedef sqlite3_stmt CsStmt;

typedef struct {
  GTask          *task;
  GTaskThreadFunc func;
} Job;

struct _CsCache
{
  GObject parent_instance;

  char         *path;
  GMainContext *main_context;   /* where "changed" is emitted */
  GThreadPool  *pool;           /* one thread */

  /* Guarded by lock (the worker and the *_sync calls). */
  GMutex        lock;
  sqlite3      *db;
  sqlite3_stmt *statements[N_STATEMENTS];
  GHashTable   *query_statements;  /* shape (int) → sqlite3_stmt* */
  GArray       *matches;           /* gint64 rowids of a search, ascending */
  fts5_tokenizer tokenizer_api;    /* FTS5's unicode61, as campaigns_fts uses it */
  Fts5Tokenizer *tokenizer;        /* NULL until the first search needs it */
};

static void cs_cache_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CsCache, cs_cache, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, cs_cache_initable_iface_init))

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const struct {
  int         version;
  const char *resource;
} migrations[] = {
  { 1, "001-initial.sql" },
  { 2, "002-search.sql" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == CS_CACHE_SCHEMA_VERSION);

#define CAMPAIGN_COLS \
  "c.id, c.creator_id, c.creator_username, c.creator_display_name, c.title, c.description, " \
  "c.category, c.goal_amount, c.current_amount, c.currency, c.backer_count, c.status, " \
  "c.duration_days, c.start_date, c.end_date, c.image_url, c.rejection_reason, c.created_at, " \
  "c.updated_at, c.published_at"

#define TIER_COLS \
  "id, campaign_id, title, description, minimum_pledge, estimated_delivery_date, " \
  "quantity_available, quantity_claimed, position, created_at, updated_at"

#define PLEDGE_COLS \
  "p.id, p.backer_id, p.campaign_id, p.amount, p.currency, p.reward_tier_id, p.status, " \
  "p.transaction_id, p.payment_method_id, p.failure_reason, p.capture_retry_until, " \
  "p.created_at, p.updated_at, p.backer_name, coalesce (c.title, p.campaign_title), " \
  "coalesce (t.title, p.reward_title)"

#define OUTBOX_COLS \
  "id, kind, method, path, body, idempotency_key, target_id, attempts, last_error, failed, created_at"

/* trending: the server ranks live campaigns by their pledges of the last
 * seven days, then by percent funded.  The cache has no pledge history, so
 * it approximates the recent pledges by the backers per day since the
 * campaign went live (backer_count × 86,400,000 / max (1 day, now −
 * published_at), in thousandths), computed whenever the row is written (a
 * sync, a list page, a live progress event); any other status scores 0, as
 * on the server.  The two formulas below must stay the same. */
#define TREND_SQL(status, backers, published, now) \
  "CASE WHEN " status " = 'live' AND " published " > 0 " \
  "THEN min (max (" backers ", 0), 10000000000) * 86400000 / max (86400, " now " - " published ") " \
  "ELSE 0 END"

static const char *statement_sql[N_STATEMENTS] = {
  [ST_UPSERT_CAMPAIGN] =
    "INSERT INTO campaigns (id, creator_id, creator_username, creator_display_name, title, "
    "  description, category, goal_amount, current_amount, currency, backer_count, status, "
    "  duration_days, start_date, end_date, image_url, rejection_reason, created_at, updated_at, "
    "  published_at, rewards_loaded, trend_score) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "  ?19, ?20, ?21, ?22) "
    "ON CONFLICT (id) DO UPDATE SET "
    "  creator_id = excluded.creator_id, "
    "  creator_username = coalesce (excluded.creator_username, campaigns.creator_username), "
    "  creator_display_name = coalesce (excluded.creator_display_name, campaigns.creator_display_name), "
    "  title = excluded.title, "
    /* A summary's story is cut to 280 characters ending in "…": keep the
     * whole story of a campaign loaded in full. */
    "  description = CASE WHEN excluded.rewards_loaded = 0 AND campaigns.rewards_loaded = 1 "
    "    AND substr (excluded.description, -1) = '…' "
    "    AND length (campaigns.description) > length (excluded.description) "
    "    THEN campaigns.description ELSE excluded.description END, "
    "  category = excluded.category, goal_amount = excluded.goal_amount, "
    "  current_amount = excluded.current_amount, currency = excluded.currency, "
    "  backer_count = excluded.backer_count, status = excluded.status, "
    "  duration_days = excluded.duration_days, start_date = excluded.start_date, "
    "  end_date = excluded.end_date, image_url = excluded.image_url, "
    "  rejection_reason = excluded.rejection_reason, created_at = excluded.created_at, "
    "  updated_at = excluded.updated_at, published_at = excluded.published_at, "
    "  rewards_loaded = max (campaigns.rewards_loaded, excluded.rewards_loaded), "
    "  trend_score = excluded.trend_score",
  [ST_DELETE_TIERS_OF] = "DELETE FROM reward_tiers WHERE campaign_id = ?1",
  [ST_UPSERT_TIER] =
    "INSERT INTO reward_tiers (" TIER_COLS ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
    "ON CONFLICT (id) DO UPDATE SET campaign_id = excluded.campaign_id, title = excluded.title, "
    "  description = excluded.description, minimum_pledge = excluded.minimum_pledge, "
    "  estimated_delivery_date = excluded.estimated_delivery_date, "
    "  quantity_available = excluded.quantity_available, "
    "  quantity_claimed = excluded.quantity_claimed, position = excluded.position, "
    "  created_at = excluded.created_at, updated_at = excluded.updated_at",
  /* Its tiers go by the foreign key's cascade; the user's pledges stay. */
  [ST_DELETE_CAMPAIGN] = "DELETE FROM campaigns WHERE id = ?1",
  [ST_DELETE_TIER] = "DELETE FROM reward_tiers WHERE id = ?1",
  [ST_SET_VALUE] =
    "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  [ST_DELETE_VALUE] = "DELETE FROM kv WHERE key = ?1",
  [ST_GET_VALUE] = "SELECT value FROM kv WHERE key = ?1",
  [ST_UPDATE_PROGRESS] =
    "UPDATE campaigns SET current_amount = ?2, backer_count = ?3, status = coalesce (?4, status), "
    "  trend_score = " TREND_SQL ("coalesce (?4, status)", "?3", "published_at", "?5") " "
    "WHERE id = ?1",
  [ST_GET_CAMPAIGN] = "SELECT " CAMPAIGN_COLS " FROM campaigns c WHERE c.id = ?1",
  [ST_GET_TIERS] =
    "SELECT " TIER_COLS " FROM reward_tiers WHERE campaign_id = ?1 ORDER BY position, created_at, id",
  [ST_LIST_CATEGORIES] =
    "SELECT s.slug, coalesce (k.name, s.slug), "
    "  (SELECT count(*) FROM campaigns c WHERE c.category = s.slug AND c.status = 'live') "
    "FROM (SELECT slug FROM categories UNION SELECT category FROM campaigns) s "
    "  LEFT JOIN categories k ON k.slug = s.slug "
    "ORDER BY coalesce (k.name, s.slug) COLLATE NOCASE, s.slug",
  [ST_DELETE_CATEGORIES] = "DELETE FROM categories",
  [ST_INSERT_CATEGORY] =
    "INSERT INTO categories (slug, name) VALUES (?1, ?2) "
    "ON CONFLICT (slug) DO UPDATE SET name = excluded.name",
  [ST_DELETE_PLEDGES_OF] = "DELETE FROM pledges WHERE user_id = ?1",
  [ST_UPSERT_PLEDGE] =
    "INSERT INTO pledges (user_id, id, backer_id, campaign_id, amount, currency, reward_tier_id, "
    "  status, transaction_id, payment_method_id, failure_reason, capture_retry_until, "
    "  created_at, updated_at, backer_name, campaign_title, reward_title) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
    "ON CONFLICT (user_id, id) DO UPDATE SET backer_id = excluded.backer_id, "
    "  campaign_id = excluded.campaign_id, amount = excluded.amount, currency = excluded.currency, "
    "  reward_tier_id = excluded.reward_tier_id, status = excluded.status, "
    "  transaction_id = excluded.transaction_id, payment_method_id = excluded.payment_method_id, "
    "  failure_reason = excluded.failure_reason, "
    "  capture_retry_until = excluded.capture_retry_until, created_at = excluded.created_at, "
    "  updated_at = excluded.updated_at, "
    "  backer_name = coalesce (excluded.backer_name, pledges.backer_name), "
    "  campaign_title = coalesce (excluded.campaign_title, pledges.campaign_title), "
    "  reward_title = CASE WHEN excluded.reward_tier_id IS pledges.reward_tier_id "
    "    THEN coalesce (excluded.reward_title, pledges.reward_title) "
    "    ELSE excluded.reward_title END",
  [ST_LIST_PLEDGES] =
    "SELECT " PLEDGE_COLS " FROM pledges p "
    "  LEFT JOIN campaigns c ON c.id = p.campaign_id "
    "  LEFT JOIN reward_tiers t ON t.id = p.reward_tier_id "
    "WHERE p.user_id = ?1 ORDER BY p.created_at DESC, p.id DESC",
  [ST_GET_IMAGE] = "SELECT bytes FROM images WHERE url = ?1",
  [ST_PUT_IMAGE] =
    "INSERT INTO images (url, bytes, fetched_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (url) DO UPDATE SET bytes = excluded.bytes, fetched_at = excluded.fetched_at",
  /* The same key twice is the same write: nothing is added. */
  [ST_OUTBOX_ADD] =
    "INSERT INTO outbox (kind, method, path, body, idempotency_key, target_id, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (idempotency_key) DO NOTHING",
  [ST_OUTBOX_ID_OF_KEY] = "SELECT id FROM outbox WHERE idempotency_key = ?1",
  [ST_OUTBOX_LIST] = "SELECT " OUTBOX_COLS " FROM outbox ORDER BY id",
  [ST_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
  [ST_OUTBOX_FAILED] =
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, failed = max (failed, ?3) "
    "WHERE id = ?1",
  [ST_FORGET_PLEDGES] = "DELETE FROM pledges",
  [ST_FORGET_OUTBOX] = "DELETE FROM outbox",
  [ST_MATCHES] = "SELECT rowid FROM campaigns_fts WHERE campaigns_fts MATCH ?1",
  [ST_ROWID_RANGE] = "SELECT (SELECT min(rowid) FROM campaigns), (SELECT max(rowid) FROM campaigns)",
};

/* ---- helpers: SQLite ---- */

static gboolean
sq_fail (sqlite3 *db, const char *what, GError **error)
{
  g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL,
               _("The offline cache failed (%s): %s"), what, sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
sq_exec (sqlite3 *db, const char *sql, GError **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL,
                   _("The offline cache failed (%s): %s"), sql,
                   message != NULL ? message : sqlite3_errmsg (db));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static void
statement_free (gpointer st)
{
  sqlite3_finalize (st);
}

static void
stmt_release (CsStmt *st)
{
  sqlite3_reset (st);
  sqlite3_clear_bindings (st);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsStmt, stmt_release)

static sqlite3_stmt *
prepare (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
    {
      sq_fail (db, "prepare", error);
      return NULL;
    }
  return st;
}

/* cs_matched (matches, rowid): whether @rowid is in the match array bound
 * as a pointer (NULL, e.g. from any other caller: false). */
static void
matched_func (sqlite3_context *context, int argc, sqlite3_value **argv)
{
  GArray *matches = sqlite3_value_pointer (argv[0], MATCHES_POINTER);
  gint64 rowid = sqlite3_value_int64 (argv[1]);
  guint lo = 0, hi = matches != NULL ? matches->len : 0;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      gint64 v = g_array_index (matches, gint64, mid);

      if (v == rowid)
        {
          sqlite3_result_int (context, 1);
          return;
        }
      if (v < rowid)
        lo = mid + 1;
      else
        hi = mid;
    }
  sqlite3_result_int (context, 0);
}

static int
probe_token_cb (void *data, int flags, const char *token, int n_token, int start, int end)
{
  Probe *probe = data;
  guint32 all = (1u << probe->n_tokens) - 1;

  for (guint i = 0; i < probe->n_tokens; i++)
    if (!(probe->found & (1u << i)) && n_token >= probe->lengths[i] &&
        memcmp (token, probe->tokens[i], probe->lengths[i]) == 0)
      probe->found |= 1u << i;
  /* Every word seen: stop tokenizing. */
  return probe->found == all ? SQLITE_DONE : SQLITE_OK;
}

/* cs_probe (probe, text...): whether each token of the probe bound as a
 * pointer is the prefix of a token of one of the texts; an error once the
 * probe has tested more rows than its budget. */
static void
probe_func (sqlite3_context *context, int argc, sqlite3_value **argv)
{
  Probe *probe = sqlite3_value_pointer (argv[0], PROBE_POINTER);
  guint32 all;

  if (probe == NULL || probe->n_tokens == 0)
    {
      sqlite3_result_int (context, 0);
      return;
    }
  if (++probe->rows > probe->budget)
    {
      probe->over_budget = TRUE;
      sqlite3_result_error (context, "search probe over budget", -1);
      return;
    }
  all = (1u << probe->n_tokens) - 1;
  probe->found = 0;
  for (int i = 1; i < argc && probe->found != all; i++)
    {
      const char *text = (const char *) sqlite3_value_text (argv[i]);
      int rc;

      if (text == NULL)
        continue;
      rc = probe->api.xTokenize (probe->tokenizer, probe, FTS5_TOKENIZE_DOCUMENT, text,
                                 sqlite3_value_bytes (argv[i]), probe_token_cb);
      if (rc != SQLITE_OK && rc != SQLITE_DONE)
        {
          sqlite3_result_error_code (context, rc);
          return;
        }
    }
  sqlite3_result_int (context, probe->found == all);
}

/* The cached statement @id (call with the lock held). */
static CsStmt *
stmt (CsCache *self, StatementId id, GError **error)
{
  if (self->statements[id] == NULL)
    self->statements[id] = prepare (self->db, statement_sql[id], error);
  return self->statements[id];
}

static void
bind_text (sqlite3_stmt *st, int i, const char *text)
{
  if (text == NULL)
    sqlite3_bind_null (st, i);
  else
    sqlite3_bind_text (st, i, text, -1, SQLITE_STATIC);
}

/* Runs a statement that returns no rows. */
static gboolean
step_done (CsCache *self, sqlite3_stmt *st, GError **error)
{
  if (sqlite3_step (st) != SQLITE_DONE)
    return sq_fail (self->db, "step", error);
  return TRUE;
}

static char *
col_dup (sqlite3_stmt *st, int i)
{
  return g_strdup ((const char *) sqlite3_column_text (st, i));
}

static void
col_currency (sqlite3_stmt *st, int i, char out[4])
{
  const char *text = (const char *) sqlite3_column_text (st, i);

  g_strlcpy (out, text != NULL ? text : "", 4);
}

static gboolean
begin (CsCache *self, GError **error)
{
  return sq_exec (self->db, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (CsCache *self, GError **error)
{
  return sq_exec (self->db, "COMMIT", error);
}

static void
rollback (CsCache *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sq_exec (self->db, "ROLLBACK", NULL);
}

static gint64
user_version (sqlite3 *db, GError **error)
{
  sqlite3_stmt *st = NULL;
  gint64 version;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
    {
      sq_fail (db, "PRAGMA user_version", error);
      return -1;
    }
  if (sqlite3_step (st) != SQLITE_ROW)
    {
      sq_fail (db, "PRAGMA user_version", error);
      sqlite3_finalize (st);
      return -1;
    }
  version = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  return version;
}

static gboolean
refuse_newer (const char *path, gint64 version, GError **error)
{
  if (version <= CS_CACHE_SCHEMA_VERSION)
    return TRUE;
  g_set_error (error, CS_ERROR, CS_ERROR_UNSUPPORTED,
               _("The offline cache “%s” was written by a newer version of CrowdSpark "
                 "(schema %lld, this version knows up to %d)"),
               path, (long long) version, CS_CACHE_SCHEMA_VERSION);
  return FALSE;
}

/* Applies the migrations the file lacks, each in one transaction that also
 * sets user_version (read again inside it, so that two programs opening the
 * same new file do not both migrate). */
static gboolean
migrate (CsCache *self, GError **error)
{
  GResource *resource = cs_client_get_resource ();

  for (guint i = 0; i < G_N_ELEMENTS (migrations); i++)
    {
      g_autofree char *resource_path = g_strconcat (RESOURCE_DIR, migrations[i].resource, NULL);
      g_autofree char *set_version = NULL;
      g_autoptr(GBytes) script = NULL;
      g_autofree char *sql = NULL;
      gint64 version;

      if (!begin (self, error))
        return FALSE;
      version = user_version (self->db, error);
      if (version < 0 || !refuse_newer (self->path, version, error))
        {
          rollback (self);
          return FALSE;
        }
      if (version >= migrations[i].version)
        {
          if (!commit (self, error))
            return FALSE;
          continue;
        }

      script = g_resource_lookup_data (resource, resource_path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (script == NULL)
        {
          rollback (self);
          return FALSE;
        }
      sql = g_strndup (g_bytes_get_data (script, NULL), g_bytes_get_size (script));
      set_version = g_strdup_printf ("PRAGMA user_version = %d", migrations[i].version);
      if (!sq_exec (self->db, sql, error) ||
          !sq_exec (self->db, set_version, error) ||
          !commit (self, error))
        {
          g_prefix_error (error, _("Cannot update the offline cache to version %d: "),
                          migrations[i].version);
          rollback (self);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- helpers: rows ---- */

/* See TREND_SQL. */
static gint64
trend_score (const CsCampaign *campaign, gint64 now)
{
  gint64 backers = CLAMP (campaign->backer_count, 0, G_GINT64_CONSTANT (10000000000));

  if (campaign->status != CS_CAMPAIGN_LIVE || campaign->published_at <= 0)
    return 0;
  return backers * 86400000 / MAX (86400, now - campaign->published_at);
}

static CsCampaign *
read_campaign (sqlite3_stmt *st)
{
  CsCampaign *c = cs_campaign_new ();

  c->id = col_dup (st, 0);
  c->creator_id = col_dup (st, 1);
  c->creator.id = col_dup (st, 1);
  c->creator.username = col_dup (st, 2);
  c->creator.display_name = col_dup (st, 3);
  c->title = col_dup (st, 4);
  c->description = col_dup (st, 5);
  c->category = col_dup (st, 6);
  c->goal_amount = sqlite3_column_int64 (st, 7);
  c->current_amount = sqlite3_column_int64 (st, 8);
  col_currency (st, 9, c->currency);
  c->backer_count = sqlite3_column_int64 (st, 10);
  if (!cs_campaign_status_from_string ((const char *) sqlite3_column_text (st, 11), &c->status))
    c->status = CS_CAMPAIGN_DRAFT;
  c->duration_days = sqlite3_column_int (st, 12);
  c->start_date = sqlite3_column_int64 (st, 13);
  c->end_date = sqlite3_column_int64 (st, 14);
  c->image_url = col_dup (st, 15);
  c->rejection_reason = col_dup (st, 16);
  c->created_at = sqlite3_column_int64 (st, 17);
  c->updated_at = sqlite3_column_int64 (st, 18);
  c->published_at = sqlite3_column_int64 (st, 19);
  return c;
}

static CsRewardTier *
read_tier (sqlite3_stmt *st)
{
  CsRewardTier *t = cs_reward_tier_new ();

  t->id = col_dup (st, 0);
  t->campaign_id = col_dup (st, 1);
  t->title = col_dup (st, 2);
  t->description = col_dup (st, 3);
  if (t->description == NULL)
    t->description = g_strdup ("");
  t->minimum_pledge = sqlite3_column_int64 (st, 4);
  t->estimated_delivery_date = col_dup (st, 5);
  t->quantity_available = sqlite3_column_int64 (st, 6);
  t->quantity_claimed = sqlite3_column_int64 (st, 7);
  t->position = sqlite3_column_int (st, 8);
  t->created_at = sqlite3_column_int64 (st, 9);
  t->updated_at = sqlite3_column_int64 (st, 10);
  return t;
}

static CsPledge *
read_pledge (sqlite3_stmt *st)
{
  CsPledge *p = cs_pledge_new ();

  p->id = col_dup (st, 0);
  p->backer_id = col_dup (st, 1);
  p->campaign_id = col_dup (st, 2);
  p->amount = sqlite3_column_int64 (st, 3);
  col_currency (st, 4, p->currency);
  p->reward_tier_id = col_dup (st, 5);
  if (!cs_pledge_status_from_string ((const char *) sqlite3_column_text (st, 6), &p->status))
    p->status = CS_PLEDGE_PENDING;
  p->transaction_id = col_dup (st, 7);
  p->payment_method_id = col_dup (st, 8);
  p->failure_reason = col_dup (st, 9);
  p->capture_retry_until = sqlite3_column_int64 (st, 10);
  p->created_at = sqlite3_column_int64 (st, 11);
  p->updated_at = sqlite3_column_int64 (st, 12);
  p->backer_name = col_dup (st, 13);
  p->campaign_title = col_dup (st, 14);
  p->reward_title = col_dup (st, 15);
  return p;
}

static CsOutboxItem *
read_outbox_item (sqlite3_stmt *st)
{
  CsOutboxItem *item = g_new0 (CsOutboxItem, 1);

  item->id = sqlite3_column_int64 (st, 0);
  item->kind = col_dup (st, 1);
  item->method = col_dup (st, 2);
  item->path = col_dup (st, 3);
  item->body = col_dup (st, 4);
  item->idempotency_key = col_dup (st, 5);
  item->target_id = col_dup (st, 6);
  item->attempts = sqlite3_column_int (st, 7);
  item->last_error = col_dup (st, 8);
  item->failed = sqlite3_column_int (st, 9) != 0;
  item->created_at = sqlite3_column_int64 (st, 10);
  return item;
}

static gboolean
check_campaign (const CsCampaign *c, GError **error)
{
  if (c == NULL || c->id == NULL || c->title == NULL || c->category == NULL ||
      c->creator_id == NULL || c->rewards == NULL)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                   _("A campaign without an id, title, category or creator cannot be cached"));
      return FALSE;
    }
  return TRUE;
}

/* Upserts @c; with @with_tiers its tiers replace the cached ones (a full
 * campaign), otherwise the cached tiers stay (a summary). */
static gboolean
upsert_campaign (CsCache *self, const CsCampaign *c, gboolean with_tiers, gint64 now, GError **error)
{
  CsStmt *st;

  if (!check_campaign (c, error))
    return FALSE;
  if ((st = stmt (self, ST_UPSERT_CAMPAIGN, error)) == NULL)
    return FALSE;
  {
    g_autoptr(CsStmt) up = st;

    bind_text (up, 1, c->id);
    bind_text (up, 2, c->creator_id);
    bind_text (up, 3, c->creator.username);
    bind_text (up, 4, c->creator.display_name);
    bind_text (up, 5, c->title);
    bind_text (up, 6, c->description != NULL ? c->description : "");
    bind_text (up, 7, c->category);
    sqlite3_bind_int64 (up, 8, c->goal_amount);
    sqlite3_bind_int64 (up, 9, c->current_amount);
    bind_text (up, 10, c->currency);
    sqlite3_bind_int64 (up, 11, c->backer_count);
    bind_text (up, 12, cs_campaign_status_to_string (c->status));
    sqlite3_bind_int (up, 13, c->duration_days);
    sqlite3_bind_int64 (up, 14, c->start_date);
    sqlite3_bind_int64 (up, 15, c->end_date);
    bind_text (up, 16, c->image_url);
    bind_text (up, 17, c->rejection_reason);
    sqlite3_bind_int64 (up, 18, c->created_at);
    sqlite3_bind_int64 (up, 19, c->updated_at);
    sqlite3_bind_int64 (up, 20, c->published_at);
    sqlite3_bind_int (up, 21, with_tiers ? 1 : 0);
    sqlite3_bind_int64 (up, 22, trend_score (c, now));
    if (!step_done (self, up, error))
      return FALSE;
  }
  if (!with_tiers)
    return TRUE;

  if ((st = stmt (self, ST_DELETE_TIERS_OF, error)) == NULL)
    return FALSE;
  {
    g_autoptr(CsStmt) del = st;

    bind_text (del, 1, c->id);
    if (!step_done (self, del, error))
      return FALSE;
  }
  for (guint i = 0; i < c->rewards->len; i++)
    {
      const CsRewardTier *t = g_ptr_array_index (c->rewards, i);
      g_autoptr(CsStmt) ins = NULL;

      if (t == NULL || t->id == NULL || t->title == NULL)
        continue;
      if ((ins = stmt (self, ST_UPSERT_TIER, error)) == NULL)
        return FALSE;
      bind_text (ins, 1, t->id);
      bind_text (ins, 2, c->id);
      bind_text (ins, 3, t->title);
      bind_text (ins, 4, t->description != NULL ? t->description : "");
      sqlite3_bind_int64 (ins, 5, t->minimum_pledge);
      bind_text (ins, 6, t->estimated_delivery_date);
      sqlite3_bind_int64 (ins, 7, t->quantity_available);
      sqlite3_bind_int64 (ins, 8, t->quantity_claimed);
      sqlite3_bind_int (ins, 9, t->position);
      sqlite3_bind_int64 (ins, 10, t->created_at);
      sqlite3_bind_int64 (ins, 11, t->updated_at);
      if (!step_done (self, ins, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
run_by_text (CsCache *self, StatementId id, const char *text, GError **error)
{
  g_autoptr(CsStmt) st = stmt (self, id, error);

  if (st == NULL)
    return FALSE;
  bind_text (st, 1, text);
  return step_done (self, st, error);
}

static gboolean
run_by_int (CsCache *self, StatementId id, gint64 value, GError **error)
{
  g_autoptr(CsStmt) st = stmt (self, id, error);

  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64 (st, 1, value);
  return step_done (self, st, error);
}

static gboolean
upsert_pledge (CsCache *self, const char *user_id, const CsPledge *p, GError **error)
{
  g_autoptr(CsStmt) st = NULL;

  if (p == NULL || p->id == NULL || p->campaign_id == NULL)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                   _("A pledge without an id or campaign cannot be cached"));
      return FALSE;
    }
  if ((st = stmt (self, ST_UPSERT_PLEDGE, error)) == NULL)
    return FALSE;
  bind_text (st, 1, user_id);
  bind_text (st, 2, p->id);
  bind_text (st, 3, p->backer_id);
  bind_text (st, 4, p->campaign_id);
  sqlite3_bind_int64 (st, 5, p->amount);
  bind_text (st, 6, p->currency);
  bind_text (st, 7, p->reward_tier_id);
  bind_text (st, 8, cs_pledge_status_to_string (p->status));
  bind_text (st, 9, p->transaction_id);
  bind_text (st, 10, p->payment_method_id);
  bind_text (st, 11, p->failure_reason);
  sqlite3_bind_int64 (st, 12, p->capture_retry_until);
  sqlite3_bind_int64 (st, 13, p->created_at);
  sqlite3_bind_int64 (st, 14, p->updated_at);
  bind_text (st, 15, p->backer_name);
  bind_text (st, 16, p->campaign_title);
  bind_text (st, 17, p->reward_title);
  return step_done (self, st, error);
}

/* The FTS5 query for a person's words: each run of letters, digits and marks
 * (how unicode61 splits text) becomes a double-quoted string followed by *
 * (a prefix), all of them required.  Nothing else of the input reaches FTS5,
 * so quotes, AND, NEAR(, * or ^ are just separators.  NULL: no word. */
static char *
fts_match (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *s = g_string_new (NULL);
  gboolean in_word = FALSE;
  guint n = 0;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c) || g_unichar_ismark (c))
        {
          if (!in_word)
            {
              if (n == SEARCH_MAX_WORDS)
                break;
              g_string_append (s, n > 0 ? " \"" : "\"");
              in_word = TRUE;
              n++;
            }
          g_string_append_len (s, p, g_utf8_next_char (p) - p);
        }
      else if (in_word)
        {
          g_string_append (s, "\"*");
          in_word = FALSE;
        }
    }
  if (in_word)
    g_string_append (s, "\"*");
  if (n == 0)
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  return g_string_free (s, FALSE);
}

/* The shape of a query: which statement text it needs. */
static guint
query_shape (const CsCacheQuery *q, gboolean has_match, gboolean dense, gboolean probe)
{
  guint sort = CLAMP ((guint) q->sort, CS_API_SORT_TRENDING, CS_API_SORT_MOST_FUNDED);

  return (sort << 5) | (probe << 4) | (dense << 3) | ((q->category != NULL) << 2) |
         (has_match << 1) | (q->public_only != 0);
}

/* Appends up to @max more rowids of the running match statement @st to
 * self->matches (ascending: the FTS index is in rowid order); *done once
 * there are no more. */
static gboolean
read_matches (CsCache *self, sqlite3_stmt *st, guint max, gboolean *done, GError **error)
{
  int rc = SQLITE_DONE;

  for (guint n = 0; n < max && (rc = sqlite3_step (st)) == SQLITE_ROW; n++)
    {
      gint64 rowid = sqlite3_column_int64 (st, 0);

      g_array_append_val (self->matches, rowid);
    }
  if (rc == SQLITE_ROW)
    {
      *done = FALSE;
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return sq_fail (self->db, "search", error);
  *done = TRUE;
  return TRUE;
}

static int
probe_collect_cb (void *data, int flags, const char *token, int n_token, int start, int end)
{
  GPtrArray *tokens = data;

  g_ptr_array_add (tokens, g_strndup (token, n_token));
  return SQLITE_OK;
}

/* Fills @probe with the tokens of @match's words (FTS5's tokenizer, as the
 * MATCH would make them); FALSE if a word is not exactly one token (a
 * phrase), which only the FTS index answers. */
static gboolean
probe_init (CsCache *self, const char *match, Probe *probe, GPtrArray *tokens)
{
  g_auto(GStrv) parts = g_strsplit (match, "\"", -1);

  if (self->tokenizer == NULL)
    {
      static const char *args[] = { "remove_diacritics", "2" };
      fts5_api *api = NULL;
      sqlite3_stmt *st = NULL;
      void *user_data = NULL;

      if (sqlite3_prepare_v2 (self->db, "SELECT fts5 (?1)", -1, &st, NULL) != SQLITE_OK)
        return FALSE;
      sqlite3_bind_pointer (st, 1, &api, "fts5_api_ptr", NULL);
      sqlite3_step (st);
      sqlite3_finalize (st);
      if (api == NULL ||
          api->xFindTokenizer (api, "unicode61", &user_data, &self->tokenizer_api) != SQLITE_OK ||
          self->tokenizer_api.xCreate (user_data, args, G_N_ELEMENTS (args), &self->tokenizer) != SQLITE_OK)
        {
          self->tokenizer = NULL;
          return FALSE;
        }
    }
  memset (probe, 0, sizeof *probe);
  probe->api = self->tokenizer_api;
  probe->tokenizer = self->tokenizer;
  /* "w1"* "w2"*: the words are the odd parts. */
  for (guint i = 1; parts[i] != NULL; i += 2)
    {
      guint before = tokens->len;

      if (self->tokenizer_api.xTokenize (self->tokenizer, tokens,
                                         FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX,
                                         parts[i], strlen (parts[i]), probe_collect_cb) != SQLITE_OK ||
          tokens->len != before + 1 || probe->n_tokens == SEARCH_MAX_WORDS)
        return FALSE;
      probe->tokens[probe->n_tokens] = g_ptr_array_index (tokens, before);
      probe->lengths[probe->n_tokens] = strlen (probe->tokens[probe->n_tokens]);
      probe->n_tokens++;
      if (parts[i + 1] == NULL)
        break;
    }
  return probe->n_tokens > 0;
}

/* Whether testing rows should cost less than reading the rest of the
 * matches, given the first self->matches->len of them read at
 * @read_match_ns each; sets the probe's budget. */
static gboolean
probe_pays (CsCache *self, const CsCacheQuery *q, double read_match_ns, Probe *probe, GError **error)
{
  g_autoptr(CsStmt) st = stmt (self, ST_ROWID_RANGE, error);
  gint64 first, last, seen;
  double density, expected_matches, expected_rows;

  if (st == NULL || sqlite3_step (st) != SQLITE_ROW)
    return FALSE;
  first = sqlite3_column_int64 (st, 0);
  last = sqlite3_column_int64 (st, 1);
  seen = g_array_index (self->matches, gint64, self->matches->len - 1);
  if (seen < first || last < seen)
    return FALSE;
  density = (double) self->matches->len / (double) (seen - first + 1);
  expected_matches = density * (double) (last - first + 1);
  expected_rows = q->limit / density;
  if (expected_rows * PROBE_ROW_NS >= (expected_matches - self->matches->len) * read_match_ns)
    return FALSE;
  probe->budget = (guint) MIN (expected_rows * PROBE_BUDGET_FACTOR + PROBE_BUDGET_SLACK, G_MAXUINT / 2);
  return TRUE;
}

/* The sort orders mirror the server's (cs-store-sqlite.c, append_order and
 * append_filters): trending by trend score (see TREND_SQL) then percent
 * funded; newest by listed_at (published, else created); ending soon: live
 * campaigns not yet ended, soonest first; most funded by percent funded.
 * Ties go to the most recently cached row, as the server's go to its rowid.
 * ?1 match, ?2 category, ?3 now, ?4 limit (-1: none), ?5 the match array
 * (a pointer, MATCHES_POINTER), ?6 the probe (PROBE_POINTER). */
static char *
query_sql (guint shape)
{
  CsApiSort sort = shape >> 5;
  GString *sql = g_string_new ("SELECT " CAMPAIGN_COLS " FROM campaigns c WHERE 1");

  /* Sparse: SQLite drives the query from the FTS index; dense: each row of
   * the sort index is tested against the match array (?5); probe: against
   * the words (?6), last (after the cheaper tests). */
  if ((shape & 2) && !(shape & 8) && !(shape & 16))
    g_string_append (sql, " AND c.rowid IN (SELECT rowid FROM campaigns_fts WHERE campaigns_fts MATCH ?1)");
  else if (shape & 8)
    g_string_append (sql, " AND cs_matched (?5, c.rowid)");
  if (shape & 4)
    g_string_append (sql, " AND c.category = ?2");
  if (shape & 1)
    g_string_append (sql, " AND c.public = 1");
  if (sort == CS_API_SORT_ENDING_SOON)
    g_string_append (sql, " AND c.status = 'live' AND c.end_date > ?3");
  if (shape & 16)
    g_string_append (sql, " AND cs_probe (?6, c.title, c.creator_display_name, c.creator_username, "
                          "c.category, c.description)");
  switch (sort)
    {
    case CS_API_SORT_NEWEST:
      g_string_append (sql, " ORDER BY c.listed_at DESC, c.rowid DESC");
      break;
    case CS_API_SORT_ENDING_SOON:
      g_string_append (sql, " ORDER BY c.end_date, c.rowid");
      break;
    case CS_API_SORT_MOST_FUNDED:
      g_string_append (sql, " ORDER BY c.funded_bp DESC, c.rowid DESC");
      break;
    case CS_API_SORT_TRENDING:
    default:
      g_string_append (sql, " ORDER BY c.trend_score DESC, c.funded_bp DESC, c.rowid DESC");
      break;
    }
  g_string_append (sql, " LIMIT ?4");
  return g_string_free (sql, FALSE);
}

/* Runs the query of @shape; FALSE with no error: the probe gave up. */
static gboolean
run_query (CsCache *self, const CsCacheQuery *q, guint shape, const char *match, Probe *probe,
           GPtrArray *out, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup (self->query_statements, GUINT_TO_POINTER (shape));
  int rc;

  if (st == NULL)
    {
      g_autofree char *sql = query_sql (shape);

      if ((st = prepare (self->db, sql, error)) == NULL)
        return FALSE;
      g_hash_table_insert (self->query_statements, GUINT_TO_POINTER (shape), st);
    }
  {
    g_autoptr(CsStmt) lease = st;

    bind_text (lease, 1, match);
    bind_text (lease, 2, q->category);
    sqlite3_bind_int64 (lease, 3, cs_now_seconds ());
    sqlite3_bind_int64 (lease, 4, q->limit > 0 ? (gint64) q->limit : -1);
    if (shape & 8)
      sqlite3_bind_pointer (lease, 5, self->matches, MATCHES_POINTER, NULL);
    if (shape & 16)
      sqlite3_bind_pointer (lease, 6, probe, PROBE_POINTER, NULL);
    while ((rc = sqlite3_step (lease)) == SQLITE_ROW)
      g_ptr_array_add (out, read_campaign (lease));
    if (rc != SQLITE_DONE)
      {
        if (probe != NULL && probe->over_budget)
          return FALSE;
        return sq_fail (self->db, "query campaigns", error);
      }
  }
  return TRUE;
}

static GPtrArray *
do_query_campaigns (CsCache *self, const CsCacheQuery *q, GError **error)
{
  g_autofree char *match = q->text != NULL ? fts_match (q->text) : NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  gboolean dense = FALSE;

  if (match != NULL)
    {
      g_autoptr(CsStmt) st = stmt (self, ST_MATCHES, error);
      gboolean done = FALSE;
      gint64 start;
      double read_match_ns;

      if (st == NULL)
        return NULL;
      g_array_set_size (self->matches, 0);
      bind_text (st, 1, match);
      /* The first match (after any merging of a prefix's terms), then the
       * sample, timed. */
      if (!read_matches (self, st, 1, &done, error))
        return NULL;
      start = g_get_monotonic_time ();
      if (!done && !read_matches (self, st, PROBE_SAMPLE - 1, &done, error))
        return NULL;
      read_match_ns = (g_get_monotonic_time () - start) * 1000.0 / MAX (1, self->matches->len - 1);
      /* A word found nearly everywhere: test the rows of the page instead. */
      if (!done && q->limit > 0)
        {
          g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
          Probe probe;

          if (probe_init (self, match, &probe, tokens) && probe_pays (self, q, read_match_ns, &probe, error))
            {
              if (run_query (self, q, query_shape (q, TRUE, FALSE, TRUE), match, &probe, out, error))
                return g_steal_pointer (&out);
              if (!probe.over_budget)
                return NULL;
              g_ptr_array_set_size (out, 0);
            }
          else if (error != NULL && *error != NULL)
            return NULL;
        }
      if (!done && !read_matches (self, st, G_MAXUINT, &done, error))
        return NULL;
      if (self->matches->len == 0)
        return g_steal_pointer (&out);
      dense = self->matches->len > SPARSE_MATCHES;
    }
  if (!run_query (self, q, query_shape (q, match != NULL, dense, FALSE), match, NULL, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

static gboolean
do_put_campaigns (CsCache *self, GPtrArray *campaigns, GError **error)
{
  gint64 now = cs_now_seconds ();

  if (!begin (self, error))
    return FALSE;
  for (guint i = 0; i < campaigns->len; i++)
    {
      const CsCampaign *c = g_ptr_array_index (campaigns, i);

      if (!upsert_campaign (self, c, c != NULL && c->rewards != NULL && c->rewards->len > 0, now, error))
        {
          rollback (self);
          return FALSE;
        }
    }
  if (!commit (self, error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

/* ---- helpers: the worker ---- */

static gboolean
changed_idle_cb (gpointer data)
{
  gpointer *pair = data;

  g_signal_emit (pair[0], signals[CHANGED], GPOINTER_TO_UINT (pair[1]));
  g_object_unref (pair[0]);
  g_free (pair);
  return G_SOURCE_REMOVE;
}

/* Emits "changed::@detail" on the main context, later (any thread). */
static void
emit_changed (CsCache *self, const char *detail)
{
  gpointer *pair = g_new (gpointer, 2);
  GSource *source = g_idle_source_new ();

  pair[0] = g_object_ref (self);
  pair[1] = GUINT_TO_POINTER (g_quark_from_static_string (detail));
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, changed_idle_cb, pair, NULL);
  g_source_set_static_name (source, "[crowdspark] cache changed");
  g_source_attach (source, self->main_context);
  g_source_unref (source);
}

static gboolean
unref_task_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

/* Pool function: runs a job with the lock held.  The worker's reference to
 * the task is dropped on the task's context, so that the cache (which the
 * task holds) is never finalized on its own worker. */
static void
worker_cb (gpointer data, gpointer user_data)
{
  Job *job = data;
  CsCache *self = user_data;
  GSource *source;

  if (!g_task_return_error_if_cancelled (job->task))
    {
      g_mutex_lock (&self->lock);
      job->func (job->task, self, g_task_get_task_data (job->task), g_task_get_cancellable (job->task));
      g_mutex_unlock (&self->lock);
    }
  source = g_idle_source_new ();
  g_source_set_callback (source, unref_task_cb, job->task, NULL);
  g_source_attach (source, g_task_get_context (job->task));
  g_source_unref (source);
  g_free (job);
}

static void
run_job (CsCache *self, gpointer source_tag, gpointer data, GDestroyNotify data_free,
         GTaskThreadFunc func, GCancellable *cancellable, GAsyncReadyCallback callback,
         gpointer user_data)
{
  Job *job = g_new0 (Job, 1);

  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  g_task_set_task_data (job->task, data, data_free);
  job->func = func;
  g_thread_pool_push (self->pool, job, NULL);
}

static void
return_boolean (GTask *task, gboolean ok, GError *error)
{
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* ---- jobs (on the worker, with the lock held) ---- */

typedef struct {
  GPtrArray *campaigns;   /* CsCampaign* */
  GPtrArray *tombstones;  /* CsApiTombstone* (our copies) */
  char      *next_cursor;
} SyncData;

static void
tombstone_free (CsApiTombstone *t)
{
  g_free (t->type);
  g_free (t->id);
  g_free (t->campaign_id);
  g_free (t);
}

static void
sync_data_free (SyncData *d)
{
  g_ptr_array_unref (d->campaigns);
  g_ptr_array_unref (d->tombstones);
  g_free (d->next_cursor);
  g_free (d);
}

static gboolean
do_apply_sync (CsCache *self, SyncData *d, GError **error)
{
  gint64 now = cs_now_seconds ();

  if (!begin (self, error))
    return FALSE;
  for (guint i = 0; i < d->campaigns->len; i++)
    if (!upsert_campaign (self, g_ptr_array_index (d->campaigns, i), TRUE, now, error))
      goto fail;
  /* Tombstones last: a deletion wins over an upsert of the same page. */
  for (guint i = 0; i < d->tombstones->len; i++)
    {
      const CsApiTombstone *t = g_ptr_array_index (d->tombstones, i);

      if (t->type == NULL || t->id == NULL)
        continue;
      if (strcmp (t->type, "campaign") == 0 && !run_by_text (self, ST_DELETE_CAMPAIGN, t->id, error))
        goto fail;
      if (strcmp (t->type, "reward_tier") == 0 && !run_by_text (self, ST_DELETE_TIER, t->id, error))
        goto fail;
    }
  if (d->next_cursor != NULL)
    {
      g_autoptr(CsStmt) st = stmt (self, ST_SET_VALUE, error);

      if (st == NULL)
        goto fail;
      bind_text (st, 1, "sync.cursor");
      bind_text (st, 2, d->next_cursor);
      if (!step_done (self, st, error))
        goto fail;
    }
  if (!commit (self, error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static void
apply_sync_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean ok = do_apply_sync (source, data, &error);

  if (ok)
    emit_changed (source, "campaigns");
  return_boolean (task, ok, error);
}

static void
put_campaigns_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean ok = do_put_campaigns (source, data, &error);

  if (ok)
    emit_changed (source, "campaigns");
  return_boolean (task, ok, error);
}

typedef struct {
  char   *campaign_id;
  gint64  current_amount;
  gint64  backer_count;
  char   *status;
} ProgressData;

static void
progress_data_free (ProgressData *d)
{
  g_free (d->campaign_id);
  g_free (d->status);
  g_free (d);
}

static void
update_progress_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  ProgressData *d = data;
  GError *error = NULL;
  g_autoptr(CsStmt) st = stmt (self, ST_UPDATE_PROGRESS, &error);

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bind_text (st, 1, d->campaign_id);
  sqlite3_bind_int64 (st, 2, d->current_amount);
  sqlite3_bind_int64 (st, 3, d->backer_count);
  bind_text (st, 4, d->status);
  sqlite3_bind_int64 (st, 5, cs_now_seconds ());
  if (!step_done (self, st, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (sqlite3_changes (self->db) > 0)
    emit_changed (self, "campaigns");
  g_task_return_boolean (task, TRUE);
}

typedef struct {
  CsApiSort sort;
  char     *category;
  char     *text;
  guint     limit;
  gboolean  public_only;
} QueryData;

static void
query_data_free (QueryData *d)
{
  g_free (d->category);
  g_free (d->text);
  g_free (d);
}

static void
query_campaigns_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  QueryData *d = data;
  CsCacheQuery q = { d->sort, d->category, d->text, d->limit, d->public_only };
  GError *error = NULL;
  GPtrArray *result = do_query_campaigns (source, &q, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) g_ptr_array_unref);
}

static void
get_campaign_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  GError *error = NULL;
  g_autoptr(CsCampaign) campaign = NULL;
  int rc;

  {
    g_autoptr(CsStmt) st = stmt (self, ST_GET_CAMPAIGN, &error);

    if (st == NULL)
      {
        g_task_return_error (task, error);
        return;
      }
    bind_text (st, 1, data);
    rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
      campaign = read_campaign (st);
    else if (rc != SQLITE_DONE)
      {
        sq_fail (self->db, "get campaign", &error);
        g_task_return_error (task, error);
        return;
      }
  }
  if (campaign == NULL)
    {
      g_task_return_new_error (task, CS_ERROR, CS_ERROR_NOT_FOUND,
                               _("This campaign is not in the offline cache"));
      return;
    }
  {
    g_autoptr(CsStmt) st = stmt (self, ST_GET_TIERS, &error);

    if (st == NULL)
      {
        g_task_return_error (task, error);
        return;
      }
    bind_text (st, 1, data);
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      g_ptr_array_add (campaign->rewards, read_tier (st));
    if (rc != SQLITE_DONE)
      {
        sq_fail (self->db, "get tiers", &error);
        g_task_return_error (task, error);
        return;
      }
  }
  g_task_return_pointer (task, g_steal_pointer (&campaign), (GDestroyNotify) cs_campaign_free);
}

static void
list_categories_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  GError *error = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_category_free);
  g_autoptr(CsStmt) st = stmt (self, ST_LIST_CATEGORIES, &error);
  int rc;

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      CsCategory *c = g_new0 (CsCategory, 1);

      c->slug = col_dup (st, 0);
      c->name = col_dup (st, 1);
      c->live_count = sqlite3_column_int64 (st, 2);
      g_ptr_array_add (out, c);
    }
  if (rc != SQLITE_DONE)
    {
      sq_fail (self->db, "list categories", &error);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&out), (GDestroyNotify) g_ptr_array_unref);
}

static gboolean
do_put_categories (CsCache *self, GPtrArray *categories, GError **error)
{
  if (!begin (self, error))
    return FALSE;
  if (!run_by_text (self, ST_DELETE_CATEGORIES, NULL, error))
    goto fail;
  for (guint i = 0; i < categories->len; i++)
    {
      const CsCategory *c = g_ptr_array_index (categories, i);
      g_autoptr(CsStmt) st = NULL;

      if (c == NULL || c->slug == NULL)
        continue;
      if ((st = stmt (self, ST_INSERT_CATEGORY, error)) == NULL)
        goto fail;
      bind_text (st, 1, c->slug);
      bind_text (st, 2, c->name != NULL ? c->name : c->slug);
      if (!step_done (self, st, error))
        goto fail;
    }
  if (!commit (self, error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static void
put_categories_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean ok = do_put_categories (source, data, &error);

  if (ok)
    emit_changed (source, "categories");
  return_boolean (task, ok, error);
}

typedef struct {
  char      *user_id;
  GPtrArray *pledges;
  gboolean   replace_all;
} PledgesData;

static void
pledges_data_free (PledgesData *d)
{
  g_free (d->user_id);
  g_ptr_array_unref (d->pledges);
  g_free (d);
}

static gboolean
do_put_pledges (CsCache *self, PledgesData *d, GError **error)
{
  if (!begin (self, error))
    return FALSE;
  if (d->replace_all && !run_by_text (self, ST_DELETE_PLEDGES_OF, d->user_id, error))
    goto fail;
  for (guint i = 0; i < d->pledges->len; i++)
    if (!upsert_pledge (self, d->user_id, g_ptr_array_index (d->pledges, i), error))
      goto fail;
  if (!commit (self, error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static void
put_pledges_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean ok = do_put_pledges (source, data, &error);

  if (ok)
    emit_changed (source, "pledges");
  return_boolean (task, ok, error);
}

static void
list_pledges_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  GError *error = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_pledge_free);
  g_autoptr(CsStmt) st = stmt (self, ST_LIST_PLEDGES, &error);
  int rc;

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bind_text (st, 1, data);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (out, read_pledge (st));
  if (rc != SQLITE_DONE)
    {
      sq_fail (self->db, "list pledges", &error);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&out), (GDestroyNotify) g_ptr_array_unref);
}

static void
get_image_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  GError *error = NULL;
  g_autoptr(CsStmt) st = stmt (self, ST_GET_IMAGE, &error);
  int rc;

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bind_text (st, 1, data);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    g_task_return_pointer (task,
                           g_bytes_new (sqlite3_column_blob (st, 0), sqlite3_column_bytes (st, 0)),
                           (GDestroyNotify) g_bytes_unref);
  else if (rc == SQLITE_DONE)
    g_task_return_pointer (task, NULL, NULL);
  else
    {
      sq_fail (self->db, "get image", &error);
      g_task_return_error (task, error);
    }
}

typedef struct {
  char   *key;     /* url or key */
  char   *value;
  GBytes *bytes;
} KeyValueData;

static void
key_value_data_free (KeyValueData *d)
{
  g_free (d->key);
  g_free (d->value);
  g_clear_pointer (&d->bytes, g_bytes_unref);
  g_free (d);
}

static void
put_image_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  KeyValueData *d = data;
  GError *error = NULL;
  g_autoptr(CsStmt) st = stmt (self, ST_PUT_IMAGE, &error);
  gsize size;
  gconstpointer bytes;

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bytes = g_bytes_get_data (d->bytes, &size);
  bind_text (st, 1, d->key);
  sqlite3_bind_blob64 (st, 2, bytes != NULL ? bytes : "", size, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 3, cs_now_seconds ());
  return_boolean (task, step_done (self, st, &error), error);
}

static void
get_value_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  GError *error = NULL;
  g_autoptr(CsStmt) st = stmt (self, ST_GET_VALUE, &error);
  int rc;

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bind_text (st, 1, data);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    g_task_return_pointer (task, col_dup (st, 0), g_free);
  else if (rc == SQLITE_DONE)
    g_task_return_pointer (task, NULL, NULL);
  else
    {
      sq_fail (self->db, "get value", &error);
      g_task_return_error (task, error);
    }
}

static void
set_value_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  KeyValueData *d = data;
  GError *error = NULL;
  g_autoptr(CsStmt) st = stmt (self, d->value != NULL ? ST_SET_VALUE : ST_DELETE_VALUE, &error);

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bind_text (st, 1, d->key);
  if (d->value != NULL)
    bind_text (st, 2, d->value);
  return_boolean (task, step_done (self, st, &error), error);
}

static gint64
do_outbox_add (CsCache *self, const CsOutboxItem *item, GError **error)
{
  gint64 id = -1;

  {
    g_autoptr(CsStmt) st = stmt (self, ST_OUTBOX_ADD, error);

    if (st == NULL)
      return -1;
    bind_text (st, 1, item->kind);
    bind_text (st, 2, item->method);
    bind_text (st, 3, item->path);
    bind_text (st, 4, item->body);
    bind_text (st, 5, item->idempotency_key);
    bind_text (st, 6, item->target_id);
    sqlite3_bind_int64 (st, 7, cs_now_seconds ());
    if (!step_done (self, st, error))
      return -1;
  }
  {
    g_autoptr(CsStmt) st = stmt (self, ST_OUTBOX_ID_OF_KEY, error);

    if (st == NULL)
      return -1;
    bind_text (st, 1, item->idempotency_key);
    if (sqlite3_step (st) == SQLITE_ROW)
      id = sqlite3_column_int64 (st, 0);
    else
      sq_fail (self->db, "outbox id", error);
  }
  return id;
}

static void
outbox_add_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  gint64 id = do_outbox_add (source, data, &error);

  if (id < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  emit_changed (source, "outbox");
  g_task_return_int (task, id);
}

static void
outbox_list_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  GError *error = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_outbox_item_free);
  g_autoptr(CsStmt) st = stmt (self, ST_OUTBOX_LIST, &error);
  int rc;

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (out, read_outbox_item (st));
  if (rc != SQLITE_DONE)
    {
      sq_fail (self->db, "list outbox", &error);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&out), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  gint64    id;
  char     *user_id;
  CsPledge *pledge;     /* or NULL */
  char     *message;
  gboolean  give_up;
} OutboxData;

static void
outbox_data_free (OutboxData *d)
{
  g_free (d->user_id);
  g_clear_pointer (&d->pledge, cs_pledge_free);
  g_free (d->message);
  g_free (d);
}

static gboolean
do_outbox_done (CsCache *self, OutboxData *d, GError **error)
{
  if (!begin (self, error))
    return FALSE;
  if (!run_by_int (self, ST_OUTBOX_DELETE, d->id, error))
    goto fail;
  if (d->pledge != NULL && !upsert_pledge (self, d->user_id, d->pledge, error))
    goto fail;
  if (!commit (self, error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static void
outbox_done_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  OutboxData *d = data;
  GError *error = NULL;
  gboolean ok = do_outbox_done (source, d, &error);

  if (ok)
    {
      if (d->pledge != NULL)
        emit_changed (source, "pledges");
      emit_changed (source, "outbox");
    }
  return_boolean (task, ok, error);
}

static void
outbox_failed_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CsCache *self = source;
  OutboxData *d = data;
  GError *error = NULL;
  g_autoptr(CsStmt) st = stmt (self, ST_OUTBOX_FAILED, &error);

  if (st == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_int64 (st, 1, d->id);
  bind_text (st, 2, d->message);
  sqlite3_bind_int (st, 3, d->give_up ? 1 : 0);
  if (!step_done (self, st, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  emit_changed (self, "outbox");
  g_task_return_boolean (task, TRUE);
}

static void
outbox_remove_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  OutboxData *d = data;
  GError *error = NULL;

  if (!run_by_int (source, ST_OUTBOX_DELETE, d->id, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  emit_changed (source, "outbox");
  g_task_return_boolean (task, TRUE);
}

static gboolean
do_forget_user (CsCache *self, GError **error)
{
  if (!begin (self, error))
    return FALSE;
  if (!run_by_text (self, ST_FORGET_PLEDGES, NULL, error) ||
      !run_by_text (self, ST_FORGET_OUTBOX, NULL, error) ||
      !run_by_text (self, ST_DELETE_VALUE, "sync.cursor", error) ||
      !commit (self, error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

static void
forget_user_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean ok = do_forget_user (source, &error);

  if (ok)
    {
      emit_changed (source, "pledges");
      emit_changed (source, "outbox");
    }
  return_boolean (task, ok, error);
}

/* ---- overrides ---- */

static gboolean
cs_cache_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  CsCache *self = CS_CACHE (initable);
  gint64 version;

  if (self->path == NULL)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID, _("The offline cache needs a file name"));
      return FALSE;
    }
  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, _("Cannot open the offline cache “%s”: %s"),
                   self->path, self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      return FALSE;
    }
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (self->db, 1);

  /* Refuse a newer file before changing anything in it. */
  version = user_version (self->db, error);
  if (version < 0 || !refuse_newer (self->path, version, error))
    return FALSE;

  /* The search index of 100,000 campaigns is ~100 MB: map it rather than
   * copy its pages through a small page cache (bench-cache). */
  if (!sq_exec (self->db, "PRAGMA journal_mode = WAL", error) ||
      !sq_exec (self->db, "PRAGMA synchronous = NORMAL", error) ||
      !sq_exec (self->db, "PRAGMA cache_size = -16384", error) ||
      !sq_exec (self->db, "PRAGMA mmap_size = 268435456", error) ||
      !sq_exec (self->db, "PRAGMA foreign_keys = ON", error))
    return FALSE;
  if (sqlite3_create_function_v2 (self->db, "cs_matched", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                  matched_func, NULL, NULL, NULL) != SQLITE_OK)
    return sq_fail (self->db, "cs_matched", error);
  if (sqlite3_create_function_v2 (self->db, "cs_probe", -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                  probe_func, NULL, NULL, NULL) != SQLITE_OK)
    return sq_fail (self->db, "cs_probe", error);
  return migrate (self, error);
}

static void
cs_cache_initable_iface_init (GInitableIface *iface)
{
  iface->init = cs_cache_initable_init;
}

static void
cs_cache_finalize (GObject *object)
{
  CsCache *self = CS_CACHE (object);

  /* Every job holds a reference: the queue is empty by now. */
  g_thread_pool_free (self->pool, FALSE, TRUE);
  g_hash_table_unref (self->query_statements);
  g_array_unref (self->matches);
  if (self->tokenizer != NULL)
    self->tokenizer_api.xDelete (self->tokenizer);
  for (guint i = 0; i < N_STATEMENTS; i++)
    sqlite3_finalize (self->statements[i]);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_mutex_clear (&self->lock);
  g_main_context_unref (self->main_context);
  g_free (self->path);

  G_OBJECT_CLASS (cs_cache_parent_class)->finalize (object);
}

static void
cs_cache_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsCache *self = CS_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_cache_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CsCache *self = CS_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_cache_class_init (CsCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cs_cache_finalize;
  object_class->get_property = cs_cache_get_property;
  object_class->set_property = cs_cache_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CsCache::changed:
   *
   * After a write, on the main context; the detail says what changed:
   * "campaigns", "pledges", "outbox" (or "categories").
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cs_cache_init (CsCache *self)
{
  g_mutex_init (&self->lock);
  self->main_context = g_main_context_ref_thread_default ();
  self->query_statements = g_hash_table_new_full (NULL, NULL, NULL, statement_free);
  self->matches = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->pool = g_thread_pool_new (worker_cb, self, 1, TRUE, NULL);
}

/* ---- public API ---- */

void
cs_outbox_item_free (CsOutboxItem *item)
{
  if (item == NULL)
    return;
  g_free (item->kind);
  g_free (item->method);
  g_free (item->path);
  g_free (item->body);
  g_free (item->idempotency_key);
  g_free (item->target_id);
  g_free (item->last_error);
  g_free (item);
}

CsCache *
cs_cache_new (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_initable_new (CS_TYPE_CACHE, NULL, error, "path", path, NULL);
}

const char *
cs_cache_get_path (CsCache *self)
{
  g_return_val_if_fail (CS_IS_CACHE (self), NULL);

  return self->path;
}

void
cs_cache_apply_sync_async (CsCache *self, const CsApiSyncPage *page, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  SyncData *d;

  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (page != NULL);

  d = g_new0 (SyncData, 1);
  d->campaigns = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  d->tombstones = g_ptr_array_new_with_free_func ((GDestroyNotify) tombstone_free);
  for (guint i = 0; page->campaigns != NULL && i < page->campaigns->len; i++)
    g_ptr_array_add (d->campaigns, cs_campaign_copy (g_ptr_array_index (page->campaigns, i)));
  for (guint i = 0; page->tombstones != NULL && i < page->tombstones->len; i++)
    {
      const CsApiTombstone *t = g_ptr_array_index (page->tombstones, i);
      CsApiTombstone *copy = g_new0 (CsApiTombstone, 1);

      copy->type = g_strdup (t->type);
      copy->id = g_strdup (t->id);
      copy->campaign_id = g_strdup (t->campaign_id);
      copy->deleted_at = t->deleted_at;
      g_ptr_array_add (d->tombstones, copy);
    }
  d->next_cursor = g_strdup (page->next_cursor);
  run_job (self, cs_cache_apply_sync_async, d, (GDestroyNotify) sync_data_free, apply_sync_run,
           cancellable, callback, user_data);
}

gboolean
cs_cache_apply_sync_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* @campaigns is referenced until the call completes: do not change it. */
void
cs_cache_put_campaigns_async (CsCache *self, GPtrArray *campaigns, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (campaigns != NULL);

  run_job (self, cs_cache_put_campaigns_async, g_ptr_array_ref (campaigns),
           (GDestroyNotify) g_ptr_array_unref, put_campaigns_run, cancellable, callback, user_data);
}

gboolean
cs_cache_put_campaigns_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_update_progress_async (CsCache *self, const char *campaign_id, gint64 current_amount,
                                gint64 backer_count, const char *status, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  ProgressData *d;
  CsCampaignStatus parsed;

  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (campaign_id != NULL);

  if (status != NULL && !cs_campaign_status_from_string (status, &parsed))
    {
      g_task_report_new_error (self, callback, user_data, cs_cache_update_progress_async,
                               CS_ERROR, CS_ERROR_INVALID, _("Unknown campaign status “%s”"), status);
      return;
    }
  d = g_new0 (ProgressData, 1);
  d->campaign_id = g_strdup (campaign_id);
  d->current_amount = current_amount;
  d->backer_count = backer_count;
  d->status = g_strdup (status);
  run_job (self, cs_cache_update_progress_async, d, (GDestroyNotify) progress_data_free,
           update_progress_run, cancellable, callback, user_data);
}

gboolean
cs_cache_update_progress_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_query_campaigns_async (CsCache *self, const CsCacheQuery *query, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  QueryData *d;

  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (query != NULL);

  d = g_new0 (QueryData, 1);
  d->sort = query->sort;
  d->category = g_strdup (query->category);
  d->text = g_strdup (query->text);
  d->limit = query->limit;
  d->public_only = query->public_only;
  run_job (self, cs_cache_query_campaigns_async, d, (GDestroyNotify) query_data_free,
           query_campaigns_run, cancellable, callback, user_data);
}

GPtrArray *
cs_cache_query_campaigns_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_cache_get_campaign_async (CsCache *self, const char *campaign_id, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (campaign_id != NULL);

  run_job (self, cs_cache_get_campaign_async, g_strdup (campaign_id), g_free, get_campaign_run,
           cancellable, callback, user_data);
}

CsCampaign *
cs_cache_get_campaign_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_cache_list_categories_async (CsCache *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));

  run_job (self, cs_cache_list_categories_async, NULL, NULL, list_categories_run,
           cancellable, callback, user_data);
}

GPtrArray *
cs_cache_list_categories_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* @categories is referenced until the call completes: do not change it. */
void
cs_cache_put_categories_async (CsCache *self, GPtrArray *categories, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (categories != NULL);

  run_job (self, cs_cache_put_categories_async, g_ptr_array_ref (categories),
           (GDestroyNotify) g_ptr_array_unref, put_categories_run, cancellable, callback, user_data);
}

gboolean
cs_cache_put_categories_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_put_pledges_async (CsCache *self, const char *user_id, GPtrArray *pledges,
                            gboolean replace_all, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  PledgesData *d;

  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (user_id != NULL);
  g_return_if_fail (pledges != NULL);

  d = g_new0 (PledgesData, 1);
  d->user_id = g_strdup (user_id);
  d->pledges = g_ptr_array_new_full (pledges->len, (GDestroyNotify) cs_pledge_free);
  for (guint i = 0; i < pledges->len; i++)
    if (g_ptr_array_index (pledges, i) != NULL)
      g_ptr_array_add (d->pledges, cs_pledge_copy (g_ptr_array_index (pledges, i)));
  d->replace_all = replace_all;
  run_job (self, cs_cache_put_pledges_async, d, (GDestroyNotify) pledges_data_free,
           put_pledges_run, cancellable, callback, user_data);
}

gboolean
cs_cache_put_pledges_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_list_pledges_async (CsCache *self, const char *user_id, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (user_id != NULL);

  run_job (self, cs_cache_list_pledges_async, g_strdup (user_id), g_free, list_pledges_run,
           cancellable, callback, user_data);
}

GPtrArray *
cs_cache_list_pledges_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_cache_get_image_async (CsCache *self, const char *url, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (url != NULL);

  run_job (self, cs_cache_get_image_async, g_strdup (url), g_free, get_image_run,
           cancellable, callback, user_data);
}

GBytes *
cs_cache_get_image_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_cache_put_image_async (CsCache *self, const char *url, GBytes *bytes, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  KeyValueData *d;

  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (bytes != NULL);

  d = g_new0 (KeyValueData, 1);
  d->key = g_strdup (url);
  d->bytes = g_bytes_ref (bytes);
  run_job (self, cs_cache_put_image_async, d, (GDestroyNotify) key_value_data_free, put_image_run,
           cancellable, callback, user_data);
}

gboolean
cs_cache_put_image_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_get_value_async (CsCache *self, const char *key, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (key != NULL);

  run_job (self, cs_cache_get_value_async, g_strdup (key), g_free, get_value_run,
           cancellable, callback, user_data);
}

char *
cs_cache_get_value_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_cache_set_value_async (CsCache *self, const char *key, const char *value,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  KeyValueData *d;

  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (key != NULL);

  d = g_new0 (KeyValueData, 1);
  d->key = g_strdup (key);
  d->value = g_strdup (value);
  run_job (self, cs_cache_set_value_async, d, (GDestroyNotify) key_value_data_free, set_value_run,
           cancellable, callback, user_data);
}

gboolean
cs_cache_set_value_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_outbox_add_async (CsCache *self, const CsOutboxItem *item, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  CsOutboxItem *copy;

  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (item != NULL);

  if (item->kind == NULL || item->method == NULL || item->path == NULL ||
      item->idempotency_key == NULL)
    {
      g_task_report_new_error (self, callback, user_data, cs_cache_outbox_add_async,
                               CS_ERROR, CS_ERROR_INVALID,
                               _("A write needs a kind, a method, a path and an idempotency key"));
      return;
    }
  copy = g_new0 (CsOutboxItem, 1);
  copy->kind = g_strdup (item->kind);
  copy->method = g_strdup (item->method);
  copy->path = g_strdup (item->path);
  copy->body = g_strdup (item->body);
  copy->idempotency_key = g_strdup (item->idempotency_key);
  copy->target_id = g_strdup (item->target_id);
  run_job (self, cs_cache_outbox_add_async, copy, (GDestroyNotify) cs_outbox_item_free,
           outbox_add_run, cancellable, callback, user_data);
}

gint64
cs_cache_outbox_add_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

void
cs_cache_outbox_list_async (CsCache *self, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));

  run_job (self, cs_cache_outbox_list_async, NULL, NULL, outbox_list_run,
           cancellable, callback, user_data);
}

GPtrArray *
cs_cache_outbox_list_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* A missing @id is not an error (it may have been removed meanwhile); the
 * pledge is stored all the same. */
void
cs_cache_outbox_done_async (CsCache *self, gint64 id, const char *user_id, const CsPledge *pledge,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  OutboxData *d;

  g_return_if_fail (CS_IS_CACHE (self));
  g_return_if_fail (pledge == NULL || user_id != NULL);

  d = g_new0 (OutboxData, 1);
  d->id = id;
  d->user_id = g_strdup (user_id);
  d->pledge = pledge != NULL ? cs_pledge_copy (pledge) : NULL;
  run_job (self, cs_cache_outbox_done_async, d, (GDestroyNotify) outbox_data_free,
           outbox_done_run, cancellable, callback, user_data);
}

gboolean
cs_cache_outbox_done_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_outbox_failed_async (CsCache *self, gint64 id, const char *message, gboolean give_up,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  OutboxData *d;

  g_return_if_fail (CS_IS_CACHE (self));

  d = g_new0 (OutboxData, 1);
  d->id = id;
  d->message = g_strdup (message);
  d->give_up = give_up;
  run_job (self, cs_cache_outbox_failed_async, d, (GDestroyNotify) outbox_data_free,
           outbox_failed_run, cancellable, callback, user_data);
}

gboolean
cs_cache_outbox_failed_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_outbox_remove_async (CsCache *self, gint64 id, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  OutboxData *d;

  g_return_if_fail (CS_IS_CACHE (self));

  d = g_new0 (OutboxData, 1);
  d->id = id;
  run_job (self, cs_cache_outbox_remove_async, d, (GDestroyNotify) outbox_data_free,
           outbox_remove_run, cancellable, callback, user_data);
}

gboolean
cs_cache_outbox_remove_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_cache_forget_user_async (CsCache *self, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_CACHE (self));

  run_job (self, cs_cache_forget_user_async, NULL, NULL, forget_user_run,
           cancellable, callback, user_data);
}

gboolean
cs_cache_forget_user_finish (CsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

GPtrArray *
cs_cache_query_campaigns_sync (CsCache *self, const CsCacheQuery *query, GError **error)
{
  GPtrArray *result;

  g_return_val_if_fail (CS_IS_CACHE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  g_mutex_lock (&self->lock);
  result = do_query_campaigns (self, query, error);
  g_mutex_unlock (&self->lock);
  return result;
}

gboolean
cs_cache_put_campaigns_sync (CsCache *self, GPtrArray *campaigns, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (CS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (campaigns != NULL, FALSE);

  g_mutex_lock (&self->lock);
  ok = do_put_campaigns (self, campaigns, error);
  g_mutex_unlock (&self->lock);
  if (ok)
    emit_changed (self, "campaigns");
  return ok;
}
