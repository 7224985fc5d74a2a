/* aio-scope-private.h: the main context that one aio_run() or
 * aio_job_run_sync() call iterates, and the jobs started inside it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "aio-job.h"

G_BEGIN_DECLS

typedef struct _AioScope AioScope;

gboolean  aio_scope_track       (GMainContext  *context,
                                 AioJob        *job);
void      aio_scope_untrack     (GMainContext  *context,
                                 AioJob        *job);
gboolean  aio_scope_is_in_run   (void);
const GValue *aio_scope_run_job (AioJob        *job,
                                 gboolean       is_run,
                                 GCancellable  *cancellable,
                                 GError       **error);

G_END_DECLS
