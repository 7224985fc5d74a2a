/* aio-thread-iterator.h: drive a blocking producer from the main loop, one
 * item at a time
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <gio/gio.h>

#include "aio-version-macros.h"
#include "aio-thread-pool.h"

G_BEGIN_DECLS

#define AIO_TYPE_THREAD_ITERATOR (aio_thread_iterator_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AioThreadIterator, aio_thread_iterator, AIO, THREAD_ITERATOR, GObject)

/**
 * AioThreadIteratorFunc:
 * @cancellable: (nullable): the step's #GCancellable
 * @sent: (nullable): the value given to aio_thread_iterator_send_async(),
 *   or %NULL for aio_thread_iterator_next_async()
 * @item: (out caller-allocates): an unset #GValue to initialize and fill
 *   with the next item; leave it unset at the end of the stream
 * @user_data: the data given with the function
 * @error: return location for a #GError
 *
 * One step of a blocking producer, run on a worker thread: produces the
 * next item, the counterpart of calling `next()` (or `send()`) on a Python
 * generator. Steps of one iterator never run concurrently, and each sees
 * what the previous ones left in @user_data.
 *
 * From Python the function returns `(True, item)`, with `item` None at the
 * end of the stream, or raises.
 *
 * Returns: %TRUE on success (an item, or the end of the stream), %FALSE
 *   with @error set on failure
 */
typedef gboolean (*AioThreadIteratorFunc) (GCancellable  *cancellable,
                                           const GValue  *sent,
                                           GValue        *item,
                                           gpointer       user_data,
                                           GError       **error);

AIO_AVAILABLE_IN_1_0
AioThreadIterator *aio_thread_iterator_new         (AioThreadPool          *pool,
                                                    AioThreadIteratorFunc   func,
                                                    gpointer                func_data,
                                                    GDestroyNotify          func_data_destroy) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
void               aio_thread_iterator_next_async  (AioThreadIterator      *self,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
AIO_AVAILABLE_IN_1_0
GValue            *aio_thread_iterator_next_finish (AioThreadIterator      *self,
                                                    GAsyncResult           *result,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
void               aio_thread_iterator_send_async  (AioThreadIterator      *self,
                                                    const GValue           *value,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
AIO_AVAILABLE_IN_1_0
GValue            *aio_thread_iterator_send_finish (AioThreadIterator      *self,
                                                    GAsyncResult           *result,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
void               aio_thread_iterator_close_async  (AioThreadIterator     *self,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
AIO_AVAILABLE_IN_1_0
gboolean           aio_thread_iterator_close_finish (AioThreadIterator     *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);

AIO_AVAILABLE_IN_1_0
gboolean           aio_thread_iterator_is_finished (AioThreadIterator      *self);

G_END_DECLS
