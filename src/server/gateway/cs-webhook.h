/* cs-webhook.h: signing and verifying the providers' webhooks.
 *
 * The signature header is "t=<unix seconds>,v1=<hex HMAC-SHA256>", the MAC
 * taken over "<t>.<body>" with the shared webhook secret.  Binding the
 * timestamp into the MAC lets a receiver refuse replays of old deliveries;
 * several v1= values may be present while a secret is being rotated.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CS_WEBHOOK_SIGNATURE_HEADER "CrowdSpark-Signature"

/* The header value for @body signed at @timestamp. */
char     *cs_webhook_sign   (const char *secret, gint64 timestamp, const char *body, gsize len);

/* Checks @header against @body: CS_ERROR_MALFORMED when the header cannot
 * be parsed; CS_ERROR_UNAUTHORIZED when no v1 signature matches (compared
 * in constant time) or when its timestamp is more than @tolerance seconds
 * away from @now. */
gboolean  cs_webhook_verify (const char *secret, const char *header, const char *body, gsize len,
                             gint64 now, gint64 tolerance, GError **error);

G_END_DECLS
