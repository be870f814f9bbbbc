#include "proto/mdns/dns_name.h"

#include <cstdio>

namespace agora::mdns {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// The wire form of labels[from..]: the key under which NameWriter remembers a suffix.
std::string suffix_key(const Name& name, size_t from) {
  std::string key;
  for (size_t i = from; i < name.labels.size(); ++i) {
    key.push_back(char(name.labels[i].size()));
    key += name.labels[i];
  }
  return key;
}

}  // namespace

Result<Name> Name::parse(std::string_view dotted) {
  Name name;
  if (dotted.empty() || dotted == ".") return name;
  if (dotted.back() == '.') dotted.remove_suffix(1);
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string_view label =
        dotted.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty())
      return make_error(Errc::invalid_input, "empty label in name '" + std::string(dotted) + "'");
    name.labels.emplace_back(label);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  AGORA_TRY(check_name(name));
  return name;
}

std::string Name::to_string() const {
  if (labels.empty()) return ".";
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out.push_back('.');
    for (char c : labels[i]) {
      auto u = uint8_t(c);
      if (c == '.' || c == '\\' || u < 0x21 || u > 0x7e) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", unsigned(u));
        out += buf;
      } else {
        out.push_back(c);
      }
    }
  }
  return out;
}

size_t Name::wire_bytes() const {
  size_t n = 1;
  for (const auto& l : labels) n += 1 + l.size();
  return n;
}

bool same_label(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool same_name(const Name& a, const Name& b) {
  if (a.labels.size() != b.labels.size()) return false;
  for (size_t i = 0; i < a.labels.size(); ++i)
    if (!same_label(a.labels[i], b.labels[i])) return false;
  return true;
}

Status check_name(const Name& name) {
  for (const auto& l : name.labels) {
    if (l.empty()) return make_error(Errc::invalid_input, "empty label in name");
    if (l.size() > kLabelBytesMax)
      return make_error(Errc::too_large, "label of " + std::to_string(l.size()) + " bytes (max " +
                                             std::to_string(kLabelBytesMax) + ")");
  }
  if (name.wire_bytes() > kNameBytesMax)
    return make_error(Errc::too_large, "name of " + std::to_string(name.wire_bytes()) +
                                           " bytes (max " + std::to_string(kNameBytesMax) + ")");
  return {};
}

Result<Name> read_name(BytesView message, size_t& offset, size_t jumps_max) {
  Name name;
  size_t wire = 1;  // the root byte
  size_t pos = offset;
  size_t floor = offset;  // a pointer must land strictly below this
  size_t jumps = 0;
  bool jumped = false;
  while (true) {
    if (pos >= message.size())
      return make_error(Errc::truncated,
                        "name at " + std::to_string(offset) + " runs past the end");
    uint8_t len = message[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= message.size())
        return make_error(Errc::truncated, "compression pointer cut off at " + std::to_string(pos));
      size_t target = size_t(len & 0x3F) << 8 | message[pos + 1];
      if (target >= floor)
        return make_error(Errc::invalid_input, "compression pointer at " + std::to_string(pos) +
                                                   " to " + std::to_string(target) +
                                                   " does not point backwards (loop)");
      if (++jumps > jumps_max)
        return make_error(Errc::too_large,
                          "name needs over " + std::to_string(jumps_max) + " compression jumps");
      if (!jumped) offset = pos + 2;
      jumped = true;
      floor = target;
      pos = target;
      continue;
    }
    if (len & 0xC0)
      return make_error(Errc::unsupported, "reserved label type at " + std::to_string(pos));
    if (len == 0) {
      if (!jumped) offset = pos + 1;
      return name;
    }
    wire += 1 + size_t(len);
    if (wire > kNameBytesMax)
      return make_error(Errc::too_large, "name over " + std::to_string(kNameBytesMax) + " bytes");
    if (pos + 1 + len > message.size())
      return make_error(Errc::truncated, "label at " + std::to_string(pos) + " runs past the end");
    name.labels.emplace_back(reinterpret_cast<const char*>(&message[pos + 1]), len);
    pos += 1 + size_t(len);
  }
}

Status NameWriter::write(Bytes& message, const Name& name) {
  AGORA_TRY(check_name(name));
  for (size_t i = 0; i < name.labels.size(); ++i) {
    auto found = suffix_offsets_.find(suffix_key(name, i));
    if (found != suffix_offsets_.end()) {
      message.push_back(uint8_t(0xC0 | found->second >> 8));
      message.push_back(uint8_t(found->second));
      return {};
    }
    // Pointers have 14 bits: suffixes further in cannot be pointed at.
    if (message.size() < 0x4000)
      suffix_offsets_.emplace(suffix_key(name, i), uint16_t(message.size()));
    message.push_back(uint8_t(name.labels[i].size()));
    message.insert(message.end(), name.labels[i].begin(), name.labels[i].end());
  }
  message.push_back(0);
  return {};
}

}  // namespace agora::mdns
