/* cs-format.c: the sentences the app shows for campaign numbers. */
#include "config.h"

#include <limits.h>
#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>
#include "cs-format.h"

char *
cs_format_time_left (CsCampaignStatus status, gint64 end_date, gint64 now)
{
  gint64 left;

  if (status != CS_CAMPAIGN_LIVE)
    {
      if (status == CS_CAMPAIGN_DRAFT || status == CS_CAMPAIGN_PENDING_REVIEW)
        return g_strdup (_("Not started"));
      return g_strdup (_("Ended"));
    }
  if (end_date <= 0)
    return g_strdup (_("Open-ended"));
  left = end_date - now;
  if (left <= 0)
    return g_strdup (_("Ended"));
  if (left >= 86400)
    {
      gint64 days = (left + 86399) / 86400;
      return g_strdup_printf (ngettext ("%lld day left", "%lld days left", (unsigned long) days),
                              (long long) days);
    }
  if (left >= 3600)
    {
      gint64 hours = (left + 3599) / 3600;
      return g_strdup_printf (ngettext ("%lld hour left", "%lld hours left", (unsigned long) hours),
                              (long long) hours);
    }
  return g_strdup (_("Less than an hour left"));
}

char *
cs_format_percent_funded (gint64 percent)
{
  /* TRANSLATORS: e.g. "45% funded" */
  return g_strdup_printf (_("%lld%% funded"), (long long) MAX (percent, 0));
}

char *
cs_format_backers (gint64 backer_count)
{
  return g_strdup_printf (ngettext ("%lld backer", "%lld backers", (unsigned long) MAX (backer_count, 0)),
                          (long long) MAX (backer_count, 0));
}

double
cs_format_progress_fraction (gint64 amount, gint64 goal)
{
  if (goal <= 0 || amount <= 0)
    return 0.0;
  if (amount >= goal)
    return 1.0;
  return (double) amount / (double) goal;
}

const char *
cs_format_not_backable_reason (CsCampaignStatus status)
{
  switch (status)
    {
    case CS_CAMPAIGN_LIVE:
      return NULL;
    case CS_CAMPAIGN_SUCCESSFUL:
      return _("This campaign reached its goal and is closed to new pledges.");
    case CS_CAMPAIGN_FAILED:
      return _("This campaign ended without reaching its goal.");
    case CS_CAMPAIGN_CANCELLED:
      return _("The creator cancelled this campaign.");
    case CS_CAMPAIGN_SUSPENDED:
      return _("This campaign is suspended while the platform reviews it.");
    case CS_CAMPAIGN_DRAFT:
    case CS_CAMPAIGN_PENDING_REVIEW:
    case CS_CAMPAIGN_REJECTED:
      return _("This campaign is not open for pledges yet.");
    case CS_CAMPAIGN_N_STATUSES:
    default:
      return _("This campaign is not open for pledges.");
    }
}

char *
cs_format_date (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_time);

  if (dt == NULL)
    return g_strdup ("");
  /* TRANSLATORS: a date, see strftime(3): "3 March 2025" */
  return g_date_time_format (dt, _("%e %B %Y"));
}

/* The locale's way with money, from LC_MONETARY; FALSE in the C locale
 * (which has no monetary conventions). */
static gboolean
locale_money_style (CsMoneyStyle *style)
{
  const struct lconv *lc = localeconv ();

  if (lc->mon_decimal_point == NULL || lc->mon_decimal_point[0] == '\0')
    return FALSE;
  style->decimal_point = lc->mon_decimal_point;
  style->thousands_sep = lc->mon_thousands_sep;
  /* CHAR_MAX: unspecified; symbol first is the common default */
  style->symbol_first = lc->p_cs_precedes == CHAR_MAX ? TRUE : lc->p_cs_precedes != 0;
  style->symbol_space = lc->p_sep_by_space != CHAR_MAX && lc->p_sep_by_space != 0;
  return TRUE;
}

char *
cs_format_money (gint64 amount, const char *currency)
{
  CsMoneyStyle style;

  if (!locale_money_style (&style))
    return cs_money_format (amount, currency);
  return cs_money_format_styled (amount, currency, &style);
}

char *
cs_format_money_plain (gint64 amount, const char *currency)
{
  CsMoneyStyle style;
  g_autofree char *plain = cs_money_format_plain (amount, currency);
  GString *out;

  if (!locale_money_style (&style) || g_strcmp0 (style.decimal_point, ".") == 0)
    return g_steal_pointer (&plain);
  out = g_string_new (plain);
  g_string_replace (out, ".", style.decimal_point, 1);
  return g_string_free (out, FALSE);
}

gboolean
cs_format_parse_money (const char *text, const char *currency, gint64 *amount_out, GError **error)
{
  CsMoneyStyle style;
  g_autoptr(GString) plain = NULL;

  g_return_val_if_fail (text != NULL, FALSE);

  if (!locale_money_style (&style) || g_strcmp0 (style.decimal_point, ".") == 0)
    return cs_money_parse (text, currency, amount_out, error);

  /* "1.234,50" → "1234.50".  People group with the locale's separator, a
   * no-break space or a plain one; a group after a separator has exactly
   * three digits (so a German "25.50" is not taken for 2.550). */
  plain = g_string_new (NULL);
  {
    const char *seps[] = { style.thousands_sep, "\u00a0", "\u202f", " ", NULL };
    const char *p = text;
    int group = -1;   /* digits since the last separator; -1: none seen yet */

    while (*p != '\0' && g_ascii_isspace (*p))
      p++;
    while (*p != '\0')
      {
        gboolean is_sep = FALSE;

        if (g_str_has_prefix (p, style.decimal_point))
          break;
        for (guint i = 0; seps[i] != NULL; i++)
          if (seps[i][0] != '\0' && g_str_has_prefix (p, seps[i]) && plain->len > 0 && p[strlen (seps[i])] != '\0')
            {
              if (group >= 0 && group != 3)
                goto bad_grouping;
              group = 0;
              p += strlen (seps[i]);
              is_sep = TRUE;
              break;
            }
        if (is_sep)
          continue;
        if (*p == '.')
          goto bad_point;
        g_string_append_c (plain, *p);
        if (group >= 0 && g_ascii_isdigit (*p))
          group++;
        p++;
      }
    if (group >= 0 && group != 3 && !g_ascii_isspace (plain->str[plain->len - 1]))
      goto bad_grouping;
    g_string_append (plain, p);
  }
  g_string_replace (plain, style.decimal_point, ".", 0);
  return cs_money_parse (plain->str, currency, amount_out, error);

bad_point:
  g_set_error (error, CS_ERROR, CS_ERROR_INVALID,
               /* TRANSLATORS: %s is the decimal separator, e.g. "," */
               _("Write the amount with “%s” before the cents"), style.decimal_point);
  return FALSE;

bad_grouping:
  g_set_error_literal (error, CS_ERROR, CS_ERROR_INVALID,
                       _("Group the digits by three, or leave the groups out"));
  return FALSE;
}
