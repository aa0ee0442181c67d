#!/usr/bin/env bash
# package.sh — build the Debian packages (make package):
#   build/certkiosk_VERSION_amd64.deb          kiosk, kioskctl, desktop entry, kiosk session
#   build/certkiosk-central_VERSION_amd64.deb  centrald and its systemd service
#
# The binaries are built once, stripped and path-free (-trimpath), into
# build/pkg/bin; the kiosk's Depends come from dpkg-shlibdeps (which maps
# every library the binaries load to the package that ships it) plus the
# data and programs it uses at run time. nfpm (a Go tool dependency, see
# go.mod) writes the packages; file times are the last commit's
# (SOURCE_DATE_EPOCH), so the same commit gives the same packages.
#
#   VERSION=$(git describe --always --dirty) scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}
OUT=build
PKGDIR=$OUT/pkg
export PKGDIR

# debian_version VERSION: git describe's output as a Debian version.
#   v1.2.3 -> 1.2.3; v1.2.3-4-gabc1234 -> 1.2.3+git4.gabc1234;
#   abc1234 (no tag yet) -> 0~git<commits>.gabc1234 (sorts before any release);
#   a -dirty suffix becomes +dirty.
debian_version() {
  local v=$1 dirty=""
  if [[ $v == *-dirty ]]; then dirty=+dirty; v=${v%-dirty}; fi
  if [[ $v =~ ^[0-9a-f]{4,}$ && $(git rev-parse HEAD) == "$v"* ]]; then
    v="0~git$(git rev-list --count HEAD).g$v"
  elif [[ $v =~ ^v?([0-9][0-9A-Za-z.]*)-([0-9]+)-(g[0-9a-f]+)$ ]]; then
    v="${BASH_REMATCH[1]}+git${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
  elif [[ $v =~ ^v?([0-9][0-9A-Za-z.]*)$ ]]; then
    v="${BASH_REMATCH[1]}"
  else
    echo "package.sh: cannot make a Debian version of $v" >&2
    exit 1
  fi
  echo "$v$dirty"
}
DEB_VERSION=$(debian_version "$VERSION")
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export DEB_VERSION SOURCE_DATE_EPOCH

rm -rf "$PKGDIR"
mkdir -p "$PKGDIR/bin" "$PKGDIR/kiosk" "$PKGDIR/central"

echo "package.sh: building $VERSION (Debian version $DEB_VERSION)" >&2
# Full RELRO (bindnow) comes with the link; .comment only names the compilers.
# no_emoji: as in the Makefile, Fyne without its colour emoji font.
flags=(-trimpath -buildmode=pie -tags no_emoji -ldflags "-s -w -X certkiosk.Version=$VERSION -extldflags=-Wl,-z,relro,-z,now")
for cmd in certkiosk kioskctl centrald; do
  "$GO" build "${flags[@]}" -o "$PKGDIR/bin/$cmd" "./cmd/$cmd"
  objcopy --remove-section=.comment "$PKGDIR/bin/$cmd"
done

# Depends: the packages that ship the shared libraries the binaries load.
shlibdeps() { # binaries...
  local tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/debian/pkg/usr/bin" "$tmp/debian/pkg/DEBIAN"
  printf 'Source: certkiosk\n\nPackage: pkg\nArchitecture: any\n' >"$tmp/debian/control"
  local args=()
  for f in "$@"; do
    cp "$f" "$tmp/debian/pkg/usr/bin/"
    args+=("-edebian/pkg/usr/bin/$(basename "$f")")
  done
  (cd "$tmp" && dpkg-shlibdeps -O "${args[@]}") | sed -n 's/^shlibs:Depends=//p'
  rm -rf "$tmp"
}
# Run time, beyond libraries: the Haar cascades (opencv-data), the 68-point
# model (libdlib-data), the kiosk session (cage; Xwayland for the X11 window
# of Fyne's GLFW) and the maintainer scripts (adduser).
KIOSK_DEPENDS="$(shlibdeps "$PKGDIR/bin/certkiosk" "$PKGDIR/bin/kioskctl"), opencv-data, libdlib-data, cage, xwayland, adduser"
CENTRAL_DEPENDS="$(shlibdeps "$PKGDIR/bin/centrald"), adduser"
for d in "$KIOSK_DEPENDS" "$CENTRAL_DEPENDS"; do
  if grep -Eq -- '-dev([ ,]|$)' <<<"$d"; then
    echo "package.sh: a -dev package in Depends: $d" >&2
    exit 1
  fi
done
export KIOSK_DEPENDS CENTRAL_DEPENDS

# Desktop entry and icon from FyneApp.toml's [Details].
toml() { # key
  awk -v k="$1" '/^\[/{s=($0=="[Details]")} s && $1==k {sub(/^[^=]*=[ \t]*/, ""); gsub(/^"|"$/, ""); print; exit}' FyneApp.toml
}
APP_NAME=$(toml Name) APP_ID=$(toml ID) APP_ICON=$(toml Icon)
if [ -z "$APP_NAME" ] || [ "$APP_ID" != cn.certkiosk.kiosk ] || [ ! -f "$APP_ICON" ]; then
  echo "package.sh: FyneApp.toml needs Name, ID = cn.certkiosk.kiosk and an Icon file (got '$APP_NAME' '$APP_ID' '$APP_ICON')" >&2
  exit 1
fi
cp "$APP_ICON" "$PKGDIR/kiosk/icon.png"
cat >"$PKGDIR/kiosk/$APP_ID.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=$APP_NAME
Name[en]=Pension certification kiosk
Comment=养老金领取资格认证（活体检测）
Comment[en]=Pension entitlement certification with a liveness check
Exec=certkiosk
Icon=$APP_ID
Terminal=false
Categories=Office;
Keywords=pension;certification;kiosk;养老金;认证;
EOF

# A one-entry changelog per package, as Debian native packages carry.
changelog() { # package
  printf '%s (%s) unstable; urgency=medium\n\n  * Built from git %s (commit %s).\n\n -- %s  %s\n' \
    "$1" "$DEB_VERSION" "$VERSION" "$(git rev-parse --short=12 HEAD)" \
    "certkiosk maintainers <maintainers@users.noreply.r-seed-a715765f.example>" \
    "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")" | gzip -9n >"$PKGDIR/$2/changelog.gz"
  touch -d "@$SOURCE_DATE_EPOCH" "$PKGDIR/$2/changelog.gz"
}
changelog certkiosk kiosk
changelog certkiosk-central central
mkdir -p "$PKGDIR/man"
for m in packaging/man/*; do
  gzip -9n <"$m" >"$PKGDIR/man/$(basename "$m").gz"
  touch -d "@$SOURCE_DATE_EPOCH" "$PKGDIR/man/$(basename "$m").gz"
done

rm -f "$OUT"/certkiosk_*.deb "$OUT"/certkiosk-central_*.deb
"$GO" tool nfpm package --config packaging/nfpm-kiosk.yaml --packager deb --target "$OUT/" >&2
"$GO" tool nfpm package --config packaging/nfpm-central.yaml --packager deb --target "$OUT/" >&2
ls -l "$OUT"/certkiosk_"$DEB_VERSION"_amd64.deb "$OUT"/certkiosk-central_"$DEB_VERSION"_amd64.deb
