/* test-process-pool.c: AioProcessPool, with this program as its own worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE   /* RTLD_NEXT */

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <aioext.h>

#include "aio-wire-private.h"
#include "process-children.h"

/* The worker's end of the pool socket, for functions that misbehave on it. */
static int worker_fd = -1;

/* Worker functions */

static GVariant *
add (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  gint32 a, b;

  g_variant_get (arguments, "(ii)", &a, &b);

  return g_variant_new_int32 (a + b);
}

static GVariant *
sleep_then_pid (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  g_usleep (g_variant_get_uint32 (arguments) * 1000);

  return g_variant_new_int64 (getpid ());
}

static GVariant *
echo (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  return g_variant_ref (arguments);
}

static GVariant *
fail (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such file");

  return NULL;
}

/* (u how, u value): how 0 returns value; 1 SIGSEGV, 2 SIGKILL, 3 abort, 4 exit 3 */
static GVariant *
maybe_die (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  guint32 how, value;

  g_variant_get (arguments, "(uu)", &how, &value);
  switch (how)
    {
    case 1: raise (SIGSEGV); break;
    case 2: raise (SIGKILL); break;
    case 3: abort ();
    case 4: _exit (3);
    default: break;
    }

  return g_variant_new_uint32 (value);
}

static GVariant *
write_garbage (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  const guint8 garbage[] = { 5, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x00 };

  g_assert_cmpint (write (worker_fd, garbage, sizeof garbage), ==, sizeof garbage);

  return g_variant_new_boolean (TRUE);
}

static GVariant *
answer_another_call (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  AioWireMessage reply = {
    .kind = AIO_WIRE_RESULT,
    .call_id = 987654321,
    .payload = g_variant_ref_sink (g_variant_new_boolean (TRUE)),
  };
  g_autoptr(GBytes) frame = aio_wire_encode (&reply);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  g_assert_cmpint (write (worker_fd, data, size), ==, (gssize) size);
  g_variant_unref (reply.payload);

  return g_variant_new_boolean (TRUE);
}

static GVariant *
write_oversized_frame (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  const guint8 header[] = { 0xff, 0xff, 0xff, 0xff };

  g_assert_cmpint (write (worker_fd, header, sizeof header), ==, sizeof header);

  return g_variant_new_boolean (TRUE);
}

static gpointer
exit_later (gpointer data)
{
  g_usleep (20000);
  _exit (0);
}

static GVariant *
exit_after_answering (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  g_thread_unref (g_thread_new ("exit", exit_later, NULL));

  return g_variant_new_boolean (TRUE);
}

static GVariant *new_sparse_bytestring (guint64 size);

/* (t): a result of that many zero bytes, which takes no memory. */
static GVariant *
huge_result (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  return new_sparse_bytestring (g_variant_get_uint64 (arguments));
}

/* (bb): whether SIGUSR1 is blocked and SIGUSR2 ignored in the worker. */
static GVariant *
signal_state (GVariant *arguments, GCancellable *cancellable, gpointer user_data, GError **error)
{
  struct sigaction action;
  sigset_t blocked;

  pthread_sigmask (SIG_BLOCK, NULL, &blocked);
  sigaction (SIGUSR2, NULL, &action);

  return g_variant_new ("(bb)", sigismember (&blocked, SIGUSR1) == 1, action.sa_handler == SIG_IGN);
}

static AioWorker *
test_worker_new (void)
{
  AioWorker *worker = aio_worker_new ();

  aio_worker_register (worker, "add", G_VARIANT_TYPE ("(ii)"), add, NULL, NULL);
  aio_worker_register (worker, "sleep_then_pid", G_VARIANT_TYPE_UINT32, sleep_then_pid, NULL, NULL);
  aio_worker_register (worker, "fail", NULL, fail, NULL, NULL);
  aio_worker_register (worker, "echo", NULL, echo, NULL, NULL);
  aio_worker_register (worker, "maybe_die", G_VARIANT_TYPE ("(uu)"), maybe_die, NULL, NULL);
  aio_worker_register (worker, "write_garbage", NULL, write_garbage, NULL, NULL);
  aio_worker_register (worker, "answer_another_call", NULL, answer_another_call, NULL, NULL);
  aio_worker_register (worker, "exit_after_answering", NULL, exit_after_answering, NULL, NULL);
  aio_worker_register (worker, "write_oversized_frame", NULL, write_oversized_frame, NULL, NULL);
  aio_worker_register (worker, "signal_state", NULL, signal_state, NULL, NULL);
  aio_worker_register (worker, "huge_result", G_VARIANT_TYPE_UINT64, huge_result, NULL, NULL);

  return worker;
}

/* Calling from the tests */

typedef struct
{
  guint     pending;
  GPtrArray *results;   /* GVariant or NULL, in submission order */
  GPtrArray *errors;    /* GError or NULL */
} Batch;

typedef struct
{
  Batch *batch;
  guint  index;
} Slot;

static void
slot_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Slot *slot = user_data;
  GError *error = NULL;
  GVariant *value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &error);

  g_ptr_array_index (slot->batch->results, slot->index) = value;
  g_ptr_array_index (slot->batch->errors, slot->index) = error;
  slot->batch->pending--;
  g_free (slot);
}

static void
free_variant (gpointer value)
{
  g_clear_pointer (&value, g_variant_unref);
}

static void
free_error (gpointer error)
{
  g_clear_pointer (&error, g_error_free);
}

static void
batch_init (Batch *batch,
            guint  size)
{
  batch->pending = 0;
  batch->results = g_ptr_array_new_full (size, free_variant);
  batch->errors = g_ptr_array_new_full (size, free_error);
  g_ptr_array_set_size (batch->results, size);
  g_ptr_array_set_size (batch->errors, size);
}

static void
batch_clear (Batch *batch)
{
  g_ptr_array_unref (batch->results);
  g_ptr_array_unref (batch->errors);
}

static void
batch_call (Batch          *batch,
            guint           index,
            AioProcessPool *pool,
            const char     *function,
            GVariant       *arguments,
            GCancellable   *cancellable)
{
  Slot *slot = g_new0 (Slot, 1);

  slot->batch = batch;
  slot->index = index;
  batch->pending++;
  aio_process_pool_call_async (pool, function, arguments, cancellable, slot_done, slot);
}

static void
batch_wait (Batch *batch)
{
  while (batch->pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

static GError *
batch_error (Batch *batch,
             guint  index)
{
  return g_ptr_array_index (batch->errors, index);
}

static GVariant *
call_sync (AioProcessPool *pool,
           const char     *function,
           GVariant       *arguments,
           GError        **error)
{
  Batch batch;
  GVariant *value;

  batch_init (&batch, 1);
  batch_call (&batch, 0, pool, function, arguments, NULL);
  batch_wait (&batch);
  value = g_ptr_array_steal_index (batch.results, 0);
  if (batch_error (&batch, 0) != NULL)
    g_propagate_error (error, g_ptr_array_steal_index (batch.errors, 0));
  batch_clear (&batch);

  return value;
}

/* Tests wait for their pool's thread, so that none is still winding down
 * when the program exits (a plain unref shuts down without waiting). */
typedef AioProcessPool TestPool;

static void
test_pool_free (TestPool *pool)
{
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  g_object_unref (pool);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestPool, test_pool_free)

static TestPool *
new_pool (guint max_workers)
{
  return aio_process_pool_new (max_workers, NULL);
}

/* Tests */

static void
test_process_pool_results_and_errors_arrive_intact (void)
{
  g_autoptr(TestPool) pool = new_pool (2);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) sum = NULL;
  g_autoptr(GVariant) after = NULL;

  g_assert_false (aio_executor_pool_is_initialized (AIO_EXECUTOR_POOL (pool)));
  sum = call_sync (pool, "add", g_variant_new ("(ii)", 40, 2), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (sum), ==, 42);

  g_assert_null (call_sync (pool, "fail", g_variant_new_boolean (TRUE), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such file");
  g_clear_error (&error);

  g_assert_null (call_sync (pool, "subtract", g_variant_new ("(ii)", 1, 2), &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_UNKNOWN_FUNCTION);
  g_clear_error (&error);

  g_assert_null (call_sync (pool, "add", g_variant_new_string ("1 + 2"), &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  after = call_sync (pool, "add", g_variant_new ("(ii)", 1, 2), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (after), ==, 3);
}

static guint
count_distinct_pids (Batch *batch)
{
  g_autoptr(GHashTable) pids = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < batch->results->len; i++)
    {
      GVariant *pid = g_ptr_array_index (batch->results, i);

      g_assert_nonnull (pid);
      g_hash_table_add (pids, (gpointer) g_variant_get_data (pid));
    }

  return g_hash_table_size (pids);
}

/* Arguments and results larger than the socket holds are written in
 * parts, from the caller's thread and then the pool's, and a large one
 * from its own bytes (in pieces): every byte arrives, in order, both ways,
 * also around the size where a payload starts being sent in pieces. */
static void
test_process_pool_large_values_arrive_intact (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  const gsize sizes[] = { 64 * 1024 - 1, 64 * 1024, 3 * 1024 * 1024 + 5 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree guint8 *data = g_malloc (sizes[i]);
      g_autoptr(GVariant) arguments = NULL;
      g_autoptr(GVariant) result = NULL;
      g_autoptr(GVariant) bytes = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *end = NULL;
      gconstpointer echoed;
      gsize echoed_size;

      for (gsize j = 0; j < sizes[i]; j++)
        data[j] = (guint8) (j * 7 + j / 251);
      arguments = g_variant_ref_sink (g_variant_new ("(@ays)",
                                                     g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, sizes[i], 1),
                                                     "end"));
      result = call_sync (pool, "echo", arguments, &error);
      g_assert_no_error (error);
      /* Not g_variant_equal(): it prints untrusted values to compare them. */
      g_variant_get (result, "(@ays)", &bytes, &end);
      echoed = g_variant_get_fixed_array (bytes, &echoed_size, 1);
      g_assert_cmpmem (echoed, echoed_size, data, sizes[i]);
      g_assert_cmpstr (end, ==, "end");
    }
}

static void
test_process_pool_workers_start_lazily_up_to_max (void)
{
  g_autoptr(TestPool) pool = new_pool (3);
  Batch one, many;

  g_assert_cmpuint (count_children (FALSE), ==, 0);
  batch_init (&one, 1);
  batch_call (&one, 0, pool, "sleep_then_pid", g_variant_new_uint32 (0), NULL);
  batch_wait (&one);
  g_assert_cmpuint (count_distinct_pids (&one), ==, 1);
  batch_clear (&one);

  /* Six overlapping calls on a pool of three: three workers, no more. */
  batch_init (&many, 6);
  for (guint i = 0; i < 6; i++)
    batch_call (&many, i, pool, "sleep_then_pid", g_variant_new_uint32 (200), NULL);
  batch_wait (&many);
  g_assert_cmpuint (count_distinct_pids (&many), ==, 3);
  batch_clear (&many);
}

static void
test_process_pool_crash_fails_only_that_call (void)
{
  g_autoptr(TestPool) pool = new_pool (2);
  guint calls = 1000, results = 0, deaths = 0;
  Batch batch;

  batch_init (&batch, calls);
  for (guint i = 0; i < calls; i++)
    batch_call (&batch, i, pool, "maybe_die", g_variant_new ("(uu)", i % 10 == 9 ? 1 + (i / 10) % 4 : 0, i), NULL);
  batch_wait (&batch);

  for (guint i = 0; i < calls; i++)
    {
      GVariant *value = g_ptr_array_index (batch.results, i);
      GError *error = g_ptr_array_index (batch.errors, i);

      if (i % 10 == 9)
        {
          g_assert_error (error, AIO_ERROR, AIO_ERROR_WORKER_DIED);
          g_assert_nonnull (strstr (error->message, "“maybe_die”"));
          deaths++;
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpuint (g_variant_get_uint32 (value), ==, i);
          results++;
        }
    }
  g_assert_cmpuint (results, ==, 900);
  g_assert_cmpuint (deaths, ==, 100);
  batch_clear (&batch);

  /* The message names the signal or the exit status. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (call_sync (pool, "maybe_die", g_variant_new ("(uu)", 4, 0), &error));
    g_assert_error (error, AIO_ERROR, AIO_ERROR_WORKER_DIED);
    g_assert_nonnull (strstr (error->message, "status 3"));
    g_assert_true (g_str_has_prefix (error->message, "Worker process ") &&
                   g_ascii_isdigit (error->message[strlen ("Worker process ")]));
    g_clear_error (&error);
    g_assert_null (call_sync (pool, "maybe_die", g_variant_new ("(uu)", 2, 0), &error));
    g_assert_nonnull (strstr (error->message, "signal 9"));
  }
}

static void
test_process_pool_timeout_kills_and_replaces (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) after = NULL;
  gint64 start;

  aio_process_pool_set_call_timeout (pool, 200);
  start = g_get_monotonic_time ();
  g_assert_null (call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (20000), &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_clear_error (&error);

  after = call_sync (pool, "add", g_variant_new ("(ii)", 2, 2), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (after), ==, 4);
}

static void
test_process_pool_cancel_queued_and_running (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GCancellable) running = g_cancellable_new ();
  g_autoptr(GCancellable) queued = g_cancellable_new ();
  Batch batch;

  batch_init (&batch, 3);
  batch_call (&batch, 0, pool, "sleep_then_pid", g_variant_new_uint32 (20000), running);
  batch_call (&batch, 1, pool, "sleep_then_pid", g_variant_new_uint32 (20000), queued);
  batch_call (&batch, 2, pool, "add", g_variant_new ("(ii)", 1, 1), NULL);
  g_cancellable_cancel (queued);
  while (aio_executor_pool_get_running (AIO_EXECUTOR_POOL (pool)) == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (running);
  batch_wait (&batch);

  g_assert_error (batch_error (&batch, 0), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (batch_error (&batch, 1), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (batch_error (&batch, 2));
  g_assert_cmpint (g_variant_get_int32 (g_ptr_array_index (batch.results, 2)), ==, 2);
  batch_clear (&batch);
}

static void
test_process_pool_workers_are_recycled (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  Batch batch;

  aio_process_pool_set_max_calls_per_worker (pool, 2);
  batch_init (&batch, 6);
  for (guint i = 0; i < 6; i++)
    batch_call (&batch, i, pool, "sleep_then_pid", g_variant_new_uint32 (0), NULL);
  batch_wait (&batch);
  g_assert_cmpuint (count_distinct_pids (&batch), ==, 3);
  batch_clear (&batch);
}

/* Three calls that sleep @ms on a pool of one worker: one runs, two queue. */
static void
start_sleeps_until_one_runs (Batch    *batch,
                             TestPool *pool,
                             guint     ms)
{
  batch_init (batch, 3);
  for (guint i = 0; i < 3; i++)
    batch_call (batch, i, pool, "sleep_then_pid", g_variant_new_uint32 (ms), NULL);
  while (aio_executor_pool_get_running (AIO_EXECUTOR_POOL (pool)) == 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_process_pool_shutdown_and_initialize (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  AioExecutorPool *executor_pool = AIO_EXECUTOR_POOL (pool);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) again = NULL;
  Batch batch;

  start_sleeps_until_one_runs (&batch, pool, 300);
  aio_executor_pool_shutdown (executor_pool, FALSE);
  batch_wait (&batch);

  /* The running call finishes; the queued ones fail. */
  g_assert_no_error (batch_error (&batch, 0));
  g_assert_error (batch_error (&batch, 1), AIO_ERROR, AIO_ERROR_SHUT_DOWN);
  g_assert_error (batch_error (&batch, 2), AIO_ERROR, AIO_ERROR_SHUT_DOWN);
  batch_clear (&batch);

  g_assert_null (call_sync (pool, "add", g_variant_new ("(ii)", 1, 1), &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_SHUT_DOWN);
  g_clear_error (&error);

  aio_executor_pool_initialize (executor_pool, 2);
  again = call_sync (pool, "add", g_variant_new ("(ii)", 1, 1), &error);
  g_assert_no_error (error);
  aio_executor_pool_shutdown (executor_pool, TRUE);
  g_assert_false (aio_executor_pool_is_initialized (executor_pool));
}

/* As in aioextensions: the calls running and queued when the pool is
 * initialized again complete, and the new size applies to what follows. */
static void
test_process_pool_initialize_again_lets_old_calls_finish (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  AioExecutorPool *executor_pool = AIO_EXECUTOR_POOL (pool);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) after = NULL;
  Batch batch;

  start_sleeps_until_one_runs (&batch, pool, 100);
  aio_executor_pool_initialize (executor_pool, 2);
  g_assert_cmpuint (aio_executor_pool_get_max_workers (executor_pool), ==, 2);
  after = call_sync (pool, "add", g_variant_new ("(ii)", 1, 1), &error);
  g_assert_no_error (error);
  batch_wait (&batch);

  for (guint i = 0; i < 3; i++)
    g_assert_no_error (batch_error (&batch, i));
  batch_clear (&batch);
  aio_executor_pool_shutdown (executor_pool, TRUE);
}

static void
expect_protocol_error_then_service (AioProcessPool *pool,
                                    const char     *function)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) after = NULL;

  g_assert_null (call_sync (pool, function, g_variant_new_boolean (TRUE), &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, function));
  g_clear_error (&error);

  after = call_sync (pool, "add", g_variant_new ("(ii)", 1, 2), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (after), ==, 3);
}

static void
test_process_pool_garbage_fails_the_call_and_replaces_the_worker (void)
{
  g_autoptr(TestPool) pool = new_pool (1);

  expect_protocol_error_then_service (pool, "write_garbage");
}

static void
test_process_pool_reply_to_another_call_is_a_protocol_error (void)
{
  g_autoptr(TestPool) pool = new_pool (1);

  expect_protocol_error_then_service (pool, "answer_another_call");
}

static void
test_process_pool_worker_exiting_between_calls_is_replaced (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) answered = NULL;
  g_autoptr(GVariant) after = NULL;

  answered = call_sync (pool, "exit_after_answering", g_variant_new_boolean (TRUE), &error);
  g_assert_no_error (error);
  g_usleep (200000);
  after = call_sync (pool, "add", g_variant_new ("(ii)", 2, 3), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (after), ==, 5);
}

static void
test_process_pool_broken_worker_command_fails_the_call (void)
{
  const char *false_argv[] = { "/bin/false", NULL };
  const char *missing_argv[] = { "/nonexistent/aioext-worker", NULL };
  g_autoptr(TestPool) exits = aio_process_pool_new (1, false_argv);
  g_autoptr(TestPool) missing = aio_process_pool_new (1, missing_argv);
  g_autoptr(GError) error = NULL;

  /* Neither hangs nor restarts forever. */
  g_assert_null (call_sync (exits, "add", g_variant_new ("(ii)", 1, 1), &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_WORKER_DIED);
  g_assert_nonnull (strstr (error->message, "before it was ready"));
  g_assert_null (strstr (error->message, "?"));
  g_clear_error (&error);

  g_assert_null (call_sync (missing, "add", g_variant_new ("(ii)", 1, 1), &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "worker process"));
}

static void
test_process_pool_reaps_every_worker (void)
{
  g_autoptr(TestPool) pool = new_pool (2);
  Batch batch;

  batch_init (&batch, 20);
  for (guint i = 0; i < 20; i++)
    batch_call (&batch, i, pool, "maybe_die", g_variant_new ("(uu)", i % 2 ? 2 : 0, i), NULL);
  batch_wait (&batch);
  batch_clear (&batch);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);

  g_assert_cmpuint (count_children (TRUE), ==, 0);
}

static void
test_process_pool_call_is_a_job (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(AioJob) job = aio_process_pool_create_job (pool, "add", g_variant_new ("(ii)", 20, 22));
  g_autoptr(GError) error = NULL;
  const GValue *value = aio_job_run_sync (job, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (g_value_get_variant (value)), ==, 42);
}

static void
test_process_pool_oversized_frame_fails_the_call (void)
{
  g_autoptr(TestPool) pool = new_pool (1);

  expect_protocol_error_then_service (pool, "write_oversized_frame");
}

/* A worker that greets with another protocol version is not used. */
static void
test_process_pool_wrong_protocol_version_fails_the_call (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { "/usr/bin/env", "AIO_TEST_WRONG_VERSION=1", self, NULL };
  g_autoptr(TestPool) pool = aio_process_pool_new (1, argv);
  g_autoptr(GError) error = NULL;

  g_assert_null (call_sync (pool, "add", g_variant_new ("(ii)", 1, 1), &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "version 99"));
}

static void
append_result (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GArray *order = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &error);
  gint32 index;

  g_assert_no_error (error);
  index = g_variant_get_int32 (value);
  g_array_append_val (order, index);
}

/* One worker, calls queued behind a running one: they run, and complete,
 * in the order they were made. */
static void
test_process_pool_queue_is_fifo (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (gint32));
  guint calls = 20;

  for (guint i = 0; i < calls; i++)
    aio_process_pool_call_async (pool, "add", g_variant_new ("(ii)", i, 0), NULL, append_result, order);
  while (order->len < calls)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < calls; i++)
    g_assert_cmpint (g_array_index (order, gint32, i), ==, i);
}

/* Shutting down with wait from the thread whose context would read the
 * running call's reply: the pool's own thread reads it instead, and the
 * queued calls still run. */
static void
test_process_pool_shutdown_waits_for_every_call (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  AioExecutorPool *executor_pool = AIO_EXECUTOR_POOL (pool);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) warm = call_sync (pool, "add", g_variant_new ("(ii)", 1, 1), &error);
  Batch batch;

  g_assert_no_error (error);
  g_assert_nonnull (warm);
  batch_init (&batch, 3);
  for (guint i = 0; i < 3; i++)
    batch_call (&batch, i, pool, "sleep_then_pid", g_variant_new_uint32 (100), NULL);
  g_assert_cmpint (aio_executor_pool_get_running (executor_pool), ==, 1);
  aio_executor_pool_shutdown (executor_pool, TRUE);
  g_assert_cmpint (aio_executor_pool_get_running (executor_pool), ==, 0);
  g_assert_cmpint (aio_executor_pool_get_queued (executor_pool), ==, 0);
  batch_wait (&batch);

  for (guint i = 0; i < 3; i++)
    g_assert_no_error (batch_error (&batch, i));
  batch_clear (&batch);
}

/* GLib's g_source_unref() reads the source's context and then locks it. A
 * caller preempted in between while the pool's thread finished its shutdown
 * and freed that context would lock freed memory (a CI run hung there).
 * This program's g_source_unref() plays such a caller for the pool's stop
 * request: before it lets go, it waits until the pool's worker is reaped
 * and the pool's thread has had time to end, then notes whether the
 * context the source is attached to is still alive. (Workers of earlier
 * tests' pools, shut down without waiting, may still be exiting.) */
static struct
{
  GThread    *thread;           /* atomic: the caller to hold up */
  const char *name;             /* the source to hold it up on */
  pid_t       worker;           /* the pool's only worker */
  gboolean    context_survived;
} slow_unref;

/* Whether @pid is gone and reaped (a zombie still answers). */
static gboolean
process_is_reaped (pid_t pid)
{
  return kill (pid, 0) < 0 && errno == ESRCH;
}

void
g_source_unref (GSource *source)
{
  static void (*real_unref) (GSource *source);

  if (real_unref == NULL)
    real_unref = (void (*) (GSource *)) dlsym (RTLD_NEXT, "g_source_unref");

  if (g_atomic_pointer_get (&slow_unref.thread) == g_thread_self () && slow_unref.name != NULL &&
      g_strcmp0 (g_source_get_name (source), slow_unref.name) == 0)
    {
      GMainContext *context = g_atomic_pointer_get (&source->context);
      gboolean under_valgrind = g_getenv ("AIO_TEST_UNDER_VALGRIND") != NULL;
      gint64 deadline = g_get_monotonic_time () + (under_valgrind ? 60 : 10) * G_USEC_PER_SEC;

      slow_unref.name = NULL;
      while (!process_is_reaped (slow_unref.worker) && g_get_monotonic_time () < deadline)
        g_usleep (1000);
      g_usleep ((under_valgrind ? 1000 : 100) * 1000);
      /* A finalized context leaves its sources with none. */
      slow_unref.context_survived = context != NULL && g_atomic_pointer_get (&source->context) == context;
    }

  real_unref (source);
}

static void
test_process_pool_stop_keeps_the_context_alive (void)
{
  g_autoptr(AioProcessPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) pid = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);

  g_assert_no_error (error);
  g_assert_nonnull (pid);
  slow_unref.worker = g_variant_get_int64 (pid);
  g_atomic_pointer_set (&slow_unref.thread, g_thread_self ());
  slow_unref.name = "[aioext] process pool request";
  slow_unref.context_survived = FALSE;
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  g_assert_null (slow_unref.name);
  g_assert_true (slow_unref.context_survived);
  g_assert_true (process_is_reaped (slow_unref.worker));
}

typedef struct
{
  AioProcessPool *pool;
  GVariant       *pid;
} ThreadCall;

static gpointer
call_from_own_context (gpointer user_data)
{
  ThreadCall *thread_call = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  Batch batch;

  g_main_context_push_thread_default (context);
  batch_init (&batch, 1);
  batch_call (&batch, 0, thread_call->pool, "sleep_then_pid", g_variant_new_uint32 (0), NULL);
  while (batch.pending > 0)
    g_main_context_iteration (context, TRUE);
  g_assert_no_error (batch_error (&batch, 0));
  thread_call->pid = g_ptr_array_steal_index (batch.results, 0);
  batch_clear (&batch);
  g_main_context_pop_thread_default (context);

  return NULL;
}

/* The same worker serves callers in different contexts and threads, one
 * after the other, each getting its reply in its own context. */
static void
test_process_pool_serves_every_context (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) before = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_autoptr(GVariant) after = NULL;
  ThreadCall thread_call = { pool, NULL };

  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      g_thread_join (g_thread_new ("caller", call_from_own_context, &thread_call));
      g_assert_cmpint (g_variant_get_int64 (thread_call.pid), ==, g_variant_get_int64 (before));
      g_clear_pointer (&thread_call.pid, g_variant_unref);
    }

  after = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (after), ==, g_variant_get_int64 (before));
}

/* Waits at most @seconds; returns whether every call of @batch ended. */
static gboolean
batch_wait_at_most (Batch *batch,
                    guint  seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (batch->pending > 0 && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }

  return batch->pending == 0;
}

typedef struct
{
  AioProcessPool *pool;
  GMainContext   *context;
  guint           sleep_ms;
  GCancellable   *cancellable;
  guint           n_callbacks;
  gboolean        ran_in_its_context;
  GError         *error;
} IdleCaller;

static void
idle_caller_done (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  IdleCaller *caller = user_data;
  GVariant *value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &caller->error);

  g_clear_pointer (&value, g_variant_unref);
  caller->n_callbacks++;
  caller->ran_in_its_context = g_main_context_get_thread_default () == caller->context;
}

/* Calls from a context of its own, then leaves without iterating it. */
static gpointer
call_and_leave (gpointer user_data)
{
  IdleCaller *caller = user_data;

  g_main_context_push_thread_default (caller->context);
  aio_process_pool_call_async (caller->pool, "sleep_then_pid", g_variant_new_uint32 (caller->sleep_ms),
                               caller->cancellable, idle_caller_done, caller);
  g_main_context_pop_thread_default (caller->context);

  return NULL;
}

/* Runs the caller's context at last, until its one callback ran, and
 * checks that it ran once, there. */
static void
idle_caller_run_its_context (IdleCaller *caller)
{
  g_main_context_push_thread_default (caller->context);
  while (caller->n_callbacks == 0)
    g_main_context_iteration (caller->context, TRUE);
  while (g_main_context_iteration (caller->context, FALSE))
    ;
  g_main_context_pop_thread_default (caller->context);
  g_assert_cmpuint (caller->n_callbacks, ==, 1);
  g_assert_true (caller->ran_in_its_context);
}

/* A caller whose context never runs again must not hold the worker: the
 * next caller gets it, and the first call's callback still runs once, in
 * its own context, when that context runs at last. With a call timeout,
 * the finished call is not reported as timed out. The first call runs for
 * @sleep_ms, so that its reply may come before or after the next call. */
static void
check_idle_context_stalls_nobody (guint call_timeout_ms,
                                  guint sleep_ms)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) warm = NULL;
  IdleCaller caller = { .pool = pool, .context = g_main_context_new (), .sleep_ms = sleep_ms };
  Batch batch;

  aio_process_pool_set_call_timeout (pool, call_timeout_ms);
  warm = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_assert_no_error (error);

  g_thread_join (g_thread_new ("idle-caller", call_and_leave, &caller));
  batch_init (&batch, 1);
  batch_call (&batch, 0, pool, "sleep_then_pid", g_variant_new_uint32 (0), NULL);
  g_assert_true (batch_wait_at_most (&batch, 10));
  g_assert_no_error (batch_error (&batch, 0));
  batch_clear (&batch);
  g_usleep (2 * call_timeout_ms * 1000);

  g_assert_cmpuint (caller.n_callbacks, ==, 0);
  idle_caller_run_its_context (&caller);
  g_assert_no_error (caller.error);
  g_main_context_unref (caller.context);
}

static void
test_process_pool_idle_context_stalls_nobody (void)
{
  check_idle_context_stalls_nobody (0, 0);
}

/* The next call is made while the first still runs: the reply that the
 * first caller's context will not read arrives later, and the pool's
 * thread must be watching for it by then. */
static void
test_process_pool_idle_context_stalls_nobody_with_a_later_reply (void)
{
  check_idle_context_stalls_nobody (0, 300);
}

/* 1.5 s, as a worker of the ASan build on a machine busy with other
 * tests has taken over 1 s to answer (docs/hardening.md). */
static void
test_process_pool_idle_context_does_not_time_out_a_finished_call (void)
{
  check_idle_context_stalls_nobody (1500, 0);
}

/* A call cancelled after its worker answered, while its caller's context
 * has not read the answer, has finished: its worker is not killed for it.
 * The caller still learns that it cancelled the call. */
static void
test_process_pool_cancelling_an_answered_call_keeps_its_worker (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) before = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_autoptr(GVariant) after = NULL;
  IdleCaller caller = { .pool = pool, .context = g_main_context_new (), .cancellable = cancellable };

  g_assert_no_error (error);
  g_thread_join (g_thread_new ("idle-caller", call_and_leave, &caller));
  /* Time for the worker to answer; nobody reads the answer. */
  g_usleep (200 * 1000);
  g_cancellable_cancel (cancellable);

  idle_caller_run_its_context (&caller);
  g_assert_error (caller.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&caller.error);
  g_main_context_unref (caller.context);

  after = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (after), ==, g_variant_get_int64 (before));
}

/* How often each thread of a process pool ("aioext-procpool") has been
 * switched out so far, by thread id; NULL where /proc cannot tell. A thread
 * that sleeps in poll() is switched out once per wake-up. */
static GHashTable *
pool_thread_switches (void)
{
  g_autoptr(GHashTable) switches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  if (tasks == NULL)
    return NULL;

  while ((tid = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *status_path = g_build_filename ("/proc/self/task", tid, "status", NULL);
      g_autofree char *comm = NULL;
      g_autofree char *status = NULL;
      const char *voluntary, *involuntary;

      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) || !g_str_equal (comm, "aioext-procpool\n") ||
          !g_file_get_contents (status_path, &status, NULL, NULL))
        continue;

      voluntary = strstr (status, "\nvoluntary_ctxt_switches:");
      involuntary = strstr (status, "\nnonvoluntary_ctxt_switches:");
      if (voluntary == NULL || involuntary == NULL)
        return NULL;
      g_hash_table_insert (switches, g_strdup (tid),
                           GSIZE_TO_POINTER (strtoul (strchr (voluntary, ':') + 1, NULL, 10) +
                                             strtoul (strchr (involuntary, ':') + 1, NULL, 10)));
    }

  return g_steal_pointer (&switches);
}

/* While a call runs and its reply is read in the caller's context, the
 * pool's thread has nothing to do, and sleeps: it used to wake every 10 ms
 * to look for a reply left unread. */
static void
test_process_pool_running_call_leaves_the_pool_thread_asleep (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) warm = NULL;
  g_autoptr(GVariant) slept = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  GHashTableIter iter;
  gpointer tid, count, count_after;
  gsize woken = 0;

  warm = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_assert_no_error (error);
  before = pool_thread_switches ();
  if (before == NULL)
    {
      g_test_skip ("/proc does not count this system's context switches per thread");
      return;
    }
  g_assert_cmpuint (g_hash_table_size (before), >=, 1);

  slept = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (500), &error);
  g_assert_no_error (error);
  after = pool_thread_switches ();
  g_assert_nonnull (after);

  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &tid, &count))
    if (g_hash_table_lookup_extended (after, tid, NULL, &count_after))
      woken += GPOINTER_TO_SIZE (count_after) - GPOINTER_TO_SIZE (count);
  g_test_message ("the pool thread was switched out %" G_GSIZE_FORMAT " times", woken);
  /* Not 0: a loaded machine may preempt it once or twice. The 10 ms check
   * woke it about 50 times. */
  g_assert_cmpuint (woken, <, 10);
}

/* How often process @pid has gone to sleep so far, or -1 where /proc
 * cannot tell; @is_asleep says whether it sleeps now. */
static gint64
process_voluntary_switches (GPid      pid,
                            gboolean *is_asleep)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) ||
      (line = strstr (status, "\nvoluntary_ctxt_switches:")) == NULL)
    return -1;
  if (is_asleep != NULL)
    *is_asleep = strstr (status, "\nState:\tS") != NULL;

  return g_ascii_strtoll (strchr (line, ':') + 1, NULL, 10);
}

/* Waits until process @pid has gone to sleep again since it had slept
 * @switches times (a slow machine, valgrind, may take a while); returns
 * how often it has slept by then. */
static gint64
wait_until_asleep_again (GPid   pid,
                         gint64 switches)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  gboolean is_asleep = FALSE;
  gint64 now;

  while ((now = process_voluntary_switches (pid, &is_asleep)) <= switches || !is_asleep)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }

  return now;
}

static void
note_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &error);

  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (value), ==, 42);
  *(gboolean *) user_data = TRUE;
}

/* A worker waiting for its next call is not woken when the pool reads its
 * last reply. Blocked in read(), it was: the room that frees on a Unix
 * socket wakes every sleeper there, readers included, and that wake-up of
 * another CPU came with the pool's read of every reply. */
static void
test_process_pool_reading_a_reply_leaves_the_worker_asleep (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) pid = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  guint n_calls = 10;
  gint64 woken = 0;

  g_assert_no_error (error);
  if (process_voluntary_switches (g_variant_get_int64 (pid), NULL) < 0)
    {
      g_test_skip ("/proc does not count this system's context switches per process");
      return;
    }

  for (guint i = 0; i < n_calls; i++)
    {
      gboolean is_done = FALSE;
      gint64 before = process_voluntary_switches (g_variant_get_int64 (pid), NULL);
      gint64 asleep;

      aio_process_pool_call_async (pool, "add", g_variant_new ("(ii)", 40, 2), NULL, note_done, &is_done);
      /* The call is written by now: the worker answers and waits for the
       * next call, while the reply waits in the socket until this context
       * runs. */
      asleep = wait_until_asleep_again (g_variant_get_int64 (pid), before);
      while (!is_done)
        g_main_context_iteration (NULL, TRUE);
      /* Time for a worker woken by the read to go back to sleep. */
      g_usleep (20 * 1000);
      woken += process_voluntary_switches (g_variant_get_int64 (pid), NULL) - asleep;
    }
  g_test_message ("reading %u replies woke the worker %" G_GINT64_FORMAT " times", n_calls, woken);
  g_assert_cmpint (woken, <, n_calls / 2);
}

static void
unmap_bytes (gpointer data)
{
  gsize *mapping = data;

  munmap ((gpointer) mapping[0], mapping[1]);
  g_free (mapping);
}

/* An `ay` of @size zero bytes that takes no memory: a sparse file, mapped. */
static GVariant *
new_sparse_bytestring (guint64 size)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = NULL;
  int fd = g_file_open_tmp ("aioext-sparse-XXXXXX", &path, NULL);
  gpointer data;
  gsize *mapping;

  g_assert_cmpint (fd, >=, 0);
  g_unlink (path);
  g_assert_cmpint (ftruncate (fd, size), ==, 0);
  data = mmap (NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (data == MAP_FAILED)
    return NULL;

  mapping = g_new (gsize, 2);
  mapping[0] = (gsize) data;
  mapping[1] = size;

  bytes = g_bytes_new_with_free_func (data, size, unmap_bytes, mapping);

  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

static void
assert_refused (AioProcessPool *pool,
                const char     *function,
                GVariant       *arguments,
                const char     *limit,
                const char     *size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = call_sync (pool, function, arguments, &error);

  g_assert_null (value);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, limit));
  g_assert_nonnull (strstr (error->message, size));
  g_assert_false (aio_executor_pool_is_initialized (AIO_EXECUTOR_POOL (pool)));
  g_assert_cmpuint (count_live_children (), ==, 0);
}

/* Every limit the worker enforces is checked before sending, whatever the
 * size, and no worker is started (or killed) for it. */
static void
test_process_pool_limits_are_checked_before_sending (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autofree char *long_name = g_strnfill (257, 'f');
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) sum = NULL;
  GVariant *huge;

  /* Counting children says whether a refused call started a worker only
   * once those of the earlier tests' pools have exited. Under ASan on a
   * loaded machine, one of them once stayed a zombie for over 10 s
   * (docs/hardening.md): a zombie is listed, not counted, as it cannot be
   * a worker this test started. */
  if (!children_are_gone_within (10))
    g_assert_cmpuint (count_live_children (), ==, 0);
  assert_refused (pool, "", g_variant_new_boolean (TRUE), "name is empty", "by name");
  assert_refused (pool, long_name, g_variant_new_boolean (TRUE), "at most 256 bytes", "257 bytes");
  assert_refused (pool, "add\xff", g_variant_new_boolean (TRUE), "UTF-8", "byte 4 of 4");
  assert_refused (pool, "add", new_sparse_bytestring (64 * 1024 * 1024), "at most 67108864 bytes", "67108");

  huge = new_sparse_bytestring (G_GUINT64_CONSTANT (4) * 1024 * 1024 * 1024 + 4096);
  if (huge == NULL)
    g_test_message ("no room for a 4 GiB mapping: that case was not tried");
  else
    assert_refused (pool, "add", huge, "at most 67108864 bytes", "4294971");

  sum = call_sync (pool, "add", g_variant_new ("(ii)", 2, 3), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int32 (sum), ==, 5);
}

/* A result the pool would refuse comes back as an error naming the limit
 * and the size, and the worker goes on: no UB above 4 GiB either. */
static void
test_process_pool_worker_refuses_to_send_a_result_over_the_limit (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) before = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_autoptr(GVariant) after = NULL;
  const guint64 sizes[] = { 64 * 1024 * 1024, G_GUINT64_CONSTANT (4) * 1024 * 1024 * 1024 + 4096 };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GVariant) value = call_sync (pool, "huge_result", g_variant_new_uint64 (sizes[i]), &error);

      g_assert_null (value);
      g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "at most 67108864 bytes"));
      g_clear_error (&error);
    }

  after = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (after), ==, g_variant_get_int64 (before));
}

/* The pool's thread inherits the signal mask of the thread that starts the
 * pool; its workers must not, nor the signals the application ignores. */
static void
test_process_pool_workers_start_with_default_signals (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) state = NULL;
  struct sigaction ignore = { .sa_handler = SIG_IGN }, saved_action;
  sigset_t usr1, saved_mask;
  gboolean is_blocked, is_ignored;

  sigemptyset (&usr1);
  sigaddset (&usr1, SIGUSR1);
  pthread_sigmask (SIG_BLOCK, &usr1, &saved_mask);
  sigaction (SIGUSR2, &ignore, &saved_action);
  state = call_sync (pool, "signal_state", g_variant_new_boolean (TRUE), &error);
  pthread_sigmask (SIG_SETMASK, &saved_mask, NULL);
  sigaction (SIGUSR2, &saved_action, NULL);

  g_assert_no_error (error);
  g_variant_get (state, "(bb)", &is_blocked, &is_ignored);
  g_assert_false (is_blocked);
  g_assert_false (is_ignored);
}

/* With SIGCHLD ignored the system reaps a worker before GLib can learn how
 * it ended, and GLib reports status 0 (or, from 2.76 on, a status it made
 * up): the error must say that it could not be observed. */
static void
test_process_pool_unobserved_death_says_so (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  struct sigaction ignore = { .sa_handler = SIG_IGN }, saved_action;
  GLogLevelFlags saved_fatal;

  /* Newer GLib warns (in a structured message, which no test fatal handler
   * sees) when the system reaped a child it watched: that warning is what
   * this test provokes, not a failure. */
  saved_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  sigaction (SIGCHLD, &ignore, &saved_action);
  value = call_sync (pool, "maybe_die", g_variant_new ("(uu)", 2, 0), &error);
  g_assert_null (value);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_WORKER_DIED);
  g_assert_null (strstr (error->message, "status 0"));
  /* Valgrind keeps the real disposition to itself: the kernel does not
   * reap, and GLib learns the truth. */
  if (g_getenv ("AIO_TEST_UNDER_VALGRIND") != NULL && strstr (error->message, "signal 9") != NULL)
    g_test_message ("under valgrind the death was observed: %s", error->message);
  else
    {
      g_assert_nonnull (strstr (error->message, "could not be observed"));
      g_assert_nonnull (strstr (error->message, "SIGCHLD"));
    }
  g_clear_error (&error);

  /* The pool goes on: a new worker answers. */
  value = call_sync (pool, "maybe_die", g_variant_new ("(uu)", 0, 7), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_get_uint32 (value), ==, 7);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  sigaction (SIGCHLD, &saved_action, NULL);
  g_log_set_always_fatal (saved_fatal);
}

static gboolean
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;

  return G_SOURCE_REMOVE;
}

/* Writes the child's verdict where the parent reads it: its exit status
 * would not do under valgrind, which fails a child for the memory it
 * leaves behind (the parent's pools, copied). */
G_GNUC_NORETURN static void
forked_child_exit (int         verdict_fd,
                   const char *verdict)
{
  g_assert_cmpint (write (verdict_fd, verdict, 1), ==, 1);
  _exit (0);
}

/* In the child: a call on the pool must be refused, saying why, and the
 * child's main loop must leave the parent's worker alone while it answers
 * the parent's call. Its verdict is "0" when all is well. */
G_GNUC_NORETURN static void
run_forked_child (TestPool *pool,
                  int       verdict_fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = NULL;
  gboolean is_over = FALSE;

  alarm (20);
  value = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  if (!g_error_matches (error, AIO_ERROR, AIO_ERROR_NOT_SUPPORTED) || strstr (error->message, "made by forking") == NULL)
    {
      g_printerr ("the forked child's call ended with: %s\n", error != NULL ? error->message : "a result");
      forked_child_exit (verdict_fd, "1");
    }
  g_clear_error (&error);

  /* Spans the parent's reply, which must stay the parent's. */
  g_timeout_add (600, set_true, &is_over);
  while (!is_over)
    g_main_context_iteration (NULL, TRUE);

  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  aio_executor_pool_initialize (AIO_EXECUTOR_POOL (pool), 1);
  value = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  forked_child_exit (verdict_fd, g_error_matches (error, AIO_ERROR, AIO_ERROR_NOT_SUPPORTED) ? "0" : "2");
}

/* fork() after a pool started: the child's pool refuses every call, never
 * touches the parent's workers, and the parent's calls are unharmed. */
static void
test_process_pool_fork_child_refuses_calls (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) worker = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_autoptr(GVariant) after = NULL;
  Batch batch;
  int verdict[2];
  char verdict_byte[1];
  int status;
  pid_t child;

  g_assert_no_error (error);
  /* The pool's thread may still be freeing the first call: a lock it holds
   * at the fork (the AddressSanitizer allocator's, which unlike glibc's
   * malloc does not prepare for fork) would stay held in the child. */
  g_usleep (200 * 1000);
  batch_init (&batch, 1);
  batch_call (&batch, 0, pool, "sleep_then_pid", g_variant_new_uint32 (300), NULL);
  g_assert_cmpint (pipe (verdict), ==, 0);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    run_forked_child (pool, verdict[1]);

  batch_wait (&batch);
  g_assert_no_error (batch_error (&batch, 0));
  g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (batch.results, 0)), ==, g_variant_get_int64 (worker));
  batch_clear (&batch);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  if (WIFSIGNALED (status))
    g_test_message ("child killed by signal %d", WTERMSIG (status));
  close (verdict[1]);
  g_assert_cmpint (read (verdict[0], verdict_byte, 1), ==, 1);
  close (verdict[0]);
  g_assert_cmpint (verdict_byte[0], ==, '0');

  after = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (after), ==, g_variant_get_int64 (worker));
  g_assert_cmpuint (aio_executor_pool_get_running (AIO_EXECUTOR_POOL (pool)), ==, 0);
}

/* A worker command that never greets is killed after the startup timeout,
 * and the call it was started for fails saying so. */
static void
test_process_pool_worker_that_never_greets_times_out (void)
{
  const char *argv[] = { "/bin/sleep", "30", NULL };
  g_autoptr(TestPool) pool = aio_process_pool_new (1, argv);
  Batch batch;
  GError *error;

  g_assert_cmpuint (aio_process_pool_get_startup_timeout (pool), ==, 30000);
  aio_process_pool_set_startup_timeout (pool, 300);
  batch_init (&batch, 1);
  batch_call (&batch, 0, pool, "add", g_variant_new ("(ii)", 1, 2), NULL);
  g_assert_true (batch_wait_at_most (&batch, 10));
  error = batch_error (&batch, 0);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "did not become ready within 300 ms"));
  batch_clear (&batch);

  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  g_assert_cmpuint (count_children (FALSE), ==, 0);
}

static void
test_process_pool_default_is_sized_to_the_cpu_cores (void)
{
  AioProcessPool *pool = aio_process_pool_get_default ();

  g_assert_true (pool == aio_process_pool_get_default ());
  g_assert_cmpuint (aio_executor_pool_get_max_workers (AIO_EXECUTOR_POOL (pool)), ==, aio_get_cpu_cores ());
}

static gboolean
process_exists (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  char *after_name;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  after_name = strrchr (stat, ')');
  /* A zombie waiting for init to reap it is gone as far as work goes. */
  return after_name == NULL || after_name[2] != 'Z';
}

/* A worker that greets with a protocol version the pool does not speak. */
G_GNUC_NORETURN static void
greet_with_the_wrong_version (void)
{
  AioWireMessage hello = { .kind = AIO_WIRE_HELLO, .version = 99, .pid = getpid () };
  g_autoptr(GBytes) frame = aio_wire_encode (&hello);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  int fd = atoi (g_getenv (AIO_WORKER_FD_VARIABLE));
  char byte;

  g_assert_cmpint (write (fd, data, size), ==, (gssize) size);
  /* Like any worker, it leaves when the pool closes the socket. */
  while (read (fd, &byte, 1) > 0)
    ;
  _exit (1);
}

/* A parent that starts a worker on a long call, prints the worker's pid,
 * and waits to be killed. */
G_GNUC_NORETURN static void
run_doomed_parent (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) pid = call_sync (pool, "sleep_then_pid", g_variant_new_uint32 (0), &error);

  g_print ("%" G_GINT64_FORMAT "\n", g_variant_get_int64 (pid));
  aio_process_pool_call_async (pool, "sleep_then_pid", g_variant_new_uint32 (60000), NULL, NULL, NULL);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_process_pool_workers_die_with_the_parent (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) parent = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  GPid worker;
  gint64 deadline;

  g_subprocess_launcher_setenv (launcher, "AIO_TEST_DOOMED_PARENT", "1", TRUE);
  parent = g_subprocess_launcher_spawn (launcher, &error, self, NULL);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (parent));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  worker = (GPid) g_ascii_strtoll (line, NULL, 10);
  g_assert_cmpint (worker, >, 0);
  g_assert_true (process_exists (worker));

  g_subprocess_send_signal (parent, SIGKILL);
  g_subprocess_wait (parent, NULL, NULL);
  deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (process_exists (worker) && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_false (process_exists (worker));
}

/* A copy of this program that deletes its own file while its pool runs,
 * then needs a new worker: prints the sum the new worker computed. */
G_GNUC_NORETURN static void
run_deleted_program (void)
{
  g_autoptr(TestPool) pool = new_pool (1);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) died = NULL;
  g_autoptr(GVariant) sum = call_sync (pool, "add", g_variant_new ("(ii)", 1, 1), &error);

  g_assert_no_error (error);
  g_assert_cmpint (g_unlink (self), ==, 0);
  died = call_sync (pool, "maybe_die", g_variant_new ("(uu)", 4, 0), &error);
  g_assert_error (error, AIO_ERROR, AIO_ERROR_WORKER_DIED);
  g_clear_error (&error);
  g_clear_pointer (&sum, g_variant_unref);
  sum = call_sync (pool, "add", g_variant_new ("(ii)", 20, 22), &error);
  g_assert_no_error (error);
  g_print ("%d\n", g_variant_get_int32 (sum));
  exit (0);
}

static void
test_process_pool_default_command_survives_deleting_the_program (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *copy = g_strdup_printf ("%s-deleted-%d", self, getpid ());
  g_autofree char *contents = NULL;
  g_autofree char *output = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) program = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  /* Beside this program, so that it finds the library the same way. */
  g_assert_true (g_file_get_contents (self, &contents, &length, &error));
  g_assert_true (g_file_set_contents_full (copy, contents, length, G_FILE_SET_CONTENTS_NONE, 0700, &error));
  g_subprocess_launcher_setenv (launcher, "AIO_TEST_DELETED_PROGRAM", "1", TRUE);
  program = g_subprocess_launcher_spawn (launcher, &error, copy, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (program, NULL, NULL, &output, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
  g_assert_true (g_subprocess_get_successful (program));
  g_assert_cmpstr (output, ==, "42\n");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AioWorker) worker = test_worker_new ();

  if (aio_worker_is_requested () && g_getenv ("AIO_TEST_WRONG_VERSION") != NULL)
    greet_with_the_wrong_version ();
  if (aio_worker_is_requested ())
    {
      worker_fd = atoi (g_getenv (AIO_WORKER_FD_VARIABLE));
      return aio_worker_run (worker);
    }
  if (g_getenv ("AIO_TEST_DOOMED_PARENT") != NULL)
    run_doomed_parent ();
  if (g_getenv ("AIO_TEST_DELETED_PROGRAM") != NULL)
    run_deleted_program ();


  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/process-pool/call/results-and-errors-arrive-intact", test_process_pool_results_and_errors_arrive_intact);
  g_test_add_func ("/process-pool/call/large-values-arrive-intact", test_process_pool_large_values_arrive_intact);
  g_test_add_func ("/process-pool/workers/start-lazily-up-to-max", test_process_pool_workers_start_lazily_up_to_max);
  g_test_add_func ("/process-pool/crash/fails-only-that-call", test_process_pool_crash_fails_only_that_call);
  g_test_add_func ("/process-pool/untrusted/garbage-fails-the-call", test_process_pool_garbage_fails_the_call_and_replaces_the_worker);
  g_test_add_func ("/process-pool/untrusted/reply-to-another-call-fails", test_process_pool_reply_to_another_call_is_a_protocol_error);
  g_test_add_func ("/process-pool/workers/exiting-between-calls-is-replaced", test_process_pool_worker_exiting_between_calls_is_replaced);
  g_test_add_func ("/process-pool/workers/broken-command-fails-the-call", test_process_pool_broken_worker_command_fails_the_call);
  g_test_add_func ("/process-pool/timeout/kills-and-replaces", test_process_pool_timeout_kills_and_replaces);
  g_test_add_func ("/process-pool/cancel/queued-and-running", test_process_pool_cancel_queued_and_running);
  g_test_add_func ("/process-pool/workers/are-recycled", test_process_pool_workers_are_recycled);
  g_test_add_func ("/process-pool/lifecycle/shutdown-and-initialize", test_process_pool_shutdown_and_initialize);
  g_test_add_func ("/process-pool/lifecycle/initialize-again-lets-old-calls-finish",
                   test_process_pool_initialize_again_lets_old_calls_finish);
  g_test_add_func ("/process-pool/workers/are-all-reaped", test_process_pool_reaps_every_worker);
  g_test_add_func ("/process-pool/job/wraps-a-call", test_process_pool_call_is_a_job);
  g_test_add_func ("/process-pool/parent-killed/workers-exit", test_process_pool_workers_die_with_the_parent);
  g_test_add_func ("/process-pool/untrusted/oversized-frame-fails-the-call", test_process_pool_oversized_frame_fails_the_call);
  g_test_add_func ("/process-pool/untrusted/wrong-protocol-version-fails-the-call", test_process_pool_wrong_protocol_version_fails_the_call);
  g_test_add_func ("/process-pool/queue/is-fifo", test_process_pool_queue_is_fifo);
  g_test_add_func ("/process-pool/lifecycle/shutdown-waits-for-every-call", test_process_pool_shutdown_waits_for_every_call);
  g_test_add_func ("/process-pool/call/serves-every-context", test_process_pool_serves_every_context);
  g_test_add_func ("/process-pool/lifecycle/stop-keeps-the-context-alive", test_process_pool_stop_keeps_the_context_alive);
  g_test_add_func ("/process-pool/call/idle-context-stalls-nobody", test_process_pool_idle_context_stalls_nobody);
  g_test_add_func ("/process-pool/call/idle-context-stalls-nobody-with-a-later-reply",
                   test_process_pool_idle_context_stalls_nobody_with_a_later_reply);
  g_test_add_func ("/process-pool/call/idle-context-does-not-time-out-a-finished-call",
                   test_process_pool_idle_context_does_not_time_out_a_finished_call);
  g_test_add_func ("/process-pool/cancel/answered-call-keeps-its-worker",
                   test_process_pool_cancelling_an_answered_call_keeps_its_worker);
  g_test_add_func ("/process-pool/call/running-call-leaves-the-pool-thread-asleep",
                   test_process_pool_running_call_leaves_the_pool_thread_asleep);
  g_test_add_func ("/process-pool/workers/reading-a-reply-leaves-the-worker-asleep",
                   test_process_pool_reading_a_reply_leaves_the_worker_asleep);
  g_test_add_func ("/process-pool/limits/checked-before-sending", test_process_pool_limits_are_checked_before_sending);
  g_test_add_func ("/process-pool/limits/result-over-the-limit-is-an-error",
                   test_process_pool_worker_refuses_to_send_a_result_over_the_limit);
  g_test_add_func ("/process-pool/default/command-survives-deleting-the-program",
                   test_process_pool_default_command_survives_deleting_the_program);
  g_test_add_func ("/process-pool/workers/start-with-default-signals", test_process_pool_workers_start_with_default_signals);
  g_test_add_func ("/process-pool/crash/unobserved-death-says-so", test_process_pool_unobserved_death_says_so);
  g_test_add_func ("/process-pool/fork/child-refuses-calls", test_process_pool_fork_child_refuses_calls);
  g_test_add_func ("/process-pool/workers/never-greeting-times-out", test_process_pool_worker_that_never_greets_times_out);
  g_test_add_func ("/process-pool/default/is-sized-to-the-cpu-cores", test_process_pool_default_is_sized_to_the_cpu_cores);

  return g_test_run ();
}
