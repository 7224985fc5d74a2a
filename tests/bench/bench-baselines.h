/* bench-baselines.h: the plain-GLib baselines that aioext's benchmarks and
 * the libdex drivers (tests/bench/libdex/) are measured against
 *
 * Each is the strongest way plain GLib expresses the same work, counted end
 * to end as the measured side is: every item created, completed, its value
 * read back in the main context, everything freed.
 *
 * - bench_glib_batched_pool_ns(): a GThreadPool whose workers hand results
 *   back to the main context in batches (one idle source per batch)
 * - bench_gtask_chunks_ns(): GTasks in chunks, each returned at once, every
 *   chunk waited for and read in order before the next is made
 * - bench_glib_window_ns(): a counter window of GTasks, each returned from
 *   an idle source, the next started from each completion
 * - bench_glib_window_made_first_ns(): the same window over GTasks all made
 *   before the first starts, as every request queued on a semaphore is
 * - bench_held_gtask_bytes(): peak RSS per completed GTask held
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "bench-loop.h"

/* /proc/self/status fields in bytes: VmHWM is the peak, VmRSS the current
 * size. */
static inline gint64
bench_status_bytes (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, field)) == NULL)
    g_error ("Cannot read %s from /proc/self/status", field);

  return g_ascii_strtoll (line + strlen (field), NULL, 10) * 1024;
}

/* Runs @measure (@n) in a fresh forked process, which has no freed heap to
 * hide growth and a peak of its own, and returns what it returned. Call
 * before any thread exists. */
static inline double
bench_in_child (double (*measure) (guint n),
                guint    n)
{
  int fds[2];
  double value = 0;
  pid_t pid;

  if (pipe (fds) != 0)
    g_error ("pipe failed");
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      close (fds[0]);
      value = measure (n);
      fflush (stdout);
      _exit (write (fds[1], &value, sizeof value) == sizeof value ? 0 : 1);
    }
  /* Without the write end here, a child that died gives end of file. */
  close (fds[1]);
  if (read (fds[0], &value, sizeof value) != sizeof value)
    g_error ("the measuring child failed");
  waitpid (pid, NULL, 0);
  close (fds[0]);

  return value;
}

/* Batched GThreadPool. */

typedef struct
{
  GMutex        mutex;
  GPtrArray    *finished;      /* calls done, not yet handed back */
  gboolean      is_scheduled;  /* an idle source will take them */
  GMainContext *context;
  guint         done;
} BenchBatcher;

typedef struct
{
  BenchBatcher *batcher;
  int           value;
} BenchCall;

static inline gboolean
bench_batch_deliver (gpointer user_data)
{
  BenchBatcher *batcher = user_data;
  GPtrArray *finished;

  g_mutex_lock (&batcher->mutex);
  finished = batcher->finished;
  batcher->finished = g_ptr_array_new ();
  batcher->is_scheduled = FALSE;
  g_mutex_unlock (&batcher->mutex);

  for (guint i = 0; i < finished->len; i++)
    {
      BenchCall *call = finished->pdata[i];

      batcher->done += call->value;
      g_free (call);
    }
  g_ptr_array_unref (finished);

  return G_SOURCE_REMOVE;
}

static inline void
bench_batch_run (gpointer data,
                 gpointer user_data)
{
  BenchCall *call = data;
  BenchBatcher *batcher = call->batcher;
  gboolean must_schedule;

  call->value = 1;
  g_mutex_lock (&batcher->mutex);
  g_ptr_array_add (batcher->finished, call);
  must_schedule = !batcher->is_scheduled;
  batcher->is_scheduled = TRUE;
  g_mutex_unlock (&batcher->mutex);

  if (must_schedule)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, bench_batch_deliver, batcher, NULL);
      g_source_attach (source, batcher->context);
      g_source_unref (source);
    }
}

/* Nanoseconds per call of @calls trivial calls on @threads threads, all
 * submitted at once, every value read back in the main context. The
 * threads are the pool's own (exclusive), as a dedicated pool's are: shared
 * GLib threads made the baseline slower on this machine. */
static inline double
bench_glib_batched_pool_ns (guint threads,
                            guint calls)
{
  BenchBatcher batcher = { .finished = g_ptr_array_new (), .context = g_main_context_default () };
  GThreadPool *pool;
  gint64 start;

  g_mutex_init (&batcher.mutex);
  start = g_get_monotonic_time ();
  pool = g_thread_pool_new (bench_batch_run, NULL, threads, TRUE, NULL);
  for (guint i = 0; i < calls; i++)
    {
      BenchCall *call = g_new (BenchCall, 1);

      call->batcher = &batcher;
      g_thread_pool_push (pool, call, NULL);
    }
  BENCH_ITERATE_WHILE (batcher.done < calls);
  start = g_get_monotonic_time () - start;

  g_thread_pool_free (pool, FALSE, TRUE);
  bench_run_pending ();
  g_ptr_array_unref (batcher.finished);
  g_mutex_clear (&batcher.mutex);

  return start * 1000.0 / calls;
}

/* GTasks in chunks. */

typedef struct
{
  int   *values;
  guint  completed;
} BenchChunk;

static inline void
bench_chunk_task_done (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  BenchChunk *chunk = user_data;
  guint index = GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result)));

  chunk->values[index] = (int) g_task_propagate_int (G_TASK (result), NULL);
  chunk->completed++;
}

/* Nanoseconds per item of @n_items immediate items collected in order,
 * @chunk_size at a time. */
static inline double
bench_gtask_chunks_ns (guint n_items,
                       guint chunk_size)
{
  g_autofree int *values = g_new (int, chunk_size);
  gint64 begin = g_get_monotonic_time ();
  gint64 sum = 0;

  for (guint base = 0; base < n_items; base += chunk_size)
    {
      BenchChunk chunk = { values, 0 };
      guint size = MIN (chunk_size, n_items - base);

      for (guint i = 0; i < size; i++)
        {
          GTask *task = g_task_new (NULL, NULL, bench_chunk_task_done, &chunk);

          g_task_set_task_data (task, GUINT_TO_POINTER (i), NULL);
          g_task_return_int (task, base + i);
          g_object_unref (task);
        }
      BENCH_ITERATE_WHILE (chunk.completed < size);
      for (guint i = 0; i < size; i++)
        sum += values[i];
    }
  g_assert (sum == (gint64) n_items * (n_items - 1) / 2);
  begin = g_get_monotonic_time () - begin;

  return begin * 1000.0 / n_items;
}

/* A window over operations completed from an idle source; its tasks are
 * made as they start, or, with @made_first, all before the first starts. */

typedef struct
{
  guint   n_operations;
  guint   window;
  guint   started;
  guint   running;
  guint   completed;
  gint64  sum;
  GTask **made_first;  /* nullable */
} BenchWindow;

static inline gboolean
bench_return_task_from_idle (gpointer user_data)
{
  g_task_return_int (user_data, 1);
  g_object_unref (user_data);

  return G_SOURCE_REMOVE;
}

static inline void bench_window_fill (BenchWindow *window);

static inline void
bench_window_operation_done (GObject      *source_object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  BenchWindow *window = user_data;

  window->sum += g_task_propagate_int (G_TASK (result), NULL);
  window->running--;
  window->completed++;
  bench_window_fill (window);
}

static inline void
bench_window_fill (BenchWindow *window)
{
  while (window->running < window->window && window->started < window->n_operations)
    {
      GTask *task = window->made_first != NULL ? window->made_first[window->started]
                                               : g_task_new (NULL, NULL, bench_window_operation_done, window);

      window->running++;
      window->started++;
      g_idle_add (bench_return_task_from_idle, task);
    }
}

/* Nanoseconds per operation of @n_operations, at most @window_size in
 * flight; with @made_first, every task is made before the first starts,
 * as a semaphore's callers hand over every request at once. */
static inline double
bench_glib_window_run_ns (guint    n_operations,
                          guint    window_size,
                          gboolean made_first)
{
  BenchWindow window = { n_operations, window_size, 0, 0, 0, 0, NULL };
  gint64 begin = g_get_monotonic_time ();

  if (made_first)
    {
      window.made_first = g_new (GTask *, n_operations);
      for (guint i = 0; i < n_operations; i++)
        window.made_first[i] = g_task_new (NULL, NULL, bench_window_operation_done, &window);
    }
  bench_window_fill (&window);
  BENCH_ITERATE_WHILE (window.completed < n_operations);
  g_assert (window.sum == n_operations);
  g_free (window.made_first);
  begin = g_get_monotonic_time () - begin;

  return begin * 1000.0 / n_operations;
}

static inline double
bench_glib_window_ns (guint n_operations,
                      guint window_size)
{
  return bench_glib_window_run_ns (n_operations, window_size, FALSE);
}

static inline double
bench_glib_window_made_first_ns (guint n_operations,
                                 guint window_size)
{
  return bench_glib_window_run_ns (n_operations, window_size, TRUE);
}

/* Held GTasks. */

static inline void
bench_keep_task (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_ptr_array_add (user_data, g_object_ref (result));
}

/* Bytes of peak RSS growth per completed GTask while @n are held. */
static inline double
bench_held_gtask_bytes (guint n)
{
  gint64 before = bench_status_bytes ("VmRSS:");
  g_autoptr(GPtrArray) held = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      GTask *task = g_task_new (NULL, NULL, bench_keep_task, held);

      g_task_return_int (task, i);
      g_object_unref (task);
    }
  BENCH_ITERATE_WHILE (held->len < n);

  return (double) (bench_status_bytes ("VmHWM:") - before) / n;
}
