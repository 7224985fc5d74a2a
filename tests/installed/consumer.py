"""Loads the installed typelib (and nothing from the build tree).

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import os

import gi

gi.require_version('Aio', '1.0')
from gi.repository import Aio  # noqa: E402

repository = gi.Repository.get_default()
typelib = repository.get_typelib_path('Aio')
print('typelib:', typelib)
job = Aio.Job.new(lambda job, cancellable: job.return_value('installed'))
assert Aio.run(job) == 'installed'
print('python consumer: installed')

if os.environ.get('AIO_EXPECT_OVERRIDE'):
    async def main():
        return await Aio.collect(Aio.in_thread(str.upper, text) for text in ('a', 'b'))

    assert Aio.run(main()) == ('A', 'B')
    print('python consumer: aioextensions API')
