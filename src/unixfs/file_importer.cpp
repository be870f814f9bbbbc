#include "unixfs/file_importer.h"

#include "unixfs/node_writer.h"

namespace agora::unixfs {

FileImporter::FileImporter(const Profile& profile, BlockSink& sink, FileMeta meta)
    : profile_(profile), sink_(sink), meta_(meta), status_(validate_profile(profile)) {}

Status FileImporter::fail(Error e) {
  status_ = e;
  return e;
}

Status FileImporter::write(BytesView data) {
  if (!status_.ok()) return status_;
  if (finished_) return fail(make_error(Errc::internal, "file importer: write after finish"));
  bytes_written_ += data.size();
  while (!data.empty()) {
    size_t take = std::min(data.size(), profile_.chunk_bytes - chunk_.size());
    chunk_.insert(chunk_.end(), data.begin(), data.begin() + take);
    data = data.subspan(take);
    if (chunk_.size() == profile_.chunk_bytes) {
      Bytes full;
      full.swap(chunk_);
      if (auto s = complete_chunk(std::move(full)); !s.ok()) return fail(s.error());
    }
  }
  return {};
}

Status FileImporter::complete_chunk(Bytes chunk) {
  ++chunks_;
  if (chunks_ == 1) {
    first_chunk_ = std::move(chunk);
    return {};
  }
  if (first_chunk_) {
    AGORA_ASSIGN(Child first, write_leaf(std::move(*first_chunk_)));
    first_chunk_.reset();
    AGORA_TRY(push(0, std::move(first)));
  }
  AGORA_ASSIGN(Child leaf, write_leaf(std::move(chunk)));
  return push(0, std::move(leaf));
}

Result<FileImporter::Child> FileImporter::write_leaf(Bytes chunk) {
  uint64_t file_bytes = chunk.size();
  uint64_t offset = leaf_offset_;
  leaf_offset_ += file_bytes;
  if (profile_.raw_leaves) {
    // Raw leaves are CIDv1 whatever the profile's version: CIDv0 can only name dag-pb.
    Child leaf{Cid::of(chunk, kCodecRaw, 1), file_bytes, file_bytes};
    AGORA_TRY(sink_.put_leaf(leaf.cid, std::move(chunk), offset));
    return leaf;
  }
  UnixfsData data{.type = UnixfsType::file, .data = std::move(chunk)};
  AGORA_ASSIGN(WrittenBlock b, write_unixfs_node(sink_, profile_.cid_version, data, {}));
  return Child{b.cid, b.block_bytes, file_bytes};
}

// js keeps metadata on a single-chunk file by wrapping the chunk in a File node. (For dag-pb
// leaves js 17 wraps the encoded leaf block instead of the chunk, which corrupts the content; we
// wrap the chunk in both cases.)
Result<FileImporter::Child> FileImporter::write_single_with_meta(Bytes chunk) {
  uint64_t file_bytes = chunk.size();
  UnixfsData data{
      .type = UnixfsType::file, .data = std::move(chunk), .mode = meta_.mode, .mtime = meta_.mtime};
  AGORA_ASSIGN(WrittenBlock b, write_unixfs_node(sink_, profile_.cid_version, data, {}));
  return Child{b.cid, b.block_bytes, file_bytes};
}

Status FileImporter::push(size_t level, Child child) {
  if (levels_.size() <= level) {
    levels_.resize(level + 1);
    level_nodes_.resize(level + 1, 0);
  }
  levels_[level].push_back(std::move(child));
  ++level_nodes_[level];
  if (levels_[level].size() < profile_.links_per_node_max) return {};
  AGORA_ASSIGN(Child parent, write_parent(levels_[level]));
  levels_[level].clear();
  return push(level + 1, std::move(parent));
}

// Every interior node carries the file's metadata, as js writes it.
Result<FileImporter::Child> FileImporter::write_parent(std::vector<Child>& children) {
  UnixfsData data{.type = UnixfsType::file, .mode = meta_.mode, .mtime = meta_.mtime};
  std::vector<PbLink> links;
  links.reserve(children.size());
  uint64_t tsize = 0, file_bytes = 0;
  for (const Child& c : children) {
    data.blocksizes.push_back(c.file_bytes);
    links.push_back(PbLink{c.cid, std::string(), c.tsize});
    tsize += c.tsize;
    file_bytes += c.file_bytes;
  }
  AGORA_ASSIGN(WrittenBlock b,
               write_unixfs_node(sink_, profile_.cid_version, data, std::move(links)));
  return Child{b.cid, b.block_bytes + tsize, file_bytes};
}

Result<ImportedNode> FileImporter::finish() {
  if (!status_.ok()) return status_.error();
  if (finished_) return make_error(Errc::internal, "file importer: finish called twice");
  finished_ = true;
  // The chunker always yields at least one chunk, an empty one for an empty file.
  if (!chunk_.empty() || chunks_ == 0) {
    Bytes last;
    last.swap(chunk_);
    if (auto s = complete_chunk(std::move(last)); !s.ok()) return fail(s.error()).error();
  }
  if (chunks_ == 1) {
    Bytes only = std::move(*first_chunk_);
    first_chunk_.reset();
    auto leaf =
        meta_.empty() ? write_leaf(std::move(only)) : write_single_with_meta(std::move(only));
    if (!leaf.ok()) return fail(leaf.error()).error();
    return ImportedNode{leaf->cid, leaf->tsize, leaf->file_bytes};
  }
  auto root = finish_tree();
  if (!root.ok()) return fail(root.error()).error();
  return root;
}

// Closes partial groups bottom up. A level that ever held a single node holds the root; any other
// non-empty level becomes one more parent, as js's balanced() batches each level in turn.
Result<ImportedNode> FileImporter::finish_tree() {
  for (size_t level = 0; level < levels_.size(); ++level) {
    std::vector<Child>& nodes = levels_[level];
    if (nodes.empty()) continue;
    if (level_nodes_[level] == 1)
      return ImportedNode{nodes[0].cid, nodes[0].tsize, nodes[0].file_bytes};
    AGORA_ASSIGN(Child parent, write_parent(nodes));
    nodes.clear();
    AGORA_TRY(push(level + 1, std::move(parent)));
  }
  return make_error(Errc::internal, "file importer: no root");
}

}  // namespace agora::unixfs
