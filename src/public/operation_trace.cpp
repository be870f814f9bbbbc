#include "public/operation_trace.h"

#include <chrono>

namespace agora {

OperationTrace::OperationTrace(observe::SpanRecorder& spans, std::string name,
                               std::string_view traceparent, std::string key)
    : spans_(spans) {
  auto parent = parse_traceparent(traceparent);
  if (!parent) return;
  traced_ = true;
  span_.trace_id = parent->trace_id;
  span_.parent_span_id = parent->span_id;
  span_.span_id = spans_.new_span_id();
  span_.name = std::move(name);
  span_.key = std::move(key);
  span_.start_ns = observe::wall_clock_ns();
}

OperationTrace::~OperationTrace() {
  if (traced_ && !ended_) end(make_error(Errc::cancelled, "the operation ended without a result"));
}

void OperationTrace::activate(const Bytes& key, std::string label) {
  if (!traced_ || ended_) return;
  if (spans_.activate(key, context(), std::move(label))) active_.push_back(key);
}

void OperationTrace::activate(const Cid& cid) {
  activate(encode_multihash(cid.hash()), cid.to_string());
}

void OperationTrace::end(const Status& outcome) {
  if (!traced_ || ended_) return;
  ended_ = true;
  for (const Bytes& key : active_) spans_.deactivate(key, context());
  span_.end_ns = observe::wall_clock_ns();
  if (!outcome) {
    span_.outcome = errc_name(outcome.error().code);
    span_.detail = outcome.error().message;
  }
  spans_.record(span_);
}

}  // namespace agora
