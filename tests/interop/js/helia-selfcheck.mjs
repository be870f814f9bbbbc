// Self-check of the Helia side of the content interop tests (no agora needed):
//   - js/helia.mjs gives the verified CIDs of the notes (section 19) in both profiles;
//   - HAMT threshold: a directory whose size estimate is exactly 256 KiB stays flat, one byte more
//     is sharded, in both profiles (so the boundary inputs of content.test.mjs are what they claim);
//   - directory links are in bytewise UTF-8 name order, and the root CID does not depend on the
//     order of the import candidates;
//   - Helia -> Helia over bitswap (TCP/Noise/Yamux on 127.0.0.1): files and trees in both profiles
//     and a HAMT directory, bytes and trees identical.
// Run: node --test js/helia-selfcheck.mjs

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as dagPb from '@ipld/dag-pb'
import { bigFile, fileCases, hamtCases, pattern251, unicodeTree } from './content-cases.mjs'
import {
  addBytes, addTree, catBytes, compareNames, createHeliaNode, createOfflineHelia, diffTrees, getBlock, isSharded,
  importOptions, MiB, PROFILE_NAMES, readTree, treeCandidates
} from './helia.mjs'
import { withTimeout } from './peer.mjs'

const OP_TIMEOUT_MS = 60_000
const signal = () => AbortSignal.timeout(OP_TIMEOUT_MS)
/** `n` items spread evenly over `list`, first and last included. */
const sample = (list, n) => Array.from({ length: n }, (_, i) => list[Math.round(i * (list.length - 1) / (n - 1))])

describe('helia self-check: CIDs', () => {
  let offline
  const hamtCids = new Map()
  before(async () => { offline = await createOfflineHelia() })
  after(async () => { await offline?.stop() })

  for (const profile of PROFILE_NAMES) {
    it(`${profile}: documented vectors`, { timeout: OP_TIMEOUT_MS }, async (t) => {
      let checked = 0
      for (const c of fileCases(profile)) {
        const cid = String(await addBytes(offline.fs, c.bytes, profile))
        if (c.cid != null) { assert.equal(cid, c.cid, c.name); checked++ }
        if (profile === 'unixfs-v0-2015') assert.match(cid, /^Qm/, c.name)
        else assert.match(cid, /^baf[ky]/, c.name)
      }
      assert.ok(checked >= 4, `${checked} vectors checked`)
      t.diagnostic(`${checked} documented vectors match`)
    })

    it(`${profile}: HAMT threshold (flat at 256 KiB, sharded at 256 KiB + 1)`, { timeout: 2 * OP_TIMEOUT_MS }, async (t) => {
      for (const c of hamtCases(profile)) {
        const cid = await addTree(offline.fs, c.tree, profile, { rootName: 'big' })
        hamtCids.set(`${profile} ${c.excess}`, cid)
        assert.equal(await isSharded(offline.fs, cid), c.sharded, `${c.name}: ${c.entries.length} entries, estimate ${c.estimate}`)
        t.diagnostic(`${c.name}: ${c.entries.length} entries -> ${cid}`)
      }
    })

    it(`${profile}: directory links in bytewise name order, CID independent of input order`, { timeout: OP_TIMEOUT_MS }, async () => {
      const tree = unicodeTree()
      const cid = await addTree(offline.fs, tree, profile)
      const candidates = treeCandidates(tree, 'root').reverse()
      let reversed
      for await (const e of offline.fs.addAll(candidates, importOptions(profile))) if (e.path === 'root') reversed = e.cid
      assert.equal(String(reversed), String(cid), 'same CID from reversed candidates')
      const walk = async (dirCid, path) => {
        const node = dagPb.decode(await getBlock(offline.helia, dirCid))
        const names = node.Links.map((l) => l.Name)
        assert.deepEqual(names, [...names].sort(compareNames), `link order in ${path}`)
        for (const l of node.Links) {
          if (l.Hash.code === dagPb.code && (await offline.fs.stat(l.Hash)).type === 'directory') await walk(l.Hash, `${path}/${l.Name}`)
        }
      }
      await walk(cid, 'root')
      const order = dagPb.decode(await getBlock(offline.helia, 
        (await offline.fs.stat(cid, { path: 'order' })).cid)).Links.map((l) => l.Name)
      // bytewise: digits < upper case < '_' < lower case < '~' < U+00E9; 'e\u0301' sorts as 'e'
      assert.deepEqual(order, ['10', '9', 'B', 'Z', '_', 'a', 'a b', 'a.txt', 'aa', 'ab', 'abc', 'e\u0301', 'z', '~', '\u00e9'])
    })
  }

  it('helia without a profile splits HAMTs by links-bytes, unlike unixfs-v1-2025 (block-bytes)', { timeout: 2 * OP_TIMEOUT_MS }, async () => {
    const over = hamtCases('unixfs-v1-2025').find((c) => c.sharded)
    let plain
    for await (const e of offline.fs.addAll(treeCandidates(over.tree, 'big'))) if (e.path === 'big') plain = e.cid
    assert.equal(await isSharded(offline.fs, plain), false, 'plain helia default: flat')
    const withProfile = hamtCids.get('unixfs-v1-2025 1') ?? await addTree(offline.fs, over.tree, 'unixfs-v1-2025', { rootName: 'big' })
    assert.equal(await isSharded(offline.fs, withProfile), true, 'unixfs-v1-2025: sharded')
  })
})

describe('helia self-check: helia -> helia over bitswap', () => {
  let a
  let b
  before(async () => {
    a = await createHeliaNode()
    b = await createHeliaNode()
    await withTimeout(b.dial(a.addrs()[0]), OP_TIMEOUT_MS, 'helia b dials a')
  }, { timeout: OP_TIMEOUT_MS })
  after(async () => { await Promise.allSettled([a?.stop(), b?.stop()]) })

  it('file 16 MiB + 7 (unixfs-v1-2025) and 3 MiB + 5 (unixfs-v0-2015)', { timeout: OP_TIMEOUT_MS }, async () => {
    const big = bigFile()
    const legacy = pattern251(3 * MiB + 5)
    const cidBig = await addBytes(a.fs, big, 'unixfs-v1-2025')
    const cidLegacy = await addBytes(a.fs, legacy, 'unixfs-v0-2015')
    assert.deepEqual(await catBytes(b.fs, cidBig, { signal: signal() }), big)
    assert.deepEqual(await catBytes(b.fs, cidLegacy, { signal: signal() }), legacy)
  })

  for (const profile of PROFILE_NAMES) {
    it(`tree with unicode names (${profile})`, { timeout: OP_TIMEOUT_MS }, async () => {
      const tree = unicodeTree()
      const cid = await addTree(a.fs, tree, profile)
      const got = await readTree(b.fs, cid, { signal: signal() })
      assert.equal(diffTrees(tree, got), undefined)
      const path = '日本語/深い/🦀.bin'
      assert.deepEqual(await catBytes(b.fs, cid, { path, signal: signal() }), tree['日本語']['深い']['🦀.bin'])
    })
  }

  it('HAMT directory (unixfs-v0-2015, 256 KiB + 1): files by path through the shards', { timeout: OP_TIMEOUT_MS }, async () => {
    // (a full listing would fetch every entry's block one at a time: ~15 s for 6553 entries)
    const c = hamtCases('unixfs-v0-2015').find((x) => x.sharded)
    const cid = await addTree(a.fs, c.tree, 'unixfs-v0-2015', { rootName: 'big' })
    assert.equal(await isSharded(b.fs, cid, { signal: signal() }), true)
    for (const { name } of sample(c.entries, 5)) {
      assert.deepEqual(await catBytes(b.fs, cid, { path: name, signal: signal() }), c.tree[name], name)
    }
  })
})
