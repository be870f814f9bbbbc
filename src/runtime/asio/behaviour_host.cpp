#include "runtime/asio/behaviour_host.h"

#include <deque>

#include "agora/result.h"
#include "runtime/asio/multicast_socket.h"

namespace agora::rt {

namespace {

struct Entry {
  host::Behaviour* behaviour = nullptr;
  std::map<std::string, host::ProtocolSpec> specs;
  std::function<void()> on_progress;
  std::unique_ptr<asio::steady_timer> timer;
  std::optional<Instant> armed;
  bool pumping = false;
  bool again = false;
  bool removed = false;  // no longer driven; `behaviour` may be gone
  std::map<std::string, std::unique_ptr<MulticastSocket>> sockets;  // its multicast groups
};

// One stream of one behaviour.
struct Channel {
  std::shared_ptr<Stream> stream;
  Entry* entry = nullptr;
  const host::ProtocolSpec* spec = nullptr;
  host::StreamRef ref;
  struct Queued {
    Bytes frame;               // a framed message, or
    host::SharedBytes shared;  // a byte stream's slice, written without a copy
    uint64_t token = 0;
    BytesView view() const { return shared.buffer ? shared.view() : BytesView(frame); }
  };
  std::deque<Queued> queue;  // framed, waiting for the writer
  size_t queued_bytes = 0;   // in the queue or being written
  bool writing = false;
  bool close_wanted = false;  // the behaviour asked to close our side
  bool write_closed = false;
  bool read_done = false;  // the peer's EOF was read
  bool ended = false;
  std::unique_ptr<Deadline> linger;
  size_t assembling_bytes = 0;            // charged for a message being assembled
  size_t read_credit = 0;                 // byte streams: what the behaviour will take
  std::unique_ptr<Waiter> credit_waiter;  // byte streams: the reader waits here for credit
  std::unique_ptr<observe::Span> span;    // recorded when the stream ends
  bool aborted = false;                   // by its behaviour (AbortStream)
  bool connection_lost = false;           // ended with its connection
};

// A span begun for a stream: served (`inbound`), or opened under `trace`.
std::unique_ptr<observe::Span> begin_span(observe::SpanRecorder& spans, const PeerId& peer,
                                          const std::string& protocol, bool inbound,
                                          const std::optional<host::StreamTrace>& trace) {
  std::optional<TraceContext> context;
  if (trace) context = trace->context;
  return std::make_unique<observe::Span>(
      observe::stream_span(spans.new_span_id(), peer.to_string(), protocol, inbound, context,
                           trace ? trace->key : std::string(), observe::wall_clock_ns()));
}

void finish_span(observe::SpanRecorder& spans, observe::Span& span, const Error& why, bool reset,
                 bool aborted) {
  observe::finish_stream_span(spans, std::move(span), why, reset, aborted,
                              observe::wall_clock_ns());
}

}  // namespace

struct BehaviourHost::State : std::enable_shared_from_this<BehaviourHost::State> {
  State(Swarm& s, BehaviourHostConfig c) : swarm(s), config(c) {}

  Swarm& swarm;
  BehaviourHostConfig config;
  bool stopped = false;
  std::vector<std::unique_ptr<Entry>> entries;
  std::map<host::StreamRef, std::shared_ptr<Channel>> channels;

  Entry* find(host::Behaviour& b) {
    for (auto& e : entries)
      if (e->behaviour == &b && !e->removed) return e.get();
    return nullptr;
  }

  void pump(Entry& e) {
    if (e.removed) return;
    if (e.pumping) {
      e.again = true;
      return;
    }
    e.pumping = true;
    do {
      e.again = false;
      while (auto action = e.behaviour->poll_action()) {
        execute(e, std::move(*action));
        if (stopped || e.removed) return;
      }
    } while (e.again);
    e.pumping = false;
    arm_timer(e);
    if (e.on_progress) e.on_progress();
  }

  void arm_timer(Entry& e) {
    std::optional<Instant> next = e.behaviour->next_timer();
    if (next == e.armed) return;
    e.armed = next;
    if (!next) {
      e.timer->cancel();
      return;
    }
    e.timer->expires_at(std::chrono::time_point_cast<asio::steady_timer::duration>(*next));
    e.timer->async_wait([weak = weak_from_this(), entry = &e](asio::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped || entry->removed) return;
      entry->armed.reset();
      entry->behaviour->on_timer(now());
      self->pump(*entry);
    });
  }

  std::shared_ptr<Channel> attach(Entry& e, const host::ProtocolSpec& spec,
                                  std::shared_ptr<Stream> stream, bool inbound,
                                  const std::optional<host::StreamTrace>& trace = {}) {
    auto ch = std::make_shared<Channel>();
    if (config.spans && (inbound || trace))
      ch->span = begin_span(*config.spans, stream->connection().info().peer, stream->protocol(),
                            inbound, trace);
    ch->ref = {stream->connection().info().id, stream->id()};
    ch->stream = std::move(stream);
    ch->entry = &e;
    ch->spec = &spec;
    if (spec.framing.kind == host::Framing::Kind::bytes)
      ch->credit_waiter = std::make_unique<Waiter>(swarm.executor());
    channels[ch->ref] = ch;
    return ch;
  }

  // The stream's last input. `reset`: it did not end cleanly on both sides.
  void end(Channel& ch, const Error& why, bool reset) {
    if (ch.ended) return;
    ch.ended = true;
    ch.linger.reset();
    if (ch.credit_waiter) ch.credit_waiter->notify();
    if (reset) ch.stream->reset();
    if (ch.span && config.spans)
      finish_span(*config.spans, *ch.span, why, reset || ch.connection_lost, ch.aborted);
    ch.span.reset();
    host::StreamRef ref = ch.ref;
    Entry& e = *ch.entry;
    channels.erase(ref);  // `ch` lives on in its coroutines' references
    if (e.removed) return;
    e.behaviour->on_stream_closed(ref, why, now());
    pump(e);
  }

  void maybe_done(Channel& ch) {
    if (!ch.ended && ch.read_done && ch.write_closed)
      end(ch, make_error(Errc::closed, "stream closed by both sides"), false);
  }

  // From the behaviour's CloseWrite: once the peer has gone close_linger without sending us
  // anything (the rest of its answer, its close), the stream is reset: a peer that never reads
  // or never closes cannot hold it, while one still answering (a long perf download) may.
  void want_close(Channel& ch) {
    ch.close_wanted = true;
    arm_linger(ch);
    if (!ch.writing) close_write(ch);
  }

  void arm_linger(Channel& ch) {
    std::weak_ptr<Stream> weak = ch.stream;
    ch.linger = std::make_unique<Deadline>(swarm.executor(), ch.spec->close_linger, [weak] {
      if (auto s = weak.lock()) s->reset();
    });
  }

  // After a read: false once the stream is over (the host stopped, the stream ended, its protocol
  // was removed, the read failed), ending it where that is still to do.
  bool still_reading(Channel& ch, const Result<size_t>& n) {
    if (stopped || ch.ended) return false;
    if (ch.entry->removed) {
      end(ch, make_error(Errc::closed, "the protocol stopped"), true);
      return false;
    }
    if (!n) {
      end(ch, n.error(), true);
      return false;
    }
    return true;
  }

  // The peer's EOF, after everything before it was handed over.
  void finished(Channel& ch) {
    ch.read_done = true;
    ch.entry->behaviour->on_stream_finished(ch.ref, now());
    pump(*ch.entry);
    if (!stopped) maybe_done(ch);
  }

  // Charges `bytes` buffered for the stream to the resource manager; false (the stream reset and
  // ended, the refusal counted and recorded by the swarm) when a scope is full.
  bool reserve(Channel& ch, size_t bytes) {
    auto refusal = swarm.reserve_stream_memory(ch.ref.connection, ch.ref.stream, bytes);
    if (!refusal) return true;
    end(ch,
        refusal->reason == host::RefusalReason::limit
            ? make_error(Errc::limit, "resource manager: " + refusal->detail)
            : make_error(Errc::closed, refusal->detail),
        true);
    return false;
  }
  void release(Channel& ch, size_t bytes) {
    swarm.release_stream_memory(ch.ref.connection, ch.ref.stream, bytes);
  }
  // Keeps the charge for a partly assembled message equal to what the reader holds.
  bool charge_assembly(Channel& ch, size_t buffered) {
    if (buffered > ch.assembling_bytes) {
      if (!reserve(ch, buffered - ch.assembling_bytes)) return false;
    } else {
      release(ch, ch.assembling_bytes - buffered);
    }
    ch.assembling_bytes = buffered;
    return true;
  }

  // Bytes came in: the stream is active (idle timeouts), and a lingering stream's peer is still
  // there.
  void heard(Channel& ch) {
    swarm.note_stream_activity(ch.ref.connection, ch.ref.stream);
    if (ch.linger) arm_linger(ch);
  }

  void close_write(Channel& ch) {
    ch.stream->close_write();
    ch.write_closed = true;
    maybe_done(ch);
  }

  std::shared_ptr<Channel> channel(const host::StreamRef& ref) {
    auto it = channels.find(ref);
    return it == channels.end() ? nullptr : it->second;
  }

  void execute(Entry& e, host::BehaviourAction action);
  void join_groups(Entry& e);
  void send(Channel& ch, Bytes message, uint64_t token);
  void enqueue(Channel& ch, Channel::Queued item);
  void send_bytes(Channel& ch, host::SharedBytes data, uint64_t token);
  void grant(Channel& ch, size_t bytes);
  static awaitable<void> read_loop(std::shared_ptr<State> self, std::shared_ptr<Channel> ch);
  static awaitable<void> read_messages(std::shared_ptr<State> self, std::shared_ptr<Channel> ch);
  static awaitable<void> read_bytes(std::shared_ptr<State> self, std::shared_ptr<Channel> ch);
  static awaitable<void> write_loop(std::shared_ptr<State> self, std::shared_ptr<Channel> ch);
  static awaitable<void> open(std::shared_ptr<State> self, Entry* e, host::OpenStream req);
  static awaitable<void> serve(std::shared_ptr<State> self, Entry* e, std::string protocol,
                               std::shared_ptr<Stream> stream);
};

void BehaviourHost::State::send(Channel& ch, Bytes message, uint64_t token) {
  if (ch.close_wanted) return;  // after our close: nothing more goes out
  auto frame = host::frame_message(ch.spec->framing, message);
  if (!frame) {
    end(ch, frame.error(), true);
    return;
  }
  enqueue(ch, {.frame = std::move(*frame), .shared = {}, .token = token});
}

// Past send_queue_bytes_max the peer is not reading (or the behaviour does not pace itself): the
// stream is reset rather than buffered without end.
void BehaviourHost::State::enqueue(Channel& ch, Channel::Queued item) {
  const size_t size = item.view().size();
  if (ch.queued_bytes + size > ch.spec->send_queue_bytes_max) {
    end(ch,
        make_error(Errc::limit, "the peer does not read: over " +
                                    std::to_string(ch.spec->send_queue_bytes_max) +
                                    " bytes queued for the stream"),
        true);
    return;
  }
  if (!reserve(ch, size)) return;
  ch.queued_bytes += size;
  ch.queue.push_back(std::move(item));
  if (!ch.writing) {
    ch.writing = true;
    asio::co_spawn(swarm.executor(), write_loop(shared_from_this(), channel(ch.ref)),
                   asio::detached);
  }
}

void BehaviourHost::State::send_bytes(Channel& ch, host::SharedBytes data, uint64_t token) {
  if (ch.close_wanted) return;
  if (!ch.credit_waiter || !data.buffer || data.offset + data.size > data.buffer->size()) {
    end(ch, make_error(Errc::internal, "SendBytes: not a byte stream, or a slice out of range"),
        true);
    return;
  }
  enqueue(ch, {.frame = {}, .shared = std::move(data), .token = token});
}

void BehaviourHost::State::grant(Channel& ch, size_t bytes) {
  if (!ch.credit_waiter) return;  // message protocols read on their own
  ch.read_credit += bytes;
  ch.credit_waiter->notify();
}

void BehaviourHost::State::execute(Entry& e, host::BehaviourAction action) {
  if (auto* open_req = std::get_if<host::OpenStream>(&action)) {
    asio::co_spawn(swarm.executor(), open(shared_from_this(), &e, std::move(*open_req)),
                   asio::detached);
  } else if (auto* msg = std::get_if<host::SendMessage>(&action)) {
    if (auto ch = channel(msg->ref)) send(*ch, std::move(msg->message), msg->token);
  } else if (auto* bytes = std::get_if<host::SendBytes>(&action)) {
    if (auto ch = channel(bytes->ref)) send_bytes(*ch, std::move(bytes->data), bytes->token);
  } else if (auto* read = std::get_if<host::ReadBytes>(&action)) {
    if (auto ch = channel(read->ref)) grant(*ch, read->bytes);
  } else if (auto* close = std::get_if<host::CloseWrite>(&action)) {
    if (auto ch = channel(close->ref); ch && !ch->close_wanted) want_close(*ch);
  } else if (auto* reset = std::get_if<host::AbortStream>(&action)) {
    if (auto ch = channel(reset->ref)) {
      ch->aborted = true;
      end(*ch, make_error(Errc::closed, reset->why), true);
    }
  } else if (auto* dial = std::get_if<host::DialPeer>(&action)) {
    asio::co_spawn(
        swarm.executor(),
        [](std::shared_ptr<State> self, Entry* e, host::DialPeer d) -> awaitable<void> {
          auto conn = co_await self->swarm.dial_peer(d.peer, d.addrs);
          if (self->stopped || e->removed) co_return;
          Status result = conn ? Status{} : Status(conn.error());
          e->behaviour->on_dial_finished({d.peer, std::move(result)}, now());
          self->pump(*e);
        }(shared_from_this(), &e, std::move(*dial)),
        asio::detached);
  } else if (auto* probe = std::get_if<host::ProbeDial>(&action)) {
    asio::co_spawn(
        swarm.executor(),
        [](std::shared_ptr<State> self, Entry* e, host::ProbeDial p) -> awaitable<void> {
          auto reached = co_await self->swarm.probe(p.peer, p.addrs);
          if (self->stopped || e->removed) co_return;
          e->behaviour->on_probe_finished({p.tag, p.peer, std::move(reached)}, now());
          self->pump(*e);
        }(shared_from_this(), &e, std::move(*probe)),
        asio::detached);
  } else if (auto* datagram = std::get_if<host::SendDatagram>(&action)) {
    if (auto it = e.sockets.find(datagram->group); it != e.sockets.end())
      it->second->send(datagram->datagram);
  } else if (auto* close_conn = std::get_if<host::CloseConnection>(&action)) {
    swarm.close_connection(close_conn->connection, close_conn->reason, close_conn->detail);
  } else if (auto* traced = std::get_if<host::TraceStream>(&action)) {
    if (auto ch = channel(traced->ref); ch && ch->span) {
      if (traced->context) {
        ch->span->trace_id = traced->context->trace_id;
        ch->span->parent_span_id = traced->context->span_id;
      }
      ch->span->key = traced->key;
    }
  } else if (auto* punish = std::get_if<host::PunishPeer>(&action)) {
    if (punish->how_long > Duration::zero()) {
      swarm.ban(punish->peer, punish->how_long, punish->why);
    } else {
      swarm.disconnect(punish->peer, punish->why);
    }
  }
}

awaitable<void> BehaviourHost::State::read_messages(std::shared_ptr<State> self,
                                                    std::shared_ptr<Channel> ch) {
  host::MessageReader reader(ch->spec->framing);
  // A buffer no larger than a message needs: small-message protocols keep small streams.
  const size_t chunk =
      std::min(self->config.read_chunk_bytes, ch->spec->framing.message_bytes_max + 10);
  if (!self->reserve(*ch, chunk)) co_return;
  Bytes buf(chunk);
  for (;;) {
    auto n = co_await ch->stream->read_some(buf.data(), buf.size());
    if (!self->still_reading(*ch, n)) co_return;
    if (*n == 0) {
      if (reader.buffered() > 0) {
        self->end(*ch, make_error(Errc::truncated, "the stream ended inside a message"), true);
        co_return;
      }
      self->finished(*ch);
      co_return;
    }
    self->heard(*ch);
    if (ch->span) ch->span->bytes_received += *n;
    reader.feed({buf.data(), *n});
    for (;;) {
      auto message = reader.next();
      if (!message) {
        self->end(*ch, message.error(), true);
        co_return;
      }
      if (!*message) break;
      ch->entry->behaviour->on_message(ch->ref, std::move(**message), now());
      self->pump(*ch->entry);
      if (self->stopped || ch->ended) co_return;
    }
    if (!self->charge_assembly(*ch, reader.buffered())) co_return;
  }
}

awaitable<void> BehaviourHost::State::read_loop(std::shared_ptr<State> self,
                                                std::shared_ptr<Channel> ch) {
  if (ch->credit_waiter) return read_bytes(std::move(self), std::move(ch));
  return read_messages(std::move(self), std::move(ch));
}

// A byte stream is read only while the behaviour has granted credit: without it the stream's
// receive window fills and the peer stops sending.
awaitable<void> BehaviourHost::State::read_bytes(std::shared_ptr<State> self,
                                                 std::shared_ptr<Channel> ch) {
  Bytes buf;  // allocated with the first credit: a stream never read costs no buffer
  for (;;) {
    while (ch->read_credit == 0 && !ch->ended && !self->stopped) co_await ch->credit_waiter->wait();
    if (self->stopped || ch->ended) co_return;
    if (buf.empty()) {
      if (!self->reserve(*ch, self->config.byte_read_chunk_bytes)) co_return;
      buf.resize(self->config.byte_read_chunk_bytes);
    }
    const size_t want = std::min(buf.size(), ch->read_credit);
    auto n = co_await ch->stream->read_some(buf.data(), want);
    if (!self->still_reading(*ch, n)) co_return;
    if (*n == 0) {
      self->finished(*ch);
      co_return;
    }
    self->heard(*ch);
    if (ch->span) ch->span->bytes_received += *n;
    ch->read_credit -= *n;
    ch->entry->behaviour->on_bytes(ch->ref, {buf.data(), *n}, now());
    self->pump(*ch->entry);
  }
}

awaitable<void> BehaviourHost::State::write_loop(std::shared_ptr<State> self,
                                                 std::shared_ptr<Channel> ch) {
  while (!ch->queue.empty()) {
    Channel::Queued item = std::move(ch->queue.front());
    ch->queue.pop_front();
    Status st = co_await ch->stream->write_all(item.view());
    ch->queued_bytes -= item.view().size();
    if (self->stopped) co_return;  // the swarm may be gone
    self->release(*ch, item.view().size());
    if (ch->ended) co_return;
    self->swarm.note_stream_activity(ch->ref.connection, ch->ref.stream);
    if (st && ch->span) ch->span->bytes_sent += item.view().size();
    if (!st) {
      ch->writing = false;
      self->end(*ch, st.error(), true);
      co_return;
    }
    if (item.token != 0 && !ch->entry->removed) {
      ch->entry->behaviour->on_message_sent(ch->ref, item.token, now());
      self->pump(*ch->entry);
      if (self->stopped || ch->ended) co_return;
    }
  }
  ch->writing = false;
  if (ch->close_wanted && !ch->write_closed) self->close_write(*ch);
}

awaitable<void> BehaviourHost::State::open(std::shared_ptr<State> self, Entry* e,
                                           host::OpenStream req) {
  const int64_t asked_ns =
      observe::wall_clock_ns();  // a request's span covers dialling and negotiating too
  auto fail = [&](Error error) {
    if (req.trace && self->config.spans) {  // a traced request that never got a stream
      auto span = begin_span(*self->config.spans, req.peer, req.protocol, false, req.trace);
      span->start_ns = asked_ns;
      finish_span(*self->config.spans, *span, error, true, false);
    }
    if (e->removed) return;
    e->behaviour->on_stream_open_failed(
        host::StreamOpenFailed{req.tag, req.peer, req.protocol, std::move(error)}, now());
    self->pump(*e);
  };
  if (req.connection != 0) {
    std::shared_ptr<Connection> on = self->swarm.connection(req.connection);
    if (!on || on->info().peer != req.peer) {
      fail(make_error(Errc::closed, "the connection is gone"));
      co_return;
    }
  }
  std::shared_ptr<Connection> conn = req.connection != 0 ? self->swarm.connection(req.connection)
                                                         : self->swarm.connection_to(req.peer);
  if (!conn && !req.addrs.empty()) {
    auto dialed = co_await self->swarm.dial_peer(req.peer, req.addrs);
    if (self->stopped || e->removed) co_return;
    if (!dialed) {
      fail(dialed.error());
      co_return;
    }
    conn = *dialed;
  }
  if (!conn) {
    fail(make_error(Errc::not_found, "not connected to the peer"));
    co_return;
  }
  std::vector<std::string> protocols{req.protocol};  // named: see upgrade.cpp on GCC 12
  protocols.insert(protocols.end(), req.fallback_protocols.begin(), req.fallback_protocols.end());
  for (const std::string& p : protocols) {
    if (!e->specs.contains(p)) {
      fail(make_error(Errc::internal, "protocol not declared by the behaviour: " + p));
      co_return;
    }
  }
  auto stream = co_await self->swarm.open_stream(conn, protocols);
  if (self->stopped || e->removed) co_return;
  if (!stream) {
    fail(stream.error());
    co_return;
  }
  const std::string agreed = (*stream)->protocol();
  auto spec = e->specs.find(agreed);
  if (spec == e->specs.end()) {
    (*stream)->reset();
    fail(make_error(Errc::internal, "the agreed protocol was not offered: " + agreed));
    co_return;
  }
  auto ch = self->attach(*e, spec->second, std::move(*stream), false, req.trace);
  if (ch->span) ch->span->start_ns = asked_ns;
  host::StreamOpened opened{
      ch->ref, req.peer, agreed, host::Direction::outbound, req.tag, conn->info().remote_addr};
  e->behaviour->on_stream_opened(opened, now());
  self->pump(*e);
  if (self->stopped || ch->ended) co_return;
  co_await read_loop(self, ch);
}

awaitable<void> BehaviourHost::State::serve(std::shared_ptr<State> self, Entry* e,
                                            std::string protocol, std::shared_ptr<Stream> stream) {
  if (self->stopped || e->removed) {
    stream->reset();
    co_return;
  }
  const ConnectionInfo& info = stream->connection().info();
  host::StreamOpened opened{{info.id, stream->id()},  info.peer, protocol,
                            host::Direction::inbound, 0,         info.remote_addr};
  auto ch = self->attach(*e, e->specs.at(protocol), std::move(stream), true);
  e->behaviour->on_stream_opened(opened, now());
  self->pump(*e);
  if (self->stopped || ch->ended) co_return;
  co_await read_loop(self, ch);
}

BehaviourHost::BehaviourHost(Swarm& swarm, BehaviourHostConfig config)
    : state_(std::make_shared<State>(swarm, config)) {
  // A connection's end ends its streams, read or not (registered first: streams close before
  // the behaviours hear of the connection).
  std::weak_ptr<State> weak = state_;
  swarm.on_connection_closed([weak](Connection& c, const Error& reason) {
    auto self = weak.lock();
    if (!self || self->stopped) return;
    std::vector<std::shared_ptr<Channel>> gone;
    for (auto& [ref, ch] : self->channels)
      if (ref.connection == c.info().id) gone.push_back(ch);
    for (auto& ch : gone) {
      ch->connection_lost = true;
      self->end(*ch, reason, false);
    }
  });
}

BehaviourHost::~BehaviourHost() {
  state_->stopped = true;
  for (auto& e : state_->entries) {
    e->timer->cancel();
    e->sockets.clear();
  }
  auto channels = std::move(state_->channels);
  for (auto& [ref, ch] : channels) {
    ch->ended = true;
    ch->linger.reset();
    if (ch->credit_waiter) ch->credit_waiter->notify();  // a reader waiting for credit ends
    ch->stream->reset();
  }
}

void BehaviourHost::add(host::Behaviour& behaviour, std::function<void()> on_progress) {
  auto entry = std::make_unique<Entry>();
  Entry* e = entry.get();
  e->behaviour = &behaviour;
  e->on_progress = std::move(on_progress);
  e->timer = std::make_unique<asio::steady_timer>(state_->swarm.executor());
  for (auto& spec : behaviour.protocols()) e->specs[spec.name] = spec;
  state_->entries.push_back(std::move(entry));
  std::weak_ptr<State> weak = state_;
  for (auto& [name, spec] : e->specs) {
    if (!spec.inbound) {
      state_->swarm.add_outbound_protocol(name, spec.config.limits, spec.config.idle_timeout);
      continue;
    }
    state_->swarm.set_handler(
        name,
        [weak, e, name = name](std::shared_ptr<Stream> stream) -> awaitable<void> {
          auto self = weak.lock();
          if (!self)
            return [](std::shared_ptr<Stream> s) -> awaitable<void> {
              s->reset();
              co_return;
            }(std::move(stream));
          return State::serve(std::move(self), e, name, std::move(stream));
        },
        spec.config.limits, spec.config.idle_timeout);
  }
  auto opened = [weak, e](const std::shared_ptr<Connection>& c) {
    auto self = weak.lock();
    // Closed already (an earlier observer, or a behaviour, ended it): its end was heard first.
    if (!self || self->stopped || e->removed || c->closed()) return;
    const ConnectionInfo& info = c->info();
    e->behaviour->on_connection_opened(
        {info.id, info.peer, info.inbound ? host::Direction::inbound : host::Direction::outbound,
         info.remote_addr},
        now());
    self->pump(*e);
  };
  state_->join_groups(*e);
  for (auto& c : state_->swarm.connections()) opened(c);
  state_->swarm.on_connection(opened);
  state_->swarm.on_connection_closed([weak, e](Connection& c, const Error& reason) {
    auto self = weak.lock();
    if (!self || self->stopped || e->removed) return;
    const ConnectionInfo& info = c.info();
    bool last = self->swarm.connection_to(info.peer) == nullptr;
    e->behaviour->on_connection_ended({info.id, info.peer, reason, last}, now());
    self->pump(*e);
  });
  state_->pump(*e);
}

// Each group's socket is opened now; the behaviour hears at once whether the join worked.
void BehaviourHost::State::join_groups(Entry& e) {
  std::weak_ptr<State> weak = weak_from_this();
  for (const host::MulticastGroup& group : e.behaviour->multicast_groups()) {
    auto on_datagram = [weak, entry = &e, name = group.name](BytesView datagram) {
      auto self = weak.lock();
      if (!self || self->stopped || entry->removed) return;
      entry->behaviour->on_datagram(name, datagram, now());
      self->pump(*entry);
    };
    auto socket = MulticastSocket::open(swarm.executor(),
                                        {.group = group.address,
                                         .port = group.port,
                                         .interface_address = group.interface_address,
                                         .datagram_bytes_max = group.datagram_bytes_max},
                                        on_datagram);
    Result<std::string> joined = socket ? Result<std::string>((*socket)->interface_address())
                                        : Result<std::string>(socket.error());
    if (socket) e.sockets[group.name] = std::move(socket).value();
    e.behaviour->on_multicast_joined(group.name, joined, now());
  }
}

void BehaviourHost::wake(host::Behaviour& behaviour) {
  if (Entry* e = state_->find(behaviour)) state_->pump(*e);
}

void BehaviourHost::remove(host::Behaviour& behaviour) {
  Entry* e = state_->find(behaviour);
  if (!e) return;
  e->removed = true;
  e->timer->cancel();
  e->sockets.clear();
  std::vector<std::shared_ptr<Channel>> mine;
  for (auto& [ref, ch] : state_->channels)
    if (ch->entry == e) mine.push_back(ch);
  for (auto& ch : mine) state_->end(*ch, make_error(Errc::closed, "the protocol stopped"), true);
}

size_t BehaviourHost::streams() const { return state_->channels.size(); }

}  // namespace agora::rt
