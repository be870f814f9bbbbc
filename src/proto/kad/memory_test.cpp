// Per-node memory, measured by counting live heap bytes: the simulator runs up to 100,000 Kad
// cores in one process, so idle cores must stay small and drained queues must give memory back.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

#include "proto/kad/test_util.h"

namespace {
std::atomic<long long> g_live_bytes{0};
constexpr size_t kHeader = alignof(std::max_align_t);
}  // namespace

// Counting replacements for the global allocation functions of this test binary.
void* operator new(size_t n) {
  void* p = std::malloc(n + kHeader);
  if (p == nullptr) throw std::bad_alloc();
  *static_cast<size_t*>(p) = n;
  g_live_bytes += static_cast<long long>(n);
  return static_cast<char*>(p) + kHeader;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  char* block = static_cast<char*>(p) - kHeader;
  g_live_bytes -= static_cast<long long>(*reinterpret_cast<size_t*>(block));
  std::free(block);
}
void operator delete(void* p, size_t) noexcept { operator delete(p); }
// Every form that can pair with the delete above must allocate through the new above: a sanitizer
// runtime supplies its own for the forms left out, and std::stable_sort's temporary buffer comes
// from the nothrow one.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return operator new(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p, const std::nothrow_t&) noexcept { operator delete(p); }
void* operator new[](size_t n) { return operator new(n); }
void* operator new[](size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, size_t) noexcept { operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { operator delete(p); }

namespace agora::kad {
namespace {

TEST(KadMemory, CoresStayCompact) {
  constexpr size_t kCores = 100;
  std::vector<PeerInfo> peers;
  for (uint64_t j = 0; j < 4000; ++j) peers.push_back(test::info(test::peer(100000 + j)));

  const long long before = g_live_bytes.load();
  std::vector<std::unique_ptr<Kad>> cores;
  for (size_t i = 0; i < kCores; ++i) cores.push_back(std::make_unique<Kad>(test::peer(i)));
  const double idle = double(g_live_bytes.load() - before) / kCores;
  EXPECT_LT(idle, 1536.0) << "an idle core: the object and its id, nothing preallocated";

  // Each core is offered 4,000 servers, as in a large network: full low buckets, replacements.
  for (size_t i = 0; i < kCores; ++i) {
    for (uint64_t j = 0; j < peers.size(); ++j)
      cores[i]->on_peer_connected(peers[(j * 7 + i * 13) % peers.size()], true, Direction::outbound,
                                  test::kT0 + seconds(int64_t(j)));
    while (cores[i]->poll_outbound()) {
    }
    while (cores[i]->poll_event()) {
    }
  }
  size_t entries = 0;
  for (const auto& c : cores) entries += c->routing_table().size();
  const double per_core = double(g_live_bytes.load() - before) / kCores;
  std::printf("idle core %.0f B, core with %.0f routing entries %.0f B\n", idle,
              double(entries) / kCores, per_core);
  EXPECT_GT(double(entries) / kCores, 150.0);
  // ~170 entries plus replacements and a few outstanding liveness checks.
  EXPECT_LT(per_core, 40.0 * 1024);
}

}  // namespace
}  // namespace agora::kad
