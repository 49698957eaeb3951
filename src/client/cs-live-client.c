/* cs-live-client.c: the live WebSocket (GET /api/v1/live) on the API
 * client's SoupSession.
 *
 * One connection at a time.  Every (re)connect sends the bearer token the
 * API client has at that moment and then one subscribe with every watched
 * campaign.  A failed or lost connection is retried after a backoff of
 * 0.5 s doubling to 30 s; a success resets it.  A handshake refused with 401
 * asks the API client to refresh: its "tokens-changed" then reconnects (with
 * the new token, or without one when the refresh was refused). */
#include "config.h"

#include <string.h>

#include "cs-live-client.h"
#include "cs-client-error.h"

#define LIVE_PATH           "/api/v1/live"
#define BACKOFF_MIN_MS      500
#define BACKOFF_MAX_MS      30000

/* Types */

struct _CsLiveClient {
  GObject                  parent_instance;

  CsApiClient             *api;
  gulong                   tokens_changed_id;

  GHashTable              *watches;        /* campaign id → count (GUINT_TO_POINTER) */
  gboolean                 running;
  gboolean                 connected;
  SoupWebsocketConnection *conn;
  gulong                   message_id;
  gulong                   closed_id;
  GCancellable            *connecting;     /* the handshake in flight, or NULL */
  guint                    retry_id;
  guint                    backoff_ms;
};

typedef struct {
  CsLiveClient *self;
  SoupMessage  *msg;
} Handshake;

enum {
  PROP_0,
  PROP_CONNECTED,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

/* Prototypes */

static void connect_now (CsLiveClient *self);

G_DEFINE_FINAL_TYPE (CsLiveClient, cs_live_client, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Helpers */

static void
set_connected (CsLiveClient *self, gboolean connected)
{
  if (self->connected == connected)
    return;
  self->connected = connected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

/* Sends {"type": @type, "campaign_ids": [...]} when connected. */
static void
send_ids (CsLiveClient *self, const char *type, const char * const *ids, guint n_ids)
{
  g_autoptr(CsJsonWriter) w = NULL;
  g_autofree char *text = NULL;

  if (self->conn == NULL || n_ids == 0 ||
      soup_websocket_connection_get_state (self->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "type", type);
  cs_json_writer_key (w, "campaign_ids");
  cs_json_writer_begin_array (w);
  for (guint i = 0; i < n_ids; i++)
    cs_json_writer_string (w, ids[i]);
  cs_json_writer_end_array (w);
  cs_json_writer_end_object (w);
  text = cs_json_writer_free_to_string (g_steal_pointer (&w));
  soup_websocket_connection_send_text (self->conn, text);
}

static void
send_all_watches (CsLiveClient *self)
{
  g_autofree const char **ids = (const char **) g_hash_table_get_keys_as_array (self->watches, NULL);
  guint n = g_hash_table_size (self->watches);

  /* the server takes at most 100 ids per message */
  for (guint i = 0; i < n; i += 100)
    send_ids (self, "subscribe", ids + i, MIN (100, n - i));
}

static void
drop_connection (CsLiveClient *self)
{
  if (self->conn != NULL)
    {
      g_clear_signal_handler (&self->message_id, self->conn);
      g_clear_signal_handler (&self->closed_id, self->conn);
      if (soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->conn);
    }
  if (self->connecting != NULL)
    {
      g_cancellable_cancel (self->connecting);
      g_clear_object (&self->connecting);
    }
  g_clear_handle_id (&self->retry_id, g_source_remove);
  set_connected (self, FALSE);
}

static gboolean
retry_cb (gpointer user_data)
{
  CsLiveClient *self = user_data;

  self->retry_id = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (CsLiveClient *self)
{
  if (!self->running || self->retry_id != 0)
    return;
  self->retry_id = g_timeout_add (self->backoff_ms, retry_cb, self);
  self->backoff_ms = MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);
}

/* Callbacks */

static void
message_cb (SoupWebsocketConnection *conn, gint type, GBytes *message, CsLiveClient *self)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *obj;
  const char *event_type;
  gsize size;
  const char *data;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  data = g_bytes_get_data (message, &size);
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  obj = json_node_get_object (root);
  event_type = cs_json_get_string_or (obj, "type", NULL);
  if (event_type == NULL)
    return;
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event_type, obj);
}

static void
closed_cb (SoupWebsocketConnection *conn, CsLiveClient *self)
{
  g_clear_signal_handler (&self->message_id, self->conn);
  g_clear_signal_handler (&self->closed_id, self->conn);
  g_clear_object (&self->conn);
  set_connected (self, FALSE);
  schedule_retry (self);
}

static void
refreshed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* success or refusal: "tokens-changed" reconnects; anything else retries */
  g_autoptr(CsLiveClient) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cs_api_client_refresh_finish (CS_API_CLIENT (source), result, &error) &&
      !g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH))
    schedule_retry (self);
}

static void
connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Handshake *handshake = user_data;
  g_autoptr(CsLiveClient) self = handshake->self;
  g_autoptr(SoupMessage) msg = handshake->msg;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn;

  g_free (handshake);
  conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (conn == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->connecting);
      if (msg != NULL && soup_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED &&
          cs_api_client_has_refresh_token (self->api))
        cs_api_client_refresh_async (self->api, NULL, refreshed_cb, g_object_ref (self));
      else
        schedule_retry (self);
      return;
    }

  g_clear_object (&self->connecting);
  if (!self->running)
    {
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (conn);
      return;
    }
  self->conn = conn;
  self->message_id = g_signal_connect (conn, "message", G_CALLBACK (message_cb), self);
  self->closed_id = g_signal_connect (conn, "closed", G_CALLBACK (closed_cb), self);
  self->backoff_ms = BACKOFF_MIN_MS;
  set_connected (self, TRUE);
  send_all_watches (self);
}

static void
tokens_changed_cb (CsApiClient *api, const char *refresh_token, CsLiveClient *self)
{
  if (self->running)
    cs_live_client_reconnect (self);
}

/* Connects now, dropping any connection or handshake there is. */
static void
connect_now (CsLiveClient *self)
{
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  Handshake *handshake;
  SoupMessage *msg;

  drop_connection (self);
  if (!self->running)
    return;

  url = g_strconcat (cs_api_client_get_base_url (self->api), LIVE_PATH, NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL)
    return;
  token = cs_api_client_dup_access_token (self->api);
  if (token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", authorization);
    }
  self->connecting = g_cancellable_new ();
  handshake = g_new0 (Handshake, 1);
  handshake->self = g_object_ref (self);
  handshake->msg = msg;   /* the callback needs its status */
  soup_session_websocket_connect_async (cs_api_client_get_session (self->api), msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, self->connecting, connected_cb, handshake);
}

/* Overrides */

static void
cs_live_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsLiveClient *self = CS_LIVE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_live_client_dispose (GObject *object)
{
  CsLiveClient *self = CS_LIVE_CLIENT (object);

  self->running = FALSE;
  drop_connection (self);
  if (self->api != NULL)
    g_clear_signal_handler (&self->tokens_changed_id, self->api);
  g_clear_object (&self->api);

  G_OBJECT_CLASS (cs_live_client_parent_class)->dispose (object);
}

static void
cs_live_client_finalize (GObject *object)
{
  CsLiveClient *self = CS_LIVE_CLIENT (object);

  g_clear_pointer (&self->watches, g_hash_table_unref);

  G_OBJECT_CLASS (cs_live_client_parent_class)->finalize (object);
}

static void
cs_live_client_class_init (CsLiveClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = cs_live_client_get_property;
  object_class->dispose = cs_live_client_dispose;
  object_class->finalize = cs_live_client_finalize;

  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CsLiveClient::event:
   * @type: the event's "type"
   * @event: the whole event object
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, JSON_TYPE_OBJECT);
}

static void
cs_live_client_init (CsLiveClient *self)
{
  self->watches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->backoff_ms = BACKOFF_MIN_MS;
}

/* Public API */

CsLiveClient *
cs_live_client_new (CsApiClient *api)
{
  CsLiveClient *self;

  g_return_val_if_fail (CS_IS_API_CLIENT (api), NULL);

  self = g_object_new (CS_TYPE_LIVE_CLIENT, NULL);
  self->api = g_object_ref (api);
  self->tokens_changed_id = g_signal_connect (api, "tokens-changed", G_CALLBACK (tokens_changed_cb), self);
  return self;
}

void
cs_live_client_start (CsLiveClient *self)
{
  g_return_if_fail (CS_IS_LIVE_CLIENT (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->backoff_ms = BACKOFF_MIN_MS;
  connect_now (self);
}

void
cs_live_client_stop (CsLiveClient *self)
{
  g_return_if_fail (CS_IS_LIVE_CLIENT (self));

  self->running = FALSE;
  drop_connection (self);
}

gboolean
cs_live_client_get_connected (CsLiveClient *self)
{
  g_return_val_if_fail (CS_IS_LIVE_CLIENT (self), FALSE);
  return self->connected;
}

void
cs_live_client_reconnect (CsLiveClient *self)
{
  g_return_if_fail (CS_IS_LIVE_CLIENT (self));

  self->backoff_ms = BACKOFF_MIN_MS;
  if (self->running)
    connect_now (self);
}

void
cs_live_client_watch (CsLiveClient *self, const char *campaign_id)
{
  guint count;

  g_return_if_fail (CS_IS_LIVE_CLIENT (self));
  g_return_if_fail (campaign_id != NULL);

  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->watches, campaign_id));
  g_hash_table_insert (self->watches, g_strdup (campaign_id), GUINT_TO_POINTER (count + 1));
  if (count == 0)
    send_ids (self, "subscribe", &campaign_id, 1);
}

void
cs_live_client_unwatch (CsLiveClient *self, const char *campaign_id)
{
  guint count;

  g_return_if_fail (CS_IS_LIVE_CLIENT (self));
  g_return_if_fail (campaign_id != NULL);

  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->watches, campaign_id));
  if (count == 0)
    return;
  if (count > 1)
    {
      g_hash_table_insert (self->watches, g_strdup (campaign_id), GUINT_TO_POINTER (count - 1));
      return;
    }
  g_hash_table_remove (self->watches, campaign_id);
  send_ids (self, "unsubscribe", &campaign_id, 1);
}
