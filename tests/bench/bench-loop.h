/* bench-loop.h: the main-loop waits every benchmark program shares, aioext's
 * and the libdex drivers' alike (no aioext here)
 *
 * Every figure waits the same way: the global default main context is
 * iterated, blocking, until the callbacks that run in it say the work is
 * done; then what is still pending (notifies, idle completions that hold
 * references) is run before anything is freed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

/* Iterates the default main context, blocking, while @condition holds; the
 * callbacks that make it false run in those iterations. A macro because the
 * counters and flags it reads differ in type from program to program. */
#define BENCH_ITERATE_WHILE(condition) \
  G_STMT_START {                                   \
    while (condition)                              \
      g_main_context_iteration (NULL, TRUE);       \
  } G_STMT_END

/* Runs whatever the default main context has ready, without blocking: the
 * idle sources and notifies that still hold references once a figure's
 * clock has stopped. */
static inline void
bench_run_pending (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A GAsyncReadyCallback that keeps the result in the GAsyncResult pointer
 * @user_data points at, for bench_wait_for_result(). */
static inline void
bench_store_result (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates until bench_store_result() has filled *@result (NULL before the
 * call was made), and returns it (still owned by *@result). */
static inline GAsyncResult *
bench_wait_for_result (GAsyncResult **result)
{
  BENCH_ITERATE_WHILE (*result == NULL);

  return *result;
}
