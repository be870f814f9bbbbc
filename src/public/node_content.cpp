// agora::Node's content operations. Fetches run on the loop (bitswap, the DHT); importing,
// exporting, reading and the repo's maintenance run on the caller's thread (Content serialises
// itself), so a get crosses the caller's thread and the loop, no other.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "agora/names.h"
#include "public/add_entry.h"
#include "public/content_path.h"
#include "public/fetch_sources.h"
#include "public/node_impl.h"
#include "public/operation_trace.h"
#include "unixfs/export_node.h"

namespace agora {

namespace {

AddResult added(const unixfs::ImportedNode& n) { return {n.cid.to_string(), n.size, n.tsize}; }

GetProgress progress_of(const FetchProgress& p) {
  GetProgress out;
  out.blocks_fetched = p.blocks_fetched;
  out.blocks_local = p.blocks_local;
  out.bytes_fetched = p.bytes_fetched;
  out.bytes_local = p.bytes_local;
  out.blocks_in_flight = p.blocks_in_flight;
  out.blocks_by_peer = p.blocks_by_peer;
  out.bytes_by_peer = p.bytes_by_peer;
  out.choked_by_peer = p.choked_by_peer;
  out.rate_by_peer = p.rate_by_peer;
  return out;
}

Result<::agora::AddOptions> content_options(const AddSettings& s) {
  ::agora::AddOptions o;
  if (s.profile) {
    AGORA_ASSIGN(o.import.profile, unixfs::profile_by_name(*s.profile));
  }
  o.only_hash = s.only_hash;
  o.nocopy = s.nocopy;
  o.pin = s.pin;
  o.import.preserve_mode = s.preserve_mode;
  return o;
}

// What a get may fetch under an output limit: the content plus its dag-pb nodes (under 1/64 of
// it for UnixFS) and a MiB of slack (only the DAG under the path's target is fetched).
uint64_t fetch_cap(const unixfs::ExportLimits& limits) {
  if (limits.output_bytes_max == UINT64_MAX) return 0;
  uint64_t max = limits.output_bytes_max;
  return max + std::min<uint64_t>(max / 64 + (1 << 20), UINT64_MAX - max);
}

// Progress lines while a get writes its destination: at most one per this interval.
constexpr auto kWriteProgressInterval = std::chrono::milliseconds(200);
// Entries' root blocks a listing fetches at once.
constexpr size_t kListFetchBatch = 1024;

std::string daemon_user_name() {
  if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return "uid " + std::to_string(::geteuid());
}

// Before anything is fetched: the destination must not exist, and the daemon (which writes it,
// as the user it runs as) must be able to create it. Errors carry the real errno.
Status check_destination(const std::string& dest_text) {
  std::filesystem::path dest(dest_text);
  std::string as_user = "the daemon writes it as user " + daemon_user_name();
  struct stat st;
  if (::lstat(dest.c_str(), &st) == 0)
    return make_error(Errc::exists, dest_text + " already exists");
  if (errno != ENOENT)
    return make_error(
        Errc::io, "cannot check " + dest_text + ": " + std::strerror(errno) + " (" + as_user + ")");
  std::filesystem::path dir = dest.parent_path();
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    Errc code = errno == ENOENT || errno == ENOTDIR ? Errc::not_found : Errc::io;
    return make_error(code, "cannot write into " + dir.string() + ": " + std::strerror(errno) +
                                " (" + as_user + ")");
  }
  return {};
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

Result<AddResult> Node::add_path(const std::filesystem::path& path, const AddSettings& settings,
                                 const AddProgressFn& progress, CancelToken cancel,
                                 const AddEntryFn& entry) {
  AGORA_ASSIGN(::agora::AddOptions options, content_options(settings));
  options.cancel = cancel.flag();
  auto op = impl_->ops_.start("add", path.string(), cancel);
  auto counted = [&](uint64_t bytes) {
    op->set_bytes(bytes);
    if (progress) progress(bytes);
  };
  AGORA_ASSIGN(unixfs::ImportedNode root,
               impl_->content_->add_path(path, options, counted, entry_hook(entry)));
  if (!options.only_hash) impl_->announce(root.cid);
  return added(root);
}

Result<std::unique_ptr<Node::StreamAdd>> Node::add_stream(const AddSettings& settings) {
  if (settings.nocopy) return Content::StreamAdd::nocopy_refused();
  AGORA_ASSIGN(::agora::AddOptions options, content_options(settings));
  auto add = impl_->content_->add_stream(options);
  return std::unique_ptr<StreamAdd>(
      std::make_unique<ContentStreamAdd>(*impl_, std::move(add), !options.only_hash));
}

Result<std::string> Node::resolve(std::string_view content_path,
                                  const std::vector<std::string>& peers, bool file_only,
                                  CancelToken cancel) {
  AGORA_ASSIGN(Cid cid, impl_->resolve_content_path(content_path, peers, cancel));
  if (!file_only) return cid.to_string();
  AGORA_ASSIGN(auto st,
               impl_->with_fetching<unixfs::NodeStat>(
                   [&cid](unixfs::BlockSource& s) { return unixfs::stat(s, cid); }, cancel));
  if (st.type == unixfs::NodeType::directory)
    return make_error(Errc::invalid_input, std::string(content_path) +
                                               " is a directory: list it with agora ls, or "
                                               "save it with agora get");
  if (st.type == unixfs::NodeType::symlink) {
    // The target is the symlink node's data (read_file refuses symlinks); shown up to a bound.
    LocalBlocks source(impl_->content_->blocks(), cancel);
    auto node = unixfs::load_node(source, cid, {});
    std::string target = node ? std::string(as_chars(node->unixfs.data).substr(0, 1024)) : "?";
    return make_error(Errc::invalid_input, std::string(content_path) + " is a symlink to '" +
                                               target + "': cat the path it points to");
  }
  return cid.to_string();
}

Result<std::string> Node::fetch(std::string_view content_path,
                                const std::vector<std::string>& peers, CancelToken cancel) {
  auto op = impl_->ops_.start("fetch", std::string(content_path), cancel);
  AGORA_ASSIGN(Cid cid, impl_->resolve_content_path(content_path, peers, cancel));
  AGORA_TRY(impl_->fetch_dag(cid, 0, cancel, {}));
  return cid.to_string();
}

namespace {

// Node::get's work; `trace` is told the content's CID once it is known.
Result<GetResult> get_traced(Node::Impl& impl, const GetRequest& request,
                             const GetProgressFn& progress, OperationTrace& trace) {
  AGORA_ASSIGN(auto path, parse_content_path(request.content_path));
  AGORA_TRY(check_destination(request.dest));
  const CancelToken& cancel = request.cancel;
  auto op = impl.ops_.start("get", request.content_path, cancel);
  unixfs::ExportLimits limits;
  if (request.output_bytes_max > 0) limits.output_bytes_max = request.output_bytes_max;
  const auto started = std::chrono::steady_clock::now();
  GetProgress shown;
  auto report = [&] {
    op->set_bytes(shown.bytes_fetched + shown.bytes_local + shown.bytes_written);
    op->set_progress(shown);
    if (progress) progress(shown);
  };
  report();
  AGORA_TRY(impl.connect_peers(request.peers));
  // The blocks on the path, and the target's root (for its declared size), come first.
  FetchProgress resolving;
  AGORA_ASSIGN(Cid cid, impl.resolve_fetching(path.first, path.second, cancel, &resolving));
  trace.activate(cid);
  const bool root_was_stored = impl.content_->blocks().has(cid);
  AGORA_ASSIGN(shown.total_bytes,
               impl.with_fetching<uint64_t>(
                   [&](unixfs::BlockSource& s) { return unixfs::declared_bytes(s, cid, limits); },
                   cancel, &resolving));
  if (shown.total_bytes > limits.output_bytes_max)  // before fetching what would be refused
    return make_error(Errc::too_large, request.content_path + " declares " +
                                           std::to_string(shown.total_bytes) +
                                           " bytes, over the size limit of " +
                                           std::to_string(limits.output_bytes_max) +
                                           " bytes (--max-size); nothing fetched, nothing written");
  shown.phase = "fetching";
  auto on_fetch = [&](const FetchProgress& p) {
    GetProgress next = progress_of(p);
    next.phase = shown.phase;
    next.total_bytes = shown.total_bytes;
    shown = std::move(next);
    report();
  };
  // Totals for the whole get: the blocks its path resolution fetched count too, and a target's
  // root that resolution stored counts as fetched, not local.
  auto whole_get = [&](FetchProgress fetched) {
    fetched.blocks_fetched += resolving.blocks_fetched;
    fetched.bytes_fetched += resolving.bytes_fetched;
    for (const auto& [peer, n] : resolving.blocks_by_peer) fetched.blocks_by_peer[peer] += n;
    for (const auto& [peer, n] : resolving.bytes_by_peer) fetched.bytes_by_peer[peer] += n;
    if (!root_was_stored && fetched.blocks_local > 0) {
      auto root_bytes = impl.content_->blocks().size(cid);
      fetched.blocks_local -= 1;
      fetched.bytes_local -= std::min<uint64_t>(fetched.bytes_local, root_bytes ? *root_bytes : 0);
    }
    return fetched;
  };
  const uint64_t total = shown.total_bytes;
  // A file from agora peers goes straight into the destination, each byte written once.
  AGORA_ASSIGN(std::optional<FetchProgress> direct,
               impl.fetch_file_to(cid, request.dest, total, limits, cancel, on_fetch));
  if (direct) {
    FetchProgress fetched = whole_get(*direct);
    GetResult out;
    out.fetched = progress_of(fetched);
    out.fetched.phase = "done";
    out.fetched.total_bytes = total;
    out.fetched.bytes_written = total;
    out.cid = cid.to_string();
    out.dest = request.dest;
    out.dag_bytes = fetched.bytes_fetched + fetched.bytes_local;
    out.bytes = total;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return out;
  }
  AGORA_ASSIGN(FetchProgress dag, impl.fetch_dag(cid, fetch_cap(limits), cancel, on_fetch));
  FetchProgress fetched = whole_get(dag);
  shown = progress_of(fetched);
  shown.phase = "writing";
  shown.total_bytes = total;
  Content& content = *impl.content_;
  LocalBlocks source(content.blocks(), cancel);
  auto last_report = std::chrono::steady_clock::now();
  AGORA_TRY(content.export_to(cid, request.dest, limits, &source, [&](uint64_t bytes) {
    shown.bytes_written = bytes;
    auto now = std::chrono::steady_clock::now();
    if (now - last_report < kWriteProgressInterval) return;
    last_report = now;
    report();
  }));
  GetResult out;
  out.fetched = shown;  // the totals, the declared size and what was written
  out.fetched.phase = "done";
  out.fetched.blocks_in_flight = 0;
  out.cid = cid.to_string();
  out.dest = request.dest;
  out.dag_bytes = fetched.bytes_fetched + fetched.bytes_local;
  // What the user got: a file's size; for a tree, the bytes of its blocks.
  BlockstoreSource blocks(content.blocks());
  auto st = unixfs::stat(blocks, cid);
  bool is_file = st && st->type != unixfs::NodeType::directory;
  out.bytes = is_file ? st->size : out.dag_bytes;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace

Result<GetResult> Node::get(const GetRequest& request, const GetProgressFn& progress) {
  OperationTrace trace(impl_->node_->spans(), "get", request.traceparent, request.content_path);
  return trace.finish(get_traced(*impl_, request, progress, trace));
}

// The DAG is fetched on the loop while this thread reads it in order: each block is read once it
// is stored (the fetch commits in batches), so bytes flow before the whole file is here.
Status Node::read_file(std::string_view cid_text, const ChunkFn& chunk, CancelToken cancel,
                       std::string_view traceparent) {
  OperationTrace trace(impl_->node_->spans(), "cat", traceparent, std::string(cid_text));
  if (auto cid = Cid::parse(cid_text)) trace.activate(*cid);
  return trace.finish(read_file_untraced(cid_text, chunk, std::move(cancel)));
}

Status Node::read_file_untraced(std::string_view cid_text, const ChunkFn& chunk,
                                CancelToken cancel) {
  AGORA_ASSIGN(Cid cid, Cid::parse(cid_text));
  auto op = impl_->ops_.start("cat", std::string(cid_text), cancel);
  auto signal = std::make_shared<FetchSignal>();
  CancelToken fetch_cancel;  // set once the read ends, however it ends
  if (impl_->node_->bitswap()) {
    asio::co_spawn(
        impl_->io_,
        [n = impl_->node_.get(), cid, signal, flag = fetch_cancel.flag()]() -> rt::awaitable<void> {
          FetchProgressFn woke = [signal](const FetchProgress&) { signal->notify(); };
          auto r = co_await n->fetch_content(cid, kFetchStallTimeout, woke, 0, flag,
                                             /*sequential=*/true);
          signal->finish(r ? Status{} : Status(r.error()));
        },
        [signal](std::exception_ptr e) {
          if (e) signal->finish(make_error(Errc::internal, "the fetch failed inside the node"));
        });
  } else {
    signal->finish({});
  }
  ArrivingBlocks source(impl_->content_->blocks(), *signal, cancel);
  uint64_t sent = 0;
  Status st = unixfs::read_file(source, cid, [&](BytesView b) {
    sent += b.size();
    op->set_bytes(sent);
    return chunk(b);
  });
  fetch_cancel.cancel();
  std::unique_lock lock(signal->mu);
  signal->cv.wait(lock, [&] { return signal->done; });  // within kCancelCheck
  return st;
}

Result<Listing> Node::list(std::string_view cid_text, CancelToken cancel,
                           const ListProgressFn& progress) {
  AGORA_ASSIGN(Cid cid, Cid::parse(cid_text));
  Node::Impl& impl = *impl_;
  AGORA_ASSIGN(unixfs::NodeStat st,
               impl.with_fetching<unixfs::NodeStat>(
                   [&cid](unixfs::BlockSource& s) { return unixfs::stat(s, cid); }, cancel));
  Listing out{cid.to_string(), {}};
  if (st.type != unixfs::NodeType::directory) {
    out.entries.push_back({"", cid.to_string(), st.size, entry_type(st.type)});
    return out;
  }
  AGORA_ASSIGN(
      auto list,
      impl.with_fetching<std::vector<unixfs::DirEntry>>(
          [&cid](unixfs::BlockSource& s) { return unixfs::list_directory(s, cid); }, cancel));
  // Each entry's root block, for its type and size: fetched together, a window at a time.
  ListProgress shown;
  shown.entries_total = list.size();
  FetchProgress fetched;
  std::vector<Cid> missing;
  auto fetch_missing = [&]() -> Status {
    size_t n = missing.size();
    AGORA_TRY(impl.fetch_blocks(std::exchange(missing, {}), cancel, &fetched));
    shown.entries_ready += n;
    shown.blocks_fetched = fetched.blocks_fetched;
    shown.bytes_fetched = fetched.bytes_fetched;
    if (progress) progress(shown);
    return {};
  };
  for (const auto& e : list)
    if (impl.content_->blocks().has(e.cid)) ++shown.entries_ready;
  if (progress) progress(shown);
  for (const auto& e : list) {
    if (!impl.content_->blocks().has(e.cid)) missing.push_back(e.cid);
    if (missing.size() == kListFetchBatch) AGORA_TRY(fetch_missing());
  }
  if (!missing.empty()) AGORA_TRY(fetch_missing());
  LocalBlocks source(impl.content_->blocks(), cancel);
  for (const auto& e : list) {
    auto child = unixfs::stat(source, e.cid);
    out.entries.push_back({e.name, e.cid.to_string(), child ? child->size : 0,
                           child ? entry_type(child->type) : "unknown"});
  }
  return out;
}

Status Node::cat(std::string_view content_path, const std::vector<std::string>& peers,
                 const ChunkFn& chunk, CancelToken cancel) {
  AGORA_ASSIGN(std::string cid, resolve(content_path, peers, true, cancel));
  return read_file(cid, chunk, cancel);
}

Result<Listing> Node::ls(std::string_view content_path, const std::vector<std::string>& peers,
                         CancelToken cancel, const ListProgressFn& progress,
                         std::string_view traceparent) {
  auto op = impl_->ops_.start("ls", std::string(content_path), cancel);
  OperationTrace trace(impl_->node_->spans(), "ls", traceparent, std::string(content_path));
  auto cid = resolve(content_path, peers, false, cancel);
  if (!cid) return trace.finish(Result<Listing>(cid.error()));
  if (auto parsed = Cid::parse(*cid)) trace.activate(*parsed);
  return trace.finish(list(*cid, cancel, progress));
}

Result<std::string> Node::pin_add(std::string_view content_path, bool recursive,
                                  const std::string& name, const GetProgressFn& progress,
                                  CancelToken cancel) {
  auto op = impl_->ops_.start("pin_add", std::string(content_path), cancel);
  AGORA_ASSIGN(Cid cid, impl_->resolve_content_path(content_path, {}, cancel));
  GetProgress shown;
  shown.phase = "fetching";
  if (recursive) {
    AGORA_TRY(impl_->fetch_dag(cid, 0, cancel, [&](const FetchProgress& p) {
      shown = progress_of(p);
      shown.phase = "fetching";
      op->set_bytes(shown.bytes_fetched + shown.bytes_local);
      op->set_progress(shown);
      if (progress) progress(shown);
    }));
  } else {
    AGORA_TRY(impl_->fetch_blocks({cid}, cancel));
  }
  if (cancel.cancelled()) return cancelled_error();
  AGORA_TRY(impl_->content_->pin(
      cid, recursive ? store::PinType::recursive : store::PinType::direct, name));
  return cid.to_string();
}

std::vector<OperationInfo> Node::operations() { return impl_->ops_.list(); }

Status Node::cancel_operation(uint64_t id) { return impl_->ops_.cancel(id); }

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
  if (block.referenced) {  // dropped on the loop, as the bitswap server does; never waited for
    asio::post(impl_->io_, [n = impl_->node_.get(), cid, block] {
      if (n->bitswap()) n->bitswap()->block_corrupt(cid, block);
    });
    return make_error(Errc::io, block.problem + " (the reference is dropped; see agora events)");
  }
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
  Json broken = Json::array();
  for (const auto& b : r.broken_refs)
    broken.push_back({{"cid", Cid::v1(kCodecRaw, b.hash).to_string()},
                      {"file", b.ref.path.string()},
                      {"offset", b.ref.offset},
                      {"length", b.ref.length},
                      {"reason", b.reason},
                      {"removed", b.removed},
                      {"remove_error", b.remove_error}});
  auto pins = impl_->content_->verify_pins();
  Json missing = Json::array();
  if (pins)
    for (const auto& c : pins->missing) missing.push_back(c.to_string());
  return Json{{"clean", r.clean() && pins && pins->complete()},
              {"quarantined", q},
              {"quarantined_count", r.quarantined_count},
              {"checked_refs", r.checked_refs},
              {"good_refs", r.good_refs},
              {"broken_refs", broken},
              {"broken_refs_count", r.broken_ref_count},
              {"errors", r.errors},
              {"pinned_blocks_missing", missing}};
}

Result<Json> Node::repo_stat() {
  AGORA_ASSIGN(store::RepoStat r, impl_->content_->stat());
  return Json{{"blocks_dir", r.blocks_dir.string()},
              {"blocks", r.blocks},
              {"block_bytes", r.block_bytes},
              {"disk_bytes", r.block_disk_bytes},
              {"referenced_blocks", r.referenced_blocks},
              {"referenced_bytes", r.referenced_bytes},
              {"pins", {{"recursive", r.pins.recursive}, {"direct", r.pins.direct}}},
              {"fs_free_bytes", r.fs_free_bytes},
              {"fs_total_bytes", r.fs_total_bytes}};
}

}  // namespace agora
