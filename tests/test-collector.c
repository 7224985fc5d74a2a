/* test-collector.c: AioCollector behaviour
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#include "timing.h"

/* Shared by every timed job of one test: what ran, what was cancelled. */
typedef struct
{
  guint  running;
  guint  max_running;
  guint  starts;
  guint  cancelled;        /* jobs that stopped because they were cancelled */
  guint  finished;         /* jobs that ran to their own end */
} Stats;

typedef struct
{
  Stats        *stats;
  AioJob       *job;       /* borrowed while running */
  guint         delay_ms;
  int           value;
  gboolean      fails;
  gboolean      ignores_cancel;
  gboolean      cancels_itself;
  GSource      *timer;
  gulong        cancelled_id;
  GCancellable *cancellable;
} Timed;

static void
timed_free (gpointer data)
{
  Timed *timed = data;

  g_assert_null (timed->timer);
  g_free (timed);
}

static void
timed_stop (Timed *timed)
{
  timed->stats->running--;
  if (timed->timer != NULL)
    {
      g_source_destroy (timed->timer);
      g_clear_pointer (&timed->timer, g_source_unref);
    }
  if (timed->cancelled_id != 0)
    {
      g_cancellable_disconnect (timed->cancellable, timed->cancelled_id);
      timed->cancelled_id = 0;
    }
}

static gboolean
timed_fire (gpointer user_data)
{
  Timed *timed = user_data;
  AioJob *job = timed->job;

  timed_stop (timed);
  timed->stats->finished++;
  if (timed->cancels_itself)
    aio_job_return_error_literal (job, G_IO_ERROR, G_IO_ERROR_CANCELLED, "I gave up");
  else if (timed->fails)
    aio_job_return_error (job, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "item %d failed", timed->value));
  else
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, timed->value);
      aio_job_return_value (job, &value);
    }

  return G_SOURCE_REMOVE;
}

/* Cancellation arrives in this thread in these tests: stop at once. */
static void
timed_on_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  Timed *timed = user_data;
  AioJob *job = timed->job;

  timed->cancelled_id = 0;
  timed_stop (timed);
  timed->stats->cancelled++;
  aio_job_return_error_literal (job, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
}

static void
timed_start (AioJob       *job,
             GCancellable *cancellable,
             gpointer      user_data)
{
  Timed *timed = user_data;

  timed->job = job;
  timed->cancellable = cancellable;
  timed->stats->starts++;
  timed->stats->running++;
  timed->stats->max_running = MAX (timed->stats->max_running, timed->stats->running);
  timed->timer = g_timeout_source_new (timed->delay_ms);
  g_source_set_callback (timed->timer, timed_fire, timed, NULL);
  g_source_attach (timed->timer, g_main_context_get_thread_default ());
  if (!timed->ignores_cancel)
    timed->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (timed_on_cancelled), timed, NULL);
}

static AioJob *
timed_job_new (Stats   *stats,
               guint    delay_ms,
               int      value,
               gboolean fails)
{
  Timed *timed = g_new0 (Timed, 1);

  timed->stats = stats;
  timed->delay_ms = delay_ms;
  timed->value = value;
  timed->fails = fails;

  return aio_job_new (timed_start, timed, timed_free);
}

static Timed *
timed_of (AioJob *job)
{
  /* Only for tests that tweak a job before it starts. */
  return g_object_get_data (G_OBJECT (job), "timed");
}

static AioJob *
timed_job_new_tagged (Stats   *stats,
                      guint    delay_ms,
                      int      value,
                      gboolean fails)
{
  Timed *timed = g_new0 (Timed, 1);
  AioJob *job;

  timed->stats = stats;
  timed->delay_ms = delay_ms;
  timed->value = value;
  timed->fails = fails;
  job = aio_job_new (timed_start, timed, timed_free);
  g_object_set_data (G_OBJECT (job), "timed", timed);

  return job;
}

static void
immediate_start (AioJob       *job,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, GPOINTER_TO_INT (user_data));
  aio_job_return_value (job, &value);
}

static AioJob *
immediate_job_new (int value)
{
  return aio_job_new (immediate_start, GINT_TO_POINTER (value), NULL);
}

static void
store_result (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **result_out = user_data;

  g_assert_null (*result_out);
  *result_out = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

static GPtrArray *
collect_now (AioCollector *collector,
             GCancellable *cancellable,
             GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  aio_collector_collect_async (collector, cancellable, store_result, &result);
  g_assert_null (result);

  return aio_collector_collect_finish (collector, wait_for_result (&result), error);
}

static AioJob *
next_now (AioCollector *collector,
          GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  aio_collector_next_async (collector, NULL, store_result, &result);
  g_assert_null (result);

  return aio_collector_next_finish (collector, wait_for_result (&result), error);
}

static int
job_int (AioJob *job)
{
  g_autoptr(GError) error = NULL;
  const GValue *value = aio_job_propagate_value (job, &error);

  g_assert_no_error (error);
  return g_value_get_int (value);
}

static void
assert_job_fails (AioJob     *job,
                  GQuark      domain,
                  int         code,
                  const char *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (aio_job_propagate_value (job, &error));
  g_assert_error (error, domain, code);
  g_assert_cmpstr (error->message, ==, message);
}

static void
drain_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Tests -------------------------------------------------------------------- */

static void
test_new_rejects_invalid_parameters (void)
{
  g_autoptr(GError) error = NULL;
  AioCollector *collector;

  collector = aio_collector_new_for_jobs (NULL, 0, 0, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_assert_null (collector);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "0"));
  g_clear_error (&error);

  collector = aio_collector_new_for_jobs (NULL, 0, 4, -1, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_assert_null (collector);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "-1"));
  g_clear_error (&error);

  collector = g_initable_new (AIO_TYPE_COLLECTOR, NULL, &error, "workers", -3, NULL);
  g_assert_null (collector);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
}

static void
test_collect_uninitialized_reports_parameters (void)
{
  g_autoptr(AioCollector) collector = g_object_new (AIO_TYPE_COLLECTOR, "max-pending", -2, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = collect_now (collector, NULL, &error);

  g_assert_null (jobs);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
}

static void
test_collect_empty_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector =
    aio_collector_new_for_jobs (NULL, 0, 4, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_autoptr(GPtrArray) jobs = collect_now (collector, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 0);
  g_assert_cmpint (aio_collector_get_total (collector), ==, 0);
  g_assert_cmpint (aio_collector_get_started (collector), ==, 0);
}

static void
test_collect_in_input_order_within_workers (void)
{
  static const guint delays[] = { 50, 10, 30, 0, 20, 5, 40, 1 };
  Stats stats = { 0 };
  AioJob *input[G_N_ELEMENTS (delays)];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    input[i] = timed_job_new (&stats, delays[i], i, FALSE);
  collector = aio_collector_new_for_jobs (input, G_N_ELEMENTS (input), 3, 0,
                                          AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    g_object_unref (input[i]);

  jobs = collect_now (collector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, G_N_ELEMENTS (delays));
  for (guint i = 0; i < jobs->len; i++)
    g_assert_cmpint (job_int (g_ptr_array_index (jobs, i)), ==, i);
  g_assert_cmpuint (stats.max_running, ==, 3);
  g_assert_cmpint (aio_collector_get_completed (collector), ==, G_N_ELEMENTS (delays));
  g_assert_cmpint (aio_collector_get_failed (collector), ==, 0);
}

static void
test_collect_sized_input_never_starts_more_than_items (void)
{
  Stats stats = { 0 };
  AioJob *input[2];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  input[0] = timed_job_new (&stats, 1, 0, FALSE);
  input[1] = timed_job_new (&stats, 1, 1, FALSE);
  collector = aio_collector_new_for_jobs (input, 2, 1024, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_object_unref (input[0]);
  g_object_unref (input[1]);

  jobs = collect_now (collector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats.starts, ==, 2);
  g_assert_cmpint (aio_collector_get_started (collector), ==, 2);
}

/* The seed's own test: 0.4 s for the slow head, 0.1 s for the others. */
static void
test_collect_seed_timing_settle_all (void)
{
  Stats stats = { 0 };
  AioJob *input[5];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  gint64 begin;
  double elapsed;

  for (guint i = 0; i < 5; i++)
    input[i] = timed_job_new (&stats, i == 0 ? 400 : 100, i, i == 3);
  collector = aio_collector_new_for_jobs (input, 5, 2, 4, AIO_COLLECTOR_POLICY_SETTLE_ALL, &error);
  for (guint i = 0; i < 5; i++)
    g_object_unref (input[i]);

  begin = g_get_monotonic_time ();
  jobs = collect_now (collector, NULL, &error);
  elapsed = (g_get_monotonic_time () - begin) / 1e6;

  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 5);
  g_assert_cmpint (job_int (jobs->pdata[0]), ==, 0);
  g_assert_cmpint (job_int (jobs->pdata[1]), ==, 1);
  g_assert_cmpint (job_int (jobs->pdata[2]), ==, 2);
  assert_job_fails (jobs->pdata[3], G_IO_ERROR, G_IO_ERROR_FAILED, "item 3 failed");
  g_assert_cmpint (job_int (jobs->pdata[4]), ==, 4);
  g_assert_cmpfloat (elapsed, >=, 0.39);
  g_assert_cmpfloat (elapsed, <, 0.4 + 0.6 * test_slowdown ());
  g_assert_cmpint (aio_collector_get_failed (collector), ==, 1);
}

static void
test_fail_fast_cancels_and_stops_remaining_jobs (void)
{
  Stats stats = { 0 };
  AioJob *input[10];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  gint64 begin;

  /* Item 1 fails after 20 ms; every other job would run for 10 s. */
  for (guint i = 0; i < G_N_ELEMENTS (input); i++)
    input[i] = timed_job_new (&stats, i == 1 ? 20 : 10000, i, i == 1);
  collector = aio_collector_new_for_jobs (input, G_N_ELEMENTS (input), 4, 0,
                                          AIO_COLLECTOR_POLICY_FAIL_FAST, &error);

  begin = g_get_monotonic_time ();
  jobs = collect_now (collector, NULL, &error);
  g_assert_null (jobs);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "item 1 failed");
  g_assert_cmpint (g_get_monotonic_time () - begin, <, 5 * test_slowdown () * G_USEC_PER_SEC);

  /* The three other started jobs really stopped, before the callback. */
  g_assert_cmpuint (stats.starts, ==, 4);
  g_assert_cmpuint (stats.cancelled, ==, 3);
  g_assert_cmpuint (stats.running, ==, 0);
  g_assert_false (aio_collector_is_cancelled (collector));

  /* The queued jobs were cancelled and never ran. */
  for (guint i = 4; i < G_N_ELEMENTS (input); i++)
    {
      g_assert_true (g_cancellable_is_cancelled (aio_job_get_cancellable (input[i])));
      g_assert_cmpint (aio_job_get_state (input[i]), ==, AIO_JOB_STATE_PENDING);
    }
  drain_context ();
  g_assert_cmpuint (stats.starts, ==, 4);

  for (guint i = 0; i < G_N_ELEMENTS (input); i++)
    g_object_unref (input[i]);
}

static void
test_fail_fast_reports_first_error_in_input_order (void)
{
  Stats stats = { 0 };
  AioJob *input[3];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  /* Item 0 fails later than item 1 and does not stop when cancelled: its
   * own error still comes first in input order. */
  input[0] = timed_job_new_tagged (&stats, 60, 0, TRUE);
  timed_of (input[0])->ignores_cancel = TRUE;
  input[1] = timed_job_new (&stats, 5, 1, TRUE);
  input[2] = timed_job_new (&stats, 5000, 2, FALSE);
  collector = aio_collector_new_for_jobs (input, 3, 3, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  for (guint i = 0; i < 3; i++)
    g_object_unref (input[i]);

  jobs = collect_now (collector, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "item 0 failed");
  g_assert_cmpuint (stats.cancelled, ==, 1);
  g_assert_cmpuint (stats.running, ==, 0);
}

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);

  return G_SOURCE_REMOVE;
}

/* Cancels once job 0 has finished and job 3 has taken its place: three
 * jobs are running then, whatever the machine's load. */
static void
cancel_once_four_started (GObject    *object,
                          GParamSpec *pspec,
                          gpointer    user_data)
{
  if (aio_collector_get_started (AIO_COLLECTOR (object)) == 4)
    g_cancellable_cancel (user_data);
}

static void
test_cancel_collect_cancels_every_job (void)
{
  Stats stats = { 0 };
  AioJob *input[8];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 started;

  for (guint i = 0; i < G_N_ELEMENTS (input); i++)
    input[i] = timed_job_new (&stats, i == 0 ? 5 : 10000, i, FALSE);
  collector = aio_collector_new_for_jobs (input, G_N_ELEMENTS (input), 3, 0,
                                          AIO_COLLECTOR_POLICY_SETTLE_ALL, &error);

  g_signal_connect (collector, "notify::started", G_CALLBACK (cancel_once_four_started), cancellable);
  jobs = collect_now (collector, cancellable, &error);
  g_assert_null (jobs);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (aio_collector_is_cancelled (collector));
  g_assert_cmpuint (stats.running, ==, 0);
  g_assert_cmpuint (stats.cancelled, ==, 3);

  started = aio_collector_get_started (collector);
  g_assert_cmpint (started, ==, 4);
  drain_context ();
  g_assert_cmpint (aio_collector_get_started (collector), ==, started);
  for (guint i = 4; i < G_N_ELEMENTS (input); i++)
    g_assert_true (g_cancellable_is_cancelled (aio_job_get_cancellable (input[i])));

  for (guint i = 0; i < G_N_ELEMENTS (input); i++)
    g_object_unref (input[i]);
}

static void
test_job_cancelling_itself_is_an_item_error (void)
{
  Stats stats = { 0 };
  AioJob *input[3];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  input[0] = timed_job_new (&stats, 1, 0, FALSE);
  input[1] = timed_job_new_tagged (&stats, 1, 1, FALSE);
  timed_of (input[1])->cancels_itself = TRUE;
  input[2] = timed_job_new (&stats, 1, 2, FALSE);
  collector = aio_collector_new_for_jobs (input, 3, 2, 0, AIO_COLLECTOR_POLICY_SETTLE_ALL, &error);
  for (guint i = 0; i < 3; i++)
    g_object_unref (input[i]);

  jobs = collect_now (collector, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (aio_collector_is_cancelled (collector));
  g_assert_cmpint (job_int (jobs->pdata[0]), ==, 0);
  assert_job_fails (jobs->pdata[1], G_IO_ERROR, G_IO_ERROR_CANCELLED, "I gave up");
  g_assert_cmpint (job_int (jobs->pdata[2]), ==, 2);
}

static void
test_input_already_running_or_completed_is_waited_for (void)
{
  Stats stats = { 0 };
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) item_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "nothing");
  AioJob *input[4];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 7);
  input[0] = timed_job_new (&stats, 20, 0, FALSE);
  aio_job_start (input[0]);
  input[1] = aio_job_new_for_value (&value);
  input[2] = aio_job_new_for_error (item_error);
  input[3] = g_object_ref (input[0]);
  collector = aio_collector_new_for_jobs (input, 4, 2, 0, AIO_COLLECTOR_POLICY_SETTLE_ALL, &error);
  for (guint i = 0; i < 4; i++)
    g_object_unref (input[i]);

  jobs = collect_now (collector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_int (jobs->pdata[0]), ==, 0);
  g_assert_cmpint (job_int (jobs->pdata[1]), ==, 7);
  assert_job_fails (jobs->pdata[2], G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "nothing");
  g_assert_cmpint (job_int (jobs->pdata[3]), ==, 0);
  g_assert_cmpuint (stats.starts, ==, 1);
}

typedef struct
{
  AioCollector *collector;   /* weak: set once created */
  Stats        *stats;
  guint         calls;
  guint         limit;       /* 0: endless */
  guint         fail_at;     /* 0: never */
  guint         delay_ms;
  guint         calls_while_full;
} Producer;

static AioJob *
produce (gpointer   user_data,
         GError   **error)
{
  Producer *producer = user_data;
  guint index = producer->calls++;

  if (producer->collector != NULL &&
      aio_collector_get_started (producer->collector) - aio_collector_get_completed (producer->collector) >=
      aio_collector_get_workers (producer->collector))
    producer->calls_while_full++;

  if (producer->fail_at != 0 && index == producer->fail_at)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad input");
      return NULL;
    }
  if (producer->limit != 0 && index >= producer->limit)
    return NULL;

  return producer->delay_ms == 0 ? immediate_job_new (index)
                                 : timed_job_new (producer->stats, producer->delay_ms, index, FALSE);
}

static void
test_producer_called_only_when_a_slot_is_free (void)
{
  Stats stats = { 0 };
  Producer producer = { .stats = &stats, .limit = 30, .delay_ms = 2 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  collector = aio_collector_new_for_producer (4, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce, &producer, NULL, &error);
  producer.collector = collector;
  g_assert_cmpint (aio_collector_get_total (collector), ==, -1);
  g_assert_cmpuint (producer.calls, ==, 0);

  jobs = collect_now (collector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 30);
  for (guint i = 0; i < jobs->len; i++)
    g_assert_cmpint (job_int (jobs->pdata[i]), ==, i);
  g_assert_cmpuint (producer.calls, ==, 31);
  g_assert_cmpuint (producer.calls_while_full, ==, 0);
  g_assert_cmpuint (stats.max_running, <=, 4);
  g_assert_cmpint (aio_collector_get_total (collector), ==, 30);
}

static void
test_producer_error_fails_the_collection (void)
{
  Stats stats = { 0 };
  Producer producer = { .stats = &stats, .fail_at = 5, .delay_ms = 1000 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  collector = aio_collector_new_for_producer (8, 0, AIO_COLLECTOR_POLICY_SETTLE_ALL,
                                              produce, &producer, NULL, &error);
  jobs = collect_now (collector, NULL, &error);
  g_assert_null (jobs);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpuint (producer.calls, ==, 6);
  g_assert_cmpuint (stats.cancelled, ==, 5);
  g_assert_cmpuint (stats.running, ==, 0);
}

static void
test_next_returns_items_in_order_then_end (void)
{
  static const guint delays[] = { 30, 1, 20, 1 };
  Stats stats = { 0 };
  AioJob *input[G_N_ELEMENTS (delays)];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    input[i] = timed_job_new (&stats, delays[i], i, i == 2);
  collector = aio_collector_new_for_jobs (input, G_N_ELEMENTS (input), 2, 1,
                                          AIO_COLLECTOR_POLICY_SETTLE_ALL, &error);
  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    g_object_unref (input[i]);

  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    {
      g_autoptr(AioJob) job = next_now (collector, &error);

      g_assert_no_error (error);
      if (i == 2)
        assert_job_fails (job, G_IO_ERROR, G_IO_ERROR_FAILED, "item 2 failed");
      else
        g_assert_cmpint (job_int (job), ==, i);
    }
  g_assert_null (next_now (collector, &error));
  g_assert_no_error (error);
  g_assert_null (next_now (collector, &error));
  g_assert_no_error (error);
}

static void
test_next_concurrent_calls_each_get_their_own_item (void)
{
  static const guint delays[] = { 40, 1, 25, 5, 1, 10 };
  Stats stats = { 0 };
  AioJob *input[G_N_ELEMENTS (delays)];
  GAsyncResult *results[G_N_ELEMENTS (delays) + 1] = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    input[i] = timed_job_new (&stats, delays[i], i, FALSE);
  collector = aio_collector_new_for_jobs (input, G_N_ELEMENTS (input), 3, 0,
                                          AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    g_object_unref (input[i]);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    aio_collector_next_async (collector, NULL, store_result, &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(AioJob) job = aio_collector_next_finish (collector, wait_for_result (&results[i]), &error);

      g_assert_no_error (error);
      if (i == G_N_ELEMENTS (delays))
        g_assert_null (job);
      else
        g_assert_cmpint (job_int (job), ==, i);
      g_clear_object (&results[i]);
    }
}

static void
test_next_cancelled_wait_leaves_item_for_next_call (void)
{
  Stats stats = { 0 };
  AioJob *input[2];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AioJob) job = NULL;

  input[0] = timed_job_new (&stats, 300, 0, FALSE);
  input[1] = timed_job_new (&stats, 1, 1, FALSE);
  collector = aio_collector_new_for_jobs (input, 2, 2, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_object_unref (input[0]);
  g_object_unref (input[1]);

  aio_collector_next_async (collector, cancellable, store_result, &result);
  g_timeout_add (5, cancel_later, cancellable);
  g_assert_null (aio_collector_next_finish (collector, wait_for_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (aio_collector_is_cancelled (collector));

  job = next_now (collector, &error);
  g_assert_cmpint (job_int (job), ==, 0);
}

/* Behind one slow head item, at most max-pending items wait: the rest of the
 * input is not started until the consumer takes the head. */
static void
test_next_bound_holds_behind_slow_head (void)
{
  Stats stats = { 0 };
  AioJob *input[20];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AioJob) head = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (input); i++)
    input[i] = timed_job_new (&stats, i == 0 ? 600 : 1, i, FALSE);
  collector = aio_collector_new_for_jobs (input, G_N_ELEMENTS (input), 8, 3,
                                          AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  for (guint i = 0; i < G_N_ELEMENTS (input); i++)
    g_object_unref (input[i]);

  aio_collector_next_async (collector, NULL, store_result, &result);
  while (stats.finished < 3)
    g_main_context_iteration (NULL, TRUE);
  /* The three jobs after the head are done; nothing more may start while
   * the head runs, however many loop iterations pass. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);
  g_assert_cmpint (aio_collector_get_started (collector), ==, 4);

  head = aio_collector_next_finish (collector, wait_for_result (&result), &error);
  g_assert_cmpint (job_int (head), ==, 0);
  /* The slow consumer holds on: window of head + 3 again, all finished. */
  while (stats.finished < 5)
    g_main_context_iteration (NULL, TRUE);
  drain_context ();
  g_assert_cmpint (aio_collector_get_started (collector), ==, 5);
}

static void
test_next_first_result_before_window_is_full (void)
{
  Producer producer = { .limit = 100000 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(AioJob) job = NULL;

  collector = aio_collector_new_for_producer (1024, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce, &producer, NULL, &error);
  job = next_now (collector, &error);
  g_assert_cmpint (job_int (job), ==, 0);
  g_assert_cmpint (aio_collector_get_started (collector), <, 1024);
}

static void
test_dropping_stream_stops_remaining_work (void)
{
  Stats stats = { 0 };
  Producer producer = { .stats = &stats, .delay_ms = 5 };
  g_autoptr(GError) error = NULL;
  AioCollector *collector;
  guint calls;

  collector = aio_collector_new_for_producer (4, 2, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce, &producer, NULL, &error);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(AioJob) job = next_now (collector, &error);

      g_assert_cmpint (job_int (job), ==, i);
    }
  g_assert_cmpuint (stats.running, >, 0);
  g_object_unref (collector);
  g_assert_cmpuint (stats.running, ==, 0);

  calls = producer.calls;
  g_usleep (10000);
  drain_context ();
  g_assert_cmpuint (producer.calls, ==, calls);
  g_assert_cmpuint (stats.running, ==, 0);
}

static void
test_cancel_stream_part_way (void)
{
  Stats stats = { 0 };
  Producer producer = { .stats = &stats, .delay_ms = 5 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(AioJob) job = NULL;
  guint calls;

  collector = aio_collector_new_for_producer (4, 2, AIO_COLLECTOR_POLICY_SETTLE_ALL,
                                              produce, &producer, NULL, &error);
  job = next_now (collector, &error);
  aio_collector_cancel (collector);
  calls = producer.calls;
  g_assert_null (next_now (collector, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (stats.running, ==, 0);
  g_assert_null (next_now (collector, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (producer.calls, ==, calls);
}

typedef struct
{
  GThread *thread;
  guint    notifies;
  gint64   last_completed;
} Progress;

static void
on_completed_notify (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  Progress *progress = user_data;
  gint64 completed = aio_collector_get_completed (AIO_COLLECTOR (object));

  g_assert_true (progress->thread == g_thread_self ());
  g_assert_cmpint (completed, >, progress->last_completed);
  progress->last_completed = completed;
  progress->notifies++;
}

static void
test_progress_properties_notify_in_owner_context (void)
{
  Stats stats = { 0 };
  AioJob *input[6];
  Progress progress = { .thread = g_thread_self () };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  gint64 total, started, completed, failed;

  for (guint i = 0; i < G_N_ELEMENTS (input); i++)
    input[i] = timed_job_new (&stats, 5 * i, i, i % 2 == 1);
  collector = aio_collector_new_for_jobs (input, G_N_ELEMENTS (input), 2, 0,
                                          AIO_COLLECTOR_POLICY_SETTLE_ALL, &error);
  for (guint i = 0; i < G_N_ELEMENTS (input); i++)
    g_object_unref (input[i]);
  g_signal_connect (collector, "notify::completed", G_CALLBACK (on_completed_notify), &progress);

  jobs = collect_now (collector, NULL, &error);
  g_assert_no_error (error);
  g_object_get (collector, "total", &total, "started", &started,
                "completed", &completed, "failed", &failed, NULL);
  g_assert_cmpint (total, ==, 6);
  g_assert_cmpint (started, ==, 6);
  g_assert_cmpint (completed, ==, 6);
  g_assert_cmpint (failed, ==, 3);
  g_assert_cmpuint (progress.notifies, >=, 1);
  g_assert_cmpint (progress.last_completed, ==, 6);
}

static void
test_collect_twice_is_busy (void)
{
  AioJob *input[1] = { immediate_job_new (1) };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GPtrArray) again = NULL;

  collector = aio_collector_new_for_jobs (input, 1, 1, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_object_unref (input[0]);
  jobs = collect_now (collector, NULL, &error);
  g_assert_no_error (error);
  again = collect_now (collector, NULL, &error);
  g_assert_null (again);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_BUSY);
}

typedef struct
{
  guint produced;
  guint destroyed;
} Counted;

static void
note_destroyed (gpointer data)
{
  ((Counted *) data)->destroyed++;
}

static AioJob *
produce_three (gpointer   user_data,
               GError   **error)
{
  Counted *counted = user_data;

  return counted->produced < 3 ? immediate_job_new (counted->produced++) : NULL;
}

static void
test_producer_released_once_input_ends (void)
{
  Counted counted = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  collector = aio_collector_new_for_producer (2, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce_three, &counted, note_destroyed, &error);
  g_assert_cmpuint (counted.destroyed, ==, 0);
  jobs = collect_now (collector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 3);
  g_assert_cmpuint (counted.destroyed, ==, 1);
  g_clear_object (&collector);
  g_assert_cmpuint (counted.destroyed, ==, 1);

  /* Invalid parameters: the data is released at once. */
  collector = aio_collector_new_for_producer (0, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce_three, &counted, note_destroyed, &error);
  g_assert_null (collector);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (counted.destroyed, ==, 2);
}

static AioJob *
produce_not_a_job (gpointer   user_data,
                   GError   **error)
{
  return (AioJob *) g_object_new (G_TYPE_OBJECT, NULL);
}

static void
test_producer_returning_a_non_job_fails_the_collection (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  collector = aio_collector_new_for_producer (2, 0, AIO_COLLECTOR_POLICY_SETTLE_ALL,
                                              produce_not_a_job, NULL, NULL, &error);
  jobs = collect_now (collector, NULL, &error);
  g_assert_null (jobs);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
}

static void
test_fail_fast_next_hands_out_items_before_the_error (void)
{
  Stats stats = { 0 };
  AioJob *input[5];
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;

  /* Items 0 and 1 finish before item 2 fails; items 3 and 4 never will. */
  input[0] = timed_job_new (&stats, 1, 0, FALSE);
  input[1] = timed_job_new (&stats, 1, 1, FALSE);
  input[2] = timed_job_new (&stats, 200, 2, TRUE);
  input[3] = timed_job_new (&stats, 10000, 3, FALSE);
  input[4] = timed_job_new (&stats, 10000, 4, FALSE);
  collector = aio_collector_new_for_jobs (input, 5, 5, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  for (guint i = 0; i < 5; i++)
    g_object_unref (input[i]);

  for (int i = 0; i < 2; i++)
    {
      g_autoptr(AioJob) job = next_now (collector, &error);

      g_assert_no_error (error);
      g_assert_cmpint (job_int (job), ==, i);
    }
  g_assert_null (next_now (collector, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "item 2 failed");
  g_clear_error (&error);
  g_assert_cmpuint (stats.running, ==, 0);
  g_assert_cmpuint (stats.cancelled, ==, 2);
  g_assert_null (next_now (collector, &error));
  g_assert_no_error (error);
}

/* The delivery of next: callbacks run from the collector's pass over its
 * finished items, never inside aio_collector_next_async(). */

/* A collector over @n immediate jobs, all of them finished and waiting
 * after item 0 was taken. */
static AioCollector *
collector_with_ready_items (guint n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AioJob) first = NULL;
  AioJob **input = g_new (AioJob *, n);
  AioCollector *collector;

  for (guint i = 0; i < n; i++)
    input[i] = immediate_job_new (i);
  collector = aio_collector_new_for_jobs (input, n, n, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    g_object_unref (input[i]);
  g_free (input);

  first = next_now (collector, &error);
  g_assert_cmpint (job_int (first), ==, 0);
  drain_context ();
  g_assert_cmpint (aio_collector_get_completed (collector), ==, n);

  return collector;
}

/* Takes every item from the callbacks, one next call at a time. */
typedef struct
{
  AioCollector *collector;
  guint         next_value;
  gboolean      is_inside_next_async;
  gboolean      is_done;
  guint         nesting;          /* callbacks running right now */
  guint         max_nesting;
} Chain;

static void chain_on_item (GObject      *source_object,
                           GAsyncResult *result,
                           gpointer      user_data);

static void
chain_ask (Chain *chain)
{
  chain->is_inside_next_async = TRUE;
  aio_collector_next_async (chain->collector, NULL, chain_on_item, chain);
  chain->is_inside_next_async = FALSE;
}

static void
chain_on_item (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Chain *chain = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AioJob) job = aio_collector_next_finish (chain->collector, result, &error);

  g_assert_false (chain->is_inside_next_async);
  g_assert_no_error (error);
  if (job == NULL)
    {
      chain->is_done = TRUE;
      return;
    }
  g_assert_cmpint (job_int (job), ==, chain->next_value);
  chain->next_value++;
  chain->nesting++;
  chain->max_nesting = MAX (chain->max_nesting, chain->nesting);
  chain_ask (chain);
  chain->nesting--;
}

static void
test_next_callback_never_runs_inside_next_async (void)
{
  g_autoptr(AioCollector) collector = collector_with_ready_items (50);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AioJob) job = NULL;
  Chain chain = { .collector = collector, .next_value = 2 };

  /* The head item is finished: still no callback before the call returns. */
  aio_collector_next_async (collector, NULL, store_result, &result);
  g_assert_null (result);
  job = aio_collector_next_finish (collector, wait_for_result (&result), &error);
  g_assert_cmpint (job_int (job), ==, 1);

  chain_ask (&chain);
  while (!chain.is_done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (chain.next_value, ==, 50);
  g_assert_cmpuint (chain.max_nesting, ==, 1);
}

/* A consumer asking again from its callback is served in the same
 * dispatch: a stream costs no main-loop iteration per item. */
static void
test_next_chained_consumer_is_served_in_one_dispatch (void)
{
  g_autoptr(AioCollector) collector = collector_with_ready_items (100);
  Chain chain = { .collector = collector, .next_value = 1 };
  guint iterations = 0;

  chain_ask (&chain);
  while (!chain.is_done)
    {
      g_main_context_iteration (NULL, TRUE);
      iterations++;
    }
  g_assert_cmpuint (chain.next_value, ==, 100);
  g_assert_cmpuint (iterations, <=, 2);
}

static gboolean
note_stream_position (gpointer user_data)
{
  Chain *chain = user_data;

  if (chain->is_done)
    chain->next_value = G_MAXUINT;   /* too late: fails the value check */
  else
    chain->nesting += 1000;          /* ran while items still flowed */

  return G_SOURCE_REMOVE;
}

/* Thousands of finished items taken from callbacks: the collector still
 * lets a GTK frame (priority HIGH_IDLE + 20) and a plain idle run before
 * the stream ends. */
static void
test_next_long_stream_lets_other_sources_run (void)
{
  const guint n = 4000;
  g_autoptr(AioCollector) collector = collector_with_ready_items (n);
  Chain chain = { .collector = collector, .next_value = 1 };

  chain_ask (&chain);
  g_idle_add_full (G_PRIORITY_HIGH_IDLE + 20, note_stream_position, &chain, NULL);
  g_idle_add (note_stream_position, &chain);
  while (!chain.is_done)
    g_main_context_iteration (NULL, TRUE);
  drain_context ();
  g_assert_cmpuint (chain.next_value, ==, n);
  g_assert_cmpuint (chain.nesting, ==, 2000);
}

/* A callback may wait for the next item in a nested main loop. */
static void
wait_for_next_inside (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  AioCollector *collector = AIO_COLLECTOR (source_object);
  guint *taken = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AioJob) job = aio_collector_next_finish (collector, result, &error);
  g_autoptr(AioJob) following = next_now (collector, &error);

  g_assert_no_error (error);
  g_assert_cmpint (job_int (job), ==, 1);
  g_assert_cmpint (job_int (following), ==, 2);
  *taken = 2;
}

static void
test_next_callback_may_wait_in_nested_loop (void)
{
  g_autoptr(AioCollector) collector = collector_with_ready_items (4);
  guint taken = 0;

  aio_collector_next_async (collector, NULL, wait_for_next_inside, &taken);
  while (taken == 0)
    g_main_context_iteration (NULL, TRUE);
}

/* Of three queued waits, the middle one is cancelled before its item is
 * ready: it alone fails, and the items go to the others in call order. */
static void
test_next_cancel_queued_wait_mid_stream (void)
{
  Stats stats = { 0 };
  Producer producer = { .stats = &stats, .limit = 8, .delay_ms = 30 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GAsyncResult *results[3] = { NULL, };
  g_autoptr(AioJob) first = NULL;
  g_autoptr(AioJob) third = NULL;
  g_autoptr(AioJob) next = NULL;

  collector = aio_collector_new_for_producer (2, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce, &producer, NULL, &error);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(AioJob) job = next_now (collector, &error);

      g_assert_cmpint (job_int (job), ==, i);
    }

  aio_collector_next_async (collector, NULL, store_result, &results[0]);
  aio_collector_next_async (collector, cancellable, store_result, &results[1]);
  aio_collector_next_async (collector, NULL, store_result, &results[2]);
  g_cancellable_cancel (cancellable);
  g_assert_null (results[1]);

  g_assert_null (aio_collector_next_finish (collector, wait_for_result (&results[1]), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  first = aio_collector_next_finish (collector, wait_for_result (&results[0]), &error);
  third = aio_collector_next_finish (collector, wait_for_result (&results[2]), &error);
  g_assert_no_error (error);
  g_assert_cmpint (job_int (first), ==, 3);
  g_assert_cmpint (job_int (third), ==, 4);
  next = next_now (collector, &error);
  g_assert_cmpint (job_int (next), ==, 5);
  g_assert_false (aio_collector_is_cancelled (collector));
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    g_clear_object (&results[i]);
}

/* A waiting next call keeps the collector, as a GTask keeps its source
 * object: dropping the caller's reference loses no item. */
static void
test_next_pending_wait_keeps_the_collector (void)
{
  Stats stats = { 0 };
  Producer producer = { .stats = &stats, .limit = 3, .delay_ms = 5 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AioJob) job = NULL;
  AioCollector *collector;
  GWeakRef weak;

  collector = aio_collector_new_for_producer (2, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                              produce, &producer, NULL, &error);
  g_weak_ref_init (&weak, collector);
  aio_collector_next_async (collector, NULL, store_result, &result);
  g_object_unref (collector);
  wait_for_result (&result);
  collector = g_weak_ref_get (&weak);
  g_assert_nonnull (collector);
  job = aio_collector_next_finish (collector, result, &error);
  g_assert_cmpint (job_int (job), ==, 0);
  g_object_unref (collector);
  g_clear_object (&result);
  drain_context ();
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
  g_assert_cmpuint (stats.running, ==, 0);
}

/* Disposed with waits queued: each gets its callback in the collector's
 * context, after the dispose, as if the collector had been cancelled. */
static void
test_next_dispose_with_queued_waits (void)
{
  Stats stats = { 0 };
  Producer producer = { .stats = &stats, .delay_ms = 10000 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GAsyncResult *results[3] = { NULL, };
  g_autoptr(GAsyncResult) late = NULL;

  collector = aio_collector_new_for_producer (2, 0, AIO_COLLECTOR_POLICY_SETTLE_ALL,
                                              produce, &producer, NULL, &error);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    aio_collector_next_async (collector, i == 1 ? cancellable : NULL, store_result, &results[i]);
  while (stats.running < 2)
    g_main_context_iteration (NULL, TRUE);

  g_object_run_dispose (G_OBJECT (collector));
  g_assert_cmpuint (stats.running, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    g_assert_null (results[i]);

  g_assert_null (aio_collector_next_finish (collector, wait_for_result (&results[0]), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  for (guint i = 1; i < G_N_ELEMENTS (results); i++)
    {
      g_assert_null (aio_collector_next_finish (collector, wait_for_result (&results[i]), &error));
      g_assert_no_error (error);
    }
  g_cancellable_cancel (cancellable);

  aio_collector_next_async (collector, NULL, store_result, &late);
  g_assert_null (late);
  g_assert_null (aio_collector_next_finish (collector, wait_for_result (&late), &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    g_clear_object (&results[i]);
}

/* The same for a collection waited for as a whole. */
static void
test_dispose_during_collect_reports_cancelled (void)
{
  Stats stats = { 0 };
  Producer producer = { .stats = &stats, .delay_ms = 10000 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  collector = aio_collector_new_for_producer (2, 0, AIO_COLLECTOR_POLICY_SETTLE_ALL,
                                              produce, &producer, NULL, &error);
  aio_collector_collect_async (collector, NULL, store_result, &result);
  while (stats.running < 2)
    g_main_context_iteration (NULL, TRUE);

  g_object_run_dispose (G_OBJECT (collector));
  g_assert_null (result);
  g_assert_null (aio_collector_collect_finish (collector, wait_for_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (stats.running, ==, 0);
}

/* next_finish() refuses a result that is not its own. */
static void
test_next_finish_refuses_a_foreign_result (void)
{
  g_autoptr(AioCollector) collector = collector_with_ready_items (3);
  g_autoptr(AioCollector) other = collector_with_ready_items (3);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AioJob) job = NULL;

  aio_collector_next_async (collector, NULL, store_result, &result);
  wait_for_result (&result);
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*aio_thread_result_is_valid*");
  g_assert_null (aio_collector_next_finish (other, result, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  job = aio_collector_next_finish (collector, result, &error);
  g_assert_cmpint (job_int (job), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/collector/new/rejects-invalid-parameters", test_new_rejects_invalid_parameters);
  g_test_add_func ("/collector/new/uninitialized-collector-reports-bad-parameters",
                   test_collect_uninitialized_reports_parameters);
  g_test_add_func ("/collector/collect/empty-input-returns-at-once", test_collect_empty_input);
  g_test_add_func ("/collector/collect/input-order-within-workers", test_collect_in_input_order_within_workers);
  g_test_add_func ("/collector/collect/sized-input-starts-no-more-than-its-items",
                   test_collect_sized_input_never_starts_more_than_items);
  g_test_add_func ("/collector/collect/seed-timing-settle-all", test_collect_seed_timing_settle_all);
  g_test_add_func ("/collector/collect/twice-is-busy", test_collect_twice_is_busy);
  g_test_add_func ("/collector/fail-fast/cancels-and-stops-remaining-jobs",
                   test_fail_fast_cancels_and_stops_remaining_jobs);
  g_test_add_func ("/collector/fail-fast/first-error-in-input-order",
                   test_fail_fast_reports_first_error_in_input_order);
  g_test_add_func ("/collector/cancel/collect-cancels-every-job", test_cancel_collect_cancels_every_job);
  g_test_add_func ("/collector/cancel/stream-part-way-stops-work", test_cancel_stream_part_way);
  g_test_add_func ("/collector/cancel/dropping-stream-stops-work", test_dropping_stream_stops_remaining_work);
  g_test_add_func ("/collector/item/job-cancelling-itself-is-an-item-error",
                   test_job_cancelling_itself_is_an_item_error);
  g_test_add_func ("/collector/input/running-or-completed-jobs-are-waited-for",
                   test_input_already_running_or_completed_is_waited_for);
  g_test_add_func ("/collector/producer/called-only-when-a-slot-is-free",
                   test_producer_called_only_when_a_slot_is_free);
  g_test_add_func ("/collector/producer/error-fails-the-collection", test_producer_error_fails_the_collection);
  g_test_add_func ("/collector/producer/released-once-input-ends", test_producer_released_once_input_ends);
  g_test_add_func ("/collector/producer/non-job-fails-the-collection",
                   test_producer_returning_a_non_job_fails_the_collection);
  g_test_add_func ("/collector/fail-fast/next-hands-out-items-before-the-error",
                   test_fail_fast_next_hands_out_items_before_the_error);
  g_test_add_func ("/collector/next/items-in-order-then-end", test_next_returns_items_in_order_then_end);
  g_test_add_func ("/collector/next/concurrent-calls-get-their-own-item",
                   test_next_concurrent_calls_each_get_their_own_item);
  g_test_add_func ("/collector/next/cancelled-wait-leaves-item-for-next-call",
                   test_next_cancelled_wait_leaves_item_for_next_call);
  g_test_add_func ("/collector/next/bound-holds-behind-slow-head", test_next_bound_holds_behind_slow_head);
  g_test_add_func ("/collector/next/first-result-before-window-is-full",
                   test_next_first_result_before_window_is_full);
  g_test_add_func ("/collector/next/callback-never-runs-inside-next-async",
                   test_next_callback_never_runs_inside_next_async);
  g_test_add_func ("/collector/next/chained-consumer-is-served-in-one-dispatch",
                   test_next_chained_consumer_is_served_in_one_dispatch);
  g_test_add_func ("/collector/next/long-stream-lets-other-sources-run",
                   test_next_long_stream_lets_other_sources_run);
  g_test_add_func ("/collector/next/callback-may-wait-in-nested-loop",
                   test_next_callback_may_wait_in_nested_loop);
  g_test_add_func ("/collector/next/cancel-queued-wait-mid-stream", test_next_cancel_queued_wait_mid_stream);
  g_test_add_func ("/collector/next/pending-wait-keeps-the-collector",
                   test_next_pending_wait_keeps_the_collector);
  g_test_add_func ("/collector/next/dispose-with-queued-waits", test_next_dispose_with_queued_waits);
  g_test_add_func ("/collector/cancel/dispose-during-collect-reports-cancelled",
                   test_dispose_during_collect_reports_cancelled);
  g_test_add_func ("/collector/next/finish-refuses-a-foreign-result", test_next_finish_refuses_a_foreign_result);
  g_test_add_func ("/collector/progress/notify-in-owner-context",
                   test_progress_properties_notify_in_owner_context);

  return g_test_run ();
}
