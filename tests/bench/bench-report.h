/* bench-report.h: medians, the BENCH line and the clocks every benchmark
 * program shares, aioext's and the libdex drivers' alike (no aioext here)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>

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

/* How many rounds a figure takes: @rounds, or fewer when BENCH_ROUNDS says
 * so (callgrind-ratios.py counts instructions of one round). */
static inline guint
bench_rounds (guint rounds)
{
  const char *text = g_getenv ("BENCH_ROUNDS");
  guint64 wanted = text != NULL ? g_ascii_strtoull (text, NULL, 10) : 0;

  return wanted >= 1 && wanted < rounds ? (guint) wanted : rounds;
}

typedef double (*BenchTimeFunc) (void);

#define BENCH_MAX_ROUNDS 15

/* Runs @ours and @baseline in turns, @rounds times (at most
 * BENCH_MAX_ROUNDS, fewer when BENCH_ROUNDS says so), so that both see the
 * same moments of a shared machine, and reports their medians in ns. */
static inline void
bench_report_in_turns (const char    *name,
                       BenchTimeFunc  ours,
                       BenchTimeFunc  baseline,
                       guint          rounds)
{
  double ours_ns[BENCH_MAX_ROUNDS], baseline_ns[BENCH_MAX_ROUNDS];

  rounds = bench_rounds (MIN (rounds, BENCH_MAX_ROUNDS));
  for (guint i = 0; i < rounds; i++)
    {
      baseline_ns[i] = baseline ();
      ours_ns[i] = ours ();
    }
  bench_report (name, bench_median (ours_ns, rounds), "ns", bench_median (baseline_ns, rounds), 1);
}
