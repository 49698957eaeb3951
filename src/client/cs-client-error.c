/* cs-client-error.c: the CS_CLIENT_ERROR domain, an extended GError that
 * carries what the server said: the HTTP status, the problem type, the
 * field errors and a 429's Retry-After.  The setters live in
 * cs-client-error-private.h for the API client. */
#include "config.h"

#include "cs-client-error.h"
#include "cs-client-error-private.h"

/* Types */

typedef struct {
  guint       status;
  char       *problem_type;
  GHashTable *fields;        /* field → message, or NULL */
  gint64      retry_after;
} CsClientErrorPrivate;

/* Prototypes */

static void cs_client_error_private_init  (CsClientErrorPrivate *priv);
static void cs_client_error_private_copy  (const CsClientErrorPrivate *src, CsClientErrorPrivate *dest);
static void cs_client_error_private_clear (CsClientErrorPrivate *priv);

G_DEFINE_EXTENDED_ERROR (CsClientError, cs_client_error)

/* Helpers */

static GHashTable *
fields_copy (GHashTable *src)
{
  GHashTable *dest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, src);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (dest, g_strdup (key), g_strdup (value));
  return dest;
}

static void
cs_client_error_private_init (CsClientErrorPrivate *priv)
{
  if (priv == NULL)
    return;
  priv->status = 0;
  priv->problem_type = NULL;
  priv->fields = NULL;
  priv->retry_after = 0;
}

static void
cs_client_error_private_copy (const CsClientErrorPrivate *src, CsClientErrorPrivate *dest)
{
  if (src == NULL || dest == NULL)
    return;
  dest->status = src->status;
  dest->problem_type = g_strdup (src->problem_type);
  dest->fields = src->fields != NULL ? fields_copy (src->fields) : NULL;
  dest->retry_after = src->retry_after;
}

static void
cs_client_error_private_clear (CsClientErrorPrivate *priv)
{
  if (priv == NULL)
    return;
  g_clear_pointer (&priv->problem_type, g_free);
  g_clear_pointer (&priv->fields, g_hash_table_unref);
  priv->status = 0;
  priv->retry_after = 0;
}

/* NULL when @error is not in CS_CLIENT_ERROR (no critical). */
static CsClientErrorPrivate *
get_private (const GError *error)
{
  if (error == NULL || error->domain != CS_CLIENT_ERROR)
    return NULL;
  return cs_client_error_get_private (error);
}

/* Private API */

void
cs_client_error_set_details (GError *error, guint status, const char *problem_type,
                             GHashTable *fields, gint64 retry_after)
{
  CsClientErrorPrivate *priv = get_private (error);

  if (priv == NULL)
    return;
  priv->status = status;
  g_free (priv->problem_type);
  priv->problem_type = g_strdup (problem_type);
  g_clear_pointer (&priv->fields, g_hash_table_unref);
  priv->fields = fields != NULL ? g_hash_table_ref (fields) : NULL;
  priv->retry_after = MAX (retry_after, 0);
}

/* Public API */

guint
cs_client_error_get_status (const GError *error)
{
  CsClientErrorPrivate *priv = get_private (error);

  return priv != NULL ? priv->status : 0;
}

const char *
cs_client_error_get_problem_type (const GError *error)
{
  CsClientErrorPrivate *priv = get_private (error);

  return priv != NULL ? priv->problem_type : NULL;
}

GHashTable *
cs_client_error_get_fields (const GError *error)
{
  CsClientErrorPrivate *priv = get_private (error);

  return priv != NULL ? priv->fields : NULL;
}

gint64
cs_client_error_get_retry_after (const GError *error)
{
  CsClientErrorPrivate *priv = get_private (error);

  return priv != NULL ? priv->retry_after : 0;
}

gboolean
cs_client_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != CS_CLIENT_ERROR)
    return FALSE;
  return error->code == CS_CLIENT_ERROR_OFFLINE ||
         error->code == CS_CLIENT_ERROR_SERVER ||
         cs_client_error_get_status (error) == 429;
}
