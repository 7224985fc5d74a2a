/* AioProcessPool from Vala; this program is its own worker.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

Variant? call_and_wait (Aio.ProcessPool pool, string function, Variant arguments) throws Error {
    var loop = new MainLoop ();
    Variant? result = null;
    Error? failure = null;
    pool.call.begin (function, arguments, null, (obj, res) => {
        try {
            result = pool.call.end (res);
        } catch (Error e) {
            failure = e;
        }
        loop.quit ();
    });
    loop.run ();
    if (failure != null)
        throw failure;
    return result;
}

void test_yield_call_and_errors () {
    var pool = new Aio.ProcessPool (1, null);
    try {
        assert (call_and_wait (pool, "add", new Variant ("(ii)", 40, 2)).get_int32 () == 42);
    } catch (Error e) {
        assert_not_reached ();
    }
    try {
        call_and_wait (pool, "fail", new Variant.boolean (true));
        assert_not_reached ();
    } catch (IOError.NOT_FOUND e) {
        assert (e.message == "no such file");
    } catch (Error e) {
        assert_not_reached ();
    }
    try {
        call_and_wait (pool, "die", new Variant.boolean (true));
        assert_not_reached ();
    } catch (Aio.Error.WORKER_DIED e) {
        assert ("status 3" in e.message);
    } catch (Error e) {
        assert_not_reached ();
    }
}

int main (string[] args) {
    var worker = new Aio.Worker ();
    worker.register ("add", new VariantType ("(ii)"), (arguments, cancellable) => {
        int32 a, b;
        arguments.get ("(ii)", out a, out b);
        return new Variant.int32 (a + b);
    });
    worker.register ("fail", null, (arguments, cancellable) => {
        throw new IOError.NOT_FOUND ("no such file");
    });
    worker.register ("die", null, (arguments, cancellable) => {
        Process.exit (3);
    });
    if (Aio.Worker.is_requested ())
        return worker.run ();

    Test.init (ref args);
    Test.add_func ("/vala/process-pool/call-and-errors", test_yield_call_and_errors);
    return Test.run ();
}
