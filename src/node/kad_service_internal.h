// KadService's private pieces, shared by kad_service.cpp and kad_persist.cpp.
#pragma once

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "node/kad_service.h"
#include "store/dht_db.h"

namespace agora {

struct KadService::Metrics {
  explicit Metrics(observe::Registry& r);
  observe::Counter& bad_input(const char* kind);
  observe::Counter& requests_failed(const char* reason);
  observe::Counter& inbound(kad::MessageType type);
  observe::Counter& queries(kad::QueryKind kind, bool ok);

  observe::Registry& registry;
  observe::Gauge& routing_peers;
  observe::Gauge& provider_records;
  observe::Gauge& value_records;
  observe::Gauge& provided_keys;
  observe::Counter& requests_sent;
  observe::Counter& save_failures;
  observe::Counter& peers_banned;
  observe::Counter& providers_evicted;
  observe::Histogram& query_seconds;
};

// An operation waiting for its query to end (KadService::run).
struct KadService::Op {
  explicit Op(asio::any_io_executor ex) : wake(ex) {}
  rt::Waiter wake;
  StepFn steps;
  std::optional<kad::QueryFinished> finished;
  std::optional<Error> error;
};

// What has changed since the last save (kad_persist.cpp).
struct KadService::Pending {
  // Provider records to write (a row) or delete (nullopt: evicted), by (key, peer); the last
  // change of a record wins.
  std::map<std::pair<Bytes, PeerId>, std::optional<store::DhtProviderRow>> providers;
  bool routing_dirty = false;
  bool provided_dirty = false;
  Instant next_expiry{};
};

namespace internal {

// Unix ms <-> the steady clock, for what agora.db keeps.
int64_t unix_ms_now();
int64_t to_unix_ms(Instant t, Instant now, int64_t unix_now_ms);
Instant from_unix_ms(int64_t ms, Instant now, int64_t unix_now_ms);

}  // namespace internal

}  // namespace agora
