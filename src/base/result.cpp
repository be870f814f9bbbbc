#include "base/result.h"

namespace agora {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_input:
      return "invalid_input";
    case Errc::truncated:
      return "truncated";
    case Errc::too_large:
      return "too_large";
    case Errc::unsupported:
      return "unsupported";
    case Errc::crypto:
      return "crypto";
    case Errc::peer_mismatch:
      return "peer_mismatch";
    case Errc::protocol:
      return "protocol";
    case Errc::limit:
      return "limit";
    case Errc::closed:
      return "closed";
    case Errc::timeout:
      return "timeout";
    case Errc::io:
      return "io";
    case Errc::not_found:
      return "not_found";
    case Errc::exists:
      return "exists";
    case Errc::cancelled:
      return "cancelled";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

}  // namespace agora
