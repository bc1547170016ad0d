"""corrald on supervisord's own config files (issue 8, the config part)."""

import os
import stat
import shutil
import subprocess

from harness import Corral, corrald_path, expect, run, wait_until

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                        "supervisord")


def check(path, cwd=None, env=None):
    argv = [corrald_path(), "--check"] + (["-c", path] if path else [])
    if cwd is None:
        return run(argv, timeout=10, env=env)
    r = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10)
    class R:
        rc, out, err = r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
        all = out + err
    return R


def warnings(r):
    return [l for l in r.err.splitlines() if l.startswith("warning: ")]


def test_fixtures_accepted():
    for name in ("sample.conf", "full.conf", "web.conf"):
        path = os.path.join(FIXTURES, name)
        r = check(path)
        expect(r.rc == 0, "--check %s exits %s, not 0" % (name, r.rc), r)
        expect("%s: ok" % path in r.out, "--check %s prints 'FILE: ok'" % name, r)
        # full.conf names keys corral ignores (user = ...): it says so; the
        # others name none, now that corrald keeps its logfile
        expect(bool(warnings(r)) == (name == "full.conf"),
               "--check %s: warnings %s" % (name, "expected" if name == "full.conf"
                                            else "not expected"), r)
        other = [l for l in r.err.splitlines() if not l.startswith("warning: ")]
        expect(not other, "--check %s: stderr lines that are not warnings" % name, r)
        for w in warnings(r):
            expect(w.startswith("warning: %s:" % path) or w.startswith("warning: %s/" % FIXTURES),
                   "warning without FILE:LINE: %r" % w, r)


def test_echo_supervisord_conf_accepted():
    echo = shutil.which("echo_supervisord_conf")
    if not echo:
        print("echo_supervisord_conf not installed: only the stored sample is checked")
        return
    with Corral(start=False, name="sd_echo") as c:
        text = subprocess.run([echo], capture_output=True, check=True).stdout.decode()
        c.write_config(text, raw=True)
        r = check(c.conf)
        expect(r.rc == 0, "--check of echo_supervisord_conf's output exits %s" % r.rc, r)
        # corrald serves [unix_http_server] and the standard rpcinterface itself
        expect(not any("[unix_http_server]" in w or "[rpcinterface:supervisor]" in w
                       for w in warnings(r)),
               "a warning about a section corrald serves", r)


def test_unknown_key_warning_or_error():
    with Corral(start=False, name="sd_unknown") as c:
        c.write_config("[program:x]\ncommand = /bin/true\ncomand = /bin/true\n"
                       "[supervisord]\nnodaemon = true\n", raw=True)
        r = check(c.conf)
        expect(r.rc == 0, "an unknown key in a supervisord config exits %s, not 0" % r.rc, r)
        want = "warning: %s:3: [program:x]: unknown key 'comand'" % c.conf
        expect(want in r.err.splitlines(), "missing %r" % want, r)
        c.write_config("[program:x]\ncommand = /bin/true\ncomand = /bin/true\n", raw=True)
        r = check(c.conf)
        expect(r.rc == 2, "an unknown key in corral's format exits %s, not 2" % r.rc, r)
        want = "%s:3: [program:x]: unknown key 'comand'" % c.conf
        expect(want in r.err.splitlines(), "missing %r" % want, r)


def test_bad_value_still_an_error():
    with Corral(start=False, name="sd_bad") as c:
        c.write_config("[supervisord]\nminfds = many\n[eventlistener:e]\ncommand = x\n"
                       "buffer_size = big\n", raw=True)
        r = check(c.conf)
        expect(r.rc == 2, "bad values exit %s, not 2" % r.rc, r)
        expect("%s:2: [supervisord]: bad value for minfds: 'many' (expected an integer >= 0)"
               % c.conf in r.err.splitlines(), "minfds error", r)
        expect(any(l.startswith("%s:5: [eventlistener:e]: bad value for buffer_size" % c.conf)
                   for l in r.err.splitlines()), "buffer_size error", r)


# corrald --check without -c, in a mount namespace of its own where
# /etc/corral is an empty tmpfs: an installed /etc/corral/corral.conf (which
# comes first) neither hides what is tested nor is touched.
HIDE_ETC_CORRAL = ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                   "if [ -d /etc/corral ]; then mount -t tmpfs none /etc/corral || exit 99; fi;"
                   " exec \"$@\"", "sh"]


def check_without_c(cwd, env):
    r = subprocess.run(HIDE_ETC_CORRAL + [corrald_path(), "--check"], cwd=cwd, env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    class R:
        rc, out, err = r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
        all = out + err
    expect(R.rc != 99, "could not hide /etc/corral in a mount namespace", R.err)
    return R


def test_search_order_without_c():
    exedir = os.path.dirname(os.path.realpath(corrald_path()))
    for p in (os.path.join(exedir, "..", "etc", "supervisord.conf"),
              os.path.join(exedir, "..", "supervisord.conf")):
        if os.path.exists(p):
            print("%s exists: it comes before the working directory" % p)
            return
    with Corral(start=False, name="sd_search") as c:
        os.makedirs(c.path("etc"))
        with open(c.path("etc", "supervisord.conf"), "w") as f:
            f.write("[supervisord]\n[program:from_etc]\ncommand = /bin/true\n")
        r = check_without_c(c.tmp, c.env())
        expect(r.rc == 0 and "etc/supervisord.conf: ok" in r.out,
               "$CWD/etc/supervisord.conf not found without -c", r)
        with open(c.path("supervisord.conf"), "w") as f:
            f.write("[supervisord]\n[program:from_cwd]\ncommand = /bin/true\n")
        r = check_without_c(c.tmp, c.env())
        expect(r.rc == 0 and "supervisord.conf: ok" in r.out and "etc/" not in r.out,
               "$CWD/supervisord.conf does not come before $CWD/etc/supervisord.conf", r)


def test_runs_a_supervisord_config():
    """A supervisord-style program with numprocs, expansions and supervisord-only keys runs."""
    text = ("[unix_http_server]\nfile=@DIR@/supervisor.sock\n\n"
            "[supervisord]\nnodaemon=true\nchildlogdir=@LOG@\nsocket=@DIR@/run/corral.sock\n"
            "\n[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            "[program:w]\n"
            "command=/bin/sh -c 'echo %(ENV_SD_E2E)s-%(numprocs)d-%(host_node_name)s; "
            "exec /bin/sleep 1000' @TAG@\n"
            "process_name=%(program_name)s_%(process_num)02d\n"
            "numprocs=2\nnumprocs_start=1\nstartsecs=0\n"
            "stdout_events_enabled=false\nstdout_capture_maxbytes=0\nserverurl=AUTO\n\n"
            "[program:q]\n"
            "command=/bin/sh -c 'echo id=$ID; exec /bin/sleep 1000' q%(process_num)d @TAG@\n"
            "process_name=q%(process_num)d\nnumprocs=2\nstartsecs=0\n"
            "stdout_logfile=@DIR@/q-%(process_num)d.log\n"
            "environment=ID=\"%(process_num)d-of-%(numprocs)d\"\n")
    with Corral(start=False, name="sd_run", env={"SD_E2E": "hello"}) as c:
        c.write_config(text, raw=True)
        c.start()
        for name in ("w:w_01", "w:w_02"):
            c.wait_state(name, "RUNNING")
        out = c.read(c.log("w:w_01")) or ""
        expect(("hello-2-%s" % os.uname().nodename) in out,
               "expansions in the command: log holds %r" % out)
        for i in (0, 1):
            c.wait_state("q:q%d" % i, "RUNNING")
            want = "id=%d-of-2" % i
            wait_until(lambda: want in (c.read(c.path("q-%d.log" % i)) or ""), 5,
                       "%s in q-%d.log (per-process log file and environment)" % (want, i))
        expect(stat.S_ISSOCK(os.stat(c.path("supervisor.sock")).st_mode),
               "corrald did not create [unix_http_server] file")
        err = c.stderr_text()
        expect("serving supervisord's XML-RPC interface" in err,
               "corrald did not say it serves XML-RPC", err)


def test_check_verbose_prints_effective_values():
    path = os.path.join(FIXTURES, "web.conf")
    r = check(path)
    expect("; process" not in r.out, "--check without -v prints values", r)
    r = run([corrald_path(), "--check", "-v", "-c", path], timeout=10)
    expect(r.rc == 0, "--check -v exits %s" % r.rc, r)
    lines = r.out.splitlines()
    for want in ("[program:celery] ; %s:32" % path,
                 "stopwaitsecs = 600",
                 "killasgroup = true",
                 "umask = 022",
                 "pidfile = /tmp/corral-fixture-web.pid",
                 "logdir = %s/log" % os.path.realpath(FIXTURES)):
        expect(want in lines, "--check -v: missing %r" % want, r)
    expect(any(l.startswith("; process celery:celery_01: command = /bin/sleep 1000, directory "
                            "= /tmp, stdout_logfile = /tmp/celery-1.log") for l in lines),
           "--check -v: celery_01's own log file", r)
