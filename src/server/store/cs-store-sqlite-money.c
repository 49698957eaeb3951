/* cs-store-sqlite-money.c: (being written; stubs) */
#include "config.h"

#include "cs-store-sqlite-private.h"

gboolean
sqlite_pledge_create (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now, CsPledge **out, CsReplay *replay, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

CsPledge  *
sqlite_pledge_get (CsStoreConn *conn, const char *pledge_id, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

GPtrArray *
sqlite_pledge_list_for_backer (CsStoreConn *conn, const char *backer_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

GPtrArray *
sqlite_pledge_list_for_campaign (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

CsPledge  *
sqlite_pledge_change (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

CsPledge  *
sqlite_pledge_cancel (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const char *job_id, gint64 now, CsCampaignProgress *progress, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

GPtrArray *
sqlite_payment_jobs_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

gboolean
sqlite_payment_job_done (CsStoreConn *conn, const char *job_id, const char *gateway_ref, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_payment_job_retry (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at, const char *last_error, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_payment_jobs_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_payment_event_apply (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now, gboolean *duplicate, CsCampaignProgress *progress, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_settle_due (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_expire_capture_failed (CsStoreConn *conn, gint64 now, GPtrArray *progress, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_campaign_balance (CsStoreConn *conn, const char *campaign_id, CsBalance *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_withdrawal_create (CsStoreConn *conn, const CsWithdrawalCreate *in, const CsIdempotency *idem, gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

GPtrArray *
sqlite_withdrawal_list (CsStoreConn *conn, const char *creator_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return NULL;
}

gboolean
sqlite_check_books (CsStoreConn *conn, GPtrArray *violations, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_fee_settings_get (CsStoreConn *conn, CsFeeSettings *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_fee_settings_put (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_setting_get_int (CsStoreConn *conn, const char *key, gint64 def, gint64 *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}

gboolean
sqlite_setting_set_int (CsStoreConn *conn, const char *key, gint64 value, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "Not implemented yet");
  return FALSE;
}
