/* bench-collector.c: AioCollector per-item overhead, memory bound, timing
 *
 * Prints one line per figure:
 *   BENCH <name> <value> <unit> baseline=<value> ratio=<value>
 * Timed figures are medians of several rounds measured in this run.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "bench-common.h"

#define N_ITEMS  1000000
#define WORKERS  1024
#define ROUNDS   5

/* Memory figures from /proc: VmHWM is the peak, VmRSS the current size. */
static double
proc_status_mb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  if (line == NULL)
    return 0;

  return g_ascii_strtod (line + strlen (field) + 1, NULL) / 1024.0;
}

/* Baseline: one raw GTask created and completed per item, with WORKERS of
 * them in flight, as the collector keeps WORKERS jobs in flight. */
typedef struct
{
  guint created;
  guint completed;
} TaskRun;

static void task_start (TaskRun *run);

static void
task_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  TaskRun *run = user_data;

  g_task_propagate_boolean (G_TASK (result), NULL);
  run->completed++;
  if (run->created < N_ITEMS)
    task_start (run);
}

static void
task_start (TaskRun *run)
{
  GTask *task = g_task_new (NULL, NULL, task_done, run);

  run->created++;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static double
time_raw_gtasks (void)
{
  TaskRun run = { 0 };
  gint64 begin = g_get_monotonic_time ();

  for (guint i = 0; i < WORKERS; i++)
    task_start (&run);
  while (run.completed < N_ITEMS)
    g_main_context_iteration (NULL, TRUE);

  return bench_ns_per_item (begin, N_ITEMS);
}

static void
store_result (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

/* Collects all N_ITEMS of @collector: nanoseconds per item since @begin. */
static double
collect_all_ns (AioCollector *collector,
                gint64        begin)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) results = NULL;
  double per_item;

  aio_collector_collect_async (collector, NULL, store_result, &result);
  results = aio_collector_collect_finish (collector, wait_for (&result), NULL);
  per_item = bench_ns_per_item (begin, N_ITEMS);
  g_assert (results->len == N_ITEMS);

  return per_item;
}

/* Collector: N_ITEMS jobs made beforehand (not timed), then collected. */
static double
time_collect_list (void)
{
  AioJob **jobs = g_new (AioJob *, N_ITEMS);
  g_autoptr(AioCollector) collector = NULL;

  for (guint i = 0; i < N_ITEMS; i++)
    jobs[i] = aio_job_new (bench_return_now, NULL, NULL);
  collector = aio_collector_new_for_jobs (jobs, N_ITEMS, WORKERS, 0,
                                          AIO_COLLECTOR_POLICY_FAIL_FAST, NULL);
  for (guint i = 0; i < N_ITEMS; i++)
    g_object_unref (jobs[i]);
  g_free (jobs);

  return collect_all_ns (collector, g_get_monotonic_time ());
}

typedef struct
{
  guint produced;
  guint limit;
} Producer;

static AioJob *
produce (gpointer   user_data,
         GError   **error)
{
  Producer *producer = user_data;

  if (producer->produced == producer->limit)
    return NULL;
  producer->produced++;

  return aio_job_new (bench_return_now, NULL, NULL);
}

/* Collector over a producer: making each job is part of the figure. */
static double
time_collect_producer (void)
{
  Producer producer = { .limit = N_ITEMS };
  gint64 begin = g_get_monotonic_time ();
  g_autoptr(AioCollector) collector =
    aio_collector_new_for_producer (WORKERS, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                    produce, &producer, NULL, NULL);

  return collect_all_ns (collector, begin);
}

/* A consumer slower than the workers: it takes the next item only after one
 * more full main-loop iteration of its own. */
typedef struct
{
  AioCollector *collector;
  guint         consumed;
  gboolean      is_done;
} Consumer;

static void consumer_ask (Consumer *consumer);

static gboolean
consumer_ask_idle (gpointer user_data)
{
  consumer_ask (user_data);

  return G_SOURCE_REMOVE;
}

static void
consumer_got (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Consumer *consumer = user_data;
  g_autoptr(AioJob) job = aio_collector_next_finish (consumer->collector, result, NULL);

  if (job == NULL)
    {
      consumer->is_done = TRUE;
      return;
    }
  consumer->consumed++;
  g_idle_add (consumer_ask_idle, consumer);
}

static void
consumer_ask (Consumer *consumer)
{
  aio_collector_next_async (consumer->collector, NULL, consumer_got, consumer);
}

static void
bench_bounded_stream_memory (void)
{
  Producer producer = { .limit = N_ITEMS };
  Consumer consumer = { 0 };
  double rss_before = proc_status_mb ("VmRSS:");
  double peak_growth, unbounded_growth;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) results = NULL;
  AioCollector *collector;

  consumer.collector = aio_collector_new_for_producer (WORKERS, 64, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                                       produce, &producer, NULL, NULL);
  consumer_ask (&consumer);
  while (!consumer.is_done)
    g_main_context_iteration (NULL, TRUE);
  g_assert (consumer.consumed == N_ITEMS);
  g_object_unref (consumer.collector);
  peak_growth = proc_status_mb ("VmHWM:") - rss_before;

  /* Baseline: what holding every result costs (the seed's gather). */
  producer.produced = 0;
  rss_before = proc_status_mb ("VmRSS:");
  collector = aio_collector_new_for_producer (WORKERS, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce, &producer, NULL, NULL);
  aio_collector_collect_async (collector, NULL, store_result, &result);
  results = aio_collector_collect_finish (collector, wait_for (&result), NULL);
  unbounded_growth = proc_status_mb ("VmHWM:") - rss_before;
  g_clear_pointer (&results, g_ptr_array_unref);
  g_object_unref (collector);

  bench_report ("collector-next-1M-bounded-peak-rss-growth", peak_growth, "MB", unbounded_growth, 3);
}

/* The seed's test: item 0 takes 0.4 s, the others 0.1 s, item 3 fails. */
static gboolean
complete_timed (gpointer user_data)
{
  AioJob *job = user_data;
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (job), "index"));

  if (index == 3)
    aio_job_return_error_literal (job, G_IO_ERROR, G_IO_ERROR_FAILED, "item 3 failed");
  else
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, index);
      aio_job_return_value (job, &value);
    }

  return G_SOURCE_REMOVE;
}

static void
start_timed (AioJob       *job,
             GCancellable *cancellable,
             gpointer      user_data)
{
  int index = GPOINTER_TO_INT (user_data);

  g_object_set_data (G_OBJECT (job), "index", user_data);
  g_timeout_add_full (G_PRIORITY_DEFAULT, index == 0 ? 400 : 100, complete_timed,
                      g_object_ref (job), g_object_unref);
}

static double
time_seed_test (void)
{
  AioJob *jobs[5];
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) results = NULL;
  gint64 begin;
  double seconds;

  for (int i = 0; i < 5; i++)
    jobs[i] = aio_job_new (start_timed, GINT_TO_POINTER (i), NULL);
  collector = aio_collector_new_for_jobs (jobs, 5, 2, 4, AIO_COLLECTOR_POLICY_SETTLE_ALL, NULL);

  begin = g_get_monotonic_time ();
  aio_collector_collect_async (collector, NULL, store_result, &result);
  results = aio_collector_collect_finish (collector, wait_for (&result), NULL);
  seconds = (g_get_monotonic_time () - begin) / 1e6;

  g_assert (results->len == 5);
  g_assert (aio_job_get_state (results->pdata[3]) == AIO_JOB_STATE_FAILED);
  for (int i = 0; i < 5; i++)
    g_object_unref (jobs[i]);

  return seconds;
}

int
main (int   argc,
      char *argv[])
{
  double gtask[ROUNDS], list[ROUNDS], produced[ROUNDS], seed[ROUNDS];
  double gtask_median;

  /* Memory first, while the peak is still this figure's own. */
  bench_bounded_stream_memory ();

  for (guint i = 0; i < ROUNDS; i++)
    {
      gtask[i] = time_raw_gtasks ();
      list[i] = time_collect_list ();
      produced[i] = time_collect_producer ();
    }
  gtask_median = bench_median (gtask, ROUNDS);
  bench_report ("collector-collect-1M-immediate-jobs-per-item",
                bench_median (list, ROUNDS), "ns", gtask_median, 3);
  bench_report ("collector-collect-1M-produced-jobs-per-item-with-job-creation",
                bench_median (produced, ROUNDS), "ns", gtask_median, 3);

  for (guint i = 0; i < ROUNDS; i++)
    seed[i] = time_seed_test ();
  bench_report ("collector-seed-timing-total", bench_median (seed, ROUNDS) * 1000.0, "ms", 400.0, 3);

  return EXIT_SUCCESS;
}
