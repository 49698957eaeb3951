/* cs-kyc-provider.c: the sandbox identity-verification provider. */
#include "config.h"

#include <string.h>

#include "crowdspark-core.h"
#include "cs-kyc-provider.h"

static char *
decision_body (const char *event_id, const char *kyc_id, const char *decision, const char *reason,
               gint64 now)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", event_id);
  cs_json_writer_member_string (w, "type", "kyc.decided");
  cs_json_writer_member_int (w, "created", now);
  cs_json_writer_key (w, "data");
  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "check_id", kyc_id);
  cs_json_writer_member_string (w, "decision", decision);
  cs_json_writer_member_string (w, "reason", reason);
  cs_json_writer_end_object (w);
  cs_json_writer_end_object (w);
  return cs_json_writer_free_to_string (w);
}

static gboolean
sandbox_submit (CsStoreConn *conn, const char *kyc_id, const char *document_number, gint64 now,
                GError **error)
{
  g_autofree char *event_id = cs_id_new ("evt");
  g_autofree char *message_id = cs_id_new ("msg");
  g_autofree char *op_key = g_strconcat ("kyc:", kyc_id, NULL);
  g_autofree char *body = NULL;
  g_autofree char *charge_id = NULL;
  const char *decision = "verified";
  const char *reason = NULL;
  CsOutboxMessage message = { 0 };
  gboolean replayed = FALSE;

  if (g_str_has_prefix (document_number, "REJECT"))
    {
      decision = "rejected";
      reason = "The document could not be verified.";
    }
  else if (g_str_has_prefix (document_number, "REVIEW"))
    {
      decision = "review";
      reason = "The document needs a manual review.";
    }

  body = decision_body (event_id, kyc_id, decision, reason, now);
  message.id = message_id;
  message.endpoint = (char *) "kyc";
  message.event_id = event_id;
  message.body = body;
  message.next_attempt_at = now;
  /* keyed by the check: a repeated submission queues no second answer */
  return cs_store_sandbox_record (conn, op_key, NULL, &message, now, &replayed, &charge_id, error);
}

static const CsKycProvider sandbox_provider = {
  .name = "sandbox",
  .submit = sandbox_submit,
};

const CsKycProvider *
cs_kyc_provider_sandbox (void)
{
  return &sandbox_provider;
}

gboolean
cs_kyc_provider_submit (CsStoreConn *conn, const char *kyc_id, const char *document_number, gint64 now,
                        GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (kyc_id == NULL || !cs_id_is_valid (kyc_id) || document_number == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "An identity check needs its id and a document.");
      return FALSE;
    }
  return cs_kyc_provider_sandbox ()->submit (conn, kyc_id, document_number, now, error);
}
