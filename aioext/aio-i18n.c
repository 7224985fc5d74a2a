/* aio-i18n.c: gettext for library messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <libintl.h>

#include "aio-i18n-private.h"

/* AIO_LOCALEDIR lets the uninstalled test suite and `meson devenv` use the
 * catalogs in the build tree; installed programs use the configured path. */
static void
aio_bind_text_domain (void)
{
  const char *localedir = g_getenv ("AIO_LOCALEDIR");

  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

const char *
aio_gettext (const char *msgid)
{
  static gsize bound = 0;

  if (g_once_init_enter (&bound))
    {
      aio_bind_text_domain ();
      g_once_init_leave (&bound, 1);
    }

  return g_dgettext (GETTEXT_PACKAGE, msgid);
}
