/* aio-semaphore.h: an atomic, FIFO, weighted semaphore
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <gio/gio.h>

#include "aio-version-macros.h"
#include "aio-job.h"

G_BEGIN_DECLS

#define AIO_TYPE_SEMAPHORE (aio_semaphore_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AioSemaphore, aio_semaphore, AIO, SEMAPHORE, GObject)

/**
 * AioSemaphoreJobDoneFunc:
 * @value: (nullable): the job's result, owned by the job and valid during
 *   the call only; %NULL when the call failed
 * @error: (nullable): why the call failed, owned by aioext: the job's own
 *   error, or the semaphore's (cancelled, closed, a count it can never
 *   grant); %NULL when it succeeded
 * @user_data: the data given to aio_semaphore_submit_job()
 *
 * Receives the outcome of a job run with aio_semaphore_submit_job(), in
 * the caller's thread-default main context.
 */
typedef void (*AioSemaphoreJobDoneFunc) (const GValue  *value,
                                         const GError  *error,
                                         gpointer       user_data);

AIO_AVAILABLE_IN_1_0
AioSemaphore *aio_semaphore_new            (guint                 value) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioSemaphore *aio_semaphore_new_bounded    (guint                 value) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
guint         aio_semaphore_get_value      (AioSemaphore         *self);
AIO_AVAILABLE_IN_1_0
guint         aio_semaphore_get_capacity   (AioSemaphore         *self);
AIO_AVAILABLE_IN_1_0
guint         aio_semaphore_get_waiters    (AioSemaphore         *self);
AIO_AVAILABLE_IN_1_0
gboolean      aio_semaphore_is_bounded     (AioSemaphore         *self);
AIO_AVAILABLE_IN_1_0
gboolean      aio_semaphore_is_closed      (AioSemaphore         *self);

AIO_AVAILABLE_IN_1_0
void          aio_semaphore_acquire_async  (AioSemaphore         *self,
                                            guint                 count,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
AIO_AVAILABLE_IN_1_0
gboolean      aio_semaphore_acquire_finish (AioSemaphore         *self,
                                            GAsyncResult         *result,
                                            GError              **error);
AIO_AVAILABLE_IN_1_0
gboolean      aio_semaphore_try_acquire    (AioSemaphore         *self,
                                            guint                 count);
AIO_AVAILABLE_IN_1_0
gboolean      aio_semaphore_release        (AioSemaphore         *self,
                                            guint                 count,
                                            GError              **error);
AIO_AVAILABLE_IN_1_0
void          aio_semaphore_close          (AioSemaphore         *self);

AIO_AVAILABLE_IN_1_0
void          aio_semaphore_run_job_async  (AioSemaphore         *self,
                                            guint                 count,
                                            AioJob               *job,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
AIO_AVAILABLE_IN_1_0
const GValue *aio_semaphore_run_job_finish (AioSemaphore         *self,
                                            GAsyncResult         *result,
                                            GError              **error);
AIO_AVAILABLE_IN_1_0
GValue       *aio_semaphore_dup_run_job_finish (AioSemaphore    *self,
                                                GAsyncResult    *result,
                                                GError         **error) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
void          aio_semaphore_submit_job     (AioSemaphore            *self,
                                            guint                    count,
                                            AioJob                  *job,
                                            GCancellable            *cancellable,
                                            AioSemaphoreJobDoneFunc  done,
                                            gpointer                 user_data);
AIO_AVAILABLE_IN_1_0
AioJob       *aio_semaphore_create_job     (AioSemaphore         *self,
                                            guint                 count,
                                            AioJob               *job) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
