/* hello.c: the main-loop core from C: a job whose work is two slower jobs
 * started at once, and aio_run() as the program's entry point.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

static gboolean
finish_greeting (gpointer user_data)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, g_object_get_data (user_data, "word"));
  aio_job_return_value (user_data, &value);

  return G_SOURCE_REMOVE;
}

/* Pretends to wait on IO: completes after 100 ms without blocking the loop. */
static void
greet_later (AioJob       *job,
             GCancellable *cancellable,
             gpointer      user_data)
{
  GSource *source = g_timeout_source_new (100);

  g_object_set_data (G_OBJECT (job), "word", user_data);
  g_source_set_callback (source, finish_greeting, g_object_ref (job), g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

typedef struct
{
  AioJob *entry;
  AioJob *words[2];
  guint   remaining;
} Greeting;

static void
word_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Greeting *greeting = user_data;
  g_autofree char *sentence = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  if (--greeting->remaining > 0)
    return;

  sentence = g_strdup_printf ("%s, %s!",
                              g_value_get_string (aio_job_propagate_value (greeting->words[0], NULL)),
                              g_value_get_string (aio_job_propagate_value (greeting->words[1], NULL)));
  g_value_init (&value, G_TYPE_STRING);
  g_value_take_string (&value, g_steal_pointer (&sentence));
  aio_job_return_value (greeting->entry, &value);
}

static void
greet (AioJob       *job,
       GCancellable *cancellable,
       gpointer      user_data)
{
  Greeting *greeting = user_data;

  greeting->entry = job;
  greeting->remaining = G_N_ELEMENTS (greeting->words);
  greeting->words[0] = aio_job_new (greet_later, (gpointer) "Hello", NULL);
  greeting->words[1] = aio_job_new (greet_later, (gpointer) "world", NULL);
  /* Both start now and wait concurrently: about 100 ms in all, not 200. */
  for (guint i = 0; i < G_N_ELEMENTS (greeting->words); i++)
    aio_job_run_async (greeting->words[i], NULL, word_done, greeting);
}

int
main (void)
{
  Greeting greeting = { 0 };
  g_autoptr(AioJob) job = aio_job_new (greet, &greeting, NULL);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  const GValue *value = aio_run (job, &error);

  if (value == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("%s (%.1f s on %u CPU cores)\n", g_value_get_string (value),
           (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC, aio_get_cpu_cores ());
  g_object_unref (greeting.words[0]);
  g_object_unref (greeting.words[1]);

  return 0;
}
