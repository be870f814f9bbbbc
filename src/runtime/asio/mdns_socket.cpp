#include "runtime/asio/mdns_socket.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <random>

namespace agora::rt {

using asio::ip::udp;

std::optional<std::string> default_mdns_interface() {
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

struct MdnsSocket::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, mdns::MdnsCore c, EventHandler handler)
      : socket(ex), timer(ex), core(std::move(c)), on_event(std::move(handler)) {}

  Status bind_and_join(const MdnsSocketConfig& config);
  awaitable<void> receive_loop(std::shared_ptr<Impl> self);
  awaitable<void> timer_loop(std::shared_ptr<Impl> self);
  void after_input();
  void send_pending();
  void close();

  udp::socket socket;
  asio::steady_timer timer;
  std::optional<Instant> armed;  // the deadline timer_loop waits for
  mdns::MdnsCore core;
  EventHandler on_event;
  udp::endpoint group;
  std::string interface_address;
  MdnsSocketStats stats;
  bool closed = false;
};

Status MdnsSocket::Impl::bind_and_join(const MdnsSocketConfig& config) {
  asio::error_code ec;
  auto group_address = asio::ip::make_address_v4(config.group, ec);
  if (ec || !group_address.is_multicast())
    return make_error(Errc::invalid_input, "bad mDNS group '" + config.group + "'");
  interface_address = config.interface_address;
  if (interface_address.empty()) interface_address = default_mdns_interface().value_or("");
  if (interface_address.empty())
    return make_error(Errc::io, "no interface is up, multicast-capable and has an IPv4 address");
  auto iface = asio::ip::make_address_v4(interface_address, ec);
  if (ec)
    return make_error(Errc::invalid_input, "bad interface address '" + interface_address + "'");
  auto failed = [&](const std::string& step) {
    return make_error(Errc::io, "mDNS socket: " + step + ": " + ec.message());
  };
  socket.open(udp::v4(), ec);
  if (ec) return failed("open");
  socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return failed("SO_REUSEADDR");
  int one = 1, zero = 0;
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return make_error(Errc::io, "mDNS socket: SO_REUSEPORT failed");
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

void MdnsSocket::Impl::send_pending() {
  while (auto datagram = core.poll_send()) {
    asio::error_code ec;
    socket.send_to(asio::buffer(*datagram), group, 0, ec);
    if (ec)
      ++stats.send_errors;
    else
      ++stats.datagrams_sent;
  }
}

void MdnsSocket::Impl::after_input() {
  if (closed) return;
  send_pending();
  while (auto event = core.poll_event()) {
    on_event(*event);
    if (closed) return;  // the handler closed us
  }
  auto next = core.next_timer();
  if (next == armed) return;
  armed = next;
  // Setting the expiry cancels the pending wait; timer_loop wakes and waits again.
  if (next)
    timer.expires_at(std::chrono::time_point_cast<asio::steady_timer::duration>(*next));
  else
    timer.expires_at(asio::steady_timer::time_point::max());
}

awaitable<void> MdnsSocket::Impl::receive_loop(std::shared_ptr<Impl>) {
  Bytes buffer(core.config().dns.message_bytes_max + 1);  // one more: oversize shows as such
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
    // A bad datagram is counted by the core (stats().datagrams_invalid) and otherwise ignored.
    (void)core.on_datagram(BytesView(buffer.data(), n), now());
    after_input();
  }
}

awaitable<void> MdnsSocket::Impl::timer_loop(std::shared_ptr<Impl>) {
  while (!closed) {
    co_await timer.async_wait(use_nothrow);
    if (closed) break;
    core.on_timer(now());
    after_input();
  }
}

void MdnsSocket::Impl::close() {
  if (closed) return;
  core.stop(now());
  send_pending();  // the goodbye
  closed = true;
  asio::error_code ec;
  socket.close(ec);
  timer.cancel();
}

Result<std::unique_ptr<MdnsSocket>> MdnsSocket::open(asio::any_io_executor executor, PeerId local,
                                                     MdnsSocketConfig config,
                                                     EventHandler on_event) {
  if (config.core.seed == 0) {
    std::random_device entropy;
    config.core.seed = uint64_t(entropy()) << 32 | entropy();
  }
  AGORA_ASSIGN(mdns::MdnsCore core, mdns::MdnsCore::create(std::move(local), config.core));
  auto impl = std::make_shared<Impl>(executor, std::move(core), std::move(on_event));
  AGORA_TRY(impl->bind_and_join(config));
  impl->timer.expires_at(asio::steady_timer::time_point::max());
  asio::co_spawn(executor, impl->receive_loop(impl), asio::detached);
  asio::co_spawn(executor, impl->timer_loop(impl), asio::detached);
  impl->core.start(now());
  impl->after_input();
  return std::unique_ptr<MdnsSocket>(new MdnsSocket(std::move(impl)));
}

MdnsSocket::~MdnsSocket() { close(); }

void MdnsSocket::set_addresses(const std::vector<Multiaddr>& addrs) {
  impl_->core.set_addresses(addrs);
}

void MdnsSocket::close() { impl_->close(); }

const mdns::MdnsCore& MdnsSocket::core() const { return impl_->core; }
const MdnsSocketStats& MdnsSocket::stats() const { return impl_->stats; }
const std::string& MdnsSocket::interface_address() const { return impl_->interface_address; }

}  // namespace agora::rt
