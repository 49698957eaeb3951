/* cs-error.c: the CS_ERROR domain (an extended GError) and the validation
 * collector. */
#include "config.h"

#include <stdarg.h>

#include "cs-error.h"

/* Types */

typedef struct {
  GHashTable *fields;       /* field → message, or NULL */
  gint64      retry_after;  /* seconds, 0 if unset */
  char       *type_slug;    /* overrides the code's slug, or NULL */
} CsErrorPrivate;

struct _CsValidation {
  GHashTable *fields;       /* field → message; the first message per field wins */
};

/* Prototypes */

static void cs_error_private_init  (CsErrorPrivate *priv);
static void cs_error_private_copy  (const CsErrorPrivate *src, CsErrorPrivate *dest);
static void cs_error_private_clear (CsErrorPrivate *priv);

G_DEFINE_EXTENDED_ERROR (CsError, cs_error)

/* Helpers */

static GHashTable *
fields_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static GHashTable *
fields_table_copy (GHashTable *src)
{
  GHashTable *dest = fields_table_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, src);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (dest, g_strdup (key), g_strdup (value));
  return dest;
}

static void
cs_error_private_init (CsErrorPrivate *priv)
{
  /* The accessors G_DEFINE_EXTENDED_ERROR generates may return NULL. */
  if (priv == NULL)
    return;
  priv->fields = NULL;
  priv->retry_after = 0;
  priv->type_slug = NULL;
}

static void
cs_error_private_copy (const CsErrorPrivate *src, CsErrorPrivate *dest)
{
  if (src == NULL || dest == NULL)
    return;
  dest->fields = src->fields != NULL ? fields_table_copy (src->fields) : NULL;
  dest->retry_after = src->retry_after;
  dest->type_slug = g_strdup (src->type_slug);
}

static void
cs_error_private_clear (CsErrorPrivate *priv)
{
  if (priv == NULL)
    return;
  g_clear_pointer (&priv->fields, g_hash_table_unref);
  g_clear_pointer (&priv->type_slug, g_free);
  priv->retry_after = 0;
}

/* The private data, or NULL when @error is not in CS_ERROR (no critical). */
static CsErrorPrivate *
get_private (const GError *error)
{
  if (error == NULL || error->domain != CS_ERROR)
    return NULL;
  return cs_error_get_private (error);
}

static const char *
slug_for_code (int code)
{
  switch (code)
    {
    case CS_ERROR_MALFORMED:    return "malformed-request";
    case CS_ERROR_UNAUTHORIZED: return "unauthorized";
    case CS_ERROR_FORBIDDEN:    return "forbidden";
    case CS_ERROR_NOT_FOUND:    return "not-found";
    case CS_ERROR_CONFLICT:     return "conflict";
    case CS_ERROR_TOO_LARGE:    return "payload-too-large";
    case CS_ERROR_UNSUPPORTED:  return "unsupported-media-type";
    case CS_ERROR_INVALID:      return "validation-failed";
    case CS_ERROR_RATE_LIMITED: return "rate-limited";
    case CS_ERROR_INTERNAL:     return "internal-error";
    case CS_ERROR_UNAVAILABLE:  return "unavailable";
    default:                    return "internal-error";
    }
}

/* Public API */

guint
cs_error_http_status (const GError *error)
{
  if (error == NULL || error->domain != CS_ERROR)
    return 500;

  switch (error->code)
    {
    case CS_ERROR_MALFORMED:    return 400;
    case CS_ERROR_UNAUTHORIZED: return 401;
    case CS_ERROR_FORBIDDEN:    return 403;
    case CS_ERROR_NOT_FOUND:    return 404;
    case CS_ERROR_CONFLICT:     return 409;
    case CS_ERROR_TOO_LARGE:    return 413;
    case CS_ERROR_UNSUPPORTED:  return 415;
    case CS_ERROR_INVALID:      return 422;
    case CS_ERROR_RATE_LIMITED: return 429;
    case CS_ERROR_INTERNAL:     return 500;
    case CS_ERROR_UNAVAILABLE:  return 503;
    default:                    return 500;
    }
}

const char *
cs_error_title_for_status (guint status)
{
  switch (status)
    {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Entity";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return status >= 500 ? "Internal Server Error" : "Error";
    }
}

const char *
cs_error_get_type_slug (const GError *error)
{
  CsErrorPrivate *priv = get_private (error);

  if (priv == NULL)
    return "internal-error";
  if (priv->type_slug != NULL)
    return priv->type_slug;
  return slug_for_code (error->code);
}

void
cs_error_set_type_slug (GError *error, const char *slug)
{
  CsErrorPrivate *priv = get_private (error);

  if (priv == NULL)
    return;
  g_free (priv->type_slug);
  priv->type_slug = g_strdup (slug);
}

GHashTable *
cs_error_get_fields (const GError *error)
{
  CsErrorPrivate *priv = get_private (error);

  if (priv == NULL || priv->fields == NULL || g_hash_table_size (priv->fields) == 0)
    return NULL;
  return priv->fields;
}

void
cs_error_add_field (GError *error, const char *field, const char *message)
{
  CsErrorPrivate *priv = get_private (error);

  g_return_if_fail (field != NULL);

  if (priv == NULL)
    return;
  if (priv->fields == NULL)
    priv->fields = fields_table_new ();
  g_hash_table_replace (priv->fields, g_strdup (field), g_strdup (message != NULL ? message : ""));
}

gint64
cs_error_get_retry_after (const GError *error)
{
  CsErrorPrivate *priv = get_private (error);

  return priv != NULL ? priv->retry_after : 0;
}

void
cs_error_set_retry_after (GError *error, gint64 seconds)
{
  CsErrorPrivate *priv = get_private (error);

  if (priv != NULL)
    priv->retry_after = MAX (seconds, 0);
}

/* Validation */

CsValidation *
cs_validation_new (void)
{
  CsValidation *v = g_new0 (CsValidation, 1);

  v->fields = fields_table_new ();
  return v;
}

void
cs_validation_free (CsValidation *v)
{
  if (v == NULL)
    return;
  g_hash_table_unref (v->fields);
  g_free (v);
}

void
cs_validation_add (CsValidation *v, const char *field, const char *format, ...)
{
  va_list args;

  g_return_if_fail (v != NULL);
  g_return_if_fail (field != NULL);
  g_return_if_fail (format != NULL);

  /* The first problem found with a field is the one to report. */
  if (g_hash_table_contains (v->fields, field))
    return;

  va_start (args, format);
  g_hash_table_insert (v->fields, g_strdup (field), g_strdup_vprintf (format, args));
  va_end (args);
}

gboolean
cs_validation_has_errors (const CsValidation *v)
{
  g_return_val_if_fail (v != NULL, FALSE);

  return g_hash_table_size (v->fields) > 0;
}

void
cs_validation_merge (CsValidation *dest, const CsValidation *src, const char *prefix)
{
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (dest != NULL);
  g_return_if_fail (src != NULL);

  g_hash_table_iter_init (&iter, src->fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *field = g_strconcat (prefix != NULL ? prefix : "", key, NULL);

      if (!g_hash_table_contains (dest->fields, field))
        g_hash_table_insert (dest->fields, g_steal_pointer (&field), g_strdup (value));
    }
}

gboolean
cs_validation_finish (CsValidation *v, const char *summary, GError **error)
{
  GHashTableIter iter;
  gpointer key, value;
  GError *err;

  g_return_val_if_fail (v != NULL, FALSE);

  if (g_hash_table_size (v->fields) == 0)
    return TRUE;

  if (error == NULL)
    return FALSE;

  err = g_error_new_literal (CS_ERROR, CS_ERROR_INVALID,
                             summary != NULL ? summary : "Some fields are invalid");
  g_hash_table_iter_init (&iter, v->fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    cs_error_add_field (err, key, value);
  g_propagate_error (error, err);
  return FALSE;
}
