/* aio-caller-context.c: handing work to the context that owns it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-caller-context-private.h"

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

/* Whether this thread is dispatching a source of @context, and so owns
 * it: lock-free, the current source being the thread's own, where
 * g_main_context_is_owner() takes the context's lock (work handed back from
 * a dispatch, most of it, asks this several times per operation). */
gboolean
aio_context_is_dispatching (GMainContext *context)
{
  GSource *source = g_main_current_source ();

  return source != NULL && g_source_get_context (source) == context;
}

/* The time of the dispatch this thread is in, as a GTask reads it, when it
 * dispatches a source of @context; 0 otherwise. */
gint64
aio_context_dispatch_time (GMainContext *context)
{
  GSource *source = g_main_current_source ();

  return source != NULL && g_source_get_context (source) == context ? g_source_get_time (source) : 0;
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

  if (may_run_here && (aio_context_is_dispatching (context) || g_main_context_is_owner (context)))
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
