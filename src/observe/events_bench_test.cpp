// The flight recorder's memory under load (issue 13's benchmark), disabled in the normal run:
//   observe_tests --gtest_also_run_disabled_tests --gtest_filter='EventRecorderBench.*'
// A million events from every subsystem, each with a peer id, an address and a 100-byte detail,
// into the default recorder (4 rings of 4,096): the heap the recorder holds, from glibc's
// mallinfo2, must stay at what its rings can hold, however many events went through.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <string>

#include "observe/events.h"
#include "observe/spans.h"

namespace agora::observe {
namespace {

size_t heap_in_use() { return mallinfo2().uordblks; }

TEST(EventRecorderBench, DISABLED_MemoryStaysWithinTheRingsUnderAMillionEvents) {
  const EventType kinds[] = {EventType::connection_opened, EventType::connection_closed,
                             EventType::peer_discovered,   EventType::block_quarantined,
                             EventType::limit_hit,         EventType::dial_failed};
  size_t before = heap_in_use();
  size_t peak = 0;
  {
    EventRecorder recorder;  // the daemon's defaults
    for (int64_t i = 0; i < 1'000'000; ++i) {
      Event e;
      e.type = kinds[i % 6];
      e.wall_ns = 1'700'000'000'000'000'000 + i * 1000;
      e.peer = "12D3KooWPeerIdOfFiftyTwoCharactersLongForTheBench" + std::to_string(i % 1000);
      e.addr = "/ip4/203.0.113." + std::to_string(i % 250) + "/tcp/4001";
      e.reason = "reason-" + std::to_string(i % 7);
      e.detail = std::string(100, 'd');
      recorder.record(std::move(e));
      if (i % 100'000 == 99'999) peak = std::max(peak, heap_in_use() - before);
    }
    std::printf(
        "recorder: %zu events held of 4 x %zu, %llu dropped; heap held %.1f MiB at most "
        "(%.0f bytes per held event)\n",
        recorder.size(), recorder.capacity(), static_cast<unsigned long long>(recorder.dropped()),
        double(peak) / (1 << 20), double(peak) / double(recorder.size()));
    EXPECT_LE(recorder.size(), 4 * recorder.capacity());
    EXPECT_LT(peak, size_t(4 * recorder.capacity() * 1024));  // under 1 KiB per slot
  }
  std::printf("after the recorder is gone: %.1f MiB still held\n",
              double(heap_in_use() > before ? heap_in_use() - before : 0) / (1 << 20));
}

// The span recorder under the same kind of load: a million served spans from 10,000 peers (one
// of them flooding), each with a 100-byte detail, into the default ring of 16,384: the heap it
// holds stays at what the ring (and its per-peer index) can hold.
TEST(SpanRecorderBench, DISABLED_MemoryStaysWithinTheRingUnderAMillionSpans) {
  size_t before = heap_in_use();
  size_t peak = 0;
  {
    uint64_t counter = 0;
    SpanRecorder recorder(SpanRecorderConfig{}, [&counter](std::span<uint8_t> out) {
      for (uint8_t& b : out) b = uint8_t(++counter * 2654435761u >> 24);
    });
    for (int64_t i = 0; i < 1'000'000; ++i) {
      Span s;
      s.span_id = recorder.new_span_id();
      s.name = "served";
      s.inbound = true;
      // Half the spans come from one peer that floods; the rest from 10,000 others.
      s.peer = "12D3KooWPeerIdOfFiftyTwoCharactersLongForTheBench" +
               std::to_string(i % 2 == 0 ? 0 : 1 + i % 10'000);
      s.protocol = "/ipfs/kad/1.0.0";
      s.key = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
      s.detail = std::string(100, 'd');
      s.start_ns = 1'700'000'000'000'000'000 + i * 1000;
      s.end_ns = s.start_ns + 500;
      recorder.record(std::move(s));
      if (i % 100'000 == 99'999) peak = std::max(peak, heap_in_use() - before);
    }
    std::printf(
        "span recorder: %zu spans held of %zu, %llu dropped; heap held %.1f MiB at most "
        "(%.0f bytes per held span)\n",
        recorder.size(), SpanRecorderConfig{}.spans_max,
        static_cast<unsigned long long>(recorder.dropped()), double(peak) / (1 << 20),
        double(peak) / double(recorder.size()));
    EXPECT_LE(recorder.size(), SpanRecorderConfig{}.spans_max);
    EXPECT_LT(peak, SpanRecorderConfig{}.spans_max * 1024);  // under 1 KiB per slot
  }
  std::printf("after the span recorder is gone: %.1f MiB still held\n",
              double(heap_in_use() > before ? heap_in_use() - before : 0) / (1 << 20));
}

}  // namespace
}  // namespace agora::observe
