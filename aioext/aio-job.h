/* aio-job.h: one lazily started asynchronous operation and its outcome
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <gio/gio.h>

#include "aio-version-macros.h"

G_BEGIN_DECLS

/**
 * AioJobState:
 * @AIO_JOB_STATE_PENDING: created, not started yet
 * @AIO_JOB_STATE_RUNNING: started, outcome not known yet
 * @AIO_JOB_STATE_SUCCEEDED: completed with a result
 * @AIO_JOB_STATE_FAILED: completed with an error (cancellation included)
 *
 * Where an #AioJob is in its life. A job moves forward only.
 */
typedef enum
{
  AIO_JOB_STATE_PENDING,
  AIO_JOB_STATE_RUNNING,
  AIO_JOB_STATE_SUCCEEDED,
  AIO_JOB_STATE_FAILED,
} AioJobState;

#define AIO_TYPE_JOB (aio_job_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AioJob, aio_job, AIO, JOB, GObject)

/**
 * AioJobFunc:
 * @job: the job being started
 * @cancellable: the job's own #GCancellable, cancelled when the job is
 *   cancelled; it stays valid until the job has completed (take a
 *   reference to use it after that)
 * @user_data: the data given when the job was created
 *
 * Starts the work of @job. It runs once, in the thread-default main context
 * of whoever starts the job, and must make sure that exactly one of
 * aio_job_return_value(), aio_job_return_pointer(), aio_job_return_error()
 * or aio_job_return_error_literal() is called on @job, now or later, from
 * any thread. When @cancellable is cancelled it should complete promptly
 * with %G_IO_ERROR_CANCELLED.
 *
 * The function has no way to report a failure but the job itself; a
 * function that may fail belongs in aio_job_new_fallible(). The Python and
 * JavaScript overrides turn an exception escaping the function (and in
 * JavaScript the rejection of the promise it returns) into the job's error
 * for both constructors.
 */
typedef void (*AioJobFunc) (AioJob       *job,
                            GCancellable *cancellable,
                            gpointer      user_data);

/**
 * AioJobFallibleFunc:
 * @job: the job being started
 * @cancellable: the job's own #GCancellable, cancelled when the job is
 *   cancelled
 * @user_data: the data given when the job was created
 * @error: return location for a #GError
 *
 * Starts the work of @job, like an #AioJobFunc, but may fail instead: when
 * it cannot start the work it sets @error, and the job completes with that
 * error. From JavaScript, Python and Vala that is an exception thrown by the
 * function. A function that sets no error must make sure that the job is
 * completed, now or later, exactly as an #AioJobFunc must. There is no
 * return value to forget: only @error tells a failure.
 */
typedef void (*AioJobFallibleFunc) (AioJob        *job,
                                    GCancellable  *cancellable,
                                    gpointer       user_data,
                                    GError       **error);

/**
 * AioJobAsyncFunc:
 * @user_data: the data given to aio_job_new_for_async()
 * @cancellable: the job's #GCancellable, to pass on to the `_async` call
 * @callback: the callback to pass on to the `_async` call
 * @callback_data: the user data to pass on to the `_async` call
 *
 * Starts one GIO-style `_async` operation, typically a one-line trampoline
 * such as `g_file_read_async (user_data, G_PRIORITY_DEFAULT, cancellable,
 * callback, callback_data);`.
 */
typedef void (*AioJobAsyncFunc) (gpointer             user_data,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             callback_data);

/**
 * AioJobFinishFunc:
 * @source_object: (nullable): the source object of @result
 * @result: the result handed to the `_async` call's callback
 * @error: return location for a #GError
 *
 * Finishes the operation started by an #AioJobAsyncFunc. Any GIO `_finish`
 * function that returns a pointer has this shape, for example
 * `(AioJobFinishFunc) g_file_read_finish`.
 *
 * Returns: (nullable): the result, or %NULL with @error set on failure
 */
typedef gpointer (*AioJobFinishFunc) (GObject       *source_object,
                                      GAsyncResult  *result,
                                      GError       **error);

AIO_AVAILABLE_IN_1_0
AioJob       *aio_job_new                  (AioJobFunc            func,
                                            gpointer              user_data,
                                            GDestroyNotify        user_data_destroy) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioJob       *aio_job_new_fallible         (AioJobFallibleFunc    func,
                                            gpointer              user_data,
                                            GDestroyNotify        user_data_destroy) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioJob       *aio_job_new_for_async        (AioJobAsyncFunc       start_func,
                                            AioJobFinishFunc      finish_func,
                                            GDestroyNotify        result_destroy,
                                            gpointer              user_data,
                                            GDestroyNotify        user_data_destroy) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioJob       *aio_job_new_for_value        (const GValue         *value) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioJob       *aio_job_new_for_error        (const GError         *error) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
AioJobState   aio_job_get_state            (AioJob               *self);
AIO_AVAILABLE_IN_1_0
gboolean      aio_job_is_completed         (AioJob               *self);
AIO_AVAILABLE_IN_1_0
GCancellable *aio_job_get_cancellable      (AioJob               *self);

AIO_AVAILABLE_IN_1_0
void          aio_job_start                (AioJob               *self);
AIO_AVAILABLE_IN_1_0
void          aio_job_schedule             (AioJob               *self);
AIO_AVAILABLE_IN_1_0
void          aio_job_cancel               (AioJob               *self);

AIO_AVAILABLE_IN_1_0
void          aio_job_run_async            (AioJob               *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
AIO_AVAILABLE_IN_1_0
const GValue *aio_job_run_finish           (AioJob               *self,
                                            GAsyncResult         *result,
                                            GError              **error);
AIO_AVAILABLE_IN_1_0
GValue       *aio_job_dup_run_finish       (AioJob               *self,
                                            GAsyncResult         *result,
                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
void          aio_job_wait_async           (AioJob               *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
AIO_AVAILABLE_IN_1_0
gboolean      aio_job_wait_finish          (AioJob               *self,
                                            GAsyncResult         *result,
                                            GError              **error);
AIO_AVAILABLE_IN_1_0
const GValue *aio_job_run_sync             (AioJob               *self,
                                            GCancellable         *cancellable,
                                            GError              **error);

AIO_AVAILABLE_IN_1_0
const GValue *aio_job_propagate_value      (AioJob               *self,
                                            GError              **error);
AIO_AVAILABLE_IN_1_0
gpointer      aio_job_propagate_pointer    (AioJob               *self,
                                            GError              **error);

AIO_AVAILABLE_IN_1_0
void          aio_job_return_value         (AioJob               *self,
                                            const GValue         *value);
AIO_AVAILABLE_IN_1_0
void          aio_job_return_pointer       (AioJob               *self,
                                            gpointer              result,
                                            GDestroyNotify        result_destroy);
AIO_AVAILABLE_IN_1_0
void          aio_job_return_error         (AioJob               *self,
                                            GError               *error);
AIO_AVAILABLE_IN_1_0
void          aio_job_return_error_literal (AioJob               *self,
                                            GQuark                domain,
                                            int                   code,
                                            const char           *message);

G_END_DECLS
