// Export of the spans this node records to an OTLP/HTTP collector ([trace] otlp_endpoint,
// docs/tracing.md): every span the recorder holds (operations, requests made, streams served),
// each sent once, as OTLP/JSON (observe/otlp_json.h) POSTed to http://HOST:PORT/PATH.
//
// Contract:
// - Every interval, the spans recorded since the last export are sent: the exporter keeps a
//   cursor in the recorder's sequence numbers (SpanRecorder::since), so nothing is sent twice.
//   Spans the ring overwrote (or the per-peer budget evicted) before they were sent are
//   counted as dropped, never silently lost: agora_trace_export_dropped_spans_total.
// - Bounded: at most spans_per_post_max spans a POST (several POSTs when more are waiting);
//   each POST within post.timeout (connect, request and response together); at most
//   post.response_bytes_max bytes of the answer read, of which only the status counts.
// - On failure, the next try waits interval * 2^failures, at most backoff_max (never less than
//   the interval); the spans of the failed POST that the ring still holds are sent then.
//   Failures are counted by reason (agora_trace_export_failures_total{reason}: connect,
//   timeout, http_status, io), and the first failure (at start, or after a success) is
//   recorded as a trace_export_failed event.
// - Never on the node's loop: the POST runs on the exporter's own thread, which reads the
//   recorder under its lock (the recorder is thread-safe) a batch at a time: no queue between
//   the two, so the memory it holds is one batch and its JSON. stop() (also the destructor)
//   wakes the thread and joins it; a POST in flight gives up within 100 ms. Then, unless the
//   collector was failing, what is left is sent in at most final_posts_max POSTs of at most
//   final_post_timeout each: a stopping daemon sends its last spans but never waits long.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "observe/events.h"
#include "observe/http_post.h"
#include "observe/metrics.h"
#include "observe/spans.h"

namespace agora::observe {

struct OtlpExporterConfig {
  HttpEndpoint endpoint;
  std::string node;  // service.instance.id: this node's peer id
  std::chrono::milliseconds interval{5000};
  size_t spans_per_post_max = 512;
  PostLimits post;  // 5 s a POST, 64 KiB of the answer read
  std::chrono::milliseconds backoff_max{60000};
  size_t final_posts_max = 4;  // at stop()
  std::chrono::milliseconds final_post_timeout{1000};
};

// [trace] otlp_interval_ms is at least this and at most kOtlpIntervalMsMax.
inline constexpr uint32_t kOtlpIntervalMsMin = 100;
inline constexpr uint32_t kOtlpIntervalMsMax = 3'600'000;

// How long to wait before the next export after `failures` failures in a row.
std::chrono::milliseconds export_delay(std::chrono::milliseconds interval, uint32_t failures,
                                       std::chrono::milliseconds backoff_max);

// Where the export is in the recorder's sequence numbers, and what it counts as dropped. Each
// sequence number is counted once: sent, dropped or still ahead.
class ExportCursor {
 public:
  explicit ExportCursor(uint64_t position = 0) : position_(position) {}
  uint64_t position() const { return position_; }
  // `batch` (read at position()) was sent: past it. Returns the spans dropped in its range.
  uint64_t sent(const SpanBatch& batch);
  // Its POST failed: up to its first span held, which is tried again. Returns the spans dropped
  // before that one (the ones between its spans are counted when it is sent).
  uint64_t failed(const SpanBatch& batch);

 private:
  uint64_t position_;
};

// What one round of export did.
struct ExportRound {
  size_t posts = 0;
  uint64_t spans_sent = 0;
  uint64_t dropped = 0;
  std::optional<PostError> failure;  // the POST that ended the round
};

// Sends what the recorder holds past `cursor`, `max` spans a POST, until it has caught up, a
// POST fails, `stop` is set, or posts_max POSTs went out. `post` sends one batch.
using PostBatch = std::function<PostResult(const std::vector<Span>&)>;
ExportRound export_pending(const SpanRecorder& spans, ExportCursor& cursor, size_t max,
                           const PostBatch& post, const std::atomic<bool>& stop,
                           size_t posts_max = SIZE_MAX);

class OtlpExporter {
 public:
  // Registers the metrics; exports from the spans recorded after this.
  OtlpExporter(OtlpExporterConfig config, const SpanRecorder& spans, Registry& metrics,
               EventRecorder& events);
  ~OtlpExporter();
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void start();
  void stop();  // idempotent

 private:
  void run();
  void export_once();
  void export_final();
  void failed(const PostError& error);

  OtlpExporterConfig config_;
  const SpanRecorder& spans_;
  EventRecorder& events_;
  Counter& spans_total_;
  Counter& dropped_total_;
  std::array<Counter*, 4> failures_total_{};  // by PostFailure: connect .. io
  ExportCursor cursor_;
  uint32_t failures_ = 0;  // in a row
  bool failing_ = false;   // the last POST failed (its event is recorded)

  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace agora::observe
