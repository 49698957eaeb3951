/* cs-format.h: the sentences the app shows for campaign numbers (time left,
 * percent funded, backers), shared by the card and the campaign page. */
#pragma once

#include <glib.h>
#include "crowdspark-core.h"

G_BEGIN_DECLS

/* "12 days left", "5 hours left", "Ended", "Not started" */
char   *cs_format_time_left        (CsCampaignStatus status, gint64 end_date, gint64 now);
/* "45% funded" */
char   *cs_format_percent_funded   (gint64 percent);
/* "1 backer", "12 backers" */
char   *cs_format_backers          (gint64 backer_count);
/* 0.0 – 1.0: the share of the goal raised, capped at the goal */
double  cs_format_progress_fraction (gint64 amount, gint64 goal);
/* Why a campaign that is not live cannot be backed (NULL when it is live). */
const char *cs_format_not_backable_reason (CsCampaignStatus status);
/* Money as the user's locale writes it (LC_MONETARY): "$1,234.50" in
 * English, "1.234,50 $" in German, "1 234,50 $" in French; the C locale
 * gives core's form ("$1,234.50"). */
char   *cs_format_money            (gint64 amount, const char *currency);
/* An amount as a person types it in their locale, without symbol or
 * grouping: "25.00" in English, "25,00" in German (to prefill an entry). */
char   *cs_format_money_plain      (gint64 amount, const char *currency);
/* Parses an amount a person typed in their locale's way ("1.234,50" in
 * German, "1 234,50" in French, "1,234.50" in English) in @currency's minor
 * units; the error says what is wrong. */
gboolean cs_format_parse_money     (const char *text, const char *currency, gint64 *amount_out,
                                    GError **error);
/* A date for people: "3 March 2025" (@unix_time) */
char   *cs_format_date             (gint64 unix_time);

G_END_DECLS
