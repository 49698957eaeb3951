/* cs-test-app.c: what the app tests share. */
#include "config.h"

#include <glib/gstdio.h>
#include "cs-test-app.h"

typedef struct {
  char  *path;
  gint64 at_least;
} AmountWait;

typedef struct {
  GType      type;
  gboolean (*match) (GtkWidget *widget, gpointer data);
  gpointer   data;
  GtkWidget *found;
} FindData;

static const char * const default_titles[] = {
  "Solar Kettle for Mountain Camps",
  "Open Source Modular Synth",
  "Community Garden Tool Library",
  "Pixel Quest: A Cozy Adventure",
  "Handmade Stoneware Mug Set",
  NULL
};

static const char * const default_categories[] = {
  "technology", "music", "crafts", "games", "design",
};

/* ---- helpers ------------------------------------------------------------ */

static GBytes *
make_png (void)
{
  const int width = 320, height = 180;
  guchar *pixels = g_malloc ((gsize) width * height * 4);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  /* a warm sky over a hill: many colours, so screenshots show it */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar *p = pixels + ((gsize) y * width + x) * 4;
        gboolean hill = y > height * 2 / 3 - (x * (width - x)) / (width * 4);

        p[0] = hill ? 40 + x / 8 : 250 - y / 2;
        p[1] = hill ? 120 + y / 4 : 160 + x / 6;
        p[2] = hill ? 60 : 90 + y;
        p[3] = 255;
      }
  bytes = g_bytes_new_take (pixels, (gsize) width * height * 4);
  texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, bytes, (gsize) width * 4);
  return gdk_texture_save_to_png_bytes (texture);
}

static gboolean
amount_reached (CsTestServer *ts, gpointer user_data)
{
  AmountWait *wait = user_data;
  g_autoptr(CsTestResponse) resp = cs_test_request (ts, "GET", wait->path, NULL, NULL);

  return resp->status == 200 && cs_test_int (resp, "current_amount") >= wait->at_least;
}

static void
find_cb (GtkWidget *widget, gpointer user_data)
{
  FindData *find = user_data;

  if (find->found != NULL || !gtk_widget_get_mapped (widget))
    return;
  if (find->type != 0 && !g_type_is_a (G_OBJECT_TYPE (widget), find->type))
    return;
  if (find->match == NULL || find->match (widget, find->data))
    find->found = widget;
}

static gboolean
label_is (GtkWidget *widget, gpointer text)
{
  return g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
label_contains (GtkWidget *widget, gpointer text)
{
  const char *label = gtk_label_get_text (GTK_LABEL (widget));

  return label != NULL && strstr (label, text) != NULL;
}

static gboolean
button_is (GtkWidget *widget, gpointer text)
{
  const char *label = gtk_button_get_label (GTK_BUTTON (widget));
  g_autoptr(GString) plain = NULL;

  if (label == NULL)
    return FALSE;
  plain = g_string_new (label);
  g_string_replace (plain, "_", "", 0);
  return g_strcmp0 (plain->str, text) == 0;
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;   /* only wakes the loop so the deadline is checked */
}

static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  guint *ticks = user_data;

  (*ticks)++;
  return *ticks < 3 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
ticked_enough (gpointer user_data)
{
  return *(guint *) user_data >= 3;
}

static gboolean
widget_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

static void
transition_cb (GtkWidget *widget, gpointer data)
{
  if ((GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget))) ||
      (GTK_IS_REVEALER (widget) && gtk_widget_get_mapped (widget) &&
       gtk_revealer_get_reveal_child (GTK_REVEALER (widget)) != gtk_revealer_get_child_revealed (GTK_REVEALER (widget))))
    *(gboolean *) data = TRUE;
}

static gboolean
transitions_done (gpointer widget)
{
  gboolean running = FALSE;

  cs_test_app_foreach (widget, transition_cb, &running);
  return !running;
}

static gboolean
pointer_cleared (gpointer user_data)
{
  return *(gpointer *) user_data == NULL;
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);

  if (children != NULL)
    {
      GFileInfo *info;

      while (g_file_enumerator_iterate (children, &info, NULL, NULL, NULL) && info != NULL)
        {
          g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

          remove_tree (child);
        }
    }
  g_file_delete (file, NULL, NULL);
}

/* ---- public API --------------------------------------------------------- */

void
cs_test_app_init (int *argc, char ***argv)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("NO_AT_BRIDGE", "1", FALSE);
  g_test_init (argc, argv, NULL);
  /* the app tests need a display (tests/desktop-session.sh --display): no skipping */
  if (!gtk_init_check ())
    g_error ("No display: run the app tests through tests/desktop-session.sh --display");
  adw_init ();
}

CsTestAppServer *
cs_test_app_server_new (const char * const *titles)
{
  CsTestAppServer *server = g_new0 (CsTestAppServer, 1);

  server->ts = cs_test_server_new (NULL);
  server->creator_token = cs_test_register (server->ts, "maker", NULL);
  server->moderator_token = cs_test_staff_token (server->ts, "moderator", CS_ROLE_MODERATOR);
  server->campaign_ids = g_ptr_array_new_with_free_func (g_free);
  server->titles = g_ptr_array_new_with_free_func (g_free);

  if (titles == NULL)
    titles = default_titles;
  for (guint i = 0; titles[i] != NULL; i++)
    {
      g_autofree char *id = cs_test_app_server_add_campaign (server, titles[i],
                                                             default_categories[i % G_N_ELEMENTS (default_categories)],
                                                             i == 0);

      if (titles == default_titles && (i == 1 || i == 2))
        cs_test_app_server_pledge (server, id, i == 1 ? 420000 : 90000);
    }
  return server;
}

char *
cs_test_app_server_add_campaign (CsTestAppServer *server, const char *title, const char *category, gboolean image)
{
  g_autofree char *id = cs_test_create_campaign (server->ts, server->creator_token, title, category);

  if (image)
    {
      g_autoptr(GBytes) png = make_png ();
      g_autofree char *path = g_strconcat ("/api/v1/campaigns/", id, "/image", NULL);
      g_autoptr(CsTestResponse) resp = cs_test_request_full (server->ts, "POST", path, server->creator_token,
                                                             "image/png", png, NULL);

      g_assert_cmpuint (resp->status, ==, 200);
    }
  cs_test_make_live (server->ts, id, server->creator_token, server->moderator_token);
  g_ptr_array_add (server->campaign_ids, g_strdup (id));
  g_ptr_array_add (server->titles, g_strdup (title));
  return g_steal_pointer (&id);
}

void
cs_test_app_server_pledge (CsTestAppServer *server, const char *campaign_id, gint64 amount)
{
  static guint n_backers;
  g_autofree char *username = g_strdup_printf ("backer%u", ++n_backers);
  g_autofree char *token = cs_test_register (server->ts, username, NULL);
  g_autofree char *card = cs_test_card (server->ts, "4242424242424242");
  AmountWait wait = { g_strconcat ("/api/v1/campaigns/", campaign_id, NULL), 0 };
  g_autoptr(CsTestResponse) before = cs_test_request (server->ts, "GET", wait.path, NULL, NULL);
  g_autoptr(CsTestResponse) resp = NULL;

  g_assert_cmpuint (before->status, ==, 200);
  wait.at_least = cs_test_int (before, "current_amount") + amount;
  resp = cs_test_pledge (server->ts, token, campaign_id, amount, NULL, card, NULL);
  g_assert_cmpuint (resp->status, >=, 200);
  g_assert_cmpuint (resp->status, <, 300);
  g_assert_true (cs_test_wait_for (server->ts, amount_reached, &wait));
  g_free (wait.path);
}

void
cs_test_app_server_free (CsTestAppServer *server)
{
  if (server == NULL)
    return;
  g_clear_pointer (&server->ts, cs_test_server_free);
  g_free (server->creator_token);
  g_free (server->moderator_token);
  g_ptr_array_unref (server->campaign_ids);
  g_ptr_array_unref (server->titles);
  g_free (server);
}

typedef struct {
  CsTestApp     *app;
  CsTestAppBody  body;
  gpointer       data;
} RunData;

static void
run_body_cb (gpointer user_data)
{
  RunData *run = user_data;
  CsTestApp *app = run->app;
  GList *windows;

  app->window = CS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app->app)));
  g_assert_true (CS_IS_WINDOW (app->window));
  cs_test_app_assert_wait (widget_mapped, app->window);

  run->body (app, run->data);

  /* the last window closed ends g_application_run() */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app->app))) != NULL)
    gtk_window_destroy (windows->data);
}

static void
activated_cb (GApplication *application, RunData *run)
{
  g_idle_add_once (run_body_cb, run);
}

void
cs_test_app_run (const char *server_url, CsTestAppBody body, gpointer data)
{
  cs_test_app_run_in (server_url, NULL, body, data);
}

void
cs_test_app_run_in (const char *server_url, const char *data_dir, CsTestAppBody body, gpointer data)
{
  CsTestApp app = { NULL, };
  RunData run = { &app, body, data };
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) dir = NULL;
  CsContext *context = NULL;
  int status;

  if (data_dir != NULL)
    app.data_dir = g_strdup (data_dir);
  else
    {
      app.data_dir = g_dir_make_tmp ("crowdspark-app-test-XXXXXX", &error);
      g_assert_no_error (error);
    }

  app.app = cs_application_new ();
  /* several runs one after the other in one process */
  g_application_set_flags (G_APPLICATION (app.app), G_APPLICATION_NON_UNIQUE);
  cs_application_set_server_override (app.app, server_url);
  cs_application_set_data_dir (app.app, app.data_dir);
  g_signal_connect_after (app.app, "activate", G_CALLBACK (activated_cb), &run);

  status = g_application_run (G_APPLICATION (app.app), 0, NULL);
  g_assert_cmpint (status, ==, 0);

  context = cs_application_get_context (app.app);
  if (context != NULL)
    g_object_add_weak_pointer (G_OBJECT (context), (gpointer *) &context);
  g_clear_object (&app.app);
  /* what was in flight completes (cancelled) and lets the context go */
  cs_test_app_assert_wait (pointer_cleared, &context);

  if (data_dir == NULL)
    {
      dir = g_file_new_for_path (app.data_dir);
      remove_tree (dir);
    }
  g_free (app.data_dir);
}

CsContext *
cs_test_app_get_context (CsTestApp *app)
{
  return cs_application_get_context (app->app);
}

gboolean
cs_test_app_wait (CsTestAppCondition condition, gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint wake = g_timeout_add (20, wake_cb, NULL);
  gboolean ok = TRUE;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          ok = FALSE;
          break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (wake);
  return ok;
}

void
cs_test_app_wait_frames (GtkWidget *widget)
{
  guint ticks = 0;

  cs_test_app_assert_wait (widget_mapped, widget);
  /* no crossfade or slide half done */
  cs_test_app_assert_wait (transitions_done, widget);
  gtk_widget_queue_draw (widget);
  gtk_widget_add_tick_callback (widget, tick_cb, &ticks, NULL);
  cs_test_app_assert_wait (ticked_enough, &ticks);
}

void
cs_test_app_foreach (GtkWidget *root, void (*func) (GtkWidget *widget, gpointer data), gpointer data)
{
  func (root, data);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    cs_test_app_foreach (child, func, data);
}

GtkWidget *
cs_test_app_find (GtkWidget *root, GType type, gboolean (*match) (GtkWidget *widget, gpointer data), gpointer data)
{
  FindData find = { type, match, data, NULL };

  cs_test_app_foreach (root, find_cb, &find);
  return find.found;
}

GtkWidget *
cs_test_app_find_label (GtkWidget *root, const char *text)
{
  return cs_test_app_find (root, GTK_TYPE_LABEL, label_is, (gpointer) text);
}

GtkWidget *
cs_test_app_find_label_containing (GtkWidget *root, const char *text)
{
  return cs_test_app_find (root, GTK_TYPE_LABEL, label_contains, (gpointer) text);
}

GtkWidget *
cs_test_app_find_button (GtkWidget *root, const char *label)
{
  return cs_test_app_find (root, GTK_TYPE_BUTTON, button_is, (gpointer) label);
}

guint
cs_test_app_count_colours (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guchar *pixels = g_malloc (stride * height);
  g_autoptr(GHashTable) colours = g_hash_table_new (NULL, NULL);

  gdk_texture_download (texture, pixels, stride);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 pixel;

        memcpy (&pixel, pixels + y * stride + (gsize) x * 4, 4);
        g_hash_table_add (colours, GUINT_TO_POINTER (pixel));
      }
  return g_hash_table_size (colours);
}

char *
cs_test_app_screenshot (GtkWidget *widget, const char *name, guint min_colours)
{
  const char *dir = g_getenv ("CS_SCREENSHOT_DIR");
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width = 0, height = 0;
  guint colours;

  /* A new window may paint nothing through its paintable for its first
   * frames (GTK 4.8): a few more frames, then its content. */
  for (guint attempt = 0; node == NULL && attempt < 50; attempt++)
    {
      cs_test_app_wait_frames (widget);
      for (GtkWidget *target = widget; node == NULL && target != NULL; target = gtk_widget_get_first_child (target))
        {
          g_clear_object (&paintable);
          width = gtk_widget_get_width (target);
          height = gtk_widget_get_height (target);
          paintable = gtk_widget_paintable_new (target);
          snapshot = gtk_snapshot_new ();
          gdk_paintable_snapshot (paintable, snapshot, width, height);
          node = gtk_snapshot_free_to_node (snapshot);
        }
    }
  g_assert_nonnull (node);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (dir == NULL)
    dir = "screenshots";
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));

  colours = cs_test_app_count_colours (texture);
  g_test_message ("screenshot %s: %dx%d, %u colours", path, width, height, colours);
  g_assert_cmpuint (colours, >=, min_colours);
  return g_steal_pointer (&path);
}

void
cs_test_app_remove_tree (const char *path)
{
  g_autoptr(GFile) dir = g_file_new_for_path (path);

  remove_tree (dir);
}
