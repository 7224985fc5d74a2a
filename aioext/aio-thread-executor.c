/* aio-thread-executor.c: the thread pool's executor, one generation of
 * worker loops on lent GThreadPool threads
 *
 * One generation of workers: what aio_executor_pool_initialize() starts
 * and aio_executor_pool_shutdown() stops for an #AioThreadPool.
 *
 * Items (the pool's calls) wait in the executor's own FIFO, not in
 * GThreadPool's queue: GThreadPool only lends threads to worker loops, and
 * each loop takes items one at a time until none is left, then gives its
 * thread back. A new loop is started only when no loop runs or the waiting
 * items outnumber the loops free to take them (the pool's queued and
 * running counts tell), so a burst of calls wakes a handful of threads
 * once instead of signalling one per call, and one call still gets its own
 * thread at once.
 *
 * Submitting never blocks: items are pushed onto a lock-free stack, and a
 * loop that finds its FIFO empty takes the whole stack under the mutex and
 * reverses it. The mutex is only ever contended between loops, and no
 * other lock is ever taken while it is held.
 *
 * Each loop holds a reference, so the executor outlives a shutdown without
 * waiting until its loops have drained what was queued.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-thread-executor-private.h"

struct _AioThreadExecutor
{
  gatomicrefcount           ref_count;
  GThreadPool              *threads;
  int                       max_loops;
  AioThreadExecutorRunFunc  run;

  AioCompletion            *pushed;       /* atomic: a stack of new items, newest first */
  int                       loops;        /* atomic: loops started and not ended */
  int                       is_stopping;  /* atomic: fail what is still waiting */

  /* Loops take the mutex once per item: keep it off the cache line that
   * every submission writes. */
  char                      padding[64];
  /* A leaf: "The lock order" (docs/reference/architecture.xml). */
  GMutex                    mutex;
  AioCompletion            *head;         /* mutex: items taken from the stack, FIFO */
};

static void
aio_thread_executor_unref (AioThreadExecutor *executor)
{
  if (!g_atomic_ref_count_dec (&executor->ref_count))
    return;

  g_mutex_clear (&executor->mutex);
  g_free (executor);
}

/* The oldest waiting item, or NULL. */
static AioCompletion *
aio_thread_executor_take (AioThreadExecutor *executor)
{
  AioCompletion *item;

  g_mutex_lock (&executor->mutex);
  if (executor->head == NULL)
    executor->head = aio_completion_list_reverse (g_atomic_pointer_exchange (&executor->pushed, NULL));
  item = executor->head;
  if (item != NULL)
    executor->head = item->next;
  g_mutex_unlock (&executor->mutex);

  return item;
}

/* Claims one more loop if fewer than the maximum run. */
static gboolean
aio_thread_executor_claim_loop (AioThreadExecutor *executor)
{
  int loops;

  do
    {
      loops = g_atomic_int_get (&executor->loops);
      if (loops >= executor->max_loops)
        return FALSE;
    }
  while (!g_atomic_int_compare_and_exchange (&executor->loops, loops, loops + 1));

  return TRUE;
}

#define LINGER_YIELDS 16
/* A lone loop lingers at least this long, by the clock: a caller that
 * sends one call at a time and handles each outcome before the next (a
 * Python `await in_thread()` in a loop) takes about as long as 16 yields
 * of an idle processor to send the next, and a call that finds the thread
 * given back pays for waking it (docs/hardening.md, issue 14). More loops
 * linger only the 16 yields: 20 threads lingering long would take turns
 * yielding to each other. */
#define LONE_LINGER_USEC 100

static gboolean
aio_thread_executor_linger (AioThreadExecutor *executor)
{
  gint64 deadline = g_get_monotonic_time () + LONE_LINGER_USEC;

  for (int yields = 0;; yields++)
    {
      if (g_atomic_pointer_get (&executor->pushed) != NULL)
        return TRUE;
      if (yields >= LINGER_YIELDS &&
          (g_atomic_int_get (&executor->loops) > 1 || g_get_monotonic_time () >= deadline))
        return FALSE;
      g_thread_yield ();
    }
}

/* The GThreadPool function: one worker loop. */
static void
aio_thread_executor_loop (gpointer data,
                          gpointer user_data)
{
  AioThreadExecutor *executor = user_data;

  for (;;)
    {
      AioCompletion *item = aio_thread_executor_take (executor);

      if (item != NULL)
        {
          executor->run (item, g_atomic_int_get (&executor->is_stopping));
          continue;
        }

      /* In a burst the stack is often empty for a moment only: look again
       * a few times, giving way to the submitter, before giving the thread
       * back and having the next item pay for waking one. */
      if (aio_thread_executor_linger (executor))
        continue;

      /* Leave, unless an item was pushed meanwhile by a submitter that still
       * counted this loop: whichever of the two acts last sees the other. */
      g_atomic_int_add (&executor->loops, -1);
      if (g_atomic_pointer_get (&executor->pushed) == NULL || !aio_thread_executor_claim_loop (executor))
        break;
    }

  aio_thread_executor_unref (executor);
}

static void
aio_thread_executor_start_loop (AioThreadExecutor *executor)
{
  g_autoptr(GError) error = NULL;

  g_atomic_ref_count_inc (&executor->ref_count);
  /* Failing to start a thread leaves the loop queued for a thread already
   * running; with none at all the items would wait forever. */
  if (!g_thread_pool_push (executor->threads, executor, &error) &&
      g_thread_pool_get_num_threads (executor->threads) == 0)
    g_critical ("No thread could be started for an AioThreadPool: %s", error->message);
}

/* Returns an executor of at most @max_loops loops, each calling @run for
 * one item after another. */
AioThreadExecutor *
aio_thread_executor_new (guint                    max_loops,
                         AioThreadExecutorRunFunc run)
{
  AioThreadExecutor *executor = g_new0 (AioThreadExecutor, 1);

  g_atomic_ref_count_init (&executor->ref_count);
  g_mutex_init (&executor->mutex);
  executor->max_loops = max_loops;
  executor->run = run;
  /* Shared (non-exclusive) threads: they are started one by one as loops
   * need them and nothing is started before the first item. This cannot
   * fail. */
  executor->threads = g_thread_pool_new (aio_thread_executor_loop, executor, max_loops, FALSE, NULL);

  return executor;
}

/* Queues @item, @queued being @pool's count of waiting items with it, and
 * starts a loop when none runs or the waiting items outnumber the loops
 * free to take them. Once pushed, @item may be run, completed and freed at
 * any moment: only @pool, which the caller holds, is read after that. */
void
aio_thread_executor_push (AioThreadExecutor *executor,
                          AioCompletion     *item,
                          AioExecutorPool   *pool,
                          int                queued)
{
  AioCompletion *head;
  int loops;

  do
    {
      head = g_atomic_pointer_get (&executor->pushed);
      item->next = head;
    }
  while (!g_atomic_pointer_compare_and_exchange (&executor->pushed, head, item));

  /* The running count is read only when the others do not decide. */
  loops = g_atomic_int_get (&executor->loops);
  if ((loops == 0 || queued > loops ||
       queued > loops - (int) aio_executor_pool_peek_running (pool)) &&
      aio_thread_executor_claim_loop (executor))
    aio_thread_executor_start_loop (executor);
}

/* Stops @executor and drops the caller's reference. Waiting items are not
 * dropped: the loops take each and run it, or when discarding, run it as
 * stopping, so that every item completes and releases its data. Waiting for
 * the loops is waiting until the queue is empty and every item taken has
 * run. */
void
aio_thread_executor_stop (AioThreadExecutor *executor,
                          AioExecutorStop    how)
{
  if (how == AIO_EXECUTOR_STOP_DISCARD)
    g_atomic_int_set (&executor->is_stopping, TRUE);
  g_thread_pool_free (executor->threads, FALSE, how == AIO_EXECUTOR_STOP_DRAIN_AND_WAIT);
  aio_thread_executor_unref (executor);
}
