/* cs-error.h: the error domain shared by server, client and app.
 *
 * Each code corresponds to one HTTP problem status, so a service can fail with a
 * GError and the HTTP layer turns it into application/problem+json without
 * knowing the service.  Validation errors carry per-field messages (an extended
 * GError: cs_error_get_fields()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CS_ERROR (cs_error_quark ())

typedef enum {
  CS_ERROR_MALFORMED,      /* 400: the request cannot be parsed */
  CS_ERROR_UNAUTHORIZED,   /* 401: no or invalid credentials */
  CS_ERROR_FORBIDDEN,      /* 403: authenticated but not allowed */
  CS_ERROR_NOT_FOUND,      /* 404: absent, or not visible to the caller */
  CS_ERROR_CONFLICT,       /* 409: the object's state forbids it, or a duplicate */
  CS_ERROR_TOO_LARGE,      /* 413 */
  CS_ERROR_UNSUPPORTED,    /* 415: unsupported media type */
  CS_ERROR_INVALID,        /* 422: well-formed but invalid fields */
  CS_ERROR_RATE_LIMITED,   /* 429: see cs_error_get_retry_after() */
  CS_ERROR_INTERNAL,       /* 500 */
  CS_ERROR_UNAVAILABLE,    /* 503 */
} CsErrorCode;

GQuark       cs_error_quark           (void);

/* The HTTP status for a CS_ERROR code (500 for anything else). */
guint        cs_error_http_status     (const GError *error);
/* The problem "title" for a status (e.g. "Not Found"). */
const char  *cs_error_title_for_status (guint status);
/* The problem "type" slug for a code, e.g. "validation-failed"; may be
 * overridden per error with cs_error_set_type(). */
const char  *cs_error_get_type_slug   (const GError *error);
void         cs_error_set_type_slug   (GError *error, const char *slug);

/* Field errors (for CS_ERROR_INVALID, also allowed on CONFLICT). NULL if none.
 * Keys and values are strings: field name → message. */
GHashTable  *cs_error_get_fields      (const GError *error);
void         cs_error_add_field       (GError *error, const char *field, const char *message);

/* Seconds after which a CS_ERROR_RATE_LIMITED request may be retried (0 if unset). */
gint64       cs_error_get_retry_after (const GError *error);
void         cs_error_set_retry_after (GError *error, gint64 seconds);

/* A collector for validation: add field errors, then finish. */
typedef struct _CsValidation CsValidation;

CsValidation *cs_validation_new       (void);
void          cs_validation_free      (CsValidation *v);
void          cs_validation_add       (CsValidation *v, const char *field, const char *format, ...) G_GNUC_PRINTF (3, 4);
gboolean      cs_validation_has_errors (const CsValidation *v);
/* Adds every field error of @src to @dest, each field name prefixed with
 * @prefix (e.g. "rewards[2]."; NULL or "" for none).  A field that already
 * has an error in @dest keeps it. */
void          cs_validation_merge     (CsValidation *dest, const CsValidation *src, const char *prefix);
/* TRUE if no errors; otherwise sets a CS_ERROR_INVALID error carrying every
 * field message, with @summary as its detail. */
gboolean      cs_validation_finish    (CsValidation *v, const char *summary, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsValidation, cs_validation_free)

G_END_DECLS
