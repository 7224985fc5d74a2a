/* aio-thread-pool.h: run blocking functions on a pool of threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <gio/gio.h>

#include "aio-version-macros.h"
#include "aio-executor-pool.h"
#include "aio-job.h"

G_BEGIN_DECLS

#define AIO_TYPE_THREAD_POOL (aio_thread_pool_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AioThreadPool, aio_thread_pool, AIO, THREAD_POOL, AioExecutorPool)

/**
 * AioThreadFunc:
 * @cancellable: (nullable): the call's #GCancellable, to check now and then
 *   or to pass on to blocking GIO calls
 * @result: (out caller-allocates): an unset #GValue to initialize and fill
 *   with the result; leave it unset for a call without a result
 * @user_data: the data given with the function
 * @error: return location for a #GError
 *
 * A blocking function run on a worker thread of an #AioThreadPool.
 *
 * From Python the function returns a `(True, value)` pair, or raises: a
 * `GLib.Error` keeps its domain, code and message, and any other exception
 * is printed on standard error and fails the call with %AIO_ERROR_FAILED,
 * never a silent result.
 *
 * Returns: %TRUE on success, %FALSE with @error set on failure
 */
typedef gboolean (*AioThreadFunc) (GCancellable  *cancellable,
                                   GValue        *result,
                                   gpointer       user_data,
                                   GError       **error);

/**
 * AioThreadDoneFunc: (skip)
 * @value: (nullable): the value the function stored, unset (its
 *   G_VALUE_TYPE() is %G_TYPE_INVALID) when it stored none; %NULL when the
 *   call failed. The pool unsets it after this function returns; to keep
 *   it without a copy, move it: copy the struct and set @value to
 *   %G_VALUE_INIT.
 * @error: (nullable): why the call failed, owned by the pool; %NULL when
 *   it succeeded
 * @user_data: the data given to aio_thread_pool_submit() for this function
 *
 * Receives the outcome of a call made with aio_thread_pool_submit(), in
 * the caller's thread-default main context.
 */
typedef void (*AioThreadDoneFunc) (GValue        *value,
                                   const GError  *error,
                                   gpointer       user_data);

AIO_AVAILABLE_IN_1_0
AioThreadPool *aio_thread_pool_new         (guint                max_workers) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioThreadPool *aio_thread_pool_get_default (void);

AIO_AVAILABLE_IN_1_0
void           aio_thread_pool_run_async   (AioThreadPool       *self,
                                            AioThreadFunc        func,
                                            gpointer             func_data,
                                            GDestroyNotify       func_data_destroy,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
AIO_AVAILABLE_IN_1_0
GValue        *aio_thread_pool_run_finish  (AioThreadPool       *self,
                                            GAsyncResult        *result,
                                            GError             **error) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
void           aio_thread_pool_submit      (AioThreadPool       *self,
                                            AioThreadFunc        func,
                                            gpointer             func_data,
                                            GDestroyNotify       func_data_destroy,
                                            GCancellable        *cancellable,
                                            AioThreadDoneFunc    done,
                                            gpointer             user_data);

AIO_AVAILABLE_IN_1_0
AioJob        *aio_thread_pool_create_job  (AioThreadPool       *self,
                                            AioThreadFunc        func,
                                            gpointer             func_data,
                                            GDestroyNotify       func_data_destroy) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
