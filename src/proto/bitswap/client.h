// Bitswap client core: fetches wanted blocks from every connected peer that has them, sans-I/O.
//
// Strategy (like boxo and Helia sessions): up to live_wants_max wants are asked at once, the rest
// wait in order. A live want is sent as want-have (with send_dont_have) to every connected peer;
// peers answering HAVE become candidates and the least-loaded one gets the want-block, within a
// per-peer and a global in-flight cap. A peer whose last want-block answer was the block gets new
// wants as want-blocks straight away (as boxo sessions do), skipping the want-have round trip.
// DONT_HAVE or a timeout moves the want-block to another candidate and ends that shortcut. Wants
// nobody has are asked again every rebroadcast_interval and when a peer connects; WantStalled tells
// the runtime to look for providers. When a block arrives every other peer asked for it gets a
// cancel.
//
// Every block's CID is computed from its data by the decoder. A block we did not want (or
// recently want) is unsolicited; from a peer we have open requests with it is taken as corrupted
// or forged data, and from any peer past peer_unsolicited_bytes_max it is a flood: either way
// the peer is reported with PeerMisbehaved once and ignored until the runtime disconnects it.
//
// Drive it: call the inputs with the current time, then drain poll_outbound() (send each message
// to its peer, length-prefixed, at most MessageLimits sized) and poll_event() (events carry block
// data: drain them after every input), and arm a timer for next_timer() that calls on_timer().
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/time.h"
#include "codec/peer_id.h"
#include "proto/bitswap/message.h"
#include "proto/bitswap/peer_id_hash.h"
#include "proto/bitswap/recent_cids.h"

namespace agora::bitswap {

struct ClientConfig {
  size_t wants_max = 65536;     // wanted CIDs, asked or waiting their turn
  size_t live_wants_max = 256;  // asked at once; peers keep at most 1024 entries each
  size_t peers_max = 1024;
  size_t peer_want_blocks_in_flight_max = 32;
  size_t want_blocks_in_flight_max = 256;                  // all peers together
  Duration want_block_timeout = std::chrono::seconds(10);  // no block, no DONT_HAVE: next peer
  Duration want_have_timeout = std::chrono::seconds(10);   // no answer: count as DONT_HAVE
  Duration rebroadcast_interval = std::chrono::seconds(10);
  // Satisfied or cancelled CIDs remembered, so late duplicates are not taken as unsolicited.
  size_t recent_cids_max = 16384;
  uint64_t peer_unsolicited_bytes_max = 1024 * 1024;
  size_t peer_outbound_entries_max = 4096;  // queued wantlist changes per peer
  size_t message_entries_max = 1024;        // wantlist entries per outbound message
};

struct BlockReceived {
  Cid cid;
  Bytes data;  // verified: the CID was computed from it
  PeerId from;
};
struct PeerMisbehaved {
  PeerId peer;
  std::string reason;
};
// No connected peer has the want (all said DONT_HAVE or timed out, or none is connected).
// Reported again after each round of asking that ends the same way.
struct WantStalled {
  Cid cid;
};
using ClientEvent = std::variant<BlockReceived, PeerMisbehaved, WantStalled>;

struct Outbound {
  PeerId peer;
  Message message;
};

struct ClientPeerStats {
  uint64_t blocks_received = 0;  // blocks we wanted
  uint64_t block_bytes_received = 0;
  uint64_t duplicate_blocks = 0;  // recently satisfied or cancelled
  uint64_t duplicate_bytes = 0;
  uint64_t unsolicited_blocks = 0;
  uint64_t unsolicited_bytes = 0;
  uint64_t haves = 0;
  uint64_t dont_haves = 0;
  uint64_t timeouts = 0;
  size_t want_blocks_in_flight = 0;
  int32_t score = 0;  // kScoreMin..kScoreMax; the runtime may feed it to its peer scores
  bool misbehaved = false;
};

struct ClientStats {
  uint64_t blocks_received = 0;
  uint64_t duplicate_blocks = 0;
  uint64_t unsolicited_blocks = 0;
  uint64_t want_haves_sent = 0;
  uint64_t want_blocks_sent = 0;
  uint64_t cancels_sent = 0;
  uint64_t timeouts = 0;
  uint64_t outbound_entries_dropped = 0;  // a peer's outbound queue was full
  uint64_t peers_refused = 0;
  uint64_t wants_refused = 0;
  uint64_t messages_ignored = 0;  // from misbehaved or refused peers
};

inline constexpr int32_t kScoreMin = -100;
inline constexpr int32_t kScoreMax = 100;

class Client {
 public:
  explicit Client(ClientConfig config = {});

  // Adds wants (already wanted ones are left alone). Errc::limit when some did not fit under
  // wants_max; those that fit are added.
  Status want(std::span<const Cid> cids, Instant now);
  void cancel(std::span<const Cid> cids, Instant now);
  // Errc::limit over peers_max. A message from an unknown peer connects it implicitly.
  Status on_peer_connected(const PeerId& peer, Instant now);
  void on_peer_disconnected(const PeerId& peer, Instant now);
  // The wantlist part of the message is the server core's business and is ignored here.
  void on_message(const PeerId& peer, Message message, Instant now);
  void on_timer(Instant now);
  std::optional<Instant> next_timer() const;

  std::optional<Outbound> poll_outbound();
  std::optional<ClientEvent> poll_event();

  bool is_wanted(const Cid& cid) const { return wants_.count(cid) != 0; }
  size_t want_count() const { return wants_.size(); }
  size_t live_want_count() const { return live_.size(); }
  size_t want_blocks_in_flight() const { return want_blocks_in_flight_; }
  size_t peer_count() const { return peers_.size(); }
  std::optional<ClientPeerStats> peer_stats(const PeerId& peer) const;
  const ClientStats& stats() const { return stats_; }
  const ClientConfig& config() const { return config_; }

 private:
  using PeerHandle = uint64_t;  // never reused, so a reconnected peer starts clean
  using TimerKey = std::pair<Instant, uint64_t>;
  enum class Ask : uint8_t { have_asked, has, lacks, block_asked };
  struct PeerAsk {
    Ask state;
    std::optional<TimerKey> timer;
  };
  struct Want {
    uint64_t seq = 0;
    bool live = false;
    std::map<PeerHandle, PeerAsk> asks;  // live wants only
    std::optional<PeerHandle> block_peer;
    bool stalled_reported = false;
  };
  struct Peer {
    PeerId id;
    ClientPeerStats stats;
    size_t asks_open = 0;  // want-haves and want-blocks it has not answered
    // Its last answer to a want-block was the block: new wants go to it as want-blocks directly.
    bool proven = false;
    std::vector<WantEntry> outbound;
    std::unordered_map<Cid, size_t, CidHash> outbound_index;
    bool outbound_full = false;
    bool in_outbound_ring = false;
  };
  struct TimerRef {
    Cid cid;
    PeerHandle peer;
  };

  // client.cpp: peers and outbound queue.
  std::optional<PeerHandle> handle_of(const PeerId& peer) const;
  void queue_entry(PeerHandle peer, WantEntry entry);
  void adjust_score(Peer& peer, int32_t delta);
  void misbehave(PeerHandle peer, std::string reason, Instant now);
  void forget_peer_asks(PeerHandle peer, Instant now);

  // client_wants.cpp: the per-want state machine.
  void set_ask(const Cid& cid, Want& want, PeerHandle peer, std::optional<Ask> next, Instant now);
  void ask_have(const Cid& cid, Want& want, PeerHandle peer, Instant now);
  void ask_block(const Cid& cid, Want& want, PeerHandle peer, Instant now);
  void after_change(const Cid& cid, Want& want);
  void finish_want(const Cid& cid, std::optional<PeerHandle> sender, Instant now);
  void promote(Instant now);
  void dispatch(Instant now);
  void rebroadcast(Instant now);
  void expire_timers(Instant now);
  std::optional<PeerHandle> choose_block_peer(const Want& want) const;
  std::optional<PeerHandle> choose_proven_peer() const;
  bool better_block_peer(const Peer& candidate, const Peer* best) const;
  bool can_take_block(const Peer& peer) const;

  // client_receive.cpp
  void on_block(PeerHandle peer, Block block, Instant now);
  void on_presence(PeerHandle peer, const Presence& presence, Instant now);

  ClientConfig config_;
  std::unordered_map<Cid, Want, CidHash> wants_;
  std::map<uint64_t, Cid> pending_;      // by seq: waiting for a live slot
  std::map<uint64_t, Cid> live_;         // by seq: being asked
  std::map<uint64_t, Cid> needs_block_;  // live, has a HAVE, no want-block out
  uint64_t next_want_seq_ = 0;
  RecentCids recent_;

  std::map<PeerHandle, Peer> peers_;  // ordered: deterministic iteration
  std::unordered_map<PeerId, PeerHandle, PeerIdHash> handles_;
  PeerHandle next_handle_ = 1;
  std::deque<PeerHandle> outbound_ring_;

  std::map<TimerKey, TimerRef> timers_;
  uint64_t next_timer_seq_ = 0;
  Instant next_rebroadcast_at_{};
  size_t want_blocks_in_flight_ = 0;

  std::deque<ClientEvent> events_;
  ClientStats stats_;
};

}  // namespace agora::bitswap
