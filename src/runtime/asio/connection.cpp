#include "runtime/asio/connection.h"

#include <algorithm>

namespace agora::rt {

namespace {
constexpr size_t kReadChunkBytes = 256 * 1024;
}

Connection::Connection(asio::ip::tcp::socket socket, std::unique_ptr<noise::NoiseTransport> noise,
                       ConnectionInfo info, yamux::YamuxConfig yamux_config,
                       Bytes initial_plaintext, std::unique_ptr<pnet::PnetProtector> protector)
    : socket_(std::move(socket)),
      noise_(std::move(noise)),
      protector_(std::move(protector)),
      info_(std::move(info)),
      yamux_(!info_.inbound, yamux_config, now()),
      initial_plaintext_(std::move(initial_plaintext)),
      write_waiter_(socket_.get_executor()),
      timer_waiter_(socket_.get_executor()) {}

Connection::~Connection() = default;

void Connection::start(InboundStreamHandler on_inbound, ClosedHandler on_closed) {
  on_inbound_ = std::move(on_inbound);
  on_closed_ = std::move(on_closed);
  auto ex = socket_.get_executor();
  asio::co_spawn(ex, read_loop(), asio::detached);
  asio::co_spawn(ex, write_loop(), asio::detached);
  asio::co_spawn(ex, timer_loop(), asio::detached);
}

Result<std::shared_ptr<Stream>> Connection::open_stream() {
  if (closed_) return close_reason_;
  AGORA_ASSIGN(yamux::StreamId id, yamux_.open_stream(now()));
  auto stream = std::make_shared<Stream>(shared_from_this(), id, false);
  streams_[id] = stream;
  signal_write();
  return stream;
}

std::vector<std::shared_ptr<Stream>> Connection::open_streams() const {
  std::vector<std::shared_ptr<Stream>> out;
  for (const auto& [id, weak] : streams_)
    if (auto s = weak.lock()) out.push_back(std::move(s));
  return out;
}

void Connection::close(Error reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = std::move(reason);
  // The GoAway tells the peer why (normal, protocol error, internal error). It is flushed unless
  // the socket itself failed; a peer that stops reading cannot hold us up for long.
  bool orderly = close_reason_.code == Errc::closed;
  yamux_.go_away(orderly ? 0 : close_reason_.code == Errc::protocol ? 1 : 2);
  flushing_close_ = true;
  signal_write();
  if (close_reason_.code == Errc::io) {
    shutdown_socket();
  } else {
    auto flush_time = orderly ? std::chrono::seconds(5) : std::chrono::seconds(1);
    auto timer = std::make_shared<asio::steady_timer>(socket_.get_executor(), flush_time);
    timer->async_wait(
        [self = shared_from_this(), timer](asio::error_code) { self->shutdown_socket(); });
  }
  timer_waiter_.notify();
  for (auto& [id, weak] : streams_)
    if (auto s = weak.lock()) s->mark_reset(close_reason_);
  if (on_closed_) {
    auto handler = std::move(on_closed_);
    on_closed_ = nullptr;
    handler(*this, close_reason_);
  }
}

void Connection::shutdown_socket() {
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

Status Connection::feed_plaintext(BytesView plain) {
  if (plain.empty()) return {};
  Status st = yamux_.on_bytes(plain, now());
  process_events();
  return st;
}

// Idle connections must stay small, so a connection owns no read buffer: it waits for readability,
// then reads into one buffer shared by every connection on this (single) event-loop thread.
static Bytes& shared_read_buffer() {
  thread_local Bytes buf(kReadChunkBytes);
  return buf;
}
static Bytes& shared_plain_buffer() {
  thread_local Bytes buf;
  return buf;
}

void Connection::set_rates(const Rates& rates) {
  upload_all_ = rates.upload_all && !rates.upload_all->unlimited() ? rates.upload_all : nullptr;
  download_all_ =
      rates.download_all && !rates.download_all->unlimited() ? rates.download_all : nullptr;
  upload_own_ = host::RateLimit(rates.upload_bytes_per_s);
  download_own_ = host::RateLimit(rates.download_bytes_per_s);
  limited_ = upload_all_ || download_all_ || !upload_own_.unlimited() || !download_own_.unlimited();
}

size_t Connection::read_allowance(size_t buffer_bytes, Duration& wait) {
  wait = Duration::zero();
  if (!limited_) return buffer_bytes;
  Instant t = now();
  uint64_t allowed = download_own_.available(t);
  if (download_all_) allowed = std::min(allowed, download_all_->available(t));
  if (allowed > 0) return size_t(std::min<uint64_t>(allowed, buffer_bytes));
  wait = std::max({download_own_.delay(t), download_all_ ? download_all_->delay(t) : Duration{},
                   Duration(std::chrono::milliseconds(1))});
  return 0;
}

void Connection::after_read(size_t bytes) {
  if (!limited_) return;
  Instant t = now();
  download_own_.take(bytes, t);
  if (download_all_) download_all_->take(bytes, t);
}

Duration Connection::after_write(size_t bytes) {
  if (!limited_) return Duration::zero();
  Instant t = now();
  upload_own_.take(bytes, t);
  if (upload_all_) upload_all_->take(bytes, t);
  return std::max(upload_own_.delay(t), upload_all_ ? upload_all_->delay(t) : Duration{});
}

awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  if (Status st = feed_plaintext(initial_plaintext_); !st) close(st.error());
  initial_plaintext_ = {};
  signal_write();
  asio::error_code ec;
  socket_.non_blocking(true, ec);
  asio::steady_timer pace(socket_.get_executor());
  while (!closed_) {
    Bytes& cipher = shared_read_buffer();
    Duration wait{};
    size_t allowed = read_allowance(cipher.size(), wait);
    if (allowed == 0) {  // over the download rate: leave the bytes in the socket a while
      pace.expires_after(wait);
      co_await pace.async_wait(use_nothrow);
      continue;
    }
    auto [wait_ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, use_nothrow);
    if (closed_) break;
    size_t n = wait_ec ? 0 : socket_.read_some(asio::buffer(cipher.data(), allowed), ec);
    if (!wait_ec && ec == asio::error::would_block) continue;
    if (wait_ec || ec) {
      auto e = wait_ec ? wait_ec : ec;
      close(e == asio::error::eof ? make_error(Errc::closed, "remote closed the connection")
                                  : make_error(Errc::io, "read: " + e.message()));
      break;
    }
    bytes_received_ += n;
    if (totals_) totals_->received.fetch_add(n, std::memory_order_relaxed);
    after_read(n);
    std::span<uint8_t> received(cipher.data(), n);
    if (protector_) {  // in place: the private network's XSalsa20 under Noise
      auto r = protector_->on_bytes(received);
      if (!r) {
        close(r.error());
        break;
      }
      received = *r;
    }
    Bytes& plain = shared_plain_buffer();
    plain.clear();
    if (Status st = noise_->decrypt(received, plain); !st) {
      close(st.error());
      break;
    }
    if (Status st = feed_plaintext(plain); !st) {
      close(st.error());
      break;
    }
    signal_write();
  }
  if (!flushing_close_) shutdown_socket();
}

awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();
  Bytes plain;
  Bytes cipher;
  asio::steady_timer pace(socket_.get_executor());
  for (;;) {
    plain.clear();
    yamux_.take_output(plain);
    process_events();  // writers waiting for the output to drain may go on
    if (plain.empty()) {
      if (closed_) break;
      if (plain.capacity() == 0 && cipher.capacity() == 0) {
        co_await write_waiter_.wait();
      } else if (!co_await write_waiter_.wait_for(std::chrono::seconds(1))) {
        // Idle for a second: give the burst's buffers back, idle connections must stay small.
        Bytes().swap(plain);
        Bytes().swap(cipher);
      }
      continue;
    }
    cipher.clear();
    noise_->encrypt(plain, cipher);
    if (protector_) protector_->encrypt(cipher);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(cipher), use_nothrow);
    if (ec) {
      close(make_error(Errc::io, "write: " + ec.message()));
      break;
    }
    bytes_sent_ += n;
    if (totals_) totals_->sent.fetch_add(n, std::memory_order_relaxed);
    if (Duration wait = after_write(n); wait > Duration::zero()) {  // over the upload rate
      pace.expires_after(wait);
      co_await pace.async_wait(use_nothrow);
    }
  }
  shutdown_socket();
}

awaitable<void> Connection::timer_loop() {
  auto self = shared_from_this();
  while (!closed_) {
    auto next = yamux_.next_timer();
    if (next) {
      co_await timer_waiter_.wait_for(*next - now());
    } else {
      co_await timer_waiter_.wait();
    }
    if (closed_) break;
    yamux_.on_timer(now());
    process_events();
    signal_write();
  }
}

void Connection::process_events() {
  while (auto ev = yamux_.poll_event()) {
    using K = yamux::YamuxEvent::Kind;
    std::shared_ptr<Stream> stream;
    if (auto it = streams_.find(ev->stream); it != streams_.end()) stream = it->second.lock();
    switch (ev->kind) {
      case K::stream_opened: {
        auto s = std::make_shared<Stream>(shared_from_this(), ev->stream, true);
        streams_[ev->stream] = s;
        if (on_inbound_) on_inbound_(s);
        break;
      }
      case K::stream_readable:
      case K::stream_writable:
      case K::stream_remote_closed:
        if (stream) stream->wake();
        break;
      case K::stream_reset:
        if (stream) stream->mark_reset(ev->reason);
        streams_.erase(ev->stream);
        break;
      case K::session_error:
      case K::go_away:
        close(ev->reason);
        return;
      case K::pong:
        last_rtt_ = ev->rtt;
        break;
    }
  }
}

// ---- Stream ----

Stream::Stream(std::shared_ptr<Connection> conn, yamux::StreamId id, bool inbound)
    : conn_(std::move(conn)),
      id_(id),
      inbound_(inbound),
      read_waiter_(conn_->socket_.get_executor()),
      write_waiter_(conn_->socket_.get_executor()) {}

Stream::~Stream() {
  if (on_release_) on_release_();
  // A stream dropped before both directions finished is reset so the peer is not left waiting.
  if (!reset_ && !(write_closed_ && eof_) && !conn_->closed_) conn_->yamux_.reset(id_);
  conn_->forget_stream(id_);
  conn_->signal_write();
}

void Stream::mark_reset(Error reason) {
  if (reset_) return;
  reset_ = true;
  reset_reason_ = std::move(reason);
  wake();
}

Status Stream::usable() const {
  if (reset_)
    return make_error(reset_reason_.code == Errc::closed ? Errc::closed : reset_reason_.code,
                      "stream reset: " + reset_reason_.message);
  if (conn_->closed_) return conn_->close_reason_;
  return {};
}

void Stream::unread(Bytes prefix) {
  if (prefix.empty()) return;
  prefix_.erase(prefix_.begin(), prefix_.begin() + prefix_pos_);
  prefix_pos_ = 0;
  prefix_.insert(prefix_.begin(), prefix.begin(), prefix.end());
}

awaitable<Result<size_t>> Stream::read_some(uint8_t* out, size_t max) {
  if (prefix_pos_ < prefix_.size()) {
    size_t n = std::min(max, prefix_.size() - prefix_pos_);
    std::memcpy(out, prefix_.data() + prefix_pos_, n);
    prefix_pos_ += n;
    if (prefix_pos_ == prefix_.size()) prefix_.clear(), prefix_pos_ = 0;
    co_return n;
  }
  auto self = shared_from_this();
  for (;;) {
    if (Status st = usable(); !st) co_return st.error();
    size_t n = conn_->yamux_.read(id_, out, max, now());
    if (n > 0) {
      conn_->signal_write();  // the read may have queued a window update
      co_return n;
    }
    if (conn_->yamux_.remote_closed(id_)) {
      eof_ = true;
      co_return size_t{0};
    }
    ++waits_;
    co_await read_waiter_.wait();
  }
}

awaitable<Status> Stream::read_exact(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    auto r = co_await read_some(out + got, n - got);
    if (!r) co_return r.error();
    if (*r == 0) co_return make_error(Errc::truncated, "stream ended early");
    got += *r;
  }
  co_return Status{};
}

awaitable<Status> Stream::write_all(BytesView data) {
  auto self = shared_from_this();
  while (!data.empty()) {
    if (Status st = usable(); !st) co_return st;
    if (write_closed_) co_return make_error(Errc::closed, "write after close");
    size_t n = conn_->yamux_.write(id_, data);
    if (n > 0) {
      data = data.subspan(n);
      conn_->signal_write();
      continue;
    }
    ++waits_;
    co_await write_waiter_.wait();  // send window exhausted: wait for a window update
  }
  co_return Status{};
}

void Stream::close_write() {
  if (write_closed_ || reset_ || conn_->closed_) return;
  write_closed_ = true;
  conn_->yamux_.close_write(id_);
  conn_->signal_write();
}

void Stream::reset() {
  if (reset_ || conn_->closed_) return;
  conn_->yamux_.reset(id_);
  mark_reset(make_error(Errc::closed, "reset locally"));
  conn_->signal_write();
}

bool Connection::tcp_no_delay() const {
  asio::ip::tcp::no_delay option;
  asio::error_code ec;
  socket_.get_option(option, ec);
  return !ec && option.value();
}

std::optional<TcpStats> Connection::tcp_stats() const {
  // native_handle() is not const in asio; reading counters does not change the socket.
  auto& socket = const_cast<asio::ip::tcp::socket&>(socket_);
  if (!socket.is_open()) return std::nullopt;
  return read_tcp_stats(socket.native_handle());
}

}  // namespace agora::rt
