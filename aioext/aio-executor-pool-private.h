/* aio-executor-pool-private.h: the virtual functions of AioExecutorPool, and
 * what the kinds of pool use of their base
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "aio-executor-pool.h"

G_BEGIN_DECLS

/* How an executor stops: what becomes of the work it still has queued, and
 * whether the caller waits for it.
 *
 * AIO_EXECUTOR_STOP_DISCARD: queued work fails with %AIO_ERROR_SHUT_DOWN,
 *   running work finishes in the background
 * AIO_EXECUTOR_STOP_DRAIN: queued and running work finishes in the
 *   background, as aioextensions lets it when a pool is initialized again
 * AIO_EXECUTOR_STOP_DRAIN_AND_WAIT: as DRAIN, and the caller blocks until
 *   everything has run */
typedef enum
{
  AIO_EXECUTOR_STOP_DISCARD,
  AIO_EXECUTOR_STOP_DRAIN,
  AIO_EXECUTOR_STOP_DRAIN_AND_WAIT,
} AioExecutorStop;

/* The virtual functions a kind of pool implements. The base class keeps the
 * lifecycle (lazy start, initialize, shut down), the configured size and the
 * `running` and `queued` counters.
 *
 * get_default_max_workers: the size used when no size, or 0, is given
 * start: starts a new executor of @max_workers workers; called with the
 *   pool's lock held, when the pool is initialized, explicitly or lazily
 * stop: stops the current executor as @how says; called with the pool's
 *   lock held
 *
 * Kept in the class's private data (g_type_add_class_private()), not in the
 * public class struct: every kind of pool is built with the library. */
typedef struct
{
  guint (*get_default_max_workers) (AioExecutorPool *self);
  void  (*start)                   (AioExecutorPool *self,
                                    guint            max_workers);
  void  (*stop)                    (AioExecutorPool *self,
                                    AioExecutorStop  how);
} AioExecutorPoolKind;

/* The virtual functions of @klass (a class struct of a kind of pool), for
 * its class_init to fill in. */
AioExecutorPoolKind *aio_executor_pool_class_get_kind (gpointer klass);

void     aio_executor_pool_lock                (AioExecutorPool  *self);
void     aio_executor_pool_unlock              (AioExecutorPool  *self);
gboolean aio_executor_pool_ensure_started      (AioExecutorPool  *self,
                                                GError          **error);
void     aio_executor_pool_make_default        (AioExecutorPool  *self);
int      aio_executor_pool_add_queued          (AioExecutorPool  *self,
                                                int               delta);
/* A function of a pool running on this thread (work of a pool may run work
 * of another). Kept on the worker's stack between enter and leave. */
typedef struct _AioPoolWork AioPoolWork;
struct _AioPoolWork
{
  AioExecutorPool *pool;
  AioPoolWork     *outer;
  gboolean         waited_for_itself;
};

void     aio_executor_pool_enter_work          (AioExecutorPool  *self,
                                                AioPoolWork      *work);
GError  *aio_executor_pool_leave_work          (AioPoolWork      *work);
int      aio_executor_pool_add_running         (AioExecutorPool  *self,
                                                int               delta);
guint    aio_executor_pool_peek_running        (AioExecutorPool  *self);

G_END_DECLS
