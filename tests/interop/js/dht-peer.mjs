// A js-libp2p 3.x node with @libp2p/kad-dht 16 in server mode on `/ipfs/kad/1.0.0`, for the DHT
// interop tests (dht.test.mjs): TCP on 127.0.0.1, Noise, Yamux, identify, ping (kad-dht pings a
// peer before it enters the routing table), and the DHT with loopback addresses kept (the default
// mapper drops private addresses, which is all a loopback testnet has).

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

export const KAD_PROTOCOL = '/ipfs/kad/1.0.0'
export { CID, peerIdFromString } // for bench/dht_lookup_js.mjs, which has no node_modules of its own
const RAW_CODEC = 0x55

/** The `/pk/<multihash>` record key of a peer, as bytes. */
export function pkKey (peerId) {
  const mh = peerId.toMultihash().bytes
  const key = new Uint8Array(4 + mh.length)
  key.set(new TextEncoder().encode('/pk/'))
  key.set(mh, 4)
  return key
}

/** A CIDv1 (raw) of `bytes`. */
export async function rawCid (bytes) {
  return CID.createV1(RAW_CODEC, await sha256.digest(bytes))
}

/** Collects the events of a DHT operation (an async generator) into an array, bounded in time. */
async function collect (events, signal) {
  const out = []
  for await (const e of events) {
    out.push(e)
    if (signal.aborted) break
  }
  return out
}

export async function createDhtPeer () {
  const privateKey = await generateKeyPair('Ed25519')
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: KAD_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper
      })
    }
  })
  const dht = node.services.dht
  return {
    node,
    peerId: node.peerId.toString(),
    addrs: () => node.getMultiaddrs().map(String),
    dial: (addr) => node.dial(multiaddr(addr)),
    /** Peer ids in the js routing table. */
    routingTable: () => dht.routingTable.kb == null
      ? []
      : [...dht.routingTable.kb.toIterable()].map((c) => c.peerId.toString()),
    /** The addresses the DHT finds for `peer` (FINAL_PEER), or [] if none. */
    async findPeer (peer, timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs)
      const events = await collect(dht.findPeer(peerIdFromString(peer), { signal }), signal)
      const final = events.find((e) => e.name === 'FINAL_PEER')
      return final == null ? [] : final.peer.multiaddrs.map(String)
    },
    /** Peer ids of the providers of `cid` the DHT finds. */
    async findProviders (cid, timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs)
      const events = await collect(dht.findProviders(CID.parse(String(cid)), { signal }), signal)
      return [...new Set(events.filter((e) => e.name === 'PROVIDER')
        .flatMap((e) => e.providers.map((p) => p.id.toString())))]
    },
    async provide (cid, timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs)
      return collect(dht.provide(CID.parse(String(cid)), { signal }), signal)
    },
    /** PUTs our own public-key record; returns the peers that took it. */
    async putOwnPk (timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs)
      const value = publicKeyToProtobuf(privateKey.publicKey)
      const events = await collect(dht.put(pkKey(node.peerId), value, { signal }), signal)
      const stored = events.filter((e) => e.name === 'PEER_RESPONSE' && e.messageType === 'PUT_VALUE')
      const errors = events.filter((e) => e.name === 'QUERY_ERROR').map((e) => `${e.from}: ${e.error.message}`)
      return { value, stored: stored.map((e) => e.from.toString()), errors }
    },
    /** The values a GET of `/pk/<peer>` yields (VALUE events), each as bytes. */
    async getPk (peer, timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs)
      const events = await collect(dht.get(pkKey(peerIdFromString(peer)), { signal }), signal)
      return events.filter((e) => e.name === 'VALUE').map((e) => ({ from: e.from.toString(), value: e.value }))
    },
    stop: () => node.stop()
  }
}
