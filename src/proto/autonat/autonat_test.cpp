#include "proto/autonat/autonat.h"

#include <gtest/gtest.h>

#include "codec/protobuf.h"

namespace agora::autonat {
namespace {

Multiaddr addr(const char* text) { return Multiaddr::parse(text).value(); }

TEST(Autonat, DialEncodesAsTheSpecsProtobuf) {
  // Message{type: DIAL, dial: {peer: {id: 00 01}}}, fields in tag order as go-libp2p writes it.
  DialRequest request{.peer_id = {0x00, 0x01}};
  Bytes expected = {0x08, 0x00, 0x12, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0x00, 0x01};
  EXPECT_EQ(encode_dial(request), expected);
}

TEST(Autonat, DialAndResponseRoundTrip) {
  DialRequest request{.peer_id = {1, 2, 3},
                      .addrs = {addr("/ip4/10.0.0.1/tcp/4001"), addr("/ip6/::1/tcp/5")}};
  auto back = decode(encode_dial(request));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_TRUE(back->dial);
  EXPECT_FALSE(back->response);
  EXPECT_EQ(back->dial->peer_id, request.peer_id);
  EXPECT_EQ(back->dial->addrs, request.addrs);

  DialResponse response{.status = ResponseStatus::ok,
                        .status_text = "dialled",
                        .addr = addr("/ip4/10.0.0.1/tcp/4001")};
  auto answer = decode(encode_response(response));
  ASSERT_TRUE(answer) << answer.error().message;
  ASSERT_TRUE(answer->response);
  EXPECT_EQ(answer->response->status, ResponseStatus::ok);
  EXPECT_EQ(answer->response->status_text, "dialled");
  EXPECT_EQ(answer->response->addr, response.addr);
  response = {.status = ResponseStatus::dial_refused, .status_text = "", .addr = {}};
  answer = decode(encode_response(response));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->response->status, ResponseStatus::dial_refused);
  EXPECT_FALSE(answer->response->addr);
}

TEST(Autonat, UnknownAddressesAreSkippedAndCounted) {
  pb::Writer peer;
  peer.bytes(1, Bytes{9});
  peer.bytes(2, Bytes{0xff, 0xff, 0xff});  // no such multiaddr protocol
  peer.bytes(2, addr("/ip4/1.2.3.4/tcp/1").to_bytes());
  pb::Writer dial;
  dial.bytes(1, peer.data());
  pb::Writer m;
  m.varint(1, 0);
  m.bytes(2, dial.data());
  auto back = decode(m.data());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->dial->addrs.size(), 1u);
  EXPECT_EQ(back->dial->skipped_addrs, 1u);
}

TEST(Autonat, LimitsAndMalformedMessagesAreErrors) {
  DialRequest many{.peer_id = {1}};
  for (int i = 0; i < 40; ++i)
    many.addrs.push_back(addr(("/ip4/10.0.0.1/tcp/" + std::to_string(1000 + i)).c_str()));
  EXPECT_EQ(decode(encode_dial(many)).error().code, Errc::too_large);
  EXPECT_EQ(decode(encode_dial(many), {.message_bytes_max = 16}).error().code, Errc::too_large);

  DialResponse chatty{
      .status = ResponseStatus::dial_error, .status_text = std::string(1000, 'x'), .addr = {}};
  EXPECT_EQ(decode(encode_response(chatty)).error().code, Errc::too_large);

  pb::Writer no_status;
  no_status.varint(1, 1);
  no_status.bytes(3, Bytes{});
  EXPECT_EQ(decode(no_status.data()).error().code, Errc::invalid_input);
  pb::Writer unknown_status_body;
  unknown_status_body.varint(1, 7);
  pb::Writer unknown_status;
  unknown_status.varint(1, 1);
  unknown_status.bytes(3, unknown_status_body.data());
  EXPECT_EQ(decode(unknown_status.data()).error().code, Errc::invalid_input);
  pb::Writer dial_without_peer;
  dial_without_peer.varint(1, 0);
  dial_without_peer.bytes(2, Bytes{});
  EXPECT_EQ(decode(dial_without_peer.data()).error().code, Errc::invalid_input);
  pb::Writer type_only;
  type_only.varint(1, 0);
  EXPECT_EQ(decode(type_only.data()).error().code, Errc::invalid_input);
  Bytes truncated = {0x08, 0x00, 0x12, 0x09, 0x0a};
  EXPECT_EQ(decode(truncated).error().code, Errc::invalid_input);
}

}  // namespace
}  // namespace agora::autonat
