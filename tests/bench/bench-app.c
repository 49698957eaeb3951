/* bench-app.c: the desktop app's start, memory and scrolling, measured.
 *
 *   bench-app URL DATA_DIR fill     a first start: syncs every campaign into the cache, then quits
 *   bench-app URL DATA_DIR          a warm start on that cache: prints
 *       - the time from main() to the first painted Discover page with its cards,
 *       - the resident memory then and after scrolling the whole grid,
 *       - the most campaign cards alive at once while scrolling (the grid recycles them).
 *
 * Run under a display (tests/bench/bench-app.sh runs it inside
 * tests/desktop-session.sh --display against a seeded server).  Exit 1 on an
 * error only: targets are reported, not asserted.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs-application.h"
#include "cs-window.h"
#include "cs-discover-page.h"
#include "cs-campaign-card.h"

GResource *cs_app_get_resource (void);

static gint64 started;
static gboolean fill;
static const char *server_url;
static const char *data_dir;
static guint max_alive;
static guint painted_frames;

static long
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, field);
  return line != NULL ? strtol (line + strlen (field), NULL, 10) : -1;
}

static GtkWidget *
find_type (GtkWidget *root, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_type (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
scroll_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (widget));
  double value = gtk_adjustment_get_value (adj);
  double end = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  max_alive = MAX (max_alive, cs_campaign_card_get_n_alive ());
  if (value >= end)
    {
      GApplication *app = g_application_get_default ();

      printf ("scrolled %.0f px: at most %u campaign cards alive at once\n", end, max_alive);
      printf ("RSS after scrolling:         %.1f MiB (peak %.1f MiB; target < 150)\n",
              status_kib ("VmRSS:") / 1024.0, status_kib ("VmHWM:") / 1024.0);
      g_application_quit (app);
      return G_SOURCE_REMOVE;
    }
  /* a page per frame: every card of the grid goes by */
  gtk_adjustment_set_value (adj, MIN (end, value + gtk_adjustment_get_page_size (adj)));
  return G_SOURCE_CONTINUE;
}

static gboolean
first_paint_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  CsDiscoverPage *page = data;
  GtkWidget *card, *scrolled;

  if (g_list_model_get_n_items (cs_discover_page_get_model (page)) == 0 ||
      cs_campaign_card_get_n_alive () == 0)
    return G_SOURCE_CONTINUE;
  /* the frame after the cards exist is the one that shows them */
  if (++painted_frames < 2)
    return G_SOURCE_CONTINUE;
  printf ("start to first painted Discover page: %.0f ms (target < 300, warm), %u campaigns listed\n",
          (g_get_monotonic_time () - started) / 1000.0,
          g_list_model_get_n_items (cs_discover_page_get_model (page)));
  printf ("RSS at first paint:          %.1f MiB\n", status_kib ("VmRSS:") / 1024.0);
  /* the scrolled window of the grid (the page's first one is the sort
   * buttons', and a drop-down's popover hides another, never realized) */
  card = find_type (GTK_WIDGET (page), CS_TYPE_CAMPAIGN_CARD);
  scrolled = card != NULL ? gtk_widget_get_ancestor (card, GTK_TYPE_SCROLLED_WINDOW) : NULL;
  if (scrolled == NULL)
    {
      fprintf (stderr, "bench-app: no card in a scrolled window\n");
      exit (1);
    }
  gtk_widget_add_tick_callback (scrolled, scroll_tick_cb, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
synchronizing_cb (GObject *engine, GParamSpec *pspec, gpointer data)
{
  gboolean busy = FALSE;

  g_object_get (engine, "synchronizing", &busy, NULL);
  if (!busy)
    {
      printf ("filled the cache in %.1f s\n", (g_get_monotonic_time () - started) / 1e6);
      g_application_quit (g_application_get_default ());
    }
}

static void
activated_cb (GApplication *application, gpointer data)
{
  CsWindow *window = CS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (application)));
  CsContext *context = cs_application_get_context (CS_APPLICATION (application));
  GtkWidget *page;

  if (window == NULL || context == NULL)
    {
      fprintf (stderr, "bench-app: no window or no context\n");
      exit (1);
    }
  if (fill)
    {
      g_signal_connect (cs_context_get_sync_engine (context), "notify::synchronizing",
                        G_CALLBACK (synchronizing_cb), NULL);
      return;
    }
  page = cs_window_get_discover_page (window);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), first_paint_tick_cb, page, NULL);
}

int
main (int argc, char **argv)
{
  g_autoptr(CsApplication) app = NULL;
  char *args[] = { argv[0], NULL };

  started = g_get_monotonic_time ();
  setvbuf (stdout, NULL, _IOLBF, 0);   /* the figures show as they come, even if killed */
  if (argc < 3)
    {
      fprintf (stderr, "usage: %s URL DATA_DIR [fill]\n", argv[0]);
      return 2;
    }
  server_url = argv[1];
  data_dir = argv[2];
  fill = argc > 3 && g_strcmp0 (argv[3], "fill") == 0;

  (void) cs_app_get_resource ();   /* keeps the templates linked in */
  app = cs_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  cs_application_set_server_override (app, server_url);
  cs_application_set_data_dir (app, data_dir);
  g_signal_connect_after (app, "activate", G_CALLBACK (activated_cb), NULL);
  return g_application_run (G_APPLICATION (app), 1, args);
}
