"""supervisord's own log lines ("spawned: 'web' with pid N", "exited: ...",
"gave up: ...", "stopped: ...") are in corrald's log, worded as supervisord
4.2 words them and at its levels: the real supervisord and corrald run the
same config, go through the same steps, and every line of supervisord's
log that speaks of its processes or of itself must be in corrald's log,
pids masked."""

import os
import re
import signal
import time

from harness import Corral, expect, wait_until
from test_supervisorctl import SUPERVISORD, Supervisord, config_text, ctl, settled

# web stays up; done exits 0 (expected); bad exits 3 (not expected); sig is
# killed by a signal; flaky exits before its startsecs, twice, then is
# FATAL; nocmd cannot be found; stubborn ignores SIGTERM, so its stop ends
# with SIGKILL; late is still up when the supervisor shuts down.
PROGRAMS = """
[program:web]
command = /bin/sh -c 'exec /bin/sleep 1000' @TAG@
startsecs = 1

[program:done]
command = /bin/sh -c 'exit 0' @TAG@
startsecs = 0
autorestart = false

[program:bad]
command = /bin/sh -c 'exit 3' @TAG@
startsecs = 0
autorestart = false

[program:sig]
command = /bin/sh -c 'kill -USR1 $$' @TAG@
startsecs = 0
autorestart = false

[program:flaky]
command = /bin/sh -c 'sleep 0.2; exit 4' @TAG@
startsecs = 1
startretries = 1

[program:nocmd]
command = corral-e2e-no-such-command @TAG@
startretries = 1

[program:stubborn]
command = /bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done' @TAG@
startsecs = 1
stopwaitsecs = 1

[program:late]
command = /bin/sh -c 'exec /bin/sleep 1001' @TAG@
startsecs = 1
"""

# The lines of supervisord's log this test compares (its others, about its
# HTTP servers, privileges and the like, are not about processes).
OF_INTEREST = re.compile(r"^(spawned: |spawnerr: |success: |exited: |gave up: |stopped: |"
                         r"waiting for |killing |supervisord started with pid |received |"
                         r"reaped unknown pid )")

SD_LINE = re.compile(r"^\S+ \S+ (INFO|WARN|CRIT|ERRO|DEBG|TRAC|BLAT) (.*)$")
CORRALD_LINE = re.compile(r"^\S+ \S+ corrald (info|warning|error|debug): (.*)$")
LEVELS = {"INFO": "info", "WARN": "warning"}


def masked(text):
    text = re.sub(r"with pid \d+", "with pid N", text)
    return re.sub(r"\(\d+\) with SIGKILL", "(N) with SIGKILL", text)


def sd_lines(path):
    out = []
    with open(path, errors="replace") as f:
        for l in f:
            m = SD_LINE.match(l.rstrip("\n"))
            if m and OF_INTEREST.match(m.group(2)):
                out.append((LEVELS.get(m.group(1), m.group(1)), masked(m.group(2))))
    return out


def corrald_lines(text):
    out = set()
    for l in text.splitlines():
        m = CORRALD_LINE.match(l)
        if m:
            out.add((m.group(1), masked(m.group(2))))
    return out


def test_supervisord_log_lines_in_corrald_log():
    if not os.access(SUPERVISORD, os.X_OK):
        print("skipped: %s is not installed" % SUPERVISORD)
        return
    tag_sd = "corral-e2e-sdlog-%d-%d" % (os.getpid(), int(time.time() * 1000))
    sd = Supervisord(tag_sd)
    try:
        with Corral(start=False, name="sdlog") as c:
            c.write_config(config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + PROGRAMS,
                           raw=True)
            sd.write(PROGRAMS)
            sd.start()
            c.start()
            confs = {"supervisord": sd.conf, "corral": c.conf}
            for who, conf in confs.items():
                wait_until(lambda conf=conf: settled(conf) and "FATAL" in ctl(conf, "status", "nocmd").out
                           and "FATAL" in ctl(conf, "status", "flaky").out, 30,
                           "%s to settle, flaky and nocmd FATAL" % who)
            for who, conf in confs.items():
                for name in ("web", "stubborn"):
                    r = ctl(conf, "stop", name)
                    expect(r.rc == 0, "%s: stop %s" % (who, name), r)
            # late is still up: SIGTERM has each wait for it to die
            sd.proc.send_signal(signal.SIGTERM)
            sd.proc.wait(30)
            c.signal(signal.SIGTERM)
            c.wait_exit(30)

            want = sd_lines(os.path.join(sd.tmp, "supervisord.log"))
            kinds = ["supervisord started with pid N", "spawned: 'web' with pid N",
                     "success: web entered RUNNING state, process has stayed up for > than 1 "
                     "seconds (startsecs)",
                     "exited: done (exit status 0; expected)",
                     "exited: bad (exit status 3; not expected)",
                     "exited: sig (terminated by SIGUSR1; not expected)",
                     "exited: flaky (exit status 4; not expected)",
                     "gave up: flaky entered FATAL state, too many start retries too quickly",
                     "spawnerr: can't find command 'corral-e2e-no-such-command'",
                     "gave up: nocmd entered FATAL state, too many start retries too quickly",
                     "stopped: web (terminated by SIGTERM)",
                     "waiting for stubborn to stop",
                     "killing 'stubborn' (N) with SIGKILL",
                     "stopped: stubborn (terminated by SIGKILL)",
                     "received SIGTERM indicating exit request",
                     "waiting for late to die",
                     "stopped: late (terminated by SIGTERM)"]
            texts = [t for _, t in want]
            missing = [k for k in kinds if k not in texts]
            expect(not missing, "supervisord's log lacks lines this test is about: %s\n%s"
                   % (missing, "\n".join(texts)))
            got = corrald_lines(c.stderr_text())
            absent = ["%s %s" % lt for lt in want if lt not in got]
            expect(not absent, "supervisord's lines missing from corrald's log (level, text):\n  %s"
                   "\ncorrald's log:\n%s" % ("\n  ".join(absent), c.stderr_tail(80)))
    finally:
        sd.stop()
test_supervisord_log_lines_in_corrald_log.timeout = 180
