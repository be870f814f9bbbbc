// Pair tests: a NoiseHandshake initiator and responder wired back to back.
#include <gtest/gtest.h>

#include "codec/protobuf.h"
#include "proto/noise/noise_handshake.h"
#include "proto/noise/noise_payload.h"
#include "proto/noise/noise_test_util.h"

namespace agora::noise {
namespace {

using noise_test::Chunking;
using noise_test::fresh_keys;
using noise_test::pump;

PeerId peer_of(const crypto::Ed25519PrivateKey& key) {
  const auto& pub = key.public_key();
  return PeerId::from_public_key({KeyType::ed25519, Bytes(pub.begin(), pub.end())});
}

struct Sides {
  crypto::Ed25519PrivateKey init_id = crypto::Ed25519PrivateKey::generate();
  crypto::Ed25519PrivateKey resp_id = crypto::Ed25519PrivateKey::generate();
};

struct Finished {
  NoiseOutcome init;
  NoiseOutcome resp;
};

// Runs a handshake that must succeed and returns both outcomes.
Finished handshake_ok(const Sides& s, NoiseConfig ic, NoiseConfig rc, Chunking chunking,
                      uint32_t seed = 1) {
  std::mt19937 rng(seed);
  NoiseHandshake init(true, s.init_id, std::move(ic), fresh_keys());
  NoiseHandshake resp(false, s.resp_id, std::move(rc), fresh_keys());
  auto r = pump(init, resp, chunking, rng);
  EXPECT_TRUE(r.initiator.ok()) << r.initiator.error().to_string();
  EXPECT_TRUE(r.responder.ok()) << r.responder.error().to_string();
  EXPECT_TRUE(init.done());
  EXPECT_TRUE(resp.done());
  auto io = init.finish();
  auto ro = resp.finish();
  EXPECT_TRUE(io.ok() && ro.ok());
  return {std::move(*io), std::move(*ro)};
}

void expect_transports_talk(NoiseOutcome& a, NoiseOutcome& b) {
  for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
    Bytes wire, plain;
    from->transport->encrypt(as_bytes("hello over noise"), wire);
    ASSERT_TRUE(to->transport->decrypt(wire, plain).ok());
    EXPECT_EQ(as_chars(plain), "hello over noise");
  }
}

class NoisePair : public ::testing::TestWithParam<Chunking> {};

TEST_P(NoisePair, HandshakeAuthenticatesBothSides) {
  Sides s;
  NoiseConfig ic;
  ic.expected_peer = peer_of(s.resp_id);
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    auto f = handshake_ok(s, ic, {}, GetParam(), seed);
    EXPECT_EQ(f.init.remote_peer, peer_of(s.resp_id));
    EXPECT_EQ(f.resp.remote_peer, peer_of(s.init_id));
    EXPECT_EQ(f.init.remote_key.type, KeyType::ed25519);
    EXPECT_EQ(f.resp.remote_key.data,
              Bytes(s.init_id.public_key().begin(), s.init_id.public_key().end()));
    EXPECT_FALSE(f.init.muxer);
    EXPECT_FALSE(f.resp.muxer);
    EXPECT_TRUE(f.init.leftover.empty() && f.resp.leftover.empty());
    expect_transports_talk(f.init, f.resp);
  }
}

INSTANTIATE_TEST_SUITE_P(Chunkings, NoisePair,
                         ::testing::Values(Chunking::whole, Chunking::byte_by_byte,
                                           Chunking::random));

TEST(NoiseHandshake, InitiatorHasMessage1RightAway) {
  Sides s;
  NoiseHandshake init(true, s.init_id, {}, fresh_keys());
  Bytes out;
  init.take_output(out);
  ASSERT_EQ(out.size(), 2u + 32u);  // u16 length || e, empty payload
  EXPECT_EQ(get_u16_be(out.data()), 32);
  NoiseHandshake resp(false, s.resp_id, {}, fresh_keys());
  Bytes none;
  resp.take_output(none);
  EXPECT_TRUE(none.empty());
}

TEST(NoiseHandshake, MuxerNegotiationPicksInitiatorPreference) {
  Sides s;
  NoiseConfig ic, rc;
  ic.muxers = {"/mplex/6.7.0", "/yamux/1.0.0"};
  rc.muxers = {"/yamux/1.0.0", "/mplex/6.7.0"};
  auto f = handshake_ok(s, ic, rc, Chunking::random);
  ASSERT_TRUE(f.init.muxer && f.resp.muxer);
  EXPECT_EQ(*f.init.muxer, "/mplex/6.7.0");
  EXPECT_EQ(*f.resp.muxer, "/mplex/6.7.0");

  ic.muxers = {"/other/1", "/yamux/1.0.0"};
  rc.muxers = {"/yamux/1.0.0"};
  f = handshake_ok(s, ic, rc, Chunking::whole);
  EXPECT_EQ(f.init.muxer, std::optional<std::string>("/yamux/1.0.0"));
  EXPECT_EQ(f.resp.muxer, std::optional<std::string>("/yamux/1.0.0"));
}

TEST(NoiseHandshake, OneSideWithoutMuxersMeansNoInlinedMuxer) {
  Sides s;
  NoiseConfig with;
  with.muxers = {"/yamux/1.0.0"};
  for (bool initiator_lists : {true, false}) {
    auto f = handshake_ok(s, initiator_lists ? with : NoiseConfig{},
                          initiator_lists ? NoiseConfig{} : with, Chunking::whole);
    EXPECT_FALSE(f.init.muxer);
    EXPECT_FALSE(f.resp.muxer);
  }
}

TEST(NoiseHandshake, DisjointMuxersFailTheHandshake) {
  Sides s;
  NoiseConfig ic, rc;
  ic.muxers = {"/mplex/6.7.0"};
  rc.muxers = {"/yamux/1.0.0"};
  std::mt19937 rng(3);
  NoiseHandshake init(true, s.init_id, ic, fresh_keys());
  NoiseHandshake resp(false, s.resp_id, rc, fresh_keys());
  auto r = pump(init, resp, Chunking::whole, rng);
  ASSERT_FALSE(r.initiator.ok());
  EXPECT_EQ(r.initiator.error().code, Errc::protocol);
  EXPECT_FALSE(init.done());
  EXPECT_FALSE(resp.done());
  EXPECT_FALSE(init.finish().ok());
}

TEST(NoiseHandshake, TooManyRemoteMuxersAreRefused) {
  Sides s;
  NoiseConfig ic, rc;
  for (int i = 0; i < 17; ++i) ic.muxers.push_back("/m/" + std::to_string(i));
  rc.muxers = {"/m/3"};
  std::mt19937 rng(4);
  NoiseHandshake init(true, s.init_id, ic, fresh_keys());
  NoiseHandshake resp(false, s.resp_id, rc, fresh_keys());
  auto r = pump(init, resp, Chunking::whole, rng);
  ASSERT_FALSE(r.responder.ok());
  EXPECT_EQ(r.responder.error().code, Errc::too_large);
}

TEST(NoiseHandshake, ExpectedPeerMismatch) {
  Sides s;
  NoiseConfig ic;
  ic.expected_peer = peer_of(crypto::Ed25519PrivateKey::generate());
  std::mt19937 rng(5);
  NoiseHandshake init(true, s.init_id, ic, fresh_keys());
  NoiseHandshake resp(false, s.resp_id, {}, fresh_keys());
  auto r = pump(init, resp, Chunking::random, rng);
  ASSERT_FALSE(r.initiator.ok());
  EXPECT_EQ(r.initiator.error().code, Errc::peer_mismatch);
  EXPECT_FALSE(init.done());
  // Errors are sticky.
  auto again = init.on_bytes(as_bytes("x"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::peer_mismatch);
}

TEST(NoiseHandshake, TamperedMessage2Or3IsRejected) {
  Sides s;
  for (int target_flight : {1, 2}) {
    // Every byte of the Noise message (after the length header) is covered by a MAC or by a DH.
    size_t message_bytes = 0;
    {
      std::mt19937 rng(6);
      NoiseHandshake init(true, s.init_id, {}, fresh_keys());
      NoiseHandshake resp(false, s.resp_id, {}, fresh_keys());
      pump(init, resp, Chunking::whole, rng, [&](int flight, Bytes& b) {
        if (flight == target_flight) message_bytes = b.size() - 2;
      });
    }
    ASSERT_GT(message_bytes, 100u);
    for (size_t i = 0; i < message_bytes; ++i) {
      std::mt19937 rng(7);
      NoiseHandshake init(true, s.init_id, {}, fresh_keys());
      NoiseHandshake resp(false, s.resp_id, {}, fresh_keys());
      auto r = pump(init, resp, Chunking::whole, rng, [&](int flight, Bytes& b) {
        if (flight == target_flight) b[2 + i] ^= 0x20;
      });
      const Status& victim = target_flight == 1 ? r.initiator : r.responder;
      ASSERT_FALSE(victim.ok()) << "flight " << target_flight << " byte " << i;
      EXPECT_EQ(victim.error().code, Errc::crypto) << victim.error().to_string();
      EXPECT_FALSE(init.done() && resp.done());
    }
  }
}

TEST(NoiseHandshake, OversizedFramesAreRejectedFromTheHeader) {
  Sides s;
  NoiseHandshake resp(false, s.resp_id, {}, fresh_keys());
  const uint8_t header[] = {0xff, 0xff};
  auto st = resp.on_bytes(header);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::too_large);

  // A peer payload above our configured bound fails the handshake.
  NoiseConfig small;
  small.handshake_payload_bytes_max = 40;
  std::mt19937 rng(8);
  NoiseHandshake init(true, s.init_id, small, fresh_keys());
  NoiseHandshake resp2(false, s.resp_id, {}, fresh_keys());
  auto r = pump(init, resp2, Chunking::whole, rng);
  ASSERT_FALSE(r.initiator.ok());
  EXPECT_EQ(r.initiator.error().code, Errc::too_large);
}

TEST(NoiseHandshake, TruncatedMessageIsAProtocolError) {
  Sides s;
  NoiseHandshake resp(false, s.resp_id, {}, fresh_keys());
  const uint8_t short_msg1[] = {0x00, 0x05, 1, 2, 3, 4, 5};
  auto st = resp.on_bytes(short_msg1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::protocol);
}

TEST(NoiseHandshake, TransportDataRightAfterMessage3BecomesLeftover) {
  Sides s;
  NoiseHandshake init(true, s.init_id, {}, fresh_keys());
  NoiseHandshake resp(false, s.resp_id, {}, fresh_keys());
  Bytes wire;
  init.take_output(wire);
  ASSERT_TRUE(resp.on_bytes(wire).ok());
  wire.clear();
  resp.take_output(wire);
  ASSERT_TRUE(init.on_bytes(wire).ok());
  ASSERT_TRUE(init.done());
  auto io = init.finish();
  ASSERT_TRUE(io.ok());
  // Message 3 and the first transport frames travel in one segment, split oddly.
  wire.clear();
  init.take_output(wire);
  io->transport->encrypt(as_bytes("early data"), wire);
  ASSERT_TRUE(resp.on_bytes(BytesView(wire).first(wire.size() - 3)).ok());
  ASSERT_TRUE(resp.done());
  ASSERT_TRUE(resp.on_bytes(BytesView(wire).last(3)).ok());  // before finish(): still leftover
  auto ro = resp.finish();
  ASSERT_TRUE(ro.ok());
  Bytes plain;
  ASSERT_TRUE(ro->transport->decrypt(ro->leftover, plain).ok());
  EXPECT_EQ(as_chars(plain), "early data");
  EXPECT_FALSE(resp.finish().ok());  // only once
}

TEST(NoiseHandshake, FinishBeforeDoneFails) {
  Sides s;
  NoiseHandshake init(true, s.init_id, {}, fresh_keys());
  auto r = init.finish();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::internal);
}

// A hand-driven responder that sends a payload of our choosing in message 2.
Status initiator_against_payload(
    const Sides& s, const std::function<Bytes(const crypto::X25519Key& static_pub)>& make) {
  auto resp_static = crypto::X25519KeyPair::generate();
  noise::XxHandshakeState fake(false, resp_static, {}, crypto::X25519KeyPair::generate());
  NoiseHandshake init(true, s.init_id, {}, fresh_keys());
  Bytes msg1;
  init.take_output(msg1);
  Bytes ignored;
  AGORA_TRY(fake.read_message(BytesView(msg1).subspan(2), ignored));
  Bytes msg2(2);
  AGORA_TRY(fake.write_message(make(resp_static.public_key), msg2));
  put_u16_be(msg2.data(), uint16_t(msg2.size() - 2));
  return init.on_bytes(msg2);
}

Bytes payload_with(const Bytes& identity_key, BytesView sig) {
  noise::NoiseHandshakePayload p;
  p.identity_key = identity_key;
  p.identity_sig.assign(sig.begin(), sig.end());
  return noise::encode_noise_payload(p);
}

Bytes key_pb(const crypto::Ed25519PrivateKey& k) {
  return encode_public_key({KeyType::ed25519, Bytes(k.public_key().begin(), k.public_key().end())});
}

Bytes static_key_message(const crypto::X25519Key& static_pub) {
  Bytes m = to_bytes("noise-libp2p-static-key:");
  append(m, static_pub);
  return m;
}

TEST(NoiseHandshake, ValidHandDrivenPayloadIsAccepted) {
  Sides s;
  auto st = initiator_against_payload(s, [&](const crypto::X25519Key& sp) {
    return payload_with(key_pb(s.resp_id), s.resp_id.sign(static_key_message(sp)));
  });
  EXPECT_TRUE(st.ok()) << st.error().to_string();  // the harness itself is sound
}

TEST(NoiseHandshake, SignatureByAnotherKeyIsRejected) {
  Sides s;
  auto other = crypto::Ed25519PrivateKey::generate();
  auto st = initiator_against_payload(s, [&](const crypto::X25519Key& sp) {
    return payload_with(key_pb(s.resp_id), other.sign(static_key_message(sp)));
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::crypto);
}

TEST(NoiseHandshake, SignatureOverAnotherStaticKeyIsRejected) {
  Sides s;
  auto unrelated = crypto::X25519KeyPair::generate();
  auto st = initiator_against_payload(s, [&](const crypto::X25519Key&) {
    return payload_with(key_pb(s.resp_id),
                        s.resp_id.sign(static_key_message(unrelated.public_key)));
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::crypto);
}

TEST(NoiseHandshake, MissingIdentityOrUnsupportedKeyType) {
  Sides s;
  auto st = initiator_against_payload(s, [&](const crypto::X25519Key&) { return Bytes{}; });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::protocol);

  st = initiator_against_payload(s, [&](const crypto::X25519Key& sp) {
    Bytes secp = encode_public_key({KeyType::secp256k1, Bytes(33, 2)});
    return payload_with(secp, s.resp_id.sign(static_key_message(sp)));
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::unsupported);

  st = initiator_against_payload(s, [&](const crypto::X25519Key& sp) {
    return payload_with(to_bytes("\x08\x01\x12"), s.resp_id.sign(static_key_message(sp)));
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);
}

// A hand-driven initiator that sends a payload of our choosing in message 3.
Status responder_against_payload(const Sides& s, NoiseConfig rc,
                                 const std::function<Bytes(const crypto::X25519Key&)>& make) {
  auto init_static = crypto::X25519KeyPair::generate();
  noise::XxHandshakeState fake(true, init_static, {}, crypto::X25519KeyPair::generate());
  NoiseHandshake resp(false, s.resp_id, std::move(rc), fresh_keys());
  Bytes msg1(2);
  AGORA_TRY(fake.write_message({}, msg1));
  put_u16_be(msg1.data(), uint16_t(msg1.size() - 2));
  AGORA_TRY(resp.on_bytes(msg1));
  Bytes msg2, ignored;
  resp.take_output(msg2);
  AGORA_TRY(fake.read_message(BytesView(msg2).subspan(2), ignored));
  Bytes msg3(2);
  AGORA_TRY(fake.write_message(make(init_static.public_key), msg3));
  put_u16_be(msg3.data(), uint16_t(msg3.size() - 2));
  AGORA_TRY(resp.on_bytes(msg3));
  if (!resp.done()) return make_error(Errc::internal, "responder not done");
  AGORA_ASSIGN(NoiseOutcome outcome, resp.finish());
  if (outcome.remote_peer != peer_of(s.init_id)) return make_error(Errc::internal, "wrong peer");
  return {};
}

Bytes payload_with_muxers(const Sides& s, const crypto::X25519Key& sp,
                          std::vector<std::string> muxers) {
  noise::NoiseHandshakePayload p;
  p.identity_key = key_pb(s.init_id);
  auto sig = s.init_id.sign(static_key_message(sp));
  p.identity_sig.assign(sig.begin(), sig.end());
  p.extensions = noise::NoiseExtensions{{}, std::move(muxers)};
  return noise::encode_noise_payload(p);
}

TEST(NoiseHandshake, ResponderChecksMuxersInMessage3) {
  Sides s;
  NoiseConfig rc;
  rc.muxers = {"/yamux/1.0.0"};
  auto ok = responder_against_payload(s, rc, [&](const crypto::X25519Key& sp) {
    return payload_with_muxers(s, sp, {"/yamux/1.0.0"});
  });
  EXPECT_TRUE(ok.ok()) << ok.error().to_string();
  auto disjoint = responder_against_payload(s, rc, [&](const crypto::X25519Key& sp) {
    return payload_with_muxers(s, sp, {"/mplex/6.7.0"});
  });
  ASSERT_FALSE(disjoint.ok());
  EXPECT_EQ(disjoint.error().code, Errc::protocol);
  auto too_long = responder_against_payload(s, rc, [&](const crypto::X25519Key& sp) {
    return payload_with_muxers(s, sp, {std::string(257, 'a')});
  });
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Errc::too_large);
}

TEST(NoiseHandshake, ResponderWithExpectedPeerChecksIt) {
  Sides s;
  NoiseConfig rc;
  rc.expected_peer = peer_of(crypto::Ed25519PrivateKey::generate());
  auto st = responder_against_payload(
      s, rc, [&](const crypto::X25519Key& sp) { return payload_with_muxers(s, sp, {}); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::peer_mismatch);
}

}  // namespace
}  // namespace agora::noise
