/* cs-metrics.c: per-route request counters by status, and latency
 * histograms.  Counters are plain atomics in fixed arrays sized when the
 * router is complete, so observing a request never locks or allocates. */
#include "config.h"

#include <string.h>

#include "cs-metrics.h"

/* Upper bounds of the latency buckets, in microseconds. */
static const gint64 bucket_bounds_us[] = {
  250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
};
#define N_BUCKETS (G_N_ELEMENTS (bucket_bounds_us) + 1)   /* + the +Inf bucket */

/* The statuses we count separately; anything else lands in "other" per class. */
static const guint tracked_statuses[] = {
  200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503,
};
#define N_STATUSES (G_N_ELEMENTS (tracked_statuses) + 1)

typedef struct {
  gint64 count[N_STATUSES];
  gint64 buckets[N_BUCKETS];
  gint64 sum_us;
  gint64 total;
} RouteMetrics;

typedef struct {
  const char        *name;
  const char        *help;
  CsMetricsGaugeFunc read;
  gpointer           data;
} Gauge;

#define MAX_GAUGES 8

struct _CsMetrics {
  CsRouter     *router;
  guint         n_routes;
  RouteMetrics *routes;     /* n_routes + 1: the last is "unmatched" */
  Gauge         gauges[MAX_GAUGES];
  guint         n_gauges;
};

CsMetrics *
cs_metrics_new (CsRouter *router)
{
  CsMetrics *metrics = g_new0 (CsMetrics, 1);

  metrics->router = router;
  metrics->n_routes = cs_router_n_routes (router);
  metrics->routes = g_new0 (RouteMetrics, metrics->n_routes + 1);
  return metrics;
}

void
cs_metrics_free (CsMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_free (metrics->routes);
  g_free (metrics);
}

static guint
status_slot (guint status)
{
  for (guint i = 0; i < G_N_ELEMENTS (tracked_statuses); i++)
    if (tracked_statuses[i] == status)
      return i;
  return N_STATUSES - 1;
}

void
cs_metrics_observe (CsMetrics     *metrics,
                    const CsRoute *route,
                    CsHttpMethod   method,
                    guint          status,
                    gint64         duration_us)
{
  guint r = route != NULL && route->index < metrics->n_routes ? route->index : metrics->n_routes;
  RouteMetrics *m = &metrics->routes[r];
  guint b = 0;

  while (b < G_N_ELEMENTS (bucket_bounds_us) && duration_us > bucket_bounds_us[b])
    b++;

  __atomic_fetch_add (&m->count[status_slot (status)], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add (&m->buckets[b], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add (&m->sum_us, duration_us, __ATOMIC_RELAXED);
  __atomic_fetch_add (&m->total, 1, __ATOMIC_RELAXED);
}

static void
render_route (GString *out, GString *hist, const char *label, const char *method, RouteMetrics *m)
{
  gint64 cumulative = 0;
  gint64 total = __atomic_load_n (&m->total, __ATOMIC_RELAXED);

  if (total == 0)
    return;

  for (guint s = 0; s < N_STATUSES; s++)
    {
      gint64 n = __atomic_load_n (&m->count[s], __ATOMIC_RELAXED);

      if (n == 0)
        continue;
      if (s < G_N_ELEMENTS (tracked_statuses))
        g_string_append_printf (out,
                                "crowdspark_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"} %" G_GINT64_FORMAT "\n",
                                label, method, tracked_statuses[s], n);
      else
        g_string_append_printf (out,
                                "crowdspark_http_requests_total{route=\"%s\",method=\"%s\",status=\"other\"} %" G_GINT64_FORMAT "\n",
                                label, method, n);
    }

  for (guint b = 0; b < N_BUCKETS; b++)
    {
      cumulative += __atomic_load_n (&m->buckets[b], __ATOMIC_RELAXED);
      if (b < G_N_ELEMENTS (bucket_bounds_us))
        {
          char le[G_ASCII_DTOSTR_BUF_SIZE];

          /* seconds, printed exactly from integer microseconds */
          g_snprintf (le, sizeof le, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT,
                      bucket_bounds_us[b] / 1000000, bucket_bounds_us[b] % 1000000);
          g_string_append_printf (hist,
                                  "crowdspark_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le=\"%s\"} %" G_GINT64_FORMAT "\n",
                                  label, method, le, cumulative);
        }
      else
        g_string_append_printf (hist,
                                "crowdspark_http_request_duration_seconds_bucket{route=\"%s\",method=\"%s\",le=\"+Inf\"} %" G_GINT64_FORMAT "\n",
                                label, method, cumulative);
    }
  {
    gint64 sum = __atomic_load_n (&m->sum_us, __ATOMIC_RELAXED);

    g_string_append_printf (hist,
                            "crowdspark_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} %" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT "\n",
                            label, method, sum / 1000000, sum % 1000000);
    g_string_append_printf (hist,
                            "crowdspark_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} %" G_GINT64_FORMAT "\n",
                            label, method, cumulative);
  }
}

void
cs_metrics_add_gauge (CsMetrics *metrics, const char *name, const char *help, CsMetricsGaugeFunc read,
                      gpointer data)
{
  g_return_if_fail (metrics->n_gauges < MAX_GAUGES);
  metrics->gauges[metrics->n_gauges++] = (Gauge) { name, help, read, data };
}

GBytes *
cs_metrics_render (CsMetrics *metrics)
{
  GString *out = g_string_sized_new (8192);
  g_autoptr(GString) hist = g_string_sized_new (16384);

  g_string_append (out,
                   "# HELP crowdspark_http_requests_total HTTP requests by route, method and status.\n"
                   "# TYPE crowdspark_http_requests_total counter\n");
  g_string_append (hist,
                   "# HELP crowdspark_http_request_duration_seconds Time from routing to response, by route.\n"
                   "# TYPE crowdspark_http_request_duration_seconds histogram\n");

  for (guint r = 0; r <= metrics->n_routes; r++)
    {
      const CsRoute *route = r < metrics->n_routes ? cs_router_get (metrics->router, r) : NULL;

      render_route (out, hist,
                    route != NULL ? route->pattern : "unmatched",
                    route != NULL ? cs_http_method_to_string (route->method) : "any",
                    &metrics->routes[r]);
    }
  g_string_append_len (out, hist->str, hist->len);
  for (guint i = 0; i < metrics->n_gauges; i++)
    {
      const Gauge *g = &metrics->gauges[i];

      g_string_append_printf (out, "# HELP %s %s\n# TYPE %s gauge\n%s %u\n",
                              g->name, g->help, g->name, g->name, g->read (g->data));
    }
  return g_string_free_to_bytes (out);
}
