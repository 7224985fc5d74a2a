/* checksums-worker.c: what the Checksums app's worker processes serve: the
 * app re-executes itself in worker mode (aio_worker_is_requested()), and
 * each worker answers `sha256` calls, one file's checksum per call.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "checksums-worker.h"

#define CHUNK_SIZE (1 << 20)

static GVariant *
sha256_of_file (GVariant      *arguments,
                GCancellable  *cancellable,
                gpointer       user_data,
                GError       **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (arguments, NULL));
  g_autoptr(GFileInputStream) input = g_file_read (file, cancellable, error);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *chunk = g_malloc (CHUNK_SIZE);
  gssize length;

  if (input == NULL)
    return NULL;
  while ((length = g_input_stream_read (G_INPUT_STREAM (input), chunk, CHUNK_SIZE, cancellable, error)) > 0)
    g_checksum_update (checksum, chunk, length);
  if (length < 0)
    return NULL;

  return g_variant_new_string (g_checksum_get_string (checksum));
}

AioWorker *
checksums_worker_new (void)
{
  AioWorker *worker = aio_worker_new ();

  /* Hashing is background work: the desktop, and the app's own window,
   * come first. */
  if (setpriority (PRIO_PROCESS, 0, 10) != 0)
    g_debug ("The worker keeps its priority: %s", g_strerror (errno));
  aio_worker_register (worker, "sha256", G_VARIANT_TYPE_STRING, sha256_of_file, NULL, NULL);

  return worker;
}
