// agora::Node's fetching: only the blocks an operation reads. A path is resolved block by block
// (each directory node or HAMT shard it crosses), a listing costs its directory's blocks and its
// entries' root blocks, and only get, pin add and cat fetch a whole DAG, the one under their
// target. Fetches run on the loop (bitswap); the caller's thread waits for them.
#include "node/file_output.h"
#include "public/content_path.h"
#include "public/fetch_sources.h"
#include "public/node_impl.h"
#include "unixfs/exporter.h"

namespace agora {

namespace {

// Blocks one resolve, stat or listing may fetch one at a time (each round runs it again from
// the start): a 256-component path through HAMT directories stays well under it.
constexpr size_t kFetchRoundsMax = 4096;

}  // namespace

Status Node::Impl::connect_peers(const std::vector<std::string>& peers) {
  for (const std::string& text : peers) {
    AGORA_ASSIGN(Multiaddr addr, Multiaddr::parse(text));
    auto connected = call_on_loop<Result<std::shared_ptr<rt::Connection>>>(
        io_, [this, addr]() { return node_->connect(addr); });
    if (!connected)
      return make_error(connected.error().code,
                        "--peer " + text + " did not connect: " + connected.error().message);
  }
  return {};
}

Status Node::Impl::fetch_blocks(std::vector<Cid> blocks, const CancelToken& cancel,
                                FetchProgress* tally) {
  if (!node_->bitswap()) return make_error(Errc::unsupported, "this node has no blockstore");
  using Fetched = Result<FetchProgress>;
  Fetched fetched = call_on_loop<Fetched>(
      io_, [this, blocks = std::move(blocks), flag = cancel.flag()]() mutable {
        return node_->bitswap()->fetch_blocks(std::move(blocks), kFetchStallTimeout, flag);
      });
  if (!fetched) return fetched.error();
  if (tally) {
    tally->blocks_fetched += fetched->blocks_fetched;
    tally->bytes_fetched += fetched->bytes_fetched;
    for (const auto& [peer, n] : fetched->blocks_by_peer) tally->blocks_by_peer[peer] += n;
    for (const auto& [peer, n] : fetched->bytes_by_peer) tally->bytes_by_peer[peer] += n;
  }
  return {};
}

template <class T>
Result<T> Node::Impl::with_fetching(const std::function<Result<T>(unixfs::BlockSource&)>& read,
                                    const CancelToken& cancel, FetchProgress* tally) {
  for (size_t round = 0; round < kFetchRoundsMax; ++round) {
    LocalBlocks source(content_->blocks(), cancel);
    Result<T> out = read(source);
    if (out || !source.missing()) return out;
    AGORA_TRY(fetch_blocks({*source.missing()}, cancel, tally));
  }
  return make_error(Errc::too_large, "needed more than " + std::to_string(kFetchRoundsMax) +
                                         " blocks fetched one at a time");
}

template Result<unixfs::NodeStat> Node::Impl::with_fetching(
    const std::function<Result<unixfs::NodeStat>(unixfs::BlockSource&)>&, const CancelToken&,
    FetchProgress*);
template Result<std::vector<unixfs::DirEntry>> Node::Impl::with_fetching(
    const std::function<Result<std::vector<unixfs::DirEntry>>(unixfs::BlockSource&)>&,
    const CancelToken&, FetchProgress*);
template Result<uint64_t> Node::Impl::with_fetching(
    const std::function<Result<uint64_t>(unixfs::BlockSource&)>&, const CancelToken&,
    FetchProgress*);

Result<Cid> Node::Impl::resolve_fetching(const Cid& root, std::string_view path,
                                         const CancelToken& cancel, FetchProgress* tally) {
  std::string p(path);
  return with_fetching<Cid>(
      [&root, &p](unixfs::BlockSource& source) { return unixfs::resolve_path(source, root, p); },
      cancel, tally);
}

Result<Cid> Node::Impl::resolve_content_path(std::string_view content_path,
                                             const std::vector<std::string>& peers,
                                             const CancelToken& cancel) {
  AGORA_ASSIGN(auto path, parse_content_path(content_path));
  AGORA_TRY(connect_peers(peers));
  return resolve_fetching(path.first, path.second, cancel);
}

Result<FetchProgress> Node::Impl::fetch_dag(
    const Cid& root, uint64_t fetched_bytes_max, const CancelToken& cancel,
    const std::function<void(const FetchProgress&)>& progress) {
  if (!node_->bitswap()) return make_error(Errc::unsupported, "this node has no blockstore");
  using Fetched = Result<FetchProgress>;
  using Box = std::shared_ptr<Mailbox<FetchProgress>>;
  std::optional<FetchProgress> last;
  std::function<void(const FetchProgress&)> consume = [&](const FetchProgress& p) {
    last = p;
    if (progress) progress(p);
  };
  std::function<void()> heartbeat = [&] {
    if (progress) progress(last ? *last : FetchProgress{});
  };
  return stream_from_loop<Fetched, FetchProgress>(
      io_, kProgressItemsMax,
      [this, root, fetched_bytes_max, flag = cancel.flag(), report = bool(progress)](Box box) {
        FetchProgressFn to_box;
        if (report) to_box = [box](const FetchProgress& p) { box->push(p); };
        return node_->fetch_content(root, kFetchStallTimeout, to_box, fetched_bytes_max, flag);
      },
      consume, heartbeat);
}

Result<std::optional<FetchProgress>> Node::Impl::fetch_file_to(
    const Cid& root, const std::filesystem::path& dest, uint64_t size_bytes,
    const unixfs::ExportLimits& limits, const CancelToken& cancel,
    const std::function<void(const FetchProgress&)>& progress) {
  using None = std::optional<FetchProgress>;
  if (!node_->xfer()) return None();
  BlockstoreSource stored(content_->blocks());
  auto st = unixfs::stat(stored, root);
  if (!st || (st->type != unixfs::NodeType::file && st->type != unixfs::NodeType::raw))
    return None();
  // Created once the skeleton has come: a fetch xfer cannot serve leaves nothing behind.
  std::unique_ptr<FileOutput> out;
  XferService::OpenOutput open_output = [&](uint64_t file_bytes) -> Result<FileOutput*> {
    AGORA_ASSIGN(
        out, FileOutput::create(
                 repo_.root, dest, std::max(file_bytes, size_bytes), limits, &content_->file_refs(),
                 [this](const std::filesystem::path& temp) { content_->keep_blocks_of(temp); }));
    return out.get();
  };
  using Fetched = Result<FetchProgress>;
  using Box = std::shared_ptr<Mailbox<FetchProgress>>;
  std::optional<FetchProgress> last;
  std::function<void(const FetchProgress&)> consume = [&](const FetchProgress& p) {
    last = p;
    if (progress) progress(p);
  };
  std::function<void()> heartbeat = [&] {
    if (progress) progress(last ? *last : FetchProgress{});
  };
  Fetched fetched = stream_from_loop<Fetched, FetchProgress>(
      io_, kProgressItemsMax,
      [this, root, open_output, max = size_bytes, flag = cancel.flag(),
       report = bool(progress)](Box box) {
        FetchProgressFn to_box;
        if (report) to_box = [box](const FetchProgress& p) { box->push(p); };
        return node_->xfer()->fetch_file(root, kFetchStallTimeout, to_box, max, flag, false,
                                         open_output);
      },
      consume, heartbeat);
  if (!fetched) {
    Errc code = fetched.error().code;
    if (code == Errc::cancelled || code == Errc::too_large || code == Errc::io ||
        code == Errc::exists)
      return fetched.error();
    return None();  // `out` goes, and its temporary with it
  }
  if (!out) return make_error(Errc::internal, "xfer ended without its output");
  AGORA_TRY(out->finish());
  return std::optional<FetchProgress>(std::move(*fetched));
}

}  // namespace agora
