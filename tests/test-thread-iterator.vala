/* AioThreadIterator from Vala: close, and the producer's cleanup on a
 * worker thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Captured by the producer: it is freed with the producer's data, and
 * notes on which thread. */
class Probe : Object {
    public static unowned Thread<void*>? main_thread;
    public static int freed_on_worker;

    ~Probe () {
        AtomicInt.set (ref freed_on_worker, Thread.self<void*> () != main_thread ? 1 : 2);
    }
}

static Aio.ThreadIterator count_to (int limit) {
    var probe = new Probe ();
    int next = 0;
    return new Aio.ThreadIterator (null, (cancellable, sent, out item) => {
        assert (probe != null);
        item = Value (typeof (int));
        if (next == limit) {
            item.unset ();
            return true;
        }
        item.set_int (next++);
        return true;
    });
}

static void iterate_until (owned SourceFunc done) {
    while (!done ())
        MainContext.default ().iteration (true);
}

static async void close_after_one_item (Aio.ThreadIterator iterator) {
    try {
        Value? item = yield iterator.next (null);
        assert (item.get_int () == 0);
        assert (yield iterator.close ());
        assert (iterator.is_finished ());
        assert ((yield iterator.next (null)) == null);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_close_cleans_up_on_a_worker () {
    AtomicInt.set (ref Probe.freed_on_worker, 0);
    var iterator = count_to (10);
    bool done = false;
    close_after_one_item.begin (iterator, (obj, res) => {
        close_after_one_item.end (res);
        done = true;
    });
    iterate_until (() => done);
    assert (AtomicInt.get (ref Probe.freed_on_worker) == 1);
}

static async void take_one_item (Aio.ThreadIterator iterator) {
    try {
        Value? item = yield iterator.next (null);
        assert (item.get_int () == 0);
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_dropped_iterator_cleans_up_on_a_worker () {
    AtomicInt.set (ref Probe.freed_on_worker, 0);
    bool done = false;
    {
        var iterator = count_to (10);
        take_one_item.begin (iterator, (obj, res) => {
            take_one_item.end (res);
            done = true;
        });
        iterate_until (() => done);
    }
    iterate_until (() => AtomicInt.get (ref Probe.freed_on_worker) != 0);
    assert (AtomicInt.get (ref Probe.freed_on_worker) == 1);
}

int main (string[] args) {
    Test.init (ref args);
    Probe.main_thread = Thread.self<void*> ();
    Test.add_func ("/vala/thread-iterator/close/cleans-up-on-a-worker", test_close_cleans_up_on_a_worker);
    Test.add_func ("/vala/thread-iterator/dropped/cleans-up-on-a-worker", test_dropped_iterator_cleans_up_on_a_worker);
    return Test.run ();
}
