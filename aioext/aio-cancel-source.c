/* aio-cancel-source.c: a source that dispatches once a GCancellable is
 * cancelled (in place of GLib 2.74's leaky one), and dropping sources that
 * two threads may race to drop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-cancel-source-private.h"

/* Two threads may race to drop the same source (a grant and the waiter's
 * own cancel source): the exchange lets exactly one of them do it. */
void
aio_source_drop (GSource **source_pointer)
{
  GSource *source = g_atomic_pointer_exchange (source_pointer, NULL);

  if (source != NULL)
    aio_source_destroy (source);
}

/* Takes @source out of its context and drops the caller's reference; a
 * #GDestroyNotify for task data that is a source. */
void
aio_source_destroy (gpointer source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

/* A drop-in for g_cancellable_source_new(). GLib 2.74's GCancellableSource
 * leaks itself when its last reference goes in one thread while another
 * thread is still inside g_cancellable_cancel() for the same cancellable:
 * its dispose resurrects the source for a "cancelled" handler that has
 * already run, or that it then disconnects, so nothing ever drops that
 * reference. Here the handler reaches the source only through a slot that
 * the source clears, under a lock, before it goes; the slot itself belongs
 * to the signal closure, which GObject keeps alive until any emission in
 * progress has finished, so neither side can see freed memory. */
typedef struct
{
  GSource       source;
  GCancellable *cancellable;
  GSource     **slot;
  gulong        handler_id;
} AioCancelSource;

G_LOCK_DEFINE_STATIC (cancel_sources);   /* a leaf: see "The lock order" (docs/reference/architecture.xml) */

static void
aio_cancel_source_on_cancelled (GCancellable *cancellable,
                                gpointer      user_data)
{
  GSource **slot = user_data;
  GSource *source;

  /* The source's last reference may be going in another thread right now:
   * GLib then runs its dispose function, which waits for this lock to clear
   * the slot, and documents that another thread may take a new reference
   * until dispose returns (g_source_set_dispose_function()). */
  G_LOCK (cancel_sources);
  source = *slot;
  if (source != NULL)
    g_source_ref (source);
  G_UNLOCK (cancel_sources);

  /* With a reference of its own, and outside the lock, which the
   * source's dispose takes should this be its last reference. */
  if (source != NULL)
    {
      g_source_set_ready_time (source, 0);
      g_source_unref (source);
    }
}

static gboolean
aio_cancel_source_dispatch (GSource     *source,
                            GSourceFunc  callback,
                            gpointer     user_data)
{
  AioCancelSource *self = (AioCancelSource *) source;

  g_source_set_ready_time (source, -1);
  if (callback == NULL)
    return G_SOURCE_REMOVE;

  return ((GCancellableSourceFunc) (void (*) (void)) callback) (self->cancellable, user_data);
}

/* Dispose, not finalize: GLib holds a reference during dispose, so a
 * handler that still finds the source in its slot may set its ready time.
 * A reference that handler takes meanwhile brings the source back, and its
 * unref runs the dispose again, in the handler's thread: the handler id is
 * taken under the lock, so that the second pass sees the first one's. */
static void
aio_cancel_source_dispose (GSource *source)
{
  AioCancelSource *self = (AioCancelSource *) source;
  gulong handler_id;

  G_LOCK (cancel_sources);
  handler_id = self->handler_id;
  self->handler_id = 0;
  if (handler_id != 0)
    *self->slot = NULL;
  G_UNLOCK (cancel_sources);

  /* Unlike g_cancellable_disconnect(), never waits for a cancellation
   * running in another thread, so this is safe from any thread, even from
   * inside a "cancelled" handler. */
  if (handler_id != 0)
    g_signal_handler_disconnect (self->cancellable, handler_id);
}

static void
aio_cancel_source_finalize (GSource *source)
{
  g_object_unref (((AioCancelSource *) source)->cancellable);
}

static GSourceFuncs aio_cancel_source_funcs = {
  .dispatch = aio_cancel_source_dispatch,
  .finalize = aio_cancel_source_finalize,
};

/* Returns a source that dispatches once @cancellable is cancelled, with a
 * #GCancellableSourceFunc callback, as g_cancellable_source_new() does. */
GSource *
aio_cancel_source_new (GCancellable *cancellable)
{
  GSource *source = g_source_new (&aio_cancel_source_funcs, sizeof (AioCancelSource));
  AioCancelSource *self = (AioCancelSource *) source;

  g_source_set_static_name (source, "[aioext] cancel watch");
  g_source_set_dispose_function (source, aio_cancel_source_dispose);
  self->cancellable = g_object_ref (cancellable);
  self->slot = g_new (GSource *, 1);
  *self->slot = source;
  /* Runs the handler at once, and frees the slot, when already cancelled. */
  self->handler_id = g_cancellable_connect (cancellable, G_CALLBACK (aio_cancel_source_on_cancelled),
                                            self->slot, g_free);

  return source;
}
