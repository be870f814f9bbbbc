#include "public/operations.h"

#include <map>

namespace agora {

std::unique_ptr<OperationTable::Scope> OperationTable::start(std::string kind, std::string target,
                                                             CancelToken cancel) {
  auto entry = std::make_shared<Entry>();
  entry->kind = std::move(kind);
  entry->target = std::move(target);
  entry->started = std::chrono::steady_clock::now();
  entry->cancel = std::move(cancel);
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  running_[id] = entry;
  return std::make_unique<Scope>(*this, id, std::move(entry));
}

std::vector<OperationInfo> OperationTable::list() const {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  std::vector<OperationInfo> out;
  for (const auto& [id, e] : running_) {
    OperationInfo info{id,
                       e->kind,
                       e->target,
                       std::chrono::duration<double>(now - e->started).count(),
                       e->bytes.load(),
                       e->cancel.cancelled()};
    std::lock_guard progress_lock(e->progress_mu);
    info.phase = e->phase;
    info.total_bytes = e->total_bytes;
    info.sources = e->sources;
    out.push_back(std::move(info));
  }
  return out;
}

void OperationTable::Scope::set_progress(const GetProgress& progress) {
  std::map<std::string, OperationSource> by_peer;  // every peer that sent or has a stream
  for (const auto& [peer, bytes] : progress.bytes_by_peer) by_peer[peer].bytes = bytes;
  for (const auto& [peer, rate] : progress.rate_by_peer) by_peer[peer].bytes_per_second = rate;
  for (const auto& [peer, choked] : progress.choked_by_peer) by_peer[peer].choked = choked;
  std::vector<OperationSource> sources;
  for (auto& [peer, source] : by_peer) {
    source.peer = peer;
    sources.push_back(std::move(source));
  }
  std::lock_guard lock(entry_->progress_mu);
  entry_->phase = progress.phase;
  entry_->total_bytes = progress.total_bytes;
  entry_->sources = std::move(sources);
}

Status OperationTable::cancel(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(id);
  if (it == running_.end())
    return make_error(Errc::not_found, "no running operation " + std::to_string(id));
  it->second->cancel.cancel();
  return {};
}

void OperationTable::remove(uint64_t id) {
  std::lock_guard lock(mu_);
  running_.erase(id);
}

}  // namespace agora
