/* checksums-result.h: one row of the Checksums app's result list
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CHECKSUMS_TYPE_RESULT (checksums_result_get_type ())
G_DECLARE_FINAL_TYPE (ChecksumsResult, checksums_result, CHECKSUMS, RESULT, GObject)

ChecksumsResult *checksums_result_new          (const char      *path);
const char      *checksums_result_get_path     (ChecksumsResult *self);
const char      *checksums_result_get_checksum (ChecksumsResult *self);
const char      *checksums_result_get_problem  (ChecksumsResult *self);
void             checksums_result_set_checksum (ChecksumsResult *self,
                                                const char      *checksum);
void             checksums_result_set_problem  (ChecksumsResult *self,
                                                const char      *problem);

G_END_DECLS
