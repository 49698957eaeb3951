/* cs-store-pg-trust.c: being written (issue 4) */
#include "config.h"
#include "cs-store-pg-private.h"
