/* aio-process-executor.c: one started process pool: a thread with its own
 * main context, the queue of calls, dispatch to worker processes,
 * timeouts, cancellation and stop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "aio-error.h"
#include "aio-executor-pool-private.h"
#include "aio-i18n-private.h"
#include "aio-caller-context-private.h"
#include "aio-cancel-source-private.h"
#include "aio-process-pool.h"
#include "aio-process-pool-private.h"
#include "aio-thread-result-private.h"

static void executor_dispatch (AioProcessExecutor *executor);

/* This process's id, kept: getpid() is a system call, and the pool asks on
 * every call and every reply whether it runs in a copy made by fork(). A
 * child of fork() learns its own id from the handler below before it runs
 * anything else. (A child made with a raw clone() or _Fork(), which run no
 * fork handlers, must not use the pool; none could: see the process pool's
 * overview.) */
static int current_pid;   /* atomic; 0 until first asked */

static void
note_fork_child (void)
{
  g_atomic_int_set (&current_pid, getpid ());
}

GPid
aio_process_current_pid (void)
{
  static gsize is_watching_forks;
  int pid = g_atomic_int_get (&current_pid);

  if (G_LIKELY (pid != 0))
    return pid;

  if (g_once_init_enter (&is_watching_forks))
    {
      pthread_atfork (NULL, NULL, note_fork_child);
      g_once_init_leave (&is_watching_forks, 1);
    }
  pid = getpid ();
  g_atomic_int_set (&current_pid, pid);

  return pid;
}

static GMainContext *
current_context (void)
{
  GMainContext *context = g_main_context_get_thread_default ();

  return context != NULL ? context : g_main_context_default ();
}

AioProcessExecutor *
aio_process_executor_ref (AioProcessExecutor *executor)
{
  g_atomic_int_inc (&executor->ref_count);

  return executor;
}

void
aio_process_executor_unref (AioProcessExecutor *executor)
{
  if (!g_atomic_int_dec_and_test (&executor->ref_count))
    return;

  g_assert (g_queue_is_empty (&executor->queue) && g_queue_is_empty (&executor->finished));
  g_ptr_array_unref (executor->workers);
  g_strfreev (executor->argv);
  if (executor->program_fd >= 0)
    close (executor->program_fd);
  g_main_context_unref (executor->context);
  g_mutex_clear (&executor->lock);
  g_free (executor);
}

void
aio_process_executor_lock (AioProcessExecutor *executor)
{
  g_mutex_lock (&executor->lock);
}

/* Calls */

/* The call's frame and id are set once it is encoded. */
AioProcessCall *
aio_process_call_new (GObject             *pool,
                      const char          *function,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  AioProcessCall *call = g_new0 (AioProcessCall, 1);

  call->link.data = call;
  call->ref_count = 1;
  call->pool = g_object_ref (pool);
  call->queue = aio_completion_queue_ref_thread_default ();
  call->context = current_context ();
  call->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  call->callback = callback;
  call->user_data = user_data;
  call->function = g_strdup (function);

  return call;
}

static AioProcessCall *
call_ref (AioProcessCall *call)
{
  g_atomic_int_inc (&call->ref_count);

  return call;
}

/* The executor's queues link their calls through the calls' own links:
 * a call waits or is finished, never both, and a round trip then
 * allocates no list node. */
static void
calls_push (GQueue         *calls,
            AioProcessCall *call)
{
  g_queue_push_tail_link (calls, &call->link);
}

static AioProcessCall *
calls_pop (GQueue *calls)
{
  GList *link = g_queue_pop_head_link (calls);

  return link != NULL ? link->data : NULL;
}

/* The first of @calls, which holds at least one. */
static AioProcessCall *
calls_take_first (GQueue *calls)
{
  GList *link = g_queue_pop_head_link (calls);

  g_assert (link != NULL);

  return link->data;
}

void
aio_process_call_unref (AioProcessCall *call)
{
  if (!g_atomic_int_dec_and_test (&call->ref_count))
    return;

  /* The pool and the queue were let go of in the caller's context. */
  g_assert (call->cancel_source == NULL && call->timeout_source == NULL);
  g_assert (call->pool == NULL && call->queue == NULL);
  g_clear_object (&call->cancellable);
  g_free (call->function);
  aio_wire_frame_clear (&call->frame);
  g_clear_pointer (&call->result, g_variant_unref);
  g_clear_error (&call->error);
  g_clear_pointer (&call->executor, aio_process_executor_unref);
  g_free (call);
}

/* The outcome is set under the lock and the call returns once the lock is
 * dropped (see aio_process_executor_unlock()), because its callback may
 * run at once and call into the pool again. Takes @error. */
static void
call_finish (AioProcessCall *call,
             GVariant       *result,
             GError         *error)
{
  /* Destroyed under the lock: a cancellation or timeout that is already
   * dispatching sees it and leaves the call alone. */
  aio_source_drop (&call->cancel_source);
  aio_source_drop (&call->timeout_source);
  call->worker = NULL;
  call->result = result != NULL ? g_variant_ref (result) : NULL;
  call->error = error;
  calls_push (&call->executor->finished, call);
}

static void
call_fail (AioProcessCall *call,
           GError         *error)
{
  call_finish (call, NULL, error);
}

/* In the caller's context, once: the callback gets a result that holds
 * the call (the reference the call was returned with) until it is freed.
 * The pool and the context are let go of here, in the caller's context, as
 * GTask does: the pool's last reference must not go on its own thread. */
static void
call_complete (AioCompletion *completion)
{
  AioProcessCall *call = (AioProcessCall *) completion;
  GObject *pool = g_steal_pointer (&call->pool);
  AioCompletionQueue *queue = g_steal_pointer (&call->queue);
  GMainContext *context = call->context;
  gboolean pushed = aio_context_push_unless_default (context);
  AioThreadResult *result = aio_thread_result_new (pool, aio_process_pool_call_async, call->user_data,
                                                   call, (GDestroyNotify) aio_process_call_unref);

  if (call->callback != NULL)
    call->callback (pool, G_ASYNC_RESULT (result), call->user_data);
  g_object_unref (result);
  if (pushed)
    g_main_context_pop_thread_default (context);
  g_object_unref (pool);
  aio_completion_queue_unref (queue);
}

/* Whether this thread is dispatching a source of the call's context, and
 * so may run its callback now. */
static gboolean
call_is_home (AioProcessCall *call)
{
  GSource *source = g_main_current_source ();

  return source != NULL && g_source_get_context (source) == call->context;
}

/* The rule GTask keeps in g_task_return(): the callback runs at once only
 * when @may_run_here (a dispatch that did not make the call: a reply read
 * in the caller's context) and this thread runs the caller's context;
 * otherwise from the context's completion queue, never inside
 * aio_process_pool_call_async() and never on the pool's thread. */
static void
call_return (AioProcessCall *call,
             gboolean        may_run_here)
{
  if (may_run_here && call_is_home (call))
    call_complete (&call->completion);
  else
    aio_completion_queue_push (call->queue, &call->completion, call_complete);
}

/* Fails a call that was never submitted, from the caller's context later. */
void
aio_process_call_fail_later (AioProcessCall *call,
                             GError         *error)
{
  call->error = error;
  call_return (call, FALSE);
}

/* The outcome for aio_process_pool_call_finish(); as with a GTask, a call
 * whose cancellable was cancelled by then reports the cancellation. */
GVariant *
aio_process_call_propagate (AioProcessCall  *call,
                            GError         **error)
{
  if (g_cancellable_set_error_if_cancelled (call->cancellable, error))
    return NULL;

  if (call->error != NULL)
    {
      g_propagate_error (error, g_error_copy (call->error));
      return NULL;
    }

  return g_variant_ref (call->result);
}

/* Why a call whose worker is gone failed, in the caller's words. */
static GError *
call_death_error (AioProcessCall   *call,
                  AioWorkerProcess *worker)
{
  if (call->cancelled)
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The call was cancelled."));

  if (call->timed_out)
    return g_error_new (AIO_ERROR, AIO_ERROR_TIMED_OUT,
                        _("Worker process %s ran “%s” for longer than %u ms and was stopped."),
                        worker->pid, call->function, call->executor->timeout_ms);

  return aio_worker_process_death_error (worker, call->function);
}

/* The lock */

static GQueue
executor_steal_finished (AioProcessExecutor *executor)
{
  GQueue finished = executor->finished;

  g_queue_init (&executor->finished);

  return finished;
}

void
aio_process_calls_return (GQueue   *calls,
                          gboolean  may_run_here)
{
  AioProcessCall *call;

  while ((call = calls_pop (calls)) != NULL)
    call_return (call, may_run_here);
}

/* Drops the executor's lock, then returns the calls that finished while it
 * was held: the one way out of the lock for code that may finish calls. */
void
aio_process_executor_unlock (AioProcessExecutor *executor)
{
  GQueue finished = executor_steal_finished (executor);

  g_mutex_unlock (&executor->lock);
  aio_process_calls_return (&finished, TRUE);
}

/* Takes the lock for the source now dispatching; FALSE, without the lock,
 * when the source was destroyed while it waited for it. */
gboolean
aio_process_executor_lock_for_source (AioProcessExecutor *executor)
{
  aio_process_executor_lock (executor);
  if (!g_source_is_destroyed (g_main_current_source ()))
    return TRUE;

  g_mutex_unlock (&executor->lock);

  return FALSE;
}

/* Worker hooks */

static void
executor_remove_worker (AioProcessExecutor *executor,
                        AioWorkerProcess   *worker)
{
  if (g_ptr_array_remove_fast (executor->workers, worker))
    aio_worker_process_unref (worker);
}

static void
worker_is_ready (AioWorkerProcess   *worker,
                 AioProcessCall     *call,
                 AioWireMessage     *reply,
                 AioProcessExecutor *executor)
{
  if (call != NULL)
    {
      aio_executor_pool_add_running (executor->pool, -1);
      if (reply->kind == AIO_WIRE_RESULT)
        call_finish (call, reply->payload, NULL);
      else
        call_fail (call, g_steal_pointer (&reply->error));

      if (executor->max_calls > 0 && worker->calls_done >= executor->max_calls)
        aio_worker_process_retire (worker, FALSE);
    }

  executor_dispatch (executor);
}

static void
worker_is_gone (AioWorkerProcess   *worker,
                AioProcessCall     *call,
                AioProcessExecutor *executor)
{
  if (call != NULL)
    {
      aio_executor_pool_add_running (executor->pool, -1);
      call_fail (call, call_death_error (call, worker));
    }
  else if (aio_worker_process_never_served (worker) && !executor->is_stopping &&
           !g_queue_is_empty (&executor->queue))
    {
      /* A worker command that dies before it greets, or breaks the
       * protocol before it is given a call, would otherwise be restarted
       * forever for the same call: fail the call it was for. */
      aio_executor_pool_add_queued (executor->pool, -1);
      call_fail (calls_take_first (&executor->queue), aio_worker_process_startup_error (worker));
    }

  executor_remove_worker (executor, worker);
  executor_dispatch (executor);
}

static const AioWorkerProcessHooks worker_hooks = {
  .ready = worker_is_ready,
  .gone = worker_is_gone,
};

/* Timeouts */

static gboolean
call_timed_out (gpointer  user_data)
{
  AioProcessCall *call = user_data;
  AioProcessExecutor *executor = call->executor;

  if (aio_process_executor_lock_for_source (executor))
    {
      /* A reply that its caller's context has not read yet is a call that
       * finished in time. */
      aio_worker_process_read_waiting (call->worker);
      if (call->worker != NULL)
        {
          call->timed_out = TRUE;
          aio_worker_process_retire (call->worker, TRUE);
        }
      aio_process_executor_unlock (executor);
    }

  return G_SOURCE_REMOVE;
}

static void
call_arm_timeout (AioProcessCall *call)
{
  AioProcessExecutor *executor = call->executor;

  call->timeout_source = g_timeout_source_new (executor->timeout_ms);
  g_source_set_static_name (call->timeout_source, "[aioext] process call timeout");
  g_source_set_callback (call->timeout_source, call_timed_out, call_ref (call),
                         (GDestroyNotify) aio_process_call_unref);
  g_source_attach (call->timeout_source, executor->context);
}

/* Dispatch */

/* A call started from its caller's own context has its reply read there:
 * the reply then wakes only the caller, as on a plain pipe. Any other call,
 * a call that others wait behind (see executor_claim_replies()), and every
 * call once the pool is stopping, is read by the executor's thread. */
static GMainContext *
call_choose_home (AioProcessCall *call)
{
  AioProcessExecutor *executor = call->executor;
  GMainContext *context = call->context;

  if (executor->is_stopping || !g_queue_is_empty (&executor->queue) || context != current_context ())
    return NULL;

  return context;
}

/* Gives the call at the head of the queue to @worker. */
static void
executor_start_next_call (AioProcessExecutor *executor,
                          AioWorkerProcess   *worker)
{
  AioProcessCall *call = calls_take_first (&executor->queue);
  GMainContext *home = call_choose_home (call);

  call->worker = worker;
  aio_executor_pool_add_queued (executor->pool, -1);
  aio_executor_pool_add_running (executor->pool, 1);
  if (executor->timeout_ms > 0)
    call_arm_timeout (call);
  aio_worker_process_start_call (worker, call, home);
}

/* An idle worker, preferably one whose replies are already watched in the
 * calling context; also counts the workers still starting and those that
 * can still take calls. */
static AioWorkerProcess *
executor_find_idle_worker (AioProcessExecutor *executor,
                           guint              *n_starting,
                           guint              *n_serving)
{
  GMainContext *context = current_context ();
  AioWorkerProcess *idle = NULL;

  *n_starting = 0;
  *n_serving = 0;

  for (guint i = 0; i < executor->workers->len; i++)
    {
      AioWorkerProcess *worker = g_ptr_array_index (executor->workers, i);

      if (worker->is_gone)
        continue;
      (*n_serving)++;
      if (!worker->is_ready)
        (*n_starting)++;
      else if (worker->call == NULL && (idle == NULL || worker->home == context))
        idle = worker;
    }

  return idle;
}

static void
executor_fail_queue (AioProcessExecutor *executor,
                     GError             *error)
{
  AioProcessCall *call;

  while ((call = calls_pop (&executor->queue)) != NULL)
    {
      aio_executor_pool_add_queued (executor->pool, -1);
      call_fail (call, g_error_copy (error));
    }
  g_error_free (error);
}

static gboolean
executor_is_busy (AioProcessExecutor *executor)
{
  for (guint i = 0; i < executor->workers->len; i++)
    if (((AioWorkerProcess *) g_ptr_array_index (executor->workers, i))->call != NULL)
      return TRUE;

  return !g_queue_is_empty (&executor->queue);
}

/* The caller must keep @executor, and so its context, alive throughout. */
static void
executor_post (AioProcessExecutor *executor,
               GSourceFunc         func)
{
  /* Never at once: the executor's thread may not own its context yet. */
  aio_context_deliver (executor->context, G_PRIORITY_DEFAULT, FALSE, "[aioext] process pool request",
                       func, executor, NULL, NULL);
}

static gboolean
executor_dispatch_posted (gpointer  user_data)
{
  AioProcessExecutor *executor = user_data;

  aio_process_executor_lock (executor);
  executor->is_dispatch_posted = FALSE;
  executor_dispatch (executor);
  aio_process_executor_unlock (executor);

  return G_SOURCE_REMOVE;
}

static gboolean
executor_spawn_worker (AioProcessExecutor  *executor,
                       GError             **error)
{
  AioWorkerProcess *worker = aio_worker_process_spawn (executor, &worker_hooks, error);

  if (worker == NULL)
    return FALSE;

  g_ptr_array_add (executor->workers, worker);

  return TRUE;
}

/* Calls wait and every worker is busy: the replies that callers' contexts
 * would read are read by the executor's thread from now on, so that a
 * context that does not run (a thread that called and left, a context
 * nobody iterates, one busy elsewhere) holds no worker that a waiting call
 * needs. Nothing is polled: the executor's context watches those sockets
 * from now on, and reads a reply that is already waiting at once. */
static void
executor_claim_replies (AioProcessExecutor *executor)
{
  for (guint i = 0; i < executor->workers->len; i++)
    {
      AioWorkerProcess *worker = g_ptr_array_index (executor->workers, i);

      if (worker->call != NULL)
        aio_worker_process_set_home (worker, NULL);
    }
}

static void
executor_retire_every_worker (AioProcessExecutor *executor)
{
  for (guint i = 0; i < executor->workers->len; i++)
    aio_worker_process_retire (g_ptr_array_index (executor->workers, i), FALSE);
}

/* Hands queued calls to idle workers, and starts workers, one per call that
 * no idle or starting worker will take, up to the size of the pool. Workers
 * are spawned, and so watched, by the executor's thread only. */
static void
executor_dispatch (AioProcessExecutor *executor)
{
  while (!g_queue_is_empty (&executor->queue))
    {
      guint n_starting, n_serving;
      AioWorkerProcess *idle = executor_find_idle_worker (executor, &n_starting, &n_serving);
      GError *error = NULL;

      if (idle != NULL)
        {
          executor_start_next_call (executor, idle);
          continue;
        }

      if (n_starting >= executor->queue.length)
        break;
      if (n_serving >= executor->max_workers)
        {
          executor_claim_replies (executor);
          break;
        }

      if (!g_main_context_is_owner (executor->context))
        {
          if (!executor->is_dispatch_posted)
            executor_post (executor, executor_dispatch_posted);
          executor->is_dispatch_posted = TRUE;
          break;
        }

      if (!executor_spawn_worker (executor, &error))
        {
          /* A command that cannot start will not start for the next call. */
          executor_fail_queue (executor, error);
          break;
        }
    }

  if (executor->is_stopping && !executor_is_busy (executor))
    executor_retire_every_worker (executor);
}

static gboolean
call_cancelled (GCancellable *cancellable,
                gpointer      user_data)
{
  AioProcessCall *call = user_data;
  AioProcessExecutor *executor = call->executor;

  if (!aio_process_executor_lock_for_source (executor))
    return G_SOURCE_REMOVE;

  if (call->worker != NULL)
    {
      /* A reply that its caller's context has not read yet is a call that
       * finished before it was cancelled: its worker lives on. */
      aio_worker_process_read_waiting (call->worker);
      if (call->worker != NULL)
        {
          call->cancelled = TRUE;
          aio_worker_process_retire (call->worker, TRUE);
        }
    }
  else
    {
      g_queue_unlink (&executor->queue, &call->link);
      aio_executor_pool_add_queued (executor->pool, -1);
      call_fail (call, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The call was cancelled.")));
      executor_dispatch (executor);
    }
  aio_process_executor_unlock (executor);

  return G_SOURCE_REMOVE;
}

/* Queues @call (taking it); when a worker is idle it starts at once, from
 * the caller's thread. The caller holds the pool's lock, so the calls that
 * finished meanwhile come back, for aio_process_calls_return() once every
 * lock is dropped. */
GQueue
aio_process_executor_submit (AioProcessExecutor *executor,
                             AioProcessCall     *call)
{
  GCancellable *cancellable = call->cancellable;
  GQueue finished;

  aio_process_executor_lock (executor);
  call->executor = aio_process_executor_ref (executor);
  if (cancellable != NULL)
    {
      call->cancel_source = aio_cancel_source_new (cancellable);
      g_source_set_callback (call->cancel_source, G_SOURCE_FUNC (call_cancelled),
                             call_ref (call), (GDestroyNotify) aio_process_call_unref);
      g_source_attach (call->cancel_source, executor->context);
    }

  aio_executor_pool_add_queued (executor->pool, 1);
  calls_push (&executor->queue, call);
  executor_dispatch (executor);
  finished = executor_steal_finished (executor);
  g_mutex_unlock (&executor->lock);

  return finished;
}

/* Stop */

static gboolean
executor_begin_stop (gpointer  user_data)
{
  AioProcessExecutor *executor = user_data;

  aio_process_executor_lock (executor);
  executor->is_stopping = TRUE;
  if (!executor->drains)
    executor_fail_queue (executor, g_error_new (AIO_ERROR, AIO_ERROR_SHUT_DOWN,
                                                _("The process pool was shut down before the call ran.")));

  /* A caller may now wait for this thread: replies are read here only. */
  executor_claim_replies (executor);

  executor_dispatch (executor);
  aio_process_executor_unlock (executor);

  return G_SOURCE_REMOVE;
}

static gboolean
executor_is_done (AioProcessExecutor *executor)
{
  return executor->is_stopping && executor->workers->len == 0 &&
         g_queue_is_empty (&executor->queue) && !executor->is_dispatch_posted;
}

static gpointer
executor_run (gpointer  user_data)
{
  AioProcessExecutor *executor = user_data;

  g_main_context_push_thread_default (executor->context);
  /* Runs until it was told to stop and every worker has been reaped. */
  aio_process_executor_lock (executor);
  while (!executor_is_done (executor))
    {
      g_mutex_unlock (&executor->lock);
      g_main_context_iteration (executor->context, TRUE);
      aio_process_executor_lock (executor);
    }
  g_mutex_unlock (&executor->lock);
  g_main_context_pop_thread_default (executor->context);
  aio_process_executor_unref (executor);

  return NULL;
}

/* Starts an executor and its thread; the caller holds the pool's lock. */
AioProcessExecutor *
aio_process_executor_new (AioExecutorPool    *pool,
                          const char * const *argv,
                          int                 program_fd,
                          guint               max_workers,
                          guint               timeout_ms,
                          guint               startup_timeout_ms,
                          guint               max_calls)
{
  AioProcessExecutor *executor = g_new0 (AioProcessExecutor, 1);

  executor->ref_count = 1;      /* its thread's */
  g_mutex_init (&executor->lock);
  executor->pid = aio_process_current_pid ();
  executor->pool = pool;
  executor->context = g_main_context_new ();
  executor->argv = g_strdupv ((char **) argv);
  /* Its own: the pool may be finalized while the executor winds down. */
  executor->program_fd = program_fd >= 0 ? fcntl (program_fd, F_DUPFD_CLOEXEC, 0) : -1;
  executor->max_workers = max_workers;
  executor->timeout_ms = timeout_ms;
  executor->startup_timeout_ms = startup_timeout_ms;
  executor->max_calls = max_calls;
  executor->workers = g_ptr_array_new ();
  /* At most 15 bytes, or the system keeps the thread nameless. */
  executor->thread = g_thread_new ("aioext-procpool", executor_run, executor);

  return executor;
}

/* Unless waiting, the calls still to finish (all of them when draining, the
 * running ones when discarding: the queued ones fail at once) finish on the
 * executor's own thread, which then reaps its workers and frees itself;
 * waiting returns once every call has run and every worker is reaped. */
void
aio_process_executor_stop (AioProcessExecutor *executor,
                           AioExecutorStop     how)
{
  GThread *thread = executor->thread;

  /* Once the request is attached, the executor's thread may finish and
   * drop the executor and its context before executor_post() returns:
   * g_source_unref() would then lock a freed context. */
  aio_process_executor_ref (executor);
  aio_process_executor_lock (executor);
  executor->drains = how != AIO_EXECUTOR_STOP_DISCARD;
  g_mutex_unlock (&executor->lock);
  executor_post (executor, executor_begin_stop);
  aio_process_executor_unref (executor);

  if (how == AIO_EXECUTOR_STOP_DRAIN_AND_WAIT)
    g_thread_join (thread);
  else
    g_thread_unref (thread);
}
