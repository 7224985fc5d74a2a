/* aio-process-pool.h: run named functions in a pool of worker processes
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

#define AIO_TYPE_PROCESS_POOL (aio_process_pool_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AioProcessPool, aio_process_pool, AIO, PROCESS_POOL, AioExecutorPool)

AIO_AVAILABLE_IN_1_0
AioProcessPool *aio_process_pool_new                      (guint                max_workers,
                                                           const char * const  *worker_argv) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioProcessPool *aio_process_pool_get_default              (void);

AIO_AVAILABLE_IN_1_0
guint           aio_process_pool_get_call_timeout         (AioProcessPool      *self);
AIO_AVAILABLE_IN_1_0
void            aio_process_pool_set_call_timeout         (AioProcessPool      *self,
                                                           guint                timeout_ms);
AIO_AVAILABLE_IN_1_0
guint           aio_process_pool_get_startup_timeout      (AioProcessPool      *self);
AIO_AVAILABLE_IN_1_0
void            aio_process_pool_set_startup_timeout      (AioProcessPool      *self,
                                                           guint                timeout_ms);
AIO_AVAILABLE_IN_1_0
guint           aio_process_pool_get_max_calls_per_worker (AioProcessPool      *self);
AIO_AVAILABLE_IN_1_0
void            aio_process_pool_set_max_calls_per_worker (AioProcessPool      *self,
                                                           guint                max_calls);

AIO_AVAILABLE_IN_1_0
void            aio_process_pool_call_async               (AioProcessPool      *self,
                                                           const char          *function,
                                                           GVariant            *arguments,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
AIO_AVAILABLE_IN_1_0
GVariant       *aio_process_pool_call_finish              (AioProcessPool      *self,
                                                           GAsyncResult        *result,
                                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioJob         *aio_process_pool_create_job               (AioProcessPool      *self,
                                                           const char          *function,
                                                           GVariant            *arguments) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
