/* cs-session.h: who is signed in to the server, and keeping it across starts.
 *
 * Signing in or up stores the refresh token in the keyring (cs-secret-store.h)
 * and every rotation replaces it; the next start restores the account from the
 * keyring (signed in even offline: the user's id and name come with the item,
 * the token is refreshed when the server is reachable).  Signing out revokes
 * the session on the server (best effort) and deletes the secret.
 *
 * Without a Secret Service, "keyring-available" turns FALSE and
 * "keyring-error" says why; the account then lasts for this run only.
 *
 * Properties (all notify on the main context): signed-in, user-id, username,
 * display-name, role (a string: "backer", "moderator", "admin"),
 * keyring-available, keyring-error.
 */
#pragma once

#include "cs-api-client.h"
#include "cs-secret-store.h"

G_BEGIN_DECLS

#define CS_TYPE_SESSION (cs_session_get_type ())
G_DECLARE_FINAL_TYPE (CsSession, cs_session, CS, SESSION, GObject)

/* @secrets NULL: do not use a keyring at all (keyring-available FALSE). */
CsSession   *cs_session_new               (CsApiClient *api, CsSecretStore *secrets);

gboolean     cs_session_get_signed_in     (CsSession *self);
const char  *cs_session_get_user_id       (CsSession *self);
const char  *cs_session_get_username      (CsSession *self);
const char  *cs_session_get_display_name  (CsSession *self);
const char  *cs_session_get_role          (CsSession *self);
gboolean     cs_session_get_keyring_available (CsSession *self);
const char  *cs_session_get_keyring_error (CsSession *self);

/* Restores the server's saved account.  TRUE when signed in afterwards
 * (possibly offline: the refresh then happens on the first call); FALSE
 * with no error when nothing was saved.  A refused refresh token signs out
 * and deletes the secret (error AUTH). */
void         cs_session_restore_async     (CsSession *self, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean     cs_session_restore_finish    (CsSession *self, GAsyncResult *result, GError **error);
void         cs_session_sign_in_async     (CsSession *self, const char *login, const char *password,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean     cs_session_sign_in_finish    (CsSession *self, GAsyncResult *result, GError **error);
void         cs_session_sign_up_async     (CsSession *self, const char *email, const char *username,
                                           const char *password, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean     cs_session_sign_up_finish    (CsSession *self, GAsyncResult *result, GError **error);
void         cs_session_sign_out_async    (CsSession *self, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean     cs_session_sign_out_finish   (CsSession *self, GAsyncResult *result, GError **error);

G_END_DECLS
