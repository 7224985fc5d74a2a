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
G_DEFINE_QUARK (aio-error-quark, aio_error)
