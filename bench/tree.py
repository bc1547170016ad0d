#!/usr/bin/python3
"""The 1,000-process tree of corral's benchmark (bench/bench.py runs it as the
command of one program under each supervisor; it is not part of corral).

    python3 bench/tree.py N TAG

Builds a tree of N processes, every one of them `sleep TAG` in the end (TAG is
the run's unique float, so the benchmark finds them in /proc and can kill any
leftover by PID), made to escape a stop the ways real programs do:

  chains    CHAINS chains of DEPTH levels: each level forks the next, then
            execs sleep (a deep tree, not a flat one);
  setsid    double fork + setsid: an intermediate child starts a new session,
            spawns its share of sleeps and exits, so they are orphans in a
            session and process group of their own (what a daemon does);
  setpgid   children moved into process groups of their own;
  plain     plain children, in the main process's group and session;
  main      this process, which execs sleep TAG once the tree is complete.

The shares are printed to stderr (the supervisor's log). The tree is complete
when N processes carry the tag and every one of them is a sleep.
"""
import os
import sys

SLEEP = "/bin/sleep"


def spawn(tag, **kw):
    return os.posix_spawn(SLEEP, ["sleep", tag], os.environ, **kw)


def shares(n):
    """{kind: count}, summing to n (main included)."""
    chains = max(0, n // 200)             # 1,000 -> 5 chains
    depth = 50 if chains else 0
    setsid = n // 4 // 10 * 10            # 250: 25 sessions of 10
    setpgid = n // 10                     # 100
    plain = n - 1 - chains * depth - setsid - setpgid
    if plain < 0:
        chains = depth = setsid = setpgid = 0
        plain = n - 1
    return {"chains": chains, "depth": depth, "setsid": setsid,
            "setpgid": setpgid, "plain": plain}


def chain(levels, tag):
    """Called in a forked child: fork the next level, then become a sleep."""
    if levels > 1:
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            chain(levels - 1, tag)
    os.execv(SLEEP, ["sleep", tag])


def main():
    if len(sys.argv) != 3:
        print("usage: tree.py N TAG", file=sys.stderr)
        return 2
    n, tag = int(sys.argv[1]), sys.argv[2]
    s = shares(n)
    print("tree: %d processes: main 1, plain %d, setpgid %d, setsid %d (in sessions of "
          "10), chains %d x %d" % (n, s["plain"], s["setpgid"], s["setsid"], s["chains"],
                                   s["depth"]), file=sys.stderr, flush=True)
    for _ in range(s["chains"]):
        pid = os.fork()
        if pid == 0:
            try:
                chain(s["depth"], tag)
            finally:
                os._exit(127)
    left = s["setsid"]
    while left > 0:
        k = min(10, left)
        left -= k
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                for _ in range(k):
                    spawn(tag)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)    # the intermediate is gone: its children are orphans
    for _ in range(s["setpgid"]):
        spawn(tag, setpgroup=0)
    for _ in range(s["plain"]):
        spawn(tag)
    os.execv(SLEEP, ["sleep", tag])


if __name__ == "__main__":
    sys.exit(main())
