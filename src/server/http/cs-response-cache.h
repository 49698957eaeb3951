/* cs-response-cache.h: a small per-thread cache of serialized responses,
 * keyed by resource id and validated by a version the caller reads from the
 * database on every request.  It never serves stale data: it only saves
 * re-reading and re-serializing an unchanged resource.  One cache belongs to
 * one event-loop thread, so it needs no lock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CsResponseCache CsResponseCache;

CsResponseCache *cs_response_cache_new    (guint max_entries);
void             cs_response_cache_free   (CsResponseCache *cache);
/* The body cached for @key at exactly @version, or NULL.  *etag is set
 * when found (owned by the cache). */
GBytes          *cs_response_cache_lookup (CsResponseCache *cache, const char *key, gint64 version,
                                           const char **etag);
/* Stores @body (and its @etag) for @key at @version, replacing any older one. */
void             cs_response_cache_store  (CsResponseCache *cache, const char *key, gint64 version,
                                           GBytes *body, const char *etag);

G_END_DECLS
