/* aio-job-private.h: jobs made by other classes of the library
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "aio-completion-queue-private.h"
#include "aio-job.h"

G_BEGIN_DECLS

/* Runs @inner under @owner's control (a semaphore's permits, a rate
 * limiter's slot) and reports @inner's outcome. */
typedef void          (*AioJobGuardRun)    (GObject             *owner,
                                            guint                count,
                                            AioJob              *inner,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
typedef const GValue *(*AioJobGuardFinish) (GObject             *owner,
                                            GAsyncResult        *result,
                                            GError             **error);

AioJob *aio_job_new_guarded (GObject           *owner,
                             guint              count,
                             AioJob            *inner,
                             AioJobGuardRun     run,
                             AioJobGuardFinish  finish);

/* A library-internal wait for a job's outcome, embedded in the waiter's own
 * record (see aio_job_watch()). */
typedef struct
{
  AioCompletion       completion;    /* first: the job links watches by it */
  AioCompletionQueue *queue;
  gint64              returns_after; /* a dispatch time; G_MAXINT64: never at once */
} AioJobWatch;

void    aio_job_watch       (AioJob             *self,
                             AioJobWatch        *watch,
                             AioCompletionQueue *queue,
                             AioCompletionFunc   func,
                             gboolean            may_return_at_once);

/* How a job whose work waits elsewhere (a call queued on a thread pool)
 * learns of aio_job_cancel() without a #GCancellable: @hold runs under the
 * job's lock (a leaf: atomic operations only) and keeps the hook's owner
 * alive; @cancel then runs outside it, on the cancelling thread, and lets
 * go of that hold. */
typedef struct _AioJobCancelHook AioJobCancelHook;
struct _AioJobCancelHook
{
  void (*hold)   (AioJobCancelHook *hook);
  void (*cancel) (AioJobCancelHook *hook);
};

AioJob   *aio_job_new_with_lazy_cancellable (AioJobFunc        func,
                                             gpointer          user_data,
                                             GDestroyNotify    user_data_destroy);
gboolean  aio_job_set_cancel_hook           (AioJob           *self,
                                             AioJobCancelHook *hook);
GCancellable *aio_job_ensure_cancellable    (AioJob           *self);

gboolean aio_job_bind_result  (AioJob       *self,
                               GObject      *source_object,
                               gpointer      source_tag,
                               gpointer      user_data);
const GValue *aio_job_propagate_as_result_of (GAsyncResult  *result,
                                              gpointer       source_object,
                                              gpointer       source_tag,
                                              gboolean      *is_result,
                                              GError       **error);

const GValue *aio_job_peek_outcome (AioJob        *self,
                                    const GError **error);

/* A copy of a job's result for the dup_*_finish() functions, or %NULL. */
GValue *aio_job_dup_outcome (const GValue *value);

G_END_DECLS
