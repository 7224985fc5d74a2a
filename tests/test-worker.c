/* test-worker.c: AioWorker serves calls over a socket
 *
 * The test plays the pool: it speaks the wire protocol on one end of a
 * socketpair while the worker serves the other end in a thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sys/socket.h>
#include <unistd.h>

#include <aioext.h>

#include "aio-wire-private.h"
#include "wire-peer.h"
#include "workers/worker-functions.h"

typedef struct
{
  AioWorker      *worker;
  int             pool_fd;
  int             worker_fd;
  GThread        *thread;
  gint            result_is_freed;
  gboolean        served;
  GError         *serve_error;
  AioWireDecoder *decoder;
} Fixture;

static void
mark_freed (gpointer user_data)
{
  g_atomic_int_set ((gint *) user_data, TRUE);
}

/* Returns a full reference that is not floating, as a binding does; the
 * bytes behind it tell when its last reference is gone. */
static GVariant *
return_owned_reference (GVariant      *arguments,
                        GCancellable  *cancellable,
                        gpointer       user_data,
                        GError       **error)
{
  static const char text[] = "owned";
  g_autoptr(GBytes) bytes = g_bytes_new_with_free_func (text, sizeof text, mark_freed, user_data);

  return g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_STRING, bytes, TRUE));
}

static gpointer
serve_thread (gpointer data)
{
  Fixture *fixture = data;

  fixture->served = aio_worker_serve (fixture->worker, fixture->worker_fd, NULL, &fixture->serve_error);

  return NULL;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  int fds[2];

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  fixture->pool_fd = fds[0];
  fixture->worker_fd = fds[1];
  fixture->worker = aio_worker_new ();
  fixture->decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  test_worker_register_functions (fixture->worker);
  aio_worker_register (fixture->worker, "owned", NULL, return_owned_reference, &fixture->result_is_freed, NULL);
  fixture->thread = g_thread_new ("worker", serve_thread, fixture);
}

static void
fixture_join (Fixture *fixture)
{
  if (fixture->pool_fd >= 0)
    close (fixture->pool_fd);
  fixture->pool_fd = -1;
  g_clear_pointer (&fixture->thread, g_thread_join);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  fixture_join (fixture);
  close (fixture->worker_fd);
  g_clear_error (&fixture->serve_error);
  aio_wire_decoder_free (fixture->decoder);
  g_object_unref (fixture->worker);
}

static void
expect_error (Fixture *fixture,
              guint64  call_id,
              GQuark   domain,
              int      code)
{
  AioWireMessage reply;

  wire_peer_receive (fixture->pool_fd, fixture->decoder, &reply);
  g_assert_cmpint (reply.kind, ==, AIO_WIRE_ERROR);
  g_assert_cmpuint (reply.call_id, ==, call_id);
  g_assert_error (reply.error, domain, code);
  aio_wire_message_clear (&reply);
}

static void
expect_sum (Fixture *fixture,
            guint64  call_id,
            gint32   sum)
{
  AioWireMessage reply;

  wire_peer_receive (fixture->pool_fd, fixture->decoder, &reply);
  g_assert_cmpint (reply.kind, ==, AIO_WIRE_RESULT);
  g_assert_cmpuint (reply.call_id, ==, call_id);
  g_assert_cmpint (g_variant_get_int32 (reply.payload), ==, sum);
  aio_wire_message_clear (&reply);
}

static void
expect_hello (Fixture *fixture)
{
  AioWireMessage hello;

  wire_peer_receive (fixture->pool_fd, fixture->decoder, &hello);
  g_assert_cmpint (hello.kind, ==, AIO_WIRE_HELLO);
  g_assert_cmpuint (hello.version, ==, AIO_WIRE_VERSION);
  g_assert_cmpint (hello.pid, ==, getpid ());
  aio_wire_message_clear (&hello);
}

static void
test_worker_greets_then_answers_calls (Fixture       *fixture,
                                       gconstpointer  data)
{
  expect_hello (fixture);
  wire_peer_send_call (fixture->pool_fd, 1, "add", g_variant_new ("(ii)", 2, 3));
  wire_peer_send_call (fixture->pool_fd, 2, "add", g_variant_new ("(ii)", -10, 4));
  expect_sum (fixture, 1, 5);
  expect_sum (fixture, 2, -6);
  /* Any input may reach a worker function: an overflowing sum once was
   * undefined behaviour (UBSan, fuzz-worker). */
  wire_peer_send_call (fixture->pool_fd, 3, "add", g_variant_new ("(ii)", G_MAXINT32, 1));
  expect_sum (fixture, 3, G_MININT32);

  fixture_join (fixture);
  g_assert_no_error (fixture->serve_error);
  g_assert_true (fixture->served);
}

static void
test_worker_bad_calls_fail_alone (Fixture       *fixture,
                                  gconstpointer  data)
{
  expect_hello (fixture);
  wire_peer_send_call (fixture->pool_fd, 1, "subtract", g_variant_new ("(ii)", 2, 3));
  expect_error (fixture, 1, AIO_ERROR, AIO_ERROR_UNKNOWN_FUNCTION);
  wire_peer_send_call (fixture->pool_fd, 2, "add", g_variant_new ("(ss)", "2", "3"));
  expect_error (fixture, 2, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  wire_peer_send_call (fixture->pool_fd, 3, "add", g_variant_new ("(ii)", 20, 22));
  expect_sum (fixture, 3, 42);
}

static void
test_worker_errors_cross_intact (Fixture       *fixture,
                                 gconstpointer  data)
{
  expect_hello (fixture);
  wire_peer_send_call (fixture->pool_fd, 7, "fail", g_variant_new_boolean (TRUE));
  expect_error (fixture, 7, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  /* A function that reports nothing must not look like a result. */
  wire_peer_send_call (fixture->pool_fd, 8, "crash", g_variant_new_boolean (TRUE));
  expect_error (fixture, 8, AIO_ERROR, AIO_ERROR_FAILED);
}

/* Found by fuzz-worker: the worker sank the result it was given, which adds
 * a reference when the result is not floating, and leaked every such
 * result. */
static void
test_worker_frees_a_result_it_owns (Fixture       *fixture,
                                    gconstpointer  data)
{
  AioWireMessage reply;

  expect_hello (fixture);
  wire_peer_send_call (fixture->pool_fd, 1, "owned", g_variant_new_boolean (TRUE));
  wire_peer_receive (fixture->pool_fd, fixture->decoder, &reply);
  g_assert_cmpint (reply.kind, ==, AIO_WIRE_RESULT);
  g_assert_cmpstr (g_variant_get_string (reply.payload, NULL), ==, "owned");
  aio_wire_message_clear (&reply);

  fixture_join (fixture);
  g_assert_true (fixture->served);
  g_assert_true (g_atomic_int_get (&fixture->result_is_freed));
}

static void
test_worker_stops_on_garbage (Fixture       *fixture,
                              gconstpointer  data)
{
  const guint8 garbage[] = { 3, 0, 0, 0, 'x', 'y', 'z' };

  expect_hello (fixture);
  wire_peer_send_bytes (fixture->pool_fd, garbage, sizeof garbage);
  g_clear_pointer (&fixture->thread, g_thread_join);

  g_assert_false (fixture->served);
  g_assert_error (fixture->serve_error, AIO_ERROR, AIO_ERROR_PROTOCOL);
}

static void
test_worker_stops_on_eof_inside_a_frame (Fixture       *fixture,
                                         gconstpointer  data)
{
  const guint8 partial[] = { 100, 0, 0, 0, 'x' };

  expect_hello (fixture);
  wire_peer_send_bytes (fixture->pool_fd, partial, sizeof partial);
  fixture_join (fixture);

  g_assert_false (fixture->served);
  g_assert_error (fixture->serve_error, AIO_ERROR, AIO_ERROR_PROTOCOL);
}

static void
test_worker_registry_reports_functions (void)
{
  g_autoptr(AioWorker) worker = aio_worker_new ();

  g_assert_false (aio_worker_has_function (worker, "add"));
  aio_worker_register (worker, "add", NULL, test_worker_add, NULL, NULL);
  g_assert_true (aio_worker_has_function (worker, "add"));
  g_assert_false (aio_worker_is_requested ());
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD_SERVING_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD_SERVING_TEST ("/worker/serve/greets-then-answers-calls", test_worker_greets_then_answers_calls);
  ADD_SERVING_TEST ("/worker/serve/bad-calls-fail-alone", test_worker_bad_calls_fail_alone);
  ADD_SERVING_TEST ("/worker/serve/errors-cross-intact", test_worker_errors_cross_intact);
  ADD_SERVING_TEST ("/worker/serve/frees-a-result-it-owns", test_worker_frees_a_result_it_owns);
  ADD_SERVING_TEST ("/worker/serve/stops-on-garbage", test_worker_stops_on_garbage);
  ADD_SERVING_TEST ("/worker/serve/stops-on-eof-inside-a-frame", test_worker_stops_on_eof_inside_a_frame);
  g_test_add_func ("/worker/registry/reports-functions", test_worker_registry_reports_functions);

  return g_test_run ();
}
