/* cs-store-pg.c: the PostgreSQL store: connections, migrations and the
 * helpers the operation files share (cs-store-pg-private.h).
 *
 * The URL is handed to libpq as it is (postgresql://user:pass@host:port/db
 * ?options=…), so every libpq connection parameter works.  The password it
 * may hold is never logged: errors quote libpq's message, which does not
 * repeat it.
 */
#include "config.h"

#include <string.h>

#include "cs-store-pg-private.h"
#include "cs-server-resources.h"

typedef struct {
  int         version;
  const char *resource;
} Migration;

/* Append a migration here and to cs-server.gresource.xml; never edit one
 * that has shipped.  Versions match the SQLite migrations of the same
 * number, so both backends describe the same schema version. */
static const Migration migrations[] = {
  { 1, "/io/github/crowdspark/server/postgresql/001-initial.sql" },
  { 2, "/io/github/crowdspark/server/postgresql/002-money.sql" },
  { 3, "/io/github/crowdspark/server/postgresql/003-trust.sql" },
};

#define LATEST_VERSION (migrations[G_N_ELEMENTS (migrations) - 1].version)

/* Any 64-bit number, the same in every instance: migrations hold this
 * transaction-level advisory lock so two servers starting together migrate
 * once. */
#define MIGRATION_LOCK_KEY "4242170301"

typedef struct {
  CsStore  parent;
  char    *conninfo;
} CsPgStore;

/* ---- Parameters ------------------------------------------------------------ */

PgArgs *
pg_args_new (void)
{
  PgArgs *args = g_new0 (PgArgs, 1);

  args->values = g_ptr_array_new ();
  args->owned = g_ptr_array_new_with_free_func (g_free);
  return args;
}

void
pg_args_free (PgArgs *args)
{
  if (args == NULL)
    return;
  g_ptr_array_unref (args->values);
  g_ptr_array_unref (args->owned);
  g_free (args);
}

void
pg_arg_text (PgArgs *args, const char *value)
{
  g_ptr_array_add (args->values, (gpointer) value);
}

void
pg_arg_int (PgArgs *args, gint64 value)
{
  char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  g_ptr_array_add (args->owned, text);
  g_ptr_array_add (args->values, text);
}

void
pg_arg_bool (PgArgs *args, gboolean value)
{
  g_ptr_array_add (args->values, (gpointer) (value ? "t" : "f"));
}

void
pg_arg_int_or_null (PgArgs *args, gboolean is_null, gint64 value)
{
  if (is_null)
    pg_arg_text (args, NULL);
  else
    pg_arg_int (args, value);
}

/* ---- Cells ------------------------------------------------------------------- */

gint64
pg_col_int (const PGresult *r, int row, int col)
{
  gint64 value = 0;

  if (PQgetisnull (r, row, col))
    return 0;
  /* Our columns are bigint or integer: always decimal text. */
  if (!g_ascii_string_to_signed (PQgetvalue (r, row, col), 10, G_MININT64, G_MAXINT64, &value, NULL))
    g_warning ("store: column %d is not an integer", col);
  return value;
}

gboolean
pg_col_bool (const PGresult *r, int row, int col)
{
  const char *v = PQgetisnull (r, row, col) ? NULL : PQgetvalue (r, row, col);

  return v != NULL && (v[0] == 't' || v[0] == '1');
}

/* ---- Errors ------------------------------------------------------------------ */

void
pg_set_not_found (GError **error, const char *what)
{
  g_set_error (error, CS_ERROR, CS_ERROR_NOT_FOUND, "%s not found", what);
}

static void
record_failure (CsPgConn *c, const PGresult *res)
{
  const char *state = res != NULL ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *constraint = res != NULL ? PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME) : NULL;

  g_strlcpy (c->sqlstate, state != NULL ? state : "", sizeof c->sqlstate);
  g_free (c->constraint);
  c->constraint = g_strdup (constraint);
}

gboolean
pg_fail (CsPgConn *c, const PGresult *res, GError **error)
{
  const char *state;

  record_failure (c, res);
  state = c->sqlstate;

  if (PQstatus (c->pg) != CONNECTION_OK || *state == '\0' ||
      g_str_has_prefix (state, "08") ||   /* connection exception */
      g_str_has_prefix (state, "57") ||   /* operator intervention: shutdown, cancel */
      g_str_has_prefix (state, "53") ||   /* insufficient resources */
      strcmp (state, "40001") == 0 ||     /* serialization failure */
      strcmp (state, "40P01") == 0 ||     /* deadlock detected */
      strcmp (state, "55P03") == 0)       /* lock not available */
    {
      g_info ("store: PostgreSQL unavailable (%s): %s", *state ? state : "no state",
              res != NULL ? PQresultErrorMessage (res) : PQerrorMessage (c->pg));
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE,
                           "The database is busy or unreachable, please try again");
      return FALSE;
    }
  if (strcmp (state, "23505") == 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "This already exists");
      return FALSE;
    }
  if (strcmp (state, "23503") == 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND,
                           "Something this refers to does not exist");
      return FALSE;
    }
  if (strcmp (state, "23514") == 0 || strcmp (state, "23502") == 0 || g_str_has_prefix (state, "22"))
    {
      g_info ("store: constraint failed (%s): %s", state, PQresultErrorMessage (res));
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "A value is missing or out of range");
      return FALSE;
    }
  if (strcmp (state, "P0001") == 0)
    {
      const char *primary = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);

      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                           primary != NULL ? primary : "The database refused the change");
      return FALSE;
    }
  g_warning ("store: PostgreSQL error %s: %s", state, PQresultErrorMessage (res));
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Internal database error");
  return FALSE;
}

gboolean
pg_failed_unique (CsPgConn *c, const char *constraint)
{
  return strcmp (c->sqlstate, "23505") == 0 &&
         (constraint == NULL || g_strcmp0 (c->constraint, constraint) == 0);
}

/* ---- Statements ---------------------------------------------------------------- */

static gboolean
result_ok (const PGresult *res)
{
  ExecStatusType st = PQresultStatus (res);

  return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

static PGresult *
exec_prepared (CsPgConn *c, GHashTable *cache, gconstpointer key, const char *sql, PgArgs *args,
               GError **error)
{
  const char *name = g_hash_table_lookup (cache, key);
  g_autoptr(PGresult) res = NULL;
  int n = args != NULL ? (int) args->values->len : 0;

  if (name == NULL)
    {
      g_autofree char *fresh = g_strdup_printf ("s%u", ++c->n_prepared);
      g_autoptr(PGresult) prep = PQprepare (c->pg, fresh, sql, 0, NULL);

      if (prep == NULL || !result_ok (prep))
        {
          if (prep != NULL && PQresultErrorField (prep, PG_DIAG_SQLSTATE) != NULL &&
              g_str_has_prefix (PQresultErrorField (prep, PG_DIAG_SQLSTATE), "42"))
            g_warning ("store: cannot prepare %.60s…: %s", sql, PQresultErrorMessage (prep));
          pg_fail (c, prep, error);
          return NULL;
        }
      name = fresh;
      g_hash_table_insert (cache, (gpointer) key, g_steal_pointer (&fresh));
    }

  res = PQexecPrepared (c->pg, name, n, n > 0 ? (const char *const *) args->values->pdata : NULL,
                        NULL, NULL, 0);
  if (res == NULL || !result_ok (res))
    {
      pg_fail (c, res, error);
      return NULL;
    }
  c->sqlstate[0] = '\0';
  return g_steal_pointer (&res);
}

PGresult *
pg_query (CsPgConn *c, const char *sql, PgArgs *args, GError **error)
{
  return exec_prepared (c, c->prepared, sql, sql, args, error);
}

PGresult *
pg_query_shape (CsPgConn *c, const char *sql, PgArgs *args, GError **error)
{
  if (!g_hash_table_contains (c->shapes, sql))
    {
      /* The key must live as long as the cache: keep our own copy, and
       * look it up by text. */
      g_autoptr(PGresult) res = NULL;
      char *key = g_strdup (sql);
      g_autofree char *fresh = g_strdup_printf ("s%u", ++c->n_prepared);
      g_autoptr(PGresult) prep = PQprepare (c->pg, fresh, sql, 0, NULL);

      if (prep == NULL || !result_ok (prep))
        {
          g_free (key);
          pg_fail (c, prep, error);
          return NULL;
        }
      g_hash_table_insert (c->shapes, key, g_steal_pointer (&fresh));
    }
  return exec_prepared (c, c->shapes, sql, sql, args, error);
}

gboolean
pg_exec (CsPgConn *c, const char *sql, GError **error)
{
  g_autoptr(PGresult) res = PQexec (c->pg, sql);

  if (res == NULL || !result_ok (res))
    return pg_fail (c, res, error);
  return TRUE;
}

/* ---- Transactions ---------------------------------------------------------------- */

gboolean
pg_txn_begin (CsPgConn *c, gboolean write, GError **error)
{
  (void) write;
  g_return_val_if_fail (!c->in_txn, FALSE);
  if (!pg_exec (c, "BEGIN", error))
    return FALSE;
  c->in_txn = TRUE;
  return TRUE;
}

gboolean
pg_txn_end (CsPgConn *c, gboolean ok, GError **error)
{
  if (!c->in_txn)
    return FALSE;
  c->in_txn = FALSE;
  if (ok)
    {
      /* A COMMIT of an aborted transaction answers ROLLBACK without an
       * error: check the command tag. */
      g_autoptr(PGresult) res = PQexec (c->pg, "COMMIT");

      if (res != NULL && PQresultStatus (res) == PGRES_COMMAND_OK &&
          strcmp (PQcmdStatus (res), "COMMIT") == 0)
        return TRUE;
      if (res == NULL || PQresultStatus (res) != PGRES_COMMAND_OK)
        pg_fail (c, res, error);
      else
        g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "The transaction was rolled back");
      return FALSE;
    }
  if (PQtransactionStatus (c->pg) != PQTRANS_IDLE)
    {
      g_autoptr(PGresult) res = PQexec (c->pg, "ROLLBACK");
    }
  return FALSE;
}

gpointer
pg_txn_end_with (CsPgConn *c, gpointer result, GDestroyNotify free_func, GError **error)
{
  if (pg_txn_end (c, result != NULL, error))
    return result;
  if (result != NULL)
    free_func (result);
  return NULL;
}

static const char SQL_BUMP_SEQ[] =
  "UPDATE change_counter SET value = value + 1 RETURNING value";

gboolean
pg_bump_seq (CsPgConn *c, gint64 *seq, GError **error)
{
  g_autoptr(PGresult) r = pg_query (c, SQL_BUMP_SEQ, NULL, error);

  if (r == NULL)
    return FALSE;
  if (PQntuples (r) != 1)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "The change counter is missing");
      return FALSE;
    }
  *seq = pg_col_int (r, 0, 0);
  return TRUE;
}

/* ---- Connections and migrations ---------------------------------------------------- */

static void
notice_cb (void *arg, const char *message)
{
  (void) arg;
  g_debug ("store: PostgreSQL: %s", message);
}

static PGconn *
open_pg (const char *conninfo, GError **error)
{
  PGconn *pg = PQconnectdb (conninfo);

  if (pg == NULL || PQstatus (pg) != CONNECTION_OK)
    {
      g_autofree char *msg = g_strdup (pg != NULL ? PQerrorMessage (pg) : "out of memory");

      g_strstrip (msg);
      g_set_error (error, CS_ERROR, CS_ERROR_UNAVAILABLE,
                   "Cannot connect to PostgreSQL: %s", msg);
      PQfinish (pg);
      return NULL;
    }
  PQsetNoticeProcessor (pg, notice_cb, NULL);
  return pg;
}

static gboolean
plain_exec (PGconn *pg, const char *sql, GError **error)
{
  g_autoptr(PGresult) res = PQexec (pg, sql);

  if (res == NULL || PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "PostgreSQL refused %.40s: %s", sql,
                   res != NULL ? PQresultErrorMessage (res) : PQerrorMessage (pg));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_version (PGconn *pg, int *version, GError **error)
{
  g_autoptr(PGresult) res =
    PQexec (pg, "SELECT coalesce (max (version), 0) FROM schema_migrations");

  if (res != NULL && PQresultStatus (res) == PGRES_TUPLES_OK)
    {
      *version = atoi (PQgetvalue (res, 0, 0));
      return TRUE;
    }
  if (res != NULL && g_strcmp0 (PQresultErrorField (res, PG_DIAG_SQLSTATE), "42P01") == 0)
    {
      *version = 0;   /* an empty database */
      return TRUE;
    }
  g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "Cannot read the schema version: %s",
               res != NULL ? PQresultErrorMessage (res) : PQerrorMessage (pg));
  return FALSE;
}

static gboolean
check_version_known (int version, GError **error)
{
  if (version > LATEST_VERSION)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL,
                   "The database has schema version %d, newer than this server knows "
                   "(%d): it was migrated by a newer release; upgrade crowdspark-server",
                   version, LATEST_VERSION);
      return FALSE;
    }
  return TRUE;
}

static gboolean
apply_migration (PGconn *pg, const Migration *m, GError **error)
{
  g_autoptr(GBytes) script = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *record = NULL;
  int version;

  script = g_resource_lookup_data (cs_server_get_resource (), m->resource,
                                   G_RESOURCE_LOOKUP_FLAGS_NONE, &local);
  if (script == NULL)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "Migration %s is missing: %s",
                   m->resource, local->message);
      return FALSE;
    }
  if (!plain_exec (pg, "BEGIN", error))
    return FALSE;
  {
    g_autoptr(PGresult) lock = PQexec (pg, "SELECT pg_advisory_xact_lock (" MIGRATION_LOCK_KEY ")");

    if (lock == NULL || PQresultStatus (lock) != PGRES_TUPLES_OK)
      {
        g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "Cannot lock for migration: %s",
                     lock != NULL ? PQresultErrorMessage (lock) : PQerrorMessage (pg));
        goto fail;
      }
  }
  if (!plain_exec (pg, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version integer NOT NULL PRIMARY KEY,"
                       " applied_at timestamptz NOT NULL DEFAULT now ())", error))
    goto fail;
  /* Another instance may have migrated while we waited for the lock. */
  if (!read_version (pg, &version, error))
    goto fail;
  if (version >= m->version)
    return plain_exec (pg, "COMMIT", error);
  {
    g_autoptr(PGresult) res = PQexec (pg, g_bytes_get_data (script, NULL));

    if (res == NULL || !result_ok (res))
      {
        g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "Migration %d failed: %s", m->version,
                     res != NULL ? PQresultErrorMessage (res) : PQerrorMessage (pg));
        goto fail;
      }
  }
  record = g_strdup_printf ("INSERT INTO schema_migrations (version) VALUES (%d)", m->version);
  if (!plain_exec (pg, record, error) || !plain_exec (pg, "COMMIT", error))
    goto fail;
  g_message ("store: database migrated to schema version %d", m->version);
  return TRUE;

fail:
  {
    g_autoptr(PGresult) rb = PQexec (pg, "ROLLBACK");
  }
  return FALSE;
}

static CsStore *
pgstore_open (const char *url, const char *location, GError **error)
{
  PGconn *pg;
  int version = 0;
  gboolean ok = TRUE;
  CsPgStore *store;

  (void) location;
  pg = open_pg (url, error);
  if (pg == NULL)
    return NULL;
  ok = plain_exec (pg, "SET client_min_messages = warning", error) &&
       read_version (pg, &version, error) && check_version_known (version, error);
  for (gsize i = 0; ok && i < G_N_ELEMENTS (migrations); i++)
    if (migrations[i].version > version)
      ok = apply_migration (pg, &migrations[i], error);
  ok = ok && read_version (pg, &version, error);
  PQfinish (pg);
  if (!ok)
    return NULL;

  store = g_new0 (CsPgStore, 1);
  store->parent.schema_version = version;
  store->conninfo = g_strdup (url);
  return &store->parent;
}

static void
pgstore_free (CsStore *store)
{
  CsPgStore *self = (CsPgStore *) store;

  g_free (self->conninfo);
  g_free (self);
}

static void
pgstore_conn_free (CsStoreConn *conn)
{
  CsPgConn *c = (CsPgConn *) conn;

  PQfinish (c->pg);
  g_hash_table_unref (c->prepared);
  g_hash_table_unref (c->shapes);
  g_free (c->constraint);
  g_free (c);
}

static CsStoreConn *
pgstore_connect (CsStore *store, GError **error)
{
  CsPgStore *self = (CsPgStore *) store;
  CsPgConn *c;
  PGconn *pg = open_pg (self->conninfo, error);

  if (pg == NULL)
    return NULL;
  if (!plain_exec (pg, "SET client_min_messages = warning", error) ||
      !plain_exec (pg, "SET TIME ZONE 'UTC'", error))
    {
      PQfinish (pg);
      return NULL;
    }
  c = g_new0 (CsPgConn, 1);
  c->pg = pg;
  c->prepared = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  c->shapes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return &c->parent;
}

static int
pgstore_schema_version (CsStoreConn *conn)
{
  return conn->store->schema_version;
}

static gboolean
pgstore_ping (CsStoreConn *conn, GError **error)
{
  CsPgConn *c = (CsPgConn *) conn;

  if (PQstatus (c->pg) != CONNECTION_OK)
    {
      /* A lost connection (the database restarted): try once to get it
       * back, with the statements it had prepared forgotten. */
      PQreset (c->pg);
      g_hash_table_remove_all (c->prepared);
      g_hash_table_remove_all (c->shapes);
      c->in_txn = FALSE;
      if (PQstatus (c->pg) != CONNECTION_OK)
        {
          g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "PostgreSQL is unreachable");
          return FALSE;
        }
    }
  return pg_exec (c, "SELECT 1", error);
}

static gboolean
pgstore_conn_is_usable (CsStoreConn *conn)
{
  CsPgConn *c = (CsPgConn *) conn;

  return PQstatus (c->pg) == CONNECTION_OK && PQtransactionStatus (c->pg) == PQTRANS_IDLE && !c->in_txn;
}

static gboolean
pgstore_checkpoint (CsStoreConn *conn, GError **error)
{
  (void) conn;
  (void) error;
  return TRUE;   /* PostgreSQL checkpoints by itself */
}

const CsStoreBackend cs_store_pg_backend = {
  .kind = "postgresql",
  .open = pgstore_open,
  .free = pgstore_free,
  .connect = pgstore_connect,
  .conn_free = pgstore_conn_free,
  .schema_version = pgstore_schema_version,
  .ping = pgstore_ping,
  .conn_is_usable = pgstore_conn_is_usable,

  .user_insert = pg_user_insert,
  .user_get = pg_user_get,
  .user_get_by_login = pg_user_get_by_login,
  .user_update = pg_user_update,
  .session_create = pg_session_create,
  .session_lookup = pg_session_lookup,
  .session_refresh = pg_session_refresh,
  .session_revoke = pg_session_revoke,
  .rate_limit_hit = pg_rate_limit_hit,
  .rate_limit_peek = pg_rate_limit_peek,
  .rate_limit_clear = pg_rate_limit_clear,
  .categories = pg_categories,
  .campaign_insert = pg_campaign_insert,
  .campaign_get = pg_campaign_get,
  .campaign_version = pg_campaign_version,
  .campaign_update = pg_campaign_update,
  .campaign_transition = pg_campaign_transition,
  .campaign_set_image = pg_campaign_set_image,
  .campaign_list = pg_campaign_list,
  .tier_insert = pg_tier_insert,
  .tier_update = pg_tier_update,
  .tier_delete = pg_tier_delete,
  .update_insert = pg_update_insert,
  .update_list = pg_update_list,
  .is_backer = pg_is_backer,
  .dashboard = pg_dashboard,
  .sync = pg_sync,
  .refresh_trending = pg_refresh_trending,
  .checkpoint = pgstore_checkpoint,
  .purge_expired = pg_purge_expired,
  .audit_list = pg_audit_list,

  .pledge_create = pg_pledge_create,
  .pledge_get = pg_pledge_get,
  .pledge_list_for_backer = pg_pledge_list_for_backer,
  .pledge_list_for_campaign = pg_pledge_list_for_campaign,
  .pledge_change = pg_pledge_change,
  .pledge_cancel = pg_pledge_cancel,
  .payment_jobs_claim = pg_payment_jobs_claim,
  .payment_job_done = pg_payment_job_done,
  .payment_job_retry = pg_payment_job_retry,
  .payment_jobs_count = pg_payment_jobs_count,
  .payment_event_apply = pg_payment_event_apply,
  .settle_due = pg_settle_due,
  .expire_capture_failed = pg_expire_capture_failed,
  .campaign_balance = pg_campaign_balance,
  .withdrawal_create = pg_withdrawal_create,
  .withdrawal_list = pg_withdrawal_list,
  .check_books = pg_check_books,
  .fee_settings_get = pg_fee_settings_get,
  .fee_settings_put = pg_fee_settings_put,
  .setting_get_int = pg_setting_get_int,
  .setting_set_int = pg_setting_set_int,
  .kyc_submit = pg_kyc_submit,
  .kyc_latest = pg_kyc_latest,
  .user_kyc_status = pg_user_kyc_status,
  .kyc_decide = pg_kyc_decide,
  .kyc_queue = pg_kyc_queue,
  .sandbox_pm_insert = pg_sandbox_pm_insert,
  .sandbox_pm_get = pg_sandbox_pm_get,
  .sandbox_charge_get = pg_sandbox_charge_get,
  .sandbox_record = pg_sandbox_record,
  .outbox_claim = pg_outbox_claim,
  .outbox_delivered = pg_outbox_delivered,
  .outbox_retry = pg_outbox_retry,
  .outbox_count = pg_outbox_count,
  .webhook_seen = pg_webhook_seen,
};
