/* test-util.c: ids, random bytes, base64url, time, hashing, text checks. */
#include "config.h"

#include <string.h>
#include <time.h>

#include <crowdspark-core.h>

static void
test_random_bytes (void)
{
  guint8 a[64] = { 0 }, b[64] = { 0 };
  guint8 zero[64] = { 0 };

  cs_random_bytes (a, sizeof a);
  cs_random_bytes (b, sizeof b);
  g_assert_true (memcmp (a, zero, sizeof a) != 0);
  g_assert_true (memcmp (a, b, sizeof a) != 0);
  cs_random_bytes (NULL, 0);

  {
    /* Larger than one getrandom() call may return at once. */
    g_autofree guint8 *big = g_malloc0 (1 << 20);
    gsize zeros = 0;

    cs_random_bytes (big, 1 << 20);
    for (gsize i = 0; i < (1 << 20); i++)
      zeros += big[i] == 0;
    g_assert_cmpuint (zeros, <, 8000);  /* ~4096 expected */
  }
}

static void
test_ids (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint counts[256] = { 0 };

  for (int i = 0; i < 5000; i++)
    {
      char *id = cs_id_new ("cmp");

      g_assert_true (g_str_has_prefix (id, "cmp_"));
      g_assert_cmpuint (strlen (id), ==, 4 + 20);
      for (const char *p = id + 4; *p != '\0'; p++)
        {
          g_assert_true ((*p >= 'a' && *p <= 'z') || (*p >= '2' && *p <= '7'));
          counts[(guchar) *p]++;
        }
      g_assert_true (cs_id_is_valid (id));
      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, id);
    }

  /* Ids sort by the time they were made (their first 9 characters are
   * milliseconds): a later millisecond sorts after an earlier one. */
  {
    g_autofree char *first = cs_id_new ("pl");
    char *later = NULL;

    do
      {
        g_free (later);
        later = cs_id_new ("pl");
      }
    while (strncmp (first, later, 3 + 9) == 0);
    g_assert_cmpint (strcmp (first, later), <, 0);
    g_free (later);
  }

  /* Every one of the 32 characters turns up. */
  for (const char *p = "abcdefghijklmnopqrstuvwxyz234567"; *p != '\0'; p++)
    g_assert_cmpuint (counts[(guchar) *p], >, 0);

  {
    g_autofree char *tier = cs_id_new ("tier");
    g_autofree char *bare = cs_id_new (NULL);

    g_assert_true (g_str_has_prefix (tier, "tier_"));
    g_assert_cmpuint (strlen (tier), ==, 25);
    g_assert_cmpuint (strlen (bare), ==, 20);
    g_assert_null (strchr (bare, '_'));
  }
}

static void
test_id_is_valid (void)
{
  g_autofree char *long64 = g_strnfill (64, 'a');
  g_autofree char *long65 = g_strnfill (65, 'a');

  g_assert_true (cs_id_is_valid ("usr_abc234"));
  g_assert_true (cs_id_is_valid ("a"));
  g_assert_true (cs_id_is_valid ("some-slug_09"));
  g_assert_true (cs_id_is_valid (long64));
  g_assert_false (cs_id_is_valid (long65));
  g_assert_false (cs_id_is_valid (""));
  g_assert_false (cs_id_is_valid (NULL));
  g_assert_false (cs_id_is_valid ("USR_abc"));
  g_assert_false (cs_id_is_valid ("usr abc"));
  g_assert_false (cs_id_is_valid ("usr/../x"));
  g_assert_false (cs_id_is_valid ("usr_é"));
  g_assert_false (cs_id_is_valid ("usr'; DROP TABLE"));
}

static void
test_tokens (void)
{
  for (gsize n = 0; n < 70; n++)
    {
      g_autofree char *token = cs_token_new (n);
      g_autofree guint8 *bytes = NULL;
      gsize len = 99;

      g_assert_cmpuint (strlen (token), ==, (n * 4 + 2) / 3);
      bytes = cs_base64url_decode (token, &len);
      g_assert_nonnull (bytes);
      g_assert_cmpuint (len, ==, n);
    }

  {
    g_autofree char *a = cs_token_new (32);
    g_autofree char *b = cs_token_new (32);

    g_assert_cmpstr (a, !=, b);
    g_assert_null (strpbrk (a, "+/="));
  }
}

static void
test_base64url_vectors (void)
{
  /* RFC 4648 §10, in the URL-safe alphabet without padding. */
  static const struct { const char *plain; const char *encoded; } vectors[] = {
    { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
    { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
  };
  static const guint8 special[] = { 0xfb, 0xff, 0xbf };

  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *enc = cs_base64url_encode ((const guint8 *) vectors[i].plain,
                                                  strlen (vectors[i].plain));
      g_autofree guint8 *dec = NULL;
      gsize len = 99;

      g_assert_cmpstr (enc, ==, vectors[i].encoded);
      dec = cs_base64url_decode (vectors[i].encoded, &len);
      g_assert_nonnull (dec);
      g_assert_cmpmem (dec, len, vectors[i].plain, strlen (vectors[i].plain));
    }

  {
    g_autofree char *enc = cs_base64url_encode (special, sizeof special);
    g_assert_cmpstr (enc, ==, "-_-_");
  }
}

static void
test_base64url_round_trip (void)
{
  for (gsize n = 0; n < 300; n++)
    {
      g_autofree guint8 *data = g_malloc (n + 1);
      g_autofree char *enc = NULL;
      g_autofree guint8 *dec = NULL;
      gsize len = 0;

      cs_random_bytes (data, n);
      enc = cs_base64url_encode (data, n);
      g_assert_null (strpbrk (enc, "+/="));
      dec = cs_base64url_decode (enc, &len);
      g_assert_nonnull (dec);
      g_assert_cmpmem (dec, len, data, n);
    }
}

static void
test_base64url_invalid (void)
{
  static const char * const bad[] = {
    "Z",        /* a length of 4k + 1 is impossible */
    "Zm9vY",
    "Zm9v!",
    "Zm9v Yg",
    "Zm+v",     /* the standard alphabet */
    "Zm/v",
    "Zg==",     /* padding */
    "Zh",       /* non-canonical: unused bits set */
    "Zm9",
    "é",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gsize len = 99;
      guint8 *dec = cs_base64url_decode (bad[i], &len);

      if (dec != NULL)
        g_error ("“%s” decoded", bad[i]);
      g_assert_cmpuint (len, ==, 0);
    }
  g_assert_null (cs_base64url_decode (NULL, NULL));
}

static void
test_sha256 (void)
{
  g_autofree char *empty = cs_sha256_hex ("");
  g_autofree char *abc = cs_sha256_hex ("abc");
  g_autofree char *fox = cs_sha256_hex ("The quick brown fox jumps over the lazy dog");

  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_cmpstr (abc, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_cmpstr (fox, ==, "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}

static void
test_hash64 (void)
{
  const char *text = "The quick brown fox jumps over the lazy dog, twice over.";
  char copy[64];

  /* equal bytes hash equal, whatever their alignment; any change moves it */
  memcpy (copy + 1, text, strlen (text));
  g_assert_cmphex (cs_hash64 (text, strlen (text)), ==, cs_hash64 (copy + 1, strlen (text)));
  copy[10] ^= 1;
  g_assert_cmphex (cs_hash64 (text, strlen (text)), !=, cs_hash64 (copy + 1, strlen (text)));
  for (gsize len = 0; len < strlen (text); len++)
    g_assert_cmphex (cs_hash64 (text, len), !=, cs_hash64 (text, len + 1));
  g_assert_cmphex (cs_hash64 ("", 0), !=, 0);
}

static void
test_time_format (void)
{
  static const struct { gint64 t; const char *text; } cases[] = {
    { 0, "1970-01-01T00:00:00Z" },
    { 1795476307, "2026-11-23T23:25:07Z" },
    { 1709208000, "2024-02-29T12:00:00Z" },
    { -1, "1969-12-31T23:59:59Z" },
    { -14182940, "1969-07-20T20:17:40Z" },
    { 253402300799, "9999-12-31T23:59:59Z" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = cs_time_format (cases[i].t);
      gint64 back = 0;

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_true (cs_time_parse (text, &back));
      g_assert_cmpint (back, ==, cases[i].t);
    }
}

static void
test_time_format_extremes (void)
{
  g_autofree char *y10k = cs_time_format (253402300800);
  g_autofree char *ancient = cs_time_format (-62135596800);  /* 0001-01-01 */
  g_autofree char *huge = cs_time_format (G_MAXINT64);
  g_autofree char *tiny = cs_time_format (G_MININT64);

  g_assert_cmpstr (y10k, ==, "10000-01-01T00:00:00Z");
  g_assert_cmpstr (ancient, ==, "0001-01-01T00:00:00Z");
  /* Absurd values are clamped, never garbage or a crash. */
  g_assert_true (g_str_has_suffix (huge, "Z"));
  g_assert_true (g_str_has_suffix (tiny, "Z"));
}

static void
test_time_parse (void)
{
  static const struct { const char *text; gint64 t; } good[] = {
    { "2026-11-23T23:25:07Z", 1795476307 },
    { "2026-11-23t23:25:07z", 1795476307 },
    { "2026-11-23 23:25:07Z", 1795476307 },
    { "2026-11-24T01:25:07+02:00", 1795476307 },
    { "2026-11-23T18:55:07-04:30", 1795476307 },
    { "2026-11-23T23:25:07+00:00", 1795476307 },
    { "2026-11-23T23:25:07-00:00", 1795476307 },
    { "2026-11-23T23:25:07.999Z", 1795476307 },
    { "2026-11-23T23:25:07.123456789+00:00", 1795476307 },
    { "1970-01-01T00:00:00Z", 0 },
    { "2024-02-29T12:00:00Z", 1709208000 },
    { "2016-12-31T23:59:60Z", 1483228800 },  /* a leap second */
  };
  static const char * const bad[] = {
    "", "2026-11-23", "2026-11-23T23:25:07", "2026-11-23T23:25Z", "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
    "2026-11-23T24:00:00Z", "2026-11-23T23:60:00Z", "2026-11-23T23:25:61Z",
    "2026-11-23T23:25:07.Z", "2026-11-23T23:25:07+2:00", "2026-11-23T23:25:07+0200",
    "2026-11-23T23:25:07+24:00", "2026-11-23T23:25:07Zjunk", " 2026-11-23T23:25:07Z",
    "26-11-23T23:25:07Z", "2026-1-23T23:25:07Z", "2026/11/23T23:25:07Z", "now",
  };
  gint64 t;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      t = -42;
      if (!cs_time_parse (good[i].text, &t))
        g_error ("“%s” was rejected", good[i].text);
      g_assert_cmpint (t, ==, good[i].t);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      t = -42;
      if (cs_time_parse (bad[i], &t))
        g_error ("“%s” was accepted", bad[i]);
      g_assert_cmpint (t, ==, -42);
    }
  g_assert_false (cs_time_parse (NULL, &t));
}

static void
test_time_round_trip (void)
{
  for (int i = 0; i < 10000; i++)
    {
      gint64 t = (gint64) g_test_rand_int_range (-100000, 100000) * 86400 +
                 g_test_rand_int_range (0, 86400);
      g_autofree char *text = cs_time_format (t);
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
      g_autofree char *expected = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
      gint64 back = 0;

      g_assert_cmpstr (text, ==, expected);
      g_assert_true (cs_time_parse (text, &back));
      g_assert_cmpint (back, ==, t);
    }
}

static void
test_dates (void)
{
  GDate date;

  g_assert_true (cs_date_parse ("2027-03-15", &date));
  g_assert_cmpint (g_date_get_year (&date), ==, 2027);
  g_assert_cmpint (g_date_get_month (&date), ==, G_DATE_MARCH);
  g_assert_cmpint (g_date_get_day (&date), ==, 15);
  g_assert_true (cs_date_parse ("2024-02-29", NULL));
  g_assert_true (cs_date_is_valid_text ("0001-01-01"));
  g_assert_true (cs_date_is_valid_text ("9999-12-31"));

  g_assert_false (cs_date_is_valid_text ("2023-02-29"));
  g_assert_false (cs_date_is_valid_text ("2100-02-29"));
  g_assert_false (cs_date_is_valid_text ("0000-01-01"));
  g_assert_false (cs_date_is_valid_text ("2024-1-01"));
  g_assert_false (cs_date_is_valid_text ("2024-01-01T00:00:00Z"));
  g_assert_false (cs_date_is_valid_text ("2024-01-01 "));
  g_assert_false (cs_date_is_valid_text ("2024-13-01"));
  g_assert_false (cs_date_is_valid_text ("2024-12-32"));
  g_assert_false (cs_date_is_valid_text ("soon"));
  g_assert_false (cs_date_is_valid_text (""));
  g_assert_false (cs_date_is_valid_text (NULL));
}

static void
test_now (void)
{
  gint64 now = cs_now_seconds ();

  g_assert_cmpint (now, >, 1700000000);
  g_assert_cmpint (ABS (now - (gint64) time (NULL)), <=, 1);
}

static void
test_text_is_clean (void)
{
  g_assert_true (cs_text_is_clean ("", FALSE));
  g_assert_true (cs_text_is_clean ("Plain ASCII ~!@#", FALSE));
  g_assert_true (cs_text_is_clean ("héllo wörld 😀 日本", FALSE));
  g_assert_true (cs_text_is_clean ("line\u2028sep", FALSE));

  g_assert_false (cs_text_is_clean ("two\nlines", FALSE));
  g_assert_true (cs_text_is_clean ("two\nlines", TRUE));
  g_assert_false (cs_text_is_clean ("tab\there", FALSE));
  g_assert_true (cs_text_is_clean ("tab\there", TRUE));
  g_assert_false (cs_text_is_clean ("cr\r\n", FALSE));
  g_assert_true (cs_text_is_clean ("cr\r\n", TRUE));

  g_assert_false (cs_text_is_clean ("bell\a", TRUE));
  g_assert_false (cs_text_is_clean ("esc\x1b[31m", TRUE));
  g_assert_false (cs_text_is_clean ("del\x7f", TRUE));
  g_assert_false (cs_text_is_clean ("c1\xc2\x85", TRUE));   /* U+0085 */
  g_assert_false (cs_text_is_clean ("c1\xc2\x9f", TRUE));   /* U+009F */
  g_assert_true (cs_text_is_clean ("nbsp\xc2\xa0", TRUE));  /* U+00A0 is fine */

  g_assert_false (cs_text_is_clean ("bad\xff", TRUE));
  g_assert_false (cs_text_is_clean ("cut\xe2\x82", TRUE));
  g_assert_false (cs_text_is_clean ("overlong\xc0\xaf", TRUE));
  g_assert_false (cs_text_is_clean ("surrogate\xed\xa0\x80", TRUE));
  g_assert_false (cs_text_is_clean (NULL, TRUE));
}

static void
test_text_length (void)
{
  g_assert_cmpint (cs_text_length (""), ==, 0);
  g_assert_cmpint (cs_text_length (NULL), ==, 0);
  g_assert_cmpint (cs_text_length ("abc"), ==, 3);
  g_assert_cmpint (cs_text_length ("héllo"), ==, 5);
  g_assert_cmpint (cs_text_length ("😀😀"), ==, 2);
  g_assert_cmpint (cs_text_length ("日本語"), ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/util/random-bytes", test_random_bytes);
  g_test_add_func ("/core/util/ids", test_ids);
  g_test_add_func ("/core/util/id-is-valid", test_id_is_valid);
  g_test_add_func ("/core/util/tokens", test_tokens);
  g_test_add_func ("/core/util/base64url/vectors", test_base64url_vectors);
  g_test_add_func ("/core/util/base64url/round-trip", test_base64url_round_trip);
  g_test_add_func ("/core/util/base64url/invalid", test_base64url_invalid);
  g_test_add_func ("/core/util/sha256", test_sha256);
  g_test_add_func ("/core/util/hash64", test_hash64);
  g_test_add_func ("/core/util/time/format", test_time_format);
  g_test_add_func ("/core/util/time/format-extremes", test_time_format_extremes);
  g_test_add_func ("/core/util/time/parse", test_time_parse);
  g_test_add_func ("/core/util/time/round-trip", test_time_round_trip);
  g_test_add_func ("/core/util/dates", test_dates);
  g_test_add_func ("/core/util/now", test_now);
  g_test_add_func ("/core/util/text/is-clean", test_text_is_clean);
  g_test_add_func ("/core/util/text/length", test_text_length);

  return g_test_run ();
}
