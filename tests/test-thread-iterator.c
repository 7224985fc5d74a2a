/* test-thread-iterator.c: AioThreadIterator behaviour
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>

#include <aioext.h>

typedef struct
{
  int      next;
  int      limit;
  int      fail_at;     /* -1: never */
  int      total;       /* the sum of the values sent */
  GThread *main_thread;
  gboolean *freed;
} Counter;

static Counter *
counter_new (int       limit,
             int       fail_at,
             gboolean *freed)
{
  Counter *counter = g_new0 (Counter, 1);

  counter->limit = limit;
  counter->fail_at = fail_at;
  counter->main_thread = g_thread_self ();
  counter->freed = freed;

  return counter;
}

/* The producer's cleanup runs on a worker thread, like its steps. */
static void
counter_free (gpointer data)
{
  Counter *counter = data;

  g_assert_true (g_thread_self () != counter->main_thread);
  if (counter->freed != NULL)
    g_atomic_int_set (counter->freed, TRUE);
  g_free (counter);
}

/* Produces 0, 1, ... limit - 1; when values are sent, produces the running
 * total of what was sent instead. */
static gboolean
count_up (GCancellable  *cancellable,
          const GValue  *sent,
          GValue        *item,
          gpointer       user_data,
          GError       **error)
{
  Counter *counter = user_data;

  g_assert_true (g_thread_self () != counter->main_thread);

  if (counter->next == counter->fail_at)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "failed at %d", counter->next);
      return FALSE;
    }
  if (counter->next == counter->limit)
    return TRUE;

  g_value_init (item, G_TYPE_INT);
  if (sent != NULL)
    {
      counter->total += g_value_get_int (sent);
      g_value_set_int (item, counter->total);
    }
  else
    g_value_set_int (item, counter->next);
  counter->next++;

  return TRUE;
}

typedef struct
{
  gboolean  is_done;
  GValue   *item;
  GError   *error;
} Step;

static void
step_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Step *step = user_data;

  step->item = aio_thread_iterator_next_finish (AIO_THREAD_ITERATOR (source_object), result, &step->error);
  step->is_done = TRUE;
}

static void
free_value (GValue *value)
{
  g_boxed_free (G_TYPE_VALUE, value);
}

static void
step_clear (Step *step)
{
  g_clear_pointer (&step->item, free_value);
  g_clear_error (&step->error);
  step->is_done = FALSE;
}

static void
wait_step (Step *step)
{
  while (!step->is_done)
    g_main_context_iteration (NULL, TRUE);
}

static void
next (AioThreadIterator *iterator,
      GCancellable      *cancellable,
      Step              *step)
{
  step_clear (step);
  aio_thread_iterator_next_async (iterator, cancellable, step_done, step);
  g_assert_false (step->is_done);
  wait_step (step);
}

static void
send_int (AioThreadIterator *iterator,
          int                number,
          Step              *step)
{
  g_auto(GValue) value = G_VALUE_INIT;

  step_clear (step);
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, number);
  aio_thread_iterator_send_async (iterator, &value, NULL, step_done, step);
  wait_step (step);
}

static void
test_items_then_end (void)
{
  gboolean freed = FALSE;
  g_autoptr(AioThreadIterator) iterator =
    aio_thread_iterator_new (NULL, count_up, counter_new (3, -1, &freed), counter_free);
  Step step = { 0 };

  for (int i = 0; i < 3; i++)
    {
      next (iterator, NULL, &step);
      g_assert_no_error (step.error);
      g_assert_cmpint (g_value_get_int (step.item), ==, i);
    }
  g_assert_false (aio_thread_iterator_is_finished (iterator));

  next (iterator, NULL, &step);
  g_assert_no_error (step.error);
  g_assert_null (step.item);
  g_assert_true (aio_thread_iterator_is_finished (iterator));
  g_assert_true (g_atomic_int_get (&freed));

  /* The end stays the end. */
  next (iterator, NULL, &step);
  g_assert_no_error (step.error);
  g_assert_null (step.item);
  step_clear (&step);
}

static void
test_error_ends_stream (void)
{
  gboolean freed = FALSE;
  g_autoptr(AioThreadIterator) iterator =
    aio_thread_iterator_new (NULL, count_up, counter_new (10, 1, &freed), counter_free);
  Step step = { 0 };

  next (iterator, NULL, &step);
  g_assert_cmpint (g_value_get_int (step.item), ==, 0);
  next (iterator, NULL, &step);
  g_assert_error (step.error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (step.error->message, ==, "failed at 1");
  g_assert_true (aio_thread_iterator_is_finished (iterator));
  g_assert_true (g_atomic_int_get (&freed));

  next (iterator, NULL, &step);
  g_assert_no_error (step.error);
  g_assert_null (step.item);
  step_clear (&step);
}

static void
test_send_passes_value_to_producer (void)
{
  g_autoptr(AioThreadIterator) iterator =
    aio_thread_iterator_new (NULL, count_up, counter_new (10, -1, NULL), counter_free);
  Step step = { 0 };

  send_int (iterator, 5, &step);
  g_assert_cmpint (g_value_get_int (step.item), ==, 5);
  send_int (iterator, 7, &step);
  g_assert_cmpint (g_value_get_int (step.item), ==, 12);
  /* next() sends nothing. */
  next (iterator, NULL, &step);
  g_assert_cmpint (g_value_get_int (step.item), ==, 2);
  step_clear (&step);
}

static void
test_cancelled_step_leaves_iterator_usable (void)
{
  g_autoptr(AioThreadIterator) iterator =
    aio_thread_iterator_new (NULL, count_up, counter_new (10, -1, NULL), counter_free);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Step step = { 0 };

  g_cancellable_cancel (cancellable);
  next (iterator, cancellable, &step);
  g_assert_error (step.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (aio_thread_iterator_is_finished (iterator));

  next (iterator, NULL, &step);
  g_assert_no_error (step.error);
  g_assert_cmpint (g_value_get_int (step.item), ==, 0);
  step_clear (&step);
}

static void
test_second_step_while_busy_fails (void)
{
  g_autoptr(AioThreadIterator) iterator =
    aio_thread_iterator_new (NULL, count_up, counter_new (10, -1, NULL), counter_free);
  Step first = { 0 }, second = { 0 };

  aio_thread_iterator_next_async (iterator, NULL, step_done, &first);
  aio_thread_iterator_next_async (iterator, NULL, step_done, &second);
  wait_step (&first);
  wait_step (&second);

  g_assert_cmpint (g_value_get_int (first.item), ==, 0);
  g_assert_error (second.error, AIO_ERROR, AIO_ERROR_BUSY);
  step_clear (&first);
  step_clear (&second);
}

/* The seed's example: scan a directory from a blocking iterator. */
static gboolean
next_entry (GCancellable  *cancellable,
            const GValue  *sent,
            GValue        *item,
            gpointer       user_data,
            GError       **error)
{
  GError *local_error = NULL;
  GFileInfo *info = g_file_enumerator_next_file (user_data, cancellable, &local_error);

  if (info == NULL)
    {
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, local_error);
      return FALSE;
    }

  g_value_init (item, G_TYPE_STRING);
  g_value_set_string (item, g_file_info_get_name (info));
  g_object_unref (info);

  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

static void
test_directory_scan (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_dir_make_tmp ("aio-scan-XXXXXX", &error);
  g_autoptr(GFile) directory = NULL;
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(AioThreadIterator) iterator = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *expected[] = { "a.txt", "b.txt", "c.txt" };
  Step step = { 0 };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *file = g_build_filename (path, expected[i], NULL);

      g_file_set_contents (file, "x", 1, &error);
      g_assert_no_error (error);
    }

  directory = g_file_new_for_path (path);
  enumerator = g_file_enumerate_children (directory, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                          G_FILE_QUERY_INFO_NONE, NULL, &error);
  g_assert_no_error (error);
  iterator = aio_thread_iterator_new (NULL, next_entry, g_object_ref (enumerator), g_object_unref);

  for (next (iterator, NULL, &step); step.item != NULL; next (iterator, NULL, &step))
    g_ptr_array_add (names, g_value_dup_string (step.item));
  g_assert_no_error (step.error);

  g_ptr_array_sort (names, compare_strings);
  g_assert_cmpuint (names->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *file = g_build_filename (path, expected[i], NULL);

      g_assert_cmpstr (g_ptr_array_index (names, i), ==, expected[i]);
      g_unlink (file);
    }
  g_rmdir (path);
  step_clear (&step);
}

static void
test_null_func_is_a_programmer_error (void)
{
  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*func != NULL*");
  g_assert_null (aio_thread_iterator_new (NULL, NULL, NULL, NULL));
  g_test_assert_expected_messages ();
}

static void
close_done (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Step *step = user_data;

  if (aio_thread_iterator_close_finish (AIO_THREAD_ITERATOR (source_object), result, &step->error))
    step->item = NULL;
  step->is_done = TRUE;
}

static void
test_close_runs_the_cleanup_on_a_worker (void)
{
  gboolean freed = FALSE;
  g_autoptr(AioThreadIterator) iterator =
    aio_thread_iterator_new (NULL, count_up, counter_new (10, -1, &freed), counter_free);
  Step step = { 0 };

  next (iterator, NULL, &step);
  g_assert_cmpint (g_value_get_int (step.item), ==, 0);
  step_clear (&step);

  aio_thread_iterator_close_async (iterator, NULL, close_done, &step);
  g_assert_false (step.is_done);
  wait_step (&step);
  g_assert_no_error (step.error);
  g_assert_true (g_atomic_int_get (&freed));
  g_assert_true (aio_thread_iterator_is_finished (iterator));

  /* Closed: the end at once; closing again succeeds. */
  next (iterator, NULL, &step);
  g_assert_no_error (step.error);
  g_assert_null (step.item);
  step_clear (&step);
  aio_thread_iterator_close_async (iterator, NULL, close_done, &step);
  wait_step (&step);
  g_assert_no_error (step.error);
  step_clear (&step);
}

static void
test_close_while_a_step_runs_fails (void)
{
  g_autoptr(AioThreadIterator) iterator =
    aio_thread_iterator_new (NULL, count_up, counter_new (10, -1, NULL), counter_free);
  Step first = { 0 }, closing = { 0 };

  aio_thread_iterator_next_async (iterator, NULL, step_done, &first);
  aio_thread_iterator_close_async (iterator, NULL, close_done, &closing);
  wait_step (&first);
  wait_step (&closing);
  g_assert_cmpint (g_value_get_int (first.item), ==, 0);
  g_assert_error (closing.error, AIO_ERROR, AIO_ERROR_BUSY);
  step_clear (&first);
  step_clear (&closing);
}

static void
test_dropped_iterator_cleans_up_on_a_worker (void)
{
  gboolean freed = FALSE;
  AioThreadIterator *iterator =
    aio_thread_iterator_new (NULL, count_up, counter_new (10, -1, &freed), counter_free);
  Step step = { 0 };

  next (iterator, NULL, &step);
  step_clear (&step);
  g_object_unref (iterator);
  /* The cleanup's own hand-back wakes this context once it ran. */
  while (!g_atomic_int_get (&freed))
    g_main_context_iteration (NULL, TRUE);
}

/* Produces a NULL string, then ends. */
static gboolean
null_then_end (GCancellable  *cancellable,
               const GValue  *sent,
               GValue        *item,
               gpointer       user_data,
               GError       **error)
{
  int *steps = user_data;

  if ((*steps)++ == 0)
    g_value_init (item, G_TYPE_STRING);

  return TRUE;
}

static void
test_null_item_is_not_the_end (void)
{
  int steps = 0;
  g_autoptr(AioThreadIterator) iterator = aio_thread_iterator_new (NULL, null_then_end, &steps, NULL);
  Step step = { 0 };

  next (iterator, NULL, &step);
  g_assert_no_error (step.error);
  g_assert_nonnull (step.item);
  g_assert_null (g_value_get_string (step.item));
  g_assert_false (aio_thread_iterator_is_finished (iterator));

  next (iterator, NULL, &step);
  g_assert_no_error (step.error);
  g_assert_null (step.item);
  g_assert_true (aio_thread_iterator_is_finished (iterator));
  step_clear (&step);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/thread-iterator/next/items-then-end", test_items_then_end);
  g_test_add_func ("/thread-iterator/error/ends-the-stream", test_error_ends_stream);
  g_test_add_func ("/thread-iterator/send/passes-value-to-producer", test_send_passes_value_to_producer);
  g_test_add_func ("/thread-iterator/cancel/leaves-iterator-usable", test_cancelled_step_leaves_iterator_usable);
  g_test_add_func ("/thread-iterator/busy/second-step-fails", test_second_step_while_busy_fails);
  g_test_add_func ("/thread-iterator/close/runs-the-cleanup-on-a-worker", test_close_runs_the_cleanup_on_a_worker);
  g_test_add_func ("/thread-iterator/close/while-a-step-runs-fails", test_close_while_a_step_runs_fails);
  g_test_add_func ("/thread-iterator/close/dropped-iterator-cleans-up-on-a-worker",
                   test_dropped_iterator_cleans_up_on_a_worker);
  g_test_add_func ("/thread-iterator/next/null-item-is-not-the-end", test_null_item_is_not_the_end);
  g_test_add_func ("/thread-iterator/example/directory-scan", test_directory_scan);
  g_test_add_func ("/thread-iterator/bad-input/null-func", test_null_func_is_a_programmer_error);

  return g_test_run ();
}
