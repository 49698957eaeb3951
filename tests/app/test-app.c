/* test-app.c: the app's shell against a real server: Discover, search, the
 * campaign page (live progress), offline, preferences, shortcuts, the narrow
 * layout, recycling cards, accessible labels, and screenshots of each. */
#include "config.h"

#include "cs-test-app.h"
#include "cs-campaign-card.h"
#include "cs-card-grid.h"
#include "cs-discover-page.h"
#include "cs-preferences-window.h"
#include "cs-status-bar.h"
#include "cs-tier-row.h"

static CsTestAppServer *server;

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelWait;

typedef struct {
  GString *problems;
  guint    checked;
} A11yCheck;

/* ---- helpers ------------------------------------------------------------ */

static gboolean
card_has_title (GtkWidget *widget, gpointer title)
{
  return g_strcmp0 (cs_campaign_card_get_title (CS_CAMPAIGN_CARD (widget)), title) == 0;
}

static GtkWidget *
find_card (GtkWidget *root, const char *title)
{
  return cs_test_app_find (root, CS_TYPE_CAMPAIGN_CARD, card_has_title, (gpointer) title);
}

static gboolean
label_shown (LabelWait *wait)
{
  return cs_test_app_find_label (wait->root, wait->text) != NULL;
}

static void
assert_label_shown (GtkWidget *root, const char *text)
{
  LabelWait wait = { root, text };

  if (!cs_test_app_wait ((CsTestAppCondition) label_shown, &wait, CS_TEST_APP_TIMEOUT_MS))
    g_error ("The label “%s” never showed", text);
}

static gboolean
card_shown (LabelWait *wait)
{
  return find_card (wait->root, wait->text) != NULL;
}

static void
assert_card_shown (GtkWidget *root, const char *title)
{
  LabelWait wait = { root, title };

  if (!cs_test_app_wait ((CsTestAppCondition) card_shown, &wait, CS_TEST_APP_TIMEOUT_MS))
    g_error ("No card for “%s” showed", title);
}

static guint
n_visible_cards (GtkWidget *root)
{
  guint n = 0;

  for (GtkWidget *w = cs_test_app_find (root, CS_TYPE_CAMPAIGN_CARD, NULL, NULL); w != NULL; w = NULL)
    n++;
  return n;
}

/* A card on screen (mapped, and inside its scrolled window's view). */
static void
record_shown_cb (GtkWidget *widget, gpointer data)
{
  GHashTable *shown = data;
  GtkWidget *view;
  CsCampaignItem *item;
  graphene_rect_t bounds;

  if (!CS_IS_CAMPAIGN_CARD (widget) || !gtk_widget_get_mapped (widget))
    return;
  item = cs_campaign_card_get_item (CS_CAMPAIGN_CARD (widget));
  view = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  if (item == NULL || view == NULL || !gtk_widget_compute_bounds (widget, view, &bounds))
    return;
  if (bounds.origin.y + bounds.size.height > 0 && bounds.origin.y < gtk_widget_get_height (view))
    g_hash_table_add (shown, g_strdup (cs_campaign_item_get_id (item)));
}

/* The position of the card that has the keyboard focus, which shows whole
 * in the grid's scrolled window. */
static guint
focused_position (GtkWidget *window, CsCardGrid *grid)
{
  GListModel *model = cs_card_grid_get_model (grid);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GtkWidget *view = gtk_widget_get_ancestor (GTK_WIDGET (grid), GTK_TYPE_SCROLLED_WINDOW);
  CsCampaignItem *item;
  graphene_rect_t bounds;

  cs_test_app_wait_frames (window);
  g_assert_true (CS_IS_CAMPAIGN_CARD (focus));
  g_assert_true (gtk_widget_get_mapped (focus));
  g_assert_true (gtk_widget_compute_bounds (focus, view, &bounds));
  g_assert_cmpfloat (bounds.origin.y, >=, 0);
  g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, gtk_widget_get_height (view));
  item = cs_campaign_card_get_item (CS_CAMPAIGN_CARD (focus));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(CsCampaignItem) other = g_list_model_get_item (model, i);

      if (other == item)
        return i;
    }
  g_error ("The focused card shows no campaign of the grid");
}

static CsDiscoverPage *
discover_page (CsTestApp *app)
{
  return CS_DISCOVER_PAGE (cs_window_get_discover_page (app->window));
}

static gboolean
discover_has_n (gpointer data)
{
  CsTestApp *app = data;

  return g_list_model_get_n_items (cs_discover_page_get_model (discover_page (app))) ==
         GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (app->window), "expected"));
}

static void
wait_discover_items (CsTestApp *app, guint n)
{
  g_object_set_data (G_OBJECT (app->window), "expected", GUINT_TO_POINTER (n));
  if (!cs_test_app_wait (discover_has_n, app, CS_TEST_APP_TIMEOUT_MS))
    g_error ("Discover shows %u campaigns, not %u",
             g_list_model_get_n_items (cs_discover_page_get_model (discover_page (app))), n);
}

static gboolean
discover_state_is (gpointer data)
{
  CsTestApp *app = data;

  return g_strcmp0 (cs_discover_page_get_state (discover_page (app)),
                    g_object_get_data (G_OBJECT (app->window), "state")) == 0;
}

static void
wait_discover_state (CsTestApp *app, const char *state)
{
  g_object_set_data_full (G_OBJECT (app->window), "state", g_strdup (state), g_free);
  if (!cs_test_app_wait (discover_state_is, app, CS_TEST_APP_TIMEOUT_MS))
    g_error ("Discover is “%s”, not “%s”", cs_discover_page_get_state (discover_page (app)), state);
}

static void
set_search (CsTestApp *app, const char *text)
{
  GtkWidget *entry = cs_test_app_find (GTK_WIDGET (app->window), GTK_TYPE_SEARCH_ENTRY, NULL, NULL);

  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

static gboolean
picture_loaded (GtkWidget *card)
{
  GtkWidget *picture = cs_test_app_find (card, GTK_TYPE_PICTURE, NULL, NULL);

  return picture != NULL && gtk_picture_get_paintable (GTK_PICTURE (picture)) != NULL;
}

static gboolean
campaign_page_shown (CsTestApp *app)
{
  GtkWidget *page = cs_window_get_campaign_page (app->window);

  g_autofree char *title = NULL;

  /* (cs-campaign-page.h is not included: the server's store has a CsCampaignPage too) */
  if (page == NULL || !gtk_widget_get_mapped (page))
    return FALSE;
  g_object_get (page, "title", &title, NULL);
  return cs_test_app_find_label (page, title) != NULL;
}

static gboolean
campaign_page_gone (CsTestApp *app)
{
  return cs_window_get_campaign_page (app->window) == NULL;
}

static gboolean
campaign_page_fetched (CsTestApp *app)
{
  GtkWidget *page = cs_window_get_campaign_page (app->window);
  gboolean loading = TRUE;

  g_object_get (page, "loading", &loading, NULL);
  return !loading;
}

static gboolean
live_connected (CsTestApp *app)
{
  return cs_live_client_get_connected (cs_context_get_live (cs_test_app_get_context (app)));
}

static gboolean
status_offline (CsTestApp *app)
{
  return cs_status_bar_get_kind (CS_STATUS_BAR (cs_window_get_status_bar (app->window))) == CS_STATUS_OFFLINE;
}

static char *
server_amount (const char *campaign_id)
{
  g_autofree char *path = g_strconcat ("/api/v1/campaigns/", campaign_id, NULL);
  g_autoptr(CsTestResponse) resp = cs_test_request (server->ts, "GET", path, NULL, NULL);

  g_assert_cmpuint (resp->status, ==, 200);
  return cs_money_format (cs_test_int (resp, "current_amount"), cs_test_string (resp, "currency"));
}

static GtkWidget *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (g_type_is_a (G_OBJECT_TYPE (window), type) && gtk_widget_get_mapped (window))
        return window;
    }
  return NULL;
}

static gboolean
toplevel_shown (gpointer type)
{
  return find_toplevel (GPOINTER_TO_SIZE (type)) != NULL;
}

static gboolean
has_text (const char *text)
{
  return text != NULL && *text != '\0';
}

static gboolean
inside_titled_row (GtkWidget *widget)
{
  for (GtkWidget *w = gtk_widget_get_parent (widget); w != NULL; w = gtk_widget_get_parent (w))
    if (ADW_IS_PREFERENCES_ROW (w))
      return has_text (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (w)));
  return FALSE;
}

static gboolean
button_has_label (GtkWidget *button)
{
  if (has_text (gtk_widget_get_tooltip_text (button)))
    return TRUE;
  if (GTK_IS_BUTTON (button) && has_text (gtk_button_get_label (GTK_BUTTON (button))))
    return TRUE;
  if (GTK_IS_MENU_BUTTON (button) && has_text (gtk_menu_button_get_label (GTK_MENU_BUTTON (button))))
    return TRUE;
  /* a visible text inside the button labels it */
  for (GtkWidget *label = cs_test_app_find (button, GTK_TYPE_LABEL, NULL, NULL); label != NULL; label = NULL)
    return has_text (gtk_label_get_text (GTK_LABEL (label)));
  return FALSE;
}

/* Every interactive widget a person can reach (mapped) has a label: its own text, a
 * tooltip (icon-only buttons also set an accessible label in their .ui), a
 * placeholder, or the title of the row it sits in.  GTK and libadwaita's own
 * composite widgets (window controls, the view switcher, a drop-down's
 * button) are theirs to label. */
static void
check_a11y (GtkWidget *widget, A11yCheck *check)
{
  const char *type = G_OBJECT_TYPE_NAME (widget);
  gboolean ok = TRUE;

  if (GTK_IS_WINDOW_CONTROLS (widget) || ADW_IS_VIEW_SWITCHER_TITLE (widget) || ADW_IS_VIEW_SWITCHER_BAR (widget) ||
      GTK_IS_POPOVER (widget) || g_str_equal (type, "AdwToastWidget") || !gtk_widget_get_mapped (widget))
    return;

  if (GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget))
    ok = button_has_label (widget) || inside_titled_row (widget);
  else if (GTK_IS_SEARCH_ENTRY (widget) || GTK_IS_ENTRY (widget))
    {
      g_autofree char *placeholder = NULL;

      g_object_get (widget, "placeholder-text", &placeholder, NULL);
      ok = has_text (placeholder) || has_text (gtk_widget_get_tooltip_text (widget)) || inside_titled_row (widget);
    }
  else if (GTK_IS_SWITCH (widget) || GTK_IS_DROP_DOWN (widget))
    ok = has_text (gtk_widget_get_tooltip_text (widget)) || inside_titled_row (widget);
  else if (GTK_IS_TEXT (widget) && ADW_IS_ENTRY_ROW (gtk_widget_get_ancestor (widget, ADW_TYPE_ENTRY_ROW)))
    ok = inside_titled_row (widget);
  else
    goto children;

  check->checked++;
  if (!ok)
    {
      g_string_append_printf (check->problems, "%s has no label, in", type);
      for (GtkWidget *w = gtk_widget_get_parent (widget); w != NULL; w = gtk_widget_get_parent (w))
        g_string_append_printf (check->problems, " %s", G_OBJECT_TYPE_NAME (w));
      g_string_append_c (check->problems, '\n');
    }
  /* the inside of an entry, a menu button or a drop-down is the widget's own */
  if (GTK_IS_MENU_BUTTON (widget) || GTK_IS_DROP_DOWN (widget) || GTK_IS_SEARCH_ENTRY (widget) ||
      GTK_IS_ENTRY (widget))
    return;

children:
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    check_a11y (child, check);
}

static void
assert_all_labelled (GtkWidget *root, guint at_least)
{
  A11yCheck check = { g_string_new (NULL), 0 };

  check_a11y (root, &check);
  g_test_message ("%u interactive widgets checked in %s", check.checked, G_OBJECT_TYPE_NAME (root));
  if (check.problems->len > 0)
    g_error ("Unlabelled widgets in %s:\n%s", G_OBJECT_TYPE_NAME (root), check.problems->str);
  g_assert_cmpuint (check.checked, >=, at_least);
  g_string_free (check.problems, TRUE);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_discover_body (CsTestApp *app, gpointer data)
{
  GtkWidget *window = GTK_WIDGET (app->window);
  GtkWidget *card;
  g_autofree char *shot = NULL;

  wait_discover_items (app, server->titles->len);
  wait_discover_state (app, "grid");
  for (guint i = 0; i < server->titles->len; i++)
    assert_card_shown (window, g_ptr_array_index (server->titles, i));

  /* the first campaign's image comes from the server, through the cache */
  card = find_card (window, g_ptr_array_index (server->titles, 0));
  cs_test_app_assert_wait (picture_loaded, card);
  /* money as core formats it, progress capped */
  assert_label_shown (window, "84% funded");
  assert_label_shown (window, "$4,200.00 raised of $5,000.00");

  /* signed out: the status bar offers to sign in */
  g_assert_cmpint (cs_status_bar_get_kind (CS_STATUS_BAR (cs_window_get_status_bar (app->window))), ==,
                   CS_STATUS_SIGNED_OUT);
  assert_label_shown (window, "Sign in to back projects and follow your pledges.");

  shot = cs_test_app_screenshot (window, "discover", 200);
  assert_all_labelled (window, 8);
}

static void
test_search_body (CsTestApp *app, gpointer data)
{
  GtkWidget *window = GTK_WIDGET (app->window);
  g_autofree char *shot = NULL;

  wait_discover_items (app, server->titles->len);

  /* Ctrl+F's action focuses the search entry */
  gtk_widget_activate_action (window, "win.search", NULL);
  g_assert_true (GTK_IS_TEXT (gtk_root_get_focus (GTK_ROOT (window))));

  set_search (app, "synth");
  wait_discover_items (app, 1);
  assert_card_shown (window, "Open Source Modular Synth");
  g_assert_null (find_card (window, "Solar Kettle for Mountain Camps"));

  set_search (app, "zzzzqqq");
  wait_discover_state (app, "empty");
  assert_label_shown (window, "No Campaigns Found");
  g_assert_cmpuint (n_visible_cards (window), ==, 0);
  shot = cs_test_app_screenshot (window, "discover-empty", 40);

  set_search (app, "");
  wait_discover_items (app, server->titles->len);
}

static void
test_campaign_page_body (CsTestApp *app, gpointer data)
{
  GtkWidget *window = GTK_WIDGET (app->window);
  const char *id = g_ptr_array_index (server->campaign_ids, 2);
  const char *title = g_ptr_array_index (server->titles, 2);
  g_autofree char *before = server_amount (id);
  g_autofree char *after = NULL;
  g_autofree char *shot = NULL;
  GtkWidget *page;

  wait_discover_items (app, server->titles->len);
  gtk_widget_activate_action (window, "win.open-campaign", "s", id);
  cs_test_app_assert_wait (campaign_page_shown, app);
  page = cs_window_get_campaign_page (app->window);

  assert_label_shown (page, title);
  assert_label_shown (page, "by maker");
  assert_label_shown (page, "Early bird");
  assert_label_shown (page, "Pledge $25.00 or more");
  assert_label_shown (page, "100 left");
  assert_label_shown (page, before);
  assert_label_shown (page, "1 backer");
  assert_label_shown (page, "The creator has not posted any updates yet.");
  g_assert_true (gtk_widget_is_sensitive (cs_test_app_find_button (page, "Back This Project")));

  /* someone pledges on the server: the page follows, live (once the live
   * connection that carries the page's subscription is up) */
  cs_test_app_assert_wait (campaign_page_fetched, app);
  cs_test_app_assert_wait (live_connected, app);
  cs_test_app_server_pledge (server, id, 12345);
  after = server_amount (id);
  g_assert_cmpstr (after, !=, before);
  assert_label_shown (page, after);
  assert_label_shown (page, "2 backers");

  shot = cs_test_app_screenshot (window, "campaign", 100);
  assert_all_labelled (window, 6);

  /* back to Discover; the page goes away (and stops watching) */
  gtk_widget_activate_action (window, "win.go-back", NULL);
  cs_test_app_assert_wait (campaign_page_gone, app);
}

static void
test_recycling_body (CsTestApp *app, gpointer data)
{
  GtkWidget *window = GTK_WIDGET (app->window);
  CsCache *cache = cs_context_get_cache (cs_test_app_get_context (app));
  g_autoptr(GPtrArray) campaigns = g_ptr_array_new_with_free_func ((GDestroyNotify) cs_campaign_free);
  g_autoptr(GHashTable) shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const guint n = 400;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CsCardGrid *grid;
  GListModel *model;
  GtkAdjustment *adjustment;
  GtkWidget *first_card;
  g_autoptr(CsCampaignItem) last = NULL;
  g_autofree char *last_title = NULL;
  g_autofree char *page_title = NULL;
  g_autofree char *shot = NULL;
  guint total, columns, visible_rows, limit, binds_before, alive, position, max_alive = 0;
  int card_height;

  wait_discover_items (app, server->titles->len);
  for (guint i = 0; i < n; i++)
    {
      CsCampaign *c = cs_campaign_new ();

      c->id = g_strdup_printf ("bench-%04u", i);
      c->creator_id = g_strdup ("bench-creator");
      c->creator.id = g_strdup ("bench-creator");
      c->creator.username = g_strdup ("bench");
      c->creator.display_name = g_strdup ("Bench Creator");
      c->title = g_strdup_printf ("Benchmark campaign %u", i);
      c->description = g_strdup ("Many cards.");
      c->category = g_strdup ("games");
      c->goal_amount = 100000;
      c->current_amount = (i * 997) % 150000;
      strcpy (c->currency, "USD");
      c->status = CS_CAMPAIGN_LIVE;
      c->duration_days = 30;
      c->start_date = now - 86400;
      c->end_date = now + 86400 * (1 + i % 40);
      c->created_at = c->updated_at = c->published_at = now - 86400;
      g_ptr_array_add (campaigns, c);
    }
  cs_cache_put_campaigns_async (cache, campaigns, NULL, NULL, NULL);
  wait_discover_items (app, server->titles->len + n);
  cs_test_app_wait_frames (window);

  grid = CS_CARD_GRID (cs_test_app_find (window, CS_TYPE_CARD_GRID, NULL, NULL));
  g_assert_nonnull (grid);
  model = cs_card_grid_get_model (grid);
  total = g_list_model_get_n_items (model);
  adjustment = gtk_scrolled_window_get_vadjustment (
    GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (grid), GTK_TYPE_SCROLLED_WINDOW)));
  first_card = cs_test_app_find (GTK_WIDGET (grid), CS_TYPE_CAMPAIGN_CARD, NULL, NULL);
  g_assert_nonnull (first_card);
  columns = cs_card_grid_get_n_columns (grid);
  card_height = gtk_widget_get_height (first_card);
  g_assert_cmpuint (columns, >=, 1);
  g_assert_cmpint (card_height, >, 100);
  /* the rows that can intersect the viewport, then one more above and below */
  visible_rows = (gtk_widget_get_height (GTK_WIDGET (grid)) + card_height - 1) / card_height + 1;
  limit = (visible_rows + 2) * columns;
  binds_before = cs_card_grid_get_n_binds (grid);

  /* the whole grid, half a page a step, a frame or two each */
  for (guint step = 0;; step++)
    {
      double value = gtk_adjustment_get_value (adjustment);
      double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

      g_assert_cmpuint (step, <, 10000);
      cs_test_app_wait_frames (window);
      alive = cs_campaign_card_get_n_alive ();
      max_alive = MAX (max_alive, alive);
      if (alive > limit)
        g_error ("%u cards alive at %.0f px, more than (%u visible rows + 2) × %u columns", alive, value,
                 visible_rows, columns);
      cs_test_app_foreach (GTK_WIDGET (grid), record_shown_cb, shown);
      if (value >= end)
        break;
      gtk_adjustment_set_value (adjustment, MIN (end, value + gtk_adjustment_get_page_size (adjustment) / 2));
    }
  g_test_message ("%u campaigns, %u columns, cards %d px high in %d px: at most %u cards alive (limit %u), "
                  "%u binds, %u campaigns shown",
                  total, columns, card_height, gtk_widget_get_height (GTK_WIDGET (grid)), max_alive, limit,
                  cs_card_grid_get_n_binds (grid) - binds_before, g_hash_table_size (shown));
  /* every campaign had a card on screen, and the few cards were rebound to do it */
  g_assert_cmpuint (g_hash_table_size (shown), ==, total);
  g_assert_cmpuint (cs_card_grid_get_n_binds (grid) - binds_before, >=, total - limit);
  g_assert_cmpuint (max_alive, <, total / 4);

  /* the keyboard: Tab enters on the first row that shows whole */
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (grid), GTK_DIR_TAB_FORWARD));
  position = focused_position (window, grid);
  g_assert_cmpuint (position % columns, ==, 0);
  g_assert_cmpuint (position, >=, total - visible_rows * columns);
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==,
                     gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
  gtk_widget_activate_action (GTK_WIDGET (grid), "grid.move", "s", "home");
  g_assert_cmpuint (focused_position (window, grid), ==, 0);
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (grid), "grid.move", "s", "right");
  g_assert_cmpuint (focused_position (window, grid), ==, 1);
  gtk_window_set_focus_visible (GTK_WINDOW (window), TRUE);
  shot = cs_test_app_screenshot (window, "discover-focus", 200);
  gtk_widget_activate_action (GTK_WIDGET (grid), "grid.move", "s", "down");
  g_assert_cmpuint (focused_position (window, grid), ==, 1 + columns);
  gtk_widget_activate_action (GTK_WIDGET (grid), "grid.move", "s", "left");
  g_assert_cmpuint (focused_position (window, grid), ==, columns);
  gtk_widget_activate_action (GTK_WIDGET (grid), "grid.move", "s", "page-down");
  position = focused_position (window, grid);
  g_assert_cmpuint (position, >=, 2 * columns);   /* at least a row further */
  g_assert_cmpuint (position % columns, ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (grid), "grid.move", "s", "up");
  g_assert_cmpuint (focused_position (window, grid), ==, position - columns);
  gtk_widget_activate_action (GTK_WIDGET (grid), "grid.move", "s", "end");
  g_assert_cmpuint (focused_position (window, grid), ==, total - 1);
  g_assert_cmpuint (cs_campaign_card_get_n_alive (), <=, limit + 1);

  /* Enter opens the focused campaign */
  last = g_list_model_get_item (model, total - 1);
  g_object_get (last, "title", &last_title, NULL);
  gtk_widget_activate_action (GTK_WIDGET (grid), "grid.activate-focus", NULL);
  cs_test_app_assert_wait (campaign_page_shown, app);
  g_object_get (cs_window_get_campaign_page (app->window), "title", &page_title, NULL);
  g_assert_cmpstr (page_title, ==, last_title);
}

static void
test_narrow_body (CsTestApp *app, gpointer data)
{
  g_autofree char *shot = NULL;
  AdwViewSwitcherBar *bar;

  wait_discover_items (app, server->titles->len);
  cs_test_app_wait_frames (GTK_WIDGET (app->window));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (app->window)), <=, 400);

  /* the view switcher moves to the bottom bar */
  bar = ADW_VIEW_SWITCHER_BAR (cs_test_app_find (GTK_WIDGET (app->window), ADW_TYPE_VIEW_SWITCHER_BAR, NULL, NULL));
  g_assert_nonnull (bar);
  g_assert_true (adw_view_switcher_bar_get_reveal (bar));
  shot = cs_test_app_screenshot (GTK_WIDGET (app->window), "discover-narrow", 100);

  gtk_widget_activate_action (GTK_WIDGET (app->window), "win.open-campaign", "s",
                              (const char *) g_ptr_array_index (server->campaign_ids, 0));
  cs_test_app_assert_wait (campaign_page_shown, app);
  g_clear_pointer (&shot, g_free);
  shot = cs_test_app_screenshot (GTK_WIDGET (app->window), "campaign-narrow", 100);
}

static void
test_narrow (void)
{
  g_autoptr(GSettings) settings = g_settings_new (CS_APPLICATION_SCHEMA_ID);

  g_settings_set_int (settings, "window-width", 360);
  g_settings_set_int (settings, "window-height", 720);
  cs_test_app_run (server->ts->base, test_narrow_body, NULL);
  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
}

static void
test_preferences_and_shortcuts_body (CsTestApp *app, gpointer data)
{
  GtkWidget *prefs, *row, *shortcuts;
  g_autofree char *shot = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app->app), "preferences", NULL);
  cs_test_app_assert_wait (toplevel_shown, GSIZE_TO_POINTER (CS_TYPE_PREFERENCES_WINDOW));
  prefs = find_toplevel (CS_TYPE_PREFERENCES_WINDOW);
  row = cs_test_app_find (prefs, ADW_TYPE_ENTRY_ROW, NULL, NULL);
  g_assert_nonnull (row);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, server->ts->base);
  assert_label_shown (prefs, "Pledge Notifications");
  shot = cs_test_app_screenshot (prefs, "preferences", 40);
  assert_all_labelled (prefs, 2);

  /* a bad address is refused and nothing changes */
  gtk_editable_set_text (GTK_EDITABLE (row), "ftp://example.org");
  g_signal_emit_by_name (row, "apply");
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_cmpstr (cs_context_get_server_url (cs_test_app_get_context (app)), ==, server->ts->base);
  gtk_window_destroy (GTK_WINDOW (prefs));

  /* the shortcuts window GtkApplication loads from gtk/help-overlay.ui */
  g_action_group_activate_action (G_ACTION_GROUP (app->app), "shortcuts", NULL);
  cs_test_app_assert_wait (toplevel_shown, GSIZE_TO_POINTER (GTK_TYPE_SHORTCUTS_WINDOW));
  shortcuts = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  assert_label_shown (shortcuts, "Search Campaigns");
  g_clear_pointer (&shot, g_free);
  shot = cs_test_app_screenshot (shortcuts, "shortcuts", 40);
  gtk_widget_set_visible (shortcuts, FALSE);
}

static const char * const offline_titles[] = { "Lighthouse Restoration Fund", NULL };

static void
test_offline_body (CsTestApp *app, gpointer data)
{
  CsTestAppServer *own = data;
  const char * const *titles = offline_titles;
  GtkWidget *window = GTK_WIDGET (app->window);
  g_autofree char *shot = NULL;
  g_autofree char *id = g_strdup (g_ptr_array_index (own->campaign_ids, 0));

  wait_discover_items (app, 1);
  assert_card_shown (window, titles[0]);

  /* the server goes away: a refresh finds it offline */
  g_clear_pointer (&own->ts, cs_test_server_free);
  gtk_widget_activate_action (window, "win.refresh", NULL);
  cs_test_app_assert_wait (status_offline, app);
  assert_label_shown (window, "You are offline. Campaigns shown may be out of date.");
  g_assert_nonnull (cs_test_app_find_button (window, "Retry"));
  /* the cache still shows what it has */
  assert_card_shown (window, titles[0]);
  shot = cs_test_app_screenshot (window, "offline", 100);

  /* the campaign page shows the cache and says why updates are missing */
  gtk_widget_activate_action (window, "win.open-campaign", "s", id);
  cs_test_app_assert_wait (campaign_page_shown, app);
  assert_label_shown (window, "Updates are unavailable offline.");
  g_clear_pointer (&shot, g_free);
  shot = cs_test_app_screenshot (window, "campaign-offline", 60);
}

static void
test_offline (void)
{
  CsTestAppServer *own = cs_test_app_server_new (offline_titles);
  g_autofree char *base = g_strdup (own->ts->base);

  cs_test_app_run (base, test_offline_body, own);
  cs_test_app_server_free (own);
}

static void
test_discover (void)
{
  cs_test_app_run (server->ts->base, test_discover_body, NULL);
}

static void
test_search (void)
{
  cs_test_app_run (server->ts->base, test_search_body, NULL);
}

static void
test_campaign_page (void)
{
  cs_test_app_run (server->ts->base, test_campaign_page_body, NULL);
}

static void
test_recycling (void)
{
  cs_test_app_run (server->ts->base, test_recycling_body, NULL);
}

static void
test_preferences_and_shortcuts (void)
{
  cs_test_app_run (server->ts->base, test_preferences_and_shortcuts_body, NULL);
}

int
main (int argc, char *argv[])
{
  int status;

  cs_test_app_init (&argc, &argv);
  g_setenv ("CS_APP_NO_KEYRING", "1", TRUE);

  server = cs_test_app_server_new (NULL);

  g_test_add_func ("/app/discover", test_discover);
  g_test_add_func ("/app/search", test_search);
  g_test_add_func ("/app/campaign-page", test_campaign_page);
  g_test_add_func ("/app/recycling", test_recycling);
  g_test_add_func ("/app/narrow", test_narrow);
  g_test_add_func ("/app/preferences-and-shortcuts", test_preferences_and_shortcuts);
  g_test_add_func ("/app/offline", test_offline);
  status = g_test_run ();

  cs_test_app_server_free (server);
  return status;
}
