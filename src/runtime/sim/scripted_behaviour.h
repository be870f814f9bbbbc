// A host::Behaviour whose actions a test writes by hand and whose inputs it records: the
// attacker (or the plain counterpart) in behaviour tests over the MemoryNetwork.
#pragma once

#include <deque>
#include <map>

#include "host/behaviour.h"

namespace agora::sim {

class ScriptedBehaviour final : public host::Behaviour {
 public:
  explicit ScriptedBehaviour(std::vector<host::ProtocolSpec> specs) : specs_(std::move(specs)) {}

  void push(host::BehaviourAction a) { actions_.push_back(std::move(a)); }

  std::vector<host::StreamOpened> opened;
  std::vector<host::StreamOpenFailed> open_failed;
  std::vector<std::pair<host::StreamRef, Bytes>> messages;
  std::vector<host::StreamRef> finished;
  Bytes bytes;                   // everything on_bytes handed over, in order
  std::vector<uint64_t> tokens;  // on_message_sent
  std::vector<std::pair<host::StreamRef, Error>> closed;
  std::vector<host::ConnectionOpened> connections;
  std::vector<host::ConnectionEnded> connections_ended;
  bool echo = false;  // send every message back on its stream

  std::vector<host::ProtocolSpec> protocols() const override { return specs_; }
  void on_connection_opened(const host::ConnectionOpened& c, Instant) override {
    connections.push_back(c);
  }
  void on_connection_ended(const host::ConnectionEnded& c, Instant) override {
    connections_ended.push_back(c);
  }
  void on_stream_opened(const host::StreamOpened& s, Instant) override { opened.push_back(s); }
  void on_stream_open_failed(const host::StreamOpenFailed& f, Instant) override {
    open_failed.push_back(f);
  }
  void on_message(host::StreamRef ref, Bytes message, Instant) override {
    if (echo) actions_.push_back(host::SendMessage{ref, message});
    messages.emplace_back(ref, std::move(message));
  }
  void on_bytes(host::StreamRef, BytesView data, Instant) override { append(bytes, data); }
  void on_message_sent(host::StreamRef, uint64_t token, Instant) override {
    tokens.push_back(token);
  }
  void on_stream_finished(host::StreamRef ref, Instant) override { finished.push_back(ref); }
  void on_stream_closed(host::StreamRef ref, const Error& e, Instant) override {
    closed.emplace_back(ref, e);
  }
  std::optional<host::BehaviourAction> poll_action() override {
    if (actions_.empty()) return std::nullopt;
    auto a = std::move(actions_.front());
    actions_.pop_front();
    return a;
  }

 private:
  std::vector<host::ProtocolSpec> specs_;
  std::deque<host::BehaviourAction> actions_;
};

}  // namespace agora::sim
