/* timing.h: how far the generous upper bounds of timing tests stretch when
 * the suite runs slowed down (valgrind, sanitizers)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

/* AIO_TEST_SLOWDOWN is set by the test setups that slow every instruction
 * (tests/meson.build); a plain build runs at 1. Lower bounds never scale:
 * a limit that holds on a fast machine holds on a slow one. */
static inline gint64
test_slowdown (void)
{
  const char *value = g_getenv ("AIO_TEST_SLOWDOWN");
  gint64 factor = value != NULL ? g_ascii_strtoll (value, NULL, 10) : 1;

  return MAX (factor, 1);
}
