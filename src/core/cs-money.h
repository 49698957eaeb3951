/* cs-money.h: money is an integer count of minor units plus an ISO 4217 code.
 * Never a double.  All arithmetic is overflow-checked. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Largest amount we accept anywhere (10^13 minor units: 100 billion in a
 * 2-decimal currency), so sums of many amounts never come near G_MAXINT64. */
#define CS_MONEY_MAX_AMOUNT G_GINT64_CONSTANT (10000000000000)

typedef struct {
  gint64 amount;       /* minor units */
  char   currency[4];  /* ISO 4217, upper case, NUL-terminated */
} CsMoney;

/* Whether @code is a currency the platform supports (upper-case ISO 4217). */
gboolean    cs_currency_is_supported   (const char *code);
/* Number of minor-unit digits (2 for EUR, 0 for JPY); -1 if unsupported. */
int         cs_currency_exponent       (const char *code);
/* The symbol, e.g. "€", "$", or the code itself if none. */
const char *cs_currency_symbol         (const char *code);
/* NULL-terminated list of supported codes, in display order. */
const char * const *cs_currency_list   (void);

gboolean    cs_money_init              (CsMoney *money, gint64 amount, const char *currency, GError **error);

/* a + b, a - b: CS_ERROR_INVALID on currency mismatch or overflow. */
gboolean    cs_money_add               (const CsMoney *a, const CsMoney *b, CsMoney *out, GError **error);
gboolean    cs_money_sub               (const CsMoney *a, const CsMoney *b, CsMoney *out, GError **error);

/* Overflow-checked gint64 helpers; FALSE on overflow. */
gboolean    cs_int64_add_checked       (gint64 a, gint64 b, gint64 *out);
gboolean    cs_int64_mul_checked       (gint64 a, gint64 b, gint64 *out);

typedef enum {
  CS_ROUND_HALF_UP,    /* commercial rounding: 0.5 away from zero */
  CS_ROUND_HALF_EVEN,  /* banker's rounding */
  CS_ROUND_DOWN,       /* toward zero */
  CS_ROUND_UP,         /* away from zero */
} CsRounding;

/* amount × basis_points / 10000, rounded as asked (1 bp = 0.01 %), e.g. a
 * 2.9 % fee is 290 bp.  FALSE on overflow. */
gboolean    cs_money_apply_basis_points (gint64 amount, gint64 basis_points, CsRounding rounding, gint64 *out);

/* Percent funded, in whole percent, rounded down (0 if goal <= 0). */
gint64      cs_money_percent_of        (gint64 amount, gint64 goal);

/* "1234.50" style, no grouping, the currency's exponent digits; no symbol. */
char       *cs_money_format_plain      (gint64 amount, const char *currency);
/* Human form with symbol and grouping in the C locale: "$1,234.50",
 * "€12.00", "¥500", "CHF 12.00"; negative as "-$3.00". */
char       *cs_money_format            (gint64 amount, const char *currency);

/* How a locale writes money (the app fills it from localeconv()); core
 * itself knows no locale.  Strings are UTF-8; NULL or "" take the C
 * locale's "." and ",". */
typedef struct {
  const char *decimal_point;     /* "." / "," */
  const char *thousands_sep;     /* "," / "." / " " (narrow no-break space) / "" for none */
  gboolean    symbol_first;      /* "$30.00" (TRUE) or "30,00 $" (FALSE) */
  gboolean    symbol_space;      /* a space between the symbol and the number */
} CsMoneyStyle;

/* The human form in @style: "30,00 €", "1.234,50 $", "$1,234.50";
 * negative as "-30,00 €" / "-$30.00".  The space between symbol and number
 * is a no-break space (U+00A0), so a line never splits them. */
char       *cs_money_format_styled     (gint64 amount, const char *currency, const CsMoneyStyle *style);

/* Parses a decimal string typed by a person ("12", "12.5", "1,234.50",
 * "12.345" is too many digits → error) in @currency's exponent. */
gboolean    cs_money_parse             (const char *text, const char *currency, gint64 *amount_out, GError **error);

G_END_DECLS
