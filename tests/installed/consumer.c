/* consumer.c: a program built against the installed aioext, through
 * `pkg-config --cflags --libs aioext-1.0` only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

static void
answer (AioJob       *job,
        GCancellable *cancellable,
        gpointer      user_data)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 42);
  aio_job_return_value (job, &value);
}

int
main (void)
{
  g_autoptr(AioJob) job = aio_job_new (answer, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const GValue *value = aio_run (job, &error);

  if (value == NULL || g_value_get_int (value) != 42 || !AIO_CHECK_VERSION (1, 0, 0))
    return 1;
  g_print ("consumer: %d\n", g_value_get_int (value));

  return 0;
}
