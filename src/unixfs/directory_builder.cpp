#include "unixfs/directory_builder.h"

#include "codec/dag_pb.h"
#include "unixfs/entry_name.h"
#include "unixfs/node_writer.h"

namespace agora::unixfs {

namespace {

UnixfsData directory_data(const FileMeta& meta) {
  return UnixfsData{.type = UnixfsType::directory, .mode = meta.mode, .mtime = meta.mtime};
}

}  // namespace

DirectoryBuilder::DirectoryBuilder(const Profile& profile, FileMeta meta)
    : profile_(profile), meta_(meta), status_(validate_profile(profile)) {
  // block_bytes counts the node's Data field from the start (js dataFieldSerializedSize).
  if (profile_.hamt_size_estimate == HamtSizeEstimate::block_bytes)
    estimate_bytes_ = dag_pb_data_encoded_bytes(encode_unixfs_data(directory_data(meta_)).size());
}

Status DirectoryBuilder::add(std::string name, const ImportedNode& child, EntryKind kind) {
  if (!status_.ok()) return status_;
  if (finished_) return make_error(Errc::internal, "directory builder: add after finish");
  AGORA_TRY(check_entry_name(name));
  if (!is_valid_utf8(name)) return make_error(Errc::invalid_input, "entry name is not UTF-8");
  if (entries_.size() >= kDirectoryEntriesMax)
    return make_error(Errc::too_large, "directory has more than " +
                                           std::to_string(kDirectoryEntriesMax) + " entries");
  if (!names_.insert(name).second)
    return make_error(Errc::exists, "directory already has an entry '" + name + "'");
  if (kind != EntryKind::directory) {
    size_t cid_bytes = child.cid.bytes().size();
    estimate_bytes_ += profile_.hamt_size_estimate == HamtSizeEstimate::links_bytes
                           ? name.size() + cid_bytes
                           : dag_pb_link_encoded_bytes(cid_bytes, name.size(), child.tsize);
  }
  entries_.push_back(HamtEntry{std::move(name), child.cid, child.tsize, child.size});
  return {};
}

Result<ImportedNode> DirectoryBuilder::finish(BlockSink& sink) {
  if (!status_.ok()) return status_.error();
  if (finished_) return make_error(Errc::internal, "directory builder: finish called twice");
  finished_ = true;
  names_.clear();
  if (sharded())
    return write_hamt(std::move(entries_), profile_.hamt_fanout, profile_.cid_version, meta_, sink);
  return write_flat(sink);
}

Result<ImportedNode> DirectoryBuilder::write_flat(BlockSink& sink) {
  std::vector<PbLink> links;
  links.reserve(entries_.size());
  uint64_t tsize = 0, size = 0;
  for (HamtEntry& e : entries_) {
    tsize += e.tsize;
    size += e.size;
    links.push_back(PbLink{std::move(e.cid), std::move(e.name), e.tsize});
  }
  entries_.clear();
  sort_links_by_name(links);
  AGORA_ASSIGN(WrittenBlock b, write_unixfs_node(sink, profile_.cid_version, directory_data(meta_),
                                                 std::move(links)));
  return ImportedNode{b.cid, b.block_bytes + tsize, size};
}

Result<ImportedNode> write_symlink(const Profile& profile, std::string_view target,
                                   const FileMeta& meta, BlockSink& sink) {
  AGORA_TRY(validate_profile(profile));
  UnixfsData data{.type = UnixfsType::symlink,
                  .data = to_bytes(target),
                  .mode = meta.mode,
                  .mtime = meta.mtime};
  AGORA_ASSIGN(WrittenBlock b, write_unixfs_node(sink, profile.cid_version, data, {}));
  return ImportedNode{b.cid, b.block_bytes, 0};
}

}  // namespace agora::unixfs
