/* cs-gateway-sandbox.c: the sandbox payment processor, behaving like a real
 * processor's test mode (api.md "Sandbox mode"): tokenised test cards,
 * charges that are authorized, captured, voided and refunded, payouts, and
 * every result sent back later as a signed webhook through the outbox.
 *
 * Each operation is ONE cs_store_sandbox_record() call keyed by the job id:
 * the charge row and its event are written together, and a job executed
 * twice finds its key and changes nothing. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "crowdspark-core.h"
#include "cs-gateway-private.h"

#define DEFAULT_PAYOUT_DESTINATION "ba_sandbox_default"

typedef struct {
  CsGateway parent;
  /* A capture, void or refund reads the charge, then records its new state.
   * Jobs on different threads of this process (the job runner, the test
   * clock) could touch one charge at once: they take turns.  The record
   * itself is one transaction keyed by the job id. */
  GMutex    lock;
} CsSandboxGateway;

/* ---- events ------------------------------------------------------------------ */

typedef struct {
  CsPaymentEventType  type;
  const char         *object_id;
  const char         *reference;
  gint64              amount;
  const char         *currency;
  const char         *failure_reason;  /* NULL: it worked */
} Outcome;

static char *
event_body (const char *event_id, const CsPaymentJob *job, const Outcome *o, gint64 now)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", event_id);
  cs_json_writer_member_string (w, "type", cs_payment_event_type_to_string (o->type));
  cs_json_writer_member_int (w, "created", now);
  cs_json_writer_key (w, "data");
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "object_id", o->object_id);
  cs_json_writer_member_string (w, "reference", o->reference);
  cs_json_writer_member_string (w, "job_id", job->id);
  cs_json_writer_member_int (w, "amount", o->amount);
  cs_json_writer_member_string (w, "currency", o->currency);
  cs_json_writer_member_string (w, "failure_reason", o->failure_reason);
  cs_json_writer_end_object (w);
  cs_json_writer_end_object (w);
  return cs_json_writer_free_to_string (w);
}

/* Records @charge (NULL: none is created or touched) and the event of
 * @outcome under the job's key.  *ref_out: the charge or payout id. */
static gboolean
record (CsStoreConn *conn, const CsPaymentJob *job, const CsSandboxCharge *charge, const Outcome *outcome,
        gint64 now, char **ref_out, GError **error)
{
  g_autofree char *event_id = cs_id_new ("evt");
  g_autofree char *message_id = cs_id_new ("msg");
  g_autofree char *body = NULL;
  g_autofree char *first_ref = NULL;
  CsOutboxMessage message = { 0 };
  gboolean replayed = FALSE;

  body = event_body (event_id, job, outcome, now);
  message.id = message_id;
  message.endpoint = (char *) "payments";
  message.event_id = event_id;
  message.body = body;
  message.next_attempt_at = now;
  if (!cs_store_sandbox_record (conn, job->id, charge, &message, now, &replayed, &first_ref, error))
    return FALSE;
  if (replayed)
    *ref_out = g_steal_pointer (&first_ref);
  else
    *ref_out = charge != NULL ? g_strdup (charge->id) : NULL;
  return TRUE;
}

/* FALSE with @error for trouble reaching the data; TRUE with *found. */
static gboolean
load_charge (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out, gboolean *found, GError **error)
{
  g_autoptr(GError) local = NULL;

  *found = FALSE;
  if (charge_id == NULL || !cs_id_is_valid (charge_id))
    return TRUE;
  if (cs_store_sandbox_charge_get (conn, charge_id, out, &local))
    {
      *found = TRUE;
      return TRUE;
    }
  if (g_error_matches (local, CS_ERROR, CS_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static gboolean
load_payment_method (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out, gboolean *found,
                     GError **error)
{
  g_autoptr(GError) local = NULL;

  *found = FALSE;
  if (pm_id == NULL || !cs_id_is_valid (pm_id))
    return TRUE;
  if (cs_store_sandbox_pm_get (conn, pm_id, out, &local))
    {
      *found = TRUE;
      return TRUE;
    }
  if (g_error_matches (local, CS_ERROR, CS_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* Whether (year, month) is before the month of @now (a card is good through
 * the last day of its expiry month). */
static gboolean
month_has_passed (int year, int month, gint64 now)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (now);
  int y, m;

  if (dt == NULL)
    return FALSE;
  y = g_date_time_get_year (dt);
  m = g_date_time_get_month (dt);
  return year < y || (year == y && month < m);
}

static gboolean
amount_is_valid (gint64 amount, const char *currency)
{
  return amount > 0 && cs_currency_is_supported (currency);
}

/* ---- operations ------------------------------------------------------------------ */

/* AUTHORIZE, and CHARGE (authorize and capture at once, for a backer who
 * fixed a card after a failed capture: its failure is a capture failure). */
static gboolean
authorize (CsStoreConn *conn, const CsPaymentJob *job, gboolean capture, gint64 now, char **ref_out,
           GError **error)
{
  g_autofree char *charge_id = cs_id_new ("ch");
  CsSandboxPaymentMethod pm = { 0 };
  CsSandboxCharge charge = { 0 };
  Outcome o = { 0 };
  gboolean found;

  if (!load_payment_method (conn, job->payment_method_id, &pm, &found, error))
    return FALSE;

  g_strlcpy (charge.id, charge_id, sizeof charge.id);
  g_strlcpy (charge.payment_method_id, job->payment_method_id != NULL ? job->payment_method_id : "",
             sizeof charge.payment_method_id);
  g_strlcpy (charge.reference, job->pledge_id != NULL ? job->pledge_id : "", sizeof charge.reference);
  g_strlcpy (charge.currency, job->currency, sizeof charge.currency);
  charge.amount = job->amount;

  if (!found)
    o.failure_reason = "payment_method_not_found";
  else if (!amount_is_valid (job->amount, job->currency))
    o.failure_reason = "invalid_amount";
  else if (month_has_passed (pm.exp_year, pm.exp_month, now))
    o.failure_reason = "expired_card";
  else if (pm.behaviour == CS_SANDBOX_CARD_DECLINED)
    o.failure_reason = "card_declined";
  else if (capture && pm.behaviour == CS_SANDBOX_CARD_CAPTURE_FAILS)
    o.failure_reason = "card_declined";

  if (o.failure_reason != NULL)
    {
      g_strlcpy (charge.status, "declined", sizeof charge.status);
      o.type = capture ? CS_PAYMENT_EVENT_CAPTURE_FAILED : CS_PAYMENT_EVENT_AUTHORIZATION_FAILED;
    }
  else if (capture)
    {
      g_strlcpy (charge.status, "captured", sizeof charge.status);
      charge.captured_amount = job->amount;
      o.type = CS_PAYMENT_EVENT_CAPTURED;
    }
  else
    {
      g_strlcpy (charge.status, "authorized", sizeof charge.status);
      o.type = CS_PAYMENT_EVENT_AUTHORIZED;
    }
  o.object_id = charge.id;
  o.reference = charge.reference;
  o.amount = job->amount;
  o.currency = job->currency;
  return record (conn, job, &charge, &o, now, ref_out, error);
}

/* The outcome's object and reference when the job names no known charge. */
static void
unknown_charge (const CsPaymentJob *job, Outcome *o)
{
  o->object_id = job->charge_id != NULL ? job->charge_id : "";
  o->reference = job->pledge_id != NULL ? job->pledge_id : "";
  o->amount = MAX (job->amount, 0);
  o->currency = job->currency;
  o->failure_reason = "charge_not_found";
}

static gboolean
capture (CsStoreConn *conn, const CsPaymentJob *job, gint64 now, char **ref_out, GError **error)
{
  CsSandboxCharge charge = { 0 };
  CsSandboxPaymentMethod pm = { 0 };
  Outcome o = { .type = CS_PAYMENT_EVENT_CAPTURE_FAILED };
  gboolean found, pm_found;

  if (!load_charge (conn, job->charge_id, &charge, &found, error))
    return FALSE;
  if (!found)
    {
      unknown_charge (job, &o);
      return record (conn, job, NULL, &o, now, ref_out, error);
    }
  o.object_id = charge.id;
  o.reference = charge.reference;
  o.amount = job->amount;
  o.currency = charge.currency;

  if (strcmp (charge.status, "authorized") != 0)
    o.failure_reason = strcmp (charge.status, "captured") == 0 || strcmp (charge.status, "refunded") == 0
                       ? "charge_already_captured" : "charge_not_authorized";
  /* less than authorized is a partial capture (the pledge was lowered) */
  else if (job->amount <= 0 || job->amount > charge.amount || strcmp (job->currency, charge.currency) != 0)
    o.failure_reason = "invalid_amount";
  else
    {
      if (!load_payment_method (conn, charge.payment_method_id, &pm, &pm_found, error))
        return FALSE;
      if (!pm_found)
        o.failure_reason = "payment_method_not_found";
      else if (pm.behaviour == CS_SANDBOX_CARD_CAPTURE_FAILS)
        o.failure_reason = "card_declined";
      if (o.failure_reason != NULL)
        /* the authorization is gone: the backer must bring another card */
        g_strlcpy (charge.status, "capture_failed", sizeof charge.status);
      else
        {
          g_strlcpy (charge.status, "captured", sizeof charge.status);
          charge.captured_amount = job->amount;
          o.type = CS_PAYMENT_EVENT_CAPTURED;
        }
    }
  return record (conn, job, &charge, &o, now, ref_out, error);
}

static gboolean
void_charge (CsStoreConn *conn, const CsPaymentJob *job, gint64 now, char **ref_out, GError **error)
{
  CsSandboxCharge charge = { 0 };
  Outcome o = { .type = CS_PAYMENT_EVENT_VOIDED };
  gboolean found;

  if (!load_charge (conn, job->charge_id, &charge, &found, error))
    return FALSE;
  if (!found)
    {
      unknown_charge (job, &o);
      return record (conn, job, NULL, &o, now, ref_out, error);
    }
  o.object_id = charge.id;
  o.reference = charge.reference;
  o.amount = charge.amount;
  o.currency = charge.currency;

  /* A hold that was released already (failed capture, earlier void) is
   * simply confirmed; a captured charge can only be refunded. */
  if (strcmp (charge.status, "authorized") == 0 || strcmp (charge.status, "capture_failed") == 0)
    g_strlcpy (charge.status, "voided", sizeof charge.status);
  else if (strcmp (charge.status, "voided") == 0)
    ;
  else if (strcmp (charge.status, "declined") == 0)
    o.failure_reason = "charge_not_authorized";
  else
    o.failure_reason = "charge_already_captured";
  return record (conn, job, &charge, &o, now, ref_out, error);
}

static gboolean
refund (CsStoreConn *conn, const CsPaymentJob *job, gint64 now, char **ref_out, GError **error)
{
  CsSandboxCharge charge = { 0 };
  Outcome o = { .type = CS_PAYMENT_EVENT_REFUNDED };
  gint64 refundable, amount;
  gboolean found;

  if (!load_charge (conn, job->charge_id, &charge, &found, error))
    return FALSE;
  if (!found)
    {
      unknown_charge (job, &o);
      return record (conn, job, NULL, &o, now, ref_out, error);
    }
  refundable = charge.captured_amount - charge.refunded_amount;
  /* no amount: whatever is left */
  amount = job->amount > 0 ? job->amount : refundable;
  o.object_id = charge.id;
  o.reference = charge.reference;
  o.amount = amount;
  o.currency = charge.currency;

  if (strcmp (charge.status, "refunded") == 0)
    o.failure_reason = "charge_already_refunded";
  else if (strcmp (charge.status, "captured") != 0)
    o.failure_reason = "charge_not_captured";
  else if (amount > refundable || strcmp (job->currency, charge.currency) != 0)
    o.failure_reason = "invalid_amount";
  else
    {
      charge.refunded_amount += amount;
      if (charge.refunded_amount == charge.captured_amount)
        g_strlcpy (charge.status, "refunded", sizeof charge.status);
    }
  return record (conn, job, &charge, &o, now, ref_out, error);
}

static gboolean
payout (CsStoreConn *conn, const CsPaymentJob *job, gint64 now, char **ref_out, GError **error)
{
  g_autofree char *payout_id = cs_id_new ("po");
  const char *destination = job->payment_method_id != NULL ? job->payment_method_id : DEFAULT_PAYOUT_DESTINATION;
  CsSandboxCharge po = { 0 };
  Outcome o = { .type = CS_PAYMENT_EVENT_PAYOUT_PAID };

  g_strlcpy (po.id, payout_id, sizeof po.id);
  g_strlcpy (po.payment_method_id, destination, sizeof po.payment_method_id);
  g_strlcpy (po.reference, job->withdrawal_id != NULL ? job->withdrawal_id : "", sizeof po.reference);
  g_strlcpy (po.currency, job->currency, sizeof po.currency);
  po.amount = job->amount;

  if (!amount_is_valid (job->amount, job->currency))
    o.failure_reason = "invalid_amount";
  else if (strcmp (destination, CS_SANDBOX_PAYOUT_FAIL) == 0)
    o.failure_reason = "account_closed";
  if (o.failure_reason != NULL)
    {
      g_strlcpy (po.status, "failed", sizeof po.status);
      o.type = CS_PAYMENT_EVENT_PAYOUT_FAILED;
    }
  else
    g_strlcpy (po.status, "paid", sizeof po.status);
  o.object_id = po.id;
  o.reference = po.reference;
  o.amount = job->amount;
  o.currency = job->currency;
  return record (conn, job, &po, &o, now, ref_out, error);
}

static gboolean
sandbox_execute (CsGateway *gw, CsStoreConn *conn, const CsPaymentJob *job, gint64 now, char **ref_out,
                 GError **error)
{
  CsSandboxGateway *self = (CsSandboxGateway *) gw;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  switch (job->kind)
    {
    case CS_PAYMENT_JOB_AUTHORIZE:
      return authorize (conn, job, FALSE, now, ref_out, error);
    case CS_PAYMENT_JOB_CHARGE:
      return authorize (conn, job, TRUE, now, ref_out, error);
    case CS_PAYMENT_JOB_CAPTURE:
      return capture (conn, job, now, ref_out, error);
    case CS_PAYMENT_JOB_VOID:
      return void_charge (conn, job, now, ref_out, error);
    case CS_PAYMENT_JOB_REFUND:
      return refund (conn, job, now, ref_out, error);
    case CS_PAYMENT_JOB_PAYOUT:
      return payout (conn, job, now, ref_out, error);
    default:
      break;
    }
  g_set_error (error, CS_ERROR, CS_ERROR_INTERNAL, "Unknown payment job kind %d", (int) job->kind);
  return FALSE;
}

static void
sandbox_free (CsGateway *gw)
{
  CsSandboxGateway *self = (CsSandboxGateway *) gw;

  g_mutex_clear (&self->lock);
  g_free (self);
}

static const CsGatewayBackend sandbox_backend = {
  .name = "sandbox",
  .execute = sandbox_execute,
  .free = sandbox_free,
};

CsGateway *
cs_gateway_new_sandbox (CsStore *store)
{
  CsSandboxGateway *self;

  g_return_val_if_fail (store != NULL, NULL);
  self = g_new0 (CsSandboxGateway, 1);
  self->parent.backend = &sandbox_backend;
  self->parent.store = store;
  g_mutex_init (&self->lock);
  return &self->parent;
}

/* ---- tokenisation ------------------------------------------------------------------ */

#define MIN_DIGITS 12
#define MAX_DIGITS 19

static gboolean
luhn_valid (const char *digits, gsize n)
{
  guint sum = 0;

  for (gsize i = 0; i < n; i++)
    {
      guint d = (guint) (digits[n - 1 - i] - '0');

      if (i % 2 == 1)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
    }
  return sum % 10 == 0;
}

static gboolean
prefix_between (const char *digits, gsize len, guint low, guint high)
{
  guint v = 0;

  for (gsize i = 0; i < len; i++)
    v = v * 10 + (guint) (digits[i] - '0');
  return v >= low && v <= high;
}

/* @digits has at least MIN_DIGITS digits. */
static const char *
card_brand (const char *digits)
{
  if (digits[0] == '4')
    return "visa";
  if (prefix_between (digits, 2, 51, 55) || prefix_between (digits, 4, 2221, 2720))
    return "mastercard";
  if (prefix_between (digits, 2, 34, 34) || prefix_between (digits, 2, 37, 37))
    return "amex";
  if (prefix_between (digits, 4, 6011, 6011) || prefix_between (digits, 2, 65, 65) ||
      prefix_between (digits, 3, 644, 649))
    return "discover";
  if (prefix_between (digits, 4, 3528, 3589))
    return "jcb";
  if (prefix_between (digits, 3, 300, 305) || prefix_between (digits, 2, 36, 36) ||
      prefix_between (digits, 2, 38, 39))
    return "diners";
  return "unknown";
}

static CsSandboxCard
card_behaviour (const char *digits)
{
  if (strcmp (digits, "4000000000000002") == 0)
    return CS_SANDBOX_CARD_DECLINED;
  if (strcmp (digits, "4000000000000341") == 0)
    return CS_SANDBOX_CARD_CAPTURE_FAILS;
  return CS_SANDBOX_CARD_SUCCEEDS;
}

static gboolean
cvc_is_valid (const char *cvc)
{
  gsize n = 0;

  if (cvc == NULL)
    return FALSE;
  for (; cvc[n] != '\0'; n++)
    if (!g_ascii_isdigit (cvc[n]) || n >= 4)
      return FALSE;
  return n >= 3;
}

/* Copies the digits of @number into @digits (MAX_DIGITS + 1 bytes),
 * skipping spaces.  *n_out = how many; FALSE on any other character or
 * more than MAX_DIGITS digits. */
static gboolean
extract_digits (const char *number, char *digits, gsize *n_out)
{
  gsize n = 0;

  for (const char *p = number; *p != '\0'; p++)
    {
      if (*p == ' ')
        continue;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (n == MAX_DIGITS)
        {
          *n_out = n + 1;
          return TRUE;
        }
      digits[n++] = *p;
    }
  digits[n] = '\0';
  *n_out = n;
  return TRUE;
}

gboolean
cs_sandbox_tokenize (CsStoreConn *conn, const char *card_number, int exp_month, int exp_year,
                     const char *cvc, gint64 now, CsSandboxPaymentMethod *out, GError **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autofree char *pm_id = NULL;
  char digits[MAX_DIGITS + 1] = { 0 };
  CsSandboxPaymentMethod pm = { 0 };
  gsize n = 0;
  gboolean ok;

  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  /* Field messages never quote the number. */
  if (card_number == NULL || card_number[0] == '\0')
    cs_validation_add (v, "card_number", "is required");
  else if (!extract_digits (card_number, digits, &n))
    cs_validation_add (v, "card_number", "must contain only digits");
  else if (n < MIN_DIGITS || n > MAX_DIGITS)
    cs_validation_add (v, "card_number", "must have %d to %d digits", MIN_DIGITS, MAX_DIGITS);
  else if (!luhn_valid (digits, n))
    cs_validation_add (v, "card_number", "is not a valid card number");

  if (exp_month < 1 || exp_month > 12)
    cs_validation_add (v, "exp_month", "must be between 1 and 12");
  if (exp_year < 2000 || exp_year > 2100)
    cs_validation_add (v, "exp_year", "must be a four-digit year");
  if (!cs_validation_has_errors (v) && month_has_passed (exp_year, exp_month, now))
    {
      if (month_has_passed (exp_year, 12, now))
        cs_validation_add (v, "exp_year", "the card has expired");
      else
        cs_validation_add (v, "exp_month", "the card has expired");
    }
  if (!cvc_is_valid (cvc))
    cs_validation_add (v, "cvc", "must be 3 or 4 digits");

  if (!cs_validation_finish (v, "The card details are not valid.", error))
    {
      sodium_memzero (digits, sizeof digits);
      return FALSE;
    }

  pm_id = cs_id_new ("pm");
  g_strlcpy (pm.id, pm_id, sizeof pm.id);
  g_strlcpy (pm.brand, card_brand (digits), sizeof pm.brand);
  g_strlcpy (pm.last4, digits + n - 4, sizeof pm.last4);
  pm.exp_month = exp_month;
  pm.exp_year = exp_year;
  pm.behaviour = card_behaviour (digits);
  pm.created_at = now;
  sodium_memzero (digits, sizeof digits);

  ok = cs_store_sandbox_pm_insert (conn, &pm, error);
  if (ok)
    *out = pm;
  return ok;
}
