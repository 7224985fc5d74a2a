/* aio-executor-pool.h: the lifecycle that thread and process pools share
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

#define AIO_TYPE_EXECUTOR_POOL (aio_executor_pool_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (AioExecutorPool, aio_executor_pool, AIO, EXECUTOR_POOL, GObject)

/**
 * AioExecutorPoolClass:
 * @parent_class: the parent class
 * @get_default_max_workers: the size used when no size, or 0, is given
 * @start: starts a new executor of @max_workers workers; called with the
 *   pool's lock held, when the pool is initialized, explicitly or lazily
 * @stop: stops the current executor: fails the work still queued with
 *   %AIO_ERROR_SHUT_DOWN, or when @wait is %TRUE, runs it and returns once
 *   everything queued has run; called with the pool's lock held
 *
 * The virtual functions a kind of pool implements. The base class keeps the
 * lifecycle (lazy start, initialize, shut down), the configured size and the
 * `running` and `queued` counters.
 */
struct _AioExecutorPoolClass
{
  GObjectClass parent_class;

  guint (*get_default_max_workers) (AioExecutorPool *self);
  void  (*start)                   (AioExecutorPool *self,
                                    guint            max_workers);
  void  (*stop)                    (AioExecutorPool *self,
                                    gboolean         wait);

  /*< private >*/
  gpointer padding[12];
};

AIO_AVAILABLE_IN_1_0
void     aio_executor_pool_initialize      (AioExecutorPool *self,
                                            guint            max_workers);
AIO_AVAILABLE_IN_1_0
void     aio_executor_pool_shutdown        (AioExecutorPool *self,
                                            gboolean         wait);
AIO_AVAILABLE_IN_1_0
gboolean aio_executor_pool_is_initialized  (AioExecutorPool *self);
AIO_AVAILABLE_IN_1_0
guint    aio_executor_pool_get_max_workers (AioExecutorPool *self);
AIO_AVAILABLE_IN_1_0
guint    aio_executor_pool_get_running     (AioExecutorPool *self);
AIO_AVAILABLE_IN_1_0
guint    aio_executor_pool_get_queued      (AioExecutorPool *self);

G_END_DECLS
