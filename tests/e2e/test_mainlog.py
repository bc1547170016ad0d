"""corrald's own log file: [supervisord]/[corral] logfile, logfile_maxbytes,
logfile_backups and loglevel; read with XML-RPC readLog and clearLog, the
stock supervisorctl's maintail [-f] (against corrald and against Debian's
supervisord side by side), corralctl maintail [-f]; reopened by SIGUSR2 and
corralctl reopen; rotated between lines, so that no line is lost or cut
while programs crash in a loop and a follower reads along."""

import glob
import os
import re
import signal
import subprocess
import time

from harness import Corral, expect, expect_rc, run, unix_rpc, wait_until
from test_supervisorctl import SUPERVISORCTL, Supervisord, config_text

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d corrald "
                  r"(critical|error|warning|info|debug|trace|blather): .")


def main_logs(path):
    """The log file and its rotated copies, oldest first."""
    backups = sorted(glob.glob(path + ".*"), key=lambda p: -int(p.rsplit(".", 1)[1]))
    return backups + [path]


def all_lines(path):
    text = ""
    for f in main_logs(path):
        with open(f, errors="replace") as fh:
            text += fh.read()
    return text.splitlines()


def test_rotation_under_load_loses_no_line():
    """Programs spawn and exit in a loop for a few seconds while the log
    rotates every 4 KiB and corralctl maintail -f follows it: every pid a
    program printed (in its own log) has its "spawned" line in the main
    log's files, every line is whole, no file passes logfile_maxbytes by
    more than one line, and the follower saw whole lines only."""
    n = 6
    progs = "".join("[program:p%d]\ncommand = /bin/sh -c 'echo run $$; exit 1' @TAG@\n"
                    "startsecs = 0\nautorestart = true\nstdout_logfile_maxbytes = 0\n\n" % i
                    for i in range(n))
    with Corral(progs, start=False, name="mainlog_rot",
                corral_extra="logfile = @DIR@/main.log\nlogfile_maxbytes = 4KB\n"
                             "logfile_backups = 1000\n") as c:
        c.start()
        follow = subprocess.Popen(c.ctl_argv("maintail", "-f", "-n", "0"),
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        def runs():
            return sum(c.read(c.log("p%d" % i), "").count("run ") for i in range(n))
        wait_until(lambda: runs() >= 60, 90, "60 runs of the crashing programs")
        expect_rc(c.ctl("stop", "all"), 0, "stop all")
        time.sleep(0.5)
        follow.send_signal(signal.SIGINT)
        followed = follow.communicate(timeout=10)[0].decode(errors="replace")
        path = c.path("main.log")
        files = main_logs(path)
        expect(len(files) >= 3, "the log rotated less than twice", files)
        for f in files:
            size = os.path.getsize(f)
            expect(size <= 4096 + 4096, "%s is %d bytes, past logfile_maxbytes" % (f, size))
        lines = all_lines(path)
        bad = [l for l in lines if not LINE.match(l)]
        expect(not bad, "cut or foreign lines in the main log", bad[:5])
        spawned = set(re.findall(r"spawned: '(p\d+)' with pid (\d+)", "\n".join(lines)))
        ran = set()
        for i in range(n):
            for pid in re.findall(r"run (\d+)", c.read(c.log("p%d" % i), "")):
                ran.add(("p%d" % i, pid))
        expect(len(ran) >= 60, "too few runs to say anything", len(ran))
        missing = ran - spawned
        expect(not missing, "%d of %d runs have no spawned line in the main log"
               % (len(missing), len(ran)), sorted(missing)[:5])
        flines = [l for l in followed.splitlines() if l]
        expect(len(flines) > 20, "maintail -f saw too little", followed[-500:])
        badf = [l for l in flines if not LINE.match(l) and not l.startswith("[corral: ")]
        expect(not badf, "maintail -f gave cut lines", badf[:5])
        # what it followed is in the file, in the same order
        joined = "\n".join(lines)
        last = -1
        for l in flines:
            if l.startswith("[corral: "):
                continue
            at = joined.find(l, last + 1)
            expect(at > last, "a followed line is not in the file in order", l)
            last = at


def test_loglevel_filters_the_file():
    """loglevel = warn: no info line in the file, but the warnings; trace:
    supervisord's "XML-RPC method called" lines too."""
    with Corral("[program:one]\ncommand = /bin/sh -c 'exec sleep 1000' @TAG@\nstartsecs = 0\n",
                start=False, name="mainlog_level",
                corral_extra="logfile = @DIR@/main.log\nloglevel = warn\n") as c:
        c.start()
        c.wait_running(["one"])
        expect_rc(c.ctl("signal", "HUP", "one"), 0)  # sleep dies of it: a warning
        wait_until(lambda: "exited: one (terminated by SIGHUP" in c.read(c.path("main.log"), ""),
                   5, "the unexpected exit logged as a warning")
        expect_rc(c.ctl("restart", "one"), 0)  # info lines: not in the file
        text = c.read(c.path("main.log"), "")
        expect("corrald info:" not in text, "info lines with loglevel = warn", text)
        # and stderr (the foreground) has them: the level is the file's and stderr's
        expect("corrald info:" not in c.stderr_text(), "info on stderr with loglevel = warn")
    port_conf = ("[unix_http_server]\nfile = @DIR@/sd.sock\n\n"
                 "[supervisord]\nlogfile = @DIR@/main.log\nloglevel = trace\n"
                 "childlogdir = @LOG@\nsocket = @DIR@/run/corral.sock\n\n"
                 "[program:one]\ncommand = /bin/sh -c 'exec sleep 1000' @TAG@\nstartsecs = 0\n")
    with Corral(start=False, name="mainlog_trace") as c:
        c.write_config(port_conf, raw=True)
        c.start()
        c.wait_running(["one"])
        unix_rpc(c.path("sd.sock")).supervisor.getState()
        text = c.read(c.path("main.log"), "")
        expect("corrald trace: XML-RPC method called: supervisor.getState()" in text,
               "no trace line for an XML-RPC call", text[-2000:])
        expect("corrald info: spawned: 'one'" in text, "info lines missing at trace", text)


def test_maintail_and_readlog_beside_supervisord():
    """The same config under supervisord and under corrald: supervisorctl's
    maintail shows the spawned line of the program (with its pid) from
    both; maintail -f shows the stop that follows; readLog reads the end,
    clearLog empties the file and says True; corralctl maintail [-f] reads
    corrald's too."""
    progs = ("[program:web]\ncommand = /bin/sh -c 'exec sleep 1000' @TAG@\nstartsecs = 0\n"
             "stopwaitsecs = 5\n")
    with Corral(start=False, name="mainlog_sd") as c:
        sd = Supervisord(c.tag + "-sd")  # its own tag: its stop kills what has it
        try:
            sd.write(progs)
            sd.start()
            c.write_config(config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + progs,
                           raw=True)
            c.start()
            c.wait_running(["web"])
            sconf = os.path.join(sd.tmp, "supervisord.conf")
            wait_until(lambda: "RUNNING" in run([SUPERVISORCTL, "-c", sconf, "status", "web"]).out,
                       15, "web RUNNING under supervisord")
            for who, conf in (("supervisord", sconf), ("corrald", c.conf)):
                r = run([SUPERVISORCTL, "-c", conf, "status", "web"])
                pid = re.search(r"pid (\d+)", r.out).group(1)
                r = run([SUPERVISORCTL, "-c", conf, "maintail"])
                expect_rc(r, 0, "%s: maintail" % who)
                expect("spawned: 'web' with pid %s" % pid in r.out,
                       "%s: maintail lacks the spawned line" % who, r.out)
                r = run([SUPERVISORCTL, "-c", conf, "maintail", "-200"])
                expect_rc(r, 0, "%s: maintail -200" % who)
                expect(0 < len(r.out.encode()) <= 201, "%s: maintail -200 gave %d bytes"
                       % (who, len(r.out.encode())), r.out)
                f = subprocess.Popen([SUPERVISORCTL, "-c", conf, "maintail", "-f"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                time.sleep(1)
                expect_rc(run([SUPERVISORCTL, "-c", conf, "stop", "web"]), 0)
                time.sleep(1)
                f.send_signal(signal.SIGINT)
                out = f.communicate(timeout=10)[0].decode(errors="replace")
                expect("stopped: web" in out.split("spawned: 'web'")[-1],
                       "%s: maintail -f did not show the stop" % who, out)
                expect_rc(run([SUPERVISORCTL, "-c", conf, "start", "web"]), 0)
            s = unix_rpc(c.path("sd.sock"))
            tail = s.supervisor.readLog(-100, 0)
            expect(0 < len(tail) <= 100 and tail.endswith("\n"), "readLog(-100, 0)", tail)
            whole = s.supervisor.readLog(0, 0)
            expect(whole == c.read(c.path("supervisord.log")), "readLog(0, 0) is the file")
            expect(s.supervisor.clearLog() is True, "clearLog")
            expect(os.path.getsize(c.path("supervisord.log")) < len(whole), "clearLog emptied")
            r = c.ctl("maintail", "-n", "2")
            expect_rc(r, 0, "corralctl maintail")
            f = subprocess.Popen(c.ctl_argv("maintail", "-f"), stdout=subprocess.PIPE)
            time.sleep(0.5)
            expect_rc(c.ctl("restart", "web"), 0)
            time.sleep(0.5)
            f.send_signal(signal.SIGINT)
            out = f.communicate(timeout=10)[0].decode(errors="replace")
            expect("spawned: 'web'" in out, "corralctl maintail -f missed the restart", out)
        finally:
            sd.stop()


def test_reopen_after_logrotate_moved_the_file():
    """logrotate's way: the file is moved, then SIGUSR2 (or corralctl
    reopen); the lines after go to a new file by the old name."""
    with Corral("[program:one]\ncommand = /bin/sh -c 'exec sleep 1000' @TAG@\nstartsecs = 0\n",
                start=False, name="mainlog_reopen",
                corral_extra="logfile = @DIR@/main.log\n") as c:
        c.start()
        c.wait_running(["one"])
        path = c.path("main.log")
        for i, how in enumerate(("signal", "ctl")):
            os.rename(path, path + ".moved%d" % i)
            if how == "signal":
                c.signal(signal.SIGUSR2)
            else:
                expect_rc(c.ctl("reopen"), 0, "corralctl reopen")
            wait_until(lambda: os.path.exists(path), 5, "the log made again (%s)" % how)
            expect_rc(c.ctl("restart", "one"), 0)
            wait_until(lambda: "spawned: 'one'" in c.read(path, ""), 5,
                       "the restart logged in the new file (%s)" % how)


def test_bad_logfile_is_an_error():
    """A logfile whose directory is missing: --check and the start both
    fail, naming it; no logfile: maintail says so, readLog is NO_FILE."""
    with Corral("[program:one]\ncommand = /bin/true\n", start=False, name="mainlog_bad",
                corral_extra="logfile = @DIR@/nodir/main.log\n") as c:
        r = run([c.corrald_bin, "--check", "-c", c.conf])
        expect(r.rc == 2 and "nodir/main.log" in r.err, "--check of a bad logfile", r)
        r = run([c.corrald_bin, "-n", "-c", c.conf], timeout=20)
        expect(r.rc == 2 and "logfile" in r.err and "nodir" in r.err and "No such file" in r.err,
               "start with a bad logfile", r)
        c.corral_extra = ""
        c.write_config("[program:one]\ncommand = /bin/sh -c 'exec sleep 1000' @TAG@\n")
        c.start()
        r = c.ctl("maintail")
        expect(r.rc != 0 and "no log file" in r.out + r.err, "maintail without a logfile", r)
