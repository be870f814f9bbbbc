#!/usr/bin/env bash
# `agora debug bundle` against real daemons: the archive has every file the manifest names, each
# JSON file parses, the events and metrics are the daemon's; no key, token or secret-looking
# config value is in it; an existing output is refused and nothing partial is left; without a
# daemon the bundle still has the local files and says why the rest is missing.
set -euo pipefail
agora="$(readlink -f "${AGORA_BIN:?set AGORA_BIN}")"
work="$(mktemp -d /tmp/agora-bundle.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -30 "$f" >&2; done; exit 1; }
start() {  # start NAME
  "$agora" --repo "$work/$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && break; sleep 0.1; done
  grep -q '^ready' "$work/$1.log" || fail "$1 did not become ready"
}
start a
start b
a_addr=$(awk '$1 == "listening" {print $2; exit}' "$work/a.log")
b_id=$("$agora" --repo "$work/b" --json id | python3 -c 'import json,sys; print(json.load(sys.stdin)["peer"])')
"$agora" --repo "$work/b" swarm connect "$a_addr" >/dev/null || fail "b could not connect to a"
head -c 100000 /dev/urandom >"$work/file.bin"
"$agora" --repo "$work/a" add -Q "$work/file.bin" >/dev/null
# A secret-looking value, as a future [trace] exporter's header might be (the daemon has read its
# config already; the bundle reads the file).
printf '\n# added by the test\n  otlp_token = "s3cr3t-value"\nhttp_password="hunter2"\n' >>"$work/a/config.toml"
printf 'headers = { Authorization = "Bearer inline-secret" }\nprivate_note = """\nmultiline-secret\n"""\n' \
  >>"$work/a/config.toml"

mkdir "$work/out"
"$agora" --repo "$work/a" --json debug bundle -o "$work/out/bundle.tar.gz" >"$work/bundle.json" ||
  fail "debug bundle failed: $(cat "$work/bundle.json")"
python3 - "$work/bundle.json" <<'PY' || fail "bad --json answer: $(cat "$work/bundle.json")"
import json, sys
a = json.load(open(sys.argv[1]))
assert a["daemon_running"] is True and a["missing"] == 0 and a["files"] == 15, a
PY
mkdir "$work/x"
tar -xzf "$work/out/bundle.tar.gz" -C "$work/x" || fail "tar cannot read the bundle"
python3 - "$work/x" "$b_id" <<'PY' || fail "the bundle's contents are wrong"
import glob, json, os, sys
root = glob.glob(os.path.join(sys.argv[1], "agora-debug-*"))
assert len(root) == 1, root
root = root[0]
manifest = json.load(open(os.path.join(root, "manifest.json")))
names = sorted(f["name"] for f in manifest["files"])
want = sorted(["version.json", "doctor.json", "config.toml", "id.json", "swarm_peers.json", "swarm_limits.json",
               "swarm_known.json", "bootstrap.json", "dht_status.json", "dht_table.json", "ops.json",
               "repo_stat.json", "events.jsonl", "metrics.prom"])
assert names == want, names
assert sorted(os.listdir(root)) == sorted(want + ["manifest.json"]), os.listdir(root)
assert manifest["daemon_running"] is True
for f in manifest["files"]:
    assert "error" not in f, f
    assert os.path.getsize(os.path.join(root, f["name"])) == f["bytes"], f
for name in want:
    if name.endswith(".json"):
        json.load(open(os.path.join(root, name)))
events = [json.loads(l) for l in open(os.path.join(root, "events.jsonl"))]
types = {e["type"] for e in events}
assert "listen_started" in types and "connection_opened" in types, types
seqs = [e["seq"] for e in events]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
peers = json.load(open(os.path.join(root, "swarm_peers.json")))
assert sys.argv[2] in json.dumps(peers), "b is not among a's peers"
assert json.load(open(os.path.join(root, "repo_stat.json")))["blocks"] >= 1
metrics = open(os.path.join(root, "metrics.prom")).read()
assert "# TYPE agora_" in metrics, metrics[:200]
config = open(os.path.join(root, "config.toml")).read()
assert 'otlp_token = "<redacted>"' in config and 'http_password= "<redacted>"' in config, config[-200:]
assert 'headers = "<redacted>"' in config and 'private_note = "<redacted>"' in config, config[-200:]
assert config.rstrip().endswith('private_note = "<redacted>"'), config[-200:]
assert "listen" in config
doctor = json.load(open(os.path.join(root, "doctor.json")))
assert doctor["verdict"] == "ok" and len(doctor["checks"]) >= 8, doctor
PY
# Nothing secret, anywhere in it.
token=$(cat "$work/a/api.token")
[[ ${#token} -ge 16 ]] || fail "the API token is unexpectedly short"
if grep -rqF -- "$token" "$work/x"; then fail "the API token is in the bundle"; fi
if grep -rqE -- "s3cr3t-value|hunter2|inline-secret|multiline-secret" "$work/x"; then
  fail "a secret config value is in the bundle"
fi
python3 - "$work/a/identity.key" "$work/x" <<'PY' || fail "the identity key is in the bundle"
import os, sys
key = open(sys.argv[1], "rb").read()
secret = key[-32:]  # the private key's bytes end the protobuf
for d, _, files in os.walk(sys.argv[2]):
    for f in files:
        assert secret not in open(os.path.join(d, f), "rb").read(), f
PY

# An existing output is refused and left as it was; nothing partial stays behind.
sum_before=$(md5sum <"$work/out/bundle.tar.gz")
if "$agora" --repo "$work/a" debug bundle -o "$work/out/bundle.tar.gz" 2>"$work/err.txt"; then
  fail "an existing bundle was overwritten"
fi
grep -q "already exists" "$work/err.txt" || fail "unclear error for an existing output: $(cat "$work/err.txt")"
[[ $(md5sum <"$work/out/bundle.tar.gz") == "$sum_before" ]] || fail "the existing bundle changed"
[[ $(ls -A "$work/out") == "bundle.tar.gz" ]] || fail "left behind: $(ls -A "$work/out")"
# An unwritable destination: a clear error, nothing left.
if "$agora" --repo "$work/a" debug bundle -o "$work/no/such/dir/b.tar.gz" 2>"$work/err.txt"; then
  fail "a bundle into a missing directory succeeded"
fi
grep -q "No such file or directory" "$work/err.txt" || fail "unclear error: $(cat "$work/err.txt")"

# The default name, in the current directory.
(cd "$work/out" && "$agora" --repo "$work/b" debug bundle >"$work/default.txt") || fail "default bundle"
grep -Eq '^wrote agora-debug-[0-9]{8}T[0-9]{6}Z\.tar\.gz: 15 files$' "$work/default.txt" ||
  fail "unexpected summary: $(cat "$work/default.txt")"

# Without a daemon: the local files, and why the rest is missing.
"$agora" --repo "$work/a" shutdown >/dev/null
for _ in $(seq 100); do kill -0 "${pids[0]}" 2>/dev/null || break; sleep 0.1; done
"$agora" --repo "$work/a" debug bundle -o "$work/out/offline.tar.gz" >"$work/offline.txt" ||
  fail "offline bundle failed"
grep -q "no daemon runs for this repo" "$work/offline.txt" || fail "offline summary: $(cat "$work/offline.txt")"
mkdir "$work/y"
tar -xzf "$work/out/offline.tar.gz" -C "$work/y"
python3 - "$work/y" <<'PY' || fail "the offline bundle is wrong"
import glob, json, os, sys
root = glob.glob(os.path.join(sys.argv[1], "agora-debug-*"))[0]
m = json.load(open(os.path.join(root, "manifest.json")))
assert m["daemon_running"] is False and "no agora daemon is running" in m["daemon_error"], m
assert sorted(os.listdir(root)) == ["config.toml", "doctor.json", "manifest.json", "version.json"], os.listdir(root)
doctor = json.load(open(os.path.join(root, "doctor.json")))
assert doctor["verdict"] == "local" and doctor["checks"][1]["name"] == "daemon", doctor
PY
echo "debug bundle: ok"
