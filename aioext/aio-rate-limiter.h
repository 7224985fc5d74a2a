/* aio-rate-limiter.h: at most N starts per period, with a minimum spacing, FIFO
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <gio/gio.h>

#include "aio-version-macros.h"
#include "aio-job.h"

G_BEGIN_DECLS

#define AIO_TYPE_RATE_LIMITER (aio_rate_limiter_get_type ())

AIO_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AioRateLimiter, aio_rate_limiter, AIO, RATE_LIMITER, GObject)

AIO_AVAILABLE_IN_1_0
AioRateLimiter *aio_rate_limiter_new                           (guint                 max_calls,
                                                                double                period_seconds,
                                                                double                min_seconds_between_calls,
                                                                GError              **error) G_GNUC_WARN_UNUSED_RESULT;

AIO_AVAILABLE_IN_1_0
guint           aio_rate_limiter_get_max_calls                 (AioRateLimiter       *self);
AIO_AVAILABLE_IN_1_0
double          aio_rate_limiter_get_period_seconds            (AioRateLimiter       *self);
AIO_AVAILABLE_IN_1_0
double          aio_rate_limiter_get_min_seconds_between_calls (AioRateLimiter       *self);
AIO_AVAILABLE_IN_1_0
guint           aio_rate_limiter_get_waiters                   (AioRateLimiter       *self);

AIO_AVAILABLE_IN_1_0
void            aio_rate_limiter_acquire_async                 (AioRateLimiter       *self,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
AIO_AVAILABLE_IN_1_0
gboolean        aio_rate_limiter_acquire_finish                (AioRateLimiter       *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
AIO_AVAILABLE_IN_1_0
gboolean        aio_rate_limiter_try_acquire                   (AioRateLimiter       *self);

AIO_AVAILABLE_IN_1_0
void            aio_rate_limiter_run_job_async                 (AioRateLimiter       *self,
                                                                AioJob               *job,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
AIO_AVAILABLE_IN_1_0
const GValue   *aio_rate_limiter_run_job_finish                (AioRateLimiter       *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
AIO_AVAILABLE_IN_1_0
GValue         *aio_rate_limiter_dup_run_job_finish            (AioRateLimiter       *self,
                                                                GAsyncResult         *result,
                                                                GError              **error) G_GNUC_WARN_UNUSED_RESULT;
AIO_AVAILABLE_IN_1_0
AioJob         *aio_rate_limiter_create_job                    (AioRateLimiter       *self,
                                                                AioJob               *job) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
