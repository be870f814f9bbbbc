#include "app/api_content.h"

#include <httplib.h>

#include <future>
#include <nlohmann/json.hpp>

#include "app/api_http.h"
#include "app/api_json.h"

namespace agora {

namespace {

using nlohmann::json;
constexpr Duration kStallTimeout = std::chrono::seconds(30);

bool param_true(const httplib::Request& req, const char* name, bool fallback) {
  if (!req.has_param(name)) return fallback;
  std::string v = req.get_param_value(name);
  return v == "1" || v == "true" || v.empty();
}

// get's size checks: `max_size` (bytes, decimal; absent or 0: no limit) caps what the export
// writes.
Result<unixfs::ExportLimits> export_limits(const httplib::Request& req) {
  unixfs::ExportLimits limits;
  if (!req.has_param("max_size")) return limits;
  AGORA_ASSIGN(uint64_t bytes, parse_u64(req.get_param_value("max_size"), "max_size"));
  if (bytes > 0) limits.output_bytes_max = bytes;
  return limits;
}

// What a get of the whole DAG may fetch under --max-size: the content plus its dag-pb nodes
// (under 1/64 of it for UnixFS) and a MiB of slack. A path below the root is not capped: the
// fetch takes the root's whole DAG, which may be far larger than the part asked for.
uint64_t fetch_cap(const unixfs::ExportLimits& limits, const std::string& path) {
  if (!path.empty() || limits.output_bytes_max == UINT64_MAX) return 0;
  uint64_t max = limits.output_bytes_max;
  return max + std::min<uint64_t>(max / 64 + (1 << 20), UINT64_MAX - max);
}

// "<cid>[/path]" -> root CID and the path below it.
Result<std::pair<Cid, std::string>> parse_cid_path(std::string arg) {
  if (arg.rfind("/ipfs/", 0) == 0) arg = arg.substr(6);
  size_t slash = arg.find('/');
  AGORA_ASSIGN(Cid root, Cid::parse(arg.substr(0, slash)));
  return std::pair{root, slash == std::string::npos ? std::string() : arg.substr(slash + 1)};
}

Result<AddOptions> add_options(const httplib::Request& req) {
  AddOptions o;
  if (req.has_param("profile")) {
    AGORA_ASSIGN(o.import.profile, unixfs::profile_by_name(req.get_param_value("profile")));
  }
  o.only_hash = param_true(req, "only_hash", false);
  o.pin = param_true(req, "pin", true);
  return o;
}

json progress_json(const FetchProgress& p) {
  return {{"blocks_fetched", p.blocks_fetched}, {"blocks_local", p.blocks_local},
          {"bytes_fetched", p.bytes_fetched},   {"bytes_local", p.bytes_local},
          {"in_flight", p.blocks_in_flight},    {"sources", p.blocks_by_peer}};
}

// Dials the given peers, then fetches the DAG under `root` over bitswap (a no-op when every
// block is already stored). Progress lines go to `queue` when there is one.
Result<FetchProgress> fetch(Node& node, const Cid& root, std::vector<Multiaddr> peers,
                            std::shared_ptr<LineQueue> queue, uint64_t fetched_bytes_max = 0) {
  if (!node.bitswap()) return make_error(Errc::unsupported, "this node has no blockstore");
  return run_on_loop<Result<FetchProgress>>(
      node.io(),
      [&node, root, peers, queue, fetched_bytes_max]() -> rt::awaitable<Result<FetchProgress>> {
        for (const Multiaddr& addr : peers) {
          auto conn = co_await node.connect(addr);
          if (!conn) co_return conn.error();
        }
        FetchProgressFn report;
        if (queue)
          report = [queue](const FetchProgress& p) { queue->push(progress_json(p).dump()); };
        co_return co_await node.bitswap()->fetch_dag(root, kStallTimeout, report,
                                                     fetched_bytes_max);
      });
}

Result<std::vector<Multiaddr>> peer_params(const httplib::Request& req) {
  std::vector<Multiaddr> out;
  size_t n = req.get_param_value_count("peer");
  for (size_t i = 0; i < n; ++i) {
    AGORA_ASSIGN(Multiaddr a, Multiaddr::parse(req.get_param_value("peer", i)));
    out.push_back(std::move(a));
  }
  return out;
}

// Raw leaves are files to a user.
const char* entry_type(unixfs::NodeType t) {
  return t == unixfs::NodeType::raw ? "file" : unixfs::node_type_name(t);
}

json add_json(const std::string& name, const unixfs::ImportedNode& n) {
  return {{"name", name}, {"cid", n.cid.to_string()}, {"size", n.size}, {"dag_bytes", n.tsize}};
}

// DHT hook: what was added is provided ([dht] provide), from the node's loop.
void announce(Node& node, const Cid& root) {
  asio::post(node.io(), [&node, root] { node.content_added(root); });
}

void add_routes(httplib::Server& s, Node& node, Content& content) {
  // Imports a local file or tree; streams {"bytes": n} lines, then the result (or an error).
  s.Post("/api/v0/add", [&node, &content](const httplib::Request& req, httplib::Response& res) {
    auto options = add_options(req);
    if (!options) return send_error(res, options.error());
    std::filesystem::path path = req.get_param_value("path");
    if (!path.is_absolute())
      return send_error(res, make_error(Errc::invalid_input, "path must be absolute"));
    std::error_code ec;
    auto type = std::filesystem::symlink_status(path, ec).type();
    if (type == std::filesystem::file_type::not_found)
      return send_error(res, make_error(Errc::not_found, path.string() + ": no such file"));
    if (type == std::filesystem::file_type::directory && !param_true(req, "recursive", false))
      return send_error(
          res, make_error(Errc::invalid_input, path.string() + " is a directory (use -r)"));
    AddOptions o = *options;
    res.set_chunked_content_provider(
        "application/x-ndjson", [&node, &content, o, path](size_t, httplib::DataSink& sink) {
          auto last = std::chrono::steady_clock::now();
          auto progress = [&](uint64_t bytes) {
            auto now = std::chrono::steady_clock::now();
            if (now - last < std::chrono::milliseconds(100)) return;
            last = now;
            std::string line = json{{"bytes", bytes}}.dump() + "\n";
            sink.write(line.data(), line.size());
          };
          auto root = content.add_path(path, o, progress);
          if (root && !o.only_hash) announce(node, root->cid);
          std::string line =
              (root ? add_json(path.filename().string(), *root) : error_json(root.error())).dump() +
              "\n";
          sink.write(line.data(), line.size());
          sink.done();
          return true;
        });
  });
  // Imports one file from the request body.
  s.Post("/api/v0/add-stream",
         [&node, &content](const httplib::Request& req, httplib::Response& res,
                           const httplib::ContentReader& reader) {
           auto options = add_options(req);
           if (!options) return send_error(res, options.error());
           auto add = content.add_stream(*options);
           Status st;
           reader([&](const char* data, size_t n) {
             st = add->write({reinterpret_cast<const uint8_t*>(data), n});
             return st.ok();
           });
           if (!st) return send_error(res, st.error());
           auto root = add->finish();
           if (!root) return send_error(res, root.error());
           if (!options->only_hash) announce(node, root->cid);
           send_json(res, add_json(req.get_param_value("name"), *root));
         });
}

// `arg` = <cid>[/path]: dials the `peer` params, fetches the DAG under the CID, resolves the path.
Result<Cid> fetch_and_resolve(Node& node, Content& content, const httplib::Request& req) {
  AGORA_ASSIGN(auto arg, parse_cid_path(req.get_param_value("arg")));
  AGORA_ASSIGN(auto peers, peer_params(req));
  AGORA_TRY(fetch(node, arg.first, std::move(peers), nullptr));
  return content.resolve(arg.first, arg.second);
}

void read_routes(httplib::Server& s, Node& node, Content& content) {
  s.Get("/api/v0/cat", [&node, &content](const httplib::Request& req, httplib::Response& res) {
    auto cid = fetch_and_resolve(node, content, req);
    if (!cid) return send_error(res, cid.error());
    res.set_chunked_content_provider(
        "application/octet-stream", [&content, c = *cid](size_t, httplib::DataSink& sink) {
          BlockstoreSource source(content.blocks());
          Status st = unixfs::read_file(source, c, [&](BytesView b) -> Status {
            if (!sink.write(reinterpret_cast<const char*>(b.data()), b.size()))
              return make_error(Errc::closed, "client went away");
            return {};
          });
          if (st) sink.done();
          return st.ok();  // false aborts the response: the client sees a truncated body
        });
  });
  s.Get("/api/v0/ls", [&node, &content](const httplib::Request& req, httplib::Response& res) {
    auto cid = fetch_and_resolve(node, content, req);
    if (!cid) return send_error(res, cid.error());
    BlockstoreSource source(content.blocks());
    auto st = unixfs::stat(source, *cid);
    if (!st) return send_error(res, st.error());
    json entries = json::array();
    if (st->type == unixfs::NodeType::directory) {
      auto list = unixfs::list_directory(source, *cid);
      if (!list) return send_error(res, list.error());
      for (const auto& e : *list) {
        auto child = unixfs::stat(source, e.cid);
        entries.push_back({{"name", e.name},
                           {"cid", e.cid.to_string()},
                           {"size", child ? child->size : 0},
                           {"type", child ? entry_type(child->type) : "unknown"}});
      }
    } else {
      entries.push_back({{"name", ""},
                         {"cid", cid->to_string()},
                         {"size", st->size},
                         {"type", entry_type(st->type)}});
    }
    send_json(res, {{"cid", cid->to_string()}, {"entries", entries}});
  });
  // Fetches a DAG and writes it to `dest` atomically; streams progress lines, then the result.
  s.Post("/api/v0/get", [&node, &content](const httplib::Request& req, httplib::Response& res) {
    auto arg = parse_cid_path(req.get_param_value("arg"));
    if (!arg) return send_error(res, arg.error());
    auto peers = peer_params(req);
    if (!peers) return send_error(res, peers.error());
    std::filesystem::path dest = req.get_param_value("dest");
    if (!dest.is_absolute())
      return send_error(res, make_error(Errc::invalid_input, "dest must be absolute"));
    auto limits = export_limits(req);
    if (!limits) return send_error(res, limits.error());
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [&node, &content, root = arg->first, path = arg->second, peers = *peers, dest,
         limits = *limits](size_t, httplib::DataSink& sink) {
          auto write = [&](const json& j) { write_line(sink, j); };
          auto queue = std::make_shared<LineQueue>();
          auto started = std::chrono::steady_clock::now();
          auto job = std::async(std::launch::async, [&] {
            auto r = fetch(node, root, peers, queue, fetch_cap(limits, path));
            queue->close();
            return r;
          });
          queue->write_all(sink);
          auto fetched = job.get();
          if (!fetched) {
            write(error_json(fetched.error()));
          } else {
            auto cid = content.resolve(root, path);
            Status st = cid ? content.export_to(*cid, dest, limits) : Status(cid.error());
            double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (!st) {
              write(error_json(st.error()));
            } else {
              json done = progress_json(*fetched);
              done["cid"] = cid->to_string();
              done["dest"] = dest.string();
              done["dag_bytes"] = fetched->bytes_fetched + fetched->bytes_local;
              // What the user got: a file's size; for a tree, the bytes of its blocks.
              BlockstoreSource source(content.blocks());
              auto st = unixfs::stat(source, *cid);
              bool is_file = st && st->type != unixfs::NodeType::directory;
              done["bytes"] = is_file ? st->size : fetched->bytes_fetched + fetched->bytes_local;
              done["seconds"] = seconds;
              done["done"] = true;
              write(done);
            }
          }
          sink.done();
          return true;
        });
  });
}

json pin_json(const store::Pin& p) {
  return {{"cid", p.cid.to_string()},
          {"type", p.type == store::PinType::recursive ? "recursive" : "direct"},
          {"name", p.name}};
}

void pin_routes(httplib::Server& s, Node& node, Content& content) {
  s.Post("/api/v0/pin/add", [&node, &content](const httplib::Request& req, httplib::Response& res) {
    auto arg = parse_cid_path(req.get_param_value("arg"));
    if (!arg) return send_error(res, arg.error());
    bool recursive = param_true(req, "recursive", true);
    auto fetched = fetch(node, arg->first, {}, nullptr);
    if (!fetched) return send_error(res, fetched.error());
    auto cid = content.resolve(arg->first, arg->second);
    if (!cid) return send_error(res, cid.error());
    Status st = content.pin(*cid, recursive ? store::PinType::recursive : store::PinType::direct,
                            req.get_param_value("name"));
    if (!st) return send_error(res, st.error());
    send_json(res, {{"cid", cid->to_string()}, {"pinned", recursive ? "recursive" : "direct"}});
  });
  s.Post("/api/v0/pin/rm", [&content](const httplib::Request& req, httplib::Response& res) {
    auto cid = Cid::parse(req.get_param_value("arg"));
    if (!cid) return send_error(res, cid.error());
    store::PinRemoveOptions o;
    if (req.has_param("name")) o.name = req.get_param_value("name");
    o.recursive = param_true(req, "recursive", true);
    if (Status st = content.unpin(*cid, o); !st) return send_error(res, st.error());
    send_json(res, {{"cid", cid->to_string()}, {"unpinned", true}});
  });
  s.Get("/api/v0/pin/ls", [&content](const httplib::Request&, httplib::Response& res) {
    auto pins = content.pins();
    if (!pins) return send_error(res, pins.error());
    json list = json::array();
    for (const auto& p : *pins) list.push_back(pin_json(p));
    send_json(res, {{"pins", list}});
  });
}

void block_routes(httplib::Server& s, Node& node, Content& content) {
  s.Post("/api/v0/block/put", [&node, &content](const httplib::Request& req, httplib::Response& res,
                                                const httplib::ContentReader& reader) {
    std::string codec = req.has_param("codec") ? req.get_param_value("codec") : "raw";
    uint64_t code = codec == "raw" ? kCodecRaw : codec == "dag-pb" ? kCodecDagPb : 0;
    if (!code)
      return send_error(res, make_error(Errc::invalid_input, "codec must be raw or dag-pb"));
    // Read up to the limit and stop there: an oversized body is never buffered whole.
    const size_t max = content.blocks().config().block_bytes_max;
    std::string body;
    bool too_large = false;
    reader([&](const char* data, size_t n) {
      if (body.size() + n > max) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (too_large)
      return send_error(res, make_error(Errc::too_large, "block over the size limit of " +
                                                             std::to_string(max) + " bytes"));
    Cid cid = Cid::of(as_bytes(body), code);
    if (Status st = content.blocks().put(cid, as_bytes(body)); !st)
      return send_error(res, st.error());
    if (param_true(req, "pin", false)) (void)content.pin(cid, store::PinType::direct);
    asio::post(node.io(), [&node, cid] {
      if (node.bitswap()) node.bitswap()->block_added(cid);
    });
    send_json(res, {{"cid", cid.to_string()}, {"size", body.size()}});
  });
  // Re-hashed like a block served to a peer: a rotten one is quarantined, never handed out.
  s.Get("/api/v0/block/get",
        [&node, &content](const httplib::Request& req, httplib::Response& res) {
          auto cid = Cid::parse(req.get_param_value("arg"));
          if (!cid) return send_error(res, cid.error());
          auto block = content.blocks().get_checked(*cid);
          if (!block) return send_error(res, block.error());
          if (block->corrupt) {
            // Moved aside on the loop (the bitswap server's store) before the answer goes out, so a
            // caller that sees the error finds the block in quarantine.
            auto moved = std::make_shared<std::promise<void>>();
            auto moved_future = moved->get_future();
            asio::post(node.io(), [&node, c = *cid, moved] {
              if (node.bitswap()) node.bitswap()->quarantine(c);
              moved->set_value();
            });
            bool moved_in_time =
                moved_future.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
            return send_error(
                res,
                make_error(Errc::io, "block " + cid->to_string() + " is corrupt on disk: " +
                                         (moved_in_time ? "quarantined (see agora events)"
                                                        : "not served; quarantine pending")),
                IoMeans::disk);
          }
          res.set_content(std::string(as_chars(block->data)), "application/octet-stream");
        });
  s.Get("/api/v0/block/stat", [&content](const httplib::Request& req, httplib::Response& res) {
    auto cid = Cid::parse(req.get_param_value("arg"));
    if (!cid) return send_error(res, cid.error());
    auto size = content.blocks().size(*cid);
    if (!size) return send_error(res, size.error());
    send_json(res,
              {{"cid", cid->to_string()}, {"size", *size}, {"codec", codec_name(cid->codec())}});
  });
}

void repo_routes(httplib::Server& s, Content& content) {
  s.Post("/api/v0/repo/gc", [&content](const httplib::Request&, httplib::Response& res) {
    auto r = content.gc();
    if (!r) return send_error(res, r.error());
    json missing = json::array();
    for (const auto& c : r->missing) missing.push_back(c.to_string());
    send_json(res, {{"removed_blocks", r->removed_blocks},
                    {"removed_bytes", r->removed_bytes},
                    {"kept_blocks", r->kept_blocks},
                    {"kept_bytes", r->kept_bytes},
                    {"missing", missing},
                    {"errors", r->remove_errors}});
  });
  s.Post("/api/v0/repo/verify", [&content](const httplib::Request&, httplib::Response& res) {
    auto r = content.verify();
    if (!r) return send_error(res, r.error());
    json q = json::array();
    for (const auto& f : r->quarantined)
      q.push_back(
          {{"file", f.original.string()}, {"moved_to", f.moved_to.string()}, {"reason", f.reason}});
    auto pins = content.verify_pins();
    json missing = json::array();
    if (pins)
      for (const auto& c : pins->missing) missing.push_back(c.to_string());
    send_json(res, {{"clean", r->clean() && pins && pins->complete()},
                    {"quarantined", q},
                    {"quarantined_count", r->quarantined_count},
                    {"errors", r->errors},
                    {"pinned_blocks_missing", missing}});
  });
  s.Get("/api/v0/repo/stat", [&content](const httplib::Request&, httplib::Response& res) {
    auto r = content.stat();
    if (!r) return send_error(res, r.error());
    send_json(res, {{"blocks_dir", r->blocks_dir.string()},
                    {"blocks", r->blocks},
                    {"block_bytes", r->block_bytes},
                    {"disk_bytes", r->block_disk_bytes},
                    {"pins", {{"recursive", r->pins.recursive}, {"direct", r->pins.direct}}},
                    {"fs_free_bytes", r->fs_free_bytes},
                    {"fs_total_bytes", r->fs_total_bytes}});
  });
}

}  // namespace

void add_content_routes(httplib::Server& server, Node& node, Content& content) {
  add_routes(server, node, content);
  read_routes(server, node, content);
  pin_routes(server, node, content);
  block_routes(server, node, content);
  repo_routes(server, content);
}

}  // namespace agora
