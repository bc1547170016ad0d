"""The JSON API under /api/v1/ (corrald(8), doc/openapi.json): every endpoint
answers, and each answer (errors too) is checked with python3-jsonschema
against the schema the OpenAPI document gives for its path, method and
status, so the document is the one description of the API; the document
itself passes `@redocly/cli lint`. GET changes nothing; a cross-site POST,
a POST to a read_only server and a request without the credentials or the
bearer token are refused; a token file others can read is refused at
--check. The event stream: a state change reaches a client within 100 ms,
Last-Event-ID resumes without loss or duplicate, log and health events
come, followers of an idle corrald cost it no system call, and a stalled
client is dropped (counted in /metrics) while corrald's memory stays flat."""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse

import jsonschema

from harness import (PY, REPO, Corral, build_dir, expect, free_port, note, run, wait_until)

DOC_PATH = os.path.join(REPO, "doc", "openapi.json")
with open(DOC_PATH) as f:
    DOC = json.load(f)

WEB = "/bin/sh -c 'while :; do echo tick; sleep 0.2; done' @TAG@"
PROGS = ("[program:web]\ncommand = %s\nstartsecs = 0\nstopwaitsecs = 2\n\n"
         "[program:pair]\ncommand = /bin/sh -c 'exec /bin/sleep 1000' @TAG@\nnumprocs = 2\n"
         "process_name = %%(program_name)s_%%(process_num)02d\nstartsecs = 0\n\n" % WEB)


def server(port, extra=""):
    return "[inet_http_server]\nport = 127.0.0.1:%d\n%s\n" % (port, extra)


# ---------------------------------------------------------------- the document

def schema_for(path_template, method, status, ctype="application/json"):
    """The schema the document gives for this answer, as a schema that
    resolves the document's own $refs."""
    ops = DOC["paths"][path_template]
    if method.lower() not in ops:
        # a method the path does not serve: the document's 405, an Error
        expect(status == 405, "%s %s: status %s, expected 405" % (method, path_template, status))
        return component("Error")
    op = ops[method.lower()]
    resp = op["responses"].get(str(status))
    expect(resp is not None, "%s %s: status %s is not documented (documented: %s)"
           % (method, path_template, status, sorted(op["responses"])))
    while "$ref" in resp:
        resp = DOC["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    s = resp["content"][ctype]["schema"]
    return component(s)


def component(s):
    if isinstance(s, str):
        s = {"$ref": "#/components/schemas/" + s}
    return dict(s, components=DOC["components"],
                **{"$schema": "https://json-schema.org/draft/2020-12/schema"})


def validate(obj, schema, what):
    try:
        jsonschema.Draft202012Validator(schema).validate(obj)
    except jsonschema.ValidationError as e:
        raise AssertionError("%s: does not match the document: %s (at %s)\n%r"
                             % (what, e.message, list(e.absolute_path), obj))


# ---------------------------------------------------------------- the client

class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self.json = None
        if headers.get("content-type", "").startswith("application/json"):
            self.json = json.loads(body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def call(port, method, path, body=None, headers=None, template=None):
    """One request on a new connection (PORT: a TCP port on 127.0.0.1, or
    the path of a unix socket); the answer, checked against the document
    when TEMPLATE (the path as the document writes it) is given."""
    h = {"Host": "127.0.0.1:%d" % port if isinstance(port, int) else "localhost"}
    h.update(headers or {})
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    if isinstance(port, int):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(port)
    head = "%s %s HTTP/1.1\r\n" % (method, path)
    head += "".join("%s: %s\r\n" % kv for kv in h.items())
    head += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data)
    s.sendall(head.encode() + data)
    raw = b""
    while True:
        got = s.recv(65536)
        if not got:
            break
        raw += got
    s.close()
    top, _, rest = raw.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    a = Answer(status, hdrs, rest)
    if template:
        expect(a.json is not None, "%s %s: not JSON: %r" % (method, path, a))
        validate(a.json, schema_for(template, method, status), "%s %s (%d)" % (method, path, status))
    return a


def expect_error(a, status, code, what):
    expect(a.status == status, "%s: status %d, expected %d" % (what, a.status, status), a)
    expect(a.json is not None and a.json.get("code") == code,
           "%s: error code %r, expected %r" % (what, a.json and a.json.get("code"), code), a)
    validate(a.json, component("Error"), what)


def basic(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()}


def names_and_states(port):
    a = call(port, "GET", "/api/v1/programs", template="/api/v1/programs")
    return {p["name"]: (p["state"], p["pid"]) for p in a.json["processes"]}


# ---------------------------------------------------------------- endpoints

def test_api_every_endpoint_matches_the_document():
    port = free_port()
    with Corral(PROGS + server(port), name="api_endpoints") as c:
        c.wait_running(["web", "pair:pair_00", "pair:pair_01"])
        P = "/api/v1/programs"
        a = call(port, "GET", P, template=P)
        got = [p["name"] for p in a.json["processes"]]
        # the same processes and the same keys as corralctl status --json
        r = c.ctl("--json", "status")
        ctl = json.loads(r.out)
        expect(got == [p["name"] for p in ctl], "the processes differ from status --json", got, ctl)
        for mine, theirs in zip(a.json["processes"], ctl):
            expect(list(mine) == list(theirs), "keys differ from status --json for %s"
                   % mine["name"], list(mine), list(theirs))
            for k in ("name", "group", "state", "pid", "scope", "numprocs"):
                expect(mine[k] == theirs[k], "%s: %s differs from status --json" % (mine["name"], k),
                       mine[k], theirs[k])
        a = call(port, "GET", P + "/pair", template=P + "/{name}")
        expect([p["name"] for p in a.json["processes"]] == ["pair:pair_00", "pair:pair_01"],
               "GET programs/pair", a)
        a = call(port, "GET", P + "/pair%3Apair_01", template=P + "/{name}")
        expect([p["name"] for p in a.json["processes"]] == ["pair:pair_01"], "a process by name", a)

        wait_until(lambda: "tick" in (c.read(c.log("web")) or ""), 10, "web's output")
        a = call(port, "GET", P + "/web/log", template=P + "/{name}/log")
        expect(a.json["text"].startswith("tick\n") and a.json["stream"] == "stdout", "the log", a)
        a = call(port, "GET", P + "/web/log?offset=0&length=3", template=P + "/{name}/log")
        expect(a.json["text"] == "tic" and a.json["offset"] == 0 and a.json["length"] == 3,
               "offset and length", a)
        a = call(port, "GET", P + "/web/log?offset=-5", template=P + "/{name}/log")
        expect(a.json["length"] == 5 and a.json["offset"] == a.json["size"] - 5, "offset < 0", a)
        a = call(port, "GET", P + "/web/log?stream=stderr", template=P + "/{name}/log")
        expect(a.json["stream"] == "stderr", "stderr", a)

        a = call(port, "POST", P + "/web/stop", template=P + "/{name}/stop")
        expect(a.status == 202 and a.json["processes"][0]["state"] in ("STOPPING", "STOPPED"),
               "stop", a)
        c.wait_state("web", "STOPPED")
        a = call(port, "POST", P + "/web/start", template=P + "/{name}/start")
        expect(a.status == 202, "start", a)
        pid1 = c.wait_state("web", "RUNNING")["pid"]
        a = call(port, "POST", P + "/web/restart", body={}, template=P + "/{name}/restart")
        expect(a.status == 202, "restart", a)
        wait_until(lambda: c.state("web")["state"] == "RUNNING" and c.state("web")["pid"] != pid1,
                   10, "web restarted with a new pid")
        pid2 = c.state("web")["pid"]
        a = call(port, "POST", P + "/web/signal", body={"signal": "TERM"},
                 template=P + "/{name}/signal")
        expect(a.status == 200, "signal", a)
        wait_until(lambda: c.state("web")["pid"] not in (0, pid2), 10,
                   "web restarted by autorestart after SIGTERM")
        a = call(port, "POST", "/api/v1/reload", template="/api/v1/reload")
        expect(a.status == 200 and a.json["changes"], "reload", a)
        a = call(port, "GET", "/api/v1/openapi.json")
        expect(a.status == 200 and a.json == DOC, "openapi.json is the document in the tree")


def test_api_errors_are_documented():
    port = free_port()
    with Corral(PROGS + server(port), name="api_errors") as c:
        c.wait_running(["web"])
        P = "/api/v1/programs"
        expect_error(call(port, "GET", P + "/nope", template=P + "/{name}"), 404,
                     "no_such_program", "GET of a bad name")
        expect_error(call(port, "POST", P + "/nope/stop", template=P + "/{name}/stop"), 404,
                     "no_such_program", "stop of a bad name")
        expect_error(call(port, "GET", P + "/nope/log", template=P + "/{name}/log"), 404,
                     "no_such_program", "log of a bad name")
        expect_error(call(port, "GET", "/api/v1/nothing"), 404, "not_found", "no endpoint")
        expect_error(call(port, "GET", P + "/web/start/x"), 404, "not_found", "too deep")
        # wrong methods: 405 with Allow
        a = call(port, "GET", P + "/web/stop", template=P + "/{name}/stop")
        expect_error(a, 405, "method_not_allowed", "GET of stop")
        expect(a.headers.get("allow") == "POST", "Allow: POST", a.headers)
        for m in ("POST", "DELETE", "PUT"):
            a = call(port, m, P, template=P)
            expect_error(a, 405, "method_not_allowed", "%s of programs" % m)
            expect(a.headers.get("allow") == "GET", "Allow: GET", a.headers)
        # bad bodies and parameters: 400
        t = P + "/{name}/signal"
        expect_error(call(port, "POST", P + "/web/signal", body=b"{not json", template=t), 400,
                     "bad_body", "a body that is not JSON")
        expect_error(call(port, "POST", P + "/web/signal", body=["HUP"], template=t), 400,
                     "bad_body", "a body that is not an object")
        expect_error(call(port, "POST", P + "/web/signal", body={"sig": "HUP"}, template=t), 400,
                     "bad_body", "a body without signal")
        expect_error(call(port, "POST", P + "/web/signal", template=t), 400, "bad_body",
                     "no body")
        expect_error(call(port, "POST", P + "/web/signal", body={"signal": "NOPE"}, template=t),
                     400, "bad_signal", "no such signal")
        expect_error(call(port, "POST", P + "/web/stop", body={"now": True},
                          template=P + "/{name}/stop"), 400, "bad_body", "a body stop ignores")
        t = P + "/{name}/log"
        expect_error(call(port, "GET", P + "/web/log?stream=both", template=t), 400,
                     "bad_parameter", "stream=both")
        expect_error(call(port, "GET", P + "/web/log?length=-1", template=t), 400,
                     "bad_parameter", "length=-1")
        expect_error(call(port, "GET", P + "/web/log?offset=x", template=t), 400,
                     "bad_parameter", "offset=x")
        expect_error(call(port, "GET", P + "/web/log?bogus=1", template=t), 400,
                     "bad_parameter", "an unknown parameter")
        expect_error(call(port, "GET", P + "/pair/log", template=t), 400, "ambiguous_name",
                     "the log of two processes")
        for path, t in ((P + "?all=1", P), (P + "/web?x", P + "/{name}"),
                        ("/api/v1/events?log=web", "/api/v1/events"),
                        ("/api/v1/events?logs=", "/api/v1/events"),
                        ("/api/v1/events?logs=web,,pair", "/api/v1/events")):
            expect_error(call(port, "GET", path, template=t), 400, "bad_parameter", path)
        expect_error(call(port, "POST", P + "/web/stop?now=1", template=P + "/{name}/stop"), 400,
                     "bad_parameter", "stop?now=1")
        # conflicts: 409
        expect_error(call(port, "POST", P + "/web/start", template=P + "/{name}/start"), 409,
                     "already_started", "start of a running one")
        call(port, "POST", P + "/web/stop", template=P + "/{name}/stop")
        c.wait_state("web", "STOPPED")
        expect_error(call(port, "POST", P + "/web/stop", template=P + "/{name}/stop"), 409,
                     "not_running", "stop of a stopped one")
        expect_error(call(port, "POST", P + "/web/signal", body={"signal": "HUP"},
                          template=P + "/{name}/signal"), 409, "not_running",
                     "signal to a stopped one")
        expect(c.state("web")["state"] == "STOPPED", "web stays stopped")
        # a config that cannot be applied: 409, nothing changes
        good = c.read(c.conf)
        c.write_config(PROGS + server(port) + "[program:broken]\nnumprocs = x\n")
        a = call(port, "POST", "/api/v1/reload", template="/api/v1/reload")
        expect_error(a, 409, "reload_refused", "reload of a bad config")
        expect(a.json.get("errors"), "the errors are listed", a)
        with open(c.conf, "w") as f:
            f.write(good)


def test_api_get_changes_nothing():
    port = free_port()
    with Corral(PROGS + server(port), name="api_get") as c:
        c.wait_running(["web", "pair:pair_00", "pair:pair_01"])
        before = names_and_states(port)
        log_before = c.stderr_text().count(" -> ")
        P = "/api/v1/programs"
        # every GET, and GETs of the POST endpoints (405s)
        for path in (P, P + "/web", P + "/all", P + "/pair", P + "/web/log", "/api/v1/openapi.json",
                     P + "/web/stop", P + "/web/start", P + "/web/restart", P + "/web/signal",
                     "/api/v1/reload", P + "/pair/stop", P + "/all/stop"):
            for method in ("GET", "HEAD"):
                call(port, method, path)
        time.sleep(0.3)
        after = names_and_states(port)
        expect(after == before, "a GET changed something", before, after)
        expect(c.stderr_text().count(" -> ") == log_before, "state changes were logged",
               c.stderr_tail())


def test_api_cross_site_post_refused():
    port = free_port()
    with Corral(PROGS + server(port), name="api_xsite") as c:
        c.wait_running(["web"])
        pid = c.state("web")["pid"]
        t = "/api/v1/programs/{name}/stop"
        for h in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                  {"Referer": "http://evil.example/page"}):
            a = call(port, "POST", "/api/v1/programs/web/stop", headers=h, template=t)
            expect_error(a, 403, "cross_site", "a POST with %r" % h)
        time.sleep(0.3)
        expect(c.state("web")["state"] == "RUNNING" and c.state("web")["pid"] == pid,
               "a refused POST stopped web")
        # the same site (the web page's rule) is taken
        a = call(port, "POST", "/api/v1/programs/web/stop",
                 headers={"Origin": "http://127.0.0.1:%d" % port,
                          "Sec-Fetch-Site": "same-origin"}, template=t)
        expect(a.status == 202, "a same-origin POST", a)


def test_api_read_only_refuses_post():
    port = free_port()
    # read_only is the server's: the unix one serves everything
    unix = "[unix_http_server]\nfile = @DIR@/api.sock\n\n"
    with Corral(PROGS + server(port, "read_only = true") + unix, name="api_ro") as c:
        c.wait_running(["web"])
        P = "/api/v1/programs"
        a = call(port, "GET", P + "/web", template=P + "/{name}")
        expect(a.status == 200, "GET on a read_only server", a)
        for path, t in ((P + "/web/stop", P + "/{name}/stop"), (P + "/web/start", P + "/{name}/start"),
                        ("/api/v1/reload", "/api/v1/reload")):
            expect_error(call(port, "POST", path, template=t), 403, "read_only", "POST " + path)
        sig = call(port, "POST", P + "/web/signal", body={"signal": "TERM"},
                   template=P + "/{name}/signal")
        expect_error(sig, 403, "read_only", "signal")
        expect(c.state("web")["state"] == "RUNNING", "web still runs")
        a = call(c.path("api.sock"), "POST", P + "/web/stop", template=P + "/{name}/stop")
        expect(a.status == 202, "a POST on the unix server, which is not read_only", a)
        c.wait_state("web", "STOPPED")


def token_file(c, text="s3cret-token-0123\n", mode=0o600):
    path = c.path("api.token")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def test_api_bearer_token():
    port = free_port()
    c = Corral("", name="api_token", start=False)
    tok = token_file(c)
    c.write_config(PROGS + server(port, "username = bob\npassword = pw2\napi_token_file = %s" % tok))
    with c:
        c.start()
        c.wait_running(["web"])
        P, t = "/api/v1/programs", "/api/v1/programs"
        for h, what in (({}, "no credentials"), ({"Authorization": "Bearer wrong"}, "a wrong token"),
                        ({"Authorization": "Bearer s3cret-token-012"}, "a prefix of the token"),
                        (basic("bob", "nope"), "wrong Basic credentials")):
            a = call(port, "GET", P, headers=h, template=t)
            expect_error(a, 401, "unauthorized", what)
            expect("www-authenticate" in a.headers, "%s: no WWW-Authenticate" % what, a.headers)
        a = call(port, "GET", P, headers={"Authorization": "Bearer s3cret-token-0123"}, template=t)
        expect(a.status == 200, "the token", a)
        a = call(port, "GET", P, headers=basic("bob", "pw2"), template=t)
        expect(a.status == 200, "Basic credentials", a)
        a = call(port, "POST", P + "/web/stop", headers={"Authorization": "Bearer s3cret-token-0123"},
                 template=P + "/{name}/stop")
        expect(a.status == 202, "a POST with the token", a)
        # the token is the API's: XML-RPC still wants the Basic credentials
        body = (b"<?xml version='1.0'?><methodCall><methodName>supervisor.getPID</methodName>"
                b"<params></params></methodCall>")
        a = call(port, "POST", "/RPC2", body=body,
                 headers={"Authorization": "Bearer s3cret-token-0123", "Content-Type": "text/xml"})
        expect(a.status == 401, "XML-RPC with the token", a)


def test_api_token_file_mode_refused_at_check():
    port = free_port()
    c = Corral("", name="api_tokenmode", start=False)
    tok = token_file(c, mode=0o640)
    text = c.write_config(PROGS + server(port, "api_token_file = %s" % tok))
    line = text.splitlines().index("api_token_file = %s" % tok) + 1
    r = run([os.path.join(build_dir(), "corrald"), "--check", "-c", c.conf])
    expect(r.rc != 0, "--check took a token file group can read", r)
    expect("%s:%d" % (c.conf, line) in r.err and "0640" in r.err and "api_token_file" in r.err,
           "--check names the file:line and the mode", r.err)
    os.chmod(tok, 0o600)
    r = run([os.path.join(build_dir(), "corrald"), "--check", "-c", c.conf])
    expect(r.rc == 0, "--check of a 0600 token file", r)
    with open(tok, "w") as f:
        f.write("\n")
    os.chmod(tok, 0o600)
    with c:
        c.start(wait=False)
        wait_until(lambda: c.proc.poll() is not None, 10, "corrald to refuse an empty token")
        c.exit_code = c.proc.returncode     # expected: not a death to report
        expect(c.proc.returncode != 0 and "no token in it" in c.stderr_text(),
               "an empty token file refused at start", c.stderr_tail())
    shutil.rmtree(c.tmp, ignore_errors=True)


# ---------------------------------------------------------------- lint

REDOCLY = "@redocly/cli@1.34.20"


def redocly_dir():
    """Where the linter is installed: a cache outside the git tree (the
    build dir when /var/cache cannot be written)."""
    for d in ("/var/cache/corral-tests/redocly", os.path.join(build_dir(), "redocly")):
        try:
            os.makedirs(d, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            continue
    return os.path.join(build_dir(), "redocly")


def test_openapi_document_passes_redocly_lint():
    npm = shutil.which("npm")
    if not npm:
        note("npm is not installed: @redocly/cli lint not run (the document is still "
             "checked by python3-jsonschema in the other tests)")
        return
    d = redocly_dir()
    bin_ = os.path.join(d, "node_modules", ".bin", "redocly")
    if not os.access(bin_, os.X_OK):
        # npm's own cache beside it: CI runs this as root, maybe without a
        # HOME of its own; nothing goes into the git tree
        env = dict(os.environ, npm_config_cache=os.path.join(d, ".npm-cache"),
                   npm_config_update_notifier="false")
        r = run([npm, "install", "--prefix", d, "--no-audit", "--no-fund", REDOCLY],
                timeout=600, env=env)
        expect(r.rc == 0, "npm install %s" % REDOCLY, r.err[-2000:])
    # The event schemas (StateEvent ...) describe the data: lines of the
    # text/event-stream answer, which OpenAPI 3.1 has no place to attach
    # (3.2's itemSchema): the document names them in an x- extension, which
    # the rule does not follow. Every other warning fails the test.
    r = run([bin_, "lint", "--format", "stylish", "--skip-rule", "no-unused-components",
             DOC_PATH], timeout=120)
    out = r.out + r.err
    expect(r.rc == 0, "redocly lint failed", out[-3000:])
    expect("valid" in out.lower() and "warning" not in out, "redocly warned", out[-3000:])


# ---------------------------------------------------------------- events

class SSE:
    """A Server-Sent Events client on a raw socket: chunked encoding and
    event fields parsed by hand, so that the time of each event's arrival
    is the time its bytes came."""

    def __init__(self, port, query="", last_id=None, rcvbuf=None):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(10)
        self.s.connect(("127.0.0.1", port))
        h = "GET /api/v1/events%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" % query
        if last_id is not None:
            h += "Last-Event-ID: %s\r\n" % last_id
        self.s.sendall((h + "\r\n").encode())
        self.raw = b""
        self.body = b""
        self.head = None
        self.events = []

    def close(self):
        self.s.close()

    def _fill(self, deadline):
        self.s.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            got = self.s.recv(65536)
        except socket.timeout:
            return False
        if not got:
            raise EOFError("the stream ended")
        self.raw += got
        if self.head is None and b"\r\n\r\n" in self.raw:
            self.head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        while self.head is not None:   # whole chunks into the body
            line, sep, rest = self.raw.partition(b"\r\n")
            if not sep:
                break
            n = int(line.split(b";")[0], 16)
            if len(rest) < n + 2:
                break
            self.body += rest[:n]
            self.raw = rest[n + 2:]
        while b"\n\n" in self.body:
            block, _, self.body = self.body.partition(b"\n\n")
            ev = {"t": time.monotonic()}
            for l in block.decode().split("\n"):
                if l.startswith(":"):
                    continue
                k, _, v = l.partition(":")
                ev[k] = v[1:] if v.startswith(" ") else v
            if "event" in ev:
                ev["json"] = json.loads(ev["data"])
                self.events.append(ev)
        return True

    def next(self, pred=lambda e: True, timeout=10):
        """The first event not yet taken that PRED holds for."""
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if pred(e):
                    del self.events[:i + 1]
                    return e
            if time.monotonic() > deadline:
                raise AssertionError("no such event within %ss; have %r" % (timeout, self.events))
            self._fill(deadline)

    def drain(self, quiet=0.3):
        """Every event that comes until none has for QUIET seconds."""
        while self._fill(time.monotonic() + quiet):
            pass
        got, self.events = self.events, []
        return got


SCHEMAS = {"state": "StateEvent", "health": "HealthEvent", "log": "LogEvent", "lost": "LostEvent",
           "dropped": "DroppedEvent"}


def check_event(e):
    validate(e["json"], component(SCHEMAS[e["event"]]), "event %s" % e["event"])
    return e


def test_events_state_change_within_100ms_and_resume():
    port = free_port()
    with Corral(PROGS + server(port), name="api_sse") as c:
        c.wait_running(["web"])
        ref = SSE(port)        # follows throughout: what a resume must equal
        sub = SSE(port)
        ref.drain(0.2)
        sub.drain(0.2)
        # a stop through the API: the event arrives within 100 ms of the call
        t0 = time.monotonic()
        a = call(port, "POST", "/api/v1/programs/web/stop")
        expect(a.status == 202, "stop", a)
        e = check_event(sub.next(lambda e: e["event"] == "state" and e["json"]["name"] == "web"))
        took = e["t"] - t0
        expect(e["json"]["from"] == "RUNNING" and e["json"]["to"] == "STOPPING", "the event", e)
        sanitized = "san" in os.path.basename(build_dir())
        if sanitized:
            note("state event %.1f ms after the stop (sanitizer build: not asserted)" % (took * 1000))
        else:
            expect(took < 0.1, "the state change took %.1f ms to arrive (bound 100 ms)" % (took * 1000))
            note("state event %.1f ms after the stop" % (took * 1000))
        last = e["id"]
        sub.close()
        # changes while it is away
        c.wait_state("web", "STOPPED")
        call(port, "POST", "/api/v1/programs/web/start")
        c.wait_state("web", "RUNNING")
        call(port, "POST", "/api/v1/programs/pair/restart")
        wait_until(lambda: c.state("pair:pair_00")["state"] == "RUNNING"
                   and c.state("pair:pair_01")["state"] == "RUNNING", 10, "pair restarted")
        time.sleep(0.3)
        everything = [check_event(e) for e in ref.drain()]
        ids = [int(e["id"]) for e in everything]
        expect(ids == sorted(ids) and len(set(ids)) == len(ids), "ids grow", ids)
        after = [e for e in everything if int(e["id"]) > int(last)]
        expect(len(after) >= 6, "the changes while away", everything)
        # back with Last-Event-ID: exactly what it missed, once each
        back = SSE(port, last_id=last)
        got = [check_event(e) for e in back.drain()]
        expect([e["id"] for e in got] == [e["id"] for e in after],
               "the resume is not what was missed", [e["id"] for e in got], [e["id"] for e in after])
        expect([e["data"] for e in got] == [e["data"] for e in after], "the resumed events differ")
        # then it goes on live
        call(port, "POST", "/api/v1/programs/web/stop")
        e = check_event(back.next(lambda e: e["event"] == "state"))
        expect(int(e["id"]) > int(after[-1]["id"]), "the next event after the resume", e)
        back.close()
        # an id older than any kept (or of another run): "lost", then all kept
        old = SSE(port, last_id="1")
        got = old.drain()
        expect(got and got[0]["event"] == "lost", "no lost event for Last-Event-ID 1", got[:2])
        check_event(got[0])
        expect(len(got) > len(after) and all(e["event"] == "state" for e in got[1:]),
               "every kept event after lost", got)
        old.close()
        # an id that is no number: the same
        bad = SSE(port, last_id="not-an-id")
        got = bad.drain()
        expect(got and got[0]["event"] == "lost" and got[0]["json"]["last_event_id"] == "not-an-id",
               "no lost event for a Last-Event-ID that is no number", got[:2])
        bad.close()
        ref.close()


BLOB = """import sys, time
sys.stdout.write("\\u00e9" * 100000 + "\\x01\\n")
sys.stdout.flush()
time.sleep(1000)
"""


def test_events_log_lines_and_health():
    port = free_port()
    cfg = (PROGS + server(port) +
           "[program:blob]\ncommand = @PY@ @DIR@/blob.py @TAG@\nautostart = false\n"
           "startsecs = 0\n\n" +
           "[program:checked]\ncommand = /bin/sh -c 'exec /bin/sleep 1000' @TAG@\nstartsecs = 0\n"
           "healthcheck = exec:/bin/test -e @DIR@/ok\nhealth_interval = 1\nhealth_retries = 1\n"
           "on_unhealthy = none\n\n")
    c = Corral(cfg, name="api_sse_logs", start=False, scripts={"blob.py": BLOB})
    open(c.path("ok"), "w").close()
    with c:
        c.start()
        c.wait_running(["web", "checked"])
        expect_error(call(port, "GET", "/api/v1/events?logs=nope", template="/api/v1/events"), 404,
                     "no_such_program", "logs of a bad name")
        sub = SSE(port, "?logs=web")
        e = check_event(sub.next(lambda e: e["event"] == "log"))
        expect(e["json"]["name"] == "web" and "tick" in e["json"]["text"] and "id" not in e,
               "a log event (without an id)", e)
        os.unlink(c.path("ok"))
        e = check_event(sub.next(lambda e: e["event"] == "health", timeout=15))
        expect(e["json"]["name"] == "checked" and e["json"]["healthy"] is False and "id" in e,
               "an unhealthy event", e)
        open(c.path("ok"), "w").close()
        e = check_event(sub.next(lambda e: e["event"] == "health", timeout=15))
        expect(e["json"]["healthy"] is True, "a healthy event", e)
        sub.close()
        # 200 KB of output on one line, each character two bytes: in
        # events of at most 16 KiB that cut no character, to a reader
        # that keeps up (none is dropped for one big chunk)
        sub = SSE(port, "?logs=blob")
        sub.drain(0.2)
        call(port, "POST", "/api/v1/programs/blob/start")
        want = "\u00e9" * 100000 + "\x01\n"
        text = ""
        while len(text) < len(want):
            e = check_event(sub.next(lambda e: e["event"] in ("log", "dropped")))
            expect(e["event"] == "log", "a reader that keeps up was dropped", e)
            expect(len(e["json"]["text"].encode()) <= 16384, "a log event over 16 KiB",
                   len(e["json"]["text"]))
            text += e["json"]["text"]
        expect(text == want, "the output in pieces is not the output",
               len(text), text.count("\ufffd"))
        expect(dropped_metric(port) == 0, "a subscriber was dropped")
        sub.close()


def test_events_idle_stream_costs_no_system_call():
    """Followers of the stream, one asking for a silent program's output,
    make an idle corrald do nothing: no keep-alive, no timer."""
    from test_protocol import IDLE_OK
    port = free_port()
    cfg = server(port) + "[program:quiet]\ncommand = /bin/sh -c 'exec /bin/sleep 1000' @TAG@\n"
    with Corral(cfg + "startsecs = 0\n\n", name="api_sse_idle") as c:
        c.wait_running(["quiet"])
        subs = [SSE(port), SSE(port, "?logs=quiet", last_id="1")]
        for sub in subs:
            sub.drain(0.3)
        wait_until(lambda: "corral_api_event_subscribers 2" in call(port, "GET", "/metrics")
                   .body.decode(), 5, "two subscribers in /metrics")
        time.sleep(0.3)
        out = c.path("strace.out")
        errf = open(c.path("strace.err"), "w")
        st = subprocess.Popen(["strace", "-p", str(c.pid), "-o", out], stdin=subprocess.DEVNULL,
                              stdout=errf, stderr=errf)
        try:
            wait_until(lambda: "attached" in (c.read(c.path("strace.err")) or ""), 5,
                       "strace to attach")
            time.sleep(3)
        finally:
            st.terminate()  # by its PID
            try:
                st.wait(5)
            except subprocess.TimeoutExpired:
                st.kill()
                st.wait()
            errf.close()
        lines = [l for l in (c.read(out) or "").splitlines() if l.strip()]
        calls = [l for l in lines if not l.startswith(("---", "+++"))]
        busy = [l for l in calls
                if not (l.startswith(IDLE_OK) and ("<detached" in l or "<unfinished" in l
                                                   or "resuming" in l))]
        expect(not busy, "idle corrald with two event subscribers made %d system call(s) in "
               "3 s: %s" % (len(busy), " | ".join(busy[:8])))
        # and the streams still work after the quiet
        call(port, "POST", "/api/v1/programs/quiet/stop")
        for sub in subs:
            e = sub.next(lambda e: e["event"] == "state")
            expect(e["json"]["name"] == "quiet", "the event after the quiet", e)
            sub.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


def dropped_metric(port):
    text = call(port, "GET", "/metrics").body.decode()
    m = re.search(r"^corral_api_event_subscribers_dropped_total (\d+)", text, re.M)
    expect(m, "no dropped metric in /metrics", text[-500:])
    return int(m.group(1))


# What a stalled subscriber may add to corrald's memory: its buffer is
# bounded at 256 KiB (APIEVENTS_BEHIND), each event's text is built and
# freed at once, the ring holds 512 events of a few hundred bytes; malloc
# keeps some of what was freed. 4 MiB is well above these and well below
# what an unbounded buffer would take (the test streams ~40 MiB of output).
RSS_BOUND_KIB = 4096


CHATTER = """import os, sys, time
line = "x" * 400 + "\\n"
while not os.path.exists("@DIR@/go"):
    time.sleep(0.05)
for i in range(100000):
    sys.stdout.write(line)
sys.stdout.flush()
time.sleep(1000)
"""


def test_events_stalled_subscriber_dropped_memory_flat():
    port = free_port()
    cfg = (server(port) + "[program:chatter]\ncommand = @PY@ @DIR@/chatter.py @TAG@\n"
           "startsecs = 0\nstdout_logfile = /dev/null\n\n")
    # Under AddressSanitizer, freed memory waits in its quarantine (256 MiB
    # by default) instead of being reused, so RSS would grow with every
    # event built and freed, bounded buffer or not: no quarantine here. A
    # build without ASan reads no such variable.
    asan = (os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0").lstrip(":")
    with Corral(cfg, scripts={"chatter.py": CHATTER}, name="api_sse_stall",
                env={"ASAN_OPTIONS": asan}) as c:
        c.wait_running(["chatter"])
        pid = c.proc.pid
        expect(dropped_metric(port) == 0, "dropped before any stall")
        stalled = SSE(port, "?logs=chatter", rcvbuf=4096)   # never read
        reader = SSE(port)
        time.sleep(0.3)
        before = peak = rss_kib(pid)
        open(c.path("go"), "w").close()     # ~40 MiB of output, as log events
        deadline = time.monotonic() + 60
        while dropped_metric(port) < 1:
            peak = max(peak, rss_kib(pid))
            expect(time.monotonic() < deadline, "the stalled subscriber was never dropped; "
                   "RSS %d -> %d KiB" % (before, peak))
            time.sleep(0.05)
        time.sleep(0.5)
        peak = max(peak, rss_kib(pid))
        after = rss_kib(pid)
        note("corrald RSS: %d KiB before, %d KiB at most while stalled, %d KiB after the drop"
             % (before, peak, after))
        expect(peak - before < RSS_BOUND_KIB, "RSS grew %d KiB (bound %d)"
               % (peak - before, RSS_BOUND_KIB))
        expect("fell" in c.stderr_text() and "behind: dropped" in c.stderr_text(),
               "the drop is logged", c.stderr_tail())
        # corrald went on: the API and the other client still answer
        a = call(port, "GET", "/api/v1/programs/chatter", template="/api/v1/programs/{name}")
        expect(a.status == 200, "the API after the drop", a)
        call(port, "POST", "/api/v1/programs/chatter/stop")
        e = reader.next(lambda e: e["event"] == "state")
        expect(e["json"]["name"] == "chatter", "the reading client still gets events", e)
        # the stalled one, read at last, was told before its stream ended
        try:
            e = stalled.next(lambda e: e["event"] == "dropped", timeout=30)
        except EOFError:
            raise AssertionError("the stream ended without a dropped event")
        check_event(e)
        stalled.close()
        reader.close()
