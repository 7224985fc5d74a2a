/* fuzz-wire.c: libFuzzer target for the worker protocol's frame decoder and
 * message parser: any byte stream must give messages or a protocol error,
 * never a crash, a leak or an unbounded allocation.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-wire-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* The fuzzer keeps frames small so each input exercises many of them. */
#define FUZZ_MAX_FRAME_SIZE (64 * 1024)

/* Whether the error a message holds kept the domain it was sent with: past
 * a bound, unknown domains become AIO_ERROR_FAILED. */
static gboolean
error_keeps_its_domain (GBytes               *payload,
                        const AioWireMessage *message)
{
  g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(yv)"), payload, FALSE));
  g_autoptr(GVariant) body = NULL;
  const char *domain;

  g_variant_get (variant, "(yv)", NULL, &body);
  g_variant_get (body, "(t&sis)", NULL, &domain, NULL, NULL);

  return g_str_equal (domain, g_quark_to_string (message->error->domain));
}

/* A message that parses is in normal form, so encoding it again must give
 * back the very bytes it came from. */
static void
check_round_trip (GBytes               *payload,
                  const AioWireMessage *message)
{
  g_autoptr(GBytes) frame = aio_wire_encode (message);
  g_autoptr(GBytes) again = g_bytes_new_from_bytes (frame, AIO_WIRE_HEADER_SIZE,
                                                    g_bytes_get_size (frame) - AIO_WIRE_HEADER_SIZE);

  if (message->kind == AIO_WIRE_ERROR && !error_keeps_its_domain (payload, message))
    return;
  if (!g_bytes_equal (payload, again))
    __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(AioWireDecoder) decoder = aio_wire_decoder_new (FUZZ_MAX_FRAME_SIZE);
  g_autoptr(GBytes) whole = g_bytes_new (data, size);
  AioWireMessage message;
  GError *error = NULL;
  gsize half = size / 2;

  /* The fast normal-form check must never accept what GLib's rejects, for
   * a message type and for a bare variant. It may be stricter: GLib 2.74
   * accepts a few non-canonical empty containers (found here: `(mumx)` in
   * 0 bytes, which GLib itself writes as 1 byte) that no GLib-based peer
   * ever sends. */
  {
    g_autoptr(GVariant) message_variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(yv)"), whole, FALSE));
    g_autoptr(GVariant) bare_variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, whole, FALSE));

    if ((aio_wire_is_normal (message_variant) && !g_variant_is_normal_form (message_variant)) ||
        (aio_wire_is_normal (bare_variant) && !g_variant_is_normal_form (bare_variant)))
      __builtin_trap ();
  }

  /* The whole input as one payload; what is accepted, also by the
   * hand-written path for calls and results, is GLib's normal form. */
  if (size > 0 && aio_wire_parse (whole, &message, &error))
    {
      g_autoptr(GVariant) message_variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(yv)"), whole, FALSE));

      if (!g_variant_is_normal_form (message_variant))
        __builtin_trap ();

      check_round_trip (whole, &message);
      aio_wire_message_clear (&message);
    }
  g_clear_error (&error);

  /* The input as a stream, fed in two pieces. */
  aio_wire_decoder_feed (decoder, data, half);
  while (aio_wire_decoder_next (decoder, &message, &error))
    aio_wire_message_clear (&message);
  if (error == NULL)
    {
      aio_wire_decoder_feed (decoder, data + half, size - half);
      while (aio_wire_decoder_next (decoder, &message, &error))
        aio_wire_message_clear (&message);
    }
  g_clear_error (&error);

  return 0;
}
