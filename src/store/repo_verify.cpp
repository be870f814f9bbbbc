#include "store/repo_verify.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/sha256.h"
#include "store/file_util.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

constexpr size_t kReadChunkBytes = 1 << 20;

// Streams the file through SHA-256: memory stays flat whatever the file size.
// Returns the digest, or why the file could not be read.
Result<crypto::Sha256Digest> hash_file(const fs::path& path, Bytes& buffer) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return make_error(errno == ENOENT ? Errc::not_found : Errc::io, std::strerror(errno));
  crypto::Sha256 sha;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = make_error(Errc::io, std::strerror(errno));
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    sha.update(BytesView(buffer.data(), size_t(n)));
  }
  ::close(fd);
  return sha.finish();
}

// Why the file at `entry` is not a good block, or "" when it is (or cannot be checked).
std::string check_entry(const BlockFileEntry& entry, Bytes& buffer, VerifyReport& report) {
  if (!entry.hash) return entry.bad_name_reason;
  if (entry.hash->code != kMhSha2_256) {
    ++report.unchecked_blocks;
    return "";
  }
  auto digest = hash_file(entry.path, buffer);
  if (!digest.ok()) {
    if (digest.error().code == Errc::not_found) return "";  // removed meanwhile
    return "unreadable: " + digest.error().message;
  }
  if (!std::equal(digest->begin(), digest->end(), entry.hash->digest.begin(),
                  entry.hash->digest.end()))
    return "content does not match its hash (sha2-256 " +
           to_hex(BytesView(digest->data(), digest->size())) + ")";
  ++report.good_blocks;
  return "";
}

void note_broken(Blockstore& blocks, const FileRefEntry& entry, std::string reason,
                 std::optional<FileRef> seen, VerifyReport& report) {
  BrokenRef broken{entry.hash, entry.ref, std::move(reason), false, {}};
  auto dropped = blocks.drop_ref(entry.hash, seen);
  if (dropped.ok()) {
    broken.removed = *dropped;
    if (!*dropped) broken.remove_error = "the reference changed meanwhile; kept";
  } else {
    broken.remove_error = dropped.error().message;
  }
  if (report.broken_refs.size() < kReportCidsMax) report.broken_refs.push_back(std::move(broken));
  ++report.broken_ref_count;
}

// Reads and re-hashes every reference; drops the broken ones.
Status verify_refs(Blockstore& blocks, VerifyReport& report) {
  return blocks.for_each_ref([&](const FileRefEntry& entry) -> Status {
    ++report.checked_refs;
    report.checked_ref_bytes += entry.ref.length;
    std::string what = Cid::v1(kCodecRaw, entry.hash).to_string();
    if (!entry.problem.empty()) {
      note_broken(blocks, entry, "corrupt reference for block " + what + ": " + entry.problem,
                  std::nullopt, report);
      return {};
    }
    auto read = blocks.read_ref(entry.hash, entry.ref, what);
    if (!read.ok()) {
      if (report.errors.size() < kReportCidsMax)
        report.errors.push_back(read.error().message + "; the reference is kept");
      ++report.error_count;
    } else if (!read->broken.empty()) {
      note_broken(blocks, entry, std::move(read->broken), entry.ref, report);
    } else {
      ++report.good_refs;
    }
    return {};
  });
}

}  // namespace

Result<VerifyReport> verify_blocks(Blockstore& blocks, const fs::path& quarantine_dir) {
  VerifyReport report;
  Bytes buffer(kReadChunkBytes);
  bool quarantine_ready = false;
  Status walked = blocks.for_each_file([&](const BlockFileEntry& entry) -> Status {
    ++report.checked_blocks;
    report.checked_bytes += entry.size_bytes;
    std::string reason = check_entry(entry, buffer, report);
    if (reason.empty()) return {};
    if (!quarantine_ready) {
      std::error_code ec;
      fs::create_directories(quarantine_dir, ec);
      if (ec)
        return make_error(Errc::io, quarantine_dir.string() + ": cannot create: " + ec.message());
      quarantine_ready = true;
    }
    auto moved = move_aside(entry.path, quarantine_dir);
    if (!moved.ok()) {
      if (report.errors.size() < kReportCidsMax)
        report.errors.push_back(entry.path.string() + " (" + reason +
                                "): " + moved.error().message);
      ++report.error_count;
      return {};
    }
    if (report.quarantined.size() < kReportCidsMax)
      report.quarantined.push_back({entry.path, *moved, reason});
    ++report.quarantined_count;
    return {};
  });
  AGORA_TRY(walked);
  if (quarantine_ready && blocks.config().fsync) AGORA_TRY(fsync_directory(quarantine_dir));
  AGORA_TRY(verify_refs(blocks, report));
  return report;
}

Result<PinCheckReport> verify_pins(const Blockstore& blocks, const PinStore& pins,
                                   const LinksFn& links) {
  AGORA_ASSIGN(PinnedDags dags, walk_pinned_dags(blocks, pins, links));
  PinCheckReport report;
  report.reached_blocks = dags.reached.size();
  report.present_blocks = dags.present_count;
  report.present_bytes = dags.present_bytes;
  report.missing = std::move(dags.missing);
  report.missing_count = dags.missing_count;
  report.undecodable = std::move(dags.undecodable);
  report.undecodable_count = dags.undecodable_count;
  return report;
}

}  // namespace agora::store
