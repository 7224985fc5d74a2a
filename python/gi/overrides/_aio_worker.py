# _aio_worker.py: the stock Python worker of Aio.in_process()
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Serves ``python-call`` to an Aio.ProcessPool: the arguments are a pickled
``(function, args)`` pair, the result is the pickled return value. Started as
``python3 -m gi.overrides._aio_worker [MAIN_SCRIPT]``; functions defined in
the caller's main script are found by loading that script as this process's
``__main__`` module without running its ``if __name__ == '__main__':`` block,
as multiprocessing's spawn mode does.
"""

import os
import pickle
import sys
import types

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio, GLib  # noqa: E402

_override = sys.modules['gi.overrides.Aio']


def _load_main_script(path):
    """Loads the caller's main script as this process's ``__main__``, under
    a name that keeps its ``if __name__ == '__main__':`` block from running,
    so that pickles of its functions and classes say ``__main__.name`` on
    both sides."""
    module = types.ModuleType('__aio_main__')
    module.__file__ = path
    # As for the script itself: its folder comes first on the path.
    sys.path.insert(0, os.path.dirname(path))
    with open(path, 'rb') as source:
        code = compile(source.read(), path, 'exec')
    _override._worker_loading_main = True
    try:
        exec(code, module.__dict__)
    finally:
        _override._worker_loading_main = False
    for value in list(module.__dict__.values()):
        if getattr(value, '__module__', None) == '__aio_main__':
            try:
                value.__module__ = '__main__'
            except (AttributeError, TypeError):
                pass
    sys.modules['__main__'] = module


def _python_call(arguments, cancellable):
    # An exception becomes the call's error, with its type, text and
    # traceback, through the override's Aio.Worker.register().
    function, args, kwargs = pickle.loads(arguments.get_data_as_bytes().get_data())
    result = function(*args, **kwargs)
    payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    return GLib.Variant.new_from_bytes(GLib.VariantType('ay'), GLib.Bytes.new(payload), True)


def _refuse(message):
    def refuse(arguments, cancellable):
        raise GLib.Error.new_literal(Aio.error_quark(), message, Aio.Error.FAILED)

    return refuse


def main():
    serve = _python_call
    if len(sys.argv) > 1 and sys.argv[1]:
        try:
            _load_main_script(sys.argv[1])
        except RuntimeError as error:
            # The script has no __main__ guard: say so to every caller
            # instead of dying, which would only read as a worker that
            # exited before it was ready.
            if str(error) != _override.UNGUARDED_MAIN:
                raise
            serve = _refuse(_override.UNGUARDED_MAIN)
    worker = Aio.Worker.new()
    worker.register('python-call', GLib.VariantType('ay'), serve)
    return worker.run()


if __name__ == '__main__':
    sys.exit(main())
