/* bench-common.h: the helpers every aioext benchmark program shares
 *
 * Medians, the BENCH line that run-benchmarks.py parses, the per-item
 * clock and the resident set size (bench-report.h), the main-loop waits
 * (bench-loop.h), the plain-GLib baselines (bench-baselines.h) and the
 * trivial operations built from them. Included by the programs in tests/bench/.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <aioext.h>

#include "bench-report.h"
#include "bench-loop.h"
#include "bench-baselines.h"

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
