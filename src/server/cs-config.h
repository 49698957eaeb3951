/* cs-config.h: the server's settings, from defaults, a GKeyFile ([server]
 * group) and command-line flags, in that order of precedence. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CS_PASSWORD_COST_INTERACTIVE,  /* libsodium INTERACTIVE limits: production default */
  CS_PASSWORD_COST_MODERATE,     /* stronger, ~0.4 s a hash */
  CS_PASSWORD_COST_MINIMUM,      /* tests only: libsodium's minimum limits */
} CsPasswordCost;

typedef struct {
  char          *database_url;       /* sqlite:///… (default under the user data dir) */
  char          *listen_host;        /* 127.0.0.1 */
  guint          listen_port;        /* 8080; 0 picks a free port */
  guint          threads;            /* HTTP event loops; 0 = number of CPUs */
  guint          workers;            /* worker pool for slow requests; 0 = 2 × CPUs */
  gboolean       sandbox;            /* sandbox payment/KYC endpoints and test clock */
  char          *media_dir;          /* uploaded images */
  char          *redis_url;          /* NULL: single instance */
  char          *webhook_secret;     /* HMAC key of the gateway's and KYC provider's webhooks;
                                      * NULL: a random one per process (one instance only) */
  char          *webhook_url;        /* base URL the providers call back (NULL: our own listener) */
  char          *tls_cert;           /* PEM paths, both or neither */
  char          *tls_key;
  gboolean       access_log;         /* one line per request on stderr */
  CsPasswordCost password_cost;
  gint64         access_token_ttl;   /* seconds (900) */
  gint64         refresh_token_ttl;  /* seconds (30 days) */
  gint64         max_body_bytes;     /* JSON bodies (1 MiB) */
  gint64         max_image_bytes;    /* image uploads (5 MiB) */
  gint64         login_max_failures; /* per account per window (5) */
  gint64         login_failure_window; /* seconds (900) */
  gint64         address_max_attempts; /* auth attempts per address per window (30) */
  gint64         address_window;     /* seconds (300) */
} CsServerConfig;

CsServerConfig *cs_server_config_new          (void);   /* defaults */
void            cs_server_config_free         (CsServerConfig *config);
/* Reads the [server] group of @path over the current values.  Unknown keys
 * and bad values are errors (G_KEY_FILE_ERROR or CS_ERROR_INVALID). */
gboolean        cs_server_config_load_file    (CsServerConfig *config, const char *path, GError **error);
/* "HOST:PORT" or "[v6]:PORT" */
gboolean        cs_server_config_set_listen   (CsServerConfig *config, const char *listen, GError **error);
gboolean        cs_password_cost_from_string  (const char *text, CsPasswordCost *out);
/* Sets the Redis URL of live events between instances after checking it
 * (cs_redis_url_parse()); NULL or "" unsets it (a single instance). */
gboolean        cs_server_config_set_redis    (CsServerConfig *config, const char *url, GError **error);
/* Parses "redis://HOST:PORT" or "redis://HOST:PORT/DB" (HOST a name, an IPv4
 * address or a [bracketed] IPv6 one; no user, password, query or fragment).
 * Anything else is CS_ERROR_INVALID with a message for the operator.  Each
 * out argument may be NULL; *db is 0 when the URL names none. */
gboolean        cs_redis_url_parse            (const char *url, char **host, guint *port, guint *db,
                                               GError **error);
/* The default database URL: sqlite:///$XDG_DATA_HOME/crowdspark/crowdspark.db */
char           *cs_server_config_default_database (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsServerConfig, cs_server_config_free)

G_END_DECLS
