/* aio-worker-process.c: the parent's handle on one worker child: spawn,
 * non-blocking I/O, reaping, and the words for its death
 *
 * The executor (aio-process-executor.c) gives a worker calls; the worker
 * tells it, through the hooks it was spawned with, when it can take one
 * (ready) and when it was reaped (gone). It never dispatches the queue.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
# include <sys/prctl.h>
#endif

#include <glib-unix.h>

#include "aio-error.h"
#include "aio-cancel-source-private.h"
#include "aio-i18n-private.h"
#include "aio-process-pool-private.h"
#include "aio-worker.h"

#define READ_CHUNK_SIZE    (64 * 1024)

static AioWorkerProcess *
worker_ref (AioWorkerProcess *worker)
{
  g_atomic_int_inc (&worker->ref_count);

  return worker;
}

void
aio_worker_process_unref (AioWorkerProcess *worker)
{
  if (!g_atomic_int_dec_and_test (&worker->ref_count))
    return;

  g_assert (worker->call == NULL && worker->reader == NULL && worker->writer == NULL &&
            worker->startup_timeout == NULL);
  aio_wire_frame_clear (&worker->outgoing);
  if (worker->fd >= 0)
    close (worker->fd);
  g_clear_object (&worker->process);
  g_clear_pointer (&worker->decoder, aio_wire_decoder_free);
  g_clear_error (&worker->protocol_error);
  g_free (worker->pid);
  aio_process_executor_unref (worker->executor);
  g_free (worker);
}

static gboolean
sigchld_is_ignored (void)
{
  struct sigaction action;

  return sigaction (SIGCHLD, NULL, &action) == 0 &&
         (action.sa_handler == SIG_IGN || (action.sa_flags & SA_NOCLDWAIT) != 0);
}

/* A worker is never told to leave while it runs a call or before it is
 * ready, so an exit status of 0 there is suspect: it is also what GLib
 * reports when it could not learn the status at all, because the system
 * reaped the child for us (SIGCHLD ignored) or the application's own
 * waitpid() took it. Such a death says so. */
static GError *
worker_unobserved_error (AioWorkerProcess *worker,
                         const char       *function)
{
  if (sigchld_is_ignored ())
    return function != NULL
      ? g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                     _("Worker process %s ended while running “%s”; how could not be observed, because this process ignores SIGCHLD."),
                     worker->pid, function)
      : g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                     _("Worker process %s ended before it was ready; how could not be observed, because this process ignores SIGCHLD."),
                     worker->pid);

  return function != NULL
    ? g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                   _("Worker process %s ended while running “%s”, with status 0 or in a way that could not be observed (another part of the program may have collected its exit status)."),
                   worker->pid, function)
    : g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                   _("Worker process %s ended before it was ready, with status 0 or in a way that could not be observed (another part of the program may have collected its exit status); check the pool's worker command."),
                   worker->pid);
}

/* With SIGCHLD ignored no status is real (GLib 2.74 reports 0, later ones
 * warn that waitid() failed and make one up). */
static gboolean
worker_death_was_unobserved (AioWorkerProcess *worker)
{
  GSubprocess *process = worker->process;

  if (sigchld_is_ignored ())
    return TRUE;
  if (g_subprocess_get_if_signaled (process))
    return FALSE;

  return !g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) == 0;
}

/* Why the call of a worker that is gone failed, in the caller's words, when
 * neither a timeout nor a cancellation killed it. */
GError *
aio_worker_process_death_error (AioWorkerProcess *worker,
                                const char       *function)
{
  GSubprocess *process = worker->process;

  if (worker->protocol_error != NULL)
    return g_error_new (AIO_ERROR, AIO_ERROR_PROTOCOL,
                        _("Worker process %s broke the protocol while running “%s”: %s"),
                        worker->pid, function, worker->protocol_error->message);

  if (worker_death_was_unobserved (worker))
    return worker_unobserved_error (worker, function);

  if (g_subprocess_get_if_signaled (process))
    {
      int signal_number = g_subprocess_get_term_sig (process);

      return g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                          _("Worker process %s was killed by signal %d (%s) while running “%s”."),
                          worker->pid, signal_number, g_strsignal (signal_number), function);
    }

  return g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                      _("Worker process %s exited with status %d while running “%s”."),
                      worker->pid, g_subprocess_get_exit_status (process), function);
}

GError *
aio_worker_process_startup_error (AioWorkerProcess *worker)
{
  GSubprocess *process = worker->process;

  if (worker->startup_timed_out)
    return g_error_new (AIO_ERROR, AIO_ERROR_TIMED_OUT,
                        _("Worker process %s did not become ready within %u ms and was stopped; check the pool's worker command."),
                        worker->pid, worker->executor->startup_timeout_ms);

  if (worker->protocol_error != NULL)
    return g_error_new (AIO_ERROR, AIO_ERROR_PROTOCOL,
                        _("Worker process %s broke the protocol before it was ready: %s"),
                        worker->pid, worker->protocol_error->message);

  if (worker_death_was_unobserved (worker))
    return worker_unobserved_error (worker, NULL);

  if (g_subprocess_get_if_signaled (process))
    return g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                        _("Worker process %s was killed by signal %d (%s) before it was ready."),
                        worker->pid, g_subprocess_get_term_sig (process),
                        g_strsignal (g_subprocess_get_term_sig (process)));

  return g_error_new (AIO_ERROR, AIO_ERROR_WORKER_DIED,
                      _("Worker process %s exited with status %d before it was ready; check the pool's worker command."),
                      worker->pid, g_subprocess_get_exit_status (process));
}

/* Whether the worker left without ever being usable: it never greeted,
 * or broke the protocol before it finished a single call. */
gboolean
aio_worker_process_never_served (AioWorkerProcess *worker)
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
  AioWorkerProcess *worker = user_data;
  AioProcessExecutor *executor = worker->executor;

  aio_process_executor_lock (executor);
  g_subprocess_wait_finish (worker->process, result, NULL);
  aio_worker_process_retire (worker, FALSE);
  worker->hooks->gone (worker, g_steal_pointer (&worker->call), executor);
  aio_process_executor_unlock (executor);
  aio_worker_process_unref (worker);
}

static gboolean worker_socket_ready (int fd, GIOCondition condition, gpointer user_data);
static void     worker_read         (AioWorkerProcess *worker);

static GSource *
worker_watch (AioWorkerProcess *worker,
              GMainContext     *context,
              GIOCondition      condition)
{
  GSource *source = g_unix_fd_source_new (worker->fd, condition);

  g_source_set_static_name (source, "[aioext] process pool worker");
  /* GLib takes a blocked source's descriptor out of the poll and puts it
   * back, waking its context twice per dispatch; the lock makes a
   * recursive dispatch harmless. */
  g_source_set_can_recurse (source, TRUE);
  g_source_set_callback (source, G_SOURCE_FUNC (worker_socket_ready), worker_ref (worker),
                         (GDestroyNotify) aio_worker_process_unref);
  g_source_attach (source, context);

  return source;
}

static void
worker_move_reader (AioWorkerProcess *worker,
                    GMainContext     *home)
{
  aio_source_drop (&worker->reader);
  g_clear_pointer (&worker->home, g_main_context_unref);
  worker->home = home != NULL ? g_main_context_ref (home) : NULL;
  worker->reader = worker_watch (worker, home != NULL ? home : worker->executor->context, G_IO_IN);
}

/* Makes @home the context where the worker's replies are read; %NULL or
 * the executor's context for the executor's. */
void
aio_worker_process_set_home (AioWorkerProcess *worker,
                             GMainContext     *home)
{
  if (home == worker->executor->context)
    home = NULL;
  if (home != worker->home && !worker->is_gone)
    worker_move_reader (worker, home);
}

/* Reads, in the executor's context, whatever the worker sent that its
 * home did not read, and reads there from now on. */
void
aio_worker_process_read_waiting (AioWorkerProcess *worker)
{
  if (worker->is_gone)
    return;

  aio_worker_process_set_home (worker, NULL);
  worker_read (worker);
}

/* The worker takes no call again: it is told to exit by the end of its
 * input (or killed when it cannot be trusted); its call, if any, fails once
 * it is reaped and the exit status is known. */
void
aio_worker_process_retire (AioWorkerProcess *worker,
                           gboolean          kill)
{
  if (kill)
    g_subprocess_force_exit (worker->process);
  if (worker->is_gone)
    return;

  worker->is_gone = TRUE;
  shutdown (worker->fd, SHUT_WR);
  g_clear_pointer (&worker->home, g_main_context_unref);
  aio_source_drop (&worker->reader);
  aio_source_drop (&worker->writer);
  aio_source_drop (&worker->startup_timeout);
  aio_wire_frame_clear (&worker->outgoing);
}

static void
worker_fail_protocol (AioWorkerProcess *worker,
                      GError           *error)
{
  if (worker->protocol_error == NULL)
    worker->protocol_error = error;
  else
    g_error_free (error);

  aio_worker_process_retire (worker, TRUE);
}

/* Sends what is left of the outgoing frame without blocking; the rest waits
 * for room in the socket, so that a worker that does not read cannot stall
 * the pool. Returns FALSE when the worker cannot take it any more. */
static gboolean
worker_write (AioWorkerProcess *worker)
{
  struct iovec vectors[AIO_WIRE_FRAME_MAX_PIECES];
  guint n_vectors;

  while ((n_vectors = aio_wire_frame_get_unsent (&worker->outgoing, worker->outgoing_sent, vectors)) > 0)
    {
      struct msghdr message = { .msg_iov = vectors, .msg_iovlen = n_vectors };
      gssize sent = sendmsg (worker->fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);

      if (sent < 0 && errno == EINTR)
        continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          if (worker->writer == NULL)
            worker->writer = worker_watch (worker, worker->executor->context, G_IO_OUT);
          return TRUE;
        }
      if (sent < 0)
        return FALSE;
      worker->outgoing_sent += sent;
    }

  aio_wire_frame_clear (&worker->outgoing);
  aio_source_drop (&worker->writer);

  return TRUE;
}

/* A worker that cannot take its call has died: the reap says how. */
static void
worker_send (AioWorkerProcess *worker)
{
  if (!worker_write (worker))
    aio_worker_process_retire (worker, FALSE);
}

/* Gives the worker @call and starts writing it; @home as for
 * aio_worker_process_set_home(). */
void
aio_worker_process_start_call (AioWorkerProcess *worker,
                               AioProcessCall   *call,
                               GMainContext     *home)
{
  worker->call = call;
  aio_worker_process_set_home (worker, home);
  worker->outgoing = call->frame;
  memset (&call->frame, 0, sizeof call->frame);
  worker->outgoing_sent = 0;
  worker_send (worker);
}

static void
worker_finish_call (AioWorkerProcess *worker,
                    AioWireMessage   *reply)
{
  AioProcessCall *call = worker->call;

  /* A reply before the whole call was sent answers a call not given yet. */
  if (call == NULL || reply->call_id != call->id || worker->outgoing.n_pieces > 0)
    {
      worker_fail_protocol (worker, g_error_new_literal (AIO_ERROR, AIO_ERROR_PROTOCOL,
                                                         _("it answered a call it was not given")));
      return;
    }

  worker->call = NULL;
  worker->calls_done++;
  worker->hooks->ready (worker, call, reply, worker->executor);
}

static void
worker_handle (AioWorkerProcess *worker,
               AioWireMessage   *message)
{
  switch (message->kind)
    {
    case AIO_WIRE_HELLO:
      if (worker->is_ready || message->version != AIO_WIRE_VERSION)
        worker_fail_protocol (worker, g_error_new (AIO_ERROR, AIO_ERROR_PROTOCOL,
                                                   _("it greeted with protocol version %u, not %u"),
                                                   message->version, AIO_WIRE_VERSION));
      else
        {
          worker->is_ready = TRUE;
          aio_source_drop (&worker->startup_timeout);
          worker->hooks->ready (worker, NULL, NULL, worker->executor);
        }
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
worker_handle_messages (AioWorkerProcess *worker)
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
worker_read (AioWorkerProcess *worker)
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
          aio_worker_process_retire (worker, FALSE);
          return;
        }

      aio_wire_decoder_commit (worker->decoder, length);
      if (!worker_handle_messages (worker) || (gsize) length < room)
        return;
    }
}

/* Runs @step for the worker's source now dispatching, under the lock,
 * unless the source was destroyed meanwhile. Returns FALSE, touching
 * nothing, in a child forked from the pool's process: a copy of the
 * source there (a caller's context is copied with the rest) would read the
 * replies meant for the parent, and lock a lock that only a thread of the
 * parent may hold. */
static gboolean
worker_run_step (AioWorkerProcess *worker,
                 void            (*step) (AioWorkerProcess *worker))
{
  AioProcessExecutor *executor;

  if (worker->executor->pid != aio_process_current_pid ())
    return FALSE;

  executor = aio_process_executor_ref (worker->executor);
  if (aio_process_executor_lock_for_source (executor))
    {
      step (worker);
      aio_process_executor_unlock (executor);
    }
  aio_process_executor_unref (executor);

  return TRUE;
}

static void
worker_serve_socket (AioWorkerProcess *worker)
{
  if (g_main_current_source () == worker->writer)
    worker_send (worker);
  else
    worker_read (worker);
}

/* The one callback of the worker's readers and its writer. */
static gboolean
worker_socket_ready (int           fd,
                     GIOCondition  condition,
                     gpointer      user_data)
{
  return worker_run_step (user_data, worker_serve_socket) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
worker_stop_starting (AioWorkerProcess *worker)
{
  worker->startup_timed_out = TRUE;
  aio_worker_process_retire (worker, TRUE);
}

static gboolean
worker_startup_timed_out (gpointer  user_data)
{
  worker_run_step (user_data, worker_stop_starting);

  return G_SOURCE_REMOVE;
}

/* A worker command that never greets (one that is not a worker at all,
 * or hangs while it loads) would hold the call it was started for until
 * it exits, whatever the call timeout says. */
static void
worker_arm_startup_timeout (AioWorkerProcess *worker)
{
  guint timeout_ms = worker->executor->startup_timeout_ms;

  if (timeout_ms == 0)
    return;

  worker->startup_timeout = g_timeout_source_new (timeout_ms);
  g_source_set_static_name (worker->startup_timeout, "[aioext] process pool worker start");
  g_source_set_callback (worker->startup_timeout, worker_startup_timed_out, worker_ref (worker),
                         (GDestroyNotify) aio_worker_process_unref);
  g_source_attach (worker->startup_timeout, worker->executor->context);
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void
worker_child_setup (gpointer  user_data)
{
  struct sigaction default_action = { .sa_handler = SIG_DFL };
  sigset_t no_signals;

  /* A worker starts as a program started from a shell would: the mask of
   * whichever thread started the pool, and the signals the application
   * ignores (SIGPIPE, which the pool itself ignores, among them), are not
   * the worker's business. Handlers are reset by exec already. */
  sigemptyset (&no_signals);
  sigprocmask (SIG_SETMASK, &no_signals, NULL);
  for (int signal_number = 1; signal_number < NSIG; signal_number++)
    if (signal_number != SIGKILL && signal_number != SIGSTOP)
      sigaction (signal_number, &default_action, NULL);

#ifdef __linux__
  /* Armed before exec: the worker dies with the pool's thread. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

/* Starts a worker for @executor, from the executor's thread (so that it is
 * watched there), under the executor's lock. */
AioWorkerProcess *
aio_worker_process_spawn (AioProcessExecutor           *executor,
                          const AioWorkerProcessHooks  *hooks,
                          GError                      **error)
{
  /* Workers read nothing from standard input: an empty pipe makes an
   * interpreter started without a script exit at once instead of waiting
   * on the terminal. */
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autofree char *fd_text = g_strdup_printf ("%d", AIO_WORKER_SOCKET_FD);
  AioWorkerProcess *worker;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create a socket for a worker process: %s"), g_strerror (saved_errno));
      return NULL;
    }

  g_subprocess_launcher_take_fd (launcher, fds[1], AIO_WORKER_SOCKET_FD);
  if (executor->program_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, fcntl (executor->program_fd, F_DUPFD_CLOEXEC, 0),
                                   AIO_WORKER_PROGRAM_FD);
  g_subprocess_launcher_setenv (launcher, AIO_WORKER_FD_VARIABLE, fd_text, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, worker_child_setup, NULL, NULL);

  worker = g_new0 (AioWorkerProcess, 1);
  worker->ref_count = 1;
  worker->executor = aio_process_executor_ref (executor);
  worker->hooks = hooks;
  worker->fd = fds[0];
  worker->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) executor->argv, error);
  if (worker->process == NULL)
    {
      g_prefix_error (error, _("Could not start a worker process: "));
      aio_worker_process_unref (worker);
      return NULL;
    }

  g_output_stream_close (g_subprocess_get_stdin_pipe (worker->process), NULL, NULL);
  worker->pid = g_strdup (g_subprocess_get_identifier (worker->process));
  worker->decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  worker_move_reader (worker, NULL);
  worker_arm_startup_timeout (worker);
  g_subprocess_wait_async (worker->process, NULL, worker_reaped, worker_ref (worker));

  return worker;
}
