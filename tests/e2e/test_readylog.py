"""ready = log:REGEX: a program is ready (RUNNING) once a whole line of its
stdout or stderr matches; what requires it waits until then; a line that
never comes ends in start_timeout and FATAL; a bad regex is a --check
error with file:line."""

import os
import re

from harness import Corral, corrald_path, expect, free_port, prog, run, wait_until

# Prints a line at once, then after DELAY seconds writes MARK and prints
# LINE (to stdout, or to stderr with "err"); lives on.
SRV = r'''import os, sys, time
delay, mark, line, where = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
out = sys.stderr if where == "err" else sys.stdout
print("booting", flush=True)
time.sleep(delay)
open(mark, "w").close()
out.write(line + "\n")
out.flush()
while True:
    time.sleep(1)
'''

# Records whether MARK existed when it started; lives on.
APP = r'''import os, sys, time
open(sys.argv[2], "w").write("yes" if os.path.exists(sys.argv[1]) else "no")
while True:
    time.sleep(1)
'''


def test_dependent_waits_for_the_line():
    cfg = (prog("srv", "@PY@ @DIR@/srv.py 2 @DIR@/said 'listening on port 8080' out",
                ready="log:^listening on port [0-9]+$", start_timeout=60)
           + prog("app", "@PY@ @DIR@/app.py @DIR@/said @DIR@/app.saw", ready="none",
                  requires="srv", startsecs=0))
    with Corral(cfg, scripts={"srv.py": SRV, "app.py": APP}, name="readylog_dep") as c:
        # while srv has printed only "booting", it is STARTING and app waits
        st = c.wait_state("srv", "STARTING", timeout=10)
        expect("waiting for a line matching log:^listening" in st.get("info", ""),
               "status says what srv waits for", st)
        app = c.status()["app"]
        expect(app["state"] != "RUNNING" and not app.get("pid"), "app waits for srv", app)
        c.wait_state("srv", "RUNNING", timeout=30)
        c.wait_state("app", "RUNNING", timeout=30)
        saw = wait_until(lambda: c.read(c.path("app.saw")), 10, "app to record its start")
        expect(saw == "yes", "app started only after srv printed its line", saw)
        expect("ready (a line matched ready = log:" in c.stderr_text(),
               "corrald's log says why srv is ready", c.stderr_tail())


def test_stderr_and_a_line_longer_than_line_max():
    """The line on stderr, 300 bytes with log_line_max = 64: matched on the
    64 bytes corrald holds of it (the regex needs exactly those, all x)."""
    long_line = "READY" + "x" * 295
    cfg = prog("srv", "@PY@ @DIR@/srv.py 0.5 @DIR@/said %s err" % long_line,
               ready="log:^READYx{59}$", log_line_max=64, start_timeout=60)
    with Corral(cfg, scripts={"srv.py": SRV}, name="readylog_long") as c:
        c.wait_state("srv", "RUNNING", timeout=30)


def test_line_that_never_comes_is_fatal():
    cfg = prog("srv", "@PY@ @DIR@/srv.py 0 @DIR@/said 'something else' out",
               ready="log:^ready$", start_timeout=2, startretries=0)
    with Corral(cfg, scripts={"srv.py": SRV}, name="readylog_never") as c:
        st = c.wait_state("srv", "FATAL", timeout=30)
        expect("not ready within start_timeout" in st.get("info", ""), "FATAL with the reason", st)
        expect("not ready within 2s" in c.stderr_text(), "the log says it", c.stderr_tail())


def test_invalid_regex_is_a_check_error():
    with Corral(start=False, name="readylog_check") as c:
        text = c.write_config(prog("a", "/bin/true") + prog("b", "/bin/true", ready="log:(open[")
                              + prog("w", "/bin/true", watch="/abs relative/dir"))
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10, env=c.env())
        expect(r.rc != 0, "--check fails", r)
        lines = text.splitlines()
        ready_line = 1 + next(i for i, l in enumerate(lines) if l.startswith("ready = log:"))
        watch_line = 1 + next(i for i, l in enumerate(lines) if l.startswith("watch ="))
        expect(re.search(r"%s:%d: \[program:b\]: ready = log: invalid regular expression "
                         r"\"\(open\[\": \S" % (re.escape(c.conf), ready_line), r.err),
               "the regex error with file:line and regerror's message", r)
        expect("%s:%d: [program:w]: watch: \"relative/dir\" is not an absolute path"
               % (c.conf, watch_line) in r.err, "a relative watch path with file:line", r)


# Prints LINE at once; listens on PORT only after DELAY seconds, then
# writes MARK; lives on.
LATE_LISTENER = r'''import socket, sys, time
port, delay, mark, line = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
print(line, flush=True)
time.sleep(delay)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
open(mark, "w").close()
while True:
    c, _ = s.accept()
    c.close()
'''


def test_health_and_log_line_both_needed():
    """ready = health+log:: the line comes at once, the health check passes
    only seconds later; what requires it waits for both."""
    port = free_port()
    cfg = (prog("srv", "@PY@ @DIR@/late.py %d 3 @DIR@/said 'server up'" % port,
                ready="health+log:^server up$", healthcheck="tcp:127.0.0.1:%d" % port,
                health_interval=1, health_timeout=1, start_timeout=60)
           + prog("app", "@PY@ @DIR@/app.py @DIR@/said @DIR@/app.saw", ready="none",
                  requires="srv", startsecs=0))
    with Corral(cfg, scripts={"late.py": LATE_LISTENER, "app.py": APP},
                name="readylog_health") as c:
        wait_until(lambda: "waiting for its health check" in c.stderr_text(), 30,
                   lambda: "the line to be seen: " + c.stderr_tail())
        st = c.status()
        expect(st["srv"]["state"] == "STARTING", "srv still STARTING after its line", st["srv"])
        expect("its line came, waiting for its first passing health check"
               in st["srv"].get("info", ""), "status says what it waits for", st["srv"])
        c.wait_state("srv", "RUNNING", timeout=30)
        c.wait_state("app", "RUNNING", timeout=30)
        saw = wait_until(lambda: c.read(c.path("app.saw")), 10, "app to record its start")
        expect(saw == "yes", "app started only once srv listened", saw)
