/* dex-bench.c: libdex doing what aioext's benchmarks measure, against the
 * same plain-GLib baselines (bench-baselines.h), in the same run
 *
 * Our own drivers, shaped like tests/bench/bench-*.c: the same N, the same
 * trivial work, every value read back in the main context, everything
 * freed, each figure the median of ROUNDS rounds, libdex and the baseline
 * in turns.
 *
 * - dex-thread-pool-100k-calls: 100,000 fibers spawned on libdex's default
 *   thread-pool scheduler, each resolving to an int read back on the main
 *   loop through dex_future_then(); baseline: the batched GThreadPool with
 *   one thread per CPU (libdex's default pool has a worker per CPU)
 * - dex-collect-1M-allv / -chunks-of-1000: 1,000,000 immediate futures
 *   (dex_future_new_for_int()) awaited with dex_future_allv(), all at once
 *   or 1,000 at a time, every value read from the future set; baseline:
 *   GTasks in chunks of 1,000
 * - dex-collect-1M-allv-held-bytes-per-result: peak RSS growth per result
 *   while the 1,000,000 are held in the resolved set; baseline: completed
 *   GTasks held
 * - dex-window-100k-idle-ops-64: 100,000 promises resolved from an idle
 *   source, at most 64 in flight, the next started from each completion;
 *   baseline: the GLib window over GTasks returned from an idle source
 *
 * Built only where libdex-1 is found (Debian 13 and later): see
 * tests/bench/libdex/run-libdex-comparison.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libdex.h>

#include "bench-report.h"
#include "bench-baselines.h"

#define ROUNDS           5
#define THROUGHPUT_CALLS 100000
#define N_ITEMS          1000000
#define CHUNK            1000
#define N_OPERATIONS     100000
#define WINDOW           64

/* Thread pool. */

typedef struct
{
  guint    done;
  gboolean is_done;
} Count;

static DexFuture *
trivial_fiber (gpointer user_data)
{
  return dex_future_new_for_int (1);
}

static DexFuture *
count_value (DexFuture *future,
             gpointer   user_data)
{
  Count *count = user_data;
  const GValue *value = dex_future_get_value (future, NULL);

  count->done += g_value_get_int (value);
  count->is_done = count->done == THROUGHPUT_CALLS;

  return NULL;
}

static double
dex_thread_pool_ns (void)
{
  DexScheduler *pool = dex_thread_pool_scheduler_get_default ();
  Count count = { 0, FALSE };
  gint64 begin = g_get_monotonic_time ();

  for (guint i = 0; i < THROUGHPUT_CALLS; i++)
    {
      DexFuture *fiber = dex_scheduler_spawn (pool, 0, trivial_fiber, NULL, NULL);

      dex_future_disown (dex_future_then (fiber, count_value, &count, NULL));
    }
  BENCH_ITERATE_WHILE (!count.is_done);

  return bench_ns_per_item (begin, THROUGHPUT_CALLS);
}

static double
glib_batched_pool_ns (void)
{
  return bench_glib_batched_pool_ns (g_get_num_processors (), THROUGHPUT_CALLS);
}

/* Collection. */

typedef struct
{
  guint    n;
  guint    base;
  gint64   sum;
  gboolean is_done;
} Collected;

static DexFuture *
read_set (DexFuture *future,
          gpointer   user_data)
{
  Collected *collected = user_data;
  DexFutureSet *set = DEX_FUTURE_SET (future);

  for (guint i = 0; i < collected->n; i++)
    {
      const GValue *value = dex_future_set_get_value_at (set, i, NULL);

      collected->sum += g_value_get_int (value);
    }
  collected->is_done = TRUE;

  return NULL;
}

/* Makes @n immediate futures valued @base.., awaits them with allv, reads
 * every value in order and frees them all. */
static gint64
dex_collect (guint base,
             guint n)
{
  DexFuture **futures = g_new (DexFuture *, n);
  Collected collected = { n, base, 0, FALSE };
  DexFuture *all;

  for (guint i = 0; i < n; i++)
    futures[i] = dex_future_new_for_int ((int) (base + i));
  all = dex_future_allv (futures, n);
  for (guint i = 0; i < n; i++)
    dex_unref (futures[i]);
  g_free (futures);
  dex_future_disown (dex_future_then (all, read_set, &collected, NULL));
  BENCH_ITERATE_WHILE (!collected.is_done);

  return collected.sum;
}

static double
dex_collect_chunks_ns (guint chunk)
{
  gint64 begin = g_get_monotonic_time ();
  gint64 sum = 0;

  for (guint base = 0; base < N_ITEMS; base += chunk)
    sum += dex_collect (base, chunk);
  g_assert (sum == (gint64) N_ITEMS * (N_ITEMS - 1) / 2);

  return bench_ns_per_item (begin, N_ITEMS);
}

static double
dex_allv_ns (void)
{
  return dex_collect_chunks_ns (N_ITEMS);
}

static double
dex_chunks_ns (void)
{
  return dex_collect_chunks_ns (CHUNK);
}

static double
gtask_chunks_ns (void)
{
  return bench_gtask_chunks_ns (N_ITEMS, CHUNK);
}

/* Held results: the resolved set keeps every future and its value. */

static DexFuture *
note_resolved (DexFuture *future,
               gpointer   user_data)
{
  *(gboolean *) user_data = TRUE;

  return NULL;
}

static double
dex_held_bytes (guint n)
{
  gint64 before;
  DexFuture **futures;
  DexFuture *all;
  gboolean is_resolved = FALSE;
  double bytes;

  dex_init ();
  before = bench_status_bytes ("VmRSS:");
  futures = g_new (DexFuture *, n);
  for (guint i = 0; i < n; i++)
    futures[i] = dex_future_new_for_int ((int) i);
  all = dex_future_allv (futures, n);
  for (guint i = 0; i < n; i++)
    dex_unref (futures[i]);
  g_free (futures);
  dex_future_disown (dex_future_then (dex_ref (all), note_resolved, &is_resolved, NULL));
  BENCH_ITERATE_WHILE (!is_resolved);
  bytes = (double) (bench_status_bytes ("VmHWM:") - before) / n;
  dex_unref (all);

  return bytes;
}

/* A window over operations completed from an idle source. */

typedef struct
{
  guint    started;
  guint    running;
  guint    completed;
  gint64   sum;
  gboolean is_done;
} Window;

static gboolean
resolve_from_idle (gpointer user_data)
{
  dex_promise_resolve_int (user_data, 1);
  dex_unref (user_data);

  return G_SOURCE_REMOVE;
}

static void window_fill (Window *window);

static DexFuture *
operation_done (DexFuture *future,
                gpointer   user_data)
{
  Window *window = user_data;

  window->sum += g_value_get_int (dex_future_get_value (future, NULL));
  window->running--;
  window->completed++;
  window->is_done = window->completed == N_OPERATIONS;
  window_fill (window);

  return NULL;
}

static void
window_fill (Window *window)
{
  while (window->running < WINDOW && window->started < N_OPERATIONS)
    {
      DexPromise *promise = dex_promise_new ();

      window->running++;
      window->started++;
      dex_future_disown (dex_future_then (dex_ref (promise), operation_done, window, NULL));
      g_idle_add (resolve_from_idle, promise);
    }
}

static double
dex_window_ns (void)
{
  Window window = { 0 };
  gint64 begin = g_get_monotonic_time ();

  window_fill (&window);
  BENCH_ITERATE_WHILE (!window.is_done);
  g_assert (window.sum == N_OPERATIONS);

  return bench_ns_per_item (begin, N_OPERATIONS);
}

static double
glib_window_ns (void)
{
  return bench_glib_window_ns (N_OPERATIONS, WINDOW);
}

/* `dex-bench WORD` runs only the figures whose name contains WORD. */
static void
report_if_wanted (const char    *filter,
                  const char    *name,
                  BenchTimeFunc  ours,
                  BenchTimeFunc  baseline)
{
  if (filter == NULL || strstr (name, filter) != NULL)
    bench_report_in_turns (name, ours, baseline, ROUNDS);
}

int
main (int   argc,
      char *argv[])
{
  const char *filter = argc > 1 ? argv[1] : NULL;
  const char *held = "dex-collect-1M-allv-held-bytes-per-result";

  /* Memory first, in fresh processes forked before any thread exists. */
  if (filter == NULL || strstr (held, filter) != NULL)
    bench_report (held, bench_in_child (dex_held_bytes, N_ITEMS), "B",
                  bench_in_child (bench_held_gtask_bytes, N_ITEMS), 1);

  dex_init ();
  report_if_wanted (filter, "dex-collect-1M-allv-end-to-end-vs-gtask-chunks", dex_allv_ns, gtask_chunks_ns);
  report_if_wanted (filter, "dex-collect-1M-chunks-of-1000-end-to-end-vs-gtask-chunks",
                    dex_chunks_ns, gtask_chunks_ns);
  report_if_wanted (filter, "dex-window-100k-idle-ops-64-per-op-vs-glib-window", dex_window_ns, glib_window_ns);
  report_if_wanted (filter, "dex-thread-pool-100k-calls-default-threads-per-call-vs-glib-batched",
                    dex_thread_pool_ns, glib_batched_pool_ns);

  return EXIT_SUCCESS;
}
