/* aio-thread-pool.c: run blocking functions on a pool of threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-binding-check-private.h"
#include "aio-completion-queue-private.h"
#include "aio-error.h"
#include "aio-executor-pool-private.h"
#include "aio-i18n-private.h"
#include "aio-job-private.h"
#include "aio-main.h"
#include "aio-thread-executor-private.h"
#include "aio-thread-result-private.h"
#include "aio-thread-pool.h"

/**
 * SECTION:aio-thread-pool
 * @title: AioThreadPool
 * @short_description: run blocking work on a bounded pool of threads
 * @include: aioext.h
 *
 * An AioThreadPool runs blocking functions on a bounded pool of threads and
 * hands their results back to the main loop: aioextensions' `in_thread` and
 * `THREAD_POOL`. Threads start only as needed, up to the pool's size; calls
 * beyond that wait in FIFO order, and every callback runs in its caller's
 * main context.
 *
 * Use it for work that blocks without using the processor much: file and
 * network IO through blocking APIs, a database client, a library without
 * asynchronous calls. For work that keeps a processor busy, use an
 * #AioProcessPool. JavaScript cannot run on a thread, so its example waits
 * with GLib timeouts instead.
 *
 * The programs below are examples/io-bound.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-thread-pool] tells what
 * each language gets.
 *
 * <example id="AioThreadPool-example-c">
 * <title>C: <filename>examples/io-bound.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-io-bound.c"/></programlisting>
 * </example>
 * <example id="AioThreadPool-example-py">
 * <title>Python: <filename>examples/io-bound.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-io-bound.py"/></programlisting>
 * </example>
 * <example id="AioThreadPool-example-js">
 * <title>JavaScript (GJS): <filename>examples/io-bound.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-io-bound.js"/></programlisting>
 * </example>
 * <example id="AioThreadPool-example-vala">
 * <title>Vala: <filename>examples/io-bound.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-io-bound.vala"/></programlisting>
 * </example>
 */

/**
 * AioThreadPool:
 *
 * Runs blocking functions on a pool of threads and hands their results back
 * to the main loop: the counterpart of aioextensions' `in_thread`.
 *
 * Threads are created only as needed, one by one, up to
 * #AioExecutorPool:max-workers (10 × aio_get_cpu_cores() by default): one
 * call starts one thread, N calls at once start min(N, max-workers). Calls
 * beyond that wait in a FIFO queue. A queued call costs about as much
 * memory as a small record, so queueing a million of them is fine. A
 * thread that runs out of calls looks for the next one for a moment
 * (yielding the processor, at most about 0.1 ms when it is the only busy
 * thread) before it goes to sleep, so that a caller sending one call after
 * another does not pay for waking it each time.
 *
 * Each result is delivered in the thread-default main context of the
 * caller of aio_thread_pool_run_async(); finished calls are handed back in
 * batches, one main-loop wake-up for all the calls that finished since the
 * last one. The function's data is freed there too, never on a worker.
 *
 * A call that is cancelled while it waits in the queue never runs and
 * completes at once with %G_IO_ERROR_CANCELLED; a running call sees its
 * #GCancellable cancelled and decides itself when to stop. A call keeps its
 * pool alive until it has completed.
 *
 * From C:
 * |[<!-- language="C" -->
 * static gboolean
 * checksum_file (GCancellable *cancellable, GValue *result,
 *                gpointer user_data, GError **error)
 * {
 *   g_autofree char *contents = NULL;
 *   gsize length;
 *
 *   if (!g_file_get_contents (user_data, &contents, &length, error))
 *     return FALSE;
 *   g_value_init (result, G_TYPE_STRING);
 *   g_value_take_string (result, g_compute_checksum_for_data (G_CHECKSUM_SHA256,
 *                                                             (guchar *) contents, length));
 *   return TRUE;
 * }
 *
 * aio_thread_pool_run_async (aio_thread_pool_get_default (), checksum_file,
 *                            g_strdup (path), g_free, NULL, on_checksum, self);
 * ]|
 *
 * From Python, the function returns a `(True, value)` pair; a raised
 * `GLib.Error` becomes the call's error, and any other exception fails the
 * call with %AIO_ERROR_FAILED (see #AioThreadFunc). The tuple after the
 * function holds extra arguments for it:
 * |[<!-- language="Python" -->
 * pool = Aio.ThreadPool.get_default()
 * pool.run_async(lambda cancellable: (True, sum(range(10**7))), (), None,
 *                lambda pool, result: print(pool.run_finish(result)))
 * ]|
 *
 * From Vala, with a closure:
 * |[<!-- language="Vala" -->
 * var pool = Aio.ThreadPool.get_default ();
 * Value sum = yield pool.run ((cancellable, out result) => {
 *     result = compute_sum ();
 *     return true;
 * }, null);
 * ]|
 *
 * JavaScript cannot run on a worker thread: from GJS, aio_thread_pool_run_async()
 * completes at once with %AIO_ERROR_NOT_SUPPORTED and the function never runs.
 *
 * From C, aio_thread_pool_submit() makes the same calls and hands the
 * value and error straight to a function of yours, without the
 * #GAsyncResult object that aio_thread_pool_run_async() makes for each
 * call: most of what a trivial call costs the main thread.
 */

/* One call: the record that waits in the executor's queue, runs on a
 * worker and carries the outcome back. A plain record, not a GObject: a
 * million of them may wait in a queue, and building and finalizing a
 * GObject costs more than everything else a call does. */
typedef struct _ThreadCall ThreadCall;

struct _AioThreadPool
{
  AioExecutorPool    parent_instance;

  AioThreadExecutor *executor;    /* the base class's lock */
};

G_DEFINE_FINAL_TYPE (AioThreadPool, aio_thread_pool, AIO_TYPE_EXECUTOR_POOL)

typedef enum
{
  CALL_QUEUED,
  CALL_RUNNING,
  CALL_CANCELLED,   /* while queued: completed, the worker only lets go */
  CALL_DONE,
} CallState;

/* What only a cancellable call needs: the completion that hands the call
 * back when it is cancelled while it waits, when the call's own completion
 * still links the executor's list, and how it learns of the cancellation:
 * a handler on its #GCancellable, or, for the call of a job made by
 * aio_thread_pool_create_job(), the job's cancel hook (no cancellable is
 * made for a call that waits: see aio_job_new_with_lazy_cancellable()). */
typedef struct
{
  AioCompletion     completion;
  ThreadCall       *call;
  GCancellable     *cancellable;    /* NULL for a job's call */
  gulong            handler_id;
  AioJobCancelHook  job_hook;
  int               arrivals_left;  /* atomic: see call_cancellation_arrive() */
} CallCancellation;

struct _ThreadCall
{
  /* While the call waits, this completion's link chains the executor's
   * queue: the call is handed back through it only after a worker took it
   * off the queue, or else through its CallCancellation. Its function is
   * set when the call is made and never changes: it says which of the
   * callbacks below the call has (there is no room for a field that would). */
  AioCompletion        completion;
  AioCompletionQueue  *queue;
  AioThreadPool       *pool;
  union
  {
    GAsyncReadyCallback  ready;   /* aio_thread_pool_run_async() */
    AioThreadDoneFunc    done;    /* aio_thread_pool_submit(), jobs */
  }                    callback;
  gpointer             callback_data;
  AioThreadFunc        func;
  gpointer             func_data;
  GDestroyNotify       func_data_destroy;
  CallCancellation    *cancellation;  /* NULL without a cancellable */
  int                  state;         /* atomic CallState */
  int                  holders;       /* atomic: the completion, plus the list once cancelled there */
  GError              *error;
  GValue               value;
};

/* Small enough for glibc's fast bins (requests up to 120 bytes): larger
 * blocks are coalesced when freed, which, in a burst of calls completing
 * in order, costs more than all the rest of a call. */
G_STATIC_ASSERT (sizeof (ThreadCall) <= 120);

/* Whether the function stored a value. Cheaper than G_IS_VALUE(), which
 * looks up the type's value table under a lock, twice per call. */
static inline gboolean
thread_call_has_value (ThreadCall *call)
{
  return G_VALUE_TYPE (&call->value) != G_TYPE_INVALID;
}

static void
call_cancellation_free (CallCancellation *cancellation)
{
  /* Waits for the handler when it runs on another thread right now. */
  if (cancellation->handler_id != 0)
    g_cancellable_disconnect (cancellation->cancellable, cancellation->handler_id);
  g_clear_object (&cancellation->cancellable);
  g_free (cancellation);
}

static void
thread_call_free (ThreadCall *call)
{
  /* Everything that must not be released on a worker thread (function
   * data, cancellable, queue) was released when the call completed; a
   * job's call still has its cancellation, which holds none of them. */
  g_assert (call->func_data_destroy == NULL);
  if (thread_call_has_value (call))
    g_value_unset (&call->value);
  g_clear_error (&call->error);
  g_clear_object (&call->pool);
  g_clear_pointer (&call->cancellation, call_cancellation_free);
  g_slice_free (ThreadCall, call);
}

/* A call cancelled while it waits is completed at once, and is released
 * both after its completion and by the worker that takes it off the list,
 * in either order. */
static void
thread_call_release (ThreadCall *call)
{
  if (g_atomic_int_dec_and_test (&call->holders))
    thread_call_free (call);
}

/* A job's call is the one whose callback data is its job. */
static inline AioJob *
thread_call_get_job (ThreadCall *call)
{
  return call->callback_data;
}

static inline gboolean
thread_call_is_for_job (ThreadCall *call)
{
  return call->cancellation != NULL && call->cancellation->cancellable == NULL;
}

/* On the worker, as the call starts: a job's call asks its job for the
 * cancellable only now, made already cancelled if the job was; the job
 * lets go of it at completion unless someone kept it. */
static GCancellable *
thread_call_get_cancellable (ThreadCall *call)
{
  if (call->cancellation == NULL)
    return NULL;
  if (thread_call_is_for_job (call))
    return aio_job_ensure_cancellable (thread_call_get_job (call));

  return call->cancellation->cancellable;
}

static CallCancellation *
call_cancellation_new (ThreadCall *call)
{
  call->cancellation = g_new0 (CallCancellation, 1);
  call->cancellation->call = call;
  call->cancellation->arrivals_left = 2;

  return call->cancellation;
}

static void call_cancellation_hold_for_job   (AioJobCancelHook *hook);
static void call_cancellation_cancel_for_job (AioJobCancelHook *hook);

/* A job's call learns of the job's cancellation through the job's hook. */
static void
call_cancellation_new_for_job (ThreadCall *call)
{
  CallCancellation *cancellation = call_cancellation_new (call);

  cancellation->job_hook.hold = call_cancellation_hold_for_job;
  cancellation->job_hook.cancel = call_cancellation_cancel_for_job;
}

/* @deliver hands the call back in the caller's context, with the callback
 * that the caller stores in the call's callback union. */
static ThreadCall *
thread_call_new (AioThreadPool     *pool,
                 AioThreadFunc      func,
                 gpointer           func_data,
                 GDestroyNotify     func_data_destroy,
                 GCancellable      *cancellable,
                 AioCompletionFunc  deliver,
                 gpointer           callback_data)
{
  /* A slice, as a waiter is (aio_waiter_new_in()): 100,000 calls queued
   * at once no longer take glibc malloc's slow paths. */
  ThreadCall *call = g_slice_new (ThreadCall);

  *call = (ThreadCall) {
    .completion.func = deliver,
    .queue = aio_completion_queue_ref_thread_default (),
    .pool = g_object_ref (pool),
    .callback_data = callback_data,
    .func = func,
    .func_data = func_data,
    .func_data_destroy = func_data_destroy,
    .state = CALL_QUEUED,
    .holders = 1,
    .value = G_VALUE_INIT,
  };
  if (cancellable != NULL)
    call_cancellation_new (call)->cancellable = g_object_ref (cancellable);

  return call;
}

/* Runs in the caller's context, once per call, before the callback:
 * releases what must be released there. Returns the call's reference on
 * its completion queue, to drop after the callback. */
static AioCompletionQueue *
thread_call_release_in_context (ThreadCall *call)
{
  GDestroyNotify destroy = g_steal_pointer (&call->func_data_destroy);

  /* Before the callback, which may drop the last reference to the job: a
   * job's call keeps its cancellation, hook included, until it is freed
   * itself (see call_cancellation_hold_for_job()). */
  if (thread_call_is_for_job (call))
    aio_job_set_cancel_hook (thread_call_get_job (call), NULL);
  else if (call->cancellation != NULL)
    call_cancellation_free (g_steal_pointer (&call->cancellation));
  if (destroy != NULL)
    destroy (call->func_data);

  return g_steal_pointer (&call->queue);
}

/* A call cancelled in the queue may be released last by the worker that
 * takes it off the list, and a job's call by a cancellation that took its
 * hold before the hook was cleared, on any thread: never let that release
 * the pool on one of the pool's own threads. */
static inline gboolean
thread_call_may_be_released_elsewhere (ThreadCall *call)
{
  return thread_call_is_for_job (call) || g_atomic_int_get (&call->state) == CALL_CANCELLED;
}

/* Hands back a call of aio_thread_pool_run_async(): a #GAsyncResult made
 * for the callback, which may keep it. */
static void
thread_call_complete (AioCompletion *completion)
{
  ThreadCall *call = (ThreadCall *) completion;
  AioCompletionQueue *queue = thread_call_release_in_context (call);
  AioThreadResult *result;

  result = aio_thread_result_new ((GObject *) call->pool, aio_thread_pool_run_async,
                                  call->callback_data, call, (GDestroyNotify) thread_call_release);
  if (call->callback.ready != NULL)
    call->callback.ready ((GObject *) call->pool, (GAsyncResult *) result, call->callback_data);

  if (thread_call_may_be_released_elsewhere (call))
    g_clear_object (&call->pool);
  g_object_unref (result);
  aio_completion_queue_unref (queue);
}

/* Hands back a call of aio_thread_pool_submit() or of a job: the outcome
 * itself, with no object made for it. */
static void
thread_call_complete_directly (AioCompletion *completion)
{
  ThreadCall *call = (ThreadCall *) completion;
  AioCompletionQueue *queue = thread_call_release_in_context (call);

  if (call->callback.done != NULL)
    call->callback.done (call->error == NULL ? &call->value : NULL, call->error, call->callback_data);

  if (thread_call_may_be_released_elsewhere (call))
    g_clear_object (&call->pool);
  thread_call_release (call);
  aio_completion_queue_unref (queue);
}

/* Hands the call back the way it was made for. */
static inline void
thread_call_push (ThreadCall *call)
{
  aio_completion_queue_push (call->queue, &call->completion, call->completion.func);
}

/* The call's own completion may still link the executor's queue, which
 * its function does not touch. */
static void
call_cancellation_complete (AioCompletion *completion)
{
  ThreadCall *call = ((CallCancellation *) completion)->call;

  call->completion.func (&call->completion);
}

static void
thread_call_return_error (ThreadCall *call,
                          GError     *error)
{
  call->error = error;
  thread_call_push (call);
}

/* The handler of a cancellation can run before g_cancellable_connect() has
 * returned its id to aio_thread_pool_enqueue(): on another thread, or at
 * once when the cancellable was already cancelled. The completion frees the
 * cancellation, id included, in the caller's context, which another thread
 * may be running, so it is pushed by whichever arrives second: the handler
 * that cancelled the waiting call, or the submitter once the id is stored. */
static void
call_cancellation_arrive (CallCancellation *cancellation)
{
  if (g_atomic_int_dec_and_test (&cancellation->arrivals_left))
    aio_completion_queue_push (cancellation->call->queue, &cancellation->completion, call_cancellation_complete);
}

/* Cancels a call that still waits in the queue, given a hold on it
 * (thread_call_hold()): the hold becomes the list's, which the worker that
 * takes the call off it lets go of. Another state keeps the call as it is. */
static void
thread_call_cancel_queued (ThreadCall *call,
                           GError     *error)
{
  if (!g_atomic_int_compare_and_exchange (&call->state, CALL_QUEUED, CALL_CANCELLED))
    {
      g_error_free (error);
      thread_call_release (call);
      return;
    }

  aio_executor_pool_add_queued ((AioExecutorPool *) call->pool, -1);
  call->error = error;
  call_cancellation_arrive (call->cancellation);
}

static inline void
thread_call_hold (ThreadCall *call)
{
  g_atomic_int_inc (&call->holders);
}

static void
thread_call_on_cancelled (GCancellable *cancellable,
                          gpointer      user_data)
{
  ThreadCall *call = user_data;
  GError *error = NULL;

  /* Held for the list before the call can be seen cancelled there. The
   * completion cannot release the call meanwhile: it disconnects this
   * handler first, which waits for it to return. */
  thread_call_hold (call);
  g_cancellable_set_error_if_cancelled (cancellable, &error);
  thread_call_cancel_queued (call, error);
}

static inline ThreadCall *
call_for_job_hook (AioJobCancelHook *hook)
{
  return ((CallCancellation *) ((char *) hook - G_STRUCT_OFFSET (CallCancellation, job_hook)))->call;
}

/* The job's cancel hook, under the job's lock: the hold keeps the call,
 * and with it the hook (a job's call frees its cancellation only with
 * itself), alive until the cancellation below has looked at it, even when
 * the call completes meanwhile. */
static void
call_cancellation_hold_for_job (AioJobCancelHook *hook)
{
  thread_call_hold (call_for_job_hook (hook));
}

static void
call_cancellation_cancel_for_job (AioJobCancelHook *hook)
{
  thread_call_cancel_queued (call_for_job_hook (hook),
                             g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("The call was cancelled.")));
}

/* On the worker thread. */
static void
thread_call_invoke (ThreadCall *call)
{
  GError *error = NULL;
  GError *misuse;
  AioPoolWork work;
  gboolean succeeded;

  aio_executor_pool_enter_work ((AioExecutorPool *) call->pool, &work);
  succeeded = call->func (thread_call_get_cancellable (call), &call->value, call->func_data, &error);
  misuse = aio_executor_pool_leave_work (&work);

  if (G_UNLIKELY (misuse != NULL))
    {
      g_clear_error (&error);
      succeeded = FALSE;
      error = misuse;
    }
  if (succeeded)
    {
      if (G_UNLIKELY (error != NULL))
        {
          g_critical ("An AioThreadFunc returned TRUE but set an error: %s", error->message);
          g_clear_error (&error);
        }
      return;
    }

  if (thread_call_has_value (call))
    g_value_unset (&call->value);
  if (error == NULL)
    error = g_error_new_literal (AIO_ERROR, AIO_ERROR_FAILED,
                                 _("The thread function failed without setting an error (a Python "
                                   "function raised an exception that is not a GLib.Error, printed "
                                   "on standard error, or returned a bare value instead of "
                                   "(True, value))."));
  call->error = error;
}

/* The executor's hook, on a worker thread: runs one call that a loop took
 * from the queue, or fails it when the executor is stopping. */
static void
aio_thread_pool_run_call (AioCompletion *item,
                          gboolean       is_stopping)
{
  ThreadCall *call = (ThreadCall *) item;
  AioExecutorPool *pool;

  /* Cancelled while waiting: it has completed already; let go of it. */
  if (!g_atomic_int_compare_and_exchange (&call->state, CALL_QUEUED, CALL_RUNNING))
    {
      thread_call_release (call);
      return;
    }

  pool = (AioExecutorPool *) call->pool;
  aio_executor_pool_add_queued (pool, -1);
  if (is_stopping)
    call->error = g_error_new (AIO_ERROR, AIO_ERROR_SHUT_DOWN,
                               _("The %s was shut down before the call could run."),
                               G_OBJECT_TYPE_NAME (pool));
  else
    {
      aio_executor_pool_add_running (pool, 1);
      thread_call_invoke (call);
      aio_executor_pool_add_running (pool, -1);
    }
  g_atomic_int_set (&call->state, CALL_DONE);

  thread_call_push (call);
}

static guint
aio_thread_pool_get_default_max_workers (AioExecutorPool *pool)
{
  return 10 * aio_get_cpu_cores ();
}

static void
aio_thread_pool_start (AioExecutorPool *pool,
                       guint            max_workers)
{
  AIO_THREAD_POOL (pool)->executor = aio_thread_executor_new (max_workers, aio_thread_pool_run_call);
}

static void
aio_thread_pool_stop (AioExecutorPool *pool,
                      AioExecutorStop  how)
{
  aio_thread_executor_stop (g_steal_pointer (&AIO_THREAD_POOL (pool)->executor), how);
}

static void
aio_thread_pool_class_init (AioThreadPoolClass *klass)
{
  AioExecutorPoolKind *pool_class = aio_executor_pool_class_get_kind (klass);

  pool_class->get_default_max_workers = aio_thread_pool_get_default_max_workers;
  pool_class->start = aio_thread_pool_start;
  pool_class->stop = aio_thread_pool_stop;
}

static void
aio_thread_pool_init (AioThreadPool *self)
{
}

/**
 * aio_thread_pool_new:
 * @max_workers: the most threads to run at once, at most %G_MAXINT, or 0
 *   for the default of 10 × aio_get_cpu_cores()
 *
 * Creates a thread pool. It starts no thread until its first call. A size
 * above %G_MAXINT (a negative number passed from C) is a programmer error.
 *
 * Returns: (transfer full): a new #AioThreadPool
 */
AioThreadPool *
aio_thread_pool_new (guint max_workers)
{
  g_return_val_if_fail (max_workers <= G_MAXINT, NULL);

  return g_object_new (AIO_TYPE_THREAD_POOL, "max-workers", max_workers, NULL);
}

/**
 * aio_thread_pool_get_default:
 *
 * The process-wide thread pool, aioextensions' `THREAD_POOL`. It has the
 * default size until aio_executor_pool_initialize() says otherwise, starts
 * on its first call, restarts lazily on the first call after
 * aio_executor_pool_shutdown() with the size it was last configured with,
 * and emits `notify` in the global default main context.
 *
 * Returns: (transfer none): the default #AioThreadPool
 */
AioThreadPool *
aio_thread_pool_get_default (void)
{
  static AioThreadPool *default_pool;

  if (g_once_init_enter (&default_pool))
    {
      AioThreadPool *pool = aio_thread_pool_new (0);

      aio_executor_pool_make_default (AIO_EXECUTOR_POOL (pool));
      g_once_init_leave (&default_pool, pool);
    }

  return default_pool;
}

/* Hands the call to a worker. Returns FALSE with @error set when the pool
 * is shut down. */
static gboolean
aio_thread_pool_enqueue (AioThreadPool  *self,
                        ThreadCall     *call,
                        GError        **error)
{
  AioExecutorPool *pool = (AioExecutorPool *) self;
  AioThreadExecutor *executor;
  int queued;

  aio_executor_pool_lock (pool);
  if (!aio_executor_pool_ensure_started (pool, error))
    {
      aio_executor_pool_unlock (pool);
      return FALSE;
    }

  executor = self->executor;
  queued = aio_executor_pool_add_queued (pool, 1);
  /* Before the call can complete: its cancellation, once listened to, may
   * complete and free it. */
  aio_completion_queue_expect_soon (call->queue);
  if (call->cancellation != NULL)
    {
      CallCancellation *cancellation = call->cancellation;

      if (cancellation->cancellable != NULL)
        cancellation->handler_id = g_cancellable_connect (cancellation->cancellable,
                                                          G_CALLBACK (thread_call_on_cancelled),
                                                          call, NULL);
      else if (!aio_job_set_cancel_hook (thread_call_get_job (call), &cancellation->job_hook))
        {
          /* The job was cancelled before its call could listen. */
          thread_call_hold (call);
          call_cancellation_cancel_for_job (&cancellation->job_hook);
        }
      call_cancellation_arrive (cancellation);
    }
  aio_thread_executor_push (executor, &call->completion, pool, queued);
  aio_executor_pool_unlock (pool);

  return TRUE;
}

/* Submits @call, or completes it at once with the reason it cannot run. */
static void
aio_thread_pool_start_call (AioThreadPool *self,
                            ThreadCall    *call,
                            GCancellable  *cancellable)
{
  GError *error = NULL;

  if (!aio_binding_check_thread_func (call->func_data_destroy, &error) ||
      g_cancellable_set_error_if_cancelled (cancellable, &error) ||
      !aio_thread_pool_enqueue (self, call, &error))
    {
      g_atomic_int_set (&call->state, CALL_DONE);
      thread_call_return_error (call, error);
    }
}

/**
 * aio_thread_pool_run_async:
 * @self: an #AioThreadPool
 * @func: (scope notified) (closure func_data) (destroy func_data_destroy):
 *   the blocking function to run on a worker thread
 * @func_data: data for @func
 * @func_data_destroy: (nullable): frees @func_data once the call has
 *   completed, in the caller's thread-default main context
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called with the outcome
 * @user_data: data for @callback
 *
 * Runs @func on a worker thread of @self, starting the pool if it was not
 * started yet, and calls @callback in the caller's thread-default main
 * context with the outcome; read it with aio_thread_pool_run_finish().
 *
 * The call fails with %AIO_ERROR_SHUT_DOWN when @self was shut down (see
 * aio_executor_pool_shutdown()), with %G_IO_ERROR_CANCELLED when
 * @cancellable is cancelled before @func starts (@func then never runs),
 * and with %AIO_ERROR_NOT_SUPPORTED when @func is a JavaScript function.
 */
void
aio_thread_pool_run_async (AioThreadPool       *self,
                           AioThreadFunc        func,
                           gpointer             func_data,
                           GDestroyNotify       func_data_destroy,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (AIO_IS_THREAD_POOL (self));
  g_return_if_fail (func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  ThreadCall *call = thread_call_new (self, func, func_data, func_data_destroy, cancellable,
                                      thread_call_complete, user_data);

  call->callback.ready = callback;
  aio_thread_pool_start_call (self, call, cancellable);
}

/**
 * aio_thread_pool_run_finish:
 * @self: an #AioThreadPool
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_thread_pool_run_async().
 *
 * Returns: (transfer full) (nullable): a copy of the result the function
 *   stored (a %G_TYPE_POINTER value holding %NULL when it stored none,
 *   which bindings read as `None`/`null`), to be freed with g_boxed_free()
 *   (or g_value_unset() and g_free()); or %NULL with @error set
 */
GValue *
aio_thread_pool_run_finish (AioThreadPool  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  ThreadCall *call;
  GValue *value;

  g_return_val_if_fail (AIO_IS_THREAD_POOL (self), NULL);
  g_return_val_if_fail (aio_thread_result_is_valid (result, self, aio_thread_pool_run_async), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  call = aio_thread_result_get_call ((AioThreadResult *) result);
  if (call->error != NULL)
    {
      g_propagate_error (error, g_error_copy (call->error));
      return NULL;
    }

  value = g_new (GValue, 1);
  *value = (GValue) G_VALUE_INIT;
  if (thread_call_has_value (call))
    {
      g_value_init (value, G_VALUE_TYPE (&call->value));
      g_value_copy (&call->value, value);
    }
  else
    g_value_init (value, G_TYPE_POINTER);

  return value;
}

/**
 * aio_thread_pool_submit: (skip)
 * @self: an #AioThreadPool
 * @func: the blocking function to run on a worker thread
 * @func_data: data for @func
 * @func_data_destroy: (nullable): frees @func_data once the call has
 *   completed, in the caller's thread-default main context
 * @cancellable: (nullable): a #GCancellable
 * @done: (nullable): called with the outcome
 * @user_data: data for @done
 *
 * Runs @func on a worker thread of @self as aio_thread_pool_run_async()
 * does, and calls @done with the outcome itself instead of a
 * #GAsyncResult: the C fast path for many small calls, which makes no
 * object per call. Everything else is as for aio_thread_pool_run_async():
 * @done is called exactly once, in the caller's thread-default main
 * context, never from inside this call, after @func_data_destroy; the same
 * errors (%AIO_ERROR_SHUT_DOWN, %G_IO_ERROR_CANCELLED when @cancellable is
 * cancelled before @func starts, which then never runs); the same order
 * and batching.
 *
 * |[<!-- language="C" -->
 * static void
 * on_checksum (GValue *value, const GError *error, gpointer user_data)
 * {
 *   if (error != NULL)
 *     g_warning ("No checksum: %s", error->message);
 *   else
 *     g_print ("%s\n", g_value_get_string (value));
 * }
 *
 * aio_thread_pool_submit (pool, checksum_file, g_strdup (path), g_free,
 *                         NULL, on_checksum, NULL);
 * ]|
 *
 * Bindings use aio_thread_pool_run_async(), which offers the same calls.
 */
void
aio_thread_pool_submit (AioThreadPool     *self,
                        AioThreadFunc      func,
                        gpointer           func_data,
                        GDestroyNotify     func_data_destroy,
                        GCancellable      *cancellable,
                        AioThreadDoneFunc  done,
                        gpointer           user_data)
{
  ThreadCall *call;

  g_return_if_fail (AIO_IS_THREAD_POOL (self));
  g_return_if_fail (func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = thread_call_new (self, func, func_data, func_data_destroy, cancellable,
                          thread_call_complete_directly, user_data);
  call->callback.done = done;
  aio_thread_pool_start_call (self, call, cancellable);
}

typedef struct
{
  AioThreadPool  *pool;
  AioThreadFunc   func;
  gpointer        func_data;
  GDestroyNotify  func_data_destroy;
} ThreadJob;

static void
thread_job_free (gpointer data)
{
  ThreadJob *thread_job = data;

  if (thread_job->func_data_destroy != NULL)
    thread_job->func_data_destroy (thread_job->func_data);
  g_object_unref (thread_job->pool);
  g_free (thread_job);
}

/* A job's call is handed back directly: the job keeps the outcome itself,
 * and a GAsyncResult and a copy of the value made for it only to be read
 * at once would double what a trivial job costs. */
static void
thread_job_done (GValue       *value,
                 const GError *error,
                 gpointer      user_data)
{
  g_autoptr(AioJob) job = user_data;

  if (error != NULL)
    aio_job_return_error (job, g_error_copy (error));
  else
    aio_job_return_value (job, G_VALUE_TYPE (value) != G_TYPE_INVALID ? value : NULL);
}

static void
thread_job_start (AioJob       *job,
                GCancellable *cancellable,
                gpointer      user_data)
{
  ThreadJob *thread_job = user_data;
  ThreadCall *call;

  /* The job owns the data and frees it in its own context once completed,
   * which is after this call has completed. */
  call = thread_call_new (thread_job->pool, thread_job->func, thread_job->func_data, NULL,
                          cancellable, thread_call_complete_directly, g_object_ref (job));
  call->callback.done = thread_job_done;
  /* Without a cancellable asked for before the start, the call listens to
   * the job itself, and asks for the cancellable only when it runs. */
  if (cancellable == NULL)
    call_cancellation_new_for_job (call);
  aio_thread_pool_start_call (thread_job->pool, call, cancellable);
}

/**
 * aio_thread_pool_create_job:
 * @self: an #AioThreadPool
 * @func: (scope notified) (closure func_data) (destroy func_data_destroy):
 *   the blocking function to run on a worker thread
 * @func_data: data for @func
 * @func_data_destroy: (nullable): frees @func_data once the job has
 *   completed, in the main context it was started in
 *
 * Wraps one call of @func on @self in an #AioJob: the call is submitted
 * when the job starts, the job's cancellable is the call's, and the job's
 * result is the value @func stores. While the call waits in the queue the
 * job holds no #GCancellable (a million queued jobs are that much
 * lighter): aio_job_cancel() still completes it at once, and @func gets
 * the job's cancellable, made when the call starts running. From JavaScript the job fails with
 * %AIO_ERROR_NOT_SUPPORTED.
 *
 * Returns: (transfer full): a new pending job
 */
AioJob *
aio_thread_pool_create_job (AioThreadPool  *self,
                            AioThreadFunc   func,
                            gpointer        func_data,
                            GDestroyNotify  func_data_destroy)
{
  g_autoptr(GError) error = NULL;
  ThreadJob *thread_job;

  g_return_val_if_fail (AIO_IS_THREAD_POOL (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  if (!aio_binding_check_thread_func (func_data_destroy, &error))
    {
      if (func_data_destroy != NULL)
        func_data_destroy (func_data);
      return aio_job_new_for_error (error);
    }

  thread_job = g_new (ThreadJob, 1);
  thread_job->pool = g_object_ref (self);
  thread_job->func = func;
  thread_job->func_data = func_data;
  thread_job->func_data_destroy = func_data_destroy;

  return aio_job_new_with_lazy_cancellable (thread_job_start, thread_job, thread_job_free);
}
