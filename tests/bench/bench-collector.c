/* bench-collector.c: AioCollector end to end, against GLib GTasks in chunks
 *
 * Every figure counts the whole life of an item, as libdex's and GLib's
 * drivers do: the item created, completed, collected in order, its value
 * read back, everything freed.
 *
 * - collect-1M-immediate-*: 1,000,000 items that complete at once, through
 *   aio_collector_collect_async(), made with aio_job_new() (a function that
 *   returns the value) and with aio_job_new_for_value(); the baseline is
 *   GLib's own way to collect: GTasks in chunks of 1,000, each returned at
 *   once, every chunk waited for and read in order before the next.
 * - collect-1M-immediate-values-*: the C fast path, the same 1,000,000
 *   items as plain values from an item producer
 *   (aio_collector_new_for_item_producer()), read back as values with
 *   aio_collector_collect_values_async(): no job per item.
 * - collect-1M-*-held-bytes-per-result: peak RSS growth per result while
 *   all 1,000,000 are held (the collected jobs and their collector), for
 *   both kinds of job, against 1,000,000 completed GTasks held; measured in
 *   fresh processes.
 * - stream-next-bound-64-per-item: the bounded stream, aio_collector_next_async()
 *   with at most 64 finished results waiting, one item at a time, against
 *   our own unbounded collect of the same produced items.
 * - stream-next-bound-64-peak-rss-growth-1M: the stream's peak RSS growth
 *   for 1,000,000 items against its growth for 100,000 (ratio 1: memory
 *   constant in N), and against the unbounded collect of 1,000,000.
 * - seed-timing-total: aioextensions' own test (item 0 takes 0.4 s, the
 *   others 0.1 s, two at a time) against its 0.4 s floor.
 *
 * Prints `BENCH <name> <value> <unit> baseline=<value> ratio=<value>`; time
 * figures are medians of ROUNDS rounds, ours and the baseline in turns.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "bench-common.h"

#define N_ITEMS     1000000
#define SMALL_N     100000
#define CHUNK       1000
#define WORKERS     1024
#define STREAM_BOUND 64
#define ROUNDS      5

static double
time_gtask_chunks (void)
{
  return bench_gtask_chunks_ns (N_ITEMS, CHUNK);
}

/* aioext: items, the collector, every value read. */

static void
return_index (AioJob       *job,
              GCancellable *cancellable,
              gpointer      user_data)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, GPOINTER_TO_INT (user_data));
  aio_job_return_value (job, &value);
}

static AioJob *
new_function_job (guint index)
{
  return aio_job_new (return_index, GUINT_TO_POINTER (index), NULL);
}

static AioJob *
new_value_job (guint index)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, (int) index);

  return aio_job_new_for_value (&value);
}

typedef AioJob *(*NewJobFunc) (guint index);

/* Collects every item of @collector, in order. */
static GPtrArray *
collect_all (AioCollector *collector)
{
  g_autoptr(GAsyncResult) result = NULL;
  GPtrArray *results;

  aio_collector_collect_async (collector, NULL, bench_store_result, &result);
  bench_wait_for_result (&result);
  results = aio_collector_collect_finish (collector, result, NULL);
  g_assert (results != NULL);

  return results;
}

static int
job_int (AioJob *job)
{
  const GValue *value = aio_job_propagate_value (job, NULL);

  g_assert (value != NULL);
  return g_value_get_int (value);
}

static void
read_every_value (GPtrArray *results,
                  guint      n)
{
  gint64 sum = 0;

  g_assert (results->len == n);
  for (guint i = 0; i < n; i++)
    sum += job_int (results->pdata[i]);
  g_assert (sum == (gint64) n * (n - 1) / 2);
}

/* A collector over @n items made with @new_job. The jobs it hands back
 * are its own: it lives as long as they are read. */
static AioCollector *
new_collector_for_jobs (NewJobFunc new_job,
                        guint      n)
{
  AioJob **jobs = g_new (AioJob *, n);
  AioCollector *collector;

  for (guint i = 0; i < n; i++)
    jobs[i] = new_job (i);
  collector = aio_collector_new_for_jobs (jobs, n, WORKERS, 0,
                                          AIO_COLLECTOR_POLICY_FAIL_FAST, NULL);
  for (guint i = 0; i < n; i++)
    g_object_unref (jobs[i]);
  g_free (jobs);

  return collector;
}

static double
time_collect (NewJobFunc new_job)
{
  gint64 begin = g_get_monotonic_time ();
  AioCollector *collector = new_collector_for_jobs (new_job, N_ITEMS);
  GPtrArray *results = collect_all (collector);

  read_every_value (results, N_ITEMS);
  g_ptr_array_unref (results);
  g_object_unref (collector);

  return bench_ns_per_item (begin, N_ITEMS);
}

static double
time_collect_function_jobs (void)
{
  return time_collect (new_function_job);
}

static double
time_collect_value_jobs (void)
{
  return time_collect (new_value_job);
}

/* The C fast path: an item producer hands over each value, made here inside
 * the timed region, and every value comes back as a GValue. */

typedef struct
{
  guint produced;
  guint limit;
} ValueProducer;

static void
produce_value (gpointer   user_data,
               GValue    *value,
               AioJob   **job,
               GError   **error)
{
  ValueProducer *producer = user_data;

  if (producer->produced == producer->limit)
    return;

  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, (int) producer->produced++);
}

/* A collector over the values @producer makes, all collected at once. */
static AioCollector *
new_value_collector (ValueProducer *producer)
{
  return aio_collector_new_for_item_producer (WORKERS, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce_value, producer, NULL, NULL);
}

static GArray *
collect_values (AioCollector *collector)
{
  g_autoptr(GAsyncResult) result = NULL;
  GArray *values;

  aio_collector_collect_values_async (collector, NULL, bench_store_result, &result);
  bench_wait_for_result (&result);
  values = aio_collector_collect_values_finish (collector, result, NULL);
  g_assert (values != NULL);

  return values;
}

static void
read_every_plain_value (GArray *values,
                        guint   n)
{
  gint64 sum = 0;

  g_assert (values->len == n);
  for (guint i = 0; i < n; i++)
    sum += g_value_get_int (&g_array_index (values, GValue, i));
  g_assert (sum == (gint64) n * (n - 1) / 2);
}

static double
time_collect_immediate_values (void)
{
  gint64 begin = g_get_monotonic_time ();
  ValueProducer producer = { 0, N_ITEMS };
  AioCollector *collector = new_value_collector (&producer);
  GArray *values = collect_values (collector);

  read_every_plain_value (values, N_ITEMS);
  g_array_unref (values);
  g_object_unref (collector);

  return bench_ns_per_item (begin, N_ITEMS);
}

/* Held results: bytes of peak RSS per result while all are held. */

static double
held_collected_bytes (NewJobFunc new_job,
                      guint      n)
{
  gint64 before = bench_status_bytes ("VmRSS:");
  AioCollector *collector = new_collector_for_jobs (new_job, n);
  GPtrArray *results = collect_all (collector);
  double bytes = (double) (bench_status_bytes ("VmHWM:") - before) / n;

  read_every_value (results, n);
  g_ptr_array_unref (results);
  g_object_unref (collector);

  return bytes;
}

static double
held_function_job_bytes (guint n)
{
  return held_collected_bytes (new_function_job, n);
}

static double
held_value_job_bytes (guint n)
{
  return held_collected_bytes (new_value_job, n);
}

static double
held_immediate_value_bytes (guint n)
{
  gint64 before = bench_status_bytes ("VmRSS:");
  ValueProducer producer = { 0, n };
  AioCollector *collector = new_value_collector (&producer);
  GArray *values = collect_values (collector);
  double bytes = (double) (bench_status_bytes ("VmHWM:") - before) / n;

  read_every_plain_value (values, n);
  g_array_unref (values);
  g_object_unref (collector);

  return bytes;
}

/* The bounded stream: a producer makes each item as the collector asks. */

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

  return new_function_job (producer->produced++);
}

typedef struct
{
  AioCollector *collector;
  guint         consumed;
  gint64        sum;
  gboolean      is_done;
} Consumer;

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
  consumer->sum += job_int (job);
  consumer->consumed++;
  aio_collector_next_async (consumer->collector, NULL, consumer_got, consumer);
}

static void
stream_all (guint n)
{
  Producer producer = { 0, n };
  Consumer consumer = { 0 };

  consumer.collector = aio_collector_new_for_producer (WORKERS, STREAM_BOUND,
                                                       AIO_COLLECTOR_POLICY_FAIL_FAST,
                                                       produce, &producer, NULL, NULL);
  aio_collector_next_async (consumer.collector, NULL, consumer_got, &consumer);
  BENCH_ITERATE_WHILE (!consumer.is_done);
  g_assert (consumer.consumed == n);
  g_assert (consumer.sum == (gint64) n * (n - 1) / 2);
  g_object_unref (consumer.collector);
}

static void
collect_produced (guint n)
{
  Producer producer = { 0, n };
  g_autoptr(AioCollector) collector =
    aio_collector_new_for_producer (WORKERS, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                    produce, &producer, NULL, NULL);
  GPtrArray *results = collect_all (collector);

  read_every_value (results, n);
  g_ptr_array_unref (results);
}

static double
time_stream (void)
{
  gint64 begin = g_get_monotonic_time ();

  stream_all (N_ITEMS);

  return bench_ns_per_item (begin, N_ITEMS);
}

static double
time_collect_produced (void)
{
  gint64 begin = g_get_monotonic_time ();

  collect_produced (N_ITEMS);

  return bench_ns_per_item (begin, N_ITEMS);
}

static double
stream_growth_mb (guint n)
{
  gint64 before = bench_status_bytes ("VmRSS:");

  stream_all (n);

  return (bench_status_bytes ("VmHWM:") - before) / 1e6;
}

static double
collect_growth_mb (guint n)
{
  gint64 before = bench_status_bytes ("VmRSS:");

  collect_produced (n);

  return (bench_status_bytes ("VmHWM:") - before) / 1e6;
}

/* aioextensions' own test: item 0 takes 0.4 s, the others 0.1 s, item 3
 * fails, two at a time. */
static gboolean
complete_timed (gpointer user_data)
{
  AioJob *job = user_data;
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (job), "index"));

  if (index == 3)
    aio_job_return_error_literal (job, G_IO_ERROR, G_IO_ERROR_FAILED, "item 3 failed");
  else
    return_index (job, NULL, GINT_TO_POINTER (index));

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
  g_autoptr(GPtrArray) results = NULL;
  gint64 begin;

  for (int i = 0; i < 5; i++)
    jobs[i] = aio_job_new (start_timed, GINT_TO_POINTER (i), NULL);
  collector = aio_collector_new_for_jobs (jobs, 5, 2, 4, AIO_COLLECTOR_POLICY_SETTLE_ALL, NULL);
  for (int i = 0; i < 5; i++)
    g_object_unref (jobs[i]);

  begin = g_get_monotonic_time ();
  results = collect_all (collector);
  begin = g_get_monotonic_time () - begin;
  g_assert (results->len == 5);
  g_assert (aio_job_get_state (results->pdata[3]) == AIO_JOB_STATE_FAILED);

  return begin / 1000.0;
}

/* `bench-collector WORD` runs only the figures whose name contains WORD. */
static gboolean
wanted (const char *filter,
        const char *name)
{
  return filter == NULL || strstr (name, filter) != NULL;
}

#define REPORT_IF_WANTED(filter, name, ours, baseline) \
  G_STMT_START { if (wanted (filter, name)) bench_report_in_turns (name, ours, baseline, ROUNDS); } G_STMT_END

int
main (int   argc,
      char *argv[])
{
  const char *filter = argc > 1 ? argv[1] : NULL;
  double seed[ROUNDS];

  /* Memory first, each in a process of its own, forked before any thread. */
  if (wanted (filter, "collector-collect-1M-held-bytes-per-result"))
    {
      double gtask_bytes = bench_in_child (bench_held_gtask_bytes, N_ITEMS);

      bench_report ("collector-collect-1M-immediate-held-bytes-per-result-vs-gtasks",
                    bench_in_child (held_function_job_bytes, N_ITEMS), "B", gtask_bytes, 1);
      bench_report ("collector-collect-1M-for-value-held-bytes-per-result-vs-gtasks",
                    bench_in_child (held_value_job_bytes, N_ITEMS), "B", gtask_bytes, 1);
      bench_report ("collector-collect-1M-immediate-values-held-bytes-per-result-vs-gtasks",
                    bench_in_child (held_immediate_value_bytes, N_ITEMS), "B", gtask_bytes, 1);
    }
  if (wanted (filter, "collector-stream-next-bound-64-peak-rss-growth"))
    {
      double stream_1m = bench_in_child (stream_growth_mb, N_ITEMS);

      bench_report ("collector-stream-next-bound-64-peak-rss-growth-1M-vs-100k",
                    stream_1m, "MB", bench_in_child (stream_growth_mb, SMALL_N), 2);
      bench_report ("collector-stream-next-bound-64-peak-rss-growth-1M-vs-unbounded-collect",
                    stream_1m, "MB", bench_in_child (collect_growth_mb, N_ITEMS), 2);
    }

  REPORT_IF_WANTED (filter, "collector-collect-1M-immediate-end-to-end-vs-gtask-chunks",
                    time_collect_function_jobs, time_gtask_chunks);
  REPORT_IF_WANTED (filter, "collector-collect-1M-for-value-end-to-end-vs-gtask-chunks",
                    time_collect_value_jobs, time_gtask_chunks);
  REPORT_IF_WANTED (filter, "collector-collect-1M-immediate-values-end-to-end-vs-gtask-chunks",
                    time_collect_immediate_values, time_gtask_chunks);
  REPORT_IF_WANTED (filter, "collector-stream-next-bound-64-per-item-vs-unbounded-collect",
                    time_stream, time_collect_produced);

  if (wanted (filter, "collector-seed-timing-total"))
    {
      for (guint i = 0; i < ROUNDS; i++)
        seed[i] = time_seed_test ();
      bench_report ("collector-seed-timing-total", bench_median (seed, ROUNDS), "ms", 400.0, 3);
    }

  return EXIT_SUCCESS;
}
