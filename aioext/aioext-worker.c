/* aioext-worker.c: the stock worker program of process pools
 *
 * Usage: aioext-worker MODULE
 *
 * Loads MODULE (a shared object) with GModule, calls its
 * `aio_worker_module_register (AioWorker *worker)` to register its functions,
 * then serves the pool that started it (see aio_worker_run()).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gmodule.h>
#include <locale.h>

#include "aioext.h"
#include "aio-i18n-private.h"

#define REGISTER_SYMBOL "aio_worker_module_register"

typedef void (*RegisterFunc) (AioWorker *worker);

static gboolean
load_functions (AioWorker   *worker,
                const char  *path,
                GError     **error)
{
  GModule *module = g_module_open_full (path, G_MODULE_BIND_LOCAL, error);
  RegisterFunc register_functions;

  if (module == NULL)
    return FALSE;

  if (!g_module_symbol (module, REGISTER_SYMBOL, (gpointer *) &register_functions))
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_UNKNOWN_FUNCTION,
                   _("The module “%s” has no function %s()."), path, REGISTER_SYMBOL);
      g_module_close (module);
      return FALSE;
    }

  /* The registered functions live in the module: it stays loaded. */
  g_module_make_resident (module);
  register_functions (worker);

  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AioWorker) worker = aio_worker_new ();
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");

  if (argc != 2)
    {
      g_printerr ("%s\n", _("Usage: aioext-worker MODULE"));
      return 2;
    }

  if (!load_functions (worker, argv[1], &error))
    {
      g_printerr ("aioext-worker: %s\n", error->message);
      return 1;
    }

  return aio_worker_run (worker);
}
