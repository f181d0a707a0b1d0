package export

import "bytes"

// A tiny scanner over JSON already checked by json.Valid: it finds an
// object's members without decoding (or allocating) the values, which makes
// the ECS check several times cheaper than decoding into maps.

// object is the raw text of a JSON object.
type object []byte

// members returns raw as an object if it is one.
func members(raw []byte) (object, bool) {
	if len(raw) < 2 || raw[0] != '{' {
		return nil, false
	}
	return object(raw), true
}

// get3 returns the raw values of up to three keys ("" for an unused slot),
// nil for a missing one; why is set when one of them appears twice.
func (o object) get3(k1, k2, k3 string) (v1, v2, v3 []byte, why string) {
	keys := [3]string{k1, k2, k3}
	var vals [3][]byte
	i := skipSpace(o, 1)
	for i < len(o) && o[i] == '"' {
		kend := skipString(o, i)
		key := o[i+1 : kend-1]
		i = skipSpace(o, kend)
		i = skipSpace(o, i+1) // ':'
		vend := skipValue(o, i)
		for j, k := range keys {
			if k != "" && string(key) == k {
				if vals[j] != nil {
					return nil, nil, nil, "has the key " + k + " twice"
				}
				vals[j] = o[i:vend]
			}
		}
		i = skipSpace(o, vend)
		if i < len(o) && o[i] == ',' {
			i = skipSpace(o, i+1)
		}
	}
	return vals[0], vals[1], vals[2], ""
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	// A number, true, false or null ends at the next delimiter.
	if j := bytes.IndexAny(b[i:], ",}] \t\r\n"); j >= 0 {
		return i + j
	}
	return len(b)
}
