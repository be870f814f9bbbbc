#include "runtime/asio/negotiate.h"

#include "proto/multistream/multistream.h"

namespace agora::rt {

namespace {

template <class Core>
awaitable<Result<std::string>> run(Stream& stream, Core core) {
  Bytes out;
  uint8_t in[1024];
  for (;;) {
    out.clear();
    core.take_output(out);
    if (!out.empty()) {
      if (Status st = co_await stream.write_all(out); !st) co_return st.error();
    }
    if (core.done()) break;
    auto n = co_await stream.read_some(in, sizeof in);
    if (!n) co_return n.error();
    if (*n == 0) co_return make_error(Errc::closed, "stream closed during protocol negotiation");
    if (Status st = core.on_bytes({in, *n}); !st) co_return st.error();
  }
  stream.unread(core.take_rest());
  stream.set_protocol(core.selected());
  co_return core.selected();
}

}  // namespace

awaitable<Result<std::string>> select_protocol(Stream& stream, std::vector<std::string> protocols) {
  co_return co_await run(stream, multistream::MultistreamDialer(std::move(protocols)));
}

awaitable<Result<std::string>> accept_protocol(Stream& stream, std::vector<std::string> supported) {
  co_return co_await run(stream, multistream::MultistreamListener(std::move(supported)));
}

}  // namespace agora::rt
