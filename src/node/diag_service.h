// /agora/diag/1.0.0 on the node (docs/tracing.md): behaviour::DiagBehaviour driven by the node's
// BehaviourHost. Serving ([trace] serve_diag): the answer is the span recorder's served_to for the
// asking connection's peer id, so a peer learns only of its own requests; refusals (rate,
// malformed) are counted (agora_diag_refused_total{reason}) and recorded as limit_hit events.
// Asking: ask() puts a question to one peer and returns the answer with this node's wall-clock
// times of sending and receiving it, for the clock offset.
#pragma once

#include "behaviour/diag_behaviour.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "observe/spans.h"
#include "runtime/asio/awaited_results.h"
#include "runtime/asio/behaviour_host.h"

namespace agora {

struct DiagAsked {
  diag::DiagResponse response;
  int64_t sent_ns = 0;  // this node's wall clock
  int64_t received_ns = 0;
};

// A span on the wire and back. A served span's peer does not travel (it is the asker): give it.
diag::DiagSpan to_diag(const observe::Span& span);
observe::Span from_diag(const diag::DiagSpan& span, std::string peer);

class DiagService {
 public:
  DiagService(rt::Swarm& swarm, rt::BehaviourHost& host, behaviour::DiagConfig config,
              observe::SpanRecorder& spans, observe::Registry& metrics,
              observe::EventRecorder& events);
  ~DiagService();
  void start();
  // Fails with the stream's error: Errc::unsupported when the peer does not serve diag (not
  // opted in), Errc::closed when it reset the request (over its rate), a timeout after 5 s.
  rt::awaitable<Result<DiagAsked>> ask(PeerId peer, diag::DiagRequest request);

 private:
  diag::DiagResponse answer(const PeerId& asker, const diag::DiagRequest& request) const;
  void deliver();

  rt::BehaviourHost& host_;
  observe::SpanRecorder& spans_;
  observe::Registry& metrics_;
  observe::EventRecorder& events_;
  behaviour::DiagConfig config_;
  behaviour::DiagBehaviour behaviour_;
  rt::AwaitedResults<Result<diag::DiagResponse>> waiting_;
};

}  // namespace agora
