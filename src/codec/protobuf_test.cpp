#include "codec/protobuf.h"

#include <gtest/gtest.h>

namespace agora::pb {
namespace {

TEST(Protobuf, WriterProducesCanonicalBytes) {
  Writer w;
  w.varint(1, 150);
  w.string(2, "testing");
  w.fixed32(3, 0x01020304);
  w.fixed64(4, 0x0102030405060708);
  w.varint(16, 1);
  EXPECT_EQ(to_hex(w.data()),
            "089601"              // field 1 varint 150 (protobuf docs example)
            "120774657374696e67"  // field 2 "testing"
            "1d04030201"          // field 3 fixed32, little endian
            "210807060504030201"  // field 4 fixed64
            "800101");            // field 16 needs a two-byte tag
}

TEST(Protobuf, ReaderReturnsEveryField) {
  Writer w;
  w.varint(1, 150);
  w.bytes(2, as_bytes("abc"));
  w.fixed32(3, 7);
  w.fixed64(4, uint64_t(-1));
  Bytes msg = w.take();
  Reader r(msg);
  auto f1 = r.next();
  ASSERT_TRUE(f1.ok());
  EXPECT_EQ(f1->number, 1u);
  EXPECT_EQ(f1->type, kVarint);
  EXPECT_EQ(f1->varint, 150u);
  auto f2 = r.next();
  ASSERT_TRUE(f2.ok());
  EXPECT_EQ(f2->type, kLen);
  EXPECT_EQ(as_chars(f2->bytes), "abc");
  auto f3 = r.next();
  ASSERT_TRUE(f3.ok());
  EXPECT_EQ(f3->type, kFixed32);
  EXPECT_EQ(f3->varint, 7u);
  auto f4 = r.next();
  ASSERT_TRUE(f4.ok());
  EXPECT_EQ(f4->type, kFixed64);
  EXPECT_EQ(f4->varint, uint64_t(-1));
  EXPECT_TRUE(r.done());
}

TEST(Protobuf, AcceptsNonMinimalAndTenByteVarints) {
  // Conforming encoders may pad varints; a negative int64 takes ten bytes.
  Bytes msg = from_hex("0881800008ffffffffffffffffff01").value();
  Reader r(msg);
  auto a = r.next();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->varint, 1u);
  auto b = r.next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->varint, uint64_t(-1));
  EXPECT_TRUE(r.done());
}

Errc first_error(std::string_view hex) {
  Bytes msg = from_hex(hex).value();
  Reader r(msg);
  while (!r.done()) {
    auto f = r.next();
    if (!f.ok()) return f.error().code;
  }
  return Errc::internal;  // no error seen
}

TEST(Protobuf, RejectsMalformedInput) {
  EXPECT_EQ(first_error("0a05616263"), Errc::invalid_input);                // length past end
  EXPECT_EQ(first_error("0a"), Errc::invalid_input);                        // missing length
  EXPECT_EQ(first_error("08"), Errc::invalid_input);                        // missing varint
  EXPECT_EQ(first_error("0880"), Errc::invalid_input);                      // truncated varint
  EXPECT_EQ(first_error("1d0102"), Errc::invalid_input);                    // short fixed32
  EXPECT_EQ(first_error("21010203"), Errc::invalid_input);                  // short fixed64
  EXPECT_EQ(first_error("0b"), Errc::invalid_input);                        // start group
  EXPECT_EQ(first_error("0c"), Errc::invalid_input);                        // end group
  EXPECT_EQ(first_error("0e"), Errc::invalid_input);                        // wire type 6
  EXPECT_EQ(first_error("0001"), Errc::invalid_input);                      // field number 0
  EXPECT_EQ(first_error("08ffffffffffffffffff7f"), Errc::invalid_input);    // overflows 64 bits
  EXPECT_EQ(first_error("08ffffffffffffffffffff01"), Errc::invalid_input);  // 11 bytes
  // Field numbers above 2^29-1 do not exist.
  EXPECT_EQ(first_error("f8ffffff7f00"), Errc::invalid_input);
}

TEST(Protobuf, HugeLengthDoesNotWrap) {
  // Length 2^63-1 must be compared against what is left, not added to the position.
  EXPECT_EQ(first_error("0affffffffffffffff7f"), Errc::invalid_input);
}

}  // namespace
}  // namespace agora::pb
