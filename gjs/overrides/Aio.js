// GJS override for Aio: every way a JavaScript job function can fail
// completes its job with an error, so that whoever waits for the job sees
// the failure instead of waiting for ever. GJS only logs an exception that
// escapes a callback without a GError, and a rejected promise nobody
// handles; here each becomes the job's error:
//  - a throw from the function of Aio.Job.new() or Aio.Job.new_fallible(),
//  - a rejection of the promise an async job function returns,
//  - job.return_error() given a JavaScript exception instead of a GLib.Error,
//  - job.return_value() given a value GObject cannot hold (undefined).
// Outside JavaScript the error is Aio.Error.FAILED with the exception's
// "Name: message" (a GLib.Error keeps its own domain, code and message);
// JavaScript code that reads the outcome gets the exception itself back.
//
// A function of an Aio.Worker (a worker process of an Aio.ProcessPool) that
// throws fails its call with Aio.Error.FAILED, "Name: message", a blank line
// and the exception's stack: the caller is in another process and cannot
// see the stack otherwise (a Python worker sends its traceback the same way).
//
// GJS loads this file for `import Aio from 'gi://Aio'` from any
// `overrides` folder on its search path: $(datadir)/gjs-1.0 once
// installed, GJS_PATH in the build tree.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

const {GLib} = imports.gi;

// Jobs whose outcome has been handed over, so that a failure after it is
// only logged: a second outcome would be a bug of the job's function.
const returnedJobs = new WeakSet();
// The JavaScript exception behind a job's Aio.Error.FAILED, to give back to
// JavaScript readers as itself.
const exceptions = new WeakMap();

function _init() {
    const Aio = this;
    const Job = Aio.Job;
    const {return_value: returnValue, return_error: returnError,
        return_error_literal: returnErrorLiteral} = Job.prototype;

    function toGError(exception, withStack = false) {
        if (exception instanceof GLib.Error)
            return exception;
        let message = exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
        const stack = withStack && exception instanceof Error && typeof exception.stack === 'string'
            ? exception.stack.trimEnd() : '';
        if (stack !== '')
            message += `\n\n${stack}`;
        return new GLib.Error(Aio.Error, Aio.Error.FAILED, message);
    }

    function fail(job, exception) {
        if (returnedJobs.has(job)) {
            logError(exception, 'A job function failed after it had completed its job');
            return;
        }
        if (!(exception instanceof GLib.Error))
            exceptions.set(job, exception);
        returnedJobs.add(job);
        returnError.call(job, toGError(exception));
    }

    // Gives JavaScript readers the exception a job failed with.
    function rethrowOriginal(job, error) {
        const exception = exceptions.get(job);
        if (exception !== undefined && error instanceof GLib.Error && error.matches(Aio.Error, Aio.Error.FAILED))
            throw exception;
        throw error;
    }

    // A throw (also one of a new_fallible function) and the rejection of
    // the promise an async function returns both fail the job.
    function guard(func) {
        if (typeof func !== 'function')
            return func;  // GJS reports it at the call
        return (job, cancellable) => {
            let result;
            try {
                result = func(job, cancellable);
            } catch (exception) {
                fail(job, exception);
                return;
            }
            if (result !== null && typeof result === 'object' && typeof result.then === 'function')
                result.then(undefined, exception => fail(job, exception));
        };
    }

    const newJob = Job.new;
    const newFallible = Job.new_fallible;
    Job.new = func => newJob.call(Job, guard(func));
    Job.new_fallible = func => newFallible.call(Job, guard(func));

    Job.prototype.return_value = function (value) {
        if (value === undefined) {
            fail(this, new TypeError('return_value() was given undefined; give null for a job without a result'));
            return;
        }
        try {
            returnValue.call(this, value);
        } catch (exception) {
            // GObject cannot hold the value: the job fails instead.
            fail(this, exception);
            return;
        }
        returnedJobs.add(this);
    };
    Job.prototype.return_error = function (error) {
        fail(this, error);
    };
    Job.prototype.return_error_literal = function (...args) {
        returnedJobs.add(this);
        returnErrorLiteral.call(this, ...args);
    };

    for (const name of ['propagate_value', 'run_finish', 'run_sync']) {
        const read = Job.prototype[name];
        Job.prototype[name] = function (...args) {
            try {
                return read.call(this, ...args);
            } catch (error) {
                return rethrowOriginal(this, error);
            }
        };
    }
    // A worker function's exception crosses to the pool's process with its
    // stack (GJS would send the message only, in a domain of its own).
    const register = Aio.Worker.prototype.register;
    Aio.Worker.prototype.register = function (name, argumentType, func) {
        if (typeof func !== 'function')
            return register.call(this, name, argumentType, func);  // GJS reports it
        return register.call(this, name, argumentType, (...args) => {
            try {
                return func(...args);
            } catch (exception) {
                throw toGError(exception, true);
            }
        });
    };

    const run = Aio.run;
    Aio.run = job => {
        try {
            return run(job);
        } catch (error) {
            return rethrowOriginal(job, error);
        }
    };
}
