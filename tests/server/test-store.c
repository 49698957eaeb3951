/* test-store.c: the store (cs-store.h) on a real database (a SQLite file,
 * or a PostgreSQL schema: cs-test-db.h): migrations, users, sessions, rate
 * limits, campaigns and their state machine, tiers, lists and search, the
 * sync feed, pledges under concurrency. */
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "crowdspark-core.h"
#include "cs-store.h"
#include "cs-server-resources.h"
#include "cs-test-db.h"

#define NOW G_GINT64_CONSTANT (1700000000)
#define DAY 86400

typedef struct {
  char        *dir;
  char        *url;
  CsStore     *store;
  CsStoreConn *conn;
} Fixture;

/* Helpers */

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cs-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->url = cs_test_db_url (f->dir, "store.db");
  f->store = cs_store_open (f->url, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
  f->conn = cs_store_connect (f->store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->conn);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      g_remove (p);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->conn, cs_store_conn_free);
  g_clear_pointer (&f->store, cs_store_free);
  cs_test_db_drop (f->url);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->url);
}

/* Campaigns are only submitted by identity-verified creators: every test
 * user is verified by the (sandbox) provider's decision. */
static void
verify_identity (CsStoreConn *conn, const char *user_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsKycCheck) check = cs_kyc_check_new ();
  g_autoptr(CsKycCheck) stored = NULL;
  g_autoptr(CsKycCheck) decided = NULL;

  check->id = cs_id_new ("kyc");
  check->user_id = g_strdup (user_id);
  check->status = CS_KYC_PENDING;
  check->full_name = g_strdup ("Test Person");
  check->country = g_strdup ("NL");
  check->document_type = g_strdup ("passport");
  check->document_last4 = g_strdup ("1234");
  check->created_at = check->updated_at = NOW;
  stored = cs_store_kyc_submit (conn, check, NOW, &error);
  g_assert_no_error (error);
  decided = cs_store_kyc_decide (conn, stored->id, CS_KYC_VERIFIED, NULL, NULL, NOW, &error);
  g_assert_no_error (error);
}

static char *
add_user (CsStoreConn *conn, const char *name, CsRole role)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) user = cs_user_new ();

  user->id = cs_id_new ("usr");
  user->email = g_strdup_printf ("%s@Example.com", name);
  user->username = g_strdup (name);
  user->role = role;
  user->created_at = user->updated_at = NOW;
  g_assert_true (cs_store_user_insert (conn, user, "$argon2id$fake", &error));
  g_assert_no_error (error);
  verify_identity (conn, user->id);
  return g_strdup (user->id);
}

static CsCampaign *
add_campaign_full (CsStoreConn *conn, const char *creator_id, const char *title,
                   const char *description, const char *category, gint64 goal,
                   gint64 created_at, guint n_tiers, gint64 quantity)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CsCampaign) c = cs_campaign_new ();
  CsCampaign *stored;

  c->id = cs_id_new ("cmp");
  c->creator_id = g_strdup (creator_id);
  c->title = g_strdup (title);
  c->description = g_strdup (description);
  c->category = g_strdup (category);
  c->goal_amount = goal;
  g_strlcpy (c->currency, "EUR", sizeof c->currency);
  c->duration_days = 30;
  c->created_at = created_at;
  for (guint i = 0; i < n_tiers; i++)
    {
      CsRewardTier *t = cs_reward_tier_new ();

      t->id = cs_id_new ("tier");
      t->title = g_strdup_printf ("Tier %u", i);
      t->description = g_strdup ("A reward");
      t->minimum_pledge = 1000 * (i + 1);
      t->estimated_delivery_date = g_strdup ("2030-01-15");
      t->quantity_available = quantity;
      g_ptr_array_add (c->rewards, t);
    }
  stored = cs_store_campaign_insert (conn, c, &error);
  g_assert_no_error (error);
  g_assert_nonnull (stored);
  return stored;
}

static CsCampaign *
add_campaign (CsStoreConn *conn, const char *creator_id, const char *title)
{
  return add_campaign_full (conn, creator_id, title, "A story.", "games", 100000, NOW, 2, 10);
}

static CsCampaign *
transition (CsStoreConn *conn, const char *id, CsCampaignEvent event, const char *actor,
            const char *reason, gint64 now)
{
  g_autoptr(GError) error = NULL;
  CsCampaign *c = cs_store_campaign_transition (conn, id, event, actor, reason, now, &error);

  g_assert_no_error (error);
  g_assert_nonnull (c);
  return c;
}

static void
publish (CsStoreConn *conn, const char *id, const char *moderator, gint64 now)
{
  cs_campaign_free (transition (conn, id, CS_CAMPAIGN_EVENT_SUBMIT, NULL, NULL, now));
  cs_campaign_free (transition (conn, id, CS_CAMPAIGN_EVENT_APPROVE, moderator, NULL, now));
}

/* A pending pledge with its AUTHORIZE job, as POST /pledges makes one
 * (no idempotency record).  *pledge_id_out and *job_id_out, if asked. */
static gboolean
create_pledge (CsStoreConn *conn, const char *campaign_id, const char *backer_id, const char *tier_id,
               gint64 amount, gint64 now, char **pledge_id_out, char **job_id_out, GError **error)
{
  g_autoptr(CsPledge) pledge = NULL;
  g_auto(CsReplay) replay = { 0 };
  g_autofree char *pledge_id = cs_id_new ("pl");
  g_autofree char *job_id = cs_id_new ("job");
  CsPledgeCreate create = { pledge_id, campaign_id, backer_id, amount, tier_id, "pm_test", job_id };

  if (!cs_store_pledge_create (conn, &create, NULL, now, &pledge, &replay, error))
    return FALSE;
  if (pledge_id_out != NULL)
    *pledge_id_out = g_steal_pointer (&pledge_id);
  if (job_id_out != NULL)
    *job_id_out = g_steal_pointer (&job_id);
  return TRUE;
}

/* A pledge the way the money path makes one: created pending, then
 * authorized by the gateway's event answering its job.  Test campaigns are
 * in EUR.  Returns the pledge id. */
static char *
authorized_pledge (CsStoreConn *conn, const char *campaign_id, const char *backer_id, const char *tier_id,
                   gint64 amount, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *job_id = NULL;
  g_autofree char *event_id = cs_id_new ("evt");
  g_autofree char *charge_id = cs_id_new ("ch");
  CsCampaignProgress progress = { 0 };
  CsPaymentEvent event;
  gboolean duplicate = TRUE;
  char *pledge_id = NULL;

  create_pledge (conn, campaign_id, backer_id, tier_id, amount, now, &pledge_id, &job_id, &error);
  g_assert_no_error (error);
  event = (CsPaymentEvent) { event_id, CS_PAYMENT_EVENT_AUTHORIZED, charge_id, pledge_id, job_id, amount, "EUR", NULL };
  g_assert_true (cs_store_payment_event_apply (conn, &event, now, &duplicate, &progress, &error));
  g_assert_no_error (error);
  g_assert_false (duplicate);
  g_assert_cmpstr (progress.campaign_id, ==, campaign_id);
  return pledge_id;
}

static void
assert_field_error (const GError *error, const char *field, const char *message)
{
  GHashTable *fields = cs_error_get_fields (error);

  g_assert_nonnull (fields);
  g_assert_cmpstr (g_hash_table_lookup (fields, field), ==, message);
}

static CsSessionInfo
lookup_ok (CsStoreConn *conn, const char *access_hash, gint64 now)
{
  g_autoptr(GError) error = NULL;
  CsSessionInfo info = { 0 };

  g_assert_true (cs_store_session_lookup (conn, access_hash, now, &info, &error));
  g_assert_no_error (error);
  return info;
}

static void
lookup_fails (CsStoreConn *conn, const char *access_hash, gint64 now)
{
  g_autoptr(GError) error = NULL;
  CsSessionInfo info = { 0 };

  g_assert_false (cs_store_session_lookup (conn, access_hash, now, &info, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_UNAUTHORIZED);
  g_assert_null (info.session_id);
}

static CsRewardTier *
find_tier (CsCampaign *c, const char *tier_id)
{
  for (guint i = 0; i < c->rewards->len; i++)
    {
      CsRewardTier *t = g_ptr_array_index (c->rewards, i);

      if (strcmp (t->id, tier_id) == 0)
        return t;
    }
  return NULL;
}

static CsCampaign *
get_campaign (CsStoreConn *conn, const char *id)
{
  g_autoptr(GError) error = NULL;
  CsCampaign *c = cs_store_campaign_get (conn, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (c);
  return c;
}

/* Walks every page of @query; returns the ids in order (asserting no id twice). */
static GPtrArray *
walk_pages (CsStoreConn *conn, CsCampaignQuery *query, guint *n_pages)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *cursor = NULL;
  guint pages = 0;

  do
    {
      g_autoptr(GError) error = NULL;
      CsCampaignPage page = { 0 };

      query->cursor = cursor;
      g_assert_true (cs_store_campaign_list (conn, query, &page, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (page.items->len, <=, query->limit);
      if (page.next_cursor != NULL)
        g_assert_cmpuint (page.items->len, ==, query->limit);
      for (guint i = 0; i < page.items->len; i++)
        {
          CsCampaign *c = g_ptr_array_index (page.items, i);

          g_assert_false (g_hash_table_contains (seen, c->id));
          g_assert_cmpuint (c->rewards->len, ==, 0);
          g_assert_nonnull (c->creator.username);
          g_ptr_array_add (ids, g_strdup (c->id));
          g_hash_table_add (seen, ids->pdata[ids->len - 1]);
        }
      g_free (cursor);
      cursor = g_steal_pointer (&page.next_cursor);
      cs_campaign_page_clear (&page);
      pages++;
      g_assert_cmpuint (pages, <, 1000);
    }
  while (cursor != NULL);
  query->cursor = NULL;
  if (n_pages != NULL)
    *n_pages = pages;
  return ids;
}

static guint
list_count (CsStoreConn *conn, CsCampaignQuery *query)
{
  g_autoptr(GPtrArray) ids = walk_pages (conn, query, NULL);

  return ids->len;
}

/* Tests: opening and migrations */

static void
test_open_migrates (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user_id = NULL;
  g_autoptr(CsUser) user = NULL;

  g_assert_cmpstr (cs_store_kind (f->store), ==, cs_test_db_is_postgresql () ? "postgresql" : "sqlite");
  g_assert_cmpint (cs_store_schema_version (f->conn), ==, 3);
  g_assert_true (cs_store_ping (f->conn, &error));
  g_assert_no_error (error);

  user_id = add_user (f->conn, "persisted", CS_ROLE_BACKER);

  /* Reopening finds the same schema and data, and migrates nothing. */
  g_clear_pointer (&f->conn, cs_store_conn_free);
  g_clear_pointer (&f->store, cs_store_free);
  f->store = cs_store_open (f->url, &error);
  g_assert_no_error (error);
  f->conn = cs_store_connect (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cs_store_schema_version (f->conn), ==, 3);
  user = cs_store_user_get (f->conn, user_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->username, ==, "persisted");
}

static void
test_open_refuses_future (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  CsStore *store;

  g_clear_pointer (&f->conn, cs_store_conn_free);
  g_clear_pointer (&f->store, cs_store_free);

  /* Where each backend keeps its schema version. */
  cs_test_db_exec (f->url, cs_test_db_is_postgresql ()
                           ? "INSERT INTO schema_migrations (version) VALUES (999)"
                           : "PRAGMA user_version = 999");

  store = cs_store_open (f->url, &error);
  g_assert_null (store);
  g_assert_error (error, CS_ERROR, CS_ERROR_INTERNAL);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_nonnull (strstr (error->message, "999"));
}

static void
test_open_bad_urls (void)
{
  static const char *const bad[] = {
    "sqlite://relative/path.db", "sqlite:relative.db", "sqlite:///", "sqlite:///tmp/x.db?mode=ro",
    "mysql://localhost/db", "", "/tmp/plain-path.db",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (cs_store_open (bad[i], &error));
      g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
    }
  {
    /* A PostgreSQL URL whose server is not there: a clean error that does
     * not repeat the password. */
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, &error);
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autofree char *url = NULL;
    guint16 port;

    /* A port that was free a moment ago and has no listener. */
    g_assert_no_error (error);
    g_assert_true (g_socket_bind (socket, any_port, FALSE, &error));
    g_assert_no_error (error);
    bound = g_socket_get_local_address (socket, &error);
    g_assert_no_error (error);
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    g_socket_close (socket, NULL);
    url = g_strdup_printf ("postgresql://crowd:pg-secret-42@127.0.0.1:%u/crowd?connect_timeout=5", port);

    g_assert_null (cs_store_open (url, &error));
    g_assert_nonnull (error);
    if (cs_test_db_is_postgresql () || !g_error_matches (error, CS_ERROR, CS_ERROR_INVALID))
      {
        g_assert_error (error, CS_ERROR, CS_ERROR_UNAVAILABLE);
        g_assert_true (g_str_has_prefix (error->message, "Cannot connect to PostgreSQL"));
      }
    else   /* a build without libpq */
      g_assert_cmpstr (error->message, ==, "This crowdspark-server was built without PostgreSQL support");
    g_assert_null (strstr (error->message, "pg-secret-42"));
  }
}

static void
test_sort_strings (void)
{
  static const char *const names[] = { "trending", "newest", "ending_soon", "most_funded", "relevance" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      CsCampaignSort sort;

      g_assert_true (cs_campaign_sort_from_string (names[i], &sort));
      g_assert_cmpint (sort, ==, (CsCampaignSort) i);
      g_assert_cmpstr (cs_campaign_sort_to_string (sort), ==, names[i]);
    }
  g_assert_false (cs_campaign_sort_from_string ("popular", NULL));
  g_assert_false (cs_campaign_sort_from_string (NULL, NULL));
}

/* Tests: users */

static void
test_users (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "Alice", CS_ROLE_BACKER);
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_MODERATOR);
  g_autofree char *hash = NULL;
  CsUser *user;

  /* By id, e-mail (normalised) and username (any case). */
  user = cs_store_user_get (f->conn, alice, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->email, ==, "alice@example.com");
  g_assert_cmpstr (user->display_name, ==, "Alice");   /* defaults to the username */
  g_assert_null (user->bio);
  g_assert_cmpint (user->role, ==, CS_ROLE_BACKER);
  g_assert_cmpint (user->created_at, ==, NOW);
  cs_user_free (user);

  user = cs_store_user_get_by_login (f->conn, "  ALICE@example.COM ", &hash, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->id, ==, alice);
  g_assert_cmpstr (hash, ==, "$argon2id$fake");
  cs_user_free (user);
  g_clear_pointer (&hash, g_free);

  user = cs_store_user_get_by_login (f->conn, "BOB", &hash, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->id, ==, bob);
  g_assert_cmpint (user->role, ==, CS_ROLE_MODERATOR);
  cs_user_free (user);

  g_assert_null (cs_store_user_get_by_login (f->conn, "nobody", NULL, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (cs_store_user_get (f->conn, "usr_missing", &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Duplicates: e-mail, username (case-insensitive), both. */
  {
    g_autoptr(CsUser) dup = cs_user_new ();

    dup->id = cs_id_new ("usr");
    dup->email = g_strdup ("ALICE@example.com");
    dup->username = g_strdup ("carol");
    g_assert_false (cs_store_user_insert (f->conn, dup, "h", &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    assert_field_error (error, "email", "is already taken");
    g_assert_null (g_hash_table_lookup (cs_error_get_fields (error), "username"));
    g_clear_error (&error);

    g_free (dup->email);
    dup->email = g_strdup ("carol@example.com");
    g_free (dup->username);
    dup->username = g_strdup ("BoB");
    g_assert_false (cs_store_user_insert (f->conn, dup, "h", &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    assert_field_error (error, "username", "is already taken");
    g_assert_null (g_hash_table_lookup (cs_error_get_fields (error), "email"));
    g_clear_error (&error);

    g_free (dup->email);
    dup->email = g_strdup ("bob@example.com");
    g_assert_false (cs_store_user_insert (f->conn, dup, "h", &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    assert_field_error (error, "username", "is already taken");
    assert_field_error (error, "email", "is already taken");
    g_clear_error (&error);
  }

  /* Updates: fields, bio cleared, role; conflicts; unknown user. */
  {
    CsUserPatch patch = { 0 };

    patch.display_name = "Alice A.";
    patch.bio = "Makes games";
    patch.has_bio = TRUE;
    patch.has_role = TRUE;
    patch.role = CS_ROLE_ADMIN;
    user = cs_store_user_update (f->conn, alice, &patch, NOW + 10, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (user->display_name, ==, "Alice A.");
    g_assert_cmpstr (user->bio, ==, "Makes games");
    g_assert_cmpint (user->role, ==, CS_ROLE_ADMIN);
    g_assert_cmpint (user->updated_at, ==, NOW + 10);
    g_assert_cmpint (user->created_at, ==, NOW);
    cs_user_free (user);

    memset (&patch, 0, sizeof patch);
    patch.has_bio = TRUE;
    patch.bio = NULL;
    patch.email = "Alice2@Example.com";
    user = cs_store_user_update (f->conn, alice, &patch, NOW + 20, &error);
    g_assert_no_error (error);
    g_assert_null (user->bio);
    g_assert_cmpstr (user->email, ==, "alice2@example.com");
    g_assert_cmpstr (user->display_name, ==, "Alice A.");
    cs_user_free (user);

    /* Keeping one's own name in another case is not a conflict. */
    memset (&patch, 0, sizeof patch);
    patch.username = "ALICE";
    user = cs_store_user_update (f->conn, alice, &patch, NOW + 30, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (user->username, ==, "ALICE");
    cs_user_free (user);

    memset (&patch, 0, sizeof patch);
    patch.username = "Bob";
    g_assert_null (cs_store_user_update (f->conn, alice, &patch, NOW + 40, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    assert_field_error (error, "username", "is already taken");
    g_clear_error (&error);

    memset (&patch, 0, sizeof patch);
    patch.email = "bob@example.com";
    g_assert_null (cs_store_user_update (f->conn, alice, &patch, NOW + 40, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    assert_field_error (error, "email", "is already taken");
    g_clear_error (&error);

    memset (&patch, 0, sizeof patch);
    patch.display_name = "Ghost";
    g_assert_null (cs_store_user_update (f->conn, "usr_missing", &patch, NOW, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
    g_clear_error (&error);

    /* The failed updates changed nothing. */
    user = cs_store_user_get (f->conn, alice, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (user->username, ==, "ALICE");
    g_assert_cmpstr (user->email, ==, "alice2@example.com");
    cs_user_free (user);
  }
}

/* Tests: sessions */

static void
test_sessions (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_ADMIN);
  CsSessionInfo info;
  CsRefreshResult result;

  g_assert_true (cs_store_session_create (f->conn, "ses_1", alice, "a1", NOW + 900, "r1",
                                          NOW + 30 * DAY, NOW, &error));
  g_assert_no_error (error);

  info = lookup_ok (f->conn, "a1", NOW + 10);
  g_assert_cmpstr (info.session_id, ==, "ses_1");
  g_assert_cmpstr (info.user_id, ==, alice);
  g_assert_cmpint (info.role, ==, CS_ROLE_ADMIN);
  g_assert_false (info.suspended);
  cs_session_info_clear (&info);
  g_assert_null (info.session_id);

  lookup_fails (f->conn, "a1", NOW + 900);        /* expired */
  lookup_fails (f->conn, "unknown", NOW);

  /* Unknown user. */
  g_assert_false (cs_store_session_create (f->conn, "ses_x", "usr_missing", "ax", NOW + 900, "rx",
                                           NOW + DAY, NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Rotation. */
  memset (&info, 0, sizeof info);
  g_assert_true (cs_store_session_refresh (f->conn, "r1", NOW + 1000, "a2", NOW + 1900, "r2",
                                           NOW + 31 * DAY, &result, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CS_REFRESH_OK);
  g_assert_cmpstr (info.session_id, ==, "ses_1");
  g_assert_cmpstr (info.user_id, ==, alice);
  g_assert_cmpint (info.role, ==, CS_ROLE_ADMIN);
  cs_session_info_clear (&info);
  lookup_fails (f->conn, "a1", NOW + 1000);
  info = lookup_ok (f->conn, "a2", NOW + 1000);
  cs_session_info_clear (&info);

  /* Unknown and expired tokens. */
  g_assert_true (cs_store_session_refresh (f->conn, "nope", NOW, "a3", NOW, "r3", NOW, &result,
                                           &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CS_REFRESH_UNKNOWN);
  g_assert_null (info.session_id);
  g_assert_true (cs_store_session_refresh (f->conn, "r2", NOW + 32 * DAY, "a3", NOW, "r3", NOW,
                                           &result, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CS_REFRESH_EXPIRED);
  info = lookup_ok (f->conn, "a2", NOW + 1000);   /* an expired refresh revokes nothing */
  cs_session_info_clear (&info);

  /* Reuse of the rotated r1: the whole session is revoked, and stays so
   * (the revocation committed). */
  g_assert_true (cs_store_session_refresh (f->conn, "r1", NOW + 1100, "a3", NOW + 2000, "r3",
                                           NOW + 31 * DAY, &result, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CS_REFRESH_REUSED);
  g_assert_null (info.session_id);
  lookup_fails (f->conn, "a2", NOW + 1100);
  lookup_fails (f->conn, "a3", NOW + 1100);
  g_assert_true (cs_store_session_refresh (f->conn, "r2", NOW + 1200, "a4", NOW + 2000, "r4",
                                           NOW + 31 * DAY, &result, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CS_REFRESH_UNKNOWN);

  /* Explicit revocation (logout). */
  g_assert_true (cs_store_session_create (f->conn, "ses_2", alice, "b1", NOW + 900, "s1",
                                          NOW + DAY, NOW, &error));
  g_assert_no_error (error);
  info = lookup_ok (f->conn, "b1", NOW);
  cs_session_info_clear (&info);
  g_assert_true (cs_store_session_revoke (f->conn, "ses_2", NOW + 5, &error));
  g_assert_no_error (error);
  lookup_fails (f->conn, "b1", NOW + 6);
  g_assert_true (cs_store_session_refresh (f->conn, "s1", NOW + 7, "b2", NOW + 900, "s2",
                                           NOW + DAY, &result, &info, &error));
  g_assert_cmpint (result, ==, CS_REFRESH_UNKNOWN);
  g_assert_true (cs_store_session_revoke (f->conn, "ses_2", NOW + 8, &error));   /* idempotent */
  g_assert_no_error (error);
  g_assert_false (cs_store_session_revoke (f->conn, "ses_missing", NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
}

/* Tests: rate limits */

/* Housekeeping forgets what can no longer matter, and only that. */
static void
test_purge_expired (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  CsSessionInfo info = { 0 };
  CsRefreshResult result;
  gboolean allowed;
  gint64 retry;

  /* an old session whose refresh token expired, and a fresh one */
  g_assert_true (cs_store_session_create (f->conn, "ses_old", bob, "a_old", NOW + 900, "r_old",
                                          NOW + DAY, NOW, &error));
  g_assert_true (cs_store_session_create (f->conn, "ses_new", bob, "a_new", NOW + 10 * DAY + 900, "r_new",
                                          NOW + 40 * DAY, NOW + 10 * DAY, &error));
  g_assert_no_error (error);
  /* a rate limit window long over, one still counting */
  g_assert_true (cs_store_rate_limit_hit (f->conn, "old", NOW, 60, 1, &allowed, &retry, &error));
  g_assert_true (cs_store_rate_limit_hit (f->conn, "new", NOW + 10 * DAY, 3600, 1, &allowed, &retry, &error));
  g_assert_no_error (error);

  g_assert_true (cs_store_purge_expired (f->conn, NOW + 10 * DAY, &error));
  g_assert_no_error (error);

  /* the old refresh token is gone (unknown, no longer merely expired) */
  g_assert_true (cs_store_session_refresh (f->conn, "r_old", NOW + 10 * DAY, "a_x", NOW + 11 * DAY, "r_x",
                                           NOW + 50 * DAY, &result, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CS_REFRESH_UNKNOWN);
  /* the live session is untouched */
  info = lookup_ok (f->conn, "a_new", NOW + 10 * DAY + 1);
  g_assert_cmpstr (info.session_id, ==, "ses_new");
  cs_session_info_clear (&info);
  /* the live window still refuses; the old one was forgotten */
  g_assert_true (cs_store_rate_limit_peek (f->conn, "new", NOW + 10 * DAY + 1, 3600, 1, &allowed, &retry, &error));
  g_assert_false (allowed);
  g_assert_true (cs_store_rate_limit_peek (f->conn, "old", NOW + 10 * DAY, 60, 1, &allowed, &retry, &error));
  g_assert_true (allowed);
}

static void
test_rate_limits (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gboolean allowed;
  gint64 retry;

  for (int i = 0; i < 3; i++)
    {
      g_assert_true (cs_store_rate_limit_peek (f->conn, "k", NOW + i, 60, 3, &allowed, &retry, &error));
      g_assert_true (allowed);
      g_assert_true (cs_store_rate_limit_hit (f->conn, "k", NOW + i, 60, 3, &allowed, &retry, &error));
      g_assert_no_error (error);
      g_assert_true (allowed);
      g_assert_cmpint (retry, ==, 0);
    }
  /* The window started at NOW: 3 hits used, a peek and a 4th hit refused. */
  g_assert_true (cs_store_rate_limit_peek (f->conn, "k", NOW + 10, 60, 3, &allowed, &retry, &error));
  g_assert_false (allowed);
  g_assert_cmpint (retry, ==, 50);
  g_assert_true (cs_store_rate_limit_hit (f->conn, "k", NOW + 20, 60, 3, &allowed, &retry, &error));
  g_assert_false (allowed);
  g_assert_cmpint (retry, ==, 40);

  /* Other keys are independent. */
  g_assert_true (cs_store_rate_limit_hit (f->conn, "other", NOW + 20, 60, 3, &allowed, &retry, &error));
  g_assert_true (allowed);

  /* A new window. */
  g_assert_true (cs_store_rate_limit_peek (f->conn, "k", NOW + 60, 60, 3, &allowed, &retry, &error));
  g_assert_true (allowed);
  g_assert_true (cs_store_rate_limit_hit (f->conn, "k", NOW + 60, 60, 3, &allowed, &retry, &error));
  g_assert_true (allowed);
  g_assert_true (cs_store_rate_limit_hit (f->conn, "k", NOW + 61, 60, 3, &allowed, &retry, &error));
  g_assert_true (cs_store_rate_limit_hit (f->conn, "k", NOW + 62, 60, 3, &allowed, &retry, &error));
  g_assert_true (allowed);
  g_assert_true (cs_store_rate_limit_hit (f->conn, "k", NOW + 63, 60, 3, &allowed, &retry, &error));
  g_assert_false (allowed);
  g_assert_cmpint (retry, ==, 57);

  /* Clearing resets. */
  g_assert_true (cs_store_rate_limit_clear (f->conn, "k", &error));
  g_assert_true (cs_store_rate_limit_peek (f->conn, "k", NOW + 64, 60, 3, &allowed, &retry, &error));
  g_assert_true (allowed);
  g_assert_true (cs_store_rate_limit_hit (f->conn, "k", NOW + 64, 60, 3, &allowed, &retry, &error));
  g_assert_true (allowed);
  g_assert_no_error (error);
}

/* Tests: categories */

static void
test_categories (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) categories = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autoptr(CsCampaign) a = add_campaign_full (f->conn, alice, "Film one", "", "film", 1000, NOW, 0, 0);
  g_autoptr(CsCampaign) b = add_campaign_full (f->conn, alice, "Film two", "", "film", 1000, NOW, 0, 0);
  gboolean saw_film = FALSE;

  publish (f->conn, a->id, mod, NOW);
  categories = cs_store_categories (f->conn, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (categories->len, >=, 12);
  for (guint i = 0; i < categories->len; i++)
    {
      CsCategory *c = g_ptr_array_index (categories, i);

      g_assert_nonnull (c->name);
      if (strcmp (c->slug, "film") == 0)
        {
          saw_film = TRUE;
          g_assert_cmpstr (c->name, ==, "Film & Video");
          g_assert_cmpint (c->live_count, ==, 1);
        }
      else
        g_assert_cmpint (c->live_count, ==, 0);
    }
  g_assert_true (saw_film);
  g_assert_cmpstr (((CsCategory *) g_ptr_array_index (categories, 0))->slug, ==, "art");
}

/* Tests: campaigns */

static void
test_campaign_crud (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autoptr(CsCampaign) c = add_campaign (f->conn, alice, "Deck builder");
  g_autoptr(CsCampaign) got = NULL;
  CsCampaign *updated;
  CsCampaignInput patch = { 0 };

  g_assert_cmpint (c->status, ==, CS_CAMPAIGN_DRAFT);
  g_assert_cmpstr (c->creator.id, ==, alice);
  g_assert_cmpstr (c->creator.username, ==, "alice");
  g_assert_cmpstr (c->creator.display_name, ==, "alice");
  g_assert_cmpint (c->current_amount, ==, 0);
  g_assert_cmpint (c->start_date, ==, 0);
  g_assert_cmpint (c->published_at, ==, 0);
  g_assert_cmpuint (c->rewards->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      CsRewardTier *t = g_ptr_array_index (c->rewards, i);

      g_assert_cmpint (t->position, ==, (gint) i);
      g_assert_cmpint (t->minimum_pledge, ==, 1000 * (i + 1));
      g_assert_cmpstr (t->campaign_id, ==, c->id);
      g_assert_cmpstr (t->estimated_delivery_date, ==, "2030-01-15");
      g_assert_cmpint (t->quantity_available, ==, 10);
      g_assert_cmpint (t->quantity_claimed, ==, 0);
    }

  got = get_campaign (f->conn, c->id);
  g_assert_cmpstr (got->title, ==, "Deck builder");
  g_assert_cmpstr (got->currency, ==, "EUR");
  g_assert_cmpint (got->goal_amount, ==, 100000);
  g_assert_cmpint (got->duration_days, ==, 30);
  g_assert_cmpuint (got->rewards->len, ==, 2);

  g_assert_null (cs_store_campaign_get (f->conn, "cmp_missing", &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Unknown category. */
  {
    g_autoptr(CsCampaign) bad = cs_campaign_new ();

    bad->id = cs_id_new ("cmp");
    bad->creator_id = g_strdup (alice);
    bad->title = g_strdup ("x");
    bad->category = g_strdup ("knitting-robots");
    bad->goal_amount = 100;
    g_strlcpy (bad->currency, "EUR", 4);
    bad->duration_days = 10;
    bad->created_at = NOW;
    g_assert_null (cs_store_campaign_insert (f->conn, bad, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
    assert_field_error (error, "category", "is not a known category");
    g_clear_error (&error);
  }

  /* Update in an allowed status. */
  patch.title = g_strdup ("Deck builder deluxe");
  patch.goal_amount = 250000;
  patch.category = g_strdup ("design");
  patch.fields = CS_CAMPAIGN_FIELD_TITLE | CS_CAMPAIGN_FIELD_GOAL_AMOUNT | CS_CAMPAIGN_FIELD_CATEGORY;
  updated = cs_store_campaign_update (f->conn, c->id, &patch,
                                      CS_STATUS_BIT (CS_CAMPAIGN_DRAFT) | CS_STATUS_BIT (CS_CAMPAIGN_REJECTED),
                                      NOW + 100, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (updated->title, ==, "Deck builder deluxe");
  g_assert_cmpint (updated->goal_amount, ==, 250000);
  g_assert_cmpstr (updated->category, ==, "design");
  g_assert_cmpstr (updated->description, ==, "A story.");   /* untouched */
  g_assert_cmpint (updated->updated_at, ==, NOW + 100);
  g_assert_cmpuint (updated->rewards->len, ==, 2);
  cs_campaign_free (updated);
  cs_campaign_input_clear (&patch);

  /* Unknown category in a patch. */
  memset (&patch, 0, sizeof patch);
  patch.category = g_strdup ("nope");
  patch.fields = CS_CAMPAIGN_FIELD_CATEGORY;
  g_assert_null (cs_store_campaign_update (f->conn, c->id, &patch, CS_STATUS_BIT (CS_CAMPAIGN_DRAFT),
                                           NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  assert_field_error (error, "category", "is not a known category");
  g_clear_error (&error);
  cs_campaign_input_clear (&patch);

  /* After submission the same update conflicts, naming the status. */
  cs_campaign_free (transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUBMIT, alice, NULL, NOW + 200));
  memset (&patch, 0, sizeof patch);
  patch.title = g_strdup ("Sneaky");
  patch.fields = CS_CAMPAIGN_FIELD_TITLE;
  g_assert_null (cs_store_campaign_update (f->conn, c->id, &patch,
                                           CS_STATUS_BIT (CS_CAMPAIGN_DRAFT) | CS_STATUS_BIT (CS_CAMPAIGN_REJECTED),
                                           NOW + 300, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "pending review"));
  g_clear_error (&error);
  g_assert_null (cs_store_campaign_update (f->conn, "cmp_missing", &patch,
                                           CS_STATUS_BIT (CS_CAMPAIGN_DRAFT), NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  cs_campaign_input_clear (&patch);

  g_clear_pointer (&got, cs_campaign_free);
  got = get_campaign (f->conn, c->id);
  g_assert_cmpstr (got->title, ==, "Deck builder deluxe");
  g_assert_cmpint (got->status, ==, CS_CAMPAIGN_PENDING_REVIEW);

  /* Image. */
  updated = cs_store_campaign_set_image (f->conn, c->id, "/media/abc.png",
                                         CS_STATUS_BIT (CS_CAMPAIGN_PENDING_REVIEW), NOW + 400, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (updated->image_url, ==, "/media/abc.png");
  cs_campaign_free (updated);
  g_assert_null (cs_store_campaign_set_image (f->conn, c->id, "/media/x.png",
                                              CS_STATUS_BIT (CS_CAMPAIGN_DRAFT), NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
}

static void
test_campaign_transitions (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autoptr(CsCampaign) c = add_campaign (f->conn, alice, "Board game");
  g_autoptr(GPtrArray) audit = NULL;
  g_autofree char *next = NULL;
  CsCampaign *t;

  /* Not allowed from draft: the state machine's own sentence. */
  g_assert_null (cs_store_campaign_transition (f->conn, c->id, CS_CAMPAIGN_EVENT_APPROVE, mod, NULL,
                                               NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (cs_store_campaign_transition (f->conn, "cmp_missing", CS_CAMPAIGN_EVENT_SUBMIT, alice,
                                               NULL, NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  t = transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUBMIT, alice, NULL, NOW + 1);
  g_assert_cmpint (t->status, ==, CS_CAMPAIGN_PENDING_REVIEW);
  cs_campaign_free (t);
  t = transition (f->conn, c->id, CS_CAMPAIGN_EVENT_REJECT, mod, "Needs a clearer story", NOW + 2);
  g_assert_cmpint (t->status, ==, CS_CAMPAIGN_REJECTED);
  g_assert_cmpstr (t->rejection_reason, ==, "Needs a clearer story");
  g_assert_cmpint (t->published_at, ==, 0);
  cs_campaign_free (t);
  t = transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUBMIT, alice, NULL, NOW + 3);
  g_assert_null (t->rejection_reason);
  cs_campaign_free (t);
  t = transition (f->conn, c->id, CS_CAMPAIGN_EVENT_APPROVE, mod, NULL, NOW + 4);
  g_assert_cmpint (t->status, ==, CS_CAMPAIGN_LIVE);
  g_assert_cmpint (t->start_date, ==, NOW + 4);
  g_assert_cmpint (t->end_date, ==, NOW + 4 + 30 * DAY);
  g_assert_cmpint (t->published_at, ==, NOW + 4);
  cs_campaign_free (t);
  t = transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUSPEND, mod, "Reported", NOW + 5);
  g_assert_cmpint (t->status, ==, CS_CAMPAIGN_SUSPENDED);
  cs_campaign_free (t);
  g_assert_null (cs_store_campaign_transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUBMIT, alice, NULL,
                                               NOW + 6, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  t = transition (f->conn, c->id, CS_CAMPAIGN_EVENT_REINSTATE, mod, NULL, NOW + 7);
  g_assert_cmpint (t->status, ==, CS_CAMPAIGN_LIVE);
  g_assert_cmpint (t->start_date, ==, NOW + 4);   /* the clock keeps running */
  cs_campaign_free (t);
  t = transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUCCEED, NULL, NULL, NOW + 8);
  g_assert_cmpint (t->status, ==, CS_CAMPAIGN_SUCCESSFUL);
  cs_campaign_free (t);
  g_assert_null (cs_store_campaign_transition (f->conn, c->id, CS_CAMPAIGN_EVENT_CANCEL, alice, NULL,
                                               NOW + 9, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);

  /* The audit trail, newest first, in pages. */
  audit = cs_store_audit_list (f->conn, NULL, 4, &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 4);
  g_assert_nonnull (next);
  {
    CsAuditEntry *e = g_ptr_array_index (audit, 0);

    g_assert_cmpstr (e->action, ==, "campaign.succeed");
    g_assert_null (e->actor_id);
    g_assert_cmpstr (e->detail, ==, "live → successful");
    g_assert_cmpint (e->created_at, ==, NOW + 8);
    e = g_ptr_array_index (audit, 2);
    g_assert_cmpstr (e->action, ==, "campaign.suspend");
    g_assert_cmpstr (e->actor_id, ==, mod);
    g_assert_cmpstr (e->reason, ==, "Reported");
    g_assert_cmpstr (e->subject_type, ==, "campaign");
    g_assert_cmpstr (e->subject_id, ==, c->id);
    g_assert_cmpstr (e->detail, ==, "live → suspended");
    e = g_ptr_array_index (audit, 3);
    g_assert_cmpstr (e->action, ==, "campaign.approve");
    g_assert_cmpstr (e->detail, ==, "pending_review → live");
  }
  g_clear_pointer (&audit, g_ptr_array_unref);
  {
    g_autofree char *cursor = g_steal_pointer (&next);

    audit = cs_store_audit_list (f->conn, cursor, 4, &next, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (audit->len, ==, 3);
    g_assert_null (next);
    g_assert_cmpstr (((CsAuditEntry *) g_ptr_array_index (audit, 0))->detail, ==,
                     "rejected → pending_review");
    g_assert_cmpstr (((CsAuditEntry *) g_ptr_array_index (audit, 2))->action, ==,
                     "campaign.submit");
    g_assert_cmpstr (((CsAuditEntry *) g_ptr_array_index (audit, 2))->detail, ==,
                     "draft → pending_review");
  }
  g_clear_pointer (&audit, g_ptr_array_unref);
  g_assert_null (cs_store_audit_list (f->conn, "bogus!", 4, &next, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  assert_field_error (error, "cursor", "is not a valid cursor");
}

/* Tests: tiers */

static void
test_tiers (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autoptr(CsCampaign) c = add_campaign (f->conn, alice, "Tiers");
  g_autoptr(CsCampaign) other = add_campaign (f->conn, alice, "Other");
  CsCampaignStatusSet editable = CS_STATUS_BIT (CS_CAMPAIGN_DRAFT) | CS_STATUS_BIT (CS_CAMPAIGN_REJECTED);
  const char *t0 = ((CsRewardTier *) g_ptr_array_index (c->rewards, 0))->id;
  const char *t1 = ((CsRewardTier *) g_ptr_array_index (c->rewards, 1))->id;
  g_autoptr(CsRewardTier) added = NULL;
  g_autoptr(CsCampaign) after = NULL;
  CsRewardTier *tier;
  CsRewardTierInput in = { 0 };

  /* Insert: the next position. */
  tier = cs_reward_tier_new ();
  tier->id = cs_id_new ("tier");
  tier->title = g_strdup ("Collector's box");
  tier->minimum_pledge = 9900;
  added = cs_store_tier_insert (f->conn, c->id, tier, editable, NOW + 10, &error);
  cs_reward_tier_free (tier);
  g_assert_no_error (error);
  g_assert_cmpint (added->position, ==, 2);
  g_assert_cmpint (added->quantity_available, ==, -1);
  g_assert_cmpstr (added->description, ==, "");
  g_assert_null (added->estimated_delivery_date);

  /* Update fields; unlimited → limited → unlimited. */
  in.has_title = TRUE;
  in.title = g_strdup ("Early bird");
  in.has_quantity_available = TRUE;
  in.quantity_available = 5;
  in.has_estimated_delivery_date = TRUE;
  in.estimated_delivery_date = NULL;
  tier = cs_store_tier_update (f->conn, c->id, t0, &in, editable, NOW + 20, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tier->title, ==, "Early bird");
  g_assert_cmpint (tier->quantity_available, ==, 5);
  g_assert_null (tier->estimated_delivery_date);
  g_assert_cmpint (tier->minimum_pledge, ==, 1000);
  g_assert_cmpint (tier->updated_at, ==, NOW + 20);
  cs_reward_tier_free (tier);
  cs_reward_tier_input_clear (&in);

  /* Claims (pledges, on a live campaign) make the quantity floor and forbid deletion. */
  {
    g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
    g_autoptr(CsCampaign) claimed = add_campaign (f->conn, alice, "Claimed");
    const char *ct0 = ((CsRewardTier *) g_ptr_array_index (claimed->rewards, 0))->id;
    CsCampaignStatusSet live = CS_STATUS_BIT (CS_CAMPAIGN_LIVE);
    CsRewardTierInput floor = { 0 };

    publish (f->conn, claimed->id, mod, NOW + 25);
    g_free (authorized_pledge (f->conn, claimed->id, bob, ct0, 1000, NOW + 30));
    floor.has_quantity_available = TRUE;
    floor.quantity_available = 0;
    g_assert_null (cs_store_tier_update (f->conn, claimed->id, ct0, &floor, live, NOW + 40, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_assert_nonnull (cs_error_get_fields (error));
    g_clear_error (&error);
    floor.quantity_available = 1;
    tier = cs_store_tier_update (f->conn, claimed->id, ct0, &floor, live, NOW + 40, &error);
    g_assert_no_error (error);
    g_assert_cmpint (tier->quantity_available, ==, 1);
    g_assert_cmpint (tier->quantity_claimed, ==, 1);
    cs_reward_tier_free (tier);
    floor.quantity_available = -1;
    tier = cs_store_tier_update (f->conn, claimed->id, ct0, &floor, live, NOW + 41, &error);
    g_assert_no_error (error);
    g_assert_cmpint (tier->quantity_available, ==, -1);
    cs_reward_tier_free (tier);

    g_assert_false (cs_store_tier_delete (f->conn, claimed->id, ct0, live, NOW + 50, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
    g_clear_error (&error);
  }
  memset (&in, 0, sizeof in);
  in.has_quantity_available = TRUE;
  in.quantity_available = -1;

  /* Unknown tier, or a tier of another campaign. */
  g_assert_null (cs_store_tier_update (f->conn, c->id, "tier_missing", &in, editable, NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cs_store_tier_delete (f->conn, other->id, t1, editable, NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cs_store_tier_delete (f->conn, "cmp_missing", t1, editable, NOW, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Delete a free tier. */
  g_assert_true (cs_store_tier_delete (f->conn, c->id, t1, editable, NOW + 60, &error));
  g_assert_no_error (error);
  g_assert_false (cs_store_tier_delete (f->conn, c->id, t1, editable, NOW + 61, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  after = get_campaign (f->conn, c->id);
  g_assert_cmpuint (after->rewards->len, ==, 2);
  g_assert_null (find_tier (after, t1));
  g_assert_nonnull (find_tier (after, t0));
  g_assert_cmpint (after->updated_at, ==, NOW + 60);

  /* Status rules are checked inside the transaction. */
  cs_campaign_free (transition (f->conn, c->id, CS_CAMPAIGN_EVENT_SUBMIT, alice, NULL, NOW + 70));
  g_assert_null (cs_store_tier_update (f->conn, c->id, t0, &in, editable, NOW + 80, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (cs_store_tier_delete (f->conn, c->id, added->id, editable, NOW + 80, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  tier = cs_reward_tier_new ();
  tier->id = cs_id_new ("tier");
  tier->title = g_strdup ("Late");
  tier->minimum_pledge = 100;
  g_assert_null (cs_store_tier_insert (f->conn, c->id, tier, editable, NOW + 80, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (cs_store_tier_insert (f->conn, "cmp_missing", tier, editable, NOW + 80, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  cs_reward_tier_free (tier);
}

/* Tests: lists */

typedef struct {
  char *id;
  gint64 listed, funded_bp, end;
} Expect;

static void
test_list_sorts (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autoptr(GPtrArray) backers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) campaigns = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  CsCampaignQuery q = { 0 };
  g_autoptr(GPtrArray) ids = NULL;
  guint pages = 0;
  const guint n = 30;

  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("backer%u", i);

      g_ptr_array_add (backers, add_user (f->conn, name, CS_ROLE_BACKER));
    }

  /* 30 campaigns: 25 published (some ended, one still live but over),
   * 5 drafts; same goal so that funded order is the pledge total. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *title = g_strdup_printf ("Campaign number %u", i);
      CsCampaign *c = add_campaign_full (f->conn, alice, title, "Story", i % 2 ? "games" : "music",
                                         100000, NOW + i, 1, -1);

      g_ptr_array_add (campaigns, c);
      if (i < 25)
        publish (f->conn, c->id, mod, NOW + 1000 + (i * 7) % 25);   /* ties in published_at too */
      for (guint b = 0; i < 25 && b < (i * 3) % 8; b++)   /* pledges go to published ones */
        {
          g_free (authorized_pledge (f->conn, c->id, backers->pdata[b], NULL, 1000 * (1 + i % 4), NOW + 2000 + i));
        }
    }
  /* Five published ones are over. */
  for (guint i = 0; i < 5; i++)
    cs_campaign_free (transition (f->conn, ((CsCampaign *) campaigns->pdata[i])->id,
                                  i < 3 ? CS_CAMPAIGN_EVENT_FAIL : CS_CAMPAIGN_EVENT_SUCCEED, NULL, NULL,
                                  NOW + 3000));
  g_assert_true (cs_store_refresh_trending (f->conn, NOW + 2100, &error));
  g_assert_no_error (error);

  /* Every sort walks the 25 published campaigns exactly once, in order. */
  for (CsCampaignSort sort = CS_SORT_TRENDING; sort <= CS_SORT_MOST_FUNDED; sort++)
    {
      gint64 prev_a = G_MAXINT64, prev_b = G_MAXINT64;

      memset (&q, 0, sizeof q);
      q.sort = sort;
      q.limit = 7;
      q.now = NOW + 3000;
      ids = walk_pages (f->conn, &q, &pages);
      if (sort == CS_SORT_ENDING_SOON)
        {
          g_assert_cmpuint (ids->len, ==, 20);    /* live ones only */
          prev_a = G_MININT64;
        }
      else
        {
          g_assert_cmpuint (ids->len, ==, 25);
          g_assert_cmpuint (pages, ==, 4);
        }
      for (guint i = 0; i < ids->len; i++)
        {
          g_autoptr(CsCampaign) c = get_campaign (f->conn, ids->pdata[i]);
          gint64 a = 0, b = 0;

          g_assert_cmpint (c->published_at, !=, 0);
          switch (sort)
            {
            case CS_SORT_NEWEST:
              g_assert_cmpint (c->published_at, <=, prev_a);
              a = c->published_at;
              break;
            case CS_SORT_MOST_FUNDED:
              a = c->current_amount * 10000 / c->goal_amount;
              g_assert_cmpint (a, <=, prev_a);
              break;
            case CS_SORT_ENDING_SOON:
              g_assert_cmpint (c->status, ==, CS_CAMPAIGN_LIVE);
              g_assert_cmpint (c->end_date, >=, prev_a);
              a = c->end_date;
              break;
            case CS_SORT_TRENDING:
              /* Pledges in the window, then percent funded. */
              a = c->status == CS_CAMPAIGN_LIVE ? c->backer_count : 0;
              b = c->current_amount * 10000 / c->goal_amount;
              g_assert_true (a < prev_a || (a == prev_a && b <= prev_b));
              break;
            case CS_SORT_RELEVANCE:
            default:
              g_assert_not_reached ();
            }
          prev_a = a;
          prev_b = b;
        }
      g_clear_pointer (&ids, g_ptr_array_unref);
    }

  /* Filters. */
  memset (&q, 0, sizeof q);
  q.sort = CS_SORT_NEWEST;
  q.limit = 100;
  q.category = "music";
  g_assert_cmpuint (list_count (f->conn, &q), ==, 13);
  q.category = NULL;
  q.statuses = CS_STATUS_BIT (CS_CAMPAIGN_LIVE);
  g_assert_cmpuint (list_count (f->conn, &q), ==, 20);
  q.statuses = CS_STATUS_BIT (CS_CAMPAIGN_FAILED) | CS_STATUS_BIT (CS_CAMPAIGN_SUCCESSFUL);
  g_assert_cmpuint (list_count (f->conn, &q), ==, 5);

  /* Visibility of drafts: not to the public, not even when asked for... */
  q.statuses = CS_STATUS_BIT (CS_CAMPAIGN_DRAFT);
  g_assert_cmpuint (list_count (f->conn, &q), ==, 0);
  q.viewer_id = backers->pdata[0];
  g_assert_cmpuint (list_count (f->conn, &q), ==, 0);
  /* ...but to their creator and to staff when asked for... */
  q.viewer_id = alice;
  g_assert_cmpuint (list_count (f->conn, &q), ==, 5);
  q.viewer_id = mod;
  q.viewer_is_staff = TRUE;
  g_assert_cmpuint (list_count (f->conn, &q), ==, 5);
  /* ...and, with no status filter, to the creator on their own list only. */
  q.statuses = 0;
  g_assert_cmpuint (list_count (f->conn, &q), ==, 25);
  q.viewer_id = alice;
  q.viewer_is_staff = FALSE;
  g_assert_cmpuint (list_count (f->conn, &q), ==, 25);
  q.creator_id = alice;
  g_assert_cmpuint (list_count (f->conn, &q), ==, 30);
  q.viewer_id = NULL;
  g_assert_cmpuint (list_count (f->conn, &q), ==, 25);
  q.creator_id = mod;
  g_assert_cmpuint (list_count (f->conn, &q), ==, 0);

  /* Cursors: of another sort, or garbage. */
  {
    CsCampaignPage page = { 0 };
    g_autofree char *cursor = NULL;
    static const char *const junk[] = { "x", "!!!", "bmV3ZXN0fDF8Mnwz", "dHJlbmRpbmd8YXwyfDM" };

    memset (&q, 0, sizeof q);
    q.sort = CS_SORT_NEWEST;
    q.limit = 5;
    g_assert_true (cs_store_campaign_list (f->conn, &q, &page, &error));
    g_assert_no_error (error);
    cursor = g_steal_pointer (&page.next_cursor);
    g_assert_nonnull (cursor);
    cs_campaign_page_clear (&page);

    q.sort = CS_SORT_MOST_FUNDED;
    q.cursor = cursor;
    g_assert_false (cs_store_campaign_list (f->conn, &q, &page, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
    assert_field_error (error, "cursor", "is not a valid cursor");
    g_clear_error (&error);
    g_assert_null (page.items);

    for (guint i = 0; i < G_N_ELEMENTS (junk); i++)
      {
        q.sort = CS_SORT_TRENDING;
        q.cursor = junk[i];
        g_assert_false (cs_store_campaign_list (f->conn, &q, &page, &error));
        g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
        g_clear_error (&error);
      }
  }
}

static void
test_search (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  static const struct { const char *title, *description, *category; gboolean publish; } rows[] = {
    { "Dragon dice: a board game", "Roll dice, tame dragons.", "games", TRUE },
    { "Board games café", "A café full of board games in Lyon.", "food", TRUE },
    { "Café racer documentary", "Motorbikes and coffee.", "film", TRUE },
    { "Secret draft board game", "Not published yet.", "games", FALSE },
    { "東京 photo book", "Photographs of 東京 at night.", "photography", TRUE },
    { "NOT AND OR", "Operators as words", "art", TRUE },
    { "Jazz record", "A jazz album recorded live.", "music", TRUE },
    { "Garden lights", "Solar lantern, lantern parts and a lantern stand.", "design", TRUE },
    { "Paper lantern kit", "Fold your own.", "crafts", TRUE },
  };
  CsCampaignQuery q = { 0 };
  CsCampaignPage page = { 0 };
  g_autoptr(GPtrArray) ids = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(CsCampaign) c = add_campaign_full (f->conn, alice, rows[i].title, rows[i].description,
                                                   rows[i].category, 5000, NOW + i, 0, 0);

      if (rows[i].publish)
        publish (f->conn, c->id, mod, NOW + 100 + i);
    }

  q.sort = CS_SORT_RELEVANCE;
  q.limit = 10;

#define SEARCH_COUNT(text, expected) G_STMT_START {                         \
    q.q = (text);                                                           \
    g_assert_true (cs_store_campaign_list (f->conn, &q, &page, &error));    \
    g_assert_no_error (error);                                              \
    g_assert_cmpuint (page.items->len, ==, (expected));                     \
    cs_campaign_page_clear (&page);                                         \
  } G_STMT_END

  SEARCH_COUNT ("board game", 2);              /* stemming: games → game; the draft is hidden */
  SEARCH_COUNT ("BOARD gam", 2);               /* the last word is a prefix */
  SEARCH_COUNT ("cafe", 2);                    /* diacritics folded */
  SEARCH_COUNT ("café", 2);
  SEARCH_COUNT ("dragon", 1);
  SEARCH_COUNT ("dragon jazz", 0);             /* every word must match */
  SEARCH_COUNT ("\"*(", 0);                    /* no words: nothing, not an error */
  SEARCH_COUNT ("\")", 0);
  SEARCH_COUNT ("   ", 0);
  SEARCH_COUNT ("board\" OR \"jazz", 0);       /* FTS syntax is inert: board AND or AND jazz */
  SEARCH_COUNT ("title:dragon", 0);            /* no column filters: "title" is a word */
  SEARCH_COUNT ("dragon*) OR (jazz", 0);
  SEARCH_COUNT ("NOT", 1);                     /* operators are words */
  SEARCH_COUNT ("and or", 1);
  SEARCH_COUNT ("東京", 1);
  SEARCH_COUNT ("photography", 1);             /* the category is indexed */
  SEARCH_COUNT ("cafe\xff\xfe", 2);            /* invalid UTF-8 is dropped */
  SEARCH_COUNT ("e\xcc\x81", 0);               /* a lone accent */

  /* A title match ranks above a story that repeats the word. */
  q.q = "lantern";
  g_assert_true (cs_store_campaign_list (f->conn, &q, &page, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (page.items->len, ==, 2);
  g_assert_cmpstr (((CsCampaign *) page.items->pdata[0])->title, ==, "Paper lantern kit");
  g_assert_cmpstr (((CsCampaign *) page.items->pdata[1])->title, ==, "Garden lights");
  cs_campaign_page_clear (&page);

  /* The creator sees their draft in a search of their own campaigns. */
  q.q = "board";
  q.creator_id = alice;
  q.viewer_id = alice;
  g_assert_true (cs_store_campaign_list (f->conn, &q, &page, &error));
  g_assert_cmpuint (page.items->len, ==, 3);
  cs_campaign_page_clear (&page);
  q.creator_id = NULL;
  q.viewer_id = NULL;

  /* Relevance pages with an offset cursor. */
  q.q = "a";
  q.limit = 1;
  ids = walk_pages (f->conn, &q, NULL);
  g_assert_cmpuint (ids->len, >=, 2);
  g_clear_pointer (&ids, g_ptr_array_unref);

  /* A query with another sort filters and orders by that sort. */
  q.q = "board games";
  q.sort = CS_SORT_NEWEST;
  q.limit = 1;
  ids = walk_pages (f->conn, &q, NULL);
  g_assert_cmpuint (ids->len, ==, 2);
  {
    g_autoptr(CsCampaign) first = get_campaign (f->conn, ids->pdata[0]);

    g_assert_cmpstr (first->title, ==, "Board games café");   /* published later */
  }
  g_clear_pointer (&ids, g_ptr_array_unref);

  /* Relevance without q falls back to a listing. */
  q.q = NULL;
  q.sort = CS_SORT_RELEVANCE;
  q.limit = 100;
  g_assert_cmpuint (list_count (f->conn, &q), ==, 8);

  /* An edit is searched by its new words only; money changes keep the
   * document (the title stays found after a pledge's totals update). */
  {
    g_autofree char *lantern_id = NULL;
    CsCampaignInput patch = { 0 };
    g_autoptr(CsCampaign) renamed = NULL;

    q.q = "Paper lantern";
    q.sort = CS_SORT_RELEVANCE;
    q.limit = 10;
    g_assert_true (cs_store_campaign_list (f->conn, &q, &page, &error));
    g_assert_cmpuint (page.items->len, ==, 1);
    lantern_id = g_strdup (((CsCampaign *) page.items->pdata[0])->id);
    cs_campaign_page_clear (&page);
    q.q = NULL;

    patch.title = g_strdup ("Origami crane kit");
    patch.fields = CS_CAMPAIGN_FIELD_TITLE;
    renamed = cs_store_campaign_update (f->conn, lantern_id, &patch, CS_STATUS_BIT (CS_CAMPAIGN_LIVE),
                                        NOW + 500, &error);
    g_assert_no_error (error);
    cs_campaign_input_clear (&patch);
    SEARCH_COUNT ("origami", 1);
    SEARCH_COUNT ("crane", 1);
    SEARCH_COUNT ("paper", 0);
    SEARCH_COUNT ("lantern", 1);          /* Garden lights' story still has it */
    SEARCH_COUNT ("crafts", 1);           /* the category is unchanged */
  }
#undef SEARCH_COUNT
}

/* A search matching more than a thousand: the dense plan for sorts, and
 * ranking bounded to the 1000 (RANK_CAP) most recent matches. */
static void
test_search_broad (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  CsCampaignQuery q = { 0 };
  g_autoptr(GPtrArray) ids = NULL;
  const guint n = 1100;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *title = g_strdup_printf ("Puzzle game %u%s", i, i % 3 ? "" : " with dragons");
      g_autoptr(CsCampaign) c = add_campaign_full (f->conn, alice, title, "Pieces.", "games",
                                                   1000 + i, NOW + i, 0, 0);
    }

  /* Drafts: visible to staff asking for them. */
  q.viewer_id = mod;
  q.viewer_is_staff = TRUE;
  q.statuses = CS_STATUS_BIT (CS_CAMPAIGN_DRAFT);
  q.limit = 100;

  /* Dense (> 500 matches) with another sort: every match, in order. */
  q.q = "puzzle";
  q.sort = CS_SORT_NEWEST;
  ids = walk_pages (f->conn, &q, NULL);
  g_assert_cmpuint (ids->len, ==, n);
  {
    g_autoptr(CsCampaign) first = get_campaign (f->conn, ids->pdata[0]);
    g_autoptr(CsCampaign) last = get_campaign (f->conn, ids->pdata[n - 1]);

    g_assert_cmpint (first->created_at, ==, NOW + n - 1);
    g_assert_cmpint (last->created_at, ==, NOW);
  }
  g_clear_pointer (&ids, g_ptr_array_unref);

  /* Sparse (<= 500) with another sort. */
  q.q = "dragons";
  q.sort = CS_SORT_MOST_FUNDED;
  ids = walk_pages (f->conn, &q, NULL);
  g_assert_cmpuint (ids->len, ==, 367);
  g_clear_pointer (&ids, g_ptr_array_unref);

  /* Ranked: exact below the cap... */
  q.sort = CS_SORT_RELEVANCE;
  ids = walk_pages (f->conn, &q, NULL);
  g_assert_cmpuint (ids->len, ==, 367);
  g_clear_pointer (&ids, g_ptr_array_unref);
  /* ...and the 1000 most recent matches above it. */
  q.q = "puzzle game";
  ids = walk_pages (f->conn, &q, NULL);
  g_assert_cmpuint (ids->len, ==, 1000);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(CsCampaign) c = get_campaign (f->conn, ids->pdata[i]);

      g_assert_cmpint (c->created_at, >=, NOW + n - 1000);
    }
  g_clear_pointer (&ids, g_ptr_array_unref);
}

/* Tests: sync */

static gboolean
tombstones_have (GPtrArray *tombstones, const char *type, const char *id)
{
  for (guint i = 0; i < tombstones->len; i++)
    {
      CsTombstone *t = g_ptr_array_index (tombstones, i);

      if (strcmp (t->type, type) == 0 && strcmp (t->id, id) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_sync (Fixture *f, gconstpointer data)
{
  static const char *const bad_cursors[] = { "x", "s", "s-1", "s12a", "12", "s99999999" };
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autoptr(CsCampaign) pub1 = add_campaign (f->conn, alice, "Published one");
  g_autoptr(CsCampaign) pub2 = add_campaign (f->conn, alice, "Published two");
  g_autoptr(CsCampaign) draft = add_campaign (f->conn, alice, "Draft");
  CsCampaignStatusSet editable = CS_STATUS_BIT (CS_CAMPAIGN_DRAFT) | CS_STATUS_BIT (CS_CAMPAIGN_REJECTED);
  CsSyncPage page = { 0 };
  g_autofree char *cursor = NULL;
  g_autofree char *alice_cursor = NULL;

  publish (f->conn, pub1->id, mod, NOW + 10);
  publish (f->conn, pub2->id, mod, NOW + 11);

  /* Everything, for the public. */
  g_assert_true (cs_store_sync (f->conn, NULL, NULL, FALSE, 100, &page, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (page.campaigns->len, ==, 2);
  g_assert_cmpuint (page.tombstones->len, ==, 0);
  g_assert_false (page.has_more);
  g_assert_nonnull (page.next_cursor);
  g_assert_cmpuint (((CsCampaign *) page.campaigns->pdata[0])->rewards->len, ==, 2);
  g_assert_cmpstr (((CsCampaign *) page.campaigns->pdata[0])->id, ==, pub1->id);
  cursor = g_steal_pointer (&page.next_cursor);
  cs_sync_page_clear (&page);

  /* The creator also sees their draft; staff too. */
  g_assert_true (cs_store_sync (f->conn, NULL, alice, FALSE, 100, &page, &error));
  g_assert_cmpuint (page.campaigns->len, ==, 3);
  alice_cursor = g_steal_pointer (&page.next_cursor);
  cs_sync_page_clear (&page);
  g_assert_true (cs_store_sync (f->conn, NULL, mod, TRUE, 100, &page, &error));
  g_assert_cmpuint (page.campaigns->len, ==, 3);
  cs_sync_page_clear (&page);
  g_assert_true (cs_store_sync (f->conn, NULL, bob, FALSE, 100, &page, &error));
  g_assert_cmpuint (page.campaigns->len, ==, 2);
  cs_sync_page_clear (&page);

  /* Nothing changed: nothing, and the same cursor. */
  g_assert_true (cs_store_sync (f->conn, cursor, NULL, FALSE, 100, &page, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (page.campaigns->len, ==, 0);
  g_assert_cmpuint (page.tombstones->len, ==, 0);
  g_assert_cmpstr (page.next_cursor, ==, cursor);
  cs_sync_page_clear (&page);

  /* A pledge changes pub2; a tier of the draft is deleted (tombstone only
   * for its creator); a tier of pub1 deleted (but pub1 is live: tiers are not
   * editable; use the draft). */
  g_free (authorized_pledge (f->conn, pub2->id, bob, NULL, 500, NOW + 20));
  g_assert_true (cs_store_tier_delete (f->conn, draft->id,
                                       ((CsRewardTier *) draft->rewards->pdata[0])->id, editable,
                                       NOW + 30, &error));
  g_assert_no_error (error);

  g_assert_true (cs_store_sync (f->conn, cursor, NULL, FALSE, 100, &page, &error));
  g_assert_cmpuint (page.campaigns->len, ==, 1);
  g_assert_cmpstr (((CsCampaign *) page.campaigns->pdata[0])->id, ==, pub2->id);
  g_assert_cmpint (((CsCampaign *) page.campaigns->pdata[0])->current_amount, ==, 500);
  g_assert_cmpuint (page.tombstones->len, ==, 0);
  cs_sync_page_clear (&page);

  g_assert_true (cs_store_sync (f->conn, alice_cursor, alice, FALSE, 100, &page, &error));
  g_assert_cmpuint (page.campaigns->len, ==, 2);
  g_assert_cmpuint (page.tombstones->len, ==, 1);
  g_assert_true (tombstones_have (page.tombstones, "reward_tier",
                                  ((CsRewardTier *) draft->rewards->pdata[0])->id));
  g_assert_cmpstr (((CsTombstone *) page.tombstones->pdata[0])->campaign_id, ==, draft->id);
  g_assert_cmpint (((CsTombstone *) page.tombstones->pdata[0])->deleted_at, ==, NOW + 30);
  g_clear_pointer (&alice_cursor, g_free);
  alice_cursor = g_steal_pointer (&page.next_cursor);
  cs_sync_page_clear (&page);
  g_assert_true (cs_store_sync (f->conn, alice_cursor, alice, FALSE, 100, &page, &error));
  g_assert_cmpuint (page.campaigns->len, ==, 0);
  g_assert_cmpuint (page.tombstones->len, ==, 0);
  cs_sync_page_clear (&page);

  /* Small pages: has_more, and the cursor walks every change once. */
  {
    g_autofree char *since = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    guint pages = 0;
    gboolean more;

    do
      {
        g_assert_true (cs_store_sync (f->conn, since, mod, TRUE, 1, &page, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (page.campaigns->len, <=, 1);
        for (guint i = 0; i < page.campaigns->len; i++)
          g_assert_true (g_hash_table_add (seen, g_strdup (((CsCampaign *) page.campaigns->pdata[i])->id)));
        more = page.has_more;
        g_free (since);
        since = g_steal_pointer (&page.next_cursor);
        cs_sync_page_clear (&page);
        pages++;
      }
    while (more);
    g_assert_cmpuint (g_hash_table_size (seen), ==, 3);
    g_assert_cmpuint (pages, ==, 3);
  }

  /* Bad cursors. */
  for (guint i = 0; i < G_N_ELEMENTS (bad_cursors); i++)
    {
      g_assert_false (cs_store_sync (f->conn, bad_cursors[i], NULL, FALSE, 10, &page, &error));
      g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
      assert_field_error (error, "since", "is not a valid cursor");
      g_clear_error (&error);
      g_assert_null (page.campaigns);
    }
}

/* Tests: pledges, dashboard, updates */

static void
test_pledges_in_views (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *bob = add_user (f->conn, "bob", CS_ROLE_BACKER);
  g_autofree char *carol = add_user (f->conn, "carol", CS_ROLE_BACKER);
  g_autofree char *dave = add_user (f->conn, "dave", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autoptr(CsCampaign) c = add_campaign_full (f->conn, alice, "Limited", "", "games", 10000, NOW, 1, 2);
  const char *tier = ((CsRewardTier *) c->rewards->pdata[0])->id;
  g_autoptr(CsCampaign) after = NULL;
  g_autofree char *bob_pledge = NULL;
  CsDashboard dash = { 0 };
  gboolean backer = TRUE;

  publish (f->conn, c->id, mod, NOW);
  bob_pledge = authorized_pledge (f->conn, c->id, bob, tier, 1500, NOW + 1);
  /* The same backer twice: one active pledge per campaign. */
  g_assert_false (create_pledge (f->conn, c->id, bob, NULL, 1500, NOW + 2, NULL, NULL, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_clear_error (&error);
  g_free (authorized_pledge (f->conn, c->id, carol, tier, 2500, NOW + 3));
  /* Sold out. */
  g_assert_false (create_pledge (f->conn, c->id, dave, tier, 1500, NOW + 4, NULL, NULL, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_CONFLICT);
  g_assert_true (g_str_has_prefix (error->message, "This reward is sold out"));
  g_clear_error (&error);
  /* An unknown campaign. */
  g_assert_false (create_pledge (f->conn, "cmp_missing", dave, NULL, 1500, NOW, NULL, NULL, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Only the successful ones counted. */
  after = get_campaign (f->conn, c->id);
  g_assert_cmpint (after->current_amount, ==, 4000);
  g_assert_cmpint (after->backer_count, ==, 2);
  g_assert_cmpint (((CsRewardTier *) after->rewards->pdata[0])->quantity_claimed, ==, 2);

  g_assert_true (cs_store_is_backer (f->conn, c->id, bob, &backer, &error));
  g_assert_true (backer);
  g_assert_true (cs_store_is_backer (f->conn, c->id, dave, &backer, &error));
  g_assert_false (backer);
  g_assert_true (cs_store_is_backer (f->conn, c->id, NULL, &backer, &error));
  g_assert_false (backer);
  g_assert_no_error (error);

  /* Trending counts the pledges of the last 7 days. */
  g_assert_true (cs_store_refresh_trending (f->conn, NOW + 10, &error));
  g_assert_no_error (error);

  /* Dashboards. */
  g_assert_true (cs_store_dashboard (f->conn, bob, &dash, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dash.created->len, ==, 0);
  g_assert_cmpuint (dash.backed->len, ==, 1);
  {
    CsBackedItem *item = g_ptr_array_index (dash.backed, 0);

    g_assert_cmpstr (item->pledge_id, ==, bob_pledge);
    g_assert_cmpint (item->amount, ==, 1500);
    g_assert_cmpstr (item->currency, ==, "EUR");
    g_assert_cmpstr (item->pledge_status, ==, "authorized");
    g_assert_cmpstr (item->reward_tier_id, ==, tier);
    g_assert_cmpstr (item->reward_title, ==, "Tier 0");
    g_assert_cmpint (item->pledged_at, ==, NOW + 1);
    g_assert_cmpstr (item->campaign->id, ==, c->id);
    g_assert_cmpstr (item->campaign->creator.username, ==, "alice");
  }
  cs_dashboard_clear (&dash);
  g_assert_true (cs_store_dashboard (f->conn, alice, &dash, &error));
  g_assert_cmpuint (dash.created->len, ==, 1);
  g_assert_cmpuint (dash.backed->len, ==, 0);
  cs_dashboard_clear (&dash);
}

static gint64
trend_score (Fixture *f, const char *campaign_id)
{
  /* Read behind the store's back (ids are letters, digits and '_'). */
  g_autofree char *sql = g_strdup_printf ("SELECT trend_score FROM campaigns WHERE id = '%s'", campaign_id);
  g_autofree char *score = NULL;

  g_assert_null (strchr (campaign_id, '\''));
  score = cs_test_db_query_text (f->url, sql);
  g_assert_nonnull (score);
  return g_ascii_strtoll (score, NULL, 10);
}

static void
test_trending (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autoptr(CsCampaign) a = add_campaign_full (f->conn, alice, "A", "", "art", 100000, NOW, 0, 0);
  g_autoptr(CsCampaign) b = add_campaign_full (f->conn, alice, "B", "", "art", 100000, NOW, 0, 0);
  g_autoptr(CsCampaign) done = add_campaign_full (f->conn, alice, "Done", "", "art", 100000, NOW, 0, 0);
  g_autoptr(GPtrArray) backers = g_ptr_array_new_with_free_func (g_free);
  const gint64 t = NOW + 30 * DAY;
  CsCampaignQuery q = { 0 };
  g_autoptr(GPtrArray) ids = NULL;

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("fan%u", i);

      g_ptr_array_add (backers, add_user (f->conn, name, CS_ROLE_BACKER));
    }
  publish (f->conn, a->id, mod, NOW);
  publish (f->conn, b->id, mod, NOW);
  publish (f->conn, done->id, mod, NOW);

  /* a: 3 pledges this week; b: 1 this week, 2 older;
   * done: 2 this week but no longer live. */
  for (guint i = 0; i < 3; i++)
    {
      g_free (authorized_pledge (f->conn, a->id, backers->pdata[i], NULL, 100, t - DAY));
    }
  g_free (authorized_pledge (f->conn, b->id, backers->pdata[0], NULL, 90000, t - 6 * DAY));
  g_free (authorized_pledge (f->conn, b->id, backers->pdata[1], NULL, 100, t - 8 * DAY));
  g_free (authorized_pledge (f->conn, b->id, backers->pdata[2], NULL, 100, t - 7 * DAY - 1));
  for (guint i = 4; i < 6; i++)
    {
      g_free (authorized_pledge (f->conn, done->id, backers->pdata[i], NULL, 100, t - DAY));
    }
  g_assert_no_error (error);
  cs_campaign_free (transition (f->conn, done->id, CS_CAMPAIGN_EVENT_SUCCEED, NULL, NULL, t));

  g_assert_true (cs_store_refresh_trending (f->conn, t, &error));
  g_assert_no_error (error);
  g_assert_cmpint (trend_score (f, a->id), ==, 3);
  g_assert_cmpint (trend_score (f, b->id), ==, 1);
  g_assert_cmpint (trend_score (f, done->id), ==, 0);

  q.sort = CS_SORT_TRENDING;
  q.limit = 10;
  ids = walk_pages (f->conn, &q, NULL);
  g_assert_cmpuint (ids->len, ==, 3);
  g_assert_cmpstr (ids->pdata[0], ==, a->id);
  g_assert_cmpstr (ids->pdata[1], ==, b->id);

  /* A week later everything has cooled down. */
  g_assert_true (cs_store_refresh_trending (f->conn, t + 8 * DAY, &error));
  g_assert_cmpint (trend_score (f, a->id), ==, 0);
  g_assert_cmpint (trend_score (f, b->id), ==, 0);
}

static void
test_updates (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autoptr(CsCampaign) c = add_campaign (f->conn, alice, "With news");
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  gint64 prev = G_MAXINT64;
  guint pages = 0;
  guint expected = 7;

  for (guint i = 0; i < 7; i++)
    {
      g_autoptr(CsUpdate) u = cs_update_new ();
      g_autoptr(CsUpdate) stored = NULL;

      u->id = cs_id_new ("upd");
      u->campaign_id = g_strdup (c->id);
      u->author_id = g_strdup (alice);
      u->title = g_strdup_printf ("Update %u", i);
      u->content = g_strdup ("News");
      u->visibility = i % 2 ? CS_UPDATE_BACKERS_ONLY : CS_UPDATE_PUBLIC;
      u->created_at = NOW + i / 2;    /* ties */
      stored = cs_store_update_insert (f->conn, u, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (stored->title, ==, u->title);
    }
  {
    g_autoptr(CsUpdate) u = cs_update_new ();

    u->id = cs_id_new ("upd");
    u->campaign_id = g_strdup ("cmp_missing");
    u->author_id = g_strdup (alice);
    u->title = g_strdup ("x");
    u->content = g_strdup ("y");
    g_assert_null (cs_store_update_insert (f->conn, u, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  do
    {
      g_autoptr(GPtrArray) items = NULL;
      g_autofree char *next = NULL;

      items = cs_store_update_list (f->conn, c->id, cursor, 3, &next, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < items->len; i++)
        {
          CsUpdate *u = g_ptr_array_index (items, i);

          g_autofree char *title = g_strdup_printf ("Update %u", --expected);

          /* Newest first; in the same second, the later one first. */
          g_assert_cmpstr (u->title, ==, title);
          g_assert_cmpint (u->created_at, <=, prev);
          prev = u->created_at;
          g_assert_true (g_hash_table_add (seen, g_strdup (u->id)));
          if (g_str_has_suffix (u->title, "1"))
            g_assert_cmpint (u->visibility, ==, CS_UPDATE_BACKERS_ONLY);
        }
      g_free (cursor);
      cursor = g_steal_pointer (&next);
      pages++;
    }
  while (cursor != NULL);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 7);
  g_assert_cmpuint (pages, ==, 3);

  g_assert_null (cs_store_update_list (f->conn, c->id, "nope", 3, &cursor, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
}

/* Tests: concurrency */

#define N_THREADS 4
#define ATTEMPTS_PER_THREAD 10

typedef struct {
  CsStore    *store;
  const char *campaign_id;
  const char *tier_id;
  char      **backers;      /* N_THREADS * ATTEMPTS_PER_THREAD */
  guint       index;
  gint        succeeded;
  gint        sold_out;
  gint        other;
} PledgeRace;

static gpointer
pledge_thread (gpointer data)
{
  PledgeRace *race = data;
  g_autoptr(GError) error = NULL;
  guint index = (guint) g_atomic_int_add (&race->index, 1);
  g_autoptr(CsStoreConn) conn = cs_store_connect (race->store, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < ATTEMPTS_PER_THREAD; i++)
    {
      const char *backer = race->backers[index * ATTEMPTS_PER_THREAD + i];

      if (create_pledge (conn, race->campaign_id, backer, race->tier_id, 2000, NOW + i, NULL, NULL, &error))
        g_atomic_int_inc (&race->succeeded);
      else if (g_error_matches (error, CS_ERROR, CS_ERROR_CONFLICT))
        g_atomic_int_inc (&race->sold_out);
      else
        {
          g_printerr ("unexpected: %s\n", error->message);
          g_atomic_int_inc (&race->other);
        }
      g_clear_error (&error);
    }
  return NULL;
}

static void
test_concurrent_pledges (Fixture *f, gconstpointer data)
{
  g_autofree char *alice = add_user (f->conn, "alice", CS_ROLE_BACKER);
  g_autofree char *mod = add_user (f->conn, "mod", CS_ROLE_MODERATOR);
  g_autoptr(CsCampaign) c = add_campaign_full (f->conn, alice, "Race", "", "games", 10000, NOW, 1, 10);
  g_autoptr(CsCampaign) after = NULL;
  char *backers[N_THREADS * ATTEMPTS_PER_THREAD + 1] = { NULL };
  GThread *threads[N_THREADS];
  PledgeRace race = { 0 };

  for (guint i = 0; i < N_THREADS * ATTEMPTS_PER_THREAD; i++)
    {
      g_autofree char *name = g_strdup_printf ("racer%u", i);

      backers[i] = add_user (f->conn, name, CS_ROLE_BACKER);
    }
  publish (f->conn, c->id, mod, NOW);
  race.store = f->store;
  race.campaign_id = c->id;
  race.tier_id = ((CsRewardTier *) c->rewards->pdata[0])->id;
  race.backers = backers;

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("pledge", pledge_thread, &race);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (race.other, ==, 0);
  g_assert_cmpint (race.succeeded, ==, 10);
  g_assert_cmpint (race.sold_out, ==, N_THREADS * ATTEMPTS_PER_THREAD - 10);

  after = get_campaign (f->conn, c->id);
  g_assert_cmpint (((CsRewardTier *) after->rewards->pdata[0])->quantity_claimed, ==, 10);
  /* pending until the gateway authorizes them: claimed, not yet counted */
  g_assert_cmpint (after->backer_count, ==, 0);
  g_assert_cmpint (after->current_amount, ==, 0);
  for (guint i = 0; i < N_THREADS * ATTEMPTS_PER_THREAD; i++)
    g_free (backers[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The migrations live in the server's GResource: make sure it is linked. */
  g_assert_nonnull (cs_server_get_resource ());

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  g_test_add_func ("/store/open/bad-urls", test_open_bad_urls);
  g_test_add_func ("/store/sort-strings", test_sort_strings);
  ADD ("/store/open/migrates", test_open_migrates);
  ADD ("/store/open/refuses-future-schema", test_open_refuses_future);
  ADD ("/store/users", test_users);
  ADD ("/store/sessions", test_sessions);
  ADD ("/store/rate-limits", test_rate_limits);
  ADD ("/store/purge-expired", test_purge_expired);
  ADD ("/store/categories", test_categories);
  ADD ("/store/campaigns/crud", test_campaign_crud);
  ADD ("/store/campaigns/transitions", test_campaign_transitions);
  ADD ("/store/tiers", test_tiers);
  ADD ("/store/list/sorts", test_list_sorts);
  ADD ("/store/list/search", test_search);
  ADD ("/store/list/search-broad", test_search_broad);
  ADD ("/store/sync", test_sync);
  ADD ("/store/pledges/views", test_pledges_in_views);
  ADD ("/store/updates", test_updates);
  ADD ("/store/trending", test_trending);
  ADD ("/store/pledges/concurrent", test_concurrent_pledges);
#undef ADD

  return g_test_run ();
}
