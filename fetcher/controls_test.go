package fetcher

import "github.com/feedmill/feedmill/fetcher/httpclient"

// toUTF8 is what a fetched body goes through before parsing, for the tests
// that parse the shared feeds.
var toUTF8 = httpclient.ToUTF8
