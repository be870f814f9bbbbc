// DNS messages (RFC 1035 §4) with what mDNS (RFC 6762) needs: header, questions, and records of
// type PTR, TXT, SRV, A and AAAA; other record types are kept as raw bytes so that traffic from
// Avahi or Bonjour (NSEC, HINFO, OPT, ...) still decodes, and is then ignored by the core.
//
// Everything in a received message is chosen by whoever is on the LAN: decode_message checks the
// size and the section counts before reading, every record's data against its length, and names
// as dns_name.h describes. Bytes after the last record are ignored (RFC 6762 leaves padding
// undefined); everything inside the counted sections must parse.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "proto/mdns/dns_name.h"

namespace agora::mdns {

namespace rr {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kAny = 255;  // questions only
inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kClassAny = 255;
}  // namespace rr

inline constexpr size_t kHeaderBytes = 12;
inline constexpr uint16_t kFlagResponse = 0x8000;       // QR
inline constexpr uint16_t kFlagAuthoritative = 0x0400;  // AA: mDNS responses set it
inline constexpr size_t kTxtStringBytesMax = 255;       // one length byte

struct DnsLimits {
  size_t message_bytes_max = 9000;  // RFC 6762 §17
  size_t questions_max = 64;
  size_t records_max = 256;  // answers + authorities + additionals
  size_t txt_strings_max = 64;
  size_t name_jumps_max = kNameJumpsMax;
};

struct Question {
  Name name;
  uint16_t type = rr::kPtr;
  uint16_t klass = rr::kClassIn;  // without the top bit
  bool unicast_response = false;  // the top class bit, "QU" (RFC 6762 §5.4)
  bool operator==(const Question&) const = default;
};

struct PtrData {
  Name target;
  bool operator==(const PtrData&) const = default;
};
struct TxtData {
  std::vector<std::string> strings;  // each at most 255 bytes
  bool operator==(const TxtData&) const = default;
};
struct SrvData {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  Name target;
  bool operator==(const SrvData&) const = default;
};
struct AData {
  std::array<uint8_t, 4> address{};
  bool operator==(const AData&) const = default;
};
struct AaaaData {
  std::array<uint8_t, 16> address{};
  bool operator==(const AaaaData&) const = default;
};
// Any other type, kept as it came.
struct RawData {
  uint16_t type = 0;
  Bytes bytes;
  bool operator==(const RawData&) const = default;
};
using RecordData = std::variant<PtrData, TxtData, SrvData, AData, AaaaData, RawData>;

struct Record {
  Name name;
  uint16_t klass = rr::kClassIn;  // without the top bit
  bool cache_flush = false;       // the top class bit (RFC 6762 §10.2)
  uint32_t ttl_s = 0;
  RecordData data;
  uint16_t type() const;
  bool operator==(const Record&) const = default;
};

struct DnsMessage {
  uint16_t id = 0;  // zero in multicast mDNS (RFC 6762 §18.1)
  uint16_t flags = 0;
  std::vector<Question> questions;
  std::vector<Record> answers;
  std::vector<Record> authorities;
  std::vector<Record> additionals;
  bool is_response() const { return flags & kFlagResponse; }
  bool operator==(const DnsMessage&) const = default;
};

// Errc::too_large over a limit, Errc::truncated when the bytes end inside the counted sections,
// Errc::invalid_input for a bad pointer or a record whose data does not fit its type or length,
// Errc::unsupported for a reserved label type. The message says where.
Result<DnsMessage> decode_message(BytesView bytes, const DnsLimits& limits = {});

// Compresses names. Errors for labels, names, TXT strings or record data over the DNS limits,
// and for a RawData carrying one of the types above (it would not decode back to RawData).
Result<Bytes> encode_message(const DnsMessage& message);

}  // namespace agora::mdns
