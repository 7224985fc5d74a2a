"""Library messages reach Python translated (run with LANGUAGE=es).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import aiotap
from gi.repository import Aio, GLib, Gio


def run_again(job, cancellable):
    job.return_value(Aio.run(Aio.Job.new(run_again)))


def test_recursive_run_error_is_in_spanish():
    try:
        Aio.run(Aio.Job.new(run_again))
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.RECURSIVE_RUN)
        assert error.message.startswith('Se llamó a aio_run()'), error.message
    else:
        raise AssertionError('no error raised')


def test_cancelled_before_start_is_in_spanish():
    job = Aio.Job.new(run_again)
    job.cancel()
    try:
        job.run_sync(None)
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
        assert error.message == 'El trabajo se canceló antes de empezar.', error.message
    else:
        raise AssertionError('no error raised')


if __name__ == '__main__':
    aiotap.main(globals())
