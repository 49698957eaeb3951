/* cs-store-pg-private.h: what the files of the PostgreSQL backend share.
 *
 * cs-store-pg.c holds the connection, the migrations and the helpers below;
 * cs-store-pg-platform.c (accounts, sessions, rate limits, campaigns, lists
 * and search, rewards, updates, dashboard, sync, audit),
 * cs-store-pg-money.c (pledges, payments, ledger, settlement, withdrawals)
 * and cs-store-pg-trust.c (identity checks, fees, settings, the sandbox
 * processor's records, webhook outbox) implement the operations, named
 * pg_<operation>, with the same behaviour as their SQLite twins.
 *
 * Every connection is a blocking libpq connection owned by one thread at a
 * time (a worker's pooled connection, or the jobs thread's): the server
 * never calls a PostgreSQL store from an event loop (cs_store_is_inline()).
 *
 * Statements: keep each SQL text in a `static const char NAME[]` and run it
 * with pg_query (c, NAME, args, error), which prepares it once per
 * connection (cached by the constant's address) and executes it with text
 * parameters:
 *
 *   g_autoptr(PgArgs) a = pg_args_new ();
 *   pg_arg_text (a, pledge_id);
 *   pg_arg_int (a, now);
 *   g_autoptr(PGresult) r = pg_query (c, SQL_PLEDGE_GET, a, error);
 *   if (r == NULL) return NULL;
 *   if (PQntuples (r) == 0) { pg_set_not_found (error, "Pledge"); return NULL; }
 *   pledge->amount = pg_col_int (r, 0, 3);
 *
 * Transactions run at READ COMMITTED.  A check that must hold until commit
 * takes its row lock first (SELECT … FOR UPDATE), always in the order
 * campaign → reward tier → pledge → other rows, so that two transactions
 * never wait on each other in a cycle; claims use FOR UPDATE SKIP LOCKED;
 * uniqueness is decided by constraints (INSERT … ON CONFLICT).  After any
 * failed statement the transaction is aborted: pg_txn_end (c, FALSE, …)
 * rolls it back.
 */
#pragma once

#include <libpq-fe.h>
#include "cs-store-private.h"

G_BEGIN_DECLS

typedef struct {
  CsStoreConn  parent;
  PGconn      *pg;
  GHashTable  *prepared;       /* SQL text's address → statement name (char *) */
  GHashTable  *shapes;         /* SQL text (dynamic) → statement name (char *) */
  guint        n_prepared;
  gboolean     in_txn;
  char         sqlstate[6];    /* of the last failed statement, "" if none */
  char        *constraint;     /* its constraint name, if any */
} CsPgConn;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* Text parameters of one statement.  NULL text is SQL NULL. */
typedef struct {
  GPtrArray *values;    /* const char * (owned copies when added by pg_arg_int/_dup) */
  GPtrArray *owned;
} PgArgs;

PgArgs     *pg_args_new        (void);
void        pg_args_free       (PgArgs *args);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PgArgs, pg_args_free)
/* Borrowed: @value must outlive the query. */
void        pg_arg_text        (PgArgs *args, const char *value);
void        pg_arg_int         (PgArgs *args, gint64 value);
void        pg_arg_bool        (PgArgs *args, gboolean value);
/* An int or SQL NULL. */
void        pg_arg_int_or_null (PgArgs *args, gboolean is_null, gint64 value);

/* Runs a statement whose text is a static constant (prepared once per
 * connection).  Returns the result (rows or none), or NULL with @error set
 * as pg_fail() maps it. */
PGresult   *pg_query           (CsPgConn *c, const char *sql, PgArgs *args, GError **error);
/* The same for a text built at run time from a bounded set of shapes (e.g.
 * the campaign list): prepared once per distinct text. */
PGresult   *pg_query_shape     (CsPgConn *c, const char *sql, PgArgs *args, GError **error);
/* Runs SQL without parameters (no result expected), e.g. "SAVEPOINT a". */
gboolean    pg_exec            (CsPgConn *c, const char *sql, GError **error);

/* Maps a failed result: unique violation (23505) → CONFLICT "… already
 * exists"; foreign key (23503) → NOT_FOUND; check / not null (23514, 23502,
 * 22xxx) → INVALID; lock, deadlock, serialization, connection and shutdown
 * errors → UNAVAILABLE; raise_exception (P0001, our triggers) → INVALID with
 * its message; else logged and INTERNAL.  Records c->sqlstate and
 * c->constraint.  Always returns FALSE. */
gboolean    pg_fail            (CsPgConn *c, const PGresult *res, GError **error);
/* TRUE if the last failure was a unique violation of @constraint (NULL: any). */
gboolean    pg_failed_unique   (CsPgConn *c, const char *constraint);
void        pg_set_not_found   (GError **error, const char *what);

/* Cells.  Row @row, column @col.  NULL cells: pg_col_dup → NULL, pg_col_int → 0. */
static inline gboolean
pg_col_null (const PGresult *r, int row, int col)
{
  return PQgetisnull (r, row, col);
}

static inline const char *
pg_col_text (const PGresult *r, int row, int col)
{
  return PQgetisnull (r, row, col) ? NULL : PQgetvalue (r, row, col);
}

static inline char *
pg_col_dup (const PGresult *r, int row, int col)
{
  return PQgetisnull (r, row, col) ? NULL : g_strdup (PQgetvalue (r, row, col));
}

gint64      pg_col_int         (const PGresult *r, int row, int col);
/* "t" / "f" */
gboolean    pg_col_bool        (const PGresult *r, int row, int col);

/* BEGIN (READ COMMITTED; @write is informative: both kinds may write). */
gboolean    pg_txn_begin       (CsPgConn *c, gboolean write, GError **error);
/* Commits if @ok, else rolls back; returns whether it committed. */
gboolean    pg_txn_end         (CsPgConn *c, gboolean ok, GError **error);
/* pg_txn_end() for a transaction that produced @result (NULL if it failed). */
gpointer    pg_txn_end_with    (CsPgConn *c, gpointer result, GDestroyNotify free_func, GError **error);

/* The next change sequence value (inside a write transaction): the
 * change_counter row stays locked until commit, so values are handed out in
 * commit order and /sync never skips a change. */
gboolean    pg_bump_seq        (CsPgConn *c, gint64 *seq, GError **error);

/* Shared between the operation files (cs-store-pg-platform.c): */
/* A campaign with its rewards and creator summary, NOT_FOUND if absent. */
CsCampaign *pg_load_campaign   (CsPgConn *c, const char *campaign_id, GError **error);
/* Appends an audit_log row (actor NULL: the system). */
gboolean    pg_audit_insert    (CsPgConn *c, const char *actor_id, const char *action,
                                const char *subject_type, const char *subject_id, const char *reason,
                                const char *detail, gint64 now, GError **error);
/* cs-store-pg-money.c: see sq_money_void_campaign(). */
gboolean    pg_money_void_campaign (CsPgConn *c, const char *campaign_id, gboolean suspended, gint64 now,
                                    GError **error);

/* ---- The operations (one per entry of CsStoreBackend) ---------------------- */

/* cs-store-pg-platform.c */
gboolean   pg_user_insert        (CsStoreConn *conn, const CsUser *user, const char *password_hash, GError **error);
CsUser    *pg_user_get           (CsStoreConn *conn, const char *user_id, GError **error);
CsUser    *pg_user_get_by_login  (CsStoreConn *conn, const char *login, char **password_hash_out, GError **error);
CsUser    *pg_user_update        (CsStoreConn *conn, const char *user_id, const CsUserPatch *patch, gint64 now, GError **error);
gboolean   pg_session_create     (CsStoreConn *conn, const char *session_id, const char *user_id,
                                  const char *access_hash, gint64 access_expires,
                                  const char *refresh_hash, gint64 refresh_expires, gint64 now, GError **error);
gboolean   pg_session_lookup     (CsStoreConn *conn, const char *access_hash, gint64 now, CsSessionInfo *out, GError **error);
gboolean   pg_session_refresh    (CsStoreConn *conn, const char *refresh_hash, gint64 now,
                                  const char *new_access_hash, gint64 access_expires,
                                  const char *new_refresh_hash, gint64 refresh_expires,
                                  CsRefreshResult *result, CsSessionInfo *out, GError **error);
gboolean   pg_session_revoke     (CsStoreConn *conn, const char *session_id, gint64 now, GError **error);
gboolean   pg_rate_limit_hit     (CsStoreConn *conn, const char *key, gint64 now, gint64 window, gint64 limit,
                                  gboolean *allowed, gint64 *retry_after, GError **error);
gboolean   pg_rate_limit_peek    (CsStoreConn *conn, const char *key, gint64 now, gint64 window, gint64 limit,
                                  gboolean *allowed, gint64 *retry_after, GError **error);
gboolean   pg_rate_limit_clear   (CsStoreConn *conn, const char *key, GError **error);
GPtrArray *pg_categories         (CsStoreConn *conn, GError **error);
CsCampaign *pg_campaign_insert   (CsStoreConn *conn, const CsCampaign *campaign, GError **error);
CsCampaign *pg_campaign_get      (CsStoreConn *conn, const char *campaign_id, GError **error);
gboolean   pg_campaign_version   (CsStoreConn *conn, const char *campaign_id, CsCampaignVersion *out, GError **error);
CsCampaign *pg_campaign_update   (CsStoreConn *conn, const char *campaign_id, const CsCampaignInput *patch,
                                  CsCampaignStatusSet allowed, gint64 now, GError **error);
CsCampaign *pg_campaign_transition (CsStoreConn *conn, const char *campaign_id, CsCampaignEvent event,
                                    const char *actor_id, const char *reason, gint64 now, GError **error);
CsCampaign *pg_campaign_set_image (CsStoreConn *conn, const char *campaign_id, const char *image_url,
                                   CsCampaignStatusSet allowed, gint64 now, GError **error);
gboolean   pg_campaign_list      (CsStoreConn *conn, const CsCampaignQuery *query, CsCampaignPage *out, GError **error);
CsRewardTier *pg_tier_insert     (CsStoreConn *conn, const char *campaign_id, const CsRewardTier *tier,
                                  CsCampaignStatusSet allowed, gint64 now, GError **error);
CsRewardTier *pg_tier_update     (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                                  const CsRewardTierInput *patch, CsCampaignStatusSet allowed, gint64 now, GError **error);
gboolean   pg_tier_delete        (CsStoreConn *conn, const char *campaign_id, const char *tier_id,
                                  CsCampaignStatusSet allowed, gint64 now, GError **error);
CsUpdate  *pg_update_insert      (CsStoreConn *conn, const CsUpdate *update, GError **error);
GPtrArray *pg_update_list        (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit,
                                  char **next_cursor, GError **error);
gboolean   pg_is_backer          (CsStoreConn *conn, const char *campaign_id, const char *user_id,
                                  gboolean *is_backer, GError **error);
gboolean   pg_dashboard          (CsStoreConn *conn, const char *user_id, CsDashboard *out, GError **error);
gboolean   pg_sync               (CsStoreConn *conn, const char *since, const char *viewer_id,
                                  gboolean viewer_is_staff, guint limit, CsSyncPage *out, GError **error);
gboolean   pg_refresh_trending   (CsStoreConn *conn, gint64 now, GError **error);
gboolean   pg_purge_expired      (CsStoreConn *conn, gint64 now, GError **error);
GPtrArray *pg_audit_list         (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error);

/* cs-store-pg-money.c */
gboolean pg_pledge_create (CsStoreConn *conn, const CsPledgeCreate *in, const CsIdempotency *idem, gint64 now, CsPledge **out, CsReplay *replay, GError **error);
CsPledge  * pg_pledge_get (CsStoreConn *conn, const char *pledge_id, GError **error);
GPtrArray * pg_pledge_list_for_backer (CsStoreConn *conn, const char *backer_id, const char *cursor, guint limit, char **next_cursor, GError **error);
GPtrArray * pg_pledge_list_for_campaign (CsStoreConn *conn, const char *campaign_id, const char *cursor, guint limit, char **next_cursor, GError **error);
CsPledge  * pg_pledge_change (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const CsPledgeChange *change, gint64 now, CsCampaignProgress *progress, GError **error);
CsPledge  * pg_pledge_cancel (CsStoreConn *conn, const char *pledge_id, const char *backer_id, const char *job_id, gint64 now, CsCampaignProgress *progress, GError **error);
GPtrArray * pg_payment_jobs_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error);
gboolean pg_payment_job_done (CsStoreConn *conn, const char *job_id, const char *gateway_ref, gint64 now, GError **error);
gboolean pg_payment_job_retry (CsStoreConn *conn, const char *job_id, gint64 next_attempt_at, const char *last_error, GError **error);
gboolean pg_payment_jobs_count (CsStoreConn *conn, gint64 *count, GError **error);
gboolean pg_payment_event_apply (CsStoreConn *conn, const CsPaymentEvent *event, gint64 now, gboolean *duplicate, CsCampaignProgress *progress, GError **error);
gboolean pg_settle_due (CsStoreConn *conn, gint64 now, guint max, GPtrArray *settled, GError **error);
gboolean pg_expire_capture_failed (CsStoreConn *conn, gint64 now, GPtrArray *progress, GError **error);
gboolean pg_campaign_balance (CsStoreConn *conn, const char *campaign_id, CsBalance *out, GError **error);
gboolean pg_withdrawal_create (CsStoreConn *conn, const CsWithdrawalCreate *in, const CsIdempotency *idem, gint64 now, CsWithdrawal **out, CsReplay *replay, GError **error);
GPtrArray * pg_withdrawal_list (CsStoreConn *conn, const char *creator_id, const char *cursor, guint limit, char **next_cursor, GError **error);
gboolean pg_check_books (CsStoreConn *conn, GPtrArray *violations, GError **error);

/* cs-store-pg-trust.c */
gboolean pg_fee_settings_get (CsStoreConn *conn, CsFeeSettings *out, GError **error);
gboolean pg_fee_settings_put (CsStoreConn *conn, const CsFeeSettings *fees, const char *actor_id, gint64 now, GError **error);
gboolean pg_setting_get_int (CsStoreConn *conn, const char *key, gint64 def, gint64 *out, GError **error);
gboolean pg_setting_set_int (CsStoreConn *conn, const char *key, gint64 value, GError **error);
CsKycCheck * pg_kyc_submit (CsStoreConn *conn, const CsKycCheck *check, gint64 now, GError **error);
CsKycCheck * pg_kyc_latest (CsStoreConn *conn, const char *user_id, GError **error);
gboolean pg_user_kyc_status (CsStoreConn *conn, const char *user_id, CsKycStatus *out, GError **error);
CsKycCheck * pg_kyc_decide (CsStoreConn *conn, const char *kyc_id, CsKycStatus decision, const char *reason, const char *moderator_id, gint64 now, GError **error);
GPtrArray  * pg_kyc_queue (CsStoreConn *conn, const char *cursor, guint limit, char **next_cursor, GError **error);
gboolean pg_sandbox_pm_insert (CsStoreConn *conn, const CsSandboxPaymentMethod *pm, GError **error);
gboolean pg_sandbox_pm_get (CsStoreConn *conn, const char *pm_id, CsSandboxPaymentMethod *out, GError **error);
gboolean pg_sandbox_charge_get (CsStoreConn *conn, const char *charge_id, CsSandboxCharge *out, GError **error);
gboolean pg_sandbox_record (CsStoreConn *conn, const char *op_key, const CsSandboxCharge *charge, const CsOutboxMessage *event, gint64 now, gboolean *replayed, char **charge_id_out, GError **error);
GPtrArray * pg_outbox_claim (CsStoreConn *conn, const char *worker, gint64 now, gint64 lease, guint max, GError **error);
gboolean pg_outbox_delivered (CsStoreConn *conn, const char *message_id, gint64 now, GError **error);
gboolean pg_outbox_retry (CsStoreConn *conn, const char *message_id, gint64 next_attempt_at, const char *last_error, GError **error);
gboolean pg_outbox_count (CsStoreConn *conn, gint64 *count, GError **error);
gboolean pg_webhook_seen (CsStoreConn *conn, const char *event_id, gint64 now, gboolean *is_new, GError **error);

G_END_DECLS
