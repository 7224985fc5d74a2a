/* aio-collector.h: collect and resolve many jobs, ordered and bounded
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <gio/gio.h>

#include "aio-job.h"
#include "aio-version-macros.h"

G_BEGIN_DECLS

/**
 * AioCollectorPolicy:
 * @AIO_COLLECTOR_POLICY_FAIL_FAST: the first failing job fails the whole
 *   collection: every other job is cancelled and the error of the first
 *   failed job in input order is returned
 * @AIO_COLLECTOR_POLICY_SETTLE_ALL: every job runs to its own outcome; a
 *   failed job is handed out like any other, its error raised when its value
 *   is read
 *
 * What an #AioCollector does when one of its jobs fails.
 */
typedef enum
{
  AIO_COLLECTOR_POLICY_FAIL_FAST,
  AIO_COLLECTOR_POLICY_SETTLE_ALL,
} AioCollectorPolicy;

#define AIO_TYPE_COLLECTOR (aio_collector_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AioCollector, aio_collector, AIO, COLLECTOR, GObject)

/**
 * AioJobProducer:
 * @user_data: the data given when the collector was created
 * @error: return location for a #GError
 *
 * Makes the next job of a lazily produced input. An #AioCollector calls it
 * in its main context, only when a worker slot is free.
 *
 * A JavaScript producer may throw anything; a Python producer must raise
 * `GLib.Error`, because PyGObject 3.42 only prints other exceptions and
 * hands back %NULL without an error, which reads as the end of the input.
 *
 * Returns: (transfer full) (nullable): the next job; %NULL without @error
 *   set at the end of the input; %NULL with @error set to fail the
 *   collection
 */
typedef AioJob *(*AioJobProducer) (gpointer   user_data,
                                   GError   **error);

/**
 * AioItemProducer: (skip)
 * @user_data: the data given when the collector was created
 * @value: (out caller-allocates): an unset #GValue (%G_VALUE_INIT): for an
 *   item whose value is known at once, initialize and set it; the collector
 *   takes it over
 * @job: (out) (transfer full): for an item that needs work, set it to the
 *   job that does it
 * @error: return location for a #GError: set it to fail the collection
 *
 * Makes the next item of a lazily produced input whose items may be plain
 * values: the C fast path of #AioCollector (see
 * aio_collector_new_for_item_producer()). An #AioCollector calls it in its
 * main context, only when its window has room for one more item.
 *
 * Set exactly one of @value, @job and @error. Setting none of them ends the
 * input. Setting both @value and @job fails the collection with
 * %AIO_ERROR_INVALID_ARGUMENT; with @error set, a @value or @job also set is
 * dropped.
 */
typedef void (*AioItemProducer) (gpointer   user_data,
                                 GValue    *value,
                                 AioJob   **job,
                                 GError   **error);

AIO_AVAILABLE_IN_1_0
AioCollector *aio_collector_new_for_jobs     (AioJob              **jobs,
                                              guint                 n_jobs,
                                              int                   workers,
                                              int                   max_pending,
                                              AioCollectorPolicy    policy,
                                              GError              **error) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioCollector *aio_collector_new_for_producer (int                   workers,
                                              int                   max_pending,
                                              AioCollectorPolicy    policy,
                                              AioJobProducer        producer,
                                              gpointer              user_data,
                                              GDestroyNotify        user_data_destroy,
                                              GError              **error) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioCollector *aio_collector_new_for_item_producer (int                 workers,
                                                   int                 max_pending,
                                                   AioCollectorPolicy  policy,
                                                   AioItemProducer     producer,
                                                   gpointer            user_data,
                                                   GDestroyNotify      user_data_destroy,
                                                   GError            **error) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
int                aio_collector_get_workers     (AioCollector  *self);
AIO_AVAILABLE_IN_1_0
int                aio_collector_get_max_pending (AioCollector  *self);
AIO_AVAILABLE_IN_1_0
AioCollectorPolicy aio_collector_get_policy      (AioCollector  *self);
AIO_AVAILABLE_IN_1_0
gint64             aio_collector_get_total       (AioCollector  *self);
AIO_AVAILABLE_IN_1_0
gint64             aio_collector_get_started     (AioCollector  *self);
AIO_AVAILABLE_IN_1_0
gint64             aio_collector_get_completed   (AioCollector  *self);
AIO_AVAILABLE_IN_1_0
gint64             aio_collector_get_failed      (AioCollector  *self);
AIO_AVAILABLE_IN_1_0
gboolean           aio_collector_is_cancelled    (AioCollector  *self);

AIO_AVAILABLE_IN_1_0
void               aio_collector_cancel          (AioCollector  *self);

AIO_AVAILABLE_IN_1_0
void               aio_collector_collect_async   (AioCollector        *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
AIO_AVAILABLE_IN_1_0
GPtrArray         *aio_collector_collect_finish  (AioCollector        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
void               aio_collector_collect_values_async  (AioCollector        *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
AIO_AVAILABLE_IN_1_0
GArray            *aio_collector_collect_values_finish (AioCollector        *self,
                                                        GAsyncResult        *result,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
void               aio_collector_next_async      (AioCollector        *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
AIO_AVAILABLE_IN_1_0
AioJob            *aio_collector_next_finish     (AioCollector        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
