"""[pipeline:NAME]: stages joined by pipes corrald holds, so a stage that is
killed and restarted loses nothing that was still in its pipe, and the
stage before it is never cut off."""

import os
import re
import signal
import time

from harness import PY, Corral, corrald_path, expect, expect_rc, prog, run, wait_until

N = 3000

PRODUCER = r'''import os, sys
out = os.fdopen(1, "w", buffering=1)
try:
    for i in range(%d):
        out.write("line %%d\n" %% i)
    open(sys.argv[1], "w").write("done")
except BrokenPipeError:
    open(sys.argv[1], "w").write("EPIPE")
import time
while True:
    time.sleep(1)
''' % N

# Reads byte by byte, so what it has read is exactly what it logged as read
# ("PID start" just before it reads the first byte of a line: killed after
# that, the rest of that line may reach the next consumer alone, and the line
# is lost; it is written before the read so that no kill can fall between
# the read and the record of it); a slow consumer, so the producer fills the
# pipe and waits.
CONSUMER = r'''import os, sys, time
log = open(sys.argv[1], "a", buffering=1)
buf = b""
while True:
    if not buf:
        log.write("%d start\n" % os.getpid())
    c = os.read(0, 1)
    if not c:
        break
    buf += c
    if c == b"\n":
        line = buf.decode()
        buf = b""
        log.write("%d %s" % (os.getpid(), line))
        time.sleep(0.0005)
        os.write(1, ("got " + line).encode())
'''


def sink_numbers(c):
    text = c.read(c.log("flow:sink")) or ""
    return [int(m.group(1)) for m in re.finditer(r"^got line (\d+)$", text, re.M)]


def test_stage_killed_mid_stream_loses_only_what_it_had_read():
    cfg = (prog("producer", "@PY@ @DIR@/producer.py @DIR@/producer.state", startsecs=0) +
           prog("consumer", "@PY@ @DIR@/consumer.py @DIR@/consumed", startsecs=0) +
           prog("sink", "/bin/cat", startsecs=0) +
           "[pipeline:flow]\nprograms = producer | consumer | sink\nbuffer = 4KB\n")
    with Corral(cfg, scripts={"producer.py": PRODUCER, "consumer.py": CONSUMER},
                name="pipeline_kill") as c:
        wait_until(lambda: len(sink_numbers(c)) > 200, 20, "the pipeline to flow")
        first = c.status()["flow:consumer"]["pid"]
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: c.status()["flow:consumer"]["pid"] not in (0, first), 10,
                   "a new consumer")
        wait_until(lambda: (c.read(c.path("producer.state")) or "") != "", 60,
                   "the producer to finish")
        expect(c.read(c.path("producer.state")) == "done",
               "the producer was never cut off (no EPIPE)", c.read(c.path("producer.state")))
        consumed = [l.split() for l in c.read(c.path("consumed")).splitlines()]
        mine = [w for w in consumed if int(w[0]) == first]
        by_killed = {int(w[2]) for w in mine if w[1] != "start"}
        if mine and mine[-1][1] == "start":
            # it was killed inside a line (or about to read one): the one
            # after the last it finished
            by_killed.add(max(by_killed) + 1 if by_killed else 0)

        def complete():
            got = sink_numbers(c)
            return got if len(set(got) | by_killed) >= N else None
        got = wait_until(complete, 60, lambda: "the sink to receive every line (%d so far)"
                         % len(sink_numbers(c)))
        expect(got == sorted(got), "in order")
        missing = set(range(N)) - set(got)
        expect(missing <= by_killed,
               "only lines the killed consumer had read itself may be lost", sorted(missing - by_killed)[:10])
        expect(len(missing) <= 2, "the consumer reads one line at a time: at most the line "
               "it was handling is lost", sorted(missing))


def test_pipeline_names_and_errors():
    cfg = (prog("a", "/bin/cat", startsecs=0) + prog("b", "/bin/cat", startsecs=0) +
           "[pipeline:p]\nprograms = a | b\n")
    with Corral(cfg, name="pipeline_names") as c:
        st = c.status()
        expect(set(st) == {"p:a", "p:b"}, "stages are named after the pipeline", st)
        expect(st["p:a"]["group"] == "p", "and grouped by it", st["p:a"])
    with Corral(name="pipeline_errors", start=False) as c:
        c.write_config("[program:a]\ncommand = /bin/cat\n"
                       "[pipeline:p]\nprograms = a\nbuffer = 1\n"
                       "[group:g]\nprograms = a\nbuffer = 64KB\n", raw=True)
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10)
        expect_rc(r, 2, "corrald --check")
        expect(":5: [pipeline:p]: bad value for buffer: '1'" in r.err, "buffer range", r)
        expect("[pipeline:p]: a pipeline needs at least two programs" in r.err, "two stages", r)
        expect(":8: [group:g]: unknown key 'buffer'" in r.err, "buffer only for pipelines", r)
