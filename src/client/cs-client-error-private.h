/* cs-client-error-private.h: for the client library only. */
#pragma once

#include "cs-client-error.h"

G_BEGIN_DECLS

/* Sets the details of @error (a CS_CLIENT_ERROR; others are left alone).
 * @fields is referenced, may be NULL. */
void cs_client_error_set_details (GError *error, guint status, const char *problem_type,
                                  GHashTable *fields, gint64 retry_after);

G_END_DECLS
