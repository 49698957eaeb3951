/* bench-common.h: what the benchmark seeders share. */
#pragma once

#include "cs-store.h"

/* Verifies @user_id's identity the way the sandbox provider's decision
 * does (a check submitted, then decided "verified"), so that the user may
 * submit campaigns. */
gboolean bench_verify_identity (CsStoreConn *conn, const char *user_id, const char *full_name, gint64 now,
                                GError **error);
