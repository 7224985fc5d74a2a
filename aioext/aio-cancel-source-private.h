/* aio-cancel-source-private.h: the cancel source, and dropping sources
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GSource *aio_cancel_source_new (GCancellable  *cancellable);
void     aio_source_destroy    (gpointer       source);
void     aio_source_drop       (GSource      **source_pointer);

G_END_DECLS
