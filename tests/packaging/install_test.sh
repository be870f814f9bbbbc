#!/usr/bin/env bash
# `cmake --install` of this build tree into a fresh prefix: every file in place; the installed
# agora runs (--version, init, daemon, id, shutdown), has no debug info and links to a separate
# debug file with its build id that gdb finds; the man page renders and lists every command; each
# completion script loads and completes in its shell where that shell is installed; the systemd
# user unit runs the installed binary. No root needed.
set -eu  # no pipefail: `... | grep -q` stops reading early by design
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${AGORA_BUILD_DIR:?set AGORA_BUILD_DIR}"
: "${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-install.XXXXXX)"
trap 'rm -rf "$work"' EXIT
source "$here/common.sh"

prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || fail "cmake --install failed"
bin="$prefix/bin/agora"
id=$(build_id "$AGORA_BIN")
[[ -n "$id" ]] || fail "the built agora has no build id"
debug="$prefix/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
for f in bin/agora share/man/man1/agora.1 share/bash-completion/completions/agora \
    share/zsh/vendor-completions/_agora share/fish/vendor_completions.d/agora.fish \
    lib/systemd/user/agora.service share/doc/agora/README.md share/doc/agora/README.packaging.md \
    share/doc/agora/docs/api.md "${debug#"$prefix/"}"; do
  [[ -s "$prefix/$f" ]] || fail "not installed: $f"
done
[[ -x "$bin" ]] || fail "bin/agora is not executable"

# Debug info: none in the program, all in the debug file, tied by build id and debuglink CRC.
if sections "$bin" | grep -q '^\.debug_\|^\.symtab$'; then fail "installed agora has debug info"; fi
sections "$debug" | grep -q '^\.debug_info$' || fail "the debug file has no .debug_info"
[[ "$(build_id "$bin")" == "$id" && "$(build_id "$debug")" == "$id" ]] || fail "build ids differ"
objcopy --dump-section .gnu_debuglink="$work/debuglink" "$bin" "$work/stripped-copy"
python3 - "$work/debuglink" "$debug" <<'PY' || fail "the debuglink does not name the debug file"
import sys, zlib
link = open(sys.argv[1], "rb").read()
name = link[:link.index(b"\0")].decode()
crc = int.from_bytes(link[-4:], "little")
want = sys.argv[2].rsplit("/", 1)[1]
data = open(sys.argv[2], "rb").read()
sys.exit(0 if name == want and crc == zlib.crc32(data) else 1)
PY
echo "ok: installed agora $(($(stat -c %s "$bin") / 1048576)) MiB without debug info" \
  "(built: $(($(stat -c %s "$AGORA_BIN") / 1048576)) MiB); symbols in ${debug#"$prefix/"}"
if command -v gdb >/dev/null; then
  gdb -nx -batch -iex "set debug-file-directory $prefix/lib/debug" -ex "info line main" "$bin" \
    >"$work/gdb.log" 2>&1 || true
  grep -q 'main\.cpp' "$work/gdb.log" || fail "gdb did not find main's line through the debug file"
  echo "ok: gdb finds the symbols by build id"
else
  skip "gdb is not installed: not checking that it finds the symbols"
fi

installed_runs "$bin"

# The man page: renders without warnings and documents every command `agora --help` lists.
man1="$prefix/share/man/man1/agora.1"
commands=$("$bin" --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[[ $(wc -w <<<"$commands") -ge 10 ]] || fail "cannot read the commands from agora --help"
for c in $commands; do grep -q "^\.SS $c\$" "$man1" || fail "the man page lacks '$c'"; done
grep -q '^\.SS swarm connect$' "$man1" || fail "the man page lacks 'swarm connect'"
grep -q '^\.SS completions\|^\.SS manpage' "$man1" && fail "the man page shows hidden commands"
if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z "$man1" 2>"$work/groff.log" || fail "groff failed on agora.1"
  [[ ! -s "$work/groff.log" ]] || fail "groff warns about agora.1: $(cat "$work/groff.log")"
  text=$(groff -man -Tutf8 -P-cbou "$man1" 2>/dev/null)
  grep -q -- '--repo' <<<"$text" && grep -q 'swarm connect' <<<"$text" \
    || fail "the rendered man page lacks --repo or swarm connect"
  if command -v man >/dev/null; then
    MANPATH="$prefix/share/man" man -P cat agora 2>/dev/null | grep -q 'SYNOPSIS' \
      || fail "man does not find agora(1) under the prefix"
  fi
  echo "ok: agora.1 renders without warnings and lists all $(wc -w <<<"$commands") commands"
else
  head -n 3 "$man1" | grep -q '^\.TH AGORA 1' || fail "agora.1 has no .TH line"
  skip "groff is not installed: agora.1 only checked for its title line"
fi

# bash: the script parses, and completing after it is sourced offers what the CLI has.
comp="$prefix/share/bash-completion/completions/agora"
bash -n "$comp" || fail "bash completion does not parse"
complete_bash() {  # words...; the last is the one being completed
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _agora
           printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@"
}
complete_bash agora sw | grep -qx swarm || fail "bash: 'agora sw' does not complete to swarm"
out=$(complete_bash agora --repo /tmp/x swarm '')
for c in connect peers limits known; do grep -qx "$c" <<<"$out" || fail "bash: no 'swarm $c'"; done
out=$(complete_bash agora ping -)
grep -qx -- --count <<<"$out" && grep -qx -- --repo <<<"$out" || fail "bash: ping options: $out"
[[ -z "$(complete_bash agora --repo '')" ]] || fail "bash: offered commands as --repo's value"
for c in $commands; do
  complete_bash agora "$c" | grep -qx "$c" || fail "bash: '$c' does not complete"
done
echo "ok: bash completion completes commands, subcommands and options"

zcomp="$prefix/share/zsh/vendor-completions/_agora"
if command -v zsh >/dev/null; then
  zsh -n "$zcomp" || fail "zsh completion does not parse"
  # _describe and _files are stood in for by functions that print what they were given.
  complete_zsh() {
    zsh -f -c 'compdef() { :; }; _describe() { print -l -- ${(P)${@[-1]}}; }
               _files() { print _files; }; source "$1"; shift
               words=("$@"); CURRENT=$#; PREFIX=${words[-1]}; _agora' _ "$zcomp" "$@"
  }
  complete_zsh agora swarm '' | grep -q '^connect:Dial a peer' || fail "zsh: no 'swarm connect'"
  complete_zsh agora ping -c | grep -q '^--count:' || fail "zsh: no ping --count"
  complete_zsh agora --repo '' | grep -qx _files || fail "zsh: --repo does not take files"
  echo "ok: zsh completion completes subcommands and options"
else
  skip "zsh is not installed: its completion was not loaded"
fi

fcomp="$prefix/share/fish/vendor_completions.d/agora.fish"
if command -v fish >/dev/null; then
  fish -n "$fcomp" || fail "fish completion does not parse"
  complete_fish() { fish --no-config -c "source '$fcomp'; complete -C '$1'"; }
  complete_fish 'agora sw' | grep -q '^swarm' || fail "fish: 'agora sw' does not complete"
  complete_fish 'agora swarm con' | grep -q '^connect' || fail "fish: no 'swarm connect'"
  complete_fish 'agora ping --co' | grep -q '^--count' || fail "fish: no ping --count"
  complete_fish 'agora swarm connect --j' | grep -q '^--json' || fail "fish: no --json after a subcommand"
  echo "ok: fish completion completes subcommands and options"
else
  skip "fish is not installed: its completion was not loaded"
fi

# The systemd user unit runs the installed program as the user.
unit="$prefix/lib/systemd/user/agora.service"
grep -qx "ExecStart=$bin daemon" "$unit" || fail "the unit does not run $bin daemon"
grep -q '^User=\|^Group=' "$unit" && fail "a user unit names a user"
grep -q '^Restart=on-failure' "$unit" && grep -q '^WantedBy=default.target' "$unit" \
  || fail "the unit lacks its restart policy or install target"
if command -v systemd-analyze >/dev/null; then
  # It checks that ExecStart exists and that man finds the Documentation= page.
  MANPATH="$prefix/share/man" systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 || fail "systemd-analyze: $(cat "$work/verify.log")"
  echo "ok: agora.service verifies"
else
  skip "systemd-analyze is not installed: agora.service checked by its lines only"
fi
echo "packaging_install: all checks passed"
