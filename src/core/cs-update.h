/* cs-update.h: creator updates and categories. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cs-json.h"

G_BEGIN_DECLS

typedef enum {
  CS_UPDATE_PUBLIC,
  CS_UPDATE_BACKERS_ONLY,
} CsUpdateVisibility;

const char *cs_update_visibility_to_string   (CsUpdateVisibility v);
gboolean    cs_update_visibility_from_string (const char *text, CsUpdateVisibility *out);

typedef struct {
  char               *id;
  char               *campaign_id;
  char               *author_id;
  char               *title;
  char               *content;
  CsUpdateVisibility  visibility;
  gint64              created_at;
} CsUpdate;

CsUpdate *cs_update_new        (void);
void      cs_update_free       (CsUpdate *update);
/* JSON: id, campaign_id, author_id, title, visibility, created_at, content
 * and locked (false); when !@can_read (a backers-only update seen by a
 * non-backer) content is null and "locked": true. */
void      cs_update_write_json (const CsUpdate *update, CsJsonWriter *w, gboolean can_read);
CsUpdate *cs_update_from_json  (JsonObject *obj, GError **error);

typedef struct {
  char   *slug;
  char   *name;
  gint64  live_count;   /* live campaigns in it */
} CsCategory;

void      cs_category_free       (CsCategory *category);
void      cs_category_write_json (const CsCategory *category, CsJsonWriter *w);
/* Reads a category as written above (client side); NULL + CS_ERROR_MALFORMED
 * when slug or name is missing or not a string, or live_count is not an
 * integer. */
CsCategory *cs_category_from_json (JsonObject *obj, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsUpdate, cs_update_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsCategory, cs_category_free)

G_END_DECLS
