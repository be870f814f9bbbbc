// Helia 7 counterpart for the content interop tests and the bitswap benchmark: a light Helia node
// (TCP on 127.0.0.1, Noise, Yamux, identify, bitswap 1.2.0; no bootstrap, no mDNS, no DHT), UnixFS
// add/cat/ls helpers for both import profiles, directory trees, and deterministic test data.
//
// Profiles. @helia/unixfs 8 spreads its own importer defaults (CIDv1, raw leaves, 1 MiB chunks,
// 1024 links per node) over nothing but then takes the caller's options last, and ipfs-unixfs-importer
// 17 only fills in what is still unset from `profile`. So `{profile: 'unixfs-v0-2015'}` alone changes
// nothing but the HAMT size estimate; the legacy profile needs every field spelled out (see
// PROFILES). `profile` itself must still be passed: it selects the HAMT split strategy
// (`links-bytes` for v0-2015, `block-bytes` for v1-2025). Helia's plain default, with no profile,
// is v1-2025 for files but `links-bytes` for directories.
//
// Directories. `addTree` imports a tree with `fs.addAll` from path-named candidates
// (`root/a.txt`, `root/sub/b.bin`, ...) in one import, without wrapping: the result is the CID
// of `root` itself, the layout of `ipfs add -r root` (links sorted by the UTF-8 bytes of their
// names by @ipld/dag-pb, HAMT-sharded when the estimate is over 256 KiB). Only empty directories
// are passed as their own candidates: a directory candidate arriving after files under it would
// replace the directory already built from them.
//
// Trees are plain objects: a value that is a Uint8Array is a file, an object is a directory.

import { createCipheriv, createHash } from 'node:crypto'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'

export const KiB = 1024
export const MiB = 1024 * KiB
export const BITSWAP_PROTOCOL = '/ipfs/bitswap/1.2.0'

/** Largest flat directory, in the profile's size estimate; one byte more and it becomes a HAMT. */
export const HAMT_THRESHOLD_BYTES = 262144

export const PROFILES = {
  'unixfs-v1-2025': {
    chunkSize: 1048576,
    maxLinks: 1024,
    cidVersion: 1,
    rawLeaves: true,
    hamtEstimate: 'block-bytes'
  },
  'unixfs-v0-2015': {
    chunkSize: 262144,
    maxLinks: 174,
    cidVersion: 0,
    rawLeaves: false,
    hamtEstimate: 'links-bytes'
  }
}
export const PROFILE_NAMES = Object.keys(PROFILES)

/** Importer options that give `profile`'s CIDs through @helia/unixfs (fresh objects each call). */
export function importOptions (profile) {
  const p = PROFILES[profile]
  if (p == null) throw new Error(`unknown profile ${profile}`)
  return {
    profile,
    cidVersion: p.cidVersion,
    rawLeaves: p.rawLeaves,
    chunker: fixedSize({ chunkSize: p.chunkSize }),
    layout: balanced({ maxChildrenPerNode: p.maxLinks })
  }
}

// ---------------------------------------------------------------------------------------------
// Nodes

/**
 * Creates and starts a light Helia node with bitswap, listening on 127.0.0.1 TCP (in-memory
 * blockstore and datastore). No peer discovery of any kind: peers are dialed explicitly.
 * Returns { helia, fs (unixfs), peerId, addrs(), dial(addr), stop() }.
 */
export async function createHeliaNode ({ listen = ['/ip4/127.0.0.1/tcp/0'], bitswap = {} } = {}) {
  const helia = withBitswap(withLibp2pLight(createHeliaLight(), {
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  }), bitswap)
  await helia.start()
  return {
    helia,
    fs: unixfs(helia),
    peerId: helia.libp2p.peerId.toString(),
    addrs: () => helia.libp2p.getMultiaddrs().map(String),
    /** Dials `addr` (multiaddr string with /p2p/) and waits until the peer speaks bitswap. */
    async dial (addr, timeoutMs = 30_000) {
      const signal = AbortSignal.timeout(timeoutMs)
      const conn = await helia.libp2p.dial(multiaddr(addr), { signal })
      // bitswap sends wants only to peers whose identify listed the protocol
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const peer = await helia.libp2p.peerStore.get(conn.remotePeer).catch(() => undefined)
        if (peer?.protocols?.includes(BITSWAP_PROTOCOL)) return conn
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const peer = await helia.libp2p.peerStore.get(conn.remotePeer).catch(() => undefined)
      throw new Error(`${conn.remotePeer} does not list ${BITSWAP_PROTOCOL} after identify: ${peer?.protocols}`)
    },
    stop: () => helia.stop()
  }
}

/** A Helia node with no networking, only for computing CIDs. */
export async function createOfflineHelia () {
  const helia = createHeliaLight()
  await helia.start()
  return { helia, fs: unixfs(helia), stop: () => helia.stop() }
}

// ---------------------------------------------------------------------------------------------
// Add / cat / ls

/** Adds `bytes` (Uint8Array, or an (async) iterable of them) as one file; returns the CID. */
export async function addBytes (fs, bytes, profile, { signal } = {}) {
  const options = { ...importOptions(profile), signal }
  return bytes instanceof Uint8Array
    ? fs.addBytes(bytes, options)
    : fs.addByteStream(bytes, options)
}

/** Import candidates for `tree` under the directory name `rootName` (see the header). */
export function treeCandidates (tree, rootName) {
  const out = []
  const walk = (node, path) => {
    const names = Object.keys(node)
    if (names.length === 0) out.push({ path })
    for (const name of names) {
      const child = node[name]
      if (child instanceof Uint8Array) out.push({ path: `${path}/${name}`, content: child })
      else walk(child, `${path}/${name}`)
    }
  }
  walk(tree, rootName)
  return out
}

/** Adds the directory `tree` as `rootName`, like `ipfs add -r rootName`; returns its CID. */
export async function addTree (fs, tree, profile, { rootName = 'root', signal } = {}) {
  let root
  for await (const entry of fs.addAll(treeCandidates(tree, rootName), { ...importOptions(profile), signal })) {
    if (entry.path === rootName) root = entry.cid
  }
  if (root == null) throw new Error(`helia addAll yielded no entry for ${rootName}`)
  return root
}

/** The whole file at `cid` (optionally `path` below it) as one Uint8Array. */
export async function catBytes (fs, cid, { path, signal } = {}) {
  const chunks = []
  let total = 0
  for await (const chunk of fs.cat(toCid(cid), { path, signal })) {
    chunks.push(chunk)
    total += chunk.length
  }
  return concat(chunks, total)
}

/** Counts the bytes of the file at `cid` without keeping them. */
export async function catCount (fs, cid, { signal } = {}) {
  let total = 0
  for await (const chunk of fs.cat(toCid(cid), { signal })) total += chunk.length
  return total
}

/**
 * The entries of the directory at `cid`: [{ name, cid (text), size (Number, the link's Tsize),
 * type: 'file'|'directory' }] sorted by name bytes.
 */
export async function listDir (fs, cid, { signal, concurrency = 32 } = {}) {
  const entries = []
  for await (const entry of fs.ls(toCid(cid), { signal })) entries.push(entry)
  const out = []
  await mapLimit(entries, concurrency, async (entry) => {
    const st = await fs.stat(entry.cid, { signal })
    out.push({ name: entry.name, cid: entry.cid.toString(), size: Number(entry.size), type: st.type === 'directory' ? 'directory' : 'file' })
  })
  return out.sort((a, b) => compareNames(a.name, b.name))
}

/**
 * Reads the directory at `cid` back into a tree (files as Uint8Array). Up to `concurrency` entries
 * are fetched at once: Helia sends each want after a 10 ms debounce, so one at a time a HAMT
 * directory of thousands of entries would take minutes over bitswap.
 */
export async function readTree (fs, cid, { signal, concurrency = 32 } = {}) {
  const entries = []
  for await (const entry of fs.ls(toCid(cid), { signal })) entries.push(entry)
  const tree = {}
  await mapLimit(entries, concurrency, async (entry) => {
    const st = await fs.stat(entry.cid, { signal })
    tree[entry.name] = st.type === 'directory'
      ? await readTree(fs, entry.cid, { signal, concurrency })
      : await catBytes(fs, entry.cid, { signal })
  })
  return tree
}

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects on the first error. */
export async function mapLimit (items, limit, fn) {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** Whether the directory node at `cid` is a HAMT shard (UnixFS type hamt-sharded-directory). */
export async function isSharded (fs, cid, { signal } = {}) {
  const st = await fs.stat(toCid(cid), { signal })
  return st.unixfs?.type === 'hamt-sharded-directory'
}

function toCid (cid) {
  return typeof cid === 'string' ? CID.parse(cid) : cid
}

export function concat (chunks, total = chunks.reduce((n, c) => n + c.length, 0)) {
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(total)
  let off = 0
  for (const c of chunks) { out.set(c, off); off += c.length }
  return out
}

/** dag-pb link order: bytewise on the UTF-8 names, a prefix first. */
export function compareNames (a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

// ---------------------------------------------------------------------------------------------
// Trees on disk

/** Writes `tree` as directory `dir` (created). */
export async function writeTree (dir, tree) {
  await mkdir(dir, { recursive: true })
  for (const [name, child] of Object.entries(tree)) {
    if (child instanceof Uint8Array) await writeFile(join(dir, name), child)
    else await writeTree(join(dir, name), child)
  }
}

/** Reads directory `dir` into a tree. */
export async function readTreeFromDisk (dir) {
  const tree = {}
  for (const name of await readdir(dir)) {
    const st = await stat(join(dir, name))
    tree[name] = st.isDirectory() ? await readTreeFromDisk(join(dir, name)) : new Uint8Array(await readFile(join(dir, name)))
  }
  return tree
}

/**
 * First difference between two trees as a message, or undefined when equal (names, kinds, bytes).
 */
export function diffTrees (want, got, path = '') {
  const wantNames = Object.keys(want).sort(compareNames)
  const gotNames = Object.keys(got).sort(compareNames)
  if (wantNames.join('\0') !== gotNames.join('\0')) {
    const missing = wantNames.filter((n) => !(n in got)).slice(0, 5)
    const extra = gotNames.filter((n) => !(n in want)).slice(0, 5)
    return `${path || '/'}: ${wantNames.length} entries expected, ${gotNames.length} found; missing [${missing}] extra [${extra}]`
  }
  for (const name of wantNames) {
    const w = want[name]
    const g = got[name]
    const p = `${path}/${name}`
    if ((w instanceof Uint8Array) !== (g instanceof Uint8Array)) return `${p}: file vs directory`
    if (w instanceof Uint8Array) {
      if (!Buffer.from(w.buffer, w.byteOffset, w.length).equals(Buffer.from(g.buffer, g.byteOffset, g.length))) {
        return `${p}: ${w.length} bytes expected, ${g.length} found${w.length === g.length ? ' (content differs)' : ''}`
      }
    } else {
      const d = diffTrees(w, g, p)
      if (d != null) return d
    }
  }
  return undefined
}

export function treeBytes (tree) {
  let n = 0
  for (const child of Object.values(tree)) n += child instanceof Uint8Array ? child.length : treeBytes(child)
  return n
}

// ---------------------------------------------------------------------------------------------
// Deterministic data

/**
 * First `n` bytes of the ChaCha20 keystream with key sha256(seed), zero nonce, counter 0 (the
 * `det(n, seed)` of the kubo/js test helpers; vectors in the notes, section 19).
 */
export function det (n, seed) {
  return new Uint8Array(detCipher(seed).update(Buffer.alloc(n)))
}

/** The same stream as det(total, seed), in pieces of `chunk` bytes (for large inputs). */
export function * detChunks (total, seed, chunk = MiB) {
  const cipher = detCipher(seed)
  const zeros = Buffer.alloc(chunk)
  for (let off = 0; off < total; off += chunk) {
    const n = Math.min(chunk, total - off)
    yield new Uint8Array(cipher.update(n === chunk ? zeros : zeros.subarray(0, n)))
  }
}

function detCipher (seed) {
  const key = createHash('sha256').update(seed).digest()
  // OpenSSL's chacha20 IV: 4-byte little-endian counter, then the 12-byte nonce
  return createCipheriv('chacha20', key, Buffer.alloc(16))
}

const utf8Length = (s) => Buffer.byteLength(s, 'utf8')
const varintLength = (x) => { let n = 1; while (x >= 128) { x = Math.floor(x / 128); n++ } return n }

/** Bytes one entry { name, cidBytes, tsize } adds to a flat directory's size estimate in `profile`. */
export function flatDirEntryEstimate (profile, e) {
  const nameBytes = utf8Length(e.name)
  if (PROFILES[profile].hamtEstimate === 'links-bytes') return nameBytes + e.cidBytes
  const link = 1 + varintLength(e.cidBytes) + e.cidBytes + 1 + varintLength(nameBytes) + nameBytes + 1 + varintLength(e.tsize)
  return 1 + varintLength(link) + link
}

/**
 * The size estimate a flat directory gets in `profile`, from its entries [{ name, cidBytes,
 * tsize }]: v0-2015 (links-bytes) sums name bytes + CID bytes; v1-2025 (block-bytes) is the
 * exact size of the dag-pb block (Data `0a 02 08 01` + every PBLink with its framing).
 */
export function flatDirEstimate (profile, entries) {
  const base = PROFILES[profile].hamtEstimate === 'links-bytes' ? 0 : 4
  return entries.reduce((n, e) => n + flatDirEntryEstimate(profile, e), base)
}

/**
 * A directory of small files (content = name + "\n", so one block each) whose flat size estimate
 * in `profile` is exactly HAMT_THRESHOLD_BYTES + `excess`: excess 0 stays flat, 1 is sharded.
 * Names are `nameLength` bytes (long names keep the entry count, and the import time, down:
 * ~1100-1300 entries at 200 bytes, ~5200-6500 at 6). Returns { tree, estimate, entries }.
 */
export function hamtBoundaryTree (profile, excess, { nameLength = 200 } = {}) {
  const p = PROFILES[profile]
  // a one-block file: v1 raw leaf (36-byte CIDv1, Tsize = length), v0 dag-pb leaf (34-byte CIDv0,
  // Tsize = block length: PBNode{Data: UnixFS{Type: File, Data: content, filesize}})
  const cidBytes = p.cidVersion === 1 ? 36 : 34
  const entry = (name) => {
    const len = utf8Length(name) + 1
    const unixfs = 2 + 1 + varintLength(len) + len + 1 + varintLength(len)
    return { name, cidBytes, tsize: p.rawLeaves ? len : 1 + varintLength(unixfs) + unixfs }
  }
  const target = HAMT_THRESHOLD_BYTES + excess
  const entries = []
  let estimate = flatDirEstimate(profile, [])
  // whole entries while they fit, then lengthen names one byte at a time to land exactly
  for (;;) {
    const next = entry(`e${String(entries.length).padStart(5, '0')}`.padEnd(nameLength, '_'))
    const cost = flatDirEntryEstimate(profile, next)
    if (estimate + cost > target) break
    entries.push(next)
    estimate += cost
  }
  for (let i = 0; estimate < target; i++) {
    const longer = entry(entries[i].name + 'x')
    estimate += flatDirEntryEstimate(profile, longer) - flatDirEntryEstimate(profile, entries[i])
    entries[i] = longer
  }
  if (estimate !== target || flatDirEstimate(profile, entries) !== target) {
    throw new Error(`hamtBoundaryTree(${profile}, ${excess}): estimate ${estimate} != ${target}`)
  }
  const tree = {}
  for (const e of entries) tree[e.name] = new TextEncoder().encode(`${e.name}\n`)
  return { tree, estimate, entries }
}

/** The raw bytes of block `cid` from Helia's blockstore (fetched from peers when missing). */
export async function getBlock (helia, cid, { signal } = {}) {
  const got = await helia.blockstore.get(toCid(cid), { signal })
  if (got instanceof Uint8Array) return got
  const chunks = []
  for await (const c of got) chunks.push(c)
  return concat(chunks)
}
