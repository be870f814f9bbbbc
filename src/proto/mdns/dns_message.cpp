#include "proto/mdns/dns_message.h"

namespace agora::mdns {

namespace {

constexpr size_t kQuestionBytesMin = 1 + 4;  // root name, type, class
constexpr size_t kRecordBytesMin = 1 + 10;   // root name, type, class, ttl, rdlength

std::string at(size_t offset) { return " at " + std::to_string(offset); }

bool is_typed(uint16_t type) {
  return type == rr::kA || type == rr::kPtr || type == rr::kTxt || type == rr::kAaaa ||
         type == rr::kSrv;
}

// Reads exactly `n` big-endian bytes, checked by the caller.
uint16_t u16_at(BytesView b, size_t off) { return get_u16_be(&b[off]); }

Result<Question> read_question(BytesView msg, size_t& off, const DnsLimits& limits) {
  Question q;
  AGORA_ASSIGN(q.name, read_name(msg, off, limits.name_jumps_max));
  if (off + 4 > msg.size()) return make_error(Errc::truncated, "question cut off" + at(off));
  q.type = u16_at(msg, off);
  uint16_t klass = u16_at(msg, off + 2);
  q.klass = klass & 0x7FFF;
  q.unicast_response = klass & 0x8000;
  off += 4;
  return q;
}

// A name inside record data must end exactly where the data does.
Result<Name> read_rdata_name(BytesView msg, size_t& off, size_t end, const DnsLimits& limits) {
  auto name = read_name(msg.first(end), off, limits.name_jumps_max);
  if (!name.ok() && name.error().code == Errc::truncated)
    return make_error(Errc::invalid_input, "name runs past its record data" + at(off));
  return name;
}

Result<RecordData> read_rdata(BytesView msg, uint16_t type, size_t off, size_t end,
                              const DnsLimits& limits) {
  size_t len = end - off;
  switch (type) {
    case rr::kA: {
      if (len != 4)
        return make_error(Errc::invalid_input,
                          "A record of " + std::to_string(len) + " bytes" + at(off));
      AData a;
      std::copy(msg.begin() + off, msg.begin() + end, a.address.begin());
      return RecordData{a};
    }
    case rr::kAaaa: {
      if (len != 16)
        return make_error(Errc::invalid_input,
                          "AAAA record of " + std::to_string(len) + " bytes" + at(off));
      AaaaData a;
      std::copy(msg.begin() + off, msg.begin() + end, a.address.begin());
      return RecordData{a};
    }
    case rr::kPtr: {
      PtrData p;
      AGORA_ASSIGN(p.target, read_rdata_name(msg, off, end, limits));
      if (off != end)
        return make_error(Errc::invalid_input, "PTR data longer than its name" + at(off));
      return RecordData{p};
    }
    case rr::kSrv: {
      if (len < 7)
        return make_error(Errc::invalid_input,
                          "SRV record of " + std::to_string(len) + " bytes" + at(off));
      SrvData s;
      s.priority = u16_at(msg, off);
      s.weight = u16_at(msg, off + 2);
      s.port = u16_at(msg, off + 4);
      off += 6;
      AGORA_ASSIGN(s.target, read_rdata_name(msg, off, end, limits));
      if (off != end)
        return make_error(Errc::invalid_input, "SRV data longer than its name" + at(off));
      return RecordData{s};
    }
    case rr::kTxt: {
      TxtData t;
      while (off < end) {
        size_t n = msg[off];
        if (off + 1 + n > end)
          return make_error(Errc::invalid_input, "TXT string runs past its record" + at(off));
        if (t.strings.size() == limits.txt_strings_max)
          return make_error(Errc::too_large, "TXT record with over " +
                                                 std::to_string(limits.txt_strings_max) +
                                                 " strings (txt_strings_max)");
        t.strings.emplace_back(reinterpret_cast<const char*>(&msg[off + 1]), n);
        off += 1 + n;
      }
      return RecordData{t};
    }
    default:
      return RecordData{RawData{type, Bytes(msg.begin() + off, msg.begin() + end)}};
  }
}

Result<Record> read_record(BytesView msg, size_t& off, const DnsLimits& limits) {
  Record r;
  AGORA_ASSIGN(r.name, read_name(msg, off, limits.name_jumps_max));
  if (off + 10 > msg.size()) return make_error(Errc::truncated, "record header cut off" + at(off));
  uint16_t type = u16_at(msg, off);
  uint16_t klass = u16_at(msg, off + 2);
  r.klass = klass & 0x7FFF;
  r.cache_flush = klass & 0x8000;
  r.ttl_s = get_u32_be(&msg[off + 4]);
  size_t rdlength = u16_at(msg, off + 8);
  off += 10;
  if (off + rdlength > msg.size())
    return make_error(Errc::truncated,
                      "record data of " + std::to_string(rdlength) + " bytes cut off" + at(off));
  AGORA_ASSIGN(r.data, read_rdata(msg, type, off, off + rdlength, limits));
  off += rdlength;
  return r;
}

Status write_rdata(Bytes& out, NameWriter& names, const RecordData& data) {
  if (auto* p = std::get_if<PtrData>(&data)) return names.write(out, p->target);
  if (auto* t = std::get_if<TxtData>(&data)) {
    for (const auto& s : t->strings) {
      if (s.size() > kTxtStringBytesMax)
        return make_error(Errc::too_large,
                          "TXT string of " + std::to_string(s.size()) + " bytes (max 255)");
      out.push_back(uint8_t(s.size()));
      out.insert(out.end(), s.begin(), s.end());
    }
    return {};
  }
  if (auto* s = std::get_if<SrvData>(&data)) {
    uint8_t fixed[6];
    put_u16_be(fixed, s->priority);
    put_u16_be(fixed + 2, s->weight);
    put_u16_be(fixed + 4, s->port);
    out.insert(out.end(), fixed, fixed + 6);
    return names.write(out, s->target);
  }
  if (auto* a = std::get_if<AData>(&data)) {
    out.insert(out.end(), a->address.begin(), a->address.end());
    return {};
  }
  if (auto* a = std::get_if<AaaaData>(&data)) {
    out.insert(out.end(), a->address.begin(), a->address.end());
    return {};
  }
  const auto& raw = std::get<RawData>(data);
  if (is_typed(raw.type))
    return make_error(Errc::invalid_input,
                      "raw data for typed record type " + std::to_string(raw.type));
  out.insert(out.end(), raw.bytes.begin(), raw.bytes.end());
  return {};
}

Status write_record(Bytes& out, NameWriter& names, const Record& r) {
  AGORA_TRY(names.write(out, r.name));
  uint8_t fixed[10];
  put_u16_be(fixed, r.type());
  put_u16_be(fixed + 2, uint16_t((r.klass & 0x7FFF) | (r.cache_flush ? 0x8000 : 0)));
  put_u32_be(fixed + 4, r.ttl_s);
  out.insert(out.end(), fixed, fixed + 10);
  size_t start = out.size();
  AGORA_TRY(write_rdata(out, names, r.data));
  size_t len = out.size() - start;
  if (len > 0xFFFF)
    return make_error(Errc::too_large, "record data of " + std::to_string(len) + " bytes");
  put_u16_be(&out[start - 2], uint16_t(len));
  return {};
}

}  // namespace

uint16_t Record::type() const {
  struct Visit {
    uint16_t operator()(const PtrData&) const { return rr::kPtr; }
    uint16_t operator()(const TxtData&) const { return rr::kTxt; }
    uint16_t operator()(const SrvData&) const { return rr::kSrv; }
    uint16_t operator()(const AData&) const { return rr::kA; }
    uint16_t operator()(const AaaaData&) const { return rr::kAaaa; }
    uint16_t operator()(const RawData& r) const { return r.type; }
  };
  return std::visit(Visit{}, data);
}

Result<DnsMessage> decode_message(BytesView bytes, const DnsLimits& limits) {
  if (bytes.size() > limits.message_bytes_max)
    return make_error(Errc::too_large, "message of " + std::to_string(bytes.size()) +
                                           " bytes (message_bytes_max " +
                                           std::to_string(limits.message_bytes_max) + ")");
  if (bytes.size() < kHeaderBytes)
    return make_error(Errc::truncated,
                      "message of " + std::to_string(bytes.size()) + " bytes has no full header");
  DnsMessage m;
  m.id = u16_at(bytes, 0);
  m.flags = u16_at(bytes, 2);
  size_t counts[4];
  for (int i = 0; i < 4; ++i) counts[i] = u16_at(bytes, 4 + 2 * i);
  size_t records = counts[1] + counts[2] + counts[3];
  if (counts[0] > limits.questions_max)
    return make_error(Errc::too_large, std::to_string(counts[0]) + " questions (questions_max " +
                                           std::to_string(limits.questions_max) + ")");
  if (records > limits.records_max)
    return make_error(Errc::too_large, std::to_string(records) + " records (records_max " +
                                           std::to_string(limits.records_max) + ")");
  // Cheap check before reading: every entry takes a few bytes at least.
  if (kHeaderBytes + counts[0] * kQuestionBytesMin + records * kRecordBytesMin > bytes.size())
    return make_error(Errc::truncated, "section counts need more than the message's " +
                                           std::to_string(bytes.size()) + " bytes");
  size_t off = kHeaderBytes;
  for (size_t i = 0; i < counts[0]; ++i) {
    AGORA_ASSIGN(Question q, read_question(bytes, off, limits));
    m.questions.push_back(std::move(q));
  }
  std::vector<Record>* sections[3] = {&m.answers, &m.authorities, &m.additionals};
  for (int s = 0; s < 3; ++s) {
    for (size_t i = 0; i < counts[s + 1]; ++i) {
      AGORA_ASSIGN(Record r, read_record(bytes, off, limits));
      sections[s]->push_back(std::move(r));
    }
  }
  return m;
}

Result<Bytes> encode_message(const DnsMessage& m) {
  const std::vector<Record>* sections[3] = {&m.answers, &m.authorities, &m.additionals};
  if (m.questions.size() > 0xFFFF) return make_error(Errc::too_large, "over 65535 questions");
  for (auto* s : sections)
    if (s->size() > 0xFFFF) return make_error(Errc::too_large, "over 65535 records in a section");
  Bytes out(kHeaderBytes);
  put_u16_be(&out[0], m.id);
  put_u16_be(&out[2], m.flags);
  put_u16_be(&out[4], uint16_t(m.questions.size()));
  for (int s = 0; s < 3; ++s) put_u16_be(&out[6 + 2 * s], uint16_t(sections[s]->size()));
  NameWriter names;
  for (const Question& q : m.questions) {
    AGORA_TRY(names.write(out, q.name));
    uint8_t fixed[4];
    put_u16_be(fixed, q.type);
    put_u16_be(fixed + 2, uint16_t((q.klass & 0x7FFF) | (q.unicast_response ? 0x8000 : 0)));
    out.insert(out.end(), fixed, fixed + 4);
  }
  for (auto* s : sections)
    for (const Record& r : *s) AGORA_TRY(write_record(out, names, r));
  return out;
}

}  // namespace agora::mdns
