#include "observe/spans.h"

#include <gtest/gtest.h>

#include <random>

namespace agora::observe {
namespace {

SpanRecorder recorder(size_t spans_max = 16, size_t served_per_peer_max = 1024) {
  auto rng = std::make_shared<std::mt19937_64>(7);
  return SpanRecorder(
      {.spans_max = spans_max, .active_max = 2, .served_per_peer_max = served_per_peer_max},
      [rng](std::span<uint8_t> out) {
        for (auto& b : out) b = uint8_t((*rng)());
      });
}

Span served(const std::string& peer, int64_t start, int64_t end, const std::string& key = "") {
  Span s;
  s.name = "served";
  s.peer = peer;
  s.inbound = true;
  s.key = key;
  s.start_ns = start;
  s.end_ns = end;
  return s;
}

TEST(TraceContext, TraceparentRoundTripsAndRejectsMalformedHeaders) {
  TraceContext c{*id_from_hex<16>("4bf92f3577b34da6a3ce929d0e0e4736"),
                 *id_from_hex<8>("00f067aa0ba902b7")};
  EXPECT_EQ(to_traceparent(c), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(parse_traceparent(to_traceparent(c)), c);
  EXPECT_EQ(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"), c);
  for (const char* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                          "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    EXPECT_FALSE(parse_traceparent(bad)) << bad;
  // A later version may add fields after the four W3C defines.
  EXPECT_TRUE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-zz"));
}

TEST(SpanRecorder, TheRingIsBoundedAndCountsWhatItOverwrites) {
  auto r = recorder(4);
  TraceId t = r.new_trace_id();
  for (int i = 0; i < 10; ++i) {
    Span s;
    s.trace_id = t;
    s.span_id = r.new_span_id();
    s.start_ns = i;
    r.record(s);
  }
  EXPECT_EQ(r.size(), 4u);
  EXPECT_EQ(r.dropped(), 6u);
  auto spans = r.trace(t);
  ASSERT_EQ(spans.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(spans[size_t(i)].start_ns, 6 + i);  // oldest first
}

TEST(SpanRecorder, APeerThatFloodsEvictsOnlyItsOwnServedSpans) {
  auto r = recorder(8, 3);
  TraceId t = r.new_trace_id();
  Span op;  // an operation here, recorded before the flood
  op.trace_id = t;
  op.span_id = r.new_span_id();
  op.name = "get";
  r.record(op);
  r.record(served("bob", 1, 2, "bafyB"));
  r.record(served("bob", 3, 4, "bafyB"));
  for (int i = 0; i < 100; ++i) r.record(served("mallory", 10 + i, 11 + i));
  EXPECT_EQ(r.size(), 6u);  // the operation, bob's 2, mallory's newest 3
  EXPECT_EQ(r.dropped(), 97u);
  EXPECT_EQ(r.trace(t).size(), 1u);
  bool truncated = false;
  auto bobs = r.served_to({.requester = "bob", .from_ns = 0, .to_ns = 1000}, truncated);
  ASSERT_EQ(bobs.size(), 2u);
  EXPECT_EQ(bobs[0].start_ns, 1);
  auto mallorys = r.served_to({.requester = "mallory", .from_ns = 0, .to_ns = 1000}, truncated);
  ASSERT_EQ(mallorys.size(), 3u);
  EXPECT_EQ(mallorys[0].start_ns, 107);  // her newest, oldest first
  EXPECT_EQ(mallorys[2].start_ns, 109);
  // The ring's own bound still holds, oldest first, whoever recorded it.
  for (int i = 0; i < 8; ++i) r.record(served("peer" + std::to_string(i), 200 + i, 201 + i));
  EXPECT_EQ(r.size(), 8u);
  EXPECT_TRUE(r.trace(t).empty());
  EXPECT_TRUE(r.served_to({.requester = "bob", .from_ns = 0, .to_ns = 1000}, truncated).empty());
}

TEST(SpanRecorder, SinceReadsInOrderAndCountsWhatIsGone) {
  auto r = recorder(4, 2);
  for (int i = 0; i < 3; ++i) r.record(served("p" + std::to_string(i), i, i + 1));
  SpanBatch b = r.since(0, 2);
  ASSERT_EQ(b.spans.size(), 2u);
  EXPECT_EQ(b.first, 0u);
  EXPECT_EQ(b.next, 2u);
  EXPECT_EQ(b.missed, 0u);
  b = r.since(b.next, 2);
  ASSERT_EQ(b.spans.size(), 1u);
  EXPECT_EQ(b.spans[0].start_ns, 2);
  EXPECT_EQ(b.next, 3u);
  EXPECT_EQ(r.since(3, 2).spans.size(), 0u);
  EXPECT_EQ(r.since(3, 2).next, 3u);
  // Seq 3..8: the ring keeps 4, so 0..4 are gone; a read from 1 misses 1..4.
  for (int i = 3; i < 9; ++i) r.record(served("p" + std::to_string(i), i, i + 1));
  b = r.since(1, 10);
  EXPECT_EQ(b.first, 5u);
  EXPECT_EQ(b.next, 9u);
  EXPECT_EQ(b.spans.size(), 4u);
  EXPECT_EQ(b.missed, 4u);
  // A hole in the middle: q's third served span evicts its first (seq 9), not the oldest.
  for (int i = 0; i < 3; ++i) r.record(served("q", 100 + i, 101 + i));  // seqs 9, 10, 11
  EXPECT_EQ(r.recorded(), 12u);
  b = r.since(9, 10);
  ASSERT_EQ(b.spans.size(), 2u);
  EXPECT_EQ(b.first, 10u);
  EXPECT_EQ(b.missed, 1u);
  b = r.since(7, 2);  // 7, 8 held; the read stops at the next held span, 10
  EXPECT_EQ(b.next, 10u);
  EXPECT_EQ(b.missed, 1u);  // 9
}

TEST(SpanRecorder, ServedSpansAreAnsweredOnlyToTheirRequester) {
  auto r = recorder();
  r.record(served("alice", 100, 200, "bafyA"));
  r.record(served("bob", 100, 200, "bafyA"));
  r.record(served("alice", 500, 600, "bafyB"));
  Span traced = served("alice", 150, 160);
  traced.trace_id = r.new_trace_id();
  traced.span_id = r.new_span_id();
  r.record(traced);
  Span other_trace = traced;
  other_trace.trace_id = r.new_trace_id();
  r.record(other_trace);

  bool truncated = false;
  ServedQuery q{.requester = "alice",
                .trace_id = traced.trace_id,
                .keys = {"bafyA"},
                .from_ns = 0,
                .to_ns = 300};
  auto got = r.served_to(q, truncated);
  ASSERT_EQ(got.size(), 2u);  // alice's bafyA request, and her span of this trace
  EXPECT_EQ(got[0].key, "bafyA");
  EXPECT_EQ(got[1].trace_id, traced.trace_id);
  EXPECT_FALSE(truncated);
  // Bob's requests are never answered to alice, whatever she asks.
  q.keys.clear();
  q.to_ns = 1000;
  for (const Span& s : r.served_to(q, truncated)) EXPECT_EQ(s.peer, "alice");
  // Outside the window: only her span of the trace (its id needs no window: the clocks may
  // disagree by more than the window's margin).
  q.from_ns = 700;
  auto outside = r.served_to(q, truncated);
  ASSERT_EQ(outside.size(), 1u);
  EXPECT_EQ(outside[0].trace_id, traced.trace_id);
  // At most q.max, and it says so.
  q.from_ns = 0;
  q.max = 1;
  EXPECT_EQ(r.served_to(q, truncated).size(), 1u);
  EXPECT_TRUE(truncated);
}

TEST(SpanRecorder, RecentRootsAreTheTopSpansOfEachTraceNewestFirst) {
  auto r = recorder();
  for (int i = 0; i < 3; ++i) {
    TraceId t = r.new_trace_id();
    Span root;
    root.trace_id = t;
    root.span_id = r.new_span_id();
    root.parent_span_id = r.new_span_id();  // the CLI's, not recorded here
    root.name = "get";
    root.start_ns = i;
    Span child = root;
    child.parent_span_id = root.span_id;
    child.span_id = r.new_span_id();
    child.name = "stream";
    r.record(child);
    r.record(root);
  }
  r.record(served("x", 1, 2));
  auto roots = r.recent_roots(2);
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[0].name, "get");
  EXPECT_EQ(roots[0].start_ns, 2);
  EXPECT_EQ(roots[1].start_ns, 1);
}

TEST(SpanRecorder, ActiveTracesAreBoundedAndEndOnlyTheirOwnContext) {
  auto r = recorder();
  TraceContext a{r.new_trace_id(), r.new_span_id()}, b{r.new_trace_id(), r.new_span_id()};
  EXPECT_TRUE(r.activate({1}, a));
  EXPECT_TRUE(r.activate({2}, b));
  EXPECT_FALSE(r.activate({3}, a));  // active_max 2
  EXPECT_EQ(r.context_for(Bytes{1}), a);
  r.deactivate({1}, b);  // another operation's end does not end this one
  EXPECT_EQ(r.context_for(Bytes{1}), a);
  r.deactivate({1}, a);
  EXPECT_FALSE(r.context_for(Bytes{1}));
}

TEST(SpanRecorder, StringsAreKeptValidUtf8WithoutControls) {
  auto r = recorder();
  Span s = served("p", 1, 2, "caf\xc3\xa9");
  s.trace_id = r.new_trace_id();
  s.detail = "bad \xff\xfe byte, \x1b[31mescape\n, cut \xe2\x82";
  r.record(s);
  auto got = r.trace(s.trace_id);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].key, "caf\xc3\xa9");  // valid UTF-8 stays
  EXPECT_EQ(got[0].detail, "bad ?? byte, ?[31mescape?, cut ??");
  EXPECT_NO_THROW((void)to_json(got[0]).dump());
}

TEST(SpanRecorder, JsonLeavesOutZeroIds) {
  Span s = served("p", 1, 2, "k");
  auto j = to_json(s);
  EXPECT_FALSE(j.contains("trace_id"));
  EXPECT_FALSE(j.contains("parent_span_id"));
  EXPECT_EQ(j["direction"], "inbound");
  s.trace_id[0] = 0xab;
  EXPECT_EQ(to_json(s)["trace_id"], "ab000000000000000000000000000000");
}

}  // namespace
}  // namespace agora::observe
