/* aio-binding-check.c: what a language binding cannot do, told apart
 * from what it passes us
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <string.h>

#include "aio-binding-check-private.h"
#include "aio-error.h"
#include "aio-i18n-private.h"

/* GJS runs JavaScript on its main thread only: a JS function called from a
 * worker is refused with a critical and returns 0. Every JS function handed
 * over with a destroy notify comes with GJS's own notify, so the library
 * that notify lives in tells a JS caller apart from C, Python and Vala. */
gboolean
aio_binding_is_gjs_function (GDestroyNotify func_data_destroy)
{
  Dl_info info;

  if (func_data_destroy == NULL || dladdr ((gpointer) func_data_destroy, &info) == 0)
    return FALSE;

  return info.dli_fname != NULL && strstr (info.dli_fname, "libgjs") != NULL;
}

/* Whether @func_data_destroy says the function may run on a worker
 * thread; sets @error when not. */
gboolean
aio_binding_check_thread_func (GDestroyNotify   func_data_destroy,
                               GError         **error)
{
  if (!aio_binding_is_gjs_function (func_data_destroy))
    return TRUE;

  g_set_error_literal (error, AIO_ERROR, AIO_ERROR_NOT_SUPPORTED,
                       _("A JavaScript function cannot run on a worker thread: GJS runs JavaScript "
                         "only on its main thread. Run blocking work in a subprocess instead."));
  return FALSE;
}
