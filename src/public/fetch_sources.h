// Block sources over the node's blockstore for reads that fetch only what they need:
// - LocalBlocks reads stored blocks and notes the first one missing (the caller fetches it and
//   runs the read again: a path is resolved block by block);
// - ArrivingBlocks waits for blocks a fetch running beside it is storing, so a file is read in
//   order while its DAG arrives (agora cat).
// Both end with Errc::cancelled once their CancelToken is set, so a cancelled read, listing or
// export stops at its next block.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

#include "agora/operations.h"
#include "store/blockstore.h"
#include "unixfs/block_sink.h"

namespace agora {

inline Error cancelled_error() { return make_error(Errc::cancelled, "cancelled"); }

class LocalBlocks : public unixfs::BlockSource {
 public:
  LocalBlocks(store::Blockstore& blocks, CancelToken cancel)
      : blocks_(blocks), cancel_(std::move(cancel)) {}
  Result<Bytes> get(const Cid& cid) override {
    if (cancel_.cancelled()) return cancelled_error();
    auto block = blocks_.get(cid);
    if (!block && block.error().code == Errc::not_found && !missing_) missing_ = cid;
    return block;
  }
  const std::optional<Cid>& missing() const { return missing_; }

 private:
  store::Blockstore& blocks_;
  CancelToken cancel_;
  std::optional<Cid> missing_;
};

// How a fetch running on the loop tells a reader that more blocks are stored, or that it ended.
struct FetchSignal {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Status result;
  void notify() { cv.notify_all(); }
  void finish(Status st) {
    std::lock_guard lock(mu);
    done = true;
    result = std::move(st);
    cv.notify_all();
  }
};

class ArrivingBlocks : public unixfs::BlockSource {
 public:
  ArrivingBlocks(store::Blockstore& blocks, FetchSignal& signal, CancelToken cancel)
      : blocks_(blocks), signal_(signal), cancel_(std::move(cancel)) {}
  Result<Bytes> get(const Cid& cid) override {
    for (;;) {
      if (cancel_.cancelled()) return cancelled_error();
      bool done = false;
      Status result;
      {
        std::lock_guard lock(signal_.mu);
        done = signal_.done;
        result = signal_.result;
      }
      // Looked up after reading `done`: a fetch that ended had committed its last blocks.
      auto block = blocks_.get(cid);
      if (block || block.error().code != Errc::not_found) return block;
      // The fetch ended without it: its error says why; a fetch that succeeded means the block
      // is not part of the DAG it fetched.
      if (done) return result ? std::move(block) : Result<Bytes>(result.error());
      // Woken by the fetch's progress (it commits blocks in batches); the timeout re-checks
      // the cancel flag.
      std::unique_lock lock(signal_.mu);
      if (!signal_.done) signal_.cv.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

 private:
  store::Blockstore& blocks_;
  FetchSignal& signal_;
  CancelToken cancel_;
};

}  // namespace agora
