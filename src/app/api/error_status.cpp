#include "app/api/error_status.h"

namespace agora {

int api_error_status(Errc code, IoMeans io) {
  switch (code) {
    case Errc::invalid_input:
    case Errc::unsupported:
    case Errc::too_large:
    case Errc::exists:
      return 400;
    case Errc::not_found:
      return 404;
    case Errc::limit:
      return 429;
    case Errc::timeout:
      return 504;
    case Errc::cancelled:
      return 409;
    case Errc::io:
      return io == IoMeans::disk ? 500 : 502;
    default:
      return 502;
  }
}

}  // namespace agora
