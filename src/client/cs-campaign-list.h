/* cs-campaign-list.h: a GListModel of CsCampaignItem filled from the cache.
 *
 * Setting a query reads the cache at once (asynchronously, on the cache's
 * thread); the list reloads itself when the cache's campaigns change,
 * keeping the items of campaigns still present (updated in place) so that
 * views do not flicker.  merge() appends campaigns the server found that
 * the cache did not have (a server search).
 *
 * Properties: loading (bool, TRUE until the first read of a query ends).
 */
#pragma once

#include <gio/gio.h>
#include "cs-cache.h"
#include "cs-campaign-item.h"

G_BEGIN_DECLS

#define CS_TYPE_CAMPAIGN_LIST (cs_campaign_list_get_type ())
G_DECLARE_FINAL_TYPE (CsCampaignList, cs_campaign_list, CS, CAMPAIGN_LIST, GObject)

CsCampaignList *cs_campaign_list_new         (CsCache *cache);
/* Copies @query (its strings too). */
void            cs_campaign_list_set_query   (CsCampaignList *self, const CsCacheQuery *query);
gboolean        cs_campaign_list_get_loading (CsCampaignList *self);
/* Appends the campaigns of @campaigns (CsCampaign*) that are not in the list. */
void            cs_campaign_list_merge       (CsCampaignList *self, GPtrArray *campaigns);
/* The item for @campaign_id, or NULL (borrowed). */
CsCampaignItem *cs_campaign_list_lookup      (CsCampaignList *self, const char *campaign_id);

/* Internal, shared with CsPledgeList: replaces @items (GObject*, owning a
 * reference each) by @new_items (the same objects for the same things),
 * keeping the longest run of items whose order did not change and emitting
 * items-changed on @model for each removed and each inserted run only. */
void            _cs_list_replace_items       (GListModel *model, GPtrArray *items, GPtrArray *new_items);

G_END_DECLS
