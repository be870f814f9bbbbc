// Kad core: answering inbound requests.
#include <algorithm>

#include "codec/multihash.h"
#include "proto/kad/kad.h"

namespace agora::kad {
namespace {

Error refused(Errc code, const std::string& what) { return make_error(code, "kad: " + what); }

Status need_key(const Message& request) {
  if (request.key.empty())
    return refused(Errc::invalid_input,
                   std::string(message_type_name(request.type)) + " without a key");
  return {};
}

Status need_multihash_key(const Message& request) {
  AGORA_TRY(need_key(request));
  auto mh = decode_multihash(request.key);
  if (!mh)
    return refused(Errc::invalid_input, std::string(message_type_name(request.type)) +
                                            " key is not a multihash: " + mh.error().message);
  return {};
}

}  // namespace

const char* reject_kind_name(RejectKind kind) {
  switch (kind) {
    case RejectKind::foreign_provider:
      return "foreign_provider";
    case RejectKind::not_stored:
      return "not_stored";
    case RejectKind::rate_limited:
      return "rate_limited";
    case RejectKind::over_quota:
      return "over_quota";
  }
  return "unknown";
}

Result<std::optional<Message>> Kad::handle_request(const PeerId& from, BytesView ip_group,
                                                   const Message& request, Instant now) {
  ++stats_.inbound_requests;
  auto result = [&]() -> Result<std::optional<Message>> {
    if (!config_.server_mode)
      return refused(Errc::unsupported, "client mode: not serving requests");
    AGORA_TRY(check_limits(request, config_.limits));
    switch (request.type) {
      case MessageType::find_node:
        return on_find_node(from, request);
      case MessageType::get_value:
        return on_get_value(from, request, now);
      case MessageType::put_value:
        return on_put_value(request, now);
      case MessageType::get_providers:
        return on_get_providers(from, request, now);
      case MessageType::add_provider:
        return on_add_provider(from, ip_group, request, now);
      case MessageType::ping:
        return refused(Errc::unsupported, "PING is deprecated and not served");
    }
    return refused(Errc::unsupported,
                   "unknown message type " + std::to_string(uint32_t(request.type)));
  }();
  if (!result) {
    ++stats_.inbound_refused;
  } else {
    routing_.touch(from, now);  // a peer in the table that talks to us is alive
  }
  return result;
}

std::vector<Peer> Kad::closer_peers(BytesView key, const PeerId& requester) const {
  std::vector<Peer> out;
  for (RoutingEntry& e : routing_.closest(Key::from_bytes(key), config_.k + 1)) {
    if (e.id == requester) continue;  // it knows itself
    if (out.size() >= config_.k) break;
    out.push_back(Peer{std::move(e.id), std::move(e.addrs), ConnectionType::not_connected});
  }
  return out;
}

Result<std::optional<Message>> Kad::on_find_node(const PeerId& from, const Message& request) {
  AGORA_TRY(need_key(request));
  Message response;
  response.type = MessageType::find_node;
  if (request.key == self_.bytes()) {
    response.closer_peers.push_back(Peer{self_, self_addrs_, ConnectionType::connected});
  } else {
    response.closer_peers = closer_peers(request.key, from);
  }
  return std::optional<Message>(std::move(response));
}

Result<std::optional<Message>> Kad::on_get_value(const PeerId& from, const Message& request,
                                                 Instant now) {
  AGORA_TRY(need_key(request));
  Message response;
  response.type = MessageType::get_value;
  response.key = request.key;
  response.record = records_.get(request.key, now);
  response.closer_peers = closer_peers(request.key, from);
  return std::optional<Message>(std::move(response));
}

Result<std::optional<Message>> Kad::on_put_value(const Message& request, Instant now) {
  AGORA_TRY(need_key(request));
  if (!request.record) return refused(Errc::invalid_input, "PUT_VALUE without a record");
  if (request.record->key != request.key)
    return refused(Errc::invalid_input, "PUT_VALUE record key differs from the message key");
  AGORA_TRY(records_.put(*request.record, now));
  arm_cleanup(now);
  return std::optional<Message>(request);  // the spec's answer: an echo of the request
}

Result<std::optional<Message>> Kad::on_get_providers(const PeerId& from, const Message& request,
                                                     Instant now) {
  AGORA_TRY(need_multihash_key(request));
  Message response;
  response.type = MessageType::get_providers;
  response.key = request.key;
  for (PeerInfo& p : providers_.providers(request.key, now)) {
    if (response.provider_peers.size() >= config_.limits.provider_peers_max) break;
    response.provider_peers.push_back(to_peer(p));
  }
  response.closer_peers = closer_peers(request.key, from);
  return std::optional<Message>(std::move(response));
}

// Only entries for the sender itself are stored (spec); the others are reported, not fatal.
// Each entry takes a token of the sender's rate; entries refused by the rate or a quota are
// overflows, and a peer that keeps overflowing is banned (PeerBanned).
Result<std::optional<Message>> Kad::on_add_provider(const PeerId& from, BytesView ip_group,
                                                    const Message& request, Instant now) {
  AGORA_TRY(need_multihash_key(request));
  if (add_provider_gate_.banned(from, now))
    return refused(Errc::limit, "ADD_PROVIDER from a peer banned for overflowing");
  for (const Peer& p : request.provider_peers) {
    if (p.id != from) {
      emit(InboundRejected{from, "ADD_PROVIDER entry for another peer " + p.id.to_string(),
                           RejectKind::foreign_provider});
      continue;
    }
    if (!add_provider_gate_.admit(from, now)) {
      ++stats_.providers_rate_limited;
      emit(InboundRejected{from, "ADD_PROVIDER over add_provider_rate_per_s",
                           RejectKind::rate_limited});
      if (provider_overflow(from, now)) break;  // banned: the rest is not looked at
      continue;
    }
    Status st = providers_.add(request.key, to_peer_info(p), ip_group, now);
    emit_evicted();
    if (!st) {
      const bool quota = st.error().code == Errc::limit;
      if (quota) ++stats_.providers_over_quota;
      emit(InboundRejected{from, "ADD_PROVIDER not stored: " + st.error().message,
                           quota ? RejectKind::over_quota : RejectKind::not_stored});
      if (quota && provider_overflow(from, now)) break;
      continue;
    }
    arm_cleanup(now);
  }
  return std::optional<Message>();
}

bool Kad::provider_overflow(const PeerId& from, Instant now) {
  if (config_.provider_overflows_before_ban == 0 || !add_provider_gate_.overflowed(from, now))
    return false;
  ++stats_.peers_banned;
  add_provider_gate_.ban(from, now);
  // The ban first: the service cuts the peer off before it deletes the peer's records.
  emit(PeerBanned{from, "overflowed the provider store " +
                            std::to_string(config_.provider_overflows_before_ban) + " times"});
  providers_.remove_peer(from);
  emit_evicted();
  routing_remove(from, now);
  return true;
}

void Kad::emit_evicted() {
  for (EvictedProvider& e : providers_.take_evicted()) {
    ++stats_.providers_evicted;
    emit(ProviderEvicted{std::move(e.key), std::move(e.peer)});
  }
}

}  // namespace agora::kad
