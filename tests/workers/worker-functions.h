/* worker-functions.h: the functions every C test worker offers
 *
 * "add" sums two int32s (wrapping around), "fail" reports a G_IO_ERROR_NOT_FOUND, and "crash"
 * returns nothing without an error, as a binding's unconvertible exception
 * does. Included by the C workers of the tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <aioext.h>

static GVariant *
test_worker_add (GVariant      *arguments,
                 GCancellable  *cancellable,
                 gpointer       user_data,
                 GError       **error)
{
  gint32 a, b;

  g_variant_get (arguments, "(ii)", &a, &b);

  /* Wraps around, as unsigned arithmetic does: any input may reach this. */
  return g_variant_new_int32 ((gint32) ((guint32) a + (guint32) b));
}

static GVariant *
test_worker_fail (GVariant      *arguments,
                  GCancellable  *cancellable,
                  gpointer       user_data,
                  GError       **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such file");

  return NULL;
}

static GVariant *
test_worker_return_nothing (GVariant      *arguments,
                            GCancellable  *cancellable,
                            gpointer       user_data,
                            GError       **error)
{
  return NULL;
}

static inline void
test_worker_register_functions (AioWorker *worker)
{
  aio_worker_register (worker, "add", G_VARIANT_TYPE ("(ii)"), test_worker_add, NULL, NULL);
  aio_worker_register (worker, "fail", NULL, test_worker_fail, NULL, NULL);
  aio_worker_register (worker, "crash", NULL, test_worker_return_nothing, NULL, NULL);
}
