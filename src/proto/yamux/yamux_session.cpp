// Yamux session: construction, application-facing API, send path, timers.
#include "proto/yamux/yamux_session.h"

#include <algorithm>
#include <limits>

namespace agora::yamux {

YamuxSession::YamuxSession(bool is_client, YamuxConfig config, Instant now)
    : config_(config), is_client_(is_client), next_outbound_id_(is_client ? 1 : 2) {
  // The spec window is a floor: announcing less would break peers that assume 256 KiB.
  config_.initial_window_bytes = std::max(config_.initial_window_bytes, kYamuxSpecWindowBytes);
  config_.window_bytes_max = std::max(config_.window_bytes_max, config_.initial_window_bytes);
  config_.data_frame_bytes_max = std::max<uint32_t>(config_.data_frame_bytes_max, 1);
  if (config_.keepalive_interval > Duration::zero()) {
    next_keepalive_at_ = now + config_.keepalive_interval;
  }
  if (config_.ping_at_start) ping(now);
}

YamuxStream* YamuxSession::find(StreamId id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

const YamuxStream* YamuxSession::find(StreamId id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

void YamuxSession::send_frame(YamuxType type, uint16_t flags, StreamId id, uint32_t length) {
  put_yamux_header(out_, YamuxHeader{type, flags, id, length});
}

void YamuxSession::emit(YamuxEvent::Kind kind, StreamId id, Error reason) {
  events_.push_back(YamuxEvent{kind, id, std::move(reason), Duration{}});
}

Status YamuxSession::fail(Error error, YamuxGoAwayCode code) {
  if (!failed_) {
    failed_ = true;
    failure_ = error;
    if (!local_go_away_) {
      local_go_away_ = true;
      send_frame(YamuxType::go_away, 0, 0, static_cast<uint32_t>(code));
    }
    emit(YamuxEvent::Kind::session_error, 0, error);
  }
  return failure_;
}

void YamuxSession::take_output(Bytes& out) {
  if (out.empty()) {
    out.swap(out_);  // the common case costs no copy
  } else {
    append(out, out_);
  }
  out_.clear();
  control_frames_owed_ = 0;
  if (!output_blocked_) return;
  output_blocked_ = false;
  for (auto& [id, stream] : streams_) {
    if (!stream.write_blocked || stream.local_closed || stream.send_window_bytes == 0) continue;
    stream.write_blocked = false;
    emit(YamuxEvent::Kind::stream_writable, id);
  }
}

std::optional<YamuxEvent> YamuxSession::poll_event() {
  if (events_.empty()) return std::nullopt;
  YamuxEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

YamuxStream& YamuxSession::insert_stream(StreamId id, bool inbound) {
  YamuxStream& stream = streams_[id];
  stream.inbound = inbound;
  stream.recv_window_target_bytes = config_.initial_window_bytes;
  recv_window_reserved_bytes_ += stream.recv_window_target_bytes;
  if (inbound) {
    ++inbound_streams_;
    ++unacked_inbound_streams_;
  } else {
    ++outbound_streams_;
    ++unacked_outbound_streams_;
  }
  return stream;
}

void YamuxSession::free_stream(StreamId id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  YamuxStream& stream = it->second;
  if (stream.inbound) {
    --inbound_streams_;
    if (!stream.acked) --unacked_inbound_streams_;
  } else {
    --outbound_streams_;
    if (!stream.acked) --unacked_outbound_streams_;
  }
  recv_window_reserved_bytes_ -= stream.recv_window_target_bytes;
  recv_buffered_bytes_ -= stream.recv.size();
  stream.recv.clear(pool_);
  streams_.erase(it);
}

void YamuxSession::free_if_done(StreamId id) {
  const YamuxStream* stream = find(id);
  if (stream && stream->local_closed && stream->remote_closed && stream->recv.empty()) {
    free_stream(id);
  }
}

Result<StreamId> YamuxSession::open_stream(Instant now) {
  if (failed_) return failure_;
  if (local_go_away_ || remote_go_away_) {
    return make_error(Errc::closed, "yamux session is going away");
  }
  if (outbound_streams_ >= config_.outbound_streams_max) {
    return make_error(Errc::limit, "yamux outbound streams at limit");
  }
  if (unacked_outbound_streams_ >= config_.unacked_outbound_streams_max) {
    return make_error(Errc::limit, "yamux unacknowledged outbound streams at limit");
  }
  if (recv_window_reserved_bytes_ + config_.initial_window_bytes >
      config_.session_recv_buffer_bytes_max) {
    return make_error(Errc::limit, "yamux session receive buffer budget exhausted");
  }
  if (next_outbound_id_ > std::numeric_limits<StreamId>::max() - 2) {
    return make_error(Errc::limit, "yamux stream ids exhausted");
  }
  StreamId id = next_outbound_id_;
  next_outbound_id_ += 2;
  YamuxStream& stream = insert_stream(id, /*inbound=*/false);
  stream.last_window_update_at = now;
  // The SYN announces any window above the spec's 256 KiB.
  uint32_t extra = stream.recv_window_target_bytes - kYamuxSpecWindowBytes;
  stream.recv_window_bytes = stream.recv_window_target_bytes;
  send_frame(YamuxType::window_update, yamux_flag::syn, id, extra);
  return id;
}

uint16_t YamuxSession::take_ack_flag(YamuxStream& stream) {
  if (!stream.inbound || stream.acked) return 0;
  stream.acked = true;
  --unacked_inbound_streams_;
  return yamux_flag::ack;
}

size_t YamuxSession::write(StreamId id, BytesView data) {
  YamuxStream* stream = find(id);
  if (failed_ || stream == nullptr || stream->local_closed) return 0;
  size_t room = out_.size() < config_.output_bytes_max ? config_.output_bytes_max - out_.size() : 0;
  size_t accepted = static_cast<size_t>(
      std::min<uint64_t>({data.size(), stream->send_window_bytes, uint64_t{room}}));
  if (accepted < data.size()) {
    stream->write_blocked = true;
    if (accepted == room) {
      output_blocked_ = true;
      ++output_stalls_;
    }
  }
  if (accepted == 0) return 0;
  // An ACK that must also widen the window goes in its own WindowUpdate; otherwise it rides on
  // the first Data frame.
  if (stream->inbound && !stream->acked && window_grant(*stream) > 0) send_ack(id, *stream);
  uint16_t flags = take_ack_flag(*stream);
  size_t offset = 0;
  while (offset < accepted) {
    size_t n = std::min<size_t>(accepted - offset, config_.data_frame_bytes_max);
    send_frame(YamuxType::data, flags, id, static_cast<uint32_t>(n));
    out_.insert(out_.end(), data.begin() + static_cast<ptrdiff_t>(offset),
                data.begin() + static_cast<ptrdiff_t>(offset + n));
    offset += n;
    flags = 0;
  }
  stream->send_window_bytes -= accepted;
  return accepted;
}

uint32_t YamuxSession::tuned_window_target(const YamuxStream& stream, Instant now) {
  uint32_t target = stream.recv_window_target_bytes;
  if (target >= config_.window_bytes_max) return target;
  Duration rtt = std::max(rtt_.value_or(Duration::zero()), config_.window_tune_rtt_min);
  // Half a window consumed within ~2 RTT: the window, not the reader, limits the stream.
  if (now - stream.last_window_update_at >= 2 * rtt) return target;
  uint64_t grown = std::min<uint64_t>(uint64_t{target} * 2, config_.window_bytes_max);
  uint64_t growth = grown - target;
  if (recv_window_reserved_bytes_ + growth > config_.session_recv_buffer_bytes_max) return target;
  return static_cast<uint32_t>(grown);
}

uint32_t YamuxSession::window_grant(const YamuxStream& stream) const {
  if (stream.remote_closed) return 0;  // the remote sends no more data
  return stream.recv_window_target_bytes - static_cast<uint32_t>(stream.recv.size()) -
         stream.recv_window_bytes;
}

void YamuxSession::send_ack(StreamId id, YamuxStream& stream) {
  uint32_t grant = window_grant(stream);
  stream.recv_window_bytes += grant;
  send_frame(YamuxType::window_update, take_ack_flag(stream), id, grant);
}

// Grants the reader's freed space back to the sender once it reaches half the target, growing
// the target first when the reader keeps up. A pending ACK goes out regardless.
void YamuxSession::send_window_update(StreamId id, YamuxStream& stream, Instant now) {
  uint32_t grant = window_grant(stream);
  if (grant == 0 || grant < stream.recv_window_target_bytes / 2) {
    if (stream.inbound && !stream.acked) send_ack(id, stream);
    return;
  }
  uint32_t target = tuned_window_target(stream, now);
  recv_window_reserved_bytes_ += target - stream.recv_window_target_bytes;
  grant += target - stream.recv_window_target_bytes;
  stream.recv_window_target_bytes = target;
  stream.last_window_update_at = now;
  stream.recv_window_bytes += grant;
  send_frame(YamuxType::window_update, take_ack_flag(stream), id, grant);
}

size_t YamuxSession::read(StreamId id, uint8_t* out, size_t max, Instant now) {
  YamuxStream* stream = find(id);
  if (stream == nullptr) return 0;
  size_t n = stream->recv.read(out, max, pool_);
  recv_buffered_bytes_ -= n;
  stream->readable_signalled = false;
  if (!failed_) send_window_update(id, *stream, now);
  free_if_done(id);
  return n;
}

size_t YamuxSession::readable_bytes(StreamId id) const {
  const YamuxStream* stream = find(id);
  return stream == nullptr ? 0 : stream->recv.size();
}

bool YamuxSession::remote_closed(StreamId id) const {
  const YamuxStream* stream = find(id);
  return stream == nullptr || (stream->remote_closed && stream->recv.empty());
}

void YamuxSession::close_write(StreamId id) {
  YamuxStream* stream = find(id);
  if (stream == nullptr || stream->local_closed) return;
  stream->local_closed = true;
  if (!failed_) {
    uint16_t flags = take_ack_flag(*stream);
    send_frame(YamuxType::window_update, flags | yamux_flag::fin, id, 0);
  }
  free_if_done(id);
}

void YamuxSession::reset(StreamId id) {
  if (find(id) == nullptr) return;
  if (!failed_) send_frame(YamuxType::window_update, yamux_flag::rst, id, 0);
  free_stream(id);
}

void YamuxSession::go_away(uint32_t code) {
  if (local_go_away_) return;
  local_go_away_ = true;
  send_frame(YamuxType::go_away, 0, 0, code);
}

void YamuxSession::ping(Instant now) {
  if (failed_ || ping_in_flight_) return;
  uint32_t value = next_ping_value_++;
  ping_in_flight_ = value;
  ping_sent_at_ = now;
  send_frame(YamuxType::ping, yamux_flag::syn, 0, value);
}

void YamuxSession::on_timer(Instant now) {
  if (failed_) return;
  // Idle sessions give back the memory kept for bulk transfer (checked at timer pace only, so a
  // running transfer keeps its pool).
  if (recv_buffered_bytes_ == 0) pool_.trim();
  if (out_.empty()) Bytes().swap(out_);
  if (ping_in_flight_ && now - ping_sent_at_ >= config_.ping_timeout) {
    // The remote is gone; a GoAway would not reach it, so only report.
    failed_ = true;
    failure_ = make_error(Errc::timeout, "yamux ping unanswered for " +
                                             std::to_string(to_ms(now - ping_sent_at_)) + " ms");
    emit(YamuxEvent::Kind::session_error, 0, failure_);
    return;
  }
  if (config_.keepalive_interval > Duration::zero() && now >= next_keepalive_at_) {
    ping(now);
    next_keepalive_at_ = now + config_.keepalive_interval;
  }
}

std::optional<Instant> YamuxSession::next_timer() const {
  if (failed_) return std::nullopt;
  std::optional<Instant> next;
  if (config_.keepalive_interval > Duration::zero()) next = next_keepalive_at_;
  if (ping_in_flight_) {
    Instant deadline = ping_sent_at_ + config_.ping_timeout;
    if (!next || deadline < *next) next = deadline;
  }
  return next;
}

uint32_t YamuxSession::recv_window_target_bytes(StreamId id) const {
  const YamuxStream* stream = find(id);
  return stream == nullptr ? 0 : stream->recv_window_target_bytes;
}

uint64_t YamuxSession::send_window_bytes(StreamId id) const {
  const YamuxStream* stream = find(id);
  return stream == nullptr ? 0 : stream->send_window_bytes;
}

}  // namespace agora::yamux
