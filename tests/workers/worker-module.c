/* worker-module.c: functions for the stock aioext-worker program, loaded
 * with GModule; driven by tests/test-worker-languages.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

void aio_worker_module_register (AioWorker *worker);

static GVariant *
add (GVariant      *arguments,
     GCancellable  *cancellable,
     gpointer       user_data,
     GError       **error)
{
  gint32 a, b;

  g_variant_get (arguments, "(ii)", &a, &b);

  return g_variant_new_int32 (a + b);
}

static GVariant *
fail (GVariant      *arguments,
      GCancellable  *cancellable,
      gpointer       user_data,
      GError       **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such file");

  return NULL;
}

static GVariant *
crash (GVariant      *arguments,
       GCancellable  *cancellable,
       gpointer       user_data,
       GError       **error)
{
  return NULL;
}

G_MODULE_EXPORT void
aio_worker_module_register (AioWorker *worker)
{
  aio_worker_register (worker, "add", G_VARIANT_TYPE ("(ii)"), add, NULL, NULL);
  aio_worker_register (worker, "fail", NULL, fail, NULL, NULL);
  aio_worker_register (worker, "crash", NULL, crash, NULL, NULL);
}
