// Pins: what the repo keeps through a gc.
#include <httplib.h>

#include "agora/names.h"
#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

void add_pin_routes(httplib::Server& s, Node& node) {
  // Fetches what is not stored yet (providers from the DHT), then pins it; streams progress
  // lines (as get's), then the result or an error. A client that goes away cancels it: no pin.
  s.Post("/api/v0/pin/add", [&node](const httplib::Request& req, httplib::Response& res) {
    std::string arg = req.get_param_value("arg");
    if (Status st = validate_content_path(arg); !st) return send_error(res, st.error());
    bool recursive = param_true(req, "recursive", true);
    std::string name = req.get_param_value("name");
    res.set_chunked_content_provider(
        "application/x-ndjson", [&node, arg, recursive, name](size_t, httplib::DataSink& sink) {
          CancelToken cancel;
          auto cid = node.pin_add(
              arg, recursive, name,
              [&](const GetProgress& p) {
                if (!write_line(sink, get_progress_json(p))) cancel.cancel();
              },
              cancel);
          write_line(sink, cid ? nlohmann::json{{"cid", *cid},
                                                {"pinned", recursive ? "recursive" : "direct"},
                                                {"done", true}}
                               : error_json(cid.error()));
          sink.done();
          return true;
        });
  });
  s.Post("/api/v0/pin/rm", [&node](const httplib::Request& req, httplib::Response& res) {
    std::optional<std::string> name;
    if (req.has_param("name")) name = req.get_param_value("name");
    auto cid =
        node.pin_remove(req.get_param_value("arg"), name, param_true(req, "recursive", true));
    if (!cid) return send_error(res, cid.error());
    send_json(res, {{"cid", *cid}, {"unpinned", true}});
  });
  s.Get("/api/v0/pin/ls", [&node](const httplib::Request&, httplib::Response& res) {
    auto pins = node.pins();
    if (!pins) return send_error(res, pins.error());
    nlohmann::json list = nlohmann::json::array();
    for (const PinInfo& p : *pins)
      list.push_back(
          {{"cid", p.cid}, {"type", p.recursive ? "recursive" : "direct"}, {"name", p.name}});
    send_json(res, {{"pins", list}});
  });
}

}  // namespace agora
