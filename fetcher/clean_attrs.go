package fetcher

import "bytes"

// A start tag's attributes, read by the cleaning pass (clean.go) from the
// tag's raw bytes instead of with the tokenizer's TagAttr, which copies
// every name and value twice (its NUL replacement copies even when there
// is no NUL) before it lower-cases the name and unescapes the value.
//
// rawAttrs walks the raw tag (the tokenizer's Raw: "<" through the ">"
// that ended it) as x/net/html's readTag did (readTagName, readTagAttrKey,
// readTagAttrVal, skipWhiteSpace; an attribute with an empty name, or a
// name seen before, is not kept), and gives up whenever what TagAttr
// returns could differ from the raw bytes: a NUL anywhere in the tag, an
// upper-case name, a value with a character reference ('&') or a CR. The
// tag's bytes are then read with TagAttr, as before. FuzzRawAttrs checks
// the two against each other.

// isTagSpace reports the bytes the tokenizer skips as white space in tags.
func isTagSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

// rawAttrs sets c.attrs to the attributes of the start tag raw, as TagAttr
// would return them, and reports whether it could (see above).
func (c *cleaner) rawAttrs(raw []byte) bool {
	c.attrs = c.attrs[:0]
	n := len(raw)
	if n < 3 || raw[0] != '<' || bytes.IndexByte(raw, 0) >= 0 {
		return false
	}
	// readTagName: the name's first byte is read; white space after the
	// name is consumed, a '/' or '>' is not.
	p := 2
	for ; p < n; p++ {
		if isTagSpace(raw[p]) {
			p++
			break
		}
		if raw[p] == '/' || raw[p] == '>' {
			break
		}
	}
	skipSpace := func() {
		for p < n && isTagSpace(raw[p]) {
			p++
		}
	}
	skipSpace()
	for {
		if p >= n {
			return false // the tokenizer met the end of input: no token
		}
		if raw[p] == '>' {
			return p == n-1
		}
		// readTagAttrKey: up to white space, '/', '>' or a '=' that is
		// not the name's first byte.
		k0 := p
		for {
			if p >= n {
				return false
			}
			ch := raw[p]
			if ch == '=' && p == k0 {
				p++
				continue
			}
			if ch == '=' || ch == '/' || ch == '>' || isTagSpace(ch) {
				break
			}
			p++
		}
		k1 := p
		// readTagAttrVal.
		v0, v1 := p, p
		skipSpace()
		if p >= n {
			return false
		}
		switch ch := raw[p]; {
		case ch == '/':
			p++ // consumed: the self-closing state
		case ch != '=':
			// not consumed: the next attribute's name, or the end
		default:
			p++
			skipSpace()
			if p >= n {
				return false
			}
			switch q := raw[p]; q {
			case '>':
				// not consumed: an empty value
			case '\'', '"':
				p++
				v0 = p
				for p < n && raw[p] != q {
					p++
				}
				if p >= n {
					return false
				}
				v1 = p
				p++
			default:
				v0 = p
				p++
				for p < n && raw[p] != '>' && !isTagSpace(raw[p]) {
					p++
				}
				if p >= n {
					return false
				}
				v1 = p
				if raw[p] != '>' {
					p++ // the white space is consumed, '>' is not
				}
			}
		}
		if k1 > k0 {
			key, val := raw[k0:k1], raw[v0:v1]
			for _, b := range key {
				if 'A' <= b && b <= 'Z' {
					return false
				}
			}
			if bytes.IndexByte(val, '&') >= 0 || bytes.IndexByte(val, '\r') >= 0 {
				return false
			}
			dup := false
			for _, kv := range c.attrs {
				if bytes.Equal(kv.key, key) {
					dup = true
					break
				}
			}
			if !dup {
				c.attrs = append(c.attrs, attrKV{key, val})
			}
		}
		skipSpace()
	}
}
