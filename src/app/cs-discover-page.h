/* cs-discover-page.h: browse and search campaigns (works signed out and
 * offline: the grid shows the cache at once; a text search also asks the
 * server and merges what it finds). */
#pragma once

#include <adwaita.h>
#include "cs-context.h"
#include "cs-client-error.h"

G_BEGIN_DECLS

#define CS_TYPE_DISCOVER_PAGE (cs_discover_page_get_type ())
G_DECLARE_FINAL_TYPE (CsDiscoverPage, cs_discover_page, CS, DISCOVER_PAGE, GtkWidget)

GtkWidget  *cs_discover_page_new          (CsContext *context);
void        cs_discover_page_focus_search (CsDiscoverPage *self);
/* Asks the server again (the categories, the current text search). */
void        cs_discover_page_reload       (CsDiscoverPage *self);
/* The campaigns shown (CsCampaignItem), borrowed. */
GListModel *cs_discover_page_get_model    (CsDiscoverPage *self);
/* "loading", "empty", "error" or "grid" */
const char *cs_discover_page_get_state    (CsDiscoverPage *self);

G_END_DECLS
