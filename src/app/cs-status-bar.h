/* cs-status-bar.h: the one message at the top of the window, by priority:
 * offline (Retry) > server problem (Retry) > signed out (Sign In).
 *
 * Properties online, last-error and signed-in are bound by the window to
 * the sync engine and the session; the buttons activate win.refresh and
 * win.sign-in. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef enum {
  CS_STATUS_NONE,
  CS_STATUS_OFFLINE,
  CS_STATUS_SERVER_PROBLEM,
  CS_STATUS_SIGNED_OUT,
} CsStatusKind;

#define CS_TYPE_STATUS_BAR (cs_status_bar_get_type ())
G_DECLARE_FINAL_TYPE (CsStatusBar, cs_status_bar, CS, STATUS_BAR, GtkWidget)

GtkWidget    *cs_status_bar_new         (void);
CsStatusKind  cs_status_bar_get_kind    (CsStatusBar *self);
/* The message shown, or NULL when the bar is hidden. */
const char   *cs_status_bar_get_message (CsStatusBar *self);

G_END_DECLS
