/* cs-webhook.c: HMAC-SHA256 signatures of webhook deliveries (Stripe-like
 * "t=…,v1=…" header). */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "crowdspark-core.h"
#include "cs-webhook.h"

/* A header longer than this, or with more signatures, is not one we made. */
#define MAX_HEADER_LEN      2048
#define MAX_SIGNATURES      8
/* 12 digits reach the year 33658: enough, and no overflow in now - t. */
#define MAX_TIMESTAMP_DIGITS 12

static void
ensure_sodium (void)
{
  static gsize initialized = 0;

  /* HMAC and the compare do not need it, but libsodium asks for it first. */
  if (g_once_init_enter (&initialized))
    {
      if (sodium_init () < 0)
        g_warning ("libsodium could not be initialised");
      g_once_init_leave (&initialized, 1);
    }
}

static void
compute_mac (const char *secret, const char *timestamp, const char *body, gsize len,
             guint8 mac[crypto_auth_hmacsha256_BYTES])
{
  crypto_auth_hmacsha256_state state;

  crypto_auth_hmacsha256_init (&state, (const guint8 *) secret, strlen (secret));
  crypto_auth_hmacsha256_update (&state, (const guint8 *) timestamp, strlen (timestamp));
  crypto_auth_hmacsha256_update (&state, (const guint8 *) ".", 1);
  crypto_auth_hmacsha256_update (&state, (const guint8 *) body, len);
  crypto_auth_hmacsha256_final (&state, mac);
  sodium_memzero (&state, sizeof state);
}

char *
cs_webhook_sign (const char *secret, gint64 timestamp, const char *body, gsize len)
{
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  char t[24];

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (body != NULL || len == 0, NULL);

  ensure_sodium ();
  g_snprintf (t, sizeof t, "%" G_GINT64_FORMAT, timestamp);
  compute_mac (secret, t, body != NULL ? body : "", len, mac);
  sodium_bin2hex (hex, sizeof hex, mac, sizeof mac);
  return g_strdup_printf ("t=%s,v1=%s", t, hex);
}

static gboolean
is_digits (const char *s, gsize max)
{
  gsize n = 0;

  for (; *s != '\0'; s++, n++)
    if (!g_ascii_isdigit (*s) || n >= max)
      return FALSE;
  return n > 0;
}

static gboolean
set_malformed (GError **error, const char *detail)
{
  g_set_error (error, CS_ERROR, CS_ERROR_MALFORMED,
               "The " CS_WEBHOOK_SIGNATURE_HEADER " header is malformed: %s.", detail);
  return FALSE;
}

gboolean
cs_webhook_verify (const char *secret, const char *header, const char *body, gsize len,
                   gint64 now, gint64 tolerance, GError **error)
{
  g_auto(GStrv) parts = NULL;
  guint8 expected[crypto_auth_hmacsha256_BYTES];
  guint8 given[MAX_SIGNATURES][crypto_auth_hmacsha256_BYTES];
  const char *timestamp = NULL;
  guint n_given = 0;
  gboolean match = FALSE;
  gint64 t;

  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (body != NULL || len == 0, FALSE);

  if (header == NULL || header[0] == '\0')
    return set_malformed (error, "it is empty");
  if (strlen (header) > MAX_HEADER_LEN)
    return set_malformed (error, "it is too long");

  parts = g_strsplit (header, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);
      char *eq = strchr (part, '=');
      const char *value;

      if (eq == NULL || eq == part)
        return set_malformed (error, "expected key=value pairs separated by commas");
      *eq = '\0';
      value = eq + 1;
      if (strcmp (part, "t") == 0)
        {
          if (timestamp != NULL)
            return set_malformed (error, "more than one timestamp");
          if (!is_digits (value, MAX_TIMESTAMP_DIGITS))
            return set_malformed (error, "the timestamp is not a number of seconds");
          timestamp = value;
        }
      else if (strcmp (part, "v1") == 0)
        {
          size_t bin_len = 0;

          if (n_given == MAX_SIGNATURES)
            return set_malformed (error, "too many signatures");
          if (strlen (value) != crypto_auth_hmacsha256_BYTES * 2 ||
              sodium_hex2bin (given[n_given], sizeof given[n_given], value, strlen (value),
                              NULL, &bin_len, NULL) != 0 ||
              bin_len != crypto_auth_hmacsha256_BYTES)
            return set_malformed (error, "a v1 signature is not 64 hexadecimal digits");
          n_given++;
        }
      /* other schemes (a future v2) are ignored, as a receiver should */
    }
  if (timestamp == NULL)
    return set_malformed (error, "it has no timestamp (t=)");
  if (n_given == 0)
    return set_malformed (error, "it has no v1 signature");

  ensure_sodium ();
  compute_mac (secret, timestamp, body != NULL ? body : "", len, expected);
  /* every candidate is compared, in constant time each */
  for (guint i = 0; i < n_given; i++)
    match |= sodium_memcmp (expected, given[i], sizeof expected) == 0;
  sodium_memzero (expected, sizeof expected);
  if (!match)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_UNAUTHORIZED, "The webhook signature does not match.");
      return FALSE;
    }

  t = g_ascii_strtoll (timestamp, NULL, 10);
  if (t < now - tolerance || t > now + tolerance)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_UNAUTHORIZED,
                   "The webhook timestamp is too old (or too far in the future): "
                   "it must be within %" G_GINT64_FORMAT " seconds of now.", tolerance);
      return FALSE;
    }
  return TRUE;
}
