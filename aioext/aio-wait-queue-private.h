/* aio-wait-queue-private.h: the FIFO of callers waiting for a semaphore's
 * permits or a rate limiter's slot
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "aio-job-private.h"

G_BEGIN_DECLS

typedef enum
{
  AIO_WAITER_QUEUED,
  AIO_WAITER_GRANTED,     /* holds its grant; a job waiter's job has not started yet */
  AIO_WAITER_RUNNING,     /* a job waiter whose job runs */
  AIO_WAITER_DONE,        /* failed, cancelled, or handed its grant on */
} AioWaiterState;

typedef struct _AioWaiter AioWaiter;

/* A step run in the waiter's context (see aio_waiter_run_in_context()). */
typedef void (*AioWaiterFunc) (AioWaiter *waiter);

/* One queued call: a plain record, not a GTask, because a million of them
 * may wait in a queue. Its callback gets its job as the result (a job
 * call that succeeded, see aio_job_bind_result()) or an AioThreadResult
 * made only when the outcome is handed back. The link is the record's own, so queueing
 * allocates nothing more; once granted, the waiter leaves the queue for
 * good and its owner may reuse the link's room for a job watch. An owner
 * that needs more puts this first in a record of its own. */
struct _AioWaiter
{
  union
  {
    GList       link;         /* while queued: in the queue */
    AioJobWatch watch;        /* after: the owner's */
  };
  GObject             *owner;         /* a reference: the semaphore or limiter */
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  gpointer             source_tag;
  GMainContext        *context;       /* the caller's, a reference unless borrowed */
  GCancellable        *cancellable;   /* nullable, a reference */
  GSource             *cancel_source; /* fires in the waiter's context */
  AioJob              *job;           /* run-job waiters only */
  GError              *error;         /* the outcome, once returned */
  AioWaiterFunc        step;          /* what runs next in its context */
  gint                 ref_count;
  guint                count;         /* what it asks for, in the owner's unit */
  guint8               state;         /* an AioWaiterState: the queue's lock while
                                       * queued, then only the waiter's context */
  guint8               is_returned;   /* the waiter's context only */
  guint8               is_answered;   /* an AioAnsweredWaiter */
  guint8               is_context_borrowed; /* context is the owner's own */
  guint16              size;          /* of the whole record, for its slice */
};

/* A call of the owner's C fast path, answered by a function of the owner
 * rather than a GAsyncReadyCallback with a result made for it: same queue,
 * grants, cancellation and context rules. @callback is unset. */
typedef struct
{
  AioWaiter      base;
  AioWaiterFunc  answer;   /* in the waiter's context, once, the outcome set */
} AioAnsweredWaiter;

typedef struct _AioWaitQueue AioWaitQueue;

/* What a look at the queue changed, for the owner's notifications. */
typedef enum
{
  AIO_WAIT_QUEUE_LEFT  = 1 << 0,   /* waiters left the queue */
  AIO_WAIT_QUEUE_TAKEN = 1 << 1,   /* some of them were granted */
} AioWaitQueueChanges;

/* What a semaphore or a rate limiter tells its queue. */
typedef struct
{
  /* Under the lock: whether @waiter, at the head, may be granted now. */
  gboolean    (*fits)           (AioWaitQueue *queue,
                                 AioWaiter    *waiter);
  /* Under the lock: takes what the head waiter asked for. */
  void        (*take)           (AioWaitQueue *queue,
                                 AioWaiter    *waiter);
  /* Outside the lock: hands @waiter the grant it was taken for; the
   * caller holds a reference on @waiter of its own. */
  void        (*grant)          (AioWaiter    *waiter,
                                 gboolean      may_start_here);
  /* Outside the lock, optional: @waiter left the queue without a grant. */
  void        (*leave)          (AioWaiter    *waiter);
  /* In the waiter's context, optional: @waiter was cancelled after its grant. */
  void        (*cancel_granted) (AioWaiter    *waiter);
  /* The owner's cancel handler, which calls aio_wait_queue_cancel() and
   * returns G_SOURCE_REMOVE. */
  GSourceFunc   on_cancelled;
  const char   *cancel_source_name;
  const char   *cancelled_message;  /* untranslated: translated at use */
  /* Grants one waiter per look at the queue, outside the lock before the
   * next: a rate limiter's grants are stamped one by one. */
  gboolean      grants_one_at_a_time;
} AioWaitQueueClass;

struct _AioWaitQueue
{
  /* See "The lock order" (docs/reference/architecture.xml). It guards the
   * owner's own state too. */
  GMutex                   mutex;
  GQueue                   waiters;     /* AioWaiter.link, one reference each */
  gboolean                 is_closed;
  const AioWaitQueueClass *klass;
};

void     aio_wait_queue_init       (AioWaitQueue            *queue,
                                    const AioWaitQueueClass *klass);
void     aio_wait_queue_clear      (AioWaitQueue            *queue);
guint    aio_wait_queue_get_length (AioWaitQueue            *queue);
gboolean aio_wait_queue_is_closed  (AioWaitQueue            *queue);

AioWaiter *aio_waiter_new            (gsize                 size,
                                     gpointer              owner,
                                     AioJob               *job,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data,
                                     gpointer              source_tag);
AioWaiter *aio_waiter_new_in         (gsize                 size,
                                     gpointer              owner,
                                     GMainContext         *owner_context,
                                     AioJob               *job,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data,
                                     gpointer              source_tag);
AioWaiter *aio_waiter_new_answered   (gsize                 size,
                                     gpointer              owner,
                                     GMainContext         *owner_context,
                                     AioJob               *job,
                                     GCancellable         *cancellable,
                                     AioWaiterFunc         answer,
                                     gpointer              user_data,
                                     gpointer              source_tag);
AioWaiter *aio_waiter_ref            (AioWaiter            *waiter);
void       aio_waiter_unref          (AioWaiter            *waiter);
gboolean   aio_waiter_is_cancelled   (AioWaiter            *waiter);
void       aio_waiter_attach_source  (AioWaiter            *waiter,
                                      GSource              *source,
                                      GSourceFunc           func);
void       aio_waiter_run_in_context (AioWaiter            *waiter,
                                      gboolean              may_run_here,
                                      AioWaiterFunc         func);
void       aio_waiter_return         (AioWaiter            *waiter,
                                      GError               *error,
                                      gboolean              may_run_here);
void       aio_waiter_return_here    (AioWaiter            *waiter);
void       aio_waiter_return_cancelled (AioWaiter          *waiter,
                                        const char         *message,
                                        gboolean            may_run_here);
AioWaiter *aio_waiter_from_result    (GAsyncResult         *result,
                                      gpointer              owner,
                                      gpointer              source_tag);
gboolean   aio_waiter_propagate      (AioWaiter            *waiter,
                                      GError              **error);
const GValue *aio_waiter_finish_job  (GAsyncResult         *result,
                                      gpointer              owner,
                                      gpointer              source_tag,
                                      gboolean             *is_valid,
                                      GError              **error);
void       aio_waiter_watch_cancellable (AioWaitQueue      *queue,
                                         AioWaiter         *waiter);

void     aio_wait_queue_push_locked (AioWaitQueue           *queue,
                                     AioWaiter              *waiter);
AioWaitQueueChanges aio_wait_queue_wake            (AioWaitQueue *queue,
                                                    gboolean      may_start_here);
AioWaitQueueChanges aio_wait_queue_unlock_and_wake (AioWaitQueue *queue,
                                                    gboolean      may_start_here);
AioWaitQueueChanges aio_wait_queue_cancel          (AioWaitQueue *queue,
                                                    AioWaiter    *waiter);
AioWaitQueueChanges aio_wait_queue_close           (AioWaitQueue *queue,
                                                    const GError *error);

static inline void
aio_wait_queue_lock (AioWaitQueue *queue)
{
  g_mutex_lock (&queue->mutex);
}

static inline void
aio_wait_queue_unlock (AioWaitQueue *queue)
{
  g_mutex_unlock (&queue->mutex);
}

G_END_DECLS
