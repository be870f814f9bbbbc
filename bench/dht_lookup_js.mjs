// The js-libp2p side of bench/dht_lookup.sh: N js-libp2p 3.x nodes with @libp2p/kad-dht (server
// mode, /ipfs/kad/1.0.0), each its own process, on loopback, in the same topology as
// `agora testnet up` (every node dials the first three), then the same lookups: getClosestPeers
// for another node's peer id and findProviders for CIDs provided by random nodes. Latency is
// measured inside the node that looks up (first event to the end of the query); requests per
// lookup are its SEND_QUERY events. Run through bench/dht_lookup.sh --js.
//
// Usage: node bench/dht_lookup_js.mjs [--peers N] [--lookups L]

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const SELF = fileURLToPath(import.meta.url)
const JS = new URL('../tests/interop/js/', import.meta.url)

function arg (name, fallback) {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

// A child: one DHT node answering JSON commands on stdin, one JSON line each on stdout.
async function child () {
  const { createDhtPeer, rawCid, peerIdFromString, CID } = await import(new URL('dht-peer.mjs', JS))
  const peer = await createDhtPeer()
  const dht = peer.node.services.dht
  const say = (o) => process.stdout.write(JSON.stringify(o) + '\n')
  say({ peer: peer.peerId, addrs: peer.addrs() })
  // Runs a query, counting what it sent and how long it took.
  const measure = async (events, done) => {
    const t0 = performance.now()
    let requests = 0
    let errors = 0
    for await (const e of events) {
      if (e.name === 'SEND_QUERY') requests++
      if (e.name === 'QUERY_ERROR') errors++
      done(e)
    }
    return { ms: performance.now() - t0, requests, errors }
  }
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line)
    try {
      if (cmd.op === 'dial') {
        await peer.dial(cmd.addr)
        say({ ok: true })
      } else if (cmd.op === 'table') {
        say({ ok: true, size: peer.routingTable().length })
      } else if (cmd.op === 'provide') {
        const cid = await rawCid(new TextEncoder().encode(cmd.data))
        await peer.provide(cid, 30000)
        say({ ok: true, cid: cid.toString() })
      } else if (cmd.op === 'closest') {
        const key = peerIdFromString(cmd.peer).toMultihash().bytes
        let found = false
        const r = await measure(dht.getClosestPeers(key, { signal: AbortSignal.timeout(30000) }),
          (e) => { if (e.name === 'FINAL_PEER' && e.peer.id.toString() === cmd.peer) found = true })
        say({ ok: true, found, ...r })
      } else if (cmd.op === 'findprovs') {
        let found = false
        const r = await measure(dht.findProviders(CID.parse(cmd.cid), { signal: AbortSignal.timeout(30000) }),
          (e) => { if (e.name === 'PROVIDER') found = true })
        say({ ok: true, found, ...r })
      } else if (cmd.op === 'rss') {
        say({ ok: true, rss: process.memoryUsage().rss })
      }
    } catch (e) {
      say({ ok: false, error: String(e) })
    }
  }
  await peer.stop()
}

// The driver: starts the children, wires them, runs the lookups, prints the figures.
async function driver () {
  const n = arg('--peers', 50)
  const lookups = arg('--lookups', 200)
  const node = process.execPath
  const nodes = []
  const start = () => new Promise((resolve, reject) => {
    const p = spawn(node, [SELF, '--child'], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: p.stdout })
    const waiting = []
    lines.on('line', (l) => waiting.shift()?.(JSON.parse(l)))
    const ask = (cmd) => new Promise((resolve) => { waiting.push(resolve); p.stdin.write(JSON.stringify(cmd) + '\n') })
    waiting.push((hello) => resolve({ proc: p, ask, ...hello }))
    p.on('error', reject)
  })
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const c = await start()
    for (const b of nodes.slice(0, 3)) await c.ask({ op: 'dial', addr: b.addrs[0] }) // ends in /p2p/
    nodes.push(c)
  }
  // kad-dht fills its table from identify and its self query; wait until every table has peers.
  for (let t = 0; t < 600; t++) {
    const sizes = await Promise.all(nodes.map((c) => c.ask({ op: 'table' })))
    if (sizes.every((s) => s.size >= Math.min(n - 1, 3))) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  console.log(`js testnet of ${n} nodes up in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const rand = (k) => Math.floor(Math.random() * k)
  const cids = []
  for (let k = 0; k < 10; k++) {
    const r = await nodes[rand(n)].ask({ op: 'provide', data: `bench ${k} ${Math.random()}` })
    if (r.ok) cids.push(r.cid)
  }
  const results = { find_node: [], get_providers: [] }
  for (let l = 0; l < lookups; l++) {
    const from = rand(n)
    const to = (from + 1 + rand(n - 1)) % n
    results.find_node.push(await nodes[from].ask({ op: 'closest', peer: nodes[to].peer }))
    results.get_providers.push(await nodes[from].ask({ op: 'findprovs', cid: cids[rand(cids.length)] }))
  }
  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))] }
  const median = (xs) => pct(xs, 50)
  for (const [kind, rs] of Object.entries(results)) {
    const ok = rs.filter((r) => r.ok)
    const ms = ok.map((r) => r.ms)
    const req = ok.map((r) => r.requests)
    console.log(`${kind}: ${rs.length} lookups, ${ok.filter((r) => r.found).length} found what they looked for; ` +
      `latency p50 ${median(ms).toFixed(2)} ms, p90 ${pct(ms, 90).toFixed(2)} ms, p99 ${pct(ms, 99).toFixed(2)} ms; ` +
      `requests per lookup mean ${(req.reduce((a, b) => a + b, 0) / req.length).toFixed(1)}, median ${median(req)}`)
  }
  const tables = (await Promise.all(nodes.map((c) => c.ask({ op: 'table' })))).map((r) => r.size)
  const rss = (await Promise.all(nodes.map((c) => c.ask({ op: 'rss' })))).reduce((a, r) => a + r.rss, 0)
  console.log(`routing tables: min ${Math.min(...tables)}, median ${median(tables)}, max ${Math.max(...tables)} peers`)
  console.log(`node memory: ${(rss / 2 ** 20).toFixed(0)} MiB RSS for ${n} processes, ${(rss / 2 ** 20 / n).toFixed(1)} MiB each`)
  for (const c of nodes) c.proc.stdin.end()
  await Promise.all(nodes.map((c) => new Promise((resolve) => c.proc.on('exit', resolve))))
}

if (process.argv.includes('--child')) await child()
else await driver()
