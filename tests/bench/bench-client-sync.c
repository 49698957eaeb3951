/* bench-client-sync.c: the app engine's first sync, measured.
 *
 *   bench-client-sync URL CACHE_DIR
 *
 * Against a running server (tests/bench/bench-client.sh seeds and starts
 * one), with an empty cache in CACHE_DIR: times the first pass (every public
 * campaign through GET /sync pages into the SQLite cache), a second pass
 * (nothing changed), and reading the first Discover page (trending, 60) back
 * from the cache; prints the process's peak RSS.  Exit 1 on an error only:
 * targets are reported, not asserted.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs-context.h"

typedef struct {
  GAsyncResult *result;
} Wait;

static void
done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  ((Wait *) data)->result = g_object_ref (result);
}

static GAsyncResult *
wait_result (Wait *w)
{
  while (w->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return w->result;
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static long
peak_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
}

static gboolean
pass (CsSyncEngine *engine, double *ms, GError **error)
{
  Wait w = { 0 };
  gint64 start = g_get_monotonic_time ();
  gboolean ok;

  cs_sync_engine_refresh_async (engine, NULL, done_cb, &w);
  ok = cs_sync_engine_refresh_finish (engine, wait_result (&w), error);
  *ms = ms_since (start);
  g_object_unref (w.result);
  return ok;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsContext) context = NULL;
  g_autoptr(GPtrArray) page = NULL;
  CsCacheQuery query = { .sort = CS_API_SORT_TRENDING, .limit = 60, .public_only = TRUE };
  CsCacheQuery all = { .sort = CS_API_SORT_NEWEST, .public_only = FALSE };
  g_autoptr(GPtrArray) everything = NULL;
  Wait w = { 0 };
  double first_ms, second_ms, read_ms;
  gint64 start;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s URL CACHE_DIR\n", argv[0]);
      return 2;
    }
  context = cs_context_new (argv[1], argv[2], FALSE, &error);
  if (context == NULL)
    {
      fprintf (stderr, "bench-client-sync: %s\n", error->message);
      return 1;
    }
  if (!pass (cs_context_get_sync_engine (context), &first_ms, &error) ||
      !pass (cs_context_get_sync_engine (context), &second_ms, &error))
    {
      fprintf (stderr, "bench-client-sync: a pass failed: %s\n", error->message);
      return 1;
    }

  start = g_get_monotonic_time ();
  cs_cache_query_campaigns_async (cs_context_get_cache (context), &query, NULL, done_cb, &w);
  page = cs_cache_query_campaigns_finish (cs_context_get_cache (context), wait_result (&w), &error);
  read_ms = ms_since (start);
  g_clear_object (&w.result);
  if (page == NULL)
    {
      fprintf (stderr, "bench-client-sync: reading the cache failed: %s\n", error->message);
      return 1;
    }
  cs_cache_query_campaigns_async (cs_context_get_cache (context), &all, NULL, done_cb, &w);
  everything = cs_cache_query_campaigns_finish (cs_context_get_cache (context), wait_result (&w), &error);
  g_clear_object (&w.result);
  if (everything == NULL)
    {
      fprintf (stderr, "bench-client-sync: reading the cache failed: %s\n", error->message);
      return 1;
    }

  printf ("campaigns cached:            %u\n", everything->len);
  printf ("first sync (empty cache):    %.0f ms   (target < 3000 ms)\n", first_ms);
  printf ("second sync (no changes):    %.0f ms\n", second_ms);
  printf ("Discover page from cache:    %.1f ms   (trending, %u cards)\n", read_ms, page->len);
  printf ("peak RSS:                    %.1f MiB\n", peak_rss_kib () / 1024.0);
  return 0;
}
