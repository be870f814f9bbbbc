// Which leaf to ask of which peer (docs/xfer.md): the scheduling of one file's download across
// the peers serving it. Pure logic, no I/O or clock of its own: the owner reports peers, their
// have-maps, arrivals and refusals, and takes the WANT and CANCEL ranges to send.
//
// - Rarest first: among the leaves a peer holds that nobody has been asked for, those the fewest
//   peers hold, then in file order from a per-download start leaf (so downloaders of one file
//   begin in different places and soon hold different leaves to trade), and at later refills
//   from a random leaf (so that two downloaders do not fall into step), taken as runs of
//   consecutive leaves. Sequential mode (playback, `cat`) asks strictly in file order.
// - Each peer keeps a pipeline of asked leaves whose size in bytes follows its measured rate:
//   rate x pipeline_window, within [pipeline_bytes_min, pipeline_bytes_max] and at most
//   leaves_in_flight_max leaves (the server's limit).
// - Endgame: once every missing leaf has been asked of someone, a peer with room in its pipeline
//   is also asked for leaves outstanding elsewhere (at most endgame_copies extra askings each); the
//   first copy to arrive wins and the others are cancelled.
// - A peer that leaves, or answers MISSING, hands its leaves back to be asked of others.
//
// Memory: a few bytes per leaf for the state and availability counts, an index of the leaves
// nobody has been asked for by availability (about 40 bytes per such leaf), and a have-map (a bit
// per leaf) per peer; at most peers_max peers.
// Time: a refill looks only at leaves nobody has been asked for, rarest first, and stops once the
// pipeline is full (sequential mode: from the first such leaf on).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "base/time.h"
#include "proto/xfer/frame.h"
#include "proto/xfer/layout.h"

namespace agora::xfer {

struct DownloadConfig {
  bool sequential = false;
  // Small, so that a peer that serves us slowly (a capped uplink shared by many) is not handed
  // seconds of leaves that others could soon serve; a fast peer's rate raises it at once.
  uint64_t pipeline_bytes_min = 1 << 20;
  uint64_t pipeline_bytes_max = 64 << 20;
  Duration pipeline_window = std::chrono::milliseconds(250);
  size_t leaves_in_flight_max = 1024;
  size_t endgame_copies = 1;
  size_t peers_max = 64;
  uint64_t start_leaf = 0;  // where rarest-first ties start (the owner picks it at random)
};

using PeerKey = uint64_t;  // the owner's name for a serving stream

struct PeerWants {
  std::vector<LeafRange> want;
  std::vector<LeafRange> cancel;
};

class Download {
 public:
  // `have` (may be empty: nothing) marks leaves already stored locally.
  Download(std::vector<uint64_t> leaf_sizes, DownloadConfig config, std::vector<bool> have = {});

  // A serving peer whose skeleton was verified. Errc::limit past peers_max.
  Status add_peer(PeerKey peer, Instant now);
  // Its leaves go back to be asked of others.
  void remove_peer(PeerKey peer);
  void peer_has_all(PeerKey peer);
  // A HAVE frame: bits past the file's last leaf are ignored.
  void peer_has(PeerKey peer, const HaveBits& have);

  // `index` arrived from `peer`, verified. False when it was not asked of `peer` (a protocol
  // error for the owner). A leaf already done (an endgame copy) is accepted and ignored.
  bool on_leaf(PeerKey peer, uint64_t index, Instant now);
  // The peer does not hold these: they go back, and its have-map forgets them.
  void on_missing(PeerKey peer, const std::vector<LeafRange>& ranges);
  // The peer choked us (it serves others for now): what we asked of it goes back to the others
  // (and may still arrive late); nothing is asked of it until it unchokes us.
  void set_choked(PeerKey peer, bool choked);

  // What to send to `peer` now: new WANTs to fill its pipeline, CANCELs of leaves done elsewhere.
  PeerWants take(PeerKey peer, Instant now);

  bool done() const { return leaves_left_ == 0; }
  uint64_t leaves_left() const { return leaves_left_; }
  uint64_t leaves() const { return sizes_.size(); }
  bool has(uint64_t index) const { return state_[index] == State::done; }
  bool is_asked(PeerKey peer, uint64_t index) const;
  // A leaf CANCELled at `peer` that it had sent before the CANCEL reached it: true (once) when
  // `index` is such a leaf, which is then no fault of the peer's. At most one per cancel sent.
  bool take_late(PeerKey peer, uint64_t index);
  // Leaves nobody has been asked for and that no connected peer holds: the download cannot
  // finish from the peers it has.
  uint64_t unavailable() const;
  size_t peers() const { return peers_.size(); }
  size_t in_flight(PeerKey peer) const;

 private:
  enum class State : uint8_t { needed, asked, done };
  struct Peer {
    std::vector<bool> has;
    bool has_all = false;
    std::set<uint64_t> asked;  // leaves asked of it, not yet answered
    uint64_t asked_bytes = 0;
    std::vector<uint64_t> cancels;  // leaves asked of it that arrived from someone else
    std::set<uint64_t> cancelled;   // CANCEL sent; a LEAF may still be on its way
    bool choked = false;
    uint64_t bytes_in_window = 0;  // received since window_start
    Instant window_start{};
    double rate_bytes_per_s = 0;
  };
  bool holds(const Peer& p, uint64_t index) const {
    return p.has_all || (index < p.has.size() && p.has[index]);
  }
  void set_has(Peer& p, uint64_t index, bool value);
  uint64_t pipeline_bytes(const Peer& p) const;
  void ask(PeerKey key, Peer& p, uint64_t index, std::vector<LeafRange>& out);
  void fill_new(PeerKey key, Peer& p, uint64_t budget, std::vector<LeafRange>& out);
  void fill_endgame(PeerKey key, Peer& p, uint64_t budget, std::vector<LeafRange>& out);
  uint64_t next_random();
  void give_back(uint64_t index);
  // needed_ follows state_ and availability_: every change to either goes through these.
  void set_state(uint64_t index, State state);
  void add_availability(uint64_t index, int delta);

  std::vector<uint64_t> sizes_;
  DownloadConfig config_;
  std::vector<State> state_;
  std::vector<uint16_t> availability_;  // peers holding each leaf (saturates)
  std::vector<uint8_t> askings_;        // how many peers a leaf is asked of now
  std::map<PeerKey, Peer> peers_;
  // Leaves in State::needed by availability, each set in file order; and the lowest such leaf
  // (a lower bound) for sequential mode.
  std::map<uint16_t, std::set<uint64_t>> needed_;
  uint64_t needed_count_ = 0;
  uint64_t first_needed_ = 0;
  uint64_t leaves_left_ = 0;
  uint64_t has_all_peers_ = 0;
  uint64_t refills_ = 0;
  uint64_t random_state_ = 0;  // seeded from start_leaf: a download is deterministic
};

}  // namespace agora::xfer
