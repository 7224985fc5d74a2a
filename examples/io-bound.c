/* io-bound.c: the seed's IO-bound scenario in C: five tasks that each block
 * for a second (standing for a blocking read, a query, a download) run on
 * the thread pool at once, so all five take about one second while the
 * main loop stays free.
 *
 * Usage: io-bound [MILLISECONDS]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#define TASKS 5

static gboolean
block_for_a_while (GCancellable  *cancellable,
                   GValue        *result,
                   gpointer       user_data,
                   GError       **error)
{
  g_usleep (GPOINTER_TO_UINT (user_data) * 1000);
  g_value_init (result, G_TYPE_STRING);
  g_value_set_string (result, "done");

  return TRUE;
}

static void
task_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  guint *remaining = user_data;
  g_autoptr(GError) error = NULL;
  GValue *value = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, &error);

  if (value == NULL)
    g_printerr ("%s\n", error->message);
  else
    {
      g_value_unset (value);
      g_free (value);
    }
  (*remaining)--;
}

int
main (int argc, char *argv[])
{
  guint milliseconds = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1000;
  guint remaining = TASKS;
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  for (guint i = 0; i < TASKS; i++)
    aio_thread_pool_run_async (aio_thread_pool_get_default (), block_for_a_while,
                               GUINT_TO_POINTER (milliseconds), NULL, NULL, task_done, &remaining);
  while (remaining > 0)
    g_main_context_iteration (NULL, TRUE);
  elapsed = (g_get_monotonic_time () - start) / 1e6;

  g_print ("%d IO-bound tasks of %.1f s each: %.2f s in all on the thread pool\n",
           TASKS, milliseconds / 1000.0, elapsed);

  /* Generous: they ran at once, not one after another. */
  return elapsed < (TASKS - 1) * milliseconds / 1000.0 ? 0 : 1;
}
