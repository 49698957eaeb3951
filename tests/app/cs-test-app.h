/* cs-test-app.h: what the app tests share (test-app.c, test-flows.c).
 *
 * A real server on 127.0.0.1:0 with live campaigns (tests/server's harness,
 * in-process on its own threads), the real CsApplication and CsWindow
 * in-process on it with a temp data dir, waiting for the UI by iterating the
 * main context (never sleeping), finding widgets by walking the tree, and
 * screenshots (widget → texture → PNG in $CS_SCREENSHOT_DIR) that must not
 * be blank. */
#pragma once

#include <adwaita.h>
#include "cs-test-server.h"
#include "cs-application.h"
#include "cs-window.h"

G_BEGIN_DECLS

/* A server with data. */
typedef struct {
  CsTestServer *ts;
  char         *creator_token;
  char         *moderator_token;
  GPtrArray    *campaign_ids;   /* char*, in creation order */
  GPtrArray    *titles;         /* char*, parallel */
} CsTestAppServer;

/* The app in-process. */
typedef struct {
  CsApplication *app;
  CsWindow      *window;
  char          *data_dir;
} CsTestApp;

typedef gboolean (*CsTestAppCondition) (gpointer data);

/* g_test_init, the environment, GTK on the display (fails without one). */
void             cs_test_app_init              (int *argc, char ***argv);

/* @titles: NULL-terminated; NULL gives a default set of five.  Every
 * campaign is live with one reward tier ("Early bird", 25.00 USD, 100 of
 * them); the first gets an image; the second and third some pledges. */
CsTestAppServer *cs_test_app_server_new        (const char * const *titles);
void             cs_test_app_server_free       (CsTestAppServer *server);
/* One more live campaign (@image: upload a generated PNG). */
char            *cs_test_app_server_add_campaign (CsTestAppServer *server, const char *title,
                                                  const char *category, gboolean image);
/* A new backer pledges @amount (USD cents, card 4242…) and the test waits
 * until the server counts it in the campaign's current_amount. */
void             cs_test_app_server_pledge     (CsTestAppServer *server, const char *campaign_id, gint64 amount);

typedef void (*CsTestAppBody) (CsTestApp *app, gpointer data);

/* Runs the application (g_application_run(), as in real life) on
 * @server_url with a fresh data dir; once its window is mapped, calls
 * @body; then closes the windows, lets the application end and waits until
 * its context is finalized. */
void             cs_test_app_run               (const char *server_url, CsTestAppBody body, gpointer data);
/* The same on @data_dir, which is kept: a later run on it is the same
 * person's next start of the app (its cache, its account). */
void             cs_test_app_run_in            (const char *server_url, const char *data_dir,
                                                CsTestAppBody body, gpointer data);
CsContext       *cs_test_app_get_context       (CsTestApp *app);

/* Iterates the main context until @condition holds; FALSE after @timeout_ms. */
gboolean         cs_test_app_wait              (CsTestAppCondition condition, gpointer data, guint timeout_ms);
#define CS_TEST_APP_TIMEOUT_MS 30000
#define cs_test_app_assert_wait(condition, data) \
  g_assert_true (cs_test_app_wait ((CsTestAppCondition) (condition), (data), CS_TEST_APP_TIMEOUT_MS))
/* Lets every frame pending be drawn (two frame-clock ticks of @widget). */
void             cs_test_app_wait_frames       (GtkWidget *widget);

/* Depth first over @root and its descendants (every widget, mapped or not). */
void             cs_test_app_foreach           (GtkWidget *root, void (*func) (GtkWidget *widget, gpointer data),
                                                gpointer data);
/* The first mapped widget of @type (0: any) for which @match (NULL: any) holds. */
GtkWidget       *cs_test_app_find              (GtkWidget *root, GType type,
                                                gboolean (*match) (GtkWidget *widget, gpointer data),
                                                gpointer data);
/* A mapped GtkLabel showing exactly @text. */
GtkWidget       *cs_test_app_find_label        (GtkWidget *root, const char *text);
/* A mapped GtkLabel whose text contains @text. */
GtkWidget       *cs_test_app_find_label_containing (GtkWidget *root, const char *text);
/* A mapped GtkButton with this label (mnemonic underscores ignored). */
GtkWidget       *cs_test_app_find_button       (GtkWidget *root, const char *label);

/* Number of distinct colours of @texture. */
guint            cs_test_app_count_colours     (GdkTexture *texture);
/* Renders @widget (mapped, after a frame) to $CS_SCREENSHOT_DIR/@name.png
 * and asserts it has at least @min_colours distinct colours (not blank).
 * Returns the path. */
char            *cs_test_app_screenshot        (GtkWidget *widget, const char *name, guint min_colours);

/* Deletes @path and everything under it (a test's temp folder). */
void             cs_test_app_remove_tree       (const char *path);

G_END_DECLS
