/* bench-sqlite-pledge.c: the ceiling for pledges on this machine: the same
 * writes as one pledge of the FastAPI peer (../shared/bench/peer_fastapi.py)
 * done straight on SQLite from C, one transaction per pledge, WAL,
 * synchronous=NORMAL, prepared statements, no HTTP.  Prints pledges/s.
 *
 *   bench-sqlite-pledge /tmp/raw.db N
 *
 * A benchmark tool, not part of the product: it has its own schema. */
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <glib.h>

#define CHECK(x) do { int rc_ = (x); if (rc_ != SQLITE_OK && rc_ != SQLITE_DONE && rc_ != SQLITE_ROW) \
  { fprintf (stderr, "%s: %s\n", #x, sqlite3_errmsg (db)); return 1; } } while (0)

int
main (int argc, char **argv)
{
  sqlite3 *db;
  sqlite3_stmt *begin, *commit, *idem_get, *camp, *tier, *ins, *upd, *idem_put;
  int n;
  gint64 t0, t1;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s DB N\n", argv[0]);
      return 2;
    }
  n = atoi (argv[2]);
  if (sqlite3_open (argv[1], &db) != SQLITE_OK)
    return 1;
  CHECK (sqlite3_exec (db,
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    "CREATE TABLE campaigns (id TEXT PRIMARY KEY, currency TEXT, status TEXT, current_amount INTEGER, backer_count INTEGER);"
    "CREATE TABLE rewards (id TEXT PRIMARY KEY, campaign_id TEXT, minimum_pledge INTEGER, quantity_available INTEGER, quantity_claimed INTEGER);"
    "CREATE TABLE pledges (id TEXT PRIMARY KEY, backer_id TEXT, campaign_id TEXT, amount INTEGER, currency TEXT, reward_tier_id TEXT, status TEXT, created_at TEXT, UNIQUE (backer_id, campaign_id));"
    "CREATE TABLE idempotency (key TEXT, user_id TEXT, response TEXT, PRIMARY KEY (key, user_id));"
    "INSERT INTO campaigns VALUES ('c0', 'USD', 'live', 0, 0);"
    "INSERT INTO rewards VALUES ('c0t0', 'c0', 1000, 100000000, 0);", NULL, NULL, NULL));
  CHECK (sqlite3_prepare_v2 (db, "BEGIN IMMEDIATE", -1, &begin, NULL));
  CHECK (sqlite3_prepare_v2 (db, "COMMIT", -1, &commit, NULL));
  CHECK (sqlite3_prepare_v2 (db, "SELECT response FROM idempotency WHERE key = ?1 AND user_id = ?2", -1, &idem_get, NULL));
  CHECK (sqlite3_prepare_v2 (db, "SELECT currency, status FROM campaigns WHERE id = 'c0'", -1, &camp, NULL));
  CHECK (sqlite3_prepare_v2 (db, "UPDATE rewards SET quantity_claimed = quantity_claimed + 1 WHERE id = 'c0t0' AND "
                                 "minimum_pledge <= 1000 AND (quantity_available IS NULL OR quantity_claimed < quantity_available)",
                             -1, &tier, NULL));
  CHECK (sqlite3_prepare_v2 (db, "INSERT INTO pledges VALUES (?1, ?2, 'c0', 1000, 'USD', 'c0t0', 'authorized', datetime('now'))",
                             -1, &ins, NULL));
  CHECK (sqlite3_prepare_v2 (db, "UPDATE campaigns SET current_amount = current_amount + 1000, backer_count = backer_count + 1 "
                                 "WHERE id = 'c0'", -1, &upd, NULL));
  CHECK (sqlite3_prepare_v2 (db, "INSERT INTO idempotency VALUES (?1, ?2, ?3)", -1, &idem_put, NULL));

  t0 = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    {
      char pid[40], uid[24], key[40], resp[160];

      g_snprintf (pid, sizeof pid, "p%08d", i);
      g_snprintf (uid, sizeof uid, "b%d", i);
      g_snprintf (key, sizeof key, "k%08d", i);
      g_snprintf (resp, sizeof resp, "{\"id\": \"%s\", \"backer_id\": \"%s\", \"amount\": 1000}", pid, uid);
      CHECK (sqlite3_step (begin)); sqlite3_reset (begin);
      sqlite3_bind_text (idem_get, 1, key, -1, SQLITE_STATIC);
      sqlite3_bind_text (idem_get, 2, uid, -1, SQLITE_STATIC);
      CHECK (sqlite3_step (idem_get)); sqlite3_reset (idem_get);
      CHECK (sqlite3_step (camp)); sqlite3_reset (camp);
      CHECK (sqlite3_step (tier)); sqlite3_reset (tier);
      sqlite3_bind_text (ins, 1, pid, -1, SQLITE_STATIC);
      sqlite3_bind_text (ins, 2, uid, -1, SQLITE_STATIC);
      CHECK (sqlite3_step (ins)); sqlite3_reset (ins);
      CHECK (sqlite3_step (upd)); sqlite3_reset (upd);
      sqlite3_bind_text (idem_put, 1, key, -1, SQLITE_STATIC);
      sqlite3_bind_text (idem_put, 2, uid, -1, SQLITE_STATIC);
      sqlite3_bind_text (idem_put, 3, resp, -1, SQLITE_STATIC);
      CHECK (sqlite3_step (idem_put)); sqlite3_reset (idem_put);
      CHECK (sqlite3_step (commit)); sqlite3_reset (commit);
    }
  t1 = g_get_monotonic_time ();
  printf ("{\"raw_sqlite_pledges_per_s\": %.0f, \"n\": %d}\n", n / ((t1 - t0) / 1e6), n);
  sqlite3_finalize (begin); sqlite3_finalize (commit); sqlite3_finalize (idem_get); sqlite3_finalize (camp);
  sqlite3_finalize (tier); sqlite3_finalize (ins); sqlite3_finalize (upd); sqlite3_finalize (idem_put);
  sqlite3_close (db);
  return 0;
}
