/* test-error.c: the CS_ERROR extended error and the validation collector. */
#include "config.h"

#include <crowdspark-core.h>

typedef struct {
  CsErrorCode  code;
  guint        status;
  const char  *slug;
  const char  *title;
} CodeCase;

static const CodeCase code_cases[] = {
  { CS_ERROR_MALFORMED,    400, "malformed-request",      "Bad Request" },
  { CS_ERROR_UNAUTHORIZED, 401, "unauthorized",           "Unauthorized" },
  { CS_ERROR_FORBIDDEN,    403, "forbidden",              "Forbidden" },
  { CS_ERROR_NOT_FOUND,    404, "not-found",              "Not Found" },
  { CS_ERROR_CONFLICT,     409, "conflict",               "Conflict" },
  { CS_ERROR_TOO_LARGE,    413, "payload-too-large",      "Payload Too Large" },
  { CS_ERROR_UNSUPPORTED,  415, "unsupported-media-type", "Unsupported Media Type" },
  { CS_ERROR_INVALID,      422, "validation-failed",      "Unprocessable Entity" },
  { CS_ERROR_RATE_LIMITED, 429, "rate-limited",           "Too Many Requests" },
  { CS_ERROR_INTERNAL,     500, "internal-error",         "Internal Server Error" },
  { CS_ERROR_UNAVAILABLE,  503, "unavailable",            "Service Unavailable" },
};

static void
test_codes (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (code_cases); i++)
    {
      const CodeCase *c = &code_cases[i];
      g_autoptr(GError) error = g_error_new (CS_ERROR, c->code, "case %zu", i);

      g_assert_cmpuint (cs_error_http_status (error), ==, c->status);
      g_assert_cmpstr (cs_error_get_type_slug (error), ==, c->slug);
      g_assert_cmpstr (cs_error_title_for_status (c->status), ==, c->title);
      g_assert_null (cs_error_get_fields (error));
      g_assert_cmpint (cs_error_get_retry_after (error), ==, 0);
    }
}

static void
test_foreign_errors (void)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "boom");

  /* Nothing about another domain is ours: no criticals, sane defaults. */
  g_assert_cmpuint (cs_error_http_status (error), ==, 500);
  g_assert_cmpuint (cs_error_http_status (NULL), ==, 500);
  g_assert_cmpstr (cs_error_get_type_slug (error), ==, "internal-error");
  cs_error_add_field (error, "x", "y");
  cs_error_set_retry_after (error, 5);
  cs_error_set_type_slug (error, "nope");
  g_assert_null (cs_error_get_fields (error));
  g_assert_cmpint (cs_error_get_retry_after (error), ==, 0);

  {
    g_autoptr(GError) unknown = g_error_new_literal (CS_ERROR, 999, "odd");

    g_assert_cmpuint (cs_error_http_status (unknown), ==, 500);
    g_assert_cmpstr (cs_error_get_type_slug (unknown), ==, "internal-error");
  }

  g_assert_cmpstr (cs_error_title_for_status (404), ==, "Not Found");
  g_assert_cmpstr (cs_error_title_for_status (599), ==, "Internal Server Error");
  g_assert_cmpstr (cs_error_title_for_status (499), ==, "Error");
}

static void
test_fields_survive_copy (void)
{
  g_autoptr(GError) error = g_error_new_literal (CS_ERROR, CS_ERROR_INVALID, "Bad fields");
  g_autoptr(GError) copy = NULL;
  GHashTable *fields;

  cs_error_add_field (error, "title", "is required");
  cs_error_add_field (error, "goal_amount", "must be between 100 and 10000000000000");
  cs_error_add_field (error, "title", "must not be empty");  /* replaces */

  copy = g_error_copy (error);
  g_clear_error (&error);  /* the copy owns its own table */

  g_assert_error (copy, CS_ERROR, CS_ERROR_INVALID);
  g_assert_cmpstr (copy->message, ==, "Bad fields");
  fields = cs_error_get_fields (copy);
  g_assert_nonnull (fields);
  g_assert_cmpuint (g_hash_table_size (fields), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (fields, "title"), ==, "must not be empty");
  g_assert_cmpstr (g_hash_table_lookup (fields, "goal_amount"), ==,
                   "must be between 100 and 10000000000000");
}

static void
test_retry_after_and_slug_survive_copy (void)
{
  g_autoptr(GError) error = g_error_new_literal (CS_ERROR, CS_ERROR_RATE_LIMITED, "Slow down");
  g_autoptr(GError) copy = NULL;
  g_autoptr(GError) copy2 = NULL;

  cs_error_set_retry_after (error, 42);
  cs_error_set_type_slug (error, "too-many-logins");
  g_assert_cmpint (cs_error_get_retry_after (error), ==, 42);
  g_assert_cmpstr (cs_error_get_type_slug (error), ==, "too-many-logins");

  copy = g_error_copy (error);
  g_assert_cmpint (cs_error_get_retry_after (copy), ==, 42);
  g_assert_cmpstr (cs_error_get_type_slug (copy), ==, "too-many-logins");
  g_assert_cmpuint (cs_error_http_status (copy), ==, 429);

  /* Changing the original does not touch the copy. */
  cs_error_set_type_slug (error, NULL);
  cs_error_set_retry_after (error, -3);
  g_assert_cmpstr (cs_error_get_type_slug (error), ==, "rate-limited");
  g_assert_cmpint (cs_error_get_retry_after (error), ==, 0);
  g_assert_cmpstr (cs_error_get_type_slug (copy), ==, "too-many-logins");

  /* And through g_propagate_error / g_prefix_error too. */
  g_propagate_prefixed_error (&copy2, g_steal_pointer (&copy), "Login: ");
  g_assert_cmpstr (copy2->message, ==, "Login: Slow down");
  g_assert_cmpint (cs_error_get_retry_after (copy2), ==, 42);
}

static void
test_validation_collects (void)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(GError) error = NULL;
  GHashTable *fields;

  g_assert_false (cs_validation_has_errors (v));
  cs_validation_add (v, "title", "must be at least %d characters", 3);
  cs_validation_add (v, "title", "a second problem is ignored");
  cs_validation_add (v, "currency", "is not a supported currency");
  g_assert_true (cs_validation_has_errors (v));

  g_assert_false (cs_validation_finish (v, "The campaign has invalid fields", &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "The campaign has invalid fields");
  g_assert_cmpuint (cs_error_http_status (error), ==, 422);
  g_assert_cmpstr (cs_error_get_type_slug (error), ==, "validation-failed");

  fields = cs_error_get_fields (error);
  g_assert_nonnull (fields);
  g_assert_cmpuint (g_hash_table_size (fields), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (fields, "title"), ==, "must be at least 3 characters");
  g_assert_cmpstr (g_hash_table_lookup (fields, "currency"), ==, "is not a supported currency");

  /* Without a GError to fill, it still says FALSE. */
  g_assert_false (cs_validation_finish (v, "x", NULL));
}

static void
test_validation_clean (void)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  GError *error = NULL;

  g_assert_true (cs_validation_finish (v, "unused", &error));
  g_assert_no_error (error);
  cs_validation_free (NULL);
}

static void
test_validation_merge (void)
{
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autoptr(CsValidation) sub = cs_validation_new ();
  g_autoptr(GError) error = NULL;
  GHashTable *fields;

  cs_validation_add (v, "rewards[1].title", "already here");
  cs_validation_add (sub, "title", "is required");
  cs_validation_add (sub, "minimum_pledge", "must be a whole number (in minor units)");
  cs_validation_merge (v, sub, "rewards[1].");
  cs_validation_merge (v, sub, NULL);

  g_assert_false (cs_validation_finish (v, "Bad", &error));
  fields = cs_error_get_fields (error);
  g_assert_cmpuint (g_hash_table_size (fields), ==, 4);
  g_assert_cmpstr (g_hash_table_lookup (fields, "rewards[1].title"), ==, "already here");
  g_assert_cmpstr (g_hash_table_lookup (fields, "rewards[1].minimum_pledge"), ==,
                   "must be a whole number (in minor units)");
  g_assert_cmpstr (g_hash_table_lookup (fields, "title"), ==, "is required");
}

static void
test_fields_on_conflict (void)
{
  g_autoptr(GError) error = g_error_new_literal (CS_ERROR, CS_ERROR_CONFLICT, "Taken");
  g_autoptr(GError) copy = NULL;

  cs_error_add_field (error, "email", "is already registered");
  copy = g_error_copy (error);
  g_assert_cmpstr (g_hash_table_lookup (cs_error_get_fields (copy), "email"), ==,
                   "is already registered");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/error/codes", test_codes);
  g_test_add_func ("/core/error/foreign", test_foreign_errors);
  g_test_add_func ("/core/error/fields-copy", test_fields_survive_copy);
  g_test_add_func ("/core/error/retry-after-copy", test_retry_after_and_slug_survive_copy);
  g_test_add_func ("/core/error/fields-on-conflict", test_fields_on_conflict);
  g_test_add_func ("/core/validation/collects", test_validation_collects);
  g_test_add_func ("/core/validation/clean", test_validation_clean);
  g_test_add_func ("/core/validation/merge", test_validation_merge);

  return g_test_run ();
}
