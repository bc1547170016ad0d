"""`make install`, then `corrald -c /etc/corral/corral.conf`, as the README
and corrald(8) say: the config is installed with the binaries.

The install goes to PREFIX and SYSCONFDIR under the test's temp dir (never
the machine's /usr or /etc), and corrald then runs in a mount namespace of
its own where /run and /var/log are empty tmpfs mounts, so the default
socket and log directory of the installed config are the test's alone.
"""

import os
import shutil
import subprocess
import tempfile

from harness import REPO, build_dir, expect, run

# In the mount namespace: start corrald on the installed config, wait for
# it to answer at the default socket, show status, shut it down.
SCRIPT = r'''
set -u
mount -t tmpfs none /run || exit 99
mount -t tmpfs none /var/log || exit 99
"$1/sbin/corrald" -c "$2/corral/corral.conf" 2>"$3/corrald.err" &
i=0
until "$1/bin/corralctl" -c "$2/corral/corral.conf" status >/dev/null 2>&1; do
    [ $? -ne 4 ] && break
    i=$((i + 1)); [ $i -gt 200 ] && { echo "corrald never answered"; cat "$3/corrald.err"; exit 98; }
    sleep 0.05
done
"$1/bin/corralctl" -c "$2/corral/corral.conf" wait --timeout 20 hello
"$1/bin/corralctl" -c "$2/corral/corral.conf" status
echo "status exit $?"
"$1/bin/corralctl" -c "$2/corral/corral.conf" shutdown >/dev/null
wait
echo "corrald exit $?"
'''


def test_make_install_then_corrald_runs():
    tmp = tempfile.mkdtemp(prefix="corral-e2e-install-")
    try:
        prefix, etc = os.path.join(tmp, "usr"), os.path.join(tmp, "etc")
        # -o all: install what is built (the sanitizer build too), never rebuild it.
        r = run(["make", "-s", "-C", REPO, "-o", "all", "install", "BUILD=" + build_dir(),
                 "PREFIX=" + prefix, "SYSCONFDIR=" + etc], timeout=60)
        expect(r.rc == 0, "make install", r)
        conf = os.path.join(etc, "corral", "corral.conf")
        expect(os.path.isfile(conf), "make install wrote no %s" % conf, r)
        for f in ("sbin/corrald", "bin/corralctl", "share/man/man8/corrald.8",
                  "share/man/man1/corralctl.1", "share/man/man5/corral.conf.5"):
            expect(os.path.isfile(os.path.join(prefix, f)), "make install: no %s" % f)
        text = open(conf).read()
        expect("files = %s/corral/conf.d/*.conf" % etc in text,
               "the installed config includes its own conf.d", text[-400:])
        with open(os.path.join(etc, "corral", "conf.d", "hello.conf"), "w") as f:
            f.write("[program:hello]\ncommand = /bin/sleep 1000\nstartsecs = 0\n")
        r = run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", SCRIPT, "sh",
                 prefix, etc, tmp], timeout=60)
        expect(r.rc != 99, "could not mount tmpfs over /run and /var/log", r)
        lines = r.out.splitlines()
        expect(any(l.startswith("hello") and "RUNNING" in l for l in lines),
               "the conf.d program runs under the installed config", r)
        expect("status exit 0" in lines and "corrald exit 0" in lines, "status and shutdown", r)
        # A second install keeps the user's edits.
        with open(conf, "a") as f:
            f.write("; edited\n")
        r = run(["make", "-s", "-C", REPO, "-o", "all", "install", "BUILD=" + build_dir(),
                 "PREFIX=" + prefix, "SYSCONFDIR=" + etc], timeout=60)
        expect(r.rc == 0 and open(conf).read().endswith("; edited\n"),
               "make install again overwrote the config", r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
