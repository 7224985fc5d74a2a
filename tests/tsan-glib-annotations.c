/* tsan-glib-annotations.c: tell ThreadSanitizer what GLib's locks order
 *
 * Debian's GLib is not built with -fsanitize=thread, and its GMutex is a
 * futex of its own rather than a pthread mutex, so TSan cannot see that a
 * g_mutex_unlock() in one thread happens before the g_mutex_lock() that
 * follows in another: every structure aioext guards with a GMutex would be
 * reported as racy. Preloaded into a TSan run (see .ci/tsan), this library
 * wraps the GLib calls that order memory between threads and annotates
 * them with __tsan_release() / __tsan_acquire() on the lock's address.
 *
 * It only sees calls made through the PLT: those of aioext, GIO and the
 * tests. GLib's calls to itself are bound inside libglib and stay
 * invisible, which is what tests/tsan.supp is for.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE
#include <dlfcn.h>

#include <glib-object.h>

void __tsan_acquire (void *address);
void __tsan_release (void *address);

/* The next definition of @name after this library's: GLib's own. Looked
 * up by whichever thread needs it first, with atomics TSan can see. */
#define REAL(name) \
  static __typeof__ (name) *real_pointer; \
  __typeof__ (name) *real = __atomic_load_n (&real_pointer, __ATOMIC_ACQUIRE); \
  if (G_UNLIKELY (real == NULL)) \
    { \
      real = (__typeof__ (name) *) dlsym (RTLD_NEXT, #name); \
      __atomic_store_n (&real_pointer, real, __ATOMIC_RELEASE); \
    }

void
g_mutex_lock (GMutex *mutex)
{
  REAL (g_mutex_lock);
  real (mutex);
  __tsan_acquire (mutex);
}

gboolean
g_mutex_trylock (GMutex *mutex)
{
  REAL (g_mutex_trylock);
  if (!real (mutex))
    return FALSE;
  __tsan_acquire (mutex);
  return TRUE;
}

void
g_mutex_unlock (GMutex *mutex)
{
  REAL (g_mutex_unlock);
  __tsan_release (mutex);
  real (mutex);
}

/* AioJob guards its fields with a bit lock, GLib's futex too. */
void
g_bit_lock (volatile gint *address,
            gint           lock_bit)
{
  REAL (g_bit_lock);
  real (address, lock_bit);
  __tsan_acquire ((void *) address);
}

gboolean
g_bit_trylock (volatile gint *address,
               gint           lock_bit)
{
  gboolean is_locked;

  REAL (g_bit_trylock);
  is_locked = real (address, lock_bit);
  if (is_locked)
    __tsan_acquire ((void *) address);

  return is_locked;
}

void
g_bit_unlock (volatile gint *address,
              gint           lock_bit)
{
  REAL (g_bit_unlock);
  __tsan_release ((void *) address);
  real (address, lock_bit);
}

void
g_rec_mutex_lock (GRecMutex *mutex)
{
  REAL (g_rec_mutex_lock);
  real (mutex);
  __tsan_acquire (mutex);
}

void
g_rec_mutex_unlock (GRecMutex *mutex)
{
  REAL (g_rec_mutex_unlock);
  __tsan_release (mutex);
  real (mutex);
}

/* A wait unlocks the mutex and locks it again. */
void
g_cond_wait (GCond  *cond,
             GMutex *mutex)
{
  REAL (g_cond_wait);
  __tsan_release (mutex);
  real (cond, mutex);
  __tsan_acquire (mutex);
}

gboolean
g_cond_wait_until (GCond  *cond,
                   GMutex *mutex,
                   gint64  end_time)
{
  gboolean is_signalled;

  REAL (g_cond_wait_until);
  __tsan_release (mutex);
  is_signalled = real (cond, mutex, end_time);
  __tsan_acquire (mutex);

  return is_signalled;
}

/* What one thread pushes, the thread that pops it may read. */
void
g_async_queue_push (GAsyncQueue *queue,
                    gpointer     data)
{
  REAL (g_async_queue_push);
  __tsan_release (queue);
  real (queue, data);
}

gpointer
g_async_queue_pop (GAsyncQueue *queue)
{
  gpointer data;

  REAL (g_async_queue_pop);
  data = real (queue);
  __tsan_acquire (queue);

  return data;
}

gpointer
g_async_queue_timeout_pop (GAsyncQueue *queue,
                           guint64      timeout)
{
  gpointer data;

  REAL (g_async_queue_timeout_pop);
  data = real (queue, timeout);
  __tsan_acquire (queue);

  return data;
}

gpointer
g_async_queue_try_pop (GAsyncQueue *queue)
{
  gpointer data;

  REAL (g_async_queue_try_pop);
  data = real (queue);
  __tsan_acquire (queue);

  return data;
}

/* The type registered in g_once_init_leave() is read by every thread that
 * later sees the location set. */
void
(g_once_init_leave) (volatile void *location,
                     gsize          result)
{
  REAL (g_once_init_leave);
  __tsan_release ((void *) location);
  real (location, result);
}

gboolean
(g_once_init_enter) (volatile void *location)
{
  gboolean must_initialize;

  REAL (g_once_init_enter);
  must_initialize = real (location);
  __tsan_acquire ((void *) location);

  return must_initialize;
}

/* Main-loop hand-offs: what a thread writes before it attaches an idle or
 * timeout source, the callback of that source may read in the thread that
 * dispatches it. Only idle and timeout callbacks are wrapped: they have
 * the plain GSourceFunc signature. */
typedef struct
{
  GSource        *source;
  GSourceFunc     func;
  gpointer        data;
  GDestroyNotify  destroy;
} Trampoline;

static gboolean
trampoline_invoke (gpointer user_data)
{
  Trampoline *trampoline = user_data;

  __tsan_acquire (trampoline);
  __tsan_acquire (trampoline->source);

  return trampoline->func (trampoline->data);
}

static void
trampoline_free (gpointer user_data)
{
  Trampoline *trampoline = user_data;

  if (trampoline->destroy != NULL)
    trampoline->destroy (trampoline->data);
  g_free (trampoline);
}

void
g_source_set_callback (GSource        *source,
                       GSourceFunc     func,
                       gpointer        data,
                       GDestroyNotify  destroy)
{
  Trampoline *trampoline;

  REAL (g_source_set_callback);
  if (func == NULL || (source->source_funcs != &g_idle_funcs && source->source_funcs != &g_timeout_funcs))
    {
      real (source, func, data, destroy);
      return;
    }

  trampoline = g_new (Trampoline, 1);
  trampoline->source = source;
  trampoline->func = func;
  trampoline->data = data;
  trampoline->destroy = destroy;
  __tsan_release (trampoline);
  real (source, trampoline_invoke, trampoline, trampoline_free);
}

guint
g_source_attach (GSource      *source,
                 GMainContext *context)
{
  REAL (g_source_attach);
  __tsan_release (source);

  return real (source, context);
}

/* A custom source made ready from another thread (aioext's cancel watch)
 * is dispatched by GLib without any call TSan sees; its dispatch starts by
 * clearing its ready time, so every change of the ready time orders what
 * came before it (the attach included) with what comes after. */
void
g_source_set_ready_time (GSource *source,
                         gint64   ready_time)
{
  REAL (g_source_set_ready_time);
  __tsan_release (source);
  __tsan_acquire (source);
  real (source, ready_time);
}

/* Reference counts: the thread that drops the last reference frees what
 * the others wrote. Every unref releases and acquires the count, so the
 * last one sees all earlier ones (races between threads that only unref
 * are hidden, a price worth paying). */
void
g_object_unref (gpointer object)
{
  REAL (g_object_unref);
  __tsan_release (object);
  __tsan_acquire (object);
  real (object);
}

gboolean
g_atomic_ref_count_dec (gatomicrefcount *count)
{
  REAL (g_atomic_ref_count_dec);
  __tsan_release (count);
  __tsan_acquire (count);

  return real (count);
}
