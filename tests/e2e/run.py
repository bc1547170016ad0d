#!/usr/bin/python3
"""Run corral's end-to-end tests.

    run.py [-j N] [-t SECONDS] [NAME...]

Runs every test_* function of tests/e2e/test_*.py (or only the NAMEs given,
e.g. `run.py test_stop`), each with a timeout, and prints `ok NAME` or
`FAIL NAME: reason` per test and finally `e2e: N passed, N failed`.
Exit status 1 when any test failed (or none ran). With -j N, up to N tests
run at once, each in its own python process.
"""

import importlib
import inspect
import os
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source tree clean

import harness  # noqa: E402

DEFAULT_TIMEOUT = 120


class TestTimeout(Exception):
    pass


def discover():
    tests = []
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        mod = importlib.import_module(fn[:-3])
        funcs = [(f.__code__.co_firstlineno, n, f) for n, f in vars(mod).items()
                 if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == mod.__name__]
        tests += [(n, f) for _, n, f in sorted(funcs)]
    return tests


def on_alarm(signum, frame):
    raise TestTimeout("test timed out")


def cleanup_live():
    for c in list(harness.LIVE):
        try:
            c.teardown()
        except Exception as e:  # keep going: the other instances still need it
            print("    cleanup of %s failed: %s" % (c.tmp, e), flush=True)


def run_one(name, func, timeout):
    """Run one test in this process. Returns (ok, reason, details)."""
    del harness.NOTES[:]
    t0 = time.monotonic()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, getattr(func, "timeout", timeout))
    ok, reason, details = True, "", ""
    try:
        func()
    except TestTimeout:
        ok, reason = False, "timed out after %ss" % getattr(func, "timeout", timeout)
        details = traceback.format_exc(limit=-3)
    except AssertionError as e:
        msg = str(e) or "assertion failed"
        first, _, rest = msg.partition("\n")
        ok, reason, details = False, first, rest
        tb = traceback.extract_tb(e.__traceback__)
        here = [f for f in tb if f.filename.startswith(HERE) and "harness" not in f.filename]
        if here:
            details = "at %s:%d\n" % (os.path.basename(here[-1].filename), here[-1].lineno) + details
    except Exception as e:
        ok, reason = False, "%s: %s" % (type(e).__name__, e)
        details = traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        leftovers = list(harness.LIVE)
        cleanup_live()
        if leftovers and ok:
            # A Corral not torn down by its test: teardown problems count.
            probs = [p for c in leftovers for p in c.problems]
            if probs:
                ok, reason = False, "; ".join(probs)
    return ok, reason, details, time.monotonic() - t0


def report(name, ok, reason, details, elapsed, notes, verbose):
    if ok:
        print("ok %s" % name + (" (%.1fs)" % elapsed if verbose else ""), flush=True)
    else:
        print("FAIL %s: %s" % (name, reason), flush=True)
        for line in details.strip("\n").splitlines()[-40:]:
            print("    " + line)
    for n in notes:
        print("    note: " + n)
    sys.stdout.flush()


# What a test must never change on the machine it runs on (its files go in
# its own temp dirs, its sockets and logs too): these paths, each present or
# not as before the suite, and the hostname.
MACHINE_PATHS = ("/run/corral", "/var/log/corral", "/etc/corral", "/var/lib/corral",
                 "/tmp/corral-demo",
                 "/tmp/corral-init-demo", "/tmp/corral-pool-demo", "/etc/supervisord.conf")


def machine_state():
    import socket
    return tuple(os.path.lexists(p) for p in MACHINE_PATHS) + (socket.gethostname(),)


def machine_changes(before, after):
    out = ["%s %s" % (p, "appeared" if a else "disappeared")
           for p, b, a in zip(MACHINE_PATHS, before, after) if a != b]
    if before[-1] != after[-1]:
        out.append("the hostname became %r" % after[-1])
    return out


def main(argv):
    args = argv[1:]
    jobs, timeout, verbose, child = 1, DEFAULT_TIMEOUT, False, False
    names = []
    while args:
        a = args.pop(0)
        if a == "-j":
            jobs = int(args.pop(0))
        elif a.startswith("-j") and a[2:].isdigit():
            jobs = int(a[2:])
        elif a == "-t":
            timeout = float(args.pop(0))
        elif a == "-v":
            verbose = True
        elif a == "--child":
            child = True
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            names.append(a)

    for p in (harness.corrald_path(), harness.corralctl_path()):
        if not os.access(p, os.X_OK):
            print("FAIL setup: %s is missing (build first, or set CORRAL_BUILD)" % p)
            print("e2e: 0 passed, 1 failed")
            return 1

    tests = discover()
    if names:
        known = dict(tests)
        missing = [n for n in names if n not in known]
        if missing:
            print("unknown test(s): %s" % ", ".join(missing), file=sys.stderr)
            print("e2e: 0 passed, %d failed" % len(missing))
            return 1
        tests = [(n, known[n]) for n in names]

    def terminate(signum, frame):
        cleanup_live()
        sys.exit(130)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)

    if child:
        # One test, result as the last line for the parent.
        name, func = tests[0]
        ok, reason, details, elapsed = run_one(name, func, timeout)
        report(name, ok, reason, details, elapsed, harness.NOTES, verbose)
        return 0 if ok else 1

    passed = failed = 0
    t_all = time.monotonic()
    machine = machine_state()

    def machine_check(names):
        """After a test (or, with -j, one of those running): nothing of the
        machine changed. A change fails the suite, naming the tests."""
        nonlocal machine
        now = machine_state()
        changes = machine_changes(machine, now)
        if changes:
            print("FAIL %s changed the machine: %s" % (" or ".join(names), "; ".join(changes)),
                  flush=True)
            machine = now
            return 1
        return 0
    if jobs <= 1:
        for name, func in tests:
            ok, reason, details, elapsed = run_one(name, func, timeout)
            report(name, ok, reason, details, elapsed, harness.NOTES, verbose)
            passed += ok
            failed += not ok
            failed += machine_check([name])
    else:
        pending = list(tests)
        running = {}
        while pending or running:
            while pending and len(running) < jobs:
                name, func = pending.pop(0)
                p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", "-t",
                                      str(timeout)] + (["-v"] if verbose else []) + [name], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
                running[p.pid] = (name, p, time.monotonic())
            time.sleep(0.05)
            for pid, (name, p, t0) in list(running.items()):
                if p.poll() is None:
                    lim = getattr(dict(tests)[name], "timeout", timeout) + 60
                    if time.monotonic() - t0 < lim:
                        continue
                    p.kill()  # by its PID; its teardown did not run, say so
                    p.wait()
                    out = p.stdout.read()
                    print("FAIL %s: runner process hung (killed after %ss)" % (name, lim))
                    failed += 1
                else:
                    out = p.stdout.read()
                    sys.stdout.write(out)
                    if p.returncode == 0:
                        passed += 1
                    else:
                        if not any(l.startswith("FAIL ") for l in out.splitlines()):
                            print("FAIL %s: test process exited %s" % (name, p.returncode))
                        failed += 1
                sys.stdout.flush()
                del running[pid]
                failed += machine_check([name] + [n for n, _, _ in running.values()])
    if verbose:
        print("# %.1fs" % (time.monotonic() - t_all))
    print("e2e: %d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
