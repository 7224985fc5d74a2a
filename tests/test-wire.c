/* test-wire.c: the worker protocol's frames and messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "aio-error.h"
#include "aio-wire-private.h"

static GBytes *
encode_call (guint64     call_id,
             const char *function,
             GVariant   *arguments)
{
  AioWireMessage message = {
    .kind = AIO_WIRE_CALL,
    .call_id = call_id,
    .function = (char *) function,
    .payload = arguments,
  };

  return aio_wire_encode (&message);
}

static void
decode_one (GBytes         *frame,
            AioWireMessage *message)
{
  g_autoptr(AioWireDecoder) decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  g_autoptr(GError) error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  aio_wire_decoder_feed (decoder, data, size);
  g_assert_true (aio_wire_decoder_next (decoder, message, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (aio_wire_decoder_pending (decoder), ==, 0);
}

static void
test_wire_every_kind_round_trips (void)
{
  g_autoptr(GVariant) arguments = g_variant_ref_sink (g_variant_new ("(is)", 7, "seven"));
  g_autoptr(GError) worker_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such file");
  AioWireMessage hello = { .kind = AIO_WIRE_HELLO, .version = AIO_WIRE_VERSION, .pid = 4242 };
  AioWireMessage result = { .kind = AIO_WIRE_RESULT, .call_id = 9, .payload = arguments };
  AioWireMessage failure = { .kind = AIO_WIRE_ERROR, .call_id = 10, .error = worker_error };
  g_autoptr(GBytes) call_frame = encode_call (G_MAXUINT64, "resize", arguments);
  g_autoptr(GBytes) hello_frame = aio_wire_encode (&hello);
  g_autoptr(GBytes) result_frame = aio_wire_encode (&result);
  g_autoptr(GBytes) error_frame = aio_wire_encode (&failure);
  AioWireMessage decoded;

  decode_one (hello_frame, &decoded);
  g_assert_cmpint (decoded.kind, ==, AIO_WIRE_HELLO);
  g_assert_cmpuint (decoded.version, ==, AIO_WIRE_VERSION);
  g_assert_cmpint (decoded.pid, ==, 4242);
  aio_wire_message_clear (&decoded);

  decode_one (call_frame, &decoded);
  g_assert_cmpint (decoded.kind, ==, AIO_WIRE_CALL);
  g_assert_cmpuint (decoded.call_id, ==, G_MAXUINT64);
  g_assert_cmpstr (decoded.function, ==, "resize");
  g_assert_true (g_variant_equal (decoded.payload, arguments));
  aio_wire_message_clear (&decoded);

  decode_one (result_frame, &decoded);
  g_assert_cmpint (decoded.kind, ==, AIO_WIRE_RESULT);
  g_assert_cmpuint (decoded.call_id, ==, 9);
  g_assert_true (g_variant_equal (decoded.payload, arguments));
  aio_wire_message_clear (&decoded);

  /* A worker's GError crosses with domain, code and message intact. */
  decode_one (error_frame, &decoded);
  g_assert_cmpint (decoded.kind, ==, AIO_WIRE_ERROR);
  g_assert_cmpuint (decoded.call_id, ==, 10);
  g_assert_error (decoded.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (decoded.error->message, ==, "no such file");
  aio_wire_message_clear (&decoded);
}

static void
test_wire_frames_split_anywhere_are_reassembled (void)
{
  g_autoptr(AioWireDecoder) decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  guint decoded = 0;

  for (guint64 id = 1; id <= 3; id++)
    {
      g_autoptr(GBytes) frame = encode_call (id, "f", g_variant_new_uint32 (id));
      gsize size;
      const guint8 *data = g_bytes_get_data (frame, &size);

      g_byte_array_append (stream, data, size);
    }

  /* One byte at a time: a message appears exactly when its last byte does. */
  for (guint i = 0; i < stream->len; i++)
    {
      AioWireMessage message;
      g_autoptr(GError) error = NULL;

      aio_wire_decoder_feed (decoder, stream->data + i, 1);
      while (aio_wire_decoder_next (decoder, &message, &error))
        {
          decoded++;
          g_assert_cmpuint (message.call_id, ==, decoded);
          g_assert_cmpuint (g_variant_get_uint32 (message.payload), ==, decoded);
          aio_wire_message_clear (&message);
        }
      g_assert_no_error (error);
    }

  g_assert_cmpuint (decoded, ==, 3);
  g_assert_cmpuint (aio_wire_decoder_pending (decoder), ==, 0);
}

static void
test_wire_large_payload_round_trips (void)
{
  gsize size = 1024 * 1024;
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr(GBytes) frame = NULL;
  AioWireMessage message;
  gsize decoded_size;

  for (gsize i = 0; i < size; i++)
    data[i] = i * 7;
  frame = encode_call (1, "blob", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1));
  decode_one (frame, &message);
  g_assert_cmpmem (g_variant_get_fixed_array (message.payload, &decoded_size, 1), decoded_size, data, size);
  aio_wire_message_clear (&message);
}

static void
expect_protocol_error (const guint8 *data,
                       gsize         size,
                       gsize         max_frame_size)
{
  g_autoptr(AioWireDecoder) decoder = aio_wire_decoder_new (max_frame_size);
  g_autoptr(GError) error = NULL;
  AioWireMessage message;

  aio_wire_decoder_feed (decoder, data, size);
  g_assert_false (aio_wire_decoder_next (decoder, &message, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_PROTOCOL);
  g_assert_null (message.payload);
  g_assert_null (message.function);
}

static void
expect_payload_rejected (GVariant *variant)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (variant);
  gsize size = g_variant_get_size (owned);
  g_autofree guint8 *frame = g_malloc (AIO_WIRE_HEADER_SIZE + size);
  guint32 size_le = GUINT32_TO_LE ((guint32) size);

  memcpy (frame, &size_le, AIO_WIRE_HEADER_SIZE);
  memcpy (frame + AIO_WIRE_HEADER_SIZE, g_variant_get_data (owned), size);
  expect_protocol_error (frame, AIO_WIRE_HEADER_SIZE + size, AIO_WIRE_DEFAULT_MAX_SIZE);
}

static void
test_wire_oversized_and_empty_frames_are_rejected (void)
{
  g_autoptr(GBytes) frame = encode_call (1, "f", g_variant_new_string ("0123456789"));
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  const guint8 empty[] = { 0, 0, 0, 0 };
  const guint8 huge[] = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };

  /* Rejected from the header alone, before the body arrives. */
  expect_protocol_error (data, AIO_WIRE_HEADER_SIZE, size - AIO_WIRE_HEADER_SIZE - 1);
  expect_protocol_error (empty, sizeof empty, AIO_WIRE_DEFAULT_MAX_SIZE);
  expect_protocol_error (huge, sizeof huge, AIO_WIRE_DEFAULT_MAX_SIZE);
}

static void
test_wire_garbage_is_rejected (void)
{
  const guint8 garbage[] = { 6, 0, 0, 0, 'C', 0xff, 0x00, 'x', 0xfe, 0x01 };

  expect_protocol_error (garbage, sizeof garbage, AIO_WIRE_DEFAULT_MAX_SIZE);
  /* Well-formed GVariants that are not valid messages. */
  expect_payload_rejected (g_variant_new ("(yv)", 'Z', g_variant_new ("(tv)", 1, g_variant_new_int32 (1))));
  expect_payload_rejected (g_variant_new ("(yv)", 'R', g_variant_new_string ("not a result")));
  expect_payload_rejected (g_variant_new ("(yv)", 'C', g_variant_new ("(tsv)", 1, "", g_variant_new_int32 (1))));
  expect_payload_rejected (g_variant_new ("(yv)", 'E', g_variant_new ("(tsis)", 1, "bad domain!", 1, "x")));
  expect_payload_rejected (g_variant_new ("(yv)", 'H', g_variant_new ("(uu)", 1, 2)));
}

static void
test_wire_non_utf8_error_message_is_made_valid (void)
{
  g_autoptr(GError) worker_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "bad \xff byte");
  AioWireMessage failure = { .kind = AIO_WIRE_ERROR, .call_id = 1, .error = worker_error };
  g_autoptr(GBytes) frame = aio_wire_encode (&failure);
  AioWireMessage message;

  decode_one (frame, &message);
  g_assert_true (g_utf8_validate (message.error->message, -1, NULL));
  g_assert_true (g_str_has_prefix (message.error->message, "bad "));
  aio_wire_message_clear (&message);
}

/* The way the pool and the worker read: into the decoder's own buffer, as
 * much as it welcomes. A large frame is read straight into its payload and
 * the bytes after it are never taken into that payload. */
static void
test_wire_decoder_reads_in_place (void)
{
  g_autoptr(AioWireDecoder) decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  gsize size = 300 * 1024;
  g_autofree guint8 *data = g_malloc (size);
  guint decoded = 0;
  gsize offset = 0;

  for (gsize i = 0; i < size; i++)
    data[i] = i * 13;
  for (guint64 id = 1; id <= 3; id++)
    {
      GVariant *arguments = id == 2 ? g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1)
                                    : g_variant_new_uint32 (id);
      g_autoptr(GBytes) frame = encode_call (id, "f", arguments);
      gsize frame_size;
      const guint8 *frame_data = g_bytes_get_data (frame, &frame_size);

      g_byte_array_append (stream, frame_data, frame_size);
    }

  while (offset < stream->len)
    {
      AioWireMessage message;
      g_autoptr(GError) error = NULL;
      gsize room;
      guint8 *buffer = aio_wire_decoder_get_buffer (decoder, 1000, &room);
      gsize length = MIN (MIN (room, 70 * 1024), stream->len - offset);

      g_assert_cmpuint (room, >, 0);
      memcpy (buffer, stream->data + offset, length);
      aio_wire_decoder_commit (decoder, length);
      offset += length;
      while (aio_wire_decoder_next (decoder, &message, &error))
        {
          decoded++;
          g_assert_cmpuint (message.call_id, ==, decoded);
          if (decoded == 2)
            {
              gsize payload_size;
              const guint8 *payload = g_variant_get_fixed_array (message.payload, &payload_size, 1);

              g_assert_cmpmem (payload, payload_size, data, size);
            }
          else
            {
              g_assert_cmpuint (g_variant_get_uint32 (message.payload), ==, decoded);
            }
          aio_wire_message_clear (&message);
        }
      g_assert_no_error (error);
    }

  g_assert_cmpuint (decoded, ==, 3);
  g_assert_cmpuint (aio_wire_decoder_pending (decoder), ==, 0);
}

/* The messages of every call are laid out by hand; they must be GLib's
 * normal form of the same message, byte for byte, across the sizes where
 * GLib's framing offsets grow, and parse back. */
static void
check_layout_matches_glib (AioWireKind  kind,
                           const char  *function,
                           GVariant    *payload)
{
  AioWireMessage message = { .kind = kind, .call_id = 0x0102030405060708, .function = (char *) function, .payload = payload };
  GVariant *body = kind == AIO_WIRE_CALL ? g_variant_new ("(tsv)", message.call_id, function, payload)
                                         : g_variant_new ("(tv)", message.call_id, payload);
  g_autoptr(GVariant) expected = g_variant_ref_sink (g_variant_new ("(y@v)", (guchar) kind, g_variant_new_variant (body)));
  g_autoptr(GBytes) frame = aio_wire_encode (&message);
  g_autoptr(GBytes) frame_payload = NULL;
  g_autoptr(GError) error = NULL;
  AioWireMessage decoded;
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  g_assert_cmpmem (data + AIO_WIRE_HEADER_SIZE, size - AIO_WIRE_HEADER_SIZE,
                   g_variant_get_data (expected), g_variant_get_size (expected));

  frame_payload = g_bytes_new_from_bytes (frame, AIO_WIRE_HEADER_SIZE, size - AIO_WIRE_HEADER_SIZE);
  g_assert_true (aio_wire_parse (frame_payload, &decoded, &error));
  g_assert_no_error (error);
  g_assert_cmpint (decoded.kind, ==, kind);
  g_assert_cmpuint (decoded.call_id, ==, message.call_id);
  g_assert_cmpstr (decoded.function, ==, kind == AIO_WIRE_CALL ? function : NULL);
  g_assert_true (g_variant_equal (decoded.payload, payload));
  aio_wire_message_clear (&decoded);
}

/* A large payload is not copied into its frame: the frame's middle piece
 * is the payload's own bytes, and the pieces, written one after the other
 * from any point, make the same frame as aio_wire_encode(). */
static void
test_wire_large_payload_is_sent_from_its_own_bytes (void)
{
  g_autofree guint8 *blob = g_malloc0 (1024 * 1024);
  g_autoptr(GVariant) payload = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, blob,
                                                                               1024 * 1024, 1));
  AioWireMessage message = { .kind = AIO_WIRE_CALL, .call_id = 7, .function = (char *) "echo", .payload = payload };
  g_autoptr(GBytes) whole = aio_wire_encode (&message);
  g_auto(AioWireFrame) frame = { 0 };
  gsize whole_size;
  const guint8 *whole_data = g_bytes_get_data (whole, &whole_size);
  gsize offsets[] = { 0, 1, 39, 40, 41, whole_size / 2, whole_size - 9, whole_size - 1, whole_size };

  aio_wire_encode_frame (&message, &frame);
  g_assert_cmpuint (frame.n_pieces, ==, 3);
  g_assert_true (g_bytes_get_data (frame.pieces[1], NULL) == g_variant_get_data (payload));

  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      struct iovec vectors[AIO_WIRE_FRAME_MAX_PIECES];
      guint n_vectors = aio_wire_frame_get_unsent (&frame, offsets[i], vectors);
      g_autoptr(GByteArray) rest = g_byte_array_new ();

      for (guint j = 0; j < n_vectors; j++)
        g_byte_array_append (rest, vectors[j].iov_base, vectors[j].iov_len);
      g_assert_cmpmem (rest->data, rest->len, whole_data + offsets[i], whole_size - offsets[i]);
      g_assert_cmpuint (n_vectors == 0, ==, offsets[i] == whole_size);
    }
}

static void
test_wire_call_and_result_layouts_are_glib_normal_form (void)
{
  g_autofree char *long_name = g_strnfill (256, 'n');
  g_autofree guint8 *blob = g_malloc0 (70000);
  const char *names[] = { "f", "sixteen-letters!", long_name };
  gsize blob_sizes[] = { 0, 1, 200, 250, 300, 65520, 70000 };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    for (guint j = 0; j < G_N_ELEMENTS (blob_sizes); j++)
      {
        g_autoptr(GVariant) payload = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, blob,
                                                                                     blob_sizes[j], 1));

        check_layout_matches_glib (AIO_WIRE_CALL, names[i], payload);
        check_layout_matches_glib (AIO_WIRE_RESULT, names[i], payload);
      }

  {
    GVariant *payloads[] = {
      g_variant_new_boolean (TRUE),
      g_variant_new ("(ii)", 40, 2),
      g_variant_new_string ("text"),
      g_variant_new ("()"),
      g_variant_new ("(sa{sv}mv)", "a", NULL, NULL),
      g_variant_new_variant (g_variant_new_uint64 (7)),
    };

    for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
      {
        g_autoptr(GVariant) payload = g_variant_ref_sink (payloads[i]);

        check_layout_matches_glib (AIO_WIRE_CALL, "f", payload);
        check_layout_matches_glib (AIO_WIRE_RESULT, "f", payload);
      }
  }
}

/* Bytes that look like a call but are not in normal form are rejected, by
 * whichever path reads them. */
static void
test_wire_call_layout_off_normal_form_is_rejected (void)
{
  g_autoptr(GBytes) frame = encode_call (1, "function", g_variant_new_uint32 (7));
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  gsize payload_size = size - AIO_WIRE_HEADER_SIZE;
  /* A padding byte after the kind, a padding byte after the name, the
   * name's framing offset (the last byte), the name's NUL. */
  gsize spoiled[] = { 1, 8 + 8 + strlen ("function") + 1, payload_size - 1 - strlen ("(tsv)") - 1, 8 + 8 + strlen ("function") };

  for (guint i = 0; i < G_N_ELEMENTS (spoiled); i++)
    {
      g_autofree guint8 *copy = g_memdup2 (data + AIO_WIRE_HEADER_SIZE, payload_size);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      AioWireMessage message;

      copy[spoiled[i]] ^= 0x41;
      bytes = g_bytes_new (copy, payload_size);
      g_assert_false (aio_wire_parse (bytes, &message, &error));
      g_assert_error (error, AIO_ERROR, AIO_ERROR_PROTOCOL);
    }
}

/* Found by fuzz-wire: GLib 2.74 calls `(mumx)` stored in 0 bytes normal,
 * though it writes that value as 1 byte; the wire check is stricter, and
 * agrees with GLib on the canonical form. */
static void
test_wire_non_canonical_empty_tuple_is_rejected (void)
{
  const guint8 non_canonical[] = { 0x00, '(', 'm', 'u', 'm', 'x', ')' };
  g_autoptr(GBytes) bytes = g_bytes_new_static (non_canonical, sizeof non_canonical);
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, bytes, FALSE));
  GVariant *nothings[] = {
    g_variant_new_maybe (G_VARIANT_TYPE_UINT32, NULL),
    g_variant_new_maybe (G_VARIANT_TYPE_INT64, NULL),
  };
  g_autoptr(GVariant) canonical = g_variant_ref_sink (g_variant_new_variant (g_variant_new_tuple (nothings, 2)));

  g_assert_true (g_variant_equal (value, canonical));
  g_assert_cmpuint (g_variant_get_size (value), <, g_variant_get_size (canonical));
  g_assert_false (aio_wire_is_normal (value));
  g_assert_true (aio_wire_is_normal (canonical));
  g_assert_true (g_variant_is_normal_form (canonical));
}

/* Found by fuzz-wire: every new error domain became a quark, and quarks are
 * never freed, so a peer could grow this process without bound. */
static void
test_wire_unknown_error_domains_are_bounded (void)
{
  g_autoptr(GError) known = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "still intact");
  AioWireMessage message;

  for (guint i = 0; i < 600; i++)
    {
      g_autofree char *domain = g_strdup_printf ("aio-test-flood-%u-quark", i);
      g_autoptr(GVariant) body = g_variant_ref_sink (g_variant_new ("(tsis)", (guint64) i, domain, 7, "flood"));
      g_autoptr(GVariant) payload = g_variant_ref_sink (g_variant_new ("(yv)", 'E', body));
      g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (payload);
      g_autoptr(GError) error = NULL;

      g_assert_true (aio_wire_parse (bytes, &message, &error));
      if (i >= 300)
        {
          g_assert_error (message.error, AIO_ERROR, AIO_ERROR_FAILED);
          g_assert_nonnull (strstr (message.error->message, domain));
          g_assert_cmpuint (g_quark_try_string (domain), ==, 0);
        }
      aio_wire_message_clear (&message);
    }

  {
    AioWireMessage failure = { .kind = AIO_WIRE_ERROR, .call_id = 1, .error = known };
    g_autoptr(GBytes) frame = aio_wire_encode (&failure);

    decode_one (frame, &message);
    g_assert_error (message.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    aio_wire_message_clear (&message);
  }
}

/* Found by fuzz-wire: asking an empty decoder offset a NULL buffer. */
static void
test_wire_empty_decoder_asks_for_more (void)
{
  g_autoptr(AioWireDecoder) decoder = aio_wire_decoder_new (AIO_WIRE_DEFAULT_MAX_SIZE);
  g_autoptr(GError) error = NULL;
  AioWireMessage message;

  g_assert_false (aio_wire_decoder_next (decoder, &message, &error));
  g_assert_no_error (error);
  aio_wire_decoder_feed (decoder, (const guint8 *) "\x01", 1);
  g_assert_false (aio_wire_decoder_next (decoder, &message, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wire/every-kind/round-trips", test_wire_every_kind_round_trips);
  g_test_add_func ("/wire/frames/split-anywhere-are-reassembled", test_wire_frames_split_anywhere_are_reassembled);
  g_test_add_func ("/wire/frames/large-payload-round-trips", test_wire_large_payload_round_trips);
  g_test_add_func ("/wire/frames/large-payload-is-sent-from-its-own-bytes",
                   test_wire_large_payload_is_sent_from_its_own_bytes);
  g_test_add_func ("/wire/frames/oversized-and-empty-are-rejected", test_wire_oversized_and_empty_frames_are_rejected);
  g_test_add_func ("/wire/messages/non-canonical-empty-tuple-is-rejected", test_wire_non_canonical_empty_tuple_is_rejected);
  g_test_add_func ("/wire/messages/unknown-error-domains-are-bounded", test_wire_unknown_error_domains_are_bounded);
  g_test_add_func ("/wire/decoder/empty-asks-for-more", test_wire_empty_decoder_asks_for_more);
  g_test_add_func ("/wire/decoder/reads-in-place", test_wire_decoder_reads_in_place);
  g_test_add_func ("/wire/messages/call-and-result-layouts-are-glib-normal-form", test_wire_call_and_result_layouts_are_glib_normal_form);
  g_test_add_func ("/wire/messages/call-layout-off-normal-form-is-rejected", test_wire_call_layout_off_normal_form_is_rejected);
  g_test_add_func ("/wire/messages/garbage-is-rejected", test_wire_garbage_is_rejected);
  g_test_add_func ("/wire/messages/non-utf8-error-message-is-made-valid", test_wire_non_utf8_error_message_is_made_valid);

  return g_test_run ();
}
