/* soak.c: mixed load for minutes, with the resident memory sampled every second
 *
 * Usage: soak [--seconds N] [--warm-up N] [--bound-mb MB] [--curve FILE]
 *
 * Keeps IN_FLIGHT operations going through every class at once, each
 * picked at random and one in five cancelled at a random moment: thread-
 * pool calls, process-pool calls, semaphore-guarded and rate-limited jobs,
 * and collections of mixed jobs. Once a second it reads this process's
 * resident set size (/proc/self/statm; the worker processes are not
 * counted) and appends `seconds rss_kib operations` to the curve file.
 *
 * The bound: after the warm-up (pools, caches and GLib's allocators reach
 * their working size), the resident size may not grow by more than
 * --bound-mb (default 8 MiB) above its value at the end of the warm-up. A
 * leak of one small record per operation breaks it within minutes (the
 * soak runs tens of thousands of operations a second). It prints
 *   BENCH soak_rss_growth <MiB> MiB baseline=<RSS at warm-up, MiB> ratio=<end/warm-up>
 * and a summary of the curve (start, warm-up, max, end, slope), and exits
 * with status 1 when the bound is broken.
 *
 * Not part of the suite or of run-benchmarks.py (it takes 10 minutes by
 * default): run it by hand, `build/tests/bench/soak --seconds 600`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>

#include "bench-common.h"
#include "../workers/worker-functions.h"

#define IN_FLIGHT 256
#define COLLECTION_SIZE 16

typedef struct
{
  AioThreadPool  *thread_pool;
  AioProcessPool *process_pool;
  AioSemaphore   *semaphore;
  AioRateLimiter *limiter;
  GRand          *rand;
  guint           in_flight;
  guint64         operations;     /* completed */
  gboolean        is_stopping;
  GArray         *samples;        /* Sample */
  FILE           *curve;
  gint64          start_time;
} Soak;

typedef struct
{
  double  seconds;
  guint64 rss_kib;
} Sample;

static Soak soak;

static void soak_fill (void);

static void
operation_done (void)
{
  soak.in_flight--;
  soak.operations++;
  soak_fill ();
}

static gboolean
cancel_in_idle (gpointer data)
{
  g_cancellable_cancel (data);

  return G_SOURCE_REMOVE;
}

/* One operation in five is cancelled: at once, or one to three
 * milliseconds later; one in five more has a cancellable that is never
 * cancelled, which must be let go of all the same. */
static GCancellable *
maybe_cancellable (void)
{
  GCancellable *cancellable;
  guint draw = g_rand_int_range (soak.rand, 0, 5);

  if (draw > 1)
    return NULL;

  cancellable = g_cancellable_new ();
  if (draw == 1)
    return cancellable;
  if (g_rand_boolean (soak.rand))
    g_idle_add_full (G_PRIORITY_DEFAULT, cancel_in_idle, g_object_ref (cancellable), g_object_unref);
  else
    g_timeout_add_full (G_PRIORITY_DEFAULT, g_rand_int_range (soak.rand, 1, 4), cancel_in_idle,
                        g_object_ref (cancellable), g_object_unref);

  return cancellable;
}

static gboolean
thread_work (GCancellable  *cancellable,
             GValue        *result,
             gpointer       user_data,
             GError       **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_value_init (result, G_TYPE_UINT);
  g_value_set_uint (result, GPOINTER_TO_UINT (user_data) * 2);

  return TRUE;
}

static AioJob *
thread_job (void)
{
  return aio_thread_pool_create_job (soak.thread_pool, thread_work,
                                     GUINT_TO_POINTER (g_rand_int (soak.rand)), NULL);
}

static AioJob *
process_job (void)
{
  return aio_process_pool_create_job (soak.process_pool, "add",
                                      g_variant_new ("(ii)", g_rand_int_range (soak.rand, 0, 1000), 1));
}

/* Every kind of operation ends here; outcomes are not checked (the storm
 * tests do that), only that each completes. */
static void
on_thread_call_done (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GValue *value = aio_thread_pool_run_finish (soak.thread_pool, result, NULL);

  if (value != NULL)
    g_boxed_free (G_TYPE_VALUE, value);
  operation_done ();
}

static void
on_process_call_done (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  /* Outcomes vary (cancellations); only the memory they leave counts. */
  GVariant *value = aio_process_pool_call_finish (soak.process_pool, result, NULL);

  g_clear_pointer (&value, g_variant_unref);
  operation_done ();
}

static void
on_job_done (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  aio_job_run_finish (AIO_JOB (source_object), result, NULL);
  operation_done ();
}

static void
on_collected (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GPtrArray *jobs = aio_collector_collect_finish (AIO_COLLECTOR (source_object), result, NULL);

  g_clear_pointer (&jobs, g_ptr_array_unref);
  g_object_unref (source_object);
  operation_done ();
}

/* A job through the semaphore or the rate limiter, on a thread or in a
 * worker process. */
static AioJob *
guarded_job (void)
{
  g_autoptr(AioJob) inner = g_rand_int_range (soak.rand, 0, 8) == 0 ? process_job () : thread_job ();

  if (g_rand_boolean (soak.rand))
    return aio_semaphore_create_job (soak.semaphore, g_rand_int_range (soak.rand, 1, 3), inner);

  return aio_rate_limiter_create_job (soak.limiter, inner);
}

static void
start_collection (GCancellable *cancellable)
{
  AioJob *jobs[COLLECTION_SIZE];
  AioCollector *collector;

  for (guint i = 0; i < COLLECTION_SIZE; i++)
    jobs[i] = g_rand_boolean (soak.rand) ? guarded_job () : thread_job ();
  collector = aio_collector_new_for_jobs (jobs, COLLECTION_SIZE, 4, 8, AIO_COLLECTOR_POLICY_SETTLE_ALL, NULL);
  for (guint i = 0; i < COLLECTION_SIZE; i++)
    g_object_unref (jobs[i]);
  aio_collector_collect_async (collector, cancellable, on_collected, NULL);
}

static void
start_operation (void)
{
  g_autoptr(GCancellable) cancellable = maybe_cancellable ();
  g_autoptr(AioJob) job = NULL;

  switch (g_rand_int_range (soak.rand, 0, 5))
    {
    case 0:
      aio_thread_pool_run_async (soak.thread_pool, thread_work, GUINT_TO_POINTER (1), NULL,
                                 cancellable, on_thread_call_done, NULL);
      break;

    case 1:
      aio_process_pool_call_async (soak.process_pool, "add", g_variant_new ("(ii)", 20, 22),
                                   cancellable, on_process_call_done, NULL);
      break;

    case 2:
    case 3:
      job = guarded_job ();
      aio_job_run_async (job, cancellable, on_job_done, NULL);
      break;

    default:
      start_collection (cancellable);
      break;
    }
  soak.in_flight++;
}

static void
soak_fill (void)
{
  while (!soak.is_stopping && soak.in_flight < IN_FLIGHT)
    start_operation ();
}

static gboolean
take_sample (gpointer user_data)
{
  Sample sample = {
    .seconds = (g_get_monotonic_time () - soak.start_time) / (double) G_USEC_PER_SEC,
    .rss_kib = (guint64) bench_resident_bytes () / 1024,
  };

  g_array_append_val (soak.samples, sample);
  fprintf (soak.curve, "%.1f %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n",
           sample.seconds, sample.rss_kib, soak.operations);
  fflush (soak.curve);

  return G_SOURCE_CONTINUE;
}

static gboolean
stop (gpointer user_data)
{
  soak.is_stopping = TRUE;

  return G_SOURCE_REMOVE;
}

/* Least-squares slope of the samples from @first on, in KiB per minute. */
static double
slope_kib_per_minute (guint first)
{
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;

  for (guint i = first; i < soak.samples->len; i++)
    {
      Sample *sample = &g_array_index (soak.samples, Sample, i);

      n++;
      sx += sample->seconds;
      sy += sample->rss_kib;
      sxx += sample->seconds * sample->seconds;
      sxy += sample->seconds * sample->rss_kib;
    }
  if (n < 2 || n * sxx - sx * sx == 0)
    return 0;

  return 60 * (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

int
main (int   argc,
      char *argv[])
{
  int seconds = 600, warm_up = 60;
  double bound_mib = 8;
  g_autofree char *curve_path = g_strdup ("soak-rss.txt");
  GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "How long to run (600)", "N" },
    { "warm-up", 0, 0, G_OPTION_ARG_INT, &warm_up, "Seconds before the baseline is taken (60)", "N" },
    { "bound-mb", 0, 0, G_OPTION_ARG_DOUBLE, &bound_mib, "Allowed growth after the warm-up, MiB (8)", "MB" },
    { "curve", 0, 0, G_OPTION_ARG_FILENAME, &curve_path, "Where to write the RSS curve (soak-rss.txt)", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- aioext soak");
  g_autoptr(GError) error = NULL;
  guint warm_index = 0;
  guint64 warm_rss, max_rss = 0, start_rss, end_rss;
  double growth_mib;

  if (aio_worker_is_requested ())
    {
      g_autoptr(AioWorker) worker = aio_worker_new ();

      test_worker_register_functions (worker);
      return aio_worker_run (worker);
    }

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("soak: %s\n", error->message);
      return 2;
    }
  warm_up = CLAMP (warm_up, 1, MAX (1, seconds - 1));

  soak.curve = fopen (curve_path, "w");
  if (soak.curve == NULL)
    g_error ("Cannot write %s", curve_path);
  fprintf (soak.curve, "# seconds rss_kib operations\n");
  soak.thread_pool = aio_thread_pool_new (4);
  soak.process_pool = aio_process_pool_new (2, NULL);
  soak.semaphore = aio_semaphore_new (8);
  soak.limiter = aio_rate_limiter_new (50, 0.001, 0.0, NULL);
  soak.rand = g_rand_new ();
  soak.samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  soak.start_time = g_get_monotonic_time ();

  take_sample (NULL);
  g_timeout_add_seconds (1, take_sample, NULL);
  g_timeout_add_seconds (seconds, stop, NULL);
  soak_fill ();
  BENCH_ITERATE_WHILE (!soak.is_stopping || soak.in_flight > 0);
  take_sample (NULL);

  for (guint i = 0; i < soak.samples->len; i++)
    {
      Sample *sample = &g_array_index (soak.samples, Sample, i);

      if (sample->seconds <= warm_up)
        warm_index = i;
      else
        max_rss = MAX (max_rss, sample->rss_kib);
    }
  start_rss = g_array_index (soak.samples, Sample, 0).rss_kib;
  warm_rss = g_array_index (soak.samples, Sample, warm_index).rss_kib;
  end_rss = g_array_index (soak.samples, Sample, soak.samples->len - 1).rss_kib;
  max_rss = MAX (max_rss, warm_rss);
  growth_mib = ((double) max_rss - (double) warm_rss) / 1024;

  printf ("soak: %d s, %" G_GUINT64_FORMAT " operations (%.0f per second), curve in %s\n",
          seconds, soak.operations, soak.operations / (double) seconds, curve_path);
  printf ("soak: RSS start %.1f MiB, after %d s warm-up %.1f MiB, max %.1f MiB, end %.1f MiB, "
          "slope after warm-up %.1f KiB/min\n",
          start_rss / 1024.0, warm_up, warm_rss / 1024.0, max_rss / 1024.0, end_rss / 1024.0,
          slope_kib_per_minute (warm_index));
  printf ("BENCH soak_rss_growth %.3f MiB baseline=%.3f ratio=%.3f\n",
          growth_mib, warm_rss / 1024.0, (double) end_rss / (double) warm_rss);
  printf ("soak: bound: growth after the warm-up <= %.1f MiB: %s\n",
          bound_mib, growth_mib <= bound_mib ? "kept" : "BROKEN");

  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (soak.thread_pool), TRUE);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (soak.process_pool), TRUE);
  g_object_unref (soak.thread_pool);
  g_object_unref (soak.process_pool);
  g_object_unref (soak.semaphore);
  g_object_unref (soak.limiter);
  g_rand_free (soak.rand);
  g_array_unref (soak.samples);
  fclose (soak.curve);

  return growth_mib <= bound_mib ? 0 : 1;
}
