/* cs-jobs.h: the background job runner.
 *
 * One thread with its own GMainContext does, in a loop:
 * - payment jobs (cs-store-money.h): claims due jobs in batches under a
 *   lease, hands each to the gateway, marks it done, or schedules a retry
 *   with exponential backoff (1 s … 10 min) when the gateway could not be
 *   reached;
 * - settlement of campaigns past their deadline and the expiry of failed
 *   captures, every second;
 * - webhook delivery: claims due outbox messages and POSTs each (a few at a
 *   time, keep-alive) to <webhook_base_url>/api/v1/webhooks/<endpoint>,
 *   signed at send time (cs-webhook.h); a 2xx answer marks it delivered,
 *   anything else is retried with backoff (1 s, 2 s, 4 s … 10 min).
 * It polls every second and is woken at once by cs_jobs_wake().  Claims
 * are leases in the database, so several server instances (and the test
 * clock's synchronous run) never do one job twice at the same time; a
 * crashed runner's claims expire.
 *
 * Every time comes from the @now callback (the sandbox clock moves it); it
 * and @progress are called from the runner's thread and from
 * cs_jobs_run_due()'s caller: they must be thread-safe.
 */
#pragma once

#include <glib.h>
#include "cs-store.h"
#include "cs-gateway.h"

G_BEGIN_DECLS

typedef struct _CsJobs CsJobs;

/* A campaign's totals or status changed (settlement, an expired capture). */
typedef void   (*CsProgressFunc) (const CsCampaignProgress *progress, gpointer data);
typedef gint64 (*CsNowFunc)      (gpointer data);
/* How many requests the server is answering right now (thread-safe). */
typedef guint  (*CsLoadFunc)     (gpointer data);

/* @gateway NULL: payment jobs wait; @webhook_base_url NULL (e.g.
 * "http://127.0.0.1:PORT"): no webhook is delivered; @now NULL: wall
 * clock; @progress may be NULL.  Everything given is borrowed but the
 * strings, and must outlive the runner. */
CsJobs   *cs_jobs_new     (CsStore *store, CsGateway *gateway, const char *webhook_base_url,
                           const char *webhook_secret, CsNowFunc now, gpointer now_data,
                           CsProgressFunc progress, gpointer progress_data);
/* Before start: while @load reports more than @threshold requests in
 * progress, the thread leaves gateway calls and webhook deliveries for up
 * to 2 s at a time (settlement and checkpoints go on), so a burst of
 * requests gets the CPU first and the confirmations catch up after. */
void      cs_jobs_set_load_probe (CsJobs *jobs, CsLoadFunc load, gpointer data, guint threshold);
/* Before start: @func runs on the jobs thread with its store connection at
 * every poll (once a second), before the due work: e.g. to pick up state
 * another server instance changed in the database (the sandbox clock). */
typedef void (*CsJobsTickFunc) (CsStoreConn *conn, gpointer data);
void      cs_jobs_set_tick_func  (CsJobs *jobs, CsJobsTickFunc func, gpointer data);
/* Starts the thread (it opens its own store connection). */
gboolean  cs_jobs_start   (CsJobs *jobs, GError **error);
/* Thread-safe, cheap, never blocks: work was queued (a payment job, an
 * outbox message), look now rather than at the next poll. */
void      cs_jobs_wake    (CsJobs *jobs);
/* Stops the thread: cancels deliveries in flight (released, they are due
 * again at once), releases claimed payment jobs it has not started, and
 * returns once the thread is gone.  Idempotent. */
void      cs_jobs_stop    (CsJobs *jobs);
void      cs_jobs_free    (CsJobs *jobs);

/* Runs, on the calling thread with @conn, everything due at now: settlement
 * until no campaign is due, the capture-failure expiry, then the payment
 * jobs until none is due (reporting progress).  Webhooks stay with the
 * thread.  For the sandbox test clock. */
gboolean  cs_jobs_run_due (CsJobs *jobs, CsStoreConn *conn, GError **error);

/* The random id this process claims work under. */
const char *cs_jobs_worker_id (CsJobs *jobs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsJobs, cs_jobs_free)

G_END_DECLS
