/* cs-store-sqlite-private.h: what the files of the SQLite backend share.
 *
 * cs-store-sqlite.c holds the connection, migrations and the platform's
 * first operations; cs-store-sqlite-money.c (pledges, payments, ledger,
 * settlement, withdrawals) and cs-store-sqlite-trust.c (identity checks,
 * fees, settings, the sandbox processor's records, webhook outbox) use the
 * helpers below.  Only the SQLite backend's files include this header.
 *
 * Statements: cs-store-sqlite.c has its own table of statements (StmtId);
 * the other files keep each SQL text in a `static const char NAME[]` and
 * use sq_stmt_static (c, NAME, error), which prepares it once per
 * connection and caches it by the constant's address.  A use is a lease:
 *
 *   g_autoptr(CsStmtLease) st = sq_stmt_static (c, SQL_PLEDGE_GET, error);
 *   if (st == NULL) return FALSE;
 *   sq_bind_text (st, 1, id);
 *   if (!sq_step_found (c, st, "Pledge", error)) return FALSE;
 *
 * and the statement is reset and unbound when the lease leaves scope.
 * Values bound with sq_bind_text() are SQLITE_STATIC: they must outlive
 * the lease.
 */
#pragma once

#include <sqlite3.h>
#include "cs-store-private.h"

G_BEGIN_DECLS

typedef struct {
  CsStoreConn    parent;
  sqlite3       *db;
  sqlite3_stmt **stmts;     /* cs-store-sqlite.c's StmtId table */
  GHashTable    *shapes;    /* SQL text → sqlite3_stmt*: campaign list shapes */
  GHashTable    *statics;   /* SQL constant's address → sqlite3_stmt* */
} CsSqliteConn;

/* A statement in use: reset and unbound when the lease ends. */
typedef sqlite3_stmt CsStmtLease;

static inline void
sq_stmt_lease_end (CsStmtLease *st)
{
  sqlite3_reset (st);
  sqlite3_clear_bindings (st);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsStmtLease, sq_stmt_lease_end)

static inline void
sq_bind_text (sqlite3_stmt *st, int i, const char *value)
{
  /* SQLITE_STATIC: every value outlives the lease that binds it. */
  sqlite3_bind_text (st, i, value, -1, SQLITE_STATIC);
}

static inline void
sq_bind_int (sqlite3_stmt *st, int i, gint64 value)
{
  sqlite3_bind_int64 (st, i, value);
}

static inline char *
sq_col_dup (sqlite3_stmt *st, int i)
{
  const unsigned char *text = sqlite3_column_text (st, i);

  if (text == NULL)
    return NULL;
  return g_strndup ((const char *) text, sqlite3_column_bytes (st, i));
}

static inline const char *
sq_col_text (sqlite3_stmt *st, int i)
{
  return (const char *) sqlite3_column_text (st, i);
}

static inline gint64
sq_col_int (sqlite3_stmt *st, int i)
{
  return sqlite3_column_int64 (st, i);
}

/* For a statement that failed with @rc: BUSY/LOCKED → UNAVAILABLE; a
 * foreign key → NOT_FOUND; CHECK/NOT NULL → INVALID; else logged and
 * INTERNAL.  Always returns FALSE. */
gboolean     sq_db_fail          (CsSqliteConn *c, int rc, GError **error);
void         sq_set_not_found    (GError **error, const char *what);
sqlite3_stmt *sq_prepare         (CsSqliteConn *c, const char *sql, GError **error);
CsStmtLease *sq_stmt_static      (CsSqliteConn *c, const char *sql, GError **error);
CsStmtLease *sq_shape_stmt       (CsSqliteConn *c, const char *sql, GError **error);
void         sq_bind_named_text  (sqlite3_stmt *st, const char *name, const char *value);
void         sq_bind_named_int   (sqlite3_stmt *st, const char *name, gint64 value);
/* Steps a statement that returns no rows to its end. */
gboolean     sq_step_done        (CsSqliteConn *c, sqlite3_stmt *st, GError **error);
/* Steps to its row: NOT_FOUND "@what not found" if none. */
gboolean     sq_step_found       (CsSqliteConn *c, sqlite3_stmt *st, const char *what, GError **error);
/* BEGIN IMMEDIATE (@write) or a deferred BEGIN. */
gboolean     sq_txn_begin        (CsSqliteConn *c, gboolean write, GError **error);
/* Commits if @ok, else rolls back; returns whether it committed. */
gboolean     sq_txn_end          (CsSqliteConn *c, gboolean ok, GError **error);
/* sq_txn_end() for a transaction that produced @result (NULL if it failed). */
gpointer     sq_txn_end_with     (CsSqliteConn *c, gpointer result, GDestroyNotify free_func, GError **error);
/* The next change sequence value (inside a write transaction): store it in
 * campaigns.change_seq when a campaign's public state changes. */
gboolean     sq_bump_seq         (CsSqliteConn *c, gint64 *seq, GError **error);
/* A campaign with its rewards and creator summary, NOT_FOUND if absent. */
CsCampaign  *sq_load_campaign    (CsSqliteConn *c, const char *campaign_id, GError **error);
/* Appends an audit_log row (actor NULL: the system). */
gboolean     sq_audit_insert     (CsSqliteConn *c, const char *actor_id, const char *action,
                                  const char *subject_type, const char *subject_id, const char *reason,
                                  const char *detail, gint64 now, GError **error);

G_END_DECLS
