// Connection manager policy, sans-I/O: keeps the number of open connections between a low and a
// high watermark.
//
// Over the high watermark it trims connections down to the low watermark, least useful first:
// connections in their grace period and connections to protected peers are never trimmed. Among
// the rest, fewer open streams goes first, then fewer bytes moved since the previous activity
// sample, then inbound before outbound (we chose the outbound ones), then the younger. Trims are
// at least silence_period apart, so a burst of new connections is judged once it settles.
// Under the low watermark it asks for dials (take_dial_budget()); which peers to dial is the peer
// store's business.
//
// ConnectionLimits (host/connection_limits.h) stays the hard admission limit; the watermarks are
// the soft target below it.
//
// Drive it: on_opened/on_closed for every secured connection, on_activity with a fresh sample of
// each connection before on_timer(now), which runs when next_timer() is due (or earlier). After
// on_timer drain poll_trim() (close each connection) and take_dial_budget() (start that many
// dials, each bracketed by on_dial_started/on_dial_finished).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/result.h"
#include "base/time.h"
#include "codec/peer_id.h"

namespace agora::host {

struct ConnectionManagerConfig {
  size_t low_water = 32;
  size_t high_water = 96;
  Duration grace_period = std::chrono::seconds(20);    // a new connection is never trimmed sooner
  Duration silence_period = std::chrono::seconds(10);  // at least this long between two trims
  Duration check_interval = std::chrono::seconds(5);   // how often on_timer wants to run
  size_t dials_per_check_max = 8;
  size_t protected_peers_max = 1024;
  size_t protection_tags_per_peer_max = 16;
  size_t protection_tag_bytes_max = 64;
};

struct ConnectionTrim {
  uint64_t connection;
  PeerId peer;
  std::string reason;  // for the close reason, the event and the log
};

struct ConnectionManagerStats {
  uint64_t trims = 0;  // trim rounds
  uint64_t connections_trimmed = 0;
  uint64_t dials_requested = 0;
};

class ConnectionManager {
 public:
  // Errc::invalid_input when low_water > high_water or high_water is 0.
  static Result<ConnectionManager> create(ConnectionManagerConfig config);

  void on_opened(uint64_t connection, const PeerId& peer, bool inbound, Instant now);
  void on_closed(uint64_t connection);
  // A sample of a connection's activity: its open streams and the bytes it moved so far.
  void on_activity(uint64_t connection, size_t open_streams, uint64_t bytes_total);
  void on_dial_started() { ++pending_dials_; }
  void on_dial_finished() {
    if (pending_dials_ > 0) --pending_dials_;
  }

  // Protected peers are never trimmed. Tags let several users protect one peer independently.
  // Errc::limit over protected_peers_max or protection_tags_per_peer_max; Errc::invalid_input
  // for an empty or oversized tag.
  Status protect(const PeerId& peer, std::string_view tag);
  // True when the peer is still protected under another tag.
  bool unprotect(const PeerId& peer, std::string_view tag);
  bool is_protected(const PeerId& peer) const { return protected_.count(peer) > 0; }

  void on_timer(Instant now);
  Instant next_timer() const { return next_check_; }
  std::optional<ConnectionTrim> poll_trim();
  // Dials wanted now to climb back towards the low watermark; resets to 0.
  size_t take_dial_budget();

  // Open connections not already chosen for trimming.
  size_t connections() const { return connections_.size() - closing_; }
  size_t pending_dials() const { return pending_dials_; }
  const ConnectionManagerConfig& config() const { return config_; }
  const ConnectionManagerStats& stats() const { return stats_; }

 private:
  struct Tracked {
    PeerId peer;
    bool inbound = false;
    Instant opened{};
    size_t open_streams = 0;
    uint64_t bytes_total = 0;
    uint64_t bytes_recent = 0;  // between the last two samples
    bool closing = false;
  };
  explicit ConnectionManager(ConnectionManagerConfig config) : config_(config) {}
  void trim(Instant now);

  ConnectionManagerConfig config_;
  std::map<uint64_t, Tracked> connections_;
  size_t closing_ = 0;
  size_t pending_dials_ = 0;
  std::map<PeerId, std::set<std::string, std::less<>>> protected_;
  std::optional<Instant> last_trim_;
  Instant next_check_{};
  std::deque<ConnectionTrim> trims_;
  size_t dial_budget_ = 0;
  ConnectionManagerStats stats_;
};

}  // namespace agora::host
