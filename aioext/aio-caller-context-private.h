/* aio-caller-context-private.h: handing work to the context that owns it
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
gboolean aio_context_is_dispatching      (GMainContext *context);
gint64   aio_context_dispatch_time       (GMainContext *context);

G_END_DECLS
