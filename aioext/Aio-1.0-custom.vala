/* Aio-1.0-custom.vala: what the VAPI adds to the GIR's view of aioext.
 *
 * A job owns its result, and a Vala temporary is freed at the end of its
 * statement: `print ((string) Aio.run (new Aio.Job (...)))` would read the
 * value of a job already freed. The blocking reads hand Vala an owned
 * copy instead, as g_task_propagate_value() does in GIO, so valac frees it
 * when the caller is done with it, and rejects
 * `unowned Value? v = Aio.run (new Aio.Job (...))` at compile time. The
 * C functions behind them stay reachable as *_borrowed (see
 * Aio-1.0.metadata). The async reads (`yield job.run ()`, `yield
 * run_job (...)`) cannot have a body here; the metadata finishes them with
 * C functions that return the copy.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

namespace Aio {
	[CCode (cname = "aio_vala_run")]
	public static GLib.Value? run (Aio.Job job) throws GLib.Error {
		unowned GLib.Value? value = Aio.run_borrowed (job);
		return value;
	}

	public sealed class Job : GLib.Object {
		[CCode (cname = "aio_vala_job_run_sync")]
		public GLib.Value? run_sync (GLib.Cancellable? cancellable = null) throws GLib.Error {
			unowned GLib.Value? value = this.run_sync_borrowed (cancellable);
			return value;
		}

		[CCode (cname = "aio_vala_job_propagate_value")]
		public GLib.Value? propagate_value () throws GLib.Error {
			unowned GLib.Value? value = this.propagate_value_borrowed ();
			return value;
		}
	}
}
