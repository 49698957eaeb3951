/* cs-money.c: integer money, currencies, rounding, formatting, parsing. */
#include "config.h"

#include <string.h>

#include "cs-error.h"
#include "cs-money.h"

/* Types */

typedef struct {
  const char *code;
  int         exponent;
  const char *symbol;   /* prefix symbol, or NULL: the code and a space */
} CsCurrencyInfo;

/* Helpers */

static const CsCurrencyInfo currencies[] = {
  { "USD", 2, "$" },
  { "EUR", 2, "€" },
  { "GBP", 2, "£" },
  { "CHF", 2, NULL },
  { "CAD", 2, NULL },
  { "AUD", 2, NULL },
  { "NZD", 2, NULL },
  { "JPY", 0, "¥" },
  { "SEK", 2, NULL },
  { "NOK", 2, NULL },
  { "DKK", 2, NULL },
  { "PLN", 2, NULL },
  { "CZK", 2, NULL },
};

static const char * const currency_codes[] = {
  "USD", "EUR", "GBP", "CHF", "CAD", "AUD", "NZD", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK",
  NULL
};

G_STATIC_ASSERT (G_N_ELEMENTS (currencies) + 1 == G_N_ELEMENTS (currency_codes));

static const CsCurrencyInfo *
currency_lookup (const char *code)
{
  if (code == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (currencies); i++)
    if (strcmp (currencies[i].code, code) == 0)
      return &currencies[i];
  return NULL;
}

/* |amount| as an unsigned value, correct for G_MININT64 too. */
static guint64
magnitude (gint64 amount)
{
  return amount < 0 ? (guint64) (-(amount + 1)) + 1 : (guint64) amount;
}

/* Appends the decimal digits of @value, grouped by @sep every three digits
 * when @sep is not 0. */
/* @value's digits, grouped by three with @sep (NULL or "": no grouping). */
static void
append_digits (GString *out, guint64 value, const char *sep)
{
  char buf[32];
  int n = 0;
  int groups;

  do
    {
      buf[n++] = (char) ('0' + value % 10);
      value /= 10;
    }
  while (value > 0);

  groups = (sep != NULL && *sep != '\0') ? (n - 1) / 3 : 0;
  for (int i = n - 1; i >= 0; i--)
    {
      g_string_append_c (out, buf[i]);
      if (groups > 0 && i > 0 && i % 3 == 0)
        g_string_append (out, sep);
    }
}

static guint64
pow10_u64 (int exponent)
{
  guint64 p = 1;

  while (exponent-- > 0)
    p *= 10;
  return p;
}

/* The number alone: grouped (when @thousands_sep) with @decimal_point. */
static void
append_number (GString *out, gint64 amount, int exponent, const char *thousands_sep, const char *decimal_point)
{
  guint64 mag = magnitude (amount);
  guint64 scale = pow10_u64 (exponent);
  guint64 units = mag / scale;
  guint64 minor = mag % scale;

  append_digits (out, units, thousands_sep);
  if (exponent > 0)
    {
      char frac[8];

      for (int i = exponent - 1; i >= 0; i--)
        {
          frac[i] = (char) ('0' + minor % 10);
          minor /= 10;
        }
      g_string_append (out, decimal_point);
      g_string_append_len (out, frac, exponent);
    }
}

static void
format_amount (GString *out, gint64 amount, const char *currency, gboolean human)
{
  const CsCurrencyInfo *info = currency_lookup (currency);
  int exponent = info != NULL ? info->exponent : 2;

  if (amount < 0)
    g_string_append_c (out, '-');

  if (human)
    {
      if (info != NULL && info->symbol != NULL)
        g_string_append (out, info->symbol);
      else if (currency != NULL && *currency != '\0')
        {
          g_string_append (out, currency);
          g_string_append_c (out, ' ');
        }
    }
  append_number (out, amount, exponent, human ? "," : NULL, ".");
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Public API */

char *
cs_money_format_styled (gint64 amount, const char *currency, const CsMoneyStyle *style)
{
  const CsCurrencyInfo *info = currency_lookup (currency);
  int exponent = info != NULL ? info->exponent : 2;
  const char *symbol = info != NULL && info->symbol != NULL ? info->symbol : currency;
  const char *point = style != NULL && style->decimal_point != NULL && *style->decimal_point != '\0'
                      ? style->decimal_point : ".";
  const char *sep = style != NULL && style->thousands_sep != NULL ? style->thousands_sep : ",";
  gboolean first = style == NULL || style->symbol_first;
  /* a code (no symbol) is always set apart: "CHF 12.00", "12,00 CHF" */
  gboolean space = (style != NULL && style->symbol_space) || info == NULL || info->symbol == NULL;
  GString *out = g_string_sized_new (32);

  if (amount < 0)
    g_string_append_c (out, '-');
  if (first && symbol != NULL)
    {
      g_string_append (out, symbol);
      if (space)
        g_string_append (out, "\u00a0");
    }
  append_number (out, amount, exponent, sep, point);
  if (!first && symbol != NULL)
    {
      if (space)
        g_string_append (out, "\u00a0");
      g_string_append (out, symbol);
    }
  return g_string_free (out, FALSE);
}

gboolean
cs_currency_is_supported (const char *code)
{
  return currency_lookup (code) != NULL;
}

int
cs_currency_exponent (const char *code)
{
  const CsCurrencyInfo *info = currency_lookup (code);

  return info != NULL ? info->exponent : -1;
}

const char *
cs_currency_symbol (const char *code)
{
  const CsCurrencyInfo *info = currency_lookup (code);

  if (info == NULL)
    return code;
  return info->symbol != NULL ? info->symbol : info->code;
}

const char * const *
cs_currency_list (void)
{
  return currency_codes;
}

gboolean
cs_money_init (CsMoney *money, gint64 amount, const char *currency, GError **error)
{
  g_return_val_if_fail (money != NULL, FALSE);

  if (!cs_currency_is_supported (currency))
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                   "“%s” is not a supported currency", currency != NULL ? currency : "");
      return FALSE;
    }

  money->amount = amount;
  memcpy (money->currency, currency, 3);
  money->currency[3] = '\0';
  return TRUE;
}

static gboolean
check_same_currency (const CsMoney *a, const CsMoney *b, GError **error)
{
  if (strncmp (a->currency, b->currency, sizeof a->currency) != 0)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                   "Cannot combine amounts in %s and %s", a->currency, b->currency);
      return FALSE;
    }
  return TRUE;
}

gboolean
cs_money_add (const CsMoney *a, const CsMoney *b, CsMoney *out, GError **error)
{
  gint64 sum;

  g_return_val_if_fail (a != NULL && b != NULL && out != NULL, FALSE);

  if (!check_same_currency (a, b, error))
    return FALSE;
  if (!cs_int64_add_checked (a->amount, b->amount, &sum))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "The amount is too large");
      return FALSE;
    }
  memmove (out->currency, a->currency, sizeof out->currency);
  out->amount = sum;
  return TRUE;
}

gboolean
cs_money_sub (const CsMoney *a, const CsMoney *b, CsMoney *out, GError **error)
{
  gint64 diff;

  g_return_val_if_fail (a != NULL && b != NULL && out != NULL, FALSE);

  if (!check_same_currency (a, b, error))
    return FALSE;
  if (__builtin_sub_overflow (a->amount, b->amount, &diff))
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "The amount is too large");
      return FALSE;
    }
  memmove (out->currency, a->currency, sizeof out->currency);
  out->amount = diff;
  return TRUE;
}

gboolean
cs_int64_add_checked (gint64 a, gint64 b, gint64 *out)
{
  gint64 r;

  if (__builtin_add_overflow (a, b, &r))
    return FALSE;
  if (out != NULL)
    *out = r;
  return TRUE;
}

gboolean
cs_int64_mul_checked (gint64 a, gint64 b, gint64 *out)
{
  gint64 r;

  if (__builtin_mul_overflow (a, b, &r))
    return FALSE;
  if (out != NULL)
    *out = r;
  return TRUE;
}

/* Splits x × y / 10000 into a truncated quotient and a remainder that has
 * the product's sign, without ever forming the full product:
 * x = qx × 10000 + rx (|rx| < 10000), so x × y = (qx × y) × 10000 + rx × y,
 * and both terms have the sign of x × y. */
static gboolean
split_product (gint64 x, gint64 y, gint64 *quot, gint64 *rem)
{
  gint64 qx = x / 10000;
  gint64 rx = x % 10000;
  gint64 high, low;

  if (!cs_int64_mul_checked (qx, y, &high))
    return FALSE;
  if (!cs_int64_mul_checked (rx, y, &low))
    return FALSE;
  if (!cs_int64_add_checked (high, low / 10000, quot))
    return FALSE;
  *rem = low % 10000;
  return TRUE;
}

gboolean
cs_money_apply_basis_points (gint64 amount, gint64 basis_points, CsRounding rounding, gint64 *out)
{
  gint64 q, r;
  gint64 r_abs;
  int sign;
  gboolean away = FALSE;

  /* If rx × y overflows with one factor split, it cannot with the other
   * unless the product itself is far beyond the range of gint64. */
  if (!split_product (amount, basis_points, &q, &r) &&
      !split_product (basis_points, amount, &q, &r))
    return FALSE;

  if (r == 0)
    {
      if (out != NULL)
        *out = q;
      return TRUE;
    }

  sign = ((amount < 0) != (basis_points < 0)) ? -1 : 1;
  r_abs = r < 0 ? -r : r;

  switch (rounding)
    {
    case CS_ROUND_DOWN:
      away = FALSE;
      break;
    case CS_ROUND_UP:
      away = TRUE;
      break;
    case CS_ROUND_HALF_UP:
      away = r_abs * 2 >= 10000;
      break;
    case CS_ROUND_HALF_EVEN:
      if (r_abs * 2 > 10000)
        away = TRUE;
      else if (r_abs * 2 == 10000)
        away = (q % 2) != 0;
      else
        away = FALSE;
      break;
    default:
      g_return_val_if_reached (FALSE);
    }

  if (away && !cs_int64_add_checked (q, sign, &q))
    return FALSE;
  if (out != NULL)
    *out = q;
  return TRUE;
}

gint64
cs_money_percent_of (gint64 amount, gint64 goal)
{
  gint64 scaled;
  gint64 whole;
  guint64 rem, acc = 0;
  gint64 part = 0;

  if (goal <= 0 || amount <= 0)
    return 0;

  if (cs_int64_mul_checked (amount, 100, &scaled))
    return scaled / goal;

  /* Far beyond any real amount: 100 × (amount / goal) plus
   * floor (100 × rem / goal), the latter by adding rem 100 times modulo
   * goal (rem, acc < goal <= 2^63, so acc + rem never wraps). */
  if (!cs_int64_mul_checked (amount / goal, 100, &whole))
    return G_MAXINT64;
  rem = (guint64) (amount % goal);
  for (int i = 0; i < 100; i++)
    {
      acc += rem;
      if (acc >= (guint64) goal)
        {
          acc -= (guint64) goal;
          part++;
        }
    }
  if (!cs_int64_add_checked (whole, part, &whole))
    return G_MAXINT64;
  return whole;
}

char *
cs_money_format_plain (gint64 amount, const char *currency)
{
  GString *out = g_string_sized_new (24);

  format_amount (out, amount, currency, FALSE);
  return g_string_free (out, FALSE);
}

char *
cs_money_format (gint64 amount, const char *currency)
{
  GString *out = g_string_sized_new (32);

  format_amount (out, amount, currency, TRUE);
  return g_string_free (out, FALSE);
}

gboolean
cs_money_parse (const char *text, const char *currency, gint64 *amount_out, GError **error)
{
  int exponent = cs_currency_exponent (currency);
  const char *p, *end;
  gint64 units = 0;
  gint64 minor = 0;
  int int_digits = 0;
  int frac_digits = 0;
  int group_len = 0;
  gboolean grouped = FALSE;
  gint64 total;

  if (exponent < 0)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                   "“%s” is not a supported currency", currency != NULL ? currency : "");
      return FALSE;
    }

  if (text == NULL)
    text = "";
  p = text;
  end = text + strlen (text);
  while (p < end && is_space (*p))
    p++;
  while (end > p && is_space (end[-1]))
    end--;

  if (p == end)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "Enter an amount");
      return FALSE;
    }
  if (*p == '-')
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "The amount cannot be negative");
      return FALSE;
    }

  /* Whole units, optionally grouped by commas: 1,234,567. */
  for (; p < end && *p != '.'; p++)
    {
      if (*p >= '0' && *p <= '9')
        {
          if (!cs_int64_mul_checked (units, 10, &units) ||
              !cs_int64_add_checked (units, *p - '0', &units))
            goto too_large;
          int_digits++;
          group_len++;
          if (grouped && group_len > 3)
            goto invalid;
        }
      else if (*p == ',')
        {
          /* The first group has 1–3 digits, each later one exactly 3. */
          if (group_len == 0 || group_len > 3 || (grouped && group_len != 3))
            goto invalid;
          grouped = TRUE;
          group_len = 0;
        }
      else
        goto invalid;
    }
  if (grouped && group_len != 3)
    goto invalid;

  if (p < end)
    {
      p++;  /* '.' */
      if (p == end)
        goto invalid;
      for (; p < end; p++)
        {
          if (*p < '0' || *p > '9')
            goto invalid;
          frac_digits++;
          if (frac_digits > exponent)
            {
              if (exponent == 0)
                g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                             "%s amounts have no decimal places", currency);
              else
                g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
                             "%s amounts have at most %d decimal places", currency, exponent);
              return FALSE;
            }
          minor = minor * 10 + (*p - '0');
        }
    }
  else if (int_digits == 0)
    goto invalid;

  for (int i = frac_digits; i < exponent; i++)
    minor *= 10;

  if (!cs_int64_mul_checked (units, (gint64) pow10_u64 (exponent), &total) ||
      !cs_int64_add_checked (total, minor, &total) ||
      total > CS_MONEY_MAX_AMOUNT)
    goto too_large;

  if (amount_out != NULL)
    *amount_out = total;
  return TRUE;

invalid:
  g_set_error (error, CS_ERROR, CS_ERROR_INVALID, "“%s” is not a valid amount", text);
  return FALSE;

too_large:
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID, "The amount is too large");
  return FALSE;
}
