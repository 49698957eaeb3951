/* test-json.c: the JSON writer, the request parser, the typed readers and the
 * round trips of the models (write_json → parse → from_json). */
#include "config.h"

#include <string.h>

#include <crowdspark-core.h>

/* Helpers */

static char *
write_string_value (const char *s)
{
  CsJsonWriter *w = cs_json_writer_new ();

  cs_json_writer_string (w, s);
  return cs_json_writer_free_to_string (w);
}

/* Parses any JSON text with json-glib (not only objects). */
static JsonNode *
parse_any (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, json, -1, &error))
    g_error ("json-glib cannot parse %s: %s", json, error->message);
  return json_node_ref (json_parser_get_root (parser));
}

static JsonNode *
parse_object (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = cs_json_parse_object (json, strlen (json), &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static void
assert_field (CsValidation *v, const char *field, const char *message)
{
  g_autoptr(GError) error = NULL;
  GHashTable *fields;

  g_assert_false (cs_validation_finish (v, "x", &error));
  fields = cs_error_get_fields (error);
  g_assert_nonnull (fields);
  if (message != NULL)
    g_assert_cmpstr (g_hash_table_lookup (fields, field), ==, message);
  else
    g_assert_true (g_hash_table_contains (fields, field));
}

static guint
n_errors (CsValidation *v)
{
  g_autoptr(GError) error = NULL;

  if (cs_validation_finish (v, "x", &error))
    return 0;
  return g_hash_table_size (cs_error_get_fields (error));
}

/* Writer */

static void
test_writer_structure (void)
{
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();

  cs_json_writer_begin_object (w);
  cs_json_writer_key (w, "a");
  cs_json_writer_begin_array (w);
  cs_json_writer_int (w, 1);
  cs_json_writer_int (w, -2);
  cs_json_writer_begin_object (w);
  cs_json_writer_member_null (w, "b");
  cs_json_writer_end_object (w);
  cs_json_writer_begin_array (w);
  cs_json_writer_end_array (w);
  cs_json_writer_begin_object (w);
  cs_json_writer_end_object (w);
  cs_json_writer_end_array (w);
  cs_json_writer_member_bool (w, "c", TRUE);
  cs_json_writer_member_bool (w, "d", FALSE);
  cs_json_writer_member_string (w, "e", "x");
  cs_json_writer_member_string (w, "f", NULL);
  cs_json_writer_member_time (w, "t", 1);
  cs_json_writer_member_time (w, "u", 0);
  cs_json_writer_member_int (w, "min", G_MININT64);
  cs_json_writer_member_int (w, "max", G_MAXINT64);
  cs_json_writer_member_int (w, "zero", 0);
  cs_json_writer_key (w, "raw");
  cs_json_writer_raw (w, "{\"x\":[1,2]}", -1);
  cs_json_writer_key (w, "raw2");
  cs_json_writer_raw (w, "123456", 3);
  cs_json_writer_key (w, "raw3");
  cs_json_writer_raw (w, NULL, -1);
  cs_json_writer_end_object (w);

  g_assert_cmpstr (cs_json_writer_get_string (w)->str, ==,
                   "{\"a\":[1,-2,{\"b\":null},[],{}],\"c\":true,\"d\":false,\"e\":\"x\","
                   "\"f\":null,\"t\":\"1970-01-01T00:00:01Z\",\"u\":null,"
                   "\"min\":-9223372036854775808,\"max\":9223372036854775807,\"zero\":0,"
                   "\"raw\":{\"x\":[1,2]},\"raw2\":123,\"raw3\":null}");

  {
    g_autoptr(JsonNode) node = parse_any (cs_json_writer_get_string (w)->str);
    JsonObject *obj = json_node_get_object (node);

    g_assert_cmpint (json_object_get_int_member (obj, "min"), ==, G_MININT64);
    g_assert_cmpint (json_object_get_int_member (obj, "max"), ==, G_MAXINT64);
  }
}

static void
test_writer_top_level_array (void)
{
  CsJsonWriter *w = cs_json_writer_new ();
  g_autoptr(GBytes) bytes = NULL;

  cs_json_writer_begin_array (w);
  cs_json_writer_string (w, "a");
  cs_json_writer_time (w, 1795476307);
  cs_json_writer_null (w);
  cs_json_writer_bool (w, TRUE);
  cs_json_writer_end_array (w);
  bytes = cs_json_writer_free_to_bytes (w);

  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   "[\"a\",\"2026-11-23T23:25:07Z\",null,true]",
                   strlen ("[\"a\",\"2026-11-23T23:25:07Z\",null,true]"));
}

static void
test_writer_deep (void)
{
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autoptr(GString) expected = g_string_new (NULL);
  const int depth = 300;  /* beyond the writer's inline stack */

  for (int i = 0; i < depth; i++)
    {
      cs_json_writer_begin_array (w);
      cs_json_writer_int (w, i);
      g_string_append_printf (expected, "[%d,", i);
    }
  g_string_truncate (expected, expected->len - 1);
  for (int i = depth - 1; i >= 0; i--)
    {
      cs_json_writer_end_array (w);
      g_string_append_c (expected, ']');
      if (i > 0)
        {
          cs_json_writer_int (w, -i);
          g_string_append_printf (expected, ",%d", -i);
        }
    }
  g_assert_cmpstr (cs_json_writer_get_string (w)->str, ==, expected->str);

  {
    g_autoptr(JsonNode) node = parse_any (expected->str);
    g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  }
}

static void
test_writer_for_string (void)
{
  g_autoptr(GString) out = g_string_new ("data: ");
  CsJsonWriter *w = cs_json_writer_new_for_string (out);
  g_autofree char *copy = NULL;

  cs_json_writer_begin_object (w);
  cs_json_writer_member_int (w, "n", 5);
  cs_json_writer_end_object (w);
  g_assert_true (cs_json_writer_get_string (w) == out);
  cs_json_writer_free (w);
  g_assert_cmpstr (out->str, ==, "data: {\"n\":5}");

  w = cs_json_writer_new_for_string (out);
  cs_json_writer_int (w, 7);
  copy = cs_json_writer_free_to_string (w);
  g_assert_cmpstr (copy, ==, "data: {\"n\":5}7");
  g_assert_cmpstr (out->str, ==, "data: {\"n\":5}7");

  cs_json_writer_free (NULL);
}

typedef struct {
  const char *in;
  const char *out;  /* without the quotes */
} EscapeCase;

static const EscapeCase escape_cases[] = {
  { "", "" },
  { "plain text 123", "plain text 123" },
  { "a\"b\\c/d", "a\\\"b\\\\c/d" },
  { "\b\f\n\r\t", "\\b\\f\\n\\r\\t" },
  { "\x01\x02\x1f", "\\u0001\\u0002\\u001f" },
  { "del\x7f", "del\\u007f" },
  { "é日本😀", "é日本😀" },
  { "\xc2\x85", "\xc2\x85" },  /* U+0085 is valid UTF-8: kept */
  { "a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029" },
  { "\xe2\x80\xa7", "\xe2\x80\xa7" },  /* U+2027: not escaped */
  { "a\xff" "b", "a\xef\xbf\xbd" "b" },
  { "\xe2\x82", "\xef\xbf\xbd" },  /* truncated at the end: one U+FFFD */
  { "\xe2\x82z", "\xef\xbf\xbdz" },
  { "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },  /* overlong */
  { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },  /* surrogate */
  { "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },  /* > U+10FFFF */
  { "\xf0\x9f\x98", "\xef\xbf\xbd" },
  { "\xf0\x9f\x98\x80\x80", "😀\xef\xbf\xbd" },
  { "\x80", "\xef\xbf\xbd" },
  { "mixed \"\n\xff\xe2\x80\xa8 end", "mixed \\\"\\n\xef\xbf\xbd\\u2028 end" },
};

static void
test_writer_escaping (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (escape_cases); i++)
    {
      g_autofree char *json = write_string_value (escape_cases[i].in);
      g_autofree char *expected = g_strdup_printf ("\"%s\"", escape_cases[i].out);

      g_assert_cmpstr (json, ==, expected);
      g_assert_true (g_utf8_validate (json, -1, NULL));
      {
        g_autoptr(JsonNode) node = parse_any (json);
        g_assert_true (JSON_NODE_HOLDS_VALUE (node));
      }
    }
}

static void
test_writer_key_escaping (void)
{
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autoptr(GString) direct = g_string_new (NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_int (w, "a\"b\n\xff", 1);
  cs_json_writer_member_string (w, NULL, "k");
  cs_json_writer_end_object (w);
  g_assert_cmpstr (cs_json_writer_get_string (w)->str, ==,
                   "{\"a\\\"b\\n\xef\xbf\xbd\":1,\"\":\"k\"}");

  cs_json_append_escaped (direct, "x\"y");
  cs_json_append_escaped (direct, NULL);
  g_assert_cmpstr (direct->str, ==, "\"x\\\"y\"\"\"");
}

/* The word-at-a-time fast path must see every special byte wherever it is:
 * each byte value at each position of a plain string, against a byte by
 * byte reference. */
static void
test_writer_escaping_positions (void)
{
  for (guint c = 1; c < 256; c++)
    for (int len = 1; len <= 24; len++)
      for (int pos = 0; pos < len; pos++)
        {
          char in[32];
          g_autoptr(GString) expected = g_string_new ("\"");
          g_autofree char *json = NULL;

          memset (in, 'a', len);
          in[len] = '\0';
          in[pos] = (char) c;

          for (int i = 0; i < len; i++)
            {
              guchar b = (guchar) in[i];

              if (b == '"')
                g_string_append (expected, "\\\"");
              else if (b == '\\')
                g_string_append (expected, "\\\\");
              else if (b == '\n')
                g_string_append (expected, "\\n");
              else if (b == '\r')
                g_string_append (expected, "\\r");
              else if (b == '\t')
                g_string_append (expected, "\\t");
              else if (b == '\b')
                g_string_append (expected, "\\b");
              else if (b == '\f')
                g_string_append (expected, "\\f");
              else if (b < 0x20 || b == 0x7f)
                g_string_append_printf (expected, "\\u%04x", b);
              else if (b >= 0x80)
                g_string_append (expected, "\xef\xbf\xbd");  /* alone: never valid */
              else
                g_string_append_c (expected, (char) b);
            }
          g_string_append_c (expected, '"');

          json = write_string_value (in);
          if (g_strcmp0 (json, expected->str) != 0)
            g_error ("byte 0x%02x at %d of %d: %s, expected %s", c, pos, len, json, expected->str);
        }
}

static void
test_writer_escaping_random (void)
{
  /* Random bytes, valid or not, always make JSON that json-glib reads; valid
   * UTF-8 comes back unchanged. */
  for (int i = 0; i < 20000; i++)
    {
      guint8 buf[48];
      gsize len = g_test_rand_int_range (0, sizeof buf);
      g_autofree char *json = NULL;
      g_autoptr(JsonNode) node = NULL;

      for (gsize j = 0; j < len; j++)
        {
          switch (g_test_rand_int_range (0, 4))
            {
            case 0: buf[j] = (guint8) g_test_rand_int_range (1, 0x20); break;
            case 1: buf[j] = (guint8) g_test_rand_int_range (0x20, 0x80); break;
            default: buf[j] = (guint8) g_test_rand_int_range (0x80, 0x100); break;
            }
        }
      buf[len] = '\0';

      json = write_string_value ((const char *) buf);
      g_assert_true (g_utf8_validate (json, -1, NULL));
      node = parse_any (json);
      if (g_utf8_validate ((const char *) buf, -1, NULL))
        g_assert_cmpstr (json_node_get_string (node), ==, (const char *) buf);
    }

  /* Every valid code point outside the ASCII range, one by one. */
  for (gunichar c = 0x80; c < 0x110000; c += (c < 0x3000 ? 1 : 97))
    {
      char utf8[8] = { 0 };
      g_autofree char *json = NULL;
      g_autoptr(JsonNode) node = NULL;

      if (c >= 0xd800 && c < 0xe000)
        continue;
      g_unichar_to_utf8 (c, utf8);
      json = write_string_value (utf8);
      node = parse_any (json);
      g_assert_cmpstr (json_node_get_string (node), ==, utf8);
    }
}

/* Parser */

static void
test_parse_object_good (void)
{
  static const char * const good[] = {
    "{}",
    " \n\t{ } \r\n",
    "{\"\":1}",
    "{\"a\":{\"b\":[1,2.5,-3e2,1E+2,0.5e-1,\"s\",true,false,null,{},[]]},\"c\":[]}",
    "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
    "{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"zero\":0,\"neg\":-0}",
    "{\"big\":1e400,\"frac\":123456789012345678901234567890.5}",
    "{\"dup\":1,\"dup\":2}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = cs_json_parse_object (good[i], strlen (good[i]), &error);

      if (node == NULL)
        g_error ("%s: %s", good[i], error->message);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
    }

  {
    g_autoptr(JsonNode) node = parse_object (good[5]);
    JsonObject *obj = json_node_get_object (node);

    g_assert_cmpint (json_object_get_int_member (obj, "max"), ==, G_MAXINT64);
    g_assert_cmpint (json_object_get_int_member (obj, "min"), ==, G_MININT64);
  }

  /* The length is respected: what follows is not read. */
  {
    const char *data = "{\"a\":1}garbage";
    g_autoptr(JsonNode) node = cs_json_parse_object (data, 7, NULL);

    g_assert_nonnull (node);
  }
}

typedef struct {
  const char *json;
  const char *message;  /* a substring of the error message */
} BadCase;

static const BadCase bad_bodies[] = {
  { "", "The request body is empty" },
  { "   \n\t", "The request body is empty" },
  { "[1]", "The request body must be a JSON object" },
  { "[]", "The request body must be a JSON object" },
  { "1", "The request body must be a JSON object" },
  { "\"x\"", "The request body must be a JSON object" },
  { "null", "The request body must be a JSON object" },
  { "true", "The request body must be a JSON object" },
  { "{", "not valid JSON" },
  { "}", "not valid JSON" },
  { "{\"a\"}", "not valid JSON" },
  { "{\"a\":}", "not valid JSON" },
  { "{\"a\":1,}", "not valid JSON" },
  { "{\"a\":1 \"b\":2}", "not valid JSON" },
  { "[1,]", "not valid JSON" },
  { "{\"a\":1} x", "not valid JSON" },
  { "{\"a\":1}{}", "not valid JSON" },
  { "{a:1}", "not valid JSON" },
  { "{'a':1}", "not valid JSON" },
  { "{\"a\":'x'}", "not valid JSON" },
  { "{/* c */\"a\":1}", "not valid JSON" },
  { "{\"a\":1 /* 99999999999999999999 */}", "not valid JSON" },
  { "{\"a\":0x10}", "not valid JSON" },
  { "{\"a\":0b1}", "not valid JSON" },
  { "{\"a\":010}", "not valid JSON" },
  { "{\"a\":01}", "not valid JSON" },
  { "{\"a\":-01}", "not valid JSON" },
  { "{\"a\":.5}", "not valid JSON" },
  { "{\"a\":1.}", "not valid JSON" },
  { "{\"a\":1e}", "not valid JSON" },
  { "{\"a\":+1}", "not valid JSON" },
  { "{\"a\":-}", "not valid JSON" },
  { "{\"a\":NaN}", "not valid JSON" },
  { "{\"a\":Infinity}", "not valid JSON" },
  { "{\"a\":tru}", "not valid JSON" },
  { "{\"a\":truex}", "not valid JSON" },
  { "{\"a\":nul}", "not valid JSON" },
  { "{\"a\":\"\\x\"}", "not valid JSON" },
  { "{\"a\":\"\\u12\"}", "not valid JSON" },
  { "{\"a\":\"admin\\u0000x\"}", "\\u0000" },
  { "{\"a\":\"\\u12G4\"}", "not valid JSON" },
  { "{\"a\":\"tab\there\"}", "not valid JSON" },
  { "{\"a\":\"new\nline\"}", "not valid JSON" },
  { "{\"a\":\"unterminated}", "not valid JSON" },
  { "{\"a\":\"x\\", "not valid JSON" },
  { "{\"a\":\"\xff\"}", "UTF-8" },
  { "{\"a\":18446744073709551716}", "too large" },
  { "{\"a\":9223372036854775808}", "too large" },
  { "{\"a\":-9223372036854775809}", "too large" },
  { "{\"a\":-18446744073709551615}", "too large" },
  { "{\"a\":[1,2,{\"b\":100000000000000000000000}]}", "too large" },
  { "{\"a\":1\n,\n  \"b\": x}", "line 3, column 8" },
};

static void
test_parse_object_bad (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_bodies); i++)
    {
      g_autoptr(GError) error = NULL;
      JsonNode *node = cs_json_parse_object (bad_bodies[i].json, strlen (bad_bodies[i].json), &error);

      if (node != NULL)
        g_error ("%s was accepted", bad_bodies[i].json);
      g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
      if (strstr (error->message, bad_bodies[i].message) == NULL)
        g_error ("%s: “%s” does not say “%s”", bad_bodies[i].json, error->message,
                 bad_bodies[i].message);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_null (cs_json_parse_object (NULL, 0, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
  }

  {
    /* An embedded NUL is not JSON. */
    g_autoptr(GError) error = NULL;

    g_assert_null (cs_json_parse_object ("{\"a\":1}\0", 8, &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
  }
}

static void
test_parse_object_depth (void)
{
  /* Nesting is bounded, so a body of brackets cannot exhaust the stack. */
  g_autoptr(GString) deep = g_string_new ("{\"a\":");
  g_autoptr(GString) ok = g_string_new ("{\"a\":");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  for (int i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  g_assert_null (cs_json_parse_object (deep->str, deep->len, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "nested too deeply"));
  g_clear_error (&error);

  for (int i = 0; i < 63; i++)
    g_string_append_c (ok, '[');
  for (int i = 0; i < 63; i++)
    g_string_append_c (ok, ']');
  g_string_append_c (ok, '}');
  node = cs_json_parse_object (ok->str, ok->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
}

/* Readers */

static void
test_read_string (void)
{
  g_autoptr(JsonNode) node = parse_object (
    "{\"s\":\"hello\",\"n\":5,\"b\":true,\"o\":{},\"a\":[],\"z\":null,\"e\":\"\","
    "\"accents\":\"ééé\",\"emoji\":\"😀😀😀😀\",\"nl\":\"a\\nb\",\"tab\":\"a\\tb\","
    "\"ctl\":\"a\\u0007b\",\"c1\":\"a\\u0085b\",\"d\":1.5}");
  JsonObject *obj = json_node_get_object (node);
  char *out;

  {
    g_autoptr(CsValidation) v = cs_validation_new ();
    g_autofree char *s = NULL;

    g_assert_true (cs_json_read_string (obj, "s", TRUE, 1, 10, FALSE, v, &s));
    g_assert_cmpstr (s, ==, "hello");
    g_assert_false (cs_validation_has_errors (v));
  }

  /* Absent and null: required or not. */
  {
    g_autoptr(CsValidation) v = cs_validation_new ();

    out = (char *) "untouched";
    g_assert_false (cs_json_read_string (obj, "missing", FALSE, 1, 10, FALSE, v, &out));
    g_assert_false (cs_json_read_string (obj, "z", FALSE, 1, 10, FALSE, v, &out));
    g_assert_cmpstr (out, ==, "untouched");
    g_assert_false (cs_validation_has_errors (v));
    g_assert_false (cs_json_read_string (obj, "missing", TRUE, 1, 10, FALSE, v, &out));
    g_assert_false (cs_json_read_string (obj, "z", TRUE, 1, 10, FALSE, v, &out));
    g_assert_cmpuint (n_errors (v), ==, 2);
    assert_field (v, "missing", "is required");
    assert_field (v, "z", "is required");
  }

  /* Wrong types. */
  {
    const char *names[] = { "n", "b", "o", "a", "d" };

    for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autoptr(CsValidation) v = cs_validation_new ();

        out = NULL;
        g_assert_false (cs_json_read_string (obj, names[i], FALSE, 0, 10, FALSE, v, &out));
        g_assert_null (out);
        assert_field (v, names[i], "must be a string");
      }
  }

  /* Lengths count characters, not bytes. */
  {
    g_autoptr(CsValidation) v = cs_validation_new ();
    g_autofree char *a = NULL;
    g_autofree char *e = NULL;

    g_assert_true (cs_json_read_string (obj, "accents", TRUE, 3, 3, FALSE, v, &a));
    g_assert_cmpstr (a, ==, "ééé");
    g_assert_true (cs_json_read_string (obj, "emoji", TRUE, 4, 4, FALSE, v, &e));
    g_assert_false (cs_validation_has_errors (v));
  }
  {
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_false (cs_json_read_string (obj, "emoji", TRUE, 1, 3, FALSE, v, &out));
    assert_field (v, "emoji", "must be at most 3 characters");
  }
  {
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_false (cs_json_read_string (obj, "accents", TRUE, 4, 10, FALSE, v, &out));
    assert_field (v, "accents", "must be at least 4 characters");
  }
  {
    g_autoptr(CsValidation) v = cs_validation_new ();
    g_autofree char *e = NULL;

    g_assert_false (cs_json_read_string (obj, "e", TRUE, 1, 10, FALSE, v, &out));
    assert_field (v, "e", "must not be empty");
    g_assert_true (cs_json_read_string (obj, "e", TRUE, 0, 10, FALSE, v, &e));
    g_assert_cmpstr (e, ==, "");
  }

  /* Control characters; newlines and tabs only in multi-line text. */
  {
    g_autoptr(CsValidation) v = cs_validation_new ();
    g_autofree char *nl = NULL;
    g_autofree char *tab = NULL;

    g_assert_false (cs_json_read_string (obj, "nl", TRUE, 0, 10, FALSE, v, &out));
    g_assert_false (cs_json_read_string (obj, "tab", TRUE, 0, 10, FALSE, v, &out));
    g_assert_false (cs_json_read_string (obj, "ctl", TRUE, 0, 10, TRUE, v, &out));
    g_assert_false (cs_json_read_string (obj, "c1", TRUE, 0, 10, TRUE, v, &out));
    assert_field (v, "nl", "must be a single line");
    assert_field (v, "tab", "must not contain control characters");
    assert_field (v, "ctl", "must not contain control characters");
    assert_field (v, "c1", "must not contain control characters");

    g_assert_true (cs_json_read_string (obj, "nl", TRUE, 0, 10, TRUE, v, &nl));
    g_assert_true (cs_json_read_string (obj, "tab", TRUE, 0, 10, TRUE, v, &tab));
    g_assert_cmpstr (nl, ==, "a\nb");
  }
}

static void
test_read_string_nullable (void)
{
  g_autoptr(JsonNode) node = parse_object ("{\"s\":\"x\",\"z\":null,\"n\":1}");
  JsonObject *obj = json_node_get_object (node);
  g_autoptr(CsValidation) v = cs_validation_new ();
  g_autofree char *s = NULL;
  char *out = (char *) "untouched";
  gboolean is_null = TRUE;

  g_assert_true (cs_json_read_string_nullable (obj, "s", 1, 5, FALSE, v, &s, &is_null));
  g_assert_cmpstr (s, ==, "x");
  g_assert_false (is_null);

  g_assert_false (cs_json_read_string_nullable (obj, "missing", 1, 5, FALSE, v, &out, &is_null));
  g_assert_cmpstr (out, ==, "untouched");

  g_assert_true (cs_json_read_string_nullable (obj, "z", 1, 5, FALSE, v, &out, &is_null));
  g_assert_null (out);
  g_assert_true (is_null);
  g_assert_false (cs_validation_has_errors (v));

  g_assert_false (cs_json_read_string_nullable (obj, "n", 1, 5, FALSE, v, &out, &is_null));
  assert_field (v, "n", "must be a string");
}

static void
test_read_int (void)
{
  g_autoptr(JsonNode) node = parse_object (
    "{\"i\":7,\"neg\":-3,\"d\":7.0,\"e\":1e2,\"s\":\"7\",\"b\":true,\"o\":{},\"a\":[7],\"z\":null,"
    "\"max\":9223372036854775807}");
  JsonObject *obj = json_node_get_object (node);
  gint64 out;

  {
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_true (cs_json_read_int (obj, "i", TRUE, 1, 10, v, &out));
    g_assert_cmpint (out, ==, 7);
    g_assert_true (cs_json_read_int (obj, "neg", TRUE, -3, -3, v, &out));
    g_assert_cmpint (out, ==, -3);
    g_assert_true (cs_json_read_int (obj, "max", TRUE, 0, G_MAXINT64, v, &out));
    g_assert_cmpint (out, ==, G_MAXINT64);
    out = 99;
    g_assert_false (cs_json_read_int (obj, "missing", FALSE, 1, 10, v, &out));
    g_assert_false (cs_json_read_int (obj, "z", FALSE, 1, 10, v, &out));
    g_assert_cmpint (out, ==, 99);
    g_assert_false (cs_validation_has_errors (v));
  }
  {
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_false (cs_json_read_int (obj, "missing", TRUE, 1, 10, v, &out));
    assert_field (v, "missing", "is required");
  }
  {
    const char *names[] = { "d", "e", "s", "b", "o", "a" };

    for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autoptr(CsValidation) v = cs_validation_new ();
        g_autoptr(CsValidation) v2 = cs_validation_new ();

        out = 99;
        g_assert_false (cs_json_read_int (obj, names[i], TRUE, 1, 10, v, &out));
        g_assert_false (cs_json_read_amount (obj, names[i], TRUE, 1, 10, v2, &out));
        g_assert_cmpint (out, ==, 99);
        assert_field (v, names[i], "must be a whole number");
        assert_field (v2, names[i], "must be a whole number (in minor units)");
      }
  }
  {
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_false (cs_json_read_int (obj, "i", TRUE, 8, 10, v, &out));
    assert_field (v, "i", "must be between 8 and 10");
  }
  {
    g_autoptr(CsValidation) v = cs_validation_new ();

    g_assert_false (cs_json_read_amount (obj, "neg", TRUE, 100, CS_MONEY_MAX_AMOUNT, v, &out));
    assert_field (v, "neg", "must be between 100 and 10000000000000");
  }
}

static void
test_read_int_nullable (void)
{
  g_autoptr(JsonNode) node = parse_object ("{\"i\":7,\"z\":null,\"d\":2.5,\"s\":\"x\"}");
  JsonObject *obj = json_node_get_object (node);
  g_autoptr(CsValidation) v = cs_validation_new ();
  gint64 out = 99;
  gboolean is_null = TRUE;

  g_assert_true (cs_json_read_int_nullable (obj, "i", 1, 10, v, &out, &is_null));
  g_assert_cmpint (out, ==, 7);
  g_assert_false (is_null);

  out = 99;
  g_assert_true (cs_json_read_int_nullable (obj, "z", 1, 10, v, &out, &is_null));
  g_assert_true (is_null);
  g_assert_cmpint (out, ==, 99);

  g_assert_false (cs_json_read_int_nullable (obj, "missing", 1, 10, v, &out, &is_null));
  g_assert_false (cs_validation_has_errors (v));

  g_assert_false (cs_json_read_int_nullable (obj, "d", 1, 10, v, &out, &is_null));
  g_assert_false (cs_json_read_int_nullable (obj, "s", 1, 10, v, &out, &is_null));
  g_assert_false (cs_json_read_int_nullable (obj, "i", 8, 10, v, &out, &is_null));
  g_assert_cmpuint (n_errors (v), ==, 3);
  assert_field (v, "i", "must be between 8 and 10");
  assert_field (v, "d", NULL);
  assert_field (v, "s", NULL);
}

static void
test_read_bool (void)
{
  g_autoptr(JsonNode) node = parse_object ("{\"t\":true,\"f\":false,\"s\":\"true\",\"n\":1,\"z\":null}");
  JsonObject *obj = json_node_get_object (node);
  g_autoptr(CsValidation) v = cs_validation_new ();
  gboolean out = 5;

  g_assert_true (cs_json_read_bool (obj, "t", TRUE, v, &out));
  g_assert_true (out);
  g_assert_true (cs_json_read_bool (obj, "f", TRUE, v, &out));
  g_assert_false (out);
  g_assert_false (cs_json_read_bool (obj, "z", FALSE, v, &out));
  g_assert_false (cs_validation_has_errors (v));

  g_assert_false (cs_json_read_bool (obj, "s", TRUE, v, &out));
  g_assert_false (cs_json_read_bool (obj, "n", TRUE, v, &out));
  g_assert_false (cs_json_read_bool (obj, "missing", TRUE, v, &out));
  assert_field (v, "s", "must be true or false");
  assert_field (v, "n", "must be true or false");
  assert_field (v, "missing", "is required");
}

static void
test_reject_unknown (void)
{
  g_autoptr(JsonNode) node = parse_object ("{\"a\":1,\"b\":2,\"evil\":3,\"\":4}");
  JsonObject *obj = json_node_get_object (node);
  const char * const allowed[] = { "a", "b", NULL };
  g_autoptr(CsValidation) v = cs_validation_new ();

  cs_json_reject_unknown (obj, allowed, v);
  g_assert_cmpuint (n_errors (v), ==, 2);
  assert_field (v, "evil", "is not a known field");
  assert_field (v, "", "is not a known field");
}

static void
test_lenient_getters (void)
{
  g_autoptr(JsonNode) node = parse_object (
    "{\"s\":\"x\",\"i\":5,\"b\":true,\"z\":null,\"t\":\"2026-11-23T23:25:07Z\",\"bad\":\"soon\","
    "\"d\":1.5}");
  JsonObject *obj = json_node_get_object (node);

  g_assert_cmpstr (cs_json_get_string_or (obj, "s", "def"), ==, "x");
  g_assert_cmpstr (cs_json_get_string_or (obj, "i", "def"), ==, "def");
  g_assert_cmpstr (cs_json_get_string_or (obj, "z", "def"), ==, "def");
  g_assert_null (cs_json_get_string_or (obj, "missing", NULL));
  g_assert_cmpint (cs_json_get_int_or (obj, "i", -1), ==, 5);
  g_assert_cmpint (cs_json_get_int_or (obj, "s", -1), ==, -1);
  g_assert_cmpint (cs_json_get_int_or (obj, "d", -1), ==, -1);
  g_assert_true (cs_json_get_bool_or (obj, "b", FALSE));
  g_assert_true (cs_json_get_bool_or (obj, "i", TRUE));
  g_assert_false (cs_json_get_bool_or (obj, "missing", FALSE));
  g_assert_cmpint (cs_json_get_time (obj, "t"), ==, 1795476307);
  g_assert_cmpint (cs_json_get_time (obj, "bad"), ==, 0);
  g_assert_cmpint (cs_json_get_time (obj, "z"), ==, 0);
  g_assert_cmpint (cs_json_get_time (obj, "i"), ==, 0);
  g_assert_cmpint (cs_json_get_time (obj, "missing"), ==, 0);
}

/* Round trips */

static JsonNode *
reparse (CsJsonWriter *w)
{
  GString *s = cs_json_writer_get_string (w);
  g_autoptr(GError) error = NULL;
  JsonNode *node = cs_json_parse_object (s->str, s->len, &error);

  g_assert_no_error (error);
  return node;
}

static void
test_user_round_trip (void)
{
  g_autoptr(CsUser) user = cs_user_new ();

  user->id = cs_id_new ("usr");
  user->email = g_strdup ("ada@example.org");
  user->username = g_strdup ("ada");
  user->display_name = g_strdup ("Ada \"the Countess\" Lovelace\n");
  user->bio = g_strdup ("Analyst ✨\u2028of engines");
  user->role = CS_ROLE_MODERATOR;
  user->suspended = TRUE;
  user->created_at = 1700000000;
  user->updated_at = 1700000123;

  /* Private form: everything. */
  {
    g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(CsUser) back = NULL;
    g_autoptr(GError) error = NULL;

    cs_user_write_json (user, w, TRUE);
    node = reparse (w);
    back = cs_user_from_json (json_node_get_object (node), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (back->id, ==, user->id);
    g_assert_cmpstr (back->email, ==, user->email);
    g_assert_cmpstr (back->username, ==, user->username);
    g_assert_cmpstr (back->display_name, ==, user->display_name);
    g_assert_cmpstr (back->bio, ==, user->bio);
    g_assert_cmpint (back->role, ==, user->role);
    g_assert_true (back->suspended);
    g_assert_cmpint (back->created_at, ==, user->created_at);
    g_assert_cmpint (back->updated_at, ==, user->updated_at);
  }

  /* Public form: no e-mail, role or suspension. */
  {
    g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(CsUser) back = NULL;
    JsonObject *obj;

    cs_user_write_json (user, w, FALSE);
    node = reparse (w);
    obj = json_node_get_object (node);
    g_assert_false (json_object_has_member (obj, "email"));
    g_assert_false (json_object_has_member (obj, "role"));
    g_assert_false (json_object_has_member (obj, "suspended"));
    back = cs_user_from_json (obj, NULL);
    g_assert_nonnull (back);
    g_assert_null (back->email);
    g_assert_cmpint (back->role, ==, CS_ROLE_BACKER);
    g_assert_cmpstr (back->display_name, ==, user->display_name);
    g_assert_cmpint (back->created_at, ==, user->created_at);
  }

  /* Copies are deep. */
  {
    g_autoptr(CsUser) copy = cs_user_copy (user);

    g_assert_true (copy->email != user->email);
    g_assert_cmpstr (copy->email, ==, user->email);
    g_assert_cmpint (copy->role, ==, user->role);
    g_assert_null (cs_user_copy (NULL));
    cs_user_free (NULL);
  }
}

static void
test_user_from_json_errors (void)
{
  const char *bodies[] = { "{\"username\":\"x\"}", "{\"id\":\"usr_1\"}", "{\"id\":5,\"username\":\"x\"}" };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonNode) node = parse_object (bodies[i]);
      g_autoptr(GError) error = NULL;

      g_assert_null (cs_user_from_json (json_node_get_object (node), &error));
      g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
    }

  {
    /* display_name defaults to the username; unknown roles are backers. */
    g_autoptr(JsonNode) node = parse_object ("{\"id\":\"usr_1\",\"username\":\"bob\",\"role\":\"king\"}");
    g_autoptr(CsUser) user = cs_user_from_json (json_node_get_object (node), NULL);

    g_assert_cmpstr (user->display_name, ==, "bob");
    g_assert_cmpint (user->role, ==, CS_ROLE_BACKER);
    g_assert_null (user->bio);
  }
}

static CsRewardTier *
make_tier (const char *campaign_id, int position, gboolean limited)
{
  CsRewardTier *tier = cs_reward_tier_new ();

  tier->id = cs_id_new ("tier");
  tier->campaign_id = g_strdup (campaign_id);
  tier->title = g_strdup_printf ("Tier %d: \"early bird\"", position);
  tier->description = g_strdup ("A sticker,\na mug and our thanks 🙏");
  tier->minimum_pledge = 2500 + position;
  tier->estimated_delivery_date = limited ? g_strdup ("2027-03-01") : NULL;
  tier->quantity_available = limited ? 100 : -1;
  tier->quantity_claimed = limited ? 42 : 7;
  tier->position = position;
  tier->created_at = 1700000000 + position;
  tier->updated_at = 1700000500 + position;
  return tier;
}

static void
assert_tier_equal (const CsRewardTier *a, const CsRewardTier *b)
{
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpstr (a->campaign_id, ==, b->campaign_id);
  g_assert_cmpstr (a->title, ==, b->title);
  g_assert_cmpstr (a->description, ==, b->description);
  g_assert_cmpint (a->minimum_pledge, ==, b->minimum_pledge);
  g_assert_cmpstr (a->estimated_delivery_date, ==, b->estimated_delivery_date);
  g_assert_cmpint (a->quantity_available, ==, b->quantity_available);
  g_assert_cmpint (a->quantity_claimed, ==, b->quantity_claimed);
  g_assert_cmpint (a->position, ==, b->position);
  g_assert_cmpint (a->created_at, ==, b->created_at);
  g_assert_cmpint (a->updated_at, ==, b->updated_at);
}

static void
test_tier_round_trip (void)
{
  for (int limited = 0; limited <= 1; limited++)
    {
      g_autoptr(CsRewardTier) tier = make_tier ("cmp_x", 3, limited);
      g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(CsRewardTier) back = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *obj;

      cs_reward_tier_write_json (tier, w);
      node = reparse (w);
      obj = json_node_get_object (node);
      if (limited)
        {
          g_assert_cmpint (json_object_get_int_member (obj, "quantity_remaining"), ==, 58);
          g_assert_cmpint (cs_reward_tier_remaining (tier), ==, 58);
        }
      else
        {
          g_assert_true (json_object_get_null_member (obj, "quantity_available"));
          g_assert_true (json_object_get_null_member (obj, "quantity_remaining"));
          g_assert_true (json_object_get_null_member (obj, "estimated_delivery_date"));
          g_assert_cmpint (cs_reward_tier_remaining (tier), ==, -1);
        }

      back = cs_reward_tier_from_json (obj, &error);
      g_assert_no_error (error);
      assert_tier_equal (tier, back);
    }

  {
    g_autoptr(CsRewardTier) sold_out = make_tier ("cmp_x", 1, TRUE);

    sold_out->quantity_claimed = 150;  /* never shown as negative */
    g_assert_cmpint (cs_reward_tier_remaining (sold_out), ==, 0);
  }

  {
    g_autoptr(JsonNode) node = parse_object ("{\"title\":\"x\"}");
    g_autoptr(GError) error = NULL;

    g_assert_null (cs_reward_tier_from_json (json_node_get_object (node), &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
  }
}

static CsCampaign *
make_campaign (void)
{
  CsCampaign *c = cs_campaign_new ();

  c->id = cs_id_new ("cmp");
  c->creator_id = cs_id_new ("usr");
  c->creator.id = g_strdup (c->creator_id);
  c->creator.username = g_strdup ("maker");
  c->creator.display_name = g_strdup ("The Maker ⚙");
  c->title = g_strdup ("A \"quiet\" mechanical keyboard");
  c->description = g_strdup ("Line one.\nLine two with a tab\tand unicode: ✓ 日本語.\n");
  c->category = g_strdup ("technology");
  c->goal_amount = 5000000;
  c->current_amount = 1234567;
  memcpy (c->currency, "EUR", 4);
  c->backer_count = 321;
  c->status = CS_CAMPAIGN_LIVE;
  c->duration_days = 30;
  c->start_date = 1795000000;
  c->end_date = 1795000000 + 30 * 86400;
  c->image_url = g_strdup ("/media/abc123.png");
  c->rejection_reason = g_strdup ("Earlier: \"too vague\"");
  c->created_at = 1794000000;
  c->updated_at = 1794500000;
  c->published_at = 1795000000;
  g_ptr_array_add (c->rewards, make_tier (c->id, 0, FALSE));
  g_ptr_array_add (c->rewards, make_tier (c->id, 1, TRUE));
  return c;
}

static void
assert_campaign_equal (const CsCampaign *a, const CsCampaign *b, gboolean with_private,
                       gboolean with_description, gboolean with_rewards)
{
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpstr (a->creator_id, ==, b->creator_id);
  g_assert_cmpstr (a->creator.id, ==, b->creator.id);
  g_assert_cmpstr (a->creator.username, ==, b->creator.username);
  g_assert_cmpstr (a->creator.display_name, ==, b->creator.display_name);
  g_assert_cmpstr (a->title, ==, b->title);
  if (with_description)
    g_assert_cmpstr (a->description, ==, b->description);
  g_assert_cmpstr (a->category, ==, b->category);
  g_assert_cmpint (a->goal_amount, ==, b->goal_amount);
  g_assert_cmpint (a->current_amount, ==, b->current_amount);
  g_assert_cmpstr (a->currency, ==, b->currency);
  g_assert_cmpint (a->backer_count, ==, b->backer_count);
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpint (a->duration_days, ==, b->duration_days);
  g_assert_cmpint (a->start_date, ==, b->start_date);
  g_assert_cmpint (a->end_date, ==, b->end_date);
  g_assert_cmpstr (a->image_url, ==, b->image_url);
  if (with_private)
    g_assert_cmpstr (a->rejection_reason, ==, b->rejection_reason);
  else
    g_assert_null (b->rejection_reason);
  g_assert_cmpint (a->created_at, ==, b->created_at);
  g_assert_cmpint (a->updated_at, ==, b->updated_at);
  g_assert_cmpint (a->published_at, ==, b->published_at);
  g_assert_nonnull (b->rewards);
  if (with_rewards)
    {
      g_assert_cmpuint (a->rewards->len, ==, b->rewards->len);
      for (guint i = 0; i < a->rewards->len; i++)
        assert_tier_equal (g_ptr_array_index (a->rewards, i), g_ptr_array_index (b->rewards, i));
    }
  else
    g_assert_cmpuint (b->rewards->len, ==, 0);
}

static CsCampaign *
campaign_round_trip (const CsCampaign *c, CsCampaignJsonFlags flags, JsonNode **node_out)
{
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  CsCampaign *back;

  cs_campaign_write_json (c, w, flags);
  node = reparse (w);
  back = cs_campaign_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  if (node_out != NULL)
    *node_out = g_steal_pointer (&node);
  return back;
}

static void
test_campaign_round_trip (void)
{
  g_autoptr(CsCampaign) c = make_campaign ();

  {
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(CsCampaign) back = campaign_round_trip (c, CS_CAMPAIGN_JSON_PRIVATE, &node);
    JsonObject *obj = json_node_get_object (node);

    assert_campaign_equal (c, back, TRUE, TRUE, TRUE);
    g_assert_cmpint (json_object_get_int_member (obj, "percent_funded"), ==, 24);
    g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "live");
    g_assert_cmpstr (json_object_get_string_member (obj, "start_date"), ==, "2026-11-18T11:06:40Z");
  }
  {
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(CsCampaign) back = campaign_round_trip (c, CS_CAMPAIGN_JSON_FULL, &node);

    g_assert_false (json_object_has_member (json_node_get_object (node), "rejection_reason"));
    assert_campaign_equal (c, back, FALSE, TRUE, TRUE);
  }

  /* A fresh draft: nulls everywhere they may be. */
  {
    g_autoptr(CsCampaign) draft = cs_campaign_new ();
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(CsCampaign) back = NULL;
    JsonObject *obj;

    draft->id = g_strdup ("cmp_draft");
    memcpy (draft->currency, "JPY", 4);
    back = campaign_round_trip (draft, CS_CAMPAIGN_JSON_PRIVATE, &node);
    obj = json_node_get_object (node);
    g_assert_true (json_object_get_null_member (obj, "creator"));
    g_assert_true (json_object_get_null_member (obj, "start_date"));
    g_assert_true (json_object_get_null_member (obj, "image_url"));
    g_assert_true (json_object_get_null_member (obj, "published_at"));
    g_assert_cmpint (json_object_get_int_member (obj, "percent_funded"), ==, 0);
    assert_campaign_equal (draft, back, TRUE, TRUE, TRUE);
  }

  /* Every status survives. */
  for (int s = 0; s < CS_CAMPAIGN_N_STATUSES; s++)
    {
      g_autoptr(CsCampaign) back = NULL;

      c->status = (CsCampaignStatus) s;
      back = campaign_round_trip (c, CS_CAMPAIGN_JSON_SUMMARY, NULL);
      g_assert_cmpint (back->status, ==, s);
    }
}

static void
test_campaign_summary (void)
{
  g_autoptr(CsCampaign) c = make_campaign ();
  g_autoptr(GString) long_text = g_string_new (NULL);

  /* Short descriptions are untouched, no rewards member. */
  {
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(CsCampaign) back = campaign_round_trip (c, CS_CAMPAIGN_JSON_SUMMARY, &node);

    g_assert_false (json_object_has_member (json_node_get_object (node), "rewards"));
    assert_campaign_equal (c, back, FALSE, TRUE, FALSE);
  }

  /* Exactly 280 characters (multi-byte): kept whole. */
  for (int i = 0; i < 280; i++)
    g_string_append (long_text, "é");
  g_free (c->description);
  c->description = g_strdup (long_text->str);
  {
    g_autoptr(CsCampaign) back = campaign_round_trip (c, CS_CAMPAIGN_JSON_SUMMARY, NULL);

    g_assert_cmpstr (back->description, ==, c->description);
  }

  /* 281 characters: cut on a character boundary, with an ellipsis. */
  g_string_append (long_text, "😀");
  g_free (c->description);
  c->description = g_strdup (long_text->str);
  {
    g_autoptr(CsCampaign) back = campaign_round_trip (c, CS_CAMPAIGN_JSON_SUMMARY, NULL);
    g_autoptr(CsCampaign) full = campaign_round_trip (c, CS_CAMPAIGN_JSON_FULL, NULL);

    g_assert_true (g_utf8_validate (back->description, -1, NULL));
    g_assert_cmpint (g_utf8_strlen (back->description, -1), ==, 280);
    g_assert_true (g_str_has_suffix (back->description, "é…"));
    {
      g_autofree char *kept = g_strndup (back->description,
                                         strlen (back->description) - strlen ("…"));
      g_assert_true (g_str_has_prefix (c->description, kept));
    }
    assert_campaign_equal (c, back, FALSE, FALSE, FALSE);
    g_assert_cmpstr (full->description, ==, c->description);
  }

  /* A story cut right after a space does not end in " …". */
  g_string_truncate (long_text, 0);
  for (int i = 0; i < 200; i++)
    g_string_append (long_text, "ab ");
  g_free (c->description);
  c->description = g_strdup (long_text->str);
  {
    g_autoptr(CsCampaign) back = campaign_round_trip (c, CS_CAMPAIGN_JSON_SUMMARY, NULL);

    g_assert_cmpint (g_utf8_strlen (back->description, -1), <=, 280);
    g_assert_true (g_str_has_suffix (back->description, "ab…"));
    g_assert_true (g_str_has_prefix (back->description, "ab ab "));
  }

  /* No description at all. */
  g_clear_pointer (&c->description, g_free);
  {
    g_autoptr(CsCampaign) back = campaign_round_trip (c, CS_CAMPAIGN_JSON_SUMMARY, NULL);

    g_assert_null (back->description);
  }
}

static void
test_campaign_from_json_errors (void)
{
  const char *bodies[] = {
    "{\"title\":\"no id\",\"status\":\"live\"}",
    "{\"id\":\"cmp_1\"}",
    "{\"id\":\"cmp_1\",\"status\":\"paused\"}",
    "{\"id\":\"cmp_1\",\"status\":\"live\",\"rewards\":[1]}",
    "{\"id\":\"cmp_1\",\"status\":\"live\",\"rewards\":[{\"title\":\"no id\"}]}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonNode) node = parse_object (bodies[i]);
      g_autoptr(GError) error = NULL;

      g_assert_null (cs_campaign_from_json (json_node_get_object (node), &error));
      g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
    }
}

static void
test_update_round_trip (void)
{
  g_autoptr(CsUpdate) u = cs_update_new ();

  u->id = cs_id_new ("upd");
  u->campaign_id = cs_id_new ("cmp");
  u->author_id = cs_id_new ("usr");
  u->title = g_strdup ("Shipping \"soon\"");
  u->content = g_strdup ("We are\nalmost there ✈");
  u->visibility = CS_UPDATE_BACKERS_ONLY;
  u->created_at = 1795476307;

  {
    g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(CsUpdate) back = NULL;
    g_autoptr(GError) error = NULL;

    cs_update_write_json (u, w, TRUE);
    node = reparse (w);
    g_assert_false (json_object_get_boolean_member (json_node_get_object (node), "locked"));
    back = cs_update_from_json (json_node_get_object (node), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (back->id, ==, u->id);
    g_assert_cmpstr (back->campaign_id, ==, u->campaign_id);
    g_assert_cmpstr (back->author_id, ==, u->author_id);
    g_assert_cmpstr (back->title, ==, u->title);
    g_assert_cmpstr (back->content, ==, u->content);
    g_assert_cmpint (back->visibility, ==, u->visibility);
    g_assert_cmpint (back->created_at, ==, u->created_at);
  }

  {
    g_autoptr(CsJsonWriter) w = cs_json_writer_new ();
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(CsUpdate) back = NULL;
    JsonObject *obj;

    cs_update_write_json (u, w, FALSE);
    node = reparse (w);
    obj = json_node_get_object (node);
    g_assert_true (json_object_get_boolean_member (obj, "locked"));
    g_assert_true (json_object_get_null_member (obj, "content"));
    back = cs_update_from_json (obj, NULL);
    g_assert_null (back->content);
    g_assert_cmpstr (back->title, ==, u->title);
  }

  {
    g_autoptr(JsonNode) node = parse_object ("{\"title\":\"x\"}");
    g_autoptr(GError) error = NULL;

    g_assert_null (cs_update_from_json (json_node_get_object (node), &error));
    g_assert_error (error, CS_ERROR, CS_ERROR_MALFORMED);
  }

  {
    CsUpdateVisibility vis;

    g_assert_cmpstr (cs_update_visibility_to_string (CS_UPDATE_PUBLIC), ==, "public");
    g_assert_cmpstr (cs_update_visibility_to_string (CS_UPDATE_BACKERS_ONLY), ==, "backers");
    g_assert_true (cs_update_visibility_from_string ("backers", &vis));
    g_assert_cmpint (vis, ==, CS_UPDATE_BACKERS_ONLY);
    g_assert_false (cs_update_visibility_from_string ("secret", &vis));
    g_assert_false (cs_update_visibility_from_string (NULL, &vis));
  }
  cs_update_free (NULL);
}

static void
test_category_json (void)
{
  g_autoptr(CsCategory) cat = g_new0 (CsCategory, 1);
  g_autoptr(CsJsonWriter) w = cs_json_writer_new ();

  cat->slug = g_strdup ("art");
  cat->name = g_strdup ("Art & Design");
  cat->live_count = 12;
  cs_category_write_json (cat, w);
  g_assert_cmpstr (cs_json_writer_get_string (w)->str, ==,
                   "{\"slug\":\"art\",\"name\":\"Art & Design\",\"live_count\":12}");
  cs_category_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/json/writer/structure", test_writer_structure);
  g_test_add_func ("/core/json/writer/top-level-array", test_writer_top_level_array);
  g_test_add_func ("/core/json/writer/deep", test_writer_deep);
  g_test_add_func ("/core/json/writer/for-string", test_writer_for_string);
  g_test_add_func ("/core/json/writer/escaping", test_writer_escaping);
  g_test_add_func ("/core/json/writer/key-escaping", test_writer_key_escaping);
  g_test_add_func ("/core/json/writer/escaping-positions", test_writer_escaping_positions);
  g_test_add_func ("/core/json/writer/escaping-random", test_writer_escaping_random);
  g_test_add_func ("/core/json/parse/good", test_parse_object_good);
  g_test_add_func ("/core/json/parse/bad", test_parse_object_bad);
  g_test_add_func ("/core/json/parse/depth", test_parse_object_depth);
  g_test_add_func ("/core/json/read/string", test_read_string);
  g_test_add_func ("/core/json/read/string-nullable", test_read_string_nullable);
  g_test_add_func ("/core/json/read/int", test_read_int);
  g_test_add_func ("/core/json/read/int-nullable", test_read_int_nullable);
  g_test_add_func ("/core/json/read/bool", test_read_bool);
  g_test_add_func ("/core/json/read/reject-unknown", test_reject_unknown);
  g_test_add_func ("/core/json/read/lenient", test_lenient_getters);
  g_test_add_func ("/core/json/round-trip/user", test_user_round_trip);
  g_test_add_func ("/core/json/round-trip/user-errors", test_user_from_json_errors);
  g_test_add_func ("/core/json/round-trip/tier", test_tier_round_trip);
  g_test_add_func ("/core/json/round-trip/campaign", test_campaign_round_trip);
  g_test_add_func ("/core/json/round-trip/campaign-summary", test_campaign_summary);
  g_test_add_func ("/core/json/round-trip/campaign-errors", test_campaign_from_json_errors);
  g_test_add_func ("/core/json/round-trip/update", test_update_round_trip);
  g_test_add_func ("/core/json/category", test_category_json);

  return g_test_run ();
}
