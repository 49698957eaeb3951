/* cs-media-service.h: uploaded images, content-addressed under --media-dir. */
#pragma once

#include "cs-service.h"

G_BEGIN_DECLS

/* Checks @declared_type (image/png, image/jpeg, image/webp) against the
 * bytes' signature and the size limit, stores them as <sha256>.<ext> and
 * returns the key (the file name).  CS_ERROR_UNSUPPORTED / TOO_LARGE /
 * INVALID on bad input. */
char   *cs_media_store   (const CsServerConfig *config, const char *declared_type, GBytes *bytes,
                          GError **error);
/* Reads a stored file; NOT_FOUND for an unknown or malformed key. */
GBytes *cs_media_load    (const CsServerConfig *config, const char *key, const char **content_type,
                          GError **error);

G_END_DECLS
