#include "runtime/asio/multicast_socket.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace agora::rt {

using asio::ip::udp;

std::optional<std::string> default_multicast_interface() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> chosen, loopback;
  for (ifaddrs* i = list; i && !chosen; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    if (!(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_MULTICAST)) continue;
    auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    std::string address = asio::ip::address_v4(ntohl(sin->sin_addr.s_addr)).to_string();
    if (!(i->ifa_flags & IFF_LOOPBACK))
      chosen = address;
    else if (!loopback)
      loopback = address;
  }
  freeifaddrs(list);
  return chosen ? chosen : loopback;
}

struct MulticastSocket::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, MulticastSocketConfig c, DatagramHandler handler)
      : socket(ex), config(std::move(c)), on_datagram(std::move(handler)) {}

  Status bind_and_join();
  awaitable<void> receive_loop(std::shared_ptr<Impl> self);

  udp::socket socket;
  MulticastSocketConfig config;
  DatagramHandler on_datagram;
  udp::endpoint group;
  std::string interface_address;
  MulticastSocketStats stats;
  bool closed = false;
};

Status MulticastSocket::Impl::bind_and_join() {
  asio::error_code ec;
  auto group_address = asio::ip::make_address_v4(config.group, ec);
  if (ec || !group_address.is_multicast())
    return make_error(Errc::invalid_input, "bad multicast group '" + config.group + "'");
  interface_address = config.interface_address;
  if (interface_address.empty()) interface_address = default_multicast_interface().value_or("");
  if (interface_address.empty())
    return make_error(Errc::io, "no interface is up, multicast-capable and has an IPv4 address");
  auto iface = asio::ip::make_address_v4(interface_address, ec);
  if (ec)
    return make_error(Errc::invalid_input, "bad interface address '" + interface_address + "'");
  auto failed = [&](const std::string& step) {
    return make_error(Errc::io, "multicast socket: " + step + ": " + ec.message());
  };
  socket.open(udp::v4(), ec);
  if (ec) return failed("open");
  socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return failed("SO_REUSEADDR");
  int one = 1, zero = 0;
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return make_error(Errc::io, "multicast socket: SO_REUSEPORT failed");
  // Only the groups this socket joined, not every group any socket on the host joined.
  (void)setsockopt(socket.native_handle(), IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
  socket.bind(udp::endpoint(asio::ip::address_v4::any(), config.port), ec);
  if (ec) return failed("bind 0.0.0.0:" + std::to_string(config.port));
  socket.set_option(asio::ip::multicast::join_group(group_address, iface), ec);
  if (ec) return failed("join " + config.group + " on " + interface_address);
  socket.set_option(asio::ip::multicast::outbound_interface(iface), ec);
  if (ec) return failed("send from " + interface_address);
  socket.set_option(asio::ip::multicast::enable_loopback(true), ec);
  if (!ec) socket.set_option(asio::ip::multicast::hops(255), ec);
  if (ec) return failed("multicast options");
  socket.non_blocking(true, ec);  // a full send buffer drops a datagram instead of blocking
  if (ec) return failed("non-blocking");
  group = udp::endpoint(group_address, config.port);
  return {};
}

awaitable<void> MulticastSocket::Impl::receive_loop(std::shared_ptr<Impl>) {
  Bytes buffer(config.datagram_bytes_max + 1);  // one more: an oversized datagram shows as such
  while (!closed) {
    udp::endpoint from;
    auto [ec, n] = co_await socket.async_receive_from(asio::buffer(buffer), from, use_nothrow);
    if (closed || ec == asio::error::operation_aborted) break;
    if (ec) {
      // ICMP errors and the like: note it, pause briefly so a broken socket cannot spin.
      ++stats.receive_errors;
      asio::steady_timer pause(socket.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    if (n > config.datagram_bytes_max) {
      ++stats.datagrams_oversized;
      continue;
    }
    ++stats.datagrams_received;
    on_datagram(BytesView(buffer.data(), n));
  }
}

Result<std::unique_ptr<MulticastSocket>> MulticastSocket::open(asio::any_io_executor executor,
                                                               MulticastSocketConfig config,
                                                               DatagramHandler on_datagram) {
  auto impl = std::make_shared<Impl>(executor, std::move(config), std::move(on_datagram));
  AGORA_TRY(impl->bind_and_join());
  asio::co_spawn(executor, impl->receive_loop(impl), asio::detached);
  return std::unique_ptr<MulticastSocket>(new MulticastSocket(std::move(impl)));
}

MulticastSocket::~MulticastSocket() { close(); }

void MulticastSocket::send(BytesView datagram) {
  if (impl_->closed) return;
  asio::error_code ec;
  impl_->socket.send_to(asio::buffer(datagram.data(), datagram.size()), impl_->group, 0, ec);
  if (ec)
    ++impl_->stats.send_errors;
  else
    ++impl_->stats.datagrams_sent;
}

void MulticastSocket::close() {
  if (impl_->closed) return;
  impl_->closed = true;
  asio::error_code ec;
  impl_->socket.close(ec);
}

const std::string& MulticastSocket::interface_address() const { return impl_->interface_address; }
const MulticastSocketStats& MulticastSocket::stats() const { return impl_->stats; }

}  // namespace agora::rt
