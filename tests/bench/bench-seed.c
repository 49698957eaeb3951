/* bench-seed.c: fills a database with N live campaigns for the read
 * benchmarks (tests/bench/bench-read.sh), through the store API like any
 * other writer: each campaign is inserted as a draft with 1-3 reward tiers,
 * submitted and approved.
 *
 *   bench-seed sqlite:///abs/path.db N     → prints one campaign id on stdout
 *
 * Titles and stories are built from a fixed vocabulary with a fixed-seed
 * GRand, so full-text searches have realistic spreads: some words appear in
 * a third of the campaigns, some in one in a thousand.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cs-store.h"
#include "cs-auth-service.h"
#include "bench-common.h"

#define DAY (G_GINT64_CONSTANT (24) * 3600)

/* Common words first: pick_word() favours the start of each list. */
static const char * const adjectives[] = {
  "handmade", "open", "little", "new", "wild", "quiet", "northern", "analog", "solar", "tiny",
  "forgotten", "electric", "paper", "wooden", "floating", "midnight", "coastal", "hidden",
  "repairable", "portable", "ancient", "modular", "luminous", "restless", "velvet", "copper",
};
static const char * const nouns[] = {
  "game", "book", "album", "garden", "film", "lamp", "synth", "kitchen", "map", "studio",
  "lantern", "bicycle", "theatre", "festival", "camera", "press", "quilt", "podcast", "harbour",
  "observatory", "greenhouse", "typeface", "telescope", "accordion", "lighthouse", "marionette",
};
static const char * const forms[] = {
  "a board game", "a graphic novel", "a documentary", "a vinyl record", "a cookbook", "a desk lamp",
  "a community workshop", "a photo book", "a touring play", "an open-source kit", "a short film",
};
static const char * const sentences[] = {
  "We have been building prototypes for two years and testing them with friends and strangers.",
  "Every part is made by small workshops that we know by name and pay fairly.",
  "The goal covers the first production run, the tooling and shipping to backers.",
  "Anything above the goal goes into a second edition and better materials.",
  "Backers get updates every two weeks, with photos from the workshop.",
  "Our team is four people, a dog and far too many notebooks.",
  "The designs are published under an open licence once the campaign ends.",
  "We tested it at festivals, schools and libraries across the country.",
  "Delivery is planned for next spring, and we will tell you honestly if anything slips.",
  "Thank you for reading this far: sharing the campaign helps as much as pledging.",
};
static const char * const categories[] = {
  "art", "comics", "crafts", "dance", "design", "fashion", "film", "food", "games", "journalism",
  "music", "photography", "publishing", "technology", "theater",
};
static const char * const currencies[] = { "USD", "EUR", "GBP" };

static const char *
pick_word (GRand *rand, const char * const *words, guint n)
{
  /* The square of a uniform draw: low indexes are much more common. */
  double u = g_rand_double (rand);

  return words[MIN ((guint) (u * u * n), n - 1)];
}

static char *
delivery_date (gint64 now, int months)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (now);
  g_autoptr(GDateTime) d = g_date_time_add_months (t, months);

  return g_strdup_printf ("%04d-%02d-01", g_date_time_get_year (d), g_date_time_get_month (d));
}

static CsCampaign *
make_campaign (GRand *rand, guint i, const char *creator_id, gint64 now)
{
  CsCampaign *c = cs_campaign_new ();
  const char *adjective = pick_word (rand, adjectives, G_N_ELEMENTS (adjectives));
  const char *noun = pick_word (rand, nouns, G_N_ELEMENTS (nouns));
  const char *other = pick_word (rand, nouns, G_N_ELEMENTS (nouns));
  const char *form = forms[g_rand_int_range (rand, 0, G_N_ELEMENTS (forms))];
  GString *story = g_string_new (NULL);
  guint n_tiers = (guint) g_rand_int_range (rand, 1, 4);
  guint n_sentences = (guint) g_rand_int_range (rand, 3, 6);
  gint64 base = 1000 * g_rand_int_range (rand, 1, 6);

  g_string_append_printf (story, "The %s %s is %s about a %s %s. ", adjective, noun, form,
                          pick_word (rand, adjectives, G_N_ELEMENTS (adjectives)), other);
  for (guint s = 0; s < n_sentences; s++)
    g_string_append_printf (story, "%s ", sentences[g_rand_int_range (rand, 0, G_N_ELEMENTS (sentences))]);
  g_string_truncate (story, story->len - 1);

  c->id = cs_id_new ("cmp");
  c->creator_id = g_strdup (creator_id);
  c->title = g_strdup_printf ("The %s %s #%u", adjective, noun, i);
  c->title[4] = g_ascii_toupper (c->title[4]);
  c->description = g_string_free (story, FALSE);
  c->category = g_strdup (categories[i % G_N_ELEMENTS (categories)]);
  c->goal_amount = 100000 * g_rand_int_range (rand, 5, 500);
  g_strlcpy (c->currency, currencies[i % G_N_ELEMENTS (currencies)], sizeof c->currency);
  c->duration_days = g_rand_int_range (rand, 20, 61);
  c->created_at = now - 3 * DAY;
  c->updated_at = c->created_at;

  for (guint t = 0; t < n_tiers; t++)
    {
      CsRewardTier *tier = cs_reward_tier_new ();

      tier->id = cs_id_new ("tier");
      tier->campaign_id = g_strdup (c->id);
      tier->title = g_strdup_printf ("%s %s", t == 0 ? "Early" : t == 1 ? "Classic" : "Deluxe", noun);
      tier->description = g_strdup_printf ("One %s %s, with our thanks.", adjective, noun);
      tier->minimum_pledge = base * (t + 1) * (t + 1);
      tier->estimated_delivery_date = delivery_date (now, 3 + (int) t);
      tier->quantity_available = t == 0 ? 100 * g_rand_int_range (rand, 1, 10) : -1;
      tier->position = (gint) t;
      tier->created_at = c->created_at;
      tier->updated_at = c->created_at;
      g_ptr_array_add (c->rewards, tier);
    }
  return c;
}

static char *
add_user (CsStoreConn *conn, const char *username, CsRole role, const char *hash, gint64 now, GError **error)
{
  g_autoptr(CsUser) user = cs_user_new ();

  user->id = cs_id_new ("usr");
  user->email = g_strdup_printf ("%s@bench.test", username);
  user->username = g_strdup (username);
  user->display_name = g_strdup (username);
  user->role = role;
  user->created_at = user->updated_at = now - 30 * DAY;
  if (!cs_store_user_insert (conn, user, hash, error))
    return NULL;
  return g_strdup (user->id);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStore) store = NULL;
  g_autoptr(CsStoreConn) conn = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *creator_id = NULL;
  g_autofree char *moderator_id = NULL;
  g_autofree char *sample_id = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 started = g_get_monotonic_time ();
  guint64 n;

  if (argc != 3 || !g_ascii_string_to_unsigned (argv[2], 10, 1, 10000000, &n, NULL))
    {
      g_printerr ("usage: %s sqlite:///abs/path.db N\n", argv[0]);
      return 2;
    }

  store = cs_store_open (argv[1], &error);
  if (store != NULL)
    conn = cs_store_connect (store, &error);
  if (conn == NULL)
    goto failed;

  hash = cs_password_hash ("bench-password-not-secret", CS_PASSWORD_COST_MINIMUM, &error);
  if (hash == NULL)
    goto failed;
  creator_id = add_user (conn, "bench-creator", CS_ROLE_BACKER, hash, now, &error);
  if (creator_id == NULL || !bench_verify_identity (conn, creator_id, "Bench Creator", now, &error))
    goto failed;
  moderator_id = add_user (conn, "bench-moderator", CS_ROLE_MODERATOR, hash, now, &error);
  if (moderator_id == NULL)
    goto failed;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CsCampaign) draft = make_campaign (rand, i, creator_id, now);
      g_autoptr(CsCampaign) inserted = NULL;
      g_autoptr(CsCampaign) submitted = NULL;
      g_autoptr(CsCampaign) live = NULL;
      /* Approved over the last two days, so the campaigns spread in time. */
      gint64 approved_at = now - 2 * DAY + (gint64) i * (2 * DAY) / (gint64) n;

      inserted = cs_store_campaign_insert (conn, draft, &error);
      if (inserted != NULL)
        submitted = cs_store_campaign_transition (conn, draft->id, CS_CAMPAIGN_EVENT_SUBMIT, creator_id,
                                                  NULL, approved_at - 3600, &error);
      if (submitted != NULL)
        live = cs_store_campaign_transition (conn, draft->id, CS_CAMPAIGN_EVENT_APPROVE, moderator_id,
                                             NULL, approved_at, &error);
      if (live == NULL)
        goto failed;

      if (i == n / 2)
        sample_id = g_strdup (draft->id);
      if ((i + 1) % 10000 == 0 || i + 1 == n)
        g_printerr ("bench-seed: %u/%" G_GUINT64_FORMAT " campaigns (%.1f s)\n", i + 1, n,
                    (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC);
    }

  if (!cs_store_refresh_trending (conn, now, &error))
    goto failed;

  g_print ("%s\n", sample_id);
  return 0;

failed:
  g_printerr ("bench-seed: %s\n", error != NULL ? error->message : "failed");
  return 1;
}
