/* cs-api-client.h: the platform API (api.md) on one SoupSession.
 *
 * Every call is asynchronous, takes a GCancellable and completes on the
 * thread-default main context of the caller.  Failures are CS_CLIENT_ERROR
 * (cs-client-error.h) or G_IO_ERROR_CANCELLED.
 *
 * Tokens: the client holds the access and refresh tokens in memory.  A call
 * made with authentication that gets a 401 refreshes once (rotating the
 * refresh token; concurrent calls share one refresh) and retries; when the
 * refresh is refused the tokens are dropped and the call fails with
 * CS_CLIENT_ERROR_AUTH.  "tokens-changed" is emitted whenever the refresh
 * token changes (login, register, rotation, logout, refusal: then NULL), so
 * the session can keep the keyring up to date.
 *
 * Writes that move money carry an Idempotency-Key; a caller that must be able
 * to repeat a write after a crash (the outbox) passes its own key.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>
#include "crowdspark-core.h"

G_BEGIN_DECLS

#define CS_TYPE_API_CLIENT (cs_api_client_get_type ())
G_DECLARE_FINAL_TYPE (CsApiClient, cs_api_client, CS, API_CLIENT, GObject)

typedef enum {
  CS_API_CALL_DEFAULT    = 0,
  CS_API_CALL_AUTH       = 1 << 0,  /* send the bearer token (required: fails with AUTH without one) */
  CS_API_CALL_AUTH_OPTIONAL = 1 << 1,  /* send it when signed in */
} CsApiCallFlags;

/* One page of GET /sync. */
typedef struct {
  char *type;          /* "campaign", "reward", "update", "pledge", ... */
  char *id;
  char *campaign_id;   /* or NULL */
  gint64 deleted_at;
} CsApiTombstone;

typedef struct {
  GPtrArray *campaigns;    /* CsCampaign*, full (with rewards) */
  GPtrArray *tombstones;   /* CsApiTombstone* */
  char      *next_cursor;
  gboolean   has_more;
} CsApiSyncPage;

/* One page of GET /campaigns. */
typedef struct {
  GPtrArray *campaigns;    /* CsCampaign* (summaries: no rewards) */
  char      *next_cursor;  /* NULL on the last page */
} CsApiCampaignPage;

typedef enum {
  CS_API_SORT_TRENDING,
  CS_API_SORT_NEWEST,
  CS_API_SORT_ENDING_SOON,
  CS_API_SORT_MOST_FUNDED,
} CsApiSort;

const char *cs_api_sort_to_string (CsApiSort sort);   /* "trending", ... */

typedef struct {
  CsApiSort sort;
  const char    *category;  /* slug or NULL */
  const char    *text;      /* full-text query or NULL */
  const char    *cursor;    /* NULL: first page */
  guint          limit;     /* 0: the server's default */
} CsApiCampaignQuery;

/* What POST /auth/login and /auth/register answer (the tokens are also taken
 * by the client). */
typedef struct {
  CsUser *user;
  char   *access_token;
  char   *refresh_token;
  gint64  expires_in;
} CsApiAuth;

void cs_api_tombstone_free (CsApiTombstone *tombstone);
void cs_api_sync_page_free      (CsApiSyncPage *page);
void cs_api_campaign_page_free  (CsApiCampaignPage *page);
void cs_api_auth_free    (CsApiAuth *result);
/* A fresh idempotency key (a random UUID). */
char *cs_api_new_idempotency_key (void);

CsApiClient *cs_api_client_new            (const char *base_url);
/* "http://127.0.0.1:8080" (no trailing slash) */
const char  *cs_api_client_get_base_url   (CsApiClient *self);
/* The shared session (the live client opens its WebSocket on it). */
SoupSession *cs_api_client_get_session    (CsApiClient *self);

/* Tokens.  set_tokens emits "tokens-changed" when the refresh token changes. */
void         cs_api_client_set_tokens     (CsApiClient *self, const char *access_token,
                                           const char *refresh_token);
gboolean     cs_api_client_has_refresh_token (CsApiClient *self);
char        *cs_api_client_dup_access_token  (CsApiClient *self);
char        *cs_api_client_dup_refresh_token (CsApiClient *self);

/* The generic call: @path is "/api/v1/…" with its query; @json_body may be
 * NULL; @idempotency_key (may be NULL) is sent as Idempotency-Key.  The
 * result is the parsed JSON body (a JSON null node for an empty one). */
void      cs_api_client_call_async   (CsApiClient *self, const char *method, const char *path,
                                      const char *json_body, CsApiCallFlags flags,
                                      const char *idempotency_key, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
JsonNode *cs_api_client_call_finish  (CsApiClient *self, GAsyncResult *result, GError **error);

/* ---- auth ---- */
void          cs_api_client_register_async (CsApiClient *self, const char *email, const char *username,
                                            const char *password, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
CsApiAuth *cs_api_client_register_finish (CsApiClient *self, GAsyncResult *result, GError **error);
/* @login: an e-mail or a username */
void          cs_api_client_login_async    (CsApiClient *self, const char *login, const char *password,
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data);
CsApiAuth *cs_api_client_login_finish   (CsApiClient *self, GAsyncResult *result, GError **error);
/* Rotates the refresh token now (also done on its own on a 401). */
void          cs_api_client_refresh_async  (CsApiClient *self, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_api_client_refresh_finish (CsApiClient *self, GAsyncResult *result, GError **error);
/* Revokes the session on the server (best effort) and drops the tokens. */
void          cs_api_client_logout_async   (CsApiClient *self, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
gboolean      cs_api_client_logout_finish  (CsApiClient *self, GAsyncResult *result, GError **error);
void          cs_api_client_get_me_async   (CsApiClient *self, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
CsUser       *cs_api_client_get_me_finish  (CsApiClient *self, GAsyncResult *result, GError **error);

/* ---- campaigns ---- */
void            cs_api_client_list_campaigns_async  (CsApiClient *self, const CsApiCampaignQuery *query,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback, gpointer user_data);
CsApiCampaignPage *cs_api_client_list_campaigns_finish (CsApiClient *self, GAsyncResult *result, GError **error);
void            cs_api_client_get_campaign_async    (CsApiClient *self, const char *campaign_id,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback, gpointer user_data);
CsCampaign     *cs_api_client_get_campaign_finish   (CsApiClient *self, GAsyncResult *result, GError **error);
/* GPtrArray of CsCategory* */
void            cs_api_client_list_categories_async  (CsApiClient *self, GCancellable *cancellable,
                                                      GAsyncReadyCallback callback, gpointer user_data);
GPtrArray      *cs_api_client_list_categories_finish (CsApiClient *self, GAsyncResult *result, GError **error);
/* GPtrArray of CsUpdate* (newest first; the first page is enough for the app) */
void            cs_api_client_list_updates_async     (CsApiClient *self, const char *campaign_id,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback, gpointer user_data);
GPtrArray      *cs_api_client_list_updates_finish    (CsApiClient *self, GAsyncResult *result, GError **error);
/* The bytes behind an image_url (absolute, or a path on the server). */
void            cs_api_client_fetch_media_async      (CsApiClient *self, const char *url,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback, gpointer user_data);
GBytes         *cs_api_client_fetch_media_finish     (CsApiClient *self, GAsyncResult *result, GError **error);

/* ---- money ---- */
/* The sandbox gateway's tokenisation (the card goes there and nowhere else;
 * it is neither logged nor kept).  Returns the payment method id "pm_…". */
void      cs_api_client_tokenize_card_async  (CsApiClient *self, const char *card_number,
                                              guint exp_month, guint exp_year, const char *cvc,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
char     *cs_api_client_tokenize_card_finish (CsApiClient *self, GAsyncResult *result, GError **error);
/* @reward_tier_id may be NULL (no reward). */
void      cs_api_client_create_pledge_async  (CsApiClient *self, const char *campaign_id, gint64 amount,
                                              const char *reward_tier_id, const char *payment_method,
                                              const char *idempotency_key, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
CsPledge *cs_api_client_create_pledge_finish (CsApiClient *self, GAsyncResult *result, GError **error);
void      cs_api_client_get_pledge_async     (CsApiClient *self, const char *pledge_id,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
CsPledge *cs_api_client_get_pledge_finish    (CsApiClient *self, GAsyncResult *result, GError **error);
/* @amount > 0; @reward_tier_id NULL keeps the tier, "" drops it. */
void      cs_api_client_change_pledge_async  (CsApiClient *self, const char *pledge_id, gint64 amount,
                                              const char *reward_tier_id, const char *idempotency_key,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
CsPledge *cs_api_client_change_pledge_finish (CsApiClient *self, GAsyncResult *result, GError **error);
void      cs_api_client_cancel_pledge_async  (CsApiClient *self, const char *pledge_id,
                                              const char *idempotency_key, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
CsPledge *cs_api_client_cancel_pledge_finish (CsApiClient *self, GAsyncResult *result, GError **error);
/* Every pledge of @user_id (all pages), newest first: GPtrArray of CsPledge*
 * (campaign_title and reward_title filled when the server sends them). */
void       cs_api_client_list_user_pledges_async  (CsApiClient *self, const char *user_id,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *cs_api_client_list_user_pledges_finish (CsApiClient *self, GAsyncResult *result, GError **error);

/* ---- sync ---- */
/* One page of GET /sync?since=@since (NULL: from the start). */
void        cs_api_client_sync_async  (CsApiClient *self, const char *since, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
CsApiSyncPage *cs_api_client_sync_finish (CsApiClient *self, GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsApiTombstone, cs_api_tombstone_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsApiSyncPage, cs_api_sync_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsApiCampaignPage, cs_api_campaign_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsApiAuth, cs_api_auth_free)

G_END_DECLS
