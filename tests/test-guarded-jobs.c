/* test-guarded-jobs.c: semaphore- and rate-limited work as jobs, fed to a
 * collector
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

typedef struct
{
  guint  running;
  guint  most_running;
  gint64 starts[16];
  guint  n_starts;
} Load;

typedef struct
{
  Load   *load;
  AioJob *job;
  int     value;
} Work;

static gboolean
work_finish (gpointer user_data)
{
  Work *work = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  work->load->running--;
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, work->value);
  aio_job_return_value (work->job, &value);
  g_object_unref (work->job);
  g_free (work);

  return G_SOURCE_REMOVE;
}

static void
work_start (AioJob       *job,
            GCancellable *cancellable,
            gpointer      user_data)
{
  Load *load = g_object_get_data (G_OBJECT (job), "load");
  Work *work = g_new0 (Work, 1);
  GSource *source = g_timeout_source_new (20);

  work->load = load;
  work->job = g_object_ref (job);
  work->value = GPOINTER_TO_INT (user_data);
  load->starts[load->n_starts++] = g_get_monotonic_time ();
  load->running++;
  load->most_running = MAX (load->most_running, load->running);
  g_source_set_callback (source, work_finish, work, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

static AioJob *
new_work (Load *load,
          int   value)
{
  AioJob *job = aio_job_new (work_start, GINT_TO_POINTER (value), NULL);

  g_object_set_data (G_OBJECT (job), "load", load);

  return job;
}

static void
store_result (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GPtrArray *
collect_all (AioJob **jobs,
             guint    n_jobs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = aio_collector_new_for_jobs (jobs, n_jobs, n_jobs, 0,
                                                                  AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_autoptr(GAsyncResult) result = NULL;
  GPtrArray *completed;

  g_assert_no_error (error);
  aio_collector_collect_async (collector, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  completed = aio_collector_collect_finish (collector, result, &error);
  g_assert_no_error (error);

  return completed;
}

static void
check_values_in_order (GPtrArray *completed)
{
  for (guint i = 0; i < completed->len; i++)
    g_assert_cmpint (g_value_get_int (aio_job_propagate_value (g_ptr_array_index (completed, i), NULL)), ==, (int) i);
}

static void
test_semaphore_jobs_bound_a_collector (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (2);
  Load load = { 0 };
  AioJob *jobs[8];
  g_autoptr(GPtrArray) completed = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_autoptr(AioJob) work = new_work (&load, i);

      jobs[i] = aio_semaphore_create_job (semaphore, 1, work);
    }

  /* Eight collector workers, two permits: never more than two at once. */
  completed = collect_all (jobs, G_N_ELEMENTS (jobs));
  g_assert_cmpuint (completed->len, ==, G_N_ELEMENTS (jobs));
  check_values_in_order (completed);
  g_assert_cmpuint (load.most_running, ==, 2);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    g_object_unref (jobs[i]);
}

static void
test_rate_limited_jobs_keep_their_spacing_in_a_collector (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (1, 0.05, 0.0, NULL);
  Load load = { 0 };
  AioJob *jobs[4];
  g_autoptr(GPtrArray) completed = NULL;
  gint64 origin;

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_autoptr(AioJob) work = new_work (&load, i);

      jobs[i] = aio_rate_limiter_create_job (limiter, work);
    }

  origin = g_get_monotonic_time ();
  completed = collect_all (jobs, G_N_ELEMENTS (jobs));
  check_values_in_order (completed);
  g_assert_cmpuint (load.n_starts, ==, G_N_ELEMENTS (jobs));
  /* Measured from before the first grant, never between two starts: a
   * start seen late (the thread held up after its grant) would make the
   * next one look early. One call per 50 ms puts the i-th grant no sooner
   * than i periods after the origin, however busy the machine. */
  for (guint i = 0; i < load.n_starts; i++)
    g_assert_cmpint (load.starts[i] - origin, >=, (gint64) i * 50 * 1000);

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    g_object_unref (jobs[i]);
}

static void
collected_inside (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(AioJob) job = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) completed = aio_collector_collect_finish (AIO_COLLECTOR (source_object), result, &error);
  g_auto(GValue) value = G_VALUE_INIT;

  g_assert_no_error (error);
  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, completed->len);
  aio_job_return_value (job, &value);
}

static void
collect_inside (AioJob       *job,
                GCancellable *cancellable,
                gpointer      user_data)
{
  aio_collector_collect_async (user_data, cancellable, collected_inside, g_object_ref (job));
}

/* A collector made in main() and collected inside aio_run(): it runs in the
 * context it starts in, not the one it was created in. */
static void
test_collector_runs_in_the_context_it_starts_in (void)
{
  Load load = { 0 };
  AioJob *jobs[3];
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(AioJob) entry = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    jobs[i] = new_work (&load, i);
  collector = aio_collector_new_for_jobs (jobs, 3, 3, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_assert_no_error (error);
  entry = aio_job_new (collect_inside, collector, NULL);

  value = aio_run (entry, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_value_get_uint (value), ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    g_object_unref (jobs[i]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/guarded-jobs/collector/runs-in-the-context-it-starts-in", test_collector_runs_in_the_context_it_starts_in);
  g_test_add_func ("/guarded-jobs/semaphore/bounds-a-collector", test_semaphore_jobs_bound_a_collector);
  g_test_add_func ("/guarded-jobs/rate-limiter/keeps-spacing-in-a-collector", test_rate_limited_jobs_keep_their_spacing_in_a_collector);

  return g_test_run ();
}
