/* cs-pledge-list.h: a GListModel of the signed-in user's CsPledgeItem, from
 * the cache, ordered by group (what needs attention first) then newest
 * first; it reloads when the cache's pledges or outbox change.
 *
 * Properties: user-id (string; NULL empties the list), loading (bool).
 */
#pragma once

#include <gio/gio.h>
#include "cs-cache.h"
#include "cs-pledge-item.h"

G_BEGIN_DECLS

#define CS_TYPE_PLEDGE_LIST (cs_pledge_list_get_type ())
G_DECLARE_FINAL_TYPE (CsPledgeList, cs_pledge_list, CS, PLEDGE_LIST, GObject)

CsPledgeList *cs_pledge_list_new         (CsCache *cache);
void          cs_pledge_list_set_user_id (CsPledgeList *self, const char *user_id);
gboolean      cs_pledge_list_get_loading (CsPledgeList *self);
/* Totals of the active and collected pledges, per currency: a newly allocated
 * array of CsMoney, sorted by currency code. */
GArray       *cs_pledge_list_totals      (CsPledgeList *self);

G_END_DECLS
