// agora::Node's DHT operations: snapshots of its state and queries, each run on the loop and
// turned into its JSON answer there (some answers read node state).
#include "proto/kad/records.h"
#include "public/node_impl.h"
#include "public/operation_trace.h"
#include "public/views.h"

namespace agora {

namespace {

Error no_dht() { return make_error(Errc::not_found, "this node runs without the DHT"); }

using ToJson = std::function<Result<Json>(node::Node&, const kad::QueryFinished&)>;

// Callers pass named StartFn/ToJson objects: GCC 12 mishandles lambdas written inside co_await.
rt::awaitable<Result<Json>> run_query(node::Node& node, KadService::StartFn start, ToJson to_json) {
  KadService* dht = node.dht();
  if (!dht) co_return no_dht();
  KadService::StepFn no_steps;
  auto done = co_await dht->run(start, no_steps);
  if (!done) co_return done.error();
  co_return to_json(node, *done);
}

Result<Json> query(asio::io_context& io, node::Node& node, KadService::StartFn start,
                   ToJson to_json) {
  return call_on_loop<Result<Json>>(
      io, [&node, start, to_json] { return run_query(node, start, to_json); });
}

}  // namespace

Result<Json> Node::dht_status() {
  return run_on_loop<Result<Json>>(impl_->io_, [this]() -> Result<Json> {
    node::Node& n = *impl_->node_;
    if (!n.dht()) return no_dht();
    return dht_status_json(n, *n.dht());
  });
}

Result<Json> Node::dht_table() {
  return run_on_loop<Result<Json>>(impl_->io_, [this]() -> Result<Json> {
    node::Node& n = *impl_->node_;
    if (!n.dht()) return no_dht();
    return dht_table_json(n, *n.dht());
  });
}

Result<Json> Node::dht_find_peer(std::string_view peer_id, std::string_view traceparent) {
  AGORA_ASSIGN(PeerId target, PeerId::parse(peer_id));
  OperationTrace trace(impl_->node_->spans(), "dht.findpeer", traceparent, target.to_string());
  trace.activate(target.bytes(), target.to_string());
  return trace.finish(query(
      impl_->io_, *impl_->node_,
      [target](kad::Kad& k, Instant now) { return k.find_node(target, now); },
      [target](node::Node& n, const kad::QueryFinished& done) {
        return find_peer_json(n, target, done);
      }));
}

Result<std::vector<Multiaddr>> Node::Impl::find_peer_addrs(const PeerId& peer) {
  AGORA_ASSIGN(Json found,
               query(
                   io_, *node_, [peer](kad::Kad& k, Instant now) { return k.find_node(peer, now); },
                   [peer](node::Node& n, const kad::QueryFinished& done) {
                     return find_peer_json(n, peer, done);
                   }));
  std::vector<Multiaddr> out;
  for (const auto& text : found.value("addrs", Json::array()))
    if (auto a = Multiaddr::parse(text.get<std::string>())) out.push_back(std::move(*a));
  if (out.empty()) return make_error(Errc::not_found, "no addresses");
  return out;
}

Result<Json> Node::dht_find_providers(std::string_view cid_text, std::string_view traceparent) {
  AGORA_ASSIGN(Cid cid, Cid::parse(cid_text));
  Bytes mh = encode_multihash(cid.hash());
  OperationTrace trace(impl_->node_->spans(), "dht.findprovs", traceparent, cid.to_string());
  trace.activate(cid);
  return trace.finish(query(
      impl_->io_, *impl_->node_,
      [mh](kad::Kad& k, Instant now) { return k.get_providers(mh, now); },
      [cid](node::Node&, const kad::QueryFinished& done) { return providers_json(cid, done); }));
}

Result<Json> Node::dht_get(std::string_view key_text) {
  AGORA_ASSIGN(Bytes key, parse_dht_key(key_text, true));
  return query(
      impl_->io_, *impl_->node_, [key](kad::Kad& k, Instant now) { return k.get_value(key, now); },
      [key](node::Node&, const kad::QueryFinished& done) { return value_json(key, done); });
}

Status Node::validate_dht_key(std::string_view key, bool record_key) {
  AGORA_TRY(parse_dht_key(key, record_key));
  return {};
}

size_t Node::dht_record_value_bytes_max() const {
  return kad::MessageLimits{}.record_value_bytes_max;
}

Result<Json> Node::dht_put(std::string_view key_text, std::span<const uint8_t> value) {
  AGORA_ASSIGN(Bytes key, parse_dht_key(key_text, true));
  const size_t max = dht_record_value_bytes_max();
  if (value.size() > max)
    return make_error(Errc::too_large,
                      "a record value is at most " + std::to_string(max) + " bytes");
  kad::Record record{key, Bytes(value.begin(), value.end()), {}};
  AGORA_TRY(kad::validate_record(record));
  return query(
      impl_->io_, *impl_->node_,
      [record](kad::Kad& k, Instant now) { return k.put_value(record, now); },
      [key](node::Node&, const kad::QueryFinished& done) { return stored_json(key, done); });
}

// What a lookup asks for, by the key's kind: a /pk/ key's record, a peer id's closest peers, a
// CID's providers (a peer id is tried before a CID, so a CIDv0 "Qm..." is taken as a peer id).
kad::QueryKind dht_query_kind(std::string_view key_text) {
  if (key_text.starts_with("/pk/")) return kad::QueryKind::get_value;
  if (PeerId::parse(key_text)) return kad::QueryKind::get_closest_peers;
  return kad::QueryKind::get_providers;
}

Result<Json> Node::dht_query(std::string_view key_text,
                             const std::function<void(const Json&)>& step) {
  AGORA_ASSIGN(Bytes key, parse_dht_key(key_text, false));
  const kad::QueryKind kind = dht_query_kind(key_text);
  node::Node& n = *impl_->node_;
  using Done = Result<kad::QueryFinished>;
  using Steps = std::shared_ptr<Mailbox<Json>>;
  auto done = stream_from_loop<Done, Json>(
      impl_->io_, kQueryStepsMax,
      [&n, key, kind](Steps steps) -> rt::awaitable<Done> {
        KadService* dht = n.dht();
        if (!dht) co_return no_dht();
        KadService::StartFn start = [key, kind](kad::Kad& k, Instant now) {
          if (kind == kad::QueryKind::get_providers) return k.get_providers(key, now);
          if (kind == kad::QueryKind::get_value) return k.get_value(key, now);
          return k.get_closest_peers(key, now);
        };
        KadService::StepFn report = [steps, started = rt::now()](const kad::QueryStep& s) {
          steps->push(query_step_json(s, rt::now() - started));
        };
        co_return co_await dht->run(start, report);
      },
      step);
  if (!done) return done.error();
  return query_done_json(key_text, *done);
}

}  // namespace agora
