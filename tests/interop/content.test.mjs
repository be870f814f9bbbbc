// Content interop: agora's UnixFS import/export and bitswap 1.2.0 against Helia 7 on 127.0.0.1.
//
// 1. CID parity: `agora add --only-hash --json [-r] --profile P` gives Helia's CID for every input
//    of js/content-cases.mjs (empty to 45 MiB files around both chunk sizes, a nested tree with
//    unicode names, directories exactly at and one byte over the HAMT threshold), in both
//    profiles; plus the default profile, several paths in one call, stdin, and "-r" required.
// 2. Helia adds, agora fetches over bitswap: `agora get --peer <helia>` (file, directory, HAMT
//    directory, sub-path), `agora cat` (file, path inside a directory), `agora ls`; bytes, trees and
//    listings identical; get's block counts; a second get served from agora's blockstore.
// 3. agora adds (daemon, pinned), Helia dials agora and fetches: the CIDs agora printed are Helia's,
//    and Helia's cat / directory reads / HAMT path lookups give back the same bytes.
//
// The agora CLI contract is at the top of js/agora-content.mjs. A binary without the content
// commands fails each suite in its `before` hook with one message naming what is missing.
// Every operation is time-bounded; daemons run in their own process group (js/agora.mjs); a
// failed suite keeps its temp dir (repo, daemon.log, inputs).
//
// Env: AGORA_BIN, INTEROP_OP_TIMEOUT_MS (default 60 s), INTEROP_KEEP_TMP=1.

import assert from 'node:assert/strict'
import { access, constants, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { after, before, describe, it } from 'node:test'
import { AGORA_BIN, AgoraDaemon, runAgora } from './js/agora.mjs'
import { agoraAdd, agoraCat, agoraConnect, agoraGet, agoraLs, requireAgora } from './js/agora-content.mjs'
import { bigFile, fileCases, hamtCases, pattern251, unicodeTree } from './js/content-cases.mjs'
import {
  addBytes, addTree, catBytes, compareNames, createHeliaNode, createOfflineHelia, diffTrees, isSharded, listDir,
  MiB, PROFILE_NAMES, readTree, readTreeFromDisk, writeTree
} from './js/helia.mjs'
import { withTimeout } from './js/peer.mjs'

const OP_TIMEOUT_MS = Number(process.env.INTEROP_OP_TIMEOUT_MS ?? 60_000)
const KEEP_TMP = process.env.INTEROP_KEEP_TMP === '1'
const V1 = 'unixfs-v1-2025'
const V0 = 'unixfs-v0-2015'
const signal = () => AbortSignal.timeout(OP_TIMEOUT_MS)
const test = { timeout: OP_TIMEOUT_MS + 10_000 }
const bytesEqual = (a, b) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))

/** Asserts equal bytes without printing megabytes on failure. */
function assertBytes (got, want, what) {
  if (bytesEqual(got, want)) return
  let i = 0
  while (i < Math.min(got.length, want.length) && got[i] === want[i]) i++
  assert.fail(`${what}: ${got.length} bytes, expected ${want.length}; first difference at byte ${i}`)
}

/** `n` items spread evenly over `list`, first and last included. */
const sample = (list, n) => Array.from({ length: n }, (_, i) => list[Math.round(i * (list.length - 1) / (n - 1))])

let binaryChecked
function checkBinary () {
  binaryChecked ??= access(AGORA_BIN, constants.X_OK).catch(() => {
    throw new Error(`agora binary not found or not executable: ${AGORA_BIN} (build it, or set AGORA_BIN)`)
  })
  return binaryChecked
}

/**
 * Per-suite bookkeeping, as in interop.test.mjs: a temp dir kept when anything failed, and the
 * daemon's last output added to a failing test's message.
 */
function suiteState (prefix) {
  const s = {
    dir: undefined,
    daemon: undefined,
    failed: false,
    /** Checks the binary and the commands it needs (`need`, see requireAgora), then makes the temp dir. */
    async open (need) {
      s.failed = true // until the before hook completes
      await checkBinary()
      await requireAgora(need)
      s.dir = await mkdtemp(join(tmpdir(), prefix))
    },
    ready () { s.failed = false },
    step: (fn) => async (t) => {
      try {
        await fn(t)
      } catch (err) {
        s.failed = true
        if (s.daemon != null && err instanceof Error) err.message += `\n${s.daemon.logTail()}`
        throw err
      }
    },
    async close (...stops) {
      await Promise.allSettled(stops.map((stop) => stop?.()))
      await s.daemon?.stop().catch(() => {})
      if (s.dir != null && !KEEP_TMP && !s.failed) await rm(s.dir, { recursive: true, force: true }).catch(() => {})
      else if (s.dir != null) console.log(`# kept ${s.dir}`)
    }
  }
  return s
}

// -------------------------------------------------------------------------------------------------

describe('CID parity: agora add --only-hash = Helia', () => {
  const s = suiteState('agora-content-cid-')
  let repo
  let offline
  const files = new Map() // case name -> { path, bytes } (both profiles share the files)
  let treeDir
  const hamtDirs = new Map() // `${profile} ${excess}` -> { path, tree }

  before(async () => {
    await s.open({ add: ['-r', '--profile', '--only-hash'] })
    repo = join(s.dir, 'repo')
    await runAgora(['init', '--repo', repo, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'],
      { env: { AGORA_PATH: repo }, timeoutMs: OP_TIMEOUT_MS })
    offline = await createOfflineHelia()
    const inputs = join(s.dir, 'inputs')
    await mkdir(inputs, { recursive: true })
    let i = 0
    for (const profile of PROFILE_NAMES) {
      for (const c of fileCases(profile)) {
        if (files.has(c.name)) continue
        const path = join(inputs, `file-${String(i++).padStart(2, '0')}.bin`)
        await writeFile(path, c.bytes)
        files.set(c.name, { path, bytes: c.bytes })
      }
      for (const c of hamtCases(profile)) {
        const path = join(inputs, `hamt-${profile}-${c.excess}`)
        await writeTree(path, c.tree)
        hamtDirs.set(`${profile} ${c.excess}`, { path, tree: c.tree, entries: c.entries.length })
      }
    }
    treeDir = join(inputs, 'tree')
    await writeTree(treeDir, unicodeTree())
    s.ready()
  }, { timeout: 2 * OP_TIMEOUT_MS })

  after(() => s.close(() => offline?.stop()))

  for (const profile of PROFILE_NAMES) {
    for (const c of fileCases(profile)) {
      it(`${profile}: file, ${c.name}`, test, s.step(async () => {
        const { path, bytes } = files.get(c.name)
        const want = String(await addBytes(offline.fs, bytes, profile))
        if (c.cid != null) assert.equal(want, c.cid, 'Helia gives the documented CID')
        const out = await agoraAdd(repo, [path], { profile, onlyHash: true, timeoutMs: OP_TIMEOUT_MS })
        assert.equal(out.length, 1, `one line per input: ${JSON.stringify(out)}`)
        assert.equal(out[0].cid, want, `CID of ${c.name} (${bytes.length} bytes)`)
        assert.equal(out[0].name, path, '"name" is the path as given')
        assert.equal(out[0].size, bytes.length, '"size" is the file size')
      }))
    }

    it(`${profile}: directory tree (nested, unicode names, empty directory and file)`, test, s.step(async () => {
      const want = String(await addTree(offline.fs, unicodeTree(), profile, { rootName: 'tree' }))
      const out = await agoraAdd(repo, [treeDir], { recursive: true, profile, onlyHash: true, timeoutMs: OP_TIMEOUT_MS })
      assert.equal(out.length, 1, `one line for the directory (no line per file, no wrapper): ${JSON.stringify(out).slice(0, 500)}`)
      assert.equal(out[0].cid, want)
      assert.equal(out[0].name, treeDir)
    }))

    for (const excess of [0, 1]) {
      const what = excess === 0 ? 'flat directory, size estimate exactly 256 KiB' : 'HAMT directory, size estimate 256 KiB + 1'
      it(`${profile}: ${what}`, test, s.step(async (t) => {
        const { path, tree, entries } = hamtDirs.get(`${profile} ${excess}`)
        const cid = await addTree(offline.fs, tree, profile, { rootName: 'big' })
        assert.equal(await isSharded(offline.fs, cid), excess === 1, 'Helia side as intended')
        const out = await agoraAdd(repo, [path], { recursive: true, profile, onlyHash: true, timeoutMs: OP_TIMEOUT_MS })
        assert.equal(out.length, 1, JSON.stringify(out).slice(0, 500))
        assert.equal(out[0].cid, String(cid), `${entries} entries; Helia's directory is ${excess === 1 ? 'sharded' : 'flat'}`)
        t.diagnostic(`${entries} entries -> ${cid}`)
      }))
    }

    it(`${profile}: stdin`, test, s.step(async () => {
      const bytes = pattern251(3 * MiB + 5)
      const want = String(await addBytes(offline.fs, bytes, profile))
      const out = await agoraAdd(repo, [], { input: bytes, profile, onlyHash: true, timeoutMs: OP_TIMEOUT_MS })
      assert.equal(out.length, 1, JSON.stringify(out))
      assert.equal(out[0].cid, want)
      assert.equal(out[0].size, bytes.length)
    }))
  }

  it('default profile is unixfs-v1-2025; several paths give one line each, in order', test, s.step(async () => {
    const picked = ['12 bytes', '3 MiB + 5 (i % 251)', 'empty'].map((n) => files.get(n))
    const out = await agoraAdd(repo, picked.map((f) => f.path), { onlyHash: true, timeoutMs: OP_TIMEOUT_MS })
    assert.deepEqual(out.map((o) => o.name), picked.map((f) => f.path))
    assert.deepEqual(out.map((o) => o.cid), [
      'bafkreiecsdrlqm6a62yekcis5verurpra2qddepqmnjy3mpragconygykq',
      'bafybeidjdzyb7cjtwabgkg3psrr6d53vcxhxfxrt44ind74gq6coscbj74',
      'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
    ])
  }))

  it('a directory without -r is refused', test, s.step(async () => {
    await assert.rejects(agoraAdd(repo, [treeDir], { onlyHash: true, timeoutMs: OP_TIMEOUT_MS }), /exit/)
  }))
})

// -------------------------------------------------------------------------------------------------

describe('Helia adds, agora fetches over bitswap', () => {
  const s = suiteState('agora-content-pull-')
  let helia
  let heliaAddr
  let repo
  const big = bigFile()
  const legacy = pattern251(3 * MiB + 5)
  const tree = unicodeTree()
  const hamt = hamtCases(V1).find((c) => c.sharded)
  const cids = {}

  before(async () => {
    await s.open({ add: [], cat: [], get: ['-o', '--peer'], ls: [], swarm: [] })
    helia = await createHeliaNode()
    heliaAddr = helia.addrs()[0]
    s.daemon = new AgoraDaemon(join(s.dir, 'agora'), { opTimeoutMs: OP_TIMEOUT_MS })
    await s.daemon.start()
    repo = s.daemon.repo
    cids.big = String(await addBytes(helia.fs, big, V1))
    cids.legacy = String(await addBytes(helia.fs, legacy, V0))
    cids.treeV1 = String(await addTree(helia.fs, tree, V1))
    cids.treeV0 = String(await addTree(helia.fs, tree, V0))
    cids.hamt = String(await addTree(helia.fs, hamt.tree, V1, { rootName: 'big' }))
    s.ready()
  }, { timeout: 2 * OP_TIMEOUT_MS })

  after(() => s.close(() => helia?.stop()))

  it(`get --peer <helia>: 16 MiB + 7 file (${V1}, 18 blocks)`, test, s.step(async (t) => {
    const dest = join(s.dir, 'big.bin')
    const r = await agoraGet(repo, cids.big, dest, { peer: heliaAddr, timeoutMs: OP_TIMEOUT_MS })
    assertBytes(new Uint8Array(await readFile(dest)), big, 'file written by get')
    assert.equal(r.cid, cids.big)
    assert.equal(r.dest, dest)
    assert.equal(r.bytes, big.length)
    assert.equal(r.blocks_fetched, 18, '17 raw leaves + root, all fetched into an empty repo')
    assert.equal(r.blocks_local, 0)
    assert.ok(typeof r.seconds === 'number' && r.seconds >= 0, `seconds: ${r.seconds}`)
    t.diagnostic(`${(big.length / 1e6 / Math.max(r.seconds, 1e-6)).toFixed(0)} MB/s by agora's own clock`)
  }))

  it('get again: every block from the local blockstore', test, s.step(async () => {
    const dest = join(s.dir, 'big-again.bin')
    const r = await agoraGet(repo, cids.big, dest, { timeoutMs: OP_TIMEOUT_MS })
    assertBytes(new Uint8Array(await readFile(dest)), big, 'file written by the second get')
    assert.equal(r.blocks_fetched, 0)
    assert.equal(r.blocks_local, 18)
  }))

  it(`cat: 3 MiB + 5 file (${V0}, dag-pb leaves)`, test, s.step(async () => {
    await agoraConnect(repo, heliaAddr, { timeoutMs: OP_TIMEOUT_MS })
    assertBytes(await agoraCat(repo, cids.legacy, { timeoutMs: OP_TIMEOUT_MS }), legacy, 'agora cat')
  }))

  it(`get --peer <helia>: directory tree (${V1})`, test, s.step(async () => {
    const dest = join(s.dir, 'tree-v1')
    const r = await agoraGet(repo, cids.treeV1, dest, { peer: heliaAddr, timeoutMs: OP_TIMEOUT_MS })
    assert.equal(r.cid, cids.treeV1)
    assert.equal(diffTrees(tree, await readTreeFromDisk(dest)), undefined)
  }))

  it(`ls: directory tree (${V0}) lists what Helia lists`, test, s.step(async () => {
    await agoraConnect(repo, heliaAddr, { timeoutMs: OP_TIMEOUT_MS })
    const want = await listDir(helia.fs, cids.treeV0, { signal: signal() })
    const got = await agoraLs(repo, cids.treeV0, { timeoutMs: OP_TIMEOUT_MS })
    assert.deepEqual(got.map((e) => e.name), want.map((e) => e.name), 'names, in dag-pb (bytewise) order')
    for (const [i, e] of got.entries()) {
      const w = want[i]
      assert.equal(e.cid, w.cid, `cid of ${w.name}`)
      assert.equal(e.type, w.type, `type of ${w.name}`)
      if (w.type === 'file') {
        const fileSize = tree[w.name].length
        assert.ok(e.size === fileSize || e.size === w.size, `size of ${w.name}: ${e.size}, expected the file size ${fileSize} or the link's Tsize ${w.size}`)
      }
    }
  }))

  it(`cat <dir>/<unicode path> (${V0})`, test, s.step(async () => {
    await agoraConnect(repo, heliaAddr, { timeoutMs: OP_TIMEOUT_MS })
    const got = await agoraCat(repo, `${cids.treeV0}/日本語/深い/🦀.bin`, { timeoutMs: OP_TIMEOUT_MS })
    assertBytes(got, tree['日本語']['深い']['🦀.bin'], 'agora cat of a path inside the tree')
  }))

  it(`get <dir>/<sub-path>: a subdirectory (${V0})`, test, s.step(async () => {
    const dest = join(s.dir, 'sub-v0')
    await agoraGet(repo, `${cids.treeV0}/日本語`, dest, { peer: heliaAddr, timeoutMs: OP_TIMEOUT_MS })
    assert.equal(diffTrees(tree['日本語'], await readTreeFromDisk(dest)), undefined)
  }))

  it(`get --peer <helia>: HAMT directory (${V1}, ${hamt.entries.length} files)`, test, s.step(async () => {
    const dest = join(s.dir, 'hamt-v1')
    const r = await agoraGet(repo, cids.hamt, dest, { peer: heliaAddr, timeoutMs: OP_TIMEOUT_MS })
    assert.equal(r.cid, cids.hamt)
    assert.equal(diffTrees(hamt.tree, await readTreeFromDisk(dest)), undefined)
  }))
})

// -------------------------------------------------------------------------------------------------

describe('agora adds, Helia fetches over bitswap', () => {
  const s = suiteState('agora-content-push-')
  let helia
  let offline
  let repo
  const inputs = {
    big: { profile: V1, bytes: bigFile() },
    legacy: { profile: V0, bytes: pattern251(3 * MiB + 5) },
    treeV1: { profile: V1, tree: unicodeTree() },
    treeV0: { profile: V0, tree: unicodeTree() },
    hamt: { profile: V0, tree: hamtCases(V0).find((c) => c.sharded).tree }
  }
  const added = {} // key -> CID printed by agora add
  const expected = {} // key -> CID from Helia

  before(async () => {
    await s.open({ add: ['-r', '--profile'] })
    s.daemon = new AgoraDaemon(join(s.dir, 'agora'), { opTimeoutMs: OP_TIMEOUT_MS })
    await s.daemon.start()
    repo = s.daemon.repo
    offline = await createOfflineHelia()
    for (const [key, input] of Object.entries(inputs)) {
      const path = join(s.dir, 'inputs', key)
      if (input.bytes != null) {
        await mkdir(join(s.dir, 'inputs'), { recursive: true })
        await writeFile(path, input.bytes)
        expected[key] = String(await addBytes(offline.fs, input.bytes, input.profile))
      } else {
        await writeTree(path, input.tree)
        expected[key] = String(await addTree(offline.fs, input.tree, input.profile))
      }
      const out = await agoraAdd(repo, [path], { recursive: input.tree != null, profile: input.profile, timeoutMs: OP_TIMEOUT_MS })
      assert.equal(out.length, 1, `agora add ${path}: ${JSON.stringify(out).slice(0, 500)}`)
      added[key] = out[0].cid
    }
    helia = await createHeliaNode()
    await withTimeout(helia.dial(s.daemon.listenAddrs.find((a) => a.startsWith('/ip4/127.0.0.1/')) ?? s.daemon.listenAddrs[0]),
      OP_TIMEOUT_MS, 'Helia dials agora and sees /ipfs/bitswap/1.2.0 in identify')
    s.ready()
  }, { timeout: 3 * OP_TIMEOUT_MS })

  after(() => s.close(() => helia?.stop(), () => offline?.stop()))

  it('the CIDs agora add printed are Helia\'s', test, s.step(async () => {
    assert.deepEqual(added, expected)
  }))

  it(`Helia cat: 16 MiB + 7 file (${V1})`, test, s.step(async () => {
    assertBytes(await catBytes(helia.fs, added.big, { signal: signal() }), inputs.big.bytes, 'Helia cat')
  }))

  it(`Helia cat: 3 MiB + 5 file (${V0})`, test, s.step(async () => {
    assertBytes(await catBytes(helia.fs, added.legacy, { signal: signal() }), inputs.legacy.bytes, 'Helia cat')
  }))

  for (const key of ['treeV1', 'treeV0']) {
    it(`Helia reads the directory tree (${inputs[key].profile})`, test, s.step(async () => {
      const got = await readTree(helia.fs, added[key], { signal: signal() })
      assert.equal(diffTrees(inputs[key].tree, got), undefined)
      const listing = await listDir(helia.fs, added[key], { signal: signal() })
      assert.deepEqual(listing, await listDir(offline.fs, expected[key]), 'ls: names, CIDs, Tsizes, types')
      assert.deepEqual(listing.map((e) => e.name), Object.keys(inputs[key].tree).sort(compareNames))
    }))
  }

  it(`Helia: HAMT directory (${V0}), files by path through the shards`, test, s.step(async () => {
    const tree = inputs.hamt.tree
    assert.equal(await isSharded(helia.fs, added.hamt, { signal: signal() }), true)
    for (const name of sample(Object.keys(tree).sort(compareNames), 5)) {
      assertBytes(await catBytes(helia.fs, added.hamt, { path: name, signal: signal() }), tree[name], name)
    }
  }))
})
