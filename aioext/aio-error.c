/* aio-error.c: the AioError domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-error.h"

/**
 * aio_error_quark:
 *
 * The quark of the %AIO_ERROR domain.
 *
 * Returns: the error domain quark
 */
G_DEFINE_QUARK (aio-error-quark, aio_error)
