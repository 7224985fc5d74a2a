/* test-rate-limiter.c: AioRateLimiter behaviour
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <math.h>

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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rate-limiter/construct/invalid-parameters-fail", test_invalid_parameters_fail_construction);
  g_test_add_func ("/rate-limiter/schedule/aioextensions-test-is-never-early", test_aioextensions_schedule);
  g_test_add_func ("/rate-limiter/window/never-holds-more-than-max-calls", test_window_never_holds_more_than_max_calls);
  g_test_add_func ("/rate-limiter/try-acquire/takes-a-free-slot-only", test_try_acquire_takes_a_free_slot_only);
  g_test_add_func ("/rate-limiter/cancel/frees-the-place", test_cancel_frees_the_place);
  g_test_add_func ("/rate-limiter/run-job/waits-for-a-slot", test_run_job_waits_for_a_slot);
  g_test_add_func ("/rate-limiter/contexts/one-limit-each-callback-in-own-context", test_shared_across_contexts);
  g_test_add_func ("/rate-limiter/contexts/reusable-across-main-loops", test_reusable_across_main_loops);

  return g_test_run ();
}
