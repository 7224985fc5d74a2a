/* test-io-demo.c: the seed's IO demo: five calls that each block for one
 * second complete in about one second in total, not five
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

static gboolean
sleep_one_second (GCancellable  *cancellable,
                  GValue        *result,
                  gpointer       user_data,
                  GError       **error)
{
  g_usleep (G_USEC_PER_SEC);
  return TRUE;
}

static void
note_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  int *done = user_data;
  g_autoptr(GError) error = NULL;
  GValue *value = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, &error);

  g_assert_no_error (error);
  g_boxed_free (G_TYPE_VALUE, value);
  (*done)++;
}

static void
test_five_sleeps_overlap (void)
{
  AioThreadPool *pool = aio_thread_pool_get_default ();
  gint64 start = g_get_monotonic_time ();
  int done = 0;

  for (int i = 0; i < 5; i++)
    aio_thread_pool_run_async (pool, sleep_one_second, NULL, NULL, NULL, note_done, &done);
  while (done < 5)
    g_main_context_iteration (NULL, TRUE);

  /* Serially this takes 5 s; the bound is generous for a loaded machine. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2500 * G_TIME_SPAN_MILLISECOND);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/io-demo/five-one-second-sleeps-overlap", test_five_sleeps_overlap);

  return g_test_run ();
}
