/* test-rate-limiter.c: AioRateLimiter behaviour
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <math.h>
#include <string.h>

#include <aioext.h>

#include "outcome.h"
#include "timing.h"

/* Generous: the machine running the tests may be busy. */
#define MAX_LATENESS_US (150 * 1000)

static gint64
max_lateness_us (void)
{
  return test_slowdown () * MAX_LATENESS_US;
}

static void
on_acquired (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome_note (outcome);
  outcome->is_ok = aio_rate_limiter_acquire_finish (AIO_RATE_LIMITER (source_object), result, &outcome->error);
}

static void
on_job_run (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome_note (outcome);
  outcome->value = aio_rate_limiter_run_job_finish (AIO_RATE_LIMITER (source_object), result, &outcome->error);
  outcome->is_ok = outcome->value != NULL;
}

static void
acquire (AioRateLimiter *limiter,
         Outcome        *outcome)
{
  outcome->cancellable = g_cancellable_new ();
  aio_rate_limiter_acquire_async (limiter, outcome->cancellable, on_acquired, outcome);
}

static void
assert_invalid (guint    max_calls,
                double   period_seconds,
                double   min_seconds_between_calls,
                gboolean is_representable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) init_error = NULL;
  g_autoptr(AioRateLimiter) limiter = NULL;
  g_autoptr(AioRateLimiter) uninitialized = NULL;

  limiter = aio_rate_limiter_new (max_calls, period_seconds, min_seconds_between_calls, &error);
  g_assert_null (limiter);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);

  /* The same check when built by properties, as bindings do; a NaN cannot
   * even be stored in a double property. */
  if (!is_representable)
    return;
  uninitialized = g_object_new (AIO_TYPE_RATE_LIMITER,
                                "max-calls", max_calls,
                                "period-seconds", period_seconds,
                                "min-seconds-between-calls", min_seconds_between_calls,
                                NULL);
  g_assert_false (g_initable_init (G_INITABLE (uninitialized), NULL, &init_error));
  g_assert_error (init_error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
}

static void
test_invalid_parameters_fail_construction (void)
{
  g_autoptr(AioRateLimiter) limiter = NULL;
  g_autoptr(GError) error = NULL;

  assert_invalid (0, 1.0, 0.0, TRUE);
  assert_invalid (1, 0.0, 0.0, TRUE);
  assert_invalid (1, -1.0, 0.0, TRUE);
  assert_invalid (1, NAN, 0.0, FALSE);
  assert_invalid (1, INFINITY, 0.0, TRUE);
  assert_invalid (1, 1.0, -0.1, TRUE);
  assert_invalid (1, 1.0, NAN, FALSE);

  limiter = aio_rate_limiter_new (3, 0.5, 0.1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (aio_rate_limiter_get_max_calls (limiter), ==, 3);
  g_assert_cmpfloat (aio_rate_limiter_get_period_seconds (limiter), ==, 0.5);
  g_assert_cmpfloat (aio_rate_limiter_get_min_seconds_between_calls (limiter), ==, 0.1);
}

static void return_seven (AioJob       *job,
                          GCancellable *cancellable,
                          gpointer      user_data);

/* Issue 15: a limiter built from properties, as bindings do, and never
 * initialized: with invalid parameters every use fails through the
 * callback (no critical, which would abort this test); with valid ones it
 * initializes itself on first use. */
static void
test_uninitialized_limiter_fails_or_initializes_on_use (void)
{
  g_autoptr(AioRateLimiter) invalid = g_object_new (AIO_TYPE_RATE_LIMITER, "max-calls", 0, NULL);
  g_autoptr(AioRateLimiter) valid = g_object_new (AIO_TYPE_RATE_LIMITER, "max-calls", 2, NULL);
  guint starts = 0;
  g_autoptr(AioJob) job = aio_job_new (return_seven, &starts, NULL);
  Outcome acquired = { 0 }, ran = { 0 }, valid_acquired = { 0 };

  acquire (invalid, &acquired);
  aio_rate_limiter_run_job_async (invalid, job, NULL, on_job_run, &ran);
  acquire (valid, &valid_acquired);
  wait_for (&acquired);
  wait_for (&ran);
  wait_for (&valid_acquired);
  g_assert_error (acquired.error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_error (ran.error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_false (aio_rate_limiter_try_acquire (invalid));
  g_assert_cmpuint (starts, ==, 0);
  g_assert_true (valid_acquired.is_ok);
  g_assert_true (aio_rate_limiter_try_acquire (valid));
  g_assert_false (aio_rate_limiter_try_acquire (valid));

  outcome_clear (&acquired);
  outcome_clear (&ran);
  outcome_clear (&valid_acquired);
}

/* The test of Python's aioextensions: 2 calls per second, 0.2 s apart,
 * 10 calls. */
static void
test_aioextensions_schedule (void)
{
  static const double expected[] = { 0.0, 0.2, 1.0, 1.2, 2.0, 2.2, 3.0, 3.2, 4.0, 4.2 };
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (2, 1.0, 0.2, NULL);
  Outcome outcomes[G_N_ELEMENTS (expected)] = { 0 };
  gint64 start;
  guint i;

  start = g_get_monotonic_time ();
  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    acquire (limiter, &outcomes[i]);
  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    wait_for (&outcomes[i]);

  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      gint64 ideal = start + (gint64) (expected[i] * G_USEC_PER_SEC);

      g_assert_true (outcomes[i].is_ok);
      g_assert_cmpint (outcomes[i].time, >=, ideal);
      g_assert_cmpint (outcomes[i].time - ideal, <, max_lateness_us ());
      if (i > 0)
        g_assert_cmpint (outcomes[i - 1].time, <=, outcomes[i].time);
      outcome_clear (&outcomes[i]);
    }
}

/* No window of the period ever holds more than max_calls starts, from the
 * very first call on: no burst at start-up. With every call made at once,
 * the i-th start comes no sooner than i / 3 whole periods after the calls.
 * Each time is measured from before the calls, never between two
 * callbacks: a callback held up after its grant (a busy machine, valgrind)
 * would make the next one look early. */
static void
test_window_never_holds_more_than_max_calls (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (3, 0.2, 0.0, NULL);
  Outcome outcomes[12] = { 0 };
  gint64 start = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    acquire (limiter, &outcomes[i]);
  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    wait_for (&outcomes[i]);

  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      g_assert_cmpint (outcomes[i].time - start, >=, (gint64) (i / 3) * 200 * 1000);
      if (i > 0)
        g_assert_cmpint (outcomes[i - 1].time, <=, outcomes[i].time);
    }
  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    outcome_clear (&outcomes[i]);
}

static void
test_try_acquire_takes_a_free_slot_only (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (2, 0.3, 0.0, NULL);
  Outcome waiter = { 0 };
  gint64 both_taken, now;

  g_assert_true (aio_rate_limiter_try_acquire (limiter));
  g_assert_true (aio_rate_limiter_try_acquire (limiter));
  both_taken = g_get_monotonic_time ();
  g_assert_false (aio_rate_limiter_try_acquire (limiter));

  acquire (limiter, &waiter);
  g_assert_cmpuint (aio_rate_limiter_get_waiters (limiter), ==, 1);
  wait_for (&waiter);
  g_assert_true (waiter.is_ok);
  g_assert_cmpuint (aio_rate_limiter_get_waiters (limiter), ==, 0);
  /* The waiter took the first slot as it freed up; the second frees a
   * period after its own try, which a slow run (valgrind) leaves a little
   * later than the first. Then exactly one more is free. */
  while ((now = g_get_monotonic_time ()) < both_taken + 300 * 1000)
    g_usleep (both_taken + 300 * 1000 - now);
  g_assert_true (aio_rate_limiter_try_acquire (limiter));
  g_assert_false (aio_rate_limiter_try_acquire (limiter));
  outcome_clear (&waiter);
}

/* Cancelling the head frees its place: the one behind it starts when the
 * head would have. */
static void
test_cancel_frees_the_place (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (1, 0.3, 0.0, NULL);
  Outcome head = { 0 }, behind = { 0 };
  gint64 start = g_get_monotonic_time ();

  g_assert_true (aio_rate_limiter_try_acquire (limiter));
  acquire (limiter, &head);
  acquire (limiter, &behind);
  g_cancellable_cancel (head.cancellable);
  wait_for (&head);
  g_assert_error (head.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (head.time - start, <, 300 * 1000);

  wait_for (&behind);
  g_assert_true (behind.is_ok);
  g_assert_cmpint (behind.time - start, >=, 300 * 1000);
  g_assert_cmpint (behind.time - start, <, 300 * 1000 + max_lateness_us ());
  g_assert_cmpuint (aio_rate_limiter_get_waiters (limiter), ==, 0);

  outcome_clear (&head);
  outcome_clear (&behind);
}

static void
return_seven (AioJob       *job,
              GCancellable *cancellable,
              gpointer      user_data)
{
  g_auto(GValue) value = G_VALUE_INIT;
  guint *starts = user_data;

  (*starts)++;
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 7);
  aio_job_return_value (job, &value);
}

static void
test_run_job_waits_for_a_slot (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (1, 0.1, 0.0, NULL);
  guint starts = 0;
  g_autoptr(AioJob) job = aio_job_new (return_seven, &starts, NULL);
  g_autoptr(AioJob) cancelled_job = aio_job_new (return_seven, &starts, NULL);
  Outcome outcome = { 0 }, cancelled = { 0 };
  gint64 start = g_get_monotonic_time ();

  g_assert_true (aio_rate_limiter_try_acquire (limiter));
  aio_rate_limiter_run_job_async (limiter, job, NULL, on_job_run, &outcome);
  cancelled.cancellable = g_cancellable_new ();
  aio_rate_limiter_run_job_async (limiter, cancelled_job, cancelled.cancellable, on_job_run, &cancelled);
  g_cancellable_cancel (cancelled.cancellable);

  wait_for (&outcome);
  wait_for (&cancelled);
  g_assert_no_error (outcome.error);
  g_assert_cmpint (g_value_get_int (outcome.value), ==, 7);
  g_assert_cmpint (outcome.time - start, >=, 100 * 1000);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (starts, ==, 1);

  outcome_clear (&outcome);
  outcome_clear (&cancelled);
}

typedef struct
{
  AioRateLimiter *limiter;
  GMainContext   *context;
  Outcome         outcome;
} ThreadWaiter;

static gpointer
acquire_in_thread (gpointer data)
{
  ThreadWaiter *waiter = data;

  g_main_context_push_thread_default (waiter->context);
  aio_rate_limiter_acquire_async (waiter->limiter, NULL, on_acquired, &waiter->outcome);
  while (!waiter->outcome.is_done)
    g_main_context_iteration (waiter->context, TRUE);
  g_main_context_pop_thread_default (waiter->context);

  return NULL;
}

/* One limiter, two threads with their own contexts: one combined limit,
 * each callback in its own caller's context. */
static void
test_shared_across_contexts (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (1, 0.2, 0.0, NULL);
  ThreadWaiter waiter = { 0 };
  Outcome here = { 0 };
  gint64 start = g_get_monotonic_time ();
  GThread *thread;

  g_assert_true (aio_rate_limiter_try_acquire (limiter));
  waiter.limiter = limiter;
  waiter.context = g_main_context_new ();
  thread = g_thread_new ("waiter", acquire_in_thread, &waiter);
  while (aio_rate_limiter_get_waiters (limiter) == 0)
    g_usleep (1000);
  acquire (limiter, &here);
  g_thread_join (thread);
  wait_for (&here);

  g_assert_true (waiter.outcome.is_ok);
  g_assert_true (waiter.outcome.context == waiter.context);
  g_assert_cmpint (waiter.outcome.time - start, >=, 200 * 1000);
  g_assert_true (here.is_ok);
  g_assert_null (here.context);
  g_assert_cmpint (here.time - start, >=, 400 * 1000);

  g_main_context_unref (waiter.context);
  outcome_clear (&waiter.outcome);
  outcome_clear (&here);
}

static void
acquire_then_return (AioJob       *job,
                     GCancellable *cancellable,
                     gpointer      user_data);

static void
on_acquired_in_job (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(AioJob) job = user_data;
  GError *error = NULL;

  if (aio_rate_limiter_acquire_finish (AIO_RATE_LIMITER (source_object), result, &error))
    aio_job_return_value (job, NULL);
  else
    aio_job_return_error (job, error);
}

static void
acquire_then_return (AioJob       *job,
                     GCancellable *cancellable,
                     gpointer      user_data)
{
  aio_rate_limiter_acquire_async (user_data, cancellable, on_acquired_in_job, g_object_ref (job));
}

/* The aioextensions limiter broke in a second event loop; this one is not tied to
 * any loop. */
static void
test_reusable_across_main_loops (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (1, 0.1, 0.0, NULL);
  gint64 start = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < 3; i++)
    {
      g_autoptr(AioJob) job = aio_job_new (acquire_then_return, limiter, NULL);
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (aio_run (job, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 200 * 1000);
}

/* Callback times of one burst, in the order they ran. */
typedef struct
{
  gint64 *times;
  guint   n_times;
  guint   n_cancelled;
  guint   n_done;
} Stamps;

static void
stamp_callback (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Stamps *stamps = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  gboolean is_ok = aio_rate_limiter_acquire_finish (AIO_RATE_LIMITER (source_object), result, &error);

  if (is_ok)
    stamps->times[stamps->n_times++] = now;
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      stamps->n_cancelled++;
    }
  stamps->n_done++;
}

static int
compare_times (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Measured where the caller looks, at each callback: no window of one
 * period holds more than @max_calls callbacks (the one max_calls later is
 * at least a period after), and successive ones are @spacing_us apart. */
static void
assert_limits_hold_at_callbacks (Stamps *stamps,
                                 guint   max_calls,
                                 gint64  period_us,
                                 gint64  spacing_us)
{
  qsort (stamps->times, stamps->n_times, sizeof (gint64), compare_times);
  for (guint i = 0; i + max_calls < stamps->n_times; i++)
    g_assert_cmpint (stamps->times[i + max_calls] - stamps->times[i], >=, period_us);
  for (guint i = 0; i + 1 < stamps->n_times; i++)
    g_assert_cmpint (stamps->times[i + 1] - stamps->times[i], >=, spacing_us);
}

typedef struct
{
  AioRateLimiter *limiter;
  Stamps         *stamps;
  guint           calls;
  GCancellable  **cancellables;  /* one per call, or NULL */
  gboolean        runs_jobs;     /* run_job_async(), stamped as each job starts */
} Burst;

static void
stamp_job_start (AioJob       *job,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  Stamps *stamps = user_data;

  stamps->times[stamps->n_times++] = g_get_monotonic_time ();
  aio_job_return_value (job, NULL);
}

static void
count_job_run (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Stamps *stamps = user_data;
  g_autoptr(GError) error = NULL;

  if (aio_rate_limiter_run_job_finish (AIO_RATE_LIMITER (source_object), result, &error) == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      stamps->n_cancelled++;
    }
  stamps->n_done++;
}

static gboolean
issue_burst (gpointer user_data)
{
  Burst *burst = user_data;

  for (guint i = 0; i < burst->calls; i++)
    {
      GCancellable *cancellable = burst->cancellables != NULL ? burst->cancellables[i] : NULL;

      if (burst->runs_jobs)
        {
          g_autoptr(AioJob) job = aio_job_new (stamp_job_start, burst->stamps, NULL);

          aio_rate_limiter_run_job_async (burst->limiter, job, cancellable, count_job_run, burst->stamps);
        }
      else
        aio_rate_limiter_acquire_async (burst->limiter, cancellable, stamp_callback, burst->stamps);
    }

  return G_SOURCE_REMOVE;
}

/* Issue 15: 2,000 calls from one dispatch on 100 per 0.1 s. The grants
 * once made inside acquire_async() had their callbacks run only after that
 * dispatch returned, and the next hundred were stamped a period after the
 * early stamps: 200 callbacks within 100 ms. */
static void
test_burst_from_one_dispatch_holds_at_callbacks (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (100, 0.1, 0.0, NULL);
  Stamps stamps = { .times = g_new0 (gint64, 2000) };
  Burst burst = { limiter, &stamps, 2000, NULL };

  g_idle_add (issue_burst, &burst);
  while (stamps.n_done < 2000)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (stamps.n_times, ==, 2000);
  assert_limits_hold_at_callbacks (&stamps, 100, 100 * 1000, 0);
  /* 19 whole periods between the first callback and the last. */
  g_assert_cmpint (stamps.times[1999] - stamps.times[0], >=, 1900 * 1000);
  g_free (stamps.times);
}

typedef struct
{
  Burst         burst;
  Stamps        stamps;
  GMainContext *context;
} BurstThread;

static gpointer
run_burst_in_thread (gpointer data)
{
  BurstThread *thread = data;
  GSource *idle = g_idle_source_new ();

  g_main_context_push_thread_default (thread->context);
  g_source_set_callback (idle, issue_burst, &thread->burst, NULL);
  g_source_attach (idle, thread->context);
  g_source_unref (idle);
  while (thread->stamps.n_done < thread->burst.calls)
    g_main_context_iteration (thread->context, TRUE);
  g_main_context_pop_thread_default (thread->context);

  return NULL;
}

/* Bursts from three threads with contexts of their own on one limiter, a
 * spacing, and cancellations from another thread in the middle: the
 * limits hold for every callback that got a slot. */
static void
run_bursts_in_threads_with_cancellations (gboolean runs_jobs)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (10, 0.1, 0.002, NULL);
  Stamps all = { .times = g_new0 (gint64, 120) };
  BurstThread threads[3];
  GThread *handles[3];

  for (guint t = 0; t < 3; t++)
    {
      threads[t] = (BurstThread) { .context = g_main_context_new () };
      threads[t].stamps.times = g_new0 (gint64, 40);
      threads[t].burst = (Burst) { limiter, &threads[t].stamps, 40, g_new0 (GCancellable *, 40), runs_jobs };
      for (guint i = 0; i < 40; i++)
        threads[t].burst.cancellables[i] = g_cancellable_new ();
      handles[t] = g_thread_new ("burst", run_burst_in_thread, &threads[t]);
    }

  /* The last calls of each burst cannot have a slot yet. */
  while (aio_rate_limiter_get_waiters (limiter) < 100)
    g_usleep (1000);
  for (guint t = 0; t < 3; t++)
    for (guint i = 30; i < 40; i += 3)
      g_cancellable_cancel (threads[t].burst.cancellables[i]);

  for (guint t = 0; t < 3; t++)
    {
      g_thread_join (handles[t]);
      g_assert_cmpuint (threads[t].stamps.n_cancelled, ==, 4);
      memcpy (all.times + all.n_times, threads[t].stamps.times, threads[t].stamps.n_times * sizeof (gint64));
      all.n_times += threads[t].stamps.n_times;
      for (guint i = 0; i < 40; i++)
        g_object_unref (threads[t].burst.cancellables[i]);
      g_free (threads[t].burst.cancellables);
      g_free (threads[t].stamps.times);
      g_main_context_unref (threads[t].context);
    }

  g_assert_cmpuint (all.n_times, ==, 108);
  assert_limits_hold_at_callbacks (&all, 10, 100 * 1000, 2 * 1000);
  g_assert_cmpuint (aio_rate_limiter_get_waiters (limiter), ==, 0);
  g_free (all.times);
}

static void
test_bursts_in_threads_with_cancellations_hold_at_callbacks (void)
{
  run_bursts_in_threads_with_cancellations (FALSE);
}

/* The same measured where a run_job_async() caller looks: as each job
 * starts. */
static void
test_job_bursts_in_threads_with_cancellations_hold_at_job_starts (void)
{
  run_bursts_in_threads_with_cancellations (TRUE);
}

/* A result may be kept and finished after the callback, and only by the
 * finish function of its own call on its own limiter. */
static void
test_result_is_finished_later_and_only_by_its_own_call (void)
{
  g_autoptr(AioRateLimiter) limiter = aio_rate_limiter_new (10, 1.0, 0.0, NULL);
  g_autoptr(AioRateLimiter) other = aio_rate_limiter_new (10, 1.0, 0.0, NULL);
  g_autoptr(GAsyncResult) acquired = NULL;
  g_autoptr(GError) error = NULL;

  aio_rate_limiter_acquire_async (limiter, NULL, keep_result, &acquired);
  wait_for_result (&acquired);

  g_assert_true (aio_rate_limiter_acquire_finish (limiter, acquired, &error));
  g_assert_no_error (error);

  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*waiter != NULL*");
  g_assert_false (aio_rate_limiter_acquire_finish (other, acquired, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*is_own_result*");
  g_assert_null (aio_rate_limiter_run_job_finish (limiter, acquired, NULL));
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rate-limiter/construct/invalid-parameters-fail", test_invalid_parameters_fail_construction);
  g_test_add_func ("/rate-limiter/construct/uninitialized-fails-or-initializes-on-use",
                   test_uninitialized_limiter_fails_or_initializes_on_use);
  g_test_add_func ("/rate-limiter/schedule/aioextensions-test-is-never-early", test_aioextensions_schedule);
  g_test_add_func ("/rate-limiter/window/never-holds-more-than-max-calls", test_window_never_holds_more_than_max_calls);
  g_test_add_func ("/rate-limiter/try-acquire/takes-a-free-slot-only", test_try_acquire_takes_a_free_slot_only);
  g_test_add_func ("/rate-limiter/cancel/frees-the-place", test_cancel_frees_the_place);
  g_test_add_func ("/rate-limiter/run-job/waits-for-a-slot", test_run_job_waits_for_a_slot);
  g_test_add_func ("/rate-limiter/finish/result-is-finished-later-and-only-by-its-own-call",
                   test_result_is_finished_later_and_only_by_its_own_call);
  g_test_add_func ("/rate-limiter/contexts/one-limit-each-callback-in-own-context", test_shared_across_contexts);
  g_test_add_func ("/rate-limiter/contexts/reusable-across-main-loops", test_reusable_across_main_loops);
  g_test_add_func ("/rate-limiter/burst/one-dispatch-holds-at-callbacks", test_burst_from_one_dispatch_holds_at_callbacks);
  g_test_add_func ("/rate-limiter/burst/threads-and-cancellations-hold-at-callbacks",
                   test_bursts_in_threads_with_cancellations_hold_at_callbacks);
  g_test_add_func ("/rate-limiter/burst/job-threads-and-cancellations-hold-at-job-starts",
                   test_job_bursts_in_threads_with_cancellations_hold_at_job_starts);

  return g_test_run ();
}
