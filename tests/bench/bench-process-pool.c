/* bench-process-pool.c: the process pool against raw processes and pipes
 *
 * - call round trip (pool warm) vs a one-byte ping-pong over pipes between
 *   two processes
 * - CPU-bound speedup: the same work serially in this process vs spread
 *   over a pool as large as the CPU count (higher is better)
 * - 1 MiB argument and 1 MiB result per call: effective MB/s vs moving the
 *   same bytes both ways over a raw pipe (higher is better)
 * - starting a worker until it is ready for calls vs spawning /bin/true
 *
 * This program is its own worker. Figures are medians of several rounds,
 * printed as `BENCH <name> <value> <unit> baseline=<value> ratio=<value>`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

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

/* Microseconds per round trip of @size bytes each way over pipes. */
static double
time_pipe_round_trips (guint n, gsize size)
{
  int to_child[2], to_parent[2];
  g_autofree guint8 *buffer = g_malloc0 (size);
  gint64 start;
  pid_t child;

  g_assert_no_errno (pipe (to_child));
  g_assert_no_errno (pipe (to_parent));
  child = fork ();
  if (child == 0)
    {
      for (guint i = 0; i < n; i++)
        {
          for (gsize got = 0; got < size;)
            got += read (to_child[0], buffer + got, size - got);
          for (gsize put = 0; put < size;)
            put += write (to_parent[1], buffer + put, size - put);
        }
      _exit (0);
    }

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      for (gsize put = 0; put < size;)
        put += write (to_child[1], buffer + put, size - put);
      for (gsize got = 0; got < size;)
        got += read (to_parent[0], buffer + got, size - got);
    }
  start = g_get_monotonic_time () - start;
  waitpid (child, NULL, 0);
  close (to_child[0]); close (to_child[1]); close (to_parent[0]); close (to_parent[1]);

  return (double) start / n;
}

static void
bench_round_trip (AioProcessPool *pool)
{
  double pool_us[ROUNDS], pipe_us[ROUNDS];
  guint n = 5000;

  time_calls (pool, "noop", g_variant_new_boolean (TRUE), 100, 1);
  for (guint i = 0; i < ROUNDS; i++)
    {
      pipe_us[i] = time_pipe_round_trips (n, 1);
      pool_us[i] = time_calls (pool, "noop", g_variant_new_boolean (TRUE), n, 1) / n;
    }
  bench_report ("process-call-round-trip-vs-pipe-ping-pong",
                bench_median (pool_us, ROUNDS), "us", bench_median (pipe_us, ROUNDS), 2);
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

static void
bench_throughput (AioProcessPool *pool)
{
  gsize size = 1024 * 1024;
  g_autofree guint8 *data = g_malloc0 (size);
  double pool_mbs[ROUNDS], pipe_mbs[ROUNDS];
  guint n = 50;

  for (guint i = 0; i < ROUNDS; i++)
    {
      GVariant *blob = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1);
      double pool_us = time_calls (pool, "echo", blob, n, 1) / n;

      pool_mbs[i] = 2.0 * size / pool_us;
      pipe_mbs[i] = 2.0 * size / time_pipe_round_trips (n, size);
    }
  bench_report ("process-call-1MiB-each-way-throughput-vs-pipe",
                bench_median (pool_mbs, ROUNDS), "MB/s", bench_median (pipe_mbs, ROUNDS), 2);
}

static void
bench_worker_start (void)
{
  double start_ms[15], spawn_ms[15];

  for (guint i = 0; i < G_N_ELEMENTS (start_ms); i++)
    {
      g_autoptr(AioProcessPool) pool = aio_process_pool_new (1, NULL);
      g_autoptr(GSubprocess) process = NULL;
      gint64 start = g_get_monotonic_time ();

      time_calls (pool, "noop", g_variant_new_boolean (TRUE), 1, 1);
      start_ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);

      start = g_get_monotonic_time ();
      process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, NULL, "/bin/true", NULL);
      g_subprocess_wait (process, NULL, NULL);
      spawn_ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  bench_report ("process-worker-start-until-ready-vs-spawn-true",
                bench_median (start_ms, G_N_ELEMENTS (start_ms)), "ms",
                bench_median (spawn_ms, G_N_ELEMENTS (spawn_ms)), 2);
}

int
main (int argc, char *argv[])
{
  g_autoptr(AioWorker) worker = aio_worker_new ();
  g_autoptr(AioProcessPool) pool = NULL;

  aio_worker_register (worker, "noop", NULL, noop, NULL, NULL);
  aio_worker_register (worker, "burn", G_VARIANT_TYPE_UINT32, burn, NULL, NULL);
  aio_worker_register (worker, "echo", NULL, echo, NULL, NULL);
  if (aio_worker_is_requested ())
    return aio_worker_run (worker);

  pool = aio_process_pool_new (0, NULL);
  bench_round_trip (pool);
  bench_throughput (pool);
  bench_worker_start ();
  bench_cpu_speedup (pool);

  return 0;
}
