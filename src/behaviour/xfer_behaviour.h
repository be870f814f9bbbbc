// /agora/xfer/1.0.0 (docs/xfer.md) as a host::Behaviour on the byte-stream path: both the server
// (a file's skeleton, its have-map, then the leaves asked for, back to back) and the downloader
// (one stream per serving peer, the skeleton verified as it arrives, every leaf checked against
// its CID and size, the scheduling of proto/xfer/download.h across peers).
//
// The server reads from an injected XferBlocks (layouts, which leaves are held, hash-checked
// leaf reads). A leaf's bytes go out as they were read, behind a header (no copy into a frame),
// and a stream holds at most blocks_queued_max of them queued; the rest wait as indices.
//
// The owner starts a download with the root and the peers to ask; the first verified skeleton
// comes out as XferSkeleton, and the owner answers with start() and the leaves it already holds.
// Each verified leaf comes out as XferLeaf (in arrival order, not file order); the download ends
// in exactly one XferDone or XferFailed. A peer that breaks the protocol or sends bytes that fail
// a check is cut off and banned (PunishPeer) and reported (XferMisbehaved); its leaves go to the
// others. A peer that answers ERROR not_a_file ends the download with Errc::unsupported (the
// owner fetches it over bitswap).
//
// Bounds: XferLimits on every frame and count; streams served per peer and in all; downloads at
// once; each stream's read credit; a stream where nothing moves for stall_timeout is reset.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <variant>

#include "host/behaviour.h"
#include "proto/xfer/download.h"
#include "proto/xfer/frame.h"
#include "proto/xfer/layout.h"

namespace agora::behaviour {

inline constexpr std::string_view kXferProtocol = xfer::kProtocolId;
inline constexpr std::string_view kXferTracedProtocol = xfer::kProtocolIdTraced;

class XferBlocks {
 public:
  virtual ~XferBlocks() = default;
  // The layout of a file held here (the implementation may cache it). Errc::not_found,
  // Errc::unsupported (not a file) and Errc::too_large are answered as ERROR frames.
  virtual Result<std::shared_ptr<const xfer::FileLayout>> layout(const Cid& root) = 0;
  // The leaves of `layout` held here; nullopt: all of them.
  virtual std::optional<std::vector<bool>> holds(const xfer::FileLayout& layout) = 0;
  // A leaf's bytes, checked against `cid`; nullopt when missing or corrupt (answered MISSING).
  virtual std::optional<Bytes> read_leaf(const Cid& cid) = 0;
};

struct XferConfig {
  xfer::XferLimits limits;
  xfer::DownloadConfig download;
  bool serve = true;
  size_t streams_per_peer_max = 4;
  size_t streams_max = 256;
  size_t blocks_queued_max = 2;  // read and queued for one served stream
  size_t read_credit_bytes = 1 << 20;
  size_t downloads_max = 16;
  Duration stall_timeout = std::chrono::seconds(30);
  Duration misbehaviour_ban = std::chrono::minutes(10);
  // Fairness: at most upload_slots downloader streams are served at once (unchoked); the others
  // wait, choked. Every rechoke_interval the slots go to the peers that sent us the most lately
  // (reciprocity; the count halves at each rechoke), ties to whoever waited longest, and one slot
  // is optimistic: it rotates every optimistic_every rechokes to a choked stream, newcomers first,
  // so a new peer can start and a seed, which downloads nothing, serves everyone in turn.
  size_t upload_slots = 8;
  Duration rechoke_interval = std::chrono::seconds(10);
  size_t optimistic_every = 3;
  // Seeding (serving a file held whole): new leaves first, as BitTorrent's super-seeding means to.
  // While some leaf has gone to no downloader yet, a WANT for a leaf this node sent to another
  // downloader less than seed_resend_after ago is answered MISSING: the downloaders pass that leaf
  // among themselves and the seed's upload goes to leaves nobody has. Such a leaf is offered
  // again (HAVE) after seed_resend_after, and every one at once (HAVE_ALL) when each leaf has
  // gone out once. At most seed_refusals_max refusals wait per stream; past it WANTs are served.
  bool seed_new_leaves_first = true;
  Duration seed_resend_after = std::chrono::seconds(5);
  size_t seed_refusals_max = 4096;
};

using XferDownloadId = uint64_t;

struct XferSkeleton {
  XferDownloadId id = 0;
  std::shared_ptr<const xfer::FileLayout> layout;
};
struct XferLeaf {
  XferDownloadId id = 0;
  uint64_t index = 0;
  PeerId from;
  std::shared_ptr<const Bytes> block;  // hashes to the leaf's CID
  std::optional<Bytes> data;           // a dag-pb leaf's file bytes (raw leaves: the block)
};
struct XferDone {
  XferDownloadId id = 0;
};
struct XferFailed {
  XferDownloadId id = 0;
  Error error;
};
struct XferMisbehaved {
  PeerId peer;
  std::string reason;
};
using XferEvent = std::variant<XferSkeleton, XferLeaf, XferDone, XferFailed, XferMisbehaved>;

struct XferStats {
  uint64_t leaves_sent = 0;  // written to their streams (not merely queued)
  uint64_t leaf_bytes_sent = 0;
  uint64_t leaves_received = 0;
  uint64_t leaf_bytes_received = 0;
  uint64_t streams_served = 0;
  uint64_t streams_refused = 0;  // busy
  uint64_t peers_misbehaved = 0;
  uint64_t seed_refusals = 0;  // WANTs answered MISSING to send new leaves first (seeding)
};

class XferBehaviour final : public host::Behaviour {
 public:
  XferBehaviour(XferConfig config, XferBlocks& blocks);

  // Asks each of `peers` (they speak xfer) for `root`. Errc::limit past downloads_max.
  // With `trace`, its streams are opened over /agora/xfer/1.1.0 (1.0.0 for a peer that speaks
  // only that) with the context in OPEN, and the runtime records a span for each.
  Result<XferDownloadId> download(const Cid& root, const std::vector<PeerId>& peers,
                                  bool sequential, Instant now,
                                  std::optional<host::StreamTrace> trace = std::nullopt);
  // Another peer to ask (a provider found later, or one that had nothing when first asked).
  // Ignored for an unknown download and for a peer it has or is opening a stream to.
  void add_peer(XferDownloadId id, const PeerId& peer, Instant now);
  // After XferSkeleton: `have` marks the leaves the owner already holds (empty: none);
  // `start_leaf` (the owner's random pick) is where rarest-first ties begin.
  void start(XferDownloadId id, std::vector<bool> have, uint64_t start_leaf, Instant now);
  // Ends the download at once (no XferDone or XferFailed follows).
  void cancel(XferDownloadId id);
  // Leaves of `root` stored here since its streams were opened (a download in progress):
  // every stream serving it sends them as HAVE updates.
  void have_leaves(const Cid& root, const std::vector<uint64_t>& indices);
  std::optional<XferEvent> poll_event();
  // The peers a download has a stream to, each with whether it chokes us now (progress).
  std::vector<std::pair<PeerId, bool>> sources(XferDownloadId id) const;
  const XferStats& stats() const { return stats_; }
  size_t served_streams() const { return served_.size(); }
  size_t downloads() const { return downloads_.size(); }

  std::vector<host::ProtocolSpec> protocols() const override;
  void on_stream_opened(const host::StreamOpened& s, Instant now) override;
  void on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) override;
  void on_message(host::StreamRef ref, Bytes message, Instant now) override;
  void on_bytes(host::StreamRef ref, BytesView data, Instant now) override;
  void on_message_sent(host::StreamRef ref, uint64_t token, Instant now) override;
  void on_stream_finished(host::StreamRef ref, Instant now) override;
  void on_stream_closed(host::StreamRef ref, const Error& why, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  // --- Serving (xfer_serve.cpp).
  struct Served {
    PeerId peer;
    bool traced = false;  // over 1.1.0: OPEN may carry a trace context
    xfer::FrameReader reader{xfer::FrameReader::Side::server, {}};
    std::shared_ptr<const xfer::FileLayout> layout;  // after OPEN
    // OPEN for a file we are downloading ourselves and whose skeleton has not arrived yet: the
    // answer waits for it (bounded by the stall timeout).
    std::optional<Cid> waiting_for;
    std::deque<xfer::LeafRange> queue;  // asked, not yet read
    uint64_t queued_leaves = 0;
    size_t blocks_queued = 0;                               // sent, token not back
    std::deque<std::pair<uint64_t, uint64_t>> queued_sent;  // those leaves: index, bytes
    bool peer_closed = false;
    bool closing = false;  // ERROR sent or all answered after the peer's close
    bool ready = false;    // the skeleton and have-map are out: WANTs are served (or choked)
    bool choked = false;   // WANTs are dropped, nothing is served; no stall deadline
    bool optimistic = false;
    Instant last_unchoked{};  // Instant{} for never: newcomers come first
    Instant deadline{};
    bool seeding = false;  // served from a whole copy: new leaves first (xfer_seed.cpp)
    // Every WANT so far began past the last leaf asked before: a reader in file order (`cat`),
    // whom a refusal would stall; the seeding rule leaves it alone.
    bool in_file_order = true;
    uint64_t asked_end = 0;                    // one past the highest leaf asked
    std::multimap<Instant, uint64_t> refused;  // leaves answered MISSING, by when to offer again
  };
  // A file served whole, while streams serve it: when each leaf last went to a downloader.
  struct Seeding {
    std::vector<Instant> sent_at;  // Instant{}: never
    uint64_t unsent = 0;
    size_t streams = 0;
  };
  void serve(const host::StreamOpened& s, Instant now);
  void served_bytes(host::StreamRef ref, Served& st, BytesView data, Instant now);
  Status served_frame(host::StreamRef ref, Served& st, xfer::Frame frame, Instant now);
  void open_file(host::StreamRef ref, Served& st, const Cid& root, Instant now);
  // Our own download's skeleton arrived: OPENs that waited for it are answered.
  void skeleton_known(const Cid& root, const std::shared_ptr<const xfer::FileLayout>& layout,
                      Instant now);
  void send_skeleton(host::StreamRef ref, Served& st);
  void send_leaves(host::StreamRef ref, Served& st, Instant now);
  void send_error(host::StreamRef ref, Served& st, xfer::ErrorCode code, const std::string& why);
  void cancel_queued(Served& st, const std::vector<xfer::LeafRange>& ranges);
  void send_have(host::StreamRef ref, const std::vector<uint64_t>& indices);
  // Seeding, new leaves first (xfer_seed.cpp).
  void seed_begin(Served& st);
  bool seed_refuses(Served& st, uint64_t index, Instant now);
  void seed_sent(const Served& st, uint64_t index, Instant now);
  void seed_offer_again(Instant now);
  void seed_end(Served& st);
  // Who is served now (xfer_choke.cpp).
  void rechoke(Instant now);
  void sort_by_claim(std::vector<host::StreamRef>& streams) const;
  void fill_free_slots(Instant now);
  void set_choked(host::StreamRef ref, Served& st, bool choked, Instant now);
  void admit(host::StreamRef ref, Served& st, Instant now);

  // --- Downloading (xfer_download.cpp).
  struct Fetch;
  struct Getter {  // our stream to one serving peer
    XferDownloadId id = 0;
    xfer::PeerKey key = 0;  // the scheduler's name for this stream
    PeerId peer;
    xfer::FrameReader reader{xfer::FrameReader::Side::downloader, {}};
    std::optional<xfer::SkeletonReader> skeleton;  // while the download has no layout yet
    size_t nodes_seen = 0;                         // once it has one: NODEs compared with it
    bool skeleton_done = false;
    bool has_all = false;
    bool choked = false;          // the server serves others for now: no stall deadline
    std::vector<bool> have_bits;  // HAVEs heard before the scheduler took the peer
    bool scheduled = false;
    Instant deadline{};
  };
  struct Fetch {
    Cid root;
    bool sequential = false;
    std::optional<host::StreamTrace> trace;
    std::shared_ptr<const xfer::FileLayout> layout;
    std::optional<xfer::Download> schedule;  // after start()
    std::map<host::StreamRef, Getter*> streams;
    size_t opening = 0;
    Error last_error{Errc::not_found, "no peer to ask"};
  };
  void open_getter(XferDownloadId id, const PeerId& peer);
  void getter_opened(const host::StreamOpened& s, Instant now);
  void getter_bytes(host::StreamRef ref, Getter& g, BytesView data, Instant now);
  Status getter_frame(host::StreamRef ref, Getter& g, Fetch& f, xfer::Frame frame, Instant now);
  Status getter_node(Getter& g, Fetch& f, Bytes body);
  Status getter_skeleton_end(Getter& g, Fetch& f, BytesView body, Instant now);
  Status getter_leaf(host::StreamRef ref, Getter& g, Fetch& f, xfer::Frame frame, Instant now);
  void schedule_getter(host::StreamRef ref, Getter& g, Fetch& f, Instant now);
  void pump_wants(host::StreamRef ref, Getter& g, Fetch& f, Instant now);
  void getter_gone(host::StreamRef ref, const Error& why, Instant now);
  void finish(XferDownloadId id, std::optional<Error> error);
  void check_stuck(XferDownloadId id);

  // --- Shared.
  void misbehaved(host::StreamRef ref, const PeerId& peer, const std::string& why);
  void emit(XferEvent e) { events_.push_back(std::move(e)); }

  XferConfig config_;
  XferBlocks& blocks_;
  std::map<host::StreamRef, Served> served_;
  std::map<PeerId, size_t> served_by_peer_;
  std::map<Cid, Seeding> seeding_;
  std::map<uint64_t, std::pair<XferDownloadId, PeerId>> opening_;  // OpenStream tag
  std::map<host::StreamRef, Getter> getters_;
  std::map<XferDownloadId, Fetch> downloads_;
  XferDownloadId next_id_ = 1;
  uint64_t next_tag_ = 1;
  uint64_t next_token_ = 1;
  xfer::PeerKey next_key_ = 1;
  std::map<PeerId, double> received_from_;  // leaf bytes each peer sent us lately (reciprocity)
  std::optional<Instant> next_rechoke_;
  size_t rechokes_ = 0;
  std::deque<host::BehaviourAction> actions_;
  std::deque<XferEvent> events_;
  XferStats stats_;
};

}  // namespace agora::behaviour
