/* bench-common.h: the helpers every benchmark program shares
 *
 * Medians, the BENCH line that run-benchmarks.py parses, the per-item
 * clock, the resident set size and the two trivial operations the
 * baselines are built from. Included by the programs in tests/bench/.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <aioext.h>

/* qsort() order for doubles that holds for equal values (no subtraction). */
static inline int
bench_compare_doubles (const void *a,
                       const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Medians, not means: one round slowed by the shared machine must not move
 * a figure. Sorts @values in place. */
static inline double
bench_median (double *values,
              guint   count)
{
  qsort (values, count, sizeof (double), bench_compare_doubles);

  return values[count / 2];
}

/* The one line shape run-benchmarks.py parses; @decimals suits the unit, and
 * stdout is flushed because some figures are printed by forked children. */
static inline void
bench_report (const char *name,
              double      value,
              const char *unit,
              double      baseline,
              int         decimals)
{
  printf ("BENCH %s %.*f %s baseline=%.*f ratio=%.3f\n",
          name, decimals, value, unit, decimals, baseline, value / baseline);
  fflush (stdout);
}

/* Nanoseconds per item of @count done since @begin (g_get_monotonic_time()),
 * so that every figure divides the same way. */
static inline double
bench_ns_per_item (gint64 begin,
                   guint  count)
{
  return (g_get_monotonic_time () - begin) * 1000.0 / count;
}

/* Resident set size from /proc/self/statm; signed, so that a shrinking
 * process gives a negative difference, not a huge one. */
static inline gint64
bench_resident_bytes (void)
{
  g_autofree char *text = NULL;
  unsigned long size, resident;

  if (!g_file_get_contents ("/proc/self/statm", &text, NULL, NULL) ||
      sscanf (text, "%lu %lu", &size, &resident) != 2)
    g_error ("Cannot read /proc/self/statm");

  return (gint64) resident * sysconf (_SC_PAGESIZE);
}

/* The least an AioJob can do: the figures then measure the machinery. */
static inline void
bench_return_now (AioJob       *job,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  aio_job_return_value (job, NULL);
}

static inline void bench_task_step (GObject      *source_object,
                                    GAsyncResult *result,
                                    gpointer      user_data);

/* The raw-GLib baseline of one async round trip: a GTask created, returned
 * and dispatched, again until *@remaining reaches zero. */
static inline void
bench_task_start (guint *remaining)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, bench_task_step, remaining);

  g_task_return_boolean (task, TRUE);
}

static inline void
bench_task_step (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  guint *remaining = user_data;

  g_task_propagate_boolean (G_TASK (result), NULL);
  if (--*remaining > 0)
    bench_task_start (remaining);
}
