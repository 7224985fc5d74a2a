/* Library messages reach Vala translated (run with LANGUAGE=es).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

static void run_again (Aio.Job job, Cancellable? cancellable) {
    try {
        var inner = new Aio.Job (run_again);
        job.return_value (Aio.run (inner));
    } catch (Error e) {
        job.return_error ((owned) e);
    }
}

static void test_recursive_run_error_is_in_spanish () {
    try {
        Aio.run (new Aio.Job (run_again));
        assert_not_reached ();
    } catch (Aio.Error.RECURSIVE_RUN e) {
        assert (e.message.has_prefix ("Se llamó a aio_run()"));
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_cancelled_before_start_is_in_spanish () {
    var job = new Aio.Job (run_again);
    job.cancel ();
    try {
        job.run_sync ();
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
        assert (e.message == "El trabajo se canceló antes de empezar.");
    } catch (Error e) {
        assert_no_error (e);
    }
}

int main (string[] args) {
    Intl.setlocale (LocaleCategory.ALL, "");
    Test.init (ref args);
    Test.add_func ("/vala/i18n/recursive-run-error-is-in-spanish", test_recursive_run_error_is_in_spanish);
    Test.add_func ("/vala/i18n/cancelled-before-start-is-in-spanish", test_cancelled_before_start_is_in_spanish);
    return Test.run ();
}
