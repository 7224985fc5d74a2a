/* semaphore-permits.c: transfers that share a budget of permits
 *
 * Eight simulated transfers share four permits, standing for a bandwidth
 * budget: a small file takes one permit, a big one up to four. Each
 * transfer waits until it can take all of its permits at once, in FIFO
 * order, so the big ones are never starved by a stream of small ones, and
 * never more than four permits are in use.
 *
 * Usage: semaphore-permits [MILLISECONDS_PER_UNIT]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include <aioext.h>

#define PERMITS 4

typedef struct
{
  const char *name;
  guint       permits;
  guint       units;    /* how long it takes, in units of time */
} Transfer;

static const Transfer transfers[] = {
  { "notes.txt",  1, 1 },
  { "video.mkv",  3, 4 },
  { "photo.jpg",  1, 2 },
  { "backup.tar", 4, 3 },
  { "song.ogg",   2, 2 },
  { "report.pdf", 1, 1 },
  { "scan.png",   2, 1 },
  { "slides.odp", 1, 2 },
};

static guint unit_ms = 200;
static guint in_use;
static guint max_in_use;
static guint n_done;
static guint n_failed;

static gboolean
finish_transfer (gpointer user_data)
{
  AioJob *job = user_data;
  const Transfer *transfer = g_object_get_data (G_OBJECT (job), "transfer");
  g_auto(GValue) value = G_VALUE_INIT;

  in_use -= transfer->permits;
  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, transfer->name);
  aio_job_return_value (job, &value);

  return G_SOURCE_REMOVE;
}

/* Runs once the semaphore granted the permits: stands for the transfer. */
static void
start_transfer (AioJob       *job,
                GCancellable *cancellable,
                gpointer      user_data)
{
  const Transfer *transfer = user_data;

  in_use += transfer->permits;
  max_in_use = MAX (max_in_use, in_use);
  g_print ("start %-10s (%u permits, %u of %u in use)\n",
           transfer->name, transfer->permits, in_use, PERMITS);

  g_object_set_data (G_OBJECT (job), "transfer", user_data);
  g_timeout_add_full (G_PRIORITY_DEFAULT, transfer->units * unit_ms, finish_transfer,
                      g_object_ref (job), g_object_unref);
}

static void
on_transferred (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GMainLoop *loop = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *name = aio_semaphore_run_job_finish (AIO_SEMAPHORE (source_object), result, &error);

  if (name != NULL)
    g_print ("done  %s\n", g_value_get_string (name));
  else
    {
      g_printerr ("A transfer failed: %s\n", error->message);
      n_failed++;
    }

  if (++n_done == G_N_ELEMENTS (transfers))
    g_main_loop_quit (loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(AioSemaphore) semaphore = aio_semaphore_new_bounded (PERMITS);

  if (argc > 1)
    unit_ms = (guint) strtoul (argv[1], NULL, 10);

  for (gsize i = 0; i < G_N_ELEMENTS (transfers); i++)
    {
      g_autoptr(AioJob) job = aio_job_new (start_transfer, (gpointer) &transfers[i], NULL);

      aio_semaphore_run_job_async (semaphore, transfers[i].permits, job, NULL, on_transferred, loop);
    }
  g_main_loop_run (loop);

  g_print ("%u transfers done; at most %u of %u permits were in use at once\n",
           n_done, max_in_use, PERMITS);
  return n_failed == 0 && max_in_use <= PERMITS ? 0 : 1;
}
