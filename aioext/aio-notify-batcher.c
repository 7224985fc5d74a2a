/* aio-notify-batcher.c: property notifications coalesced and emitted in
 * the context that owns an object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-completion-queue-private.h"
#include "aio-notify-batcher-private.h"

/* Bindings must never see notify on another thread or context (GJS cannot
 * run JS there), and the counters of a pool or a semaphore change several
 * times per call, often on worker threads. So a change only sets a bit;
 * the first bit set since the last emission hands the batcher to its
 * context's completion queue, and one dispatch there emits every property
 * changed meanwhile, once, and only when someone listens.
 *
 * The batcher is a record of its own, not part of the object, and reaches
 * the object through a weak reference: a pending emission never keeps the
 * object alive. An object whose context never runs again (a temporary
 * context, a thread that exited) is still disposed with its last
 * reference. The record is freed by whichever comes last: the object, or
 * the queue's dispatch (or the queue's own end, when the context goes
 * first). */
struct _AioNotifyBatcher
{
  AioCompletion       completion;   /* first: queued while QUEUED is set */
  GObject            *owner;        /* unowned: for the owner's own calls */
  GWeakRef            object;       /* the same, for the queue's dispatch */
  GParamSpec        **pspecs;       /* the class's, by property id */
  GMainContext       *context;      /* kept alive by queue */
  AioCompletionQueue *queue;        /* of context; NULL: flushed by the owner */
  int                 refs;         /* atomic: the object's, and the queue's */
  guint               pending;      /* atomic: changed bits, and QUEUED */
};

/* Set while the record sits in the completion queue: it must not be pushed
 * again until the dispatch has taken it off. */
#define QUEUED (1u << 31)
/* Set while the record sits in the queue without having woken the context
 * (aio_notify_batcher_schedule_if_heard()): a change that someone hears
 * must still wake it. Property ids stay below both bits. */
#define LAZY   (1u << 30)

static gsize notify_signal_id;

static void
aio_notify_batcher_unref (AioNotifyBatcher *self)
{
  if (!g_atomic_int_dec_and_test (&self->refs))
    return;

  g_weak_ref_clear (&self->object);
  g_free (self);
}

/* @context: where notify is emitted, or %NULL when the owner only marks
 * and flushes in its own context (then schedule() is not allowed). */
AioNotifyBatcher *
aio_notify_batcher_new (GObject      *object,
                        GParamSpec  **pspecs,
                        GMainContext *context)
{
  AioNotifyBatcher *self = g_new0 (AioNotifyBatcher, 1);

  if (g_once_init_enter (&notify_signal_id))
    g_once_init_leave (&notify_signal_id, g_signal_lookup ("notify", G_TYPE_OBJECT));

  self->owner = object;
  g_weak_ref_init (&self->object, object);
  self->pspecs = pspecs;
  self->refs = 1;
  aio_notify_batcher_set_context (self, context);

  return self;
}

/* Moves the emission to @context. Only before any change was scheduled. */
void
aio_notify_batcher_set_context (AioNotifyBatcher *self,
                                GMainContext     *context)
{
  g_assert (!(g_atomic_int_get (&self->pending) & QUEUED));

  g_clear_pointer (&self->queue, aio_completion_queue_unref);
  self->context = context;
  if (context != NULL)
    self->queue = aio_completion_queue_ref_for_context (context);
}

/* Called by the object's finalize, in any thread. */
void
aio_notify_batcher_free (AioNotifyBatcher *self)
{
  g_clear_pointer (&self->queue, aio_completion_queue_unref);
  aio_notify_batcher_unref (self);
}

static void
aio_notify_batcher_emit (AioNotifyBatcher *self,
                         GObject          *object,
                         guint             changed)
{
  for (guint prop_id = 0; changed != 0; prop_id++, changed >>= 1)
    {
      GParamSpec *pspec = self->pspecs[prop_id];

      if ((changed & 1) &&
          g_signal_has_handler_pending (object, notify_signal_id, g_param_spec_get_name_quark (pspec), FALSE))
        g_object_notify_by_pspec (object, pspec);
    }
}

/* Called by the owner, which is alive, in its context: emits what changed
 * since the last emission. A record still queued stays queued; its
 * dispatch will find less to do. */
void
aio_notify_batcher_flush (AioNotifyBatcher *self)
{
  guint changed = g_atomic_int_and (&self->pending, QUEUED | LAZY) & ~(QUEUED | LAZY);

  if (changed != 0)
    aio_notify_batcher_emit (self, self->owner, changed);
}

/* From the completion queue, in the context; or at the queue's end, when
 * the object is gone. Consumes the queue's reference. */
static void
aio_notify_batcher_dispatch (AioCompletion *completion)
{
  AioNotifyBatcher *self = (AioNotifyBatcher *) completion;
  GObject *object = g_weak_ref_get (&self->object);
  guint changed;

  /* Cleared before emitting, so a change a handler makes queues again. */
  changed = g_atomic_int_and (&self->pending, 0) & ~(QUEUED | LAZY);
  if (object != NULL)
    {
      aio_notify_batcher_emit (self, object, changed);
      g_object_unref (object);
    }
  aio_notify_batcher_unref (self);
}

/* In the owner's context only: records @changed for the owner's next
 * aio_notify_batcher_flush(). */
void
aio_notify_batcher_mark (AioNotifyBatcher *self,
                         guint             changed)
{
  g_atomic_int_or (&self->pending, changed);
}

/* Whether @changed is already part of the emission queued, and, unless
 * @lazily, of one that woke the context. */
static inline gboolean
aio_notify_batcher_is_queued (AioNotifyBatcher *self,
                              guint             changed,
                              gboolean          lazily)
{
  guint looked_at = changed | QUEUED | (lazily ? 0 : LAZY);

  /* Most changes find their emission already queued: read before writing,
   * so that workers do not fight over the cache line. */
  return (g_atomic_int_get (&self->pending) & looked_at) == (changed | QUEUED);
}

/* Records @changed, and queues the emission unless it is queued already;
 * one queued lazily is made to wake the context now when @wakes. */
static void
aio_notify_batcher_queue (AioNotifyBatcher *self,
                          guint             changed,
                          gboolean          wakes)
{
  guint old = g_atomic_int_or (&self->pending, changed | QUEUED | (wakes ? 0 : LAZY));

  if (old & QUEUED)
    {
      /* The context alive: the batcher is a user of its queue. */
      if (wakes && (old & LAZY) && (g_atomic_int_and (&self->pending, ~LAZY) & LAZY))
        g_main_context_wakeup (self->context);
      return;
    }

  g_atomic_int_inc (&self->refs);
  if (wakes)
    aio_completion_queue_push (self->queue, &self->completion, aio_notify_batcher_dispatch);
  else
    aio_completion_queue_push_lazily (self->queue, &self->completion, aio_notify_batcher_dispatch);
}

/* Safe from any thread, worker threads included: @changed is emitted from
 * the owner's context later, coalesced with every change made until then. */
void
aio_notify_batcher_schedule (AioNotifyBatcher *self,
                             guint             changed)
{
  if (changed != 0 && !aio_notify_batcher_is_queued (self, changed, FALSE))
    aio_notify_batcher_queue (self, changed, TRUE);
}

/* Whether a handler, blocked or not (it may be unblocked by the time of the
 * emission), listens to the notification of a property in @changed. */
static gboolean
aio_notify_batcher_is_listened (AioNotifyBatcher *self,
                                guint             changed)
{
  for (guint prop_id = 0; changed != 0; prop_id++, changed >>= 1)
    if ((changed & 1) &&
        g_signal_has_handler_pending (self->owner, notify_signal_id,
                                      g_param_spec_get_name_quark (self->pspecs[prop_id]), TRUE))
      return TRUE;

  return FALSE;
}

/* As aio_notify_batcher_schedule(), for values that change several times
 * per operation, from any thread while the owner is alive: the context is
 * woken only for a change that someone hears, a handler of its notify
 * signal or a loop waiting for it (@is_awaited, set by the getter that the
 * loop calls before each iteration, is taken by the change that wakes it).
 * A change nobody hears waits for the context's next iteration, whatever
 * causes it (an operation's completion), and one made in the context's own
 * dispatch is dropped: it costs the context no wake-up of its own. A
 * handler connected meanwhile hears of the changes made after the context
 * has next iterated: right away when it was connected in that context, as
 * handlers are. */
void
aio_notify_batcher_schedule_if_heard (AioNotifyBatcher *self,
                                      guint             changed,
                                      int              *is_awaited)
{
  gboolean is_heard;

  /* Joining an emission queued lazily: the context, which
   * must be running for anyone to hear the change, dispatches it before it
   * sleeps again. */
  if (changed == 0 || aio_notify_batcher_is_queued (self, changed, TRUE))
    return;

  /* The caller changed the value before: a waiting loop that set
   * @is_awaited before reading it sees either the new value or the flag
   * taken here. */
  is_heard = (g_atomic_int_get (is_awaited) && g_atomic_int_compare_and_exchange (is_awaited, TRUE, FALSE)) ||
             aio_notify_batcher_is_listened (self, changed);
  if (!is_heard && aio_completion_queue_is_dispatching (self->queue))
    return;

  aio_notify_batcher_queue (self, changed, is_heard);
}

/* Safe from any thread: emits at once when this thread is running the
 * owner's context and nothing is queued, as a GObject setter does, and
 * otherwise as aio_notify_batcher_schedule(). */
void
aio_notify_batcher_notify (AioNotifyBatcher *self,
                           guint             changed)
{
  guint pending = g_atomic_int_get (&self->pending);

  if (changed == 0 || (pending & (changed | QUEUED)) == (changed | QUEUED))
    return;

  if (!(pending & QUEUED) && g_main_context_is_owner (self->context))
    {
      aio_notify_batcher_mark (self, changed);
      aio_notify_batcher_flush (self);
      return;
    }

  aio_notify_batcher_schedule (self, changed);
}
