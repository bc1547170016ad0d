"""The README, run as a new user would: every `$ command` (and `# command`,
as root) in its indented blocks runs, in the order shown, against corrald
on the example configs it names, and prints what the README shows after it.

Shown output is matched line by line: pids, uptimes, scope names and
timestamps stand for any such value, runs of blanks for any blanks, and a
line `...` for any lines at all; every other number must be as shown. The examples'
/tmp paths are moved into the test's temp dir, so that a `make run` going
beside the tests is not disturbed; nothing else is changed in a command.
"""

import os
import re
import signal
import subprocess
import time

from harness import (REPO, Corral, build_dir, expect, run, wait_until)

README = os.path.join(REPO, "README.md")
CMD_RE = re.compile(r"^    ([$#]) (.*)$")


def readme_blocks():
    """[(section, [(prompt, command, [shown output lines])])] for each indented
    block of the README that holds at least one command."""
    blocks, section, cur = [], "", None
    with open(README) as f:
        lines = f.read().split("\n")
    for line in lines + [""]:
        if line.startswith("## "):
            section = line[3:]
        if line.startswith("    "):
            m = CMD_RE.match(line)
            if m:
                cur = cur if cur is not None else []
                cur.append((m.group(1), m.group(2), []))
            elif cur:
                cur[-1][2].append(line[4:])
            continue
        if cur:
            blocks.append((section, cur))
        cur = None
    return blocks


# What differs from run to run in shown output: a pid, an uptime, the name
# `corralctl run` gives its scope, a timestamp. Other numbers (exit
# statuses, results) must be as shown.
VARIABLE = re.compile(r"(pid \d+|uptime \d+:\d\d:\d\d|run-\d+|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


def pattern(shown):
    """A regex for one shown output line."""
    out = ""
    for i, part in enumerate(VARIABLE.split(shown)):
        for bit in re.split(r"(\s+)", part):
            if bit.isspace():
                out += r"\s+"
            elif i % 2:
                out += "".join(r"\d+" if x.isdigit() else re.escape(x)
                               for x in re.split(r"(\d+)", bit) if x)
            else:
                out += re.escape(bit)
    return re.compile("^" + out + "$")


class Examples:
    """The example configs, copied with their /tmp paths moved under DIR."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.paths = {}
        for name in ("demo", "pool", "init"):
            src = os.path.join(REPO, "examples", name + ".conf")
            with open(src) as f:
                text = f.read()
            dst = os.path.join(tmp, name + ".conf")
            with open(dst, "w") as f:
                f.write(self.move(text))
            self.paths["examples/%s.conf" % name] = dst

    def move(self, text):
        return re.sub(r"/tmp/(corral-(?:[a-z]+-)?demo)", lambda m: os.path.join(self.tmp, m.group(1)),
                      text)

    def command(self, cmd):
        cmd = self.move(cmd)
        for k, v in self.paths.items():
            cmd = cmd.replace(k, v)
        return re.sub(r"(^|[\s|;&])build/", lambda m: m.group(1) + build_dir() + "/", cmd)


def demo_corral(name, conf_name):
    """A Corral running corrald on examples/CONF_NAME with its paths moved."""
    c = Corral(start=False, make_dirs=False, name=name)
    ex = Examples(c.tmp)
    with open(ex.paths["examples/%s" % conf_name]) as f:
        text = f.read()
    c.sock = re.search(r"^socket = (.*)$", text, re.M).group(1)
    c.write_config(text, raw=True)
    return c, ex


def run_block(ex, cmds, env):
    """Run a block's commands in order; return [(command, rc, output, shown)].
    A command with no output shown must exit 0, unless the next one shows
    its status (`echo $?`)."""
    last_rc, out = 0, []
    for i, (prompt, cmd, shown) in enumerate(cmds):
        shows_rc = i + 1 < len(cmds) and cmds[i + 1][1].startswith("echo $?")
        expect(prompt == "$" or os.geteuid() == 0, "a `#` command needs root: " + cmd)
        real = ex.command(cmd)
        if re.match(r"^echo \S*\$\?", real):
            real = real.replace("$?", str(last_rc))
        if "tail -f" in real:
            # Follows forever: what it prints in a few seconds is enough.
            p = subprocess.Popen(["/bin/sh", "-c", real], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, env=env,
                                 start_new_session=True)
            try:
                text, _ = p.communicate(timeout=7)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)   # sh and the corralctl it started
                text, _ = p.communicate()
            expect(text.strip(), "`%s` printed nothing in 7 s" % cmd)
            out.append((cmd, 0, text, shown))
            continue
        r = run(["/bin/sh", "-c", real + " 2>&1"], timeout=40, env=env)
        last_rc = r.rc
        out.append((cmd, r.rc, r.out, shown))
        if not shown and not shows_rc:
            expect(r.rc == 0, "README command `%s` exited %s: %s" % (cmd, r.rc, r.out[-600:]))
    return out


def matches(want, got):
    """Do the lines GOT match the shown lines WANT (`...`: any lines)?"""
    if not want:
        return not got
    if want[0] == "...":
        return any(matches(want[1:], got[i:]) for i in range(len(got) + 1))
    return bool(got) and bool(pattern(want[0]).match(got[0])) and matches(want[1:], got[1:])


def compare(cmd, text, shown):
    got = [l for l in text.split("\n") if l.strip()]
    want = [l for l in shown if l.strip()]
    expect(matches(want, got),
           "README shows after `%s`:\n%s\nbut it printed:\n%s" % (cmd, "\n".join(want), "\n".join(got)))


def test_readme_tour_prints_what_it_shows():
    blocks = dict((s, b) for s, b in readme_blocks())
    tour = blocks.get("A short tour")
    expect(tour and len(tour) >= 5, "the README has its tour", tour)
    c, ex = demo_corral("readme_tour", "demo.conf")
    with c:
        c.start()
        env = c.env()
        for name in ("web", "worker:worker_00", "worker:worker_01", "ticker"):
            c.wait_state(name, "RUNNING", 15)
        for cmd, rc, text, shown in run_block(ex, tour, env):
            if shown:
                compare(cmd, text, shown)
        # The README's own example of a reload: a config that still checks.
        r = run([os.path.join(build_dir(), "corrald"), "--check", "-c", c.conf])
        expect(r.rc == 0, "the demo config checks", r)


def test_readme_status_is_steady():
    """The tour's first command exits 0 however long the demo has been up:
    nothing in the demo is ever STARTING between runs."""
    c, ex = demo_corral("readme_steady", "demo.conf")
    with c:
        c.start()
        for name in ("web", "worker:worker_00", "worker:worker_01", "ticker"):
            c.wait_state(name, "RUNNING", 15)
        # 12 s: three of the ticker's 4-second periods, two of the worker's.
        end = time.monotonic() + 12
        n = 0
        while time.monotonic() < end:
            r = c.ctl("-c", c.conf, "status", sock=False)
            expect(r.rc == 0, "status of the demo exited %s after %d good runs" % (r.rc, n), r)
            n += 1
            time.sleep(0.1)
test_readme_status_is_steady.timeout = 90


def test_readme_scopes_commands():
    blocks = [b for s, b in readme_blocks() if s.startswith("Scopes")]
    expect(blocks, "the README's scopes section has commands")
    c, ex = demo_corral("readme_scopes", "demo.conf")
    with c:
        c.start()
        env = c.env()
        for block in blocks:
            for cmd, rc, text, shown in run_block(ex, block, env):
                if shown:
                    compare(cmd, text, shown)
test_readme_scopes_commands.timeout = 90


def test_readme_pool_commands():
    blocks = [b for s, b in readme_blocks() if s.startswith("Pools")]
    expect(blocks, "the README's pools section has commands")
    c, ex = demo_corral("readme_pools", "pool.conf")
    with c:
        c.start()
        env = c.env()
        for block in blocks:
            for cmd, rc, text, shown in run_block(ex, block, env):
                if shown:
                    compare(cmd, text, shown)


def test_readme_commands_are_all_run():
    """Every block with commands belongs to a section a test above runs."""
    ran = ("A short tour", "Scopes", "Pools")
    for section, cmds in readme_blocks():
        expect(section.startswith(ran), "README section %r has commands no test runs: %s"
               % (section, [c for _, c, _ in cmds]))


def test_readme_man_pages_read():
    """`man -l man/X` works after `make check` installed its packages."""
    for page, title in (("corrald.8", "CORRALD"), ("corralctl.1", "CORRALCTL"),
                        ("corral.conf.5", "CORRAL.CONF")):
        r = run(["man", "-l", os.path.join(REPO, "man", page)], env=dict(os.environ, MANPAGER="cat",
                                                                          PAGER="cat", MANWIDTH="80"))
        expect(r.rc == 0 and title in r.out.upper()[:400], "man -l man/%s" % page, r)
