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

/* As strict as g_variant_is_normal_form(), but linear in the size: GLib's
 * check visits every element of a large array of numbers one by one, which
 * made a 1 MiB argument cost tens of milliseconds. A container is normal
 * when its children are and its bytes equal the ones GLib writes for them. */
static gboolean
is_normal (GVariant *value,
           guint     depth)
{
  const GVariantType *type = g_variant_get_type (value);
  g_autoptr(GVariant) rebuilt = NULL;
  GVariant **children;
  gsize n_children;
  gboolean is_normal_so_far = TRUE;
  gsize element_size;

  if (depth > MAX_NESTING)
    return FALSE;

  if (!g_variant_type_is_container (type))
    return g_variant_is_normal_form (value);

  if (g_variant_type_is_array (type) &&
      (element_size = fixed_number_size (g_variant_type_element (type))) > 0)
    return g_variant_get_size (value) % element_size == 0 &&
           (g_variant_get_size (value) == 0 || g_variant_get_data (value) != NULL);

  n_children = g_variant_n_children (value);
  if ((g_variant_type_is_variant (type) && n_children != 1) ||
      (g_variant_type_is_dict_entry (type) && n_children != 2))
    return FALSE;

  children = g_new0 (GVariant *, MAX (n_children, 1));
  for (gsize i = 0; i < n_children && is_normal_so_far; i++)
    {
      children[i] = g_variant_get_child_value (value, i);
      is_normal_so_far = is_normal (children[i], depth + 1);
    }

  if (is_normal_so_far)
    {
      gsize size = g_variant_get_size (value);
      gconstpointer data = g_variant_get_data (value);

      /* GLib gives no data for a value it could not frame. */
      rebuilt = g_variant_ref_sink (rebuild_container (type, children, n_children));
      is_normal_so_far = g_variant_get_size (rebuilt) == size &&
                         (size == 0 || (data != NULL && memcmp (g_variant_get_data (rebuilt), data, size) == 0));
    }

  for (gsize i = 0; i < n_children; i++)
    g_clear_pointer (&children[i], g_variant_unref);
  g_free (children);

  return is_normal_so_far;
}

gboolean
aio_wire_is_normal (GVariant *value)
{
  return is_normal (value, 0);
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
