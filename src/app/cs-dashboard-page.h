/* cs-dashboard-page.h: "My pledges", the backer's dashboard.
 *
 * Signed out: a Sign In button (win.sign-in).  Signed in: the user's pledges
 * from the cache (CsPledgeList), grouped by what needs attention first, with
 * the totals pledged per currency; empty: a way to discover campaigns.
 */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_DASHBOARD_PAGE (cs_dashboard_page_get_type ())
G_DECLARE_FINAL_TYPE (CsDashboardPage, cs_dashboard_page, CS, DASHBOARD_PAGE, GtkWidget)

GtkWidget *cs_dashboard_page_new (CsContext *context);

G_END_DECLS
