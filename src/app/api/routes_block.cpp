// Raw blocks: put, get (re-hashed on the way out) and stat.
#include <httplib.h>

#include "agora/names.h"
#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

void add_block_routes(httplib::Server& s, Node& node) {
  s.Post("/api/v0/block/put", [&node](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
    std::string codec = req.has_param("codec") ? req.get_param_value("codec") : "raw";
    if (Status st = validate_block_codec(codec); !st) return send_error(res, st.error());
    // Read up to the limit and stop there: an oversized body is never buffered whole.
    const size_t max = node.block_bytes_max();
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
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(body.data()), body.size());
    auto cid = node.block_put(bytes, codec, param_true(req, "pin", false));
    if (!cid) return send_error(res, cid.error());
    send_json(res, {{"cid", *cid}, {"size", body.size()}});
  });
  // A corrupt block is quarantined by the node before this answers (see agora events).
  s.Get("/api/v0/block/get", [&node](const httplib::Request& req, httplib::Response& res) {
    auto block = node.block_get(req.get_param_value("arg"));
    if (!block) return send_error(res, block.error(), IoMeans::disk);
    res.set_content(std::string(block->begin(), block->end()), "application/octet-stream");
  });
  s.Get("/api/v0/block/stat", [&node](const httplib::Request& req, httplib::Response& res) {
    auto stat = node.block_stat(req.get_param_value("arg"));
    if (!stat) return send_error(res, stat.error());
    send_json(res, {{"cid", stat->cid}, {"size", stat->size}, {"codec", stat->codec}});
  });
}

}  // namespace agora
