// /ipfs/bitswap/1.2.0 as a host::Behaviour: the sans-I/O client and server cores
// (proto/bitswap) over streams, with no coroutine, socket or clock of its own.
//
// Each peer gets one outbound stream that carries our messages (wantlists, blocks, presences);
// its messages arrive on streams it opens (at most inbound_streams_per_peer_max at once, held by
// the swarm). Blocks for the server come from an injected BitswapBlocks, which checks each block
// against its hash before it is sent (one that fails is answered DONT_HAVE). A server task is
// done, and the peer's next one may start, once its last message has left the stream's queue
// (on_message_sent). A peer that sends malformed messages, corrupt blocks or floods of
// unsolicited data is cut off and banned for misbehaviour_ban.
//
// Bounds: messages by limits.message_bytes_max both ways; bytes waiting for one peer's stream
// (opening, or behind the runtime's queue) by peer_send_queue_bytes_max, past which messages are
// dropped and counted; events waiting for poll_event by events_max (the oldest go, counted). The
// cores bound wants, wantlists and tasks themselves.
//
// The owner calls client() (want, cancel) or server() (on_block_added) and then commanded(now)
// before waking the runtime. It drains poll_event() after every input (BlockReceived for its
// fetches, WantStalled to look for providers, BitswapMisbehaved to record).
#pragma once

#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "host/behaviour.h"
#include "proto/bitswap/client.h"
#include "proto/bitswap/peer_id_hash.h"
#include "proto/bitswap/server.h"

namespace agora::behaviour {

inline constexpr std::string_view kBitswapProtocol = bitswap::kProtocolId;

// The blocks the server sends. block_size() is the server core's question; read_checked() loads
// a block and verifies it against its CID: nullopt when it is missing or failed the check (the
// implementation deals with a corrupt block, e.g. quarantines it).
class BitswapBlocks : public bitswap::BlockInfo {
 public:
  virtual std::optional<Bytes> read_checked(const Cid& cid) = 0;
};

struct BitswapBehaviourConfig {
  bitswap::ClientConfig client;
  bitswap::ServerConfig server;
  bitswap::MessageLimits limits;
  size_t inbound_streams_per_peer_max = 4;
  size_t peer_send_queue_bytes_max = 32 << 20;
  Duration misbehaviour_ban = std::chrono::minutes(10);
  size_t events_max = 65536;
  host::ScopeLimits all_peers = host::kAllPeersLimits;
};

struct BitswapMisbehaved {
  PeerId peer;
  std::string reason;
};
using BitswapEvent = std::variant<bitswap::BlockReceived, bitswap::WantStalled, BitswapMisbehaved>;

struct BitswapBehaviourStats {
  uint64_t messages_received = 0;
  uint64_t messages_malformed = 0;
  uint64_t messages_dropped = 0;  // peer gone, or its send queue full
  uint64_t blocks_received = 0;
  uint64_t block_bytes_received = 0;
  uint64_t blocks_sent = 0;
  uint64_t block_bytes_sent = 0;
  uint64_t peers_misbehaved = 0;
  uint64_t events_dropped = 0;
};

class BitswapBehaviour final : public host::Behaviour {
 public:
  BitswapBehaviour(BitswapBehaviourConfig config, BitswapBlocks& blocks);

  bitswap::Client& client() { return client_; }
  const bitswap::Client& client() const { return client_; }
  bitswap::Server& server() { return server_; }
  const bitswap::Server& server() const { return server_; }
  // After the owner called into client() or server(): takes what the cores queued.
  void commanded(Instant now) { drain(now); }
  std::optional<BitswapEvent> poll_event();
  const BitswapBehaviourStats& stats() const { return stats_; }
  size_t peers() const { return peers_.size(); }

  std::vector<host::ProtocolSpec> protocols() const override;
  void on_connection_opened(const host::ConnectionOpened& c, Instant now) override;
  void on_connection_ended(const host::ConnectionEnded& c, Instant now) override;
  void on_stream_opened(const host::StreamOpened& s, Instant now) override;
  void on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) override;
  void on_message(host::StreamRef ref, Bytes message, Instant now) override;
  void on_message_sent(host::StreamRef ref, uint64_t token, Instant now) override;
  void on_stream_finished(host::StreamRef ref, Instant now) override;
  void on_stream_closed(host::StreamRef ref, const Error& why, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  struct Queued {
    Bytes message;  // encoded, unframed
    uint64_t task_id = 0;
  };
  struct Peer {
    size_t connections = 0;
    std::optional<host::StreamRef> out;  // our stream to it
    bool opening = false;
    std::deque<Queued> waiting;  // until the stream opens
    size_t waiting_bytes = 0;
    std::set<uint64_t> sent;  // server tasks whose last message the runtime holds (the token)
  };
  void drain(Instant now);
  void send(const PeerId& peer, const bitswap::Message& message, uint64_t task_id);
  void flush(Peer& p);
  void run_task(bitswap::SendTask task);
  void drop_stream(Peer& p);
  void peer_gone(const PeerId& peer, Instant now);
  void misbehaved(const PeerId& peer, std::string reason);
  void emit(BitswapEvent e);

  BitswapBehaviourConfig config_;
  BitswapBlocks& blocks_;
  bitswap::Client client_;
  bitswap::Server server_;
  std::unordered_map<PeerId, Peer, bitswap::PeerIdHash> peers_;
  std::map<host::StreamRef, PeerId> inbound_;
  std::map<host::StreamRef, PeerId> outbound_;
  std::map<uint64_t, PeerId> opening_;  // OpenStream tag -> peer
  uint64_t next_tag_ = 1;
  std::deque<host::BehaviourAction> actions_;
  std::deque<BitswapEvent> events_;
  BitswapBehaviourStats stats_;
};

}  // namespace agora::behaviour
