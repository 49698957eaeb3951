/* cs-test-proxy.h: a TCP relay between the client under test and a real
 * server, to make the network fail for real.
 *
 *   ONLINE        bytes flow both ways.
 *   OFFLINE       the port is closed (connections are refused) and open
 *                 connections are cut: what a client sees when the network
 *                 or the server is gone.
 *   LOSE_ANSWERS  requests reach the server, but each connection is cut as
 *                 soon as the server starts answering: the write happened,
 *                 the client never learns it (a crash or a dropped link
 *                 mid-send).
 *
 * It runs on the thread-default main context of its creator (iterate it).
 * Going back ONLINE listens on the same port again.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  CS_TEST_PROXY_ONLINE,
  CS_TEST_PROXY_OFFLINE,
  CS_TEST_PROXY_LOSE_ANSWERS,
} CsTestProxyMode;

typedef struct _CsTestProxy CsTestProxy;

/* Relays 127.0.0.1:<a free port> to @target_url's host and port. */
CsTestProxy *cs_test_proxy_new      (const char *target_url);
void         cs_test_proxy_free     (CsTestProxy *proxy);
/* "http://127.0.0.1:PORT" */
const char  *cs_test_proxy_get_url  (CsTestProxy *proxy);
void         cs_test_proxy_set_mode (CsTestProxy *proxy, CsTestProxyMode mode);
/* How many answers LOSE_ANSWERS has cut off so far. */
guint        cs_test_proxy_get_lost (CsTestProxy *proxy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsTestProxy, cs_test_proxy_free)

G_END_DECLS
