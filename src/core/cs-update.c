/* cs-update.c: creator updates and categories. */
#include "config.h"

#include <string.h>

#include "cs-update.h"

/* Helpers */

static const char * const visibility_names[] = {
  [CS_UPDATE_PUBLIC] = "public",
  [CS_UPDATE_BACKERS_ONLY] = "backers",
};

/* Public API: updates */

const char *
cs_update_visibility_to_string (CsUpdateVisibility v)
{
  if ((guint) v >= G_N_ELEMENTS (visibility_names))
    return "public";
  return visibility_names[v];
}

gboolean
cs_update_visibility_from_string (const char *text, CsUpdateVisibility *out)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (visibility_names); i++)
    if (strcmp (text, visibility_names[i]) == 0)
      {
        if (out != NULL)
          *out = (CsUpdateVisibility) i;
        return TRUE;
      }
  return FALSE;
}

CsUpdate *
cs_update_new (void)
{
  CsUpdate *update = g_new0 (CsUpdate, 1);

  update->visibility = CS_UPDATE_PUBLIC;
  return update;
}

void
cs_update_free (CsUpdate *update)
{
  if (update == NULL)
    return;
  g_free (update->id);
  g_free (update->campaign_id);
  g_free (update->author_id);
  g_free (update->title);
  g_free (update->content);
  g_free (update);
}

void
cs_update_write_json (const CsUpdate *update, CsJsonWriter *w, gboolean can_read)
{
  g_return_if_fail (update != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", update->id);
  cs_json_writer_member_string (w, "campaign_id", update->campaign_id);
  cs_json_writer_member_string (w, "author_id", update->author_id);
  cs_json_writer_member_string (w, "title", update->title);
  cs_json_writer_member_string (w, "visibility", cs_update_visibility_to_string (update->visibility));
  cs_json_writer_member_time (w, "created_at", update->created_at);
  cs_json_writer_member_string (w, "content", can_read ? update->content : NULL);
  cs_json_writer_member_bool (w, "locked", !can_read);
  cs_json_writer_end_object (w);
}

CsUpdate *
cs_update_from_json (JsonObject *obj, GError **error)
{
  g_autoptr(CsUpdate) update = NULL;
  const char *id = cs_json_get_string_or (obj, "id", NULL);
  const char *visibility;

  if (id == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The update object has no id");
      return NULL;
    }

  update = cs_update_new ();
  update->id = g_strdup (id);
  update->campaign_id = g_strdup (cs_json_get_string_or (obj, "campaign_id", NULL));
  update->author_id = g_strdup (cs_json_get_string_or (obj, "author_id", NULL));
  update->title = g_strdup (cs_json_get_string_or (obj, "title", ""));
  update->content = g_strdup (cs_json_get_string_or (obj, "content", NULL));
  visibility = cs_json_get_string_or (obj, "visibility", NULL);
  if (!cs_update_visibility_from_string (visibility, &update->visibility))
    update->visibility = CS_UPDATE_PUBLIC;
  update->created_at = cs_json_get_time (obj, "created_at");
  return g_steal_pointer (&update);
}

/* Public API: categories */

void
cs_category_free (CsCategory *category)
{
  if (category == NULL)
    return;
  g_free (category->slug);
  g_free (category->name);
  g_free (category);
}

void
cs_category_write_json (const CsCategory *category, CsJsonWriter *w)
{
  g_return_if_fail (category != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "slug", category->slug);
  cs_json_writer_member_string (w, "name", category->name);
  cs_json_writer_member_int (w, "live_count", category->live_count);
  cs_json_writer_end_object (w);
}

CsCategory *
cs_category_from_json (JsonObject *obj, GError **error)
{
  g_autoptr(CsCategory) category = NULL;
  const char *slug = cs_json_get_string_or (obj, "slug", NULL);
  const char *name = cs_json_get_string_or (obj, "name", NULL);
  JsonNode *count;

  g_return_val_if_fail (obj != NULL, NULL);

  if (slug == NULL || *slug == '\0' || name == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The category object has no slug or name");
      return NULL;
    }
  count = json_object_get_member (obj, "live_count");
  if (count != NULL && !JSON_NODE_HOLDS_NULL (count) && json_node_get_value_type (count) != G_TYPE_INT64)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The category's live_count is not an integer");
      return NULL;
    }

  category = g_new0 (CsCategory, 1);
  category->slug = g_strdup (slug);
  category->name = g_strdup (name);
  category->live_count = count != NULL && !JSON_NODE_HOLDS_NULL (count) ? json_node_get_int (count) : 0;
  return g_steal_pointer (&category);
}
