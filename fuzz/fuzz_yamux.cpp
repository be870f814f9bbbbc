// Fuzzes the yamux session two ways, chosen by the first byte:
//  * hostile peer: a session fed a sequence of fuzz-chosen frames, raw bytes and local API calls.
//    Memory it buffers must stay within the configured limits, and failure must stick.
//  * honest pair: two sessions driven by fuzz-chosen API calls and chunked delivery. They must
//    never see a protocol error, and every byte read must be the byte written at that position.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

#include "fuzz_input.h"
#include "proto/yamux/yamux_session.h"

namespace {

using namespace agora;
using fuzz::Input;

yamux::YamuxConfig small_config() {
  yamux::YamuxConfig config;
  config.window_bytes_max = 1024 * 1024;
  config.data_frame_bytes_max = 40000;
  config.inbound_streams_max = 6;
  config.unacked_inbound_streams_max = 4;
  config.outbound_streams_max = 6;
  config.unacked_outbound_streams_max = 4;
  config.session_recv_buffer_bytes_max = 5 * yamux::kYamuxSpecWindowBytes;
  config.keepalive_interval = std::chrono::seconds(10);
  config.ping_timeout = std::chrono::seconds(5);
  config.output_bytes_max = 100000;  // small, so the fuzzer reaches the bound
  config.control_frames_owed_max = 64;
  return config;
}

void check_bounds(const yamux::YamuxSession& session, const std::vector<yamux::StreamId>& ids,
                  size_t local_calls) {
  const yamux::YamuxConfig& config = session.config();
  if (session.recv_buffered_bytes() > config.session_recv_buffer_bytes_max) std::abort();
  if (session.recv_window_reserved_bytes() > config.session_recv_buffer_bytes_max) std::abort();
  if (session.stream_count() > config.inbound_streams_max + config.outbound_streams_max) {
    std::abort();
  }
  size_t buffered = 0;
  std::vector<yamux::StreamId> unique = ids;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  for (yamux::StreamId id : unique) {
    size_t readable = session.readable_bytes(id);
    if (readable > session.recv_window_target_bytes(id)) std::abort();
    if (session.recv_window_target_bytes(id) > config.window_bytes_max) std::abort();
    if (session.send_window_bytes(id) > UINT32_MAX) std::abort();
    buffered += readable;
  }
  if (buffered > session.recv_buffered_bytes()) std::abort();
  // Output not yet taken: data only under output_bytes_max (plus one frame's overshoot and its
  // header); replies the peer asked for at most control_frames_owed_max before the session fails;
  // our own control frames (one per local call) on top.
  size_t output_max =
      config.output_bytes_max + config.data_frame_bytes_max +
      (config.control_frames_owed_max + 1 + local_calls) * yamux::kYamuxHeaderBytes * 2;
  if (session.output_bytes() > output_max) std::abort();
}

void hostile_peer(Input& in) {
  bool is_client = in.byte() & 1;
  Instant now{};
  yamux::YamuxSession session(is_client, small_config(), now);
  // Stream ids the fuzzer talks about: a small set of both parities.
  std::vector<yamux::StreamId> ids = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  Bytes out, payload;
  uint8_t read_buf[1 + 255 * 300];  // the largest read an op asks for
  size_t local_calls = 0;           // operations since the output was last taken
  while (!in.empty()) {
    uint8_t op = in.byte();
    switch (op % 12) {
      case 0: {  // raw bytes
        BytesView raw = in.take(in.byte());
        Status status = session.on_bytes(raw, now);
        if (session.failed() && status.ok() && !raw.empty()) std::abort();
        break;
      }
      case 1:
      case 2:
      case 3: {  // a well-formed header, maybe with payload
        yamux::YamuxHeader header;
        header.type = static_cast<yamux::YamuxType>(in.byte() % 4);
        header.flags = in.byte() & 0xf;
        header.stream = in.byte() % 12;
        uint8_t size_code = in.byte();
        header.length = size_code < 200 ? size_code : in.u32();
        Bytes frame;
        yamux::put_yamux_header(frame, header);
        if (header.type == yamux::YamuxType::data) {
          size_t n = std::min<size_t>(header.length, 300000);
          frame.resize(frame.size() + n, static_cast<uint8_t>(op));
        }
        Status status = session.on_bytes(frame, now);
        if (!status.ok() && !session.failed()) std::abort();
        break;
      }
      case 4: {
        Result<yamux::StreamId> id = session.open_stream(now);
        if (id.ok() && *id % 2 != (is_client ? 1u : 0u)) std::abort();
        if (id.ok()) ids.push_back(*id);
        break;
      }
      case 5: {
        payload.assign(in.byte() * 1024u + in.byte(), 0x5a);
        yamux::StreamId id = ids[in.byte() % ids.size()];
        uint64_t window = session.send_window_bytes(id);
        size_t accepted = session.write(id, payload);
        if (accepted > payload.size() || accepted > window) std::abort();
        break;
      }
      case 6: {
        yamux::StreamId id = ids[in.byte() % ids.size()];
        size_t before = session.readable_bytes(id);
        size_t n = session.read(id, read_buf, 1 + in.byte() * 300u, now);
        if (n > before) std::abort();
        break;
      }
      case 7:
        session.close_write(ids[in.byte() % ids.size()]);
        break;
      case 8:
        session.reset(ids[in.byte() % ids.size()]);
        break;
      case 9:
        now += std::chrono::milliseconds(in.byte() * 50);
        session.on_timer(now);
        if (std::optional<Instant> next = session.next_timer();
            next && *next < now - std::chrono::hours(1)) {
          std::abort();
        }
        break;
      case 10:
        session.go_away(in.byte() % 3);
        break;
      case 11:
        out.clear();
        session.take_output(out);
        if (session.has_output()) std::abort();
        local_calls = 0;
        while (session.poll_event()) {
        }
        break;
    }
    check_bounds(session, ids, ++local_calls);
  }
}

// Byte `i` of stream `id` written by either side.
uint8_t stream_byte(yamux::StreamId id, bool from_client, uint64_t i) {
  return static_cast<uint8_t>(id * 31 + (from_client ? 7 : 13) + i * 17 + (i >> 8));
}

struct Side {
  yamux::YamuxSession session;
  bool is_client;
  Bytes outbox;                                 // bytes produced, not yet delivered
  std::map<yamux::StreamId, uint64_t> written;  // bytes written per stream
  std::map<yamux::StreamId, uint64_t> read;     // bytes read per stream
};

void honest_pair(Input& in) {
  Instant now{};
  yamux::YamuxConfig config = small_config();
  config.ping_timeout = std::chrono::hours(1);  // delivery is fuzz-controlled, not a dead peer
  Side sides[2] = {{yamux::YamuxSession(true, config, now), true, {}, {}, {}},
                   {yamux::YamuxSession(false, config, now), false, {}, {}, {}}};
  std::vector<yamux::StreamId> ids = {1, 2, 3};
  Bytes payload;
  uint8_t buf[1 + 255 * 300];
  while (!in.empty()) {
    uint8_t op = in.byte();
    Side& self = sides[op & 1];
    Side& peer = sides[(op & 1) ^ 1];
    switch ((op >> 1) % 8) {
      case 0: {
        Result<yamux::StreamId> id = self.session.open_stream(now);
        if (id.ok()) ids.push_back(*id);
        break;
      }
      case 1: {
        yamux::StreamId id = ids[in.byte() % ids.size()];
        uint64_t& offset = self.written[id];
        payload.resize(in.byte() * 512u + in.byte());
        for (size_t i = 0; i < payload.size(); ++i) {
          payload[i] = stream_byte(id, self.is_client, offset + i);
        }
        offset += self.session.write(id, payload);
        break;
      }
      case 2: {
        yamux::StreamId id = ids[in.byte() % ids.size()];
        size_t n = self.session.read(id, buf, 1 + in.byte() * 300u, now);
        uint64_t& offset = self.read[id];
        for (size_t i = 0; i < n; ++i) {
          if (buf[i] != stream_byte(id, !self.is_client, offset + i)) std::abort();
        }
        offset += n;
        break;
      }
      case 3:
        self.session.close_write(ids[in.byte() % ids.size()]);
        break;
      case 4:
        self.session.reset(ids[in.byte() % ids.size()]);
        break;
      case 5: {  // deliver part of what self sent
        self.session.take_output(self.outbox);
        size_t n = std::min<size_t>(self.outbox.size(), 1 + in.byte() * in.byte() * 8u);
        Status status = peer.session.on_bytes(BytesView(self.outbox).first(n), now);
        if (!status.ok() && status.error().code != Errc::timeout) {
          std::fprintf(stderr, "honest pair failed: %s\n", status.error().to_string().c_str());
          std::abort();
        }
        self.outbox.erase(self.outbox.begin(), self.outbox.begin() + static_cast<ptrdiff_t>(n));
        break;
      }
      case 6:
        now += std::chrono::milliseconds(in.byte());
        self.session.on_timer(now);
        break;
      case 7:
        while (std::optional<yamux::YamuxEvent> event = self.session.poll_event()) {
          if (event->kind == yamux::YamuxEvent::Kind::session_error &&
              event->reason.code != Errc::timeout) {
            std::abort();
          }
        }
        break;
    }
    // Honest sides keep their output in their outbox; only the session's own queue is bounded.
    check_bounds(sides[0].session, ids, size_t{1} << 20);
    check_bounds(sides[1].session, ids, size_t{1} << 20);
  }
  for (Side& side : sides) {
    if (side.session.failed() && side.session.next_timer()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  if (in.byte() & 1) {
    honest_pair(in);
  } else {
    hostile_peer(in);
  }
  return 0;
}
