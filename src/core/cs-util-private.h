/* cs-util-private.h: helpers shared inside libcrowdspark-core only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Room for any cs_time_format_buf() result, NUL included. */
#define CS_TIME_BUF_SIZE 40

/* cs_time_format() into @buf (CS_TIME_BUF_SIZE bytes) without allocating;
 * returns the length. */
gsize cs_time_format_buf (gint64 unix_seconds, char *buf);

G_END_DECLS
