//! The deterministic generator behind the scan benchmarks: a tiny seeded RNG and the word and
//! character lists that make source-like text. Shared by `benches/scan.rs` (the engine) and
//! `tests/examples/scan_fixture.rs` (the tree `bench/scan.sh` scans), so both scan the same kind
//! of text.

/// xorshift64*: deterministic and good enough for test data. Not for cryptography.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub const WORDS: &[&str] = &[
    "let", "const", "return", "function", "self", "config", "value", "user", "request", "error",
    "match", "impl", "string", "token", "handler", "client", "server", "database", "if", "else",
    "for", "while", "import", "from", "export", "async", "await", "new", "None", "Some", "Ok",
    "result", "data", "items", "index", "length", "true", "false", "null", "println!", "key",
];
