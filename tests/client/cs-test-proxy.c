/* cs-test-proxy.c: a TCP relay that can fail on purpose (cs-test-proxy.h). */
#include "config.h"

#include "cs-test-proxy.h"

#define CHUNK 16384

typedef struct _Link Link;

struct _CsTestProxy
{
  GSocketService *service;
  guint16         port;
  char           *url;
  char           *target_host;
  guint16         target_port;
  CsTestProxyMode mode;
  guint           lost;
  GList          *links;     /* Link* */
};

/* One relayed connection: the client's side and the server's side. */
struct _Link
{
  CsTestProxy       *proxy;
  GSocketConnection *client;
  GSocketConnection *server;
  GCancellable      *cancellable;
  guint              pumps;   /* running directions */
  gboolean           cut;
};

typedef struct {
  Link          *link;
  GInputStream  *from;
  GOutputStream *to;
  gboolean       answers;     /* server → client */
} Pump;

static void pump_read (Pump *pump);

static void
link_cut (Link *link)
{
  if (link->cut)
    return;
  link->cut = TRUE;
  g_cancellable_cancel (link->cancellable);
  g_io_stream_close (G_IO_STREAM (link->client), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (link->server), NULL, NULL);
}

static void
link_free (Link *link)
{
  if (link->proxy != NULL)
    link->proxy->links = g_list_remove (link->proxy->links, link);
  g_object_unref (link->client);
  g_object_unref (link->server);
  g_object_unref (link->cancellable);
  g_free (link);
}

static void
pump_done (Pump *pump)
{
  Link *link = pump->link;

  link_cut (link);
  g_free (pump);
  if (--link->pumps == 0)
    link_free (link);
}

static void
pump_written_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Pump *pump = data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      pump_done (pump);
      return;
    }
  pump_read (pump);
}

static void
pump_read_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Pump *pump = data;
  Link *link = pump->link;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  gsize size;
  const void *chunk;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0 || link->cut)
    {
      pump_done (pump);
      return;
    }
  if (pump->answers && link->proxy != NULL && link->proxy->mode == CS_TEST_PROXY_LOSE_ANSWERS)
    {
      link->proxy->lost++;
      pump_done (pump);
      return;
    }
  chunk = g_bytes_get_data (bytes, &size);
  /* the bytes live until the write ends: keep a copy with the pump */
  g_object_set_data_full (G_OBJECT (pump->to), "cs-test-proxy-chunk", g_bytes_ref (bytes),
                          (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (pump->to, chunk, size, G_PRIORITY_DEFAULT, link->cancellable,
                                   pump_written_cb, pump);
}

static void
pump_read (Pump *pump)
{
  g_input_stream_read_bytes_async (pump->from, CHUNK, G_PRIORITY_DEFAULT, pump->link->cancellable,
                                   pump_read_cb, pump);
}

static void
pump_start (Link *link, GIOStream *from, GIOStream *to, gboolean answers)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->link = link;
  pump->from = g_io_stream_get_input_stream (from);
  pump->to = g_io_stream_get_output_stream (to);
  pump->answers = answers;
  link->pumps++;
  pump_read (pump);
}

static gboolean
incoming_cb (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  CsTestProxy *proxy = data;
  g_autoptr(GSocketClient) connector = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *server;
  Link *link;

  if (proxy->mode == CS_TEST_PROXY_OFFLINE)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  server = g_socket_client_connect_to_host (connector, proxy->target_host, proxy->target_port, NULL, &error);
  if (server == NULL)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  link = g_new0 (Link, 1);
  link->proxy = proxy;
  link->client = g_object_ref (connection);
  link->server = server;
  link->cancellable = g_cancellable_new ();
  proxy->links = g_list_prepend (proxy->links, link);
  pump_start (link, G_IO_STREAM (link->client), G_IO_STREAM (link->server), FALSE);
  pump_start (link, G_IO_STREAM (link->server), G_IO_STREAM (link->client), TRUE);
  return TRUE;
}

static void
listen_on (CsTestProxy *proxy, guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocketAddress) effective = NULL;

  proxy->service = g_socket_service_new ();
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (incoming_cb), proxy);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error))
    g_error ("test proxy: cannot listen on 127.0.0.1:%u: %s", port, error->message);
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_service_start (proxy->service);
}

static void
stop_listening (CsTestProxy *proxy)
{
  if (proxy->service == NULL)
    return;
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_signal_handlers_disconnect_by_data (proxy->service, proxy);
  g_clear_object (&proxy->service);
}

CsTestProxy *
cs_test_proxy_new (const char *target_url)
{
  g_autoptr(GUri) uri = g_uri_parse (target_url, G_URI_FLAGS_NONE, NULL);
  CsTestProxy *proxy;

  g_assert_nonnull (uri);
  proxy = g_new0 (CsTestProxy, 1);
  proxy->target_host = g_strdup (g_uri_get_host (uri));
  proxy->target_port = (guint16) g_uri_get_port (uri);
  listen_on (proxy, 0);
  proxy->url = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  return proxy;
}

void
cs_test_proxy_free (CsTestProxy *proxy)
{
  if (proxy == NULL)
    return;
  stop_listening (proxy);
  /* cut links finish on the main context; they no longer point at us */
  for (GList *l = proxy->links; l != NULL; l = l->next)
    {
      Link *link = l->data;

      link->proxy = NULL;
      link_cut (link);
    }
  g_list_free (proxy->links);
  g_free (proxy->url);
  g_free (proxy->target_host);
  g_free (proxy);
}

const char *
cs_test_proxy_get_url (CsTestProxy *proxy)
{
  return proxy->url;
}

void
cs_test_proxy_set_mode (CsTestProxy *proxy, CsTestProxyMode mode)
{
  if (proxy->mode == mode)
    return;
  if (mode == CS_TEST_PROXY_OFFLINE)
    {
      stop_listening (proxy);
      while (proxy->links != NULL)
        {
          Link *link = proxy->links->data;

          proxy->links = g_list_remove (proxy->links, link);
          link->proxy = NULL;
          link_cut (link);
        }
    }
  else if (proxy->mode == CS_TEST_PROXY_OFFLINE)
    listen_on (proxy, proxy->port);
  proxy->mode = mode;
}

guint
cs_test_proxy_get_lost (CsTestProxy *proxy)
{
  return proxy->lost;
}
