/* aio-thread-result.c: the GAsyncResult handed to a callback, pointing at
 * one call's record
 *
 * Any call kept as a plain struct rather than a GTask uses it: a thread
 * pool's call, a collector's waiting aio_collector_next_async(). The
 * record is not a GObject (a million of them may wait in a queue); this
 * small object is made only when the call is handed back, and lets go of
 * the record when it is finalized, so that a callback may keep the result
 * and finish it later.
 *
 * A new one is made for every callback. Reusing one, as earlier versions
 * did, needs to know that the callback kept no reference, weak reference
 * or data on it, and only GObject's private fields tell that.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-thread-result-private.h"

struct _AioThreadResult
{
  GObject         parent_instance;

  GObject        *source_object;
  gpointer        source_tag;
  gpointer        user_data;
  gpointer        call;
  GDestroyNotify  call_release;
};

static void aio_thread_result_async_result_iface_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AioThreadResult, aio_thread_result, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT,
                                                      aio_thread_result_async_result_iface_init))

static void
aio_thread_result_finalize (GObject *object)
{
  AioThreadResult *self = AIO_THREAD_RESULT (object);

  self->call_release (self->call);
  g_clear_object (&self->source_object);

  G_OBJECT_CLASS (aio_thread_result_parent_class)->finalize (object);
}

static void
aio_thread_result_class_init (AioThreadResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = aio_thread_result_finalize;
}

static void
aio_thread_result_init (AioThreadResult *self)
{
}

static gpointer
aio_thread_result_get_user_data (GAsyncResult *result)
{
  return AIO_THREAD_RESULT (result)->user_data;
}

static GObject *
aio_thread_result_get_source_object (GAsyncResult *result)
{
  GObject *source_object = AIO_THREAD_RESULT (result)->source_object;

  return source_object != NULL ? g_object_ref (source_object) : NULL;
}

static gboolean
aio_thread_result_is_tagged (GAsyncResult *result,
                             gpointer      source_tag)
{
  return source_tag == AIO_THREAD_RESULT (result)->source_tag;
}

static void
aio_thread_result_async_result_iface_init (GAsyncResultIface *iface)
{
  iface->get_user_data = aio_thread_result_get_user_data;
  iface->get_source_object = aio_thread_result_get_source_object;
  iface->is_tagged = aio_thread_result_is_tagged;
}

/* Returns a result that holds @call, and @call_release()s it when it is
 * finalized. */
AioThreadResult *
aio_thread_result_new (GObject        *source_object,
                       gpointer        source_tag,
                       gpointer        user_data,
                       gpointer        call,
                       GDestroyNotify  call_release)
{
  AioThreadResult *self = g_object_new (AIO_TYPE_THREAD_RESULT, NULL);

  self->source_object = source_object != NULL ? g_object_ref (source_object) : NULL;
  self->source_tag = source_tag;
  self->user_data = user_data;
  self->call = call;
  self->call_release = call_release;

  return self;
}

/* The call's record, for the pool's finish function. */
gpointer
aio_thread_result_get_call (AioThreadResult *self)
{
  return self->call;
}

/* Whether @result is one of these, made by @source_object for the call
 * tagged @source_tag: the check g_task_is_valid() makes for a GTask, so
 * that a finish function given someone else's result can refuse it. */
gboolean
aio_thread_result_is_valid (GAsyncResult *result,
                            gpointer      source_object,
                            gpointer      source_tag)
{
  AioThreadResult *self;

  if (!AIO_IS_THREAD_RESULT (result))
    return FALSE;

  self = AIO_THREAD_RESULT (result);

  return self->source_object == source_object && self->source_tag == source_tag;
}
