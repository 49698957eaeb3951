/* bench-common.c: see bench-common.h */
#include "bench-common.h"
#include "cs-store-money.h"

gboolean
bench_verify_identity (CsStoreConn *conn, const char *user_id, const char *full_name, gint64 now,
                       GError **error)
{
  g_autoptr(CsKycCheck) check = cs_kyc_check_new ();
  g_autoptr(CsKycCheck) stored = NULL;
  g_autoptr(CsKycCheck) verified = NULL;

  check->id = cs_id_new ("kyc");
  check->user_id = g_strdup (user_id);
  check->status = CS_KYC_PENDING;
  check->full_name = g_strdup (full_name);
  check->country = g_strdup ("NL");
  check->document_type = g_strdup ("passport");
  check->document_last4 = g_strdup ("0001");
  check->created_at = check->updated_at = now;
  stored = cs_store_kyc_submit (conn, check, now, error);
  if (stored == NULL)
    return FALSE;
  verified = cs_store_kyc_decide (conn, stored->id, CS_KYC_VERIFIED, NULL, NULL, now, error);
  return verified != NULL;
}
