/* cs-config.c: server settings. */
#include "config.h"

#include <string.h>

#include "crowdspark-core.h"
#include "cs-config.h"

CsServerConfig *
cs_server_config_new (void)
{
  CsServerConfig *config = g_new0 (CsServerConfig, 1);

  config->database_url = cs_server_config_default_database ();
  config->listen_host = g_strdup ("127.0.0.1");
  config->listen_port = 8080;
  config->media_dir = g_build_filename (g_get_user_data_dir (), "crowdspark", "media", NULL);
  config->access_log = TRUE;
  config->password_cost = CS_PASSWORD_COST_INTERACTIVE;
  config->access_token_ttl = 15 * 60;
  config->refresh_token_ttl = 30 * 24 * 3600;
  config->max_body_bytes = 1024 * 1024;
  config->max_image_bytes = 5 * 1024 * 1024;
  config->login_max_failures = 5;
  config->login_failure_window = 15 * 60;
  config->address_max_attempts = 30;
  config->address_window = 5 * 60;
  return config;
}

void
cs_server_config_free (CsServerConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->database_url);
  g_free (config->listen_host);
  g_free (config->media_dir);
  g_free (config->redis_url);
  if (config->webhook_secret != NULL)
    memset (config->webhook_secret, 0, strlen (config->webhook_secret));
  g_free (config->webhook_secret);
  g_free (config->webhook_url);
  g_free (config->tls_cert);
  g_free (config->tls_key);
  g_free (config);
}

char *
cs_server_config_default_database (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "crowdspark", "crowdspark.db", NULL);

  return g_strconcat ("sqlite://", path, NULL);
}

gboolean
cs_password_cost_from_string (const char *text, CsPasswordCost *out)
{
  if (g_strcmp0 (text, "interactive") == 0)
    *out = CS_PASSWORD_COST_INTERACTIVE;
  else if (g_strcmp0 (text, "moderate") == 0)
    *out = CS_PASSWORD_COST_MODERATE;
  else if (g_strcmp0 (text, "minimum") == 0)
    *out = CS_PASSWORD_COST_MINIMUM;
  else
    return FALSE;
  return TRUE;
}

gboolean
cs_server_config_set_listen (CsServerConfig *config, const char *listen, GError **error)
{
  const char *colon;
  g_autofree char *host = NULL;
  guint64 port;

  if (listen[0] == '[')
    {
      const char *end = strchr (listen, ']');

      if (end == NULL || end[1] != ':')
        goto bad;
      host = g_strndup (listen + 1, end - listen - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (listen, ':');
      if (colon == NULL || colon == listen)
        goto bad;
      host = g_strndup (listen, colon - listen);
    }
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    goto bad;

  g_free (config->listen_host);
  config->listen_host = g_steal_pointer (&host);
  config->listen_port = (guint) port;
  return TRUE;

bad:
  g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
               "“%s” is not a listen address: use HOST:PORT, e.g. 127.0.0.1:8080", listen);
  return FALSE;
}

gboolean
cs_redis_url_parse (const char *url, char **host, guint *port, guint *db, GError **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *shown = NULL;
  const char *path;
  guint64 n = 0;

  /* never repeat a password in a message */
  shown = url != NULL && strchr (url, '@') == NULL ? g_strdup_printf ("“%s”", url) : g_strdup ("that URL");
  if (url == NULL || !g_str_has_prefix (url, "redis://"))
    goto bad;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    goto bad;
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                           "The Redis URL has a user or password: CrowdSpark connects without one "
                           "(keep Redis on a private network); use redis://HOST:PORT");
      return FALSE;
    }
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    goto bad;
  if (g_uri_get_port (uri) <= 0 || g_uri_get_port (uri) > 65535)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                   "The Redis URL %s has no port: use redis://HOST:PORT, e.g. redis://127.0.0.1:6379", shown);
      return FALSE;
    }
  path = g_uri_get_path (uri);
  if (path[0] != '\0' && strcmp (path, "/") != 0 &&
      (path[0] != '/' || !g_ascii_string_to_unsigned (path + 1, 10, 0, G_MAXINT, &n, NULL)))
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                   "The Redis URL %s has a path: only a database number may follow the port, "
                   "e.g. redis://127.0.0.1:6379/0", shown);
      return FALSE;
    }
  if (host != NULL)
    *host = g_strdup (g_uri_get_host (uri));
  if (port != NULL)
    *port = (guint) g_uri_get_port (uri);
  if (db != NULL)
    *db = (guint) n;
  return TRUE;

bad:
  g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
               "%s is not a Redis URL: use redis://HOST:PORT or redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379",
               shown);
  return FALSE;
}

gboolean
cs_server_config_set_redis (CsServerConfig *config, const char *url, GError **error)
{
  if (url != NULL && url[0] != '\0' && !cs_redis_url_parse (url, NULL, NULL, NULL, error))
    return FALSE;
  g_free (config->redis_url);
  config->redis_url = url != NULL && url[0] != '\0' ? g_strdup (url) : NULL;
  return TRUE;
}

typedef enum { KEY_STRING, KEY_BOOL, KEY_UINT, KEY_INT64, KEY_LISTEN, KEY_COST, KEY_REDIS } KeyKind;

typedef struct {
  const char *name;
  KeyKind     kind;
  gsize       offset;
} KeySpec;

#define OFF(field) G_STRUCT_OFFSET (CsServerConfig, field)

static const KeySpec keys[] = {
  { "database", KEY_STRING, OFF (database_url) },
  { "listen", KEY_LISTEN, 0 },
  { "threads", KEY_UINT, OFF (threads) },
  { "workers", KEY_UINT, OFF (workers) },
  { "sandbox", KEY_BOOL, OFF (sandbox) },
  { "media-dir", KEY_STRING, OFF (media_dir) },
  { "redis", KEY_REDIS, OFF (redis_url) },
  { "webhook-secret", KEY_STRING, OFF (webhook_secret) },
  { "webhook-url", KEY_STRING, OFF (webhook_url) },
  { "tls-cert", KEY_STRING, OFF (tls_cert) },
  { "tls-key", KEY_STRING, OFF (tls_key) },
  { "access-log", KEY_BOOL, OFF (access_log) },
  { "password-cost", KEY_COST, OFF (password_cost) },
  { "access-token-ttl", KEY_INT64, OFF (access_token_ttl) },
  { "refresh-token-ttl", KEY_INT64, OFF (refresh_token_ttl) },
  { "max-body-bytes", KEY_INT64, OFF (max_body_bytes) },
  { "max-image-bytes", KEY_INT64, OFF (max_image_bytes) },
  { "login-max-failures", KEY_INT64, OFF (login_max_failures) },
  { "login-failure-window", KEY_INT64, OFF (login_failure_window) },
  { "address-max-attempts", KEY_INT64, OFF (address_max_attempts) },
  { "address-window", KEY_INT64, OFF (address_window) },
};

gboolean
cs_server_config_load_file (CsServerConfig *config, const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_auto(GStrv) names = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    return FALSE;
  if (!g_key_file_has_group (kf, "server"))
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID, "%s has no [server] group", path);
      return FALSE;
    }
  names = g_key_file_get_keys (kf, "server", NULL, error);
  if (names == NULL)
    return FALSE;

  for (guint i = 0; names[i] != NULL; i++)
    {
      const KeySpec *spec = NULL;
      g_autofree char *value = NULL;
      guint8 *field;

      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        if (strcmp (keys[k].name, names[i]) == 0)
          spec = &keys[k];
      if (spec == NULL)
        {
          g_set_error (error, CS_ERROR, CS_ERROR_INVALID, "%s: unknown key “%s” in [server]", path, names[i]);
          return FALSE;
        }
      value = g_key_file_get_string (kf, "server", names[i], error);
      if (value == NULL)
        return FALSE;
      g_strstrip (value);
      field = (guint8 *) config + spec->offset;

      switch (spec->kind)
        {
        case KEY_STRING:
          g_free (*(char **) field);
          *(char **) field = value[0] != '\0' ? g_strdup (value) : NULL;
          break;
        case KEY_BOOL:
          {
            gboolean b = g_key_file_get_boolean (kf, "server", names[i], error);

            if (error != NULL && *error != NULL)
              return FALSE;
            *(gboolean *) field = b;
          }
          break;
        case KEY_UINT:
        case KEY_INT64:
          {
            guint64 n;

            if (!g_ascii_string_to_unsigned (value, 10, 0,
                                             spec->kind == KEY_UINT ? 1024 : G_MAXINT64, &n, NULL))
              {
                g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                             "%s: “%s” must be a non-negative whole number", path, names[i]);
                return FALSE;
              }
            if (spec->kind == KEY_UINT)
              *(guint *) field = (guint) n;
            else
              *(gint64 *) field = (gint64) n;
          }
          break;
        case KEY_LISTEN:
          if (!cs_server_config_set_listen (config, value, error))
            return FALSE;
          break;
        case KEY_REDIS:
          {
            g_autoptr(GError) local = NULL;

            if (!cs_server_config_set_redis (config, value, &local))
              {
                g_set_error (error, CS_ERROR, CS_ERROR_INVALID, "%s: redis: %s", path, local->message);
                return FALSE;
              }
          }
          break;
        case KEY_COST:
          if (!cs_password_cost_from_string (value, (CsPasswordCost *) field))
            {
              g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                           "%s: password-cost must be interactive, moderate or minimum", path);
              return FALSE;
            }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}
