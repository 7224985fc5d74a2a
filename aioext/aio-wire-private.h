/* aio-wire-private.h: the worker protocol's frames and messages
 *
 * Plain C over bytes, no GObject, so the decoder can be fuzzed alone.
 * docs/worker-protocol.md describes the format.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <sys/uio.h>

#include <glib.h>

G_BEGIN_DECLS

#define AIO_WIRE_VERSION          1
#define AIO_WIRE_HEADER_SIZE      4
#define AIO_WIRE_DEFAULT_MAX_SIZE (64 * 1024 * 1024)

typedef enum
{
  AIO_WIRE_HELLO  = 'H',
  AIO_WIRE_CALL   = 'C',
  AIO_WIRE_RESULT = 'R',
  AIO_WIRE_ERROR  = 'E',
} AioWireKind;

typedef struct
{
  AioWireKind  kind;
  guint32      version;    /* HELLO */
  gint64       pid;        /* HELLO */
  guint64      call_id;    /* CALL, RESULT, ERROR */
  char        *function;   /* CALL */
  GVariant    *payload;    /* CALL: arguments; RESULT: the result */
  GError      *error;      /* ERROR: the worker's error, domain and all */
} AioWireMessage;

/* A frame in the pieces it is written in, one after the other: one, or
 * three when a large payload is sent from its own bytes. */
#define AIO_WIRE_FRAME_MAX_PIECES 3

typedef struct
{
  GBytes *pieces[AIO_WIRE_FRAME_MAX_PIECES];
  guint   n_pieces;
} AioWireFrame;

gboolean        aio_wire_is_normal       (GVariant        *value);
void            aio_wire_message_clear   (AioWireMessage  *message);
void            aio_wire_encode_frame    (const AioWireMessage *message,
                                          AioWireFrame    *frame);
GBytes         *aio_wire_encode          (const AioWireMessage *message);
void            aio_wire_frame_clear     (AioWireFrame    *frame);
guint           aio_wire_frame_get_unsent (const AioWireFrame *frame,
                                           gsize               sent,
                                           struct iovec        vectors[AIO_WIRE_FRAME_MAX_PIECES]);
gboolean        aio_wire_check_call      (const char      *function,
                                          GVariant        *arguments,
                                          GError         **error);
gboolean        aio_wire_check_result    (const char      *function,
                                          GVariant        *result,
                                          GError         **error);
gboolean        aio_wire_parse           (GBytes          *payload,
                                          AioWireMessage  *message,
                                          GError         **error);

typedef struct _AioWireDecoder AioWireDecoder;

AioWireDecoder *aio_wire_decoder_new     (gsize            max_frame_size);
void            aio_wire_decoder_free    (AioWireDecoder  *decoder);
void            aio_wire_decoder_feed    (AioWireDecoder  *decoder,
                                          const guint8    *data,
                                          gsize            length);
guint8         *aio_wire_decoder_get_buffer (AioWireDecoder *decoder,
                                             gsize           min_size,
                                             gsize          *size);
void            aio_wire_decoder_commit  (AioWireDecoder  *decoder,
                                          gsize            length);
gboolean        aio_wire_decoder_next    (AioWireDecoder  *decoder,
                                          AioWireMessage  *message,
                                          GError         **error);
gsize           aio_wire_decoder_pending (AioWireDecoder  *decoder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AioWireDecoder, aio_wire_decoder_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AioWireFrame, aio_wire_frame_clear)

G_END_DECLS
