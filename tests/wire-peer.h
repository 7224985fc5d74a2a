/* wire-peer.h: the pool's side of the worker protocol, for tests that
 * drive a worker over a socket by hand
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <unistd.h>

#include <glib.h>

#include "aio-wire-private.h"

static inline void
wire_peer_send_bytes (int           fd,
                      const guint8 *data,
                      gsize         size)
{
  while (size > 0)
    {
      gssize written = write (fd, data, size);

      g_assert_cmpint (written, >, 0);
      data += written;
      size -= written;
    }
}

static inline void
wire_peer_send_call (int         fd,
                     guint64     call_id,
                     const char *function,
                     GVariant   *arguments)
{
  AioWireMessage call = {
    .kind = AIO_WIRE_CALL,
    .call_id = call_id,
    .function = (char *) function,
    .payload = arguments,
  };
  g_autoptr(GBytes) frame = aio_wire_encode (&call);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  wire_peer_send_bytes (fd, data, size);
}

/* Reads until @decoder yields one whole message. */
static inline void
wire_peer_receive (int             fd,
                   AioWireDecoder *decoder,
                   AioWireMessage *message)
{
  g_autoptr(GError) error = NULL;
  guint8 chunk[4096];

  while (!aio_wire_decoder_next (decoder, message, &error))
    {
      gssize length;

      g_assert_no_error (error);
      length = read (fd, chunk, sizeof chunk);
      g_assert_cmpint (length, >, 0);
      aio_wire_decoder_feed (decoder, chunk, length);
    }
}
