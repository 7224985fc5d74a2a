/* bench-flow.c: the cost of AioSemaphore and AioRateLimiter
 *
 * - try-acquire-release: one uncontended aio_semaphore_try_acquire() +
 *   aio_semaphore_release() pair vs the same pair on a plain mutex counter
 * - acquire-async-release: one uncontended aio_semaphore_acquire_async()
 *   completion through the main loop + release vs one raw GTask created,
 *   returned and dispatched
 * - idle-ops-64-permits: 100,000 operations that each complete from an
 *   idle source, all queued at once on a semaphore of 64 permits with
 *   aio_semaphore_run_job_async() (each job made, run, its value read,
 *   freed), and the same through a collector of 64 workers, against the
 *   strongest bounded concurrency plain GLib expresses: a counter window
 *   of 64 GTasks, each returned from an idle source, the next started from
 *   each completion; and the semaphore's C fast path,
 *   aio_semaphore_submit_job(), over the same operations; and the GLib
 *   window over GTasks all made before the first starts against the plain
 *   one: what it costs plain GLib to hold every request at once, as a
 *   semaphore's callers do
 * - glib-slices: the two records a queued job call holds (its job and the
 *   semaphore's record), 100,000 pairs allocated, held and freed through
 *   GLib's slices, against pairs of one size: what GLib 2.74's slab pages
 *   cost a caller that holds records of two sizes
 * - queued-run-job-waiter-bytes: heap bytes per waiter queued on a
 *   semaphore (its waiter record and whatever it holds) vs one bare GTask
 *   (glibc only)
 * - rate-limiter: 10,000 calls at 1,000 calls per second, through a
 *   limiter of 1 call per millisecond and one of 1,000 calls per second;
 *   lateness of each start against the earliest time the limit allowed it
 *   given the real earlier starts, how many started early (must be 0), and
 *   the rate reached (lateness delays the calls behind)
 * - rate-limiter-burst-2000-from-one-dispatch: 2,000 calls issued from one
 *   dispatch on 100 calls per 0.1 s, measured in the callbacks: the most
 *   callbacks in any window of one period against the limit, early ones,
 *   lateness percentiles, first to last callback against 19 periods
 *
 * Each figure is the median of several rounds, measured against its
 * baseline in the same run, and printed as
 * `BENCH <name> <value> <unit> baseline=<value> ratio=<value>`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#ifdef __GLIBC__
# include <malloc.h>
#endif

#include "bench-common.h"

#define ROUNDS 7
#define WINDOW 64

typedef double (*MeasureFunc) (guint steps);

/* `bench-flow WORD` runs only the figures whose name contains WORD. */
static const char *filter;

static void
report (const char  *name,
        const char  *unit,
        MeasureFunc  measured_func,
        MeasureFunc  baseline,
        guint        steps)
{
  double baselines[ROUNDS], measured[ROUNDS];
  double baseline_value, measured_value;
  guint rounds = bench_rounds (ROUNDS);

  if (filter != NULL && strstr (name, filter) == NULL)
    return;

  /* In turns, so that both see the same moments of a shared machine. */
  for (guint i = 0; i < rounds; i++)
    {
      baselines[i] = baseline (steps);
      measured[i] = measured_func (steps);
    }
  baseline_value = bench_median (baselines, rounds);
  measured_value = bench_median (measured, rounds);

  bench_report (name, measured_value, unit, baseline_value, 1);
}

/* try_acquire + release */

typedef struct
{
  GMutex mutex;
  guint  value;
} Counter;

static gboolean
counter_try_acquire (Counter *counter)
{
  gboolean is_acquired;

  g_mutex_lock (&counter->mutex);
  is_acquired = counter->value > 0;
  if (is_acquired)
    counter->value--;
  g_mutex_unlock (&counter->mutex);

  return is_acquired;
}

static void
counter_release (Counter *counter)
{
  g_mutex_lock (&counter->mutex);
  counter->value++;
  g_mutex_unlock (&counter->mutex);
}

static double
measure_counter_pairs (guint steps)
{
  static Counter counter = { .value = 1 };
  gint64 begin = g_get_monotonic_time ();

  for (guint i = 0; i < steps; i++)
    {
      if (!counter_try_acquire (&counter))
        g_error ("the counter was empty");
      counter_release (&counter);
    }

  return bench_ns_per_item (begin, steps);
}

static double
measure_semaphore_pairs (guint steps)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  gint64 begin = g_get_monotonic_time ();
  double ns;

  for (guint i = 0; i < steps; i++)
    {
      if (!aio_semaphore_try_acquire (semaphore, 1))
        g_error ("the semaphore was empty");
      aio_semaphore_release (semaphore, 1, NULL);
    }

  ns = bench_ns_per_item (begin, steps);
  /* Emits the pending notify, which holds a reference. */
  bench_run_pending ();

  return ns;
}

/* acquire_async + release vs raw GTask */

typedef struct
{
  guint         remaining;
  AioSemaphore *semaphore;
} Chain;

static void
acquire_step (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Chain *chain = user_data;

  if (!aio_semaphore_acquire_finish (chain->semaphore, result, NULL))
    g_error ("the acquisition failed");
  aio_semaphore_release (chain->semaphore, 1, NULL);
  if (--chain->remaining > 0)
    aio_semaphore_acquire_async (chain->semaphore, 1, NULL, acquire_step, chain);
}

static double
run_chain (Chain *chain,
           guint  steps)
{
  gint64 begin = g_get_monotonic_time ();

  if (chain->semaphore != NULL)
    aio_semaphore_acquire_async (chain->semaphore, 1, NULL, acquire_step, chain);
  else
    bench_task_start (&chain->remaining);
  BENCH_ITERATE_WHILE (chain->remaining > 0);

  return bench_ns_per_item (begin, steps);
}

static double
measure_task_chain (guint steps)
{
  Chain chain = { steps, NULL };

  return run_chain (&chain, steps);
}

static double
measure_acquire_chain (guint steps)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  Chain chain = { steps, semaphore };
  double ns = run_chain (&chain, steps);

  bench_run_pending ();

  return ns;
}

/* 100,000 operations, each completed from an idle source, 64 at a time */

/* Baseline: the strongest bounded concurrency plain GLib expresses. */
static double
measure_glib_window (guint n_operations)
{
  return bench_glib_window_ns (n_operations, WINDOW);
}

static double
measure_glib_window_made_first (guint n_operations)
{
  return bench_glib_window_made_first_ns (n_operations, WINDOW);
}

/* The same operation as an AioJob: its function returns from an idle. */
static gboolean
return_job_from_idle (gpointer user_data)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 1);
  aio_job_return_value (user_data, &value);
  g_object_unref (user_data);

  return G_SOURCE_REMOVE;
}

static void
start_idle_operation (AioJob       *job,
                      GCancellable *cancellable,
                      gpointer      user_data)
{
  g_idle_add (return_job_from_idle, g_object_ref (job));
}

typedef struct
{
  guint  completed;
  gint64 sum;
} Tally;

static void
semaphore_operation_done (GObject      *source_object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  Tally *tally = user_data;
  const GValue *value = aio_semaphore_run_job_finish (AIO_SEMAPHORE (source_object), result, NULL);

  tally->sum += g_value_get_int (value);
  tally->completed++;
}

/* Every operation queued at once on a 64-permit semaphore, as a caller of
 * aio_semaphore_run_job_async() does; each job made, run, read and freed. */
static double
measure_semaphore_window (guint n_operations)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (WINDOW);
  Tally tally = { 0, 0 };
  gint64 begin = g_get_monotonic_time ();
  double ns;

  for (guint i = 0; i < n_operations; i++)
    {
      g_autoptr(AioJob) job = aio_job_new (start_idle_operation, NULL, NULL);

      aio_semaphore_run_job_async (semaphore, 1, job, NULL, semaphore_operation_done, &tally);
    }
  BENCH_ITERATE_WHILE (tally.completed < n_operations);
  ns = bench_ns_per_item (begin, n_operations);
  g_assert (tally.sum == n_operations);

  bench_run_pending ();

  return ns;
}

static void
submitted_operation_done (const GValue *value,
                          const GError *error,
                          gpointer      user_data)
{
  Tally *tally = user_data;

  tally->sum += g_value_get_int (value);
  tally->completed++;
}

/* The same through the C fast path, aio_semaphore_submit_job(): each job
 * handed over, its outcome handed to a done function, with no result
 * object to finish. */
static double
measure_semaphore_submit_window (guint n_operations)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (WINDOW);
  Tally tally = { 0, 0 };
  gint64 begin = g_get_monotonic_time ();
  double ns;

  for (guint i = 0; i < n_operations; i++)
    aio_semaphore_submit_job (semaphore, 1, aio_job_new (start_idle_operation, NULL, NULL),
                              NULL, submitted_operation_done, &tally);
  BENCH_ITERATE_WHILE (tally.completed < n_operations);
  ns = bench_ns_per_item (begin, n_operations);
  g_assert (tally.sum == n_operations);

  bench_run_pending ();

  return ns;
}

static AioJob *
produce_idle_operation (gpointer   user_data,
                        GError   **error)
{
  guint *remaining = user_data;

  if (*remaining == 0)
    return NULL;
  --*remaining;

  return aio_job_new (start_idle_operation, NULL, NULL);
}

/* What GLib's allocator makes of the two records a queued job call holds:
 * its AioJob and the semaphore's record of the call (a submitted job's,
 * private: 144 bytes on 64-bit systems), allocated in turns, all held,
 * then freed in order, against as many pairs of records of the job's size.
 * On GLib 2.74 both come from slices, and each size takes its slab pages
 * from posix_memalign(), which glibc 2.36 serves slowly when the pages of
 * two sizes interleave; from GLib 2.76 on, slices are malloc(). */
#define SUBMITTED_WAITER_BYTES 144

static double
measure_slice_pairs (gsize first,
                     gsize second,
                     guint n_pairs)
{
  gpointer *held = g_new (gpointer, 2 * n_pairs);
  gint64 begin = g_get_monotonic_time ();
  double ns;

  for (guint i = 0; i < n_pairs; i++)
    {
      held[2 * i] = g_slice_alloc0 (first);
      held[2 * i + 1] = g_slice_alloc0 (second);
    }
  for (guint i = 0; i < n_pairs; i++)
    {
      g_slice_free1 (first, held[2 * i]);
      g_slice_free1 (second, held[2 * i + 1]);
    }
  ns = bench_ns_per_item (begin, n_pairs);
  g_free (held);

  return ns;
}

static gsize
job_bytes (void)
{
  GTypeQuery query;

  g_type_query (AIO_TYPE_JOB, &query);

  return query.instance_size;
}

static double
measure_slices_of_a_job_and_a_waiter (guint n_pairs)
{
  return measure_slice_pairs (job_bytes (), SUBMITTED_WAITER_BYTES, n_pairs);
}

static double
measure_slices_of_two_jobs (guint n_pairs)
{
  return measure_slice_pairs (job_bytes (), job_bytes (), n_pairs);
}

/* The other bounded concurrency of aioext: a collector with 64 workers. */
static double
measure_collector_window (guint n_operations)
{
  guint remaining = n_operations;
  gint64 begin = g_get_monotonic_time ();
  g_autoptr(AioCollector) collector =
    aio_collector_new_for_producer (WINDOW, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                    produce_idle_operation, &remaining, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) results = NULL;
  gint64 sum = 0;

  aio_collector_collect_async (collector, NULL, bench_store_result, &result);
  bench_wait_for_result (&result);
  results = aio_collector_collect_finish (collector, result, NULL);
  for (guint i = 0; i < results->len; i++)
    sum += g_value_get_int (aio_job_propagate_value (results->pdata[i], NULL));
  g_clear_pointer (&results, g_ptr_array_unref);
  g_assert (sum == n_operations);

  return bench_ns_per_item (begin, n_operations);
}

/* Memory of a queued waiter: heap bytes per waiter queued on an empty
 * semaphore, against one bare GTask kept alive, the least any
 * GAsyncReadyCallback API holds per pending call. */

#ifdef __GLIBC__
static void
ignore_result (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
}

static void
bench_waiter_memory (guint waiters)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (0);
  g_autoptr(AioJob) job = aio_job_new (bench_return_now, NULL, NULL);
  GTask **tasks = g_new (GTask *, waiters);
  struct mallinfo2 before, after;
  double task_bytes, waiter_bytes;

  before = mallinfo2 ();
  for (guint i = 0; i < waiters; i++)
    tasks[i] = g_task_new (NULL, NULL, ignore_result, NULL);
  after = mallinfo2 ();
  task_bytes = (double) (after.uordblks - before.uordblks) / waiters;

  before = mallinfo2 ();
  for (guint i = 0; i < waiters; i++)
    aio_semaphore_run_job_async (semaphore, 1, job, NULL, ignore_result, NULL);
  after = mallinfo2 ();
  waiter_bytes = (double) (after.uordblks - before.uordblks) / waiters;

  bench_report ("semaphore-queued-run-job-waiter-bytes", waiter_bytes, "B", task_bytes, 0);

  aio_semaphore_close (semaphore);
  bench_run_pending ();
  for (guint i = 0; i < waiters; i++)
    {
      g_task_return_boolean (tasks[i], TRUE);
      g_object_unref (tasks[i]);
    }
  bench_run_pending ();
  g_free (tasks);
}
#endif

/* Rate limiter: 1,000 calls per second, as 1 per millisecond and as 1,000
 * per second */

typedef struct
{
  gint64 *starts;     /* by call, stamped in its callback */
  guint   completed;
} Starts;

typedef struct
{
  Starts *starts;
  guint   index;
} Call;

static void
record_start (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Call *call = user_data;

  if (!aio_rate_limiter_acquire_finish (AIO_RATE_LIMITER (source_object), result, NULL))
    g_error ("the wait failed");
  call->starts->starts[call->index] = g_get_monotonic_time ();
  call->starts->completed++;
}

static void
bench_rate_limiter (const char *name,
                    guint       calls,
                    guint       max_calls,
                    gint64      period_us)
{
  g_autofree char *full_name = g_strconcat ("rate-limiter-", name, NULL);
  g_autoptr(AioRateLimiter) limiter = NULL;
  Starts starts = { NULL, 0 };
  Call *call_records;
  gint64 begin;
  double *lateness, seconds, p99;
  gint64 max_early_us = 0;
  guint early = 0, measured = 0;

  if (filter != NULL && strstr (full_name, filter) == NULL)
    return;

  limiter = aio_rate_limiter_new (max_calls, period_us / 1e6, 0.0, NULL);
  starts.starts = g_new (gint64, calls);
  call_records = g_new (Call, calls);
  lateness = g_new0 (double, calls);
  begin = g_get_monotonic_time ();

  /* Every call is called back in the dispatch that grants it. */
  for (guint i = 0; i < calls; i++)
    {
      call_records[i] = (Call) { &starts, i };
      aio_rate_limiter_acquire_async (limiter, NULL, record_start, &call_records[i]);
    }
  BENCH_ITERATE_WHILE (starts.completed < calls);
  seconds = (g_get_monotonic_time () - begin) / 1e6;

  /* Each start, seen in its callback, against the earliest time the limit
   * allowed it: one period after the callback max_calls before it;
   * max-early shows by how much any start came early, if one did. */
  for (guint i = max_calls; i < calls; i++)
    {
      gint64 ideal;

      ideal = starts.starts[i - max_calls] + period_us;
      if (starts.starts[i] < ideal)
        {
          early++;
          max_early_us = MAX (max_early_us, ideal - starts.starts[i]);
        }
      lateness[measured++] = (starts.starts[i] - ideal) / 1000.0;
    }
  qsort (lateness, measured, sizeof lateness[0], bench_compare_doubles);
  p99 = lateness[measured * 99 / 100];

  g_print ("BENCH %s-early-starts %u calls baseline=0 ratio=%s\n",
           full_name, early, early == 0 ? "0.00" : "inf");
  g_print ("BENCH %s-max-early %" G_GINT64_FORMAT " us baseline=0 ratio=-\n", full_name, max_early_us);
  g_print ("BENCH %s-p50-lateness %.3f ms baseline=0 ratio=-\n", full_name, lateness[measured / 2]);
  g_print ("BENCH %s-p99-lateness %.3f ms baseline=2.000 ratio=%.2f\n", full_name, p99, p99 / 2.0);
  g_print ("BENCH %s-max-lateness %.3f ms baseline=0 ratio=-\n", full_name, lateness[measured - 1]);
  g_print ("BENCH %s-rate %.1f calls/s baseline=1000.0 ratio=%.2f\n",
           full_name, calls / seconds, calls / seconds / 1000.0);

  g_free (lateness);
  g_free (call_records);
  g_free (starts.starts);
}

/* Rate limiter, issue 15: 2,000 calls issued from one dispatch on 100 calls
 * per 0.1 s, every figure measured in the callbacks: the most callbacks in
 * any window of one period (the limit is the baseline), how many came
 * early, and how late each came against the earliest time the limit
 * allowed it (one period after the callback 100 before it). */

typedef struct
{
  AioRateLimiter *limiter;
  Starts         *starts;
  Call           *calls;
  guint           n_calls;
} BurstIssue;

static gboolean
issue_burst (gpointer user_data)
{
  BurstIssue *issue = user_data;

  for (guint i = 0; i < issue->n_calls; i++)
    {
      issue->calls[i] = (Call) { issue->starts, i };
      aio_rate_limiter_acquire_async (issue->limiter, NULL, record_start, &issue->calls[i]);
    }

  return G_SOURCE_REMOVE;
}

static void
bench_rate_limiter_burst (void)
{
  const guint calls = 2000, max_calls = 100;
  const gint64 period_us = 100 * 1000;
  g_autoptr(AioRateLimiter) limiter = NULL;
  Starts starts = { NULL, 0 };
  BurstIssue issue;
  double *lateness;
  guint early = 0, worst_window = 0, measured = 0;

  if (filter != NULL && strstr ("rate-limiter-burst-2000-from-one-dispatch", filter) == NULL)
    return;

  limiter = aio_rate_limiter_new (max_calls, period_us / 1e6, 0.0, NULL);
  starts.starts = g_new (gint64, calls);
  issue = (BurstIssue) { limiter, &starts, g_new (Call, calls), calls };
  lateness = g_new0 (double, calls);

  g_idle_add (issue_burst, &issue);
  while (starts.completed < calls)
    g_main_context_iteration (NULL, TRUE);

  /* Callbacks of one context run in grant order. */
  for (guint i = 0, j = 0; i < calls; i++)
    {
      while (j < calls && starts.starts[j] < starts.starts[i] + period_us)
        j++;
      worst_window = MAX (worst_window, j - i);
    }
  for (guint i = max_calls; i < calls; i++)
    {
      gint64 ideal = starts.starts[i - max_calls] + period_us;

      early += starts.starts[i] < ideal;
      lateness[measured++] = (starts.starts[i] - ideal) / 1000.0;
    }
  qsort (lateness, measured, sizeof lateness[0], bench_compare_doubles);

  g_print ("BENCH rate-limiter-burst-2000-from-one-dispatch-worst-window %u calls baseline=%u ratio=%.2f\n",
           worst_window, max_calls, (double) worst_window / max_calls);
  g_print ("BENCH rate-limiter-burst-2000-from-one-dispatch-early-callbacks %u calls baseline=0 ratio=%s\n",
           early, early == 0 ? "0.00" : "inf");
  g_print ("BENCH rate-limiter-burst-2000-from-one-dispatch-p50-lateness %.3f ms baseline=0 ratio=-\n",
           lateness[measured / 2]);
  g_print ("BENCH rate-limiter-burst-2000-from-one-dispatch-p99-lateness %.3f ms baseline=2.000 ratio=%.2f\n",
           lateness[measured * 99 / 100], lateness[measured * 99 / 100] / 2.0);
  g_print ("BENCH rate-limiter-burst-2000-from-one-dispatch-max-lateness %.3f ms baseline=0 ratio=-\n",
           lateness[measured - 1]);
  g_print ("BENCH rate-limiter-burst-2000-from-one-dispatch-first-to-last %.3f s baseline=1.900 ratio=%.3f\n",
           (starts.starts[calls - 1] - starts.starts[0]) / 1e6, (starts.starts[calls - 1] - starts.starts[0]) / 1.9e6);

  g_free (lateness);
  g_free (issue.calls);
  g_free (starts.starts);
}

int
main (int   argc,
      char *argv[])
{
#ifdef __GLIBC__
  /* Measured in a process of its own: a fresh heap has no free chunks that
   * would hide new allocations, and the 100,000 waiters it frees do not
   * leave the timing figures a heap to consolidate. */
  if (argc > 1 && strcmp (argv[1], "--waiter-bytes") == 0)
    {
      bench_waiter_memory (100000);
      return 0;
    }
#endif

  filter = argc > 1 ? argv[1] : NULL;

#ifdef __GLIBC__
  if (filter == NULL || strstr ("semaphore-queued-run-job-waiter-bytes", filter) != NULL)
    {
      const char *child_argv[] = { argv[0], "--waiter-bytes", NULL };
      g_autoptr(GError) error = NULL;

      if (!g_spawn_sync (NULL, (char **) child_argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
                         NULL, NULL, NULL, NULL, NULL, &error))
        g_error ("Could not measure the waiter size: %s", error->message);
    }
#endif
  /* Before the semaphore figures, which leave a large freed heap behind:
   * consolidating it can stall the process for milliseconds later on, and
   * the slices' figure is of a heap that holds nothing yet. */
  report ("glib-slices-100000-job-and-waiter-pairs-per-pair-vs-pairs-of-one-size", "ns",
          measure_slices_of_a_job_and_a_waiter, measure_slices_of_two_jobs, 100000);
  bench_rate_limiter ("1-per-ms", 10000, 1, 1000);
  bench_rate_limiter ("1000-per-s", 10000, 1000, G_USEC_PER_SEC);
  bench_rate_limiter_burst ();
  report ("semaphore-try-acquire-release-vs-mutex-counter", "ns",
          measure_semaphore_pairs, measure_counter_pairs, 10000000);
  report ("semaphore-acquire-async-release-vs-gtask", "ns",
          measure_acquire_chain, measure_task_chain, 100000);
  report ("semaphore-100000-idle-ops-64-permits-per-op-vs-glib-window", "ns",
          measure_semaphore_window, measure_glib_window, 100000);
  report ("semaphore-100000-idle-ops-64-permits-submit-per-op-vs-glib-window", "ns",
          measure_semaphore_submit_window, measure_glib_window, 100000);
  report ("glib-window-of-100000-tasks-made-first-per-op-vs-glib-window", "ns",
          measure_glib_window_made_first, measure_glib_window, 100000);
  report ("collector-64-workers-100000-idle-ops-per-op-vs-glib-window", "ns",
          measure_collector_window, measure_glib_window, 100000);

  return 0;
}
