/* test-main.c: aio_run(), the sync bridge, yield and CPU cores
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#include "timeout-here.h"

static gboolean
return_int_later_cb (gpointer user_data)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 7);
  aio_job_return_value (user_data, &value);

  return G_SOURCE_REMOVE;
}

static void
return_int_later (AioJob       *job,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  add_timeout_here (5, return_int_later_cb, job);
}

static void
fail_now (AioJob       *job,
          GCancellable *cancellable,
          gpointer      user_data)
{
  aio_job_return_error_literal (job, AIO_ERROR, AIO_ERROR_TIMED_OUT, "too slow");
}

static void
test_run_returns_the_value (void)
{
  g_autoptr(AioJob) job = aio_job_new (return_int_later, NULL, NULL);
  const GValue *value = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true ((value = aio_run (job, &error)));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 7);
}

static void
test_run_returns_the_error (void)
{
  g_autoptr(AioJob) job = aio_job_new (fail_now, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (aio_run (job, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_TIMED_OUT);
}

static void
test_run_leaves_no_global_state (void)
{
  g_autoptr(AioJob) job = aio_job_new (return_int_later, NULL, NULL);
  GMainContext *before = g_main_context_get_thread_default ();

  g_assert_true (aio_run (job, NULL));

  g_assert_true (g_main_context_get_thread_default () == before);
  g_assert_false (g_main_context_is_owner (g_main_context_default ()));
}

/* A job completed once both a g_timeout_add() and a g_idle_add() source
 * of the global default context fired; a guard in the run's context fails
 * it instead if they never do, so that a run that ignores the default
 * context fails rather than hangs. */
typedef struct
{
  AioJob *job;
  guint   guard;
  guint   sources_left;
} GlobalTimeout;

static gboolean
global_source_fired (gpointer user_data)
{
  GlobalTimeout *state = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  if (--state->sources_left > 0)
    return G_SOURCE_REMOVE;

  g_source_remove (state->guard);
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 7);
  aio_job_return_value (state->job, &value);

  return G_SOURCE_REMOVE;
}

static gboolean
global_timeout_never_fired (gpointer user_data)
{
  aio_job_return_error_literal (user_data, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                "the global default context's sources never fired");

  return G_SOURCE_REMOVE;
}

static void
return_from_global_timeout (AioJob       *job,
                            GCancellable *cancellable,
                            gpointer      user_data)
{
  GlobalTimeout *state = user_data;
  GSource *guard = g_timeout_source_new_seconds (10);

  state->job = job;
  g_source_set_callback (guard, global_timeout_never_fired, job, NULL);
  state->guard = g_source_attach (guard, g_main_context_get_thread_default ());
  g_source_unref (guard);
  state->sources_left = 2;
  g_timeout_add (1, global_source_fired, state);
  g_idle_add (global_source_fired, state);
}

static void
test_run_dispatches_the_default_contexts_sources (void)
{
  GlobalTimeout state = { 0 };
  g_autoptr(AioJob) job = aio_job_new (return_from_global_timeout, &state, NULL);
  const GValue *value = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (g_main_context_get_thread_default ());
  value = aio_run (job, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 7);
  g_assert_cmpuint (state.sources_left, ==, 0);
}

/* While the main thread runs the global default context, a worker's
 * aio_run() cannot iterate it: it runs a context of its own, and works. */
static gpointer
run_on_a_worker (gpointer user_data)
{
  g_autoptr(AioJob) job = aio_job_new (return_int_later, NULL, NULL);
  const GValue *value = aio_run (job, NULL);

  return GINT_TO_POINTER (value != NULL ? g_value_get_int (value) : -1);
}

static void
test_run_on_a_worker_while_the_default_context_is_busy (void)
{
  GThread *worker;

  g_assert_true (g_main_context_acquire (g_main_context_default ()));
  worker = g_thread_new ("run-on-a-worker", run_on_a_worker, NULL);
  g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (worker)), ==, 7);
  g_main_context_release (g_main_context_default ());
}

typedef struct
{
  AioJob *background;
  guint   cancelled;
} Leftover;

static void
background_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  Leftover *leftover = user_data;

  leftover->cancelled++;
  aio_job_return_error_literal (leftover->background, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
}

static void
wait_until_cancelled (AioJob       *job,
                      GCancellable *cancellable,
                      gpointer      user_data)
{
  g_cancellable_connect (cancellable, G_CALLBACK (background_cancelled), user_data, NULL);
}

static void
start_background_then_return (AioJob       *job,
                              GCancellable *cancellable,
                              gpointer      user_data)
{
  Leftover *leftover = user_data;

  leftover->background = aio_job_new (wait_until_cancelled, leftover, NULL);
  aio_job_start (leftover->background);
  aio_job_return_value (job, NULL);
}

static void
test_run_cancels_leftover_jobs (void)
{
  Leftover leftover = { 0 };
  g_autoptr(AioJob) job = aio_job_new (start_background_then_return, &leftover, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (aio_run (job, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (leftover.cancelled, ==, 1);
  g_assert_cmpint (aio_job_get_state (leftover.background), ==, AIO_JOB_STATE_FAILED);
  g_assert_false (aio_job_propagate_value (leftover.background, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref (leftover.background);
}

static void
run_again (AioJob       *job,
           GCancellable *cancellable,
           gpointer      user_data)
{
  g_autoptr(AioJob) inner = aio_job_new (return_int_later, NULL, NULL);
  GError *error = NULL;

  if (aio_run (inner, &error))
    aio_job_return_value (job, NULL);
  else
    aio_job_return_error (job, error);
}

static void
test_run_inside_run_is_an_error (void)
{
  g_autoptr(AioJob) job = aio_job_new (run_again, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (aio_run (job, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_RECURSIVE_RUN);
}

static void
run_sync_inside (AioJob       *job,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  g_autoptr(AioJob) inner = aio_job_new (return_int_later, NULL, NULL);
  const GValue *value = NULL;
  GError *error = NULL;

  if ((value = aio_job_run_sync (inner, NULL, &error)))
    aio_job_return_value (job, value);
  else
    aio_job_return_error (job, error);
}

static void
test_run_sync_works_inside_run (void)
{
  g_autoptr(AioJob) job = aio_job_new (run_sync_inside, NULL, NULL);
  const GValue *value = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true ((value = aio_run (job, &error)));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 7);
}

typedef struct
{
  GMainLoop *loop;
  gboolean   outer_source_ran;
  gboolean   outer_ran_during_bridge;
  int        bridged_value;
} Bridge;

static gboolean
bridge_from_callback (gpointer user_data)
{
  Bridge *bridge = user_data;
  g_autoptr(AioJob) job = aio_job_new (return_int_later, NULL, NULL);
  const GValue *value = NULL;

  g_assert_true ((value = aio_job_run_sync (job, NULL, NULL)));
  bridge->bridged_value = g_value_get_int (value);
  bridge->outer_ran_during_bridge = bridge->outer_source_ran;
  g_main_loop_quit (bridge->loop);

  return G_SOURCE_REMOVE;
}

static gboolean
note_outer_source (gpointer user_data)
{
  Bridge *bridge = user_data;

  bridge->outer_source_ran = TRUE;

  return G_SOURCE_REMOVE;
}

static void
test_run_sync_does_not_dispatch_callers_sources (void)
{
  Bridge bridge = { .loop = g_main_loop_new (NULL, FALSE) };

  g_idle_add_full (G_PRIORITY_HIGH, bridge_from_callback, &bridge, NULL);
  g_idle_add_full (G_PRIORITY_DEFAULT, note_outer_source, &bridge, NULL);
  g_main_loop_run (bridge.loop);

  g_assert_cmpint (bridge.bridged_value, ==, 7);
  g_assert_false (bridge.outer_ran_during_bridge);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_true (bridge.outer_source_ran);
  g_main_loop_unref (bridge.loop);
}

static void
test_run_sync_cancellable_stops_the_wait (void)
{
  g_autoptr(AioJob) job = aio_job_new (wait_until_cancelled, &(Leftover) { 0 }, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (aio_job_run_sync (job, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

typedef struct
{
  GString *order;
  gboolean done;
} YieldOrder;

static gboolean
append_idle (gpointer user_data)
{
  YieldOrder *order = user_data;

  g_string_append (order->order, "idle ");

  return G_SOURCE_REMOVE;
}

static void
append_yielded (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  YieldOrder *order = user_data;

  g_assert_true (aio_yield_finish (result, NULL));
  g_string_append (order->order, "yielded ");
  order->done = TRUE;
}

static void
test_yield_lets_ready_sources_run_first (void)
{
  YieldOrder order = { g_string_new (NULL), FALSE };

  g_idle_add_full (G_PRIORITY_DEFAULT, append_idle, &order, NULL);
  aio_yield_async (NULL, append_yielded, &order);
  g_string_append (order.order, "called ");
  while (!order.done)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpstr (order.order->str, ==, "called idle yielded ");
  g_string_free (order.order, TRUE);
}

static void
store_result (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_yield_can_be_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  aio_yield_async (cancellable, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_false (aio_yield_finish (result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_cpu_cores_matches_the_system (void)
{
  g_assert_cmpuint (aio_get_cpu_cores (), >=, 1);
  g_assert_cmpuint (aio_get_cpu_cores (), ==, g_get_num_processors ());
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/run/returns-the-value", test_run_returns_the_value);
  g_test_add_func ("/run/returns-the-error", test_run_returns_the_error);
  g_test_add_func ("/run/leaves-no-global-state", test_run_leaves_no_global_state);
  g_test_add_func ("/run/dispatches-the-default-contexts-sources", test_run_dispatches_the_default_contexts_sources);
  g_test_add_func ("/run/on-a-worker-while-the-default-context-is-busy",
                   test_run_on_a_worker_while_the_default_context_is_busy);
  g_test_add_func ("/run/cancels-leftover-jobs", test_run_cancels_leftover_jobs);
  g_test_add_func ("/run/inside-run-is-an-error", test_run_inside_run_is_an_error);
  g_test_add_func ("/run-sync/works-inside-run", test_run_sync_works_inside_run);
  g_test_add_func ("/run-sync/does-not-dispatch-callers-sources", test_run_sync_does_not_dispatch_callers_sources);
  g_test_add_func ("/run-sync/cancellable-stops-the-wait", test_run_sync_cancellable_stops_the_wait);
  g_test_add_func ("/yield/lets-ready-sources-run-first", test_yield_lets_ready_sources_run_first);
  g_test_add_func ("/yield/can-be-cancelled", test_yield_can_be_cancelled);
  g_test_add_func ("/cpu-cores/matches-the-system", test_cpu_cores_matches_the_system);

  return g_test_run ();
}
