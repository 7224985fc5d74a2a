/* aio-recycled-cancellable.c: cancellables that jobs hand back for the
 * next jobs started in the same thread
 *
 * Making and finalizing a GObject per job cost more than the rest of an
 * immediate job's life, so a job that completed gives its cancellable back
 * when nobody else can reach it, and the next job started in that thread
 * takes it. Whether somebody else holds one is learnt through public API:
 * the holder's reference is a toggle reference, and GObject calls
 * aio_recycled_cancellable_on_toggle() when a second reference appears and
 * when the last other one goes. GLib's instance fields (the reference
 * count, the data list) are private and never read.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-recycled-cancellable-private.h"

#define MAX_SPARE_CANCELLABLES 64

#define AIO_TYPE_RECYCLED_CANCELLABLE (aio_recycled_cancellable_get_type ())
G_DECLARE_FINAL_TYPE (AioRecycledCancellable, aio_recycled_cancellable,
                      AIO, RECYCLED_CANCELLABLE, GCancellable)

struct _AioRecycledCancellable
{
  GCancellable parent_instance;

  int          is_kept;   /* atomic: a reference besides the holder's exists */
};

G_DEFINE_FINAL_TYPE (AioRecycledCancellable, aio_recycled_cancellable, G_TYPE_CANCELLABLE)

static guint cancelled_signal;

static void
aio_recycled_cancellable_class_init (AioRecycledCancellableClass *klass)
{
  cancelled_signal = g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE);
}

static void
aio_recycled_cancellable_init (AioRecycledCancellable *self)
{
}

/* Runs in whichever thread takes the second reference or drops the last
 * other one. */
static void
aio_recycled_cancellable_on_toggle (gpointer  data,
                                    GObject  *object,
                                    gboolean  is_last_ref)
{
  g_atomic_int_set (&((AioRecycledCancellable *) object)->is_kept, !is_last_ref);
}

/* Drops the holder's (toggle) reference. */
void
aio_recycled_cancellable_release (GCancellable *cancellable)
{
  g_object_remove_toggle_ref (G_OBJECT (cancellable), aio_recycled_cancellable_on_toggle, NULL);
}

static void
spares_free (gpointer data)
{
  g_ptr_array_unref (data);
}

static GPrivate spare_cancellables = G_PRIVATE_INIT (spares_free);

/* A thread's spares go with the thread, but the main thread never runs its
 * GPrivate destructors: its spares go at exit instead. Leak checkers would
 * otherwise report them as possibly lost, since GObject keeps a toggle
 * reference's record behind a tagged pointer. */
__attribute__((destructor)) static void
spares_free_at_exit (void)
{
  g_private_replace (&spare_cancellables, NULL);
}

/* Returns a cancellable, never cancelled, held by a toggle reference that
 * the caller owns: drop it with aio_recycled_cancellable_release() or
 * aio_recycled_cancellable_give_back(). */
GCancellable *
aio_recycled_cancellable_take (void)
{
  GPtrArray *spares = g_private_get (&spare_cancellables);
  GObject *cancellable;

  if (spares != NULL && spares->len > 0)
    return g_ptr_array_steal_index_fast (spares, spares->len - 1);

  cancellable = g_object_new (AIO_TYPE_RECYCLED_CANCELLABLE, NULL);
  g_object_add_toggle_ref (cancellable, aio_recycled_cancellable_on_toggle, NULL);
  g_object_unref (cancellable);

  return (GCancellable *) cancellable;
}

/* Whether anyone besides the holder holds a reference, or listens for its
 * cancellation. */
gboolean
aio_recycled_cancellable_is_kept (GCancellable *cancellable)
{
  return g_atomic_int_get (&((AioRecycledCancellable *) cancellable)->is_kept) ||
         g_signal_has_handler_pending (cancellable, cancelled_signal, 0, TRUE);
}

/* Keeps @cancellable for the next aio_recycled_cancellable_take() in this
 * thread when nobody else holds it and it was never cancelled (a job
 * cannot tell such a one from a new one); else releases it. The caller
 * has seen aio_recycled_cancellable_is_kept() return FALSE under a lock
 * that has kept everyone else from reaching @cancellable since (the job's):
 * a handler needs someone who reaches it, so only the reference flag is
 * read again, not the handler list, a lookup that cost a job about 200
 * instructions more. */
void
aio_recycled_cancellable_give_back (GCancellable *cancellable)
{
  GPtrArray *spares = g_private_get (&spare_cancellables);

  if (g_cancellable_is_cancelled (cancellable) ||
      g_atomic_int_get (&((AioRecycledCancellable *) cancellable)->is_kept) ||
      (spares != NULL && spares->len == MAX_SPARE_CANCELLABLES))
    {
      aio_recycled_cancellable_release (cancellable);
      return;
    }

  if (spares == NULL)
    {
      spares = g_ptr_array_new_with_free_func ((GDestroyNotify) aio_recycled_cancellable_release);
      g_private_set (&spare_cancellables, spares);
    }
  g_ptr_array_add (spares, cancellable);
}
