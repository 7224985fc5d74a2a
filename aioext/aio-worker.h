/* aio-worker.h: the worker side of a process pool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <gio/gio.h>

#include "aio-version-macros.h"

G_BEGIN_DECLS

/**
 * AIO_WORKER_FD_VARIABLE:
 *
 * The environment variable through which a process pool tells the program it
 * starts which file descriptor is its end of the pool's socket.
 */
#define AIO_WORKER_FD_VARIABLE "AIO_WORKER_FD"

/**
 * AioWorkerFunc:
 * @arguments: the call's arguments, of the type given at registration
 * @cancellable: (nullable): cancelled when the worker is asked to stop
 * @user_data: the data given at registration
 * @error: return location for a #GError
 *
 * One function a worker process offers to its pool. Its #GError, if any,
 * reaches the caller in the pool's process with domain, code and message
 * intact.
 *
 * Returns: (transfer full) (nullable): the result (a floating reference is
 *   sunk), or %NULL with @error set
 */
typedef GVariant *(*AioWorkerFunc) (GVariant      *arguments,
                                    GCancellable  *cancellable,
                                    gpointer       user_data,
                                    GError       **error);

#define AIO_TYPE_WORKER (aio_worker_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AioWorker, aio_worker, AIO, WORKER, GObject)

AIO_AVAILABLE_IN_1_0
AioWorker *aio_worker_new           (void) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
void       aio_worker_register      (AioWorker           *self,
                                     const char          *name,
                                     const GVariantType  *argument_type,
                                     AioWorkerFunc        func,
                                     gpointer             user_data,
                                     GDestroyNotify       user_data_destroy);
AIO_AVAILABLE_IN_1_0
gboolean   aio_worker_has_function  (AioWorker           *self,
                                     const char          *name);
AIO_AVAILABLE_IN_1_0
gboolean   aio_worker_serve         (AioWorker           *self,
                                     int                  fd,
                                     GCancellable        *cancellable,
                                     GError             **error);
AIO_AVAILABLE_IN_1_0
gboolean   aio_worker_is_requested  (void);
AIO_AVAILABLE_IN_1_0
int        aio_worker_run           (AioWorker           *self);

G_END_DECLS
