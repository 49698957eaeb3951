/* cs-pledge-dialog.h: backing a campaign, or changing a pledge, in steps.
 *
 * Reward and amount → card (tokenised by the gateway, never kept) → review
 * → result (pending, then authorized or declined as the sync engine hears
 * from the gateway).  One idempotency key per dialog, so a double click or a
 * retry after a network error makes one pledge.
 *
 * Signal "pledge-made" (const char *pledge_id): a new pledge was accepted by
 * the server (it may still be pending).
 */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_PLEDGE_DIALOG (cs_pledge_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CsPledgeDialog, cs_pledge_dialog, CS, PLEDGE_DIALOG, AdwWindow)

GtkWidget *cs_pledge_dialog_new            (CsContext *context, GtkWindow *parent, const char *campaign_id);
/* Changing an existing pledge of the signed-in user: amount and reward, or
 * cancelling it (both through the outbox, offline too). */
GtkWidget *cs_pledge_dialog_new_for_change (CsContext *context, GtkWindow *parent, const char *pledge_id);

G_END_DECLS
