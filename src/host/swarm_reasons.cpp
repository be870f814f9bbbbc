#include "host/swarm_reasons.h"

namespace agora::host {

const char* label(Direction d) { return d == Direction::inbound ? "inbound" : "outbound"; }

const char* label(Scope s) {
  switch (s) {
    case Scope::none:
      return "none";
    case Scope::system:
      return "system";
    case Scope::protocol:
      return "protocol";
    case Scope::peer:
      return "peer";
    case Scope::peer_protocol:
      return "peer_protocol";
    case Scope::ip:
      return "ip";
    case Scope::network:
      return "network";
  }
  return "none";
}

const char* label(RefusalReason r) {
  switch (r) {
    case RefusalReason::limit:
      return "limit";
    case RefusalReason::banned:
      return "banned";
    case RefusalReason::self_dial:
      return "self_dial";
    case RefusalReason::unknown_protocol:
      return "unknown_protocol";
    case RefusalReason::not_connected:
      return "not_connected";
    case RefusalReason::no_address:
      return "no_address";
    case RefusalReason::shutting_down:
      return "shutting_down";
  }
  return "limit";
}

const char* label(CloseReason r) {
  switch (r) {
    case CloseReason::shutdown:
      return "shutdown";
    case CloseReason::requested:
      return "requested";
    case CloseReason::banned:
      return "banned";
    case CloseReason::admission_trim:
      return "admission_trim";
    case CloseReason::manager_trim:
      return "manager_trim";
    case CloseReason::remote_closed:
      return "remote_closed";
    case CloseReason::protocol_error:
      return "protocol_error";
    case CloseReason::limit:
      return "limit";
    case CloseReason::timeout:
      return "timeout";
    case CloseReason::io_error:
      return "io_error";
  }
  return "io_error";
}

CloseReason close_reason_of(Errc code) {
  switch (code) {
    case Errc::closed:
      return CloseReason::remote_closed;
    case Errc::timeout:
      return CloseReason::timeout;
    case Errc::limit:
    case Errc::too_large:
      return CloseReason::limit;
    case Errc::io:
      return CloseReason::io_error;
    default:
      return CloseReason::protocol_error;
  }
}

Error Refusal::to_error() const {
  switch (reason) {
    case RefusalReason::limit:
    case RefusalReason::banned:
      return make_error(Errc::limit, detail);
    case RefusalReason::self_dial:
    case RefusalReason::no_address:
      return make_error(Errc::invalid_input, detail);
    case RefusalReason::unknown_protocol:
      return make_error(Errc::unsupported, detail);
    case RefusalReason::not_connected:
    case RefusalReason::shutting_down:
      return make_error(Errc::closed, detail);
  }
  return make_error(Errc::limit, detail);
}

}  // namespace agora::host
