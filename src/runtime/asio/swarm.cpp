#include "runtime/asio/swarm.h"

#include <ifaddrs.h>
#include <net/if.h>

#include "runtime/asio/negotiate.h"
#include "runtime/asio/upgrade.h"

namespace agora::rt {

using observe::Direction;
using observe::EventType;

struct Swarm::Metrics {
  explicit Metrics(observe::Registry& r)
      : registry(r),
        opened_inbound(r.counter("agora_connections_opened_total", "Connections established",
                                 {{"direction", "inbound"}})),
        opened_outbound(r.counter("agora_connections_opened_total", "Connections established",
                                  {{"direction", "outbound"}})),
        open(r.gauge("agora_connections_open", "Connections currently open")),
        handshake_seconds(r.histogram("agora_handshake_seconds",
                                      "Time from TCP connect to a secured, multiplexed connection",
                                      {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5})),
        streams_inbound(
            r.counter("agora_streams_opened_total", "Streams opened", {{"direction", "inbound"}})),
        streams_outbound(
            r.counter("agora_streams_opened_total", "Streams opened", {{"direction", "outbound"}})),
        bytes_sent(r.counter("agora_connection_bytes_sent_total",
                             "Bytes written to closed connections' sockets")),
        bytes_received(r.counter("agora_connection_bytes_received_total",
                                 "Bytes read from closed connections' sockets")),
        output_stalls(r.counter("agora_connection_output_stalls_total",
                                "Writes to closed connections that waited for the peer to read "
                                "(the output queue was at output_bytes_max)")),
        admission_trims(r.counter("agora_admission_trims_total",
                                  "Inbound connections closed to admit a newcomer at the limit, "
                                  "from the most represented network")) {}

  // Label values are error-code names and limit names: both fixed sets in our own code.
  observe::Counter& closed(Errc code) {
    return registry.counter("agora_connections_closed_total", "Connections closed, by reason",
                            {{"reason", errc_name(code)}});
  }
  observe::Counter& handshake_failed(Errc code) {
    return registry.counter("agora_handshake_failures_total", "Failed connection upgrades",
                            {{"reason", errc_name(code)}});
  }
  observe::Counter& negotiation_failed(Errc code) {
    return registry.counter("agora_stream_negotiation_failures_total",
                            "Streams whose protocol negotiation failed",
                            {{"reason", errc_name(code)}});
  }
  // Label values are our own protocol names: a set bounded by the code.
  observe::Counter& idle_reset(const std::string& protocol) {
    return registry.counter("agora_streams_idle_reset_total",
                            "Streams reset after their protocol's idle_timeout without activity",
                            {{"protocol", protocol}});
  }
  observe::Counter& limit_hit(const std::string& limit) {
    return registry.counter("agora_limit_hits_total", "Requests refused by a resource limit",
                            {{"limit", limit}});
  }
  // `protocol` is one we registered or opened (our own names, at most protocols_max), or "".
  observe::Counter& refused(host::Scope scope, const std::string& limit,
                            const std::string& protocol) {
    return registry.counter(
        "agora_refusals_total",
        "Requests the swarm's policy refused, by scope, limit (or reason) and protocol",
        {{"scope", host::label(scope)}, {"limit", limit}, {"protocol", protocol}});
  }
  observe::Counter& close_cause(host::CloseReason cause) {
    return registry.counter("agora_connection_close_causes_total",
                            "Connections closed, by typed cause (who or what ended them)",
                            {{"cause", host::label(cause)}});
  }
  observe::Counter& private_network_refused(Direction dir) {
    return registry.counter(
        "agora_private_network_refusals_total",
        "Connections refused before multistream-select: the peer is not in our private network "
        "(another swarm key, or none)",
        {{"direction", dir == Direction::inbound ? "inbound" : "outbound"}});
  }
  observe::Counter& dial_failed(Errc code) {
    return registry.counter("agora_dial_failures_total", "Failed dials",
                            {{"reason", errc_name(code)}});
  }

  observe::Registry& registry;
  observe::Counter& opened_inbound;
  observe::Counter& opened_outbound;
  observe::Gauge& open;
  observe::Histogram& handshake_seconds;
  observe::Counter& streams_inbound;
  observe::Counter& streams_outbound;
  observe::Counter& bytes_sent;
  observe::Counter& bytes_received;
  observe::Counter& output_stalls;
  observe::Counter& admission_trims;
};

Multiaddr to_multiaddr(const asio::ip::tcp::endpoint& ep) {
  auto address = ep.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return Multiaddr::from_tcp(address.to_string(), ep.port(), address.is_v6());
}

// An unspecified bind address (0.0.0.0, ::) is advertised as each local interface address.
static std::vector<Multiaddr> expand_unspecified(const asio::ip::tcp::endpoint& ep) {
  if (!ep.address().is_unspecified()) return {to_multiaddr(ep)};
  std::vector<Multiaddr> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {to_multiaddr(ep)};
  bool want_v6 = ep.address().is_v6();
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
    int family = i->ifa_addr->sa_family;
    if (family == AF_INET && !want_v6) {
      auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
      asio::ip::address_v4 a(ntohl(sin->sin_addr.s_addr));
      out.push_back(to_multiaddr({a, ep.port()}));
    } else if (family == AF_INET6 && want_v6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(i->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), sin6->sin6_addr.s6_addr, 16);
      asio::ip::address_v6 a(bytes);
      if (a.is_link_local()) continue;  // needs a zone to be dialable
      out.push_back(to_multiaddr({a, ep.port()}));
    }
  }
  freeifaddrs(list);
  if (out.empty()) out.push_back(to_multiaddr(ep));
  return out;
}

Swarm::Swarm(asio::any_io_executor executor, crypto::Ed25519PrivateKey identity, SwarmConfig config,
             observe::Registry& metrics, observe::EventRecorder& events)
    : executor_(std::move(executor)),
      identity_(std::move(identity)),
      local_peer_(PeerId::from_public_key(
          {KeyType::ed25519, Bytes(identity_.public_key().begin(), identity_.public_key().end())})),
      config_(config),
      upload_all_(std::make_shared<host::RateLimit>(config.upload_bytes_per_s)),
      download_all_(std::make_shared<host::RateLimit>(config.download_bytes_per_s)),
      policy_(std::make_shared<Policy>(local_peer_,
                                       host::SwarmConfig{
                                           .limits = config.limits,
                                           .resources = config.resources,
                                           .dial_joins_max = config.dial_joins_max,
                                           .dial_backoff_min = config.dial_backoff_min,
                                           .dial_backoff_max = config.dial_backoff_max,
                                       })),
      events_(events),
      metrics_(std::make_unique<Metrics>(metrics)) {
  config_.yamux.inbound_streams_max = std::max<size_t>(1, config_.yamux.inbound_streams_max);
  // Live, unlike agora_connection_bytes_*_total (counted when a connection closes).
  metrics
      .counter("agora_transport_bytes_sent_total",
               "Bytes written to every connection's socket, counted as they pass")
      .set_source([totals = byte_totals_] { return totals->sent.load(std::memory_order_relaxed); });
  metrics
      .counter("agora_transport_bytes_received_total",
               "Bytes read from every connection's socket, counted as they pass")
      .set_source(
          [totals = byte_totals_] { return totals->received.load(std::memory_order_relaxed); });
}

Swarm::~Swarm() { shutdown(); }

void Swarm::record(EventType type, const std::string& peer, const std::string& addr, Direction dir,
                   const std::string& reason, const std::string& detail,
                   const std::string& protocol) {
  observe::Event e;
  e.type = type;
  e.peer = peer;
  e.addr = addr;
  e.direction = dir;
  e.reason = reason;
  e.detail = detail;
  e.protocol = protocol;
  events_.record(std::move(e));
}

void Swarm::limit_hit(const host::Refusal& r, const std::string& addr, const std::string& peer,
                      const std::string& protocol) {
  std::string name = r.reason == host::RefusalReason::limit ? r.limit : host::label(r.reason);
  metrics_->limit_hit(name).inc();
  record(EventType::limit_hit, peer, addr, Direction::none, name, r.detail, protocol);
}

// Carries out what the policy decided (closes, resets) and counts its refusals.
void Swarm::apply_policy() {
  host::Swarm& core = policy_->core;
  while (auto action = core.poll_action()) {
    if (auto* close = std::get_if<host::CloseConnection>(&*action)) {
      close_connection(close->connection, close->reason, close->detail);
    } else if (auto* reset = std::get_if<host::ResetStream>(&*action)) {
      auto it = policy_->streams.find({reset->connection, reset->stream});
      if (it == policy_->streams.end()) continue;
      if (auto stream = it->second.lock()) stream->reset();
    }
  }
  while (auto event = core.poll_event()) {
    if (event->type == host::SwarmEvent::Type::stream_idle) {
      metrics_->idle_reset(event->protocol).inc();
      record(EventType::stream_reset, event->peer ? event->peer->to_string() : "", "",
             event->direction == host::Direction::inbound ? observe::Direction::inbound
                                                          : observe::Direction::outbound,
             "idle", event->detail, event->protocol);
      continue;
    }
    if (event->type != host::SwarmEvent::Type::refused) continue;
    const host::Refusal& r = event->refusal;
    metrics_
        ->refused(r.scope, r.reason == host::RefusalReason::limit ? r.limit : label(r.reason),
                  event->protocol)
        .inc();
  }
  arm_policy_timer();
}

bool Swarm::close_connection(uint64_t id, host::CloseReason cause, const std::string& detail) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second->closed()) return false;
  close_causes_.emplace(id, cause);
  const ConnectionInfo& info = it->second->info();
  if (cause == host::CloseReason::admission_trim) {
    metrics_->admission_trims.inc();
    record(EventType::limit_hit, info.peer.to_string(), info.remote_addr.to_string(),
           Direction::inbound, "admission_trim", detail);
  }
  Errc code = cause == host::CloseReason::admission_trim ? Errc::limit : Errc::closed;
  it->second->close(make_error(code, detail));
  return true;
}

Status Swarm::listen(const Multiaddr& addr) {
  auto ep = addr.tcp_endpoint();
  if (!ep)
    return make_error(Errc::unsupported,
                      "can only listen on /ip4|ip6/<addr>/tcp/<port>: " + addr.to_string());
  asio::error_code ec;
  auto ip = asio::ip::make_address(ep->host, ec);
  if (ec) return make_error(Errc::invalid_input, "bad listen address " + ep->host);
  auto acceptor = std::make_shared<asio::ip::tcp::acceptor>(executor_);
  asio::ip::tcp::endpoint endpoint(ip, ep->port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && ip.is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::io, "listen on " + addr.to_string() + ": " + ec.message());
  auto bound = acceptor->local_endpoint(ec);
  if (ec) return make_error(Errc::io, "listen on " + addr.to_string() + ": " + ec.message());
  for (auto& a : expand_unspecified(bound)) {
    listen_addrs_.push_back(a);
    record(EventType::listen_started, local_peer_.to_string(), a.to_string(), Direction::none, "",
           "");
  }
  acceptors_.push_back(acceptor);
  asio::co_spawn(executor_, accept_loop(acceptor), asio::detached);
  return {};
}

std::vector<Multiaddr> Swarm::listen_addrs() const { return listen_addrs_; }

awaitable<void> Swarm::accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor) {
  while (!shut_down_) {
    auto [ec, socket] = co_await acceptor->async_accept(use_nothrow);
    if (shut_down_ || ec == asio::error::operation_aborted) break;
    if (ec) {
      // Out of file descriptors or similar: back off briefly instead of spinning.
      asio::steady_timer pause(executor_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    asio::co_spawn(executor_, handle_inbound(std::move(socket)), asio::detached);
  }
}

// The cheap checks come first: per-source admission at accept, then the first bytes within a
// short deadline; only then does the Noise handshake spend any crypto on the connection.
awaitable<void> Swarm::handle_inbound(asio::ip::tcp::socket socket) {
  asio::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) co_return;
  Multiaddr remote_addr = to_multiaddr(remote);
  std::optional<host::IpSource> source = host::ip_source(remote_addr);
  if (auto refusal = policy_->core.on_inbound_accepted(source, now())) {
    limit_hit(*refusal, remote_addr.to_string());
    apply_policy();
    socket.close(ec);
    co_return;
  }
  Deadline first_bytes(executor_, std::min(config_.first_bytes_timeout, config_.handshake_timeout),
                       [&socket] {
                         asio::error_code ignored;
                         socket.close(ignored);
                       });
  auto [wait_ec] = co_await socket.async_wait(asio::ip::tcp::socket::wait_read, use_nothrow);
  first_bytes.cancel();
  if (wait_ec || first_bytes.expired()) {
    Error err = make_error(Errc::timeout, "no bytes within the first-bytes deadline");
    metrics_->handshake_failed(err.code).inc();
    record(EventType::handshake_failed, "", remote_addr.to_string(), Direction::inbound,
           errc_name(err.code), err.message);
    socket.close(ec);
  } else {
    co_await secure(std::move(socket), true, std::nullopt, remote_addr);
  }
  policy_->core.on_inbound_ended(source);
}

awaitable<Result<std::shared_ptr<Connection>>> Swarm::secure(asio::ip::tcp::socket socket,
                                                             bool inbound,
                                                             std::optional<PeerId> expected,
                                                             Multiaddr remote) {
  Instant started = now();
  Direction dir = inbound ? Direction::inbound : Direction::outbound;
  // Both directions: with Nagle on, a small reply waits for the peer's delayed ACK (~40 ms).
  asio::error_code nodelay_ec;
  socket.set_option(asio::ip::tcp::no_delay(true), nodelay_ec);
  // The handshake has a deadline: a peer that stalls (or never speaks) is cut off.
  Deadline deadline(executor_, config_.handshake_timeout, [&socket] {
    asio::error_code ignored;
    socket.close(ignored);
  });
  UpgradeOptions options{.initiator = !inbound,
                         .expected_peer = expected,
                         .inline_muxer = config_.inline_muxer,
                         .psk = config_.psk};
  auto up = co_await upgrade_connection(socket, identity_, options);
  deadline.cancel();
  bool timed_out = deadline.expired();
  asio::error_code ec;
  if (!up || timed_out) {
    Error err = timed_out ? make_error(Errc::timeout, "handshake timed out") : up.error();
    metrics_->handshake_failed(err.code).inc();
    bool foreign = is_private_network_refusal(err);
    if (foreign) metrics_->private_network_refused(dir).inc();
    record(EventType::handshake_failed, expected ? expected->to_string() : "", remote.to_string(),
           dir, foreign ? "private_network" : errc_name(err.code), err.message);
    socket.close(ec);
    co_return err;
  }
  uint64_t id = next_connection_id_++;
  auto admitted = policy_->core.on_secured(
      id, up->peer, inbound ? host::Direction::inbound : host::Direction::outbound, remote, now(),
      is_protected_);
  if (auto* refusal = std::get_if<host::Refusal>(&admitted)) {
    Error err = refusal->to_error();
    if (refusal->reason == host::RefusalReason::banned) {
      metrics_->handshake_failed(err.code).inc();
      record(EventType::handshake_failed, up->peer.to_string(), remote.to_string(), dir, "banned",
             err.message);
    } else {
      limit_hit(*refusal, remote.to_string());
    }
    apply_policy();
    socket.close(ec);
    co_return err;
  }
  auto local = socket.local_endpoint(ec);
  ConnectionInfo info;
  info.id = id;
  info.peer = up->peer;
  info.local_addr = ec ? Multiaddr{} : to_multiaddr(local);
  info.remote_addr = remote.without_peer_id();
  info.inbound = inbound;
  info.muxer = up->muxer;
  info.muxer_inlined = up->muxer_inlined;
  info.private_network = up->protector != nullptr;
  info.opened = now();
  auto conn =
      std::make_shared<Connection>(std::move(socket), std::move(up->noise), info, config_.yamux,
                                   std::move(up->plaintext_rest), std::move(up->protector));
  conn->set_byte_totals(byte_totals_);
  conn->set_rates({.upload_all = upload_all_,
                   .download_all = download_all_,
                   .upload_bytes_per_s = config_.upload_bytes_per_s_per_connection,
                   .download_bytes_per_s = config_.download_bytes_per_s_per_connection});
  connections_[info.id] = conn;
  metrics_->handshake_seconds.observe(std::chrono::duration<double>(now() - started).count());
  (inbound ? metrics_->opened_inbound : metrics_->opened_outbound).inc();
  metrics_->open.inc();
  record(EventType::connection_opened, info.peer.to_string(), info.remote_addr.to_string(), dir, "",
         "muxer " + info.muxer + (info.muxer_inlined ? " (inlined in noise)" : " (multistream)"));
  conn->start(
      [this](std::shared_ptr<Stream> stream) {
        metrics_->streams_inbound.inc();
        asio::co_spawn(executor_, serve_stream(std::move(stream)), asio::detached);
      },
      [this](Connection& c, const Error& reason) { connection_closed(c, reason); });
  apply_policy();  // an admission trim closes the connection it chose
  for (auto& observer : on_connection_) observer(conn);
  co_return conn;
}

void Swarm::connection_closed(Connection& c, const Error& reason) {
  host::CloseReason cause = host::close_reason_of(reason.code);
  if (auto it = close_causes_.find(c.info().id); it != close_causes_.end()) {
    cause = it->second;
    close_causes_.erase(it);
  }
  policy_->core.on_connection_closed(c.info().id, cause, reason.message, now());
  apply_policy();
  connections_.erase(c.info().id);
  metrics_->open.dec();
  metrics_->closed(reason.code).inc();
  metrics_->close_cause(cause).inc();
  metrics_->bytes_sent.add(c.bytes_sent());
  metrics_->bytes_received.add(c.bytes_received());
  metrics_->output_stalls.add(c.output_stalls());
  if (c.control_frames_overflowed()) {
    metrics_->limit_hit("control_frames_owed_max").inc();
    record(EventType::limit_hit, c.info().peer.to_string(), c.info().remote_addr.to_string(),
           Direction::none, "control_frames_owed_max", reason.message);
  }
  record(EventType::connection_closed, c.info().peer.to_string(), c.info().remote_addr.to_string(),
         c.info().inbound ? Direction::inbound : Direction::outbound, errc_name(reason.code),
         reason.message);
  for (auto& observer : on_closed_) observer(c, reason);
}

awaitable<Result<std::shared_ptr<Connection>>> Swarm::dial(Multiaddr addr) {
  if (!addr.tcp_endpoint())
    co_return make_error(
        Errc::unsupported,
        "can only dial /ip4|ip6/<addr>/tcp/<port>[/p2p/<peer>]: " + addr.to_string());
  // Named, not braced in the call: GCC 12 rejects initializer lists inside coroutines.
  std::vector<Multiaddr> only(1, addr);
  co_return co_await dial_with(addr.peer_id(), std::move(only));
}

awaitable<Result<std::shared_ptr<Connection>>> Swarm::dial_peer(PeerId peer,
                                                                std::vector<Multiaddr> addrs) {
  co_return co_await dial_with(std::move(peer), std::move(addrs));
}

// Asks the policy (reuse, join, start or refuse) and carries out its plan. Without a peer
// (a bare address) the dial is never joined or reused: we do not know whom it reaches.
awaitable<Result<std::shared_ptr<Connection>>> Swarm::dial_with(std::optional<PeerId> peer,
                                                                std::vector<Multiaddr> addrs) {
  std::erase_if(addrs, [](const Multiaddr& a) { return !a.tcp_endpoint(); });
  auto decision = policy_->core.dial(peer, addrs, now());
  if (auto* refusal = std::get_if<host::Refusal>(&decision)) {
    if (refusal->reason == host::RefusalReason::limit)
      limit_hit(*refusal, addrs.empty() ? "" : addrs.front().to_string(),
                peer ? peer->to_string() : "");
    apply_policy();
    if (refusal->reason == host::RefusalReason::no_address && peer)
      co_return make_error(Errc::unsupported, "no address this node can dial for " +
                                                  peer->to_string() +
                                                  " (only /ip4|ip6/<addr>/tcp/<port>)");
    co_return refusal->to_error();
  }
  co_return co_await run_dial(std::get<host::DialPlan>(std::move(decision)), std::move(peer));
}

// Carries out a dial plan: reuse, join the dial in flight, or try the addresses best first.
// Addresses that failed for their own reasons (not our limits) back off in the policy.
awaitable<Result<std::shared_ptr<Connection>>> Swarm::run_dial(host::DialPlan plan,
                                                               std::optional<PeerId> peer) {
  if (plan.kind == host::DialPlan::Kind::connected) {
    auto it = connections_.find(plan.connection);
    if (it != connections_.end() && !it->second->closed()) co_return it->second;
    co_return make_error(Errc::closed, "the connection closed while dialling");
  }
  if (plan.kind == host::DialPlan::Kind::join) {
    auto in_flight = dials_.find(plan.dial);
    if (in_flight == dials_.end()) co_return make_error(Errc::closed, "the dial joined is gone");
    std::shared_ptr<DialInFlight> joined = in_flight->second;
    Waiter waiter(executor_);
    joined->waiters.push_back(&waiter);
    co_await waiter.wait();
    if (peer)
      if (auto conn = connection_to(*peer)) co_return conn;
    co_return joined->error.value_or(make_error(Errc::closed, "the dial joined did not connect"));
  }
  auto in_flight = std::make_shared<DialInFlight>();
  dials_[plan.dial] = in_flight;
  Result<std::shared_ptr<Connection>> result = make_error(Errc::invalid_input, "no address");
  std::vector<Multiaddr> failed;
  std::string failures;
  for (const Multiaddr& addr : plan.addrs) {
    // Named first: GCC 12 destroys a conditional's temporary twice across a co_await.
    Multiaddr target = peer ? addr.with_peer_id(*peer) : addr;
    result = co_await dial_address(std::move(target), peer);
    if (result) break;
    if (result.error().code != Errc::limit) failed.push_back(addr);
    failures += (failures.empty() ? "" : "; ") + result.error().message;
  }
  policy_->core.on_dial_finished(plan.dial, failed, result.ok(), now());
  apply_policy();
  if (!result) {
    if (plan.addrs.size() > 1) result = make_error(result.error().code, failures);
    in_flight->error = result.error();
  }
  dials_.erase(plan.dial);
  for (Waiter* waiter : in_flight->waiters) waiter->notify();
  co_return result;
}

// A TCP connect to a /ip4|ip6/<addr>/tcp/<port> address within dial_timeout: the socket, or
// Errc::timeout ("dial timed out"), Errc::io ("connect: ..."), or the address's fault.
awaitable<Result<asio::ip::tcp::socket>> Swarm::connect_tcp(const Multiaddr& addr) {
  auto ep = addr.tcp_endpoint();
  if (!ep) co_return make_error(Errc::unsupported, "not a TCP address: " + addr.to_string());
  asio::error_code ec;
  auto ip = asio::ip::make_address(ep->host, ec);
  if (ec) co_return make_error(Errc::invalid_input, "bad address " + ep->host);
  asio::ip::tcp::socket socket(executor_);
  Deadline deadline(executor_, config_.dial_timeout, [&socket] {
    asio::error_code ignored;
    socket.close(ignored);
  });
  auto [cec] = co_await socket.async_connect({ip, ep->port}, use_nothrow);
  deadline.cancel();
  if (deadline.expired()) co_return make_error(Errc::timeout, "dial timed out");
  if (cec) co_return make_error(Errc::io, "connect: " + cec.message());
  co_return socket;
}

// One TCP connect and handshake; the pending-dial slot is the caller's (host::Swarm::dial).
awaitable<Result<std::shared_ptr<Connection>>> Swarm::dial_address(Multiaddr addr,
                                                                   std::optional<PeerId> expected) {
  auto socket = co_await connect_tcp(addr);
  if (!socket) {
    const Error& err = socket.error();
    if (err.code == Errc::timeout || err.code == Errc::io) {  // the network's answer, not ours
      metrics_->dial_failed(err.code).inc();
      record(EventType::dial_failed, expected ? expected->to_string() : "", addr.to_string(),
             Direction::outbound, errc_name(err.code), err.message);
    }
    co_return make_error(err.code, "dial " + addr.to_string() + ": " + err.message);
  }
  auto conn = co_await secure(std::move(*socket), false, expected, addr);
  if (!conn)
    co_return make_error(conn.error().code,
                         "dial " + addr.to_string() + ": " + conn.error().message);
  co_return conn;
}

awaitable<Result<Multiaddr>> Swarm::probe(PeerId peer, std::vector<Multiaddr> addrs) {
  if (probes_in_flight_ >= config_.probes_max)
    co_return make_error(Errc::limit, "probes_max: " + std::to_string(config_.probes_max) +
                                          " dial-backs already in flight");
  ++probes_in_flight_;
  std::string failures = "no address to dial";
  for (size_t i = 0; i < addrs.size(); ++i) {
    auto reached = co_await probe_address(addrs[i], peer);
    if (reached) {
      --probes_in_flight_;
      co_return addrs[i];
    }
    failures =
        (i == 0 ? "" : failures + "; ") + addrs[i].to_string() + ": " + reached.error().message;
  }
  --probes_in_flight_;
  co_return make_error(Errc::io, failures);
}

// One TCP connect and secure handshake, then closed: whether `peer` answers at `addr`.
awaitable<Status> Swarm::probe_address(const Multiaddr& addr, const PeerId& peer) {
  auto socket = co_await connect_tcp(addr);
  if (!socket) co_return socket.error();
  Deadline deadline(executor_, config_.handshake_timeout, [&socket] {
    asio::error_code ignored;
    socket->close(ignored);
  });
  UpgradeOptions options{.initiator = true,
                         .expected_peer = peer,
                         .inline_muxer = config_.inline_muxer,
                         .psk = config_.psk};
  auto up = co_await upgrade_connection(*socket, identity_, options);
  deadline.cancel();
  bool timed_out = deadline.expired();
  asio::error_code ec;
  socket->close(ec);
  if (timed_out) co_return make_error(Errc::timeout, "handshake timed out");
  if (!up) co_return up.error();
  co_return Status{};
}

awaitable<Result<std::shared_ptr<Stream>>> Swarm::open_stream(std::shared_ptr<Connection> conn,
                                                              std::vector<std::string> protocols) {
  auto stream = conn->open_stream();
  if (!stream) co_return stream.error();
  metrics_->streams_outbound.inc();
  std::weak_ptr<Stream> weak = *stream;
  Deadline deadline(executor_, config_.protocol_negotiation_timeout, [weak] {
    if (auto s = weak.lock()) s->reset();
  });
  auto selected = co_await select_protocol(**stream, std::move(protocols));
  deadline.cancel();
  if (!selected) {
    metrics_->negotiation_failed(selected.error().code).inc();
    co_return selected.error();
  }
  if (!policy_->core.resources().has_protocol(*selected))
    register_protocol(*selected, config_.protocol_limits);  // an outbound-only protocol
  if (auto refusal = charge(*stream, *selected, host::Direction::outbound)) {
    limit_hit(*refusal, conn->info().remote_addr.to_string(), conn->info().peer.to_string(),
              *selected);
    (*stream)->reset();
    co_return refusal->to_error();
  }
  co_return *stream;
}

// Our own protocol names only (those we serve or chose to open), so their number is bounded by
// the code. Past protocols_max the protocol stays unregistered: recorded, and its streams are
// refused as an unknown protocol.
bool Swarm::register_protocol(const std::string& protocol, const host::ProtocolLimits& limits,
                              Duration idle_timeout) {
  Status st = policy_->core.add_protocol(protocol, host::ProtocolConfig{limits, idle_timeout});
  if (st && idle_timeout > Duration::zero()) idle_timeouts_ = true;
  if (!st)
    limit_hit(
        {host::RefusalReason::limit, host::Scope::system, "protocols_max", st.error().message}, "",
        "", protocol);
  return st.ok();
}

// Charges a negotiated stream to its scopes; the Stream gives the charge back when destroyed.
std::optional<host::Refusal> Swarm::charge(const std::shared_ptr<Stream>& stream,
                                           const std::string& protocol, host::Direction dir) {
  uint64_t conn = stream->connection().info().id;
  uint64_t id = stream->id();
  if (auto refusal = policy_->core.on_stream_opened(conn, id, protocol, dir, now())) {
    apply_policy();
    return refusal;
  }
  policy_->streams[{conn, id}] = stream;
  arm_policy_timer();
  stream->on_release([weak = std::weak_ptr<Policy>(policy_), conn, id] {
    auto policy = weak.lock();
    if (!policy) return;
    policy->core.on_stream_closed(conn, id);
    policy->streams.erase({conn, id});
  });
  return std::nullopt;
}

awaitable<void> Swarm::serve_stream(std::shared_ptr<Stream> stream) {
  std::weak_ptr<Stream> weak = stream;
  Deadline deadline(executor_, config_.protocol_negotiation_timeout, [weak] {
    if (auto s = weak.lock()) s->reset();
  });
  auto selected = co_await accept_protocol(*stream, protocols());
  deadline.cancel();
  if (!selected) {
    metrics_->negotiation_failed(selected.error().code).inc();
    stream->reset();
    co_return;
  }
  auto it = handlers_.find(*selected);
  if (it == handlers_.end()) {
    stream->reset();
    co_return;
  }
  if (auto refusal = charge(stream, *selected, host::Direction::inbound)) {
    const ConnectionInfo& info = stream->connection().info();
    limit_hit(*refusal, info.remote_addr.to_string(), info.peer.to_string(), *selected);
    stream->reset();
    co_return;
  }
  StreamHandler handler = it->second;
  co_await handler(std::move(stream));
}

void Swarm::set_handler(const std::string& protocol, StreamHandler handler,
                        std::optional<host::ProtocolLimits> limits, Duration idle_timeout) {
  if (register_protocol(protocol, limits.value_or(config_.protocol_limits), idle_timeout))
    handlers_[protocol] = std::move(handler);
}

void Swarm::add_outbound_protocol(const std::string& protocol, const host::ProtocolLimits& limits,
                                  Duration idle_timeout) {
  if (!policy_->core.resources().has_protocol(protocol))
    register_protocol(protocol, limits, idle_timeout);
}

void Swarm::note_stream_activity(uint64_t connection, uint64_t stream) {
  if (idle_timeouts_) policy_->core.on_stream_activity(connection, stream, now());
}

std::optional<host::Refusal> Swarm::reserve_stream_memory(uint64_t connection, uint64_t stream,
                                                          size_t bytes) {
  auto refusal = policy_->core.reserve_stream_memory(connection, stream, bytes);
  if (refusal && refusal->reason == host::RefusalReason::limit) {
    std::string protocol = policy_->core.stream_protocol(connection, stream);
    auto it = connections_.find(connection);
    std::string addr, peer;
    if (it != connections_.end()) {
      addr = it->second->info().remote_addr.to_string();
      peer = it->second->info().peer.to_string();
    }
    limit_hit(*refusal, addr, peer, protocol);
    apply_policy();
  }
  return refusal;
}

void Swarm::release_stream_memory(uint64_t connection, uint64_t stream, size_t bytes) {
  policy_->core.release_stream_memory(connection, stream, bytes);
}

const host::ResourceManager& Swarm::resources() const { return policy_->core.resources(); }

// The policy core's idle timeouts: one timer at its next_timer(). A deadline that moves later
// leaves the timer early; the core then finds nothing due and the timer is armed again.
void Swarm::arm_policy_timer() {
  if (!idle_timeouts_ || shut_down_) return;
  std::optional<Instant> next = policy_->core.next_timer();
  if (!next || (policy_timer_at_ && *policy_timer_at_ <= *next)) return;
  if (!policy_timer_) policy_timer_ = std::make_unique<asio::steady_timer>(executor_);
  policy_timer_at_ = next;
  policy_timer_->expires_at(std::chrono::time_point_cast<asio::steady_timer::duration>(*next));
  policy_timer_->async_wait([this, alive = std::weak_ptr<Policy>(policy_)](asio::error_code ec) {
    if (ec || alive.expired()) return;
    policy_timer_at_.reset();
    policy_->core.on_timer(now());
    apply_policy();
  });
}

std::vector<std::string> Swarm::protocols() const {
  std::vector<std::string> out;
  for (auto& [p, h] : handlers_) out.push_back(p);
  return out;
}

std::vector<std::shared_ptr<Connection>> Swarm::connections() const {
  std::vector<std::shared_ptr<Connection>> out;
  for (auto& [id, c] : connections_) out.push_back(c);
  return out;
}

std::shared_ptr<Connection> Swarm::connection_to(const PeerId& peer) const {
  for (auto& [id, c] : connections_)
    if (c->info().peer == peer && !c->closed()) return c;
  return nullptr;
}

std::shared_ptr<Connection> Swarm::connection(uint64_t id) const {
  auto it = connections_.find(id);
  return it == connections_.end() || it->second->closed() ? nullptr : it->second;
}

size_t Swarm::disconnect(const PeerId& peer, const std::string& why) {
  size_t n = policy_->core.disconnect(peer, host::CloseReason::requested, why);
  apply_policy();
  return n;
}

void Swarm::ban(const PeerId& peer, Duration how_long, const std::string& why) {
  policy_->core.ban(peer, how_long, why, now());
  apply_policy();
}

void Swarm::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (policy_timer_) policy_timer_->cancel();
  asio::error_code ec;
  for (auto& a : acceptors_) a->close(ec);
  for (auto& c : connections())
    close_connection(c->info().id, host::CloseReason::shutdown, "node shutting down");
}

}  // namespace agora::rt
