/* cs-metrics.h: request counters and latency histograms, Prometheus text. */
#pragma once

#include <glib.h>
#include "cs-router.h"

G_BEGIN_DECLS

typedef struct _CsMetrics CsMetrics;

CsMetrics *cs_metrics_new      (CsRouter *router);
void       cs_metrics_free     (CsMetrics *metrics);
/* @route may be NULL (unmatched).  Thread-safe, lock-free. */
void       cs_metrics_observe  (CsMetrics *metrics, const CsRoute *route, CsHttpMethod method,
                                guint status, gint64 duration_us);
/* A gauge read at each rendering, e.g. open WebSockets.  Register before
 * the server starts (not thread-safe); @read must be. */
typedef guint (*CsMetricsGaugeFunc) (gpointer data);
void       cs_metrics_add_gauge (CsMetrics *metrics, const char *name, const char *help,
                                 CsMetricsGaugeFunc read, gpointer data);
/* The Prometheus text exposition (format 0.0.4). */
GBytes    *cs_metrics_render   (CsMetrics *metrics);

G_END_DECLS
