// Where imported blocks go and where exported blocks come from. The store (blockstore), the
// network (bitswap) and tests implement these; the importer and exporter know nothing else.
// Declared in namespace agora (block interfaces are not UnixFS-specific) and visible as
// agora::unixfs::BlockSink too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <unordered_map>

#include "base/bytes.h"
#include "codec/cid.h"

namespace agora {

class BlockSink {
 public:
  virtual ~BlockSink() = default;
  // `block` hashes to `cid`. A sink may already hold it; putting it again is not an error.
  virtual Status put(const Cid& cid, Bytes block) = 0;
  // A raw leaf: the file's bytes [file_offset, file_offset + block.size()) as they were read.
  // A sink that keeps references instead of copies (add --nocopy) records where they are.
  virtual Status put_leaf(const Cid& cid, Bytes block, uint64_t /*file_offset*/) {
    return put(cid, std::move(block));
  }
  // The leaves put next come from the file at `path` (import_path calls it before each regular
  // file; a stream has no file and never calls it).
  virtual Status begin_file(const std::filesystem::path& /*path*/) { return {}; }
};

class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // Errc::not_found when absent. Callers verify the bytes against the CID.
  virtual Result<Bytes> get(const Cid& cid) = 0;
};

// Blocks in memory, keyed by CID: for tests and for hashing without storing (--only-hash).
class MemoryBlocks : public BlockSink, public BlockSource {
 public:
  Status put(const Cid& cid, Bytes block) override;
  Result<Bytes> get(const Cid& cid) override;

  bool contains(const Cid& cid) const { return blocks_.count(cid) != 0; }
  size_t size() const { return blocks_.size(); }
  uint64_t total_bytes() const { return total_bytes_; }
  // Total number of put() calls, repeats included.
  uint64_t puts() const { return puts_; }

 private:
  std::unordered_map<Cid, Bytes, CidHash> blocks_;
  uint64_t total_bytes_ = 0;
  uint64_t puts_ = 0;
};

// Counts blocks and bytes and keeps nothing: CIDs without storage, in constant memory.
class DiscardBlocks : public BlockSink {
 public:
  Status put(const Cid&, Bytes block) override {
    ++blocks_;
    bytes_ += block.size();
    return {};
  }
  uint64_t blocks() const { return blocks_; }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t blocks_ = 0;
  uint64_t bytes_ = 0;
};

namespace unixfs {
using agora::BlockSink;
using agora::BlockSource;
using agora::DiscardBlocks;
using agora::MemoryBlocks;
}  // namespace unixfs

}  // namespace agora
