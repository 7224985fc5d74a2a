/* aio-recycled-cancellable-private.h: cancellables that jobs hand back
 * for the next jobs started in the same thread, or in another one
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GCancellable *aio_recycled_cancellable_take      (void);
gboolean      aio_recycled_cancellable_is_kept   (GCancellable *cancellable);
void          aio_recycled_cancellable_give_back (GCancellable *cancellable);
void          aio_recycled_cancellable_release   (GCancellable *cancellable);

G_END_DECLS
