/* aio-caller-context-private.h: handing work to the context that owns it,
 * and running a GTask's next step in the context of the caller who
 * started it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void aio_context_deliver       (GMainContext   *context,
                                int             priority,
                                gboolean        may_run_here,
                                const char     *name,
                                GSourceFunc     func,
                                gpointer        data,
                                GBoxedCopyFunc  data_ref,
                                GDestroyNotify  data_unref);

gboolean aio_context_push_unless_default (GMainContext *context);

/* Called with a borrowed task, in the task's context. */
typedef void (*AioTaskFunc) (GTask *task);

void aio_task_run_in_context   (GTask       *task,
                                gboolean     may_run_here,
                                AioTaskFunc  func);
void aio_task_return_cancelled (GTask       *task,
                                const char  *message);

G_END_DECLS
