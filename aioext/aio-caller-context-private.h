/* aio-caller-context-private.h: running a GTask's next step in the
 * context of the caller who started it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Called with a borrowed task, in the task's context. */
typedef void (*AioTaskFunc) (GTask *task);

void aio_task_run_in_context   (GTask       *task,
                                gboolean     may_run_here,
                                AioTaskFunc  func);
void aio_task_return_cancelled (GTask       *task,
                                const char  *message);

G_END_DECLS
