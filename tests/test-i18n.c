/* test-i18n.c: library messages are translated
 *
 * Run with LC_ALL=C.UTF-8, LANGUAGE=es or LANGUAGE=fr, and AIO_LOCALEDIR
 * pointing at the catalogs of the build tree (the suite runs it once per
 * language).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <locale.h>
#include <string.h>

#include <aioext.h>

/* The messages the tests expect, in each language the suite runs them in. */
typedef struct
{
  const char *language;
  const char *recursive_run_prefix;
  const char *cancelled_before_start;
  const char *worker_prefix;
  const char *before_ready;
  const char *shut_down;
  const char *no_function;
} Translation;

static const Translation translations[] = {
  { "es", "Se inició una ejecución", "El trabajo se canceló antes de empezar.",
    "El proceso trabajador ", "antes de estar listo",
    "Se apagó el AioThreadPool; inicialice el grupo de nuevo para volver a usarlo.",
    "El trabajo no tiene ninguna función que ejecutar; cree el trabajo con la función que inicia su tarea." },
  { "fr", "Une exécution a été lancée", "La tâche a été annulée avant de commencer.",
    "Le processus de travail ", "avant d’être prêt",
    "AioThreadPool a été arrêté ; initialisez de nouveau le pool pour l’utiliser.",
    "La tâche n’a aucune fonction à exécuter ; créez la tâche avec la fonction qui lance son travail." },
};

static const Translation *
expected_translation (void)
{
  const char *language = g_getenv ("LANGUAGE");

  for (gsize i = 0; i < G_N_ELEMENTS (translations); i++)
    if (g_strcmp0 (language, translations[i].language) == 0)
      return &translations[i];
  g_error ("LANGUAGE must be one of the tested languages, not “%s”", language ? language : "(unset)");
}

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
test_i18n_recursive_run_error_is_translated (void)
{
  g_autoptr(AioJob) job = aio_job_new (run_again, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (aio_run (job, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_RECURSIVE_RUN);
  g_assert_true (g_str_has_prefix (error->message, expected_translation ()->recursive_run_prefix));
}

static void
test_i18n_cancelled_before_start_is_translated (void)
{
  g_autoptr(AioJob) job = aio_job_new (run_again, NULL, NULL);
  g_autoptr(GError) error = NULL;

  aio_job_cancel (job);
  g_assert_false (aio_job_run_sync (job, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, expected_translation ()->cancelled_before_start);
}

/* Made in the pool's process, from a worker that did not start. */
static void
test_i18n_process_pool_worker_death_is_translated (void)
{
  const char *argv[] = { "/bin/false", NULL };
  g_autoptr(AioProcessPool) pool = aio_process_pool_new (1, argv);
  g_autoptr(AioJob) job = aio_process_pool_create_job (pool, "add", g_variant_new ("(ii)", 1, 1));
  g_autoptr(GError) error = NULL;

  g_assert_null (aio_job_run_sync (job, NULL, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_WORKER_DIED);
  g_assert_true (g_str_has_prefix (error->message, expected_translation ()->worker_prefix));
  g_assert_nonnull (strstr (error->message, expected_translation ()->before_ready));
  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
}

static gboolean
return_nothing (GCancellable  *cancellable,
                GValue        *result,
                gpointer       user_data,
                GError       **error)
{
  return TRUE;
}

/* Says what to do in words every language's user understands: no C
 * function name. */
static void
test_i18n_shut_down_pool_says_initialize_again (void)
{
  g_autoptr(AioThreadPool) pool = aio_thread_pool_new (1);
  g_autoptr(AioJob) job = NULL;
  g_autoptr(GError) error = NULL;

  aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (pool), TRUE);
  job = aio_thread_pool_create_job (pool, return_nothing, NULL, NULL);
  g_assert_null (aio_job_run_sync (job, NULL, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_SHUT_DOWN);
  g_assert_cmpstr (error->message, ==, expected_translation ()->shut_down);
}

static void
test_i18n_job_without_function_says_what_to_do (void)
{
  g_autoptr(AioJob) job = g_object_new (AIO_TYPE_JOB, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (aio_job_run_sync (job, NULL, &error));
  g_assert_error (error, AIO_ERROR, AIO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, expected_translation ()->no_function);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/i18n/recursive-run-error-is-translated", test_i18n_recursive_run_error_is_translated);
  g_test_add_func ("/i18n/cancelled-before-start-is-translated", test_i18n_cancelled_before_start_is_translated);
  g_test_add_func ("/i18n/process-pool-worker-death-is-translated", test_i18n_process_pool_worker_death_is_translated);
  g_test_add_func ("/i18n/shut-down-pool-says-initialize-again", test_i18n_shut_down_pool_says_initialize_again);
  g_test_add_func ("/i18n/job-without-function-says-what-to-do", test_i18n_job_without_function_says_what_to_do);

  return g_test_run ();
}
