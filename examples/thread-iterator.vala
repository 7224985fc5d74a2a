/* Read a file line by line on a worker thread with Aio.ThreadIterator.
 *
 * Each line comes from a blocking read that runs on the thread pool, one
 * step at a time, while the main loop stays free; the main loop counts the
 * lines and words with `yield iterator.next ()`. No thread is held between
 * two steps.
 *
 * Usage: thread-iterator-vala [FILE]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

async void count_words (Aio.ThreadIterator iterator, string path) throws Error {
    uint lines = 0, words = 0;
    Value? line;
    while ((line = yield iterator.next (null)) != null) {
        lines++;
        foreach (unowned string word in line.get_string ().split_set (" \t")) {
            if (word != "")
                words++;
        }
    }
    print ("%u lines, %u words in %s\n", lines, words, path);
}

int main (string[] args) {
    string path = args.length > 1 ? args[1] : "/etc/os-release";
    DataInputStream input;
    try {
        input = new DataInputStream (File.new_for_path (path).read ());
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }

    /* Runs on a worker thread: one blocking read per step. */
    var iterator = new Aio.ThreadIterator (null, (cancellable, sent, out item) => {
        item = Value (typeof (string));
        string? text = input.read_line_utf8 (null, cancellable);
        if (text == null)
            item.unset ();     /* an unset item is the end of the stream */
        else
            item.set_string (text);
        return true;
    });

    var loop = new MainLoop ();
    int status = 0;
    count_words.begin (iterator, path, (obj, res) => {
        try {
            count_words.end (res);
        } catch (Error e) {
            printerr ("%s\n", e.message);
            status = 1;
        }
        loop.quit ();
    });
    loop.run ();
    return status;
}
