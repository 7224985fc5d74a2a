/* AioJob and Aio.run from Vala.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

static void test_run_returns_value () {
    var job = new Aio.Job ((job, cancellable) => {
        Value v = 42;
        job.return_value (v);
    });
    try {
        unowned Value? result = Aio.run (job);
        assert (result.get_int () == 42);
    } catch (Error e) {
        assert_no_error (e);
    }
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/job/run-returns-value", test_run_returns_value);
    return Test.run ();
}
