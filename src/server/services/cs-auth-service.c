/* cs-auth-service.c: accounts, argon2id passwords, sessions and tokens.
 *
 * Access tokens ("csa_…") live access_token_ttl seconds, refresh tokens
 * ("csr_…") refresh_token_ttl; both are 32 random bytes and only their SHA-256
 * is stored.  Every refresh rotates the refresh token; presenting a spent one
 * revokes the whole session (it was stolen, or the client is confused).
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "cs-auth-service.h"

#define ACCESS_PREFIX  "csa_"
#define REFRESH_PREFIX "csr_"

void
cs_auth_result_clear (CsAuthResult *result)
{
  g_clear_pointer (&result->user, cs_user_free);
  g_clear_pointer (&result->access_token, g_free);
  g_clear_pointer (&result->refresh_token, g_free);
}

static gboolean
ensure_sodium (GError **error)
{
  static gsize initialized = 0;
  static gboolean ok = FALSE;

  if (g_once_init_enter (&initialized))
    {
      ok = sodium_init () >= 0;
      g_once_init_leave (&initialized, 1);
    }
  if (!ok)
    g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "libsodium could not be initialised");
  return ok;
}

char *
cs_password_hash (const char *password, CsPasswordCost cost, GError **error)
{
  char out[crypto_pwhash_STRBYTES];
  unsigned long long ops;
  size_t mem;

  if (!ensure_sodium (error))
    return NULL;
  switch (cost)
    {
    case CS_PASSWORD_COST_MODERATE:
      ops = crypto_pwhash_OPSLIMIT_MODERATE;
      mem = crypto_pwhash_MEMLIMIT_MODERATE;
      break;
    case CS_PASSWORD_COST_MINIMUM:
      ops = crypto_pwhash_OPSLIMIT_MIN;
      mem = crypto_pwhash_MEMLIMIT_MIN;
      break;
    case CS_PASSWORD_COST_INTERACTIVE:
    default:
      ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
      mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
      break;
    }
  if (crypto_pwhash_str_alg (out, password, strlen (password), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAVAILABLE, "Not enough memory to hash the password");
      return NULL;
    }
  return g_strdup (out);
}

gboolean
cs_password_verify (const char *hash, const char *password)
{
  if (!ensure_sodium (NULL) || hash == NULL || password == NULL)
    return FALSE;
  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

/* A fixed hash to verify against when the account does not exist, so that a
 * wrong e-mail costs as much time as a wrong password. */
static const char *
dummy_hash (CsPasswordCost cost)
{
  static char *hashes[3];
  static GMutex lock;
  const char *result;

  g_mutex_lock (&lock);
  if (hashes[cost] == NULL)
    hashes[cost] = cs_password_hash ("not-a-real-password-0000", cost, NULL);
  result = hashes[cost];
  g_mutex_unlock (&lock);
  return result;
}

static gboolean
issue_session (const CsCall *call, CsUser *user, CsAuthResult *out, GError **error)
{
  g_autofree char *session_id = cs_id_new ("ses");
  g_autofree char *access_raw = cs_token_new (32);
  g_autofree char *refresh_raw = cs_token_new (32);
  g_autofree char *access = g_strconcat (ACCESS_PREFIX, access_raw, NULL);
  g_autofree char *refresh = g_strconcat (REFRESH_PREFIX, refresh_raw, NULL);
  g_autofree char *access_hash = cs_sha256_hex (access);
  g_autofree char *refresh_hash = cs_sha256_hex (refresh);

  if (!cs_store_session_create (call->conn, session_id, user->id,
                                access_hash, call->now + call->config->access_token_ttl,
                                refresh_hash, call->now + call->config->refresh_token_ttl,
                                call->now, error))
    return FALSE;

  out->user = user;
  out->access_token = g_steal_pointer (&access);
  out->refresh_token = g_steal_pointer (&refresh);
  out->expires_in = call->config->access_token_ttl;
  return TRUE;
}

static gboolean
rate_limit (const CsCall *call, const char *key, gint64 window, gint64 limit, gboolean count,
            const char *detail, GError **error)
{
  gboolean allowed = TRUE;
  gint64 retry_after = 0;
  gboolean ok;

  ok = count ? cs_store_rate_limit_hit (call->conn, key, call->now, window, limit, &allowed, &retry_after, error)
             : cs_store_rate_limit_peek (call->conn, key, call->now, window, limit, &allowed, &retry_after, error);
  if (!ok)
    return FALSE;
  if (!allowed)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_RATE_LIMITED, detail);
      cs_error_set_retry_after (*error, MAX (retry_after, 1));
      return FALSE;
    }
  return TRUE;
}

static gboolean
limit_address (const CsCall *call, GError **error)
{
  g_autofree char *key = g_strconcat ("auth:addr:", call->remote_addr ? call->remote_addr : "-", NULL);

  return rate_limit (call, key, call->config->address_window, call->config->address_max_attempts, TRUE,
                     "Too many sign-in attempts from your network. Please wait and try again.", error);
}

gboolean
cs_auth_register (const CsCall *call, JsonObject *body, CsAuthResult *out, GError **error)
{
  static const char * const allowed[] = { "email", "username", "password", "display_name", NULL };
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autofree char *email = NULL;
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(CsUser) user = NULL;

  cs_json_reject_unknown (body, allowed, v);
  if (cs_json_read_string (body, "email", TRUE, 3, 254, FALSE, v, &email))
    cs_validate_email (email, "email", v);
  if (cs_json_read_string (body, "username", TRUE, 1, 64, FALSE, v, &username))
    cs_validate_username (username, "username", v);
  if (cs_json_read_string (body, "password", TRUE, 1, 1024, FALSE, v, &password))
    cs_validate_password (password, username, email, "password", v);
  cs_json_read_string (body, "display_name", FALSE, 1, 60, FALSE, v, &display_name);
  if (!cs_validation_finish (v, "The account details are not valid", error))
    return FALSE;

  if (!limit_address (call, error))
    return FALSE;

  hash = cs_password_hash (password, call->config->password_cost, error);
  if (hash == NULL)
    return FALSE;

  user = cs_user_new ();
  user->id = cs_id_new ("usr");
  user->email = cs_email_normalize (email);
  user->username = g_strdup (username);
  user->display_name = g_strdup (display_name != NULL ? g_strstrip (display_name) : username);
  user->role = CS_ROLE_BACKER;
  user->created_at = user->updated_at = call->now;

  if (!cs_store_user_insert (call->conn, user, hash, error))
    return FALSE;
  return issue_session (call, g_steal_pointer (&user), out, error);
}

gboolean
cs_auth_login (const CsCall *call, JsonObject *body, CsAuthResult *out, GError **error)
{
  static const char * const allowed[] = { "email", "password", NULL };
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autofree char *login = NULL;
  g_autofree char *password = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *account_key = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(GError) lookup_error = NULL;
  g_autoptr(CsUser) user = NULL;

  cs_json_reject_unknown (body, allowed, v);
  cs_json_read_string (body, "email", TRUE, 1, 254, FALSE, v, &login);
  cs_json_read_string (body, "password", TRUE, 1, 1024, FALSE, v, &password);
  if (!cs_validation_finish (v, "Give your e-mail (or username) and password", error))
    return FALSE;

  normalized = strchr (login, '@') != NULL ? cs_email_normalize (login) : g_utf8_strdown (g_strstrip (login), -1);

  if (!limit_address (call, error))
    return FALSE;

  user = cs_store_user_get_by_login (call->conn, normalized, &hash, &lookup_error);
  if (user == NULL && !g_error_matches (lookup_error, CS_ERROR, CS_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&lookup_error));
      return FALSE;
    }

  /* Failures count per account whichever name or e-mail was typed; for an
   * unknown login, per what was typed, which tells nothing either way. */
  account_key = g_strconcat ("auth:acct:", user != NULL ? user->id : normalized, NULL);
  if (!rate_limit (call, account_key, call->config->login_failure_window, call->config->login_max_failures,
                   FALSE, "Too many failed sign-ins for this account. Please wait and try again.", error))
    return FALSE;

  if (user == NULL)
    cs_password_verify (dummy_hash (call->config->password_cost), password);

  if (user == NULL || !cs_password_verify (hash, password))
    {
      gboolean allowed_more = TRUE;
      gint64 retry_after = 0;

      if (!cs_store_rate_limit_hit (call->conn, account_key, call->now, call->config->login_failure_window,
                                    call->config->login_max_failures, &allowed_more, &retry_after, error))
        return FALSE;
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED,
                           "The e-mail, username or password is not right.");
      return FALSE;
    }

  if (user->suspended)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_FORBIDDEN,
                           "This account is suspended. Contact the moderators if you think this is a mistake.");
      return FALSE;
    }

  if (!cs_store_rate_limit_clear (call->conn, account_key, error))
    return FALSE;
  return issue_session (call, g_steal_pointer (&user), out, error);
}

gboolean
cs_auth_refresh (const CsCall *call, JsonObject *body, CsAuthResult *out, GError **error)
{
  static const char * const allowed[] = { "refresh_token", NULL };
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autofree char *token = NULL;
  g_autofree char *token_hash = NULL;
  g_autofree char *access_raw = cs_token_new (32);
  g_autofree char *refresh_raw = cs_token_new (32);
  g_autofree char *access = g_strconcat (ACCESS_PREFIX, access_raw, NULL);
  g_autofree char *refresh = g_strconcat (REFRESH_PREFIX, refresh_raw, NULL);
  g_autofree char *access_hash = cs_sha256_hex (access);
  g_autofree char *refresh_hash = cs_sha256_hex (refresh);
  CsRefreshResult result = CS_REFRESH_UNKNOWN;
  CsSessionInfo info = { 0 };
  CsUser *user;

  cs_json_reject_unknown (body, allowed, v);
  cs_json_read_string (body, "refresh_token", TRUE, 1, 512, FALSE, v, &token);
  if (!cs_validation_finish (v, "Give the refresh token", error))
    return FALSE;

  token_hash = cs_sha256_hex (token);
  if (!cs_store_session_refresh (call->conn, token_hash, call->now,
                                 access_hash, call->now + call->config->access_token_ttl,
                                 refresh_hash, call->now + call->config->refresh_token_ttl,
                                 &result, &info, error))
    return FALSE;

  switch (result)
    {
    case CS_REFRESH_OK:
      break;
    case CS_REFRESH_REUSED:
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED,
                           "This refresh token was already used, so the session has been signed out to keep "
                           "the account safe. Please sign in again.");
      cs_error_set_type_slug (*error, "refresh-token-reused");
      return FALSE;
    case CS_REFRESH_EXPIRED:
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED, "The session has expired. Please sign in again.");
      return FALSE;
    case CS_REFRESH_UNKNOWN:
    default:
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED, "The refresh token is not valid. Please sign in again.");
      return FALSE;
    }

  user = cs_store_user_get (call->conn, info.user_id, error);
  cs_session_info_clear (&info);
  if (user == NULL)
    return FALSE;
  out->user = user;
  out->access_token = g_steal_pointer (&access);
  out->refresh_token = g_steal_pointer (&refresh);
  out->expires_in = call->config->access_token_ttl;
  return TRUE;
}

gboolean
cs_auth_logout (const CsCall *call, GError **error)
{
  return cs_store_session_revoke (call->conn, call->session_id, call->now, error);
}

gboolean
cs_auth_authenticate (CsStoreConn *conn, const char *access_token, gint64 now, CsSessionInfo *out,
                      GError **error)
{
  g_autofree char *hash = NULL;

  if (!g_str_has_prefix (access_token, ACCESS_PREFIX) || strlen (access_token) > 128)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED, "The access token is not valid.");
      return FALSE;
    }
  hash = cs_sha256_hex (access_token);
  if (!cs_store_session_lookup (conn, hash, now, out, error))
    {
      if (error != NULL && g_error_matches (*error, CS_ERROR, CS_ERROR_UNAUTHORIZED))
        {
          g_clear_error (error);
          g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED,
                               "The access token is not valid or has expired. Refresh it or sign in again.");
          cs_error_set_type_slug (*error, "invalid-token");
        }
      return FALSE;
    }
  if (out->suspended)
    {
      cs_session_info_clear (out);
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED, "This account is suspended.");
      return FALSE;
    }
  return TRUE;
}

CsUser *
cs_account_get (const CsCall *call, GError **error)
{
  return cs_store_user_get (call->conn, call->user_id, error);
}

CsUser *
cs_account_update (const CsCall *call, JsonObject *body, GError **error)
{
  static const char * const allowed[] = {
    "display_name", "bio", "username", "email", "password", "current_password", NULL
  };
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(CsUser) current = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *bio = NULL;
  g_autofree char *username = NULL;
  g_autofree char *email = NULL;
  g_autofree char *normalized_email = NULL;
  g_autofree char *password = NULL;
  g_autofree char *current_password = NULL;
  g_autofree char *stored_hash = NULL;
  g_autofree char *new_hash = NULL;
  gboolean bio_null = FALSE;
  gboolean has_bio;
  CsUserPatch patch = { 0 };

  current = cs_store_user_get (call->conn, call->user_id, error);
  if (current == NULL)
    return NULL;

  cs_json_reject_unknown (body, allowed, v);
  cs_json_read_string (body, "display_name", FALSE, 1, 60, FALSE, v, &display_name);
  has_bio = cs_json_read_string_nullable (body, "bio", 0, 500, TRUE, v, &bio, &bio_null);
  if (cs_json_read_string (body, "username", FALSE, 1, 64, FALSE, v, &username))
    cs_validate_username (username, "username", v);
  if (cs_json_read_string (body, "email", FALSE, 3, 254, FALSE, v, &email))
    cs_validate_email (email, "email", v);
  if (cs_json_read_string (body, "password", FALSE, 1, 1024, FALSE, v, &password))
    cs_validate_password (password, username ? username : current->username,
                          email ? email : current->email, "password", v);
  cs_json_read_string (body, "current_password", FALSE, 1, 1024, FALSE, v, &current_password);
  if ((password != NULL || email != NULL) && current_password == NULL)
    cs_validation_add (v, "current_password", "is required to change the e-mail or password");
  if (!cs_validation_finish (v, "The account details are not valid", error))
    return NULL;

  if (current_password != NULL)
    {
      g_autoptr(CsUser) again = cs_store_user_get_by_login (call->conn, current->email, &stored_hash, error);

      if (again == NULL)
        return NULL;
      if (!cs_password_verify (stored_hash, current_password))
        {
          g_set_error_literal (error, CS_ERROR, CS_ERROR_FORBIDDEN, "The current password is not right.");
          return NULL;
        }
    }

  if (password != NULL)
    {
      new_hash = cs_password_hash (password, call->config->password_cost, error);
      if (new_hash == NULL)
        return NULL;
    }
  if (email != NULL)
    normalized_email = cs_email_normalize (email);

  patch.display_name = display_name != NULL ? g_strstrip (display_name) : NULL;
  patch.has_bio = has_bio || bio_null;
  patch.bio = bio;
  patch.username = username;
  patch.email = normalized_email;
  patch.password_hash = new_hash;
  return cs_store_user_update (call->conn, call->user_id, &patch, call->now, error);
}

CsUser *
cs_account_create_with_role (CsStoreConn          *conn,
                             const CsServerConfig *config,
                             const char           *email,
                             const char           *username,
                             const char           *password,
                             CsRole                role,
                             gint64                now,
                             GError              **error)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autofree char *hash = NULL;
  g_autoptr(CsUser) user = NULL;

  cs_validate_email (email, "email", v);
  cs_validate_username (username, "username", v);
  cs_validate_password (password, username, email, "password", v);
  if (!cs_validation_finish (v, "The account details are not valid", error))
    return NULL;

  hash = cs_password_hash (password, config->password_cost, error);
  if (hash == NULL)
    return NULL;

  user = cs_user_new ();
  user->id = cs_id_new ("usr");
  user->email = cs_email_normalize (email);
  user->username = g_strdup (username);
  user->display_name = g_strdup (username);
  user->role = role;
  user->created_at = user->updated_at = now;
  if (!cs_store_user_insert (conn, user, hash, error))
    return NULL;
  return g_steal_pointer (&user);
}
