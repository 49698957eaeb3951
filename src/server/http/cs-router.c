/* cs-router.c: a flat route table matched segment by segment.  With a few
 * dozen routes a linear scan over pre-split patterns costs well under a
 * microsecond, and keeps the table readable. */
#include "config.h"

#include <string.h>

#include "cs-router.h"

struct _CsRouter {
  GPtrArray *routes;   /* CsRoute* */
};

static void
route_free (CsRoute *route)
{
  g_free (route->pattern);
  g_strfreev (route->segments);
  g_free (route);
}

CsRouter *
cs_router_new (void)
{
  CsRouter *router = g_new0 (CsRouter, 1);

  router->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) route_free);
  return router;
}

void
cs_router_free (CsRouter *router)
{
  if (router == NULL)
    return;
  g_ptr_array_unref (router->routes);
  g_free (router);
}

static gboolean
segment_is_param (const char *segment)
{
  gsize len = strlen (segment);

  return len > 2 && segment[0] == '{' && segment[len - 1] == '}';
}

void
cs_router_add (CsRouter     *router,
               CsHttpMethod  method,
               const char   *pattern,
               CsHandler     handler,
               CsRouteFlags  flags)
{
  CsRoute *route = g_new0 (CsRoute, 1);
  guint n_params = 0;

  g_return_if_fail (pattern[0] == '/');

  route->method = method;
  route->pattern = g_strdup (pattern);
  route->segments = g_strsplit (pattern + 1, "/", -1);
  route->n_segments = g_strv_length (route->segments);
  route->handler = handler;
  route->flags = flags;
  route->index = router->routes->len;

  for (guint i = 0; i < route->n_segments; i++)
    if (segment_is_param (route->segments[i]))
      {
        /* store the bare name: "{campaign_id}" → "campaign_id" */
        char *seg = route->segments[i];
        gsize len = strlen (seg);

        memmove (seg, seg + 1, len - 2);
        seg[len - 2] = '\0';
        route->param_mask |= 1u << i;
        n_params++;
      }
  g_return_if_fail (n_params <= CS_MAX_PATH_PARAMS);
  g_return_if_fail (route->n_segments <= 16);

  g_ptr_array_add (router->routes, route);
}

guint
cs_router_n_routes (CsRouter *router)
{
  return router->routes->len;
}

const CsRoute *
cs_router_get (CsRouter *router, guint index)
{
  return index < router->routes->len ? g_ptr_array_index (router->routes, index) : NULL;
}

/* Splits @path in place into at most @max segments; returns the count or -1
 * if there are more, or an empty segment (a "//"), or a trailing slash. */
static int
split_path (char *path, char **segs, int max)
{
  int n = 0;
  char *p = path;

  if (*p != '/')
    return -1;
  p++;
  if (*p == '\0')
    return 0;
  while (TRUE)
    {
      char *slash = strchr (p, '/');

      if (n == max)
        return -1;
      segs[n++] = p;
      if (slash == NULL)
        break;
      *slash = '\0';
      p = slash + 1;
      if (*p == '\0')
        return -1;
    }
  for (int i = 0; i < n; i++)
    if (segs[i][0] == '\0')
      return -1;
  return n;
}

#define MAX_SEGMENTS 16

const CsRoute *
cs_router_match (CsRouter     *router,
                 CsHttpMethod  method,
                 const char   *path,
                 CsRequest    *req,
                 gboolean     *path_matched,
                 GString      *allow)
{
  char buf[1024];
  char *segs[MAX_SEGMENTS];
  int n;
  gsize len = strlen (path);

  *path_matched = FALSE;
  if (len >= sizeof buf)
    return NULL;
  memcpy (buf, path, len + 1);
  n = split_path (buf, segs, MAX_SEGMENTS);
  if (n < 0)
    return NULL;

  for (guint r = 0; r < router->routes->len; r++)
    {
      CsRoute *route = g_ptr_array_index (router->routes, r);
      gboolean ok = TRUE;

      if (route->n_segments != (guint) n)
        continue;
      for (int i = 0; i < n && ok; i++)
        {
          if (route->param_mask & (1u << i))
            continue;
          ok = strcmp (route->segments[i], segs[i]) == 0;
        }
      if (!ok)
        continue;

      if (route->method != method &&
          !(method == CS_HTTP_HEAD && route->method == CS_HTTP_GET))
        {
          *path_matched = TRUE;
          if (allow != NULL)
            {
              if (allow->len > 0)
                g_string_append (allow, ", ");
              g_string_append (allow, cs_http_method_to_string (route->method));
            }
          continue;
        }

      req->n_params = 0;
      for (int i = 0; i < n; i++)
        if (route->param_mask & (1u << i))
          {
            req->param_names[req->n_params] = route->segments[i];
            req->param_values[req->n_params] = g_strdup (segs[i]);
            req->n_params++;
          }
      return route;
    }
  return NULL;
}
