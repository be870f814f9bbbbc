// Includes <linux/tcp.h> alone: its struct tcp_info has the fields glibc's <netinet/tcp.h>
// (which asio pulls in) lacks, and the two cannot share a translation unit.
#include "runtime/asio/tcp_stats.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

namespace agora::rt {

std::optional<TcpStats> read_tcp_stats(int fd) {
  struct tcp_info info {};
  socklen_t len = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  // The fields below up to tcpi_bytes_retrans came with Linux 4.19; an older kernel fills less.
  if (len < offsetof(struct tcp_info, tcpi_bytes_retrans) + sizeof(info.tcpi_bytes_retrans))
    return std::nullopt;
  TcpStats s;
  s.rtt_us = info.tcpi_rtt;
  s.rtt_var_us = info.tcpi_rttvar;
  s.retransmitted_segments = info.tcpi_total_retrans;
  s.segments_out = info.tcpi_segs_out;
  s.data_segments_out = info.tcpi_data_segs_out;
  s.bytes_retransmitted = info.tcpi_bytes_retrans;
  s.congestion_window = info.tcpi_snd_cwnd;
  return s;
}

}  // namespace agora::rt
