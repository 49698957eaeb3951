/* test-money.c: currencies, checked arithmetic, basis points, format, parse. */
#include "config.h"

#include <crowdspark-core.h>

#define MAXAMT CS_MONEY_MAX_AMOUNT

static void
test_currencies (void)
{
  const char * const *list = cs_currency_list ();
  const char *expected[] = { "USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY",
                             "SEK", "NOK", "DKK", "PLN", "CZK", "NZD" };
  guint n = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_true (cs_currency_is_supported (expected[i]));
      g_assert_true (g_strv_contains (list, expected[i]));
    }
  for (; list[n] != NULL; n++)
    g_assert_cmpint (cs_currency_exponent (list[n]), >=, 0);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));

  g_assert_false (cs_currency_is_supported ("usd"));
  g_assert_false (cs_currency_is_supported ("XXX"));
  g_assert_false (cs_currency_is_supported (""));
  g_assert_false (cs_currency_is_supported (NULL));
  g_assert_false (cs_currency_is_supported ("USDX"));

  g_assert_cmpint (cs_currency_exponent ("EUR"), ==, 2);
  g_assert_cmpint (cs_currency_exponent ("JPY"), ==, 0);
  g_assert_cmpint (cs_currency_exponent ("XXX"), ==, -1);

  g_assert_cmpstr (cs_currency_symbol ("USD"), ==, "$");
  g_assert_cmpstr (cs_currency_symbol ("EUR"), ==, "€");
  g_assert_cmpstr (cs_currency_symbol ("GBP"), ==, "£");
  g_assert_cmpstr (cs_currency_symbol ("JPY"), ==, "¥");
  g_assert_cmpstr (cs_currency_symbol ("CHF"), ==, "CHF");
  g_assert_cmpstr (cs_currency_symbol ("XYZ"), ==, "XYZ");
}

static void
test_init_add_sub (void)
{
  CsMoney a, b, c, jpy, out;
  g_autoptr(GError) error = NULL;

  g_assert_true (cs_money_init (&a, 1250, "EUR", &error));
  g_assert_no_error (error);
  g_assert_cmpint (a.amount, ==, 1250);
  g_assert_cmpstr (a.currency, ==, "EUR");
  g_assert_false (cs_money_init (&b, 1, "eur", &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cs_money_init (&b, 1, NULL, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (cs_money_init (&b, 750, "EUR", NULL));
  g_assert_true (cs_money_add (&a, &b, &out, &error));
  g_assert_cmpint (out.amount, ==, 2000);
  g_assert_cmpstr (out.currency, ==, "EUR");
  g_assert_true (cs_money_sub (&b, &a, &out, &error));
  g_assert_cmpint (out.amount, ==, -500);
  /* out may alias an input */
  g_assert_true (cs_money_add (&a, &a, &a, &error));
  g_assert_cmpint (a.amount, ==, 2500);

  g_assert_true (cs_money_init (&jpy, 1, "JPY", NULL));
  g_assert_false (cs_money_add (&a, &jpy, &out, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cs_money_sub (&a, &jpy, &out, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (cs_money_init (&c, G_MAXINT64, "EUR", NULL));
  g_assert_false (cs_money_add (&c, &b, &out, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (cs_money_init (&c, G_MININT64, "EUR", NULL));
  g_assert_false (cs_money_sub (&c, &b, &out, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_checked (void)
{
  gint64 r = 7;

  g_assert_true (cs_int64_add_checked (1, 2, &r));
  g_assert_cmpint (r, ==, 3);
  g_assert_true (cs_int64_add_checked (G_MAXINT64, 0, &r));
  g_assert_true (cs_int64_add_checked (G_MININT64, G_MAXINT64, &r));
  g_assert_cmpint (r, ==, -1);
  r = 7;
  g_assert_false (cs_int64_add_checked (G_MAXINT64, 1, &r));
  g_assert_false (cs_int64_add_checked (G_MININT64, -1, &r));
  g_assert_cmpint (r, ==, 7);

  g_assert_true (cs_int64_mul_checked (MAXAMT, 100, &r));
  g_assert_cmpint (r, ==, MAXAMT * 100);
  g_assert_true (cs_int64_mul_checked (-3, 4, &r));
  g_assert_cmpint (r, ==, -12);
  g_assert_false (cs_int64_mul_checked (G_MAXINT64, 2, &r));
  g_assert_false (cs_int64_mul_checked (G_MININT64, -1, &r));
  g_assert_false (cs_int64_mul_checked (G_GINT64_CONSTANT (4294967296), G_GINT64_CONSTANT (4294967296), &r));
  g_assert_true (cs_int64_mul_checked (G_MININT64, 1, &r));
  g_assert_cmpint (r, ==, G_MININT64);
}

typedef struct {
  gint64      amount;
  gint64      bp;
  CsRounding  rounding;
  gint64      expected;
} BpCase;

#define HU CS_ROUND_HALF_UP
#define HE CS_ROUND_HALF_EVEN
#define DN CS_ROUND_DOWN
#define UP CS_ROUND_UP

static const BpCase bp_cases[] = {
  /* 2.9 % of 10.00 = 0.29 exactly */
  { 1000, 290, HU, 29 }, { 1000, 290, HE, 29 }, { 1000, 290, DN, 29 }, { 1000, 290, UP, 29 },
  /* 5 % of 12.34 = 0.617 */
  { 1234, 500, HU, 62 }, { 1234, 500, HE, 62 }, { 1234, 500, DN, 61 }, { 1234, 500, UP, 62 },
  /* 0.5 exactly: 50 % of 1, 3, 5 */
  { 1, 5000, HU, 1 }, { 1, 5000, HE, 0 }, { 1, 5000, DN, 0 }, { 1, 5000, UP, 1 },
  { 3, 5000, HU, 2 }, { 3, 5000, HE, 2 }, { 3, 5000, DN, 1 }, { 3, 5000, UP, 2 },
  { 5, 5000, HU, 3 }, { 5, 5000, HE, 2 }, { 5, 5000, DN, 2 }, { 5, 5000, UP, 3 },
  /* 2.5 and 3.5: 25 bp of 1000 and 1400 */
  { 1000, 25, HE, 2 }, { 1400, 25, HE, 4 }, { 1000, 25, HU, 3 }, { 1400, 25, HU, 4 },
  /* just below and just above a half */
  { 4999, 1, HU, 0 }, { 5001, 1, HU, 1 }, { 4999, 1, HE, 0 }, { 5001, 1, HE, 1 },
  { 1, 1, UP, 1 }, { 1, 1, DN, 0 }, { 9999, 1, DN, 0 }, { 9999, 1, UP, 1 },
  /* negative amounts: away from zero / toward zero mirror the positive side */
  { -1, 5000, HU, -1 }, { -1, 5000, HE, 0 }, { -1, 5000, DN, 0 }, { -1, 5000, UP, -1 },
  { -3, 5000, HU, -2 }, { -3, 5000, HE, -2 }, { -3, 5000, DN, -1 }, { -3, 5000, UP, -2 },
  { -5, 5000, HE, -2 }, { -1234, 500, HU, -62 }, { -1234, 500, DN, -61 }, { -1234, 500, UP, -62 },
  { -4999, 1, HU, 0 }, { -5001, 1, HE, -1 },
  /* negative basis points */
  { 1234, -500, HU, -62 }, { -1234, -500, HU, 62 }, { 3, -5000, HE, -2 },
  /* zero and identities */
  { 0, 290, UP, 0 }, { 1234, 0, UP, 0 }, { 1234, 10000, HE, 1234 }, { -1234, 10000, DN, -1234 },
  /* the largest amounts */
  { MAXAMT, 10000, HU, MAXAMT }, { MAXAMT, 290, HU, MAXAMT / 10000 * 290 }, { MAXAMT - 1, 1, DN, 999999999 },
  { MAXAMT - 1, 1, UP, 1000000000 }, { MAXAMT - 1, 1, HU, 1000000000 }, { -MAXAMT, 9999, HE, -9999000000000 },
  { G_MAXINT64, 10000, DN, G_MAXINT64 }, { G_MININT64, 10000, UP, G_MININT64 },
  { G_MAXINT64, 5000, DN, G_MAXINT64 / 2 }, { G_MAXINT64, 5000, HU, G_MAXINT64 / 2 + 1 },
  { G_MAXINT64, 5000, HE, G_MAXINT64 / 2 + 1 }, { G_MININT64, 5000, HE, G_MININT64 / 2 },
  { G_MAXINT64, 1, DN, G_MAXINT64 / 10000 },
  /* a huge basis point count on a small amount */
  { 3, G_MAXINT64 / 3, DN, G_MAXINT64 / 3 * 3 / 10000 },
};

static void
test_basis_points_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bp_cases); i++)
    {
      const BpCase *c = &bp_cases[i];
      gint64 out = 0;

      if (!cs_money_apply_basis_points (c->amount, c->bp, c->rounding, &out))
        g_error ("case %zu: %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " failed", i, c->amount, c->bp);
      if (out != c->expected)
        g_error ("case %zu: %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " bp (mode %d) = %"
                 G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT,
                 i, c->amount, c->bp, c->rounding, out, c->expected);
    }
}

static void
test_basis_points_overflow (void)
{
  gint64 out = 17;

  g_assert_false (cs_money_apply_basis_points (G_MAXINT64, 10001, DN, &out));
  g_assert_false (cs_money_apply_basis_points (G_MAXINT64, G_MAXINT64, DN, &out));
  g_assert_false (cs_money_apply_basis_points (G_MININT64, 20000, DN, &out));
  g_assert_false (cs_money_apply_basis_points (G_MININT64, -10000, DN, &out));
  g_assert_cmpint (out, ==, 17);
  /* Rounding up at the very edge overflows too. */
  g_assert_true (cs_money_apply_basis_points (G_MAXINT64, 10000, UP, &out));
  g_assert_cmpint (out, ==, G_MAXINT64);
}

#ifdef __SIZEOF_INT128__
/* A straightforward reference with 128-bit integers. */
static gboolean
reference_bp (gint64 amount, gint64 bp, CsRounding rounding, gint64 *out)
{
  __int128 p = (__int128) amount * bp;
  __int128 q = p / 10000;
  __int128 r = p % 10000;
  __int128 r2 = (r < 0 ? -r : r) * 2;
  int sign = p < 0 ? -1 : 1;

  if (r != 0)
    {
      switch (rounding)
        {
        case CS_ROUND_DOWN: break;
        case CS_ROUND_UP: q += sign; break;
        case CS_ROUND_HALF_UP: if (r2 >= 10000) q += sign; break;
        case CS_ROUND_HALF_EVEN:
          if (r2 > 10000 || (r2 == 10000 && (q % 2) != 0))
            q += sign;
          break;
        default: g_assert_not_reached ();
        }
    }
  if (q > G_MAXINT64 || q < G_MININT64)
    return FALSE;
  *out = (gint64) q;
  return TRUE;
}
#endif

static void
test_basis_points_random (void)
{
#ifdef __SIZEOF_INT128__
  for (int i = 0; i < 200000; i++)
    {
      gint64 amount, bp, got = 0, want = 0;
      CsRounding rounding = (CsRounding) g_test_rand_int_range (0, 4);
      gboolean ok, ref_ok;

      switch (i % 4)
        {
        case 0:  /* the documented range */
          amount = (gint64) (g_test_rand_double_range (-1, 1) * (double) MAXAMT);
          bp = g_test_rand_int_range (0, 10001);
          break;
        case 1:  /* small amounts: every remainder */
          amount = g_test_rand_int_range (-20001, 20001);
          bp = g_test_rand_int_range (-10000, 10001);
          break;
        case 2:  /* any gint64 */
          amount = (gint64) (((guint64) g_test_rand_int () << 32) | (guint32) g_test_rand_int ());
          bp = g_test_rand_int_range (-20000, 20001);
          break;
        default:  /* halves exactly */
          amount = g_test_rand_int_range (-1000000, 1000000) * 2 + 1;
          bp = 5000;
          break;
        }

      ok = cs_money_apply_basis_points (amount, bp, rounding, &got);
      ref_ok = reference_bp (amount, bp, rounding, &want);
      if (ok != ref_ok || (ok && got != want))
        g_error ("%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " bp mode %d: got %d/%" G_GINT64_FORMAT
                 ", want %d/%" G_GINT64_FORMAT, amount, bp, rounding, ok, got, ref_ok, want);
    }
#else
  g_test_skip ("no 128-bit integers for the reference");
#endif
}

static void
test_percent_of (void)
{
  g_assert_cmpint (cs_money_percent_of (0, 1000), ==, 0);
  g_assert_cmpint (cs_money_percent_of (999, 1000), ==, 99);
  g_assert_cmpint (cs_money_percent_of (1000, 1000), ==, 100);
  g_assert_cmpint (cs_money_percent_of (1999, 1000), ==, 199);
  g_assert_cmpint (cs_money_percent_of (1, 3), ==, 33);
  g_assert_cmpint (cs_money_percent_of (2, 3), ==, 66);
  g_assert_cmpint (cs_money_percent_of (500, 0), ==, 0);
  g_assert_cmpint (cs_money_percent_of (500, -10), ==, 0);
  g_assert_cmpint (cs_money_percent_of (-500, 1000), ==, 0);
  g_assert_cmpint (cs_money_percent_of (MAXAMT, 100), ==, MAXAMT);
  g_assert_cmpint (cs_money_percent_of (G_MAXINT64, G_MAXINT64), ==, 100);
  g_assert_cmpint (cs_money_percent_of (G_MAXINT64, 1), ==, G_MAXINT64);
  g_assert_cmpint (cs_money_percent_of (G_MAXINT64 / 2, G_MAXINT64), ==, 49);
}

typedef struct {
  gint64      amount;
  const char *currency;
  const char *plain;
  const char *human;
} FormatCase;

static const FormatCase format_cases[] = {
  { 123450, "USD", "1234.50", "$1,234.50" },
  { 1200, "EUR", "12.00", "€12.00" },
  { -300, "USD", "-3.00", "-$3.00" },
  { 0, "GBP", "0.00", "£0.00" },
  { 5, "GBP", "0.05", "£0.05" },
  { 99, "EUR", "0.99", "€0.99" },
  { -5, "EUR", "-0.05", "-€0.05" },
  { 500, "JPY", "500", "¥500" },
  { 1234567, "JPY", "1234567", "¥1,234,567" },
  { -1000, "JPY", "-1000", "-¥1,000" },
  { 1200, "CHF", "12.00", "CHF 12.00" },
  { -1200, "CHF", "-12.00", "-CHF 12.00" },
  { 99999, "SEK", "999.99", "SEK 999.99" },
  { 100000, "NOK", "1000.00", "NOK 1,000.00" },
  { 100000000, "CAD", "1000000.00", "CAD 1,000,000.00" },
  { MAXAMT, "USD", "100000000000.00", "$100,000,000,000.00" },
  { G_MAXINT64, "USD", "92233720368547758.07", "$92,233,720,368,547,758.07" },
  { G_MININT64, "EUR", "-92233720368547758.08", "-€92,233,720,368,547,758.08" },
};

static void
test_format (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (format_cases); i++)
    {
      const FormatCase *c = &format_cases[i];
      g_autofree char *plain = cs_money_format_plain (c->amount, c->currency);
      g_autofree char *human = cs_money_format (c->amount, c->currency);

      g_assert_cmpstr (plain, ==, c->plain);
      g_assert_cmpstr (human, ==, c->human);
    }
}

typedef struct {
  const char *text;
  const char *currency;
  gint64      expected;
} ParseCase;

static const ParseCase parse_good[] = {
  { "12", "USD", 1200 },
  { "12.5", "USD", 1250 },
  { "12.50", "USD", 1250 },
  { "0.05", "EUR", 5 },
  { ".5", "EUR", 50 },
  { "0", "EUR", 0 },
  { "1,234.50", "USD", 123450 },
  { "1,234,567", "USD", 123456700 },
  { "999,999.99", "GBP", 99999999 },
  { "  42  ", "CHF", 4200 },
  { "007", "USD", 700 },
  { "500", "JPY", 500 },
  { "1,000", "JPY", 1000 },
  { "100000000000", "USD", MAXAMT },
  { "100,000,000,000.00", "USD", MAXAMT },
  { "10000000000000", "JPY", MAXAMT },
};

static const char * const parse_bad[] = {
  "", "   ", "-1", "-0.50", "+1", "abc", "12abc", "1.2.3", "12.", ".", "1,23", "12,3456",
  ",123", "1,,234", "1 234", "1e3", "0x10", "12.345", "$12", "12 USD",
  "100000000000.01", "100000000001", "99999999999999999999", "9223372036854775807",
  "12.3a", "1,234,56", "1234,567",
};

static void
test_parse (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (parse_good); i++)
    {
      const ParseCase *c = &parse_good[i];
      g_autoptr(GError) error = NULL;
      gint64 amount = -1;

      if (!cs_money_parse (c->text, c->currency, &amount, &error))
        g_error ("“%s” %s: %s", c->text, c->currency, error->message);
      g_assert_cmpint (amount, ==, c->expected);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (parse_bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 amount = -1;

      if (cs_money_parse (parse_bad[i], "USD", &amount, &error))
        g_error ("“%s” was accepted as %" G_GINT64_FORMAT, parse_bad[i], amount);
      g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
      g_assert_cmpint (amount, ==, -1);
    }
}

static void
test_parse_messages (void)
{
  g_autoptr(GError) error = NULL;
  gint64 amount;

  g_assert_false (cs_money_parse ("12.5", "JPY", &amount, &error));
  g_assert_cmpstr (error->message, ==, "JPY amounts have no decimal places");
  g_clear_error (&error);

  g_assert_false (cs_money_parse ("12.345", "EUR", &amount, &error));
  g_assert_cmpstr (error->message, ==, "EUR amounts have at most 2 decimal places");
  g_clear_error (&error);

  g_assert_false (cs_money_parse ("-3", "EUR", &amount, &error));
  g_assert_cmpstr (error->message, ==, "The amount cannot be negative");
  g_clear_error (&error);

  g_assert_false (cs_money_parse ("100000000000.01", "EUR", &amount, &error));
  g_assert_cmpstr (error->message, ==, "The amount is too large");
  g_clear_error (&error);

  g_assert_false (cs_money_parse (NULL, "EUR", &amount, &error));
  g_assert_cmpstr (error->message, ==, "Enter an amount");
  g_clear_error (&error);

  g_assert_false (cs_money_parse ("12", "XXX", &amount, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (cs_money_parse ("12", NULL, &amount, &error));
  g_assert_error (error, CS_ERROR, CS_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_format_parse_round_trip (void)
{
  const char * const *list = cs_currency_list ();

  for (int i = 0; i < 2000; i++)
    {
      const char *currency = list[i % g_strv_length ((char **) list)];
      gint64 amount = (gint64) (g_test_rand_double () * (double) MAXAMT);
      g_autofree char *plain = cs_money_format_plain (amount, currency);
      g_autofree char *human = cs_money_format (amount, currency);
      const char *digits;
      gint64 back = -1;

      g_assert_true (cs_money_parse (plain, currency, &back, NULL));
      g_assert_cmpint (back, ==, amount);

      /* The human form without its symbol parses back too. */
      digits = human;
      while (*digits != '\0' && !g_ascii_isdigit (*digits))
        digits++;
      back = -1;
      g_assert_true (cs_money_parse (digits, currency, &back, NULL));
      g_assert_cmpint (back, ==, amount);
    }
}

/* A locale's style: the symbol's place, the separators, the spacing. */
static void
test_money_format_styled (void)
{
  const CsMoneyStyle german = { ",", ".", FALSE, TRUE };
  const CsMoneyStyle french = { ",", "\u202f", FALSE, TRUE };
  const CsMoneyStyle english = { ".", ",", TRUE, FALSE };
  const CsMoneyStyle swiss = { ".", "'", TRUE, TRUE };
  struct {
    const CsMoneyStyle *style;
    gint64 amount;
    const char *currency;
    const char *expected;
  } cases[] = {
    { &german, 3000, "EUR", "30,00\u00a0€" },
    { &german, 123456789, "USD", "1.234.567,89\u00a0$" },
    { &german, -500, "GBP", "-5,00\u00a0£" },
    { &french, 123456789, "EUR", "1\u202f234\u202f567,89\u00a0€" },
    { &english, 123456789, "USD", "$1,234,567.89" },
    { &english, 500, "JPY", "¥500" },
    { &swiss, 123456, "CHF", "CHF\u00a01'234.56" },
    { &german, 99, "EUR", "0,99\u00a0€" },
    { &english, 0, "USD", "$0.00" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = cs_money_format_styled (cases[i].amount, cases[i].currency, cases[i].style);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
  /* no style: the C locale's */
  {
    g_autofree char *text = cs_money_format_styled (123450, "USD", NULL);

    g_assert_cmpstr (text, ==, "$1,234.50");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/money/currencies", test_currencies);
  g_test_add_func ("/core/money/init-add-sub", test_init_add_sub);
  g_test_add_func ("/core/money/checked", test_checked);
  g_test_add_func ("/core/money/basis-points/table", test_basis_points_table);
  g_test_add_func ("/core/money/basis-points/overflow", test_basis_points_overflow);
  g_test_add_func ("/core/money/basis-points/random", test_basis_points_random);
  g_test_add_func ("/core/money/percent-of", test_percent_of);
  g_test_add_func ("/core/money/format", test_format);
  g_test_add_func ("/core/money/parse", test_parse);
  g_test_add_func ("/core/money/parse-messages", test_parse_messages);
  g_test_add_func ("/core/money/round-trip", test_format_parse_round_trip);

  g_test_add_func ("/core/money/format-styled", test_money_format_styled);
  return g_test_run ();
}
