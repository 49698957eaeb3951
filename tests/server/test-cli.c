/* test-cli.c: the crowdspark-server command line, run as a real process. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include "cs-test-db.h"

static const char *server_bin;
static char *dir;
static char *db_url;

static int
run (const char *stdin_text, char **out, char **err, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) server_bin);
  va_start (args, err);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, stdin_text, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
}

static void
test_help_and_usage (void)
{
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;

  g_assert_cmpint (run (NULL, &out, &err, "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "seed-demo"));
  g_assert_cmpint (run (NULL, &out2, &err2, "fly", "--database", db_url, NULL), ==, 2);
  g_assert_nonnull (strstr (err2, "unknown command"));
  g_assert_cmpint (run (NULL, &out3, &err3, "serve", "--listen", "nonsense", NULL), ==, 2);
  g_assert_nonnull (strstr (err3, "listen address"));
}

static void
test_migrate_and_user_add (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_autofree char *out3 = NULL, *err3 = NULL;
  g_autofree char *out4 = NULL, *err4 = NULL;

  g_assert_cmpint (run (NULL, &out, &err, "migrate", "--database", db_url, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "schema version"));

  g_assert_cmpint (run ("a long admin secret\n", &out2, &err2, "user-add", "--database", db_url,
                        "--password-cost", "minimum", "--email", "root@example.org", "--username", "root",
                        "--role", "admin", NULL), ==, 0);
  g_assert_nonnull (strstr (out2, " root admin"));
  g_assert_null (strstr (out2, "secret"));
  g_assert_null (strstr (err2, "secret"));

  /* weak password, bad role, duplicate */
  g_assert_cmpint (run ("short\n", &out3, &err3, "user-add", "--database", db_url, "--password-cost", "minimum",
                        "--email", "x@example.org", "--username", "xavier", NULL), !=, 0);
  g_assert_nonnull (strstr (err3, "password"));
  g_assert_cmpint (run ("a long admin secret\n", &out4, &err4, "user-add", "--database", db_url,
                        "--password-cost", "minimum", "--email", "ROOT@example.org", "--username", "other",
                        NULL), !=, 0);
  g_assert_nonnull (strstr (err4, "email"));
}

static void
test_config_file_errors (void)
{
  g_autofree char *path = g_build_filename (dir, "bad.conf", NULL);
  g_autofree char *out = NULL, *err = NULL;

  g_assert_true (g_file_set_contents (path, "[server]\nlisten = 127.0.0.1:0\nspeed = ludicrous\n", -1, NULL));
  g_assert_cmpint (run (NULL, &out, &err, "serve", "--config", path, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "speed"));
}

/* data/server/crowdspark-server.conf.example, the production example, is a
 * configuration the server accepts (every key known and well formed); its
 * database is replaced by the test's. */
static void
test_example_config (void)
{
  const char *example = g_getenv ("CS_EXAMPLE_CONFIG");
  g_autofree char *out = NULL, *err = NULL;

  g_assert_nonnull (example);
  g_assert_cmpint (run (NULL, &out, &err, "migrate", "--config", example, "--database", db_url, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "schema version"));
}

static void
test_seed_serve_and_stop (void)
{
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autofree char *conf = g_build_filename (dir, "server.conf", NULL);
  g_autofree char *conf_text = g_strdup_printf ("[server]\ndatabase = %s\nlisten = 127.0.0.1:0\n"
                                                "threads = 2\naccess-log = false\npassword-cost = minimum\n", db_url);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *items;

  g_assert_cmpint (run (NULL, &out, &err, "seed-demo", "--database", db_url, "--password-cost", "minimum", NULL), ==, 0);
  g_assert_cmpint (run (NULL, &out2, &err2, "seed-demo", "--database", db_url, "--password-cost", "minimum", NULL), !=, 0);
  g_assert_nonnull (strstr (err2, "already"));

  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, server_bin, "serve", "--config", conf, NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
  url = g_strconcat (line + strlen ("listening on "), "/api/v1/campaigns?limit=100", NULL);

  msg = soup_message_new ("GET", url);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  items = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "items");
  g_assert_cmpuint (json_array_get_length (items), >=, 30);

  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
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
  if (server_bin == NULL)
    g_error ("CS_SERVER_BIN must name the crowdspark-server binary");
  dir = g_dir_make_tmp ("crowdspark-cli-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (dir, "cli.db", NULL);
  db_url = cs_test_db_url (dir, "cli.db");

  g_test_add_func ("/cli/help-and-usage", test_help_and_usage);
  g_test_add_func ("/cli/migrate-and-user-add", test_migrate_and_user_add);
  g_test_add_func ("/cli/config-file-errors", test_config_file_errors);
  g_test_add_func ("/cli/example-config", test_example_config);
  g_test_add_func ("/cli/seed-serve-and-stop", test_seed_serve_and_stop);

  status = g_test_run ();
  {
    g_autofree char *wal = g_strconcat (db, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db, "-shm", NULL);
    g_autofree char *conf = g_build_filename (dir, "server.conf", NULL);
    g_autofree char *bad = g_build_filename (dir, "bad.conf", NULL);

    g_unlink (db);
    g_unlink (wal);
    g_unlink (shm);
    g_unlink (conf);
    g_unlink (bad);
    g_rmdir (dir);
  }
  g_free (dir);
  cs_test_db_drop (db_url);
  g_free (db_url);
  return status;
}
