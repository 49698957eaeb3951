/* cs-store-money-logic.c: the money path's rules, shared by the SQLite and
 * PostgreSQL backends (see cs-store-money-logic.h).  No SQL here: the
 * database is reached through MoneyPrimitives only.
 */
#include "config.h"

#include <string.h>

#include "cs-store-money-logic.h"

/* ---- Small helpers --------------------------------------------------------------- */

void
money_set_str (char **field, const char *value)
{
  if (*field == value)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

char *
money_campaign_account (const char *campaign_id, const char *which)
{
  return g_strconcat ("campaign:", campaign_id, ":", which, NULL);
}

guint
money_clamp_limit (guint limit)
{
  if (limit == 0)
    return CS_STORE_DEFAULT_LIMIT;
  return MIN (limit, CS_STORE_MAX_LIMIT);
}

gboolean
money_conflict (GError **error, const char *slug, const char *format, ...)
{
  g_autoptr(GError) local = NULL;
  va_list args;

  va_start (args, format);
  local = g_error_new_valist (CS_ERROR, CS_ERROR_CONFLICT, format, args);
  va_end (args);
  if (slug != NULL)
    cs_error_set_type_slug (local, slug);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
money_invalid_field (GError **error, const char *field, const char *message, const char *detail)
{
  g_autoptr(GError) local = g_error_new_literal (CS_ERROR, CS_ERROR_INVALID, detail);

  cs_error_add_field (local, field, message);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

gboolean
money_internal (GError **error, const char *why)
{
  g_warning ("store: %s", why);
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Internal database error");
  return FALSE;
}

/* ---- Records --------------------------------------------------------------------- */

void
money_row_clear (MoneyRow *r)
{
  g_clear_pointer (&r->p, cs_pledge_free);
  g_clear_pointer (&r->charge_id, g_free);
  g_clear_pointer (&r->pending_job_id, g_free);
  g_clear_pointer (&r->void_reason, g_free);
}

void
money_camp_clear (MoneyCamp *k)
{
  g_clear_pointer (&k->id, g_free);
  g_clear_pointer (&k->creator_id, g_free);
}

void
money_wrow_clear (MoneyWRow *r)
{
  g_clear_pointer (&r->w, cs_withdrawal_free);
  g_clear_pointer (&r->payout_id, g_free);
}

/* ---- Rules ------------------------------------------------------------------------------ */

/* At least the platform minimum and the reward's minimum (@tier_min, 0 if
 * none). */
gboolean
money_check_amount_against (const char *currency, gint64 tier_min, gint64 amount, GError **error)
{
  gint64 minimum = cs_pledge_minimum_for_currency (currency);
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;

  if (amount > CS_MONEY_MAX_AMOUNT)
    return money_invalid_field (error, "amount", "is too large", "The amount is too large.");
  if (amount >= MAX (minimum, tier_min))
    return TRUE;
  text = cs_money_format (MAX (minimum, tier_min), currency);
  message = g_strdup_printf ("must be at least %s%s", text, tier_min > minimum ? " for this reward" : "");
  return money_invalid_field (error, "amount", message, "The amount is below the minimum pledge.");
}

gboolean
money_check_amount (const MoneyPrimitives *prim, CsStoreConn *conn, const char *campaign_id,
                    const char *currency, const char *tier_id, gint64 amount, GError **error)
{
  gint64 tier_min = 0;

  if (tier_id != NULL && !prim->tier_minimum (conn, tier_id, campaign_id, &tier_min, error))
    return FALSE;
  return money_check_amount_against (currency, tier_min, amount, error);
}

gboolean
money_check_open_at (CsCampaignStatus status, gint64 end_date, gint64 now, const char *action, GError **error)
{
  if (status != CS_CAMPAIGN_LIVE)
    return money_conflict (error, "campaign-not-live", "This campaign is %s: %s.",
                           cs_store_status_label (status), action);
  if (now >= end_date)
    return money_conflict (error, "campaign-ended", "This campaign has ended: %s.", action);
  return TRUE;
}

gboolean
money_check_open (const MoneyCamp *k, gint64 now, const char *action, GError **error)
{
  return money_check_open_at (k->status, k->end_date, now, action, error);
}

/* In its final 24 hours a campaign that reached its goal keeps it. */
gboolean
money_check_final_window (const MoneyCamp *k, gint64 new_current, gint64 now, GError **error)
{
  g_autofree char *at = NULL;
  g_autofree char *goal = NULL;

  if (now < k->end_date - CS_FINAL_WINDOW_SECONDS || k->current_amount < k->goal_amount ||
      new_current >= k->goal_amount)
    return TRUE;
  at = cs_money_format (new_current, k->currency);
  goal = cs_money_format (k->goal_amount, k->currency);
  return money_conflict (error, "final-day-goal",
                         "In its last 24 hours a funded campaign cannot drop below its goal: this would "
                         "leave it at %s of %s.", at, goal);
}

gboolean
money_idem_check_args (const CsIdempotency *idem, GError **error)
{
  if (idem == NULL || (idem->user_id != NULL && idem->key != NULL && idem->scope != NULL &&
                       idem->request_hash != NULL))
    return TRUE;
  return money_invalid_field (error, "Idempotency-Key", "is required", "The Idempotency-Key is missing.");
}

gboolean
money_idem_check_hash (const CsIdempotency *idem, const char *stored_hash, GError **error)
{
  if (g_strcmp0 (stored_hash, idem->request_hash) != 0)
    return money_invalid_field (error, "Idempotency-Key", "was used with another request",
                                "This Idempotency-Key was already used with another request: "
                                "use a new key for a new request.");
  return TRUE;
}

GBytes *
money_pledge_json (const CsPledge *pledge)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_pledge_write_json (pledge, w);
  return cs_json_writer_free_to_bytes (w);
}

GBytes *
money_withdrawal_json (const CsWithdrawal *w)
{
  CsJsonWriter *writer = cs_json_writer_new ();

  cs_withdrawal_write_json (w, writer);
  return cs_json_writer_free_to_bytes (writer);
}

gboolean
money_job_kind_from_text (const char *text, CsPaymentJobKind *out)
{
  for (int k = CS_PAYMENT_JOB_AUTHORIZE; k <= CS_PAYMENT_JOB_PAYOUT; k++)
    if (g_strcmp0 (text, cs_payment_job_kind_to_string (k)) == 0)
      {
        *out = k;
        return TRUE;
      }
  return FALSE;
}

/* ---- The ledger ----------------------------------------------------------------------------- */

gboolean
money_txn_check (const MoneyTxn *txn, const MoneyEntry *entries, guint n_entries, GError **error)
{
  gint64 sum = 0;

  for (guint i = 0; i < n_entries; i++)
    if (entries[i].amount == 0 || !cs_int64_add_checked (sum, entries[i].amount, &sum))
      return money_internal (error, "a ledger entry is zero or overflows");
  if (n_entries < 2 || sum != 0 || txn->amount <= 0)
    {
      g_autofree char *why = g_strdup_printf ("refusing an unbalanced %s transaction (sum %" G_GINT64_FORMAT ")",
                                              txn->kind, sum);

      return money_internal (error, why);
    }
  return TRUE;
}

/* Posts a transaction of pledge @r and makes it the pledge's newest. */
gboolean
money_post_pledge_txn (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const char *kind,
                       gint64 amount, const char *gateway_ref, const MoneyEntry *entries, guint n_entries,
                       gint64 now, GError **error)
{
  MoneyTxn txn = { kind, r->p->campaign_id, r->p->id, NULL, amount, r->p->currency, gateway_ref };
  char *id = prim->post_txn (conn, &txn, entries, n_entries, now, error);

  if (id == NULL)
    return FALSE;
  g_free (r->p->transaction_id);
  r->p->transaction_id = id;
  return TRUE;
}

/* authorization: D card_holds, C campaign:pledged */
gboolean
money_ledger_hold (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const char *gateway_ref,
                   gint64 now, GError **error)
{
  g_autofree char *pledged = money_campaign_account (r->p->campaign_id, "pledged");
  const MoneyEntry entries[] = { { "card_holds", r->p->amount }, { pledged, -r->p->amount } };

  return money_post_pledge_txn (prim, conn, r, "authorization", r->p->amount, gateway_ref, entries,
                                G_N_ELEMENTS (entries), now, error);
}

/* void (all of a hold) or release (part of it): D campaign:pledged, C card_holds */
gboolean
money_ledger_release (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const char *kind,
                      gint64 amount, gint64 now, GError **error)
{
  g_autofree char *pledged = money_campaign_account (r->p->campaign_id, "pledged");
  const MoneyEntry entries[] = { { pledged, amount }, { "card_holds", -amount } };

  return money_post_pledge_txn (prim, conn, r, kind, amount, r->charge_id, entries, G_N_ELEMENTS (entries), now,
                                error);
}

/* capture: (the hold released, if @held) D processor, C campaign:creator;
 * then the fees at @fees: D campaign:creator, C platform:fees and
 * processor:fees, one transaction each. */
gboolean
money_ledger_capture (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, gboolean held,
                      const CsFeeSettings *fees, const char *gateway_ref, gint64 now, GError **error)
{
  g_autofree char *pledged = money_campaign_account (r->p->campaign_id, "pledged");
  g_autofree char *creator = money_campaign_account (r->p->campaign_id, "creator");
  gint64 amount = r->p->amount;
  gint64 platform_fee = 0, processing_fee = 0;
  const MoneyEntry entries[] = {
    { "processor", amount }, { creator, -amount },
    { pledged, amount }, { "card_holds", -amount },
  };

  if (!cs_fees_for_amount (fees, amount, &platform_fee, &processing_fee))
    return money_internal (error, "the fees of a pledge overflow");
  if (!money_post_pledge_txn (prim, conn, r, "capture", amount, gateway_ref, entries, held ? 4 : 2, now, error))
    return FALSE;
  if (platform_fee > 0)
    {
      const MoneyEntry fee[] = { { creator, platform_fee }, { "platform:fees", -platform_fee } };

      if (!money_post_pledge_txn (prim, conn, r, "platform_fee", platform_fee, NULL, fee, 2, now, error))
        return FALSE;
    }
  if (processing_fee > 0)
    {
      const MoneyEntry fee[] = { { creator, processing_fee }, { "processor:fees", -processing_fee } };

      if (!money_post_pledge_txn (prim, conn, r, "processing_fee", processing_fee, NULL, fee, 2, now, error))
        return FALSE;
    }
  return TRUE;
}

/* An authorized pledge's hold is released: in the ledger, and at the
 * gateway by a VOID job for its charge. */
gboolean
money_void_hold (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const char *job_id, gint64 now,
                 GError **error)
{
  if (!money_ledger_release (prim, conn, r, "void", r->p->amount, now, error))
    return FALSE;
  if (r->charge_id == NULL)
    {
      /* Only demo data is authorized without a charge. */
      g_warning ("store: pledge %s was authorized without a charge: nothing to void at the gateway",
                 r->p->id);
      return TRUE;
    }
  return prim->job_insert (conn, job_id, CS_PAYMENT_JOB_VOID, r->p->id, NULL, r->charge_id, NULL,
                           r->p->amount, r->p->currency, now, error);
}

gboolean
money_post_withdrawal_txn (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyWRow *r, const char *kind,
                           const char *gateway_ref, const MoneyEntry *entries, guint n_entries, gint64 now,
                           GError **error)
{
  MoneyTxn txn = { kind, r->w->campaign_id, NULL, r->w->id, r->w->amount, r->w->currency, gateway_ref };
  char *id = prim->post_txn (conn, &txn, entries, n_entries, now, error);

  if (id == NULL)
    return FALSE;
  g_free (r->w->transaction_id);
  r->w->transaction_id = id;
  return TRUE;
}

/* ---- Settlement and expiries ---------------------------------------------------------------------- */

gboolean
money_expire_pledge (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, gint64 now, GHashTable *touched,
                     GError **error)
{
  CsCampaignProgress *progress;

  if (!prim->tier_release (conn, r->p->reward_tier_id, now, error))
    return FALSE;
  r->p->status = CS_PLEDGE_FAILED;
  money_set_str (&r->p->failure_reason, "The payment failed and was not fixed within 7 days.");
  if (!prim->row_save (conn, r, now, error))
    return FALSE;
  progress = g_hash_table_lookup (touched, r->p->campaign_id);
  if (progress == NULL)
    {
      progress = g_new0 (CsCampaignProgress, 1);
      g_hash_table_insert (touched, g_strdup (r->p->campaign_id), progress);
    }
  return prim->campaign_changed (conn, r->p->campaign_id, -r->p->amount, -1, now, progress, error);
}

/* ---- Pledges: change and cancel ----------------------------------------------------------------- */

/* Reads the pledge and its campaign (MoneyPrimitives.pledge_lock()); another
 * backer's pledge does not exist for this one. */
static gboolean
pledge_of_backer (const MoneyPrimitives *prim, CsStoreConn *conn, const char *pledge_id,
                  const char *backer_id, MoneyCamp *k, MoneyRow *r, GError **error)
{
  if (!prim->pledge_lock (conn, pledge_id, r, k, error))
    return FALSE;
  if (g_strcmp0 (r->p->backer_id, backer_id) != 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_NOT_FOUND, "Pledge not found");
      return FALSE;
    }
  return TRUE;
}

/* A capture failed: the backer gives a new card; a CHARGE job authorizes
 * and captures the same amount at once. */
static gboolean
fix_payment (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const CsPledgeChange *change,
             gint64 now, GError **error)
{
  if ((change->has_amount && change->amount != r->p->amount) ||
      (change->has_tier && g_strcmp0 (change->reward_tier_id, r->p->reward_tier_id) != 0))
    return money_conflict (error, "payment-failed",
                           "The payment of this pledge failed after the campaign ended: only its payment "
                           "method can change now (send payment_method).");
  if (change->payment_method_id == NULL)
    return money_conflict (error, "payment-failed",
                           "The payment of this pledge failed: send a new payment_method to fix it.");
  if (now >= r->p->capture_retry_until)
    return money_conflict (error, "payment-fix-expired", "The time to fix the payment of this pledge has passed.");
  if (r->pending_job_id != NULL)
    return money_conflict (error, "payment-in-progress",
                           "A payment with a new card is already in progress for this pledge.");

  money_set_str (&r->p->payment_method_id, change->payment_method_id);
  money_set_str (&r->pending_job_id, change->job_id);
  return prim->job_insert (conn, change->job_id, CS_PAYMENT_JOB_CHARGE, r->p->id, NULL, NULL,
                           r->p->payment_method_id, r->p->amount, r->p->currency, now, error) &&
         prim->row_save (conn, r, now, error);
}

CsPledge *
money_pledge_change (const MoneyPrimitives *prim, CsStoreConn *conn, const char *pledge_id,
                     const char *backer_id, const CsPledgeChange *change, gint64 now,
                     CsCampaignProgress *progress, GError **error)
{
  g_auto(MoneyRow) r = { 0 };
  g_auto(MoneyCamp) k = { 0 };
  g_autofree char *new_tier = NULL;
  gint64 new_amount, old_counted, new_counted;
  gboolean was_authorized, reauthorize, tier_changes;

  if (!pledge_of_backer (prim, conn, pledge_id, backer_id, &k, &r, error))
    return NULL;

  if (r.p->status == CS_PLEDGE_CAPTURE_FAILED)
    {
      if (!fix_payment (prim, conn, &r, change, now, error))
        return NULL;
      return prim->pledge_view (conn, pledge_id, error);
    }
  if (r.p->status != CS_PLEDGE_PENDING && r.p->status != CS_PLEDGE_AUTHORIZED)
    {
      money_conflict (error, "pledge-closed", "This pledge is %s: it can no longer be changed.",
                      cs_pledge_status_to_string (r.p->status));
      return NULL;
    }
  if (!money_check_open (&k, now, "its pledges can no longer be changed", error))
    return NULL;

  was_authorized = r.p->status == CS_PLEDGE_AUTHORIZED;
  new_amount = change->has_amount ? change->amount : r.p->amount;
  new_tier = g_strdup (change->has_tier ? change->reward_tier_id : r.p->reward_tier_id);
  tier_changes = g_strcmp0 (new_tier, r.p->reward_tier_id) != 0;
  if (!money_check_amount (prim, conn, r.p->campaign_id, k.currency, new_tier, new_amount, error))
    return NULL;

  /* A hold covers a lower amount; more money, or another card, needs a new
   * authorization.  A pending pledge's awaited authorization is for the old
   * terms: a new one replaces it. */
  if (was_authorized)
    reauthorize = new_amount > r.p->amount || change->payment_method_id != NULL;
  else
    reauthorize = new_amount != r.p->amount || change->payment_method_id != NULL;
  old_counted = was_authorized ? r.p->amount : 0;
  new_counted = was_authorized && !reauthorize ? new_amount : 0;
  if (!money_check_final_window (&k, k.current_amount - old_counted + new_counted, now, error))
    return NULL;

  if (tier_changes &&
      (!prim->tier_release (conn, r.p->reward_tier_id, now, error) ||
       (new_tier != NULL && !prim->tier_claim (conn, new_tier, r.p->campaign_id, now, error))))
    return NULL;

  if (was_authorized && reauthorize)
    {
      if (!money_void_hold (prim, conn, &r, NULL, now, error))
        return NULL;
    }
  else if (was_authorized && new_amount < r.p->amount)
    {
      if (!money_ledger_release (prim, conn, &r, "release", r.p->amount - new_amount, now, error))
        return NULL;
    }
  else if (reauthorize && !prim->job_drop_unsent (conn, r.pending_job_id, error))
    return NULL;

  r.p->amount = new_amount;
  money_set_str (&r.p->reward_tier_id, new_tier);
  if (change->payment_method_id != NULL)
    money_set_str (&r.p->payment_method_id, change->payment_method_id);
  if (reauthorize)
    {
      if (change->job_id == NULL || r.p->payment_method_id == NULL)
        {
          money_invalid_field (error, "payment_method", "is required", "A payment method is required.");
          return NULL;
        }
      r.p->status = CS_PLEDGE_PENDING;
      money_set_str (&r.charge_id, NULL);
      money_set_str (&r.pending_job_id, change->job_id);
      if (!prim->job_insert (conn, change->job_id, CS_PAYMENT_JOB_AUTHORIZE, r.p->id, NULL, NULL,
                             r.p->payment_method_id, new_amount, r.p->currency, now, error))
        return NULL;
    }
  if (!prim->row_save (conn, &r, now, error))
    return NULL;
  if ((new_counted != old_counted || tier_changes) &&
      !prim->campaign_changed (conn, r.p->campaign_id, new_counted - old_counted,
                               (new_counted > 0) - (old_counted > 0), now, progress, error))
    return NULL;
  return prim->pledge_view (conn, pledge_id, error);
}

CsPledge *
money_pledge_cancel (const MoneyPrimitives *prim, CsStoreConn *conn, const char *pledge_id,
                     const char *backer_id, const char *job_id, gint64 now, CsCampaignProgress *progress,
                     GError **error)
{
  g_auto(MoneyRow) r = { 0 };
  g_auto(MoneyCamp) k = { 0 };
  gint64 counted;

  if (!pledge_of_backer (prim, conn, pledge_id, backer_id, &k, &r, error))
    return NULL;
  if (r.p->status != CS_PLEDGE_PENDING && r.p->status != CS_PLEDGE_AUTHORIZED)
    {
      money_conflict (error, "pledge-closed", "This pledge is %s: it can no longer be cancelled.",
                      cs_pledge_status_to_string (r.p->status));
      return NULL;
    }
  if (!money_check_open (&k, now, "its pledges can no longer be cancelled", error))
    return NULL;
  counted = r.p->status == CS_PLEDGE_AUTHORIZED ? r.p->amount : 0;
  if (!money_check_final_window (&k, k.current_amount - counted, now, error) ||
      !prim->tier_release (conn, r.p->reward_tier_id, now, error))
    return NULL;
  if (r.p->status == CS_PLEDGE_AUTHORIZED)
    {
      if (!money_void_hold (prim, conn, &r, job_id, now, error))
        return NULL;
    }
  /* A pending one: its authorization, if it comes, is voided then. */
  else if (!prim->job_drop_unsent (conn, r.pending_job_id, error))
    return NULL;

  r.p->status = CS_PLEDGE_CANCELLED;
  money_set_str (&r.pending_job_id, NULL);
  if (!prim->row_save (conn, &r, now, error))
    return NULL;
  if ((counted > 0 || r.p->reward_tier_id != NULL) &&
      !prim->campaign_changed (conn, r.p->campaign_id, -counted, counted > 0 ? -1 : 0, now, progress, error))
    return NULL;
  return prim->pledge_view (conn, pledge_id, error);
}

/* ---- Gateway events ----------------------------------------------------------------------------------- */

/* Whether @r waits for the answer of the job that caused @event. */
static gboolean
awaits (const MoneyRow *r, const CsPaymentEvent *event)
{
  if (r->pending_job_id == NULL)
    return FALSE;
  return event->job_id == NULL || strcmp (event->job_id, r->pending_job_id) == 0;
}

static gboolean
is_its_charge (const MoneyRow *r, const CsPaymentEvent *event)
{
  return r->charge_id != NULL && strcmp (r->charge_id, event->object_id) == 0;
}

/* An event that does not fit the pledge's state is acknowledged and left
 * for a person to look at. */
static gboolean
ignore_event (const CsPaymentEvent *event, const MoneyRow *r, const char *why)
{
  g_message ("payments: event %s (%s) for pledge %s (%s) ignored: %s", event->event_id,
             cs_payment_event_type_to_string (event->type), r->p->id,
             cs_pledge_status_to_string (r->p->status), why);
  return TRUE;
}

static gboolean
on_authorized (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const MoneyCamp *k,
               const CsPaymentEvent *event, gint64 now, CsCampaignProgress *progress, GError **error)
{
  CsPledge *p = r->p;

  /* The same authorization again, under another event id. */
  if (p->status != CS_PLEDGE_PENDING && is_its_charge (r, event))
    return TRUE;

  if (p->status == CS_PLEDGE_PENDING && awaits (r, event) && event->amount == p->amount)
    {
      money_set_str (&r->charge_id, event->object_id);
      money_set_str (&r->pending_job_id, NULL);
      g_clear_pointer (&p->failure_reason, g_free);
      if (!money_ledger_hold (prim, conn, r, event->object_id, now, error))
        return FALSE;

      if (k->status == CS_CAMPAIGN_LIVE || k->status == CS_CAMPAIGN_SUCCESSFUL)
        {
          p->status = CS_PLEDGE_AUTHORIZED;
          if (!prim->row_save (conn, r, now, error) ||
              !prim->campaign_changed (conn, p->campaign_id, p->amount, 1, now, progress, error))
            return FALSE;
          /* Settled while we waited: collect it like the others. */
          if (k->status == CS_CAMPAIGN_SUCCESSFUL)
            return prim->job_insert (conn, NULL, CS_PAYMENT_JOB_CAPTURE, p->id, NULL, r->charge_id, NULL,
                                     p->amount, p->currency, now, error);
          return TRUE;
        }

      /* The campaign failed or was stopped while we waited: release it at
       * once; it was never counted. */
      if (!money_void_hold (prim, conn, r, NULL, now, error) ||
          !prim->tier_release (conn, p->reward_tier_id, now, error))
        return FALSE;
      p->status = CS_PLEDGE_VOIDED;
      money_set_str (&r->void_reason, "late_authorization");
      if (!prim->row_save (conn, r, now, error))
        return FALSE;
      return p->reward_tier_id == NULL || prim->campaign_changed (conn, p->campaign_id, 0, 0, now, NULL, error);
    }

  if (p->status == CS_PLEDGE_CAPTURE_FAILED && awaits (r, event))
    {
      /* The authorization of a CHARGE: its capture follows. */
      money_set_str (&r->charge_id, event->object_id);
      return prim->row_save (conn, r, now, error);
    }

  /* Nobody waits for this hold any more (cancelled, changed, declined
   * since): release it at the gateway. */
  g_message ("payments: pledge %s does not wait for charge %s: voiding it", p->id, event->object_id);
  return prim->job_insert (conn, NULL, CS_PAYMENT_JOB_VOID, p->id, NULL, event->object_id, NULL,
                           event->amount > 0 ? event->amount : p->amount, p->currency, now, error);
}

static gboolean
on_authorization_failed (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r,
                         const CsPaymentEvent *event, gint64 now, GError **error)
{
  CsPledge *p = r->p;

  if (!awaits (r, event) || (p->status != CS_PLEDGE_PENDING && p->status != CS_PLEDGE_CAPTURE_FAILED))
    return ignore_event (event, r, "no authorization is awaited");
  money_set_str (&p->failure_reason, event->failure_reason != NULL ? event->failure_reason
                                                                   : "The card was declined.");
  money_set_str (&r->pending_job_id, NULL);
  /* A failed CHARGE leaves the pledge to be fixed again, until its deadline. */
  if (p->status == CS_PLEDGE_CAPTURE_FAILED)
    return prim->row_save (conn, r, now, error);

  p->status = CS_PLEDGE_FAILED;
  if (!prim->tier_release (conn, p->reward_tier_id, now, error) || !prim->row_save (conn, r, now, error))
    return FALSE;
  return p->reward_tier_id == NULL || prim->campaign_changed (conn, p->campaign_id, 0, 0, now, NULL, error);
}

static gboolean
on_captured (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const MoneyCamp *k,
             const CsPaymentEvent *event, gint64 now, GError **error)
{
  CsPledge *p = r->p;
  CsFeeSettings fees = k->fees;
  gboolean held;

  if ((p->status == CS_PLEDGE_COLLECTED || p->status == CS_PLEDGE_REFUNDED) && is_its_charge (r, event))
    return TRUE;   /* the same capture again */
  if (!((p->status == CS_PLEDGE_AUTHORIZED && (is_its_charge (r, event) || awaits (r, event))) ||
        (p->status == CS_PLEDGE_CAPTURE_FAILED && (awaits (r, event) || is_its_charge (r, event)))))
    {
      /* Money we did not ask for (a second charge): give it back. */
      g_warning ("payments: unexpected capture %s of pledge %s (%s): refunding it", event->object_id,
                 p->id, cs_pledge_status_to_string (p->status));
      return event->amount <= 0 ||
             prim->job_insert (conn, NULL, CS_PAYMENT_JOB_REFUND, p->id, NULL, event->object_id, NULL,
                               event->amount, p->currency, now, error);
    }
  if (event->amount != p->amount)
    return ignore_event (event, r, "the captured amount differs from the pledge");

  if (!k->has_fees)
    {
      g_warning ("store: campaign %s has no fee snapshot: capturing at today's fees", p->campaign_id);
      if (!prim->fee_settings_read (conn, &fees, error))
        return FALSE;
    }
  /* After a failed capture the hold was released already. */
  held = p->status == CS_PLEDGE_AUTHORIZED;
  money_set_str (&r->charge_id, event->object_id);
  if (!money_ledger_capture (prim, conn, r, held, &fees, event->object_id, now, error))
    return FALSE;
  p->status = CS_PLEDGE_COLLECTED;
  p->capture_retry_until = 0;
  g_clear_pointer (&p->failure_reason, g_free);
  money_set_str (&r->pending_job_id, NULL);
  return prim->row_save (conn, r, now, error);
}

static gboolean
on_capture_failed (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const CsPaymentEvent *event,
                   gint64 now, GError **error)
{
  CsPledge *p = r->p;
  const char *reason = event->failure_reason != NULL ? event->failure_reason
                                                     : "The card could not be charged.";

  if (p->status == CS_PLEDGE_AUTHORIZED && (is_its_charge (r, event) || awaits (r, event)))
    {
      /* The hold is gone; still counted: the backer has 7 days to fix it. */
      if (!money_ledger_release (prim, conn, r, "void", p->amount, now, error))
        return FALSE;
      p->status = CS_PLEDGE_CAPTURE_FAILED;
      p->capture_retry_until = now + CS_CAPTURE_RETRY_SECONDS;
      money_set_str (&p->failure_reason, reason);
      return prim->row_save (conn, r, now, error);
    }
  if (p->status == CS_PLEDGE_CAPTURE_FAILED && awaits (r, event))
    {
      money_set_str (&p->failure_reason, reason);
      money_set_str (&r->pending_job_id, NULL);
      return prim->row_save (conn, r, now, error);
    }
  return ignore_event (event, r, "no capture is awaited");
}

static gboolean
on_refunded (const MoneyPrimitives *prim, CsStoreConn *conn, MoneyRow *r, const CsPaymentEvent *event,
             gint64 now, GError **error)
{
  CsPledge *p = r->p;
  g_autofree char *creator = money_campaign_account (p->campaign_id, "creator");
  const MoneyEntry entries[] = { { creator, p->amount }, { "processor", -p->amount } };

  /* A refund the processor refused is reported with its reason. */
  if (event->failure_reason != NULL)
    return ignore_event (event, r, event->failure_reason);
  if (p->status != CS_PLEDGE_COLLECTED || !is_its_charge (r, event))
    return ignore_event (event, r, "the pledge is not collected with this charge");
  if (event->amount != p->amount)
    return ignore_event (event, r, "the refunded amount differs from the pledge");
  if (!money_post_pledge_txn (prim, conn, r, "refund", p->amount, event->object_id, entries,
                              G_N_ELEMENTS (entries), now, error))
    return FALSE;
  p->status = CS_PLEDGE_REFUNDED;
  return prim->row_save (conn, r, now, error);
}

gboolean
money_pledge_event (const MoneyPrimitives *prim, CsStoreConn *conn, const CsPaymentEvent *event, gint64 now,
                    CsCampaignProgress *progress, GError **error)
{
  g_auto(MoneyRow) r = { 0 };
  g_auto(MoneyCamp) k = { 0 };
  g_autoptr(GError) local = NULL;

  if (!prim->pledge_lock (conn, event->reference, &r, &k, &local))
    {
      if (!g_error_matches (local, CS_ERROR, CS_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_message ("payments: event %s refers to no pledge (%s): recorded and ignored", event->event_id,
                 event->reference);
      return TRUE;
    }
  if (g_strcmp0 (event->currency, r.p->currency) != 0)
    return ignore_event (event, &r, "another currency");

  switch (event->type)
    {
    case CS_PAYMENT_EVENT_AUTHORIZED:
      return on_authorized (prim, conn, &r, &k, event, now, progress, error);
    case CS_PAYMENT_EVENT_AUTHORIZATION_FAILED:
      return on_authorization_failed (prim, conn, &r, event, now, error);
    case CS_PAYMENT_EVENT_CAPTURED:
      return on_captured (prim, conn, &r, &k, event, now, error);
    case CS_PAYMENT_EVENT_CAPTURE_FAILED:
      return on_capture_failed (prim, conn, &r, event, now, error);
    case CS_PAYMENT_EVENT_REFUNDED:
      return on_refunded (prim, conn, &r, event, now, error);
    case CS_PAYMENT_EVENT_VOIDED:
    case CS_PAYMENT_EVENT_PAYOUT_PAID:
    case CS_PAYMENT_EVENT_PAYOUT_FAILED:
    default:
      /* A void confirms what the ledger recorded when it was asked for. */
      return TRUE;
    }
}

gboolean
money_withdrawal_event (const MoneyPrimitives *prim, CsStoreConn *conn, const CsPaymentEvent *event, gint64 now,
                        GError **error)
{
  g_auto(MoneyWRow) r = { 0 };
  g_autoptr(GError) local = NULL;
  g_autofree char *payouts = NULL;
  g_autofree char *creator = NULL;
  gint64 amount;

  if (!prim->wrow_lock (conn, event->reference, &r, &local))
    {
      if (!g_error_matches (local, CS_ERROR, CS_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_message ("payments: event %s refers to no withdrawal (%s): recorded and ignored",
                 event->event_id, event->reference);
      return TRUE;
    }
  if (r.w->status != CS_WITHDRAWAL_PENDING || g_strcmp0 (event->currency, r.w->currency) != 0 ||
      event->amount != r.w->amount)
    {
      g_message ("payments: event %s (%s) for withdrawal %s (%s) ignored", event->event_id,
                 cs_payment_event_type_to_string (event->type), r.w->id,
                 cs_withdrawal_status_to_string (r.w->status));
      return TRUE;
    }

  amount = r.w->amount;
  payouts = money_campaign_account (r.w->campaign_id, "payouts");
  creator = money_campaign_account (r.w->campaign_id, "creator");
  money_set_str (&r.payout_id, event->object_id);
  if (event->type == CS_PAYMENT_EVENT_PAYOUT_PAID)
    {
      const MoneyEntry entries[] = { { payouts, amount }, { "processor", -amount } };

      if (!money_post_withdrawal_txn (prim, conn, &r, "payout", event->object_id, entries, 2, now, error))
        return FALSE;
      r.w->status = CS_WITHDRAWAL_PAID;
    }
  else
    {
      /* The money is the creator's again. */
      const MoneyEntry entries[] = { { payouts, amount }, { creator, -amount } };

      if (!money_post_withdrawal_txn (prim, conn, &r, "payout_failed", event->object_id, entries, 2, now, error))
        return FALSE;
      r.w->status = CS_WITHDRAWAL_FAILED;
      money_set_str (&r.w->failure_reason, event->failure_reason != NULL ? event->failure_reason
                                                                         : "The payout was refused.");
    }
  return prim->wrow_save (conn, &r, CS_WITHDRAWAL_PENDING, now, error);
}

/* ---- The books (check_books) ------------------------------------------------------------------------------ */

/* Per currency, over all campaigns. */
typedef struct {
  gint64 authorized, platform_fee, processing_fee, collected, refunded, paid;
} MoneyBookCurrency;

static void
book_campaign_free (MoneyBookCampaign *b)
{
  g_free (b->id);
  g_free (b);
}

void
money_books_init (MoneyBooks *books, GPtrArray *violations)
{
  books->campaigns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) book_campaign_free);
  books->order = g_ptr_array_new ();
  books->accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  books->violations = violations;
}

void
money_books_clear (MoneyBooks *books)
{
  g_clear_pointer (&books->order, g_ptr_array_unref);
  g_clear_pointer (&books->campaigns, g_hash_table_unref);
  g_clear_pointer (&books->accounts, g_hash_table_unref);
  books->violations = NULL;
}

static void
violation (MoneyBooks *books, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
violation (MoneyBooks *books, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (books->violations, g_strdup_vprintf (format, args));
  va_end (args);
}

void
money_books_bad_txn (MoneyBooks *books, const char *txn_id, const char *kind, gint64 n_entries,
                     gint64 n_foreign, gint64 sum)
{
  if (n_entries == 0)
    violation (books, "transaction %s (%s) has no entries", txn_id, kind);
  else if (n_foreign > 0)
    violation (books, "transaction %s (%s) has entries in another currency", txn_id, kind);
  else
    violation (books, "transaction %s (%s): its entries sum to %" G_GINT64_FORMAT ", not 0", txn_id, kind, sum);
}

void
money_books_orphan_entries (MoneyBooks *books, const char *txn_id)
{
  violation (books, "ledger entries name transaction %s, which does not exist", txn_id);
}

void
money_books_captured_twice (MoneyBooks *books, const char *pledge_id, gint64 n_captures)
{
  violation (books, "pledge %s was captured %" G_GINT64_FORMAT " times", pledge_id, n_captures);
}

void
money_books_capture_mismatch (MoneyBooks *books, const char *pledge_id, const char *status,
                              gboolean has_capture)
{
  if (has_capture)
    violation (books, "pledge %s is %s but has a capture", pledge_id, status);
  else
    violation (books, "pledge %s is %s but has no capture", pledge_id, status);
}

void
money_books_payout_missing (MoneyBooks *books, const char *withdrawal_id)
{
  violation (books, "withdrawal %s is paid but has no payout transaction", withdrawal_id);
}

void
money_books_tier (MoneyBooks *books, const char *tier_id, gint64 claimed, gboolean limited, gint64 quantity,
                  gint64 active)
{
  if (claimed != active)
    violation (books, "reward %s: quantity_claimed %" G_GINT64_FORMAT " but %" G_GINT64_FORMAT
               " active pledges hold it", tier_id, claimed, active);
  if (limited && active > quantity)
    violation (books, "reward %s: %" G_GINT64_FORMAT " active pledges for %" G_GINT64_FORMAT " available",
               tier_id, active, quantity);
}

void
money_books_campaign (MoneyBooks *books, const char *id, const char *currency, gint64 current_amount,
                      gint64 backer_count, const CsFeeSettings *fees)
{
  MoneyBookCampaign *b = g_new0 (MoneyBookCampaign, 1);

  b->id = g_strdup (id);
  g_strlcpy (b->currency, currency, sizeof b->currency);
  b->current_amount = current_amount;
  b->backer_count = backer_count;
  b->has_fees = fees != NULL;
  if (fees != NULL)
    b->fees = *fees;
  g_hash_table_insert (books->campaigns, b->id, b);
  g_ptr_array_add (books->order, b);
}

void
money_books_pledge_totals (MoneyBooks *books, const char *campaign_id, gint64 counted_sum, gint64 counted_n,
                           gint64 authorized)
{
  MoneyBookCampaign *b = g_hash_table_lookup (books->campaigns, campaign_id);

  if (b == NULL)
    return;   /* foreign keys: cannot happen */
  b->counted_sum = counted_sum;
  b->counted_n = counted_n;
  b->authorized = authorized;
}

/* With the fees the pledge was charged, at its campaign's rates. */
void
money_books_collected (MoneyBooks *books, const char *campaign_id, gint64 amount, const char *status)
{
  MoneyBookCampaign *b = g_hash_table_lookup (books->campaigns, campaign_id);
  gint64 platform_fee = 0, processing_fee = 0;

  if (b == NULL)
    return;
  b->collected += amount;
  if (g_strcmp0 (status, "refunded") == 0)
    b->refunded += amount;
  if (b->has_fees && cs_fees_for_amount (&b->fees, amount, &platform_fee, &processing_fee))
    {
      b->platform_fee += platform_fee;
      b->processing_fee += processing_fee;
    }
}

void
money_books_withdrawals (MoneyBooks *books, const char *campaign_id, gint64 withdrawn, gint64 in_flight,
                         gint64 paid)
{
  MoneyBookCampaign *b = g_hash_table_lookup (books->campaigns, campaign_id);

  if (b == NULL)
    return;
  b->withdrawn = withdrawn;
  b->in_flight = in_flight;
  b->paid = paid;
}

void
money_books_account (MoneyBooks *books, const char *account, const char *currency, gint64 balance)
{
  g_hash_table_insert (books->accounts, g_strconcat (account, "|", currency, NULL),
                       g_memdup2 (&balance, sizeof balance));
}

static gint64
account_balance (MoneyBooks *books, const char *account, const char *currency)
{
  g_autofree char *key = g_strconcat (account, "|", currency, NULL);
  gint64 *sum = g_hash_table_lookup (books->accounts, key);

  return sum != NULL ? *sum : 0;
}

/* The campaign-level invariants, and the per-currency sums of @b. */
static void
books_check_campaign (MoneyBooks *books, MoneyBookCampaign *b, GHashTable *currencies)
{
  g_autofree char *pledged = money_campaign_account (b->id, "pledged");
  g_autofree char *creator = money_campaign_account (b->id, "creator");
  g_autofree char *payouts = money_campaign_account (b->id, "payouts");
  gint64 held = -account_balance (books, pledged, b->currency);
  gint64 owed = -account_balance (books, creator, b->currency);
  gint64 in_flight = -account_balance (books, payouts, b->currency);
  gint64 expected = b->collected - b->platform_fee - b->processing_fee - b->refunded - b->withdrawn;
  MoneyBookCurrency *sums = g_hash_table_lookup (currencies, b->currency);

  if (sums == NULL)
    {
      sums = g_new0 (MoneyBookCurrency, 1);
      g_hash_table_insert (currencies, g_strdup (b->currency), sums);
    }
  sums->authorized += b->authorized;
  sums->platform_fee += b->platform_fee;
  sums->processing_fee += b->processing_fee;
  sums->collected += b->collected;
  sums->refunded += b->refunded;
  sums->paid += b->paid;

  if (b->current_amount != b->counted_sum)
    violation (books, "campaign %s: current_amount %" G_GINT64_FORMAT " but its counted pledges sum to %"
               G_GINT64_FORMAT, b->id, b->current_amount, b->counted_sum);
  if (b->backer_count != b->counted_n)
    violation (books, "campaign %s: backer_count %" G_GINT64_FORMAT " but it has %" G_GINT64_FORMAT
               " counted pledges", b->id, b->backer_count, b->counted_n);
  if (held != b->authorized)
    violation (books, "campaign %s: its pledged account holds %" G_GINT64_FORMAT
               " but its authorized pledges sum to %" G_GINT64_FORMAT, b->id, held, b->authorized);
  if (b->collected > 0 && !b->has_fees)
    violation (books, "campaign %s: it has collected pledges but no fee rates of its settlement", b->id);
  if (owed != expected)
    violation (books, "campaign %s: its creator account holds %" G_GINT64_FORMAT " but collected "
               "%" G_GINT64_FORMAT " − fees %" G_GINT64_FORMAT " − refunded %" G_GINT64_FORMAT
               " − withdrawn %" G_GINT64_FORMAT " is %" G_GINT64_FORMAT, b->id, owed, b->collected,
               b->platform_fee + b->processing_fee, b->refunded, b->withdrawn, expected);
  if (owed < 0)
    violation (books, "campaign %s: its creator account is negative (%" G_GINT64_FORMAT ")", b->id, owed);
  if (in_flight != b->in_flight)
    violation (books, "campaign %s: its payouts account holds %" G_GINT64_FORMAT
               " but its pending withdrawals sum to %" G_GINT64_FORMAT, b->id, in_flight, b->in_flight);
}

static void
books_check_currency (MoneyBooks *books, const char *currency, const MoneyBookCurrency *sums)
{
  gint64 holds = account_balance (books, "card_holds", currency);
  gint64 platform = -account_balance (books, "platform:fees", currency);
  gint64 processing = -account_balance (books, "processor:fees", currency);
  gint64 processor = account_balance (books, "processor", currency);
  gint64 expected = sums->collected - sums->refunded - sums->paid;

  if (holds != sums->authorized)
    violation (books, "%s card_holds holds %" G_GINT64_FORMAT " but authorized pledges sum to %"
               G_GINT64_FORMAT, currency, holds, sums->authorized);
  if (platform != sums->platform_fee)
    violation (books, "%s platform:fees holds %" G_GINT64_FORMAT " but the collected pledges' platform "
               "fees sum to %" G_GINT64_FORMAT, currency, platform, sums->platform_fee);
  if (processing != sums->processing_fee)
    violation (books, "%s processor:fees holds %" G_GINT64_FORMAT " but the collected pledges' "
               "processing fees sum to %" G_GINT64_FORMAT, currency, processing, sums->processing_fee);
  if (processor != expected)
    violation (books, "%s processor holds %" G_GINT64_FORMAT " but collected − refunded − paid out is %"
               G_GINT64_FORMAT, currency, processor, expected);
}

void
money_books_check (MoneyBooks *books)
{
  g_autoptr(GHashTable) currencies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GList) codes = NULL;

  for (guint i = 0; i < books->order->len; i++)
    books_check_campaign (books, g_ptr_array_index (books->order, i), currencies);
  codes = g_list_sort (g_hash_table_get_keys (currencies), (GCompareFunc) strcmp);
  for (GList *l = codes; l != NULL; l = l->next)
    books_check_currency (books, l->data, g_hash_table_lookup (currencies, l->data));
}
