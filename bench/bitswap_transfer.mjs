// Bitswap 1.2.0 transfer of one file over loopback: agora -> agora, helia -> helia, helia -> agora,
// agora -> helia. Run through bench/bitswap_transfer.sh (it installs the js side and prints the
// machine line). Never run in CI.
//
// One generated file (ChaCha20 keystream, default 1 GiB) is added once on each kind of sender:
// agora daemon A (`agora add`, default profile) and a Helia process S (`@helia/unixfs`, same
// profile); each case then fetches it into a fresh receiver:
//   agora -> agora   fresh daemon B: `agora get CID -o FILE --peer A`
//   helia -> helia   fresh Helia process: dial S, `unixfs.cat` to the end (bytes counted, not kept)
//   helia -> agora   fresh daemon C: `agora get CID -o FILE --peer S`
//   agora -> helia   fresh Helia process: dial A, `unixfs.cat`
// Every node is its own process (each Helia node in a child of this driver). The time of a case
// runs from the receiver's dial to the last byte (agora: the whole `agora get` command, which
// dials --peer first; Helia: dial + cat). MB/s = 1e6 bytes/s. CPU s/GiB adds sender and receiver
// (/proc/<pid>/stat before and after). agora's output file is checked against the source's
// sha256 after the clock stops; Helia checks every block against its CID as it arrives.
//
// Usage: node bench/bitswap_transfer.mjs [--bytes N] [--profile P] [--cases a-a,h-h,h-a,a-h]
//          [--agora PATH] [--timeout SECONDS] [--json] [--keep]

import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const ROOT = resolve(HERE, '..')
const JS = join(ROOT, 'tests/interop/js')
const GiB = 1 << 30
const CLK_TCK = 100 // USER_HZ on Linux
const CASES = {
  'a-a': 'agora -> agora',
  'h-h': 'helia -> helia',
  'h-a': 'helia -> agora',
  'a-h': 'agora -> helia'
}

function parseArgs (argv) {
  const args = { bytes: GiB, profile: 'unixfs-v1-2025', cases: Object.keys(CASES), timeout: 1800, json: false, keep: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--bytes') args.bytes = Number(argv[++i])
    else if (a === '--profile') args.profile = argv[++i]
    else if (a === '--cases') args.cases = argv[++i].split(',')
    else if (a === '--agora') args.agora = argv[++i]
    else if (a === '--timeout') args.timeout = Number(argv[++i])
    else if (a === '--json') args.json = true
    else if (a === '--keep') args.keep = true
    else if (a === '--help' || a === '-h') { process.stdout.write(USAGE); process.exit(0) } else throw new Error(`unknown argument ${a}\n${USAGE}`)
  }
  if (!Number.isSafeInteger(args.bytes) || args.bytes < 1) throw new Error(`--bytes ${args.bytes}`)
  for (const c of args.cases) if (!(c in CASES)) throw new Error(`unknown case ${c} (known: ${Object.keys(CASES)})`)
  return args
}

const USAGE = `usage: bench/bitswap_transfer.sh [--bytes N] [--profile unixfs-v1-2025|unixfs-v0-2015]
         [--cases a-a,h-h,h-a,a-h] [--agora PATH] [--timeout SECONDS] [--json] [--keep]
  --bytes    file size (default 1073741824)
  --cases    a = agora, h = helia, sender-receiver (default all four)
  --timeout  bound for each add and each transfer (default 1800 s)
  --json     also print one JSON line per case
  --keep     keep the work directory (repos, logs)
`

/** utime + stime of `pid` in seconds, from /proc/<pid>/stat (comm may contain spaces). */
async function cpuSeconds (pid) {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

/** The pid of the program `timeout` runs (its only child), or `pid` itself. */
async function childOf (pid) {
  const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean)
  return kids.length === 1 ? Number(kids[0]) : pid
}

async function sha256File (path) {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk)
  return h.digest('hex')
}

const fmt = (x, digits = 1) => Number.isFinite(x) ? x.toFixed(digits) : '-'

// -------------------------------------------------------------------------------------------------
// Helia processes: `bitswap_transfer.mjs helia-serve FILE PROFILE` and `helia-fetch ADDR CID`

const children = new Set()
process.on('exit', () => { for (const c of children) { try { process.kill(-c.pid, 'SIGKILL') } catch {} } })

/** Spawns this script in a role, in its own process group under `timeout`; JSON lines to onEvent. */
function spawnRole (args, timeoutS, onEvent) {
  const child = spawn('timeout', ['-k', '10', `${timeoutS}s`, process.execPath, fileURLToPath(import.meta.url), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true
  })
  children.add(child)
  let buffered = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d) => {
    buffered += d
    let nl
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      try { onEvent(JSON.parse(line)) } catch { process.stderr.write(`${line}\n`) }
    }
  })
  child.exited = new Promise((resolve) => child.once('close', (code, signal) => { children.delete(child); resolve({ code, signal }) }))
  return child
}

function waitEvent (child, name, timeoutS) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutS} s waiting for ${name}`)), timeoutS * 1000)
    child.waiters ??= []
    child.waiters.push({ name, resolve: (e) => { clearTimeout(timer); resolve(e) } })
    child.exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`helia process exited (${code ?? signal}) before ${name}`)) })
  })
}

function dispatch (child) {
  return (event) => {
    if (event.event === 'error') process.stderr.write(`helia process: ${event.message}\n`)
    for (const w of child.waiters ?? []) if (w.name === event.event) w.resolve(event)
  }
}

async function startHeliaServer (file, profile, timeoutS) {
  let child
  child = spawnRole(['helia-serve', file, profile], timeoutS + 60, (e) => dispatch(child)(e))
  return { child, ready: await waitEvent(child, 'ready', timeoutS) }
}

async function heliaFetch (addr, cid, timeoutS) {
  let child
  child = spawnRole(['helia-fetch', addr, cid, String(timeoutS)], timeoutS + 60, (e) => dispatch(child)(e))
  return waitEvent(child, 'fetched', timeoutS + 30)
}

async function roleServe (file, profile) {
  const H = await import(join(JS, 'helia.mjs'))
  const node = await H.createHeliaNode()
  const t0 = performance.now()
  const cid = await H.addBytes(node.fs, createReadStream(file, { highWaterMark: 1 << 20 }), profile)
  const addSeconds = (performance.now() - t0) / 1000
  console.log(JSON.stringify({ event: 'ready', addr: node.addrs()[0], cid: String(cid), pid: process.pid, add_seconds: addSeconds }))
  await new Promise((resolve) => { process.once('SIGTERM', resolve); process.once('SIGINT', resolve) })
  await node.stop()
  process.exit(0)
}

async function roleFetch (addr, cid, timeoutS) {
  const H = await import(join(JS, 'helia.mjs'))
  const node = await H.createHeliaNode()
  const signal = AbortSignal.timeout(timeoutS * 1000)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await node.dial(addr, timeoutS * 1000)
  const bytes = await H.catCount(node.fs, cid, { signal })
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  console.log(JSON.stringify({ event: 'fetched', bytes, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, pid: process.pid }))
  await node.stop()
  process.exit(0)
}

// -------------------------------------------------------------------------------------------------
// Driver

async function main (argv) {
  const args = parseArgs(argv)
  if (args.agora != null) process.env.AGORA_BIN = args.agora
  // daemons must outlive the slowest case (agora.mjs reads this when imported)
  process.env.INTEROP_DAEMON_LIFETIME_S ??= String(4 * args.timeout + 600)
  const { AgoraDaemon, AGORA_BIN } = await import(join(JS, 'agora.mjs'))
  const { agoraAdd, agoraGet } = await import(join(JS, 'agora-content.mjs'))
  const { detChunks } = await import(join(JS, 'helia.mjs'))
  const needHeliaSender = args.cases.some((c) => c.startsWith('h'))
  const needAgoraSender = args.cases.some((c) => c.startsWith('a'))
  const timeoutMs = args.timeout * 1000

  const work = await mkdtemp(join(tmpdir(), 'agora-bench-bitswap-'))
  const daemons = []
  let server
  const results = []
  const info = []
  let ok = false
  try {
    // the file, and its sha256 for checking agora's output
    const file = join(work, 'data.bin')
    let t = performance.now()
    const hash = createHash('sha256')
    const out = createWriteStream(file)
    for (const chunk of detChunks(args.bytes, 'bitswap-bench', 4 << 20)) {
      hash.update(chunk)
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve))
    }
    await new Promise((resolve, reject) => out.end((err) => err ? reject(err) : resolve()))
    const sourceHash = hash.digest('hex')
    info.push(`generated ${args.bytes} bytes in ${fmt((performance.now() - t) / 1000, 2)} s`)

    const startDaemon = async (name) => {
      const d = new AgoraDaemon(join(work, name), { opTimeoutMs: 60_000 })
      daemons.push(d)
      await d.start()
      d.pid = await childOf(d.child.pid)
      d.addr = d.listenAddrs.find((a) => a.startsWith('/ip4/127.0.0.1/')) ?? d.listenAddrs[0]
      return d
    }

    let agoraCid
    let a
    if (needAgoraSender) {
      a = await startDaemon('a')
      t = performance.now()
      const added = await agoraAdd(a.repo, [file], { profile: args.profile, timeoutMs })
      const s = (performance.now() - t) / 1000
      agoraCid = added[0].cid
      info.push(`agora add: ${fmt(s, 2)} s (${fmt(args.bytes / 1e6 / s)} MB/s) -> ${agoraCid}`)
    }
    let heliaCid
    if (needHeliaSender) {
      server = await startHeliaServer(file, args.profile, args.timeout)
      heliaCid = server.ready.cid
      server.pid = server.ready.pid
      info.push(`helia add: ${fmt(server.ready.add_seconds, 2)} s (${fmt(args.bytes / 1e6 / server.ready.add_seconds)} MB/s) -> ${heliaCid}`)
    }
    if (agoraCid != null && heliaCid != null && agoraCid !== heliaCid) {
      info.push(`WARNING: agora and helia give different CIDs for the same file in ${args.profile}`)
    }

    const agoraReceive = async (name, sender, senderPid, cid) => {
      const b = await startDaemon(name)
      const dest = join(work, `${name}.out`)
      const cpu0 = (await cpuSeconds(senderPid)) + (await cpuSeconds(b.pid))
      const t0 = performance.now()
      const r = await agoraGet(b.repo, cid, dest, { peer: sender, timeoutMs })
      const seconds = (performance.now() - t0) / 1000
      const cpu = (await cpuSeconds(senderPid)) + (await cpuSeconds(b.pid)) - cpu0
      const got = await sha256File(dest)
      await rm(dest, { force: true })
      await b.stop()
      if (!args.keep) await rm(b.dir, { recursive: true, force: true })
      if (got !== sourceHash) throw new Error(`${name}: output differs from the source (sha256 ${got} != ${sourceHash})`)
      if (r.bytes !== args.bytes) throw new Error(`${name}: get reports ${r.bytes} bytes, expected ${args.bytes}`)
      return { seconds, cpu, note: `agora get says ${fmt(Number(r.seconds), 2)} s, ${r.blocks_fetched} blocks fetched` }
    }
    const heliaReceive = async (sender, senderPid, cid) => {
      const cpu0 = await cpuSeconds(senderPid)
      const r = await heliaFetch(sender, cid, args.timeout)
      const cpu = (await cpuSeconds(senderPid)) - cpu0 + r.cpu_seconds
      if (r.bytes !== args.bytes) throw new Error(`helia fetched ${r.bytes} bytes, expected ${args.bytes}`)
      return { seconds: r.seconds, cpu, note: '' }
    }

    for (const c of args.cases) {
      let r
      try {
        if (c === 'a-a') r = await agoraReceive('b', a.addr, a.pid, agoraCid)
        if (c === 'h-h') r = await heliaReceive(server.ready.addr, server.pid, heliaCid)
        if (c === 'h-a') r = await agoraReceive('c', server.ready.addr, server.pid, heliaCid)
        if (c === 'a-h') r = await heliaReceive(a.addr, a.pid, agoraCid)
      } catch (err) {
        r = { error: String(err?.message ?? err).split('\n').slice(0, 6).join(' | ') }
      }
      results.push({ key: c, case: CASES[c], bytes: args.bytes, ...r })
      const mbps = r.error == null ? args.bytes / 1e6 / r.seconds : NaN
      process.stderr.write(`${CASES[c]}: ${r.error ?? `${fmt(mbps)} MB/s`}\n`)
    }
    ok = true
  } finally {
    if (server != null) {
      try { process.kill(server.child.pid, 'SIGTERM') } catch {}
      await Promise.race([server.child.exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
    }
    for (const d of daemons) await d.stop().catch(() => {})
    if (!args.keep && ok) await rm(work, { recursive: true, force: true })
    else console.log(`kept ${work}`)
  }

  console.log(`\nbitswap transfer over loopback, ${args.bytes} bytes (${fmt(args.bytes / GiB, 2)} GiB), profile ${args.profile}, one run each`)
  console.log(`agora ${AGORA_BIN}; node ${process.version}`)
  for (const line of info) console.log(`  ${line}`)
  console.log(`${'case'.padEnd(16)} ${'MB/s'.padStart(8)} ${'seconds'.padStart(9)} ${'CPU s/GiB'.padStart(10)}  notes`)
  for (const r of results) {
    if (r.error != null) {
      console.log(`${r.case.padEnd(16)} ${'failed'.padStart(8)} ${''.padStart(9)} ${''.padStart(10)}  ${r.error}`)
    } else {
      console.log(`${r.case.padEnd(16)} ${fmt(r.bytes / 1e6 / r.seconds).padStart(8)} ${fmt(r.seconds, 2).padStart(9)} ` +
        `${fmt(r.cpu / (r.bytes / GiB), 2).padStart(10)}  ${r.note}`)
    }
    if (args.json) console.log(JSON.stringify({ ...r, mbps: r.error == null ? r.bytes / 1e6 / r.seconds : null }))
  }
  return results.every((r) => r.error == null) ? 0 : 1
}

const [role, ...rest] = process.argv.slice(2)
const run = role === 'helia-serve'
  ? () => roleServe(rest[0], rest[1])
  : role === 'helia-fetch'
    ? () => roleFetch(rest[0], rest[1], Number(rest[2]))
    : () => main(process.argv.slice(2))
run().then(
  (code) => process.exit(code ?? 0),
  (err) => {
    if (role != null && role.startsWith('helia-')) console.log(JSON.stringify({ event: 'error', message: String(err?.stack ?? err) }))
    else process.stderr.write(`error: ${err?.stack ?? err}\n`)
    process.exit(1)
  })
