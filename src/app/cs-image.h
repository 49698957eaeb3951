/* cs-image.h: a campaign image for a widget: from the cache, else from the
 * server (then kept in the cache), as a GdkTexture. */
#pragma once

#include <adwaita.h>
#include "cs-context.h"

G_BEGIN_DECLS

void        cs_image_load_async  (CsContext *context, const char *url, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
/* The URL asked for (to check the answer is still wanted). */
const char *cs_image_load_get_url (GAsyncResult *result);
GdkTexture *cs_image_load_finish (GAsyncResult *result, GError **error);

G_END_DECLS
