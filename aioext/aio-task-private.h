/* aio-task-private.h: GTask helpers shared by the flow-control classes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Called with a borrowed task, in the task's context. */
typedef void (*AioTaskFunc) (GTask *task);

void aio_task_run_in_context (GTask       *task,
                              gboolean     may_run_here,
                              AioTaskFunc  func);
void aio_task_return_cancelled (GTask      *task,
                                const char *message);
void aio_source_destroy       (gpointer    source);
void aio_source_drop          (GSource   **source_pointer);

GSource *aio_cancel_source_new (GCancellable *cancellable);

G_END_DECLS
