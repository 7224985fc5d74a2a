/* aio-job.c: one lazily started asynchronous operation and its outcome
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-enum-types.h"
#include "aio-error.h"
#include "aio-i18n-private.h"
#include "aio-job.h"
#include "aio-job-private.h"
#include "aio-scope-private.h"

/**
 * SECTION:aio-job
 * @title: AioJob
 * @short_description: one lazily started asynchronous operation and its outcome
 * @include: aioext.h
 * @see_also: #GTask, #GCancellable
 *
 * #AioJob is the unit of work of aioext: it is created idle, started once,
 * completed once from any thread, and read any number of times. The class
 * description below tells how a job starts, completes and is cancelled, and
 * shows it from C, Python, JavaScript and Vala.
 */

/**
 * AioJob:
 *
 * One asynchronous operation that starts lazily and keeps its outcome: the
 * GObject counterpart of a Python awaitable, and what every other part of
 * aioext consumes (collectors run jobs, semaphores and rate limiters run a
 * job while they hold a permit).
 *
 * A job is created with the function that starts it and does nothing until
 * it is started, by aio_job_start() (start now, read the outcome later, like
 * Python's `asyncio.ensure_future()`) or by the first aio_job_run_async()
 * (start if needed, then wait). It starts at most once. Its function runs in
 * the thread-default main context of whoever starts it and completes the job
 * later, from any thread, with aio_job_return_value(), aio_job_return_pointer()
 * or aio_job_return_error(). Any number of callers may wait for the outcome;
 * each callback runs in the thread-default context of its own caller. Once
 * completed, the outcome can be read any number of times with
 * aio_job_propagate_value(); an error is raised only when it is read.
 *
 * Cancelling a job (aio_job_cancel(), or the #GCancellable of a wait)
 * cancels the #GCancellable handed to its function; a job cancelled before
 * it starts completes with %G_IO_ERROR_CANCELLED without running.
 *
 * From C, wrap a GIO-style `_async`/`_finish` pair:
 * |[<!-- language="C" -->
 * static void
 * read_file_async (gpointer user_data, GCancellable *cancellable,
 *                  GAsyncReadyCallback callback, gpointer callback_data)
 * {
 *   g_file_read_async (user_data, G_PRIORITY_DEFAULT, cancellable,
 *                      callback, callback_data);
 * }
 *
 * job = aio_job_new_for_async (read_file_async,
 *                              (AioJobFinishFunc) g_file_read_finish,
 *                              g_object_unref,
 *                              g_object_ref (file), g_object_unref);
 * ]|
 *
 * From Python:
 * |[<!-- language="Python" -->
 * job = Aio.Job.new(lambda job, cancellable: job.return_value(6 * 7))
 * print(Aio.run(job))
 * ]|
 *
 * From JavaScript:
 * |[<!-- language="JavaScript" -->
 * const job = Aio.Job.new((job, cancellable) => {
 *     GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
 *         job.return_value('done');
 *         return GLib.SOURCE_REMOVE;
 *     });
 * });
 * job.run_async(null, (j, res) => print(j.run_finish(res)));
 * ]|
 *
 * From Vala:
 * |[<!-- language="Vala" -->
 * var job = new Aio.Job ((job, cancellable) => {
 *     Value v = 42;
 *     job.return_value (v);
 * });
 * unowned Value? result = yield job.run (null);
 * ]|
 */

struct _AioJob
{
  GObject         parent_instance;

  GMutex          mutex;
  AioJobState     state;            /* mutex */
  gboolean        has_returned;     /* mutex: an aio_job_return_*() happened */
  GQueue          waiters;          /* mutex: GTask, one ref each */

  AioJobFunc      func;
  gboolean        is_in_func;       /* func is on the stack: keep func_data */
  gpointer        func_data;
  GDestroyNotify  func_data_destroy;
  GCancellable   *cancellable;
  GMainContext   *context;          /* where it was started */
  AioScope       *scope;            /* the aio_run() that tracks it, if any */
  GList           scope_link;

  /* The outcome: written once, before has_returned is set, then read only.
   * A job without a result, or with a C pointer, holds a G_TYPE_POINTER
   * value, which bindings read as None/null. */
  GValue          value;
  GDestroyNotify  pointer_destroy;
  GError         *error;
};

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AioJob, aio_job, G_TYPE_OBJECT)

static void
aio_job_release_func_data (AioJob *self)
{
  GDestroyNotify destroy = g_steal_pointer (&self->func_data_destroy);
  gpointer data = g_steal_pointer (&self->func_data);

  self->func = NULL;
  if (destroy != NULL)
    destroy (data);
}

static void
aio_job_finalize (GObject *object)
{
  AioJob *self = AIO_JOB (object);

  g_assert (g_queue_is_empty (&self->waiters));
  g_assert (self->scope == NULL);

  aio_job_release_func_data (self);
  if (self->pointer_destroy != NULL)
    self->pointer_destroy (g_value_get_pointer (&self->value));
  if (G_IS_VALUE (&self->value))
    g_value_unset (&self->value);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (aio_job_parent_class)->finalize (object);
}

static void
aio_job_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  AioJob *self = AIO_JOB (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, aio_job_get_state (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_job_class_init (AioJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = aio_job_finalize;
  object_class->get_property = aio_job_get_property;

  /**
   * AioJob:state:
   *
   * Where the job is in its life. Changes are notified in the main context
   * the job was started in.
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", "State", "Where the job is in its life",
                       AIO_TYPE_JOB_STATE, AIO_JOB_STATE_PENDING,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
aio_job_init (AioJob *self)
{
  g_mutex_init (&self->mutex);
  self->cancellable = g_cancellable_new ();
  self->scope_link.data = self;
}

/**
 * aio_job_new: (constructor)
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy):
 *   the function that starts the work
 * @user_data: data for @func
 * @user_data_destroy: (nullable): frees @user_data once the job completed,
 *   in the main context the job was started in
 *
 * Creates a job that calls @func when it is started. @func must complete
 * the job, now or later, with one of the `aio_job_return_*()` functions.
 *
 * Returns: (transfer full): a new pending job
 */
AioJob *
aio_job_new (AioJobFunc     func,
             gpointer       user_data,
             GDestroyNotify user_data_destroy)
{
  AioJob *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (AIO_TYPE_JOB, NULL);
  self->func = func;
  self->func_data = user_data;
  self->func_data_destroy = user_data_destroy;

  return self;
}

typedef struct
{
  AioJobAsyncFunc  start_func;
  AioJobFinishFunc finish_func;
  GDestroyNotify   result_destroy;
  gpointer         user_data;
  GDestroyNotify   user_data_destroy;
} AsyncCall;

static void
async_call_free (gpointer data)
{
  AsyncCall *call = data;

  if (call->user_data_destroy != NULL)
    call->user_data_destroy (call->user_data);
  g_free (call);
}

static void
async_call_ready (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(AioJob) job = user_data;
  AsyncCall *call = job->func_data;
  GDestroyNotify result_destroy = call->result_destroy;
  g_autoptr(GError) error = NULL;
  gpointer value;

  value = call->finish_func (source_object, result, &error);
  if (error != NULL)
    aio_job_return_error (job, g_steal_pointer (&error));
  else
    aio_job_return_pointer (job, value, result_destroy);
}

static void
async_call_start (AioJob       *job,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  AsyncCall *call = user_data;

  call->start_func (call->user_data, cancellable, async_call_ready, g_object_ref (job));
}

/**
 * aio_job_new_for_async: (skip)
 * @start_func: starts the `_async` operation
 * @finish_func: finishes it, returning a pointer
 * @result_destroy: (nullable): frees the pointer @finish_func returns
 * @user_data: data for @start_func, typically the source object
 * @user_data_destroy: (nullable): frees @user_data once the job completed
 *
 * Creates a job that wraps one GIO-style `_async`/`_finish` pair: starting
 * the job calls @start_func, and the pointer that @finish_func returns
 * becomes the job's result (read it with aio_job_propagate_pointer()).
 *
 * Returns: (transfer full): a new pending job
 */
AioJob *
aio_job_new_for_async (AioJobAsyncFunc  start_func,
                       AioJobFinishFunc finish_func,
                       GDestroyNotify   result_destroy,
                       gpointer         user_data,
                       GDestroyNotify   user_data_destroy)
{
  AsyncCall *call;

  g_return_val_if_fail (start_func != NULL, NULL);
  g_return_val_if_fail (finish_func != NULL, NULL);

  call = g_new (AsyncCall, 1);
  call->start_func = start_func;
  call->finish_func = finish_func;
  call->result_destroy = result_destroy;
  call->user_data = user_data;
  call->user_data_destroy = user_data_destroy;

  return aio_job_new (async_call_start, call, async_call_free);
}

/**
 * aio_job_new_for_value: (constructor)
 * @value: the result
 *
 * Creates a job that has already succeeded with a copy of @value.
 *
 * Returns: (transfer full): a new completed job
 */
AioJob *
aio_job_new_for_value (const GValue *value)
{
  AioJob *self;

  g_return_val_if_fail (G_IS_VALUE (value), NULL);

  self = g_object_new (AIO_TYPE_JOB, NULL);
  g_value_init (&self->value, G_VALUE_TYPE (value));
  g_value_copy (value, &self->value);
  self->has_returned = TRUE;
  self->state = AIO_JOB_STATE_SUCCEEDED;

  return self;
}

/**
 * aio_job_new_for_error: (constructor)
 * @error: the error
 *
 * Creates a job that has already failed with a copy of @error.
 *
 * Returns: (transfer full): a new completed job
 */
AioJob *
aio_job_new_for_error (const GError *error)
{
  AioJob *self;

  g_return_val_if_fail (error != NULL, NULL);

  self = g_object_new (AIO_TYPE_JOB, NULL);
  self->error = g_error_copy (error);
  self->has_returned = TRUE;
  self->state = AIO_JOB_STATE_FAILED;

  return self;
}

/**
 * aio_job_get_state:
 * @self: an #AioJob
 *
 * Where @self is in its life.
 *
 * Returns: the state of @self
 */
AioJobState
aio_job_get_state (AioJob *self)
{
  AioJobState state;

  g_return_val_if_fail (AIO_IS_JOB (self), AIO_JOB_STATE_PENDING);

  g_mutex_lock (&self->mutex);
  state = self->state;
  g_mutex_unlock (&self->mutex);

  return state;
}

/**
 * aio_job_is_completed:
 * @self: an #AioJob
 *
 * Whether @self has an outcome that aio_job_propagate_value() can read.
 *
 * Returns: %TRUE once @self succeeded or failed
 */
gboolean
aio_job_is_completed (AioJob *self)
{
  AioJobState state = aio_job_get_state (self);

  return state == AIO_JOB_STATE_SUCCEEDED || state == AIO_JOB_STATE_FAILED;
}

/**
 * aio_job_get_cancellable:
 * @self: an #AioJob
 *
 * The #GCancellable handed to the job's function; aio_job_cancel() cancels
 * it.
 *
 * Returns: (transfer none): the job's cancellable
 */
GCancellable *
aio_job_get_cancellable (AioJob *self)
{
  g_return_val_if_fail (AIO_IS_JOB (self), NULL);

  return self->cancellable;
}

static void
aio_job_notify_state (AioJob *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Ends a wait with the job's outcome. Its cancel source holds a reference
 * on the task and the task holds the source: it must go now, or the two
 * would keep each other, and the source stay attached to the waiter's
 * context, for ever. */
static void
aio_job_return_wait (GTask *task)
{
  GSource *cancel_source = g_task_get_task_data (task);

  if (cancel_source != NULL)
    g_source_destroy (cancel_source);
  g_task_return_boolean (task, TRUE);
}

/* Runs in the job's own context, so that waiters are handed their results,
 * user data is freed and notify is emitted where the job was started, never
 * on a worker thread. */
static void
aio_job_complete (AioJob *self)
{
  GQueue waiters = G_QUEUE_INIT;
  GTask *task;

  g_mutex_lock (&self->mutex);
  self->state = self->error != NULL ? AIO_JOB_STATE_FAILED : AIO_JOB_STATE_SUCCEEDED;
  waiters = self->waiters;
  self->waiters = (GQueue) G_QUEUE_INIT;
  g_mutex_unlock (&self->mutex);

  while ((task = g_queue_pop_head (&waiters)) != NULL)
    {
      aio_job_return_wait (task);
      g_object_unref (task);
    }

  /* A binding's closure must not be freed while it runs: a function that
   * completes its job synchronously has its data released by
   * aio_job_start() once it returns. */
  if (!self->is_in_func)
    aio_job_release_func_data (self);
  aio_job_notify_state (self);

  if (self->scope != NULL)
    aio_scope_untrack (g_steal_pointer (&self->scope), &self->scope_link);
}

static gboolean
aio_job_complete_in_idle (gpointer user_data)
{
  aio_job_complete (user_data);

  return G_SOURCE_REMOVE;
}

static void
aio_job_schedule_completion (AioJob *self)
{
  GSource *source;

  if (g_main_context_is_owner (self->context))
    {
      aio_job_complete (self);
      return;
    }

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[aioext] job completion");
  g_source_set_callback (source, aio_job_complete_in_idle, g_object_ref (self), g_object_unref);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Takes ownership of whichever outcome is set. A second return is a bug in
 * the job's function: warn and drop it, keeping the first outcome. */
static void
aio_job_set_outcome (AioJob         *self,
                     const GValue   *value,
                     gpointer        pointer,
                     GDestroyNotify  pointer_destroy,
                     GError         *error)
{
  gboolean is_running;

  g_mutex_lock (&self->mutex);
  is_running = self->state == AIO_JOB_STATE_RUNNING && !self->has_returned;
  if (is_running)
    {
      if (value != NULL)
        {
          g_value_init (&self->value, G_VALUE_TYPE (value));
          g_value_copy (value, &self->value);
        }
      else if (error == NULL)
        {
          g_value_init (&self->value, G_TYPE_POINTER);
          g_value_set_pointer (&self->value, pointer);
          self->pointer_destroy = pointer_destroy;
        }
      self->error = error;
      self->has_returned = TRUE;
    }
  g_mutex_unlock (&self->mutex);

  if (!is_running)
    {
      g_critical ("%s: the job is not running or has already returned its outcome", G_STRFUNC);
      if (pointer_destroy != NULL)
        pointer_destroy (pointer);
      g_clear_error (&error);
      return;
    }

  g_object_ref (self);
  aio_job_schedule_completion (self);
  g_object_unref (self);
}

/**
 * aio_job_return_value:
 * @self: a running #AioJob
 * @value: (nullable): the result, copied; %NULL for a job without a result
 *
 * Completes @self successfully. Call it once, from any thread.
 */
void
aio_job_return_value (AioJob       *self,
                      const GValue *value)
{
  g_return_if_fail (AIO_IS_JOB (self));
  g_return_if_fail (value == NULL || G_IS_VALUE (value));

  aio_job_set_outcome (self, value, NULL, NULL, NULL);
}

/**
 * aio_job_return_pointer: (skip)
 * @self: a running #AioJob
 * @result: (nullable): the result
 * @result_destroy: (nullable): frees @result when the job is finalized
 *
 * Completes @self successfully with a C pointer, which
 * aio_job_propagate_pointer() returns and value readers see as a
 * %G_TYPE_POINTER value. Call it once, from any thread.
 */
void
aio_job_return_pointer (AioJob         *self,
                        gpointer        result,
                        GDestroyNotify  result_destroy)
{
  g_return_if_fail (AIO_IS_JOB (self));

  aio_job_set_outcome (self, NULL, result, result_destroy, NULL);
}

/**
 * aio_job_return_error:
 * @self: a running #AioJob
 * @error: (transfer full): the error
 *
 * Completes @self with @error. Call it once, from any thread.
 */
void
aio_job_return_error (AioJob *self,
                      GError *error)
{
  g_return_if_fail (AIO_IS_JOB (self));
  g_return_if_fail (error != NULL);

  aio_job_set_outcome (self, NULL, NULL, NULL, error);
}

/**
 * aio_job_return_error_literal:
 * @self: a running #AioJob
 * @domain: the error domain
 * @code: the error code
 * @message: the error message
 *
 * Completes @self with a new error. Call it once, from any thread.
 */
void
aio_job_return_error_literal (AioJob     *self,
                              GQuark      domain,
                              int         code,
                              const char *message)
{
  g_return_if_fail (AIO_IS_JOB (self));
  g_return_if_fail (domain != 0);
  g_return_if_fail (message != NULL);

  aio_job_set_outcome (self, NULL, NULL, NULL, g_error_new_literal (domain, code, message));
}

/**
 * aio_job_start:
 * @self: an #AioJob
 *
 * Starts @self now, in the thread-default main context, and lets it run
 * while the caller goes on: like `schedule()` in Python's aioextensions. The
 * outcome is kept until read with aio_job_run_async() or
 * aio_job_propagate_value(). Starting a job that was already started does
 * nothing.
 */
void
aio_job_start (AioJob *self)
{
  gboolean is_pending;

  g_return_if_fail (AIO_IS_JOB (self));

  g_mutex_lock (&self->mutex);
  is_pending = self->state == AIO_JOB_STATE_PENDING;
  if (is_pending)
    {
      self->state = AIO_JOB_STATE_RUNNING;
      self->context = g_main_context_ref_thread_default ();
    }
  g_mutex_unlock (&self->mutex);

  if (!is_pending)
    return;

  g_object_ref (self);

  self->scope = aio_scope_find (self->context);
  if (self->scope != NULL)
    aio_scope_track (self->scope, &self->scope_link);

  aio_job_notify_state (self);

  if (g_cancellable_is_cancelled (self->cancellable))
    aio_job_return_error (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                     _("The job was cancelled before it started.")));
  else if (self->func == NULL)
    /* Made by g_object_new(), as bindings' plain constructors do. */
    aio_job_return_error (self, g_error_new_literal (AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                                                     _("The job has no function to run; create it with aio_job_new().")));
  else
    {
      self->is_in_func = TRUE;
      self->func (self, self->cancellable, self->func_data);
      self->is_in_func = FALSE;

      if (aio_job_is_completed (self))
        aio_job_release_func_data (self);
    }

  g_object_unref (self);
}

/**
 * aio_job_cancel:
 * @self: an #AioJob
 *
 * Cancels @self: a running job's function sees its #GCancellable cancelled,
 * and a job that has not started yet will complete with
 * %G_IO_ERROR_CANCELLED without running. Cancelling a completed job does
 * nothing.
 */
void
aio_job_cancel (AioJob *self)
{
  g_return_if_fail (AIO_IS_JOB (self));

  g_cancellable_cancel (self->cancellable);
}

static void
destroy_source (gpointer source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

/* The waiter gives up at once; the job is cancelled too, and whoever else
 * waits for it gets the outcome its function reports. */
static gboolean
aio_job_on_waiter_cancelled (GCancellable *cancellable,
                             gpointer      user_data)
{
  GTask *task = user_data;
  AioJob *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean was_waiting;

  g_mutex_lock (&self->mutex);
  was_waiting = g_queue_remove (&self->waiters, task);
  g_mutex_unlock (&self->mutex);

  if (was_waiting)
    {
      g_cancellable_set_error_if_cancelled (cancellable, &error);
      g_task_return_error (task, error);
      aio_job_cancel (self);
      g_object_unref (task);
    }

  return G_SOURCE_REMOVE;
}

/**
 * aio_job_run_async:
 * @self: an #AioJob
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called once @self has completed
 * @user_data: data for @callback
 *
 * Starts @self if it has not started yet, and calls @callback in the
 * caller's thread-default main context once it has completed (also when it
 * had already completed). Any number of callers may wait at once.
 *
 * Cancelling @cancellable cancels the job and completes this wait at once
 * with %G_IO_ERROR_CANCELLED.
 */
void
aio_job_run_async (AioJob              *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gboolean is_completed;

  g_return_if_fail (AIO_IS_JOB (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, aio_job_run_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (cancellable != NULL)
    {
      GSource *source = g_cancellable_source_new (cancellable);

      g_task_set_task_data (task, source, destroy_source);
      g_task_attach_source (task, source, G_SOURCE_FUNC (aio_job_on_waiter_cancelled));
    }

  g_mutex_lock (&self->mutex);
  is_completed = self->state == AIO_JOB_STATE_SUCCEEDED || self->state == AIO_JOB_STATE_FAILED;
  if (!is_completed)
    g_queue_push_tail (&self->waiters, g_object_ref (task));
  g_mutex_unlock (&self->mutex);

  if (is_completed)
    aio_job_return_wait (task);
  else
    aio_job_start (self);
}

/**
 * aio_job_run_finish:
 * @self: an #AioJob
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_job_run_async(): reads the job's outcome.
 *
 * Returns: (transfer none) (nullable): the job's result, owned by @self
 *   (see aio_job_propagate_value()), or %NULL with @error set
 */
const GValue *
aio_job_run_finish (AioJob        *self,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (AIO_IS_JOB (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_job_run_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  return aio_job_propagate_value (self, error);
}

/**
 * aio_job_run_sync:
 * @self: an #AioJob
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Runs @self to completion and returns its outcome, blocking the calling
 * thread: the sync bridge that turns an asynchronous operation into a plain
 * call, like `run_decorator` in Python's aioextensions.
 *
 * The wait iterates a private #GMainContext pushed as the thread-default
 * one, so sources of the caller's own context are not dispatched meanwhile
 * (no callback of the caller's runs re-entrantly). Jobs started inside and
 * still running when @self completes are cancelled and drained first. Unlike
 * aio_run() it may be called anywhere, also inside aio_run().
 *
 * Returns: (transfer none) (nullable): the job's result, owned by @self
 *   (see aio_job_propagate_value()), or %NULL with @error set
 */
const GValue *
aio_job_run_sync (AioJob        *self,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_return_val_if_fail (AIO_IS_JOB (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return aio_scope_run_job (self, FALSE, cancellable, error);
}

/**
 * aio_job_propagate_value:
 * @self: a completed #AioJob
 * @error: return location for a #GError
 *
 * Reads the outcome of a completed job: its result, or its error raised. It
 * may be read any number of times. A job completed without a result, or
 * with a C pointer, holds a %G_TYPE_POINTER value (%NULL for no result),
 * which bindings read as `None`/`null`.
 *
 * Returns: (transfer none) (nullable): the job's result, valid as long as
 *   @self, or %NULL with @error set
 */
const GValue *
aio_job_propagate_value (AioJob  *self,
                         GError **error)
{
  g_return_val_if_fail (AIO_IS_JOB (self), NULL);
  g_return_val_if_fail (aio_job_is_completed (self), NULL);

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }

  return &self->value;
}

/**
 * aio_job_propagate_pointer: (skip)
 * @self: a completed #AioJob
 * @error: return location for a #GError
 *
 * Reads the outcome of a job completed with aio_job_return_pointer(), or of
 * one made by aio_job_new_for_async(). The pointer stays owned by the job.
 *
 * Returns: (transfer none) (nullable): the result, or %NULL with @error set
 */
gpointer
aio_job_propagate_pointer (AioJob  *self,
                           GError **error)
{
  g_return_val_if_fail (AIO_IS_JOB (self), NULL);
  g_return_val_if_fail (aio_job_is_completed (self), NULL);

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }

  return G_VALUE_HOLDS_POINTER (&self->value) ? g_value_get_pointer (&self->value) : NULL;
}

typedef struct
{
  GObject           *owner;
  guint              count;
  AioJobGuardRun     run;
  AioJobGuardFinish  finish;
} Guard;

static void
guard_free (gpointer data)
{
  Guard *guard = data;

  g_object_unref (guard->owner);
  g_free (guard);
}

static void
guard_done (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(AioJob) outer = user_data;
  Guard *guard = outer->func_data;
  GError *error = NULL;
  const GValue *value = guard->finish (source_object, result, &error);

  if (value == NULL)
    aio_job_return_error (outer, error);
  else
    aio_job_return_value (outer, value);
}

static void
guard_start (AioJob       *outer,
             GCancellable *cancellable,
             gpointer      user_data)
{
  Guard *guard = user_data;
  AioJob *inner = g_object_get_data (G_OBJECT (outer), "aio-guarded-job");

  guard->run (guard->owner, guard->count, inner, cancellable, guard_done, g_object_ref (outer));
}

/* The outer job keeps the inner one for its whole life: a C pointer result
 * copied into the outer job's value stays owned, and valid, there. */
AioJob *
aio_job_new_guarded (GObject           *owner,
                     guint              count,
                     AioJob            *inner,
                     AioJobGuardRun     run,
                     AioJobGuardFinish  finish)
{
  Guard *guard = g_new0 (Guard, 1);
  AioJob *outer;

  guard->owner = g_object_ref (owner);
  guard->count = count;
  guard->run = run;
  guard->finish = finish;
  outer = aio_job_new (guard_start, guard, guard_free);
  g_object_set_data_full (G_OBJECT (outer), "aio-guarded-job", g_object_ref (inner), g_object_unref);

  return outer;
}
