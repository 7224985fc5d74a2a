/* aio-executor-pool-private.h: the virtual functions of AioExecutorPool, and
 * what the kinds of pool use of their base
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "aio-executor-pool.h"

G_BEGIN_DECLS

/* The virtual functions a kind of pool implements. The base class keeps the
 * lifecycle (lazy start, initialize, shut down), the configured size and the
 * `running` and `queued` counters.
 *
 * get_default_max_workers: the size used when no size, or 0, is given
 * start: starts a new executor of @max_workers workers; called with the
 *   pool's lock held, when the pool is initialized, explicitly or lazily
 * stop: stops the current executor: fails the work still queued with
 *   %AIO_ERROR_SHUT_DOWN, or when @wait is %TRUE, runs it and returns once
 *   everything queued has run; called with the pool's lock held
 *
 * Kept in the class's private data (g_type_add_class_private()), not in the
 * public class struct: every kind of pool is built with the library. */
typedef struct
{
  guint (*get_default_max_workers) (AioExecutorPool *self);
  void  (*start)                   (AioExecutorPool *self,
                                    guint            max_workers);
  void  (*stop)                    (AioExecutorPool *self,
                                    gboolean         wait);
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
int      aio_executor_pool_add_running         (AioExecutorPool  *self,
                                                int               delta);

G_END_DECLS
