// Identify (/ipfs/id/1.0.0) and identify push (/ipfs/id/push/1.0.0) as a host::Behaviour.
// Sans-I/O: what we tell peers comes from an injected LocalInfo (the runtime knows our listen
// addresses and protocols and holds the key that signs our peer record).
//
// On every new connection we open an identify stream, send nothing, close our side and read the
// peer's answer: one or more length-prefixed messages (js splits large answers), merged, until
// its EOF. The key in the answer must be the key the connection authenticated; a peer that
// claims another is disconnected. We serve identify by writing our info and closing; a push
// updates what we know of the peer.
//
// Bounds: a message by limits.message_bytes_max (the framing refuses a larger one before its
// body is read), messages per stream by messages_per_stream_max, each exchange by
// exchange_timeout, peers remembered by peers_max (those not connected are forgotten first),
// events waiting for poll_event by events_max (the oldest dropped).
#pragma once

#include <deque>
#include <map>

#include "host/behaviour.h"
#include "proto/identify/identify.h"

namespace agora::behaviour {

inline constexpr const char* kIdentifyProtocol = "/ipfs/id/1.0.0";
inline constexpr const char* kIdentifyPushProtocol = "/ipfs/id/push/1.0.0";

struct IdentifyConfig {
  identify::IdentifyLimits limits;
  size_t messages_per_stream_max = 10;  // js splits large identify replies into several messages
  size_t peers_max = 4096;              // identify results kept for peers we are not connected to
  size_t events_max = 4096;
  Duration exchange_timeout = std::chrono::seconds(10);
  host::ProtocolLimits stream_limits;  // for both protocols
};

// One identify answer (ours or a push), or why an exchange failed.
struct Identified {
  PeerId peer;
  Multiaddr remote;  // the connection's remote address
  bool push = false;
  Result<identify::IdentifyInfo> info;  // a push: the merged result
};

class IdentifyBehaviour final : public host::Behaviour {
 public:
  // What we tell a peer whose connection looks like `observed` from here.
  using LocalInfo = std::function<identify::IdentifyInfo(const Multiaddr& observed)>;
  IdentifyBehaviour(IdentifyConfig config, LocalInfo local_info);

  const identify::IdentifyInfo* peer_info(const PeerId& peer) const;
  std::optional<Identified> poll_event();
  size_t exchanges() const { return exchanges_.size(); }
  size_t peers_known() const { return peers_.size(); }
  uint64_t events_dropped() const { return events_dropped_; }

  std::vector<host::ProtocolSpec> protocols() const override;
  void on_connection_opened(const host::ConnectionOpened& c, Instant now) override;
  void on_connection_ended(const host::ConnectionEnded& c, Instant now) override;
  void on_stream_opened(const host::StreamOpened& stream, Instant now) override;
  void on_stream_open_failed(const host::StreamOpenFailed& failed, Instant now) override;
  void on_message(host::StreamRef ref, Bytes message, Instant now) override;
  void on_stream_finished(host::StreamRef ref, Instant now) override;
  void on_stream_closed(host::StreamRef ref, const Error& why, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  enum class Kind { ours, served, push };
  struct Exchange {
    Kind kind = Kind::ours;
    PeerId peer;
    Multiaddr remote;
    std::optional<identify::IdentifyInfo> merged;
    size_t messages = 0;
    Instant deadline{};
    bool done = false;  // its result is out; only the stream's end is awaited
  };
  void fail(host::StreamRef ref, Exchange& x, Error why);
  void answered(host::StreamRef ref, Exchange& x);
  void remember(const PeerId& peer, identify::IdentifyInfo info);
  void emit(Identified event);

  IdentifyConfig config_;
  LocalInfo local_info_;
  uint64_t next_tag_ = 1;
  std::map<uint64_t, std::pair<PeerId, Multiaddr>> opening_;  // by OpenStream tag
  std::map<host::StreamRef, Exchange> exchanges_;
  std::map<PeerId, identify::IdentifyInfo> peers_;
  std::map<PeerId, size_t> connections_;  // open connections per peer
  std::deque<host::BehaviourAction> actions_;
  std::deque<Identified> events_;
  uint64_t events_dropped_ = 0;
};

}  // namespace agora::behaviour
