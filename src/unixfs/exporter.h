// Reading UnixFS DAGs from a block source: path resolution through plain and HAMT directories,
// stat, listing, streaming file reads and export to the local filesystem.
//
// Everything from the source is hostile: every block is checked against its CID, every node's
// structure is checked (blocksizes add up to filesize, a child's size matches what its parent
// recorded, HAMT parameters), names are checked before use, and depth, links and entries are
// bounded by ExportLimits.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/dag_pb.h"
#include "codec/unixfs_pb.h"
#include "unixfs/block_sink.h"
#include "unixfs/hamt.h"

namespace agora::unixfs {

struct ExportLimits {
  DagPbLimits dag_pb;
  // Links of one file node: Helia writes 1024, kubo 174. Bounds memory per tree level.
  size_t file_links_max = 1 << 14;
  // Levels of dag-pb nodes inside one file: 1024-link trees of 1 MiB chunks reach a PiB at 4.
  size_t file_depth_max = 16;
  size_t hamt_depth_max = kHamtDepthMax;
  // Path components resolved, and directory nesting written by export_to_path.
  size_t path_depth_max = 256;
  // Entries one listing returns or one export writes (shared subtrees count every time).
  size_t entries_max = 1 << 22;
  // export_to_path: file and symlink bytes written in all (`agora get --max-size`). The DAG's
  // declared size is checked against it before anything is written, and the bytes are counted
  // while writing: a DAG that repeats one block, or whose directory sizes lie, cannot exceed it.
  uint64_t output_bytes_max = UINT64_MAX;
  // export_to_path leaves this much free on the destination's filesystem: the same two checks
  // run against the free space (statvfs f_bavail) less this margin.
  uint64_t disk_free_margin_bytes = 64 << 20;
};

enum class NodeType { file, directory, symlink, raw };
const char* node_type_name(NodeType type);

struct NodeStat {
  NodeType type = NodeType::file;
  bool sharded = false;          // a HAMT directory
  uint64_t size = 0;             // file bytes; target bytes for a symlink; 0 for a directory
  std::optional<uint32_t> mode;  // as stored; absent means 0644 (0755 for directories)
  std::optional<UnixTime> mtime;
  uint64_t dag_bytes = 0;          // this block plus the Tsize its links record (not verified)
  size_t links = 0;                // links of this block
  std::optional<uint64_t> blocks;  // set when known from this block alone (single-block nodes)
};

struct DirEntry {
  std::string name;
  Cid cid;
  std::optional<uint64_t> tsize;
  std::optional<NodeType> type;  // known without fetching only for raw CIDs
};

// `path` is relative to `root`: "a/b/c"; empty components are skipped, "." and ".." refused.
// Errc::not_found when a component is missing or a non-directory is in the way.
Result<Cid> resolve_path(BlockSource& source, const Cid& root, std::string_view path,
                         const ExportLimits& limits = {});

Result<NodeStat> stat(BlockSource& source, const Cid& cid, const ExportLimits& limits = {});

// Entries of a plain or HAMT directory (every shard walked), in link order.
Result<std::vector<DirEntry>> list_directory(BlockSource& source, const Cid& cid,
                                             const ExportLimits& limits = {});

// Streams bytes [offset, offset+length) of a file (or raw block) to `out`, in order, without
// holding the file. An offset past the end is an error; a length past the end is clipped.
Status read_file(BlockSource& source, const Cid& cid, std::function<Status(BytesView)> out,
                 uint64_t offset = 0, std::optional<uint64_t> length = {},
                 const ExportLimits& limits = {});

// What the node at `cid` says it holds, before anything under it is fetched or trusted: a file's
// (or raw block's) bytes, a symlink's target bytes, a directory's link sizes (Tsize) added up
// (saturating; a lie is caught while writing).
Result<uint64_t> declared_bytes(BlockSource& source, const Cid& cid,
                                const ExportLimits& limits = {});

// Writes the file, directory tree or symlink at `cid` to `dest`, which must not exist (its parent
// must). Nothing is ever written outside `dest`: entries are created relative to directory
// handles, never through symlinks, and never over an existing entry. Mode and mtime are not
// applied. Errc::too_large, before anything is written, when the declared size is over
// output_bytes_max or the free space less disk_free_margin_bytes; and while writing, once the
// bytes written pass either. On error the entries already written stay; a half-written file is
// removed. `written`, when given, is called with the file and symlink bytes written so far after
// each write (the last call's total is what the export wrote).
using WrittenBytesFn = std::function<void(uint64_t written_bytes)>;
Status export_to_path(BlockSource& source, const Cid& cid, const std::filesystem::path& dest,
                      const ExportLimits& limits = {}, const WrittenBytesFn& written = {});

}  // namespace agora::unixfs
