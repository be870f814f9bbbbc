// Checking the repo: every block re-hashed, corrupt files quarantined (never deleted), and the
// DAGs under the pins checked for missing blocks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/dag_walk.h"

namespace agora::store {

struct QuarantinedFile {
  std::filesystem::path original;
  std::filesystem::path moved_to;
  std::string reason;
};

// A file reference whose file no longer holds its block (store/file_refs.h).
struct BrokenRef {
  Multihash hash;
  FileRef ref;
  std::string reason;  // names the file and offset
  bool removed = false;
  std::string remove_error;  // why it could not be removed
};

struct VerifyReport {
  uint64_t checked_blocks = 0;  // files looked at
  uint64_t checked_bytes = 0;
  uint64_t good_blocks = 0;
  // Valid names with a hash function we cannot compute (not sha2-256): left alone.
  uint64_t unchecked_blocks = 0;
  std::vector<QuarantinedFile> quarantined;  // at most kReportCidsMax
  uint64_t quarantined_count = 0;
  // Corrupt files that could not be moved; they stay where they are.
  std::vector<std::string> errors;  // at most kReportCidsMax
  uint64_t error_count = 0;
  // File references: each one read and re-hashed. A broken one is dropped (the user's file is
  // never touched); one that cannot be read now (permissions, I/O) is kept and counted in errors.
  uint64_t checked_refs = 0;
  uint64_t checked_ref_bytes = 0;
  uint64_t good_refs = 0;
  std::vector<BrokenRef> broken_refs;  // at most kReportCidsMax
  uint64_t broken_ref_count = 0;

  bool clean() const { return quarantined_count == 0 && error_count == 0 && broken_ref_count == 0; }
};

// Re-hashes every block file. A file whose content does not match its name, that cannot be read,
// or whose name is not a block key (or sits in the wrong shard) is moved into `quarantine_dir`
// (created if needed; same filesystem as the blocks) under its own name, with a numeric suffix
// when that name is taken. Then checks every file reference (see VerifyReport). Errors only when
// a walk itself fails.
Result<VerifyReport> verify_blocks(Blockstore& blocks, const std::filesystem::path& quarantine_dir);

struct PinCheckReport {
  uint64_t reached_blocks = 0;  // distinct blocks the pins reach
  uint64_t present_blocks = 0;
  uint64_t present_bytes = 0;
  std::vector<Cid> missing;
  uint64_t missing_count = 0;
  std::vector<UndecodableBlock> undecodable;
  uint64_t undecodable_count = 0;

  bool complete() const { return missing_count == 0 && undecodable_count == 0; }
};

// Walks every pinned DAG and reports the blocks missing from the store or not decodable.
Result<PinCheckReport> verify_pins(const Blockstore& blocks, const PinStore& pins,
                                   const LinksFn& links);

}  // namespace agora::store
