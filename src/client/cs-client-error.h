/* cs-client-error.h: the typed errors of the client library.
 *
 * Every failure of a call to the platform is one of these (or
 * G_IO_ERROR_CANCELLED when the caller cancelled it, which callers ignore).
 * The message is a sentence a person can read: the problem+json "detail"
 * (or "title") the server sent, or a description of the network failure.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CS_CLIENT_ERROR (cs_client_error_quark ())

typedef enum {
  CS_CLIENT_ERROR_OFFLINE,  /* the server could not be reached (DNS, refused, reset, timeout) */
  CS_CLIENT_ERROR_AUTH,     /* 401, or the refresh token was refused: sign in again */
  CS_CLIENT_ERROR_CLIENT,   /* any other 4xx: the request was refused (see the status and fields) */
  CS_CLIENT_ERROR_SERVER,   /* 5xx */
  CS_CLIENT_ERROR_PARSE,    /* the answer is not what the API promises */
} CsClientErrorCode;

GQuark       cs_client_error_quark            (void);

/* The HTTP status of the answer that caused @error (0 when there was none). */
guint        cs_client_error_get_status       (const GError *error);
/* The problem "type" the server sent, or NULL. */
const char  *cs_client_error_get_problem_type (const GError *error);
/* The problem's field errors (field name → message), or NULL. */
GHashTable  *cs_client_error_get_fields       (const GError *error);
/* Seconds from a 429's Retry-After (0 if none). */
gint64       cs_client_error_get_retry_after  (const GError *error);

/* TRUE for an error a retry may fix later (OFFLINE, SERVER, 429). */
gboolean     cs_client_error_is_transient     (const GError *error);

G_END_DECLS
