/* cs-media-service.c: images, stored content-addressed so that a URL never
 * changes meaning and can be cached forever. */
#include "config.h"

#include <string.h>

#include "cs-media-service.h"

typedef struct {
  const char *type;
  const char *ext;
} MediaKind;

static const MediaKind kinds[] = {
  { "image/png", "png" },
  { "image/jpeg", "jpg" },
  { "image/webp", "webp" },
};

static const MediaKind *
sniff (const guint8 *data, gsize len)
{
  if (len >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return &kinds[0];
  if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    return &kinds[1];
  if (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return &kinds[2];
  return NULL;
}

char *
cs_media_store (const CsServerConfig *config, const char *declared_type, GBytes *bytes, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  const MediaKind *kind;
  g_autofree char *digest = NULL;
  g_autofree char *key = NULL;
  g_autofree char *path = NULL;

  if (declared_type == NULL ||
      (strcmp (declared_type, "image/png") != 0 && strcmp (declared_type, "image/jpeg") != 0 &&
       strcmp (declared_type, "image/webp") != 0))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNSUPPORTED,
                           "Upload the image as image/png, image/jpeg or image/webp.");
      return NULL;
    }
  if (len == 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The image is empty.");
      return NULL;
    }
  if ((gint64) len > config->max_image_bytes)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_TOO_LARGE, "The image is larger than %" G_GINT64_FORMAT " bytes.",
                   config->max_image_bytes);
      return NULL;
    }
  kind = sniff (data, len);
  if (kind == NULL || strcmp (kind->type, declared_type) != 0)
    {
      g_autoptr(CsValidation) v = cs_validation_new ();

      cs_validation_add (v, "image", "is not a %s image", declared_type);
      cs_validation_finish (v, "The file's contents do not match its type", error);
      return NULL;
    }

  digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  key = g_strconcat (digest, ".", kind->ext, NULL);
  path = g_build_filename (config->media_dir, key, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) local = NULL;

      if (!g_file_set_contents_full (path, (const char *) data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
        {
          g_warning ("Cannot store media %s: %s", path, local->message);
          g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "The image could not be stored");
          return NULL;
        }
    }
  return g_steal_pointer (&key);
}

static gboolean
key_is_valid (const char *key, const MediaKind **kind)
{
  const char *dot = strchr (key, '.');

  if (dot == NULL || dot - key != 64)
    return FALSE;
  for (const char *p = key; p < dot; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (dot + 1, kinds[i].ext) == 0)
      {
        *kind = &kinds[i];
        return TRUE;
      }
  return FALSE;
}

GBytes *
cs_media_load (const CsServerConfig *config, const char *key, const char **content_type, GError **error)
{
  const MediaKind *kind = NULL;
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!key_is_valid (key, &kind))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND, "There is no such image.");
      return NULL;
    }
  path = g_build_filename (config->media_dir, key, NULL);
  if (!g_file_get_contents (path, &data, &len, NULL))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND, "There is no such image.");
      return NULL;
    }
  *content_type = kind->type;
  return g_bytes_new_take (g_steal_pointer (&data), len);
}
