/* aio-thread-result-private.h: the GAsyncResult handed to a callback,
 * pointing at one call's record (a thread pool's call, a collector's
 * waiting next call)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AIO_TYPE_THREAD_RESULT (aio_thread_result_get_type ())
G_DECLARE_FINAL_TYPE (AioThreadResult, aio_thread_result, AIO, THREAD_RESULT, GObject)

AioThreadResult *aio_thread_result_new      (GObject         *source_object,
                                             gpointer         source_tag,
                                             gpointer         user_data,
                                             gpointer         call,
                                             GDestroyNotify   call_release);
gpointer         aio_thread_result_get_call (AioThreadResult *self);
gboolean         aio_thread_result_is_valid (GAsyncResult    *result,
                                             gpointer         source_object,
                                             gpointer         source_tag);

G_END_DECLS
