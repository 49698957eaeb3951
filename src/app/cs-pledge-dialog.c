/* cs-pledge-dialog.c: placeholder (the FLOWS helper replaces it). */
#include "cs-pledge-dialog.h"

struct _CsPledgeDialog { AdwWindow parent_instance; };

G_DEFINE_FINAL_TYPE (CsPledgeDialog, cs_pledge_dialog, ADW_TYPE_WINDOW)

static void
cs_pledge_dialog_class_init (CsPledgeDialogClass *klass)
{
  g_signal_new ("pledge-made", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
cs_pledge_dialog_init (CsPledgeDialog *self)
{
}

GtkWidget *
cs_pledge_dialog_new (CsContext *context, GtkWindow *parent, const char *campaign_id)
{
  return g_object_new (CS_TYPE_PLEDGE_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
}

GtkWidget *
cs_pledge_dialog_new_for_change (CsContext *context, GtkWindow *parent, const char *pledge_id)
{
  return g_object_new (CS_TYPE_PLEDGE_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
}
