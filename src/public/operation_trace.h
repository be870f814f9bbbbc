// One traced operation of agora::Node (a get, a DHT lookup): the span it records, and the keys
// whose requests hang under it while it runs (docs/tracing.md).
//
// An operation is traced when its caller passed a W3C traceparent (the HTTP API takes it from
// the request's `traceparent` header); otherwise this is a no-op. The operation's span is a
// child of the caller's span; the keys it activates (the content's CID, the peer looked up) make
// the requests the node sends for them (xfer streams, DHT queries) children of the operation's
// span, and their context travels in /agora/xfer/1.1.0. Thread-safe as the recorder is: it
// runs on the caller's thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agora/result.h"
#include "codec/cid.h"
#include "observe/spans.h"

namespace agora {

class OperationTrace {
 public:
  OperationTrace(observe::SpanRecorder& spans, std::string name, std::string_view traceparent,
                 std::string key);
  ~OperationTrace();  // an operation that never finished is recorded as cancelled
  OperationTrace(const OperationTrace&) = delete;
  OperationTrace& operator=(const OperationTrace&) = delete;

  bool traced() const { return traced_; }
  // The context its requests hang under (valid when traced()).
  TraceContext context() const { return {span_.trace_id, span_.span_id}; }
  void activate(const Bytes& key, std::string label);
  void activate(const Cid& cid);  // by its multihash, as the DHT and the blockstore key it

  template <class T>
  Result<T> finish(Result<T> result) {
    end(result ? Status{} : Status(result.error()));
    return result;
  }
  Status finish(Status status) {
    end(status);
    return status;
  }

 private:
  void end(const Status& outcome);

  observe::SpanRecorder& spans_;
  bool traced_ = false;
  bool ended_ = false;
  observe::Span span_;
  std::vector<Bytes> active_;
};

}  // namespace agora
