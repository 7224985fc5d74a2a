/* aio-worker.c: the worker side of a process pool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
# include <sys/prctl.h>
#endif

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "aio-error.h"
#include "aio-i18n-private.h"
#include "aio-wire-private.h"
#include "aio-worker.h"

/**
 * SECTION:aio-worker
 * @title: AioWorker
 * @short_description: the worker side of a process pool
 * @include: aioext.h
 *
 * An AioWorker is what runs inside a worker process of an #AioProcessPool:
 * it holds named functions and serves the calls its pool sends over a
 * socket, one at a time, until the pool closes the socket. Arguments and
 * results are #GVariant values; a function's #GError reaches the caller with
 * domain, code and message intact. docs/worker-protocol.md describes the
 * bytes on the socket.
 *
 * A C or Vala program can be its own worker: when aio_worker_is_requested()
 * says the pool started it, it registers its functions and calls
 * aio_worker_run() first thing in main(). A Python or JavaScript worker is a
 * script of its own, as in the examples below; programs that only load
 * functions from a shared module can use the installed `aioext-worker`.
 *
 * The programs below are examples/cpu-bound.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-process-pool] tells what
 * each language gets.
 *
 * <example id="AioWorker-example-c">
 * <title>C: <filename>examples/cpu-bound.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-cpu-bound.c"/></programlisting>
 * </example>
 * <example id="AioWorker-example-py">
 * <title>Python: <filename>examples/cpu-bound-worker.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-cpu-bound-worker.py"/></programlisting>
 * </example>
 * <example id="AioWorker-example-js">
 * <title>JavaScript (GJS): <filename>examples/cpu-bound-worker.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-cpu-bound-worker.js"/></programlisting>
 * </example>
 * <example id="AioWorker-example-vala">
 * <title>Vala: <filename>examples/cpu-bound.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-cpu-bound.vala"/></programlisting>
 * </example>
 */

/**
 * AioWorker:
 *
 * The functions a worker process offers, and the loop that serves them.
 */
struct _AioWorker
{
  GObject     parent_instance;
  GHashTable *functions;   /* name → Registration */
};

typedef struct
{
  GVariantType   *argument_type;
  AioWorkerFunc   func;
  gpointer        user_data;
  GDestroyNotify  user_data_destroy;
} Registration;

G_DEFINE_FINAL_TYPE (AioWorker, aio_worker, G_TYPE_OBJECT)

#define READ_CHUNK_SIZE (64 * 1024)

static void
registration_free (gpointer data)
{
  Registration *registration = data;

  g_clear_pointer (&registration->argument_type, g_variant_type_free);
  if (registration->user_data_destroy != NULL)
    registration->user_data_destroy (registration->user_data);
  g_free (registration);
}

static void
aio_worker_finalize (GObject *object)
{
  AioWorker *self = AIO_WORKER (object);

  g_hash_table_unref (self->functions);

  G_OBJECT_CLASS (aio_worker_parent_class)->finalize (object);
}

static void
aio_worker_class_init (AioWorkerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = aio_worker_finalize;
}

static void
aio_worker_init (AioWorker *self)
{
  self->functions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, registration_free);
}

/**
 * aio_worker_new: (constructor)
 *
 * Creates a worker with no functions.
 *
 * Returns: (transfer full): a new #AioWorker
 */
AioWorker *
aio_worker_new (void)
{
  return g_object_new (AIO_TYPE_WORKER, NULL);
}

/**
 * aio_worker_register:
 * @self: an #AioWorker
 * @name: the name callers use
 * @argument_type: (nullable): the type the arguments must have, or %NULL to
 *   accept any
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy):
 *   the function
 * @user_data: data for @func
 * @user_data_destroy: (nullable): frees @user_data with the worker
 *
 * Offers @func under @name. A call whose arguments are not of
 * @argument_type fails with %AIO_ERROR_INVALID_ARGUMENT without running
 * @func. Registering a name again replaces the earlier function.
 */
void
aio_worker_register (AioWorker          *self,
                     const char         *name,
                     const GVariantType *argument_type,
                     AioWorkerFunc       func,
                     gpointer            user_data,
                     GDestroyNotify      user_data_destroy)
{
  Registration *registration;

  g_return_if_fail (AIO_IS_WORKER (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (func != NULL);

  registration = g_new0 (Registration, 1);
  registration->argument_type = argument_type != NULL ? g_variant_type_copy (argument_type) : NULL;
  registration->func = func;
  registration->user_data = user_data;
  registration->user_data_destroy = user_data_destroy;
  g_hash_table_replace (self->functions, g_strdup (name), registration);
}

/**
 * aio_worker_has_function:
 * @self: an #AioWorker
 * @name: a function name
 *
 * Whether a function is registered under @name.
 *
 * Returns: %TRUE when @name is registered
 */
gboolean
aio_worker_has_function (AioWorker  *self,
                         const char *name)
{
  g_return_val_if_fail (AIO_IS_WORKER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return g_hash_table_contains (self->functions, name);
}

/* Runs one call and fills @reply with its RESULT or ERROR. */
static void
aio_worker_dispatch (AioWorker      *self,
                     AioWireMessage *call,
                     GCancellable   *cancellable,
                     AioWireMessage *reply)
{
  Registration *registration = g_hash_table_lookup (self->functions, call->function);
  GError *error = NULL;
  GVariant *result;

  reply->call_id = call->call_id;
  reply->kind = AIO_WIRE_ERROR;

  if (registration == NULL)
    {
      reply->error = g_error_new (AIO_ERROR, AIO_ERROR_UNKNOWN_FUNCTION,
                                  _("The worker has no function named “%s”."), call->function);
      return;
    }

  if (registration->argument_type != NULL &&
      !g_variant_is_of_type (call->payload, registration->argument_type))
    {
      g_autofree char *expected = g_variant_type_dup_string (registration->argument_type);

      reply->error = g_error_new (AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                                  _("The function “%s” takes arguments of type “%s”, not “%s”."),
                                  call->function, expected, g_variant_get_type_string (call->payload));
      return;
    }

  result = registration->func (call->payload, cancellable, registration->user_data, &error);
  if (error != NULL)
    {
      g_clear_pointer (&result, g_variant_unref);
      reply->error = error;
    }
  else if (result == NULL)
    {
      /* A binding's function that raised an exception it could not turn
       * into a GError ends up here: fail loudly rather than answer 0. */
      reply->error = g_error_new (AIO_ERROR, AIO_ERROR_FAILED,
                                  _("The function “%s” failed without reporting an error."), call->function);
    }
  else
    {
      /* Takes the reference given: sinking one that is not floating (a
       * binding's result, a value the function kept) would add another. */
      result = g_variant_take_ref (result);
      if (aio_wire_check_result (call->function, result, &reply->error))
        {
          reply->kind = AIO_WIRE_RESULT;
          reply->payload = result;
        }
      else
        g_variant_unref (result);
    }
}

/* The socket to the pool. Without a cancellable, plain blocking system
 * calls: read() (after a poll() when waiting for the next message) and
 * write(); with one, GIO's streams, which poll first so that cancelling
 * interrupts them. */
typedef struct
{
  int            fd;
  GCancellable  *cancellable;
  GInputStream  *input;
  GOutputStream *output;
} Channel;

static void
set_error_from_errno (GError **error,
                      int      saved_errno)
{
  g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), g_strerror (saved_errno));
}

/* Waits in poll() rather than in read(): a process blocked in read() on a
 * Unix socket is woken whenever the peer reads what it wrote (the room
 * freed wakes every sleeper on the socket, readers included), so each
 * reply the pool read would wake this worker for nothing, and the pool's
 * read would pay for waking another CPU (6 to 8 us of a 25 us round trip
 * on a virtual machine). poll() sleeps on input alone. A failure is left
 * for read() to report. */
static void
wait_for_input (int fd)
{
  struct pollfd input = { .fd = fd, .events = POLLIN };

  while (poll (&input, 1, -1) < 0 && errno == EINTR)
    ;
}

static gssize
channel_read (Channel  *channel,
              gboolean  is_between_messages,
              guint8   *buffer,
              gsize     size,
              GError  **error)
{
  gssize length;

  if (channel->cancellable != NULL)
    return g_input_stream_read (channel->input, buffer, size, channel->cancellable, error);

  /* The rest of a message that is arriving is read at once. */
  if (is_between_messages)
    wait_for_input (channel->fd);
  do
    length = read (channel->fd, buffer, size);
  while (length < 0 && errno == EINTR);
  if (length < 0)
    set_error_from_errno (error, errno);

  return length;
}

static gboolean
channel_write_all (Channel       *channel,
                   const guint8  *data,
                   gsize          size,
                   GError       **error)
{
  if (channel->cancellable != NULL)
    return g_output_stream_write_all (channel->output, data, size, NULL, channel->cancellable, error);

  while (size > 0)
    {
      gssize written = write (channel->fd, data, size);

      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        {
          set_error_from_errno (error, errno);
          return FALSE;
        }
      data += written;
      size -= written;
    }

  return TRUE;
}

/* A large result is written from its own bytes, without a copy into the
 * frame (see aio_wire_encode_frame()). */
static gboolean
aio_worker_send (Channel               *channel,
                 const AioWireMessage  *message,
                 GError               **error)
{
  g_auto(AioWireFrame) frame = { 0 };

  aio_wire_encode_frame (message, &frame);
  for (guint i = 0; i < frame.n_pieces; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (frame.pieces[i], &size);

      if (!channel_write_all (channel, data, size, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
aio_worker_answer_calls (AioWorker       *self,
                         AioWireDecoder  *decoder,
                         Channel         *channel,
                         GError         **error)
{
  AioWireMessage call;

  while (aio_wire_decoder_next (decoder, &call, error))
    {
      AioWireMessage reply = { 0 };
      gboolean sent;

      if (call.kind != AIO_WIRE_CALL)
        {
          aio_wire_message_clear (&call);
          g_set_error_literal (error, AIO_ERROR, AIO_ERROR_PROTOCOL,
                               _("The pool sent a message other than a call."));
          return FALSE;
        }

      aio_worker_dispatch (self, &call, channel->cancellable, &reply);
      sent = aio_worker_send (channel, &reply, error);
      aio_wire_message_clear (&reply);
      aio_wire_message_clear (&call);
      if (!sent)
        return FALSE;
    }

  return error == NULL || *error == NULL;
}

/**
 * aio_worker_serve:
 * @self: an #AioWorker
 * @fd: the worker's end of the pool's socket; not closed
 * @cancellable: (nullable): a #GCancellable to stop serving
 * @error: return location for a #GError
 *
 * Greets the pool, then runs the calls it sends, one at a time, in the
 * calling thread, until the pool closes the socket. Blocks the calling
 * thread; this is what a worker process does with its life.
 *
 * Returns: %TRUE when the pool closed the socket between calls, %FALSE with
 *   @error set when reading or writing failed or the pool broke the protocol
 */
gboolean
aio_worker_serve (AioWorker     *self,
                  int            fd,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(GOutputStream) output = NULL;
  g_autoptr(AioWireDecoder) decoder = NULL;
  AioWireMessage hello = { .kind = AIO_WIRE_HELLO, .version = AIO_WIRE_VERSION, .pid = getpid () };
  Channel channel = { .fd = fd, .cancellable = cancellable };

  g_return_val_if_fail (AIO_IS_WORKER (self), FALSE);
  g_return_val_if_fail (fd >= 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  input = g_unix_input_stream_new (fd, FALSE);
  output = g_unix_output_stream_new (fd, FALSE);
  channel.input = input;
  channel.output = output;
  decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);

  if (!aio_worker_send (&channel, &hello, error))
    return FALSE;

  for (;;)
    {
      gsize room;
      guint8 *buffer = aio_wire_decoder_get_buffer (decoder, READ_CHUNK_SIZE, &room);
      gssize length = channel_read (&channel, aio_wire_decoder_pending (decoder) == 0, buffer, room, error);

      if (length < 0)
        return FALSE;

      if (length == 0)
        {
          if (aio_wire_decoder_pending (decoder) == 0)
            return TRUE;
          g_set_error_literal (error, AIO_ERROR, AIO_ERROR_PROTOCOL,
                               _("The pool closed the connection in the middle of a message."));
          return FALSE;
        }

      aio_wire_decoder_commit (decoder, length);
      if (!aio_worker_answer_calls (self, decoder, &channel, error))
        return FALSE;
    }
}

/**
 * aio_worker_is_requested:
 *
 * Whether this process was started by a process pool to serve as a worker,
 * that is, whether %AIO_WORKER_FD_VARIABLE is set.
 *
 * Returns: %TRUE when aio_worker_run() should be called
 */
gboolean
aio_worker_is_requested (void)
{
  return g_getenv (AIO_WORKER_FD_VARIABLE) != NULL;
}

static int
aio_worker_take_fd_from_environment (GError **error)
{
  const char *text = g_getenv (AIO_WORKER_FD_VARIABLE);
  guint64 fd;

  if (text == NULL ||
      !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT, &fd, NULL) ||
      fcntl ((int) fd, F_GETFD) < 0)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("The environment variable %s does not name an open file descriptor."),
                   AIO_WORKER_FD_VARIABLE);
      return -1;
    }

  /* Programs this worker starts are not workers of the pool. */
  g_unsetenv (AIO_WORKER_FD_VARIABLE);
  fcntl ((int) fd, F_SETFD, FD_CLOEXEC);

  return (int) fd;
}

/**
 * aio_worker_run:
 * @self: an #AioWorker
 *
 * The whole life of a worker process started by a pool: takes the socket
 * named by %AIO_WORKER_FD_VARIABLE, makes sure the process dies with its
 * parent, and serves until the pool closes the socket.
 *
 * Returns: the exit status for the process: 0 when the pool closed the
 *   socket, 1 after an error (which is printed on standard error)
 */
int
aio_worker_run (AioWorker *self)
{
  g_autoptr(GError) error = NULL;
  int fd;

  g_return_val_if_fail (AIO_IS_WORKER (self), 1);

#ifdef __linux__
  /* The pool arms this before exec as well; arming it again here covers
   * workers started some other way. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
  if (getppid () == 1)
    return 1;

  fd = aio_worker_take_fd_from_environment (&error);
  if (fd >= 0 && aio_worker_serve (self, fd, NULL, &error))
    {
      close (fd);
      return 0;
    }

  g_printerr ("aioext worker %d: %s\n", (int) getpid (), error->message);
  if (fd >= 0)
    close (fd);

  return 1;
}
