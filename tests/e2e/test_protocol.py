"""The control socket against bad and slow clients; corrald's idle behaviour."""

import os
import signal
import struct
import time

from harness import (Corral, SLEEP, expect, idle_syscalls, wait_handler, expect_rc, frame, prog, raw_connect, recv_until_eof,
                     wait_until)


def ask(c, payload_words):
    s = raw_connect(c.sock)
    payload = b"".join(w + b"\0" for w in payload_words)
    s.sendall(frame(b"Q", payload))
    data, _ = recv_until_eof(s, 5)
    s.close()
    return data


def closed_without_answer(c, data, what, timeout=2.0):
    s = raw_connect(c.sock)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return
    got, secs = recv_until_eof(s, timeout)
    s.close()
    expect(got == b"", "%s: got an answer %r instead of a closed connection" % (what, got[:100]))


def test_raw_protocol_and_garbage():
    with Corral(prog("web", SLEEP, startsecs=0), name="proto") as c:
        c.wait_state("web", "RUNNING")
        # Positive control: a well-formed request by hand.
        data = ask(c, [b"version"])
        expect(len(data) >= 9 and data[:4] == b"CR\x01A", "answer header", data[:16])
        (n,) = struct.unpack(">I", data[4:8])
        expect(n == len(data) - 8, "answer length field %d, payload %d" % (n, len(data) - 8))
        expect(data[8] == 0 and data[9:] == b"0.1.0\n", "version answer payload", data[8:])
        data = ask(c, [b"status", b"nosuch"])
        expect(data[8:9] == b"\x02" and b"no such process: nosuch" in data[9:], "unknown name answer", data)

        closed_without_answer(c, b"this is not a corral frame\n" * 3, "garbage")
        closed_without_answer(c, frame(b"Q", b"version\0", magic=b"XX"), "bad magic")
        closed_without_answer(c, frame(b"Q", b"version\0", version=2), "protocol version 2")
        closed_without_answer(c, frame(b"A", b"\0ok\n"), "an answer sent as a request")
        closed_without_answer(c, frame(b"Q", b"", length=0x7FFFFFFF), "2 GiB length header")
        closed_without_answer(c, frame(b"Q", b"", length=64 * 1024 + 1), "64 KiB + 1 length header")
        # A payload that is not NUL-terminated words: closed, or refused as usage (2).
        s = raw_connect(c.sock)
        s.sendall(frame(b"Q", b"version"))
        got, _ = recv_until_eof(s, 3)
        s.close()
        expect(got == b"" or got[8:9] == b"\x02", "unterminated words answered with", got[:40])

        expect(c.alive(), "corrald died on malformed input")
        r = c.ctl("status", "web")
        expect_rc(r, 0, "status after the malformed clients")


def test_silent_clients_do_not_block():
    with Corral(prog("web", SLEEP, startsecs=0), name="slowclients") as c:
        c.wait_state("web", "RUNNING")
        t0 = time.monotonic()
        silent = [raw_connect(c.sock) for _ in range(20)]
        partial = raw_connect(c.sock)
        partial.sendall(b"CR\x01")
        half = raw_connect(c.sock)
        half.sendall(frame(b"Q", b"status\0", length=100))  # promises more than it sends
        r = c.ctl("status", "web", timeout=10)
        expect_rc(r, 0, "status while silent clients are connected")
        # answered before the silent ones are dropped (5 s): they held nothing up
        expect(r.elapsed < 4.5, "status took %.1fs while silent clients were connected" % r.elapsed)
        # Each is dropped within about 5 s of connecting, with no answer.
        for name, s in [("silent", silent[0]), ("partial header", partial), ("partial payload", half)]:
            left = max(0.5, 8 - (time.monotonic() - t0))
            got, _ = recv_until_eof(s, left)
            expect(got == b"", "%s client got %r" % (name, got[:60]))
        took = time.monotonic() - t0
        expect(took >= 4, "silent clients were dropped after %.1fs, before 5 s" % took)
        for s in silent + [partial, half]:
            s.close()
        expect_rc(c.ctl("status", "web"), 0, "status after the silent clients")



def test_idle_makes_no_syscalls():
    cfg = "".join(prog("p%d" % i, SLEEP, startsecs=1) for i in range(5))
    with Corral(cfg, name="idle") as c:
        c.wait_running(["p%d" % i for i in range(5)], 10)
        time.sleep(0.2)
        busy, calls = idle_syscalls(c)
        expect(not busy, "idle corrald made %d system call(s) in 3 s: %s"
               % (len(busy), " | ".join(busy[:8])))
        expect(len(calls) <= 2, "idle corrald: %s" % " | ".join(calls[:8]))
        expect(c.alive(), "corrald died under strace")


def test_client_gone_while_waiting():
    slow = "@PY@ -c \"import signal,time; signal.signal(signal.SIGTERM, lambda *a: (time.sleep(0.5), exit(0))); time.sleep(1000)\""
    cfg = prog("slow", slow, startsecs=0, stopwaitsecs=5) + prog("late", SLEEP, startsecs=2, autostart=False)
    with Corral(cfg, name="client_gone") as c:
        pid = c.wait_state("slow", "RUNNING")["pid"]
        wait_handler(pid, signal.SIGTERM)
        # A client asks for a stop that takes a while, and hangs up at once.
        s = raw_connect(c.sock)
        s.sendall(frame(b"Q", b"stop\0slow\0"))
        s.close()
        # Another one asks for a start that takes startsecs=2, and hangs up.
        s = raw_connect(c.sock)
        s.sendall(frame(b"Q", b"start\0late\0"))
        time.sleep(0.1)
        s.close()
        c.wait_state("slow", "STOPPED", 5)
        wait_until(lambda: not os.path.exists("/proc/%d" % pid), 5, "slow to be gone")
        c.wait_state("late", "RUNNING", 5)
        expect(c.alive(), "corrald died after clients hung up while waiting")
        expect_rc(c.ctl("status", "late"), 0, "status after clients hung up")
