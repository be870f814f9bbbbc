// Self-check of the js side of the harness (no agora needed): two peer.mjs nodes, for every Noise
// muxer-mode pairing, connect and check identify, ping both ways, /perf/1.0.0 both ways, and
// that both sides agree whether the muxer was inlined in Noise or chosen by multistream-select.
// Run: node --test js/selfcheck.mjs   (or plain `node js/selfcheck.mjs`)
// SELFCHECK_PERF_BYTES overrides the perf size (default 16 MiB each way).

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  createPeer, IDENTIFY_PROTOCOL, JS_AGENT_VERSION, MiB, PERF_PROTOCOL, PING_PROTOCOL, stackVersions,
  withTimeout, YAMUX_PROTOCOL
} from './peer.mjs'

const OP_TIMEOUT_MS = 60_000
const PERF_BYTES = Number(process.env.SELFCHECK_PERF_BYTES ?? 16 * MiB)

const MODES = [
  { name: 'both inline', dialerInline: true, listenerInline: true },
  { name: 'dialer refuses inlining', dialerInline: false, listenerInline: true },
  { name: 'listener refuses inlining', dialerInline: true, listenerInline: false }
]

function mbps (bytes, seconds) {
  return seconds > 0 ? (bytes * 8 / 1e6 / seconds).toFixed(0) + ' Mbit/s' : 'n/a'
}

describe('js self-check', () => {
  it('stack versions', async (t) => {
    t.diagnostic(JSON.stringify(await stackVersions()))
    assert.match(JS_AGENT_VERSION, /^js-libp2p\//)
  })

  for (const mode of MODES) {
    describe(mode.name, () => {
      let dialer
      let listener
      before(async () => {
        dialer = await createPeer({ inlineMuxer: mode.dialerInline })
        listener = await createPeer({ inlineMuxer: mode.listenerInline })
      })
      after(async () => {
        await Promise.allSettled([dialer?.stop(), listener?.stop()])
      })

      it('connects with the expected muxer mode', async () => {
        const target = `${listener.addrs()[0]}`
        assert.ok(target.endsWith(`/p2p/${listener.peerId}`), target)
        const conn = await withTimeout(dialer.node.dial(listener.node.getMultiaddrs()[0]), OP_TIMEOUT_MS, 'dial')
        assert.equal(conn.remotePeer.toString(), listener.peerId)
        assert.equal(conn.encryption, '/noise')
        assert.equal(conn.multiplexer, YAMUX_PROTOCOL)
        const expected = mode.dialerInline && mode.listenerInline
        assert.deepEqual(dialer.muxerInlined(listener.peerId), [expected])
        // the listener records when its secureInbound returns; give it a moment
        for (let i = 0; i < 50 && listener.muxerInlined(dialer.peerId).length === 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        assert.deepEqual(listener.muxerInlined(dialer.peerId), [expected])
      })

      it('identify both ways', async () => {
        for (const [self, other] of [[dialer, listener], [listener, dialer]]) {
          const r = await self.identified(other.peerId, OP_TIMEOUT_MS)
          assert.equal(r.peerId.toString(), other.peerId)
          assert.equal(r.agentVersion, JS_AGENT_VERSION)
          for (const p of [IDENTIFY_PROTOCOL, PING_PROTOCOL, PERF_PROTOCOL]) {
            assert.ok(r.protocols.includes(p), `${p} in ${r.protocols}`)
          }
          const listenAddrs = r.listenAddrs.map(String)
          const expected = other.addrs().map((a) => a.replace(/\/p2p\/.*$/, ''))
          assert.deepEqual(listenAddrs.sort(), expected.sort())
          assert.match(String(r.observedAddr), /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
        }
        // an explicit second identify once the automatic one is done
        const again = await withTimeout(dialer.identify(listener.peerId), OP_TIMEOUT_MS, 'identify')
        assert.equal(again.agentVersion, JS_AGENT_VERSION)
      })

      it('ping both ways', async () => {
        const a = await withTimeout(dialer.ping(listener.peerId, 3), OP_TIMEOUT_MS, 'ping')
        const b = await withTimeout(listener.ping(dialer.peerId, 3), OP_TIMEOUT_MS, 'ping')
        for (const rtt of [...a, ...b]) assert.ok(Number.isFinite(rtt) && rtt >= 0, String(rtt))
      })

      it('perf both ways', async (t) => {
        for (const [client, server] of [[dialer, listener], [listener, dialer]]) {
          const before = server.perfServed.length
          const r = await withTimeout(client.perf(server.peerId, { uploadBytes: PERF_BYTES, downloadBytes: PERF_BYTES }),
            180_000, 'perf')
          assert.equal(r.peer, server.peerId)
          assert.equal(r.download_bytes, PERF_BYTES)
          for (let i = 0; i < 50 && server.perfServed.length === before; i++) {
            await new Promise((resolve) => setTimeout(resolve, 20))
          }
          assert.deepEqual(server.perfServed.slice(before).map(({ upload_bytes: u, download_bytes: d, error }) => ({ u, d, error })),
            [{ u: PERF_BYTES, d: PERF_BYTES, error: undefined }])
          t.diagnostic(`perf ${client === dialer ? 'dialer->listener' : 'listener->dialer'}: ` +
            `upload ${mbps(r.upload_bytes, r.upload_seconds)}, download ${mbps(r.download_bytes, r.download_seconds)}`)
        }
        // zero-byte edge case: header only
        const z = await withTimeout(dialer.perf(listener.peerId, { uploadBytes: 0, downloadBytes: 0 }), OP_TIMEOUT_MS, 'perf 0')
        assert.equal(z.download_bytes, 0)
      })
    })
  }
})
