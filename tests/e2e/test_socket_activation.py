"""Socket activation: [socket:NAME] sections, LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES,
sockets held across restarts, reload, and the errors. Loopback and temp dirs only."""

import json
import os
import socket
import stat
import threading
import time

from harness import (Corral, bound_socket, corrald_path, free_port, expect, expect_rc, note, prog, run,
                     wait_until)

# An echo server that takes its sockets the way a socket-activated daemon
# does: LISTEN_PID must be its own pid, then fds 3 .. 3+LISTEN_FDS-1. At
# start it appends what it was given to REPORT (one JSON line); it answers
# "PID LINE" to each line on a stream socket and to each datagram. On
# SIGTERM it finishes the connection in hand, then exits: what it has not
# accepted waits in the backlog for the next one. Given no sockets it exits
# 1, or with "idle" sleeps (so that a test can see it got none).
ECHO = r"""
import ctypes, json, os, select, signal, socket, stat, sys

report = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else ""
pid = os.getpid()
info = {"pid": pid, "LISTEN_PID": os.environ.get("LISTEN_PID"),
        "LISTEN_FDS": os.environ.get("LISTEN_FDS"),
        "LISTEN_FDNAMES": os.environ.get("LISTEN_FDNAMES")}
ok = info["LISTEN_PID"] == str(pid) and info["LISTEN_FDS"] is not None
n = int(info["LISTEN_FDS"]) if ok else 0
# Nothing else is open past the sockets: corrald hands over exactly these.
extra = []
for fd in range(3 + n, 256):
    try:
        os.fstat(fd)
        extra.append(fd)
    except OSError:
        pass
info["extra_open"] = extra
socks, fds = [], []
for fd in range(3, 3 + n):
    s = socket.socket(fileno=fd)
    socks.append(s)
    try:
        name = s.getsockname()
    except OSError as e:
        name = str(e)
    fds.append({"fd": fd, "family": int(s.family), "type": int(s.type),
                "name": name if isinstance(name, str) else list(name) if isinstance(name, tuple) else repr(name),
                "listening": s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN),
                "nonblocking": not s.getblocking()})
info["fds"] = fds
if mode == "libsystemd":
    # The reference client: libsystemd's own parser of the protocol.
    try:
        lib = ctypes.CDLL("libsystemd.so.0")
        names = ctypes.POINTER(ctypes.c_char_p)()
        got = lib.sd_listen_fds_with_names(0, ctypes.byref(names))
        info["sd_listen_fds"] = got
        info["sd_names"] = [names[i].decode() for i in range(max(got, 0))]
    except OSError as e:
        info["sd_listen_fds"] = "unavailable: %s" % e
with open(report, "a") as f:
    f.write(json.dumps(info) + "\n")
if not ok and mode == "idle":
    while True:
        signal.pause()
if not ok:
    sys.exit("LISTEN_PID=%r, LISTEN_FDS=%r: not for pid %d" % (info["LISTEN_PID"], info["LISTEN_FDS"], pid))

busy = stop = False
def on_term(sig, frame):
    global stop
    stop = True
    if not busy:
        raise SystemExit(0)
signal.signal(signal.SIGTERM, on_term)

def serve(s):
    if s.type == socket.SOCK_DGRAM:
        data, peer = s.recvfrom(65536)
        s.sendto(b"%d %s" % (pid, data), peer)
        return
    c, _ = s.accept()
    with c:
        c.settimeout(5)
        data = b""
        while not data.endswith(b"\n"):
            chunk = c.recv(4096)
            if not chunk:
                return
            data += chunk
        c.sendall(b"%d %s" % (pid, data))

while True:
    ready, _, _ = select.select(socks, [], [])
    for s in ready:
        busy = True
        try:
            serve(s)
        except (socket.timeout, ConnectionError):
            pass
        finally:
            busy = False
        if stop:
            sys.exit(0)
"""

SCRIPTS = {"echo.py": ECHO}


def reports(c, name="report"):
    text = c.read(c.path(name)) or ""
    # only the lines the writer has ended
    return [json.loads(l) for l in text[:text.rfind("\n") + 1].splitlines() if l.strip()]


def ask_tcp(port, line, timeout=10):
    """Send LINE, return the reply (raises on refusal or timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode()


def ask_unix(path, line, timeout=10):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode()


def ask_udp(port, line, timeout=5):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(line.encode(), ("127.0.0.1", port))
        return s.recvfrom(65536)[0].decode()


def test_socket_restarts_lose_no_client():
    """20 restarts while a client connects continuously: nothing refused, every reply."""
    port = free_port()
    cfg = ("[socket:echo]\nlisten = tcp:127.0.0.1:%d\nprogram = echo\n\n" % port
           + prog("echo", "@PY@ @DIR@/echo.py @DIR@/report", startsecs=0, stopwaitsecs=5))
    with Corral(cfg, scripts=SCRIPTS, name="sockrestart") as c:
        first = c.wait_state("echo", "RUNNING", 10)["pid"]
        wait_until(lambda: ask_tcp(port, "warm").startswith("%d " % first), 10, "the first echo reply")

        stats = {"sent": 0, "ok": 0, "refused": 0, "bad": [], "pids": []}
        done = threading.Event()

        def client():
            i = 0
            deadline = time.monotonic() + 50  # bounded whatever happens to the main thread
            while not done.is_set() and time.monotonic() < deadline:
                i += 1
                line = "hello %d" % i
                stats["sent"] += 1
                try:
                    reply = ask_tcp(port, line)
                except ConnectionRefusedError:
                    stats["refused"] += 1
                    continue
                except OSError as e:
                    stats["bad"].append("%s: %r" % (line, e))
                    continue
                pid, _, echoed = reply.rstrip("\n").partition(" ")
                if echoed != line:
                    stats["bad"].append("%s: got %r" % (line, reply))
                    continue
                stats["ok"] += 1
                if not stats["pids"] or stats["pids"][-1] != int(pid):
                    stats["pids"].append(int(pid))

        t = threading.Thread(target=client, daemon=True)
        t.start()
        restarts = 20
        try:
            for n in range(restarts):
                before = c.status()["echo"]["pid"]
                r = c.ctl("restart", "echo", timeout=20)
                expect_rc(r, 0, "restart %d" % (n + 1))
                now = c.wait_state("echo", "RUNNING", 10)["pid"]
                expect(now != before, "restart %d kept pid %d" % (n + 1, now))
                # Each generation serves the client before the next restart.
                wait_until(lambda: now in stats["pids"] or not t.is_alive(), 10,
                           lambda: "a reply from pid %d after restart %d (%s)" % (now, n + 1, stats))
            time.sleep(0.3)
        finally:
            done.set()
            t.join(15)
        expect(not t.is_alive(), "the client loop did not stop")
        expect(stats["refused"] == 0, "%d connections refused during restarts" % stats["refused"], stats)
        expect(not stats["bad"], "requests without their reply: %s" % stats["bad"][:5], stats)
        expect(stats["ok"] == stats["sent"], "%d sent, %d answered" % (stats["sent"], stats["ok"]))
        # (The first may have been stopped before the client's first request.)
        expect(len(set(stats["pids"])) >= restarts,
               "replies came from %d processes, expected %d" % (len(set(stats["pids"])), restarts),
               stats["pids"])
        note("%d requests over %d restarts, all answered by %d processes"
             % (stats["ok"], restarts, len(set(stats["pids"]))))
        # Every generation was given the socket the same way.
        reps = reports(c)
        expect(len(reps) == restarts + 1, "%d starts reported, expected %d" % (len(reps), restarts + 1))
        for rep in reps:
            expect(rep["LISTEN_PID"] == str(rep["pid"]) and rep["LISTEN_FDS"] == "1", "bad env", rep)


def test_socket_fds_env_and_names():
    """Two sections, three addresses: fds 3, 4, 5 in order, names, modes, and libsystemd agrees."""
    tport, uport = free_port(), free_port(socket.SOCK_DGRAM)
    cfg = ("[socket:web]\nlisten = tcp:127.0.0.1:%d unix:@DIR@/run/web.sock\nprogram = echo\n"
           "socket_mode = 0600\nbacklog = 64\naccept = false\n\n"
           "[socket:dns]\nlisten = udp:127.0.0.1:%d\nprogram = echo\n\n" % (tport, uport)
           + prog("echo", "@PY@ @DIR@/echo.py @DIR@/report libsystemd", startsecs=0)
           + prog("plain", "/bin/sh -c 'env > @DIR@/plain.env; exec sleep 1000'", startsecs=0))
    with Corral(cfg, scripts=SCRIPTS, name="sockfds") as c:
        pid = c.wait_state("echo", "RUNNING", 10)["pid"]
        rep = wait_until(lambda: reports(c), 10, "the echo server's report")[0]
        expect(rep["pid"] == pid, "the status pid %d is not the server's %d" % (pid, rep["pid"]), rep)
        expect(rep["LISTEN_PID"] == str(pid), "LISTEN_PID", rep)
        expect(rep["LISTEN_FDS"] == "3", "LISTEN_FDS", rep)
        expect(rep["LISTEN_FDNAMES"] == "web:web:dns", "LISTEN_FDNAMES", rep)
        fds = rep["fds"]
        expect([f["fd"] for f in fds] == [3, 4, 5], "fds", fds)
        expect(fds[0]["family"] == socket.AF_INET and fds[0]["type"] == socket.SOCK_STREAM
               and fds[0]["name"] == ["127.0.0.1", tport] and fds[0]["listening"] == 1, "fd 3", fds[0])
        sock_path = c.path("run", "web.sock")
        expect(fds[1]["family"] == socket.AF_UNIX and fds[1]["type"] == socket.SOCK_STREAM
               and fds[1]["name"] == sock_path and fds[1]["listening"] == 1, "fd 4", fds[1])
        expect(fds[2]["family"] == socket.AF_INET and fds[2]["type"] == socket.SOCK_DGRAM
               and fds[2]["name"] == ["127.0.0.1", uport], "fd 5", fds[2])
        expect(not any(f["nonblocking"] for f in fds), "sockets are passed blocking, as systemd does", fds)
        expect(rep["extra_open"] == [], "fds open past the sockets: %s" % rep["extra_open"])
        if isinstance(rep.get("sd_listen_fds"), int):
            expect(rep["sd_listen_fds"] == 3 and rep["sd_names"] == ["web", "web", "dns"],
                   "libsystemd's sd_listen_fds_with_names", rep)
        else:
            note("libsystemd not available: %s" % rep.get("sd_listen_fds"))

        st = os.stat(sock_path)
        expect(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
               "unix socket mode %o, expected 0600" % stat.S_IMODE(st.st_mode))
        expect(ask_tcp(tport, "over tcp") == "%d over tcp\n" % pid, "tcp echo")
        expect(ask_unix(sock_path, "over unix") == "%d over unix\n" % pid, "unix echo")
        expect(ask_udp(uport, "over udp") == "%d over udp" % pid, "udp echo")

        # A program without sockets gets none of it.
        env = wait_until(lambda: c.read(c.path("plain.env")), 10, "plain's environment")
        expect("LISTEN_" not in env, "a program without sockets got LISTEN_*", env)

        # Stopped, the socket still takes clients: they wait for the next start.
        expect_rc(c.ctl("stop", "echo"), 0, "stop")
        result = {}

        def late():
            try:
                result["reply"] = ask_unix(sock_path, "while stopped", timeout=15)
            except OSError as e:
                result["error"] = repr(e)
        t = threading.Thread(target=late, daemon=True)
        t.start()
        time.sleep(0.5)
        expect(t.is_alive(), "a client of a stopped program was not kept waiting", result)
        expect_rc(c.ctl("start", "echo"), 0, "start")
        t.join(15)
        pid2 = c.status()["echo"]["pid"]
        expect(result.get("reply") == "%d while stopped\n" % pid2,
               "the queued client was not served by the next start", result)
    # corrald removes the unix socket it made when it exits.
    expect(not os.path.exists(sock_path), "%s left behind" % sock_path)


def test_socket_config_errors():
    """Errors with FILE:LINE: unknown program, bad address, port out of range, accept."""
    with Corral(start=False, name="sockcheck") as c:
        text = ("[program:a]\ncommand = /bin/true\n\n"       # 1-3
                "[socket:one]\n"                              # 4
                "listen = tcp:127.0.0.1:99999\n"              # 5
                "program = a\n"                               # 6
                "[socket:two]\n"                              # 7
                "listen = tcp:localhost:80 udp:127.0.0.1:53\n"  # 8
                "program = a\n"                               # 9
                "[socket:three]\n"                            # 10
                "listen = unix:/tmp/x.sock\n"                 # 11
                "program = nosuch\n"                          # 12
                "accept = true\n")                            # 13
        c.write_config(text, raw=True)
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10, env=c.env())
        expect(r.rc == 2, "--check exit %s, expected 2" % r.rc, r)
        f = c.conf
        want = [
            "%s:5: [socket:one]: listen: 'tcp:127.0.0.1:99999': port out of range (expected 1 to 65535)" % f,
            "%s:8: [socket:two]: listen: 'tcp:localhost:80': bad host (expected a numeric IPv4 "
            "address, [IPv6 address] or *)" % f,
            "%s:12: [socket:three]: unknown program 'nosuch'" % f,
            "%s:13: [socket:three]: accept = true is not supported: the program is given the "
            "listening socket and accepts its own connections (accept = false)" % f,
        ]
        lines = r.err.splitlines()
        for w in want:
            expect(w in lines, "missing line %r" % w, r)
        # The same errors stop corrald at start, before anything is bound.
        port = free_port()
        c.write_config("[socket:s]\nlisten = tcp:127.0.0.1:%d\nprogram = nosuch\n" % port)
        c.start(wait=False)
        expect(c.wait_exit(10) == 2, "corrald with a bad [socket:] exited %s" % c.exit_code)
        expect("[socket:s]: unknown program 'nosuch'" in c.stderr_text(), c.stderr_tail())


def test_socket_bind_error_stops_corrald():
    """An address that cannot be bound at start: exit 1, said clearly, nothing started."""
    blocker = bound_socket()
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        cfg = ("[socket:web]\nlisten = tcp:127.0.0.1:%d\nprogram = web\n\n" % port
               + prog("web", "/bin/sh -c 'touch @DIR@/ran; exec sleep 1000'", startsecs=0)
               + prog("other", "/bin/sh -c 'touch @DIR@/other-ran; exec sleep 1000'", startsecs=0))
        with Corral(cfg, start=False, name="sockbind", expect_exit=1) as c:
            c.start(wait=False)
            expect(c.wait_exit(10) == 1, "corrald exited %s, expected 1" % c.exit_code)
            err = c.stderr_text()
            want = "[socket:web] tcp:127.0.0.1:%d: bind: Address already in use" % port
            expect(want in err, "stderr does not say %r" % want, c.stderr_tail())
            expect(not os.path.exists(c.path("ran")) and not os.path.exists(c.path("other-ran")),
                   "a program started although a socket could not be bound")
    finally:
        blocker.close()


def test_socket_reload():
    """Reload binds new sockets before anything changes, refuses what cannot be bound, closes what is gone."""
    port, port2 = free_port(), free_port()
    base = prog("echo", "@PY@ @DIR@/echo.py @DIR@/report idle", startsecs=0)
    one = "[socket:s]\nlisten = tcp:127.0.0.1:%d\nprogram = echo\n\n" % port
    with Corral(one + base, scripts=SCRIPTS, name="sockreload") as c:
        first = c.wait_state("echo", "RUNNING", 10)["pid"]
        expect(ask_tcp(port, "first") == "%d first\n" % first, "echo before any reload")

        # Unchanged sockets: the program is left alone.
        r = c.ctl("reload")
        expect_rc(r, 0, "reload with no change")
        expect("no changes" in r.out, "reload output", r)
        expect(c.status()["echo"]["pid"] == first, "an unchanged reload restarted echo")

        # An address that cannot be bound: the reload fails whole, nothing changes.
        blocker = bound_socket()
        blocker.listen(1)
        taken = blocker.getsockname()[1]
        try:
            c.write_config(one + "[socket:t]\nlisten = tcp:127.0.0.1:%d tcp:127.0.0.1:%d\n"
                           "program = echo\n\n" % (port2, taken) + base)
            r = c.ctl("reload")
            expect(r.rc != 0, "a reload with an address in use succeeded", r)
            expect("[socket:t] tcp:127.0.0.1:%d: bind: Address already in use" % taken in r.all,
                   "reload error", r)
        finally:
            blocker.close()
        expect(c.status()["echo"]["pid"] == first, "a failed reload restarted echo")
        try:
            socket.create_connection(("127.0.0.1", port2), timeout=2).close()
            expect(False, "the failed reload left port %d listening" % port2)
        except ConnectionRefusedError:
            pass
        expect(ask_tcp(port, "still") == "%d still\n" % first, "the old socket after a failed reload")

        # Added: bound, and the program restarted with fds 3 and 4; a client
        # of the kept socket waits through the restart.
        c.write_config(one + "[socket:t]\nlisten = unix:@DIR@/r.sock\nprogram = echo\n\n" + base)
        r = c.ctl("reload")
        expect_rc(r, 0, "reload adding a socket")
        expect("changed: echo" in r.out, "reload output", r)
        expect(os.path.exists(c.path("r.sock")), "r.sock not bound by the reload")
        reply = ask_tcp(port, "during")
        pid = wait_until(lambda: (c.status()["echo"]["state"] == "RUNNING"
                                  and c.status()["echo"]["pid"] not in (0, first)
                                  and c.status()["echo"]["pid"]), 10, "the new echo")
        expect(reply in ("%d during\n" % first, "%d during\n" % pid), "a reply across the reload", reply)
        expect(ask_unix(c.path("r.sock"), "unix") == "%d unix\n" % pid, "echo on the new socket")
        rep = reports(c)[-1]
        expect(rep["pid"] == pid and rep["LISTEN_FDNAMES"] == "s:t", "env after reload", rep)

        # Removed: closed, its path gone; the program restarts without sockets.
        # (The socket listens until the old process, which holds a copy, is gone.)
        c.write_config(base)
        r = c.ctl("reload")
        expect_rc(r, 0, "reload removing the sockets")
        expect(not os.path.exists(c.path("r.sock")), "r.sock left behind after its section was removed")
        wait_until(lambda: reports(c)[-1]["LISTEN_FDS"] is None, 10, "a start without sockets")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            expect(False, "port %d still listening after its section was removed" % port)
        except ConnectionRefusedError:
            pass
