/* cs-json.c: the fast GString JSON writer and the strict typed readers. */
#include "config.h"

#include <string.h>

#include "cs-json.h"
#include "cs-util.h"
#include "cs-util-private.h"

/* Types */

#define INLINE_DEPTH 64

struct _CsJsonWriter {
  GString  *out;
  gboolean  owns_string;
  gboolean  after_key;      /* a key was written; the value follows without a comma */
  guint     depth;          /* 0: top level */
  guint     capacity;       /* entries in has_items */
  guint8   *has_items;      /* per depth: something was written at that level */
  guint8    inline_stack[INLINE_DEPTH];
};

/* Helpers */

/* 0: copied verbatim; 1: escaped (controls, '"', '\\', DEL);
 * 2: start or part of a multi-byte UTF-8 sequence. */
static const guint8 char_class[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x00 */
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x10 */
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x20: '"' */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x30 */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x40 */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,  /* 0x50: '\\' */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x60 */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  /* 0x70: DEL */
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static const char hex_digits[] = "0123456789abcdef";

/* g_string_append_len() without GLib 2.74's overlap checks (a third of the
 * writer's time): the same thing g_string_append_c_inline() does. */
static inline void
out_append (GString *out, const char *data, gsize len)
{
  gsize old = out->len;

  if (G_UNLIKELY (old + len >= out->allocated_len))
    g_string_set_size (out, old + len);
  else
    {
      out->len = old + len;
      out->str[out->len] = '\0';
    }
  memcpy (out->str + old, data, len);
}

/* Length of the well-formed UTF-8 sequence at @p (2–4), or the negated
 * length of its maximal ill-formed prefix (at least 1), which becomes one
 * U+FFFD (the Unicode "maximal subpart" practice). */
static int
utf8_sequence (const guchar *p)
{
  guchar c = p[0];
  guchar lo = 0x80, hi = 0xbf;
  int need;

  if (c >= 0xc2 && c <= 0xdf)
    need = 1;
  else if (c >= 0xe0 && c <= 0xef)
    {
      need = 2;
      if (c == 0xe0)
        lo = 0xa0;
      else if (c == 0xed)
        hi = 0x9f;  /* no surrogates */
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      need = 3;
      if (c == 0xf0)
        lo = 0x90;
      else if (c == 0xf4)
        hi = 0x8f;  /* <= U+10FFFF */
    }
  else
    return -1;

  /* The string is NUL-terminated, and NUL is never a continuation byte, so
   * this never reads past the end. */
  if (p[1] < lo || p[1] > hi)
    return -1;
  for (int i = 2; i <= need; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return -i;
  return need + 1;
}

static void
append_unicode_escape (GString *out, guint code)
{
  char buf[6] = { '\\', 'u',
                  hex_digits[(code >> 12) & 0xf], hex_digits[(code >> 8) & 0xf],
                  hex_digits[(code >> 4) & 0xf], hex_digits[code & 0xf] };

  out_append (out, buf, sizeof buf);
}

#define ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

/* Whether none of the 8 bytes at @p needs attention: no control character,
 * '"', '\\', DEL or non-ASCII byte.  The "has a zero byte" and "has a byte
 * below n" tests are exact for whether any byte matches. */
static inline gboolean
word_is_plain (const guchar *p)
{
  guint64 w, q, b, d;

  memcpy (&w, p, sizeof w);
  q = w ^ (ONES * '"');
  b = w ^ (ONES * '\\');
  d = w ^ (ONES * 0x7f);
  return ((((w - ONES * 0x20) & ~w) |   /* a byte < 0x20 */
           ((q - ONES) & ~q) |          /* '"' */
           ((b - ONES) & ~b) |          /* '\\' */
           ((d - ONES) & ~d) |          /* DEL */
           w)                           /* a byte >= 0x80 */
          & HIGHS) == 0;
}

/* Appends the body of a JSON string literal for @s (without quotes).
 * Plain runs are found a word at a time and copied with one call. */
static void
append_escaped_body (GString *out, const char *s)
{
  const guchar *p = (const guchar *) s;
  const guchar *end = p + strlen (s);
  const guchar *run = p;

  for (;;)
    {
      guchar c;

      while (p + 8 <= end && word_is_plain (p))
        p += 8;
      while (p < end && char_class[*p] == 0)
        p++;
      if (p >= end)
        break;

      c = *p;
      if (char_class[c] == 2)
        {
          /* @s is NUL-terminated and NUL is never a continuation byte, so
           * utf8_sequence() never reads past the end. */
          int n = utf8_sequence (p);

          /* U+2028 and U+2029 are escaped for JavaScript consumers. */
          if (n == 3 && c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
            {
              if (p > run)
                out_append (out, (const char *) run, p - run);
              append_unicode_escape (out, p[2] == 0xa8 ? 0x2028 : 0x2029);
              p += 3;
              run = p;
            }
          else if (n > 0)
            p += n;  /* well-formed: stays in the verbatim run */
          else
            {
              if (p > run)
                out_append (out, (const char *) run, p - run);
              out_append (out, "\xef\xbf\xbd", 3);
              p += -n;
              run = p;
            }
          continue;
        }

      if (p > run)
        out_append (out, (const char *) run, p - run);
      switch (c)
        {
        case '"':  out_append (out, "\\\"", 2); break;
        case '\\': out_append (out, "\\\\", 2); break;
        case '\n': out_append (out, "\\n", 2); break;
        case '\r': out_append (out, "\\r", 2); break;
        case '\t': out_append (out, "\\t", 2); break;
        case '\b': out_append (out, "\\b", 2); break;
        case '\f': out_append (out, "\\f", 2); break;
        default:   append_unicode_escape (out, c); break;
        }
      p++;
      run = p;
    }

  if (p > run)
    out_append (out, (const char *) run, p - run);
}

static void
append_int (GString *out, gint64 value)
{
  char buf[24];
  int n = sizeof buf;
  guint64 mag = value < 0 ? (guint64) (-(value + 1)) + 1 : (guint64) value;

  do
    {
      buf[--n] = (char) ('0' + mag % 10);
      mag /= 10;
    }
  while (mag > 0);
  if (value < 0)
    buf[--n] = '-';
  out_append (out, buf + n, sizeof buf - n);
}

/* Writes the comma that separates this value (or key) from the previous one. */
static inline void
before_value (CsJsonWriter *w)
{
  if (w->after_key)
    {
      w->after_key = FALSE;
      return;
    }
  if (w->has_items[w->depth])
    g_string_append_c (w->out, ',');
  w->has_items[w->depth] = 1;
}

static void
push_level (CsJsonWriter *w)
{
  if (w->depth + 1 >= w->capacity)
    {
      guint capacity = w->capacity * 2;

      if (w->has_items == w->inline_stack)
        {
          w->has_items = g_malloc (capacity);
          memcpy (w->has_items, w->inline_stack, w->capacity);
        }
      else
        w->has_items = g_realloc (w->has_items, capacity);
      w->capacity = capacity;
    }
  w->depth++;
  w->has_items[w->depth] = 0;
}

static void
pop_level (CsJsonWriter *w)
{
  if (w->depth == 0)
    {
      g_critical ("cs_json_writer: end without a matching begin");
      return;
    }
  w->depth--;
}

static CsJsonWriter *
writer_new (GString *out, gboolean owns)
{
  CsJsonWriter *w = g_new0 (CsJsonWriter, 1);

  w->out = out;
  w->owns_string = owns;
  w->has_items = w->inline_stack;
  w->capacity = INLINE_DEPTH;
  return w;
}

static void
writer_free_state (CsJsonWriter *w)
{
  if (w->has_items != w->inline_stack)
    g_free (w->has_items);
  g_free (w);
}

/* Public API: writer */

CsJsonWriter *
cs_json_writer_new (void)
{
  return writer_new (g_string_sized_new (1024), TRUE);
}

CsJsonWriter *
cs_json_writer_new_for_string (GString *out)
{
  g_return_val_if_fail (out != NULL, NULL);

  return writer_new (out, FALSE);
}

void
cs_json_writer_free (CsJsonWriter *w)
{
  if (w == NULL)
    return;
  if (w->owns_string)
    g_string_free (w->out, TRUE);
  writer_free_state (w);
}

GBytes *
cs_json_writer_free_to_bytes (CsJsonWriter *w)
{
  GBytes *bytes;

  g_return_val_if_fail (w != NULL, NULL);

  if (w->owns_string)
    bytes = g_string_free_to_bytes (w->out);
  else
    bytes = g_bytes_new (w->out->str, w->out->len);
  writer_free_state (w);
  return bytes;
}

char *
cs_json_writer_free_to_string (CsJsonWriter *w)
{
  char *str;

  g_return_val_if_fail (w != NULL, NULL);

  if (w->owns_string)
    str = g_string_free (w->out, FALSE);
  else
    str = g_strndup (w->out->str, w->out->len);
  writer_free_state (w);
  return str;
}

GString *
cs_json_writer_get_string (CsJsonWriter *w)
{
  g_return_val_if_fail (w != NULL, NULL);

  return w->out;
}

void
cs_json_writer_begin_object (CsJsonWriter *w)
{
  before_value (w);
  g_string_append_c (w->out, '{');
  push_level (w);
}

void
cs_json_writer_end_object (CsJsonWriter *w)
{
  pop_level (w);
  w->after_key = FALSE;
  g_string_append_c (w->out, '}');
}

void
cs_json_writer_begin_array (CsJsonWriter *w)
{
  before_value (w);
  g_string_append_c (w->out, '[');
  push_level (w);
}

void
cs_json_writer_end_array (CsJsonWriter *w)
{
  pop_level (w);
  w->after_key = FALSE;
  g_string_append_c (w->out, ']');
}

void
cs_json_writer_key (CsJsonWriter *w, const char *key)
{
  before_value (w);
  g_string_append_c (w->out, '"');
  append_escaped_body (w->out, key != NULL ? key : "");
  out_append (w->out, "\":", 2);
  w->after_key = TRUE;
}

void
cs_json_writer_string (CsJsonWriter *w, const char *value)
{
  before_value (w);
  if (value == NULL)
    {
      out_append (w->out, "null", 4);
      return;
    }
  g_string_append_c (w->out, '"');
  append_escaped_body (w->out, value);
  g_string_append_c (w->out, '"');
}

void
cs_json_writer_int (CsJsonWriter *w, gint64 value)
{
  before_value (w);
  append_int (w->out, value);
}

void
cs_json_writer_bool (CsJsonWriter *w, gboolean value)
{
  before_value (w);
  if (value)
    out_append (w->out, "true", 4);
  else
    out_append (w->out, "false", 5);
}

void
cs_json_writer_null (CsJsonWriter *w)
{
  before_value (w);
  out_append (w->out, "null", 4);
}

void
cs_json_writer_raw (CsJsonWriter *w, const char *json, gssize len)
{
  before_value (w);
  if (json == NULL)
    {
      out_append (w->out, "null", 4);
      return;
    }
  out_append (w->out, json, len < 0 ? strlen (json) : (gsize) len);
}

void
cs_json_writer_time (CsJsonWriter *w, gint64 unix_seconds)
{
  char buf[CS_TIME_BUF_SIZE + 2];
  gsize len;

  if (unix_seconds == 0)
    {
      cs_json_writer_null (w);
      return;
    }
  /* Digits, '-', ':', 'T' and 'Z' need no escaping. */
  buf[0] = '"';
  len = cs_time_format_buf (unix_seconds, buf + 1);
  buf[len + 1] = '"';
  before_value (w);
  out_append (w->out, buf, len + 2);
}

void
cs_json_writer_member_string (CsJsonWriter *w, const char *key, const char *value)
{
  cs_json_writer_key (w, key);
  cs_json_writer_string (w, value);
}

void
cs_json_writer_member_int (CsJsonWriter *w, const char *key, gint64 value)
{
  cs_json_writer_key (w, key);
  cs_json_writer_int (w, value);
}

void
cs_json_writer_member_bool (CsJsonWriter *w, const char *key, gboolean value)
{
  cs_json_writer_key (w, key);
  cs_json_writer_bool (w, value);
}

void
cs_json_writer_member_null (CsJsonWriter *w, const char *key)
{
  cs_json_writer_key (w, key);
  cs_json_writer_null (w);
}

void
cs_json_writer_member_time (CsJsonWriter *w, const char *key, gint64 unix_seconds)
{
  cs_json_writer_key (w, key);
  cs_json_writer_time (w, unix_seconds);
}

void
cs_json_append_escaped (GString *out, const char *s)
{
  g_return_if_fail (out != NULL);

  g_string_append_c (out, '"');
  append_escaped_body (out, s != NULL ? s : "");
  g_string_append_c (out, '"');
}

/* json-glib 1.6 has no strict mode: it takes comments, single quotes, hex,
 * octal ("010" is 8) and binary numbers, silently wraps integers beyond
 * gint64 (18446744073709551716 reads as 100), and recurses without a limit.
 * So a request body is first checked against RFC 8259 here, iteratively
 * bounded in depth, and only then handed to json-glib. */
#define MAX_PARSE_DEPTH 64

typedef struct {
  const char *start;
  const char *p;
  const char *end;
  const char *problem;   /* set on failure */
  gboolean    too_large; /* an integer beyond gint64 */
  guint       depth;
} JsonScan;

static void
scan_ws (JsonScan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
scan_fail (JsonScan *s, const char *problem)
{
  s->problem = problem;
  return FALSE;
}

static gboolean
scan_string (JsonScan *s)
{
  s->p++;  /* '"' */
  while (s->p < s->end)
    {
      guchar c = (guchar) *s->p;

      if (c == '"')
        {
          s->p++;
          return TRUE;
        }
      if (c < 0x20)
        return scan_fail (s, "control character in a string");
      if (c == '\\')
        {
          s->p++;
          if (s->p >= s->end)
            break;
          switch (*s->p)
            {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
              s->p++;
              break;
            case 'u':
              s->p++;
              if (s->end - s->p >= 4 && memcmp (s->p, "0000", 4) == 0)
                {
                  /* json-glib would silently cut the string there. */
                  return scan_fail (s, "\\u0000 in a string");
                }
              for (int i = 0; i < 4; i++, s->p++)
                if (s->p >= s->end || !g_ascii_isxdigit (*s->p))
                  return scan_fail (s, "invalid \\u escape");
              break;
            default:
              return scan_fail (s, "invalid escape in a string");
            }
          continue;
        }
      s->p++;
    }
  return scan_fail (s, "unterminated string");
}

static gboolean
scan_number (JsonScan *s)
{
  gboolean negative = FALSE;
  gboolean is_integer = TRUE;
  const char *digits;
  gsize n;

  if (*s->p == '-')
    {
      negative = TRUE;
      s->p++;
    }
  digits = s->p;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (s->p < s->end && *s->p >= '1' && *s->p <= '9')
    while (s->p < s->end && g_ascii_isdigit (*s->p))
      s->p++;
  else
    return scan_fail (s, "invalid number");
  n = s->p - digits;

  if (s->p < s->end && *s->p == '.')
    {
      is_integer = FALSE;
      s->p++;
      if (s->p >= s->end || !g_ascii_isdigit (*s->p))
        return scan_fail (s, "invalid number");
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      is_integer = FALSE;
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (s->p >= s->end || !g_ascii_isdigit (*s->p))
        return scan_fail (s, "invalid number");
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
    }
  if (s->p < s->end && (g_ascii_isalnum (*s->p) || *s->p == '.'))
    return scan_fail (s, "invalid number");

  if (is_integer &&
      (n > 19 ||
       (n == 19 && memcmp (digits, negative ? "9223372036854775808" : "9223372036854775807", 19) > 0)))
    {
      s->too_large = TRUE;
      return scan_fail (s, "integer too large");
    }
  return TRUE;
}

static gboolean
scan_literal (JsonScan *s, const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (s->end - s->p) < len || memcmp (s->p, word, len) != 0)
    return scan_fail (s, "unexpected character");
  s->p += len;
  if (s->p < s->end && g_ascii_isalnum (*s->p))
    return scan_fail (s, "unexpected character");
  return TRUE;
}

/* Checks one JSON text.  Containers are tracked on an explicit stack of
 * their closing characters, so deep nesting costs no C stack. */
static gboolean
scan_json (JsonScan *s)
{
  char closers[MAX_PARSE_DEPTH];

  scan_ws (s);
  for (;;)
    {
      /* A value is expected at s->p. */
      if (s->p >= s->end)
        return scan_fail (s, "unexpected end of data");

      switch (*s->p)
        {
        case '{':
        case '[':
          if (s->depth >= MAX_PARSE_DEPTH)
            return scan_fail (s, "nested too deeply");
          closers[s->depth++] = *s->p == '{' ? '}' : ']';
          s->p++;
          scan_ws (s);
          if (s->p < s->end && *s->p == closers[s->depth - 1])
            {
              s->depth--;
              s->p++;
              goto after_value;
            }
          if (closers[s->depth - 1] == '}')
            goto member;
          continue;
        case '"':
          if (!scan_string (s))
            return FALSE;
          break;
        case 't':
          if (!scan_literal (s, "true"))
            return FALSE;
          break;
        case 'f':
          if (!scan_literal (s, "false"))
            return FALSE;
          break;
        case 'n':
          if (!scan_literal (s, "null"))
            return FALSE;
          break;
        default:
          if (*s->p == '-' || g_ascii_isdigit (*s->p))
            {
              if (!scan_number (s))
                return FALSE;
              break;
            }
          return scan_fail (s, "unexpected character");
        }

    after_value:
      scan_ws (s);
      if (s->depth == 0)
        {
          if (s->p != s->end)
            return scan_fail (s, "unexpected data after the end");
          return TRUE;
        }
      if (s->p >= s->end)
        return scan_fail (s, "unexpected end of data");
      if (*s->p == closers[s->depth - 1])
        {
          s->depth--;
          s->p++;
          goto after_value;
        }
      if (*s->p != ',')
        return scan_fail (s, "expected “,” or the end of the container");
      s->p++;
      scan_ws (s);
      if (closers[s->depth - 1] == ']')
        continue;

    member:
      /* An object member: "key" ws ':' ws, then its value. */
      if (s->p >= s->end || *s->p != '"')
        return scan_fail (s, "expected a member name in quotes");
      if (!scan_string (s))
        return FALSE;
      scan_ws (s);
      if (s->p >= s->end || *s->p != ':')
        return scan_fail (s, "expected “:”");
      s->p++;
      scan_ws (s);
    }
}

static void
scan_position (const JsonScan *s, guint *line, guint *column)
{
  *line = 1;
  *column = 1;
  for (const char *q = s->start; q < s->p && q < s->end; q++)
    {
      if (*q == '\n')
        {
          (*line)++;
          *column = 1;
        }
      else
        (*column)++;
    }
}

/* Public API: readers */

JsonNode *
cs_json_parse_object (const char *data, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonScan scan = { data, data, data + len, NULL, FALSE, 0 };
  JsonNode *root;

  if (data == NULL || len == 0)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The request body is empty");
      return NULL;
    }
  if (len > G_MAXSSIZE)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_TOO_LARGE, "The request body is too large");
      return NULL;
    }

  scan_ws (&scan);
  if (scan.p == scan.end)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The request body is empty");
      return NULL;
    }
  if (!scan_json (&scan))
    {
      guint line, column;

      scan_position (&scan, &line, &column);
      if (scan.too_large)
        g_set_error (error, CS_ERROR, CS_ERROR_MALFORMED,
                     "The request body has a number too large for an integer (line %u, column %u)",
                     line, column);
      else
        g_set_error (error, CS_ERROR, CS_ERROR_MALFORMED,
                     "The request body is not valid JSON: %s (line %u, column %u)",
                     scan.problem, line, column);
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    {
      g_set_error (error, CS_ERROR, CS_ERROR_MALFORMED,
                   "The request body is not valid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED, "The request body is empty");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_MALFORMED,
                           "The request body must be a JSON object");
      return NULL;
    }
  return json_node_ref (root);
}

/* The member @name, or NULL when absent or JSON null. */
static JsonNode *
get_present_member (JsonObject *obj, const char *name)
{
  JsonNode *node;

  if (obj == NULL)
    return NULL;
  node = json_object_get_member (obj, name);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
node_is_type (JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
check_string (JsonNode *node, const char *name, glong min_chars, glong max_chars,
              gboolean multiline, CsValidation *v)
{
  const char *s;
  glong len;

  if (!node_is_type (node, G_TYPE_STRING))
    {
      cs_validation_add (v, name, "must be a string");
      return FALSE;
    }
  s = json_node_get_string (node);
  if (s == NULL)
    s = "";
  if (!cs_text_is_clean (s, multiline))
    {
      if (!multiline && strpbrk (s, "\n\r") != NULL && cs_text_is_clean (s, TRUE))
        cs_validation_add (v, name, "must be a single line");
      else
        cs_validation_add (v, name, "must not contain control characters");
      return FALSE;
    }
  len = cs_text_length (s);
  if (len < min_chars)
    {
      if (min_chars == 1)
        cs_validation_add (v, name, "must not be empty");
      else
        cs_validation_add (v, name, "must be at least %ld characters", min_chars);
      return FALSE;
    }
  if (max_chars >= 0 && len > max_chars)
    {
      cs_validation_add (v, name, "must be at most %ld characters", max_chars);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_int (JsonNode *node, const char *name, gint64 min, gint64 max,
           const char *type_message, CsValidation *v, gint64 *value)
{
  gint64 i;

  if (!node_is_type (node, G_TYPE_INT64))
    {
      cs_validation_add (v, name, "%s", type_message);
      return FALSE;
    }
  i = json_node_get_int (node);
  if (i < min || i > max)
    {
      cs_validation_add (v, name, "must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                         min, max);
      return FALSE;
    }
  *value = i;
  return TRUE;
}

gboolean
cs_json_read_string (JsonObject *obj, const char *name, gboolean required,
                     glong min_chars, glong max_chars, gboolean multiline,
                     CsValidation *v, char **out)
{
  JsonNode *node = get_present_member (obj, name);

  g_return_val_if_fail (name != NULL && v != NULL && out != NULL, FALSE);

  if (node == NULL)
    {
      if (required)
        cs_validation_add (v, name, "is required");
      return FALSE;
    }
  if (!check_string (node, name, min_chars, max_chars, multiline, v))
    return FALSE;
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

gboolean
cs_json_read_string_nullable (JsonObject *obj, const char *name, glong min_chars,
                              glong max_chars, gboolean multiline, CsValidation *v,
                              char **out, gboolean *is_null)
{
  JsonNode *node;

  g_return_val_if_fail (name != NULL && v != NULL && out != NULL, FALSE);

  node = obj != NULL ? json_object_get_member (obj, name) : NULL;
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      *out = NULL;
      if (is_null != NULL)
        *is_null = TRUE;
      return TRUE;
    }
  if (!check_string (node, name, min_chars, max_chars, multiline, v))
    return FALSE;
  *out = g_strdup (json_node_get_string (node));
  if (is_null != NULL)
    *is_null = FALSE;
  return TRUE;
}

static gboolean
read_int_with_message (JsonObject *obj, const char *name, gboolean required,
                       gint64 min, gint64 max, const char *type_message,
                       CsValidation *v, gint64 *out)
{
  JsonNode *node = get_present_member (obj, name);
  gint64 value;

  g_return_val_if_fail (name != NULL && v != NULL && out != NULL, FALSE);

  if (node == NULL)
    {
      if (required)
        cs_validation_add (v, name, "is required");
      return FALSE;
    }
  if (!check_int (node, name, min, max, type_message, v, &value))
    return FALSE;
  *out = value;
  return TRUE;
}

gboolean
cs_json_read_int (JsonObject *obj, const char *name, gboolean required,
                  gint64 min, gint64 max, CsValidation *v, gint64 *out)
{
  return read_int_with_message (obj, name, required, min, max,
                                "must be a whole number", v, out);
}

gboolean
cs_json_read_amount (JsonObject *obj, const char *name, gboolean required,
                     gint64 min, gint64 max, CsValidation *v, gint64 *out)
{
  return read_int_with_message (obj, name, required, min, max,
                                "must be a whole number (in minor units)", v, out);
}

gboolean
cs_json_read_int_nullable (JsonObject *obj, const char *name, gint64 min, gint64 max,
                           CsValidation *v, gint64 *out, gboolean *is_null)
{
  JsonNode *node;
  gint64 value;

  g_return_val_if_fail (name != NULL && v != NULL && out != NULL, FALSE);

  node = obj != NULL ? json_object_get_member (obj, name) : NULL;
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (is_null != NULL)
        *is_null = TRUE;
      return TRUE;
    }
  if (!check_int (node, name, min, max, "must be a whole number or null", v, &value))
    return FALSE;
  *out = value;
  if (is_null != NULL)
    *is_null = FALSE;
  return TRUE;
}

gboolean
cs_json_read_bool (JsonObject *obj, const char *name, gboolean required,
                   CsValidation *v, gboolean *out)
{
  JsonNode *node = get_present_member (obj, name);

  g_return_val_if_fail (name != NULL && v != NULL && out != NULL, FALSE);

  if (node == NULL)
    {
      if (required)
        cs_validation_add (v, name, "is required");
      return FALSE;
    }
  if (!node_is_type (node, G_TYPE_BOOLEAN))
    {
      cs_validation_add (v, name, "must be true or false");
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

void
cs_json_reject_unknown (JsonObject *obj, const char * const *allowed, CsValidation *v)
{
  JsonObjectIter iter;
  const char *member;

  g_return_if_fail (v != NULL);

  if (obj == NULL)
    return;

  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &member, NULL))
    {
      if (allowed == NULL || !g_strv_contains (allowed, member))
        cs_validation_add (v, member, "is not a known field");
    }
}

const char *
cs_json_get_string_or (JsonObject *obj, const char *name, const char *def)
{
  JsonNode *node = get_present_member (obj, name);

  if (node == NULL || !node_is_type (node, G_TYPE_STRING))
    return def;
  return json_node_get_string (node);
}

gint64
cs_json_get_int_or (JsonObject *obj, const char *name, gint64 def)
{
  JsonNode *node = get_present_member (obj, name);

  if (node == NULL || !node_is_type (node, G_TYPE_INT64))
    return def;
  return json_node_get_int (node);
}

gboolean
cs_json_get_bool_or (JsonObject *obj, const char *name, gboolean def)
{
  JsonNode *node = get_present_member (obj, name);

  if (node == NULL || !node_is_type (node, G_TYPE_BOOLEAN))
    return def;
  return json_node_get_boolean (node);
}

gint64
cs_json_get_time (JsonObject *obj, const char *name)
{
  const char *text = cs_json_get_string_or (obj, name, NULL);
  gint64 seconds;

  if (text == NULL || !cs_time_parse (text, &seconds))
    return 0;
  return seconds;
}
