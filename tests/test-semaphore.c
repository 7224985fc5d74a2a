/* test-semaphore.c: AioSemaphore behaviour
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#include "outcome.h"

static void
on_acquired (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome_note (outcome);
  outcome->is_ok = aio_semaphore_acquire_finish (AIO_SEMAPHORE (source_object), result, &outcome->error);
}

static void
on_job_run (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome_note (outcome);
  outcome->value = aio_semaphore_run_job_finish (AIO_SEMAPHORE (source_object), result, &outcome->error);
  outcome->is_ok = outcome->value != NULL;
}

static void
acquire (AioSemaphore *semaphore,
         guint         count,
         Outcome      *outcome)
{
  outcome->cancellable = g_cancellable_new ();
  aio_semaphore_acquire_async (semaphore, count, outcome->cancellable, on_acquired, outcome);
}

/* Runs every source that is ready now, and nothing that needs waiting. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_acquire_uncontended_calls_back_later (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (2);
  Outcome outcome = { 0 };

  acquire (semaphore, 2, &outcome);
  g_assert_false (outcome.is_done);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 0);
  wait_for (&outcome);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.is_ok);

  g_assert_true (aio_semaphore_release (semaphore, 2, NULL));
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 2);
  outcome_clear (&outcome);
}

/* aioextensions took units one at a time: two callers needing 3 of 4 permits
 * could each hold 2 and wait forever. */
static void
test_acquire_many_is_atomic (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (4);
  Outcome first = { 0 }, second = { 0 };

  acquire (semaphore, 3, &first);
  acquire (semaphore, 3, &second);
  wait_for (&first);
  drain ();
  g_assert_true (first.is_ok);
  g_assert_false (second.is_done);
  /* The waiter holds nothing while it waits. */
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 1);

  g_assert_true (aio_semaphore_release (semaphore, 3, NULL));
  wait_for (&second);
  g_assert_true (second.is_ok);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  g_assert_true (aio_semaphore_release (semaphore, 3, NULL));
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 4);

  outcome_clear (&first);
  outcome_clear (&second);
}

static void
test_fifo_large_head_is_not_overtaken (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (2);
  Outcome large = { 0 }, small = { 0 };

  g_assert_true (aio_semaphore_try_acquire (semaphore, 2));
  acquire (semaphore, 2, &large);
  acquire (semaphore, 1, &small);

  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  drain ();
  /* One permit is free and the small request would fit, but it is behind. */
  g_assert_false (large.is_done);
  g_assert_false (small.is_done);
  g_assert_false (aio_semaphore_try_acquire (semaphore, 1));

  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  wait_for (&large);
  drain ();
  g_assert_false (small.is_done);
  g_assert_true (aio_semaphore_release (semaphore, 2, NULL));
  wait_for (&small);
  g_assert_cmpuint (large.order, <, small.order);
  g_assert_true (small.is_ok);

  outcome_clear (&large);
  outcome_clear (&small);
}

static void
test_fifo_order_is_kept (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  Outcome outcomes[5] = { 0 };
  guint i;

  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    acquire (semaphore, 1, &outcomes[i]);
  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
      wait_for (&outcomes[i]);
      drain ();
      if (i + 1 < G_N_ELEMENTS (outcomes))
        g_assert_false (outcomes[i + 1].is_done);
    }
  for (i = 1; i < G_N_ELEMENTS (outcomes); i++)
    g_assert_cmpuint (outcomes[i - 1].order, <, outcomes[i].order);
  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  for (i = 0; i < G_N_ELEMENTS (outcomes); i++)
    outcome_clear (&outcomes[i]);
}

/* golang/go#37852: cancelling the head waiter left the ones behind it that
 * now fit asleep. */
static void
test_cancel_head_wakes_the_rest (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (2);
  Outcome head = { 0 }, behind = { 0 }, behind_too = { 0 };

  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  acquire (semaphore, 2, &head);
  acquire (semaphore, 1, &behind);
  acquire (semaphore, 1, &behind_too);
  drain ();
  g_assert_false (behind.is_done);

  g_cancellable_cancel (head.cancellable);
  wait_for (&head);
  wait_for (&behind);
  drain ();
  g_assert_error (head.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (behind.is_ok);
  g_assert_false (behind_too.is_done);
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 1);

  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  wait_for (&behind_too);
  g_assert_true (behind_too.is_ok);

  outcome_clear (&head);
  outcome_clear (&behind);
  outcome_clear (&behind_too);
}

static void
release_in_callback (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Outcome *outcome = user_data;

  on_acquired (source_object, result, user_data);
  if (outcome->is_ok)
    g_assert_true (aio_semaphore_release (AIO_SEMAPHORE (source_object), 1, NULL));
}

/* CPython gh-90155: a waiter woken by a release and cancelled before it
 * ran lost the permit and left the others hanging. Here a grant that races
 * with the cancellation is reported as a success, so the permit is never
 * lost, and waiters cancelled while queued leave without taking one. */
static void
test_cancel_after_wake_loses_no_permit (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  Outcome woken = { 0 }, cancelled = { 0 }, last = { 0 };

  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  woken.cancellable = g_cancellable_new ();
  aio_semaphore_acquire_async (semaphore, 1, woken.cancellable, release_in_callback, &woken);
  acquire (semaphore, 1, &cancelled);
  last.cancellable = g_cancellable_new ();
  aio_semaphore_acquire_async (semaphore, 1, last.cancellable, release_in_callback, &last);

  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  g_cancellable_cancel (woken.cancellable);
  g_cancellable_cancel (cancelled.cancellable);
  wait_for (&woken);
  wait_for (&cancelled);
  wait_for (&last);

  g_assert_true (woken.is_ok);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (last.is_ok);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 0);

  outcome_clear (&woken);
  outcome_clear (&cancelled);
  outcome_clear (&last);
}

static void
test_cancel_before_call_fails_at_once (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  Outcome outcome = { 0 };

  outcome.cancellable = g_cancellable_new ();
  g_cancellable_cancel (outcome.cancellable);
  aio_semaphore_acquire_async (semaphore, 1, outcome.cancellable, on_acquired, &outcome);
  wait_for (&outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
}

static void
test_close_fails_every_waiter (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  Outcome first = { 0 }, second = { 0 }, later = { 0 };

  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  acquire (semaphore, 1, &first);
  acquire (semaphore, 1, &second);
  aio_semaphore_close (semaphore);
  g_assert_true (aio_semaphore_is_closed (semaphore));
  wait_for (&first);
  wait_for (&second);
  g_assert_error (first.error, AIO_ERROR, AIO_ERROR_CLOSED);
  g_assert_error (second.error, AIO_ERROR, AIO_ERROR_CLOSED);

  acquire (semaphore, 1, &later);
  wait_for (&later);
  g_assert_error (later.error, AIO_ERROR, AIO_ERROR_CLOSED);

  /* A holder can still give its permit back, but nobody takes it. */
  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  g_assert_false (aio_semaphore_try_acquire (semaphore, 1));

  outcome_clear (&first);
  outcome_clear (&second);
  outcome_clear (&later);
}

static void
test_bounded_release_above_capacity_fails (void)
{
  g_autoptr(AioSemaphore) bounded = aio_semaphore_new_bounded (2);
  g_autoptr(AioSemaphore) unbounded = aio_semaphore_new (2);
  g_autoptr(GError) error = NULL;

  g_assert_true (aio_semaphore_is_bounded (bounded));
  g_assert_true (aio_semaphore_try_acquire (bounded, 1));
  g_assert_false (aio_semaphore_release (bounded, 2, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (aio_semaphore_get_value (bounded), ==, 1);
  g_assert_true (aio_semaphore_release (bounded, 1, NULL));
  g_assert_cmpuint (aio_semaphore_get_value (bounded), ==, 2);

  g_assert_false (aio_semaphore_is_bounded (unbounded));
  g_assert_true (aio_semaphore_release (unbounded, 3, NULL));
  g_assert_cmpuint (aio_semaphore_get_value (unbounded), ==, 5);
  g_assert_cmpuint (aio_semaphore_get_capacity (unbounded), ==, 2);
}

static void
test_count_above_capacity_fails_at_once (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new_bounded (2);
  Outcome outcome = { 0 };

  acquire (semaphore, 3, &outcome);
  wait_for (&outcome);
  g_assert_error (outcome.error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 0);
  outcome_clear (&outcome);
}

static void
count_start (AioJob       *job,
             GCancellable *cancellable,
             gpointer      user_data)
{
  (*(guint *) user_data)++;
  aio_job_return_value (job, NULL);
}

/* Issue 15: a count of 0, which every binding can pass, fails through the
 * callback (or the GError) with no critical, which would abort this test,
 * and nothing is left waiting or started. */
static void
test_zero_count_fails_with_invalid_argument (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (2);
  guint starts = 0;
  g_autoptr(AioJob) job = aio_job_new (count_start, &starts, NULL);
  g_autoptr(AioJob) guarded = aio_semaphore_create_job (semaphore, 0, job);
  g_autoptr(GError) error = NULL;
  Outcome acquired = { 0 }, ran = { 0 };

  acquire (semaphore, 0, &acquired);
  aio_semaphore_run_job_async (semaphore, 0, job, NULL, on_job_run, &ran);
  wait_for (&acquired);
  wait_for (&ran);
  g_assert_error (acquired.error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_error (ran.error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);

  g_assert_null (aio_run (guarded, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (aio_semaphore_try_acquire (semaphore, 0));
  g_assert_false (aio_semaphore_release (semaphore, 0, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);

  g_assert_cmpuint (starts, ==, 0);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 2);
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 0);
  outcome_clear (&acquired);
  outcome_clear (&ran);
}

static void
test_try_acquire_does_not_overtake (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (3);
  Outcome waiter = { 0 };

  g_assert_true (aio_semaphore_try_acquire (semaphore, 2));
  g_assert_false (aio_semaphore_try_acquire (semaphore, 2));
  acquire (semaphore, 2, &waiter);
  /* One permit is free, but a waiter is queued. */
  g_assert_false (aio_semaphore_try_acquire (semaphore, 1));
  g_assert_true (aio_semaphore_release (semaphore, 2, NULL));
  wait_for (&waiter);
  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  outcome_clear (&waiter);
}

/* A job that the test completes by hand. */
static void
remember_job (AioJob       *job,
              GCancellable *cancellable,
              gpointer      user_data)
{
  AioJob **job_out = user_data;

  *job_out = job;
}

static void
test_run_job_releases_on_success (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (2);
  g_autoptr(AioJob) job = NULL;
  AioJob *started = NULL;
  Outcome outcome = { 0 };
  g_auto(GValue) value = G_VALUE_INIT;

  job = aio_job_new (remember_job, &started, NULL);
  aio_semaphore_run_job_async (semaphore, 2, job, NULL, on_job_run, &outcome);
  while (started == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 0);

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 7);
  aio_job_return_value (job, &value);
  wait_for (&outcome);
  g_assert_no_error (outcome.error);
  g_assert_cmpint (g_value_get_int (outcome.value), ==, 7);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 2);
  outcome_clear (&outcome);
}

/* Returns a running job from a dispatch, and notes what that return had
 * already called back. */
typedef struct
{
  AioJob   *job;
  Outcome  *outcome;
  AioJob  **next_started;
  gboolean  was_called_back;
  gboolean  had_started_next;
} ReturnInDispatch;

static void
init_int (GValue *value,
          int     number)
{
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, number);
}

static gboolean
return_job_and_look (gpointer data)
{
  ReturnInDispatch *look = data;
  g_auto(GValue) value = G_VALUE_INIT;

  init_int (&value, 7);
  aio_job_return_value (look->job, &value);
  look->was_called_back = look->outcome->is_done;
  look->had_started_next = *look->next_started != NULL;

  return G_SOURCE_REMOVE;
}

/* A job that completes in a later dispatch of the caller's context is
 * called back right there, as a GTask is, and the waiter behind it starts
 * there too: a window of such operations costs the context one iteration
 * per round, not two. */
static void
test_run_job_calls_back_as_the_job_completes (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  AioJob *started = NULL, *next_started = NULL;
  g_autoptr(AioJob) job = aio_job_new (remember_job, &started, NULL);
  g_autoptr(AioJob) next = aio_job_new (remember_job, &next_started, NULL);
  Outcome outcome = { 0 }, next_outcome = { 0 };
  ReturnInDispatch look = { job, &outcome, &next_started, FALSE, FALSE };
  g_auto(GValue) value = G_VALUE_INIT;

  aio_semaphore_run_job_async (semaphore, 1, job, NULL, on_job_run, &outcome);
  aio_semaphore_run_job_async (semaphore, 1, next, NULL, on_job_run, &next_outcome);
  while (started == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_idle_add (return_job_and_look, &look);
  wait_for (&outcome);
  g_assert_true (look.was_called_back);
  g_assert_true (look.had_started_next);
  g_assert_cmpint (g_value_get_int (outcome.value), ==, 7);

  init_int (&value, 0);
  aio_job_return_value (next, &value);
  wait_for (&next_outcome);
  g_assert_true (next_outcome.is_ok);
  drain ();
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
  outcome_clear (&next_outcome);
}

static void
test_run_job_releases_on_error (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_autoptr(AioJob) job = aio_job_new_for_error (failure);
  Outcome outcome = { 0 };

  aio_semaphore_run_job_async (semaphore, 1, job, NULL, on_job_run, &outcome);
  wait_for (&outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
}

/* The caller stops waiting at once, but the permits come back only when
 * the job has really completed. */
static void
test_run_job_cancel_releases_after_job_completed (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  g_autoptr(AioJob) job = NULL;
  AioJob *started = NULL;
  Outcome outcome = { 0 }, next = { 0 };

  job = aio_job_new (remember_job, &started, NULL);
  outcome.cancellable = g_cancellable_new ();
  aio_semaphore_run_job_async (semaphore, 1, job, outcome.cancellable, on_job_run, &outcome);
  while (started == NULL)
    g_main_context_iteration (NULL, TRUE);
  acquire (semaphore, 1, &next);

  g_cancellable_cancel (outcome.cancellable);
  wait_for (&outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (g_cancellable_is_cancelled (aio_job_get_cancellable (job)));
  drain ();
  g_assert_false (next.is_done);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 0);

  aio_job_return_error_literal (job, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
  wait_for (&next);
  g_assert_true (next.is_ok);
  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);

  outcome_clear (&outcome);
  outcome_clear (&next);
}

static void
test_run_job_cancelled_while_queued_never_starts (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  g_autoptr(AioJob) job = NULL;
  AioJob *started = NULL;
  Outcome outcome = { 0 };

  job = aio_job_new (remember_job, &started, NULL);
  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  outcome.cancellable = g_cancellable_new ();
  aio_semaphore_run_job_async (semaphore, 1, job, outcome.cancellable, on_job_run, &outcome);
  g_cancellable_cancel (outcome.cancellable);
  wait_for (&outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (started);
  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  drain ();
  g_assert_null (started);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
}

typedef struct
{
  AioSemaphore *semaphore;
  GMainContext *context;
  Outcome       outcome;
  gboolean      is_queued;
  GMutex        mutex;
  GCond         cond;
} ThreadWaiter;

static gpointer
acquire_in_thread (gpointer data)
{
  ThreadWaiter *waiter = data;

  g_main_context_push_thread_default (waiter->context);
  aio_semaphore_acquire_async (waiter->semaphore, 1, NULL, on_acquired, &waiter->outcome);
  g_mutex_lock (&waiter->mutex);
  waiter->is_queued = TRUE;
  g_cond_signal (&waiter->cond);
  g_mutex_unlock (&waiter->mutex);
  while (!waiter->outcome.is_done)
    g_main_context_iteration (waiter->context, TRUE);
  g_main_context_pop_thread_default (waiter->context);

  return NULL;
}

static void
test_waiter_is_called_in_its_own_context (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  ThreadWaiter waiter = { 0 };
  GThread *thread;

  waiter.semaphore = semaphore;
  waiter.context = g_main_context_new ();
  g_mutex_init (&waiter.mutex);
  g_cond_init (&waiter.cond);

  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  thread = g_thread_new ("waiter", acquire_in_thread, &waiter);
  g_mutex_lock (&waiter.mutex);
  while (!waiter.is_queued)
    g_cond_wait (&waiter.cond, &waiter.mutex);
  g_mutex_unlock (&waiter.mutex);

  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  g_thread_join (thread);

  g_assert_true (waiter.outcome.is_ok);
  g_assert_true (waiter.outcome.context == waiter.context);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 0);

  g_main_context_unref (waiter.context);
  g_mutex_clear (&waiter.mutex);
  g_cond_clear (&waiter.cond);
  outcome_clear (&waiter.outcome);
}

static void
on_cancelled_ignored (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Cancelled while queued, or granted first: then it holds the permits. */
  if (aio_semaphore_acquire_finish (AIO_SEMAPHORE (source_object), result, &error))
    g_assert_true (aio_semaphore_release (AIO_SEMAPHORE (source_object), 3, NULL));
  else
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

#define STRESS_THREADS 4
#define STRESS_ROUNDS 300

typedef struct
{
  AioSemaphore *semaphore;
  guint         held_max;    /* the most permits held at once, all threads */
  gint          held;
} Stress;

typedef struct
{
  Stress       *stress;
  GMainContext *context;
  guint         round;
  guint         count;
  gboolean      is_done;
} StressThread;

static void stress_acquire_next (StressThread *thread);

static void
stress_on_acquired (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  StressThread *thread = user_data;
  g_autoptr(GError) error = NULL;
  guint held;

  g_assert_true (g_main_context_get_thread_default () == thread->context);
  g_assert_true (aio_semaphore_acquire_finish (AIO_SEMAPHORE (source_object), result, &error));
  g_assert_no_error (error);

  held = (guint) g_atomic_int_add (&thread->stress->held, (gint) thread->count) + thread->count;
  g_assert_cmpuint (held, <=, aio_semaphore_get_capacity (thread->stress->semaphore));
  g_atomic_int_add (&thread->stress->held, -(gint) thread->count);
  g_assert_true (aio_semaphore_release (thread->stress->semaphore, thread->count, NULL));
  stress_acquire_next (thread);
}

static void
stress_acquire_next (StressThread *thread)
{
  GCancellable *cancellable;

  if (thread->round++ == STRESS_ROUNDS)
    {
      thread->is_done = TRUE;
      return;
    }

  /* Counts of 1 to 3 on 3 permits: big requests must wait for small ones
   * without starving or deadlocking. Every seventh request is cancelled
   * while it may still be queued. */
  thread->count = 1 + g_random_int_range (0, 3);
  cancellable = g_cancellable_new ();
  aio_semaphore_acquire_async (thread->stress->semaphore, thread->count, cancellable,
                               stress_on_acquired, thread);
  if (thread->round % 7 == 0)
    {
      g_autoptr(GCancellable) doomed = g_cancellable_new ();

      aio_semaphore_acquire_async (thread->stress->semaphore, 3, doomed, on_cancelled_ignored, NULL);
      g_cancellable_cancel (doomed);
    }
  g_object_unref (cancellable);
}

static gpointer
stress_run (gpointer data)
{
  StressThread *thread = data;

  g_main_context_push_thread_default (thread->context);
  stress_acquire_next (thread);
  while (!thread->is_done)
    g_main_context_iteration (thread->context, TRUE);
  /* Lets the cancelled waiters report. */
  while (g_main_context_iteration (thread->context, FALSE))
    ;
  g_main_context_pop_thread_default (thread->context);

  return NULL;
}

/* Threads, each with its own context, acquire and release on one
 * semaphore while others cancel waiters: the limit always holds, nothing is
 * lost and nothing hangs. */
static void
test_threads_share_one_semaphore (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (3);
  Stress stress = { semaphore, 0, 0 };
  StressThread threads[STRESS_THREADS] = { 0 };
  GThread *handles[STRESS_THREADS];
  guint i;

  for (i = 0; i < STRESS_THREADS; i++)
    {
      threads[i].stress = &stress;
      threads[i].context = g_main_context_new ();
      handles[i] = g_thread_new ("stress", stress_run, &threads[i]);
    }
  for (i = 0; i < STRESS_THREADS; i++)
    {
      g_thread_join (handles[i]);
      g_main_context_unref (threads[i].context);
    }

  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 3);
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 0);
  drain ();
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  guint *count = user_data;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  (*count)++;
}

static void
test_properties_are_notified_in_owner_context (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (3);
  guint value_notifies = 0, waiters_notifies = 0;
  Outcome outcome = { 0 };
  guint value, capacity, waiters;

  g_signal_connect (semaphore, "notify::value", G_CALLBACK (count_notify), &value_notifies);
  g_signal_connect (semaphore, "notify::waiters", G_CALLBACK (count_notify), &waiters_notifies);

  /* Changes within one iteration are coalesced into one notification. */
  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  g_assert_true (aio_semaphore_try_acquire (semaphore, 2));
  g_assert_cmpuint (value_notifies, ==, 0);
  drain ();
  g_assert_cmpuint (value_notifies, ==, 1);
  g_assert_cmpuint (waiters_notifies, ==, 0);

  acquire (semaphore, 1, &outcome);
  drain ();
  g_assert_cmpuint (waiters_notifies, ==, 1);
  g_object_get (semaphore, "value", &value, "capacity", &capacity, "waiters", &waiters, NULL);
  g_assert_cmpuint (value, ==, 0);
  g_assert_cmpuint (capacity, ==, 3);
  g_assert_cmpuint (waiters, ==, 1);

  g_assert_true (aio_semaphore_release (semaphore, 3, NULL));
  wait_for (&outcome);
  drain ();
  g_assert_cmpuint (waiters_notifies, ==, 2);
  g_assert_cmpuint (value_notifies, ==, 2);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 2);
  outcome_clear (&outcome);
}

/* A waiter granted in a dispatch of its own context is called back there
 * and then, even in the iteration it was queued in: a GTask held such a
 * callback back for another iteration of the loop. */
typedef struct
{
  AioSemaphore *semaphore;
  Outcome       outcome;
  gboolean      was_called_back_in_release;
} SameIteration;

static gboolean
acquire_and_release_in_one_dispatch (gpointer user_data)
{
  SameIteration *same = user_data;

  acquire (same->semaphore, 1, &same->outcome);
  g_assert_false (same->outcome.is_done);
  g_assert_true (aio_semaphore_release (same->semaphore, 1, NULL));
  same->was_called_back_in_release = same->outcome.is_done;

  return G_SOURCE_REMOVE;
}

static void
test_grant_in_queueing_iteration_calls_back_in_it (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (0);
  SameIteration same = { semaphore, { 0 }, FALSE };

  g_idle_add (acquire_and_release_in_one_dispatch, &same);
  wait_for (&same.outcome);
  g_assert_true (same.was_called_back_in_release);
  g_assert_true (same.outcome.is_ok);
  g_assert_true (same.outcome.context == NULL || same.outcome.context == g_main_context_default ());
  outcome_clear (&same.outcome);
}

/* The result a callback gets may be kept and finished later, after the
 * semaphore's own references are gone, and finished only by the function
 * of its own call on its own semaphore. */
static void
test_result_is_finished_later_and_only_by_its_own_call (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  g_autoptr(AioSemaphore) other = aio_semaphore_new (1);
  g_autoptr(AioJob) job = NULL;
  g_autoptr(GAsyncResult) acquired = NULL;
  g_autoptr(GAsyncResult) ran = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  GValue expected = G_VALUE_INIT;

  g_value_init (&expected, G_TYPE_INT);
  g_value_set_int (&expected, 42);
  job = aio_job_new_for_value (&expected);

  aio_semaphore_acquire_async (semaphore, 1, NULL, keep_result, &acquired);
  wait_for_result (&acquired);
  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  aio_semaphore_run_job_async (semaphore, 1, job, NULL, keep_result, &ran);
  g_clear_object (&job);
  wait_for_result (&ran);
  drain ();

  g_assert_true (aio_semaphore_acquire_finish (semaphore, acquired, &error));
  g_assert_no_error (error);
  value = aio_semaphore_run_job_finish (semaphore, ran, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 42);

  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*waiter != NULL*");
  g_assert_false (aio_semaphore_acquire_finish (other, acquired, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*waiter != NULL*");
  g_assert_false (aio_semaphore_acquire_finish (semaphore, ran, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*is_own_result*");
  g_assert_null (aio_semaphore_run_job_finish (semaphore, acquired, NULL));
  g_test_assert_expected_messages ();
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*is_own_result*");
  g_assert_null (aio_semaphore_run_job_finish (other, ran, NULL));
  g_test_assert_expected_messages ();
  g_value_unset (&expected);
}

/* Keeps each result in the next free one of two places. */
static void
keep_in_next_free (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **results = user_data;
  guint free_index = results[0] != NULL;

  g_assert_null (results[free_index]);
  results[free_index] = g_object_ref (result);
}

/* A run that succeeds hands over its job as the result, one object fewer
 * per call; a job that already serves as one call's result, run again,
 * gets a result of its own, and both calls still finish with its value.
 * A result keeps its source object and user data as any GAsyncResult. */
static void
test_run_job_result_is_the_job_once (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  g_autoptr(AioSemaphore) other = aio_semaphore_new (1);
  g_autoptr(AioJob) job = NULL;
  GAsyncResult *results[2] = { NULL, NULL };
  g_autoptr(GObject) source = NULL;
  g_autoptr(GError) error = NULL;
  GValue expected = G_VALUE_INIT;

  g_value_init (&expected, G_TYPE_INT);
  g_value_set_int (&expected, 7);
  job = aio_job_new_for_value (&expected);

  aio_semaphore_run_job_async (semaphore, 1, job, NULL, keep_in_next_free, results);
  while (results[0] == NULL)
    g_main_context_iteration (NULL, TRUE);
  aio_semaphore_run_job_async (other, 1, job, NULL, keep_in_next_free, results);
  while (results[1] == NULL)
    g_main_context_iteration (NULL, TRUE);
  drain ();

  g_assert_true (results[0] == G_ASYNC_RESULT (job));
  g_assert_false (results[1] == G_ASYNC_RESULT (job));
  source = g_async_result_get_source_object (results[0]);
  g_assert_true (source == G_OBJECT (semaphore));
  g_assert_true (g_async_result_get_user_data (results[0]) == results);
  g_assert_true (g_async_result_is_tagged (results[0], aio_semaphore_run_job_async));
  g_assert_false (g_async_result_is_tagged (results[0], aio_semaphore_acquire_async));

  g_assert_cmpint (g_value_get_int (aio_semaphore_run_job_finish (semaphore, results[0], &error)), ==, 7);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (aio_semaphore_run_job_finish (other, results[1], &error)), ==, 7);
  g_assert_no_error (error);
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*waiter != NULL*");
  g_assert_false (aio_semaphore_acquire_finish (semaphore, results[0], NULL));
  g_test_assert_expected_messages ();

  /* The job keeps its semaphore as a GTask keeps its source object. */
  g_clear_object (&job);
  g_object_unref (results[0]);
  g_object_unref (results[1]);
  g_value_unset (&expected);
}

/* A waiter whose context is iterated without being pushed still sees it
 * as thread-default in its callback, as with a GTask. */
static void
test_callback_sees_its_context_as_thread_default (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (0);
  g_autoptr(GMainContext) context = g_main_context_new ();
  Outcome outcome = { 0 };

  g_main_context_push_thread_default (context);
  acquire (semaphore, 1, &outcome);
  g_main_context_pop_thread_default (context);

  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  while (!outcome.is_done)
    g_main_context_iteration (context, TRUE);
  g_assert_true (outcome.is_ok);
  g_assert_true (outcome.context == context);
  outcome_clear (&outcome);
  drain ();
}

/* Jobs completing in one dispatch after another release their permits
 * from that dispatch: their changes join one notification per main-loop
 * iteration at most, as the class promises, instead of one emission per
 * job (each paid for in handler lookups). */
typedef struct
{
  AioSemaphore *semaphore;
  guint         completed;
  guint         failed;
} JobTally;

static void
on_tallied_job_run (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  JobTally *tally = user_data;

  if (aio_semaphore_run_job_finish (tally->semaphore, result, NULL) == NULL)
    tally->failed++;
  tally->completed++;
}

static void
test_job_releases_are_notified_once_per_iteration (void)
{
  enum { PERMITS = 4, JOBS = 64 };
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (PERMITS);
  guint value_notifies = 0, waiters_notifies = 0, iterations = 0;
  JobTally tally = { semaphore, 0, 0 };
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 7);
  for (guint i = 0; i < JOBS; i++)
    {
      g_autoptr(AioJob) job = aio_job_new_for_value (&value);

      aio_semaphore_run_job_async (semaphore, 1, job, NULL, on_tallied_job_run, &tally);
    }
  g_signal_connect (semaphore, "notify::value", G_CALLBACK (count_notify), &value_notifies);
  g_signal_connect (semaphore, "notify::waiters", G_CALLBACK (count_notify), &waiters_notifies);

  while (g_main_context_iteration (NULL, FALSE))
    iterations++;

  g_assert_cmpuint (tally.completed, ==, JOBS);
  g_assert_cmpuint (tally.failed, ==, 0);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, PERMITS);
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 0);
  /* Heard at all, and after the last change. */
  g_assert_cmpuint (waiters_notifies, >, 0);
  g_assert_cmpuint (value_notifies, >, 0);
  g_assert_cmpuint (waiters_notifies, <=, iterations);
  g_assert_cmpuint (value_notifies, <=, iterations);
  g_value_unset (&value);
}

/* aio_semaphore_submit_job(), the C fast path: the outcome comes to a
 * done function, with the same queue, errors and contexts as run_job. */
static void
note_done (const GValue *value,
           const GError *error,
           gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome_note (outcome);
  outcome->is_ok = error == NULL;
  outcome->value = value;
  g_assert_true ((value == NULL) != (error == NULL));
  if (error != NULL)
    outcome->error = g_error_copy (error);
}

typedef struct
{
  AioSemaphore *semaphore;
  Outcome      *outcome;
  gboolean      was_done_inside;
} SubmitInDispatch;

static gboolean
submit_completed_job_and_look (gpointer data)
{
  SubmitInDispatch *look = data;
  g_auto(GValue) value = G_VALUE_INIT;

  init_int (&value, 5);
  aio_semaphore_submit_job (look->semaphore, 1, aio_job_new_for_value (&value), NULL, note_done, look->outcome);
  look->was_done_inside = look->outcome->is_done;

  return G_SOURCE_REMOVE;
}

/* A job that completes inside the call, made from a dispatch, is still
 * called back later: never from inside the call. */
static void
test_submit_job_from_a_dispatch_calls_back_later (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  Outcome outcome = { 0 };
  SubmitInDispatch look = { semaphore, &outcome, TRUE };

  g_idle_add (submit_completed_job_and_look, &look);
  wait_for (&outcome);
  g_assert_false (look.was_done_inside);
  g_assert_true (outcome.is_ok);
  drain ();
  outcome_clear (&outcome);
}

static void
test_submit_job_hands_the_value_to_done_later (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  AioJob *started = NULL;
  g_autoptr(AioJob) job = aio_job_new (remember_job, &started, NULL);
  Outcome outcome = { 0 };
  g_auto(GValue) value = G_VALUE_INIT;

  aio_semaphore_submit_job (semaphore, 1, g_object_ref (job), NULL, note_done, &outcome);
  g_assert_false (outcome.is_done);
  while (started == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 0);

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 7);
  aio_job_return_value (job, &value);
  wait_for (&outcome);
  drain ();
  g_assert_true (outcome.is_ok);
  g_assert_cmpint (g_value_get_int (outcome.value), ==, 7);
  g_assert_true (outcome.context == NULL || outcome.context == g_main_context_default ());
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
}

static void
test_submit_job_hands_the_job_error_to_done (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  AioJob *job = aio_job_new_for_error (failure);
  Outcome outcome = { 0 };

  /* Handed over: the semaphore lets go of it once done has run. */
  g_object_add_weak_pointer (G_OBJECT (job), (gpointer *) &job);
  aio_semaphore_submit_job (semaphore, 1, job, NULL, note_done, &outcome);
  g_assert_false (outcome.is_done);
  wait_for (&outcome);
  drain ();
  g_assert_null (job);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
}

static void
test_submit_job_cancelled_while_queued_never_starts (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint starts = 0;
  g_autoptr(AioJob) job = aio_job_new (count_start, &starts, NULL);
  Outcome outcome = { 0 };

  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  aio_semaphore_submit_job (semaphore, 1, g_object_ref (job), cancellable, note_done, &outcome);
  drain ();
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 1);
  g_cancellable_cancel (cancellable);
  wait_for (&outcome);
  drain ();
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (aio_semaphore_get_waiters (semaphore), ==, 0);
  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  drain ();
  g_assert_cmpuint (starts, ==, 0);
  g_assert_cmpint (aio_job_get_state (job), ==, AIO_JOB_STATE_PENDING);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
}

/* Cancelled while its job runs: done hears of it at once, once, and the
 * permits stay held until the job has really completed. */
static void
test_submit_job_cancelled_while_running_holds_permits_until_completed (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AioJob *started = NULL;
  g_autoptr(AioJob) job = aio_job_new (remember_job, &started, NULL);
  Outcome outcome = { 0 };

  aio_semaphore_submit_job (semaphore, 1, g_object_ref (job), cancellable, note_done, &outcome);
  while (started == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  wait_for (&outcome);
  drain ();
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 0);

  aio_job_return_value (job, NULL);
  drain ();
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
}

static void
test_submit_job_fails_on_close_and_zero_count (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (0);
  guint starts = 0;
  g_autoptr(AioJob) job = aio_job_new (count_start, &starts, NULL);
  Outcome queued = { 0 }, zero = { 0 }, late = { 0 };

  aio_semaphore_submit_job (semaphore, 1, g_object_ref (job), NULL, note_done, &queued);
  aio_semaphore_submit_job (semaphore, 0, g_object_ref (job), NULL, note_done, &zero);
  g_assert_false (zero.is_done);
  aio_semaphore_close (semaphore);
  aio_semaphore_submit_job (semaphore, 1, g_object_ref (job), NULL, note_done, &late);
  g_assert_false (queued.is_done);
  g_assert_false (late.is_done);
  wait_for (&queued);
  wait_for (&zero);
  wait_for (&late);
  g_assert_error (queued.error, AIO_ERROR, AIO_ERROR_CLOSED);
  g_assert_error (zero.error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_error (late.error, AIO_ERROR, AIO_ERROR_CLOSED);
  drain ();
  g_assert_cmpuint (starts, ==, 0);
  outcome_clear (&queued);
  outcome_clear (&zero);
  outcome_clear (&late);
}

/* done runs in the thread-default context of its caller, with that
 * context thread-default, whichever context releases the permits. */
static void
test_submit_job_done_runs_in_callers_context (void)
{
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new (0);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(AioJob) job = aio_job_new (count_start, &(guint) { 0 }, NULL);
  Outcome outcome = { 0 };

  g_main_context_push_thread_default (context);
  aio_semaphore_submit_job (semaphore, 1, g_object_ref (job), NULL, note_done, &outcome);
  g_main_context_pop_thread_default (context);

  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  drain ();
  g_assert_false (outcome.is_done);
  while (!outcome.is_done)
    g_main_context_iteration (context, TRUE);
  g_assert_true (outcome.is_ok);
  g_assert_true (outcome.context == context);
  while (g_main_context_iteration (context, FALSE))
    ;
  drain ();
  g_assert_cmpuint (aio_semaphore_get_value (semaphore), ==, 1);
  outcome_clear (&outcome);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/semaphore/acquire/uncontended-calls-back-later", test_acquire_uncontended_calls_back_later);
  g_test_add_func ("/semaphore/acquire-many/is-atomic", test_acquire_many_is_atomic);
  g_test_add_func ("/semaphore/fifo/large-head-is-not-overtaken", test_fifo_large_head_is_not_overtaken);
  g_test_add_func ("/semaphore/fifo/order-is-kept", test_fifo_order_is_kept);
  g_test_add_func ("/semaphore/cancel/head-cancel-wakes-the-rest", test_cancel_head_wakes_the_rest);
  g_test_add_func ("/semaphore/cancel/after-wake-loses-no-permit", test_cancel_after_wake_loses_no_permit);
  g_test_add_func ("/semaphore/cancel/before-call-fails-at-once", test_cancel_before_call_fails_at_once);
  g_test_add_func ("/semaphore/close/fails-every-waiter", test_close_fails_every_waiter);
  g_test_add_func ("/semaphore/bounded/release-above-capacity-fails", test_bounded_release_above_capacity_fails);
  g_test_add_func ("/semaphore/acquire/count-above-capacity-fails-at-once", test_count_above_capacity_fails_at_once);
  g_test_add_func ("/semaphore/acquire/zero-count-fails-with-invalid-argument", test_zero_count_fails_with_invalid_argument);
  g_test_add_func ("/semaphore/try-acquire/does-not-overtake-waiters", test_try_acquire_does_not_overtake);
  g_test_add_func ("/semaphore/run-job/releases-on-success", test_run_job_releases_on_success);
  g_test_add_func ("/semaphore/run-job/releases-on-error", test_run_job_releases_on_error);
  g_test_add_func ("/semaphore/run-job/calls-back-as-the-job-completes",
                   test_run_job_calls_back_as_the_job_completes);
  g_test_add_func ("/semaphore/submit-job/from-a-dispatch-calls-back-later",
                   test_submit_job_from_a_dispatch_calls_back_later);
  g_test_add_func ("/semaphore/run-job/cancel-releases-after-job-completed", test_run_job_cancel_releases_after_job_completed);
  g_test_add_func ("/semaphore/run-job/cancelled-while-queued-never-starts", test_run_job_cancelled_while_queued_never_starts);
  g_test_add_func ("/semaphore/contexts/waiter-called-in-own-context", test_waiter_is_called_in_its_own_context);
  g_test_add_func ("/semaphore/contexts/threads-share-one-semaphore", test_threads_share_one_semaphore);
  g_test_add_func ("/semaphore/properties/notified-in-owner-context", test_properties_are_notified_in_owner_context);
  g_test_add_func ("/semaphore/acquire/grant-in-queueing-iteration-calls-back-in-it",
                   test_grant_in_queueing_iteration_calls_back_in_it);
  g_test_add_func ("/semaphore/finish/result-is-finished-later-and-only-by-its-own-call",
                   test_result_is_finished_later_and_only_by_its_own_call);
  g_test_add_func ("/semaphore/finish/run-job-result-is-the-job-once", test_run_job_result_is_the_job_once);
  g_test_add_func ("/semaphore/contexts/callback-sees-its-context-as-thread-default",
                   test_callback_sees_its_context_as_thread_default);
  g_test_add_func ("/semaphore/submit-job/hands-the-value-to-done-later",
                   test_submit_job_hands_the_value_to_done_later);
  g_test_add_func ("/semaphore/submit-job/hands-the-job-error-to-done",
                   test_submit_job_hands_the_job_error_to_done);
  g_test_add_func ("/semaphore/submit-job/cancelled-while-queued-never-starts",
                   test_submit_job_cancelled_while_queued_never_starts);
  g_test_add_func ("/semaphore/submit-job/cancelled-while-running-holds-permits-until-completed",
                   test_submit_job_cancelled_while_running_holds_permits_until_completed);
  g_test_add_func ("/semaphore/submit-job/fails-on-close-and-zero-count",
                   test_submit_job_fails_on_close_and_zero_count);
  g_test_add_func ("/semaphore/submit-job/done-runs-in-callers-context",
                   test_submit_job_done_runs_in_callers_context);
  g_test_add_func ("/semaphore/properties/job-releases-are-notified-once-per-iteration",
                   test_job_releases_are_notified_once_per_iteration);

  return g_test_run ();
}
