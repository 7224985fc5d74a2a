/* aio-collector.c: collect and resolve many jobs, ordered and bounded
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-collector.h"
#include "aio-enum-types.h"
#include "aio-error.h"
#include "aio-i18n-private.h"
#include "aio-job-private.h"
#include "aio-cancel-source-private.h"
#include "aio-notify-batcher-private.h"
#include "aio-thread-result-private.h"

/**
 * SECTION:aio-collector
 * @title: AioCollector
 * @short_description: collect and resolve: run jobs with bounded concurrency, results in input order
 * @include: aioext.h
 *
 * An AioCollector runs many jobs with a bounded number in flight and hands
 * their outcomes back in input order: aioextensions' `collect()` and
 * `resolve()`. Its input is a list of jobs or a producer asked for the next
 * job only when a worker slot is free, so an input of any length runs in
 * bounded memory, and at most #AioCollector:max-pending finished outcomes
 * wait for the consumer.
 *
 * Use it for "do this to every item, a few at a time, and show the results
 * in order": fetching pages, converting files, checksumming a folder (see
 * [Using aioext in a GTK app][aioext-gtk-app]). Its counters,
 * #AioCollector:started, #AioCollector:completed and #AioCollector:failed,
 * are notified in its main context, so a progress bar or a label can be
 * bound to them with g_object_bind_property().
 *
 * The programs below are examples/collector-fetch.* of the sources, run by the test
 * suite; [the chapter on every class][aioext-languages-collector] tells what
 * each language gets.
 *
 * <example id="AioCollector-example-c">
 * <title>C: <filename>examples/collector-fetch.c</filename></title>
 * <programlisting><xi:include parse="text" href="../example-collector-fetch.c"/></programlisting>
 * </example>
 * <example id="AioCollector-example-py">
 * <title>Python: <filename>examples/collector-fetch.py</filename></title>
 * <programlisting><xi:include parse="text" href="../example-collector-fetch.py"/></programlisting>
 * </example>
 * <example id="AioCollector-example-js">
 * <title>JavaScript (GJS): <filename>examples/collector-fetch.js</filename></title>
 * <programlisting><xi:include parse="text" href="../example-collector-fetch.js"/></programlisting>
 * </example>
 * <example id="AioCollector-example-vala">
 * <title>Vala: <filename>examples/collector-fetch.vala</filename></title>
 * <programlisting><xi:include parse="text" href="../example-collector-fetch.vala"/></programlisting>
 * </example>
 */

/**
 * AioCollector:
 *
 * Runs many jobs with at most #AioCollector:workers of them in flight and
 * hands their outcomes back in input order: all at once with
 * aio_collector_collect_async(), or one by one with
 * aio_collector_next_async(), aioextensions' `collect()` and `resolve()`.
 *
 * The input is a finite list of jobs (aio_collector_new_for_jobs()) or a
 * producer called for the next job only when a worker slot is free
 * (aio_collector_new_for_producer()), so an unbounded input runs in constant
 * memory. Any #AioJob can be fed in: thread-pool and process-pool calls,
 * semaphore- or rate-limited jobs, jobs wrapping a GIO `_async`/`_finish`
 * pair; a job that is already running or already finished is simply waited
 * for.
 *
 * Nothing starts before the first aio_collector_collect_async() or
 * aio_collector_next_async(). While the consumer of aio_collector_next_async()
 * is slower than the workers, at most #AioCollector:max-pending finished
 * results wait behind the next one to be handed out: a new job starts only
 * while the jobs after the next unconsumed item number fewer than that
 * bound, so memory stays bounded even behind one slow head item.
 *
 * With %AIO_COLLECTOR_POLICY_FAIL_FAST the first job that fails cancels every
 * other running job and the remaining input, and the collection fails with
 * the error of the first failed job in input order (jobs cancelled by the
 * collector do not count). With %AIO_COLLECTOR_POLICY_SETTLE_ALL every job
 * yields its own outcome. Cancelling the collector (aio_collector_cancel(),
 * the #GCancellable of aio_collector_collect_async(), or dropping the last
 * reference while jobs run) cancels every job and starts nothing more. A
 * failed collection is reported only once every job it started has
 * completed, so no job of the collection runs after that callback.
 *
 * For inputs of many small items, C has a fast path: an item producer
 * (aio_collector_new_for_item_producer()) may give a value known at once in
 * place of a job, and aio_collector_collect_values_async() reads every
 * result back as a #GValue, so no #AioJob is made for such an item. Its
 * items go through the same window, bounds, policy, counters and
 * cancellation as jobs. It is C only; bindings use the job API, which
 * does the same at the cost of one object per item.
 *
 * Everything, from starting jobs to notifying the progress properties
 * (#AioCollector:started, #AioCollector:completed, #AioCollector:failed,
 * #AioCollector:total), happens in the thread-default main context of the
 * first aio_collector_collect_async() or aio_collector_next_async() call,
 * which starts the collection; use the collector from there. It may be
 * created anywhere, for example in `main()` before aio_run().
 *
 * From C:
 * |[<!-- language="C" -->
 * collector = aio_collector_new_for_jobs (jobs, n_jobs, 8, 16,
 *                                         AIO_COLLECTOR_POLICY_SETTLE_ALL,
 *                                         &error);
 * aio_collector_next_async (collector, NULL, on_next, NULL);
 * ...
 * job = aio_collector_next_finish (collector, result, &error);
 * if (job != NULL)
 *   value = aio_job_propagate_value (job, &item_error);
 * ]|
 *
 * From Python:
 * |[<!-- language="Python" -->
 * collector = Aio.Collector.new_for_jobs(jobs, 8, 16,
 *                                        Aio.CollectorPolicy.SETTLE_ALL)
 * def done(collector, result):
 *     values = [job.propagate_value() for job in collector.collect_finish(result)]
 * collector.collect_async(None, done)
 * ]|
 *
 * From JavaScript:
 * |[<!-- language="JavaScript" -->
 * Gio._promisify(Aio.Collector.prototype, 'next_async', 'next_finish');
 * const collector = Aio.Collector.new_for_producer(4, 8,
 *     Aio.CollectorPolicy.FAIL_FAST, () => makeJobOrNull());
 * for (let job; (job = await collector.next_async(null)) !== null;)
 *     print(job.propagate_value());
 * ]|
 *
 * From Vala:
 * |[<!-- language="Vala" -->
 * var collector = new Aio.Collector.for_jobs (jobs, 8, 16,
 *                                             Aio.CollectorPolicy.SETTLE_ALL);
 * Aio.Job? job;
 * while ((job = yield collector.next (null)) != null)
 *     print ("%d\n", job.propagate_value ().get_int ());
 * ]|
 */

/* How many jobs one dispatch of the pump starts at most, so that the first
 * results are handed out before a wide window has been filled. */
#define START_BATCH 128

/* How many items, and how much time, one dispatch of the pump spends on
 * aio_collector_next_async() callers at most (the clock is read every
 * DELIVERY_CLOCK_STEP items). A consumer that asks for the next item from
 * its callback is served in the same dispatch, so a wide window of finished
 * items would otherwise go out in one go with nothing else running
 * meanwhile. Past the cap the pump comes back at idle priority: first every
 * source of a higher priority (a GTK app's layout and drawing) and the
 * idles already queued run. 4 ms is a quarter of a 60 Hz frame. */
#define DELIVERY_BATCH      256
#define DELIVERY_CLOCK_STEP 32
#define DELIVERY_BUDGET_US  4000

/* One input item from the moment it starts until it is handed out. A running
 * slot is also its job's watch: when the collector goes away first, @owner
 * is cleared and the watch's function frees the slot. An immediate item of
 * an item producer has no job and never runs: its value takes the watch's
 * place, so the fast path costs no object and no more memory per item. */
typedef struct
{
  union
  {
    AioJobWatch watch;        /* first: the completion is the slot */
    GValue      value;        /* an immediate item's, when @job is NULL */
  };
  AioCollector *owner;
  AioJob       *job;
  guint64       index;
  guint         is_running : 1;
  guint         is_cancel_requested : 1;
} Slot;

struct _AioCollector
{
  GObject             parent_instance;

  int                 workers;
  int                 max_pending;
  AioCollectorPolicy  policy;
  gboolean            is_initialized;
  GMainContext       *context;
  AioCompletionQueue *completions;         /* the context's, once started */

  /* The input: a list, or a producer. */
  AioJob            **jobs;
  guint               n_jobs;
  guint               cursor;
  gboolean            is_rest_cancelled;    /* jobs[cursor..] were cancelled */
  AioJobProducer      producer;
  AioItemProducer     item_producer;
  gpointer            producer_data;
  GDestroyNotify      producer_data_destroy;
  gboolean            is_input_exhausted;

  /* The window: items head..tail-1 started and not handed out yet, in a ring
   * of a power-of-two capacity. */
  Slot              **ring;
  guint64             ring_mask;
  Slot               *spare_slots[START_BATCH];
  guint               n_spare_slots;
  guint64             head;
  guint64             tail;
  guint               n_running;

  /* The consumers. */
  gboolean            is_started;
  GTask              *collect_task;
  GPtrArray          *results;              /* jobs, for aio_collector_collect_async() */
  GArray             *values;               /* GValues, for aio_collector_collect_values_async() */
  GQueue              next_waiters;         /* NextWaiter, in call order */
  gboolean            is_held_by_waiters;   /* one reference while any wait */
  gpointer            spare_waiter;         /* a freed NextWaiter, reused */
  guint               deliveries_left;      /* in this pump dispatch */
  gint64              dispatch_began;       /* monotonic, in microseconds */

  /* The failure, with the input index it belongs to: items before it can
   * still be handed out. */
  GError             *error;
  guint64             error_index;
  gboolean            is_cancelled;
  gboolean            is_finished;

  GSource            *pump;
  gboolean            is_pump_armed;        /* its ready time is 0 */
  gboolean            is_wake_pending;      /* asked for since its dispatch began */
  AioNotifyBatcher   *notify;               /* flushed once per pump dispatch */

  gint64              total;
  gint64              started;
  gint64              completed;
  gint64              failed;
};

static void aio_collector_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AioCollector, aio_collector, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      aio_collector_initable_iface_init))

enum {
  PROP_0,
  PROP_WORKERS,
  PROP_MAX_PENDING,
  PROP_POLICY,
  PROP_TOTAL,
  PROP_STARTED,
  PROP_COMPLETED,
  PROP_FAILED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
slot_is_immediate (Slot *slot)
{
  return slot->job == NULL;
}

/* Drops the item, leaving @slot empty. */
static void
slot_clear (Slot *slot)
{
  if (slot_is_immediate (slot))
    g_value_unset (&slot->value);
  else
    g_clear_object (&slot->job);
}

static void
slot_free (Slot *slot)
{
  slot_clear (slot);
  g_free (slot);
}

/* The item as a job (transfer full), for the consumers that hand out jobs:
 * an immediate item's is made now, so the stream and aio_collector_collect_async()
 * stay whole on the fast path. Leaves @slot empty. */
static AioJob *
slot_take_job (Slot *slot)
{
  AioJob *job = g_steal_pointer (&slot->job);

  if (job == NULL)
    {
      job = aio_job_new_for_value (&slot->value);
      g_value_unset (&slot->value);
    }

  return job;
}

/* Moves the item's outcome into @dest, an unset GValue: an immediate
 * value as it is, a job's value copied, a job's error as a %G_TYPE_ERROR
 * value. Leaves @slot empty. */
static void
slot_take_value (Slot   *slot,
                 GValue *dest)
{
  GError *error = NULL;
  const GValue *value;

  if (slot_is_immediate (slot))
    {
      *dest = slot->value;
      slot->value = (GValue) G_VALUE_INIT;
      return;
    }

  value = aio_job_propagate_value (slot->job, &error);
  if (value != NULL)
    {
      g_value_init (dest, G_VALUE_TYPE (value));
      g_value_copy (value, dest);
    }
  else
    {
      g_value_init (dest, G_TYPE_ERROR);
      g_value_take_boxed (dest, error);
    }
  g_clear_object (&slot->job);
}

/* Slot bookkeeping ------------------------------------------------------- */

/* An empty slot: a spare one, or a new one. Slots come and go in batches
 * of up to START_BATCH, past what malloc keeps at hand for one size, so the
 * collector keeps that many spares of its own: on the fast path the
 * allocator was the largest cost per item. */
static Slot *
aio_collector_new_slot (AioCollector *self)
{
  Slot *slot = self->n_spare_slots > 0 ? self->spare_slots[--self->n_spare_slots] : g_new (Slot, 1);

  *slot = (Slot) { .job = NULL };
  slot->value = (GValue) G_VALUE_INIT;

  return slot;
}

/* Takes @slot, emptied. */
static void
aio_collector_recycle_slot (AioCollector *self,
                            Slot         *slot)
{
  if (self->n_spare_slots < G_N_ELEMENTS (self->spare_slots))
    self->spare_slots[self->n_spare_slots++] = slot;
  else
    g_free (slot);
}

static Slot *
aio_collector_slot_at (AioCollector *self,
                       guint64       index)
{
  return self->ring[index & self->ring_mask];
}

static void
aio_collector_ring_push (AioCollector *self,
                         Slot         *slot)
{
  guint64 capacity = self->ring_mask + 1;

  if (self->tail - self->head == capacity)
    {
      Slot **ring = g_new (Slot *, capacity * 2);

      for (guint64 i = self->head; i < self->tail; i++)
        ring[i & (capacity * 2 - 1)] = aio_collector_slot_at (self, i);
      g_free (self->ring);
      self->ring = ring;
      self->ring_mask = capacity * 2 - 1;
    }

  self->ring[self->tail & self->ring_mask] = slot;
  self->tail++;
}

static Slot *
aio_collector_ring_pop (AioCollector *self)
{
  return self->ring[self->head++ & self->ring_mask];
}

/* A failure is the collector's own doing when it asked the job to cancel
 * and the job reports exactly that; any other failure, a job cancelling
 * itself included, belongs to the item. */
static gboolean
slot_is_cancelled_by_collector (Slot   *slot,
                                GError *error)
{
  return slot->is_cancel_requested &&
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Progress properties ----------------------------------------------------- */

static void
aio_collector_mark_dirty (AioCollector *self,
                          guint         prop_id)
{
  aio_notify_batcher_mark (self->notify, AIO_NOTIFY_BIT (prop_id));
}

/* Next waiters ------------------------------------------------------------ */

/* One aio_collector_next_async() call waiting for its item: a plain record,
 * not a GTask. A GTask returned in the main-loop iteration that made it
 * defers its callback to an idle source of its own, so a consumer asking
 * for the next item from its callback paid for a task, a source and a loop
 * iteration per item. A waiter is called back directly from the pump's
 * dispatch (or its cancel watch's), with an #AioThreadResult made at
 * delivery, which frees the waiter once the callback has let it go. */
typedef struct
{
  GList                link;           /* in next_waiters */
  AioCollector        *collector;      /* kept alive while it waits: see is_held_by_waiters */
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  GSource             *cancel_watch;
  AioJob              *job;            /* the outcome, once delivered */
  GError              *error;
} NextWaiter;

/* The result's release function. The result holds the collector, so it is
 * alive here. A consumer asks again from its callback, before this runs:
 * one spare record makes a stream allocate none. The result may be let go
 * in any thread, hence the exchange. */
static void
next_waiter_free (gpointer data)
{
  NextWaiter *waiter = data;

  g_clear_object (&waiter->job);
  g_clear_error (&waiter->error);
  if (!g_atomic_pointer_compare_and_exchange (&waiter->collector->spare_waiter, NULL, waiter))
    g_free (waiter);
}

static NextWaiter *
next_waiter_new (AioCollector *self)
{
  NextWaiter *waiter = g_atomic_pointer_exchange (&self->spare_waiter, NULL);

  if (waiter == NULL)
    waiter = g_new (NextWaiter, 1);
  *waiter = (NextWaiter) { .link.data = waiter, .collector = self };

  return waiter;
}

/* Waits keep the collector alive, as a GTask keeps its source object: one
 * reference while any is queued, not one each, since a stream queues and
 * serves one per item. It is let go only where the caller holds the
 * collector itself (the end of a dispatch), or last. */
static void
aio_collector_hold_for_waiters (AioCollector *self)
{
  if (!self->is_held_by_waiters)
    {
      self->is_held_by_waiters = TRUE;
      g_object_ref (self);
    }
}

static void
aio_collector_release_if_no_waiters (AioCollector *self)
{
  if (self->is_held_by_waiters && g_queue_is_empty (&self->next_waiters))
    {
      self->is_held_by_waiters = FALSE;
      g_object_unref (self);
    }
}

/* Hands @job or @error (both transfer full, at most one set) to the waiter's
 * callback, which runs exactly once, here: the callers are the pump and the
 * cancel watch, in the collector's context, never the call that queued it.
 * An item handed out reaches its consumer even when the cancellable fires
 * meanwhile, or it would be lost from the stream. */
static void
next_waiter_complete (NextWaiter *waiter,
                      AioJob     *job,
                      GError     *error)
{
  AioThreadResult *result;

  if (waiter->cancel_watch != NULL)
    aio_source_destroy (g_steal_pointer (&waiter->cancel_watch));
  waiter->job = job;
  waiter->error = error;
  /* Plain casts: checked ones cost more than the rest of this function. */
  result = aio_thread_result_new ((GObject *) waiter->collector, aio_collector_next_async,
                                  waiter->user_data, waiter, next_waiter_free);
  if (waiter->callback != NULL)
    waiter->callback ((GObject *) waiter->collector, (GAsyncResult *) result, waiter->user_data);
  g_object_unref (result);
}

static NextWaiter *
aio_collector_pop_waiter (AioCollector *self)
{
  GList *link = g_queue_pop_head_link (&self->next_waiters);

  return link != NULL ? link->data : NULL;
}

/* The next waiter served now: aio_collector_deliver() hands out and
 * finishes only while there is a consumer, and without a collect task that
 * is a queued next waiter. */
static NextWaiter *
aio_collector_pop_next_consumer (AioCollector *self)
{
  NextWaiter *waiter = aio_collector_pop_waiter (self);

  g_assert (waiter != NULL);

  return waiter;
}

/* A cancelled wait gives up this call only: the item it would have had goes
 * to the next call. The watch is destroyed when the waiter gets its item, so
 * here the waiter is still queued. */
static gboolean
aio_collector_on_next_cancelled (GCancellable *cancellable,
                                 gpointer      user_data)
{
  NextWaiter *waiter = user_data;
  AioCollector *self = g_object_ref (waiter->collector);
  GError *error = NULL;

  g_queue_unlink (&self->next_waiters, &waiter->link);
  g_cancellable_set_error_if_cancelled (cancellable, &error);
  next_waiter_complete (waiter, NULL, error);
  aio_collector_release_if_no_waiters (self);
  g_object_unref (self);

  return G_SOURCE_REMOVE;
}

static void
aio_collector_queue_waiter (AioCollector        *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  NextWaiter *waiter = next_waiter_new (self);

  waiter->callback = callback;
  waiter->user_data = user_data;
  if (cancellable != NULL)
    {
      waiter->cancel_watch = aio_cancel_source_new (cancellable);
      g_source_set_callback (waiter->cancel_watch, G_SOURCE_FUNC (aio_collector_on_next_cancelled),
                             waiter, NULL);
      g_source_attach (waiter->cancel_watch, self->context);
    }
  g_queue_push_tail_link (&self->next_waiters, &waiter->link);
  aio_collector_hold_for_waiters (self);
}

/* The pump ---------------------------------------------------------------- */

/* Asks for a pump dispatch. A consumer calls next from its callback once
 * per item, and a dispatch may be running (see aio_collector_pump_dispatch()),
 * so GLib is told only when the pump is not armed already: its ready time
 * is left at 0 through a dispatch and cleared at the end, unless a wake came
 * meanwhile. */
static void
aio_collector_wake (AioCollector *self)
{
  if (self->pump == NULL)
    return;

  self->is_wake_pending = TRUE;
  if (!self->is_pump_armed)
    {
      self->is_pump_armed = TRUE;
      g_source_set_ready_time (self->pump, 0);
    }
}

static void aio_collector_abort (AioCollector *self,
                                 GError       *error,
                                 guint64       index);

/* Runs in the collector's context, from its completion queue: one dispatch
 * there hands back every job that completed meanwhile. */
static void
aio_collector_on_job_done (AioCompletion *completion)
{
  Slot *slot = (Slot *) completion;
  AioCollector *self = slot->owner;
  g_autoptr(GError) error = NULL;

  slot->is_running = FALSE;
  if (self == NULL)
    {
      aio_completion_queue_unref (slot->watch.queue);
      slot_free (slot);
      return;
    }

  self->n_running--;
  self->completed++;
  aio_collector_mark_dirty (self, PROP_COMPLETED);

  if (aio_job_propagate_value (slot->job, &error) == NULL)
    {
      self->failed++;
      aio_collector_mark_dirty (self, PROP_FAILED);
      if (self->policy == AIO_COLLECTOR_POLICY_FAIL_FAST &&
          !slot_is_cancelled_by_collector (slot, error))
        aio_collector_abort (self, g_steal_pointer (&error), slot->index);
    }

  aio_collector_wake (self);
}

/* Puts @slot (transfer full) at the end of the window: a job item starts
 * running, an immediate item is started and completed at once. */
static void
aio_collector_start_slot (AioCollector *self,
                          Slot         *slot)
{
  slot->owner = self;
  slot->index = self->tail;
  slot->is_running = !slot_is_immediate (slot);
  slot->is_cancel_requested = FALSE;
  aio_collector_ring_push (self, slot);

  self->started++;
  aio_collector_mark_dirty (self, PROP_STARTED);

  if (slot_is_immediate (slot))
    {
      self->completed++;
      aio_collector_mark_dirty (self, PROP_COMPLETED);
      return;
    }

  self->n_running++;
  aio_job_watch (slot->job, &slot->watch, self->completions, aio_collector_on_job_done, FALSE);
}

static Slot *
aio_collector_new_slot_for_job (AioCollector *self,
                                AioJob       *job)
{
  Slot *slot = aio_collector_new_slot (self);

  slot->job = job;

  return slot;
}

/* Whether @job, handed over by a producer, is a job; if not, it is dropped
 * and @error set. */
static gboolean
aio_collector_check_produced_job (AioJob  *job,
                                  GError **error)
{
  if (AIO_IS_JOB (job))
    return TRUE;

  /* Bindings hand over some other object here; it is ours to drop. */
  if (G_IS_OBJECT (job))
    g_object_unref (job);
  g_set_error_literal (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                       _("The job producer of a collector returned something that is not a job."));

  return FALSE;
}

/* Asks the item producer for the next item, stored straight into a new
 * slot: a value or a job, or %NULL at the end of the input or with @error
 * set. */
static Slot *
aio_collector_take_item (AioCollector  *self,
                         GError       **error)
{
  Slot *slot = aio_collector_new_slot (self);
  GError *producer_error = NULL;
  gboolean has_value;

  self->item_producer (self->producer_data, &slot->value, &slot->job, &producer_error);
  has_value = G_IS_VALUE (&slot->value);

  if (producer_error == NULL && has_value && slot->job != NULL)
    g_set_error_literal (&producer_error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                         _("The item producer of a collector gave both a value and a job for one item."));
  else if (producer_error == NULL && slot->job != NULL &&
           !aio_collector_check_produced_job (slot->job, &producer_error))
    slot->job = NULL;   /* dropped by the check */

  if (producer_error != NULL)
    {
      /* Whatever came with a failure is dropped. */
      if (has_value)
        g_value_unset (&slot->value);
      g_clear_object (&slot->job);
      aio_collector_recycle_slot (self, slot);
      g_propagate_error (error, producer_error);
      return NULL;
    }

  if (!has_value && slot->job == NULL)
    {
      aio_collector_recycle_slot (self, slot);
      return NULL;
    }

  return slot;
}

/* Returns the next input item in a new slot, or %NULL at the end of the
 * input or with @error set. */
static Slot *
aio_collector_take_input (AioCollector  *self,
                          GError       **error)
{
  AioJob *job;

  if (self->item_producer != NULL)
    return aio_collector_take_item (self, error);

  if (self->producer == NULL)
    return self->cursor < self->n_jobs ? aio_collector_new_slot_for_job (self, g_object_ref (self->jobs[self->cursor++])) : NULL;

  job = self->producer (self->producer_data, error);
  if (job == NULL || !aio_collector_check_produced_job (job, error))
    return NULL;

  return aio_collector_new_slot_for_job (self, job);
}

static gboolean
aio_collector_can_start (AioCollector *self)
{
  return self->error == NULL &&
         !self->is_input_exhausted &&
         self->n_running < (guint) self->workers &&
         (self->max_pending == 0 || self->tail - self->head <= (guint64) self->max_pending);
}

static void
aio_collector_end_input (AioCollector *self)
{
  self->is_input_exhausted = TRUE;
  if (self->total < 0)
    {
      self->total = (gint64) self->tail;
      aio_collector_mark_dirty (self, PROP_TOTAL);
    }
}

/* A binding's producer closure is released as soon as it will not be called
 * again, never while it runs. */
static void
aio_collector_release_producer (AioCollector *self)
{
  GDestroyNotify destroy = g_steal_pointer (&self->producer_data_destroy);
  gpointer data = g_steal_pointer (&self->producer_data);

  if (destroy != NULL)
    destroy (data);
}

static void
aio_collector_refill (AioCollector *self)
{
  for (guint n = 0; n < START_BATCH && aio_collector_can_start (self); n++)
    {
      GError *error = NULL;
      Slot *slot = aio_collector_take_input (self, &error);

      if (error != NULL)
        aio_collector_abort (self, error, self->tail);
      else if (slot == NULL)
        aio_collector_end_input (self);
      else if (self->error != NULL)
        {
          /* The producer cancelled the collection, or a callback it ran
           * did: its last item is not started. */
          slot_clear (slot);
          aio_collector_recycle_slot (self, slot);
        }
      else
        aio_collector_start_slot (self, slot);
    }

  if (self->is_input_exhausted || self->error != NULL)
    aio_collector_release_producer (self);
}

/* Cancels what runs and what is still queued in the input list, once. */
static void
aio_collector_cancel_jobs (AioCollector *self)
{
  for (guint64 i = self->head; i < self->tail; i++)
    {
      Slot *slot = aio_collector_slot_at (self, i);

      if (slot->is_running && !slot->is_cancel_requested)
        {
          slot->is_cancel_requested = TRUE;
          aio_job_cancel (slot->job);
        }
    }

  if (!self->is_rest_cancelled)
    {
      self->is_rest_cancelled = TRUE;
      for (guint i = self->cursor; i < self->n_jobs; i++)
        aio_job_cancel (self->jobs[i]);
    }
}

/* Fails the collection at input position @index, taking @error. The failure
 * of the lowest index wins: it is the first error in input order. */
static void
aio_collector_abort (AioCollector *self,
                     GError       *error,
                     guint64       index)
{
  gboolean is_first = self->error == NULL;

  if (self->is_finished || (!is_first && index >= self->error_index))
    {
      g_error_free (error);
      return;
    }

  g_clear_error (&self->error);
  self->error = error;
  self->error_index = index;

  if (is_first)
    aio_collector_cancel_jobs (self);
  aio_collector_wake (self);
}

static gboolean
aio_collector_has_consumer (AioCollector *self)
{
  return self->collect_task != NULL || !g_queue_is_empty (&self->next_waiters);
}

/* Whether the head item may be handed out: it completed, and either the
 * collection has not failed or the item comes before the failure and has
 * an outcome of its own. */
static gboolean
aio_collector_head_is_deliverable (AioCollector *self)
{
  g_autoptr(GError) error = NULL;
  Slot *slot;

  if (self->head == self->tail)
    return FALSE;

  slot = aio_collector_slot_at (self, self->head);
  if (slot->is_running)
    return FALSE;
  if (self->error == NULL)
    return TRUE;
  if (slot->index >= self->error_index)
    return FALSE;
  if (slot_is_immediate (slot) || aio_job_propagate_value (slot->job, &error) != NULL)
    return TRUE;

  return self->policy == AIO_COLLECTOR_POLICY_SETTLE_ALL &&
         !slot_is_cancelled_by_collector (slot, error);
}

/* Takes @slot (transfer full), handing its item out in the form the
 * consumer asked for. */
static void
aio_collector_hand_out (AioCollector *self,
                        Slot         *slot)
{
  AioJob *job;

  if (self->values != NULL)
    {
      g_array_set_size (self->values, self->values->len + 1);
      slot_take_value (slot, &g_array_index (self->values, GValue, self->values->len - 1));
      aio_collector_recycle_slot (self, slot);
      return;
    }

  job = slot_take_job (slot);
  aio_collector_recycle_slot (self, slot);
  if (self->collect_task != NULL)
    {
      g_ptr_array_add (self->results, job);
      return;
    }

  self->deliveries_left--;
  next_waiter_complete (aio_collector_pop_next_consumer (self), job, NULL);
  if (self->deliveries_left % DELIVERY_CLOCK_STEP == 0 &&
      g_get_monotonic_time () - self->dispatch_began > DELIVERY_BUDGET_US)
    self->deliveries_left = 0;
}

/* Ends the collection: the collect task or the first next waiter gets
 * @error (or success), later next waiters the end of the stream. */
static void
aio_collector_finish (AioCollector *self,
                      const GError *error)
{
  g_autoptr(GTask) task = NULL;

  self->is_finished = TRUE;
  /* A collection cancelled from a consumer's callback ends here without
   * another refill, which would otherwise be what lets the producer go. */
  aio_collector_release_producer (self);

  if (self->collect_task == NULL)
    next_waiter_complete (aio_collector_pop_next_consumer (self), NULL,
                          error != NULL ? g_error_copy (error) : NULL);
  else
    {
      task = g_steal_pointer (&self->collect_task);
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
aio_collector_end_waiters (AioCollector *self)
{
  NextWaiter *waiter;

  while ((waiter = aio_collector_pop_waiter (self)) != NULL)
    next_waiter_complete (waiter, NULL, NULL);
}

/* Hands out what is ready, in input order, to next waiters at most
 * DELIVERY_BATCH items. A consumer's callback runs from here and may call
 * back into the collector, a next call included, which this loop then
 * serves: every round re-reads the state. */
static void
aio_collector_deliver (AioCollector *self)
{
  while (!self->is_finished && aio_collector_has_consumer (self))
    {
      if (self->collect_task == NULL && self->deliveries_left == 0)
        return;
      if (aio_collector_head_is_deliverable (self))
        aio_collector_hand_out (self, aio_collector_ring_pop (self));
      else if (self->error != NULL && self->n_running == 0)
        aio_collector_finish (self, self->error);
      else if (self->error == NULL && self->is_input_exhausted && self->head == self->tail)
        aio_collector_finish (self, NULL);
      else
        return;
    }

  if (self->is_finished)
    aio_collector_end_waiters (self);
}

/* At the end of a dispatch: comes back for what is left, after the other
 * sources when the delivery cap was reached (see DELIVERY_BATCH), and
 * otherwise sleeps until woken. */
static void
aio_collector_schedule_pump (AioCollector *self,
                             GSource      *source)
{
  if (self->deliveries_left == 0)
    {
      g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
      aio_collector_wake (self);
    }
  else if (aio_collector_can_start (self) && !self->is_finished)
    aio_collector_wake (self);

  if (!self->is_wake_pending && self->is_pump_armed)
    {
      self->is_pump_armed = FALSE;
      g_source_set_ready_time (source, -1);
    }
}

static gboolean
aio_collector_pump_dispatch (GSource     *source,
                             GSourceFunc  callback,
                             gpointer     user_data)
{
  AioCollector *self = g_object_ref (user_data);

  self->is_wake_pending = FALSE;
  if (g_source_get_priority (source) != G_PRIORITY_DEFAULT)
    g_source_set_priority (source, G_PRIORITY_DEFAULT);
  self->deliveries_left = DELIVERY_BATCH;
  self->dispatch_began = g_get_monotonic_time ();

  /* Jobs start, and report back, in the collector's context even when a
   * loop runs it without making it the thread-default one. */
  g_main_context_push_thread_default (self->context);
  aio_collector_refill (self);
  aio_collector_deliver (self);
  /* Handing out shrank the window: fill it again in the same dispatch, and
   * hand out what that settled (the end of the input, a producer error). */
  aio_collector_refill (self);
  aio_collector_deliver (self);
  g_main_context_pop_thread_default (self->context);
  /* Coalesced: one notify per property per pump dispatch. */
  aio_notify_batcher_flush (self->notify);

  aio_collector_schedule_pump (self, source);
  aio_collector_release_if_no_waiters (self);
  g_object_unref (self);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs pump_funcs = {
  .dispatch = aio_collector_pump_dispatch,
};

static void
aio_collector_attach_pump (AioCollector *self)
{
  self->pump = g_source_new (&pump_funcs, sizeof (GSource));
  g_source_set_static_name (self->pump, "[aioext] collector");
  g_source_set_priority (self->pump, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->pump, NULL, self, NULL);
  /* A consumer's callback runs from the pump's dispatch and may wait for
   * the next item in a nested main loop (a modal dialog, a blocking
   * helper): the pump must dispatch there too. Every dispatch re-reads
   * the collector's state, and an item and its waiter leave their queues
   * before the callback runs, so a nested one sees a consistent state. */
  g_source_set_can_recurse (self->pump, TRUE);
  self->is_pump_armed = FALSE;
  g_source_attach (self->pump, self->context);
}

/* Starts the work on the first consumer call. The pump holds no reference:
 * dispose destroys it, and a next call after g_object_run_dispose() brings
 * it back to hand out the end of the stream. */
static void
aio_collector_ensure_started (AioCollector *self)
{
  if (self->is_started)
    {
      if (self->pump == NULL)
        aio_collector_attach_pump (self);
      return;
    }

  self->is_started = TRUE;
  /* The collector belongs to the context it starts in, not the one it was
   * created in: made in main() and collected inside aio_run(), it must run
   * in aio_run()'s context. */
  g_main_context_unref (self->context);
  self->context = g_main_context_ref_thread_default ();
  self->completions = aio_completion_queue_ref_thread_default ();
  aio_collector_attach_pump (self);
  aio_collector_wake (self);
}

/* GObject ----------------------------------------------------------------- */

static void
aio_collector_dispose (GObject *object)
{
  AioCollector *self = AIO_COLLECTOR (object);

  /* Dropping the collector stops its work: running jobs are cancelled, and
   * their waits free their slots once they complete. */
  while (self->head < self->tail)
    {
      Slot *slot = aio_collector_ring_pop (self);

      if (slot->is_running)
        {
          g_autoptr(AioJob) job = g_object_ref (slot->job);

          /* The orphan's watch still needs the queue. */
          slot->owner = NULL;
          aio_completion_queue_ref (self->completions);
          aio_job_cancel (job);
        }
      else
        slot_free (slot);
    }
  self->n_running = 0;

  /* The collection ends as cancelled. Consumers hold references, so only
   * g_object_run_dispose() gets here with some waiting: the pump stays to
   * call them back, in the collector's context, as it would after
   * aio_collector_cancel(); the last reference's dispose destroys it. */
  if (self->is_started)
    aio_collector_cancel (self);
  if (self->pump != NULL && !aio_collector_has_consumer (self))
    {
      g_source_destroy (self->pump);
      g_clear_pointer (&self->pump, g_source_unref);
    }

  G_OBJECT_CLASS (aio_collector_parent_class)->dispose (object);
}

static void
aio_collector_finalize (GObject *object)
{
  AioCollector *self = AIO_COLLECTOR (object);

  g_assert (self->collect_task == NULL);
  g_assert (g_queue_is_empty (&self->next_waiters));
  g_free (self->spare_waiter);
  for (guint i = 0; i < self->n_spare_slots; i++)
    g_free (self->spare_slots[i]);

  for (guint i = 0; i < self->n_jobs; i++)
    g_object_unref (self->jobs[i]);
  g_free (self->jobs);
  aio_collector_release_producer (self);
  g_free (self->ring);
  g_clear_pointer (&self->results, g_ptr_array_unref);
  g_clear_pointer (&self->values, g_array_unref);
  g_clear_error (&self->error);
  g_clear_pointer (&self->completions, aio_completion_queue_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  aio_notify_batcher_free (self->notify);

  G_OBJECT_CLASS (aio_collector_parent_class)->finalize (object);
}

static void
aio_collector_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  AioCollector *self = AIO_COLLECTOR (object);

  switch (prop_id)
    {
    case PROP_WORKERS:
      g_value_set_int (value, self->workers);
      break;

    case PROP_MAX_PENDING:
      g_value_set_int (value, self->max_pending);
      break;

    case PROP_POLICY:
      g_value_set_enum (value, self->policy);
      break;

    case PROP_TOTAL:
      g_value_set_int64 (value, self->total);
      break;

    case PROP_STARTED:
      g_value_set_int64 (value, self->started);
      break;

    case PROP_COMPLETED:
      g_value_set_int64 (value, self->completed);
      break;

    case PROP_FAILED:
      g_value_set_int64 (value, self->failed);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
aio_collector_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  AioCollector *self = AIO_COLLECTOR (object);

  switch (prop_id)
    {
    case PROP_WORKERS:
      self->workers = g_value_get_int (value);
      break;

    case PROP_MAX_PENDING:
      self->max_pending = g_value_get_int (value);
      break;

    case PROP_POLICY:
      self->policy = g_value_get_enum (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
counter_param_spec (const char *name,
                    const char *nick,
                    const char *blurb,
                    gint64      minimum)
{
  return g_param_spec_int64 (name, nick, blurb, minimum, G_MAXINT64, minimum == -1 ? -1 : 0,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
aio_collector_class_init (AioCollectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = aio_collector_dispose;
  object_class->finalize = aio_collector_finalize;
  object_class->get_property = aio_collector_get_property;
  object_class->set_property = aio_collector_set_property;

  /**
   * AioCollector:workers:
   *
   * How many jobs run at once at most. Values below 1 are rejected when
   * the collector is initialized.
   */
  properties[PROP_WORKERS] =
    g_param_spec_int ("workers", "Workers", "How many jobs run at once at most",
                      G_MININT, G_MAXINT, 1024,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AioCollector:max-pending:
   *
   * How many finished results may wait behind the next item to be handed
   * out, 0 for no bound. Negative values are rejected when the collector
   * is initialized.
   */
  properties[PROP_MAX_PENDING] =
    g_param_spec_int ("max-pending", "Max pending",
                      "How many finished results may wait behind the next one",
                      G_MININT, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AioCollector:policy:
   *
   * What happens when a job fails.
   */
  properties[PROP_POLICY] =
    g_param_spec_enum ("policy", "Policy", "What happens when a job fails",
                       AIO_TYPE_COLLECTOR_POLICY, AIO_COLLECTOR_POLICY_FAIL_FAST,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AioCollector:total:
   *
   * How many items the input has, or -1 while that is unknown (a producer
   * that has not reached its end yet).
   */
  properties[PROP_TOTAL] = counter_param_spec ("total", "Total", "How many items the input has", -1);

  /**
   * AioCollector:started:
   *
   * How many jobs the collector has started (or begun to wait for).
   */
  properties[PROP_STARTED] = counter_param_spec ("started", "Started", "How many jobs started", 0);

  /**
   * AioCollector:completed:
   *
   * How many started jobs have completed, failed ones included.
   */
  properties[PROP_COMPLETED] = counter_param_spec ("completed", "Completed", "How many jobs completed", 0);

  /**
   * AioCollector:failed:
   *
   * How many started jobs have completed with an error, cancelled ones
   * included.
   */
  properties[PROP_FAILED] = counter_param_spec ("failed", "Failed", "How many jobs failed", 0);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
aio_collector_init (AioCollector *self)
{
  self->context = g_main_context_ref_thread_default ();
  /* Everything happens in the collector's context: it marks and flushes
   * there itself, and needs no queue. */
  self->notify = aio_notify_batcher_new (G_OBJECT (self), properties, NULL);
  self->ring = g_new (Slot *, 16);
  self->ring_mask = 15;
  self->is_input_exhausted = FALSE;
  self->total = 0;
}

static gboolean
aio_collector_check_parameters (AioCollector  *self,
                                GError       **error)
{
  if (self->workers < 1)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("A collector needs at least 1 worker, but %d workers were asked for."),
                   self->workers);
      return FALSE;
    }

  if (self->max_pending < 0)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("The bound on pending results of a collector cannot be negative, but it was %d."),
                   self->max_pending);
      return FALSE;
    }

  return TRUE;
}

static gboolean
aio_collector_initable_init (GInitable     *initable,
                             GCancellable  *cancellable,
                             GError       **error)
{
  AioCollector *self = AIO_COLLECTOR (initable);

  self->is_initialized = aio_collector_check_parameters (self, error);

  return self->is_initialized;
}

static void
aio_collector_initable_iface_init (GInitableIface *iface)
{
  iface->init = aio_collector_initable_init;
}

static AioCollector *
aio_collector_new (int                  workers,
                   int                  max_pending,
                   AioCollectorPolicy   policy,
                   GError             **error)
{
  return g_initable_new (AIO_TYPE_COLLECTOR, NULL, error,
                         "workers", workers,
                         "max-pending", max_pending,
                         "policy", policy,
                         NULL);
}

/* A collector over an input of unknown length, which owns @user_data from
 * here on, even when it cannot be made. */
static AioCollector *
aio_collector_new_lazy (int                  workers,
                        int                  max_pending,
                        AioCollectorPolicy   policy,
                        gpointer             user_data,
                        GDestroyNotify       user_data_destroy,
                        GError             **error)
{
  AioCollector *self = aio_collector_new (workers, max_pending, policy, error);

  if (self == NULL)
    {
      if (user_data_destroy != NULL)
        user_data_destroy (user_data);
      return NULL;
    }

  self->producer_data = user_data;
  self->producer_data_destroy = user_data_destroy;
  self->total = -1;

  return self;
}

/**
 * aio_collector_new_for_jobs: (constructor)
 * @jobs: (array length=n_jobs) (element-type AioJob): the jobs, in input
 *   order
 * @n_jobs: the length of @jobs
 * @workers: how many jobs run at once at most, at least 1
 * @max_pending: how many finished results may wait behind the next item to
 *   be handed out, 0 for no bound
 * @policy: what happens when a job fails
 * @error: return location for a #GError
 *
 * Creates a collector over a finite list of jobs. The collector keeps a
 * reference to each job. A job may already be running or completed; it is
 * then waited for, not started again.
 *
 * Returns: (transfer full): a new collector, or %NULL with @error set
 *   (%AIO_ERROR_INVALID_ARGUMENT) when @workers or @max_pending is out of
 *   range
 */
AioCollector *
aio_collector_new_for_jobs (AioJob             **jobs,
                            guint                n_jobs,
                            int                  workers,
                            int                  max_pending,
                            AioCollectorPolicy   policy,
                            GError             **error)
{
  AioCollector *self;

  g_return_val_if_fail (jobs != NULL || n_jobs == 0, NULL);
  for (guint i = 0; i < n_jobs; i++)
    g_return_val_if_fail (AIO_IS_JOB (jobs[i]), NULL);

  self = aio_collector_new (workers, max_pending, policy, error);
  if (self == NULL)
    return NULL;

  self->jobs = g_new (AioJob *, n_jobs);
  for (guint i = 0; i < n_jobs; i++)
    self->jobs[i] = g_object_ref (jobs[i]);
  self->n_jobs = n_jobs;
  self->total = n_jobs;

  return self;
}

/**
 * aio_collector_new_for_producer: (constructor)
 * @workers: how many jobs run at once at most, at least 1
 * @max_pending: how many finished results may wait behind the next item to
 *   be handed out, 0 for no bound
 * @policy: what happens when a job fails
 * @producer: (scope notified) (closure user_data) (destroy user_data_destroy):
 *   makes the next job
 * @user_data: data for @producer
 * @user_data_destroy: (nullable): frees @user_data when the collector is
 *   finalized
 * @error: return location for a #GError
 *
 * Creates a collector over a lazily produced input: @producer is called, in
 * the collector's main context, only when a worker slot is free, so the
 * input may be unbounded. An error from @producer fails the collection.
 * (@producer comes last so that bindings can leave its user data out.)
 *
 * Returns: (transfer full): a new collector, or %NULL with @error set
 *   (%AIO_ERROR_INVALID_ARGUMENT) when @workers or @max_pending is out of
 *   range
 */
AioCollector *
aio_collector_new_for_producer (int                  workers,
                                int                  max_pending,
                                AioCollectorPolicy   policy,
                                AioJobProducer       producer,
                                gpointer             user_data,
                                GDestroyNotify       user_data_destroy,
                                GError             **error)
{
  AioCollector *self;

  g_return_val_if_fail (producer != NULL, NULL);

  self = aio_collector_new_lazy (workers, max_pending, policy, user_data, user_data_destroy, error);
  if (self != NULL)
    self->producer = producer;

  return self;
}

/**
 * aio_collector_new_for_item_producer: (skip)
 * @workers: how many jobs run at once at most, at least 1
 * @max_pending: how many finished results may wait behind the next item to
 *   be handed out, 0 for no bound
 * @policy: what happens when a job fails
 * @producer: makes the next item: a value known at once, or a job
 * @user_data: data for @producer
 * @user_data_destroy: (nullable): frees @user_data once @producer will not
 *   be called again
 * @error: return location for a #GError
 *
 * Creates a collector over a lazily produced input whose items may be plain
 * values, the C fast path of #AioCollector: an item whose value is known at
 * once costs no #AioJob, only a small slot in the collector's window, and
 * aio_collector_collect_values_async() reads every value back without one.
 * An item that needs work is a job, as with aio_collector_new_for_producer().
 *
 * Immediate items go through the collector like any other: in input order,
 * within #AioCollector:max-pending, counted as started and completed at
 * once (they do not take a worker), cancelled with the collection, and
 * aio_collector_next_async() and aio_collector_collect_async() hand each out
 * as a completed job made for it then (aio_job_new_for_value()). @producer
 * is called in the collector's main context; an error from it fails the
 * collection. This is a C API: bindings use aio_collector_new_for_producer().
 *
 * |[<!-- language="C" -->
 * static void
 * produce_square (gpointer user_data, GValue *value, AioJob **job, GError **error)
 * {
 *   guint *next = user_data;
 *
 *   if (*next == 1000000)
 *     return;                        // neither value nor job: the end
 *   g_value_init (value, G_TYPE_UINT64);
 *   g_value_set_uint64 (value, (guint64) *next * *next);
 *   (*next)++;
 * }
 * ...
 * collector = aio_collector_new_for_item_producer (64, 0, AIO_COLLECTOR_POLICY_FAIL_FAST,
 *                                                  produce_square, &next, NULL, &error);
 * aio_collector_collect_values_async (collector, NULL, on_collected, NULL);
 * ...
 * values = aio_collector_collect_values_finish (collector, result, &error);
 * ]|
 *
 * Returns: (transfer full): a new collector, or %NULL with @error set
 *   (%AIO_ERROR_INVALID_ARGUMENT) when @workers or @max_pending is out of
 *   range
 */
AioCollector *
aio_collector_new_for_item_producer (int                  workers,
                                     int                  max_pending,
                                     AioCollectorPolicy   policy,
                                     AioItemProducer      producer,
                                     gpointer             user_data,
                                     GDestroyNotify       user_data_destroy,
                                     GError             **error)
{
  AioCollector *self;

  g_return_val_if_fail (producer != NULL, NULL);

  self = aio_collector_new_lazy (workers, max_pending, policy, user_data, user_data_destroy, error);
  if (self != NULL)
    self->item_producer = producer;

  return self;
}

/* Accessors --------------------------------------------------------------- */

/**
 * aio_collector_get_workers:
 * @self: an #AioCollector
 *
 * The value of #AioCollector:workers.
 *
 * Returns: how many jobs run at once at most
 */
int
aio_collector_get_workers (AioCollector *self)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), 0);

  return self->workers;
}

/**
 * aio_collector_get_max_pending:
 * @self: an #AioCollector
 *
 * The value of #AioCollector:max-pending.
 *
 * Returns: the bound on finished results waiting behind the next item, 0
 *   for none
 */
int
aio_collector_get_max_pending (AioCollector *self)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), 0);

  return self->max_pending;
}

/**
 * aio_collector_get_policy:
 * @self: an #AioCollector
 *
 * The value of #AioCollector:policy.
 *
 * Returns: what happens when a job fails
 */
AioCollectorPolicy
aio_collector_get_policy (AioCollector *self)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), AIO_COLLECTOR_POLICY_FAIL_FAST);

  return self->policy;
}

/**
 * aio_collector_get_total:
 * @self: an #AioCollector
 *
 * The value of #AioCollector:total.
 *
 * Returns: how many items the input has, or -1 while unknown
 */
gint64
aio_collector_get_total (AioCollector *self)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), -1);

  return self->total;
}

/**
 * aio_collector_get_started:
 * @self: an #AioCollector
 *
 * The value of #AioCollector:started.
 *
 * Returns: how many jobs were started
 */
gint64
aio_collector_get_started (AioCollector *self)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), 0);

  return self->started;
}

/**
 * aio_collector_get_completed:
 * @self: an #AioCollector
 *
 * The value of #AioCollector:completed.
 *
 * Returns: how many started jobs completed, failed ones included
 */
gint64
aio_collector_get_completed (AioCollector *self)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), 0);

  return self->completed;
}

/**
 * aio_collector_get_failed:
 * @self: an #AioCollector
 *
 * The value of #AioCollector:failed.
 *
 * Returns: how many started jobs completed with an error
 */
gint64
aio_collector_get_failed (AioCollector *self)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), 0);

  return self->failed;
}

/**
 * aio_collector_is_cancelled:
 * @self: an #AioCollector
 *
 * Whether the collector itself was cancelled, by aio_collector_cancel() or
 * the #GCancellable of aio_collector_collect_async(). A job that cancelled
 * itself does not make this %TRUE: it is that item's error, which tells the
 * two apart when both report %G_IO_ERROR_CANCELLED.
 *
 * Returns: %TRUE once @self was cancelled
 */
gboolean
aio_collector_is_cancelled (AioCollector *self)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), FALSE);

  return self->is_cancelled;
}

/**
 * aio_collector_cancel:
 * @self: an #AioCollector
 *
 * Cancels the collection: every running job and every job still queued in
 * the input list is cancelled, nothing more starts, and the pending or next
 * aio_collector_collect_async() or aio_collector_next_async() fails with
 * %G_IO_ERROR_CANCELLED once the running jobs have completed. Cancelling a
 * finished collection does nothing.
 */
void
aio_collector_cancel (AioCollector *self)
{
  g_return_if_fail (AIO_IS_COLLECTOR (self));

  if (self->is_finished || self->is_cancelled)
    return;

  self->is_cancelled = TRUE;
  aio_collector_abort (self,
                       g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                            _("The collection was cancelled.")),
                       self->head);
}

/* Consumers --------------------------------------------------------------- */

/* Returns %FALSE, with @error set, when the collector cannot take a
 * consumer of aio_collector_collect_async() (@is_collect) or
 * aio_collector_next_async(). */
static gboolean
aio_collector_accept_consumer (AioCollector  *self,
                               gboolean       is_collect,
                               GError       **error)
{
  if (!self->is_initialized && !aio_collector_check_parameters (self, error))
    return FALSE;

  if (self->collect_task != NULL || (is_collect && self->is_started))
    {
      g_set_error_literal (error, AIO_ERROR, AIO_ERROR_BUSY,
                           _("The collection was already started; collect it once, or take its items one by one, not both."));
      return FALSE;
    }

  return TRUE;
}

static gboolean
aio_collector_on_collect_cancelled (GCancellable *cancellable,
                                    gpointer      user_data)
{
  aio_collector_cancel (g_task_get_source_object (user_data));

  return G_SOURCE_REMOVE;
}

/* The source lives as long as the task and holds no reference to it, so the
 * callback never sees a task that is gone. */
static void
aio_collector_watch_collect_cancellable (AioCollector *self,
                                         GTask        *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  GSource *source;

  if (cancellable == NULL)
    return;

  source = aio_cancel_source_new (cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (aio_collector_on_collect_cancelled), task, NULL);
  g_source_attach (source, self->context);
  g_task_set_task_data (task, source, aio_source_destroy);
}

static GTask *
aio_collector_new_task (AioCollector        *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data,
                        gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* Cancelling collect_async() cancels the collector, which reports its own
   * error once the running jobs have completed. */
  g_task_set_check_cancellable (task, FALSE);

  return task;
}

/* Starts a collection of everything (aio_collector_collect_async() or
 * aio_collector_collect_values_async(), told by @source_tag), or refuses
 * it. Returns whether it started; the caller then makes the container its
 * consumer fills. */
static gboolean
aio_collector_begin_collect (AioCollector        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data,
                             gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  task = aio_collector_new_task (self, cancellable, callback, user_data, source_tag);
  if (!aio_collector_accept_consumer (self, TRUE, &error))
    {
      g_task_return_error (task, error);
      return FALSE;
    }

  /* Started first: the cancellable's watch belongs to the context the
   * collector runs in, not the one it was created in. */
  aio_collector_ensure_started (self);
  if (g_cancellable_is_cancelled (cancellable))
    aio_collector_cancel (self);
  else
    aio_collector_watch_collect_cancellable (self, task);

  self->collect_task = g_steal_pointer (&task);
  aio_collector_wake (self);

  return TRUE;
}

/* What the input is known to hold, for sizing a results container. */
static guint
aio_collector_known_total (AioCollector *self)
{
  return self->total > 0 ? (guint) self->total : 0;
}

/**
 * aio_collector_collect_async:
 * @self: an #AioCollector
 * @cancellable: (nullable): a #GCancellable; cancelling it cancels the
 *   collector
 * @callback: (scope async): called once every item has its outcome
 * @user_data: data for @callback
 *
 * Runs the whole input and collects every outcome, in input order. Call it
 * once, and not together with aio_collector_next_async() or
 * aio_collector_collect_values_async().
 */
void
aio_collector_collect_async (AioCollector        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (AIO_IS_COLLECTOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (aio_collector_begin_collect (self, cancellable, callback, user_data,
                                   aio_collector_collect_async))
    self->results = g_ptr_array_new_full (aio_collector_known_total (self), g_object_unref);
}

/**
 * aio_collector_collect_finish:
 * @self: an #AioCollector
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_collector_collect_async(). With
 * %AIO_COLLECTOR_POLICY_SETTLE_ALL a failed item is a failed job in the
 * array; read each outcome with aio_job_propagate_value().
 *
 * Returns: (transfer container) (element-type AioJob): the completed jobs,
 *   in input order and owned by @self, or %NULL with @error set: the first
 *   error in input order (%AIO_COLLECTOR_POLICY_FAIL_FAST), an error of the
 *   producer, or %G_IO_ERROR_CANCELLED when the collector was cancelled
 */
GPtrArray *
aio_collector_collect_finish (AioCollector  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  GPtrArray *jobs;

  g_return_val_if_fail (AIO_IS_COLLECTOR (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_collector_collect_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  /* The collector keeps the references, so bindings that free the
   * container never free an element twice. */
  jobs = g_ptr_array_sized_new (self->results->len);
  for (guint i = 0; i < self->results->len; i++)
    g_ptr_array_add (jobs, g_ptr_array_index (self->results, i));

  return jobs;
}

/**
 * aio_collector_collect_values_async: (skip)
 * @self: an #AioCollector
 * @cancellable: (nullable): a #GCancellable; cancelling it cancels the
 *   collector
 * @callback: (scope async): called once every item has its outcome
 * @user_data: data for @callback
 *
 * Runs the whole input and collects the value of every item, in input
 * order, as aio_collector_collect_async() does, but as plain values: no
 * job is made for an immediate item of an item producer
 * (aio_collector_new_for_item_producer()), and the value of a job item is
 * copied out of its job, which is then let go. It is the C fast path for
 * inputs of many small items; bindings use aio_collector_collect_async().
 *
 * Call it once, and not together with aio_collector_collect_async() or
 * aio_collector_next_async().
 */
void
aio_collector_collect_values_async (AioCollector        *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GArray *values;

  g_return_if_fail (AIO_IS_COLLECTOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!aio_collector_begin_collect (self, cancellable, callback, user_data,
                                    aio_collector_collect_values_async))
    return;

  values = g_array_sized_new (FALSE, TRUE, sizeof (GValue), aio_collector_known_total (self));
  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  self->values = values;
}

/**
 * aio_collector_collect_values_finish: (skip)
 * @self: an #AioCollector
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_collector_collect_values_async(). With
 * %AIO_COLLECTOR_POLICY_SETTLE_ALL the element of a failed item holds its
 * #GError, as a %G_TYPE_ERROR value (a job that returns a #GError as its
 * value cannot be told from it: collect such jobs with
 * aio_collector_collect_async()).
 *
 * Returns: (transfer full) (element-type GValue): the value of every item,
 *   in input order (the array unsets them when freed), or %NULL with @error
 *   set, as aio_collector_collect_finish()
 */
GArray *
aio_collector_collect_values_finish (AioCollector  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (AIO_IS_COLLECTOR (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_collector_collect_values_async,
                        NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  return g_steal_pointer (&self->values);
}

/**
 * aio_collector_next_async:
 * @self: an #AioCollector
 * @cancellable: (nullable): a #GCancellable; cancelling it gives up this
 *   wait only, and the item goes to the next call
 * @callback: (scope async): called once the next item has its outcome
 * @user_data: data for @callback
 *
 * Takes the next item in input order. Concurrent calls are served in the
 * order they were made, each with its own item.
 *
 * As with every asynchronous call, @callback never runs inside this call,
 * even when the next item is ready; it runs in the collector's main
 * context. A consumer that calls this again from @callback is served in the
 * same pass of the collector over its finished items, right after @callback
 * returns, so a stream read one item at a time costs no main-loop iteration
 * per item. After 256 items or 4 ms in one pass the collector lets the
 * other sources of its main context run, down to the idle priority (a GTK
 * app's layout and drawing included), and then goes on.
 */
void
aio_collector_next_async (AioCollector        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (AIO_IS_COLLECTOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (aio_collector_accept_consumer (self, FALSE, &error) &&
      !self->is_finished &&
      !g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      /* Started first: the wait's cancel watch belongs to the context the
       * collector runs in. */
      aio_collector_ensure_started (self);
      aio_collector_queue_waiter (self, cancellable, callback, user_data);
      aio_collector_wake (self);
      return;
    }

  /* Refused, already cancelled, or past the end: rare answers that need
   * no item, left to a GTask, which defers the callback as GIO asks. */
  task = aio_collector_new_task (self, cancellable, callback, user_data,
                                 aio_collector_next_async);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, NULL, NULL);
}

/**
 * aio_collector_next_finish:
 * @self: an #AioCollector
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes aio_collector_next_async(). With
 * %AIO_COLLECTOR_POLICY_SETTLE_ALL a failed item is a failed job; read its
 * outcome with aio_job_propagate_value(). Once the collection failed, the
 * error is returned once and the stream ends.
 *
 * Returns: (transfer full) (nullable): the completed job of the next item,
 *   or %NULL at the end of the input, or %NULL with @error set: the
 *   collection failed (see aio_collector_collect_finish()) or this wait was
 *   cancelled
 */
AioJob *
aio_collector_next_finish (AioCollector  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  NextWaiter *waiter;

  g_return_val_if_fail (AIO_IS_COLLECTOR (self), NULL);

  /* Rare answers come in a GTask (see aio_collector_next_async()). */
  if (!AIO_IS_THREAD_RESULT (result))
    {
      g_return_val_if_fail (g_task_is_valid (result, self), NULL);
      g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == aio_collector_next_async, NULL);

      return g_task_propagate_pointer (G_TASK (result), error);
    }

  g_return_val_if_fail (aio_thread_result_is_valid (result, self, aio_collector_next_async), NULL);

  waiter = aio_thread_result_get_call ((AioThreadResult *) result);
  if (waiter->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&waiter->error));
      return NULL;
    }

  return g_steal_pointer (&waiter->job);
}
