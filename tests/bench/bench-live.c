/* bench-live.c: WebSocket fan-out of GET /api/v1/live (tests/bench/bench-live.sh).
 *
 *   bench-live [--subscribers N] [--rounds R] [--threads T] [--concurrency C]
 *
 * Forks first, while the process has a single thread: the child is a plain
 * epoll client holding N raw WebSocket connections (it completes the
 * handshake, subscribes every connection to one campaign, answers pings and
 * parses frames itself, so the client costs as little as it can); the
 * parent starts a real crowdspark server (its event loops and SQLite file in
 * a temporary folder) and, once every connection is subscribed, publishes R
 * progress states of that campaign through cs_live_publish_progress (), as
 * the pledge path does after a commit, each PAUSE_MS after the previous one
 * arrived everywhere (longer than the 200 ms coalescing window, so no state
 * is held back).  The latency of a delivery runs from the moment before the
 * publish call to the moment the client read the frame, both on
 * CLOCK_MONOTONIC.  Exits 1 unless every subscriber got every state.
 */
#define _GNU_SOURCE 1   /* memmem, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "cs-server.h"
#include "cs-live.h"
#include "cs-auth-service.h"

#define CAMPAIGN_ID    "cmp_benchlive"
#define PAUSE_MS       300
#define ROUND_TIMEOUT  30     /* seconds for one state to reach everyone */
#define CONNECT_TIMEOUT 120   /* seconds for every connection to subscribe */

static gint64
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* amount of round r (1-based) */
static gint64
round_amount (int r)
{
  return (gint64) r * 1000 + 1;
}

static void
write_line (int fd, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
write_line (int fd, const char *fmt, ...)
{
  char line[256];
  va_list args;
  int n;

  va_start (args, fmt);
  n = vsnprintf (line, sizeof line, fmt, args);
  va_end (args);
  if (write (fd, line, n) != n)
    _exit (3);
}

/* Reads one line from @fd (blocking, up to @timeout_s), without the newline. */
static gboolean
read_line (int fd, char *line, gsize size, int timeout_s)
{
  gsize n = 0;
  gint64 deadline = now_us () + (gint64) timeout_s * 1000000;

  while (n + 1 < size)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = (deadline - now_us ()) / 1000;
      char ch;

      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        return FALSE;
      if (read (fd, &ch, 1) != 1)
        return FALSE;
      if (ch == '\n')
        break;
      line[n++] = ch;
    }
  line[n] = '\0';
  return TRUE;
}

/* ---- the client (child process) ---------------------------------------------- */

enum { C_CONNECTING, C_HANDSHAKE, C_SUBSCRIBING, C_READY, C_DEAD };

typedef struct {
  int    fd;
  int    state;
  guint8 buf[8192];
  gsize  len;
} Conn;

static void
send_frame (Conn *c, guint8 opcode, const void *payload, gsize len)
{
  guint8 frame[256];
  const guint8 mask[4] = { 0x5a, 0xa5, 0x3c, 0xc3 };

  if (len > 125)
    return;
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | (guint8) len;
  memcpy (frame + 2, mask, 4);
  for (gsize i = 0; i < len; i++)
    frame[6 + i] = ((const guint8 *) payload)[i] ^ mask[i % 4];
  if (write (c->fd, frame, 6 + len) != (gssize) (6 + len))
    c->state = C_DEAD;
}

static int
client_main (int cmd_fd, int report_fd, int n, int rounds, int concurrency, const char *times_path)
{
  char line[128];
  guint port;
  Conn *conns = calloc (n, sizeof (Conn));
  gint64 *times = calloc ((gsize) n * rounds, sizeof (gint64));
  int *got = calloc (rounds + 1, sizeof (int));
  int ep = epoll_create1 (EPOLL_CLOEXEC);
  struct sockaddr_in addr = { 0 };
  char request[512];
  const char *subscribe = "{\"type\": \"subscribe\", \"campaign_ids\": [\"" CAMPAIGN_ID "\"]}";
  int opened = 0, in_flight = 0, ready = 0, dead = 0;
  gboolean reported_ready = FALSE, finishing = FALSE;
  gint64 connect_deadline;
  struct epoll_event ev = { 0 };

  if (!read_line (cmd_fd, line, sizeof line, 60) || sscanf (line, "port %u", &port) != 1)
    return 2;
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  snprintf (request, sizeof request,
            "GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", port);

  ev.events = EPOLLIN;
  ev.data.u64 = G_MAXUINT64;   /* the command pipe */
  epoll_ctl (ep, EPOLL_CTL_ADD, cmd_fd, &ev);
  connect_deadline = now_us () + (gint64) CONNECT_TIMEOUT * 1000000;

  for (;;)
    {
      struct epoll_event events[512];
      int k;

      /* Keep C handshakes in flight until all N are open. */
      while (opened < n && in_flight < concurrency)
        {
          Conn *c = &conns[opened];

          c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
          if (c->fd < 0)
            {
              fprintf (stderr, "bench-live client: socket: %s\n", strerror (errno));
              return 2;
            }
          if (connect (c->fd, (struct sockaddr *) &addr, sizeof addr) < 0 && errno != EINPROGRESS)
            {
              c->state = C_DEAD;
              dead++;
              close (c->fd);
            }
          else
            {
              c->state = C_CONNECTING;
              ev.events = EPOLLOUT | EPOLLIN;
              ev.data.u64 = (guint64) opened;
              epoll_ctl (ep, EPOLL_CTL_ADD, c->fd, &ev);
              in_flight++;
            }
          opened++;
        }
      if (!reported_ready && (ready + dead == n || now_us () > connect_deadline))
        {
          write_line (report_fd, "ready %d\n", ready);
          reported_ready = TRUE;
        }

      k = epoll_wait (ep, events, G_N_ELEMENTS (events), 1000);
      for (int e = 0; e < k; e++)
        {
          Conn *c;
          gint64 t = now_us ();

          if (events[e].data.u64 == G_MAXUINT64)
            {
              finishing = TRUE;
              continue;
            }
          c = &conns[events[e].data.u64];
          if (c->state == C_DEAD)
            continue;
          if (c->state == C_CONNECTING && (events[e].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            {
              int err = 0;
              socklen_t len = sizeof err;

              getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
              if (err != 0 || write (c->fd, request, strlen (request)) != (gssize) strlen (request))
                goto dead;
              c->state = C_HANDSHAKE;
              ev.events = EPOLLIN;
              ev.data.u64 = events[e].data.u64;
              epoll_ctl (ep, EPOLL_CTL_MOD, c->fd, &ev);
              continue;
            }
          if (!(events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            continue;
          for (;;)
            {
              gssize r = read (c->fd, c->buf + c->len, sizeof c->buf - c->len);

              if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                goto dead;
              if (r < 0)
                break;
              c->len += r;
              if (c->len < sizeof c->buf)
                break;
            }
          if (c->state == C_HANDSHAKE)
            {
              guint8 *end = memmem (c->buf, c->len, "\r\n\r\n", 4);
              gsize used;

              if (end == NULL)
                continue;
              if (c->len < 12 || memcmp (c->buf, "HTTP/1.1 101", 12) != 0)
                goto dead;
              used = end + 4 - c->buf;
              memmove (c->buf, c->buf + used, c->len - used);
              c->len -= used;
              c->state = C_SUBSCRIBING;
              send_frame (c, 0x1, subscribe, strlen (subscribe));
            }
          /* Server frames are never masked. */
          for (;;)
            {
              gsize hdr = 2, plen;
              guint8 opcode;
              const char *payload;

              if (c->len < 2)
                break;
              opcode = c->buf[0] & 0x0f;
              plen = c->buf[1] & 0x7f;
              if (plen == 126)
                {
                  if (c->len < 4)
                    break;
                  plen = (c->buf[2] << 8) | c->buf[3];
                  hdr = 4;
                }
              else if (plen == 127)
                goto dead;   /* nothing this large is expected */
              if (hdr + plen > sizeof c->buf)
                goto dead;
              if (c->len < hdr + plen)
                break;
              payload = (const char *) c->buf + hdr;
              if (opcode == 0x9)
                send_frame (c, 0xA, payload, plen);
              else if (opcode == 0x8)
                goto dead;
              else if (opcode == 0x1 && c->state == C_SUBSCRIBING &&
                       g_strstr_len (payload, plen, "\"subscribed\"") != NULL)
                {
                  c->state = C_READY;
                  ready++;
                  in_flight--;
                }
              else if (opcode == 0x1 && c->state == C_READY &&
                       g_strstr_len (payload, plen, "\"campaign.progress\"") != NULL)
                {
                  const char *amount = g_strstr_len (payload, plen, "\"current_amount\":");
                  gint64 value = amount != NULL ? g_ascii_strtoll (amount + 17, NULL, 10) : -1;
                  int r = (int) ((value - 1) / 1000);

                  if (r >= 1 && r <= rounds && value == round_amount (r))
                    {
                      gint64 *slot = &times[(gsize) (c - conns) * rounds + (r - 1)];

                      if (*slot == 0)
                        {
                          *slot = t;
                          if (++got[r] == ready)
                            write_line (report_fd, "got %d\n", r);
                        }
                    }
                }
              memmove (c->buf, c->buf + hdr + plen, c->len - hdr - plen);
              c->len -= hdr + plen;
            }
          continue;
dead:
          if (c->state != C_READY)
            in_flight--;
          c->state = C_DEAD;
          dead++;
          epoll_ctl (ep, EPOLL_CTL_DEL, c->fd, NULL);
          close (c->fd);
        }
      if (finishing)
        break;
    }

  {
    FILE *out = fopen (times_path, "w");

    if (out == NULL)
      return 2;
    for (int i = 0; i < n; i++)
      for (int r = 0; r < rounds; r++)
        fprintf (out, "%d %d %" G_GINT64_FORMAT "\n", i, r + 1, times[(gsize) i * rounds + r]);
    fclose (out);
  }
  write_line (report_fd, "done %d %d\n", ready, dead);
  return 0;
}

/* ---- the server (parent) ------------------------------------------------------- */

static int
cmp_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (const gint64 *sorted, gsize n, double p)
{
  gsize i = (gsize) (p * n + 0.999999);

  return sorted[MIN (MAX (i, 1), n) - 1] / 1000.0;
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
}

/* p50 and p99 of @n sequential GET /healthz, in ms: what idle WebSockets
 * cost the HTTP requests sharing their event loops. */
static void
probe_http (const char *base, int n, double *p50, double *p99)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (base, "/healthz", NULL);
  g_autofree gint64 *lat = g_new0 (gint64, n);

  for (int i = 0; i < n; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      gint64 t0 = now_us ();
      g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);

      lat[i] = now_us () - t0;
    }
  qsort (lat, n, sizeof (gint64), cmp_gint64);
  *p50 = percentile_ms (lat, n, 0.50);
  *p99 = percentile_ms (lat, n, 0.99);
}

static gboolean
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  return g_rmdir (path) == 0;
}

int
main (int argc, char **argv)
{
  int n = 10000, rounds = 5, threads = 2, concurrency = 256;
  GOptionEntry entries[] = {
    { "subscribers", 'n', 0, G_OPTION_ARG_INT, &n, "WebSocket subscribers (10000)", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "progress states published, one after another (5)", "R" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "server event loops (2)", "T" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &concurrency, "handshakes in flight (256)", "C" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- WebSocket fan-out benchmark");
  g_autoptr(GError) error = NULL;
  int cmd[2], report[2];
  struct rlimit rl;
  pid_t child;
  char line[128];
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  g_autofree char *times_path = NULL;
  g_autofree char *media = NULL;
  g_autoptr(CsServerConfig) config = NULL;
  CsServer *server;
  gint64 *published;
  gint64 t_connect, ramp_us = 0;
  long rss = 0;
  double idle_p50, idle_p99, busy_p50 = 0, busy_p99 = 0;
  int ready = 0, failed = 0, status;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-live: %s\n", error->message);
      return 2;
    }
  if (n < 1 || rounds < 1 || threads < 1 || concurrency < 1)
    {
      fprintf (stderr, "bench-live: the numbers must be positive\n");
      return 2;
    }
  /* Both processes need a descriptor per connection. */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t) n + 256)
    {
      fprintf (stderr, "bench-live: %d subscribers need %d descriptors; the limit is %lu (ulimit -n)\n",
               n, n + 256, (unsigned long) rl.rlim_cur);
      return 2;
    }

  dir = g_dir_make_tmp ("crowdspark-bench-live-XXXXXX", &error);
  if (dir == NULL)
    {
      fprintf (stderr, "bench-live: %s\n", error->message);
      return 2;
    }
  times_path = g_build_filename (dir, "times.txt", NULL);
  if (pipe2 (cmd, O_CLOEXEC) < 0 || pipe2 (report, O_CLOEXEC) < 0)
    return 2;

  /* Fork while single-threaded: the child never touches GLib's threads. */
  child = fork ();
  if (child < 0)
    return 2;
  if (child == 0)
    {
      close (cmd[1]);
      close (report[0]);
      _exit (client_main (cmd[0], report[1], n, rounds, concurrency, times_path));
    }
  close (cmd[0]);
  close (report[1]);
  signal (SIGPIPE, SIG_IGN);

  db = g_build_filename (dir, "bench.db", NULL);
  config = cs_server_config_new ();
  g_free (config->database_url);
  config->database_url = g_strconcat ("sqlite://", db, NULL);
  g_free (config->media_dir);
  media = g_build_filename (dir, "media", NULL);
  config->media_dir = g_strdup (media);
  cs_server_config_set_listen (config, "127.0.0.1:0", NULL);
  config->threads = threads;
  config->access_log = FALSE;
  config->password_cost = CS_PASSWORD_COST_MINIMUM;
  server = cs_server_new (config, &error);
  if (server == NULL || !cs_server_start (server, &error))
    {
      fprintf (stderr, "bench-live: %s\n", error->message);
      kill (child, SIGTERM);
      return 2;
    }
  fprintf (stderr, "bench-live: server on %s (%d event loops); opening %d WebSockets...\n",
           cs_server_get_url (server), threads, n);

  probe_http (cs_server_get_url (server), 200, &idle_p50, &idle_p99);
  t_connect = now_us ();
  write_line (cmd[1], "port %u\n", cs_server_get_port (server));
  if (!read_line (report[0], line, sizeof line, CONNECT_TIMEOUT + 10) || sscanf (line, "ready %d", &ready) != 1)
    {
      fprintf (stderr, "bench-live: the client did not get ready\n");
      kill (child, SIGTERM);
      return 1;
    }
  ramp_us = now_us () - t_connect;
  rss = rss_kib ();
  fprintf (stderr, "bench-live: %d of %d subscribed in %.1f s; the server holds %u connections\n",
           ready, n, ramp_us / 1e6, cs_live_n_connections (cs_server_get_context (server)->live));

  if (ready > 0)
    probe_http (cs_server_get_url (server), 200, &busy_p50, &busy_p99);
  published = g_new0 (gint64, rounds + 1);
  for (int r = 1; r <= rounds && ready > 0; r++)
    {
      CsCampaignProgress p = { 0 };

      g_strlcpy (p.campaign_id, CAMPAIGN_ID, sizeof p.campaign_id);
      p.current_amount = round_amount (r);
      p.backer_count = r;
      p.goal_amount = 1000000;
      g_strlcpy (p.currency, "USD", sizeof p.currency);
      p.status = CS_CAMPAIGN_LIVE;

      published[r] = now_us ();
      cs_live_publish_progress (cs_server_get_context (server)->live, &p);
      if (!read_line (report[0], line, sizeof line, ROUND_TIMEOUT))
        {
          fprintf (stderr, "bench-live: round %d did not reach every subscriber in %d s\n", r, ROUND_TIMEOUT);
          break;
        }
      g_usleep (PAUSE_MS * 1000);   /* past the coalescing window */
    }

  write_line (cmd[1], "finish\n");
  if (!read_line (report[0], line, sizeof line, 60) || sscanf (line, "done %d %d", &ready, &failed) != 2)
    fprintf (stderr, "bench-live: the client did not finish\n");
  waitpid (child, &status, 0);
  cs_server_free (server);

  {
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
    gint64 round_max[64] = { 0 };
    guint round_got[64] = { 0 };
    gsize expected = (gsize) n * rounds;

    if (!g_file_get_contents (times_path, &text, NULL, &error))
      {
        fprintf (stderr, "bench-live: %s\n", error->message);
        return 1;
      }
    lines = g_strsplit (text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      {
        int conn, r;
        gint64 t, latency;

        if (sscanf (lines[i], "%d %d %" G_GINT64_FORMAT, &conn, &r, &t) != 3 || t == 0 || r < 1 || r > rounds)
          continue;
        latency = t - published[r];
        g_array_append_val (all, latency);
        if (r < 64)
          {
            round_got[r]++;
            round_max[r] = MAX (round_max[r], latency);
          }
      }
    g_array_sort (all, cmp_gint64);

    printf ("crowdspark live fan-out: %d WebSocket subscribers on one campaign, %d states, server --threads %d, %u CPUs\n",
            n, rounds, threads, g_get_num_processors ());
    printf ("subscribed: %d (%d failed), all in %.1f s (%d handshakes in flight); process RSS then %ld MiB (server + its SQLite)\n",
            ready, failed, ramp_us / 1e6, concurrency, rss / 1024);
    printf ("GET /healthz (sequential, 200): p50 %.2f ms, p99 %.2f ms with no WebSocket; "
            "p50 %.2f ms, p99 %.2f ms with all %d open\n", idle_p50, idle_p99, busy_p50, busy_p99, ready);
    for (int r = 1; r <= rounds && r < 64; r++)
      printf ("state %d: received by %u of %d, last after %.1f ms\n", r, round_got[r], n, round_max[r] / 1000.0);
    if (all->len > 0)
      printf ("delivery latency (publish → client read), all states: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              percentile_ms ((gint64 *) all->data, all->len, 0.50),
              percentile_ms ((gint64 *) all->data, all->len, 0.99),
              ((gint64 *) all->data)[all->len - 1] / 1000.0);
    printf ("received %u of %" G_GSIZE_FORMAT " deliveries: %s\n", all->len, expected,
            all->len == expected ? "all" : "MISSING SOME");
    g_free (published);
    g_unlink (times_path);
    remove_tree (media);
    remove_tree (dir);
    return all->len == expected ? 0 : 1;
  }
}
