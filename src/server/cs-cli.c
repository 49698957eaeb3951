/* cs-cli.c: crowdspark-server's commands. */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib-unix.h>

#include "cs-cli.h"
#include "cs-config.h"
#include "cs-server.h"
#include "cs-seed.h"
#include "cs-auth-service.h"

typedef struct {
  char    *database;
  char    *config_file;
  char    *listen;
  char    *media_dir;
  char    *redis;
  char    *tls_cert;
  char    *tls_key;
  char    *password_cost;
  gint     threads;
  gint     workers;
  gboolean sandbox;
  gboolean quiet;
  char    *email;
  char    *username;
  char    *role;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->database);
  g_free (o->config_file);
  g_free (o->listen);
  g_free (o->media_dir);
  g_free (o->redis);
  g_free (o->tls_cert);
  g_free (o->tls_key);
  g_free (o->password_cost);
  g_free (o->email);
  g_free (o->username);
  g_free (o->role);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static const char *commands_help =
  "Commands:\n"
  "  serve        Run the platform API\n"
  "  migrate      Create or upgrade the database schema\n"
  "  user-add     Create an account (password on standard input)\n"
  "  seed-demo    Fill the database with a believable demo platform\n"
  "  check-books  Verify every money invariant (exit 0 only if all hold)\n"
  "\n"
  "Run “crowdspark-server COMMAND --help” for a command's options.";

/* Builds the configuration: defaults, then --config, then flags. */
static CsServerConfig *
make_config (Options *o, GError **error)
{
  g_autoptr(CsServerConfig) config = cs_server_config_new ();

  if (o->config_file != NULL && !cs_server_config_load_file (config, o->config_file, error))
    return NULL;
  if (o->database != NULL)
    {
      g_free (config->database_url);
      config->database_url = g_strdup (o->database);
    }
  if (o->listen != NULL && !cs_server_config_set_listen (config, o->listen, error))
    return NULL;
  if (o->media_dir != NULL)
    {
      g_free (config->media_dir);
      config->media_dir = g_strdup (o->media_dir);
    }
  if (o->redis != NULL && !cs_server_config_set_redis (config, o->redis, error))
    return NULL;
  if (o->tls_cert != NULL)
    {
      g_free (config->tls_cert);
      config->tls_cert = g_strdup (o->tls_cert);
    }
  if (o->tls_key != NULL)
    {
      g_free (config->tls_key);
      config->tls_key = g_strdup (o->tls_key);
    }
  if ((config->tls_cert == NULL) != (config->tls_key == NULL))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "--tls-cert and --tls-key go together");
      return NULL;
    }
  if (o->password_cost != NULL && !cs_password_cost_from_string (o->password_cost, &config->password_cost))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "--password-cost must be interactive, moderate or minimum");
      return NULL;
    }
  if (o->threads < 0 || o->threads > 256 || o->workers < 0 || o->workers > 256)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "--threads and --workers must be between 0 and 256");
      return NULL;
    }
  if (o->threads > 0)
    config->threads = (guint) o->threads;
  if (o->workers > 0)
    config->workers = (guint) o->workers;
  if (o->sandbox)
    config->sandbox = TRUE;
  if (o->quiet)
    config->access_log = FALSE;
  if (g_str_has_prefix (config->database_url, "sqlite://"))
    {
      /* make sure the default database's folder exists */
      g_autofree char *dir = g_path_get_dirname (config->database_url + strlen ("sqlite://"));

      g_mkdir_with_parents (dir, 0700);
    }
  return g_steal_pointer (&config);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;   /* removed by cmd_serve() */
}

static int
cmd_serve (CsServerConfig *config, GError **error)
{
  g_autoptr(CsServer) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint sigterm, sigint;

  server = cs_server_new (config, error);
  if (server == NULL || !cs_server_start (server, error))
    return 1;

  g_print ("listening on %s\n", cs_server_get_url (server));
  fflush (stdout);

  sigterm = g_unix_signal_add (SIGTERM, quit_cb, loop);
  sigint = g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);

  g_printerr ("crowdspark-server: stopping, letting requests in progress finish\n");
  cs_server_stop (server, 10000);
  return 0;
}

static int
cmd_migrate (CsServerConfig *config, GError **error)
{
  g_autoptr(CsStore) store = cs_store_open (config->database_url, error);
  g_autoptr(CsStoreConn) conn = NULL;

  if (store == NULL)
    return 1;
  conn = cs_store_connect (store, error);
  if (conn == NULL)
    return 1;
  g_print ("%s database at schema version %d\n", cs_store_kind (store), cs_store_schema_version (conn));
  return 0;
}

static char *
read_password_from_stdin (GError **error)
{
  char buf[1100];
  gsize len;

  if (fgets (buf, sizeof buf, stdin) == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "Give the password on standard input");
      return NULL;
    }
  len = strlen (buf);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    buf[--len] = '\0';
  return g_strdup (buf);
}

static void
print_field_errors (const GError *error)
{
  GHashTable *fields = error->domain == CS_ERROR ? cs_error_get_fields (error) : NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (fields == NULL)
    return;
  g_hash_table_iter_init (&iter, fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_printerr ("  %s: %s\n", (char *) key, (char *) value);
}

static int
cmd_user_add (CsServerConfig *config, Options *o, GError **error)
{
  g_autoptr(CsStore) store = NULL;
  g_autoptr(CsStoreConn) conn = NULL;
  g_autoptr(CsUser) user = NULL;
  g_autofree char *password = NULL;
  CsRole role = CS_ROLE_BACKER;

  if (o->email == NULL || o->username == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "user-add needs --email and --username");
      return 2;
    }
  if (o->role != NULL && !cs_role_from_string (o->role, &role))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "--role must be backer, moderator or admin");
      return 2;
    }
  password = read_password_from_stdin (error);
  if (password == NULL)
    return 2;

  store = cs_store_open (config->database_url, error);
  if (store == NULL)
    return 1;
  conn = cs_store_connect (store, error);
  if (conn == NULL)
    return 1;
  user = cs_account_create_with_role (conn, config, o->email, o->username, password, role,
                                      g_get_real_time () / G_USEC_PER_SEC, error);
  memset (password, 0, strlen (password));
  if (user == NULL)
    return 1;
  g_print ("%s %s %s\n", user->id, user->username, cs_role_to_string (user->role));
  return 0;
}

static int
cmd_seed_demo (CsServerConfig *config, GError **error)
{
  g_autoptr(CsStore) store = cs_store_open (config->database_url, error);
  g_autoptr(CsStoreConn) conn = NULL;

  if (store == NULL)
    return 1;
  conn = cs_store_connect (store, error);
  if (conn == NULL)
    return 1;
  if (!cs_seed_demo (store, conn, config, g_get_real_time () / G_USEC_PER_SEC, error))
    return 1;
  g_print ("Seeded the demo platform. Sign in as backer@crowdspark.test with the password “%s”.\n",
           CS_SEED_DEMO_PASSWORD);
  return 0;
}

/* Exit status 0 only when every invariant holds; otherwise 1, with one line
 * per violation on standard output (3 when the check itself failed). */
static int
cmd_check_books (CsServerConfig *config, GError **error)
{
  g_autoptr(CsStore) store = cs_store_open (config->database_url, error);
  g_autoptr(CsStoreConn) conn = NULL;
  g_autoptr(GPtrArray) violations = g_ptr_array_new_with_free_func (g_free);

  if (store == NULL)
    return 3;
  conn = cs_store_connect (store, error);
  if (conn == NULL || !cs_store_check_books (conn, violations, error))
    return 3;
  for (guint i = 0; i < violations->len; i++)
    g_print ("violation: %s\n", (const char *) g_ptr_array_index (violations, i));
  if (violations->len > 0)
    {
      g_print ("The books do NOT balance: %u violation%s.\n", violations->len, violations->len == 1 ? "" : "s");
      return 1;
    }
  g_print ("The books balance: every money invariant holds.\n");
  return 0;
}

int
cs_cli_main (int argc, char **argv)
{
  g_auto(Options) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(CsServerConfig) config = NULL;
  g_autofree char *summary = NULL;
  const char *command;
  int status = 0;
  GOptionEntry common[] = {
    { "database", 'd', 0, G_OPTION_ARG_STRING, &o.database, "Database URL (sqlite:///path.db)", "URL" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config_file, "Read settings from this file ([server] group)", "FILE" },
    { "password-cost", 0, 0, G_OPTION_ARG_STRING, &o.password_cost, "argon2id cost: interactive, moderate or minimum (tests)", "COST" },
    { NULL }
  };
  GOptionEntry serve[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &o.listen, "Address to listen on (default 127.0.0.1:8080; port 0 picks one)", "HOST:PORT" },
    { "sandbox", 0, 0, G_OPTION_ARG_NONE, &o.sandbox, "Enable the sandbox payment and identity providers", NULL },
    { "media-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.media_dir, "Where uploaded images are kept", "DIR" },
    { "redis", 0, 0, G_OPTION_ARG_STRING, &o.redis, "Redis URL for live events between instances", "URL" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &o.threads, "HTTP event loops (default: one per CPU)", "N" },
    { "workers", 0, 0, G_OPTION_ARG_INT, &o.workers, "Worker threads for writes and slow requests", "N" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_cert, "Serve HTTPS with this PEM certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_key, "The certificate's PEM private key", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "No access log", NULL },
    { NULL }
  };
  GOptionEntry user_add[] = {
    { "email", 0, 0, G_OPTION_ARG_STRING, &o.email, "E-mail address", "EMAIL" },
    { "username", 0, 0, G_OPTION_ARG_STRING, &o.username, "Username", "NAME" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &o.role, "backer, moderator or admin", "ROLE" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);

  command = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
  summary = g_strdup_printf ("- the CrowdSpark platform server, version %s", PACKAGE_VERSION);
  context = g_option_context_new (command != NULL ? command : "COMMAND");
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, commands_help);
  g_option_context_add_main_entries (context, common, NULL);
  if (g_strcmp0 (command, "serve") == 0)
    g_option_context_add_main_entries (context, serve, NULL);
  else if (g_strcmp0 (command, "user-add") == 0)
    g_option_context_add_main_entries (context, user_add, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("crowdspark-server: %s\n", error->message);
      return 2;
    }
  if (command == NULL || argc != 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return 2;
    }

  config = make_config (&o, &error);
  if (config == NULL)
    {
      g_printerr ("crowdspark-server: %s\n", error->message);
      return 2;
    }

  if (g_strcmp0 (command, "serve") == 0)
    status = cmd_serve (config, &error);
  else if (g_strcmp0 (command, "migrate") == 0)
    status = cmd_migrate (config, &error);
  else if (g_strcmp0 (command, "user-add") == 0)
    status = cmd_user_add (config, &o, &error);
  else if (g_strcmp0 (command, "seed-demo") == 0)
    status = cmd_seed_demo (config, &error);
  else if (g_strcmp0 (command, "check-books") == 0)
    status = cmd_check_books (config, &error);
  else
    {
      g_printerr ("crowdspark-server: unknown command “%s”\n\n%s\n", command, commands_help);
      return 2;
    }

  if (status != 0 && error != NULL)
    {
      g_printerr ("crowdspark-server: %s\n", error->message);
      print_field_errors (error);
    }
  return status;
}
