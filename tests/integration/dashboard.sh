#!/usr/bin/env bash
# The web dashboard against three real daemons: a seed and a second provider of one file, each
# with its upload capped so a get lasts long enough to watch, and a downloader whose dashboard
# the browser opens while its get runs. The browser half is web/test/dashboard.test.mjs (headless
# Debian chromium through playwright-core); this half checks the HTTP answers a program sees.
# Screenshots: build/<preset>/test-artifacts/dashboard/. Exits 77 (skipped) without chromium.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[[ -x /usr/bin/chromium ]] || { echo "SKIP: /usr/bin/chromium is not installed (scripts/setup)"; exit 77; }
[[ -d "$root/web/node_modules/playwright-core" ]] || { echo "FAIL: run web/setup first" >&2; exit 1; }
source "$here/daemons_lib.sh" dashboard
artifacts="$(cd "$(dirname "$agora")/../.." && pwd)/test-artifacts/dashboard"
rm -rf "$artifacts" && mkdir -p "$artifacts"

for n in seed second down; do init "$n"; done
# 2 MB/s up from each provider: an 80 MiB get takes about 20 s, time enough for a loaded machine
# to start the browser and see it running.
sed -i -e 's/^upload_bytes_per_second = 0/upload_bytes_per_second = 2000000/' "$work/seed/config.toml" "$work/second/config.toml"
grep -q '^upload_bytes_per_second = 2000000' "$work/seed/config.toml" || fail "could not cap the seed's upload"
# The providers answer /agora/diag/1.0.0, so the traced get's trace shows their side too.
sed -i 's/^serve_diag = false/serve_diag = true/' "$work/seed/config.toml" "$work/second/config.toml"
for n in seed second down; do start "$n"; done
head -c $((80 << 20)) /dev/urandom >"$work/file"
cid="$(a seed add -Q "$work/file")"
[[ "$(a second add -Q "$work/file")" == "$cid" ]] || fail "the second provider's CID differs"
seed_id="$(a seed --json id | field 'd["peer"]')"
second_id="$(a second --json id | field 'd["peer"]')"

url="$(cat "$work/down/api")"
token="$(cat "$work/down/api.token")"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# A program: no token, a wrong one, the right one from another origin, the right one.
[[ "$(code "$url/api/v0/id")" == 401 ]] || fail "no token: not 401"
[[ "$(code -H 'Authorization: Bearer nope' "$url/api/v0/id")" == 401 ]] || fail "wrong token: not 401"
[[ "$(code -H "Authorization: Bearer $token" -H 'Origin: http://evil.example' "$url/api/v0/id")" == 403 ]] ||
  fail "cross-origin with the token: not 403"
[[ "$(code -H "Authorization: Bearer $token" "$url/api/v0/id")" == 200 ]] || fail "the token: not 200"
[[ "$(code "$url/")" == 302 ]] || fail "the dashboard without a session: not a redirect"
[[ "$(code "$url/login")" == 200 ]] || fail "the login page: not 200"
curl -s -D - -o /dev/null "$url/login" | grep -qi "^content-security-policy: default-src 'self'" ||
  fail "the login page has no Content-Security-Policy"
# A login answers the session secret: it opens the API as X-Agora-Session; the cookie it also
# sets opens the pages only (any local port may see a localhost cookie).
session="$(curl -s -c "$work/cookies" -d "token=$token" "$url/api/v0/session" | field 'd["session"]')"
[[ "$(code -H "X-Agora-Session: $session" "$url/api/v0/id")" == 200 ]] || fail "the session secret: not 200"
[[ "$(code -b "$work/cookies" "$url/api/v0/id")" == 401 ]] || fail "the cookie alone opened the API"
[[ "$(code -b "$work/cookies" "$url/")" == 200 ]] || fail "the cookie did not open the page"
[[ "$(code -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @<(head -c 4096 /dev/zero) "$url/api/v0/session")" == 413 ]] ||
  fail "a 4 KiB login body: not 413"
# A login from a rebound name (DNS rebinding) is refused.
[[ "$(code -H 'Host: rebind.example' -d "token=$token" "$url/api/v0/session")" == 403 ]] ||
  fail "a login with a foreign Host: not 403"
login="$(a down --json dashboard | field 'd["login_url"]')"
[[ "$login" == "$url/login#token=$token" ]] || fail "agora dashboard printed $login"

# The downloader fetches from both providers while the browser watches.
a down --trace get "$cid" -o "$work/got" --peer "$(addr seed)" --peer "$(addr second)" >"$work/get.log" 2>&1 &
get_pid=$!
node "$root/web/test/dashboard.test.mjs" --url "$url" --login "$login" --token "$token" \
  --peers "$seed_id,$second_id" --artifacts "$artifacts" || fail "the browser test failed"
wait "$get_pid" || fail "the get failed: $(tail -3 "$work/get.log")"
cmp "$work/file" "$work/got" || fail "the file got differs"
echo "screenshots: $artifacts"
echo "PASS"
