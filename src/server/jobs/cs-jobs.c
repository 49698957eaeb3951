/* cs-jobs.c: the background job runner: payment jobs through the gateway,
 * settlement, and webhook delivery from the outbox (see cs-jobs.h).
 *
 * The thread owns its store connection and its SoupSession; other threads
 * only touch the atomics and attach sources to its context. */
#include "config.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string.h>
#include <sodium.h>
#include <libsoup/soup.h>

#include "crowdspark-core.h"
#include "cs-jobs.h"
#include "cs-webhook.h"

/* A lease is how long a crashed runner's work waits before another takes
 * it over; one that runs out while the work is still going only means the
 * work may be done twice, which the gateway (job id) and the receivers of
 * webhooks (event id) absorb. */
#define JOB_BATCH            64
#define JOB_BATCH_UNDER_LOAD 16
#define JOB_LEASE            30    /* s: several gateway calls */
#define SETTLE_BATCH         16
#define OUTBOX_IN_FLIGHT     4
#define REQUEST_TIMEOUT      10    /* s, like the big processors' webhooks */
#define OUTBOX_LEASE         (REQUEST_TIMEOUT * 3)
#define MAX_BACKOFF          600   /* s */
#define POLL_INTERVAL        1     /* s */

struct _CsJobs {
  CsStore        *store;
  CsGateway      *gateway;
  char           *base_url;
  char           *secret;
  CsNowFunc       now_func;
  gpointer        now_data;
  CsProgressFunc  progress_func;
  gpointer        progress_data;
  char           *worker;

  GMainContext   *context;
  GThread        *thread;
  gint            running;        /* atomic: the thread takes wake-ups */
  gint            stopping;       /* atomic */
  gint            wake_pending;   /* atomic: a wake-up source is attached */

  /* start handshake */
  GMutex          lock;
  GCond           cond;
  gboolean        ready;
  GError         *start_error;

  /* the thread's own */
  GMainLoop      *loop;
  CsStoreConn    *conn;
  SoupSession    *session;
  GCancellable   *cancellable;
  guint           in_flight;
  gboolean        outbox_more;    /* the last claim was full: more may be due */

  /* yielding to bursts of requests (cs_jobs_set_load_probe) */
  CsLoadFunc      load_func;
  gpointer        load_data;
  guint           load_threshold;
  gint64          busy_since;     /* monotonic µs when we started deferring, or 0 */
  guint           retry_source;   /* a short timeout to look again, or 0 */

  CsJobsTickFunc  tick_func;
  gpointer        tick_data;
};

typedef struct {
  CsJobs      *jobs;
  char        *message_id;
  gint64       attempts;
  SoupMessage *msg;
} Delivery;

static gboolean under_load     (CsJobs *jobs);
static void     schedule_retry (CsJobs *jobs);

static gint64
jobs_now (CsJobs *jobs)
{
  return jobs->now_func != NULL ? jobs->now_func (jobs->now_data) : cs_now_seconds ();
}

static gboolean
is_stopping (CsJobs *jobs)
{
  return g_atomic_int_get (&jobs->stopping);
}

/* 1 s, 2 s, 4 s … after the first, second, third failed try; at most
 * 10 min.  @attempts counts the tries so far, this one included (a claim
 * counts it). */
static gint64
backoff_seconds (gint64 attempts)
{
  if (attempts <= 1)
    return 1;
  if (attempts > 10)
    return MAX_BACKOFF;
  return MIN ((gint64) 1 << (attempts - 1), MAX_BACKOFF);
}

/* A busy database is expected under load and retried: not worth a warning
 * (which tests treat as fatal). */
static void
log_failure (const char *what, const GError *error)
{
  if (g_error_matches (error, CS_ERROR, CS_ERROR_UNAVAILABLE))
    g_message ("jobs: %s: %s", what, error->message);
  else
    g_warning ("jobs: %s: %s", what, error->message);
}

static void
report_progress (CsJobs *jobs, GPtrArray *changed)
{
  for (guint i = 0; changed != NULL && i < changed->len; i++)
    {
      const CsCampaignProgress *p = changed->pdata[i];

      if (jobs->progress_func != NULL && p != NULL && p->campaign_id[0] != '\0')
        jobs->progress_func (p, jobs->progress_data);
    }
}

/* ---- settlement ------------------------------------------------------------------ */

static gboolean
run_settlement (CsJobs *jobs, CsStoreConn *conn, gint64 now, GError **error)
{
  g_autoptr(GPtrArray) expired = g_ptr_array_new_with_free_func (g_free);

  for (;;)
    {
      g_autoptr(GPtrArray) settled = g_ptr_array_new_with_free_func (g_free);
      gboolean ok = cs_store_settle_due (conn, now, SETTLE_BATCH, settled, error);

      /* each campaign is its own transaction: report those that were done */
      report_progress (jobs, settled);
      if (!ok)
        return FALSE;
      if (settled->len < SETTLE_BATCH || is_stopping (jobs))
        break;
    }
  if (!cs_store_expire_capture_failed (conn, now, expired, error))
    return FALSE;
  report_progress (jobs, expired);
  return TRUE;
}

/* ---- payment jobs ------------------------------------------------------------------ */

static void
execute_job (CsJobs *jobs, CsStoreConn *conn, const CsPaymentJob *job, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) retry_error = NULL;
  g_autofree char *ref = NULL;
  const char *reason;
  gint64 delay;

  if (cs_gateway_execute (jobs->gateway, conn, job, now, &ref, &error) &&
      cs_store_payment_job_done (conn, job->id, ref, now, &error))
    return;

  /* Executing again is safe: the gateway is idempotent by job id. */
  reason = error != NULL ? error->message : "unknown error";
  delay = backoff_seconds (job->attempts);
  g_message ("jobs: payment job %s (%s) failed, retrying in %" G_GINT64_FORMAT " s: %s",
             job->id, cs_payment_job_kind_to_string (job->kind), delay, reason);
  if (!cs_store_payment_job_retry (conn, job->id, now + delay, reason, &retry_error))
    log_failure ("rescheduling a payment job (its claim will expire)", retry_error);
}

/* Claims and executes due jobs until none is left.  @check_stop: give up
 * between jobs when the runner is stopping, releasing what was claimed. */
static gboolean
run_payment_jobs (CsJobs *jobs, CsStoreConn *conn, gboolean check_stop, GError **error)
{
  if (jobs->gateway == NULL)
    return TRUE;

  for (;;)
    {
      gint64 now = jobs_now (jobs);
      /* smaller bites while requests queue, so none waits long behind us */
      guint max = check_stop && under_load (jobs) ? JOB_BATCH_UNDER_LOAD : JOB_BATCH;
      g_autoptr(GPtrArray) batch = cs_store_payment_jobs_claim (conn, jobs->worker, now, JOB_LEASE, max, error);
      guint i;

      if (batch == NULL)
        return FALSE;
      for (i = 0; i < batch->len; i++)
        {
          if (check_stop && is_stopping (jobs))
            break;
          execute_job (jobs, conn, batch->pdata[i], now);
        }
      /* release the rest rather than leave them leased for minutes */
      for (; i < batch->len; i++)
        {
          const CsPaymentJob *job = batch->pdata[i];
          g_autoptr(GError) release_error = NULL;

          if (!cs_store_payment_job_retry (conn, job->id, now, "the job runner stopped", &release_error))
            log_failure ("releasing a payment job", release_error);
        }
      if (batch->len < max || (check_stop && is_stopping (jobs)))
        return TRUE;
      /* one batch at a time while requests queue: the rest a moment later */
      if (check_stop && under_load (jobs))
        {
          schedule_retry (jobs);
          return TRUE;
        }
    }
}

gboolean
cs_jobs_run_due (CsJobs *jobs, CsStoreConn *conn, GError **error)
{
  g_return_val_if_fail (jobs != NULL, FALSE);
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return run_settlement (jobs, conn, jobs_now (jobs), error) &&
         run_payment_jobs (jobs, conn, FALSE, error);
}

/* ---- webhook delivery ------------------------------------------------------------------ */

static void deliver_outbox (CsJobs *jobs);

static void
delivery_free (Delivery *d)
{
  g_free (d->message_id);
  g_clear_object (&d->msg);
  g_free (d);
}

static void
quit_if_drained (CsJobs *jobs)
{
  if (is_stopping (jobs) && jobs->in_flight == 0)
    g_main_loop_quit (jobs->loop);
}

static void
delivery_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Delivery *d = data;
  CsJobs *jobs = d->jobs;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) store_error = NULL;
  g_autoptr(GBytes) answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  guint status = soup_message_get_status (d->msg);
  gint64 now = jobs_now (jobs);

  jobs->in_flight--;
  if (answer != NULL && SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      /* if this fails the claim expires and the receiver sees the event
       * again: it deduplicates by event id */
      if (!cs_store_outbox_delivered (jobs->conn, d->message_id, now, &store_error))
        log_failure ("marking a webhook delivered", store_error);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* stopping: due again at once, for whichever runner comes next */
      if (!cs_store_outbox_retry (jobs->conn, d->message_id, now, "the job runner stopped", &store_error))
        log_failure ("releasing a webhook (its claim will expire)", store_error);
    }
  else
    {
      g_autofree char *reason = error != NULL ? g_strdup (error->message)
                                              : g_strdup_printf ("HTTP status %u", status);
      gint64 delay = backoff_seconds (d->attempts);

      g_message ("jobs: webhook %s not delivered, retrying in %" G_GINT64_FORMAT " s: %s",
                 d->message_id, delay, reason);
      if (!cs_store_outbox_retry (jobs->conn, d->message_id, now + delay, reason, &store_error))
        log_failure ("rescheduling a webhook (its claim will expire)", store_error);
    }
  delivery_free (d);

  if (is_stopping (jobs))
    quit_if_drained (jobs);
  else if (jobs->outbox_more && under_load (jobs))
    schedule_retry (jobs);
  else if (jobs->outbox_more)
    deliver_outbox (jobs);
}

/* With --tls-cert the server's own address is https, usually with a
 * self-signed certificate: when the webhooks go to this machine, the
 * certificate is not what protects them (the signature is). */
static gboolean
accept_loopback_certificate_cb (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors,
                                gpointer data)
{
  const char *host = g_uri_get_host (soup_message_get_uri (msg));

  return g_strcmp0 (host, "127.0.0.1") == 0 || g_strcmp0 (host, "::1") == 0 ||
         g_strcmp0 (host, "localhost") == 0;
}

static void
send_message (CsJobs *jobs, CsOutboxMessage *m, gint64 now)
{
  g_autofree char *uri = g_strconcat (jobs->base_url, "/api/v1/webhooks/", m->endpoint, NULL);
  g_autofree char *signature = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *msg;
  Delivery *d;
  gsize len;

  msg = soup_message_new (SOUP_METHOD_POST, uri);
  if (msg == NULL)
    {
      g_warning ("jobs: cannot deliver webhooks: the webhook URL is not valid");
      if (!cs_store_outbox_retry (jobs->conn, m->id, now + MAX_BACKOFF, "invalid webhook URL", &error))
        log_failure ("rescheduling a webhook", error);
      return;
    }
  len = strlen (m->body);
  /* signed now, not when queued: the receiver checks the timestamp */
  signature = cs_webhook_sign (jobs->secret, now, m->body, len);
  soup_message_headers_replace (soup_message_get_request_headers (msg), CS_WEBHOOK_SIGNATURE_HEADER, signature);
  body = g_bytes_new_take (g_steal_pointer (&m->body), len);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  /* libsoup opens a new connection for every POST unless told it may be
   * resent: receivers deduplicate by event id, so keep-alive is safe */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_loopback_certificate_cb), NULL);

  d = g_new0 (Delivery, 1);
  d->jobs = jobs;
  d->message_id = g_strdup (m->id);
  d->attempts = m->attempts;
  d->msg = msg;
  jobs->in_flight++;
  soup_session_send_and_read_async (jobs->session, msg, G_PRIORITY_DEFAULT, jobs->cancellable,
                                    delivery_done_cb, d);
}

static void
deliver_outbox (CsJobs *jobs)
{
  if (jobs->base_url == NULL)
    return;
  while (!is_stopping (jobs))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) batch = NULL;
      guint room = OUTBOX_IN_FLIGHT - MIN (jobs->in_flight, OUTBOX_IN_FLIGHT);
      gint64 now = jobs_now (jobs);

      if (room == 0)
        {
          /* look again as soon as one of those in flight is done */
          jobs->outbox_more = TRUE;
          return;
        }
      batch = cs_store_outbox_claim (jobs->conn, jobs->worker, now, OUTBOX_LEASE, room, &error);
      if (batch == NULL)
        {
          log_failure ("claiming webhooks", error);
          return;
        }
      for (guint i = 0; i < batch->len; i++)
        send_message (jobs, batch->pdata[i], now);
      if (batch->len < room)
        {
          jobs->outbox_more = FALSE;
          return;
        }
    }
}

/* ---- the thread ------------------------------------------------------------------ */

static void tick (CsJobs *jobs, gboolean with_settlement);

#define LOAD_RETRY_MS      100
#define LOAD_MAX_DEFER_US  (2 * G_USEC_PER_SEC)

static gboolean
retry_cb (gpointer data)
{
  CsJobs *jobs = data;

  jobs->retry_source = 0;
  tick (jobs, FALSE);
  return G_SOURCE_REMOVE;
}

/* Whether to leave the gateway and the webhooks for a moment: the server
 * is answering a burst of requests (a launch's pledge storm), whose people
 * wait on the answer, while this work only confirms later.  Deferral is
 * bounded: after LOAD_MAX_DEFER_US one round runs anyway. */
static gboolean
under_load (CsJobs *jobs)
{
  return jobs->load_func != NULL && jobs->load_func (jobs->load_data) > jobs->load_threshold;
}

static void
schedule_retry (CsJobs *jobs)
{
  GSource *source;

  if (jobs->retry_source != 0)
    return;
  source = g_timeout_source_new (LOAD_RETRY_MS);
  g_source_set_callback (source, retry_cb, jobs, NULL);
  jobs->retry_source = g_source_attach (source, jobs->context);
  g_source_unref (source);
}

static gboolean
defer_for_load (CsJobs *jobs)
{
  gint64 now = g_get_monotonic_time ();

  if (!under_load (jobs))
    {
      jobs->busy_since = 0;
      return FALSE;
    }
  if (jobs->busy_since == 0)
    jobs->busy_since = now;
  else if (now - jobs->busy_since >= LOAD_MAX_DEFER_US)
    {
      jobs->busy_since = now;
      return FALSE;
    }
  schedule_retry (jobs);
  return TRUE;
}

static void
tick (CsJobs *jobs, gboolean with_settlement)
{
  g_autoptr(GError) error = NULL;

  if (is_stopping (jobs))
    return;
  if (!cs_store_conn_is_usable (jobs->conn))
    {
      /* the database dropped our connection (a restart): open another */
      CsStoreConn *fresh = cs_store_connect (jobs->store, &error);

      if (fresh == NULL)
        {
          log_failure ("reconnecting to the database", error);
          return;
        }
      cs_store_conn_free (jobs->conn);
      jobs->conn = fresh;
    }
  if (with_settlement && jobs->tick_func != NULL)
    jobs->tick_func (jobs->conn, jobs->tick_data);
  /* the log is folded back here, not by commits on request threads */
  if (with_settlement && !cs_store_checkpoint (jobs->conn, &error))
    {
      log_failure ("checkpointing the database", error);
      g_clear_error (&error);
    }
  if (with_settlement && !run_settlement (jobs, jobs->conn, jobs_now (jobs), &error))
    {
      log_failure ("settlement", error);
      g_clear_error (&error);
    }
  if (defer_for_load (jobs))
    return;
  if (!run_payment_jobs (jobs, jobs->conn, TRUE, &error))
    log_failure ("claiming payment jobs", error);
  /* the jobs just done queued their webhooks */
  deliver_outbox (jobs);
}

static gboolean
poll_cb (gpointer data)
{
  tick (data, TRUE);
  return G_SOURCE_CONTINUE;
}

static gboolean
wake_cb (gpointer data)
{
  CsJobs *jobs = data;

  g_atomic_int_set (&jobs->wake_pending, 0);
  tick (jobs, FALSE);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_cb (gpointer data)
{
  CsJobs *jobs = data;

  g_cancellable_cancel (jobs->cancellable);
  quit_if_drained (jobs);
  return G_SOURCE_REMOVE;
}

#define JOBS_NICE 10

static gpointer
thread_main (gpointer data)
{
  CsJobs *jobs = data;
  GError *error = NULL;
  GSource *poll = NULL;

  /* Background work yields to requests: under a burst of pledges the
   * people waiting on an answer go first, and the authorizations, webhooks
   * and settlements catch up right after (Linux nice values are per thread). */
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), JOBS_NICE) != 0)
    g_debug ("jobs: could not lower the thread's priority: %s", g_strerror (errno));
  g_main_context_push_thread_default (jobs->context);
  jobs->conn = cs_store_connect (jobs->store, &error);
  if (jobs->conn != NULL)
    {
      /* created here: a SoupSession belongs to the context it was made on */
      jobs->session = soup_session_new_with_options ("max-conns", OUTBOX_IN_FLIGHT * 2,
                                                     "max-conns-per-host", OUTBOX_IN_FLIGHT,
                                                     "timeout", REQUEST_TIMEOUT,
                                                     "idle-timeout", 60,
                                                     "user-agent", "CrowdSpark-Webhooks/" PACKAGE_VERSION,
                                                     NULL);
      jobs->cancellable = g_cancellable_new ();
    }

  g_mutex_lock (&jobs->lock);
  jobs->start_error = error;
  jobs->ready = TRUE;
  g_cond_signal (&jobs->cond);
  g_mutex_unlock (&jobs->lock);

  if (jobs->conn != NULL)
    {
      poll = g_timeout_source_new_seconds (POLL_INTERVAL);
      g_source_set_callback (poll, poll_cb, jobs, NULL);
      g_source_attach (poll, jobs->context);
      cs_jobs_wake (jobs);
      g_main_loop_run (jobs->loop);
      g_source_destroy (poll);
      g_source_unref (poll);
      soup_session_abort (jobs->session);
    }

  g_clear_object (&jobs->session);
  g_clear_object (&jobs->cancellable);
  /* let closing connections finish on this context */
  while (g_main_context_iteration (jobs->context, FALSE))
    ;
  g_clear_pointer (&jobs->conn, cs_store_conn_free);
  g_main_context_pop_thread_default (jobs->context);
  return NULL;
}

CsJobs *
cs_jobs_new (CsStore *store, CsGateway *gateway, const char *webhook_base_url, const char *webhook_secret,
             CsNowFunc now, gpointer now_data, CsProgressFunc progress, gpointer progress_data)
{
  CsJobs *jobs;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (webhook_base_url == NULL || webhook_secret != NULL, NULL);

  jobs = g_new0 (CsJobs, 1);
  jobs->store = store;
  jobs->gateway = gateway;
  if (webhook_base_url != NULL)
    {
      jobs->base_url = g_strdup (webhook_base_url);
      /* "http://host:port/" and "http://host:port" both work */
      while (g_str_has_suffix (jobs->base_url, "/"))
        jobs->base_url[strlen (jobs->base_url) - 1] = '\0';
    }
  jobs->secret = g_strdup (webhook_secret);
  jobs->now_func = now;
  jobs->now_data = now_data;
  jobs->progress_func = progress;
  jobs->progress_data = progress_data;
  jobs->worker = cs_id_new ("wrk");
  jobs->context = g_main_context_new ();
  jobs->loop = g_main_loop_new (jobs->context, FALSE);
  g_mutex_init (&jobs->lock);
  g_cond_init (&jobs->cond);
  return jobs;
}

gboolean
cs_jobs_start (CsJobs *jobs, GError **error)
{
  g_return_val_if_fail (jobs != NULL, FALSE);
  g_return_val_if_fail (jobs->thread == NULL, FALSE);
  g_return_val_if_fail (!is_stopping (jobs), FALSE);

  g_atomic_int_set (&jobs->running, TRUE);
  jobs->thread = g_thread_new ("cs-jobs", thread_main, jobs);
  g_mutex_lock (&jobs->lock);
  while (!jobs->ready)
    g_cond_wait (&jobs->cond, &jobs->lock);
  g_mutex_unlock (&jobs->lock);

  if (jobs->start_error != NULL)
    {
      g_atomic_int_set (&jobs->running, FALSE);
      g_clear_pointer (&jobs->thread, g_thread_join);
      g_propagate_prefixed_error (error, g_steal_pointer (&jobs->start_error), "The job runner could not start: ");
      return FALSE;
    }
  return TRUE;
}

void
cs_jobs_wake (CsJobs *jobs)
{
  GSource *source;

  if (jobs == NULL || !g_atomic_int_get (&jobs->running))
    return;
  /* many wake-ups before the thread looks: one pass */
  if (!g_atomic_int_compare_and_exchange (&jobs->wake_pending, 0, 1))
    return;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, wake_cb, jobs, NULL);
  g_source_attach (source, jobs->context);
  g_source_unref (source);
}

void
cs_jobs_stop (CsJobs *jobs)
{
  if (jobs == NULL || jobs->thread == NULL)
    return;
  g_atomic_int_set (&jobs->running, FALSE);
  g_atomic_int_set (&jobs->stopping, TRUE);
  g_main_context_invoke (jobs->context, stop_cb, jobs);
  g_clear_pointer (&jobs->thread, g_thread_join);
}

void
cs_jobs_free (CsJobs *jobs)
{
  if (jobs == NULL)
    return;
  cs_jobs_stop (jobs);
  g_clear_pointer (&jobs->loop, g_main_loop_unref);
  /* destroys wake-ups that arrived after the thread ended */
  g_clear_pointer (&jobs->context, g_main_context_unref);
  g_clear_error (&jobs->start_error);
  g_mutex_clear (&jobs->lock);
  g_cond_clear (&jobs->cond);
  if (jobs->secret != NULL)
    sodium_memzero (jobs->secret, strlen (jobs->secret));
  g_free (jobs->secret);
  g_free (jobs->base_url);
  g_free (jobs->worker);
  g_free (jobs);
}

const char *
cs_jobs_worker_id (CsJobs *jobs)
{
  g_return_val_if_fail (jobs != NULL, NULL);
  return jobs->worker;
}

void
cs_jobs_set_tick_func (CsJobs *jobs, CsJobsTickFunc func, gpointer data)
{
  g_return_if_fail (jobs != NULL && jobs->thread == NULL);
  jobs->tick_func = func;
  jobs->tick_data = data;
}

void
cs_jobs_set_load_probe (CsJobs *jobs, CsLoadFunc load, gpointer data, guint threshold)
{
  g_return_if_fail (jobs != NULL && jobs->thread == NULL);
  jobs->load_func = load;
  jobs->load_data = data;
  jobs->load_threshold = threshold;
}
