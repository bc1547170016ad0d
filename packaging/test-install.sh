#!/usr/bin/env bash
# Install test of the packages `make deb rpm` built: run as root on Debian,
# by .ci/run after `make check`. The .deb is installed with dpkg -i and its
# files, binaries, config, man pages, unit and bash completion are tried
# from where they were installed; the installed corrald runs once in the
# foreground on a config of its own (never as a system service: no systemd
# runs here). dpkg -r, then dpkg -P, must remove all but what policy keeps.
# The .rpm must hold the same files, mark its config noreplace, and install
# and erase cleanly with rpm (its own database in a temporary directory, so
# that dpkg's system does not learn of it).
#
# The machine is left as it was found: a snapshot of every path named
# *corral* under /etc, /lib, /usr, /var and /run is taken first and must be
# the same at the end. Prints "ok"/"FAIL" lines and, last,
# "install: N passed, N failed"; exits 1 when anything failed.
#
# usage: packaging/test-install.sh [DEB [RPM]]   (default: from dist/)
set -u
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.." || exit 1

version=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' Makefile)
deb=${1:-}
rpm=${2:-}
for f in dist/corral_"$version"_*.deb; do
	[ -z "$deb" ] && [ -f "$f" ] && deb=$f
done
for f in dist/corral-"$version"-*.rpm; do
	case $f in *-debuginfo-* | *-debugsource-*) continue ;; esac
	[ -z "$rpm" ] && [ -f "$f" ] && rpm=$f
done

passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/corral-install.XXXXXX") || exit 1
log=$tmp/check.out
: >"$log"
daemon=""     # pid of the corrald this test started
listener=""   # pid of the NOTIFY_SOCKET listener
deb_in=false  # corral is installed by dpkg, by us
rpm_in=false  # corral is installed by rpm, by us
logs=false    # /var/log/corral was made by us
rpmdb=$tmp/rpmdb

pass() {
	passed=$((passed + 1))
	echo "ok - $1"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL - $1"
	if [ -s "$log" ]; then
		head -n 30 "$log" | sed 's/^/    /'
	fi
}
# check DESCRIPTION COMMAND [ARG ...]: passes when COMMAND exits 0; its
# output is shown when it does not.
check() {
	local what=$1
	shift
	if "$@" >"$log" 2>&1; then
		pass "$what"
	else
		fail "$what"
	fi
	: >"$log"
}
# Like check, for a command that must also be silent (warnings count).
check_quiet() {
	local what=$1
	shift
	if "$@" >"$log" 2>&1 && ! [ -s "$log" ]; then
		pass "$what"
	else
		fail "$what"
	fi
	: >"$log"
}

corral_paths() {
	find /etc /lib /usr /var /run -path "$tmp" -prune -o -name '*corral*' -print 2>/dev/null |
		LC_ALL=C sort
}
# What is named corral now and was not before the install (a path that
# was there before and is gone is not "left": a purge takes /var/log/corral).
nothing_left() {
	local left
	left=$(corral_paths | LC_ALL=C comm -13 "$tmp/before" -)
	[ -z "$left" ] || { echo "left behind:"; echo "$left"; return 1; }
}

# exits_within PID SECONDS: PID, a child of ours, has exited (or is a
# zombie, waiting for our wait) within SECONDS.
exits_within() {
	local n=$(($2 * 10)) st
	while [ "$n" -gt 0 ]; do
		st=$(ps -o stat= -p "$1" 2>/dev/null)
		case $st in
		'' | Z*) return 0 ;;
		esac
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

stop_daemon() {
	if [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null
		exits_within "$daemon" 30 || kill -KILL "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
		daemon=""
	fi
	if [ -n "$listener" ]; then
		kill -TERM "$listener" 2>/dev/null
		wait "$listener" 2>/dev/null
		listener=""
	fi
}

cleanup() {
	stop_daemon
	if $deb_in; then
		dpkg -P corral </dev/null >/dev/null 2>&1
	fi
	if $rpm_in; then
		rpm -e --nodeps --dbpath "$rpmdb" corral </dev/null >/dev/null 2>&1
	fi
	if $logs; then
		rm -rf /var/log/corral
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

summary() {
	echo "install: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# ---- preconditions: never touch a corral this test did not install -----
precondition() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "test-install: must run as root (it installs packages)" >"$log"
	elif [ -d /run/systemd/system ]; then
		echo "test-install: systemd runs here, and dpkg -i would start corrald.service;" \
		     "run this where it does not (a container, as CI does)" >"$log"
	elif [ -z "$deb" ] || ! [ -f "$deb" ]; then
		echo "test-install: no .deb (run make deb first): '$deb'" >"$log"
	elif dpkg-query -W -f='${Status}' corral 2>/dev/null | grep -qv 'not-installed'; then
		echo "test-install: a corral package is already on this machine:" \
		     "$(dpkg-query -W -f='${Status}' corral)" >"$log"
	elif [ -e /etc/corral ] || [ -e /usr/sbin/corrald ] || [ -e /usr/bin/corralctl ]; then
		echo "test-install: corral files are already installed, not by dpkg" >"$log"
	else
		return 0
	fi
	return 1
}
if precondition; then
	pass "preconditions: root, no systemd, $(basename "$deb"), no corral installed"
else
	fail "preconditions"
	summary
fi
corral_paths >"$tmp/before"

# ---- dpkg -i --------------------------------------------------------------
if dpkg -i "$deb" </dev/null >"$log" 2>&1; then
	deb_in=true
	pass "dpkg -i $(basename "$deb")"
else
	fail "dpkg -i $(basename "$deb")"
	dpkg -P corral </dev/null >/dev/null 2>&1
	summary
fi
: >"$log"
check "dpkg says corral is installed" \
	sh -c "dpkg-query -W -f='\${Status}' corral | grep -qx 'install ok installed'"

for f in /usr/sbin/corrald /usr/bin/corralctl \
	/usr/share/man/man8/corrald.8.gz /usr/share/man/man1/corralctl.1.gz \
	/usr/share/man/man5/corral.conf.5.gz /etc/corral/corral.conf \
	/lib/systemd/system/corrald.service /usr/share/doc/corral/examples/demo.conf \
	/usr/share/doc/corral/openapi.json \
	/usr/share/bash-completion/completions/corralctl; do
	check "installed: $f" test -f "$f"
done
check "installed: /etc/corral/conf.d/" test -d /etc/corral/conf.d
check "/etc/corral/corral.conf is a conffile" \
	sh -c "dpkg-query -W -f='\${Conffiles}\n' corral | grep -q '^ /etc/corral/corral.conf '"

# ---- the installed binaries ---------------------------------------------
check "corrald --version says $version" \
	sh -c "/usr/sbin/corrald --version | grep -qx 'corrald $version'"
check "corralctl --version says $version" \
	sh -c "/usr/bin/corralctl --version | grep -qx 'corralctl $version'"
check "corralctl --help" sh -c "/usr/bin/corralctl --help | head -n 1 | grep -q '^corralctl '"
check "corrald --check -c /etc/corral/corral.conf" \
	sh -c "/usr/sbin/corrald --check -c /etc/corral/corral.conf | grep -q ': ok, 0 programs$'"

# ---- man pages: each opens from its file and by name ---------------------
for page in /usr/share/man/man8/corrald.8.gz /usr/share/man/man1/corralctl.1.gz \
	/usr/share/man/man5/corral.conf.5.gz; do
	check_quiet "man -l $page" sh -c "MANPAGER=cat MANWIDTH=80 man -l '$page' >/dev/null"
done
check "man -w finds corrald(8), corralctl(1), corral.conf(5)" sh -c \
	"[ \"\$(man -w 8 corrald)\" = /usr/share/man/man8/corrald.8.gz ] &&
	 [ \"\$(man -w 1 corralctl)\" = /usr/share/man/man1/corralctl.1.gz ] &&
	 [ \"\$(man -w 5 corral.conf)\" = /usr/share/man/man5/corral.conf.5.gz ]"

# ---- the systemd unit ----------------------------------------------------
# --man=no: verify would format the man pages named in Documentation= and
# leave them in man-db's cache; man -w above has found them already.
if command -v systemd-analyze >/dev/null 2>&1; then
	check_quiet "systemd-analyze verify corrald.service" \
		systemd-analyze verify --man=no /lib/systemd/system/corrald.service
else
	echo "skip - systemd-analyze verify: systemd-analyze is not installed"
fi
check "corrald.service: Type=notify, ExecReload sends SIGHUP, KillMode=mixed, Delegate=yes" \
	sh -c "u=/lib/systemd/system/corrald.service; grep -qx 'Type=notify' \$u &&
	       grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' \$u &&
	       grep -qx 'KillMode=mixed' \$u && grep -qx 'Delegate=yes' \$u &&
	       grep -qx 'ExecStart=/usr/sbin/corrald -c /etc/corral/corral.conf' \$u"
check "dpkg enabled corrald.service (multi-user.target.wants)" \
	test -L /etc/systemd/system/multi-user.target.wants/corrald.service

# ---- the installed corrald, run once in the foreground -------------------
# Its own socket, log directory and conf.d; NOTIFY_SOCKET is a datagram
# socket read by a small listener, as systemd's would be for Type=notify.
mkdir -p "$tmp/conf.d"
cat >"$tmp/smoke.conf" <<EOF
[corral]
socket = $tmp/run/corral.sock
logdir = $tmp/logs

[include]
files = $tmp/conf.d/*.conf
EOF
cat >"$tmp/conf.d/hello.conf" <<'EOF'
[program:hello]
command = /bin/sleep 600
startsecs = 0

[program:pair]
command = /bin/sleep 600
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0
EOF
cat >"$tmp/listen.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "w") as out:
    out.write("bound\n")
    out.flush()
    try:
        while True:
            msg = s.recv(4096).decode(errors="replace")
            out.write(msg.replace("\n", " ") + "\n")
            out.flush()
            if "STOPPING=1" in msg:
                break
    except socket.timeout:
        pass
EOF
ctl() { /usr/bin/corralctl -c "$tmp/smoke.conf" -t 5 "$@"; }
# wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
running() { [ "$(ctl status 2>/dev/null | grep -c ' RUNNING ')" -eq "$1" ]; }

python3 "$tmp/listen.py" "$tmp/notify.sock" "$tmp/notify.log" &
listener=$!
wait_for 5 grep -q bound "$tmp/notify.log"
NOTIFY_SOCKET=$tmp/notify.sock /usr/sbin/corrald -c "$tmp/smoke.conf" \
	</dev/null >"$tmp/corrald.log" 2>&1 &
daemon=$!
if wait_for 10 running 3; then
	pass "installed corrald runs hello, pair:pair_0, pair:pair_1 from an [include]"
else
	{ ctl status; cat "$tmp/corrald.log"; } >"$log" 2>&1
	fail "installed corrald runs hello, pair:pair_0, pair:pair_1 from an [include]"
fi
: >"$log"
check "corrald sent READY=1 to NOTIFY_SOCKET" wait_for 5 grep -q READY=1 "$tmp/notify.log"

# bash completion, loaded the way bash-completion loads it on demand
cat >"$tmp/complete.sh" <<'EOF'
. /usr/share/bash-completion/bash_completion
_completion_loader corralctl
complete -p corralctl >/dev/null || exit 1
# complete WORD... : the last word is the one being completed
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_corralctl corralctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' '
	echo
}
EOF
completes() { # EXPECTED WORD...
	local want=$1 got
	shift
	got=$(bash -c '. "$1"; shift; complete_words "$@"' sh "$tmp/complete.sh" "$@" 2>&1)
	if [ "$got" = "$want" ]; then
		return 0
	fi
	echo "completing '$*': got '$got', want '$want'"
	return 1
}
check "bash completion: verbs" completes "reexec reload restart " corralctl re
check "bash completion: options" completes "--json " corralctl --j
check "bash completion: run's options" completes "--scope " corralctl run --sc
check "bash completion: names from the running corrald (-c given first)" \
	completes "all hello pair pair:pair_0 pair:pair_1 " corralctl -c "$tmp/smoke.conf" stop ""
check "bash completion: names after a signal name (-s given after the verb)" \
	completes "pair pair:pair_0 pair:pair_1 " corralctl signal -s "$tmp/run/corral.sock" HUP p

# SIGHUP is what ExecReload sends
cat >"$tmp/conf.d/late.conf" <<'EOF'
[program:late]
command = /bin/sleep 600
startsecs = 0
EOF
kill -HUP "$daemon"
check "SIGHUP reloads: a program added to conf.d starts" wait_for 10 running 4

# the programs, and whatever else corrald started (its guard)
pids="$(ctl status 2>/dev/null | sed -n 's/.* pid \([0-9]*\),.*/\1/p') $(ps -o pid= --ppid "$daemon")"
kill -TERM "$daemon"
if exits_within "$daemon" 30 && wait "$daemon"; then
	pass "SIGTERM: corrald stops its programs and exits 0"
else
	cat "$tmp/corrald.log" >"$log"
	fail "SIGTERM: corrald stops its programs and exits 0"
	kill -KILL "$daemon" 2>/dev/null
	wait "$daemon" 2>/dev/null
fi
daemon=""
: >"$log"
left=""
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left="$left $p"
done
check "nothing corrald started outlives it" test -z "$left"
check "corrald sent STOPPING=1 to NOTIFY_SOCKET" wait_for 5 grep -q STOPPING=1 "$tmp/notify.log"
stop_daemon

# ---- an upgrade restarts nothing -----------------------------------------
# A newer build of the package (this tree built with another version
# string, repacked into the .deb) goes over the one installed while the
# installed corrald runs programs, one of them writing numbered lines:
# postinst has corrald execute the new binary (corralctl reexec). Every pid
# must stay, the running corrald must then say the new version, and the
# log must hold every line once. In a mount namespace of its own with a
# tmpfs on /run, so that corrald listens where /etc/corral/corral.conf says
# (/run/corral/corral.sock) and postinst's corralctl finds it there, while
# the machine's /run is not touched.
upversion="$version+up1"
: >"$log"
if make -s BUILD="$tmp/build-up" VERSION="$upversion" "$tmp/build-up/corrald" >>"$log" 2>&1 &&
	dpkg-deb -R "$deb" "$tmp/up" >>"$log" 2>&1 &&
	install -m 0755 "$tmp/build-up/corrald" "$tmp/up/usr/sbin/corrald" &&
	sed -i "s|^[0-9a-f]*  usr/sbin/corrald\$|$(md5sum <"$tmp/up/usr/sbin/corrald" |
		cut -d' ' -f1)  usr/sbin/corrald|" "$tmp/up/DEBIAN/md5sums" &&
	sed -i "s/^Version: .*/Version: $upversion/" "$tmp/up/DEBIAN/control" &&
	dpkg-deb -b "$tmp/up" "$tmp/corral_up.deb" >>"$log" 2>&1; then
	pass "a newer build of the package, $upversion"
else
	fail "a newer build of the package, $upversion"
fi
: >"$log"
cat >"$tmp/up.conf" <<EOF
[corral]
logdir = $tmp/uplogs

[program:a]
command = /bin/sleep 600
startsecs = 0

[program:b]
command = /bin/sleep 601
startsecs = 0

[program:count]
command = /bin/sh -c 'i=0; while :; do i=\$((i+1)); echo "line \$i"; [ \$((i % 500)) -ne 0 ] || sleep 0.01; done'
startsecs = 0
log_timestamps = true

; started just before the upgrade: in supervisord's capture mode for two
; seconds, which does not go across an exec (postinst is told to try again)
[program:late]
command = /bin/sh -c 'echo "<!--XSUPERVISOR:BEGIN-->"; sleep 2; echo "<!--XSUPERVISOR:END-->"; exec sleep 602'
stdout_capture_maxbytes = 1MB
startsecs = 0
autostart = false
EOF
# What both upgrade tests (.deb and .rpm) do before and after the package
# goes in, sourced by each in its mount namespace with RES (the results
# file) and OUT (corrald's output) set: a tmpfs on /run, corrald on up.conf
# with three programs RUNNING and their pids noted; then every pid the
# same, every numbered line once, and corrald stopping as it should.
cat >"$tmp/upgrade-lib.sh" <<EOF
say() { echo "\$*" >>"\$res"; }
ctl() { /usr/bin/corralctl -c /etc/corral/corral.conf -t 10 "\$@"; }
pids() { ctl status | sed -n 's/^\([^ ]*\) .* pid \([0-9]*\),.*/\1 \2/p' | grep -v '^late '; }
up_start() {
	mount --make-rprivate / && mount -t tmpfs -o mode=0755 tmpfs /run || { say "FAIL a tmpfs on /run"; exit 0; }
	rm -f $tmp/uplogs/*
	/usr/sbin/corrald -c $tmp/up.conf </dev/null >"\$out" 2>&1 &
	d=\$!
	trap 'kill -KILL \$d 2>/dev/null' EXIT
	n=100
	until [ "\$(ctl status 2>/dev/null | grep -c ' RUNNING ')" -eq 3 ] || [ \$n -eq 0 ]; do sleep 0.1; n=\$((n - 1)); done
	pids >"\$res.pids"
	[ "\$(wc -l <"\$res.pids")" -eq 3 ] && say "ok three programs run" || say "FAIL three programs run"
	sleep 0.5
}
up_finish() {
	sleep 0.5
	pids | cmp -s "\$res.pids" - && say "ok every program kept its pid" ||
		say "FAIL every program kept its pid"
	ctl stop count >/dev/null
	awk 'BEGIN { n = 0; bad = 0 }
	     { if (\$2 != "line" || \$3 != n + 1 || NF != 3) bad++; n = \$3 }
	     END { if (bad || n < 100) { print "FAIL no log line lost: " n " lines, " bad " out of order"; exit }
	           print "ok no log line lost or split: " n " lines in order" }' $tmp/uplogs/count.out >>"\$res"
	kill -TERM \$d
	wait \$d && say "ok the new corrald stops as the old one would" || say "FAIL the new corrald stops"
	trap - EXIT
}
EOF
# Run upgrade script SCRIPT in a mount namespace of its own, each line of
# its results a test named WHAT: ...; on a failure, LOGS are shown.
run_upgrade() {
	local what=$1 script=$2 word line
	shift 2
	: >"$script.result"
	unshare -m bash "$script" >"$log" 2>&1
	while read -r word line; do
		if [ "$word" = ok ]; then
			pass "$what: $line"
		else
			{ cat "$@"; } >"$log" 2>/dev/null
			fail "$what: $line"
		fi
	done <"$script.result"
	[ -s "$script.result" ] || fail "$what: the test ran"
	: >"$log"
}
cat >"$tmp/upgrade.sh" <<EOF
# in a mount namespace of its own (unshare -m): results to upgrade.sh.result
res=$tmp/upgrade.sh.result out=$tmp/up.log
. $tmp/upgrade-lib.sh
up_start
ctl start late >/dev/null 2>&1
dpkg -i $tmp/corral_up.deb >$tmp/dpkg-up.log 2>&1 && say "ok dpkg -i over it" || say "FAIL dpkg -i over it"
grep -q "late is in capture mode .*: try again: trying again" $tmp/dpkg-up.log &&
	say "ok postinst tried again while a capture was going on" ||
	say "FAIL postinst tried again while a capture was going on"
grep -q "corral: re-executing /usr/sbin/corrald" $tmp/dpkg-up.log && say "ok postinst ran corralctl reexec" ||
	say "FAIL postinst ran corralctl reexec"
n=100
until [ "\$(ctl version 2>/dev/null)" = "$upversion" ] || [ \$n -eq 0 ]; do sleep 0.1; n=\$((n - 1)); done
[ "\$(ctl version 2>/dev/null)" = "$upversion" ] && say "ok the running corrald is $upversion" ||
	say "FAIL the running corrald is $upversion (says: \$(ctl version 2>&1))"
[ "\$(/usr/sbin/corrald --version)" = "corrald $upversion" ] && say "ok corrald --version: $upversion" ||
	say "FAIL corrald --version: $upversion"
[ "\$(ps -o pid= -p \$d | tr -d ' ')" = "\$d" ] && say "ok corrald kept its pid" || say "FAIL corrald kept its pid"
up_finish
EOF
[ -f "$tmp/corral_up.deb" ] && run_upgrade "upgrade in place" "$tmp/upgrade.sh" "$tmp/dpkg-up.log" "$tmp/up.log"
: >"$log"

# ---- the .rpm holds the same files ---------------------------------------
# Debian's own files are left out: the copyright file and changelog policy
# asks for, and lintian's overrides. Directories are not compared.
debian_only='^/usr/share/doc/corral/(copyright|changelog\.gz)$|^/usr/share/lintian/'
if [ -n "$rpm" ] && [ -f "$rpm" ]; then
	dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' |
		grep -Ev "$debian_only" | LC_ALL=C sort >"$tmp/deb.files"
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" 2>/dev/null |
		awk '$1 ~ /^d/ { print $2 }' >"$tmp/rpm.dirs"
	rpm -qlp --noartifact "$rpm" 2>/dev/null | grep -vxF -f "$tmp/rpm.dirs" |
		LC_ALL=C sort >"$tmp/rpm.files"
	check "rpm -qlp $(basename "$rpm") lists the files of the .deb" \
		diff -u "$tmp/deb.files" "$tmp/rpm.files"
	check "rpm: /etc/corral/corral.conf is %config(noreplace)" sh -c \
		"rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$rpm' 2>/dev/null |
		 grep -qx 'cn /etc/corral/corral.conf'"
else
	echo "test-install: no .rpm (run make rpm first): '$rpm'" >"$log"
	fail "rpm -qlp lists the files of the .deb"
fi

# ---- dpkg -r keeps the conffile, dpkg -P removes everything --------------
dpkg-query -L corral | while read -r f; do
	[ -d "$f" ] || printf '%s\n' "$f"
done >"$tmp/owned"
check "dpkg -r corral" dpkg -r corral
check "dpkg -r: corral is in state config-files" \
	sh -c "dpkg-query -W -f='\${Status}' corral | grep -qx 'deinstall ok config-files'"
check "dpkg -r: every file but the conffile is gone" sh -c \
	"grep -vx /etc/corral/corral.conf '$tmp/owned' | while read -r f; do
	     [ -e \"\$f\" ] && echo \"left: \$f\"; done | grep . && exit 1; exit 0"
check "dpkg -r: /etc/corral/corral.conf is kept" test -f /etc/corral/corral.conf
# Logs go on purge (policy 10.8).
if ! [ -e /var/log/corral ]; then
	logs=true
	mkdir /var/log/corral && echo test >/var/log/corral/hello.out
fi
check "dpkg -P corral" dpkg -P corral
deb_in=false
check "dpkg -P: dpkg has forgotten corral" \
	sh -c "s=\$(dpkg-query -W -f='\${db:Status-Status}' corral 2>/dev/null);
	       [ -z \"\$s\" ] || [ \"\$s\" = not-installed ]"
check "dpkg -P: /etc/corral is gone" test ! -e /etc/corral
if $logs; then
	check "dpkg -P: /var/log/corral is gone" test ! -e /var/log/corral
fi
check "dpkg -P: corrald.service is no longer enabled" \
	test ! -e /etc/systemd/system/multi-user.target.wants/corrald.service
check "dpkg -P: nothing named corral is left that was not there before" \
	nothing_left

# ---- an rpm upgrade restarts nothing --------------------------------------
# The same source built again as release 1.up1 (rpm -U takes it as newer)
# goes over the installed .rpm while its corrald runs programs: %pre marks
# the upgrade, %posttrans has corrald execute the new binary. The version
# string is the same, so the exec is seen in /proc: corrald's exe is the new
# file, not the replaced one ("(deleted)"). As for the .deb, in a mount
# namespace with a tmpfs on /run.
rpm_upgrade() {
	: >"$log"
	local rpmup=""
	if [ -f "dist/corral-$version.tar.gz" ] &&
		rpmbuild -tb --nodeps --define "_topdir $tmp/rpmup" --define "dist .up1" \
			"dist/corral-$version.tar.gz" >>"$log" 2>&1; then
		rpmup=$(ls "$tmp"/rpmup/RPMS/*/corral-"$version"-1.up1.*.rpm 2>/dev/null | head -n 1)
	fi
	if [ -z "$rpmup" ]; then
		fail "a newer build of the rpm, $version-1.up1"
		return
	fi
	pass "a newer build of the rpm, $version-1.up1"
	: >"$log"
	cat >"$tmp/rpmupgrade.sh" <<EOF
res=$tmp/rpmupgrade.sh.result out=$tmp/rpmup.log
. $tmp/upgrade-lib.sh
up_start
rpm -U --nodeps --dbpath $rpmdb $rpmup >$tmp/rpm-up.log 2>&1 && say "ok rpm -U over it" || say "FAIL rpm -U over it"
grep -q "corral: re-executing /usr/sbin/corrald" $tmp/rpm-up.log && say "ok %posttrans ran corralctl reexec" ||
	say "FAIL %posttrans ran corralctl reexec"
[ "\$(rpm -q --dbpath $rpmdb corral).rpm" = "\$(basename $rpmup)" ] && say "ok rpm -q: the new release" ||
	say "FAIL rpm -q: the new release"
n=100
until [ "\$(readlink /proc/\$d/exe)" = /usr/sbin/corrald ] || [ \$n -eq 0 ]; do sleep 0.1; n=\$((n - 1)); done
[ "\$(stat -L -c %i /proc/\$d/exe)" = "\$(stat -c %i /usr/sbin/corrald)" ] &&
	say "ok corrald runs the new binary, with the same pid" ||
	say "FAIL corrald runs the new binary: \$(readlink /proc/\$d/exe)"
up_finish
EOF
	run_upgrade "rpm upgrade in place" "$tmp/rpmupgrade.sh" "$tmp/rpm-up.log" "$tmp/rpmup.log"
}

# ---- rpm install and erase, with its own database ------------------------
# The scriptlets must work where systemd is not running; systemctl is there.
if [ -n "$rpm" ] && [ -f "$rpm" ] && command -v rpm >/dev/null 2>&1; then
	mkdir -p "$rpmdb"
	if rpm -i --nodeps --dbpath "$rpmdb" "$rpm" </dev/null >"$log" 2>&1; then
		rpm_in=true
		grep -v '^rpm: \(RPM should not be used\|However assuming\)' "$log" >"$log.1"
		mv "$log.1" "$log"
		if [ -s "$log" ]; then fail "rpm -i $(basename "$rpm") (quietly)"; else pass "rpm -i $(basename "$rpm")"; fi
	else
		fail "rpm -i $(basename "$rpm")"
	fi
	: >"$log"
	check "rpm: corrald --check -c /etc/corral/corral.conf" \
		/usr/sbin/corrald --check -c /etc/corral/corral.conf
	check "rpm: %post enabled corrald.service" \
		test -L /etc/systemd/system/multi-user.target.wants/corrald.service
	rpm_upgrade
	check "rpm -e corral" rpm -e --nodeps --dbpath "$rpmdb" corral
	rpm_in=false
	check "rpm -e: nothing named corral is left that was not there before" \
		nothing_left
	# The scriptlets again, without systemctl on PATH at all.
	for s in POSTIN PREUN POSTUN; do
		for arg in 0 1; do
			rpm -qp --qf "%{$s}" "$rpm" 2>/dev/null >"$tmp/scriptlet"
			check_quiet "rpm %$s with \$1=$arg and no systemctl" \
				env -i PATH="$tmp/no-such-dir" /bin/sh "$tmp/scriptlet" "$arg"
		done
	done
fi

summary
