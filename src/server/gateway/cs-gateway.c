/* cs-gateway.c: dispatch to the configured payment gateway backend. */
#include "config.h"

#include "cs-gateway-private.h"

void
cs_gateway_free (CsGateway *gw)
{
  if (gw == NULL)
    return;
  gw->backend->free (gw);
}

const char *
cs_gateway_name (CsGateway *gw)
{
  g_return_val_if_fail (gw != NULL, NULL);
  return gw->backend->name;
}

gboolean
cs_gateway_execute (CsGateway *gw, CsStoreConn *conn, const CsPaymentJob *job, gint64 now,
                    char **gateway_ref_out, GError **error)
{
  g_autofree char *ref = NULL;

  g_return_val_if_fail (gw != NULL, FALSE);
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (job != NULL && job->id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!gw->backend->execute (gw, conn, job, now, &ref, error))
    return FALSE;
  if (gateway_ref_out != NULL)
    *gateway_ref_out = g_steal_pointer (&ref);
  return TRUE;
}
