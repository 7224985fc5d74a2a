/* aio-recycled-cancellable.c: cancellables that jobs hand back for the
 * next jobs started in the same thread, or in another one
 *
 * Making and finalizing a GObject per job cost more than the rest of an
 * immediate job's life, so a job that completed gives its cancellable back
 * when nobody else can reach it, and the next job started in that thread
 * takes it. A thread pool's job asks for its cancellable on the worker
 * that runs it but gives it back in its caller's thread: spares beyond
 * what a thread keeps for itself go to a small stack that every thread
 * shares, where the workers find them.
 *
 * Whether somebody else holds one is learnt through public API:
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
#define MAX_SHARED_SPARES      64

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

/* Spares that a thread with enough of its own gave back, for threads that
 * take cancellables without giving any back (a thread pool's workers).
 * The lock is a leaf, taken by a thread only when its own stack is full
 * or empty. */
G_LOCK_DEFINE_STATIC (shared_spares);
static GCancellable *shared_spares[MAX_SHARED_SPARES];
static int shared_spares_len;   /* atomic writes under the lock */

static GCancellable *
shared_spares_take (void)
{
  GCancellable *cancellable = NULL;

  /* Most threads never find any: no lock for them. */
  if (g_atomic_int_get (&shared_spares_len) == 0)
    return NULL;

  G_LOCK (shared_spares);
  if (shared_spares_len > 0)
    {
      cancellable = shared_spares[shared_spares_len - 1];
      g_atomic_int_set (&shared_spares_len, shared_spares_len - 1);
    }
  G_UNLOCK (shared_spares);

  return cancellable;
}

static gboolean
shared_spares_add (GCancellable *cancellable)
{
  gboolean is_added = FALSE;

  G_LOCK (shared_spares);
  if (shared_spares_len < MAX_SHARED_SPARES)
    {
      shared_spares[shared_spares_len] = cancellable;
      g_atomic_int_set (&shared_spares_len, shared_spares_len + 1);
      is_added = TRUE;
    }
  G_UNLOCK (shared_spares);

  return is_added;
}

/* A thread's spares go with the thread, but the main thread never runs its
 * GPrivate destructors: its spares go at exit instead, with the shared
 * ones. Leak checkers would otherwise report them as possibly lost, since
 * GObject keeps a toggle reference's record behind a tagged pointer. */
__attribute__((destructor)) static void
spares_free_at_exit (void)
{
  GCancellable *cancellable;

  g_private_replace (&spare_cancellables, NULL);
  while ((cancellable = shared_spares_take ()) != NULL)
    aio_recycled_cancellable_release (cancellable);
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
  cancellable = (GObject *) shared_spares_take ();
  if (cancellable != NULL)
    return (GCancellable *) cancellable;

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

/* Keeps @cancellable for this thread's next takes. */
static void
thread_spares_add (GPtrArray    *spares,
                   GCancellable *cancellable)
{
  if (spares == NULL)
    {
      spares = g_ptr_array_new_with_free_func ((GDestroyNotify) aio_recycled_cancellable_release);
      g_private_set (&spare_cancellables, spares);
    }
  g_ptr_array_add (spares, cancellable);
}

/* Keeps @cancellable for the next aio_recycled_cancellable_take() in this
 * thread, or in another when this one has enough, when nobody else holds
 * it and it was never cancelled (a job cannot tell such a one from a new
 * one); else releases it. The caller has seen
 * aio_recycled_cancellable_is_kept() return FALSE under a lock that has
 * kept everyone else from reaching @cancellable since (the job's): a
 * handler needs someone who reaches it, so only the reference flag is read
 * again, not the handler list, a lookup that cost a job about 200
 * instructions more. */
void
aio_recycled_cancellable_give_back (GCancellable *cancellable)
{
  GPtrArray *spares = g_private_get (&spare_cancellables);

  if (g_cancellable_is_cancelled (cancellable) ||
      g_atomic_int_get (&((AioRecycledCancellable *) cancellable)->is_kept))
    aio_recycled_cancellable_release (cancellable);
  else if (spares == NULL || spares->len < MAX_SPARE_CANCELLABLES)
    thread_spares_add (spares, cancellable);
  else if (!shared_spares_add (cancellable))
    aio_recycled_cancellable_release (cancellable);
}
