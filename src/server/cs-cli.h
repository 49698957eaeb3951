/* cs-cli.h: the crowdspark-server command line (serve, migrate, user-add,
 * seed-demo).  main.c only calls cs_cli_main(). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int cs_cli_main (int argc, char **argv);

G_END_DECLS
