/* test-i18n.c: library messages are translated
 *
 * Run with LC_ALL=C.UTF-8 LANGUAGE=es and AIO_LOCALEDIR pointing at the
 * catalogs of the build tree (the test environment sets all three).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <locale.h>
#include <string.h>

#include <aioext.h>

static void
run_again (AioJob       *job,
           GCancellable *cancellable,
           gpointer      user_data)
{
  g_autoptr(AioJob) inner = aio_job_new (run_again, NULL, NULL);
  GError *error = NULL;

  g_assert_false (aio_run (inner, &error));
  aio_job_return_error (job, error);
}

static void
test_i18n_recursive_run_error_is_in_spanish (void)
{
  g_autoptr(AioJob) job = aio_job_new (run_again, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (aio_run (job, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_RECURSIVE_RUN);
  g_assert_true (g_str_has_prefix (error->message, "Se llamó a aio_run()"));
}

static void
test_i18n_cancelled_before_start_is_in_spanish (void)
{
  g_autoptr(AioJob) job = aio_job_new (run_again, NULL, NULL);
  g_autoptr(GError) error = NULL;

  aio_job_cancel (job);
  g_assert_false (aio_job_run_sync (job, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "El trabajo se canceló antes de empezar.");
}

/* Made in the pool's process, from a worker that did not start. */
static void
test_i18n_process_pool_worker_death_is_in_spanish (void)
{
  const char *argv[] = { "/bin/false", NULL };
  g_autoptr(AioProcessPool) pool = aio_process_pool_new (1, argv);
  g_autoptr(AioJob) job = aio_process_pool_create_job (pool, "add", g_variant_new ("(ii)", 1, 1));
  g_autoptr(GError) error = NULL;

  g_assert_null (aio_job_run_sync (job, NULL, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_WORKER_DIED);
  g_assert_true (g_str_has_prefix (error->message, "El proceso trabajador "));
  g_assert_nonnull (strstr (error->message, "antes de estar listo"));
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/i18n/recursive-run-error-is-in-spanish", test_i18n_recursive_run_error_is_in_spanish);
  g_test_add_func ("/i18n/cancelled-before-start-is-in-spanish", test_i18n_cancelled_before_start_is_in_spanish);
  g_test_add_func ("/i18n/process-pool-worker-death-is-in-spanish", test_i18n_process_pool_worker_death_is_in_spanish);

  return g_test_run ();
}
