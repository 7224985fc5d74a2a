/* aio-caller-context.c: handing work to the context that owns it, and
 * running a GTask's next step in the context of the caller who started it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-caller-context-private.h"

typedef struct
{
  GTask       *task;
  AioTaskFunc  func;
} Invocation;

/* Code run for a caller from a dispatch of @context must see @context as
 * thread-default, also when it is iterated without being pushed: pushes
 * it when it is not, and returns whether it did, so that the caller pops
 * it again. */
gboolean
aio_context_push_unless_default (GMainContext *context)
{
  GMainContext *current = g_main_context_get_thread_default ();
  gboolean must_push = context != (current != NULL ? current : g_main_context_default ());

  if (must_push)
    g_main_context_push_thread_default (context);

  return must_push;
}

/* A job started for @task must see the task's context as thread-default,
 * also when that context is iterated without being pushed. */
static void
aio_task_invoke (GTask       *task,
                 AioTaskFunc  func)
{
  GMainContext *context = g_task_get_context (task);
  gboolean is_pushed = aio_context_push_unless_default (context);

  func (task);
  if (is_pushed)
    g_main_context_pop_thread_default (context);
}

/* The one rule for handing work to the context that owns it, kept here
 * as GTask keeps its own in g_task_return(): @func runs at once when
 * @may_run_here and this thread owns @context (it is dispatching it), and
 * otherwise from an idle source attached there at @priority, so that a
 * public call never runs user code inside itself unless it may, and a
 * worker thread never runs it at all. Never g_main_context_invoke(): when
 * nobody owns the context, it runs the function on the calling thread.
 *
 * Run at once, @func gets @data as passed; queued, it gets @data_ref (@data)
 * (@data itself when @data_ref is %NULL), released with @data_unref after
 * it ran. @name must be a static string. */
void
aio_context_deliver (GMainContext   *context,
                     int             priority,
                     gboolean        may_run_here,
                     const char     *name,
                     GSourceFunc     func,
                     gpointer        data,
                     GBoxedCopyFunc  data_ref,
                     GDestroyNotify  data_unref)
{
  GSource *source;

  if (may_run_here && g_main_context_is_owner (context))
    {
      func (data);
      return;
    }

  source = g_idle_source_new ();
  g_source_set_priority (source, priority);
  g_source_set_static_name (source, name);
  g_source_set_callback (source, func, data_ref != NULL ? data_ref (data) : data, data_unref);
  g_source_attach (source, context);
  g_source_unref (source);
}

static gboolean
aio_task_invoke_in_context (gpointer user_data)
{
  Invocation *invocation = user_data;

  aio_task_invoke (invocation->task, invocation->func);

  return G_SOURCE_REMOVE;
}

static gpointer
invocation_copy (gpointer data)
{
  Invocation *invocation = data;
  Invocation *copy = g_new (Invocation, 1);

  copy->task = g_object_ref (invocation->task);
  copy->func = invocation->func;

  return copy;
}

static void
invocation_free (gpointer data)
{
  Invocation *invocation = data;

  g_object_unref (invocation->task);
  g_free (invocation);
}

/* Runs @func in @task's context, as aio_context_deliver() says. */
void
aio_task_run_in_context (GTask       *task,
                         gboolean     may_run_here,
                         AioTaskFunc  func)
{
  Invocation invocation = { task, func };

  aio_context_deliver (g_task_get_context (task), g_task_get_priority (task), may_run_here,
                       "[aioext] start in caller context", aio_task_invoke_in_context,
                       &invocation, invocation_copy, invocation_free);
}
/* Returns the cancellable's own error, or a G_IO_ERROR_CANCELLED with
 * @message when the task was failed for a cancellation seen elsewhere. */
void
aio_task_return_cancelled (GTask      *task,
                           const char *message)
{
  GError *error = NULL;

  if (!g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, message);
  g_task_return_error (task, error);
}
