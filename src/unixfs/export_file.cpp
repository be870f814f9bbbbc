#include "unixfs/export_node.h"

namespace agora::unixfs {

namespace {

class FileReader {
 public:
  FileReader(BlockSource& source, const ExportLimits& limits, std::function<Status(BytesView)>& out)
      : source_(source), limits_(limits), out_(out) {}

  // Emits bytes [start, end) of `node`'s content. Only children that overlap the range are
  // fetched, so the work is bounded by the bytes emitted times the depth.
  Status read(const LoadedNode& node, uint64_t start, uint64_t end, size_t depth) {
    const Bytes& data = node.unixfs.data;
    if (start < data.size()) {
      uint64_t stop = std::min<uint64_t>(end, data.size());
      AGORA_TRY(out_(BytesView(data).subspan(size_t(start), size_t(stop - start))));
    }
    uint64_t offset = data.size();
    for (size_t i = 0; i < node.pb.links.size() && offset < end; ++i) {
      uint64_t child_bytes = node.unixfs.blocksizes[i];
      uint64_t child_end = offset + child_bytes;  // no overflow: checked against file_bytes
      if (child_end > start && child_bytes > 0) {
        AGORA_TRY(read_child(node.pb.links[i].hash, child_bytes, std::max(start, offset) - offset,
                             std::min(end, child_end) - offset, depth + 1));
      }
      offset = child_end;
    }
    return {};
  }

 private:
  Status read_child(const Cid& cid, uint64_t expected_bytes, uint64_t start, uint64_t end,
                    size_t depth) {
    if (depth > limits_.file_depth_max)
      return node_error(Errc::too_large, cid,
                        "file tree deeper than " + std::to_string(limits_.file_depth_max));
    AGORA_ASSIGN(LoadedNode child, load_node(source_, cid, limits_));
    if (child.type != NodeType::file && child.type != NodeType::raw)
      return node_error(Errc::invalid_input, cid,
                        std::string("a ") + node_type_name(child.type) + " inside a file");
    if (child.file_bytes != expected_bytes)
      return node_error(Errc::invalid_input, cid,
                        "holds " + std::to_string(child.file_bytes) + " bytes, its parent says " +
                            std::to_string(expected_bytes));
    return read(child, start, end, depth);
  }

  BlockSource& source_;
  const ExportLimits& limits_;
  std::function<Status(BytesView)>& out_;
};

}  // namespace

Status read_file(BlockSource& source, const Cid& cid, std::function<Status(BytesView)> out,
                 uint64_t offset, std::optional<uint64_t> length, const ExportLimits& limits) {
  AGORA_ASSIGN(LoadedNode root, load_node(source, cid, limits));
  return read_loaded_file(source, root, out, offset, length, limits);
}

Status read_loaded_file(BlockSource& source, const LoadedNode& root,
                        std::function<Status(BytesView)>& out, uint64_t offset,
                        std::optional<uint64_t> length, const ExportLimits& limits) {
  const Cid& cid = root.cid;
  if (root.type != NodeType::file && root.type != NodeType::raw)
    return node_error(Errc::invalid_input, cid,
                      std::string("is a ") + node_type_name(root.type) + ", not a file");
  if (offset > root.file_bytes)
    return node_error(Errc::invalid_input, cid,
                      "offset " + std::to_string(offset) + " past the end (" +
                          std::to_string(root.file_bytes) + " bytes)");
  uint64_t left = root.file_bytes - offset;
  uint64_t end = offset + (length ? std::min(*length, left) : left);
  if (end == offset) return {};
  FileReader reader(source, limits, out);
  return reader.read(root, offset, end, 0);
}

}  // namespace agora::unixfs
