// js-libp2p 3.x counterpart for the agora interop tests: a library (createPeer, perf client and
// server, timeouts) and a small CLI (`node peer.mjs help`).
//
// Stack: TCP on 127.0.0.1, Noise, Yamux, identify, ping, and /perf/1.0.0 implemented here
// (@libp2p/perf is not in the registry this machine reaches).
//
// Noise muxer modes. @chainsafe/libp2p-noise 17 puts `stream_muxers` (all muxers registered with
// the upgrader) into its handshake payload, and returns an inlined muxer from secureIn/Outbound
// when the *remote* sent a non-empty list; the upgrader then skips the multistream muxer step.
// `noise({extensions: {streamMuxers: []}})` would only stop js sending the list: js would still
// take the remote's list and inline, so against a peer that inlines the two sides would disagree.
// The option that makes js refuse inlining on both counts is the encrypter option
// `skipStreamMuxerNegotiation: true` (SecureConnectionOptions in @libp2p/interface): js then sends
// an empty list and ignores the remote's, so the upgrader runs multistream-select for /yamux/1.0.0.
// libp2p only sets it for transports with their own muxing, so we wrap the Noise encrypter and add
// it. The wrapper also records, per remote peer, whether each connection got an inlined muxer.

import { readFile } from 'node:fs/promises'
import process from 'node:process'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair, privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { serviceCapabilities } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { userAgent } from 'libp2p/user-agent'
import { name as libp2pName, version as libp2pVersion } from 'libp2p/version'

export const PERF_PROTOCOL = '/perf/1.0.0'
export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
export const IDENTIFY_PROTOCOL = '/ipfs/id/1.0.0'
export const YAMUX_PROTOCOL = '/yamux/1.0.0'
export const MiB = 1024 * 1024

const PERF_CHUNK_BYTES = 64 * 1024
// The perf server answers at most this many bytes; a peer can ask for up to 2^64-1.
const PERF_SERVER_SEND_BYTES_MAX = 16 * 1024 * MiB
const PERF_SERVER_TIMEOUT_MS = 300_000

/** The agent version this js node advertises in identify. */
export const JS_AGENT_VERSION = userAgent(libp2pName, libp2pVersion)

/** Rejects with a clear message when `promise` does not settle within `ms`. */
export function withTimeout (promise, ms, what) {
  let timer
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function byteLengthOf (chunk) {
  return chunk.byteLength
}

function toBytes (chunk) {
  // Uint8ArrayList has subarray() that copies into one Uint8Array; Uint8Array returns a view.
  return chunk instanceof Uint8Array ? chunk : chunk.subarray()
}

async function sendAll (stream, totalBytes, signal) {
  const chunk = new Uint8Array(Math.min(PERF_CHUNK_BYTES, Math.max(totalBytes, 1)))
  for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251
  let remaining = totalBytes
  while (remaining > 0) {
    const n = Math.min(remaining, chunk.length)
    const piece = n === chunk.length ? chunk : chunk.subarray(0, n)
    if (!stream.send(piece)) await stream.onDrain({ signal })
    remaining -= n
  }
}

/** Noise encrypter factory wrapper: see the header comment. */
function noiseWithMuxerMode ({ inlineMuxer, onSecured }) {
  const inner = noise()
  return (components) => {
    const encrypter = inner(components)
    const options = (opts) => inlineMuxer ? opts : { ...opts, skipStreamMuxerNegotiation: true }
    const record = (result) => {
      onSecured(result.remotePeer.toString(), result.streamMuxer != null)
      return result
    }
    return {
      protocol: encrypter.protocol,
      [Symbol.toStringTag]: 'agora-interop/noise-muxer-mode',
      [serviceCapabilities]: encrypter[serviceCapabilities],
      secureInbound: async (conn, opts) => record(await encrypter.secureInbound(conn, options(opts))),
      secureOutbound: async (conn, opts) => record(await encrypter.secureOutbound(conn, options(opts)))
    }
  }
}

/**
 * Handles one /perf/1.0.0 stream (server side): read the u64 BE response size, drain the upload
 * to EOF, then send the response and close.
 */
async function servePerf (stream, connection, served) {
  const signal = AbortSignal.timeout(PERF_SERVER_TIMEOUT_MS)
  const onAbort = () => stream.abort(new Error('perf server timed out'))
  signal.addEventListener('abort', onAbort)
  const started = performance.now()
  const header = new Uint8Array(8)
  let headerBytes = 0
  let uploadBytes = 0
  try {
    for await (const chunk of stream) {
      let bytes = toBytes(chunk)
      if (headerBytes < 8) {
        const take = Math.min(8 - headerBytes, bytes.length)
        header.set(bytes.subarray(0, take), headerBytes)
        headerBytes += take
        bytes = bytes.subarray(take)
      }
      uploadBytes += bytes.length
    }
    if (headerBytes < 8) throw new Error(`perf: stream ended after ${headerBytes} header bytes`)
    const requested = new DataView(header.buffer).getBigUint64(0, false)
    if (requested > BigInt(PERF_SERVER_SEND_BYTES_MAX)) {
      throw new Error(`perf: peer asked for ${requested} bytes, limit ${PERF_SERVER_SEND_BYTES_MAX}`)
    }
    const uploadDone = performance.now()
    const downloadBytes = Number(requested)
    await sendAll(stream, downloadBytes, signal)
    await stream.close({ signal })
    served.push({
      peer: connection.remotePeer.toString(),
      upload_bytes: uploadBytes,
      download_bytes: downloadBytes,
      upload_seconds: (uploadDone - started) / 1000,
      download_seconds: (performance.now() - uploadDone) / 1000
    })
  } catch (err) {
    stream.abort(err)
    served.push({ peer: connection.remotePeer.toString(), error: String(err?.message ?? err) })
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Runs the /perf/1.0.0 client on `target` (multiaddr string/object, or PeerId).
 * upload_seconds: first byte sent until the first response byte (or EOF when downloadBytes is 0),
 * i.e. until the server has drained the upload; download_seconds: from then until EOF.
 */
export async function perfClient (node, target, { uploadBytes, downloadBytes, timeoutMs = 180_000 }) {
  const signal = AbortSignal.timeout(timeoutMs)
  const connection = await node.dial(toDialTarget(target), { signal })
  const stream = await connection.newStream(PERF_PROTOCOL, { signal })
  const onAbort = () => stream.abort(new Error(`perf client timed out after ${timeoutMs} ms`))
  signal.addEventListener('abort', onAbort)
  try {
    const started = performance.now()
    let firstByteAt
    let received = 0
    const reading = (async () => {
      for await (const chunk of stream) {
        if (firstByteAt === undefined && byteLengthOf(chunk) > 0) firstByteAt = performance.now()
        received += byteLengthOf(chunk)
      }
    })()
    reading.catch(() => {}) // awaited below; this only stops an early abort being "unhandled"
    const header = new Uint8Array(8)
    new DataView(header.buffer).setBigUint64(0, BigInt(downloadBytes), false)
    stream.send(header)
    await sendAll(stream, uploadBytes, signal)
    await stream.close({ signal })
    await reading
    const ended = performance.now()
    const uploadEnd = firstByteAt ?? ended
    return {
      peer: connection.remotePeer.toString(),
      upload_bytes: uploadBytes,
      download_bytes: received,
      upload_seconds: (uploadEnd - started) / 1000,
      download_seconds: (ended - uploadEnd) / 1000
    }
  } catch (err) {
    stream.abort(err)
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function toDialTarget (target) {
  if (typeof target === 'string') {
    return target.startsWith('/') ? multiaddr(target) : peerIdFromString(target)
  }
  return target
}

/**
 * Creates and starts a js-libp2p node listening on 127.0.0.1 TCP.
 * Options: inlineMuxer (default true), listen (multiaddr strings), privateKeyHex (protobuf
 * PrivateKey, hex) for a fixed identity, agentVersion (default JS_AGENT_VERSION).
 * Returns { node, peerId, addrs(), muxerInlined(peer) -> [bool per secured connection],
 *           perfServed: [...], ping(target, n), perf(target, opts), identified(peer),
 *           identify(peer), stop() }.
 */
export async function createPeer ({ inlineMuxer = true, listen = ['/ip4/127.0.0.1/tcp/0'], privateKeyHex, agentVersion = JS_AGENT_VERSION, swarmKey } = {}) {
  const inlined = new Map()
  const privateKey = privateKeyHex != null
    ? privateKeyFromProtobuf(Buffer.from(privateKeyHex, 'hex'))
    : await generateKeyPair('Ed25519')
  const node = await createLibp2p({
    privateKey,
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noiseWithMuxerMode({
      inlineMuxer,
      onSecured: (peer, wasInlined) => {
        if (!inlined.has(peer)) inlined.set(peer, [])
        inlined.get(peer).push(wasInlined)
      }
    })],
    streamMuxers: [yamux()],
    // A private network (swarm.key bytes): @libp2p/pnet's protector below multistream.
    ...(swarmKey != null ? { connectionProtector: preSharedKey({ psk: swarmKey }) } : {}),
    nodeInfo: { userAgent: agentVersion },
    services: { identify: identify(), ping: ping() }
  })
  // js identifies every new connection by itself (and serves one identify stream per peer at a
  // time), so the tests read these automatic results rather than open a competing stream.
  const identified = new Map()
  const identifyWaiters = new Map()
  node.addEventListener('peer:identify', (evt) => {
    const peer = evt.detail.peerId.toString()
    identified.set(peer, evt.detail)
    for (const resolve of identifyWaiters.get(peer) ?? []) resolve(evt.detail)
    identifyWaiters.delete(peer)
  })
  const perfServed = []
  await node.handle(PERF_PROTOCOL, (stream, connection) => servePerf(stream, connection, perfServed),
    { maxInboundStreams: 8, maxOutboundStreams: 8 })
  return {
    node,
    peerId: node.peerId.toString(),
    inlineMuxer,
    perfServed,
    addrs: () => node.getMultiaddrs().map(String),
    muxerInlined: (peer) => inlined.get(String(peer)) ?? [],
    async ping (target, count = 1, timeoutMs = 60_000) {
      const rtts = []
      for (let i = 0; i < count; i++) {
        rtts.push(await node.services.ping.ping(toDialTarget(target), { signal: AbortSignal.timeout(timeoutMs) }))
      }
      return rtts
    },
    perf: (target, opts) => perfClient(node, target, opts),
    /** The latest automatic identify result for `peer`; waits for the first one. */
    identified (peer, timeoutMs = 60_000) {
      const known = identified.get(String(peer))
      if (known != null) return Promise.resolve(known)
      const waiting = new Promise((resolve) => {
        if (!identifyWaiters.has(String(peer))) identifyWaiters.set(String(peer), [])
        identifyWaiters.get(String(peer)).push(resolve)
      })
      return withTimeout(waiting, timeoutMs, `identify of ${peer}`)
    },
    /**
     * Opens a new identify stream on the connection to `peer`. Only after the automatic one has
     * finished: js serves one identify stream per peer at a time.
     */
    async identify (peer, timeoutMs = 60_000) {
      const conns = node.getConnections(peerIdFromString(String(peer)))
      if (conns.length === 0) throw new Error(`no connection to ${peer}`)
      return node.services.identify.identify(conns[0], { signal: AbortSignal.timeout(timeoutMs) })
    },
    stop: () => node.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: node peer.mjs <command> [options]
  listen [--port N] [--no-inline-muxer] [--key HEX]
      serve identify/ping/perf until SIGINT/SIGTERM; prints JSON lines
      {"event":"listening","addr":...}, {"event":"ready","peer":...}, {"event":"perf-served",...}
  ping <multiaddr> [-n N] [--no-inline-muxer]        -> {"peer","rtt_ms":[...]}
  identify <multiaddr> [--no-inline-muxer]           -> identify result + muxer mode
  perf <multiaddr> [--upload BYTES] [--download BYTES] [--no-inline-muxer]
  genkey                                             -> new Ed25519 key (protobuf hex) and peer id`

function parseArgs (argv) {
  const args = { _: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--no-inline-muxer') args.noInlineMuxer = true
    else if (a === '--port') args.port = Number(argv[++i])
    else if (a === '--key') args.key = argv[++i]
    else if (a === '-n') args.count = Number(argv[++i])
    else if (a === '--upload') args.upload = Number(argv[++i])
    else if (a === '--download') args.download = Number(argv[++i])
    else args._.push(a)
  }
  return args
}

function print (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

async function main (argv) {
  const args = parseArgs(argv)
  const [command, target] = args._
  const inlineMuxer = args.noInlineMuxer !== true
  if (command === 'genkey') {
    const { privateKeyToProtobuf } = await import('@libp2p/crypto/keys')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const key = await generateKeyPair('Ed25519')
    print({ key: Buffer.from(privateKeyToProtobuf(key)).toString('hex'), peer: peerIdFromPrivateKey(key).toString() })
    return 0
  }
  if (command === 'listen') {
    const peer = await createPeer({
      inlineMuxer,
      listen: [`/ip4/127.0.0.1/tcp/${args.port ?? 0}`],
      privateKeyHex: args.key
    })
    for (const addr of peer.addrs()) print({ event: 'listening', addr })
    print({ event: 'ready', peer: peer.peerId, agent: JS_AGENT_VERSION, inline_muxer: inlineMuxer })
    let reported = 0
    const report = () => {
      while (reported < peer.perfServed.length) print({ event: 'perf-served', ...peer.perfServed[reported++] })
    }
    const timer = setInterval(report, 200)
    await new Promise((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    clearInterval(timer)
    report()
    await peer.stop()
    return 0
  }
  if (!['ping', 'identify', 'perf'].includes(command) || target == null) {
    process.stderr.write(USAGE + '\n')
    return 2
  }
  const peer = await createPeer({ inlineMuxer })
  try {
    const conn = await withTimeout(peer.node.dial(multiaddr(target)), 60_000, `dial ${target}`)
    const remote = conn.remotePeer.toString()
    if (command === 'ping') {
      print({ peer: remote, rtt_ms: await peer.ping(remote, args.count ?? 3) })
    } else if (command === 'identify') {
      const r = await peer.identified(remote)
      print({
        peer: remote,
        agent: r.agentVersion,
        protocol_version: r.protocolVersion,
        protocols: r.protocols,
        listen_addrs: r.listenAddrs.map(String),
        observed_addr: r.observedAddr?.toString(),
        muxer: conn.multiplexer,
        muxer_inlined: peer.muxerInlined(remote).at(-1)
      })
    } else {
      print(await peer.perf(remote, { uploadBytes: args.upload ?? 0, downloadBytes: args.download ?? 0 }))
    }
    return 0
  } finally {
    await peer.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => { process.stderr.write(`error: ${err?.stack ?? err}\n`); process.exit(1) })
}

// Exported for tools that want the installed versions in their output.
export async function stackVersions () {
  const read = async (pkg) => JSON.parse(await readFile(new URL(`../node_modules/${pkg}/package.json`, import.meta.url))).version
  return {
    node: process.versions.node,
    libp2p: await read('libp2p'),
    noise: await read('@chainsafe/libp2p-noise'),
    yamux: await read('@chainsafe/libp2p-yamux')
  }
}
