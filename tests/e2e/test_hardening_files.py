"""No path breaks a promise (issue 16): corrald never writes, rotates or
reads a log file through a symbolic link planted where the file should be,
refuses a log directory others could swap files in, and never deletes
anything but a dead socket at the path of a socket it binds (the control
socket, [unix_http_server] file, [socket:x] listen = unix:PATH).

Every file a test plants, and every "secret" it guards, is in the test's own
temp dir; the secret's content and mtime are compared before and after.
"""

import os
import socket
import stat

from harness import Corral, corrald_path, expect, expect_rc, prog, run, tagged_pids, \
    unix_rpc, wait_until

SECRET = "top secret, mode 0600\n"


def plant_secret(c):
    """A 0600 file outside the log dir, with an old mtime: (path, stat)."""
    path = c.path("secret")
    with open(path, "w") as f:
        f.write(SECRET)
    os.chmod(path, 0o600)
    os.utime(path, ns=(1_000_000_000 * 10**9, 1_000_000_000 * 10**9))
    return path, os.stat(path)


def expect_untouched(path, before, what):
    st = os.stat(path)
    with open(path) as f:
        text = f.read()
    expect(text == SECRET, "%s: the secret's content changed: %r" % (what, text[:200]))
    expect(st.st_mtime_ns == before.st_mtime_ns and st.st_size == before.st_size,
           "%s: the secret was written to (mtime %d -> %d, size %d -> %d)"
           % (what, before.st_mtime_ns, st.st_mtime_ns, before.st_size, st.st_size))


def expect_symlink(path, target, what):
    expect(os.path.islink(path) and os.readlink(path) == target,
           "%s: %s is no longer the symlink to %s" % (what, path, target))


def rpc_section():
    return "[unix_http_server]\nfile = @DIR@/sd.sock\n\n"


# ---------------------------------------------------------------- log files

def planted_log_symlink(name, mode):
    """A symlink p.out -> secret in a log dir of MODE: p's spawn fails with
    the reason in status and corrald's log; nothing reads or writes the
    secret, neither the log nor tail, readProcessStdoutLog, tailProcess..."""
    cfg = (rpc_section() +
           prog("p", "/bin/sh -c 'echo from-p-@TAG@; exec /bin/sleep 1000'",
                startsecs=0, startretries=0) +
           prog("q", "/bin/sh -c 'echo from-q-@TAG@; exec /bin/sleep 1000'", startsecs=0))
    with Corral(cfg, name=name, start=False) as c:
        os.chmod(c.logdir, mode)
        secret, before = plant_secret(c)
        os.symlink(secret, c.log("p"))
        c.start()
        # q, in the same directory, logs as usual: the directory is accepted.
        wait_until(lambda: "from-q-" + c.tag in (c.read(c.log("q")) or ""), 10,
                   "q's output in q.out")
        want = "%s is a symbolic link: not followed" % c.log("p")
        st = wait_until(lambda: (lambda s: s if s and s.get("spawnerr") else None)(c.state("p")),
                        10, "a spawn error for p")
        expect(want in st["spawnerr"], "p's spawn error does not say why: %r" % st["spawnerr"])
        expect(st["state"] in ("FATAL", "BACKOFF"), "p is %s with a spawn error" % st["state"])
        r = c.ctl("status", "p")
        expect(want in r.out, "corralctl status p does not show the error", r)
        expect(want in c.stderr_text(), "corrald's log does not name the symlink",
               c.stderr_tail())
        # Readers do not follow it either.
        r = c.ctl("tail", "p")
        expect(r.rc != 0 and "top secret" not in r.all and want in r.all,
               "corralctl tail of the planted symlink", r)
        s = unix_rpc(c.path("sd.sock"))
        for call in (lambda: s.supervisor.readProcessStdoutLog("p", 0, 0),
                     lambda: s.supervisor.tailProcessStdoutLog("p", 0, 1000)):
            try:
                got = call()
            except Exception as e:  # xmlrpc.client.Fault
                expect("top secret" not in str(e), "an XML-RPC fault quotes the secret: %s" % e)
            else:
                expect("top secret" not in str(got),
                       "XML-RPC read the secret through the symlink: %r" % (got,))
        expect_symlink(c.log("p"), secret, "after start")
        expect_untouched(secret, before, "p.out planted as a symlink")


def test_log_symlink_in_shared_dir_not_followed():
    planted_log_symlink("log_symlink_1777", 0o1777)


def test_log_symlink_in_root_dir_not_followed():
    planted_log_symlink("log_symlink_0755", 0o755)


def test_log_hard_link_in_shared_dir_refused():
    """A hard link p.out -> secret planted in a 1777 log dir (possible where
    the kernel's protected_hardlinks is off): refused like a symlink."""
    cfg = (prog("p", "/bin/sh -c 'echo from-p-@TAG@; exec /bin/sleep 1000'",
                startsecs=0, startretries=0) +
           prog("q", "/bin/sh -c 'echo from-q-@TAG@; exec /bin/sleep 1000'", startsecs=0))
    with Corral(cfg, name="log_hardlink", start=False) as c:
        os.chmod(c.logdir, 0o1777)
        secret, before = plant_secret(c)
        os.link(secret, c.log("p"))
        c.start()
        wait_until(lambda: "from-q-" + c.tag in (c.read(c.log("q")) or ""), 10,
                   "q's output in q.out")
        want = "%s has 2 hard links, in a directory others may write: refused" % c.log("p")
        st = wait_until(lambda: (lambda s: s if s and s.get("spawnerr") else None)(c.state("p")),
                        10, "a spawn error for p")
        expect(want in st["spawnerr"], "p's spawn error does not say why: %r" % st["spawnerr"])
        expect_untouched(secret, before, "p.out planted as a hard link")


def progress(c):
    """The count of lines p says it wrote (its progress file, rewritten by
    each line: empty for a moment)."""
    return int(wait_until(lambda: (c.read(c.path("progress")) or "").strip(), 10,
                          "p's progress file"))


def test_log_symlink_at_reopen_held_then_written():
    """p.out replaced by a symlink while p runs: `corralctl reopen` does not
    follow it; status says why while the output is held; once the symlink
    is gone, the held output goes to a new p.out, nothing lost."""
    cfg = prog("p", "/bin/sh -c 'i=0; while :; do i=$((i+1)); echo tick-$i; "
                    "echo $i > @DIR@/progress; sleep 0.05; done'", startsecs=0)
    with Corral(cfg, name="log_symlink_reopen", start=False) as c:
        os.chmod(c.logdir, 0o1777)
        secret, before = plant_secret(c)
        c.start()
        c.wait_state("p", "RUNNING")
        wait_until(lambda: "tick-3\n" in (c.read(c.log("p")) or ""), 10, "p writing its log")
        os.unlink(c.log("p"))
        os.symlink(secret, c.log("p"))
        expect_rc(c.ctl("reopen"), 0, "reopen")
        at = progress(c)
        want = "%s is a symbolic link: not followed" % c.log("p")
        wait_until(lambda: want in c.state("p")["info"], 10,
                   lambda: "status to show the log error (info %r)" % c.state("p")["info"])
        r = c.ctl("status", "p")
        expect(want in r.out, "corralctl status p does not show the log error", r)
        # p goes on writing (into its pipe, held by corrald)
        wait_until(lambda: progress(c) >= at + 10, 20,
                   "p to write ten more lines")
        expect(want in c.stderr_text(), "corrald's log does not name the symlink", c.stderr_tail())
        expect_symlink(c.log("p"), secret, "while held")
        expect_untouched(secret, before, "p.out replaced by a symlink before reopen")
        # The symlink goes: what was held is written to a new file.
        os.unlink(c.log("p"))
        wait_until(lambda: "tick-%d\n" % (at + 10) in (c.read(c.log("p")) or ""), 20,
                   "the held output in a new p.out")
        wait_until(lambda: not c.state("p")["info"], 10, "the error gone from status")
        expect(not os.path.islink(c.log("p")), "p.out is a symlink again")
        expect_untouched(secret, before, "after the symlink went")


def test_log_symlink_as_rotation_target_left_alone():
    """p.out.1 is a symlink when p.out is due for rotation: nothing is
    renamed onto it or followed; p.out goes on growing, status says why,
    and rotation resumes once the symlink is gone."""
    cfg = prog("p", "/bin/sh -c 'i=0; while :; do i=$((i+1)); "
                    "echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; sleep 0.02; done'",
               startsecs=0, stdout_logfile_maxbytes="1KB", stdout_logfile_backups=2)
    with Corral(cfg, name="log_symlink_rotate", start=False) as c:
        os.chmod(c.logdir, 0o1777)
        secret, before = plant_secret(c)
        backup = c.log("p") + ".1"
        os.symlink(secret, backup)
        c.start()
        c.wait_state("p", "RUNNING")
        want = "%s is a symbolic link: not followed, nothing rotated" % backup
        wait_until(lambda: want in c.state("p")["info"], 20,
                   lambda: "status to show the rotation error (info %r)" % c.state("p")["info"])
        wait_until(lambda: os.path.getsize(c.log("p")) > 3 * 1024, 20,
                   "p.out to grow past its maxbytes, unrotated")
        expect(want in c.stderr_text(), "corrald's log does not name the symlink", c.stderr_tail())
        expect(c.stderr_text().count(want) == 1,
               "the rotation error is logged more than once: %d times"
               % c.stderr_text().count(want))
        expect_symlink(backup, secret, "while p.out grows")
        expect(not os.path.exists(c.log("p") + ".2"), "the symlink was moved to p.out.2")
        expect_untouched(secret, before, "p.out.1 planted as a symlink")
        # Gone: the next line rotates.
        os.unlink(backup)
        wait_until(lambda: os.path.isfile(backup) and not os.path.islink(backup), 20,
                   "p.out rotated to a regular p.out.1")
        wait_until(lambda: not c.state("p")["info"], 10, "the error gone from status")
        expect(os.path.getsize(c.log("p")) < 3 * 1024, "p.out not started over after rotating")
        expect_untouched(secret, before, "after rotation resumed")


# ------------------------------------------------------- log directories

def refused_start(c, words):
    """corrald on C's config exits 1 before starting anything, saying WORDS."""
    c.start(wait=False)
    rc = c.wait_exit(20)
    err = c.stderr_text()
    expect(rc == 1, "corrald exited %s, not 1" % rc, c.stderr_tail())
    for w in words:
        expect(w in err, "corrald's error does not say %r" % w, c.stderr_tail())
    expect(not os.path.exists(c.path("ran")), "a program ran")
    expect(not os.path.exists(c.sock), "the control socket was left behind")
    expect(tagged_pids(c.tag) == [], "processes left after a refused start")


RAN = prog("p", "/bin/sh -c 'touch @DIR@/ran; exec /bin/sleep 1000'", startsecs=0)


def test_writable_log_dir_refused_at_start():
    """A log directory (or one above it) that users other than root and the
    program's user can write without the sticky bit stops corrald at start,
    naming it; --check, which does not look at the filesystem, passes."""
    for mode, who in ((0o777, "every user (mode 0777)"), (0o775, "its group (mode 0775)")):
        with Corral(RAN, name="logdir_%o" % mode, start=False) as c:
            os.chmod(c.logdir, mode)
            r = run([corrald_path(), "--check", "-c", c.conf], timeout=20, env=c.env())
            expect_rc(r, 0, "--check of a config with a writable logdir")
            refused_start(c, [c.logdir, "writable by %s without the sticky bit" % who])
    # A directory above the log directory counts: it could be swapped whole.
    with Corral(RAN, name="logdir_parent", start=False, logdir=None) as c:
        shared = c.path("shared")
        os.makedirs(os.path.join(shared, "log"))
        os.chmod(shared, 0o777)
        c.logdir = os.path.join(shared, "log")
        c.write_config(RAN)
        refused_start(c, ["%s is writable by every user" % shared])
    # So does the directory of a file named by stdout_logfile.
    with Corral(start=False, name="logfile_dir") as c:
        d = c.path("applogs")
        os.mkdir(d)
        os.chmod(d, 0o770)
        c.write_config(prog("p", "/bin/sh -c 'touch @DIR@/ran; exec /bin/sleep 1000'",
                            startsecs=0, stdout_logfile="@DIR@/applogs/p.log"))
        refused_start(c, ["stdout_logfile", "%s is writable by its group" % d])


def test_log_dir_owner():
    """A log directory owned by another user is refused, unless that is the
    program's own user (user = nobody)."""
    import pwd
    nobody = pwd.getpwnam("nobody")
    with Corral(RAN, name="logdir_owner", start=False) as c:
        os.chown(c.logdir, nobody.pw_uid, nobody.pw_gid)
        refused_start(c, [c.logdir, "owned by uid %d" % nobody.pw_uid])
    cfg = prog("p", "/bin/sh -c 'echo as-nobody-@TAG@; exec /bin/sleep 1000'",
               startsecs=0, user="nobody")
    with Corral(cfg, name="logdir_owner_ok", start=False) as c:
        os.chown(c.logdir, nobody.pw_uid, nobody.pw_gid)
        c.start()
        c.wait_state("p", "RUNNING")
        wait_until(lambda: "as-nobody-" + c.tag in (c.read(c.log("p")) or ""), 10,
                   "p's output in a log dir of its own user")


def test_writable_log_dir_refused_at_reload():
    """A reload to a config whose log directory is refused changes nothing."""
    cfg = prog("p", "/bin/sh -c 'echo run >> @DIR@/runs; exec /bin/sleep 1000'", startsecs=0)
    with Corral(cfg, name="logdir_reload") as c:
        pid = c.wait_state("p", "RUNNING")["pid"]
        bad = c.path("badlog")
        os.mkdir(bad)
        os.chmod(bad, 0o777)
        c.write_config(cfg + prog("n", "/bin/sh -c 'touch @DIR@/ran; exec /bin/sleep 1000'",
                                  startsecs=0, stdout_logfile="@DIR@/badlog/n.log"))
        r = c.ctl("reload")
        expect(r.rc != 0, "reload to a refused log directory succeeded", r)
        expect(bad in r.all and "without the sticky bit" in r.all,
               "reload's answer does not name the directory", r)
        expect(bad in c.stderr_text(), "corrald's log does not name the directory",
               c.stderr_tail())
        st = c.status()
        expect("n" not in st, "the new program was added")
        expect(st["p"]["pid"] == pid, "p was restarted by a refused reload")
        expect(not os.path.exists(c.path("ran")), "the new program ran")
        # Fixed: the reload goes through.
        os.chmod(bad, 0o1777)
        expect_rc(c.ctl("reload"), 0, "reload once the directory is sticky")
        c.wait_state("n", "RUNNING")


# ---------------------------------------------------------------- sockets

def plant(path, kind, c):
    """Put a KIND at PATH; returns a function checking it is unchanged."""
    if kind == "file":
        with open(path, "w") as f:
            f.write("precious\n")
        return lambda: open(path).read() == "precious\n" and not os.path.islink(path)
    if kind == "dir":
        os.mkdir(path)
        with open(os.path.join(path, "inside"), "w") as f:
            f.write("precious\n")
        return lambda: os.path.isdir(path) and not os.path.islink(path) and \
            open(os.path.join(path, "inside")).read() == "precious\n"
    if kind == "symlink":
        # to a stale socket: still not followed, not replaced
        target = c.path("target.sock")
        stale_socket(target)
        os.symlink(target, path)
        return lambda: os.path.islink(path) and os.readlink(path) == target and \
            stat.S_ISSOCK(os.lstat(target).st_mode)
    if kind == "fifo":
        os.mkfifo(path)
        return lambda: stat.S_ISFIFO(os.lstat(path).st_mode)
    raise ValueError(kind)


KINDS = (("file", "a regular file"), ("dir", "a directory"), ("symlink", "a symbolic link"),
         ("fifo", "a FIFO"))


def stale_socket(path):
    """A socket file nobody answers on, as a server that died leaves."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


def live_socket_kept(c, path):
    """A socket someone listens on at PATH: corrald exits 1, saying why,
    and the listener still gets connections there."""
    live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    live.bind(path)
    live.listen(4)
    live.settimeout(10)
    ino = os.lstat(path).st_ino
    try:
        c.start(wait=False)
        rc = c.wait_exit(20)
        expect(rc == 1, "a live socket at %s: corrald exited %s, not 1" % (path, rc),
               c.stderr_tail())
        expect("%s: something is listening there: not replaced" % path in c.stderr_text(),
               "the error does not say why", c.stderr_tail())
        expect(os.lstat(path).st_ino == ino, "the live socket was replaced")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(path)
        live.accept()[0].close()  # still the test's listener
        probe.close()
    finally:
        live.close()


def refused_socket_path(c, path, kind, said):
    """KIND planted at PATH, a socket path of C's config: corrald exits 1
    before starting anything, saying SAID, and PATH is left as it was."""
    same = plant(path, kind, c)
    c.start(wait=False)
    rc = c.wait_exit(20)
    expect(rc == 1, "%s at %s: corrald exited %s, not 1" % (kind, path, rc), c.stderr_tail())
    expect(said in c.stderr_text(), "the error does not say %r" % said, c.stderr_tail())
    expect(same(), "%s at %s was changed" % (kind, path))
    expect(not os.path.exists(c.path("ran")), "a program ran")


def test_control_socket_path_not_replaced():
    """Anything but a dead socket at the control socket path stops corrald
    (exit 1), named, untouched."""
    for kind, text in KINDS:
        with Corral(RAN, name="ctlsock_" + kind, start=False) as c:
            refused_socket_path(c, c.sock, kind,
                                "control socket %s: %s is there, not a socket" % (c.sock, text))


def test_control_socket_stale_replaced_live_kept():
    """A socket nobody answers on is replaced; a live corrald's is not."""
    with Corral(RAN, name="ctlsock_stale", start=False) as c:
        stale_socket(c.sock)
        c.start()
        c.wait_state("p", "RUNNING")
        expect(stat.S_ISSOCK(os.lstat(c.sock).st_mode), "no socket at the path")
        ino = os.lstat(c.sock).st_ino
        with Corral(start=False, name="ctlsock_live") as other:
            # The same config (socket), its own temp dir for the rest (the
            # harness's scope check goes by other.sock).
            other.conf = c.conf
            other.start(wait=False)
            expect(other.wait_exit(20) == 1, "a second corrald on a live socket did not exit 1",
                   other.stderr_tail())
            expect("another corrald is already listening on %s" % c.sock in other.stderr_text(),
                   "the second corrald does not say why", other.stderr_tail())
        expect(os.lstat(c.sock).st_ino == ino, "the live socket was replaced")
        expect_rc(c.ctl("status", "p"), 0, "the first corrald still answers")


def test_unix_http_server_file_not_replaced():
    """[unix_http_server] file: the same rule as the control socket."""
    for kind, text in KINDS:
        with Corral(rpc_section() + RAN, name="rpcsock_" + kind, start=False) as c:
            path = c.path("sd.sock")
            refused_socket_path(c, path, kind, "[unix_http_server] file %s: %s is there, "
                                               "not a socket" % (path, text))
    # a stale one is replaced; a live one is not
    with Corral(rpc_section() + RAN, name="rpcsock_stale", start=False) as c:
        path = c.path("sd.sock")
        stale_socket(path)
        c.start()
        expect(unix_rpc(path).supervisor.getState()["statename"] == "RUNNING",
               "XML-RPC over the replaced stale socket")
    with Corral(rpc_section() + RAN, name="rpcsock_live", start=False) as c:
        live_socket_kept(c, c.path("sd.sock"))


def test_socket_section_unix_path_not_replaced():
    """[socket:x] listen = unix:PATH: the same rule."""
    def cfg():
        return RAN + "[socket:s]\nlisten = unix:@DIR@/s.sock\nprogram = p\n\n"
    for kind, text in KINDS:
        with Corral(cfg(), name="actsock_" + kind, start=False) as c:
            path = c.path("s.sock")
            refused_socket_path(c, path, kind, "[socket:s] unix:%s: %s is there, not a socket"
                                % (path, text))
    with Corral(cfg(), name="actsock_stale", start=False) as c:
        path = c.path("s.sock")
        stale_socket(path)
        c.start()
        c.wait_state("p", "RUNNING")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(path)  # corrald's listener now
        probe.close()
    with Corral(cfg(), name="actsock_live", start=False) as c:
        live_socket_kept(c, c.path("s.sock"))


def test_notify_socket_path_not_replaced():
    """The sd_notify socket next to the control socket: a file there is left
    alone (ready = notify cannot work, and corrald says so)."""
    with Corral(RAN, name="notifysock", start=False) as c:
        path = c.sock + ".notify"
        same = plant(path, "file", c)
        c.start()
        c.wait_state("p", "RUNNING")
        expect("notify socket %s: a regular file is there, not a socket" % path
               in c.stderr_text(), "corrald does not say why", c.stderr_tail())
        expect(same(), "the file at the notify socket path was changed")
