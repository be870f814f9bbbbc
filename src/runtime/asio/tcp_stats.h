// The kernel's own counters of one TCP connection (Linux TCP_INFO, RFC 4898's names): its
// smoothed round trip and the segments it sent and sent again. Retransmissions over segments
// sent is the loss the sender saw on the path, which no application-level timing shows as
// directly (agora doctor's lossy-link check, docs/cli.md). Read on demand, nothing kept.
#pragma once

#include <cstdint>
#include <optional>

namespace agora::rt {

struct TcpStats {
  uint32_t rtt_us = 0;                  // smoothed round trip
  uint32_t rtt_var_us = 0;              // its mean deviation
  uint32_t retransmitted_segments = 0;  // tcpi_total_retrans: segments sent again, all time
  uint32_t segments_out = 0;            // tcpi_segs_out: every segment sent, pure ACKs included
  uint32_t data_segments_out = 0;       // tcpi_data_segs_out: those that carried data
  uint64_t bytes_retransmitted = 0;
  uint32_t congestion_window = 0;  // in segments
};

// Errors (a closed socket, not TCP, a kernel older than 4.6 that fills fewer fields): nothing.
std::optional<TcpStats> read_tcp_stats(int fd);

}  // namespace agora::rt
