/* aio-notify-batcher-private.h: property notifications coalesced and
 * emitted in the context that owns an object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _AioNotifyBatcher AioNotifyBatcher;

AioNotifyBatcher *aio_notify_batcher_new         (GObject           *object,
                                                  GParamSpec       **pspecs,
                                                  GMainContext      *context);
void              aio_notify_batcher_free        (AioNotifyBatcher  *self);
void              aio_notify_batcher_set_context (AioNotifyBatcher  *self,
                                                  GMainContext      *context);
void              aio_notify_batcher_mark        (AioNotifyBatcher  *self,
                                                  guint              changed);
void              aio_notify_batcher_schedule    (AioNotifyBatcher  *self,
                                                  guint              changed);
void              aio_notify_batcher_schedule_if_heard (AioNotifyBatcher *self,
                                                        guint             changed,
                                                        int              *is_awaited);
void              aio_notify_batcher_notify      (AioNotifyBatcher  *self,
                                                  guint              changed);
void              aio_notify_batcher_flush       (AioNotifyBatcher  *self);

/* The bit of @prop_id in the changed masks above. */
#define AIO_NOTIFY_BIT(prop_id) (1u << (prop_id))

G_END_DECLS
