"""corralctl disable / enable: an operator's decision kept in state_dir
across reloads and restarts of corrald; a state file that cannot be read
is reported and ignored, never a reason not to start."""

import os
import stat

from harness import Corral, SLEEP, expect, expect_rc, prog

PROGS = (prog("web", SLEEP, startsecs=0)
         + prog("db", "/bin/sleep 1001", startsecs=0)
         + prog("batch", "/bin/sleep 1002", startsecs=0, autostart="false"))
STATE = "state_dir = @DIR@/var/state\n"


def restart(c):
    r = c.ctl("shutdown")
    expect_rc(r, 0, "shutdown")
    c.wait_exit(30)
    c.start()


def expect_disabled(c, name):
    st = c.wait_state(name, "STOPPED", 10)
    expect(st["info"] == "disabled", "%s: status says it is disabled" % name, st)


def test_disable_kept_across_reload_and_restart():
    with Corral(PROGS, corral_extra=STATE, name="disable") as c:
        pids = c.wait_running(["web", "db"])
        statedir = c.path("var", "state")
        expect(not os.path.exists(statedir), "state_dir made before anything was disabled")

        r = c.ctl("disable", "web")
        expect_rc(r, 0, "disable web")
        expect("web: disabled" in r.lines, "disable says what it did", r)
        expect_disabled(c, "web")
        expect(c.status()["db"]["pid"] == pids["db"], "disable touched another program")

        # on disk, as state.h says: 0700 directory, a versioned file
        expect(stat.S_IMODE(os.stat(statedir).st_mode) == 0o700, "state_dir is 0700",
               oct(os.stat(statedir).st_mode))
        text = c.read(os.path.join(statedir, "state"))
        expect(text is not None and "corral-state 1\n" in text and "disabled web\n" in text,
               "the state file", text)
        expect(os.listdir(statedir) == ["state"], "only the state file is left",
               os.listdir(statedir))

        r = c.ctl("start", "web")
        expect_rc(r, 1, "start of a disabled program")
        expect("web: disabled (corralctl enable web)" in r.err + r.out, "start says why", r)
        expect_disabled(c, "web")
        r = c.ctl("restart", "web")
        expect_rc(r, 1, "restart of a disabled program")
        expect_disabled(c, "web")

        # a reload, with and without changes, keeps it down
        r = c.ctl("reload")
        expect_rc(r, 0, "reload")
        c.write_config(PROGS.replace("/bin/sleep 1001", "/bin/sleep 1003"))
        r = c.ctl("reload")
        expect_rc(r, 0, "reload with db changed")
        c.wait_state("db", "RUNNING", 10)
        expect_disabled(c, "web")

        # a restart of corrald reads it back
        restart(c)
        c.wait_running(["db"])
        expect_disabled(c, "web")
        expect("1 program disabled" in c.stderr_text(), "corrald says what it read",
               c.stderr_tail())

        # enable: an autostart program starts again, and stays enabled
        r = c.ctl("enable", "web")
        expect_rc(r, 0, "enable web")
        expect("web: enabled" in r.lines, "enable says what it did", r)
        c.wait_state("web", "RUNNING", 10)
        expect("disabled" not in c.read(os.path.join(statedir, "state")), "enabled on disk")
        restart(c)
        c.wait_running(["web", "db"])

        # an autostart = false program enabled again is not started
        r = c.ctl("disable", "batch")
        expect_rc(r, 0, "disable of a stopped program")
        expect_disabled(c, "batch")
        r = c.ctl("enable", "batch")
        expect_rc(r, 0, "enable batch")
        st = c.status()["batch"]
        expect(st["state"] == "STOPPED" and st["info"] != "disabled",
               "enable of an autostart = false program neither starts it nor says disabled", st)

        r = c.ctl("disable", "nosuch")
        expect_rc(r, 2, "disable of an unknown name")


def test_disable_write_failure_changes_nothing():
    # state_dir under a regular file: the write fails, and says where
    with Corral(PROGS, corral_extra="state_dir = @DIR@/afile/state\n", name="disfail") as c:
        with open(c.path("afile"), "w") as f:
            f.write("not a directory\n")
        c.wait_running(["web"])
        r = c.ctl("disable", "web")
        expect_rc(r, 1, "disable that cannot be written")
        expect(c.path("afile") in r.out + r.err, "the error names the path", r)
        st = c.status()["web"]
        expect(st["state"] == "RUNNING", "a failed disable stopped the program", st)


def test_unreadable_state_is_reported_and_ignored():
    c = Corral(PROGS, corral_extra=STATE, name="badstate", start=False)
    with c:
        os.makedirs(c.path("var", "state"), mode=0o700)
        path = c.path("var", "state", "state")
        for text, why in (("corral-state 1\ndisabled web\nweird\n", ":3: not understood"),
                          ("corral-state 7\ndisabled web\n", "version 7"),
                          ("\x00\x01binary", "not a corral state file")):
            with open(path, "w") as f:
                f.write(text)
            c.start()
            c.wait_running(["web", "db"])
            err = c.stderr_text()
            expect(path in err and why in err and "starting with the config's defaults" in err,
                   "corrald names the file and why it ignored it", c.stderr_tail())
            r = c.ctl("shutdown")
            expect_rc(r, 0, "shutdown")
            c.wait_exit(30)


def test_xmlrpc_start_refused_and_stop_not_kept():
    """supervisorctl's stop keeps supervisord's meaning (until the next
    restart); a disabled program refuses XML-RPC's startProcess too."""
    import xmlrpc.client
    from harness import unix_rpc
    rpc_conf = "[unix_http_server]\nfile = @DIR@/sd.sock\nchmod = 0700\n\n"
    with Corral(rpc_conf + PROGS, corral_extra=STATE, name="disrpc") as c:
        c.wait_running(["web", "db"])
        rpc = unix_rpc(c.path("sd.sock"))
        expect(rpc.supervisor.stopProcess("db") is True, "stopProcess db")
        r = c.ctl("disable", "web")
        expect_rc(r, 0, "disable web")
        try:
            rpc.supervisor.startProcess("web")
            raise AssertionError("startProcess of a disabled program succeeded")
        except xmlrpc.client.Fault as e:
            expect("disabled (corralctl enable web)" in e.faultString,
                   "the fault says why", e.faultString)
        expect_disabled(c, "web")
        restart(c)
        c.wait_running(["db"])   # an XML-RPC stop lasts until the restart
        expect_disabled(c, "web")
