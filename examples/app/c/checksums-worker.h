/* checksums-worker.h: the Checksums app's worker side
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <aioext.h>

G_BEGIN_DECLS

AioWorker *checksums_worker_new (void);

G_END_DECLS
