#include "public/operations.h"

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
  for (const auto& [id, e] : running_)
    out.push_back({id, e->kind, e->target, std::chrono::duration<double>(now - e->started).count(),
                   e->bytes.load(), e->cancel.cancelled()});
  return out;
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
