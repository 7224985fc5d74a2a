/* aio-main.c: the main-loop core: run, yield one iteration, CPU cores
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-error.h"
#include "aio-i18n-private.h"
#include "aio-main.h"
#include "aio-scope-private.h"

/**
 * SECTION:aio-main
 * @title: Main-loop core
 * @short_description: run a job to completion, yield to the main loop
 * @include: aioext.h
 * @see_also: #AioJob, #GMainContext
 *
 * The entry point of an asynchronous program, aio_run(), runs the main
 * loop of the calling thread until one job completes. aio_yield_async() lets every other
 * ready source of the thread-default context run before going on, and
 * aio_get_cpu_cores() tells how many processors the process may use, which
 * is what the default pool sizes are derived from.
 *
 * Complete programs that use it, in C, Python, JavaScript and Vala:
 * [its section of the chapter on every class][aioext-languages-job].
 */

/**
 * aio_run:
 * @job: the entry job
 * @error: return location for a #GError
 *
 * Runs a main loop until @job completes and returns its outcome: the entry
 * point of a program or script whose work is asynchronous, like Python's
 * `asyncio.run()`.
 *
 * The loop runs the context the calling thread would run: its
 * thread-default #GMainContext, which on the main thread with none pushed
 * is the global default context. Everything attached there meanwhile runs,
 * as everything scheduled on the loop runs in aioextensions' `run()`:
 * g_timeout_add() and g_idle_add() sources (`GLib.timeout_add()` in Python
 * and JavaScript) fire inside aio_run(). Only when another thread owns that
 * context does the run get a private one. Nothing process-wide is switched:
 * the thread-default context is the same after the call as before it.
 * Jobs started inside the run that are still running when @job completes
 * are cancelled, and aio_run() waits for them to complete before it
 * returns.
 *
 * Calling aio_run() while another aio_run() runs in the same thread fails
 * with %AIO_ERROR_RECURSIVE_RUN instead of waiting on itself; use
 * aio_job_run_async() there, or aio_job_run_sync() for a nested blocking
 * call.
 *
 * |[<!-- language="C" -->
 * g_autoptr(AioJob) job = aio_job_new (fetch_all, urls, NULL);
 * g_autoptr(GError) error = NULL;
 * const GValue *value = aio_run (job, &error);
 *
 * if (value == NULL)
 *   g_printerr ("%s\n", error->message);
 * ]|
 *
 * Returns: (transfer none) (nullable): the job's result, owned by @job
 *   (see aio_job_propagate_value()), or %NULL with @error set
 */
const GValue *
aio_run (AioJob  *job,
         GError **error)
{
  g_return_val_if_fail (AIO_IS_JOB (job), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (aio_scope_is_in_run ())
    {
      g_set_error_literal (error, AIO_ERROR, AIO_ERROR_RECURSIVE_RUN,
                           _("A run was started while another run is in progress in this thread; "
                             "wait for the job asynchronously instead."));
      return NULL;
    }

  return aio_scope_run_job (job, TRUE, NULL, error);
}

/**
 * aio_yield_async:
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called after one iteration of the main loop
 * @user_data: data for @callback
 *
 * Lets the main loop of the thread-default context run one iteration before
 * @callback is called, so that every other source that is ready at default
 * priority is dispatched first: the counterpart of Python's
 * `await asyncio.sleep(0)`, useful to keep a long chain of asynchronous
 * steps from starving the rest of the loop.
 */
void
aio_yield_async (GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, aio_yield_async);
  /* A task returned in the iteration it was created in is delivered from
   * an idle source in the next one, which is exactly the yield. */
  g_task_return_boolean (task, TRUE);
}

/**
 * aio_yield_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_yield_async().
 *
 * Returns: %TRUE, or %FALSE with %G_IO_ERROR_CANCELLED when the yield was
 *   cancelled
 */
gboolean
aio_yield_finish (GAsyncResult  *result,
                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_yield_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * aio_get_cpu_cores:
 *
 * The number of processors this process may run on, the default size of
 * the process pool and the base of the thread pool's default size.
 *
 * Returns: the number of CPU cores, at least 1
 */
guint
aio_get_cpu_cores (void)
{
  return g_get_num_processors ();
}
