/* cs-sign-in-dialog.h: signing in to the server, or creating an account.
 *
 * An AdwWindow (modal, transient for @parent) with two modes: sign in (e-mail
 * or username, password) and create an account (e-mail, username, password
 * of 10 or more characters).  The server's field errors are shown at their
 * rows; what was typed is never lost.  Signal "signed-in" (no arguments) is
 * emitted after a successful sign in or sign up, then the window closes.
 */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_SIGN_IN_DIALOG (cs_sign_in_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CsSignInDialog, cs_sign_in_dialog, CS, SIGN_IN_DIALOG, AdwWindow)

GtkWidget *cs_sign_in_dialog_new (CsContext *context, GtkWindow *parent);

G_END_DECLS
