#!/usr/bin/python3
"""Checksums: a GTK 4 app that computes the SHA-256 checksum of every file
under a folder while its window stays responsive.

A thread iterator walks the folder on a worker thread and hands the paths
over in batches; worker processes (checksums-worker.py) hash the files, as
many at once as the machine has cores; a collector keeps a bounded window of
them running and hands the outcomes back in input order, so the result list
fills from the top. The progress bar and the counters are bound to the
collector's and the pool's properties. Cancel stops the walk, kills the
workers that are hashing and empties the queue.

Usage: checksums.py [FOLDER]

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import itertools
import os
import sys
import time

import gi

gi.require_version('Aio', '1.0')
gi.require_version('Gtk', '4.0')
from gi.repository import Aio, Gio, GLib, GObject, Gtk, Pango  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
UI_FILE = os.path.join(HERE, '..', 'checksums-window.ui')
WORKER_ARGV = [sys.executable, os.path.join(HERE, 'checksums-worker.py')]


class ChecksumsResult(GObject.Object):
    """One row of the result list: a file and, once hashed, its checksum or
    why it could not be read."""
    __gtype_name__ = 'ChecksumsResult'

    path = GObject.Property(type=str, default='')
    checksum = GObject.Property(type=str, default='')
    problem = GObject.Property(type=str, default='')


# Paths handed over per step of the walk: one main-loop callback for many
# files, not one each. The first batches are small, so the first rows show
# at once and the rows of the first screen are not all made in one go.
FIRST_WALK_BATCH = 16
MAX_WALK_BATCH = 64


def walk_files(folder):
    """Every file under ``folder``, as a path relative to it: the files of a
    folder in name order, then each subfolder in name order, depth first.
    Symbolic links to folders are not followed."""
    for root, folders, files in os.walk(folder):
        folders.sort()
        relative_root = os.path.relpath(root, folder)
        for name in sorted(files):
            yield name if relative_root == '.' else os.path.join(relative_root, name)


def in_batches(paths):
    """The steps of the walk, run on a worker thread: each hands over the
    next batch of paths as a GLib.Variant of type `as` (a plain Python list
    cannot leave a worker thread with PyGObject 3.42), None at the end."""
    size = FIRST_WALK_BATCH

    def next_batch(cancellable, sent):
        nonlocal size
        batch = list(itertools.islice(paths, size))
        size = min(2 * size, MAX_WALK_BATCH)
        return True, GLib.Variant('as', batch) if batch else None
    return next_batch


def new_row_factory():
    """The rows of the result list: the path, then the checksum or, in the
    error style, why the file could not be read."""
    def setup(factory, list_item):
        row = Gtk.Box(spacing=12, margin_start=6, margin_end=6)
        row.append(Gtk.Label(xalign=0, hexpand=True, ellipsize=Pango.EllipsizeMode.MIDDLE))
        row.append(Gtk.Label(xalign=1, ellipsize=Pango.EllipsizeMode.START, max_width_chars=64,
                             css_classes=['error']))
        row.append(Gtk.Label(xalign=1, selectable=True, css_classes=['monospace']))
        list_item.set_child(row)

    def bind(factory, list_item):
        result = list_item.get_item()
        path = list_item.get_child().get_first_child()
        problem = path.get_next_sibling()
        checksum = problem.get_next_sibling()
        flags = GObject.BindingFlags.SYNC_CREATE
        list_item.bindings = [result.bind_property('path', path, 'label', flags),
                              result.bind_property('problem', problem, 'label', flags),
                              result.bind_property('checksum', checksum, 'label', flags)]

    def unbind(factory, list_item):
        for binding in list_item.bindings:
            binding.unbind()

    factory = Gtk.SignalListItemFactory()
    factory.connect('setup', setup)
    factory.connect('bind', bind)
    factory.connect('unbind', unbind)
    return factory


@Gtk.Template(filename=UI_FILE)
class ChecksumsWindow(Gtk.ApplicationWindow):
    __gtype_name__ = 'ChecksumsWindow'

    open_button = Gtk.Template.Child()
    start_button = Gtk.Template.Child()
    cancel_button = Gtk.Template.Child()
    folder_label = Gtk.Template.Child()
    progress_bar = Gtk.Template.Child()
    files_label = Gtk.Template.Child()
    completed_label = Gtk.Template.Child()
    failed_label = Gtk.Template.Child()
    running_label = Gtk.Template.Child()
    results_view = Gtk.Template.Child()
    status_label = Gtk.Template.Child()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.folder = None
        self.results = Gio.ListStore.new(ChecksumsResult)
        self.results_view.set_model(Gtk.NoSelection.new(self.results))
        self.results_view.set_factory(new_row_factory())
        self.pool = None
        self.collector = None
        self.cancellable = None
        self.bindings = []
        self.started_at = 0.0
        self.open_button.connect('clicked', self.on_open_clicked)
        self.start_button.connect('clicked', self.on_start_clicked)
        self.cancel_button.connect('clicked', self.on_cancel_clicked)
        self.connect('close-request', self.on_close_request)

    @property
    def is_busy(self):
        return self.cancellable is not None

    def set_folder(self, path):
        self.folder = path
        self.folder_label.set_label(path)
        self.start_button.set_sensitive(not self.is_busy)

    def on_open_clicked(self, button):
        chooser = Gtk.FileChooserNative.new('Choose a Folder', self, Gtk.FileChooserAction.SELECT_FOLDER,
                                            '_Choose', '_Cancel')

        def on_response(chooser, response):
            if response == Gtk.ResponseType.ACCEPT:
                self.set_folder(chooser.get_file().get_path())
            chooser.destroy()

        chooser.connect('response', on_response)
        chooser.show()

    # Start: walk the folder on a worker thread --------------------------------

    def on_start_clicked(self, button):
        # The previous run's counters stay on show until now.
        for binding in self.bindings:
            binding.unbind()
        self.bindings = []
        self.pool = self.collector = None
        self.cancellable = Gio.Cancellable()
        self.results.remove_all()
        self.set_busy(True)
        self.progress_bar.set_fraction(0)
        self.progress_bar.set_text('Listing files…')
        self.status_label.set_label(f'Listing the files under {self.folder}…')
        self.started_at = time.monotonic()
        walker = Aio.ThreadIterator.new(None, in_batches(walk_files(self.folder)))
        walker.next_async(self.cancellable, self.on_paths, [])

    def on_paths(self, walker, result, found):
        """Runs in the main loop once per batch of paths found, so the list
        grows as the walk goes on; the hashing starts once it is over."""
        try:
            batch = walker.next_finish(result)
        except GLib.Error as error:
            self.finish_with(error, 'The folder could not be listed')
            return
        if batch is None:
            self.hash_files(found)
            return
        paths = batch.unpack()
        self.results.splice(len(found), 0, [ChecksumsResult(path=path) for path in paths])
        found.extend(paths)
        self.files_label.set_label(str(len(found)))
        walker.next_async(self.cancellable, self.on_paths, found)

    # Then hash the files in worker processes -----------------------------------

    def hash_files(self, paths):
        self.pool = Aio.ProcessPool.new(0, WORKER_ARGV)
        workers = self.pool.get_max_workers()
        pending = iter(paths)

        def next_job():
            path = next(pending, None)
            if path is None:
                return None
            return self.pool.create_job('sha256', GLib.Variant('s', os.path.join(self.folder, path)))

        # Twice as many jobs as workers, so a worker never waits for the main
        # loop to hand it the next file; at most 64 outcomes wait to be shown.
        self.collector = Aio.Collector.new_for_producer(2 * workers, 64, Aio.CollectorPolicy.SETTLE_ALL,
                                                        next_job)
        total = max(len(paths), 1)
        self.bindings = [
            self.collector.bind_property('completed', self.completed_label, 'label',
                                         GObject.BindingFlags.SYNC_CREATE),
            self.collector.bind_property('failed', self.failed_label, 'label',
                                         GObject.BindingFlags.SYNC_CREATE),
            self.collector.bind_property('completed', self.progress_bar, 'fraction',
                                         GObject.BindingFlags.SYNC_CREATE,
                                         lambda binding, completed: completed / total),
            self.pool.bind_property('running', self.running_label, 'label',
                                    GObject.BindingFlags.SYNC_CREATE),
        ]
        self.progress_bar.set_text(None)
        self.status_label.set_label(f'Checksumming {len(paths)} files in up to {workers} worker processes…')
        # No cancellable here: Cancel cancels the collector, whose next item
        # then fails, but only once every running job has really stopped.
        self.collector.next_async(None, self.on_outcome, 0)

    def on_outcome(self, collector, result, position):
        """Outcomes arrive in input order: the n-th is the n-th row's."""
        try:
            job = collector.next_finish(result)
        except GLib.Error as error:
            self.finish_with(error, 'The checksums could not be computed')
            return
        if job is None:
            self.finish(self.summary())
            return
        row = self.results.get_item(position)
        try:
            row.props.checksum = job.propagate_value().unpack()
        except GLib.Error as error:
            row.props.problem = error.message
        collector.next_async(None, self.on_outcome, position + 1)

    def summary(self):
        seconds = time.monotonic() - self.started_at
        unreadable = self.collector.props.failed
        files = self.collector.props.completed - unreadable
        text = f'{files} files checksummed in {seconds:.1f} s.'
        if unreadable:
            text += f' {unreadable} could not be read.'
        return text

    # Cancel, and the end of a run ---------------------------------------------

    def on_cancel_clicked(self, button):
        self.status_label.set_label('Cancelling…')
        self.cancel_button.set_sensitive(False)
        # The walk ends with G_IO_ERROR_CANCELLED; the collector cancels its
        # jobs, which kills the workers hashing them, and then fails its next
        # item with G_IO_ERROR_CANCELLED too.
        self.cancellable.cancel()
        if self.collector is not None:
            self.collector.cancel()

    def on_close_request(self, window):
        if self.is_busy:
            self.on_cancel_clicked(self.cancel_button)
        return False

    def finish(self, message):
        if self.pool is not None:
            # Idle workers exit now rather than when the app does.
            self.pool.shutdown(False)
        self.cancellable = None
        self.set_busy(False)
        self.status_label.set_label(message)

    def finish_with(self, error, failure):
        """Ends the run on an error: Cancel's, or another one, told as
        ``failure`` and the error's text."""
        self.finish('Cancelled.' if error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
                    else f'{failure}: {error.message}')

    def set_busy(self, busy):
        self.start_button.set_sensitive(not busy and self.folder is not None)
        self.open_button.set_sensitive(not busy)
        self.cancel_button.set_sensitive(busy)


class ChecksumsApplication(Gtk.Application):
    def __init__(self):
        super().__init__(application_id='org.aioext.Checksums',
                         flags=Gio.ApplicationFlags.HANDLES_OPEN | Gio.ApplicationFlags.NON_UNIQUE)

    def do_activate(self):
        window = self.get_active_window() or ChecksumsWindow(application=self)
        window.present()

    def do_open(self, files, n_files, hint):
        window = ChecksumsWindow(application=self)
        window.set_folder(files[0].get_path())
        window.present()


if __name__ == '__main__':
    sys.exit(ChecksumsApplication().run(sys.argv))
