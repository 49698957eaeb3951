/* cs-response-cache.c: see cs-response-cache.h */
#include "config.h"

#include "cs-response-cache.h"

typedef struct {
  gint64  version;
  GBytes *body;
  char   *etag;
} Entry;

struct _CsResponseCache {
  GHashTable *entries;   /* char* key → Entry* */
  guint       max_entries;
};

static void
entry_free (Entry *entry)
{
  g_bytes_unref (entry->body);
  g_free (entry->etag);
  g_free (entry);
}

CsResponseCache *
cs_response_cache_new (guint max_entries)
{
  CsResponseCache *cache = g_new0 (CsResponseCache, 1);

  cache->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
  cache->max_entries = MAX (max_entries, 1);
  return cache;
}

void
cs_response_cache_free (CsResponseCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->entries);
  g_free (cache);
}

GBytes *
cs_response_cache_lookup (CsResponseCache *cache, const char *key, gint64 version, const char **etag)
{
  Entry *entry = g_hash_table_lookup (cache->entries, key);

  if (entry == NULL || entry->version != version)
    return NULL;
  *etag = entry->etag;
  return g_bytes_ref (entry->body);
}

void
cs_response_cache_store (CsResponseCache *cache, const char *key, gint64 version, GBytes *body,
                         const char *etag)
{
  Entry *entry;

  /* Bounded by simply starting over when full: the hot set refills within
   * a few requests, and no bookkeeping runs on the hot path. */
  if (g_hash_table_size (cache->entries) >= cache->max_entries &&
      !g_hash_table_contains (cache->entries, key))
    g_hash_table_remove_all (cache->entries);

  entry = g_new0 (Entry, 1);
  entry->version = version;
  entry->body = g_bytes_ref (body);
  entry->etag = g_strdup (etag);
  g_hash_table_replace (cache->entries, g_strdup (key), entry);
}
