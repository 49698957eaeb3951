/* cs-store.c: the public store API.  Parses the database URL, checks
 * arguments, and dispatches to the backend (cs-store-private.h); also the
 * small helpers every backend shares (cursors, search words, freeing the
 * result structs). */
#include "config.h"

#include <string.h>

#include "cs-store-private.h"

/* Helpers */

static const char *const sort_names[] = {
  [CS_SORT_TRENDING]    = "trending",
  [CS_SORT_NEWEST]      = "newest",
  [CS_SORT_ENDING_SOON] = "ending_soon",
  [CS_SORT_MOST_FUNDED] = "most_funded",
  [CS_SORT_RELEVANCE]   = "relevance",
};

static guint
clamp_limit (guint limit)
{
  if (limit == 0)
    return CS_STORE_DEFAULT_LIMIT;
  return MIN (limit, CS_STORE_MAX_LIMIT);
}

static void
set_url_error (GError **error, const char *message)
{
  g_autoptr(GError) local = g_error_new_literal (CS_ERROR, CS_ERROR_INVALID, message);

  cs_error_add_field (local, "database", message);
  g_propagate_error (error, g_steal_pointer (&local));
}

/* "sqlite:///abs/path.db" → "/abs/path.db" (percent-decoded).  No query,
 * no fragment, no host, no relative path. */
static char *
parse_sqlite_url (const char *url, GError **error)
{
  const char *rest = url + strlen ("sqlite://");
  g_autofree char *path = NULL;

  if (!g_str_has_prefix (url, "sqlite://") || rest[0] != '/')
    {
      set_url_error (error, "A SQLite database URL looks like sqlite:///absolute/path.db");
      return NULL;
    }
  if (strpbrk (rest, "?#") != NULL)
    {
      set_url_error (error, "A SQLite database URL takes no query or fragment");
      return NULL;
    }
  path = g_uri_unescape_string (rest, "/");
  if (path == NULL || path[1] == '\0' || g_str_has_suffix (path, "/"))
    {
      set_url_error (error, "A SQLite database URL must name a file by its absolute path");
      return NULL;
    }
  return g_steal_pointer (&path);
}

/* A CS_ERROR_INVALID error with one field error: for the argument rules
 * that every backend shares, checked here before dispatch. */
static void
set_invalid_field (GError **error, const char *field, const char *field_message, const char *detail)
{
  g_autoptr(GError) local = g_error_new_literal (CS_ERROR, CS_ERROR_INVALID, detail);

  cs_error_add_field (local, field, field_message);
  g_propagate_error (error, g_steal_pointer (&local));
}

/* Public API: shared helpers */

char *
cs_store_cursor_encode (const char *tag, const gint64 *keys, guint n_keys, const char *text)
{
  g_autoptr(GString) s = g_string_new (tag);

  for (guint i = 0; i < n_keys; i++)
    g_string_append_printf (s, "|%" G_GINT64_FORMAT, keys[i]);
  if (text != NULL)
    {
      g_string_append_c (s, '|');
      g_string_append (s, text);
    }
  return cs_base64url_encode ((const guint8 *) s->str, s->len);
}

gboolean
cs_store_cursor_decode (const char *cursor, const char *tag, gint64 *keys, guint n_keys,
                        char **text_out)
{
  g_autofree guint8 *raw = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;
  gsize len = 0;
  guint expected = 1 + n_keys + (text_out != NULL ? 1 : 0);

  if (cursor == NULL || *cursor == '\0' || strlen (cursor) > 512)
    return FALSE;
  raw = cs_base64url_decode (cursor, &len);
  if (raw == NULL || len == 0 || memchr (raw, '\0', len) != NULL)
    return FALSE;
  text = g_strndup ((const char *) raw, len);
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  parts = g_strsplit (text, "|", -1);
  if (g_strv_length (parts) != expected || g_strcmp0 (parts[0], tag) != 0)
    return FALSE;
  for (guint i = 0; i < n_keys; i++)
    {
      gint64 value;

      if (!g_ascii_string_to_signed (parts[1 + i], 10, G_MININT64, G_MAXINT64, &value, NULL))
        return FALSE;
      keys[i] = value;
    }
  if (text_out != NULL)
    {
      const char *t = parts[1 + n_keys];

      if (*t == '\0')
        return FALSE;
      *text_out = g_strdup (t);
    }
  return TRUE;
}

void
cs_store_set_cursor_error (GError **error, const char *field)
{
  g_autoptr(GError) local = g_error_new_literal (CS_ERROR, CS_ERROR_INVALID,
                                                 "The cursor is not valid for this list");

  cs_error_add_field (local, field, "is not a valid cursor");
  g_propagate_error (error, g_steal_pointer (&local));
}

char *
cs_store_sync_cursor_encode (gint64 seq)
{
  return g_strdup_printf ("s%" G_GINT64_FORMAT, seq);
}

gboolean
cs_store_sync_cursor_decode (const char *since, gint64 *seq_out)
{
  guint64 value;

  if (since == NULL || since[0] != 's' || since[1] == '\0' || strlen (since) > 20)
    return FALSE;
  for (const char *p = since + 1; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  if (!g_ascii_string_to_unsigned (since + 1, 10, 0, G_MAXINT64, &value, NULL))
    return FALSE;
  *seq_out = (gint64) value;
  return TRUE;
}

static gboolean
is_word_char (gunichar ch)
{
  switch (g_unichar_type (ch))
    {
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
      return TRUE;
    default:
      return g_unichar_isalnum (ch);
    }
}

char **
cs_store_search_words (const char *q, guint max_words)
{
  g_autofree char *valid = NULL;
  g_autofree char *normal = NULL;
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  const char *p;

  if (q == NULL || *q == '\0')
    return NULL;
  valid = g_utf8_make_valid (q, MIN (strlen (q), 4096));
  normal = g_utf8_normalize (valid, -1, G_NORMALIZE_NFC);
  if (normal == NULL)
    return NULL;

  p = normal;
  while (*p != '\0' && words->len < max_words)
    {
      const char *start;
      glong n_chars = 0;

      while (*p != '\0' && !is_word_char (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (*p == '\0')
        break;
      start = p;
      while (*p != '\0' && is_word_char (g_utf8_get_char (p)))
        {
          p = g_utf8_next_char (p);
          n_chars++;
        }
      /* A lone combining mark is not a word; a 300-letter "word" is noise. */
      if (!g_unichar_isalnum (g_utf8_get_char (start)) || n_chars > 64)
        continue;
      g_ptr_array_add (words, g_strndup (start, p - start));
    }
  if (words->len == 0)
    return NULL;
  g_ptr_array_add (words, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&words), FALSE);
}

const char *
cs_store_status_label (CsCampaignStatus status)
{
  switch (status)
    {
    case CS_CAMPAIGN_PENDING_REVIEW:
      return "pending review";
    case CS_CAMPAIGN_DRAFT:
    case CS_CAMPAIGN_LIVE:
    case CS_CAMPAIGN_SUCCESSFUL:
    case CS_CAMPAIGN_FAILED:
    case CS_CAMPAIGN_REJECTED:
    case CS_CAMPAIGN_CANCELLED:
    case CS_CAMPAIGN_SUSPENDED:
    case CS_CAMPAIGN_N_STATUSES:
    default:
      return cs_campaign_status_to_string (status);
    }
}

/* Public API: result structs */

void
cs_session_info_clear (CsSessionInfo *info)
{
  if (info == NULL)
    return;
  g_clear_pointer (&info->session_id, g_free);
  g_clear_pointer (&info->user_id, g_free);
  info->role = CS_ROLE_BACKER;
  info->suspended = FALSE;
}

void
cs_campaign_page_clear (CsCampaignPage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->items, g_ptr_array_unref);
  g_clear_pointer (&page->next_cursor, g_free);
}

void
cs_backed_item_free (CsBackedItem *item)
{
  if (item == NULL)
    return;
  g_clear_pointer (&item->campaign, cs_campaign_free);
  g_free (item->pledge_id);
  g_free (item->pledge_status);
  g_free (item->reward_tier_id);
  g_free (item->reward_title);
  g_free (item);
}

void
cs_dashboard_clear (CsDashboard *dashboard)
{
  if (dashboard == NULL)
    return;
  g_clear_pointer (&dashboard->created, g_ptr_array_unref);
  g_clear_pointer (&dashboard->backed, g_ptr_array_unref);
}

void
cs_tombstone_free (CsTombstone *t)
{
  if (t == NULL)
    return;
  g_free (t->type);
  g_free (t->id);
  g_free (t->campaign_id);
  g_free (t);
}

void
cs_sync_page_clear (CsSyncPage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->campaigns, g_ptr_array_unref);
  g_clear_pointer (&page->tombstones, g_ptr_array_unref);
  g_clear_pointer (&page->next_cursor, g_free);
  page->has_more = FALSE;
}

void
cs_audit_entry_free (CsAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->actor_id);
  g_free (entry->action);
  g_free (entry->subject_type);
  g_free (entry->subject_id);
  g_free (entry->reason);
  g_free (entry->detail);
  g_free (entry);
}

const char *
cs_campaign_sort_to_string (CsCampaignSort sort)
{
  if ((guint) sort < G_N_ELEMENTS (sort_names))
    return sort_names[sort];
  return "trending";
}

gboolean
cs_campaign_sort_from_string (const char *text, CsCampaignSort *out)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (sort_names); i++)
    if (strcmp (text, sort_names[i]) == 0)
      {
        if (out != NULL)
          *out = (CsCampaignSort) i;
        return TRUE;
      }
  return FALSE;
}

/* Public API: lifecycle */

CsStore *
cs_store_open (const char *url, GError **error)
{
  const CsStoreBackend *backend = NULL;
  g_autofree char *location = NULL;
  CsStore *store;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_has_prefix (url, "sqlite:"))
    {
      location = parse_sqlite_url (url, error);
      if (location == NULL)
        return NULL;
      backend = &cs_store_sqlite_backend;
    }
  else if (g_str_has_prefix (url, "postgresql:") || g_str_has_prefix (url, "postgres:"))
    {
#ifdef HAVE_POSTGRESQL
      location = g_strdup (url);
      backend = &cs_store_pg_backend;
#else
      set_url_error (error, "This crowdspark-server was built without PostgreSQL support");
      return NULL;
#endif
    }
  else
    {
      set_url_error (error, "Unsupported database URL: use sqlite:///absolute/path.db or postgresql://…");
      return NULL;
    }

  store = backend->open (url, location, error);
  if (store == NULL)
    return NULL;
  store->backend = backend;
  store->url = g_strdup (url);
  return store;
}

void
cs_store_free (CsStore *store)
{
  if (store == NULL)
    return;
  g_clear_pointer (&store->url, g_free);
  store->backend->free (store);
}

const char *
cs_store_kind (CsStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->kind;
}

gboolean
cs_store_is_inline (CsStore *store)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend == &cs_store_sqlite_backend;
}

CsStoreConn *
cs_store_connect (CsStore *store, GError **error)
{
  CsStoreConn *conn;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  conn = store->backend->connect (store, error);
  if (conn != NULL)
    {
      conn->store = store;
      conn->backend = store->backend;
    }
  return conn;
}

void
cs_store_conn_free (CsStoreConn *conn)
{
  if (conn == NULL)
    return;
  conn->backend->conn_free (conn);
}

gboolean
cs_store_conn_is_usable (CsStoreConn *conn)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return conn->backend->conn_is_usable == NULL || conn->backend->conn_is_usable (conn);
}

int
cs_store_schema_version (CsStoreConn *conn)
{
  g_return_val_if_fail (conn != NULL, -1);
  return conn->backend->schema_version (conn);
}

gboolean
cs_store_ping (CsStoreConn *conn, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return conn->backend->ping (conn, error);
}

#define BACKEND(conn) ((conn)->backend)

/* Public API: users */

gboolean
cs_store_user_insert (CsStoreConn *conn, const CsUser *user, const char *password_hash,
                      GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (user != NULL && user->id != NULL && user->email != NULL &&
                        user->username != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);
  return BACKEND (conn)->user_insert (conn, user, password_hash, error);
}

CsUser *
cs_store_user_get (CsStoreConn *conn, const char *user_id, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (user_id != NULL, NULL);
  return BACKEND (conn)->user_get (conn, user_id, error);
}

CsUser *
cs_store_user_get_by_login (CsStoreConn *conn, const char *login, char **password_hash_out,
                            GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (login != NULL, NULL);
  if (password_hash_out != NULL)
    *password_hash_out = NULL;
  return BACKEND (conn)->user_get_by_login (conn, login, password_hash_out, error);
}

CsUser *
cs_store_user_update (CsStoreConn *conn, const char *user_id, const CsUserPatch *patch,
                      gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (user_id != NULL && patch != NULL, NULL);
  return BACKEND (conn)->user_update (conn, user_id, patch, now, error);
}

/* Public API: sessions */

gboolean
cs_store_session_create (CsStoreConn *conn, const char *session_id, const char *user_id,
                         const char *access_hash, gint64 access_expires,
                         const char *refresh_hash, gint64 refresh_expires,
                         gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (session_id != NULL && user_id != NULL, FALSE);
  g_return_val_if_fail (access_hash != NULL && refresh_hash != NULL, FALSE);
  return BACKEND (conn)->session_create (conn, session_id, user_id, access_hash, access_expires,
                                         refresh_hash, refresh_expires, now, error);
}

gboolean
cs_store_session_lookup (CsStoreConn *conn, const char *access_hash, gint64 now,
                         CsSessionInfo *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (access_hash != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  return BACKEND (conn)->session_lookup (conn, access_hash, now, out, error);
}

gboolean
cs_store_session_refresh (CsStoreConn *conn, const char *refresh_hash, gint64 now,
                          const char *new_access_hash, gint64 access_expires,
                          const char *new_refresh_hash, gint64 refresh_expires,
                          CsRefreshResult *result, CsSessionInfo *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (refresh_hash != NULL, FALSE);
  g_return_val_if_fail (new_access_hash != NULL && new_refresh_hash != NULL, FALSE);
  g_return_val_if_fail (result != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  *result = CS_REFRESH_UNKNOWN;
  return BACKEND (conn)->session_refresh (conn, refresh_hash, now, new_access_hash, access_expires,
                                          new_refresh_hash, refresh_expires, result, out, error);
}

gboolean
cs_store_session_revoke (CsStoreConn *conn, const char *session_id, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (session_id != NULL, FALSE);
  return BACKEND (conn)->session_revoke (conn, session_id, now, error);
}

/* Public API: rate limits */

gboolean
cs_store_rate_limit_hit (CsStoreConn *conn, const char *key, gint64 now, gint64 window,
                         gint64 limit, gboolean *allowed, gint64 *retry_after, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (key != NULL && allowed != NULL && retry_after != NULL, FALSE);
  g_return_val_if_fail (window > 0, FALSE);
  *allowed = TRUE;
  *retry_after = 0;
  return BACKEND (conn)->rate_limit_hit (conn, key, now, window, limit, allowed, retry_after, error);
}

gboolean
cs_store_rate_limit_peek (CsStoreConn *conn, const char *key, gint64 now, gint64 window,
                          gint64 limit, gboolean *allowed, gint64 *retry_after, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (key != NULL && allowed != NULL && retry_after != NULL, FALSE);
  g_return_val_if_fail (window > 0, FALSE);
  *allowed = TRUE;
  *retry_after = 0;
  return BACKEND (conn)->rate_limit_peek (conn, key, now, window, limit, allowed, retry_after, error);
}

gboolean
cs_store_rate_limit_clear (CsStoreConn *conn, const char *key, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  return BACKEND (conn)->rate_limit_clear (conn, key, error);
}

/* Public API: categories, campaigns, tiers */

GPtrArray *
cs_store_categories (CsStoreConn *conn, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->categories (conn, error);
}

CsCampaign *
cs_store_campaign_insert (CsStoreConn *conn, const CsCampaign *campaign, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (campaign != NULL && campaign->id != NULL && campaign->creator_id != NULL,
                        NULL);
  return BACKEND (conn)->campaign_insert (conn, campaign, error);
}

CsCampaign *
cs_store_campaign_get (CsStoreConn *conn, const char *campaign_id, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (campaign_id != NULL, NULL);
  return BACKEND (conn)->campaign_get (conn, campaign_id, error);
}

gboolean
cs_store_campaign_version (CsStoreConn *conn, const char *campaign_id, CsCampaignVersion *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (campaign_id != NULL && out != NULL, FALSE);
  return BACKEND (conn)->campaign_version (conn, campaign_id, out, error);
}

CsCampaign *
cs_store_campaign_update (CsStoreConn *conn, const char *campaign_id,
                          const CsCampaignInput *patch, CsCampaignStatusSet allowed,
                          gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (campaign_id != NULL && patch != NULL, NULL);
  return BACKEND (conn)->campaign_update (conn, campaign_id, patch, allowed, now, error);
}

CsCampaign *
cs_store_campaign_transition (CsStoreConn *conn, const char *campaign_id, CsCampaignEvent event,
                              const char *actor_id, const char *reason, gint64 now,
                              GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (campaign_id != NULL, NULL);
  g_return_val_if_fail ((guint) event < CS_CAMPAIGN_N_EVENTS, NULL);
  return BACKEND (conn)->campaign_transition (conn, campaign_id, event, actor_id, reason, now, error);
}

CsCampaign *
cs_store_campaign_set_image (CsStoreConn *conn, const char *campaign_id, const char *image_url,
                             CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (campaign_id != NULL, NULL);
  return BACKEND (conn)->campaign_set_image (conn, campaign_id, image_url, allowed, now, error);
}

gboolean
cs_store_campaign_list (CsStoreConn *conn, const CsCampaignQuery *query, CsCampaignPage *out,
                        GError **error)
{
  CsCampaignQuery q;

  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (query != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);

  q = *query;
  q.limit = clamp_limit (q.limit);
  if ((guint) q.sort > CS_SORT_RELEVANCE)
    q.sort = CS_SORT_TRENDING;
  if (q.q != NULL && *q.q == '\0')
    q.q = NULL;
  /* Relevance needs words to rank by; without q it falls back to trending
   * (so a search field that was cleared still lists something). */
  if (q.sort == CS_SORT_RELEVANCE && q.q == NULL)
    q.sort = CS_SORT_TRENDING;
  if (q.cursor != NULL && *q.cursor == '\0')
    q.cursor = NULL;
  return BACKEND (conn)->campaign_list (conn, &q, out, error);
}

CsRewardTier *
cs_store_tier_insert (CsStoreConn *conn, const char *campaign_id, const CsRewardTier *tier,
                      CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (campaign_id != NULL && tier != NULL && tier->id != NULL, NULL);
  return BACKEND (conn)->tier_insert (conn, campaign_id, tier, allowed, now, error);
}

CsRewardTier *
cs_store_tier_update (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                      const CsRewardTierInput *patch, CsCampaignStatusSet allowed,
                      gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (campaign_id != NULL && tier_id != NULL && patch != NULL, NULL);
  return BACKEND (conn)->tier_update (conn, campaign_id, tier_id, patch, allowed, now, error);
}

gboolean
cs_store_tier_delete (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                      CsCampaignStatusSet allowed, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (campaign_id != NULL && tier_id != NULL, FALSE);
  return BACKEND (conn)->tier_delete (conn, campaign_id, tier_id, allowed, now, error);
}

/* Public API: updates */

CsUpdate *
cs_store_update_insert (CsStoreConn *conn, const CsUpdate *update, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (update != NULL && update->id != NULL && update->campaign_id != NULL &&
                        update->author_id != NULL, NULL);
  return BACKEND (conn)->update_insert (conn, update, error);
}

GPtrArray *
cs_store_update_list (CsStoreConn *conn, const char *campaign_id, const char *cursor,
                      guint limit, char **next_cursor, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (campaign_id != NULL && next_cursor != NULL, NULL);
  *next_cursor = NULL;
  if (cursor != NULL && *cursor == '\0')
    cursor = NULL;
  return BACKEND (conn)->update_list (conn, campaign_id, cursor, clamp_limit (limit), next_cursor,
                                      error);
}

gboolean
cs_store_is_backer (CsStoreConn *conn, const char *campaign_id, const char *user_id,
                    gboolean *is_backer, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (campaign_id != NULL && is_backer != NULL, FALSE);
  *is_backer = FALSE;
  if (user_id == NULL)
    return TRUE;
  return BACKEND (conn)->is_backer (conn, campaign_id, user_id, is_backer, error);
}

/* Public API: dashboard, sync, jobs */

gboolean
cs_store_dashboard (CsStoreConn *conn, const char *user_id, CsDashboard *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (user_id != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  return BACKEND (conn)->dashboard (conn, user_id, out, error);
}

gboolean
cs_store_sync (CsStoreConn *conn, const char *since, const char *viewer_id,
               gboolean viewer_is_staff, guint limit, CsSyncPage *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  if (since != NULL && *since == '\0')
    since = NULL;
  return BACKEND (conn)->sync (conn, since, viewer_id, viewer_is_staff, clamp_limit (limit), out,
                               error);
}

gboolean
cs_store_purge_expired (CsStoreConn *conn, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->purge_expired (conn, now, error);
}

gboolean
cs_store_refresh_trending (CsStoreConn *conn, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->refresh_trending (conn, now, error);
}

GPtrArray *
cs_store_audit_list (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor,
                     GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (next_cursor != NULL, NULL);
  *next_cursor = NULL;
  if (cursor != NULL && *cursor == '\0')
    cursor = NULL;
  return BACKEND (conn)->audit_list (conn, cursor, clamp_limit (limit), next_cursor, error);
}

/* ---- cs-store-money.h: plain dispatch (the backends check their inputs) ---- */

gboolean
cs_store_pledge_create (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now, CsPledge **out, CsReplay *replay, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->pledge_create (conn, in, idem, now, out, replay, error);
}

CsPledge  *
cs_store_pledge_get (CsStoreConn *conn, const char *pledge_id, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->pledge_get (conn, pledge_id, error);
}

GPtrArray *
cs_store_pledge_list_for_backer (CsStoreConn *conn, const char *backer_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->pledge_list_for_backer (conn, backer_id, cursor, limit, next_cursor, error);
}

GPtrArray *
cs_store_pledge_list_for_campaign (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->pledge_list_for_campaign (conn, campaign_id, cursor, limit, next_cursor, error);
}

CsPledge  *
cs_store_pledge_change (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress, GError **error)
{
  CsPledge *pledge;

  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (pledge_id != NULL && backer_id != NULL && change != NULL && progress != NULL, NULL);
  memset (progress, 0, sizeof *progress);
  if (change->has_amount && change->amount <= 0)
    {
      set_invalid_field (error, "amount", "must be positive", "The amount must be positive.");
      return NULL;
    }
  pledge = BACKEND (conn)->pledge_change (conn, pledge_id, backer_id, change, now, progress, error);
  if (pledge == NULL)
    memset (progress, 0, sizeof *progress);   /* nothing changed */
  return pledge;
}

CsPledge  *
cs_store_pledge_cancel (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const char *job_id, gint64 now, CsCampaignProgress *progress, GError **error)
{
  CsPledge *pledge;

  g_return_val_if_fail (conn != NULL, NULL);
  g_return_val_if_fail (pledge_id != NULL && backer_id != NULL && progress != NULL, NULL);
  memset (progress, 0, sizeof *progress);
  pledge = BACKEND (conn)->pledge_cancel (conn, pledge_id, backer_id, job_id, now, progress, error);
  if (pledge == NULL)
    memset (progress, 0, sizeof *progress);   /* nothing changed */
  return pledge;
}

GPtrArray *
cs_store_payment_jobs_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->payment_jobs_claim (conn, worker, now, lease, max, error);
}

gboolean
cs_store_payment_job_done (CsStoreConn *conn, const char *job_id, const char *gateway_ref, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->payment_job_done (conn, job_id, gateway_ref, now, error);
}

gboolean
cs_store_payment_job_retry (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at, const char *last_error, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->payment_job_retry (conn, job_id, next_attempt_at, last_error, error);
}

gboolean
cs_store_payment_jobs_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->payment_jobs_count (conn, count, error);
}

gboolean
cs_store_payment_event_apply (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now, gboolean *duplicate, CsCampaignProgress *progress, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->payment_event_apply (conn, event, now, duplicate, progress, error);
}

gboolean
cs_store_settle_due (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->settle_due (conn, now, max, settled, error);
}

gboolean
cs_store_expire_capture_failed (CsStoreConn *conn, gint64 now, GPtrArray *progress, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->expire_capture_failed (conn, now, progress, error);
}

gboolean
cs_store_campaign_balance (CsStoreConn *conn, const char *campaign_id, CsBalance *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->campaign_balance (conn, campaign_id, out, error);
}

gboolean
cs_store_withdrawal_create (CsStoreConn *conn, const CsWithdrawalCreate *in, const CsIdempotency *idem, gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->withdrawal_create (conn, in, idem, now, out, replay, error);
}

GPtrArray *
cs_store_withdrawal_list (CsStoreConn *conn, const char *creator_id, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->withdrawal_list (conn, creator_id, cursor, limit, next_cursor, error);
}

gboolean
cs_store_check_books (CsStoreConn *conn, GPtrArray *violations, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->check_books (conn, violations, error);
}

gboolean
cs_store_fee_settings_get (CsStoreConn *conn, CsFeeSettings *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->fee_settings_get (conn, out, error);
}

gboolean
cs_store_fee_settings_put (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->fee_settings_put (conn, fees, actor_id, now, error);
}

gboolean
cs_store_setting_get_int (CsStoreConn *conn, const char *key, gint64 def, gint64 *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->setting_get_int (conn, key, def, out, error);
}

gboolean
cs_store_setting_set_int (CsStoreConn *conn, const char *key, gint64 value, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->setting_set_int (conn, key, value, error);
}

CsKycCheck *
cs_store_kyc_submit (CsStoreConn *conn, const CsKycCheck *check, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->kyc_submit (conn, check, now, error);
}

CsKycCheck *
cs_store_kyc_latest (CsStoreConn *conn, const char *user_id, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->kyc_latest (conn, user_id, error);
}

gboolean
cs_store_user_kyc_status (CsStoreConn *conn, const char *user_id, CsKycStatus *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->user_kyc_status (conn, user_id, out, error);
}

CsKycCheck *
cs_store_kyc_decide (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason, const char *moderator_id, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  /* The rules of a decision, the same on every backend. */
  if (moderator_id == NULL &&
      decision != CS_KYC_VERIFIED && decision != CS_KYC_REJECTED && decision != CS_KYC_REVIEW)
    {
      set_invalid_field (error, "decision", "must be verified, rejected or review",
                         "The provider's decision is not valid.");
      return NULL;
    }
  if (moderator_id != NULL && decision != CS_KYC_VERIFIED && decision != CS_KYC_REJECTED)
    {
      set_invalid_field (error, "decision", "must be verified or rejected", "The decision is not valid.");
      return NULL;
    }
  if (moderator_id != NULL && (reason == NULL || *reason == '\0'))
    {
      set_invalid_field (error, "reason", "is required", "A moderator's decision needs a reason.");
      return NULL;
    }
  return BACKEND (conn)->kyc_decide (conn, kyc_id, decision, reason, moderator_id, now, error);
}

GPtrArray  *
cs_store_kyc_queue (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->kyc_queue (conn, cursor, limit, next_cursor, error);
}

gboolean
cs_store_sandbox_pm_insert (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->sandbox_pm_insert (conn, pm, error);
}

gboolean
cs_store_sandbox_pm_get (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->sandbox_pm_get (conn, pm_id, out, error);
}

gboolean
cs_store_sandbox_charge_get (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->sandbox_charge_get (conn, charge_id, out, error);
}

gboolean
cs_store_sandbox_record (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge, const CsOutboxMessage *event, gint64 now, gboolean *replayed, char **charge_id_out, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->sandbox_record (conn, op_key, charge, event, now, replayed, charge_id_out, error);
}

GPtrArray *
cs_store_outbox_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return BACKEND (conn)->outbox_claim (conn, worker, now, lease, max, error);
}

gboolean
cs_store_outbox_delivered (CsStoreConn *conn, const char *message_id, gint64 now, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->outbox_delivered (conn, message_id, now, error);
}

gboolean
cs_store_outbox_retry (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at, const char *last_error, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->outbox_retry (conn, message_id, next_attempt_at, last_error, error);
}

gboolean
cs_store_outbox_count (CsStoreConn *conn, gint64 *count, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->outbox_count (conn, count, error);
}

gboolean
cs_store_webhook_seen (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  return BACKEND (conn)->webhook_seen (conn, event_id, now, is_new, error);
}

/* ---- cs-store-money.h: shared value types ---- */

void
cs_replay_clear (CsReplay *replay)
{
  g_clear_pointer (&replay->body, g_bytes_unref);
  replay->replayed = FALSE;
  replay->status = 0;
}

static const char * const payment_job_kinds[] = {
  [CS_PAYMENT_JOB_AUTHORIZE] = "authorize",
  [CS_PAYMENT_JOB_CAPTURE]   = "capture",
  [CS_PAYMENT_JOB_VOID]      = "void",
  [CS_PAYMENT_JOB_CHARGE]    = "charge",
  [CS_PAYMENT_JOB_REFUND]    = "refund",
  [CS_PAYMENT_JOB_PAYOUT]    = "payout",
};

const char *
cs_payment_job_kind_to_string (CsPaymentJobKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (payment_job_kinds), NULL);
  return payment_job_kinds[kind];
}

void
cs_payment_job_free (CsPaymentJob *job)
{
  if (job == NULL)
    return;
  g_free (job->id);
  g_free (job->pledge_id);
  g_free (job->withdrawal_id);
  g_free (job->charge_id);
  g_free (job->payment_method_id);
  g_free (job);
}

static const char * const payment_event_types[] = {
  [CS_PAYMENT_EVENT_AUTHORIZED]           = "charge.authorized",
  [CS_PAYMENT_EVENT_AUTHORIZATION_FAILED] = "charge.authorization_failed",
  [CS_PAYMENT_EVENT_CAPTURED]             = "charge.captured",
  [CS_PAYMENT_EVENT_CAPTURE_FAILED]       = "charge.capture_failed",
  [CS_PAYMENT_EVENT_VOIDED]               = "charge.voided",
  [CS_PAYMENT_EVENT_REFUNDED]             = "charge.refunded",
  [CS_PAYMENT_EVENT_PAYOUT_PAID]          = "payout.paid",
  [CS_PAYMENT_EVENT_PAYOUT_FAILED]        = "payout.failed",
};

const char *
cs_payment_event_type_to_string (CsPaymentEventType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (payment_event_types), NULL);
  return payment_event_types[type];
}

gboolean
cs_payment_event_type_from_string (const char *text, CsPaymentEventType *out)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (payment_event_types); i++)
    if (strcmp (text, payment_event_types[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

void
cs_outbox_message_free (CsOutboxMessage *m)
{
  if (m == NULL)
    return;
  g_free (m->id);
  g_free (m->endpoint);
  g_free (m->event_id);
  g_free (m->body);
  g_free (m);
}

gboolean
cs_store_checkpoint (CsStoreConn *conn, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  if (BACKEND (conn)->checkpoint == NULL)
    return TRUE;
  return BACKEND (conn)->checkpoint (conn, error);
}
