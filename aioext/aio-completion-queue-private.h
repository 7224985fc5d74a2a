/* aio-completion-queue-private.h: batched hand-back of finished work to the
 * GMainContext that asked for it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AioCompletion      AioCompletion;
typedef struct _AioCompletionQueue AioCompletionQueue;

typedef void (*AioCompletionFunc) (AioCompletion *completion);

/* Embedded in a record of finished work; the record owns it. */
struct _AioCompletion
{
  AioCompletion     *next;
  AioCompletionFunc  func;
};

AioCompletion      *aio_completion_list_reverse             (AioCompletion      *stack);
AioCompletionQueue *aio_completion_queue_ref_for_context    (GMainContext       *context);
AioCompletionQueue *aio_completion_queue_ref_thread_default (void);
AioCompletionQueue *aio_completion_queue_ref                (AioCompletionQueue *queue);
void                aio_completion_queue_unref              (AioCompletionQueue *queue);
void                aio_completion_queue_push               (AioCompletionQueue *queue,
                                                             AioCompletion      *completion,
                                                             AioCompletionFunc   func);
void                aio_completion_queue_push_lazily        (AioCompletionQueue *queue,
                                                             AioCompletion      *completion,
                                                             AioCompletionFunc   func);
gboolean            aio_completion_queue_is_dispatching     (AioCompletionQueue *queue);
gint64              aio_completion_queue_dispatch_time      (AioCompletionQueue *queue);
void                aio_completion_queue_expect_soon        (AioCompletionQueue *queue);

G_END_DECLS
