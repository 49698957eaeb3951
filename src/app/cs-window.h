/* cs-window.h: the main window: Discover and My Pledges in a view stack,
 * the campaign page pushed over them, the status bar and the toasts.
 *
 * Window actions (app-contract.md): win.open-campaign (s), win.back-project
 * (s), win.sign-in, win.show-dashboard, win.show-discover, win.search,
 * win.refresh, win.go-back. */
#pragma once

#include <adwaita.h>
#include "cs-application.h"

G_BEGIN_DECLS

#define CS_TYPE_WINDOW (cs_window_get_type ())
G_DECLARE_FINAL_TYPE (CsWindow, cs_window, CS, WINDOW, AdwApplicationWindow)

CsWindow  *cs_window_new                (CsApplication *application);
/* @text is plain text (escaped here). */
void       cs_window_add_toast          (CsWindow *self, const char *text);
/* Borrowed; the campaign page is NULL unless one is shown. */
GtkWidget *cs_window_get_discover_page  (CsWindow *self);
GtkWidget *cs_window_get_dashboard_page (CsWindow *self);
GtkWidget *cs_window_get_campaign_page  (CsWindow *self);
GtkWidget *cs_window_get_status_bar     (CsWindow *self);

G_END_DECLS
