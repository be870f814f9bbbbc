// The node's table of running operations (include/agora/operations.h): each long call registers
// itself for as long as it runs, so it can be listed and cancelled by id. Thread-safe: calls run
// on their callers' threads. Bounded by the callers (the HTTP API's worker pools bound its own).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "agora/content_types.h"
#include "agora/operations.h"
#include "agora/result.h"

namespace agora {

class OperationTable {
 public:
  struct Entry {
    std::string kind;
    std::string target;
    std::chrono::steady_clock::time_point started;
    CancelToken cancel;
    std::atomic<uint64_t> bytes{0};
    std::mutex progress_mu;  // guards the three below
    std::string phase;
    uint64_t total_bytes = 0;
    std::vector<OperationSource> sources;
  };

  // Registered while it lives.
  class Scope {
   public:
    Scope(OperationTable& table, uint64_t id, std::shared_ptr<Entry> entry)
        : table_(table), id_(id), entry_(std::move(entry)) {}
    ~Scope() { table_.remove(id_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    void set_bytes(uint64_t bytes) { entry_->bytes.store(bytes); }
    // A get's progress: its phase, declared size and sources (bounded by its peers).
    void set_progress(const GetProgress& progress);
    const CancelToken& cancel() const { return entry_->cancel; }
    uint64_t id() const { return id_; }

   private:
    OperationTable& table_;
    uint64_t id_;
    std::shared_ptr<Entry> entry_;
  };

  std::unique_ptr<Scope> start(std::string kind, std::string target, CancelToken cancel);
  std::vector<OperationInfo> list() const;
  // Errc::not_found for an id that is not running.
  Status cancel(uint64_t id);

 private:
  void remove(uint64_t id);

  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Entry>> running_;
};

}  // namespace agora
