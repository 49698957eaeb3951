/* cs-router.h: method + path-pattern routing ("/api/v1/campaigns/{campaign_id}"). */
#pragma once

#include "cs-http.h"

G_BEGIN_DECLS

typedef void (*CsHandler) (CsRequest *req, CsResponse *resp);

typedef enum {
  CS_ROUTE_PUBLIC        = 0,
  CS_ROUTE_AUTH_OPTIONAL = 1 << 0,  /* a bearer token is used when present (and must then be valid) */
  CS_ROUTE_AUTH          = 1 << 1,  /* a valid bearer token is required (401) */
  CS_ROUTE_STAFF         = 1 << 2,  /* moderator or admin (implies AUTH; 403) */
  CS_ROUTE_ADMIN         = 1 << 3,  /* admin (implies AUTH; 403) */
  CS_ROUTE_JSON          = 1 << 4,  /* the body must be a JSON object (400/415) */
  CS_ROUTE_OFFLOAD       = 1 << 5,  /* runs on the worker pool: writes and slow work */
  CS_ROUTE_LARGE_BODY    = 1 << 6,  /* body may be up to max_image_bytes instead of max_body_bytes */
  CS_ROUTE_OFFLOAD_SEARCH = 1 << 7, /* runs on the worker pool when the query has q= (full-text search) */
} CsRouteFlags;

struct _CsRoute {
  CsHttpMethod method;
  char        *pattern;       /* as registered; also the metrics label */
  char       **segments;      /* split pattern; a "{name}" segment is stored as "name" */
  guint        n_segments;
  guint32      param_mask;    /* bit i: segment i is a parameter */
  CsHandler    handler;
  CsRouteFlags flags;
  guint        index;         /* position in the router, for metrics */
};

typedef struct _CsRouter CsRouter;

CsRouter      *cs_router_new     (void);
void           cs_router_free    (CsRouter *router);
void           cs_router_add     (CsRouter *router, CsHttpMethod method, const char *pattern,
                                  CsHandler handler, CsRouteFlags flags);
/* Finds the route for @method and @path, filling @req's params (pointers
 * into a copy of @path owned by @req).  NULL if none; *path_matched is TRUE
 * when the path exists under another method (405) and @allow lists them. */
const CsRoute *cs_router_match   (CsRouter *router, CsHttpMethod method, const char *path,
                                  CsRequest *req, gboolean *path_matched, GString *allow);
guint          cs_router_n_routes (CsRouter *router);
const CsRoute *cs_router_get     (CsRouter *router, guint index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsRouter, cs_router_free)

G_END_DECLS
