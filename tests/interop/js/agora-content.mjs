// Drives agora's content commands for the content interop tests and the bitswap benchmark.
//
// CLI contract assumed (every command takes --repo DIR and --json; all but `add --only-hash` talk
// to the running daemon of that repo):
//   agora add PATH... [-r] [--profile unixfs-v1-2025|unixfs-v0-2015] [--only-hash] [--pin=false]
//       no PATH (or `-`): stdin. One line per top-level input: {"name", "cid", "size"}; directories
//       need -r and give the CID of the directory itself (no wrapping). Default profile v1-2025.
//   agora cat CID[/PATH]                  the file's bytes on stdout
//   agora get CID[/PATH] -o DEST [--peer MULTIADDR]
//       -> {"cid", "dest", "bytes", "blocks_fetched", "blocks_local", "seconds"}
//   agora ls CID                          -> {"entries": [{"name", "cid", "size", "type"}]}
//
// Client commands run under coreutils `timeout` (so none outlives its bound even if this process
// dies) with stdout captured as bytes.

import { spawn } from 'node:child_process'
import process from 'node:process'
import { AGORA_BIN } from './agora.mjs'

const OUTPUT_LIMIT = 64 * 1024 * 1024

/**
 * Runs `agora ARGS`, optionally feeding `input` (bytes) to stdin. Resolves to stdout as a Buffer;
 * rejects with the exit status and stderr on failure, or when it ran longer than `timeoutMs`.
 */
export function runAgoraBytes (args, { env = {}, timeoutMs = 60_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000))
    const child = spawn('timeout', ['-s', 'KILL', `${seconds}s`, AGORA_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: [input == null ? 'ignore' : 'pipe', 'pipe', 'pipe']
    })
    const out = []
    const err = []
    let outBytes = 0
    let overflow = false
    child.stdout.on('data', (d) => {
      outBytes += d.length
      if (outBytes > OUTPUT_LIMIT) { overflow = true; child.kill('SIGKILL') } else out.push(d)
    })
    child.stderr.on('data', (d) => { if (err.length < 256) err.push(d) })
    if (input != null) {
      child.stdin.on('error', () => {}) // agora may exit without reading everything; the status says why
      child.stdin.end(Buffer.from(input.buffer, input.byteOffset, input.length))
    }
    child.once('error', (e) => reject(new Error(`agora ${args.join(' ')}: ${e.message}`)))
    child.once('close', (code, signal) => {
      const stdout = Buffer.concat(out)
      if (code === 0 && !overflow) return resolve(stdout)
      const why = overflow
        ? `more than ${OUTPUT_LIMIT} bytes on stdout`
        : code === 137 || signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${code ?? signal}`
      reject(new Error(`agora ${args.join(' ')}: ${why}\nstdout: ${stdout.subarray(0, 2000).toString('utf8')}\n` +
        `stderr: ${Buffer.concat(err).toString('utf8').slice(-4000)}`))
    })
  })
}

/** The JSON objects printed one per line (other lines, e.g. log output, are skipped). */
export function jsonLines (args, stdout) {
  const out = []
  for (const line of stdout.toString('utf8').split('\n')) {
    const t = line.trim()
    if (!t.startsWith('{')) continue
    try { out.push(JSON.parse(t)) } catch { /* not JSON */ }
  }
  if (out.length === 0) {
    throw new Error(`agora ${args.join(' ')}: no JSON object in the output: ${stdout.subarray(0, 2000).toString('utf8')}`)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Capability probe: a clear failure when the binary predates the content commands

const helpCache = new Map()

async function helpText (args) {
  const key = args.join(' ')
  if (!helpCache.has(key)) {
    helpCache.set(key, runAgoraBytes([...args, '--help'], { timeoutMs: 15_000 })
      .then((b) => b.toString('utf8'), (e) => `(help failed: ${e.message})`))
  }
  return helpCache.get(key)
}

/** Subcommand names listed under "Subcommands:" in `agora --help` (CLI11 layout). */
export async function agoraSubcommands () {
  const text = await helpText([])
  const names = []
  let inList = false
  for (const line of text.split('\n')) {
    if (/^Subcommands:/.test(line)) { inList = true; continue }
    if (inList) {
      const m = /^\s+([a-z][\w-]*)\s/.exec(line + ' ')
      if (m != null) names.push(m[1])
      else if (line.trim() !== '') inList = false
    }
  }
  return names
}

/**
 * Throws one error naming everything missing when agora lacks a command or flag the tests need.
 * `need` = { command: [flags...] }, e.g. { add: ['--only-hash', '--profile'], get: ['--peer'] }.
 */
export async function requireAgora (need) {
  const have = await agoraSubcommands()
  const missing = []
  for (const [command, flags] of Object.entries(need)) {
    if (!have.includes(command)) {
      missing.push(`command \`${command}\``)
      continue
    }
    const help = await helpText([command])
    for (const flag of flags) {
      if (!new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, '\\-')}([\\s,=]|$)`, 'm').test(help)) missing.push(`\`${command} ${flag}\``)
    }
  }
  if (missing.length > 0) {
    throw new Error(`agora (${AGORA_BIN}) lacks ${missing.join(', ')}; these tests need the content CLI ` +
      `(add/cat/get/ls, contract in tests/interop/js/agora-content.mjs). Subcommands it has: ${have.join(', ') || '(none found)'}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

function addArgs (paths, { recursive = false, profile, onlyHash = false, pin } = {}) {
  const args = ['add', ...paths]
  if (recursive) args.push('-r')
  if (profile != null) args.push('--profile', profile)
  if (onlyHash) args.push('--only-hash')
  if (pin === false) args.push('--pin=false')
  return args
}

/**
 * `agora add` against `repo` (a daemon's repo, or any initialised repo with onlyHash).
 * `paths` = [] reads `input` from stdin. Resolves to the printed objects, one per input.
 */
export async function agoraAdd (repo, paths, { input, timeoutMs = 60_000, ...options } = {}) {
  const args = [...addArgs(paths, options), '--repo', repo, '--json']
  const stdout = await runAgoraBytes(args, { env: { AGORA_PATH: repo }, timeoutMs, input })
  return jsonLines(args, stdout)
}

/** `agora cat CID[/PATH]`: the bytes. */
export function agoraCat (repo, cidPath, { timeoutMs = 60_000 } = {}) {
  return runAgoraBytes(['cat', cidPath, '--repo', repo], { env: { AGORA_PATH: repo }, timeoutMs })
}

/** `agora get CID[/PATH] -o DEST [--peer MA] --json`: the printed object. */
export async function agoraGet (repo, cidPath, dest, { peer, timeoutMs = 60_000 } = {}) {
  const args = ['get', cidPath, '-o', dest]
  if (peer != null) args.push('--peer', peer)
  args.push('--repo', repo, '--json')
  const lines = jsonLines(args, await runAgoraBytes(args, { env: { AGORA_PATH: repo }, timeoutMs }))
  return lines.at(-1)
}

/** `agora ls CID --json`: the entries. */
export async function agoraLs (repo, cid, { timeoutMs = 60_000 } = {}) {
  const args = ['ls', cid, '--repo', repo, '--json']
  const r = jsonLines(args, await runAgoraBytes(args, { env: { AGORA_PATH: repo }, timeoutMs })).at(-1)
  if (!Array.isArray(r.entries)) throw new Error(`agora ${args.join(' ')}: no "entries" list: ${JSON.stringify(r).slice(0, 2000)}`)
  return r.entries
}

/** `agora swarm connect MA --json`. */
export async function agoraConnect (repo, addr, { timeoutMs = 60_000 } = {}) {
  const args = ['swarm', 'connect', addr, '--repo', repo, '--json']
  return jsonLines(args, await runAgoraBytes(args, { env: { AGORA_PATH: repo }, timeoutMs })).at(-1)
}
