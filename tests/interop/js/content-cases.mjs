// Deterministic inputs shared by the content interop tests (content.test.mjs) and the Helia
// self-check (helia-selfcheck.mjs): files around both profiles' chunk sizes, a nested tree with
// unicode names, and directories on either side of the HAMT threshold of each profile.

import { det, hamtBoundaryTree, MiB, PROFILE_NAMES, PROFILES } from './helia.mjs'

const text = (s) => new TextEncoder().encode(s)

/** i % 251 for i in [0, n): the 3 MiB + 5 vector of the notes. */
export function pattern251 (n) {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = i % 251
  return out
}

/** A case whose `bytes` are made on first use (listing the cases stays cheap). */
function lazyCase (fields, make) {
  let bytes
  return Object.defineProperty({ ...fields }, 'bytes', { enumerable: true, get: () => (bytes ??= make()) })
}

/**
 * Files for the CID parity test in `profile`: [{ name, bytes, cid? }]. `cid` is set where the
 * notes (section 19) give a verified vector, so the Helia side is checked too. `bytes` is lazy.
 */
export function fileCases (profile) {
  const v1 = profile === 'unixfs-v1-2025'
  const cases = [
    { name: 'empty', bytes: new Uint8Array(0), cid: v1 ? 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku' : 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH' },
    { name: '1 byte', bytes: Uint8Array.of(0x61) },
    { name: '12 bytes', bytes: text('hello agora\n'), cid: v1 ? 'bafkreiecsdrlqm6a62yekcis5verurpra2qddepqmnjy3mpragconygykq' : 'QmTmYgUwExnoTVhfk8s174e7vybY5kwj77oigwRaGz6C2i' }
  ]
  for (const p of PROFILE_NAMES) {
    const size = PROFILES[p].chunkSize
    const seed = p === 'unixfs-v1-2025' ? 'chunk-v1-seed' : 'chunk-v0-seed'
    for (const delta of [-1, 0, 1]) {
      const n = size + delta
      const c = lazyCase({ name: `${p} chunk ${delta === 0 ? '' : delta > 0 ? '+1' : '-1'}`.trim() + ` (${n} B)` }, () => det(n, seed))
      if (p === profile) {
        if (v1 && delta === 0) c.cid = 'bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta'
        if (v1 && delta === 1) c.cid = 'bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64'
        if (!v1 && delta === 0) c.cid = 'QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE'
        if (!v1 && delta === 1) c.cid = 'QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ'
      }
      cases.push(c)
    }
  }
  cases.push(lazyCase({ name: '3 MiB + 5 (i % 251)', cid: v1 ? 'bafybeidjdzyb7cjtwabgkg3psrr6d53vcxhxfxrt44ind74gq6coscbj74' : undefined },
    () => pattern251(3 * MiB + 5)))
  if (!v1) {
    // one leaf more than a v0 node holds: the only way to a two-level balanced tree that stays
    // small (the v1 equivalent is 1 GiB + 1)
    const n = PROFILES[profile].maxLinks * PROFILES[profile].chunkSize + 1
    cases.push(lazyCase({ name: `174 chunks + 1 byte, two levels (${n} B)` }, () => det(n, 'two-levels')))
  }
  return cases
}

/**
 * A nested tree: unicode names (NFC and NFD spellings of é are different names), names that
 * exercise the bytewise link order, an empty directory, a one-entry directory, and multi-chunk
 * files in both profiles. About 1.6 MiB.
 */
export function unicodeTree () {
  const small = {}
  for (const name of ['a', 'B', 'a.txt', 'aa', 'ab', 'abc', 'Z', 'z', '10', '9', 'a b', '_', '~', '\u00e9', 'e\u0301']) {
    small[name] = text(`${name}\n`)
  }
  return {
    'hello.txt': text('hello agora\n'),
    'empty.bin': new Uint8Array(0),
    'ünïcödé.txt': det(1000, 'unicode-1'),
    '日本語': {
      'テスト.md': det(5000, 'unicode-2'),
      '深い': {
        '🦀.bin': det(MiB + 100, 'unicode-3'),
        'more depth': { 'leaf.txt': text('leaf\n') }
      }
    },
    order: small,
    'empty-dir': {},
    single: { 'only.txt': Uint8Array.of(0x2a) },
    'three-v0-chunks.bin': det(2 * 262144 + 3, 'unicode-4')
  }
}

/** The boundary directories of `profile`: flat at the threshold, sharded one byte over it. */
export function hamtCases (profile) {
  return [
    { name: 'flat directory at the HAMT threshold', excess: 0, sharded: false },
    { name: 'HAMT directory one byte over the threshold', excess: 1, sharded: true }
  ].map((c) => ({ ...c, ...hamtBoundaryTree(profile, c.excess) }))
}

/** The ~16 MiB file of the transfer tests. */
export function bigFile () {
  return det(16 * MiB + 7, 'transfer-16m')
}
