// Interop of AutoNAT v1 (`/libp2p/autonat/1.0.0`): agora against js-libp2p's @libp2p/autonat
// 3.0.28, both directions, on 127.0.0.1.
//
// 1. agora asks js: a js node with the autoNAT() service is connected to an agora daemon and
//    `agora swarm reachability` asks it. js's server refuses private and same-host addresses, so on
//    loopback it answers E_DIAL_REFUSED "no dialable addresses" — an answer it only gives after
//    it parsed agora's DIAL and found its peer id equal to the connection's (else E_BAD_REQUEST
//    "peer id mismatch" / "bad peer id"). agora reports it as "dial_refused" and counts it in
//    agora_autonat_asked_total{status="dial_refused"}.
// 2. js asks agora: a raw client opens `/libp2p/autonat/1.0.0` from a js node and exchanges
//    uvarint-length-prefixed protobuf written and read with @libp2p/autonat's own codec
//    (dist/src/pb, `Message`) through pbStream from @libp2p/utils, as autonat.js does itself:
//      a. own peer id + js's 127.0.0.1 listen address -> OK with that address (no /p2p), and js
//         saw agora's dial-back connection;
//      b. only addresses at other IPs (10.255.255.1, and 127.0.0.2 where js does listen) ->
//         E_DIAL_REFUSED and no dial-back reached js;
//      c. another peer's id -> E_BAD_REQUEST, no dial-back; a DIAL_RESPONSE sent as the request ->
//         E_BAD_REQUEST;
//      d. 127.0.0.1 at a port nobody listens on -> E_DIAL_ERROR;
//      e. the per-peer rate (burst 3, then one per 20 s): requests refused before any dial (b, c)
//         take no token, three dial-backs are answered OK, the fourth is refused for the rate.
//    After each answer checked, agora_autonat_served_total{status} has moved by exactly that answer.
//
// Env: AGORA_BIN, INTEROP_OP_TIMEOUT_MS (default 60 s), INTEROP_KEEP_TMP=1 keeps repos and logs.

import assert from 'node:assert/strict'
import { access, constants, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { AGORA_BIN, AgoraDaemon } from './js/agora.mjs'
import { createPeer, withTimeout } from './js/peer.mjs'

// @libp2p/autonat exports only its service; its protobuf codec is read from the package's files.
const { Message } = await import(new URL('./node_modules/@libp2p/autonat/dist/src/pb/index.js', import.meta.url))

const AUTONAT_PROTOCOL = '/libp2p/autonat/1.0.0'
const OP_TIMEOUT_MS = Number(process.env.INTEROP_OP_TIMEOUT_MS ?? 60_000)
const KEEP_TMP = process.env.INTEROP_KEEP_TMP === '1'
const CODE_P2P = 421
const MAX_MESSAGE_BYTES = 8192
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The value of `name{labels}` in Prometheus text, 0 when absent. */
function metricValue (text, series) {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1))
  }
  return 0
}

const STATUSES = ['ok', 'dial_error', 'dial_refused', 'bad_request', 'internal_error']

/** agora_autonat_<kind>_total{status} (kind: served, asked) for every status, as {status: value}. */
async function autonatCounts (agora, kind) {
  const text = await agora.metrics()
  const series = `agora_autonat_${kind}_total`
  assert.ok(text.includes(series), `agora's metrics have no ${series}`)
  // asked: also "failed", a question that got no answer
  const statuses = kind === 'asked' ? [...STATUSES, 'failed'] : STATUSES
  return Object.fromEntries(statuses.map((s) => [s, metricValue(text, `${series}{status="${s}"}`)]))
}

/** Asserts that `after` is `before` with exactly `status` one higher. */
function assertOneMore (beforeCounts, afterCounts, status, what) {
  const expected = { ...beforeCounts, [status]: beforeCounts[status] + 1 }
  assert.deepEqual(afterCounts, expected, `${what}: counters before ${JSON.stringify(beforeCounts)}`)
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
function unusedPort () {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Polls `probe` until it returns something other than undefined; `what` may be a function. */
async function eventually (probe, ms, what) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms: ${typeof what === 'function' ? what() : what}`)
    }
    await sleep(50)
  }
}

const withoutPeerId = (addr) => multiaddr(addr).decapsulateCode(CODE_P2P).toString()

/**
 * One AutoNAT exchange from js node `node` to agora at `agoraAddr`: writes `request` (a Message)
 * and returns agora's answer (a decoded Message), as @libp2p/autonat's client does.
 */
async function exchange (node, agoraAddr, request) {
  const signal = AbortSignal.timeout(OP_TIMEOUT_MS)
  const stream = await node.dialProtocol(multiaddr(agoraAddr), AUTONAT_PROTOCOL, { signal })
  assert.equal(stream.protocol, AUTONAT_PROTOCOL)
  try {
    const messages = pbStream(stream, { maxDataLength: MAX_MESSAGE_BYTES }).pb(Message)
    const [, response] = await Promise.all([
      messages.write(request, { signal }),
      messages.read({ signal })
    ])
    return response
  } finally {
    try {
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err)
    }
  }
}

/** A DIAL for peer id bytes `id` (multihash) at `addrs` (strings). */
function dialMessage (id, addrs) {
  return {
    type: Message.MessageType.DIAL,
    dial: { peer: { id, addrs: addrs.map((a) => multiaddr(a).bytes) } }
  }
}

/** Checks a DIAL_RESPONSE's type and status and returns its dialResponse. */
function expectResponse (response, status) {
  assert.equal(response.type, Message.MessageType.DIAL_RESPONSE, `not a DIAL_RESPONSE: ${JSON.stringify(response)}`)
  assert.ok(response.dialResponse != null, 'DIAL_RESPONSE without dialResponse')
  const r = response.dialResponse
  assert.equal(r.status, status,
    `status ${r.status} (text ${JSON.stringify(r.statusText)}), expected ${status}`)
  return r
}

describe('AutoNAT v1 with js-libp2p (@libp2p/autonat)', () => {
  let dir
  let agora
  let agoraAddr
  let failed = false
  const nodes = []

  /** A js node (identify, ping; no AutoNAT) that records the connections others open to it. */
  const rawClient = async (listen = ['/ip4/127.0.0.1/tcp/0']) => {
    const peer = await createPeer({ listen })
    nodes.push(peer.node)
    peer.inbound = []
    peer.node.addEventListener('connection:open', (evt) => {
      const conn = evt.detail
      if (conn.direction === 'inbound') {
        peer.inbound.push({ peer: conn.remotePeer.toString(), addr: conn.remoteAddr.toString() })
      }
    })
    peer.loopbackAddr = peer.addrs().find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))
    assert.ok(peer.loopbackAddr != null, `js listens on no 127.0.0.1 address: ${peer.addrs()}`)
    peer.idBytes = peer.node.peerId.toMultihash().bytes
    peer.ask = (request) => withTimeout(exchange(peer.node, agoraAddr, request), OP_TIMEOUT_MS,
      'AutoNAT exchange with agora')
    return peer
  }
  const agoraDialBacks = (peer) => peer.inbound.filter((c) => c.peer === agora.peer)

  before(async () => {
    await access(AGORA_BIN, constants.X_OK)
    dir = await mkdtemp(join(tmpdir(), 'agora-autonat-interop-'))
    agora = new AgoraDaemon(join(dir, 'agora'), { opTimeoutMs: OP_TIMEOUT_MS })
    await agora.start()
    agoraAddr = agora.listenAddrs.find((a) => a.startsWith('/ip4/127.0.0.1/'))
    assert.ok(agoraAddr != null, `agora listens on no 127.0.0.1 address: ${agora.listenAddrs}`)
    const id = await agora.id()
    assert.ok(id.protocols.includes(AUTONAT_PROTOCOL), `agora does not list ${AUTONAT_PROTOCOL}: ${id.protocols}`)
  })

  after(async () => {
    for (const node of nodes) await node.stop().catch(() => {})
    if (agora != null) await agora.stop()
    if (dir != null && !KEEP_TMP && !failed) await rm(dir, { recursive: true, force: true })
    else if (dir != null) console.log(`kept ${dir}`)
  })

  const check = (name, fn) => it(name, async () => {
    try {
      await fn()
    } catch (err) {
      failed = true
      if (agora != null) err.message += `\n${agora.logTail()}`
      throw err
    }
  })

  check('agora asks js (autoNAT service): js refuses loopback, "no dialable addresses"', async () => {
    const node = await createLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping(), autoNAT: autoNAT() }
    })
    nodes.push(node)
    const jsPeer = node.peerId.toString()
    assert.ok(node.getProtocols().includes(AUTONAT_PROTOCOL), `js does not handle ${AUTONAT_PROTOCOL}`)
    const conn = await withTimeout(node.dial(multiaddr(agoraAddr)), OP_TIMEOUT_MS, 'js dial agora')
    assert.equal(conn.remotePeer.toString(), agora.peer)
    // agora learns js's protocols from identify; wait until it lists AutoNAT for js.
    let entry
    await eventually(async () => {
      entry = (await agora.peers()).find((p) => p.peer === jsPeer)
      return entry?.protocols?.includes(AUTONAT_PROTOCOL) ? true : undefined
    }, OP_TIMEOUT_MS, () => `agora's identify of js lists ${AUTONAT_PROTOCOL} (last: ${JSON.stringify(entry)})`)

    const askedBefore = await autonatCounts(agora, 'asked')
    const result = await agora.cli(['swarm', 'reachability', '--peers', '1'])
    const probes = result.probes.filter((p) => p.peer === jsPeer)
    assert.equal(probes.length, 1, `no single probe of js in ${JSON.stringify(result)}`)
    const probe = probes[0]
    assert.equal(probe.error, undefined, `agora's question failed: ${JSON.stringify(probe)}`)
    // Not bad_request: js parsed our DIAL and took our peer id as the connection's.
    assert.equal(probe.status, 'dial_refused', JSON.stringify(probe))
    assert.equal(probe.text, 'no dialable addresses', JSON.stringify(probe))
    assert.equal(probe.addr, undefined, JSON.stringify(probe))
    assert.equal(result.reachable, null, JSON.stringify(result))
    assertOneMore(askedBefore, await autonatCounts(agora, 'asked'), 'dial_refused',
      'agora_autonat_asked_total after one dial_refused answer')
    await node.stop()
  })

  check('js asks agora, a: own peer id and 127.0.0.1 address -> OK with the address', async () => {
    const js = await rawClient()
    const servedBefore = await autonatCounts(agora, 'served')
    // the address with /p2p/<js>, as js lists it; agora answers with the plain address
    const response = await js.ask(dialMessage(js.idBytes, [js.loopbackAddr]))
    const r = expectResponse(response, Message.ResponseStatus.OK)
    assert.ok(r.addr != null, 'OK without addr')
    assert.equal(multiaddr(r.addr).toString(), withoutPeerId(js.loopbackAddr))
    // js's side of the dial-back's upgrade may finish just after agora's answer came in
    await eventually(() => agoraDialBacks(js).length >= 1 ? true : undefined, 5_000,
      () => `js sees agora's dial-back connection (inbound: ${JSON.stringify(js.inbound)})`)
    assertOneMore(servedBefore, await autonatCounts(agora, 'served'), 'ok',
      'agora_autonat_served_total after one OK')
  })

  check('js asks agora, b: addresses at other IPs only -> E_DIAL_REFUSED, no dial', async () => {
    // js listens on 127.0.0.2 too: a dial-back there would reach it (and be seen)
    const js = await rawClient(['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.2/tcp/0'])
    const other = js.addrs().find((a) => a.startsWith('/ip4/127.0.0.2/tcp/'))
    assert.ok(other != null, `js listens on no 127.0.0.2 address: ${js.addrs()}`)
    const servedBefore = await autonatCounts(agora, 'served')
    const response = await js.ask(dialMessage(js.idBytes, ['/ip4/10.255.255.1/tcp/4001', withoutPeerId(other)]))
    const r = expectResponse(response, Message.ResponseStatus.E_DIAL_REFUSED)
    assert.match(r.statusText ?? '', /127\.0\.0\.1/, 'the refusal does not name where the request came from')
    assert.equal(r.addr, undefined)
    await sleep(500)
    assert.deepEqual(agoraDialBacks(js), [], 'agora dialled js although it refused')
    assertOneMore(servedBefore, await autonatCounts(agora, 'served'), 'dial_refused',
      'agora_autonat_served_total after one refusal')
  })

  check('js asks agora, c: another peer id -> E_BAD_REQUEST; a DIAL_RESPONSE as request -> E_BAD_REQUEST', async () => {
    const js = await rawClient()
    const someoneElse = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    let servedBefore = await autonatCounts(agora, 'served')
    let response = await js.ask(dialMessage(someoneElse.toMultihash().bytes, [js.loopbackAddr]))
    let r = expectResponse(response, Message.ResponseStatus.E_BAD_REQUEST)
    assert.ok((r.statusText ?? '') !== '', 'E_BAD_REQUEST without a text')
    assert.equal(r.addr, undefined)
    await sleep(500)
    assert.deepEqual(agoraDialBacks(js), [], 'agora dialled js for a request naming another peer')
    assertOneMore(servedBefore, await autonatCounts(agora, 'served'), 'bad_request',
      'agora_autonat_served_total after a wrong peer id')

    servedBefore = await autonatCounts(agora, 'served')
    response = await js.ask({
      type: Message.MessageType.DIAL_RESPONSE,
      dialResponse: { status: Message.ResponseStatus.OK, addr: multiaddr(withoutPeerId(js.loopbackAddr)).bytes }
    })
    r = expectResponse(response, Message.ResponseStatus.E_BAD_REQUEST)
    assert.deepEqual(agoraDialBacks(js), [])
    assertOneMore(servedBefore, await autonatCounts(agora, 'served'), 'bad_request',
      'agora_autonat_served_total after a DIAL_RESPONSE as request')
  })

  check('js asks agora, d: 127.0.0.1 at a port nobody listens on -> E_DIAL_ERROR', async () => {
    const js = await rawClient()
    const port = await unusedPort()
    const servedBefore = await autonatCounts(agora, 'served')
    const response = await js.ask(dialMessage(js.idBytes, [`/ip4/127.0.0.1/tcp/${port}`]))
    const r = expectResponse(response, Message.ResponseStatus.E_DIAL_ERROR)
    assert.ok((r.statusText ?? '') !== '', 'E_DIAL_ERROR without a text')
    assertOneMore(servedBefore, await autonatCounts(agora, 'served'), 'dial_error',
      'agora_autonat_served_total after a failed dial-back')
  })

  check('js asks agora, e: per-peer rate, burst 3 dial-backs, refusals before a dial take no token', async () => {
    const js = await rawClient()
    const plain = withoutPeerId(js.loopbackAddr)
    // refused before any dial: these must not use the peer's burst
    for (let i = 0; i < 2; i++) {
      expectResponse(await js.ask(dialMessage(js.idBytes, ['/ip4/10.255.255.1/tcp/4001'])),
        Message.ResponseStatus.E_DIAL_REFUSED)
    }
    const someoneElse = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    expectResponse(await js.ask(dialMessage(someoneElse.toMultihash().bytes, [plain])),
      Message.ResponseStatus.E_BAD_REQUEST)
    for (let i = 0; i < 3; i++) {
      const r = expectResponse(await js.ask(dialMessage(js.idBytes, [plain])), Message.ResponseStatus.OK)
      assert.equal(multiaddr(r.addr).toString(), plain)
    }
    await eventually(() => agoraDialBacks(js).length >= 3 ? true : undefined, 5_000,
      () => `js sees agora's 3 dial-back connections (inbound: ${JSON.stringify(js.inbound)})`)
    const dialBacks = agoraDialBacks(js).length
    const servedBefore = await autonatCounts(agora, 'served')
    const r = expectResponse(await js.ask(dialMessage(js.idBytes, [plain])), Message.ResponseStatus.E_DIAL_REFUSED)
    assert.match(r.statusText ?? '', /rate/, `the fourth dial-back refused for another reason: ${r.statusText}`)
    await sleep(500)
    assert.equal(agoraDialBacks(js).length, dialBacks, 'agora dialled js past the rate')
    assertOneMore(servedBefore, await autonatCounts(agora, 'served'), 'dial_refused',
      'agora_autonat_served_total after the rate refusal')
  })
})
