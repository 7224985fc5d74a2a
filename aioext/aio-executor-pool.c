/* aio-executor-pool.c: the lifecycle that thread and process pools share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-error.h"
#include "aio-executor-pool-private.h"
#include "aio-i18n-private.h"
#include "aio-notify-batcher-private.h"

/**
 * SECTION:aio-executor-pool
 * @title: AioExecutorPool
 * @short_description: the lifecycle shared by thread and process pools
 * @include: aioext.h
 *
 * AioExecutorPool is the lifecycle that thread and process pools share,
 * aioextensions' `ExecutorPool`: a pool starts lazily on its first use, can
 * be started again with another size by aio_executor_pool_initialize(), and
 * stopped by aio_executor_pool_shutdown(), after which it refuses work with
 * %AIO_ERROR_SHUT_DOWN (a default pool restarts lazily instead). Its
 * #AioExecutorPool:running and #AioExecutorPool:queued counters are notified
 * in the context the pool was created in.
 *
 * Use these calls to size a pool for the work at hand, or to stop a pool's
 * threads or processes when a part of the program no longer needs them:
 * shutting down a process pool ends its idle workers at once.
 *
 * The programs below are examples/pool-lifecycle.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-executor-pool] tells what
 * each language gets.
 *
 * <example id="AioExecutorPool-example-c">
 * <title>C: <filename>examples/pool-lifecycle.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-pool-lifecycle.c"/></programlisting>
 * </example>
 * <example id="AioExecutorPool-example-py">
 * <title>Python: <filename>examples/pool-lifecycle.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-pool-lifecycle.py"/></programlisting>
 * </example>
 * <example id="AioExecutorPool-example-js">
 * <title>JavaScript (GJS): <filename>examples/pool-lifecycle.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-pool-lifecycle.js"/></programlisting>
 * </example>
 * <example id="AioExecutorPool-example-vala">
 * <title>Vala: <filename>examples/pool-lifecycle.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-pool-lifecycle.vala"/></programlisting>
 * </example>
 */

/**
 * AioExecutorPool:
 *
 * The lifecycle shared by the pools that run work away from the main loop
 * (#AioThreadPool, and process pools): the counterpart of aioextensions'
 * `ExecutorPool`. It is an abstract base whose kinds are the library's own
 * (#AioThreadPool and #AioProcessPool): its virtual functions are private,
 * and a type derived from it elsewhere cannot be initialized.
 *
 * A pool starts lazily, on its first use, with the size given at
 * construction (0 meaning the kind's documented default). It can be
 * (re)started explicitly with aio_executor_pool_initialize(), which lets the
 * previous executor finish its work in the background, and stopped with
 * aio_executor_pool_shutdown(). Work submitted to a pool that was shut down
 * fails with %AIO_ERROR_SHUT_DOWN until it is initialized again; the default
 * instance of each kind (aio_thread_pool_get_default()) instead restarts
 * lazily on its next use, with the size it was last configured with, as
 * aioextensions' `in_thread` re-initializes `THREAD_POOL`.
 *
 * The #AioExecutorPool:running and #AioExecutorPool:queued counters are
 * updated from worker threads, but their `notify` signals are always
 * emitted in the main context that was the thread-default one when the pool
 * was created, coalesced: one emission covers every change since the last.
 * A change wakes that context only when someone hears it: a `notify`
 * handler, or a loop that reads the counter (getter or property) and
 * iterates the context until it changes. Otherwise it is emitted when the
 * context next runs, so that a call costs its caller one wake-up, not three.
 *
 * |[<!-- language="C" -->
 * AioExecutorPool *pool = AIO_EXECUTOR_POOL (aio_thread_pool_get_default ());
 *
 * aio_executor_pool_initialize (pool, 4);     // four threads at most
 * ...
 * aio_executor_pool_shutdown (pool, TRUE);    // run what is queued, then stop
 * ]|
 */

typedef struct
{
  /* First in "The lock order" (docs/reference/architecture.xml). */
  GMutex              mutex;
  guint               max_workers;      /* mutex: as configured, 0 = default */
  gboolean            is_initialized;   /* mutex */
  gboolean            was_shut_down;    /* mutex: explicitly, since the last initialize */
  gboolean            restarts_lazily;  /* mutex */

  /* Workers write the counters all the time: keep them off the cache line
   * of the mutex that every submission takes. */
  char                padding[64];
  int                 running;          /* atomic */
  int                 queued;           /* atomic */
  int                 is_awaited;       /* atomic: a counter was read since its last wake-up */
  /* Holds no reference on the pool: a pool whose owner context never runs
   * again still ends with its last reference. */
  AioNotifyBatcher   *notify;           /* emits in the owner context */
} AioExecutorPoolPrivate;

enum {
  PROP_0,
  PROP_MAX_WORKERS,
  PROP_RUNNING,
  PROP_QUEUED,
  PROP_INITIALIZED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (AioExecutorPool, aio_executor_pool, G_TYPE_OBJECT,
                                  G_ADD_PRIVATE (AioExecutorPool)
                                  g_type_add_class_private (g_define_type_id, sizeof (AioExecutorPoolKind)))

AioExecutorPoolKind *
aio_executor_pool_class_get_kind (gpointer klass)
{
  return G_TYPE_CLASS_GET_PRIVATE (klass, AIO_TYPE_EXECUTOR_POOL, AioExecutorPoolKind);
}

static inline AioExecutorPoolKind *
aio_executor_pool_get_kind (AioExecutorPool *self)
{
  return aio_executor_pool_class_get_kind (AIO_EXECUTOR_POOL_GET_CLASS (self));
}

#define NOTIFY_MAX_WORKERS (AIO_NOTIFY_BIT (PROP_MAX_WORKERS) | AIO_NOTIFY_BIT (PROP_INITIALIZED))
#define NOTIFY_RUNNING     AIO_NOTIFY_BIT (PROP_RUNNING)
#define NOTIFY_QUEUED      AIO_NOTIFY_BIT (PROP_QUEUED)

/* Safe from any thread: only the first change after an emission schedules
 * one, and it shares the owner context's wake-up with the calls that finish
 * meanwhile (see aio-notify-batcher.c). */
static void
aio_executor_pool_schedule_notify (AioExecutorPool *self,
                                   guint            changed)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  aio_notify_batcher_schedule (priv->notify, changed);
}

/* The counters change two or three times per call, most often on worker
 * threads while the owner context sleeps: a change wakes the context only
 * when someone hears it (a notify handler, or a loop that reads the counter
 * and iterates the context until it changes), or else a round trip of one
 * call would wake it three times. The caller holds @self. */
static void
aio_executor_pool_schedule_counter_notify (AioExecutorPool *self,
                                           guint            changed)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  aio_notify_batcher_schedule_if_heard (priv->notify, changed, &priv->is_awaited);
}

/* A counter read by its getter: the next change wakes the owner context,
 * for the caller may iterate it until the counter changes. Set before the
 * read (see aio_notify_batcher_schedule_if_heard()). */
static int
aio_executor_pool_read_awaited (AioExecutorPool *self,
                                int             *counter)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  if (!g_atomic_int_get (&priv->is_awaited))
    g_atomic_int_set (&priv->is_awaited, TRUE);
  return g_atomic_int_get (counter);
}

/* The kinds of pool are the library's own. A type derived from this one
 * elsewhere (by a binding: the virtual functions are private) has none of the
 * virtual functions, and is a wrong type for every call that needs them. */
static gboolean
aio_executor_pool_is_library_kind (AioExecutorPool *self)
{
  return aio_executor_pool_get_kind (self)->start != NULL;
}

static guint
aio_executor_pool_resolve_max_workers (AioExecutorPool *self,
                                       guint            max_workers)
{
  if (max_workers == 0 && aio_executor_pool_is_library_kind (self))
    return aio_executor_pool_get_kind (self)->get_default_max_workers (self);

  return max_workers;
}

static void
aio_executor_pool_start_locked (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  aio_executor_pool_get_kind (self)->start (self, aio_executor_pool_resolve_max_workers (self, priv->max_workers));
  priv->is_initialized = TRUE;
  priv->was_shut_down = FALSE;
}

static void
aio_executor_pool_stop_locked (AioExecutorPool *self,
                               AioExecutorStop  how)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  if (!priv->is_initialized)
    return;

  aio_executor_pool_get_kind (self)->stop (self, how);
  priv->is_initialized = FALSE;
}

static void
aio_executor_pool_finalize (GObject *object)
{
  AioExecutorPool *self = AIO_EXECUTOR_POOL (object);
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  /* Work in flight holds a reference on its pool, so only work that can no
   * longer reach the pool (failed or cancelled) may still sit in a queue:
   * stopping without waiting lets the executor discard it on its own. */
  aio_executor_pool_stop_locked (self, AIO_EXECUTOR_STOP_DISCARD);
  aio_notify_batcher_free (priv->notify);
  g_mutex_clear (&priv->mutex);

  G_OBJECT_CLASS (aio_executor_pool_parent_class)->finalize (object);
}

static void
aio_executor_pool_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  AioExecutorPool *self = AIO_EXECUTOR_POOL (object);

  switch (prop_id)
    {
    case PROP_MAX_WORKERS:
      g_value_set_uint (value, aio_executor_pool_get_max_workers (self));
      break;

    case PROP_RUNNING:
      g_value_set_uint (value, aio_executor_pool_get_running (self));
      break;

    case PROP_QUEUED:
      g_value_set_uint (value, aio_executor_pool_get_queued (self));
      break;

    case PROP_INITIALIZED:
      g_value_set_boolean (value, aio_executor_pool_is_initialized (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_executor_pool_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  AioExecutorPool *self = AIO_EXECUTOR_POOL (object);
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_MAX_WORKERS:
      priv->max_workers = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_executor_pool_class_init (AioExecutorPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = aio_executor_pool_finalize;
  object_class->get_property = aio_executor_pool_get_property;
  object_class->set_property = aio_executor_pool_set_property;

  /**
   * AioExecutorPool:max-workers:
   *
   * The most workers the pool runs at once. Set at construction, 0 meaning
   * the kind's default; reads give the size in effect (the default
   * resolved). aio_executor_pool_initialize() changes it.
   */
  properties[PROP_MAX_WORKERS] =
    g_param_spec_uint ("max-workers", "Max workers", "The most workers the pool runs at once",
                       0, G_MAXINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * AioExecutorPool:running:
   *
   * How many calls run on a worker right now. Notified in the pool's owner
   * context.
   */
  properties[PROP_RUNNING] =
    g_param_spec_uint ("running", "Running", "How many calls run on a worker right now",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * AioExecutorPool:queued:
   *
   * How many calls wait for a free worker. Notified in the pool's owner
   * context.
   */
  properties[PROP_QUEUED] =
    g_param_spec_uint ("queued", "Queued", "How many calls wait for a free worker",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * AioExecutorPool:initialized:
   *
   * Whether the pool has a running executor; see
   * aio_executor_pool_is_initialized().
   */
  properties[PROP_INITIALIZED] =
    g_param_spec_boolean ("initialized", "Initialized", "Whether the pool has a running executor",
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
aio_executor_pool_init (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);
  GMainContext *context = g_main_context_get_thread_default ();

  g_mutex_init (&priv->mutex);
  priv->notify = aio_notify_batcher_new (G_OBJECT (self), properties,
                                         context != NULL ? context : g_main_context_default ());
}

static GPrivate running_work = G_PRIVATE_INIT (NULL);

/* Called on a worker thread around a function of @self, so that the
 * function cannot make the pool wait for the function itself. */
void
aio_executor_pool_enter_work (AioExecutorPool *self,
                              AioPoolWork     *work)
{
  work->pool = self;
  work->outer = g_private_get (&running_work);
  work->waited_for_itself = FALSE;
  g_private_set (&running_work, work);
}

/* Returns the error the function's call fails with when the function shut
 * its own pool down asking to wait, or %NULL. */
GError *
aio_executor_pool_leave_work (AioPoolWork *work)
{
  g_private_set (&running_work, work->outer);
  if (!work->waited_for_itself)
    return NULL;

  return g_error_new (AIO_ERROR, AIO_ERROR_NOT_SUPPORTED,
                      _("A function running on the %s shut that pool down and asked to wait for its "
                        "calls, its own call among them, which would never end; the pool was shut "
                        "down without waiting. Shut the pool down from outside its own functions to "
                        "wait for it."),
                      G_OBJECT_TYPE_NAME (work->pool));
}

/* Whether this thread runs a function of @self, which a wait for @self's
 * calls would wait for: the function's call is then marked to fail. */
static gboolean
aio_executor_pool_note_wait_for_itself (AioExecutorPool *self)
{
  for (AioPoolWork *work = g_private_get (&running_work); work != NULL; work = work->outer)
    if (work->pool == self)
      {
        work->waited_for_itself = TRUE;
        return TRUE;
      }

  return FALSE;
}

/**
 * aio_executor_pool_initialize:
 * @self: an #AioExecutorPool
 * @max_workers: the most workers to run at once, at most %G_MAXINT, or 0
 *   for the kind's default (10 × aio_get_cpu_cores() threads for
 *   #AioThreadPool)
 *
 * Starts a new executor of @max_workers workers. When @self was already
 * initialized, as in aioextensions, the calls the old executor has queued
 * or running still run and complete as usual, in the background (this
 * does not wait for them); the new size applies to the calls that follow.
 * The size is remembered for later lazy restarts. A size above %G_MAXINT
 * (a negative number passed from C) is a programmer error: the pool is left
 * as it was.
 */
void
aio_executor_pool_initialize (AioExecutorPool *self,
                              guint            max_workers)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  g_return_if_fail (AIO_IS_EXECUTOR_POOL (self));
  g_return_if_fail (aio_executor_pool_is_library_kind (self));
  g_return_if_fail (max_workers <= G_MAXINT);

  g_mutex_lock (&priv->mutex);
  aio_executor_pool_stop_locked (self, AIO_EXECUTOR_STOP_DRAIN);
  priv->max_workers = max_workers;
  aio_executor_pool_start_locked (self);
  g_mutex_unlock (&priv->mutex);

  aio_executor_pool_schedule_notify (self, NOTIFY_MAX_WORKERS);
}

/**
 * aio_executor_pool_shutdown:
 * @self: an #AioExecutorPool
 * @wait: whether to run what is queued and wait for it
 *
 * Stops the executor. With @wait %FALSE the calls still queued complete
 * with %AIO_ERROR_SHUT_DOWN without running, and the calls already running
 * finish in the background, their results delivered as usual. With @wait
 * %TRUE this blocks until every queued and running call has run (the
 * callbacks are still delivered later, by the main loop). Shutting down a
 * pool that is not initialized does nothing.
 *
 * A function running on @self cannot wait for @self's calls, its own among
 * them: called from one with @wait %TRUE, this shuts the pool down without
 * waiting (queued calls still run) and the function's own call fails with
 * %AIO_ERROR_NOT_SUPPORTED once it returns.
 *
 * Afterwards calls fail with %AIO_ERROR_SHUT_DOWN until
 * aio_executor_pool_initialize() is called, except on a default instance,
 * which restarts lazily.
 */
void
aio_executor_pool_shutdown (AioExecutorPool *self,
                            gboolean         wait)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);
  AioExecutorStop how = wait ? AIO_EXECUTOR_STOP_DRAIN_AND_WAIT : AIO_EXECUTOR_STOP_DISCARD;

  g_return_if_fail (AIO_IS_EXECUTOR_POOL (self));

  /* The pool cannot wait for the function asking it to. */
  if (wait && aio_executor_pool_note_wait_for_itself (self))
    how = AIO_EXECUTOR_STOP_DRAIN;

  g_mutex_lock (&priv->mutex);
  aio_executor_pool_stop_locked (self, how);
  priv->was_shut_down = TRUE;
  g_mutex_unlock (&priv->mutex);

  aio_executor_pool_schedule_notify (self, NOTIFY_MAX_WORKERS);
}

/**
 * aio_executor_pool_is_initialized:
 * @self: an #AioExecutorPool
 *
 * Whether @self has a running executor: after its first use or
 * aio_executor_pool_initialize(), until aio_executor_pool_shutdown().
 *
 * Returns: %TRUE when the pool is initialized
 */
gboolean
aio_executor_pool_is_initialized (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);
  gboolean is_initialized;

  g_return_val_if_fail (AIO_IS_EXECUTOR_POOL (self), FALSE);

  g_mutex_lock (&priv->mutex);
  is_initialized = priv->is_initialized;
  g_mutex_unlock (&priv->mutex);

  return is_initialized;
}

/**
 * aio_executor_pool_get_max_workers:
 * @self: an #AioExecutorPool
 *
 * The most workers @self runs at once, the default resolved.
 *
 * Returns: the configured size
 */
guint
aio_executor_pool_get_max_workers (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);
  guint max_workers;

  g_return_val_if_fail (AIO_IS_EXECUTOR_POOL (self), 0);

  g_mutex_lock (&priv->mutex);
  max_workers = priv->max_workers;
  g_mutex_unlock (&priv->mutex);

  return aio_executor_pool_resolve_max_workers (self, max_workers);
}

/**
 * aio_executor_pool_get_running:
 * @self: an #AioExecutorPool
 *
 * How many calls run on a worker right now.
 *
 * Returns: the number of running calls
 */
guint
aio_executor_pool_get_running (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  g_return_val_if_fail (AIO_IS_EXECUTOR_POOL (self), 0);

  return aio_executor_pool_read_awaited (self, &priv->running);
}

/* The running count, for the library's own decisions: unlike the getter,
 * it asks for no wake-up. */
guint
aio_executor_pool_peek_running (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  return g_atomic_int_get (&priv->running);
}

/**
 * aio_executor_pool_get_queued:
 * @self: an #AioExecutorPool
 *
 * How many calls wait for a free worker.
 *
 * Returns: the number of queued calls
 */
guint
aio_executor_pool_get_queued (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  g_return_val_if_fail (AIO_IS_EXECUTOR_POOL (self), 0);

  return aio_executor_pool_read_awaited (self, &priv->queued);
}

void
aio_executor_pool_lock (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  g_mutex_lock (&priv->mutex);
}

void
aio_executor_pool_unlock (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  g_mutex_unlock (&priv->mutex);
}

/* Called with the lock held before each submission: the lazy start. */
gboolean
aio_executor_pool_ensure_started (AioExecutorPool  *self,
                                  GError          **error)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  if (priv->is_initialized)
    return TRUE;

  if (priv->was_shut_down && !priv->restarts_lazily)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_SHUT_DOWN,
                   _("The %s was shut down; initialize the pool again to use it."),
                   G_OBJECT_TYPE_NAME (self));
      return FALSE;
    }

  aio_executor_pool_start_locked (self);
  aio_executor_pool_schedule_notify (self, NOTIFY_MAX_WORKERS);

  return TRUE;
}

/* A default instance belongs to the whole process: it restarts lazily after
 * a shutdown, and notifies in the global default context, which outlives
 * whatever context was thread-default when it was first asked for. */
void
aio_executor_pool_make_default (AioExecutorPool *self)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);

  g_mutex_lock (&priv->mutex);
  priv->restarts_lazily = TRUE;
  /* Called before the pool is first used: no notification is pending. */
  aio_notify_batcher_set_context (priv->notify, g_main_context_default ());
  g_mutex_unlock (&priv->mutex);
}

/* Returns the new count. */
int
aio_executor_pool_add_queued (AioExecutorPool *self,
                              int              delta)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);
  int queued = g_atomic_int_add (&priv->queued, delta) + delta;

  aio_executor_pool_schedule_counter_notify (self, NOTIFY_QUEUED);
  return queued;
}

/* Returns the new count. */
int
aio_executor_pool_add_running (AioExecutorPool *self,
                               int              delta)
{
  AioExecutorPoolPrivate *priv = aio_executor_pool_get_instance_private (self);
  int running = g_atomic_int_add (&priv->running, delta) + delta;

  aio_executor_pool_schedule_counter_notify (self, NOTIFY_RUNNING);
  return running;
}
