/* cs-test-db.c: see cs-test-db.h */
#define _GNU_SOURCE 1   /* memmem */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#ifdef HAVE_POSTGRESQL
#include <libpq-fe.h>
#endif

#include "cs-test-db.h"

gboolean
cs_test_db_is_postgresql (void)
{
  return g_strcmp0 (g_getenv ("CS_TEST_BACKEND"), "postgresql") == 0;
}

const char *
cs_test_redis_url (void)
{
  const char *url = g_getenv ("CS_TEST_REDIS");

  return url != NULL && *url != '\0' ? url : NULL;
}

static void
skip_whole_test (const char *why)
{
  /* meson's exitcode protocol: 77 is "skipped".  CI provides PostgreSQL,
   * so this only happens on a developer's machine without it. */
  g_printerr ("SKIP: %s\n", why);
  exit (77);
}

#ifdef HAVE_POSTGRESQL
static PGconn *
connect_or_fail (const char *url)
{
  PGconn *pg = PQconnectdb (url);

  if (PQstatus (pg) != CONNECTION_OK)
    g_error ("cannot connect to the test PostgreSQL: %s", PQerrorMessage (pg));
  return pg;
}

static void
pg_exec_or_fail (PGconn *pg, const char *sql)
{
  PGresult *res = PQexec (pg, sql);

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("test SQL failed: %s: %s", sql, PQresultErrorMessage (res));
  PQclear (res);
}

/* The schema named by a URL that cs_test_db_url() made. */
static char *
schema_of (const char *url)
{
  const char *p = strstr (url, "search_path%3D");

  return p != NULL ? g_strdup (p + strlen ("search_path%3D")) : NULL;
}

static char *
admin_url_of (const char *url)
{
  const char *q = strstr (url, "options=-csearch_path");

  if (q == NULL)
    return g_strdup (url);
  return g_strndup (url, q - url - 1);   /* without the ? or & before it */
}
#endif

char *
cs_test_db_url (const char *dir, const char *name)
{
  if (!cs_test_db_is_postgresql ())
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      return g_strconcat ("sqlite://", path, NULL);
    }
#ifdef HAVE_POSTGRESQL
  {
    const char *admin = g_getenv ("CS_TEST_POSTGRESQL");
    g_autofree char *schema = NULL;
    g_autofree char *create = NULL;
    PGconn *pg;

    if (admin == NULL || *admin == '\0')
      skip_whole_test ("PostgreSQL is not installed (CS_TEST_POSTGRESQL is unset)");
    schema = g_strdup_printf ("t_%08x%08x", g_random_int (), g_random_int ());
    pg = connect_or_fail (admin);
    create = g_strdup_printf ("CREATE SCHEMA %s", schema);
    pg_exec_or_fail (pg, create);
    PQfinish (pg);
    return g_strdup_printf ("%s%soptions=-csearch_path%%3D%s", admin,
                            strchr (admin, '?') != NULL ? "&" : "?", schema);
  }
#else
  (void) dir;
  (void) name;
  skip_whole_test ("this build has no PostgreSQL support");
  return NULL;
#endif
}

void
cs_test_db_drop (const char *url)
{
#ifdef HAVE_POSTGRESQL
  g_autofree char *schema = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *drop = NULL;
  PGconn *pg;

  if (url == NULL || !g_str_has_prefix (url, "postgres"))
    return;
  schema = schema_of (url);
  if (schema == NULL)
    return;
  admin = admin_url_of (url);
  pg = connect_or_fail (admin);
  drop = g_strdup_printf ("DROP SCHEMA %s CASCADE", schema);
  pg_exec_or_fail (pg, "SET client_min_messages = warning");
  pg_exec_or_fail (pg, drop);
  PQfinish (pg);
#else
  (void) url;
#endif
}

static sqlite3 *
open_sqlite_or_fail (const char *url)
{
  sqlite3 *db = NULL;

  g_assert_true (g_str_has_prefix (url, "sqlite://"));
  if (sqlite3_open_v2 (url + strlen ("sqlite://"), &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    g_error ("cannot open %s: %s", url, sqlite3_errmsg (db));
  sqlite3_busy_timeout (db, 5000);
  return db;
}

void
cs_test_db_exec (const char *url, const char *sql)
{
  if (g_str_has_prefix (url, "sqlite://"))
    {
      sqlite3 *db = open_sqlite_or_fail (url);
      char *msg = NULL;

      if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
        g_error ("test SQL failed: %s: %s", sql, msg);
      sqlite3_close (db);
      return;
    }
#ifdef HAVE_POSTGRESQL
  {
    PGconn *pg = connect_or_fail (url);

    pg_exec_or_fail (pg, sql);
    PQfinish (pg);
  }
#endif
}

char *
cs_test_db_query_text (const char *url, const char *sql)
{
  char *value = NULL;

  if (g_str_has_prefix (url, "sqlite://"))
    {
      sqlite3 *db = open_sqlite_or_fail (url);
      sqlite3_stmt *st = NULL;

      if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        g_error ("test SQL failed: %s: %s", sql, sqlite3_errmsg (db));
      if (sqlite3_step (st) == SQLITE_ROW && sqlite3_column_text (st, 0) != NULL)
        value = g_strdup ((const char *) sqlite3_column_text (st, 0));
      sqlite3_finalize (st);
      sqlite3_close (db);
      return value;
    }
#ifdef HAVE_POSTGRESQL
  {
    PGconn *pg = connect_or_fail (url);
    PGresult *res = PQexec (pg, sql);

    if (PQresultStatus (res) != PGRES_TUPLES_OK)
      g_error ("test SQL failed: %s: %s", sql, PQresultErrorMessage (res));
    if (PQntuples (res) > 0 && !PQgetisnull (res, 0, 0))
      value = g_strdup (PQgetvalue (res, 0, 0));
    PQclear (res);
    PQfinish (pg);
  }
#endif
  return value;
}

static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return FALSE;
  return memmem (contents, len, needle, strlen (needle)) != NULL;
}

gboolean
cs_test_db_contains (const char *url, const char *needle)
{
  g_assert_nonnull (needle);
  g_assert_cmpuint (strlen (needle), >, 0);
  if (g_str_has_prefix (url, "sqlite://"))
    {
      const char *path = url + strlen ("sqlite://");
      g_autofree char *wal = g_strconcat (path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (path, "-shm", NULL);

      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
      return file_contains (path, needle) || file_contains (wal, needle) || file_contains (shm, needle);
    }
#ifdef HAVE_POSTGRESQL
  {
    PGconn *pg = connect_or_fail (url);
    PGresult *tables = PQexec (pg, "SELECT quote_ident (table_name) FROM information_schema.tables "
                                   "WHERE table_schema = current_schema () AND table_type = 'BASE TABLE'");
    gboolean found = FALSE;

    if (PQresultStatus (tables) != PGRES_TUPLES_OK)
      g_error ("listing tables failed: %s", PQresultErrorMessage (tables));
    g_assert_cmpint (PQntuples (tables), >, 0);
    for (int i = 0; i < PQntuples (tables) && !found; i++)
      {
        /* A whole row as text covers every column of every type. */
        g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM %s t WHERE strpos (t::text, $1) > 0 LIMIT 1",
                                                PQgetvalue (tables, i, 0));
        const char *params[1] = { needle };
        PGresult *res = PQexecParams (pg, sql, 1, NULL, params, NULL, NULL, 0);

        if (PQresultStatus (res) != PGRES_TUPLES_OK)
          g_error ("scanning %s failed: %s", PQgetvalue (tables, i, 0), PQresultErrorMessage (res));
        found = PQntuples (res) > 0;
        PQclear (res);
      }
    PQclear (tables);
    PQfinish (pg);
    return found;
  }
#else
  return FALSE;
#endif
}
