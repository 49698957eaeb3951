/* cs-api-client.c: the platform API (api.md) on one SoupSession.
 *
 * Every call is one GTask whose task data is a Call: the request, how to
 * read the answer, and whether it was already retried after a refresh.  A
 * call that needs a token and gets a 401 (or has only a refresh token)
 * waits for the one shared refresh (refresh_waiters) and is sent again.
 *
 * Nothing here logs a request or response body: they carry passwords,
 * tokens and card numbers. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cs-api-client.h"
#include "cs-client-error.h"
#include "cs-client-error-private.h"

#define TIMEOUT_SECONDS     30
#define MAX_CONNS_PER_HOST  8
#define MAX_CONNS           16
#define PLEDGES_PAGE_LIMIT  100

/* Internal call flags, beside CsApiCallFlags. */
#define CALL_NO_REFRESH  (1u << 8)   /* never refresh on a 401 (the refresh itself, logout) */
#define CALL_RAW         (1u << 9)   /* the result is the body's GBytes, not JSON */

/* Types */

typedef gpointer (*ParseFunc) (JsonNode *root, GError **error);

struct _CsApiClient {
  GObject      parent_instance;

  char        *base_url;
  SoupSession *session;
  char        *access_token;
  char        *refresh_token;

  char        *refreshing_token;   /* the refresh token of the refresh in flight, or NULL */
  GPtrArray   *refresh_waiters;    /* GTask* waiting for that refresh (owned) */
};

typedef struct {
  char          *method;
  char          *url;
  GBytes        *body;             /* or NULL */
  guint          flags;
  char          *idempotency_key;
  char          *token;            /* a token to send instead of the client's (logout), or NULL */
  ParseFunc      parse;            /* NULL: the JsonNode itself */
  GDestroyNotify free_result;
  SoupMessage   *msg;              /* the message in flight */
  char          *sent_token;       /* the access token the message carried */
  gboolean       retried;          /* already waited for a refresh once */
} Call;

typedef struct {
  char      *user_id;
  GPtrArray *pledges;
} PledgesState;

enum {
  SIGNAL_TOKENS_CHANGED,
  N_SIGNALS
};

/* Prototypes */

static void call_start       (GTask *task);
static void wait_for_refresh (CsApiClient *self, GTask *task);

G_DEFINE_FINAL_TYPE (CsApiClient, cs_api_client, G_TYPE_OBJECT)

static guint signals[N_SIGNALS];

/* Helpers: memory */

/* Overwrites a secret before freeing it. */
static void
secret_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
wipe_and_free_cb (gpointer data)
{
  secret_free (data);
}

static void
call_free (Call *c)
{
  g_free (c->method);
  g_free (c->url);
  g_clear_pointer (&c->body, g_bytes_unref);
  g_free (c->idempotency_key);
  secret_free (c->token);
  g_clear_object (&c->msg);
  secret_free (c->sent_token);
  g_free (c);
}

static void
pledges_state_free (PledgesState *state)
{
  g_free (state->user_id);
  g_clear_pointer (&state->pledges, g_ptr_array_unref);
  g_free (state);
}

/* Helpers: errors */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static GError *
parse_error_new (guint status, const char *detail)
{
  GError *error = g_error_new (CS_CLIENT_ERROR, CS_CLIENT_ERROR_PARSE,
                               _("The server sent an answer this app does not understand (%s)."), detail);

  cs_client_error_set_details (error, status, NULL, NULL, 0);
  return error;
}

static gpointer
fail_parse (GError **error, const char *detail)
{
  g_propagate_error (error, parse_error_new (0, detail));
  return NULL;
}

/* A core model's refusal of a JSON object, as a PARSE error. */
static gpointer
fail_model (GError **error, GError *model_error)
{
  fail_parse (error, model_error->message);
  g_error_free (model_error);
  return NULL;
}

/* A transport failure: OFFLINE, except a garbled HTTP answer (PARSE). */
static GError *
transport_error_new (const GError *error)
{
  if (is_cancelled (error))
    return g_error_copy (error);
  if (error->domain == SOUP_SESSION_ERROR &&
      (error->code == SOUP_SESSION_ERROR_PARSING || error->code == SOUP_SESSION_ERROR_ENCODING))
    return parse_error_new (0, error->message);
  return g_error_new (CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE,
                      _("The server could not be reached: %s"), error->message);
}

static gint64
parse_retry_after (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After");
  gint64 seconds;
  char *end = NULL;

  if (value == NULL)
    return 0;
  seconds = g_ascii_strtoll (value, &end, 10);
  if (end == value || seconds < 0)
    return 0;
  return seconds;
}

/* The error for a non-2xx answer: its problem+json when there is one. */
static GError *
problem_error_new (SoupMessage *msg, GBytes *body)
{
  guint status = soup_message_get_status (msg);
  const char *content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GHashTable) fields = NULL;
  const char *title = NULL, *detail = NULL, *type = NULL;
  CsClientErrorCode code;
  GError *error;

  if (body != NULL && g_bytes_get_size (body) > 0 &&
      (g_strcmp0 (content_type, "application/problem+json") == 0 ||
       g_strcmp0 (content_type, "application/json") == 0))
    {
      gsize size;
      const char *data = g_bytes_get_data (body, &size);

      parser = json_parser_new_immutable ();
      if (json_parser_load_from_data (parser, data, (gssize) size, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          JsonObject *obj = json_node_get_object (json_parser_get_root (parser));
          JsonNode *errors = json_object_get_member (obj, "errors");

          title = cs_json_get_string_or (obj, "title", NULL);
          detail = cs_json_get_string_or (obj, "detail", NULL);
          type = cs_json_get_string_or (obj, "type", NULL);
          if (errors != NULL && JSON_NODE_HOLDS_OBJECT (errors))
            {
              JsonObject *eobj = json_node_get_object (errors);
              g_autoptr(GList) names = json_object_get_members (eobj);

              fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
              for (GList *l = names; l != NULL; l = l->next)
                {
                  const char *message = cs_json_get_string_or (eobj, l->data, NULL);

                  if (message != NULL)
                    g_hash_table_insert (fields, g_strdup (l->data), g_strdup (message));
                }
            }
        }
    }

  if (status == SOUP_STATUS_UNAUTHORIZED)
    code = CS_CLIENT_ERROR_AUTH;
  else if (status >= 400 && status < 500)
    code = CS_CLIENT_ERROR_CLIENT;
  else if (status >= 500)
    code = CS_CLIENT_ERROR_SERVER;
  else
    code = CS_CLIENT_ERROR_PARSE;

  if (detail != NULL && *detail != '\0')
    error = g_error_new_literal (CS_CLIENT_ERROR, code, detail);
  else if (title != NULL && *title != '\0')
    error = g_error_new_literal (CS_CLIENT_ERROR, code, title);
  else if (code == CS_CLIENT_ERROR_AUTH)
    error = g_error_new_literal (CS_CLIENT_ERROR, code, _("Please sign in again."));
  else if (code == CS_CLIENT_ERROR_SERVER)
    error = g_error_new (CS_CLIENT_ERROR, code, _("The server has a problem (%u). Please try again later."), status);
  else
    error = g_error_new (CS_CLIENT_ERROR, code, _("The server refused the request (%u)."), status);
  cs_client_error_set_details (error, status, type, fields, parse_retry_after (msg));
  return error;
}

/* Helpers: JSON */

static JsonNode *
parse_json_body (GBytes *body, guint status, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  const char *data;
  gsize size;

  data = g_bytes_get_data (body, &size);
  if (size == 0)
    return json_node_new (JSON_NODE_NULL);
  if (!json_parser_load_from_data (parser, data, (gssize) size, &local_error))
    {
      g_propagate_error (error, parse_error_new (status, local_error->message));
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    return json_node_new (JSON_NODE_NULL);
  return json_node_ref (json_parser_get_root (parser));
}

static JsonObject *
require_object (JsonNode *node, const char *what, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *detail = g_strdup_printf ("%s is not an object", what);

      fail_parse (error, detail);
      return NULL;
    }
  return json_node_get_object (node);
}

/* Member @name as a string: absent or null gives NULL (an error when
 * @required); any other type is an error. */
static gboolean
get_string (JsonObject *obj, const char *name, gboolean required, const char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        {
          g_autofree char *detail = g_strdup_printf ("“%s” is missing", name);

          fail_parse (error, detail);
          return FALSE;
        }
      return TRUE;
    }
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_autofree char *detail = g_strdup_printf ("“%s” is not a string", name);

      fail_parse (error, detail);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

/* The "items" array of a list answer; every element must be an object. */
static JsonArray *
get_items (JsonObject *obj, const char *name, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autofree char *detail = g_strdup_printf ("“%s” is not an array", name);

      return fail_parse (error, detail);
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, i)))
      {
        g_autofree char *detail = g_strdup_printf ("an element of “%s” is not an object", name);

        return fail_parse (error, detail);
      }
  return array;
}

typedef gpointer (*ModelFromJson) (JsonObject *obj, GError **error);

/* Reads every object of @array with @from_json into a new array. */
static GPtrArray *
read_models (JsonArray *array, ModelFromJson from_json, GDestroyNotify free_func, GError **error)
{
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (free_func);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      GError *model_error = NULL;
      gpointer model = from_json (json_array_get_object_element (array, i), &model_error);

      if (model == NULL)
        return fail_model (error, model_error);
      g_ptr_array_add (models, model);
    }
  return g_steal_pointer (&models);
}

/* Helpers: URLs and bodies */

static char *
escape (const char *segment)
{
  return g_uri_escape_string (segment, NULL, FALSE);
}

static GBytes *
json_body_take (CsJsonWriter *w)
{
  return cs_json_writer_free_to_bytes (w);
}

static void
append_query (GString *path, const char *name, const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL)
    return;
  escaped = escape (value);
  g_string_append_c (path, strchr (path->str, '?') != NULL ? '&' : '?');
  g_string_append_printf (path, "%s=%s", name, escaped);
}

/* A JSON body holding a password or token: wiped when freed. */
static GBytes *
secret_body_take (CsJsonWriter *w)
{
  char *text = cs_json_writer_free_to_string (w);

  return g_bytes_new_with_free_func (text, strlen (text), wipe_and_free_cb, text);
}

/* Helpers: tokens */

static void
set_tokens (CsApiClient *self, const char *access_token, const char *refresh_token)
{
  gboolean changed = g_strcmp0 (self->refresh_token, refresh_token) != 0;

  secret_free (self->access_token);
  self->access_token = g_strdup (access_token);
  if (changed)
    {
      secret_free (self->refresh_token);
      self->refresh_token = g_strdup (refresh_token);
      g_signal_emit (self, signals[SIGNAL_TOKENS_CHANGED], 0, self->refresh_token);
    }
}

/* Helpers: calls */

static GTask *
call_task_new (CsApiClient *self, const char *method, const char *url, GBytes *body, guint flags,
               const char *idempotency_key, ParseFunc parse, GDestroyNotify free_result,
               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
               gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *c = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  c->method = g_strdup (method);
  c->url = g_strdup (url);
  c->body = body != NULL ? g_bytes_ref (body) : NULL;
  c->flags = flags;
  c->idempotency_key = g_strdup (idempotency_key);
  c->parse = parse;
  c->free_result = free_result;
  g_task_set_task_data (task, c, (GDestroyNotify) call_free);
  return task;
}

/* Starts a call to @path (on the base URL) and returns its task (started). */
static void
api_request (CsApiClient *self, const char *method, const char *path, GBytes *body, guint flags,
             const char *idempotency_key, ParseFunc parse, GDestroyNotify free_result,
             GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
             gpointer source_tag)
{
  g_autofree char *url = g_strconcat (self->base_url, path, NULL);
  GTask *task = call_task_new (self, method, url, body, flags, idempotency_key, parse, free_result,
                               cancellable, callback, user_data, source_tag);

  call_start (task);
}

static void
call_return (GTask *task, SoupMessage *msg, GBytes *body)
{
  Call *c = g_task_get_task_data (task);
  g_autoptr(JsonNode) root = NULL;
  GError *error = NULL;
  gpointer result;

  if (c->flags & CALL_RAW)
    {
      g_task_return_pointer (task, g_bytes_ref (body), (GDestroyNotify) g_bytes_unref);
      return;
    }
  root = parse_json_body (body, soup_message_get_status (msg), &error);
  if (root == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (c->parse == NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&root), (GDestroyNotify) json_node_unref);
      return;
    }
  result = c->parse (root, &error);
  if (result == NULL)
    {
      cs_client_error_set_details (error, soup_message_get_status (msg), NULL, NULL, 0);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, result, c->free_result);
}

static void
call_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CsApiClient *self = g_task_get_source_object (task);
  Call *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessage) msg = g_steal_pointer (&c->msg);
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, transport_error_new (error));
      return;
    }

  status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_UNAUTHORIZED && c->sent_token != NULL && !c->retried &&
      !(c->flags & CALL_NO_REFRESH) && self->refresh_token != NULL)
    {
      c->retried = TRUE;
      if (self->access_token != NULL && g_strcmp0 (self->access_token, c->sent_token) != 0)
        call_start (g_steal_pointer (&task));   /* refreshed meanwhile: just send it again */
      else
        wait_for_refresh (self, g_steal_pointer (&task));
      return;
    }

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    call_return (task, msg, body);
  else
    g_task_return_error (task, problem_error_new (msg, body));
}

/* Sends (or sends again) the call of @task, which it takes. */
static void
call_start (GTask *task)
{
  CsApiClient *self = g_task_get_source_object (task);
  Call *c = g_task_get_task_data (task);
  const char *token = NULL;
  SoupMessageHeaders *headers;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (c->token != NULL)
    token = c->token;
  else if (c->flags & (CS_API_CALL_AUTH | CS_API_CALL_AUTH_OPTIONAL))
    token = self->access_token;

  if ((c->flags & CS_API_CALL_AUTH) && token == NULL)
    {
      if (self->refresh_token != NULL && !c->retried && !(c->flags & CALL_NO_REFRESH))
        {
          /* signed in from the keyring: get an access token first */
          c->retried = TRUE;
          wait_for_refresh (self, task);
          return;
        }
      g_task_return_new_error (task, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH, _("Please sign in first."));
      g_object_unref (task);
      return;
    }

  g_clear_object (&c->msg);
  c->msg = soup_message_new (c->method, c->url);
  if (c->msg == NULL)
    {
      g_task_return_new_error (task, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT,
                               _("“%s” is not a valid address."), c->url);
      g_object_unref (task);
      return;
    }

  headers = soup_message_get_request_headers (c->msg);
  soup_message_headers_replace (headers, "Accept", (c->flags & CALL_RAW) ? "*/*" : "application/json");
  secret_free (c->sent_token);
  c->sent_token = NULL;
  if (token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
      memset (authorization, 0, strlen (authorization));
      c->sent_token = g_strdup (token);
    }
  if (c->idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", c->idempotency_key);
  if (c->body != NULL)
    soup_message_set_request_body_from_bytes (c->msg, "application/json", c->body);

  soup_session_send_and_read_async (self->session, c->msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), call_sent_cb, task);
}

/* Helpers: the shared refresh */

static gpointer parse_auth (JsonNode *root, GError **error);

static void
refresh_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CsApiClient *self = CS_API_CLIENT (source);
  g_autoptr(CsApiAuth) auth = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->refresh_waiters);
  g_autofree char *sent = g_steal_pointer (&self->refreshing_token);

  auth = g_task_propagate_pointer (G_TASK (result), &error);
  if (auth != NULL)
    {
      /* a sign-in or sign-out meanwhile wins over this refresh */
      if (g_strcmp0 (self->refresh_token, sent) == 0)
        set_tokens (self, auth->access_token, auth->refresh_token);
    }
  else if (error->domain == CS_CLIENT_ERROR &&
           (error->code == CS_CLIENT_ERROR_AUTH || error->code == CS_CLIENT_ERROR_CLIENT))
    {
      /* refused: this refresh token is dead, sign in again */
      g_clear_error (&error);
      g_set_error_literal (&error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH,
                           _("Your session has ended. Please sign in again."));
      cs_client_error_set_details (error, SOUP_STATUS_UNAUTHORIZED, NULL, NULL, 0);
      if (g_strcmp0 (self->refresh_token, sent) == 0)
        set_tokens (self, NULL, NULL);
    }
  if (sent != NULL)
    memset (sent, 0, strlen (sent));

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *waiter = g_object_ref (g_ptr_array_index (waiters, i));

      if (g_task_get_source_tag (waiter) == cs_api_client_refresh_async)
        {
          if (error != NULL)
            g_task_return_error (waiter, g_error_copy (error));
          else
            g_task_return_boolean (waiter, TRUE);
          g_object_unref (waiter);
        }
      else if (error != NULL)
        {
          g_task_return_error (waiter, g_error_copy (error));
          g_object_unref (waiter);
        }
      else
        call_start (waiter);
    }
}

/* Makes @task (taken) wait for the refresh in flight, starting one if
 * there is none. */
static void
wait_for_refresh (CsApiClient *self, GTask *task)
{
  g_autoptr(GBytes) body = NULL;
  g_autofree char *url = NULL;
  CsJsonWriter *w;
  GTask *refresh;

  if (self->refresh_waiters != NULL)
    {
      g_ptr_array_add (self->refresh_waiters, task);
      return;
    }
  if (self->refresh_token == NULL)
    {
      g_task_return_new_error (task, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH, _("Please sign in first."));
      g_object_unref (task);
      return;
    }

  self->refresh_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->refresh_waiters, task);
  self->refreshing_token = g_strdup (self->refresh_token);

  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "refresh_token", self->refresh_token);
  cs_json_writer_end_object (w);
  body = secret_body_take (w);

  url = g_strconcat (self->base_url, "/api/v1/auth/refresh", NULL);
  /* Shared by every waiter: no one caller's cancellable stops it. */
  refresh = call_task_new (self, "POST", url, body, CALL_NO_REFRESH, NULL, parse_auth,
                           (GDestroyNotify) cs_api_auth_free, NULL, refresh_done_cb, NULL, wait_for_refresh);
  call_start (refresh);
}

/* Parsers: each takes the root node and returns the result or NULL with a
 * PARSE error. */

static gpointer
parse_user (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the account", error);
  GError *model_error = NULL;
  CsUser *user;

  if (obj == NULL)
    return NULL;
  user = cs_user_from_json (obj, &model_error);
  return user != NULL ? user : fail_model (error, model_error);
}

static gpointer
parse_auth (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the sign-in answer", error);
  g_autoptr(CsApiAuth) auth = NULL;
  const char *access_token, *refresh_token;
  JsonNode *expires;

  if (obj == NULL ||
      !get_string (obj, "access_token", TRUE, &access_token, error) ||
      !get_string (obj, "refresh_token", TRUE, &refresh_token, error))
    return NULL;
  auth = g_new0 (CsApiAuth, 1);
  auth->user = parse_user (json_object_get_member (obj, "user"), error);
  if (auth->user == NULL)
    return NULL;
  auth->access_token = g_strdup (access_token);
  auth->refresh_token = g_strdup (refresh_token);
  expires = json_object_get_member (obj, "expires_in");
  if (expires != NULL && json_node_get_value_type (expires) == G_TYPE_INT64)
    auth->expires_in = json_node_get_int (expires);
  return g_steal_pointer (&auth);
}

static gpointer
parse_campaign (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the campaign", error);
  GError *model_error = NULL;
  CsCampaign *campaign;

  if (obj == NULL)
    return NULL;
  campaign = cs_campaign_from_json (obj, &model_error);
  return campaign != NULL ? campaign : fail_model (error, model_error);
}

static gpointer
parse_pledge (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the pledge", error);
  GError *model_error = NULL;
  CsPledge *pledge;

  if (obj == NULL)
    return NULL;
  pledge = cs_pledge_from_json (obj, &model_error);
  return pledge != NULL ? pledge : fail_model (error, model_error);
}

static gpointer
parse_campaign_page (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the campaign list", error);
  g_autoptr(CsApiCampaignPage) page = NULL;
  const char *next;
  JsonArray *items;

  if (obj == NULL ||
      (items = get_items (obj, "items", error)) == NULL ||
      !get_string (obj, "next_cursor", FALSE, &next, error))
    return NULL;
  page = g_new0 (CsApiCampaignPage, 1);
  page->campaigns = read_models (items, (ModelFromJson) cs_campaign_from_json,
                                 (GDestroyNotify) cs_campaign_free, error);
  if (page->campaigns == NULL)
    return NULL;
  page->next_cursor = g_strdup (next);
  return g_steal_pointer (&page);
}

static gpointer
parse_categories (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the category list", error);
  JsonArray *items;

  if (obj == NULL || (items = get_items (obj, "items", error)) == NULL)
    return NULL;
  return read_models (items, (ModelFromJson) cs_category_from_json, (GDestroyNotify) cs_category_free, error);
}

static gpointer
parse_updates (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the update list", error);
  JsonArray *items;

  if (obj == NULL || (items = get_items (obj, "items", error)) == NULL)
    return NULL;
  return read_models (items, (ModelFromJson) cs_update_from_json, (GDestroyNotify) cs_update_free, error);
}

static gpointer
parse_payment_method (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the payment method", error);
  const char *id;

  if (obj == NULL || !get_string (obj, "id", TRUE, &id, error))
    return NULL;
  if (*id == '\0')
    return fail_parse (error, "the payment method has an empty id");
  return g_strdup (id);
}

static gpointer
parse_tombstone (JsonObject *obj, GError **error)
{
  g_autoptr(CsApiTombstone) tombstone = g_new0 (CsApiTombstone, 1);
  const char *type, *id, *campaign_id;

  if (!get_string (obj, "type", TRUE, &type, error) ||
      !get_string (obj, "id", TRUE, &id, error) ||
      !get_string (obj, "campaign_id", FALSE, &campaign_id, error))
    return NULL;
  tombstone->type = g_strdup (type);
  tombstone->id = g_strdup (id);
  tombstone->campaign_id = g_strdup (campaign_id);
  tombstone->deleted_at = cs_json_get_time (obj, "deleted_at");
  return g_steal_pointer (&tombstone);
}

static gpointer
parse_sync_page (JsonNode *root, GError **error)
{
  JsonObject *obj = require_object (root, "the sync page", error);
  g_autoptr(CsApiSyncPage) page = NULL;
  JsonArray *campaigns, *tombstones;
  JsonNode *has_more;
  const char *next;

  if (obj == NULL ||
      (campaigns = get_items (obj, "campaigns", error)) == NULL ||
      (tombstones = get_items (obj, "tombstones", error)) == NULL ||
      !get_string (obj, "next_cursor", FALSE, &next, error))
    return NULL;
  has_more = json_object_get_member (obj, "has_more");
  if (has_more != NULL && !JSON_NODE_HOLDS_NULL (has_more) &&
      json_node_get_value_type (has_more) != G_TYPE_BOOLEAN)
    return fail_parse (error, "“has_more” is not a boolean");

  page = g_new0 (CsApiSyncPage, 1);
  page->campaigns = read_models (campaigns, (ModelFromJson) cs_campaign_from_json,
                                 (GDestroyNotify) cs_campaign_free, error);
  if (page->campaigns == NULL)
    return NULL;
  page->tombstones = read_models (tombstones, (ModelFromJson) parse_tombstone,
                                  (GDestroyNotify) cs_api_tombstone_free, error);
  if (page->tombstones == NULL)
    return NULL;
  page->next_cursor = g_strdup (next);
  page->has_more = has_more != NULL && !JSON_NODE_HOLDS_NULL (has_more) && json_node_get_boolean (has_more);
  return g_steal_pointer (&page);
}

/* Callbacks */

static void
auth_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CsApiClient *self = CS_API_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CsApiAuth *auth = g_task_propagate_pointer (G_TASK (result), &error);

  if (auth == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  set_tokens (self, auth->access_token, auth->refresh_token);
  g_task_return_pointer (task, auth, (GDestroyNotify) cs_api_auth_free);
}

static void
logout_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = g_task_propagate_pointer (G_TASK (result), &error);

  /* best effort: only a cancellation is reported */
  if (error != NULL && is_cancelled (error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void request_user_pledges_page (CsApiClient *self, GTask *task, const char *cursor);

static void
user_pledges_page_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CsApiClient *self = CS_API_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  PledgesState *state = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GPtrArray) pledges = NULL;
  JsonObject *obj;
  JsonArray *items;
  const char *next;

  if (root == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if ((obj = require_object (root, "the pledge list", &error)) == NULL ||
      (items = get_items (obj, "items", &error)) == NULL ||
      !get_string (obj, "next_cursor", FALSE, &next, &error) ||
      (pledges = read_models (items, (ModelFromJson) cs_pledge_from_json,
                              (GDestroyNotify) cs_pledge_free, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < pledges->len; i++)
    g_ptr_array_add (state->pledges, g_steal_pointer (&pledges->pdata[i]));
  g_ptr_array_set_free_func (pledges, NULL);

  if (next != NULL && *next != '\0')
    request_user_pledges_page (self, g_steal_pointer (&task), next);
  else
    g_task_return_pointer (task, g_steal_pointer (&state->pledges), (GDestroyNotify) g_ptr_array_unref);
}

/* Asks for one page; @task (taken) collects them. */
static void
request_user_pledges_page (CsApiClient *self, GTask *task, const char *cursor)
{
  PledgesState *state = g_task_get_task_data (task);
  g_autofree char *id = escape (state->user_id);
  g_autoptr(GString) path = g_string_new (NULL);

  g_string_printf (path, "/api/v1/users/%s/pledges?limit=%u", id, PLEDGES_PAGE_LIMIT);
  append_query (path, "cursor", cursor);
  api_request (self, "GET", path->str, NULL, CS_API_CALL_AUTH, NULL, NULL, NULL,
               g_task_get_cancellable (task), user_pledges_page_cb, task, request_user_pledges_page);
}

/* Overrides */

static void
cs_api_client_finalize (GObject *object)
{
  CsApiClient *self = CS_API_CLIENT (object);

  g_free (self->base_url);
  g_clear_object (&self->session);
  secret_free (self->access_token);
  secret_free (self->refresh_token);
  secret_free (self->refreshing_token);
  /* a refresh in flight holds a reference: never finalised with waiters */
  g_clear_pointer (&self->refresh_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (cs_api_client_parent_class)->finalize (object);
}

static void
cs_api_client_class_init (CsApiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cs_api_client_finalize;

  /**
   * CsApiClient::tokens-changed:
   * @refresh_token: (nullable): the new refresh token, NULL when signed out
   */
  signals[SIGNAL_TOKENS_CHANGED] =
    g_signal_new ("tokens-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
cs_api_client_init (CsApiClient *self)
{
  self->session = soup_session_new_with_options ("max-conns-per-host", MAX_CONNS_PER_HOST,
                                                 "max-conns", MAX_CONNS,
                                                 "timeout", TIMEOUT_SECONDS,
                                                 "user-agent", "CrowdSpark/" PACKAGE_VERSION,
                                                 NULL);
}

/* Public API: plain data */

const char *
cs_api_sort_to_string (CsApiSort sort)
{
  switch (sort)
    {
    case CS_API_SORT_NEWEST:       return "newest";
    case CS_API_SORT_ENDING_SOON:  return "ending_soon";
    case CS_API_SORT_MOST_FUNDED:  return "most_funded";
    case CS_API_SORT_TRENDING:
    default:                       return "trending";
    }
}

void
cs_api_tombstone_free (CsApiTombstone *tombstone)
{
  if (tombstone == NULL)
    return;
  g_free (tombstone->type);
  g_free (tombstone->id);
  g_free (tombstone->campaign_id);
  g_free (tombstone);
}

void
cs_api_sync_page_free (CsApiSyncPage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->campaigns, g_ptr_array_unref);
  g_clear_pointer (&page->tombstones, g_ptr_array_unref);
  g_free (page->next_cursor);
  g_free (page);
}

void
cs_api_campaign_page_free (CsApiCampaignPage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->campaigns, g_ptr_array_unref);
  g_free (page->next_cursor);
  g_free (page);
}

void
cs_api_auth_free (CsApiAuth *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->user, cs_user_free);
  secret_free (result->access_token);
  secret_free (result->refresh_token);
  g_free (result);
}

char *
cs_api_new_idempotency_key (void)
{
  return g_uuid_string_random ();
}

/* Public API: the client */

CsApiClient *
cs_api_client_new (const char *base_url)
{
  CsApiClient *self;
  gsize len;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (CS_TYPE_API_CLIENT, NULL);
  len = strlen (base_url);
  while (len > 0 && base_url[len - 1] == '/')
    len--;
  self->base_url = g_strndup (base_url, len);
  return self;
}

const char *
cs_api_client_get_base_url (CsApiClient *self)
{
  g_return_val_if_fail (CS_IS_API_CLIENT (self), NULL);
  return self->base_url;
}

SoupSession *
cs_api_client_get_session (CsApiClient *self)
{
  g_return_val_if_fail (CS_IS_API_CLIENT (self), NULL);
  return self->session;
}

void
cs_api_client_set_tokens (CsApiClient *self, const char *access_token, const char *refresh_token)
{
  g_return_if_fail (CS_IS_API_CLIENT (self));
  set_tokens (self, access_token, refresh_token);
}

gboolean
cs_api_client_has_refresh_token (CsApiClient *self)
{
  g_return_val_if_fail (CS_IS_API_CLIENT (self), FALSE);
  return self->refresh_token != NULL;
}

char *
cs_api_client_dup_access_token (CsApiClient *self)
{
  g_return_val_if_fail (CS_IS_API_CLIENT (self), NULL);
  return g_strdup (self->access_token);
}

char *
cs_api_client_dup_refresh_token (CsApiClient *self)
{
  g_return_val_if_fail (CS_IS_API_CLIENT (self), NULL);
  return g_strdup (self->refresh_token);
}

/* Public API: the generic call */

void
cs_api_client_call_async (CsApiClient *self, const char *method, const char *path, const char *json_body,
                          CsApiCallFlags flags, const char *idempotency_key, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GBytes) body = NULL;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');

  if (json_body != NULL)
    body = g_bytes_new (json_body, strlen (json_body));
  api_request (self, method, path, body, flags & (CS_API_CALL_AUTH | CS_API_CALL_AUTH_OPTIONAL),
               idempotency_key, NULL, NULL, cancellable, callback, user_data, cs_api_client_call_async);
}

JsonNode *
cs_api_client_call_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Public API: auth */

static void
auth_request (CsApiClient *self, const char *path, GBytes *body, GCancellable *cancellable,
              GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  api_request (self, "POST", path, body, CALL_NO_REFRESH, NULL, parse_auth, (GDestroyNotify) cs_api_auth_free,
               cancellable, auth_done_cb, task, source_tag);
}

void
cs_api_client_register_async (CsApiClient *self, const char *email, const char *username, const char *password,
                              GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  CsJsonWriter *w;
  g_autoptr(GBytes) body = NULL;

  g_return_if_fail (CS_IS_API_CLIENT (self));

  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "email", email);
  cs_json_writer_member_string (w, "username", username);
  cs_json_writer_member_string (w, "password", password);
  cs_json_writer_end_object (w);
  body = secret_body_take (w);
  auth_request (self, "/api/v1/auth/register", body, cancellable, callback, user_data,
                cs_api_client_register_async);
}

CsApiAuth *
cs_api_client_register_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_login_async (CsApiClient *self, const char *login, const char *password, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  CsJsonWriter *w;
  g_autoptr(GBytes) body = NULL;

  g_return_if_fail (CS_IS_API_CLIENT (self));

  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "email", login);
  cs_json_writer_member_string (w, "password", password);
  cs_json_writer_end_object (w);
  body = secret_body_take (w);
  auth_request (self, "/api/v1/auth/login", body, cancellable, callback, user_data, cs_api_client_login_async);
}

CsApiAuth *
cs_api_client_login_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_refresh_async (CsApiClient *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task;

  g_return_if_fail (CS_IS_API_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_api_client_refresh_async);
  wait_for_refresh (self, task);
}

gboolean
cs_api_client_refresh_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_api_client_logout_async (CsApiClient *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  GTask *task, *request;

  g_return_if_fail (CS_IS_API_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_api_client_logout_async);
  token = g_steal_pointer (&self->access_token);
  set_tokens (self, NULL, NULL);
  if (token == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  url = g_strconcat (self->base_url, "/api/v1/auth/logout", NULL);
  request = call_task_new (self, "POST", url, NULL, CALL_NO_REFRESH, NULL, NULL, NULL, cancellable,
                           logout_done_cb, task, cs_api_client_logout_async);
  ((Call *) g_task_get_task_data (request))->token = g_steal_pointer (&token);
  call_start (request);
}

gboolean
cs_api_client_logout_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_api_client_get_me_async (CsApiClient *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (CS_IS_API_CLIENT (self));
  api_request (self, "GET", "/api/v1/me", NULL, CS_API_CALL_AUTH, NULL, parse_user, (GDestroyNotify) cs_user_free,
               cancellable, callback, user_data, cs_api_client_get_me_async);
}

CsUser *
cs_api_client_get_me_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Public API: campaigns */

void
cs_api_client_list_campaigns_async (CsApiClient *self, const CsApiCampaignQuery *query, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GString) path = g_string_new ("/api/v1/campaigns");

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (query != NULL);

  append_query (path, "sort", cs_api_sort_to_string (query->sort));
  append_query (path, "category", query->category);
  append_query (path, "q", query->text);
  append_query (path, "cursor", query->cursor);
  if (query->limit > 0)
    g_string_append_printf (path, "&limit=%u", query->limit);
  api_request (self, "GET", path->str, NULL, CS_API_CALL_AUTH_OPTIONAL, NULL, parse_campaign_page,
               (GDestroyNotify) cs_api_campaign_page_free, cancellable, callback, user_data,
               cs_api_client_list_campaigns_async);
}

CsApiCampaignPage *
cs_api_client_list_campaigns_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_get_campaign_async (CsApiClient *self, const char *campaign_id, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (campaign_id != NULL);

  id = escape (campaign_id);
  path = g_strconcat ("/api/v1/campaigns/", id, NULL);
  api_request (self, "GET", path, NULL, CS_API_CALL_AUTH_OPTIONAL, NULL, parse_campaign,
               (GDestroyNotify) cs_campaign_free, cancellable, callback, user_data,
               cs_api_client_get_campaign_async);
}

CsCampaign *
cs_api_client_get_campaign_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_list_categories_async (CsApiClient *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_return_if_fail (CS_IS_API_CLIENT (self));
  api_request (self, "GET", "/api/v1/categories", NULL, CS_API_CALL_DEFAULT, NULL, parse_categories,
               (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data,
               cs_api_client_list_categories_async);
}

GPtrArray *
cs_api_client_list_categories_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_list_updates_async (CsApiClient *self, const char *campaign_id, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (campaign_id != NULL);

  id = escape (campaign_id);
  path = g_strconcat ("/api/v1/campaigns/", id, "/updates", NULL);
  api_request (self, "GET", path, NULL, CS_API_CALL_AUTH_OPTIONAL, NULL, parse_updates,
               (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data,
               cs_api_client_list_updates_async);
}

GPtrArray *
cs_api_client_list_updates_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_fetch_media_async (CsApiClient *self, const char *url, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *full = NULL;
  GTask *task;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (url != NULL);

  if (url[0] == '/')
    full = g_strconcat (self->base_url, url, NULL);
  else if (g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://"))
    full = g_strdup (url);
  else
    {
      g_task_report_new_error (self, callback, user_data, cs_api_client_fetch_media_async,
                               CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT, _("“%s” is not a valid address."), url);
      return;
    }
  /* media is public: no token, which must never go to another host anyway */
  task = call_task_new (self, "GET", full, NULL, CALL_RAW | CALL_NO_REFRESH, NULL, NULL, NULL, cancellable,
                        callback, user_data, cs_api_client_fetch_media_async);
  call_start (task);
}

GBytes *
cs_api_client_fetch_media_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Public API: money */

void
cs_api_client_tokenize_card_async (CsApiClient *self, const char *card_number, guint exp_month, guint exp_year,
                                   const char *cvc, GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_autoptr(GBytes) body = NULL;
  GString *text;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (card_number != NULL && cvc != NULL);

  /* Sized once so that no copy of the number is left behind by a realloc;
   * the body is wiped when libsoup lets go of it. */
  text = g_string_sized_new (256 + 2 * strlen (card_number) + 2 * strlen (cvc));
  g_string_append (text, "{\"card_number\":");
  cs_json_append_escaped (text, card_number);
  g_string_append_printf (text, ",\"exp_month\":%u,\"exp_year\":%u,\"cvc\":", exp_month, exp_year);
  cs_json_append_escaped (text, cvc);
  g_string_append_c (text, '}');
  body = g_bytes_new_with_free_func (text->str, text->len, wipe_and_free_cb, text->str);
  g_string_free (text, FALSE);

  api_request (self, "POST", "/api/v1/sandbox/gateway/payment_methods", body, CS_API_CALL_DEFAULT, NULL,
               parse_payment_method, g_free, cancellable, callback, user_data, cs_api_client_tokenize_card_async);
}

char *
cs_api_client_tokenize_card_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_create_pledge_async (CsApiClient *self, const char *campaign_id, gint64 amount,
                                   const char *reward_tier_id, const char *payment_method,
                                   const char *idempotency_key, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  CsJsonWriter *w;
  g_autoptr(GBytes) body = NULL;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (campaign_id != NULL);

  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_int (w, "amount", amount);
  if (reward_tier_id != NULL)
    cs_json_writer_member_string (w, "reward_tier_id", reward_tier_id);
  cs_json_writer_member_string (w, "payment_method", payment_method);
  cs_json_writer_end_object (w);
  body = json_body_take (w);

  id = escape (campaign_id);
  path = g_strconcat ("/api/v1/campaigns/", id, "/pledges", NULL);
  key = idempotency_key != NULL ? g_strdup (idempotency_key) : cs_api_new_idempotency_key ();
  api_request (self, "POST", path, body, CS_API_CALL_AUTH, key, parse_pledge, (GDestroyNotify) cs_pledge_free,
               cancellable, callback, user_data, cs_api_client_create_pledge_async);
}

CsPledge *
cs_api_client_create_pledge_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
pledge_request (CsApiClient *self, const char *method, const char *pledge_id, const char *suffix, GBytes *body,
                const char *idempotency_key, GCancellable *cancellable, GAsyncReadyCallback callback,
                gpointer user_data, gpointer source_tag)
{
  g_autofree char *id = escape (pledge_id);
  g_autofree char *path = g_strconcat ("/api/v1/pledges/", id, suffix, NULL);

  api_request (self, method, path, body, CS_API_CALL_AUTH, idempotency_key, parse_pledge,
               (GDestroyNotify) cs_pledge_free, cancellable, callback, user_data, source_tag);
}

void
cs_api_client_get_pledge_async (CsApiClient *self, const char *pledge_id, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (pledge_id != NULL);
  pledge_request (self, "GET", pledge_id, "", NULL, NULL, cancellable, callback, user_data,
                  cs_api_client_get_pledge_async);
}

CsPledge *
cs_api_client_get_pledge_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_change_pledge_async (CsApiClient *self, const char *pledge_id, gint64 amount,
                                   const char *reward_tier_id, const char *idempotency_key,
                                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *key = NULL;
  g_autoptr(GBytes) body = NULL;
  CsJsonWriter *w;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (pledge_id != NULL);

  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_int (w, "amount", amount);
  if (reward_tier_id != NULL)
    cs_json_writer_member_string (w, "reward_tier_id", *reward_tier_id != '\0' ? reward_tier_id : NULL);
  cs_json_writer_end_object (w);
  body = json_body_take (w);
  key = idempotency_key != NULL ? g_strdup (idempotency_key) : cs_api_new_idempotency_key ();
  pledge_request (self, "PATCH", pledge_id, "", body, key, cancellable, callback, user_data,
                  cs_api_client_change_pledge_async);
}

CsPledge *
cs_api_client_change_pledge_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_cancel_pledge_async (CsApiClient *self, const char *pledge_id, const char *idempotency_key,
                                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *key = NULL;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (pledge_id != NULL);

  key = idempotency_key != NULL ? g_strdup (idempotency_key) : cs_api_new_idempotency_key ();
  pledge_request (self, "POST", pledge_id, "/cancel", NULL, key, cancellable, callback, user_data,
                  cs_api_client_cancel_pledge_async);
}

CsPledge *
cs_api_client_cancel_pledge_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_api_client_list_user_pledges_async (CsApiClient *self, const char *user_id, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
  PledgesState *state;
  GTask *task;

  g_return_if_fail (CS_IS_API_CLIENT (self));
  g_return_if_fail (user_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_api_client_list_user_pledges_async);
  state = g_new0 (PledgesState, 1);
  state->user_id = g_strdup (user_id);
  state->pledges = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_pledge_free);
  g_task_set_task_data (task, state, (GDestroyNotify) pledges_state_free);
  request_user_pledges_page (self, task, NULL);
}

GPtrArray *
cs_api_client_list_user_pledges_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Public API: sync */

void
cs_api_client_sync_async (CsApiClient *self, const char *since, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GString) path = g_string_new ("/api/v1/sync");

  g_return_if_fail (CS_IS_API_CLIENT (self));

  append_query (path, "since", since);
  api_request (self, "GET", path->str, NULL, CS_API_CALL_AUTH_OPTIONAL, NULL, parse_sync_page,
               (GDestroyNotify) cs_api_sync_page_free, cancellable, callback, user_data, cs_api_client_sync_async);
}

CsApiSyncPage *
cs_api_client_sync_finish (CsApiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
