/* aio-completion-queue.c: batched hand-back of finished work to the
 * GMainContext that asked for it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-completion-queue-private.h"

#include "aio-caller-context-private.h"

/* One queue per GMainContext, shared by every class that finishes work off
 * the caller's thread. Workers push finished records onto a lock-free stack;
 * only the push that finds the stack empty wakes the context, and one
 * dispatch then drains everything pushed so far, in push order. This is one
 * main-loop wake-up per batch instead of one idle GSource per record, the
 * cost that dominates GTask's g_task_run_in_thread().
 *
 * The queue is a GSource attached to its context for the context's whole
 * life. While it has users (work in flight) it holds a reference on the
 * context, so the source stays attached; it is forgotten when the context
 * is finalized. Users are counted apart rather than with g_source_ref(),
 * which would take the context lock that workers contend for when they
 * wake the context. */
struct _AioCompletionQueue
{
  GSource        source;
  GMainContext  *context;   /* the context owns the source; see users */
  int            users;     /* atomic: a context reference while > 0 */
  AioCompletion *head;      /* atomic: a stack, newest first */
  /* Records pushed without waking the context (aio_completion_queue_push_lazily()),
   * apart, so that the first push onto head still knows it must wake the
   * context. Not a tag on head: a tagged pointer is no pointer to leak
   * checkers, which then report the records still queued at exit. */
  AioCompletion *lazy_head; /* atomic: a stack, newest first */
  int            is_expected_soon; /* atomic: see aio_completion_queue_expect_soon() */
  gint64         spin_until;       /* the context's own: monotonic, in microseconds */
};

/* How long a context polls without sleeping once a completion is expected
 * soon: a Python `await in_thread()` of a trivial function takes about
 * 30 us, a C call less. */
#define SPIN_USEC 200

G_LOCK_DEFINE_STATIC (queues);   /* a leaf: see "The lock order" (docs/reference/architecture.xml) */
static GHashTable *queues;      /* queues lock: GMainContext * -> AioCompletionQueue *, not owned */
static int queues_generation;   /* atomic: bumped whenever a queue is finalized */

/* The queue a thread used last, so that a burst of calls looks it up once.
 * It is still that context's queue while no queue has been finalized
 * since: a context at the same address would be a new one only after the
 * old one, and its queue, were finalized. */
typedef struct
{
  GMainContext       *context;
  AioCompletionQueue *queue;
  int                 generation;
} QueueCache;

static GPrivate queue_cache = G_PRIVATE_INIT (g_free);

/* Turns a stack of completions, newest first, into a list in push order. */
AioCompletion *
aio_completion_list_reverse (AioCompletion *stack)
{
  AioCompletion *fifo = NULL;

  while (stack != NULL)
    {
      AioCompletion *next = stack->next;

      stack->next = fifo;
      fifo = stack;
      stack = next;
    }

  return fifo;
}

/* Whether the context should poll without sleeping: for SPIN_USEC after a
 * completion was announced as expected soon. */
static gboolean
aio_completion_queue_is_spinning (AioCompletionQueue *queue)
{
  if (g_atomic_int_get (&queue->is_expected_soon))
    {
      g_atomic_int_set (&queue->is_expected_soon, FALSE);
      queue->spin_until = g_get_monotonic_time () + SPIN_USEC;
      return TRUE;
    }

  if (queue->spin_until != 0 && g_get_monotonic_time () < queue->spin_until)
    return TRUE;
  /* Past the window the clock is not read again until the next one. */
  queue->spin_until = 0;
  return FALSE;
}

static gboolean
aio_completion_queue_prepare (GSource *source,
                              int     *timeout)
{
  AioCompletionQueue *queue = (AioCompletionQueue *) source;

  *timeout = -1;
  if (g_atomic_pointer_get (&queue->head) != NULL || g_atomic_pointer_get (&queue->lazy_head) != NULL)
    return TRUE;

  if (aio_completion_queue_is_spinning (queue))
    *timeout = 0;
  return FALSE;
}

static gboolean
aio_completion_queue_check (GSource *source)
{
  AioCompletionQueue *queue = (AioCompletionQueue *) source;

  return g_atomic_pointer_get (&queue->head) != NULL || g_atomic_pointer_get (&queue->lazy_head) != NULL;
}

/* Runs a stack's records in push order. */
static void
aio_completion_run_stack (AioCompletion *stack)
{
  AioCompletion *completion = aio_completion_list_reverse (stack);

  while (completion != NULL)
    {
      AioCompletion *next = completion->next;

      /* A big batch no longer fits in the cache: fetch the next record
       * while this one completes. */
#ifdef __GNUC__
      __builtin_prefetch (next);
#endif
      completion->func (completion);
      completion = next;
    }
}

/* The lazy records (notifications nobody was waiting for) first: they were
 * mostly pushed before the completions that woke the context. */
static gboolean
aio_completion_queue_dispatch (GSource     *source,
                               GSourceFunc  callback,
                               gpointer     user_data)
{
  AioCompletionQueue *queue = (AioCompletionQueue *) source;
  AioCompletion *completions;

  aio_completion_run_stack (g_atomic_pointer_exchange (&queue->lazy_head, NULL));
  completions = g_atomic_pointer_exchange (&queue->head, NULL);
  if (completions != NULL)
    queue->spin_until = 0;   /* what was expected came */
  aio_completion_run_stack (completions);

  return G_SOURCE_CONTINUE;
}

static void
aio_completion_queue_finalize (GSource *source)
{
  AioCompletionQueue *queue = (AioCompletionQueue *) source;

  /* A record that keeps a user keeps the context alive, so what is left
   * here was pushed by an owner already gone that holds no user (a notify
   * batcher): it runs now, so that it can free itself. */
  aio_completion_queue_dispatch (source, NULL, NULL);

  G_LOCK (queues);
  if (g_hash_table_lookup (queues, queue->context) == queue)
    g_hash_table_remove (queues, queue->context);
  g_atomic_int_inc (&queues_generation);
  G_UNLOCK (queues);
}

static GSourceFuncs aio_completion_queue_funcs = {
  .prepare = aio_completion_queue_prepare,
  .check = aio_completion_queue_check,
  .dispatch = aio_completion_queue_dispatch,
  .finalize = aio_completion_queue_finalize,
};

static AioCompletionQueue *
aio_completion_queue_new (GMainContext *context)
{
  GSource *source = g_source_new (&aio_completion_queue_funcs, sizeof (AioCompletionQueue));
  AioCompletionQueue *queue = (AioCompletionQueue *) source;

  queue->context = context;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[aioext] completions");
  g_source_attach (source, context);

  return queue;
}

static AioCompletionQueue *
aio_completion_queue_lookup (GMainContext *context,
                             QueueCache   *cache)
{
  AioCompletionQueue *queue;

  G_LOCK (queues);
  if (queues == NULL)
    queues = g_hash_table_new (NULL, NULL);
  queue = g_hash_table_lookup (queues, context);
  if (queue == NULL)
    {
      queue = aio_completion_queue_new (context);
      g_hash_table_insert (queues, context, queue);
      /* The attached source is owned by its context from now on. */
      g_source_unref (&queue->source);
    }
  cache->context = context;
  cache->queue = queue;
  cache->generation = g_atomic_int_get (&queues_generation);
  G_UNLOCK (queues);

  return queue;
}

static void
aio_completion_queue_add_user (AioCompletionQueue *queue)
{
  if (g_atomic_int_add (&queue->users, 1) == 0)
    g_main_context_ref (queue->context);
}

/* Returns the queue of @context, with a reference on it and on @context.
 * The caller must hold a reference on @context. */
AioCompletionQueue *
aio_completion_queue_ref_for_context (GMainContext *context)
{
  QueueCache unused;
  AioCompletionQueue *queue = aio_completion_queue_lookup (context, &unused);

  aio_completion_queue_add_user (queue);
  return queue;
}

/* Returns the queue of the thread-default main context, with a reference
 * on it and on its context. Call it in the context that is to receive the
 * completions. */
AioCompletionQueue *
aio_completion_queue_ref_thread_default (void)
{
  GMainContext *context = g_main_context_get_thread_default ();
  QueueCache *cache = g_private_get (&queue_cache);
  AioCompletionQueue *queue;

  if (context == NULL)
    context = g_main_context_default ();
  if (cache == NULL)
    {
      cache = g_new0 (QueueCache, 1);
      g_private_set (&queue_cache, cache);
    }

  /* The context is alive, being this thread's, and so is its queue. */
  if (cache->context == context && cache->generation == g_atomic_int_get (&queues_generation))
    queue = cache->queue;
  else
    queue = aio_completion_queue_lookup (context, cache);

  aio_completion_queue_add_user (queue);
  return queue;
}

/* One more user of a queue already held. */
AioCompletionQueue *
aio_completion_queue_ref (AioCompletionQueue *queue)
{
  aio_completion_queue_add_user (queue);
  return queue;
}

/* Safe from any thread. */
void
aio_completion_queue_unref (AioCompletionQueue *queue)
{
  if (g_atomic_int_dec_and_test (&queue->users))
    g_main_context_unref (queue->context);
}

/* See aio_context_dispatch_time(). */
gint64
aio_completion_queue_dispatch_time (AioCompletionQueue *queue)
{
  return aio_context_dispatch_time (queue->context);
}

/* Whether this thread is dispatching a source of @queue's context, which it
 * will prepare again before it polls. */
gboolean
aio_completion_queue_is_dispatching (AioCompletionQueue *queue)
{
  return aio_context_is_dispatching (queue->context);
}

/* Safe from any thread. Says that a completion will likely be pushed within
 * microseconds (a call handed to a worker that is waiting for one): the
 * context then polls without sleeping for a moment, so that the completion
 * does not wait for the wake-up of a processor gone idle, which costs tens
 * of microseconds on a virtual machine (docs/hardening.md). */
void
aio_completion_queue_expect_soon (AioCompletionQueue *queue)
{
  if (!g_atomic_int_get (&queue->is_expected_soon))
    g_atomic_int_set (&queue->is_expected_soon, TRUE);
}

/* Safe from any thread. @func runs later in the queue's context, in push
 * order among completions pushed from one thread. The completion's record
 * must stay alive until then. */
void
aio_completion_queue_push (AioCompletionQueue *queue,
                           AioCompletion      *completion,
                           AioCompletionFunc   func)
{
  GMainContext *context = NULL;
  AioCompletion *head;

  completion->func = func;
  do
    {
      head = g_atomic_pointer_get (&queue->head);
      completion->next = head;
      /* Once pushed, the completion may run at once in a context that
       * another thread is running, drop the last user, and let that
       * thread free the context and its queue before the wake-up below:
       * the push that will wake holds the context first, while the
       * pending completion still keeps it alive. */
      if (head == NULL && context == NULL)
        context = g_main_context_ref (queue->context);
    }
  while (!g_atomic_pointer_compare_and_exchange (&queue->head, head, completion));

  /* Only the push that finds the stack empty wakes the context; the
   * context sees the stack in its next prepare or check. Waking it takes
   * no lock, unlike making the source ready, which would have every
   * worker contend for the context's lock with the loop itself. A thread
   * that is dispatching one of the context's sources prepares the context
   * again before it polls, so it need not wake it: that write, and the
   * read that acknowledges it, cost a process pool's round trip two of its
   * few system calls. */
  if (head == NULL && !aio_context_is_dispatching (context))
    g_main_context_wakeup (context);
  if (context != NULL)
    g_main_context_unref (context);
}

/* As aio_completion_queue_push(), but wakes no one: @func runs when the
 * context next iterates, for whatever reason, before the completions
 * pushed by aio_completion_queue_push() that the same dispatch runs. For records that nobody
 * waits for, such as a notification that nobody listens to: they then
 * cost the context no wake-up of its own. */
void
aio_completion_queue_push_lazily (AioCompletionQueue *queue,
                                  AioCompletion      *completion,
                                  AioCompletionFunc   func)
{
  AioCompletion *head;

  completion->func = func;
  do
    {
      head = g_atomic_pointer_get (&queue->lazy_head);
      completion->next = head;
    }
  while (!g_atomic_pointer_compare_and_exchange (&queue->lazy_head, head, completion));
}
