"""corralctl top: the live screen, driven in tmux as a person would (keys in
with send-keys, the screen out with capture-pane), each test on a tmux
server of its own (-L, a unique socket) that it kills by that socket at the
end; --once and a run without a terminal print one snapshot as text; and
an idle corrald with top attached makes no system call (strace -c)."""

import os
import re
import subprocess
import time
import uuid

from harness import Corral, SLEEP, children_of, expect, expect_rc, prog, run, wait_until

TMUX = "/usr/bin/tmux"


class Screen:
    """corralctl top in a tmux pane of WIDTH x HEIGHT, run by sh so that
    what follows its exit (the shell's line) shows whether the terminal
    was given back."""

    def __init__(self, c, width=80, height=24, args=()):
        self.server = "corral-top-%d-%s" % (os.getpid(), uuid.uuid4().hex[:10])
        argv = " ".join("'%s'" % a for a in c.ctl_argv("top", *args))
        # the shell outlives a Ctrl-C (its trap), to show what follows top
        cmd = "trap : INT; %s; echo TOP-EXITED rc=$?; exec sleep 1000" % argv
        env = dict(os.environ, TERM="xterm")
        env.pop("TMUX", None)
        r = run([TMUX, "-L", self.server, "-f", "/dev/null", "new-session", "-d",
                 "-x", str(width), "-y", str(height), "sh", "-c", cmd], env=env)
        expect_rc(r, 0, "tmux new-session")

    def tmux(self, *args):
        return run([TMUX, "-L", self.server] + list(args))

    def text(self):
        r = self.tmux("capture-pane", "-p")
        return r.out

    def keys(self, *keys):
        expect_rc(self.tmux("send-keys", *keys), 0, "tmux send-keys")

    def literal(self, text):
        expect_rc(self.tmux("send-keys", "-l", text), 0, "tmux send-keys -l")

    def wait(self, pred, what, timeout=10):
        """Wait until PRED(screen text) is true; the text."""
        last = [""]

        def check():
            last[0] = self.text()
            return pred(last[0])
        wait_until(check, timeout, lambda: "%s; the screen:\n%s" % (what, last[0]))
        return last[0]

    def wait_text(self, needle, timeout=10):
        return self.wait(lambda t: needle in t, repr(needle), timeout)

    def row(self, name, text=None):
        """The table's row of NAME, split into cells, or None."""
        for line in (text if text is not None else self.text()).splitlines():
            cells = line.split()
            if cells and cells[0] == name:
                return cells
        return None

    def pane_pid(self):
        return int(self.tmux("display-message", "-p", "#{pane_pid}").out.strip())

    def close(self):
        self.tmux("kill-server")  # this server only, by its socket


def state_of(screen, name, text=None):
    """NAME's state on the screen (TEXT: a capture of it), or None."""
    r = screen.row(name, text)
    return r[1] if r and len(r) > 1 else None


def test_top_lists_every_program_with_its_state():
    cfg = (prog("alpha", SLEEP) + prog("beta", SLEEP, autostart=False)
           + prog("gamma", SLEEP, numprocs=2, process_name="%(program_name)s_%(process_num)s")
           + "[group:pair]\nprograms = one, two\n\n" + prog("one", SLEEP) + prog("two", SLEEP))
    with Corral(cfg, name="top_list") as c:
        c.wait_running(["alpha", "gamma:gamma_0", "gamma:gamma_1", "pair:one", "pair:two"])
        s = Screen(c)
        try:
            t = s.wait(lambda t: state_of(s, "alpha", t) == "RUNNING" and state_of(s, "beta", t) == "STOPPED",
                       "alpha RUNNING and beta STOPPED")
            expect("6 processes" in t, "the title counts the processes", t)
            for heading in ("[gamma]", "[pair]"):
                expect(heading in t, "group heading %s" % heading, t)
            # a [group:]'s heading carries its state
            expect(re.search(r"^\[pair\]\s+RUNNING\s*$", t, re.M), "[pair]'s state", t)
            for name in ("gamma_0", "gamma_1", "one", "two"):
                expect(s.row(name, t) and s.row(name, t)[1] == "RUNNING",
                       "%s listed RUNNING under its group" % name, t)
            head = t.splitlines()[1].split()
            expect(head[:5] == ["NAME", "STATE", "PID", "UPTIME", "RST"], "column headings", head)
            alpha = s.row("alpha", t)
            expect(alpha[2] == str(c.status("alpha")["alpha"]["pid"]), "alpha's pid", alpha)
        finally:
            s.close()


def test_top_follows_a_reload():
    """A program a reload removes leaves the table (corrald sends its name
    alone), one it adds comes in, without a key."""
    with Corral(prog("keep", SLEEP) + prog("gone", SLEEP), name="top_reload") as c:
        c.wait_running(["keep", "gone"])
        s = Screen(c)
        try:
            s.wait(lambda t: state_of(s, "gone", t) == "RUNNING", "gone RUNNING")
            c.write_config(prog("keep", SLEEP) + prog("added", SLEEP))
            expect_rc(c.ctl("reload"), 0, "reload")
            t = s.wait(lambda t: s.row("gone", t) is None and state_of(s, "added", t) == "RUNNING",
                       "gone off the screen and added RUNNING")
            expect(state_of(s, "keep", t) == "RUNNING", "keep untouched", t)
            expect("2 processes" in t, "the title counts 2", t)
        finally:
            s.close()


def test_top_goes_on_across_reexec():
    """corralctl reexec ends every connection: the screen subscribes again,
    says so, and changes after it still come."""
    with Corral(prog("one", SLEEP) + prog("two", SLEEP), name="top_reexec") as c:
        c.wait_running(["one", "two"])
        s = Screen(c)
        try:
            s.wait(lambda t: state_of(s, "two", t) == "RUNNING", "the table")
            expect_rc(c.ctl("reexec"), 0, "reexec")
            s.wait_text("connected to corrald again")
            expect_rc(c.ctl("stop", "two"), 0, "stop two after the reexec")
            s.wait(lambda t: state_of(s, "two", t) == "STOPPED", "two STOPPED on screen")
        finally:
            s.close()


def test_top_stop_key_asks_first():
    cfg = prog("victim", SLEEP) + prog("bystander", SLEEP)
    with Corral(cfg, name="top_stop") as c:
        c.wait_running(["victim", "bystander"])
        s = Screen(c)
        try:
            s.wait(lambda t: state_of(s, "victim", t) == "RUNNING", "victim RUNNING")
            s.keys("/")
            s.literal("victim")
            s.keys("Enter")
            s.wait(lambda t: s.row("victim", t) and not s.row("bystander", t), "the filter")
            # without a yes, nothing is stopped
            s.keys("x")
            s.wait_text("stop victim? (y/n)")
            s.keys("n")
            s.wait_text("cancelled: stop victim")
            time.sleep(0.3)
            expect(c.state("victim")["state"] == "RUNNING", "victim stopped though the stop was cancelled")
            # with one, it is, and the screen says so by itself
            s.keys("x")
            s.wait_text("stop victim? (y/n)")
            s.keys("y")
            c.wait_state("victim", "STOPPED", 10)
            t = s.wait(lambda t: state_of(s, "victim", t) == "STOPPED", "victim STOPPED on screen")
            expect("victim: stopped" in t.splitlines()[-1], "the result in the status line", t)
            expect(c.state("bystander")["state"] == "RUNNING", "the stop touched only the selection")
        finally:
            s.close()


def test_top_shows_restarts_rising_without_a_key():
    cfg = prog("crashy", "/bin/sh -c 'sleep 0.3; exit 3'", startsecs=0, startretries=1000,
               autorestart=True)
    with Corral(cfg, name="top_crash") as c:
        s = Screen(c)
        try:
            def restarts(t):
                r = s.row("crashy", t)
                return int(r[4]) if r and len(r) > 4 and r[4].isdigit() else None
            # the columns: NAME STATE PID UPTIME RST, with UPTIME one cell
            first = restarts(s.wait(lambda t: restarts(t) is not None, "crashy's row"))
            s.wait(lambda t: (restarts(t) or 0) >= first + 3, "crashy's restarts to rise past %d" % first)
        finally:
            s.close()


def test_top_log_search_and_stream_switch():
    script = ("import sys, time\n"
              "for i in range(60):\n"
              "    print('line %d' % i + (' needle-here' if i == 17 else ''), flush=True)\n"
              "print('ERR-ONLY-LINE', file=sys.stderr, flush=True)\n"
              "time.sleep(1000)\n")
    cfg = prog("talker", "@PY@ @DIR@/talk.py", startsecs=0)
    with Corral(cfg, scripts={"talk.py": script}, name="top_log") as c:
        c.wait_running(["talker"])
        wait_until(lambda: "line 59" in (c.read(c.log("talker")) or ""), 10, "talker's log")
        s = Screen(c)
        try:
            s.wait_text("-- log of talker (stdout)")
            s.wait_text("line 59")
            s.keys("?")
            s.literal("needle")
            s.keys("Enter")
            t = s.wait_text('"needle": line 18 of')
            expect("line 17 needle-here" in t, "the line found is on screen", t)
            s.keys("n")
            s.wait_text('"needle": no older match')
            # stderr instead
            s.keys("Escape")
            s.keys("e")
            t = s.wait_text("ERR-ONLY-LINE")
            expect("-- log of talker (stderr)" in t, "the pane says which stream", t)
            expect("line 59" not in t, "stdout's lines gone from the stderr pane", t)
        finally:
            s.close()


def test_top_redraws_on_resize():
    cfg = prog("web", SLEEP)
    with Corral(cfg, name="top_resize") as c:
        c.wait_running(["web"])
        s = Screen(c)
        try:
            def sep_width(t):
                for line in t.splitlines():
                    if line.startswith("-- log of"):
                        return len(line.rstrip())
                return None
            t = s.wait(lambda t: sep_width(t) == 80, "the log's rule across 80 columns")
            expect(len(t.splitlines()) <= 24, "24 lines", t)
            s.tmux("resize-window", "-x", "100", "-y", "30")
            t = s.wait(lambda t: sep_width(t) == 100, "the rule across 100 columns after the resize")
            last = t.splitlines()
            expect(s.row("web", t) and s.row("web", t)[1] == "RUNNING", "the table redrawn", t)
            expect(len(last) <= 30, "30 lines", t)
        finally:
            s.close()


def test_top_gives_the_terminal_back():
    cfg = prog("web", SLEEP)
    with Corral(cfg, name="top_exit") as c:
        c.wait_running(["web"])
        for how in ("q", "C-c", "TERM"):
            s = Screen(c)
            try:
                s.wait(lambda t: state_of(s, "web", t) == "RUNNING", "the table")
                if how == "TERM":
                    kids = [p for p, _ in children_of(s.pane_pid())]
                    expect(len(kids) == 1, "one corralctl under the pane's shell", kids)
                    os.kill(kids[0], 15)
                else:
                    s.keys(how)
                t = s.wait_text("TOP-EXITED rc=0")
                # the normal screen again: the shell's line at the top, no table
                expect("corral top:" not in t, "the table left on screen after %s" % how, t)
                expect(t.splitlines()[0].startswith("TOP-EXITED"), "the shell's screen after %s" % how, t)
                r = s.tmux("display-message", "-p", "#{alternate_on}")
                expect(r.out.strip() == "0", "the alternate screen still on after %s" % how, r)
            finally:
                s.close()


def test_top_once_and_without_a_terminal():
    cfg = prog("alpha", SLEEP) + prog("beta", SLEEP, autostart=False)
    with Corral(cfg, name="top_once") as c:
        c.wait_running(["alpha"])
        for args in (("top", "--once"), ("top",), ("top", "--once", "--usage")):
            r = c.ctl(*args)   # stdin and stdout are not a terminal here
            expect_rc(r, 0, " ".join(args))
            lines = r.out.splitlines()
            expect(lines and lines[0].split()[:5] == ["NAME", "STATE", "PID", "UPTIME", "RST"],
                   "a heading line", r)
            rows = {l.split()[0]: l.split() for l in lines[1:]}
            expect(rows.get("alpha", [None, None])[1] == "RUNNING", "alpha RUNNING", r)
            expect(rows.get("beta", [None, None])[1] == "STOPPED", "beta STOPPED", r)
            expect("\x1b" not in r.out, "no terminal escapes in plain text", r)
            if "--usage" in args:
                head = lines[0].split()
                expect("MEM" in head and "CPU%" in head, "the usage columns", r)
                mem = rows["alpha"][head.index("MEM")]
                expect(re.match(r"^[0-9.]+[BKMG]$", mem), "alpha's memory", r)
        r = c.ctl("top", "--bogus")
        expect_rc(r, 2, "top --bogus")


def strace_count(c, seconds):
    """strace -c -f of corrald for SECONDS: the rows of its count (one per
    system call made), and the whole summary."""
    out = c.path("strace.out")
    errf = open(c.path("strace.err"), "w")
    st = subprocess.Popen(["strace", "-c", "-f", "-p", str(c.pid), "-o", out],
                          stdin=subprocess.DEVNULL, stdout=errf, stderr=errf)
    try:
        wait_until(lambda: "attached" in (c.read(c.path("strace.err")) or ""), 5,
                   "strace to attach")
        time.sleep(seconds)
    finally:
        st.send_signal(2)  # by its PID: strace prints its count and detaches
        try:
            st.wait(10)
        except subprocess.TimeoutExpired:
            st.kill()
            st.wait()
        errf.close()
    summary = c.read(out) or ""
    rows = [l for l in summary.splitlines()
            if re.match(r"^\s*\d+\.\d+\s+\d", l) and not l.strip().endswith("total")]
    return rows, summary


def test_top_attached_to_an_idle_corrald_costs_no_system_call():
    cfg = prog("quiet", SLEEP) + prog("still", SLEEP)
    with Corral(cfg, name="top_idle") as c:
        c.wait_running(["quiet", "still"])
        s = Screen(c)
        try:
            s.wait(lambda t: state_of(s, "quiet", t) == "RUNNING", "the table")
            s.wait_text("-- log of quiet (stdout)")
            time.sleep(0.5)
            rows, summary = strace_count(c, 10)
            # epoll_wait that began before strace attached and is still
            # waiting is not counted by -c: only calls made in the 10 s are
            expect(not rows, "idle corrald with top attached made system calls in 10 s:\n"
                   + summary)
            expect(c.alive(), "corrald died under strace")
            t = s.text()
            expect(state_of(s, "quiet", t) == "RUNNING", "top still shows the table", t)
            # and a change still reaches the screen at once
            expect_rc(c.ctl("stop", "still"), 0, "stop still")
            s.wait(lambda t: state_of(s, "still", t) == "STOPPED", "still STOPPED on screen", 5)
            # the same count sees the calls of the CPU and memory columns
            # (u): once a second while they are shown, and only then
            s.keys("u")
            s.wait(lambda t: "CPU%" in t.splitlines()[1], "the CPU% column")
            rows, summary = strace_count(c, 3)
            expect(rows, "CPU and memory shown, yet strace counted no system call:\n" + summary)
            s.keys("u")
            s.wait(lambda t: "CPU%" not in t.splitlines()[1], "the CPU% column gone")
            time.sleep(0.5)
            rows, summary = strace_count(c, 3)
            expect(not rows, "the columns hidden again, corrald still made system calls:\n" + summary)
        finally:
            s.close()
