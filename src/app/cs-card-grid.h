/* cs-card-grid.h: a recycling grid of campaign cards (Discover).
 *
 * A GtkScrollable (put it in a GtkScrolledWindow, directly or through an
 * AdwClampScrollable) showing a GListModel of CsCampaignItem as fixed-size
 * CsCampaignCards in as many columns as fit (1 to max-columns).  Only the
 * rows that intersect the viewport, plus one row above and one below, have
 * cards; scrolling rebinds those cards to other items.  The card that has
 * the keyboard focus is kept (like GtkGridView's focused item).
 *
 * Keyboard: Tab enters on the first visible card and leaves the grid; the
 * arrows, Home/End and Page Up/Down move the focus (scrolling it into
 * view): the action grid.move (s: left, right, up, down, home, end, page-up,
 * page-down); Enter/Space (grid.activate-focus) or a click emits ::activate
 * (guint position).  Accessible role: a list of list items (the cards keep
 * their labels).
 */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

#define CS_TYPE_CARD_GRID (cs_card_grid_get_type ())
G_DECLARE_FINAL_TYPE (CsCardGrid, cs_card_grid, CS, CARD_GRID, GtkWidget)

GtkWidget  *cs_card_grid_new             (void);
/* The context the cards load their images with (set before the model). */
void        cs_card_grid_set_context     (CsCardGrid *self, CsContext *context);
/* @model: of CsCampaignItem, or NULL. */
void        cs_card_grid_set_model       (CsCardGrid *self, GListModel *model);
GListModel *cs_card_grid_get_model       (CsCardGrid *self);
void        cs_card_grid_set_max_columns (CsCardGrid *self, guint max_columns);
guint       cs_card_grid_get_max_columns (CsCardGrid *self);
/* The columns of the last layout (0 before the first). */
guint       cs_card_grid_get_n_columns   (CsCardGrid *self);
/* Moves the keyboard focus to the card of @position, scrolling it into view. */
gboolean    cs_card_grid_focus_position  (CsCardGrid *self, guint position);
/* How many times a card was bound to an item (tests: the grid recycles). */
guint       cs_card_grid_get_n_binds     (CsCardGrid *self);

G_END_DECLS
