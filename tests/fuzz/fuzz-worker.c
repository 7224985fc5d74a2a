/* fuzz-worker.c: libFuzzer target for the worker's side of the protocol:
 * any byte stream from the pool must get an AioWorker to answer every
 * whole call that precedes the first bad message, once, in order and under
 * the call's id, and then to stop with an error, never to crash or leak.
 *
 * The input is what the pool would send: it goes down one end of a
 * socketpair while aio_worker_serve() serves the other end; a thread
 * collects the answers, which are checked against the calls the input holds
 * as the wire decoder reads them (fuzz-wire checks that decoder alone).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sys/socket.h>
#include <unistd.h>

#include <aioext.h>

#include "aio-wire-private.h"
#include "../wire-peer.h"
#include "../workers/worker-functions.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Inputs above this could fill the socket's buffer before the worker reads
 * them; meson runs the target with a far lower -max_len. */
#define MAX_INPUT_SIZE (64 * 1024)

static GVariant *
echo (GVariant      *arguments,
      GCancellable  *cancellable,
      gpointer       user_data,
      GError       **error)
{
  return g_variant_ref (arguments);
}

static AioWorker *
fuzz_worker (void)
{
  static AioWorker *worker;

  if (worker == NULL)
    {
      worker = aio_worker_new ();
      test_worker_register_functions (worker);
      aio_worker_register (worker, "echo", NULL, echo, NULL, NULL);
    }

  return worker;
}

static gpointer
read_all (gpointer user_data)
{
  int fd = GPOINTER_TO_INT (user_data);
  GByteArray *bytes = g_byte_array_new ();
  guint8 chunk[4096];
  gssize length;

  while ((length = read (fd, chunk, sizeof chunk)) > 0)
    g_byte_array_append (bytes, chunk, length);

  return bytes;
}

/* The calls the worker must answer: every whole CALL message up to the
 * first frame that is not one. Returns whether the stream is nothing but
 * whole calls, which is when serving ends without an error. */
static gboolean
expected_calls (const guint8 *data,
                gsize         size,
                GArray       *calls)
{
  g_autoptr(AioWireDecoder) decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  g_autoptr(GError) error = NULL;
  AioWireMessage message;

  aio_wire_decoder_feed (decoder, data, size);
  while (aio_wire_decoder_next (decoder, &message, &error))
    {
      if (message.kind != AIO_WIRE_CALL)
        {
          aio_wire_message_clear (&message);
          return FALSE;
        }
      g_array_append_val (calls, message);
    }

  return error == NULL && aio_wire_decoder_pending (decoder) == 0;
}

static void
check_answer (const AioWireMessage *call,
              const AioWireMessage *answer)
{
  if (answer->call_id != call->call_id)
    __builtin_trap ();

  if (g_str_equal (call->function, "echo") &&
      (answer->kind != AIO_WIRE_RESULT || !g_variant_equal (answer->payload, call->payload)))
    __builtin_trap ();

  if (!aio_worker_has_function (fuzz_worker (), call->function) &&
      (answer->kind != AIO_WIRE_ERROR || !g_error_matches (answer->error, AIO_ERROR, AIO_ERROR_UNKNOWN_FUNCTION)))
    __builtin_trap ();

  if (g_str_equal (call->function, "fail") &&
      (answer->kind != AIO_WIRE_ERROR || !g_error_matches (answer->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)))
    __builtin_trap ();
}

/* A greeting, then one answer per call, in order, and nothing else. */
static void
check_answers (GByteArray *answers,
               GArray     *calls)
{
  g_autoptr(AioWireDecoder) decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  g_autoptr(GError) error = NULL;
  AioWireMessage message;
  guint answered = 0;

  aio_wire_decoder_feed (decoder, answers->data, answers->len);
  if (!aio_wire_decoder_next (decoder, &message, &error) ||
      message.kind != AIO_WIRE_HELLO || message.version != AIO_WIRE_VERSION || message.pid != getpid ())
    __builtin_trap ();
  aio_wire_message_clear (&message);

  while (aio_wire_decoder_next (decoder, &message, &error))
    {
      if (answered >= calls->len ||
          (message.kind != AIO_WIRE_RESULT && message.kind != AIO_WIRE_ERROR))
        __builtin_trap ();
      check_answer (&g_array_index (calls, AioWireMessage, answered), &message);
      answered++;
      aio_wire_message_clear (&message);
    }

  if (error != NULL || answered != calls->len || aio_wire_decoder_pending (decoder) != 0)
    __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GArray) calls = g_array_new (FALSE, TRUE, sizeof (AioWireMessage));
  g_autoptr(GByteArray) answers = NULL;
  g_autoptr(GError) error = NULL;
  gboolean is_all_calls, served;
  GThread *reader;
  int fds[2];

  if (size > MAX_INPUT_SIZE)
    return -1;

  g_array_set_clear_func (calls, (GDestroyNotify) aio_wire_message_clear);
  is_all_calls = expected_calls (data, size, calls);

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  wire_peer_send_bytes (fds[0], data, size);
  shutdown (fds[0], SHUT_WR);
  reader = g_thread_new ("answers", read_all, GINT_TO_POINTER (fds[0]));

  served = aio_worker_serve (fuzz_worker (), fds[1], NULL, &error);
  shutdown (fds[1], SHUT_WR);
  answers = g_thread_join (reader);
  close (fds[0]);
  close (fds[1]);

  /* Serving stops with a protocol error exactly when the stream holds
   * something other than whole calls. */
  if (served != is_all_calls || (!served && !g_error_matches (error, AIO_ERROR, AIO_ERROR_PROTOCOL)))
    __builtin_trap ();
  check_answers (answers, calls);

  return 0;
}
