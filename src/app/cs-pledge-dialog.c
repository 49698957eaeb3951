/* cs-pledge-dialog.c: backing a campaign, or changing a pledge, in steps.
 *
 * Steps (pages of one GtkStack, Back/Continue in the header bar):
 *   reward   "No reward" or a tier, and the amount (at least the tier's and
 *            the platform's minimum, parsed in the campaign's currency)
 *   payment  the card, which goes only to the gateway's tokenisation; the
 *            fields are emptied as soon as the token is back
 *   review   what will be pledged; Confirm sends it with the dialog's one
 *            idempotency key
 *   result   pending, then authorized or declined as the sync engine's
 *            "pledge-changed" arrives (or a direct read of the pledge finds it)
 * Changing a pledge skips the card and goes through the outbox.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cs-client-error.h"
#include "cs-format.h"
#include "cs-pledge-dialog.h"
#include "cs-pledge-row.h"
#include "cs-widget-util.h"

struct _CsPledgeDialog
{
  AdwWindow parent_instance;

  /* template widgets */
  AdwWindowTitle      *window_title;
  GtkButton           *cancel_button;
  GtkButton           *back_button;
  GtkButton           *next_button;
  GtkSpinner          *next_spinner;
  GtkLabel            *next_label;
  GtkStack            *steps;
  AdwStatusPage       *unavailable_page;
  AdwPreferencesGroup *reward_group;
  AdwPreferencesGroup *amount_group;
  AdwEntryRow         *amount_row;
  GtkLabel            *amount_error;
  AdwPreferencesGroup *cancel_group;
  GtkButton           *cancel_pledge_button;
  AdwPreferencesGroup *card_group;
  AdwEntryRow         *card_row;
  AdwEntryRow         *expiry_row;
  AdwPasswordEntryRow *cvc_row;
  GtkLabel            *card_error;
  GtkLabel            *card_note;
  GtkWidget           *review_card_row;
  GtkLabel            *review_campaign;
  GtkLabel            *review_reward;
  GtkLabel            *review_card;
  GtkLabel            *review_amount;
  GtkLabel            *review_total;
  GtkLabel            *review_error;
  AdwStatusPage       *result_page;
  GtkSpinner          *result_spinner;
  GtkButton           *retry_button;

  /* owned */
  CsContext    *context;
  GCancellable *cancellable;
  gulong        pledge_changed_id;
  gulong        synchronizing_id;
  guint         poll_source;
  guint         polls;

  gboolean      change_mode;
  char         *campaign_id;
  char         *pledge_id;        /* change: the pledge; new: once the server made it */
  gint64        original_amount;  /* change */
  char         *original_tier_id; /* change */
  CsCampaign   *campaign;
  GPtrArray    *reward_checks;    /* GtkCheckButton*; "tier-id" data, NULL for no reward */
  char         *tier_id;          /* the selected tier, NULL: no reward */
  gint64        amount;
  gboolean      amount_valid;
  gboolean      amount_auto;      /* the amount's text was filled by us */
  char         *payment_method;   /* the gateway's token, never a card number */
  char          card_last4[5];
  char         *idempotency_key;
  gboolean      busy;
  gboolean      checking;         /* a direct read of the pledge is running */
  char         *result_status;    /* the status the result page shows */
};

enum {
  SIGNAL_PLEDGE_MADE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define POLL_SECONDS 4
#define MAX_POLLS    15

G_DEFINE_FINAL_TYPE (CsPledgeDialog, cs_pledge_dialog, ADW_TYPE_WINDOW)

/* ---- helpers ------------------------------------------------------------ */

static void
set_row_error (gpointer row, gboolean error)
{
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static void
show_message (GtkLabel *label, const char *message)
{
  gtk_label_set_text (label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL && *message != '\0');
}

static const char *
current_step (CsPledgeDialog *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->steps);

  return name ? name : "";
}

static const CsRewardTier *
find_tier (CsPledgeDialog *self, const char *tier_id)
{
  if (self->campaign == NULL || tier_id == NULL)
    return NULL;
  for (guint i = 0; i < self->campaign->rewards->len; i++)
    {
      const CsRewardTier *tier = g_ptr_array_index (self->campaign->rewards, i);

      if (g_strcmp0 (tier->id, tier_id) == 0)
        return tier;
    }
  return NULL;
}

static const char *
currency (CsPledgeDialog *self)
{
  return self->campaign ? self->campaign->currency : "USD";
}

static gint64
minimum_amount (CsPledgeDialog *self)
{
  const CsRewardTier *tier = find_tier (self, self->tier_id);
  gint64 minimum = cs_pledge_minimum_for_currency (currency (self));

  if (tier != NULL && tier->minimum_pledge > minimum)
    minimum = tier->minimum_pledge;
  return minimum;
}

static gboolean
is_loopback_server (CsPledgeDialog *self)
{
  g_autoptr(GUri) uri = g_uri_parse (cs_context_get_server_url (self->context), G_URI_FLAGS_NONE, NULL);
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  if (host == NULL)
    return FALSE;
  return g_str_equal (host, "localhost") || g_str_has_prefix (host, "127.") ||
         g_str_equal (host, "::1") || g_str_equal (host, "[::1]");
}

/* Overwrites a copy of card data before freeing it. */
static void
wipe_string (char *text)
{
  if (text == NULL)
    return;
  memset (text, 0, strlen (text));
  g_free (text);
}

/* Only the digits of @text (the card number is shown grouped). */
static char *
digits_of (const char *text)
{
  GString *digits = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (digits, *p);
  return g_string_free (digits, FALSE);
}

static gboolean
luhn_valid (const char *digits)
{
  gsize len = strlen (digits);
  int sum = 0;

  for (gsize i = 0; i < len; i++)
    {
      int d = digits[len - 1 - i] - '0';

      if (i % 2 == 1)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
    }
  return len > 0 && sum % 10 == 0;
}

/* "MM/YY", "MM / YY", "MMYY" or "MM/YYYY". */
static gboolean
parse_expiry (const char *text, guint *month_out, guint *year_out)
{
  g_autofree char *digits = digits_of (text);
  gsize len = strlen (digits);
  guint month, year;

  if (len != 4 && len != 6)
    return FALSE;
  month = (guint) (digits[0] - '0') * 10 + (guint) (digits[1] - '0');
  year = (guint) g_ascii_strtoull (digits + 2, NULL, 10);
  if (len == 4)
    year += 2000;
  if (month < 1 || month > 12)
    return FALSE;
  *month_out = month;
  *year_out = year;
  return TRUE;
}

static gboolean
expiry_in_past (guint month, guint year)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  guint this_year = (guint) g_date_time_get_year (now);
  guint this_month = (guint) g_date_time_get_month (now);

  return year < this_year || (year == this_year && month < this_month);
}

static char *
format_amount (CsPledgeDialog *self, gint64 amount)
{
  return cs_format_money (amount, currency (self));
}

/* ---- the header bar ------------------------------------------------------ */

static gboolean
selection_changed (CsPledgeDialog *self)
{
  if (!self->change_mode)
    return TRUE;
  return self->amount != self->original_amount ||
         g_strcmp0 (self->tier_id, self->original_tier_id) != 0;
}

static void
update_header (CsPledgeDialog *self)
{
  const char *step = current_step (self);
  gboolean first = g_str_equal (step, "reward") || g_str_equal (step, "loading") ||
                   g_str_equal (step, "unavailable");
  gboolean result = g_str_equal (step, "result");
  const char *label = _("_Continue");
  gboolean sensitive = !self->busy;
  gboolean shown = TRUE;

  if (g_str_equal (step, "reward"))
    sensitive = sensitive && self->amount_valid && selection_changed (self);
  else if (g_str_equal (step, "review"))
    label = self->change_mode ? _("_Save Change") : _("C_onfirm Pledge");
  else if (result)
    label = _("_Done");
  else if (!g_str_equal (step, "payment"))
    shown = FALSE;

  gtk_label_set_text_with_mnemonic (self->next_label, label);
  gtk_widget_set_visible (GTK_WIDGET (self->next_button), shown);
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), sensitive);
  gtk_widget_set_visible (GTK_WIDGET (self->next_spinner), self->busy);
  gtk_spinner_set_spinning (self->next_spinner, self->busy);

  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), first);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), !first && !result);
  gtk_widget_set_sensitive (GTK_WIDGET (self->back_button), !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_pledge_button), !self->busy);
}

static void
set_busy (CsPledgeDialog *self, gboolean busy)
{
  self->busy = busy;
  update_header (self);
}

static void
go_to (CsPledgeDialog *self, const char *step)
{
  gtk_stack_set_visible_child_name (self->steps, step);
  update_header (self);
}

/* ---- a) reward and amount --------------------------------------------------- */

/* Validates the amount; shows the problem when @show and the field is not empty. */
static gboolean
validate_amount (CsPledgeDialog *self, gboolean show)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->amount_row));
  g_autofree char *minimum_text = format_amount (self, minimum_amount (self));
  g_autofree char *message = NULL;
  gint64 amount = 0;

  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (*stripped == '\0')
    message = NULL;
  else if (!cs_format_parse_money (stripped, currency (self), &amount, NULL))
    {
      g_autofree char *example = cs_format_money_plain (minimum_amount (self), currency (self));
      message = g_strdup_printf (_("Enter an amount in %s, like %s"), currency (self), example);
    }
  else if (amount < minimum_amount (self))
    message = g_strdup_printf (self->tier_id ? _("The minimum for this reward is %s")
                                             : _("The minimum pledge is %s"),
                               minimum_text);
  else if (amount > CS_MONEY_MAX_AMOUNT)
    message = g_strdup (_("That amount is too large"));

  self->amount_valid = *stripped != '\0' && message == NULL;
  self->amount = self->amount_valid ? amount : 0;

  show_message (self->amount_error, show ? message : NULL);
  set_row_error (self->amount_row, show && message != NULL);
  update_header (self);
  return self->amount_valid;
}

static void
update_amount_hint (CsPledgeDialog *self)
{
  g_autofree char *minimum = format_amount (self, minimum_amount (self));
  g_autofree char *description = g_strdup_printf (_("At least %s"), minimum);

  adw_preferences_group_set_description (self->amount_group, description);
}

static void
reward_toggled_cb (GtkCheckButton *check, CsPledgeDialog *self)
{
  const char *tier_id;

  if (!gtk_check_button_get_active (check))
    return;

  tier_id = g_object_get_data (G_OBJECT (check), "tier-id");
  g_free (self->tier_id);
  self->tier_id = g_strdup (tier_id);

  /* Fill in the reward's minimum unless the person typed an amount. */
  if (self->tier_id != NULL &&
      (self->amount_auto || *gtk_editable_get_text (GTK_EDITABLE (self->amount_row)) == '\0'))
    {
      g_autofree char *plain = cs_format_money_plain (minimum_amount (self), currency (self));

      gtk_editable_set_text (GTK_EDITABLE (self->amount_row), plain);
      self->amount_auto = TRUE;
    }
  update_amount_hint (self);
  validate_amount (self, TRUE);
}

static GtkWidget *
add_reward_row (CsPledgeDialog *self, const char *title, const char *subtitle,
                const char *tier_id, gboolean available)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  if (self->reward_checks->len > 0)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (check),
                                g_ptr_array_index (self->reward_checks, 0));
  g_object_set_data_full (G_OBJECT (check), "tier-id", g_strdup (tier_id), g_free);
  g_signal_connect_object (check, "toggled", G_CALLBACK (reward_toggled_cb), self, 0);

  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  gtk_widget_set_sensitive (row, available);
  adw_preferences_group_add (self->reward_group, row);
  g_ptr_array_add (self->reward_checks, check);
  return check;
}

static char *
tier_subtitle (CsPledgeDialog *self, const CsRewardTier *tier, gint64 remaining)
{
  g_autofree char *minimum = format_amount (self, tier->minimum_pledge);
  g_autofree char *left = NULL;

  if (remaining == 0)
    left = g_strdup (_("Sold out"));
  else if (remaining > 0)
    left = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%lld left", "%lld left", (gulong) remaining),
                            (long long) remaining);

  if (left == NULL)
    return g_strdup_printf (_("At least %s"), minimum);
  /* TRANSLATORS: "At least $10.00 · 5 left" */
  return g_strdup_printf (_("At least %s · %s"), minimum, left);
}

static void
populate_rewards (CsPledgeDialog *self)
{
  GtkWidget *selected;

  selected = add_reward_row (self, _("No Reward"), _("Back it because you believe in it"), NULL, TRUE);
  for (guint i = 0; i < self->campaign->rewards->len; i++)
    {
      const CsRewardTier *tier = g_ptr_array_index (self->campaign->rewards, i);
      gint64 remaining = cs_reward_tier_remaining (tier);
      gboolean held = g_strcmp0 (tier->id, self->original_tier_id) == 0;
      g_autofree char *subtitle = tier_subtitle (self, tier, remaining);
      GtkWidget *check;

      check = add_reward_row (self, tier->title, subtitle, tier->id, remaining != 0 || held);
      if (held)
        selected = check;
    }
  gtk_check_button_set_active (GTK_CHECK_BUTTON (selected), TRUE);
}

static void
show_unavailable (CsPledgeDialog *self, const char *title, const char *description)
{
  g_autofree char *escaped = description ? g_markup_escape_text (description, -1) : NULL;

  adw_status_page_set_title (self->unavailable_page, title);
  adw_status_page_set_description (self->unavailable_page, escaped);
  go_to (self, "unavailable");
}

static void
populate (CsPledgeDialog *self)
{
  g_autofree char *amount_title = g_strdup_printf (_("Amount (%s)"), currency (self));

  adw_window_title_set_subtitle (self->window_title, self->campaign->title);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->amount_row), amount_title);
  gtk_label_set_text (self->review_campaign, self->campaign->title);

  if (self->campaign->status != CS_CAMPAIGN_LIVE)
    {
      show_unavailable (self, _("This Project Is Not Open"),
                        self->change_mode ? _("Pledges can only be changed while the project is live.")
                                          : _("Only live projects accept pledges."));
      return;
    }

  if (self->change_mode)
    {
      g_autofree char *plain = cs_format_money_plain (self->original_amount, currency (self));

      gtk_editable_set_text (GTK_EDITABLE (self->amount_row), plain);
      self->amount_auto = FALSE;
    }
  populate_rewards (self);
  update_amount_hint (self);
  validate_amount (self, TRUE);
  go_to (self, "reward");
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_row));
}

/* ---- loading ---------------------------------------------------------------- */

static void
campaign_fetched_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsPledgeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  CsCampaign *campaign;

  campaign = cs_sync_engine_fetch_campaign_finish (CS_SYNC_ENGINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (campaign == NULL)
    {
      show_unavailable (self, _("Cannot Load the Project"), error->message);
      return;
    }
  self->campaign = campaign;
  populate (self);
}

static void
campaign_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsPledgeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  CsCampaign *campaign;

  campaign = cs_cache_get_campaign_finish (CS_CACHE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (campaign == NULL || campaign->rewards == NULL)
    {
      /* Not cached yet: ask the server (which also caches it). */
      g_clear_pointer (&campaign, cs_campaign_free);
      cs_sync_engine_fetch_campaign_async (cs_context_get_sync_engine (self->context),
                                           self->campaign_id, self->cancellable,
                                           campaign_fetched_cb, g_object_ref (self));
      return;
    }
  self->campaign = campaign;
  populate (self);
}

static void
load_campaign (CsPledgeDialog *self)
{
  cs_cache_get_campaign_async (cs_context_get_cache (self->context), self->campaign_id,
                               self->cancellable, campaign_loaded_cb, g_object_ref (self));
}

static void
pledges_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsPledgeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pledges = NULL;

  pledges = cs_cache_list_pledges_finish (CS_CACHE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (pledges == NULL)
    {
      show_unavailable (self, _("Cannot Load the Pledge"), error->message);
      return;
    }
  for (guint i = 0; i < pledges->len; i++)
    {
      const CsPledge *pledge = g_ptr_array_index (pledges, i);

      if (g_strcmp0 (pledge->id, self->pledge_id) != 0)
        continue;
      self->campaign_id = g_strdup (pledge->campaign_id);
      self->original_amount = pledge->amount;
      self->original_tier_id = g_strdup (pledge->reward_tier_id);
      if (pledge->status != CS_PLEDGE_PENDING && pledge->status != CS_PLEDGE_AUTHORIZED)
        {
          show_unavailable (self, _("This Pledge Cannot Be Changed"),
                            _("Only pledges that are waiting for the bank or active can be changed."));
          return;
        }
      load_campaign (self);
      return;
    }
  show_unavailable (self, _("Pledge Not Found"), _("It may have been removed. Refresh and try again."));
}

/* ---- d) result ------------------------------------------------------------ */

static void
set_result (CsPledgeDialog *self, const char *icon, const char *title,
            const char *description, gboolean waiting)
{
  g_autofree char *escaped = description ? g_markup_escape_text (description, -1) : NULL;

  adw_status_page_set_icon_name (self->result_page, icon);
  adw_status_page_set_title (self->result_page, title);
  adw_status_page_set_description (self->result_page, escaped);
  gtk_widget_set_visible (GTK_WIDGET (self->result_spinner), waiting);
  gtk_spinner_set_spinning (self->result_spinner, waiting);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), FALSE);
  go_to (self, "result");
}

static void
stop_polling (CsPledgeDialog *self)
{
  g_clear_handle_id (&self->poll_source, g_source_remove);
}

static void start_polling (CsPledgeDialog *self);

static void
show_pledge_status (CsPledgeDialog *self, const char *status, const char *failure_reason)
{
  g_autofree char *amount = format_amount (self, self->amount);

  g_free (self->result_status);
  self->result_status = g_strdup (status);

  if (g_strcmp0 (status, "pending") == 0)
    {
      set_result (self, "content-loading-symbolic", _("Waiting for the bank…"),
                  _("Your bank is confirming the payment. This usually takes a few seconds."), TRUE);
      start_polling (self);
      return;
    }

  stop_polling (self);
  if (g_strcmp0 (status, "authorized") == 0 || g_strcmp0 (status, "collected") == 0)
    {
      g_autofree char *title = g_strdup_printf (_("You backed %s"), self->campaign->title);
      g_autofree char *description =
        g_strdup_printf (_("Your card will be charged %s only if the project reaches its goal."), amount);

      set_result (self, "emblem-ok-symbolic", title, description, FALSE);
    }
  else if (g_strcmp0 (status, "failed") == 0)
    {
      set_result (self, "dialog-error-symbolic", _("Payment Declined"),
                  cs_pledge_failure_text (failure_reason), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->retry_button), !self->change_mode);
    }
  else
    {
      g_autofree char *description = g_strdup_printf (_("The pledge is now “%s”."), status);

      set_result (self, "dialog-information-symbolic", _("Pledge Updated"), description, FALSE);
    }
}

static void
pledge_checked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsPledgeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  CsPledge *pledge;

  pledge = cs_api_client_get_pledge_finish (CS_API_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_pointer (&pledge, cs_pledge_free);
      return;
    }
  self->checking = FALSE;
  if (pledge == NULL)
    {
      g_debug ("Checking pledge %s: %s", self->pledge_id, error->message);
      return;
    }
  if (g_strcmp0 (self->result_status, "pending") == 0 && pledge->status != CS_PLEDGE_PENDING)
    show_pledge_status (self, cs_pledge_status_to_string (pledge->status), pledge->failure_reason);
  cs_pledge_free (pledge);
}

/* The signal did not come (yet): read the pledge once. */
static void
check_pledge (CsPledgeDialog *self)
{
  if (self->checking || self->pledge_id == NULL || g_strcmp0 (self->result_status, "pending") != 0)
    return;
  self->checking = TRUE;
  cs_api_client_get_pledge_async (cs_context_get_api (self->context), self->pledge_id,
                                  self->cancellable, pledge_checked_cb, g_object_ref (self));
}

static gboolean
poll_timeout_cb (gpointer user_data)
{
  CsPledgeDialog *self = user_data;

  check_pledge (self);
  if (++self->polls >= MAX_POLLS)
    {
      self->poll_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
start_polling (CsPledgeDialog *self)
{
  if (self->poll_source == 0 && self->polls < MAX_POLLS)
    self->poll_source = g_timeout_add_seconds (POLL_SECONDS, poll_timeout_cb, self);
}

static void
pledge_changed_cb (CsSyncEngine *engine, const char *pledge_id, const char *status,
                   const char *failure_reason, CsPledgeDialog *self)
{
  if (self->change_mode || g_strcmp0 (pledge_id, self->pledge_id) != 0)
    return;
  if (!g_str_equal (current_step (self), "result"))
    return;
  show_pledge_status (self, status, failure_reason);
}

static void
synchronizing_changed_cb (CsSyncEngine *engine, GParamSpec *pspec, CsPledgeDialog *self)
{
  /* A pass ended and the pledge still looks pending here: ask once. */
  if (!cs_sync_engine_get_synchronizing (engine))
    check_pledge (self);
}

/* ---- c) review and confirming ------------------------------------------------ */

static void
fill_review (CsPledgeDialog *self)
{
  const CsRewardTier *tier = find_tier (self, self->tier_id);
  g_autofree char *amount = format_amount (self, self->amount);
  g_autofree char *card = g_strdup_printf ("•••• %s", self->card_last4);

  gtk_label_set_text (self->review_reward, tier ? tier->title : _("No reward"));
  gtk_label_set_text (self->review_card, card);
  gtk_widget_set_visible (self->review_card_row, !self->change_mode);
  gtk_label_set_text (self->review_amount, amount);
  gtk_label_set_text (self->review_total, amount);
  show_message (self->review_error, NULL);
}

static char *
describe_send_error (CsPledgeDialog *self, const GError *error)
{
  if (g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_OFFLINE))
    return g_strdup_printf (_("Cannot reach %s. Nothing was charged; try again when you are online."),
                            cs_context_get_server_url (self->context));
  if (g_error_matches (error, CS_CLIENT_ERROR, CS_CLIENT_ERROR_AUTH))
    return g_strdup (_("You were signed out. Sign in again, then try once more."));
  return g_strdup (error->message);
}

static void
pledge_created_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsPledgeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  CsPledge *pledge;

  pledge = cs_sync_engine_create_pledge_finish (CS_SYNC_ENGINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_pointer (&pledge, cs_pledge_free);
      return;
    }
  set_busy (self, FALSE);
  if (pledge == NULL)
    {
      g_autofree char *message = describe_send_error (self, error);

      /* A refused request made no pledge: a new attempt gets a new key.  After
       * a lost answer the same key is sent again, so it stays one pledge. */
      if (!cs_client_error_is_transient (error))
        {
          g_free (self->idempotency_key);
          self->idempotency_key = cs_api_new_idempotency_key ();
        }
      show_message (self->review_error, message);
      return;
    }

  g_free (self->pledge_id);
  self->pledge_id = g_strdup (pledge->id);
  g_signal_emit (self, signals[SIGNAL_PLEDGE_MADE], 0, pledge->id);
  show_pledge_status (self, cs_pledge_status_to_string (pledge->status), pledge->failure_reason);
  cs_pledge_free (pledge);
}

static void
show_queued (CsPledgeDialog *self, const char *title, const char *online_description)
{
  if (cs_sync_engine_get_online (cs_context_get_sync_engine (self->context)))
    set_result (self, "emblem-ok-symbolic", title, online_description, FALSE);
  else
    set_result (self, "network-offline-symbolic", title,
                _("Your change will be sent when you are back online."), FALSE);
}

static void
pledge_change_queued_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsPledgeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *description = NULL;

  if (!cs_sync_engine_change_pledge_finish (CS_SYNC_ENGINE (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      show_message (self->review_error, error->message);
      return;
    }
  set_busy (self, FALSE);
  amount = format_amount (self, self->amount);
  description = g_strdup_printf (_("Your pledge is now %s."), amount);
  show_queued (self, _("Pledge Changed"), description);
}

static void
pledge_cancel_queued_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsPledgeDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cs_sync_engine_cancel_pledge_finish (CS_SYNC_ENGINE (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      show_message (self->amount_error, error->message);
      return;
    }
  set_busy (self, FALSE);
  show_queued (self, _("Pledge Cancelled"), _("You will not be charged for this project."));
}

static void
confirm (CsPledgeDialog *self)
{
  CsSyncEngine *engine = cs_context_get_sync_engine (self->context);

  /* A second click while the first is on its way does nothing; a retry
   * later reuses the same idempotency key. */
  if (self->busy)
    return;
  set_busy (self, TRUE);
  show_message (self->review_error, NULL);

  if (self->change_mode)
    cs_sync_engine_change_pledge_async (engine, self->pledge_id, self->amount,
                                        self->tier_id ? self->tier_id : "", self->cancellable,
                                        pledge_change_queued_cb, g_object_ref (self));
  else
    cs_sync_engine_create_pledge_async (engine, self->campaign_id, self->amount, self->tier_id,
                                        self->payment_method, self->idempotency_key,
                                        self->cancellable, pledge_created_cb, g_object_ref (self));
}

/* ---- b) payment ------------------------------------------------------------- */

static void
clear_card_fields (CsPledgeDialog *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->card_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->expiry_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->cvc_row), "");
}

static gboolean
card_fields_empty (CsPledgeDialog *self)
{
  return *gtk_editable_get_text (GTK_EDITABLE (self->card_row)) == '\0' &&
         *gtk_editable_get_text (GTK_EDITABLE (self->expiry_row)) == '\0' &&
         *gtk_editable_get_text (GTK_EDITABLE (self->cvc_row)) == '\0';
}

static void
update_card_note (CsPledgeDialog *self)
{
  GString *note = g_string_new (NULL);

  if (self->payment_method != NULL)
    {
      g_string_append_printf (note, _("Card •••• %s is ready. Leave the fields empty to use it."),
                              self->card_last4);
      g_string_append (note, "\n");
    }
  if (is_loopback_server (self))
    g_string_append (note, _("Test mode: use the card 4242 4242 4242 4242 with any future date and any "
                             "security code."));
  else
    g_string_append (note, _("Your card goes straight to the payment processor. CrowdSpark never sees "
                             "or stores its number, and it is charged only if the project reaches its goal."));
  gtk_label_set_text (self->card_note, note->str);
  g_string_free (note, TRUE);
}

static void
card_tokenized_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CsPledgeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  char *payment_method;

  payment_method = cs_api_client_tokenize_card_finish (CS_API_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (payment_method);
      return;
    }
  set_busy (self, FALSE);
  if (payment_method == NULL)
    {
      g_autofree char *message = describe_send_error (self, error);
      GHashTable *fields = cs_client_error_get_fields (error);

      if (fields != NULL)
        {
          set_row_error (self->card_row, g_hash_table_contains (fields, "card_number"));
          set_row_error (self->expiry_row, g_hash_table_contains (fields, "exp_month") ||
                                           g_hash_table_contains (fields, "exp_year"));
          set_row_error (self->cvc_row, g_hash_table_contains (fields, "cvc"));
        }
      show_message (self->card_error, message);
      return;
    }

  g_free (self->payment_method);
  self->payment_method = payment_method;
  /* The number is not needed any more: only the token goes on. */
  clear_card_fields (self);
  update_card_note (self);
  fill_review (self);
  go_to (self, "review");
}

static gboolean
validate_card (CsPledgeDialog *self, char **number_out, guint *month_out, guint *year_out)
{
  char *number = digits_of (gtk_editable_get_text (GTK_EDITABLE (self->card_row)));
  const char *cvc = gtk_editable_get_text (GTK_EDITABLE (self->cvc_row));
  const char *message = NULL;
  gboolean cvc_ok = strlen (cvc) >= 3 && strlen (cvc) <= 4;

  for (const char *p = cvc; *p; p++)
    cvc_ok = cvc_ok && g_ascii_isdigit (*p);

  set_row_error (self->card_row, FALSE);
  set_row_error (self->expiry_row, FALSE);
  set_row_error (self->cvc_row, FALSE);

  if (strlen (number) < 12 || strlen (number) > 19 || !luhn_valid (number))
    {
      message = _("Check the card number: it is not a valid card.");
      set_row_error (self->card_row, TRUE);
    }
  else if (!parse_expiry (gtk_editable_get_text (GTK_EDITABLE (self->expiry_row)), month_out, year_out))
    {
      message = _("Enter the expiry date as MM/YY, as printed on the card.");
      set_row_error (self->expiry_row, TRUE);
    }
  else if (expiry_in_past (*month_out, *year_out))
    {
      message = _("This card has expired.");
      set_row_error (self->expiry_row, TRUE);
    }
  else if (!cvc_ok)
    {
      message = _("Enter the 3 or 4 digit security code from the back of the card.");
      set_row_error (self->cvc_row, TRUE);
    }

  show_message (self->card_error, message);
  if (message != NULL)
    {
      wipe_string (number);
      return FALSE;
    }
  *number_out = number;
  return TRUE;
}

static void
tokenize_card (CsPledgeDialog *self)
{
  char *number = NULL;
  guint month = 0, year = 0;
  gsize len;

  if (!validate_card (self, &number, &month, &year))
    return;

  len = strlen (number);
  memcpy (self->card_last4, number + len - 4, 4);
  self->card_last4[4] = '\0';

  set_busy (self, TRUE);
  cs_api_client_tokenize_card_async (cs_context_get_api (self->context), number, month, year,
                                     gtk_editable_get_text (GTK_EDITABLE (self->cvc_row)),
                                     self->cancellable, card_tokenized_cb, g_object_ref (self));
  wipe_string (number);
}

/* ---- callbacks -------------------------------------------------------------- */

static void
amount_changed_cb (CsPledgeDialog *self)
{
  self->amount_auto = FALSE;
  validate_amount (self, TRUE);
}

/* Shows the card number in groups of four as it is typed. */
static void
card_changed_cb (CsPledgeDialog *self, GtkEditable *editable)
{
  g_autofree char *digits = NULL;
  g_autoptr(GString) grouped = NULL;
  const char *text;
  int position, digits_before = 0, new_position = 0;

  set_row_error (editable, FALSE);
  show_message (self->card_error, NULL);
  if (editable != GTK_EDITABLE (self->card_row))
    return;

  text = gtk_editable_get_text (editable);
  position = gtk_editable_get_position (editable);
  for (int i = 0; text[i] && i < position; i++)
    if (g_ascii_isdigit (text[i]))
      digits_before++;

  digits = digits_of (text);
  grouped = g_string_new (NULL);
  for (int i = 0; digits[i] && i < 19; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (grouped, ' ');
      g_string_append_c (grouped, digits[i]);
      if (i + 1 == digits_before)
        new_position = (int) grouped->len;
    }
  if (g_str_equal (grouped->str, text))
    {
      memset (digits, 0, strlen (digits));
      memset (grouped->str, 0, grouped->len);
      return;
    }

  g_signal_handlers_block_by_func (editable, card_changed_cb, self);
  gtk_editable_set_text (editable, grouped->str);
  gtk_editable_set_position (editable, new_position);
  g_signal_handlers_unblock_by_func (editable, card_changed_cb, self);
  memset (digits, 0, strlen (digits));
  memset (grouped->str, 0, grouped->len);
}

static void
step_changed_cb (CsPledgeDialog *self)
{
  update_header (self);
}

static void
back_clicked_cb (CsPledgeDialog *self)
{
  const char *step = current_step (self);

  if (self->busy)
    return;
  if (g_str_equal (step, "payment") || (self->change_mode && g_str_equal (step, "review")))
    go_to (self, "reward");
  else if (g_str_equal (step, "review"))
    {
      update_card_note (self);
      go_to (self, "payment");
    }
}

static void
next_clicked_cb (CsPledgeDialog *self)
{
  const char *step = current_step (self);

  if (self->busy)
    return;
  if (g_str_equal (step, "reward"))
    {
      if (!validate_amount (self, TRUE) || !selection_changed (self))
        return;
      if (self->change_mode)
        {
          fill_review (self);
          go_to (self, "review");
        }
      else
        {
          update_card_note (self);
          go_to (self, "payment");
          gtk_widget_grab_focus (GTK_WIDGET (self->card_row));
        }
    }
  else if (g_str_equal (step, "payment"))
    {
      if (self->payment_method != NULL && card_fields_empty (self))
        {
          fill_review (self);
          go_to (self, "review");
        }
      else
        tokenize_card (self);
    }
  else if (g_str_equal (step, "review"))
    confirm (self);
  else if (g_str_equal (step, "result"))
    gtk_window_close (GTK_WINDOW (self));
}

static void
retry_clicked_cb (CsPledgeDialog *self)
{
  /* The declined pledge is final: another card is another attempt. */
  g_clear_pointer (&self->payment_method, g_free);
  g_clear_pointer (&self->pledge_id, g_free);
  g_clear_pointer (&self->result_status, g_free);
  g_free (self->idempotency_key);
  self->idempotency_key = cs_api_new_idempotency_key ();
  self->polls = 0;
  update_card_note (self);
  go_to (self, "payment");
  gtk_widget_grab_focus (GTK_WIDGET (self->card_row));
}

static void
cancel_pledge_response_cb (AdwMessageDialog *dialog, const char *response, CsPledgeDialog *self)
{
  if (!g_str_equal (response, "cancel") || self->busy)
    return;
  set_busy (self, TRUE);
  cs_sync_engine_cancel_pledge_async (cs_context_get_sync_engine (self->context), self->pledge_id,
                                      self->cancellable, pledge_cancel_queued_cb, g_object_ref (self));
}

static void
cancel_pledge_clicked_cb (CsPledgeDialog *self)
{
  GtkWidget *dialog;
  g_autofree char *amount = format_amount (self, self->original_amount);
  g_autofree char *body = g_strdup_printf (_("You will not be charged %s, and the reward goes back to "
                                             "other backers."), amount);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Cancel Your Pledge?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Pledge"),
                                    "cancel", _("_Cancel Pledge"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_pledge_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- overrides ---------------------------------------------------------------- */

static void
cs_pledge_dialog_stop (CsPledgeDialog *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  stop_polling (self);
  if (self->context != NULL)
    {
      CsSyncEngine *engine = cs_context_get_sync_engine (self->context);

      g_clear_signal_handler (&self->pledge_changed_id, engine);
      g_clear_signal_handler (&self->synchronizing_id, engine);
    }
}

static gboolean
cs_pledge_dialog_close_request (GtkWindow *window)
{
  CsPledgeDialog *self = CS_PLEDGE_DIALOG (window);

  cs_pledge_dialog_stop (self);
  clear_card_fields (self);
  return GTK_WINDOW_CLASS (cs_pledge_dialog_parent_class)->close_request (window);
}

static void
cs_pledge_dialog_dispose (GObject *object)
{
  CsPledgeDialog *self = CS_PLEDGE_DIALOG (object);

  cs_pledge_dialog_stop (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CS_TYPE_PLEDGE_DIALOG);
  g_clear_object (&self->context);
  g_clear_pointer (&self->reward_checks, g_ptr_array_unref);

  G_OBJECT_CLASS (cs_pledge_dialog_parent_class)->dispose (object);
}

static void
cs_pledge_dialog_finalize (GObject *object)
{
  CsPledgeDialog *self = CS_PLEDGE_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_free (self->campaign_id);
  g_free (self->pledge_id);
  g_free (self->original_tier_id);
  g_clear_pointer (&self->campaign, cs_campaign_free);
  g_free (self->tier_id);
  g_free (self->payment_method);
  g_free (self->idempotency_key);
  g_free (self->result_status);

  G_OBJECT_CLASS (cs_pledge_dialog_parent_class)->finalize (object);
}

static void
cs_pledge_dialog_class_init (CsPledgeDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cs_pledge_dialog_dispose;
  object_class->finalize = cs_pledge_dialog_finalize;
  window_class->close_request = cs_pledge_dialog_close_request;

  /**
   * CsPledgeDialog::pledge-made:
   * @pledge_id: the new pledge
   *
   * The server accepted a new pledge (it may still wait for the bank).
   */
  signals[SIGNAL_PLEDGE_MADE] =
    g_signal_new ("pledge-made", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/crowdspark/CrowdSpark/cs-pledge-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, back_button);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, next_button);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, next_spinner);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, next_label);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, steps);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, unavailable_page);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, reward_group);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, amount_group);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, amount_row);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, amount_error);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, cancel_group);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, cancel_pledge_button);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, card_group);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, card_row);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, expiry_row);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, cvc_row);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, card_error);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, card_note);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, review_card_row);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, review_campaign);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, review_reward);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, review_card);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, review_amount);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, review_total);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, review_error);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, result_page);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, result_spinner);
  gtk_widget_class_bind_template_child (widget_class, CsPledgeDialog, retry_button);
  gtk_widget_class_bind_template_callback (widget_class, amount_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, step_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, next_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_pledge_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cs_pledge_dialog_init (CsPledgeDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* libadwaita 1.2's show-text button has no name of its own */
  cs_widget_label_inner (GTK_WIDGET (self->cvc_row), GTK_TYPE_BUTTON, _("Show Security Code"));

  self->cancellable = g_cancellable_new ();
  self->reward_checks = g_ptr_array_new ();
  self->idempotency_key = cs_api_new_idempotency_key ();
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->next_button));
  update_header (self);
}

static CsPledgeDialog *
pledge_dialog_new (CsContext *context, GtkWindow *parent)
{
  CsPledgeDialog *self;
  CsSyncEngine *engine;

  g_return_val_if_fail (CS_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (CS_TYPE_PLEDGE_DIALOG, "transient-for", parent, NULL);
  self->context = g_object_ref (context);
  engine = cs_context_get_sync_engine (context);
  self->pledge_changed_id = g_signal_connect (engine, "pledge-changed",
                                              G_CALLBACK (pledge_changed_cb), self);
  self->synchronizing_id = g_signal_connect (engine, "notify::synchronizing",
                                             G_CALLBACK (synchronizing_changed_cb), self);
  return self;
}

/* ---- public API ------------------------------------------------------------ */

GtkWidget *
cs_pledge_dialog_new (CsContext *context, GtkWindow *parent, const char *campaign_id)
{
  CsPledgeDialog *self;

  g_return_val_if_fail (campaign_id != NULL, NULL);

  self = pledge_dialog_new (context, parent);
  self->campaign_id = g_strdup (campaign_id);
  update_card_note (self);
  load_campaign (self);
  return GTK_WIDGET (self);
}

GtkWidget *
cs_pledge_dialog_new_for_change (CsContext *context, GtkWindow *parent, const char *pledge_id)
{
  CsPledgeDialog *self;
  const char *user_id;

  g_return_val_if_fail (pledge_id != NULL, NULL);

  self = pledge_dialog_new (context, parent);
  self->change_mode = TRUE;
  self->pledge_id = g_strdup (pledge_id);
  gtk_window_set_title (GTK_WINDOW (self), _("Change Your Pledge"));
  adw_window_title_set_title (self->window_title, _("Change Your Pledge"));
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_group), TRUE);

  user_id = cs_session_get_user_id (cs_context_get_session (context));
  if (user_id == NULL)
    show_unavailable (self, _("Signed Out"), _("Sign in to change your pledge."));
  else
    cs_cache_list_pledges_async (cs_context_get_cache (context), user_id, self->cancellable,
                                 pledges_loaded_cb, g_object_ref (self));
  return GTK_WIDGET (self);
}
