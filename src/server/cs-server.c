/* cs-server.c: threads, sockets and the request pipeline.
 *
 * Threading model (architecture.md "Threads"): N event-loop threads, each with
 * its own GMainContext, its own SoupServer and its own store connection,
 * accept on one port through SO_REUSEPORT sockets, so the kernel spreads
 * connections over the cores and no lock is shared on the hot path.  Cheap
 * reads (one short indexed statement: a campaign, a list page, a session
 * lookup) run inline on the loop.  Routes flagged CS_ROUTE_OFFLOAD (every
 * write transaction, which may wait on the database's write lock, and argon2id
 * hashing, which costs ~70 ms of CPU) pause their message and run on a worker
 * pool whose threads borrow connections from a small pool; the response is
 * applied back on the message's own loop.  Handlers only see CsRequest and
 * CsResponse, so where they run is a property of the route, not of its code.
 */
#define _GNU_SOURCE 1   /* POLLRDHUP */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <poll.h>
#include <glib-unix.h>

#include <libsoup/soup.h>

#include "cs-server.h"
#include "cs-routes.h"
#include "cs-auth-service.h"
#include "cs-response-cache.h"
#include "cs-gateway.h"
#include "cs-jobs.h"
#include "cs-live.h"

typedef struct _LoopThread LoopThread;

struct _LoopThread {
  CsServer     *server;
  guint         index;
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *soup;
  GSocket      *listener;
  CsStoreConn  *conn;
  CsResponseCache *cache;
  GHashTable   *watches;     /* GSocket* → ConnWatch*: see "idle connections" below */
  CsLiveLoop   *live;        /* this loop's WebSocket subscribers */
  guint64       seq;
  GError       *start_error;
};

struct _CsServer {
  CsServerContext  ctx;
  LoopThread      *loops;
  guint            n_loops;
  GThreadPool     *pool;
  GAsyncQueue     *idle_conns;     /* CsStoreConn* borrowed by workers */
  gboolean         inline_reads;   /* cs_store_is_inline(): cheap reads may run on the loops */
  char            *url;
  guint            port;
  char             instance[9];

  GMutex           lock;
  GCond            cond;
  guint            n_ready;
  gint             in_flight;
  gboolean         draining;
  gboolean         started;
  gboolean         stopped;
  guint            trending_source;
};

typedef struct {
  LoopThread        *lt;
  SoupServerMessage *msg;
  CsRequest          req;
  CsResponse         resp;
  gint64             t0;
} Work;

gint64
cs_server_context_now (CsServerContext *ctx)
{
  return g_get_real_time () / G_USEC_PER_SEC + __atomic_load_n (&ctx->clock_offset, __ATOMIC_RELAXED);
}

/* ---- connections for workers -------------------------------------------- */

static CsStoreConn *
borrow_conn (CsServer *server, GError **error)
{
  CsStoreConn *conn = g_async_queue_try_pop (server->idle_conns);

  if (conn != NULL)
    return conn;
  return cs_store_connect (server->ctx.store, error);
}

static void
return_conn (CsServer *server, CsStoreConn *conn)
{
  /* A connection the database dropped (a restart, a failover) is not
   * kept: the next borrower opens a fresh one. */
  if (!cs_store_conn_is_usable (conn))
    {
      cs_store_conn_free (conn);
      return;
    }
  g_async_queue_push (server->idle_conns, conn);
}

/* ---- the pipeline --------------------------------------------------------- */

static gboolean
authenticate (CsRequest *req, CsResponse *resp)
{
  CsRouteFlags flags = req->route->flags;
  gboolean required = (flags & (CS_ROUTE_AUTH | CS_ROUTE_STAFF | CS_ROUTE_ADMIN)) != 0;
  g_autoptr(GError) error = NULL;
  CsSessionInfo info = { 0 };
  const char *token;

  if (!required && !(flags & CS_ROUTE_AUTH_OPTIONAL))
    return TRUE;

  if (req->authorization == NULL)
    {
      if (!required)
        return TRUE;
      cs_response_problem (resp, req, CS_ERROR_UNAUTHORIZED, "Sign in to do this: the request has no bearer token.");
      return FALSE;
    }
  if (g_ascii_strncasecmp (req->authorization, "Bearer ", 7) != 0)
    {
      cs_response_problem (resp, req, CS_ERROR_UNAUTHORIZED, "The Authorization header must be “Bearer <token>”.");
      return FALSE;
    }
  token = req->authorization + 7;
  while (*token == ' ')
    token++;

  if (!cs_auth_authenticate (req->conn, token, req->now, &info, &error))
    {
      cs_response_set_error (resp, req, error);
      return FALSE;
    }

  req->principal.authenticated = TRUE;
  g_strlcpy (req->principal.user_id, info.user_id, sizeof req->principal.user_id);
  g_strlcpy (req->principal.session_id, info.session_id, sizeof req->principal.session_id);
  req->principal.role = info.role;
  cs_session_info_clear (&info);

  if ((flags & CS_ROUTE_ADMIN) && req->principal.role != CS_ROLE_ADMIN)
    {
      cs_response_problem (resp, req, CS_ERROR_FORBIDDEN, "Only administrators may do this.");
      return FALSE;
    }
  if ((flags & CS_ROUTE_STAFF) && !cs_role_is_staff (req->principal.role))
    {
      cs_response_problem (resp, req, CS_ERROR_FORBIDDEN, "Only moderators and administrators may do this.");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_json_body (CsRequest *req, CsResponse *resp)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (req->body, &len);

  if (len > 0 && req->content_type != NULL &&
      strcmp (req->content_type, "application/json") != 0 &&
      !g_str_has_suffix (req->content_type, "+json"))
    {
      cs_response_problem (resp, req, CS_ERROR_UNSUPPORTED, "Send the request body as application/json.");
      return FALSE;
    }
  req->json = cs_json_parse_object (data, len, &error);
  if (req->json == NULL)
    {
      cs_response_set_error (resp, req, error);
      return FALSE;
    }
  return TRUE;
}

static void
run_pipeline (CsRequest *req, CsResponse *resp)
{
  if (!authenticate (req, resp))
    return;
  if ((req->route->flags & CS_ROUTE_JSON) && !parse_json_body (req, resp))
    return;
  req->route->handler (req, resp);
  if (resp->status == 0)
    {
      g_autoptr(GError) error = g_error_new_literal (CS_ERROR, CS_ERROR_INTERNAL, "handler set no response");

      cs_response_set_error (resp, req, error);
    }
}

/* ---- applying a response on the loop thread ------------------------------ */

static void
apply_response (LoopThread *lt, SoupServerMessage *msg, CsRequest *req, CsResponse *resp, gint64 t0)
{
  CsServer *server = lt->server;
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  gsize len = 0;
  gint64 elapsed;

  soup_server_message_set_status (msg, resp->status, NULL);
  soup_message_headers_replace (hdrs, "X-Request-Id", req->request_id);
  if (resp->headers != NULL)
    for (guint i = 0; i + 1 < resp->headers->len; i += 2)
      soup_message_headers_append (hdrs, resp->headers->pdata[i], resp->headers->pdata[i + 1]);
  if (resp->body != NULL)
    {
      len = g_bytes_get_size (resp->body);
      if (resp->content_type != NULL)
        soup_message_headers_set_content_type (hdrs, resp->content_type, NULL);
      soup_message_body_append_bytes (soup_server_message_get_response_body (msg), resp->body);
    }
  if (g_atomic_int_get (&server->draining))
    soup_message_headers_replace (hdrs, "Connection", "close");

  elapsed = g_get_monotonic_time () - t0;
  cs_metrics_observe (server->ctx.metrics, req->route, req->method, resp->status, elapsed);

  if (server->ctx.config->access_log)
    fprintf (stderr, "%s %s %s %u %" G_GSIZE_FORMAT " %" G_GINT64_FORMAT "us %s %s\n",
             req->remote_addr != NULL ? req->remote_addr : "-",
             cs_http_method_to_string (req->method), req->path, resp->status, len, elapsed,
             req->request_id,
             req->principal.authenticated ? req->principal.user_id : "-");
}

static void
request_done (CsServer *server)
{
  /* Only a stopping server waits for the count to reach zero. */
  if (g_atomic_int_dec_and_test (&server->in_flight) && g_atomic_int_get (&server->draining))
    {
      g_mutex_lock (&server->lock);
      g_cond_broadcast (&server->cond);
      g_mutex_unlock (&server->lock);
    }
}

static gboolean
finish_offloaded_cb (gpointer data)
{
  Work *work = data;
  CsServer *server = work->lt->server;

  apply_response (work->lt, work->msg, &work->req, &work->resp, work->t0);
  soup_server_message_unpause (work->msg);
  g_object_unref (work->msg);
  cs_request_clear (&work->req);
  cs_response_clear (&work->resp);
  g_free (work);
  request_done (server);
  return G_SOURCE_REMOVE;
}

/* Each worker thread keeps its own response cache (like each loop): on
 * PostgreSQL, where the campaign GET runs on the workers, the public page of
 * a campaign then costs one version read, not a full load.  GLib may hand
 * an idle pool thread to another pool (another server in the same process,
 * on another database): the cache is only used by the server that made it. */
typedef struct {
  char             instance[sizeof ((CsServer *) NULL)->instance];
  CsResponseCache *cache;
} WorkerCache;

static void
worker_cache_free (WorkerCache *wc)
{
  cs_response_cache_free (wc->cache);
  g_free (wc);
}

static GPrivate worker_cache = G_PRIVATE_INIT ((GDestroyNotify) worker_cache_free);

static CsResponseCache *
this_worker_cache (CsServer *server)
{
  WorkerCache *wc = g_private_get (&worker_cache);

  if (wc == NULL || strcmp (wc->instance, server->instance) != 0)
    {
      wc = g_new0 (WorkerCache, 1);
      g_strlcpy (wc->instance, server->instance, sizeof wc->instance);
      wc->cache = cs_response_cache_new (4096);
      g_private_replace (&worker_cache, wc);
    }
  return wc->cache;
}

static void
worker_func (gpointer data, gpointer user_data)
{
  Work *work = data;
  CsServer *server = user_data;
  g_autoptr(GError) error = NULL;
  CsStoreConn *conn = borrow_conn (server, &error);

  if (conn == NULL)
    cs_response_set_error (&work->resp, &work->req, error);
  else
    {
      work->req.conn = conn;
      if (work->req.method == CS_HTTP_GET || work->req.method == CS_HTTP_HEAD)
        work->req.cache = this_worker_cache (server);
      run_pipeline (&work->req, &work->resp);
      work->req.conn = NULL;
      work->req.cache = NULL;
      return_conn (server, conn);
    }
  g_main_context_invoke (work->lt->context, finish_offloaded_cb, work);
}

/* ---- idle connections closed by the client ---------------------------------
 *
 * libsoup 3.2.x (Debian 12) never notices when a client closes a keep-alive
 * connection between two requests: the read of the next request ends before
 * it has "started", nobody is told, and the connection keeps its file
 * descriptor forever (fixed upstream after 3.2, GNOME/libsoup d20c6601).  A
 * server that browsers and load balancers reconnect to would run out of
 * descriptors.  So each loop watches its connections for the peer's hang-up
 * (POLLRDHUP) and closes an idle one's socket itself; libsoup then sees the
 * closed socket and lets the connection go.
 *
 * The same libsoup also keeps one reference too many on every accepted
 * GSocket (soup-listener.c: g_socket_accept()'s reference is never
 * dropped), so every connection would leak its socket object; on 3.2.x we
 * drop that reference when we first see the connection.
 */

typedef struct {
  LoopThread *lt;
  GSocket    *socket;     /* weak */
  GSource    *source;
  gboolean    busy;       /* a request is in progress on it */
  gboolean    hung_up;    /* the client closed its side */
} ConnWatch;

static void conn_watch_socket_gone_cb (gpointer data, GObject *where_the_socket_was);

static void
conn_watch_free (ConnWatch *watch)
{
  if (watch->source != NULL)
    {
      g_source_destroy (watch->source);
      g_source_unref (watch->source);
    }
  if (watch->socket != NULL)
    g_object_weak_unref (G_OBJECT (watch->socket), conn_watch_socket_gone_cb, watch);
  g_free (watch);
}

static void
conn_watch_socket_gone_cb (gpointer data, GObject *where_the_socket_was)
{
  ConnWatch *watch = data;

  watch->socket = NULL;
  g_hash_table_remove (watch->lt->watches, where_the_socket_was);
}

static void
conn_watch_close (ConnWatch *watch)
{
  LoopThread *lt = watch->lt;
  GSocket *socket = watch->socket;

  if (socket != NULL && !g_socket_is_closed (socket))
    g_socket_close (socket, NULL);
  g_hash_table_remove (lt->watches, socket);
}

static gboolean
conn_watch_ready_cb (int fd, GIOCondition condition, gpointer data)
{
  ConnWatch *watch = data;

  /* The descriptor may already belong to another socket: trust ours only. */
  if (watch->socket == NULL || g_socket_is_closed (watch->socket))
    {
      g_clear_pointer (&watch->source, g_source_unref);
      g_hash_table_remove (watch->lt->watches, watch->socket);
      return G_SOURCE_REMOVE;
    }
  watch->hung_up = TRUE;
  g_clear_pointer (&watch->source, g_source_unref);
  if (!watch->busy)
    conn_watch_close (watch);
  return G_SOURCE_REMOVE;
}

static void
request_started_cb (SoupServer *soup, SoupServerMessage *msg, gpointer data)
{
  LoopThread *lt = data;
  GSocket *socket = soup_server_message_get_socket (msg);
  ConnWatch *watch;

  if (socket == NULL)
    return;
  watch = g_hash_table_lookup (lt->watches, socket);
  if (watch == NULL)
    {
      if (soup_get_major_version () == 3 && soup_get_minor_version () == 2)
        g_object_unref (socket);   /* libsoup 3.2's extra reference, see above */

      watch = g_new0 (ConnWatch, 1);
      watch->lt = lt;
      watch->socket = socket;
      g_object_weak_ref (G_OBJECT (socket), conn_watch_socket_gone_cb, watch);
      watch->source = g_unix_fd_source_new (g_socket_get_fd (socket), (GIOCondition) POLLRDHUP);
      g_source_set_callback (watch->source, G_SOURCE_FUNC (conn_watch_ready_cb), watch, NULL);
      g_source_attach (watch->source, lt->context);
      g_hash_table_insert (lt->watches, socket, watch);
    }
  watch->busy = TRUE;
}

static gboolean
close_hung_up_cb (gpointer data)
{
  LoopThread *lt = data;
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GPtrArray) hung_up = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, lt->watches);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((ConnWatch *) value)->hung_up && !((ConnWatch *) value)->busy)
      g_ptr_array_add (hung_up, value);
  for (guint i = 0; i < hung_up->len; i++)
    conn_watch_close (g_ptr_array_index (hung_up, i));
  return G_SOURCE_REMOVE;
}

static void
request_ended_cb (SoupServer *soup, SoupServerMessage *msg, gpointer data)
{
  LoopThread *lt = data;
  GSocket *socket = soup_server_message_get_socket (msg);
  ConnWatch *watch = socket != NULL ? g_hash_table_lookup (lt->watches, socket) : NULL;

  if (watch == NULL)
    return;
  watch->busy = FALSE;
  /* Hung up while we answered: close once libsoup is done with the message. */
  if (watch->hung_up)
    {
      /* on this loop's own context (g_idle_add would use the global
       * default one: another thread, possibly after this server is gone) */
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, close_hung_up_cb, lt, NULL);
      g_source_attach (idle, lt->context);
      g_source_unref (idle);
    }
}

/* A WebSocket (cs-live.c) took the connection over: libsoup serves no more
 * HTTP on it, and its hang-up watch would only cost a poll slot per socket. */
static void
live_upgraded_cb (GSocket *socket, gpointer data)
{
  LoopThread *lt = data;

  g_hash_table_remove (lt->watches, socket);
}

/* ---- SoupServer handlers --------------------------------------------------- */

static gboolean
request_id_is_valid (const char *id)
{
  gsize n = 0;

  for (const char *p = id; *p; p++, n++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.') || n >= 36)
      return FALSE;
  return n > 0;
}

static char *
dup_header (SoupMessageHeaders *hdrs, const char *name)
{
  const char *value = soup_message_headers_get_one (hdrs, name);

  return value != NULL ? g_strdup (value) : NULL;
}

static void
early_handler_cb (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  LoopThread *lt = user_data;
  CsServer *server = lt->server;
  SoupMessageHeaders *hdrs = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (hdrs);
  gint64 limit = server->ctx.config->max_body_bytes;
  CsRequest probe = { 0 };
  CsHttpMethod method;
  gboolean path_matched;
  const CsRoute *route;

  if (length <= limit)
    return;
  if (cs_http_method_from_string (soup_server_message_get_method (msg), &method))
    {
      route = cs_router_match (server->ctx.router, method, path, &probe, &path_matched, NULL);
      if (route != NULL && (route->flags & CS_ROUTE_LARGE_BODY))
        limit = server->ctx.config->max_image_bytes;
      cs_request_clear (&probe);
    }
  if (length > limit)
    {
      g_autofree char *detail = g_strdup_printf ("The request body is larger than the limit of %" G_GINT64_FORMAT " bytes.", limit);
      CsResponse resp = { 0 };
      CsRequest req = { 0 };

      req.path = (char *) path;
      g_snprintf (req.request_id, sizeof req.request_id, "%s-%" G_GINT64_MODIFIER "x", server->instance, ++lt->seq);
      cs_response_problem (&resp, &req, CS_ERROR_TOO_LARGE, detail);
      soup_server_message_set_status (msg, 413, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      soup_server_message_set_response (msg, resp.content_type, SOUP_MEMORY_COPY,
                                        g_bytes_get_data (resp.body, NULL), g_bytes_get_size (resp.body));
      cs_metrics_observe (server->ctx.metrics, NULL, CS_HTTP_POST, 413, 0);
      cs_response_clear (&resp);
    }
}

static void
server_cb (SoupServer        *soup,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  LoopThread *lt = user_data;
  CsServer *server = lt->server;
  SoupMessageHeaders *hdrs = soup_server_message_get_request_headers (msg);
  CsRequest req = { 0 };
  CsResponse resp = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  const char *incoming_id = soup_message_headers_get_one (hdrs, "X-Request-Id");
  gboolean path_matched = FALSE;
  g_autoptr(GString) allow = NULL;
  gint64 max_len;

  if (soup_server_message_get_status (msg) != 0)
    return;   /* answered by the early handler */

  req.ctx = &server->ctx;
  req.path = g_strdup (path);
  req.now = cs_server_context_now (&server->ctx);
  if (incoming_id != NULL && request_id_is_valid (incoming_id))
    g_strlcpy (req.request_id, incoming_id, sizeof req.request_id);
  else
    g_snprintf (req.request_id, sizeof req.request_id, "%s-%u-%" G_GINT64_MODIFIER "x",
                server->instance, lt->index, ++lt->seq);
  if (server->ctx.config->access_log)
    req.remote_addr = g_strdup (soup_server_message_get_remote_host (msg));
  g_atomic_int_inc (&server->in_flight);

  if (g_atomic_int_get (&server->draining))
    {
      cs_response_problem (&resp, &req, CS_ERROR_UNAVAILABLE, "The server is shutting down. Please retry.");
      goto respond;
    }

  if (!cs_http_method_from_string (soup_server_message_get_method (msg), &req.method))
    {
      req.method = CS_HTTP_OPTIONS;
      cs_response_problem_status (&resp, &req, 405, "method-not-allowed", "Unknown HTTP method.");
      goto respond;
    }

  req.route = cs_router_match (server->ctx.router, req.method, path, &req, &path_matched, NULL);
  if (req.route == NULL)
    {
      if (path_matched)
        {
          allow = g_string_new (NULL);
          cs_router_match (server->ctx.router, req.method, path, &req, &path_matched, allow);
        }
      if (path_matched)
        {
          cs_response_problem_status (&resp, &req, 405, "method-not-allowed",
                                      "This resource does not support that method.");
          cs_response_add_header (&resp, "Allow", allow->str);
        }
      else
        cs_response_problem (&resp, &req, CS_ERROR_NOT_FOUND, "There is nothing at this address.");
      goto respond;
    }

  req.body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  max_len = (req.route->flags & CS_ROUTE_LARGE_BODY) ? server->ctx.config->max_image_bytes
                                                     : server->ctx.config->max_body_bytes;
  if ((gint64) g_bytes_get_size (req.body) > max_len)
    {
      g_autofree char *detail = g_strdup_printf ("The request body is larger than the limit of %" G_GINT64_FORMAT " bytes.", max_len);

      cs_response_problem (&resp, &req, CS_ERROR_TOO_LARGE, detail);
      goto respond;
    }

  if (query != NULL)
    req.query = g_hash_table_ref (query);
  /* Copy what the route can use (a worker thread may read them later). */
  if (req.route->flags & (CS_ROUTE_AUTH | CS_ROUTE_AUTH_OPTIONAL | CS_ROUTE_STAFF | CS_ROUTE_ADMIN))
    req.authorization = dup_header (hdrs, "Authorization");
  if (req.method == CS_HTTP_GET || req.method == CS_HTTP_HEAD)
    req.if_none_match = dup_header (hdrs, "If-None-Match");
  else
    {
      const char *ct = soup_message_headers_get_content_type (hdrs, NULL);

      req.content_type = ct != NULL ? g_ascii_strdown (ct, -1) : NULL;
      req.idempotency_key = dup_header (hdrs, "Idempotency-Key");
      req.webhook_signature = dup_header (hdrs, "CrowdSpark-Signature");
    }
  if (req.remote_addr == NULL && ((req.route->flags & CS_ROUTE_OFFLOAD) || !server->inline_reads))
    req.remote_addr = g_strdup (soup_server_message_get_remote_host (msg));


  /* On PostgreSQL every store call is a network round trip: nothing that
   * touches the store runs on the loop (cs_store_is_inline()). */
  if (!server->inline_reads || (req.route->flags & CS_ROUTE_OFFLOAD) ||
      ((req.route->flags & CS_ROUTE_OFFLOAD_SEARCH) && req.query != NULL && g_hash_table_contains (req.query, "q")))
    {
      Work *work = g_new0 (Work, 1);

      work->lt = lt;
      work->msg = g_object_ref (msg);
      work->req = req;          /* moves ownership of every field */
      work->t0 = t0;
      soup_server_message_pause (msg);
      g_thread_pool_push (server->pool, work, NULL);
      return;
    }

  req.conn = lt->conn;
  req.cache = lt->cache;
  run_pipeline (&req, &resp);
  req.conn = NULL;

respond:
  apply_response (lt, msg, &req, &resp, t0);
  cs_request_clear (&req);
  cs_response_clear (&resp);
  request_done (server);
}

/* ---- threads and sockets ----------------------------------------------------- */

static GSocket *
make_listener (const char *host, guint port, guint *bound_port, GError **error)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) saddr = NULL;
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  int one = 1;
  int fd;
  GSocket *sock;

  if (addr == NULL)
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();
      g_autolist(GInetAddress) addrs = g_resolver_lookup_by_name (resolver, host, NULL, error);

      if (addrs == NULL)
        return NULL;
      addr = g_object_ref (addrs->data);
    }
  saddr = g_inet_socket_address_new (addr, port);
  if (!g_socket_address_to_native (saddr, &ss, sizeof ss, error))
    return NULL;

  fd = socket (ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "socket: %s", g_strerror (errno));
      return NULL;
    }
  /* g_socket_bind() would clear SO_REUSEPORT (toolchain.md, trap 6): bind here. */
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &ss, g_socket_address_get_native_size (saddr)) < 0)
    {
      int saved = errno;

      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot listen on %s:%u: %s",
                   host, port, g_strerror (saved));
      return NULL;
    }
  if (getsockname (fd, (struct sockaddr *) &ss, &sslen) == 0)
    *bound_port = ntohs (ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                                  : ((struct sockaddr_in *) &ss)->sin_port);
  sock = g_socket_new_from_fd (fd, error);
  if (sock == NULL)
    {
      close (fd);
      return NULL;
    }
  g_socket_set_listen_backlog (sock, 1024);
  if (!g_socket_listen (sock, error))
    {
      g_object_unref (sock);
      return NULL;
    }
  return sock;
}

static gpointer
loop_thread_main (gpointer data)
{
  LoopThread *lt = data;
  CsServer *server = lt->server;
  const CsServerConfig *config = server->ctx.config;
  g_autoptr(GTlsCertificate) cert = NULL;
  GError *error = NULL;
  SoupServerListenOptions options = 0;

  g_main_context_push_thread_default (lt->context);

  /* A loop's own connection serves the reads it runs inline; on
   * PostgreSQL it runs none (cs_store_is_inline()). */
  if (server->inline_reads)
    lt->conn = cs_store_connect (server->ctx.store, &error);
  lt->cache = cs_response_cache_new (4096);
  lt->watches = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) conn_watch_free);
  if (error == NULL && config->tls_cert != NULL)
    {
      cert = g_tls_certificate_new_from_files (config->tls_cert, config->tls_key, &error);
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }
  if (error == NULL)
    {
      lt->soup = soup_server_new ("server-header", "crowdspark/" PACKAGE_VERSION " ",
                                  "tls-certificate", cert,
                                  NULL);
      soup_server_add_early_handler (lt->soup, NULL, early_handler_cb, lt, NULL);
      g_signal_connect (lt->soup, "request-started", G_CALLBACK (request_started_cb), lt);
      g_signal_connect (lt->soup, "request-finished", G_CALLBACK (request_ended_cb), lt);
      g_signal_connect (lt->soup, "request-aborted", G_CALLBACK (request_ended_cb), lt);
      soup_server_add_handler (lt->soup, NULL, server_cb, lt, NULL);
      lt->live = cs_live_attach_loop (server->ctx.live, lt->soup, &server->ctx, lt->conn, live_upgraded_cb, lt);
      soup_server_listen_socket (lt->soup, lt->listener, options, &error);
    }

  g_mutex_lock (&server->lock);
  lt->start_error = error;
  server->n_ready++;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);

  if (error == NULL)
    g_main_loop_run (lt->loop);
  g_clear_pointer (&lt->live, cs_live_detach_loop);   /* if disconnect_cb did not */

  /* Let the closed connections finish their business, then free them. */
  while (g_main_context_iteration (lt->context, FALSE))
    ;
  g_clear_pointer (&lt->watches, g_hash_table_unref);
  g_clear_object (&lt->soup);
  while (g_main_context_iteration (lt->context, FALSE))
    ;
  g_clear_pointer (&lt->conn, cs_store_conn_free);
  g_clear_pointer (&lt->cache, cs_response_cache_free);
  g_main_context_pop_thread_default (lt->context);
  return NULL;
}

static void
refresh_trending_job (CsServer *server)
{
  g_autoptr(GError) error = NULL;
  CsStoreConn *conn = borrow_conn (server, &error);

  if (conn != NULL)
    {
      gint64 now = cs_server_context_now (&server->ctx);

      if (!cs_store_refresh_trending (conn, now, &error))
        g_warning ("Refreshing trending scores failed: %s", error->message);
      else if (!cs_store_purge_expired (conn, now, &error))
        g_warning ("Purging expired sessions and rate limits failed: %s", error->message);
      return_conn (server, conn);
    }
  else
    g_warning ("Refreshing trending scores failed: %s", error->message);
}

/* Pushed on the pool in place of a Work to ask for a trending refresh. */
static char trending_job_tag;

static void
pool_func (gpointer data, gpointer user_data)
{
  if (data == &trending_job_tag)
    refresh_trending_job (user_data);
  else
    worker_func (data, user_data);
}

static gboolean
trending_timeout_cb (gpointer data)
{
  CsServer *server = data;

  g_thread_pool_push (server->pool, &trending_job_tag, NULL);
  return G_SOURCE_CONTINUE;
}

/* ---- the money path's background work ------------------------------------- */

static gint64
jobs_now_cb (gpointer data)
{
  return cs_server_context_now (data);
}

/* Requests in progress above which background payment work waits a moment. */
#define JOBS_YIELD_ABOVE 12

static guint
jobs_load_cb (gpointer data)
{
  CsServer *server = data;

  return (guint) MAX (g_atomic_int_get (&server->in_flight), 0);
}

static void
jobs_progress_cb (const CsCampaignProgress *progress, gpointer data)
{
  CsServerContext *ctx = data;

  if (ctx->live != NULL)
    cs_live_publish_progress (ctx->live, progress);
}

/* The gateway (sandbox mode only: no real processor is built in), the
 * webhook secret, and the test clock's offset, which lives in the database
 * so that a restart keeps the time. */
/* The sandbox clock lives in the database, so that every instance on it
 * shares one test time: each picks up a change another made at its next
 * jobs poll (within a second), before it settles anything. */
static void
jobs_tick_cb (CsStoreConn *conn, gpointer data)
{
  CsServerContext *ctx = data;
  g_autoptr(GError) error = NULL;
  gint64 offset = 0;

  if (cs_store_setting_get_int (conn, "sandbox.clock_offset", 0, &offset, &error))
    __atomic_store_n (&ctx->clock_offset, offset, __ATOMIC_RELAXED);
  else
    g_debug ("Reading the sandbox clock failed: %s", error->message);
}

static gboolean
setup_payments (CsServer *server, GError **error)
{
  CsServerContext *ctx = &server->ctx;
  g_autoptr(CsStoreConn) conn = NULL;
  gint64 offset = 0;

  if (ctx->config->webhook_secret != NULL)
    ctx->webhook_secret = g_strdup (ctx->config->webhook_secret);
  else
    {
      guint8 key[32];

      cs_random_bytes (key, sizeof key);
      ctx->webhook_secret = cs_base64url_encode (key, sizeof key);
    }
  if (!ctx->config->sandbox)
    return TRUE;
  ctx->gateway = cs_gateway_new_sandbox (ctx->store);
  conn = cs_store_connect (ctx->store, error);
  if (conn == NULL || !cs_store_setting_get_int (conn, "sandbox.clock_offset", 0, &offset, error))
    return FALSE;
  __atomic_store_n (&ctx->clock_offset, offset, __ATOMIC_RELAXED);
  return TRUE;
}

CsServer *
cs_server_new (CsServerConfig *config, GError **error)
{
  g_autoptr(CsServer) server = g_new0 (CsServer, 1);
  guint8 rnd[4];

  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->idle_conns = g_async_queue_new ();
  cs_random_bytes (rnd, sizeof rnd);
  g_snprintf (server->instance, sizeof server->instance, "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);

  server->ctx.config = config;
  server->ctx.started_at = g_get_real_time () / G_USEC_PER_SEC;
  server->ctx.store = cs_store_open (config->database_url, error);
  if (server->ctx.store == NULL)
    return NULL;
  server->inline_reads = cs_store_is_inline (server->ctx.store);
  server->ctx.router = cs_router_new ();
  cs_routes_register (server->ctx.router);
  server->ctx.metrics = cs_metrics_new (server->ctx.router);
  server->ctx.live = cs_live_new ();
  cs_metrics_add_gauge (server->ctx.metrics, "crowdspark_live_connections", "Open WebSockets of GET /api/v1/live.",
                        (CsMetricsGaugeFunc) cs_live_n_connections, server->ctx.live);
  /* Live events between instances: the link runs on its own thread and is
   * freed with the hub (cs_live_free ()), after every publisher stopped. */
  if (config->redis_url != NULL)
    {
      if (!cs_live_use_redis (server->ctx.live, config->redis_url, error))
        return NULL;
      cs_metrics_add_gauge (server->ctx.metrics, "crowdspark_redis_connected",
                            "1 while the Redis link that carries live events between instances is up.",
                            (CsMetricsGaugeFunc) cs_live_redis_connected, server->ctx.live);
    }
  if (!setup_payments (server, error))
    return NULL;
  return g_steal_pointer (&server);
}

gboolean
cs_server_start (CsServer *server, GError **error)
{
  const CsServerConfig *config = server->ctx.config;
  guint n_cpus = g_get_num_processors ();
  guint port = config->listen_port;
  gboolean ipv6;

  g_return_val_if_fail (!server->started, FALSE);

  if (config->media_dir != NULL && g_mkdir_with_parents (config->media_dir, 0750) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create the media folder %s: %s", config->media_dir, g_strerror (errno));
      return FALSE;
    }

  server->n_loops = config->threads > 0 ? config->threads : n_cpus;
  server->pool = g_thread_pool_new (pool_func, server,
                                    config->workers > 0 ? (int) config->workers : (int) (2 * n_cpus),
                                    FALSE, error);
  if (server->pool == NULL)
    return FALSE;

  server->loops = g_new0 (LoopThread, server->n_loops);
  for (guint i = 0; i < server->n_loops; i++)
    {
      LoopThread *lt = &server->loops[i];
      guint bound = port;

      lt->server = server;
      lt->index = i;
      lt->listener = make_listener (config->listen_host, port, &bound, error);
      if (lt->listener == NULL)
        {
          server->n_loops = i;
          return FALSE;
        }
      port = bound;   /* the first socket picks the port when asked for 0 */
      lt->context = g_main_context_new ();
      lt->loop = g_main_loop_new (lt->context, FALSE);
    }
  server->port = port;

  for (guint i = 0; i < server->n_loops; i++)
    server->loops[i].thread = g_thread_new ("cs-http", loop_thread_main, &server->loops[i]);

  g_mutex_lock (&server->lock);
  while (server->n_ready < server->n_loops)
    g_cond_wait (&server->cond, &server->lock);
  g_mutex_unlock (&server->lock);
  server->started = TRUE;

  for (guint i = 0; i < server->n_loops; i++)
    if (server->loops[i].start_error != NULL)
      {
        g_propagate_error (error, g_steal_pointer (&server->loops[i].start_error));
        return FALSE;
      }

  ipv6 = strchr (config->listen_host, ':') != NULL;
  server->url = g_strdup_printf ("%s://%s%s%s:%u",
                                 config->tls_cert != NULL ? "https" : "http",
                                 ipv6 ? "[" : "", config->listen_host, ipv6 ? "]" : "", port);

  /* Payment jobs, webhook deliveries and settlement run on their own thread. */
  if (server->ctx.gateway != NULL)
    {
      server->ctx.jobs = cs_jobs_new (server->ctx.store, server->ctx.gateway,
                                      config->webhook_url != NULL ? config->webhook_url : server->url,
                                      server->ctx.webhook_secret, jobs_now_cb, &server->ctx,
                                      jobs_progress_cb, &server->ctx);
      /* the job thread's own webhook deliveries are a few requests at a time */
      cs_jobs_set_load_probe (server->ctx.jobs, jobs_load_cb, server, JOBS_YIELD_ABOVE);
      if (config->sandbox)
        cs_jobs_set_tick_func (server->ctx.jobs, jobs_tick_cb, &server->ctx);
      if (!cs_jobs_start (server->ctx.jobs, error))
        return FALSE;
    }

  /* Trending scores and housekeeping: now, then every ten minutes, on the worker pool. */
  g_thread_pool_push (server->pool, &trending_job_tag, NULL);
  {
    GSource *source = g_timeout_source_new_seconds (600);

    g_source_set_callback (source, trending_timeout_cb, server, NULL);
    server->trending_source = g_source_attach (source, server->loops[0].context);
    g_source_unref (source);
  }
  return TRUE;
}

const char *
cs_server_get_url (CsServer *server)
{
  return server->url;
}

guint
cs_server_get_port (CsServer *server)
{
  return server->port;
}

CsServerContext *
cs_server_get_context (CsServer *server)
{
  return &server->ctx;
}

static gboolean
disconnect_cb (gpointer data)
{
  LoopThread *lt = data;

  /* Closes the listening socket and every client connection (libsoup 3),
   * then lets the thread wind down.  WebSockets first, with 1001. */
  g_clear_pointer (&lt->live, cs_live_detach_loop);
  if (lt->soup != NULL)
    soup_server_disconnect (lt->soup);
  g_main_loop_quit (lt->loop);
  return G_SOURCE_REMOVE;
}

void
cs_server_stop (CsServer *server, guint grace_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) grace_ms * 1000;

  if (!server->started || server->stopped)
    return;
  server->stopped = TRUE;

  /* The job thread first: it calls the gateway and posts webhooks to us. */
  if (server->ctx.jobs != NULL)
    cs_jobs_stop (server->ctx.jobs);

  g_atomic_int_set (&server->draining, TRUE);

  if (server->trending_source != 0)
    {
      GSource *source = g_main_context_find_source_by_id (server->loops[0].context, server->trending_source);

      if (source != NULL)
        g_source_destroy (source);
    }

  /* In-flight requests finish; new ones are told to retry elsewhere (503,
   * Connection: close) while we wait. */
  g_mutex_lock (&server->lock);
  while (g_atomic_int_get (&server->in_flight) > 0)
    if (!g_cond_wait_until (&server->cond, &server->lock, deadline))
      {
        g_warning ("Stopping with %d requests still in progress", g_atomic_int_get (&server->in_flight));
        break;
      }
  g_mutex_unlock (&server->lock);

  /* Queued jobs finish while the loops can still take their answers. */
  g_thread_pool_free (server->pool, FALSE, TRUE);
  server->pool = NULL;

  for (guint i = 0; i < server->n_loops; i++)
    g_main_context_invoke (server->loops[i].context, disconnect_cb, &server->loops[i]);
  for (guint i = 0; i < server->n_loops; i++)
    g_clear_pointer (&server->loops[i].thread, g_thread_join);
}

void
cs_server_free (CsServer *server)
{
  CsStoreConn *conn;

  if (server == NULL)
    return;
  cs_server_stop (server, 5000);
  if (server->pool != NULL)
    g_thread_pool_free (server->pool, FALSE, TRUE);
  for (guint i = 0; i < server->n_loops; i++)
    {
      LoopThread *lt = &server->loops[i];

      g_clear_pointer (&lt->thread, g_thread_join);
      g_clear_object (&lt->listener);
      g_clear_pointer (&lt->loop, g_main_loop_unref);
      g_clear_pointer (&lt->context, g_main_context_unref);
      g_clear_error (&lt->start_error);
    }
  g_free (server->loops);
  while ((conn = g_async_queue_try_pop (server->idle_conns)) != NULL)
    cs_store_conn_free (conn);
  g_async_queue_unref (server->idle_conns);
  g_clear_pointer (&server->ctx.jobs, cs_jobs_free);
  g_clear_pointer (&server->ctx.gateway, cs_gateway_free);
  if (server->ctx.webhook_secret != NULL)
    memset (server->ctx.webhook_secret, 0, strlen (server->ctx.webhook_secret));
  g_free (server->ctx.webhook_secret);
  cs_metrics_free (server->ctx.metrics);
  cs_live_free (server->ctx.live);
  cs_router_free (server->ctx.router);
  cs_store_free (server->ctx.store);
  g_free (server->url);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  g_free (server);
}
