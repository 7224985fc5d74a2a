"""Semaphore- and rate-limited jobs fed to a collector, from Python.

SPDX-License-Identifier: LGPL-2.1-or-later
"""

import aiotap
from gi.repository import Aio, GLib


def test_semaphore_jobs_bound_a_collector():
    semaphore = Aio.Semaphore.new(2)
    load = {'running': 0, 'most': 0}

    def work(job, cancellable, value):
        load['running'] += 1
        load['most'] = max(load['most'], load['running'])

        def finish():
            load['running'] -= 1
            job.return_value(value)
            return GLib.SOURCE_REMOVE

        source = GLib.timeout_source_new(20)
        source.set_callback(lambda *_: finish())
        source.attach(GLib.MainContext.get_thread_default())

    jobs = [semaphore.create_job(1, Aio.Job.new(work, i)) for i in range(6)]
    collector = Aio.Collector.new_for_jobs(jobs, 6, 0, Aio.CollectorPolicy.FAIL_FAST)

    def collect(job, cancellable):
        def done(source, result):
            job.return_value([j.propagate_value() for j in source.collect_finish(result)])
        collector.collect_async(cancellable, done)

    assert Aio.run(Aio.Job.new(collect)) == list(range(6))
    assert load['most'] == 2


if __name__ == '__main__':
    aiotap.main(globals())
