// Yamux session: the receive path (frame parsing, stream opening, flow control checks).
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "proto/yamux/yamux_session.h"

namespace agora::yamux {
namespace {

Error protocol_error(std::string message) { return make_error(Errc::protocol, std::move(message)); }

Error go_away_reason(uint32_t code) {
  switch (code) {
    case static_cast<uint32_t>(YamuxGoAwayCode::normal):
      return make_error(Errc::closed, "remote went away");
    case static_cast<uint32_t>(YamuxGoAwayCode::protocol_error):
      return make_error(Errc::protocol, "remote went away: protocol error");
    case static_cast<uint32_t>(YamuxGoAwayCode::internal_error):
      return make_error(Errc::internal, "remote went away: internal error");
    default:
      return make_error(Errc::closed, "remote went away with code " + std::to_string(code));
  }
}

}  // namespace

Status YamuxSession::on_bytes(BytesView in, Instant now) {
  if (failed_) return failure_;
  const uint8_t* p = in.data();
  size_t n = in.size();
  while (n > 0) {
    if (payload_left_ > 0) {
      size_t take = std::min<size_t>(n, payload_left_);
      deliver_payload(p, take);
      p += take;
      n -= take;
      payload_left_ -= static_cast<uint32_t>(take);
      if (payload_left_ == 0 && frame_known_) on_stream_flags(frame_.stream, frame_.flags);
      continue;
    }
    const uint8_t* header_bytes;
    if (header_fill_ == 0 && n >= kYamuxHeaderBytes) {
      header_bytes = p;  // fast path: whole header in this chunk
      p += kYamuxHeaderBytes;
      n -= kYamuxHeaderBytes;
    } else {
      size_t take = std::min(n, kYamuxHeaderBytes - header_fill_);
      std::memcpy(header_buf_ + header_fill_, p, take);
      header_fill_ += take;
      p += take;
      n -= take;
      if (header_fill_ < kYamuxHeaderBytes) break;
      header_fill_ = 0;
      header_bytes = header_buf_;
    }
    Result<YamuxHeader> header = parse_yamux_header(header_bytes);
    if (!header.ok()) return fail(header.error(), YamuxGoAwayCode::protocol_error);
    Status status = on_header(*header, now);
    if (!status.ok()) return fail(status.error(), YamuxGoAwayCode::protocol_error);
    if (control_frames_owed_ > config_.control_frames_owed_max) {
      control_frames_overflowed_ = true;
      return fail(make_error(Errc::protocol, "control_frames_owed_max reached (" +
                                                 std::to_string(config_.control_frames_owed_max) +
                                                 "): the peer asks for replies it does not read"),
                  YamuxGoAwayCode::protocol_error);
    }
  }
  return {};
}

Status YamuxSession::on_header(const YamuxHeader& header, Instant now) {
  switch (header.type) {
    case YamuxType::ping:
      return on_ping(header, now);
    case YamuxType::go_away:
      return on_go_away(header);
    case YamuxType::data:
    case YamuxType::window_update:
      return on_stream_frame(header, now);
  }
  return protocol_error("unknown yamux frame type");
}

Status YamuxSession::on_ping(const YamuxHeader& header, Instant now) {
  if (header.stream != 0) return protocol_error("yamux ping on a stream");
  if (header.flags & yamux_flag::syn) {
    ++control_frames_owed_;
    send_frame(YamuxType::ping, yamux_flag::ack, 0, header.length);
  } else if ((header.flags & yamux_flag::ack) && ping_in_flight_ == header.length) {
    ping_in_flight_.reset();
    rtt_ = now - ping_sent_at_;
    events_.push_back(YamuxEvent{YamuxEvent::Kind::pong, 0, {Errc::closed, ""}, *rtt_});
  }
  // An ACK we did not ask for (or a late one) is harmless: ignored.
  return {};
}

Status YamuxSession::on_go_away(const YamuxHeader& header) {
  if (header.stream != 0) return protocol_error("yamux go-away on a stream");
  if (!remote_go_away_) {
    remote_go_away_ = true;
    emit(YamuxEvent::Kind::go_away, 0, go_away_reason(header.length));
  }
  return {};
}

Result<YamuxStream*> YamuxSession::accept_inbound(StreamId id, Instant now) {
  bool remote_is_client = !is_client_;
  if ((id % 2 == 1) != remote_is_client) {
    return protocol_error("yamux stream " + std::to_string(id) + " opened with our parity");
  }
  if (id <= last_inbound_id_) {
    return protocol_error("yamux stream id " + std::to_string(id) + " reused");
  }
  last_inbound_id_ = id;
  bool refuse = local_go_away_ || inbound_streams_ >= config_.inbound_streams_max ||
                unacked_inbound_streams_ >= config_.unacked_inbound_streams_max ||
                recv_window_reserved_bytes_ + config_.initial_window_bytes >
                    config_.session_recv_buffer_bytes_max;
  if (refuse) {
    // Refused without allocating; its payload, if any, is skipped.
    ++streams_refused_;
    ++control_frames_owed_;
    send_frame(YamuxType::window_update, yamux_flag::rst, id, 0);
    return nullptr;
  }
  YamuxStream& stream = insert_stream(id, /*inbound=*/true);
  stream.last_window_update_at = now;
  emit(YamuxEvent::Kind::stream_opened, id);
  return &stream;
}

Status YamuxSession::on_stream_frame(const YamuxHeader& header, Instant now) {
  if (header.stream == 0) return protocol_error("yamux stream frame on stream 0");
  YamuxStream* stream;
  if (header.flags & yamux_flag::syn) {
    AGORA_ASSIGN(stream, accept_inbound(header.stream, now));
  } else {
    stream = find(header.stream);
  }
  // Frames for streams we no longer know (reset, refused) are skipped.
  if (stream && (header.flags & yamux_flag::ack) && !stream->inbound && !stream->acked) {
    stream->acked = true;
    --unacked_outbound_streams_;
  }
  if (header.type == YamuxType::window_update) {
    if (stream) {
      uint64_t window = stream->send_window_bytes + header.length;
      if (window > std::numeric_limits<uint32_t>::max()) {
        return protocol_error("yamux send window over 2^32-1");
      }
      // The full credit is kept (dropping some would stall a peer that waits for half its window
      // before it updates); what we queue for it is bounded by output_bytes_max, not by this.
      stream->send_window_bytes = window;
      if (stream->write_blocked && window > 0 && !stream->local_closed) {
        stream->write_blocked = false;
        emit(YamuxEvent::Kind::stream_writable, header.stream);
      }
    }
    on_stream_flags(header.stream, header.flags);
    return {};
  }
  if (stream && header.length > 0) {
    if (stream->remote_closed) {
      return protocol_error("yamux data on stream " + std::to_string(header.stream) + " after FIN");
    }
    if (header.length > stream->recv_window_bytes) {
      return protocol_error("yamux data frame of " + std::to_string(header.length) +
                            " bytes over the receive window of " +
                            std::to_string(stream->recv_window_bytes));
    }
    // The window is debited as payload arrives, so a read mid-frame cannot grant the bytes still
    // in flight a second time.
  }
  frame_ = header;
  frame_known_ = stream != nullptr;
  payload_left_ = header.length;
  if (payload_left_ == 0) on_stream_flags(header.stream, header.flags);
  return {};
}

void YamuxSession::deliver_payload(const uint8_t* data, size_t n) {
  if (!frame_known_) return;  // skipped: see frame_known_
  YamuxStream* stream = find(frame_.stream);
  if (stream == nullptr) return;  // reset or refused meanwhile: skip
  stream->recv_window_bytes -= static_cast<uint32_t>(n);
  stream->recv.append(data, n, payload_left_, pool_);
  recv_buffered_bytes_ += n;
  if (!stream->readable_signalled) {
    stream->readable_signalled = true;
    emit(YamuxEvent::Kind::stream_readable, frame_.stream);
  }
}

void YamuxSession::on_stream_flags(StreamId id, uint16_t flags) {
  YamuxStream* stream = find(id);
  if (stream == nullptr) return;
  if (flags & yamux_flag::rst) {
    free_stream(id);
    emit(YamuxEvent::Kind::stream_reset, id, make_error(Errc::closed, "stream reset by remote"));
    return;
  }
  if ((flags & yamux_flag::fin) && !stream->remote_closed) {
    stream->remote_closed = true;
    emit(YamuxEvent::Kind::stream_remote_closed, id);
    free_if_done(id);
  }
}

}  // namespace agora::yamux
