/* aio-process-pool.c: run named functions in a pool of worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "aio-error.h"
#include "aio-executor-pool-private.h"
#include "aio-i18n-private.h"
#include "aio-main.h"
#include "aio-process-pool.h"
#include "aio-process-pool-private.h"
#include "aio-thread-result-private.h"
#include "aio-wire-private.h"

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
 * way, while cancelling a queued call just removes it. A new worker that does
 * not become ready within #AioProcessPool:startup-timeout (30 seconds by
 * default) is killed too, and the call it was started for fails with
 * %AIO_ERROR_TIMED_OUT: a worker command that never greets cannot hold a
 * call for ever. Workers can be
 * recycled after a number of calls. When the pool's process dies, its
 * workers die too. Like GIO's #GSocket, the pool ignores SIGPIPE in its
 * process (unless the program handles it), so that a worker that dies as it
 * is given a call fails that call instead of killing the process.
 *
 * Calls work from any thread and any main context, including the private
 * one of aio_job_run_sync(); each callback runs in its caller's context.
 * A call made while a worker is idle is written from the caller's thread,
 * and its reply is read in the caller's context, so a round trip costs
 * about what a plain pipe's does. The pool's own thread starts, watches
 * and reaps the workers, runs timeouts and cancellations, and reads every
 * other reply; it also takes over the reading of a caller's replies
 * whenever a call waits for a worker, a call times out or is cancelled, or
 * the pool stops. So a context that never runs again (a thread that called
 * and left, a context nobody iterates) stalls no other caller, and a
 * finished call is never reported as timed out, while a call that merely
 * runs long costs the pool's thread no wake-up at all. The callback runs
 * when its context runs, or is dropped with it.
 *
 * After fork(), a pool that was started before the fork works in the
 * parent only: in the child every call fails with %AIO_ERROR_NOT_SUPPORTED,
 * saying so, even after a shutdown and a new initialization. The child
 * never touches the parent's thread or workers, and calls that were in
 * flight at the fork complete in the parent only (their callbacks never
 * run in the child). Starting afresh is not an option: GLib's own thread
 * that watches child processes for #GSubprocess is not copied by fork(),
 * so the child could never learn that a worker died. A program that forks
 * to run another program (exec) is not concerned; as with any GLib
 * program, fork while no other thread is inside the pool, since a lock
 * held at the fork stays held in the child.
 *
 * What a worker starts with: the pool's process's whole environment plus
 * `AIO_WORKER_FD` (the descriptor of its end of the pool's socket, 3), its
 * working folder, standard output and error; an empty standard input; no
 * other descriptor but, for the default command, 4 (the running program it
 * was started from); an empty signal mask and every signal at its default
 * action, whatever the thread that started the pool blocked or the
 * application ignores (SIGPIPE included); and, on Linux, SIGKILL when the
 * pool's process dies. A death the pool could not observe, because this
 * process ignores SIGCHLD or another part of it reaps children with
 * waitpid(), is reported as such instead of as an exit with status 0.
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

/**
 * AioProcessPool:
 *
 * A pool of worker processes that run named functions.
 */
struct _AioProcessPool
{
  AioExecutorPool     parent_instance;

  char              **worker_argv;
  int                 program_fd;         /* see current_program_argv() */
  guint               call_timeout;       /* executor pool lock */
  guint               startup_timeout;    /* executor pool lock */
  guint               max_calls;          /* executor pool lock */
  AioProcessExecutor *executor;           /* executor pool lock; not a reference: its thread holds it until stopped */
  GPid                started_by;         /* executor pool lock: the process that first started it */
};

enum {
  PROP_0,
  PROP_CALL_TIMEOUT,
  PROP_STARTUP_TIMEOUT,
  PROP_MAX_CALLS_PER_WORKER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define AIO_PROCESS_POOL_DEFAULT_STARTUP_TIMEOUT 30000

G_DEFINE_FINAL_TYPE (AioProcessPool, aio_process_pool, AIO_TYPE_EXECUTOR_POOL)

static guint
aio_process_pool_get_default_max_workers (AioExecutorPool *pool)
{
  return aio_get_cpu_cores ();
}

/* Whether this process was forked from the one that started the pool:
 * fork() copied the pool, but not its thread, and the workers are the
 * parent's; GLib's own worker thread, which watches child processes for
 * GSubprocess, is not copied either, so no new worker could be reaped. */
static gboolean
aio_process_pool_is_forked (AioProcessPool *self)
{
  return self->started_by != 0 && self->started_by != aio_process_current_pid ();
}

static void
aio_process_pool_start (AioExecutorPool *pool,
                        guint            max_workers)
{
  AioProcessPool *self = AIO_PROCESS_POOL (pool);

  g_assert (self->executor == NULL);
  if (aio_process_pool_is_forked (self))
    return;

  self->executor = aio_process_executor_new (pool, (const char * const *) self->worker_argv, self->program_fd,
                                             max_workers, self->call_timeout, self->startup_timeout,
                                             self->max_calls);
  self->started_by = aio_process_current_pid ();
}

/* In a forked child, forgets the parent's executor without touching it:
 * its memory is a copy whose lock a thread of the parent may have held at
 * the fork, and freeing it would close sockets and reap processes that are
 * the parent's. Its calls in flight end in the parent only. */
static void
aio_process_pool_forget_parent_executor (AioProcessPool *self)
{
  AioExecutorPool *pool = AIO_EXECUTOR_POOL (self);

  self->executor = NULL;
  aio_executor_pool_add_running (pool, -(int) aio_executor_pool_get_running (pool));
  aio_executor_pool_add_queued (pool, -(int) aio_executor_pool_get_queued (pool));
}

static void
aio_process_pool_stop (AioExecutorPool *pool,
                       AioExecutorStop  how)
{
  AioProcessPool *self = AIO_PROCESS_POOL (pool);

  if (self->executor != NULL && aio_process_pool_is_forked (self))
    aio_process_pool_forget_parent_executor (self);
  if (self->executor != NULL)
    aio_process_executor_stop (g_steal_pointer (&self->executor), how);
}

static GError *
aio_process_pool_forked_error (AioProcessPool *self)
{
  return g_error_new (AIO_ERROR, AIO_ERROR_NOT_SUPPORTED,
                      _("This process pool was started in process %d, and this process (%d) is a copy of it made by forking: the pool cannot run calls here, because its workers belong to the original process. Use the pool there, or start a new program in the copy."),
                      (int) self->started_by, (int) getpid ());
}

static void
aio_process_pool_finalize (GObject *object)
{
  AioProcessPool *self = AIO_PROCESS_POOL (object);

  g_strfreev (self->worker_argv);
  if (self->program_fd >= 0)
    close (self->program_fd);

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

    case PROP_STARTUP_TIMEOUT:
      g_value_set_uint (value, aio_process_pool_get_startup_timeout (self));
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

    case PROP_STARTUP_TIMEOUT:
      aio_process_pool_set_startup_timeout (self, g_value_get_uint (value));
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
   * AioProcessPool:startup-timeout:
   *
   * How long a new worker may take to become ready (to start and greet the
   * pool), in milliseconds, before it is killed and the call it was started
   * for fails with %AIO_ERROR_TIMED_OUT; 0 for no limit. The default, 30
   * seconds, leaves room for a slow interpreter on a loaded machine while
   * making sure that a worker command that is not a worker at all cannot
   * hold a call for ever. Applies from the next start of the pool.
   */
  properties[PROP_STARTUP_TIMEOUT] =
    g_param_spec_uint ("startup-timeout", "Startup timeout",
                       "How long a new worker may take to become ready, in ms; 0 for no limit",
                       0, G_MAXUINT, AIO_PROCESS_POOL_DEFAULT_STARTUP_TIMEOUT,
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
  self->program_fd = -1;
  self->startup_timeout = AIO_PROCESS_POOL_DEFAULT_STARTUP_TIMEOUT;
}

/* The running image itself, not the path it was started from: that file
 * may be deleted or replaced while the program runs (a package upgrade),
 * and a worker must speak the protocol of the program that started it.
 * Workers start from a descriptor of the image (AIO_WORKER_PROGRAM);
 * where /proc has none, from the path. */
static char **
current_program_argv (int *program_fd)
{
  g_autofree char *path = NULL;
  const char *argv[] = { AIO_WORKER_PROGRAM, NULL };

  *program_fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (*program_fd >= 0)
    return g_strdupv ((char **) argv);

  path = g_file_read_link ("/proc/self/exe", NULL);
  argv[0] = path;

  return path != NULL ? g_strdupv ((char **) argv) : NULL;
}

/**
 * aio_process_pool_new:
 * @max_workers: the most worker processes at once, at most %G_MAXINT; 0 for
 *   the number of CPU cores
 * @worker_argv: (array zero-terminated=1) (nullable): the command that
 *   starts a worker, or %NULL to re-execute the current program (its running
 *   image, through a descriptor of `/proc/self/exe`, so that deleting or
 *   replacing the program's file while it runs does not change what
 *   workers run), which
 *   then must call aio_worker_run() when aio_worker_is_requested() says so
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
  self->worker_argv = worker_argv != NULL ? g_strdupv ((char **) worker_argv) : current_program_argv (&self->program_fd);

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

/* The settings apply from the next start of the pool, which reads them
 * under the pool's lock. */
static guint
get_setting (AioProcessPool *self,
             guint          *setting)
{
  guint value;

  aio_executor_pool_lock (AIO_EXECUTOR_POOL (self));
  value = *setting;
  aio_executor_pool_unlock (AIO_EXECUTOR_POOL (self));

  return value;
}

static void
set_setting (AioProcessPool *self,
             guint          *setting,
             guint           value,
             guint           prop_id)
{
  aio_executor_pool_lock (AIO_EXECUTOR_POOL (self));
  *setting = value;
  aio_executor_pool_unlock (AIO_EXECUTOR_POOL (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
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
  g_return_val_if_fail (AIO_IS_PROCESS_POOL (self), 0);

  return get_setting (self, &self->call_timeout);
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

  set_setting (self, &self->call_timeout, timeout_ms, PROP_CALL_TIMEOUT);
}

/**
 * aio_process_pool_get_startup_timeout:
 * @self: an #AioProcessPool
 *
 * See #AioProcessPool:startup-timeout.
 *
 * Returns: the startup timeout in milliseconds, 0 for none
 */
guint
aio_process_pool_get_startup_timeout (AioProcessPool *self)
{
  g_return_val_if_fail (AIO_IS_PROCESS_POOL (self), 0);

  return get_setting (self, &self->startup_timeout);
}

/**
 * aio_process_pool_set_startup_timeout:
 * @self: an #AioProcessPool
 * @timeout_ms: the startup timeout in milliseconds, 0 for none
 *
 * See #AioProcessPool:startup-timeout.
 */
void
aio_process_pool_set_startup_timeout (AioProcessPool *self,
                                      guint           timeout_ms)
{
  g_return_if_fail (AIO_IS_PROCESS_POOL (self));

  set_setting (self, &self->startup_timeout, timeout_ms, PROP_STARTUP_TIMEOUT);
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
  g_return_val_if_fail (AIO_IS_PROCESS_POOL (self), 0);

  return get_setting (self, &self->max_calls);
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

  set_setting (self, &self->max_calls, max_calls, PROP_MAX_CALLS_PER_WORKER);
}

/* Call ids only need to differ between the calls one worker is given. */
static guint64
call_id_next (void)
{
  static gsize last_call_id;

  return (guint64) (gsize) g_atomic_pointer_add (&last_call_id, 1) + 1;
}

static void
call_encode (guint64       id,
             const char   *function,
             GVariant     *arguments,
             AioWireFrame *frame)
{
  AioWireMessage message = {
    .kind = AIO_WIRE_CALL,
    .call_id = id,
    .function = (char *) function,
    .payload = arguments,
  };

  aio_wire_encode_frame (&message, frame);
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
 *
 * A call that a worker would refuse fails with %AIO_ERROR_INVALID_ARGUMENT
 * before any worker sees it: a function name that is empty, longer than 256
 * bytes or not in UTF-8, or a call whose message (the name and the serialised
 * arguments) takes more than 64 MiB.
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
  AioProcessCall *call;

  g_return_if_fail (AIO_IS_PROCESS_POOL (self));
  g_return_if_fail (function != NULL);
  g_return_if_fail (arguments != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  owned_arguments = g_variant_ref_sink (arguments);
  call = aio_process_call_new (G_OBJECT (self), function, cancellable, callback, user_data);

  /* A call the worker would refuse is refused here, before any worker
   * sees it: the worker could only die of it. */
  if (g_cancellable_set_error_if_cancelled (cancellable, &error) ||
      !aio_wire_check_call (function, owned_arguments, &error))
    {
      aio_process_call_fail_later (call, error);
      return;
    }

  /* Encoded here, outside every lock: a large argument takes a while. */
  call->id = call_id_next ();
  call_encode (call->id, function, owned_arguments, &call->frame);

  aio_executor_pool_lock (pool);
  if (aio_executor_pool_ensure_started (pool, &error) && aio_process_pool_is_forked (self))
    {
      aio_process_pool_forget_parent_executor (self);
      error = aio_process_pool_forked_error (self);
    }
  if (error != NULL)
    {
      aio_executor_pool_unlock (pool);
      aio_process_call_fail_later (call, error);
      return;
    }

  finished = aio_process_executor_submit (self->executor, call);
  aio_executor_pool_unlock (pool);
  aio_process_calls_return (&finished, FALSE);
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
  g_return_val_if_fail (aio_thread_result_is_valid (result, self, aio_process_pool_call_async), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return aio_process_call_propagate (aio_thread_result_get_call ((AioThreadResult *) result), error);
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
  g_return_val_if_fail (function != NULL, NULL);
  g_return_val_if_fail (arguments != NULL, NULL);

  process_job = g_new0 (ProcessJob, 1);
  process_job->pool = g_object_ref (self);
  process_job->function = g_strdup (function);
  process_job->arguments = g_variant_ref_sink (arguments);

  return aio_job_new (process_job_start, process_job, process_job_free);
}
