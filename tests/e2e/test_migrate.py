"""corralctl migrate: a supervisord config rewritten in corral's own format."""

import os
import re
import shutil
import subprocess

from harness import Corral, corrald_path, corralctl_path, expect, run

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                        "supervisord")
# Per-program values that differ on purpose when a program is split into one
# program per process.
SPLIT_KEYS = ("process_name", "numprocs", "numprocs_start")


def migrate(path):
    return run([corralctl_path(), "migrate", path], timeout=10)


def check(path, verbose=False):
    return run([corrald_path(), "--check"] + (["-v"] if verbose else []) + ["-c", path],
               timeout=10)


def effective(out):
    """corrald --check -v's stdout: ([corral] values, {process: values})."""
    main, procs, block, names = {}, {}, None, []
    for line in out.splitlines():
        if line.startswith("[program:") or line.startswith("[pool:"):
            block, names = {}, []
        elif line.startswith("; process "):
            name, values = line[len("; process "):].split(": ", 1)
            names.append(name)
            procs[name] = {"process": values, "program": block}
        elif " = " in line and not line.startswith(";"):
            k, v = line.split(" = ", 1)
            if block is None:
                main[k] = v
            elif k not in SPLIT_KEYS:
                block[k] = v
    return main, procs


def bad_warnings(r):
    """Warnings a migrated file must not give: what corral ignores or does not know."""
    return [l for l in r.err.splitlines() if l.startswith("warning: ") and
            ("unknown" in l or "corral ignores" in l)]


def migrate_and_compare(c, src, name):
    r = migrate(src)
    expect(r.rc == 0, "migrate %s exits %s" % (name, r.rc), r)
    dst = c.path("migrated-%s.conf" % name)
    with open(dst, "w") as f:
        f.write(r.out)
    chk = check(dst)
    expect(chk.rc == 0, "--check of migrated %s exits %s" % (name, chk.rc), chk, r.out)
    expect(not bad_warnings(chk), "migrated %s: warnings %r" % (name, bad_warnings(chk)), chk)
    a, b = check(src, True), check(dst, True)
    expect(a.rc == 0 and b.rc == 0, "--check -v of %s" % name, a, b)
    (ma, pa), (mb, pb) = effective(a.out), effective(b.out)
    expect(ma == mb, "%s: [corral] %r became %r" % (name, ma, mb))
    expect(sorted(pa) == sorted(pb), "%s: processes %r became %r" % (name, sorted(pa),
                                                                      sorted(pb)))
    for proc in pa:
        expect(pa[proc] == pb[proc], "%s: process %s: %r became %r" % (name, proc, pa[proc],
                                                                       pb[proc]))
    return dst, r.out


def isolation_lines(text):
    """(line index, uncommented line) of every commented isolation key."""
    lines, out, inside = text.split("\n"), [], False
    for i, l in enumerate(lines):
        if l.startswith("# The isolation corral adds"):
            inside = True
        elif inside and re.match(r"^# [a-z_]+ = ", l):
            out.append((i, l[2:]))
        elif not l.startswith("#"):
            inside = False
    return lines, out


def check_isolation(c, text, name):
    lines, iso = isolation_lines(text)
    expect(iso, "%s: no isolation lines" % name)
    path = c.path("iso.conf")
    for i, uncommented in iso:
        edited = list(lines)
        edited[i] = uncommented
        with open(path, "w") as f:
            f.write("\n".join(edited))
        r = check(path)
        expect(r.rc == 0 and not bad_warnings(r),
               "%s: uncommented %r does not pass --check" % (name, uncommented), r)
    edited = list(lines)
    for i, uncommented in iso:
        edited[i] = uncommented
    with open(path, "w") as f:
        f.write("\n".join(edited))
    r = check(path)
    expect(r.rc == 0, "%s: every isolation line uncommented does not pass --check" % name, r)


def test_migrate_fixtures():
    with Corral(start=False, name="mig_fix") as c:
        for name in ("sample", "full", "web"):
            dst, text = migrate_and_compare(c, os.path.join(FIXTURES, name + ".conf"), name)
            expect("[supervisord]" not in text.split("\n") and "[corral]" in text.split("\n"),
                   "%s: [supervisord] not written as [corral]" % name, text)
            for kept in ("[unix_http_server]", "[supervisorctl]"):
                expect(kept in text.split("\n"), "%s: %s not kept" % (name, kept), text)
            expect("# [rpcinterface:supervisor]  ; not in corral: " in text,
                   "%s: [rpcinterface:x] not commented out with a reason" % name, text)
            if name != "sample":
                check_isolation(c, text, name)


def test_migrate_full_details():
    with Corral(start=False, name="mig_full") as c:
        dst, text = migrate_and_compare(c, os.path.join(FIXTURES, "full.conf"), "full")
        lines = text.split("\n")
        for want in ("[eventlistener:theeventlistenername]", "[inet_http_server]",
                     "port = 127.0.0.1:9001", "[fcgi-program:thefcgiprogram]",
                     "stdout_capture_maxbytes = 1MB", "events = PROCESS_STATE,TICK_60",
                     "stdout_syslog = false", "strip_ansi = false", "loglevel = info",
                     "logfile = %s/supervisord.log" % os.path.realpath(FIXTURES),
                     "logdir = /tmp",
                     "# user = nobody"):
            expect(want in lines or want == "# user = nobody" and want not in
                   text.split("[program:theprogramname]")[1].split("\n[")[0],
                   "full: missing %r" % want, text)
        # [supervisord] environment and umask are written into the program
        prog = text.split("[program:theprogramname]")[1].split("\n[")[0]
        expect('environment = KEY1="value1",KEY2="value2",A="1",B="2",HOST="%s"'
               % os.uname().nodename in prog, "full: inherited environment", prog)


def test_migrate_expansions_and_include():
    """%(here)s, %(ENV_X)s and %(process_num)d, in a file and in an included one."""
    with Corral(start=False, name="mig_exp", env={"MIG_E2E": "from-env"}) as c:
        os.makedirs(c.path("conf.d"))
        with open(c.path("conf.d", "a.conf"), "w") as f:
            f.write("[program:inc]\n"
                    "command = /bin/echo %(here)s %(ENV_MIG_E2E)s 100%%\n"
                    "stdout_logfile = %(here)s/inc.log\n")
        main = c.path("supervisord.conf")
        with open(main, "w") as f:
            f.write("[supervisord]\n"
                    "childlogdir = %(here)s/logs\n"
                    "environment = WHERE=\"%(here)s\",E=\"%(ENV_MIG_E2E)s\"\n"
                    "umask = 027\n"
                    "directory = %(here)s\n\n"
                    "[program:w]\n"
                    "command = /bin/sleep 10%(process_num)d\n"
                    "process_name = %(program_name)s-%(process_num)d\n"
                    "numprocs = 3\nnumprocs_start = 4\n"
                    "environment = N=\"%(process_num)d of %(numprocs)d\"\n\n"
                    "[program:one]\n"
                    "command = /bin/sleep %(process_num)d\n"
                    "environment = Q=\"quote\\\"d\"\n\n"
                    "[group:g]\nprograms = one, w\n\n"
                    "[include]\nfiles = conf.d/*.conf\n")
        env = dict(os.environ, MIG_E2E="from-env")
        r = run([corralctl_path(), "migrate", main], timeout=10, env=env)
        expect(r.rc == 0, "migrate exits %s" % r.rc, r)
        dst = c.path("out", "corral.conf")
        os.makedirs(c.path("out"))
        with open(dst, "w") as f:
            f.write(r.out)
        # the same comparison as for the fixtures, from another directory
        a = run([corrald_path(), "--check", "-v", "-c", main], timeout=10, env=env)
        b = run([corrald_path(), "--check", "-v", "-c", dst], timeout=10, env=env)
        expect(a.rc == 0 and b.rc == 0, "--check -v", a, b, r.out)
        expect(not bad_warnings(b), "migrated: warnings", b)
        (ma, pa), (mb, pb) = effective(a.out), effective(b.out)
        expect(ma == mb, "[corral] %r became %r" % (ma, mb))
        expect(sorted(pa) == sorted(pb), "processes %r became %r" % (sorted(pa), sorted(pb)),
               r.out)
        for proc in pa:
            expect(pa[proc] == pb[proc], "process %s: %r became %r" % (proc, pa[proc], pb[proc]))
        expect("g:w-5" in pb and "N=5 of 3" in pb["g:w-5"]["process"], "w-5's own values", pb)
        expect("/bin/echo %s/conf.d from-env 100%%" % c.tmp in pb["inc"]["process"],
               "included program's expansions", pb.get("inc"))
        expect("; from %s/conf.d/a.conf:1" % c.tmp in r.out, "included file not marked", r.out)
        check_isolation(c, r.out, "expansions")


def test_migrate_echo_supervisord_conf():
    echo = shutil.which("echo_supervisord_conf")
    if not echo:
        print("echo_supervisord_conf not installed: only the stored sample is migrated")
        return
    with Corral(start=False, name="mig_echo") as c:
        text = subprocess.run([echo], capture_output=True, check=True).stdout.decode()
        src = c.path("echo.conf")
        with open(src, "w") as f:
            f.write(text)
        migrate_and_compare(c, src, "echo")


def test_migrate_errors():
    with Corral(start=False, name="mig_err") as c:
        missing = c.path("nope.conf")
        r = migrate(missing)
        expect(r.rc != 0 and missing in r.err, "missing file: rc %s" % r.rc, r)
        corral = c.path("corral.conf")
        with open(corral, "w") as f:
            f.write("[corral]\nlogdir = /tmp\n[program:x]\ncommand = /bin/true\n")
        r = migrate(corral)
        expect(r.rc != 0 and "not a supervisord config" in r.err and corral in r.err,
               "corral-format file: rc %s" % r.rc, r)
        expect(r.out == "", "corral-format file: something printed", r)
        bad = c.path("bad.conf")
        with open(bad, "w") as f:
            f.write("[supervisord]\n[program:x]\ncommand = /bin/true\nthis is not a key\n")
        r = migrate(bad)
        expect(r.rc != 0 and "%s:4:" % bad in r.err, "syntax error: rc %s" % r.rc, r)
        expect(r.out == "", "syntax error: something printed", r)
        # users are looked up by corrald --check of the output, not by the
        # static corralctl (glibc's NSS modules cannot load there)
        users = c.path("users.conf")
        with open(users, "w") as f:
            f.write("[supervisord]\n[program:x]\ncommand = /bin/true\n"
                    "user = no-such-user-here\n")
        r = migrate(users)
        expect(r.rc == 0 and "user = no-such-user-here" in r.out.split("\n"),
               "unknown user: migrate rc %s" % r.rc, r)
        with open(c.path("users-out.conf"), "w") as f:
            f.write(r.out)
        chk = check(c.path("users-out.conf"))
        expect(chk.rc == 2 and "unknown user 'no-such-user-here'" in chk.err,
               "unknown user: --check of the output", chk)
        r = run([corralctl_path(), "migrate"], timeout=10)
        expect(r.rc == 2 and "migrate needs one file name" in r.err, "no file: rc %s" % r.rc, r)


def test_migrate_supervisorctl_keeps_working():
    """The stock supervisorctl talks to corrald running the migrated file."""
    sctl = shutil.which("supervisorctl")
    if not sctl:
        print("supervisorctl not installed: nothing to test")
        return
    with Corral(start=False, name="mig_sctl") as c:
        src = c.path("supervisord.conf")
        with open(src, "w") as f:
            f.write(c.subst("[unix_http_server]\nfile=@DIR@/sup.sock\n\n"
                            "[supervisord]\nchildlogdir=@LOG@\nsocket=@DIR@/run/corral.sock\n\n"
                            "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                            "supervisor.rpcinterface:make_main_rpcinterface\n\n"
                            "[supervisorctl]\nserverurl=unix://@DIR@/sup.sock\n\n"
                            "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"))
        r = migrate(src)
        expect(r.rc == 0, "migrate exits %s" % r.rc, r)
        c.write_config(r.out, raw=True)
        c.start()
        c.wait_state("a", "RUNNING")
        r = run([sctl, "-c", c.conf, "status", "a"], timeout=20)
        expect(r.rc == 0 and r.out.split()[:2] == ["a", "RUNNING"],
               "supervisorctl status on the migrated file", r)


def test_migrate_supervisord_and_corral_sections():
    """A supervisord file that also has corral's own [corral] section gives one
    [corral], with the keys of both (the values corrald uses)."""
    with Corral(start=False, name="mig_both") as c:
        src = c.path("both.conf")
        with open(src, "w") as f:
            f.write("[supervisord]\nchildlogdir = %s\nidentifier = both\n"
                    "[corral]\nsocket = %s\nlogdir = %s\n"
                    "[program:a]\ncommand = /bin/true\n" % (c.path("l1"), c.sock, c.logdir))
        dst, text = migrate_and_compare(c, src, "both")
        expect(text.count("[corral]\n") == 1, "one [corral] section:\n%s" % text)
        expect("identifier = both" in text and "socket = %s" % c.sock in text,
               "the keys of both sections:\n%s" % text)
