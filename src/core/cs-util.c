/* cs-util.c: ids, random bytes, time and small string helpers. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "cs-util.h"
#include "cs-util-private.h"

/* Helpers */

static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char base64url_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
base64url_value (guchar c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

/* Reads exactly @n decimal digits at *p into *out and advances *p. */
static gboolean
read_digits (const char **p, int n, int *out)
{
  int value = 0;

  for (int i = 0; i < n; i++)
    {
      char c = (*p)[i];

      if (c < '0' || c > '9')
        return FALSE;
      value = value * 10 + (c - '0');
    }
  *p += n;
  *out = value;
  return TRUE;
}

static gboolean
is_leap_year (int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month (int y, int m)
{
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  if (m == 2 && is_leap_year (y))
    return 29;
  return days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static gint64
days_from_civil (gint64 y, int m, int d)
{
  gint64 era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
 * civil_from_days). */
static void
civil_from_days (gint64 z, gint64 *y_out, int *m_out, int *d_out)
{
  gint64 era, doe, yoe, doy, mp;
  gint64 y;
  int m;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d_out = (int) (doy - (153 * mp + 2) / 5 + 1);
  m = (int) (mp < 10 ? mp + 3 : mp - 9);
  *m_out = m;
  *y_out = y + (m <= 2);
}

/* Parses "YYYY-MM-DD" at *p, advancing it. */
static gboolean
parse_date_part (const char **p, int *y, int *m, int *d)
{
  const char *s = *p;

  if (!read_digits (&s, 4, y) || *s++ != '-' ||
      !read_digits (&s, 2, m) || *s++ != '-' ||
      !read_digits (&s, 2, d))
    return FALSE;
  if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month (*y, *m))
    return FALSE;
  *p = s;
  return TRUE;
}

/* Public API */

void
cs_random_bytes (guint8 *buf, gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = getrandom (buf + done, len - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          /* Without a source of randomness nothing secure can be made. */
          g_error ("getrandom() failed: %s", g_strerror (errno));
        }
      done += (gsize) n;
    }
}

char *
cs_id_new (const char *prefix)
{
  /* The same 32 characters as base32_alphabet, in ASCII order, so that the
   * time part sorts like the time. */
  static const char ordered[] = "234567abcdefghijklmnopqrstuvwxyz";
  guint64 ms = (guint64) g_get_real_time () / 1000;
  guint8 bytes[7];
  char chars[20];
  guint64 acc = 0;
  int bits = 0;
  int n = 9;

  /* 9 characters of milliseconds (45 bits), then 11 random characters (55
   * bits): ids made close together are close in every index, so a burst
   * of inserts touches few B-tree pages instead of one random page each. */
  for (int i = 8; i >= 0; i--, ms >>= 5)
    chars[i] = ordered[ms & 0x1f];
  cs_random_bytes (bytes, sizeof bytes);
  for (gsize i = 0; i < sizeof bytes && n < 20; i++)
    {
      acc = (acc << 8) | bytes[i];
      bits += 8;
      while (bits >= 5 && n < 20)
        {
          bits -= 5;
          chars[n++] = base32_alphabet[(acc >> bits) & 0x1f];
        }
      acc &= (G_GUINT64_CONSTANT (1) << bits) - 1;
    }

  if (prefix == NULL || *prefix == '\0')
    return g_strndup (chars, sizeof chars);
  return g_strdup_printf ("%s_%.*s", prefix, (int) sizeof chars, chars);
}

gboolean
cs_id_is_valid (const char *id)
{
  gsize len = 0;

  if (id == NULL)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++, len++)
    {
      char c = *p;

      if (len >= 64)
        return FALSE;
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        return FALSE;
    }
  return len >= 1;
}

char *
cs_token_new (gsize nbytes)
{
  g_autofree guint8 *bytes = g_malloc (MAX (nbytes, 1));
  char *token;

  cs_random_bytes (bytes, nbytes);
  token = cs_base64url_encode (bytes, nbytes);
  explicit_bzero (bytes, nbytes);
  return token;
}

char *
cs_sha256_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text != NULL ? text : "", -1);
}

char *
cs_base64url_encode (const guint8 *data, gsize len)
{
  char *out;
  char *o;
  gsize i = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  out = g_malloc ((len + 2) / 3 * 4 + 1);
  o = out;

  for (; i + 3 <= len; i += 3)
    {
      guint32 v = ((guint32) data[i] << 16) | ((guint32) data[i + 1] << 8) | data[i + 2];

      *o++ = base64url_alphabet[(v >> 18) & 0x3f];
      *o++ = base64url_alphabet[(v >> 12) & 0x3f];
      *o++ = base64url_alphabet[(v >> 6) & 0x3f];
      *o++ = base64url_alphabet[v & 0x3f];
    }
  if (len - i == 1)
    {
      guint32 v = (guint32) data[i] << 16;

      *o++ = base64url_alphabet[(v >> 18) & 0x3f];
      *o++ = base64url_alphabet[(v >> 12) & 0x3f];
    }
  else if (len - i == 2)
    {
      guint32 v = ((guint32) data[i] << 16) | ((guint32) data[i + 1] << 8);

      *o++ = base64url_alphabet[(v >> 18) & 0x3f];
      *o++ = base64url_alphabet[(v >> 12) & 0x3f];
      *o++ = base64url_alphabet[(v >> 6) & 0x3f];
    }
  *o = '\0';
  return out;
}

guint8 *
cs_base64url_decode (const char *text, gsize *out_len)
{
  gsize len, full, rest;
  g_autofree guint8 *out = NULL;
  gsize o = 0;
  gsize i;

  if (out_len != NULL)
    *out_len = 0;
  if (text == NULL)
    return NULL;

  len = strlen (text);
  full = len / 4 * 4;
  rest = len - full;
  if (rest == 1)
    return NULL;

  out = g_malloc (len / 4 * 3 + 3);

  for (i = 0; i < full; i += 4)
    {
      int a = base64url_value (text[i]);
      int b = base64url_value (text[i + 1]);
      int c = base64url_value (text[i + 2]);
      int d = base64url_value (text[i + 3]);
      guint32 v;

      if (a < 0 || b < 0 || c < 0 || d < 0)
        return NULL;
      v = ((guint32) a << 18) | ((guint32) b << 12) | ((guint32) c << 6) | (guint32) d;
      out[o++] = (guint8) (v >> 16);
      out[o++] = (guint8) (v >> 8);
      out[o++] = (guint8) v;
    }

  if (rest > 0)
    {
      int a = base64url_value (text[i]);
      int b = base64url_value (text[i + 1]);
      int c = rest == 3 ? base64url_value (text[i + 2]) : 0;
      guint32 v;

      if (a < 0 || b < 0 || c < 0)
        return NULL;
      v = ((guint32) a << 18) | ((guint32) b << 12) | ((guint32) c << 6);
      /* Only the canonical encoding (unused bits zero) is accepted. */
      if (rest == 2 && (v & 0xffff) != 0)
        return NULL;
      if (rest == 3 && (v & 0xff) != 0)
        return NULL;
      out[o++] = (guint8) (v >> 16);
      if (rest == 3)
        out[o++] = (guint8) (v >> 8);
    }

  if (out_len != NULL)
    *out_len = o;
  return g_steal_pointer (&out);
}

static inline void
put2 (char *p, int v)
{
  p[0] = (char) ('0' + v / 10);
  p[1] = (char) ('0' + v % 10);
}

gsize
cs_time_format_buf (gint64 unix_seconds, char *buf)
{
  /* Floor division, so that times before 1970 work too; the range keeps
   * every intermediate value far from overflow. */
  gint64 t = CLAMP (unix_seconds, -(G_GINT64_CONSTANT (1) << 50), G_GINT64_CONSTANT (1) << 50);
  gint64 days = t / 86400;
  gint64 secs = t % 86400;
  gint64 y;
  int m, d;

  if (secs < 0)
    {
      secs += 86400;
      days--;
    }
  civil_from_days (days, &y, &m, &d);

  if (y < 0 || y > 9999)
    return (gsize) g_snprintf (buf, CS_TIME_BUF_SIZE, "%04" G_GINT64_FORMAT "-%02d-%02dT%02d:%02d:%02dZ",
                               y, m, d, (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));

  put2 (buf, (int) (y / 100));
  put2 (buf + 2, (int) (y % 100));
  buf[4] = '-';
  put2 (buf + 5, m);
  buf[7] = '-';
  put2 (buf + 8, d);
  buf[10] = 'T';
  put2 (buf + 11, (int) (secs / 3600));
  buf[13] = ':';
  put2 (buf + 14, (int) (secs / 60 % 60));
  buf[16] = ':';
  put2 (buf + 17, (int) (secs % 60));
  buf[19] = 'Z';
  buf[20] = '\0';
  return 20;
}

char *
cs_time_format (gint64 unix_seconds)
{
  char buf[CS_TIME_BUF_SIZE];
  gsize len = cs_time_format_buf (unix_seconds, buf);

  return g_strndup (buf, len);
}

gboolean
cs_time_parse (const char *text, gint64 *unix_seconds_out)
{
  const char *p = text;
  int y, mo, d, h, mi, s;
  int off_h = 0, off_m = 0, off_sign = 0;
  gint64 result;

  if (text == NULL)
    return FALSE;

  if (!parse_date_part (&p, &y, &mo, &d))
    return FALSE;
  if (*p != 'T' && *p != 't' && *p != ' ')
    return FALSE;
  p++;
  if (!read_digits (&p, 2, &h) || *p++ != ':' ||
      !read_digits (&p, 2, &mi) || *p++ != ':' ||
      !read_digits (&p, 2, &s))
    return FALSE;
  /* 60 is a leap second. */
  if (h > 23 || mi > 59 || s > 60)
    return FALSE;

  if (*p == '.')
    {
      p++;
      if (*p < '0' || *p > '9')
        return FALSE;
      while (*p >= '0' && *p <= '9')
        p++;
    }

  if (*p == 'Z' || *p == 'z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      off_sign = *p == '-' ? -1 : 1;
      p++;
      if (!read_digits (&p, 2, &off_h) || *p++ != ':' || !read_digits (&p, 2, &off_m))
        return FALSE;
      if (off_h > 23 || off_m > 59)
        return FALSE;
    }
  else
    return FALSE;

  if (*p != '\0')
    return FALSE;

  result = days_from_civil (y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  result -= off_sign * (off_h * 3600 + off_m * 60);

  if (unix_seconds_out != NULL)
    *unix_seconds_out = result;
  return TRUE;
}

gboolean
cs_date_parse (const char *text, GDate *out)
{
  const char *p = text;
  int y, m, d;

  if (text == NULL || !parse_date_part (&p, &y, &m, &d) || *p != '\0')
    return FALSE;
  if (y < 1 || !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;

  if (out != NULL)
    {
      g_date_clear (out, 1);
      g_date_set_dmy (out, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
    }
  return TRUE;
}

gboolean
cs_date_is_valid_text (const char *text)
{
  return cs_date_parse (text, NULL);
}

gint64
cs_now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

gboolean
cs_text_is_clean (const char *s, gboolean allow_newlines)
{
  const guchar *p = (const guchar *) s;

  if (s == NULL)
    return FALSE;

  while (*p != '\0')
    {
      guchar c = *p;

      if (c >= 0x20 && c < 0x7f)
        {
          p++;
          continue;
        }
      if (c < 0x80)
        {
          /* C0 controls and DEL. */
          if (allow_newlines && (c == '\n' || c == '\t' || c == '\r'))
            {
              p++;
              continue;
            }
          return FALSE;
        }
      else
        {
          const char *next;
          gunichar ch = g_utf8_get_char_validated ((const char *) p, -1);

          if (ch == (gunichar) -1 || ch == (gunichar) -2)
            return FALSE;
          /* C1 controls. */
          if (ch >= 0x80 && ch <= 0x9f)
            return FALSE;
          next = g_utf8_next_char ((const char *) p);
          p = (const guchar *) next;
        }
    }
  return TRUE;
}

glong
cs_text_length (const char *s)
{
  if (s == NULL)
    return 0;
  return g_utf8_strlen (s, -1);
}


static inline guint64
hash_mix (guint64 h, guint64 word)
{
  h ^= word * G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h = (h << 31) | (h >> 33);
  return h * G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
}

guint64
cs_hash64 (const void *data, gsize len)
{
  const guint8 *p = data;
  guint64 a = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) ^ len;
  guint64 b = G_GUINT64_CONSTANT (0x6a09e667f3bcc909);
  guint64 tail = 0;
  guint64 h;

  /* two independent lanes so the multiplies overlap */
  while (len >= 16)
    {
      guint64 w1, w2;

      memcpy (&w1, p, 8);
      memcpy (&w2, p + 8, 8);
      a = hash_mix (a, GUINT64_FROM_LE (w1));
      b = hash_mix (b, GUINT64_FROM_LE (w2));
      p += 16;
      len -= 16;
    }
  if (len >= 8)
    {
      guint64 w;

      memcpy (&w, p, 8);
      a = hash_mix (a, GUINT64_FROM_LE (w));
      p += 8;
      len -= 8;
    }
  for (gsize i = 0; i < len; i++)
    tail |= (guint64) p[i] << (8 * i);
  b = hash_mix (b, tail);

  /* murmur3's finaliser */
  h = a ^ (b * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  h ^= h >> 33;
  return h;
}
