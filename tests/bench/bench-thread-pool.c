/* bench-thread-pool.c: AioThreadPool against its baselines
 *
 *   throughput: 100,000 trivial calls submitted at once, every value read
 *               back on the main loop, per call, with 1, 2 and 20 threads,
 *               against a GLib GThreadPool of as many threads whose workers
 *               hand results back to the main context in batches (target:
 *               ratio <= 1.2 at 1 and 2 threads; 20 threads no slower per
 *               call than 1); each through aio_thread_pool_run_async()
 *               (a GAsyncResult per call) and through the C fast path
 *               aio_thread_pool_submit(), against the same baseline runs;
 *   latency:    one call, submit to callback, pool idle, against the bare
 *               handoff to another thread and back over eventfds (both
 *               sides sleep, as an idle pool does) and by spinning;
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
#include <sys/eventfd.h>
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
  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, 1);

  return TRUE;
}

static void
count_call (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GValue *value = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, NULL);

  *(int *) user_data += g_value_get_int (value);
  g_boxed_free (G_TYPE_VALUE, value);
}

static void
count_done (GValue       *value,
            const GError *error,
            gpointer      user_data)
{
  *(int *) user_data += g_value_get_int (value);
}

/* Through aio_thread_pool_run_async() and run_finish(), or, when
 * @is_direct, through the C fast path aio_thread_pool_submit(). */
static double
aio_throughput_ns (guint    threads,
                   gboolean is_direct)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (threads);
  int done = 0;
  gint64 start = g_get_monotonic_time ();

  for (int i = 0; i < THROUGHPUT_CALLS; i++)
    {
      if (is_direct)
        aio_thread_pool_submit (pool, trivial, NULL, NULL, NULL, count_done, &done);
      else
        aio_thread_pool_run_async (pool, trivial, NULL, NULL, NULL, count_call, &done);
    }
  BENCH_ITERATE_WHILE (done < THROUGHPUT_CALLS);

  return bench_ns_per_item (start, THROUGHPUT_CALLS);
}

/* The strongest plain-GLib baseline: a GThreadPool whose workers hand the
 * finished calls back to the main context in batches. */
static double
glib_batched_throughput_ns (guint threads)
{
  return bench_glib_batched_pool_ns (threads, THROUGHPUT_CALLS);
}

typedef struct
{
  double run_async;
  double submit;
} Medians;

/* Both of ours and the baseline in turns, so that all three see the same
 * moments of a shared machine; reports both against the same baseline
 * runs and returns our medians. */
static Medians
report_in_turns (guint       threads,
                 const char *run_async_name,
                 const char *submit_name)
{
  double run_async[RUNS], submit[RUNS], theirs[RUNS];
  Medians medians;

  for (int run = 0; run < RUNS; run++)
    {
      theirs[run] = glib_batched_throughput_ns (threads);
      run_async[run] = aio_throughput_ns (threads, FALSE);
      submit[run] = aio_throughput_ns (threads, TRUE);
    }
  medians.run_async = bench_median (run_async, RUNS);
  medians.submit = bench_median (submit, RUNS);
  bench_report (run_async_name, medians.run_async, "ns", bench_median (theirs, RUNS), 1);
  bench_report (submit_name, medians.submit, "ns", bench_median (theirs, RUNS), 1);

  return medians;
}

static void
bench_throughput (void)
{
  Medians one, twenty;

  one = report_in_turns (1, "thread-pool-100k-calls-1-thread-per-call-vs-glib-batched",
                         "thread-pool-100k-submits-1-thread-per-call-vs-glib-batched");
  report_in_turns (2, "thread-pool-100k-calls-2-threads-per-call-vs-glib-batched",
                   "thread-pool-100k-submits-2-threads-per-call-vs-glib-batched");
  twenty = report_in_turns (20, "thread-pool-100k-calls-20-threads-per-call-vs-glib-batched",
                            "thread-pool-100k-submits-20-threads-per-call-vs-glib-batched");
  /* Flat: 20 threads cost no more per call than one. */
  bench_report ("thread-pool-100k-calls-20-threads-vs-1-thread", twenty.run_async, "ns", one.run_async, 1);
  bench_report ("thread-pool-100k-submits-20-threads-vs-1-thread", twenty.submit, "ns", one.submit, 1);
}

/* Latency: one call, submit to callback, with the pool idle. */

static double
aio_latency_ns (AioThreadPool *pool)
{
  gint64 start = g_get_monotonic_time ();

  for (int i = 0; i < LATENCY_CALLS; i++)
    {
      int done = 0;

      aio_thread_pool_run_async (pool, trivial, NULL, NULL, NULL, count_call, &done);
      BENCH_ITERATE_WHILE (!done);
    }

  return bench_ns_per_item (start, LATENCY_CALLS);
}

/* Baselines: the bare handoff of one call to another thread and back, with
 * nothing else. The eventfd one sleeps in the kernel on both sides, as an
 * idle pool and a main loop in poll() do; the spinning one never sleeps,
 * the floor of any handoff (it yields the CPU while it spins, or on a
 * shared 2-core machine the two spinners starve each other). */
typedef struct
{
  int  to_worker;
  int  to_caller;
  int  turn;      /* spinning: 0 the caller's, 1 the worker's, -1 stop */
} Handoff;

static gpointer
eventfd_worker (gpointer data)
{
  Handoff *handoff = data;
  guint64 value;

  while (read (handoff->to_worker, &value, sizeof value) == sizeof value && value == 1)
    {
      value = 1;
      if (write (handoff->to_caller, &value, sizeof value) != sizeof value)
        break;
    }

  return NULL;
}

static double
eventfd_handoff_ns (void)
{
  Handoff handoff = { eventfd (0, EFD_CLOEXEC), eventfd (0, EFD_CLOEXEC), 0 };
  GThread *thread = g_thread_new ("eventfd-worker", eventfd_worker, &handoff);
  guint64 value = 1;
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  for (int i = 0; i < LATENCY_CALLS; i++)
    {
      value = 1;
      if (write (handoff.to_worker, &value, sizeof value) != sizeof value ||
          read (handoff.to_caller, &value, sizeof value) != sizeof value)
        g_error ("the eventfd handoff failed");
    }
  elapsed = bench_ns_per_item (start, LATENCY_CALLS);
  value = 2;
  if (write (handoff.to_worker, &value, sizeof value) != sizeof value)
    g_error ("the eventfd handoff failed");
  g_thread_join (thread);
  close (handoff.to_worker);
  close (handoff.to_caller);

  return elapsed;
}

static gpointer
spinning_worker (gpointer data)
{
  Handoff *handoff = data;
  int turn;

  while ((turn = g_atomic_int_get (&handoff->turn)) >= 0)
    {
      if (turn == 1)
        g_atomic_int_set (&handoff->turn, 0);
      else
        g_thread_yield ();
    }

  return NULL;
}

static double
spinning_handoff_ns (void)
{
  Handoff handoff = { -1, -1, 0 };
  GThread *thread = g_thread_new ("spinning-worker", spinning_worker, &handoff);
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  for (int i = 0; i < LATENCY_CALLS; i++)
    {
      g_atomic_int_set (&handoff.turn, 1);
      while (g_atomic_int_get (&handoff.turn) == 1)
        g_thread_yield ();
    }
  elapsed = bench_ns_per_item (start, LATENCY_CALLS);
  g_atomic_int_set (&handoff.turn, -1);
  g_thread_join (thread);

  return elapsed;
}

static void
bench_latency (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (0);
  double ours[RUNS], eventfd_ns[RUNS], spinning_ns[RUNS];

  aio_latency_ns (pool);  /* warm: the first call starts the thread */
  for (int run = 0; run < RUNS; run++)
    {
      eventfd_ns[run] = eventfd_handoff_ns ();
      spinning_ns[run] = spinning_handoff_ns ();
      ours[run] = aio_latency_ns (pool);
    }
  bench_report ("thread-pool-one-call-latency-vs-eventfd-handoff", bench_median (ours, RUNS), "ns",
                bench_median (eventfd_ns, RUNS), 1);
  bench_report ("thread-pool-one-call-latency-vs-spinning-handoff", bench_median (ours, RUNS), "ns",
                bench_median (spinning_ns, RUNS), 1);
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

  if (result != NULL)
    {
      g_value_init (result, G_TYPE_INT);
      g_value_set_int (result, 1);
    }

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
bare_queue_bytes_per_item (guint unused)
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
      int threads = thread_count () - threads_before;

      peak_threads = MAX (peak_threads, threads);
    }

  bench_report ("thread-pool-1m-queued-bytes-per-call", ours, "bytes", bare_bytes, 1);
  printf ("BENCH thread-pool-1m-queued-peak-running %d threads baseline=%u ratio=%.3f\n",
          gate.peak_running, max_workers, (double) gate.peak_running / max_workers);
  printf ("BENCH thread-pool-1m-queued-new-threads %d threads baseline=%u ratio=%.3f\n",
          peak_threads, max_workers, (double) peak_threads / max_workers);
}

/* Memory is measured in fresh processes, forked before any thread exists
 * (bench_in_child()): memory freed by an earlier measurement would be
 * reused and hide growth. */
static double
memory_in_child (guint unused)
{
  bench_memory (bare_bytes_for_report);
  fflush (stdout);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  bare_bytes_for_report = bench_in_child (bare_queue_bytes_per_item, 0);
  bench_in_child (memory_in_child, 0);
  bench_throughput ();
  bench_latency ();

  return 0;
}
