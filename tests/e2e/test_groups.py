"""numprocs naming and selectors: GROUP:PROC, GROUP:*, bare GROUP, all."""

from harness import Corral, SLEEP, expect, expect_gone, expect_rc, parse_status_text, prog

NAMES = {"w:w_00", "w:w_01", "solo"}


def names_of(r):
    return set(parse_status_text(r.out))


def running(c):
    return {n for n, p in c.status().items() if p["state"] == "RUNNING"}


def test_numprocs_and_selectors():
    cfg = (prog("w", SLEEP, numprocs=2, process_name="%(program_name)s_%(process_num)02d",
                startsecs=0)
           + prog("solo", SLEEP, startsecs=0))
    with Corral(cfg, name="numprocs") as c:
        pids = c.wait_running(sorted(NAMES))
        st = c.status()
        expect(set(st) == NAMES, "process names", sorted(st))
        expect(st["w:w_00"]["group"] == "w" and st["w:w_01"]["group"] == "w", "group field", st)
        expect(st["solo"]["group"] == "solo", "solo's group", st["solo"])
        expect(len(set(pids.values())) == 3, "distinct pids", pids)

        for sel in ("w:*", "w"):
            r = c.ctl("status", sel)
            expect_rc(r, 0, "status " + sel)
            expect(names_of(r) == {"w:w_00", "w:w_01"}, "status %s selects the group" % sel, r)
        r = c.ctl("status", "w:w_01")
        expect(names_of(r) == {"w:w_01"}, "status w:w_01", r)
        r = c.ctl("status", "all")
        expect(names_of(r) == NAMES, "status all", r)
        r = c.ctl("status", "solo", "w:w_00")
        expect(names_of(r) == {"solo", "w:w_00"}, "status with two selectors", r)
        expect_rc(c.ctl("status", "w:nope"), 2, "status of an unknown process in a known group")
        expect_rc(c.ctl("status", "nope:*"), 2, "status of an unknown group")

        r = c.ctl("stop", "w:w_00")
        expect_rc(r, 0, "stop w:w_00")
        expect("w:w_00: stopped" in r.lines, "stop w:w_00 output", r)
        expect_gone(pids["w:w_00"], "w:w_00")
        expect(running(c) == {"w:w_01", "solo"}, "only w:w_00 stopped", c.status())

        r = c.ctl("stop", "w")
        expect_rc(r, 0, "stop w")
        expect("w:w_01: stopped" in r.lines, "stop w output", r)
        expect_gone(pids["w:w_01"], "w:w_01")
        expect(running(c) == {"solo"}, "bare group name stops the group", c.status())

        r = c.ctl("start", "w:*")
        expect_rc(r, 0, "start w:*")
        expect({"w:w_00: started", "w:w_01: started"} <= set(r.lines), "start w:* output", r)
        expect(running(c) == NAMES, "start w:* starts both", c.status())

        r = c.ctl("stop", "all")
        expect_rc(r, 0, "stop all")
        expect(running(c) == set(), "stop all", c.status())
        expect_rc(c.ctl("status"), 3, "status with everything stopped")
        r = c.ctl("start", "all")
        expect_rc(r, 0, "start all")
        expect(running(c) == NAMES, "start all", c.status())
        r = c.ctl("restart", "w")
        expect_rc(r, 0, "restart w")
        expect(running(c) == NAMES, "restart w", c.status())
