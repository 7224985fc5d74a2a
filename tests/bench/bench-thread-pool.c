/* bench-thread-pool.c: AioThreadPool against its baselines
 *
 *   throughput: 100,000 trivial calls submitted at once, all completed back
 *               on the main loop, per call, against g_task_run_in_thread()
 *               doing the same (target: ratio <= 0.25);
 *   latency:    one call, submit to callback, pool idle, against a
 *               mutex/condvar ping-pong between two threads (target: ratio
 *               <= 1.5);
 *   memory:     1,000,000 calls queued at once behind blocked workers: RSS
 *               bytes per queued call (target: <= 200), against a bare
 *               GThreadPool queue entry; and the most threads seen running,
 *               against max-workers.
 *
 * Each time figure is the median of several runs. Prints one line per
 * figure: BENCH <name> <value> <unit> baseline=<value> ratio=<value>
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"

#define RUNS             5
#define THROUGHPUT_CALLS 100000
#define LATENCY_CALLS    5000
#define QUEUED_CALLS     1000000

/* Throughput. */

static gboolean
trivial (GCancellable  *cancellable,
         GValue        *result,
         gpointer       user_data,
         GError       **error)
{
  return TRUE;
}

static void
count_call (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GValue *value = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, NULL);

  g_boxed_free (G_TYPE_VALUE, value);
  (*(int *) user_data)++;
}

static double
aio_throughput_ns (AioThreadPool *pool)
{
  int done = 0;
  gint64 start = g_get_monotonic_time ();

  for (int i = 0; i < THROUGHPUT_CALLS; i++)
    aio_thread_pool_run_async (pool, trivial, NULL, NULL, NULL, count_call, &done);
  while (done < THROUGHPUT_CALLS)
    g_main_context_iteration (NULL, TRUE);

  return bench_ns_per_item (start, THROUGHPUT_CALLS);
}

static void
gtask_trivial (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static void
count_task (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
  (*(int *) user_data)++;
}

static double
gtask_throughput_ns (void)
{
  int done = 0;
  gint64 start = g_get_monotonic_time ();

  for (int i = 0; i < THROUGHPUT_CALLS; i++)
    {
      GTask *task = g_task_new (NULL, NULL, count_task, &done);

      g_task_run_in_thread (task, gtask_trivial);
      g_object_unref (task);
    }
  while (done < THROUGHPUT_CALLS)
    g_main_context_iteration (NULL, TRUE);

  return bench_ns_per_item (start, THROUGHPUT_CALLS);
}

/* The pool's figure and its baseline run in turns, so that both see the
 * same moments of a shared machine. */
static void
report_in_turns (const char     *name,
                 AioThreadPool  *pool,
                 double        (*ours_ns) (AioThreadPool *pool),
                 double        (*theirs_ns) (void))
{
  double ours[RUNS], theirs[RUNS];

  for (int run = 0; run < RUNS; run++)
    {
      ours[run] = ours_ns (pool);
      theirs[run] = theirs_ns ();
    }
  bench_report (name, bench_median (ours, RUNS), "ns", bench_median (theirs, RUNS), 1);
}

static void
bench_throughput (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (0);

  report_in_turns ("thread-pool-100k-calls-per-call", pool, aio_throughput_ns, gtask_throughput_ns);
}

/* Latency. */

static double
aio_latency_ns (AioThreadPool *pool)
{
  gint64 start = g_get_monotonic_time ();

  for (int i = 0; i < LATENCY_CALLS; i++)
    {
      int done = 0;

      aio_thread_pool_run_async (pool, trivial, NULL, NULL, NULL, count_call, &done);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
    }

  return bench_ns_per_item (start, LATENCY_CALLS);
}

typedef struct
{
  GMutex mutex;
  GCond  cond;
  int    turn;    /* 0: the main thread's, 1: the other's, -1: stop */
} PingPong;

static gpointer
pong (gpointer data)
{
  PingPong *ping_pong = data;

  g_mutex_lock (&ping_pong->mutex);
  for (;;)
    {
      while (ping_pong->turn == 0)
        g_cond_wait (&ping_pong->cond, &ping_pong->mutex);
      if (ping_pong->turn < 0)
        break;
      ping_pong->turn = 0;
      g_cond_broadcast (&ping_pong->cond);
    }
  g_mutex_unlock (&ping_pong->mutex);

  return NULL;
}

static double
ping_pong_ns (void)
{
  PingPong ping_pong = { .turn = 0 };
  GThread *thread;
  gint64 start;
  double elapsed;

  g_mutex_init (&ping_pong.mutex);
  g_cond_init (&ping_pong.cond);
  thread = g_thread_new ("pong", pong, &ping_pong);

  start = g_get_monotonic_time ();
  g_mutex_lock (&ping_pong.mutex);
  for (int i = 0; i < LATENCY_CALLS; i++)
    {
      ping_pong.turn = 1;
      g_cond_broadcast (&ping_pong.cond);
      while (ping_pong.turn == 1)
        g_cond_wait (&ping_pong.cond, &ping_pong.mutex);
    }
  elapsed = bench_ns_per_item (start, LATENCY_CALLS);
  ping_pong.turn = -1;
  g_cond_broadcast (&ping_pong.cond);
  g_mutex_unlock (&ping_pong.mutex);

  g_thread_join (thread);
  g_cond_clear (&ping_pong.cond);
  g_mutex_clear (&ping_pong.mutex);

  return elapsed;
}

static void
bench_latency (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (0);

  aio_latency_ns (pool);  /* warm: the first call starts the thread */
  report_in_turns ("thread-pool-one-call-latency", pool, aio_latency_ns, ping_pong_ns);
}

/* Memory and threads. */

typedef struct
{
  GMutex mutex;
  GCond  cond;
  gboolean is_open;
  int    running;
  int    peak_running;
} Gate;

static Gate gate;
static double bare_bytes_for_report;

static gboolean
count_and_wait (GCancellable  *cancellable,
                GValue        *result,
                gpointer       user_data,
                GError       **error)
{
  g_mutex_lock (&gate.mutex);
  gate.running++;
  gate.peak_running = MAX (gate.peak_running, gate.running);
  while (!gate.is_open)
    g_cond_wait (&gate.cond, &gate.mutex);
  gate.running--;
  g_mutex_unlock (&gate.mutex);

  return TRUE;
}

static int
thread_count (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  int count = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    count++;

  return count;
}

static void
bare_item (gpointer data,
           gpointer user_data)
{
  count_and_wait (NULL, NULL, NULL, NULL);
}

/* A bare GThreadPool entry: the floor under any queued record. */
static double
bare_queue_bytes_per_item (void)
{
  GThreadPool *threads;
  gint64 before;
  double bytes;

  g_mutex_init (&gate.mutex);
  g_cond_init (&gate.cond);
  threads = g_thread_pool_new (bare_item, NULL, 1, TRUE, NULL);

  g_thread_pool_push (threads, GINT_TO_POINTER (1), NULL);
  while (g_thread_pool_unprocessed (threads) > 0)
    g_usleep (1000);
  before = bench_resident_bytes ();
  for (int i = 0; i < QUEUED_CALLS; i++)
    g_thread_pool_push (threads, GINT_TO_POINTER (1), NULL);
  bytes = (double) (bench_resident_bytes () - before) / QUEUED_CALLS;

  g_mutex_lock (&gate.mutex);
  gate.is_open = TRUE;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.mutex);
  g_thread_pool_free (threads, FALSE, TRUE);

  return bytes;
}

static void
bench_memory (double bare_bytes)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (0);
  guint max_workers = aio_executor_pool_get_max_workers (AIO_EXECUTOR_POOL (pool));
  int threads_before = thread_count ();
  int peak_threads = 0;
  int done = 0;
  gint64 before;
  double ours;

  g_mutex_init (&gate.mutex);
  g_cond_init (&gate.cond);

  /* Block every worker, so that what follows stays queued. */
  for (guint i = 0; i < max_workers; i++)
    aio_thread_pool_run_async (pool, count_and_wait, NULL, NULL, NULL, count_call, &done);
  while ((guint) g_atomic_int_get (&gate.running) < max_workers)
    g_usleep (1000);

  before = bench_resident_bytes ();
  for (int i = 0; i < QUEUED_CALLS; i++)
    aio_thread_pool_run_async (pool, count_and_wait, NULL, NULL, NULL, count_call, &done);
  ours = (double) (bench_resident_bytes () - before) / QUEUED_CALLS;
  peak_threads = thread_count () - threads_before;

  g_mutex_lock (&gate.mutex);
  gate.is_open = TRUE;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.mutex);
  while (done < QUEUED_CALLS + (int) max_workers)
    {
      g_main_context_iteration (NULL, TRUE);
      peak_threads = MAX (peak_threads, thread_count () - threads_before);
    }

  bench_report ("thread-pool-1m-queued-bytes-per-call", ours, "bytes", bare_bytes, 1);
  printf ("BENCH thread-pool-1m-queued-peak-running %d threads baseline=%u ratio=%.3f\n",
          gate.peak_running, max_workers, (double) gate.peak_running / max_workers);
  printf ("BENCH thread-pool-1m-queued-new-threads %d threads baseline=%u ratio=%.3f\n",
          peak_threads, max_workers, (double) peak_threads / max_workers);
}

/* Memory is measured in fresh processes, forked before any thread exists:
 * memory freed by an earlier measurement would be reused and hide growth. */
static double
in_child (double (*measure) (void))
{
  int pipe_fds[2];
  double value = 0;
  pid_t pid;

  if (pipe (pipe_fds) != 0)
    g_error ("pipe failed");
  pid = fork ();
  if (pid == 0)
    {
      value = measure ();
      if (write (pipe_fds[1], &value, sizeof value) != sizeof value)
        _exit (1);
      _exit (0);
    }
  if (read (pipe_fds[0], &value, sizeof value) != sizeof value)
    g_error ("the measuring child failed");
  waitpid (pid, NULL, 0);
  close (pipe_fds[0]);
  close (pipe_fds[1]);

  return value;
}

static double
memory_in_child (void)
{
  bench_memory (bare_bytes_for_report);
  fflush (stdout);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  bare_bytes_for_report = in_child (bare_queue_bytes_per_item);
  in_child (memory_in_child);
  bench_throughput ();
  bench_latency ();

  return 0;
}
