#include "node/content.h"

#include "codec/dag_pb.h"
#include "crypto/random.h"
#include "unixfs/file_importer.h"

namespace agora {

namespace {

// Counts blocks and keeps nothing, for --only-hash.
std::unique_ptr<BlockSink> make_sink(store::Blockstore& blocks, bool only_hash) {
  if (only_hash) return std::make_unique<DiscardBlocks>();
  return std::make_unique<BlockstoreSink>(blocks);
}

Status commit(BlockSink& sink) {
  if (auto* s = dynamic_cast<BlockstoreSink*>(&sink)) return s->commit();
  return {};
}

const store::LinksFn kLinks = [](const Cid& cid, BytesView block) {
  return block_links(cid, block);
};

}  // namespace

Result<std::unique_ptr<Content>> Content::open(const std::filesystem::path& repo) {
  AGORA_ASSIGN(auto blocks, store::Blockstore::open(repo / "blocks"));
  AGORA_ASSIGN(auto pins, store::PinStore::open(repo / "agora.db"));
  return std::unique_ptr<Content>(new Content(repo, std::move(blocks), std::move(pins)));
}

Result<unixfs::ImportedNode> Content::add_path(const std::filesystem::path& path,
                                               const AddOptions& options,
                                               unixfs::ProgressFn progress) {
  auto gc_guard = blocks_->hold_off_gc();  // a collection must not take blocks before the pin
  auto sink = make_sink(*blocks_, options.only_hash);
  AGORA_ASSIGN(unixfs::ImportedNode root,
               unixfs::import_path(path, options.import, *sink, std::move(progress)));
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
      sink_(make_sink(*content.blocks_, options_.only_hash)),
      importer_(std::make_unique<unixfs::FileImporter>(options_.import.profile, *sink_)) {}

Status Content::StreamAdd::write(BytesView chunk) { return importer_->write(chunk); }

Result<unixfs::ImportedNode> Content::StreamAdd::finish() {
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
  return store::verify_blocks(*blocks_, repo_ / "quarantine");
}

Result<store::PinCheckReport> Content::verify_pins() {
  return store::verify_pins(*blocks_, *pins_, kLinks);
}

Result<store::RepoStat> Content::stat() { return store::repo_stat(*blocks_, *pins_); }

Result<Cid> Content::resolve(const Cid& root, std::string_view path) {
  BlockstoreSource source(*blocks_);
  return unixfs::resolve_path(source, root, path);
}

Status Content::export_to(const Cid& cid, const std::filesystem::path& dest) {
  std::error_code ec;
  if (std::filesystem::symlink_status(dest, ec).type() != std::filesystem::file_type::not_found)
    return make_error(Errc::exists, dest.string() + " already exists");
  uint8_t rnd[6];
  crypto::random_bytes(rnd, sizeof rnd);
  std::filesystem::path temp =
      dest.parent_path() / ("." + dest.filename().string() + ".agora-partial-" + to_hex(rnd));
  BlockstoreSource source(*blocks_);
  Status st = unixfs::export_to_path(source, cid, temp);
  if (st) {
    std::filesystem::rename(temp, dest, ec);
    if (ec) st = make_error(Errc::io, "rename into " + dest.string() + ": " + ec.message());
  }
  if (!st) std::filesystem::remove_all(temp, ec);
  return st;
}

}  // namespace agora
