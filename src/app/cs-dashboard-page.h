/* cs-dashboard-page.h: placeholder of the FLOWS helper's "My pledges" page (app-contract.md). */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_DASHBOARD_PAGE (cs_dashboard_page_get_type ())
G_DECLARE_FINAL_TYPE (CsDashboardPage, cs_dashboard_page, CS, DASHBOARD_PAGE, GtkWidget)

GtkWidget *cs_dashboard_page_new (CsContext *context);

G_END_DECLS
