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

/* A frame announcing @size bytes of payload, of which the first @filled
 * are allocated here: the rest, if any, is sent from other pieces. */
static guint8 *
frame_new (gsize    size,
           gsize    filled,
           GBytes **bytes)
{
  guint8 *buffer = g_malloc (PAYLOAD_OFFSET + filled);
  guint8 *frame = buffer + PAYLOAD_OFFSET - AIO_WIRE_HEADER_SIZE;
  guint32 size_le = GUINT32_TO_LE ((guint32) size);

  memcpy (frame, &size_le, AIO_WIRE_HEADER_SIZE);
  *bytes = g_bytes_new_with_free_func (frame, AIO_WIRE_HEADER_SIZE + filled, free_frame, frame);

  return buffer + PAYLOAD_OFFSET;
}

/* The messages of every call, a CALL and its RESULT, are laid out by hand:
 * building and checking them as GVariant containers cost more than all the
 * rest of a round trip. The layout is GLib's normal form of the same `(yv)`
 * message, byte for byte (test-wire compares the two); the payload itself
 * is an ordinary serialised GVariant.
 *
 *   kind byte, 7 zero bytes (the variant is 8-aligned), then the variant:
 *   RESULT body `(tv)`:  call id, then the payload variant
 *   CALL body `(tsv)`:   call id, function name and NUL, zeros up to a
 *                        multiple of 8, the payload variant, and the end of
 *                        the name as a framing offset
 *   a variant:           its value's bytes, NUL, its type string
 */
#define ENVELOPE_SIZE  8
#define MAX_FAST_TYPE  64

static gsize
align8 (gsize offset)
{
  return (offset + 7) & ~(gsize) 7;
}

/* GLib's size for a container whose members take @body_size bytes and need
 * one framing offset; the offset is what is added. */
static gsize
with_one_offset (gsize body_size)
{
  if (body_size + 1 <= G_MAXUINT8)
    return body_size + 1;
  if (body_size + 2 <= G_MAXUINT16)
    return body_size + 2;
  if (body_size + 4 <= G_MAXUINT32)
    return body_size + 4;
  return body_size + 8;
}

/* GLib's framing offset size in a container of @size bytes. */
static gsize
offset_size_in (gsize size)
{
  if (size > G_MAXUINT32)
    return 8;
  if (size > G_MAXUINT16)
    return 4;
  if (size > G_MAXUINT8)
    return 2;
  return size > 0 ? 1 : 0;
}

static const char *
body_type_of (AioWireKind kind)
{
  return kind == AIO_WIRE_CALL ? "(tsv)" : "(tv)";
}

/* Where the parts of a CALL (with @function) or a RESULT (@function
 * %NULL) go; returns the body's size. Sizes are 64-bit on every platform
 * this runs on, so no payload a process can hold overflows them. */
static gsize
call_or_result_layout (const char *function,
                       GVariant   *payload,
                       gsize      *name_end,
                       gsize      *value_start)
{
  gsize body_size;

  *name_end = 0;
  *value_start = sizeof (guint64);
  if (function != NULL)
    {
      *name_end = *value_start + strlen (function) + 1;
      *value_start = align8 (*name_end);
    }
  body_size = *value_start + g_variant_get_size (payload) + 1 + strlen (g_variant_get_type_string (payload));

  return function != NULL ? with_one_offset (body_size) : body_size;
}

static gsize
call_or_result_frame_size (const char *function,
                           gsize       body_size)
{
  return ENVELOPE_SIZE + body_size + 1 + strlen (body_type_of (function != NULL ? AIO_WIRE_CALL : AIO_WIRE_RESULT));
}

/* Checks a call against every limit the worker enforces on what it reads
 * (the name's length and encoding, the size of the frame), so that a call
 * the worker would refuse is refused before it is sent: %FALSE with
 * %AIO_ERROR_INVALID_ARGUMENT naming the limit and the size. */
gboolean
aio_wire_check_call (const char  *function,
                     GVariant    *arguments,
                     GError     **error)
{
  gsize name_length = strlen (function);
  const char *invalid;
  gsize name_end, value_start, frame_size;

  if (name_length == 0)
    {
      g_set_error_literal (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                           _("The function name is empty; a worker runs functions by name."));
      return FALSE;
    }

  if (name_length > MAX_FUNCTION_LENGTH)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("The function name is %lu bytes long; a worker takes names of at most %d bytes."),
                   (gulong) name_length, MAX_FUNCTION_LENGTH);
      return FALSE;
    }

  if (!g_utf8_validate (function, name_length, &invalid))
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("The function name is not valid UTF-8 (byte %lu of %lu); a worker takes only UTF-8 names."),
                   (gulong) (invalid - function) + 1, (gulong) name_length);
      return FALSE;
    }

  frame_size = call_or_result_frame_size (function, call_or_result_layout (function, arguments, &name_end, &value_start));
  if (frame_size > AIO_WIRE_DEFAULT_MAX_SIZE)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("The call of “%s” takes %lu bytes; a worker takes calls of at most %d bytes (64 MiB)."),
                   function, (gulong) frame_size, AIO_WIRE_DEFAULT_MAX_SIZE);
      return FALSE;
    }

  return TRUE;
}

/* The same for the result of @function, which the pool would refuse (and
 * which above 4 GiB no frame can hold): the worker answers with an error
 * instead, and goes on. */
gboolean
aio_wire_check_result (const char  *function,
                       GVariant    *result,
                       GError     **error)
{
  gsize name_end, value_start;
  gsize frame_size = call_or_result_frame_size (NULL, call_or_result_layout (NULL, result, &name_end, &value_start));

  if (frame_size > AIO_WIRE_DEFAULT_MAX_SIZE)
    {
      g_set_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT,
                   _("The result of “%s” takes %lu bytes; a worker can send results of at most %d bytes (64 MiB)."),
                   function, (gulong) frame_size, AIO_WIRE_DEFAULT_MAX_SIZE);
      return FALSE;
    }

  return TRUE;
}

/* Writes what comes before the payload's bytes into @data, which starts at
 * the envelope: the kind, the call id and, for a CALL, the function name
 * and the zeros that align the payload. */
static void
write_head (guint8               *data,
            const AioWireMessage *message,
            gsize                 name_end,
            gsize                 value_start)
{
  guint8 *body = data + ENVELOPE_SIZE;

  memset (data, 0, ENVELOPE_SIZE);
  data[0] = message->kind;
  memcpy (body, &message->call_id, sizeof (guint64));
  if (message->kind == AIO_WIRE_CALL)
    {
      memcpy (body + sizeof (guint64), message->function, name_end - sizeof (guint64));
      memset (body + name_end, 0, value_start - name_end);
    }
}

/* Writes what comes after the payload's bytes into @tail, and returns its
 * size: NUL, the payload's type, for a CALL the end of the name as a
 * framing offset, then NUL and the body's type. */
static gsize
write_tail (guint8               *tail,
            const AioWireMessage *message,
            gsize                 body_size,
            gsize                 name_end)
{
  const char *value_type = g_variant_get_type_string (message->payload);
  const char *body_type = body_type_of (message->kind);
  gsize length = 0;

  tail[length++] = '\0';
  memcpy (tail + length, value_type, strlen (value_type));
  length += strlen (value_type);
  if (message->kind == AIO_WIRE_CALL)
    {
      guint64 offset_le = GUINT64_TO_LE (name_end);

      memcpy (tail + length, &offset_le, offset_size_in (body_size));
      length += offset_size_in (body_size);
    }
  tail[length++] = '\0';
  memcpy (tail + length, body_type, strlen (body_type));

  return length + strlen (body_type);
}

/* Payloads from this size on are sent from their own bytes, in a frame of
 * three pieces, rather than copied into the frame: copying 1 MiB cost more
 * than a system call per piece. */
#define LARGE_PAYLOAD_SIZE (64 * 1024)

static void
encode_call_or_result (const AioWireMessage *message,
                       AioWireFrame         *frame)
{
  /* Sunk like g_variant_new() does with a `v`: callers hand floating ones. */
  g_autoptr(GVariant) payload = g_variant_ref_sink (message->payload);
  const char *function = message->kind == AIO_WIRE_CALL ? message->function : NULL;
  gsize value_size = g_variant_get_size (payload);
  gsize name_end, value_start;
  gsize body_size = call_or_result_layout (function, payload, &name_end, &value_start);
  gsize frame_size = call_or_result_frame_size (function, body_size);
  gsize tail_size = frame_size - ENVELOPE_SIZE - value_start - value_size;
  guint8 *data;

  g_return_if_fail (frame_size <= G_MAXUINT32);

  if (value_size < LARGE_PAYLOAD_SIZE)
    {
      data = frame_new (frame_size, frame_size, &frame->pieces[0]);
      write_head (data, message, name_end, value_start);
      g_variant_store (payload, data + ENVELOPE_SIZE + value_start);
      write_tail (data + ENVELOPE_SIZE + value_start + value_size, message, body_size, name_end);
      frame->n_pieces = 1;
      return;
    }

  data = frame_new (frame_size, ENVELOPE_SIZE + value_start, &frame->pieces[0]);
  write_head (data, message, name_end, value_start);
  frame->pieces[1] = g_variant_get_data_as_bytes (payload);
  data = g_malloc (tail_size);
  write_tail (data, message, body_size, name_end);
  frame->pieces[2] = g_bytes_new_take (data, tail_size);
  frame->n_pieces = 3;
}

/* Encodes @message into @frame, to be written piece after piece: the
 * payload size as a little-endian guint32, then the payload, a serialised
 * `(yv)` GVariant, written straight into the frame (g_variant_store() wants
 * an aligned destination, so the header goes into the last bytes of an
 * aligned prefix), except a large payload's own bytes, which are a piece of
 * their own. */
void
aio_wire_encode_frame (const AioWireMessage *message,
                       AioWireFrame         *frame)
{
  g_autoptr(GVariant) variant = NULL;
  gsize size;

  memset (frame, 0, sizeof *frame);
  if (message->kind == AIO_WIRE_CALL || message->kind == AIO_WIRE_RESULT)
    {
      encode_call_or_result (message, frame);
      return;
    }

  variant = g_variant_ref_sink (g_variant_new ("(y@v)", (guchar) message->kind,
                                               g_variant_new_variant (aio_wire_body (message))));
  size = g_variant_get_size (variant);
  g_return_if_fail (size <= G_MAXUINT32);
  g_variant_store (variant, frame_new (size, size, &frame->pieces[0]));
  frame->n_pieces = 1;
}

/* The same frame in one piece. */
GBytes *
aio_wire_encode (const AioWireMessage *message)
{
  g_auto(AioWireFrame) frame = { 0 };
  GByteArray *joined;

  aio_wire_encode_frame (message, &frame);
  if (frame.n_pieces <= 1)
    return frame.n_pieces == 1 ? g_bytes_ref (frame.pieces[0]) : NULL;

  joined = g_byte_array_new ();
  for (guint i = 0; i < frame.n_pieces; i++)
    g_byte_array_append (joined, g_bytes_get_data (frame.pieces[i], NULL), g_bytes_get_size (frame.pieces[i]));

  return g_byte_array_free_to_bytes (joined);
}

void
aio_wire_frame_clear (AioWireFrame *frame)
{
  for (guint i = 0; i < frame->n_pieces; i++)
    g_clear_pointer (&frame->pieces[i], g_bytes_unref);
  frame->n_pieces = 0;
}

/* Fills @vectors with what is left of @frame after its first @sent bytes;
 * returns how many, 0 once it was all sent. */
guint
aio_wire_frame_get_unsent (const AioWireFrame *frame,
                           gsize               sent,
                           struct iovec        vectors[AIO_WIRE_FRAME_MAX_PIECES])
{
  guint n_vectors = 0;

  for (guint i = 0; i < frame->n_pieces; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (frame->pieces[i], &size);

      if (sent >= size)
        {
          sent -= size;
          continue;
        }
      vectors[n_vectors].iov_base = (guint8 *) data + sent;
      vectors[n_vectors].iov_len = size - sent;
      n_vectors++;
      sent = 0;
    }

  return n_vectors;
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

/* The payload variant in @bytes at [@start, @end): its value's bytes, NUL,
 * a short definite type string; the value in normal form. */
static GVariant *
parse_fast_value (GBytes *bytes,
                  gsize   start,
                  gsize   end)
{
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  const guint8 *separator = NULL;
  char type_string[MAX_FAST_TYPE + 1];
  const GVariantType *type = (const GVariantType *) type_string;
  g_autoptr(GBytes) value_bytes = NULL;
  g_autoptr(GVariant) value = NULL;
  gsize type_length;

  /* The last NUL: a type string holds none. */
  for (gsize i = end; i > start && separator == NULL; i--)
    if (data[i - 1] == '\0')
      separator = data + i - 1;
  if (separator == NULL)
    return NULL;
  type_length = data + end - (separator + 1);
  if (type_length == 0 || type_length > MAX_FAST_TYPE)
    return NULL;

  /* Checked once, then used as the type it is: G_VARIANT_TYPE() would
   * check it again at every use. */
  memcpy (type_string, separator + 1, type_length);
  type_string[type_length] = '\0';
  if (!g_variant_type_string_is_valid (type_string) || !g_variant_type_is_definite (type))
    return NULL;

  value_bytes = g_bytes_new_from_bytes (bytes, start, separator - (data + start));
  value = g_variant_ref_sink (g_variant_new_from_bytes (type, value_bytes, FALSE));

  return aio_wire_is_normal (value) ? g_steal_pointer (&value) : NULL;
}

/* The function name of a CALL body in @body of @body_size bytes, checked as
 * parse_body() does; sets where the payload variant lies. */
static char *
parse_fast_name (const guint8 *body,
                 gsize         body_size,
                 gsize        *value_start,
                 gsize        *value_end)
{
  gsize offset_size = offset_size_in (body_size);
  guint64 offset_le = 0;
  gsize name_end;

  if (body_size < sizeof (guint64) + offset_size)
    return NULL;
  memcpy (&offset_le, body + body_size - offset_size, offset_size);
  name_end = GUINT64_FROM_LE (offset_le);
  *value_start = align8 (name_end);
  *value_end = body_size - offset_size;

  if (name_end <= sizeof (guint64) + 1 || name_end - sizeof (guint64) - 1 > MAX_FUNCTION_LENGTH ||
      *value_start > *value_end || with_one_offset (*value_end) != body_size ||
      memchr (body + sizeof (guint64), '\0', name_end - sizeof (guint64)) != body + name_end - 1 ||
      !g_utf8_validate ((const char *) body + sizeof (guint64), name_end - sizeof (guint64) - 1, NULL))
    return NULL;

  for (gsize i = name_end; i < *value_start; i++)
    if (body[i] != 0)
      return NULL;

  return g_strndup ((const char *) body + sizeof (guint64), name_end - sizeof (guint64) - 1);
}

/* A CALL or RESULT laid out as encode_call_or_result() writes it, that is,
 * in normal form; anything else is left to the general path, which accepts
 * or rejects it on its own. */
static gboolean
parse_fast (GBytes         *bytes,
            AioWireMessage *message)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  AioWireKind kind = size > 0 ? data[0] : 0;
  const char *body_type = body_type_of (kind);
  gsize body_type_length = strlen (body_type);
  const guint8 *body = data + ENVELOPE_SIZE;
  g_autofree char *function = NULL;
  gsize body_size;
  gsize value_start = sizeof (guint64);
  gsize value_end;

  if ((kind != AIO_WIRE_CALL && kind != AIO_WIRE_RESULT) ||
      size < ENVELOPE_SIZE + sizeof (guint64) + 1 + body_type_length ||
      memcmp (data + 1, "\0\0\0\0\0\0\0", ENVELOPE_SIZE - 1) != 0 ||
      data[size - body_type_length - 1] != '\0' ||
      memcmp (data + size - body_type_length, body_type, body_type_length) != 0)
    return FALSE;

  body_size = size - ENVELOPE_SIZE - 1 - body_type_length;
  value_end = body_size;
  if (kind == AIO_WIRE_CALL &&
      (function = parse_fast_name (body, body_size, &value_start, &value_end)) == NULL)
    return FALSE;

  message->payload = parse_fast_value (bytes, ENVELOPE_SIZE + value_start, ENVELOPE_SIZE + value_end);
  if (message->payload == NULL)
    return FALSE;

  message->kind = kind;
  memcpy (&message->call_id, body, sizeof (guint64));
  message->function = g_steal_pointer (&function);

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

  if (parse_fast (payload, message))
    return TRUE;

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
