/* aio-i18n-private.h: gettext for library messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *aio_gettext (const char *msgid) G_GNUC_FORMAT (1);

#define _(String) aio_gettext (String)
#define N_(String) (String)

G_END_DECLS
