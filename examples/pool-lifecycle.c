/* pool-lifecycle.c: the life of an executor pool
 *
 * A thread pool of two workers runs six blocking calls, at most two at a
 * time, while its `running` counter is watched from the main loop. Shut
 * down, the pool refuses work with AIO_ERROR_SHUT_DOWN; initialized again,
 * with three workers, it runs work again. Every AioExecutorPool (thread or
 * process pool) has this lifecycle.
 *
 * Usage: pool-lifecycle [MILLISECONDS_PER_CALL]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include <aioext.h>

#define CALLS 6

typedef struct
{
  GMainLoop *loop;
  guint      pending;
  GError    *error;     /* the first failure */
} Batch;

/* Runs on a worker thread: stands for a blocking call. */
static gboolean
block_for_a_while (GCancellable  *cancellable,
                   GValue        *result,
                   gpointer       user_data,
                   GError       **error)
{
  g_usleep (GPOINTER_TO_UINT (user_data) * 1000);
  g_value_init (result, G_TYPE_BOOLEAN);
  g_value_set_boolean (result, TRUE);
  return TRUE;
}

static void
on_call_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Batch *batch = user_data;
  GError *error = NULL;
  GValue *value = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, &error);

  if (value != NULL)
    g_boxed_free (G_TYPE_VALUE, value);
  else if (batch->error == NULL)
    batch->error = error;
  else
    g_error_free (error);

  if (--batch->pending == 0)
    g_main_loop_quit (batch->loop);
}

/* Runs @n calls on @pool at once and waits for all of them; returns the
 * first failure, if any. */
static GError *
run_calls (AioThreadPool *pool,
           guint          n,
           guint          milliseconds)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Batch batch = { loop, n, NULL };

  for (guint i = 0; i < n; i++)
    aio_thread_pool_run_async (pool, block_for_a_while, GUINT_TO_POINTER (milliseconds), NULL,
                               NULL, on_call_done, &batch);
  g_main_loop_run (loop);

  return batch.error;
}

static void
on_running (AioExecutorPool *pool,
            GParamSpec      *pspec,
            guint           *max_running)
{
  guint running = aio_executor_pool_get_running (pool);

  *max_running = MAX (*max_running, running);
}

int
main (int   argc,
      char *argv[])
{
  guint milliseconds = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 200;
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (2);
  g_autoptr(GError) error = NULL;
  guint max_running = 0;

  g_signal_connect (pool, "notify::running", G_CALLBACK (on_running), &max_running);
  if ((error = run_calls (pool, CALLS, milliseconds)) != NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  error = run_calls (pool, 1, milliseconds);
  if (!g_error_matches (error, AIO_ERROR, AIO_ERROR_SHUT_DOWN))
    return 1;
  g_print ("After shutdown: %s\n", error->message);
  g_clear_error (&error);

  aio_executor_pool_initialize (AIO_EXECUTOR_POOL (pool), 3);
  if ((error = run_calls (pool, 1, milliseconds)) != NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("%d calls ran, at most %u at once on 2 workers; refused after shutdown; "
           "ran again after initialize (%u workers)\n",
           CALLS, max_running, aio_executor_pool_get_max_workers (AIO_EXECUTOR_POOL (pool)));
  return max_running <= 2 ? 0 : 1;
}
