/* cs-feed-service.h: updates, the dashboard, the sync feed and the audit trail. */
#pragma once

#include "cs-service.h"

G_BEGIN_DECLS

/* Body: title, content, visibility ("public" | "backers").  Creator only. */
CsUpdate  *cs_updates_post          (const CsCall *call, const char *campaign_id, JsonObject *body,
                                     GError **error);
/* The campaign's updates; *can_read_private tells whether backers-only
 * content may be shown to the caller. */
GPtrArray *cs_updates_list          (const CsCall *call, const char *campaign_id, const char *cursor,
                                     guint limit, char **next_cursor, gboolean *can_read_private,
                                     GError **error);

typedef struct {
  CsUser      *user;
  CsDashboard  data;
  GArray      *raised;    /* CsMoney: per currency, sum of current_amount of the user's campaigns */
  GArray      *pledged;   /* CsMoney: per currency, sum of the user's active pledges */
  gint64       live_count;
  GPtrArray   *attention; /* CsAttention* */
} CsDashboardView;

typedef struct {
  char *kind;         /* "campaign_rejected", "draft", "ending_soon", "payment_failed" */
  char *campaign_id;
  char *message;      /* a sentence for people */
} CsAttention;

void       cs_dashboard_view_clear  (CsDashboardView *view);
gboolean   cs_dashboard_get         (const CsCall *call, CsDashboardView *out, GError **error);

gboolean   cs_sync_get              (const CsCall *call, const char *since, guint limit, CsSyncPage *out,
                                     GError **error);

GPtrArray *cs_audit_list            (const CsCall *call, const char *cursor, guint limit,
                                     char **next_cursor, GError **error);

G_END_DECLS
