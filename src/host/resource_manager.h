// The resource manager, sans-I/O: streams and buffered bytes counted in scopes, in the spirit of
// go-libp2p's. A stream or a byte reservation is charged to the system, to its protocol, to its
// peer and to the pair (peer, protocol) at once; it is granted only when every scope has room, so
// one peer cannot take a protocol's share and one protocol cannot take the node's.
//
// Connections are admitted by ConnectionLimits (host/connection_limits.h), which adds fairness per
// remote IP and network; host::Swarm reports both kinds of refusal the same way (host/swarm.h).
//
// Bounds: peer scopes exist only while a peer holds something, so their number is bounded by the
// streams and reservations granted; protocol scopes by protocols_max. Every refusal names the
// scope and the limit (fixed labels) and is counted in refusals().
//
// Drive it: open_stream/close_stream around every stream once its protocol is known;
// reserve_memory/release_memory around buffered bytes (messages being assembled, queued output,
// read buffers; host::Swarm does both per stream for the runtimes).
// Every grant must be released exactly once with the same arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "codec/peer_id.h"
#include "host/swarm_reasons.h"

namespace agora::host {

// Limits of one scope. 0 means "none of this resource", not "unlimited".
struct ScopeLimits {
  size_t streams_inbound_max = 0;
  size_t streams_outbound_max = 0;
  size_t memory_bytes_max = 0;
};

// What a behaviour declares when it registers a protocol.
struct ProtocolLimits {
  ScopeLimits all_peers{
      .streams_inbound_max = 1024, .streams_outbound_max = 1024, .memory_bytes_max = 64u << 20};
  ScopeLimits per_peer{
      .streams_inbound_max = 16, .streams_outbound_max = 16, .memory_bytes_max = 4u << 20};
};

struct ResourceManagerConfig {
  ScopeLimits system{.streams_inbound_max = 8192,
                     .streams_outbound_max = 8192,
                     .memory_bytes_max = size_t(1) << 30};
  ScopeLimits peer{
      .streams_inbound_max = 256, .streams_outbound_max = 256, .memory_bytes_max = 64u << 20};
  size_t protocols_max = 64;
};

struct ScopeUsage {
  size_t streams_inbound = 0;
  size_t streams_outbound = 0;
  size_t memory_bytes = 0;
  bool empty() const { return streams_inbound == 0 && streams_outbound == 0 && memory_bytes == 0; }
};

class ResourceManager {
 public:
  explicit ResourceManager(ResourceManagerConfig config) : config_(config) {}

  // Declares a protocol and its limits; a second call replaces them (usage is kept).
  // Errc::limit past protocols_max.
  Status set_protocol(const std::string& protocol, ProtocolLimits limits);
  bool has_protocol(std::string_view protocol) const;
  std::optional<ProtocolLimits> limits_of(std::string_view protocol) const;

  // nullopt when granted. Unknown protocols are refused (RefusalReason::unknown_protocol).
  std::optional<Refusal> open_stream(const PeerId& peer, std::string_view protocol, Direction dir);
  void close_stream(const PeerId& peer, std::string_view protocol, Direction dir);
  std::optional<Refusal> reserve_memory(const PeerId& peer, std::string_view protocol,
                                        size_t bytes);
  void release_memory(const PeerId& peer, std::string_view protocol, size_t bytes);

  ScopeUsage system() const { return system_; }
  ScopeUsage peer(const PeerId& peer) const;
  ScopeUsage protocol(std::string_view protocol) const;
  ScopeUsage peer_protocol(const PeerId& peer, std::string_view protocol) const;
  size_t peers_tracked() const { return peers_.size(); }

  // Refusals so far, by (scope, limit name).
  const std::map<std::pair<Scope, std::string>, uint64_t>& refusals() const { return refusals_; }
  const ResourceManagerConfig& config() const { return config_; }

 private:
  struct ProtocolScope {
    ProtocolLimits limits;
    ScopeUsage usage;
  };
  struct PeerScope {
    ScopeUsage usage;
    std::map<std::string, ScopeUsage, std::less<>> protocols;
  };
  enum class Kind { stream_inbound, stream_outbound, memory };
  std::optional<Refusal> charge(const PeerId& peer, std::string_view protocol, Kind kind,
                                size_t amount);
  void refund(const PeerId& peer, std::string_view protocol, Kind kind, size_t amount);
  Refusal refuse(Scope scope, Kind kind, size_t max, std::string_view protocol, const PeerId* peer);

  ResourceManagerConfig config_;
  ScopeUsage system_;
  std::map<std::string, ProtocolScope, std::less<>> protocols_;
  std::map<PeerId, PeerScope> peers_;
  std::map<std::pair<Scope, std::string>, uint64_t> refusals_;
};

}  // namespace agora::host
