// The client's answers from peers: blocks (verified by their computed CID) and presences.
#include "proto/bitswap/client.h"

namespace agora::bitswap {

void Client::on_block(PeerHandle h, Block block, Instant now) {
  Peer& p = peers_.at(h);
  const uint64_t bytes = block.data.size();
  if (wants_.count(block.cid)) {
    ++p.stats.blocks_received;
    p.stats.block_bytes_received += bytes;
    ++stats_.blocks_received;
    adjust_score(p, 1);
    p.proven = true;
    finish_want(block.cid, h, now);
    events_.push_back(BlockReceived{std::move(block.cid), std::move(block.data), p.id});
    return;
  }
  if (recent_.contains(block.cid)) {
    ++p.stats.duplicate_blocks;
    p.stats.duplicate_bytes += bytes;
    ++stats_.duplicate_blocks;
    return;
  }
  ++p.stats.unsolicited_blocks;
  p.stats.unsolicited_bytes += bytes;
  ++stats_.unsolicited_blocks;
  // Honest servers send only blocks they were asked for, under the asked CID. While we wait for
  // answers from this peer, a block we never asked anyone for is a wanted block whose data was
  // altered (its CID is computed from the data).
  if (p.asks_open > 0) {
    misbehave(h,
              "sent block " + block.cid.to_string() + " that matches none of our wants while " +
                  std::to_string(p.asks_open) +
                  " requests to it are open: corrupted or forged data",
              now);
    return;
  }
  if (p.stats.unsolicited_bytes > config_.peer_unsolicited_bytes_max)
    misbehave(h,
              "sent " + std::to_string(p.stats.unsolicited_bytes) +
                  " bytes of unsolicited blocks, over peer_unsolicited_bytes_max " +
                  std::to_string(config_.peer_unsolicited_bytes_max),
              now);
}

void Client::on_presence(PeerHandle h, const Presence& presence, Instant now) {
  auto it = wants_.find(presence.cid);
  if (it == wants_.end() || !it->second.live) return;  // not asked: nothing to learn
  Want& w = it->second;
  Peer& p = peers_.at(h);
  auto ask = w.asks.find(h);
  std::optional<Ask> state;
  if (ask != w.asks.end()) state = ask->second.state;
  if (presence.type == PresenceType::have) {
    ++p.stats.haves;
    // A HAVE while its want-block is out changes nothing; otherwise the peer is a candidate.
    if (state != Ask::block_asked && state != Ask::has) set_ask(presence.cid, w, h, Ask::has, now);
  } else {
    ++p.stats.dont_haves;
    if (state == Ask::block_asked) p.proven = false;
    if (state == Ask::block_asked || state == Ask::has) adjust_score(p, -1);  // said HAVE before
    if (state != Ask::lacks) set_ask(presence.cid, w, h, Ask::lacks, now);
  }
  after_change(presence.cid, w);
}

}  // namespace agora::bitswap
