#include "app/api/dashboard.h"

#include <httplib.h>

#include <thread>

#include "app/api/dashboard_assets.h"
#include "app/api/http_reply.h"
#include "app/api/routes.h"
#include "app/cli/crawl.h"
#include "app/cli/doctor.h"

namespace agora {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A counted slot, released when it goes out of scope (or handed to a stream's lambda).
struct Slot {
  std::atomic<size_t>* count;
  explicit Slot(std::atomic<size_t>* c) : count(c) {}
  Slot(const Slot&) = delete;
  ~Slot() { count->fetch_sub(1); }
};

// One transport counter from the metrics (0 if absent).
uint64_t transport_bytes(const json& metrics, const char* name) {
  auto family = metrics.find(name);
  if (family == metrics.end() || (*family)["series"].empty()) return 0;
  return (*family)["series"][0].value("value", uint64_t(0));
}

void send_busy(httplib::Response& res, const std::string& what) {
  res.status = 503;
  res.set_content(json_text(error_json(make_error(Errc::limit, what))), "application/json");
}

}  // namespace

void set_page_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                 "frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
}

Dashboard::Dashboard(Node& node, ApiAuth& auth, DashboardLimits limits)
    : node_(node), auth_(auth), limits_(limits) {}

void Dashboard::add_routes(httplib::Server& s) {
  add_page_routes(s);
  add_session_routes(s);
  add_stream_route(s);
  add_report_routes(s);
}

void Dashboard::add_page_routes(httplib::Server& s) {
  for (const DashboardAsset& asset : dashboard_assets()) {
    s.Get(std::string(asset.path), [&asset](const httplib::Request&, httplib::Response& res) {
      set_page_headers(res);
      res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
    });
  }
}

void Dashboard::add_session_routes(httplib::Server& s) {
  s.Post(std::string(ApiAuth::kSessionPath),
         [this](const httplib::Request& req, httplib::Response& res) {
           bool limited = false;
           if (auth_.try_login(req.get_param_value("token"), Clock::now(), limited)) {
             res.set_header("Set-Cookie", auth_.set_cookie_login());
             return send_json(res, {{"session", auth_.session_secret()}});
           }
           res.status = limited ? 429 : 401;
           const char* why = limited ? "too many failed logins: wait a minute"
                                     : "wrong token (see api.token in the repo)";
           node_.record_limit_hit("http-api", limited ? "login_failures_max" : "login_failed",
                                  std::string("dashboard login refused: ") + why);
           res.set_content(
               json_text(error_json(make_error(limited ? Errc::limit : Errc::invalid_input, why))),
               "application/json");
         });
  s.Post("/api/v0/session/end", [this](const httplib::Request&, httplib::Response& res) {
    auth_.end_sessions();
    res.set_header("Set-Cookie", auth_.set_cookie_logout());
    send_json(res, {{"session", false}});
  });
}

void Dashboard::add_stream_route(httplib::Server& s) {
  s.Get("/api/v0/dashboard/stream", [this](const httplib::Request&, httplib::Response& res) {
    if (streams_.fetch_add(1) >= limits_.streams_max) {
      streams_.fetch_sub(1);
      return send_busy(res, "at most " + std::to_string(limits_.streams_max) +
                                " dashboard streams at once: close a tab");
    }
    auto slot = std::make_shared<Slot>(&streams_);
    auto started = Clock::now();
    auto last_seq = std::make_shared<std::optional<uint64_t>>();
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider(
        "text/event-stream", [this, slot, started, last_seq](size_t, httplib::DataSink& sink) {
          if (stopping_ || Clock::now() - started >= limits_.stream_seconds_max) {
            sink.done();
            return true;
          }
          // httplib does not catch what a content provider throws: nothing may escape here.
          try {
            if (!write_snapshot(sink, *last_seq)) return false;
          } catch (const std::exception&) {
            sink.done();
            return true;
          }
          // Waits for the next tick in short steps, so a stop or a gone client is seen soon.
          auto next = Clock::now() + limits_.stream_interval;
          while (Clock::now() < next && !stopping_ && sink.is_writable())
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          return true;
        });
  });
}

bool Dashboard::write_snapshot(httplib::DataSink& sink, std::optional<uint64_t>& last_seq) {
  json events = node_.events(last_seq, kStreamEventsMax);
  if (!events["events"].empty()) last_seq = events["events"].back()["seq"].get<uint64_t>();
  json metrics = node_.metrics_json();
  json snapshot = {
      {"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()},
      {"sent_bytes", transport_bytes(metrics, "agora_transport_bytes_sent_total")},
      {"received_bytes", transport_bytes(metrics, "agora_transport_bytes_received_total")},
      {"peers", node_.peers()},
      {"operations", operations_json(node_)["operations"]},
      {"events", events["events"]},
      {"events_dropped", events["dropped"]}};
  std::string frame = "retry: 2000\nevent: snapshot\ndata: " + json_text(snapshot) + "\n\n";
  return sink.write(frame.data(), frame.size());
}

void Dashboard::add_report_routes(httplib::Server& s) {
  s.Get("/api/v0/doctor", [this](const httplib::Request&, httplib::Response& res) {
    std::unique_lock lock(doctor_mu_, std::try_to_lock);
    if (!lock.owns_lock()) return send_busy(res, "a doctor run is in progress");
    send_json(res, doctor_report(CommonOptions{node_.repo(), true}));
  });
  s.Get("/api/v0/crawl", [this](const httplib::Request& req, httplib::Response& res) {
    CrawlOptions options;
    options.nodes_max = 200;
    if (req.has_param("max_nodes")) {
      auto n = parse_u64(req.get_param_value("max_nodes"), "max_nodes");
      if (!n) return send_bad_request(res, n.error());
      if (*n < 1 || *n > kCrawlNodesMax)
        return send_bad_request(
            res, make_error(Errc::invalid_input,
                            "max_nodes must be 1.." + std::to_string(kCrawlNodesMax)));
      options.nodes_max = *n;
    }
    options.queries_max = options.nodes_max;
    options.queries_per_second = 20;
    std::unique_lock lock(crawl_mu_, std::try_to_lock);
    if (!lock.owns_lock()) return send_busy(res, "a crawl is in progress");
    send_result(res, crawl_report(CommonOptions{node_.repo(), true}, options));
  });
}

}  // namespace agora
