package revocation

// DecodeFeedPage exposes the feed's decoder to the black-box tests and the
// fuzz target: the answer's cursor, its well-formed entries, how many entries
// it carried in all, and the malformed ones' errors.
func DecodeFeedPage(body []byte) (cursor int64, entries []Entry, received int, malformed []error, err error) {
	p, err := decodeFeedPage(body)
	return p.cursor, p.entries, p.received, p.malformed, err
}
