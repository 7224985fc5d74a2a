/* aio-binding-check-private.h: what a language binding cannot do, told
 * apart from what it passes us
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean aio_binding_is_gjs_function   (GDestroyNotify   func_data_destroy);
gboolean aio_binding_check_thread_func (GDestroyNotify   func_data_destroy,
                                        GError         **error);

G_END_DECLS
