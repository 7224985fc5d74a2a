/* aio-wait-queue.c: the FIFO of callers waiting for a semaphore's permits
 * or a rate limiter's slot
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-caller-context-private.h"
#include "aio-cancel-source-private.h"
#include "aio-i18n-private.h"
#include "aio-thread-result-private.h"
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
 * so that a waiter whose context is busy cannot block the queue. Outcomes
 * and callbacks are handled outside the lock only.
 *
 * A waiter is a plain reference-counted record, not a GTask: the queue,
 * a pending step in its context, its cancel source and the result handed
 * to its callback each hold a reference. Its callback runs by the one
 * rule of aio_context_deliver(): at once when the outcome is settled in a
 * dispatch of the waiter's own context (and the caller may run it there),
 * else from an idle source in that context. Unlike a GTask, it is not held
 * back another main-loop iteration when it was created in the current
 * one: a waiter's outcome is never settled inside its own _async call
 * with may_run_here set. */

void
aio_wait_queue_init (AioWaitQueue            *queue,
                     const AioWaitQueueClass *klass)
{
  g_mutex_init (&queue->mutex);
  g_queue_init (&queue->waiters);
  queue->klass = klass;
}

/* Every queued waiter holds a reference on the owner, so an owner being
 * finalized has none. */
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

/* The caller's thread-default context, with a reference unless it is
 * @owner_context (nullable), which the owner holds for longer than any of
 * its waiters lives: most calls are made in the owner's own context, and
 * then save a reference and its release. */
static void
aio_waiter_take_context (AioWaiter    *waiter,
                         GMainContext *owner_context)
{
  GMainContext *context = g_main_context_get_thread_default ();

  if (context == NULL)
    context = g_main_context_default ();
  waiter->is_context_borrowed = context == owner_context;
  waiter->context = waiter->is_context_borrowed ? context : g_main_context_ref (context);
}

/* A record of @size bytes (an owner's record starts with the waiter)
 * for a call made now, in the caller's thread-default context.
 * @owner_context is the owner's own, held by the owner, or %NULL. */
AioWaiter *
aio_waiter_new_in (gsize                size,
                   gpointer             owner,
                   GMainContext        *owner_context,
                   AioJob              *job,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data,
                   gpointer             source_tag)
{
  /* Slices, not malloc(): a semaphore's callers may queue 100,000 waiters
   * at once and the queue frees them in order, a pattern that glibc's
   * malloc serves from its slow paths (its per-thread cache keeps 7 of a
   * size); GLib 2.74's slices keep per-thread magazines, as for every
   * GObject. From GLib 2.76 on, slices are malloc(). */
  AioWaiter *waiter;

  g_assert (size >= sizeof (AioWaiter) && size <= G_MAXUINT16);
  waiter = g_slice_alloc0 (size);
  waiter->size = size;

  waiter->ref_count = 1;
  waiter->owner = g_object_ref (owner);
  waiter->job = job != NULL ? g_object_ref (job) : NULL;
  waiter->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  waiter->callback = callback;
  waiter->user_data = user_data;
  waiter->source_tag = source_tag;
  aio_waiter_take_context (waiter, owner_context);
  waiter->state = AIO_WAITER_QUEUED;

  return waiter;
}

AioWaiter *
aio_waiter_new (gsize                size,
                gpointer             owner,
                AioJob              *job,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data,
                gpointer             source_tag)
{
  return aio_waiter_new_in (size, owner, NULL, job, cancellable, callback, user_data, source_tag);
}

/* A record of @size bytes, starting with an AioAnsweredWaiter, for a
 * call that @answer answers. It takes over the caller's reference on @job
 * (nullable), as a C fast path's caller hands its job over. */
AioWaiter *
aio_waiter_new_answered (gsize          size,
                         gpointer       owner,
                         GMainContext  *owner_context,
                         AioJob        *job,
                         GCancellable  *cancellable,
                         AioWaiterFunc  answer,
                         gpointer       user_data,
                         gpointer       source_tag)
{
  AioWaiter *waiter;

  g_assert (size >= sizeof (AioAnsweredWaiter));

  waiter = aio_waiter_new_in (size, owner, owner_context, NULL, cancellable, NULL, user_data, source_tag);
  waiter->job = job;
  waiter->is_answered = TRUE;
  ((AioAnsweredWaiter *) waiter)->answer = answer;

  return waiter;
}

AioWaiter *
aio_waiter_ref (AioWaiter *waiter)
{
  g_atomic_int_inc (&waiter->ref_count);

  return waiter;
}

/* The last reference may go on any thread, as a GTask's may. */
void
aio_waiter_unref (AioWaiter *waiter)
{
  if (!g_atomic_int_dec_and_test (&waiter->ref_count))
    return;

  g_assert (waiter->cancel_source == NULL);
  g_clear_object (&waiter->job);
  g_clear_object (&waiter->cancellable);
  g_clear_error (&waiter->error);
  if (!waiter->is_context_borrowed)
    g_main_context_unref (waiter->context);
  g_object_unref (waiter->owner);
  g_slice_free1 (waiter->size, waiter);
}

gboolean
aio_waiter_is_cancelled (AioWaiter *waiter)
{
  return g_cancellable_is_cancelled (waiter->cancellable);
}

/* Attaches @source to the waiter's context; @func gets the waiter, on
 * which the source holds a reference. */
void
aio_waiter_attach_source (AioWaiter   *waiter,
                          GSource     *source,
                          GSourceFunc  func)
{
  g_source_set_callback (source, func, aio_waiter_ref (waiter), (GDestroyNotify) aio_waiter_unref);
  g_source_attach (source, waiter->context);
}

static gboolean
aio_waiter_run_step (gpointer data)
{
  AioWaiter *waiter = data;
  gboolean is_pushed = aio_context_push_unless_default (waiter->context);

  waiter->step (waiter);
  if (is_pushed)
    g_main_context_pop_thread_default (waiter->context);

  return G_SOURCE_REMOVE;
}

/* Runs @func in the waiter's context, as aio_context_deliver() says, with
 * that context thread-default. One step is pending at a time. */
void
aio_waiter_run_in_context (AioWaiter     *waiter,
                           gboolean       may_run_here,
                           AioWaiterFunc  func)
{
  waiter->step = func;
  aio_context_deliver (waiter->context, G_PRIORITY_DEFAULT, may_run_here,
                       "[aioext] waiter step in caller context", aio_waiter_run_step,
                       waiter, (GBoxedCopyFunc) aio_waiter_ref, (GDestroyNotify) aio_waiter_unref);
}

/* A waiter of an owner's C fast path is answered by the owner's function.
 * A job waiter that succeeded hands over its job as the result when the
 * job can serve as one (aio_job_bind_result()): the outcome is the job's.
 * Otherwise the result made here holds a reference on the record, so that
 * a callback may keep it and finish it later. */
static void
aio_waiter_call_back (AioWaiter *waiter)
{
  AioThreadResult *result;

  if (waiter->is_answered)
    {
      ((AioAnsweredWaiter *) waiter)->answer (waiter);
      return;
    }

  if (waiter->error == NULL && waiter->job != NULL &&
      aio_job_bind_result (waiter->job, waiter->owner, waiter->source_tag, waiter->user_data))
    {
      if (waiter->callback != NULL)
        waiter->callback (waiter->owner, (GAsyncResult *) waiter->job, waiter->user_data);
      return;
    }

  result = aio_thread_result_new (waiter->owner, waiter->source_tag, waiter->user_data,
                                  aio_waiter_ref (waiter), (GDestroyNotify) aio_waiter_unref);
  if (waiter->callback != NULL)
    waiter->callback (waiter->owner, G_ASYNC_RESULT (result), waiter->user_data);
  g_object_unref (result);
}

/* Hands the outcome (@error, or success when %NULL) to the callback, in
 * the waiter's context. */
static void
aio_waiter_settle (AioWaiter *waiter,
                   GError    *error,
                   gboolean   may_run_here)
{
  waiter->error = error;
  aio_waiter_run_in_context (waiter, may_run_here, aio_waiter_call_back);
}

/* Settles the call's outcome (@error, or success when %NULL) and calls it
 * back, exactly once. In the waiter's context. */
void
aio_waiter_return (AioWaiter *waiter,
                   GError    *error,
                   gboolean   may_run_here)
{
  g_assert (!waiter->is_returned);

  waiter->is_returned = TRUE;
  aio_waiter_settle (waiter, error, may_run_here);
}

/* aio_waiter_return() of a success, from a dispatch of the waiter's own
 * context, which the caller knows it is in (its completion queue's): the
 * callback runs now, without asking aio_context_deliver() what it knows. */
void
aio_waiter_return_here (AioWaiter *waiter)
{
  g_assert (!waiter->is_returned);

  waiter->is_returned = TRUE;
  waiter->step = aio_waiter_call_back;
  aio_waiter_run_step (waiter);
}

/* The cancellable's own error, or a G_IO_ERROR_CANCELLED with @message
 * when the waiter was failed for a cancellation seen elsewhere. */
static GError *
aio_waiter_cancelled_error (AioWaiter  *waiter,
                            const char *message)
{
  GError *error = NULL;

  if (!g_cancellable_set_error_if_cancelled (waiter->cancellable, &error))
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, message);

  return error;
}

void
aio_waiter_return_cancelled (AioWaiter  *waiter,
                             const char *message,
                             gboolean    may_run_here)
{
  aio_waiter_return (waiter, aio_waiter_cancelled_error (waiter, message), may_run_here);
}

/* The waiter behind a result that @owner's call tagged @source_tag handed
 * to its callback, or %NULL for any other result. */
AioWaiter *
aio_waiter_from_result (GAsyncResult *result,
                        gpointer      owner,
                        gpointer      source_tag)
{
  if (!aio_thread_result_is_valid (result, owner, source_tag))
    return NULL;

  return aio_thread_result_get_call (AIO_THREAD_RESULT (result));
}

/* Finishes a run-job call of @owner tagged @source_tag: the job's outcome,
 * or the call's own failure. %NULL without @error set when @result is not
 * such a call's: the caller's g_return_val_if_fail() then says so. */
const GValue *
aio_waiter_finish_job (GAsyncResult  *result,
                       gpointer       owner,
                       gpointer       source_tag,
                       gboolean      *is_valid,
                       GError       **error)
{
  AioWaiter *waiter;
  const GValue *value = aio_job_propagate_as_result_of (result, owner, source_tag, is_valid, error);

  if (*is_valid)
    return value;

  waiter = aio_waiter_from_result (result, owner, source_tag);
  *is_valid = waiter != NULL;
  if (waiter == NULL || !aio_waiter_propagate (waiter, error))
    return NULL;

  return aio_job_propagate_value (waiter->job, error);
}

/* The outcome, as a GTask propagates it, except that a result may be
 * finished more than once. */
gboolean
aio_waiter_propagate (AioWaiter  *waiter,
                      GError    **error)
{
  if (waiter->error == NULL)
    return TRUE;

  g_propagate_error (error, g_error_copy (waiter->error));
  return FALSE;
}

/* Watched under the lock when queued: a cancellation that comes later
 * finds the waiter queued and its source set. */
void
aio_waiter_watch_cancellable (AioWaitQueue *queue,
                              AioWaiter    *waiter)
{
  if (waiter->cancellable == NULL)
    return;

  waiter->cancel_source = aio_cancel_source_new (waiter->cancellable);
  g_source_set_static_name (waiter->cancel_source, queue->klass->cancel_source_name);
  aio_waiter_attach_source (waiter, waiter->cancel_source, queue->klass->on_cancelled);
}

/* Under the lock; the queue takes a reference on the waiter. */
void
aio_wait_queue_push_locked (AioWaitQueue *queue,
                            AioWaiter    *waiter)
{
  waiter->link.data = waiter;
  g_queue_push_tail_link (&queue->waiters, &waiter->link);
  aio_waiter_ref (waiter);
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

/* The head that does not fit now is served by a later look, most often
 * the next job's release: its job, and the waiter behind it, are fetched
 * into the cache meanwhile. A long queue does not fit there, and the grant
 * would otherwise wait on memory for both, under the lock. */
#define CACHE_LINE_BYTES 64

/* Both cache lines of a record of up to 128 bytes, as a job and a waiter are. */
static inline void
aio_wait_queue_prefetch_record (gconstpointer record)
{
#ifdef __GNUC__
  __builtin_prefetch (record);
  __builtin_prefetch ((const char *) record + CACHE_LINE_BYTES);
#endif
}

static inline void
aio_wait_queue_prefetch_after (AioWaiter *head)
{
  if (head->job != NULL)
    aio_wait_queue_prefetch_record (head->job);
  if (head->link.next != NULL)
    aio_wait_queue_prefetch_record (head->link.next);
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

      if (waiter->cancellable != NULL && aio_waiter_is_cancelled (waiter))
        {
          aio_wait_queue_unlink_locked (queue, waiter, AIO_WAITER_DONE, cancelled);
          continue;
        }

      if (!queue->klass->fits (queue, waiter))
        {
          aio_wait_queue_prefetch_after (waiter);
          break;
        }

      aio_wait_queue_unlink_locked (queue, waiter, AIO_WAITER_GRANTED, granted);
      queue->klass->take (queue, waiter);
      if (queue->klass->grants_one_at_a_time)
        break;
    }
}

/* A waiter that leaves without its grant: its sources go, it fails with
 * @error (or as cancelled), and the queue's reference goes. Whoever took it
 * off the queue under the lock settles it, maybe from another context's
 * thread, so is_returned (its own context's) is left alone: a waiter that
 * left is never returned again. */
static void
aio_wait_queue_fail (AioWaitQueue *queue,
                     AioWaiter    *waiter,
                     const GError *error)
{
  aio_source_drop (&waiter->cancel_source);
  if (queue->klass->leave != NULL)
    queue->klass->leave (waiter);
  aio_waiter_settle (waiter,
                     error != NULL ? g_error_copy (error)
                                   : aio_waiter_cancelled_error (waiter, _(queue->klass->cancelled_message)),
                     TRUE);
  aio_waiter_unref (waiter);
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
      queue->klass->grant ((AioWaiter *) link, may_start_here);
      aio_waiter_unref ((AioWaiter *) link);
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
                       AioWaiter    *waiter)
{
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
