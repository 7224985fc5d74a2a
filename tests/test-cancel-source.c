/* test-cancel-source.c: the private cancel watch that replaces
 * g_cancellable_source_new(), whose GLib 2.74 version leaks under a
 * cross-thread race (the last test here; the valgrind and ASan stages see
 * the leak).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "aio-cancel-source-private.h"

static gboolean
count_dispatch (GCancellable *cancellable,
                gpointer      user_data)
{
  guint *dispatches = user_data;

  g_assert_true (g_cancellable_is_cancelled (cancellable));
  (*dispatches)++;

  return G_SOURCE_REMOVE;
}

static GSource *
watch_new (GCancellable *cancellable,
           GMainContext *context,
           guint        *dispatches)
{
  GSource *source = aio_cancel_source_new (cancellable);

  g_source_set_callback (source, G_SOURCE_FUNC (count_dispatch), dispatches, NULL);
  g_source_attach (source, context);

  return source;
}

static gpointer
cancel_in_thread (gpointer data)
{
  g_cancellable_cancel (data);

  return NULL;
}

static void
iterate_until_idle (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
}

/* A cancellation from another thread dispatches once, in the context the
 * watch is attached to, and never before. */
static void
test_dispatches_once_in_its_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint dispatches = 0;
  GSource *source = watch_new (cancellable, context, &dispatches);

  iterate_until_idle (context);
  g_assert_cmpuint (dispatches, ==, 0);

  g_thread_join (g_thread_new ("cancel", cancel_in_thread, cancellable));
  g_assert_cmpuint (dispatches, ==, 0);
  while (dispatches == 0)
    g_main_context_iteration (context, TRUE);
  iterate_until_idle (context);
  g_assert_cmpuint (dispatches, ==, 1);
  g_assert_true (g_source_is_destroyed (source));
  g_source_unref (source);
}

static void
test_already_cancelled_dispatches_at_once (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint dispatches = 0;
  GSource *source;

  g_cancellable_cancel (cancellable);
  source = watch_new (cancellable, context, &dispatches);
  iterate_until_idle (context);
  g_assert_cmpuint (dispatches, ==, 1);
  g_source_unref (source);
}

/* A dropped watch leaves no handler behind, so a later cancellation reaches
 * nothing of it. */
static void
test_drop_disconnects (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint dispatches = 0;
  GSource *source = watch_new (cancellable, context, &dispatches);
  guint signal_id = g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE);

  g_assert_true (g_signal_has_handler_pending (cancellable, signal_id, 0, FALSE));
  aio_source_drop (&source);
  g_assert_null (source);
  g_assert_false (g_signal_has_handler_pending (cancellable, signal_id, 0, FALSE));

  g_cancellable_cancel (cancellable);
  iterate_until_idle (context);
  g_assert_cmpuint (dispatches, ==, 0);
}

typedef struct
{
  GSource *source;
  gint     is_cancelling;
} Race;

static void
slow_cancelled_handler (GCancellable *cancellable,
                        gpointer      user_data)
{
  g_usleep (100);
}

static gpointer
drop_while_cancelling (gpointer data)
{
  Race *race = data;

  while (!g_atomic_int_get (&race->is_cancelling))
    ;
  g_usleep (20);
  aio_source_drop (&race->source);

  return NULL;
}

/* The last reference goes in one thread while another is still inside
 * g_cancellable_cancel(), after the watch's own handler ran: GLib 2.74's
 * GCancellableSource leaks in most rounds of this. */
static void
test_drop_during_cancel_from_other_thread (void)
{
  guint rounds = g_getenv ("AIO_TEST_UNDER_VALGRIND") != NULL ? 100 : 2000;
  guint signal_id = g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE);
  guint i;

  for (i = 0; i < rounds; i++)
    {
      g_autoptr(GMainContext) context = g_main_context_new ();
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      guint dispatches = 0;
      Race race = { watch_new (cancellable, context, &dispatches), FALSE };
      gulong slow_id = g_signal_connect (cancellable, "cancelled", G_CALLBACK (slow_cancelled_handler), NULL);
      GThread *dropper = g_thread_new ("drop", drop_while_cancelling, &race);

      g_atomic_int_set (&race.is_cancelling, TRUE);
      g_cancellable_cancel (cancellable);
      g_thread_join (dropper);
      g_signal_handler_disconnect (cancellable, slow_id);
      g_assert_null (race.source);
      g_assert_false (g_signal_has_handler_pending (cancellable, signal_id, 0, FALSE));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cancel-source/dispatches-once-in-its-context", test_dispatches_once_in_its_context);
  g_test_add_func ("/cancel-source/already-cancelled-dispatches-at-once", test_already_cancelled_dispatches_at_once);
  g_test_add_func ("/cancel-source/drop-disconnects", test_drop_disconnects);
  g_test_add_func ("/cancel-source/drop-during-cancel-from-other-thread", test_drop_during_cancel_from_other_thread);

  return g_test_run ();
}
