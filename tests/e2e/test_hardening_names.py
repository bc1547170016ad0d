"""Names and config files that must not break corrald's promises: a name
that is a path component of its own ('.', '..') or a cgroup file's name
never becomes a cgroup or a log file outside corrald's own."""

import os
import re
import signal
import subprocess

from harness import (Corral, corralctl_path, corrald_path, expect, expect_rc, prog, run,
                     scope_dir, tagged_pids, wait_until)
from test_config import numbered

MARKER = "/bin/sh -c 'touch @DIR@/ran; exec /bin/sleep 1000'"
OTHER_SCOPE = re.compile(r"corral-[0-9a-f]{16}$")

# (what, config text with #@at on the line the error is reported at, the
# section named in the message, words the message holds). Each also has an
# ordinary program that would leave a mark if anything were started.
HOSTILE = [
    ("[program:..]", "[program:..] #@at\ncommand = %s\n" % MARKER, "program:..",
     ("bad program name '..'",)),
    ("[program:.]", "[program:.] #@at\ncommand = %s\n" % MARKER, "program:.",
     ("bad program name '.'",)),
    ("[group:..]", "[group:..] #@at\nprograms = ok\n", "group:..", ("bad group name '..'",)),
    ("[pool:..]", "[pool:..] #@at\ncommand = %s\nworkers = 1\n" % MARKER, "pool:..",
     ("bad program name '..'",)),
    ("[socket:..]", "[socket:..] #@at\nlisten = unix:@DIR@/s.sock\nprogram = ok\n", "socket:..",
     ("bad socket name '..'",)),
    ("[eventlistener:..]", "[eventlistener:..] #@at\ncommand = %s\nevents = TICK_5\n" % MARKER,
     "eventlistener:..", ("bad program name '..'",)),
    ("[fcgi-program:..]", "[fcgi-program:..] #@at\ncommand = %s\nsocket = unix://@DIR@/f.sock\n"
     % MARKER, "fcgi-program:..", ("bad program name '..'",)),
    ("process_name = %(program_name)s/..",
     "[program:pn] #@at\ncommand = %s\nprocess_name = %%(program_name)s/..\n" % MARKER,
     "program:pn", ("bad process name 'pn/..'",)),
    ("process_name = %(ENV_CORRAL_E2E_DOTS)s",
     "[program:env] #@at\ncommand = %s\nprocess_name = %%(ENV_CORRAL_E2E_DOTS)s\n" % MARKER,
     "program:env", ("bad process name '..'",)),
    ("[program:cgroup.procs]", "[program:cgroup.procs] #@at\ncommand = %s\n" % MARKER,
     "program:cgroup.procs", ("bad program name 'cgroup.procs'", "kernel's files")),
]

ENV = {"CORRAL_E2E_DOTS": ".."}


def cgroup_parent(c):
    """The directory corrald makes its scope in, or None without cgroup v2."""
    d = scope_dir(c.sock)
    parent = d and os.path.dirname(d)
    return parent if parent and os.path.isdir(parent) else None


def entries(parent):
    """What PARENT holds, less other corralds' scopes (tests running beside
    this one make and remove those)."""
    return {e for e in os.listdir(parent) if not OTHER_SCOPE.match(e)} if parent else set()


def tree(top):
    out = set()
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(root, n), top))
    return out


def test_hostile_names_refused():
    for what, text, section, words in HOSTILE:
        config = prog("ok", "/bin/sleep 1000") + text
        with Corral(start=False, name="hostile", env=ENV) as c:
            body, marks = numbered(c.subst(config))
            c.write_config(body)
            r = run([corrald_path(), "--check", "-c", c.conf], timeout=30, env=c.env(ENV))
            expect(r.rc == 2, "%s: --check exited %s, not 2" % (what, r.rc), r)
            # the [corral] header comes first
            at = "%s:%d: [%s]: " % (c.conf, marks["at"] + len(c.header().splitlines()), section)
            expect(any(l.startswith(at) and all(w in l for w in words)
                       for l in r.err.splitlines()),
                   "%s: no line %r... saying %s" % (what, at, " / ".join(words)), r)

            parent = cgroup_parent(c)
            before = entries(parent)
            files_before = tree(c.tmp)
            c.start(wait=False)
            rc = c.wait_exit(30)
            expect(rc == 2, "%s: corrald exited %s, not 2" % (what, rc), c.stderr_tail())
            expect(at in c.stderr_text(), "%s: corrald says why" % what, c.stderr_tail())
            expect(not os.path.exists(c.path("ran")), "%s: a program was started" % what)
            expect(tagged_pids(c.tag) == [], "%s: processes were left" % what)
            expect(entries(parent) == before, "%s: corrald's cgroup parent changed: %s"
                   % (what, entries(parent) ^ before))
            expect(not os.path.exists(scope_dir(c.sock) or "/nonexistent"),
                   "%s: a scope was made" % what)
            made = tree(c.tmp) - files_before - {"corrald.stderr"}
            expect(not made, "%s: corrald made %s" % (what, sorted(made)))


def test_run_scope_name_refused():
    with Corral(prog("idle", "/bin/sleep 1000", startsecs=0), name="run_names") as c:
        parent = cgroup_parent(c)
        before = entries(parent)
        for name in ("..", ".", "cgroup.kill", "a/b"):
            r = run([corralctl_path(), "-s", c.sock, "run", "--scope", name, "--",
                     "/bin/sh", "-c", "touch %s" % c.path("ran")], timeout=30)
            expect_rc(r, 1, "run --scope %r" % name)
            expect("bad name '%s'" % name in r.err, "run --scope %r says why" % name, r)
            expect(not os.path.exists(c.path("ran")), "run --scope %r ran its command" % name)
        expect(entries(parent) == before, "corrald's cgroup parent changed: %s"
               % (entries(parent) ^ before))
        expect(set(c.status()) == {"idle"}, "only idle is left", c.status())


def test_reload_keeps_a_run_scope_name():
    # A `corralctl run` scope is a cgroup named after it: a program of that
    # name added by a reload would be started in it, and killed with it.
    idle = prog("idle", "/bin/sleep 1000", startsecs=0)
    with Corral(idle, name="run_reload") as c:
        p = subprocess.Popen([corralctl_path(), "-s", c.sock, "run", "--scope", "web", "--",
                              "/bin/sleep", "1000"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: c.status().get("web", {}).get("state") == "RUNNING", 20,
                       "the run scope web to run")
            pid = c.status()["web"]["pid"]
            c.write_config(idle + prog("web", MARKER, startsecs=0))
            r = c.ctl("reload")
            expect(r.rc != 0, "reload with a program named like a running run scope", r)
            expect("web is the name of a running `corralctl run` scope" in r.all, "says why", r)
            expect(c.status()["web"]["pid"] == pid, "the run scope was touched", c.status())
            expect(not os.path.exists(c.path("ran")), "the program was started")
            p.send_signal(signal.SIGINT)
            rc = p.wait(30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        expect(rc == 130, "Ctrl-C status 130, got %s" % rc)
        wait_until(lambda: "web" not in c.status(), 20, "the run scope to go")
        r = c.ctl("reload")
        expect_rc(r, 0, "reload once the run has ended")
        wait_until(lambda: os.path.exists(c.path("ran")), 20, "the program web to start")
