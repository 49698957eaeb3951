/* cs-routes.h: the HTTP face of the services.  A route parses the request,
 * calls one service function and writes JSON; it knows no SQL. */
#pragma once

#include "cs-router.h"
#include "cs-service.h"
#include "cs-server.h"

G_BEGIN_DECLS

/* Registers every route of the API. */
void cs_routes_register          (CsRouter *router);

void cs_routes_auth_register     (CsRouter *router);
void cs_routes_campaigns_register (CsRouter *router);
void cs_routes_me_register       (CsRouter *router);
void cs_routes_ops_register      (CsRouter *router);
void cs_routes_money_register    (CsRouter *router);

/* The service call context for @req. */
void cs_call_init                (CsCall *call, const CsRequest *req);

/* Writes @campaign with the fields the caller may see. */
void cs_routes_write_campaign    (const CsRequest *req, const CsCampaign *campaign, CsJsonWriter *w,
                                  gboolean summary);
/* Answers 200 (or @status) with the campaign, with an ETag. */
void cs_routes_respond_campaign  (CsRequest *req, CsResponse *resp, guint status, CsCampaign *campaign);

G_END_DECLS
