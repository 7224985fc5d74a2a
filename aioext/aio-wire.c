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
#define MAX_NESTING         64
/* Quarks are never freed: a peer may not make this process create many. */
#define MAX_NEW_DOMAINS     256

/* Bytes arrive in a scratch buffer until a frame's header is known; the
 * frame's payload then gets an allocation of its own, which the rest of
 * the frame is read into directly and which becomes the message's bytes:
 * a large frame is never copied or regrown on its way in. */
struct _AioWireDecoder
{
  GByteArray *buffer;          /* scratch */
  gsize       start;           /* scratch bytes before this were consumed */
  guint8     *payload;         /* the frame being completed, or NULL */
  gsize       payload_size;
  gsize       payload_filled;
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

/* GVariant's largest alignment: the frame's payload starts there. */
#define PAYLOAD_OFFSET 8

static void
free_frame (gpointer frame)
{
  g_free ((guint8 *) frame - (PAYLOAD_OFFSET - AIO_WIRE_HEADER_SIZE));
}

/* One frame: the payload size as a little-endian guint32, then the payload,
 * a serialised `(yv)` GVariant. The message is serialised once, straight
 * into the frame: g_variant_store() wants an aligned destination, so the
 * header goes into the last bytes of an aligned prefix. */
GBytes *
aio_wire_encode (const AioWireMessage *message)
{
  g_autoptr(GVariant) variant = NULL;
  guint32 size_le;
  gsize size;
  guint8 *buffer;
  guint8 *frame;

  variant = g_variant_ref_sink (g_variant_new ("(y@v)", (guchar) message->kind,
                                               g_variant_new_variant (aio_wire_body (message))));
  size = g_variant_get_size (variant);
  g_return_val_if_fail (size <= G_MAXUINT32, NULL);

  buffer = g_malloc (PAYLOAD_OFFSET + size);
  frame = buffer + PAYLOAD_OFFSET - AIO_WIRE_HEADER_SIZE;
  size_le = GUINT32_TO_LE ((guint32) size);
  memcpy (frame, &size_le, AIO_WIRE_HEADER_SIZE);
  g_variant_store (variant, buffer + PAYLOAD_OFFSET);

  return g_bytes_new_with_free_func (frame, AIO_WIRE_HEADER_SIZE + size, free_frame, frame);
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

/* Fixed-size numbers for which every bit pattern is normal: an array of
 * them is normal exactly when its size is a multiple of the element size.
 * Booleans are left out: only 0 and 1 are normal. */
static gsize
fixed_number_size (const GVariantType *type)
{
  switch (g_variant_type_peek_string (type)[0])
    {
    case 'y':
      return 1;
    case 'n': case 'q':
      return 2;
    case 'i': case 'u': case 'h':
      return 4;
    case 'x': case 't': case 'd':
      return 8;
    default:
      return 0;
    }
}

static GVariant *
rebuild_container (const GVariantType  *type,
                   GVariant           **children,
                   gsize                n_children)
{
  if (g_variant_type_is_variant (type))
    return g_variant_new_variant (children[0]);
  if (g_variant_type_is_array (type))
    return g_variant_new_array (g_variant_type_element (type), children, n_children);
  if (g_variant_type_is_maybe (type))
    return g_variant_new_maybe (g_variant_type_element (type), n_children > 0 ? children[0] : NULL);
  if (g_variant_type_is_dict_entry (type))
    return g_variant_new_dict_entry (children[0], children[1]);
  return g_variant_new_tuple (children, n_children);
}

/* The value rebuilt in tree form from the children GLib reads out of
 * @value's bytes, or NULL when a leaf is not in normal form or the shape is
 * impossible. Leaves are scalars, strings and arrays of numbers; the
 * rebuilt tree is serialised only once, by the caller. */
static GVariant *
rebuild_from_leaves (GVariant *value,
                     guint     depth)
{
  const GVariantType *type = g_variant_get_type (value);
  GVariant *rebuilt = NULL;
  GVariant **children;
  gsize n_children;
  gsize rebuilt_children = 0;
  gsize element_size;

  if (depth > MAX_NESTING)
    return NULL;

  if (!g_variant_type_is_container (type))
    return g_variant_is_normal_form (value) ? g_variant_ref (value) : NULL;

  /* GLib gives no data for a value it could not frame. */
  if (g_variant_type_is_array (type) &&
      (element_size = fixed_number_size (g_variant_type_element (type))) > 0)
    return g_variant_get_size (value) % element_size == 0 &&
           (g_variant_get_size (value) == 0 || g_variant_get_data (value) != NULL) ? g_variant_ref (value) : NULL;

  n_children = g_variant_n_children (value);
  if ((g_variant_type_is_variant (type) && n_children != 1) ||
      (g_variant_type_is_dict_entry (type) && n_children != 2))
    return NULL;

  children = g_new0 (GVariant *, MAX (n_children, 1));
  for (; rebuilt_children < n_children; rebuilt_children++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, rebuilt_children);

      children[rebuilt_children] = rebuild_from_leaves (child, depth + 1);
      if (children[rebuilt_children] == NULL)
        break;
    }

  if (rebuilt_children == n_children)
    rebuilt = g_variant_ref_sink (rebuild_container (type, children, n_children));

  for (gsize i = 0; i < rebuilt_children; i++)
    g_variant_unref (children[i]);
  g_free (children);

  return rebuilt;
}

/* As strict as g_variant_is_normal_form(), but linear in the size: GLib's
 * check visits every element of a large array of numbers one by one, which
 * made a 1 MiB argument cost tens of milliseconds. Bytes are in normal form
 * exactly when they equal the canonical serialisation of the value they
 * hold, that is, the tree rebuilt from their leaves (each in normal form),
 * serialised once. */
static gboolean
is_normal (GVariant *value)
{
  g_autoptr(GVariant) rebuilt = rebuild_from_leaves (value, 0);
  gsize size = g_variant_get_size (value);
  gconstpointer data;

  if (rebuilt == NULL)
    return FALSE;
  if (rebuilt == value)
    return TRUE;
  if (g_variant_get_size (rebuilt) != size)
    return FALSE;
  if (size == 0)
    return TRUE;

  data = g_variant_get_data (value);

  return data != NULL && memcmp (g_variant_get_data (rebuilt), data, size) == 0;
}

gboolean
aio_wire_is_normal (GVariant *value)
{
  return is_normal (value);
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
  if (!aio_wire_is_normal (variant))
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
  g_free (decoder->payload);
  g_free (decoder);
}

static gsize
scratch_pending (AioWireDecoder *decoder)
{
  return decoder->buffer->len - decoder->start;
}

gsize
aio_wire_decoder_pending (AioWireDecoder *decoder)
{
  gsize in_payload = decoder->payload != NULL ? AIO_WIRE_HEADER_SIZE + decoder->payload_filled : 0;

  return scratch_pending (decoder) + in_payload;
}

static void
drop_consumed_scratch (AioWireDecoder *decoder)
{
  /* Only when the consumed bytes are most of the buffer, so a stream of
   * small frames costs no memmove per frame. */
  if (decoder->start > 0 && decoder->start >= decoder->buffer->len / 2)
    {
      g_byte_array_remove_range (decoder->buffer, 0, decoder->start);
      decoder->start = 0;
    }
}

/* Where the next bytes read from the stream should go, and how many are
 * welcome there: the rest of the current frame, or room in the scratch
 * buffer. Call aio_wire_decoder_commit() with what was actually written. */
guint8 *
aio_wire_decoder_get_buffer (AioWireDecoder *decoder,
                             gsize           min_size,
                             gsize          *size)
{
  gsize length;

  if (decoder->payload != NULL)
    {
      *size = decoder->payload_size - decoder->payload_filled;
      return decoder->payload + decoder->payload_filled;
    }

  drop_consumed_scratch (decoder);
  length = decoder->buffer->len;
  /* Grows the allocation; the length follows in commit(). */
  g_byte_array_set_size (decoder->buffer, length + min_size);
  g_byte_array_set_size (decoder->buffer, length);
  *size = min_size;

  return decoder->buffer->data + length;
}

void
aio_wire_decoder_commit (AioWireDecoder *decoder,
                         gsize           length)
{
  if (decoder->payload != NULL)
    {
      g_return_if_fail (length <= decoder->payload_size - decoder->payload_filled);
      decoder->payload_filled += length;
    }
  else
    {
      g_byte_array_set_size (decoder->buffer, decoder->buffer->len + length);
    }
}

void
aio_wire_decoder_feed (AioWireDecoder *decoder,
                       const guint8   *data,
                       gsize           length)
{
  if (decoder->payload != NULL)
    {
      gsize taken = MIN (length, decoder->payload_size - decoder->payload_filled);

      memcpy (decoder->payload + decoder->payload_filled, data, taken);
      decoder->payload_filled += taken;
      data += taken;
      length -= taken;
    }

  if (length > 0)
    {
      drop_consumed_scratch (decoder);
      g_byte_array_append (decoder->buffer, data, length);
    }
}

/* Moves a frame whose header is in the scratch buffer into an allocation of
 * its own, with whatever of its payload the scratch buffer already holds. */
static gboolean
begin_frame (AioWireDecoder  *decoder,
             GError         **error)
{
  const guint8 *header = decoder->buffer->data + decoder->start;
  guint32 size_le;
  gsize size;
  gsize taken;

  memcpy (&size_le, header, AIO_WIRE_HEADER_SIZE);
  size = GUINT32_FROM_LE (size_le);
  if (size == 0 || size > decoder->max_frame_size)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_PROTOCOL,
                   _("A frame of %lu bytes arrived from the other process; frames must hold 1 to %lu bytes."),
                   (gulong) size, (gulong) decoder->max_frame_size);
      return FALSE;
    }

  decoder->start += AIO_WIRE_HEADER_SIZE;
  taken = MIN (scratch_pending (decoder), size);
  decoder->payload = g_malloc (size);
  decoder->payload_size = size;
  decoder->payload_filled = taken;
  memcpy (decoder->payload, decoder->buffer->data + decoder->start, taken);
  decoder->start += taken;

  return TRUE;
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

  memset (message, 0, sizeof *message);

  if (decoder->payload == NULL)
    {
      if (scratch_pending (decoder) < AIO_WIRE_HEADER_SIZE)
        return FALSE;
      if (!begin_frame (decoder, error))
        return FALSE;
    }

  if (decoder->payload_filled < decoder->payload_size)
    return FALSE;

  /* g_malloc()'s memory is aligned for any GVariant: no copy on parsing. */
  payload = g_bytes_new_take (g_steal_pointer (&decoder->payload), decoder->payload_size);

  return aio_wire_parse (payload, message, error);
}
