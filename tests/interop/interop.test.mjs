// Interop: agora (C++) <-> js-libp2p 3.x over TCP/Noise/Yamux on 127.0.0.1.
//
// For each direction (js dials agora, agora dials js) and each Noise muxer mode (muxer inlined in
// the Noise handshake; multistream muxer step because js refuses inlining; multistream muxer step
// because agora sends no stream_muxers), with a fresh agora repo and daemon:
// connect, identify seen from both sides, ping both ways, /perf/1.0.0 both ways.
// Throughput is printed as a diagnostic, never asserted.
//
// Env: AGORA_BIN, INTEROP_PERF_BYTES (default 64 MiB), INTEROP_OP_TIMEOUT_MS (default 60 s),
// INTEROP_PERF_TIMEOUT_MS (default 180 s), INTEROP_KEEP_TMP=1 keeps repos and daemon logs.

import assert from 'node:assert/strict'
import { access, constants, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { AGORA_BIN, AgoraDaemon } from './js/agora.mjs'
import {
  createPeer, IDENTIFY_PROTOCOL, JS_AGENT_VERSION, MiB, PERF_PROTOCOL, PING_PROTOCOL, withTimeout,
  YAMUX_PROTOCOL
} from './js/peer.mjs'

const OP_TIMEOUT_MS = Number(process.env.INTEROP_OP_TIMEOUT_MS ?? 60_000)
const PERF_TIMEOUT_MS = Number(process.env.INTEROP_PERF_TIMEOUT_MS ?? 180_000)
const PERF_BYTES = Number(process.env.INTEROP_PERF_BYTES ?? 64 * MiB)
const KEEP_TMP = process.env.INTEROP_KEEP_TMP === '1'
// js identify sends protocolVersion "<protocolPrefix>/0.1.0" with the default prefix "ipfs"
const JS_PROTOCOL_VERSION = 'ipfs/0.1.0'
const REQUIRED_PROTOCOLS = [IDENTIFY_PROTOCOL, PING_PROTOCOL, PERF_PROTOCOL]

const DIRECTIONS = ['js dials agora', 'agora dials js']
const MODES = [
  { name: 'muxer inlined in Noise', jsInline: true, agoraInline: true },
  { name: 'multistream muxer step (js refuses inlining)', jsInline: false, agoraInline: true },
  { name: 'multistream muxer step (agora --no-inline-muxer)', jsInline: true, agoraInline: false }
]

const withoutPeerId = (addr) => String(addr).replace(/\/p2p\/[^/]+$/, '')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const mbps = (bytes, seconds) => seconds > 0 ? `${(bytes * 8 / 1e6 / seconds).toFixed(0)} Mbit/s` : 'n/a'

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
    await sleep(100)
  }
  throw new Error(`timed out after ${ms} ms: ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`)
}

let binaryChecked
function checkBinary () {
  binaryChecked ??= access(AGORA_BIN, constants.X_OK).catch(() => {
    throw new Error(`agora binary not found or not executable: ${AGORA_BIN} (build it, or set AGORA_BIN)`)
  })
  return binaryChecked
}

for (const direction of DIRECTIONS) {
  for (const mode of MODES) {
    describe(`${direction}, ${mode.name}`, () => {
      const expectInlined = mode.jsInline && mode.agoraInline
      let dir
      let agora
      let js
      let agoraId
      let agoraAddr // agora listen address with /p2p
      let jsAddr // js listen address with /p2p

      // Adds the daemon's output to a failure so the report says what agora did.
      // Keeps the temp dir (repo, daemon.log) of a failed scenario.
      let failed = false
      const step = (fn) => async (t) => {
        try {
          await fn(t)
        } catch (err) {
          failed = true
          if (agora != null && err instanceof Error) err.message += `\n${agora.logTail()}`
          throw err
        }
      }

      before(async () => {
        failed = true // until the setup below completes
        await checkBinary()
        dir = await mkdtemp(join(tmpdir(), 'agora-interop-'))
        agora = new AgoraDaemon(join(dir, 'agora'), { inlineMuxer: mode.agoraInline, opTimeoutMs: OP_TIMEOUT_MS })
        js = await createPeer({ inlineMuxer: mode.jsInline })
        await agora.start()
        agoraAddr = agora.listenAddrs.find((a) => a.startsWith('/ip4/127.0.0.1/tcp/')) ?? agora.listenAddrs[0]
        jsAddr = js.addrs()[0]
        failed = false
      }, { timeout: 2 * OP_TIMEOUT_MS + 10_000 })

      // Cleanup only: node:test does not fail the run when an after hook of a suite throws, so
      // nothing is checked here (the daemon's shutdown is checked by the last test).
      after(async () => {
        await js?.stop().catch(() => {})
        await agora?.stop().catch(() => {})
        if (dir != null && !KEEP_TMP && !failed) await rm(dir, { recursive: true, force: true }).catch(() => {})
        else if (dir != null) console.log(`# kept ${dir} (agora repo and daemon.log)`)
      })

      it('agora id', { timeout: OP_TIMEOUT_MS + 5000 }, step(async () => {
        agoraId = await agora.id()
        assert.equal(agoraId.peer, agora.peer)
        assert.match(agoraId.agent, /^agora\//)
        for (const p of REQUIRED_PROTOCOLS) assert.ok(agoraId.protocols.includes(p), `agora id lists ${p}: ${agoraId.protocols}`)
        assert.ok(agoraId.addrs.includes(agoraAddr), `agora id addrs ${agoraId.addrs} include ${agoraAddr}`)
      }))

      it('connect', { timeout: OP_TIMEOUT_MS + 5000 }, step(async () => {
        if (direction === 'js dials agora') {
          const conn = await withTimeout(js.node.dial(multiaddr(agoraAddr)), OP_TIMEOUT_MS, `js dial ${agoraAddr}`)
          assert.equal(conn.remotePeer.toString(), agora.peer)
          assert.equal(conn.direction, 'outbound')
          assert.equal(conn.encryption, '/noise')
          assert.equal(conn.multiplexer, YAMUX_PROTOCOL)
        } else {
          const r = await agora.connect(jsAddr)
          assert.equal(r.peer, js.peerId)
          const conn = await eventually(() => js.node.getConnections().find((c) => c.remotePeer.toString() === agora.peer),
            OP_TIMEOUT_MS, 'js sees the connection from agora')
          assert.equal(conn.direction, 'inbound')
          assert.equal(conn.encryption, '/noise')
          assert.equal(conn.multiplexer, YAMUX_PROTOCOL)
        }
        await eventually(() => js.muxerInlined(agora.peer).length > 0 || undefined, OP_TIMEOUT_MS, 'js records the muxer mode')
        assert.deepEqual(js.muxerInlined(agora.peer), [expectInlined], 'js: muxer inlined in Noise?')
      }))

      it('js identifies agora', { timeout: OP_TIMEOUT_MS + 5000 }, step(async () => {
        const r = await js.identified(agora.peer, OP_TIMEOUT_MS)
        assert.equal(r.peerId.toString(), agora.peer)
        assert.match(r.agentVersion ?? '', /^agora\//)
        if (agoraId != null) {
          assert.equal(r.agentVersion, agoraId.agent)
          assert.deepEqual([...r.protocols].sort(), [...agoraId.protocols].sort(), 'identify protocols = agora id protocols')
        }
        for (const p of REQUIRED_PROTOCOLS) assert.ok(r.protocols.includes(p), `identify lists ${p}: ${r.protocols}`)
        const listen = r.listenAddrs.map(String)
        assert.ok(listen.includes(withoutPeerId(agoraAddr)), `identify listen addrs ${listen} include ${withoutPeerId(agoraAddr)}`)
        // what agora observed of js: js's listen address when agora dialed it, else js's ephemeral port
        const observed = withoutPeerId(r.observedAddr ?? '')
        assert.match(observed, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/, 'observed addr of js')
        if (direction === 'agora dials js') assert.equal(observed, withoutPeerId(jsAddr), 'observed addr of js')
      }))

      it('agora identifies js (swarm peers)', { timeout: OP_TIMEOUT_MS + 5000 }, step(async () => {
        const entry = await eventually(async () => {
          const peers = await agora.peers()
          assert.ok(Array.isArray(peers), `swarm peers is a list: ${JSON.stringify(peers)}`)
          const e = peers.find((p) => p.peer === js.peerId)
          return e?.agent ? e : undefined
        }, OP_TIMEOUT_MS, 'agora swarm peers shows js with its identify info')
        assert.equal(entry.agent, JS_AGENT_VERSION)
        assert.match(entry.agent, /^js-libp2p\//)
        assert.equal(entry.protocol_version, JS_PROTOCOL_VERSION)
        assert.deepEqual([...entry.protocols].sort(), [...js.node.getProtocols()].sort(), 'protocols = what js serves')
        for (const p of REQUIRED_PROTOCOLS) assert.ok(entry.protocols.includes(p), `${p} in ${entry.protocols}`)
        assert.deepEqual([...entry.listen_addrs].map(withoutPeerId).sort(), js.addrs().map(withoutPeerId).sort())
        // what js observed of agora = the remote address of js's connection to agora
        const jsConn = js.node.getConnections().find((c) => c.remotePeer.toString() === agora.peer)
        assert.ok(jsConn != null, 'js is connected to agora')
        assert.equal(withoutPeerId(entry.observed_addr ?? ''), withoutPeerId(jsConn.remoteAddr), 'observed addr of agora')
        assert.equal(entry.direction, direction === 'agora dials js' ? 'outbound' : 'inbound')
        if (direction === 'agora dials js') assert.equal(withoutPeerId(entry.addr), withoutPeerId(jsAddr))
        assert.equal(entry.muxer, YAMUX_PROTOCOL)
        assert.equal(entry.muxer_inlined, expectInlined, 'agora: muxer inlined in Noise?')
      }))

      it('ping js -> agora', { timeout: OP_TIMEOUT_MS + 5000 }, step(async (t) => {
        const rtts = await withTimeout(js.ping(agora.peer, 3, OP_TIMEOUT_MS), OP_TIMEOUT_MS, 'js ping agora')
        assert.equal(rtts.length, 3)
        for (const rtt of rtts) assert.ok(Number.isFinite(rtt) && rtt >= 0, `rtt ${rtt}`)
        t.diagnostic(`rtt ms ${rtts.join(', ')}`)
      }))

      it('ping agora -> js', { timeout: OP_TIMEOUT_MS + 5000 }, step(async (t) => {
        const r = await agora.ping(jsAddr, 3)
        assert.equal(r.peer, js.peerId)
        assert.equal(r.rtt_ms.length, 3)
        for (const rtt of r.rtt_ms) assert.ok(Number.isFinite(rtt) && rtt >= 0, `rtt ${rtt}`)
        t.diagnostic(`rtt ms ${r.rtt_ms.join(', ')}`)
      }))

      it(`perf js -> agora (${PERF_BYTES} B up, ${PERF_BYTES} B down)`, { timeout: PERF_TIMEOUT_MS + 5000 }, step(async (t) => {
        const r = await withTimeout(
          js.perf(agora.peer, { uploadBytes: PERF_BYTES, downloadBytes: PERF_BYTES, timeoutMs: PERF_TIMEOUT_MS }),
          PERF_TIMEOUT_MS, 'js perf against agora')
        assert.equal(r.peer, agora.peer)
        assert.equal(r.download_bytes, PERF_BYTES, 'bytes agora sent back')
        t.diagnostic(`js client: upload ${mbps(r.upload_bytes, r.upload_seconds)} (${r.upload_seconds.toFixed(3)} s), ` +
          `download ${mbps(r.download_bytes, r.download_seconds)} (${r.download_seconds.toFixed(3)} s)`)
      }))

      it(`perf agora -> js (${PERF_BYTES} B up, ${PERF_BYTES} B down)`, { timeout: PERF_TIMEOUT_MS + 5000 }, step(async (t) => {
        const servedBefore = js.perfServed.length
        const r = await agora.perf(jsAddr, PERF_BYTES, PERF_BYTES, PERF_TIMEOUT_MS)
        assert.equal(r.peer, js.peerId)
        assert.equal(r.upload_bytes, PERF_BYTES)
        assert.equal(r.download_bytes, PERF_BYTES)
        // the js server's own account of the same stream
        const served = await eventually(() => js.perfServed.length > servedBefore ? js.perfServed.slice(servedBefore) : undefined,
          OP_TIMEOUT_MS, 'js perf server finished')
        assert.equal(served.length, 1, JSON.stringify(served))
        assert.equal(served[0].error, undefined, served[0].error)
        assert.equal(served[0].peer, agora.peer)
        assert.equal(served[0].upload_bytes, PERF_BYTES, 'bytes js received from agora')
        assert.equal(served[0].download_bytes, PERF_BYTES, 'bytes js sent to agora')
        t.diagnostic(`agora client: upload ${mbps(r.upload_bytes, r.upload_seconds)} (${Number(r.upload_seconds).toFixed(3)} s), ` +
          `download ${mbps(r.download_bytes, r.download_seconds)} (${Number(r.download_seconds).toFixed(3)} s)`)
      }))

      it('every connection used the expected muxer mode', { timeout: OP_TIMEOUT_MS + 5000 }, step(async (t) => {
        const modes = js.muxerInlined(agora.peer)
        assert.ok(modes.every((m) => m === expectInlined), `js: inlined per connection ${modes}`)
        const peers = await agora.peers()
        const entries = peers.filter((p) => p.peer === js.peerId)
        assert.ok(entries.length >= 1, 'agora still connected to js')
        for (const e of entries) assert.equal(e.muxer_inlined, expectInlined)
        t.diagnostic(`connections: js sees ${js.node.getConnections().length}, agora lists ${entries.length}`)
      }))

      it('agora daemon exits on SIGTERM', { timeout: 20_000 }, step(async (t) => {
        const exited = await agora.stop(10_000)
        t.diagnostic(`agora daemon exit: ${JSON.stringify(exited)}`)
        assert.equal(exited.graceful, true, 'exited with status 0 within 10 s of SIGTERM')
      }))
    })
  }
}
