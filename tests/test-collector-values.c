/* test-collector-values.c: the collector's C fast path, items given as
 * plain values by an item producer and results read back as values
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

/* What each produced item is. */
typedef enum
{
  ITEM_VALUE,           /* a plain value, the fast path */
  ITEM_JOB,             /* an AioJob that completes at once when started */
  ITEM_SLOW_JOB,        /* an AioJob that completes after a timeout */
  ITEM_FAILING_JOB,     /* an AioJob that fails after a timeout */
  ITEM_LONG_JOB,        /* an AioJob that runs for 10 s unless cancelled */
  ITEM_ERROR,           /* the producer fails */
  ITEM_BOTH,            /* a value and a job: a producer bug */
  ITEM_CANCEL,          /* the producer cancels the collector, then gives a job */
  ITEM_TRIGGER,         /* a value; the producer cancels its cancellable */
} ItemKind;

typedef struct
{
  guint         n_items;
  ItemKind    (*kind_of) (guint index);
  guint         produced;          /* calls that made an item or failed */
  guint         calls;             /* every call, the end of input included */
  gboolean      is_released;
  AioCollector *collector;         /* for ITEM_CANCEL, borrowed */
  AioJob       *last_job;          /* the last job given, borrowed (ITEM_CANCEL) */
  GCancellable *cancellable;       /* for ITEM_TRIGGER, borrowed */
  guint         jobs_started;
  guint         jobs_cancelled;
  guint         slow_running;
} Producer;

static void
producer_release (gpointer data)
{
  Producer *producer = data;

  g_assert_false (producer->is_released);
  producer->is_released = TRUE;
}

static void
return_int (AioJob *job,
            int     number)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, number);
  aio_job_return_value (job, &value);
}

typedef struct
{
  Producer *producer;
  AioJob   *job;           /* borrowed while the timer runs */
  guint     index;
  gboolean  fails;
  guint     delay_ms;
  GSource  *timer;
  gulong    cancelled_id;
  GCancellable *cancellable;
} SlowItem;

static gboolean
slow_item_fire (gpointer user_data)
{
  SlowItem *slow = user_data;

  g_clear_pointer (&slow->timer, g_source_unref);
  slow->producer->slow_running--;
  g_cancellable_disconnect (slow->cancellable, slow->cancelled_id);
  slow->cancelled_id = 0;
  if (slow->fails)
    aio_job_return_error (slow->job, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                  "item %u failed", slow->index));
  else
    return_int (slow->job, (int) slow->index);

  return G_SOURCE_REMOVE;
}

static void
slow_item_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  SlowItem *slow = user_data;

  g_source_destroy (slow->timer);
  g_clear_pointer (&slow->timer, g_source_unref);
  slow->cancelled_id = 0;
  slow->producer->jobs_cancelled++;
  slow->producer->slow_running--;
  aio_job_return_error_literal (slow->job, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
}

static void
slow_item_start (AioJob       *job,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  SlowItem *slow = user_data;

  slow->producer->jobs_started++;
  slow->producer->slow_running++;
  slow->job = job;
  slow->cancellable = cancellable;
  /* Later items finish first: order comes from the collector. */
  slow->timer = g_timeout_source_new (slow->delay_ms);
  g_source_set_callback (slow->timer, slow_item_fire, slow, NULL);
  g_source_attach (slow->timer, g_main_context_get_thread_default ());
  slow->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (slow_item_cancelled), slow, NULL);
}

static void
quick_item_start (AioJob       *job,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  SlowItem *item = user_data;

  item->producer->jobs_started++;
  return_int (job, (int) item->index);
}

static AioJob *
item_job_new (Producer *producer,
              guint     index,
              ItemKind  kind)
{
  SlowItem *item = g_new0 (SlowItem, 1);

  item->producer = producer;
  item->index = index;
  item->fails = kind == ITEM_FAILING_JOB;
  if (kind == ITEM_FAILING_JOB)
    item->delay_ms = 5;
  else if (kind == ITEM_LONG_JOB)
    item->delay_ms = 10000;
  else
    item->delay_ms = 30 - index % 20;

  return aio_job_new (kind == ITEM_JOB || kind == ITEM_CANCEL ? quick_item_start : slow_item_start,
                      item, g_free);
}

static void
set_int (GValue *value,
         guint   index)
{
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, (int) index);
}

static void
produce (gpointer   user_data,
         GValue    *value,
         AioJob   **job,
         GError   **error)
{
  Producer *producer = user_data;
  guint index = producer->produced;

  g_assert_false (producer->is_released);
  g_assert_false (G_IS_VALUE (value));
  g_assert_null (*job);
  producer->calls++;
  if (index == producer->n_items)
    return;

  producer->produced++;
  switch (producer->kind_of (index))
    {
    case ITEM_VALUE:
      set_int (value, index);
      break;

    case ITEM_ERROR:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no item %u", index);
      break;

    case ITEM_BOTH:
      set_int (value, index);
      *job = item_job_new (producer, index, ITEM_JOB);
      break;

    case ITEM_TRIGGER:
      g_cancellable_cancel (producer->cancellable);
      set_int (value, index);
      break;

    case ITEM_CANCEL:
      aio_collector_cancel (producer->collector);
      *job = item_job_new (producer, index, ITEM_CANCEL);
      producer->last_job = *job;
      break;

    case ITEM_JOB:
    case ITEM_SLOW_JOB:
    case ITEM_FAILING_JOB:
    case ITEM_LONG_JOB:
    default:
      *job = item_job_new (producer, index, producer->kind_of (index));
      break;
    }
}

static ItemKind
all_values (guint index)
{
  return ITEM_VALUE;
}

static ItemKind
mixed (guint index)
{
  static const ItemKind kinds[] = { ITEM_SLOW_JOB, ITEM_VALUE, ITEM_JOB, ITEM_VALUE };

  return kinds[index % G_N_ELEMENTS (kinds)];
}

static ItemKind
values_and_long_jobs (guint index)
{
  return index % 2 == 0 ? ITEM_VALUE : ITEM_LONG_JOB;
}

static ItemKind
error_at_5 (guint index)
{
  return index == 5 ? ITEM_ERROR : ITEM_VALUE;
}

static ItemKind
slow_jobs_and_values (guint index)
{
  return index % 2 == 0 ? ITEM_SLOW_JOB : ITEM_VALUE;
}

static ItemKind
slow_jobs_failing_at_3 (guint index)
{
  return index == 3 ? ITEM_FAILING_JOB : slow_jobs_and_values (index);
}

static ItemKind
both_at_2 (guint index)
{
  return index == 2 ? ITEM_BOTH : ITEM_VALUE;
}

static ItemKind
cancel_at_10 (guint index)
{
  return index == 10 ? ITEM_CANCEL : ITEM_VALUE;
}

/* Past the trigger the jobs run long, so that some surely run when the
 * cancellable fires. */
static ItemKind
slow_jobs_trigger_at_20 (guint index)
{
  if (index > 20 && index % 2 == 0)
    return ITEM_LONG_JOB;
  return index == 20 ? ITEM_TRIGGER : slow_jobs_and_values (index);
}

static AioCollector *
collector_new (Producer          *producer,
               guint              n_items,
               ItemKind         (*kind_of) (guint index),
               int                workers,
               int                max_pending,
               AioCollectorPolicy policy)
{
  g_autoptr(GError) error = NULL;
  AioCollector *collector;

  *producer = (Producer) { .n_items = n_items, .kind_of = kind_of };
  collector = aio_collector_new_for_item_producer (workers, max_pending, policy, produce,
                                                   producer, producer_release, &error);
  g_assert_no_error (error);
  producer->collector = collector;

  return collector;
}

/* One asynchronous call's callback: it must run exactly once, in the
 * context that was the thread-default one at the call, never inside the
 * call. */
typedef struct
{
  GMainContext *context;
  gboolean      is_calling;
  guint         n_calls;
  GAsyncResult *result;
} Call;

static void
call_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;

  g_assert_false (call->is_calling);
  g_assert_true (g_main_context_get_thread_default () == call->context);
  g_assert_true (g_main_context_is_owner (call->context));
  call->n_calls++;
  g_assert_cmpuint (call->n_calls, ==, 1);
  call->result = g_object_ref (result);
}

typedef void (*StartFunc) (AioCollector        *collector,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data);

/* Runs one asynchronous call of @collector in @context, or a context of
 * its own, and returns its result. */
static GAsyncResult *
run_call_in (GMainContext *context,
             AioCollector *collector,
             StartFunc     start,
             GCancellable *cancellable)
{
  Call call = { .context = context != NULL ? g_main_context_ref (context) : g_main_context_new () };

  g_main_context_push_thread_default (call.context);
  call.is_calling = TRUE;
  start (collector, cancellable, call_done, &call);
  call.is_calling = FALSE;
  while (call.result == NULL)
    g_main_context_iteration (call.context, TRUE);
  /* Nothing more is delivered once the callback ran. */
  while (g_main_context_iteration (call.context, FALSE))
    ;
  g_assert_cmpuint (call.n_calls, ==, 1);
  g_main_context_pop_thread_default (call.context);
  g_main_context_unref (call.context);

  return call.result;
}

static GAsyncResult *
run_call (AioCollector *collector,
          StartFunc     start,
          GCancellable *cancellable)
{
  return run_call_in (NULL, collector, start, cancellable);
}

static GArray *
collect_values (AioCollector *collector,
                GCancellable *cancellable,
                GError      **error)
{
  g_autoptr(GAsyncResult) result = run_call (collector, aio_collector_collect_values_async, cancellable);

  return aio_collector_collect_values_finish (collector, result, error);
}

static void
assert_int_at (GArray *values,
               guint   index)
{
  GValue *value = &g_array_index (values, GValue, index);

  g_assert_true (G_VALUE_HOLDS_INT (value));
  g_assert_cmpint (g_value_get_int (value), ==, (int) index);
}

static void
on_completed_notify (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  gint64 *last_seen = user_data;

  g_assert_cmpint (aio_collector_get_completed (AIO_COLLECTOR (object)), >, *last_seen);
  *last_seen = aio_collector_get_completed (AIO_COLLECTOR (object));
}

static void
test_values_in_order_with_counters (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 1000, all_values, 4, 0,
                                                     AIO_COLLECTOR_POLICY_FAIL_FAST);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = NULL;
  gint64 completed_seen = 0;

  g_signal_connect (collector, "notify::completed", G_CALLBACK (on_completed_notify), &completed_seen);
  g_assert_cmpint (aio_collector_get_total (collector), ==, -1);
  values = collect_values (collector, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (values->len, ==, 1000);
  for (guint i = 0; i < values->len; i++)
    assert_int_at (values, i);
  g_assert_cmpint (aio_collector_get_total (collector), ==, 1000);
  g_assert_cmpint (aio_collector_get_started (collector), ==, 1000);
  g_assert_cmpint (aio_collector_get_completed (collector), ==, 1000);
  g_assert_cmpint (aio_collector_get_failed (collector), ==, 0);
  g_assert_cmpint (completed_seen, ==, 1000);
  /* The producer is asked once past the end, and let go then. */
  g_assert_cmpuint (producer.calls, ==, 1001);
  g_assert_true (producer.is_released);
}

static void
test_mixed_jobs_and_values_in_order (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 60, mixed, 3, 0,
                                                     AIO_COLLECTOR_POLICY_FAIL_FAST);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = collect_values (collector, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 60);
  for (guint i = 0; i < values->len; i++)
    assert_int_at (values, i);
  g_assert_cmpuint (producer.jobs_started, ==, 30);
  g_assert_cmpint (aio_collector_get_started (collector), ==, 60);
  g_assert_cmpint (aio_collector_get_completed (collector), ==, 60);
}

static void
test_job_input_read_as_values (void)
{
  AioJob *jobs[3];
  g_autoptr(AioCollector) collector = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = NULL;
  Producer unused = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    jobs[i] = item_job_new (&unused, i, ITEM_JOB);
  collector = aio_collector_new_for_jobs (jobs, G_N_ELEMENTS (jobs), 2, 0,
                                          AIO_COLLECTOR_POLICY_FAIL_FAST, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    g_object_unref (jobs[i]);

  values = collect_values (collector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 3);
  for (guint i = 0; i < values->len; i++)
    assert_int_at (values, i);
}

static void
test_producer_error (gconstpointer data)
{
  AioCollectorPolicy policy = GPOINTER_TO_INT (data);
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 100, error_at_5, 2, 0, policy);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = collect_values (collector, NULL, &error);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (values);
  g_assert_cmpuint (producer.calls, ==, 6);
  g_assert_true (producer.is_released);
  g_assert_cmpint (aio_collector_get_started (collector), ==, 5);
}

static void
test_failed_job_fail_fast (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 40, slow_jobs_failing_at_3, 4, 0,
                                                     AIO_COLLECTOR_POLICY_FAIL_FAST);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = collect_values (collector, NULL, &error);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "item 3 failed");
  g_assert_null (values);
  /* The slow jobs running beside it were cancelled, and no more started. */
  g_assert_cmpuint (producer.jobs_cancelled, >, 0);
  g_assert_cmpuint (producer.produced, <, 40);
}

static void
test_failed_job_settle_all (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 40, slow_jobs_failing_at_3, 4, 0,
                                                     AIO_COLLECTOR_POLICY_SETTLE_ALL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = collect_values (collector, NULL, &error);
  GValue *failed;

  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 40);
  for (guint i = 0; i < values->len; i++)
    if (i != 3)
      assert_int_at (values, i);
  failed = &g_array_index (values, GValue, 3);
  g_assert_true (G_VALUE_HOLDS (failed, G_TYPE_ERROR));
  g_assert_error ((GError *) g_value_get_boxed (failed), G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpint (aio_collector_get_failed (collector), ==, 1);
  g_assert_cmpint (aio_collector_get_completed (collector), ==, 40);
}

static void
test_cancel_before_start (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 10, all_values, 2, 0,
                                                     AIO_COLLECTOR_POLICY_SETTLE_ALL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = NULL;

  g_cancellable_cancel (cancellable);
  values = collect_values (collector, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (values);
  g_assert_cmpuint (producer.calls, ==, 0);
  g_assert_true (aio_collector_is_cancelled (collector));
}

/* The producer cancels the collection while it makes item 10: that item's
 * job is dropped without being started, and the producer is not asked
 * again. */
static void
test_cancel_from_producer (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 100, cancel_at_10, 2, 0,
                                                     AIO_COLLECTOR_POLICY_FAIL_FAST);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = collect_values (collector, NULL, &error);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (values);
  g_assert_cmpuint (producer.calls, ==, 11);
  g_assert_cmpuint (producer.jobs_started, ==, 0);
  g_assert_cmpint (aio_collector_get_started (collector), ==, 10);
  g_assert_true (producer.is_released);
}

/* The collect call's cancellable fires mid-collect, with jobs running: the
 * running ones are cancelled, the producer is not asked again. */
static void
test_cancellable_mid_collect (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 200, slow_jobs_trigger_at_20, 4, 0,
                                                     AIO_COLLECTOR_POLICY_SETTLE_ALL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = NULL;

  producer.cancellable = cancellable;
  values = collect_values (collector, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (values);
  g_assert_true (aio_collector_is_cancelled (collector));
  g_assert_cmpuint (producer.jobs_cancelled, >, 0);
  g_assert_cmpuint (producer.slow_running, ==, 0);
  g_assert_cmpuint (producer.produced, <, 200);
  g_assert_true (producer.is_released);
}

/* A stream read one item at a time, on the test's own context. */
typedef struct
{
  Call          call;
  AioCollector *collector;
  Producer     *producer;
  guint         handed;
  guint         max_ahead;        /* produced beyond what was handed out */
  guint         cancel_at;        /* G_MAXUINT: never */
  GError       *error;
  gboolean      is_done;
} Stream;

static void
stream_next (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Stream *stream = user_data;
  g_autoptr(AioJob) job = NULL;
  const GValue *value;

  g_assert_false (stream->call.is_calling);
  g_assert_true (g_main_context_is_owner (stream->call.context));
  job = aio_collector_next_finish (stream->collector, result, &stream->error);
  if (job == NULL)
    {
      stream->is_done = TRUE;
      return;
    }

  /* An immediate item comes out as a completed job of its own. */
  g_assert_true (AIO_IS_JOB (job));
  g_assert_cmpint (aio_job_get_state (job), ==, AIO_JOB_STATE_SUCCEEDED);
  value = aio_job_propagate_value (job, NULL);
  g_assert_cmpint (g_value_get_int (value), ==, (int) stream->handed);
  stream->handed++;
  stream->max_ahead = MAX (stream->max_ahead, stream->producer->produced - stream->handed);
  if (stream->handed == stream->cancel_at)
    aio_collector_cancel (stream->collector);

  stream->call.is_calling = TRUE;
  aio_collector_next_async (stream->collector, NULL, stream_next, stream);
  stream->call.is_calling = FALSE;
}

static void
run_stream (Stream *stream)
{
  stream->call.context = g_main_context_new ();
  g_main_context_push_thread_default (stream->call.context);
  stream->call.is_calling = TRUE;
  aio_collector_next_async (stream->collector, NULL, stream_next, stream);
  stream->call.is_calling = FALSE;
  while (!stream->is_done)
    g_main_context_iteration (stream->call.context, TRUE);
  g_main_context_pop_thread_default (stream->call.context);
  g_main_context_unref (stream->call.context);
}

static void
test_stream_gives_jobs_within_bound (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 500, all_values, 8, 4,
                                                     AIO_COLLECTOR_POLICY_FAIL_FAST);
  Stream stream = { .collector = collector, .producer = &producer, .cancel_at = G_MAXUINT };

  run_stream (&stream);
  g_assert_no_error (stream.error);
  g_assert_cmpuint (stream.handed, ==, 500);
  /* Immediate items take no worker but do take room in the window: the
   * producer never ran more than max-pending + 1 items ahead. */
  g_assert_cmpuint (stream.max_ahead, <=, 5);
  g_assert_cmpint (aio_collector_get_completed (collector), ==, 500);
}

static void
test_cancel_from_stream_callback (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 500, all_values, 8, 4,
                                                     AIO_COLLECTOR_POLICY_SETTLE_ALL);
  Stream stream = { .collector = collector, .producer = &producer, .cancel_at = 7 };

  run_stream (&stream);
  g_assert_error (stream.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (stream.handed, ==, 7);
  g_assert_cmpuint (producer.produced, <=, 7 + 5);
  g_assert_true (producer.is_released);
  g_clear_error (&stream.error);
}

static void
test_collect_jobs_of_immediate_items (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 50, mixed, 4, 0,
                                                     AIO_COLLECTOR_POLICY_FAIL_FAST);
  g_autoptr(GAsyncResult) result = run_call (collector, aio_collector_collect_async, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = aio_collector_collect_finish (collector, result, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 50);
  for (guint i = 0; i < jobs->len; i++)
    {
      const GValue *value = aio_job_propagate_value (jobs->pdata[i], &error);

      g_assert_no_error (error);
      g_assert_cmpint (g_value_get_int (value), ==, (int) i);
    }
}

static void
test_both_value_and_job_fails (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 10, both_at_2, 2, 0,
                                                     AIO_COLLECTOR_POLICY_SETTLE_ALL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = collect_values (collector, NULL, &error);

  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_null (values);
  g_assert_cmpuint (producer.jobs_started, ==, 0);
}

static void
test_empty_input_ends_at_once (void)
{
  Producer producer;
  g_autoptr(AioCollector) collector = collector_new (&producer, 0, all_values, 2, 0,
                                                     AIO_COLLECTOR_POLICY_FAIL_FAST);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) values = collect_values (collector, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 0);
  g_assert_cmpint (aio_collector_get_total (collector), ==, 0);
  g_assert_cmpuint (producer.calls, ==, 1);
}

static void
test_null_producer_is_refused (void)
{
  AioCollector *collector;

  g_test_expect_message ("Aio", G_LOG_LEVEL_CRITICAL, "*producer != NULL*");
  collector = aio_collector_new_for_item_producer (2, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
                                                   NULL, NULL, NULL, NULL);
  g_test_assert_expected_messages ();
  g_assert_null (collector);
}

/* Dropping a collector whose window holds immediate items and running
 * jobs frees the first and cancels the others. */
static void
test_dispose_with_held_values (void)
{
  Producer producer;
  AioCollector *collector = collector_new (&producer, 500, values_and_long_jobs, 4, 16,
                                           AIO_COLLECTOR_POLICY_FAIL_FAST);
  GMainContext *context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AioJob) first = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  result = run_call_in (context, collector, aio_collector_next_async, NULL);
  first = aio_collector_next_finish (collector, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (aio_job_propagate_value (first, NULL)), ==, 0);
  g_assert_cmpuint (producer.slow_running, >, 0);
  g_assert_cmpint (aio_collector_get_started (collector), >, 4);

  /* The result holds the collector too. */
  g_clear_object (&result);
  g_object_unref (collector);
  while (producer.slow_running > 0)
    g_main_context_iteration (context, TRUE);
  while (g_main_context_iteration (context, FALSE))
    ;
  /* Left alone, each would have run for 10 s. */
  g_assert_cmpuint (producer.jobs_cancelled, ==, producer.jobs_started);
  g_assert_true (producer.is_released);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/collector-values/collect/values-in-order-with-counters",
                   test_values_in_order_with_counters);
  g_test_add_func ("/collector-values/collect/mixed-jobs-and-values-in-order",
                   test_mixed_jobs_and_values_in_order);
  g_test_add_func ("/collector-values/collect/job-input-read-as-values", test_job_input_read_as_values);
  g_test_add_data_func ("/collector-values/producer-error/fail-fast",
                        GINT_TO_POINTER (AIO_COLLECTOR_POLICY_FAIL_FAST), test_producer_error);
  g_test_add_data_func ("/collector-values/producer-error/settle-all",
                        GINT_TO_POINTER (AIO_COLLECTOR_POLICY_SETTLE_ALL), test_producer_error);
  g_test_add_func ("/collector-values/failed-job/fail-fast", test_failed_job_fail_fast);
  g_test_add_func ("/collector-values/failed-job/settle-all-holds-the-error", test_failed_job_settle_all);
  g_test_add_func ("/collector-values/cancel/before-start", test_cancel_before_start);
  g_test_add_func ("/collector-values/cancel/from-producer-starts-nothing-more", test_cancel_from_producer);
  g_test_add_func ("/collector-values/cancel/from-stream-callback", test_cancel_from_stream_callback);
  g_test_add_func ("/collector-values/cancel/cancellable-mid-collect", test_cancellable_mid_collect);
  g_test_add_func ("/collector-values/next/gives-jobs-within-bound", test_stream_gives_jobs_within_bound);
  g_test_add_func ("/collector-values/collect/jobs-of-immediate-items", test_collect_jobs_of_immediate_items);
  g_test_add_func ("/collector-values/producer/value-and-job-is-an-error", test_both_value_and_job_fails);
  g_test_add_func ("/collector-values/producer/nothing-is-the-end", test_empty_input_ends_at_once);
  g_test_add_func ("/collector-values/producer/null-is-refused", test_null_producer_is_refused);
  g_test_add_func ("/collector-values/dispose/frees-held-values", test_dispose_with_held_values);

  return g_test_run ();
}
