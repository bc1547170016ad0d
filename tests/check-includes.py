#!/usr/bin/python3
"""Check that corral's folders include one another only downwards.

    check-includes.py [ROOT]

Reads every `#include "..."` line of the C files in sandbox/, ipc/,
supervisor/ and ctl/ under ROOT (default: the tree this script is in) and
checks DESIGN.md's layers:

  - sandbox/ and ipc/ include nothing from supervisor/ or ctl/;
  - supervisor/ includes nothing from ctl/;
  - ctl/ includes ipc/ and, of supervisor/, only the config reader's
    public face, supervisor/config_api.h (nothing from sandbox/ either);
  - no two units include each other, a unit being a .c file and its .h
    (A's .c or .h includes B's .h, and B's .c or .h includes A's .h),
    and no longer loop of units either;
  - the HTTP server (http, httpreq) includes nothing of what its routes
    serve: of supervisor/, only the few headers SERVED lists.

Before it reads ROOT it plants each kind of bad include in a small tree of
its own and makes sure it is caught, so that it cannot pass by reading
nothing. Prints `ok NAME` or `FAIL NAME: why` per check, notes, and last
`includes: N passed, N failed`; exits 1 when a check failed.
"""

import os
import re
import sys
import tempfile

FOLDERS = ("sandbox", "ipc", "supervisor", "ctl")

# What each folder must not include, and the exceptions.
FORBIDDEN = {
    "sandbox": ("supervisor/", "ctl/"),
    "ipc": ("supervisor/", "ctl/"),
    "supervisor": ("ctl/",),
    "ctl": ("supervisor/", "sandbox/"),
}
ALLOWED = {
    "ctl": ("supervisor/config_api.h",),
}

# Units that may include each other: none (the architecture issue took the
# last ones apart). Whoever must add one says why here; a circle listed that
# is gone fails, so the list only ever shrinks.
ALLOWED_CIRCLES = set()

# Units that serve what other parts register, and so must know nothing of
# it (XML-RPC, processes, the core): what each may include of supervisor/.
SERVED = {
    "supervisor/http": ("supervisor/http.h", "supervisor/httpreq.h", "supervisor/config.h",
                        "supervisor/log.h", "supervisor/loop.h", "supervisor/heap.h",
                        "supervisor/sockets.h",
                        # a leaf: the record its listening sockets go across an exec in
                        "supervisor/handover.h"),
    "supervisor/httpreq": ("supervisor/httpreq.h",),
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_includes(root):
    """{file: [(line number, included path)]} for the C files of FOLDERS."""
    found = {}
    for folder in FOLDERS:
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            rel = folder + "/" + name
            incs = []
            with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if m:
                        incs.append((n, resolve(root, folder, m.group(1))))
            found[rel] = incs
    return found


def resolve(root, folder, path):
    """The include as a path from ROOT: beside the file first, as cc does."""
    if "/" not in path and os.path.exists(os.path.join(root, folder, path)):
        return folder + "/" + path
    return os.path.normpath(path)


def layer_problems(found, folder):
    """FOLDER's includes that point at a layer above it."""
    bad = []
    for f, incs in sorted(found.items()):
        if not f.startswith(folder + "/"):
            continue
        for n, inc in incs:
            if inc.startswith(FORBIDDEN[folder]) and inc not in ALLOWED.get(folder, ()):
                bad.append("%s:%d includes %s" % (f, n, inc))
    return bad


def server_problems(found):
    """What the units of SERVED include of supervisor/ beyond their list."""
    bad = []
    for f, incs in sorted(found.items()):
        allowed = SERVED.get(f[:-2])
        if allowed is None:
            continue
        for n, inc in incs:
            if inc.startswith("supervisor/") and inc not in allowed:
                bad.append("%s:%d includes %s" % (f, n, inc))
    return bad


def circles(found):
    """Pairs of units (a path without .c/.h) that include each other's .h."""
    uses = {}
    for f, incs in found.items():
        unit = f[:-2]
        for _, inc in incs:
            if inc.endswith(".h") and inc[:-2] != unit:
                uses.setdefault(unit, set()).add(inc[:-2])
    pairs = set()
    for a, bs in uses.items():
        for b in bs:
            if a in uses.get(b, ()):
                pairs.add(tuple(sorted((a, b))))
    return pairs, uses


def loops(uses):
    """Units in include loops longer than two (strongly connected sets)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(uses.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 2:
                out.append(sorted(group))

    for v in sorted(uses):
        if v not in index:
            visit(v)
    return out


def check(root, allowed_circles):
    """[(name, problems)], notes: the checks of the tree at ROOT."""
    found = read_includes(root)
    results = []
    for folder in FOLDERS:
        what = {"ctl": "nothing from sandbox/ and from supervisor/ only supervisor/config_api.h"}.get(
            folder, "nothing from " + " or ".join(FORBIDDEN[folder]))
        results.append(("%s/ includes %s" % (folder, what), layer_problems(found, folder)))
    results.append(("the HTTP server includes nothing of what it serves",
                    server_problems(found)))
    pairs, uses = circles(found)
    results.append(("no two units include each other",
                    ["%s <-> %s" % p for p in sorted(pairs - allowed_circles)]))
    results.append(("every circle on the allow-list is still there",
                    ["%s <-> %s is gone: take it off ALLOWED_CIRCLES" % p
                     for p in sorted(allowed_circles - pairs)]))
    results.append(("no longer include loop (A to B to C and back to A)",
                    [" -> ".join(g) for g in loops(uses)]))
    notes = ["allowed circle: %s <-> %s" % p for p in sorted(pairs & allowed_circles)]
    if not found:
        results.append(("C files found", ["none under " + root]))
    return results, notes


def self_test():
    """The checks fail where they must: each planted include is caught."""
    plants = {
        "sandbox/caps.c": '#include "supervisor/config.h"\n',
        "ipc/proto.c": '#include "ctl/migrate.h"\n',
        "supervisor/main.c": '#include "ctl/submit.h"\n',
        "ctl/migrate.c": '#include "supervisor/config.h"\n#include "supervisor/config_api.h"\n',
        "supervisor/a.c": '#include "supervisor/a.h"\n',
        "supervisor/a.h": '#include "supervisor/b.h"\n',
        "supervisor/b.c": '#include "a.h"\n',
        "supervisor/b.h": "",
        "supervisor/config_api.h": "",
        "supervisor/config.h": "",
        "supervisor/http.c": '#include "supervisor/log.h"\n#include "supervisor/rpc.h"\n',
        "supervisor/c.c": '#include "supervisor/d.h"\n',
        "supervisor/d.c": '#include "supervisor/e.h"\n',
        "supervisor/e.c": '#include "supervisor/c.h"\n',
        "supervisor/c.h": "", "supervisor/d.h": "", "supervisor/e.h": "",
    }
    with tempfile.TemporaryDirectory(prefix="corral-includes-") as tmp:
        for rel, text in plants.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        results, _ = check(tmp, {("supervisor/x", "supervisor/y")})
    want = {
        "sandbox/": "sandbox/caps.c:1 includes supervisor/config.h",
        "ipc/": "ipc/proto.c:1 includes ctl/migrate.h",
        "supervisor/": "supervisor/main.c:1 includes ctl/submit.h",
        "ctl/": "ctl/migrate.c:1 includes supervisor/config.h",
        "the HTTP": "supervisor/http.c:2 includes supervisor/rpc.h",
        "no two": "supervisor/a <-> supervisor/b",
        "no longer": "supervisor/c -> supervisor/d -> supervisor/e",
        "every circle": "supervisor/x <-> supervisor/y is gone: take it off ALLOWED_CIRCLES",
    }
    missed = []
    for name, problems in results:
        key = next((k for k in want if name.startswith(k)), None)
        if key is None or problems != [want[key]]:
            missed.append("%s: found %s" % (name, problems or "nothing"))
    return missed


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    passed = failed = 0
    results = [("the checks catch planted bad includes", self_test())]
    more, notes = check(root, ALLOWED_CIRCLES)
    for name, problems in results + more:
        if problems:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
        else:
            passed += 1
            print("ok %s" % name)
    for n in notes:
        print("note: " + n)
    print("includes: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
