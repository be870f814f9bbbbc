// Content: add (a local path, or a request body), cat, ls and get. Parameters are checked before
// an answer starts, so a bad request gets its status; streamed answers (add, get) end with a
// result line or an error line.
#include <httplib.h>

#include <chrono>
#include <filesystem>

#include "agora/names.h"
#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

namespace {

using nlohmann::json;

// Progress lines of add: at most one per this interval.
constexpr auto kAddProgressInterval = std::chrono::milliseconds(100);

Result<AddSettings> add_settings(const httplib::Request& req) {
  AddSettings s;
  if (req.has_param("profile")) {
    s.profile = req.get_param_value("profile");
    AGORA_TRY(validate_profile(*s.profile));
  }
  s.only_hash = param_true(req, "only_hash", false);
  s.nocopy = param_true(req, "nocopy", false);
  s.pin = param_true(req, "pin", true);
  s.preserve_mode = param_true(req, "preserve_mode", false);
  return s;
}

json add_json(const std::string& name, const AddResult& r) {
  return {{"name", name}, {"cid", r.cid}, {"size", r.size}, {"dag_bytes", r.dag_bytes}};
}

json entry_json(const AddEntry& e) {
  return {{"entry", {{"path", e.path}, {"cid", e.cid}, {"size", e.size}, {"type", e.type}}}};
}

json progress_json(const GetProgress& p) {
  return {{"phase", p.phase},
          {"total_bytes", p.total_bytes},
          {"bytes_written", p.bytes_written},
          {"blocks_fetched", p.blocks_fetched},
          {"blocks_local", p.blocks_local},
          {"bytes_fetched", p.bytes_fetched},
          {"bytes_local", p.bytes_local},
          {"in_flight", p.blocks_in_flight},
          {"sources", p.bytes_by_peer},
          {"source_blocks", p.blocks_by_peer},
          {"source_rates", p.rate_by_peer},
          {"source_choked", p.choked_by_peer}};
}

json got_json(const GetResult& r) {
  json done = progress_json(r.fetched);
  done["cid"] = r.cid;
  done["dest"] = r.dest;
  done["dag_bytes"] = r.dag_bytes;
  done["bytes"] = r.bytes;
  done["seconds"] = r.seconds;
  done["done"] = true;
  return done;
}

json listing_json(const Listing& listing) {
  json entries = json::array();
  for (const ListEntry& e : listing.entries)
    entries.push_back({{"name", e.name}, {"cid", e.cid}, {"size", e.size}, {"type", e.type}});
  return {{"cid", listing.cid}, {"entries", entries}};
}

json list_progress_json(const ListProgress& p) {
  return {{"entries_total", p.entries_total},
          {"entries_ready", p.entries_ready},
          {"blocks_fetched", p.blocks_fetched},
          {"bytes_fetched", p.bytes_fetched}};
}

Result<std::vector<std::string>> peer_params(const httplib::Request& req) {
  std::vector<std::string> out;
  size_t n = req.get_param_value_count("peer");
  for (size_t i = 0; i < n; ++i) {
    std::string addr = req.get_param_value("peer", i);
    AGORA_TRY(validate_multiaddr(addr));
    out.push_back(std::move(addr));
  }
  return out;
}

// `arg` = <cid>[/path]: dials the `peer` params and resolves the path, fetching only the blocks
// on the way. `file_only`: an error unless it names a file.
Result<std::string> resolve_arg(Node& node, const httplib::Request& req, bool file_only,
                                const CancelToken& cancel) {
  std::string arg = req.get_param_value("arg");
  AGORA_TRY(validate_content_path(arg));
  AGORA_ASSIGN(auto peers, peer_params(req));
  return node.resolve(arg, peers, file_only, cancel);
}

// Checks the local path to add: absolute, there, and a directory only with `recursive`.
Status check_add_path(const std::filesystem::path& path, bool recursive) {
  if (!path.is_absolute()) return make_error(Errc::invalid_input, "path must be absolute");
  std::error_code ec;
  auto type = std::filesystem::symlink_status(path, ec).type();
  if (type == std::filesystem::file_type::not_found)
    return make_error(Errc::not_found, path.string() + ": no such file");
  if (type == std::filesystem::file_type::directory && !recursive)
    return make_error(Errc::invalid_input, path.string() + " is a directory (use -r)");
  return {};
}

void add_routes(httplib::Server& s, Node& node) {
  // Imports a local file or tree; streams {"bytes": n} progress lines and an {"entry": {...}}
  // line per entry below a directory as it is imported (written at once: nothing is collected),
  // then the result with "done" (or an error).
  s.Post("/api/v0/add", [&node](const httplib::Request& req, httplib::Response& res) {
    auto settings = add_settings(req);
    if (!settings) return send_error(res, settings.error());
    std::filesystem::path path = req.get_param_value("path");
    if (Status st = check_add_path(path, param_true(req, "recursive", false)); !st)
      return send_error(res, st.error());
    res.set_chunked_content_provider("application/x-ndjson", [&node, settings = *settings, path](
                                                                 size_t, httplib::DataSink& sink) {
      auto last = std::chrono::steady_clock::now();
      CancelToken cancel;  // the client going away (a failed progress line) cancels the add
      auto progress = [&](uint64_t bytes) {
        auto now = std::chrono::steady_clock::now();
        if (now - last < kAddProgressInterval) return;
        last = now;
        if (!write_line(sink, json{{"bytes", bytes}})) cancel.cancel();
      };
      auto entry = [&](const AddEntry& e) {
        if (!write_line(sink, entry_json(e))) cancel.cancel();
      };
      auto root = node.add_path(path, settings, progress, cancel, entry);
      json result = root ? add_json(path.filename().string(), *root) : error_json(root.error());
      if (root) result["done"] = true;
      write_line(sink, result);
      sink.done();
      return true;
    });
  });
  // Imports one file from the request body.
  s.Post("/api/v0/add-stream", [&node](const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& reader) {
    auto settings = add_settings(req);
    if (!settings) return send_error(res, settings.error());
    auto add = node.add_stream(*settings);
    if (!add) return send_error(res, add.error());
    Status st;
    reader([&](const char* data, size_t n) {
      st = (*add)->write({reinterpret_cast<const uint8_t*>(data), n});
      return st.ok();
    });
    if (!st) return send_error(res, st.error());
    auto root = (*add)->finish();
    if (!root) return send_error(res, root.error());
    send_json(res, add_json(req.get_param_value("name"), *root));
  });
}

void read_routes(httplib::Server& s, Node& node) {
  // The file's bytes as its blocks arrive; a client that goes away ends the read and its fetch.
  s.Get("/api/v0/cat", [&node](const httplib::Request& req, httplib::Response& res) {
    auto cid = resolve_arg(node, req, true, CancelToken());
    if (!cid) return send_error(res, cid.error());
    res.set_chunked_content_provider(
        "application/octet-stream", [&node, c = *cid, tp = req.get_header_value("traceparent")](
                                        size_t, httplib::DataSink& sink) {
          Status st = node.read_file(
              c,
              [&](std::span<const uint8_t> b) -> Status {
                if (!sink.write(reinterpret_cast<const char*>(b.data()), b.size()))
                  return make_error(Errc::closed, "client went away");
                return {};
              },
              {}, tp);
          if (st) sink.done();
          return st.ok();  // false aborts the response: the client sees a truncated body
        });
  });
  // One JSON document; with `progress`, NDJSON progress lines first and the document with "done"
  // last (a client that goes away cancels the listing).
  s.Get("/api/v0/ls", [&node](const httplib::Request& req, httplib::Response& res) {
    std::string arg = req.get_param_value("arg");
    if (Status st = validate_content_path(arg); !st) return send_error(res, st.error());
    auto peers = peer_params(req);
    if (!peers) return send_error(res, peers.error());
    if (!param_true(req, "progress", false)) {
      auto listing = node.ls(arg, *peers, {}, {}, req.get_header_value("traceparent"));
      if (!listing) return send_error(res, listing.error());
      return send_json(res, listing_json(*listing));
    }
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [&node, arg, peers = *peers, tp = req.get_header_value("traceparent")](
            size_t, httplib::DataSink& sink) {
          CancelToken cancel;
          auto listing = node.ls(
              arg, peers, cancel,
              [&](const ListProgress& p) {
                if (!write_line(sink, list_progress_json(p))) cancel.cancel();
              },
              tp);
          json last = listing ? listing_json(*listing) : error_json(listing.error());
          if (listing) last["done"] = true;
          write_line(sink, last);
          sink.done();
          return true;
        });
  });
}

// get's request: `arg`, `peer`s, `dest` (absolute), `max_size` (bytes, decimal; absent or 0: no
// limit on what the export writes).
Result<GetRequest> get_request(const httplib::Request& req) {
  GetRequest r;
  r.content_path = req.get_param_value("arg");
  AGORA_TRY(validate_content_path(r.content_path));
  AGORA_ASSIGN(r.peers, peer_params(req));
  r.dest = req.get_param_value("dest");
  if (!std::filesystem::path(r.dest).is_absolute())
    return make_error(Errc::invalid_input, "dest must be absolute");
  if (req.has_param("max_size")) {
    AGORA_ASSIGN(r.output_bytes_max, parse_u64(req.get_param_value("max_size"), "max_size"));
  }
  r.traceparent = req.get_header_value("traceparent");  // W3C trace context, if the caller traces
  return r;
}

void get_route(httplib::Server& s, Node& node) {
  // Fetches a DAG and writes it to `dest` atomically; streams progress lines, then the result.
  // The fetch runs on the node's loop and its progress comes back to this thread, which writes
  // it: one HTTP thread and the loop, no other.
  s.Post("/api/v0/get", [&node](const httplib::Request& req, httplib::Response& res) {
    auto request = get_request(req);
    if (!request) return send_error(res, request.error());
    res.set_chunked_content_provider(
        "application/x-ndjson", [&node, request = *request](size_t, httplib::DataSink& sink) {
          // Progress lines come at least every quarter second (a heartbeat while the fetch
          // waits), so a client that went away is noticed there and the get is cancelled.
          auto got = node.get(request, [&sink, cancel = request.cancel](const GetProgress& p) {
            if (!write_line(sink, progress_json(p))) cancel.cancel();
          });
          write_line(sink, got ? got_json(*got) : error_json(got.error()));
          sink.done();
          return true;
        });
  });
}

}  // namespace

nlohmann::json get_progress_json(const GetProgress& p) { return progress_json(p); }

void add_content_routes(httplib::Server& s, Node& node) {
  add_routes(s, node);
  read_routes(s, node);
  get_route(s, node);
}

}  // namespace agora
