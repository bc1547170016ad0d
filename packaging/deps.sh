#!/bin/sh
# Install the Debian packages that building and testing corral needs.
# Run by `make run`, `make check` and .ci/run; does nothing when all are present.
# Set CORRAL_DEPS=bench (or pass "bench") to add what `make bench` compares
# against and plots with, "fuzz" for clang, "dist" for git (`make dist`), "packaging" for
# what `make deb`, `make rpm` and packaging/test-install.sh use.
set -eu

need="gcc make pkg-config libseccomp-dev libcap-dev libinih-dev libcmocka-dev libexpat1-dev libhttp-parser-dev nettle-dev \
liburiparser-dev mandoc man-db strace python3 procps clang systemd libsystemd0 util-linux supervisor tini chromium \
python3-prometheus-client tzdata libjansson-dev python3-jsonschema libncurses-dev tmux"
# supervisor: its supervisorctl, childutils and supervisord are what the
# supervisord drop-in tests drive corrald with and compare it against.
# chromium: tests/e2e/test_web.py drives the web page in it, headless.
# python3-prometheus-client: tests/e2e/test_metrics.py reads /metrics with
# its parsers.
# man-db: the README's `man -l man/corrald.8`, and the tests that read the
# man pages as a user would. tini: corrald --init is tested beside it.
# libjansson-dev: the JSON API's objects (supervisor/apijson.c).
# python3-jsonschema: tests/e2e/test_api.py checks every answer against
# the schemas of doc/openapi.json. (@redocly/cli, which lints that
# document, comes from the npm registry in the test, not from here.)
# tzdata: schedule_tz zones, and the zones test_cron (America/New_York,
# Europe/Berlin) and test_schedule.py compute triggers in.
# libncurses-dev: corralctl top's screen (linked statically, like the rest
# of corralctl). tmux: tests/e2e/test_top.py drives that screen in it.
# gnuplot-nox: the plots `make bench` draws (PNG and SVG, no X).
case "${CORRAL_DEPS:-} $*" in
*bench*) need="$need s6 runit gnuplot-nox" ;;
esac
case "${CORRAL_DEPS:-} $*" in
*fuzz*) need="$need clang" ;;
esac
# dpkg-dev rather than devscripts: dpkg-buildpackage is all `make deb` needs
# (no fakeroot: debian/control says Rules-Requires-Root: no). rpmbuild comes
# with Debian's rpm; git is for `make dist`; bash-completion and man-db are
# for packaging/test-install.sh.
case "${CORRAL_DEPS:-} $*" in
*dist*) need="$need git" ;;
esac
case "${CORRAL_DEPS:-} $*" in
*packaging*) need="$need dpkg-dev debhelper lintian rpm rpmlint bash-completion man-db git" ;;
esac

missing=""
for p in $need; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "corral: missing Debian packages:$missing" >&2
	echo "corral: run 'sudo sh packaging/deps.sh' (or apt-get install$missing) and try again" >&2
	exit 1
fi
echo "corral: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: runit recommends runit-run, which would replace init.
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
