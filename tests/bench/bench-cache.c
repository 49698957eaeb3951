/* bench-cache.c: the app's offline cache at Discover scale.
 *
 *   bench-cache [N]     (N campaigns at most, default 100000)
 *
 * Fills a fresh cache (a temp folder) with campaigns of varied titles,
 * creators, categories and stories made from word lists (fixed seed), then
 * measures on the calling thread (cs_cache_*_sync: the worker's own code):
 *   - the first Discover page (trending, public only, limit 60) at 10,000
 *     and at N campaigns;
 *   - local search (prefix words, trending, public only, limit 60) over
 *     1,000 queries at N campaigns: p50/p95/p99 (target: p95 < 10 ms).
 * Prints the figures; exits non-zero only on errors (targets are reported,
 * not asserted).  Search times are also given in CPU time of the thread
 * (the wall-clock figures suffer when other processes share the machine).
 *
 * CS_BENCH_SLOW=1 also prints each search over 5 ms; CS_BENCH_KEEP=1 keeps
 * the filled cache file; CS_BENCH_CACHE=FILE uses FILE as the cache, and
 * when FILE exists, takes it as filled (no filling, no 10,000 figures: to
 * measure searches again quickly). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <glib/gstdio.h>

#include "cs-cache.h"

#define SEED 20240611
#define BATCH 1000
#define PAGE 60
#define DISCOVER_RUNS 200
#define SEARCH_QUERIES 1000

static const char *adjectives[] = {
  "solar", "tiny", "wooden", "open", "electric", "hidden", "urban", "ancient", "modular", "quiet",
  "floating", "smart", "handmade", "portable", "wild", "crystal", "vintage", "cosmic", "silent",
  "folding", "bright", "nordic", "café", "naïve", "über", "rustic", "digital", "analog", "mighty",
  "gentle", "restored", "forgotten", "sonic", "lunar", "coastal", "alpine", "desert", "neon",
};
static const char *nouns[] = {
  "kettle", "garden", "robot", "bicycle", "lamp", "album", "documentary", "boardgame", "novel",
  "keyboard", "camera", "backpack", "theatre", "bakery", "library", "telescope", "drone", "guitar",
  "comic", "festival", "watch", "speaker", "tent", "kayak", "printer", "synthesizer", "atlas",
  "lighthouse", "orchestra", "workshop", "journal", "puzzle", "sculpture", "mural", "podcast",
  "cookbook", "greenhouse", "studio", "sneaker", "planter", "chessboard", "radio", "map",
};
static const char *story_words[] = {
  "we", "build", "a", "community", "around", "the", "idea", "that", "everyone", "deserves",
  "good", "design", "our", "team", "spent", "two", "years", "testing", "prototypes", "with",
  "local", "makers", "and", "your", "pledge", "helps", "us", "manufacture", "first", "batch",
  "sustainable", "materials", "shipping", "worldwide", "rewards", "include", "early", "access",
  "limited", "edition", "signed", "copies", "workshops", "recycled", "aluminium", "oak", "wool",
  "river", "mountain", "city", "children", "music", "stories", "light", "energy", "water",
};
static const char *first_names[] = {
  "Zoë", "Hélène", "Inês", "Jürgen", "Ana", "Ming", "Oluwaseun", "Siobhán", "Lars", "Priya",
  "Mateo", "Aiko", "Fatima", "Noah", "Élodie", "Kwame", "Björn", "Lucía", "Dmitri", "Chloé",
};
static const char *last_names[] = {
  "Müller", "Dubois", "Lopes", "Sousa", "Nakamura", "Okafor", "Ó Briain", "Nilsson", "Sharma",
  "García", "Tanaka", "Haddad", "Smith", "Lefèvre", "Mensah", "Andersson", "Fernández", "Ivanov",
};
static const char *categories[] = {
  "art", "comics", "crafts", "design", "fashion", "film", "food", "games", "journalism", "music",
  "photography", "publishing", "technology", "theater",
};

#define PICK(rand, list) (list[g_rand_int_range ((rand), 0, G_N_ELEMENTS (list))])

static CsCampaign *
make_campaign (GRand *rand, guint n, gint64 now)
{
  CsCampaign *c = cs_campaign_new ();
  GString *story = g_string_new (NULL);
  gint32 r = g_rand_int_range (rand, 0, 100);
  guint words = g_rand_int_range (rand, 30, 90);

  c->id = g_strdup_printf ("cmp_bench%07u", n);
  c->creator_id = g_strdup_printf ("usr_bench%05d", g_rand_int_range (rand, 0, 20000));
  c->creator.id = g_strdup (c->creator_id);
  c->creator.display_name = g_strdup_printf ("%s %s", PICK (rand, first_names), PICK (rand, last_names));
  c->creator.username = g_strdup_printf ("maker%d", g_rand_int_range (rand, 0, 20000));
  c->title = g_strdup_printf ("%s %s %s", PICK (rand, adjectives), PICK (rand, adjectives), PICK (rand, nouns));
  for (guint i = 0; i < words; i++)
    {
      if (i > 0)
        g_string_append_c (story, i % 17 == 0 ? '\n' : ' ');
      g_string_append (story, i % 11 == 5 ? PICK (rand, nouns) : PICK (rand, story_words));
    }
  c->description = g_string_free (story, FALSE);
  c->category = g_strdup (PICK (rand, categories));
  c->goal_amount = 100000 * g_rand_int_range (rand, 1, 200);
  c->current_amount = c->goal_amount * g_rand_int_range (rand, 0, 250) / 100;
  g_strlcpy (c->currency, r % 3 == 0 ? "USD" : "EUR", sizeof c->currency);
  c->backer_count = g_rand_int_range (rand, 0, 5000);
  c->status = r < 70 ? CS_CAMPAIGN_LIVE : r < 85 ? CS_CAMPAIGN_SUCCESSFUL : r < 93 ? CS_CAMPAIGN_FAILED
            : r < 96 ? CS_CAMPAIGN_CANCELLED : CS_CAMPAIGN_SUSPENDED;
  c->duration_days = 30;
  c->published_at = now - g_rand_int_range (rand, 3600, 90 * 86400);
  c->start_date = c->published_at;
  c->end_date = c->published_at + 30 * 86400;
  c->created_at = c->published_at - 86400;
  c->updated_at = c->published_at;
  return c;
}

static gboolean
fill (CsCache *cache, GRand *rand, guint from, guint to, GError **error)
{
  gint64 now = cs_now_seconds ();

  for (guint start = from; start < to; start += BATCH)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);

      for (guint n = start; n < MIN (to, start + BATCH); n++)
        g_ptr_array_add (batch, make_campaign (rand, n, now));
      if (!cs_cache_put_campaigns_sync (cache, batch, error))
        return FALSE;
      /* The "changed" signals queued on the main context. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  return TRUE;
}

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
print_percentiles (const char *what, GArray *micros, double matches)
{
  gsize n = micros->len;

  g_array_sort (micros, compare_gint64);
  printf ("%-44s n=%-5zu p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms",
          what, n,
          g_array_index (micros, gint64, n * 50 / 100) / 1000.0,
          g_array_index (micros, gint64, MIN (n - 1, n * 95 / 100)) / 1000.0,
          g_array_index (micros, gint64, MIN (n - 1, n * 99 / 100)) / 1000.0,
          g_array_index (micros, gint64, n - 1) / 1000.0);
  if (matches >= 0)
    printf ("  (%.1f rows/query)", matches);
  printf ("\n");
}

static gboolean
bench_discover (CsCache *cache, guint count, GError **error)
{
  CsCacheQuery q = { CS_API_SORT_TRENDING, NULL, NULL, PAGE, TRUE };
  g_autoptr(GArray) micros = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *what = g_strdup_printf ("Discover page (trending, 60) at %u", count);

  for (guint i = 0; i < DISCOVER_RUNS; i++)
    {
      gint64 t0 = g_get_monotonic_time (), dt;
      g_autoptr(GPtrArray) page = cs_cache_query_campaigns_sync (cache, &q, error);

      if (page == NULL)
        return FALSE;
      dt = g_get_monotonic_time () - t0;
      g_array_append_val (micros, dt);
      if (page->len != PAGE)
        {
          g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "Discover returned %u rows", page->len);
          return FALSE;
        }
    }
  print_percentiles (what, micros, -1);

  /* The other sorts in one category, for the record. */
  for (CsApiSort sort = CS_API_SORT_NEWEST; sort <= CS_API_SORT_MOST_FUNDED; sort++)
    {
      static const char *names[] = { "trending", "newest", "ending_soon", "most_funded" };
      CsCacheQuery cq = { sort, "games", NULL, PAGE, TRUE };
      g_autoptr(GArray) m = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autofree char *label = g_strdup_printf ("  %s, games, 60 at %u", names[sort], count);

      for (guint i = 0; i < DISCOVER_RUNS; i++)
        {
          gint64 t0 = g_get_monotonic_time (), dt;
          g_autoptr(GPtrArray) page = cs_cache_query_campaigns_sync (cache, &cq, error);

          if (page == NULL)
            return FALSE;
          dt = g_get_monotonic_time () - t0;
          g_array_append_val (m, dt);
        }
      print_percentiles (label, m, -1);
    }
  return TRUE;
}

int
main (int argc, char *argv[])
{
  guint total = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 100000;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(CsCache) cache = NULL;
  guint first = MIN (total, 10000);
  const char *given = g_getenv ("CS_BENCH_CACHE");
  gboolean filled = given != NULL && g_file_test (given, G_FILE_TEST_EXISTS);
  gint64 t0;

  if (given != NULL)
    path = g_strdup (given);
  else
    {
      dir = g_dir_make_tmp ("cs-bench-cache-XXXXXX", &error);
      if (dir == NULL)
        goto fail;
      path = g_build_filename (dir, "cache.db", NULL);
    }
  cache = cs_cache_new (path, &error);
  if (cache == NULL)
    goto fail;

  if (filled)
    {
      printf ("using the filled cache %s\n", path);
      if (!bench_discover (cache, total, &error))
        goto fail;
    }
  else
    {
      t0 = g_get_monotonic_time ();
      if (!fill (cache, rand, 0, first, &error))
        goto fail;
      printf ("filled %u campaigns in %.1f s\n", first, (g_get_monotonic_time () - t0) / 1e6);
      if (!bench_discover (cache, first, &error))
        goto fail;
    }

  if (!filled && total > first)
    {
      t0 = g_get_monotonic_time ();
      if (!fill (cache, rand, first, total, &error))
        goto fail;
      printf ("filled %u campaigns in %.1f s\n", total, (g_get_monotonic_time () - t0) / 1e6);
      if (!bench_discover (cache, total, &error))
        goto fail;
    }

  /* Search as typed: one or two words, the last one often a prefix. */
  {
    CsCacheQuery q = { CS_API_SORT_TRENDING, NULL, NULL, PAGE, TRUE };
    g_autoptr(GArray) micros = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_autoptr(GRand) qrand = g_rand_new_with_seed (SEED + 1);
    guint64 rows = 0;

    for (guint i = 0; i < SEARCH_QUERIES; i++)
      {
        const char *pool[] = { PICK (qrand, adjectives), PICK (qrand, nouns), PICK (qrand, first_names),
                               PICK (qrand, categories), PICK (qrand, story_words) };
        const char *word = pool[g_rand_int_range (qrand, 0, G_N_ELEMENTS (pool))];
        glong len = g_utf8_strlen (word, -1);
        glong cut = g_rand_boolean (qrand) || len <= 2 ? len : g_rand_int_range (qrand, 2, (gint32) len + 1);
        g_autofree char *prefix = g_utf8_substring (word, 0, MIN (cut, len));
        g_autofree char *text = g_rand_int_range (qrand, 0, 3) == 0
                                ? g_strdup_printf ("%s %s", PICK (qrand, nouns), prefix)
                                : g_strdup (prefix);
        gint64 start = g_get_monotonic_time (), start_cpu = thread_cpu_us (), dt, dt_cpu;
        g_autoptr(GPtrArray) found = NULL;

        q.text = text;
        found = cs_cache_query_campaigns_sync (cache, &q, &error);
        if (found == NULL)
          goto fail;
        dt = g_get_monotonic_time () - start;
        dt_cpu = thread_cpu_us () - start_cpu;
        g_array_append_val (micros, dt);
        g_array_append_val (cpu, dt_cpu);
        rows += found->len;
        if (g_getenv ("CS_BENCH_SLOW") != NULL && dt > 5000)
          printf ("  slow: %6.2f ms (CPU %6.2f ms)  \"%s\" (%u rows)\n", dt / 1000.0, dt_cpu / 1000.0,
                  text, found->len);
      }
    {
      g_autofree char *what = g_strdup_printf ("search (prefix words, trending, 60) at %u", total);

      print_percentiles (what, micros, (double) rows / SEARCH_QUERIES);
      print_percentiles ("  the same in CPU time", cpu, -1);
    }
  }

  g_clear_object (&cache);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (g_getenv ("CS_BENCH_KEEP") != NULL || given != NULL)
    {
      printf ("kept %s\n", path);
      return 0;
    }
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (path);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (dir);
  }
  return 0;

fail:
  fprintf (stderr, "bench-cache: %s\n", error != NULL ? error->message : "failed");
  return 1;
}
