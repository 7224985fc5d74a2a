/* worker-module.c: functions for the stock aioext-worker program, loaded
 * with GModule; driven by tests/test-worker-languages.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "worker-functions.h"

void aio_worker_module_register (AioWorker *worker);

G_MODULE_EXPORT void
aio_worker_module_register (AioWorker *worker)
{
  test_worker_register_functions (worker);
}
