// mDNS peer discovery core (libp2p discovery/mdns.md over RFC 6762), sans-I/O: no sockets, no
// clock, no entropy of its own.
//
// It queries <service> PTR when started and every query_interval after (js-libp2p: 10 s),
// answers every query for <service> with our peer name and addresses (our own looped-back query
// included, so two nodes on one host find each other), and turns responses into
// PeerDiscovered events, ignoring its own. A discovered peer is remembered until its record's TTL
// runs out (capped by peer_ttl_max), a goodbye (TTL 0) arrives, or known_peers_max forces the
// oldest out; each ends with PeerExpired. PeerDiscovered comes again only when a peer is new or
// shows an address it had not shown before (then with all its addresses).
//
// A LAN host can send anything: datagrams are decoded under DnsLimits, and per response at most
// announcements.peers_max peers with announcements.addrs_per_peer_max addresses each are read.
// Answers are rate limited to one per response_interval_min (RFC 6762 §6): queries in between
// share the next answer, so a query flood costs at most one answer per interval.
//
// Drive it: start(now); feed on_datagram() with every datagram received on the mDNS socket;
// arm a timer for next_timer() that calls on_timer(); after each call drain poll_send() (send
// each datagram to 224.0.0.251:5353) and poll_event().
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "base/time.h"
#include "codec/multiaddr.h"
#include "codec/peer_id.h"
#include "proto/mdns/mdns_packets.h"

namespace agora::mdns {

struct MdnsConfig {
  std::string service_name = std::string(kServiceName);
  Duration query_interval = std::chrono::seconds(10);
  uint32_t record_ttl_s = 120;  // TTL of our records, as js-libp2p
  std::string peer_name;        // our DNS-SD instance label; empty: random from seed
  uint64_t seed = 0;            // entropy for the random peer name, from the runtime
  Duration response_interval_min = std::chrono::seconds(1);
  // Our responses are split into datagrams of at most this size: under a 1500-byte Ethernet MTU,
  // so no IP fragmentation; about ten typical addresses fit in one.
  size_t datagram_bytes_max = 1400;
  Duration peer_ttl_max = std::chrono::minutes(10);  // a longer TTL from a peer is cut to this
  size_t known_peers_max = 1024;
  size_t outbound_datagrams_max = 64;  // not yet taken by poll_send()
  size_t events_max = 1024;            // not yet taken by poll_event()
  AnnouncementLimits announcements;
  DnsLimits dns;
};

struct PeerDiscovered {
  PeerId peer;
  std::vector<Multiaddr> addrs;  // without /p2p/<peer>; append it to dial with verification
};
enum class ExpiryReason : uint8_t { ttl, goodbye, evicted };
struct PeerExpired {
  PeerId peer;
  ExpiryReason reason;
};
using MdnsEvent = std::variant<PeerDiscovered, PeerExpired>;

struct MdnsStats {
  uint64_t datagrams_received = 0;
  uint64_t datagrams_invalid = 0;  // not a DNS message we accept (on_datagram's error)
  uint64_t queries_received = 0;   // asking for our service
  uint64_t queries_coalesced = 0;  // answered by an answer already scheduled
  uint64_t queries_sent = 0;
  uint64_t responses_received = 0;
  uint64_t responses_sent = 0;  // answers; each may be several datagrams
  uint64_t own_responses_ignored = 0;
  uint64_t self_announcements_ignored = 0;  // another peer name with our peer id
  uint64_t peers_discovered = 0;
  uint64_t peers_expired = 0;
  uint64_t peers_over_limit = 0;  // AnnouncementSkips, summed
  uint64_t peers_without_addrs = 0;
  uint64_t addrs_invalid = 0;
  uint64_t addrs_over_limit = 0;
  uint64_t addrs_not_announced = 0;  // ours, too long for a TXT string
  uint64_t datagrams_dropped = 0;    // outbound queue full
  uint64_t events_dropped = 0;       // event queue full
};

class MdnsCore {
 public:
  // Errc::invalid_input for a bad service or peer name, or limits that cannot work.
  static Result<MdnsCore> create(PeerId local, MdnsConfig config = {});

  // The addresses to announce, with or without /p2p/<local>. Those whose TXT string would pass
  // 255 bytes are left out and counted. No addresses: queries go unanswered (as js-libp2p).
  void set_addresses(const std::vector<Multiaddr>& addrs);
  // Queues the first query.
  void start(Instant now);
  // Queues a goodbye (our records with TTL 0) when we were announcing; afterwards the core
  // sends nothing and ignores input.
  void stop(Instant now);

  // Errors describe a datagram that is not a DNS message within the limits; it was ignored.
  Status on_datagram(BytesView bytes, Instant now);
  void on_timer(Instant now);
  std::optional<Instant> next_timer() const;

  std::optional<Bytes> poll_send();
  std::optional<MdnsEvent> poll_event();

  const std::string& peer_name() const { return peer_name_; }
  const PeerId& local_peer() const { return local_; }
  size_t known_peer_count() const { return known_.size(); }
  const MdnsStats& stats() const { return stats_; }
  const MdnsConfig& config() const { return config_; }

 private:
  struct Known {
    std::vector<Multiaddr> addrs;
    Instant expires_at;
  };
  MdnsCore(PeerId local, MdnsConfig config, Name service, std::string peer_name);

  void on_query(const DnsMessage& query, Instant now);
  void on_response(const DnsMessage& response, Instant now);
  void on_announcement(Announcement announcement, Instant now);
  void forget(PeerId peer, ExpiryReason reason);  // by value: callers pass keys it erases
  void send_answer(Instant now);
  void push_datagram(Bytes datagram);
  void push_event(MdnsEvent event);

  PeerId local_;
  MdnsConfig config_;
  Name service_;
  std::string peer_name_;
  std::vector<std::string> txt_strings_;  // "dnsaddr=<addr>/p2p/<local>"
  std::vector<Bytes> answer_;             // our response datagrams, rebuilt on set_addresses

  bool started_ = false;
  bool stopped_ = false;
  std::optional<Instant> next_query_at_;
  std::optional<Instant> answer_due_;
  std::optional<Instant> last_answer_at_;

  std::map<PeerId, Known> known_;
  std::set<std::pair<Instant, PeerId>> expiries_;

  std::deque<Bytes> outbound_;
  std::deque<MdnsEvent> events_;
  MdnsStats stats_;
};

// A random DNS-SD instance label: 32..63 characters of [a-z0-9] (the spec's ">= 32, < 64").
std::string random_peer_name(uint64_t seed);

}  // namespace agora::mdns
