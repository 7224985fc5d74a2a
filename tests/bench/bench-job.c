/* bench-job.c: the cost of the main-loop core against raw GLib
 *
 * - yield: one aio_yield_async() round trip vs one raw idle source
 * - job: one AioJob created, run and read vs one raw GTask created,
 *   returned and dispatched
 *
 * Each figure is the median of several rounds, measured against its
 * baseline in the same run, and printed as
 * `BENCH <name> <value> <unit> baseline=<value> ratio=<value>`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#define ROUNDS 7

typedef struct
{
  guint remaining;
} Chain;

static gboolean
idle_step (gpointer user_data)
{
  Chain *chain = user_data;

  if (--chain->remaining > 0)
    g_idle_add_full (G_PRIORITY_DEFAULT, idle_step, chain, NULL);

  return G_SOURCE_REMOVE;
}

static void
yield_step (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Chain *chain = user_data;

  aio_yield_finish (result, NULL);
  if (--chain->remaining > 0)
    aio_yield_async (NULL, yield_step, chain);
}

static void task_step (GObject *source_object, GAsyncResult *result, gpointer user_data);

static void
start_task (Chain *chain)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, task_step, chain);

  g_task_return_boolean (task, TRUE);
}

static void
task_step (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Chain *chain = user_data;

  g_task_propagate_boolean (G_TASK (result), NULL);
  if (--chain->remaining > 0)
    start_task (chain);
}

static void job_step (GObject *source_object, GAsyncResult *result, gpointer user_data);

static void
return_now (AioJob       *job,
            GCancellable *cancellable,
            gpointer      user_data)
{
  aio_job_return_value (job, NULL);
}

static void
start_job (Chain *chain)
{
  g_autoptr(AioJob) job = aio_job_new (return_now, NULL, NULL);

  aio_job_run_async (job, NULL, job_step, chain);
}

static void
job_step (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Chain *chain = user_data;

  aio_job_run_finish (AIO_JOB (source_object), result, NULL);
  if (--chain->remaining > 0)
    start_job (chain);
}

typedef void (*StartFunc) (Chain *chain);

static void
start_idle (Chain *chain)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, idle_step, chain, NULL);
}

static void
start_yield (Chain *chain)
{
  aio_yield_async (NULL, yield_step, chain);
}

/* Nanoseconds per step of a chain of @steps sequential round trips. */
static double
time_chain (StartFunc start,
            guint     steps)
{
  Chain chain = { steps };
  gint64 begin = g_get_monotonic_time ();

  start (&chain);
  while (chain.remaining > 0)
    g_main_context_iteration (NULL, TRUE);

  return (g_get_monotonic_time () - begin) * 1000.0 / steps;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median_ns (StartFunc start,
           guint     steps)
{
  double samples[ROUNDS];

  for (guint i = 0; i < ROUNDS; i++)
    samples[i] = time_chain (start, steps);
  qsort (samples, ROUNDS, sizeof samples[0], compare_doubles);

  return samples[ROUNDS / 2];
}

static void
report (const char *name,
        StartFunc   measured,
        StartFunc   baseline,
        guint       steps)
{
  double baseline_ns = median_ns (baseline, steps);
  double measured_ns = median_ns (measured, steps);

  g_print ("BENCH %s %.1f ns baseline=%.1f ratio=%.2f\n",
           name, measured_ns, baseline_ns, measured_ns / baseline_ns);
}

int
main (int   argc,
      char *argv[])
{
  guint steps = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;

  report ("yield-round-trip-vs-idle-source", start_yield, start_idle, steps);
  report ("job-round-trip-vs-gtask", start_job, start_task, steps);

  return 0;
}
