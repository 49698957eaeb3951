/* cs-json.h: a fast JSON writer (GString based, for responses) and strict
 * typed readers over json-glib objects (json-glib 1.6 has no strict mode, so
 * every member's type is checked here and reported as a field error). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cs-error.h"

G_BEGIN_DECLS

/* ---- Writer ----------------------------------------------------------------
 * Commas are inserted automatically.  Usage:
 *   cs_json_writer_begin_object (w);
 *   cs_json_writer_key (w, "id"); cs_json_writer_string (w, id);
 *   cs_json_writer_member_int (w, "amount", 1200);
 *   cs_json_writer_end_object (w);
 *   GBytes *b = cs_json_writer_free_to_bytes (w);
 * Strings are escaped per RFC 8259 (control characters as \u00XX, '/' kept,
 * U+2028/2029 escaped); invalid UTF-8 is replaced with U+FFFD. */
typedef struct _CsJsonWriter CsJsonWriter;

CsJsonWriter *cs_json_writer_new             (void);
/* Append to an existing GString that the caller owns (not freed by free()). */
CsJsonWriter *cs_json_writer_new_for_string  (GString *out);
void          cs_json_writer_free            (CsJsonWriter *w);
GBytes       *cs_json_writer_free_to_bytes   (CsJsonWriter *w);
char         *cs_json_writer_free_to_string  (CsJsonWriter *w);
GString      *cs_json_writer_get_string      (CsJsonWriter *w);

void cs_json_writer_begin_object (CsJsonWriter *w);
void cs_json_writer_end_object   (CsJsonWriter *w);
void cs_json_writer_begin_array  (CsJsonWriter *w);
void cs_json_writer_end_array    (CsJsonWriter *w);
void cs_json_writer_key          (CsJsonWriter *w, const char *key);
void cs_json_writer_string       (CsJsonWriter *w, const char *value);   /* NULL → null */
void cs_json_writer_int          (CsJsonWriter *w, gint64 value);
void cs_json_writer_bool         (CsJsonWriter *w, gboolean value);
void cs_json_writer_null         (CsJsonWriter *w);
/* Appends already-serialized JSON verbatim as one value. */
void cs_json_writer_raw          (CsJsonWriter *w, const char *json, gssize len);
/* A time as RFC 3339 string, or null when @unix_seconds is 0. */
void cs_json_writer_time         (CsJsonWriter *w, gint64 unix_seconds);

void cs_json_writer_member_string (CsJsonWriter *w, const char *key, const char *value);
void cs_json_writer_member_int    (CsJsonWriter *w, const char *key, gint64 value);
void cs_json_writer_member_bool   (CsJsonWriter *w, const char *key, gboolean value);
void cs_json_writer_member_null   (CsJsonWriter *w, const char *key);
void cs_json_writer_member_time   (CsJsonWriter *w, const char *key, gint64 unix_seconds);

/* Escapes @s as a JSON string literal with quotes, appended to @out. */
void cs_json_append_escaped      (GString *out, const char *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsJsonWriter, cs_json_writer_free)

/* ---- Readers ---------------------------------------------------------------
 * Parse a request body that must be one JSON object.  CS_ERROR_MALFORMED with a
 * clear detail (line/column from json-glib) when it is not JSON or not an object. */
JsonNode *cs_json_parse_object (const char *data, gsize len, GError **error);

/* Each reader looks up member @name of @obj.  Absent (or null, unless the
 * reader is *_nullable): returns FALSE and leaves @out alone, adding
 * "is required" to @v when @required.  Present with the wrong type or out of
 * range: adds a field error to @v and returns FALSE.  Present and valid:
 * sets @out and returns TRUE.  String lengths count Unicode characters; a
 * negative @max_chars means no limit. */
gboolean cs_json_read_string   (JsonObject *obj, const char *name, gboolean required,
                                glong min_chars, glong max_chars, gboolean multiline,
                                CsValidation *v, char **out);
gboolean cs_json_read_int      (JsonObject *obj, const char *name, gboolean required,
                                gint64 min, gint64 max, CsValidation *v, gint64 *out);
/* Like cs_json_read_int for an amount of money in minor units: the type
 * error says "must be a whole number (in minor units)". */
gboolean cs_json_read_amount   (JsonObject *obj, const char *name, gboolean required,
                                gint64 min, gint64 max, CsValidation *v, gint64 *out);
gboolean cs_json_read_bool     (JsonObject *obj, const char *name, gboolean required,
                                CsValidation *v, gboolean *out);
/* Like cs_json_read_int, but an explicit null is accepted: *is_null = TRUE. */
gboolean cs_json_read_int_nullable (JsonObject *obj, const char *name, gint64 min, gint64 max,
                                    CsValidation *v, gint64 *out, gboolean *is_null);
/* Like cs_json_read_string, but an explicit null is accepted: *out = NULL, *is_null = TRUE. */
gboolean cs_json_read_string_nullable (JsonObject *obj, const char *name, glong min_chars,
                                       glong max_chars, gboolean multiline, CsValidation *v,
                                       char **out, gboolean *is_null);

/* Adds "is not a known field" errors for members of @obj not listed in the
 * NULL-terminated @allowed array. */
void     cs_json_reject_unknown (JsonObject *obj, const char * const *allowed, CsValidation *v);

/* Lenient getters for reading our own API's responses (client side):
 * missing or wrong type → the default. */
const char *cs_json_get_string_or (JsonObject *obj, const char *name, const char *def);
gint64      cs_json_get_int_or    (JsonObject *obj, const char *name, gint64 def);
gboolean    cs_json_get_bool_or   (JsonObject *obj, const char *name, gboolean def);
/* RFC 3339 member → unix seconds (0 if absent/null/invalid). */
gint64      cs_json_get_time      (JsonObject *obj, const char *name);

G_END_DECLS
