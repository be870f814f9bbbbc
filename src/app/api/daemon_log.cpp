#include "app/api/daemon_log.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "agora/events.h"

namespace agora {

namespace {

using spdlog::level::level_enum;

// ISO 8601 local time with its offset, then the level: sortable, and greppable by level.
constexpr const char* kTimePattern = "%Y-%m-%dT%H:%M:%S.%e%z";

// Under --json: one object per line, {"time", "level", "message"}, like the rest of the output.
class JsonLineFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    spdlog::memory_buf_t time;
    time_.format(msg, time);
    std::string line =
        nlohmann::json{{"time", std::string(time.data(), time.size())},
                       {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                             spdlog::level::to_string_view(msg.level).size())},
                       {"message", std::string(msg.payload.data(), msg.payload.size())}}
            .dump() +
        "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLineFormatter>();
  }

 private:
  spdlog::pattern_formatter time_{kTimePattern, spdlog::pattern_time_type::local, ""};
};

// How much an event matters to whoever reads the log (the header says why).
level_enum event_level(const std::string& type) {
  if (type == "block_quarantined" || type == "block_ref_broken") return level_enum::err;
  if (type == "limit_hit" || type == "peer_misbehaved" || type == "partial_output_removed" ||
      type == "trace_export_failed")
    return level_enum::warn;
  if (type == "reachability_changed") return level_enum::info;
  return level_enum::debug;
}

std::string event_text(const EventView& e) {
  std::string text = fmt::format("event #{} {}", e.seq, e.type);
  for (const std::string* part : {&e.direction, &e.peer, &e.addr})
    if (!part->empty()) text += " " + *part;
  if (!e.protocol.empty()) text += " protocol=" + e.protocol;
  if (!e.reason.empty()) text += " reason=" + e.reason;
  if (e.count > 1) text += fmt::format(" count={}", e.count);
  if (!e.detail.empty()) text += " (" + e.detail + ")";
  return text;
}

}  // namespace

Result<level_enum> parse_log_level(std::string_view name) {
  if (name == "debug") return level_enum::debug;
  if (name == "info") return level_enum::info;
  if (name == "warn" || name == "warning") return level_enum::warn;
  if (name == "error") return level_enum::err;
  return make_error(Errc::invalid_input,
                    "log level '" + std::string(name) + "': use debug, info, warn or error");
}

Result<std::unique_ptr<DaemonLog>> DaemonLog::open(level_enum level,
                                                   const std::filesystem::path& file, bool json) {
  spdlog::sink_ptr sink;
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), false);
    } catch (const spdlog::spdlog_ex& e) {
      return make_error(Errc::io, "cannot open the log file " + file.string() + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("agora", std::move(sink));
  if (json) {
    logger->set_formatter(std::make_unique<JsonLineFormatter>());
  } else {
    logger->set_pattern(std::string(kTimePattern) + " %l %v");
  }
  logger->set_level(level);
  logger->flush_on(level_enum::trace);  // every line reaches the file at once
  return std::unique_ptr<DaemonLog>(new DaemonLog(std::move(logger)));
}

DaemonLog::~DaemonLog() { stop_following(); }

std::pair<uint64_t, bool> DaemonLog::log_events(const nlohmann::json& answer, uint64_t since) {
  uint64_t missed = answer.value("missed", uint64_t(0));
  if (missed > 0)
    logger_->warn("{} events were dropped from the flight recorder before they were logged",
                  missed);
  for (const auto& j : answer.value("events", nlohmann::json::array())) {
    auto e = parse_event(j);
    if (!e) {
      logger_->error("unreadable event: {}", e.error().message);
      continue;
    }
    since = std::max(since, e->seq);
    auto when =
        spdlog::log_clock::time_point(std::chrono::duration_cast<spdlog::log_clock::duration>(
            std::chrono::nanoseconds(e->wall_ns)));
    logger_->log(when, spdlog::source_loc{}, event_level(e->type), event_text(*e));
  }
  return {since, answer.value("not_shown", uint64_t(0)) > 0};
}

void DaemonLog::follow_events(Node& node, std::chrono::milliseconds poll) {
  follower_ = std::thread([this, &node, poll] {
    uint64_t since = 0;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      auto [next, more] = log_events(node.events(since, 256), since);
      since = next;
      lock.lock();
      if (!more) wake_.wait_for(lock, poll, [this] { return stopping_; });
    }
  });
}

void DaemonLog::stop_following() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (follower_.joinable()) follower_.join();
  // The last events (a shutdown's closed connections) are logged by nobody: the node is stopping.
}

}  // namespace agora
