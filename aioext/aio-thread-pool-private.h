/* aio-thread-pool-private.h: what other classes use of the thread pool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "aio-thread-pool.h"

G_BEGIN_DECLS

gboolean aio_thread_pool_check_func (GDestroyNotify   func_data_destroy,
                                     GError         **error);

G_END_DECLS
