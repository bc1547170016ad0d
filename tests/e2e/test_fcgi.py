"""[fcgi-program:x]: corrald listens, every process gets the socket as its stdin."""

import grp
import os
import pwd
import signal
import socket
import stat

from harness import Corral, corrald_path, expect, pid_alive, run, wait_until

from test_socket_activation import ask_tcp, ask_unix, free_port

# A FastCGI-style worker: accept()s on fd 0 and answers each connection
# with its pid.
WORKER = r"""
import os, socket
s = socket.socket(fileno=0)
while True:
    c, _ = s.accept()
    with c:
        c.recv(100)
        c.sendall(("%d\n" % os.getpid()).encode())
"""


def fcgi(name, sock, extra=""):
    return ("[fcgi-program:%s]\ncommand = @PY@ @DIR@/worker.py @TAG@\nsocket = %s\n"
            "numprocs = 2\nprocess_name = %%(program_name)s_%%(process_num)d\nstartsecs = 0\n"
            "%s\n" % (name, sock, extra))


def ask(family, addr):
    """The pid of the worker that answered."""
    if family == socket.AF_UNIX:
        return int(ask_unix(addr, "hi"))
    return int(ask_tcp(addr[1], "hi"))


def test_fcgi_tcp_numprocs_and_kill():
    port = free_port()
    with Corral(fcgi("f", "tcp://127.0.0.1:%d" % port), scripts={"worker.py": WORKER},
                name="fcgi_tcp") as c:
        pids = c.wait_running(["f:f_0", "f:f_1"])
        got = {ask(socket.AF_INET, ("127.0.0.1", port)) for _ in range(20)}
        expect(got <= set(pids.values()) and got, "answers from %r, workers %r" % (got, pids))
        r = c.ctl("pid", "f:f_0")
        victim = int(r.out.split()[0])
        expect(victim == pids["f:f_0"], "corralctl pid f:f_0 says %r" % r.out, r)
        os.kill(victim, signal.SIGKILL)
        # A worker dying in accept() can still take a connection with it (the
        # kernel dequeues before it looks at the signal): ask once it is dead.
        wait_until(lambda: not pid_alive(victim), 10, "the killed worker to die")
        # the socket is corrald's: clients are answered while f_0 restarts
        for _ in range(20):
            pid = ask(socket.AF_INET, ("127.0.0.1", port))
            expect(pid != victim, "answered by the killed worker")
        c.wait_state("f:f_0", "RUNNING")


def test_fcgi_unix_mode_owner_reload():
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name
    with Corral(scripts={"worker.py": WORKER}, name="fcgi_unix", start=False) as c:
        path = c.path("fcgi.sock")
        c.write_config(fcgi("u", "unix://" + path,
                            "socket_mode = 0660\nsocket_owner = nobody:%s\n" % group) +
                       "[program:other]\ncommand = /bin/sleep 1000 @TAG@\n")
        c.start()
        c.wait_running(["u:u_0", "u:u_1"])
        st = os.stat(path)
        expect(stat.S_ISSOCK(st.st_mode), "%s is not a socket" % path)
        expect(stat.S_IMODE(st.st_mode) == 0o660, "mode %o, not 0660" % stat.S_IMODE(st.st_mode))
        expect(st.st_uid == nobody.pw_uid and st.st_gid == nobody.pw_gid,
               "owner %d:%d, not nobody" % (st.st_uid, st.st_gid))
        ask(socket.AF_UNIX, path)
        # held across restarts: the same socket file
        r = c.ctl("restart", "u:*")
        expect(r.rc == 0, "restart u:*", r)
        expect(os.stat(path).st_ino == st.st_ino, "the socket was made anew by a restart")
        ask(socket.AF_UNIX, path)
        # removed by a reload: closed, its path gone
        c.write_config("[program:other]\ncommand = /bin/sleep 1000 @TAG@\n")
        r = c.ctl("reload")
        expect(r.rc == 0, "reload", r)
        wait_until(lambda: not os.path.exists(path), 10, "%s removed after reload" % path)
        expect("u:u_0" not in c.status(), "u still there after reload")


def test_fcgi_bad_values():
    with Corral(start=False, name="fcgi_bad") as c:
        text = c.write_config(
            "[fcgi-program:a]\ncommand = /bin/cat\nsocket = http://127.0.0.1:80\n\n"
            "[fcgi-program:b]\ncommand = /bin/cat\nsocket = tcp://127.0.0.1:8080\n"
            "socket_mode = 0600\n\n"
            "[fcgi-program:c]\ncommand = /bin/cat\n\n"
            "[fcgi-program:d]\ncommand = /bin/cat\nsocket = unix:///tmp/x.sock\n"
            "socket_backlog = 0\nsocket_owner = no-such-user-here\n\n"
            "[fcgi-program:e]\ncommand = /bin/cat\nsocket = tcp://127.0.0.1:99999\n\n"
            "[fcgi-program:f]\ncommand = /bin/cat\nsocket = tcp://127.0.0.1:8080\n")
        lines = text.split("\n")

        def at(s):
            return lines.index(s) + 1
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10)
        expect(r.rc == 2, "bad fcgi values exit %s, not 2" % r.rc, r)
        errs = r.err.splitlines()
        for want in ("%s:%d: [fcgi-program:a]: bad value for socket: 'http://127.0.0.1:80' "
                     "(expected tcp://HOST:PORT or unix:///PATH)"
                     % (c.conf, at("socket = http://127.0.0.1:80")),
                     "%s:%d: [fcgi-program:b]: socket_owner and socket_mode are for unix:// "
                     "sockets only" % (c.conf, at("[fcgi-program:b]")),
                     "%s:%d: [fcgi-program:c]: missing socket" % (c.conf, at("[fcgi-program:c]")),
                     "%s:%d: [fcgi-program:f]: socket tcp:127.0.0.1:8080 is already "
                     "[fcgi-program:b]'s" % (c.conf, at("[fcgi-program:f]"))):
            expect(want in errs, "missing %r" % want, r)
        for prefix in ("%s:%d: [fcgi-program:d]: bad value for socket_backlog"
                       % (c.conf, at("socket_backlog = 0")),
                       "%s:%d: [fcgi-program:d]: bad value for socket_owner"
                       % (c.conf, at("socket_owner = no-such-user-here")),
                       "%s:%d: [fcgi-program:e]: socket: " % (c.conf,
                                                             at("socket = tcp://127.0.0.1:99999"))):
            expect(any(l.startswith(prefix) for l in errs), "missing %r" % prefix, r)


def test_fcgi_in_a_supervisord_config_gets_its_socket_as_stdin():
    """In a supervisord config every other process gets a stdin pipe (as
    supervisord gives one); an [fcgi-program:]'s stdin is still its socket."""
    from harness import proc_cmdline
    port = free_port()
    with Corral(start=False, scripts={"worker.py": WORKER}, name="fcgi_sd") as c:
        c.write_config("[supervisord]\nnodaemon = true\nchildlogdir = @LOG@\n"
                       "socket = @DIR@/run/corral.sock\n\n"
                       + fcgi("f", "tcp://127.0.0.1:%d" % port), raw=True)
        c.start()
        pids = c.wait_running(["f:f_0", "f:f_1"])
        for pid in pids.values():
            wait_until(lambda pid=pid: "worker.py" in proc_cmdline(pid), 20, "the exec")
            fd0 = os.readlink("/proc/%d/fd/0" % pid)
            expect(fd0.startswith("socket:"), "stdin of an fcgi process: %s" % fd0)
        got = ask(socket.AF_INET, ("127.0.0.1", port))
        expect(got in pids.values(), "a worker answered on its stdin socket", got, pids)
