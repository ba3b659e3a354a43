// Package sanitize is the security decision on item HTML: HTML runs
// bluemonday's user-generated-content policy, with our settings, on every
// body at ingest, as the last step, so that nothing else can put markup
// back. What the policy keeps is formatting, links, images, tables,
// figures and video embeds from a few players; scripts, styles, forms,
// event handlers and every URL that is not http(s) or mailto go.
//
// It also answers the removal rules that bluemonday cannot express
// (tracking pixels, embed paths that leave the player's folder), for the
// item cleaning to apply before HTML runs. It never rewrites URLs or text.
package sanitize
