/* bench-pledge-seed.c: one hot live campaign and N backers for the pledge
 * benchmark (tests/bench/bench-pledge.sh), through the store API:
 * a creator whose identity the sandbox provider verified, a live campaign
 * with one big limited tier (minimum 10.00), and N backers, each with a
 * signed-in session and a sandbox card.
 *
 *   bench-pledge-seed sqlite:///abs/path.db N TOKENS_FILE
 *     → prints "CAMPAIGN_ID TIER_ID"; TOKENS_FILE gets "ACCESS_TOKEN PM_ID" lines
 */
#include <stdio.h>
#include <stdlib.h>

#include "cs-store.h"
#include "cs-auth-service.h"
#include "cs-gateway.h"
#include "bench-common.h"

#define DAY (G_GINT64_CONSTANT (24) * 3600)

static CsUser *
make_user (CsStoreConn *conn, const char *name, const char *hash, gint64 now, GError **error)
{
  g_autoptr(CsUser) user = cs_user_new ();

  user->id = cs_id_new ("usr");
  user->email = g_strconcat (name, "@bench.example.org", NULL);
  user->username = g_strdup (name);
  user->display_name = g_strdup (name);
  user->role = CS_ROLE_BACKER;
  user->created_at = user->updated_at = now;
  if (!cs_store_user_insert (conn, user, hash, error))
    return NULL;
  return g_steal_pointer (&user);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsStore) store = NULL;
  g_autoptr(CsStoreConn) conn = NULL;
  g_autoptr(CsUser) creator = NULL;
  g_autoptr(CsCampaign) draft = cs_campaign_new ();
  g_autoptr(CsCampaign) live = NULL;
  g_autofree char *hash = NULL;
  CsRewardTier *tier;
  FILE *tokens;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  long n;

  if (argc != 4 || (n = strtol (argv[2], NULL, 10)) <= 0)
    {
      fprintf (stderr, "usage: %s DATABASE_URL N TOKENS_FILE\n", argv[0]);
      return 2;
    }
  store = cs_store_open (argv[1], &error);
  if (store != NULL)
    conn = cs_store_connect (store, &error);
  if (conn != NULL)
    hash = cs_password_hash ("bench-password-not-secret", CS_PASSWORD_COST_MINIMUM, &error);
  if (hash != NULL)
    creator = make_user (conn, "benchcreator", hash, now, &error);
  if (creator == NULL)
    goto failed;

  if (!bench_verify_identity (conn, creator->id, "Bench Creator", now, &error))
    goto failed;

  draft->id = cs_id_new ("cmp");
  draft->creator_id = g_strdup (creator->id);
  draft->title = g_strdup ("The hot launch");
  draft->description = g_strdup ("Everybody backs this one at once.");
  draft->category = g_strdup ("games");
  draft->goal_amount = 100000000;
  g_strlcpy (draft->currency, "USD", sizeof draft->currency);
  draft->duration_days = 30;
  draft->created_at = now;
  tier = cs_reward_tier_new ();
  tier->id = cs_id_new ("tier");
  tier->campaign_id = g_strdup (draft->id);
  tier->title = g_strdup ("Launch edition");
  tier->description = g_strdup ("");
  tier->minimum_pledge = 1000;
  tier->quantity_available = 10000000;
  g_ptr_array_add (draft->rewards, tier);
  live = cs_store_campaign_insert (conn, draft, &error);
  g_clear_pointer (&live, cs_campaign_free);
  if (!(live = cs_store_campaign_transition (conn, draft->id, CS_CAMPAIGN_EVENT_SUBMIT, creator->id, NULL, now, &error)))
    goto failed;
  g_clear_pointer (&live, cs_campaign_free);
  if (!(live = cs_store_campaign_transition (conn, draft->id, CS_CAMPAIGN_EVENT_APPROVE, creator->id, NULL, now, &error)))
    goto failed;

  tokens = fopen (argv[3], "w");
  if (tokens == NULL)
    {
      perror (argv[3]);
      return 1;
    }
  for (long i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("backer%ld", i);
      g_autoptr(CsUser) backer = make_user (conn, name, hash, now, &error);
      g_autofree char *session = cs_id_new ("ses");
      /* tokens in cs-auth-service.c's format: "csa_"/"csr_" + random */
      g_autofree char *access_raw = cs_token_new (32);
      g_autofree char *refresh_raw = cs_token_new (32);
      g_autofree char *access = g_strconcat ("csa_", access_raw, NULL);
      g_autofree char *refresh = g_strconcat ("csr_", refresh_raw, NULL);
      g_autofree char *access_hash = cs_sha256_hex (access);
      g_autofree char *refresh_hash = cs_sha256_hex (refresh);
      CsSandboxPaymentMethod pm = { 0 };

      if (backer == NULL ||
          !cs_store_session_create (conn, session, backer->id, access_hash, now + DAY, refresh_hash, now + 30 * DAY,
                                    now, &error) ||
          !cs_sandbox_tokenize (conn, "4242424242424242", 12, 2030, "123", now, &pm, &error))
        goto failed;
      fprintf (tokens, "%s %s\n", access, pm.id);
    }
  fclose (tokens);
  printf ("%s %s\n", draft->id, ((CsRewardTier *) g_ptr_array_index (draft->rewards, 0))->id);
  return 0;

failed:
  fprintf (stderr, "bench-pledge-seed: %s\n", error != NULL ? error->message : "failed");
  return 1;
}
