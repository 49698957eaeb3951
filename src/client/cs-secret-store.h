/* cs-secret-store.h: refresh tokens in the system keyring (libsecret).
 *
 * Schema "io.github.crowdspark.CrowdSpark.Account" (documented in README):
 *   attributes  server   the API base URL, e.g. "https://crowdspark.example"
 *               user-id  the account's id
 *               username the account's username (to show before the first refresh)
 *   secret      the refresh token
 *   label       "CrowdSpark account USERNAME on SERVER"
 * One item per server: storing replaces the server's item.
 *
 * With no Secret Service running, every call fails with the libsecret/GDBus
 * error (never silently): the session then keeps the account for this run
 * only and says so.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CS_TYPE_SECRET_STORE (cs_secret_store_get_type ())
G_DECLARE_FINAL_TYPE (CsSecretStore, cs_secret_store, CS, SECRET_STORE, GObject)

typedef struct {
  char *server;
  char *user_id;
  char *username;
  char *refresh_token;
} CsSavedAccount;

void            cs_saved_account_free (CsSavedAccount *account);

CsSecretStore  *cs_secret_store_new            (void);

void            cs_secret_store_save_async     (CsSecretStore *self, const CsSavedAccount *account,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data);
gboolean        cs_secret_store_save_finish    (CsSecretStore *self, GAsyncResult *result, GError **error);
/* NULL without error when there is no item for @server. */
void            cs_secret_store_lookup_async   (CsSecretStore *self, const char *server,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data);
CsSavedAccount *cs_secret_store_lookup_finish  (CsSecretStore *self, GAsyncResult *result, GError **error);
/* Deletes @server's item (no error when there is none). */
void            cs_secret_store_clear_async    (CsSecretStore *self, const char *server,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data);
gboolean        cs_secret_store_clear_finish   (CsSecretStore *self, GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsSavedAccount, cs_saved_account_free)

G_END_DECLS
