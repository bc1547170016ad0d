"""supervisord's web page, served by corrald, in a real browser: Debian's
chromium, headless, driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: fds 3 and 4, JSON messages ended by a NUL byte).

The DOM lists every program with its state; clicking a program's real Stop
link stops it; the tail page shows what it printed; a hostile description
is shown as text, escaped; a screenshot is written to the artifacts dir
($CORRAL_E2E_ARTIFACTS, else e2e-artifacts/ in the build dir). Beside the
browser, plain HTTP: an action sent from another site (Origin,
Sec-Fetch-Site, Referer) is refused with a 403 that says why and changes
nothing, reading is not refused; the page asks for the XML-RPC interface's
credentials; and an action is answered as supervisord answers it, with a
redirect to the page and its message, side by side with Debian's
supervisord.

chromium runs in a session of its own; it is closed over the protocol,
then whatever is left of its session is killed by PID, and the test fails
if anything was left."""

import base64
import fcntl
import http.client
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import time
import urllib.parse

from harness import (TAG_VAR, Corral, build_dir, corralctl_path, expect, free_port, proc_stat,
                     run, tagged_pids, wait_until)

CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "admin", "s3cret"
AUTH = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
HOSTILE = '<b>bold</b>&"q"'


def config(port):
    return ("[inet_http_server]\nport = 127.0.0.1:%d\nusername = %s\npassword = %s\n\n"
            "[unix_http_server]\nfile = @DIR@/sd.sock\n\n"
            "[supervisord]\nchildlogdir = @LOG@\nsocket = @DIR@/run/corral.sock\n\n"
            "[program:one]\ncommand = /bin/sh -c 'echo hello-web-page; exec /bin/sleep 1000' @TAG@\n"
            "startsecs = 0\n\n"
            "[program:two]\ncommand = /bin/sh -c 'exec /bin/sleep 1001' @TAG@\nstartsecs = 0\n\n"
            # its spawn error, its description, holds the hostile text
            "[program:hostile]\ncommand = '/nonexistent/%s' @TAG@\nstartretries = 0\n"
            % (port, USER, PASSWORD, HOSTILE))


def started(name):
    c = Corral(start=False, name=name)
    port = free_port()
    c.write_config(config(port), raw=True)
    return c, port


def artifacts_dir():
    d = os.environ.get("CORRAL_E2E_ARTIFACTS") or os.path.join(build_dir(), "e2e-artifacts")
    os.makedirs(d, exist_ok=True)
    return d


def get(port, target, headers=None, auth=True):
    """GET TARGET on the inet server: (status, headers dict, body text)."""
    h = dict(headers or {})
    if auth:
        h["Authorization"] = AUTH
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", target, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


def unix_get(path, target):
    """GET TARGET on a unix socket server: its raw answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(path)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                  % target.encode())
        data = b""
        while True:
            got = s.recv(65536)
            if not got:
                return data
            data += got
    finally:
        s.close()


def session_pids(sid):
    """The processes of session SID (chromium's, and its helpers')."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(rest[3]) == sid and rest[0] != "Z":   # field 6: the session
            pids.append(int(d))
    return pids


class Chromium:
    """A headless chromium and its one page, over the DevTools pipe."""

    def __init__(self, tmp, tag):
        # Its crash handlers leave its session (setsid), its helpers forked
        # by its zygote drop its environment: each is found by one of the two.
        self.tag = tag
        self.log_path = os.path.join(tmp, "chromium.log")
        to_r, self.wfd = os.pipe()      # what we write, chromium reads on fd 3
        self.rfd, from_w = os.pipe()    # what chromium writes on fd 4
        # above 9 and away from 3 and 4, so that the redirections below
        # cannot clobber one another
        a = fcntl.fcntl(to_r, fcntl.F_DUPFD_CLOEXEC, 10)
        b = fcntl.fcntl(from_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_r)
        os.close(from_w)
        argv = ["/bin/bash", "-c", 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-' % (a, b, a, b),
                CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--remote-debugging-pipe",
                "--user-data-dir=" + os.path.join(tmp, "chromium-profile"),
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--mute-audio",
                "--window-size=1280,800", "about:blank"]
        self.logf = open(self.log_path, "wb")
        env = dict(os.environ)
        env[TAG_VAR] = tag
        self.proc = subprocess.Popen(argv, pass_fds=(a, b), stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf, env=env,
                                     start_new_session=True)
        os.close(a)
        os.close(b)
        self.buf = b""
        self.next_id = 1
        self.events = []
        self.session = None

    def log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-1500:].decode(errors="replace")
        except OSError:
            return ""

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("chromium did not answer in time; its log:\n"
                                     + self.log_tail())
            r, _, _ = select.select([self.rfd], [], [], left)
            if r:
                data = os.read(self.rfd, 1 << 20)
                if not data:
                    raise AssertionError("chromium closed its pipe; its log:\n" + self.log_tail())
                self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, page=True, timeout=30):
        """Send METHOD (to the page's session unless not PAGE): its result."""
        i = self.next_id
        self.next_id += 1
        msg = {"id": i, "method": method, "params": params or {}}
        if page:
            msg["sessionId"] = self.session
        os.write(self.wfd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == i:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def open_page(self, extra_headers):
        targets = self.call("Target.getTargets", page=False)["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        tid = (pages[0]["targetId"] if pages else
               self.call("Target.createTarget", {"url": "about:blank"}, page=False)["targetId"])
        self.session = self.call("Target.attachToTarget", {"targetId": tid, "flatten": True},
                                 page=False)["sessionId"]
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Network.setExtraHTTPHeaders", {"headers": extra_headers})

    def evaluate(self, expression):
        """EXPRESSION's value in the page; None while the page is between
        two documents (its context destroyed by a navigation)."""
        try:
            r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        except RuntimeError:
            return None
        if "exceptionDetails" in r:
            return None
        return r["result"].get("value")

    def wait_for(self, expression, timeout, what):
        """Poll EXPRESSION until it is truthy: its value."""
        return wait_until(lambda: self.evaluate(expression), timeout,
                          lambda: "%s (url %s); chromium's log:\n%s"
                          % (what, self.evaluate("location.href"), self.log_tail()),
                          interval=0.1)

    def navigate(self, url, ready_expr, timeout=20):
        self.call("Page.navigate", {"url": url})
        return self.wait_for(ready_expr, timeout, "the page at %s to load" % url)

    def screenshot(self, path):
        data = base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def close(self):
        """Close it over the protocol, then kill what is left of its session
        by PID; what was left, for the test to fail on."""
        try:
            if self.proc.poll() is None:
                self.call("Browser.close", page=False, timeout=10)
        except (AssertionError, RuntimeError, OSError):
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
        left = self.leftovers()
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = self.leftovers()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.wait(10)
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.logf.close()
        return left

    def leftovers(self):
        """Its processes still there (not zombies: those are being reaped)."""
        return sorted(set(session_pids(self.proc.pid)) |
                      {p for p in tagged_pids(self.tag)
                       if proc_stat(p) and proc_stat(p)[0] != "Z"})


def rows_expr():
    """The status table's rows as [name, state text, description text]."""
    return ("Array.from(document.querySelectorAll('#status tr.process')).map(r => "
            "[r.dataset.name, r.querySelector('td.state').textContent, "
            "r.querySelector('td.desc').textContent])")


def png_size(data):
    expect(data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is no PNG", data[:16])
    return struct.unpack(">II", data[16:24])


def test_web_page_in_chromium():
    """The page in a real browser: every program and its state, the Stop
    link stops it, the tail page shows its output, hostile text is shown
    as text, a screenshot is kept."""
    c, port = started("webchromium")
    with c:
        c.start()
        one = c.wait_running(["one", "two"])["one"]
        c.wait_state("hostile", ("FATAL", "BACKOFF"))
        browser = Chromium(c.tmp, c.tag + "-chromium")
        left = []
        try:
            browser.open_page({"Authorization": AUTH})
            base = "http://127.0.0.1:%d/" % port
            rows = browser.navigate(base, "document.querySelectorAll('#status tr.process')"
                                    ".length == 3 && " + rows_expr())
            states = {name: st for name, st, _ in rows}
            expect(states.get("one") == "running" and states.get("two") == "running"
                   and states.get("hostile") in ("fatal", "backoff"),
                   "the page lists every program with its state", rows)
            # the hostile description is text: shown as it is, no element made of it
            desc = [d for name, _, d in rows if name == "hostile"][0]
            expect(HOSTILE in desc, "the hostile description shown as text", desc)
            expect(browser.evaluate("document.querySelector('#status td.desc b') === null"),
                   "an element was made of the hostile description")
            # corral's own columns: the scope and CPU/memory of a running tree
            own = browser.evaluate("(r => [r.querySelector('td.scope').textContent, "
                                   "r.querySelector('td.ready').textContent])"
                                   "(document.querySelector('tr[data-name=\"one\"]'))")
            expect(own and "process" in own[0] and own[1].startswith("ready"),
                   "scope, tree and readiness of one", own)

            shot = os.path.join(artifacts_dir(), "test_web_status.png")
            w, h = png_size(browser.screenshot(shot))
            expect(w > 0 and h > 0 and os.path.getsize(shot) > 1000,
                   "a screenshot of the page in %s" % shot, (w, h))

            # click the real Stop link of one
            clicked = browser.evaluate("(a => a ? (a.click(), a.getAttribute('href')) : null)"
                                       "(document.querySelector('tr[data-name=\"one\"] a.act-stop'))")
            expect(clicked == "index.html?processname=one&action=stop",
                   "one's Stop link is supervisord's", clicked)
            msg = browser.wait_for("(m => m && m.textContent)(document.getElementById('message'))",
                                   20, "the page with the action's message")
            expect(msg.startswith("Process one stop"), "the action's message", msg)
            expect(browser.evaluate("location.pathname + location.search").startswith("/?message="),
                   "the browser was sent back to the page, as by supervisord",
                   browser.evaluate("location.href"))
            c.wait_state("one", "STOPPED")
            expect(c.status()["two"]["state"] == "RUNNING", "two still runs", c.status()["two"])
            expect(proc_stat(one) is None or proc_stat(one)[0] == "Z", "one's process is gone")

            # the tail page shows what one printed
            tail = browser.navigate(base + "tail.html?processname=one",
                                    "(t => t && t.textContent)(document.getElementById('tail'))")
            expect("hello-web-page" in tail, "the tail page shows one's output", tail)
            browser.screenshot(os.path.join(artifacts_dir(), "test_web_tail.png"))
        finally:
            left = browser.close()
        expect(not left, "chromium processes left after it was closed (killed now)", left)
        wait_until(lambda: not browser.leftovers(), 10, "every chromium process to be gone")


test_web_page_in_chromium.timeout = 180


def test_web_actions_from_another_site_refused():
    """An action sent from another site is refused with a 403 that says
    why and the program keeps running; reading the page is not refused; an
    action from the page's own site is taken."""
    c, port = started("webcross")
    with c:
        c.start()
        pid = c.wait_running(["one"])["one"]
        stop = "/index.html?processname=one&action=stop"
        host = "127.0.0.1:%d" % port
        for headers, why in (({"Origin": "http://evil.example"}, "Origin"),
                             ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site"),
                             ({"Origin": "http://127.0.0.1:%d" % port,
                               "Sec-Fetch-Site": "same-site"}, "Sec-Fetch-Site"),
                             ({"Referer": "http://evil.example/page.html"}, "Referer"),
                             ({"Origin": "null"}, "Origin")):
            st, hd, body = get(port, stop, headers)
            expect(st == 403, "%s from another site: 403" % headers, st, body[:300])
            expect(why in body and "another site" in body,
                   "the 403 page says why (%s)" % why, body[-900:])
            expect("text/html" in hd.get("content-type", ""), "the 403 is a page", hd)
        st, _, _ = get(port, "/index.html?action=stopall", {"Origin": "http://evil.example"})
        expect(st == 403, "stopall from another site: 403", st)
        time.sleep(0.5)
        now = c.status()["one"]
        expect(now["state"] == "RUNNING" and now["pid"] == pid,
               "one keeps running after the refused actions", now)
        # reading is served whatever the origin
        st, _, body = get(port, "/", {"Origin": "http://evil.example",
                                      "Sec-Fetch-Site": "cross-site"})
        expect(st == 200 and 'data-name="one"' in body, "the page is read from anywhere", st)
        st, _, body = get(port, "/tail.html?processname=one",
                          {"Sec-Fetch-Site": "cross-site"})
        expect(st == 200 and "hello-web-page" in body, "the tail is read from anywhere", st)
        # the page's own site: taken
        st, hd, _ = get(port, stop, {"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin",
                                     "Referer": "http://%s/" % host})
        expect(st == 303 and hd.get("location", "").startswith("/?message=Process%20one%20stop"),
               "a same-origin stop is taken and answered with a redirect", st, hd)
        c.wait_state("one", "STOPPED")
        expect("refused action stop from another site" in c.stderr_text(),
               "corrald's log says what it refused", c.stderr_tail())


def test_web_auth_escaping_and_unix_server():
    """The page asks the XML-RPC interface's credentials (401 without),
    escapes hostile text in its HTML, and is served on the unix server
    too."""
    c, port = started("webauth")
    with c:
        c.start()
        c.wait_running(["one"])
        c.wait_state("hostile", ("FATAL", "BACKOFF"))
        for target in ("/", "/index.html", "/tail.html?processname=one",
                       "/index.html?processname=one&action=stop"):
            st, hd, _ = get(port, target, auth=False)
            expect(st == 401 and "www-authenticate" in hd, "%s without credentials: 401" % target,
                   st, hd)
        expect(c.status()["one"]["state"] == "RUNNING", "one runs: the 401 stopped nothing")
        st, hd, body = get(port, "/")
        expect(st == 200 and hd.get("cache-control") == "no-store", "the page: 200, not cached",
               st, hd)
        expect('http-equiv="refresh"' in body, "the page refreshes itself")
        expect("&lt;b&gt;bold&lt;/b&gt;&amp;&quot;q&quot;" in body and HOSTILE not in body,
               "the hostile description is escaped in the HTML",
               [ln for ln in body.splitlines() if "hostile" in ln])
        # a message, as the redirect carries it, is escaped too, and stops the refresh
        st, _, body = get(port, "/?message=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        expect("&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>" not in body,
               "the message is escaped", body[:200])
        expect('http-equiv="refresh"' not in body, "no refresh while a message is shown")
        # a bad query, an unknown action, a tail without a name: 400; an unknown name: 404
        for target, want in (("/index.html?action=frobnicate", 400), ("/tail.html", 400),
                             ("/tail.html?processname=nope", 404)):
            st, _, _ = get(port, target)
            expect(st == want, "%s: %d" % (target, want), st)
        st, hd, _ = get(port, "/index.html?processname=nope&action=stop")
        expect(st == 303 and "No%20such%20process%20named%20nope" in hd.get("location", ""),
               "an unknown name: supervisord's message", st, hd)
        # the unix server (no credentials configured) serves the page too
        raw = unix_get(c.path("sd.sock"), "/index.html")
        expect(raw.startswith(b"HTTP/1.1 200") and b'data-name="two"' in raw,
               "the page on the unix server", raw[:200])


def test_web_actions_answer_like_supervisord():
    """index.html?processname=one&action=stop, then the page it redirects
    to: against Debian's supervisord and against corrald, the same kind of
    answer (a redirect to /?message=..., a page with the message)."""
    from test_supervisorctl import Supervisord
    programs = ("[program:one]\ncommand = /bin/sh -c 'exec /bin/sleep 1000' @TAG@\n"
                "startsecs = 0\n")
    c = Corral(start=False, name="websd")
    sd = Supervisord(c.tag + "-sd")   # its own: its stop kills what carries it
    with c:
        c.write_config("[unix_http_server]\nfile = @DIR@/sd.sock\n\n"
                       "[supervisord]\nchildlogdir = @LOG@\nsocket = @DIR@/run/corral.sock\n\n"
                       + programs, raw=True)
        c.start()
        c.wait_running(["one"])
        try:
            sd.write(programs)
            sd.start()
            sock = {"corrald": c.path("sd.sock"), "supervisord": os.path.join(sd.tmp, "sd.sock")}
            wait_until(lambda: b'processname=one&amp;action=stop' in
                       unix_get(sock["supervisord"], "/index.html"), 20,
                       "supervisord's one to run")
            answers = {}
            for who, path in sock.items():
                raw = unix_get(path, "/index.html?processname=one&action=stop").decode()
                head = raw.split("\r\n\r\n", 1)[0]
                status = int(head.split()[1])
                loc = [ln.split(":", 1)[1].strip() for ln in head.split("\r\n")[1:]
                       if ln.lower().startswith("location:")]
                answers[who] = (status, loc[0] if loc else "")
            for who, (status, loc) in answers.items():
                expect(status in (301, 302, 303) and "/?message=Process%20one%20stop" in loc,
                       "%s answers the action with a redirect to the page and its message"
                       % who, answers)
                page = unix_get(sock[who], loc[loc.index("/?"):]).decode()
                expect("Process one stop" in page, "%s's page shows the message" % who,
                       page[-1500:])
            c.wait_state("one", "STOPPED")
        finally:
            sd.stop()


def test_web_pool_queue_depth():
    """A pool's queue depth on the page follows the jobs submitted, as
    status --json counts them."""
    c = Corral(start=False, name="webpool",
               scripts={"worker.sh": "while IFS= read -r line; do sleep 1000; done\n"})
    port = free_port()
    c.write_config("[inet_http_server]\nport = 127.0.0.1:%d\nusername = %s\npassword = %s\n\n"
                   "[supervisord]\nchildlogdir = @LOG@\nsocket = @DIR@/run/corral.sock\n\n"
                   "[pool:q]\ncommand = /bin/sh @DIR@/worker.sh @TAG@\nworkers = 1\nqueue = 8\n"
                   % (port, USER, PASSWORD), raw=True)
    with c:
        c.start()
        c.wait_running(["q:q_0"])

        def depth():
            st, _, body = get(port, "/")
            expect(st == 200, "the page", st)
            m = re.search(r'<tr class="pool" data-name="q"><td>q</td><td class="queue">(\d+)<',
                          body)
            expect(m, "the pools table lists q", body[-1500:])
            return int(m.group(1))
        expect(depth() == 0, "an empty queue", depth())
        for i in range(4):   # the first is taken by the one worker, three wait
            r = run([corralctl_path(), "-s", c.sock, "submit", "--no-wait", "--detach", "q",
                     "job %d" % i])
            expect(r.rc == 0, "submit job %d" % i, r)
        wait_until(lambda: depth() == 3, 10, "a queue of 3 on the page")
        queued = [p for p in c.status().values() if p.get("pool", {}).get("name") == "q"]
        expect(queued and queued[0]["pool"].get("queue") == 3,
               "status --json counts the same queue", queued)


def test_web_restart_clearlog_and_all():
    """restart starts the process again once it is down (a new pid), a stop
    asked meanwhile keeps it down; clearlog empties its log; restartall
    gives every running program a new pid; stopall stops them all."""
    c, port = started("webrestart")
    with c:
        c.start()
        pids = c.wait_running(["one", "two"])

        def act(query):
            st, hd, _ = get(port, "/index.html?" + query)
            expect(st == 303 and hd.get("location", "").startswith("/?message="),
                   "%s: a 303 to the page" % query, st, hd)
            return urllib.parse.unquote(hd["location"].split("=", 1)[1])

        msg = act("processname=one&action=restart")
        expect(msg == "Process one restarting", "restart's message", msg)
        wait_until(lambda: (lambda s: s["state"] == "RUNNING" and s["pid"] != pids["one"])(
            c.status()["one"]), 15, "one running again with a new pid")
        # the page counts it: one restart for one, none for the others
        _, _, body = get(port, "/")
        counts = dict(re.findall(r'data-name="(\w+)".*?<td class="restarts">(\d+)</td>',
                                 body, re.S))
        expect(counts.get("one") == "1" and counts.get("two") == "0", "the Restarts column",
               counts)
        # a restart then a stop: it stays down
        act("processname=two&action=restart")
        act("processname=two&action=stop")
        c.wait_state("two", "STOPPED")
        time.sleep(1)
        expect(c.status()["two"]["state"] == "STOPPED", "a stop after a restart keeps two down",
               c.status()["two"])
        msg = act("processname=two&action=stop")
        expect(msg == "ERROR: Process two: not running", "stop of a stopped process", msg)
        msg = act("processname=two&action=start")
        expect(msg == "Process two starting", "start's message", msg)
        c.wait_state("two", "RUNNING")
        # clearlog: the log file goes, and is written anew
        log = c.log("one")
        wait_until(lambda: "hello-web-page" in (c.read(log) or ""), 10, "one's log written")
        msg = act("processname=one&action=clearlog")
        expect(msg == "Log for one cleared", "clearlog's message", msg)
        expect("hello-web-page" not in (c.read(log) or ""), "one's log cleared", c.read(log))
        before = {n: c.status()[n]["pid"] for n in ("one", "two")}
        msg = act("action=restartall")
        expect(msg.startswith("All restarting"), "restartall's message", msg)
        wait_until(lambda: all(c.status()[n]["state"] == "RUNNING" and
                               c.status()[n]["pid"] != before[n] for n in before), 15,
                   "every program running again with a new pid")
        msg = act("action=stopall")
        expect(msg == "All stopping", "stopall's message", msg)
        for n in ("one", "two"):
            c.wait_state(n, "STOPPED")
