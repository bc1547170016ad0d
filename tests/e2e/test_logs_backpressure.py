"""Logs under back-pressure (issue 5): a worker's output reaches its log file
byte for byte however fast it writes, through rotations, rate limits, a full
disk, a kill in the middle of a line, overlong lines, time stamps, pass-through
and logrotate's reopen; `corralctl tail` reads and follows it; and corrald's
memory stays bounded all along.

Knobs (environment): CORRAL_LOG_BYTES (default 1 GiB) what the fast writer
writes in the throughput test; CORRAL_LOG_ROTATE_BYTES (default 256 MiB) in
the rotation test. Fast workers are a small C program compiled into each
test's temp dir with cc.
"""

import datetime
import os
import re
import select
import signal
import subprocess
import tempfile
import time

from harness import Corral, corralctl_path, expect, expect_rc, prog, wait_until


def env_bytes(name, default):
    try:
        return max(1 << 20, int(os.environ.get(name, default)))
    except ValueError:
        return default


LOG_BYTES = env_bytes("CORRAL_LOG_BYTES", 1 << 30)
ROTATE_BYTES = env_bytes("CORRAL_LOG_ROTATE_BYTES", 256 << 20)
LINE = 100          # bytes per line of the C writer, newline included
RSS_MAX_KIB = 8 * 1024

# lw gen BYTES LINELEN SUMMARY [PROGRESS]: fixed-length numbered lines to stdout,
# as fast as write(2) takes them; at the end "bytes lines hash" (of the
# stream, computed while generating) into SUMMARY; the lines written so far
# into PROGRESS after each write. lw check SUMMARY LINELEN FILE...: the files,
# in order, hold exactly that stream: every line once, in order, no line
# split across two files, the same bytes and hash.
LW_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct hash { uint64_t h, carry, n; int nc; };

static void hmix(struct hash *s, uint64_t w)
{
	s->h = (s->h ^ w) * 0x9E3779B97F4A7C15ULL;
	s->h ^= s->h >> 29;
}

static void hupdate(struct hash *s, const unsigned char *p, size_t len)
{
	s->n += len;
	while (len && s->nc) {
		s->carry |= (uint64_t)*p++ << (8 * s->nc);
		len--;
		if (++s->nc == 8) { hmix(s, s->carry); s->carry = 0; s->nc = 0; }
	}
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		hmix(s, w);
	}
	while (len) {
		s->carry |= (uint64_t)*p++ << (8 * s->nc);
		s->nc++;
		len--;
	}
}

static uint64_t hfinal(struct hash *s)
{
	if (s->nc)
		hmix(s, s->carry);
	hmix(s, s->n);
	return s->h;
}

static const char alpha[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";

static void line(char *p, unsigned long long i, size_t len)
{
	unsigned long long v = i;
	for (int k = 11; k >= 0; k--) { p[k] = (char)('0' + v % 10); v /= 10; }
	p[12] = ' ';
	memcpy(p + 13, alpha + i % 26, len - 14);
	p[len - 1] = '\n';
}

static int gen(unsigned long long bytes, size_t ll, const char *summary, const char *progress)
{
	size_t per = (256 * 1024) / ll;
	char *buf = malloc(per * ll);
	int pfd = progress ? open(progress, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
	unsigned long long lines = (bytes + ll - 1) / ll, i = 0;
	struct hash h = { 0 };
	if (!buf || ll < 20 || ll > 200)
		return 2;
	while (i < lines) {
		size_t n = lines - i < per ? (size_t)(lines - i) : per;
		for (size_t k = 0; k < n; k++)
			line(buf + k * ll, i + k, ll);
		hupdate(&h, (unsigned char *)buf, n * ll);
		for (size_t off = 0; off < n * ll;) {
			ssize_t w = write(1, buf + off, n * ll - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				perror("lw gen: write");
				return 1;
			}
			off += (size_t)w;
			if (pfd >= 0) {
				char t[32];
				int m = snprintf(t, sizeof t, "%llu\n", i * ll + off);
				if (pwrite(pfd, t, (size_t)m, 0) < 0)
					return 1;
			}
		}
		i += n;
	}
	FILE *f = fopen(summary, "w");
	if (!f)
		return 1;
	fprintf(f, "%llu %llu %016llx\n", (unsigned long long)h.n, lines,
		(unsigned long long)hfinal(&h));
	return fclose(f) ? 1 : 0;
}

static int check(const char *summary, size_t ll, char **files, int nf)
{
	unsigned long long wbytes, wlines, whash, i = 0;
	FILE *f = fopen(summary, "r");
	if (!f || fscanf(f, "%llu %llu %llx", &wbytes, &wlines, &whash) != 3) {
		printf("no summary from the writer (%s)\n", summary);
		return 2;
	}
	fclose(f);
	struct hash h = { 0 };
	char want[256];
	for (int fi = 0; fi < nf; fi++) {
		int fd = open(files[fi], O_RDONLY);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0) {
			printf("%s: %s\n", files[fi], strerror(errno));
			return 1;
		}
		size_t sz = (size_t)st.st_size;
		if (!sz) {
			close(fd);
			continue;
		}
		unsigned char *m = mmap(NULL, sz, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		if (m == MAP_FAILED) {
			printf("mmap %s: %s\n", files[fi], strerror(errno));
			return 1;
		}
		hupdate(&h, m, sz);
		for (size_t off = 0; off < sz; off += ll, i++) {
			line(want, i, ll);
			if (sz - off < ll || memcmp(m + off, want, ll)) {
				size_t k = 0;
				while (k < ll && off + k < sz && m[off + k] == (unsigned char)want[k])
					k++;
				printf("%s (file %d of %d, %zu bytes): at offset %zu, line %llu differs "
				       "from byte %zu: expected %.*s, found %.*s\n", files[fi], fi + 1,
				       nf, sz, off, i, k, (int)(ll - 1), want,
				       (int)(sz - off < 60 ? sz - off : 60), (char *)m + off);
				return 1;
			}
		}
		munmap(m, sz);
	}
	uint64_t got = hfinal(&h);
	if (i != wlines || h.n != wbytes || got != whash) {
		printf("the files hold %llu lines, %llu bytes, hash %016llx; the writer wrote "
		       "%llu lines, %llu bytes, hash %016llx\n", i, (unsigned long long)h.n,
		       (unsigned long long)got, wlines, wbytes, whash);
		return 1;
	}
	printf("ok %llu lines %llu bytes\n", i, (unsigned long long)h.n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "gen"))
		return gen(strtoull(argv[2], NULL, 10), strtoul(argv[3], NULL, 10), argv[4],
			   argc > 5 ? argv[5] : NULL);
	if (argc >= 4 && !strcmp(argv[1], "check"))
		return check(argv[2], strtoul(argv[3], NULL, 10), argv + 4, argc - 4);
	fprintf(stderr, "usage: lw gen BYTES LINELEN SUMMARY [PROGRESS] | "
		"lw check SUMMARY LINELEN FILE...\n");
	return 2;
}
"""


def build_lw(c):
    """Compile the writer into the test's temp dir; its path."""
    src, exe = c.path("lw.c"), c.path("lw")
    with open(src, "w") as f:
        f.write(LW_C)
    r = subprocess.run(["cc", "-std=gnu11", "-O2", "-Wall", "-o", exe, src],
                       capture_output=True, text=True, timeout=60)
    expect(r.returncode == 0, "cc lw.c failed: %s" % r.stderr[-2000:])
    return exe


def lw_check(c, files, summary="sum", timeout=120):
    r = subprocess.run([c.path("lw"), "check", c.path(summary), str(LINE)] + list(files),
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def proc_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def sanitized(pid):
    """corrald built with sanitizers: their runtime's memory dwarfs corrald's own."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return any(("libasan" in l or "libubsan" in l) for l in f)
    except OSError:
        return False


def expect_rss(c, base_hwm, what):
    """corrald's peak RSS under 8 MiB (under ASan: its growth since BASE_HWM)."""
    hwm = proc_kib(c.pid, "VmHWM")
    if sanitized(c.pid):
        expect(hwm - base_hwm < RSS_MAX_KIB,
               "%s: corrald's peak RSS grew by %d KiB (from %d KiB), more than 8 MiB"
               % (what, hwm - base_hwm, base_hwm))
    else:
        expect(hwm < RSS_MAX_KIB, "%s: corrald's peak RSS (VmHWM) is %d KiB, not under 8 MiB"
               % (what, hwm))
    return hwm


def wait_file(path, timeout, what=None):
    wait_until(lambda: os.path.exists(path), timeout, what or ("%s to exist" % path), interval=0.02)


def mib_s(n, secs):
    return n / max(secs, 1e-6) / (1 << 20)


def fast_writer(name, nbytes, **keys):
    # It stays up once done: RUNNING with the pid it started with shows that
    # it ran once.
    k = dict(startsecs=0, autorestart=False, autostart=False)
    k.update(keys)
    return prog(name, "/bin/sh -c '@DIR@/lw gen %d %d @DIR@/sum && exec sleep 1000'"
                % (nbytes, LINE), **k)


def run_fast(c, name, nbytes, timeout):
    """Start NAME (an lw gen) and wait for its summary; when it started."""
    t0 = time.monotonic()
    expect_rc(c.ctl("start", name), 0, "start %s" % name)
    pid = c.status()[name]["pid"]
    wait_file(c.path("sum"), timeout, lambda: "the writer to finish %d MiB (log has %d bytes)"
              % (nbytes >> 20, os.path.getsize(c.log(name)) if os.path.exists(c.log(name)) else 0))
    st = c.status()[name]
    expect(st["state"] == "RUNNING" and st["pid"] == pid, "the writer did not run once", st)
    return t0


# ---------------------------------------------------------------- throughput


def test_log_fast_writer_exact_and_bounded():
    """1 GiB (CORRAL_LOG_BYTES) as fast as it goes: the file holds exactly those
    bytes and corrald stays under 8 MiB resident."""
    n = LOG_BYTES
    cfg = fast_writer("fast", n, stdout_logfile_maxbytes=0)
    with Corral(cfg, name="log_fast", start=False) as c:
        build_lw(c)
        c.start()
        base = proc_kib(c.pid, "VmHWM")
        t0 = run_fast(c, "fast", n, 120)
        # The summary is written once the last write returned: what is left
        # in the pipe goes to the file right after.
        wait_until(lambda: os.path.getsize(c.log("fast")) >= n, 10,
                   lambda: "fast.out to reach %d bytes (has %d)" % (n, os.path.getsize(c.log("fast"))))
        took_all = time.monotonic() - t0
        hwm = expect_rss(c, base, "%d MiB through the log" % (n >> 20))
        ok, msg = lw_check(c, [c.log("fast")])
        expect(ok, "fast.out is not exactly what the worker wrote: " + msg)
        st = c.status()["fast"]
        expect(st["log_dropped"] == 0, "lines dropped without a rate limit", st)
        print("    %d MiB in %.1fs (%.0f MiB/s), corrald VmHWM %d KiB"
              % (n >> 20, took_all, mib_s(n, took_all), hwm))
test_log_fast_writer_exact_and_bounded.timeout = 150


def test_log_rotation_under_load():
    """maxbytes=1MB at full speed: backups (oldest first) then the current
    file are the input, in order, no line split across two files."""
    n = ROTATE_BYTES
    backups = n // (1 << 20) + 5
    cfg = fast_writer("rot", n, stdout_logfile_maxbytes="1MB",
                      stdout_logfile_backups=min(backups, 1000))
    expect(backups <= 1000, "CORRAL_LOG_ROTATE_BYTES too big for 1MB files and 1000 backups")
    with Corral(cfg, name="log_rotate", start=False) as c:
        build_lw(c)
        c.start()
        base = proc_kib(c.pid, "VmHWM")
        run_fast(c, "rot", n, 120)
        cur = c.log("rot")

        def files():
            out = []
            for i in range(1, backups + 2):
                p = "%s.%d" % (cur, i)
                if os.path.exists(p):
                    out.append(p)
            return list(reversed(out)) + [cur]

        wait_until(lambda: sum(os.path.getsize(p) for p in files()) >= n, 10,
                   lambda: "the log files to hold %d bytes" % n)
        fs = files()
        expect(len(fs) >= n // (1 << 20), "only %d files after %d MiB at maxbytes=1MB"
               % (len(fs), n >> 20), fs[-3:])
        # Gaps in the numbering would be lost files.
        nums = sorted(int(p.rsplit(".", 1)[1]) for p in fs[:-1])
        expect(nums == list(range(1, len(nums) + 1)), "backup numbers have gaps", nums[:5], nums[-5:])
        for p in fs[:-1]:
            sz = os.path.getsize(p)
            expect((1 << 20) <= sz < (1 << 20) + LINE, "%s holds %d bytes: not rotated at the first "
                   "line boundary past 1MB" % (os.path.basename(p), sz))
        ok, msg = lw_check(c, fs)
        expect(ok, "backups + current are not the input in order: " + msg)
        expect_rss(c, base, "rotation under load")
test_log_rotation_under_load.timeout = 150


# ---------------------------------------------------------------- rate limits

# Writes LINES numbered lines in BATCHES over SECS seconds, then (after a
# pause that refills the bucket) "END"; the times go to TIMES.
PACED = """\
import os, sys, time
lines, batches, secs, times = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
per = lines // batches
t0 = time.monotonic()
n = 0
for b in range(batches):
    os.write(1, "".join("line %06d\\n" % (n + k) for k in range(per)).encode())
    n += per
    time.sleep(max(0.0, t0 + (b + 1) * secs / batches - time.monotonic()))
t1 = time.monotonic()
time.sleep(1.5)
os.write(1, b"END\\n")
with open(times + ".tmp", "w") as f:
    f.write("%.6f %.6f\\n" % (t0, t1))
os.rename(times + ".tmp", times)
while True:
    time.sleep(1000)
"""


def test_log_rate_drop():
    rate, burst, lines, secs = 1000, 1000, 100000, 2.0
    cfg = prog("drop", "@PY@ @DIR@/paced.py %d 50 %s @DIR@/times" % (lines, secs), startsecs=0,
               log_rate=rate, log_burst=burst, log_overflow="drop")
    with Corral(cfg, scripts={"paced.py": PACED}, name="log_drop") as c:
        wait_file(c.path("times"), 30)
        t0, t1 = [float(x) for x in c.read(c.path("times")).split()]
        wait_until(lambda: "END\n" in (c.read(c.log("drop")) or ""), 10, "END in drop.out")
        text = c.read(c.log("drop"))
        kept, suppressed, notes, bad = [], 0, 0, []
        for l in text.splitlines():
            m = re.match(r"^line (\d{6})$", l)
            if m:
                kept.append(int(m.group(1)))
                continue
            m = re.match(r"^corral: suppressed (\d+) lines$", l)
            if m:
                suppressed += int(m.group(1))
                notes += 1
            elif l != "END":
                bad.append(l)
        expect(not bad, "unexpected lines in drop.out", bad[:5])
        expect(notes >= 1, "no 'corral: suppressed N lines' in drop.out")
        expect(kept == sorted(set(kept)), "kept lines out of order or repeated")
        elapsed = t1 - t0
        want = burst + rate * elapsed
        print("    kept %d of %d in %.2fs (rate*elapsed+burst = %.0f), %d notes"
              % (len(kept), lines, elapsed, want, notes))
        # A second of slack above: corrald may read the last lines late.
        expect(burst <= len(kept) <= want + rate * 1.0 + 10,
               "kept %d lines, expected about %.0f (rate %d/s over %.2fs + burst %d)"
               % (len(kept), want, rate, elapsed, burst))
        expect(len(kept) >= burst + 0.5 * rate * elapsed,
               "kept only %d lines: the bucket did not refill at %d/s over %.2fs"
               % (len(kept), rate, elapsed))
        expect(len(kept) + suppressed == lines,
               "kept %d + suppressed %d != %d written" % (len(kept), suppressed, lines))
        st = c.status()["drop"]
        expect(st["log_dropped"] == suppressed, "status log_dropped %s, the file says %d suppressed"
               % (st["log_dropped"], suppressed), st)


# Writes LINES lines of 200 bytes as fast as it can; start and end times to TIMES.
BURSTY = """\
import os, sys, time
lines, times = int(sys.argv[1]), sys.argv[2]
t0 = time.monotonic()
for i in range(lines):
    os.write(1, ("line %06d " % i + "x" * 188 + "\\n").encode())
t1 = time.monotonic()
with open(times + ".tmp", "w") as f:
    f.write("%.6f %.6f\\n" % (t0, t1))
os.rename(times + ".tmp", times)
while True:
    time.sleep(1000)
"""


def test_log_rate_block():
    rate, burst, lines = 1000, 1000, 5000
    cfg = prog("blk", "@PY@ @DIR@/bursty.py %d @DIR@/times" % lines, startsecs=0,
               log_rate=rate, log_burst=burst, log_overflow="block", log_buffer="4KB")
    with Corral(cfg, scripts={"bursty.py": BURSTY}, name="log_block") as c:
        t_start = time.monotonic()
        c.wait_state("blk", "RUNNING")
        time.sleep(1.0)
        mid = c.status()["blk"]["log_blocked_ms"]
        wait_file(c.path("times"), 30)
        wait_until(lambda: (c.read(c.log("blk")) or "").count("\n") >= lines, 15,
                   lambda: "blk.out to hold %d lines (has %d)"
                   % (lines, (c.read(c.log("blk")) or "").count("\n")))
        t_all = time.monotonic() - t_start
        t0, t1 = [float(x) for x in c.read(c.path("times")).split()]
        got = c.read(c.log("blk")).splitlines()
        want = ["line %06d " % i + "x" * 188 for i in range(lines)]
        expect(got == want, "blk.out is not every line once, in order (%d lines)" % len(got))
        expect_t = (lines - burst) / rate
        # What the pipe (64 KiB) and corrald (log_buffer, once read and once
        # waiting) hold does not slow the writer: ~650 lines of 200 bytes.
        held = (64 * 1024 + 2 * 4096) // 200 + 1
        wt = t1 - t0
        print("    every line in %.2fs (expected about %.1fs), the writer took %.2fs; "
              "log_blocked_ms %s mid-way" % (t_all, expect_t, wt, mid))
        expect(t_all >= 0.8 * expect_t, "all %d lines arrived in %.2fs, faster than %d/s allows"
               % (lines, t_all, rate))
        expect(wt >= 0.8 * (lines - burst - held) / rate,
               "the writer finished in %.2fs: it was not held back to %d lines/s" % (wt, rate))
        expect(mid > 0, "log_blocked_ms was %s while the writer was held back" % mid)
        st = c.status()["blk"]
        expect(st["log_blocked_ms"] >= 0.5 * expect_t * 1000,
               "log_blocked_ms %s after %.1fs of holding back" % (st["log_blocked_ms"], expect_t), st)
        expect(st["log_dropped"] == 0, "lines dropped with log_overflow=block", st)


# ---------------------------------------------------------------- tail

# Prints "rRUN NNNNNN" every 10 ms, RUN counting the starts (in RUNS).
TICKER = """\
import os, sys, time
runs = sys.argv[1]
try:
    run = int(open(runs).read()) + 1
except (OSError, ValueError):
    run = 1
open(runs, "w").write(str(run))
i = 0
while True:
    os.write(1, ("r%d %06d %s\\n" % (run, i, "t" * 40)).encode())
    i += 1
    time.sleep(0.01)
"""

TICK_RE = re.compile(r"^r(\d+) (\d{6}) t{40}$")


class Follower:
    """corralctl tail -f, read without blocking."""

    def __init__(self, c, *args, stdout=subprocess.PIPE):
        self.p = subprocess.Popen([corralctl_path(), "-s", c.sock, "tail", "-f"] + list(args),
                                  stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.buf = b""

    def pump(self, secs):
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                d = os.read(self.p.stdout.fileno(), 1 << 16)
                if not d:
                    return
                self.buf += d

    def wait_for(self, pred, timeout, what):
        end = time.monotonic() + timeout
        while not pred(self.buf):
            if time.monotonic() > end:
                raise AssertionError("timed out after %ss waiting for tail -f to print %s (has %r)"
                                     % (timeout, what, self.buf[-300:]))
            self.pump(0.05)

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(10)
        for f in (self.p.stdout, self.p.stderr):
            if f:
                f.close()


def test_tail_n():
    cfg = prog("twenty", "/bin/sh -c 'for i in $(seq 1 20); do echo line-$i; done; "
               "printf \"no newline\"; exec /bin/sleep 1000'", startsecs=0)
    cfg += prog("nothing", "/bin/sleep 1000", startsecs=0)
    with Corral(cfg, name="tail_n") as c:
        wait_until(lambda: "no newline" in (c.read(c.log("twenty")) or ""), 5, "twenty.out")
        r = c.ctl("tail", "-n", "5", "twenty")
        expect_rc(r, 0, "tail -n 5")
        expect(r.out == "line-17\nline-18\nline-19\nline-20\nno newline", "tail -n 5 printed %r"
               % r.out)
        r = c.ctl("tail", "-n", "3", "twenty", "stdout")
        expect(r.out == "line-19\nline-20\nno newline", "tail -n 3 NAME stdout printed %r" % r.out)
        r = c.ctl("tail", "-n", "5", "nothing")
        expect_rc(r, 0, "tail of a log never written")
        expect(r.out == "", "tail of an empty log printed %r" % r.out)


def test_tail_follow_rotation_restart_sigint():
    cfg = prog("tick", "@PY@ @DIR@/ticker.py @DIR@/runs", startsecs=0,
               stdout_logfile_maxbytes="2KB", stdout_logfile_backups=3)
    with Corral(cfg, scripts={"ticker.py": TICKER}, name="tail_f") as c:
        c.wait_state("tick", "RUNNING")
        wait_until(lambda: len(c.read(c.log("tick")) or "") > 500, 5, "tick.out")
        f = Follower(c, "-n", "5", "tick")
        try:
            f.wait_for(lambda b: b.count(b"\n") >= 5, 5, "the last 5 lines")
            # Across rotations: the file is rotated every ~40 lines (0.4 s).
            rot1 = c.path("log", "tick.out.1")
            first = os.stat(rot1).st_ino if os.path.exists(rot1) else None
            wait_until(lambda: os.path.exists(rot1) and os.stat(rot1).st_ino != first, 5,
                       "a rotation", interval=0.02)
            f.pump(1.0)
            # Across a restart.
            expect_rc(c.ctl("restart", "tick"), 0, "restart")
            f.wait_for(lambda b: b"\nr2 000020 " in b, 10, "20 lines of the second run")
            f.p.send_signal(signal.SIGINT)
            try:
                rc = f.p.wait(10)
            except subprocess.TimeoutExpired:
                raise AssertionError("tail -f still running 10 s after SIGINT")
            f.pump(0.2)
            err = f.p.stderr.read().decode(errors="replace")
            expect(rc == 0, "tail -f exited %s on SIGINT (stderr %r)" % (rc, err))
        finally:
            f.stop()
        lines = f.buf.decode(errors="replace").split("\n")
        expect(lines[-1] == "", "tail -f output does not end with a whole line: %r" % lines[-1][-80:])
        seen = []
        for l in lines[:-1]:
            m = TICK_RE.match(l)
            expect(m, "tail -f printed a line that is not the worker's: %r" % l)
            seen.append((int(m.group(1)), int(m.group(2))))
        runs = [r for r, _ in seen]
        expect(runs == sorted(runs) and set(runs) == {1, 2}, "runs followed: %s" % sorted(set(runs)))
        for run in (1, 2):
            nums = [n for r, n in seen if r == run]
            expect(nums == list(range(nums[0], nums[0] + len(nums))),
                   "tail -f of run %d lost or repeated lines (%d lines from %d)" % (run, len(nums), nums[0]),
                   [b for a, b in zip(nums, nums[1:]) if b != a + 1][:5])
        expect(len([1 for r, _ in seen if r == 1]) >= 100,
               "too few lines of run 1 followed (%d) to have crossed rotations"
               % len([1 for r, _ in seen if r == 1]))
        expect(seen[-1][0] == 2 and seen[[r for r, _ in seen].index(2)][1] == 0,
               "the second run was not followed from its first line")
        # A sigint'ed follower leaves nothing behind in corrald: output goes on.
        size = os.path.getsize(c.log("tick"))
        wait_until(lambda: os.path.getsize(c.log("tick")) != size, 3, "tick.out to go on growing")
        expect(c.alive(), "corrald died")
test_tail_follow_rotation_restart_sigint.timeout = 60


def test_tail_follower_that_never_reads():
    n = 128 << 20
    cfg = prog("fw", "/bin/sh -c '@DIR@/lw gen %d %d @DIR@/sum; "
               "while [ ! -e @DIR@/go ]; do sleep 0.05; done; echo END; exec sleep 1000'" % (n, LINE),
               startsecs=0, autostart=False, stdout_logfile_maxbytes=0)
    with Corral(cfg, name="tail_stuck", start=False) as c:
        build_lw(c)
        c.start()
        base = proc_kib(c.pid, "VmHWM")
        # Its stdout is a pipe nobody reads: it blocks once 64 KiB are in it.
        f = Follower(c, "-n", "0", "fw")
        try:
            time.sleep(0.3)
            if f.p.poll() is not None:
                raise AssertionError("tail -f exited early (%s): %s" % (f.p.returncode, f.p.stderr.read()))
            t0 = time.monotonic()
            expect_rc(c.ctl("start", "fw"), 0, "start")
            wait_file(c.path("sum"), 60, lambda: "the writer to finish %d MiB with a stuck follower "
                      "(log has %d bytes)" % (n >> 20, os.path.getsize(c.log("fw"))))
            took = time.monotonic() - t0
            wait_until(lambda: os.path.getsize(c.log("fw")) >= n, 10, "fw.out complete")
            expect_rss(c, base, "a follower that never reads")
            ok, msg = lw_check(c, [c.log("fw")])
            expect(ok, "fw.out with a stuck follower: " + msg)
            print("    %d MiB with a stuck follower in %.1fs (%.0f MiB/s)" % (n >> 20, took, mib_s(n, took)))
            # The follower reads at last: it got the first output, and is told
            # what it missed before the next line.
            f.pump(1.0)
            open(c.path("go"), "w").close()
            f.wait_for(lambda b: b"END\n" in b, 10, "END")
            text = f.buf.decode(errors="replace")
            expect(re.search(r"\[corral: \d+ bytes not shown, the reader was too slow\]\n", text),
                   "the slow follower was not told what it missed", text[-300:])
            expect(text.startswith("000000000000 "), "the follower did not start with the first line",
                   text[:80])
            expect(f.p.poll() is None, "tail -f exited")
        finally:
            f.stop()
test_tail_follower_that_never_reads.timeout = 90


# ---------------------------------------------------------------- a full disk


def test_log_full_disk_holds_then_resumes():
    """A 2 MiB tmpfs as logdir, 1 MiB of it taken: the worker writes 1.5 MiB.
    corrald says so once, holds the worker back, counts the blocked time;
    once space is back every line arrives, once, in order."""
    mnt = tempfile.mkdtemp(prefix="corral-e2e-tmpfs-")
    mounted = False
    n = 1536 * 1024
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", mnt],
                           capture_output=True, text=True)
        expect(r.returncode == 0, "cannot mount a tmpfs (root needed): %s" % r.stderr.strip())
        mounted = True
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (1024 * 1024))
        cfg = prog("full", "@DIR@/lw gen %d %d @DIR@/sum @DIR@/progress" % (n, LINE), startsecs=0,
                   autostart=False, autorestart=False)
        with Corral(cfg, name="log_full", start=False, logdir=mnt) as c:
            build_lw(c)
            c.start()
            base = proc_kib(c.pid, "VmHWM")
            expect_rc(c.ctl("start", "full"), 0, "start")

            def progress():
                try:
                    return int(c.read(c.path("progress")) or 0)
                except ValueError:
                    return 0
            # Held: its progress stops short of the end.
            wait_until(lambda: "No space left on device" in c.stderr_text(), 10,
                       "corrald to report the full disk")
            p1 = progress()
            time.sleep(1.5)
            p2 = progress()
            b1 = c.status()["full"]["log_blocked_ms"]
            time.sleep(2.2)
            p3 = progress()
            b2 = c.status()["full"]["log_blocked_ms"]
            expect(p2 < n and p3 == p2, "the worker was not held back: it wrote %d, %d, then %d bytes "
                   "of %d" % (p1, p2, p3, n))
            expect(not os.path.exists(c.path("sum")), "the worker finished on a full disk")
            st = c.status()["full"]
            expect(st["state"] == "RUNNING", "the worker is not running while held", st)
            expect(b2 > b1, "log_blocked_ms did not grow while the worker was held (%s, then %s "
                   "2.2 s later)" % (b1, b2))
            # Space comes back.
            os.unlink(filler)
            wait_file(c.path("sum"), 15, lambda: "the worker to finish once space is back "
                      "(progress %d of %d)" % (progress(), n))
            wait_until(lambda: os.path.getsize(c.log("full")) >= n, 10,
                       lambda: "full.out to reach %d bytes (has %d)" % (n, os.path.getsize(c.log("full"))))
            ok, msg = lw_check(c, [c.log("full")])
            expect(ok, "full.out after the disk was full: " + msg)
            errs = [l for l in c.stderr_text().splitlines() if "No space left on device" in l]
            expect(len(errs) == 1, "corrald reported the full disk %d times, not once" % len(errs),
                   errs[:3])
            expect(c.status()["full"]["log_blocked_ms"] >= 3000,
                   "log_blocked_ms after ~4 s held", c.status()["full"])
            expect_rss(c, base, "a full disk")
    finally:
        if mounted:
            for _ in range(50):
                if subprocess.run(["umount", mnt], capture_output=True).returncode == 0:
                    mounted = False
                    break
                time.sleep(0.1)
            if mounted:
                subprocess.run(["umount", "-l", mnt], capture_output=True)
        try:
            os.rmdir(mnt)
        except OSError:
            pass
test_log_full_disk_holds_then_resumes.timeout = 60


# ---------------------------------------------------------------- line ends


# First run: "abc" and no newline, then waits to be killed. Later runs: a line.
MIDLINE = """\
import os, sys, time
runs = sys.argv[1]
first = not os.path.exists(runs)
open(runs, "a").write("x")
if first:
    os.write(1, b"abc")
    os.write(2, b"err-abc")
else:
    os.write(1, b"second run\\n")
    os.write(2, b"err-second\\n")
while True:
    time.sleep(1000)
"""


def test_log_killed_mid_line():
    cfg = prog("mid", "@PY@ @DIR@/midline.py @DIR@/runs", startsecs=0, autorestart=True)
    with Corral(cfg, scripts={"midline.py": MIDLINE}, name="log_midline") as c:
        pid = c.wait_state("mid", "RUNNING")["pid"]
        wait_until(lambda: c.read(c.log("mid")) == "abc", 5,
                   lambda: "mid.out to hold 'abc' (has %r)" % c.read(c.log("mid")))
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: "second run" in (c.read(c.log("mid")) or ""), 10, "the second run's line")
        expect(c.read(c.log("mid")) == "abc\nsecond run\n",
               "mid.out after a kill mid-line: %r" % c.read(c.log("mid")))
        wait_until(lambda: "err-second" in (c.read(c.log("mid", "err")) or ""), 5, "mid.err")
        expect(c.read(c.log("mid", "err")) == "err-abc\nerr-second\n",
               "mid.err after a kill mid-line: %r" % c.read(c.log("mid", "err")))


LONGLINE = """\
import os, sys
big = "".join(chr(97 + (i * 7) % 26) for i in range(100000))
exact = "E" * 16384
data = ("short\\n" + big + "\\n" + exact + "\\n" + "after\\n").encode()
open(sys.argv[1], "wb").write(data)
os.write(1, data)
import time
while True:
    time.sleep(1000)
"""


def test_log_line_max_cuts_with_markers():
    cfg = prog("long", "@PY@ @DIR@/long.py @DIR@/sent", startsecs=0, log_line_max="16KB")
    with Corral(cfg, scripts={"long.py": LONGLINE}, name="log_linemax") as c:
        wait_until(lambda: (c.read(c.log("long")) or "").endswith("after\n"), 10, "long.out")
        sent = c.read(c.path("sent"))
        text = c.read(c.log("long"))
        lines = text.split("\n")[:-1]
        # short, then ceil(100000/16384) = 7 pieces, the exact-size line, after
        expect(len(lines) == 1 + 7 + 1 + 1, "%d lines in long.out, expected 10" % len(lines),
               [l[:20] + "..." + l[-10:] for l in lines])
        pieces = lines[1:8]
        for i, l in enumerate(pieces):
            body = l
            if i > 0:
                expect(body.startswith("[...] "), "piece %d does not start with '[...] '" % i, l[:20])
                body = body[len("[...] "):]
            if i < 6:
                expect(body.endswith(" [...]"), "piece %d does not end with ' [...]'" % i, l[-20:])
                body = body[:-len(" [...]")]
                expect(len(body) == 16384, "piece %d holds %d bytes, not log_line_max" % (i, len(body)))
            pieces[i] = body
        expect(lines[8] == "E" * 16384, "a line of exactly log_line_max bytes was cut or changed",
               lines[8][:20], lines[8][-20:])
        joined = "\n".join([lines[0], "".join(pieces)] + lines[8:]) + "\n"
        expect(joined == sent, "long.out without the markers is not what was written")


# ---------------------------------------------------------------- time stamps

STAMP_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z (.*)$")


def test_log_timestamps():
    cfg = prog("ts", "/bin/sh -c 'echo one; echo two; printf part-a; sleep 0.3; echo part-b; "
               "exec sleep 1000'", startsecs=0, log_timestamps=True)
    with Corral(cfg, name="log_ts") as c:
        wait_until(lambda: "part-b" in (c.read(c.log("ts")) or ""), 5, "ts.out")
        now = datetime.datetime.now(datetime.timezone.utc)
        lines = c.read(c.log("ts")).split("\n")
        expect(lines[-1] == "", "ts.out does not end with a newline")
        got = []
        for l in lines[:-1]:
            m = STAMP_RE.match(l)
            expect(m, "line without an RFC 3339 UTC stamp: %r" % l)
            t = datetime.datetime(*[int(x) for x in m.groups()[:6]], int(m.group(7)),
                                  tzinfo=datetime.timezone.utc)
            expect(abs((now - t).total_seconds()) < 5, "stamp %s is not within 5 s of now (%s)"
                   % (l[:27], now.isoformat()))
            got.append(m.group(8))
        expect(got == ["one", "two", "part-apart-b"], "lines after the stamps: %r" % got)


# ---------------------------------------------------------------- pass-through


def test_log_passthrough_dev_stdout():
    cfg = prog("pt", "/bin/sh -c 'seq -f pt-@TAG@-%%g 1 20000; echo err-@TAG@ >&2; exec sleep 1000'",
               startsecs=0, stdout_logfile="/dev/stdout", stderr_logfile="/dev/stderr")
    # a second writer at the same time: lines of the two never mix mid-line
    cfg += prog("dash", "/bin/sh -c 'seq -f dash-@TAG@-%%g 1 20000; exec sleep 1000'", startsecs=0,
                stdout_logfile="-", stderr_logfile="NONE")
    with Corral(cfg, name="log_pt") as c:
        tag = c.tag
        wait_until(lambda: "err-" + tag in c.stderr_text() and "dash-" + tag in c.stderr_text(), 10,
                   "the pass-through lines in corrald's output")
        wait_until(lambda: "pt-%s-20000\n" % tag in c.stderr_text() and
                   "dash-%s-20000\n" % tag in c.stderr_text(), 10, "the last lines")
        for name in ("pt", "dash"):
            out = [l for l in c.stderr_text().splitlines() if l.startswith(name + "-" + tag)]
            want = ["%s-%s-%d" % (name, tag, i) for i in range(1, 20001)]
            expect(out == want, "corrald's stdout does not hold every line of %s once, whole, "
                   "in order (%d of %d)" % (name, len(out), len(want)))
        expect(sorted(os.listdir(c.logdir)) == [], "files in logdir for pass-through output: %s"
               % sorted(os.listdir(c.logdir)))
        r = c.ctl("tail", "pt")
        expect(r.rc != 0 and "no log file" in r.all, "tail of a pass-through stream", r)


# ---------------------------------------------------------------- reopen


def test_log_reopen_sigusr2_and_ctl():
    cfg = prog("tick", "@PY@ @DIR@/ticker.py @DIR@/runs", startsecs=0)
    with Corral(cfg, scripts={"ticker.py": TICKER}, name="log_reopen") as c:
        c.wait_state("tick", "RUNNING")
        cur = c.log("tick")
        wait_until(lambda: os.path.getsize(cur) > 0 if os.path.exists(cur) else False, 5, "tick.out")
        moved = []
        for i, how in enumerate(("SIGUSR2", "corralctl reopen")):
            m = "%s.moved%d" % (cur, i)
            os.rename(cur, m)
            moved.append(m)
            time.sleep(0.3)
            expect(not os.path.exists(cur), "%s: tick.out came back before the reopen" % how)
            size = os.path.getsize(m)
            wait_until(lambda: os.path.getsize(m) > size, 3, "writes to go on to the renamed file")
            if how == "SIGUSR2":
                c.signal(signal.SIGUSR2)
            else:
                expect_rc(c.ctl("reopen"), 0, "corralctl reopen")
            wait_file(cur, 5, "%s: a new tick.out" % how)
            wait_until(lambda: os.path.getsize(cur) > 200, 3, "%s: lines in the new tick.out" % how)
            size = os.path.getsize(m)
            time.sleep(0.3)
            expect(os.path.getsize(m) == size, "%s: the renamed file still grows" % how)
        text = "".join(c.read(p) for p in moved + [cur])
        nums = []
        for l in text.splitlines():
            mm = TICK_RE.match(l)
            expect(mm, "a line that is not the worker's: %r" % l)
            nums.append(int(mm.group(2)))
        expect(nums == list(range(len(nums))), "lines lost or repeated across the reopens",
               [b for a, b in zip(nums, nums[1:]) if b != a + 1][:5])


# Lines of many lengths, "L<number> <filler>": written to SENT first, then to
# stdout in 16 KiB writes; DONE once all is written.
VARIED = """\
import os, sys
n, sent, done = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = "".join("L%07d %s\\n" % (i, "abcdefghij"[i % 10] * ((i * 37) % 150)) for i in range(n)).encode()
open(sent, "wb").write(data)
for off in range(0, len(data), 16384):
    os.write(1, data[off:off + 16384])
open(done, "w").close()
import time
while True:
    time.sleep(1000)
"""


def unmark(text, stamps):
    """The output as written: time stamps and the cut markers taken off.
    Raises AssertionError on a line that is not stamp + piece."""
    out = []
    cont = False
    for l in text.split("\n")[:-1]:
        if stamps:
            m = STAMP_RE.match(l)
            expect(m, "a line without its time stamp: %r" % l[:80])
            l = m.group(8)
            expect(not STAMP_RE.match(l), "a time stamp twice: %r" % l[:80])
        if cont:
            expect(l.startswith("[...] "), "a piece after a cut does not start with '[...] ': %r" % l[:80])
            l = l[len("[...] "):]
        cont = l.endswith(" [...]")
        if cont:
            l = l[:-len(" [...]")]
            out.append(l)
        else:
            out.append(l + "\n")
    return "".join(out)


def full_disk_varied(stamps):
    mnt = tempfile.mkdtemp(prefix="corral-e2e-tmpfs-")
    mounted = False
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", mnt],
                           capture_output=True, text=True)
        expect(r.returncode == 0, "cannot mount a tmpfs (root needed): %s" % r.stderr.strip())
        mounted = True
        # 3 MiB taken in 12 pieces, given back one at a time: the disk
        # fills up again and again, each time at another place in a batch.
        fillers = [os.path.join(mnt, "filler%02d" % i) for i in range(12)]
        for fn in fillers:
            with open(fn, "wb") as f:
                f.write(b"\0" * (256 * 1024))
        cfg = prog("v", "@PY@ @DIR@/varied.py 20000 @DIR@/sent @DIR@/done", startsecs=0,
                   log_line_max=64, log_timestamps=stamps, stdout_logfile_maxbytes=0)
        with Corral(cfg, scripts={"varied.py": VARIED}, name="log_full_varied", logdir=mnt) as c:
            wait_until(lambda: "No space left on device" in c.stderr_text(), 10,
                       "corrald to report the full disk")
            fills = 0
            while fillers and not os.path.exists(c.path("done")):
                time.sleep(1.2)   # a try while full
                fills += 1
                os.unlink(fillers.pop())
            expect(fills >= 2, "the writer finished after the disk was full only %d times" % fills)
            wait_file(c.path("done"), 15, "the writer to finish once space is back")
            sent = c.read(c.path("sent"))
            wait_until(lambda: unmark(c.read(c.log("v")), stamps).count("\n") >= sent.count("\n"), 10,
                       "every line in v.out")
            got = unmark(c.read(c.log("v")), stamps)
            if got != sent:
                k = next(i for i in range(min(len(got), len(sent))) if got[i] != sent[i])
                raise AssertionError("v.out (markers%s taken off) differs from what was written at "
                                     "byte %d: %r, expected %r" % (" and stamps" if stamps else "",
                                                                   k, got[k - 40:k + 60], sent[k - 40:k + 60]))
    finally:
        if mounted:
            for _ in range(50):
                if subprocess.run(["umount", mnt], capture_output=True).returncode == 0:
                    mounted = False
                    break
                time.sleep(0.1)
            if mounted:
                subprocess.run(["umount", "-l", mnt], capture_output=True)
        try:
            os.rmdir(mnt)
        except OSError:
            pass


def test_log_full_disk_cut_lines():
    """A full disk while overlong lines are cut: no piece written twice."""
    full_disk_varied(False)
test_log_full_disk_cut_lines.timeout = 60


def test_log_full_disk_cut_lines_stamped():
    """The same with time stamps: no stamp or marker written twice."""
    full_disk_varied(True)
test_log_full_disk_cut_lines_stamped.timeout = 60


# 4000 numbered lines of 30 bytes as fast as the pipe takes them, then exits.
QUICKEXIT = """\
import os
for i in range(4000):
    os.write(1, ("l %06d " % i + "x" * 20 + "\\n").encode())
"""


def cpu_secs(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_log_exited_while_held_drains():
    """A worker that exits while its output is held back (log_rate, block)
    leaves ~64 KiB in its pipe: all of it arrives, at the rate, and corrald
    does not spin on the dead pipe meanwhile."""
    cfg = prog("qx", "@PY@ @DIR@/quickexit.py", startsecs=0, autorestart=False, log_rate=500,
               log_burst=100, log_overflow="block", log_buffer="4KB")
    with Corral(cfg, scripts={"quickexit.py": QUICKEXIT}, name="log_exitheld") as c:
        c.wait_state("qx", "EXITED", 30)
        left = 4000 - (c.read(c.log("qx")) or "").count("\n")
        expect(left > 1000, "only %d lines left to drain when the worker exited: no test" % left)
        a, t = cpu_secs(c.pid), time.monotonic()
        time.sleep(2.0)
        used, secs = cpu_secs(c.pid) - a, time.monotonic() - t
        expect(used < 0.5, "corrald used %.2f s of CPU in %.2f s while draining a dead worker's "
               "held pipe (spinning?)" % (used, secs))
        want = "".join("l %06d " % i + "x" * 20 + "\n" for i in range(4000))
        wait_until(lambda: len(c.read(c.log("qx"))) >= len(want), 15,
                   lambda: "qx.out to hold all 4000 lines (has %d)" % c.read(c.log("qx")).count("\n"))
        time.sleep(0.3)
        got = c.read(c.log("qx"))
        expect(got == want, "qx.out is not every line once, in order: %d lines"
               % got.count("\n"))
test_log_exited_while_held_drains.timeout = 45


# First run: "old NNNNNN xxx..." lines of 200 bytes as fast as it may, the count
# written so far in PROGRESS; later runs: 2000 "new NNNNNN" lines, each in two
# writes 1 ms apart, then waits.
HELDKILL = """\
import os, sys, time
runs, progress = sys.argv[1], sys.argv[2]
first = not os.path.exists(runs)
open(runs, "a").write("x")
if first:
    fd = os.open(progress, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    for i in range(1000000):
        os.write(1, ("old %06d " % i + "o" * 188 + "\\n").encode())
        os.pwrite(fd, b"%d\\n" % (i + 1), 0)
else:
    # Each line in two writes: the log sees the first half before the rest.
    for i in range(2000):
        line = ("new %06d " % i + "n" * 188 + "\\n").encode()
        os.write(1, line[:100])
        time.sleep(0.001)
        os.write(1, line[100:])
while True:
    time.sleep(1000)
"""

OLDNEW_RE = re.compile(r"^(old|new) (\d{6}) (o{188}|n{188})$")


def test_log_killed_while_held_then_restarted():
    """A worker killed while its output is held back (log_rate, block): what it
    left in the pipe still arrives, in whole lines, none glued to a line of the
    next run, and before the next run's."""
    cfg = prog("hk", "@PY@ @DIR@/heldkill.py @DIR@/runs @DIR@/progress", startsecs=0,
               autorestart=True, log_rate=500, log_burst=100, log_overflow="block",
               log_buffer="4KB")
    with Corral(cfg, scripts={"heldkill.py": HELDKILL}, name="log_heldkill") as c:
        pid = c.wait_state("hk", "RUNNING")["pid"]
        time.sleep(1.0)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: c.status()["hk"]["pid"] not in (0, pid), 10, "the second run")
        wrote = int(c.read(c.path("progress")))
        wait_until(lambda: "new 001999 " in (c.read(c.log("hk")) or ""), 30, "the second run's last line")
        time.sleep(0.5)
        lines = c.read(c.log("hk")).split("\n")
        expect(lines[-1] == "", "hk.out does not end with a whole line")
        old, new, bad, order = [], [], [], []
        for i, l in enumerate(lines[:-1]):
            m = OLDNEW_RE.match(l)
            if not m:
                # Say what is in it: where each line of either run starts.
                parts = [(mm.start(), mm.group(0)) for mm in re.finditer(r"(old|new) \d{6} ", l)]
                bad.append("line %d: %d bytes, lines starting at %s" % (i + 1, len(l), parts))
                continue
            (old if m.group(1) == "old" else new).append(int(m.group(2)))
            order.append(m.group(1))
        expect(not bad, "%d lines glued or cut in hk.out, e.g." % len(bad), bad[:3])
        expect(new == list(range(2000)), "the second run's lines lost or repeated")
        expect(old == list(range(len(old))) and len(old) in (wrote, wrote + 1),
               "the first run wrote %d lines into its pipe, hk.out holds %d of them"
               % (wrote, len(old)))
        # The killed run's rest first: the next run waits for it.
        first_new = order.index("new")
        last_old = len(order) - 1 - order[::-1].index("old")
        expect(last_old < first_new, "%d lines of the killed run were written after the first line "
               "of the next run (lines %d..%d of hk.out interleave)"
               % (order[first_new:].count("old"), first_new + 1, last_old + 1))
test_log_killed_while_held_then_restarted.timeout = 60


def test_rate_drop_note_comes_when_the_bucket_refills():
    """log_overflow = drop: the "suppressed N lines" note is written when the
    bucket refills, even when no further line comes to carry it."""
    cmd = "/bin/sh -c 'yes quiet-after-this | head -n 3000; exec /bin/sleep 1000'"
    cfg = prog("burst", cmd, startsecs=0, log_rate=50, log_burst=5, log_overflow="drop")
    with Corral(cfg, name="drop_note") as c:
        def noted():
            text = c.read(c.log("burst")) or ""
            return text if "corral: suppressed" in text else None
        text = wait_until(noted, 10, "the suppressed-lines note without a further line")
        kept = text.count("quiet-after-this\n")
        m = re.search(r"corral: suppressed (\d+) lines", text)
        expect(m and kept + int(m.group(1)) == 3000, "kept + suppressed = all", kept, m and m.group(0))
        expect(c.status()["burst"]["log_dropped"] == 3000 - kept, "status counts them",
               c.status()["burst"])
