/* aio-executor-pool-private.h: what the kinds of pool use of their base
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "aio-executor-pool.h"

G_BEGIN_DECLS

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
