// The loop bridge: a full mailbox overwrites its newest item instead of growing or blocking the
// loop, and stream_from_loop hands reports to the calling thread, never to the loop's.
#include "public/loop_bridge.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace agora {
namespace {

TEST(Mailbox, FullOverwritesTheNewestAndDrainsInOrder) {
  Mailbox<int> box(3);
  for (int i = 1; i <= 5; ++i) box.push(i);
  box.close();
  std::vector<int> seen;
  box.drain([&](const int& i) { seen.push_back(i); });
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 5}));  // 3 and 4 were overwritten by the newest
  EXPECT_EQ(box.overwritten(), 2u);
}

TEST(LoopBridge, StreamHandsReportsToTheCallingThread) {
  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  std::thread::id loop_id = loop.get_id();

  using Box = std::shared_ptr<Mailbox<int>>;
  std::vector<int> reports;
  std::vector<std::thread::id> report_threads;
  std::function<void(const int&)> consume = [&](const int& i) {
    reports.push_back(i);
    report_threads.push_back(std::this_thread::get_id());
  };
  auto result = stream_from_loop<Result<int>, int>(
      io, 16,
      [&loop_id](Box box) -> rt::awaitable<Result<int>> {
        if (std::this_thread::get_id() != loop_id)
          co_return make_error(Errc::internal, "not on the loop");
        for (int i = 0; i < 3; ++i) box->push(i);
        co_return 42;
      },
      consume);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(reports, (std::vector<int>{0, 1, 2}));
  for (auto id : report_threads) EXPECT_EQ(id, std::this_thread::get_id());

  int on_loop = run_on_loop<int>(io, [&loop_id] { return std::this_thread::get_id() == loop_id; });
  EXPECT_EQ(on_loop, 1);
  work.reset();
  io.stop();
  loop.join();
}

}  // namespace
}  // namespace agora
