/* cs-session.c: who is signed in, kept across starts in the keyring.
 *
 * The API client owns the tokens; the session follows its "tokens-changed"
 * signal: a new refresh token is saved over the server's keyring item, a
 * NULL one (refused, signed out) signs out here and deletes the item.
 *
 * Keyring writes run one at a time, in order; a write that is still queued
 * when a newer one comes is dropped (the newer one says everything), and
 * whoever waited for it waits for the newer one.  A keyring that fails once
 * is not used again this run ("keyring-available" FALSE, "keyring-error"
 * says why): the account then lives in memory only. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cs-session.h"
#include "cs-client-error.h"

/* Types */

typedef struct {
  CsSavedAccount *account;   /* to save, or NULL: clear */
  GPtrArray      *waiters;   /* GTask* (owned), completed when it is done */
} KeyringOp;

struct _CsSession {
  GObject        parent_instance;

  CsApiClient   *api;
  CsSecretStore *secrets;          /* NULL: no keyring at all */
  gulong         tokens_changed_id;

  gboolean       signed_in;
  char          *user_id;
  char          *username;
  char          *display_name;
  char          *role;

  gboolean       keyring_available;
  char          *keyring_error;

  guint          quiet;            /* > 0: tokens-changed is expected (sign in/up, restore) */
  KeyringOp     *running;          /* the keyring write in flight */
  KeyringOp     *queued;           /* the next one */
};

enum {
  PROP_0,
  PROP_SIGNED_IN,
  PROP_USER_ID,
  PROP_USERNAME,
  PROP_DISPLAY_NAME,
  PROP_ROLE,
  PROP_KEYRING_AVAILABLE,
  PROP_KEYRING_ERROR,
  N_PROPS
};

/* Prototypes */

static void keyring_run_next (CsSession *self);

G_DEFINE_FINAL_TYPE (CsSession, cs_session, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

/* Helpers: keyring queue */

static void
keyring_op_free (KeyringOp *op)
{
  g_clear_pointer (&op->account, cs_saved_account_free);
  g_clear_pointer (&op->waiters, g_ptr_array_unref);
  g_free (op);
}

static void
keyring_op_complete (KeyringOp *op)
{
  for (guint i = 0; i < op->waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (op->waiters, i), TRUE);
  keyring_op_free (op);
}

static void
keyring_failed (CsSession *self, const GError *error)
{
  if (!self->keyring_available && self->keyring_error != NULL)
    return;
  g_info ("The keyring cannot be used: %s", error->message);
  self->keyring_available = FALSE;
  g_free (self->keyring_error);
  self->keyring_error = g_strdup (error->message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYRING_AVAILABLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYRING_ERROR]);
}

static void
keyring_op_done (CsSession *self, gboolean ok, GError *error)
{
  if (!ok && error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    keyring_failed (self, error);
  g_clear_error (&error);
  keyring_op_complete (g_steal_pointer (&self->running));
  keyring_run_next (self);
}

static void
keyring_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsSession) self = user_data;
  GError *error = NULL;
  gboolean ok = cs_secret_store_save_finish (CS_SECRET_STORE (source), result, &error);

  keyring_op_done (self, ok, error);
}

static void
keyring_cleared_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsSession) self = user_data;
  GError *error = NULL;
  gboolean ok = cs_secret_store_clear_finish (CS_SECRET_STORE (source), result, &error);

  keyring_op_done (self, ok, error);
}

static void
keyring_run_next (CsSession *self)
{
  if (self->running != NULL || self->queued == NULL)
    return;
  self->running = g_steal_pointer (&self->queued);
  if (self->secrets == NULL || !self->keyring_available)
    {
      keyring_op_complete (g_steal_pointer (&self->running));
      return;
    }
  if (self->running->account != NULL)
    cs_secret_store_save_async (self->secrets, self->running->account, NULL, keyring_saved_cb,
                                g_object_ref (self));
  else
    cs_secret_store_clear_async (self->secrets, cs_api_client_get_base_url (self->api), NULL,
                                 keyring_cleared_cb, g_object_ref (self));
}

/* Queues a save of @refresh_token for the signed-in user, or with NULL a
 * clear of the server's item. */
static void
keyring_enqueue (CsSession *self, const char *refresh_token)
{
  KeyringOp *op = g_new0 (KeyringOp, 1);

  op->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  if (refresh_token != NULL)
    {
      op->account = g_new0 (CsSavedAccount, 1);
      op->account->server = g_strdup (cs_api_client_get_base_url (self->api));
      op->account->user_id = g_strdup (self->user_id);
      op->account->username = g_strdup (self->username);
      op->account->refresh_token = g_strdup (refresh_token);
    }
  if (self->queued != NULL)
    {
      /* superseded: its waiters wait for this one */
      for (guint i = 0; i < self->queued->waiters->len; i++)
        g_ptr_array_add (op->waiters, g_object_ref (g_ptr_array_index (self->queued->waiters, i)));
      keyring_op_free (self->queued);
    }
  self->queued = op;
  keyring_run_next (self);
}

/* Completes @task (taken) with TRUE once every keyring write queued so far
 * is done. */
static void
keyring_flush (CsSession *self, GTask *task)
{
  KeyringOp *last = self->queued != NULL ? self->queued : self->running;

  if (last == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  g_ptr_array_add (last->waiters, task);
}

/* Helpers: state */

static void
notify_all (CsSession *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

static void
set_user_fields (CsSession *self, const char *user_id, const char *username, const char *display_name,
                 const char *role)
{
  g_free (self->user_id);
  self->user_id = g_strdup (user_id);
  g_free (self->username);
  self->username = g_strdup (username);
  g_free (self->display_name);
  self->display_name = g_strdup (display_name != NULL ? display_name : username);
  g_free (self->role);
  self->role = g_strdup (role);
  self->signed_in = user_id != NULL;
  notify_all (self);
}

static void
set_user (CsSession *self, const CsUser *user)
{
  set_user_fields (self, user->id, user->username, user->display_name, cs_role_to_string (user->role));
}

static void
sign_out_locally (CsSession *self)
{
  if (!self->signed_in && self->user_id == NULL)
    return;
  set_user_fields (self, NULL, NULL, NULL, NULL);
}

/* Callbacks */

static void
tokens_changed_cb (CsApiClient *api, const char *refresh_token, CsSession *self)
{
  if (refresh_token == NULL)
    {
      /* refused or signed out: the saved token is dead either way */
      if (self->signed_in)
        {
          sign_out_locally (self);
          keyring_enqueue (self, NULL);
        }
      return;
    }
  /* a sign-in in progress saves when it knows who signed in */
  if (self->quiet == 0 && self->signed_in)
    keyring_enqueue (self, refresh_token);
}

static void
signed_in_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CsSession *self = g_task_get_source_object (task);
  CsApiClient *api = CS_API_CLIENT (source);
  g_autoptr(CsApiAuth) auth = NULL;
  g_autoptr(GError) error = NULL;

  self->quiet--;
  if (g_task_get_source_tag (task) == cs_session_sign_up_async)
    auth = cs_api_client_register_finish (api, result, &error);
  else
    auth = cs_api_client_login_finish (api, result, &error);
  if (auth == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  set_user (self, auth->user);
  keyring_enqueue (self, auth->refresh_token);
  keyring_flush (self, g_steal_pointer (&task));
}

static void
signed_out_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CsSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* best effort on the server; locally we are signed out already */
  if (!cs_api_client_logout_finish (CS_API_CLIENT (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  keyring_flush (self, g_steal_pointer (&task));
}

static void
restore_me_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CsSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(CsUser) user = cs_api_client_get_me_finish (CS_API_CLIENT (source), result, &error);

  if (user != NULL)
    {
      set_user (self, user);
      keyring_flush (self, g_steal_pointer (&task));
      return;
    }
  if (g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH))
    {
      /* The refresh token was refused: tokens-changed (NULL) signed us out
       * and queued the deletion; report once it is done. */
      if (self->signed_in)
        {
          sign_out_locally (self);
          keyring_enqueue (self, NULL);
        }
      g_task_set_task_data (task, g_steal_pointer (&error), (GDestroyNotify) g_error_free);
      keyring_flush (self, g_steal_pointer (&task));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* offline or a server problem: signed in from the keyring all the same */
  g_task_return_boolean (task, TRUE);
}

static void
restore_found_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  CsSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(CsSavedAccount) account = cs_secret_store_lookup_finish (CS_SECRET_STORE (source), result, &error);
  GCancellable *cancellable;

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      keyring_failed (self, error);
      g_task_return_boolean (task, FALSE);
      return;
    }
  if (account == NULL)
    {
      g_task_return_boolean (task, FALSE);
      return;
    }

  /* signed in at once (offline too); the first call refreshes the token */
  set_user_fields (self, account->user_id, account->username, account->username, "backer");
  self->quiet++;
  cs_api_client_set_tokens (self->api, NULL, account->refresh_token);
  self->quiet--;
  cancellable = g_task_get_cancellable (task);
  cs_api_client_get_me_async (self->api, cancellable, restore_me_cb, g_steal_pointer (&task));
}

/* Overrides */

static void
cs_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsSession *self = CS_SESSION (object);

  switch (prop_id)
    {
    case PROP_SIGNED_IN:         g_value_set_boolean (value, self->signed_in); break;
    case PROP_USER_ID:           g_value_set_string (value, self->user_id); break;
    case PROP_USERNAME:          g_value_set_string (value, self->username); break;
    case PROP_DISPLAY_NAME:      g_value_set_string (value, self->display_name); break;
    case PROP_ROLE:              g_value_set_string (value, self->role); break;
    case PROP_KEYRING_AVAILABLE: g_value_set_boolean (value, self->keyring_available); break;
    case PROP_KEYRING_ERROR:     g_value_set_string (value, self->keyring_error); break;
    default:                     G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_session_dispose (GObject *object)
{
  CsSession *self = CS_SESSION (object);

  if (self->api != NULL && self->tokens_changed_id != 0)
    g_clear_signal_handler (&self->tokens_changed_id, self->api);
  g_clear_object (&self->api);
  g_clear_object (&self->secrets);

  G_OBJECT_CLASS (cs_session_parent_class)->dispose (object);
}

static void
cs_session_finalize (GObject *object)
{
  CsSession *self = CS_SESSION (object);

  /* a keyring write in flight holds a reference: none is left here */
  g_clear_pointer (&self->queued, keyring_op_free);
  g_free (self->user_id);
  g_free (self->username);
  g_free (self->display_name);
  g_free (self->role);
  g_free (self->keyring_error);

  G_OBJECT_CLASS (cs_session_parent_class)->finalize (object);
}

static void
cs_session_class_init (CsSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = cs_session_get_property;
  object_class->dispose = cs_session_dispose;
  object_class->finalize = cs_session_finalize;

  properties[PROP_SIGNED_IN] = g_param_spec_boolean ("signed-in", NULL, NULL, FALSE, flags);
  properties[PROP_USER_ID] = g_param_spec_string ("user-id", NULL, NULL, NULL, flags);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, flags);
  properties[PROP_KEYRING_AVAILABLE] = g_param_spec_boolean ("keyring-available", NULL, NULL, FALSE, flags);
  properties[PROP_KEYRING_ERROR] = g_param_spec_string ("keyring-error", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cs_session_init (CsSession *self)
{
}

/* Public API */

CsSession *
cs_session_new (CsApiClient *api, CsSecretStore *secrets)
{
  CsSession *self;

  g_return_val_if_fail (CS_IS_API_CLIENT (api), NULL);
  g_return_val_if_fail (secrets == NULL || CS_IS_SECRET_STORE (secrets), NULL);

  self = g_object_new (CS_TYPE_SESSION, NULL);
  self->api = g_object_ref (api);
  self->secrets = secrets != NULL ? g_object_ref (secrets) : NULL;
  self->keyring_available = secrets != NULL;
  self->tokens_changed_id = g_signal_connect (api, "tokens-changed", G_CALLBACK (tokens_changed_cb), self);
  return self;
}

gboolean
cs_session_get_signed_in (CsSession *self)
{
  g_return_val_if_fail (CS_IS_SESSION (self), FALSE);
  return self->signed_in;
}

const char *
cs_session_get_user_id (CsSession *self)
{
  g_return_val_if_fail (CS_IS_SESSION (self), NULL);
  return self->user_id;
}

const char *
cs_session_get_username (CsSession *self)
{
  g_return_val_if_fail (CS_IS_SESSION (self), NULL);
  return self->username;
}

const char *
cs_session_get_display_name (CsSession *self)
{
  g_return_val_if_fail (CS_IS_SESSION (self), NULL);
  return self->display_name;
}

const char *
cs_session_get_role (CsSession *self)
{
  g_return_val_if_fail (CS_IS_SESSION (self), NULL);
  return self->role;
}

gboolean
cs_session_get_keyring_available (CsSession *self)
{
  g_return_val_if_fail (CS_IS_SESSION (self), FALSE);
  return self->keyring_available;
}

const char *
cs_session_get_keyring_error (CsSession *self)
{
  g_return_val_if_fail (CS_IS_SESSION (self), NULL);
  return self->keyring_error;
}

void
cs_session_restore_async (CsSession *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  GTask *task;

  g_return_if_fail (CS_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_session_restore_async);
  if (self->secrets == NULL || !self->keyring_available)
    {
      g_task_return_boolean (task, FALSE);
      g_object_unref (task);
      return;
    }
  cs_secret_store_lookup_async (self->secrets, cs_api_client_get_base_url (self->api), cancellable,
                                restore_found_cb, task);
}

gboolean
cs_session_restore_finish (CsSession *self, GAsyncResult *result, GError **error)
{
  GError *refused;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  /* a refused token: the flush succeeded, the restore did not */
  refused = g_task_get_task_data (G_TASK (result));
  if (refused != NULL)
    {
      g_propagate_error (error, g_error_copy (refused));
      return FALSE;
    }
  return self->signed_in;
}

void
cs_session_sign_in_async (CsSession *self, const char *login, const char *password, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (CS_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_session_sign_in_async);
  self->quiet++;
  cs_api_client_login_async (self->api, login, password, cancellable, signed_in_cb, task);
}

gboolean
cs_session_sign_in_finish (CsSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_session_sign_up_async (CsSession *self, const char *email, const char *username, const char *password,
                          GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (CS_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_session_sign_up_async);
  self->quiet++;
  cs_api_client_register_async (self->api, email, username, password, cancellable, signed_in_cb, task);
}

gboolean
cs_session_sign_up_finish (CsSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cs_session_sign_out_async (CsSession *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task;

  g_return_if_fail (CS_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cs_session_sign_out_async);
  /* the API client drops its tokens at once: tokens-changed (NULL) signs
   * out here and queues the deletion of the secret */
  if (self->signed_in)
    {
      sign_out_locally (self);
      keyring_enqueue (self, NULL);
    }
  cs_api_client_logout_async (self->api, cancellable, signed_out_cb, task);
}

gboolean
cs_session_sign_out_finish (CsSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
