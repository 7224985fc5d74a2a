/* test-pool-lifetime.c: a pool, a semaphore and a collector end with their
 * last reference, even when the context they were made in never runs again
 * (issue 19 item 2)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#include "process-children.h"

static GVariant *
add (GVariant      *arguments,
     GCancellable  *cancellable,
     gpointer       user_data,
     GError       **error)
{
  gint32 a, b;

  g_variant_get (arguments, "(ii)", &a, &b);

  return g_variant_new_int32 (a + b);
}

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint entries = 0;

  while (g_dir_read_name (dir) != NULL)
    entries++;

  return entries;
}

static guint
count_threads (void)
{
  return count_entries ("/proc/self/task");
}

static guint
count_fds (void)
{
  return count_entries ("/proc/self/fd");
}

static void
store_result (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Waits, without running any context, until @done holds or 10 s passed. */
static gboolean
settles_within_10_s (gboolean (*done) (gpointer),
                     gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (2000);
    }

  return TRUE;
}

typedef struct
{
  guint threads;
  guint fds;
} Baseline;

static gboolean
is_back_to_baseline (gpointer data)
{
  Baseline *baseline = data;

  return count_children (FALSE) == 0 && count_threads () <= baseline->threads && count_fds () <= baseline->fds;
}

/* The calls are made in a temporary context, iterated only until they
 * completed and never again; the counters the executor changes after that
 * queue notifications there that will never be emitted. Dropping the last
 * reference still disposes the pool: its thread, its workers and their
 * fds go with it. */
static void
test_process_pool_ends_with_its_last_reference (void)
{
  g_autoptr(GSubprocess) warm_up = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, NULL, "true", NULL);
  g_autoptr(GSubprocess) warm_up_async = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, NULL, "true", NULL);
  g_autoptr(GAsyncResult) waited = NULL;
  GMainContext *context = g_main_context_new ();
  Baseline baseline;
  AioProcessPool *pool;
  gpointer watched;

  /* GLib's own worker thread and its child-watch wake-up stay for the
   * process's life once a child was waited for (from a main loop too, as
   * the pool does: GLib from 2.76 on watches a pidfd there), and so does
   * the global default context once made: counted in the baseline. */
  g_assert_true (g_subprocess_wait (warm_up, NULL, NULL));
  g_subprocess_wait_async (warm_up_async, NULL, store_result, &waited);
  while (waited == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_subprocess_wait_finish (warm_up_async, waited, NULL));
  baseline = (Baseline) { count_threads (), count_fds () };

  g_main_context_push_thread_default (context);
  pool = aio_process_pool_new (2, NULL);
  watched = pool;
  g_object_add_weak_pointer (G_OBJECT (pool), &watched);
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GVariant) sum = NULL;
      g_autoptr(GError) error = NULL;

      aio_process_pool_call_async (pool, "add", g_variant_new ("(ii)", i, 2), NULL, store_result, &result);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
      sum = aio_process_pool_call_finish (pool, result, &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_variant_get_int32 (sum), ==, i + 2);
    }
  g_main_context_pop_thread_default (context);
  g_assert_cmpuint (count_children (FALSE), >=, 1);

  g_object_unref (pool);
  g_assert_null (watched);
  g_main_context_unref (context);
  if (!settles_within_10_s (is_back_to_baseline, &baseline))
    g_error ("Left after the last unref: %u children, %u threads (%u before), %u fds (%u before)",
             count_children (FALSE), count_threads (), baseline.threads, count_fds (), baseline.fds);
}

/* The same for a thread pool, a semaphore and a collector changed in a
 * context that never runs again. */
static void
test_other_objects_end_with_their_last_reference (void)
{
  GMainContext *context = g_main_context_new ();
  AioThreadPool *thread_pool;
  AioSemaphore *semaphore;
  AioCollector *collector;
  gpointer watched[3];

  g_main_context_push_thread_default (context);
  thread_pool = aio_thread_pool_new (1);
  semaphore = aio_semaphore_new (2);
  collector = aio_collector_new_for_jobs (NULL, 0, 1, 0, AIO_COLLECTOR_POLICY_FAIL_FAST, NULL);
  watched[0] = thread_pool;
  watched[1] = semaphore;
  watched[2] = collector;
  for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
    g_object_add_weak_pointer (watched[i], &watched[i]);
  g_main_context_pop_thread_default (context);

  /* From another context: every change is queued for the context above. */
  g_assert_true (aio_semaphore_try_acquire (semaphore, 1));
  g_assert_true (aio_semaphore_release (semaphore, 1, NULL));
  aio_executor_pool_initialize (AIO_EXECUTOR_POOL (thread_pool), 2);

  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (thread_pool), TRUE);
  g_object_unref (thread_pool);
  g_object_unref (semaphore);
  g_object_unref (collector);
  for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
    g_assert_null (watched[i]);
  g_main_context_unref (context);
}

int
main (int   argc,
      char *argv[])
{
  if (aio_worker_is_requested ())
    {
      g_autoptr(AioWorker) worker = aio_worker_new ();

      aio_worker_register (worker, "add", G_VARIANT_TYPE ("(ii)"), add, NULL, NULL);
      return aio_worker_run (worker);
    }

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pool-lifetime/process-pool/ends-with-its-last-reference",
                   test_process_pool_ends_with_its_last_reference);
  g_test_add_func ("/pool-lifetime/others/end-with-their-last-reference",
                   test_other_objects_end_with_their_last_reference);

  return g_test_run ();
}
