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
    exec(code, module.__dict__)
    for value in list(module.__dict__.values()):
        if getattr(value, '__module__', None) == '__aio_main__':
            try:
                value.__module__ = '__main__'
            except (AttributeError, TypeError):
                pass
    sys.modules['__main__'] = module


def _python_call(arguments, cancellable):
    # An exception becomes the call's error through the override's
    # Aio.Worker.register().
    function, args = pickle.loads(arguments.get_data_as_bytes().get_data())
    result = function(*args)
    return GLib.Variant('ay', pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


def main():
    if len(sys.argv) > 1 and sys.argv[1]:
        _load_main_script(sys.argv[1])
    worker = Aio.Worker.new()
    worker.register('python-call', GLib.VariantType('ay'), _python_call)
    return worker.run()


if __name__ == '__main__':
    sys.exit(main())
