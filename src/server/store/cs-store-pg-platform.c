/* cs-store-pg-platform.c: being written (issue 4) */
#include "config.h"
#include "cs-store-pg-private.h"
