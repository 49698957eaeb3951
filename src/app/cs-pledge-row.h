/* cs-pledge-row.h: one of the user's pledges on the dashboard.
 *
 * Campaign title, reward, amount, a status pill, the failure reason of a
 * failed payment, "Pending" while a change waits in the outbox, and a Change
 * button on pledges that can still change.  Activating the row opens the
 * campaign (win.open-campaign).
 */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_PLEDGE_ROW (cs_pledge_row_get_type ())
G_DECLARE_FINAL_TYPE (CsPledgeRow, cs_pledge_row, CS, PLEDGE_ROW, GtkListBoxRow)

GtkWidget    *cs_pledge_row_new      (CsContext *context, CsPledgeItem *item);
CsPledgeItem *cs_pledge_row_get_item (CsPledgeRow *self);

/* A sentence for the gateway's failure reason (a code such as
 * "card_declined"); unknown reasons are shown as they are, NULL as a general
 * sentence. */
const char   *cs_pledge_failure_text (const char *failure_reason);

G_END_DECLS
