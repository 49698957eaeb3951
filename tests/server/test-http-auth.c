/* test-http-auth.c: accounts and sessions over real HTTP. */
#include "config.h"

#include <string.h>

#include "cs-test-server.h"

static CsTestServer *ts;

static void
test_register_and_me (void)
{
  g_autoptr(CsTestResponse) reg = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL,
                                                   "{\"email\": \"Ada@Example.org\", \"username\": \"ada\", "
                                                   "\"password\": \"analytical engine\", \"display_name\": \"Ada L.\"}");
  g_autoptr(CsTestResponse) me = NULL;
  JsonObject *user;
  const char *token;

  g_assert_cmpuint (reg->status, ==, 201);
  g_assert_cmpstr (cs_test_string (reg, "token_type"), ==, "Bearer");
  g_assert_cmpint (cs_test_int (reg, "expires_in"), ==, 900);
  g_assert_true (g_str_has_prefix (cs_test_string (reg, "refresh_token"), "csr_"));
  user = json_object_get_object_member (cs_test_object (reg), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "email"), ==, "ada@example.org");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "backer");
  g_assert_false (json_object_has_member (user, "password_hash"));

  token = cs_test_string (reg, "access_token");
  me = cs_test_request (ts, "GET", "/api/v1/me", token, NULL);
  g_assert_cmpuint (me->status, ==, 200);
  g_assert_cmpstr (cs_test_string (me, "username"), ==, "ada");
  g_assert_cmpstr (cs_test_string (me, "display_name"), ==, "Ada L.");
  g_assert_nonnull (soup_message_headers_get_one (me->headers, "ETag"));
}

static void
test_register_invalid (void)
{
  g_autoptr(CsTestResponse) bad = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL,
                                                   "{\"email\": \"not-an-email\", \"username\": \"x\", \"password\": \"short\"}");
  g_autoptr(CsTestResponse) dup = NULL;
  g_autoptr(CsTestResponse) wrong_type = NULL;
  g_autoptr(CsTestResponse) malformed = NULL;
  g_autoptr(CsTestResponse) not_object = NULL;
  g_autoptr(CsTestResponse) unknown = NULL;
  g_autofree char *token = cs_test_register (ts, "grace", NULL);

  cs_test_assert_problem (bad, 422, "email");
  cs_test_assert_problem (bad, 422, "username");
  cs_test_assert_problem (bad, 422, "password");

  dup = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL,
                         "{\"email\": \"GRACE@example.org\", \"username\": \"Grace\", \"password\": \"correct horse battery\"}");
  cs_test_assert_problem (dup, 409, "email");

  wrong_type = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL,
                                "{\"email\": 5, \"username\": \"okname\", \"password\": \"correct horse battery\"}");
  cs_test_assert_problem (wrong_type, 422, "email");

  malformed = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL, "{\"email\": ");
  cs_test_assert_problem (malformed, 400, NULL);
  not_object = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL, "[1, 2]");
  cs_test_assert_problem (not_object, 400, NULL);
  unknown = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL,
                             "{\"email\": \"z@example.org\", \"username\": \"zed\", \"password\": \"correct horse battery\", \"role\": \"admin\"}");
  cs_test_assert_problem (unknown, 422, "role");
}

static void
test_wrong_content_type (void)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("email=a", 7);
  g_autoptr(CsTestResponse) resp = cs_test_request_full (ts, "POST", "/api/v1/auth/login", NULL,
                                                         "application/x-www-form-urlencoded", body, NULL);

  cs_test_assert_problem (resp, 415, NULL);
}

static void
test_login_by_email_and_username (void)
{
  g_autofree char *token = cs_test_register (ts, "linus", NULL);
  g_autoptr(CsTestResponse) by_email = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                                                        "{\"email\": \"LINUS@example.org\", \"password\": \"correct horse battery\"}");
  g_autoptr(CsTestResponse) by_name = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                                                       "{\"email\": \"Linus\", \"password\": \"correct horse battery\"}");
  g_autoptr(CsTestResponse) wrong = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                                                     "{\"email\": \"linus\", \"password\": \"incorrect horse\"}");
  g_autoptr(CsTestResponse) nobody = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                                                      "{\"email\": \"nobody@example.org\", \"password\": \"correct horse battery\"}");
  g_autoptr(CsTestResponse) missing = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL, "{}");

  g_assert_cmpuint (by_email->status, ==, 200);
  g_assert_cmpuint (by_name->status, ==, 200);
  g_assert_cmpstr (cs_test_string (by_email, "access_token"), !=, cs_test_string (by_name, "access_token"));
  cs_test_assert_problem (wrong, 401, NULL);
  cs_test_assert_problem (nobody, 401, NULL);
  cs_test_assert_problem (missing, 422, "password");
}

static void
test_bad_tokens (void)
{
  g_autoptr(CsTestResponse) none = cs_test_request (ts, "GET", "/api/v1/me", NULL, NULL);
  g_autoptr(CsTestResponse) junk = cs_test_request (ts, "GET", "/api/v1/me", "csa_not-a-real-token", NULL);
  g_autoptr(CsTestResponse) basic = cs_test_request_full (ts, "GET", "/api/v1/me", NULL, NULL, NULL,
                                                          "Authorization", "Basic YTpi", NULL);

  cs_test_assert_problem (none, 401, NULL);
  g_assert_nonnull (soup_message_headers_get_one (none->headers, "WWW-Authenticate"));
  cs_test_assert_problem (junk, 401, NULL);
  cs_test_assert_problem (basic, 401, NULL);
}

static void
test_refresh_rotation_and_reuse (void)
{
  g_autoptr(CsTestResponse) reg = cs_test_request (ts, "POST", "/api/v1/auth/register", NULL,
                                                   "{\"email\": \"rot@example.org\", \"username\": \"rot\", \"password\": \"correct horse battery\"}");
  g_autofree char *refresh1 = g_strdup (cs_test_string (reg, "refresh_token"));
  g_autofree char *access1 = g_strdup (cs_test_string (reg, "access_token"));
  g_autofree char *body1 = g_strdup_printf ("{\"refresh_token\": \"%s\"}", refresh1);
  g_autoptr(CsTestResponse) r1 = cs_test_request (ts, "POST", "/api/v1/auth/refresh", NULL, body1);
  g_autofree char *refresh2 = NULL;
  g_autofree char *access2 = NULL;
  g_autofree char *body2 = NULL;
  g_autoptr(CsTestResponse) old_access = NULL;
  g_autoptr(CsTestResponse) new_access = NULL;
  g_autoptr(CsTestResponse) reuse = NULL;
  g_autoptr(CsTestResponse) after_reuse = NULL;
  g_autoptr(CsTestResponse) r2_after = NULL;

  g_assert_cmpuint (r1->status, ==, 200);
  refresh2 = g_strdup (cs_test_string (r1, "refresh_token"));
  access2 = g_strdup (cs_test_string (r1, "access_token"));
  g_assert_cmpstr (refresh2, !=, refresh1);

  /* the rotated session's new access token works; the old one is replaced */
  new_access = cs_test_request (ts, "GET", "/api/v1/me", access2, NULL);
  g_assert_cmpuint (new_access->status, ==, 200);
  old_access = cs_test_request (ts, "GET", "/api/v1/me", access1, NULL);
  cs_test_assert_problem (old_access, 401, NULL);

  /* replaying the spent refresh token revokes the session */
  reuse = cs_test_request (ts, "POST", "/api/v1/auth/refresh", NULL, body1);
  cs_test_assert_problem (reuse, 401, NULL);
  g_assert_true (g_str_has_suffix (cs_test_string (reuse, "type"), "refresh-token-reused"));
  after_reuse = cs_test_request (ts, "GET", "/api/v1/me", access2, NULL);
  cs_test_assert_problem (after_reuse, 401, NULL);
  body2 = g_strdup_printf ("{\"refresh_token\": \"%s\"}", refresh2);
  r2_after = cs_test_request (ts, "POST", "/api/v1/auth/refresh", NULL, body2);
  cs_test_assert_problem (r2_after, 401, NULL);
}

static void
test_logout (void)
{
  g_autofree char *token = cs_test_register (ts, "leaving", NULL);
  g_autoptr(CsTestResponse) out = cs_test_request (ts, "POST", "/api/v1/auth/logout", token, NULL);
  g_autoptr(CsTestResponse) me = cs_test_request (ts, "GET", "/api/v1/me", token, NULL);

  g_assert_cmpuint (out->status, ==, 204);
  cs_test_assert_problem (me, 401, NULL);
}

static void
test_patch_me (void)
{
  g_autofree char *token = cs_test_register (ts, "patcher", NULL);
  g_autofree char *other = cs_test_register (ts, "taken", NULL);
  g_autoptr(CsTestResponse) ok = cs_test_request (ts, "PATCH", "/api/v1/me", token,
                                                  "{\"display_name\": \"Pat Cher\", \"bio\": \"Makes things.\"}");
  g_autoptr(CsTestResponse) clash = cs_test_request (ts, "PATCH", "/api/v1/me", token, "{\"username\": \"TAKEN\"}");
  g_autoptr(CsTestResponse) no_current = cs_test_request (ts, "PATCH", "/api/v1/me", token,
                                                          "{\"password\": \"a brand new secret\"}");
  g_autoptr(CsTestResponse) wrong_current = cs_test_request (ts, "PATCH", "/api/v1/me", token,
                                                             "{\"password\": \"a brand new secret\", \"current_password\": \"nope nope nope\"}");
  g_autoptr(CsTestResponse) changed = cs_test_request (ts, "PATCH", "/api/v1/me", token,
                                                       "{\"password\": \"a brand new secret\", \"current_password\": \"correct horse battery\"}");
  g_autoptr(CsTestResponse) login = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                                                     "{\"email\": \"patcher\", \"password\": \"a brand new secret\"}");

  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpstr (cs_test_string (ok, "display_name"), ==, "Pat Cher");
  g_assert_cmpstr (cs_test_string (ok, "bio"), ==, "Makes things.");
  cs_test_assert_problem (clash, 409, "username");
  cs_test_assert_problem (no_current, 422, "current_password");
  cs_test_assert_problem (wrong_current, 403, NULL);
  g_assert_cmpuint (changed->status, ==, 200);
  g_assert_cmpuint (login->status, ==, 200);
}

static void
limit_tweak (CsServerConfig *config)
{
  config->login_max_failures = 3;
  config->address_max_attempts = 8;
}

static void
test_rate_limits (void)
{
  CsTestServer *limited = cs_test_server_new (limit_tweak);
  CsTestServer *saved = ts;
  g_autofree char *token = NULL;
  g_autoptr(CsTestResponse) locked = NULL;
  g_autoptr(CsTestResponse) address = NULL;

  ts = limited;
  token = cs_test_register (ts, "victim", NULL);   /* 1 attempt from this address */
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(CsTestResponse) r = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                                                     "{\"email\": \"victim\", \"password\": \"guess guess guess\"}");
      cs_test_assert_problem (r, 401, NULL);
    }
  /* the account is locked now, even with the right password */
  locked = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                            "{\"email\": \"victim@example.org\", \"password\": \"correct horse battery\"}");
  cs_test_assert_problem (locked, 429, NULL);
  g_assert_cmpint (g_ascii_strtoll (soup_message_headers_get_one (locked->headers, "Retry-After"), NULL, 10), >, 0);

  /* attempts 6..8 from the address are still allowed (other accounts), the 9th is not */
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(CsTestResponse) r = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                                                     "{\"email\": \"someone-else\", \"password\": \"guess guess guess\"}");
      cs_test_assert_problem (r, 401, NULL);
    }
  address = cs_test_request (ts, "POST", "/api/v1/auth/login", NULL,
                             "{\"email\": \"third\", \"password\": \"guess guess guess\"}");
  cs_test_assert_problem (address, 429, NULL);
  g_assert_nonnull (soup_message_headers_get_one (address->headers, "Retry-After"));

  ts = saved;
  cs_test_server_free (limited);
}

int
main (int argc, char **argv)
{
  int status;

  cs_test_init (&argc, &argv);
  ts = cs_test_server_new (NULL);

  g_test_add_func ("/auth/register-and-me", test_register_and_me);
  g_test_add_func ("/auth/register-invalid", test_register_invalid);
  g_test_add_func ("/auth/wrong-content-type", test_wrong_content_type);
  g_test_add_func ("/auth/login", test_login_by_email_and_username);
  g_test_add_func ("/auth/bad-tokens", test_bad_tokens);
  g_test_add_func ("/auth/refresh-rotation-and-reuse", test_refresh_rotation_and_reuse);
  g_test_add_func ("/auth/logout", test_logout);
  g_test_add_func ("/auth/patch-me", test_patch_me);
  g_test_add_func ("/auth/rate-limits", test_rate_limits);

  status = g_test_run ();
  cs_test_server_free (ts);
  return status;
}
