/* A worker process written in Vala, driven by tests/test-worker-languages.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

int main () {
    var worker = new Aio.Worker ();
    worker.register ("add", new VariantType ("(ii)"), (args, cancellable) => {
        int32 a, b;
        args.get ("(ii)", out a, out b);
        return new Variant.int32 (a + b);
    });
    worker.register ("fail", null, (args, cancellable) => {
        throw new IOError.NOT_FOUND ("no such file");
    });
    worker.register ("crash", null, (args, cancellable) => {
        throw new Aio.Error.FAILED ("a Vala error");
    });
    return worker.run ();
}
