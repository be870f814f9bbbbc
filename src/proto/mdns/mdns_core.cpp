#include "proto/mdns/mdns_core.h"

#include <algorithm>

namespace agora::mdns {

namespace {

// splitmix64: a fixed, portable sequence from a seed (std distributions differ between libraries).
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

bool is_label(std::string_view s) {
  return !s.empty() && s.size() <= kLabelBytesMax && s.find('.') == std::string_view::npos;
}

}  // namespace

std::string random_peer_name(uint64_t seed) {
  static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t state = seed;
  size_t length = 32 + next_random(state) % 32;
  std::string name;
  for (size_t i = 0; i < length; ++i) name.push_back(kChars[next_random(state) % kChars.size()]);
  return name;
}

Result<MdnsCore> MdnsCore::create(PeerId local, MdnsConfig config) {
  AGORA_ASSIGN(Name service, Name::parse(config.service_name));
  if (service.labels.empty())
    return make_error(Errc::invalid_input, "service name must not be the root");
  std::string peer_name =
      config.peer_name.empty() ? random_peer_name(config.seed) : config.peer_name;
  if (!is_label(peer_name))
    return make_error(Errc::invalid_input, "peer name must be one DNS label of 1..63 bytes");
  Name instance = service;
  instance.labels.insert(instance.labels.begin(), peer_name);
  AGORA_TRY(check_name(instance));
  if (config.query_interval <= Duration::zero())
    return make_error(Errc::invalid_input, "query_interval must be positive");
  if (config.datagram_bytes_max < 512 || config.datagram_bytes_max > config.dns.message_bytes_max)
    return make_error(Errc::invalid_input, "datagram_bytes_max must be 512..message_bytes_max");
  if (config.known_peers_max == 0 || config.outbound_datagrams_max == 0 || config.events_max == 0)
    return make_error(Errc::invalid_input,
                      "known_peers_max, outbound_datagrams_max and events_max must be positive");
  return MdnsCore(std::move(local), std::move(config), std::move(service), std::move(peer_name));
}

MdnsCore::MdnsCore(PeerId local, MdnsConfig config, Name service, std::string peer_name)
    : local_(std::move(local)),
      config_(std::move(config)),
      service_(std::move(service)),
      peer_name_(std::move(peer_name)) {}

void MdnsCore::set_addresses(const std::vector<Multiaddr>& addrs) {
  txt_strings_.clear();
  for (const Multiaddr& addr : addrs) {
    std::string s = std::string(kDnsaddrPrefix) + addr.with_peer_id(local_).to_string();
    bool repeat = std::find(txt_strings_.begin(), txt_strings_.end(), s) != txt_strings_.end();
    if (repeat) continue;
    if (s.size() > kTxtStringBytesMax) {
      ++stats_.addrs_not_announced;
      continue;
    }
    txt_strings_.push_back(std::move(s));
  }
  answer_.clear();
  if (txt_strings_.empty()) return;
  auto built = build_response(service_, peer_name_, txt_strings_, config_.record_ttl_s,
                              config_.datagram_bytes_max);
  // create() checked the names and that 512-byte datagrams fit any 255-byte string.
  if (built.ok()) answer_ = std::move(built).value();
}

void MdnsCore::start(Instant now) {
  if (started_ || stopped_) return;
  started_ = true;
  next_query_at_ = now;
  on_timer(now);
}

void MdnsCore::stop(Instant) {
  if (stopped_) return;
  if (started_ && !txt_strings_.empty()) {
    auto goodbye =
        build_response(service_, peer_name_, txt_strings_, 0, config_.datagram_bytes_max);
    if (goodbye.ok())
      for (Bytes& d : *goodbye) push_datagram(std::move(d));
  }
  stopped_ = true;
  next_query_at_.reset();
  answer_due_.reset();
}

Status MdnsCore::on_datagram(BytesView bytes, Instant now) {
  if (!started_ || stopped_) return {};
  ++stats_.datagrams_received;
  auto message = decode_message(bytes, config_.dns);
  if (!message.ok()) {
    ++stats_.datagrams_invalid;
    return message.error();
  }
  if (message->is_response())
    on_response(*message, now);
  else
    on_query(*message, now);
  return {};
}

void MdnsCore::on_query(const DnsMessage& query, Instant now) {
  if (!asks_for(query, service_)) return;
  ++stats_.queries_received;
  if (answer_.empty()) return;
  if (answer_due_) {
    ++stats_.queries_coalesced;
    return;
  }
  Instant earliest = last_answer_at_ ? *last_answer_at_ + config_.response_interval_min : now;
  if (earliest <= now)
    send_answer(now);
  else
    answer_due_ = earliest;
}

void MdnsCore::send_answer(Instant now) {
  for (const Bytes& d : answer_) push_datagram(d);
  ++stats_.responses_sent;
  last_answer_at_ = now;
  answer_due_.reset();
}

void MdnsCore::on_response(const DnsMessage& response, Instant now) {
  ++stats_.responses_received;
  AnnouncementSkips skips;
  auto announcements = read_announcements(response, service_, config_.announcements, skips);
  stats_.peers_over_limit += skips.peers_over_limit;
  stats_.peers_without_addrs += skips.peers_without_addrs;
  stats_.addrs_invalid += skips.addrs_invalid;
  stats_.addrs_over_limit += skips.addrs_over_limit;
  for (Announcement& a : announcements) {
    if (same_label(a.peer_name, peer_name_)) {
      ++stats_.own_responses_ignored;
      continue;
    }
    if (a.peer == local_) {
      ++stats_.self_announcements_ignored;
      continue;
    }
    on_announcement(std::move(a), now);
  }
}

void MdnsCore::on_announcement(Announcement a, Instant now) {
  auto it = known_.find(a.peer);
  if (a.ttl_s == 0) {
    if (it != known_.end()) forget(a.peer, ExpiryReason::goodbye);
    return;
  }
  Duration ttl = std::min<Duration>(std::chrono::seconds(a.ttl_s), config_.peer_ttl_max);
  Instant expires_at = now + ttl;
  if (it == known_.end()) {
    if (known_.size() == config_.known_peers_max)
      forget(expiries_.begin()->second, ExpiryReason::evicted);
    it = known_.emplace(a.peer, Known{{}, expires_at}).first;
    expiries_.emplace(expires_at, a.peer);
    ++stats_.peers_discovered;
  } else if (expires_at > it->second.expires_at) {
    expiries_.erase({it->second.expires_at, a.peer});
    it->second.expires_at = expires_at;
    expiries_.emplace(expires_at, a.peer);
  }
  bool added = it->second.addrs.empty();  // new peers are always reported
  for (Multiaddr& addr : a.addrs) {
    auto& addrs = it->second.addrs;
    if (std::find(addrs.begin(), addrs.end(), addr) != addrs.end()) continue;
    if (addrs.size() == config_.announcements.addrs_per_peer_max) {
      ++stats_.addrs_over_limit;
      continue;
    }
    addrs.push_back(std::move(addr));
    added = true;
  }
  if (added) push_event(PeerDiscovered{a.peer, it->second.addrs});
}

void MdnsCore::forget(PeerId peer, ExpiryReason reason) {
  auto it = known_.find(peer);
  if (it == known_.end()) return;
  expiries_.erase({it->second.expires_at, peer});
  known_.erase(it);
  ++stats_.peers_expired;
  push_event(PeerExpired{peer, reason});
}

void MdnsCore::on_timer(Instant now) {
  if (stopped_) return;
  if (next_query_at_ && now >= *next_query_at_) {
    push_datagram(build_query(service_));
    ++stats_.queries_sent;
    next_query_at_ = now + config_.query_interval;
  }
  if (answer_due_ && now >= *answer_due_) send_answer(now);
  while (!expiries_.empty() && expiries_.begin()->first <= now)
    forget(expiries_.begin()->second, ExpiryReason::ttl);
}

std::optional<Instant> MdnsCore::next_timer() const {
  if (stopped_) return std::nullopt;
  std::optional<Instant> next = next_query_at_;
  auto earlier = [&](Instant t) {
    if (!next || t < *next) next = t;
  };
  if (answer_due_) earlier(*answer_due_);
  if (!expiries_.empty()) earlier(expiries_.begin()->first);
  return next;
}

void MdnsCore::push_datagram(Bytes datagram) {
  if (outbound_.size() >= config_.outbound_datagrams_max) {
    ++stats_.datagrams_dropped;
    return;
  }
  outbound_.push_back(std::move(datagram));
}

void MdnsCore::push_event(MdnsEvent event) {
  if (events_.size() >= config_.events_max) {
    ++stats_.events_dropped;
    return;
  }
  events_.push_back(std::move(event));
}

std::optional<Bytes> MdnsCore::poll_send() {
  if (outbound_.empty()) return std::nullopt;
  Bytes d = std::move(outbound_.front());
  outbound_.pop_front();
  return d;
}

std::optional<MdnsEvent> MdnsCore::poll_event() {
  if (events_.empty()) return std::nullopt;
  MdnsEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace agora::mdns
