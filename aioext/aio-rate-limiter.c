/* aio-rate-limiter.c: at most N starts per period, with a minimum spacing, FIFO
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>

#include "aio-error.h"
#include "aio-i18n-private.h"
#include "aio-rate-limiter.h"
#include "aio-job-private.h"
#include "aio-caller-context-private.h"
#include "aio-cancel-source-private.h"
#include "aio-wait-queue-private.h"

/**
 * SECTION:aio-rate-limiter
 * @title: AioRateLimiter
 * @short_description: at most N calls per period, a minimum spacing, FIFO, never early
 * @include: aioext.h
 * @see_also: #AioSemaphore, #AioJob
 *
 * An AioRateLimiter lets calls start at a bounded rate: at most
 * #AioRateLimiter:max-calls starts in any window of
 * #AioRateLimiter:period-seconds, at least a minimum spacing apart, in FIFO
 * order and never early. It is aioextensions' `rate_limited`, measured on
 * the monotonic clock.
 *
 * Use it in front of a service with a quota (so many requests per second or
 * per minute), or to pace work that must not come in bursts. Wait for a slot
 * with aio_rate_limiter_acquire_async(), or let the limiter start a job when
 * its turn comes with aio_rate_limiter_run_job_async().
 *
 * The programs below are examples/rate-limiting.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-rate-limiter] tells what
 * each language gets.
 *
 * <example id="AioRateLimiter-example-c">
 * <title>C: <filename>examples/rate-limiting.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-rate-limiting.c"/></programlisting>
 * </example>
 * <example id="AioRateLimiter-example-py">
 * <title>Python: <filename>examples/rate-limiting.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-rate-limiting.py"/></programlisting>
 * </example>
 * <example id="AioRateLimiter-example-js">
 * <title>JavaScript (GJS): <filename>examples/rate-limiting.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-rate-limiting.js"/></programlisting>
 * </example>
 * <example id="AioRateLimiter-example-vala">
 * <title>Vala: <filename>examples/rate-limiting.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-rate-limiting.vala"/></programlisting>
 * </example>
 */

/**
 * AioRateLimiter:
 *
 * Lets calls start at a bounded rate: `rate_limited(max_calls,
 * max_calls_period, min_seconds_between_calls)` of Python's aioextensions.
 *
 * - No more than #AioRateLimiter:max-calls calls start within any window of
 *   #AioRateLimiter:period-seconds, counted on the microsecond monotonic
 *   clock (g_get_monotonic_time()): a call may start 2 µs after `s + period`
 *   after a start at `s` (a margin for handing the grant over), never
 *   earlier.
 * - Successive calls start at least
 *   #AioRateLimiter:min-seconds-between-calls apart.
 * - The excess waits in FIFO order. A call never starts early: a timer that
 *   fires before the allowed time waits again.
 * - Cancelling a waiter frees its place for the next one.
 *
 * A call "starts" when its acquisition completes: aio_rate_limiter_acquire_async()
 * calls back, aio_rate_limiter_try_acquire() returns %TRUE, or
 * aio_rate_limiter_run_job_async() starts its job. The limits hold at
 * those moments, whatever the pattern of calls: a burst issued from one
 * dispatch, callers in several threads and contexts, cancellations in the
 * middle. Every acquisition therefore waits at least until the next
 * iteration of its caller's context, even when a slot is free: its grant
 * is stamped in a dispatch of that context, just before its callback runs
 * there, and the calls after it are weighed against the moment that
 * callback (or the job's start function) returned.
 *
 * One limiter can be shared by callers in different threads and main
 * contexts (each callback runs in its caller's thread-default context) and
 * by several different operations that must stay under one combined limit.
 * Invalid parameters fail construction with %AIO_ERROR_INVALID_ARGUMENT:
 * the limiter implements #GInitable, so construct it with
 * aio_rate_limiter_new() or call g_initable_init() after g_object_new().
 *
 * Each waiter is one small record (144 bytes on 64-bit systems) in an
 * intrusive queue, with no #GTask; only the waiter at the head has a
 * timer, and the limiter keeps at most one start time per call allowed in a
 * period. The timer is exact to the microsecond but a main context wakes
 * with millisecond granularity, so a call may start up to about a
 * millisecond after its allowed time, never before; lateness delays the
 * calls behind it, since the limits count from real starts.
 *
 * |[<!-- language="C" -->
 * // Two calls per second, 200 ms apart.
 * limiter = aio_rate_limiter_new (2, 1.0, 0.2, &error);
 * aio_rate_limiter_run_job_async (limiter, job, NULL, on_fetched, self);
 * ]|
 *
 * |[<!-- language="Python" -->
 * limiter = Aio.RateLimiter.new(2, 1.0, 0.2)
 * limiter.acquire_async(None, on_slot)
 * ]|
 */

/* Every acquire and run-job call: the queue's record, and the limiter's. */
typedef struct
{
  AioWaiter base;
  GSource  *timer;          /* the head waiter's wake-up, in its context */
  gint64    queued_at;      /* a grant must come in a later main-loop
                             * iteration: see waiter_can_start_here() */
  gint64    started_at;     /* the stamp of its grant */
} Waiter;

struct _AioRateLimiter
{
  GObject      parent_instance;

  guint        max_calls;
  double       period_seconds;
  double       min_seconds_between_calls;
  gint64       period_us;
  gint64       spacing_us;
  gboolean     is_initialized;

  AioWaitQueue queue;       /* its lock guards what follows */
  /* A ring of the start times still inside the last period, oldest
   * first; never longer than max_calls. */
  gint64      *starts;
  guint        starts_size;
  guint        starts_head;
  guint        starts_length;
  gint64       last_start;
  gboolean     has_started;
};

enum {
  PROP_0,
  PROP_MAX_CALLS,
  PROP_PERIOD_SECONDS,
  PROP_MIN_SECONDS_BETWEEN_CALLS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* About 31 years: keeps every sum of times far from overflowing a gint64. */
#define MAX_SECONDS 1e9

static void aio_rate_limiter_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AioRateLimiter, aio_rate_limiter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, aio_rate_limiter_initable_iface_init))

static void
aio_rate_limiter_finalize (GObject *object)
{
  AioRateLimiter *self = AIO_RATE_LIMITER (object);

  aio_wait_queue_clear (&self->queue);
  g_free (self->starts);

  G_OBJECT_CLASS (aio_rate_limiter_parent_class)->finalize (object);
}

static void
aio_rate_limiter_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  AioRateLimiter *self = AIO_RATE_LIMITER (object);

  switch (prop_id)
    {
    case PROP_MAX_CALLS:
      g_value_set_uint (value, self->max_calls);
      break;

    case PROP_PERIOD_SECONDS:
      g_value_set_double (value, self->period_seconds);
      break;

    case PROP_MIN_SECONDS_BETWEEN_CALLS:
      g_value_set_double (value, self->min_seconds_between_calls);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_rate_limiter_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  AioRateLimiter *self = AIO_RATE_LIMITER (object);

  switch (prop_id)
    {
    case PROP_MAX_CALLS:
      self->max_calls = g_value_get_uint (value);
      break;

    case PROP_PERIOD_SECONDS:
      self->period_seconds = g_value_get_double (value);
      break;

    case PROP_MIN_SECONDS_BETWEEN_CALLS:
      self->min_seconds_between_calls = g_value_get_double (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_rate_limiter_class_init (AioRateLimiterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = aio_rate_limiter_finalize;
  object_class->get_property = aio_rate_limiter_get_property;
  object_class->set_property = aio_rate_limiter_set_property;

  /* The ranges accept invalid values on purpose: g_initable_init() rejects
   * them with a translated error instead of a warning and a silently kept
   * default. */

  /**
   * AioRateLimiter:max-calls:
   *
   * How many calls may start within any window of
   * #AioRateLimiter:period-seconds; at least 1.
   */
  properties[PROP_MAX_CALLS] =
    g_param_spec_uint ("max-calls", "Max calls", "How many calls may start within one period",
                       0, G_MAXUINT, 1,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AioRateLimiter:period-seconds:
   *
   * The length of the window, in seconds; more than 0.
   */
  properties[PROP_PERIOD_SECONDS] =
    g_param_spec_double ("period-seconds", "Period seconds", "The length of the window, in seconds",
                         -INFINITY, INFINITY, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AioRateLimiter:min-seconds-between-calls:
   *
   * The least time between two successive starts, in seconds; 0 or more.
   */
  properties[PROP_MIN_SECONDS_BETWEEN_CALLS] =
    g_param_spec_double ("min-seconds-between-calls", "Min seconds between calls",
                         "The least time between two successive starts, in seconds",
                         -INFINITY, INFINITY, 0.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static const AioWaitQueueClass rate_limiter_queue_class;

static void
aio_rate_limiter_init (AioRateLimiter *self)
{
  aio_wait_queue_init (&self->queue, &rate_limiter_queue_class);
}

/* Rounded up: rounding never loosens a limit. */
static gint64
seconds_to_us (double seconds)
{
  double us = seconds * G_USEC_PER_SEC;
  gint64 whole = (gint64) us;

  return (double) whole < us ? whole + 1 : whole;
}

static gboolean
validate_parameters (guint    max_calls,
                     double   period_seconds,
                     double   min_seconds_between_calls,
                     GError **error)
{
  if (max_calls < 1)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("A rate limiter must allow at least 1 call per period, not %u."),
                   max_calls);
      return FALSE;
    }

  /* Written so that NaN fails too. */
  if (!(period_seconds > 0 && period_seconds <= MAX_SECONDS))
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("The period of a rate limiter must be more than 0 and at most %g seconds, not %g."),
                   MAX_SECONDS, period_seconds);
      return FALSE;
    }

  if (!(min_seconds_between_calls >= 0 && min_seconds_between_calls <= MAX_SECONDS))
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("The minimum time between calls of a rate limiter must be 0 or more and at most %g seconds, not %g."),
                   MAX_SECONDS, min_seconds_between_calls);
      return FALSE;
    }

  return TRUE;
}

static gboolean
aio_rate_limiter_initable_init (GInitable     *initable,
                                GCancellable  *cancellable,
                                GError       **error)
{
  AioRateLimiter *self = AIO_RATE_LIMITER (initable);

  if (self->is_initialized)
    return TRUE;

  if (!validate_parameters (self->max_calls, self->period_seconds,
                            self->min_seconds_between_calls, error))
    return FALSE;

  self->period_us = seconds_to_us (self->period_seconds);
  self->spacing_us = seconds_to_us (self->min_seconds_between_calls);
  g_atomic_int_set (&self->is_initialized, TRUE);

  return TRUE;
}

static void
aio_rate_limiter_initable_iface_init (GInitableIface *iface)
{
  iface->init = aio_rate_limiter_initable_init;
}

/* A limiter built from properties, as bindings do, may be used without
 * g_initable_init(): it is initialized on first use, and invalid
 * parameters fail that use with %AIO_ERROR_INVALID_ARGUMENT, never with a
 * critical and a call that never completes. */
static gboolean
aio_rate_limiter_ensure_initialized (AioRateLimiter  *self,
                                     GError         **error)
{
  gboolean is_initialized;

  if (g_atomic_int_get (&self->is_initialized))
    return TRUE;

  aio_wait_queue_lock (&self->queue);
  is_initialized = aio_rate_limiter_initable_init (G_INITABLE (self), NULL, error);
  aio_wait_queue_unlock (&self->queue);

  return is_initialized;
}

/**
 * aio_rate_limiter_new: (constructor)
 * @max_calls: how many calls may start within any window of @period_seconds,
 *   at least 1
 * @period_seconds: the length of the window in seconds, more than 0
 * @min_seconds_between_calls: the least time between two successive starts
 *   in seconds, 0 or more
 * @error: return location for a #GError
 *
 * Creates a rate limiter. Invalid parameters fail with
 * %AIO_ERROR_INVALID_ARGUMENT rather than being clamped.
 *
 * Returns: (transfer full) (nullable): a new #AioRateLimiter, or %NULL with
 *   @error set
 */
AioRateLimiter *
aio_rate_limiter_new (guint     max_calls,
                      double    period_seconds,
                      double    min_seconds_between_calls,
                      GError  **error)
{
  /* Checked before the properties are set too: a NaN never gets through a
   * GParamSpecDouble, and that must be an error here, not a warning. */
  if (!validate_parameters (max_calls, period_seconds, min_seconds_between_calls, error))
    return NULL;

  return g_initable_new (AIO_TYPE_RATE_LIMITER, NULL, error,
                         "max-calls", max_calls,
                         "period-seconds", period_seconds,
                         "min-seconds-between-calls", min_seconds_between_calls,
                         NULL);
}

/**
 * aio_rate_limiter_get_max_calls:
 * @self: an #AioRateLimiter
 *
 * How many calls may start within one period.
 *
 * Returns: the #AioRateLimiter:max-calls
 */
guint
aio_rate_limiter_get_max_calls (AioRateLimiter *self)
{
  g_return_val_if_fail (AIO_IS_RATE_LIMITER (self), 0);

  return self->max_calls;
}

/**
 * aio_rate_limiter_get_period_seconds:
 * @self: an #AioRateLimiter
 *
 * The length of the window, in seconds.
 *
 * Returns: the #AioRateLimiter:period-seconds
 */
double
aio_rate_limiter_get_period_seconds (AioRateLimiter *self)
{
  g_return_val_if_fail (AIO_IS_RATE_LIMITER (self), 0);

  return self->period_seconds;
}

/**
 * aio_rate_limiter_get_min_seconds_between_calls:
 * @self: an #AioRateLimiter
 *
 * The least time between two successive starts, in seconds.
 *
 * Returns: the #AioRateLimiter:min-seconds-between-calls
 */
double
aio_rate_limiter_get_min_seconds_between_calls (AioRateLimiter *self)
{
  g_return_val_if_fail (AIO_IS_RATE_LIMITER (self), 0);

  return self->min_seconds_between_calls;
}

/**
 * aio_rate_limiter_get_waiters:
 * @self: an #AioRateLimiter
 *
 * How many calls wait for a slot now.
 *
 * Returns: the number of waiters
 */
guint
aio_rate_limiter_get_waiters (AioRateLimiter *self)
{
  g_return_val_if_fail (AIO_IS_RATE_LIMITER (self), 0);

  return aio_wait_queue_get_length (&self->queue);
}

/* A start is stamped under the lock, just before its caller is handed the
 * grant; the caller sees the clock a little later, by a time that varies
 * from call to call. Counting every earlier start as that much later keeps
 * the limits true for the times callers observe, not only for the stamps:
 * without it about one call in 2,500 looked 1 µs early. */
#define HAND_OVER_US 2

/* Forgets the starts that no window ending at @now or later contains. */
static void
aio_rate_limiter_forget_starts_locked (AioRateLimiter *self,
                                       gint64          now)
{
  while (self->starts_length > 0 && self->starts[self->starts_head] + self->period_us + HAND_OVER_US <= now)
    {
      self->starts_head = (self->starts_head + 1) % self->starts_size;
      self->starts_length--;
    }
}

/* The earliest time, @now or later, at which the next call may start. */
static gint64
aio_rate_limiter_next_start_locked (AioRateLimiter *self,
                                    gint64          now)
{
  gint64 next = now;

  aio_rate_limiter_forget_starts_locked (self, now);
  if (self->starts_length >= self->max_calls)
    next = MAX (next, self->starts[self->starts_head] + self->period_us + HAND_OVER_US);
  if (self->has_started && self->spacing_us > 0)
    next = MAX (next, self->last_start + self->spacing_us + HAND_OVER_US);

  return next;
}

/* The ring grows by doubling up to max_calls, so a limiter that allows many
 * calls per period pays only for the starts that really happened in one. */
static void
aio_rate_limiter_grow_starts_locked (AioRateLimiter *self)
{
  guint size = MIN (MAX (self->starts_size * 2, 8), self->max_calls);
  gint64 *starts = g_new (gint64, size);
  guint i;

  for (i = 0; i < self->starts_length; i++)
    starts[i] = self->starts[(self->starts_head + i) % self->starts_size];
  g_free (self->starts);
  self->starts = starts;
  self->starts_size = size;
  self->starts_head = 0;
}

static void
aio_rate_limiter_record_start_locked (AioRateLimiter *self,
                                      gint64          now)
{
  aio_rate_limiter_forget_starts_locked (self, now);
  g_assert (self->starts_length < self->max_calls);

  if (self->starts_length == self->starts_size)
    aio_rate_limiter_grow_starts_locked (self);
  self->starts[(self->starts_head + self->starts_length) % self->starts_size] = now;
  self->starts_length++;
  self->last_start = now;
  self->has_started = TRUE;
}

/* Takes a slot now when nobody waits and one is free. */
static gboolean
aio_rate_limiter_take_slot_locked (AioRateLimiter *self,
                                   gint64         *next_start)
{
  gint64 now = g_get_monotonic_time ();

  *next_start = aio_rate_limiter_next_start_locked (self, now);
  if (self->queue.waiters.head != NULL || *next_start > now)
    return FALSE;

  aio_rate_limiter_record_start_locked (self, now);

  return TRUE;
}

/**
 * aio_rate_limiter_try_acquire:
 * @self: an #AioRateLimiter
 *
 * Takes a slot if a call may start now without overtaking anyone waiting.
 * On %TRUE the call counts as started now. A limiter made with
 * g_object_new() and invalid parameters, never initialized, gives none.
 *
 * Returns: %TRUE when the caller may start its call now
 */
gboolean
aio_rate_limiter_try_acquire (AioRateLimiter *self)
{
  gint64 next_start;
  gboolean is_acquired;

  g_return_val_if_fail (AIO_IS_RATE_LIMITER (self), FALSE);

  if (!aio_rate_limiter_ensure_initialized (self, NULL))
    return FALSE;

  aio_wait_queue_lock (&self->queue);
  is_acquired = aio_rate_limiter_take_slot_locked (self, &next_start);
  aio_wait_queue_unlock (&self->queue);

  return is_acquired;
}

static AioRateLimiter *
aio_rate_limiter_from_queue (AioWaitQueue *queue)
{
  return (AioRateLimiter *) ((guint8 *) queue - G_STRUCT_OFFSET (AioRateLimiter, queue));
}

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  return callback (user_data);
}

/* poll() sleeps in whole milliseconds, and the kernel adds about 50 µs of
 * slack to every sleep. */
#define TIMER_SLACK_US 50

/* The poll timeout for a slot, from a fresh clock. GLib rounds a ready
 * time up to the next millisecond, from the time it cached for the
 * iteration: a slot 1 ms and HAND_OVER_US after a stamp taken a moment
 * ago then sleeps 2 ms, and a limiter of one call per millisecond runs at
 * half its rate. A remainder within the kernel's slack is rounded down
 * instead; a wake-up that still comes early polls again at once, for at
 * most that slack. The smaller of the two timeouts wins. */
static gboolean
timer_prepare (GSource *source,
               int     *timeout)
{
  gint64 ready_time = g_source_get_ready_time (source);
  gint64 now;

  *timeout = -1;
  if (ready_time == -1)
    return FALSE;

  now = g_get_monotonic_time ();
  if (ready_time <= now)
    {
      *timeout = 0;
      return TRUE;
    }

  *timeout = (int) MIN ((ready_time - now + 999 - TIMER_SLACK_US) / 1000, G_MAXINT);
  return FALSE;
}

static GSourceFuncs timer_funcs = {
  .prepare = timer_prepare,
  .dispatch = timer_dispatch,
};

static gboolean waiter_on_timer (gpointer user_data);

/* The kernel lets a long poll() oversleep by up to 0.1% of its timeout
 * (0.5% for a niced process), 5 ms on a 1 s wait: a far deadline is first
 * slept towards with a margin that covers that, and the early wake-up then
 * waits again for the rest, which is short and so precise. */
static gint64
timer_wake_time (gint64 when,
                 gint64 now)
{
  gint64 distance = when - now;

  if (distance <= 2000)
    return when;

  return when - MAX (distance / 100, 1000);
}

/* Wakes the head waiter in its own context shortly before @when, or at
 * @when when it is near. The ready time is exact to the microsecond; the
 * context may dispatch it up to about a millisecond late (its poll timeout
 * is rounded up), and an early wake-up only arms the timer again. */
static void
waiter_arm_timer_locked (Waiter *waiter,
                         gint64  when,
                         gint64  now)
{
  gint64 wake_time = timer_wake_time (when, now);

  if (waiter->timer == NULL)
    {
      waiter->timer = g_source_new (&timer_funcs, sizeof (GSource));
      g_source_set_static_name (waiter->timer, "[aioext] rate limiter timer");
      g_source_set_ready_time (waiter->timer, wake_time);
      aio_waiter_attach_source (&waiter->base, waiter->timer, waiter_on_timer);
    }
  else
    g_source_set_ready_time (waiter->timer, wake_time);
}

/* A call starts when its callback runs (or its job starts), and the limits
 * must hold for those moments, not for an earlier stamp. So a grant is
 * stamped only in a dispatch of the waiter's own context, where the
 * callback runs right away: not inside acquire_async() (the callback
 * would run only after the caller's dispatch returns), not from another
 * caller's context (it would go through an idle there), and not in the
 * iteration the call was made in, so that every acquisition waits for the
 * next iteration of its caller's context, as documented above. */
static gboolean
waiter_can_start_here (Waiter *waiter)
{
  GSource *source = g_main_current_source ();

  return source != NULL &&
         g_source_get_context (source) == waiter->base.context &&
         g_source_get_time (source) > waiter->queued_at;
}

/* The head fits when its time has come and it can start here; otherwise
 * its timer wakes it in its own context then. */
static gboolean
rate_limiter_queue_fits (AioWaitQueue *queue,
                         AioWaiter    *base)
{
  AioRateLimiter *self = aio_rate_limiter_from_queue (queue);
  Waiter *waiter = (Waiter *) base;
  gint64 now = g_get_monotonic_time ();
  gint64 next_start = aio_rate_limiter_next_start_locked (self, now);

  if (next_start <= now && waiter_can_start_here (waiter))
    return TRUE;

  waiter_arm_timer_locked (waiter, next_start, now);
  return FALSE;
}

/* Stamped just before the grant is handed over. */
static void
rate_limiter_queue_take (AioWaitQueue *queue,
                         AioWaiter    *base)
{
  Waiter *waiter = (Waiter *) base;

  waiter->started_at = g_get_monotonic_time ();
  aio_rate_limiter_record_start_locked (aio_rate_limiter_from_queue (queue), waiter->started_at);
}

/* Once the callback has returned (or the job's start function), its start
 * counts from now: a callback that a binding reaches late (marshalling, a
 * garbage collection, a preempted thread) still reads the clock before
 * now, so the calls weighed against it can never look early. Only the
 * newest start moves, so the ring stays in order. */
static void
aio_rate_limiter_restamp (AioRateLimiter *self,
                          gint64          started_at)
{
  guint newest;

  aio_wait_queue_lock (&self->queue);
  newest = (self->starts_head + self->starts_length - 1) % self->starts_size;
  if (self->starts_length > 0 && self->last_start == started_at && self->starts[newest] == started_at)
    {
      gint64 now = g_get_monotonic_time ();

      self->last_start = MAX (now, started_at);
      self->starts[newest] = self->last_start;
    }
  aio_wait_queue_unlock (&self->queue);
}

/* Runs in the waiter's context, with the reference taken at the start. */
static void
waiter_on_job_completed (GObject      *source_object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  AioWaiter *waiter = user_data;
  GError *error = NULL;

  aio_job_run_finish (AIO_JOB (source_object), result, &error);
  aio_waiter_return (waiter, error, TRUE);
  aio_waiter_unref (waiter);
}

/* Runs in the waiter's context once its slot was taken. */
static void
waiter_start_job (AioWaiter *waiter)
{
  aio_job_run_async (waiter->job, waiter->cancellable, waiter_on_job_completed, aio_waiter_ref (waiter));
}

static void
rate_limiter_queue_leave (AioWaiter *base)
{
  aio_source_drop (&((Waiter *) base)->timer);
}

/* In the waiter's own context (see waiter_can_start_here()): the callback
 * runs, or the job starts, right here. */
static void
rate_limiter_queue_grant (AioWaiter *base,
                          gboolean   may_start_here)
{
  AioRateLimiter *self = AIO_RATE_LIMITER (base->owner);

  rate_limiter_queue_leave (base);
  aio_source_drop (&base->cancel_source);
  if (base->job == NULL)
    aio_waiter_return (base, NULL, TRUE);
  else
    aio_waiter_run_in_context (base, TRUE, waiter_start_job);
  aio_rate_limiter_restamp (self, ((Waiter *) base)->started_at);
}

/* Runs in the head waiter's context. */
static gboolean
waiter_on_timer (gpointer user_data)
{
  AioWaiter *waiter = user_data;
  AioRateLimiter *self = AIO_RATE_LIMITER (waiter->owner);

  /* Disarmed first: the wake re-arms it if the head must still wait, which
   * is also how a timer that fired early waits again. */
  g_source_set_ready_time (g_main_current_source (), -1);
  aio_wait_queue_wake (&self->queue, TRUE);

  return G_SOURCE_CONTINUE;
}

/* Runs in the waiter's own context. */
static gboolean
waiter_on_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  AioWaiter *waiter = user_data;

  aio_wait_queue_cancel (&AIO_RATE_LIMITER (waiter->owner)->queue, waiter);

  return G_SOURCE_REMOVE;
}

static const AioWaitQueueClass rate_limiter_queue_class = {
  .fits = rate_limiter_queue_fits,
  .take = rate_limiter_queue_take,
  .grant = rate_limiter_queue_grant,
  .leave = rate_limiter_queue_leave,
  .on_cancelled = G_SOURCE_FUNC (waiter_on_cancelled),
  .cancel_source_name = "[aioext] rate limiter cancel",
  .cancelled_message = N_("The wait for a rate limiter slot was cancelled."),
  /* Each grant is stamped just before its callback runs, and the next one
   * is weighed against that stamp. */
  .grants_one_at_a_time = TRUE,
};

/* Every call waits in the queue, even when a slot is free: its grant is
 * stamped when its callback can run (see waiter_can_start_here()). The
 * head's timer wakes it, at once when its slot is free. */
static void
aio_rate_limiter_enqueue (AioRateLimiter *self,
                          Waiter         *waiter)
{
  gint64 now;

  aio_wait_queue_lock (&self->queue);
  now = g_get_monotonic_time ();
  waiter->queued_at = now;
  aio_wait_queue_push_locked (&self->queue, &waiter->base);
  if (self->queue.waiters.head == &waiter->base.link)
    waiter_arm_timer_locked (waiter, aio_rate_limiter_next_start_locked (self, now), now);
  aio_wait_queue_unlock (&self->queue);
}

/* Queues a call made now; nothing here calls back at once, since this runs
 * inside the caller's _async call. A slot taken is spent: a cancellation
 * that races with its grant is too late. */
static void
aio_rate_limiter_start (AioRateLimiter      *self,
                        AioJob              *job,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data,
                        gpointer             source_tag)
{
  Waiter *waiter = (Waiter *) aio_waiter_new (sizeof (Waiter), self, job, cancellable,
                                              callback, user_data, source_tag);
  GError *error = NULL;

  if (aio_waiter_is_cancelled (&waiter->base))
    aio_waiter_return_cancelled (&waiter->base, _(rate_limiter_queue_class.cancelled_message), FALSE);
  else if (!aio_rate_limiter_ensure_initialized (self, &error))
    aio_waiter_return (&waiter->base, error, FALSE);
  else
    aio_rate_limiter_enqueue (self, waiter);
  aio_waiter_unref (&waiter->base);
}

/**
 * aio_rate_limiter_acquire_async:
 * @self: an #AioRateLimiter
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call may start
 * @user_data: data for @callback
 *
 * Waits, in FIFO order, until a call may start, and counts it as started
 * at that moment; @callback then runs in the caller's thread-default main
 * context. Cancelling @cancellable while waiting fails with
 * %G_IO_ERROR_CANCELLED and frees the place for the next waiter. A limiter
 * made with g_object_new() and invalid parameters, never initialized,
 * fails with %AIO_ERROR_INVALID_ARGUMENT.
 */
void
aio_rate_limiter_acquire_async (AioRateLimiter      *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (AIO_IS_RATE_LIMITER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  aio_rate_limiter_start (self, NULL, cancellable, callback, user_data, aio_rate_limiter_acquire_async);
}

/**
 * aio_rate_limiter_acquire_finish:
 * @self: an #AioRateLimiter
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_rate_limiter_acquire_async().
 *
 * Returns: %TRUE when the call may start, %FALSE with @error set
 */
gboolean
aio_rate_limiter_acquire_finish (AioRateLimiter  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  AioWaiter *waiter;

  g_return_val_if_fail (AIO_IS_RATE_LIMITER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);

  waiter = aio_waiter_from_result (result, self, aio_rate_limiter_acquire_async);
  g_return_val_if_fail (waiter != NULL, FALSE);

  return aio_waiter_propagate (waiter, error);
}

/**
 * aio_rate_limiter_run_job_async:
 * @self: an #AioRateLimiter
 * @job: the job to start once a slot is free, normally not started yet
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called once @job has completed, or the wait
 *   failed
 * @user_data: data for @callback
 *
 * Waits for a slot as aio_rate_limiter_acquire_async() does, then starts
 * @job in the caller's thread-default main context and waits for its
 * outcome. Cancelling @cancellable while waiting frees the place; while
 * @job runs it cancels @job and completes this call at once, as
 * aio_job_run_async() does.
 */
void
aio_rate_limiter_run_job_async (AioRateLimiter      *self,
                                AioJob              *job,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (AIO_IS_RATE_LIMITER (self));
  g_return_if_fail (AIO_IS_JOB (job));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  aio_rate_limiter_start (self, job, cancellable, callback, user_data, aio_rate_limiter_run_job_async);
}

/**
 * aio_rate_limiter_run_job_finish:
 * @self: an #AioRateLimiter
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_rate_limiter_run_job_async(): reads the job's outcome.
 *
 * Returns: (transfer none) (nullable): the job's result, owned by the job
 *   (see aio_job_propagate_value()), or %NULL with @error set
 */
const GValue *
aio_rate_limiter_run_job_finish (AioRateLimiter  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  const GValue *value;
  gboolean is_own_result;

  g_return_val_if_fail (AIO_IS_RATE_LIMITER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  value = aio_waiter_finish_job (result, self, aio_rate_limiter_run_job_async, &is_own_result, error);
  g_return_val_if_fail (is_own_result, NULL);

  return value;
}

/**
 * aio_rate_limiter_dup_run_job_finish: (skip)
 * @self: an #AioRateLimiter
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_rate_limiter_run_job_async() like aio_rate_limiter_run_job_finish(),
 * but returns a copy of the job's result that the caller owns, as
 * g_task_propagate_value() does: it stays valid after the job is freed.
 * The Vala binding finishes `yield run_job (...)` with it.
 *
 * Returns: (transfer full) (nullable): a copy of the job's result, to free
 *   with g_boxed_free() (%G_TYPE_VALUE), or %NULL with @error set
 */
GValue *
aio_rate_limiter_dup_run_job_finish (AioRateLimiter *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  return aio_job_dup_outcome (aio_rate_limiter_run_job_finish (self, result, error));
}

static void
rate_limiter_guard_run (GObject             *owner,
                        guint                count,
                        AioJob              *inner,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  aio_rate_limiter_run_job_async (AIO_RATE_LIMITER (owner), inner, cancellable, callback, user_data);
}

static const GValue *
rate_limiter_guard_finish (GObject       *owner,
                           GAsyncResult  *result,
                           GError       **error)
{
  return aio_rate_limiter_run_job_finish (AIO_RATE_LIMITER (owner), result, error);
}

/**
 * aio_rate_limiter_create_job:
 * @self: an #AioRateLimiter
 * @job: the job to start once a slot is free
 *
 * Wraps aio_rate_limiter_run_job_async() as a job of its own, so that
 * rate-limited work can be fed to an #AioCollector, or guarded again by a
 * semaphore. When started it waits for a slot, then runs @job and
 * completes with its outcome.
 *
 * Returns: (transfer full): a new pending job
 */
AioJob *
aio_rate_limiter_create_job (AioRateLimiter *self,
                             AioJob         *job)
{
  g_return_val_if_fail (AIO_IS_RATE_LIMITER (self), NULL);
  g_return_val_if_fail (AIO_IS_JOB (job), NULL);

  return aio_job_new_guarded (G_OBJECT (self), 1, job, rate_limiter_guard_run, rate_limiter_guard_finish);
}
