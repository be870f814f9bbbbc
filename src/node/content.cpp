#include "node/content.h"

#include "codec/dag_pb.h"
#include "unixfs/file_importer.h"

namespace agora {

namespace {

// Refuses the next block once its flag is set: a cancelled import stops there, uncommitted.
class CancellableSink : public BlockSink {
 public:
  CancellableSink(std::unique_ptr<BlockSink> inner, std::shared_ptr<const std::atomic<bool>> flag)
      : inner_(std::move(inner)), flag_(std::move(flag)) {}
  Status put(const Cid& cid, Bytes block) override {
    if (flag_->load()) return make_error(Errc::cancelled, "cancelled");
    return inner_->put(cid, std::move(block));
  }
  Status put_leaf(const Cid& cid, Bytes block, uint64_t file_offset) override {
    if (flag_->load()) return make_error(Errc::cancelled, "cancelled");
    return inner_->put_leaf(cid, std::move(block), file_offset);
  }
  Status begin_file(const std::filesystem::path& path) override { return inner_->begin_file(path); }
  BlockSink& inner() { return *inner_; }

 private:
  std::unique_ptr<BlockSink> inner_;
  std::shared_ptr<const std::atomic<bool>> flag_;
};

// Counts blocks and keeps nothing, for --only-hash.
std::unique_ptr<BlockSink> make_sink(store::Blockstore& blocks, const AddOptions& options) {
  std::unique_ptr<BlockSink> sink;
  if (options.only_hash) {
    sink = std::make_unique<DiscardBlocks>();
  } else {
    sink = std::make_unique<BlockstoreSink>(blocks, options.nocopy ? blocks.file_refs() : nullptr);
  }
  if (options.cancel) return std::make_unique<CancellableSink>(std::move(sink), options.cancel);
  return sink;
}

Status commit(BlockSink& sink) {
  if (auto* c = dynamic_cast<CancellableSink*>(&sink)) return commit(c->inner());
  if (auto* s = dynamic_cast<BlockstoreSink*>(&sink)) return s->commit();
  return {};
}

const store::LinksFn kLinks = [](const Cid& cid, BytesView block) {
  return block_links(cid, block);
};

// Errors from writing the hidden temporary name the destination the user gave instead.
std::string name_dest(std::string message, const std::filesystem::path& temp,
                      const std::filesystem::path& dest) {
  std::string from = temp.string();
  std::string to = dest.string();
  for (size_t at = message.find(from); at != std::string::npos;
       at = message.find(from, at + to.size()))
    message.replace(at, from.size(), to);
  return message;
}

// kubo refuses the same: a dag-pb leaf wraps the file's bytes, so no byte range of the file is
// the block.
Status check_nocopy(const AddOptions& options) {
  if (!options.nocopy || options.import.profile.raw_leaves) return {};
  return make_error(Errc::invalid_input, "--nocopy needs raw leaves, and profile " +
                                             options.import.profile.name +
                                             " makes dag-pb leaves (use --profile " +
                                             std::string(unixfs::kProfileV1_2025) + ")");
}

}  // namespace

Status BlockstoreSink::put_leaf(const Cid& cid, Bytes block, uint64_t file_offset) {
  if (refs_ == nullptr || file_.empty() || block.empty() || cid.hash().code != kMhSha2_256)
    return put(cid, std::move(block));
  pending_refs_.emplace_back(cid.hash(), store::FileRef{file_, file_offset, block.size()});
  if (pending_refs_.size() >= kRefBatch) return flush_refs();
  return {};
}

Status BlockstoreSink::begin_file(const std::filesystem::path& path) {
  if (refs_ == nullptr) return {};
  AGORA_ASSIGN(file_, store::FileRefs::normalize(path));
  return {};
}

Status BlockstoreSink::flush_refs() {
  if (pending_refs_.empty()) return {};
  AGORA_TRY(refs_->add(pending_refs_));
  pending_refs_.clear();
  return {};
}

Status BlockstoreSink::commit() {
  AGORA_TRY(batch_.commit());
  if (refs_ != nullptr) AGORA_TRY(flush_refs());
  return {};
}

Result<std::unique_ptr<Content>> Content::open(const std::filesystem::path& repo) {
  AGORA_ASSIGN(auto blocks, store::Blockstore::open(repo / "blocks"));
  AGORA_ASSIGN(auto pins, store::PinStore::open(repo / "agora.db"));
  AGORA_ASSIGN(auto refs, store::FileRefs::open(repo / "agora.db",
                                                {.length_max = blocks->config().block_bytes_max}));
  blocks->set_file_refs(refs.get());
  return std::unique_ptr<Content>(
      new Content(repo, std::move(refs), std::move(blocks), std::move(pins)));
}

Result<unixfs::ImportedNode> Content::add_path(const std::filesystem::path& path,
                                               const AddOptions& options,
                                               unixfs::ProgressFn progress, unixfs::EntryFn entry) {
  AGORA_TRY(check_nocopy(options));
  auto gc_guard = blocks_->hold_off_gc();  // a collection must not take blocks before the pin
  auto sink = make_sink(*blocks_, options);
  AGORA_ASSIGN(
      unixfs::ImportedNode root,
      unixfs::import_path(path, options.import, *sink, std::move(progress), std::move(entry)));
  if (options.cancel && options.cancel->load()) return make_error(Errc::cancelled, "cancelled");
  AGORA_TRY(commit(*sink));
  if (options.pin && !options.only_hash) AGORA_TRY(pin(root.cid, store::PinType::recursive));
  return root;
}

std::unique_ptr<Content::StreamAdd> Content::add_stream(const AddOptions& options) {
  return std::make_unique<StreamAdd>(*this, options);
}

Content::StreamAdd::StreamAdd(Content& content, AddOptions options)
    : content_(content),
      options_(std::move(options)),
      gc_guard_(content.blocks_->hold_off_gc()),
      sink_(make_sink(*content.blocks_, options_)),
      importer_(std::make_unique<unixfs::FileImporter>(options_.import.profile, *sink_)) {}

Error Content::StreamAdd::nocopy_refused() {
  return make_error(Errc::invalid_input,
                    "--nocopy needs a file to reference, and a streamed add (standard input, a "
                    "request body) has none: add a path instead");
}

Status Content::StreamAdd::write(BytesView chunk) {
  if (options_.nocopy) return nocopy_refused();
  return importer_->write(chunk);
}

Result<unixfs::ImportedNode> Content::StreamAdd::finish() {
  if (options_.nocopy) return nocopy_refused();
  AGORA_ASSIGN(unixfs::ImportedNode root, importer_->finish());
  AGORA_TRY(commit(*sink_));
  if (options_.pin && !options_.only_hash)
    AGORA_TRY(content_.pin(root.cid, store::PinType::recursive));
  return root;
}

Status Content::pin(const Cid& cid, store::PinType type, std::string_view name) {
  return pins_->add(cid, type, name);
}

Status Content::unpin(const Cid& cid, const store::PinRemoveOptions& options) {
  return pins_->remove(cid, options);
}

Result<std::vector<store::Pin>> Content::pins(const store::PinFilter& filter) {
  return pins_->list(filter);
}

Result<store::GcReport> Content::gc() { return store::collect_garbage(*blocks_, *pins_, kLinks); }

Result<store::VerifyReport> Content::verify() {
  return store::verify_blocks(*blocks_, blocks_->quarantine_dir());
}

Result<store::PinCheckReport> Content::verify_pins() {
  return store::verify_pins(*blocks_, *pins_, kLinks);
}

Result<store::RepoStat> Content::stat() { return store::repo_stat(*blocks_, *pins_); }

Result<Cid> Content::resolve(const Cid& root, std::string_view path) {
  BlockstoreSource source(*blocks_);
  return unixfs::resolve_path(source, root, path);
}

Status Content::export_to(const Cid& cid, const std::filesystem::path& dest,
                          const unixfs::ExportLimits& limits, unixfs::BlockSource* from,
                          const unixfs::WrittenBytesFn& written) {
  std::error_code ec;
  auto type = std::filesystem::symlink_status(dest, ec).type();
  if (ec && type != std::filesystem::file_type::not_found)  // e.g. a directory we cannot search
    return make_error(Errc::io, "cannot check " + dest.string() + ": " + ec.message());
  if (type != std::filesystem::file_type::not_found)
    return make_error(Errc::exists, dest.string() + " already exists");
  std::filesystem::path temp = store::partial_output_path(dest);
  AGORA_ASSIGN(std::filesystem::path record, store::record_partial_output(repo_, temp));
  BlockstoreSource blockstore(*blocks_);
  unixfs::BlockSource& source = from ? *from : blockstore;
  Status st = unixfs::export_to_path(source, cid, temp, limits, written);
  if (st) {
    std::filesystem::rename(temp, dest, ec);
    if (ec) st = make_error(Errc::io, "rename into " + dest.string() + ": " + ec.message());
  }
  if (!st) {
    std::filesystem::remove_all(temp, ec);
    st = make_error(st.error().code, name_dest(st.error().message, temp, dest));
  }
  if (std::filesystem::symlink_status(temp, ec).type() == std::filesystem::file_type::not_found)
    (void)store::forget_partial_output(record);  // else the next start removes what is left
  return st;
}

void Content::keep_blocks_of(const std::filesystem::path& temp) {
  auto normal = store::FileRefs::normalize(temp);
  if (!normal) return;
  std::vector<std::pair<Multihash, store::FileRef>> in_temp;
  (void)refs_->for_each([&](const store::FileRefEntry& e) -> Status {
    if (e.problem.empty() && e.ref.path == *normal) in_temp.emplace_back(e.hash, e.ref);
    return {};
  });
  if (in_temp.empty()) return;
  auto batch = blocks_->batch();
  for (const auto& [hash, ref] : in_temp) {
    auto read = blocks_->read_ref(hash, ref, "an unfinished download");
    if (read && read->broken.empty())
      (void)batch.add_verified(Cid::v1(kCodecRaw, hash), read->data);
  }
  (void)batch.commit();
  (void)refs_->remove_file(*normal);
}

Result<std::vector<store::LeftoverPartial>> Content::remove_partial_outputs() {
  return store::remove_partial_outputs(
      repo_, [this](const std::filesystem::path& temp) { keep_blocks_of(temp); });
}

}  // namespace agora
