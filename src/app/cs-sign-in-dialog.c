/* cs-sign-in-dialog.c: placeholder (the FLOWS helper replaces it). */
#include "cs-sign-in-dialog.h"

struct _CsSignInDialog { AdwWindow parent_instance; };

G_DEFINE_FINAL_TYPE (CsSignInDialog, cs_sign_in_dialog, ADW_TYPE_WINDOW)

static void
cs_sign_in_dialog_class_init (CsSignInDialogClass *klass)
{
  g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cs_sign_in_dialog_init (CsSignInDialog *self)
{
}

GtkWidget *
cs_sign_in_dialog_new (CsContext *context, GtkWindow *parent)
{
  return g_object_new (CS_TYPE_SIGN_IN_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
}
