#include "observe/otlp_exporter.h"

#include <algorithm>

#include "observe/otlp_json.h"

namespace agora::observe {

std::chrono::milliseconds export_delay(std::chrono::milliseconds interval, uint32_t failures,
                                       std::chrono::milliseconds backoff_max) {
  const std::chrono::milliseconds cap = std::max(interval, backoff_max);
  std::chrono::milliseconds delay = interval;
  for (uint32_t i = 0; i < failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

uint64_t ExportCursor::sent(const SpanBatch& batch) {
  position_ = batch.next;
  return batch.missed;
}

uint64_t ExportCursor::failed(const SpanBatch& batch) {
  const uint64_t dropped = batch.first - std::min(batch.first, position_);
  position_ = std::max(position_, batch.first);
  return dropped;
}

ExportRound export_pending(const SpanRecorder& spans, ExportCursor& cursor, size_t max,
                           const PostBatch& post, const std::atomic<bool>& stop, size_t posts_max) {
  ExportRound round;
  while (!stop.load() && round.posts < posts_max) {
    SpanBatch batch = spans.since(cursor.position(), max);
    if (batch.spans.empty()) {  // caught up; what was ahead of the cursor is gone
      round.dropped += cursor.sent(batch);
      break;
    }
    PostResult result = post(batch.spans);
    ++round.posts;
    if (!result.ok()) {
      round.dropped += cursor.failed(batch);
      round.failure = result.error;
      break;
    }
    round.dropped += cursor.sent(batch);
    round.spans_sent += batch.spans.size();
    if (batch.spans.size() < max) break;  // that was all, as of the read
  }
  return round;
}

namespace {

constexpr PostFailure kCountedFailures[] = {PostFailure::connect, PostFailure::timeout,
                                            PostFailure::http_status, PostFailure::io};

}  // namespace

OtlpExporter::OtlpExporter(OtlpExporterConfig config, const SpanRecorder& spans, Registry& metrics,
                           EventRecorder& events)
    : config_(std::move(config)),
      spans_(spans),
      events_(events),
      spans_total_(metrics.counter("agora_trace_export_spans_total",
                                   "Spans sent to the OTLP collector ([trace] otlp_endpoint)")),
      dropped_total_(metrics.counter(
          "agora_trace_export_dropped_spans_total",
          "Spans the span recorder overwrote or evicted before they could be sent to the "
          "collector")),
      cursor_(spans.recorded()) {
  for (PostFailure f : kCountedFailures)
    failures_total_[size_t(f)] = &metrics.counter(
        "agora_trace_export_failures_total", "POSTs to the OTLP collector that failed, by reason",
        {{"reason", post_failure_name(f)}});
  config_.spans_per_post_max = std::max<size_t>(1, config_.spans_per_post_max);
}

OtlpExporter::~OtlpExporter() { stop(); }

void OtlpExporter::start() {
  if (thread_.joinable() || stop_.load()) return;
  thread_ = std::thread([this] { run(); });
}

void OtlpExporter::stop() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OtlpExporter::run() {
  std::unique_lock lock(mu_);
  while (!stop_.load()) {
    auto delay = export_delay(config_.interval, failures_, config_.backoff_max);
    wake_.wait_for(lock, delay, [this] { return stop_.load(); });
    if (stop_.load()) break;
    lock.unlock();
    export_once();
    lock.lock();
  }
  lock.unlock();
  export_final();
}

void OtlpExporter::export_final() {
  if (failing_) return;  // a collector that keeps failing would only hold the stop up
  const std::atomic<bool> go_on{false};
  PostLimits limits = config_.post;
  limits.timeout = std::min(limits.timeout, config_.final_post_timeout);
  auto post = [this, &limits, &go_on](const std::vector<Span>& batch) {
    return http_post(config_.endpoint, "application/json", otlp_export_body(config_.node, batch),
                     limits, &go_on);
  };
  ExportRound round = export_pending(spans_, cursor_, config_.spans_per_post_max, post, go_on,
                                     config_.final_posts_max);
  spans_total_.add(round.spans_sent);
  dropped_total_.add(round.dropped);
  if (round.failure) failed(*round.failure);
}

void OtlpExporter::export_once() {
  auto post = [this](const std::vector<Span>& batch) {
    return http_post(config_.endpoint, "application/json", otlp_export_body(config_.node, batch),
                     config_.post, &stop_);
  };
  ExportRound round = export_pending(spans_, cursor_, config_.spans_per_post_max, post, stop_);
  spans_total_.add(round.spans_sent);
  dropped_total_.add(round.dropped);
  if (round.failure) {
    failed(*round.failure);
  } else if (round.posts > 0) {
    failures_ = 0;
    failing_ = false;
  }
}

void OtlpExporter::failed(const PostError& error) {
  if (error.reason == PostFailure::cancelled) return;  // shutting down: not the collector's fault
  failures_total_[size_t(error.reason)]->inc();
  failures_ = std::min<uint32_t>(failures_ + 1, 32);
  if (failing_) return;  // one event while it keeps failing
  failing_ = true;
  Event e;
  e.type = EventType::trace_export_failed;
  e.reason = post_failure_name(error.reason);
  e.detail = "OTLP export: " + error.message + "; retried with backoff (up to " +
             std::to_string(std::max(config_.interval, config_.backoff_max).count() / 1000) +
             " s), spans overwritten meanwhile are counted as dropped";
  events_.record(std::move(e));
}

}  // namespace agora::observe
