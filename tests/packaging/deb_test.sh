#!/usr/bin/env bash
# cpack from this build tree: agora_<v>_<arch>.deb and agora-dbgsym_<v>_<arch>.deb carry the
# project's version, a maintainer, a description and the dependencies dpkg-shlibdeps computed
# (one for every shared library the program needs), and the expected files; the program
# extracted with `dpkg-deb -x` runs. As root, the package is also installed with apt, run, and
# removed again; without root that part is skipped (and says so).
set -eu  # no pipefail: `... | grep -q` stops reading early by design
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${AGORA_BUILD_DIR:?set AGORA_BUILD_DIR}"
: "${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-deb.XXXXXX)"
installed_by_test=""
cleanup() {
  if [[ -n "$installed_by_test" ]]; then
    apt-get remove -y -q -o DPkg::Lock::Timeout=300 agora >/dev/null 2>&1 || dpkg --purge agora || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
source "$here/common.sh"
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed"; exit 77; }
done

(cd "$build" && cpack -B "$work/out") >"$work/cpack.log" 2>&1 || fail "cpack failed"
version=$("$AGORA_BIN" --version | head -1 | sed 's|^agora ||')  # first line: agora <version>
arch=$(dpkg --print-architecture)
deb="$work/out/agora_${version}_${arch}.deb"
dbg="$work/out/agora-dbgsym_${version}_${arch}.deb"
[[ -f "$deb" && -f "$dbg" ]] || fail "cpack made $(ls "$work/out"), not agora{,-dbgsym}_${version}_${arch}.deb"

field() { dpkg-deb -f "$1" "$2"; }
[[ "$(field "$deb" Package)" == agora && "$(field "$deb" Version)" == "$version" ]] \
  || fail "wrong Package or Version: $(field "$deb" Package) $(field "$deb" Version)"
[[ -n "$(field "$deb" Maintainer)" && -n "$(field "$deb" Description)" ]] \
  || fail "no Maintainer or Description"
dpkg-deb --info "$deb" >"$work/info.log"
# Every library the program links is named in Depends by the package that holds it.
depends=$(field "$deb" Depends)
depends_names=$(sed 's/([^)]*)//g; s/|/,/g' <<<"$depends" | tr ',' '\n' | tr -d ' ')
owner() { dpkg -S "$1" 2>/dev/null | head -n1 | cut -d: -f1; }
for lib in $(readelf -d "$AGORA_BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
  pkg=$(owner "$path")
  [[ -n "$pkg" ]] || pkg=$(owner "$(realpath "$path")")
  [[ -n "$pkg" ]] || pkg=$(owner "/$lib")
  [[ -n "$pkg" ]] || fail "no package holds $lib"
  # The owner, or a virtual package it provides (libspdlog1.10 provides libspdlog1.10-fmt9).
  names="$pkg $(dpkg-query -W -f='${Provides}' "$pkg" 2>/dev/null | sed 's/([^)]*)//g; s/,/ /g')"
  found=""
  for n in $names; do grep -qxF "$n" <<<"$depends_names" && found=1; done
  [[ -n "$found" ]] || fail "Depends lacks $pkg (for $lib): $depends"
done
echo "ok: agora $version: Depends: $depends"
[[ "$(field "$dbg" Package)" == agora-dbgsym ]] || fail "the debug package is not agora-dbgsym"
field "$dbg" Depends | grep -q "agora (= $version)" || fail "agora-dbgsym does not depend on agora"

dpkg-deb --contents "$deb" | awk '{print $NF}' >"$work/contents.log"
for f in ./usr/bin/agora ./usr/share/man/man1/agora.1 ./usr/share/bash-completion/completions/agora \
    ./usr/share/zsh/vendor-completions/_agora ./usr/share/fish/vendor_completions.d/agora.fish \
    ./usr/lib/systemd/user/agora.service ./usr/share/doc/agora/README.md; do
  grep -qx -- "$f" "$work/contents.log" || fail "agora.deb lacks $f"
done
grep -q '^\./usr/lib/debug' "$work/contents.log" && fail "agora.deb carries debug symbols"
id=$(build_id "$AGORA_BIN")
dpkg-deb --contents "$dbg" | grep -q "\./usr/lib/debug/\.build-id/${id:0:2}/${id:2}\.debug$" \
  || fail "agora-dbgsym lacks the debug file for build id $id"
echo "ok: both packages hold the expected files"

dpkg-deb -x "$deb" "$work/root"
grep -qx 'ExecStart=/usr/bin/agora daemon' "$work/root/usr/lib/systemd/user/agora.service" \
  || fail "the packaged unit does not run /usr/bin/agora"
if sections "$work/root/usr/bin/agora" | grep -q '^\.debug_'; then fail "packaged agora has debug info"; fi
installed_runs "$work/root/usr/bin/agora"

if [[ $(id -u) -ne 0 ]]; then
  skip "installing agora.deb system-wide needs root"
elif ! command -v apt-get >/dev/null; then
  skip "apt-get is not installed: not installing agora.deb system-wide"
elif dpkg-query -W agora >/dev/null 2>&1 || [[ -e /usr/bin/agora ]]; then
  skip "agora is already installed system-wide here: not replacing it"
else
  installed_by_test=1
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$deb" \
    >"$work/apt.log" 2>&1 || fail "apt-get install ./agora.deb failed"
  installed_runs /usr/bin/agora
  apt-get remove -y -q -o DPkg::Lock::Timeout=300 agora >"$work/apt.log" 2>&1 \
    || fail "apt-get remove agora failed"
  installed_by_test=""
  [[ ! -e /usr/bin/agora ]] || fail "/usr/bin/agora is still there after removal"
  echo "ok: apt-get installs agora.deb system-wide, it runs, and removes cleanly"
fi
echo "packaging_deb: all checks passed"
