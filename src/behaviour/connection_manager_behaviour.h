// The connection manager (host/connection_manager.h) as a host::Behaviour: it hears every
// connection open and close, and over the high watermark it closes the least useful ones
// (CloseConnection, reason manager_trim). It speaks no protocol. Activity (open streams, bytes
// moved) comes from an optional sampler the runtime supplies before each check; without one,
// trims fall back to inbound before outbound, then the younger.
//
// Dials to climb back under the low watermark are the peer store's business: the budget is
// counted (dials_wanted) for the owner to act on.
#pragma once

#include <deque>
#include <functional>
#include <memory>

#include "host/behaviour.h"
#include "host/connection_manager.h"

namespace agora::behaviour {

class ConnectionManagerBehaviour final : public host::Behaviour {
 public:
  using ActivitySampler = std::function<void(host::ConnectionManager&)>;
  // Errc::invalid_input for bad watermarks (ConnectionManager::create).
  static Result<std::unique_ptr<ConnectionManagerBehaviour>> create(
      host::ConnectionManagerConfig config, ActivitySampler sample_activity = {});

  host::ConnectionManager& manager() { return manager_; }
  uint64_t dials_wanted() const { return dials_wanted_; }

  std::vector<host::ProtocolSpec> protocols() const override { return {}; }
  void on_connection_opened(const host::ConnectionOpened& c, Instant now) override;
  void on_connection_ended(const host::ConnectionEnded& c, Instant now) override;
  void on_stream_opened(const host::StreamOpened&, Instant) override {}
  void on_message(host::StreamRef, Bytes, Instant) override {}
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  ConnectionManagerBehaviour(host::ConnectionManager manager, ActivitySampler sample)
      : manager_(std::move(manager)), sample_(std::move(sample)) {}

  host::ConnectionManager manager_;
  ActivitySampler sample_;
  bool started_ = false;  // next_timer() means nothing before the first connection
  uint64_t dials_wanted_ = 0;
  std::deque<host::BehaviourAction> actions_;
};

}  // namespace agora::behaviour
