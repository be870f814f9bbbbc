// DHT interop: agora's Kademlia (/ipfs/kad/1.0.0) and js-libp2p @libp2p/kad-dht 16 (server mode)
// in one network on 127.0.0.1: two agora daemons, two js nodes. Nobody is connected to everyone
// at the start (js1 and js2 dial agora1, agora2 dials js1); the DHT does the rest. Checked:
// routing tables on both sides hold the other side's peers; each side finds the other's peers
// (FIND_NODE) and provider records (ADD_PROVIDER / GET_PROVIDERS); pk records are PUT by one side
// and GET by the other, both ways.
//
// Env: AGORA_BIN, INTEROP_OP_TIMEOUT_MS (default 60 s), INTEROP_KEEP_TMP=1.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { AgoraDaemon } from './js/agora.mjs'
import { createDhtPeer, rawCid } from './js/dht-peer.mjs'

const OP_TIMEOUT_MS = Number(process.env.INTEROP_OP_TIMEOUT_MS ?? 60_000)
const KEEP_TMP = process.env.INTEROP_KEEP_TMP === '1'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const hex = (bytes) => Buffer.from(bytes).toString('hex')
const withPeer = (addr, peer) => addr.includes('/p2p/') ? addr : `${addr}/p2p/${peer}`
const withoutPeer = (addr) => String(addr).replace(/\/p2p\/[^/]+$/, '')

/** Polls `probe` until it returns a value other than undefined, or fails after `ms`. */
async function eventually (probe, ms, what) {
  const deadline = Date.now() + ms
  let lastError
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    await sleep(250)
  }
  throw new Error(`timed out after ${ms} ms: ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`)
}

describe('dht: agora and js-libp2p kad-dht in one network', () => {
  let dir
  let a1
  let a2
  let a3 // joins late, through js2 only
  let j1
  let j2
  let j3 // joins late, through agora1 only
  let failed = false
  const step = (fn) => async (t) => {
    try {
      await fn(t)
    } catch (err) {
      failed = true
      for (const a of [a1, a2, a3]) if (a != null && err instanceof Error) err.message += `\n${a.logTail()}`
      throw err
    }
  }
  const agoraTable = async (a) => (await a.cli(['dht', 'table'])).peers.map((p) => p.peer)

  before(async () => {
    failed = true // until the setup below completes
    dir = await mkdtemp(join(tmpdir(), 'agora-dht-interop-'))
    a1 = new AgoraDaemon(join(dir, 'a1'), { opTimeoutMs: OP_TIMEOUT_MS })
    a2 = new AgoraDaemon(join(dir, 'a2'), { opTimeoutMs: OP_TIMEOUT_MS })
    await a1.start()
    await a2.start()
    j1 = await createDhtPeer()
    j2 = await createDhtPeer()
    await j1.dial(a1.listenAddrs[0])
    await j2.dial(a1.listenAddrs[0])
    await a2.connect(withPeer(j1.addrs()[0], j1.peerId))
    failed = false
  }, { timeout: 4 * OP_TIMEOUT_MS })

  after(async () => {
    for (const j of [j1, j2, j3]) await j?.stop().catch(() => {})
    for (const a of [a1, a2, a3]) await a?.stop().catch(() => {})
    if (dir != null && !KEEP_TMP && !failed) await rm(dir, { recursive: true, force: true }).catch(() => {})
    else if (dir != null) console.log(`# kept ${dir} (agora repos and daemon logs)`)
  })

  it('routing tables: agora holds the js servers, js holds the agora servers', { timeout: 2 * OP_TIMEOUT_MS }, step(async () => {
    await eventually(async () => {
      const t = await agoraTable(a1)
      return t.includes(j1.peerId) && t.includes(j2.peerId) ? true : undefined
    }, OP_TIMEOUT_MS, 'agora1 lists js1 and js2 in its routing table')
    await eventually(() => j1.routingTable().includes(a1.peer) ? true : undefined,
      OP_TIMEOUT_MS, 'js1 lists agora1 in its routing table')
    // agora2 only ever dialled js1: it learns agora1 and js2 from lookups.
    await eventually(async () => {
      const t = await agoraTable(a2)
      return t.includes(j1.peerId) && t.includes(a1.peer) ? true : undefined
    }, OP_TIMEOUT_MS, 'agora2 lists js1 and agora1 in its routing table')
  }))

  it('agora finds a js peer (dht findpeer)', { timeout: 2 * OP_TIMEOUT_MS }, step(async () => {
    const found = await eventually(async () => {
      const r = await a2.cli(['dht', 'findpeer', j2.peerId])
      return r.addrs.length > 0 ? r : undefined
    }, OP_TIMEOUT_MS, `agora2 finds js2 ${j2.peerId}`)
    assert.ok(found.addrs.some((a) => j2.addrs().map(withoutPeer).includes(withoutPeer(a))),
      `findpeer ${JSON.stringify(found.addrs)} includes a js2 address ${j2.addrs()}`)
  }))

  it('js finds an agora peer (kad-dht findPeer)', { timeout: 2 * OP_TIMEOUT_MS }, step(async () => {
    const agoraAddrs = a2.listenAddrs.map(withoutPeer)
    const addrs = await eventually(async () => {
      const found = await j2.findPeer(a2.peer, OP_TIMEOUT_MS / 2)
      return found.length > 0 ? found : undefined
    }, OP_TIMEOUT_MS, `js2 finds agora2 ${a2.peer}`)
    assert.ok(addrs.map(withoutPeer).some((a) => agoraAddrs.includes(a)),
      `js findPeer ${addrs} includes an agora2 address ${agoraAddrs}`)
  }))

  it('js finds the provider record of what agora adds', { timeout: 2 * OP_TIMEOUT_MS }, step(async () => {
    const file = join(dir, 'file.bin')
    await writeFile(file, randomBytes(200_000))
    const { cid } = await a2.cli(['add', file])
    const providers = await eventually(async () => {
      const found = await j2.findProviders(cid, OP_TIMEOUT_MS / 2)
      return found.includes(a2.peer) ? found : undefined
    }, OP_TIMEOUT_MS, `js2 finds agora2 as a provider of ${cid}`)
    assert.ok(providers.includes(a2.peer))
  }))

  it('agora finds the provider record of what js provides', { timeout: 2 * OP_TIMEOUT_MS }, step(async () => {
    const cid = await rawCid(randomBytes(1000))
    await j2.provide(cid, OP_TIMEOUT_MS)
    const found = await eventually(async () => {
      const r = await a1.cli(['dht', 'findprovs', cid.toString()]).catch(() => undefined)
      return r?.providers?.some((p) => p.peer === j2.peerId) ? r : undefined
    }, OP_TIMEOUT_MS, `agora1 finds js2 as a provider of ${cid}`)
    const entry = found.providers.find((p) => p.peer === j2.peerId)
    assert.ok(entry.addrs.length > 0, 'the provider record came with js2 addresses')
  }))

  it('pk record: js PUTs, agora GETs', { timeout: 2 * OP_TIMEOUT_MS }, step(async () => {
    const put = await j1.putOwnPk(OP_TIMEOUT_MS)
    assert.ok(put.stored.includes(a1.peer) || put.stored.includes(a2.peer),
      `an agora node took js1's PUT_VALUE (stored by ${put.stored}; errors ${put.errors})`)
    const got = await a2.cli(['dht', 'get', `/pk/${j1.peerId}`])
    assert.equal(got.value_hex, hex(put.value))
    assert.equal(got.public_key.peer, j1.peerId)
    assert.equal(got.public_key.type, 'ed25519')
  }))

  it('pk record: agora PUTs, js GETs', { timeout: 2 * OP_TIMEOUT_MS }, step(async () => {
    // An Ed25519 peer id is an identity multihash of the PublicKey protobuf: the record's value.
    const value = peerIdFromString(a1.peer).toMultihash().digest
    const file = join(dir, 'a1.pk')
    await writeFile(file, value)
    const put = await a1.cli(['dht', 'put', `/pk/${a1.peer}`, file])
    assert.ok(put.stored >= 1, `some peer stored agora1's record: ${JSON.stringify(put)}`)
    const values = await j2.getPk(a1.peer, OP_TIMEOUT_MS)
    assert.ok(values.length > 0, 'js2 got a value')
    for (const v of values) assert.equal(hex(v.value), hex(value), `value from ${v.from}`)
    assert.deepEqual(await readFile(file), Buffer.from(value))
  }))

  it('pk record: a new agora node GETs it from a js node', { timeout: 3 * OP_TIMEOUT_MS }, step(async () => {
    // agora3 joins through js2 alone: its first (and, with a record in the answer, only) request
    // goes to js2, which holds js1's record from the PUT above.
    a3 = new AgoraDaemon(join(dir, 'a3'), { opTimeoutMs: OP_TIMEOUT_MS })
    await a3.start()
    await a3.connect(withPeer(j2.addrs()[0], j2.peerId))
    await eventually(async () => (await agoraTable(a3)).includes(j2.peerId) ? true : undefined,
      OP_TIMEOUT_MS, 'agora3 lists js2 in its routing table')
    const got = await a3.cli(['dht', 'get', `/pk/${j1.peerId}`])
    assert.equal(got.public_key.peer, j1.peerId)
    assert.equal(got.stats.responses, 1, `one answer (from js2) ended the GET: ${JSON.stringify(got.stats)}`)
  }))

  it('pk record: a new js node GETs it from an agora node', { timeout: 3 * OP_TIMEOUT_MS }, step(async () => {
    // js3 joins through agora1 alone and holds no copy: agora answers its GET_VALUE.
    j3 = await createDhtPeer()
    await j3.dial(a1.listenAddrs[0])
    await eventually(() => j3.routingTable().includes(a1.peer) ? true : undefined,
      OP_TIMEOUT_MS, 'js3 lists agora1 in its routing table')
    const expected = hex(peerIdFromString(a1.peer).toMultihash().digest)
    // js's GET_VALUE may stop at the first answers, which can come from js peers holding a copy:
    // asked again until an agora node is among those answering (it must be, within the timeout).
    let seen = []
    const answered = await eventually(async () => {
      const values = await j3.getPk(a1.peer, OP_TIMEOUT_MS)
      for (const v of values) assert.equal(hex(v.value), expected, `value from ${v.from}`)
      seen = values.map((v) => v.from)
      return values.some((v) => [a1.peer, a2.peer, a3.peer].includes(v.from)) ? true : undefined
    }, OP_TIMEOUT_MS, 'an agora node answers js3').catch(() => false)
    assert.ok(answered, `an agora node answered js3's GET_VALUE (values from ${seen})`)
  }))

  it('no agora node counted bad input from js', { timeout: OP_TIMEOUT_MS }, step(async () => {
    for (const a of [a1, a2, a3]) {
      const status = await a.cli(['dht', 'status'])
      assert.equal(status.bad_input, 0, `${a.peer} counted bad input: ${JSON.stringify(status)}`)
    }
  }))
})
