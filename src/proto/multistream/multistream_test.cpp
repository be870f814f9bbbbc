#include "proto/multistream/multistream.h"

#include <gtest/gtest.h>

namespace agora::multistream {
namespace {

Bytes hex(std::string_view text) { return from_hex(text).value(); }

Bytes concat(std::initializer_list<BytesView> parts) {
  Bytes out;
  for (BytesView part : parts) append(out, part);
  return out;
}

const Bytes kHeader = concat({hex("13"), as_bytes("/multistream/1.0.0\n")});
const Bytes kNoise = concat({hex("07"), as_bytes("/noise\n")});
const Bytes kYamux = concat({hex("0d"), as_bytes("/yamux/1.0.0\n")});
const Bytes kNa = hex("036e610a");
const Bytes kLs = hex("036c730a");

TEST(MultistreamMessage, EncodesNaAndLs) {
  Bytes out;
  put_multistream_message(out, "na");
  put_multistream_message(out, "ls");
  EXPECT_EQ(out, concat({kNa, kLs}));
}

TEST(MultistreamMessage, LsReplyMatchesJs) {
  Bytes out;
  put_multistream_ls_reply(out, {"/noise"});
  EXPECT_EQ(out, concat({hex("0907"), as_bytes("/noise\n\n")}));
}

TEST(MultistreamDialer, SendsHeaderAndFirstProposalInOneWrite) {
  MultistreamDialer dialer({"/noise"});
  Bytes out;
  dialer.take_output(out);
  EXPECT_EQ(out.size(), 28u);
  EXPECT_EQ(out, concat({kHeader, kNoise}));
  Bytes again;
  dialer.take_output(again);
  EXPECT_TRUE(again.empty());
}

TEST(MultistreamDialer, AcceptsEchoAndKeepsPipelinedData) {
  MultistreamDialer dialer({"/noise"});
  Bytes noise_msg2 = hex("00d8aabbcc");
  ASSERT_TRUE(dialer.on_bytes(concat({kHeader, kNoise, noise_msg2})).ok());
  EXPECT_TRUE(dialer.done());
  EXPECT_EQ(dialer.selected(), "/noise");
  EXPECT_EQ(dialer.take_rest(), noise_msg2);
  // Bytes arriving later belong to the selected protocol too.
  ASSERT_TRUE(dialer.on_bytes(hex("0102")).ok());
  EXPECT_EQ(dialer.take_rest(), hex("0102"));
}

TEST(MultistreamDialer, OneByteAtATime) {
  MultistreamDialer dialer({"/noise"});
  Bytes input = concat({kHeader, kNoise, hex("42")});
  for (size_t i = 0; i < input.size(); ++i) {
    EXPECT_EQ(dialer.done(), i == input.size() - 1) << i;
    ASSERT_TRUE(dialer.on_bytes(BytesView(input).subspan(i, 1)).ok()) << i;
  }
  EXPECT_TRUE(dialer.done());
  EXPECT_EQ(dialer.take_rest(), hex("42"));
}

TEST(MultistreamDialer, TriesNextProposalAfterNa) {
  MultistreamDialer dialer({"/tls/1.0.0", "/noise"});
  Bytes out;
  dialer.take_output(out);
  ASSERT_TRUE(dialer.on_bytes(concat({kHeader, kNa})).ok());
  EXPECT_FALSE(dialer.done());
  out.clear();
  dialer.take_output(out);
  EXPECT_EQ(out, kNoise);
  ASSERT_TRUE(dialer.on_bytes(kNoise).ok());
  EXPECT_TRUE(dialer.done());
  EXPECT_EQ(dialer.selected(), "/noise");
}

TEST(MultistreamDialer, UnsupportedWhenEveryProposalRefused) {
  MultistreamDialer dialer({"/a", "/b"});
  Status status = dialer.on_bytes(concat({kHeader, kNa, kNa}));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::unsupported);
  EXPECT_FALSE(dialer.done());
  // The failure sticks.
  EXPECT_FALSE(dialer.on_bytes(kNoise).ok());
}

TEST(MultistreamDialer, RejectsWrongHeader) {
  MultistreamDialer dialer({"/noise"});
  Bytes wrong = concat({hex("13"), as_bytes("/multistream/2.0.0\n")});
  Status status = dialer.on_bytes(wrong);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::protocol);
}

TEST(MultistreamDialer, RejectsUnexpectedReply) {
  MultistreamDialer dialer({"/noise"});
  Status status = dialer.on_bytes(concat({kHeader, kYamux}));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::protocol);
}

TEST(MultistreamDialer, RejectsMissingNewline) {
  MultistreamDialer dialer({"/noise"});
  Status status = dialer.on_bytes(concat({hex("13"), as_bytes("/multistream/1.0.0X")}));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::protocol);
}

// A peer whose first bytes cannot begin the header is refused at once: with only part of a
// first message in, the negotiation would otherwise wait for a length read from garbage (what a
// peer with another private-network key, or none, sends).
TEST(MultistreamNegotiation, RefusesAtTheFirstByteThatCannotBeginTheHeader) {
  for (size_t cut = 0; cut < kHeader.size(); ++cut) {
    Bytes first(kHeader.begin(), kHeader.begin() + cut);
    first.push_back(uint8_t(kHeader[cut] ^ 0x20));
    MultistreamListener listener({"/noise"});
    Status status = listener.on_bytes(first);
    ASSERT_FALSE(status.ok()) << cut;
    EXPECT_EQ(status.error().code, Errc::protocol);
    EXPECT_NE(status.error().message.find("did not send the multistream header"),
              std::string::npos);
  }
  // A prefix of the header is fine: the rest may come later.
  MultistreamDialer dialer({"/noise"});
  EXPECT_TRUE(dialer.on_bytes(BytesView(kHeader).first(7)).ok());
}

TEST(MultistreamDialer, RejectsEmptyMessage) {
  MultistreamDialer dialer({"/noise"});
  Status status = dialer.on_bytes(hex("00"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::protocol);
}

TEST(MultistreamDialer, RejectsMessageOverLimitFromItsPrefix) {
  MultistreamDialer dialer({"/noise"});
  Bytes prefix = kHeader;  // then 1025 = 0x81 0x08; the body never needs to arrive.
  append(prefix, hex("8108"));
  Status status = dialer.on_bytes(prefix);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::too_large);
}

TEST(MultistreamDialer, AcceptsMessageAtLimit) {
  std::string longest(kMultistreamMessageBytesMax - 1, 'p');
  MultistreamDialer dialer({longest});
  Bytes reply = kHeader;
  put_multistream_message(reply, longest);
  ASSERT_TRUE(dialer.on_bytes(reply).ok());
  EXPECT_TRUE(dialer.done());
}

TEST(MultistreamDialer, RejectsNonMinimalVarint) {
  MultistreamDialer dialer({"/noise"});
  Status status = dialer.on_bytes(concat({kHeader, hex("9300")}));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::invalid_input);
}

TEST(MultistreamListener, AnswersHeaderAndEchoInOneWrite) {
  MultistreamListener listener({"/noise"});
  Bytes out;
  listener.take_output(out);
  EXPECT_TRUE(out.empty());  // Nothing before the dialer's header.
  ASSERT_TRUE(listener.on_bytes(concat({kHeader, kNoise})).ok());
  listener.take_output(out);
  EXPECT_EQ(out, concat({kHeader, kNoise}));
  EXPECT_TRUE(listener.done());
  EXPECT_EQ(listener.selected(), "/noise");
}

TEST(MultistreamListener, RefusesUnknownThenAccepts) {
  MultistreamListener listener({"/yamux/1.0.0"});
  Bytes tls = concat({hex("0b"), as_bytes("/tls/1.0.0\n")});
  ASSERT_TRUE(listener.on_bytes(concat({kHeader, tls, kYamux, hex("00")})).ok());
  Bytes out;
  listener.take_output(out);
  EXPECT_EQ(out, concat({kHeader, kNa, kYamux}));
  EXPECT_EQ(listener.selected(), "/yamux/1.0.0");
  EXPECT_EQ(listener.take_rest(), hex("00"));
}

TEST(MultistreamListener, AnswersLs) {
  MultistreamListener listener({"/noise"});
  ASSERT_TRUE(listener.on_bytes(concat({kHeader, kLs})).ok());
  Bytes out;
  listener.take_output(out);
  EXPECT_EQ(out, concat({kHeader, hex("0907"), as_bytes("/noise\n\n")}));
  EXPECT_FALSE(listener.done());
}

TEST(MultistreamListener, LimitsRefusedProposals) {
  MultistreamListener listener({"/noise"});
  ASSERT_TRUE(listener.on_bytes(kHeader).ok());
  Bytes unknown = concat({hex("03"), as_bytes("/x\n")});
  for (size_t i = 0; i < MultistreamConfig{}.rejected_messages_max; ++i) {
    ASSERT_TRUE(listener.on_bytes(unknown).ok()) << i;
  }
  Status status = listener.on_bytes(unknown);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::limit);
}

TEST(MultistreamListener, RejectsWrongHeader) {
  MultistreamListener listener({"/noise"});
  Status status = listener.on_bytes(kNoise);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::protocol);
}

TEST(MultistreamListener, RejectsOversizedProposal) {
  MultistreamListener listener({"/noise"});
  Bytes big = kHeader;
  put_multistream_message(big, std::string(kMultistreamMessageBytesMax, 'x'));
  Status status = listener.on_bytes(big);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::too_large);
}

// Drives a dialer and a listener back to back with the given chunk size.
void negotiate(size_t chunk_bytes, const std::vector<std::string>& dialer_protocols,
               const std::vector<std::string>& listener_protocols, const std::string& expected) {
  MultistreamDialer dialer(dialer_protocols);
  MultistreamListener listener(listener_protocols);
  Bytes to_listener, to_dialer;
  for (int round = 0; round < 1000 && !(dialer.done() && listener.done()); ++round) {
    dialer.take_output(to_listener);
    listener.take_output(to_dialer);
    size_t n = std::min(chunk_bytes, to_listener.size());
    ASSERT_TRUE(listener.on_bytes(BytesView(to_listener).first(n)).ok());
    to_listener.erase(to_listener.begin(), to_listener.begin() + static_cast<ptrdiff_t>(n));
    n = std::min(chunk_bytes, to_dialer.size());
    ASSERT_TRUE(dialer.on_bytes(BytesView(to_dialer).first(n)).ok());
    to_dialer.erase(to_dialer.begin(), to_dialer.begin() + static_cast<ptrdiff_t>(n));
  }
  ASSERT_TRUE(dialer.done());
  ASSERT_TRUE(listener.done());
  EXPECT_EQ(dialer.selected(), expected);
  EXPECT_EQ(listener.selected(), expected);
  EXPECT_TRUE(dialer.take_rest().empty());
  EXPECT_TRUE(listener.take_rest().empty());
}

TEST(MultistreamPair, NegotiatesWithAnyChunking) {
  for (size_t chunk : {1, 2, 3, 7, 28, 1000}) {
    SCOPED_TRACE(chunk);
    negotiate(chunk, {"/tls/1.0.0", "/noise"}, {"/noise", "/yamux/1.0.0"}, "/noise");
    negotiate(chunk, {"/yamux/1.0.0"}, {"/noise", "/yamux/1.0.0"}, "/yamux/1.0.0");
  }
}

}  // namespace
}  // namespace agora::multistream
