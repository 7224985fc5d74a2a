/* aio-caller-context.c: running a GTask's next step in the context of
 * the caller who started it
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

/* A job started for @task must see the task's context as thread-default,
 * also when that context is iterated without being pushed. */
static void
aio_task_invoke (GTask       *task,
                 AioTaskFunc  func)
{
  GMainContext *context = g_task_get_context (task);
  GMainContext *current = g_main_context_get_thread_default ();
  gboolean must_push = context != (current != NULL ? current : g_main_context_default ());

  if (must_push)
    g_main_context_push_thread_default (context);
  func (task);
  if (must_push)
    g_main_context_pop_thread_default (context);
}

static gboolean
aio_task_invoke_in_idle (gpointer user_data)
{
  Invocation *invocation = user_data;

  aio_task_invoke (invocation->task, invocation->func);

  return G_SOURCE_REMOVE;
}

static void
invocation_free (gpointer data)
{
  Invocation *invocation = data;

  g_object_unref (invocation->task);
  g_free (invocation);
}

/* Runs @func in @task's context: right now when @may_run_here and this
 * thread is dispatching that context, else from an idle source there, so
 * that a public call such as a release never runs user code inside itself
 * and a worker thread never runs it at all. */
void
aio_task_run_in_context (GTask       *task,
                         gboolean     may_run_here,
                         AioTaskFunc  func)
{
  GMainContext *context = g_task_get_context (task);
  Invocation *invocation;
  GSource *source;

  if (may_run_here && g_main_context_is_owner (context))
    {
      aio_task_invoke (task, func);
      return;
    }

  invocation = g_new (Invocation, 1);
  invocation->task = g_object_ref (task);
  invocation->func = func;

  source = g_idle_source_new ();
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_static_name (source, "[aioext] start in caller context");
  g_source_set_callback (source, aio_task_invoke_in_idle, invocation, invocation_free);
  g_source_attach (source, context);
  g_source_unref (source);
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
