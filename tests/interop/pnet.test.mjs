// Interop of private networks (libp2p pnet, PSK v1): agora's protector against js-libp2p's
// `preSharedKey` (@libp2p/pnet) protector, both directions, on 127.0.0.1.
//
// One agora daemon in a private network whose swarm.key js wrote (@libp2p/pnet's generateKey: the
// base16 form without a final newline), and js nodes:
//   - same key: js dials agora and agora dials js; connect, identify, ping both ways;
//   - another key: js dials agora and agora dials js; refused both ways, agora says "the peer is not
//     in our private network", counts agora_private_network_refusals_total and records the event;
//   - no key (a public js node): refused both ways; agora names it as speaking plain multistream;
//   - after the refusals agora still serves the js node with the key.
//
// Env: AGORA_BIN, INTEROP_OP_TIMEOUT_MS (default 60 s), INTEROP_KEEP_TMP=1 keeps repos and logs.

import assert from 'node:assert/strict'
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { after, before, describe, it } from 'node:test'
import { generateKey } from '@libp2p/pnet'
import { multiaddr } from '@multiformats/multiaddr'
import { AGORA_BIN, AgoraDaemon } from './js/agora.mjs'
import { createPeer, withTimeout } from './js/peer.mjs'

const OP_TIMEOUT_MS = Number(process.env.INTEROP_OP_TIMEOUT_MS ?? 60_000)
const KEEP_TMP = process.env.INTEROP_KEEP_TMP === '1'
const NOT_IN_NETWORK = 'the peer is not in our private network'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function newSwarmKey () {
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}

/** The value of `name{labels}` in Prometheus text, 0 when absent. */
function metricValue (text, series) {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1))
  }
  return 0
}

async function eventually (probe, ms, what) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await probe()
    if (value !== undefined) return value
    await sleep(100)
  }
  throw new Error(`timed out after ${ms} ms: ${what}`)
}

/** Resolves to the error a promise rejects with; fails if it resolves. */
async function rejection (promise, what) {
  try {
    await promise
  } catch (err) {
    return err
  }
  assert.fail(`${what} succeeded`)
}

describe('private network (pnet) with js-libp2p preSharedKey', () => {
  let dir
  let agora
  let agoraAddr
  let failed = false
  const swarmKey = newSwarmKey()
  const nodes = []

  const jsNode = async (opts) => {
    const n = await createPeer(opts)
    nodes.push(n)
    return n
  }
  const refusals = async (direction) => metricValue(await agora.metrics(),
    `agora_private_network_refusals_total{direction="${direction}"}`)

  before(async () => {
    await access(AGORA_BIN, constants.X_OK)
    dir = await mkdtemp(join(tmpdir(), 'agora-pnet-interop-'))
    const keyFile = join(dir, 'swarm.key')
    await writeFile(keyFile, swarmKey, { mode: 0o600 })
    agora = new AgoraDaemon(join(dir, 'agora'), { opTimeoutMs: OP_TIMEOUT_MS, swarmKeyFile: keyFile })
    await agora.start()
    agoraAddr = agora.listenAddrs.find((a) => a.startsWith('/ip4/127.0.0.1/'))
    const id = await agora.id()
    assert.equal(id.network.private, true, 'agora is not in a private network')
  })

  after(async () => {
    for (const n of nodes) await n.node.stop().catch(() => {})
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

  check('same key: js dials agora, identify and ping both ways', async () => {
    const js = await jsNode({ swarmKey })
    const conn = await withTimeout(js.node.dial(multiaddr(agoraAddr)), OP_TIMEOUT_MS, 'js dial')
    assert.equal(conn.remotePeer.toString(), agora.peer)
    const info = await js.identified(agora.peer, OP_TIMEOUT_MS)
    assert.match(info.agentVersion ?? '', /^agora\//)
    const rtts = await js.ping(multiaddr(agoraAddr), 2, OP_TIMEOUT_MS)
    assert.equal(rtts.length, 2)
    const pong = await agora.ping(`${js.addrs()[0]}`, 2)
    assert.equal(pong.rtt_ms.length, 2)
  })

  check('same key: agora dials js, ping both ways', async () => {
    const js = await jsNode({ swarmKey })
    const target = js.addrs().find((a) => a.startsWith('/ip4/127.0.0.1/'))
    const r = await agora.connect(target)
    assert.equal(r.peer, js.peerId)
    const pong = await agora.ping(target, 2)
    assert.equal(pong.rtt_ms.length, 2)
    const rtts = await js.ping(multiaddr(agoraAddr), 1, OP_TIMEOUT_MS)
    assert.equal(rtts.length, 1)
    const peers = await agora.peers()
    assert.ok(peers.some((p) => p.peer === js.peerId), 'agora does not list the js peer')
  })

  check('another key: refused both ways with the reason', async () => {
    const inboundBefore = await refusals('inbound')
    const outboundBefore = await refusals('outbound')
    const wrong = await jsNode({ swarmKey: newSwarmKey() })
    await rejection(withTimeout(wrong.node.dial(multiaddr(agoraAddr)), OP_TIMEOUT_MS, 'js dial'),
      'js with another key dialling agora')
    const target = wrong.addrs().find((a) => a.startsWith('/ip4/127.0.0.1/'))
    const err = await rejection(agora.connect(target), 'agora dialling js with another key')
    // js-libp2p's listener may wait in silence on the garbage our header decrypts to (a random
    // length prefix asks it for more bytes), so agora can only time out; when js answers or
    // closes, agora names the reason and counts the refusal.
    const named = err.message.includes(NOT_IN_NETWORK)
    assert.ok(named || err.message.includes('handshake timed out'), `unclear error: ${err.message}`)
    await eventually(async () => (await refusals('inbound')) > inboundBefore ? true : undefined,
      OP_TIMEOUT_MS, 'the inbound refusal counted')
    if (named) assert.ok((await refusals('outbound')) > outboundBefore, 'the outbound refusal not counted')
    const events = await agora.events()
    assert.ok(events.some((e) => e.type === 'handshake_failed' && e.reason === 'private_network'),
      'no handshake_failed event with reason private_network')
    assert.ok(!(await agora.peers()).some((p) => p.peer === wrong.peerId), 'agora connected to it')
  })

  check('no key (public js): refused both ways, named as public', async () => {
    const pub = await jsNode({})
    await rejection(withTimeout(pub.node.dial(multiaddr(agoraAddr)), OP_TIMEOUT_MS, 'js dial'),
      'public js dialling agora')
    await eventually(async () => {
      const events = await agora.events()
      return events.some((e) => e.reason === 'private_network' &&
        (e.detail ?? '').includes('plain multistream-select'))
        ? true
        : undefined
    }, OP_TIMEOUT_MS, 'agora names the public dialer')
    const target = pub.addrs().find((a) => a.startsWith('/ip4/127.0.0.1/'))
    const err = await rejection(agora.connect(target), 'agora dialling a public js node')
    // As above: js may wait in silence on our nonce read as a length prefix.
    assert.ok(err.message.includes(NOT_IN_NETWORK) || err.message.includes('handshake timed out'),
      `unclear error: ${err.message}`)
  })

  check('agora keeps serving its network after the refusals', async () => {
    const js = await jsNode({ swarmKey })
    const rtts = await js.ping(multiaddr(agoraAddr), 1, OP_TIMEOUT_MS)
    assert.equal(rtts.length, 1)
  })
})
