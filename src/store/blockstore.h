// The on-disk blockstore under <repo>/blocks (layout in store/block_key.h).
//
// Blocks are keyed by multihash: a CIDv0 and a CIDv1 of the same bytes name one block. A block
// becomes visible only complete, verified and durable: it is written to blocks/.tmp/, fsynced,
// renamed into its shard directory, and that directory is fsynced. A crash at any moment leaves
// no partial block visible; open() removes what was left in .tmp.
//
// Thread safety: put/get/has/size/remove and the iterators may be called from several threads at
// once (a worker pool writing while the event loop reads). A Batch belongs to one thread.
//
// Identity-hash CIDs carry their data inline: put() checks and stores nothing, has() is true,
// get() returns the inline bytes. Only sha2-256 and identity multihashes are accepted.
//
// File references (store/file_refs.h), when set_file_refs() gave a table: a block with no file
// in blocks/ may live in a user's file at (path, offset, length). has/size/for_each see it; get
// and get_checked read a block file first, else the reference (exactly `length` bytes at
// `offset`), and re-hash what a reference gave: the file may have changed. A block whose
// file changed, shrank or vanished is an Errc::io error for get ("file P changed at offset N:
// block C no longer matches") and `corrupt` for get_checked, never returned. remove() drops the
// reference, never the user's file; quarantine() only ever moves files under blocks/.
//
// get_checked (the serving path) skips the hash of a block whose file has the same stamp as when
// this store last hashed or wrote it, within the ttl (store/hashed_stamps.h); get with
// verify_on_read, read_ref and verify_blocks always hash.
#pragma once

#include <array>
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "base/bytes.h"
#include "codec/cid.h"
#include "store/block_file.h"
#include "store/block_key.h"
#include "store/file_refs.h"
#include "store/hashed_stamps.h"

namespace agora::store {

inline constexpr const char* kBlocksDir = "blocks";              // <repo>/blocks
inline constexpr const char* kQuarantineDirName = "quarantine";  // <repo>/quarantine

struct BlockstoreConfig {
  size_t block_bytes_max = 4 << 20;  // put() refuses larger blocks, get() larger files
  bool fsync = true;                 // false only for throwaway stores (tests, benchmarks)
  // get() re-hashes what it reads (Errc::io on a mismatch). Off by default, as in kubo: it costs
  // a SHA-256 per read, and peers verify what they receive anyway; verify_blocks finds rot.
  bool verify_on_read = false;
  // A Batch commits on its own once this many blocks or bytes are pending: bounds the files it
  // holds open (one per pending block) and the dirty data a commit must flush.
  size_t batch_blocks_max = 128;
  size_t batch_bytes_max = 256 << 20;
  // A commit of at least this many blocks makes them durable with syncfs(2) (before and after
  // the renames) instead of an fsync per file and per directory: two disk cache flushes instead
  // of hundreds, ~3x the throughput on a busy disk. It also flushes other dirty data on that
  // filesystem. 0 turns it off.
  size_t batch_syncfs_blocks_min = 16;
  // What get_checked remembers of blocks it hashed or wrote, so as not to hash them again.
  HashedStampsConfig hashed_stamps;
};

// One file in a shard directory, as the iterators see it.
struct BlockFileEntry {
  std::filesystem::path path;
  // The block's multihash; empty when the file name is not a canonical block key or the file
  // sits in the wrong shard directory (verify_blocks quarantines those).
  std::optional<Multihash> hash;
  std::string bad_name_reason;  // why `hash` is empty
  uint64_t size_bytes = 0;
  uint64_t disk_bytes = 0;  // allocated on disk
};

class Blockstore {
 public:
  class Batch;

  // Creates `blocks_dir` if needed, checks its SHARDING file, and empties blocks/.tmp.
  static Result<std::unique_ptr<Blockstore>> open(const std::filesystem::path& blocks_dir,
                                                  BlockstoreConfig config = {});
  ~Blockstore();

  // Verifies `data` against `cid` first (Errc::invalid_input, nothing written; Errc::too_large
  // over block_bytes_max; Errc::unsupported for other hash functions). Idempotent: a block
  // already present is not rewritten. Disk full and I/O errors are Errc::io, leave no file.
  Status put(const Cid& cid, BytesView data);
  Result<Bytes> get(const Cid& cid) const;  // Errc::not_found when absent; see verify_on_read
  // get() that re-hashes (sha2-256; identity needs no check), for what is sent to peers, unless
  // the block's file has the stamp it had when hashed or written lately (hashed_stamps.h).
  // A mismatch is not an error: `corrupt` is set, and the caller decides (quarantine()).
  struct CheckedBlock {
    Bytes data;
    bool corrupt = false;  // the file's content does not match its hash
    // Read through a file reference (no block file): the caller must not quarantine, but drop
    // the reference (drop_ref) when corrupt. `ref` is empty when the row itself was corrupt.
    bool referenced = false;
    std::optional<FileRef> ref;
    std::string problem;  // why it is corrupt, naming the file and offset
  };
  Result<CheckedBlock> get_checked(const Cid& cid) const;
  // Moves the block's file into quarantine_dir() (created if needed) so it is neither served nor
  // counted as stored; never deleted, so it can be examined. Returns where it went.
  Result<std::filesystem::path> quarantine(const Multihash& hash);
  // A block file, or a reference whose file is there and long enough (not hashed: see get()).
  bool has(const Cid& cid) const;
  Result<uint64_t> size(const Cid& cid) const;
  // Removes the block file and the file reference, whichever exist; Errc::not_found when
  // neither does.
  Status remove(const Cid& cid);

  // The same, by multihash (what GC and verify work with).
  Result<Bytes> get(const Multihash& hash) const;
  bool has(const Multihash& hash) const;
  Status remove(const Multihash& hash);

  // A group commit; see Batch below.
  Batch batch();

  // File references. Set once, before the store is shared between threads; the table must
  // outlive the store. Null (the default): blocks/ only.
  void set_file_refs(FileRefs* refs) { file_refs_ = refs; }
  FileRefs* file_refs() const { return file_refs_; }
  // Reads a reference and re-hashes it. `broken` says why the file no longer holds the block
  // (gone, not a regular file, too short, changed, a length over block_bytes_max): then `data` is
  // empty. An error (Errc::io) means the file could not be read for a reason that may pass
  // (permissions, I/O): the reference may still be good.
  struct RefRead {
    Bytes data;
    std::string broken;
  };
  // `trust_stamp`: skip the hash when the file's stamp is one hashed lately (get_checked only).
  Result<RefRead> read_ref(const Multihash& hash, const FileRef& ref, const std::string& what,
                           bool trust_stamp = false) const;
  // Drops a broken reference: only if it is still `seen` (a reference recorded again meanwhile
  // stays), or whatever it is when `seen` is empty (a corrupt row). True when one was dropped.
  Result<bool> drop_ref(const Multihash& hash, const std::optional<FileRef>& seen);
  // Every file reference (store/file_refs.h), corrupt rows included; nothing without a table.
  Status for_each_ref(const std::function<Status(const FileRefEntry& entry)>& visit) const;

  // Visits every block with a valid name, then every file reference without a block file: its
  // multihash and size. Cid::v1(kCodecRaw, hash) is a CID that reads it (the store does not know
  // the codec). A visitor error stops the walk and is returned. Blocks put or removed during the
  // walk may or may not be seen.
  Status for_each(
      const std::function<Status(const Multihash& hash, uint64_t size_bytes)>& visit) const;
  // Every file in the shard directories, including misnamed ones.
  Status for_each_file(const std::function<Status(const BlockFileEntry& entry)>& visit) const;

  // GC exclusion. Code that stores blocks and then pins them holds hold_off_gc() across both
  // steps, so a collection cannot remove the blocks in between; collect_garbage() takes
  // lock_for_gc(). Never take both in one thread.
  std::shared_lock<std::shared_mutex> hold_off_gc() const {
    return std::shared_lock<std::shared_mutex>(gc_mutex_);
  }
  std::unique_lock<std::shared_mutex> lock_for_gc() const {
    return std::unique_lock<std::shared_mutex>(gc_mutex_);
  }

  const std::filesystem::path& dir() const { return dir_; }
  // <repo>/quarantine next to <repo>/blocks, where `repo verify` also moves corrupt files.
  std::filesystem::path quarantine_dir() const { return dir_.parent_path() / kQuarantineDirName; }
  const BlockstoreConfig& config() const { return config_; }
  const HashedStamps& hashed_stamps() const { return hashed_; }
  std::filesystem::path path_of(const Multihash& hash) const;
  size_t temp_files_removed_at_open() const { return temp_files_removed_at_open_; }

 private:
  friend class Batch;
  Blockstore(std::filesystem::path dir, BlockstoreConfig config);

  // Size and hash checks shared by put() and Batch::add() (`hash`: also re-hash the data).
  Status check_block(const Cid& cid, BytesView data, bool hash = true) const;
  // True when a complete copy is already in place (same size; the name vouches for the hash).
  bool present_with_size(const std::filesystem::path& path, uint64_t size_bytes) const;
  Result<Bytes> read(const Multihash& hash, const std::string& what) const;
  // get() of a block without a block file: through its reference, or `absent`.
  Result<Bytes> read_referenced(const Multihash& hash, const std::string& what, Error absent) const;
  Result<CheckedBlock> get_checked_referenced(const Multihash& hash, const std::string& what,
                                              Error absent) const;
  Status remove_block(const Multihash& hash, const std::string& what);
  Result<TempBlockFile> write_temp(const Cid& cid, BytesView data) const;
  // Shard directories are made on first use. Their entries in the blocks directory must be
  // durable before a block in them counts as stored: make_shard() returns true when the caller
  // must sync the blocks directory (or the filesystem) and then call shard_made_durable().
  Result<bool> make_shard(size_t index);
  void shard_made_durable(size_t index) { shard_durable_[index].store(true); }
  // Renames, re-creating the shard directory if it was removed under us.
  // The block, verified, is remembered as written (see hashed_stamps.h).
  Status rename_into_place(TempBlockFile& file, const std::filesystem::path& dest,
                           const Multihash& hash);
  Status rename_into_new_shard(TempBlockFile& file, const std::filesystem::path& dest);
  Status sync_filesystem(std::string_view after) const;  // syncfs

  std::filesystem::path dir_;
  std::filesystem::path temp_dir_;
  BlockstoreConfig config_;
  std::string temp_prefix_;  // random per open: temp names never collide across instances
  mutable std::atomic<uint64_t> temp_counter_{0};
  int dir_fd_ = -1;  // the blocks directory, for syncfs
  std::array<std::atomic<bool>, kShardCount> shard_durable_{};
  size_t temp_files_removed_at_open_ = 0;
  mutable std::shared_mutex gc_mutex_;
  FileRefs* file_refs_ = nullptr;
  mutable HashedStamps hashed_;
};

// A group commit. add() verifies each block and writes it to blocks/.tmp (and starts its
// writeback); commit() makes every file durable (an fsync each, or one syncfs for a large batch),
// renames them into place and makes the directories durable (an fsync per touched directory, or
// one syncfs): far fewer waits for the disk than put() per block. Nothing added is visible before
// commit(). Reaching batch_blocks_max or batch_bytes_max commits what is pending. Destroying a
// Batch discards what was not committed.
class Blockstore::Batch {
 public:
  Batch(Batch&&) noexcept = default;
  Batch& operator=(Batch&&) noexcept = default;
  ~Batch() = default;

  // Same checks and errors as put(). A failed add leaves the other pending blocks pending.
  Status add(const Cid& cid, BytesView data);
  // add() for bytes the caller has already checked against `cid` (a block a peer sent, verified
  // on arrival): the size and hash-function checks stay, the second SHA-256 is skipped.
  Status add_verified(const Cid& cid, BytesView data);
  // On error, blocks already renamed into place stay (they are complete); the rest are discarded.
  Status commit();
  void discard() {
    pending_.clear();
    pending_bytes_ = 0;
  }
  size_t pending() const { return pending_.size(); }
  uint64_t pending_bytes() const { return pending_bytes_; }

 private:
  friend class Blockstore;
  explicit Batch(Blockstore* store) : store_(store) {}

  struct Pending {
    Multihash hash;
    std::filesystem::path dest;
    TempBlockFile file;
  };
  Blockstore* store_;
  std::vector<Pending> pending_;
  uint64_t pending_bytes_ = 0;
};

}  // namespace agora::store
