/* aio-error.c: the AioError domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-error.h"

/**
 * SECTION:aio-error
 * @title: AioError
 * @short_description: the error domain of aioext
 * @include: aioext.h
 *
 * Failures reported by aioext itself carry the %AIO_ERROR domain and an
 * #AioError code; errors raised by the work a job runs keep their own
 * domain. Cancellation is always %G_IO_ERROR_CANCELLED.
 */

/**
 * aio_error_quark:
 *
 * The quark of the %AIO_ERROR domain.
 *
 * Returns: the error domain quark
 */
GQuark
aio_error_quark (void)
{
  /* Not G_DEFINE_QUARK: its lazily set static is written without atomics,
   * a data race when two threads fail at once (ThreadSanitizer saw it). */
  static gsize quark = 0;

  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark, g_quark_from_static_string ("aio-error-quark"));

  return (GQuark) quark;
}
