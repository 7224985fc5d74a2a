/* aio-main.h: the main-loop core: run, yield one iteration, CPU cores
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <gio/gio.h>

#include "aio-version-macros.h"
#include "aio-job.h"

G_BEGIN_DECLS

AIO_AVAILABLE_IN_1_0
const GValue *aio_run       (AioJob               *job,
                             GError              **error);

AIO_AVAILABLE_IN_1_0
void      aio_yield_async   (GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data);
AIO_AVAILABLE_IN_1_0
gboolean  aio_yield_finish  (GAsyncResult         *result,
                             GError              **error);

AIO_AVAILABLE_IN_1_0
guint     aio_get_cpu_cores (void);

G_END_DECLS
