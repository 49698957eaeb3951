/* cs-seed.h: a believable demo platform for the README's run command and for
 * screenshots: users, 30+ campaigns across categories with tiers, some live,
 * some funded, some ending soon, with pledges. */
#pragma once

#include <glib.h>
#include "cs-store.h"
#include "cs-config.h"

G_BEGIN_DECLS

/* The demo accounts' password (documented in README.md). */
#define CS_SEED_DEMO_PASSWORD "crowdspark-demo"

/* Seeds @conn's database as of @now, with money through the sandbox
 * gateway and identity provider (in-process).  Refuses (CS_ERROR_CONFLICT) when the
 * demo data is already there, so running it twice is harmless. */
gboolean cs_seed_demo (CsStore *store, CsStoreConn *conn, CsServerConfig *config, gint64 now, GError **error);

G_END_DECLS
