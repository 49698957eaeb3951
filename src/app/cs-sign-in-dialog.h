/* cs-sign-in-dialog.h: placeholder of the FLOWS helper's sign-in dialog (app-contract.md). */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_SIGN_IN_DIALOG (cs_sign_in_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CsSignInDialog, cs_sign_in_dialog, CS, SIGN_IN_DIALOG, AdwWindow)

/* signal "signed-in" (no arguments), emitted after a successful sign in/up */
GtkWidget *cs_sign_in_dialog_new (CsContext *context, GtkWindow *parent);

G_END_DECLS
