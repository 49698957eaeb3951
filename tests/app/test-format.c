/* test-format.c: money and dates as the user's locale writes them, in the
 * real locales (de_DE.UTF-8, fr_FR.UTF-8, en_US.UTF-8: scripts/install-deps.sh
 * generates them), and amounts typed the locale's way parsed back. */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cs-format.h"

static void
use_locale (const char *name)
{
  if (setlocale (LC_ALL, name) == NULL)
    g_error ("the locale %s is not installed (scripts/install-deps.sh generates it)", name);
}

static void
test_money_in_locales (void)
{
  struct {
    const char *locale;
    gint64      amount;
    const char *currency;
    const char *expected;
  } cases[] = {
    { "en_US.UTF-8", 123450, "USD", "$1,234.50" },
    { "en_US.UTF-8", 3000, "EUR", "€30.00" },
    { "de_DE.UTF-8", 123450, "USD", "1.234,50\u00a0$" },
    { "de_DE.UTF-8", 3000, "EUR", "30,00\u00a0€" },
    { "fr_FR.UTF-8", 123450, "EUR", "1\u202f234,50\u00a0€" },
    { "C", 123450, "USD", "$1,234.50" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = NULL;

      use_locale (cases[i].locale);
      text = cs_format_money (cases[i].amount, cases[i].currency);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
  setlocale (LC_ALL, "C");
}

static void
test_parse_in_locales (void)
{
  struct {
    const char *locale;
    const char *text;
    gint64      expected;   /* -1: refused */
  } cases[] = {
    { "en_US.UTF-8", "1,234.50", 123450 },
    { "en_US.UTF-8", "25", 2500 },
    { "de_DE.UTF-8", "1.234,50", 123450 },
    { "de_DE.UTF-8", "25,5", 2550 },
    { "de_DE.UTF-8", "25.50", -1 },          /* a German "." groups: "25.50" is not 25,50 */
    { "fr_FR.UTF-8", "1 234,50", 123450 },
    { "fr_FR.UTF-8", "1\u202f234,50", 123450 },
    { "fr_FR.UTF-8", "abc", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 amount = 0;
      gboolean ok;

      use_locale (cases[i].locale);
      ok = cs_format_parse_money (cases[i].text, "EUR", &amount, &error);
      if (cases[i].expected < 0)
        {
          g_assert_false (ok);
          g_assert_nonnull (error);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpint (amount, ==, cases[i].expected);
        }
    }
  setlocale (LC_ALL, "C");
}

static void
test_dates_in_locales (void)
{
  /* 2026-03-03 12:00 UTC: the month's name comes from LC_TIME */
  gint64 when = 1772539200;
  g_autofree char *german = NULL;
  g_autofree char *french = NULL;

  g_setenv ("TZ", "UTC", TRUE);
  use_locale ("de_DE.UTF-8");
  german = cs_format_date (when);
  g_assert_nonnull (strstr (german, "März"));
  use_locale ("fr_FR.UTF-8");
  french = cs_format_date (when);
  g_assert_nonnull (strstr (french, "mars"));
  setlocale (LC_ALL, "C");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/format/money-in-locales", test_money_in_locales);
  g_test_add_func ("/format/parse-in-locales", test_parse_in_locales);
  g_test_add_func ("/format/dates-in-locales", test_dates_in_locales);
  return g_test_run ();
}
