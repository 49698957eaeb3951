/* cs-preferences-window.h: the server address (validated, applied on
 * confirm: the application switches to a new context) and pledge
 * notifications. */
#pragma once

#include <adwaita.h>
#include "cs-application.h"

G_BEGIN_DECLS

#define CS_TYPE_PREFERENCES_WINDOW (cs_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (CsPreferencesWindow, cs_preferences_window, CS, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *cs_preferences_window_new (CsApplication *application);

G_END_DECLS
