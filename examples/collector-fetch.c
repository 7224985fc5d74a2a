/* collector-fetch.c: fetch-like jobs resolved in input order, with progress
 *
 * Twenty simulated downloads of different lengths run four at a time; the
 * results are printed in input order as soon as each one is next in line,
 * while a progress line follows the collector's counters.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#define N_PAGES 20

static gboolean
finish_fetch (gpointer user_data)
{
  AioJob *job = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  int page = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (job), "page"));

  g_value_init (&value, G_TYPE_STRING);
  g_value_take_string (&value, g_strdup_printf ("https://example.org/page/%d: %d bytes", page, 1000 + page * 37));
  aio_job_return_value (job, &value);

  return G_SOURCE_REMOVE;
}

/* Stands for any asynchronous request: it completes after a while. */
static void
start_fetch (AioJob       *job,
             GCancellable *cancellable,
             gpointer      user_data)
{
  int page = GPOINTER_TO_INT (user_data);

  g_object_set_data (G_OBJECT (job), "page", user_data);
  g_timeout_add_full (G_PRIORITY_DEFAULT, 20 + (page * 53) % 120, finish_fetch,
                      g_object_ref (job), g_object_unref);
}

static AioJob *
next_page (gpointer   user_data,
           GError   **error)
{
  int *page = user_data;

  return *page < N_PAGES ? aio_job_new (start_fetch, GINT_TO_POINTER ((*page)++), NULL) : NULL;
}

static void
print_progress (AioCollector *collector)
{
  g_print ("  [%" G_GINT64_FORMAT " started, %" G_GINT64_FORMAT " done, %" G_GINT64_FORMAT " failed]\n",
           aio_collector_get_started (collector), aio_collector_get_completed (collector),
           aio_collector_get_failed (collector));
}

static void
on_next (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  AioCollector *collector = AIO_COLLECTOR (source_object);
  GMainLoop *loop = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AioJob) job = aio_collector_next_finish (collector, result, &error);
  const GValue *value;

  if (job == NULL)
    {
      if (error != NULL)
        g_printerr ("The collection failed: %s\n", error->message);
      g_main_loop_quit (loop);
      return;
    }

  value = aio_job_propagate_value (job, &error);
  if (value != NULL)
    g_print ("%s\n", g_value_get_string (value));
  else
    g_print ("failed: %s\n", error->message);
  aio_collector_next_async (collector, NULL, on_next, loop);
}

int
main (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(AioCollector) collector = NULL;
  int page = 0;

  collector = aio_collector_new_for_producer (4, 8, AIO_COLLECTOR_POLICY_SETTLE_ALL,
                                              next_page, &page, NULL, &error);
  if (collector == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_signal_connect (collector, "notify::completed", G_CALLBACK (print_progress), NULL);

  aio_collector_next_async (collector, NULL, on_next, loop);
  g_main_loop_run (loop);

  return 0;
}
