// The OTLP export's pure parts (endpoint parsing, status lines, backoff, batching and drop
// accounting, the JSON), then the HTTP client and the exporter against a collector on a
// loopback socket in this process.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "observe/http_post.h"
#include "observe/otlp_exporter.h"
#include "observe/otlp_json.h"

namespace agora::observe {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

SpanRecorder recorder(size_t spans_max) {
  auto rng = std::make_shared<std::mt19937_64>(11);
  return SpanRecorder({.spans_max = spans_max}, [rng](std::span<uint8_t> out) {
    for (auto& b : out) b = uint8_t((*rng)());
  });
}

void record_n(SpanRecorder& r, int n, int64_t start = 0) {
  for (int i = 0; i < n; ++i) {
    Span s;
    s.trace_id = r.new_trace_id();
    s.span_id = r.new_span_id();
    s.name = "get";
    s.start_ns = start + i;
    s.end_ns = start + i + 1;
    r.record(s);
  }
}

TEST(OtlpEndpoint, TakesHttpWithAnIpOrLocalhostAPortAndAPath) {
  auto e = parse_http_endpoint("http://127.0.0.1:4318/v1/traces");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->family, AF_INET);
  EXPECT_EQ(e->address, "127.0.0.1");
  EXPECT_EQ(e->port, 4318);
  EXPECT_EQ(e->host, "127.0.0.1:4318");
  EXPECT_EQ(e->path, "/v1/traces");
  e = parse_http_endpoint("http://[::1]:80/");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->family, AF_INET6);
  EXPECT_EQ(e->address, "::1");
  EXPECT_EQ(e->host, "[::1]:80");
  e = parse_http_endpoint("http://LocalHost:65535/a?b=c");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->address, "127.0.0.1");
  EXPECT_EQ(e->host, "LocalHost:65535");
  EXPECT_EQ(e->path, "/a?b=c");
}

TEST(OtlpEndpoint, RefusesWhatItCannotReachSayingWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"https://127.0.0.1:4318/v1/traces", "no TLS"},
      {"ftp://127.0.0.1:4318/v1/traces", "must start with http://"},
      {"http://otel-collector:4318/v1/traces", "no DNS"},
      {"http://10.0.0.256:4318/v1/traces", "no DNS"},
      {"http://127.0.0.1/v1/traces", "needs a port"},
      {"http://127.0.0.1:/v1/traces", "needs a port"},
      {"http://127.0.0.1:0/v1/traces", "from 1 to 65535"},
      {"http://127.0.0.1:65536/v1/traces", "from 1 to 65535"},
      {"http://127.0.0.1:43x8/v1/traces", "a number"},
      {"http://127.0.0.1:4318", "needs a path"},
      {"http://user@127.0.0.1:4318/v1/traces", "user info"},
      {"http://[::1/v1/traces", "needs a ']'"},
      {"http://[::g]:4318/v1/traces", "not an IPv6 address"},
      {"http://127.0.0.1:4318/v1/tr aces", "printable ASCII"},
      {"http://127.0.0.1:4318/v1/traces#x", "printable ASCII"},
      {"", "must start with http://"},
  };
  for (const auto& [url, says] : cases) {
    auto e = parse_http_endpoint(url);
    ASSERT_FALSE(e) << url;
    EXPECT_EQ(e.error().code, Errc::invalid_input);
    EXPECT_NE(e.error().message.find(says), std::string::npos) << url << ": " << e.error().message;
  }
  EXPECT_FALSE(parse_http_endpoint("http://127.0.0.1:1/" + std::string(kHttpEndpointChars, 'a')));
}

TEST(OtlpExport, StatusLinesAndBackoff) {
  EXPECT_EQ(parse_status_line("HTTP/1.1 200 OK\r\n"), 200);
  EXPECT_EQ(parse_status_line("HTTP/1.0 503\r\n"), 503);
  EXPECT_FALSE(parse_status_line("HTTP/1.1 20"));
  EXPECT_FALSE(parse_status_line("HTTP/2 200 OK\r\n"));
  EXPECT_FALSE(parse_status_line("HTTP/1.1 2x0 OK\r\n"));
  EXPECT_FALSE(parse_status_line("SSH-2.0-OpenSSH\r\n"));
  EXPECT_EQ(export_delay(5000ms, 0, 60000ms), 5000ms);
  EXPECT_EQ(export_delay(5000ms, 1, 60000ms), 10000ms);
  EXPECT_EQ(export_delay(5000ms, 3, 60000ms), 40000ms);
  EXPECT_EQ(export_delay(5000ms, 4, 60000ms), 60000ms);
  EXPECT_EQ(export_delay(5000ms, 32, 60000ms), 60000ms);
  EXPECT_EQ(export_delay(120000ms, 2, 60000ms), 120000ms);  // never sooner than the interval
}

// Sends to a list; fails while `fail` is set.
struct FakeCollector {
  std::vector<size_t> posts;  // spans in each
  std::vector<int64_t> starts;
  bool fail = false;
  PostBatch post() {
    return [this](const std::vector<Span>& batch) {
      if (fail) return PostResult{.error = PostError{PostFailure::connect, "refused"}};
      posts.push_back(batch.size());
      for (const Span& s : batch) starts.push_back(s.start_ns);
      return PostResult{.status = 200};
    };
  }
};

TEST(OtlpExport, BatchesAtMostMaxAPostAndSendsEachSpanOnce) {
  auto r = recorder(2000);
  record_n(r, 1300);
  ExportCursor cursor(0);
  FakeCollector c;
  std::atomic<bool> stop{false};
  ExportRound round = export_pending(r, cursor, 512, c.post(), stop);
  EXPECT_EQ(c.posts, (std::vector<size_t>{512, 512, 276}));
  EXPECT_EQ(round.spans_sent, 1300u);
  EXPECT_EQ(round.dropped, 0u);
  EXPECT_FALSE(round.failure);
  EXPECT_EQ(cursor.position(), 1300u);
  for (size_t i = 0; i < c.starts.size(); ++i) ASSERT_EQ(c.starts[i], int64_t(i));
  round = export_pending(r, cursor, 512, c.post(), stop);  // nothing new: no POST
  EXPECT_EQ(round.posts, 0u);
  record_n(r, 3, 1300);
  round = export_pending(r, cursor, 512, c.post(), stop);
  EXPECT_EQ(round.spans_sent, 3u);
  EXPECT_EQ(c.posts.back(), 3u);
  EXPECT_EQ(c.starts.back(), 1302);
}

TEST(OtlpExport, WhatTheRingOverwroteBeforeItWasSentIsCountedOnce) {
  auto r = recorder(100);
  ExportCursor cursor(0);
  FakeCollector c;
  std::atomic<bool> stop{false};
  uint64_t sent = 0, dropped = 0;
  auto run = [&] {
    ExportRound round = export_pending(r, cursor, 40, c.post(), stop);
    sent += round.spans_sent;
    dropped += round.dropped;
    return round;
  };
  record_n(r, 50);
  run();
  EXPECT_EQ(sent, 50u);
  record_n(r, 250, 50);  // 300 recorded, the ring holds the last 100: 150 unsent are gone
  run();
  EXPECT_EQ(sent, 150u);
  EXPECT_EQ(dropped, 150u);
  EXPECT_EQ(c.starts.back(), 299);
  // The collector is down: nothing sent, and the spans still held wait for it.
  c.fail = true;
  record_n(r, 30, 300);
  ExportRound failed = run();
  ASSERT_TRUE(failed.failure);
  EXPECT_EQ(failed.failure->reason, PostFailure::connect);
  EXPECT_EQ(sent, 150u);
  EXPECT_EQ(dropped, 150u);
  record_n(r, 100, 330);  // 130 unsent; the ring keeps 100: 300..329 are gone
  run();                  // fails again: the 30 before the first held span are counted now
  EXPECT_EQ(dropped, 180u);
  run();
  EXPECT_EQ(dropped, 180u);  // not counted twice
  c.fail = false;
  run();
  EXPECT_EQ(sent, 250u);
  EXPECT_EQ(sent + dropped, r.recorded());
  EXPECT_EQ(c.starts.back(), 429);
}

TEST(OtlpExport, SpansBecomeOneResourceOfThisNode) {
  auto r = recorder(10);
  Span op;
  op.trace_id = r.new_trace_id();
  op.span_id = r.new_span_id();
  op.name = "get";
  op.start_ns = 1'700'000'000'000'000'000;
  op.end_ns = op.start_ns + 5;
  Span served;  // a standard protocol's: no trace id, a reset stream
  served.span_id = *id_from_hex<8>("00f067aa0ba902b7");
  served.name = "served";
  served.peer = "12D3KooWpeer";
  served.inbound = true;
  served.protocol = "/ipfs/kad/1.0.0";
  served.outcome = "reset";
  json body = json::parse(otlp_export_body("12D3KooWself", {op, served}));
  ASSERT_EQ(body["resourceSpans"].size(), 1u);
  const json& rs = body["resourceSpans"][0];
  json attrs = rs["resource"]["attributes"];
  EXPECT_EQ(attrs[0]["key"], "service.name");
  EXPECT_EQ(attrs[0]["value"]["stringValue"], "agora");
  EXPECT_EQ(attrs[1]["key"], "service.instance.id");
  EXPECT_EQ(attrs[1]["value"]["stringValue"], "12D3KooWself");
  const json& spans = rs["scopeSpans"][0]["spans"];
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0]["traceId"], to_hex(op.trace_id));
  EXPECT_EQ(spans[0]["spanId"], to_hex(op.span_id));
  EXPECT_EQ(spans[0]["parentSpanId"], "");
  EXPECT_EQ(spans[0]["kind"], 1);
  EXPECT_EQ(spans[0]["startTimeUnixNano"], "1700000000000000000");
  EXPECT_EQ(spans[0]["endTimeUnixNano"], "1700000000000000005");
  EXPECT_EQ(spans[0]["status"]["code"], 1);
  EXPECT_EQ(spans[1]["traceId"], "000000000000000000f067aa0ba902b7");
  EXPECT_EQ(spans[1]["kind"], 2);
  EXPECT_EQ(spans[1]["name"], "served /ipfs/kad/1.0.0");
  EXPECT_EQ(spans[1]["status"]["code"], 0);
}

// A collector on 127.0.0.1: answers each connection with `answer` (none: keeps it silent),
// keeping each request it read.
class LoopbackCollector {
 public:
  explicit LoopbackCollector(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackCollector() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  HttpEndpoint endpoint() const {
    return *parse_http_endpoint("http://127.0.0.1:" + std::to_string(port_) + "/v1/traces");
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[65536];
      for (;;) {  // the head, then Content-Length bytes
        size_t head = request.find("\r\n\r\n");
        if (head != std::string::npos) {
          size_t at = request.find("Content-Length: ");
          size_t length = at == std::string::npos ? 0 : std::stoul(request.substr(at + 16));
          if (request.size() >= head + 4 + length) break;
        }
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, size_t(n));
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(request);
      }
      if (!answer_.empty()) (void)::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
      if (answer_.empty()) std::this_thread::sleep_for(1500ms);
      ::close(c);
    }
  }

  std::string answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

TEST(HttpPost, PostsJsonAndReadsTheStatus) {
  LoopbackCollector ok("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  PostResult r = http_post(ok.endpoint(), "application/json", "{\"a\":1}", PostLimits{});
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.status, 200);
  auto got = ok.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].rfind("POST /v1/traces HTTP/1.1\r\n", 0), 0u) << got[0];
  EXPECT_NE(got[0].find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(got[0].find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(got[0].substr(got[0].size() - 7), "{\"a\":1}");

  LoopbackCollector busy("HTTP/1.1 503 Service Unavailable\r\n\r\n");
  r = http_post(busy.endpoint(), "application/json", "{}", PostLimits{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, PostFailure::http_status);
  EXPECT_EQ(r.status, 503);

  LoopbackCollector garbage(std::string(100 << 10, 'x'));  // past the 64 KiB read, not HTTP
  r = http_post(garbage.endpoint(), "application/json", "{}", PostLimits{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, PostFailure::io);
}

TEST(HttpPost, FailsFastOnARefusalAndWithinTheTimeoutOnSilence) {
  HttpEndpoint closed;
  {
    LoopbackCollector gone("HTTP/1.1 200 OK\r\n\r\n");
    closed = gone.endpoint();
  }
  PostResult r = http_post(closed, "application/json", "{}", PostLimits{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, PostFailure::connect) << r.error->message;

  LoopbackCollector silent("");
  auto start = std::chrono::steady_clock::now();
  r = http_post(silent.endpoint(), "application/json", "{}", PostLimits{.timeout = 300ms});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, PostFailure::timeout);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1000ms);

  std::atomic<bool> stop{true};  // shutting down: gives up at once
  r = http_post(silent.endpoint(), "application/json", "{}", PostLimits{}, &stop);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, PostFailure::cancelled);
}

TEST(OtlpExporter, ExportsOnItsThreadCountsFailuresAndStops) {
  auto r = recorder(100);
  Registry metrics;
  EventRecorder events;
  auto collector = std::make_unique<LoopbackCollector>("HTTP/1.1 200 OK\r\n\r\n");
  OtlpExporter exporter(
      {.endpoint = collector->endpoint(), .node = "12D3KooWself", .interval = 100ms}, r, metrics,
      events);
  record_n(r, 3);  // after the exporter was made: exported
  exporter.start();
  auto& sent = metrics.counter("agora_trace_export_spans_total", "");
  for (int i = 0; i < 50 && sent.value() < 3; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sent.value(), 3u);
  auto requests = collector->requests();
  ASSERT_EQ(requests.size(), 1u);
  json body = json::parse(requests[0].substr(requests[0].find("\r\n\r\n") + 4));
  EXPECT_EQ(body["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 3u);

  collector.reset();  // the collector goes away
  record_n(r, 2, 10);
  auto& refused = metrics.counter("agora_trace_export_failures_total", "", {{"reason", "connect"}});
  for (int i = 0; i < 50 && refused.value() == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_GE(refused.value(), 1u);
  auto page = events.read(std::nullopt, 10, wall_clock_ns());
  ASSERT_EQ(page.events.size(), 1u);  // one event however many failures follow
  EXPECT_EQ(page.events[0].type, EventType::trace_export_failed);
  EXPECT_EQ(page.events[0].reason, "connect");
  auto start = std::chrono::steady_clock::now();
  exporter.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_EQ(sent.value(), 3u);
}

TEST(OtlpExporter, SendsWhatIsLeftWhenItStops) {
  auto r = recorder(100);
  Registry metrics;
  EventRecorder events;
  LoopbackCollector collector("HTTP/1.1 200 OK\r\n\r\n");
  OtlpExporter exporter({.endpoint = collector.endpoint(), .node = "12D3KooWself", .interval = 1h},
                        r, metrics, events);
  exporter.start();
  record_n(r, 4);  // no export is due for an hour: only the stop sends them
  auto start = std::chrono::steady_clock::now();
  exporter.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(metrics.counter("agora_trace_export_spans_total", "").value(), 4u);
  auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1u);
  json body = json::parse(requests[0].substr(requests[0].find("\r\n\r\n") + 4));
  EXPECT_EQ(body["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 4u);
}

}  // namespace
}  // namespace agora::observe
