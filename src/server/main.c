/* main.c: crowdspark-server entry point; everything lives in libcrowdspark-server. */
#include "cs-cli.h"

int
main (int argc, char **argv)
{
  return cs_cli_main (argc, argv);
}
