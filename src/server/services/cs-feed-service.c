/* cs-feed-service.c: creator updates, the personal dashboard, the sync
 * feed and the moderation audit trail. */
#include "config.h"

#include <string.h>

#include "cs-feed-service.h"
#include "cs-campaign-service.h"

#define ENDING_SOON_SECONDS (48 * 3600)

CsUpdate *
cs_updates_post (const CsCall *call, const char *campaign_id, JsonObject *body, GError **error)
{
  static const char * const allowed[] = { "title", "content", "visibility", NULL };
  g_autoptr(CsCampaign) campaign = cs_campaigns_get (call, campaign_id, error);
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(CsUpdate) update = NULL;
  g_autofree char *title = NULL;
  g_autofree char *content = NULL;
  g_autofree char *visibility = NULL;
  CsUpdateVisibility vis = CS_UPDATE_PUBLIC;

  if (campaign == NULL)
    return NULL;
  if (g_strcmp0 (campaign->creator_id, call->user_id) != 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_FORBIDDEN, "Only the campaign's creator may post updates.");
      return NULL;
    }

  cs_json_reject_unknown (body, allowed, v);
  cs_json_read_string (body, "title", TRUE, 1, 120, FALSE, v, &title);
  cs_json_read_string (body, "content", TRUE, 1, 20000, TRUE, v, &content);
  if (cs_json_read_string (body, "visibility", FALSE, 1, 20, FALSE, v, &visibility) &&
      !cs_update_visibility_from_string (visibility, &vis))
    cs_validation_add (v, "visibility", "must be public or backers");
  if (!cs_validation_finish (v, "The update has invalid fields", error))
    return NULL;

  if (campaign->published_at == 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT,
                           "Updates can be posted once the campaign has been approved and is live.");
      return NULL;
    }

  update = cs_update_new ();
  update->id = cs_id_new ("upd");
  update->campaign_id = g_strdup (campaign_id);
  update->author_id = g_strdup (call->user_id);
  update->title = g_strdup (title);
  update->content = g_strdup (content);
  update->visibility = vis;
  update->created_at = call->now;
  return cs_store_update_insert (call->conn, update, error);
}

GPtrArray *
cs_updates_list (const CsCall *call, const char *campaign_id, const char *cursor, guint limit,
                 char **next_cursor, gboolean *can_read_private, GError **error)
{
  g_autoptr(CsCampaign) campaign = cs_campaigns_get (call, campaign_id, error);
  gboolean backer = FALSE;

  if (campaign == NULL)
    return NULL;
  if (cs_campaign_manageable_by (call, campaign))
    backer = TRUE;
  else if (call->user_id != NULL &&
           !cs_store_is_backer (call->conn, campaign_id, call->user_id, &backer, error))
    return NULL;
  *can_read_private = backer;
  return cs_store_update_list (call->conn, campaign_id, cursor, limit, next_cursor, error);
}

void
cs_dashboard_view_clear (CsDashboardView *view)
{
  g_clear_pointer (&view->user, cs_user_free);
  cs_dashboard_clear (&view->data);
  g_clear_pointer (&view->raised, g_array_unref);
  g_clear_pointer (&view->pledged, g_array_unref);
  g_clear_pointer (&view->attention, g_ptr_array_unref);
}

static void
attention_free (CsAttention *a)
{
  g_free (a->kind);
  g_free (a->campaign_id);
  g_free (a->message);
  g_free (a);
}

static void
add_attention (GPtrArray *list, const char *kind, const char *campaign_id, char *message)
{
  CsAttention *a = g_new0 (CsAttention, 1);

  a->kind = g_strdup (kind);
  a->campaign_id = g_strdup (campaign_id);
  a->message = message;
  g_ptr_array_add (list, a);
}

/* Adds @amount to the running total of @currency in @totals (overflow-checked). */
static gboolean
add_to_totals (GArray *totals, const char *currency, gint64 amount, GError **error)
{
  for (guint i = 0; i < totals->len; i++)
    {
      CsMoney *m = &g_array_index (totals, CsMoney, i);

      if (strcmp (m->currency, currency) == 0)
        {
          if (!cs_int64_add_checked (m->amount, amount, &m->amount))
            {
              g_set_error_literal (error, CS_ERROR, CS_ERROR_INTERNAL, "A dashboard total overflowed");
              return FALSE;
            }
          return TRUE;
        }
    }
  {
    CsMoney m = { .amount = amount };

    g_strlcpy (m.currency, currency, sizeof m.currency);
    g_array_append_val (totals, m);
  }
  return TRUE;
}

static gboolean
pledge_counts (const char *status)
{
  return g_strcmp0 (status, "pending") == 0 || g_strcmp0 (status, "authorized") == 0 ||
         g_strcmp0 (status, "collected") == 0 || g_strcmp0 (status, "capture_failed") == 0;
}

gboolean
cs_dashboard_get (const CsCall *call, CsDashboardView *out, GError **error)
{
  out->user = cs_store_user_get (call->conn, call->user_id, error);
  if (out->user == NULL)
    return FALSE;
  if (!cs_store_dashboard (call->conn, call->user_id, &out->data, error))
    return FALSE;

  out->raised = g_array_new (FALSE, TRUE, sizeof (CsMoney));
  out->pledged = g_array_new (FALSE, TRUE, sizeof (CsMoney));
  out->attention = g_ptr_array_new_with_free_func ((GDestroyNotify) attention_free);

  for (guint i = 0; i < out->data.created->len; i++)
    {
      CsCampaign *c = g_ptr_array_index (out->data.created, i);

      if (c->status == CS_CAMPAIGN_LIVE)
        out->live_count++;
      if (c->published_at != 0 && !add_to_totals (out->raised, c->currency, c->current_amount, error))
        return FALSE;

      switch (c->status)
        {
        case CS_CAMPAIGN_REJECTED:
          add_attention (out->attention, "campaign_rejected", c->id,
                         g_strdup_printf ("“%s” was not approved: %s", c->title,
                                          c->rejection_reason ? c->rejection_reason : "see the reason on the campaign"));
          break;
        case CS_CAMPAIGN_DRAFT:
          add_attention (out->attention, "draft", c->id,
                         g_strdup_printf ("“%s” is a draft: submit it for review when it is ready.", c->title));
          break;
        case CS_CAMPAIGN_LIVE:
          if (c->end_date > call->now && c->end_date - call->now <= ENDING_SOON_SECONDS)
            add_attention (out->attention, "ending_soon", c->id,
                           g_strdup_printf ("“%s” ends within two days.", c->title));
          break;
        default:
          break;
        }
    }

  for (guint i = 0; i < out->data.backed->len; i++)
    {
      CsBackedItem *b = g_ptr_array_index (out->data.backed, i);

      if (pledge_counts (b->pledge_status) && !add_to_totals (out->pledged, b->currency, b->amount, error))
        return FALSE;
      if (g_strcmp0 (b->pledge_status, "capture_failed") == 0 || g_strcmp0 (b->pledge_status, "failed") == 0)
        add_attention (out->attention, "payment_failed", b->campaign->id,
                       g_strdup_printf ("Your payment for “%s” did not go through: update your payment method.",
                                        b->campaign->title));
    }
  return TRUE;
}

gboolean
cs_sync_get (const CsCall *call, const char *since, guint limit, CsSyncPage *out, GError **error)
{
  if (since != NULL && strlen (since) > 256)
    {
      g_autoptr(CsValidation) v = cs_validation_new ();

      cs_validation_add (v, "since", "is not a valid cursor");
      return cs_validation_finish (v, "The sync cursor is not valid", error);
    }
  return cs_store_sync (call->conn, since, call->user_id, cs_call_is_staff (call), limit, out, error);
}

GPtrArray *
cs_audit_list (const CsCall *call, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  return cs_store_audit_list (call->conn, cursor, limit, next_cursor, error);
}
