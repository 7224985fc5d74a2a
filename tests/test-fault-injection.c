/* test-fault-injection.c: a process pool whose workers fail on purpose,
 * with every outcome counted exactly
 *
 * 10,000 calls (1,000 under valgrind, where the pool's own thread runs some
 * fifty times slower) go through one pool. A seeded plan picks which calls
 * fail and how: the worker kills itself (SIGKILL), crashes (SIGSEGV) or
 * exits; the test kills it with SIGKILL while the call runs; it hangs past
 * the call timeout; it writes garbage, an oversized frame or an answer to a
 * call it was not given; it closes its end of the socket. Every call must
 * end exactly as its fault says, once; afterwards no worker is left
 * unreaped, the counters are back to zero and the pool still serves.
 * Set AIO_TEST_FAULT_SEED to replay the plan of a failed run.
 *
 * This program is its own worker.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include <aioext.h>

#include "aio-wire-private.h"
#include "process-children.h"
#include "wire-peer.h"
#include "workers/worker-functions.h"

#define POOL_SIZE     4
#define N_ERROR_CODES (AIO_ERROR_BUSY + 1)

/* The worker's end of the pool socket, for faults that misbehave on it. */
static int worker_fd = -1;

typedef enum
{
  FAULT_NONE,
  FAULT_KILL_ITSELF,
  FAULT_SEGFAULT,
  FAULT_EXIT,
  FAULT_KILLED_BY_PARENT,
  FAULT_HANG,
  FAULT_GARBAGE,
  FAULT_OVERSIZED_FRAME,
  FAULT_STRAY_ANSWER,
  FAULT_CLOSE_SOCKET,
  N_FAULTS
} Fault;

typedef struct
{
  const char *name;
  guint       per_10000;     /* how many of 10,000 calls get this fault */
  gint        code;          /* how the call fails (AioError); 0 for FAULT_NONE */
  const char *message_part;  /* the error message names this */
} FaultKind;

/* A worker that closed its socket cannot send its answer, so it gives
 * up and exits with status 1, its own way of reporting the broken link. */
static const FaultKind fault_kinds[N_FAULTS] = {
  [FAULT_NONE]             = { "none", 0, 0, NULL },
  [FAULT_KILL_ITSELF]      = { "kills itself with SIGKILL", 150, AIO_ERROR_WORKER_DIED, "signal 9" },
  [FAULT_SEGFAULT]         = { "crashes with SIGSEGV", 150, AIO_ERROR_WORKER_DIED, "signal 11" },
  [FAULT_EXIT]             = { "exits", 150, AIO_ERROR_WORKER_DIED, "status 3" },
  [FAULT_KILLED_BY_PARENT] = { "is killed by the parent", 100, AIO_ERROR_WORKER_DIED, "signal 9" },
  [FAULT_HANG]             = { "hangs", 10, AIO_ERROR_TIMED_OUT, "for longer than" },
  [FAULT_GARBAGE]          = { "writes garbage", 100, AIO_ERROR_PROTOCOL, "broke the protocol" },
  [FAULT_OVERSIZED_FRAME]  = { "writes an oversized frame", 100, AIO_ERROR_PROTOCOL, "frame of" },
  [FAULT_STRAY_ANSWER]     = { "answers a call it was not given", 100, AIO_ERROR_PROTOCOL, "was not given" },
  [FAULT_CLOSE_SOCKET]     = { "closes its socket", 100, AIO_ERROR_WORKER_DIED, "status 1" },
};

static gboolean
is_under_valgrind (void)
{
  return g_getenv ("AIO_TEST_UNDER_VALGRIND") != NULL;
}

/* Worker side */

static void
write_all_or_die (const void *data,
                  gsize       size)
{
  wire_peer_send_bytes (worker_fd, data, size);
}

G_GNUC_NORETURN static void
wait_to_be_killed (void)
{
  for (;;)
    pause ();
}

/* Tells the test which process to kill: one line, written at once. */
G_GNUC_NORETURN static void
report_pid_then_wait (const char *fifo_path)
{
  g_autofree char *line = g_strdup_printf ("%d\n", (int) getpid ());
  int fifo = open (fifo_path, O_WRONLY | O_CLOEXEC);

  g_assert_cmpint (fifo, >=, 0);
  g_assert_cmpint (write (fifo, line, strlen (line)), ==, (gssize) strlen (line));
  close (fifo);
  wait_to_be_killed ();
}

static GBytes *
encode_stray_answer (void)
{
  g_autoptr(GVariant) payload = g_variant_ref_sink (g_variant_new_boolean (TRUE));
  AioWireMessage reply = { .kind = AIO_WIRE_RESULT, .call_id = G_MAXUINT64, .payload = payload };

  return aio_wire_encode (&reply);
}

static void
answer_another_call (void)
{
  g_autoptr(GBytes) frame = encode_stray_answer ();

  write_all_or_die (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
}

/* A worker that greets and answers a call it was never given in the same
 * write, so that the pool reads both before it can hand it a call; then
 * waits for the pool to close. */
static int
greet_then_answer_no_call (void)
{
  AioWireMessage hello = { .kind = AIO_WIRE_HELLO, .version = AIO_WIRE_VERSION, .pid = getpid () };
  g_autoptr(GBytes) hello_frame = aio_wire_encode (&hello);
  g_autoptr(GBytes) stray_frame = encode_stray_answer ();
  g_autoptr(GByteArray) both = g_byte_array_new ();
  guint8 chunk[256];

  g_byte_array_append (both, g_bytes_get_data (hello_frame, NULL), g_bytes_get_size (hello_frame));
  g_byte_array_append (both, g_bytes_get_data (stray_frame, NULL), g_bytes_get_size (stray_frame));
  write_all_or_die (both->data, both->len);
  while (read (worker_fd, chunk, sizeof chunk) > 0)
    ;

  return 0;
}

/* A worker that stops reading before it greets, so that the pool's call
 * meets a socket nobody will read (EPIPE, and SIGPIPE for the writer), then
 * exits as a worker that died just as it was given a call would. */
static int
greet_deaf_then_exit (void)
{
  AioWireMessage hello = { .kind = AIO_WIRE_HELLO, .version = AIO_WIRE_VERSION, .pid = getpid () };
  g_autoptr(GBytes) frame = aio_wire_encode (&hello);

  g_assert_no_errno (shutdown (worker_fd, SHUT_RD));
  write_all_or_die (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  g_usleep (100 * 1000);

  return 4;
}

/* The default action, not a sanitizer's handler, which would turn the
 * signal into an exit after symbolising a report for longer than the call
 * timeout. */
static void
crash (void)
{
  signal (SIGSEGV, SIG_DFL);
  raise (SIGSEGV);
}

/* The worker then fails to send its answer and says so on standard error,
 * a hundred times per run: only the exit status matters here. */
static void
close_socket_quietly (void)
{
  int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);

  g_assert_cmpint (null, >=, 0);
  g_assert_no_errno (dup2 (null, STDERR_FILENO));
  close (null);
  close (worker_fd);
}

/* (u fault, u value, s fifo): returns value unless the fault says otherwise. */
static GVariant *
misbehave (GVariant      *arguments,
           GCancellable  *cancellable,
           gpointer       user_data,
           GError       **error)
{
  const guint8 garbage[] = { 5, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x00 };
  guint32 oversized = GUINT32_TO_LE (AIO_WIRE_DEFAULT_MAX_SIZE + 1);
  const char *fifo_path;
  guint32 fault, value;

  g_variant_get (arguments, "(uu&s)", &fault, &value, &fifo_path);
  switch ((Fault) fault)
    {
    case FAULT_KILL_ITSELF:      raise (SIGKILL); break;
    case FAULT_SEGFAULT:         crash (); break;
    case FAULT_EXIT:             exit (3);
    case FAULT_KILLED_BY_PARENT: report_pid_then_wait (fifo_path);
    case FAULT_HANG:             wait_to_be_killed ();
    case FAULT_GARBAGE:          write_all_or_die (garbage, sizeof garbage); break;
    case FAULT_OVERSIZED_FRAME:  write_all_or_die (&oversized, sizeof oversized); break;
    case FAULT_STRAY_ANSWER:     answer_another_call (); break;
    case FAULT_CLOSE_SOCKET:     close_socket_quietly (); break;
    case FAULT_NONE:
    case N_FAULTS:
    default:                     break;
    }

  return g_variant_new_uint32 (value);
}

/* Parent side: kills the workers that report on the FIFO */

/* A thread of its own, not a source of the main context: the main thread
 * queues all 10,000 calls before it iterates, which under TSan on a busy
 * machine took longer than the call timeout, and a worker waiting to be
 * killed then timed out first. A line "0" ends the thread. */
typedef struct
{
  char    *directory;
  char    *path;
  int      fd;
  GThread *thread;
  guint    kills;    /* read once the thread is joined */
} Killer;

/* Kills the process of one line; FALSE for the line that ends the thread. */
static gboolean
killer_kill (Killer     *killer,
             const char *line)
{
  GPid pid = (GPid) g_ascii_strtoll (line, NULL, 10);

  if (pid == 0)
    return FALSE;
  g_assert_cmpint (pid, >, 1);
  g_assert_no_errno (kill (pid, SIGKILL));
  killer->kills++;

  return TRUE;
}

static gpointer
killer_thread (gpointer user_data)
{
  Killer *killer = user_data;
  g_autoptr(GString) pending = g_string_new (NULL);
  char chunk[512];

  for (;;)
    {
      gssize length = read (killer->fd, chunk, sizeof chunk);
      char *newline;

      if (length < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (length, >, 0);
      g_string_append_len (pending, chunk, length);
      while ((newline = strchr (pending->str, '\n')) != NULL)
        {
          if (!killer_kill (killer, pending->str))
            return NULL;
          g_string_erase (pending, 0, newline + 1 - pending->str);
        }
    }
}

static void
killer_init (Killer *killer)
{
  GError *error = NULL;

  killer->directory = g_dir_make_tmp ("aioext-faults-XXXXXX", &error);
  g_assert_no_error (error);
  killer->path = g_build_filename (killer->directory, "pids", NULL);
  g_assert_no_errno (mkfifo (killer->path, 0600));
  /* Read-write, so that the FIFO never lacks a reader or a writer. */
  killer->fd = open (killer->path, O_RDWR | O_CLOEXEC);
  g_assert_cmpint (killer->fd, >=, 0);
  killer->kills = 0;
  killer->thread = g_thread_new ("killer", killer_thread, killer);
}

/* Ends the thread; returns how many workers it killed. */
static guint
killer_stop (Killer *killer)
{
  g_assert_cmpint (write (killer->fd, "0\n", 2), ==, 2);
  g_thread_join (g_steal_pointer (&killer->thread));

  return killer->kills;
}

static void
killer_clear (Killer *killer)
{
  if (killer->thread != NULL)
    killer_stop (killer);
  close (killer->fd);
  g_assert_no_errno (g_unlink (killer->path));
  g_assert_no_errno (g_rmdir (killer->directory));
  g_free (killer->path);
  g_free (killer->directory);
}

/* Calls and their outcomes */

typedef struct
{
  Fault     fault;
  guint     callbacks;
  GVariant *value;
  GError   *error;
} Outcome;

typedef struct
{
  Outcome *outcomes;
  guint    n_calls;
  guint    pending;
} Run;

typedef struct
{
  Run  *run;
  guint index;
} CallRef;

static void
call_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CallRef *ref = user_data;
  Outcome *outcome = &ref->run->outcomes[ref->index];

  outcome->callbacks++;
  g_assert_cmpuint (outcome->callbacks, ==, 1);
  outcome->value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &outcome->error);
  ref->run->pending--;
  g_free (ref);
}

static void
run_init (Run   *run,
          guint  n_calls)
{
  run->n_calls = n_calls;
  run->pending = 0;
  run->outcomes = g_new0 (Outcome, n_calls);
}

/* Every fault its planned number of times (at least twice), at random
 * places. */
static void
run_inject_faults (Run   *run,
                   GRand *rand)
{
  guint next = 0;

  for (Fault fault = FAULT_NONE + 1; fault < N_FAULTS; fault++)
    for (guint i = 0; i < MAX (fault_kinds[fault].per_10000 * run->n_calls / 10000, 2); i++)
      run->outcomes[next++].fault = fault;
  g_assert_cmpuint (next, <, run->n_calls);

  for (guint i = run->n_calls - 1; i > 0; i--)
    {
      guint other = g_rand_int_range (rand, 0, i + 1);
      Fault fault = run->outcomes[i].fault;

      run->outcomes[i].fault = run->outcomes[other].fault;
      run->outcomes[other].fault = fault;
    }
}

static void
run_clear (Run *run)
{
  for (guint i = 0; i < run->n_calls; i++)
    {
      g_clear_pointer (&run->outcomes[i].value, g_variant_unref);
      g_clear_error (&run->outcomes[i].error);
    }
  g_free (run->outcomes);
}

static void
run_calls (Run            *run,
           AioProcessPool *pool,
           const char     *fifo_path)
{
  for (guint i = 0; i < run->n_calls; i++)
    {
      CallRef *ref = g_new0 (CallRef, 1);

      ref->run = run;
      ref->index = i;
      run->pending++;
      aio_process_pool_call_async (pool, "misbehave", g_variant_new ("(uus)", run->outcomes[i].fault, i, fifo_path),
                                   NULL, call_done, ref);
    }

  while (run->pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

/* Checks one call against its fault, and counts it by how it ended. */
static void
check_outcome (const Outcome *outcome,
               guint          index,
               guint          counts[N_ERROR_CODES],
               guint         *results)
{
  const FaultKind *kind = &fault_kinds[outcome->fault];

  g_assert_cmpuint (outcome->callbacks, ==, 1);
  if (outcome->fault == FAULT_NONE)
    {
      g_assert_no_error (outcome->error);
      g_assert_cmpuint (g_variant_get_uint32 (outcome->value), ==, index);
      (*results)++;
      return;
    }

  if (outcome->error == NULL || outcome->error->code != kind->code ||
      strstr (outcome->error->message, kind->message_part) == NULL)
    g_error ("Call %u, whose worker %s, ended with “%s” instead of error %d naming “%s”",
             index, kind->name, outcome->error != NULL ? outcome->error->message : "a result",
             kind->code, kind->message_part);
  g_assert_error (outcome->error, AIO_ERROR, kind->code);
  g_assert_cmpint (kind->code, <, N_ERROR_CODES);
  g_assert_nonnull (strstr (outcome->error->message, "“misbehave”"));
  counts[outcome->error->code]++;
}

static void
expect_pool_serves (AioProcessPool *pool,
                    const char     *fifo_path)
{
  guint by_code[N_ERROR_CODES] = { 0 };
  guint results = 0;
  Run run;

  run_init (&run, 100);
  run_calls (&run, pool, fifo_path);
  for (guint i = 0; i < run.n_calls; i++)
    check_outcome (&run.outcomes[i], i, by_code, &results);
  g_assert_cmpuint (results, ==, run.n_calls);
  run_clear (&run);
}

static guint
planned (Run   *run,
         Fault  fault)
{
  guint count = 0;

  for (guint i = 0; i < run->n_calls; i++)
    count += run->outcomes[i].fault == fault;

  return count;
}

static void
test_fault_injection_every_fault_is_counted_exactly (void)
{
  const char *seed_text = g_getenv ("AIO_TEST_FAULT_SEED");
  guint32 seed = seed_text != NULL ? (guint32) g_ascii_strtoull (seed_text, NULL, 10) : (guint32) g_test_rand_int ();
  guint n_calls = is_under_valgrind () ? 1000 : 10000;
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  AioProcessPool *pool = aio_process_pool_new (POOL_SIZE, NULL);
  AioExecutorPool *executor_pool = AIO_EXECUTOR_POOL (pool);
  guint by_code[N_ERROR_CODES] = { 0 };
  guint results = 0;
  guint kills;
  Killer killer;
  Run run;
  gint64 start = g_get_monotonic_time ();

  g_test_message ("fault-injection seed %u (replay with AIO_TEST_FAULT_SEED=%u), %u calls", seed, seed, n_calls);
  killer_init (&killer);
  /* Long enough that every fault but a hang ends first, even under a
   * sanitizer on a machine busy with other tests: at 1 s, a crashing worker
   * of the ASan build on two loaded cores once took longer. */
  aio_process_pool_set_call_timeout (pool, is_under_valgrind () ? 10000 : 5000);
  run_init (&run, n_calls);
  run_inject_faults (&run, rand);

  run_calls (&run, pool, killer.path);

  for (guint i = 0; i < n_calls; i++)
    check_outcome (&run.outcomes[i], i, by_code, &results);

  g_assert_cmpuint (results, ==, planned (&run, FAULT_NONE));
  g_assert_cmpuint (by_code[AIO_ERROR_WORKER_DIED], ==,
                    planned (&run, FAULT_KILL_ITSELF) + planned (&run, FAULT_SEGFAULT) + planned (&run, FAULT_EXIT) +
                    planned (&run, FAULT_KILLED_BY_PARENT) + planned (&run, FAULT_CLOSE_SOCKET));
  g_assert_cmpuint (by_code[AIO_ERROR_TIMED_OUT], ==, planned (&run, FAULT_HANG));
  g_assert_cmpuint (by_code[AIO_ERROR_PROTOCOL], ==,
                    planned (&run, FAULT_GARBAGE) + planned (&run, FAULT_OVERSIZED_FRAME) + planned (&run, FAULT_STRAY_ANSWER));
  kills = killer_stop (&killer);
  g_assert_cmpuint (kills, ==, planned (&run, FAULT_KILLED_BY_PARENT));
  g_test_message ("%u calls: %u results, %u worker deaths, %u timeouts, %u protocol errors in %.1f s",
                  n_calls, results, by_code[AIO_ERROR_WORKER_DIED], by_code[AIO_ERROR_TIMED_OUT],
                  by_code[AIO_ERROR_PROTOCOL], (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  /* A worker killed for breaking the protocol or for its timeout fails its
   * call at once; it is reaped soon after, from the pool's thread. */
  g_assert_true (zombies_are_reaped_within (10));
  g_assert_cmpuint (aio_executor_pool_get_running (executor_pool), ==, 0);
  g_assert_cmpuint (aio_executor_pool_get_queued (executor_pool), ==, 0);

  expect_pool_serves (pool, killer.path);

  aio_executor_pool_shutdown (executor_pool, TRUE);
  g_assert_cmpuint (count_children (FALSE), ==, 0);
  g_object_unref (pool);
  killer_clear (&killer);
  run_clear (&run);
}

/* One call to a pool whose worker is this program in the given mode; the
 * call must end (with a deadline, as a failure used to be a hang), and no
 * worker may be left once the pool has shut down. */
static void
call_odd_worker (const char  *mode,
                 Run         *run)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { self, mode, NULL };
  AioProcessPool *pool = aio_process_pool_new (1, argv);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  run_init (run, 1);
  run->pending = 1;
  aio_process_pool_call_async (pool, "add", g_variant_new ("(ii)", 1, 2), NULL, call_done,
                               g_memdup2 (&(CallRef) { run, 0 }, sizeof (CallRef)));
  while (run->pending > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);

  g_assert_cmpuint (run->outcomes[0].callbacks, ==, 1);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  g_assert_cmpuint (count_children (FALSE), ==, 0);
  g_object_unref (pool);
}

/* Found by fuzz-pool: a worker that broke the protocol after its greeting
 * but before it was given a call was replaced, and its replacement did the
 * same, forever, while the call waited. Like a worker that dies before it
 * greets, it now fails the call it was started for. */
static void
test_fault_injection_protocol_broken_before_a_call_fails_the_call (void)
{
  Run run;

  call_odd_worker ("--greet-then-answer-no-call", &run);
  g_assert_error (run.outcomes[0].error, AIO_ERROR, AIO_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (run.outcomes[0].error->message, "not given"));
  run_clear (&run);
}

/* Found by fuzz-pool: sending a call to a worker that had just died raised
 * SIGPIPE, which killed the pool's whole process. */
static void
test_fault_injection_worker_gone_as_it_is_called_fails_the_call (void)
{
  Run run;

  call_odd_worker ("--greet-deaf-then-exit", &run);
  g_assert_error (run.outcomes[0].error, AIO_ERROR, AIO_ERROR_WORKER_DIED);
  g_assert_nonnull (strstr (run.outcomes[0].error->message, "status 4"));
  run_clear (&run);
}

/* LeakSanitizer checks a process as it exits by stopping and tracing its
 * threads; a worker that the pool kills in the middle of that check was
 * seen to stay an unreaped zombie, its exit reported to the tracer instead
 * of to this process. The workers' code is leak-checked in-process by
 * test-worker; here LeakSanitizer watches this process only. */
static void
no_leak_check_in_workers (void)
{
  const char *options = g_getenv ("ASAN_OPTIONS");
  g_autofree char *worker_options = g_strconcat (options != NULL ? options : "", options != NULL ? ":" : "",
                                                 "detect_leaks=0", NULL);

  g_setenv ("ASAN_OPTIONS", worker_options, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AioWorker) worker = aio_worker_new ();

  test_worker_register_functions (worker);
  aio_worker_register (worker, "misbehave", G_VARIANT_TYPE ("(uus)"), misbehave, NULL, NULL);
  if (aio_worker_is_requested ())
    {
      worker_fd = atoi (g_getenv (AIO_WORKER_FD_VARIABLE));
      if (argc > 1 && g_str_equal (argv[1], "--greet-then-answer-no-call"))
        return greet_then_answer_no_call ();
      if (argc > 1 && g_str_equal (argv[1], "--greet-deaf-then-exit"))
        return greet_deaf_then_exit ();
      return aio_worker_run (worker);
    }

  g_test_init (&argc, &argv, NULL);
  no_leak_check_in_workers ();

  g_test_add_func ("/fault-injection/process-pool/every-fault-is-counted-exactly",
                   test_fault_injection_every_fault_is_counted_exactly);
  g_test_add_func ("/fault-injection/process-pool/protocol-broken-before-a-call-fails-the-call",
                   test_fault_injection_protocol_broken_before_a_call_fails_the_call);
  g_test_add_func ("/fault-injection/process-pool/worker-gone-as-it-is-called-fails-the-call",
                   test_fault_injection_worker_gone_as_it_is_called_fails_the_call);

  return g_test_run ();
}
