"""corralctl exit statuses, socket selection and peer-credential checks."""

import os
import shutil
import stat

from harness import Corral, SLEEP, corralctl_path, expect, expect_rc, prog, run


def test_ctl_exit_codes():
    cfg = prog("web", SLEEP, startsecs=0) + prog("idle", SLEEP, autostart=False)
    with Corral(cfg, name="exit_codes") as c:
        c.wait_state("web", "RUNNING")
        r = c.ctl("status", "nosuch")
        expect_rc(r, 2, "status of an unknown name")
        expect("no such process: nosuch" in r.all, "unknown name message", r)
        expect_rc(c.ctl("stop", "nosuch"), 2, "stop of an unknown name")
        expect_rc(c.ctl("start", "nosuch"), 2, "start of an unknown name")
        expect_rc(c.ctl("status", "web", "nosuch"), 2, "status of a known and an unknown name")
        expect_rc(c.ctl("status", "idle"), 3, "status of a stopped process")
        expect_rc(c.ctl("status"), 3, "status of all with one stopped")
        expect_rc(c.ctl("status", "web"), 0, "status of a running process")

        r = c.ctl("frobnicate")
        expect_rc(r, 2, "unknown verb")
        expect(r.err.strip() != "", "unknown verb: no message on stderr", r)
        # Usage errors are found locally, before connecting.
        nosock = c.path("nodir", "no.sock")
        r = run([corralctl_path(), "-s", nosock, "frobnicate"])
        expect_rc(r, 2, "unknown verb without a daemon")
        r = run([corralctl_path(), "-s", c.sock])
        expect_rc(r, 2, "no verb")
        expect_rc(c.ctl("start"), 2, "start without arguments")
        expect_rc(c.ctl("stop"), 2, "stop without arguments")
        expect_rc(c.ctl("signal", "TERM"), 2, "signal without a process")

        r = run([corralctl_path(), "-s", nosock, "status"])
        expect_rc(r, 4, "no daemon")
        expect(nosock in r.err and "No such file or directory" in r.err,
               "connect error names the path and the reason", r)
        expect("cannot connect to %s" % nosock in r.err, "connect error wording", r)

        # A socket file nobody listens on: refused, still 4.
        import socket as so
        dead = c.path("dead.sock")
        s = so.socket(so.AF_UNIX, so.SOCK_STREAM)
        s.bind(dead)
        s.close()
        r = run([corralctl_path(), "-s", dead, "status"])
        expect_rc(r, 4, "socket with no listener")
        expect(dead in r.err, "refused connect names the path", r)


def test_ctl_socket_selection():
    cfg = prog("web", SLEEP, startsecs=0)
    with Corral(cfg, name="socksel") as c:
        c.wait_state("web", "RUNNING")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        r = run([corralctl_path(), "-c", c.conf, "status", "web"], env=env)
        expect_rc(r, 0, "corralctl -c CONFIG takes the socket from the config")
        r = run([corralctl_path(), "status", "web"], env=dict(env, CORRAL_SOCKET=c.sock))
        expect_rc(r, 0, "corralctl with $CORRAL_SOCKET")
        r = run([corralctl_path(), "-s", c.sock, "status", "web"],
                env=dict(env, CORRAL_SOCKET=c.path("nope.sock")))
        expect_rc(r, 0, "-s wins over $CORRAL_SOCKET")
        r = run([corralctl_path(), "-s", c.path("nope.sock"), "status"],
                env=dict(env, CORRAL_SOCKET=c.sock))
        expect_rc(r, 4, "-s wins over $CORRAL_SOCKET (bad -s)")
        # a config without socket= means the default path, not $CORRAL_SOCKET
        noconf = c.path("nosock.conf")
        with open(noconf, "w") as f:
            f.write("[program:x]\ncommand = /bin/true\n")
        r = run([corralctl_path(), "-c", noconf, "status"], env=dict(env, CORRAL_SOCKET=c.sock))
        if not os.path.exists("/run/corral/corral.sock"):
            expect(r.rc == 4 and "/run/corral/corral.sock" in r.err,
                   "-c CONFIG without socket= should use /run/corral/corral.sock", r)


def nobody_ctl(c, *args):
    """corralctl run as nobody, from a copy nobody can execute."""
    bindir = c.path("bin")
    dst = os.path.join(bindir, "corralctl")
    if not os.path.exists(dst):
        os.makedirs(bindir, exist_ok=True)
        os.chmod(bindir, 0o755)
        shutil.copy(corralctl_path(), dst)
        os.chmod(dst, 0o755)
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", dst, "-s", c.sock] + list(args)
    return run(argv, env={"PATH": "/usr/bin:/bin"})


def test_socket_refuses_other_uid():
    cfg = prog("web", SLEEP, startsecs=0)
    with Corral(cfg, name="peercred", socket_mode="0666") as c:
        pid = c.wait_state("web", "RUNNING")["pid"]
        mode = stat.S_IMODE(os.stat(c.sock).st_mode)
        expect(mode == 0o666, "socket_mode=0666 gave mode %o" % mode)
        r = nobody_ctl(c, "status")
        expect_rc(r, 4, "status as nobody on a 0666 socket")
        expect("permission denied" in r.err, "refusal message", r)
        expect("65534" in r.err, "refusal names the uid", r)
        r = nobody_ctl(c, "stop", "web")
        expect_rc(r, 4, "stop as nobody")
        st = c.status()["web"]
        expect(st["state"] == "RUNNING" and st["pid"] == pid, "nobody's stop was carried out", st)
        expect_rc(c.ctl("status"), 0, "root is still served")


def test_socket_default_mode():
    cfg = prog("web", SLEEP, startsecs=0)
    with Corral(cfg, name="sockmode") as c:
        c.wait_state("web", "RUNNING")
        mode = stat.S_IMODE(os.stat(c.sock).st_mode)
        expect(mode == 0o600, "default socket mode is %o, not 600" % mode)
        r = nobody_ctl(c, "status")
        expect_rc(r, 4, "status as nobody on a 0600 socket")
        expect("cannot connect" in r.err and "Permission denied" in r.err, "connect error", r)


def test_names_select_as_the_walk_did():
    """A name selects through corrald's indexes what a look at every
    program selects: a process's full name, a group's name or GROUP:*
    (every process of its programs), a program's own name when it is in no
    group, each process once, in list order; an unknown name is an error,
    a name whose processes an earlier name took is not."""
    cfg = (prog("web", SLEEP, numprocs=2, process_name="%(program_name)s_%(process_num)02d",
                startsecs=0) +
           prog("solo", SLEEP, startsecs=0) +
           prog("a", SLEEP, startsecs=0, priority=5) + prog("b", SLEEP, startsecs=0) +
           prog("x", SLEEP, startsecs=0, process_name="xname") +
           "[group:g]\nprograms = b, a\n")
    with Corral(cfg, name="ctl_select") as c:
        every = ["g:a", "g:b", "solo", "web:web_00", "web:web_01", "x:xname"]
        for n in every:
            c.wait_state(n, "RUNNING")

        def names(*words):
            r = c.ctl("status", *words)
            return r, [l.split()[0] for l in r.out.splitlines() if l.strip()]
        r, got = names()
        expect(got == every, "status: %s" % got)  # a's priority 5 puts it first
        want = [
            (("web",), ["web:web_00", "web:web_01"]),
            (("web:web_01",), ["web:web_01"]),
            (("web:*",), ["web:web_00", "web:web_01"]),
            (("g",), ["g:a", "g:b"]),
            (("g:*",), ["g:a", "g:b"]),
            (("g:b",), ["g:b"]),
            (("x",), ["x:xname"]),
            (("x:xname",), ["x:xname"]),
            (("solo",), ["solo"]),
            (("solo:*",), ["solo"]),
            # several words: in the order named, each process once, and a
            # word whose processes an earlier one named is no error
            (("x", "solo", "web:web_00", "solo", "g"), ["x:xname", "solo", "web:web_00", "g:a",
                                                         "g:b"]),
            (("all", "solo"), every),
        ]
        for words, expected in want:
            r, got = names(*words)
            expect(r.rc == 0 and got == expected, "status %s: rc %d, %s (want %s)"
                   % (" ".join(words), r.rc, got, expected))
        for bad in ("nope", "a", "g:nope", "web_00", "xname", "solo:solo", "nope:*"):
            r, got = names(bad)
            expect(r.rc != 0 and bad in r.err and not got,
                   "status %s: rc %d, %s, %r" % (bad, r.rc, got, r.err))
