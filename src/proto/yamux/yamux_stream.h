// State of one yamux stream inside a session.
#pragma once

#include <cstdint>

#include "base/time.h"
#include "proto/yamux/yamux_frame.h"
#include "proto/yamux/yamux_recv_buffer.h"

namespace agora::yamux {

struct YamuxStream {
  bool inbound = false;        // opened by the remote
  bool acked = false;          // inbound: we sent ACK; outbound: we received ACK
  bool local_closed = false;   // we sent FIN
  bool remote_closed = false;  // we received FIN
  // Event de-duplication: at most one pending readable/writable event per stream.
  bool readable_signalled = false;
  bool write_blocked = false;  // a write() came up short; signal stream_writable on more window

  // Send side: what the remote still lets us send. Wider than 32 bits so a hostile update
  // cannot wrap it; values over 2^32-1 are a protocol error.
  uint64_t send_window_bytes = kYamuxSpecWindowBytes;

  // Receive side. Invariant: recv.size() + recv_window_bytes <= recv_window_target_bytes.
  uint32_t recv_window_bytes = kYamuxSpecWindowBytes;         // remote may still send this much
  uint32_t recv_window_target_bytes = kYamuxSpecWindowBytes;  // auto-tuned, reserved from session
  Instant last_window_update_at{};  // start of the current auto-tuning epoch
  YamuxRecvBuffer recv;
};

}  // namespace agora::yamux
