/* aioext.h: the one header applications include
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AIO_INSIDE
# include "aio-version.h"
# include "aio-version-macros.h"
# include "aio-enum-types.h"
# include "aio-error.h"
# include "aio-job.h"
# include "aio-main.h"
# include "aio-worker.h"
# include "aio-executor-pool.h"
# include "aio-thread-pool.h"
# include "aio-thread-iterator.h"
# include "aio-process-pool.h"
# include "aio-collector.h"
# include "aio-semaphore.h"
# include "aio-rate-limiter.h"
#undef AIO_INSIDE

G_END_DECLS
