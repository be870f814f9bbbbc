// The dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// against running daemons that tests/integration/dashboard.sh started. It checks what a user
// sees and what an attacker's page cannot do:
//   - without a session, the dashboard sends the browser to /login, and the API answers 401;
//   - the login link logs in; the page shows the real peers (by their ids) and the transfer in
//     progress with what each peer sent; doctor gives a verdict; the crawl draws the peers; the
//     traced get, once done, is listed and its timeline holds spans of all three nodes;
//   - a page from another origin cannot read the API, and its cross-origin POST to
//     /api/v0/shutdown (a form, which the browser sends without asking) does not stop the daemon:
//     the daemon counts the refusal (agora_api_refused_total{reason="cross_origin"});
//   - after logging out, the dashboard needs the login again.
// Screenshots go to the artifacts directory. Exits non-zero with a message on the first failure.
//
// Usage: node dashboard.test.mjs --url URL --login LOGIN_URL --token TOKEN --peers ID,ID
//        --artifacts DIR
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    login: { type: "string" },
    token: { type: "string" },
    peers: { type: "string" },
    artifacts: { type: "string" },
  },
});
const base = args.url.replace(/\/$/, "");
const peers = args.peers.split(",");
mkdirSync(args.artifacts, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok: ${message}`);
}

// The daemon's count of cross-origin refusals, read with the token as a program would.
async function crossOriginRefusals() {
  const res = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${args.token}` } });
  const text = await res.text();
  const m = text.match(/^agora_api_refused_total\{reason="cross_origin"\} (\d+)$/m);
  return m ? Number(m[1]) : NaN;
}

// A page on another origin (another port of 127.0.0.1) that tries the API with the session.
function startAttacker() {
  const page = `<!doctype html><html><body>
<form id="f" method="POST" action="${base}/api/v0/shutdown"><input name="x" value="1"></form>
<script>
window.readApi = async () => {
  try {
    const r = await fetch("${base}/api/v0/id", { credentials: "include" });
    return "read " + r.status + " " + (await r.text()).slice(0, 40);
  } catch (e) { return "blocked: " + e.message; }
};
window.postShutdown = async () => {
  try {
    await fetch("${base}/api/v0/shutdown", { method: "POST", mode: "no-cors", credentials: "include" });
    return "sent";
  } catch (e) { return "blocked: " + e.message; }
};
</script></body></html>`;
  const server = createServer((_, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(page);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1800 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  // --- no session: the login page, and 401 from the API
  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === "/login", "without a session / goes to /login");
  const anonymous = await page.evaluate(async () => (await fetch("/api/v0/id")).status);
  check(anonymous === 401, `the API refuses a call without token or session (${anonymous})`);
  const script = await page.evaluate(async () => (await fetch("/app.js")).redirected);
  check(script, "the dashboard's script is not served without a session");
  await page.fill("#token", "not-the-token");
  await page.click("button[type=submit]");
  await page.waitForSelector("#login-error:not(:empty)");
  check(new URL(page.url()).pathname === "/login", "a wrong token does not log in");

  // --- the login link
  await page.goto(args.login);
  await page.waitForURL(`${base}/`);
  check(!page.url().includes("token"), "the token is gone from the address bar");
  await page.waitForSelector("#live.ok", { timeout: 15000 });
  check(true, "the live stream is connected");
  // The session cookie opens the pages only; the API wants the secret in X-Agora-Session,
  // which only this origin's scripts hold (sessionStorage).
  const cookieOnly = await page.evaluate(async () => (await fetch("/api/v0/id")).status);
  check(cookieOnly === 401, `the cookie alone does not open the API (${cookieOnly})`);
  const secret = await page.evaluate(() => sessionStorage.getItem("agora-session"));
  check(/^[0-9a-f]{64}$/.test(secret ?? ""), "the session secret is in sessionStorage");

  // --- the real peers and the transfer in progress
  for (const peer of peers) {
    await page.waitForSelector(`#peers td.peer[title="${peer}"]`, { timeout: 15000 });
    check(true, `the peers table shows ${peer}`);
  }
  await page.waitForSelector("#transfers .transfer progress", { timeout: 15000 });
  await page.waitForFunction(
    (ids) => ids.some((id) => document.querySelector(`#transfers .sources td.peer[title="${id}"]`)),
    peers,
    { timeout: 20000 },
  );
  const transfer = await page.textContent("#transfers .transfer");
  check(/get/.test(transfer) && /fetching/.test(transfer), `a get is shown in progress: ${transfer.slice(0, 80)}`);
  const sourceBytes = await page.$$eval("#transfers .sources tbody tr", (rows) =>
    rows.map((r) => [r.cells[0].title, r.cells[1].textContent]),
  );
  check(sourceBytes.length > 0, `each source with its bytes: ${JSON.stringify(sourceBytes)}`);
  await page.waitForFunction(() => document.querySelectorAll("#bandwidth polyline.received").length === 1 &&
    document.querySelector("#bandwidth polyline.received").getAttribute("points").split(" ").length >= 3);
  check(true, "the bandwidth chart draws the received rate");
  await page.waitForSelector("#routing table tbody tr");
  check(true, "the routing table shows buckets");
  await page.waitForSelector("#metrics tbody tr");
  check(true, "the metrics table is filled");
  await page.waitForSelector("#events tbody tr");
  check(true, "recent events are listed");
  await page.screenshot({ path: join(args.artifacts, "dashboard-transfer.png"), fullPage: true });

  // --- doctor and crawl
  await page.click("#doctor-run");
  await page.waitForSelector("#doctor .verdict", { timeout: 120000 });
  const verdict = await page.textContent("#verdict");
  check(/doctor: (ok|local|connection|network)/.test(verdict), `doctor gives a verdict (${verdict})`);
  await page.click("#crawl-run");
  await page.waitForFunction(() => document.querySelectorAll("#topology .node").length >= 2, null,
    { timeout: 60000 });
  const nodes = await page.$$eval("#topology .node title", (ts) => ts.map((t) => t.textContent.split("\n")[0]));
  check(peers.every((p) => nodes.includes(p)), `the crawl draws the peers (${nodes.length} nodes)`);
  await page.screenshot({ path: join(args.artifacts, "dashboard-doctor-crawl.png"), fullPage: true });
  check(pageErrors.length === 0, `no script errors on the page (${pageErrors.join("; ")})`);

  // --- the traced get, once it has ended: its timeline across the three nodes
  await page.waitForSelector("#traces tbody tr.clickable", { timeout: 90000 });
  await page.click("#traces tbody tr.clickable");
  await page.waitForSelector("#trace-timeline g.span", { timeout: 30000 });
  const traceNodes = await page.$$eval("#trace-timeline g.span", (gs) => [...new Set(gs.map((g) => g.dataset.node))]);
  check(traceNodes.length === 3 && peers.every((p) => traceNodes.includes(p)),
    `the trace's timeline holds spans of the three nodes (${traceNodes.length})`);
  await page.screenshot({ path: join(args.artifacts, "dashboard-trace.png"), fullPage: true });

  // --- another origin, with the session cookie in the same browser
  const before = await crossOriginRefusals();
  const attacker = await startAttacker();
  const evil = await context.newPage();
  await evil.goto(`http://127.0.0.1:${attacker.address().port}/`);
  const read = await evil.evaluate(() => window.readApi());
  check(read.startsWith("blocked"), `a cross-origin page cannot read the API (${read})`);
  const posted = await evil.evaluate(() => window.postShutdown());
  check(posted === "sent", "the cross-origin POST was sent");
  await evil.evaluate(() => document.getElementById("f").submit());
  await evil.waitForURL((url) => url.href.startsWith(base));
  const formAnswer = await evil.textContent("body");
  check(/cross-origin/.test(formAnswer), `the cross-origin form post is answered with a refusal`);
  const alive = await fetch(`${base}/api/v0/id`, { headers: { Authorization: `Bearer ${args.token}` } });
  check(alive.status === 200, "the daemon is still running after the cross-origin shutdown attempts");
  const after = await crossOriginRefusals();
  check(after >= before + 2, `the daemon refused them itself (cross_origin refusals ${before} -> ${after})`);
  attacker.close();

  // --- log out
  await page.click("#logout");
  await page.waitForURL(`${base}/login`);
  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === "/login", "after logging out the dashboard needs the login again");
  const revoked = await page.evaluate(async (s) =>
    (await fetch("/api/v0/id", { headers: { "X-Agora-Session": s } })).status, secret);
  check(revoked === 401, `the logged-out session's secret no longer opens the API (${revoked})`);
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.message}`);
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages[0]) await pages[0].screenshot({ path: join(args.artifacts, "dashboard-failure.png"), fullPage: true });
  } catch {}
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
