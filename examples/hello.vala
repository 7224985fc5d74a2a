/* The main-loop core from Vala: an async method awaits a job.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

async string greet () throws Error {
    var job = new Aio.Job ((job, cancellable) => {
        Timeout.add (100, () => {
            Value greeting = "Hello, world!";
            job.return_value (greeting);
            return Source.REMOVE;
        });
    });
    Value? greeting = yield job.run (null);
    return greeting.get_string ();
}

int main () {
    var loop = new MainLoop ();
    int status = 0;
    greet.begin ((obj, res) => {
        try {
            print ("%s (%u CPU cores)\n", greet.end (res), Aio.get_cpu_cores ());
        } catch (Error e) {
            printerr ("%s\n", e.message);
            status = 1;
        }
        loop.quit ();
    });
    loop.run ();
    return status;
}
