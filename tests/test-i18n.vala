/* Library messages reach Vala translated (run with LANGUAGE=es or
 * LANGUAGE=fr; the suite runs it once per language).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The messages the tests expect, in each language the suite runs them in. */
struct Translation {
    string language;
    string recursive_run_prefix;
    string cancelled_before_start;
}

const Translation[] TRANSLATIONS = {
    { "es", "Se inició una ejecución", "El trabajo se canceló antes de empezar." },
    { "fr", "Une exécution a été lancée", "La tâche a été annulée avant de commencer." },
};

static Translation expected_translation () {
    var language = Environment.get_variable ("LANGUAGE");
    foreach (var translation in TRANSLATIONS) {
        if (translation.language == language)
            return translation;
    }
    error ("LANGUAGE must be one of the tested languages, not “%s”", language ?? "(unset)");
}

static void run_again (Aio.Job job, Cancellable? cancellable) {
    try {
        var inner = new Aio.Job (run_again);
        job.return_value (Aio.run (inner));
    } catch (Error e) {
        job.return_error ((owned) e);
    }
}

static void test_recursive_run_error_is_translated () {
    try {
        Aio.run (new Aio.Job (run_again));
        assert_not_reached ();
    } catch (Aio.Error.RECURSIVE_RUN e) {
        assert (e.message.has_prefix (expected_translation ().recursive_run_prefix));
    } catch (Error e) {
        assert_no_error (e);
    }
}

static void test_cancelled_before_start_is_translated () {
    var job = new Aio.Job (run_again);
    job.cancel ();
    try {
        job.run_sync ();
        assert_not_reached ();
    } catch (IOError.CANCELLED e) {
        assert (e.message == expected_translation ().cancelled_before_start);
    } catch (Error e) {
        assert_no_error (e);
    }
}

int main (string[] args) {
    Intl.setlocale (LocaleCategory.ALL, "");
    Test.init (ref args);
    Test.add_func ("/vala/i18n/recursive-run-error-is-translated", test_recursive_run_error_is_translated);
    Test.add_func ("/vala/i18n/cancelled-before-start-is-translated", test_cancelled_before_start_is_translated);
    return Test.run ();
}
