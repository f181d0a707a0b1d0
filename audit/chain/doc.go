// Package chain is the append-only, hash-chained store under the audit trail:
// one chain per retention class and per writing process (the caller picks the
// directory, so no two processes ever append to one chain). It knows nothing of
// the event model; a record's payload is one JSON object given as bytes.
//
// # Files
//
// A chain is a directory of segments named <dir>/<number>.jsonl, the number
// zero-padded to 8 digits and starting at 00000001. Every line ends with "\n"
// and is either a record or a checkpoint. Nothing is ever rewritten, except
// that Open cuts a torn (newline-less) last line, which was never acknowledged.
//
// # Records
//
//	{"seq":N,"prev":"<P>","hash":"<H>","payload":<payload bytes>}
//
// exactly these bytes, in this order, with no whitespace: N is the decimal
// sequence number (1 for the first record of the chain, +1 for each next one, no
// leading zeros), and P and H are 64 lower-case hex digits.
//
//   - P (prev) is hex(SHA-256(previous line)), where "previous line" is the
//     exact bytes of the line (record or checkpoint) just before this one in the
//     chain, across segment boundaries, without its trailing "\n". The first
//     line of a chain has P = 64 "0" characters.
//   - H (hash) is hex(SHA-256("portcullis-audit-record-v1\n" || N || "\n" ||
//     P || "\n" || payload)), with N in decimal ASCII and P as the 64 hex
//     characters, payload the exact bytes between `"payload":` and the final
//     "}" of the line.
//
// Verification parses a line by these fixed delimiters (not by a JSON decoder,
// which would accept a changed key spelling or whitespace) and recomputes H, so
// a change to any byte of a line is caught on that line: in seq, prev or
// payload by H, in H itself by the comparison, in a delimiter by the parse. The
// next line's P covers the whole line once more.
//
// # Checkpoints
//
//	{"checkpoint":{"seq":N,"hash":"<C>","time":"<T>","key_id":<K>},"sig":"<S>"}
//
// N is the seq of the last record before the checkpoint, C is
// hex(SHA-256(that record's line)), T is the writer's clock in RFC 3339 with
// nanoseconds, UTC, and K is the key id as a JSON string. S is the standard
// base64 (padded) of the Ed25519 signature over "portcullis-audit-checkpoint-v1\n"
// followed by the exact bytes of the object after `"checkpoint":` (from its
// "{" to its "}"). A checkpoint is written every CheckpointEvery records, when
// CheckpointInterval has passed since the last one and records are waiting, and
// when a segment is closed (roll or Close), so every segment except the one being
// written ends with a checkpoint.
//
// # What Verify reports
//
// Verify walks the segments in order and returns the first problem, with the
// sequence number of the record concerned and file:line. For a checkpoint the
// seq named is the one it covers. Kinds, checked in this order on each line:
//
//   - ErrMalformed: a line that does not parse (a changed delimiter byte); it
//     is named by the next record's seq, or, when it still looks like a
//     checkpoint, by the seq of the record the checkpoint covers;
//   - ErrHashMismatch: a record whose hash does not match its bytes (changed byte);
//   - ErrRemoved / ErrReordered: a record whose seq is not the next one (or a
//     validly signed checkpoint covering a seq beyond the last record seen);
//     the Seq reported is the one that was expected there. A higher seq is
//     "reordered" when the expected one follows later in the segment;
//   - ErrChainBroken: prev does not match the previous line (a line removed or
//     replaced while seq still fits, e.g. a checkpoint removed);
//   - ErrBadSignature / ErrCheckpointMismatch: a checkpoint not signed by the
//     key, or whose seq/hash do not match the chain before it;
//   - ErrMissingSegment: a segment number missing from the sequence;
//   - ErrTruncated: a segment other than the last that does not end with a
//     checkpoint (its tail was cut at a line boundary) or ends mid-line;
//   - ErrTornWrite: the last line of the last segment lacks its "\n". This is
//     what a crash in the middle of a write leaves; such a line was never
//     acknowledged (Append returns after the fsync of whole lines), and Open
//     removes it before appending again.
//   - ErrUnsealed: the chain ends with records after its last checkpoint. That
//     is the normal state of a chain still being written or whose writer
//     crashed (the records were durable and are chained), and also what a cut
//     at a line boundary after Close looks like: the files alone cannot tell
//     the two apart, so it is reported as a problem of its own kind and callers
//     that verify a live chain may accept it (Report.Unsealed counts them).
//     Seq is the first record after the last checkpoint.
//
// # Anchors
//
// Retention deletes a chain's oldest sealed segments 1..k. Before it does,
// WriteAnchor replaces <dir>/anchor.json (temporary file, fsync, rename, fsync
// of the directory) with one line:
//
//	{"anchor":{"segment":A,"seq":N,"prev":"<P>","time":"<T>","key_id":<K>},"sig":"<S>"}
//
// A = k+1 is the chain's new first segment, N the seq of the last record of
// segment k, P = hex(SHA-256(last line of segment k)) (its closing
// checkpoint), T and K as in a checkpoint, and S the standard base64 Ed25519
// signature over "portcullis-audit-anchor-v1\n" followed by the exact bytes of
// the object after `"anchor":`. An anchor never moves back.
//
// With an anchor, Verify checks its signature (ErrBadSignature; ErrMalformed
// for a file that does not parse), then starts the chain at segment A with the
// expected seq N+1 and prev P, so a changed seq or prev is found on the first
// record like any other break. Segments numbered below A are what a retention
// run that stopped half way left behind: Verify ignores them and the next run
// deletes them. Segment A missing is ErrMissingSegment at seq N+1. Without an
// anchor the first segment must be 00000001 and start from the zero prev, so
// deleting old segments without one is ErrMissingSegment at seq 1. Report
// counts from the anchor. The Writer resumes from the anchor when retention
// left no segment at or after A with a complete line.
//
// Limits: cutting a chain's tail back to an earlier checkpoint leaves a valid,
// shorter chain; only a checkpoint held elsewhere (forwarding) can show that.
// Likewise an old anchor cannot be replayed (it names a segment that is gone),
// but the chain's key holder can sign any anchor.
package chain
