// Package fingerprint computes what storage's near-duplicate index
// compares: a SimHash of a story's title and body, and hashes of the word
// shingles of its lead, from the cleaned text (boilerplate already
// removed), words being letters and digits, lower-cased.
//
// It only hashes text: the thresholds and the index are storage's.
package fingerprint
