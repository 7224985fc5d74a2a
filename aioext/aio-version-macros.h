/* aio-version-macros.h: symbol availability and deprecation markers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AIO_INSIDE) && !defined(AIO_COMPILATION)
# error "Only <aioext.h> can be included directly."
#endif

#include <glib.h>

#include "aio-version.h"

/**
 * SECTION:aio-version
 * @title: Version information
 * @short_description: compile-time version checks
 * @include: aioext.h
 *
 * Macros that tell which aioext headers are compiled against, and that
 * let an application state the oldest and newest versions it targets, so
 * that using a newer symbol or a deprecated one is reported at build time.
 */

#ifndef _AIO_EXTERN
# define _AIO_EXTERN __attribute__((visibility ("default"))) extern
#endif

/**
 * AIO_VERSION_1_0:
 *
 * A version token for aioext 1.0, for use with %AIO_VERSION_MIN_REQUIRED.
 */
#define AIO_VERSION_1_0 (G_ENCODE_VERSION (1, 0))

/**
 * AIO_VERSION_CUR_STABLE:
 *
 * The version token of the aioext headers being compiled against.
 */
#define AIO_VERSION_CUR_STABLE (G_ENCODE_VERSION (AIO_MAJOR_VERSION, AIO_MINOR_VERSION))

#ifndef AIO_VERSION_MIN_REQUIRED
/**
 * AIO_VERSION_MIN_REQUIRED:
 *
 * Define this before including `aioext.h` to the oldest aioext version the
 * code must build against; symbols deprecated after it then warn.
 */
# define AIO_VERSION_MIN_REQUIRED (AIO_VERSION_CUR_STABLE)
#endif

#ifndef AIO_VERSION_MAX_ALLOWED
/**
 * AIO_VERSION_MAX_ALLOWED:
 *
 * Define this before including `aioext.h` to the newest aioext version whose
 * symbols the code may use; newer symbols then warn.
 */
# define AIO_VERSION_MAX_ALLOWED (AIO_VERSION_CUR_STABLE)
#endif

#define AIO_AVAILABLE_IN_ALL _AIO_EXTERN

#ifdef AIO_DISABLE_DEPRECATION_WARNINGS
# define AIO_DEPRECATED _AIO_EXTERN
# define AIO_DEPRECATED_FOR(f) _AIO_EXTERN
# define AIO_UNAVAILABLE(maj, min) _AIO_EXTERN
#else
# define AIO_DEPRECATED G_DEPRECATED _AIO_EXTERN
# define AIO_DEPRECATED_FOR(f) G_DEPRECATED_FOR (f) _AIO_EXTERN
# define AIO_UNAVAILABLE(maj, min) G_UNAVAILABLE (maj, min) _AIO_EXTERN
#endif

#if AIO_VERSION_MIN_REQUIRED >= AIO_VERSION_1_0
# define AIO_DEPRECATED_IN_1_0 AIO_DEPRECATED
# define AIO_DEPRECATED_IN_1_0_FOR(f) AIO_DEPRECATED_FOR (f)
#else
# define AIO_DEPRECATED_IN_1_0 _AIO_EXTERN
# define AIO_DEPRECATED_IN_1_0_FOR(f) _AIO_EXTERN
#endif

#if AIO_VERSION_MAX_ALLOWED < AIO_VERSION_1_0
# define AIO_AVAILABLE_IN_1_0 AIO_UNAVAILABLE (1, 0)
#else
# define AIO_AVAILABLE_IN_1_0 _AIO_EXTERN
#endif
