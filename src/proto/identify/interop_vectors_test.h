// Real bytes produced by other libp2p implementations, used as decode vectors.
#pragma once

namespace agora::test_vectors {

// A signed peer record made by go-libp2p, and the private key (libp2p PrivateKey protobuf) that
// signed it; copied from js-libp2p packages/peer-record/test/peer-record.spec.ts ("de/serializes
// the same as a go record"). Peer 12D3KooWB1b3qZxWJanuhtseF3DmPggHCtG36KZ9ixkqHtdKH9fh, seq
// 1598453001624231000, addresses /ip4/1.2.3.4/tcp/0 ... /tcp/9.
inline constexpr const char* kGoPeerRecordPrivateKeyHex =
    "0801124085fbe72b6064289004a531f967898df5319ee02992fdd84021fa5052434bf6ee11bba3ed1721948cefb4e5"
    "0b"
    "0a0bb5cad8a6b52dc7b1a40f4f6652105c91e2c4";
inline constexpr const char* kGoSignedPeerRecordHex =
    "0a240801122011bba3ed1721948cefb4e50b0a0bb5cad8a6b52dc7b1a40f4f6652105c91e2c4120203011aaa010a26"
    "00"
    "240801122011bba3ed1721948cefb4e50b0a0bb5cad8a6b52dc7b1a40f4f6652105c91e2c410d8b8e0bf9391b69716"
    "1a"
    "0a0a0804010203040600001a0a0a0804010203040600011a0a0a0804010203040600021a0a0a080401020304060003"
    "1a"
    "0a0a0804010203040600041a0a0a0804010203040600051a0a0a0804010203040600061a0a0a080401020304060007"
    "1a"
    "0a0a0804010203040600081a0a0a0804010203040600092a40b197f76b9f288af2b467fe666f774476287049b424b7"
    "39"
    "75c8860efb02372d026a799584541ad72f2654346485bca3ece36462b7d1b1391c8d276dc4ab8bca0b";

// An identify message sent by a rust-libp2p node (parity-polkadot v0.7.18, Kusama), captured in
// emeraldpay/polkadot-crawler's IdentifyProtocolSpec. Field order 5, 6, 1, 2..., 4, 3..., the
// same order js-libp2p emits.
inline constexpr const char* kRustIdentifyHex =
    "2a0e2f7375627374726174652f312e30323b7061726974792d706f6c6b61646f742f76302e372e31382d6663313030"
    "65"
    "36352d7838365f36342d6c696e75782d676e752028756e6b6e6f776e290a240801122042130f7467bf5bf6c68677a9"
    "86"
    "615f8d5490b2ea23d96f8f7e6614b3de566a54121d36187032702e6363332d332e6b7573616d612e6e6574776f726b"
    "06"
    "759412080423b2c350067594120804030a87f20675941208047f0000010675941208040a00010f0675942208040a00"
    "01"
    "8606d4d21a132f7375627374726174652f6b736d6363332f351a132f7375627374726174652f6b736d6363332f341a"
    "13"
    "2f7375627374726174652f6b736d6363332f331a102f697066732f70696e672f312e302e301a0e2f697066732f6964"
    "2f"
    "312e302e301a0f2f697066732f6b61642f312e302e30";

}  // namespace agora::test_vectors
