/* checksums-window.c: the Checksums app's window, which computes the
 * SHA-256 checksum of every file under a folder while it stays responsive.
 *
 * A thread iterator walks the folder on a worker thread and hands the paths
 * over in batches; worker processes (checksums-worker.c) hash the files,
 * as many at once as the machine has cores; a collector keeps a bounded
 * window of them running and hands the outcomes back in input order, so the
 * result list fills from the top. The progress bar and the counters are
 * bound to the collector's and the pool's properties. Cancel stops the walk,
 * kills the workers that are hashing and empties the queue.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "checksums-window.h"
#include "checksums-result.h"

/* Outcomes that may wait for the main loop, finished but not yet shown. */
#define MAX_PENDING 64

struct _ChecksumsWindow
{
  GtkApplicationWindow  parent_instance;

  GtkButton            *open_button;
  GtkButton            *start_button;
  GtkButton            *cancel_button;
  GtkLabel             *folder_label;
  GtkProgressBar       *progress_bar;
  GtkLabel             *files_label;
  GtkLabel             *completed_label;
  GtkLabel             *failed_label;
  GtkLabel             *running_label;
  GtkListView          *results_view;
  GtkLabel             *status_label;

  char                 *folder;
  GListStore           *results;       /* of ChecksumsResult, in walk order */
  GPtrArray            *paths;         /* the same paths, for the producer */
  guint                 next_path;     /* the producer's cursor in paths */
  guint                 next_row;      /* the row of the next outcome */
  GCancellable         *cancellable;   /* non-NULL while busy */
  AioProcessPool       *pool;          /* the last run's, kept for its counters */
  AioCollector         *collector;
  GPtrArray            *bindings;      /* of GBinding, the counters on show */
  gint64                started_at;
};

G_DEFINE_FINAL_TYPE (ChecksumsWindow, checksums_window, GTK_TYPE_APPLICATION_WINDOW)

enum { PROP_0, PROP_POOL, PROP_COLLECTOR, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
set_busy (ChecksumsWindow *self,
          gboolean         is_busy)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), !is_busy && self->folder != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->open_button), !is_busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), is_busy);
}

static void
finish (ChecksumsWindow *self,
        const char      *message)
{
  /* Idle workers exit now rather than when the app does. */
  if (self->pool != NULL)
    aio_executor_pool_shutdown (AIO_EXECUTOR_POOL (self->pool), FALSE);
  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);
  gtk_label_set_label (self->status_label, message);
}

/* Ends the run on an error: Cancel's, or another one, told as @failure and
 * the error's text. */
static void
finish_with_error (ChecksumsWindow *self,
                   const GError    *error,
                   const char      *failure)
{
  g_autofree char *message = g_strdup_printf ("%s: %s", failure, error->message);

  finish (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "Cancelled." : message);
}

/* The walk ----------------------------------------------------------------- */

/* Paths handed over per step of the walk: one main-loop callback for many
 * files, not one each. The first batches are small, so the first rows show
 * at once and the rows of the first screen are not all made in one go. */
#define FIRST_WALK_BATCH 16
#define MAX_WALK_BATCH 64

typedef struct
{
  char   *root;
  GQueue  folders;      /* relative paths still to list, the next one first */
  GQueue  files;        /* relative paths listed but not yet handed out */
  guint   batch_size;   /* of the next step */
} Walk;

static void
walk_free (gpointer data)
{
  Walk *walk = data;

  g_queue_clear_full (&walk->folders, g_free);
  g_queue_clear_full (&walk->files, g_free);
  g_free (walk->root);
  g_free (walk);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Lists one folder: its files by name into walk->files, its subfolders by
 * name at the head of walk->folders, so the walk goes depth first. A link to
 * a folder is not followed; a folder that cannot be listed is skipped. */
static void
list_folder (Walk       *walk,
             const char *relative)
{
  g_autofree char *path = g_build_filename (walk->root, relative, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) subfolders = g_ptr_array_new ();
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      char *child = relative[0] != '\0' ? g_build_filename (relative, names->pdata[i], NULL)
                                        : g_strdup (names->pdata[i]);
      g_autofree char *child_path = g_build_filename (walk->root, child, NULL);

      if (!g_file_test (child_path, G_FILE_TEST_IS_DIR))
        g_queue_push_tail (&walk->files, child);
      else if (!g_file_test (child_path, G_FILE_TEST_IS_SYMLINK))
        g_ptr_array_add (subfolders, child);
      else
        g_free (child);
    }
  for (guint i = subfolders->len; i > 0; i--)
    g_queue_push_head (&walk->folders, subfolders->pdata[i - 1]);
}

/* One step of the walk, on a worker thread: the next batch of paths, as a
 * string array. */
static gboolean
walk_next (GCancellable  *cancellable,
           const GValue  *sent,
           GValue        *item,
           gpointer       user_data,
           GError       **error)
{
  Walk *walk = user_data;
  GPtrArray *batch = g_ptr_array_new ();

  while (batch->len < walk->batch_size)
    {
      g_autofree char *folder = NULL;

      if (!g_queue_is_empty (&walk->files))
        {
          g_ptr_array_add (batch, g_queue_pop_head (&walk->files));
          continue;
        }
      if (g_queue_is_empty (&walk->folders))
        break;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_ptr_array_free (batch, TRUE);
          return FALSE;
        }
      folder = g_queue_pop_head (&walk->folders);
      list_folder (walk, folder);
    }
  walk->batch_size = MIN (2 * walk->batch_size, MAX_WALK_BATCH);

  if (batch->len > 0)
    {
      g_ptr_array_add (batch, NULL);
      g_value_init (item, G_TYPE_STRV);
      g_value_take_boxed (item, g_ptr_array_free (batch, FALSE));
    }
  else
    g_ptr_array_free (batch, TRUE);
  return TRUE;     /* an unset item ends the walk */
}

static AioThreadIterator *
walk_new (const char *root)
{
  Walk *walk = g_new0 (Walk, 1);

  walk->root = g_strdup (root);
  walk->batch_size = FIRST_WALK_BATCH;
  g_queue_push_tail (&walk->folders, g_strdup (""));

  return aio_thread_iterator_new (NULL, walk_next, walk, walk_free);
}

/* Hashing ------------------------------------------------------------------ */

static AioJob *
produce_hash_job (gpointer   user_data,
                  GError   **error)
{
  ChecksumsWindow *self = user_data;
  g_autofree char *path = NULL;

  if (self->next_path == self->paths->len)
    return NULL;
  path = g_build_filename (self->folder, self->paths->pdata[self->next_path++], NULL);

  return aio_process_pool_create_job (self->pool, "sha256", g_variant_new_string (path));
}

static gboolean
completed_to_fraction (GBinding     *binding,
                       const GValue *completed,
                       GValue       *fraction,
                       gpointer      user_data)
{
  ChecksumsWindow *self = user_data;

  g_value_set_double (fraction, (double) g_value_get_int64 (completed) / MAX (self->paths->len, 1));
  return TRUE;
}

static void
bind_counters (ChecksumsWindow *self)
{
  GBindingFlags flags = G_BINDING_SYNC_CREATE;

  /* Integer counters to a label's text need no transform function. */
  g_ptr_array_add (self->bindings, g_object_bind_property (self->collector, "completed",
                                                           self->completed_label, "label", flags));
  g_ptr_array_add (self->bindings, g_object_bind_property (self->collector, "failed",
                                                           self->failed_label, "label", flags));
  g_ptr_array_add (self->bindings, g_object_bind_property (self->pool, "running",
                                                           self->running_label, "label", flags));
  g_ptr_array_add (self->bindings, g_object_bind_property_full (self->collector, "completed",
                                                                self->progress_bar, "fraction", flags,
                                                                completed_to_fraction, NULL, self, NULL));
}

static void
unbind_counters (ChecksumsWindow *self)
{
  for (guint i = 0; i < self->bindings->len; i++)
    g_binding_unbind (self->bindings->pdata[i]);
  g_ptr_array_set_size (self->bindings, 0);
}

static char *
summary (ChecksumsWindow *self)
{
  double seconds = (g_get_monotonic_time () - self->started_at) / (double) G_USEC_PER_SEC;
  gint64 unreadable = aio_collector_get_failed (self->collector);
  gint64 files = aio_collector_get_completed (self->collector) - unreadable;

  if (unreadable == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " files checksummed in %.1f s.", files, seconds);
  return g_strdup_printf ("%" G_GINT64_FORMAT " files checksummed in %.1f s. %" G_GINT64_FORMAT
                          " could not be read.", files, seconds, unreadable);
}

static void on_outcome (GObject      *source_object,
                        GAsyncResult *result,
                        gpointer      user_data);

/* Outcomes arrive in input order: the n-th is the n-th row's. */
static void
show_outcome (ChecksumsWindow *self,
              AioJob          *job,
              guint            position)
{
  g_autoptr(ChecksumsResult) row = g_list_model_get_item (G_LIST_MODEL (self->results), position);
  g_autoptr(GError) error = NULL;
  const GValue *value = aio_job_propagate_value (job, &error);

  if (value != NULL)
    checksums_result_set_checksum (row, g_variant_get_string (g_value_get_variant (value), NULL));
  else
    checksums_result_set_problem (row, error->message);
}

static void
on_outcome (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ChecksumsWindow) self = user_data;
  AioCollector *collector = AIO_COLLECTOR (source_object);
  g_autoptr(GError) error = NULL;
  g_autoptr(AioJob) job = aio_collector_next_finish (collector, result, &error);
  g_autofree char *message = NULL;

  if (job != NULL)
    {
      show_outcome (self, job, self->next_row++);
      /* No cancellable: Cancel cancels the collector, whose next item then
       * fails, but only once every running job has really stopped. */
      aio_collector_next_async (collector, NULL, on_outcome, g_steal_pointer (&self));
      return;
    }

  if (error != NULL)
    {
      finish_with_error (self, error, "The checksums could not be computed");
      return;
    }
  message = summary (self);
  finish (self, message);
}

static void
hash_files (ChecksumsWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  guint workers;

  self->pool = aio_process_pool_new (0, NULL);
  workers = aio_executor_pool_get_max_workers (AIO_EXECUTOR_POOL (self->pool));
  self->next_path = self->next_row = 0;
  /* Twice as many jobs as workers, so a worker never waits for the main
   * loop to hand it the next file. */
  self->collector = aio_collector_new_for_producer (2 * workers, MAX_PENDING, AIO_COLLECTOR_POLICY_SETTLE_ALL,
                                                    produce_hash_job, self, NULL, &error);
  g_assert_no_error (error);     /* the sizes above are valid */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POOL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLLECTOR]);
  bind_counters (self);

  gtk_progress_bar_set_text (self->progress_bar, NULL);
  status = g_strdup_printf ("Checksumming %u files in up to %u worker processes…", self->paths->len, workers);
  gtk_label_set_label (self->status_label, status);
  aio_collector_next_async (self->collector, NULL, on_outcome, g_object_ref (self));
}

/* Start ---------------------------------------------------------------------- */

/* Runs in the main loop once per batch of paths found, so the list grows
 * as the walk goes on; the hashing starts once the walk is over. */
static void
on_paths (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(ChecksumsWindow) self = user_data;
  AioThreadIterator *walker = AIO_THREAD_ITERATOR (source_object);
  g_autoptr(GError) error = NULL;
  GValue *batch = aio_thread_iterator_next_finish (walker, result, &error);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *count = NULL;
  GCancellable *cancellable;
  const char * const *paths;

  if (batch == NULL && error != NULL)
    {
      finish_with_error (self, error, "The folder could not be listed");
      return;
    }
  if (batch == NULL)
    {
      hash_files (self);
      return;
    }

  paths = g_value_get_boxed (batch);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_ptr_array_add (self->paths, g_strdup (paths[i]));
      g_ptr_array_add (rows, checksums_result_new (paths[i]));
    }
  g_list_store_splice (self->results, g_list_model_get_n_items (G_LIST_MODEL (self->results)), 0,
                       rows->pdata, rows->len);
  count = g_strdup_printf ("%u", self->paths->len);
  gtk_label_set_label (self->files_label, count);
  g_boxed_free (G_TYPE_VALUE, batch);

  cancellable = self->cancellable;
  aio_thread_iterator_next_async (walker, cancellable, on_paths, g_steal_pointer (&self));
}

static void
on_start_clicked (ChecksumsWindow *self)
{
  g_autoptr(AioThreadIterator) walker = walk_new (self->folder);
  g_autofree char *status = g_strdup_printf ("Listing the files under %s…", self->folder);

  /* The previous run's counters stay on show until now. */
  unbind_counters (self);
  g_clear_object (&self->collector);
  g_clear_object (&self->pool);
  g_list_store_remove_all (self->results);
  g_ptr_array_set_size (self->paths, 0);
  gtk_label_set_label (self->files_label, "0");

  self->cancellable = g_cancellable_new ();
  self->started_at = g_get_monotonic_time ();
  set_busy (self, TRUE);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, "Listing files…");
  gtk_label_set_label (self->status_label, status);
  aio_thread_iterator_next_async (walker, self->cancellable, on_paths, g_object_ref (self));
}

/* Cancel, open, close --------------------------------------------------------- */

static void
on_cancel_clicked (ChecksumsWindow *self)
{
  gtk_label_set_label (self->status_label, "Cancelling…");
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), FALSE);
  /* The walk ends with G_IO_ERROR_CANCELLED; the collector cancels its
   * jobs, which kills the workers hashing them, and then fails its next
   * item with G_IO_ERROR_CANCELLED too. */
  g_cancellable_cancel (self->cancellable);
  if (self->collector != NULL)
    aio_collector_cancel (self->collector);
}

static void
on_folder_chosen (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  ChecksumsWindow *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (folder);

      checksums_window_set_folder (self, path);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
on_open_clicked (ChecksumsWindow *self)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new ("Choose a Folder", GTK_WINDOW (self),
                                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                               "_Choose", "_Cancel");

  g_signal_connect (chooser, "response", G_CALLBACK (on_folder_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static gboolean
checksums_window_close_request (GtkWindow *window)
{
  ChecksumsWindow *self = CHECKSUMS_WINDOW (window);

  if (checksums_window_is_busy (self))
    on_cancel_clicked (self);

  return GTK_WINDOW_CLASS (checksums_window_parent_class)->close_request (window);
}

/* The result list's rows ------------------------------------------------------ */

/* Makes @widget's @widget_property follow @item_property of the row's item,
 * whichever item the row shows. */
static void
follow_item (GtkListItem *list_item,
             GtkWidget   *widget,
             const char  *item_property,
             const char  *widget_property)
{
  GtkExpression *item = gtk_property_expression_new (GTK_TYPE_LIST_ITEM, NULL, "item");
  GtkExpression *value = gtk_property_expression_new (CHECKSUMS_TYPE_RESULT, item, item_property);

  gtk_expression_bind (value, widget, widget_property, list_item);
}

/* A row: the path, then the checksum or, in the error style, why the file
 * could not be read. */
static void
setup_row (GtkSignalListItemFactory *factory,
           GObject                  *object,
           gpointer                  user_data)
{
  GtkListItem *list_item = GTK_LIST_ITEM (object);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *path = gtk_label_new (NULL);
  GtkWidget *problem = gtk_label_new (NULL);
  GtkWidget *checksum = gtk_label_new (NULL);

  gtk_widget_set_margin_start (row, 6);
  gtk_widget_set_margin_end (row, 6);
  gtk_label_set_xalign (GTK_LABEL (path), 0);
  gtk_widget_set_hexpand (path, TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (path), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_xalign (GTK_LABEL (problem), 1);
  gtk_label_set_ellipsize (GTK_LABEL (problem), PANGO_ELLIPSIZE_START);
  gtk_label_set_max_width_chars (GTK_LABEL (problem), 64);
  gtk_widget_add_css_class (problem, "error");
  gtk_label_set_xalign (GTK_LABEL (checksum), 1);
  gtk_label_set_selectable (GTK_LABEL (checksum), TRUE);
  gtk_widget_add_css_class (checksum, "monospace");

  follow_item (list_item, path, "path", "label");
  follow_item (list_item, problem, "problem", "label");
  follow_item (list_item, checksum, "checksum", "label");
  gtk_box_append (GTK_BOX (row), path);
  gtk_box_append (GTK_BOX (row), problem);
  gtk_box_append (GTK_BOX (row), checksum);
  gtk_list_item_set_child (list_item, row);
}

static GtkListItemFactory *
row_factory_new (void)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  return factory;
}

/* The class ------------------------------------------------------------------ */

static void
checksums_window_get_property (GObject    *object,
                               guint       property_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ChecksumsWindow *self = CHECKSUMS_WINDOW (object);

  switch (property_id)
    {
    case PROP_POOL:
      g_value_set_object (value, self->pool);
      break;
    case PROP_COLLECTOR:
      g_value_set_object (value, self->collector);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, property_id, pspec);
    }
}

static void
checksums_window_dispose (GObject *object)
{
  ChecksumsWindow *self = CHECKSUMS_WINDOW (object);

  if (self->bindings != NULL)
    unbind_counters (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CHECKSUMS_TYPE_WINDOW);

  G_OBJECT_CLASS (checksums_window_parent_class)->dispose (object);
}

static void
checksums_window_finalize (GObject *object)
{
  ChecksumsWindow *self = CHECKSUMS_WINDOW (object);

  g_clear_object (&self->collector);
  g_clear_object (&self->pool);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->results);
  g_clear_pointer (&self->paths, g_ptr_array_unref);
  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  g_free (self->folder);

  G_OBJECT_CLASS (checksums_window_parent_class)->finalize (object);
}

static void
checksums_window_class_init (ChecksumsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = checksums_window_get_property;
  object_class->dispose = checksums_window_dispose;
  object_class->finalize = checksums_window_finalize;
  window_class->close_request = checksums_window_close_request;

  properties[PROP_POOL] = g_param_spec_object ("pool", "Pool", "The process pool of the last run",
                                               AIO_TYPE_PROCESS_POOL, flags);
  properties[PROP_COLLECTOR] = g_param_spec_object ("collector", "Collector", "The collector of the last run",
                                                    AIO_TYPE_COLLECTOR, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/aioext/Checksums/checksums-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, open_button);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, folder_label);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, files_label);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, completed_label);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, failed_label);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, running_label);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, results_view);
  gtk_widget_class_bind_template_child (widget_class, ChecksumsWindow, status_label);
}

static void
checksums_window_init (ChecksumsWindow *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->results = g_list_store_new (CHECKSUMS_TYPE_RESULT);
  self->paths = g_ptr_array_new_with_free_func (g_free);
  self->bindings = g_ptr_array_new ();
  gtk_list_view_set_model (self->results_view,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->results)))));
  factory = row_factory_new ();
  gtk_list_view_set_factory (self->results_view, factory);
  g_object_unref (factory);

  g_signal_connect_swapped (self->open_button, "clicked", G_CALLBACK (on_open_clicked), self);
  g_signal_connect_swapped (self->start_button, "clicked", G_CALLBACK (on_start_clicked), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
}

ChecksumsWindow *
checksums_window_new (GtkApplication *application)
{
  return g_object_new (CHECKSUMS_TYPE_WINDOW, "application", application, NULL);
}

void
checksums_window_set_folder (ChecksumsWindow *self,
                             const char      *folder)
{
  g_free (self->folder);
  self->folder = g_strdup (folder);
  gtk_label_set_label (self->folder_label, folder);
  set_busy (self, checksums_window_is_busy (self));
}

gboolean
checksums_window_is_busy (ChecksumsWindow *self)
{
  return self->cancellable != NULL;
}
