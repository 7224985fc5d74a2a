/* outcome.h: one acquisition or job run of a flow-control test and what
 * came back, and waiting for it
 *
 * Shared by the semaphore and rate-limiter tests, which note the same
 * things of every callback.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

typedef struct
{
  gboolean      is_done;
  gboolean      is_ok;
  GError       *error;
  guint         order;       /* 1 for the first to complete, and so on */
  gint64        time;        /* monotonic time of the callback */
  GMainContext *context;     /* thread-default context of the callback */
  GCancellable *cancellable;
  const GValue *value;
} Outcome;

static inline void
outcome_clear (Outcome *outcome)
{
  g_clear_error (&outcome->error);
  g_clear_object (&outcome->cancellable);
}

/* Called first thing in a callback: exactly once per outcome. */
static inline void
outcome_note (Outcome *outcome)
{
  static guint completed_count;

  g_assert_false (outcome->is_done);
  outcome->is_done = TRUE;
  outcome->order = ++completed_count;
  outcome->time = g_get_monotonic_time ();
  outcome->context = g_main_context_get_thread_default ();
}

static inline void
wait_for (Outcome *outcome)
{
  while (!outcome->is_done)
    g_main_context_iteration (NULL, TRUE);
}

/* A callback that keeps its result, to finish it later. */
static inline void
keep_result (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **kept = user_data;

  *kept = g_object_ref (result);
}

static inline void
wait_for_result (GAsyncResult **kept)
{
  while (*kept == NULL)
    g_main_context_iteration (NULL, TRUE);
}
