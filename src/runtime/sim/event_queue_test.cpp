#include "runtime/sim/event_queue.h"

#include <gtest/gtest.h>

namespace agora::sim {
namespace {

using namespace std::chrono_literals;

TEST(EventQueue, PopsInTimeOrderAndTiesInScheduleOrder) {
  EventQueue<int> q;
  q.schedule(Instant(5s), 1);
  q.schedule(Instant(1s), 2);
  q.schedule(Instant(5s), 3);
  q.schedule(Instant(1s), 4);
  std::vector<int> order;
  std::vector<Instant> times;
  while (auto e = q.pop()) {
    order.push_back(e->payload);
    times.push_back(q.now());
  }
  EXPECT_EQ(order, (std::vector<int>{2, 4, 1, 3}));
  EXPECT_EQ(times.front(), Instant(1s));
  EXPECT_EQ(times.back(), Instant(5s));
  EXPECT_TRUE(q.empty());
}

TEST(EventQueue, PastTimesAreClampedToNow) {
  EventQueue<int> q;
  q.schedule(Instant(10s), 1);
  ASSERT_TRUE(q.pop());
  q.schedule(Instant(3s), 2);  // in the past: runs now, never moves the clock back
  auto e = q.pop();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at, Instant(10s));
  EXPECT_EQ(q.now(), Instant(10s));
}

TEST(EventQueue, ScheduleAfterIsRelativeToNow) {
  EventQueue<int> q;
  q.schedule(Instant(2s), 1);
  ASSERT_TRUE(q.pop());
  q.schedule_after(500ms, 2);
  EXPECT_EQ(q.next_time(), Instant(2500ms));
  q.advance_to(Instant(2200ms));
  EXPECT_EQ(q.now(), Instant(2200ms));
  EXPECT_EQ(q.scheduled_total(), 2u);
}

}  // namespace
}  // namespace agora::sim
