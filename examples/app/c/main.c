/* main.c: the Checksums app, a GTK 4 app built on aioext: it computes the
 * SHA-256 checksum of every file under a folder in worker processes while
 * its window stays responsive.
 *
 * Usage: aioext-checksums [FOLDER]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "checksums-window.h"
#include "checksums-worker.h"

static void
on_activate (GtkApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (application);

  if (window == NULL)
    window = GTK_WINDOW (checksums_window_new (application));
  gtk_window_present (window);
}

static void
on_open (GtkApplication  *application,
         GFile          **files,
         int              n_files,
         const char      *hint)
{
  ChecksumsWindow *window = checksums_window_new (application);
  g_autofree char *folder = g_file_get_path (files[0]);

  checksums_window_set_folder (window, folder);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkApplication) application = NULL;

  /* The process pool runs this program again as its workers. */
  if (aio_worker_is_requested ())
    {
      g_autoptr(AioWorker) worker = checksums_worker_new ();

      return aio_worker_run (worker);
    }

  application = gtk_application_new ("org.aioext.Checksums", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_signal_connect (application, "activate", G_CALLBACK (on_activate), NULL);
  g_signal_connect (application, "open", G_CALLBACK (on_open), NULL);

  return g_application_run (G_APPLICATION (application), argc, argv);
}
