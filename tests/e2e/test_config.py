"""corrald --check and start-up on bad configs."""

import os
import time

from harness import Corral, corrald_path, expect, prog, run, tagged_pids


def numbered(text):
    """{marker: line} for lines holding '#@NAME' markers (markers are removed)."""
    marks, out = {}, []
    for i, l in enumerate(text.splitlines(), 1):
        if "#@" in l:
            l, _, m = l.partition("#@")
            marks[m.strip()] = i
            l = l.rstrip()
        out.append(l)
    return "\n".join(out) + "\n", marks


def check(c, text):
    text, marks = numbered(text)
    c.write_config(text, raw=True)
    r = run([corrald_path(), "--check", "-c", c.conf], timeout=10, env=c.env())
    return r, marks


def has_line(r, prefix, *words):
    for l in r.err.splitlines():
        if l.startswith(prefix) and all(w in l for w in words):
            return True
    return False


def test_check_reports_each_error():
    with Corral(start=False, name="check") as c:
        f = c.conf
        r, m = check(c, "[program:x]\ncomand = /bin/true #@k\ncommand = /bin/true\n")
        expect(r.rc == 2, "--check of an unknown key exits %s, not 2" % r.rc, r)
        want = "%s:%d: [program:x]: unknown key 'comand'" % (f, m["k"])
        expect(want in r.err.splitlines(), "missing line %r" % want, r)

        r, m = check(c, "[program:x]\ncommand = /bin/true\nstartsecs = abc #@k\n")
        expect(r.rc == 2, "bad number: exit %s" % r.rc, r)
        expect(has_line(r, "%s:%d: [program:x]: " % (f, m["k"]), "startsecs"),
               "bad number message with FILE:LINE: [program:x]: and the key", r)

        r, m = check(c, "[program:x]\ncommand = /bin/true\nstopsignal = NOSUCH #@k\n")
        expect(r.rc == 2, "bad signal: exit %s" % r.rc, r)
        expect(has_line(r, "%s:%d: [program:x]: " % (f, m["k"]), "NOSUCH"),
               "bad signal message with FILE:LINE: [program:x]: and the name", r)

        r, m = check(c, "[program:x]\ncommand = /bin/true\n\n[program:x] #@s\ncommand = /bin/false #@k\n")
        expect(r.rc == 2, "duplicate section: exit %s" % r.rc, r)
        # The header's line; the first key's line is accepted too (inih reports no section lines).
        expect(has_line(r, "%s:%d: [program:x]: " % (f, m["s"]), "duplicate") or
               has_line(r, "%s:%d: [program:x]: " % (f, m["k"]), "duplicate"),
               "duplicate section message at line %d" % m["s"], r)

        r, m = check(c, "[program:y] #@s\nstartsecs = 1 #@k\n")
        expect(r.rc == 2, "missing command: exit %s" % r.rc, r)
        expect(has_line(r, "%s:%d: [program:y]: " % (f, m["s"]), "command") or
               has_line(r, "%s:%d: [program:y]: " % (f, m["k"]), "command"),
               "missing command message at line %d" % m["s"], r)

        # All at once: every error is printed.
        r, m = check(c, ("[corral]\nlogdir = @DIR@/log\n\n"
                         "[program:a]\ncomand = /bin/true #@a\ncommand = /bin/true\n\n"
                         "[program:b]\ncommand = /bin/true\nstartretries = many #@b\n\n"
                         "[program:c]\ncommand = /bin/true\nstopsignal = BOGUS #@c\n\n"
                         "[program:d] #@ds\nautostart = false #@d\n"))
        expect(r.rc == 2, "several errors: exit %s" % r.rc, r)
        expect("%s:%d: [program:a]: unknown key 'comand'" % (f, m["a"]) in r.err, "error a", r)
        expect(has_line(r, "%s:%d: [program:b]: " % (f, m["b"]), "startretries"), "error b", r)
        expect(has_line(r, "%s:%d: [program:c]: " % (f, m["c"]), "BOGUS"), "error c", r)
        expect(has_line(r, "%s:%d: [program:d]: " % (f, m["ds"]), "command") or
               has_line(r, "%s:%d: [program:d]: " % (f, m["d"]), "command"), "error d", r)


def test_check_valid_and_starts_nothing():
    cfg = prog("marker", "/bin/sh -c 'touch @DIR@/ran; exec /bin/sleep 1000'", startsecs=0)
    with Corral(cfg, start=False, name="check_ok") as c:
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10, env=c.env())
        expect(r.rc == 0, "--check of a valid config exits %s" % r.rc, r)
        expect("%s: ok" % c.conf in r.all, "--check prints 'FILE: ok'", r)
        time.sleep(0.3)
        expect(not os.path.exists(c.path("ran")), "--check started a program")
        expect(not os.path.exists(c.sock), "--check created the socket")
        expect(tagged_pids(c.tag) == [], "--check left processes")
        r = run([corrald_path(), "--check", "-c", c.path("missing.conf")], timeout=10, env=c.env())
        expect(r.rc == 2, "--check of a missing file exits %s, not 2" % r.rc, r)
        expect(c.path("missing.conf") in r.err, "missing file error names the file", r)


def test_bad_config_start_exits_2():
    cfg = (prog("marker", "/bin/sh -c 'touch @DIR@/ran; exec /bin/sleep 1000'", startsecs=0)
           + "[program:bad]\ncommand = /bin/true\nstartsecs = abc\n")
    with Corral(cfg, start=False, name="bad_start") as c:
        c.start(wait=False)
        rc = c.wait_exit(10)
        expect(rc == 2, "corrald on a bad config exited %s, not 2" % rc, c.stderr_tail())
        expect("%s:" % c.conf in c.stderr_text() and "[program:bad]" in c.stderr_text(),
               "the error with FILE:LINE on stderr", c.stderr_tail())
        time.sleep(0.3)
        expect(not os.path.exists(c.path("ran")), "corrald started a program from a bad config")
        expect(not os.path.exists(c.sock), "corrald left a socket after a config error")
        expect(tagged_pids(c.tag) == [], "processes left after a config error")


def test_second_instance_refused():
    cfg = prog("a", "/bin/sh -c 'echo x >> @DIR@/runs; exec /bin/sleep 1000'", startsecs=0)
    with Corral(cfg, name="second") as c:
        pid = c.wait_state("a", "RUNNING")["pid"]
        with Corral(start=False, name="second_b") as other:
            # Same config file (same socket), other tag.
            other.conf = c.conf
            other.start(wait=False)
            rc = other.wait_exit(10)
            expect(rc == 1, "a second corrald on a busy socket exited %s, not 1" % rc,
                   other.stderr_tail())
            time.sleep(0.3)
            expect(tagged_pids(other.tag) == [], "the second corrald started programs")
        expect(os.path.exists(c.sock), "the second corrald removed the first one's socket")
        r = c.ctl("status", "a")
        expect(r.rc == 0, "first corrald no longer answers after a second one tried", r)
        expect(c.status()["a"]["pid"] == pid, "first corrald's program changed")
        expect((c.read(c.path("runs")) or "").count("x") == 1, "program ran twice")
