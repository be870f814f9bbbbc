// multistream-select 1.0 (`/multistream/1.0.0`): sans-I/O dialer and listener.
// Wire: every message is `uvarint(len) ‖ utf8 ‖ "\n"` (len counts the newline).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "proto/multistream/multistream_message.h"

namespace agora {

struct MultistreamConfig {
  size_t message_bytes_max = kMultistreamMessageBytesMax;  // one message, newline included
  size_t rejected_messages_max = 16;  // listener: `na` answers plus `ls` replies per negotiation
};

// Dialer side: sends header + first proposal in one write (pipelined), then the next proposal
// after each `na`.
class MultistreamDialer {
 public:
  explicit MultistreamDialer(std::vector<std::string> protocols,  // in order of preference
                             MultistreamConfig config = {});
  // Appends bytes to send; header and first proposal are ready right after construction.
  void take_output(Bytes& out);
  // Accepts any chunking. Errc::unsupported when every proposal got `na`; Errc::protocol on a
  // bad header or reply; Errc::too_large for a message over the limit.
  Status on_bytes(BytesView in);
  bool done() const { return state_ == State::done; }
  const std::string& selected() const { return selected_; }
  // Bytes received after the echo: the selected protocol's first data.
  Bytes take_rest();

 private:
  enum class State { header, reply, done, failed };
  Status on_message(std::string_view message);
  Status fail(Error error);

  std::vector<std::string> protocols_;
  MultistreamConfig config_;
  MultistreamReader reader_;
  size_t proposal_index_ = 0;
  State state_ = State::header;
  std::string selected_;
  Bytes out_;
  Bytes rest_;
  Error error_{Errc::closed, ""};
};

// Listener side: answers the header, echoes a supported protocol, `na` for others, answers `ls`.
class MultistreamListener {
 public:
  explicit MultistreamListener(std::vector<std::string> supported, MultistreamConfig config = {});
  void take_output(Bytes& out);
  // Accepts any chunking. Errc::limit after more than `rejected_messages_max` proposals were
  // refused; Errc::protocol on a bad header; Errc::too_large for a message over the limit.
  Status on_bytes(BytesView in);
  bool done() const { return state_ == State::done; }
  const std::string& selected() const { return selected_; }
  Bytes take_rest();

 private:
  enum class State { header, proposal, done, failed };
  Status on_message(std::string_view message);
  Status fail(Error error);

  std::vector<std::string> supported_;
  MultistreamConfig config_;
  MultistreamReader reader_;
  size_t rejected_messages_ = 0;
  State state_ = State::header;
  std::string selected_;
  Bytes out_;
  Bytes rest_;
  Error error_{Errc::closed, ""};
};

}  // namespace agora
