#include "behaviour/connection_manager_behaviour.h"

namespace agora::behaviour {

Result<std::unique_ptr<ConnectionManagerBehaviour>> ConnectionManagerBehaviour::create(
    host::ConnectionManagerConfig config, ActivitySampler sample_activity) {
  AGORA_ASSIGN(host::ConnectionManager manager, host::ConnectionManager::create(config));
  return std::unique_ptr<ConnectionManagerBehaviour>(
      new ConnectionManagerBehaviour(std::move(manager), std::move(sample_activity)));
}

void ConnectionManagerBehaviour::on_connection_opened(const host::ConnectionOpened& c,
                                                      Instant now) {
  if (!started_) {
    started_ = true;
    manager_.on_timer(now);  // arms the first check
  }
  manager_.on_opened(c.connection, c.peer, c.direction == host::Direction::inbound, now);
}

void ConnectionManagerBehaviour::on_connection_ended(const host::ConnectionEnded& c, Instant) {
  manager_.on_closed(c.connection);
}

void ConnectionManagerBehaviour::on_timer(Instant now) {
  if (sample_) sample_(manager_);
  manager_.on_timer(now);
  while (auto trim = manager_.poll_trim())
    actions_.push_back(
        host::CloseConnection{trim->connection, host::CloseReason::manager_trim, trim->reason});
  dials_wanted_ += manager_.take_dial_budget();
}

std::optional<Instant> ConnectionManagerBehaviour::next_timer() const {
  if (!started_) return std::nullopt;
  return manager_.next_timer();
}

std::optional<host::BehaviourAction> ConnectionManagerBehaviour::poll_action() {
  return host::take_front(actions_);
}

}  // namespace agora::behaviour
