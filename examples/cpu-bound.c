/* cpu-bound.c: the seed's CPU-bound scenario in C: five CPU-heavy tasks,
 * first one after another, then at once on the process pool, which spreads
 * them over every core. The program is its own worker.
 *
 * Usage: cpu-bound [ITERATIONS]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#define TASKS 5

static guint64
crunch (guint32 iterations)
{
  guint64 x = 1;

  for (guint32 i = 0; i < iterations; i++)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;

  return x;
}

static GVariant *
crunch_in_worker (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  return g_variant_new_uint64 (crunch (g_variant_get_uint32 (arguments)));
}

typedef struct
{
  guint    remaining;
  guint64  checksum;
  gboolean failed;
} Progress;

static void
task_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  Progress *progress = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &error);

  if (value == NULL)
    {
      g_printerr ("%s\n", error->message);
      progress->failed = TRUE;
    }
  else
    progress->checksum ^= g_variant_get_uint64 (value);
  progress->remaining--;
}

int
main (int argc, char *argv[])
{
  g_autoptr(AioWorker) worker = aio_worker_new ();
  guint32 iterations = argc > 1 ? (guint32) g_ascii_strtoull (argv[1], NULL, 10) : 400000000;
  Progress progress = { TASKS, 0, FALSE };
  guint64 serial_checksum = 0;
  gint64 start;
  double serial_s, pool_s;

  /* First thing in main(): when the pool re-executes us, we serve. */
  aio_worker_register (worker, "crunch", G_VARIANT_TYPE_UINT32, crunch_in_worker, NULL, NULL);
  if (aio_worker_is_requested ())
    return aio_worker_run (worker);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < TASKS; i++)
    serial_checksum ^= crunch (iterations);
  serial_s = (g_get_monotonic_time () - start) / 1e6;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < TASKS; i++)
    aio_process_pool_call_async (aio_process_pool_get_default (), "crunch",
                                 g_variant_new_uint32 (iterations), NULL, task_done, &progress);
  while (progress.remaining > 0)
    g_main_context_iteration (NULL, TRUE);
  pool_s = (g_get_monotonic_time () - start) / 1e6;

  g_print ("%d CPU-bound tasks on %u cores: serial %.2f s, process pool %.2f s (%.1fx)\n",
           TASKS, aio_get_cpu_cores (), serial_s, pool_s, serial_s / pool_s);

  return progress.failed || progress.checksum != serial_checksum;
}
