/* cs-application.h: the CrowdSpark application.
 *
 * Holds the CsContext of the server in use (GSettings server-url, or the
 * --server URL of this run, which is not saved), the app actions
 * (preferences, shortcuts, about, sign-out, quit) and the desktop
 * notifications of the user's pledges.  Widgets get the context from here.
 *
 * Property "context" (CsContext): replaced when the server changes
 * (preferences); windows rebuild their pages on notify::context.
 */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_APPLICATION_SCHEMA_ID "io.github.crowdspark.CrowdSpark"

#define CS_TYPE_APPLICATION (cs_application_get_type ())
G_DECLARE_FINAL_TYPE (CsApplication, cs_application, CS, APPLICATION, AdwApplication)

CsApplication *cs_application_new                 (void);
CsApplication *cs_application_get_default         (void);
CsContext     *cs_application_get_context         (CsApplication *self);
GSettings     *cs_application_get_settings        (CsApplication *self);
/* For this run only (--server); before the application is registered. */
void           cs_application_set_server_override (CsApplication *self, const char *server_url);
/* Where the per-server caches live (default g_get_user_data_dir()/crowdspark);
 * before the application is registered. */
void           cs_application_set_data_dir        (CsApplication *self, const char *data_dir);
/* Validates @server_url (http or https with a host), saves it in GSettings
 * and switches to a new context for it. */
gboolean       cs_application_set_server_url      (CsApplication *self, const char *server_url,
                                                   GError **error);
/* TRUE if @text is an http(s) URL with a host; the error says why not. */
gboolean       cs_application_validate_server_url (const char *text, GError **error);

G_END_DECLS
