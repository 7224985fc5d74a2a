/* test-thread-pool.c: AioThreadPool and AioExecutorPool behaviour
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE   /* RTLD_NEXT */

#include <dlfcn.h>

#include <aioext.h>

#include "timing.h"

/* A gate that blocking test functions wait on, and counters of what ran. */
typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean is_open;
  int      running;       /* mutex */
  int      peak_running;  /* mutex */
  int      runs;          /* mutex */
  GArray  *order;         /* mutex: the order functions ran in */
  GThread *main_thread;
  gboolean saw_cancel;    /* mutex */
} Gate;

static Gate *
gate_new (void)
{
  Gate *gate = g_new0 (Gate, 1);

  g_mutex_init (&gate->mutex);
  g_cond_init (&gate->cond);
  gate->order = g_array_new (FALSE, FALSE, sizeof (int));
  gate->main_thread = g_thread_self ();

  return gate;
}

static void
gate_free (Gate *gate)
{
  g_array_unref (gate->order);
  g_mutex_clear (&gate->mutex);
  g_cond_clear (&gate->cond);
  g_free (gate);
}

static void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->is_open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

static int
gate_get_running (Gate *gate)
{
  int running;

  g_mutex_lock (&gate->mutex);
  running = gate->running;
  g_mutex_unlock (&gate->mutex);

  return running;
}

/* One call: which gate it waits on, and its number. */
typedef struct
{
  Gate *gate;
  int   number;
  int  *frees;
  GThread *free_thread;
} Call;

static Call *
call_new (Gate *gate,
          int   number,
          int  *frees)
{
  Call *call = g_new0 (Call, 1);

  call->gate = gate;
  call->number = number;
  call->frees = frees;

  return call;
}

static void
call_free (gpointer data)
{
  Call *call = data;

  if (call->frees != NULL)
    (*call->frees)++;
  g_assert_true (g_thread_self () == call->gate->main_thread);
  g_free (call);
}

/* Waits for the gate (or cancellation), records the order it ran in, and
 * returns its number. */
static gboolean
wait_at_gate (GCancellable  *cancellable,
              GValue        *result,
              gpointer       user_data,
              GError       **error)
{
  Call *call = user_data;
  Gate *gate = call->gate;

  g_assert_true (g_thread_self () != gate->main_thread);

  g_mutex_lock (&gate->mutex);
  gate->runs++;
  gate->running++;
  gate->peak_running = MAX (gate->peak_running, gate->running);
  g_array_append_val (gate->order, call->number);
  while (!gate->is_open && !g_cancellable_is_cancelled (cancellable))
    {
      gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_MILLISECOND;

      g_cond_wait_until (&gate->cond, &gate->mutex, deadline);
    }
  if (g_cancellable_is_cancelled (cancellable))
    gate->saw_cancel = TRUE;
  gate->running--;
  g_mutex_unlock (&gate->mutex);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, call->number);
  return TRUE;
}

typedef struct
{
  int      completed;
  int      succeeded;
  GArray  *numbers;     /* the results, in completion order */
  GError  *last_error;
  GThread *callback_thread;
} Outcomes;

static void
outcomes_init (Outcomes *outcomes)
{
  memset (outcomes, 0, sizeof *outcomes);
  outcomes->numbers = g_array_new (FALSE, FALSE, sizeof (int));
}

static void
outcomes_clear (Outcomes *outcomes)
{
  g_array_unref (outcomes->numbers);
  g_clear_error (&outcomes->last_error);
}

static void
note_outcome (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outcomes *outcomes = user_data;
  GError *error = NULL;
  GValue *value = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, &error);

  outcomes->completed++;
  outcomes->callback_thread = g_thread_self ();
  if (value == NULL)
    {
      g_clear_error (&outcomes->last_error);
      outcomes->last_error = error;
      return;
    }

  outcomes->succeeded++;
  if (G_VALUE_HOLDS_INT (value))
    {
      int number = g_value_get_int (value);

      g_array_append_val (outcomes->numbers, number);
    }
  g_boxed_free (G_TYPE_VALUE, value);
}

static void
iterate_until (int *counter,
               int  target)
{
  while (*counter < target)
    g_main_context_iteration (NULL, TRUE);
}

/* Iterates until the pool reports @running calls on workers. */
static void
wait_for_running (Gate *gate,
                  int   running)
{
  while (gate_get_running (gate) < running)
    g_usleep (1000);
}

static gboolean
return_forty_two (GCancellable  *cancellable,
                  GValue        *result,
                  gpointer       user_data,
                  GError       **error)
{
  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, 42);
  return TRUE;
}

static gboolean
fail_not_found (GCancellable  *cancellable,
                GValue        *result,
                gpointer       user_data,
                GError       **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
  return FALSE;
}

static gboolean
fail_silently (GCancellable  *cancellable,
               GValue        *result,
               gpointer       user_data,
               GError       **error)
{
  return FALSE;
}

static gboolean
return_nothing (GCancellable  *cancellable,
                GValue        *result,
                gpointer       user_data,
                GError       **error)
{
  return TRUE;
}

static void
test_run_returns_value_in_callers_context (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  Outcomes outcomes;

  outcomes_init (&outcomes);
  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  /* Never called back from inside the _async call. */
  g_assert_cmpint (outcomes.completed, ==, 0);
  iterate_until (&outcomes.completed, 1);

  g_assert_cmpint (outcomes.succeeded, ==, 1);
  g_assert_cmpint (g_array_index (outcomes.numbers, int, 0), ==, 42);
  g_assert_true (outcomes.callback_thread == g_thread_self ());
  outcomes_clear (&outcomes);
}

static void
test_run_in_private_context (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  g_autoptr(GMainContext) context = g_main_context_new ();
  Outcomes outcomes;

  outcomes_init (&outcomes);
  g_main_context_push_thread_default (context);
  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  while (outcomes.completed < 1)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  g_assert_cmpint (outcomes.succeeded, ==, 1);
  outcomes_clear (&outcomes);
}

static void
test_run_error_is_propagated (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  Outcomes outcomes;

  outcomes_init (&outcomes);
  aio_thread_pool_run_async (pool, fail_not_found, NULL, NULL, NULL, note_outcome, &outcomes);
  aio_thread_pool_run_async (pool, fail_silently, NULL, NULL, NULL, note_outcome, &outcomes);
  iterate_until (&outcomes.completed, 2);

  g_assert_cmpint (outcomes.succeeded, ==, 0);
  /* Whichever came last, both are errors; a silent FALSE is never a result. */
  g_assert_true (g_error_matches (outcomes.last_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
                 g_error_matches (outcomes.last_error, AIO_ERROR, AIO_ERROR_FAILED));
  outcomes_clear (&outcomes);
}

static void
store_value (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GValue **value_out = user_data;

  *value_out = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, NULL);
  g_assert_nonnull (*value_out);
}

static void
test_run_without_result_gives_null_pointer (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  GValue *value = NULL;

  aio_thread_pool_run_async (pool, return_nothing, NULL, NULL, NULL, store_value, &value);
  while (value == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (G_VALUE_HOLDS_POINTER (value));
  g_assert_null (g_value_get_pointer (value));
  g_boxed_free (G_TYPE_VALUE, value);
}

static void
test_threads_one_call_starts_one_thread (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (8);
  Gate *gate = gate_new ();
  Outcomes outcomes;

  outcomes_init (&outcomes);
  aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, 0, NULL), call_free,
                             NULL, note_outcome, &outcomes);
  wait_for_running (gate, 1);
  g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (gate->peak_running, ==, 1);
  gate_open (gate);
  iterate_until (&outcomes.completed, 1);

  g_assert_cmpint (outcomes.succeeded, ==, 1);
  outcomes_clear (&outcomes);
  gate_free (gate);
}

static void
test_threads_at_most_max_workers (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (3);
  AioExecutorPool *executor_pool = AIO_EXECUTOR_POOL (pool);
  Gate *gate = gate_new ();
  Outcomes outcomes;

  outcomes_init (&outcomes);
  for (int i = 0; i < 8; i++)
    aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, i, NULL), call_free,
                               NULL, note_outcome, &outcomes);
  wait_for_running (gate, 3);
  g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (gate->peak_running, ==, 3);
  g_assert_cmpuint (aio_executor_pool_get_running (executor_pool), ==, 3);
  g_assert_cmpuint (aio_executor_pool_get_queued (executor_pool), ==, 5);

  gate_open (gate);
  iterate_until (&outcomes.completed, 8);
  g_assert_cmpint (outcomes.succeeded, ==, 8);
  g_assert_cmpint (gate->peak_running, ==, 3);
  g_assert_cmpuint (aio_executor_pool_get_running (executor_pool), ==, 0);
  g_assert_cmpuint (aio_executor_pool_get_queued (executor_pool), ==, 0);
  outcomes_clear (&outcomes);
  gate_free (gate);
}

static void
test_queue_is_fifo (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  Gate *gate = gate_new ();
  Outcomes outcomes;

  outcomes_init (&outcomes);
  gate_open (gate);
  for (int i = 0; i < 50; i++)
    aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, i, NULL), call_free,
                               NULL, note_outcome, &outcomes);
  iterate_until (&outcomes.completed, 50);

  for (int i = 0; i < 50; i++)
    {
      g_assert_cmpint (g_array_index (gate->order, int, i), ==, i);
      g_assert_cmpint (g_array_index (outcomes.numbers, int, i), ==, i);
    }
  outcomes_clear (&outcomes);
  gate_free (gate);
}

static void
test_cancel_queued_call_never_runs (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Gate *gate = gate_new ();
  Outcomes blocker, queued;
  int frees = 0;

  outcomes_init (&blocker);
  outcomes_init (&queued);
  aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, 0, &frees), call_free,
                             NULL, note_outcome, &blocker);
  aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, 1, &frees), call_free,
                             cancellable, note_outcome, &queued);
  wait_for_running (gate, 1);

  g_cancellable_cancel (cancellable);
  /* Completes while the only worker is still blocked. */
  iterate_until (&queued.completed, 1);
  g_assert_error (queued.last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (blocker.completed, ==, 0);
  g_assert_cmpint (frees, ==, 1);
  g_assert_cmpuint (aio_executor_pool_get_queued (AIO_EXECUTOR_POOL (pool)), ==, 0);

  gate_open (gate);
  iterate_until (&blocker.completed, 1);
  g_assert_cmpint (blocker.succeeded, ==, 1);
  g_assert_cmpint (frees, ==, 2);
  /* Let the worker dequeue and drop the cancelled call. */
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  g_assert_cmpint (gate->runs, ==, 1);

  outcomes_clear (&blocker);
  outcomes_clear (&queued);
  gate_free (gate);
}

static void
test_cancel_running_call_sees_cancellable (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Gate *gate = gate_new ();
  Outcomes outcomes;

  outcomes_init (&outcomes);
  aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, 0, NULL), call_free,
                             cancellable, note_outcome, &outcomes);
  wait_for_running (gate, 1);
  g_cancellable_cancel (cancellable);
  iterate_until (&outcomes.completed, 1);

  g_assert_true (gate->saw_cancel);
  g_assert_error (outcomes.last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  outcomes_clear (&outcomes);
  gate_free (gate);
}

static void
test_cancel_before_submit_never_runs (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Gate *gate = gate_new ();
  Outcomes outcomes;
  int frees = 0;

  outcomes_init (&outcomes);
  g_cancellable_cancel (cancellable);
  aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, 0, &frees), call_free,
                             cancellable, note_outcome, &outcomes);
  g_assert_cmpint (outcomes.completed, ==, 0);
  iterate_until (&outcomes.completed, 1);

  g_assert_error (outcomes.last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (gate->runs, ==, 0);
  g_assert_cmpint (frees, ==, 1);
  outcomes_clear (&outcomes);
  gate_free (gate);
}

static void
test_shutdown_without_wait_fails_queued_calls (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  Gate *gate = gate_new ();
  Outcomes running, queued;
  int frees = 0;

  outcomes_init (&running);
  outcomes_init (&queued);
  aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, 0, &frees), call_free,
                             NULL, note_outcome, &running);
  for (int i = 1; i <= 3; i++)
    aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, i, &frees), call_free,
                               NULL, note_outcome, &queued);
  wait_for_running (gate, 1);

  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), FALSE);
  g_assert_false (aio_executor_pool_is_initialized (AIO_EXECUTOR_POOL (pool)));
  gate_open (gate);
  iterate_until (&running.completed, 1);
  iterate_until (&queued.completed, 3);

  /* The running call finished; the queued ones never ran. */
  g_assert_cmpint (running.succeeded, ==, 1);
  g_assert_cmpint (queued.succeeded, ==, 0);
  g_assert_error (queued.last_error, AIO_ERROR, AIO_ERROR_SHUT_DOWN);
  g_assert_cmpint (gate->runs, ==, 1);
  g_assert_cmpint (frees, ==, 4);
  outcomes_clear (&running);
  outcomes_clear (&queued);
  gate_free (gate);
}

static void
test_shutdown_with_wait_drains (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  Gate *gate = gate_new ();
  Outcomes outcomes;

  outcomes_init (&outcomes);
  gate_open (gate);
  for (int i = 0; i < 10; i++)
    aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, i, NULL), call_free,
                               NULL, note_outcome, &outcomes);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  /* Everything ran before shutdown returned. */
  g_assert_cmpint (gate->runs, ==, 10);
  iterate_until (&outcomes.completed, 10);
  g_assert_cmpint (outcomes.succeeded, ==, 10);
  outcomes_clear (&outcomes);
  gate_free (gate);
}

static void
test_shutdown_then_use_fails_until_initialized (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (3);
  AioExecutorPool *executor_pool = AIO_EXECUTOR_POOL (pool);
  Outcomes outcomes;

  outcomes_init (&outcomes);
  g_assert_false (aio_executor_pool_is_initialized (executor_pool));
  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  /* The first use starts it. */
  g_assert_true (aio_executor_pool_is_initialized (executor_pool));
  iterate_until (&outcomes.completed, 1);

  aio_executor_pool_shutdown (executor_pool, TRUE);
  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  iterate_until (&outcomes.completed, 2);
  g_assert_error (outcomes.last_error, AIO_ERROR, AIO_ERROR_SHUT_DOWN);
  g_assert_false (aio_executor_pool_is_initialized (executor_pool));

  aio_executor_pool_initialize (executor_pool, 0);
  g_assert_cmpuint (aio_executor_pool_get_max_workers (executor_pool), ==, 10 * aio_get_cpu_cores ());
  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  iterate_until (&outcomes.completed, 3);
  g_assert_cmpint (outcomes.succeeded, ==, 2);
  outcomes_clear (&outcomes);
}

/* As in aioextensions: the old executor's queued and running calls still
 * run, and the new size applies to what follows. */
static void
test_initialize_again_lets_old_calls_finish (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  Gate *gate = gate_new ();
  Outcomes old_calls, new_calls;

  outcomes_init (&old_calls);
  outcomes_init (&new_calls);
  aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, 0, NULL), call_free,
                             NULL, note_outcome, &old_calls);
  aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, 1, NULL), call_free,
                             NULL, note_outcome, &old_calls);
  wait_for_running (gate, 1);

  aio_executor_pool_initialize (AIO_EXECUTOR_POOL (pool), 4);
  g_assert_cmpuint (aio_executor_pool_get_max_workers (AIO_EXECUTOR_POOL (pool)), ==, 4);
  /* The new executor runs while the old one's worker is still blocked. */
  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &new_calls);
  iterate_until (&new_calls.completed, 1);
  g_assert_cmpint (new_calls.succeeded, ==, 1);

  gate_open (gate);
  iterate_until (&old_calls.completed, 2);
  g_assert_cmpint (old_calls.succeeded, ==, 2);
  g_assert_no_error (old_calls.last_error);
  outcomes_clear (&old_calls);
  outcomes_clear (&new_calls);
  gate_free (gate);
}

static gboolean
shut_own_pool_down_waiting (GCancellable  *cancellable,
                            GValue        *result,
                            gpointer       data,
                            GError       **error)
{
  aio_executor_pool_shutdown (data, TRUE);
  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, 1);
  return TRUE;
}

/* A pool cannot wait for the function asking it to: before, this
 * deadlocked (the trapped child ran into its time limit). */
static void
test_shutdown_waiting_from_own_function_fails_the_call (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
      Outcomes outcomes;

      outcomes_init (&outcomes);
      aio_thread_pool_run_async (pool, shut_own_pool_down_waiting, pool, NULL, NULL, note_outcome, &outcomes);
      iterate_until (&outcomes.completed, 1);
      g_assert_cmpint (outcomes.succeeded, ==, 0);
      g_assert_error (outcomes.last_error, AIO_ERROR, AIO_ERROR_NOT_SUPPORTED);
      g_assert_nonnull (strstr (outcomes.last_error->message, "without waiting"));
      g_assert_false (aio_executor_pool_is_initialized (AIO_EXECUTOR_POOL (pool)));
      outcomes_clear (&outcomes);
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC * test_slowdown (), G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_default_restarts_lazily_keeping_size (void)
{
  AioThreadPool *pool = aio_thread_pool_get_default ();
  AioExecutorPool *executor_pool = AIO_EXECUTOR_POOL (pool);
  Outcomes outcomes;

  g_assert_true (pool == aio_thread_pool_get_default ());
  g_assert_cmpuint (aio_executor_pool_get_max_workers (executor_pool), ==, 10 * aio_get_cpu_cores ());
  outcomes_init (&outcomes);
  aio_executor_pool_initialize (executor_pool, 5);
  aio_executor_pool_shutdown (executor_pool, TRUE);
  g_assert_false (aio_executor_pool_is_initialized (executor_pool));

  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  iterate_until (&outcomes.completed, 1);
  g_assert_cmpint (outcomes.succeeded, ==, 1);
  g_assert_true (aio_executor_pool_is_initialized (executor_pool));
  g_assert_cmpuint (aio_executor_pool_get_max_workers (executor_pool), ==, 5);
  outcomes_clear (&outcomes);
}

static void
test_bad_input_null_func_is_a_programmer_error (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);

  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  aio_thread_pool_run_async (pool, NULL, NULL, NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_null (aio_thread_pool_create_job (pool, NULL, NULL, NULL));
  g_test_assert_expected_messages ();
}

static void
test_finalize_with_calls_in_flight (void)
{
  AioThreadPool *pool = aio_thread_pool_new (1);
  Gate *gate = gate_new ();
  Outcomes outcomes;
  int frees = 0;

  outcomes_init (&outcomes);
  g_object_add_weak_pointer (G_OBJECT (pool), (gpointer *) &pool);
  for (int i = 0; i < 4; i++)
    aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, i, &frees), call_free,
                               NULL, note_outcome, &outcomes);
  wait_for_running (gate, 1);
  g_object_unref (pool);
  /* The calls keep their pool alive and all complete. */
  g_assert_nonnull (pool);
  gate_open (gate);
  iterate_until (&outcomes.completed, 4);
  g_assert_cmpint (outcomes.succeeded, ==, 4);
  g_assert_cmpint (frees, ==, 4);
  while (pool != NULL)
    g_main_context_iteration (NULL, TRUE);
  outcomes_clear (&outcomes);
  gate_free (gate);
}

static void
note_notify (GObject    *object,
             GParamSpec *pspec,
             gpointer    user_data)
{
  int *notifies = user_data;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  (*notifies)++;
}

static void
test_counters_are_notified_in_owner_context (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  Outcomes outcomes;
  int running_notifies = 0;
  int queued_notifies = 0;
  int any_notifies = 0;

  outcomes_init (&outcomes);
  g_signal_connect (pool, "notify::running", G_CALLBACK (note_notify), &running_notifies);
  g_signal_connect (pool, "notify::queued", G_CALLBACK (note_notify), &queued_notifies);
  g_signal_connect (pool, "notify", G_CALLBACK (note_notify), &any_notifies);
  for (int i = 0; i < 20; i++)
    aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  iterate_until (&outcomes.completed, 20);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_assert_cmpint (running_notifies, >=, 1);
  g_assert_cmpint (queued_notifies, >=, 1);
  g_assert_cmpint (any_notifies, >=, running_notifies + queued_notifies);
  g_assert_cmpuint (aio_executor_pool_get_running (AIO_EXECUTOR_POOL (pool)), ==, 0);
  outcomes_clear (&outcomes);
}

/* A context of its own, iterated by a thread of its own, that counts the
 * polls it was woken from. */
typedef struct
{
  GMainContext *context;
  GThread      *thread;
  int           sleeps;    /* atomic: polls that may block */
  int           wakes;     /* atomic: of those, the ones woken */
  int           stopping;  /* atomic */
} WatchedContext;

static WatchedContext *watched_context;

static int
count_wakes_poll (GPollFD *fds,
                  guint    n_fds,
                  int      timeout)
{
  int ready;

  if (timeout != 0)
    g_atomic_int_inc (&watched_context->sleeps);
  ready = g_poll (fds, n_fds, timeout);
  if (timeout != 0 && ready > 0 && !g_atomic_int_get (&watched_context->stopping))
    g_atomic_int_inc (&watched_context->wakes);

  return ready;
}

static gpointer
iterate_watched_context (gpointer data)
{
  WatchedContext *watched = data;

  g_main_context_push_thread_default (watched->context);
  while (!g_atomic_int_get (&watched->stopping))
    g_main_context_iteration (watched->context, TRUE);
  g_main_context_pop_thread_default (watched->context);

  return NULL;
}

static void
run_calls_from_here (AioThreadPool *pool,
                     AioThreadFunc  func,
                     gpointer       func_data,
                     int            calls,
                     Outcomes      *outcomes)
{
  int target = outcomes->completed + calls;

  for (int i = 0; i < calls; i++)
    aio_thread_pool_run_async (pool, func, func_data, NULL, NULL, note_outcome, outcomes);
  iterate_until (&outcomes->completed, target);
}

static void
note_running (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  int *heard = user_data;

  if (aio_executor_pool_get_running (AIO_EXECUTOR_POOL (object)) > 0)
    g_atomic_int_set (heard, TRUE);
}

/* Written before the invoke and read in the watched context: atomic, for
 * ThreadSanitizer does not see the context's own lock order them. */
typedef struct
{
  AioThreadPool *pool;          /* atomic */
  int           *heard;         /* atomic */
  int            is_connected;  /* atomic */
} Listener;

static gboolean
connect_note_running (gpointer data)
{
  Listener *listener = data;

  g_signal_connect (g_atomic_pointer_get (&listener->pool), "notify::running",
                    G_CALLBACK (note_running), g_atomic_pointer_get (&listener->heard));
  g_atomic_int_set (&listener->is_connected, TRUE);

  return G_SOURCE_REMOVE;
}

/* Waits (at most 10 s, never forever) until the running count was heard;
 * returns 1 if it was. */
static gboolean
return_once_running_is_heard (GCancellable  *cancellable,
                              GValue        *result,
                              gpointer       user_data,
                              GError       **error)
{
  int *heard = user_data;

  for (int i = 0; i < 10000 && !g_atomic_int_get (heard); i++)
    g_usleep (1000);
  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, g_atomic_int_get (heard) ? 1 : 0);

  return TRUE;
}

/* The counters change two or three times per call on a worker, most often
 * while the pool's context sleeps: that context is woken only for a change
 * that someone hears, a notify handler or a loop that reads the counter,
 * not three times per call of a program that does neither. */
static void
test_counter_changes_wake_only_who_hears_them (void)
{
  WatchedContext watched = { g_main_context_new (), NULL, 0, 0, FALSE };
  g_autoptr(AioThreadPool) pool = NULL;
  Outcomes outcomes;
  int heard = FALSE;
  Listener listener = { NULL, NULL, FALSE };

  watched_context = &watched;
  g_main_context_set_poll_func (watched.context, count_wakes_poll);
  g_main_context_push_thread_default (watched.context);
  pool = aio_thread_pool_new (1);
  g_main_context_pop_thread_default (watched.context);
  /* Started now: that change (initialized) is heard at once. */
  aio_executor_pool_initialize (AIO_EXECUTOR_POOL (pool), 1);
  watched.thread = g_thread_new ("watched-context", iterate_watched_context, &watched);
  outcomes_init (&outcomes);
  while (g_atomic_int_get (&watched.sleeps) == 0)
    g_usleep (1000);

  run_calls_from_here (pool, return_forty_two, NULL, 20, &outcomes);
  g_assert_cmpint (g_atomic_int_get (&watched.wakes), ==, 0);

  /* A handler, connected in the pool's context as handlers are, hears the
   * call start while the call runs. (A loop that reads a counter before
   * each iteration is woken too: the tests of pool.running in every
   * language do that.) */
  g_atomic_pointer_set (&listener.pool, pool);
  g_atomic_pointer_set (&listener.heard, &heard);
  g_main_context_invoke (watched.context, connect_note_running, &listener);
  while (!g_atomic_int_get (&listener.is_connected))
    g_usleep (1000);
  run_calls_from_here (pool, return_once_running_is_heard, &heard, 1, &outcomes);
  g_assert_cmpint (g_array_index (outcomes.numbers, int, outcomes.numbers->len - 1), ==, 1);
  g_assert_cmpint (outcomes.succeeded, ==, 21);

  g_signal_handlers_disconnect_by_data (pool, &heard);
  g_atomic_int_set (&watched.stopping, TRUE);
  g_main_context_wakeup (watched.context);
  g_thread_join (watched.thread);
  g_clear_object (&pool);
  g_main_context_unref (watched.context);
  outcomes_clear (&outcomes);
}

static void
test_job_runs_a_thread_call (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  g_autoptr(AioJob) job = aio_thread_pool_create_job (pool, return_forty_two, NULL, NULL);
  g_autoptr(AioJob) failing = aio_thread_pool_create_job (pool, fail_not_found, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const GValue *value;

  value = aio_run (job, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 42);

  g_assert_null (aio_run (failing, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

/* Marks the cancellable the call gets, and returns whether an earlier call
 * had marked it already: whether it was recycled. */
static gboolean
mark_cancellable (GCancellable  *cancellable,
                  GValue        *result,
                  gpointer       user_data,
                  GError       **error)
{
  gboolean was_marked = g_object_get_data (G_OBJECT (cancellable), "test-marked") != NULL;

  g_object_set_data (G_OBJECT (cancellable), "test-marked", GINT_TO_POINTER (TRUE));
  g_value_init (result, G_TYPE_BOOLEAN);
  g_value_set_boolean (result, was_marked);

  return TRUE;
}

/* A job's call takes its cancellable on the worker, and the job gives it
 * back in the caller's thread: beyond what the caller's thread keeps for
 * itself, later calls get those back instead of a new GObject each (what
 * a Python in_thread() round trip spent most on its worker). */
static void
test_job_cancellables_recycled_across_threads (void)
{
  enum { N_JOBS = 200 };
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  guint recycled = 0;

  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autoptr(AioJob) job = aio_thread_pool_create_job (pool, mark_cancellable, NULL, NULL);
      g_autoptr(GError) error = NULL;
      const GValue *value = aio_run (job, &error);

      g_assert_no_error (error);
      recycled += g_value_get_boolean (value);
    }

  /* The caller's thread keeps at most 64 for itself. */
  g_assert_cmpuint (recycled, >=, N_JOBS - 64 - 1);
}

/* Iterates until @job has completed (its completion may be an idle source). */
static void
iterate_until_completed (AioJob *job)
{
  while (!aio_job_is_completed (job))
    g_main_context_iteration (NULL, TRUE);
}

/* Queues a job's call behind a blocked one and cancels it while it waits:
 * through aio_job_cancel(), the job's cancel hook (a queued job's call
 * holds no cancellable), or through the cancellable asked for before the
 * start, which the call then listens to. Either way the call completes at
 * once, while the only worker is still blocked, and never runs. */
static void
check_queued_job_cancelled (gboolean through_cancellable)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  Gate *gate = gate_new ();
  g_autoptr(AioJob) blocker = aio_thread_pool_create_job (pool, wait_at_gate, call_new (gate, 0, NULL), call_free);
  int frees = 0;
  g_autoptr(AioJob) queued = aio_thread_pool_create_job (pool, wait_at_gate, call_new (gate, 1, &frees), call_free);
  GCancellable *cancellable = through_cancellable ? aio_job_get_cancellable (queued) : NULL;
  g_autoptr(GError) error = NULL;

  aio_job_start (blocker);
  aio_job_start (queued);
  wait_for_running (gate, 1);
  g_assert_cmpuint (aio_executor_pool_get_queued (AIO_EXECUTOR_POOL (pool)), ==, 1);

  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
  else
    aio_job_cancel (queued);
  iterate_until_completed (queued);
  g_assert_null (aio_job_propagate_value (queued, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (aio_job_is_completed (blocker));
  g_assert_cmpint (frees, ==, 1);
  g_assert_cmpuint (aio_executor_pool_get_queued (AIO_EXECUTOR_POOL (pool)), ==, 0);

  gate_open (gate);
  iterate_until_completed (blocker);
  g_assert_cmpint (g_value_get_int (aio_job_propagate_value (blocker, NULL)), ==, 0);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  g_assert_cmpint (gate->runs, ==, 1);
  gate_free (gate);
}

static void
test_job_cancel_queued_call_never_runs (void)
{
  check_queued_job_cancelled (FALSE);
}

static void
test_job_cancellable_asked_before_start (void)
{
  check_queued_job_cancelled (TRUE);
}

/* The running call gets the job's cancellable, made when it starts, and
 * sees aio_job_cancel() on it. */
static void
test_job_cancel_running_call_sees_cancellable (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  Gate *gate = gate_new ();
  g_autoptr(AioJob) job = aio_thread_pool_create_job (pool, wait_at_gate, call_new (gate, 0, NULL), call_free);
  g_autoptr(GError) error = NULL;

  aio_job_start (job);
  wait_for_running (gate, 1);
  aio_job_cancel (job);
  iterate_until_completed (job);

  g_assert_true (gate->saw_cancel);
  g_assert_null (aio_job_propagate_value (job, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (g_cancellable_is_cancelled (aio_job_get_cancellable (job)));
  gate_free (gate);
}

typedef struct
{
  AioJob **jobs;
  guint    n_jobs;
  int      started;   /* atomic: how many the main thread has started */
} JobCanceller;

static gpointer
cancel_jobs_as_they_start (gpointer data)
{
  JobCanceller *canceller = data;

  for (guint i = 0; i < canceller->n_jobs; i++)
    {
      while ((guint) g_atomic_int_get (&canceller->started) <= i)
        g_thread_yield ();
      aio_job_cancel (canceller->jobs[i]);
    }

  return NULL;
}

/* Cancellations from another thread race with the calls' queueing, running
 * and completion: each job completes exactly once, with its value or as
 * cancelled, and nothing is leaked or used after it was freed (the
 * sanitizer builds run this too). */
static void
test_job_cancel_races_with_completion (void)
{
  enum { N_JOBS = 3000 };
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  AioJob *jobs[N_JOBS];
  JobCanceller canceller = { jobs, N_JOBS, 0 };
  GThread *thread;
  guint succeeded = 0, cancelled = 0;

  for (guint i = 0; i < N_JOBS; i++)
    jobs[i] = aio_thread_pool_create_job (pool, return_forty_two, NULL, NULL);
  thread = g_thread_new ("canceller", cancel_jobs_as_they_start, &canceller);
  for (guint i = 0; i < N_JOBS; i++)
    {
      aio_job_start (jobs[i]);
      g_atomic_int_inc (&canceller.started);
      g_main_context_iteration (NULL, FALSE);
    }
  g_thread_join (thread);

  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autoptr(GError) error = NULL;

      iterate_until_completed (jobs[i]);
      if (aio_job_propagate_value (jobs[i], &error) != NULL)
        succeeded++;
      else
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          cancelled++;
        }
      g_object_unref (jobs[i]);
    }
  g_assert_cmpuint (succeeded + cancelled, ==, N_JOBS);
  g_assert_cmpuint (aio_executor_pool_get_queued (AIO_EXECUTOR_POOL (pool)), ==, 0);
}

static void
test_many_calls_all_complete (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (4);
  Outcomes outcomes;

  outcomes_init (&outcomes);
  for (int i = 0; i < 20000; i++)
    aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  iterate_until (&outcomes.completed, 20000);
  g_assert_cmpint (outcomes.succeeded, ==, 20000);
  outcomes_clear (&outcomes);
}

/* A type derived from AioExecutorPool outside the library, as a binding
 * can make one: the virtual functions are private, so it has none. */
typedef struct
{
  AioExecutorPool parent_instance;
} ForeignPool;

typedef struct
{
  AioExecutorPoolClass parent_class;
} ForeignPoolClass;

static GType foreign_pool_get_type (void);
G_DEFINE_TYPE (ForeignPool, foreign_pool, AIO_TYPE_EXECUTOR_POOL)

static void
foreign_pool_class_init (ForeignPoolClass *klass)
{
}

static void
foreign_pool_init (ForeignPool *self)
{
}

static void
test_bad_input_foreign_pool_kind_is_a_programmer_error (void)
{
  g_autoptr(AioExecutorPool) pool = g_object_new (foreign_pool_get_type (), NULL);

  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*is_library_kind*");
  aio_executor_pool_initialize (pool, 2);
  g_test_assert_expected_messages ();

  g_assert_false (aio_executor_pool_is_initialized (pool));
  g_assert_cmpuint (aio_executor_pool_get_max_workers (pool), ==, 0);
  aio_executor_pool_shutdown (pool, TRUE);
}

static void
test_bad_input_negative_max_workers_is_a_programmer_error (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  g_autoptr(AioThreadPool) default_sized = aio_thread_pool_new (0);
  AioExecutorPool *executor_pool = AIO_EXECUTOR_POOL (pool);
  int minus_one = -1;
  Outcomes outcomes;

  /* Zero is the documented default. */
  g_assert_cmpuint (aio_executor_pool_get_max_workers (AIO_EXECUTOR_POOL (default_sized)), ==,
                    10 * aio_get_cpu_cores ());

  /* A negative size from C arrives as a huge unsigned one. */
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*max_workers <= G_MAXINT*");
  g_assert_null (aio_thread_pool_new ((guint) minus_one));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*max_workers <= G_MAXINT*");
  aio_executor_pool_initialize (executor_pool, (guint) minus_one);
  g_test_assert_expected_messages ();

  /* The pool is left as it was, and works. */
  g_assert_cmpuint (aio_executor_pool_get_max_workers (executor_pool), ==, 2);
  outcomes_init (&outcomes);
  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  iterate_until (&outcomes.completed, 1);
  g_assert_cmpint (outcomes.succeeded, ==, 1);
  outcomes_clear (&outcomes);
}

static void
test_threads_n_calls_start_n_threads (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (8);
  Gate *gate = gate_new ();
  Outcomes outcomes;

  outcomes_init (&outcomes);
  for (int i = 0; i < 4; i++)
    aio_thread_pool_run_async (pool, wait_at_gate, call_new (gate, i, NULL), call_free,
                               NULL, note_outcome, &outcomes);
  /* Four calls at once run at once, on four threads, none waiting. */
  wait_for_running (gate, 4);
  g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (gate->peak_running, ==, 4);
  g_assert_cmpuint (aio_executor_pool_get_queued (AIO_EXECUTOR_POOL (pool)), ==, 0);
  gate_open (gate);
  iterate_until (&outcomes.completed, 4);

  g_assert_cmpint (outcomes.succeeded, ==, 4);
  g_assert_cmpint (gate->peak_running, ==, 4);
  outcomes_clear (&outcomes);
  gate_free (gate);
}

/* A thread with its own main context, making calls from it. */
typedef struct
{
  AioThreadPool *pool;
  GThread       *thread;
  int            frees;
  Outcomes       outcomes;
} Owner;

static gpointer
owner_thread (gpointer data)
{
  Owner *owner = data;
  GMainContext *context = g_main_context_new ();
  /* Its calls' data must be freed on this thread (see call_free()). */
  Gate *gate = gate_new ();

  owner->thread = g_thread_self ();
  gate_open (gate);
  g_main_context_push_thread_default (context);
  for (int i = 0; i < 20; i++)
    aio_thread_pool_run_async (owner->pool, wait_at_gate, call_new (gate, i, &owner->frees), call_free,
                               NULL, note_outcome, &owner->outcomes);
  while (owner->outcomes.completed < 20)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  gate_free (gate);

  return NULL;
}

static void
test_run_owner_thread_gets_callbacks_and_frees_data (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  Owner owner = { pool, NULL, 0, { 0 } };

  outcomes_init (&owner.outcomes);
  g_thread_join (g_thread_new ("owner", owner_thread, &owner));

  /* Callbacks and frees ran on the thread that owns the context the calls
   * were made in, never on a worker or the main thread. */
  g_assert_cmpint (owner.outcomes.succeeded, ==, 20);
  g_assert_true (owner.outcomes.callback_thread == owner.thread);
  g_assert_cmpint (owner.frees, ==, 20);
  outcomes_clear (&owner.outcomes);
}

static gboolean
return_number (GCancellable  *cancellable,
               GValue        *result,
               gpointer       user_data,
               GError       **error)
{
  g_value_init (result, G_TYPE_INT);
  g_value_set_int (result, GPOINTER_TO_INT (user_data));
  return TRUE;
}

typedef struct
{
  GPtrArray *kept;
  int        completed;
} Keeper;

/* Keeps the result of every even-numbered call. */
static void
keep_even_results (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Keeper *keeper = user_data;
  GValue *value = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, NULL);

  g_assert_nonnull (value);
  if (g_value_get_int (value) % 2 == 0)
    g_ptr_array_add (keeper->kept, g_object_ref (result));
  g_boxed_free (G_TYPE_VALUE, value);
  keeper->completed++;
}

static void
test_result_kept_after_callback_stays_valid (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  Keeper keeper = { g_ptr_array_new_with_free_func (g_object_unref), 0 };
  gboolean seen[200] = { FALSE };

  for (int i = 0; i < 200; i++)
    aio_thread_pool_run_async (pool, return_number, GINT_TO_POINTER (i), NULL, NULL,
                               keep_even_results, &keeper);
  iterate_until (&keeper.completed, 200);

  /* Each kept result still holds its own call's outcome, after the calls
   * that completed after it. */
  g_assert_cmpuint (keeper.kept->len, ==, 100);
  for (guint i = 0; i < keeper.kept->len; i++)
    {
      GAsyncResult *result = g_ptr_array_index (keeper.kept, i);
      g_autoptr(GObject) source = g_async_result_get_source_object (result);
      GValue *value = aio_thread_pool_run_finish (pool, result, NULL);
      int number = g_value_get_int (value);

      g_assert_cmpint (number % 2, ==, 0);
      g_assert_false (seen[number]);
      seen[number] = TRUE;
      g_assert_true (source == G_OBJECT (pool));
      g_assert_true (g_async_result_get_user_data (result) == &keeper);
      g_assert_true (g_async_result_is_tagged (result, aio_thread_pool_run_async));
      g_boxed_free (G_TYPE_VALUE, value);
    }
  g_ptr_array_unref (keeper.kept);
}

typedef struct
{
  int completed;
  int weak_notifies;
  int data_frees;
  int data_seen;
} Watcher;

static void
note_weak_notify (gpointer  data,
                  GObject  *where_the_object_was)
{
  ((Watcher *) data)->weak_notifies++;
}

static void
note_data_free (gpointer data)
{
  ((Watcher *) data)->data_frees++;
}

/* The first call's callback watches its result with a weak reference, the
 * second attaches data to it, every callback looks for such data. */
static void
watch_result (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Watcher *watcher = user_data;

  if (g_object_get_data (G_OBJECT (result), "watcher") != NULL)
    watcher->data_seen++;
  if (watcher->completed == 0)
    g_object_weak_ref (G_OBJECT (result), note_weak_notify, watcher);
  else if (watcher->completed == 1)
    g_object_set_data_full (G_OBJECT (result), "watcher", watcher, note_data_free);
  watcher->completed++;
}

static void
test_result_weak_refs_and_data_are_released (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  Watcher watcher = { 0 };

  for (int i = 0; i < 3; i++)
    {
      aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, watch_result, &watcher);
      iterate_until (&watcher.completed, i + 1);
      /* A result nobody holds is finalized as soon as its callback returns,
       * whatever the callback attached to it. */
      g_assert_cmpint (watcher.weak_notifies, ==, 1);
      g_assert_cmpint (watcher.data_frees, ==, i >= 1 ? 1 : 0);
    }
  g_assert_cmpint (watcher.data_seen, ==, 0);
}

/* Interleavings that the scheduler produces rarely, played on purpose:
 * this program exports its own g_main_context_wakeup() and
 * g_cancellable_connect(), which hold up one chosen caller at the point
 * where another thread may overtake it. */

static gint64
hold_up_deadline (guint seconds)
{
  return g_get_monotonic_time () + seconds * test_slowdown () * G_USEC_PER_SEC;
}

/* A worker wakes the caller's context just after it pushed the call's
 * completion. The caller's thread, already awake, may meanwhile complete
 * the call, drop its context and free it: the wake-up must not find it
 * gone. Whether the context lives is read from a source attached to it,
 * since a finalized context leaves its sources with none. */
static struct
{
  GMainContext *context;        /* the context whose first wake-up is held up */
  GSource      *sentinel;       /* attached to it */
  int           caller_is_done; /* atomic: the caller dropped the context */
  int           is_over;        /* atomic */
  gboolean      context_survived;
} slow_wakeup;

void
g_main_context_wakeup (GMainContext *context)
{
  static void (*real_wakeup) (GMainContext *context);

  if (real_wakeup == NULL)
    real_wakeup = (void (*) (GMainContext *)) dlsym (RTLD_NEXT, "g_main_context_wakeup");

  if (context != NULL && g_atomic_pointer_compare_and_exchange (&slow_wakeup.context, context, NULL))
    {
      gint64 deadline = hold_up_deadline (5);

      while (!g_atomic_int_get (&slow_wakeup.caller_is_done) && g_get_monotonic_time () < deadline)
        g_usleep (1000);
      slow_wakeup.context_survived = g_atomic_pointer_get (&slow_wakeup.sentinel->context) == context;
      g_atomic_int_set (&slow_wakeup.is_over, TRUE);
      if (!slow_wakeup.context_survived)
        return;
    }

  real_wakeup (context);
}

static void
test_completion_wakeup_keeps_the_context_alive (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  GMainContext *context = g_main_context_new ();
  gint64 deadline;
  Outcomes outcomes;

  outcomes_init (&outcomes);
  slow_wakeup.sentinel = g_timeout_source_new_seconds (3600);
  g_source_attach (slow_wakeup.sentinel, context);
  g_atomic_pointer_set (&slow_wakeup.context, context);

  g_main_context_push_thread_default (context);
  aio_thread_pool_run_async (pool, return_forty_two, NULL, NULL, NULL, note_outcome, &outcomes);
  /* Awake throughout: the completion is seen without the wake-up. */
  while (outcomes.completed < 1)
    g_main_context_iteration (context, FALSE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_atomic_int_set (&slow_wakeup.caller_is_done, TRUE);

  deadline = hold_up_deadline (10);
  while (!g_atomic_int_get (&slow_wakeup.is_over) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_true (g_atomic_int_get (&slow_wakeup.is_over));
  g_assert_true (slow_wakeup.context_survived);
  g_assert_cmpint (outcomes.succeeded, ==, 1);

  /* The worker drops the context last, after the wake-up: only once it
   * has been finalized may this thread drop the source, which would
   * otherwise lock a context going away under it. It must not leak. */
  while (g_atomic_pointer_get (&slow_wakeup.sentinel->context) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_null (g_atomic_pointer_get (&slow_wakeup.sentinel->context));
  g_clear_pointer (&slow_wakeup.sentinel, g_source_unref);
  outcomes_clear (&outcomes);
}

/* A call submitted with a cancellable connects its handler, which can run
 * (cancelled on another thread, here on the submitter's own) before
 * g_cancellable_connect() has returned the handler's id. If the cancelled
 * call were handed back then, a thread running the caller's context could
 * free it, id slot included, before the submitter stored the id. */
static struct
{
  GCancellable *cancellable;    /* cancelled inside its next connect */
  int          *completed;      /* the callbacks that ran */
  gboolean      completed_before_connect_returned;
} slow_connect;

gulong
g_cancellable_connect (GCancellable   *cancellable,
                       GCallback       callback,
                       gpointer        data,
                       GDestroyNotify  data_destroy_func)
{
  static gulong (*real_connect) (GCancellable *, GCallback, gpointer, GDestroyNotify);
  gulong id;

  if (real_connect == NULL)
    real_connect = (gulong (*) (GCancellable *, GCallback, gpointer, GDestroyNotify))
      dlsym (RTLD_NEXT, "g_cancellable_connect");

  id = real_connect (cancellable, callback, data, data_destroy_func);
  if (cancellable != NULL && g_atomic_pointer_compare_and_exchange (&slow_connect.cancellable, cancellable, NULL))
    {
      gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 5;

      g_cancellable_cancel (cancellable);
      while (g_atomic_int_get (slow_connect.completed) == 0 && g_get_monotonic_time () < deadline)
        g_usleep (1000);
      slow_connect.completed_before_connect_returned = g_atomic_int_get (slow_connect.completed) > 0;
    }

  return id;
}

typedef struct
{
  AioThreadPool *pool;
  GCancellable  *cancellable;
  Call          *call;
  Outcomes      *outcomes;
} Submission;

/* From a thread with no context of its own: the call completes in the
 * default context, which the test's main thread runs. */
static gpointer
submit_from_plain_thread (gpointer user_data)
{
  Submission *submission = user_data;

  aio_thread_pool_run_async (submission->pool, wait_at_gate, submission->call, call_free,
                             submission->cancellable, note_outcome, submission->outcomes);

  return NULL;
}

static void
test_cancel_during_connect_hands_back_after_it (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Gate *gate = gate_new ();
  Outcomes outcomes;
  int frees = 0;
  Submission submission = { pool, cancellable, call_new (gate, 0, &frees), &outcomes };
  GThread *submitter;

  outcomes_init (&outcomes);
  slow_connect.completed = &outcomes.completed;
  g_atomic_pointer_set (&slow_connect.cancellable, cancellable);
  submitter = g_thread_new ("submitter", submit_from_plain_thread, &submission);
  iterate_until (&outcomes.completed, 1);
  g_thread_join (submitter);

  g_assert_null (slow_connect.cancellable);
  g_assert_false (slow_connect.completed_before_connect_returned);
  g_assert_error (outcomes.last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (gate->runs, ==, 0);
  g_assert_cmpint (frees, ==, 1);
  outcomes_clear (&outcomes);
  gate_free (gate);
}

/* aio_thread_pool_submit(): the C fast path. Its outcomes are noted as
 * note_outcome() notes run_async's, plus the order against the data's
 * release, the context it ran in and, per call, how often it ran. */
typedef struct
{
  Outcomes      outcomes;
  int           frees_at_done;   /* the free count seen by the last done */
  int          *frees;
  GMainContext *context;         /* the last done's thread-default context */
} SubmitOutcomes;

static void
submit_outcomes_init (SubmitOutcomes *submitted,
                      int            *frees)
{
  memset (submitted, 0, sizeof *submitted);
  outcomes_init (&submitted->outcomes);
  submitted->frees = frees;
}

static void
note_done (GValue       *value,
           const GError *error,
           gpointer      user_data)
{
  SubmitOutcomes *submitted = user_data;
  Outcomes *outcomes = &submitted->outcomes;

  /* Exactly one of the two. */
  g_assert_true ((value == NULL) != (error == NULL));
  outcomes->completed++;
  outcomes->callback_thread = g_thread_self ();
  submitted->context = g_main_context_get_thread_default ();
  if (submitted->frees != NULL)
    submitted->frees_at_done = *submitted->frees;
  if (error != NULL)
    {
      g_clear_error (&outcomes->last_error);
      outcomes->last_error = g_error_copy (error);
      return;
    }

  outcomes->succeeded++;
  if (G_VALUE_HOLDS_INT (value))
    {
      int number = g_value_get_int (value);

      g_array_append_val (outcomes->numbers, number);
    }
}

static void
test_submit_returns_value_in_callers_context (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  g_autoptr(GMainContext) context = g_main_context_new ();
  Gate *gate = gate_new ();
  SubmitOutcomes submitted;
  int frees = 0;

  submit_outcomes_init (&submitted, &frees);
  gate_open (gate);
  g_main_context_push_thread_default (context);
  aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, 42, &frees), call_free, NULL,
                          note_done, &submitted);
  /* Never called back from inside the submitting call. */
  g_assert_cmpint (submitted.outcomes.completed, ==, 0);
  while (submitted.outcomes.completed < 1)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  g_assert_cmpint (submitted.outcomes.succeeded, ==, 1);
  g_assert_cmpint (g_array_index (submitted.outcomes.numbers, int, 0), ==, 42);
  g_assert_true (submitted.outcomes.callback_thread == g_thread_self ());
  g_assert_true (submitted.context == context);
  /* The data is released first, in the same context. */
  g_assert_cmpint (submitted.frees_at_done, ==, 1);
  outcomes_clear (&submitted.outcomes);
  gate_free (gate);
}

/* What the context's poll function saw: when it was first asked to sleep,
 * which opens the gate of the call the test waits for. */
static struct
{
  Gate   *gate;
  gint64  first_sleep;
} poll_record;

static gint
record_poll (GPollFD *fds,
             guint    n_fds,
             gint     timeout)
{
  if (timeout != 0 && poll_record.first_sleep == 0)
    {
      poll_record.first_sleep = g_get_monotonic_time ();
      gate_open (poll_record.gate);
    }

  return g_poll (fds, n_fds, timeout);
}

/* A call handed to the pool keeps its context polling without sleeping for
 * a moment (200 us), so that a quick result does not wait for the wake-up
 * of an idle processor; a call that takes longer lets it sleep. */
static void
test_submit_context_polls_briefly_before_it_sleeps (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(GMainContext) context = g_main_context_new ();
  Gate *gate = gate_new ();
  SubmitOutcomes submitted;
  int frees = 0;
  gint64 submitted_at;

  submit_outcomes_init (&submitted, &frees);
  poll_record.gate = gate;
  poll_record.first_sleep = 0;
  g_main_context_set_poll_func (context, record_poll);
  g_main_context_push_thread_default (context);
  aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, 7, &frees), call_free, NULL,
                          note_done, &submitted);
  submitted_at = g_get_monotonic_time ();
  while (submitted.outcomes.completed < 1)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  g_assert_cmpint (submitted.outcomes.succeeded, ==, 1);
  /* It slept only once the window had passed with the call still running
   * (the gate opens at the first sleep). */
  g_assert_cmpint (poll_record.first_sleep, !=, 0);
  g_test_message ("slept after %" G_GINT64_FORMAT " us", poll_record.first_sleep - submitted_at);
  g_assert_cmpint (poll_record.first_sleep - submitted_at, >=, 200);
  outcomes_clear (&submitted.outcomes);
  gate_free (gate);
}

static void
test_submit_error_is_propagated (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  SubmitOutcomes submitted;

  submit_outcomes_init (&submitted, NULL);
  aio_thread_pool_submit (pool, fail_not_found, NULL, NULL, NULL, note_done, &submitted);
  iterate_until (&submitted.outcomes.completed, 1);
  g_assert_error (submitted.outcomes.last_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  /* A silent FALSE is never a result. */
  aio_thread_pool_submit (pool, fail_silently, NULL, NULL, NULL, note_done, &submitted);
  iterate_until (&submitted.outcomes.completed, 2);
  g_assert_error (submitted.outcomes.last_error, AIO_ERROR, AIO_ERROR_FAILED);
  g_assert_cmpint (submitted.outcomes.succeeded, ==, 0);
  outcomes_clear (&submitted.outcomes);
}

static void
expect_unset_value (GValue       *value,
                    const GError *error,
                    gpointer      user_data)
{
  g_assert_no_error (error);
  g_assert_nonnull (value);
  g_assert_false (G_IS_VALUE (value));
  (*(int *) user_data)++;
}

static gboolean
return_string (GCancellable  *cancellable,
               GValue        *result,
               gpointer       user_data,
               GError       **error)
{
  g_value_init (result, G_TYPE_STRING);
  g_value_set_string (result, user_data);
  return TRUE;
}

/* Takes the value over without a copy, as the documentation allows. */
static void
move_value (GValue       *value,
            const GError *error,
            gpointer      user_data)
{
  GValue *kept = user_data;

  g_assert_no_error (error);
  *kept = *value;
  *value = (GValue) G_VALUE_INIT;
}

static void
test_submit_without_result_or_moved_result (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  GValue kept = G_VALUE_INIT;
  int completed = 0;

  aio_thread_pool_submit (pool, return_nothing, NULL, NULL, NULL, expect_unset_value, &completed);
  iterate_until (&completed, 1);

  aio_thread_pool_submit (pool, return_string, "moved", NULL, NULL, move_value, &kept);
  while (!G_IS_VALUE (&kept))
    g_main_context_iteration (NULL, TRUE);
  /* Not freed by the pool: valgrind and ASan would see it. */
  g_assert_cmpstr (g_value_get_string (&kept), ==, "moved");
  g_value_unset (&kept);

  /* Without a done function the call still runs and is released. */
  aio_thread_pool_submit (pool, return_forty_two, NULL, NULL, NULL, NULL, NULL);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
}

static void
test_submit_cancel_before_start_never_runs (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Gate *gate = gate_new ();
  SubmitOutcomes submitted;
  int frees = 0;

  submit_outcomes_init (&submitted, &frees);
  g_cancellable_cancel (cancellable);
  aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, 0, &frees), call_free, cancellable,
                          note_done, &submitted);
  g_assert_cmpint (submitted.outcomes.completed, ==, 0);
  iterate_until (&submitted.outcomes.completed, 1);

  g_assert_error (submitted.outcomes.last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (gate->runs, ==, 0);
  g_assert_cmpint (submitted.frees_at_done, ==, 1);
  outcomes_clear (&submitted.outcomes);
  gate_free (gate);
}

static void
test_submit_cancel_queued_call_completes_at_once (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Gate *gate = gate_new ();
  SubmitOutcomes blocker, queued;
  int frees = 0;

  submit_outcomes_init (&blocker, &frees);
  submit_outcomes_init (&queued, &frees);
  aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, 0, &frees), call_free, NULL,
                          note_done, &blocker);
  aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, 1, &frees), call_free, cancellable,
                          note_done, &queued);
  wait_for_running (gate, 1);

  g_cancellable_cancel (cancellable);
  /* Completes while the only worker is still blocked. */
  iterate_until (&queued.outcomes.completed, 1);
  g_assert_error (queued.outcomes.last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (blocker.outcomes.completed, ==, 0);
  g_assert_cmpint (frees, ==, 1);
  g_assert_cmpuint (aio_executor_pool_get_queued (AIO_EXECUTOR_POOL (pool)), ==, 0);

  gate_open (gate);
  iterate_until (&blocker.outcomes.completed, 1);
  g_assert_cmpint (blocker.outcomes.succeeded, ==, 1);
  /* Let the worker take the cancelled call off the queue and drop it. */
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  g_assert_cmpint (gate->runs, ==, 1);
  g_assert_cmpint (frees, ==, 2);
  g_assert_cmpint (queued.outcomes.completed, ==, 1);

  outcomes_clear (&blocker.outcomes);
  outcomes_clear (&queued.outcomes);
  gate_free (gate);
}

static void
test_submit_cancel_running_call_sees_cancellable (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Gate *gate = gate_new ();
  SubmitOutcomes submitted;

  submit_outcomes_init (&submitted, NULL);
  aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, 0, NULL), call_free, cancellable,
                          note_done, &submitted);
  wait_for_running (gate, 1);
  g_cancellable_cancel (cancellable);
  iterate_until (&submitted.outcomes.completed, 1);

  g_assert_true (gate->saw_cancel);
  g_assert_error (submitted.outcomes.last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  outcomes_clear (&submitted.outcomes);
  gate_free (gate);
}

static void
test_submit_shutdown_fails_queued_calls (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  Gate *gate = gate_new ();
  SubmitOutcomes running, queued, after;
  int frees = 0;

  submit_outcomes_init (&running, &frees);
  submit_outcomes_init (&queued, &frees);
  submit_outcomes_init (&after, &frees);
  aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, 0, &frees), call_free, NULL,
                          note_done, &running);
  for (int i = 1; i <= 3; i++)
    aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, i, &frees), call_free, NULL,
                            note_done, &queued);
  wait_for_running (gate, 1);

  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), FALSE);
  aio_thread_pool_submit (pool, wait_at_gate, call_new (gate, 4, &frees), call_free, NULL,
                          note_done, &after);
  g_assert_cmpint (after.outcomes.completed, ==, 0);
  gate_open (gate);
  iterate_until (&running.outcomes.completed, 1);
  iterate_until (&queued.outcomes.completed, 3);
  iterate_until (&after.outcomes.completed, 1);

  /* The running call finished; the queued ones and the late one never ran. */
  g_assert_cmpint (running.outcomes.succeeded, ==, 1);
  g_assert_cmpint (queued.outcomes.succeeded, ==, 0);
  g_assert_error (queued.outcomes.last_error, AIO_ERROR, AIO_ERROR_SHUT_DOWN);
  g_assert_error (after.outcomes.last_error, AIO_ERROR, AIO_ERROR_SHUT_DOWN);
  g_assert_cmpint (gate->runs, ==, 1);
  g_assert_cmpint (frees, ==, 5);
  outcomes_clear (&running.outcomes);
  outcomes_clear (&queued.outcomes);
  outcomes_clear (&after.outcomes);
  gate_free (gate);
}

#define N_RACING_CALLS 2000

/* Each racing call counts its own done calls. */
static void
count_done (GValue       *value,
            const GError *error,
            gpointer      user_data)
{
  (*(int *) user_data)++;
}

static gboolean
run_until_cancelled_briefly (GCancellable  *cancellable,
                             GValue        *result,
                             gpointer       user_data,
                             GError       **error)
{
  for (int i = 0; i < 5 && !g_cancellable_is_cancelled (cancellable); i++)
    g_thread_yield ();
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* Cancels calls in a random order while the workers go through them, so
 * that some are cancelled in the queue, some while they run, some once they
 * have finished; then cancels them all. */
static gpointer
cancel_all (gpointer data)
{
  GCancellable **cancellables = data;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (int i = 0; i < N_RACING_CALLS; i++)
    {
      g_cancellable_cancel (cancellables[g_rand_int_range (rand, 0, N_RACING_CALLS)]);
      if (i % 4 == 0)
        g_thread_yield ();
    }
  for (int i = 0; i < N_RACING_CALLS; i++)
    g_cancellable_cancel (cancellables[i]);
  return NULL;
}

static void
test_submit_done_runs_exactly_once_under_cancellation (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (4);
  GCancellable *cancellables[N_RACING_CALLS];
  int *done_counts = g_new0 (int, N_RACING_CALLS);
  int completed = 0;
  GThread *canceller;

  for (int i = 0; i < N_RACING_CALLS; i++)
    {
      cancellables[i] = g_cancellable_new ();
      aio_thread_pool_submit (pool, run_until_cancelled_briefly, NULL, NULL, cancellables[i],
                              count_done, &done_counts[i]);
    }
  canceller = g_thread_new ("canceller", cancel_all, cancellables);
  while (completed < N_RACING_CALLS)
    {
      g_main_context_iteration (NULL, TRUE);
      completed = 0;
      for (int i = 0; i < N_RACING_CALLS; i++)
        completed += done_counts[i] > 0;
    }
  g_thread_join (canceller);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  for (int i = 0; i < N_RACING_CALLS; i++)
    {
      g_assert_cmpint (done_counts[i], ==, 1);
      g_object_unref (cancellables[i]);
    }
  g_assert_cmpuint (aio_executor_pool_get_queued (AIO_EXECUTOR_POOL (pool)), ==, 0);
  g_free (done_counts);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/thread-pool/run/returns-value-in-callers-context", test_run_returns_value_in_callers_context);
  g_test_add_func ("/thread-pool/run/delivers-in-private-context", test_run_in_private_context);
  g_test_add_func ("/thread-pool/run/error-is-propagated-never-silent", test_run_error_is_propagated);
  g_test_add_func ("/thread-pool/run/no-result-is-a-null-pointer", test_run_without_result_gives_null_pointer);
  g_test_add_func ("/thread-pool/threads/one-call-starts-one-thread", test_threads_one_call_starts_one_thread);
  g_test_add_func ("/thread-pool/threads/at-most-max-workers", test_threads_at_most_max_workers);
  g_test_add_func ("/thread-pool/queue/is-fifo", test_queue_is_fifo);
  g_test_add_func ("/thread-pool/cancel/queued-call-never-runs-and-completes-at-once", test_cancel_queued_call_never_runs);
  g_test_add_func ("/thread-pool/cancel/running-call-sees-cancellable", test_cancel_running_call_sees_cancellable);
  g_test_add_func ("/thread-pool/cancel/already-cancelled-never-runs", test_cancel_before_submit_never_runs);
  g_test_add_func ("/thread-pool/shutdown/without-wait-fails-queued-calls", test_shutdown_without_wait_fails_queued_calls);
  g_test_add_func ("/thread-pool/shutdown/with-wait-drains", test_shutdown_with_wait_drains);
  g_test_add_func ("/thread-pool/shutdown/use-fails-until-initialized", test_shutdown_then_use_fails_until_initialized);
  g_test_add_func ("/thread-pool/initialize/again-lets-old-calls-finish", test_initialize_again_lets_old_calls_finish);
  g_test_add_func ("/thread-pool/shutdown/waiting-from-own-function-fails-the-call",
                   test_shutdown_waiting_from_own_function_fails_the_call);
  g_test_add_func ("/thread-pool/default/restarts-lazily-keeping-size", test_default_restarts_lazily_keeping_size);
  g_test_add_func ("/thread-pool/bad-input/null-func-is-a-programmer-error", test_bad_input_null_func_is_a_programmer_error);
  g_test_add_func ("/thread-pool/finalize/with-calls-in-flight-completes-them", test_finalize_with_calls_in_flight);
  g_test_add_func ("/thread-pool/notify/counters-in-owner-context", test_counters_are_notified_in_owner_context);
  g_test_add_func ("/thread-pool/notify/counter-changes-wake-only-who-hears-them",
                   test_counter_changes_wake_only_who_hears_them);
  g_test_add_func ("/thread-pool/job/runs-a-thread-call", test_job_runs_a_thread_call);
  g_test_add_func ("/thread-pool/job/cancel-queued-call-never-runs-and-completes-at-once",
                   test_job_cancel_queued_call_never_runs);
  g_test_add_func ("/thread-pool/job/cancel-running-call-sees-cancellable",
                   test_job_cancel_running_call_sees_cancellable);
  g_test_add_func ("/thread-pool/job/cancellable-asked-before-start", test_job_cancellable_asked_before_start);
  g_test_add_func ("/thread-pool/job/cancel-races-with-completion", test_job_cancel_races_with_completion);
  g_test_add_func ("/thread-pool/job/cancellables-recycled-across-threads",
                   test_job_cancellables_recycled_across_threads);
  g_test_add_func ("/thread-pool/batch/many-calls-all-complete", test_many_calls_all_complete);
  g_test_add_func ("/thread-pool/bad-input/foreign-pool-kind-is-a-programmer-error",
                   test_bad_input_foreign_pool_kind_is_a_programmer_error);
  g_test_add_func ("/thread-pool/bad-input/negative-max-workers-is-a-programmer-error",
                   test_bad_input_negative_max_workers_is_a_programmer_error);
  g_test_add_func ("/thread-pool/threads/n-calls-start-n-threads", test_threads_n_calls_start_n_threads);
  g_test_add_func ("/thread-pool/run/owner-thread-gets-callbacks-and-frees-data",
                   test_run_owner_thread_gets_callbacks_and_frees_data);
  g_test_add_func ("/thread-pool/result/kept-after-callback-stays-valid", test_result_kept_after_callback_stays_valid);
  g_test_add_func ("/thread-pool/result/weak-refs-and-data-are-released", test_result_weak_refs_and_data_are_released);
  g_test_add_func ("/thread-pool/race/completion-wakeup-keeps-the-context-alive",
                   test_completion_wakeup_keeps_the_context_alive);
  g_test_add_func ("/thread-pool/race/cancel-during-connect-hands-back-after-it",
                   test_cancel_during_connect_hands_back_after_it);

  g_test_add_func ("/thread-pool/submit/context-polls-briefly-before-it-sleeps",
                   test_submit_context_polls_briefly_before_it_sleeps);
  g_test_add_func ("/thread-pool/submit/returns-value-in-callers-context-after-freeing-data",
                   test_submit_returns_value_in_callers_context);
  g_test_add_func ("/thread-pool/submit/error-is-propagated-never-silent", test_submit_error_is_propagated);
  g_test_add_func ("/thread-pool/submit/no-result-is-unset-and-a-result-can-be-moved",
                   test_submit_without_result_or_moved_result);
  g_test_add_func ("/thread-pool/submit/already-cancelled-never-runs", test_submit_cancel_before_start_never_runs);
  g_test_add_func ("/thread-pool/submit/cancel-queued-call-completes-at-once",
                   test_submit_cancel_queued_call_completes_at_once);
  g_test_add_func ("/thread-pool/submit/running-call-sees-cancellable", test_submit_cancel_running_call_sees_cancellable);
  g_test_add_func ("/thread-pool/submit/shutdown-fails-queued-calls", test_submit_shutdown_fails_queued_calls);
  g_test_add_func ("/thread-pool/submit/done-runs-exactly-once-under-cancellation",
                   test_submit_done_runs_exactly_once_under_cancellation);

  return g_test_run ();
}
