/* aio-semaphore.c: an atomic, FIFO, weighted semaphore
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-error.h"
#include "aio-i18n-private.h"
#include "aio-semaphore.h"
#include "aio-job-private.h"
#include "aio-caller-context-private.h"
#include "aio-cancel-source-private.h"
#include "aio-notify-batcher-private.h"
#include "aio-wait-queue-private.h"

/**
 * SECTION:aio-semaphore
 * @title: AioSemaphore
 * @short_description: an atomic, FIFO, weighted semaphore that can run a job while holding permits
 * @include: aioext.h
 * @see_also: #AioRateLimiter, #AioJob
 *
 * An AioSemaphore is a counter of permits that callers acquire before doing
 * something and release afterwards, to bound how much of it runs at once:
 * aioextensions' `Semaphore`, `BoundedSemaphore` and `acquire_many(n)`. An
 * acquisition of several permits is atomic, waiters are served strictly in
 * FIFO order, and a cancelled waiter wakes whoever it was blocking.
 *
 * Use it when the work itself is not the limit but a shared budget is:
 * transfers sharing bandwidth, jobs sharing memory or connections. It can
 * hold its permits for exactly the life of a job with
 * aio_semaphore_run_job_async().
 *
 * The programs below are examples/semaphore-permits.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-semaphore] tells what
 * each language gets.
 *
 * <example id="AioSemaphore-example-c">
 * <title>C: <filename>examples/semaphore-permits.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-semaphore-permits.c"/></programlisting>
 * </example>
 * <example id="AioSemaphore-example-py">
 * <title>Python: <filename>examples/semaphore-permits.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-semaphore-permits.py"/></programlisting>
 * </example>
 * <example id="AioSemaphore-example-js">
 * <title>JavaScript (GJS): <filename>examples/semaphore-permits.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-semaphore-permits.js"/></programlisting>
 * </example>
 * <example id="AioSemaphore-example-vala">
 * <title>Vala: <filename>examples/semaphore-permits.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-semaphore-permits.vala"/></programlisting>
 * </example>
 */

/**
 * AioSemaphore:
 *
 * A counter of permits that callers acquire before doing something and
 * release afterwards, to bound how much of it runs at once: Python's
 * `asyncio.Semaphore` and `BoundedSemaphore`, plus `acquire_many(n)` from
 * Python's aioextensions, without their flaws.
 *
 * - An acquisition of @count permits is atomic: it gets all of them at once
 *   or waits without holding any, so two callers that each need most of the
 *   permits can never deadlock holding half each.
 * - Waiters are served strictly in FIFO order: a large request at the head
 *   is not overtaken by smaller ones behind it, so it never starves.
 * - Cancelling a waiter removes it from the queue and wakes whoever it was
 *   blocking (the waiters behind it that now fit).
 * - A request for more permits than a bounded semaphore can ever have fails
 *   at once with %AIO_ERROR_INVALID_ARGUMENT instead of waiting forever.
 * - aio_semaphore_close() fails every waiter with %AIO_ERROR_CLOSED.
 *
 * aio_semaphore_run_job_async() is aioextensions' `async with acquire_many(n)`:
 * it acquires, runs an #AioJob and releases once the job has really
 * completed, whatever its outcome.
 *
 * Each callback runs in the thread-default main context of its caller. The
 * #AioSemaphore:value and #AioSemaphore:waiters properties are notified in
 * the context the semaphore was created in, coalesced: one notification per
 * main-loop iteration at most, after the change.
 *
 * A waiter is one small record (128 bytes on 64-bit systems) linked into
 * an intrusive queue, with no #GTask (a bare one is about 200 bytes): under
 * 140 bytes of heap in all per queued call with glibc, nothing else grows
 * with the queue, and nothing polls. The #GAsyncResult its callback gets is
 * made only when it is called back.
 *
 * |[<!-- language="C" -->
 * static AioSemaphore *downloads;  // aio_semaphore_new (4)
 *
 * aio_semaphore_run_job_async (downloads, 1, job, cancellable,
 *                              on_downloaded, self);
 * ]|
 *
 * |[<!-- language="Python" -->
 * semaphore = Aio.Semaphore.new(2)
 * semaphore.acquire_async(2, None, on_acquired)
 * ]|
 */

/* Every call is the queue's own record, whose count is the permits asked
 * for. */
typedef AioWaiter Waiter;

struct _AioSemaphore
{
  GObject           parent_instance;

  AioWaitQueue      queue;         /* its lock guards value too */
  guint             value;         /* queue lock */

  guint             capacity;
  gboolean          is_bounded;

  GMainContext     *context;       /* where notify is emitted */
  AioCompletionQueue *completions; /* of context, for the jobs of its waiters */
  AioNotifyBatcher *notify;
};

enum {
  PROP_0,
  PROP_VALUE,
  PROP_CAPACITY,
  PROP_WAITERS,
  PROP_IS_BOUNDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AioSemaphore, aio_semaphore, G_TYPE_OBJECT)

static void
aio_semaphore_finalize (GObject *object)
{
  AioSemaphore *self = AIO_SEMAPHORE (object);

  aio_notify_batcher_free (self->notify);
  aio_completion_queue_unref (self->completions);
  aio_wait_queue_clear (&self->queue);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (aio_semaphore_parent_class)->finalize (object);
}

static void
aio_semaphore_constructed (GObject *object)
{
  AioSemaphore *self = AIO_SEMAPHORE (object);

  G_OBJECT_CLASS (aio_semaphore_parent_class)->constructed (object);

  self->value = self->capacity;
}

static void
aio_semaphore_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  AioSemaphore *self = AIO_SEMAPHORE (object);

  switch (prop_id)
    {
    case PROP_VALUE:
      g_value_set_uint (value, aio_semaphore_get_value (self));
      break;

    case PROP_CAPACITY:
      g_value_set_uint (value, self->capacity);
      break;

    case PROP_WAITERS:
      g_value_set_uint (value, aio_semaphore_get_waiters (self));
      break;

    case PROP_IS_BOUNDED:
      g_value_set_boolean (value, self->is_bounded);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_semaphore_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  AioSemaphore *self = AIO_SEMAPHORE (object);

  switch (prop_id)
    {
    case PROP_CAPACITY:
      self->capacity = g_value_get_uint (value);
      break;

    case PROP_IS_BOUNDED:
      self->is_bounded = g_value_get_boolean (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_semaphore_class_init (AioSemaphoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = aio_semaphore_finalize;
  object_class->constructed = aio_semaphore_constructed;
  object_class->get_property = aio_semaphore_get_property;
  object_class->set_property = aio_semaphore_set_property;

  /**
   * AioSemaphore:value:
   *
   * How many permits are free now. Changes are notified in the main context
   * the semaphore was created in.
   */
  properties[PROP_VALUE] =
    g_param_spec_uint ("value", "Value", "How many permits are free now",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * AioSemaphore:capacity:
   *
   * The number of permits the semaphore was created with. A bounded
   * semaphore never holds more.
   */
  properties[PROP_CAPACITY] =
    g_param_spec_uint ("capacity", "Capacity", "The number of permits the semaphore was created with",
                       0, G_MAXUINT, 1,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AioSemaphore:waiters:
   *
   * How many acquisitions wait in the queue. Changes are notified in the
   * main context the semaphore was created in.
   */
  properties[PROP_WAITERS] =
    g_param_spec_uint ("waiters", "Waiters", "How many acquisitions wait in the queue",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * AioSemaphore:is-bounded:
   *
   * Whether releasing permits above #AioSemaphore:capacity is an error.
   */
  properties[PROP_IS_BOUNDED] =
    g_param_spec_boolean ("is-bounded", "Is bounded", "Whether releasing above the capacity is an error",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static const AioWaitQueueClass semaphore_queue_class;

static void
aio_semaphore_init (AioSemaphore *self)
{
  aio_wait_queue_init (&self->queue, &semaphore_queue_class);
  self->context = g_main_context_ref_thread_default ();
  self->completions = aio_completion_queue_ref_for_context (self->context);
  self->notify = aio_notify_batcher_new (G_OBJECT (self), properties, self->context);
}

/**
 * aio_semaphore_new: (constructor)
 * @value: the number of permits
 *
 * Creates a semaphore with @value free permits. Releasing more than was
 * acquired raises the value above @value, as with Python's
 * `asyncio.Semaphore`; use aio_semaphore_new_bounded() to make that an
 * error.
 *
 * Returns: (transfer full): a new #AioSemaphore
 */
AioSemaphore *
aio_semaphore_new (guint value)
{
  return g_object_new (AIO_TYPE_SEMAPHORE, "capacity", value, NULL);
}

/**
 * aio_semaphore_new_bounded: (constructor)
 * @value: the number of permits, also the most the semaphore can hold
 *
 * Creates a semaphore with @value free permits on which releasing above
 * @value fails with %AIO_ERROR_INVALID_ARGUMENT, as with Python's
 * `asyncio.BoundedSemaphore`.
 *
 * Returns: (transfer full): a new bounded #AioSemaphore
 */
AioSemaphore *
aio_semaphore_new_bounded (guint value)
{
  return g_object_new (AIO_TYPE_SEMAPHORE, "capacity", value, "is-bounded", TRUE, NULL);
}

/**
 * aio_semaphore_get_value:
 * @self: an #AioSemaphore
 *
 * How many permits are free now.
 *
 * Returns: the number of free permits
 */
guint
aio_semaphore_get_value (AioSemaphore *self)
{
  guint value;

  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), 0);

  aio_wait_queue_lock (&self->queue);
  value = self->value;
  aio_wait_queue_unlock (&self->queue);

  return value;
}

/**
 * aio_semaphore_get_capacity:
 * @self: an #AioSemaphore
 *
 * The number of permits @self was created with.
 *
 * Returns: the capacity
 */
guint
aio_semaphore_get_capacity (AioSemaphore *self)
{
  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), 0);

  return self->capacity;
}

/**
 * aio_semaphore_get_waiters:
 * @self: an #AioSemaphore
 *
 * How many acquisitions wait in the queue now.
 *
 * Returns: the number of waiters
 */
guint
aio_semaphore_get_waiters (AioSemaphore *self)
{
  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), 0);

  return aio_wait_queue_get_length (&self->queue);
}

/**
 * aio_semaphore_is_bounded:
 * @self: an #AioSemaphore
 *
 * Whether releasing above the capacity is an error.
 *
 * Returns: %TRUE for a semaphore made by aio_semaphore_new_bounded()
 */
gboolean
aio_semaphore_is_bounded (AioSemaphore *self)
{
  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), FALSE);

  return self->is_bounded;
}

/**
 * aio_semaphore_is_closed:
 * @self: an #AioSemaphore
 *
 * Whether aio_semaphore_close() was called.
 *
 * Returns: %TRUE once @self is closed
 */
gboolean
aio_semaphore_is_closed (AioSemaphore *self)
{
  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), FALSE);

  return aio_wait_queue_is_closed (&self->queue);
}

#define NOTIFY_VALUE   AIO_NOTIFY_BIT (PROP_VALUE)
#define NOTIFY_WAITERS AIO_NOTIFY_BIT (PROP_WAITERS)

/* Bindings must never see notify on another thread or context. A change
 * made while this thread runs the semaphore's own context is notified at
 * once, as any GObject setter does; any other change from the completion
 * queue there, coalesced. */
static void
aio_semaphore_notify (AioSemaphore *self,
                      guint         changed)
{
  aio_notify_batcher_notify (self->notify, changed);
}

/* A job's release comes from a dispatch of its waiter's context, once per
 * job, and grants the next waiter there: it joins the one notification per
 * main-loop iteration that the class promises, rather than paying for an
 * emission of its own (two handler lookups per job, a fifth of a queued
 * job's cost). Any other release notifies as aio_semaphore_notify() says. */
static void
aio_semaphore_notify_release (AioSemaphore *self,
                              guint         changed,
                              gboolean      is_job_release)
{
  if (is_job_release)
    aio_notify_batcher_schedule (self->notify, changed);
  else
    aio_semaphore_notify (self, changed);
}

static AioSemaphore *
aio_semaphore_from_queue (AioWaitQueue *queue)
{
  return (AioSemaphore *) ((guint8 *) queue - G_STRUCT_OFFSET (AioSemaphore, queue));
}

/* Strict FIFO: a large request at the head blocks the smaller ones behind it. */
static gboolean
semaphore_queue_fits (AioWaitQueue *queue,
                      Waiter       *waiter)
{
  return waiter->count <= aio_semaphore_from_queue (queue)->value;
}

static void
semaphore_queue_take (AioWaitQueue *queue,
                      Waiter       *waiter)
{
  aio_semaphore_from_queue (queue)->value -= waiter->count;
}

static void waiter_start_job (Waiter *waiter);

/* A plain acquisition is called back at once when the grant is made in a
 * dispatch of its context, as a GTask returned there would be. */
static void
semaphore_queue_grant (Waiter   *waiter,
                       gboolean  may_start_here)
{
  if (waiter->job == NULL)
    {
      aio_source_drop (&waiter->cancel_source);
      aio_waiter_return (waiter, NULL, TRUE);
    }
  else
    aio_waiter_run_in_context (waiter, may_start_here, waiter_start_job);
}

/* What a look at the queue changed, as properties to notify. */
static guint
changed_properties (AioWaitQueueChanges changes)
{
  return ((changes & AIO_WAIT_QUEUE_LEFT) ? NOTIFY_WAITERS : 0) |
         ((changes & AIO_WAIT_QUEUE_TAKEN) ? NOTIFY_VALUE : 0);
}

/* The permits stay held until the job has really completed. */
static void
semaphore_queue_cancel_granted (Waiter *waiter)
{
  if (waiter->state != AIO_WAITER_RUNNING || waiter->is_returned)
    return;

  aio_job_cancel (waiter->job);
  aio_waiter_return_cancelled (waiter, _("The semaphore acquisition was cancelled."), TRUE);
}

static gboolean
waiter_on_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  Waiter *waiter = user_data;
  AioSemaphore *self = (AioSemaphore *) waiter->owner;

  aio_semaphore_notify (self, changed_properties (aio_wait_queue_cancel (&self->queue, waiter)));

  return G_SOURCE_REMOVE;
}

static const AioWaitQueueClass semaphore_queue_class = {
  .fits = semaphore_queue_fits,
  .take = semaphore_queue_take,
  .grant = semaphore_queue_grant,
  .cancel_granted = semaphore_queue_cancel_granted,
  .on_cancelled = G_SOURCE_FUNC (waiter_on_cancelled),
  .cancel_source_name = "[aioext] semaphore cancel",
  .cancelled_message = N_("The semaphore acquisition was cancelled."),
};

/* A count of 0 is a number any binding can pass: an error through the
 * callback, never a critical and a call that never completes. */
static gboolean
aio_semaphore_check_count (AioSemaphore  *self,
                           guint          count,
                           GError       **error)
{
  if (count == 0)
    {
      g_set_error_literal (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                           _("A semaphore is acquired by at least 1 permit, not 0."));
      return FALSE;
    }

  if (self->is_bounded && count > self->capacity)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("An acquisition of %u exceeds the limit of the semaphore (%u), so it could never be granted."),
                   count, self->capacity);
      return FALSE;
    }

  return TRUE;
}

static void
aio_semaphore_set_closed_error (GError **error)
{
  g_set_error_literal (error, AIO_ERROR, AIO_ERROR_CLOSED,
                       _("The semaphore was closed, so it grants no more permits."));
}

/* Grants at once when nobody waits and the permits are free, or queues
 * @waiter. Returns FALSE with @error set when the request can never be met. */
static gboolean
aio_semaphore_enqueue (AioSemaphore  *self,
                       Waiter        *waiter,
                       gboolean      *is_granted,
                       GError       **error)
{
  gboolean is_closed;

  if (!aio_semaphore_check_count (self, waiter->count, error))
    return FALSE;

  aio_wait_queue_lock (&self->queue);
  is_closed = self->queue.is_closed;
  *is_granted = !is_closed && g_queue_is_empty (&self->queue.waiters) && waiter->count <= self->value;
  if (*is_granted)
    {
      self->value -= waiter->count;
      waiter->state = AIO_WAITER_GRANTED;
    }
  else if (!is_closed)
    aio_wait_queue_push_locked (&self->queue, waiter);
  aio_wait_queue_unlock (&self->queue);

  if (is_closed)
    {
      aio_semaphore_set_closed_error (error);
      return FALSE;
    }

  aio_semaphore_notify (self, *is_granted ? NOTIFY_VALUE : NOTIFY_WAITERS);

  return TRUE;
}

/* Queues a call, or grants it at once; %FALSE when it already failed
 * (cancelled before the call, or refused), its callback then pending. A
 * grant that races with a cancellation is delivered as a success: the
 * caller then holds the permits and must know it. Nothing here calls
 * back at once: this runs inside the caller's _async call. */
static gboolean
aio_semaphore_start (AioSemaphore *self,
                     Waiter       *waiter,
                     gboolean     *is_granted)
{
  GError *error = NULL;

  if (aio_waiter_is_cancelled (waiter))
    {
      aio_waiter_return_cancelled (waiter, _("The semaphore acquisition was cancelled."), FALSE);
      return FALSE;
    }

  if (!aio_semaphore_enqueue (self, waiter, is_granted, &error))
    {
      aio_waiter_return (waiter, error, FALSE);
      return FALSE;
    }

  return TRUE;
}

/**
 * aio_semaphore_acquire_async:
 * @self: an #AioSemaphore
 * @count: how many permits to acquire, at least 1
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called once the permits are held, or the
 *   acquisition failed
 * @user_data: data for @callback
 *
 * Acquires @count permits at once, waiting in FIFO order behind earlier
 * waiters: `acquire_many(n)` of Python's aioextensions, made atomic. While waiting it holds
 * no permit. Release them with aio_semaphore_release() once done.
 *
 * It fails with %AIO_ERROR_INVALID_ARGUMENT when @count is 0, or when @self
 * is bounded and @count exceeds its capacity, with %AIO_ERROR_CLOSED when @self is or gets
 * closed, and with %G_IO_ERROR_CANCELLED when @cancellable is cancelled
 * while waiting; a cancelled waiter leaves the queue and the waiters it was
 * blocking are served. When the cancellation comes after the permits were
 * granted, the acquisition succeeds and the caller holds them.
 */
void
aio_semaphore_acquire_async (AioSemaphore        *self,
                             guint                count,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Waiter *waiter;
  gboolean is_granted;

  g_return_if_fail (AIO_IS_SEMAPHORE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  waiter = aio_waiter_new_in (sizeof (Waiter), self, self->context, NULL, cancellable, callback, user_data,
                              aio_semaphore_acquire_async);
  waiter->count = count;
  if (aio_semaphore_start (self, waiter, &is_granted) && is_granted)
    aio_waiter_return (waiter, NULL, FALSE);
  aio_waiter_unref (waiter);
}

/**
 * aio_semaphore_acquire_finish:
 * @self: an #AioSemaphore
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_semaphore_acquire_async().
 *
 * Returns: %TRUE when the permits are held, %FALSE with @error set
 */
gboolean
aio_semaphore_acquire_finish (AioSemaphore  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  Waiter *waiter;

  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);

  waiter = aio_waiter_from_result (result, self, aio_semaphore_acquire_async);
  g_return_val_if_fail (waiter != NULL, FALSE);

  return aio_waiter_propagate (waiter, error);
}

/**
 * aio_semaphore_try_acquire:
 * @self: an #AioSemaphore
 * @count: how many permits to acquire, at least 1
 *
 * Acquires @count permits if that can be done now without overtaking
 * anyone: it fails when the permits are not free, when someone already
 * waits, when @self is closed, and for a @count of 0.
 *
 * Returns: %TRUE when the permits are now held
 */
gboolean
aio_semaphore_try_acquire (AioSemaphore *self,
                           guint         count)
{
  gboolean is_acquired;

  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), FALSE);

  aio_wait_queue_lock (&self->queue);
  is_acquired = count > 0 && !self->queue.is_closed && self->queue.waiters.head == NULL && count <= self->value;
  if (is_acquired)
    self->value -= count;
  aio_wait_queue_unlock (&self->queue);

  if (is_acquired)
    aio_semaphore_notify (self, NOTIFY_VALUE);

  return is_acquired;
}

/* Takes @count permits back and serves the waiters that now fit. */
static gboolean
aio_semaphore_put_back (AioSemaphore  *self,
                        guint          count,
                        gboolean       may_start_here,
                        GError       **error)
{
  guint limit = self->is_bounded ? self->capacity : G_MAXUINT;
  AioWaitQueueChanges changes;

  aio_wait_queue_lock (&self->queue);
  if (count > limit - self->value)
    {
      aio_wait_queue_unlock (&self->queue);
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("A release of %u would raise the semaphore above its limit (%u)."),
                   count, limit);
      return FALSE;
    }

  self->value += count;
  changes = aio_wait_queue_unlock_and_wake (&self->queue, may_start_here);
  aio_semaphore_notify_release (self, NOTIFY_VALUE | changed_properties (changes), may_start_here);

  return TRUE;
}

/**
 * aio_semaphore_release:
 * @self: an #AioSemaphore
 * @count: how many permits to give back, at least 1
 * @error: return location for a #GError
 *
 * Gives back @count permits and serves, in FIFO order, the waiters that
 * now fit. It may be called from any thread; waiters are called back in
 * their own contexts.
 *
 * On a bounded semaphore, releasing above the capacity is a run-time
 * condition, as Python's `ValueError`: it fails with
 * %AIO_ERROR_INVALID_ARGUMENT and changes nothing, as a @count of 0 does.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
aio_semaphore_release (AioSemaphore  *self,
                       guint          count,
                       GError       **error)
{
  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (count == 0)
    {
      g_set_error_literal (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                           _("A semaphore is released by at least 1 permit, not 0."));
      return FALSE;
    }

  return aio_semaphore_put_back (self, count, FALSE, error);
}

/**
 * aio_semaphore_close:
 * @self: an #AioSemaphore
 *
 * Fails every waiter with %AIO_ERROR_CLOSED, and every later acquisition
 * too. Permits already held can still be released. Closing twice does
 * nothing more.
 */
void
aio_semaphore_close (AioSemaphore *self)
{
  GError *error = NULL;

  g_return_if_fail (AIO_IS_SEMAPHORE (self));

  aio_semaphore_set_closed_error (&error);
  aio_semaphore_notify (self, changed_properties (aio_wait_queue_close (&self->queue, error)));
  g_error_free (error);
}

/* Runs in the waiter's context, from its completion queue or as the job
 * completes in a later dispatch there, with the watch's reference. The
 * job's outcome is read in run_job_finish(). */
static void
waiter_on_job_completed (AioCompletion *completion)
{
  Waiter *waiter = (Waiter *) ((guint8 *) completion - G_STRUCT_OFFSET (Waiter, watch));
  AioSemaphore *self = (AioSemaphore *) waiter->owner;

  waiter->state = AIO_WAITER_DONE;

  aio_completion_queue_unref (waiter->watch.queue);
  aio_source_drop (&waiter->cancel_source);
  aio_semaphore_put_back (self, waiter->count, TRUE, NULL);

  if (!waiter->is_returned)
    aio_waiter_return_here (waiter);
  aio_waiter_unref (waiter);
}

/* The completion queue of the waiter's context, with a user: the
 * semaphore's own when the waiter shares its context, as most do, which
 * saves looking it up per job. */
static AioCompletionQueue *
waiter_ref_completions (Waiter *waiter)
{
  AioSemaphore *self = (AioSemaphore *) waiter->owner;

  if (waiter->context == self->context)
    return aio_completion_queue_ref (self->completions);

  return aio_completion_queue_ref_thread_default ();
}

/* Runs in the waiter's context, holding its permits: at once from inside
 * run_job_async() when they were free, so a cancellation seen here is
 * called back later. */
static void
waiter_start_job (Waiter *waiter)
{
  AioSemaphore *self = (AioSemaphore *) waiter->owner;

  if (aio_waiter_is_cancelled (waiter))
    {
      waiter->state = AIO_WAITER_DONE;
      aio_source_drop (&waiter->cancel_source);
      aio_semaphore_put_back (self, waiter->count, TRUE, NULL);
      aio_waiter_return_cancelled (waiter, _("The semaphore acquisition was cancelled."), FALSE);
      return;
    }

  waiter->state = AIO_WAITER_RUNNING;

  /* No cancellable here: the permits are released only once the job has
   * really completed, even when the caller stops waiting earlier. A watch,
   * not aio_job_run_async(): it saves a GTask and a main-loop dispatch per
   * job, which was half the cost of a queued job. */
  aio_waiter_ref (waiter);
  aio_job_watch (waiter->job, &waiter->watch, waiter_ref_completions (waiter), waiter_on_job_completed,
                 TRUE);
}

/* Queues a job call, or starts its job at once when the permits are free,
 * and lets go of the caller's reference on @waiter. */
static void
aio_semaphore_run_waiter (AioSemaphore *self,
                          Waiter       *waiter,
                          guint         count)
{
  gboolean is_granted;

  waiter->count = count;
  if (aio_semaphore_start (self, waiter, &is_granted) && is_granted)
    {
      aio_waiter_watch_cancellable (&self->queue, waiter);
      aio_waiter_run_in_context (waiter, TRUE, waiter_start_job);
    }
  aio_waiter_unref (waiter);
}

/**
 * aio_semaphore_run_job_async:
 * @self: an #AioSemaphore
 * @count: how many permits the job needs, at least 1
 * @job: the job to run while holding them, normally not started yet
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called once the job has completed, or the
 *   acquisition failed
 * @user_data: data for @callback
 *
 * Acquires @count permits as aio_semaphore_acquire_async() does, starts
 * @job in the caller's thread-default context, and releases the permits
 * once @job has completed, whatever its outcome: `async with acquire_many(n)`
 * in Python's aioextensions. It fails as aio_semaphore_acquire_async() does
 * (a @count of 0 with %AIO_ERROR_INVALID_ARGUMENT), without starting @job.
 *
 * Cancelling @cancellable while waiting leaves the queue; while @job runs
 * it cancels @job and completes this call at once with
 * %G_IO_ERROR_CANCELLED, but the permits stay held until @job has really
 * completed.
 */
void
aio_semaphore_run_job_async (AioSemaphore        *self,
                             guint                count,
                             AioJob              *job,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Waiter *waiter;

  g_return_if_fail (AIO_IS_SEMAPHORE (self));
  g_return_if_fail (AIO_IS_JOB (job));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  waiter = aio_waiter_new_in (sizeof (Waiter), self, self->context, job, cancellable, callback, user_data,
                              aio_semaphore_run_job_async);
  aio_semaphore_run_waiter (self, waiter, count);
}

/**
 * aio_semaphore_run_job_finish:
 * @self: an #AioSemaphore
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_semaphore_run_job_async(): reads the job's outcome.
 *
 * Returns: (transfer none) (nullable): the job's result, owned by the job
 *   (see aio_job_propagate_value()), or %NULL with @error set
 */
const GValue *
aio_semaphore_run_job_finish (AioSemaphore  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  const GValue *value;
  gboolean is_own_result;

  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), NULL);
  /* The usual result is the job itself, whose type check is a compare;
   * an interface check costs a finished job a hundred instructions. */
  g_return_val_if_fail (AIO_IS_JOB (result) || G_IS_ASYNC_RESULT (result), NULL);

  value = aio_waiter_finish_job (result, self, aio_semaphore_run_job_async, &is_own_result, error);
  g_return_val_if_fail (is_own_result, NULL);

  return value;
}

/**
 * aio_semaphore_dup_run_job_finish: (skip)
 * @self: an #AioSemaphore
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_semaphore_run_job_async() like aio_semaphore_run_job_finish(),
 * but returns a copy of the job's result that the caller owns, as
 * g_task_propagate_value() does: it stays valid after the job is freed.
 * The Vala binding finishes `yield run_job (...)` with it.
 *
 * Returns: (transfer full) (nullable): a copy of the job's result, to free
 *   with g_boxed_free() (%G_TYPE_VALUE), or %NULL with @error set
 */
GValue *
aio_semaphore_dup_run_job_finish (AioSemaphore *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  return aio_job_dup_outcome (aio_semaphore_run_job_finish (self, result, error));
}

/* A submitted job's record: a waiter answered by the caller's function. */
typedef struct
{
  AioAnsweredWaiter        base;
  AioSemaphoreJobDoneFunc  done;
} SubmittedWaiter;

/* In the waiter's context, once: the call's own failure, or else the
 * outcome of its job, which has completed. */
static void
submitted_waiter_answer (Waiter *waiter)
{
  AioSemaphoreJobDoneFunc done = ((SubmittedWaiter *) waiter)->done;
  const GError *error = waiter->error;
  const GValue *value = NULL;

  if (done == NULL)
    return;
  if (error == NULL)
    value = aio_job_peek_outcome (waiter->job, &error);
  done (value, error, waiter->user_data);
}

/**
 * aio_semaphore_submit_job: (skip)
 * @self: an #AioSemaphore
 * @count: how many permits the job needs, at least 1
 * @job: (transfer full): the job to run while holding them, normally not
 *   started yet
 * @cancellable: (nullable): a #GCancellable
 * @done: (nullable): called with the outcome
 * @user_data: data for @done
 *
 * Runs @job while holding @count permits as aio_semaphore_run_job_async()
 * does, and calls @done with the outcome itself instead of a
 * #GAsyncResult: the C fast path for many small jobs, which makes no
 * result object, binds no job to a call and needs no finish call. It takes
 * over the caller's reference on @job, usually made just for the call, and
 * lets go of it once @done has run. Everything
 * else is as for aio_semaphore_run_job_async(): the same FIFO queue and
 * grants, the same errors (the job's own, %AIO_ERROR_INVALID_ARGUMENT,
 * %AIO_ERROR_CLOSED, %G_IO_ERROR_CANCELLED while queued, or while @job
 * runs, whose permits then stay held until it has really completed); @done
 * is called exactly once, in the caller's thread-default main context,
 * never from inside this call.
 *
 * |[<!-- language="C" -->
 * static void
 * on_resized (const GValue *value, const GError *error, gpointer user_data)
 * {
 *   if (error != NULL)
 *     g_warning ("Not resized: %s", error->message);
 * }
 *
 * aio_semaphore_submit_job (semaphore, 1, aio_job_new (resize, image, NULL),
 *                           NULL, on_resized, NULL);
 * ]|
 *
 * Bindings use aio_semaphore_run_job_async(), which offers the same calls.
 */
void
aio_semaphore_submit_job (AioSemaphore            *self,
                          guint                    count,
                          AioJob                  *job,
                          GCancellable            *cancellable,
                          AioSemaphoreJobDoneFunc  done,
                          gpointer                 user_data)
{
  Waiter *waiter;

  g_return_if_fail (AIO_IS_SEMAPHORE (self));
  g_return_if_fail (AIO_IS_JOB (job));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  waiter = aio_waiter_new_answered (sizeof (SubmittedWaiter), self, self->context, job, cancellable,
                                    submitted_waiter_answer, user_data, aio_semaphore_submit_job);
  ((SubmittedWaiter *) waiter)->done = done;
  aio_semaphore_run_waiter (self, waiter, count);
}

static void
semaphore_guard_run (GObject             *owner,
                     guint                count,
                     AioJob              *inner,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  aio_semaphore_run_job_async (AIO_SEMAPHORE (owner), count, inner, cancellable, callback, user_data);
}

static const GValue *
semaphore_guard_finish (GObject       *owner,
                        GAsyncResult  *result,
                        GError       **error)
{
  return aio_semaphore_run_job_finish (AIO_SEMAPHORE (owner), result, error);
}

/**
 * aio_semaphore_create_job:
 * @self: an #AioSemaphore
 * @count: how many permits @job needs
 * @job: the job to run while holding them
 *
 * Wraps aio_semaphore_run_job_async() as a job of its own, so that work
 * guarded by the semaphore can be fed to an #AioCollector, or guarded
 * again by a rate limiter. When started it acquires @count permits, runs
 * @job, releases them once @job has completed, and completes with @job's
 * outcome; with a @count of 0 it fails with %AIO_ERROR_INVALID_ARGUMENT.
 *
 * Returns: (transfer full): a new pending job
 */
AioJob *
aio_semaphore_create_job (AioSemaphore *self,
                          guint         count,
                          AioJob       *job)
{
  g_return_val_if_fail (AIO_IS_SEMAPHORE (self), NULL);
  g_return_val_if_fail (AIO_IS_JOB (job), NULL);

  return aio_job_new_guarded (G_OBJECT (self), count, job, semaphore_guard_run, semaphore_guard_finish);
}
