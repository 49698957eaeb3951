/* cs-card-grid.c: a recycling grid of campaign cards (Discover).
 *
 * Layout: PADDING around, SPACING between cards, as many columns of at least
 * the card's minimum width as fit (1 to max-columns, like GtkGridView), the
 * cards stretched to share the width.  Every row has the same height: that
 * of a card whose title takes both its lines (a card is measured once per
 * width), or of a taller card if one shows up.
 *
 * Recycling: a slot is a card and the position it shows.  The slots cover
 * the rows that intersect the viewport plus one row above and one below;
 * when the range moves, slots that left it are rebound to the positions that
 * entered it, and the cards left over are destroyed.  The card with the
 * keyboard focus keeps its position even out of the range (allocated where
 * it would be, off screen), so that scrolling never steals the focus.
 */
#include "config.h"

#include <glib/gi18n.h>
#include "cs-campaign-card.h"
#include "cs-card-grid.h"

#define PADDING          12
#define SPACING          12
#define INVALID_POSITION G_MAXUINT

typedef struct {
  GtkWidget *card;       /* a CsCampaignCard, our child */
  guint      position;
} Slot;

struct _CsCardGrid
{
  GtkWidget       parent_instance;

  /* borrowed */
  GtkAdjustment  *hadjustment;
  GtkAdjustment  *vadjustment;

  /* owned */
  CsContext      *context;
  GListModel     *model;
  GArray         *slots;          /* Slot */
  CsCampaignItem *sizing_item;    /* a campaign with a title of two lines */

  GtkScrollablePolicy hscroll_policy;
  GtkScrollablePolicy vscroll_policy;
  guint           max_columns;

  /* the last layout */
  guint           n_columns;      /* 0: none yet */
  int             width;
  int             height;
  int             card_width;
  int             card_min_width; /* 0: not measured yet */
  int             row_height;
  guint           n_binds;
  guint           scroll_to;      /* a position to show before the next layout, or INVALID */
  guint           tick_id;        /* the work left for before the next layout */
};

static void cs_card_grid_scrollable_init (GtkScrollableInterface *iface);
static void vadjustment_value_changed_cb (CsCardGrid *self);

G_DEFINE_FINAL_TYPE_WITH_CODE (CsCardGrid, cs_card_grid, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, cs_card_grid_scrollable_init))

enum {
  PROP_0,
  PROP_MODEL,
  PROP_MAX_COLUMNS,
  N_PROPS,
  /* GtkScrollable's */
  PROP_HADJUSTMENT = N_PROPS,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

enum {
  SIGNAL_ACTIVATE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- helpers ------------------------------------------------------------ */

static guint
n_items (CsCardGrid *self)
{
  return self->model != NULL ? g_list_model_get_n_items (self->model) : 0;
}

static int
row_stride (CsCardGrid *self)
{
  return self->row_height + SPACING;
}

static int
row_top (CsCardGrid *self, guint row)
{
  return PADDING + (int) row * row_stride (self);
}

static int
content_height (CsCardGrid *self)
{
  guint n_rows;

  if (self->n_columns == 0 || n_items (self) == 0)
    return 0;
  n_rows = (n_items (self) + self->n_columns - 1) / self->n_columns;
  return 2 * PADDING + (int) n_rows * self->row_height + ((int) n_rows - 1) * SPACING;
}

static double
scroll_value (CsCardGrid *self)
{
  return self->vadjustment != NULL ? gtk_adjustment_get_value (self->vadjustment) : 0.0;
}

static Slot *
find_slot (CsCardGrid *self, guint position)
{
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = &g_array_index (self->slots, Slot, i);

      if (slot->position == position)
        return slot;
    }
  return NULL;
}

static Slot *
find_slot_of_card (CsCardGrid *self, GtkWidget *card)
{
  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = &g_array_index (self->slots, Slot, i);

      if (slot->card == card)
        return slot;
    }
  return NULL;
}

/* The position whose card has the focus, or INVALID_POSITION. */
static guint
focus_position (CsCardGrid *self)
{
  GtkWidget *focus_child = gtk_widget_get_focus_child (GTK_WIDGET (self));
  Slot *slot = focus_child != NULL ? find_slot_of_card (self, focus_child) : NULL;

  return slot != NULL ? slot->position : INVALID_POSITION;
}

static GtkWidget *
create_card (CsCardGrid *self)
{
  GtkWidget *card = g_object_new (CS_TYPE_CAMPAIGN_CARD,
                                  "context", self->context,
                                  "accessible-role", GTK_ACCESSIBLE_ROLE_LIST_ITEM,
                                  "focusable", TRUE,
                                  NULL);

  gtk_widget_set_parent (card, GTK_WIDGET (self));
  return card;
}

static void
bind_slot (CsCardGrid *self, Slot *slot, guint position)
{
  g_autoptr(CsCampaignItem) item = g_list_model_get_item (self->model, position);

  slot->position = position;
  cs_campaign_card_set_item (CS_CAMPAIGN_CARD (slot->card), item);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (slot->card),
                                  GTK_ACCESSIBLE_RELATION_POS_IN_SET, (int) position + 1,
                                  GTK_ACCESSIBLE_RELATION_SET_SIZE, (int) n_items (self),
                                  -1);
  self->n_binds++;
}

static void
release_slot (Slot *slot)
{
  slot->position = INVALID_POSITION;
}

static void
destroy_spare_slots (CsCardGrid *self)
{
  for (guint i = self->slots->len; i-- > 0;)
    {
      Slot *slot = &g_array_index (self->slots, Slot, i);

      if (slot->position != INVALID_POSITION)
        continue;
      gtk_widget_unparent (slot->card);
      g_array_remove_index_fast (self->slots, i);
    }
}

static void
clear_slots (CsCardGrid *self)
{
  for (guint i = 0; i < self->slots->len; i++)
    g_array_index (self->slots, Slot, i).position = INVALID_POSITION;
  destroy_spare_slots (self);
}

static CsCampaignItem *
create_sizing_item (void)
{
  g_autoptr(CsCampaign) campaign = cs_campaign_new ();

  campaign->id = g_strdup ("cs-card-grid-sizing");
  /* long enough for two lines at any card width */
  campaign->title = g_strnfill (120, 'W');
  campaign->creator.display_name = g_strdup ("W");
  campaign->goal_amount = 100000000;
  campaign->current_amount = 100000000;
  memcpy (campaign->currency, "USD", 4);
  campaign->status = CS_CAMPAIGN_LIVE;
  campaign->end_date = g_get_real_time () / G_USEC_PER_SEC + 86400 * 30;
  return cs_campaign_item_new (campaign);
}

/* A card's minimum width, and the height of a card whose title takes its two
 * lines at @card_width (a card of our own, measured and dropped at once, so
 * that no card outlives a layout). */
static void
measure_sizing_card (CsCardGrid *self, int card_width, int *min_width, int *height)
{
  GtkWidget *card;

  if (self->sizing_item == NULL)
    self->sizing_item = create_sizing_item ();
  card = g_object_ref_sink (g_object_new (CS_TYPE_CAMPAIGN_CARD, NULL));
  cs_campaign_card_set_item (CS_CAMPAIGN_CARD (card), self->sizing_item);
  gtk_widget_measure (card, GTK_ORIENTATION_HORIZONTAL, -1, min_width, NULL, NULL, NULL);
  if (height != NULL)
    gtk_widget_measure (card, GTK_ORIENTATION_VERTICAL, MAX (card_width, *min_width), NULL, height, NULL, NULL);
  g_object_unref (card);
}

static guint
columns_for_width (CsCardGrid *self, int width)
{
  int fit = (width - 2 * PADDING + SPACING) / (self->card_min_width + SPACING);

  return CLAMP (fit, 1, (int) self->max_columns);
}

/* The rows that intersect the viewport: [*first, *last]; FALSE if none. */
static gboolean
visible_rows (CsCardGrid *self, guint *first, guint *last)
{
  guint n = n_items (self);
  guint n_rows;
  double value = scroll_value (self);
  double top, bottom;

  if (self->n_columns == 0 || n == 0 || self->row_height <= 0)
    return FALSE;
  n_rows = (n + self->n_columns - 1) / self->n_columns;
  /* row r covers [PADDING + r * stride, PADDING + r * stride + row_height) */
  top = floor ((value - PADDING - self->row_height) / row_stride (self)) + 1;
  bottom = ceil ((value + self->height - PADDING) / row_stride (self)) - 1;
  top = CLAMP (top, 0, n_rows - 1);
  bottom = CLAMP (bottom, top, n_rows - 1);
  *first = (guint) top;
  *last = (guint) bottom;
  return TRUE;
}

/* Binds a card to every position of the range, recycling those that left
 * it, and drops the cards left over, except @in_layout: a card unparented
 * during a layout leaves its ancestors to be painted unallocated, so the
 * spares wait (off screen) for the next frame's update.  Never called during
 * a change of focus.  Returns TRUE if a card turned out taller than the
 * rows. */
static gboolean
update_range (CsCardGrid *self, gboolean in_layout)
{
  GtkWidget *focus_child = gtk_widget_get_focus_child (GTK_WIDGET (self));
  guint n = n_items (self);
  guint first_row, last_row, first, end;
  gboolean grew = FALSE;

  if (!visible_rows (self, &first_row, &last_row))
    {
      for (guint i = 0; i < self->slots->len; i++)
        {
          Slot *slot = &g_array_index (self->slots, Slot, i);

          if (slot->position != INVALID_POSITION && (slot->card != focus_child || slot->position >= n))
            release_slot (slot);
        }
      if (!in_layout)
        destroy_spare_slots (self);
      return FALSE;
    }
  /* one row more on either side */
  first = (first_row > 0 ? first_row - 1 : 0) * self->n_columns;
  end = MIN ((last_row + 2) * self->n_columns, n);

  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = &g_array_index (self->slots, Slot, i);

      if (slot->position != INVALID_POSITION && (slot->position < first || slot->position >= end) &&
          (slot->card != focus_child || slot->position >= n))
        release_slot (slot);
    }

  for (guint position = first; position < end; position++)
    {
      Slot *slot;
      int height = 0;

      if (find_slot (self, position) != NULL)
        continue;
      slot = find_slot (self, INVALID_POSITION);
      if (slot == NULL)
        {
          Slot new_slot = { create_card (self), INVALID_POSITION };

          g_array_append_val (self->slots, new_slot);
          slot = &g_array_index (self->slots, Slot, self->slots->len - 1);
        }
      bind_slot (self, slot, position);
      gtk_widget_measure (slot->card, GTK_ORIENTATION_VERTICAL, self->card_width, NULL, &height, NULL, NULL);
      if (height > self->row_height)
        {
          self->row_height = height;
          grew = TRUE;
        }
    }
  if (!in_layout)
    destroy_spare_slots (self);
  return grew;
}

static void
configure_adjustments (CsCardGrid *self, double value)
{
  int upper = MAX (content_height (self), self->height);

  g_signal_handlers_block_by_func (self->vadjustment, vadjustment_value_changed_cb, self);
  gtk_adjustment_configure (self->vadjustment,
                            CLAMP (value, 0, upper - self->height),
                            0, upper,
                            row_stride (self) / 3.0,
                            self->height * 0.9,
                            self->height);
  g_signal_handlers_unblock_by_func (self->vadjustment, vadjustment_value_changed_cb, self);
  gtk_adjustment_configure (self->hadjustment, 0, 0, self->width, self->width * 0.1, self->width * 0.9,
                            self->width);
}

/* The scroll value that shows the card of @position and the spacing
 * around it, moving as little as possible. */
static double
value_showing (CsCardGrid *self, guint position)
{
  int top = row_top (self, position / self->n_columns);
  int bottom = top + self->row_height;
  double value = scroll_value (self);

  if (top - PADDING < value)
    return top - PADDING;
  if (bottom + PADDING > value + self->height)
    return bottom + PADDING - self->height;
  return value;
}

/* The first position of the first row that shows whole (or of the first row
 * that shows at all, if none does). */
static guint
first_visible_position (CsCardGrid *self)
{
  guint first_row, last_row;

  if (!visible_rows (self, &first_row, &last_row))
    return 0;
  if (row_top (self, first_row) < scroll_value (self) && first_row < last_row)
    first_row++;
  return first_row * self->n_columns;
}

static void
activate_position (CsCardGrid *self, guint position)
{
  if (position < n_items (self))
    g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0, position);
}

/* ---- callbacks ---------------------------------------------------------- */

static gboolean
update_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  CsCardGrid *self = CS_CARD_GRID (widget);
  guint scroll_to = self->scroll_to;

  self->tick_id = 0;
  self->scroll_to = INVALID_POSITION;
  if (scroll_to < n_items (self) && self->n_columns > 0)
    gtk_adjustment_set_value (self->vadjustment, value_showing (self, scroll_to));
  if (self->n_columns > 0)
    update_range (self, FALSE);
  gtk_widget_queue_allocate (widget);
  return G_SOURCE_REMOVE;
}

/* Work for before the next layout (the next frame's update phase). */
static void
queue_update (CsCardGrid *self)
{
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), update_tick_cb, NULL, NULL);
}

static void
vadjustment_value_changed_cb (CsCardGrid *self)
{
  if (self->n_columns > 0)
    update_range (self, FALSE);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static void
items_changed_cb (CsCardGrid *self, guint position, guint removed, guint added)
{
  GtkWidget *focus_child = gtk_widget_get_focus_child (GTK_WIDGET (self));
  guint n = n_items (self);
  Slot *focus_removed = NULL;

  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = &g_array_index (self->slots, Slot, i);

      if (slot->position == INVALID_POSITION || slot->position < position)
        continue;
      if (slot->position >= position + removed)
        {
          slot->position = slot->position - removed + added;
          gtk_accessible_update_relation (GTK_ACCESSIBLE (slot->card),
                                          GTK_ACCESSIBLE_RELATION_POS_IN_SET, (int) slot->position + 1, -1);
        }
      else if (slot->card == focus_child && n > 0)
        focus_removed = slot;
      else
        release_slot (slot);
    }
  /* the focus stays where it was, on what is there now */
  if (focus_removed != NULL)
    {
      guint target = MIN (position, n - 1);
      Slot *other = find_slot (self, target);

      if (other != NULL && other != focus_removed)
        release_slot (other);
      bind_slot (self, focus_removed, target);
    }
  for (guint i = 0; i < self->slots->len; i++)
    gtk_accessible_update_relation (GTK_ACCESSIBLE (g_array_index (self->slots, Slot, i).card),
                                    GTK_ACCESSIBLE_RELATION_SET_SIZE, (int) n, -1);
  if (self->n_columns > 0)
    update_range (self, FALSE);
  else
    destroy_spare_slots (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
click_released_cb (GtkGestureClick *gesture, int n_press, double x, double y, CsCardGrid *self)
{
  GtkWidget *widget = gtk_widget_pick (GTK_WIDGET (self), x, y, GTK_PICK_DEFAULT);
  Slot *slot = NULL;

  while (widget != NULL && widget != GTK_WIDGET (self) && gtk_widget_get_parent (widget) != GTK_WIDGET (self))
    widget = gtk_widget_get_parent (widget);
  if (widget != NULL && widget != GTK_WIDGET (self))
    slot = find_slot_of_card (self, widget);
  if (slot == NULL || slot->position == INVALID_POSITION)
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  gtk_widget_grab_focus (slot->card);
  activate_position (self, slot->position);
}

/* grid.move (s): left, right, up, down, home, end, page-up, page-down */
static void
move_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  CsCardGrid *self = CS_CARD_GRID (widget);
  const char *move = g_variant_get_string (parameter, NULL);
  guint from = focus_position (self);
  gint64 n = n_items (self);
  gint64 columns = self->n_columns;
  gint64 page = MAX (1, (self->height - PADDING) / MAX (1, row_stride (self))) * columns;
  gint64 to;

  if (from == INVALID_POSITION || n == 0 || columns == 0)
    return;
  if (g_str_equal (move, "left"))
    to = from > 0 ? from - 1 : 0;
  else if (g_str_equal (move, "right"))
    to = MIN (from + 1, n - 1);
  else if (g_str_equal (move, "up"))
    to = from >= columns ? from - columns : from;
  else if (g_str_equal (move, "down"))
    /* from the row above a short last row: its last card */
    to = from / columns < (n - 1) / columns ? MIN (from + columns, n - 1) : from;
  else if (g_str_equal (move, "home"))
    to = 0;
  else if (g_str_equal (move, "end"))
    to = n - 1;
  else if (g_str_equal (move, "page-up"))
    to = from >= page ? from - page : from % columns;
  else if (g_str_equal (move, "page-down"))
    to = MIN (from + page, n - 1);
  else
    {
      g_warning ("grid.move: unknown move “%s”", move);
      return;
    }
  cs_card_grid_focus_position (self, (guint) to);
}

static void
activate_focus_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  CsCardGrid *self = CS_CARD_GRID (widget);
  guint position = focus_position (self);

  if (position != INVALID_POSITION)
    activate_position (self, position);
}

/* ---- overrides ---------------------------------------------------------- */

static void
cs_card_grid_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                      int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  CsCardGrid *self = CS_CARD_GRID (widget);

  if (self->card_min_width == 0)
    measure_sizing_card (self, 0, &self->card_min_width, NULL);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = self->card_min_width + 2 * PADDING;
      *natural = (int) self->max_columns * (self->card_min_width + SPACING) - SPACING + 2 * PADDING;
    }
  else
    {
      /* the scrolled window shows what fits */
      *minimum = 0;
      *natural = content_height (self);
    }
}

static void
cs_card_grid_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  CsCardGrid *self = CS_CARD_GRID (widget);
  guint columns;
  int card_width;
  double value;

  if (self->card_min_width == 0)
    measure_sizing_card (self, 0, &self->card_min_width, NULL);
  columns = columns_for_width (self, width);
  card_width = MAX (self->card_min_width, (width - 2 * PADDING - ((int) columns - 1) * SPACING) / (int) columns);
  if (card_width != self->card_width)
    {
      self->card_width = card_width;
      measure_sizing_card (self, card_width, &self->card_min_width, &self->row_height);
      /* (update_range measures the cards it binds, not those it keeps) */
      for (guint i = 0; i < self->slots->len; i++)
        {
          int card_height = 0;

          gtk_widget_measure (g_array_index (self->slots, Slot, i).card, GTK_ORIENTATION_VERTICAL, card_width,
                              NULL, &card_height, NULL, NULL);
          self->row_height = MAX (self->row_height, card_height);
        }
    }
  self->n_columns = columns;
  self->width = width;
  self->height = height;
  /* a new size (or the first): the cards it needs now, so that the frame
   * shows them; and again if a card did not fit the rows */
  value = scroll_value (self);
  do
    {
      configure_adjustments (self, value);
      value = scroll_value (self);
    }
  while (update_range (self, TRUE));

  for (guint i = 0; i < self->slots->len; i++)
    {
      Slot *slot = &g_array_index (self->slots, Slot, i);
      GtkAllocation allocation = { 0, -2 * (self->row_height + PADDING), card_width, self->row_height };

      if (slot->position != INVALID_POSITION)
        {
          allocation.x = PADDING + (int) (slot->position % columns) * (card_width + SPACING);
          allocation.y = row_top (self, slot->position / columns) - (int) value;
        }
      else
        queue_update (self);   /* a spare, off screen until then */
      gtk_widget_size_allocate (slot->card, &allocation, -1);
    }
}

static void
cs_card_grid_set_focus_child (GtkWidget *widget, GtkWidget *child)
{
  CsCardGrid *self = CS_CARD_GRID (widget);
  Slot *slot = child != NULL ? find_slot_of_card (self, child) : NULL;

  GTK_WIDGET_CLASS (cs_card_grid_parent_class)->set_focus_child (widget, child);
  /* Scrolling now would recycle cards in the middle of GTK's change of
   * focus: before the next layout, the card shows (and the one that lost
   * the focus goes if it is out of the range). */
  if (slot != NULL)
    self->scroll_to = slot->position;
  queue_update (self);
}

static gboolean
cs_card_grid_focus (GtkWidget *widget, GtkDirectionType direction)
{
  CsCardGrid *self = CS_CARD_GRID (widget);

  /* Tab leaves the grid; inside it the arrows are our key bindings */
  if (gtk_widget_get_focus_child (widget) != NULL)
    return FALSE;
  if (n_items (self) == 0)
    return FALSE;
  return cs_card_grid_focus_position (self, first_visible_position (self));
}

static gboolean
cs_card_grid_grab_focus (GtkWidget *widget)
{
  CsCardGrid *self = CS_CARD_GRID (widget);
  guint position = focus_position (self);

  return cs_card_grid_focus_position (self, position != INVALID_POSITION ? position : first_visible_position (self));
}

static void
set_adjustment (CsCardGrid *self, GtkAdjustment **slot, GtkAdjustment *adjustment, gboolean vertical)
{
  if (adjustment == NULL)
    adjustment = gtk_adjustment_new (0, 0, 0, 0, 0, 0);
  if (*slot == adjustment)
    return;
  if (*slot != NULL)
    {
      if (vertical)
        g_signal_handlers_disconnect_by_func (*slot, vadjustment_value_changed_cb, self);
      g_object_unref (*slot);
    }
  *slot = g_object_ref_sink (adjustment);
  if (vertical)
    g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (vadjustment_value_changed_cb), self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static void
cs_card_grid_dispose (GObject *object)
{
  CsCardGrid *self = CS_CARD_GRID (object);

  cs_card_grid_set_model (self, NULL);
  if (self->tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_func (self->vadjustment, vadjustment_value_changed_cb, self);
  g_clear_object (&self->vadjustment);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->context);
  g_clear_object (&self->sizing_item);
  G_OBJECT_CLASS (cs_card_grid_parent_class)->dispose (object);
}

static void
cs_card_grid_finalize (GObject *object)
{
  CsCardGrid *self = CS_CARD_GRID (object);

  g_array_unref (self->slots);
  G_OBJECT_CLASS (cs_card_grid_parent_class)->finalize (object);
}

static void
cs_card_grid_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CsCardGrid *self = CS_CARD_GRID (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    case PROP_MAX_COLUMNS:
      g_value_set_uint (value, self->max_columns);
      break;
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadjustment);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadjustment);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cs_card_grid_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CsCardGrid *self = CS_CARD_GRID (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      cs_card_grid_set_model (self, g_value_get_object (value));
      break;
    case PROP_MAX_COLUMNS:
      cs_card_grid_set_max_columns (self, g_value_get_uint (value));
      break;
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadjustment, g_value_get_object (value), FALSE);
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadjustment, g_value_get_object (value), TRUE);
      break;
    case PROP_HSCROLL_POLICY:
      if (self->hscroll_policy != (GtkScrollablePolicy) g_value_get_enum (value))
        {
          self->hscroll_policy = g_value_get_enum (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_VSCROLL_POLICY:
      if (self->vscroll_policy != (GtkScrollablePolicy) g_value_get_enum (value))
        {
          self->vscroll_policy = g_value_get_enum (value);
          gtk_widget_queue_resize (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
add_move_binding (GtkWidgetClass *widget_class, guint keyval, guint keypad_keyval, GdkModifierType mods,
                  const char *move)
{
  gtk_widget_class_add_binding_action (widget_class, keyval, mods, "grid.move", "s", move);
  gtk_widget_class_add_binding_action (widget_class, keypad_keyval, mods, "grid.move", "s", move);
}

static void
cs_card_grid_scrollable_init (GtkScrollableInterface *iface)
{
}

static void
cs_card_grid_class_init (CsCardGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const guint activate_keys[] = { GDK_KEY_Return, GDK_KEY_ISO_Enter, GDK_KEY_KP_Enter, GDK_KEY_space,
                                  GDK_KEY_KP_Space };

  object_class->dispose = cs_card_grid_dispose;
  object_class->finalize = cs_card_grid_finalize;
  object_class->get_property = cs_card_grid_get_property;
  object_class->set_property = cs_card_grid_set_property;
  widget_class->measure = cs_card_grid_measure;
  widget_class->size_allocate = cs_card_grid_size_allocate;
  widget_class->set_focus_child = cs_card_grid_set_focus_child;
  widget_class->focus = cs_card_grid_focus;
  widget_class->grab_focus = cs_card_grid_grab_focus;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_COLUMNS] =
    g_param_spec_uint ("max-columns", NULL, NULL, 1, 16, 4,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  signals[SIGNAL_ACTIVATE] =
    g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);

  gtk_widget_class_install_action (widget_class, "grid.move", "s", move_action);
  gtk_widget_class_install_action (widget_class, "grid.activate-focus", NULL, activate_focus_action);
  add_move_binding (widget_class, GDK_KEY_Left, GDK_KEY_KP_Left, 0, "left");
  add_move_binding (widget_class, GDK_KEY_Right, GDK_KEY_KP_Right, 0, "right");
  add_move_binding (widget_class, GDK_KEY_Up, GDK_KEY_KP_Up, 0, "up");
  add_move_binding (widget_class, GDK_KEY_Down, GDK_KEY_KP_Down, 0, "down");
  add_move_binding (widget_class, GDK_KEY_Home, GDK_KEY_KP_Home, 0, "home");
  add_move_binding (widget_class, GDK_KEY_End, GDK_KEY_KP_End, 0, "end");
  add_move_binding (widget_class, GDK_KEY_Home, GDK_KEY_KP_Home, GDK_CONTROL_MASK, "home");
  add_move_binding (widget_class, GDK_KEY_End, GDK_KEY_KP_End, GDK_CONTROL_MASK, "end");
  add_move_binding (widget_class, GDK_KEY_Page_Up, GDK_KEY_KP_Page_Up, 0, "page-up");
  add_move_binding (widget_class, GDK_KEY_Page_Down, GDK_KEY_KP_Page_Down, 0, "page-down");
  for (guint i = 0; i < G_N_ELEMENTS (activate_keys); i++)
    gtk_widget_class_add_binding_action (widget_class, activate_keys[i], 0, "grid.activate-focus", NULL);

  gtk_widget_class_set_css_name (widget_class, "cardgrid");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LIST);
}

static void
cs_card_grid_init (CsCardGrid *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->slots = g_array_new (FALSE, FALSE, sizeof (Slot));
  self->max_columns = 4;
  self->scroll_to = INVALID_POSITION;
  set_adjustment (self, &self->hadjustment, NULL, FALSE);
  set_adjustment (self, &self->vadjustment, NULL, TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "released", G_CALLBACK (click_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

/* ---- public API --------------------------------------------------------- */

GtkWidget *
cs_card_grid_new (void)
{
  return g_object_new (CS_TYPE_CARD_GRID, NULL);
}

void
cs_card_grid_set_context (CsCardGrid *self, CsContext *context)
{
  g_return_if_fail (CS_IS_CARD_GRID (self));
  g_return_if_fail (context == NULL || CS_IS_CONTEXT (context));

  if (!g_set_object (&self->context, context))
    return;
  /* the cards load images through it: new ones */
  clear_slots (self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

void
cs_card_grid_set_model (CsCardGrid *self, GListModel *model)
{
  g_return_if_fail (CS_IS_CARD_GRID (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, items_changed_cb, self);
  clear_slots (self);
  g_set_object (&self->model, model);
  if (model != NULL)
    g_signal_connect_swapped (model, "items-changed", G_CALLBACK (items_changed_cb), self);
  if (self->vadjustment != NULL)
    gtk_adjustment_set_value (self->vadjustment, 0);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GListModel *
cs_card_grid_get_model (CsCardGrid *self)
{
  g_return_val_if_fail (CS_IS_CARD_GRID (self), NULL);
  return self->model;
}

void
cs_card_grid_set_max_columns (CsCardGrid *self, guint max_columns)
{
  g_return_if_fail (CS_IS_CARD_GRID (self));
  g_return_if_fail (max_columns >= 1);

  if (self->max_columns == max_columns)
    return;
  self->max_columns = max_columns;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_COLUMNS]);
}

guint
cs_card_grid_get_max_columns (CsCardGrid *self)
{
  g_return_val_if_fail (CS_IS_CARD_GRID (self), 0);
  return self->max_columns;
}

guint
cs_card_grid_get_n_columns (CsCardGrid *self)
{
  g_return_val_if_fail (CS_IS_CARD_GRID (self), 0);
  return self->n_columns;
}

gboolean
cs_card_grid_focus_position (CsCardGrid *self, guint position)
{
  Slot *slot;

  g_return_val_if_fail (CS_IS_CARD_GRID (self), FALSE);

  if (position >= n_items (self) || self->n_columns == 0)
    return FALSE;
  /* the range follows the scrolling: the card is there after it */
  gtk_adjustment_set_value (self->vadjustment, value_showing (self, position));
  slot = find_slot (self, position);
  if (slot == NULL)
    {
      update_range (self, FALSE);
      gtk_widget_queue_allocate (GTK_WIDGET (self));
      slot = find_slot (self, position);
    }
  if (slot == NULL)
    return FALSE;
  return gtk_widget_grab_focus (slot->card);
}

guint
cs_card_grid_get_n_binds (CsCardGrid *self)
{
  g_return_val_if_fail (CS_IS_CARD_GRID (self), 0);
  return self->n_binds;
}
