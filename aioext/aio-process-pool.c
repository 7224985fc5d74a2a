/* aio-process-pool.c: run named functions in a pool of worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
# include <sys/prctl.h>
#endif

#include <glib-unix.h>

#include "aio-error.h"
#include "aio-executor-pool-private.h"
#include "aio-i18n-private.h"
#include "aio-main.h"
#include "aio-process-pool.h"
#include "aio-caller-context-private.h"
#include "aio-cancel-source-private.h"
#include "aio-wire-private.h"
#include "aio-worker.h"

/**
 * SECTION:aio-process-pool
 * @title: AioProcessPool
 * @short_description: run CPU-bound work in worker processes
 * @include: aioext.h
 *
 * An AioProcessPool runs named functions in separate worker processes, so
 * that CPU-bound work uses every core and a crash hurts only the call that
 * caused it: the counterpart of aioextensions' `in_process` and
 * `PROCESS_POOL`. The functions live in an #AioWorker inside each worker;
 * arguments and results are #GVariant values, and a worker's #GError comes
 * back with domain, code and message intact.
 *
 * Workers start lazily, one per queued call, up to the pool's size (the
 * number of CPU cores by default); calls wait in FIFO order. The worker
 * command is the current program re-executed in worker mode unless another
 * one is given, for example `aioext-worker MODULE` or a Python script.
 *
 * A worker that dies while running a call (a signal, an exit, a broken
 * protocol) fails only that call, with %AIO_ERROR_WORKER_DIED naming its
 * pid, the function and the signal or exit status; the pool starts a
 * replacement on demand and reaps every worker. With a call timeout, a
 * worker over its time is killed and the call fails with
 * %AIO_ERROR_TIMED_OUT; cancelling a running call kills its worker the same
 * way, while cancelling a queued call just removes it. Workers can be
 * recycled after a number of calls. When the pool's process dies, its
 * workers die too. Like GIO's #GSocket, the pool ignores SIGPIPE in its
 * process (unless the program handles it), so that a worker that dies as it
 * is given a call fails that call instead of killing the process.
 *
 * Calls work from any thread and any main context, including the private
 * one of aio_job_run_sync(); each callback runs in its caller's context.
 * A call made while a worker is idle is written from the caller's thread.
 * The pool's own thread starts, watches and reaps the workers, runs
 * timeouts and cancellations, and watches every worker's replies: a
 * finished call frees its worker at once, whatever its caller's context
 * does, so a context that never runs again (a thread that called and
 * left) stalls no other caller; its callback runs when that context runs,
 * or is dropped with it. The caller's context, when the call came from
 * there, watches the reply too, and whichever wakes first reads it, so a
 * round trip costs about what a plain pipe's does.
 *
 * The programs below are examples/cpu-bound.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-process-pool] tells what
 * each language gets. The Python and JavaScript versions start the worker
 * scripts examples/cpu-bound-worker.py and .js, shown on the #AioWorker page.
 *
 * <example id="AioProcessPool-example-c">
 * <title>C: <filename>examples/cpu-bound.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-cpu-bound.c"/></programlisting>
 * </example>
 * <example id="AioProcessPool-example-py">
 * <title>Python: <filename>examples/cpu-bound.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-cpu-bound.py"/></programlisting>
 * </example>
 * <example id="AioProcessPool-example-js">
 * <title>JavaScript (GJS): <filename>examples/cpu-bound.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-cpu-bound.js"/></programlisting>
 * </example>
 * <example id="AioProcessPool-example-vala">
 * <title>Vala: <filename>examples/cpu-bound.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-cpu-bound.vala"/></programlisting>
 * </example>
 */

#define WORKER_FD          3
#define READ_CHUNK_SIZE    (64 * 1024)

typedef struct _ProcessExecutor ProcessExecutor;
typedef struct _WorkerProcess WorkerProcess;

/* Every field of a call, a worker and an executor is guarded by the
 * executor's lock, except where noted. */
typedef struct
{
  gint             ref_count;       /* atomic */
  GTask           *task;
  char            *function;
  GBytes          *frame;           /* until sent */
  guint64          id;
  ProcessExecutor *executor;        /* owned */
  WorkerProcess   *worker;          /* while running */
  GSource         *cancel_source;
  GSource         *timeout_source;
  gboolean         timed_out;
  gboolean         cancelled;
  GVariant        *result;          /* the outcome, once finished */
  GError          *error;
} Call;

/* A worker's replies are always watched in the executor's context, which
 * never waits on anyone, and also in its home: the context of the last
 * caller that called from there, where the reply of its call then costs
 * one wake-up, as on a plain pipe. Whichever takes the lock first reads. */
struct _WorkerProcess
{
  gint             ref_count;   /* atomic */
  ProcessExecutor *executor;    /* owned */
  GSubprocess     *process;
  char            *pid;         /* kept: GSubprocess forgets it once reaped */
  int              fd;
  AioWireDecoder  *decoder;
  GSource         *reader;      /* in the executor's context */
  GMainContext    *home;        /* NULL for the executor's context */
  GSource         *home_reader; /* in home */
  GSource         *writer;      /* in the executor's context, while a frame does not fit the socket */
  GBytes          *outgoing;
  gsize            outgoing_sent;
  Call            *call;
  GError          *protocol_error;
  guint            calls_done;
  gboolean         is_ready;
  gboolean         is_gone;     /* out of the executor's list */
};

/* One started pool. Its thread spawns and reaps workers, runs timeouts and
 * cancellations, and reads replies no caller's context can take; it ends
 * once told to stop and every worker is reaped. */
struct _ProcessExecutor
{
  gint             ref_count;  /* atomic */
  /* After the pool's lock: "The lock order" (docs/reference/architecture.xml). */
  GMutex           lock;
  AioExecutorPool *pool;       /* not owned: every call's task holds it */
  GMainContext    *context;
  GThread         *thread;     /* set once */
  char           **argv;
  guint            max_workers;
  guint            timeout_ms;
  guint            max_calls;

  GQueue           queue;      /* Call, waiting */
  GPtrArray       *workers;    /* WorkerProcess, one reference each */
  GQueue           finished;   /* Call, returned once the lock is dropped */
  guint64          next_call_id;
  guint            n_reaps;    /* workers not reaped yet */
  gboolean         is_dispatch_posted;
  gboolean         is_stopping;
  gboolean         drains;
};

/**
 * AioProcessPool:
 *
 * A pool of worker processes that run named functions.
 */
struct _AioProcessPool
{
  AioExecutorPool   parent_instance;

  char            **worker_argv;
  guint             call_timeout;       /* executor pool lock */
  guint             max_calls;          /* executor pool lock */
  ProcessExecutor  *executor;           /* executor pool lock */
};

enum {
  PROP_0,
  PROP_CALL_TIMEOUT,
  PROP_MAX_CALLS_PER_WORKER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AioProcessPool, aio_process_pool, AIO_TYPE_EXECUTOR_POOL)

static void executor_dispatch (ProcessExecutor *executor);
static void worker_retire     (WorkerProcess *worker,
                               gboolean       kill);

static GMainContext *
current_context (void)
{
  GMainContext *context = g_main_context_get_thread_default ();

  return context != NULL ? context : g_main_context_default ();
}

/* Executors */

static ProcessExecutor *
executor_ref (ProcessExecutor *executor)
{
  g_atomic_int_inc (&executor->ref_count);

  return executor;
}

static void
executor_unref (ProcessExecutor *executor)
{
  if (!g_atomic_int_dec_and_test (&executor->ref_count))
    return;

  g_assert (g_queue_is_empty (&executor->queue) && g_queue_is_empty (&executor->finished));
  g_ptr_array_unref (executor->workers);
  g_strfreev (executor->argv);
  g_main_context_unref (executor->context);
  g_mutex_clear (&executor->lock);
  g_free (executor);
}

static void
executor_lock (ProcessExecutor *executor)
{
  g_mutex_lock (&executor->lock);
}

/* Calls */

static Call *
call_ref (Call *call)
{
  g_atomic_int_inc (&call->ref_count);

  return call;
}

static void
call_unref (Call *call)
{
  if (!g_atomic_int_dec_and_test (&call->ref_count))
    return;

  g_assert (call->cancel_source == NULL && call->timeout_source == NULL);
  g_clear_object (&call->task);
  g_free (call->function);
  g_clear_pointer (&call->frame, g_bytes_unref);
  g_clear_pointer (&call->result, g_variant_unref);
  g_clear_error (&call->error);
  g_clear_pointer (&call->executor, executor_unref);
  g_free (call);
}

/* The outcome is set under the lock and the task returns once the lock is
 * dropped (see executor_unlock_and_return_calls()), because its callback
 * may run at once and call into the pool again. Takes @error. */
static void
call_finish (Call     *call,
             GVariant *result,
             GError   *error)
{
  /* Destroyed under the lock: a cancellation or timeout that is already
   * dispatching sees it and leaves the call alone. */
  aio_source_drop (&call->cancel_source);
  aio_source_drop (&call->timeout_source);
  call->worker = NULL;
  call->result = result != NULL ? g_variant_ref (result) : NULL;
  call->error = error;
  g_queue_push_tail (&call->executor->finished, call);
}

static void
call_fail (Call   *call,
           GError *error)
{
  call_finish (call, NULL, error);
}

static void
call_return (Call *call)
{
  if (call->error != NULL)
    g_task_return_error (call->task, g_steal_pointer (&call->error));
  else
    g_task_return_pointer (call->task, g_steal_pointer (&call->result), (GDestroyNotify) g_variant_unref);
  call_unref (call);
}

static GQueue
executor_steal_finished (ProcessExecutor *executor)
{
  GQueue finished = executor->finished;

  g_queue_init (&executor->finished);

  return finished;
}

static void
return_calls (GQueue *calls)
{
  Call *call;

  while ((call = g_queue_pop_head (calls)) != NULL)
    call_return (call);
}

/* Drops the executor's lock, then returns the calls that finished while it
 * was held: the one way out of the lock for code that may finish calls. */
static void
executor_unlock_and_return_calls (ProcessExecutor *executor)
{
  GQueue finished = executor_steal_finished (executor);

  g_mutex_unlock (&executor->lock);
  return_calls (&finished);
}

/* The sources of calls and workers dispatch in several contexts and are
 * destroyed under the lock by any thread; one that was destroyed while it
 * waited for the lock must do nothing. */
static gboolean
executor_lock_for_source (ProcessExecutor *executor)
{
  executor_lock (executor);
  if (!g_source_is_destroyed (g_main_current_source ()))
    return TRUE;

  g_mutex_unlock (&executor->lock);

  return FALSE;
}

/* Workers */

static WorkerProcess *
worker_ref (WorkerProcess *worker)
{
  g_atomic_int_inc (&worker->ref_count);

  return worker;
}

static void
worker_unref (WorkerProcess *worker)
{
  if (!g_atomic_int_dec_and_test (&worker->ref_count))
    return;

  g_assert (worker->call == NULL && worker->reader == NULL && worker->home_reader == NULL && worker->writer == NULL);
  g_clear_pointer (&worker->outgoing, g_bytes_unref);
  if (worker->fd >= 0)
    close (worker->fd);
  g_clear_object (&worker->process);
  g_clear_pointer (&worker->decoder, aio_wire_decoder_free);
  g_clear_pointer (&worker->home, g_main_context_unref);
  g_clear_error (&worker->protocol_error);
  g_free (worker->pid);
  executor_unref (worker->executor);
  g_free (worker);
}

static const char *
worker_pid (WorkerProcess *worker)
{
  return worker->pid;
}

/* Why the call of a worker that is gone failed, in the caller's words. */
static GError *
worker_death_error (WorkerProcess *worker,
                    Call          *call)
{
  GSubprocess *process = worker->process;
  const char *pid = worker_pid (worker);

  if (call->cancelled)
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The call was cancelled."));

  if (call->timed_out)
    return g_error_new (AIO_ERROR, AIO_ERROR_TIMED_OUT,
                        _("Worker process %s ran “%s” for longer than %u ms and was stopped."),
                        pid, call->function, call->executor->timeout_ms);

  if (worker->protocol_error != NULL)
    return g_error_new (AIO_ERROR, AIO_ERROR_PROTOCOL,
                        _("Worker process %s broke the protocol while running “%s”: %s"),
                        pid, call->function, worker->protocol_error->message);

  if (g_subprocess_get_if_signaled (process))
    {
      int signal_number = g_subprocess_get_term_sig (process);

      return g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                          _("Worker process %s was killed by signal %d (%s) while running “%s”."),
                          pid, signal_number, g_strsignal (signal_number), call->function);
    }

  return g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                      _("Worker process %s exited with status %d while running “%s”."),
                      pid, g_subprocess_get_exit_status (process), call->function);
}

static GError *
worker_startup_error (WorkerProcess *worker)
{
  GSubprocess *process = worker->process;

  if (worker->protocol_error != NULL)
    return g_error_new (AIO_ERROR, AIO_ERROR_PROTOCOL,
                        _("Worker process %s broke the protocol before it was ready: %s"),
                        worker_pid (worker), worker->protocol_error->message);

  if (g_subprocess_get_if_signaled (process))
    return g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                        _("Worker process %s was killed by signal %d (%s) before it was ready."),
                        worker_pid (worker), g_subprocess_get_term_sig (process),
                        g_strsignal (g_subprocess_get_term_sig (process)));

  return g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                      _("Worker process %s exited with status %d before it was ready; check the pool's worker command."),
                      worker_pid (worker), g_subprocess_get_exit_status (process));
}

/* Whether the worker left without ever being usable: it never greeted,
 * or broke the protocol before it finished a single call. */
static gboolean
worker_never_served (WorkerProcess *worker)
{
  return !worker->is_ready || (worker->protocol_error != NULL && worker->calls_done == 0);
}

/* Every worker is watched from the moment it is spawned, so that one that
 * dies idle is noticed even when no context reads its socket. */
static void
worker_reaped (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  WorkerProcess *worker = user_data;
  ProcessExecutor *executor = worker->executor;
  Call *call;

  executor_lock (executor);
  g_subprocess_wait_finish (worker->process, result, NULL);
  executor->n_reaps--;
  worker_retire (worker, FALSE);

  call = g_steal_pointer (&worker->call);
  if (call != NULL)
    {
      aio_executor_pool_add_running (executor->pool, -1);
      call_fail (call, worker_death_error (worker, call));
    }
  else if (worker_never_served (worker) && !executor->is_stopping && !g_queue_is_empty (&executor->queue))
    {
      /* A worker command that dies before it greets, or breaks the
       * protocol before it is given a call, would otherwise be restarted
       * forever for the same call: fail the call it was for. */
      aio_executor_pool_add_queued (executor->pool, -1);
      call_fail (g_queue_pop_head (&executor->queue), worker_startup_error (worker));
    }

  executor_dispatch (executor);
  executor_unlock_and_return_calls (executor);
  worker_unref (worker);
}

static gboolean worker_readable (int fd, GIOCondition condition, gpointer user_data);
static gboolean worker_writable (int fd, GIOCondition condition, gpointer user_data);

static GSource *
worker_watch (WorkerProcess     *worker,
              GMainContext      *context,
              GIOCondition       condition,
              GUnixFDSourceFunc  func)
{
  GSource *source = g_unix_fd_source_new (worker->fd, condition);

  g_source_set_static_name (source, "[aioext] process pool worker");
  /* GLib takes a blocked source's descriptor out of the poll and puts it
   * back, waking its context twice per dispatch; the lock makes a
   * recursive dispatch harmless. */
  g_source_set_can_recurse (source, TRUE);
  g_source_set_callback (source, G_SOURCE_FUNC (func), worker_ref (worker), (GDestroyNotify) worker_unref);
  g_source_attach (source, context);

  return source;
}

/* Makes @context the worker's home, where its replies are watched besides
 * the executor's context; %NULL or the executor's context for none. */
static void
worker_set_home (WorkerProcess *worker,
                 GMainContext  *context)
{
  if (context == worker->executor->context)
    context = NULL;
  if (context == worker->home)
    return;

  aio_source_drop (&worker->home_reader);
  g_clear_pointer (&worker->home, g_main_context_unref);
  if (context == NULL)
    return;

  worker->home = g_main_context_ref (context);
  worker->home_reader = worker_watch (worker, context, G_IO_IN, worker_readable);
}

/* The worker leaves the pool: it is told to exit by the end of its input
 * (or killed when it cannot be trusted); its call, if any, fails once it is
 * reaped and the exit status is known. */
static void
worker_retire (WorkerProcess *worker,
               gboolean       kill)
{
  ProcessExecutor *executor = worker->executor;

  if (kill)
    g_subprocess_force_exit (worker->process);
  if (worker->is_gone)
    return;

  worker->is_gone = TRUE;
  shutdown (worker->fd, SHUT_WR);
  worker_set_home (worker, NULL);
  aio_source_drop (&worker->reader);
  aio_source_drop (&worker->writer);
  g_clear_pointer (&worker->outgoing, g_bytes_unref);
  g_ptr_array_remove_fast (executor->workers, worker);
  worker_unref (worker);
}

static void
worker_fail_protocol (WorkerProcess *worker,
                      GError        *error)
{
  if (worker->protocol_error == NULL)
    worker->protocol_error = error;
  else
    g_error_free (error);

  worker_retire (worker, TRUE);
}

/* Sends what is left of the outgoing frame without blocking; the rest waits
 * for room in the socket, so that a worker that does not read cannot stall
 * the pool. Returns FALSE when the worker cannot take it any more. */
static gboolean
worker_write (WorkerProcess *worker)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (worker->outgoing, &size);

  while (worker->outgoing_sent < size)
    {
      gssize sent = send (worker->fd, data + worker->outgoing_sent, size - worker->outgoing_sent,
                          MSG_DONTWAIT | MSG_NOSIGNAL);

      if (sent < 0 && errno == EINTR)
        continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          if (worker->writer == NULL)
            worker->writer = worker_watch (worker, worker->executor->context, G_IO_OUT, worker_writable);
          return TRUE;
        }
      if (sent < 0)
        return FALSE;
      worker->outgoing_sent += sent;
    }

  g_clear_pointer (&worker->outgoing, g_bytes_unref);
  aio_source_drop (&worker->writer);

  return TRUE;
}

static gboolean
worker_writable (int           fd,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  WorkerProcess *worker = user_data;
  ProcessExecutor *executor = executor_ref (worker->executor);

  if (executor_lock_for_source (executor))
    {
      /* A worker that cannot take its call has died: the reap says how. */
      if (!worker_write (worker))
        worker_retire (worker, FALSE);
      executor_dispatch (executor);
      executor_unlock_and_return_calls (executor);
    }
  executor_unref (executor);

  return G_SOURCE_CONTINUE;
}

static gboolean
call_timed_out (gpointer  user_data)
{
  Call *call = user_data;
  ProcessExecutor *executor = call->executor;

  if (executor_lock_for_source (executor))
    {
      call->timed_out = TRUE;
      worker_retire (call->worker, TRUE);
      executor_unlock_and_return_calls (executor);
    }

  return G_SOURCE_REMOVE;
}

/* A call started from its caller's own context has its reply watched
 * there too: the reply then usually wakes only the caller, as on a plain
 * pipe. Any other call, and every call once the pool is stopping, is
 * watched by the executor's thread alone. */
static void
worker_choose_home (WorkerProcess *worker,
                    Call          *call)
{
  ProcessExecutor *executor = worker->executor;
  GMainContext *context = g_task_get_context (call->task);

  if (executor->is_stopping || context != current_context ())
    context = NULL;
  worker_set_home (worker, context);
}

static void
worker_start_call (WorkerProcess *worker,
                   Call          *call)
{
  ProcessExecutor *executor = worker->executor;

  worker->call = call;
  call->worker = worker;
  aio_executor_pool_add_queued (executor->pool, -1);
  aio_executor_pool_add_running (executor->pool, 1);

  if (executor->timeout_ms > 0)
    {
      call->timeout_source = g_timeout_source_new (executor->timeout_ms);
      g_source_set_static_name (call->timeout_source, "[aioext] process call timeout");
      g_source_set_callback (call->timeout_source, call_timed_out, call_ref (call), (GDestroyNotify) call_unref);
      g_source_attach (call->timeout_source, executor->context);
    }

  worker_choose_home (worker, call);
  worker->outgoing = g_steal_pointer (&call->frame);
  worker->outgoing_sent = 0;
  if (!worker_write (worker))
    worker_retire (worker, FALSE);
}

static void
worker_finish_call (WorkerProcess  *worker,
                    AioWireMessage *reply)
{
  ProcessExecutor *executor = worker->executor;
  Call *call = worker->call;

  /* A reply before the whole call was sent answers a call not given yet. */
  if (call == NULL || reply->call_id != call->id || worker->outgoing != NULL)
    {
      worker_fail_protocol (worker, g_error_new_literal (AIO_ERROR, AIO_ERROR_PROTOCOL,
                                                         _("it answered a call it was not given")));
      return;
    }

  worker->call = NULL;
  worker->calls_done++;
  aio_executor_pool_add_running (executor->pool, -1);

  if (reply->kind == AIO_WIRE_RESULT)
    call_finish (call, reply->payload, NULL);
  else
    call_fail (call, g_steal_pointer (&reply->error));

  if (executor->max_calls > 0 && worker->calls_done >= executor->max_calls)
    worker_retire (worker, FALSE);
}

static void
worker_handle (WorkerProcess  *worker,
               AioWireMessage *message)
{
  switch (message->kind)
    {
    case AIO_WIRE_HELLO:
      if (worker->is_ready || message->version != AIO_WIRE_VERSION)
        worker_fail_protocol (worker, g_error_new (AIO_ERROR, AIO_ERROR_PROTOCOL,
                                                   _("it greeted with protocol version %u, not %u"),
                                                   message->version, AIO_WIRE_VERSION));
      else
        worker->is_ready = TRUE;
      break;

    case AIO_WIRE_RESULT:
    case AIO_WIRE_ERROR:
      worker_finish_call (worker, message);
      break;

    case AIO_WIRE_CALL:
    default:
      worker_fail_protocol (worker, g_error_new_literal (AIO_ERROR, AIO_ERROR_PROTOCOL,
                                                         _("it sent a call to the pool")));
    }
}

/* Returns FALSE once the worker is gone. */
static gboolean
worker_handle_messages (WorkerProcess *worker)
{
  AioWireMessage message;
  GError *error = NULL;

  while (!worker->is_gone && aio_wire_decoder_next (worker->decoder, &message, &error))
    {
      worker_handle (worker, &message);
      aio_wire_message_clear (&message);
    }
  if (error != NULL)
    worker_fail_protocol (worker, error);

  return !worker->is_gone;
}

/* Reads what the socket holds, straight into the decoder, without
 * blocking, and handles every whole message. */
static void
worker_read (WorkerProcess *worker)
{
  for (;;)
    {
      gsize room;
      guint8 *buffer = aio_wire_decoder_get_buffer (worker->decoder, READ_CHUNK_SIZE, &room);
      gssize length = recv (worker->fd, buffer, room, MSG_DONTWAIT);

      if (length < 0 && errno == EINTR)
        continue;
      if (length < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (length <= 0)
        {
          /* End of file: the worker exited or was killed; the reap says how. */
          worker_retire (worker, FALSE);
          return;
        }

      aio_wire_decoder_commit (worker->decoder, length);
      if (!worker_handle_messages (worker) || (gsize) length < room)
        return;
    }
}

static gboolean
worker_readable (int           fd,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  WorkerProcess *worker = user_data;
  ProcessExecutor *executor = executor_ref (worker->executor);

  if (executor_lock_for_source (executor))
    {
      worker_read (worker);
      executor_dispatch (executor);
      executor_unlock_and_return_calls (executor);
    }
  executor_unref (executor);

  return G_SOURCE_CONTINUE;
}

#ifdef __linux__
static void
worker_child_setup (gpointer  user_data)
{
  /* Armed before exec: the worker dies with the pool's thread. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}
#endif

static WorkerProcess *
executor_spawn_worker (ProcessExecutor  *executor,
                       GError          **error)
{
  /* Workers read nothing from standard input: an empty pipe makes an
   * interpreter started without a script exit at once instead of waiting
   * on the terminal. */
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autofree char *fd_text = g_strdup_printf ("%d", WORKER_FD);
  WorkerProcess *worker;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create a socket for a worker process: %s"), g_strerror (saved_errno));
      return NULL;
    }

  g_subprocess_launcher_take_fd (launcher, fds[1], WORKER_FD);
  g_subprocess_launcher_setenv (launcher, AIO_WORKER_FD_VARIABLE, fd_text, TRUE);
#ifdef __linux__
  g_subprocess_launcher_set_child_setup (launcher, worker_child_setup, NULL, NULL);
#endif

  worker = g_new0 (WorkerProcess, 1);
  worker->ref_count = 1;
  worker->executor = executor_ref (executor);
  worker->fd = fds[0];
  worker->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) executor->argv, error);
  if (worker->process == NULL)
    {
      g_prefix_error (error, _("Could not start a worker process: "));
      worker_unref (worker);
      return NULL;
    }

  g_output_stream_close (g_subprocess_get_stdin_pipe (worker->process), NULL, NULL);
  worker->pid = g_strdup (g_subprocess_get_identifier (worker->process));
  worker->decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  g_ptr_array_add (executor->workers, worker);
  worker->reader = worker_watch (worker, executor->context, G_IO_IN, worker_readable);
  executor->n_reaps++;
  g_subprocess_wait_async (worker->process, NULL, worker_reaped, worker_ref (worker));

  return worker;
}

/* An idle worker, preferably one whose replies are already read in the
 * calling context; also counts the workers still starting. */
static WorkerProcess *
executor_find_idle_worker (ProcessExecutor *executor,
                           guint           *n_starting)
{
  GMainContext *context = current_context ();
  WorkerProcess *idle = NULL;

  *n_starting = 0;

  for (guint i = 0; i < executor->workers->len; i++)
    {
      WorkerProcess *worker = g_ptr_array_index (executor->workers, i);

      if (!worker->is_ready)
        (*n_starting)++;
      else if (worker->call == NULL && (idle == NULL || worker->home == context))
        idle = worker;
    }

  return idle;
}

static void
executor_fail_queue (ProcessExecutor *executor,
                     GError          *error)
{
  Call *call;

  while ((call = g_queue_pop_head (&executor->queue)) != NULL)
    {
      aio_executor_pool_add_queued (executor->pool, -1);
      call_fail (call, g_error_copy (error));
    }
  g_error_free (error);
}

static gboolean
executor_is_busy (ProcessExecutor *executor)
{
  for (guint i = 0; i < executor->workers->len; i++)
    if (((WorkerProcess *) g_ptr_array_index (executor->workers, i))->call != NULL)
      return TRUE;

  return !g_queue_is_empty (&executor->queue);
}

/* The caller must keep @executor, and so its context, alive throughout. */
static void
executor_post (ProcessExecutor *executor,
               GSourceFunc      func)
{
  /* Never at once: the executor's thread may not own its context yet. */
  aio_context_deliver (executor->context, G_PRIORITY_DEFAULT, FALSE, "[aioext] process pool request",
                       func, executor, NULL, NULL);
}

static gboolean
executor_dispatch_posted (gpointer  user_data)
{
  ProcessExecutor *executor = user_data;

  executor_lock (executor);
  executor->is_dispatch_posted = FALSE;
  executor_dispatch (executor);
  executor_unlock_and_return_calls (executor);

  return G_SOURCE_REMOVE;
}

/* Hands queued calls to idle workers, and starts workers, one per call that
 * no idle or starting worker will take, up to the size of the pool. Workers
 * are spawned, and so watched, by the executor's thread only. */
static void
executor_dispatch (ProcessExecutor *executor)
{
  while (!g_queue_is_empty (&executor->queue))
    {
      guint n_starting;
      WorkerProcess *idle = executor_find_idle_worker (executor, &n_starting);
      GError *error = NULL;

      if (idle != NULL)
        {
          worker_start_call (idle, g_queue_pop_head (&executor->queue));
          continue;
        }

      if (n_starting >= executor->queue.length || executor->workers->len >= executor->max_workers)
        break;

      if (!g_main_context_is_owner (executor->context))
        {
          if (!executor->is_dispatch_posted)
            executor_post (executor, executor_dispatch_posted);
          executor->is_dispatch_posted = TRUE;
          break;
        }

      if (executor_spawn_worker (executor, &error) == NULL)
        {
          /* A command that cannot start will not start for the next call. */
          executor_fail_queue (executor, error);
          break;
        }
    }

  if (executor->is_stopping && !executor_is_busy (executor))
    {
      while (executor->workers->len > 0)
        worker_retire (g_ptr_array_index (executor->workers, 0), FALSE);
    }
}

static gboolean
call_cancelled (GCancellable *cancellable,
                gpointer      user_data)
{
  Call *call = user_data;
  ProcessExecutor *executor = call->executor;

  if (!executor_lock_for_source (executor))
    return G_SOURCE_REMOVE;

  if (call->worker != NULL)
    {
      call->cancelled = TRUE;
      worker_retire (call->worker, TRUE);
    }
  else
    {
      g_queue_remove (&executor->queue, call);
      aio_executor_pool_add_queued (executor->pool, -1);
      call_fail (call, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The call was cancelled.")));
      executor_dispatch (executor);
    }
  executor_unlock_and_return_calls (executor);

  return G_SOURCE_REMOVE;
}

/* Queues a call (under the executor's lock); when a worker is idle it
 * starts at once, from the caller's thread. */
static void
executor_accept_call (ProcessExecutor *executor,
                      Call            *call)
{
  GCancellable *cancellable = g_task_get_cancellable (call->task);

  if (cancellable != NULL)
    {
      call->cancel_source = aio_cancel_source_new (cancellable);
      g_source_set_callback (call->cancel_source, G_SOURCE_FUNC (call_cancelled),
                             call_ref (call), (GDestroyNotify) call_unref);
      g_source_attach (call->cancel_source, executor->context);
    }

  aio_executor_pool_add_queued (executor->pool, 1);
  g_queue_push_tail (&executor->queue, call);
  executor_dispatch (executor);
}

static gboolean
executor_begin_stop (gpointer  user_data)
{
  ProcessExecutor *executor = user_data;

  executor_lock (executor);
  executor->is_stopping = TRUE;
  if (!executor->drains)
    executor_fail_queue (executor, g_error_new (AIO_ERROR, AIO_ERROR_SHUT_DOWN,
                                                _("The process pool was shut down before the call ran.")));

  /* A caller may now wait for this thread: replies are read here only. */
  for (guint i = 0; i < executor->workers->len; i++)
    worker_set_home (g_ptr_array_index (executor->workers, i), NULL);

  executor_dispatch (executor);
  executor_unlock_and_return_calls (executor);

  return G_SOURCE_REMOVE;
}

static gboolean
executor_is_done (ProcessExecutor *executor)
{
  return executor->is_stopping && executor->workers->len == 0 && executor->n_reaps == 0 &&
         g_queue_is_empty (&executor->queue) && !executor->is_dispatch_posted;
}

static gpointer
executor_run (gpointer  user_data)
{
  ProcessExecutor *executor = user_data;

  g_main_context_push_thread_default (executor->context);
  /* Runs until it was told to stop and every worker has been reaped. */
  executor_lock (executor);
  while (!executor_is_done (executor))
    {
      g_mutex_unlock (&executor->lock);
      g_main_context_iteration (executor->context, TRUE);
      executor_lock (executor);
    }
  g_mutex_unlock (&executor->lock);
  g_main_context_pop_thread_default (executor->context);
  executor_unref (executor);

  return NULL;
}

static ProcessExecutor *
executor_new (AioProcessPool *self,
              guint           max_workers)
{
  ProcessExecutor *executor = g_new0 (ProcessExecutor, 1);

  executor->ref_count = 1;      /* its thread's */
  g_mutex_init (&executor->lock);
  executor->pool = AIO_EXECUTOR_POOL (self);
  executor->context = g_main_context_new ();
  executor->argv = g_strdupv (self->worker_argv);
  executor->max_workers = max_workers;
  executor->timeout_ms = self->call_timeout;
  executor->max_calls = self->max_calls;
  executor->workers = g_ptr_array_new ();
  executor->thread = g_thread_new ("aioext-process-pool", executor_run, executor);

  return executor;
}

/* AioProcessPool */

static guint
aio_process_pool_get_default_max_workers (AioExecutorPool *pool)
{
  return aio_get_cpu_cores ();
}

static void
aio_process_pool_start (AioExecutorPool *pool,
                        guint            max_workers)
{
  AioProcessPool *self = AIO_PROCESS_POOL (pool);

  g_assert (self->executor == NULL);
  self->executor = executor_new (self, max_workers);
}

/* Without waiting, queued calls fail at once and running ones finish on the
 * executor's own thread, which then reaps its workers and frees itself. */
static void
aio_process_pool_stop (AioExecutorPool *pool,
                       gboolean         wait)
{
  AioProcessPool *self = AIO_PROCESS_POOL (pool);
  ProcessExecutor *executor = g_steal_pointer (&self->executor);
  GThread *thread;

  if (executor == NULL)
    return;

  thread = executor->thread;
  /* Once the request is attached, the executor's thread may finish and
   * drop the executor and its context before executor_post() returns:
   * g_source_unref() would then lock a freed context. */
  executor_ref (executor);
  executor_lock (executor);
  executor->drains = wait;
  g_mutex_unlock (&executor->lock);
  executor_post (executor, executor_begin_stop);
  executor_unref (executor);

  if (wait)
    g_thread_join (thread);
  else
    g_thread_unref (thread);
}

static void
aio_process_pool_finalize (GObject *object)
{
  AioProcessPool *self = AIO_PROCESS_POOL (object);

  g_strfreev (self->worker_argv);

  G_OBJECT_CLASS (aio_process_pool_parent_class)->finalize (object);
}

static void
aio_process_pool_dispose (GObject *object)
{
  AioExecutorPool *pool = AIO_EXECUTOR_POOL (object);

  /* Calls in flight keep their callbacks; nothing new can arrive. */
  if (aio_executor_pool_is_initialized (pool))
    aio_executor_pool_shutdown (pool, FALSE);

  G_OBJECT_CLASS (aio_process_pool_parent_class)->dispose (object);
}

static void
aio_process_pool_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  AioProcessPool *self = AIO_PROCESS_POOL (object);

  switch (prop_id)
    {
    case PROP_CALL_TIMEOUT:
      g_value_set_uint (value, aio_process_pool_get_call_timeout (self));
      break;

    case PROP_MAX_CALLS_PER_WORKER:
      g_value_set_uint (value, aio_process_pool_get_max_calls_per_worker (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_process_pool_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  AioProcessPool *self = AIO_PROCESS_POOL (object);

  switch (prop_id)
    {
    case PROP_CALL_TIMEOUT:
      aio_process_pool_set_call_timeout (self, g_value_get_uint (value));
      break;

    case PROP_MAX_CALLS_PER_WORKER:
      aio_process_pool_set_max_calls_per_worker (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* A worker can die just as the pool writes it a call; the write then fails
 * with EPIPE and the read side reports the death. The SIGPIPE that comes
 * with it would kill the whole process instead, so it is ignored, as GIO's
 * GSocket does, unless the program installed a handler of its own. */
static void
ignore_sigpipe (void)
{
  struct sigaction action;

  if (sigaction (SIGPIPE, NULL, &action) == 0 && action.sa_handler == SIG_DFL)
    signal (SIGPIPE, SIG_IGN);
}

static void
aio_process_pool_class_init (AioProcessPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  AioExecutorPoolKind *pool_class = aio_executor_pool_class_get_kind (klass);

  ignore_sigpipe ();

  object_class->dispose = aio_process_pool_dispose;
  object_class->finalize = aio_process_pool_finalize;
  object_class->get_property = aio_process_pool_get_property;
  object_class->set_property = aio_process_pool_set_property;

  pool_class->get_default_max_workers = aio_process_pool_get_default_max_workers;
  pool_class->start = aio_process_pool_start;
  pool_class->stop = aio_process_pool_stop;

  /**
   * AioProcessPool:call-timeout:
   *
   * How long one call may run, in milliseconds, before its worker is killed
   * and the call fails with %AIO_ERROR_TIMED_OUT; 0 for no limit. Applies
   * from the next start of the pool.
   */
  properties[PROP_CALL_TIMEOUT] =
    g_param_spec_uint ("call-timeout", "Call timeout", "How long one call may run, in ms; 0 for no limit",
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * AioProcessPool:max-calls-per-worker:
   *
   * How many calls a worker runs before it is replaced by a fresh one, so
   * that long-lived workers cannot grow without bound; 0 for no limit.
   * Applies from the next start of the pool.
   */
  properties[PROP_MAX_CALLS_PER_WORKER] =
    g_param_spec_uint ("max-calls-per-worker", "Max calls per worker",
                       "Calls a worker runs before it is replaced; 0 for no limit",
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
aio_process_pool_init (AioProcessPool *self)
{
}

static char **
current_program_argv (void)
{
  g_autofree char *path = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { path, NULL };

  return path != NULL ? g_strdupv ((char **) argv) : NULL;
}

/**
 * aio_process_pool_new:
 * @max_workers: the most worker processes at once, at most %G_MAXINT; 0 for
 *   the number of CPU cores
 * @worker_argv: (array zero-terminated=1) (nullable): the command that
 *   starts a worker, or %NULL to re-execute the current program, which then
 *   must call aio_worker_run() when aio_worker_is_requested() says so
 *
 * Creates a process pool. No worker starts before the first call.
 *
 * Returns: (transfer full): a new #AioProcessPool
 */
AioProcessPool *
aio_process_pool_new (guint               max_workers,
                      const char * const *worker_argv)
{
  AioProcessPool *self;

  g_return_val_if_fail (max_workers <= G_MAXINT, NULL);
  g_return_val_if_fail (worker_argv == NULL || worker_argv[0] != NULL, NULL);

  self = g_object_new (AIO_TYPE_PROCESS_POOL, "max-workers", max_workers, NULL);
  self->worker_argv = worker_argv != NULL ? g_strdupv ((char **) worker_argv) : current_program_argv ();

  return self;
}

/**
 * aio_process_pool_get_default:
 *
 * The default process pool, the counterpart of aioextensions' `PROCESS_POOL`:
 * as many workers as CPU cores, each the current program re-executed in
 * worker mode. It starts on first use, and again on the next use after a
 * shutdown.
 *
 * Returns: (transfer none): the default #AioProcessPool
 */
AioProcessPool *
aio_process_pool_get_default (void)
{
  static AioProcessPool *default_pool;

  if (g_once_init_enter (&default_pool))
    {
      AioProcessPool *pool = aio_process_pool_new (0, NULL);

      aio_executor_pool_make_default (AIO_EXECUTOR_POOL (pool));
      g_once_init_leave (&default_pool, pool);
    }

  return default_pool;
}

/**
 * aio_process_pool_get_call_timeout:
 * @self: an #AioProcessPool
 *
 * See #AioProcessPool:call-timeout.
 *
 * Returns: the call timeout in milliseconds, 0 for none
 */
guint
aio_process_pool_get_call_timeout (AioProcessPool *self)
{
  guint timeout;

  g_return_val_if_fail (AIO_IS_PROCESS_POOL (self), 0);

  aio_executor_pool_lock (AIO_EXECUTOR_POOL (self));
  timeout = self->call_timeout;
  aio_executor_pool_unlock (AIO_EXECUTOR_POOL (self));

  return timeout;
}

/**
 * aio_process_pool_set_call_timeout:
 * @self: an #AioProcessPool
 * @timeout_ms: the call timeout in milliseconds, 0 for none
 *
 * See #AioProcessPool:call-timeout.
 */
void
aio_process_pool_set_call_timeout (AioProcessPool *self,
                                   guint           timeout_ms)
{
  g_return_if_fail (AIO_IS_PROCESS_POOL (self));

  aio_executor_pool_lock (AIO_EXECUTOR_POOL (self));
  self->call_timeout = timeout_ms;
  aio_executor_pool_unlock (AIO_EXECUTOR_POOL (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CALL_TIMEOUT]);
}

/**
 * aio_process_pool_get_max_calls_per_worker:
 * @self: an #AioProcessPool
 *
 * See #AioProcessPool:max-calls-per-worker.
 *
 * Returns: the calls a worker runs before it is replaced, 0 for no limit
 */
guint
aio_process_pool_get_max_calls_per_worker (AioProcessPool *self)
{
  guint max_calls;

  g_return_val_if_fail (AIO_IS_PROCESS_POOL (self), 0);

  aio_executor_pool_lock (AIO_EXECUTOR_POOL (self));
  max_calls = self->max_calls;
  aio_executor_pool_unlock (AIO_EXECUTOR_POOL (self));

  return max_calls;
}

/**
 * aio_process_pool_set_max_calls_per_worker:
 * @self: an #AioProcessPool
 * @max_calls: the calls a worker runs before it is replaced, 0 for no limit
 *
 * See #AioProcessPool:max-calls-per-worker.
 */
void
aio_process_pool_set_max_calls_per_worker (AioProcessPool *self,
                                           guint           max_calls)
{
  g_return_if_fail (AIO_IS_PROCESS_POOL (self));

  aio_executor_pool_lock (AIO_EXECUTOR_POOL (self));
  self->max_calls = max_calls;
  aio_executor_pool_unlock (AIO_EXECUTOR_POOL (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CALLS_PER_WORKER]);
}

/* Call ids only need to differ between the calls one worker is given. */
static guint64
call_id_next (void)
{
  static gsize last_call_id;

  return (guint64) (gsize) g_atomic_pointer_add (&last_call_id, 1) + 1;
}

static GBytes *
call_encode (Call     *call,
             GVariant *arguments)
{
  AioWireMessage message = {
    .kind = AIO_WIRE_CALL,
    .call_id = call->id,
    .function = call->function,
    .payload = arguments,
  };

  return aio_wire_encode (&message);
}

/**
 * aio_process_pool_call_async:
 * @self: an #AioProcessPool
 * @function: the name the worker registered the function under
 * @arguments: the arguments; a floating reference is sunk
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the outcome, in the caller's
 *   thread-default main context
 * @user_data: data for @callback
 *
 * Runs @function in a worker process, starting one if none is idle and the
 * pool is not full, or queues the call (FIFO).
 */
void
aio_process_pool_call_async (AioProcessPool      *self,
                             const char          *function,
                             GVariant            *arguments,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  AioExecutorPool *pool = AIO_EXECUTOR_POOL (self);
  g_autoptr(GVariant) owned_arguments = NULL;
  GError *error = NULL;
  GQueue finished;
  Call *call;

  g_return_if_fail (AIO_IS_PROCESS_POOL (self));
  g_return_if_fail (function != NULL && *function != '\0');
  g_return_if_fail (arguments != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  owned_arguments = g_variant_ref_sink (arguments);
  call = g_new0 (Call, 1);
  call->ref_count = 1;
  call->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (call->task, aio_process_pool_call_async);
  if (g_task_return_error_if_cancelled (call->task))
    {
      call_unref (call);
      return;
    }

  /* Encoded here, outside every lock: a large argument takes a while. */
  call->function = g_strdup (function);
  call->id = call_id_next ();
  call->frame = call_encode (call, owned_arguments);

  aio_executor_pool_lock (pool);
  if (!aio_executor_pool_ensure_started (pool, &error))
    {
      aio_executor_pool_unlock (pool);
      g_task_return_error (call->task, error);
      call_unref (call);
      return;
    }

  call->executor = executor_ref (self->executor);
  executor_lock (call->executor);
  executor_accept_call (call->executor, call);
  finished = executor_steal_finished (call->executor);
  g_mutex_unlock (&call->executor->lock);
  aio_executor_pool_unlock (pool);
  return_calls (&finished);
}

/**
 * aio_process_pool_call_finish:
 * @self: an #AioProcessPool
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_process_pool_call_async().
 *
 * Returns: (transfer full): the function's result, or %NULL with @error set
 */
GVariant *
aio_process_pool_call_finish (AioProcessPool  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (AIO_IS_PROCESS_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_process_pool_call_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  AioProcessPool *pool;
  char           *function;
  GVariant       *arguments;
} ProcessJob;

static void
process_job_free (gpointer  data)
{
  ProcessJob *process_job = data;

  g_object_unref (process_job->pool);
  g_free (process_job->function);
  g_variant_unref (process_job->arguments);
  g_free (process_job);
}

static void
process_job_done (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(AioJob) job = user_data;
  GError *error = NULL;
  g_autoptr(GVariant) value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &error);
  g_auto(GValue) job_value = G_VALUE_INIT;

  if (value == NULL)
    {
      aio_job_return_error (job, error);
      return;
    }

  g_value_init (&job_value, G_TYPE_VARIANT);
  g_value_set_variant (&job_value, value);
  aio_job_return_value (job, &job_value);
}

static void
process_job_start (AioJob       *job,
                   GCancellable *cancellable,
                   gpointer      user_data)
{
  ProcessJob *process_job = user_data;

  aio_process_pool_call_async (process_job->pool, process_job->function, process_job->arguments,
                               cancellable, process_job_done, g_object_ref (job));
}

/**
 * aio_process_pool_create_job:
 * @self: an #AioProcessPool
 * @function: the name the worker registered the function under
 * @arguments: the arguments; a floating reference is sunk
 *
 * Wraps one call as an #AioJob, to feed a collector, a semaphore or a rate
 * limiter. The job's value is a %G_TYPE_VARIANT holding the result.
 *
 * Returns: (transfer full): a new pending job
 */
AioJob *
aio_process_pool_create_job (AioProcessPool *self,
                             const char     *function,
                             GVariant       *arguments)
{
  ProcessJob *process_job;

  g_return_val_if_fail (AIO_IS_PROCESS_POOL (self), NULL);
  g_return_val_if_fail (function != NULL && *function != '\0', NULL);
  g_return_val_if_fail (arguments != NULL, NULL);

  process_job = g_new0 (ProcessJob, 1);
  process_job->pool = g_object_ref (self);
  process_job->function = g_strdup (function);
  process_job->arguments = g_variant_ref_sink (arguments);

  return aio_job_new (process_job_start, process_job, process_job_free);
}
