/* aio-process-pool-private.h: the process pool's three rooms, their structs
 * and the one lock they share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "aio-completion-queue-private.h"
#include "aio-executor-pool-private.h"
#include "aio-wire-private.h"

G_BEGIN_DECLS

/* The rooms, used in one direction:
 *
 *   aio-process-pool.c      AioProcessPool, the GObject and its public API:
 *                           checks and encodes a call, starts and stops
 *                           executors.
 *   aio-process-executor.c  AioProcessExecutor, one started pool: a thread
 *                           with a main context of its own, the queue of
 *                           AioProcessCall records, dispatch, timeouts,
 *                           cancellation, stop.
 *   aio-worker-process.c    AioWorkerProcess, the parent's handle on one
 *                           child (the child itself runs an AioWorker):
 *                           spawn, non-blocking I/O, reaping, the words for
 *                           its death. It reports upward through two hooks,
 *                           ready and gone, never by calling dispatch.
 *
 * The lock rule: every field below is guarded by the executor's lock unless
 * noted. It comes after the pool's lock (AioExecutorPool's mutex) and before
 * GLib's own ("The lock order" in docs/reference/architecture.xml). Code
 * that may finish calls while holding it leaves through
 * aio_process_executor_unlock(), which returns the finished calls' tasks
 * once the lock is dropped, because a callback may run at once and call
 * into the pool again. Sources dispatch in several contexts and are
 * destroyed under the lock by any thread: each takes the lock through
 * aio_process_executor_lock_for_source() and does nothing when it was
 * destroyed while it waited. */

/* The descriptors a worker child is given: its end of the pool's socket,
 * and, when it runs the pool's own program, that program's running image,
 * which it is started from (/proc/self/fd/4): the file it was started from
 * may be gone or replaced, and under valgrind /proc/self/exe names
 * valgrind's tool. */
#define AIO_WORKER_SOCKET_FD   3
#define AIO_WORKER_PROGRAM_FD  4
#define AIO_WORKER_PROGRAM     "/proc/self/fd/4"

typedef struct _AioProcessExecutor AioProcessExecutor;
typedef struct _AioWorkerProcess   AioWorkerProcess;

/* One call of aio_process_pool_call_async(), from submission until the
 * result handed to its callback is freed. It is no GTask: creating,
 * returning and finalizing one cost a fifth of a round trip's
 * instructions. Like GTask it keeps its caller's context (through its
 * completion queue), the pool and the cancellable until it completes, and
 * its callback runs exactly once, in that context, never from inside
 * aio_process_pool_call_async() (see aio_process_calls_return()). */
typedef struct
{
  AioCompletion        completion;     /* first: hands the call back */
  GList                link;           /* in the executor's queue or finished, never both */
  gint                 ref_count;      /* atomic */
  GObject             *pool;           /* until it completes */
  GMainContext        *context;        /* the caller's; kept alive by queue */
  AioCompletionQueue  *queue;          /* until it completes */
  GCancellable        *cancellable;
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  char               *function;
  AioWireFrame        frame;           /* until sent */
  guint64             id;
  AioProcessExecutor *executor;        /* owned, once accepted */
  AioWorkerProcess   *worker;          /* while running */
  GSource            *cancel_source;
  GSource            *timeout_source;
  gboolean            timed_out;
  gboolean            cancelled;
  GVariant           *result;          /* the outcome, once finished */
  GError             *error;
} AioProcessCall;

/* What a worker reports to the executor that runs it; each hook runs with
 * the executor's lock held.
 *
 * ready: the worker greeted (@call and @reply %NULL) or answered @call with
 *   @reply; either way it can take a call now.
 * gone: the worker was reaped, so how it ended is known; @call is the call
 *   it was running, if any. It takes no call again. */
typedef struct
{
  void (*ready) (AioWorkerProcess   *worker,
                 AioProcessCall     *call,
                 AioWireMessage     *reply,
                 AioProcessExecutor *executor);
  void (*gone)  (AioWorkerProcess   *worker,
                 AioProcessCall     *call,
                 AioProcessExecutor *executor);
} AioWorkerProcessHooks;

/* The parent's handle on one worker child. Its replies are read in its
 * home: the context of the last caller that called from there, where the
 * reply of its call then costs one wake-up, as on a plain pipe; else in the
 * executor's context. The executor takes a worker's replies back when a
 * waiting call needs the worker, a timeout or a cancellation fires, or the
 * pool stops, so a home that does not run holds nobody up. */
struct _AioWorkerProcess
{
  gint                         ref_count;   /* atomic */
  AioProcessExecutor          *executor;    /* owned: its lock and context */
  const AioWorkerProcessHooks *hooks;
  GSubprocess                 *process;
  char                        *pid;         /* kept: GSubprocess forgets it once reaped */
  int                          fd;
  AioWireDecoder              *decoder;
  GMainContext                *home;        /* NULL for the executor's context */
  GSource                     *reader;      /* in home, or the executor's context */
  GSource                     *writer;      /* in the executor's context, while a frame does not fit */
  GSource                     *startup_timeout; /* in the executor's context, until it greets */
  AioWireFrame                 outgoing;    /* n_pieces 0: nothing to send */
  gsize                        outgoing_sent;
  AioProcessCall              *call;
  GError                      *protocol_error;
  guint                        calls_done;
  gboolean                     is_ready;
  gboolean                     is_gone;     /* takes no call again */
  gboolean                     startup_timed_out;
};

/* One started pool. Its thread spawns and reaps workers, runs timeouts and
 * cancellations, and reads the replies no caller's context reads (those of
 * calls made from elsewhere, and those it takes back); it ends once told to
 * stop and every worker is reaped. */
struct _AioProcessExecutor
{
  gint             ref_count;  /* atomic */
  GMutex           lock;
  GPid             pid;        /* the process it runs in; set once */
  AioExecutorPool *pool;       /* not owned: every call's task holds it */
  GMainContext    *context;
  GThread         *thread;     /* set once */
  char           **argv;
  int              program_fd; /* the running image, for argv AIO_WORKER_PROGRAM; else -1 */
  guint            max_workers;
  guint            timeout_ms;
  guint            startup_timeout_ms;
  guint            max_calls;

  GQueue           queue;      /* AioProcessCall, waiting */
  GPtrArray       *workers;    /* AioWorkerProcess not reaped yet, one reference each */
  GQueue           finished;   /* AioProcessCall, returned once the lock is dropped */
  gboolean         is_dispatch_posted;
  gboolean         is_stopping;
  gboolean         drains;
};

/* aio-process-executor.c */
GPid                aio_process_current_pid              (void);
AioProcessExecutor *aio_process_executor_new             (AioExecutorPool     *pool,
                                                          const char * const  *argv,
                                                          int                  program_fd,
                                                          guint                max_workers,
                                                          guint                timeout_ms,
                                                          guint                startup_timeout_ms,
                                                          guint                max_calls);
AioProcessExecutor *aio_process_executor_ref             (AioProcessExecutor  *executor);
void                aio_process_executor_unref           (AioProcessExecutor  *executor);
void                aio_process_executor_stop            (AioProcessExecutor  *executor,
                                                          AioExecutorStop      how);
GQueue              aio_process_executor_submit          (AioProcessExecutor  *executor,
                                                          AioProcessCall      *call);
void                aio_process_executor_lock            (AioProcessExecutor  *executor);
gboolean            aio_process_executor_lock_for_source (AioProcessExecutor  *executor);
void                aio_process_executor_unlock          (AioProcessExecutor  *executor);

AioProcessCall     *aio_process_call_new                 (GObject             *pool,
                                                          const char          *function,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
void                aio_process_call_unref               (AioProcessCall      *call);
void                aio_process_call_fail_later          (AioProcessCall      *call,
                                                          GError              *error);
GVariant           *aio_process_call_propagate           (AioProcessCall      *call,
                                                          GError             **error);
void                aio_process_calls_return             (GQueue              *calls,
                                                          gboolean             may_run_here);

/* aio-worker-process.c */
AioWorkerProcess   *aio_worker_process_spawn             (AioProcessExecutor          *executor,
                                                          const AioWorkerProcessHooks *hooks,
                                                          GError                     **error);
void                aio_worker_process_unref             (AioWorkerProcess    *worker);
void                aio_worker_process_start_call        (AioWorkerProcess    *worker,
                                                          AioProcessCall      *call,
                                                          GMainContext        *home);
void                aio_worker_process_set_home          (AioWorkerProcess    *worker,
                                                          GMainContext        *home);
void                aio_worker_process_read_waiting      (AioWorkerProcess    *worker);
void                aio_worker_process_retire            (AioWorkerProcess    *worker,
                                                          gboolean             kill);
gboolean            aio_worker_process_never_served      (AioWorkerProcess    *worker);
GError             *aio_worker_process_death_error       (AioWorkerProcess    *worker,
                                                          const char          *function);
GError             *aio_worker_process_startup_error     (AioWorkerProcess    *worker);

G_END_DECLS
