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
 *
 * The class of every pool. Its virtual functions are private: the kinds of
 * pool are the library's own (#AioThreadPool, #AioProcessPool).
 */
struct _AioExecutorPoolClass
{
  GObjectClass parent_class;

  /*< private >*/
  gpointer padding[15];
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
