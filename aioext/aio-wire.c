/* aio-wire.c: the worker protocol's frames and messages
 *
 * Every byte comes from another process and is untrusted: frames are size
 * capped, payloads are checked to be GVariants in normal form of exactly the
 * expected type, and strings that become quarks are bounded.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "aio-error.h"
#include "aio-i18n-private.h"
#include "aio-wire-private.h"

#define MESSAGE_TYPE        G_VARIANT_TYPE ("(yv)")
#define MAX_FUNCTION_LENGTH 256
#define MAX_DOMAIN_LENGTH   128
/* Quarks are never freed: a peer may not make this process create many. */
#define MAX_NEW_DOMAINS     256

struct _AioWireDecoder
{
  GByteArray *buffer;
  gsize       start;           /* bytes before this were consumed */
  gsize       max_frame_size;
};

void
aio_wire_message_clear (AioWireMessage *message)
{
  g_clear_pointer (&message->function, g_free);
  g_clear_pointer (&message->payload, g_variant_unref);
  g_clear_error (&message->error);
  memset (message, 0, sizeof *message);
}

static GVariant *
aio_wire_body (const AioWireMessage *message)
{
  switch (message->kind)
    {
    case AIO_WIRE_HELLO:
      return g_variant_new ("(ux)", message->version, message->pid);

    case AIO_WIRE_CALL:
      return g_variant_new ("(tsv)", message->call_id, message->function, message->payload);

    case AIO_WIRE_RESULT:
      return g_variant_new ("(tv)", message->call_id, message->payload);

    case AIO_WIRE_ERROR:
      {
        /* A C error message may hold any bytes; GVariant strings are UTF-8. */
        g_autofree char *text = g_utf8_make_valid (message->error->message, -1);

        return g_variant_new ("(tsis)", message->call_id,
                              g_quark_to_string (message->error->domain),
                              message->error->code, text);
      }

    default:
      g_assert_not_reached ();
    }
}

/* One frame: the payload size as a little-endian guint32, then the payload,
 * a serialised `(yv)` GVariant. */
GBytes *
aio_wire_encode (const AioWireMessage *message)
{
  g_autoptr(GVariant) variant = NULL;
  guint32 size_le;
  gsize size;
  guint8 *frame;

  variant = g_variant_ref_sink (g_variant_new ("(y@v)", (guchar) message->kind,
                                               g_variant_new_variant (aio_wire_body (message))));
  size = g_variant_get_size (variant);
  g_return_val_if_fail (size <= G_MAXUINT32, NULL);

  frame = g_malloc (AIO_WIRE_HEADER_SIZE + size);
  size_le = GUINT32_TO_LE ((guint32) size);
  memcpy (frame, &size_le, AIO_WIRE_HEADER_SIZE);
  /* g_variant_store() wants an aligned destination; the header breaks that. */
  memcpy (frame + AIO_WIRE_HEADER_SIZE, g_variant_get_data (variant), size);

  return g_bytes_new_take (frame, AIO_WIRE_HEADER_SIZE + size);
}

static gboolean
set_protocol_error (GError    **error,
                    const char *reason)
{
  g_set_error (error, AIO_ERROR, AIO_ERROR_PROTOCOL,
               _("A malformed message arrived from the other process: %s."), reason);
  return FALSE;
}

static gboolean
is_valid_domain (const char *domain)
{
  gsize length = strlen (domain);

  if (length == 0 || length > MAX_DOMAIN_LENGTH)
    return FALSE;

  for (const char *p = domain; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;

  return TRUE;
}

/* The error as the peer sent it when its domain is known here or may still
 * be learnt; otherwise an AIO_ERROR_FAILED that keeps the domain's name. */
static GError *
error_from_wire (const char *domain,
                 gint32      code,
                 const char *message)
{
  static gint new_domains = 0;
  GQuark quark = g_quark_try_string (domain);

  if (quark == 0 && g_atomic_int_add (&new_domains, 1) < MAX_NEW_DOMAINS)
    quark = g_quark_from_string (domain);

  if (quark == 0)
    return g_error_new (AIO_ERROR, AIO_ERROR_FAILED, "%s (%s %d)", message, domain, code);

  return g_error_new_literal (quark, code, message);
}

static gboolean
parse_body (AioWireKind      kind,
            GVariant        *body,
            AioWireMessage  *message,
            GError         **error)
{
  const char *text;
  const char *domain;
  gint32 code;

  switch (kind)
    {
    case AIO_WIRE_HELLO:
      if (!g_variant_is_of_type (body, G_VARIANT_TYPE ("(ux)")))
        return set_protocol_error (error, _("a greeting of the wrong type"));
      g_variant_get (body, "(ux)", &message->version, &message->pid);
      break;

    case AIO_WIRE_CALL:
      if (!g_variant_is_of_type (body, G_VARIANT_TYPE ("(tsv)")))
        return set_protocol_error (error, _("a call of the wrong type"));
      g_variant_get (body, "(t&sv)", &message->call_id, &text, &message->payload);
      if (*text == '\0' || strlen (text) > MAX_FUNCTION_LENGTH)
        return set_protocol_error (error, _("a function name that is empty or too long"));
      message->function = g_strdup (text);
      break;

    case AIO_WIRE_RESULT:
      if (!g_variant_is_of_type (body, G_VARIANT_TYPE ("(tv)")))
        return set_protocol_error (error, _("a result of the wrong type"));
      g_variant_get (body, "(tv)", &message->call_id, &message->payload);
      break;

    case AIO_WIRE_ERROR:
      if (!g_variant_is_of_type (body, G_VARIANT_TYPE ("(tsis)")))
        return set_protocol_error (error, _("an error of the wrong type"));
      g_variant_get (body, "(t&si&s)", &message->call_id, &domain, &code, &text);
      if (!is_valid_domain (domain))
        return set_protocol_error (error, _("an error domain that is not a valid name"));
      message->error = error_from_wire (domain, code, text);
      break;

    default:
      return set_protocol_error (error, _("an unknown message kind"));
    }

  return TRUE;
}

/* On failure @message is left cleared. */
gboolean
aio_wire_parse (GBytes          *payload,
                AioWireMessage  *message,
                GError         **error)
{
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariant) body = NULL;
  guchar kind;

  memset (message, 0, sizeof *message);

  variant = g_variant_ref_sink (g_variant_new_from_bytes (MESSAGE_TYPE, payload, FALSE));
  if (!g_variant_is_normal_form (variant))
    return set_protocol_error (error, _("data that is not a message in normal form"));

  g_variant_get (variant, "(yv)", &kind, &body);
  message->kind = kind;
  if (!parse_body (kind, body, message, error))
    {
      aio_wire_message_clear (message);
      return FALSE;
    }

  return TRUE;
}

AioWireDecoder *
aio_wire_decoder_new (gsize max_frame_size)
{
  AioWireDecoder *decoder = g_new0 (AioWireDecoder, 1);

  decoder->buffer = g_byte_array_new ();
  decoder->max_frame_size = MIN (max_frame_size, G_MAXUINT32);

  return decoder;
}

void
aio_wire_decoder_free (AioWireDecoder *decoder)
{
  g_byte_array_unref (decoder->buffer);
  g_free (decoder);
}

gsize
aio_wire_decoder_pending (AioWireDecoder *decoder)
{
  return decoder->buffer->len - decoder->start;
}

void
aio_wire_decoder_feed (AioWireDecoder *decoder,
                       const guint8   *data,
                       gsize           length)
{
  /* Consumed bytes are dropped only when they are most of the buffer, so a
   * stream of small frames costs no memmove per frame. */
  if (decoder->start > 0 && decoder->start >= decoder->buffer->len / 2)
    {
      g_byte_array_remove_range (decoder->buffer, 0, decoder->start);
      decoder->start = 0;
    }

  g_byte_array_append (decoder->buffer, data, length);
}

/* Returns TRUE with @message filled when a whole frame was decoded, FALSE
 * without @error when more bytes are needed, and FALSE with an
 * %AIO_ERROR_PROTOCOL error when the stream cannot be trusted any more. */
gboolean
aio_wire_decoder_next (AioWireDecoder  *decoder,
                       AioWireMessage  *message,
                       GError         **error)
{
  g_autoptr(GBytes) payload = NULL;
  const guint8 *frame;
  guint32 size_le;
  gsize size;

  memset (message, 0, sizeof *message);

  /* Checked first: an empty buffer has no data pointer to offset. */
  if (aio_wire_decoder_pending (decoder) < AIO_WIRE_HEADER_SIZE)
    return FALSE;

  frame = decoder->buffer->data + decoder->start;

  memcpy (&size_le, frame, AIO_WIRE_HEADER_SIZE);
  size = GUINT32_FROM_LE (size_le);
  if (size == 0 || size > decoder->max_frame_size)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_PROTOCOL,
                   _("A frame of %lu bytes arrived from the other process; frames must hold 1 to %lu bytes."),
                   (gulong) size, (gulong) decoder->max_frame_size);
      return FALSE;
    }

  if (aio_wire_decoder_pending (decoder) - AIO_WIRE_HEADER_SIZE < size)
    return FALSE;

  payload = g_bytes_new (frame + AIO_WIRE_HEADER_SIZE, size);
  decoder->start += AIO_WIRE_HEADER_SIZE + size;

  return aio_wire_parse (payload, message, error);
}
