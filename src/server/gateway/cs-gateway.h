/* cs-gateway.h: the payment gateway interface, and its sandbox.
 *
 * The job runner (cs-jobs.h) hands every payment job (cs-store-money.h:
 * authorize, capture, void, charge, refund, payout) to cs_gateway_execute().
 * Like a real processor, the gateway only accepts the request there; its
 * result arrives later as a signed webhook on POST /api/v1/webhooks/payments:
 *
 *   {"id": "evt_…", "type": "charge.authorized" (cs_payment_event_type_to_string),
 *    "created": <unix>, "data": {"object_id": "ch_…" | "po_…",
 *    "reference": <pledge or withdrawal id>, "job_id": <job id>, "amount": N,
 *    "currency": "USD", "failure_reason": "card_declined" | null}}
 *
 * Every operation is idempotent by the job id: executing a job again (after
 * a crash, an expired claim) returns the first result and sends no second
 * event.  A definite refusal (a declined card, an unknown charge, a charge
 * in the wrong state) is not an error of execute(): it is reported as the
 * failure event (charge.authorization_failed, charge.capture_failed,
 * payout.failed; for a void or refund that cannot be done, charge.voided or
 * charge.refunded with a failure_reason).  execute() fails only when the
 * request could not be made (database or network trouble): then the caller
 * retries it later with the same job id.
 *
 * A real processor plugs in as another CsGatewayBackend
 * (cs-gateway-private.h).
 */
#pragma once

#include <glib.h>
#include "cs-store.h"

G_BEGIN_DECLS

typedef struct _CsGateway CsGateway;

/* The sandbox processor: its cards, charges and outgoing webhooks live in
 * the platform's store (the sandbox tables and the webhook outbox). */
CsGateway  *cs_gateway_new_sandbox (CsStore *store);
void        cs_gateway_free        (CsGateway *gw);
/* "sandbox" */
const char *cs_gateway_name        (CsGateway *gw);

/* Performs @job at the processor (see above).  *gateway_ref_out (may be
 * NULL) gets the charge or payout id the job created or touched, or NULL
 * when there is none (a capture of no charge).  Thread-safe. */
gboolean    cs_gateway_execute     (CsGateway *gw, CsStoreConn *conn, const CsPaymentJob *job, gint64 now,
                                    char **gateway_ref_out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsGateway, cs_gateway_free)

/* ---- The sandbox's test cards (api.md) ---------------------------------------------- */

/* CsSandboxPaymentMethod.behaviour */
typedef enum {
  CS_SANDBOX_CARD_SUCCEEDS      = 0,  /* 4242424242424242 and any other valid number */
  CS_SANDBOX_CARD_DECLINED      = 1,  /* 4000000000000002: declined at authorization */
  CS_SANDBOX_CARD_CAPTURE_FAILS = 2,  /* 4000000000000341: authorizes, capture fails */
} CsSandboxCard;

/* Payouts to this destination fail (payout.failed); any other is paid. */
#define CS_SANDBOX_PAYOUT_FAIL "ba_sandbox_fail"

/* Card tokenisation, standing in for a processor's client-side library:
 * @card_number digits (spaces allowed), 12–19 of them, Luhn-valid;
 * @exp_month/@exp_year not before the month of @now; @cvc 3–4 digits.
 * CS_ERROR_INVALID with field errors card_number, exp_month, exp_year, cvc.
 * Stores and returns only brand, last4, expiry and the test behaviour: the
 * number is never stored or logged. */
gboolean    cs_sandbox_tokenize    (CsStoreConn *conn, const char *card_number, int exp_month, int exp_year,
                                    const char *cvc, gint64 now, CsSandboxPaymentMethod *out,
                                    GError **error);

G_END_DECLS
