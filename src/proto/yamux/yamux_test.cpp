// Pair tests: two sessions wired back to back, with exact time and chosen chunking.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "proto/yamux/yamux_session.h"

namespace agora::yamux {
namespace {

using Kind = YamuxEvent::Kind;
const Instant kStart = Instant{} + std::chrono::hours(1);

Bytes frame(YamuxType type, uint16_t flags, StreamId id, uint32_t length) {
  Bytes out;
  put_yamux_header(out, YamuxHeader{type, flags, id, length});
  return out;
}

Bytes pattern(size_t n, uint32_t seed) {
  Bytes out(n);
  std::mt19937 rng(seed);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

std::vector<YamuxEvent> drain_events(YamuxSession& session) {
  std::vector<YamuxEvent> events;
  while (std::optional<YamuxEvent> event = session.poll_event()) events.push_back(*event);
  return events;
}

size_t count(const std::vector<YamuxEvent>& events, Kind kind) {
  return static_cast<size_t>(std::count_if(events.begin(), events.end(),
                                           [&](const YamuxEvent& e) { return e.kind == kind; }));
}

YamuxConfig quiet_config() {
  YamuxConfig config;
  config.ping_at_start = false;
  return config;
}

// Moves bytes between two sessions. `chunk_bytes` 0 means random chunk sizes.
struct Pair {
  explicit Pair(size_t chunk = SIZE_MAX, YamuxConfig client_config = {},
                YamuxConfig server_config = {})
      : client(true, client_config, kStart),
        server(false, server_config, kStart),
        chunk_bytes(chunk) {}

  Instant now = kStart;
  YamuxSession client;
  YamuxSession server;
  size_t chunk_bytes;
  std::mt19937 rng{12345};
  Bytes to_server, to_client;
  std::vector<YamuxEvent> client_events, server_events;

  size_t next_chunk(size_t available) {
    size_t n = chunk_bytes == 0 ? 1 + rng() % 5000 : chunk_bytes;
    return std::min(n, available);
  }

  void deliver(Bytes& wire, YamuxSession& to) {
    size_t offset = 0;
    while (offset < wire.size()) {
      size_t n = next_chunk(wire.size() - offset);
      ASSERT_TRUE(to.on_bytes(BytesView(wire).subspan(offset, n), now).ok());
      offset += n;
    }
    wire.clear();
  }

  // Delivers everything queued in both directions until quiet.
  void pump() {
    for (int round = 0; round < 100000; ++round) {
      client.take_output(to_server);
      server.take_output(to_client);
      if (to_server.empty() && to_client.empty()) break;
      deliver(to_server, server);
      deliver(to_client, client);
    }
    for (YamuxEvent& e : drain_events(client)) client_events.push_back(e);
    for (YamuxEvent& e : drain_events(server)) server_events.push_back(e);
  }
};

Bytes read_all(YamuxSession& session, StreamId id, Instant now) {
  Bytes out;
  uint8_t buf[4096];
  while (size_t n = session.read(id, buf, sizeof(buf), now)) out.insert(out.end(), buf, buf + n);
  return out;
}

class YamuxChunking : public ::testing::TestWithParam<size_t> {};

TEST_P(YamuxChunking, OpenDataFinBothWays) {
  Pair pair(GetParam());
  pair.pump();
  Result<StreamId> id = pair.client.open_stream(pair.now);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 1u);  // client ids are odd
  ASSERT_EQ(pair.client.write(*id, as_bytes("hello")), 5u);
  pair.pump();
  ASSERT_EQ(count(pair.server_events, Kind::stream_opened), 1u);
  auto opened = std::find_if(pair.server_events.begin(), pair.server_events.end(),
                             [](const YamuxEvent& e) { return e.kind == Kind::stream_opened; });
  EXPECT_EQ(opened->stream, *id);
  EXPECT_EQ(count(pair.server_events, Kind::stream_readable), 1u);
  EXPECT_EQ(read_all(pair.server, *id, pair.now), to_bytes("hello"));

  ASSERT_EQ(pair.server.write(*id, as_bytes("world")), 5u);
  pair.server.close_write(*id);
  pair.pump();
  EXPECT_EQ(count(pair.client_events, Kind::stream_remote_closed), 1u);
  EXPECT_FALSE(pair.client.remote_closed(*id));  // data still unread
  EXPECT_EQ(read_all(pair.client, *id, pair.now), to_bytes("world"));
  EXPECT_TRUE(pair.client.remote_closed(*id));
  EXPECT_EQ(pair.server.stream_count(), 1u);  // client has not closed yet

  pair.client.close_write(*id);
  pair.pump();
  EXPECT_EQ(pair.client.stream_count(), 0u);
  EXPECT_EQ(pair.server.stream_count(), 0u);
  EXPECT_EQ(pair.server.recv_window_reserved_bytes(), 0u);
  EXPECT_TRUE(pair.server.remote_closed(*id));
  EXPECT_FALSE(pair.client.failed());
  EXPECT_FALSE(pair.server.failed());
}

TEST_P(YamuxChunking, TenMebibytesArriveIntact) {
  Pair pair(GetParam() == 1 ? 7 : GetParam());  // 1-byte delivery of 10 MiB is just slow
  StreamId id = pair.client.open_stream(pair.now).value();
  Bytes sent = pattern(10 * 1024 * 1024, 1);
  Bytes received;
  size_t offset = 0;
  uint8_t buf[100000];
  while (received.size() < sent.size()) {
    offset += pair.client.write(id, BytesView(sent).subspan(offset));
    pair.pump();
    while (size_t n = pair.server.read(id, buf, sizeof(buf), pair.now)) {
      received.insert(received.end(), buf, buf + n);
    }
    pair.pump();
    ASSERT_FALSE(pair.client.failed());
  }
  EXPECT_EQ(received, sent);
  // Bytes never exceeded the window: the receiver buffered at most its window.
  EXPECT_LE(pair.server.recv_buffered_bytes(), pair.server.recv_window_target_bytes(id));
}

INSTANTIATE_TEST_SUITE_P(Chunks, YamuxChunking, ::testing::Values(1, 0, SIZE_MAX));

TEST(YamuxPair, ResetReachesRemoteAndFreesState) {
  Pair pair;
  StreamId id = pair.client.open_stream(pair.now).value();
  pair.client.write(id, as_bytes("x"));
  pair.pump();
  pair.server.reset(id);
  EXPECT_EQ(pair.server.stream_count(), 0u);
  pair.pump();
  ASSERT_EQ(count(pair.client_events, Kind::stream_reset), 1u);
  EXPECT_EQ(pair.client.stream_count(), 0u);
  EXPECT_EQ(pair.client.write(id, as_bytes("y")), 0u);
  EXPECT_TRUE(pair.client.remote_closed(id));
}

TEST(YamuxPair, AckRidesOnFirstFrameFromAcceptor) {
  Pair pair(SIZE_MAX, quiet_config(), quiet_config());
  StreamId id = pair.client.open_stream(pair.now).value();
  Bytes syn;
  pair.client.take_output(syn);
  EXPECT_EQ(syn, frame(YamuxType::window_update, yamux_flag::syn, 1, 0));
  ASSERT_TRUE(pair.server.on_bytes(syn, pair.now).ok());
  Bytes out;
  pair.server.take_output(out);
  EXPECT_TRUE(out.empty());  // ACK waits for the application
  pair.server.write(id, as_bytes("ok"));
  pair.server.take_output(out);
  Bytes expected = frame(YamuxType::data, yamux_flag::ack, 1, 2);
  append(expected, as_bytes("ok"));
  EXPECT_EQ(out, expected);
}

TEST(YamuxPair, WindowExhaustionAndLateUpdates) {
  Pair pair;
  StreamId id = pair.client.open_stream(pair.now).value();
  Bytes sent = pattern(1024 * 1024, 2);
  size_t accepted = pair.client.write(id, sent);
  EXPECT_EQ(accepted, kYamuxSpecWindowBytes);
  EXPECT_EQ(pair.client.write(id, BytesView(sent).subspan(accepted)), 0u);
  pair.pump();
  EXPECT_EQ(pair.server.readable_bytes(id), kYamuxSpecWindowBytes);
  EXPECT_EQ(count(pair.client_events, Kind::stream_writable), 0u);

  // The reader frees half the window; the update is held back in flight.
  Bytes received(kYamuxSpecWindowBytes / 2);
  pair.now += std::chrono::seconds(1);  // slow reader: no auto-tuning
  ASSERT_EQ(pair.server.read(id, received.data(), received.size(), pair.now), received.size());
  Bytes update;
  pair.server.take_output(update);
  EXPECT_EQ(update,
            frame(YamuxType::window_update, yamux_flag::ack, id, kYamuxSpecWindowBytes / 2));
  EXPECT_EQ(pair.client.write(id, BytesView(sent).subspan(accepted)), 0u);  // still closed
  ASSERT_TRUE(pair.client.on_bytes(update, pair.now).ok());
  std::vector<YamuxEvent> events = drain_events(pair.client);
  ASSERT_EQ(count(events, Kind::stream_writable), 1u);
  EXPECT_EQ(pair.client.send_window_bytes(id), kYamuxSpecWindowBytes / 2);
  accepted += pair.client.write(id, BytesView(sent).subspan(accepted));
  EXPECT_EQ(accepted, kYamuxSpecWindowBytes * 3 / 2);
  EXPECT_EQ(pair.server.recv_window_target_bytes(id), kYamuxSpecWindowBytes);
}

TEST(YamuxPair, ReadInsideAFrameDoesNotGrantBytesStillInFlight) {
  Pair pair(SIZE_MAX, quiet_config(), quiet_config());
  StreamId id = pair.client.open_stream(pair.now).value();
  ASSERT_EQ(pair.client.write(id, pattern(200 * 1024, 6)), 200u * 1024);
  Bytes wire;
  pair.client.take_output(wire);
  size_t half = wire.size() - 100 * 1024;  // SYN, header and the first 100 KiB of payload
  ASSERT_TRUE(pair.server.on_bytes(BytesView(wire).first(half), pair.now).ok());
  EXPECT_EQ(read_all(pair.server, id, pair.now).size(), 100u * 1024);
  pair.pump();
  ASSERT_TRUE(pair.server.on_bytes(BytesView(wire).subspan(half), pair.now).ok());
  // What the client may still send plus what the server holds never exceeds the window.
  EXPECT_LE(pair.client.send_window_bytes(id) + pair.server.readable_bytes(id),
            pair.server.recv_window_target_bytes(id));
}

TEST(YamuxPair, WindowAutoTunesToMaxWhenReaderKeepsUp) {
  YamuxConfig config;
  config.window_bytes_max = 4 * 1024 * 1024;
  Pair pair(SIZE_MAX, config, config);
  pair.pump();  // start-up pings measure the RTT (zero here: same instant)
  StreamId id = pair.client.open_stream(pair.now).value();
  Bytes chunk = pattern(64 * 1024, 3);
  uint8_t buf[64 * 1024];
  for (int i = 0; i < 400; ++i) {
    pair.client.write(id, chunk);
    pair.pump();
    while (pair.server.read(id, buf, sizeof(buf), pair.now) > 0) {
    }
    pair.pump();
    pair.now += std::chrono::microseconds(10);  // fast reader: well within 2 RTT floors
  }
  EXPECT_EQ(pair.server.recv_window_target_bytes(id), config.window_bytes_max);
  EXPECT_GT(pair.client.send_window_bytes(id), kYamuxSpecWindowBytes);
}

TEST(YamuxPair, WindowStaysSmallForSlowReader) {
  Pair pair;
  pair.pump();
  StreamId id = pair.client.open_stream(pair.now).value();
  Bytes chunk = pattern(64 * 1024, 4);
  uint8_t buf[64 * 1024];
  for (int i = 0; i < 50; ++i) {
    pair.client.write(id, chunk);
    pair.pump();
    pair.now += std::chrono::milliseconds(100);
    while (pair.server.read(id, buf, sizeof(buf), pair.now) > 0) {
    }
    pair.pump();
  }
  EXPECT_EQ(pair.server.recv_window_target_bytes(id), kYamuxSpecWindowBytes);
}

TEST(YamuxPair, AutoTuningUsesMeasuredRtt) {
  // Reads every 20 ms: slow against the 1 ms floor, fast against a measured 50 ms RTT.
  auto final_window = [](bool measure_rtt) {
    Pair pair;
    if (measure_rtt) {
      pair.client.take_output(pair.to_server);
      pair.now += milliseconds(25);
      pair.deliver(pair.to_server, pair.server);
      pair.server.take_output(pair.to_client);
      pair.now += milliseconds(25);
      pair.deliver(pair.to_client, pair.client);
    }
    pair.pump();
    StreamId id = pair.server.open_stream(pair.now).value();  // the client reads
    Bytes chunk = pattern(128 * 1024, 5);
    uint8_t buf[128 * 1024];
    for (int i = 0; i < 40; ++i) {
      pair.server.write(id, chunk);
      pair.pump();
      pair.now += milliseconds(20);
      while (pair.client.read(id, buf, sizeof(buf), pair.now) > 0) {
      }
      pair.pump();
    }
    EXPECT_EQ(pair.client.rtt(), measure_rtt ? milliseconds(50) : Duration::zero());
    return pair.client.recv_window_target_bytes(id);
  };
  EXPECT_EQ(final_window(false), kYamuxSpecWindowBytes);
  EXPECT_GT(final_window(true), kYamuxSpecWindowBytes);
}

TEST(YamuxPair, InterleavedStreamsKeepTheirBytes) {
  Pair pair(0);
  std::vector<StreamId> ids;
  std::vector<Bytes> sent, received(6);
  for (int i = 0; i < 6; ++i) {
    YamuxSession& opener = i % 2 ? pair.server : pair.client;
    ids.push_back(opener.open_stream(pair.now).value());
    sent.push_back(pattern(300 * 1000 + i, 10 + i));
  }
  std::vector<size_t> offsets(6, 0);
  uint8_t buf[7000];
  for (int round = 0; round < 1000; ++round) {
    bool all_done = true;
    for (int i = 0; i < 6; ++i) {
      YamuxSession& writer = i % 2 ? pair.server : pair.client;
      YamuxSession& reader = i % 2 ? pair.client : pair.server;
      size_t n = std::min<size_t>(sent[i].size() - offsets[i], 20000);
      offsets[i] += writer.write(ids[i], BytesView(sent[i]).subspan(offsets[i], n));
      if (offsets[i] == sent[i].size()) writer.close_write(ids[i]);
      size_t got = reader.read(ids[i], buf, sizeof(buf), pair.now);
      received[i].insert(received[i].end(), buf, buf + got);
      all_done = all_done && received[i].size() == sent[i].size();
    }
    pair.pump();
    if (all_done) break;
  }
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(received[i], sent[i]) << i;
    YamuxSession& reader = i % 2 ? pair.client : pair.server;
    EXPECT_TRUE(reader.remote_closed(ids[i]));
  }
}

TEST(YamuxPair, LargerInitialWindowIsAnnounced) {
  YamuxConfig config;
  config.initial_window_bytes = 1024 * 1024;
  Pair pair(SIZE_MAX, config, config);
  StreamId id = pair.client.open_stream(pair.now).value();
  pair.pump();
  // The server learned the client's window from the SYN.
  EXPECT_EQ(pair.server.send_window_bytes(id), 1024u * 1024);
  pair.server.write(id, as_bytes("x"));  // ACK carries the server's larger window
  pair.pump();
  EXPECT_EQ(pair.client.send_window_bytes(id), 1024u * 1024);
}

TEST(YamuxPair, StreamFloodPastInboundLimitResetsExcess) {
  YamuxConfig server_config;
  server_config.inbound_streams_max = 4;
  Pair pair(SIZE_MAX, {}, server_config);
  std::vector<StreamId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(pair.client.open_stream(pair.now).value());
  pair.pump();
  EXPECT_EQ(count(pair.server_events, Kind::stream_opened), 4u);
  EXPECT_EQ(pair.server.streams_refused(), 6u);
  EXPECT_EQ(pair.server.stream_count(), 4u);
  EXPECT_EQ(count(pair.client_events, Kind::stream_reset), 6u);
  EXPECT_EQ(pair.client.stream_count(), 4u);
  // The session lives on: an accepted stream still carries data.
  ASSERT_EQ(pair.client.write(ids[0], as_bytes("still here")), 10u);
  pair.pump();
  EXPECT_EQ(read_all(pair.server, ids[0], pair.now), to_bytes("still here"));
  // Closing one frees a slot.
  pair.server.reset(ids[1]);
  pair.pump();
  StreamId next = pair.client.open_stream(pair.now).value();
  pair.pump();
  EXPECT_EQ(pair.server.stream_count(), 4u);
  EXPECT_EQ(pair.server.readable_bytes(next), 0u);
  EXPECT_EQ(pair.server.streams_refused(), 6u);
}

TEST(YamuxPair, UnackedInboundLimitRefusesWhileApplicationIsBehind) {
  YamuxConfig server_config;
  server_config.unacked_inbound_streams_max = 2;
  Pair pair(SIZE_MAX, {}, server_config);
  for (int i = 0; i < 3; ++i) pair.client.open_stream(pair.now).value();
  pair.pump();
  EXPECT_EQ(pair.server.streams_refused(), 1u);
  uint8_t buf[1];
  pair.server.read(1, buf, 1, pair.now);  // the application accepts stream 1: ACK sent
  pair.pump();
  pair.client.open_stream(pair.now).value();
  pair.pump();
  EXPECT_EQ(pair.server.streams_refused(), 1u);
  EXPECT_EQ(pair.server.stream_count(), 3u);
}

TEST(YamuxPair, SessionBufferBudgetBoundsStreams) {
  YamuxConfig server_config;
  server_config.session_recv_buffer_bytes_max = 3 * kYamuxSpecWindowBytes;
  Pair pair(SIZE_MAX, {}, server_config);
  for (int i = 0; i < 4; ++i) pair.client.open_stream(pair.now).value();
  pair.pump();
  EXPECT_EQ(pair.server.stream_count(), 3u);
  EXPECT_EQ(pair.server.streams_refused(), 1u);
  Result<StreamId> own = pair.server.open_stream(pair.now);
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error().code, Errc::limit);
}

TEST(YamuxPair, OutboundLimits) {
  YamuxConfig config;
  config.unacked_outbound_streams_max = 2;
  Pair pair(SIZE_MAX, config, {});
  pair.client.open_stream(pair.now).value();
  pair.client.open_stream(pair.now).value();
  Result<StreamId> third = pair.client.open_stream(pair.now);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::limit);
  pair.pump();
  pair.server.write(1, as_bytes("a"));  // server ACKs stream 1
  pair.pump();
  EXPECT_TRUE(pair.client.open_stream(pair.now).ok());
}

TEST(YamuxPair, PingMeasuresRttWithExplicitTime) {
  YamuxSession client(true, {}, kStart);
  YamuxSession server(false, quiet_config(), kStart);
  Bytes ping;
  client.take_output(ping);
  EXPECT_EQ(ping, frame(YamuxType::ping, yamux_flag::syn, 0, 1));
  ASSERT_TRUE(server.on_bytes(ping, kStart + milliseconds(10)).ok());
  Bytes pong;
  server.take_output(pong);
  EXPECT_EQ(pong, frame(YamuxType::ping, yamux_flag::ack, 0, 1));
  ASSERT_TRUE(client.on_bytes(pong, kStart + milliseconds(25)).ok());
  std::vector<YamuxEvent> events = drain_events(client);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::pong);
  EXPECT_EQ(events[0].rtt, milliseconds(25));
  EXPECT_EQ(client.rtt(), milliseconds(25));
  // A stray pong is ignored.
  ASSERT_TRUE(client.on_bytes(pong, kStart + milliseconds(30)).ok());
  EXPECT_FALSE(client.poll_event());
}

TEST(YamuxPair, KeepaliveAndPingTimeout) {
  YamuxConfig config;
  config.keepalive_interval = seconds(30);
  config.ping_timeout = seconds(10);
  YamuxSession client(true, config, kStart);
  YamuxSession server(false, quiet_config(), kStart);
  Bytes wire;
  client.take_output(wire);  // start-up ping
  EXPECT_EQ(client.next_timer(), kStart + seconds(10));
  ASSERT_TRUE(server.on_bytes(wire, kStart + milliseconds(1)).ok());
  wire.clear();
  server.take_output(wire);
  ASSERT_TRUE(client.on_bytes(wire, kStart + milliseconds(2)).ok());
  EXPECT_EQ(client.next_timer(), kStart + seconds(30));

  client.on_timer(kStart + seconds(30));  // keepalive ping
  wire.clear();
  client.take_output(wire);
  EXPECT_EQ(wire, frame(YamuxType::ping, yamux_flag::syn, 0, 2));
  EXPECT_EQ(client.next_timer(), kStart + seconds(40));
  client.on_timer(kStart + seconds(39));
  EXPECT_FALSE(client.failed());
  client.on_timer(kStart + seconds(40));  // no pong: the remote is gone
  EXPECT_TRUE(client.failed());
  std::vector<YamuxEvent> events = drain_events(client);
  ASSERT_EQ(count(events, Kind::session_error), 1u);
  EXPECT_EQ(events.back().reason.code, Errc::timeout);
  EXPECT_FALSE(client.next_timer());
  EXPECT_FALSE(client.open_stream(kStart + seconds(41)).ok());
}

TEST(YamuxPair, GoAwayStopsNewStreamsOnly) {
  Pair pair;
  StreamId id = pair.client.open_stream(pair.now).value();
  pair.pump();
  pair.client.go_away(0);
  pair.pump();
  ASSERT_EQ(count(pair.server_events, Kind::go_away), 1u);
  EXPECT_EQ(pair.server_events.back().reason.code, Errc::closed);
  Result<StreamId> refused = pair.server.open_stream(pair.now);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::closed);
  EXPECT_FALSE(pair.client.open_stream(pair.now).ok());
  // Existing streams keep working.
  pair.server.write(id, as_bytes("bye"));
  pair.pump();
  EXPECT_EQ(read_all(pair.client, id, pair.now), to_bytes("bye"));
}

// Raw-frame tests against one session.
struct RawServer {
  YamuxSession session{false, quiet_config(), kStart};
  Status feed(const Bytes& bytes) { return session.on_bytes(bytes, kStart); }
  Bytes output() {
    Bytes out;
    session.take_output(out);
    return out;
  }
};

void expect_protocol_failure(RawServer& raw, Status status) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::protocol);
  EXPECT_TRUE(raw.session.failed());
  EXPECT_EQ(raw.output(), frame(YamuxType::go_away, 0, 0, 1));
  std::vector<YamuxEvent> events = drain_events(raw.session);
  EXPECT_EQ(count(events, Kind::session_error), 1u);
  // The failure sticks.
  EXPECT_FALSE(raw.feed(frame(YamuxType::ping, yamux_flag::syn, 0, 1)).ok());
}

TEST(YamuxRaw, DataOverWindowIsSessionError) {
  RawServer raw;
  ASSERT_TRUE(raw.feed(frame(YamuxType::window_update, yamux_flag::syn, 1, 0)).ok());
  Bytes data = frame(YamuxType::data, 0, 1, kYamuxSpecWindowBytes);
  append(data, Bytes(kYamuxSpecWindowBytes, 0xaa));
  ASSERT_TRUE(raw.feed(data).ok());  // exactly the window: fine
  EXPECT_EQ(raw.session.recv_buffered_bytes(), kYamuxSpecWindowBytes);
  drain_events(raw.session);
  expect_protocol_failure(raw, raw.feed(frame(YamuxType::data, 0, 1, 1)));
}

TEST(YamuxRaw, OversizedFirstFrameIsSessionErrorBeforeBuffering) {
  RawServer raw;
  expect_protocol_failure(raw, raw.feed(frame(YamuxType::data, yamux_flag::syn, 1, 0xffffffff)));
  EXPECT_EQ(raw.session.recv_buffered_bytes(), 0u);
}

TEST(YamuxRaw, WrongVersion) {
  RawServer raw;
  Bytes bad = frame(YamuxType::ping, yamux_flag::syn, 0, 1);
  bad[0] = 1;
  expect_protocol_failure(raw, raw.feed(bad));
}

TEST(YamuxRaw, UnknownTypeGarbage) {
  RawServer raw;
  expect_protocol_failure(raw, raw.feed(from_hex("00ff0000deadbeefdeadbeef").value()));
}

TEST(YamuxRaw, WrongParityAndReusedIds) {
  RawServer wrong_parity;  // a server's peer (client) must use odd ids
  expect_protocol_failure(
      wrong_parity, wrong_parity.feed(frame(YamuxType::window_update, yamux_flag::syn, 2, 0)));
  RawServer reused;
  ASSERT_TRUE(reused.feed(frame(YamuxType::window_update, yamux_flag::syn, 5, 0)).ok());
  drain_events(reused.session);
  expect_protocol_failure(reused,
                          reused.feed(frame(YamuxType::window_update, yamux_flag::syn, 3, 0)));
}

TEST(YamuxRaw, DataAfterFinIsSessionError) {
  RawServer raw;
  ASSERT_TRUE(
      raw.feed(frame(YamuxType::window_update, yamux_flag::syn | yamux_flag::fin, 1, 0)).ok());
  drain_events(raw.session);
  Bytes data = frame(YamuxType::data, 0, 1, 1);
  data.push_back(0);
  expect_protocol_failure(raw, raw.feed(data));
}

TEST(YamuxRaw, SessionFramesOnStreamsAndStreamFramesOnZero) {
  RawServer ping_on_stream;
  expect_protocol_failure(ping_on_stream,
                          ping_on_stream.feed(frame(YamuxType::ping, yamux_flag::syn, 1, 0)));
  RawServer data_on_zero;
  expect_protocol_failure(data_on_zero, data_on_zero.feed(frame(YamuxType::data, 0, 0, 0)));
}

TEST(YamuxRaw, WindowOverflowIsSessionError) {
  RawServer raw;
  ASSERT_TRUE(raw.feed(frame(YamuxType::window_update, yamux_flag::syn, 1, 0)).ok());
  drain_events(raw.session);
  expect_protocol_failure(raw, raw.feed(frame(YamuxType::window_update, 0, 1, 0xffffffff)));
}

TEST(YamuxRaw, AnswersPingAndIgnoresUnknownStreams) {
  RawServer raw;
  Bytes input = frame(YamuxType::ping, yamux_flag::syn, 0, 0xabcdef01);
  // Data for a stream that does not exist (e.g. already reset) is skipped, payload and all.
  append(input, frame(YamuxType::data, 0, 9, 3));
  append(input, as_bytes("xyz"));
  append(input, frame(YamuxType::window_update, yamux_flag::fin, 11, 100));
  ASSERT_TRUE(raw.feed(input).ok());
  EXPECT_EQ(raw.output(), frame(YamuxType::ping, yamux_flag::ack, 0, 0xabcdef01));
  EXPECT_EQ(raw.session.stream_count(), 0u);
  EXPECT_FALSE(raw.session.poll_event());
}

// Found by fuzz_yamux: a data frame for one of our stream ids we had not opened yet was skipped
// only until we opened that stream; the rest of its payload (up to 4 GiB claimed, never held to a
// window) then landed in the new stream.
TEST(YamuxRaw, DataForAStreamWeOpenMidFrameIsStillSkipped) {
  RawServer raw;
  Bytes head = frame(YamuxType::data, yamux_flag::fin, 2, 0xfff00000u);  // our parity, not open
  append(head, Bytes(1000, 0xaa));
  ASSERT_TRUE(raw.feed(head).ok());
  Result<StreamId> id = raw.session.open_stream(kStart);
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(*id, 2u);
  ASSERT_TRUE(raw.feed(Bytes(300000, 0xbb)).ok());
  EXPECT_EQ(raw.session.readable_bytes(2), 0u);
  EXPECT_EQ(raw.session.recv_buffered_bytes(), 0u);
  // The frame's FIN was not ours either: the stream we opened is still open both ways.
  EXPECT_FALSE(raw.session.failed());
  EXPECT_EQ(raw.session.write(2, as_bytes("hi")), 2u);
}

TEST(YamuxRaw, SynWithDataOneByteAtATime) {
  RawServer raw;
  Bytes input = frame(YamuxType::data, yamux_flag::syn, 1, 5);
  append(input, as_bytes("hello"));
  append(input, frame(YamuxType::go_away, 0, 0, 2));
  for (uint8_t b : input) ASSERT_TRUE(raw.session.on_bytes(BytesView(&b, 1), kStart).ok());
  std::vector<YamuxEvent> events = drain_events(raw.session);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, Kind::stream_opened);
  EXPECT_EQ(events[1].kind, Kind::stream_readable);
  EXPECT_EQ(events[2].kind, Kind::go_away);
  EXPECT_EQ(events[2].reason.code, Errc::internal);
  EXPECT_EQ(read_all(raw.session, 1, kStart), to_bytes("hello"));
}

// Backpressure: a writer can queue no more than output_bytes_max ahead of the runtime, whatever
// window the peer grants, and is told to go on once the runtime has taken the output.
TEST(YamuxPair, OutputBoundStopsWritesUntilTheRuntimeTakesTheOutput) {
  YamuxConfig small = quiet_config();
  small.output_bytes_max = 64 * 1024;
  Pair pair(SIZE_MAX, small, quiet_config());
  StreamId id = pair.client.open_stream(pair.now).value();
  pair.pump();
  Bytes sent = pattern(200 * 1024, 3);  // within the 256 KiB window, over the output bound
  size_t accepted = pair.client.write(id, sent);
  EXPECT_LE(accepted, small.output_bytes_max);
  EXPECT_GT(accepted, 0u);
  EXPECT_EQ(pair.client.write(id, BytesView(sent).subspan(accepted)), 0u);
  EXPECT_LE(pair.client.output_bytes(), small.output_bytes_max + 2 * kYamuxHeaderBytes);
  EXPECT_EQ(pair.client.output_stalls(), 2u);
  EXPECT_FALSE(pair.client.poll_event());  // nothing drained yet: no wake-up
  Bytes wire;
  pair.client.take_output(wire);
  std::vector<YamuxEvent> events = drain_events(pair.client);
  ASSERT_EQ(count(events, Kind::stream_writable), 1u);
  EXPECT_EQ(events[0].stream, id);
  accepted += pair.client.write(id, BytesView(sent).subspan(accepted));
  EXPECT_GT(accepted, small.output_bytes_max);
  ASSERT_TRUE(pair.server.on_bytes(wire, pair.now).ok());
  pair.pump();
  while (accepted < sent.size()) {
    accepted += pair.client.write(id, BytesView(sent).subspan(accepted));
    pair.pump();
  }
  EXPECT_EQ(read_all(pair.server, id, pair.now), sent);
}

// A peer may announce a window of almost 4 GiB: the credit is kept in full (a peer that updates
// only after half its window is consumed must not stall), but what is queued for it at once stays
// within output_bytes_max.
TEST(YamuxRaw, HugeSendWindowIsKeptButQueuesNoMoreThanTheOutputBound) {
  RawServer raw;
  ASSERT_TRUE(raw.feed(frame(YamuxType::window_update, yamux_flag::syn, 1, 0)).ok());
  drain_events(raw.session);
  ASSERT_TRUE(raw.feed(frame(YamuxType::window_update, 0, 1, 0xfff00000u)).ok());
  EXPECT_EQ(raw.session.send_window_bytes(1), uint64_t{kYamuxSpecWindowBytes} + 0xfff00000u);
  raw.output();
  Bytes big(8 * raw.session.config().output_bytes_max, 0x77);
  size_t accepted = raw.session.write(1, big);
  EXPECT_LE(accepted, raw.session.config().output_bytes_max);
  EXPECT_EQ(raw.session.write(1, BytesView(big).subspan(accepted)), 0u);
  EXPECT_LE(raw.session.output_bytes(),
            raw.session.config().output_bytes_max + 8 * kYamuxHeaderBytes);
  EXPECT_FALSE(raw.session.failed());
}

// A peer that floods pings and never reads the ACKs: the session owes at most
// control_frames_owed_max of them before it fails with a protocol error.
TEST(YamuxRaw, PingFloodWhoseAcksAreNeverReadFailsTheSession) {
  YamuxConfig config = quiet_config();
  config.control_frames_owed_max = 100;
  YamuxSession session(false, config, kStart);
  Bytes pings;
  for (uint32_t i = 0; i < 100; ++i) append(pings, frame(YamuxType::ping, yamux_flag::syn, 0, i));
  ASSERT_TRUE(session.on_bytes(pings, kStart).ok());  // exactly the bound: still fine
  EXPECT_FALSE(session.control_frames_overflowed());
  Status flooded = session.on_bytes(frame(YamuxType::ping, yamux_flag::syn, 0, 100), kStart);
  ASSERT_FALSE(flooded.ok());
  EXPECT_EQ(flooded.error().code, Errc::protocol);
  EXPECT_NE(flooded.error().message.find("control_frames_owed_max"), std::string::npos);
  EXPECT_TRUE(session.control_frames_overflowed());
  EXPECT_TRUE(session.failed());
  EXPECT_LE(session.output_bytes(), (config.control_frames_owed_max + 2) * kYamuxHeaderBytes);
}

TEST(YamuxRaw, PingsWhoseAcksAreTakenNeverFailTheSession) {
  YamuxConfig config = quiet_config();
  config.control_frames_owed_max = 100;
  YamuxSession session(false, config, kStart);
  Bytes sink;
  for (uint32_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(session.on_bytes(frame(YamuxType::ping, yamux_flag::syn, 0, i), kStart).ok());
    sink.clear();
    session.take_output(sink);
    ASSERT_EQ(sink, frame(YamuxType::ping, yamux_flag::ack, 0, i));
  }
  EXPECT_FALSE(session.failed());
}

}  // namespace
}  // namespace agora::yamux
