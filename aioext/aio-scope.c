/* aio-scope.c: the main context that one aio_run() or aio_job_run_sync()
 * call iterates, and the jobs started inside it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-scope-private.h"

/* A scope lives on the stack of the thread that runs it. Scopes nest as
 * calls nest; the innermost one is the thread's current scope. Jobs started
 * while the scope's context is the thread-default one are tracked, so that
 * whatever still runs when the entry job completes is cancelled and drained
 * before the call returns, and nothing is left attached to a context that
 * nobody will iterate again. */
/* A main context this thread has acquired for one run. */
typedef GMainContext AioScopeContext;

struct _AioScope
{
  GMainContext *context;
  AioScope     *parent;
  gboolean      is_run;
  GMutex        mutex;
  GHashTable   *jobs;     /* a set, one job ref each: a job carries no
                           * link of its own, jobs outside aio_run() being
                           * the many */
};

static GPrivate current_scope;

/* The running scopes by context: a job completes in its own context, on
 * whichever thread runs it, and finds its scope here, so it need not keep a
 * pointer to it. */
G_LOCK_DEFINE_STATIC (running_scopes);   /* before a scope's mutex: see "The lock order" (docs/reference/architecture.xml) */
static GHashTable *running_scopes;  /* GMainContext * -> AioScope * */

static AioScope *
aio_scope_find (GMainContext *context)
{
  AioScope *scope = g_private_get (&current_scope);

  if (scope != NULL && scope->context == context)
    return scope;

  return NULL;
}

/* Tracks @job, started in @context, when this thread runs a scope of
 * @context. */
gboolean
aio_scope_track (GMainContext *context,
                 AioJob       *job)
{
  AioScope *scope = aio_scope_find (context);

  if (scope == NULL)
    return FALSE;

  g_mutex_lock (&scope->mutex);
  g_hash_table_add (scope->jobs, g_object_ref (job));
  g_mutex_unlock (&scope->mutex);

  return TRUE;
}

void
aio_scope_untrack (GMainContext *context,
                   AioJob       *job)
{
  gboolean was_tracked = FALSE;
  AioScope *scope;

  G_LOCK (running_scopes);
  scope = g_hash_table_lookup (running_scopes, context);
  if (scope != NULL)
    {
      g_mutex_lock (&scope->mutex);
      was_tracked = g_hash_table_steal (scope->jobs, job);
      g_mutex_unlock (&scope->mutex);
    }
  G_UNLOCK (running_scopes);

  if (was_tracked)
    g_object_unref (job);
}

gboolean
aio_scope_is_in_run (void)
{
  for (AioScope *scope = g_private_get (&current_scope); scope != NULL; scope = scope->parent)
    if (scope->is_run)
      return TRUE;

  return FALSE;
}

static GPtrArray *
aio_scope_ref_jobs (AioScope *scope)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func (g_object_unref);

  GHashTableIter iter;
  gpointer job;

  g_mutex_lock (&scope->mutex);
  g_hash_table_iter_init (&iter, scope->jobs);
  while (g_hash_table_iter_next (&iter, &job, NULL))
    g_ptr_array_add (jobs, g_object_ref (job));
  g_mutex_unlock (&scope->mutex);

  return jobs;
}

static gboolean
aio_scope_is_empty (AioScope *scope)
{
  gboolean is_empty;

  g_mutex_lock (&scope->mutex);
  is_empty = g_hash_table_size (scope->jobs) == 0;
  g_mutex_unlock (&scope->mutex);

  return is_empty;
}

/* Cancelling may start more jobs (a cancelled job's callback can), so cancel
 * and iterate until none is left. A job function that ignores cancellation
 * and never completes keeps this waiting, exactly as it would keep any
 * caller of its _async call waiting. */
static void
aio_scope_drain (AioScope *scope)
{
  for (;;)
    {
      g_autoptr(GPtrArray) jobs = aio_scope_ref_jobs (scope);

      if (jobs->len == 0)
        break;

      for (guint i = 0; i < jobs->len; i++)
        aio_job_cancel (g_ptr_array_index (jobs, i));

      /* A job may have completed inside its cancel handler already. */
      if (!aio_scope_is_empty (scope))
        g_main_context_iteration (scope->context, TRUE);
    }
}

static void
aio_scope_store_result (GObject      *source_object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  GAsyncResult **result_out = user_data;

  *result_out = g_object_ref (result);
}

/* aio_run() runs on the context its caller would run, GLib's way: the
 * thread-default one, which on a thread without one pushed is the global
 * default context, so that the caller's g_timeout_add() and g_idle_add()
 * sources fire meanwhile, as everything scheduled on the loop runs in
 * aioextensions' run(). Another thread may own that context (the main
 * thread running its loop while a worker calls aio_run()): then, and for
 * the sync bridge, whose point is not to dispatch the caller's sources,
 * the run gets a private context. Returned acquired. */
static GMainContext *
aio_scope_acquire_context (gboolean is_run)
{
  GMainContext *context;

  if (is_run)
    {
      context = g_main_context_ref_thread_default ();
      if (g_main_context_acquire (context))
        return context;
      g_main_context_unref (context);
    }

  context = g_main_context_new ();
  g_main_context_acquire (context);

  return context;
}

static void
aio_scope_release_context (GMainContext *context)
{
  g_main_context_release (context);
  g_main_context_unref (context);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AioScopeContext, aio_scope_release_context)

const GValue *
aio_scope_run_job (AioJob        *job,
                   gboolean       is_run,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(AioScopeContext) context = aio_scope_acquire_context (is_run);
  g_autoptr(GAsyncResult) result = NULL;
  AioScope scope = {
    .context = context,
    .parent = g_private_get (&current_scope),
    .is_run = is_run,
  };
  g_mutex_init (&scope.mutex);
  scope.jobs = g_hash_table_new (NULL, NULL);
  G_LOCK (running_scopes);
  if (running_scopes == NULL)
    running_scopes = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (running_scopes, context, &scope);
  G_UNLOCK (running_scopes);
  g_main_context_push_thread_default (context);
  g_private_set (&current_scope, &scope);

  aio_job_run_async (job, cancellable, aio_scope_store_result, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);

  aio_scope_drain (&scope);
  G_LOCK (running_scopes);
  g_hash_table_remove (running_scopes, context);
  G_UNLOCK (running_scopes);

  g_private_set (&current_scope, scope.parent);
  g_main_context_pop_thread_default (context);
  g_mutex_clear (&scope.mutex);
  g_hash_table_unref (scope.jobs);

  return aio_job_run_finish (job, result, error);
}
