// The node's content: the blockstore (with its file references), pins, and UnixFS import and
// export over them. Safe to call from several threads (the API's worker threads): Blockstore,
// FileRefs and PinStore serialise themselves.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "store/blockstore.h"
#include "store/gc.h"
#include "store/partial_outputs.h"
#include "store/pin_store.h"
#include "store/repo_stat.h"
#include "store/repo_verify.h"
#include "unixfs/exporter.h"
#include "unixfs/file_importer.h"
#include "unixfs/import_path.h"

namespace agora {

// Reads through the blockstore (which verifies nothing on read; the exporter checks every block).
class BlockstoreSource : public BlockSource {
 public:
  explicit BlockstoreSource(store::Blockstore& blocks) : blocks_(blocks) {}
  Result<Bytes> get(const Cid& cid) override { return blocks_.get(cid); }

 private:
  store::Blockstore& blocks_;
};

// Writes through a group commit; nothing is visible before commit(). With `refs` (add --nocopy),
// raw leaves of a file (put_leaf after begin_file) are recorded as references to that file,
// kRefBatch at a time, instead of being copied; empty leaves and every other block are stored.
class BlockstoreSink : public BlockSink {
 public:
  static constexpr size_t kRefBatch = 1024;
  explicit BlockstoreSink(store::Blockstore& blocks, store::FileRefs* refs = nullptr)
      : batch_(blocks.batch()), refs_(refs) {}
  Status put(const Cid& cid, Bytes block) override { return batch_.add(cid, block); }
  Status put_leaf(const Cid& cid, Bytes block, uint64_t file_offset) override;
  Status begin_file(const std::filesystem::path& path) override;
  Status commit();

 private:
  Status flush_refs();

  store::Blockstore::Batch batch_;
  store::FileRefs* refs_;
  std::filesystem::path file_;  // absolute: the file whose leaves come now
  std::vector<std::pair<Multihash, store::FileRef>> pending_refs_;
};

struct AddOptions {
  unixfs::ImportOptions import;
  // Leaves reference the added files instead of being copied into blocks/ (kubo's filestore).
  // Needs raw leaves; add_path only (a stream has no file to reference).
  bool nocopy = false;
  bool only_hash = false;  // compute CIDs, store nothing
  bool pin = true;         // recursive pin on the root
  // Set (from any thread) to stop the import at its next block: Errc::cancelled, nothing pinned.
  std::shared_ptr<const std::atomic<bool>> cancel;
};

class Content {
 public:
  // Opens <repo>/blocks and <repo>/agora.db.
  static Result<std::unique_ptr<Content>> open(const std::filesystem::path& repo);

  store::Blockstore& blocks() { return *blocks_; }
  store::FileRefs& file_refs() { return *refs_; }

  // `entry` hears of each entry below the root as it is imported (unixfs::import_path).
  Result<unixfs::ImportedNode> add_path(const std::filesystem::path& path,
                                        const AddOptions& options, unixfs::ProgressFn progress = {},
                                        unixfs::EntryFn entry = {});
  // Imports one file whose bytes arrive through repeated calls of `feed` (e.g. an HTTP body):
  // begin, write chunks, then finish.
  class StreamAdd;
  std::unique_ptr<StreamAdd> add_stream(const AddOptions& options);

  Status pin(const Cid& cid, store::PinType type, std::string_view name = {});
  Status unpin(const Cid& cid, const store::PinRemoveOptions& options);
  Result<std::vector<store::Pin>> pins(const store::PinFilter& filter = {});

  Result<store::GcReport> gc();
  Result<store::VerifyReport> verify();
  Result<store::PinCheckReport> verify_pins();
  Result<store::RepoStat> stat();

  // Resolves `root/path` against local blocks only.
  Result<Cid> resolve(const Cid& root, std::string_view path);
  // Writes the file or tree to `dest` atomically: into a hidden sibling, then renamed. The
  // sibling is recorded in the repo first (store/partial_outputs.h), so one left by a daemon that
  // died mid-export is removed by remove_partial_outputs() at the next start. `limits` carries
  // the size checks (output_bytes_max, disk_free_margin_bytes).
  // The blocks come from `source` when given (one that stops when cancelled), else from the
  // blockstore; `written` follows the bytes written (unixfs::export_to_path).
  Status export_to(const Cid& cid, const std::filesystem::path& dest,
                   const unixfs::ExportLimits& limits = {}, unixfs::BlockSource* source = nullptr,
                   const unixfs::WrittenBytesFn& written = {});
  // At start-up, before any export: removes the recorded temporaries of interrupted exports.
  // A download written straight into `temp` (node/file_output.h) recorded its verified blocks
  // as references into it: copies them into the blockstore (each re-hashed on the way) and drops
  // the references, before the temporary is removed, so a later get resumes from them.
  void keep_blocks_of(const std::filesystem::path& temp);
  Result<std::vector<store::LeftoverPartial>> remove_partial_outputs();

 private:
  Content(std::filesystem::path repo, std::unique_ptr<store::FileRefs> refs,
          std::unique_ptr<store::Blockstore> blocks, std::unique_ptr<store::PinStore> pins)
      : repo_(std::move(repo)),
        refs_(std::move(refs)),
        blocks_(std::move(blocks)),
        pins_(std::move(pins)) {}

  std::filesystem::path repo_;
  std::unique_ptr<store::FileRefs> refs_;  // outlives blocks_, which reads through it
  std::unique_ptr<store::Blockstore> blocks_;
  std::unique_ptr<store::PinStore> pins_;
};

class Content::StreamAdd {
 public:
  StreamAdd(Content& content, AddOptions options);
  // With options.nocopy, both refuse: a stream has no file to reference.
  Status write(BytesView chunk);
  Result<unixfs::ImportedNode> finish();
  static Error nocopy_refused();

 private:
  Content& content_;
  AddOptions options_;
  std::shared_lock<std::shared_mutex> gc_guard_;
  std::unique_ptr<BlockSink> sink_;
  std::unique_ptr<unixfs::FileImporter> importer_;
};

}  // namespace agora
