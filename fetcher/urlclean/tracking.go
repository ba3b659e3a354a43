package urlclean

import "strings"

// Tracking parameters that Canonical removes from a URL's query. Names are
// compared case-insensitively. Keep this list narrow: a parameter that a
// site needs to find the page (id, p, ref, page, ...) must never be here.

// trackingPrefixes remove every parameter whose name starts with them.
var trackingPrefixes = []string{
	"utm_", // Google Analytics campaign tags (utm_source, utm_medium, ...)
	"_hs",  // HubSpot (_hsenc, _hsmi, _hsfp, ...)
	"mtm_", // Matomo campaign tags
}

// trackingNames remove parameters with exactly these names.
var trackingNames = map[string]bool{
	"fbclid":      true, // Facebook click id
	"gclid":       true, // Google Ads click id
	"dclid":       true, // Google Display click id
	"gbraid":      true, // Google Ads (iOS)
	"wbraid":      true, // Google Ads (iOS web)
	"msclkid":     true, // Microsoft Ads click id
	"mc_cid":      true, // Mailchimp campaign id
	"mc_eid":      true, // Mailchimp subscriber id
	"yclid":       true, // Yandex click id
	"mkt_tok":     true, // Marketo
	"igshid":      true, // Instagram share id
	"ref_src":     true, // Twitter/X
	"ref_url":     true, // Twitter/X
	"spm":         true, // Alibaba/Taobao
	"vero_id":     true, // Vero
	"vero_conv":   true, // Vero
	"oly_anon_id": true, // Omeda
	"oly_enc_id":  true, // Omeda
	"__s":         true, // Drip
	"rb_clickid":  true, // Rakuten
	"s_cid":       true, // Adobe Analytics
	"wt_mc":       true, // Webtrends
	"wt.mc_id":    true, // Webtrends
	"wt.mc_ev":    true, // Webtrends
	"pk_campaign": true, // Matomo/Piwik
	"pk_kwd":      true, // Matomo/Piwik
}

// ncidTrackingValues: "ncid" is Yahoo's/AOL's syndication tag
// (ncid=rss, ncid=yahoo_..., ncid=txtnwsltr...), but some sites use the same
// name for a content id that selects the page. It is removed only when its
// value starts with one of these.
var ncidTrackingValues = []string{"rss", "yahoo", "yhoo", "txt", "newsletter", "nl", "email", "mail", "social", "twitter", "facebook", "fb", "tw", "crm", "sm_"}

// isTracking reports whether the query parameter name=value only tracks
// the reader and can be dropped from a canonical URL.
func isTracking(name, value string) bool {
	n := strings.ToLower(name)
	if trackingNames[n] {
		return true
	}
	for _, p := range trackingPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	if n == "ncid" {
		v := strings.ToLower(value)
		for _, p := range ncidTrackingValues {
			if strings.HasPrefix(v, p) {
				return true
			}
		}
	}
	return false
}
