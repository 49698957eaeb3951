/* cs-kyc-provider.h: the identity-verification provider interface, and its
 * sandbox.
 *
 * The platform hands a check's document to the provider; the provider
 * answers later, asynchronously, with one signed webhook on
 * POST /api/v1/webhooks/kyc:
 *
 *   {"id": "evt_…", "type": "kyc.decided", "created": <unix>,
 *    "data": {"check_id": "kyc_…", "decision": "verified" | "rejected" | "review",
 *             "reason": "…" | null}}
 *
 * Submitting the same check again sends no second answer.  The document
 * number is used for the decision only: never stored, never logged.
 */
#pragma once

#include <glib.h>
#include "cs-store.h"

G_BEGIN_DECLS

typedef struct {
  const char *name;
  gboolean  (*submit) (CsStoreConn *conn, const char *kyc_id, const char *document_number, gint64 now,
                       GError **error);
} CsKycProvider;

/* The sandbox (api.md): documents whose number starts with "REJECT" are
 * rejected, with "REVIEW" go to a moderator, all others are verified.  Its
 * answers wait in the platform's webhook outbox. */
const CsKycProvider *cs_kyc_provider_sandbox (void);

/* Hands check @kyc_id to the configured provider (the sandbox). */
gboolean cs_kyc_provider_submit (CsStoreConn *conn, const char *kyc_id, const char *document_number,
                                 gint64 now, GError **error);

G_END_DECLS
