package fetcher

import (
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html/atom"
)

// The allowlist of the cleaning pass (clean.go): the elements and
// attributes that may reach a reader. It is bluemonday's user-content
// policy (UGCPolicy) as the fetcher configured it before the single pass
// (no rel="nofollow"; http, https and mailto URLs; YouTube and Vimeo
// iframes; a plain class on figure, img, span, div and p), written out as
// a table so that the pass can apply it while it tokenizes. bluemonday
// stays the test oracle (sanitize_oracle_test.go): whatever the pass
// writes, bluemonday's policy leaves unchanged.
//
// Where the table departs from bluemonday it is stricter:
//   - the unanchored patterns of UGCPolicy (lang, id, td/th scope and
//     nowrap) are anchored, a title on an iframe must be a Paragraph as it
//     must everywhere else;
//   - a repeated attribute keeps its first value only;
//   - image maps (map, area) and the cite of del and ins are left out;
//   - a URL must come out of url.Parse and String unchanged (so it means
//     the same to every reader) and must not contain white space.

// elemPolicy is what the allowlist says of one element.
type elemPolicy struct {
	// bare: the element is kept without attributes; otherwise it is
	// dropped (its content kept) when none of its attributes is allowed,
	// as bluemonday does for a, img, bdo, ...
	bare  bool
	attrs map[string]attrCheck
}

// attrCheck validates an attribute's value. A nil re accepts any value
// (URLs are checked by cleanURL instead: url set).
type attrCheck struct {
	re  *regexp.Regexp
	url bool
}

var (
	reCellAlign    = regexp.MustCompile(`(?i)^(center|justify|left|right|char)$`)
	reCellVAlign   = regexp.MustCompile(`(?i)^(baseline|bottom|middle|top)$`)
	reDirection    = regexp.MustCompile(`(?i)^(rtl|ltr)$`)
	reImageAlign   = regexp.MustCompile(`(?i)^(left|right|top|texttop|middle|absmiddle|baseline|bottom|absbottom)$`)
	reInteger      = regexp.MustCompile(`^[0-9]+$`)
	reISO8601      = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2}([ T][0-9]{2}(:[0-9]{2}){1,2}(.[0-9]{1,6})?Z?([\+-][0-9]{2}:[0-9]{2})?)?)?)?$`)
	reListType     = regexp.MustCompile(`(?i)^(circle|disc|square|a|A|i|I|1)$`)
	reSpaceTokens  = regexp.MustCompile(`^([\s\p{L}\p{N}_-]+)$`)
	reNumber       = regexp.MustCompile(`^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$`)
	reNumOrPercent = regexp.MustCompile(`^[0-9]+[%]?$`)
	reParagraph    = regexp.MustCompile(`^[\p{L}\p{N}\s\-_',\[\]!\./\\\(\)]*$`)
	reLang         = regexp.MustCompile(`^[a-zA-Z]{2,20}(?:[-_][a-zA-Z0-9]{1,8})*$`)
	reID           = regexp.MustCompile(`^[a-zA-Z0-9\:\-_\.]+$`)
	reClass        = regexp.MustCompile(`^[\w -]{1,100}$`)
	reOpen         = regexp.MustCompile(`(?i)^(|open)$`)
	reScope        = regexp.MustCompile(`(?i)^(?:row|col)(?:group)?$`)
	reNowrap       = regexp.MustCompile(`(?i)^(|nowrap)$`)
)

// globalAttrs are allowed on every allowed element.
var globalAttrs = map[string]attrCheck{
	"dir":   {re: reDirection},
	"lang":  {re: reLang},
	"id":    {re: reID},
	"title": {re: reParagraph},
}

var urlAttr = attrCheck{url: true}

// allowlist maps each allowed element to its policy.
var allowlist = func() map[atom.Atom]*elemPolicy {
	m := map[atom.Atom]*elemPolicy{}
	el := func(bare bool, attrs map[string]attrCheck, names ...atom.Atom) {
		for _, a := range names {
			m[a] = &elemPolicy{bare: bare, attrs: attrs}
		}
	}
	class := map[string]attrCheck{"class": {re: reClass}}
	el(true, nil,
		atom.Article, atom.Aside, atom.Section, atom.Summary, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Hgroup, atom.Br, atom.Hr, atom.Wbr, atom.Abbr,
		atom.Acronym, atom.Cite, atom.Code, atom.Dfn, atom.Em, atom.Figcaption, atom.Mark,
		atom.S, atom.Samp, atom.Strong, atom.Sub, atom.Sup, atom.Var, atom.B, atom.I,
		atom.Pre, atom.Small, atom.Strike, atom.Tt, atom.U, atom.Rp, atom.Rt, atom.Ruby,
		atom.Dl, atom.Dt, atom.Dd, atom.Caption)
	el(true, class, atom.Figure, atom.Span, atom.Div, atom.P)
	el(true, map[string]attrCheck{"open": {re: reOpen}}, atom.Details)
	el(true, map[string]attrCheck{"cite": urlAttr}, atom.Blockquote, atom.Q)
	el(false, map[string]attrCheck{"href": urlAttr}, atom.A)
	el(false, map[string]attrCheck{
		"align": {re: reImageAlign}, "alt": {re: reParagraph}, "height": {re: reNumOrPercent},
		"width": {re: reNumOrPercent}, "src": urlAttr, "class": {re: reClass},
	}, atom.Img)
	el(true, map[string]attrCheck{"datetime": {re: reISO8601}}, atom.Time)
	el(false, map[string]attrCheck{"dir": {re: reDirection}}, atom.Bdi, atom.Bdo)
	el(true, map[string]attrCheck{"datetime": {re: reISO8601}}, atom.Del, atom.Ins) // cite: bluemonday wants a URL that is also a Paragraph (no ":"): left out
	el(true, map[string]attrCheck{"type": {re: reListType}}, atom.Ol, atom.Ul)
	el(true, map[string]attrCheck{"type": {re: reListType}, "value": {re: reInteger}}, atom.Li)
	el(true, map[string]attrCheck{"height": {re: reNumOrPercent}, "width": {re: reNumOrPercent}, "summary": {re: reParagraph}}, atom.Table)
	el(true, map[string]attrCheck{
		"align": {re: reCellAlign}, "height": {re: reNumOrPercent}, "width": {re: reNumOrPercent},
		"span": {re: reInteger}, "valign": {re: reCellVAlign},
	}, atom.Col, atom.Colgroup)
	el(true, map[string]attrCheck{"align": {re: reCellAlign}, "valign": {re: reCellVAlign}}, atom.Thead, atom.Tr, atom.Tbody, atom.Tfoot)
	el(true, map[string]attrCheck{
		"abbr": {re: reParagraph}, "align": {re: reCellAlign}, "colspan": {re: reInteger},
		"rowspan": {re: reInteger}, "headers": {re: reSpaceTokens}, "height": {re: reNumOrPercent},
		"width": {re: reNumOrPercent}, "scope": {re: reScope}, "valign": {re: reCellVAlign},
		"nowrap": {re: reNowrap},
	}, atom.Td, atom.Th)
	el(false, map[string]attrCheck{
		"value": {re: reNumber}, "min": {re: reNumber}, "max": {re: reNumber},
		"low": {re: reNumber}, "high": {re: reNumber}, "optimum": {re: reNumber},
	}, atom.Meter)
	el(false, map[string]attrCheck{"value": {re: reNumber}, "max": {re: reNumber}}, atom.Progress)
	el(true, map[string]attrCheck{
		"src": urlAttr, "width": {re: reNumOrPercent}, "height": {re: reNumOrPercent},
		"allowfullscreen": {}, "title": {re: reParagraph},
	}, atom.Iframe)
	return m
}()

// skipContent are the elements dropped together with everything inside
// them: scripts and styles, and what bluemonday never shows either.
var skipContent = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Object: true, atom.Title: true, atom.Noembed: true, atom.Noframes: true,
	atom.Frameset: true, atom.Iframe: true,
}

// voidElements never have content or an end tag.
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Keygen: true, atom.Link: true,
	atom.Meta: true, atom.Param: true, atom.Source: true, atom.Track: true, atom.Wbr: true,
	atom.Frame: true,
}

// urlSchemes are the schemes a URL in the output may have ("" is a
// relative URL, left only when there was no base to resolve it against).
var urlSchemes = map[string]bool{"": true, "http": true, "https": true, "mailto": true}

// cleanURL resolves v against base (nil: left relative), makes links
// canonical (tracking parameters out), and reports whether the result is
// allowed: parseable, stable through url.Parse and String, no white
// space, an allowed scheme. A fragment-only link ("#notes") stays as it
// is.
func cleanURL(v string, base *url.URL, link bool) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	if link && isHTTPish(v, base) {
		// Canonical resolves too: one parse less than resolving first,
		// on the commonest URL of all (a link of a news story).
		c, err := Canonical(v, base)
		if err != nil {
			return "", false
		}
		v = c
	} else if v[0] != '#' {
		u, err := url.Parse(v)
		if err != nil {
			return "", false
		}
		if !u.IsAbs() && base != nil {
			u = base.ResolveReference(u)
		}
		v = u.String()
	}
	if v == "" || strings.ContainsAny(v, " \t\n\r\f") {
		return "", false
	}
	u, err := url.Parse(v)
	if err != nil || !urlSchemes[u.Scheme] || u.String() != v {
		return "", false
	}
	return v, true
}

// isHTTPish reports whether the link v is, or resolves against base to,
// an http(s) URL (then Canonical applies): it starts with http: or
// https:, or has no scheme and base is http(s). Fragment-only links stay
// as they are.
func isHTTPish(v string, base *url.URL) bool {
	if v[0] == '#' {
		return false
	}
	if i := strings.IndexByte(v, ':'); i >= 0 && !strings.ContainsAny(v[:i], "/?#") {
		scheme := strings.ToLower(v[:i])
		return scheme == "http" || scheme == "https"
	}
	return base != nil && (base.Scheme == "http" || base.Scheme == "https")
}
