#!/usr/bin/env bash
# package-test.sh — the Debian packages end to end, as root on Debian 12
# (CI calls it after make test):
#   make package; lintian (no error); Depends = the packages that ship the
#   libraries the binaries load, nothing from -dev; apt-get install
#   ./build/*.deb; --version from /usr/bin; systemd-analyze verify of both
#   units; centrald started from its unit's own ExecStart line (as the unit's
#   user, with its EnvironmentFile and UMask; no systemd needed) answers
#   /healthz over TLS with the pinned key on the SQLite default; the same
#   packages installed again (upgrade path) keep the data and the keys;
#   apt-get remove keeps the data and says so; apt-get purge deletes it and
#   says so first.
# It installs the tools it needs, and leaves the machine as it found it:
# centrald stopped, the packages (and what their install pulled in) purged.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin DEBIAN_FRONTEND=noninteractive

fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
step() { echo "== package-test: $*" >&2; }

[ "$(id -u)" -eq 0 ] || fail "run as root (it installs and removes packages)"
for p in certkiosk certkiosk-central; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
    fail "$p is installed on this machine; this test purges it, so it refuses to run"
  fi
done
CENTRAL_STATE=/var/lib/certkiosk-central KIOSK_DATA=/var/lib/certkiosk
for d in "$CENTRAL_STATE" "$KIOSK_DATA"; do
  [ ! -e "$d" ] || fail "$d exists already; this test would purge it"
done
# 8443 is the listen port of the packaged /etc/default/certkiosk-central.
if (exec 3<>/dev/tcp/127.0.0.1/8443) 2>/dev/null; then
  fail "port 8443 is in use; the packaged central listens there"
fi

# lintian and curl to check, systemd for systemd-analyze, dpkg-dev for
# dpkg-shlibdeps (make package).
DEPS_EXTRA="dpkg-dev lintian curl systemd" scripts/deps.sh

CENTRALD_PID="" INSTALLED_NEW=""
before=$(mktemp)
dpkg-query -W -f='${Package}\n' | sort >"$before"
cleanup() {
  local rc=$?
  if [ -n "$CENTRALD_PID" ] && kill -0 "$CENTRALD_PID" 2>/dev/null; then
    kill "$CENTRALD_PID" 2>/dev/null || true
    wait "$CENTRALD_PID" 2>/dev/null || true
  fi
  # Everything this test's install brought in, the two packages first.
  local now extra
  now=$(dpkg-query -W -f='${Package} ${Status}\n' | awk '$NF != "not-installed" {print $1}' | sort)
  extra=$(comm -13 "$before" <(echo "$now") | grep -vx -e certkiosk -e certkiosk-central || true)
  apt-get purge -y -q certkiosk certkiosk-central >/dev/null 2>&1 || true
  if [ -n "$extra" ]; then
    # shellcheck disable=SC2086
    apt-get purge -y -q $extra >/dev/null 2>&1 || true
  fi
  rm -f "$before"
  exit $rc
}
trap cleanup EXIT

step "make package"
# One version for the build and the checks, even if HEAD moves meanwhile.
VERSION=$(git describe --always --dirty)
make package VERSION="$VERSION"
shopt -s nullglob
kiosk_deb=(build/certkiosk_*_amd64.deb)
central_deb=(build/certkiosk-central_*_amd64.deb)
[ ${#kiosk_deb[@]} -eq 1 ] && [ ${#central_deb[@]} -eq 1 ] || fail "want one of each package in build/"
ls -l "${kiosk_deb[0]}" "${central_deb[0]}"

step "lintian"
lint=$(lintian --tag-display-limit 0 "${kiosk_deb[0]}" "${central_deb[0]}" 2>&1) || true
echo "$lint"
if grep -q '^E:' <<<"$lint"; then fail "lintian reports errors"; fi

step "Depends: exactly the packages shipping the libraries the binaries load"
# needed BINARY: "SONAME PATH" for each library it names (NEEDED), as the
# dynamic loader finds it here (ldd also lists the libraries' own libraries).
needed() {
  local so
  for so in $(objdump -p "$1" | awk '$1 == "NEEDED" {print $2}'); do
    echo "$so $(ldd "$1" | awk -v so="$so" '$1 == so && $2 == "=>" {print $3} $1 ~ "/"so"$" {print $1}' | head -n1)"
  done
}
check_depends() { # deb binary...
  local deb=$1 dir lib path pkg owners="" depends names
  shift
  depends=$(dpkg-deb -f "$deb" Depends)
  names=$(sed 's/([^)]*)//g; s/[|,]/\n/g; s/ //g' <<<"$depends")
  if grep -Eq -- '-dev([ ,]|$)' <<<"$depends"; then fail "$deb depends on a -dev package: $depends"; fi
  dir=$(mktemp -d)
  dpkg-deb -x "$deb" "$dir"
  for b in "$@"; do
    while read -r lib path; do
      [ -n "$path" ] || fail "$b: $lib not found"
      pkg=""
      for p in "$path" "$(readlink -f "$path")" "$(readlink -f "$path" | sed 's#^/usr/lib/#/lib/#')"; do
        pkg=$(dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1) && [ -n "$pkg" ] && break
      done
      [ -n "$pkg" ] || fail "$b: no package ships $path"
      owners+="$pkg"$'\n'
      grep -qxF "$pkg" <<<"$names" || fail "$deb: $b loads $lib from $pkg, which Depends lacks"
    done < <(needed "$dir/usr/bin/$b")
  done
  # And nothing else among the library packages (the first alternative of each).
  for dep in $(sed 's/([^)]*)//g; s/|[^,]*//g; s/,/ /g' <<<"$depends"); do
    case $dep in opencv-data | libdlib-data | cage | xwayland | adduser) continue ;; esac
    grep -qx "$dep" <<<"$owners" || fail "$deb depends on $dep, which ships no library its binaries load"
  done
  rm -rf "$dir"
}
check_depends "${kiosk_deb[0]}" certkiosk kioskctl
check_depends "${central_deb[0]}" centrald
dpkg-deb -f "${kiosk_deb[0]}" Depends | grep -q 'libdlib-data' || fail "kiosk: no libdlib-data"
dpkg-deb -f "${kiosk_deb[0]}" Depends | grep -q 'opencv-data' || fail "kiosk: no opencv-data"
dpkg-deb -f "${kiosk_deb[0]}" Depends | grep -q 'libasound2' || fail "kiosk: no ALSA"

step "apt-get install ./build/*.deb"
apt-get install -y -q "./${kiosk_deb[0]}" "./${central_deb[0]}"

step "versions from /usr/bin"
[ "$(/usr/bin/kioskctl --version)" = "kioskctl $VERSION" ] || fail "kioskctl --version: $(/usr/bin/kioskctl --version)"
[ "$(/usr/bin/centrald --version)" = "centrald $VERSION" ] || fail "centrald --version: $(/usr/bin/centrald --version)"
[ "$(/usr/bin/certkiosk --version 2>/dev/null)" = "certkiosk $VERSION" ] || fail "certkiosk --version: $(/usr/bin/certkiosk --version 2>&1)"
deb_version=$(dpkg-query -W -f='${Version}' certkiosk-central)
[[ ${central_deb[0]} == *"_${deb_version}_amd64.deb" ]] || fail "installed version $deb_version"
[ -f /usr/share/applications/cn.certkiosk.kiosk.desktop ] && [ -f /usr/share/icons/hicolor/256x256/apps/cn.certkiosk.kiosk.png ] ||
  fail "desktop entry or icon missing"

step "systemd-analyze verify"
for u in certkiosk-central certkiosk-session; do
  systemd-analyze verify --man=no "/usr/lib/systemd/system/$u.service" || fail "systemd-analyze verify $u.service"
  # Hardened: an exposure of 5.0 or less (issue 23, N14).
  systemd-analyze security --offline=true --threshold=50 "/usr/lib/systemd/system/$u.service" >/dev/null ||
    fail "systemd-analyze security $u.service: exposure above 5.0 ($(systemd-analyze security --offline=true "/usr/lib/systemd/system/$u.service" 2>&1 | tail -1))"
done
UNIT=/usr/lib/systemd/system/certkiosk-central.service
for want in 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'StateDirectory=certkiosk-central' 'Restart=on-failure' \
  'User=certkiosk-central' 'EnvironmentFile=/etc/default/certkiosk-central'; do
  grep -qx "$want" "$UNIT" || fail "$UNIT lacks $want"
done

# The unit's ExecStart, expanded as systemd does: ${VAR} is one argument
# (empty when the variable is), $VAR splits into words (none when empty).
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n1; }
declare -A ENV=()
envfile=$(unit_value EnvironmentFile)
while IFS= read -r line; do
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || fail "$envfile: cannot read: $line"
  k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
  if [[ $v =~ ^\"(.*)\"$ || $v =~ ^\'(.*)\'$ ]]; then v=${BASH_REMATCH[1]}; fi
  ENV[$k]=$v
done <"$envfile"
exec_start=$(unit_value ExecStart)
[[ $exec_start != *[\"\'\\]* ]] || fail "ExecStart has quotes; this parser does not handle them: $exec_start"
argv=()
for word in $exec_start; do
  if [[ $word =~ ^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$ ]]; then
    argv+=("${ENV[${BASH_REMATCH[1]}]-}")
  elif [[ $word =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
    # shellcheck disable=SC2206
    argv+=(${ENV[${BASH_REMATCH[1]}]-})
  elif [[ $word == *\$* ]]; then
    fail "ExecStart word $word: only whole-word variables are handled"
  else
    argv+=("$word")
  fi
done
user=$(unit_value User) group=$(unit_value Group) umask_value=$(unit_value UMask)
env_args=()
for k in "${!ENV[@]}"; do env_args+=("$k=${ENV[$k]}"); done
[ "${argv[0]}" = /usr/bin/centrald ] || fail "ExecStart runs ${argv[0]}"
[ -d "$CENTRAL_STATE" ] && [ "$(stat -c %U:%a "$CENTRAL_STATE")" = "certkiosk-central:700" ] ||
  fail "$CENTRAL_STATE: $(stat -c %U:%a "$CENTRAL_STATE" 2>&1)"

step "centrald from ExecStart: ${argv[*]} (as $user, umask $umask_value)"
log=$(mktemp)
# setpriv execs (no PAM session, like a unit without PAMName): $! is centrald.
(umask "$umask_value" && exec setpriv --reuid="$user" --regid="$group" --init-groups -- \
  env -i PATH=/usr/bin:/bin "${env_args[@]}" "${argv[@]}") >"$log" 2>&1 &
CENTRALD_PID=$!
listen=${ENV[CENTRALD_LISTEN]}
url="https://127.0.0.1:${listen##*:}/healthz"
for _ in $(seq 100); do
  curl -fsk --max-time 2 "$url" >/dev/null 2>&1 && break
  kill -0 "$CENTRALD_PID" 2>/dev/null || { cat "$log"; fail "centrald exited"; }
  sleep 0.2
done
pin=$(runuser -u "$user" -- /usr/bin/centrald --data "$CENTRAL_STATE" tls pin | tail -n1)
[[ $pin =~ ^[0-9a-f]{64}$ ]] || fail "tls pin: $pin"
pin64=$(perl -e 'print pack("H*", $ARGV[0])' "$pin" | base64)
health=$(curl -fsS --max-time 5 -k --pinnedpubkey "sha256//$pin64" "$url") || { cat "$log"; fail "GET $url with the pin"; }
grep -q '"ok"' <<<"$health" || fail "healthz: $health"
if curl -fsk --max-time 5 --pinnedpubkey "sha256//$(echo wrongwrongwrong | base64)" "$url" >/dev/null 2>&1; then
  fail "curl accepted a wrong pin: the pin check proves nothing"
fi
echo "healthz: $health"
running="$(stat -c %U "/proc/$CENTRALD_PID") $(cat "/proc/$CENTRALD_PID/comm")"
[ "$running" = "$user centrald" ] || fail "want centrald running as $user, got $running"
[ -f "$CENTRAL_STATE/central.db" ] || fail "no SQLite database in $CENTRAL_STATE (CENTRALD_DB empty)"
[ "$(stat -c %U:%a "$CENTRAL_STATE/central.db")" = "certkiosk-central:600" ] ||
  fail "central.db: $(stat -c %U:%a "$CENTRAL_STATE/central.db") (want certkiosk-central:600, UMask=0077)"
# A terminal to remember, then stop it as systemd would (SIGTERM).
runuser -u "$user" -- /usr/bin/centrald --data "$CENTRAL_STATE" terminal add --id T-0001 --name package-test >/dev/null
kill -TERM "$CENTRALD_PID"
wait "$CENTRALD_PID" || { cat "$log"; fail "centrald did not stop cleanly on SIGTERM"; }
CENTRALD_PID=""
grep -q "stopped" "$log" || { cat "$log"; fail "no 'stopped' in centrald's log"; }
rm -f "$log"

step "kiosk data as the kiosk user, with the installed kioskctl"
[ "$(stat -c %U:%a "$KIOSK_DATA")" = "certkiosk:700" ] || fail "$KIOSK_DATA: $(stat -c %U:%a "$KIOSK_DATA")"
echo 135790 | runuser -u certkiosk -- /usr/bin/kioskctl --data "$KIOSK_DATA" init --admin A001 --name package-test >/dev/null
ls "$KIOSK_DATA"/*.db >/dev/null 2>&1 || fail "kioskctl init made no database in $KIOSK_DATA"
sums() { find "$CENTRAL_STATE" "$KIOSK_DATA" -type f -print0 | sort -z | xargs -0 sha256sum; }
data_before=$(sums)

step "install again (upgrade path): data and keys kept, scripts idempotent"
apt-get install -y -q --reinstall "./${kiosk_deb[0]}" "./${central_deb[0]}"
[ "$(sums)" = "$data_before" ] || fail "reinstalling changed the data"
[ "$(runuser -u "$user" -- /usr/bin/centrald --data "$CENTRAL_STATE" tls pin | tail -n1)" = "$pin" ] || fail "the TLS key changed"
runuser -u "$user" -- /usr/bin/centrald --data "$CENTRAL_STATE" stats --json | grep -q . || fail "stats after reinstall"

step "apt-get remove: data kept"
out=$(apt-get remove -y -q certkiosk certkiosk-central 2>&1) || { echo "$out"; fail "apt-get remove"; }
echo "$out"
[ ! -e /usr/bin/centrald ] && [ ! -e /usr/bin/kioskctl ] || fail "binaries still there after remove"
[ "$(sums)" = "$data_before" ] || fail "apt-get remove changed or deleted the data"
grep -q "数据已保留在 $CENTRAL_STATE" <<<"$out" && grep -q "认证记录已保留在 $KIOSK_DATA" <<<"$out" ||
  fail "remove did not say where the data is kept"
[ -f /etc/default/certkiosk-central ] || fail "remove deleted the conffile"

step "apt-get purge: says so, then deletes"
out=$(apt-get purge -y -q certkiosk certkiosk-central 2>&1) || { echo "$out"; fail "apt-get purge"; }
echo "$out"
grep -q "正在删除 $CENTRAL_STATE" <<<"$out" && grep -q "正在删除 $KIOSK_DATA" <<<"$out" || fail "purge did not say what it deletes"
[ ! -e "$CENTRAL_STATE" ] && [ ! -e "$KIOSK_DATA" ] && [ ! -e /etc/default/certkiosk-central ] || fail "purge left data behind"
echo "package-test: OK" >&2
