/* aio-error.h: the AioError domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <glib.h>

#include "aio-version-macros.h"

G_BEGIN_DECLS

/**
 * AIO_ERROR:
 *
 * The error domain of aioext. Errors in it carry an #AioError code.
 * Cancellation is reported as %G_IO_ERROR_CANCELLED, as everywhere in GIO.
 */
#define AIO_ERROR (aio_error_quark ())

/**
 * AioError:
 * @AIO_ERROR_FAILED: a generic failure with no more specific code
 * @AIO_ERROR_INVALID_ARGUMENT: a run-time value was outside what the call accepts
 * @AIO_ERROR_CLOSED: the object was closed and takes no more work
 * @AIO_ERROR_SHUT_DOWN: the executor pool was shut down before the work ran
 * @AIO_ERROR_WORKER_DIED: a worker process died while running the call
 * @AIO_ERROR_TIMED_OUT: the call ran past its time limit
 * @AIO_ERROR_PROTOCOL: a peer sent data that breaks the worker protocol
 * @AIO_ERROR_UNKNOWN_FUNCTION: a worker was asked for a function it does not have
 * @AIO_ERROR_NOT_SUPPORTED: the call cannot work in this context (for example
 *   a JavaScript function on a worker thread)
 * @AIO_ERROR_RECURSIVE_RUN: aio_run() was called while another aio_run() was
 *   running in the same thread
 * @AIO_ERROR_BUSY: the object is already doing what was asked (for example a
 *   job that was already started)
 *
 * Error codes of the %AIO_ERROR domain.
 */
typedef enum
{
  AIO_ERROR_FAILED,
  AIO_ERROR_INVALID_ARGUMENT,
  AIO_ERROR_CLOSED,
  AIO_ERROR_SHUT_DOWN,
  AIO_ERROR_WORKER_DIED,
  AIO_ERROR_TIMED_OUT,
  AIO_ERROR_PROTOCOL,
  AIO_ERROR_UNKNOWN_FUNCTION,
  AIO_ERROR_NOT_SUPPORTED,
  AIO_ERROR_RECURSIVE_RUN,
  AIO_ERROR_BUSY,
} AioError;

AIO_AVAILABLE_IN_1_0
GQuark aio_error_quark (void);

G_END_DECLS
