/* checksums-window.h: the Checksums app's window
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <aioext.h>
#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CHECKSUMS_TYPE_WINDOW (checksums_window_get_type ())
G_DECLARE_FINAL_TYPE (ChecksumsWindow, checksums_window, CHECKSUMS, WINDOW, GtkApplicationWindow)

ChecksumsWindow *checksums_window_new        (GtkApplication  *application);
void             checksums_window_set_folder (ChecksumsWindow *self,
                                              const char      *folder);
gboolean         checksums_window_is_busy    (ChecksumsWindow *self);

G_END_DECLS
