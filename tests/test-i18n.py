"""Library messages reach Python translated (run with LANGUAGE=es or
LANGUAGE=fr; the suite runs it once per language).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os

import aiotap
from gi.repository import Aio, GLib, Gio

# The messages the tests expect, in each language the suite runs them in.
TRANSLATIONS = {
    'es': {
        'recursive_run_prefix': 'Se inició una ejecución',
        'cancelled_before_start': 'El trabajo se canceló antes de empezar.',
        'shut_down': 'Se apagó el AioThreadPool; inicialice el grupo de nuevo para volver a usarlo.',
    },
    'fr': {
        'recursive_run_prefix': 'Une exécution a été lancée',
        'cancelled_before_start': 'La tâche a été annulée avant de commencer.',
        'shut_down': 'AioThreadPool a été arrêté ; initialisez de nouveau le pool pour l’utiliser.',
    },
}
EXPECTED = TRANSLATIONS[os.environ['LANGUAGE']]


def run_again(job, cancellable):
    job.return_value(Aio.run(Aio.Job.new(run_again)))


def test_recursive_run_error_is_translated():
    try:
        Aio.run(Aio.Job.new(run_again))
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.RECURSIVE_RUN)
        assert error.message.startswith(EXPECTED['recursive_run_prefix']), error.message
    else:
        raise AssertionError('no error raised')


def test_cancelled_before_start_is_translated():
    job = Aio.Job.new(run_again)
    job.cancel()
    try:
        job.run_sync(None)
    except GLib.Error as error:
        assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
        assert error.message == EXPECTED['cancelled_before_start'], error.message
    else:
        raise AssertionError('no error raised')


def test_shut_down_pool_says_initialize_again():
    pool = Aio.ThreadPool.new(1)
    pool.shutdown(True)
    try:
        pool.create_job(lambda cancellable: (True, None)).run_sync(None)
    except GLib.Error as error:
        assert error.matches(Aio.error_quark(), Aio.Error.SHUT_DOWN)
        assert error.message == EXPECTED['shut_down'], error.message
    else:
        raise AssertionError('no error raised')


if __name__ == '__main__':
    aiotap.main(globals())
