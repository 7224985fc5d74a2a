/* aio-process-pool.c: run named functions in a pool of worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
# include <signal.h>
# include <sys/prctl.h>
#endif

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "aio-error.h"
#include "aio-executor-pool-private.h"
#include "aio-i18n-private.h"
#include "aio-main.h"
#include "aio-process-pool.h"
#include "aio-wire-private.h"
#include "aio-worker.h"

/**
 * SECTION:aio-process-pool
 * @title: AioProcessPool
 * @short_description: run CPU-bound work in worker processes
 * @include: aioext.h
 *
 * An #AioProcessPool runs named functions in separate worker processes, so
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
 * workers die too.
 *
 * The pool does its I/O on a thread of its own, so calls work from any
 * thread and any main context, including the private one of
 * aio_job_run_sync(); each callback runs in its caller's context.
 *
 * |[<!-- language="C" -->
 * // In main(), before anything else: the same binary serves as worker.
 * aio_worker_register (worker, "fibonacci", G_VARIANT_TYPE ("(u)"), fibonacci, NULL, NULL);
 * if (aio_worker_is_requested ())
 *   return aio_worker_run (worker);
 * ...
 * aio_process_pool_call_async (aio_process_pool_get_default (), "fibonacci",
 *                              g_variant_new ("(u)", 35), NULL, on_done, NULL);
 * ]|
 *
 * From Python (with a worker script that registers the functions):
 * |[<!-- language="Python" -->
 * pool = Aio.ProcessPool.new(0, ['/usr/bin/python3', 'worker.py'])
 * pool.call_async('fibonacci', GLib.Variant('(u)', (35,)), None, on_done)
 * ]|
 *
 * From JavaScript:
 * |[<!-- language="JavaScript" -->
 * const pool = Aio.ProcessPool.new(0, ['gjs', '-m', 'worker.js']);
 * const result = await pool.call_async('fibonacci', new GLib.Variant('(u)', [35]), null);
 * ]|
 *
 * From Vala:
 * |[<!-- language="Vala" -->
 * var result = yield Aio.ProcessPool.get_default ().call ("fibonacci", new Variant ("(u)", 35), null);
 * ]|
 */

#define WORKER_FD          3
#define READ_CHUNK_SIZE    (64 * 1024)

typedef struct _Executor Executor;
typedef struct _Worker Worker;

typedef struct
{
  GTask    *task;
  char     *function;
  GVariant *arguments;
  guint64   id;
  Executor *executor;
  Worker   *worker;          /* while running */
  GSource  *cancel_source;
  gulong    cancel_wait_id;  /* see call_wait_out_cancellation() */
  GSource  *timeout_source;
  gboolean  timed_out;
  gboolean  cancelled;
} Call;

struct _Worker
{
  gint            ref_count;
  Executor       *executor;
  GSubprocess    *process;
  char           *pid;         /* kept: GSubprocess forgets it once reaped */
  int             fd;
  GInputStream   *input;
  GOutputStream  *output;
  AioWireDecoder *decoder;
  Call           *call;
  GError         *protocol_error;
  guint           calls_done;
  gboolean        is_ready;
  gboolean        is_gone;     /* out of the executor's list */
};

/* One started pool: lives on its own thread, which frees it when done. All
 * fields but the submission ones are touched on that thread only. */
struct _Executor
{
  AioExecutorPool *pool;       /* not owned; outlives the executor's use */
  GMainContext    *context;
  GThread         *thread;
  char           **argv;
  guint            max_workers;
  guint            timeout_ms;
  guint            max_calls;

  GQueue           queue;      /* Call, waiting */
  GPtrArray       *workers;    /* Worker */
  guint64          next_call_id;
  guint            n_pending;  /* reads and reaps in flight */
  gboolean         is_stopping;
  gboolean         drains;
  gboolean         is_finished;
};

/**
 * AioProcessPool:
 *
 * A pool of worker processes that run named functions.
 */
struct _AioProcessPool
{
  AioExecutorPool  parent_instance;

  char           **worker_argv;
  guint            call_timeout;       /* executor pool lock */
  guint            max_calls;          /* executor pool lock */
  Executor        *executor;           /* executor pool lock */
};

enum {
  PROP_0,
  PROP_CALL_TIMEOUT,
  PROP_MAX_CALLS_PER_WORKER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AioProcessPool, aio_process_pool, AIO_TYPE_EXECUTOR_POOL)

static void executor_dispatch (Executor *executor);
static void worker_read_more (Worker *worker);

/* Calls */

static void
call_on_cancel_emitted (GCancellable *cancellable,
                        gpointer      user_data)
{
}

/* GLib 2.74 leaks a GCancellableSource disposed while another thread is
 * inside g_cancellable_cancel() for its cancellable: dispose takes a
 * reference that only the source's "cancelled" handler drops, then
 * disconnects that handler. g_cancellable_disconnect() of a handler of our
 * own returns only once no such emission runs, so the source's last
 * reference can go safely afterwards. */
static void
call_wait_out_cancellation (Call *call)
{
  gulong id = call->cancel_wait_id;

  call->cancel_wait_id = 0;
  if (id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (call->task), id);
}

static void
call_free (Call *call)
{
  call_wait_out_cancellation (call);
  if (call->cancel_source != NULL)
    {
      g_source_destroy (call->cancel_source);
      g_source_unref (call->cancel_source);
    }
  if (call->timeout_source != NULL)
    {
      g_source_destroy (call->timeout_source);
      g_source_unref (call->timeout_source);
    }
  g_clear_object (&call->task);
  g_free (call->function);
  g_variant_unref (call->arguments);
  g_free (call);
}

static void
call_return_error (Call   *call,
                   GError *error)
{
  g_task_return_error (call->task, error);
  call_free (call);
}

static void
call_return_result (Call     *call,
                    GVariant *result)
{
  g_task_return_pointer (call->task, g_variant_ref (result), (GDestroyNotify) g_variant_unref);
  call_free (call);
}

/* Workers */

static Worker *
worker_ref (Worker *worker)
{
  g_atomic_int_inc (&worker->ref_count);

  return worker;
}

static void
worker_unref (Worker *worker)
{
  if (!g_atomic_int_dec_and_test (&worker->ref_count))
    return;

  g_assert (worker->call == NULL);
  g_clear_object (&worker->input);
  g_clear_object (&worker->output);
  if (worker->fd >= 0)
    close (worker->fd);
  g_clear_object (&worker->process);
  g_clear_pointer (&worker->decoder, aio_wire_decoder_free);
  g_clear_error (&worker->protocol_error);
  g_free (worker->pid);
  g_free (worker);
}

static const char *
worker_pid (Worker *worker)
{
  return worker->pid;
}

/* Why the call of a worker that is gone failed, in the caller's words. */
static GError *
worker_death_error (Worker *worker,
                    Call   *call)
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
worker_startup_error (Worker *worker)
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

static void
worker_reaped (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Worker *worker = user_data;
  Executor *executor = worker->executor;
  Call *call = g_steal_pointer (&worker->call);

  g_subprocess_wait_finish (worker->process, result, NULL);
  executor->n_pending--;

  if (call != NULL)
    {
      aio_executor_pool_add_running (executor->pool, -1);
      call_return_error (call, worker_death_error (worker, call));
    }
  else if (!worker->is_ready && !executor->is_stopping && !g_queue_is_empty (&executor->queue))
    {
      /* A worker command that dies before it greets would otherwise be
       * restarted forever for the same call: fail the call it was for. */
      aio_executor_pool_add_queued (executor->pool, -1);
      call_return_error (g_queue_pop_head (&executor->queue), worker_startup_error (worker));
    }

  worker_unref (worker);
  executor_dispatch (executor);
}

/* The worker leaves the pool: it is told to exit by closing its socket (or
 * killed when it cannot be trusted), then reaped. Its call, if any, fails
 * once the exit status is known. */
static void
worker_retire (Worker   *worker,
               gboolean  kill)
{
  Executor *executor = worker->executor;

  if (worker->is_gone)
    {
      if (kill)
        g_subprocess_force_exit (worker->process);
      return;
    }

  worker->is_gone = TRUE;
  g_ptr_array_remove_fast (executor->workers, worker);

  if (kill)
    g_subprocess_force_exit (worker->process);
  if (worker->fd >= 0)
    shutdown (worker->fd, SHUT_WR);

  executor->n_pending++;
  g_subprocess_wait_async (worker->process, NULL, worker_reaped, worker_ref (worker));
  worker_unref (worker);
}

static void
worker_fail_protocol (Worker *worker,
                      GError *error)
{
  if (worker->protocol_error == NULL)
    worker->protocol_error = error;
  else
    g_error_free (error);

  worker_retire (worker, TRUE);
}

static gboolean
worker_send (Worker               *worker,
             const AioWireMessage *message,
             GError              **error)
{
  g_autoptr(GBytes) frame = aio_wire_encode (message);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  return g_output_stream_write_all (worker->output, data, size, NULL, NULL, error);
}

static gboolean
call_timed_out (gpointer user_data)
{
  Call *call = user_data;

  call->timed_out = TRUE;
  g_clear_pointer (&call->timeout_source, g_source_unref);
  worker_retire (call->worker, TRUE);

  return G_SOURCE_REMOVE;
}

static void
worker_start_call (Worker *worker,
                   Call   *call)
{
  Executor *executor = worker->executor;
  AioWireMessage message = {
    .kind = AIO_WIRE_CALL,
    .call_id = call->id,
    .function = call->function,
    .payload = call->arguments,
  };
  GError *error = NULL;

  worker->call = call;
  call->worker = worker;
  aio_executor_pool_add_queued (executor->pool, -1);
  aio_executor_pool_add_running (executor->pool, 1);

  if (executor->timeout_ms > 0)
    {
      call->timeout_source = g_timeout_source_new (executor->timeout_ms);
      g_source_set_static_name (call->timeout_source, "[aioext] process call timeout");
      g_source_set_callback (call->timeout_source, call_timed_out, call, NULL);
      g_source_attach (call->timeout_source, executor->context);
    }

  /* A worker that cannot take the call has died: the read side sees it. */
  if (!worker_send (worker, &message, &error))
    {
      g_debug ("Could not send a call to worker process %s: %s", worker_pid (worker), error->message);
      g_error_free (error);
    }
}

static void
worker_finish_call (Worker         *worker,
                    AioWireMessage *reply)
{
  Executor *executor = worker->executor;
  Call *call = worker->call;

  if (call == NULL || reply->call_id != call->id)
    {
      worker_fail_protocol (worker, g_error_new_literal (AIO_ERROR, AIO_ERROR_PROTOCOL,
                                                         _("it answered a call it was not given")));
      return;
    }

  worker->call = NULL;
  worker->calls_done++;
  aio_executor_pool_add_running (executor->pool, -1);

  if (reply->kind == AIO_WIRE_RESULT)
    call_return_result (call, reply->payload);
  else
    call_return_error (call, g_steal_pointer (&reply->error));

  if (executor->max_calls > 0 && worker->calls_done >= executor->max_calls)
    worker_retire (worker, FALSE);
}

static void
worker_handle (Worker         *worker,
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

static void
worker_read_done (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Worker *worker = user_data;
  Executor *executor = worker->executor;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (worker->input, result, NULL);
  GError *error = NULL;
  AioWireMessage message;
  gsize size = 0;
  const guint8 *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  executor->n_pending--;
  if (size == 0 || worker->is_gone)
    {
      /* End of file: the worker exited or was killed. */
      worker_retire (worker, FALSE);
      worker_unref (worker);
      executor_dispatch (executor);
      return;
    }

  aio_wire_decoder_feed (worker->decoder, data, size);
  while (!worker->is_gone && aio_wire_decoder_next (worker->decoder, &message, &error))
    {
      worker_handle (worker, &message);
      aio_wire_message_clear (&message);
    }
  if (error != NULL)
    worker_fail_protocol (worker, error);

  if (!worker->is_gone)
    worker_read_more (worker);
  worker_unref (worker);
  executor_dispatch (executor);
}

static void
worker_read_more (Worker *worker)
{
  worker->executor->n_pending++;
  g_input_stream_read_bytes_async (worker->input, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT, NULL,
                                   worker_read_done, worker_ref (worker));
}

#ifdef __linux__
static void
worker_child_setup (gpointer user_data)
{
  /* Armed before exec: the worker dies with the pool's thread. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}
#endif

static Worker *
executor_spawn_worker (Executor  *executor,
                       GError   **error)
{
  /* Workers read nothing from standard input: an empty pipe makes an
   * interpreter started without a script exit at once instead of waiting
   * on the terminal. */
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autofree char *fd_text = g_strdup_printf ("%d", WORKER_FD);
  Worker *worker;
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

  worker = g_new0 (Worker, 1);
  worker->ref_count = 1;
  worker->executor = executor;
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
  worker->input = g_unix_input_stream_new (worker->fd, FALSE);
  worker->output = g_unix_output_stream_new (worker->fd, FALSE);
  worker->decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  g_ptr_array_add (executor->workers, worker);
  worker_read_more (worker);

  return worker;
}

static Worker *
executor_find_idle_worker (Executor *executor,
                           guint    *n_starting)
{
  *n_starting = 0;

  for (guint i = 0; i < executor->workers->len; i++)
    {
      Worker *worker = g_ptr_array_index (executor->workers, i);

      if (!worker->is_ready)
        (*n_starting)++;
      else if (worker->call == NULL)
        return worker;
    }

  return NULL;
}

static void
executor_fail_queue (Executor *executor,
                     GError   *error)
{
  Call *call;

  while ((call = g_queue_pop_head (&executor->queue)) != NULL)
    {
      aio_executor_pool_add_queued (executor->pool, -1);
      call_return_error (call, g_error_copy (error));
    }
  g_error_free (error);
}

static gboolean
executor_is_busy (Executor *executor)
{
  for (guint i = 0; i < executor->workers->len; i++)
    if (((Worker *) g_ptr_array_index (executor->workers, i))->call != NULL)
      return TRUE;

  return !g_queue_is_empty (&executor->queue);
}

/* Hands queued calls to idle workers, and starts workers, one per call that
 * no idle or starting worker will take, up to the size of the pool. */
static void
executor_dispatch (Executor *executor)
{
  while (!g_queue_is_empty (&executor->queue))
    {
      guint n_starting;
      Worker *idle = executor_find_idle_worker (executor, &n_starting);
      GError *error = NULL;

      if (idle != NULL)
        {
          worker_start_call (idle, g_queue_pop_head (&executor->queue));
          continue;
        }

      if (n_starting >= executor->queue.length || executor->workers->len >= executor->max_workers)
        break;

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
  Executor *executor = call->executor;

  call_wait_out_cancellation (call);
  g_clear_pointer (&call->cancel_source, g_source_unref);

  if (call->worker != NULL)
    {
      call->cancelled = TRUE;
      worker_retire (call->worker, TRUE);
      return G_SOURCE_REMOVE;
    }

  g_queue_remove (&executor->queue, call);
  aio_executor_pool_add_queued (executor->pool, -1);
  call_return_error (call, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The call was cancelled.")));
  executor_dispatch (executor);

  return G_SOURCE_REMOVE;
}

static gboolean
executor_accept_call (gpointer user_data)
{
  Call *call = user_data;
  Executor *executor = call->executor;
  GCancellable *cancellable = g_task_get_cancellable (call->task);

  if (g_cancellable_is_cancelled (cancellable))
    {
      aio_executor_pool_add_queued (executor->pool, -1);
      call_return_error (call, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The call was cancelled.")));
      return G_SOURCE_REMOVE;
    }

  if (cancellable != NULL)
    {
      call->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (call->cancel_source, G_SOURCE_FUNC (call_cancelled), call, NULL);
      g_source_attach (call->cancel_source, executor->context);
      call->cancel_wait_id = g_signal_connect (cancellable, "cancelled",
                                               G_CALLBACK (call_on_cancel_emitted), NULL);
    }

  call->id = ++executor->next_call_id;
  g_queue_push_tail (&executor->queue, call);
  executor_dispatch (executor);

  return G_SOURCE_REMOVE;
}

static void
executor_post (Executor    *executor,
               GSourceFunc  func,
               gpointer     data)
{
  /* An idle source, not g_main_context_invoke(), which could run @func on
   * the caller's thread before the executor's thread owns its context. */
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[aioext] process pool request");
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, executor->context);
  g_source_unref (source);
}

static gboolean
executor_begin_stop (gpointer user_data)
{
  Executor *executor = user_data;

  executor->is_stopping = TRUE;
  if (!executor->drains)
    executor_fail_queue (executor, g_error_new (AIO_ERROR, AIO_ERROR_SHUT_DOWN,
                                                _("The process pool was shut down before the call ran.")));
  executor_dispatch (executor);

  return G_SOURCE_REMOVE;
}

static void
executor_free (Executor *executor)
{
  g_ptr_array_unref (executor->workers);
  g_strfreev (executor->argv);
  g_main_context_unref (executor->context);
  g_free (executor);
}

static gpointer
executor_run (gpointer user_data)
{
  Executor *executor = user_data;

  g_main_context_push_thread_default (executor->context);
  /* Runs until it was told to stop and every worker has been reaped. */
  while (!executor->is_stopping || executor->workers->len > 0 || executor->n_pending > 0)
    g_main_context_iteration (executor->context, TRUE);
  g_main_context_pop_thread_default (executor->context);
  executor_free (executor);

  return NULL;
}

static Executor *
executor_new (AioProcessPool *self,
              guint           max_workers)
{
  Executor *executor = g_new0 (Executor, 1);

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
  Executor *executor = g_steal_pointer (&self->executor);
  GThread *thread;

  if (executor == NULL)
    return;

  thread = executor->thread;
  executor->drains = wait;
  executor_post (executor, executor_begin_stop, executor);

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

static void
aio_process_pool_class_init (AioProcessPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  AioExecutorPoolClass *pool_class = AIO_EXECUTOR_POOL_CLASS (klass);

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
 * @max_workers: the most worker processes at once; 0 for the number of CPU
 *   cores
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
  g_autoptr(GTask) task = NULL;
  g_autoptr(GVariant) owned_arguments = NULL;
  GError *error = NULL;
  Call *call;

  g_return_if_fail (AIO_IS_PROCESS_POOL (self));
  g_return_if_fail (function != NULL && *function != '\0');
  g_return_if_fail (arguments != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  owned_arguments = g_variant_ref_sink (arguments);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, aio_process_pool_call_async);

  aio_executor_pool_lock (pool);
  if (!aio_executor_pool_ensure_started (pool, &error))
    {
      aio_executor_pool_unlock (pool);
      g_task_return_error (task, error);
      return;
    }

  call = g_new0 (Call, 1);
  call->task = g_object_ref (task);
  call->function = g_strdup (function);
  call->arguments = g_steal_pointer (&owned_arguments);
  call->executor = self->executor;
  aio_executor_pool_add_queued (pool, 1);
  executor_post (self->executor, executor_accept_call, call);
  aio_executor_pool_unlock (pool);
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
} JobCall;

static void
job_call_free (gpointer data)
{
  JobCall *job_call = data;

  g_object_unref (job_call->pool);
  g_free (job_call->function);
  g_variant_unref (job_call->arguments);
  g_free (job_call);
}

static void
job_call_done (GObject      *source_object,
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
job_call_start (AioJob       *job,
                GCancellable *cancellable,
                gpointer      user_data)
{
  JobCall *job_call = user_data;

  aio_process_pool_call_async (job_call->pool, job_call->function, job_call->arguments,
                               cancellable, job_call_done, g_object_ref (job));
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
  JobCall *job_call;

  g_return_val_if_fail (AIO_IS_PROCESS_POOL (self), NULL);
  g_return_val_if_fail (function != NULL && *function != '\0', NULL);
  g_return_val_if_fail (arguments != NULL, NULL);

  job_call = g_new0 (JobCall, 1);
  job_call->pool = g_object_ref (self);
  job_call->function = g_strdup (function);
  job_call->arguments = g_variant_ref_sink (arguments);

  return aio_job_new (job_call_start, job_call, job_call_free);
}
