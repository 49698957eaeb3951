/* main.c: the crowdspark desktop app. */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>
#include "cs-app-resources.h"
#include "cs-application.h"

int
main (int argc, char *argv[])
{
  g_autoptr(CsApplication) app = NULL;
  const char *localedir;

  setlocale (LC_ALL, "");
  /* CROWDSPARK_LOCALEDIR: read the translations from another folder, e.g. the
   * build tree's po/ (<lang>/LC_MESSAGES/crowdspark.mo), which `meson devenv`
   * sets; otherwise the installed ones */
  localedir = g_getenv ("CROWDSPARK_LOCALEDIR");
  if (localedir == NULL || *localedir == '\0')
    localedir = LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* the templates live in the static library's GResource (toolchain.md, trap 1) */
  (void) cs_app_get_resource ();

  g_set_application_name (_("CrowdSpark"));
  app = cs_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
