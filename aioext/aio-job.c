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
#include "aio-recycled-cancellable-private.h"
#include "aio-scope-private.h"
#include "aio-caller-context-private.h"
#include "aio-cancel-source-private.h"

/**
 * SECTION:aio-job
 * @title: AioJob
 * @short_description: one lazily started asynchronous operation and its outcome
 * @include: aioext.h
 * @see_also: #GTask, #GCancellable
 *
 * An AioJob is one piece of asynchronous work and its outcome: the function
 * that starts the work runs when the job is started, and completes the job
 * later, exactly once and from any thread, with a value or an error. It is
 * what aioextensions calls an awaitable, and what the rest of aioext consumes:
 * pools make jobs, semaphores, rate limiters and collectors run them, and
 * aio_run() runs one as a program's entry point.
 *
 * Use a job to give a result that arrives later a single shape every binding
 * understands: start it with aio_job_start() and read the outcome later, or
 * await it with aio_job_run_async() (`yield job.run ()` in Vala, `await` in
 * JavaScript and, with PyGObject 3.50, in Python). Nothing runs until the
 * job is started; cancelling it cancels the work at every stage.
 *
 * The programs below are examples/hello.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-job] tells what
 * each language gets.
 *
 * <example id="AioJob-example-c">
 * <title>C: <filename>examples/hello.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-hello.c"/></programlisting>
 * </example>
 * <example id="AioJob-example-py">
 * <title>Python: <filename>examples/hello.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-hello.py"/></programlisting>
 * </example>
 * <example id="AioJob-example-js">
 * <title>JavaScript (GJS): <filename>examples/hello.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-hello.js"/></programlisting>
 * </example>
 * <example id="AioJob-example-vala">
 * <title>Vala: <filename>examples/hello.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-hello.vala"/></programlisting>
 * </example>
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
 * A job is also a #GAsyncResult: a call that runs a job for its caller,
 * such as aio_semaphore_run_job_async() or aio_job_run_async() itself, may
 * hand the job itself to the callback as its result, rather than a result
 * object of its own. Finish it as any result, with the call's own
 * `_finish()` function; a job serves so for one call only, and then keeps
 * that call's source object, as a #GTask does, until it is freed.
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
 * Value? result = yield job.run (null);
 * ]|
 */

struct _AioJob
{
  GObject         parent_instance;

  /* A bit lock rather than a GMutex: with the flags it fits in the room of
   * the mutex alone, and a collection may hold a million jobs. A leaf in
   * "The lock order" (docs/reference/architecture.xml). */
  gint            lock;
  guint8          state;                      /* lock: an AioJobState */
  guint8          is_in_func;                 /* lock: func is on the stack: keep
                                               * func_data */
  guint8          has_returned : 1;           /* lock: an aio_job_return_*() happened */
  guint8          is_cancel_requested : 1;    /* lock: aio_job_cancel() was called */
  guint8          is_cancellable_shared : 1;  /* lock: aio_job_get_cancellable() */
  guint8          is_tracked : 1;             /* lock: by the aio_run() of its context */
  guint8          is_cancellable_lazy : 1;    /* no cancellable made for the start */
  guint8          is_result_bound : 1;        /* lock: the call fields are in use */
  AioCompletion  *waiters;                    /* lock: TaskWaiter or AioJobWatch,
                                               * newest first */

  /* The function and its data until they are released at completion; then,
   * once a call that ran the job hands the job to its callback as the
   * GAsyncResult (aio_job_bind_result()), that call's source object (a
   * reference), tag and user data, in the same room: a million held
   * results grow by nothing. */
  union
  {
    struct
    {
      AioJobFunc      func;
      gpointer        func_data;
      GDestroyNotify  func_data_destroy;
    };
    struct
    {
      GObject        *result_source;
      gpointer        result_tag;
      gpointer        result_user_data;
    };
  };
  GCancellable   *cancellable;                /* lock: made when first needed */
  GMainContext   *context;                    /* where it was started */

  /* The outcome: written once, before has_returned is set, then read only.
   * A job without a result, or with a C pointer, holds a G_TYPE_POINTER
   * value, which bindings read as None/null; a failed job holds no value,
   * only its error. */
  GValue          value;
  union
  {
    GDestroyNotify  pointer_destroy;          /* frees a C pointer result */
    GError         *error;                    /* while value is unset */
  };
};

/* A caller of aio_job_run_async(), linked with the watches and told apart
 * from them by having no function. */
typedef struct
{
  AioCompletion  link;
  GTask         *task;       /* one ref */
  gboolean       cancels_job; /* a cancelled run_async() cancels the job,
                               * a cancelled wait_async() only itself */
} TaskWaiter;

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The cancel hook (aio_job_set_cancel_hook()) lives in the job's data, not
 * in a field: only jobs whose work waits elsewhere have one, and a million
 * held results must not grow by a pointer each. Read and written under the
 * job's lock. */
static GQuark cancel_hook_quark;

static void aio_job_async_result_iface_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AioJob, aio_job, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT,
                                                      aio_job_async_result_iface_init))

static inline void
aio_job_lock (AioJob *self)
{
  g_bit_lock (&self->lock, 0);
}

static inline void
aio_job_unlock (AioJob *self)
{
  g_bit_unlock (&self->lock, 0);
}

static inline gboolean
aio_job_state_is_final (AioJobState state)
{
  return state == AIO_JOB_STATE_SUCCEEDED || state == AIO_JOB_STATE_FAILED;
}

static inline AioJobState
aio_job_read_state (AioJob *self)
{
  AioJobState state;

  aio_job_lock (self);
  state = self->state;
  aio_job_unlock (self);

  return state;
}

/* Under the lock: the room of the function may hold a bound call's fields
 * by now, written by another thread (see aio_job_bind_result()). The
 * caller calls @destroy (@data) outside the lock, when set. */
static void
aio_job_steal_func_data_locked (AioJob          *self,
                                GDestroyNotify  *destroy,
                                gpointer        *data)
{
  *destroy = NULL;
  *data = NULL;
  if (self->is_result_bound)
    return;

  *destroy = g_steal_pointer (&self->func_data_destroy);
  *data = g_steal_pointer (&self->func_data);
  self->func = NULL;
}

static void
aio_job_release_func_data (AioJob *self)
{
  GDestroyNotify destroy;
  gpointer data;

  aio_job_lock (self);
  aio_job_steal_func_data_locked (self, &destroy, &data);
  aio_job_unlock (self);

  if (destroy != NULL)
    destroy (data);
}

/* A job that is the result of its own run_async() holds no reference on
 * itself, or it would never be freed. */
static gboolean
aio_job_is_own_result_source (AioJob  *self,
                              GObject *source_object)
{
  return source_object == (GObject *) self;
}

static void
aio_job_release_result_source (AioJob *self)
{
  if (!aio_job_is_own_result_source (self, self->result_source))
    g_object_unref (self->result_source);
}

static void
aio_job_finalize (GObject *object)
{
  AioJob *self = (AioJob *) object;

  g_assert (self->waiters == NULL);

  if (self->is_result_bound)
    aio_job_release_result_source (self);
  else
    aio_job_release_func_data (self);
  if (!G_IS_VALUE (&self->value))
    g_clear_error (&self->error);
  else
    {
      if (self->pointer_destroy != NULL)
        self->pointer_destroy (g_value_get_pointer (&self->value));
      g_value_unset (&self->value);
    }
  g_clear_pointer (&self->cancellable, aio_recycled_cancellable_release);
  g_clear_pointer (&self->context, g_main_context_unref);

  /* Plain casts on the paths every job takes: a checked one costs more
   * than the rest of these functions. */
  ((GObjectClass *) aio_job_parent_class)->finalize (object);
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

  cancel_hook_quark = g_quark_from_static_string ("aio-job-cancel-hook");

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

/* A job of the library whose function is called with no #GCancellable
 * unless one was asked for before the start (aio_job_get_cancellable()):
 * its work learns of aio_job_cancel() through aio_job_set_cancel_hook(),
 * and asks for the cancellable only when it runs. A million queued calls
 * then hold no cancellable and no signal handler each. */
AioJob *
aio_job_new_with_lazy_cancellable (AioJobFunc     func,
                                   gpointer       user_data,
                                   GDestroyNotify user_data_destroy)
{
  AioJob *self = aio_job_new (func, user_data, user_data_destroy);

  self->is_cancellable_lazy = TRUE;

  return self;
}

/* Sets (or, with %NULL, clears) the hook that aio_job_cancel() calls.
 * Returns FALSE, setting nothing, when the job was cancelled already: the
 * caller then cancels its work itself. */
gboolean
aio_job_set_cancel_hook (AioJob           *self,
                         AioJobCancelHook *hook)
{
  gboolean is_cancelled;

  aio_job_lock (self);
  is_cancelled = hook != NULL && self->is_cancel_requested;
  if (!is_cancelled)
    g_object_set_qdata (G_OBJECT (self), cancel_hook_quark, hook);
  aio_job_unlock (self);

  return !is_cancelled;
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

/* The function of aio_job_new_fallible() and its data. */
typedef struct
{
  AioJobFallibleFunc func;
  gpointer           user_data;
  GDestroyNotify     user_data_destroy;
} FallibleCall;

static void
fallible_call_free (gpointer data)
{
  FallibleCall *call = data;

  if (call->user_data_destroy != NULL)
    call->user_data_destroy (call->user_data);
  g_free (call);
}

static void
fallible_call_start (AioJob       *job,
                     GCancellable *cancellable,
                     gpointer      user_data)
{
  FallibleCall *call = user_data;
  g_autoptr(GError) error = NULL;
  gboolean has_returned;

  call->func (job, cancellable, call->user_data, &error);
  if (error == NULL)
    return;

  aio_job_lock (job);
  has_returned = job->has_returned;
  aio_job_unlock (job);

  /* The job keeps its first outcome; a failure reported after it is a bug
   * in the function, but its message is worth showing. */
  if (has_returned)
    g_warning ("The function of a job failed after it had completed the job: %s", error->message);
  else
    aio_job_return_error (job, g_steal_pointer (&error));
}

/**
 * aio_job_new_fallible: (constructor)
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy):
 *   the function that starts the work, and may fail
 * @user_data: data for @func
 * @user_data_destroy: (nullable): frees @user_data once the job completed,
 *   in the main context the job was started in
 *
 * Creates a job like aio_job_new() whose function can fail: when @func
 * sets an error, the job completes with that error, unless @func had
 * already completed it.
 *
 * From JavaScript and Python an exception thrown by the function of either
 * constructor becomes the job's error (the bindings' overrides see to it),
 * so whoever waits for the job sees it. From Vala, the function is a
 * `throws Error` delegate, the way to fail a job from its function.
 *
 * |[<!-- language="JavaScript" -->
 * const job = Aio.Job.new_fallible((job, cancellable) => {
 *     const file = Gio.File.new_for_path(path);   // may throw
 *     file.load_contents_async(cancellable, (f, res) => {
 *         try {
 *             job.return_value(f.load_contents_finish(res)[1]);
 *         } catch (e) {
 *             job.return_error(e);
 *         }
 *     });
 * });
 * ]|
 *
 * Returns: (transfer full): a new pending job
 */
AioJob *
aio_job_new_fallible (AioJobFallibleFunc func,
                      gpointer           user_data,
                      GDestroyNotify     user_data_destroy)
{
  FallibleCall *call;

  g_return_val_if_fail (func != NULL, NULL);

  call = g_new (FallibleCall, 1);
  call->func = func;
  call->user_data = user_data;
  call->user_data_destroy = user_data_destroy;

  return aio_job_new (fallible_call_start, call, fallible_call_free);
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
  g_return_val_if_fail (AIO_IS_JOB (self), AIO_JOB_STATE_PENDING);

  return aio_job_read_state (self);
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
  return aio_job_state_is_final (aio_job_get_state (self));
}

/* Most jobs are never cancelled and many never ask for their cancellable:
 * it is made on first use (the start, aio_job_get_cancellable()), already
 * cancelled when aio_job_cancel() came first. */
static GCancellable *
aio_job_ensure_cancellable_locked (AioJob *self)
{
  if (self->cancellable == NULL)
    {
      self->cancellable = aio_recycled_cancellable_take ();
      if (self->is_cancel_requested)
        g_cancellable_cancel (self->cancellable);
    }

  return self->cancellable;
}

/* A completed job's cancellable has nothing left to cancel. Unless someone
 * else may still use it (a reference, a handler, aio_job_get_cancellable(),
 * the job's function on the stack), the job lets go of it at completion
 * rather than at finalization: a collection holding a million results then
 * holds no cancellable per result. Whether it was cancelled is kept, for
 * one made again on demand.
 *
 * Under the lock: the spare cancellable, if the job may let go of it now;
 * the caller hands it to aio_job_give_back_cancellable() outside the lock.
 * Whether someone else holds it or listens to it is asked here, under the
 * job's lock (the recycler reads only the reference flag again):
 * aio_job_cancel() takes its reference under the same lock, so one it still
 * holds is never let go of here. GLib 2.74's
 * toggle references race when the holder removes its own while another
 * thread drops the last other reference: the toggle notification then
 * writes to a freed object (ThreadSanitizer caught it in test-thread-pool's
 * cancel-as-they-start). */
static GCancellable *
aio_job_steal_spare_cancellable_locked (AioJob *self)
{
  GCancellable *cancellable = NULL;

  if (self->cancellable != NULL && !self->is_cancellable_shared && !self->is_in_func &&
      !aio_recycled_cancellable_is_kept (self->cancellable))
    {
      cancellable = g_steal_pointer (&self->cancellable);
      if (g_cancellable_is_cancelled (cancellable))
        self->is_cancel_requested = TRUE;
    }

  return cancellable;
}

static void
aio_job_give_back_cancellable (GCancellable *cancellable)
{
  if (cancellable != NULL)
    aio_recycled_cancellable_give_back (cancellable);
}

/**
 * aio_job_get_cancellable:
 * @self: an #AioJob
 *
 * The job's #GCancellable: while the job runs, the one handed to its
 * function. aio_job_cancel() cancels it.
 *
 * Returns: (transfer none): the job's cancellable, valid as long as @self
 */
GCancellable *
aio_job_get_cancellable (AioJob *self)
{
  GCancellable *cancellable;

  g_return_val_if_fail (AIO_IS_JOB (self), NULL);

  aio_job_lock (self);
  cancellable = aio_job_ensure_cancellable_locked (self);
  self->is_cancellable_shared = TRUE;
  aio_job_unlock (self);

  return cancellable;
}

/* The job's cancellable for work that runs now and lets go of it when it
 * returns, before the job completes: unlike aio_job_get_cancellable(), the
 * job may still hand it back at completion when nobody else kept it. */
GCancellable *
aio_job_ensure_cancellable (AioJob *self)
{
  GCancellable *cancellable;

  aio_job_lock (self);
  cancellable = aio_job_ensure_cancellable_locked (self);
  aio_job_unlock (self);

  return cancellable;
}

static void
aio_job_notify_state (AioJob *self)
{
  g_object_notify_by_pspec ((GObject *) self, properties[PROP_STATE]);
}

/* Ends a wait with the job's outcome. Its cancel source holds a reference
 * on the task and the task holds the source: it must go now, or the two
 * would keep each other, and the source stay attached to the waiter's
 * context, for ever. It goes while the caller holds the task, and so the
 * waiter's context: left to the task's finalization, which drops the
 * context first, it could be dropped on this thread while the waiter's
 * thread frees that context. */
static void
aio_job_return_wait (GTask *task)
{
  g_task_set_task_data (task, NULL, NULL);
  g_task_return_boolean (task, TRUE);
}

/* Hands every GTask its result, in wait order, and returns the watches,
 * also in wait order. */
static AioCompletion *
aio_job_return_tasks (AioCompletion *waiters)
{
  AioCompletion *watches = NULL, **tail = &watches;
  AioCompletion *waiter = aio_completion_list_reverse (waiters);

  while (waiter != NULL)
    {
      AioCompletion *next = waiter->next;

      if (waiter->func == NULL)
        {
          TaskWaiter *task_waiter = (TaskWaiter *) waiter;

          aio_job_return_wait (task_waiter->task);
          g_object_unref (task_waiter->task);
          g_free (task_waiter);
        }
      else
        {
          *tail = waiter;
          tail = &waiter->next;
        }
      waiter = next;
    }
  *tail = NULL;

  return watches;
}

typedef struct
{
  AioJobWatch          watch;         /* first */
  AioJob              *job;           /* one ref */
  GAsyncReadyCallback  callback;
  gpointer             user_data;
} RunWatch;

/* The result of a run_async() wait whose job could not serve as its own
 * (it already serves another call): a GTask, as with a cancellable. */
static void
aio_job_return_run_task (AioJob              *self,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, aio_job_run_async);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* In the caller's context, from its completion queue, once the job has
 * completed: the callback gets the job itself as its result when it can
 * (the first such wait of the job, the usual only one), which saves a
 * result object per wait and, in a binding, a wrapper for it. */
static void
aio_job_on_run_watch_done (AioCompletion *completion)
{
  RunWatch *run_watch = (RunWatch *) completion;
  AioJob *self = run_watch->job;

  aio_completion_queue_unref (run_watch->watch.queue);
  if (aio_job_bind_result (self, (GObject *) self, aio_job_run_async, run_watch->user_data))
    run_watch->callback ((GObject *) self, (GAsyncResult *) self, run_watch->user_data);
  else
    aio_job_return_run_task (self, run_watch->callback, run_watch->user_data);

  g_free (run_watch);
  g_object_unref (self);
}

/* Whether @watch may be called back at once by a job completing now: as a
 * GTask would be, when this thread dispatches in the watch's context and
 * the watch began in an earlier dispatch (so never from inside the call
 * that made it). It then saves the context an iteration, and a poll, per
 * job. */
static gboolean
aio_job_watch_may_return_now (AioJobWatch *watch)
{
  return watch->returns_after != G_MAXINT64 &&
         aio_completion_queue_dispatch_time (watch->queue) > watch->returns_after;
}

/* A wait of aio_job_run_async() without a cancellable: nothing can end
 * it but the job's completion, so it needs no GTask, no cancel source and
 * no main-loop dispatch of its own; it is a watch, called back from the
 * caller's completion queue. */
static void
aio_job_add_run_watch (AioJob              *self,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  RunWatch *run_watch = g_new (RunWatch, 1);

  run_watch->job = g_object_ref (self);
  run_watch->callback = callback;
  run_watch->user_data = user_data;
  aio_job_watch (self, &run_watch->watch, aio_completion_queue_ref_thread_default (),
                 aio_job_on_run_watch_done, TRUE);
}

/* Last, once the job is done with itself: each watcher hears of the outcome
 * from its own completion queue. */
static void
aio_job_hand_back_watches (AioCompletion *watches)
{
  while (watches != NULL)
    {
      AioJobWatch *watch = (AioJobWatch *) watches;

      watches = watches->next;
      if (aio_job_watch_may_return_now (watch))
        watch->completion.func (&watch->completion);
      else
        aio_completion_queue_push (watch->queue, &watch->completion, watch->completion.func);
    }
}

/* Runs in the job's own context, so that waiters are handed their results,
 * user data is freed and notify is emitted where the job was started, never
 * on a worker thread. */
static void
aio_job_complete (AioJob *self)
{
  AioCompletion *waiters, *watches;
  gboolean is_tracked, is_in_func;

  GDestroyNotify func_data_destroy = NULL;
  gpointer func_data = NULL;
  GCancellable *cancellable;

  /* One look under the lock for everything completion changes. A
   * binding's closure must not be freed while it runs: a function that
   * completes its job synchronously has its data released by
   * aio_job_start() once it returns. */
  aio_job_lock (self);
  self->state = G_IS_VALUE (&self->value) ? AIO_JOB_STATE_SUCCEEDED : AIO_JOB_STATE_FAILED;
  waiters = g_steal_pointer (&self->waiters);
  is_tracked = self->is_tracked;
  self->is_tracked = FALSE;
  is_in_func = self->is_in_func;
  if (!is_in_func)
    aio_job_steal_func_data_locked (self, &func_data_destroy, &func_data);
  cancellable = aio_job_steal_spare_cancellable_locked (self);
  aio_job_unlock (self);

  watches = aio_job_return_tasks (waiters);

  if (func_data_destroy != NULL)
    func_data_destroy (func_data);
  aio_job_give_back_cancellable (cancellable);
  aio_job_notify_state (self);

  if (is_tracked)
    aio_scope_untrack (self->context, self);

  aio_job_hand_back_watches (watches);
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
  aio_context_deliver (self->context, G_PRIORITY_DEFAULT, TRUE, "[aioext] job completion",
                       aio_job_complete_in_idle, self, g_object_ref, g_object_unref);
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

  aio_job_lock (self);
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
      else
        self->error = error;
      self->has_returned = TRUE;
    }
  aio_job_unlock (self);

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

/* Moves a pending job to running in the thread-default context: the one
 * step that aio_job_start() and aio_job_schedule() share. Returns FALSE
 * when the job had already started. */
static gboolean
aio_job_claim (AioJob *self)
{
  gboolean is_pending;

  aio_job_lock (self);
  is_pending = self->state == AIO_JOB_STATE_PENDING;
  if (is_pending)
    {
      self->state = AIO_JOB_STATE_RUNNING;
      self->context = g_main_context_ref_thread_default ();
    }
  aio_job_unlock (self);

  if (!is_pending)
    return FALSE;

  if (aio_scope_track (self->context, self))
    {
      aio_job_lock (self);
      self->is_tracked = TRUE;
      aio_job_unlock (self);
    }

  aio_job_notify_state (self);

  return TRUE;
}

/* Runs the function of a claimed job, unless it was cancelled meanwhile
 * (by a handler of the state notify, or while a scheduled start waited). */
static void
aio_job_invoke (AioJob *self)
{
  GCancellable *cancellable = NULL, *spare = NULL;
  GDestroyNotify func_data_destroy = NULL;
  gpointer func_data = NULL;
  gboolean is_cancelled, is_completed;

  aio_job_lock (self);
  is_cancelled = self->is_cancel_requested ||
                 (self->cancellable != NULL && g_cancellable_is_cancelled (self->cancellable));
  if (!is_cancelled && self->func != NULL)
    {
      cancellable = self->is_cancellable_lazy ? self->cancellable : aio_job_ensure_cancellable_locked (self);
      self->is_in_func = TRUE;
    }
  aio_job_unlock (self);

  if (is_cancelled)
    {
      aio_job_return_error (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       _("The job was cancelled before it started.")));
      return;
    }
  if (self->func == NULL)
    {
      /* Made by g_object_new(), as bindings' plain constructors do. */
      aio_job_return_error (self, g_error_new_literal (AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                                                       _("The job has no function to run; create the job with the function that starts its work.")));
      return;
    }

  self->func (self, cancellable, self->func_data);

  /* Under the lock, like every flag beside it: a thread that returns the
   * job reads them while the function may still be running. */
  aio_job_lock (self);
  self->is_in_func = FALSE;
  is_completed = aio_job_state_is_final (self->state);
  if (is_completed)
    {
      aio_job_steal_func_data_locked (self, &func_data_destroy, &func_data);
      spare = aio_job_steal_spare_cancellable_locked (self);
    }
  aio_job_unlock (self);

  if (func_data_destroy != NULL)
    func_data_destroy (func_data);
  aio_job_give_back_cancellable (spare);
}

/* aio_job_start() for a caller that keeps @self alive until it returns,
 * as a watch's owner does: no reference of its own. */
static void
aio_job_start_held (AioJob *self)
{
  if (aio_job_claim (self))
    aio_job_invoke (self);
}

/**
 * aio_job_start:
 * @self: an #AioJob
 *
 * Starts @self now, in the thread-default main context: its function runs
 * before aio_job_start() returns, and the job goes on while the caller
 * does. The outcome is kept until read with aio_job_run_async(),
 * aio_job_wait_async() or aio_job_propagate_value(). Starting a job that
 * was already started does nothing. To start it from the main loop
 * instead, like `schedule()` in Python's aioextensions, use
 * aio_job_schedule().
 */
void
aio_job_start (AioJob *self)
{
  g_return_if_fail (AIO_IS_JOB (self));

  /* The function may drop the caller's last reference. */
  g_object_ref (self);
  aio_job_start_held (self);
  g_object_unref (self);
}

/* The scheduled start, from an idle source of the job's context: the
 * function runs with that context as the thread-default one, as it would
 * from aio_job_start(). */
static gboolean
aio_job_start_scheduled (gpointer user_data)
{
  AioJob *self = user_data;
  GMainContext *current = g_main_context_get_thread_default ();
  gboolean must_push = self->context != (current != NULL ? current : g_main_context_default ());

  if (must_push)
    g_main_context_push_thread_default (self->context);
  aio_job_invoke (self);
  if (must_push)
    g_main_context_pop_thread_default (self->context);

  return G_SOURCE_REMOVE;
}

/**
 * aio_job_schedule:
 * @self: an #AioJob
 *
 * Starts @self from the main loop: the job is running as soon as the call
 * returns (aio_job_start() and aio_job_run_async() no longer start it
 * again), and its function runs in the next iteration of the
 * thread-default main context, never inside this call. It is aioext's
 * `schedule()` of Python's aioextensions: the caller goes on, and the
 * work starts on the loop.
 *
 * Follow the job with aio_job_wait_async(), a wait that may be cancelled
 * or dropped without touching the job, and stop the job itself with
 * aio_job_cancel(): cancelled before its function ran, the job completes
 * with %G_IO_ERROR_CANCELLED without running. Scheduling a job that was
 * already started does nothing.
 *
 * |[<!-- language="C" -->
 * aio_job_schedule (job);              // returns at once
 * aio_job_wait_async (job, wait_cancellable, on_done, NULL);
 * g_cancellable_cancel (wait_cancellable);   // stops waiting, the job goes on
 * aio_job_cancel (job);                // stops the job
 * ]|
 */
void
aio_job_schedule (AioJob *self)
{
  g_return_if_fail (AIO_IS_JOB (self));

  g_object_ref (self);
  if (aio_job_claim (self))
    aio_context_deliver (self->context, G_PRIORITY_DEFAULT, FALSE, "[aioext] scheduled job start",
                         aio_job_start_scheduled, self, g_object_ref, g_object_unref);
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
  GCancellable *cancellable;
  AioJobCancelHook *hook;

  g_return_if_fail (AIO_IS_JOB (self));

  aio_job_lock (self);
  self->is_cancel_requested = TRUE;
  cancellable = self->cancellable != NULL ? g_object_ref (self->cancellable) : NULL;
  hook = self->is_cancellable_lazy ? g_object_get_qdata (G_OBJECT (self), cancel_hook_quark) : NULL;
  if (hook != NULL)
    hook->hold (hook);
  aio_job_unlock (self);

  if (hook != NULL)
    hook->cancel (hook);

  /* Outside the lock: the cancelled handlers may call back into the job. */
  if (cancellable != NULL)
    {
      g_cancellable_cancel (cancellable);
      g_object_unref (cancellable);
    }
}

/* The waiter gives up at once. A run_async() waiter cancels the job too,
 * and whoever else waits for it gets the outcome its function reports. */
static gboolean
aio_job_on_waiter_cancelled (GCancellable *cancellable,
                             gpointer      user_data)
{
  GTask *task = user_data;
  AioJob *self = g_task_get_source_object (task);
  GError *error = NULL;
  TaskWaiter *task_waiter = NULL;

  aio_job_lock (self);
  for (AioCompletion **link = &self->waiters; *link != NULL; link = &(*link)->next)
    if ((*link)->func == NULL && ((TaskWaiter *) *link)->task == task)
      {
        task_waiter = (TaskWaiter *) *link;
        *link = task_waiter->link.next;
        break;
      }
  aio_job_unlock (self);

  if (task_waiter != NULL)
    {
      gboolean cancels_job = task_waiter->cancels_job;

      g_free (task_waiter);
      g_cancellable_set_error_if_cancelled (cancellable, &error);
      g_task_return_error (task, error);
      if (cancels_job)
        aio_job_cancel (self);
      g_object_unref (task);
    }

  return G_SOURCE_REMOVE;
}

/* Adds a wait of aio_job_run_async() or aio_job_wait_async() (the
 * @source_tag), starting @self if needed. */
static void
aio_job_add_task_waiter (AioJob              *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data,
                         gpointer             source_tag,
                         gboolean             cancels_job)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  TaskWaiter *task_waiter;
  gboolean is_completed;

  g_task_set_source_tag (task, source_tag);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (cancellable != NULL)
    {
      GSource *source = aio_cancel_source_new (cancellable);

      g_task_set_task_data (task, source, aio_source_destroy);
      g_task_attach_source (task, source, G_SOURCE_FUNC (aio_job_on_waiter_cancelled));
    }

  task_waiter = g_new (TaskWaiter, 1);
  task_waiter->link.func = NULL;
  task_waiter->task = g_object_ref (task);
  task_waiter->cancels_job = cancels_job;

  aio_job_lock (self);
  is_completed = aio_job_state_is_final (self->state);
  if (!is_completed)
    {
      task_waiter->link.next = self->waiters;
      self->waiters = &task_waiter->link;
    }
  aio_job_unlock (self);

  if (is_completed)
    {
      g_object_unref (task_waiter->task);
      g_free (task_waiter);
      aio_job_return_wait (task);
    }
  else
    aio_job_start (self);
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
 * with %G_IO_ERROR_CANCELLED; to stop waiting without stopping the job,
 * wait with aio_job_wait_async(). Without a @cancellable, the callback of
 * the job's first such wait gets the job itself as its #GAsyncResult
 * (the source object too); finish it with aio_job_run_finish() as any.
 */
void
aio_job_run_async (AioJob              *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_return_if_fail (AIO_IS_JOB (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (cancellable == NULL)
    aio_job_add_run_watch (self, callback, user_data);
  else
    aio_job_add_task_waiter (self, cancellable, callback, user_data, aio_job_run_async, TRUE);
}

/**
 * aio_job_wait_async:
 * @self: an #AioJob
 * @cancellable: (nullable): a #GCancellable that stops this wait only
 * @callback: (scope async): called once @self has completed, or once the
 *   wait was cancelled
 * @user_data: data for @callback
 *
 * Waits for @self to complete, starting it if it has not started yet, and
 * calls @callback in the caller's thread-default main context; read the
 * outcome with aio_job_propagate_value(). Unlike aio_job_run_async(),
 * cancelling @cancellable ends this wait alone, with
 * %G_IO_ERROR_CANCELLED, and leaves the job running: the wait on a job
 * that aio_job_schedule() started, which may be dropped without stopping
 * the work. aio_job_cancel() stops the job itself.
 */
void
aio_job_wait_async (AioJob              *self,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_return_if_fail (AIO_IS_JOB (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  aio_job_add_task_waiter (self, cancellable, callback, user_data, aio_job_wait_async, FALSE);
}

/**
 * aio_job_wait_finish:
 * @self: an #AioJob
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_job_wait_async(). It fails only when the wait was
 * cancelled: whatever the job's outcome, aio_job_propagate_value() reads
 * it, like the finished task that the future of aioextensions' `schedule()`
 * gives.
 *
 * Returns: %TRUE once @self has completed, %FALSE with
 *   %G_IO_ERROR_CANCELLED when the wait was cancelled first
 */
gboolean
aio_job_wait_finish (AioJob        *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (AIO_IS_JOB (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_job_wait_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Like aio_job_run_async() without its cost: no GTask, no cancel source,
 * and no main-loop dispatch of its own per job, since @func runs from
 * @queue's completion source with every other completion of that
 * iteration; or, @may_return_at_once, right as the job completes in a
 * later dispatch of @queue's context, as a GTask calls back (a caller
 * that hands out work from a dispatch of its own, as a collector does,
 * keeps to the queue). @func runs once, in @queue's context, never from
 * inside this call, also when @self had already completed. The caller
 * keeps @watch and @self alive, and holds a user of @queue, until @func
 * has run. */
void
aio_job_watch (AioJob             *self,
               AioJobWatch        *watch,
               AioCompletionQueue *queue,
               AioCompletionFunc   func,
               gboolean            may_return_at_once)
{
  gboolean is_completed;

  watch->queue = queue;
  watch->completion.func = func;
  watch->returns_after = may_return_at_once ? aio_completion_queue_dispatch_time (queue) : G_MAXINT64;

  aio_job_lock (self);
  is_completed = aio_job_state_is_final (self->state);
  if (!is_completed)
    {
      watch->completion.next = self->waiters;
      self->waiters = &watch->completion;
    }
  aio_job_unlock (self);

  if (is_completed)
    aio_completion_queue_push (queue, &watch->completion, func);
  else
    aio_job_start_held (self);
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
  const GValue *value;
  gboolean is_own_result;

  g_return_val_if_fail (AIO_IS_JOB (self), NULL);

  value = aio_job_propagate_as_result_of (result, self, aio_job_run_async, &is_own_result, error);
  if (is_own_result)
    return value;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_job_run_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  return aio_job_propagate_value (self, error);
}

/* The owned copy that the dup_*_finish() functions hand out: %NULL (an
 * error was set) stays %NULL. */
GValue *
aio_job_dup_outcome (const GValue *value)
{
  return value != NULL ? g_boxed_copy (G_TYPE_VALUE, value) : NULL;
}

/**
 * aio_job_dup_run_finish: (skip)
 * @self: an #AioJob
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_job_run_async() like aio_job_run_finish(), but returns a
 * copy of the job's result that the caller owns, as
 * g_task_propagate_value() does: it stays valid after @self is freed. The
 * Vala binding finishes `yield job.run ()` with it; a C caller that keeps
 * the job alive needs no copy.
 *
 * Returns: (transfer full) (nullable): a copy of the job's result, to free
 *   with g_boxed_free() (%G_TYPE_VALUE), or %NULL with @error set
 */
GValue *
aio_job_dup_run_finish (AioJob        *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return aio_job_dup_outcome (aio_job_run_finish (self, result, error));
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

/* The outcome of a completed job: written once, before completion, and
 * only read since, so read without the lock. */
static const GValue *
aio_job_read_outcome (AioJob  *self,
                      GError **error)
{
  if (!G_IS_VALUE (&self->value))
    {
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }

  return &self->value;
}

/* The outcome of a completed job as it is kept: its result, or %NULL with
 * @error pointed at its error; both stay owned by the job. For a C done
 * function, which reads the outcome without copying an error. */
const GValue *
aio_job_peek_outcome (AioJob        *self,
                      const GError **error)
{
  if (!G_IS_VALUE (&self->value))
    {
      *error = self->error;
      return NULL;
    }

  *error = NULL;
  return &self->value;
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
  g_return_val_if_fail (aio_job_state_is_final (aio_job_read_state (self)), NULL);

  return aio_job_read_outcome (self, error);
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
  g_return_val_if_fail (aio_job_state_is_final (aio_job_read_state (self)), NULL);

  if (!G_IS_VALUE (&self->value))
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

/* The job as the GAsyncResult of a call that ran it ---------------------- */

/* A call that runs a job and succeeds reports nothing but the job's own
 * outcome, so the job itself can be the result handed to its callback:
 * one object fewer per call than a result object of its own. The job
 * serves one call so for good (a callback may keep the result and finish
 * later); a second call on the same job gets a result object of its own. */

static gpointer
aio_job_result_get_user_data (GAsyncResult *result)
{
  AioJob *self = (AioJob *) result;
  gpointer user_data;

  aio_job_lock (self);
  user_data = self->is_result_bound ? self->result_user_data : NULL;
  aio_job_unlock (self);

  return user_data;
}

static GObject *
aio_job_result_get_source_object (GAsyncResult *result)
{
  AioJob *self = (AioJob *) result;
  GObject *source_object;

  aio_job_lock (self);
  source_object = self->is_result_bound ? g_object_ref (self->result_source) : NULL;
  aio_job_unlock (self);

  return source_object;
}

static gboolean
aio_job_result_is_tagged (GAsyncResult *result,
                          gpointer      source_tag)
{
  AioJob *self = (AioJob *) result;
  gboolean is_tagged;

  aio_job_lock (self);
  is_tagged = self->is_result_bound && self->result_tag == source_tag;
  aio_job_unlock (self);

  return is_tagged;
}

static void
aio_job_async_result_iface_init (GAsyncResultIface *iface)
{
  iface->get_user_data = aio_job_result_get_user_data;
  iface->get_source_object = aio_job_result_get_source_object;
  iface->is_tagged = aio_job_result_is_tagged;
}

/* Makes @self the result of the call of @source_object tagged @source_tag,
 * for a callback with @user_data, when it can be: completed, its function
 * released, and no call bound yet. Returns FALSE otherwise; the caller
 * then hands out a result object of its own. */
gboolean
aio_job_bind_result (AioJob   *self,
                     GObject  *source_object,
                     gpointer  source_tag,
                     gpointer  user_data)
{
  gboolean is_bound;
  gboolean is_own = aio_job_is_own_result_source (self, source_object);

  if (!is_own)
    g_object_ref (source_object);

  aio_job_lock (self);
  is_bound = aio_job_state_is_final (self->state) && !self->is_result_bound && !self->is_in_func &&
             self->func == NULL && self->func_data == NULL && self->func_data_destroy == NULL;
  if (is_bound)
    {
      self->result_source = source_object;
      self->result_tag = source_tag;
      self->result_user_data = user_data;
      self->is_result_bound = TRUE;
    }
  aio_job_unlock (self);

  if (!is_bound && !is_own)
    g_object_unref (source_object);

  return is_bound;
}

/* When @result is a job that aio_job_bind_result() made the result of
 * @source_object's call tagged @source_tag, sets @is_result and returns
 * the job's outcome as aio_job_propagate_value() does (a bound job has
 * completed); otherwise returns %NULL without @error set. */
const GValue *
aio_job_propagate_as_result_of (GAsyncResult  *result,
                                gpointer       source_object,
                                gpointer       source_tag,
                                gboolean      *is_result,
                                GError       **error)
{
  AioJob *self;

  *is_result = FALSE;
  if (!AIO_IS_JOB (result))
    return NULL;

  self = (AioJob *) result;
  aio_job_lock (self);
  *is_result = self->is_result_bound && self->result_source == source_object &&
               self->result_tag == source_tag;
  aio_job_unlock (self);
  if (!*is_result)
    return NULL;

  return aio_job_read_outcome (self, error);
}
