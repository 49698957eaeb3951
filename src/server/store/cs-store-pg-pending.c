/* cs-store-pg-pending.c: DEVELOPMENT ONLY, deleted before issue 4 closes.
 * Weak definitions of every PostgreSQL operation that answer
 * "not implemented yet", so that the backend links while its files are
 * being written; each real definition replaces its weak one. */
#include "config.h"
#include "cs-store-pg-private.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

__attribute__((weak)) gboolean pg_user_insert (CsStoreConn *conn, const CsUser *user, const char *password_hash, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_user_insert is not implemented yet");
  return FALSE;
}

__attribute__((weak)) CsUser    * pg_user_get (CsStoreConn *conn, const char *user_id, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_user_get is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsUser    * pg_user_get_by_login (CsStoreConn *conn, const char *login, char **password_hash_out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_user_get_by_login is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsUser    * pg_user_update (CsStoreConn *conn, const char *user_id, const CsUserPatch *patch, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_user_update is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_session_create (CsStoreConn *conn, const char *session_id, const char *user_id, const char *access_hash, gint64 access_expires, const char *refresh_hash, gint64 refresh_expires, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_session_create is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_session_lookup (CsStoreConn *conn, const char *access_hash, gint64 now, CsSessionInfo *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_session_lookup is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_session_refresh (CsStoreConn *conn, const char *refresh_hash, gint64 now, const char *new_access_hash, gint64 access_expires, const char *new_refresh_hash, gint64 refresh_expires, CsRefreshResult *result, CsSessionInfo *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_session_refresh is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_session_revoke (CsStoreConn *conn, const char *session_id, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_session_revoke is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_rate_limit_hit (CsStoreConn *conn, const char *key, gint64 now, gint64 window, gint64 limit, gboolean *allowed, gint64 *retry_after, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_rate_limit_hit is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_rate_limit_peek (CsStoreConn *conn, const char *key, gint64 now, gint64 window, gint64 limit, gboolean *allowed, gint64 *retry_after, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_rate_limit_peek is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_rate_limit_clear (CsStoreConn *conn, const char *key, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_rate_limit_clear is not implemented yet");
  return FALSE;
}

__attribute__((weak)) GPtrArray * pg_categories (CsStoreConn *conn, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_categories is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsCampaign * pg_campaign_insert (CsStoreConn *conn, const CsCampaign *campaign, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_campaign_insert is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsCampaign * pg_campaign_get (CsStoreConn *conn, const char *campaign_id, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_campaign_get is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_campaign_version (CsStoreConn *conn, const char *campaign_id, CsCampaignVersion *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_campaign_version is not implemented yet");
  return FALSE;
}

__attribute__((weak)) CsCampaign * pg_campaign_update (CsStoreConn *conn, const char *campaign_id, const CsCampaignInput *patch, CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_campaign_update is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsCampaign * pg_campaign_transition (CsStoreConn *conn, const char *campaign_id, CsCampaignEvent event, const char *actor_id, const char *reason, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_campaign_transition is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsCampaign * pg_campaign_set_image (CsStoreConn *conn, const char *campaign_id, const char *image_url, CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_campaign_set_image is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_campaign_list (CsStoreConn *conn, const CsCampaignQuery *query, CsCampaignPage *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_campaign_list is not implemented yet");
  return FALSE;
}

__attribute__((weak)) CsRewardTier * pg_tier_insert (CsStoreConn *conn, const char *campaign_id, const CsRewardTier *tier, CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_tier_insert is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsRewardTier * pg_tier_update (CsStoreConn *conn, const char *campaign_id, const char *tier_id, const CsRewardTierInput *patch, CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_tier_update is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_tier_delete (CsStoreConn *conn, const char *campaign_id, const char *tier_id, CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_tier_delete is not implemented yet");
  return FALSE;
}

__attribute__((weak)) CsUpdate  * pg_update_insert (CsStoreConn *conn, const CsUpdate *update, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_update_insert is not implemented yet");
  return NULL;
}

__attribute__((weak)) GPtrArray * pg_update_list (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_update_list is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_is_backer (CsStoreConn *conn, const char *campaign_id, const char *user_id, gboolean *is_backer, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_is_backer is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_dashboard (CsStoreConn *conn, const char *user_id, CsDashboard *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_dashboard is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_sync (CsStoreConn *conn, const char *since, const char *viewer_id, gboolean viewer_is_staff, guint limit, CsSyncPage *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_sync is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_refresh_trending (CsStoreConn *conn, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_refresh_trending is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_purge_expired (CsStoreConn *conn, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_purge_expired is not implemented yet");
  return FALSE;
}

__attribute__((weak)) GPtrArray * pg_audit_list (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_audit_list is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_pledge_create (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now, CsPledge **out, CsReplay *replay, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_pledge_create is not implemented yet");
  return FALSE;
}

__attribute__((weak)) CsPledge  * pg_pledge_get (CsStoreConn *conn, const char *pledge_id, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_pledge_get is not implemented yet");
  return NULL;
}

__attribute__((weak)) GPtrArray * pg_pledge_list_for_backer (CsStoreConn *conn, const char *backer_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_pledge_list_for_backer is not implemented yet");
  return NULL;
}

__attribute__((weak)) GPtrArray * pg_pledge_list_for_campaign (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_pledge_list_for_campaign is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsPledge  * pg_pledge_change (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_pledge_change is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsPledge  * pg_pledge_cancel (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const char *job_id, gint64 now, CsCampaignProgress *progress, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_pledge_cancel is not implemented yet");
  return NULL;
}

__attribute__((weak)) GPtrArray * pg_payment_jobs_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_payment_jobs_claim is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_payment_job_done (CsStoreConn *conn, const char *job_id, const char *gateway_ref, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_payment_job_done is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_payment_job_retry (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at, const char *last_error, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_payment_job_retry is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_payment_jobs_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_payment_jobs_count is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_payment_event_apply (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now, gboolean *duplicate, CsCampaignProgress *progress, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_payment_event_apply is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_settle_due (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_settle_due is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_expire_capture_failed (CsStoreConn *conn, gint64 now, GPtrArray *progress, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_expire_capture_failed is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_campaign_balance (CsStoreConn *conn, const char *campaign_id, CsBalance *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_campaign_balance is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_withdrawal_create (CsStoreConn *conn, const CsWithdrawalCreate *in, const CsIdempotency *idem, gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_withdrawal_create is not implemented yet");
  return FALSE;
}

__attribute__((weak)) GPtrArray * pg_withdrawal_list (CsStoreConn *conn, const char *creator_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_withdrawal_list is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_check_books (CsStoreConn *conn, GPtrArray *violations, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_check_books is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_fee_settings_get (CsStoreConn *conn, CsFeeSettings *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_fee_settings_get is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_fee_settings_put (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_fee_settings_put is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_setting_get_int (CsStoreConn *conn, const char *key, gint64 def, gint64 *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_setting_get_int is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_setting_set_int (CsStoreConn *conn, const char *key, gint64 value, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_setting_set_int is not implemented yet");
  return FALSE;
}

__attribute__((weak)) CsKycCheck * pg_kyc_submit (CsStoreConn *conn, const CsKycCheck *check, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_kyc_submit is not implemented yet");
  return NULL;
}

__attribute__((weak)) CsKycCheck * pg_kyc_latest (CsStoreConn *conn, const char *user_id, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_kyc_latest is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_user_kyc_status (CsStoreConn *conn, const char *user_id, CsKycStatus *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_user_kyc_status is not implemented yet");
  return FALSE;
}

__attribute__((weak)) CsKycCheck * pg_kyc_decide (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason, const char *moderator_id, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_kyc_decide is not implemented yet");
  return NULL;
}

__attribute__((weak)) GPtrArray  * pg_kyc_queue (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_kyc_queue is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_sandbox_pm_insert (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_sandbox_pm_insert is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_sandbox_pm_get (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_sandbox_pm_get is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_sandbox_charge_get (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_sandbox_charge_get is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_sandbox_record (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge, const CsOutboxMessage *event, gint64 now, gboolean *replayed, char **charge_id_out, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_sandbox_record is not implemented yet");
  return FALSE;
}

__attribute__((weak)) GPtrArray * pg_outbox_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_outbox_claim is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_outbox_delivered (CsStoreConn *conn, const char *message_id, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_outbox_delivered is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_outbox_retry (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at, const char *last_error, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_outbox_retry is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_outbox_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_outbox_count is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_webhook_seen (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_webhook_seen is not implemented yet");
  return FALSE;
}

__attribute__((weak)) CsCampaign *pg_load_campaign (CsPgConn *c, const char *campaign_id, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_load_campaign is not implemented yet");
  return NULL;
}

__attribute__((weak)) gboolean pg_audit_insert (CsPgConn *c, const char *actor_id, const char *action, const char *subject_type, const char *subject_id, const char *reason, const char *detail, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_audit_insert is not implemented yet");
  return FALSE;
}

__attribute__((weak)) gboolean pg_money_void_campaign (CsPgConn *c, const char *campaign_id, gboolean suspended, gint64 now, GError **error)
{
  g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "pg_money_void_campaign is not implemented yet");
  return FALSE;
}
