/* test-job.c: AioJob behaviour
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#include "timeout-here.h"

typedef struct
{
  guint         starts;
  guint         frees;
  GThread      *free_thread;
  GCancellable *seen_cancellable;
} Counters;

static void
counters_note_free (gpointer data)
{
  Counters *counters = data;

  counters->frees++;
  counters->free_thread = g_thread_self ();
}

static void
return_int_now (AioJob       *job,
                GCancellable *cancellable,
                gpointer      user_data)
{
  Counters *counters = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  counters->starts++;
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 42);
  aio_job_return_value (job, &value);
}

static gboolean
return_string_later_cb (gpointer user_data)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_static_string (&value, "later");
  aio_job_return_value (user_data, &value);

  return G_SOURCE_REMOVE;
}

static void
return_string_later (AioJob       *job,
                     GCancellable *cancellable,
                     gpointer      user_data)
{
  add_timeout_here (10, return_string_later_cb, job);
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
wait_for_job (AioJob       *job,
              GCancellable *cancellable)
{
  GAsyncResult *result = NULL;

  aio_job_run_async (job, cancellable, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return result;
}

static void
test_job_value_arrives_later (void)
{
  g_autoptr(AioJob) job = aio_job_new (return_string_later, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  const GValue *value = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (aio_job_get_state (job), ==, AIO_JOB_STATE_PENDING);
  result = wait_for_job (job, NULL);
  g_assert_true ((value = aio_job_run_finish (job, result, &error)));
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (value), ==, "later");
  g_assert_cmpint (aio_job_get_state (job), ==, AIO_JOB_STATE_SUCCEEDED);
}

/* @result, handed to a run_async() callback with @result_slot as user
 * data, finishes with the job's value. */
static void
assert_run_result_reads_later (AioJob        *job,
                               GAsyncResult  *result,
                               GAsyncResult **result_slot)
{
  g_autoptr(GError) error = NULL;
  const GValue *value = aio_job_run_finish (job, result, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (value), ==, "later");
  g_assert_true (g_async_result_get_user_data (result) == result_slot);
  g_assert_true (g_async_result_is_tagged (result, aio_job_run_async));
}

/* Without a cancellable, one wait's callback gets the job itself as its
 * result (no GTask, and in a binding no wrapper for one, per await); any
 * other wait gets a result of its own. Both finish, and the job, its own
 * result's source object, holds no reference on itself. */
static void
test_job_one_wait_gets_the_job_as_result (void)
{
  AioJob *job = aio_job_new (return_string_later, NULL, NULL);
  GAsyncResult *first = NULL;
  GAsyncResult *second = NULL;
  GAsyncResult *own;
  g_autoptr(GObject) source = NULL;

  g_object_add_weak_pointer ((GObject *) job, (gpointer *) &job);
  aio_job_run_async (job, NULL, store_result, &first);
  aio_job_run_async (job, NULL, store_result, &second);
  while (first == NULL || second == NULL)
    g_main_context_iteration (NULL, TRUE);

  own = first == (GAsyncResult *) job ? first : second;
  g_assert_true (own == (GAsyncResult *) job);
  g_assert_true (G_IS_TASK (own == first ? second : first));
  source = g_async_result_get_source_object (own);
  g_assert_true (source == (GObject *) job);
  g_clear_object (&source);
  assert_run_result_reads_later (job, first, &first);
  assert_run_result_reads_later (job, second, &second);
  g_assert_true (aio_job_run_finish (job, own, NULL) != NULL);

  g_object_unref (first);
  g_object_unref (second);
  g_object_unref (job);
  g_assert_null (job);
}

/* A failed job handed as its own result raises its error at the finish. */
static void
test_job_own_result_carries_the_error (void)
{
  g_autoptr(GError) gone = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_autoptr(AioJob) job = aio_job_new_for_error (gone);
  g_autoptr(GAsyncResult) result = wait_for_job (job, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (result == (GAsyncResult *) job);
  g_assert_null (aio_job_run_finish (job, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_job_starts_lazily_and_once (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (return_int_now, &counters, counters_note_free);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  const GValue *value = NULL;

  g_assert_cmpuint (counters.starts, ==, 0);
  first = wait_for_job (job, NULL);
  aio_job_start (job);
  second = wait_for_job (job, NULL);

  g_assert_cmpuint (counters.starts, ==, 1);
  g_assert_cmpuint (counters.frees, ==, 1);
  g_assert_true ((value = aio_job_run_finish (job, second, NULL)));
  g_assert_cmpint (g_value_get_int (value), ==, 42);
}

static void
test_job_callback_is_never_synchronous (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (return_int_now, &counters, NULL);
  g_autoptr(GAsyncResult) result = NULL;

  aio_job_run_async (job, NULL, store_result, &result);
  g_assert_cmpuint (counters.starts, ==, 1);
  g_assert_null (result);

  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

typedef struct
{
  AioJob       *job;
  GAsyncResult *result;
  gboolean      was_called_back_in_dispatch;
} DispatchProbe;

static gboolean
run_completing_job_in_dispatch (gpointer user_data)
{
  DispatchProbe *probe = user_data;

  aio_job_run_async (probe->job, NULL, store_result, &probe->result);
  g_assert_null (probe->result);

  return G_SOURCE_REMOVE;
}

/* Also from inside a dispatch of the caller's context, a job that
 * completes while it starts calls back later. */
static void
test_job_callback_is_never_synchronous_in_dispatch (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (return_int_now, &counters, NULL);
  DispatchProbe probe = { .job = job };

  g_idle_add (run_completing_job_in_dispatch, &probe);
  while (probe.result == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (counters.starts, ==, 1);
  g_clear_object (&probe.result);
}

static gboolean
return_and_look_for_callback (gpointer user_data)
{
  DispatchProbe *probe = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  aio_job_return_value (probe->job, &value);
  probe->was_called_back_in_dispatch = probe->result != NULL;

  return G_SOURCE_REMOVE;
}

static void
keep_running (AioJob       *job,
              GCancellable *cancellable,
              gpointer      user_data)
{
}

/* A job completed in a later dispatch of the waiter's context calls the
 * run_async() callback in that very dispatch, as a GTask does: no further
 * iteration, and no poll, per await. */
static void
test_job_callback_comes_in_the_completing_dispatch (void)
{
  g_autoptr(AioJob) job = aio_job_new (keep_running, NULL, NULL);
  DispatchProbe probe = { .job = job };

  aio_job_run_async (job, NULL, store_result, &probe.result);
  g_idle_add (return_and_look_for_callback, &probe);
  while (probe.result == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (probe.was_called_back_in_dispatch);
  g_clear_object (&probe.result);
}

static void
fail_now (AioJob       *job,
          GCancellable *cancellable,
          gpointer      user_data)
{
  aio_job_return_error_literal (job, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "nothing here");
}

static void
test_job_error_is_raised_only_when_read (void)
{
  g_autoptr(AioJob) job = aio_job_new (fail_now, NULL, NULL);
  g_autoptr(GError) first = NULL;
  g_autoptr(GError) second = NULL;
  const GValue *value = NULL;

  aio_job_start (job);
  while (!aio_job_is_completed (job))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (aio_job_get_state (job), ==, AIO_JOB_STATE_FAILED);

  g_assert_false ((value = aio_job_propagate_value (job, &first)));
  g_assert_error (first, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (first->message, ==, "nothing here");

  g_assert_false (aio_job_propagate_value (job, &second));
  g_assert_error (second, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
free_counted (gpointer data)
{
  (*(guint *) data)++;
}

static void
return_pointer_now (AioJob       *job,
                    GCancellable *cancellable,
                    gpointer      user_data)
{
  aio_job_return_pointer (job, user_data, free_counted);
}

static void
test_job_pointer_result_is_freed_with_the_job (void)
{
  guint frees = 0;
  AioJob *job = aio_job_new (return_pointer_now, &frees, NULL);
  const GValue *value = NULL;

  g_assert_true ((value = aio_job_run_sync (job, NULL, NULL)));
  g_assert_true (aio_job_propagate_pointer (job, NULL) == &frees);
  g_assert_true (G_VALUE_HOLDS_POINTER (value));
  g_assert_true (g_value_get_pointer (value) == &frees);
  g_assert_cmpuint (frees, ==, 0);

  g_object_unref (job);
  g_assert_cmpuint (frees, ==, 1);
}

static gpointer
return_from_thread (gpointer user_data)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_usleep (2000);
  g_value_init (&value, G_TYPE_UINT64);
  g_value_set_uint64 (&value, G_MAXUINT64);
  aio_job_return_value (user_data, &value);
  g_object_unref (user_data);

  return NULL;
}

static void
start_thread (AioJob       *job,
              GCancellable *cancellable,
              gpointer      user_data)
{
  g_thread_unref (g_thread_new ("returner", return_from_thread, g_object_ref (job)));
}

static void
note_callback_thread (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GThread **thread = user_data;

  *thread = g_thread_self ();
}

static void
test_job_thread_return_arrives_in_callers_context (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (start_thread, &counters, counters_note_free);
  GThread *callback_thread = NULL;
  const GValue *value = NULL;

  aio_job_run_async (job, NULL, note_callback_thread, &callback_thread);
  while (callback_thread == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (callback_thread == g_thread_self ());
  g_assert_cmpuint (counters.frees, ==, 1);
  g_assert_true (counters.free_thread == g_thread_self ());
  g_assert_true ((value = aio_job_propagate_value (job, NULL)));
  g_assert_cmpuint (g_value_get_uint64 (value), ==, G_MAXUINT64);
}

typedef struct
{
  AioJob   *job;
  GThread  *callback_thread;
  gboolean  done;
} ThreadWaiter;

static void
thread_waiter_done (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  ThreadWaiter *waiter = user_data;
  const GValue *value = NULL;

  g_assert_true ((value = aio_job_run_finish (waiter->job, result, NULL)));
  g_assert_cmpstr (g_value_get_string (value), ==, "later");
  waiter->callback_thread = g_thread_self ();
  waiter->done = TRUE;
}

static gpointer
thread_waiter_run (gpointer user_data)
{
  ThreadWaiter *waiter = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  aio_job_run_async (waiter->job, NULL, thread_waiter_done, waiter);
  while (!waiter->done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  return NULL;
}

static void
test_job_each_waiter_is_called_in_its_own_context (void)
{
  g_autoptr(AioJob) job = aio_job_new (return_string_later, NULL, NULL);
  ThreadWaiter waiter = { .job = job };
  g_autoptr(GAsyncResult) result = NULL;
  GThread *thread;

  aio_job_start (job);
  thread = g_thread_new ("waiter", thread_waiter_run, &waiter);
  result = wait_for_job (job, NULL);
  g_thread_join (thread);

  g_assert_true (waiter.callback_thread == thread);
}

/* @job, cancelled before its function ran, completes cancelled and its
 * function never runs. */
static void
assert_cancelled_without_running (AioJob   *job,
                                  Counters *counters)
{
  g_autoptr(GAsyncResult) result = wait_for_job (job, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (aio_job_run_finish (job, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (counters->starts, ==, 0);
}

static void
test_job_cancelled_before_start_never_runs (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (return_int_now, &counters, NULL);

  aio_job_cancel (job);
  assert_cancelled_without_running (job, &counters);
}

static void
note_cancellable (GCancellable *cancellable,
                  gpointer      user_data)
{
  aio_job_return_error_literal (user_data, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
}

static void
wait_for_cancel (AioJob       *job,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  Counters *counters = user_data;

  counters->starts++;
  counters->seen_cancellable = cancellable;
  g_cancellable_connect (cancellable, G_CALLBACK (note_cancellable), job, NULL);
}

static void
test_job_cancelling_a_wait_cancels_the_job (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (wait_for_cancel, &counters, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) cancelled_wait = NULL;
  g_autoptr(GAsyncResult) plain_wait = NULL;
  g_autoptr(GError) error = NULL;

  aio_job_run_async (job, cancellable, store_result, &cancelled_wait);
  aio_job_run_async (job, NULL, store_result, &plain_wait);
  g_assert_cmpuint (counters.starts, ==, 1);
  g_assert_true (counters.seen_cancellable == aio_job_get_cancellable (job));

  g_cancellable_cancel (cancellable);
  while (cancelled_wait == NULL || plain_wait == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_false (aio_job_run_finish (job, cancelled_wait, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* The other waiter sees what the job function reported. */
  g_assert_false (aio_job_run_finish (job, plain_wait, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "stopped");
}

static void
test_job_already_cancelled_wait_does_not_start (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (return_int_now, &counters, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  result = wait_for_job (job, cancellable);
  g_assert_false (aio_job_run_finish (job, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (counters.starts, ==, 0);
  g_assert_cmpint (aio_job_get_state (job), ==, AIO_JOB_STATE_PENDING);
}

static void
query_info_async (gpointer             user_data,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             callback_data)
{
  g_file_query_info_async (user_data, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT,
                           cancellable, callback, callback_data);
}

static void
test_job_wraps_an_async_finish_pair (void)
{
  g_autoptr(GFile) present = g_file_new_for_path ("/");
  g_autoptr(GFile) missing = g_file_new_for_path ("/no/such/aioext/file");
  g_autoptr(AioJob) found = aio_job_new_for_async (query_info_async,
                                                   (AioJobFinishFunc) g_file_query_info_finish,
                                                   g_object_unref,
                                                   g_object_ref (present), g_object_unref);
  g_autoptr(AioJob) not_found = aio_job_new_for_async (query_info_async,
                                                       (AioJobFinishFunc) g_file_query_info_finish,
                                                       g_object_unref,
                                                       g_object_ref (missing), g_object_unref);
  g_autoptr(GError) error = NULL;
  GFileInfo *info;

  g_assert_true (aio_job_run_sync (found, NULL, &error));
  g_assert_no_error (error);
  info = aio_job_propagate_pointer (found, &error);
  g_assert_true (G_IS_FILE_INFO (info));
  g_assert_cmpint (g_file_info_get_file_type (info), ==, G_FILE_TYPE_DIRECTORY);

  g_assert_false (aio_job_run_sync (not_found, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_job_for_value_and_error_are_completed (void)
{
  g_auto(GValue) input = G_VALUE_INIT;
  const GValue *output = NULL;
  g_autoptr(GError) error = g_error_new_literal (AIO_ERROR, AIO_ERROR_CLOSED, "closed");
  g_autoptr(GError) read_error = NULL;
  g_autoptr(AioJob) succeeded = NULL;
  g_autoptr(AioJob) failed = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_value_init (&input, G_TYPE_DOUBLE);
  g_value_set_double (&input, 0.5);
  succeeded = aio_job_new_for_value (&input);
  failed = aio_job_new_for_error (error);

  g_assert_cmpint (aio_job_get_state (succeeded), ==, AIO_JOB_STATE_SUCCEEDED);
  g_assert_cmpint (aio_job_get_state (failed), ==, AIO_JOB_STATE_FAILED);

  result = wait_for_job (succeeded, NULL);
  g_assert_true ((output = aio_job_run_finish (succeeded, result, NULL)));
  g_assert_cmpfloat (g_value_get_double (output), ==, 0.5);
  g_assert_false (aio_job_propagate_value (failed, &read_error));
  g_assert_error (read_error, AIO_ERROR, AIO_ERROR_CLOSED);
}

static void
test_job_second_return_is_a_programmer_error (void)
{
  g_autoptr(AioJob) job = aio_job_new (fail_now, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (aio_job_run_sync (job, NULL, &error));
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*already returned*");
  aio_job_return_error_literal (job, G_IO_ERROR, G_IO_ERROR_FAILED, "again");
  g_test_assert_expected_messages ();

  g_clear_error (&error);
  g_assert_false (aio_job_propagate_value (job, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_job_state_changes_are_notified (void)
{
  g_autoptr(AioJob) job = aio_job_new (return_string_later, NULL, NULL);
  guint notifications = 0;

  g_signal_connect (job, "notify::state", G_CALLBACK (count_notify), &notifications);
  g_assert_true (aio_job_run_sync (job, NULL, NULL));
  g_assert_cmpuint (notifications, ==, 2);
}

static void
test_job_without_function_fails_cleanly (void)
{
  g_autoptr(AioJob) job = g_object_new (AIO_TYPE_JOB, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (aio_job_run_sync (job, NULL, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
}

static void
fail_to_start (AioJob        *job,
               GCancellable  *cancellable,
               gpointer       user_data,
               GError       **error)
{
  Counters *counters = user_data;

  counters->starts++;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such page");
}

static void
return_later_fallibly (AioJob        *job,
                       GCancellable  *cancellable,
                       gpointer       user_data,
                       GError       **error)
{
  add_timeout_here (10, return_string_later_cb, job);
}

static void
return_then_fail (AioJob        *job,
                  GCancellable  *cancellable,
                  gpointer       user_data,
                  GError       **error)
{
  return_int_now (job, cancellable, user_data);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "too late");
}

static void
test_job_fallible_error_completes_the_job (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new_fallible (fail_to_start, &counters, counters_note_free);
  g_autoptr(GError) error = NULL;

  g_assert_null (aio_job_run_sync (job, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such page");
  g_assert_cmpuint (counters.starts, ==, 1);
  g_assert_cmpuint (counters.frees, ==, 1);
}

static void
test_job_fallible_without_error_completes_later (void)
{
  g_autoptr(AioJob) job = aio_job_new_fallible (return_later_fallibly, NULL, NULL);
  const GValue *value = aio_job_run_sync (job, NULL, NULL);

  g_assert_nonnull (value);
  g_assert_cmpstr (g_value_get_string (value), ==, "later");
}

static void
test_job_fallible_error_after_return_keeps_the_outcome (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new_fallible (return_then_fail, &counters, NULL);
  const GValue *value;

  g_test_expect_message ("Aio", G_LOG_LEVEL_WARNING, "*after it had completed the job: too late");
  value = aio_job_run_sync (job, NULL, NULL);
  g_test_assert_expected_messages ();
  g_assert_nonnull (value);
  g_assert_cmpint (g_value_get_int (value), ==, 42);
}

/* aio_job_schedule(): the function runs on the loop, not in the call. */
static void
test_job_schedule_starts_on_the_next_iteration (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (return_int_now, &counters, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  aio_job_schedule (job);
  g_assert_cmpuint (counters.starts, ==, 0);
  g_assert_cmpint (aio_job_get_state (job), ==, AIO_JOB_STATE_RUNNING);

  /* Already started: neither start nor a wait runs it again, nor now. */
  aio_job_start (job);
  aio_job_schedule (job);
  g_assert_cmpuint (counters.starts, ==, 0);

  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (counters.starts, ==, 1);
  result = wait_for_job (job, NULL);
  g_assert_cmpint (g_value_get_int (aio_job_run_finish (job, result, &error)), ==, 42);
  g_assert_no_error (error);
  g_assert_cmpuint (counters.starts, ==, 1);
}

static void
test_job_schedule_then_cancel_never_runs (void)
{
  Counters counters = { 0 };
  g_autoptr(AioJob) job = aio_job_new (return_int_now, &counters, NULL);

  aio_job_schedule (job);
  aio_job_cancel (job);
  assert_cancelled_without_running (job, &counters);
}

/* Cancelling a wait_async() ends that wait alone: the job goes on, and
 * another waiter gets its real outcome. */
static void
test_job_cancelling_a_wait_leaves_the_job_running (void)
{
  g_autoptr(AioJob) job = aio_job_new (return_string_later, NULL, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) dropped_wait = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  aio_job_schedule (job);
  aio_job_wait_async (job, cancellable, store_result, &dropped_wait);
  g_cancellable_cancel (cancellable);
  while (dropped_wait == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (aio_job_wait_finish (job, dropped_wait, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (aio_job_get_state (job), ==, AIO_JOB_STATE_RUNNING);
  g_assert_false (g_cancellable_is_cancelled (aio_job_get_cancellable (job)));

  result = wait_for_job (job, NULL);
  g_assert_cmpstr (g_value_get_string (aio_job_run_finish (job, result, &error)), ==, "later");
  g_assert_no_error (error);
}

/* Like the future of aioextensions' schedule(): the wait tells that the
 * job is done, its outcome is read from the job. */
static void
test_job_wait_succeeds_whatever_the_outcome (void)
{
  g_autoptr(AioJob) job = aio_job_new (fail_now, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  aio_job_wait_async (job, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (aio_job_wait_finish (job, result, &error));
  g_assert_no_error (error);
  g_assert_null (aio_job_propagate_value (job, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

/* A completed job hands its cancellable back for the next job of its
 * thread, but never one its function left a handler on: the next job
 * would inherit that handler, and cancelling it would call a stranger. */
static void
count_cancellation (GCancellable *cancellable,
                    gpointer      user_data)
{
  (*(guint *) user_data)++;
}

typedef struct
{
  GCancellable *seen;
  guint         cancellations;
} Listener;

static void
listen_and_return_now (AioJob       *job,
                       GCancellable *cancellable,
                       gpointer      user_data)
{
  Listener *listener = user_data;

  listener->seen = cancellable;
  g_signal_connect (cancellable, "cancelled", G_CALLBACK (count_cancellation), &listener->cancellations);
  aio_job_return_value (job, NULL);
}

static void
note_cancellable_and_return_now (AioJob       *job,
                                 GCancellable *cancellable,
                                 gpointer      user_data)
{
  *(GCancellable **) user_data = cancellable;
  aio_job_return_value (job, NULL);
}

static void
test_job_cancellable_with_a_handler_is_never_recycled (void)
{
  Listener listener = { NULL, 0 };
  GCancellable *next_seen = NULL;
  AioJob *first = aio_job_new (listen_and_return_now, &listener, NULL);
  g_autoptr(AioJob) next = NULL;

  g_object_add_weak_pointer (G_OBJECT (first), (gpointer *) &first);
  aio_job_start (first);
  while (!aio_job_is_completed (first))
    g_main_context_iteration (NULL, TRUE);
  /* The listener holds no reference: only its handler keeps it in use. */
  g_object_ref (listener.seen);
  g_object_unref (first);
  g_assert_null (first);

  next = aio_job_new (note_cancellable_and_return_now, &next_seen, NULL);
  aio_job_start (next);
  while (!aio_job_is_completed (next))
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (next_seen != listener.seen);
  aio_job_cancel (next);
  g_assert_cmpuint (listener.cancellations, ==, 0);
  g_object_unref (listener.seen);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/job/value/arrives-later", test_job_value_arrives_later);
  g_test_add_func ("/job/cancellable/with-a-handler-is-never-recycled",
                   test_job_cancellable_with_a_handler_is_never_recycled);
  g_test_add_func ("/job/run/one-wait-gets-the-job-as-result", test_job_one_wait_gets_the_job_as_result);
  g_test_add_func ("/job/run/own-result-carries-the-error", test_job_own_result_carries_the_error);
  g_test_add_func ("/job/start/is-lazy-and-happens-once", test_job_starts_lazily_and_once);
  g_test_add_func ("/job/callback/is-never-synchronous", test_job_callback_is_never_synchronous);
  g_test_add_func ("/job/callback/is-never-synchronous-in-dispatch", test_job_callback_is_never_synchronous_in_dispatch);
  g_test_add_func ("/job/callback/comes-in-the-completing-dispatch", test_job_callback_comes_in_the_completing_dispatch);
  g_test_add_func ("/job/error/is-raised-only-when-read", test_job_error_is_raised_only_when_read);
  g_test_add_func ("/job/pointer/is-freed-with-the-job", test_job_pointer_result_is_freed_with_the_job);
  g_test_add_func ("/job/thread-return/arrives-in-callers-context", test_job_thread_return_arrives_in_callers_context);
  g_test_add_func ("/job/waiters/each-called-in-own-context", test_job_each_waiter_is_called_in_its_own_context);
  g_test_add_func ("/job/cancel/before-start-never-runs", test_job_cancelled_before_start_never_runs);
  g_test_add_func ("/job/cancel/wait-cancels-the-job", test_job_cancelling_a_wait_cancels_the_job);
  g_test_add_func ("/job/schedule/starts-on-the-next-iteration", test_job_schedule_starts_on_the_next_iteration);
  g_test_add_func ("/job/schedule/then-cancel-never-runs", test_job_schedule_then_cancel_never_runs);
  g_test_add_func ("/job/wait/cancelling-it-leaves-the-job-running", test_job_cancelling_a_wait_leaves_the_job_running);
  g_test_add_func ("/job/wait/succeeds-whatever-the-outcome", test_job_wait_succeeds_whatever_the_outcome);
  g_test_add_func ("/job/cancel/already-cancelled-wait-does-not-start", test_job_already_cancelled_wait_does_not_start);
  g_test_add_func ("/job/async-pair/is-wrapped", test_job_wraps_an_async_finish_pair);
  g_test_add_func ("/job/completed/for-value-and-error", test_job_for_value_and_error_are_completed);
  g_test_add_func ("/job/return/twice-is-a-programmer-error", test_job_second_return_is_a_programmer_error);
  g_test_add_func ("/job/start/without-function-fails-cleanly", test_job_without_function_fails_cleanly);
  g_test_add_func ("/job/state/changes-are-notified", test_job_state_changes_are_notified);
  g_test_add_func ("/job/fallible/error-completes-the-job", test_job_fallible_error_completes_the_job);
  g_test_add_func ("/job/fallible/without-error-completes-later", test_job_fallible_without_error_completes_later);
  g_test_add_func ("/job/fallible/error-after-return-keeps-the-outcome", test_job_fallible_error_after_return_keeps_the_outcome);

  return g_test_run ();
}
