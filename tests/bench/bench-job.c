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

#include "bench-common.h"

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

static void job_step (GObject *source_object, GAsyncResult *result, gpointer user_data);

static void
start_job (Chain *chain)
{
  g_autoptr(AioJob) job = aio_job_new (bench_return_now, NULL, NULL);

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
start_task (Chain *chain)
{
  bench_task_start (&chain->remaining);
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
  BENCH_ITERATE_WHILE (chain.remaining > 0);

  return bench_ns_per_item (begin, steps);
}

static double
median_ns (StartFunc start,
           guint     steps)
{
  double samples[ROUNDS];

  for (guint i = 0; i < ROUNDS; i++)
    samples[i] = time_chain (start, steps);

  return bench_median (samples, ROUNDS);
}

static void
report (const char *name,
        StartFunc   measured,
        StartFunc   baseline,
        guint       steps)
{
  double baseline_ns = median_ns (baseline, steps);
  double measured_ns = median_ns (measured, steps);

  bench_report (name, measured_ns, "ns", baseline_ns, 1);
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
