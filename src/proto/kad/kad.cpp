// Kad core: operations, query lifecycle and timers. Requests and answers are in
// kad_requests.cpp, inbound requests in kad_inbound.cpp.
#include "proto/kad/kad.h"

#include <algorithm>
#include <cassert>

#include "codec/multihash.h"

namespace agora::kad {

const char* query_kind_name(QueryKind kind) {
  switch (kind) {
    case QueryKind::find_node:
      return "find_node";
    case QueryKind::get_closest_peers:
      return "get_closest_peers";
    case QueryKind::get_value:
      return "get_value";
    case QueryKind::put_value:
      return "put_value";
    case QueryKind::get_providers:
      return "get_providers";
    case QueryKind::provide:
      return "provide";
    case QueryKind::bootstrap:
      return "bootstrap";
    case QueryKind::refresh:
      return "refresh";
  }
  return "unknown";
}

namespace {

MessageType lookup_type(QueryKind kind) {
  switch (kind) {
    case QueryKind::get_value:
      return MessageType::get_value;
    case QueryKind::get_providers:
      return MessageType::get_providers;
    default:
      return MessageType::find_node;
  }
}

Status check_key(BytesView key, const MessageLimits& limits) {
  if (key.empty()) return make_error(Errc::invalid_input, "kad: empty key");
  if (key.size() > limits.key_bytes_max)
    return make_error(Errc::too_large,
                      "kad: key over key_bytes_max " + std::to_string(limits.key_bytes_max));
  return {};
}

Status check_multihash(BytesView key, const MessageLimits& limits) {
  AGORA_TRY(check_key(key, limits));
  auto mh = decode_multihash(key);
  if (!mh)
    return make_error(Errc::invalid_input, "kad: key is not a multihash: " + mh.error().message);
  return {};
}

}  // namespace

Kad::Kad(PeerId self, KadConfig config)
    : self_(std::move(self)),
      self_key_(Key::of(self_)),
      config_(config),
      routing_(self_, RoutingConfig{config.k, config.replacements_max, config.addrs_per_peer_max,
                                    config.limits.addr_bytes_max, config.liveness_check_after}),
      records_(RecordStoreConfig{config.records_max, config.record_ttl}),
      providers_(ProviderStoreConfig{config.provider_records_max, config.providers_per_key_max,
                                     config.provider_records_per_peer_max,
                                     config.provider_records_per_ip_group_max,
                                     config.addrs_per_peer_max, config.limits.addr_bytes_max,
                                     config.provider_validity, config.provider_addrs_validity}),
      add_provider_gate_(AddProviderGateConfig{
          config.add_provider_rate_per_s, config.add_provider_burst,
          config.provider_overflows_before_ban, config.provider_overflow_window}),
      rng_(config.rng_seed) {
  assert(!self_.empty());
  config_.k = std::max<size_t>(config_.k, 1);
  config_.alpha = std::max<size_t>(config_.alpha, 1);
  config_.disjoint_paths = std::max<size_t>(config_.disjoint_paths, 1);
}

uint64_t Kad::next_random() {
  // splitmix64: the stream is fixed by rng_seed, so runs repeat exactly.
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void Kad::emit(KadEvent event) {
  // Evictions and bans carry state the service must mirror (agora.db, the swarm's bans). They are
  // bounded by the provider store itself, so they never count against events_max nor get dropped.
  bool must_deliver =
      std::holds_alternative<ProviderEvicted>(event) || std::holds_alternative<PeerBanned>(event);
  if (!must_deliver && events_.size() >= config_.events_max) {
    ++stats_.events_dropped;
    return;
  }
  events_.push(std::move(event));
}

std::optional<KadEvent> Kad::poll_event() { return events_.pop(); }

void Kad::on_peer_connected(const PeerInfo& peer, bool is_server, Direction direction,
                            Instant now) {
  if (!is_server) return;
  routing_update(peer, now,
                 direction == Direction::inbound ? OnFullBucket::wait : OnFullBucket::check_oldest);
}

void Kad::on_peer_disconnected(const PeerId&, Instant) {}

Result<QueryId> Kad::start_query(QueryKind kind, Bytes key, Instant now) {
  if (queries_.size() >= config_.queries_max) {
    ++stats_.queries_refused;
    return make_error(Errc::limit,
                      "kad: queries_max " + std::to_string(config_.queries_max) + " running");
  }
  const QueryId id = next_query_id_++;
  const Key target = Key::from_bytes(key);
  QueryConfig qc{config_.k, config_.alpha, config_.disjoint_paths, config_.query_peers_max};
  QueryState q{kind, Phase::lookup, std::move(key), Query(target, qc, now)};
  q.started = now;
  std::vector<PeerInfo> seeds;
  for (const RoutingEntry& e : routing_.closest(target, config_.k)) seeds.push_back(e.info());
  q.lookup.add_seeds(seeds);
  queries_.emplace(id, std::move(q));
  ++stats_.queries_started;
  return id;
}

bool Kad::lookup_satisfied(const QueryState& q) const {
  if (q.kind == QueryKind::get_value)
    return q.records_found >= std::max<size_t>(config_.get_value_quorum, 1);
  if (q.kind == QueryKind::get_providers)
    return q.providers.size() >= std::max<size_t>(config_.providers_wanted, 1);
  return false;
}

void Kad::pump(QueryId id, Instant now) {
  auto it = queries_.find(id);
  if (it == queries_.end()) return;
  QueryState& q = it->second;
  if (q.phase != Phase::lookup) return;
  if (lookup_satisfied(q)) {
    routing_.mark_lookup(q.lookup.target(), now);
    finish_query(id, true, {}, now);
    return;
  }
  while (auto peer = q.lookup.next_request()) {
    Message m;
    m.type = lookup_type(q.kind);
    m.key = q.key;
    send(Purpose::lookup, id, *peer, std::move(m), now);
  }
  if (!q.lookup.finished()) return;
  routing_.mark_lookup(q.lookup.target(), now);
  if (q.kind == QueryKind::put_value || q.kind == QueryKind::provide) {
    start_store_phase(id, q, now);
    return;
  }
  const bool any = q.lookup.stats().responses > 0;
  switch (q.kind) {
    case QueryKind::get_value:
      finish_query(id, q.record.has_value(), q.record ? "" : "no record found", now);
      break;
    case QueryKind::get_providers:
      finish_query(id, !q.providers.empty(), q.providers.empty() ? "no providers found" : "", now);
      break;
    default:
      finish_query(id, any, any ? "" : "no peer answered", now);
      break;
  }
}

void Kad::start_store_phase(QueryId id, QueryState& q, Instant now) {
  drop_query_requests(id);
  q.phase = Phase::store;
  const std::vector<PeerInfo> targets = q.lookup.closest(config_.k);
  if (q.kind == QueryKind::put_value) {
    assert(q.record);
    for (const PeerInfo& t : targets) {
      Message m;
      m.type = MessageType::put_value;
      m.key = q.key;
      m.record = Record{q.record->key, q.record->value, {}};
      send(Purpose::store, id, t, std::move(m), now);
      ++q.store_pending;
    }
    if (q.store_pending == 0) finish_query(id, false, "no peer to store at", now);
    return;
  }
  Message m;
  m.type = MessageType::add_provider;
  m.key = q.key;
  m.provider_peers.push_back(Peer{self_, self_addrs_, ConnectionType::connected});
  for (const PeerInfo& t : targets) {
    send_no_response(t, m);
    ++q.stored;
  }
  finish_query(id, q.stored > 0, q.stored > 0 ? "" : "no peer to provide to", now);
}

void Kad::finish_query(QueryId id, bool ok, std::string error, Instant now) {
  auto it = queries_.find(id);
  if (it == queries_.end()) return;
  QueryState q = std::move(it->second);
  queries_.erase(it);
  drop_query_requests(id);
  QueryFinished f{id, q.kind, ok};
  f.closest = q.lookup.closest(config_.k);
  f.providers = std::move(q.providers);
  f.record = std::move(q.record);
  f.stored = q.stored;
  f.stats = q.lookup.stats();
  f.stats.elapsed = now - q.started;
  f.error = std::move(error);
  emit(std::move(f));
  if (q.kind == QueryKind::bootstrap && ok) start_refreshes(now);
}

Status Kad::cancel(QueryId query, Instant now) {
  if (queries_.count(query) == 0)
    return make_error(Errc::not_found, "kad: no query " + std::to_string(query));
  finish_query(query, false, "cancelled", now);
  return {};
}

// Operations

Result<QueryId> Kad::find_node(const PeerId& target, Instant now) {
  if (target.empty()) return make_error(Errc::invalid_input, "kad: empty peer id");
  AGORA_ASSIGN(QueryId id, start_query(QueryKind::find_node, target.bytes(), now));
  pump(id, now);
  return id;
}

Result<QueryId> Kad::get_closest_peers(BytesView key, Instant now) {
  AGORA_TRY(check_key(key, config_.limits));
  AGORA_ASSIGN(QueryId id,
               start_query(QueryKind::get_closest_peers, Bytes(key.begin(), key.end()), now));
  pump(id, now);
  return id;
}

Result<QueryId> Kad::get_value(BytesView key, Instant now) {
  AGORA_TRY(check_key(key, config_.limits));
  // A record we could not validate is of no use: refuse namespaces without a validator up front.
  AGORA_ASSIGN(std::string_view ns, record_namespace(key));
  if (ns != kPkNamespace)
    return make_error(Errc::unsupported,
                      "kad: no validator for record namespace '" + std::string(ns) + "'");
  AGORA_ASSIGN(QueryId id, start_query(QueryKind::get_value, Bytes(key.begin(), key.end()), now));
  QueryState& q = queries_.at(id);
  if (auto local = records_.get(key, now)) {
    q.record = std::move(local);
    q.records_found = 1;
  }
  pump(id, now);
  return id;
}

Result<QueryId> Kad::put_value(Record record, Instant now) {
  AGORA_TRY(check_key(record.key, config_.limits));
  if (record.value.size() > config_.limits.record_value_bytes_max)
    return make_error(Errc::too_large, "kad: record value over record_value_bytes_max " +
                                           std::to_string(config_.limits.record_value_bytes_max));
  AGORA_TRY(validate_record(record));
  record.time_received.clear();
  // Stored here too, as go does; a full local store does not stop the network put.
  if (records_.put(record, now)) arm_cleanup(now);
  AGORA_ASSIGN(QueryId id, start_query(QueryKind::put_value, record.key, now));
  queries_.at(id).record = std::move(record);
  pump(id, now);
  return id;
}

Result<QueryId> Kad::get_providers(BytesView multihash, Instant now) {
  AGORA_TRY(check_multihash(multihash, config_.limits));
  AGORA_ASSIGN(QueryId id, start_query(QueryKind::get_providers,
                                       Bytes(multihash.begin(), multihash.end()), now));
  QueryState& q = queries_.at(id);
  for (PeerInfo& p : providers_.providers(multihash, now)) {
    if (q.providers.size() >= config_.providers_wanted) break;
    q.providers.push_back(std::move(p));
  }
  pump(id, now);
  return id;
}

Result<QueryId> Kad::provide(BytesView multihash, std::vector<Bytes> self_addrs, Instant now) {
  AGORA_TRY(check_multihash(multihash, config_.limits));
  Bytes key(multihash.begin(), multihash.end());
  if (provided_.count(key) == 0 && provided_.size() >= config_.provided_keys_max)
    return make_error(Errc::limit, "kad: provided_keys_max " +
                                       std::to_string(config_.provided_keys_max) +
                                       " keys provided already");
  self_addrs_ = std::move(self_addrs);
  AGORA_ASSIGN(QueryId id, start_provide(key, now));
  provided_[std::move(key)] = now;
  if (!next_republish_ || *next_republish_ > now + config_.provider_republish)
    next_republish_ = now + config_.provider_republish;
  return id;
}

Status Kad::restore_provider(BytesView multihash, const PeerInfo& provider, Instant added,
                             Instant now, BytesView ip_group) {
  AGORA_TRY(check_multihash(multihash, config_.limits));
  if (added > now || now - added >= config_.provider_validity)
    return make_error(Errc::invalid_input, "kad: provider record not within provider_validity");
  Status st = providers_.restore(multihash, provider, ip_group, added);
  emit_evicted();
  AGORA_TRY(st);
  arm_cleanup(now);
  return {};
}

Status Kad::restore_provided(BytesView multihash, Instant last_provided, Instant now) {
  AGORA_TRY(check_multihash(multihash, config_.limits));
  Bytes key(multihash.begin(), multihash.end());
  if (provided_.count(key) == 0 && provided_.size() >= config_.provided_keys_max)
    return make_error(Errc::limit, "kad: provided_keys_max " +
                                       std::to_string(config_.provided_keys_max) +
                                       " keys provided already");
  if (last_provided > now) last_provided = now;  // a clock that went back: republish on time
  // Past provider_validity the local record is gone; the key is still ours, republished soon.
  if (now - last_provided < config_.provider_validity &&
      providers_.add_own(key, PeerInfo{self_, self_addrs_}, last_provided))
    arm_cleanup(now);
  emit_evicted();
  const Instant due = last_provided + config_.provider_republish;
  provided_[std::move(key)] = last_provided;
  if (!next_republish_ || due < *next_republish_) next_republish_ = due;
  return {};
}

Result<QueryId> Kad::start_provide(Bytes multihash, Instant now) {
  if (providers_.add_own(multihash, PeerInfo{self_, self_addrs_}, now)) arm_cleanup(now);
  emit_evicted();
  AGORA_ASSIGN(QueryId id, start_query(QueryKind::provide, std::move(multihash), now));
  pump(id, now);
  return id;
}

Result<QueryId> Kad::bootstrap(Instant now) {
  if (config_.refresh_interval > Duration::zero()) next_refresh_ = now + config_.refresh_interval;
  AGORA_ASSIGN(QueryId id, start_query(QueryKind::bootstrap, self_.bytes(), now));
  pump(id, now);
  return id;
}

// Buckets between 0 and the deepest (which the self lookup just walked) that no lookup touched
// within refresh_interval get a lookup for a random key of their own.
void Kad::start_refreshes(Instant now) {
  const size_t buckets = routing_.bucket_count();
  const size_t limit = std::min(
      {buckets == 0 ? 0 : buckets - 1, config_.refresh_cpl_max + 1, size_t(kRefreshCplLimit)});
  for (size_t cpl = 0; cpl < limit; ++cpl) {
    const auto last = routing_.last_lookup(cpl);
    if (last && now - *last < config_.refresh_interval) continue;
    auto id = start_query(QueryKind::refresh,
                          key_bytes_with_cpl(self_key_, int(cpl), next_random()), now);
    if (!id) return;  // queries_max: the next refresh round tries again
    pump(*id, now);
  }
}

void Kad::arm_cleanup(Instant now) {
  if (!next_provider_cleanup_) next_provider_cleanup_ = now + config_.provider_cleanup_interval;
}

void Kad::republish_due(Instant now) {
  if (!next_republish_ || now < *next_republish_) return;
  std::optional<Instant> next;
  for (auto& [key, at] : provided_) {
    if (now - at >= config_.provider_republish) {
      if (!start_provide(key, now)) {
        // queries_max: try again a little later.
        const Instant retry = now + config_.request_timeout;
        if (!next || retry < *next) next = retry;
        break;
      }
      at = now;
    }
    const Instant due = at + config_.provider_republish;
    if (!next || due < *next) next = due;
  }
  next_republish_ = next;
}

std::optional<Instant> Kad::next_timer() const {
  std::optional<Instant> t;
  auto consider = [&](std::optional<Instant> x) {
    if (x && (!t || *x < *t)) t = x;
  };
  if (!deadlines_.empty()) consider(deadlines_.begin()->first);
  consider(next_refresh_);
  consider(next_provider_cleanup_);
  consider(next_republish_);
  return t;
}

void Kad::on_timer(Instant now) {
  expire_requests(now);
  if (next_refresh_ && now >= *next_refresh_) {
    next_refresh_ = now + config_.refresh_interval;
    auto id = start_query(QueryKind::bootstrap, self_.bytes(), now);
    if (id) pump(*id, now);
  }
  if (next_provider_cleanup_ && now >= *next_provider_cleanup_) {
    providers_.expire(now);
    records_.expire(now);
    next_provider_cleanup_.reset();
    if (providers_.key_count() > 0 || records_.size() > 0) arm_cleanup(now);
  }
  republish_due(now);
}

}  // namespace agora::kad
