#include "node/identify_service.h"

#include "codec/lp_frame.h"
#include "proto/identify/peer_record.h"

namespace agora {

using namespace identify;
using record::make_signed_peer_record;

IdentifyService::IdentifyService(rt::Swarm& swarm, IdentifyServiceConfig config,
                                 observe::EventRecorder& events)
    : swarm_(swarm),
      config_(std::move(config)),
      events_(events),
      // Peer record sequence numbers must grow across restarts: wall-clock time does that.
      record_seq_(uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count())) {}

void IdentifyService::start() {
  swarm_.set_handler(kIdentifyProtocol, [this](auto s) { return serve(std::move(s)); });
  swarm_.set_handler(kIdentifyPushProtocol, [this](auto s) { return serve_push(std::move(s)); });
  swarm_.on_connection([this](const std::shared_ptr<rt::Connection>& conn) {
    asio::co_spawn(swarm_.executor(), identify_connection(conn), asio::detached);
  });
}

IdentifyInfo IdentifyService::local_info(const std::optional<Multiaddr>& observed) const {
  IdentifyInfo info;
  info.agent_version = config_.agent_version;
  const auto& pub = swarm_.identity().public_key();
  info.public_key = encode_public_key({KeyType::ed25519, Bytes(pub.begin(), pub.end())});
  info.listen_addrs = swarm_.listen_addrs();
  info.protocols = swarm_.protocols();
  info.observed_addr = observed;
  info.signed_peer_record =
      make_signed_peer_record(swarm_.identity(), record_seq_, info.listen_addrs);
  return info;
}

const IdentifyInfo* IdentifyService::peer_info(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second;
}

void IdentifyService::remember(const PeerId& peer, IdentifyInfo info) {
  if (peers_.size() >= config_.peers_max && !peers_.count(peer)) {
    // Forget someone we are no longer connected to; keep connected peers.
    for (auto it = peers_.begin(); it != peers_.end(); ++it) {
      if (!swarm_.connection_to(it->first)) {
        peers_.erase(it);
        break;
      }
    }
    if (peers_.size() >= config_.peers_max) return;
  }
  peers_[peer] = std::move(info);
}

// Reads LP-framed identify messages until EOF and merges them (multi-message identify).
rt::awaitable<Result<IdentifyInfo>> IdentifyService::read_identify(rt::Stream& stream) {
  LpReader reader(config_.limits.message_bytes_max);
  std::optional<IdentifyInfo> merged;
  size_t messages = 0;
  uint8_t buf[4096];
  for (;;) {
    auto n = co_await stream.read_some(buf, sizeof buf);
    if (!n) co_return n.error();
    if (*n == 0) break;
    reader.feed({buf, *n});
    for (;;) {
      auto frame = reader.next();
      if (!frame) co_return frame.error();
      if (!*frame) break;
      if (++messages > config_.messages_per_stream_max)
        co_return make_error(Errc::too_large, "identify: too many messages on one stream");
      auto info = decode_identify(**frame, config_.limits);
      if (!info) co_return info.error();
      if (merged) {
        merge_identify(*merged, *info);
      } else {
        merged = std::move(*info);
      }
    }
  }
  if (reader.buffered() > 0)
    co_return make_error(Errc::truncated, "identify: stream ended mid-message");
  if (!merged) co_return make_error(Errc::protocol, "identify: no message");
  co_return std::move(*merged);
}

rt::awaitable<void> IdentifyService::identify_connection(std::shared_ptr<rt::Connection> conn) {
  std::vector<std::string> protocols{kIdentifyProtocol};  // named: see upgrade.cpp on GCC 12
  auto stream = co_await swarm_.open_stream(conn, protocols);
  const PeerId peer = conn->info().peer;
  auto fail = [&](const Error& e) {
    observe::Event ev;
    ev.type = observe::EventType::handshake_failed;
    ev.peer = peer.to_string();
    ev.addr = conn->info().remote_addr.to_string();
    ev.protocol = kIdentifyProtocol;
    ev.reason = errc_name(e.code);
    ev.detail = "identify: " + e.message;
    events_.record(std::move(ev));
  };
  if (!stream) {
    fail(stream.error());
    co_return;
  }
  (*stream)->close_write();
  auto info = co_await read_identify(**stream);
  if (!info) {
    fail(info.error());
    (*stream)->reset();
    co_return;
  }
  // The key in the message must be the key the connection authenticated.
  auto claimed = identify_peer_id(*info);
  if (!claimed || *claimed != peer) {
    fail(make_error(Errc::peer_mismatch,
                    "identify public key does not match the connection's peer"));
    conn->close(make_error(Errc::peer_mismatch, "identify public key mismatch"));
    co_return;
  }
  observe::Event ev;
  ev.type = observe::EventType::peer_identified;
  ev.peer = peer.to_string();
  ev.addr = conn->info().remote_addr.to_string();
  ev.detail = info->agent_version;
  events_.record(std::move(ev));
  for (auto& observer : on_identified_) observer(peer, *info);
  remember(peer, std::move(*info));
}

rt::awaitable<void> IdentifyService::serve(std::shared_ptr<rt::Stream> stream) {
  IdentifyInfo info = local_info(stream->connection().info().remote_addr);
  Bytes frame = lp_encode(encode_identify(info));
  if (Status st = co_await stream->write_all(frame); !st) co_return;
  stream->close_write();
  // Wait (bounded) for the peer's side to finish so the stream closes cleanly, not by reset,
  // which could discard our reply before the peer read it.
  std::weak_ptr<rt::Stream> weak = stream;
  rt::Deadline deadline(swarm_.executor(), std::chrono::seconds(10), [weak] {
    if (auto s = weak.lock()) s->reset();
  });
  uint8_t buf[64];
  for (int i = 0; i < 16; ++i) {
    auto n = co_await stream->read_some(buf, sizeof buf);
    if (!n || *n == 0) break;
  }
}

rt::awaitable<void> IdentifyService::serve_push(std::shared_ptr<rt::Stream> stream) {
  const PeerId peer = stream->connection().info().peer;
  auto info = co_await read_identify(*stream);
  if (!info) {
    stream->reset();
    co_return;
  }
  stream->close_write();
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    for (auto& observer : on_identified_) observer(peer, *info);
    remember(peer, std::move(*info));
  } else {
    merge_identify(it->second, *info);
    for (auto& observer : on_identified_) observer(peer, it->second);
  }
}

}  // namespace agora
