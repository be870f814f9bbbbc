// The values agora::Node's content operations take and give: add, get, list, pins, blocks.
// CIDs and peer ids are text; sizes are bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agora/operations.h"
#include "agora/result.h"

namespace agora {

struct AddSettings {
  std::optional<std::string> profile;  // a UnixFS profile name (unixfs-v1-2025 when absent)
  bool only_hash = false;              // compute CIDs, store nothing
  // add_path only: the files' leaves are referenced where they are (path, offset, length), not
  // copied into the repo (kubo's filestore); a changed file is detected when read. Needs a
  // profile with raw leaves.
  bool nocopy = false;
  bool pin = true;  // recursive pin on the root
  // Off by default, as in kubo and Helia: metadata changes the CIDs.
  bool preserve_mode = false;  // keep permission bits (executable bits) in UnixFS mode
};

struct AddResult {
  std::string cid;
  uint64_t size = 0;       // the content's bytes
  uint64_t dag_bytes = 0;  // the content's blocks, UnixFS nodes included
};

using AddProgressFn = std::function<void(uint64_t bytes_read)>;

// An entry below an added directory, reported once imported: a directory's entries come before
// it, so the root (the add's result, not an entry) would come last.
struct AddEntry {
  std::string path;  // relative to the added root: '/'-separated names
  std::string cid;
  uint64_t size = 0;  // file bytes (for a directory: of the files below it)
  std::string type;   // file, directory or symlink
};

using AddEntryFn = std::function<void(const AddEntry&)>;

struct GetRequest {
  std::string content_path;        // <cid>[/path], or /ipfs/<cid>[/path]
  std::vector<std::string> peers;  // multiaddrs to dial first (none: providers from the DHT)
  std::string dest;                // absolute; written atomically; must not exist
  uint64_t output_bytes_max = 0;   // what the export may write; 0: no limit
  CancelToken cancel;
  // A W3C traceparent ("00-<trace id>-<span id>-01"): the get is traced under it (docs/tracing.md)
  // and its requests to other peers with it. Empty or malformed: not traced.
  std::string traceparent;
};

// Totals of a fetch so far (a resumed fetch counts what it already had as local).
struct GetProgress {
  // resolving (the path's blocks), fetching (the DAG under it), writing (the destination), then
  // done in a GetResult.
  std::string phase = "resolving";
  // What the content declares: a file's size; for a tree, its links' sizes (blocks included).
  // 0 until known.
  uint64_t total_bytes = 0;
  uint64_t bytes_written = 0;   // file and symlink bytes written to the destination so far
  uint64_t blocks_fetched = 0;  // over the network
  uint64_t blocks_local = 0;    // already stored
  uint64_t bytes_fetched = 0;
  uint64_t bytes_local = 0;
  size_t blocks_in_flight = 0;
  std::map<std::string, uint64_t> blocks_by_peer;  // peer id -> blocks it sent us
  std::map<std::string, uint64_t> bytes_by_peer;   // peer id -> bytes of those blocks
  // Over /agora/xfer: every peer the download has a stream to -> whether it chokes us now,
  // and the bytes per second each sent lately. Empty over bitswap.
  std::map<std::string, bool> choked_by_peer;
  std::map<std::string, uint64_t> rate_by_peer;
};

using GetProgressFn = std::function<void(const GetProgress&)>;

struct GetResult {
  GetProgress fetched;  // the totals at the end: phase "done", bytes_written what was written
  std::string cid;      // what the path resolved to
  std::string dest;
  uint64_t dag_bytes = 0;  // every block of the DAG fetched, fetched or local
  uint64_t bytes = 0;      // a file's size; for a tree, its blocks' bytes
  double seconds = 0;
};

// A chunk of a file's bytes; an error stops the read (and is returned by it).
using ChunkFn = std::function<Status(std::span<const uint8_t>)>;

struct ListEntry {
  std::string name;  // "" when the listed CID is a file
  std::string cid;
  uint64_t size = 0;
  std::string type;  // file, directory, symlink, ... ("unknown" when it cannot be read)
};

struct Listing {
  std::string cid;
  std::vector<ListEntry> entries;
};

// A listing's progress: its entries' root blocks (each entry's type and size) being fetched.
struct ListProgress {
  uint64_t entries_total = 0;  // the directory's entries, once its blocks are read
  uint64_t entries_ready = 0;  // of those, with their root block stored
  uint64_t blocks_fetched = 0;
  uint64_t bytes_fetched = 0;
};

using ListProgressFn = std::function<void(const ListProgress&)>;

struct PinInfo {
  std::string cid;
  bool recursive = true;  // else direct
  std::string name;
};

struct BlockStat {
  std::string cid;
  uint64_t size = 0;
  std::string codec;
};

}  // namespace agora
