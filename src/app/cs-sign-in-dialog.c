/* cs-sign-in-dialog.c: signing in to the server, or creating an account. */
#include "config.h"

#include <glib/gi18n.h>

#include "cs-client-error.h"
#include "cs-sign-in-dialog.h"
#include "cs-widget-util.h"

/* The server's rule for a new password. */
#define MIN_PASSWORD_LENGTH 10

struct _CsSignInDialog
{
  AdwWindow parent_instance;

  /* template widgets */
  AdwWindowTitle      *window_title;
  GtkButton           *submit_button;
  GtkSpinner          *submit_spinner;
  GtkLabel            *submit_label;
  GtkStack            *mode_stack;
  AdwEntryRow         *login_row;
  AdwPasswordEntryRow *password_row;
  GtkLabel            *sign_in_fields_error;
  AdwEntryRow         *email_row;
  AdwEntryRow         *username_row;
  AdwPasswordEntryRow *new_password_row;
  GtkLabel            *sign_up_fields_error;
  GtkLabel            *error_label;
  GtkButton           *mode_button;

  /* owned */
  CsContext    *context;
  GCancellable *cancellable;
  gboolean      sign_up;
  gboolean      busy;
};

enum {
  SIGNAL_SIGNED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CsSignInDialog, cs_sign_in_dialog, ADW_TYPE_WINDOW)

/* ---- helpers ------------------------------------------------------------ */

static const char *
text_of (gpointer editable)
{
  return gtk_editable_get_text (GTK_EDITABLE (editable));
}

static void
show_message (GtkLabel *label, const char *message)
{
  gtk_label_set_text (label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL && *message != '\0');
}

static void
set_row_error (gpointer row, const char *message)
{
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  message ? message : "", -1);
}

static void
clear_errors (CsSignInDialog *self)
{
  gpointer rows[] = { self->login_row, self->password_row, self->email_row,
                      self->username_row, self->new_password_row };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    set_row_error (rows[i], NULL);
  show_message (self->sign_in_fields_error, NULL);
  show_message (self->sign_up_fields_error, NULL);
  show_message (self->error_label, NULL);
}

/* The row that shows the server's field @name in the current mode. */
static GtkWidget *
row_for_field (CsSignInDialog *self, const char *name)
{
  if (self->sign_up)
    {
      if (g_str_equal (name, "email"))
        return GTK_WIDGET (self->email_row);
      if (g_str_equal (name, "username"))
        return GTK_WIDGET (self->username_row);
      if (g_str_equal (name, "password"))
        return GTK_WIDGET (self->new_password_row);
      return NULL;
    }
  if (g_str_equal (name, "email") || g_str_equal (name, "login") || g_str_equal (name, "username"))
    return GTK_WIDGET (self->login_row);
  if (g_str_equal (name, "password"))
    return GTK_WIDGET (self->password_row);
  return NULL;
}

/* Marks each field's row and lists the messages under the rows, each after
 * its row's title; fields without a row go to the general error label. */
static void
show_field_errors (CsSignInDialog *self, GHashTable *fields)
{
  g_autoptr(GString) at_rows = g_string_new (NULL);
  g_autoptr(GString) others = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GtkWidget *row = row_for_field (self, key);
      GString *into = row ? at_rows : others;

      if (into->len > 0)
        g_string_append_c (into, '\n');
      if (row != NULL)
        {
          set_row_error (row, value);
          /* TRANSLATORS: a field's error: "Password: must be at least 10 characters" */
          g_string_append_printf (into, _("%s: %s"),
                                  adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                                  (const char *) value);
        }
      else
        g_string_append (into, value);
    }
  show_message (self->sign_up ? self->sign_up_fields_error : self->sign_in_fields_error, at_rows->str);
  if (others->len > 0)
    show_message (self->error_label, others->str);
}

static gboolean
can_submit (CsSignInDialog *self)
{
  if (self->busy)
    return FALSE;
  if (self->sign_up)
    return *text_of (self->email_row) && *text_of (self->username_row) && *text_of (self->new_password_row);
  return *text_of (self->login_row) && *text_of (self->password_row);
}

static void
update_buttons (CsSignInDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->submit_button), can_submit (self));
  gtk_widget_set_visible (GTK_WIDGET (self->submit_spinner), self->busy);
  gtk_spinner_set_spinning (self->submit_spinner, self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mode_button), !self->busy);
}

static void
set_busy (CsSignInDialog *self, gboolean busy)
{
  self->busy = busy;
  update_buttons (self);
}

static void
update_mode (CsSignInDialog *self)
{
  const char *title = self->sign_up ? _("Create Account") : _("Sign In");

  gtk_stack_set_visible_child_name (self->mode_stack, self->sign_up ? "sign-up" : "sign-in");
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_title (self->window_title, title);
  gtk_label_set_text_with_mnemonic (self->submit_label,
                                    self->sign_up ? _("C_reate Account") : _("_Sign In"));
  gtk_button_set_label (self->mode_button,
                        self->sign_up ? _("I _Already Have an Account") : _("C_reate an Account"));
  gtk_button_set_use_underline (self->mode_button, TRUE);
  update_buttons (self);
}

/* Carries what was typed into the other mode's rows where they are empty. */
static void
carry_over (CsSignInDialog *self)
{
  if (self->sign_up)
    {
      const char *login = text_of (self->login_row);
      AdwEntryRow *target = strchr (login, '@') ? self->email_row : self->username_row;

      if (*text_of (target) == '\0')
        gtk_editable_set_text (GTK_EDITABLE (target), login);
      if (*text_of (self->new_password_row) == '\0')
        gtk_editable_set_text (GTK_EDITABLE (self->new_password_row), text_of (self->password_row));
    }
  else
    {
      if (*text_of (self->login_row) == '\0')
        gtk_editable_set_text (GTK_EDITABLE (self->login_row), text_of (self->email_row));
      if (*text_of (self->password_row) == '\0')
        gtk_editable_set_text (GTK_EDITABLE (self->password_row), text_of (self->new_password_row));
    }
}

/* ---- callbacks ---------------------------------------------------------- */

static void
finished (CsSignInDialog *self, gboolean ok, GError *error)
{
  set_busy (self, FALSE);
  if (ok)
    {
      g_signal_emit (self, signals[SIGNAL_SIGNED_IN], 0);
      gtk_window_close (GTK_WINDOW (self));
      return;
    }

  if (g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot reach %s. Check your connection and try again."),
                                                  cs_context_get_server_url (self->context));
      show_message (self->error_label, message);
    }
  else if (cs_client_error_get_fields (error) != NULL)
    show_field_errors (self, cs_client_error_get_fields (error));
  else
    show_message (self->error_label, error->message);
}

static void
signed_in_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsSignInDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = cs_session_sign_in_finish (CS_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  finished (self, ok, error);
}

static void
signed_up_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsSignInDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = cs_session_sign_up_finish (CS_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  finished (self, ok, error);
}

static void
submit_clicked_cb (CsSignInDialog *self)
{
  CsSession *session = cs_context_get_session (self->context);

  if (!can_submit (self))
    return;
  clear_errors (self);

  if (!self->sign_up)
    {
      set_busy (self, TRUE);
      cs_session_sign_in_async (session, text_of (self->login_row), text_of (self->password_row),
                                self->cancellable, signed_in_cb, g_object_ref (self));
      return;
    }

  if (!strchr (text_of (self->email_row), '@'))
    {
      g_autofree char *message = g_strdup_printf (_("%s: %s"), _("Email"),
                                                  _("Enter an email address like name@example.com"));
      set_row_error (self->email_row, message);
      show_message (self->sign_up_fields_error, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->email_row));
      return;
    }
  if (g_utf8_strlen (text_of (self->new_password_row), -1) < MIN_PASSWORD_LENGTH)
    {
      g_autofree char *message = g_strdup_printf (_("%s: %s"), _("Password"),
                                                  _("Use at least 10 characters"));
      set_row_error (self->new_password_row, message);
      show_message (self->sign_up_fields_error, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->new_password_row));
      return;
    }

  set_busy (self, TRUE);
  cs_session_sign_up_async (session, text_of (self->email_row), text_of (self->username_row),
                            text_of (self->new_password_row), self->cancellable,
                            signed_up_cb, g_object_ref (self));
}

static void
field_changed_cb (CsSignInDialog *self, GtkEditable *editable)
{
  set_row_error (editable, NULL);
  update_buttons (self);
}

static void
mode_clicked_cb (CsSignInDialog *self)
{
  if (self->busy)
    return;
  self->sign_up = !self->sign_up;
  clear_errors (self);
  carry_over (self);
  update_mode (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->sign_up ? self->email_row : self->login_row));
}

/* ---- overrides ------------------------------------------------------------ */

static gboolean
cs_sign_in_dialog_close_request (GtkWindow *window)
{
  CsSignInDialog *self = CS_SIGN_IN_DIALOG (window);

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (cs_sign_in_dialog_parent_class)->close_request (window);
}

static void
cs_sign_in_dialog_dispose (GObject *object)
{
  CsSignInDialog *self = CS_SIGN_IN_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_SIGN_IN_DIALOG);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cs_sign_in_dialog_parent_class)->dispose (object);
}

static void
cs_sign_in_dialog_finalize (GObject *object)
{
  CsSignInDialog *self = CS_SIGN_IN_DIALOG (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (cs_sign_in_dialog_parent_class)->finalize (object);
}

static void
cs_sign_in_dialog_class_init (CsSignInDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cs_sign_in_dialog_dispose;
  object_class->finalize = cs_sign_in_dialog_finalize;
  window_class->close_request = cs_sign_in_dialog_close_request;

  /**
   * CsSignInDialog::signed-in:
   *
   * The session is signed in (or a new account was created); the dialog
   * closes right after.
   */
  signals[SIGNAL_SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/crowdspark/CrowdSpark/cs-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, submit_button);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, submit_spinner);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, submit_label);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, mode_stack);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, login_row);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, sign_in_fields_error);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, email_row);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, username_row);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, new_password_row);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, sign_up_fields_error);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, CsSignInDialog, mode_button);
  gtk_widget_class_bind_template_callback (widget_class, submit_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, mode_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cs_sign_in_dialog_init (CsSignInDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* libadwaita 1.2's show-password button has no name of its own */
  cs_widget_label_inner (GTK_WIDGET (self->password_row), GTK_TYPE_BUTTON, _("Show Password"));
  cs_widget_label_inner (GTK_WIDGET (self->new_password_row), GTK_TYPE_BUTTON, _("Show Password"));

  self->cancellable = g_cancellable_new ();
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->submit_button));
  update_mode (self);
}

/* ---- public API ------------------------------------------------------------ */

GtkWidget *
cs_sign_in_dialog_new (CsContext *context, GtkWindow *parent)
{
  CsSignInDialog *self;

  g_return_val_if_fail (CS_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (CS_TYPE_SIGN_IN_DIALOG, "transient-for", parent, NULL);
  self->context = g_object_ref (context);
  adw_window_title_set_subtitle (self->window_title, cs_context_get_server_url (context));
  gtk_widget_grab_focus (GTK_WIDGET (self->login_row));
  return GTK_WIDGET (self);
}
