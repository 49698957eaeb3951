/* cs-auth-service.h: accounts, passwords (argon2id), sessions and tokens. */
#pragma once

#include "cs-service.h"

G_BEGIN_DECLS

typedef struct {
  CsUser *user;
  char   *access_token;
  char   *refresh_token;
  gint64  expires_in;
} CsAuthResult;

void      cs_auth_result_clear      (CsAuthResult *result);

/* argon2id (libsodium) with the configured limits. */
char     *cs_password_hash          (const char *password, CsPasswordCost cost, GError **error);
gboolean  cs_password_verify        (const char *hash, const char *password);

/* Body: email, username, password, optional display_name. */
gboolean  cs_auth_register          (const CsCall *call, JsonObject *body, CsAuthResult *out, GError **error);
/* Body: email (or username), password.  Rate-limited per account and address. */
gboolean  cs_auth_login             (const CsCall *call, JsonObject *body, CsAuthResult *out, GError **error);
/* Body: refresh_token.  Rotates; reuse revokes the session (401). */
gboolean  cs_auth_refresh           (const CsCall *call, JsonObject *body, CsAuthResult *out, GError **error);
gboolean  cs_auth_logout            (const CsCall *call, GError **error);
/* Bearer token → session; CS_ERROR_UNAUTHORIZED if invalid, expired,
 * revoked, or the account is suspended. */
gboolean  cs_auth_authenticate      (CsStoreConn *conn, const char *access_token, gint64 now,
                                     CsSessionInfo *out, GError **error);

CsUser   *cs_account_get            (const CsCall *call, GError **error);
/* Body: display_name, bio, username, email, password (+ current_password). */
CsUser   *cs_account_update         (const CsCall *call, JsonObject *body, GError **error);

/* For the CLI: creates an account with a role (password already validated). */
CsUser   *cs_account_create_with_role (CsStoreConn *conn, const CsServerConfig *config, const char *email,
                                       const char *username, const char *password, CsRole role,
                                       gint64 now, GError **error);

G_END_DECLS
