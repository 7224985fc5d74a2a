/* fuzz-pool.c: libFuzzer target for the pool's side of the protocol: a
 * worker that says anything at all (fuzz-pool-replayer plays the input
 * back) must end the call once, with its result, its error or an aioext
 * error, and leave no process behind; never crash, hang or leak.
 *
 * Slow next to fuzz-wire (a process per input), but it reaches what only
 * the pool does with decoded messages: greetings out of turn, answers to
 * other calls, calls sent to the pool, a worker that stops mid-frame.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <aioext.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Guards against a worker that never answers; no input should need it. */
#define CALL_TIMEOUT_MS 5000

typedef struct
{
  guint     callbacks;
  GVariant *value;
  GError   *error;
} Outcome;

static void
call_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->callbacks++;
  outcome->value = aio_process_pool_call_finish (AIO_PROCESS_POOL (source_object), result, &outcome->error);
}

static const char *
input_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_strdup_printf ("%s/aioext-fuzz-pool-%d", g_get_tmp_dir (), (int) getpid ());

  return path;
}

static const char *
replayer_path (void)
{
  static char *path;

  if (path == NULL)
    {
      g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *directory = g_path_get_dirname (self);

      path = g_build_filename (directory, "fuzz-pool-replayer", NULL);
    }

  return path;
}

/* Any child, running or not yet reaped; far cheaper than reading /proc.
 * A zombie found here is reaped, but the input has failed anyway. */
static gboolean
has_children (void)
{
  return waitpid (-1, NULL, WNOHANG) != -1 || errno != ECHILD;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  const char *argv[] = { replayer_path (), input_path (), NULL };
  g_autoptr(GMainContext) context = g_main_context_new ();
  AioProcessPool *pool;
  Outcome outcome = { 0 };

  /* Without the fsync that g_file_set_contents() does on replacing a file. */
  if (!g_file_set_contents_full (input_path (), (const char *) data, size, G_FILE_SET_CONTENTS_NONE, 0600, NULL))
    __builtin_trap ();

  g_main_context_push_thread_default (context);
  pool = aio_process_pool_new (1, argv);
  aio_process_pool_set_call_timeout (pool, CALL_TIMEOUT_MS);
  aio_process_pool_call_async (pool, "f", g_variant_new_uint32 (7), NULL, call_done, &outcome);
  while (outcome.callbacks == 0)
    g_main_context_iteration (context, TRUE);
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  g_object_unref (pool);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  /* Exactly one outcome; a worker cannot make the pool time out (it always
   * exits), and the worker is gone once the pool has shut down. */
  if (outcome.callbacks != 1 || (outcome.value == NULL) == (outcome.error == NULL) ||
      g_error_matches (outcome.error, AIO_ERROR, AIO_ERROR_TIMED_OUT) ||
      has_children ())
    __builtin_trap ();

  g_clear_pointer (&outcome.value, g_variant_unref);
  g_clear_error (&outcome.error);

  return 0;
}
