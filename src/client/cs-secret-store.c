/* cs-secret-store.c: refresh tokens in the system keyring (libsecret),
 * one item per server (schema in cs-secret-store.h).
 *
 * Every failure of libsecret (no Secret Service on the bus, a locked
 * keyring the user would not unlock) comes back to the caller as it is:
 * nothing is swallowed, nothing falls back to a file. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "cs-secret-store.h"

/* Types */

struct _CsSecretStore {
  GObject parent_instance;
};

typedef struct {
  CsSavedAccount *account;   /* being saved (save) */
  char           *server;    /* being looked up */
  GHashTable     *attributes;
} Op;

/* Prototypes */

G_DEFINE_FINAL_TYPE (CsSecretStore, cs_secret_store, G_TYPE_OBJECT)

/* Helpers */

static const SecretSchema *
account_schema (void)
{
  static const SecretSchema schema = {
    "io.github.crowdspark.CrowdSpark.Account", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };

  return &schema;
}

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

static CsSavedAccount *
saved_account_copy (const CsSavedAccount *account)
{
  CsSavedAccount *copy = g_new0 (CsSavedAccount, 1);

  copy->server = g_strdup (account->server);
  copy->user_id = g_strdup (account->user_id);
  copy->username = g_strdup (account->username);
  copy->refresh_token = g_strdup (account->refresh_token);
  return copy;
}

static void
op_free (Op *op)
{
  g_clear_pointer (&op->account, cs_saved_account_free);
  g_free (op->server);
  g_clear_pointer (&op->attributes, g_hash_table_unref);
  g_free (op);
}

static GTask *
op_task_new (CsSecretStore *self, GCancellable *cancellable, GAsyncReadyCallback callback,
             gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_new0 (Op, 1), (GDestroyNotify) op_free);
  return task;
}

/* Callbacks: save = clear the server's item, then store the new one */

static void
store_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
save_cleared_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autofree char *label = NULL;
  GError *error = NULL;

  /* FALSE without an error: there was no item */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  label = g_strdup_printf (_("CrowdSpark account %s on %s"), op->account->username, op->account->server);
  secret_password_store (account_schema (), SECRET_COLLECTION_DEFAULT, label, op->account->refresh_token,
                         g_task_get_cancellable (task), store_done_cb, g_object_ref (task),
                         "server", op->account->server,
                         "user-id", op->account->user_id,
                         "username", op->account->username,
                         NULL);
}

/* Callbacks: lookup = search by server (for the attributes), then the secret */

static void
lookup_secret_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(SecretValue) value = NULL;
  GError *error = NULL;
  CsSavedAccount *account;
  const char *text;

  value = secret_retrievable_retrieve_secret_finish (SECRET_RETRIEVABLE (source), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  text = value != NULL ? secret_value_get_text (value) : NULL;
  if (text == NULL || *text == '\0')
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  account = g_new0 (CsSavedAccount, 1);
  account->server = g_strdup (op->server);
  account->user_id = g_strdup (g_hash_table_lookup (op->attributes, "user-id"));
  account->username = g_strdup (g_hash_table_lookup (op->attributes, "username"));
  account->refresh_token = g_strdup (text);
  if (account->user_id == NULL || account->username == NULL)
    {
      /* not one of ours after all */
      cs_saved_account_free (account);
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_task_return_pointer (task, account, (GDestroyNotify) cs_saved_account_free);
}

static void
lookup_found_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  GList *items = secret_password_search_finish (result, &error);
  SecretRetrievable *item;

  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (items == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  item = items->data;
  op->attributes = secret_retrievable_get_attributes (item);
  secret_retrievable_retrieve_secret (item, g_task_get_cancellable (task), lookup_secret_cb, g_object_ref (task));
  g_list_free_full (items, g_object_unref);
}

/* Callbacks: clear */

static void
clear_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Overrides */

static void
cs_secret_store_class_init (CsSecretStoreClass *klass)
{
}

static void
cs_secret_store_init (CsSecretStore *self)
{
}

/* Public API */

void
cs_saved_account_free (CsSavedAccount *account)
{
  if (account == NULL)
    return;
  g_free (account->server);
  g_free (account->user_id);
  g_free (account->username);
  wipe_free (account->refresh_token);
  g_free (account);
}

CsSecretStore *
cs_secret_store_new (void)
{
  return g_object_new (CS_TYPE_SECRET_STORE, NULL);
}

void
cs_secret_store_save_async (CsSecretStore *self, const CsSavedAccount *account, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Op *op;

  g_return_if_fail (CS_IS_SECRET_STORE (self));
  g_return_if_fail (account != NULL && account->server != NULL && account->user_id != NULL &&
                    account->username != NULL && account->refresh_token != NULL);

  task = op_task_new (self, cancellable, callback, user_data, cs_secret_store_save_async);
  op = g_task_get_task_data (task);
  op->account = saved_account_copy (account);
  /* One item per server: whoever was saved for it before goes. */
  secret_password_clear (account_schema (), cancellable, save_cleared_cb, task,
                         "server", account->server, NULL);
}

gboolean
cs_secret_store_save_finish (CsSecretStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_secret_store_lookup_async (CsSecretStore *self, const char *server, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Op *op;

  g_return_if_fail (CS_IS_SECRET_STORE (self));
  g_return_if_fail (server != NULL);

  task = op_task_new (self, cancellable, callback, user_data, cs_secret_store_lookup_async);
  op = g_task_get_task_data (task);
  op->server = g_strdup (server);
  secret_password_search (account_schema (), SECRET_SEARCH_UNLOCK, cancellable, lookup_found_cb, task,
                          "server", server, NULL);
}

CsSavedAccount *
cs_secret_store_lookup_finish (CsSecretStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cs_secret_store_clear_async (CsSecretStore *self, const char *server, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (CS_IS_SECRET_STORE (self));
  g_return_if_fail (server != NULL);

  task = op_task_new (self, cancellable, callback, user_data, cs_secret_store_clear_async);
  secret_password_clear (account_schema (), cancellable, clear_done_cb, task, "server", server, NULL);
}

gboolean
cs_secret_store_clear_finish (CsSecretStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
