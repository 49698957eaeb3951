/* cs-image.c: a campaign image, from the cache or the server. */
#include "config.h"

#include "cs-image.h"

typedef struct {
  CsContext *context;
  char      *url;
} LoadData;

/* ---- helpers ------------------------------------------------------------ */

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->context);
  g_free (data->url);
  g_free (data);
}

static void
return_texture (GTask *task, GBytes *bytes)
{
  GError *error = NULL;
  GdkTexture *texture = gdk_texture_new_from_bytes (bytes, &error);

  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

/* ---- callbacks ---------------------------------------------------------- */

static void
image_stored_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!cs_cache_put_image_finish (CS_CACHE (object), result, &error))
    g_debug ("Caching an image: %s", error->message);
}

static void
image_fetched_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = cs_api_client_fetch_media_finish (CS_API_CLIENT (object), result, &error);

  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* kept for offline use; nobody waits for it */
  cs_cache_put_image_async (cs_context_get_cache (data->context), data->url, bytes, NULL, image_stored_cb, NULL);
  return_texture (task, bytes);
}

static void
image_cached_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = cs_cache_get_image_finish (CS_CACHE (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (bytes != NULL)
    {
      return_texture (task, bytes);
      return;
    }
  cs_api_client_fetch_media_async (cs_context_get_api (data->context), data->url,
                                   g_task_get_cancellable (task), image_fetched_cb, g_object_ref (task));
}

/* ---- public API --------------------------------------------------------- */

void
cs_image_load_async (CsContext *context, const char *url, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadData *data;

  g_return_if_fail (CS_IS_CONTEXT (context));
  g_return_if_fail (url != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_image_load_async);
  data = g_new0 (LoadData, 1);
  data->context = g_object_ref (context);
  data->url = g_strdup (url);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);

  cs_cache_get_image_async (cs_context_get_cache (context), url, cancellable, image_cached_cb,
                            g_steal_pointer (&task));
}

const char *
cs_image_load_get_url (GAsyncResult *result)
{
  LoadData *data = g_task_get_task_data (G_TASK (result));

  return data->url;
}

GdkTexture *
cs_image_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
