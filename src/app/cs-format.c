/* cs-format.c: the sentences the app shows for campaign numbers. */
#include "config.h"

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
      return g_strdup_printf (ngettext ("%" G_GINT64_FORMAT " day left", "%" G_GINT64_FORMAT " days left",
                                        (unsigned long) days), days);
    }
  if (left >= 3600)
    {
      gint64 hours = (left + 3599) / 3600;
      return g_strdup_printf (ngettext ("%" G_GINT64_FORMAT " hour left", "%" G_GINT64_FORMAT " hours left",
                                        (unsigned long) hours), hours);
    }
  return g_strdup (_("Less than an hour left"));
}

char *
cs_format_percent_funded (gint64 percent)
{
  /* TRANSLATORS: e.g. "45% funded" */
  return g_strdup_printf (_("%" G_GINT64_FORMAT "%% funded"), MAX (percent, 0));
}

char *
cs_format_backers (gint64 backer_count)
{
  return g_strdup_printf (ngettext ("%" G_GINT64_FORMAT " backer", "%" G_GINT64_FORMAT " backers",
                                    (unsigned long) MAX (backer_count, 0)), MAX (backer_count, 0));
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
