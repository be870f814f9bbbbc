// KadService: the DHT's state in agora.db. Loaded once at start on the event loop; written on a
// worker thread so the loop never waits for the disk (stop() waits for the last write).
#include "node/kad_service_internal.h"

namespace agora {

namespace internal {

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t to_unix_ms(Instant t, Instant now, int64_t unix_now_ms) {
  return unix_now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
}

Instant from_unix_ms(int64_t ms, Instant now, int64_t unix_now_ms) {
  if (ms >= unix_now_ms) return now;  // from the future (a clock set back): take it as now
  return now - std::chrono::milliseconds(unix_now_ms - ms);
}

}  // namespace internal

Status KadService::load() {
  if (config_.db.empty()) return {};
  AGORA_ASSIGN(db_, store::DhtDb::open(config_.db));
  const kad::KadConfig& k = kad_.config();
  store::DhtDbLimits limits;
  limits.providers_max = k.provider_records_max;
  limits.provided_max = k.provided_keys_max;
  limits.routing_max = size_t(kad::kKeyBits) * k.k;
  limits.addrs_per_peer_max = k.addrs_per_peer_max;
  limits.addr_bytes_max = k.limits.addr_bytes_max;
  limits.key_bytes_max = k.limits.key_bytes_max;
  limits.provider_validity_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(k.provider_validity).count();
  const int64_t unix_now = internal::unix_ms_now();
  const Instant now = rt::now();
  AGORA_ASSIGN(store::DhtDbLoad loaded, db_->load(limits, unix_now));
  // Saved peers were servers that answered us; a self lookup at start checks they still are.
  for (store::DhtRoutingRow& r : loaded.routing)
    kad_.on_peer_connected(kad::PeerInfo{std::move(r.peer), std::move(r.addrs)}, true,
                           kad::Direction::outbound, now);
  routing_loaded_ = kad_.routing_table().size();
  // Loading applies the same quotas as ADD_PROVIDER (newest rows first, so the newest stay);
  // a row refused or evicted now is deleted at the next save.
  for (const store::DhtProviderRow& r : loaded.providers) {
    Instant added = internal::from_unix_ms(r.added_ms, now, unix_now);
    if (kad_.restore_provider(r.key, kad::PeerInfo{r.peer, r.addrs}, added, now, r.ip_group)) {
      ++providers_loaded_;
    } else {
      pending_->providers[{r.key, r.peer}] = std::nullopt;
    }
  }
  for (const store::DhtProvidedRow& r : loaded.provided) {
    Instant at = internal::from_unix_ms(r.provided_ms, now, unix_now);
    if (kad_.restore_provided(r.key, at, now)) ++provided_loaded_;
  }
  pending_->next_expiry = now + std::chrono::hours(1);
  return {};
}

void KadService::save(bool final) {
  if (!db_) return;
  const Instant now = rt::now();
  const int64_t unix_now = internal::unix_ms_now();
  struct Job {
    std::vector<store::DhtProviderRow> providers;
    std::vector<store::DhtProviderId> evicted;
    std::optional<std::vector<store::DhtRoutingRow>> routing;
    std::optional<std::vector<store::DhtProvidedRow>> provided;
    std::optional<int64_t> expire_before_ms;
  };
  auto job = std::make_shared<Job>();
  for (auto& [id, row] : pending_->providers) {
    if (row) {
      job->providers.push_back(std::move(*row));
    } else {
      job->evicted.push_back({id.first, id.second});
    }
  }
  pending_->providers.clear();
  // An empty table is not saved over a full one: a node that lost its network keeps the peers
  // it knew for the next start.
  if ((pending_->routing_dirty || final) && kad_.routing_table().size() > 0) {
    std::vector<store::DhtRoutingRow> rows;
    for (const kad::RoutingEntry& e : kad_.routing_table().entries())
      rows.push_back({e.id, e.addrs});
    job->routing = std::move(rows);
    pending_->routing_dirty = false;
  }
  if (pending_->provided_dirty || final) {
    std::vector<store::DhtProvidedRow> rows;
    for (const auto& [key, at] : kad_.provided())
      rows.push_back({key, internal::to_unix_ms(at, now, unix_now)});
    job->provided = std::move(rows);
    pending_->provided_dirty = false;
  }
  if (now >= pending_->next_expiry) {
    job->expire_before_ms = unix_now - std::chrono::duration_cast<std::chrono::milliseconds>(
                                           kad_.config().provider_validity)
                                           .count();
    pending_->next_expiry = now + std::chrono::hours(1);
  }
  if (job->providers.empty() && job->evicted.empty() && !job->routing && !job->provided &&
      !job->expire_before_ms)
    return;
  // stop() joins the writer, so db_ and the counter outlive every write.
  asio::post(writer_, [db = db_.get(), job, failures = &metrics_->save_failures] {
    bool ok = db->put_providers(job->providers).ok();
    ok = db->delete_providers(job->evicted).ok() && ok;
    if (job->routing) ok = db->replace_routing(*job->routing).ok() && ok;
    if (job->provided) ok = db->replace_provided(*job->provided).ok() && ok;
    if (job->expire_before_ms) ok = db->expire_providers(*job->expire_before_ms).ok() && ok;
    if (!ok) failures->inc();
  });
}

// A refreshed record keeps the group it was first added under (the store's quota counts it
// there), so the row says that group, not the group of the connection that refreshed it.
void KadService::provider_accepted(const PeerId& from, const Bytes& key, Instant now) {
  if (!db_) return;
  for (const kad::ProviderRecord& r : kad_.providers().records(key, now)) {
    if (r.peer.id != from || r.added != now) continue;
    pending_->providers[{key, from}] =
        store::DhtProviderRow{key, from, r.peer.addrs, internal::unix_ms_now(), r.group};
  }
  if (pending_->providers.size() >= config_.provider_rows_pending_max) save(false);
}

}  // namespace agora
