// multistream-select 1.0 (`/multistream/1.0.0`): sans-I/O dialer and listener.
// Wire: every message is `uvarint(len) ‖ utf8 ‖ "\n"` (len counts the newline).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "proto/multistream/multistream_message.h"

namespace agora::multistream {

struct MultistreamConfig {
  size_t message_bytes_max = kMultistreamMessageBytesMax;  // one message, newline included
  size_t rejected_messages_max = 16;  // listener: `na` answers plus `ls` replies per negotiation
};

// What dialer and listener share: reading messages, checking the header, handing over the bytes
// that follow the negotiation. Sides differ only in what they answer.
class MultistreamNegotiation {
 public:
  virtual ~MultistreamNegotiation() = default;
  // Appends bytes to send.
  void take_output(Bytes& out);
  // Accepts any chunking. Errc::protocol on a bad header, at its first byte that differs (no
  // waiting for a length read from garbage);
  // Errc::too_large for a message over the limit; the side's own errors below. Errors are sticky.
  Status on_bytes(BytesView in);
  bool done() const { return done_; }
  const std::string& selected() const { return selected_; }
  // Bytes received after the negotiation: the selected protocol's first data.
  Bytes take_rest();

 protected:
  explicit MultistreamNegotiation(MultistreamConfig config);
  virtual Status on_header() = 0;
  virtual Status on_message(std::string_view message) = 0;
  void select(std::string protocol);

  MultistreamConfig config_;
  Bytes out_;

 private:
  Status check_header_prefix(BytesView in);

  MultistreamReader reader_;
  bool header_seen_ = false;
  size_t header_prefix_checked_ = 0;
  bool done_ = false;
  bool failed_ = false;
  std::string selected_;
  Bytes rest_;
  Error error_{Errc::closed, ""};
};

// Dialer side: sends header + first proposal in one write (pipelined), then the next proposal
// after each `na`. Errc::unsupported when every proposal got `na`.
class MultistreamDialer : public MultistreamNegotiation {
 public:
  explicit MultistreamDialer(std::vector<std::string> protocols,  // in order of preference
                             MultistreamConfig config = {});

 private:
  Status on_header() override;
  Status on_message(std::string_view message) override;

  std::vector<std::string> protocols_;
  size_t proposal_index_ = 0;
};

// Listener side: answers the header, echoes a supported protocol, `na` for others, answers `ls`.
// Errc::limit after more than `rejected_messages_max` proposals were refused.
class MultistreamListener : public MultistreamNegotiation {
 public:
  explicit MultistreamListener(std::vector<std::string> supported, MultistreamConfig config = {});

 private:
  Status on_header() override;
  Status on_message(std::string_view message) override;

  std::vector<std::string> supported_;
  size_t rejected_messages_ = 0;
};

}  // namespace agora::multistream
