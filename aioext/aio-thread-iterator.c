/* aio-thread-iterator.c: drive a blocking producer from the main loop, one
 * item at a time
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-error.h"
#include "aio-i18n-private.h"
#include "aio-thread-iterator.h"
#include "aio-binding-check-private.h"

/**
 * SECTION:aio-thread-iterator
 * @title: AioThreadIterator
 * @short_description: drive a blocking iterator from the thread pool, item by item
 * @include: aioext.h
 *
 * An AioThreadIterator pulls items one at a time from a blocking producer
 * that runs on a thread pool, while the main loop stays free: aioextensions'
 * `generate_in_thread`. Each aio_thread_iterator_next_async() runs one step
 * of the producer on a worker thread and hands back its item; no thread is
 * held between two steps.
 *
 * Use it to consume a blocking source a piece at a time: the lines of a file,
 * the entries of a folder walk, the rows of a database cursor. In JavaScript,
 * which cannot run on a worker thread, use GIO's asynchronous calls
 * instead, as the example below does.
 *
 * The programs below are examples/thread-iterator.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-thread-iterator] tells what
 * each language gets.
 *
 * <example id="AioThreadIterator-example-c">
 * <title>C: <filename>examples/thread-iterator.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-thread-iterator.c"/></programlisting>
 * </example>
 * <example id="AioThreadIterator-example-py">
 * <title>Python: <filename>examples/thread-iterator.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-thread-iterator.py"/></programlisting>
 * </example>
 * <example id="AioThreadIterator-example-js">
 * <title>JavaScript (GJS): <filename>examples/thread-iterator.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-thread-iterator.js"/></programlisting>
 * </example>
 * <example id="AioThreadIterator-example-vala">
 * <title>Vala: <filename>examples/thread-iterator.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-thread-iterator.vala"/></programlisting>
 * </example>
 */

/**
 * AioThreadIterator:
 *
 * Pulls items one at a time from a blocking producer that runs on an
 * #AioThreadPool, while the main loop stays free: the counterpart of the
 * aioextensions' `generate_in_thread`.
 *
 * Each aio_thread_iterator_next_async() runs one step of the producer (an
 * #AioThreadIteratorFunc) on a worker thread and hands back the item it
 * produced; aio_thread_iterator_send_async() does the same and passes a
 * value into the step, as Python's `generator.send()`. No thread is held
 * between steps. Steps run one at a time: asking for an item while a step
 * runs fails with %AIO_ERROR_BUSY.
 *
 * The end of the stream is a step that returns no #GValue at all and no
 * error; aio_thread_iterator_is_finished() is then %TRUE. An item may hold
 * %NULL (a producer that sets a %G_TYPE_POINTER or a string #GValue to
 * %NULL): that is an item, which bindings read as `None`/`null`, and the
 * stream goes on; a binding tells it from the end with
 * aio_thread_iterator_is_finished(). An error from the producer is handed
 * to the caller and ends the stream; cancelling a step fails that step
 * with %G_IO_ERROR_CANCELLED and leaves the iterator usable. Once the
 * stream has ended every further step returns the end at once.
 *
 * The producer's cleanup, the destroy notify of its data, runs on a worker
 * thread of the pool like every step: when the stream ends, when
 * aio_thread_iterator_close_async() closes it early, or when the iterator
 * is dropped without a close. Only a JavaScript producer's data, which
 * GJS owns, is released in the caller's thread.
 *
 * Scanning a directory from C, one entry per step:
 * |[<!-- language="C" -->
 * static gboolean
 * next_entry (GCancellable *cancellable, const GValue *sent, GValue *item,
 *             gpointer user_data, GError **error)
 * {
 *   GFileInfo *info = g_file_enumerator_next_file (user_data, cancellable, error);
 *
 *   if (info == NULL)
 *     return *error == NULL;     // the end of the stream, or an error
 *   g_value_init (item, G_TYPE_STRING);
 *   g_value_set_string (item, g_file_info_get_name (info));
 *   g_object_unref (info);
 *   return TRUE;
 * }
 *
 * iterator = aio_thread_iterator_new (NULL, next_entry, enumerator, g_object_unref);
 * aio_thread_iterator_next_async (iterator, NULL, on_entry, self);
 * ]|
 *
 * From Python, wrapping a generator:
 * |[<!-- language="Python" -->
 * entries = os.scandir(path)
 * iterator = Aio.ThreadIterator.new(None, lambda c, sent: (True, next(entries, None)))
 * ]|
 */

struct _AioThreadIterator
{
  GObject                parent_instance;

  AioThreadPool         *pool;
  AioThreadIteratorFunc  func;
  gpointer               func_data;
  GDestroyNotify         func_data_destroy;
  GError                *unsupported;   /* a JavaScript producer */

  gboolean               is_busy;
  gboolean               is_finished;
  gboolean               step_has_item; /* written by the step, read once it completed */
  GValue                 sent;
};

G_DEFINE_FINAL_TYPE (AioThreadIterator, aio_thread_iterator, G_TYPE_OBJECT)

static void
free_value (gpointer value)
{
  g_boxed_free (G_TYPE_VALUE, value);
}

/* The producer's cleanup (its data's destroy notify: a Python generator's
 * `finally`, a C file's close) on its way to a worker thread, where every
 * step of the producer runs and where blocking is fine. */
typedef struct
{
  gpointer       data;
  GDestroyNotify destroy;
} Cleanup;

/* On the worker thread. */
static gboolean
cleanup_run (GCancellable  *cancellable,
             GValue        *result,
             gpointer       user_data,
             GError       **error)
{
  Cleanup *cleanup = user_data;
  GDestroyNotify destroy = g_steal_pointer (&cleanup->destroy);

  destroy (cleanup->data);

  return TRUE;
}

/* In the caller's context, after the call: a pool that refused the call
 * (it was shut down) leaves the cleanup to run here rather than never. */
static void
cleanup_free (gpointer data)
{
  Cleanup *cleanup = data;

  if (cleanup->destroy != NULL)
    cleanup->destroy (cleanup->data);
  g_free (cleanup);
}

/* What waited for the cleanup returns, once it ran: a close returns TRUE;
 * the step that ended the stream returns the end, or the error that ended
 * it (its task data). The iterator takes the next operation again. */
static void
aio_thread_iterator_return_after_cleanup (GTask *task)
{
  AioThreadIterator *self = g_task_get_source_object (task);
  GError *error = g_task_get_task_data (task);

  self->is_busy = FALSE;
  if (g_task_get_source_tag (task) == aio_thread_iterator_close_async)
    g_task_return_boolean (task, TRUE);
  else if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_pointer (task, NULL, NULL);
}

static void
cleanup_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GValue *nothing = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, NULL);

  /* A refused call ran the cleanup in cleanup_free(): done either way. */
  g_clear_pointer (&nothing, free_value);
  aio_thread_iterator_return_after_cleanup (task);
}

/* Ends the producer: its data is cleaned up on a worker of the pool, and
 * then @task (nullable: a close, or the step that ended the stream)
 * returns. A JavaScript producer's data is GJS's, which must not be
 * touched on another thread: it is released here. */
static void
aio_thread_iterator_release_func_data (AioThreadIterator *self,
                                       GTask             *task)
{
  Cleanup *cleanup;

  self->func = NULL;
  if (self->func_data_destroy == NULL || self->unsupported != NULL)
    {
      GDestroyNotify destroy = g_steal_pointer (&self->func_data_destroy);

      if (destroy != NULL)
        destroy (g_steal_pointer (&self->func_data));
      if (task != NULL)
        aio_thread_iterator_return_after_cleanup (task);
      return;
    }

  cleanup = g_new (Cleanup, 1);
  cleanup->data = g_steal_pointer (&self->func_data);
  cleanup->destroy = g_steal_pointer (&self->func_data_destroy);
  aio_thread_pool_run_async (self->pool, cleanup_run, cleanup, cleanup_free, NULL,
                             task != NULL ? cleanup_done : NULL,
                             task != NULL ? g_object_ref (task) : NULL);
}

static void
aio_thread_iterator_finalize (GObject *object)
{
  AioThreadIterator *self = AIO_THREAD_ITERATOR (object);

  /* Dropped without a close: the cleanup still runs on a worker. */
  aio_thread_iterator_release_func_data (self, NULL);
  if (G_IS_VALUE (&self->sent))
    g_value_unset (&self->sent);
  g_clear_error (&self->unsupported);
  g_clear_object (&self->pool);

  G_OBJECT_CLASS (aio_thread_iterator_parent_class)->finalize (object);
}

static void
aio_thread_iterator_class_init (AioThreadIteratorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = aio_thread_iterator_finalize;
}

static void
aio_thread_iterator_init (AioThreadIterator *self)
{
}

/**
 * aio_thread_iterator_new:
 * @pool: (nullable): the pool to run the steps on, or %NULL for
 *   aio_thread_pool_get_default()
 * @func: (scope notified) (closure func_data) (destroy func_data_destroy):
 *   one step of the producer
 * @func_data: data for @func: the producer's state
 * @func_data_destroy: (nullable): the producer's cleanup: frees
 *   @func_data once the stream has ended, was closed or the iterator is
 *   finalized, on a worker thread of the pool
 *
 * Creates an iterator over the items @func produces. Nothing runs until
 * the first aio_thread_iterator_next_async(). From JavaScript every step
 * fails with %AIO_ERROR_NOT_SUPPORTED.
 *
 * Returns: (transfer full): a new #AioThreadIterator
 */
AioThreadIterator *
aio_thread_iterator_new (AioThreadPool         *pool,
                         AioThreadIteratorFunc  func,
                         gpointer               func_data,
                         GDestroyNotify         func_data_destroy)
{
  AioThreadIterator *self;

  g_return_val_if_fail (pool == NULL || AIO_IS_THREAD_POOL (pool), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (AIO_TYPE_THREAD_ITERATOR, NULL);
  self->pool = g_object_ref (pool != NULL ? pool : aio_thread_pool_get_default ());
  self->func = func;
  self->func_data = func_data;
  self->func_data_destroy = func_data_destroy;
  aio_binding_check_thread_func (func_data_destroy, &self->unsupported);

  return self;
}

/* On the worker thread. */
static gboolean
aio_thread_iterator_step (GCancellable  *cancellable,
                          GValue        *result,
                          gpointer       user_data,
                          GError       **error)
{
  AioThreadIterator *self = user_data;
  const GValue *sent = G_IS_VALUE (&self->sent) ? &self->sent : NULL;

  if (!self->func (cancellable, sent, result, self->func_data, error))
    return FALSE;

  self->step_has_item = G_IS_VALUE (result);
  return TRUE;
}

static void
aio_thread_iterator_step_done (GObject      *source_object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AioThreadIterator *self = g_task_get_source_object (task);
  GError *error = NULL;
  GValue *item = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, &error);

  if (G_IS_VALUE (&self->sent))
    g_value_unset (&self->sent);

  /* A cancelled step leaves the producer as it was; any other error ends
   * the stream, as an exception ends a Python generator, and so does a
   * step without an item. The step returns once the producer was cleaned
   * up, as a Python generator's `finally` runs inside its last step. */
  if (item != NULL && self->step_has_item)
    {
      self->is_busy = FALSE;
      g_task_return_pointer (task, item, free_value);
    }
  else if (item == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->is_busy = FALSE;
      g_task_return_error (task, error);
    }
  else
    {
      g_clear_pointer (&item, free_value);
      self->is_finished = TRUE;
      if (error != NULL)
        g_task_set_task_data (task, error, (GDestroyNotify) g_error_free);
      aio_thread_iterator_release_func_data (self, task);
    }
}

/**
 * aio_thread_iterator_send_async:
 * @self: an #AioThreadIterator
 * @value: (nullable): the value handed to the next step as its `sent`
 *   argument, copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the next item
 * @user_data: data for @callback
 *
 * Runs the next step of the producer with @value, the counterpart of
 * Python's `generator.send()`, and calls @callback in the caller's
 * thread-default main context; read the item with
 * aio_thread_iterator_send_finish().
 */
void
aio_thread_iterator_send_async (AioThreadIterator   *self,
                                const GValue        *value,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (AIO_IS_THREAD_ITERATOR (self));
  g_return_if_fail (value == NULL || G_IS_VALUE (value));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, aio_thread_iterator_send_async);

  if (self->unsupported != NULL)
    {
      g_task_return_error (task, g_error_copy (self->unsupported));
      return;
    }
  if (self->is_busy)
    {
      g_task_return_new_error (task, AIO_ERROR, AIO_ERROR_BUSY, "%s",
                               _("The thread iterator is already producing an item; wait for it "
                                 "before asking for the next one."));
      return;
    }
  if (self->is_finished)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  self->is_busy = TRUE;
  if (value != NULL)
    {
      g_value_init (&self->sent, G_VALUE_TYPE (value));
      g_value_copy (value, &self->sent);
    }
  aio_thread_pool_run_async (self->pool, aio_thread_iterator_step,
                             g_object_ref (self), g_object_unref,
                             cancellable, aio_thread_iterator_step_done, g_steal_pointer (&task));
}

/**
 * aio_thread_iterator_send_finish:
 * @self: an #AioThreadIterator
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_thread_iterator_send_async().
 *
 * Returns: (transfer full) (nullable): the next item, to be freed with
 *   g_boxed_free(); %NULL without an error at the end of the stream, or
 *   %NULL with @error set
 */
GValue *
aio_thread_iterator_send_finish (AioThreadIterator  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (AIO_IS_THREAD_ITERATOR (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_thread_iterator_send_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * aio_thread_iterator_next_async:
 * @self: an #AioThreadIterator
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the next item
 * @user_data: data for @callback
 *
 * Runs the next step of the producer on a worker thread and calls
 * @callback in the caller's thread-default main context; read the item
 * with aio_thread_iterator_next_finish().
 */
void
aio_thread_iterator_next_async (AioThreadIterator   *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  aio_thread_iterator_send_async (self, NULL, cancellable, callback, user_data);
}

/**
 * aio_thread_iterator_next_finish:
 * @self: an #AioThreadIterator
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_thread_iterator_next_async().
 *
 * Returns: (transfer full) (nullable): the next item, to be freed with
 *   g_boxed_free(); %NULL without an error at the end of the stream, or
 *   %NULL with @error set
 */
GValue *
aio_thread_iterator_next_finish (AioThreadIterator  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  return aio_thread_iterator_send_finish (self, result, error);
}

/**
 * aio_thread_iterator_is_finished:
 * @self: an #AioThreadIterator
 *
 * Whether the stream has ended, by its end or by an error.
 *
 * Returns: %TRUE once no more items will come
 */
gboolean
aio_thread_iterator_is_finished (AioThreadIterator *self)
{
  g_return_val_if_fail (AIO_IS_THREAD_ITERATOR (self), FALSE);

  return self->is_finished;
}

/**
 * aio_thread_iterator_close_async:
 * @self: an #AioThreadIterator
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called once the producer was cleaned up
 * @user_data: data for @callback
 *
 * Ends the stream and runs the producer's cleanup (the destroy notify of
 * its data: a Python generator's `finally`, closing a file) on a worker
 * thread of the pool, like every step of the producer, never on the main
 * loop's thread; @callback then runs in the caller's thread-default main
 * context. Every later step returns the end of the stream at once.
 * Closing an iterator whose stream has already ended, or closing it again,
 * succeeds at once. An iterator dropped without a close is cleaned up the
 * same way, on a worker.
 *
 * The cleanup runs even when @cancellable is cancelled, which the close
 * then reports with %G_IO_ERROR_CANCELLED, as closing a GIO stream does.
 * Closing while a step runs fails with %AIO_ERROR_BUSY: wait for the step
 * first.
 */
void
aio_thread_iterator_close_async (AioThreadIterator   *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (AIO_IS_THREAD_ITERATOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, aio_thread_iterator_close_async);

  if (self->is_busy)
    {
      g_task_return_new_error (task, AIO_ERROR, AIO_ERROR_BUSY, "%s",
                               _("The thread iterator is producing an item; wait for it before "
                                 "closing the iterator."));
      return;
    }

  self->is_busy = TRUE;
  self->is_finished = TRUE;
  aio_thread_iterator_release_func_data (self, task);
}

/**
 * aio_thread_iterator_close_finish:
 * @self: an #AioThreadIterator
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_thread_iterator_close_async().
 *
 * Returns: %TRUE once the producer was cleaned up, %FALSE with @error set
 *   when a step was running, or when the close was cancelled (the cleanup
 *   ran all the same)
 */
gboolean
aio_thread_iterator_close_finish (AioThreadIterator  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (AIO_IS_THREAD_ITERATOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_thread_iterator_close_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
