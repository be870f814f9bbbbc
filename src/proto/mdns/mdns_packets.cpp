#include "proto/mdns/mdns_packets.h"

#include <algorithm>

namespace agora::mdns {

namespace {

Name child(const Name& parent, std::string_view label) {
  Name n;
  n.labels.emplace_back(label);
  n.labels.insert(n.labels.end(), parent.labels.begin(), parent.labels.end());
  return n;
}

DnsMessage response_skeleton(const Name& service, const Name& instance, uint32_t ttl_s) {
  DnsMessage m;
  m.flags = kFlagResponse | kFlagAuthoritative;
  m.answers.push_back({service, rr::kClassIn, false, ttl_s, PtrData{instance}});
  m.additionals.push_back({instance, rr::kClassIn, false, ttl_s, TxtData{}});
  return m;
}

// The TXT strings of every record named `instance`, in message order.
std::vector<const std::string*> txt_strings_of(const DnsMessage& m, const Name& instance) {
  std::vector<const std::string*> out;
  for (const auto* section : {&m.answers, &m.additionals}) {
    for (const Record& r : *section) {
      auto* txt = std::get_if<TxtData>(&r.data);
      if (!txt || !same_name(r.name, instance)) continue;
      for (const auto& s : txt->strings) out.push_back(&s);
    }
  }
  return out;
}

// Fills `a` from the TXT strings; false when no address was usable.
bool read_addrs(const std::vector<const std::string*>& strings, const AnnouncementLimits& limits,
                Announcement& a, AnnouncementSkips& skips) {
  for (const std::string* s : strings) {
    std::string_view text(*s);
    if (text.substr(0, kDnsaddrPrefix.size()) != kDnsaddrPrefix) continue;  // other DNS-SD keys
    auto addr = Multiaddr::parse(text.substr(kDnsaddrPrefix.size()));
    if (!addr.ok() || addr->empty() || addr->components().back().proto != Proto::p2p) {
      ++skips.addrs_invalid;
      continue;
    }
    auto id = addr->peer_id();
    if (!id || (!a.peer.empty() && *id != a.peer)) {
      ++skips.addrs_invalid;
      continue;
    }
    Multiaddr bare = addr->without_peer_id();
    if (std::find(a.addrs.begin(), a.addrs.end(), bare) != a.addrs.end()) continue;
    if (a.addrs.size() == limits.addrs_per_peer_max) {
      ++skips.addrs_over_limit;
      continue;
    }
    if (a.peer.empty()) a.peer = *id;
    a.addrs.push_back(std::move(bare));
  }
  return !a.addrs.empty();
}

}  // namespace

Bytes build_query(const Name& service) {
  DnsMessage m;
  m.questions.push_back({service, rr::kPtr, rr::kClassIn, false});
  auto bytes = encode_message(m);
  return bytes.ok() ? std::move(bytes).value() : Bytes{};  // service was checked by Name::parse
}

Result<std::vector<Bytes>> build_response(const Name& service, std::string_view peer_name,
                                          const std::vector<std::string>& txt_strings,
                                          uint32_t ttl_s, size_t datagram_bytes_max) {
  if (peer_name.empty() || peer_name.size() > kLabelBytesMax ||
      peer_name.find('.') != std::string_view::npos)
    return make_error(Errc::invalid_input, "peer name must be one DNS label of 1..63 bytes");
  Name instance = child(service, peer_name);
  AGORA_TRY(check_name(instance));
  DnsMessage skeleton = response_skeleton(service, instance, ttl_s);
  AGORA_ASSIGN(Bytes empty, encode_message(skeleton));
  // Each string adds its length byte and its bytes to the TXT data, and nothing else changes.
  std::vector<Bytes> datagrams;
  DnsMessage current = skeleton;
  size_t current_bytes = empty.size();
  auto flush = [&]() -> Status {
    AGORA_ASSIGN(Bytes bytes, encode_message(current));
    datagrams.push_back(std::move(bytes));
    current = skeleton;
    current_bytes = empty.size();
    return {};
  };
  for (const std::string& s : txt_strings) {
    if (s.size() > kTxtStringBytesMax)
      return make_error(Errc::too_large, "TXT string of " + std::to_string(s.size()) + " bytes");
    size_t add = 1 + s.size();
    if (empty.size() + add > datagram_bytes_max)
      return make_error(Errc::too_large, "a response with one address needs " +
                                             std::to_string(empty.size() + add) + " bytes");
    if (current_bytes + add > datagram_bytes_max) AGORA_TRY(flush());
    std::get<TxtData>(current.additionals[0].data).strings.push_back(s);
    current_bytes += add;
  }
  if (datagrams.empty() || !std::get<TxtData>(current.additionals[0].data).strings.empty())
    AGORA_TRY(flush());
  return datagrams;
}

bool asks_for(const DnsMessage& query, const Name& service) {
  for (const Question& q : query.questions) {
    bool type_ok = q.type == rr::kPtr || q.type == rr::kAny;
    bool class_ok = q.klass == rr::kClassIn || q.klass == rr::kClassAny;
    if (type_ok && class_ok && same_name(q.name, service)) return true;
  }
  return false;
}

std::vector<Announcement> read_announcements(const DnsMessage& response, const Name& service,
                                             const AnnouncementLimits& limits,
                                             AnnouncementSkips& skips) {
  std::vector<Announcement> out;
  std::vector<const Name*> seen;
  for (const Record& r : response.answers) {
    auto* ptr = std::get_if<PtrData>(&r.data);
    if (!ptr || !same_name(r.name, service) || ptr->target.labels.empty()) continue;
    bool repeat = std::any_of(seen.begin(), seen.end(),
                              [&](const Name* n) { return same_name(*n, ptr->target); });
    if (repeat) continue;
    seen.push_back(&ptr->target);
    if (out.size() == limits.peers_max) {
      ++skips.peers_over_limit;
      continue;
    }
    Announcement a;
    a.peer_name = ptr->target.labels.front();
    a.ttl_s = r.ttl_s;
    if (!read_addrs(txt_strings_of(response, ptr->target), limits, a, skips)) {
      ++skips.peers_without_addrs;
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace agora::mdns
