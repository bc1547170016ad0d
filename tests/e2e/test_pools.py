"""Pools: [pool:NAME] workers fed through a bounded queue by corralctl submit."""

import os
import signal
import subprocess
import threading
import time

from harness import (Corral, corralctl_path, expect, expect_rc, pid_alive, run, tagged_pids,
                     wait_until)

# A line worker in plain sh: "<line>" back for each line, with a few
# commands for the tests.
WORKER = """\
while IFS= read -r line; do
    case "$line" in
    hang)        sleep 1000 & echo $! > "$DIR/sleeper.pid"; wait ;;
    crash)       echo x >> "$DIR/crashes"; kill -9 $$ ;;
    crashonce)   if [ ! -e "$DIR/crashed" ]; then : > "$DIR/crashed"; kill -9 $$; fi ;;
    slow*)       echo "$line" >> "$DIR/started"; sleep 2 ;;
    stall)       echo "$line" >> "$DIR/started"; sleep 1000 ;;
    [ab][0-9]*)  echo "$line" >> "$DIR/order" ;;
    esac
    echo "<$line>"
done
"""

SCRIPTS = {"worker.sh": WORKER}


def pool(name, **keys):
    lines = ["[pool:%s]" % name, "command = /bin/sh @DIR@/worker.sh",
             "environment = DIR=\"@DIR@\""]
    for k, v in keys.items():
        lines.append("%s = %s" % (k, v))
    return "\n".join(lines) + "\n\n"


def submit(c, *args, input=None, timeout=60):
    return run([corralctl_path(), "-s", c.sock, "submit"] + list(args), input=input, timeout=timeout)


def popen_submit(c, *args):
    return subprocess.Popen([corralctl_path(), "-s", c.sock, "submit"] + list(args),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def pool_stats(c, name):
    """The "pool" object of the first worker of pool NAME in status --json."""
    for n, p in c.status().items():
        if p.get("pool", {}).get("name") == name:
            return p["pool"]
    raise AssertionError("no worker of pool %s in status" % name)


def workers(c, name):
    return {n: p for n, p in c.status().items() if p.get("pool", {}).get("name") == name}


def wait_busy(c, name, count=1, timeout=10):
    return wait_until(lambda: sum(1 for p in workers(c, name).values()
                                  if p["pool"]["worker"] == "busy") >= count,
                      timeout, "%d busy worker(s) in pool %s" % (count, name))


def lines_of(c, fname):
    return (c.read(c.path(fname)) or "").split()


def test_pool_lines_in_order():
    with Corral(pool("up", workers=3, queue=8), scripts=SCRIPTS, name="pool_lines") as c:
        c.wait_running(["up:up_0", "up:up_1", "up:up_2"])
        # One job, from DATA and from stdin.
        r = submit(c, "up", "hello world")
        expect_rc(r, 0, "submit DATA")
        expect(r.out == "<hello world>\n", "submit DATA result", r)
        r = submit(c, "up", input="from stdin\n")
        expect_rc(r, 0, "submit stdin")
        expect(r.out == "<from stdin>\n", "submit stdin result", r)
        # A job for a line pool is one line.
        r = submit(c, "up", input="two\nlines\n")
        expect_rc(r, 1, "two lines to a line pool")
        expect("newline" in r.err, "two lines: why", r)
        # 10,000 jobs through --lines: every result, in input order.
        n = 10000
        text = "".join("job %d\n" % i for i in range(n))
        t0 = time.monotonic()
        r = submit(c, "--lines", "up", input=text)
        took = time.monotonic() - t0
        expect_rc(r, 0, "--lines")
        got = r.out.split("\n")
        expect(got[-1] == "" and len(got) == n + 1, "--lines gave %d results for %d jobs" % (len(got) - 1, n))
        bad = [i for i in range(n) if got[i] != "<job %d>" % i]
        expect(not bad, "results out of order or wrong from line %s" % (bad[:1]), got[bad[0]] if bad else "")
        st = pool_stats(c, "up")
        expect(st["done"] == n + 2 and st["failed"] == 1 and st["queue"] == 0 and st["queue_max"] == 8,
               "pool figures after the run", st)
        expect(st["producers"] == 0, "no producer left", st)
        # Every worker took some of them (they are served in turn).
        for name, p in workers(c, "up").items():
            expect(p["state"] == "RUNNING" and p["pool"]["worker"] == "idle", "worker after the run", p)
        print("    10000 jobs through --lines in %.2fs" % took)
        # Text status says what each worker does.
        r = c.ctl("status", "up:*")
        expect(r.rc == 0 and r.out.count("idle") == 3, "text status of the workers", r)


def test_pool_queue_bound_no_wait():
    cfg = pool("q", workers=1, queue=3, job_timeout=0) + pool("r", workers=1, queue=0, job_timeout=0)
    with Corral(cfg, scripts=SCRIPTS, name="pool_bound") as c:
        c.wait_running(["q:q_0", "r:r_0"])
        # The one worker takes a job and stalls on it.
        r = submit(c, "--detach", "q", "stall")
        expect_rc(r, 0, "detach")
        expect(r.out.strip().isdigit(), "--detach prints the job id", r)
        wait_busy(c, "q")
        # Exactly `queue` more are accepted, then --no-wait gets 75 at once.
        for i in range(3):
            r = submit(c, "--no-wait", "--detach", "q", "stall %d" % i)
            expect_rc(r, 0, "queued job %d" % i)
        t0 = time.monotonic()
        r = submit(c, "--no-wait", "--detach", "q", "one too many")
        expect_rc(r, 75, "--no-wait with a full queue")
        expect("queue full" in r.err, "--no-wait: why", r)
        r = submit(c, "--no-wait", "q", "and another")
        expect_rc(r, 75, "--no-wait (waiting for the result) with a full queue")
        expect(time.monotonic() - t0 < 2, "--no-wait did not answer at once")
        st = pool_stats(c, "q")
        expect(st["queue"] == 3 and st["queue_max"] == 3 and st["refused"] == 2, "figures of a full queue", st)
        # Without --no-wait a submit waits; when it gives up its job is dropped.
        p = popen_submit(c, "q", "waits")
        time.sleep(0.5)
        expect(p.poll() is None, "a submit to a full queue did not wait")
        p.send_signal(signal.SIGINT)
        p.wait(10)
        wait_until(lambda: pool_stats(c, "q")["cancelled"] == 0 and pool_stats(c, "q")["producers"] == 0,
                   5, "the waiting producer to be gone")
        # queue = 0 is a rendezvous: nothing waits once the worker is busy.
        r = submit(c, "--detach", "r", "stall")
        expect_rc(r, 0, "rendezvous: the worker takes one")
        wait_busy(c, "r")
        r = submit(c, "--no-wait", "--detach", "r", "no room")
        expect_rc(r, 75, "rendezvous with a busy worker")
        st = pool_stats(c, "r")
        expect(st["queue"] == 0 and st["queue_max"] == 0, "rendezvous figures", st)


def test_pool_job_timeout_kills_tree():
    with Corral(pool("t", workers=1, job_timeout=1), scripts=SCRIPTS, name="pool_timeout") as c:
        pid = c.wait_running(["t:t_0"])["t:t_0"]
        t0 = time.monotonic()
        r = submit(c, "t", "hang")
        took = time.monotonic() - t0
        expect_rc(r, 124, "a job over job_timeout")
        expect("timed out" in r.err, "timeout: why", r)
        expect(0.8 < took < 5, "timed out after %.1fs, job_timeout = 1" % took)
        sleeper = int(c.read(c.path("sleeper.pid")).strip())
        # Its whole tree is gone: the worker and the sleeper it forked.
        wait_until(lambda: not pid_alive(sleeper) and not pid_alive(pid), 5,
                   "the worker and its sleeper to be killed")
        left = [p for p in tagged_pids(c.tag) if p not in (c.pid,) and "sleep" in
                (open("/proc/%d/cmdline" % p, "rb").read().decode("latin-1") if os.path.exists("/proc/%d" % p) else "")]
        expect(not left, "processes left after the timeout", left)
        # A new worker takes the next job.
        st = c.wait_state("t:t_0", "RUNNING")
        expect(st["pid"] != pid, "the worker was not restarted", st)
        r = submit(c, "t", "after")
        expect_rc(r, 0, "a job after the timeout")
        expect(r.out == "<after>\n", "result after the timeout", r)
        st = pool_stats(c, "t")
        expect(st["timed_out"] == 1 and st["done"] == 1, "figures after a timeout", st)


def test_pool_retry_then_fail():
    with Corral(pool("c", workers=2, job_retries=2), scripts=SCRIPTS, name="pool_retry") as c:
        c.wait_running(["c:c_0", "c:c_1"])
        # A job that crashes its worker once is given to another and succeeds.
        r = submit(c, "c", "crashonce")
        expect_rc(r, 0, "a job whose first worker crashed")
        expect(r.out == "<crashonce>\n", "retried result", r)
        # One that always crashes fails after job_retries more tries.
        r = submit(c, "c", "crash", timeout=60)
        expect_rc(r, 1, "a job that crashes every worker")
        expect("tried 3 times" in r.err, "failure says how often it was tried", r)
        expect(len(lines_of(c, "crashes")) == 3, "job_retries = 2 ran it %d times" % len(lines_of(c, "crashes")))
        st = pool_stats(c, "c")
        expect(st["retried"] == 3 and st["failed"] == 1 and st["done"] == 1, "figures after crashes", st)
        # The pool still works.
        c.wait_running(["c:c_0", "c:c_1"], timeout=20)
        r = submit(c, "c", "fine")
        expect_rc(r, 0, "a job after the crashes")


def test_pool_cancel_on_disconnect():
    cfg = pool("f", workers=1, queue=10) + pool("k", workers=1, queue=10, cancel="kill")
    with Corral(cfg, scripts=SCRIPTS, name="pool_cancel") as c:
        pids = c.wait_running(["f:f_0", "k:k_0"])
        # cancel = finish: the job in flight completes, the queued ones are dropped at once.
        p = popen_submit(c, "--lines", "f")
        p.stdin.write(b"".join(b"slow %d\n" % i for i in range(6)))
        p.stdin.flush()
        wait_until(lambda: len(lines_of(c, "started")) >= 1 and pool_stats(c, "f")["queue"] == 5, 10,
                   lambda: "one job started and five queued: %s" % pool_stats(c, "f"))
        p.kill()
        p.wait(10)
        wait_until(lambda: pool_stats(c, "f")["cancelled"] == 6, 5,
                   lambda: "six jobs cancelled: %s" % pool_stats(c, "f"))
        st = pool_stats(c, "f")
        expect(st["queue"] == 0 and st["producers"] == 0, "queue emptied at once", st)
        time.sleep(2.5)
        expect(len(c.read(c.path("started")).split("\n")) - 1 == 1, "a cancelled queued job ran",
               c.read(c.path("started")))
        st = c.status()["f:f_0"]
        expect(st["pid"] == pids["f:f_0"] and st["pool"]["worker"] == "idle",
               "cancel = finish: the worker finishes its job and stays", st)
        expect(pool_stats(c, "f")["done"] == 1, "the job in flight finished", pool_stats(c, "f"))
        # cancel = kill: the worker's tree is killed and it starts again.
        p = popen_submit(c, "k", "stall")
        wait_busy(c, "k")
        p.send_signal(signal.SIGINT)
        p.wait(10)
        wait_until(lambda: c.status()["k:k_0"]["pid"] not in (0, pids["k:k_0"]), 10,
                   "cancel = kill: a new worker")
        expect(pool_stats(c, "k")["cancelled"] == 1, "cancel = kill figures", pool_stats(c, "k"))
        r = submit(c, "k", "next")
        expect_rc(r, 0, "a job after cancel = kill")


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def test_pool_memory_bounded_under_flood():
    with Corral(pool("m", workers=1, queue=16, job_timeout=0), scripts=SCRIPTS, name="pool_flood") as c:
        c.wait_running(["m:m_0"])
        r = submit(c, "--detach", "m", "stall")
        expect_rc(r, 0, "stall the worker")
        wait_busy(c, "m")
        before = vm_hwm_kb(c.pid)
        p = popen_submit(c, "--lines", "m")
        sent = [0]
        line = b"x" * 1023 + b"\n"

        def flood():
            try:
                while True:
                    p.stdin.write(line * 64)
                    sent[0] += len(line) * 64
            except (BrokenPipeError, ValueError, OSError):
                pass
        t = threading.Thread(target=flood, daemon=True)
        t.start()
        # The producer is held back: what it gets written stops growing.
        time.sleep(3)
        a = sent[0]
        time.sleep(1)
        b = sent[0]
        after = vm_hwm_kb(c.pid)
        st = pool_stats(c, "m")
        p.kill()
        p.wait(10)
        t.join(5)
        expect(a == b, "the producer was not held back: %d then %d bytes written" % (a, b))
        expect(b < 32 * 1024 * 1024, "the producer wrote %d bytes into a stalled pool" % b)
        expect(st["queue"] == 16, "the queue is full, no more", st)
        growth = after - before
        print("    flood: %d KiB written, corrald VmHWM %d -> %d KiB" % (b // 1024, before, after))
        expect(growth < 16 * 1024, "corrald grew by %d KiB under the flood" % growth)
        wait_until(lambda: pool_stats(c, "m")["producers"] == 0 and pool_stats(c, "m")["queue"] == 0, 5,
                   "the flood's jobs to be cancelled")


def test_pool_fair_between_producers():
    with Corral(pool("fair", workers=1, queue=4), scripts=SCRIPTS, name="pool_fair") as c:
        c.wait_running(["fair:fair_0"])
        # Hold the worker while both producers fill their sockets.
        r = submit(c, "--detach", "fair", "slow hold")
        expect_rc(r, 0, "hold the worker")
        wait_busy(c, "fair")
        a = popen_submit(c, "--lines", "fair")
        b = popen_submit(c, "--lines", "fair")
        outs = {}

        def feed(p, tag):
            outs[tag] = p.communicate(b"".join(b"%s%d\n" % (tag, i) for i in range(400)), timeout=60)
        ta = threading.Thread(target=feed, args=(a, b"a"))
        tb = threading.Thread(target=feed, args=(b, b"b"))
        ta.start()
        time.sleep(0.3)
        tb.start()
        ta.join(60)
        tb.join(60)
        expect(a.returncode == 0 and b.returncode == 0, "both producers finished", a.returncode, b.returncode)
        for tag in (b"a", b"b"):
            out = outs[tag][0].decode().split()
            want = ["<%s%d>" % (tag.decode(), i) for i in range(400)]
            expect(out == want, "producer %s's results" % tag.decode(), out[:5])
        # The order the one worker took them in: past the few a queued
        # alone, they alternate.
        order = (c.read(c.path("order")) or "").split()
        expect(len(order) == 800, "the worker saw %d jobs" % len(order))
        window = order[8:408]
        na = sum(1 for x in window if x[0] == "a")
        print("    fairness: %d of a, %d of b in 400 jobs taken while both waited" % (na, len(window) - na))
        expect(abs(na - (len(window) - na)) <= 40, "unfair: %d of a in %d" % (na, len(window)), window[:40])
        st = pool_stats(c, "fair")
        expect(st["done"] == 801, "every job of both (and the hold) done", st)


# A length-framed worker that takes up to two jobs before it answers, and
# answers the later first: answers come back by id, in any order.
LENGTH_WORKER = """\
import os, select
buf = b""
def job(timeout):
    global buf
    while True:
        nl = buf.find(b"\\n")
        if nl >= 0:
            jid, n = buf[:nl].split()
            end = nl + 1 + int(n)
            if len(buf) >= end:
                data, buf = buf[nl + 1:end], buf[end:]
                return jid, data
        if not select.select([0], [], [], timeout)[0]:
            return None
        chunk = os.read(0, 65536)
        if not chunk:
            raise SystemExit(0)
        buf += chunk
while True:
    batch = [job(None)]
    nxt = job(0.05)
    if nxt:
        batch.append(nxt)
    for jid, data in reversed(batch):
        if data == b"fail":
            why = b"asked to fail"
            os.write(1, jid + b" fail %d\\n" % len(why) + why)
        else:
            res = data[::-1]
            os.write(1, jid + b" ok %d\\n" % len(res) + res)
"""


def test_pool_length_framing():
    import shutil
    cc = shutil.which("cc") or shutil.which("gcc")
    expect(cc is not None, "no C compiler for examples/pool-worker.c")
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, "..", "..", "examples", "pool-worker.c")
    cfg = ("[pool:c]\ncommand = @DIR@/pool-worker\nframing = length\nworkers = 2\nmailbox = 4\n\n"
           "[pool:py]\ncommand = @PY@ @DIR@/length.py\nframing = length\nworkers = 1\nmailbox = 2\n\n"
           "[pool:bad]\ncommand = /bin/sh -c 'read -r l; echo nonsense; sleep 1000'\nframing = length\n"
           "job_retries = 1\n\n")
    with Corral(cfg, scripts={"length.py": LENGTH_WORKER}, start=False, name="pool_length") as c:
        r = run([cc, "-O2", "-Wall", "-Wextra", "-Werror", "-o", c.path("pool-worker"), src])
        expect_rc(r, 0, "compiling examples/pool-worker.c")
        c.start()
        c.wait_running(["c:c_0", "c:c_1", "py:py_0", "bad:bad_0"])
        # Any bytes: newlines and NULs go through untouched.
        data = "two\nlines and a \x01 byte, hello"
        r = submit(c, "c", input=data)
        expect_rc(r, 0, "a length job")
        expect(r.out == data.upper(), "length result", r)
        # The worker says a job failed.
        r = submit(c, "c", input="")
        expect_rc(r, 1, "an empty job fails")
        expect("an empty job" in r.err, "failure text from the worker", r)
        # Many jobs, several in flight per worker, answers in input order.
        n = 2000
        r = submit(c, "--lines", "c", input="".join("job %d\n" % i for i in range(n)))
        expect_rc(r, 0, "--lines through a length pool")
        expect(r.out.split("\n")[:-1] == ["JOB %d" % i for i in range(n)], "length --lines results")
        # Answers out of order are matched by id.
        r = submit(c, "--lines", "py", input="".join("%03d\n" % i for i in range(200)))
        expect_rc(r, 0, "out-of-order worker")
        expect(r.out.split("\n")[:-1] == [("%03d" % i)[::-1] for i in range(200)], "out-of-order results",
               r.out[:100])
        r = submit(c, "--lines", "py", input="a\nfail\nb\n")
        expect_rc(r, 1, "one failed job among three")
        expect(r.out == "a\n\nb\n", "a failed line gives an empty line", r)
        expect("line 2: job" in r.err and "asked to fail" in r.err, "which line failed", r)
        st = pool_stats(c, "py")
        expect(st["failed"] == 1, "py figures", st)
        # A worker that breaks the framing is killed and replaced; the job
        # is tried again, then fails.
        bad_pid = c.status()["bad:bad_0"]["pid"]
        r = submit(c, "bad", "x")
        expect_rc(r, 1, "a job whose workers break the framing")
        expect("tried 2 times" in r.err, "framing breakers: why", r)
        expect(not pid_alive(bad_pid), "the worker that broke the framing is still alive")
        expect(pool_stats(c, "bad")["retried"] == 1, "figures", pool_stats(c, "bad"))
        expect("not a result header" in c.stderr_text(), "corrald does not say why it killed it")


def test_pool_reload():
    with Corral(pool("r", workers=1, queue=4), scripts=SCRIPTS, name="pool_reload") as c:
        c.wait_running(["r:r_0"])
        p = popen_submit(c, "--lines", "r")
        p.stdin.write(b"slow 1\na1\na2\n")
        p.stdin.flush()
        wait_until(lambda: pool_stats(c, "r")["queue"] == 2, 10, "two jobs queued")
        # A changed pool is a new generation of workers; its queue and its
        # producers stay, and the job the old worker had runs again.
        c.write_config(pool("r", workers=2, queue=6))
        r = c.ctl("reload")
        expect(r.rc == 0 and "changed: r" in r.out, "reload a changed pool", r)
        out, err = p.communicate(timeout=30)
        expect(p.returncode == 0 and out == b"<slow 1>\n<a1>\n<a2>\n", "results across a reload", out, err)
        c.wait_running(["r:r_0", "r:r_1"])
        expect(pool_stats(c, "r")["queue_max"] == 6, "the new bound", pool_stats(c, "r"))
        # A removed pool fails what waits for it.
        expect_rc(submit(c, "--detach", "r", "stall"), 0, "stall one")
        expect_rc(submit(c, "--detach", "r", "stall"), 0, "stall two")
        wait_busy(c, "r", 2)
        p = popen_submit(c, "r", "waits")
        wait_until(lambda: pool_stats(c, "r")["queue"] == 1, 10, "a job waiting")
        c.write_config("")
        r = c.ctl("reload")
        expect(r.rc == 0 and "removed: r" in r.out, "reload without the pool", r)
        out, err = p.communicate(timeout=30)
        expect(p.returncode == 1 and b"was removed" in err, "a waiting job of a removed pool", out, err)
        r = submit(c, "r", "x")
        expect_rc(r, 2, "submit to a removed pool")
        expect("no such pool" in r.err, "no such pool", r)


def test_pool_protocol_and_shutdown():
    from harness import frame, raw_connect, recv_until_eof
    with Corral(pool("p", workers=1, queue=1, job_timeout=0), scripts=SCRIPTS, name="pool_proto") as c:
        c.wait_running(["p:p_0"])
        # Not a job frame: the connection is closed, nothing else happens.
        for junk in (b"XXXXXXXXXXXX", frame(b"J", b"", length=(1 << 20) + 1), frame(b"Q", b"status\0")):
            s = raw_connect(c.sock)
            s.sendall(frame(b"Q", b"submit\0p\0") + junk)
            data, _ = recv_until_eof(s, 5)
            s.close()
            expect(data == b"", "junk after submit got an answer", junk[:12], data[:40])
        # A bad request is refused with an answer.
        s = raw_connect(c.sock)
        s.sendall(frame(b"Q", b"submit\0--bogus\0p\0"))
        data, _ = recv_until_eof(s, 5)
        s.close()
        expect(data[3:4] == b"A" and data[8] == 2 and b"usage" in data, "bad submit options", data)
        r = run([corralctl_path(), "-s", c.sock, "submit", "--bogus", "p"])
        expect_rc(r, 2, "corralctl submit --bogus")
        r = run([corralctl_path(), "-s", c.sock, "submit", "--lines", "p", "data"])
        expect_rc(r, 2, "--lines with DATA")
        # Raw jobs and answers, as corral.conf documents them.
        s = raw_connect(c.sock)
        s.sendall(frame(b"Q", b"submit\0p\0") + frame(b"J", b"raw\n"))
        hdr = s.recv(8)
        body = b""
        n = int.from_bytes(hdr[4:8], "big")
        while len(body) < n:
            body += s.recv(n - len(body))
        s.close()
        expect(hdr[:4] == b"CR\x01R" and body[0] == 0 and body[9:] == b"<raw>\n", "a raw answer", hdr, body)
        # Producers still connected at shutdown: corrald exits cleanly and they are told.
        expect_rc(submit(c, "--detach", "p", "stall"), 0, "stall")
        wait_busy(c, "p")
        expect_rc(submit(c, "--detach", "p", "queued"), 0, "fill the queue")
        p = popen_submit(c, "--lines", "p")
        p.stdin.write(b"held\n")
        p.stdin.flush()
        wait_until(lambda: pool_stats(c, "p")["throttled"] >= 1, 5, "the producer to be held back")
        c.signal(signal.SIGTERM)
        expect(c.wait_exit(20) == 0, "corrald exit status with a producer connected")
        out, err = p.communicate(timeout=10)
        # Told either way: the connection closed (4), or, when the stop of
        # the stalled worker made room and its held job got in before the
        # pool went, that job failed with the reason (1).
        expect((p.returncode == 4 and b"closed" in err)
               or (p.returncode == 1 and b"job failed: pool p was removed" in err),
               "the producer is told", p.returncode, err)


def test_pool_submit_rate():
    with Corral(pool("s", workers=2, submit_rate=50, submit_burst=1), scripts=SCRIPTS, name="pool_rate") as c:
        c.wait_running(["s:s_0", "s:s_1"])
        # 100 jobs at 50 a second, one at once: 99 waits of 20 ms.
        t0 = time.monotonic()
        r = submit(c, "--lines", "s", input="".join("r%d\n" % i for i in range(100)))
        took = time.monotonic() - t0
        expect_rc(r, 0, "rate-limited --lines")
        expect(r.out.split() == ["<r%d>" % i for i in range(100)], "rate-limited results")
        print("    100 jobs at submit_rate = 50 took %.2fs" % took)
        # The limit holds (never faster); how much slower a busy machine is
        # says nothing of corral, so there is no upper bound.
        expect(1.98 * 0.9 <= took, "submit_rate = 50: 100 jobs took %.2fs" % took)
        # Two producers share the pool's rate, and neither gets ahead.
        a = popen_submit(c, "--lines", "s")
        b = popen_submit(c, "--lines", "s")
        t0 = time.monotonic()
        res = {}
        ta = threading.Thread(target=lambda: res.update(a=a.communicate(b"a1\n" * 50, timeout=30)))
        tb = threading.Thread(target=lambda: res.update(b=b.communicate(b"b1\n" * 50, timeout=30)))
        ta.start()
        tb.start()
        ta.join(30)
        tb.join(30)
        took = time.monotonic() - t0
        expect(a.returncode == 0 and b.returncode == 0, "two rate-limited producers")
        expect(1.98 * 0.9 <= took, "two producers, 100 jobs at 50/s took %.2fs" % took)
