/* test-crash.c: kill -9 the real server process in the middle of a pledge
 * storm and again in the middle of a settlement, restart it on the same
 * database, let the clients retry with their Idempotency-Keys and the jobs
 * finish: nothing lost (every accepted pledge is there, once), nothing
 * doubled (each collected once), and `check-books` is green. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include "cs-test-db.h"

#define N_BACKERS 40
#define N_THREADS 4
#define AMOUNT    1500
#define SECRET    "crash-test-webhook-secret"

static const char *server_bin;
static char *dir;
static char *db_url;

typedef struct {
  GSubprocess *proc;
  char        *base;
} Server;

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static Server *
server_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ini = g_build_filename (dir, "server.ini", NULL);
  g_autofree char *line = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  Server *s = g_new0 (Server, 1);

  g_assert_true (g_file_set_contents (ini, "[server]\naccess-log=false\nsandbox=true\nwebhook-secret=" SECRET "\n"
                                      "access-token-ttl=3000000\naddress-max-attempts=100000\n",
                                      -1, NULL));
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* if this test dies, the server dies with it (and does not hold meson's pipe) */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  s->proc = g_subprocess_launcher_spawn (launcher, &error, server_bin, "serve", "--config", ini,
                                         "--database", db_url, "--listen", "127.0.0.1:0", "--threads", "2",
                                         "--workers", "4", "--password-cost", "minimum", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  /* the server says where it listens once it is ready */
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on "));
  s->base = g_strdup (line + strlen ("listening on "));
  return s;
}

static void
server_kill (Server *s)
{
  g_subprocess_force_exit (s->proc);   /* SIGKILL: no goodbye */
  g_subprocess_wait (s->proc, NULL, NULL);
  g_assert_false (g_subprocess_get_if_exited (s->proc));
  g_object_unref (s->proc);
  g_free (s->base);
  g_free (s);
}

static void
server_stop (Server *s)
{
  g_subprocess_send_signal (s->proc, SIGTERM);
  g_subprocess_wait (s->proc, NULL, NULL);
  g_object_unref (s->proc);
  g_free (s->base);
  g_free (s);
}

/* One synchronous request; returns the status, *json the parsed body. */
static guint
call (SoupSession *session, const char *base, const char *method, const char *path, const char *token,
      const char *key, const char *body, JsonNode **json)
{
  g_autofree char *url = g_strconcat (base, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) resp = NULL;
  g_autoptr(GError) error = NULL;

  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
  if (body != NULL)
    {
      g_autoptr(GBytes) b = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", b);
    }
  resp = soup_session_send_and_read (session, msg, NULL, &error);
  if (error != NULL)
    return 0;   /* the server died under us */
  if (json != NULL)
    *json = json_from_string (g_bytes_get_size (resp) > 0 ? g_bytes_get_data (resp, NULL) : "null", NULL);
  return soup_message_get_status (msg);
}

static const char *
member (JsonNode *node, const char *name)
{
  return json_object_get_string_member (json_node_get_object (node), name);
}

static char *
register_user (SoupSession *session, const char *base, const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"email\": \"%s@example.org\", \"username\": \"%s\", "
                                           "\"password\": \"correct horse battery\"}", name, name);
  g_autoptr(JsonNode) json = NULL;

  g_assert_cmpuint (call (session, base, "POST", "/api/v1/auth/register", NULL, NULL, body, &json), ==, 201);
  return g_strdup (member (json, "access_token"));
}

/* Polls GET @path until string @name == @value (two minutes at most: work
 * claimed by the killed process waits for its claim to expire). */
static void
wait_field (SoupSession *session, const char *base, const char *path, const char *token, const char *name,
            const char *value)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonNode) json = NULL;

      if (call (session, base, "GET", path, token, NULL, NULL, &json) == 200 &&
          g_strcmp0 (member (json, name), value) == 0)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: %s never became %s", path, name, value);
      g_usleep (20000);
    }
}

typedef struct {
  char    *token;
  char    *key;
  char    *pm;
  char    *pledge_id;   /* from the first 201 */
} Backer;

typedef struct {
  Backer     *backers;
  guint       first, step;
  const char *base;
  const char *campaign;
  gint       *answered;
  GMutex     *lock;
  GCond      *cond;
} Storm;

static gpointer
storm_thread (gpointer data)
{
  Storm *st = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autofree char *path = g_strconcat ("/api/v1/campaigns/", st->campaign, "/pledges", NULL);

  for (guint i = st->first; i < N_BACKERS; i += st->step)
    {
      Backer *b = &st->backers[i];
      g_autofree char *body = g_strdup_printf ("{\"amount\": %d, \"payment_method\": \"%s\"}", AMOUNT, b->pm);
      g_autoptr(JsonNode) json = NULL;
      guint status = call (session, st->base, "POST", path, b->token, b->key, body, &json);

      if (status == 201)
        b->pledge_id = g_strdup (member (json, "id"));
      else if (status != 0)
        g_error ("pledge: status %u", status);
      g_mutex_lock (st->lock);
      (*st->answered)++;
      g_cond_signal (st->cond);
      g_mutex_unlock (st->lock);
      if (status == 0)
        break;   /* the server is gone: this client retries later */
    }
  return NULL;
}

static int
check_books (char **out)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, server_bin, "check-books", "--database",
                           db_url, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, out, NULL, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (proc);
}

static void
test_crash_storm_and_settlement (void)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr(GSubprocess) add = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) campaign = NULL;
  g_autoptr(JsonNode) login = NULL;
  g_autofree char *creator = NULL;
  g_autofree char *moderator_token = NULL;
  g_autofree char *books = NULL;
  g_autofree char *campaign_path = NULL;
  Backer backers[N_BACKERS] = { { 0 } };
  GThread *threads[N_THREADS];
  Storm storms[N_THREADS];
  GMutex lock;
  GCond cond;
  gint answered = 0;
  guint accepted = 0;
  const char *campaign_id;
  Server *server = server_start ();

  g_mutex_init (&lock);
  g_cond_init (&cond);

  /* an admin (for the test clock and approval), a verified creator, a live campaign */
  add = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, server_bin, "user-add", "--database", db_url,
                          "--password-cost", "minimum", "--email", "admin@example.org", "--username", "admin",
                          "--role", "admin", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (add, "an admin password\n", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (add), ==, 0);
  g_assert_cmpuint (call (session, server->base, "POST", "/api/v1/auth/login", NULL, NULL,
                          "{\"email\": \"admin@example.org\", \"password\": \"an admin password\"}", &login), ==, 200);
  moderator_token = g_strdup (member (login, "access_token"));

  creator = register_user (session, server->base, "crashcreator");
  g_assert_cmpuint (call (session, server->base, "POST", "/api/v1/me/kyc", creator, NULL,
                          "{\"full_name\": \"Cora Crash\", \"country\": \"NL\", \"document_type\": \"passport\", "
                          "\"document_number\": \"NL0001\"}", NULL), ==, 202);
  wait_field (session, server->base, "/api/v1/me/kyc", creator, "status", "verified");
  g_assert_cmpuint (call (session, server->base, "POST", "/api/v1/campaigns", creator, NULL,
                          "{\"title\": \"Crash proof\", \"description\": \"Survives kill -9.\", \"category\": \"games\", "
                          "\"goal_amount\": 10000, \"currency\": \"USD\", \"duration_days\": 5}", &campaign), ==, 201);
  campaign_id = member (campaign, "id");
  campaign_path = g_strconcat ("/api/v1/campaigns/", campaign_id, NULL);
  {
    g_autofree char *submit = g_strconcat (campaign_path, "/submit", NULL);
    g_autofree char *approve = g_strconcat ("/api/v1/admin/campaigns/", campaign_id, "/approve", NULL);

    g_assert_cmpuint (call (session, server->base, "POST", submit, creator, NULL, NULL, NULL), ==, 200);
    g_assert_cmpuint (call (session, server->base, "POST", approve, moderator_token, NULL, NULL, NULL), ==, 200);
  }
  for (guint i = 0; i < N_BACKERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("crashbacker%u", i);
      g_autoptr(JsonNode) pm = NULL;

      backers[i].token = register_user (session, server->base, name);
      backers[i].key = g_uuid_string_random ();
      g_assert_cmpuint (call (session, server->base, "POST", "/api/v1/sandbox/gateway/payment_methods", NULL, NULL,
                              "{\"card_number\": \"4242424242424242\", \"exp_month\": 12, \"exp_year\": 2099, "
                              "\"cvc\": \"123\"}", &pm), ==, 201);
      backers[i].pm = g_strdup (member (pm, "id"));
    }

  /* 1. the storm, killed when about half of the pledges were answered */
  for (guint t = 0; t < N_THREADS; t++)
    {
      storms[t] = (Storm) { backers, t, N_THREADS, server->base, campaign_id, &answered, &lock, &cond };
      threads[t] = g_thread_new ("storm", storm_thread, &storms[t]);
    }
  g_mutex_lock (&lock);
  while (answered < N_BACKERS / 2)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);
  server_kill (server);
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);

  /* 2. restart; every client retries with its key: the same answer, or the pledge now */
  server = server_start ();
  for (guint i = 0; i < N_BACKERS; i++)
    {
      g_autofree char *path = g_strconcat (campaign_path, "/pledges", NULL);
      g_autofree char *body = g_strdup_printf ("{\"amount\": %d, \"payment_method\": \"%s\"}", AMOUNT, backers[i].pm);
      g_autoptr(JsonNode) json = NULL;

      g_assert_cmpuint (call (session, server->base, "POST", path, backers[i].token, backers[i].key, body, &json), ==, 201);
      if (backers[i].pledge_id != NULL)
        g_assert_cmpstr (member (json, "id"), ==, backers[i].pledge_id);   /* not doubled */
      else
        backers[i].pledge_id = g_strdup (member (json, "id"));
      accepted++;
    }
  g_assert_cmpuint (accepted, ==, N_BACKERS);
  for (guint i = 0; i < N_BACKERS; i++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/pledges/", backers[i].pledge_id, NULL);

      wait_field (session, server->base, path, backers[i].token, "status", "authorized");
    }
  {
    g_autoptr(JsonNode) json = NULL;

    g_assert_cmpuint (call (session, server->base, "GET", campaign_path, NULL, NULL, NULL, &json), ==, 200);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "backer_count"), ==, N_BACKERS);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "current_amount"), ==,
                     N_BACKERS * AMOUNT);
  }

  /* 3. the deadline passes; killed as soon as the first capture is on the books */
  g_assert_cmpuint (call (session, server->base, "POST", "/api/v1/sandbox/clock", moderator_token, NULL,
                          "{\"advance_seconds\": 518400}", NULL), ==, 200);
  {
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    gboolean any = FALSE;

    while (!any && g_get_monotonic_time () < deadline)
      for (guint i = 0; i < N_BACKERS && !any; i++)
        {
          g_autofree char *path = g_strconcat ("/api/v1/pledges/", backers[i].pledge_id, NULL);
          g_autoptr(JsonNode) json = NULL;

          if (call (session, server->base, "GET", path, backers[i].token, NULL, NULL, &json) == 200)
            any = g_strcmp0 (member (json, "status"), "collected") == 0;
        }
    g_assert_true (any);
  }
  server_kill (server);

  /* 4. restart: the jobs finish what was started */
  server = server_start ();
  wait_field (session, server->base, campaign_path, NULL, "status", "successful");
  for (guint i = 0; i < N_BACKERS; i++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/pledges/", backers[i].pledge_id, NULL);

      wait_field (session, server->base, path, backers[i].token, "status", "collected");
    }
  {
    g_autofree char *path = g_strconcat (campaign_path, "/balance", NULL);
    g_autoptr(JsonNode) json = NULL;

    g_assert_cmpuint (call (session, server->base, "GET", path, creator, NULL, NULL, &json), ==, 200);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "collected_amount"), ==,
                     N_BACKERS * AMOUNT);
  }
  server_stop (server);

  if (check_books (&books) != 0)
    g_error ("check-books after the crashes:\n%s", books);

  for (guint i = 0; i < N_BACKERS; i++)
    {
      g_free (backers[i].token);
      g_free (backers[i].key);
      g_free (backers[i].pm);
      g_free (backers[i].pledge_id);
    }
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;
  int status;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);
  server_bin = g_getenv ("CS_SERVER_BIN");
  g_assert_nonnull (server_bin);
  dir = g_dir_make_tmp ("crowdspark-crash-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (dir, "crash.db", NULL);
  db_url = cs_test_db_url (dir, "crash.db");

  g_test_add_func ("/crash/storm-and-settlement", test_crash_storm_and_settlement);
  status = g_test_run ();

  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);

        g_unlink (path);
      }
    g_rmdir (dir);
  }
  cs_test_db_drop (db_url);
  g_free (db_url);
  g_free (dir);
  return status;
}
