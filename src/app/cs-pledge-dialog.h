/* cs-pledge-dialog.h: placeholder of the FLOWS helper's pledge dialog (app-contract.md). */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_PLEDGE_DIALOG (cs_pledge_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CsPledgeDialog, cs_pledge_dialog, CS, PLEDGE_DIALOG, AdwWindow)

/* signal "pledge-made" (const char *pledge_id) */
GtkWidget *cs_pledge_dialog_new            (CsContext *context, GtkWindow *parent, const char *campaign_id);
GtkWidget *cs_pledge_dialog_new_for_change (CsContext *context, GtkWindow *parent, const char *pledge_id);

G_END_DECLS
