/* cs-store-sqlite-trust.c: (being written; stubs) */
#include "config.h"

#include "cs-store-sqlite-private.h"

CsKycCheck *
sqlite_kyc_submit (CsStoreConn *conn, const CsKycCheck *check, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

CsKycCheck *
sqlite_kyc_latest (CsStoreConn *conn, const char *user_id, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

gboolean
sqlite_user_kyc_status (CsStoreConn *conn, const char *user_id, CsKycStatus *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

CsKycCheck *
sqlite_kyc_decide (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason, const char *moderator_id, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

GPtrArray  *
sqlite_kyc_queue (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

gboolean
sqlite_sandbox_pm_insert (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_sandbox_pm_get (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_sandbox_charge_get (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_sandbox_record (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge, const CsOutboxMessage *event, gint64 now, gboolean *replayed, char **charge_id_out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

GPtrArray *
sqlite_outbox_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

gboolean
sqlite_outbox_delivered (CsStoreConn *conn, const char *message_id, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_outbox_retry (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at, const char *last_error, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_outbox_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_webhook_seen (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}
