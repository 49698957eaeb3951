/* cs-http.h: what a route handler sees.  A handler turns a CsRequest into a
 * CsResponse and never touches libsoup objects, so it can run on the event
 * loop or on a worker thread alike (cs-server.c decides per route). */
#pragma once

#include <glib.h>
#include "crowdspark-core.h"
#include "cs-config.h"
#include "cs-store.h"

G_BEGIN_DECLS

typedef enum {
  CS_HTTP_GET,
  CS_HTTP_HEAD,
  CS_HTTP_POST,
  CS_HTTP_PUT,
  CS_HTTP_PATCH,
  CS_HTTP_DELETE,
  CS_HTTP_OPTIONS,
  CS_HTTP_N_METHODS
} CsHttpMethod;

const char *cs_http_method_to_string   (CsHttpMethod method);
gboolean    cs_http_method_from_string (const char *text, CsHttpMethod *out);

typedef struct _CsServerContext CsServerContext;
typedef struct _CsRoute         CsRoute;

/* Who is calling (set by the auth middleware when a valid bearer token came). */
typedef struct {
  gboolean authenticated;
  char     user_id[72];
  char     session_id[72];
  CsRole   role;
} CsPrincipal;

#define CS_MAX_PATH_PARAMS 4

typedef struct {
  CsHttpMethod      method;
  char             *path;                 /* decoded path */
  GHashTable       *query;                /* name → value, or NULL */
  const CsRoute    *route;
  const char       *param_names[CS_MAX_PATH_PARAMS];
  char             *param_values[CS_MAX_PATH_PARAMS];
  guint             n_params;
  /* the request headers we use, copied so that a worker thread may read them */
  char             *authorization;
  char             *content_type;         /* media type only, lower case, no parameters */
  char             *if_none_match;
  char             *idempotency_key;
  char             *webhook_signature;    /* CrowdSpark-Signature, on webhook routes */
  GBytes           *body;                 /* never NULL (maybe empty) */
  JsonNode         *json;                 /* the parsed body for CS_ROUTE_JSON routes */
  char             *remote_addr;
  char              request_id[40];
  gint64            now;                  /* the server's clock, unix seconds */
  CsPrincipal       principal;
  CsStoreConn      *conn;                 /* the executing thread's connection */
  CsServerContext  *ctx;
  struct _CsResponseCache *cache;         /* the loop thread's cache; NULL on workers */
} CsRequest;

typedef struct {
  guint       status;
  const char *content_type;  /* static string; NULL = none */
  GBytes     *body;          /* NULL = empty */
  GPtrArray  *headers;       /* name, value, name, value… (owned strings), or NULL */
} CsResponse;

void        cs_request_clear          (CsRequest *req);
void        cs_response_clear         (CsResponse *resp);

const char *cs_request_param          (const CsRequest *req, const char *name);
const char *cs_request_query          (const CsRequest *req, const char *name);
/* The JSON body as an object (only on CS_ROUTE_JSON routes). */
JsonObject *cs_request_json_object    (const CsRequest *req);
/* The principal's user id, or NULL when anonymous. */
const char *cs_request_user_id        (const CsRequest *req);
gboolean    cs_request_is_staff       (const CsRequest *req);
/* Parses ?limit= (default @def, 1..100, else CS_ERROR_INVALID field "limit"). */
gboolean    cs_request_limit          (const CsRequest *req, guint def, guint *out, GError **error);

void        cs_response_add_header    (CsResponse *resp, const char *name, const char *value);
void        cs_response_set_bytes     (CsResponse *resp, guint status, const char *content_type, GBytes *body);
/* Takes the writer: sets status and application/json body. */
void        cs_response_take_json     (CsResponse *resp, guint status, CsJsonWriter *w);
void        cs_response_no_content    (CsResponse *resp);
/* application/problem+json from a GError (CS_ERROR codes; anything else is a
 * 500 whose detail hides the internal message). */
void        cs_response_set_error     (CsResponse *resp, const CsRequest *req, const GError *error);
/* A problem from a status and detail. */
void        cs_response_problem       (CsResponse *resp, const CsRequest *req, CsErrorCode code,
                                       const char *detail);
/* A problem for a status that has no CS_ERROR code (405 Method Not Allowed). */
void        cs_response_problem_status (CsResponse *resp, const CsRequest *req, guint status,
                                        const char *slug, const char *detail);
/* For single resources: sets a strong ETag from the body's hash and, when
 * the request's If-None-Match matches, turns the response into 304. */
void        cs_response_apply_etag    (CsResponse *resp, const CsRequest *req);
/* The same with a known ETag (a quoted string). */
void        cs_response_set_etag      (CsResponse *resp, const CsRequest *req, const char *etag);
/* The strong ETag of @body: a quoted 64-bit hash. */
char       *cs_etag_for_bytes         (GBytes *body);

/* Writes a list envelope {"items": [...], "next_cursor": ...}: begin, write
 * each item with the writer, then end. */
void        cs_json_list_begin        (CsJsonWriter *w);
void        cs_json_list_end          (CsJsonWriter *w, const char *next_cursor);

G_END_DECLS
