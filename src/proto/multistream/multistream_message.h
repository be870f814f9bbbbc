// multistream-select message framing: `uvarint(len) ‖ text ‖ "\n"`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace agora::multistream {

inline constexpr size_t kMultistreamMessageBytesMax = 1024;
inline constexpr std::string_view kMultistreamProtocolId = "/multistream/1.0.0";
inline constexpr std::string_view kMultistreamNa = "na";
inline constexpr std::string_view kMultistreamLs = "ls";

// Appends `uvarint(text.size() + 1) ‖ text ‖ "\n"`.
void put_multistream_message(Bytes& out, std::string_view text);
// Appends the `ls` reply: one message whose body is every protocol as a message, then "\n".
void put_multistream_ls_reply(Bytes& out, const std::vector<std::string>& protocols);

// Reassembles messages from arbitrary chunks, buffering at most one partial message.
class MultistreamReader {
 public:
  explicit MultistreamReader(size_t message_bytes_max) : message_bytes_max_(message_bytes_max) {}

  void feed(BytesView chunk);
  // The next message's text without its newline; std::nullopt when more bytes are needed.
  // Errc::too_large over the limit (seen from the length prefix alone), Errc::protocol for an
  // empty message or one not ending in "\n", Errc::invalid_input for a bad varint.
  Result<std::optional<std::string_view>> next();
  // Unparsed bytes (after the last message returned), handed to the next protocol.
  Bytes take_rest();

 private:
  size_t message_bytes_max_;
  Bytes buf_;
  size_t pos_ = 0;
};

}  // namespace agora::multistream
