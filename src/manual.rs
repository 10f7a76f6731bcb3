//! Design notes that span crates (filled as decisions are made).
