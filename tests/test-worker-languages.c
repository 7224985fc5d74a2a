/* test-worker-languages.c: worker processes written in C, Python, GJS and
 * Vala all serve the same calls
 *
 * The test plays the pool: it starts each worker with GSubprocess, hands it
 * one end of a socketpair with g_subprocess_launcher_take_fd(), and speaks
 * the wire protocol on the other. The C worker is this very program,
 * re-executed in worker mode.
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

#define WORKER_FD 3

static char *self_path;

typedef struct
{
  GSubprocess    *process;
  int             fd;
  AioWireDecoder *decoder;
} Worker;

static void
worker_start (Worker             *worker,
              const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *fd_text = g_strdup_printf ("%d", WORKER_FD);
  int fds[2];

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  g_subprocess_launcher_take_fd (launcher, fds[1], WORKER_FD);
  g_subprocess_launcher_setenv (launcher, AIO_WORKER_FD_VARIABLE, fd_text, TRUE);
  worker->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  worker->fd = fds[0];
  worker->decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
}

static void
worker_call (Worker         *worker,
             guint64         call_id,
             const char     *function,
             GVariant       *arguments,
             AioWireMessage *reply)
{
  wire_peer_send_call (worker->fd, call_id, function, arguments);
  wire_peer_receive (worker->fd, worker->decoder, reply);
  g_assert_cmpuint (reply->call_id, ==, call_id);
}

/* Closing the socket is how a pool tells a worker to exit. */
static void
worker_stop (Worker *worker)
{
  g_autoptr(GError) error = NULL;

  close (worker->fd);
  g_assert_true (g_subprocess_wait (worker->process, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (worker->process));
  g_assert_cmpint (g_subprocess_get_exit_status (worker->process), ==, 0);
  g_clear_object (&worker->process);
  aio_wire_decoder_free (worker->decoder);
}

static void
check_worker (const char * const *argv)
{
  Worker worker = { 0 };
  AioWireMessage message;
  g_autofree char *pid_text = NULL;

  worker_start (&worker, argv);

  wire_peer_receive (worker.fd, worker.decoder, &message);
  g_assert_cmpint (message.kind, ==, AIO_WIRE_HELLO);
  g_assert_cmpuint (message.version, ==, AIO_WIRE_VERSION);
  g_assert_cmpstr (g_subprocess_get_identifier (worker.process), ==, pid_text = g_strdup_printf ("%" G_GINT64_FORMAT, message.pid));
  aio_wire_message_clear (&message);

  worker_call (&worker, 1, "add", g_variant_new ("(ii)", 40, 2), &message);
  g_assert_cmpint (message.kind, ==, AIO_WIRE_RESULT);
  g_assert_cmpint (g_variant_get_int32 (message.payload), ==, 42);
  aio_wire_message_clear (&message);

  worker_call (&worker, 2, "fail", g_variant_new_boolean (TRUE), &message);
  g_assert_cmpint (message.kind, ==, AIO_WIRE_ERROR);
  g_assert_error (message.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (message.error->message, ==, "no such file");
  aio_wire_message_clear (&message);

  /* An exception the binding cannot express as a GError still fails the
   * call, and the worker goes on serving. */
  worker_call (&worker, 3, "crash", g_variant_new_boolean (TRUE), &message);
  g_assert_cmpint (message.kind, ==, AIO_WIRE_ERROR);
  aio_wire_message_clear (&message);

  worker_call (&worker, 4, "missing", g_variant_new_boolean (TRUE), &message);
  g_assert_error (message.error, AIO_ERROR, AIO_ERROR_UNKNOWN_FUNCTION);
  aio_wire_message_clear (&message);

  worker_call (&worker, 5, "add", g_variant_new ("(ii)", 1, 2), &message);
  g_assert_cmpint (g_variant_get_int32 (message.payload), ==, 3);
  aio_wire_message_clear (&message);

  worker_stop (&worker);
}

static void
test_worker_in_c_is_this_program_re_executed (void)
{
  check_worker ((const char * const []) { self_path, NULL });
}

static gboolean
skip_interpreter_when_sanitized (void)
{
  if (g_getenv ("AIO_TEST_SANITIZED") == NULL)
    return FALSE;

  g_test_skip ("an interpreter cannot load a sanitizer build of the library without LD_PRELOAD; "
               "the plain build runs this case");
  return TRUE;
}

static void
test_worker_in_python (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "workers", "worker.py", NULL);

  if (skip_interpreter_when_sanitized ())
    return;
  check_worker ((const char * const []) { "/usr/bin/python3", script, NULL });
}

static void
test_worker_in_javascript (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "workers", "worker.js", NULL);

  if (skip_interpreter_when_sanitized ())
    return;
  check_worker ((const char * const []) { "gjs", "-m", script, NULL });
}

static void
test_worker_in_vala (void)
{
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "worker-vala", NULL);

  if (!g_file_test (program, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("the Vala worker was not built");
      return;
    }
  check_worker ((const char * const []) { program, NULL });
}

static void
test_worker_in_a_module_served_by_aioext_worker (void)
{
  g_autofree char *module = g_test_build_filename (G_TEST_BUILT, "worker-module.so", NULL);
  const char *program = g_getenv ("AIO_TEST_WORKER_PROGRAM");

  g_assert_nonnull (program);
  check_worker ((const char * const []) { program, module, NULL });
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AioWorker) worker = aio_worker_new ();

  /* Registered before anything else, as a program that is its own worker
   * does; the same binary then serves when re-executed by the pool. */
  test_worker_register_functions (worker);
  if (aio_worker_is_requested ())
    return aio_worker_run (worker);

  self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/worker/languages/c-is-this-program-re-executed", test_worker_in_c_is_this_program_re_executed);
  g_test_add_func ("/worker/languages/c-module-in-aioext-worker", test_worker_in_a_module_served_by_aioext_worker);
  g_test_add_func ("/worker/languages/python", test_worker_in_python);
  g_test_add_func ("/worker/languages/javascript", test_worker_in_javascript);
  g_test_add_func ("/worker/languages/vala", test_worker_in_vala);

  return g_test_run ();
}
