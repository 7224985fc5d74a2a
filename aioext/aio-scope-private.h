/* aio-scope-private.h: the private main context of one aio_run() or
 * aio_job_run_sync() call, and the jobs started inside it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "aio-job.h"

G_BEGIN_DECLS

typedef struct _AioScope AioScope;

AioScope *aio_scope_find        (GMainContext  *context);
void      aio_scope_track       (AioScope      *scope,
                                 AioJob        *job);
void      aio_scope_untrack     (AioScope      *scope,
                                 AioJob        *job);
gboolean  aio_scope_is_in_run   (void);
const GValue *aio_scope_run_job (AioJob        *job,
                                 gboolean       is_run,
                                 GCancellable  *cancellable,
                                 GError       **error);

G_END_DECLS
