/* cs-test-server.h: a real crowdspark server on 127.0.0.1:0 (its own
 * threads, its own database: a SQLite file in a temp folder, or a fresh
 * PostgreSQL schema (cs-test-db.h)) and a real HTTP client
 * (SoupSession) to talk to it.  No mocks. */
#pragma once

#include <libsoup/soup.h>
#include "cs-server.h"

G_BEGIN_DECLS

typedef struct {
  char           *dir;
  CsServerConfig *config;
  CsServer       *server;
  SoupSession    *session;
  char           *base;
  gboolean        shares_database;  /* made by cs_test_server_new_sharing() */
} CsTestServer;

typedef struct {
  guint               status;
  GBytes             *body;
  JsonNode           *json;      /* when the body is JSON, else NULL */
  SoupMessageHeaders *headers;
} CsTestResponse;

/* @tweak may adjust the config before the server starts (may be NULL). */
CsTestServer   *cs_test_server_new       (void (*tweak) (CsServerConfig *config));
/* Another instance of @first's platform: the same database and media
 * folder, its own threads, port and jobs.  Free it before @first. */
CsTestServer   *cs_test_server_new_sharing (CsTestServer *first, void (*tweak) (CsServerConfig *config));
void            cs_test_server_free      (CsTestServer *ts);

/* Sends a request; @json_body may be NULL.  Extra headers as NULL-terminated
 * name, value pairs. */
CsTestResponse *cs_test_request          (CsTestServer *ts, const char *method, const char *path,
                                          const char *token, const char *json_body);
CsTestResponse *cs_test_request_full     (CsTestServer *ts, const char *method, const char *path,
                                          const char *token, const char *content_type, GBytes *body,
                                          ...) G_GNUC_NULL_TERMINATED;
void            cs_test_response_free    (CsTestResponse *resp);

JsonObject     *cs_test_object           (CsTestResponse *resp);
const char     *cs_test_string           (CsTestResponse *resp, const char *member);
gint64          cs_test_int              (CsTestResponse *resp, const char *member);
/* Asserts @resp is a problem+json with @status (and, if @field is set, a
 * field error for it). */
void            cs_test_assert_problem   (CsTestResponse *resp, guint status, const char *field);

/* Registers a backer; returns the access token, *user_id if asked. */
char           *cs_test_register         (CsTestServer *ts, const char *username, char **user_id);
/* Creates an account with @role directly in the database, signs it in over
 * HTTP and returns its access token. */
char           *cs_test_staff_token      (CsTestServer *ts, const char *username, CsRole role);
/* Creates a campaign as @token's user with one limited tier; returns its id. */
char           *cs_test_create_campaign  (CsTestServer *ts, const char *token, const char *title,
                                          const char *category);
/* submit (creator) + approve (moderator) */
void            cs_test_make_live        (CsTestServer *ts, const char *campaign_id, const char *creator_token,
                                          const char *moderator_token);

/* A live campaign of @creator_token's (made live by @moderator_token) with
 * one reward tier of @quantity (0: unlimited) at a minimum of 1000, in USD;
 * returns its id, and the tier's in *tier_id if asked. */
char           *cs_test_live_campaign    (CsTestServer *ts, const char *creator_token, const char *moderator_token,
                                          const char *title, gint64 goal, int days, int quantity, char **tier_id);

/* ---- the money path (the server runs with --sandbox) ---- */

/* The webhook secret of every test server. */
#define CS_TEST_WEBHOOK_SECRET "test-webhook-secret-0123456789"

typedef gboolean (*CsTestCondition) (CsTestServer *ts, gpointer data);
/* Polls @condition until it holds (TRUE) or 30 s pass (FALSE). */
gboolean        cs_test_wait_for         (CsTestServer *ts, CsTestCondition condition, gpointer data);
/* Waits until GET @path answers 200 with string @member == @value (aborts after 30 s). */
void            cs_test_wait_field       (CsTestServer *ts, const char *token, const char *path,
                                          const char *member, const char *value);
/* POST /me/kyc with a document the sandbox verifies, and waits for "verified". */
void            cs_test_verify_identity  (CsTestServer *ts, const char *token);
/* A sandbox payment method (pm_…) for a test card number. */
char           *cs_test_card             (CsTestServer *ts, const char *number);
/* POST /campaigns/{id}/pledges; a random Idempotency-Key when @idempotency_key is NULL. */
CsTestResponse *cs_test_pledge           (CsTestServer *ts, const char *token, const char *campaign_id,
                                          gint64 amount, const char *tier_id, const char *payment_method,
                                          const char *idempotency_key);
void            cs_test_advance_clock    (CsTestServer *ts, const char *admin_token, gint64 seconds);
/* Waits until no payment job or webhook is queued, then asserts that
 * cs_store_check_books() finds no violation. */
void            cs_test_assert_books     (CsTestServer *ts);

/* Initialises the test framework with the environment every server test wants. */
void            cs_test_init             (int *argc, char ***argv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsTestResponse, cs_test_response_free)

G_END_DECLS
