// The error-kind mapping and the answers it writes.
#include "app/api/http_reply.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

TEST(ApiHttp, StatusSaysWhoseFaultItIs) {
  // The caller's: 4xx.
  EXPECT_EQ(api_error_status(Errc::invalid_input, IoMeans::disk), 400);
  EXPECT_EQ(api_error_status(Errc::too_large, IoMeans::network), 400);
  EXPECT_EQ(api_error_status(Errc::exists, IoMeans::disk), 400);
  EXPECT_EQ(api_error_status(Errc::not_found, IoMeans::network), 404);
  EXPECT_EQ(api_error_status(Errc::limit, IoMeans::network), 429);
  // An operating-system error is this node's disk on content routes, a peer's connection on
  // network routes.
  EXPECT_EQ(api_error_status(Errc::io, IoMeans::disk), 500);
  EXPECT_EQ(api_error_status(Errc::io, IoMeans::network), 502);
  // A peer's: 502, or 504 when it did not answer in time.
  EXPECT_EQ(api_error_status(Errc::protocol, IoMeans::disk), 502);
  EXPECT_EQ(api_error_status(Errc::timeout, IoMeans::network), 504);
}

TEST(ApiHttp, SendErrorWritesStatusAndJsonBody) {
  httplib::Response res;
  send_error(res, make_error(Errc::io, "connect: refused"), IoMeans::network);
  EXPECT_EQ(res.status, 502);
  EXPECT_NE(res.body.find("connect: refused"), std::string::npos);
  send_result(res, Result<nlohmann::json>(nlohmann::json{{"ok", true}}));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, R"({"ok":true})");
}

}  // namespace
}  // namespace agora
