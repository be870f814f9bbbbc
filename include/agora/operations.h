// Long operations of agora::Node (get, cat, ls, pin add, add, fetch) and how to stop them.
//
// Each such call takes a CancelToken. Cancelling it, from any thread, stops the operation at its
// next step (within a fraction of a second while it waits on the network) and the call returns
// Errc::cancelled. What a cancelled operation leaves: blocks already fetched stay stored (a later
// get resumes from them); nothing at a get's destination (the hidden temporary is removed); no
// pin for an add or a pin add. The node also lists its running operations with an id each
// (Node::operations), and Node::cancel_operation(id) cancels one: `agora ops ls` and
// `agora ops cancel <id>`. An HTTP client that goes away cancels its operation the same way.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agora {

// Copies share one flag.
class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const { flag_->store(true); }
  bool cancelled() const { return flag_->load(); }
  // For the node's own loop, which looks at the flag while it waits.
  std::shared_ptr<const std::atomic<bool>> flag() const { return flag_; }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

// What one peer has given a get or pin add so far.
struct OperationSource {
  std::string peer;
  uint64_t bytes = 0;             // of the blocks it sent
  uint64_t bytes_per_second = 0;  // lately (over /agora/xfer; 0 over bitswap)
  std::optional<bool> choked;     // over /agora/xfer: whether it chokes us now
};

struct OperationInfo {
  uint64_t id = 0;
  std::string kind;    // get, cat, ls, pin_add, add, fetch
  std::string target;  // the content path, or the local path added
  double seconds = 0;  // running for
  uint64_t bytes = 0;  // moved so far: fetched, read or imported
  bool cancelling = false;
  // A get or pin add: its phase (resolving, fetching, writing), the bytes the content declares
  // (0 until known) and each peer that sent blocks or that the download has a stream to.
  std::string phase;
  uint64_t total_bytes = 0;
  std::vector<OperationSource> sources;
};

}  // namespace agora
