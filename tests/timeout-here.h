/* timeout-here.h: a timeout in the thread-default context that holds a
 * job until it fires
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

/* Calls @callback with @job after @interval_ms, in the context that is
 * thread-default now: g_timeout_add() would attach to the global default
 * context, and jobs run in the thread-default one. */
static inline void
add_timeout_here (guint       interval_ms,
                  GSourceFunc callback,
                  gpointer    job)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, callback, g_object_ref (job), g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}
