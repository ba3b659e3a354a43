package fetcher

import "github.com/feedmill/feedmill/fetcher/httpclient"

// The C0 controls httpclient.ToUTF8 removes from bodies, for the item text
// this package cleans.
var (
	isBadControl  = httpclient.IsBadControl
	hasBadControl = httpclient.HasBadControl
)
