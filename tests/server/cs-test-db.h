/* cs-test-db.h: which database a server test runs on.
 *
 * Every server suite is registered twice by tests/server/meson.build: once
 * as is (SQLite, a file in the test's folder), and once with
 * CS_TEST_BACKEND=postgresql under tests/services.sh, which provides
 * CS_TEST_POSTGRESQL (an administrator URL of a throwaway cluster) and
 * CS_TEST_REDIS.  On PostgreSQL each call gives a fresh schema of its own,
 * so tests stay as isolated as with separate SQLite files.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when this run is the PostgreSQL one. */
gboolean  cs_test_db_is_postgresql (void);
/* A fresh, empty database for a test: sqlite://DIR/NAME, or a new schema
 * on PostgreSQL (@dir and @name then only name the schema's purpose).  In a
 * PostgreSQL run without CS_TEST_POSTGRESQL (PostgreSQL not installed) the
 * test exits with status 77, which meson reports as skipped. */
char     *cs_test_db_url           (const char *dir, const char *name);
/* Drops what cs_test_db_url() made on PostgreSQL (nothing for SQLite: the
 * folder goes with the test). */
void      cs_test_db_drop          (const char *url);
/* Runs one SQL statement on the database behind @url as it is (tests that
 * corrupt a database on purpose, or read it behind the server's back);
 * SQLite or PostgreSQL.  Fails the test on error. */
void      cs_test_db_exec          (const char *url, const char *sql);
/* The first column of the first row of @sql as text (NULL if no row). */
char     *cs_test_db_query_text    (const char *url, const char *sql);
/* Whether the bytes @needle appear anywhere in the database behind @url:
 * SQLite: the file, its WAL and shared-memory files, byte for byte;
 * PostgreSQL: any row of any table of the test's schema, as text.  For
 * tests proving that a secret (a card number) is never stored. */
gboolean  cs_test_db_contains      (const char *url, const char *needle);
/* The Redis URL of this run, or NULL. */
const char *cs_test_redis_url      (void);

G_END_DECLS
