#include "codec/unixfs_pb.h"

#include <limits>

#include "codec/protobuf.h"

namespace agora {

namespace {

enum Field : uint32_t {
  kType = 1,
  kData = 2,
  kFilesize = 3,
  kBlocksizes = 4,
  kHashType = 5,
  kFanout = 6,
  kMode = 7,
  kMtime = 8,
};
constexpr uint32_t kTimeSeconds = 1;
constexpr uint32_t kTimeNanos = 2;
constexpr uint64_t kTypeMax = uint64_t(UnixfsType::hamt_shard);

Error ufs_error(Errc code, std::string message) {
  return make_error(code, "unixfs: " + std::move(message));
}

Status expect_type(const pb::Field& f, pb::WireType want, const char* name) {
  if (f.type != want)
    return ufs_error(Errc::invalid_input, std::string(name) + " has wrong wire type");
  return {};
}

Result<UnixTime> decode_time(BytesView in) {
  pb::Reader r(in);
  UnixTime t;
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number == kTimeSeconds) {
      AGORA_TRY(expect_type(f, pb::kVarint, "mtime Seconds"));
      t.seconds = int64_t(f.varint);  // int64 on the wire is two's complement
    } else if (f.number == kTimeNanos) {
      AGORA_TRY(expect_type(f, pb::kFixed32, "mtime FractionalNanoseconds"));
      if (f.varint > kUnixTimeNanosMax)
        return ufs_error(Errc::invalid_input, "mtime nanoseconds of a second over 999999999");
      t.nanos = uint32_t(f.varint);
    }
  }
  return t;
}

// blocksizes may arrive packed (a proto3 encoder would do that) or one varint per field.
Status decode_blocksizes(const pb::Field& f, UnixfsData& d, const UnixfsLimits& limits) {
  auto push = [&](uint64_t v) -> Status {
    if (d.blocksizes.size() >= limits.blocksizes_max)
      return ufs_error(Errc::too_large,
                       "more than " + std::to_string(limits.blocksizes_max) + " blocksizes");
    d.blocksizes.push_back(v);
    return {};
  };
  if (f.type == pb::kVarint) return push(f.varint);
  if (f.type != pb::kLen) return ufs_error(Errc::invalid_input, "blocksizes has wrong wire type");
  // Packed: protobuf varints back to back (up to 10 bytes each, non-minimal allowed).
  BytesView in = f.bytes;
  size_t pos = 0;
  while (pos < in.size()) {
    uint64_t v = 0;
    size_t i = 0;
    for (;; ++i) {
      if (pos + i >= in.size() || i >= 10)
        return ufs_error(Errc::invalid_input, "bad varint in packed blocksizes");
      uint8_t b = in[pos + i];
      if (i == 9 && b > 1) return ufs_error(Errc::invalid_input, "blocksize over 64 bits");
      v |= uint64_t(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) break;
    }
    pos += i + 1;
    AGORA_TRY(push(v));
  }
  return {};
}

Status decode_field(const pb::Field& f, UnixfsData& d, const UnixfsLimits& limits, bool& has_type) {
  switch (f.number) {
    case kType:
      AGORA_TRY(expect_type(f, pb::kVarint, "Type"));
      if (f.varint > kTypeMax)
        return ufs_error(Errc::unsupported, "unknown Type " + std::to_string(f.varint));
      d.type = UnixfsType(f.varint);
      has_type = true;
      return {};
    case kData:
      AGORA_TRY(expect_type(f, pb::kLen, "Data"));
      d.data.assign(f.bytes.begin(), f.bytes.end());
      return {};
    case kFilesize:
      AGORA_TRY(expect_type(f, pb::kVarint, "filesize"));
      d.filesize = f.varint;
      return {};
    case kBlocksizes:
      return decode_blocksizes(f, d, limits);
    case kHashType:
      AGORA_TRY(expect_type(f, pb::kVarint, "hashType"));
      d.hash_type = f.varint;
      return {};
    case kFanout:
      AGORA_TRY(expect_type(f, pb::kVarint, "fanout"));
      d.fanout = f.varint;
      return {};
    case kMode:
      AGORA_TRY(expect_type(f, pb::kVarint, "mode"));
      if (f.varint > std::numeric_limits<uint32_t>::max())
        return ufs_error(Errc::invalid_input, "mode over 32 bits");
      d.mode = uint32_t(f.varint);
      return {};
    case kMtime: {
      AGORA_TRY(expect_type(f, pb::kLen, "mtime"));
      AGORA_ASSIGN(d.mtime, decode_time(f.bytes));
      return {};
    }
    default:
      return {};  // unknown field: skipped
  }
}

}  // namespace

const char* unixfs_type_name(UnixfsType type) {
  switch (type) {
    case UnixfsType::raw:
      return "raw";
    case UnixfsType::directory:
      return "directory";
    case UnixfsType::file:
      return "file";
    case UnixfsType::metadata:
      return "metadata";
    case UnixfsType::symlink:
      return "symlink";
    case UnixfsType::hamt_shard:
      return "hamt-sharded-directory";
  }
  return "unknown";
}

bool unixfs_is_directory(UnixfsType type) {
  return type == UnixfsType::directory || type == UnixfsType::hamt_shard;
}

std::optional<uint64_t> unixfs_file_bytes(const UnixfsData& d) {
  if (unixfs_is_directory(d.type)) return 0;
  uint64_t sum = d.data.size();
  for (uint64_t s : d.blocksizes) {
    if (s > std::numeric_limits<uint64_t>::max() - sum) return std::nullopt;
    sum += s;
  }
  return sum;
}

Bytes encode_unixfs_data(const UnixfsData& d) {
  pb::Writer w;
  w.varint(kType, uint64_t(d.type));
  if (!d.data.empty()) w.bytes(kData, d.data);
  if (d.type == UnixfsType::file || d.type == UnixfsType::raw)
    w.varint(kFilesize, unixfs_file_bytes(d).value_or(0));
  for (uint64_t s : d.blocksizes) w.varint(kBlocksizes, s);
  if (d.hash_type) w.varint(kHashType, *d.hash_type);
  if (d.fanout) w.varint(kFanout, *d.fanout);
  if (d.mode) {
    uint32_t fallback =
        unixfs_is_directory(d.type) ? kUnixfsDirectoryModeDefault : kUnixfsFileModeDefault;
    if (*d.mode != fallback) w.varint(kMode, *d.mode);
  }
  if (d.mtime) {
    pb::Writer t;
    t.varint(kTimeSeconds, uint64_t(d.mtime->seconds));
    if (d.mtime->nanos) t.fixed32(kTimeNanos, *d.mtime->nanos);
    w.bytes(kMtime, t.data());
  }
  return w.take();
}

Result<UnixfsData> decode_unixfs_data(BytesView in, const UnixfsLimits& limits) {
  pb::Reader r(in);
  UnixfsData d;
  bool has_type = false;
  while (!r.done()) {
    auto f = r.next();
    if (!f.ok()) return ufs_error(Errc::invalid_input, f.error().message);
    AGORA_TRY(decode_field(*f, d, limits, has_type));
  }
  if (!has_type) return ufs_error(Errc::invalid_input, "no Type");
  return d;
}

}  // namespace agora
