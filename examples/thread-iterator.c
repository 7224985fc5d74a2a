/* thread-iterator.c: read a file line by line on a worker thread
 *
 * Each line comes from a blocking read that runs on the thread pool, one
 * step at a time, while the main loop stays free; the main loop counts the
 * lines and words. No thread is held between two steps.
 *
 * Usage: thread-iterator [FILE]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <aioext.h>

typedef struct
{
  GMainLoop *loop;
  guint      lines;
  guint      words;
  gboolean   failed;
} Count;

/* Runs on a worker thread: one blocking read per step. */
static gboolean
read_next_line (GCancellable  *cancellable,
                const GValue  *sent,
                GValue        *item,
                gpointer       user_data,
                GError       **error)
{
  GDataInputStream *input = user_data;
  g_autoptr(GError) local_error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (input, NULL, cancellable, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (line != NULL)
    {
      g_value_init (item, G_TYPE_STRING);
      g_value_take_string (item, line);
    }
  return TRUE;     /* an unset item is the end of the stream */
}

static void
on_line (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  AioThreadIterator *iterator = AIO_THREAD_ITERATOR (source_object);
  Count *count = user_data;
  g_autoptr(GError) error = NULL;
  GValue *line = aio_thread_iterator_next_finish (iterator, result, &error);
  g_auto(GStrv) words = NULL;

  if (line == NULL)
    {
      if (error != NULL)
        {
          g_printerr ("%s\n", error->message);
          count->failed = TRUE;
        }
      g_main_loop_quit (count->loop);
      return;
    }

  words = g_strsplit_set (g_value_get_string (line), " \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    count->words += words[i][0] != '\0';
  count->lines++;
  g_boxed_free (G_TYPE_VALUE, line);

  aio_thread_iterator_next_async (iterator, NULL, on_line, count);
}

int
main (int   argc,
      char *argv[])
{
  const char *path = argc > 1 ? argv[1] : "/etc/os-release";
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, &error);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(AioThreadIterator) iterator = NULL;
  Count count = { loop, 0, 0, FALSE };

  if (stream == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  iterator = aio_thread_iterator_new (NULL, read_next_line,
                                      g_data_input_stream_new (G_INPUT_STREAM (stream)),
                                      g_object_unref);
  aio_thread_iterator_next_async (iterator, NULL, on_line, &count);
  g_main_loop_run (loop);

  g_print ("%u lines, %u words in %s\n", count.lines, count.words, path);
  return count.failed ? 1 : 0;
}
