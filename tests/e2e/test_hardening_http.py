"""Clients without credentials hold nothing: on an HTTP server that asks for
a username and password, a 401 closes the connection (keep-alive or not), a
connection that has not made a request with the right credentials within
10 s is closed, and when every client slot is taken the ones that have not
authenticated make room first; each refusal is counted in corrald's log."""

import base64
import re
import socket
import threading
import time

from harness import (Corral, expect, free_port, raw_connect, recv_until_eof, run, unix_rpc,
                     wait_until)

SUPERVISORCTL = "/usr/bin/supervisorctl"
PROGS = "[program:one]\ncommand = /bin/sh -c 'exec /bin/sleep 1000' @TAG@\nstartsecs = 0\n"


def config(port, unix_auth=True):
    return (("[unix_http_server]\nfile = @DIR@/sd.sock\n"
             + ("username = alice\npassword = s3cret\n" if unix_auth else "") + "\n"
             "[inet_http_server]\nport = 127.0.0.1:%d\nusername = bob\npassword = pw2\n\n"
             "[supervisord]\nchildlogdir = @LOG@\nsocket = @DIR@/run/corral.sock\n\n" % port)
            + PROGS)


def started(name, unix_auth=True):
    c = Corral(start=False, name=name)
    port = free_port()
    c.write_config(config(port, unix_auth), raw=True)
    return c, port


def request(auth, keepalive=True):
    body = (b"<?xml version='1.0'?><methodCall><methodName>supervisor.getPID</methodName>"
            b"<params></params></methodCall>")
    head = b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
    if auth:
        head += b"Authorization: Basic " + base64.b64encode(auth.encode()) + b"\r\n"
    head += b"Connection: keep-alive\r\n" if keepalive else b""
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def tcp(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def refused_count(c):
    counts = [int(n) for n in re.findall(r"\((\d+) refused so far\)", c.stderr_text())]
    return max(counts) if counts else 0


def test_401_closes_the_connection():
    c, port = started("http401")
    with c:
        c.start()
        c.wait_running(["one"])
        for auth in ("bob:wrong", None, "alice:s3cret"):   # alice is the unix server's
            s = tcp(port)
            s.sendall(request(auth, keepalive=True))
            data, took = recv_until_eof(s, 20)
            s.close()
            expect(data.startswith(b"HTTP/1.1 401"), "%s: answered %r" % (auth, data[:60]))
            expect(b"Connection: close" in data, "%s: the 401 does not say it closes" % auth, data)
        # The right credentials still get kept-alive answers on one connection.
        s = tcp(port)
        for _ in range(3):
            s.sendall(request("bob:pw2"))
            got = s.recv(65536)
            expect(got.startswith(b"HTTP/1.1 200") and b"Connection: close" not in got,
                   "a kept-alive call with the right credentials", got[:200])
        s.close()
        wait_until(lambda: refused_count(c) >= 3, 10,
                   lambda: "three refusals counted in the log:\n" + c.stderr_tail())


def test_no_credentials_within_10s_closes():
    c, port = started("httpauthtime")
    with c:
        c.start()
        c.wait_running(["one"])
        before = refused_count(c)
        silent = tcp(port, timeout=60)
        partial = tcp(port, timeout=60)
        partial.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n")   # and never the rest
        t0 = time.monotonic()
        for s in (silent, partial):
            data, _ = recv_until_eof(s, 40)
            s.close()
            expect(b"200 OK" not in data, "an unauthenticated client was answered", data)
        took = time.monotonic() - t0
        # Closed by the 10 s bound, not by the 30 s bound on a request's arrival.
        expect(took < 29, "unauthenticated connections stayed %.1f s" % took)
        wait_until(lambda: refused_count(c) >= before + 2, 10,
                   lambda: "the two closings counted:\n" + c.stderr_tail())
        expect("made no request with the right credentials within 10 s" in c.stderr_text(),
               "the log says why they were closed", c.stderr_tail())
test_no_credentials_within_10s_closes.timeout = 120


def test_unauthenticated_clients_make_room():
    """128 connections that never authenticate cannot lock supervisorctl out."""
    c, port = started("httpslots", unix_auth=False)
    with c:
        c.start()
        c.wait_running(["one"])
        held = []
        try:
            for _ in range(140):
                s = tcp(port, timeout=60)
                s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Len")   # slowloris
                held.append(s)
            url = "http://127.0.0.1:%d" % port
            r = run([SUPERVISORCTL, "-s", url, "-u", "bob", "-p", "pw2", "status", "one"],
                    timeout=60)
            expect(r.rc == 0 and "RUNNING" in r.out,
                   "supervisorctl while 140 unauthenticated clients hold connections", r)
            expect("closing one that has not authenticated" in c.stderr_text(),
                   "the log says an unauthenticated client made room", c.stderr_tail())
        finally:
            for s in held:
                s.close()


def test_server_without_credentials_keeps_idle_clients():
    """Where no password is asked (the unix socket here), an idle kept-alive
    connection stays, as supervisorctl's shell keeps one."""
    c, port = started("httpidle", unix_auth=False)
    with c:
        c.start()
        c.wait_running(["one"])
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(c.path("sd.sock"))
        s.sendall(request(None))
        expect(s.recv(65536).startswith(b"HTTP/1.1 200"), "the first call")
        # Longer than the 10 s given to authenticate on a server that asks.
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            time.sleep(0.5)
        s.sendall(request(None))
        got = s.recv(65536)
        s.close()
        expect(got.startswith(b"HTTP/1.1 200"), "the idle connection was kept: %r" % got[:80])
test_server_without_credentials_keeps_idle_clients.timeout = 120


def test_pipelined_requests_answered_in_turn():
    """A client that pipelines tens of thousands of requests, reading nothing
    at first, gets every answer in turn and corrald stays up: an answer
    written at once does not parse the next request from inside the last
    (that recursion ran out of stack and took corrald down)."""
    c, port = started("httppipe", unix_auth=False)
    with c:
        c.start()
        c.wait_running(["one"])
        req = b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
        s = raw_connect(c.path("sd.sock"), timeout=60)
        s.sendall(req)
        one = s.recv(65536)
        expect(one.startswith(b"HTTP/1.1 404"), "a 404 kept alive", one)
        n = 60000
        got = [0]

        def reader():
            time.sleep(1)   # let corrald's input buffer fill first
            try:
                while got[0] < n * len(one):
                    b = s.recv(1 << 20)
                    if not b:
                        break
                    got[0] += len(b)
            except OSError:
                pass
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        try:
            s.sendall(req * n)
        except OSError:
            pass
        t.join(90)
        s.close()
        expect(got[0] == n * len(one), "%d answers of %d bytes: got %d bytes"
               % (n, len(one), got[0]), c.stderr_tail())
        pid = unix_rpc(c.path("sd.sock")).supervisor.getPID()
        expect(pid > 0, "corrald answers after the pipelined requests")
test_pipelined_requests_answered_in_turn.timeout = 180


def test_404_closes_when_the_request_asks():
    """A 404 keeps a kept-alive connection; one whose request said it would
    not stay (HTTP/1.0 without keep-alive, Connection: close) is closed
    after it, as its Connection: close header says."""
    c, port = started("http404", unix_auth=False)
    with c:
        c.start()
        c.wait_running(["one"])
        for req in (b"GET /nothing HTTP/1.0\r\n\r\n",
                    b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
            s = raw_connect(c.path("sd.sock"), timeout=10)
            s.sendall(req)
            data, _ = recv_until_eof(s, 10)
            s.close()
            expect(data.startswith(b"HTTP/1.1 404") and b"Connection: close" in data,
                   "answered %r" % data[:120])
        s = raw_connect(c.path("sd.sock"), timeout=10)
        for _ in range(2):
            s.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
            got = s.recv(65536)
            expect(got.startswith(b"HTTP/1.1 404") and b"Connection: close" not in got,
                   "a kept-alive 404", got)
        s.close()


def test_loopback_server_without_credentials_is_warned_about():
    """An [inet_http_server] on loopback without username and password lets
    every local user control every program (as supervisord's): --check and
    the start-up log say so, with the line, and how to add credentials; with
    credentials, nothing is said."""
    from harness import corrald_path
    port = free_port()
    c = Corral(start=False, name="http_open")
    with c:
        c.write_config("[inet_http_server]\nport = 127.0.0.1:%d\n\n"
                       "[supervisord]\nchildlogdir = @LOG@\nsocket = @DIR@/run/corral.sock\n\n"
                       % port + PROGS, raw=True)
        want = ("%s:1: [inet_http_server]: 127.0.0.1:%d without username and password: every "
                "user of this machine can start, stop and signal every program through it; add "
                "username = NAME and password = {SHA}<sha1 of the password> to the section"
                % (c.conf, port))
        r = run([corrald_path(), "--check", "-c", c.conf])
        expect(r.rc == 0 and "warning: " + want in r.err, "--check warns, with the line", r)
        c.start()
        expect(want in c.stderr_text(), "the start-up log too", c.stderr_tail())
    c2, port2 = started("http_closed")
    with c2:
        r = run([corrald_path(), "--check", "-c", c2.conf])
        expect(r.rc == 0 and "without username and password" not in r.err,
               "with credentials, nothing is said", r)
