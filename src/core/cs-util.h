/* cs-util.h: ids, random bytes, time and small string helpers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Fills @buf with @len cryptographically secure random bytes (getrandom). */
void      cs_random_bytes        (guint8 *buf, gsize len);

/* A new opaque id: @prefix + "_" + 20 lower-case base32 characters, e.g.
 * "cmp_2k7x...": 9 of milliseconds since 1970 (so ids sort by creation
 * time and a burst of inserts stays in few index pages), then 55 random
 * bits.  Prefixes: usr, cmp, tier, upd, ses, pl, job, txn, kyc, wd… */
char     *cs_id_new              (const char *prefix);
/* Whether @id looks like an id we could have made (any prefix, 1-64 chars of
 * [a-z0-9_-]): used to reject junk early. */
gboolean  cs_id_is_valid         (const char *id);

/* A random URL-safe token of @nbytes random bytes (base64url, no padding). */
char     *cs_token_new           (gsize nbytes);
/* Lower-case hex SHA-256 of @text. */
char     *cs_sha256_hex          (const char *text);

/* base64url (RFC 4648 §5) without padding. */
char     *cs_base64url_encode    (const guint8 *data, gsize len);
guint8   *cs_base64url_decode    (const char *text, gsize *out_len);

/* RFC 3339 in UTC with second precision: "2026-11-23T23:25:07Z". */
char     *cs_time_format         (gint64 unix_seconds);
/* Parses RFC 3339 (any offset, optional fraction); FALSE if invalid. */
gboolean  cs_time_parse          (const char *text, gint64 *unix_seconds_out);
/* "YYYY-MM-DD" (a calendar date, for estimated delivery). */
gboolean  cs_date_parse          (const char *text, GDate *out);
gboolean  cs_date_is_valid_text  (const char *text);

/* Wall-clock now, in seconds (server code uses its clock object instead). */
gint64    cs_now_seconds         (void);

/* TRUE if @s is valid UTF-8 without control characters (C0, DEL, C1); when
 * @allow_newlines (multi-line text), \n, \t and \r are allowed. */
gboolean  cs_text_is_clean       (const char *s, gboolean allow_newlines);
/* Number of Unicode characters. */
glong     cs_text_length         (const char *s);

/* A fast 64-bit non-cryptographic hash of bytes, eight at a time, for ETags
 * of response bodies.  Stable across runs and machines (little-endian). */
guint64   cs_hash64              (const void *data, gsize len);

G_END_DECLS
