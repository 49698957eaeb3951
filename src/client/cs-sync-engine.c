/* cs-sync-engine.c: keeps the cache fresh and sends the outbox (cs-sync-engine.h).
 *
 * A pass is a chain of asynchronous steps on the main context:
 *   outbox → sync pages → the user's pledges → categories → done.
 * Only one pass runs at a time; a refresh asked for while one runs joins it,
 * and a write queued meanwhile asks for one more pass afterwards.
 *
 * Sending the outbox: items go oldest first, each with the idempotency key
 * it was stored with.  A change sets an absolute amount (repeating it changes
 * nothing more) and a repeated cancellation of a pledge that is already
 * cancelled counts as done, so an item whose answer was lost (a crash, the
 * network) is sent again safely and its effect happens once.  A network
 * failure stops the flush (the item stays, to go with the next pass); a
 * server refusal (4xx) marks the item failed with the server's reason, for
 * the person to see; a server error (5xx) records the attempt and stops.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cs-client-error.h"
#include "cs-sync-engine.h"

#define PERIODIC_SECONDS (5 * 60)
#define CURSOR_KEY       "sync.cursor"

struct _CsSyncEngine
{
  GObject       parent_instance;

  CsApiClient  *api;
  CsSession    *session;
  CsCache      *cache;
  CsLiveClient *live;

  GCancellable *cancellable;     /* the engine's own work; cancelled by stop/dispose */
  guint         periodic_id;
  gboolean      started;

  gboolean      online;
  gboolean      synchronizing;
  char         *last_error;

  GPtrArray    *waiters;         /* GTask* of refresh calls the running pass completes */
  GPtrArray    *next_waiters;    /* GTask* of refresh calls asked for during it: the next pass's */
  gboolean      again;           /* another pass was asked for while one ran */
  char         *pass_user_id;    /* whose pledges the running pass refreshes */
  GHashTable   *pledge_states;   /* pledge id → PledgeNews: the last state heard */
  gboolean      cursor_reset;    /* the running pass already restarted from scratch */
  gboolean      pages_fetching;  /* a /sync page is on its way */
  guint         pages_storing;   /* pages handed to the cache, not yet stored */
  GError       *pages_error;     /* the first failure among them */
};

G_DEFINE_FINAL_TYPE (CsSyncEngine, cs_sync_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ONLINE,
  PROP_SYNCHRONIZING,
  PROP_LAST_ERROR,
  N_PROPS
};

enum {
  SIGNAL_PLEDGE_CHANGED,
  SIGNAL_CAMPAIGN_PROGRESS,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void pass_start          (CsSyncEngine *self);
static void pass_outbox_next    (CsSyncEngine *self, GPtrArray *items, guint index);
static void pass_sync_page      (CsSyncEngine *self, const char *cursor);
static void pass_pledges        (CsSyncEngine *self);
static void pass_categories     (CsSyncEngine *self);

/* ---- state ------------------------------------------------------------------------------- */

static void
set_online (CsSyncEngine *self, gboolean online)
{
  if (self->online == online)
    return;
  self->online = online;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
}

static void
set_synchronizing (CsSyncEngine *self, gboolean synchronizing)
{
  if (self->synchronizing == synchronizing)
    return;
  self->synchronizing = synchronizing;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNCHRONIZING]);
}

static void
set_last_error (CsSyncEngine *self, const char *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

/* Records what a failed request says about the server: unreachable (offline),
 * or reachable but failing (a server problem).  A refused sign-in is the
 * session's business (it signs out), not a server problem. */
static void
note_failure (CsSyncEngine *self, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE))
    {
      set_online (self, FALSE);
      return;
    }
  set_online (self, TRUE);
  if (!g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH))
    set_last_error (self, error->message);
}

static void
note_success (CsSyncEngine *self)
{
  set_online (self, TRUE);
}

typedef struct {
  char *status;
  char *failure_reason;
} PledgeNews;

static void
pledge_news_free (PledgeNews *news)
{
  g_free (news->status);
  g_free (news->failure_reason);
  g_free (news);
}

/* Remembers @status for @pledge_id and says whether it is news. */
static gboolean
pledge_state_changed (CsSyncEngine *self, const char *pledge_id, const char *status,
                      const char *failure_reason)
{
  PledgeNews *known = g_hash_table_lookup (self->pledge_states, pledge_id);

  if (known != NULL && g_strcmp0 (known->status, status) == 0)
    return FALSE;
  known = g_new0 (PledgeNews, 1);
  known->status = g_strdup (status);
  known->failure_reason = g_strdup (failure_reason);
  g_hash_table_replace (self->pledge_states, g_strdup (pledge_id), known);
  return TRUE;
}

static void
emit_pledge_changed (CsSyncEngine *self, const CsPledge *pledge)
{
  const char *status = cs_pledge_status_to_string (pledge->status);

  if (pledge_state_changed (self, pledge->id, status, pledge->failure_reason))
    g_signal_emit (self, signals[SIGNAL_PLEDGE_CHANGED], 0, pledge->id, status, pledge->failure_reason);
}

static const char *
signed_in_user (CsSyncEngine *self)
{
  if (self->session == NULL || !cs_session_get_signed_in (self->session))
    return NULL;
  return cs_session_get_user_id (self->session);
}

/* ---- the pass ------------------------------------------------------------------------------ */

static void
pass_finish (CsSyncEngine *self, const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_clear_pointer (&self->pass_user_id, g_free);
  if (error == NULL)
    {
      note_success (self);
      set_last_error (self, NULL);
    }
  else
    note_failure (self, error);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }

  if (self->next_waiters->len > 0 ||
      (self->again && self->started && !g_cancellable_is_cancelled (self->cancellable)))
    {
      g_autoptr(GPtrArray) next = g_steal_pointer (&self->next_waiters);

      self->next_waiters = g_steal_pointer (&self->waiters);
      self->waiters = g_steal_pointer (&next);
      self->again = FALSE;
      pass_start (self);
      return;
    }
  self->again = FALSE;
  set_synchronizing (self, FALSE);
}

static void
pass_start (CsSyncEngine *self)
{
  set_synchronizing (self, TRUE);
  self->cursor_reset = FALSE;
  g_free (self->pass_user_id);
  self->pass_user_id = g_strdup (signed_in_user (self));
  if (self->pass_user_id == NULL)
    {
      pass_sync_page (self, NULL);   /* reads the cursor first (NULL: not read yet) */
      return;
    }
  /* list the outbox, then send it item by item */
  pass_outbox_next (self, NULL, 0);
}

/* -- the outbox -- */

typedef struct {
  CsSyncEngine *self;
  GPtrArray    *items;
  guint         index;
  gboolean      done;    /* recorded with outbox_done (else outbox_failed) */
} OutboxStep;

static void
outbox_step_free (OutboxStep *step)
{
  g_object_unref (step->self);
  g_ptr_array_unref (step->items);
  g_free (step);
}

static OutboxStep *
outbox_step_new (CsSyncEngine *self, GPtrArray *items, guint index)
{
  OutboxStep *step = g_new0 (OutboxStep, 1);

  step->self = g_object_ref (self);
  step->items = g_ptr_array_ref (items);
  step->index = index;
  return step;
}

static void
outbox_listed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(CsSyncEngine) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = cs_cache_outbox_list_finish (CS_CACHE (source), result, &error);

  if (items == NULL)
    {
      pass_finish (self, error);
      return;
    }
  pass_outbox_next (self, items, 0);
}

static void
outbox_recorded_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  OutboxStep *step = data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (step->done)
    ok = cs_cache_outbox_done_finish (CS_CACHE (source), result, &error);
  else
    ok = cs_cache_outbox_failed_finish (CS_CACHE (source), result, &error);
  if (!ok)
    {
      CsSyncEngine *self = step->self;

      pass_finish (self, error);
      outbox_step_free (step);
      return;
    }
  pass_outbox_next (step->self, step->items, step->index + 1);
  outbox_step_free (step);
}

static void outbox_sent_cb (GObject *source, GAsyncResult *result, gpointer data);

static void
outbox_cancel_checked_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  OutboxStep *step = data;
  CsSyncEngine *self = step->self;
  CsOutboxItem *item = g_ptr_array_index (step->items, step->index);
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = cs_api_client_get_pledge_finish (CS_API_CLIENT (source), result, &error);

  if (pledge == NULL)
    {
      pass_finish (self, error);
      outbox_step_free (step);
      return;
    }
  if (pledge->status == CS_PLEDGE_CANCELLED)
    {
      /* the earlier attempt went through; its answer was lost */
      emit_pledge_changed (self, pledge);
      step->done = TRUE;
      cs_cache_outbox_done_async (self->cache, item->id, self->pass_user_id, pledge, self->cancellable,
                                  outbox_recorded_cb, step);
      return;
    }
  cs_cache_outbox_failed_async (self->cache, item->id, item->last_error, TRUE, self->cancellable,
                                outbox_recorded_cb, step);
}

static void
outbox_sent_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  OutboxStep *step = data;
  CsSyncEngine *self = step->self;
  CsOutboxItem *item = g_ptr_array_index (step->items, step->index);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = cs_api_client_call_finish (CS_API_CLIENT (source), result, &error);
  g_autoptr(CsPledge) pledge = NULL;

  if (node == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE) ||
          g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH))
        {
          /* kept as it is, for the next pass */
          pass_finish (self, error);
          outbox_step_free (step);
          return;
        }
      if (cs_client_error_is_transient (error))
        {
          note_failure (self, error);
          cs_cache_outbox_failed_async (self->cache, item->id, error->message, FALSE, self->cancellable,
                                        outbox_recorded_cb, step);
          return;
        }
      /* Refused.  A cancellation refused because the pledge is no longer
       * active may be our own earlier attempt: look before calling it failed. */
      if (g_strcmp0 (item->kind, "pledge.cancel") == 0 && item->target_id != NULL &&
          cs_client_error_get_status (error) == 409)
        {
          g_free (item->last_error);
          item->last_error = g_strdup (error->message);
          cs_api_client_get_pledge_async (self->api, item->target_id, self->cancellable,
                                          outbox_cancel_checked_cb, step);
          return;
        }
      cs_cache_outbox_failed_async (self->cache, item->id, error->message, TRUE, self->cancellable,
                                    outbox_recorded_cb, step);
      return;
    }

  note_success (self);
  if (g_str_has_prefix (item->kind, "pledge.") && JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(GError) parse_error = NULL;

      pledge = cs_pledge_from_json (json_node_get_object (node), &parse_error);
      if (pledge == NULL)
        g_warning ("outbox: the answer to %s %s is not a pledge: %s", item->method, item->path,
                   parse_error->message);
      else
        emit_pledge_changed (self, pledge);
    }
  step->done = TRUE;
  cs_cache_outbox_done_async (self->cache, item->id, self->pass_user_id, pledge, self->cancellable,
                              outbox_recorded_cb, step);
}

static void
pass_outbox_next (CsSyncEngine *self, GPtrArray *items, guint index)
{
  if (items == NULL)
    {
      cs_cache_outbox_list_async (self->cache, self->cancellable, outbox_listed_cb, g_object_ref (self));
      return;
    }
  for (; index < items->len; index++)
    {
      CsOutboxItem *item = g_ptr_array_index (items, index);

      if (item->failed)
        continue;
      cs_api_client_call_async (self->api, item->method, item->path, item->body, CS_API_CALL_AUTH,
                                item->idempotency_key, self->cancellable, outbox_sent_cb,
                                outbox_step_new (self, items, index));
      return;
    }
  pass_sync_page (self, NULL);
}

/* -- GET /sync pages -- */

static void
cursor_read_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(CsSyncEngine) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *cursor = cs_cache_get_value_finish (CS_CACHE (source), result, &error);

  if (error != NULL)
    {
      pass_finish (self, error);
      return;
    }
  /* "" marks "from the start" once the cursor was read */
  pass_sync_page (self, cursor != NULL ? cursor : "");
}

/* Pages are pipelined: the next page is fetched while the cache stores the
 * last one (the cache's one worker thread stores them in order, each with
 * its cursor), and the pass goes on once the last page is stored. */
typedef struct {
  CsSyncEngine  *self;
  CsApiSyncPage *page;
} PageStep;

static void
page_step_free (PageStep *step)
{
  g_object_unref (step->self);
  cs_api_sync_page_free (step->page);
  g_free (step);
}

static void
pages_settle (CsSyncEngine *self)
{
  g_autoptr(GError) error = NULL;

  if (self->pages_storing > 0 || self->pages_fetching)
    return;
  error = g_steal_pointer (&self->pages_error);
  if (error != NULL)
    pass_finish (self, error);
  else
    pass_pledges (self);
}

static void
page_stored_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  PageStep *step = data;
  CsSyncEngine *self = step->self;
  g_autoptr(GError) error = NULL;

  if (!cs_cache_apply_sync_finish (CS_CACHE (source), result, &error) && self->pages_error == NULL)
    self->pages_error = g_steal_pointer (&error);
  self->pages_storing--;
  pages_settle (self);
  page_step_free (step);
}

static void
page_fetched_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(CsSyncEngine) self = data;
  g_autoptr(GError) error = NULL;
  CsApiSyncPage *page = cs_api_client_sync_finish (CS_API_CLIENT (source), result, &error);
  PageStep *step;

  self->pages_fetching = FALSE;
  if (page == NULL)
    {
      /* A cursor the server no longer knows (its data was reset): start over, once. */
      if (cs_client_error_get_status (error) == 422 && !self->cursor_reset && self->pages_storing == 0)
        {
          self->cursor_reset = TRUE;
          pass_sync_page (self, "");
          return;
        }
      if (self->pages_error == NULL)
        self->pages_error = g_steal_pointer (&error);
      pages_settle (self);
      return;
    }
  note_success (self);
  if (self->pages_error == NULL && page->has_more && page->next_cursor != NULL)
    pass_sync_page (self, page->next_cursor);
  step = g_new0 (PageStep, 1);
  step->self = g_object_ref (self);
  step->page = page;
  self->pages_storing++;
  cs_cache_apply_sync_async (self->cache, page, self->cancellable, page_stored_cb, step);
}

/* @cursor NULL: read it from the cache first; "": from the start. */
static void
pass_sync_page (CsSyncEngine *self, const char *cursor)
{
  if (cursor == NULL)
    {
      cs_cache_get_value_async (self->cache, CURSOR_KEY, self->cancellable, cursor_read_cb,
                                g_object_ref (self));
      return;
    }
  self->pages_fetching = TRUE;
  cs_api_client_sync_async (self->api, cursor[0] != '\0' ? cursor : NULL, self->cancellable,
                            page_fetched_cb, g_object_ref (self));
}

/* -- the user's pledges -- */

typedef struct {
  CsSyncEngine *self;
  GPtrArray    *fresh;      /* CsPledge* from the server */
} PledgeStep;

static void
pledge_step_free (PledgeStep *step)
{
  g_object_unref (step->self);
  g_clear_pointer (&step->fresh, g_ptr_array_unref);
  g_free (step);
}

static void
pledges_stored_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  PledgeStep *step = data;
  CsSyncEngine *self = step->self;
  g_autoptr(GError) error = NULL;

  if (!cs_cache_put_pledges_finish (CS_CACHE (source), result, &error))
    pass_finish (self, error);
  else
    {
      /* Tell what changed while we were not listening (offline, closed);
       * a pledge seen for the first time (a first sign-in on this
       * computer) is the baseline, not news. */
      for (guint i = 0; i < step->fresh->len; i++)
        {
          CsPledge *p = g_ptr_array_index (step->fresh, i);

          if (g_hash_table_contains (self->pledge_states, p->id))
            emit_pledge_changed (self, p);
          else
            pledge_state_changed (self, p->id, cs_pledge_status_to_string (p->status), p->failure_reason);
        }
      pass_categories (self);
    }
  pledge_step_free (step);
}

static void
cached_pledges_read_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  PledgeStep *step = data;
  CsSyncEngine *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cached = cs_cache_list_pledges_finish (CS_CACHE (source), result, &error);

  if (cached == NULL)
    {
      pass_finish (self, error);
      pledge_step_free (step);
      return;
    }
  /* What the cache knew is the baseline: only differences are news. */
  for (guint i = 0; i < cached->len; i++)
    {
      CsPledge *p = g_ptr_array_index (cached, i);

      if (!g_hash_table_contains (self->pledge_states, p->id))
        pledge_state_changed (self, p->id, cs_pledge_status_to_string (p->status), p->failure_reason);
    }
  cs_cache_put_pledges_async (self->cache, self->pass_user_id, step->fresh, TRUE, self->cancellable,
                              pledges_stored_cb, step);
}

static void
pledges_fetched_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(CsSyncEngine) self = data;
  g_autoptr(GError) error = NULL;
  GPtrArray *pledges = cs_api_client_list_user_pledges_finish (CS_API_CLIENT (source), result, &error);
  PledgeStep *step;

  if (pledges == NULL)
    {
      pass_finish (self, error);
      return;
    }
  note_success (self);
  step = g_new0 (PledgeStep, 1);
  step->self = g_object_ref (self);
  step->fresh = pledges;
  cs_cache_list_pledges_async (self->cache, self->pass_user_id, self->cancellable, cached_pledges_read_cb,
                               step);
}

static void
pass_pledges (CsSyncEngine *self)
{
  if (self->pass_user_id == NULL || g_strcmp0 (self->pass_user_id, signed_in_user (self)) != 0)
    {
      pass_categories (self);
      return;
    }
  cs_api_client_list_user_pledges_async (self->api, self->pass_user_id, self->cancellable,
                                         pledges_fetched_cb, g_object_ref (self));
}

/* -- categories -- */

static void
categories_stored_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(CsSyncEngine) self = data;
  g_autoptr(GError) error = NULL;

  if (!cs_cache_put_categories_finish (CS_CACHE (source), result, &error))
    pass_finish (self, error);
  else
    pass_finish (self, NULL);
}

static void
categories_fetched_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(CsSyncEngine) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) categories = cs_api_client_list_categories_finish (CS_API_CLIENT (source), result,
                                                                          &error);

  if (categories == NULL)
    {
      pass_finish (self, error);
      return;
    }
  cs_cache_put_categories_async (self->cache, categories, self->cancellable, categories_stored_cb,
                                 g_object_ref (self));
}

static void
pass_categories (CsSyncEngine *self)
{
  cs_api_client_list_categories_async (self->api, self->cancellable, categories_fetched_cb,
                                       g_object_ref (self));
}

/* Asks for a pass: starts one, or one more after the running one. */
static void
request_pass (CsSyncEngine *self)
{
  if (!self->started)
    return;
  if (self->synchronizing)
    self->again = TRUE;
  else
    pass_start (self);
}

/* ---- callbacks ------------------------------------------------------------------------------ */

static gboolean
periodic_cb (gpointer data)
{
  request_pass (CS_SYNC_ENGINE (data));
  return G_SOURCE_CONTINUE;
}

static void
progress_stored_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  if (!cs_cache_update_progress_finish (CS_CACHE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("sync: a live progress event could not be cached: %s", error->message);
}

static void
pledge_refetched_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(CsSyncEngine) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CsPledge) pledge = cs_api_client_get_pledge_finish (CS_API_CLIENT (source), result, &error);
  const char *user_id = signed_in_user (self);
  g_autoptr(GPtrArray) one = NULL;

  if (pledge == NULL)
    {
      note_failure (self, error);
      return;
    }
  if (user_id == NULL || g_strcmp0 (pledge->backer_id, user_id) != 0)
    return;
  one = g_ptr_array_new ();
  g_ptr_array_add (one, pledge);
  cs_cache_put_pledges_async (self->cache, user_id, one, FALSE, self->cancellable, NULL, NULL);
}

static void
live_event_cb (CsLiveClient *live, const char *type, JsonObject *event, gpointer data)
{
  CsSyncEngine *self = data;

  if (g_strcmp0 (type, "campaign.progress") == 0)
    {
      const char *campaign_id = cs_json_get_string_or (event, "campaign_id", NULL);
      const char *status = cs_json_get_string_or (event, "status", NULL);
      gint64 amount = cs_json_get_int_or (event, "current_amount", -1);
      gint64 backers = cs_json_get_int_or (event, "backer_count", -1);
      CsCampaignStatus parsed;

      if (campaign_id == NULL || amount < 0 || backers < 0 || !cs_campaign_status_from_string (status, &parsed))
        {
          g_warning ("sync: a campaign.progress event without its fields was ignored");
          return;
        }
      cs_cache_update_progress_async (self->cache, campaign_id, amount, backers, status, self->cancellable,
                                      progress_stored_cb, NULL);
      g_signal_emit (self, signals[SIGNAL_CAMPAIGN_PROGRESS], 0, campaign_id, amount, backers, status);
    }
  else if (g_strcmp0 (type, "pledge.updated") == 0)
    {
      const char *pledge_id = cs_json_get_string_or (event, "pledge_id", NULL);
      const char *status = cs_json_get_string_or (event, "status", NULL);
      const char *reason = cs_json_get_string_or (event, "failure_reason", NULL);
      CsPledgeStatus parsed;

      if (pledge_id == NULL || !cs_pledge_status_from_string (status, &parsed))
        {
          g_warning ("sync: a pledge.updated event without its fields was ignored");
          return;
        }
      if (pledge_state_changed (self, pledge_id, status, reason))
        g_signal_emit (self, signals[SIGNAL_PLEDGE_CHANGED], 0, pledge_id, status, reason);
      /* the whole pledge, for the cache (the event carries only its news) */
      cs_api_client_get_pledge_async (self->api, pledge_id, self->cancellable, pledge_refetched_cb,
                                      g_object_ref (self));
    }
}

static void
live_connected_cb (GObject *object, GParamSpec *pspec, gpointer data)
{
  CsSyncEngine *self = data;

  if (!cs_live_client_get_connected (CS_LIVE_CLIENT (object)))
    return;
  /* Back: catch up on what the connection missed, and send what waited. */
  set_online (self, TRUE);
  request_pass (self);
}

static void
forgotten_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(CsSyncEngine) self = data;
  g_autoptr(GError) error = NULL;

  if (!cs_cache_forget_user_finish (CS_CACHE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("sync: the signed-out account's data could not be removed from the cache: %s",
               error->message);
  request_pass (self);
}

static void
signed_in_changed_cb (GObject *object, GParamSpec *pspec, gpointer data)
{
  CsSyncEngine *self = data;

  g_hash_table_remove_all (self->pledge_states);
  if (cs_session_get_signed_in (CS_SESSION (object)))
    {
      request_pass (self);
      return;
    }
  /* Signed out: the account's pledges, outbox and cursor go. */
  cs_cache_forget_user_async (self->cache, self->cancellable, forgotten_cb, g_object_ref (self));
}

/* ---- overrides ------------------------------------------------------------------------------ */

static void
cs_sync_engine_dispose (GObject *object)
{
  CsSyncEngine *self = CS_SYNC_ENGINE (object);

  cs_sync_engine_stop (self);
  if (self->live != NULL)
    g_signal_handlers_disconnect_by_data (self->live, self);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->api);
  g_clear_object (&self->session);
  g_clear_object (&self->cache);
  g_clear_object (&self->live);
  G_OBJECT_CLASS (cs_sync_engine_parent_class)->dispose (object);
}

static void
cs_sync_engine_finalize (GObject *object)
{
  CsSyncEngine *self = CS_SYNC_ENGINE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  g_clear_pointer (&self->next_waiters, g_ptr_array_unref);
  g_clear_error (&self->pages_error);
  g_clear_pointer (&self->pledge_states, g_hash_table_unref);
  g_free (self->last_error);
  g_free (self->pass_user_id);
  G_OBJECT_CLASS (cs_sync_engine_parent_class)->finalize (object);
}

static void
cs_sync_engine_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsSyncEngine *self = CS_SYNC_ENGINE (object);

  switch (prop_id)
    {
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case PROP_SYNCHRONIZING:
      g_value_set_boolean (value, self->synchronizing);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_sync_engine_class_init (CsSyncEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cs_sync_engine_dispose;
  object_class->finalize = cs_sync_engine_finalize;
  object_class->get_property = cs_sync_engine_get_property;

  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYNCHRONIZING] =
    g_param_spec_boolean ("synchronizing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_PLEDGE_CHANGED] =
    g_signal_new ("pledge-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_CAMPAIGN_PROGRESS] =
    g_signal_new ("campaign-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_INT64, G_TYPE_INT64, G_TYPE_STRING);
}

static void
cs_sync_engine_init (CsSyncEngine *self)
{
  self->online = TRUE;
  self->cancellable = g_cancellable_new ();
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->next_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->pledge_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) pledge_news_free);
}

/* ---- public API ------------------------------------------------------------------------------ */

CsSyncEngine *
cs_sync_engine_new (CsApiClient *api, CsSession *session, CsCache *cache, CsLiveClient *live)
{
  CsSyncEngine *self;

  g_return_val_if_fail (CS_IS_API_CLIENT (api), NULL);
  g_return_val_if_fail (CS_IS_SESSION (session), NULL);
  g_return_val_if_fail (CS_IS_CACHE (cache), NULL);
  g_return_val_if_fail (CS_IS_LIVE_CLIENT (live), NULL);

  self = g_object_new (CS_TYPE_SYNC_ENGINE, NULL);
  self->api = g_object_ref (api);
  self->session = g_object_ref (session);
  self->cache = g_object_ref (cache);
  self->live = g_object_ref (live);
  g_signal_connect (live, "event", G_CALLBACK (live_event_cb), self);
  g_signal_connect (live, "notify::connected", G_CALLBACK (live_connected_cb), self);
  g_signal_connect (session, "notify::signed-in", G_CALLBACK (signed_in_changed_cb), self);
  return self;
}

void
cs_sync_engine_start (CsSyncEngine *self)
{
  g_return_if_fail (CS_IS_SYNC_ENGINE (self));

  if (self->started)
    return;
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_object_unref (self->cancellable);
      self->cancellable = g_cancellable_new ();
    }
  self->started = TRUE;
  self->periodic_id = g_timeout_add_seconds (PERIODIC_SECONDS, periodic_cb, self);
  cs_live_client_start (self->live);
  request_pass (self);
}

void
cs_sync_engine_stop (CsSyncEngine *self)
{
  g_return_if_fail (CS_IS_SYNC_ENGINE (self));

  if (!self->started)
    return;
  self->started = FALSE;
  g_clear_handle_id (&self->periodic_id, g_source_remove);
  if (self->live != NULL)
    cs_live_client_stop (self->live);
  /* The running pass ends with CANCELLED, which completes its waiters. */
  g_cancellable_cancel (self->cancellable);
}

gboolean
cs_sync_engine_get_online (CsSyncEngine *self)
{
  g_return_val_if_fail (CS_IS_SYNC_ENGINE (self), FALSE);
  return self->online;
}

gboolean
cs_sync_engine_get_synchronizing (CsSyncEngine *self)
{
  g_return_val_if_fail (CS_IS_SYNC_ENGINE (self), FALSE);
  return self->synchronizing;
}

const char *
cs_sync_engine_get_last_error (CsSyncEngine *self)
{
  g_return_val_if_fail (CS_IS_SYNC_ENGINE (self), NULL);
  return self->last_error;
}

void
cs_sync_engine_refresh_async (CsSyncEngine *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CS_IS_SYNC_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_sync_engine_refresh_async);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      /* stopped: a new pass gets a fresh cancellable */
      g_object_unref (self->cancellable);
      self->cancellable = g_cancellable_new ();
    }
  if (self->synchronizing)
    {
      /* the running pass may have read before this call: wait for the next */
      g_ptr_array_add (self->next_waiters, g_steal_pointer (&task));
      return;
    }
  g_ptr_array_add (self->waiters, g_steal_pointer (&task));
  pass_start (self);
}

gboolean
cs_sync_engine_refresh_finish (CsSyncEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_sync_engine_watch_campaign (CsSyncEngine *self, const char *campaign_id)
{
  g_return_if_fail (CS_IS_SYNC_ENGINE (self));
  g_return_if_fail (campaign_id != NULL);
  cs_live_client_watch (self->live, campaign_id);
}

void
cs_sync_engine_unwatch_campaign (CsSyncEngine *self, const char *campaign_id)
{
  g_return_if_fail (CS_IS_SYNC_ENGINE (self));
  g_return_if_fail (campaign_id != NULL);
  cs_live_client_unwatch (self->live, campaign_id);
}

/* -- one campaign -- */

static void
campaign_stored_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GError) error = NULL;

  if (!cs_cache_put_campaigns_finish (CS_CACHE (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, cs_campaign_copy (g_task_get_task_data (task)),
                         (GDestroyNotify) cs_campaign_free);
}

static void
campaign_fetched_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GTask) task = data;
  CsSyncEngine *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  CsCampaign *campaign = cs_api_client_get_campaign_finish (CS_API_CLIENT (source), result, &error);
  g_autoptr(GPtrArray) one = NULL;

  if (campaign == NULL)
    {
      note_failure (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  note_success (self);
  g_task_set_task_data (task, campaign, (GDestroyNotify) cs_campaign_free);
  one = g_ptr_array_new ();
  g_ptr_array_add (one, campaign);
  cs_cache_put_campaigns_async (self->cache, one, g_task_get_cancellable (task), campaign_stored_cb,
                                g_object_ref (task));
}

void
cs_sync_engine_fetch_campaign_async (CsSyncEngine *self, const char *campaign_id, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CS_IS_SYNC_ENGINE (self));
  g_return_if_fail (campaign_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_sync_engine_fetch_campaign_async);
  cs_api_client_get_campaign_async (self->api, campaign_id, cancellable, campaign_fetched_cb,
                                    g_steal_pointer (&task));
}

CsCampaign *
cs_sync_engine_fetch_campaign_finish (CsSyncEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -- a new pledge -- */

static gboolean
emit_late_pledge_news_cb (gpointer data)
{
  g_autoptr(GTask) task = data;   /* holds the engine and the pledge */
  CsSyncEngine *self = g_task_get_source_object (task);
  const CsPledge *pledge = g_task_get_task_data (task);
  PledgeNews *known = g_hash_table_lookup (self->pledge_states, pledge->id);

  if (known != NULL)
    g_signal_emit (self, signals[SIGNAL_PLEDGE_CHANGED], 0, pledge->id, known->status,
                   known->failure_reason);
  return G_SOURCE_REMOVE;
}

static void
pledge_created_stored_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GTask) task = data;
  CsSyncEngine *self = g_task_get_source_object (task);
  const CsPledge *pledge = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  const char *status = cs_pledge_status_to_string (pledge->status);
  PledgeNews *known;

  if (!cs_cache_put_pledges_finish (CS_CACHE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("sync: a new pledge could not be cached: %s", error->message);

  /* The gateway may have answered (live) before the creation's own answer
   * arrived: then tell it again once the caller knows the pledge's id. */
  known = g_hash_table_lookup (self->pledge_states, pledge->id);
  if (known == NULL)
    pledge_state_changed (self, pledge->id, status, pledge->failure_reason);
  else if (g_strcmp0 (known->status, status) != 0)
    g_idle_add (emit_late_pledge_news_cb, g_object_ref (task));

  g_task_return_pointer (task, cs_pledge_copy (pledge), (GDestroyNotify) cs_pledge_free);
}

static void
pledge_created_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GTask) task = data;
  CsSyncEngine *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  CsPledge *pledge = cs_api_client_create_pledge_finish (CS_API_CLIENT (source), result, &error);
  const char *user_id = signed_in_user (self);
  g_autoptr(GPtrArray) one = NULL;

  if (pledge == NULL)
    {
      note_failure (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  note_success (self);
  g_task_set_task_data (task, pledge, (GDestroyNotify) cs_pledge_free);
  one = g_ptr_array_new ();
  g_ptr_array_add (one, pledge);
  cs_cache_put_pledges_async (self->cache, user_id != NULL ? user_id : pledge->backer_id, one, FALSE,
                              NULL, pledge_created_stored_cb, g_steal_pointer (&task));
}

void
cs_sync_engine_create_pledge_async (CsSyncEngine *self, const char *campaign_id, gint64 amount,
                                    const char *reward_tier_id, const char *payment_method,
                                    const char *idempotency_key, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CS_IS_SYNC_ENGINE (self));
  g_return_if_fail (campaign_id != NULL && payment_method != NULL && idempotency_key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_sync_engine_create_pledge_async);
  cs_api_client_create_pledge_async (self->api, campaign_id, amount, reward_tier_id, payment_method,
                                     idempotency_key, cancellable, pledge_created_cb, g_steal_pointer (&task));
}

CsPledge *
cs_sync_engine_create_pledge_finish (CsSyncEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -- queued writes -- */

static void
queued_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GTask) task = data;
  CsSyncEngine *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (cs_cache_outbox_add_finish (CS_CACHE (source), result, &error) <= 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
  request_pass (self);
}

static void
queue_write (CsSyncEngine *self, GTask *task, const char *kind, const char *method, const char *path,
             const char *body, const char *target_id)
{
  g_autofree char *key = cs_api_new_idempotency_key ();
  CsOutboxItem item = {
    .kind = (char *) kind,
    .method = (char *) method,
    .path = (char *) path,
    .body = (char *) body,
    .idempotency_key = key,
    .target_id = (char *) target_id,
  };

  if (signed_in_user (self) == NULL)
    {
      g_task_return_new_error (task, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH,
                               _("Sign in to change your pledges."));
      g_object_unref (task);
      return;
    }
  cs_cache_outbox_add_async (self->cache, &item, g_task_get_cancellable (task), queued_cb, task);
}

void
cs_sync_engine_change_pledge_async (CsSyncEngine *self, const char *pledge_id, gint64 amount,
                                    const char *reward_tier_id, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  g_autoptr(CsJsonWriter) w = NULL;
  g_autofree char *body = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CS_IS_SYNC_ENGINE (self));
  g_return_if_fail (pledge_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_sync_engine_change_pledge_async);
  if (amount <= 0)
    {
      g_task_return_new_error (task, CS_CLIENT_ERROR, CS_CLIENT_ERROR_CLIENT,
                               _("A pledge must be more than zero."));
      g_object_unref (task);
      return;
    }
  w = cs_json_writer_new ();
  cs_json_writer_begin_object (w);
  cs_json_writer_member_int (w, "amount", amount);
  if (reward_tier_id != NULL)
    {
      if (reward_tier_id[0] == '\0')
        cs_json_writer_member_null (w, "reward_tier_id");
      else
        cs_json_writer_member_string (w, "reward_tier_id", reward_tier_id);
    }
  cs_json_writer_end_object (w);
  body = cs_json_writer_free_to_string (g_steal_pointer (&w));
  escaped = g_uri_escape_string (pledge_id, NULL, FALSE);
  path = g_strconcat ("/api/v1/pledges/", escaped, NULL);
  queue_write (self, task, "pledge.change", "PATCH", path, body, pledge_id);
}

gboolean
cs_sync_engine_change_pledge_finish (CsSyncEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_sync_engine_cancel_pledge_async (CsSyncEngine *self, const char *pledge_id, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CS_IS_SYNC_ENGINE (self));
  g_return_if_fail (pledge_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_sync_engine_cancel_pledge_async);
  escaped = g_uri_escape_string (pledge_id, NULL, FALSE);
  path = g_strconcat ("/api/v1/pledges/", escaped, "/cancel", NULL);
  queue_write (self, task, "pledge.cancel", "POST", path, NULL, pledge_id);
}

gboolean
cs_sync_engine_cancel_pledge_finish (CsSyncEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
