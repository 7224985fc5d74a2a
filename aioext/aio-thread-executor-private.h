/* aio-thread-executor-private.h: the thread pool's executor, one
 * generation of worker loops on lent GThreadPool threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "aio-completion-queue-private.h"
#include "aio-executor-pool-private.h"

G_BEGIN_DECLS

typedef struct _AioThreadExecutor AioThreadExecutor;

/* Runs (or, when @is_stopping, fails) one item a loop took from the queue,
 * on that loop's thread. The item's completion link chained the queue
 * while it waited and is free again. */
typedef void (*AioThreadExecutorRunFunc) (AioCompletion *item,
                                          gboolean       is_stopping);

AioThreadExecutor *aio_thread_executor_new  (guint                     max_loops,
                                             AioThreadExecutorRunFunc  run);
void               aio_thread_executor_push (AioThreadExecutor        *executor,
                                             AioCompletion            *item,
                                             AioExecutorPool          *pool,
                                             int                       queued);
void               aio_thread_executor_stop (AioThreadExecutor        *executor,
                                             AioExecutorStop           how);

G_END_DECLS
