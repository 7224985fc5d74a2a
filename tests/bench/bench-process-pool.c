/* bench-process-pool.c: the process pool against raw processes and sockets
 *
 * - call round trip (pool warm) vs a one-byte ping-pong between two
 *   processes over an AF_UNIX socketpair, the transport the pool runs on
 *   (the faster of blocking reads and poll() before each read)
 * - CPU-bound speedup: the same work serially in this process vs spread
 *   over a pool as large as the CPU count (higher is better)
 * - 1 MiB argument and 1 MiB result per call: effective MB/s vs moving the
 *   same bytes both ways over a bare socketpair (higher is better)
 * - starting a worker until it answered its first call, for a C worker
 *   (this program), a Python one and a GJS one (tests/bench/bench-worker.*),
 *   each vs starting the same program only to load aioext and exit
 *
 * This program is its own worker. `--round-trip-only` stops after the
 * first figure (for callgrind). Figures are medians of several rounds,
 * printed as `BENCH <name> <value> <unit> baseline=<value> ratio=<value>`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"

#define ROUNDS 5

static GVariant *
noop (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  return g_variant_new_boolean (TRUE);
}

static guint64
spin (guint32 iterations)
{
  guint64 x = 1;

  for (guint32 i = 0; i < iterations; i++)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;

  return x;
}

static GVariant *
burn (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  return g_variant_new_uint64 (spin (g_variant_get_uint32 (arguments)));
}

static GVariant *
echo (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  return g_variant_ref (arguments);
}

typedef struct
{
  guint pending;
} Counter;

static void
count_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (value);
  ((Counter *) user_data)->pending--;
}

/* Microseconds for @n calls of @function, @parallel at a time. */
static double
time_calls (AioProcessPool *pool, const char *function, GVariant *arguments, guint n, guint parallel)
{
  Counter counter = { 0 };
  guint submitted = 0;
  gint64 start = g_get_monotonic_time ();

  g_variant_ref_sink (arguments);
  while (submitted < n || counter.pending > 0)
    {
      while (submitted < n && counter.pending < parallel)
        {
          counter.pending++;
          submitted++;
          aio_process_pool_call_async (pool, function, arguments, NULL, count_done, &counter);
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_variant_unref (arguments);

  return g_get_monotonic_time () - start;
}

/* Reads @size bytes, first waiting in poll() when @wait_in_poll. */
static void
read_all (int fd, guint8 *buffer, gsize size, gboolean wait_in_poll)
{
  struct pollfd input = { .fd = fd, .events = POLLIN };

  for (gsize got = 0; got < size;)
    {
      if (wait_in_poll)
        poll (&input, 1, -1);
      got += read (fd, buffer + got, size - got);
    }
}

/* Microseconds per round trip of @size bytes each way over a socketpair,
 * the pool's own transport, with nothing else: plain blocking reads and
 * writes, or, with @wait_in_poll, each read after a poll() as the pool and
 * its workers do (a reader blocked in read() is also woken whenever the
 * other side reads, which costs that side a wake-up). */
static double
time_socket_round_trips (guint n, gsize size, gboolean wait_in_poll)
{
  int fds[2];
  g_autofree guint8 *buffer = g_malloc0 (size);
  gint64 start;
  pid_t child;

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  child = fork ();
  if (child == 0)
    {
      for (guint i = 0; i < n; i++)
        {
          read_all (fds[1], buffer, size, wait_in_poll);
          for (gsize put = 0; put < size;)
            put += write (fds[1], buffer + put, size - put);
        }
      _exit (0);
    }

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      for (gsize put = 0; put < size;)
        put += write (fds[0], buffer + put, size - put);
      read_all (fds[0], buffer, size, wait_in_poll);
    }
  start = g_get_monotonic_time () - start;
  waitpid (child, NULL, 0);
  close (fds[0]);
  close (fds[1]);

  return (double) start / n;
}

/* The baseline is the faster of two bare ping-pongs, measured in turns with
 * the pool: plain blocking reads, or a poll() before each read as the pool
 * and its workers do (on this machine kind the faster one). The comment
 * line names both. */
static void
bench_round_trip (AioProcessPool *pool)
{
  double pool_us[ROUNDS], blocking_us[ROUNDS], polled_us[ROUNDS];
  guint n = 5000;
  double pool_median, blocking_median, polled_median;

  time_calls (pool, "noop", g_variant_new_boolean (TRUE), 100, 1);
  for (guint i = 0; i < ROUNDS; i++)
    {
      blocking_us[i] = time_socket_round_trips (n, 1, FALSE);
      pool_us[i] = time_calls (pool, "noop", g_variant_new_boolean (TRUE), n, 1) / n;
      polled_us[i] = time_socket_round_trips (n, 1, TRUE);
    }
  pool_median = bench_median (pool_us, ROUNDS);
  blocking_median = bench_median (blocking_us, ROUNDS);
  polled_median = bench_median (polled_us, ROUNDS);
  bench_report ("process-call-round-trip-vs-socketpair-ping-pong",
                pool_median, "us", MIN (blocking_median, polled_median), 2);
  g_printerr ("# socketpair ping-pong: %.2f us with blocking reads, %.2f us waiting in poll() before each read\n",
              blocking_median, polled_median);
}

static void
bench_throughput (AioProcessPool *pool)
{
  gsize size = 1024 * 1024;
  g_autofree guint8 *data = g_malloc0 (size);
  double pool_mbs[ROUNDS], socket_mbs[ROUNDS];
  guint n = 50;

  for (guint i = 0; i < ROUNDS; i++)
    {
      GVariant *blob = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1);
      double pool_us = time_calls (pool, "echo", blob, n, 1) / n;

      pool_mbs[i] = 2.0 * size / pool_us;
      socket_mbs[i] = 2.0 * size / time_socket_round_trips (n, size, FALSE);
    }
  bench_report ("process-call-1MiB-each-way-throughput-vs-socketpair",
                bench_median (pool_mbs, ROUNDS), "MB/s", bench_median (socket_mbs, ROUNDS), 2);
}

static void
bench_cpu_speedup (AioProcessPool *pool)
{
  guint tasks = 2 * aio_get_cpu_cores ();
  guint32 iterations = 200000000;
  double serial_s, pool_s;
  gint64 start = g_get_monotonic_time ();
  guint64 sink = 0;

  for (guint i = 0; i < tasks; i++)
    sink += spin (iterations);
  serial_s = (g_get_monotonic_time () - start) / 1e6;
  pool_s = time_calls (pool, "burn", g_variant_new_uint32 (iterations), tasks, tasks) / 1e6;
  /* Speedup: serial time over pool time, the baseline being 1x. */
  g_print ("BENCH cpu-bound-speedup-%u-tasks-%u-cores %.2f x baseline=1.00 ratio=%.2f\n",
           tasks, aio_get_cpu_cores (), serial_s / pool_s, serial_s / pool_s);
  g_printerr ("# serial %.2f s, pool %.2f s (%" G_GUINT64_FORMAT ")\n", serial_s, pool_s, sink);
}

/* Milliseconds from creating a pool of one @worker_argv worker until its
 * first call answered. */
static double
time_worker_start (const char * const *worker_argv)
{
  g_autoptr(AioProcessPool) pool = aio_process_pool_new (1, worker_argv);
  gint64 start = g_get_monotonic_time ();
  double ms;

  time_calls (pool, "noop", g_variant_new_boolean (TRUE), 1, 1);
  ms = (g_get_monotonic_time () - start) / 1000.0;
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);

  return ms;
}

/* Milliseconds to run @argv to its end. */
static double
time_spawn (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  gint64 start = g_get_monotonic_time ();

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);

  return (g_get_monotonic_time () - start) / 1000.0;
}

/* A worker of @language started until ready, vs the same program started
 * only to load aioext and exit: what the pool adds to a bare start. */
static void
bench_worker_start (const char         *language,
                    const char * const *worker_argv,
                    const char * const *load_argv)
{
  g_autofree char *name = g_strdup_printf ("process-worker-start-%s-until-ready-vs-load-and-exit",
                                           language);
  double start_ms[9], load_ms[9];

  for (guint i = 0; i < G_N_ELEMENTS (start_ms); i++)
    {
      load_ms[i] = time_spawn (load_argv);
      start_ms[i] = time_worker_start (worker_argv);
    }
  bench_report (name, bench_median (start_ms, G_N_ELEMENTS (start_ms)), "ms",
                bench_median (load_ms, G_N_ELEMENTS (load_ms)), 2);
}

static void
bench_worker_starts (const char *self)
{
  g_autofree char *python_worker = g_build_filename (BENCH_SOURCE_DIR, "bench-worker.py", NULL);
  g_autofree char *gjs_worker = g_build_filename (BENCH_SOURCE_DIR, "bench-worker.js", NULL);
  const char *c_worker_argv[] = { self, NULL };
  const char *c_load_argv[] = { self, "--load-and-exit", NULL };
  const char *python_worker_argv[] = { BENCH_PYTHON, python_worker, NULL };
  const char *python_load_argv[] = { BENCH_PYTHON, "-c",
    "import gi; gi.require_version('Aio', '1.0'); from gi.repository import Aio; Aio.Worker.new()", NULL };
  const char *gjs_worker_argv[] = { BENCH_GJS, "-m", gjs_worker, NULL };
  const char *gjs_load_argv[] = { BENCH_GJS, "-c",
    "imports.gi.versions.Aio = '1.0'; imports.gi.Aio.Worker.new();", NULL };

  bench_worker_start ("c", c_worker_argv, c_load_argv);
  bench_worker_start ("python", python_worker_argv, python_load_argv);
  if (BENCH_GJS[0] != '\0')
    bench_worker_start ("gjs", gjs_worker_argv, gjs_load_argv);
}

/* Workers in Python and GJS find the uninstalled library, its typelib and
 * the Python overrides of this build. */
static void
use_this_build (void)
{
  static const char *const variables[][2] = {
    { "LD_LIBRARY_PATH", BENCH_BUILD_ROOT "/aioext" },
    { "GI_TYPELIB_PATH", BENCH_BUILD_ROOT "/aioext" },
    { "PYTHONPATH", BENCH_BUILD_ROOT "/python" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (variables); i++)
    {
      const char *old = g_getenv (variables[i][0]);
      g_autofree char *value = old != NULL && *old != '\0'
        ? g_strconcat (variables[i][1], ":", old, NULL)
        : g_strdup (variables[i][1]);

      g_setenv (variables[i][0], value, TRUE);
    }
}

int
main (int argc, char *argv[])
{
  g_autoptr(AioWorker) worker = aio_worker_new ();
  g_autoptr(AioProcessPool) pool = NULL;
  g_autofree char *self_path = NULL;

  aio_worker_register (worker, "noop", NULL, noop, NULL, NULL);
  aio_worker_register (worker, "burn", G_VARIANT_TYPE_UINT32, burn, NULL, NULL);
  aio_worker_register (worker, "echo", NULL, echo, NULL, NULL);
  if (aio_worker_is_requested ())
    return aio_worker_run (worker);
  if (argc > 1 && g_str_equal (argv[1], "--load-and-exit"))
    return 0;

  use_this_build ();
  self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_assert (self_path != NULL);
  pool = aio_process_pool_new (0, NULL);
  bench_round_trip (pool);
  /* For callgrind, whose counts of the round trip alone are stable. */
  if (argc > 1 && g_str_equal (argv[1], "--round-trip-only"))
    return 0;
  bench_throughput (pool);
  bench_worker_starts (self_path);
  bench_cpu_speedup (pool);

  return 0;
}
