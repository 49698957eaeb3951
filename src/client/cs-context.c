/* cs-context.c: the services of one server connection (cs-context.h). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cs-context.h"

struct _CsContext
{
  GObject        parent_instance;

  char          *server_url;
  char          *folder;
  CsApiClient   *api;
  CsSecretStore *secrets;    /* NULL without a keyring */
  CsSession     *session;
  CsCache       *cache;
  CsLiveClient  *live;
  CsSyncEngine  *sync;
};

G_DEFINE_FINAL_TYPE (CsContext, cs_context, G_TYPE_OBJECT)

/* ---- helpers ------------------------------------------------------------------------------- */

/* "http://127.0.0.1:8080/" → "127.0.0.1-8080-<hash>": readable in a file
 * manager, and distinct for every URL (the hash covers the scheme and path). */
static char *
server_key (const char *server_url)
{
  g_autoptr(GUri) uri = g_uri_parse (server_url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, server_url, -1);
  GString *key = g_string_new (NULL);
  const char *host = uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : "server";

  for (const char *p = host; *p != '\0'; p++)
    g_string_append_c (key, g_ascii_isalnum (*p) || *p == '.' ? *p : '_');
  if (uri != NULL && g_uri_get_port (uri) > 0)
    g_string_append_printf (key, "-%d", g_uri_get_port (uri));
  g_string_append_printf (key, "-%.12s", hash);
  return g_string_free (key, FALSE);
}

/* "http://host:port/" and "http://host:port" are the same server. */
static char *
normalize_url (const char *server_url, GError **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  gsize len;

  uri = g_uri_parse (server_url, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a server address: it should look like https://crowdspark.example"),
                   server_url);
      return NULL;
    }
  len = strlen (server_url);
  while (len > 0 && server_url[len - 1] == '/')
    len--;
  return g_strndup (server_url, len);
}

/* ---- the start ------------------------------------------------------------------------------ */

static void
restored_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GTask) task = data;
  CsContext *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  gboolean signed_in = cs_session_restore_finish (CS_SESSION (source), result, &error);

  /* Whatever the keyring said, the app runs: sync starts (signed out, or
   * signed in offline with the saved account). */
  cs_sync_engine_start (self->sync);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (error != NULL)
    g_message ("context: the saved account was not restored: %s", error->message);
  g_task_return_boolean (task, signed_in);
}

/* ---- overrides ------------------------------------------------------------------------------ */

static void
cs_context_dispose (GObject *object)
{
  CsContext *self = CS_CONTEXT (object);

  if (self->sync != NULL)
    cs_sync_engine_stop (self->sync);
  g_clear_object (&self->sync);
  g_clear_object (&self->live);
  g_clear_object (&self->session);
  g_clear_object (&self->secrets);
  g_clear_object (&self->cache);
  g_clear_object (&self->api);
  G_OBJECT_CLASS (cs_context_parent_class)->dispose (object);
}

static void
cs_context_finalize (GObject *object)
{
  CsContext *self = CS_CONTEXT (object);

  g_free (self->server_url);
  g_free (self->folder);
  G_OBJECT_CLASS (cs_context_parent_class)->finalize (object);
}

static void
cs_context_class_init (CsContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cs_context_dispose;
  object_class->finalize = cs_context_finalize;
}

static void
cs_context_init (CsContext *self)
{
}

/* ---- public API ------------------------------------------------------------------------------ */

CsContext *
cs_context_new (const char *server_url, const char *data_dir, gboolean use_keyring, GError **error)
{
  g_autoptr(CsContext) self = NULL;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  g_autofree char *cache_path = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (data_dir != NULL, NULL);

  url = normalize_url (server_url, error);
  if (url == NULL)
    return NULL;
  key = server_key (url);

  self = g_object_new (CS_TYPE_CONTEXT, NULL);
  self->server_url = g_steal_pointer (&url);
  self->folder = g_build_filename (data_dir, "servers", key, NULL);
  if (g_mkdir_with_parents (self->folder, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder “%s”: %s"), self->folder, g_strerror (saved));
      return NULL;
    }
  cache_path = g_build_filename (self->folder, "cache.db", NULL);
  self->cache = cs_cache_new (cache_path, error);
  if (self->cache == NULL)
    return NULL;

  self->api = cs_api_client_new (self->server_url);
  if (use_keyring)
    self->secrets = cs_secret_store_new ();
  self->session = cs_session_new (self->api, self->secrets);
  self->live = cs_live_client_new (self->api);
  self->sync = cs_sync_engine_new (self->api, self->session, self->cache, self->live);
  return g_steal_pointer (&self);
}

const char *
cs_context_get_server_url (CsContext *self)
{
  g_return_val_if_fail (CS_IS_CONTEXT (self), NULL);
  return self->server_url;
}

CsApiClient *
cs_context_get_api (CsContext *self)
{
  g_return_val_if_fail (CS_IS_CONTEXT (self), NULL);
  return self->api;
}

CsSession *
cs_context_get_session (CsContext *self)
{
  g_return_val_if_fail (CS_IS_CONTEXT (self), NULL);
  return self->session;
}

CsCache *
cs_context_get_cache (CsContext *self)
{
  g_return_val_if_fail (CS_IS_CONTEXT (self), NULL);
  return self->cache;
}

CsLiveClient *
cs_context_get_live (CsContext *self)
{
  g_return_val_if_fail (CS_IS_CONTEXT (self), NULL);
  return self->live;
}

CsSyncEngine *
cs_context_get_sync_engine (CsContext *self)
{
  g_return_val_if_fail (CS_IS_CONTEXT (self), NULL);
  return self->sync;
}

void
cs_context_start_async (CsContext *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  GTask *task;

  g_return_if_fail (CS_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_context_start_async);
  cs_session_restore_async (self->session, cancellable, restored_cb, task);
}

gboolean
cs_context_start_finish (CsContext *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
