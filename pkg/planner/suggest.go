package planner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// This file suggests what a misspelt SKU or service plan may have meant: the
// candidates closest by edit distance (or by prefix), named in a message.

// candidate is something a misspelt value may have meant: keys are the spellings
// compared, label is how a suggestion shows it.
type candidate struct {
	label string
	keys  []string
}

// maxSuggestions is how many close names a suggestion offers.
const maxSuggestions = 3

// maxListed is how many names a suggestion lists when none is close.
const maxListed = 6

// suggest returns "did you mean A, B or C?" with up to three candidates close to value
// (case-insensitive): first those whose name contains value, then those within an edit
// distance of half their length or that start with a near spelling of value (within a
// third of its length), nearest first; after the first, a candidate is offered
// only if it contains value, is as near as the first, or is within two edits. With none
// close it lists the candidates after intro.
func suggest(value string, cands []candidate, intro string) string {
	v := []rune(strings.ToLower(value))
	type scored struct {
		label    string
		dist     int
		contains bool
	}
	var nearby []scored
	for _, c := range cands {
		best := scored{label: c.label, dist: -1}
		for _, k := range c.keys {
			if k == "" {
				continue
			}
			kl := strings.ToLower(k)
			kr := []rune(kl)
			d := editDistance(v, kr)
			contains := len(v) >= 2 && strings.Contains(kl, string(v))
			if !contains && 2*d > max(len(v), len(kr)) && (len(v) < 3 || prefixDistance(v, kr) > len(v)/3) {
				continue
			}
			if best.dist < 0 || contains && !best.contains || contains == best.contains && d < best.dist {
				best.dist, best.contains = d, contains
			}
		}
		if best.dist >= 0 {
			nearby = append(nearby, best)
		}
	}
	if len(nearby) == 0 {
		labels := make([]string, 0, maxListed)
		for i, c := range cands {
			if i == maxListed {
				labels = append(labels, fmt.Sprintf("%d more", len(cands)-maxListed))
				break
			}
			labels = append(labels, c.label)
		}
		return intro + " " + joinOr(labels, "and")
	}
	slices.SortStableFunc(nearby, func(a, b scored) int {
		if a.contains != b.contains {
			if a.contains {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.dist, b.dist)
	})
	picked := []string{nearby[0].label}
	for _, s := range nearby[1:] {
		if len(picked) == maxSuggestions {
			break
		}
		if s.contains || s.dist <= nearby[0].dist || s.dist <= 2 {
			picked = append(picked, s.label)
		}
	}
	return "did you mean " + joinOr(picked, "or") + "?"
}

// joinOr joins items as "a", "a or b", "a, b or c" (with word for "or").
func joinOr(items []string, word string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + word + " " + items[len(items)-1]
}

// prefixDistance is the least edit distance between v and a start of k of about v's
// length: how far v is from a misspelt beginning of k ("Yamer" for "Yammer Enterprise").
func prefixDistance(v, k []rune) int {
	best := len(v)
	for l := max(1, len(v)-1); l <= min(len(k), len(v)+1); l++ {
		best = min(best, editDistance(v, k[:l]))
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b []rune) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}
