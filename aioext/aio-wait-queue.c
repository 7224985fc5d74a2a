/* aio-wait-queue.c: the FIFO of callers waiting for a semaphore's permits
 * or a rate limiter's slot
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-caller-context-private.h"
#include "aio-cancel-source-private.h"
#include "aio-i18n-private.h"
#include "aio-wait-queue-private.h"

/* A waiter is served strictly in FIFO order: the head is granted when its
 * owner says it fits, and nobody behind it overtakes it, so a large
 * request is never starved by smaller ones. The owner supplies only "does
 * the head fit now?" and "take it"; the queue handles everything else the
 * same way for both: cancellation, closing, and the race between a
 * cancellation and a grant.
 *
 * That race is settled under the lock by the waiter's state: whoever
 * moves a waiter off AIO_WAITER_QUEUED owns its outcome. A cancellation
 * that finds the waiter granted is too late (the caller then holds the
 * grant and must know it); a grant never goes to a waiter whose
 * cancellable is cancelled, even when its cancel source has not run yet,
 * so that a waiter whose context is busy cannot block the queue. Tasks
 * and callbacks are handled outside the lock only. */

void
aio_wait_queue_init (AioWaitQueue            *queue,
                     const AioWaitQueueClass *klass)
{
  g_mutex_init (&queue->mutex);
  g_queue_init (&queue->waiters);
  queue->klass = klass;
}

/* Every queued waiter's task holds a reference on the owner, so an owner
 * being finalized has none. */
void
aio_wait_queue_clear (AioWaitQueue *queue)
{
  g_assert (g_queue_is_empty (&queue->waiters));
  g_mutex_clear (&queue->mutex);
}

guint
aio_wait_queue_get_length (AioWaitQueue *queue)
{
  guint length;

  g_mutex_lock (&queue->mutex);
  length = queue->waiters.length;
  g_mutex_unlock (&queue->mutex);

  return length;
}

gboolean
aio_wait_queue_is_closed (AioWaitQueue *queue)
{
  gboolean is_closed;

  g_mutex_lock (&queue->mutex);
  is_closed = queue->is_closed;
  g_mutex_unlock (&queue->mutex);

  return is_closed;
}

/* Makes @waiter the task data of @task; @free_func frees the owner's
 * record and must call aio_waiter_clear(). */
void
aio_waiter_init (AioWaiter      *waiter,
                 GTask          *task,
                 AioJob         *job,
                 GDestroyNotify  free_func)
{
  waiter->link.data = task;
  waiter->task = task;
  waiter->state = AIO_WAITER_QUEUED;
  waiter->job = job != NULL ? g_object_ref (job) : NULL;
  g_task_set_task_data (task, waiter, free_func);
}

void
aio_waiter_clear (AioWaiter *waiter)
{
  g_assert (waiter->cancel_source == NULL);
  g_clear_object (&waiter->job);
}

void
aio_waiter_return_cancelled (AioWaitQueue *queue,
                             AioWaiter    *waiter)
{
  aio_task_return_cancelled (waiter->task, _(queue->klass->cancelled_message));
}

/* Watched under the lock when queued: a cancellation that comes later
 * finds the waiter queued and its source set. */
void
aio_waiter_watch_cancellable (AioWaitQueue *queue,
                              AioWaiter    *waiter)
{
  GCancellable *cancellable = g_task_get_cancellable (waiter->task);

  if (cancellable == NULL)
    return;

  waiter->cancel_source = aio_cancel_source_new (cancellable);
  g_source_set_static_name (waiter->cancel_source, queue->klass->cancel_source_name);
  g_task_attach_source (waiter->task, waiter->cancel_source, queue->klass->on_cancelled);
}

/* Under the lock; the queue takes a reference on the task. */
void
aio_wait_queue_push_locked (AioWaitQueue *queue,
                            AioWaiter    *waiter)
{
  g_queue_push_tail_link (&queue->waiters, &waiter->link);
  g_object_ref (waiter->task);
  aio_waiter_watch_cancellable (queue, waiter);
}

static void
aio_wait_queue_unlink_locked (AioWaitQueue   *queue,
                              AioWaiter      *waiter,
                              AioWaiterState  state,
                              GQueue         *into)
{
  g_queue_unlink (&queue->waiters, &waiter->link);
  waiter->state = state;
  if (into != NULL)
    g_queue_push_tail_link (into, &waiter->link);
}

/* Moves every waiter at the head that fits now into @granted (one only
 * when the owner grants one at a time), and every cancelled one met on
 * the way into @cancelled. */
static void
aio_wait_queue_collect_locked (AioWaitQueue *queue,
                               GQueue       *granted,
                               GQueue       *cancelled)
{
  GList *link;

  while ((link = queue->waiters.head) != NULL)
    {
      AioWaiter *waiter = (AioWaiter *) link;

      if (g_cancellable_is_cancelled (g_task_get_cancellable (waiter->task)))
        {
          aio_wait_queue_unlink_locked (queue, waiter, AIO_WAITER_DONE, cancelled);
          continue;
        }

      if (!queue->klass->fits (queue, waiter))
        break;

      aio_wait_queue_unlink_locked (queue, waiter, AIO_WAITER_GRANTED, granted);
      queue->klass->take (queue, waiter);
      if (queue->klass->grants_one_at_a_time)
        break;
    }
}

/* A waiter that leaves without its grant: its sources go, its task fails
 * with @error (or as cancelled), and the queue's reference goes. */
static void
aio_wait_queue_fail (AioWaitQueue *queue,
                     AioWaiter    *waiter,
                     const GError *error)
{
  GTask *task = waiter->task;

  aio_source_drop (&waiter->cancel_source);
  if (queue->klass->leave != NULL)
    queue->klass->leave (waiter);
  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    aio_waiter_return_cancelled (queue, waiter);
  g_object_unref (task);
}

/* Outside the lock. */
static AioWaitQueueChanges
aio_wait_queue_deliver (AioWaitQueue *queue,
                        GQueue       *granted,
                        GQueue       *cancelled,
                        gboolean      may_start_here)
{
  AioWaitQueueChanges changes = 0;
  GList *link;

  if (!g_queue_is_empty (cancelled))
    changes |= AIO_WAIT_QUEUE_LEFT;
  if (!g_queue_is_empty (granted))
    changes |= AIO_WAIT_QUEUE_LEFT | AIO_WAIT_QUEUE_TAKEN;

  while ((link = g_queue_pop_head_link (cancelled)) != NULL)
    aio_wait_queue_fail (queue, (AioWaiter *) link, NULL);

  while ((link = g_queue_pop_head_link (granted)) != NULL)
    {
      GTask *task = ((AioWaiter *) link)->task;

      queue->klass->grant ((AioWaiter *) link, may_start_here);
      g_object_unref (task);
    }

  return changes;
}

/* Called with the lock held, which it drops: serves the waiters that now
 * fit. A job must start in its caller's context: right here when this is
 * a dispatch of that context (@may_start_here), else from an idle there,
 * so that a release never runs a job's function inside itself. */
AioWaitQueueChanges
aio_wait_queue_unlock_and_wake (AioWaitQueue *queue,
                                gboolean      may_start_here)
{
  AioWaitQueueChanges all = 0, changes;

  /* The common case of a release: nobody waits. */
  if (queue->waiters.head == NULL)
    {
      g_mutex_unlock (&queue->mutex);
      return 0;
    }

  for (;;)
    {
      GQueue granted = G_QUEUE_INIT;
      GQueue cancelled = G_QUEUE_INIT;

      aio_wait_queue_collect_locked (queue, &granted, &cancelled);
      g_mutex_unlock (&queue->mutex);

      changes = aio_wait_queue_deliver (queue, &granted, &cancelled, may_start_here);
      all |= changes;
      if (!(changes & AIO_WAIT_QUEUE_TAKEN) || !queue->klass->grants_one_at_a_time)
        return all;
      g_mutex_lock (&queue->mutex);
    }
}

AioWaitQueueChanges
aio_wait_queue_wake (AioWaitQueue *queue,
                     gboolean      may_start_here)
{
  g_mutex_lock (&queue->mutex);
  return aio_wait_queue_unlock_and_wake (queue, may_start_here);
}

/* Called by the owner's cancel handler, in the waiter's own context. A
 * queued waiter leaves and fails, and the waiters it was blocking are
 * served; a granted one is the owner's to handle. */
AioWaitQueueChanges
aio_wait_queue_cancel (AioWaitQueue *queue,
                       GTask        *task)
{
  AioWaiter *waiter = g_task_get_task_data (task);
  GQueue granted = G_QUEUE_INIT;
  GQueue cancelled = G_QUEUE_INIT;
  AioWaitQueueChanges changes;

  g_mutex_lock (&queue->mutex);
  if (waiter->state != AIO_WAITER_QUEUED)
    {
      g_mutex_unlock (&queue->mutex);
      aio_source_drop (&waiter->cancel_source);
      if (queue->klass->cancel_granted != NULL)
        queue->klass->cancel_granted (waiter);
      return 0;
    }

  aio_wait_queue_unlink_locked (queue, waiter, AIO_WAITER_DONE, NULL);
  /* The waiter may have been the one blocking the head. */
  aio_wait_queue_collect_locked (queue, &granted, &cancelled);
  g_mutex_unlock (&queue->mutex);

  aio_wait_queue_fail (queue, waiter, NULL);
  changes = aio_wait_queue_deliver (queue, &granted, &cancelled, TRUE);
  if ((changes & AIO_WAIT_QUEUE_TAKEN) && queue->klass->grants_one_at_a_time)
    changes |= aio_wait_queue_wake (queue, TRUE);

  return changes | AIO_WAIT_QUEUE_LEFT;
}

/* Fails every waiter with @error, and makes the owner refuse later ones. */
AioWaitQueueChanges
aio_wait_queue_close (AioWaitQueue *queue,
                      const GError *error)
{
  GQueue waiters;
  GList *link;

  g_mutex_lock (&queue->mutex);
  queue->is_closed = TRUE;
  waiters = queue->waiters;
  queue->waiters = (GQueue) G_QUEUE_INIT;
  for (link = waiters.head; link != NULL; link = link->next)
    ((AioWaiter *) link)->state = AIO_WAITER_DONE;
  g_mutex_unlock (&queue->mutex);

  if (g_queue_is_empty (&waiters))
    return 0;

  while ((link = g_queue_pop_head_link (&waiters)) != NULL)
    aio_wait_queue_fail (queue, (AioWaiter *) link, error);

  return AIO_WAIT_QUEUE_LEFT;
}
