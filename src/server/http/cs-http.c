/* cs-http.c: requests, responses and problem documents. */
#include "config.h"

#include <string.h>

#include "cs-http.h"
#include "cs-router.h"

static const char *method_names[CS_HTTP_N_METHODS] = {
  "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
};

const char *
cs_http_method_to_string (CsHttpMethod method)
{
  return method < CS_HTTP_N_METHODS ? method_names[method] : "UNKNOWN";
}

gboolean
cs_http_method_from_string (const char *text, CsHttpMethod *out)
{
  for (guint i = 0; i < CS_HTTP_N_METHODS; i++)
    if (g_strcmp0 (text, method_names[i]) == 0)
      {
        *out = (CsHttpMethod) i;
        return TRUE;
      }
  return FALSE;
}

void
cs_request_clear (CsRequest *req)
{
  g_clear_pointer (&req->path, g_free);
  g_clear_pointer (&req->query, g_hash_table_unref);
  for (guint i = 0; i < req->n_params; i++)
    g_clear_pointer (&req->param_values[i], g_free);
  req->n_params = 0;
  g_clear_pointer (&req->authorization, g_free);
  g_clear_pointer (&req->content_type, g_free);
  g_clear_pointer (&req->if_none_match, g_free);
  g_clear_pointer (&req->idempotency_key, g_free);
  g_clear_pointer (&req->webhook_signature, g_free);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_clear_pointer (&req->json, json_node_unref);
  g_clear_pointer (&req->remote_addr, g_free);
}

void
cs_response_clear (CsResponse *resp)
{
  g_clear_pointer (&resp->body, g_bytes_unref);
  g_clear_pointer (&resp->headers, g_ptr_array_unref);
  resp->status = 0;
  resp->content_type = NULL;
}

const char *
cs_request_param (const CsRequest *req, const char *name)
{
  for (guint i = 0; i < req->n_params; i++)
    if (strcmp (req->param_names[i], name) == 0)
      return req->param_values[i];
  return NULL;
}

const char *
cs_request_query (const CsRequest *req, const char *name)
{
  if (req->query == NULL)
    return NULL;
  return g_hash_table_lookup (req->query, name);
}

JsonObject *
cs_request_json_object (const CsRequest *req)
{
  if (req->json == NULL || !JSON_NODE_HOLDS_OBJECT (req->json))
    return NULL;
  return json_node_get_object (req->json);
}

const char *
cs_request_user_id (const CsRequest *req)
{
  return req->principal.authenticated ? req->principal.user_id : NULL;
}

gboolean
cs_request_is_staff (const CsRequest *req)
{
  return req->principal.authenticated && cs_role_is_staff (req->principal.role);
}

gboolean
cs_request_limit (const CsRequest *req, guint def, guint *out, GError **error)
{
  const char *text = cs_request_query (req, "limit");
  guint64 value;

  if (text == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 1, 100, &value, NULL))
    {
      g_autoptr(CsValidation) v = cs_validation_new ();
      cs_validation_add (v, "limit", "must be a whole number from 1 to 100");
      return cs_validation_finish (v, "The query has invalid parameters", error);
    }
  *out = (guint) value;
  return TRUE;
}

void
cs_response_add_header (CsResponse *resp, const char *name, const char *value)
{
  if (resp->headers == NULL)
    resp->headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (resp->headers, g_strdup (name));
  g_ptr_array_add (resp->headers, g_strdup (value));
}

void
cs_response_set_bytes (CsResponse *resp, guint status, const char *content_type, GBytes *body)
{
  resp->status = status;
  resp->content_type = content_type;
  g_clear_pointer (&resp->body, g_bytes_unref);
  resp->body = body != NULL ? g_bytes_ref (body) : NULL;
}

void
cs_response_take_json (CsResponse *resp, guint status, CsJsonWriter *w)
{
  resp->status = status;
  resp->content_type = "application/json";
  g_clear_pointer (&resp->body, g_bytes_unref);
  resp->body = cs_json_writer_free_to_bytes (w);
}

void
cs_response_no_content (CsResponse *resp)
{
  resp->status = 204;
  resp->content_type = NULL;
  g_clear_pointer (&resp->body, g_bytes_unref);
}

static void
write_problem (CsResponse      *resp,
               const CsRequest *req,
               guint            status,
               const char      *slug,
               const char      *detail,
               GHashTable      *fields)
{
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autofree char *type = g_strconcat ("/problems/", slug, NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "type", type);
  cs_json_writer_member_string (w, "title", cs_error_title_for_status (status));
  cs_json_writer_member_int (w, "status", status);
  cs_json_writer_member_string (w, "detail", detail);
  if (req != NULL)
    {
      cs_json_writer_member_string (w, "instance", req->path);
      cs_json_writer_member_string (w, "request_id", req->request_id);
    }
  if (fields != NULL && g_hash_table_size (fields) > 0)
    {
      g_autoptr(GList) keys = g_hash_table_get_keys (fields);

      keys = g_list_sort (keys, (GCompareFunc) strcmp);
      cs_json_writer_key (w, "errors");
      cs_json_writer_begin_object (w);
      for (GList *l = keys; l != NULL; l = l->next)
        cs_json_writer_member_string (w, l->data, g_hash_table_lookup (fields, l->data));
      cs_json_writer_end_object (w);
    }
  cs_json_writer_end_object (w);

  resp->status = status;
  resp->content_type = "application/problem+json";
  g_clear_pointer (&resp->body, g_bytes_unref);
  resp->body = cs_json_writer_free_to_bytes (g_steal_pointer (&w));
}

void
cs_response_set_error (CsResponse *resp, const CsRequest *req, const GError *error)
{
  guint status = cs_error_http_status (error);
  const char *detail = error->message;

  if (error->domain != CS_ERROR || status >= 500)
    {
      /* Never show internals to the caller; the log has them. */
      if (error->domain != CS_ERROR || error->code == CS_ERROR_INTERNAL)
        {
          g_warning ("request %s %s failed: %s",
                     req != NULL ? req->request_id : "-",
                     req != NULL ? req->path : "-", error->message);
          detail = "Something went wrong on our side. Please try again later.";
          status = 500;
        }
    }

  write_problem (resp, req, status,
                 error->domain == CS_ERROR ? cs_error_get_type_slug (error) : "internal-error",
                 detail,
                 error->domain == CS_ERROR ? cs_error_get_fields (error) : NULL);

  if (error->domain == CS_ERROR && error->code == CS_ERROR_RATE_LIMITED)
    {
      char buf[32];

      g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, MAX (1, cs_error_get_retry_after (error)));
      cs_response_add_header (resp, "Retry-After", buf);
    }
  if (error->domain == CS_ERROR && error->code == CS_ERROR_UNAUTHORIZED)
    cs_response_add_header (resp, "WWW-Authenticate", "Bearer realm=\"crowdspark\"");
}

void
cs_response_problem (CsResponse *resp, const CsRequest *req, CsErrorCode code, const char *detail)
{
  g_autoptr(GError) error = g_error_new_literal (CS_ERROR, code, detail);

  cs_response_set_error (resp, req, error);
}

void
cs_response_problem_status (CsResponse *resp, const CsRequest *req, guint status, const char *slug,
                            const char *detail)
{
  write_problem (resp, req, status, slug, detail, NULL);
}

static gboolean
etag_matches (const char *if_none_match, const char *etag)
{
  g_auto(GStrv) parts = NULL;

  if (if_none_match == NULL)
    return FALSE;
  parts = g_strsplit (if_none_match, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *candidate = g_strstrip (parts[i]);

      if (g_str_has_prefix (candidate, "W/"))
        candidate += 2;
      if (strcmp (candidate, "*") == 0 || strcmp (candidate, etag) == 0)
        return TRUE;
    }
  return FALSE;
}

char *
cs_etag_for_bytes (GBytes *body)
{
  gsize len = 0;
  gconstpointer data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  return g_strdup_printf ("\"%016" G_GINT64_MODIFIER "x\"", cs_hash64 (data, len));
}

void
cs_response_set_etag (CsResponse *resp, const CsRequest *req, const char *etag)
{
  cs_response_add_header (resp, "ETag", etag);
  if (etag_matches (req->if_none_match, etag))
    {
      resp->status = 304;
      g_clear_pointer (&resp->body, g_bytes_unref);
    }
}

void
cs_response_apply_etag (CsResponse *resp, const CsRequest *req)
{
  g_autofree char *etag = cs_etag_for_bytes (resp->body);

  cs_response_set_etag (resp, req, etag);
}

void
cs_json_list_begin (CsJsonWriter *w)
{
  cs_json_writer_begin_object (w);
  cs_json_writer_key (w, "items");
  cs_json_writer_begin_array (w);
}

void
cs_json_list_end (CsJsonWriter *w, const char *next_cursor)
{
  cs_json_writer_end_array (w);
  cs_json_writer_member_string (w, "next_cursor", next_cursor);
  cs_json_writer_end_object (w);
}
