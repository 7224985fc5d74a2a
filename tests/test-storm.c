/* test-storm.c: cancellation storms through every class, counted exactly
 *
 * Each test makes many calls through one class (the collector's calls go
 * through the semaphore, the rate limiter and both pools as well), a few
 * hundred in flight at a time, and cancels each at a random moment: never,
 * before the call, right after it, 1 to 1,023 main-loop iterations later, or from
 * another thread. Then it proves that every callback ran exactly once and
 * never inside the call, that a call never cancelled succeeded and a call
 * cancelled before it was made failed with G_IO_ERROR_CANCELLED, that no
 * waiter was stranded (a missing callback fails the test at a deadline
 * instead of hanging), and that once all is quiet every counter is back at
 * rest. Leaks are for the valgrind and LeakSanitizer runs of this program.
 *
 * Each test makes 100,000 calls by default (AIO_STORM_CALLS changes that;
 * runs under valgrind make 5,000); the collector's are 100,000 jobs in
 * collections of 1 to 64. The seed is printed; AIO_STORM_SEED repeats its
 * random choices (the threads' timing still varies).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

#include "workers/worker-functions.h"

#define DEFAULT_CALLS 100000
#define VALGRIND_CALLS 5000
#define N_BUCKETS 1024
#define SHORT_DELAY 16
#define MAX_IN_FLIGHT 256
#define SEMAPHORE_CAPACITY 8

typedef enum
{
  CANCEL_NEVER,
  CANCEL_BEFORE,
  CANCEL_RIGHT_AFTER,
  CANCEL_LATER,
  CANCEL_FROM_THREAD,
  N_CANCEL_MOMENTS
} CancelMoment;

typedef void (*Action) (gpointer data);

typedef struct
{
  Action   func;
  gpointer data;
} Deferred;

typedef struct _Storm Storm;

/* Starts call @index; its callback must end in storm_call_done(). */
typedef void (*StartFunc) (Storm        *storm,
                           guint         index,
                           GCancellable *cancellable);

struct _Storm
{
  GRand        *rand;
  guint         n_calls;
  guint8       *callbacks;       /* per call: how many times it was called back */
  guint8       *moments;         /* per call: its CancelMoment */
  guint         n_started;
  guint         n_done;
  guint         n_cancelled;     /* outcomes */
  guint         n_succeeded;
  gboolean      is_inside_call;
  StartFunc     start;
  gpointer      data;

  /* Actions a few main-loop iterations from now: one bucket per tick. */
  GArray       *later[N_BUCKETS];
  guint         tick;
  guint         n_later;
  GSource      *ticker;

  /* Actions on another thread, at once. */
  GAsyncQueue  *remote_queue;
  GThread      *remote_thread;
  gint          n_remote;        /* queued or running there */
};

static Storm *current_storm;

/* How many calls each test makes. */
static guint
storm_calls (void)
{
  const char *text = g_getenv ("AIO_STORM_CALLS");
  guint total = DEFAULT_CALLS;

  if (text != NULL)
    total = (guint) g_ascii_strtoull (text, NULL, 10);
  else if (g_getenv ("AIO_TEST_UNDER_VALGRIND") != NULL)
    total = VALGRIND_CALLS;

  return MAX (1, total);
}

static guint32
storm_seed (void)
{
  static guint32 seed;
  const char *text;

  if (seed != 0)
    return seed;

  text = g_getenv ("AIO_STORM_SEED");
  seed = text != NULL ? (guint32) g_ascii_strtoull (text, NULL, 10) : g_random_int ();
  if (seed == 0)
    seed = 1;
  g_test_message ("storm seed %u (repeat with AIO_STORM_SEED=%u)", seed, seed);

  return seed;
}

static gpointer
storm_remote_main (gpointer user_data)
{
  Storm *storm = user_data;
  Deferred *deferred;

  while ((deferred = g_async_queue_pop (storm->remote_queue))->func != NULL)
    {
      deferred->func (deferred->data);
      g_free (deferred);
      g_atomic_int_dec_and_test (&storm->n_remote);
    }
  g_free (deferred);

  return NULL;
}

/* Runs @func on the storm's other thread, soon. */
static void
storm_run_remote (Storm    *storm,
                  Action    func,
                  gpointer  data)
{
  Deferred *deferred = g_new (Deferred, 1);

  deferred->func = func;
  deferred->data = data;
  g_atomic_int_inc (&storm->n_remote);
  g_async_queue_push (storm->remote_queue, deferred);
}

/* Runs @func in this context 1 to @max_delay - 1 iterations from now
 * (@max_delay at most N_BUCKETS). */
static void
storm_run_later (Storm    *storm,
                 guint     max_delay,
                 Action    func,
                 gpointer  data)
{
  guint delay = g_rand_int_range (storm->rand, 1, max_delay);
  Deferred deferred = { func, data };

  g_array_append_val (storm->later[(storm->tick + delay) % N_BUCKETS], deferred);
  storm->n_later++;
  g_source_set_ready_time (storm->ticker, 0);
}

static gboolean
storm_on_tick (gpointer user_data)
{
  Storm *storm = user_data;
  guint bucket = ++storm->tick % N_BUCKETS;
  g_autoptr(GArray) due = storm->later[bucket];

  /* Actions may schedule more; they go into a fresh bucket. */
  storm->later[bucket] = g_array_new (FALSE, FALSE, sizeof (Deferred));
  for (guint i = 0; i < due->len; i++)
    {
      Deferred *deferred = &g_array_index (due, Deferred, i);

      storm->n_later--;
      deferred->func (deferred->data);
    }
  /* Ready on every iteration while actions wait, never otherwise. */
  g_source_set_ready_time (storm->ticker, storm->n_later > 0 ? 0 : -1);

  return G_SOURCE_CONTINUE;
}

static gboolean
ticker_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs ticker_funcs = { NULL, NULL, ticker_dispatch, NULL, NULL, NULL };

static Storm *
storm_new (guint     n_calls,
           StartFunc start,
           gpointer  data)
{
  Storm *storm = g_new0 (Storm, 1);

  storm->rand = g_rand_new_with_seed (storm_seed ());
  storm->n_calls = n_calls;
  storm->callbacks = g_new0 (guint8, n_calls);
  storm->moments = g_new0 (guint8, n_calls);
  storm->start = start;
  storm->data = data;
  for (guint i = 0; i < N_BUCKETS; i++)
    storm->later[i] = g_array_new (FALSE, FALSE, sizeof (Deferred));

  storm->ticker = g_source_new (&ticker_funcs, sizeof (GSource));
  g_source_set_priority (storm->ticker, G_PRIORITY_DEFAULT);
  g_source_set_callback (storm->ticker, storm_on_tick, storm, NULL);
  g_source_attach (storm->ticker, NULL);

  storm->remote_queue = g_async_queue_new ();
  storm->remote_thread = g_thread_new ("storm-remote", storm_remote_main, storm);
  current_storm = storm;

  return storm;
}

static void
storm_free (Storm *storm)
{
  g_async_queue_push (storm->remote_queue, g_new0 (Deferred, 1));
  g_thread_join (storm->remote_thread);
  g_async_queue_unref (storm->remote_queue);
  g_source_destroy (storm->ticker);
  g_source_unref (storm->ticker);
  for (guint i = 0; i < N_BUCKETS; i++)
    {
      g_assert_cmpuint (storm->later[i]->len, ==, 0);
      g_array_unref (storm->later[i]);
    }
  g_free (storm->callbacks);
  g_free (storm->moments);
  g_rand_free (storm->rand);
  current_storm = NULL;
  g_free (storm);
}

static void
cancel_action (gpointer data)
{
  g_cancellable_cancel (data);
  g_object_unref (data);
}

/* Makes call @index with a cancellable that is cancelled at a random moment. */
static void
storm_start_one (Storm *storm,
                 guint  index)
{
  /* 40% are never cancelled, 15% at each other moment. */
  guint draw = g_rand_int_range (storm->rand, 0, 20);
  CancelMoment moment = draw < 8 ? CANCEL_NEVER : CANCEL_BEFORE + (draw - 8) / 3;
  g_autoptr(GCancellable) cancellable = NULL;

  /* Half the calls that are never cancelled have no cancellable at all. */
  if (moment != CANCEL_NEVER || g_rand_boolean (storm->rand))
    cancellable = g_cancellable_new ();

  storm->moments[index] = moment;
  storm->n_started++;
  if (moment == CANCEL_BEFORE)
    g_cancellable_cancel (cancellable);

  storm->is_inside_call = TRUE;
  storm->start (storm, index, cancellable);
  storm->is_inside_call = FALSE;

  if (moment == CANCEL_RIGHT_AFTER)
    g_cancellable_cancel (cancellable);
  else if (moment == CANCEL_LATER)
    storm_run_later (storm, N_BUCKETS, cancel_action, g_object_ref (cancellable));
  else if (moment == CANCEL_FROM_THREAD)
    storm_run_remote (storm, cancel_action, g_object_ref (cancellable));
}

static void
storm_fill (Storm *storm)
{
  while (storm->n_started < storm->n_calls && storm->n_started - storm->n_done < MAX_IN_FLIGHT)
    storm_start_one (storm, storm->n_started);
}

/* Every callback ends here, in the test's context. */
static void
storm_call_done (Storm *storm,
                 guint  index)
{
  g_assert_false (storm->is_inside_call);
  g_assert_cmpuint (index, <, storm->n_started);
  g_assert_cmpuint (storm->callbacks[index], ==, 0);
  storm->callbacks[index]++;
  storm->n_done++;
  storm_fill (storm);
}

/* A call that nobody cancelled succeeds; one cancelled before it was made
 * fails with G_IO_ERROR_CANCELLED; either may happen in between. */
static void
storm_check_outcome (Storm        *storm,
                     guint         index,
                     const GError *error)
{
  CancelMoment moment = storm->moments[index];

  if (error == NULL)
    {
      g_assert_cmpint (moment, !=, CANCEL_BEFORE);
      storm->n_succeeded++;
      return;
    }

  g_assert_error ((GError *) error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (moment, !=, CANCEL_NEVER);
  storm->n_cancelled++;
}

/* Ends a call whose success carries its own index as a uint value. */
static void
storm_end_with_index (Storm        *storm,
                      guint         index,
                      const GValue *value,
                      const GError *error)
{
  if (value != NULL)
    g_assert_cmpuint (g_value_get_uint (value), ==, index);
  storm_check_outcome (storm, index, error);
  storm_call_done (storm, index);
}

static gboolean
storm_is_idle (Storm *storm)
{
  return storm->n_done == storm->n_calls && storm->n_later == 0 &&
         g_atomic_int_get (&storm->n_remote) == 0;
}

static gint64
storm_deadline (void)
{
  int seconds = g_getenv ("AIO_TEST_UNDER_VALGRIND") != NULL ? 600 : 120;

  return g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates until @is_done says so, or fails at the deadline: a stranded
 * waiter shows up as a missing callback, not as a hung test. */
static void
iterate_until (gboolean (*is_done) (gpointer data),
               gpointer   data,
               const char *what)
{
  gint64 deadline = storm_deadline ();
  guint timer = g_timeout_add (100, wake_up, NULL);

  while (!is_done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Still waiting for %s at the deadline (%u callbacks missing)", what,
                 current_storm != NULL ? current_storm->n_calls - current_storm->n_done : 0);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (timer);
}

static gboolean
storm_is_idle_func (gpointer data)
{
  return storm_is_idle (data);
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Drops the test's reference to @object and waits until it is finalized:
 * calls that completed may hold it until their cleanup has run here. */
static void
unref_and_wait_for_finalize (gpointer object)
{
  gpointer weak = object;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  iterate_until (is_null, &weak, "an object to be finalized");
}

/* Runs every call, then checks that each was called back exactly once. */
static void
storm_run (Storm *storm)
{
  storm_fill (storm);
  iterate_until (storm_is_idle_func, storm, "the storm's callbacks");

  for (guint i = 0; i < storm->n_calls; i++)
    g_assert_cmpuint (storm->callbacks[i], ==, 1);
  g_assert_cmpuint (storm->n_succeeded + storm->n_cancelled, <=, storm->n_calls);
  g_test_message ("%u calls: %u succeeded, %u cancelled, %u other",
                  storm->n_calls, storm->n_succeeded, storm->n_cancelled,
                  storm->n_calls - storm->n_succeeded - storm->n_cancelled);
}

/* Jobs that complete a few iterations after they start, with their index,
 * or cancelled when their cancellable was cancelled by then. */

static void
tick_job_complete (gpointer data)
{
  g_autoptr(AioJob) job = data;
  GCancellable *cancellable = aio_job_get_cancellable (job);
  GError *error = NULL;
  GValue value = G_VALUE_INIT;

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      aio_job_return_error (job, error);
      return;
    }
  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (job), "index")));
  aio_job_return_value (job, &value);
}

static void
tick_job_start (AioJob       *job,
                GCancellable *cancellable,
                gpointer      user_data)
{
  storm_run_later (current_storm, SHORT_DELAY, tick_job_complete, g_object_ref (job));
}

static AioJob *
tick_job_new (guint index)
{
  AioJob *job = aio_job_new (tick_job_start, NULL, NULL);

  g_object_set_data (G_OBJECT (job), "index", GUINT_TO_POINTER (index));

  return job;
}

/* Semaphore */

typedef struct
{
  AioSemaphore *semaphore;
  guint        *counts;
} SemaphoreRig;

typedef struct
{
  AioSemaphore *semaphore;
  guint         count;
} Release;

static void
release_action (gpointer data)
{
  Release *release = data;
  GError *error = NULL;

  aio_semaphore_release (release->semaphore, release->count, &error);
  g_assert_no_error (error);
  g_object_unref (release->semaphore);
  g_free (release);
}

static void
semaphore_on_acquired (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Storm *storm = current_storm;
  SemaphoreRig *rig = storm->data;
  guint index = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;

  if (aio_semaphore_acquire_finish (rig->semaphore, result, &error))
    {
      Release *release = g_new (Release, 1);

      /* Held for a while, then given back here or on the other thread. */
      release->semaphore = g_object_ref (rig->semaphore);
      release->count = rig->counts[index];
      if (g_rand_boolean (storm->rand))
        storm_run_later (storm, SHORT_DELAY, release_action, release);
      else
        storm_run_remote (storm, release_action, release);
    }
  storm_check_outcome (storm, index, error);
  storm_call_done (storm, index);
}

static void
semaphore_on_job_done (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Storm *storm = current_storm;
  SemaphoreRig *rig = storm->data;
  guint index = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;
  const GValue *value = aio_semaphore_run_job_finish (rig->semaphore, result, &error);

  storm_end_with_index (storm, index, value, error);
}

static void
semaphore_on_wrapped_job_done (GObject      *source_object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  Storm *storm = current_storm;
  guint index = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;
  const GValue *value = aio_job_run_finish (AIO_JOB (source_object), result, &error);

  storm_end_with_index (storm, index, value, error);
}

static void
semaphore_start (Storm        *storm,
                 guint         index,
                 GCancellable *cancellable)
{
  SemaphoreRig *rig = storm->data;
  guint count = g_rand_int_range (storm->rand, 1, 4);
  g_autoptr(AioJob) job = NULL;
  g_autoptr(AioJob) wrapped = NULL;

  rig->counts[index] = count;
  switch (g_rand_int_range (storm->rand, 0, 3))
    {
    case 0:
      aio_semaphore_acquire_async (rig->semaphore, count, cancellable,
                                   semaphore_on_acquired, GUINT_TO_POINTER (index));
      break;

    case 1:
      job = tick_job_new (index);
      aio_semaphore_run_job_async (rig->semaphore, count, job, cancellable,
                                   semaphore_on_job_done, GUINT_TO_POINTER (index));
      break;

    default:
      job = tick_job_new (index);
      wrapped = aio_semaphore_create_job (rig->semaphore, count, job);
      aio_job_run_async (wrapped, cancellable, semaphore_on_wrapped_job_done, GUINT_TO_POINTER (index));
      break;
    }
}

static gboolean
semaphore_is_at_rest (gpointer data)
{
  AioSemaphore *semaphore = data;

  return aio_semaphore_get_value (semaphore) == SEMAPHORE_CAPACITY &&
         aio_semaphore_get_waiters (semaphore) == 0;
}

static void
test_storm_semaphore (void)
{
  guint n_calls = storm_calls ();
  SemaphoreRig rig = {
    .semaphore = aio_semaphore_new_bounded (SEMAPHORE_CAPACITY),
    .counts = g_new0 (guint, n_calls),
  };
  Storm *storm = storm_new (n_calls, semaphore_start, &rig);

  storm_run (storm);
  /* A job cancelled while it ran holds its permits until it completes. */
  iterate_until (semaphore_is_at_rest, rig.semaphore, "the semaphore to be at rest");
  g_assert_cmpuint (aio_semaphore_get_value (rig.semaphore), ==, SEMAPHORE_CAPACITY);
  g_assert_cmpuint (aio_semaphore_get_waiters (rig.semaphore), ==, 0);
  g_assert_cmpuint (storm->n_succeeded, >, 0);
  g_assert_cmpuint (storm->n_cancelled, >, 0);

  storm_free (storm);
  g_free (rig.counts);
  unref_and_wait_for_finalize (rig.semaphore);
}

/* Rate limiter */

static void
limiter_on_acquired (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Storm *storm = current_storm;
  guint index = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;

  aio_rate_limiter_acquire_finish (AIO_RATE_LIMITER (source_object), result, &error);
  storm_check_outcome (storm, index, error);
  storm_call_done (storm, index);
}

static void
limiter_on_job_done (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Storm *storm = current_storm;
  guint index = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;
  const GValue *value = aio_rate_limiter_run_job_finish (AIO_RATE_LIMITER (source_object), result, &error);

  storm_end_with_index (storm, index, value, error);
}

static void
limiter_start (Storm        *storm,
               guint         index,
               GCancellable *cancellable)
{
  AioRateLimiter *limiter = storm->data;
  g_autoptr(AioJob) job = NULL;

  if (g_rand_boolean (storm->rand))
    {
      aio_rate_limiter_acquire_async (limiter, cancellable, limiter_on_acquired, GUINT_TO_POINTER (index));
      return;
    }

  job = tick_job_new (index);
  aio_rate_limiter_run_job_async (limiter, job, cancellable, limiter_on_job_done, GUINT_TO_POINTER (index));
}

static gboolean
limiter_has_no_waiters (gpointer data)
{
  return aio_rate_limiter_get_waiters (data) == 0;
}

static void
test_storm_rate_limiter (void)
{
  g_autoptr(GError) error = NULL;
  /* 20,000 starts a second: fast enough for the suite, slow enough that
   * a queue of waiters builds up behind it. */
  AioRateLimiter *limiter = aio_rate_limiter_new (20, 0.001, 0.0, &error);
  Storm *storm;

  g_assert_no_error (error);
  storm = storm_new (storm_calls (), limiter_start, limiter);
  storm_run (storm);
  iterate_until (limiter_has_no_waiters, limiter, "the rate limiter's queue to empty");
  g_assert_cmpuint (aio_rate_limiter_get_waiters (limiter), ==, 0);
  g_assert_cmpuint (storm->n_succeeded, >, 0);
  g_assert_cmpuint (storm->n_cancelled, >, 0);

  storm_free (storm);
  unref_and_wait_for_finalize (limiter);
}

/* Thread pool */

typedef struct
{
  AioThreadPool *pool;
  gint          *runs;       /* per call, on workers */
  guint8        *destroyed;  /* per call: func_data_destroy */
} ThreadRig;

static ThreadRig *thread_rig;

static gboolean
thread_func (GCancellable  *cancellable,
             GValue        *result,
             gpointer       user_data,
             GError       **error)
{
  guint index = GPOINTER_TO_UINT (user_data) - 1;

  g_atomic_int_inc (&thread_rig->runs[index]);
  /* Some calls take a while, until cancelled or for a millisecond at
   * most, so that cancellations find them running. */
  if (index % 32 == 0)
    {
      gint64 end = g_get_monotonic_time () + G_TIME_SPAN_MILLISECOND;

      while (!g_cancellable_is_cancelled (cancellable) && g_get_monotonic_time () < end)
        g_usleep (50);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_value_init (result, G_TYPE_UINT);
  g_value_set_uint (result, index);

  return TRUE;
}

static void
thread_func_data_destroy (gpointer data)
{
  thread_rig->destroyed[GPOINTER_TO_UINT (data) - 1]++;
}

static void
thread_on_done (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Storm *storm = current_storm;
  guint index = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;
  GValue *value = aio_thread_pool_run_finish (AIO_THREAD_POOL (source_object), result, &error);

  if (value != NULL)
    {
      g_assert_cmpuint (g_value_get_uint (value), ==, index);
      g_boxed_free (G_TYPE_VALUE, value);
    }
  storm_check_outcome (storm, index, error);
  storm_call_done (storm, index);
}

static void
thread_start (Storm        *storm,
              guint         index,
              GCancellable *cancellable)
{
  aio_thread_pool_run_async (thread_rig->pool, thread_func, GUINT_TO_POINTER (index + 1),
                             thread_func_data_destroy, cancellable,
                             thread_on_done, GUINT_TO_POINTER (index));
}

static gboolean
pool_is_idle (gpointer data)
{
  return aio_executor_pool_get_running (data) == 0 && aio_executor_pool_get_queued (data) == 0;
}

static void
test_storm_thread_pool (void)
{
  guint n_calls = storm_calls ();
  ThreadRig rig = {
    .pool = aio_thread_pool_new (4),
    .runs = g_new0 (gint, n_calls),
    .destroyed = g_new0 (guint8, n_calls),
  };
  Storm *storm;

  thread_rig = &rig;
  storm = storm_new (n_calls, thread_start, NULL);
  storm_run (storm);
  iterate_until (pool_is_idle, rig.pool, "the thread pool to be idle");

  for (guint i = 0; i < n_calls; i++)
    {
      g_assert_cmpuint (rig.destroyed[i], ==, 1);
      g_assert_cmpint (rig.runs[i], <=, 1);
      /* A call cancelled before it was made never runs. */
      if (storm->moments[i] == CANCEL_BEFORE)
        g_assert_cmpint (rig.runs[i], ==, 0);
    }
  g_assert_cmpuint (storm->n_succeeded, >, 0);
  g_assert_cmpuint (storm->n_cancelled, >, 0);

  storm_free (storm);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (rig.pool), TRUE);
  unref_and_wait_for_finalize (rig.pool);
  g_free (rig.runs);
  g_free (rig.destroyed);
  thread_rig = NULL;
}

/* Process pool */

static void
process_on_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Storm *storm = current_storm;
  guint index = GPOINTER_TO_UINT (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &error);

  if (value != NULL)
    g_assert_cmpint (g_variant_get_int32 (value), ==, (gint32) index + 1);
  storm_check_outcome (storm, index, error);
  storm_call_done (storm, index);
}

static void
process_start (Storm        *storm,
               guint         index,
               GCancellable *cancellable)
{
  aio_process_pool_call_async (storm->data, "add", g_variant_new ("(ii)", (gint32) index, 1),
                               cancellable, process_on_done, GUINT_TO_POINTER (index));
}

static void
test_storm_process_pool (void)
{
  /* A cancelled running call kills its worker, and a new one is spawned
   * on demand: the storm exercises that path too. */
  AioProcessPool *pool = aio_process_pool_new (2, NULL);
  Storm *storm = storm_new (storm_calls (), process_start, pool);

  storm_run (storm);
  iterate_until (pool_is_idle, pool, "the process pool to be idle");
  g_assert_cmpuint (storm->n_succeeded, >, 0);
  g_assert_cmpuint (storm->n_cancelled, >, 0);

  storm_free (storm);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  unref_and_wait_for_finalize (pool);
}

/* Collector: each call is one collection of 1 to 64 jobs that run through
 * the semaphore, the rate limiter and both pools. */

#define MAX_ITEMS 64

typedef struct
{
  AioSemaphore   *semaphore;
  AioRateLimiter *limiter;
  AioThreadPool  *thread_pool;
  AioProcessPool *process_pool;
  guint           n_items;       /* jobs made */
  guint           n_producers;   /* producers made */
  guint           n_producers_freed;
} CollectorRig;

/* One collection and its consumer. */
typedef struct
{
  Storm        *storm;
  guint         index;
  AioCollector *collector;
  guint         n_items;
  guint         n_produced;      /* a producer's input */
  guint         n_handed_out;    /* next_async's items */
  gboolean      has_failing_item;
  gboolean      has_producer;    /* the collector holds this record */
  gboolean      is_ended;
  GCancellable *cancellable;
} Collection;

static gboolean
collector_thread_func (GCancellable  *cancellable,
                       GValue        *result,
                       gpointer       user_data,
                       GError       **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_value_init (result, G_TYPE_UINT);
  g_value_set_uint (result, GPOINTER_TO_UINT (user_data));

  return TRUE;
}

/* A job for item @item: plain, on a thread, in a process, and maybe
 * behind the semaphore or the rate limiter. One in 50 fails. */
static AioJob *
collection_make_job (Collection *collection,
                     guint       item)
{
  Storm *storm = collection->storm;
  CollectorRig *rig = storm->data;
  g_autoptr(AioJob) inner = NULL;
  guint kind = g_rand_int_range (storm->rand, 0, 100);

  rig->n_items++;
  if (kind < 2)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "item failed");

      collection->has_failing_item = TRUE;
      return aio_job_new_for_error (error);
    }
  if (kind < 4)
    inner = aio_process_pool_create_job (rig->process_pool, "add", g_variant_new ("(ii)", (gint32) item, 0));
  else if (kind < 50)
    inner = aio_thread_pool_create_job (rig->thread_pool, collector_thread_func, GUINT_TO_POINTER (item), NULL);
  else
    inner = tick_job_new (item);

  switch (g_rand_int_range (storm->rand, 0, 3))
    {
    case 0:
      return aio_semaphore_create_job (rig->semaphore, g_rand_int_range (storm->rand, 1, 4), inner);
    case 1:
      return aio_rate_limiter_create_job (rig->limiter, inner);
    default:
      return g_steal_pointer (&inner);
    }
}

/* The item index a successful job of the collection holds. */
static guint
item_value (AioJob *job)
{
  const GValue *value = aio_job_propagate_value (job, NULL);

  g_assert_nonnull (value);
  if (G_VALUE_HOLDS (value, G_TYPE_VARIANT))
    return (guint) g_variant_get_int32 (g_value_get_variant (value));

  return g_value_get_uint (value);
}

static AioJob *
collection_produce (gpointer   user_data,
                    GError   **error)
{
  Collection *collection = user_data;

  if (collection->n_produced == collection->n_items)
    return NULL;

  return collection_make_job (collection, collection->n_produced++);
}

static void
collection_producer_freed (gpointer user_data)
{
  Collection *collection = user_data;
  CollectorRig *rig = collection->storm->data;

  rig->n_producers_freed++;
  collection->has_producer = FALSE;
  if (collection->is_ended)
    g_free (collection);
}

/* Once a collection has ended, nothing it started still runs. */
static void
collection_end (Collection   *collection,
                const GError *error)
{
  Storm *storm = collection->storm;
  AioCollector *collector = collection->collector;

  g_assert_cmpint (aio_collector_get_started (collector), ==, aio_collector_get_completed (collector));
  g_assert_cmpint (aio_collector_get_failed (collector), <=, aio_collector_get_completed (collector));
  g_assert_cmpint (aio_collector_get_started (collector), <=, collection->n_items);
  if (error == NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED))
    storm_check_outcome (storm, collection->index, error);
  else
    g_assert_true (collection->has_failing_item);
  if (error == NULL && aio_collector_get_policy (collector) == AIO_COLLECTOR_POLICY_SETTLE_ALL)
    g_assert_cmpint (aio_collector_get_completed (collector), ==, collection->n_items);

  collection->is_ended = TRUE;
  g_clear_object (&collection->cancellable);
  storm_call_done (storm, collection->index);
  g_object_unref (collector);
  if (!collection->has_producer)
    g_free (collection);
}

static void
collection_on_collected (GObject      *source_object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Collection *collection = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = aio_collector_collect_finish (collection->collector, result, &error);

  if (jobs != NULL)
    {
      gboolean is_settle_all = aio_collector_get_policy (collection->collector) == AIO_COLLECTOR_POLICY_SETTLE_ALL;

      g_assert_cmpuint (jobs->len, ==, collection->n_items);
      for (guint i = 0; i < jobs->len; i++)
        if (!is_settle_all || aio_job_get_state (jobs->pdata[i]) == AIO_JOB_STATE_SUCCEEDED)
          g_assert_cmpuint (item_value (jobs->pdata[i]), ==, i);
    }
  collection_end (collection, error);
}

static void collection_next (Collection *collection);

static void
collection_on_next (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Collection *collection = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AioJob) job = aio_collector_next_finish (collection->collector, result, &error);

  if (job != NULL)
    {
      /* Items come in input order; a failed one yields its error. */
      if (aio_job_get_state (job) == AIO_JOB_STATE_SUCCEEDED)
        g_assert_cmpuint (item_value (job), ==, collection->n_handed_out);
      collection->n_handed_out++;
      collection_next (collection);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !aio_collector_is_cancelled (collection->collector))
    {
      /* Only that wait gave up: the consumer now cancels the collection
       * and takes the rest until the end. */
      g_clear_object (&collection->cancellable);
      aio_collector_cancel (collection->collector);
      collection_next (collection);
      return;
    }
  if (error == NULL)
    g_assert_cmpuint (collection->n_handed_out, ==, collection->n_items);
  collection_end (collection, error);
}

static void
collection_next (Collection *collection)
{
  aio_collector_next_async (collection->collector, collection->cancellable,
                            collection_on_next, collection);
}

static AioCollector *
collection_new_collector (Collection *collection)
{
  Storm *storm = collection->storm;
  CollectorRig *rig = storm->data;
  AioCollectorPolicy policy = g_rand_boolean (storm->rand) ? AIO_COLLECTOR_POLICY_FAIL_FAST
                                                           : AIO_COLLECTOR_POLICY_SETTLE_ALL;
  int workers = g_rand_int_range (storm->rand, 1, 9);
  int max_pending = g_rand_int_range (storm->rand, 0, 9);
  g_autoptr(GError) error = NULL;
  AioCollector *collector;

  if (g_rand_boolean (storm->rand))
    {
      rig->n_producers++;
      collection->has_producer = TRUE;
      collector = aio_collector_new_for_producer (workers, max_pending, policy,
                                                  collection_produce, collection,
                                                  collection_producer_freed, &error);
    }
  else
    {
      AioJob *jobs[MAX_ITEMS];

      for (guint i = 0; i < collection->n_items; i++)
        jobs[i] = collection_make_job (collection, i);
      collector = aio_collector_new_for_jobs (jobs, collection->n_items, workers, max_pending, policy, &error);
      for (guint i = 0; i < collection->n_items; i++)
        g_object_unref (jobs[i]);
    }
  g_assert_no_error (error);

  return collector;
}

static void
collector_start (Storm        *storm,
                 guint         index,
                 GCancellable *cancellable)
{
  Collection *collection = g_new0 (Collection, 1);

  collection->storm = storm;
  collection->index = index;
  collection->n_items = g_rand_int_range (storm->rand, 1, MAX_ITEMS + 1);
  collection->collector = collection_new_collector (collection);

  if (g_rand_boolean (storm->rand))
    {
      aio_collector_collect_async (collection->collector, cancellable, collection_on_collected, collection);
      return;
    }

  collection->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  collection_next (collection);
}

static void
test_storm_collector (void)
{
  g_autoptr(GError) error = NULL;
  CollectorRig rig = {
    .semaphore = aio_semaphore_new_bounded (SEMAPHORE_CAPACITY),
    .limiter = aio_rate_limiter_new (20, 0.001, 0.0, &error),
    .thread_pool = aio_thread_pool_new (4),
    .process_pool = aio_process_pool_new (2, NULL),
  };
  /* About 22 jobs per collection are made: a cancelled or failed
   * producer collection stops early. */
  Storm *storm = storm_new (MAX (1, storm_calls () / 22), collector_start, &rig);

  g_assert_no_error (error);
  storm_run (storm);
  iterate_until (semaphore_is_at_rest, rig.semaphore, "the semaphore to be at rest");
  iterate_until (limiter_has_no_waiters, rig.limiter, "the rate limiter's queue to empty");
  iterate_until (pool_is_idle, rig.thread_pool, "the thread pool to be idle");
  iterate_until (pool_is_idle, rig.process_pool, "the process pool to be idle");
  g_assert_cmpuint (rig.n_producers_freed, ==, rig.n_producers);
  g_test_message ("%u jobs in %u collections", rig.n_items, storm->n_calls);

  storm_free (storm);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (rig.thread_pool), TRUE);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (rig.process_pool), TRUE);
  unref_and_wait_for_finalize (rig.thread_pool);
  unref_and_wait_for_finalize (rig.process_pool);
  unref_and_wait_for_finalize (rig.semaphore);
  unref_and_wait_for_finalize (rig.limiter);
}

int
main (int   argc,
      char *argv[])
{
  if (aio_worker_is_requested ())
    {
      g_autoptr(AioWorker) worker = aio_worker_new ();

      test_worker_register_functions (worker);
      return aio_worker_run (worker);
    }

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/storm/semaphore/every-waiter-called-back-once-and-permits-restored", test_storm_semaphore);
  g_test_add_func ("/storm/rate-limiter/every-waiter-called-back-once-and-queue-empty", test_storm_rate_limiter);
  g_test_add_func ("/storm/thread-pool/every-call-called-back-once-and-pool-idle", test_storm_thread_pool);
  g_test_add_func ("/storm/process-pool/every-call-called-back-once-and-pool-idle", test_storm_process_pool);
  g_test_add_func ("/storm/collector/every-collection-ends-once-with-nothing-running", test_storm_collector);

  return g_test_run ();
}
