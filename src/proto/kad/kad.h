// Kademlia DHT behaviour core (`/ipfs/kad/1.0.0`), sans-I/O.
//
// One Kad per node. It keeps the routing table, the record and provider stores, and runs
// lookups. It never reads a clock or an entropy source: inputs carry `now`, and the little
// randomness it needs (refresh targets) comes from KadConfig::rng_seed.
//
// Drive it: report every connection, inbound ones too (on_peer_connected with whether identify
// listed the kad protocol: that is how peers that query us get into our table),
// answer inbound requests with handle_request, start operations, then after every input drain
// poll_outbound() (send each request to its peer on a new kad stream; report the answer with
// on_response or the failure with on_request_failed, unless expect_response is false) and
// poll_event(), and arm a timer for next_timer() that calls on_timer(). Late or unknown request
// ids are ignored, so the runtime never has to track what the core forgot.
//
// Routing: only peers known to be servers go into the table: peers connected with is_server,
// and peers that answered one of our requests. A peer that fails a lookup request is removed
// (its newest replacement promoted), as go-libp2p-kad-dht does. A full bucket makes the core
// send a liveness check (FIND_NODE for our own id) to the least-recently-seen entry by itself,
// unless the newcomer is a peer that connected to us (see on_peer_connected).
//
// Provider store poisoning: ADD_PROVIDER entries are rate-limited per peer (a token bucket),
// records are held under quotas per peer and per IP group (the caller passes the sender's
// group to handle_request), full keys and a full store evict the largest contributor's oldest
// record (providers.h), and a peer that keeps overflowing is banned: PeerBanned tells the
// runtime to disconnect it; ProviderEvicted tells it which records to drop from its copy.
//
// Memory: idle cost is the routing table plus a few empty containers; queries, pending requests
// and queues exist only while there is work. Nothing is preallocated per node.
//
// Additions to the API contract (tmp/kad_api_spec.md), each needed by the protocol:
// OutboundRequest::expect_response (ADD_PROVIDER has no answer), set_self_addrs() (FIND_NODE for
// us and ADD_PROVIDER carry our addresses), cancel(), KadConfig::rng_seed (refresh targets),
// liveness_check_after (see routing_table.h), and a replacement cache of 4 rather than k per
// bucket (memory). Request timeouts live here, not in Query (see query.h). For the daemon:
// restore_provider/restore_provided/provided() (persistence across restarts) and the answer's
// content in QueryStep (`agora dht query`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "base/time.h"
#include "proto/kad/key.h"
#include "proto/kad/message.h"
#include "proto/kad/providers.h"
#include "proto/kad/query.h"
#include "proto/kad/records.h"
#include "proto/kad/routing_table.h"

namespace agora::kad {

using std::chrono::hours;
using std::chrono::minutes;

struct KadConfig {
  size_t k = 20;
  size_t alpha = 10;
  size_t disjoint_paths = 1;  // > 1: S/Kademlia disjoint paths
  Duration request_timeout = seconds(10);
  // Self lookup plus refresh of idle buckets, every refresh_interval after the first bootstrap()
  // (0: only when bootstrap() is called).
  Duration refresh_interval = minutes(10);
  // Buckets deeper than this are refreshed by the self lookup only (refresh targets are built
  // from a 16-bit prefix table; see key.h).
  size_t refresh_cpl_max = 15;
  Duration provider_validity = hours(48);
  Duration provider_republish = hours(22);
  Duration provider_addrs_validity = minutes(30);
  Duration provider_cleanup_interval = hours(1);
  Duration record_ttl = hours(36);
  bool server_mode = true;  // false: inbound requests are refused (we did not advertise kad)
  MessageLimits limits;
  size_t queries_max = 256;
  size_t query_peers_max = 256;  // candidates remembered per query
  size_t replacements_max = 4;   // per bucket (see routing_table.h on memory)
  // Full bucket: its least-recently-seen entry is checked only if not seen for this long.
  Duration liveness_check_after = minutes(1);
  size_t addrs_per_peer_max = 4;  // kept per routing entry and per provider
  size_t records_max = 1024;
  // Provider records from other peers, and what one peer or network may hold or send (see
  // providers.h and docs/architecture.md "Provider store limits").
  size_t provider_records_max = 65536;
  size_t providers_per_key_max = 20;
  size_t provider_records_per_peer_max = 4096;
  size_t provider_records_per_ip_group_max = 8192;  // one /24 (IPv4) or /64 (IPv6)
  double add_provider_rate_per_s = 100;             // ADD_PROVIDER entries, per peer
  double add_provider_burst = 1000;
  // Records refused to one peer (rate or quota) within provider_overflow_window before it is
  // banned (PeerBanned); 0 never bans.
  size_t provider_overflows_before_ban = 10000;
  Duration provider_overflow_window = minutes(10);
  size_t provided_keys_max = 65536;  // our own keys, republished every provider_republish
  size_t get_value_quorum = 1;       // valid records that end a get_value (local copy counts)
  size_t providers_wanted = 20;      // providers that end a get_providers (local ones count)
  size_t events_max = 4096;          // unpolled events past it are dropped and counted
  bool query_step_events = true;     // QueryStep per answer/failure (`agora dht query`)
  uint64_t rng_seed = 0;
};

using QueryId = uint64_t;
using RequestId = uint64_t;

// Who opened a connection: we did (outbound) or the peer did (inbound).
enum class Direction : uint8_t { outbound, inbound };

enum class QueryKind : uint8_t {
  find_node,
  get_closest_peers,
  get_value,
  put_value,
  get_providers,
  provide,
  bootstrap,  // self lookup
  refresh,    // lookup of a random key in one bucket, started by bootstrap
};
const char* query_kind_name(QueryKind kind);

struct OutboundRequest {
  RequestId id;
  PeerInfo to;
  Message message;
  // False for ADD_PROVIDER, which has no response: write it and close; the core does not wait.
  bool expect_response = true;
};

struct QueryStep {
  QueryId query;
  PeerId peer;
  Duration took{};
  size_t closer_peers = 0;
  bool failed = false;
  std::string error;
  // What the answer held, for `agora dht query`: the closer peers' ids (ourselves excluded),
  // the provider entries and whether a record came with it.
  std::vector<PeerId> closer_ids;
  size_t providers = 0;
  bool record = false;
};
struct QueryFinished {
  QueryId query;
  QueryKind kind;
  // find_node/get_closest_peers/bootstrap/refresh: some peer answered. get_value: a valid record
  // was found. get_providers: a provider was found. put_value: a peer stored the record.
  // provide: an ADD_PROVIDER was sent (or, with nobody to send to, false).
  bool ok = false;
  std::vector<PeerInfo> closest;  // peers that answered, closest first, at most k
  std::vector<PeerInfo> providers;
  std::optional<Record> record;
  size_t stored = 0;  // put_value: PUT_VALUE acknowledged; provide: ADD_PROVIDER sent
  QueryStats stats;
  std::string error;  // why ok is false, when there is a reason
};
struct RoutingUpdated {
  PeerId peer;
  bool added;
};
enum class RejectKind : uint8_t {
  foreign_provider,  // an ADD_PROVIDER entry for another peer
  not_stored,        // invalid entry
  rate_limited,      // over add_provider_rate_per_s
  over_quota,        // over a provider store quota (providers.h)
};
const char* reject_kind_name(RejectKind kind);  // snake_case, as in the enum
// Part of a request we answered was refused (e.g. an ADD_PROVIDER entry for another peer).
// Requests refused entirely come back as handle_request errors instead.
struct InboundRejected {
  PeerId from;
  std::string reason;
  RejectKind kind = RejectKind::not_stored;
};
// A provider record dropped to make room, or because its peer was banned: a persistent copy
// should drop it too.
struct ProviderEvicted {
  Bytes key;
  PeerId peer;
};
// A peer overflowed the provider store provider_overflows_before_ban times: its records are
// dropped (ProviderEvicted) and it left the routing table; disconnect and ban it.
struct PeerBanned {
  PeerId peer;
  std::string reason;
};
// How an answer broke the rules; the name is a metric label.
enum class AnswerFault : uint8_t {
  wrong_type,      // answered another message type than the request's
  over_limit,      // past a MessageLimits bound
  invalid_record,  // a record that fails validation, or for another key
};
const char* answer_fault_name(AnswerFault fault);  // snake_case, as in the enum
// An answer broke the rules: over a limit, invalid record, wrong type. The answer is treated as
// a failure.
struct PeerMisbehaved {
  PeerId peer;
  AnswerFault fault = AnswerFault::over_limit;
  std::string reason;  // for people: the detail
};
using KadEvent = std::variant<QueryStep, QueryFinished, RoutingUpdated, InboundRejected,
                              PeerMisbehaved, ProviderEvicted, PeerBanned>;

struct KadStats {
  uint64_t requests_sent = 0;
  uint64_t responses = 0;
  uint64_t failures = 0;  // includes timeouts
  uint64_t timeouts = 0;
  uint64_t liveness_checks = 0;
  uint64_t inbound_requests = 0;
  uint64_t inbound_refused = 0;  // handle_request errors
  uint64_t misbehaved = 0;
  uint64_t events_dropped = 0;
  uint64_t queries_started = 0;
  uint64_t queries_refused = 0;         // queries_max reached
  uint64_t providers_rate_limited = 0;  // ADD_PROVIDER entries over the rate
  uint64_t providers_over_quota = 0;    // ADD_PROVIDER entries over a store quota
  uint64_t providers_evicted = 0;
  uint64_t peers_banned = 0;
};

class Kad {
 public:
  Kad(PeerId self, KadConfig config = {});

  // Our addresses, sent when a FIND_NODE asks for us and in ADD_PROVIDER.
  void set_self_addrs(std::vector<Bytes> addrs) { self_addrs_ = std::move(addrs); }

  // Connectivity, reported by the runtime (identify tells whether the peer speaks kad). A peer
  // that connected to us (inbound) never triggers a liveness check: a check is itself a
  // connection, so checks would set off checks from peer to peer across the network.
  void on_peer_connected(const PeerInfo& peer, bool is_server, Direction direction, Instant now);
  // Entries stay in the table: we can dial them again. Dead ones are found by failed requests
  // and by the full-bucket liveness check.
  void on_peer_disconnected(const PeerId& peer, Instant now);

  // A request that arrived on an inbound stream: the response to write (nullopt for
  // ADD_PROVIDER), or an error -> reset the stream and count it. PING and unknown types are
  // refused, and everything is refused in client mode. `ip_group` is the sender's network
  // (host/ip_group.h ip_group of the connection's remote address; empty: unknown), which
  // the provider store's quotas count by.
  Result<std::optional<Message>> handle_request(const PeerId& from, BytesView ip_group,
                                                const Message& request, Instant now);
  Result<std::optional<Message>> handle_request(const PeerId& from, const Message& request,
                                                Instant now) {
    return handle_request(from, {}, request, now);
  }

  // Operations; each returns a QueryId (Errc::limit when queries_max are running) and ends with
  // one QueryFinished event, possibly before the call returns (e.g. empty routing table).
  Result<QueryId> find_node(const PeerId& target, Instant now);
  Result<QueryId> get_closest_peers(BytesView key, Instant now);
  Result<QueryId> get_value(BytesView key, Instant now);
  Result<QueryId> put_value(Record record, Instant now);  // validates and stores locally first
  Result<QueryId> get_providers(BytesView multihash, Instant now);
  // Records us as a provider locally, looks up the k closest peers and sends them ADD_PROVIDER;
  // the key is republished every provider_republish. self_addrs replaces set_self_addrs().
  Result<QueryId> provide(BytesView multihash, std::vector<Bytes> self_addrs, Instant now);
  // Self lookup now; when it ends, lookups refresh the buckets no lookup touched within
  // refresh_interval. Repeats every refresh_interval.
  Result<QueryId> bootstrap(Instant now);
  // Ends a query: QueryFinished with ok = false, error "cancelled". Errc::not_found if unknown.
  Status cancel(QueryId query, Instant now);

  // Restoring state a runtime persisted (a restarted daemon). `added`/`last_provided` may lie in
  // the past; records older than provider_validity are refused with Errc::invalid_input.
  // A provider record as it was added (ADD_PROVIDER) before the restart.
  // It counts for the provider store's quotas as when it was added, `ip_group` included (empty:
  // unknown, counted per peer); rows that no longer fit are refused (Errc::limit).
  Status restore_provider(BytesView multihash, const PeerInfo& provider, Instant added, Instant now,
                          BytesView ip_group = {});
  // One of our own keys: republished provider_republish after `last_provided`, and listed as
  // provided by us (with the current set_self_addrs()) until then.
  Status restore_provided(BytesView multihash, Instant last_provided, Instant now);
  // Our provided keys and when each was last provided (persisted by the runtime).
  const std::map<Bytes, Instant>& provided() const { return provided_; }

  // Outputs
  std::optional<OutboundRequest> poll_outbound();
  void on_response(RequestId id, const Message& response, Instant now);
  void on_request_failed(RequestId id, std::string reason, Instant now);
  std::optional<KadEvent> poll_event();
  std::optional<Instant> next_timer() const;
  void on_timer(Instant now);  // request timeouts, refresh, provider expiry and republish

  const PeerId& self() const { return self_; }
  const KadConfig& config() const { return config_; }
  const RoutingTable& routing_table() const { return routing_; }
  const RecordStore& records() const { return records_; }
  const ProviderStore& providers() const { return providers_; }
  const KadStats& stats() const { return stats_; }
  size_t query_count() const { return queries_.size(); }
  size_t requests_in_flight() const { return pending_.size(); }

 private:
  enum class Phase : uint8_t { lookup, store };
  struct QueryState {
    QueryKind kind;
    Phase phase = Phase::lookup;
    Bytes key;  // raw key bytes sent on the wire
    Query lookup;
    std::optional<Record> record;  // put_value: to store; get_value: the best found
    size_t records_found = 0;
    std::vector<PeerInfo> providers;
    size_t store_pending = 0;
    size_t stored = 0;
    Instant started{};
  };
  enum class Purpose : uint8_t { lookup, liveness, store };
  struct Pending {
    Purpose purpose;
    MessageType type;
    QueryId query = 0;
    PeerId peer;
    std::vector<Bytes> addrs;  // lookup: to put the peer in the table when it answers
    Instant sent{};
    Instant deadline{};
  };
  // A FIFO that frees its memory when drained.
  template <class T>
  struct Fifo {
    std::vector<T> items;
    size_t head = 0;
    bool empty() const { return head == items.size(); }
    size_t size() const { return items.size() - head; }
    void push(T item) { items.push_back(std::move(item)); }
    std::optional<T> pop() {
      if (empty()) return std::nullopt;
      T item = std::move(items[head++]);
      if (empty()) {
        std::vector<T>().swap(items);  // `items = {}` would keep the capacity
        head = 0;
      }
      return item;
    }
  };

  // kad.cpp: operations and timers.
  Result<QueryId> start_query(QueryKind kind, Bytes key, Instant now);
  void pump(QueryId id, Instant now);
  void start_store_phase(QueryId id, QueryState& q, Instant now);
  void finish_query(QueryId id, bool ok, std::string error, Instant now);
  void start_refreshes(Instant now);
  Result<QueryId> start_provide(Bytes multihash, Instant now);
  bool lookup_satisfied(const QueryState& q) const;
  uint64_t next_random();
  void arm_cleanup(Instant now);
  void republish_due(Instant now);
  void emit(KadEvent event);

  // kad_requests.cpp: outbound requests and their answers.
  RequestId send(Purpose purpose, QueryId query, const PeerInfo& to, Message message, Instant now);
  void send_no_response(const PeerInfo& to, Message message);
  std::optional<Pending> take_request(RequestId id);
  void forget_request(RequestId id);
  void drop_query_requests(QueryId query);
  void on_lookup_response(QueryId id, const Pending& p, const Message& response, Instant now);
  void on_lookup_failure(QueryId id, const Pending& p, const std::string& reason, Instant now);
  void on_store_done(QueryId id, const Message* response, Instant now);  // null: failed
  void routing_update(const PeerInfo& peer, Instant now,
                      OnFullBucket on_full = OnFullBucket::check_oldest);
  void routing_remove(const PeerId& peer, Instant now);
  void on_liveness(const PeerId& peer, bool alive, Instant now);
  void expire_requests(Instant now);
  std::optional<PeerMisbehaved> check_response(const Pending& p, const Message& response) const;

  // kad_inbound.cpp: handle_request by type.
  std::vector<Peer> closer_peers(BytesView key, const PeerId& requester) const;
  Result<std::optional<Message>> on_find_node(const PeerId& from, const Message& request);
  Result<std::optional<Message>> on_get_value(const PeerId& from, const Message& request,
                                              Instant now);
  Result<std::optional<Message>> on_put_value(const Message& request, Instant now);
  Result<std::optional<Message>> on_get_providers(const PeerId& from, const Message& request,
                                                  Instant now);
  Result<std::optional<Message>> on_add_provider(const PeerId& from, BytesView ip_group,
                                                 const Message& request, Instant now);
  bool provider_overflow(const PeerId& from, Instant now);  // true: banned now
  void emit_evicted();

  PeerId self_;
  Key self_key_;
  KadConfig config_;
  std::vector<Bytes> self_addrs_;
  RoutingTable routing_;
  RecordStore records_;
  ProviderStore providers_;
  AddProviderGate add_provider_gate_;

  std::map<QueryId, QueryState> queries_;
  QueryId next_query_id_ = 1;
  std::unordered_map<RequestId, Pending> pending_;
  std::set<std::pair<Instant, RequestId>> deadlines_;
  RequestId next_request_id_ = 1;
  Fifo<OutboundRequest> outbound_;
  Fifo<KadEvent> events_;

  std::map<Bytes, Instant> provided_;  // our keys -> when last provided
  std::optional<Instant> next_refresh_;
  std::optional<Instant> next_provider_cleanup_;
  std::optional<Instant> next_republish_;
  uint64_t rng_;
  KadStats stats_;
};

}  // namespace agora::kad
