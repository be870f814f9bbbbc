#include <unordered_set>

#include "unixfs/entry_name.h"
#include "unixfs/export_node.h"

namespace agora::unixfs {

namespace {

std::optional<NodeType> type_from_cid(const Cid& cid) {
  if (cid.codec() == kCodecRaw) return NodeType::raw;
  return std::nullopt;
}

class EntryCollector {
 public:
  EntryCollector(BlockSource& source, const ExportLimits& limits, size_t& entries_left)
      : source_(source), limits_(limits), entries_left_(entries_left) {}

  Status add(const Cid& dir, std::string name, const PbLink& link) {
    if (auto s = check_entry_name(name); !s.ok())
      return node_error(Errc::invalid_input, dir, s.error().message);
    AGORA_TRY(spend(dir));
    if (!names_.insert(name).second)
      return node_error(Errc::invalid_input, dir, "duplicate entry '" + name + "'");
    out_.push_back(DirEntry{std::move(name), link.hash, link.tsize, type_from_cid(link.hash)});
    return {};
  }

  Status add_plain(const LoadedNode& dir) {
    for (const PbLink& link : dir.pb.links) {
      if (!link.name)
        return node_error(Errc::invalid_input, dir.cid, "directory link without name");
      AGORA_TRY(add(dir.cid, *link.name, link));
    }
    return {};
  }

  Status add_shard(const LoadedNode& shard, size_t depth) {
    if (depth > limits_.hamt_depth_max)
      return node_error(Errc::too_large, shard.cid,
                        "HAMT deeper than " + std::to_string(limits_.hamt_depth_max));
    uint64_t fanout = *shard.unixfs.fanout;
    size_t prefix_chars = hamt_prefix_chars(fanout);
    for (const PbLink& link : shard.pb.links) {
      if (!link.name || link.name->size() < prefix_chars)
        return node_error(Errc::invalid_input, shard.cid, "HAMT link name without slot prefix");
      if (link.name->size() > prefix_chars) {
        AGORA_TRY(add(shard.cid, link.name->substr(prefix_chars), link));
        continue;
      }
      // Sub-shards count against the budget too: shared sub-shards must not multiply the work.
      AGORA_TRY(spend(shard.cid));
      AGORA_ASSIGN(LoadedNode sub, load_node(source_, link.hash, limits_));
      if (!sub.sharded || sub.unixfs.fanout != fanout)
        return node_error(Errc::invalid_input, sub.cid,
                          "HAMT sub-shard is not a shard of fanout " + std::to_string(fanout));
      AGORA_TRY(add_shard(sub, depth + 1));
    }
    return {};
  }

  std::vector<DirEntry> take() { return std::move(out_); }

 private:
  Status spend(const Cid& dir) {
    if (entries_left_ == 0)
      return node_error(Errc::too_large, dir,
                        "more than " + std::to_string(limits_.entries_max) + " entries");
    --entries_left_;
    return {};
  }

  BlockSource& source_;
  const ExportLimits& limits_;
  size_t& entries_left_;
  std::unordered_set<std::string> names_;
  std::vector<DirEntry> out_;
};

// The link for `name` in a HAMT: follow the name's slot at each level.
Result<std::optional<Cid>> find_in_shard(BlockSource& source, LoadedNode shard,
                                         std::string_view name, const ExportLimits& limits) {
  HamtHashBits bits(name);
  uint64_t fanout = *shard.unixfs.fanout;
  unsigned level_bits = hamt_bits_per_level(fanout);
  for (size_t depth = 0;; ++depth) {
    if (depth > limits.hamt_depth_max)
      return node_error(Errc::too_large, shard.cid,
                        "HAMT deeper than " + std::to_string(limits.hamt_depth_max));
    std::string prefix = hamt_slot_prefix(bits.take(level_bits), fanout);
    const PbLink* sub = nullptr;
    for (const PbLink& link : shard.pb.links) {
      if (!link.name || link.name->compare(0, prefix.size(), prefix) != 0) continue;
      if (link.name->size() == prefix.size()) {
        sub = &link;
      } else if (std::string_view(*link.name).substr(prefix.size()) == name) {
        return std::optional<Cid>(link.hash);
      }
    }
    if (!sub) return std::optional<Cid>();
    AGORA_ASSIGN(LoadedNode next, load_node(source, sub->hash, limits));
    if (!next.sharded || next.unixfs.fanout != fanout)
      return node_error(Errc::invalid_input, next.cid,
                        "HAMT sub-shard is not a shard of fanout " + std::to_string(fanout));
    shard = std::move(next);
  }
}

Result<std::optional<Cid>> find_entry(BlockSource& source, LoadedNode dir, std::string_view name,
                                      const ExportLimits& limits) {
  if (dir.sharded) return find_in_shard(source, std::move(dir), name, limits);
  for (const PbLink& link : dir.pb.links)
    if (link.name && *link.name == name) return std::optional<Cid>(link.hash);
  return std::optional<Cid>();
}

}  // namespace

Result<std::vector<DirEntry>> directory_entries(BlockSource& source, const LoadedNode& dir,
                                                const ExportLimits& limits, size_t& entries_left) {
  if (dir.type != NodeType::directory)
    return node_error(Errc::invalid_input, dir.cid, "not a directory");
  EntryCollector collector(source, limits, entries_left);
  AGORA_TRY(dir.sharded ? collector.add_shard(dir, 0) : collector.add_plain(dir));
  return collector.take();
}

Result<std::vector<DirEntry>> list_directory(BlockSource& source, const Cid& cid,
                                             const ExportLimits& limits) {
  AGORA_ASSIGN(LoadedNode dir, load_node(source, cid, limits));
  size_t entries_left = limits.entries_max;
  return directory_entries(source, dir, limits, entries_left);
}

Result<Cid> resolve_path(BlockSource& source, const Cid& root, std::string_view path,
                         const ExportLimits& limits) {
  Cid current = root;
  size_t components = 0;
  std::string walked;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (name.empty()) continue;
    if (auto s = check_entry_name(name); !s.ok()) return s.error();
    if (++components > limits.path_depth_max)
      return make_error(Errc::too_large, "path has more than " +
                                             std::to_string(limits.path_depth_max) + " components");
    AGORA_ASSIGN(LoadedNode node, load_node(source, current, limits));
    if (node.type != NodeType::directory)
      return make_error(Errc::not_found, "'" + (walked.empty() ? root.to_string() : walked) +
                                             "' is a " + node_type_name(node.type) +
                                             ", not a directory");
    AGORA_ASSIGN(std::optional<Cid> next, find_entry(source, std::move(node), name, limits));
    walked += walked.empty() ? std::string(name) : "/" + std::string(name);
    if (!next)
      return make_error(Errc::not_found, "no entry '" + walked + "' under " + root.to_string());
    current = std::move(*next);
  }
  return current;
}

Result<NodeStat> stat(BlockSource& source, const Cid& cid, const ExportLimits& limits) {
  AGORA_ASSIGN(LoadedNode node, load_node(source, cid, limits));
  NodeStat st;
  st.type = node.type;
  st.sharded = node.sharded;
  st.mode = node.unixfs.mode;
  st.mtime = node.unixfs.mtime;
  st.links = node.pb.links.size();
  st.dag_bytes = node.block_bytes;
  for (const PbLink& link : node.pb.links) {
    uint64_t t = link.tsize.value_or(0);
    st.dag_bytes = t > UINT64_MAX - st.dag_bytes ? UINT64_MAX : st.dag_bytes + t;  // hostile sizes
  }
  if (node.type == NodeType::file || node.type == NodeType::raw) st.size = node.file_bytes;
  if (node.type == NodeType::symlink) st.size = node.unixfs.data.size();
  if (node.pb.links.empty()) st.blocks = 1;
  return st;
}

Result<uint64_t> declared_bytes(BlockSource& source, const Cid& cid, const ExportLimits& limits) {
  AGORA_ASSIGN(LoadedNode node, load_node(source, cid, limits));
  switch (node.type) {
    case NodeType::file:
    case NodeType::raw:
      return node.file_bytes;
    case NodeType::symlink:
      return uint64_t(node.unixfs.data.size());
    case NodeType::directory:
      break;
  }
  uint64_t total = 0;
  for (const PbLink& link : node.pb.links) {
    uint64_t t = link.tsize.value_or(0);
    total = t > UINT64_MAX - total ? UINT64_MAX : total + t;  // hostile sizes
  }
  return total;
}

const char* node_type_name(NodeType type) {
  switch (type) {
    case NodeType::file:
      return "file";
    case NodeType::directory:
      return "directory";
    case NodeType::symlink:
      return "symlink";
    case NodeType::raw:
      return "raw block";
  }
  return "unknown";
}

}  // namespace agora::unixfs
