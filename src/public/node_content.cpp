// agora::Node's content operations. Fetches run on the loop (bitswap, the DHT); importing,
// exporting, reading and the repo's maintenance run on the caller's thread (Content serialises
// itself), so a get crosses the caller's thread and the loop, no other.
#include <chrono>

#include "agora/names.h"
#include "public/content_path.h"
#include "public/node_impl.h"

namespace agora {

namespace {

AddResult added(const unixfs::ImportedNode& n) { return {n.cid.to_string(), n.size, n.tsize}; }

GetProgress progress_of(const FetchProgress& p) {
  return {p.blocks_fetched, p.blocks_local,     p.bytes_fetched,
          p.bytes_local,    p.blocks_in_flight, p.blocks_by_peer};
}

Result<::agora::AddOptions> content_options(const AddSettings& s) {
  ::agora::AddOptions o;
  if (s.profile) {
    AGORA_ASSIGN(o.import.profile, unixfs::profile_by_name(*s.profile));
  }
  o.only_hash = s.only_hash;
  o.pin = s.pin;
  o.import.preserve_mode = s.preserve_mode;
  return o;
}

Result<std::vector<Multiaddr>> parse_addrs(const std::vector<std::string>& texts) {
  std::vector<Multiaddr> out;
  for (const std::string& t : texts) {
    AGORA_ASSIGN(Multiaddr a, Multiaddr::parse(t));
    out.push_back(std::move(a));
  }
  return out;
}

// What a get of the whole DAG may fetch under an output limit: the content plus its dag-pb nodes
// (under 1/64 of it for UnixFS) and a MiB of slack. A path below the root is not capped: the
// fetch takes the root's whole DAG, which may be far larger than the part asked for.
uint64_t fetch_cap(const unixfs::ExportLimits& limits, const std::string& path) {
  if (!path.empty() || limits.output_bytes_max == UINT64_MAX) return 0;
  uint64_t max = limits.output_bytes_max;
  return max + std::min<uint64_t>(max / 64 + (1 << 20), UINT64_MAX - max);
}

// Raw leaves are files to a user.
const char* entry_type(unixfs::NodeType t) {
  return t == unixfs::NodeType::raw ? "file" : unixfs::node_type_name(t);
}

class ContentStreamAdd : public Node::StreamAdd {
 public:
  ContentStreamAdd(Node::Impl& impl, std::unique_ptr<Content::StreamAdd> add, bool announce)
      : impl_(impl), add_(std::move(add)), announce_(announce) {}
  Status write(std::span<const uint8_t> chunk) override { return add_->write(chunk); }
  Result<AddResult> finish() override {
    AGORA_ASSIGN(unixfs::ImportedNode root, add_->finish());
    if (announce_) impl_.announce(root.cid);
    return added(root);
  }

 private:
  Node::Impl& impl_;
  std::unique_ptr<Content::StreamAdd> add_;
  bool announce_;
};

}  // namespace

rt::awaitable<Result<FetchProgress>> Node::Impl::fetch_on_loop(
    Cid root, std::vector<Multiaddr> peers, uint64_t fetched_bytes_max,
    std::shared_ptr<Mailbox<FetchProgress>> mailbox) {
  if (!node_->bitswap()) co_return make_error(Errc::unsupported, "this node has no blockstore");
  for (const Multiaddr& addr : peers) {
    auto conn = co_await node_->connect(addr);
    if (!conn) co_return conn.error();
  }
  FetchProgressFn report;
  if (mailbox) report = [mailbox](const FetchProgress& p) { mailbox->push(p); };
  co_return co_await node_->bitswap()->fetch_dag(root, kFetchStallTimeout, report,
                                                 fetched_bytes_max);
}

Result<Cid> Node::Impl::fetch_and_resolve(std::string_view content_path,
                                          const std::vector<std::string>& peer_texts) {
  AGORA_ASSIGN(auto path, parse_content_path(content_path));
  AGORA_ASSIGN(std::vector<Multiaddr> peers, parse_addrs(peer_texts));
  using Fetched = Result<FetchProgress>;
  AGORA_TRY(call_on_loop<Fetched>(
      io_, [this, root = path.first, peers]() { return fetch_on_loop(root, peers, 0, nullptr); }));
  return content_->resolve(path.first, path.second);
}

Result<AddResult> Node::add_path(const std::filesystem::path& path, const AddSettings& settings,
                                 const AddProgressFn& progress) {
  AGORA_ASSIGN(::agora::AddOptions options, content_options(settings));
  AGORA_ASSIGN(unixfs::ImportedNode root, impl_->content_->add_path(path, options, progress));
  if (!options.only_hash) impl_->announce(root.cid);
  return added(root);
}

Result<std::unique_ptr<Node::StreamAdd>> Node::add_stream(const AddSettings& settings) {
  AGORA_ASSIGN(::agora::AddOptions options, content_options(settings));
  auto add = impl_->content_->add_stream(options);
  return std::unique_ptr<StreamAdd>(
      std::make_unique<ContentStreamAdd>(*impl_, std::move(add), !options.only_hash));
}

Result<std::string> Node::fetch(std::string_view content_path,
                                const std::vector<std::string>& peers) {
  AGORA_ASSIGN(Cid cid, impl_->fetch_and_resolve(content_path, peers));
  return cid.to_string();
}

Result<GetResult> Node::get(const GetRequest& request, const GetProgressFn& progress) {
  AGORA_ASSIGN(auto path, parse_content_path(request.content_path));
  AGORA_ASSIGN(std::vector<Multiaddr> peers, parse_addrs(request.peers));
  unixfs::ExportLimits limits;
  if (request.output_bytes_max > 0) limits.output_bytes_max = request.output_bytes_max;
  const auto started = std::chrono::steady_clock::now();
  using Fetched = Result<FetchProgress>;
  using Box = std::shared_ptr<Mailbox<FetchProgress>>;
  std::function<void(const FetchProgress&)> consume = [&progress](const FetchProgress& p) {
    if (progress) progress(progress_of(p));
  };
  Fetched fetched = stream_from_loop<Fetched, FetchProgress>(
      impl_->io_, kProgressItemsMax,
      [this, root = path.first, peers, cap = fetch_cap(limits, path.second)](Box box) {
        return impl_->fetch_on_loop(root, peers, cap, box);
      },
      consume);
  if (!fetched) return fetched.error();
  Content& content = *impl_->content_;
  AGORA_ASSIGN(Cid cid, content.resolve(path.first, path.second));
  AGORA_TRY(content.export_to(cid, request.dest, limits));
  GetResult out;
  out.fetched = progress_of(*fetched);
  out.cid = cid.to_string();
  out.dest = request.dest;
  out.dag_bytes = fetched->bytes_fetched + fetched->bytes_local;
  // What the user got: a file's size; for a tree, the bytes of its blocks.
  BlockstoreSource source(content.blocks());
  auto st = unixfs::stat(source, cid);
  bool is_file = st && st->type != unixfs::NodeType::directory;
  out.bytes = is_file ? st->size : out.dag_bytes;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

Status Node::read_file(std::string_view cid_text, const ChunkFn& chunk) {
  AGORA_ASSIGN(Cid cid, Cid::parse(cid_text));
  BlockstoreSource source(impl_->content_->blocks());
  return unixfs::read_file(source, cid, [&chunk](BytesView b) { return chunk(b); });
}

Result<Listing> Node::list(std::string_view cid_text) {
  AGORA_ASSIGN(Cid cid, Cid::parse(cid_text));
  BlockstoreSource source(impl_->content_->blocks());
  AGORA_ASSIGN(unixfs::NodeStat st, unixfs::stat(source, cid));
  Listing out{cid.to_string(), {}};
  if (st.type != unixfs::NodeType::directory) {
    out.entries.push_back({"", cid.to_string(), st.size, entry_type(st.type)});
    return out;
  }
  AGORA_ASSIGN(auto list, unixfs::list_directory(source, cid));
  for (const auto& e : list) {
    auto child = unixfs::stat(source, e.cid);
    out.entries.push_back({e.name, e.cid.to_string(), child ? child->size : 0,
                           child ? entry_type(child->type) : "unknown"});
  }
  return out;
}

Status Node::cat(std::string_view content_path, const std::vector<std::string>& peers,
                 const ChunkFn& chunk) {
  AGORA_ASSIGN(std::string cid, fetch(content_path, peers));
  return read_file(cid, chunk);
}

Result<Listing> Node::ls(std::string_view content_path, const std::vector<std::string>& peers) {
  AGORA_ASSIGN(std::string cid, fetch(content_path, peers));
  return list(cid);
}

Result<std::string> Node::pin_add(std::string_view content_path, bool recursive,
                                  const std::string& name) {
  AGORA_ASSIGN(Cid cid, impl_->fetch_and_resolve(content_path, {}));
  AGORA_TRY(impl_->content_->pin(
      cid, recursive ? store::PinType::recursive : store::PinType::direct, name));
  return cid.to_string();
}

Result<std::string> Node::pin_remove(std::string_view cid_text,
                                     const std::optional<std::string>& name, bool recursive) {
  AGORA_ASSIGN(Cid cid, Cid::parse(cid_text));
  store::PinRemoveOptions o;
  o.name = name;
  o.recursive = recursive;
  AGORA_TRY(impl_->content_->unpin(cid, o));
  return cid.to_string();
}

Result<std::vector<PinInfo>> Node::pins() {
  AGORA_ASSIGN(std::vector<store::Pin> pins, impl_->content_->pins());
  std::vector<PinInfo> out;
  for (const auto& p : pins)
    out.push_back({p.cid.to_string(), p.type == store::PinType::recursive, p.name});
  return out;
}

size_t Node::block_bytes_max() const { return impl_->content_->blocks().config().block_bytes_max; }

Result<std::string> Node::block_put(std::span<const uint8_t> block, std::string_view codec,
                                    bool pin) {
  AGORA_TRY(validate_block_codec(codec));
  uint64_t code = codec == "raw" ? kCodecRaw : kCodecDagPb;
  if (block.size() > block_bytes_max())
    return make_error(Errc::too_large, "block over the size limit of " +
                                           std::to_string(block_bytes_max()) + " bytes");
  Cid cid = Cid::of(block, code);
  AGORA_TRY(impl_->content_->blocks().put(cid, block));
  if (pin) (void)impl_->content_->pin(cid, store::PinType::direct);
  asio::post(impl_->io_, [n = impl_->node_.get(), cid] {
    if (n->bitswap()) n->bitswap()->block_added(cid);
  });
  return cid.to_string();
}

Result<std::vector<uint8_t>> Node::block_get(std::string_view cid_text) {
  AGORA_ASSIGN(Cid cid, Cid::parse(cid_text));
  AGORA_ASSIGN(auto block, impl_->content_->blocks().get_checked(cid));
  if (!block.corrupt) return std::move(block.data);
  // Moved aside on the loop (the bitswap server's store) before the answer goes out, so a caller
  // that sees the error finds the block in quarantine; a loop too busy to do it in time leaves
  // it pending, and the block is not served either way.
  auto moved = std::make_shared<std::promise<void>>();
  auto moved_future = moved->get_future();
  asio::post(impl_->io_, [n = impl_->node_.get(), cid, moved] {
    if (n->bitswap()) n->bitswap()->quarantine(cid);
    moved->set_value();
  });
  bool in_time = moved_future.wait_for(kQuarantineWait) == std::future_status::ready;
  return make_error(Errc::io, "block " + cid.to_string() + " is corrupt on disk: " +
                                  (in_time ? "quarantined (see agora events)"
                                           : "not served; quarantine pending"));
}

Result<BlockStat> Node::block_stat(std::string_view cid_text) {
  AGORA_ASSIGN(Cid cid, Cid::parse(cid_text));
  AGORA_ASSIGN(auto size, impl_->content_->blocks().size(cid));
  return BlockStat{cid.to_string(), uint64_t(size), codec_name(cid.codec())};
}

Result<Json> Node::repo_gc() {
  AGORA_ASSIGN(store::GcReport r, impl_->content_->gc());
  Json missing = Json::array();
  for (const auto& c : r.missing) missing.push_back(c.to_string());
  return Json{{"removed_blocks", r.removed_blocks},
              {"removed_bytes", r.removed_bytes},
              {"kept_blocks", r.kept_blocks},
              {"kept_bytes", r.kept_bytes},
              {"missing", missing},
              {"errors", r.remove_errors}};
}

Result<Json> Node::repo_verify() {
  AGORA_ASSIGN(store::VerifyReport r, impl_->content_->verify());
  Json q = Json::array();
  for (const auto& f : r.quarantined)
    q.push_back(
        {{"file", f.original.string()}, {"moved_to", f.moved_to.string()}, {"reason", f.reason}});
  auto pins = impl_->content_->verify_pins();
  Json missing = Json::array();
  if (pins)
    for (const auto& c : pins->missing) missing.push_back(c.to_string());
  return Json{{"clean", r.clean() && pins && pins->complete()},
              {"quarantined", q},
              {"quarantined_count", r.quarantined_count},
              {"errors", r.errors},
              {"pinned_blocks_missing", missing}};
}

Result<Json> Node::repo_stat() {
  AGORA_ASSIGN(store::RepoStat r, impl_->content_->stat());
  return Json{{"blocks_dir", r.blocks_dir.string()},
              {"blocks", r.blocks},
              {"block_bytes", r.block_bytes},
              {"disk_bytes", r.block_disk_bytes},
              {"pins", {{"recursive", r.pins.recursive}, {"direct", r.pins.direct}}},
              {"fs_free_bytes", r.fs_free_bytes},
              {"fs_total_bytes", r.fs_total_bytes}};
}

}  // namespace agora
