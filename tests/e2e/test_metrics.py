"""Prometheus metrics: GET /metrics on corrald's HTTP servers and `corralctl
metrics`, read by the real parsers of python3-prometheus-client (Debian's):
every family parses, in 0.0.4 and in OpenMetrics when the Accept header asks
for it; a crashing program's restarts rise, a pool's queue depth follows the
jobs submitted, a process's memory is what its cgroup (or /proc) says; the
servers' credentials are asked for, and a method other than GET refused."""

import base64
import os
import socket

from harness import Corral, corralctl_path, expect, expect_rc, free_port, run, wait_until

OM_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
             "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")

# A pool worker that holds a "stall" job, as tests/e2e/test_pools.py's.
WORKER = """\
while IFS= read -r line; do
    case "$line" in
    stall*) sleep 1000 ;;
    esac
    echo "<$line>"
done
"""

# 64 MiB touched, then held: the memory the metric must show.
HOG = ("import time\n"
       "b = bytearray(64 * 1024 * 1024)\n"
       "for i in range(0, len(b), 4096):\n"
       "    b[i] = 1\n"
       "print('ready', flush=True)\n"
       "time.sleep(1000)\n")


def parsers():
    """The text 0.0.4 and OpenMetrics parsers (imported here, so that a
    machine without the package fails these tests only)."""
    from prometheus_client.parser import text_string_to_metric_families as text
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
    return text, om


def http_get(where, path="/metrics", method="GET", headers=None, auth=None):
    """One request with Connection: close to WHERE (a port on 127.0.0.1, or
    a unix socket's path): (status, {header: value}, body text)."""
    if isinstance(where, int):
        s = socket.create_connection(("127.0.0.1", where), timeout=10)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(where)
    req = "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" % (method, path)
    for k, v in (headers or {}).items():
        req += "%s: %s\r\n" % (k, v)
    if auth:
        req += "Authorization: Basic %s\r\n" % base64.b64encode(auth.encode()).decode()
    s.sendall((req + "\r\n").encode())
    data = b""
    while True:
        got = s.recv(65536)
        if not got:
            break
        data += got
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if "content-length" in hdrs:
        expect(len(body) == int(hdrs["content-length"]), "the body has Content-Length bytes",
               len(body), hdrs)
    return status, hdrs, body.decode()


def samples(families):
    """{(sample name, frozenset of labels): value} of parsed FAMILIES."""
    out = {}
    for f in families:
        for s in f.samples:
            key = (s.name, frozenset(s.labels.items()))
            expect(key not in out, "a sample appears once", key)
            out[key] = s.value
    return out


def value(smp, metric, **labels):
    """The value of sample METRIC whose labels include LABELS (exactly one)."""
    want = set(labels.items())
    found = [v for (n, ls), v in smp.items() if n == metric and want <= set(ls)]
    expect(len(found) == 1, "one sample %s%s" % (metric, labels), found)
    return found[0]


def scrape(port, auth=None):
    text, _ = parsers()
    status, hdrs, body = http_get(port, auth=auth)
    expect(status == 200, "GET /metrics answered %d" % status, body[:300])
    expect(hdrs.get("content-type") == "text/plain; version=0.0.4; charset=utf-8",
           "the 0.0.4 content type", hdrs)
    return samples(text(body)), body


def config(port):
    return ("[inet_http_server]\nport = 127.0.0.1:%d\n\n"
            "[program:crash]\ncommand = /bin/sh -c 'echo crashing; exit 3'\n"
            "startsecs = 0\nautorestart = true\n\n"
            "[program:hog]\ncommand = @PY@ @DIR@/hog.py\n\n"
            "[program:quiet]\ncommand = /bin/sleep 1000\n\n"
            "[pool:q]\ncommand = /bin/sh @DIR@/worker.sh\nworkers = 1\nqueue = 10\n\n"
            "[socket:web]\nlisten = tcp:127.0.0.1:%d unix:@DIR@/web.sock\nprogram = quiet\n\n"
            % (port, free_port()))


def test_metrics_parse_and_follow():
    port = free_port()
    with Corral(config(port), scripts={"worker.sh": WORKER, "hog.py": HOG},
                name="metrics") as c:
        c.wait_running(["hog", "quiet", "q:q_0"])
        wait_until(lambda: "ready" in (c.read(c.log("hog")) or ""), 20, "hog's 64 MiB")
        text, om = parsers()

        # Every family parses, with HELP and TYPE; names are corral_ ones.
        smp, body = scrape(port)
        fams = list(text(body))
        expect(len(fams) >= 25, "the families", [f.name for f in fams])
        for f in fams:
            expect(f.name.startswith("corral_"), "a corral_ name", f.name)
            expect(f.documentation, "%s has HELP" % f.name)
            expect(f.type in ("counter", "gauge"), "%s has a TYPE" % f.name, f.type)
            if f.type == "counter":
                expect(all(s.name.endswith("_total") for s in f.samples),
                       "%s's samples end in _total" % f.name)
        expect(value(smp, "corral_process_up", name="quiet") == 1, "quiet is up")
        expect(value(smp, "corral_process_state", name="quiet", state="RUNNING") == 1,
               "quiet's state is RUNNING")
        expect(value(smp, "corral_process_state", name="quiet", state="STOPPED") == 0,
               "quiet's state is not STOPPED")
        expect(value(smp, "corral_build_info", version=c.ctl("version").out.strip()) == 1,
               "the build's version")
        expect(value(smp, "corral_open_fds") > 3, "corrald's open fds")
        expect(value(smp, "corral_resident_memory_bytes") > 100000, "corrald's RSS")
        expect(value(smp, "corral_process_log_lines_total", name="crash", stream="stdout") >= 1,
               "crash's lines counted")

        # A crashing program's restarts rise between two scrapes.
        first = value(smp, "corral_process_restarts_total", name="crash")
        wait_until(lambda: value(scrape(port)[0], "corral_process_restarts_total", name="crash")
                   >= first + 2, 20, "crash's restarts to rise past %d" % first)
        # between its runs (not while one goes on, when there is no last exit)
        def last_exit():
            found = [v for (n, ls), v in scrape(port)[0].items()
                     if n == "corral_process_last_exit_code" and ("name", "crash") in ls]
            return found and found[0]
        expect(wait_until(last_exit, 20, "crash's last exit in a scrape") == 3,
               "crash's last exit status")
        smp, _ = scrape(port)
        expect(value(smp, "corral_process_restarts_total", name="quiet") == 0,
               "quiet was never restarted")

        # A pool's queue depth follows the jobs submitted.
        def submit(data):
            r = run([corralctl_path(), "-s", c.sock, "submit", "--detach", "q", data])
            expect_rc(r, 0, "submit %s" % data)

        submit("stall 0")
        wait_until(lambda: value(scrape(port)[0], "corral_pool_in_flight_jobs", pool="q") == 1,
                   10, "the worker to take the first job")
        for n in range(1, 4):
            submit("stall %d" % n)
            smp, _ = scrape(port)
            expect(value(smp, "corral_pool_queued_jobs", pool="q") == n,
                   "%d jobs queued" % n, value(smp, "corral_pool_queued_jobs", pool="q"))
            expect(value(smp, "corral_pool_in_flight_jobs", pool="q") == 1, "one in flight")
        expect(value(smp, "corral_pool_queue_capacity_jobs", pool="q") == 10, "its capacity")

        # Memory: what the hog's cgroup (or /proc) says, within 10%.
        pid = c.status()["hog"]["pid"]
        got = value(smp, "corral_process_memory_bytes", name="hog")
        want, source = kernel_memory(pid, c.pid)
        expect(got >= 64 * 1024 * 1024, "hog's 64 MiB counted", got, source)
        expect(abs(got - want) <= want * 0.10, "hog's memory %d against %s's %d" % (got, source, want))
        expect(value(smp, "corral_process_cpu_seconds_total", name="hog") > 0, "hog's CPU time")

        # corralctl metrics says what GET /metrics says: the same families
        # and samples (but the crashing program's, which come and go).
        r = c.ctl("metrics")
        expect_rc(r, 0, "corralctl metrics")
        by_ctl = list(text(r.out))
        smp, body = scrape(port)
        by_http = list(text(body))

        def shape(fams):
            return {(f.name, f.type): {(s.name, frozenset(s.labels.items())) for s in f.samples
                                       if s.labels.get("name") != "crash"} for f in fams}
        expect(shape(by_ctl) == shape(by_http), "corralctl metrics and GET /metrics agree",
               set(shape(by_ctl)) ^ set(shape(by_http)))

        # OpenMetrics when the Accept header asks for it (Prometheus's own).
        status, hdrs, body = http_get(port, headers={"Accept": OM_ACCEPT})
        expect(status == 200, "an OpenMetrics scrape", status)
        expect(hdrs.get("content-type") ==
               "application/openmetrics-text; version=1.0.0; charset=utf-8",
               "the OpenMetrics content type", hdrs)
        expect(body.endswith("# EOF\n"), "it ends with # EOF", body[-100:])
        om_fams = list(om(body))
        names = {f.name for f in om_fams}
        expect("corral_process_restarts" in names and "corral_build" in names,
               "counters and info named without their suffix", sorted(names))
        expect({s[0] for s in samples(om_fams)} >= {"corral_process_restarts_total",
                                                    "corral_build_info"},
               "their samples with it")
        r = c.ctl("metrics", "--openmetrics")
        expect_rc(r, 0, "corralctl metrics --openmetrics")
        expect(r.out.endswith("# EOF\n"), "corralctl metrics --openmetrics ends with # EOF")
        expect(len(list(om(r.out))) == len(om_fams), "the same families")
        # text/plain, or a q of 0, keeps 0.0.4
        for accept in ("text/plain", "application/openmetrics-text;q=0,text/plain",
                       "application/openmetrics-text;version=2.0.0"):
            status, hdrs, body = http_get(port, headers={"Accept": accept})
            expect(hdrs.get("content-type", "").startswith("text/plain; version=0.0.4"),
                   "Accept %s gives 0.0.4" % accept, hdrs)
            expect("# EOF" not in body, "no # EOF in 0.0.4")

        # The sockets' accept queue: a client connects, nobody accepts.
        addr = [k for k in smp if k[0] == "corral_socket_listen_backlog"]
        expect(len(addr) == 2, "both addresses of [socket:web]", addr)
        tcp = [dict(ls)["address"] for n, ls in addr if dict(ls)["address"].startswith("tcp:")][0]
        host, p = tcp[4:].rsplit(":", 1)
        client = socket.create_connection((host, int(p)), timeout=5)
        try:
            wait_until(lambda: value(scrape(port)[0], "corral_socket_listen_queue",
                                     address=tcp) == 1, 10, "one connection waiting")
        finally:
            client.close()

        # A method other than GET is refused; so is a bad argument.
        status, _, _ = http_get(port, method="POST")
        expect(status == 405, "POST /metrics answered %d" % status)
        r = c.ctl("metrics", "--bogus")
        expect_rc(r, 2, "corralctl metrics --bogus")
        expect("usage: metrics [--openmetrics]" in r.err, "its usage", r)


def kernel_memory(pid, corrald_pid):
    """What the kernel says PID's tree uses, as corrald reads it: its cgroup
    v2 leaf's memory.current, else its v1 memory cgroup's usage (when it is
    not corrald's own), else its resident memory in /proc."""
    def cgroups(p):
        with open("/proc/%d/cgroup" % p) as f:
            return dict((l.split(":", 2)[1], l.strip().split(":", 2)[2]) for l in f)
    mine, its = cgroups(corrald_pid), cgroups(pid)
    mounts = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields, kind = pre.split(), post.split()
            if kind[0] == "cgroup2":
                mounts[""] = fields[4]
            elif kind[0] == "cgroup" and "memory" in kind[2].split(","):
                mounts["memory"] = fields[4]
    v2 = os.path.join(mounts.get("", "/nonexistent"), its.get("", "/").lstrip("/"),
                      "memory.current")
    if os.path.exists(v2):
        return int(open(v2).read()), v2
    v1 = os.path.join(mounts.get("memory", "/nonexistent"), its.get("memory", "/").lstrip("/"),
                      "memory.usage_in_bytes")
    if its.get("memory") != mine.get("memory") and os.path.exists(v1):
        return int(open(v1).read()), v1
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"), "/proc/%d/statm" % pid


def test_metrics_ask_for_credentials():
    port = free_port()
    conf = ("[unix_http_server]\nfile = @DIR@/sd.sock\nusername = alice\npassword = s3cret\n\n"
            "[inet_http_server]\nport = 127.0.0.1:%d\nusername = bob\npassword = pw2\n\n"
            "[program:one]\ncommand = /bin/sleep 1000\n" % port)
    with Corral(conf, name="metricsauth") as c:
        c.wait_running(["one"])
        text, _ = parsers()
        for where, good in ((port, "bob:pw2"), (c.path("sd.sock"), "alice:s3cret")):
            for auth in (None, "bob:wrong", "alice:wrong"):
                status, hdrs, _ = http_get(where, auth=auth)
                expect(status == 401, "%s without the right credentials (%s): %d"
                       % (where, auth, status))
                expect("www-authenticate" in hdrs, "the 401 asks for Basic credentials", hdrs)
            status, _, body = http_get(where, auth=good)
            expect(status == 200, "%s with %s: %d" % (where, good, status))
            smp = samples(text(body))
            expect(value(smp, "corral_process_up", name="one") == 1, "one is up")


def test_metrics_counts_go_across_reexec():
    """A process's restarts and log counts are carried across corralctl
    reexec (the handover record), and corrald's start time stays."""
    port = free_port()
    conf = ("[inet_http_server]\nport = 127.0.0.1:%d\nusername = u\npassword = p\n\n"
            "[program:one]\ncommand = /bin/sh -c 'echo a; echo b; exec /bin/sleep 1000'\n"
            "startsecs = 0\n" % port)
    with Corral(conf, name="metricsreexec") as c:
        c.wait_running(["one"])
        expect_rc(c.ctl("restart", "one"), 0, "restart one")
        c.wait_running(["one"])

        def counts():
            smp, _ = scrape(port, auth="u:p")
            return (value(smp, "corral_process_restarts_total", name="one"),
                    value(smp, "corral_process_log_lines_total", name="one", stream="stdout"),
                    value(smp, "corral_process_log_bytes_total", name="one", stream="stdout"),
                    value(smp, "corral_start_time_seconds"))
        before = wait_until(lambda: counts() if counts()[1] == 4 else None, 10,
                            "both runs' two lines counted")
        expect(before[0] == 1 and before[2] == 8, "one restart, 8 bytes", before)
        r = c.ctl("reexec", timeout=30)
        expect_rc(r, 0, "reexec")
        wait_until(lambda: "took over" in c.stderr_text(), 10, "the take-over")
        after = counts()
        expect(after == before, "the counts went across the exec", before, after)
