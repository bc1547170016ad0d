"""Names and config files that must not break corrald's promises: a name
that is a path component of its own ('.', '..') or a cgroup file's name
never becomes a cgroup or a log file outside corrald's own, and a config
"file" that never ends, blocks or is huge never keeps --check reading."""

import os
import re
import signal
import stat
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


def test_pidfile_is_written_as_a_new_file():
    # corrald writes PIDFILE.new, then renames it: whatever is at that name
    # is replaced, never opened (a FIFO would block start-up, a symlink
    # would have corrald write over what it points to).
    idle = prog("idle", "/bin/sleep 1000", startsecs=0)
    for kind in ("fifo", "symlink"):
        with Corral(idle, start=False, name="pidfile_" + kind, pidfile="@DIR@/run/corrald.pid") as c:
            pf = c.path("run", "corrald.pid")
            victim = c.path("victim")
            with open(victim, "w") as f:
                f.write("precious\n")
            if kind == "fifo":
                os.mkfifo(pf + ".new")
            else:
                os.symlink(victim, pf + ".new")
            c.start(wait=False)
            c.wait_ready(30)
            expect((c.read(pf) or "").strip() == str(c.pid), "%s: the pidfile holds %r"
                   % (kind, c.read(pf)))
            expect(not os.path.lexists(pf + ".new"), "%s: %s.new is left" % (kind, pf))
            expect(c.read(victim) == "precious\n", "%s: the symlink's target was written" % kind)


def check(c, text):
    """--check on TEXT (after the [corral] header): its result and the
    line of each #@marker in the file as written."""
    body, marks = numbered(c.subst(text))
    c.write_config(body)
    head = len(c.header().splitlines())
    return (run([corrald_path(), "--check", "-c", c.conf], timeout=60, env=c.env()),
            {k: v + head for k, v in marks.items()})


def test_include_of_an_endless_file():
    # /proc/self/pagemap is a "regular file" whose reading never ends: the
    # run's timeout is what would catch a reader that does not stop.
    with Corral(start=False, name="pagemap") as c:
        r, m = check(c, prog("a", "/bin/true") + "[include]\nfiles = /proc/self/pagemap #@inc\n")
        expect(r.rc == 2, "--check exited %s, not 2" % r.rc, r)
        want = ("%s:%d: [include]: cannot read /proc/self/pagemap: not a regular file on a "
                "real file system (proc)" % (c.conf, m["inc"]))
        expect(want in r.err.splitlines(), "missing %r" % want, r)
        r = run([corrald_path(), "--check", "-c", "/proc/self/pagemap"], timeout=60)
        expect(r.rc == 2, "--check of /proc/self/pagemap itself exited %s" % r.rc, r)
        expect("/proc/self/pagemap: not a regular file on a real file system (proc)" in r.err,
               "says why", r)


def test_fifo_never_blocks_the_reader():
    with Corral(start=False, name="fifo") as c:
        os.makedirs(c.path("conf.d"))
        with open(c.path("conf.d", "a.conf"), "w") as f:
            f.write(prog("a", "/bin/true"))
        fifo = c.path("conf.d", "b.conf")
        os.mkfifo(fifo)
        os.mkdir(c.path("conf.d", "c.conf"))
        r, m = check(c, "[include]\nfiles = conf.d/*.conf #@inc\n")
        expect(r.rc == 2, "--check exited %s, not 2" % r.rc, r)
        at = "%s:%d: [include]: " % (c.conf, m["inc"])
        expect(at + "cannot open %s: not a regular file" % fifo in r.err.splitlines(),
               "the FIFO is named at its [include]", r)
        expect(at + "cannot open %s: Is a directory" % c.path("conf.d", "c.conf")
               in r.err.splitlines(), "the directory is named at its [include]", r)
        # The main file a FIFO: no writer ever comes.
        r = run([corrald_path(), "--check", "-c", fifo], timeout=60)
        expect(r.rc == 2, "--check of a FIFO exited %s" % r.rc, r)
        expect("cannot open %s: not a regular file" % fifo in r.err, "says why", r)
        expect(stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO is still there")


def test_config_size_bounds():
    with Corral(start=False, name="big") as c:
        big = c.path("big.conf")
        with open(big, "w") as f:
            f.write(prog("a", "/bin/true"))
            f.write(("#" * 63 + "\n") * (4 << 20 >> 6))  # 4 MiB and the program: too big
        r = run([corrald_path(), "--check", "-c", big], timeout=60)
        expect(r.rc == 2, "--check of a 4 MiB + file exited %s" % r.rc, r)
        expect("cannot read %s: larger than 4 MiB, the most one config file may hold" % big
               in r.err, "the bound is named", r)
        # Under the bound per file, over it together.
        os.makedirs(c.path("part"))
        for i in range(5):
            with open(c.path("part", "%d.conf" % i), "w") as f:
                f.write(("#" * 63 + "\n") * ((7 << 20) // 2 >> 6))
        r, m = check(c, prog("a", "/bin/true") + "[include]\nfiles = part/*.conf #@inc\n")
        expect(r.rc == 2, "--check of 17.5 MiB of includes exited %s" % r.rc, r)
        want = ("%s:%d: [include]: cannot read %s: the config files together are larger than "
                "16 MiB, the most they may hold" % (c.conf, m["inc"], c.path("part", "4.conf")))
        expect(want in r.err.splitlines(), "missing %r" % want, r)
        # At the bounds, all is read.
        for i in range(4):
            os.unlink(c.path("part", "%d.conf" % (i + 1)))
        r, m = check(c, prog("a", "/bin/true") + "[include]\nfiles = part/*.conf\n")
        expect(r.rc == 0, "--check of 3.5 MiB of includes exited %s" % r.rc, r)
