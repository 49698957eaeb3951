/* cs-store-private.h: what a store backend implements, and the helpers that
 * every backend shares.  Only store/ includes this header.
 *
 * A backend is one constant CsStoreBackend.  Its open() allocates its own
 * store struct, whose first member is a CsStore, and its connect() its own
 * connection struct, whose first member is a CsStoreConn; the public
 * functions in cs-store.c check their arguments and dispatch through
 * store->backend.  Adding PostgreSQL means one more CsStoreBackend (and one
 * more URL scheme in cs_store_open()); callers do not change.
 */
#pragma once

#include "cs-store.h"

G_BEGIN_DECLS

typedef struct _CsStoreBackend CsStoreBackend;

struct _CsStore {
  const CsStoreBackend *backend;
  char                 *url;      /* as given to cs_store_open(); may hold a password: never log it */
  int                   schema_version;  /* after migration */
  /* ...backend data follows in the backend's struct */
};

struct _CsStoreConn {
  CsStore              *store;    /* borrowed: the store should outlive its connections */
  const CsStoreBackend *backend;  /* = store->backend, so that freeing needs no store */
  /* ...backend data follows */
};

struct _CsStoreBackend {
  const char *kind;               /* "sqlite", "postgresql" */

  /* Lifecycle.  open() gets the backend-specific @location parsed from @url
   * (a file path for SQLite), allocates its store (fills every CsStore
   * member except url), migrates the schema and returns it. */
  CsStore     *(*open)             (const char *url, const char *location, GError **error);
  /* Frees the backend's data and the struct itself (url is freed by the caller). */
  void         (*free)             (CsStore *store);
  CsStoreConn *(*connect)          (CsStore *store, GError **error);
  void         (*conn_free)        (CsStoreConn *conn);
  int          (*schema_version)   (CsStoreConn *conn);
  gboolean     (*ping)             (CsStoreConn *conn, GError **error);
  /* NULL: always usable. */
  gboolean     (*conn_is_usable)   (CsStoreConn *conn);

  /* One entry per operation of cs-store.h, same signature.  cs-store.c has
   * already checked pointers, clamped limits and cleared the outputs. */
  gboolean   (*user_insert)        (CsStoreConn *conn, const CsUser *user, const char *password_hash,
                                    GError **error);
  CsUser    *(*user_get)           (CsStoreConn *conn, const char *user_id, GError **error);
  CsUser    *(*user_get_by_login)  (CsStoreConn *conn, const char *login, char **password_hash_out,
                                    GError **error);
  CsUser    *(*user_update)        (CsStoreConn *conn, const char *user_id, const CsUserPatch *patch,
                                    gint64 now, GError **error);

  gboolean   (*session_create)     (CsStoreConn *conn, const char *session_id, const char *user_id,
                                    const char *access_hash, gint64 access_expires,
                                    const char *refresh_hash, gint64 refresh_expires,
                                    gint64 now, GError **error);
  gboolean   (*session_lookup)     (CsStoreConn *conn, const char *access_hash, gint64 now,
                                    CsSessionInfo *out, GError **error);
  gboolean   (*session_refresh)    (CsStoreConn *conn, const char *refresh_hash, gint64 now,
                                    const char *new_access_hash, gint64 access_expires,
                                    const char *new_refresh_hash, gint64 refresh_expires,
                                    CsRefreshResult *result, CsSessionInfo *out, GError **error);
  gboolean   (*session_revoke)     (CsStoreConn *conn, const char *session_id, gint64 now,
                                    GError **error);

  gboolean   (*rate_limit_hit)     (CsStoreConn *conn, const char *key, gint64 now, gint64 window,
                                    gint64 limit, gboolean *allowed, gint64 *retry_after,
                                    GError **error);
  gboolean   (*rate_limit_peek)    (CsStoreConn *conn, const char *key, gint64 now, gint64 window,
                                    gint64 limit, gboolean *allowed, gint64 *retry_after,
                                    GError **error);
  gboolean   (*rate_limit_clear)   (CsStoreConn *conn, const char *key, GError **error);

  GPtrArray *(*categories)         (CsStoreConn *conn, GError **error);

  CsCampaign *(*campaign_insert)   (CsStoreConn *conn, const CsCampaign *campaign, GError **error);
  CsCampaign *(*campaign_get)      (CsStoreConn *conn, const char *campaign_id, GError **error);
  gboolean    (*campaign_version)  (CsStoreConn *conn, const char *campaign_id, CsCampaignVersion *out,
                                    GError **error);
  CsCampaign *(*campaign_update)   (CsStoreConn *conn, const char *campaign_id,
                                    const CsCampaignInput *patch, CsCampaignStatusSet allowed,
                                    gint64 now, GError **error);
  CsCampaign *(*campaign_transition) (CsStoreConn *conn, const char *campaign_id,
                                      CsCampaignEvent event, const char *actor_id,
                                      const char *reason, gint64 now, GError **error);
  CsCampaign *(*campaign_set_image) (CsStoreConn *conn, const char *campaign_id, const char *image_url,
                                     CsCampaignStatusSet allowed, gint64 now, GError **error);
  gboolean   (*campaign_list)      (CsStoreConn *conn, const CsCampaignQuery *query,
                                    CsCampaignPage *out, GError **error);

  CsRewardTier *(*tier_insert)     (CsStoreConn *conn, const char *campaign_id, const CsRewardTier *tier,
                                    CsCampaignStatusSet allowed, gint64 now, GError **error);
  CsRewardTier *(*tier_update)     (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                                    const CsRewardTierInput *patch, CsCampaignStatusSet allowed,
                                    gint64 now, GError **error);
  gboolean   (*tier_delete)        (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                                    CsCampaignStatusSet allowed, gint64 now, GError **error);

  CsUpdate  *(*update_insert)      (CsStoreConn *conn, const CsUpdate *update, GError **error);
  GPtrArray *(*update_list)        (CsStoreConn *conn, const char *campaign_id, const char *cursor,
                                    guint limit, char **next_cursor, GError **error);
  gboolean   (*is_backer)          (CsStoreConn *conn, const char *campaign_id, const char *user_id,
                                    gboolean *is_backer, GError **error);

  gboolean   (*dashboard)          (CsStoreConn *conn, const char *user_id, CsDashboard *out,
                                    GError **error);
  gboolean   (*sync)               (CsStoreConn *conn, const char *since, const char *viewer_id,
                                    gboolean viewer_is_staff, guint limit, CsSyncPage *out,
                                    GError **error);

  gboolean   (*refresh_trending)   (CsStoreConn *conn, gint64 now, GError **error);
  gboolean   (*checkpoint)         (CsStoreConn *conn, GError **error);
  gboolean    (*purge_expired)     (CsStoreConn *conn, gint64 now, GError **error);
  GPtrArray *(*audit_list)         (CsStoreConn *conn, const char *cursor, guint limit,
                                    char **next_cursor, GError **error);

  /* cs-store-money.h */
  gboolean (*pledge_create) (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now, CsPledge **out, CsReplay *replay, GError **error);
  CsPledge  * (*pledge_get) (CsStoreConn *conn, const char *pledge_id, GError **error);
  GPtrArray * (*pledge_list_for_backer) (CsStoreConn *conn, const char *backer_id, const char *cursor, guint limit, char **next_cursor, GError **error);
  GPtrArray * (*pledge_list_for_campaign) (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit, char **next_cursor, GError **error);
  CsPledge  * (*pledge_change) (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress, GError **error);
  CsPledge  * (*pledge_cancel) (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const char *job_id, gint64 now, CsCampaignProgress *progress, GError **error);
  GPtrArray * (*payment_jobs_claim) (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error);
  gboolean (*payment_job_done) (CsStoreConn *conn, const char *job_id, const char *gateway_ref, gint64 now, GError **error);
  gboolean (*payment_job_retry) (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at, const char *last_error, GError **error);
  gboolean (*payment_jobs_count) (CsStoreConn *conn, gint64 *count, GError **error);
  gboolean (*payment_event_apply) (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now, gboolean *duplicate, CsCampaignProgress *progress, GError **error);
  gboolean (*settle_due) (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled, GError **error);
  gboolean (*expire_capture_failed) (CsStoreConn *conn, gint64 now, GPtrArray *progress, GError **error);
  gboolean (*campaign_balance) (CsStoreConn *conn, const char *campaign_id, CsBalance *out, GError **error);
  gboolean (*withdrawal_create) (CsStoreConn *conn, const CsWithdrawalCreate *in, const CsIdempotency *idem, gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error);
  GPtrArray * (*withdrawal_list) (CsStoreConn *conn, const char *creator_id, const char *cursor, guint limit, char **next_cursor, GError **error);
  gboolean (*check_books) (CsStoreConn *conn, GPtrArray *violations, GError **error);
  gboolean (*fee_settings_get) (CsStoreConn *conn, CsFeeSettings *out, GError **error);
  gboolean (*fee_settings_put) (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id, gint64 now, GError **error);
  gboolean (*setting_get_int) (CsStoreConn *conn, const char *key, gint64 def, gint64 *out, GError **error);
  gboolean (*setting_set_int) (CsStoreConn *conn, const char *key, gint64 value, GError **error);
  CsKycCheck * (*kyc_submit) (CsStoreConn *conn, const CsKycCheck *check, gint64 now, GError **error);
  CsKycCheck * (*kyc_latest) (CsStoreConn *conn, const char *user_id, GError **error);
  gboolean (*user_kyc_status) (CsStoreConn *conn, const char *user_id, CsKycStatus *out, GError **error);
  CsKycCheck * (*kyc_decide) (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason, const char *moderator_id, gint64 now, GError **error);
  GPtrArray  * (*kyc_queue) (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error);
  gboolean (*sandbox_pm_insert) (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error);
  gboolean (*sandbox_pm_get) (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out, GError **error);
  gboolean (*sandbox_charge_get) (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out, GError **error);
  gboolean (*sandbox_record) (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge, const CsOutboxMessage *event, gint64 now, gboolean *replayed, char **charge_id_out, GError **error);
  GPtrArray * (*outbox_claim) (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error);
  gboolean (*outbox_delivered) (CsStoreConn *conn, const char *message_id, gint64 now, GError **error);
  gboolean (*outbox_retry) (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at, const char *last_error, GError **error);
  gboolean (*outbox_count) (CsStoreConn *conn, gint64 *count, GError **error);
  gboolean (*webhook_seen) (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new, GError **error);
};

extern const CsStoreBackend cs_store_sqlite_backend;
#ifdef HAVE_POSTGRESQL
extern const CsStoreBackend cs_store_pg_backend;
#endif

/* ---- Shared helpers (cs-store.c) ------------------------------------------ */

#define CS_STORE_DEFAULT_LIMIT 20
#define CS_STORE_MAX_LIMIT     100

/* Opaque page cursors: base64url of "tag|k1|k2|…[|text]".  @tag names the
 * list and its order (e.g. the sort name) so a cursor of another list or sort
 * does not decode.  @text (may be NULL) is a trailing string key without '|'. */
char     *cs_store_cursor_encode      (const char *tag, const gint64 *keys, guint n_keys,
                                       const char *text);
/* FALSE if @cursor is not a cursor of @tag with exactly @n_keys integers
 * (and a text key when @text_out is not NULL, returned in *text_out). */
gboolean  cs_store_cursor_decode      (const char *cursor, const char *tag, gint64 *keys,
                                       guint n_keys, char **text_out);
/* Sets CS_ERROR_INVALID with the field error @field: "is not a valid cursor". */
void      cs_store_set_cursor_error   (GError **error, const char *field);

/* Sync cursors: a change sequence value, "s" + decimal. */
char     *cs_store_sync_cursor_encode (gint64 seq);
gboolean  cs_store_sync_cursor_decode (const char *since, gint64 *seq_out);

/* The words of a search typed by a person: NFC-normalised runs of letters,
 * digits and combining marks, everything else dropped; at most @max_words,
 * each at most 64 characters.  NULL if there is no word.  Each backend
 * builds its own safe query syntax from them. */
char    **cs_store_search_words       (const char *q, guint max_words);

/* Human status name for conflict details: "pending review" for pending_review. */
const char *cs_store_status_label     (CsCampaignStatus status);

G_END_DECLS
