// Drives the agora binary for the interop tests: `agora init`, `agora daemon --json`, and the
// JSON client commands (id, swarm connect/peers, ping, perf), each bounded in time.
//
// CLI contract assumed (all client commands take --repo DIR and --json; AGORA_PATH is set too):
//   agora init --repo DIR --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0
//   agora daemon --repo DIR --json [--no-inline-muxer]   until SIGINT/SIGTERM; prints lines
//     {"event":"listening","addr":"/ip4/.../tcp/P/p2p/ID"} ... {"event":"ready","peer":ID,"api":URL}
//   agora id                        -> {peer, addrs[], agent, protocols[]}
//   agora swarm connect MA          -> {peer, addr}
//   agora swarm peers               -> [{peer, addr, direction, agent, protocol_version, protocols[],
//                                        listen_addrs[], observed_addr, muxer, muxer_inlined}]
//   agora ping MA -n N              -> {peer, rtt_ms[]}
//   agora perf MA --upload B --download B
//                                   -> {peer, upload_bytes, download_bytes, upload_seconds, download_seconds}
//
// Daemons run in their own process group under coreutils `timeout`, so a daemon never outlives
// its bound even if this process is killed with SIGKILL; stop() and the exit hook kill the group.

import { execFile, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { withTimeout } from './peer.mjs'

const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
export const AGORA_BIN = process.env.AGORA_BIN ?? join(REPO_ROOT, 'build/release/src/app/agora')

const DAEMON_LIFETIME_S = Number(process.env.INTEROP_DAEMON_LIFETIME_S ?? 1200)
const LOG_TAIL_LINES = 40

const liveDaemons = new Set()

function killGroup (pid, signal) {
  try { process.kill(-pid, signal) } catch { /* already gone */ }
}

process.on('exit', () => {
  for (const daemon of liveDaemons) killGroup(daemon.child.pid, 'SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const daemon of liveDaemons) killGroup(daemon.child.pid, 'SIGKILL')
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15))
  })
}

/** Runs `agora ARGS` and returns stdout; throws with stderr on failure or timeout. */
export function runAgora (args, { env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(AGORA_BIN, args, {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024
    }, (err, stdout, stderr) => {
      if (err != null) {
        const why = err.killed ? `killed after ${timeoutMs} ms` : `exit ${err.code ?? err.signal}`
        reject(new Error(`agora ${args.join(' ')}: ${why}\nstdout: ${stdout}\nstderr: ${stderr}`))
      } else {
        resolve(stdout)
      }
    })
  })
}

function parseJsonOutput (args, stdout) {
  const text = stdout.trim()
  try {
    return JSON.parse(text)
  } catch {
    // tolerate log lines before the JSON document: take the last line that parses
    for (const line of text.split('\n').reverse()) {
      try { return JSON.parse(line) } catch { /* keep looking */ }
    }
    throw new Error(`agora ${args.join(' ')}: output is not JSON: ${text.slice(0, 2000)}`)
  }
}

/** One agora repo + daemon in `dir`. */
export class AgoraDaemon {
  constructor (dir, { inlineMuxer = true, opTimeoutMs = 60_000, swarmKeyFile } = {}) {
    this.dir = dir
    this.swarmKeyFile = swarmKeyFile // `agora init --swarm-key FILE`: a private network
    this.repo = join(dir, 'repo')
    this.inlineMuxer = inlineMuxer
    this.opTimeoutMs = opTimeoutMs
    this.listenAddrs = []
    this.peer = undefined
    this.api = undefined
    this.logLines = []
    this.exited = undefined // { code, signal } once the daemon process ended
  }

  /** `agora init` then `agora daemon --json`; resolves once the daemon printed `ready`. */
  async start () {
    await mkdir(this.dir, { recursive: true })
    const init = ['init', '--repo', this.repo, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0']
    if (this.swarmKeyFile != null) init.push('--swarm-key', this.swarmKeyFile)
    await runAgora(init, { env: { AGORA_PATH: this.repo }, timeoutMs: this.opTimeoutMs })
    // No mDNS: agora daemons of this suite (and of other tests) must meet only where a test says.
    const config = join(this.repo, 'config.toml')
    await writeFile(config, (await readFile(config, 'utf8')).replace(/^mdns = true$/m, 'mdns = false'))
    const args = ['daemon', '--repo', this.repo, '--json']
    if (!this.inlineMuxer) args.push('--no-inline-muxer')
    this.log = createWriteStream(join(this.dir, 'daemon.log'))
    this.log.on('error', () => {}) // the log is a debugging aid; never fail a test over it
    this.child = spawn('timeout', ['-k', '15', `${DAEMON_LIFETIME_S}s`, AGORA_BIN, ...args], {
      env: { ...process.env, AGORA_PATH: this.repo },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true // own process group, see header
    })
    liveDaemons.add(this)
    this.exitedPromise = new Promise((resolve) => {
      // 'close' (not 'exit'): also waits for the stdio pipes to drain
      const done = (exited) => {
        if (this.exited != null) return
        this.exited = exited
        liveDaemons.delete(this)
        resolve(this.exited)
      }
      this.child.once('close', (code, signal) => done({ code, signal }))
      this.child.once('error', (err) => done({ code: null, signal: null, error: err.message }))
    })
    const ready = new Promise((resolve, reject) => {
      this.exitedPromise.then(({ code, signal }) =>
        reject(new Error(`agora daemon exited before ready (code ${code}, signal ${signal}` +
          `${this.exited.error ? `, ${this.exited.error}` : ''})\n${this.logTail()}`)))
      this.onLine('stdout', (line) => {
        let event
        try { event = JSON.parse(line) } catch { return }
        if (event.event === 'listening') this.listenAddrs.push(event.addr)
        if (event.event === 'ready') {
          this.peer = event.peer
          this.api = event.api
          resolve()
        }
      })
      this.onLine('stderr', () => {})
    })
    try {
      await withTimeout(ready, this.opTimeoutMs, 'agora daemon ready')
    } catch (err) {
      err.message += `\n${this.logTail()}`
      throw err
    }
    // the text form prints /p2p/<id>; accept listen addresses printed with or without it
    this.listenAddrs = this.listenAddrs.map((a) => a.includes('/p2p/') ? a : `${a}/p2p/${this.peer}`)
    if (this.listenAddrs.length === 0) throw new Error(`agora daemon printed no listen address\n${this.logTail()}`)
  }

  onLine (streamName, handler) {
    let buffered = ''
    this.child[streamName].setEncoding('utf8')
    this.child[streamName].on('data', (data) => {
      if (!this.log.writableEnded) this.log.write(data)
      buffered += data
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        this.logLines.push(`${streamName}: ${line}`)
        if (this.logLines.length > 4 * LOG_TAIL_LINES) this.logLines.splice(0, LOG_TAIL_LINES)
        handler(line)
      }
    })
  }

  logTail () {
    return `--- agora daemon output (last ${LOG_TAIL_LINES} lines, full log ${join(this.dir, 'daemon.log')}) ---\n` +
      this.logLines.slice(-LOG_TAIL_LINES).join('\n')
  }

  /** Runs a client command against this daemon and returns its parsed --json output. */
  async cli (args, timeoutMs = this.opTimeoutMs) {
    const full = [...args, '--repo', this.repo, '--json']
    const stdout = await runAgora(full, { env: { AGORA_PATH: this.repo }, timeoutMs })
    return parseJsonOutput(full, stdout)
  }

  id () { return this.cli(['id']) }
  /** The daemon's metrics (Prometheus text). */
  metrics () {
    return runAgora(['metrics', '--repo', this.repo], { env: { AGORA_PATH: this.repo }, timeoutMs: this.opTimeoutMs })
  }
  /** The daemon's newest events (one JSON object per line). */
  async events () {
    const out = await runAgora(['events', '--repo', this.repo, '--json'], { env: { AGORA_PATH: this.repo }, timeoutMs: this.opTimeoutMs })
    return out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l))
  }
  connect (addr) { return this.cli(['swarm', 'connect', addr]) }
  peers () { return this.cli(['swarm', 'peers']) }
  ping (addr, count) { return this.cli(['ping', addr, '-n', String(count)]) }
  perf (addr, uploadBytes, downloadBytes, timeoutMs) {
    return this.cli(['perf', addr, '--upload', String(uploadBytes), '--download', String(downloadBytes)], timeoutMs)
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs`. Resolves to { code, signal, graceful }; graceful means
   * the daemon exited with status 0 within `graceMs` (`timeout` passes the daemon's status on).
   */
  async stop (graceMs = 10_000) {
    if (this.child == null) return undefined
    if (this.exited == null) {
      // to `timeout` only, which forwards it once; signalling the group would deliver it twice
      try { process.kill(this.child.pid, 'SIGTERM') } catch { /* already gone */ }
      try {
        await withTimeout(this.exitedPromise, graceMs, 'agora daemon exit after SIGTERM')
        this.exited.graceful = this.exited.code === 0
      } catch {
        killGroup(this.child.pid, 'SIGKILL')
        await this.exitedPromise
        this.exited.graceful = false
      }
    }
    if (!this.log.writableEnded) await new Promise((resolve) => this.log.end(resolve))
    return this.exited
  }
}
