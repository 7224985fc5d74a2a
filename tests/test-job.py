"""AioJob, aio_run and the sync bridge from Python (PyGObject).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import aiotap
from gi.repository import Aio, GLib, Gio


def test_run_returns_a_python_value():
    job = Aio.Job.new(lambda job, cancellable: job.return_value({'a': [1, 2]}))
    assert Aio.run(job) == {'a': [1, 2]}


def test_error_is_raised_only_when_read():
    def fail(job, cancellable):
        job.return_error(GLib.Error.new_literal(Gio.io_error_quark(), 'gone', Gio.IOErrorEnum.NOT_FOUND))
    job = Aio.Job.new(fail)
    job.start()
    context = GLib.MainContext.default()
    while not job.is_completed():
        context.iteration(True)
    assert job.get_state() == Aio.JobState.FAILED
    try:
        job.propagate_value()
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
        assert error.message == 'gone'
    else:
        raise AssertionError('no error raised')


if __name__ == '__main__':
    aiotap.main(globals())
