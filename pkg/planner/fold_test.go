package planner

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPlainASCII compares plainASCII with its definition at every length and place
// of a NUL or non-ASCII byte.
func TestPlainASCII(t *testing.T) {
	for n := range 20 {
		base := []byte(strings.Repeat("a", n))
		if !plainASCII(string(base)) {
			t.Fatalf("%q: want plain", base)
		}
		for i := range n {
			for _, c := range []byte{0, 0x7f, 0x80, 0xc3, 0xff} {
				s := []byte(string(base))
				s[i] = c
				want := c != 0 && c < utf8.RuneSelf
				if got := plainASCII(string(s)); got != want {
					t.Fatalf("%q: plainASCII %v, want %v", s, got, want)
				}
			}
		}
	}
}

// TestPrintableASCII compares printableASCII with its definition at every length
// and place of a byte on either side of the printable range.
func TestPrintableASCII(t *testing.T) {
	for n := range 20 {
		base := strings.Repeat("~", n)
		if !printableASCII(base) {
			t.Fatalf("%q: want printable", base)
		}
		for i := range n {
			for _, c := range []byte{0, 0x1f, ' ', '!', '~', 0x7f, 0x80, 0xa0, 0xff} {
				s := []byte(base)
				s[i] = c
				want := c > ' ' && c < 0x7f
				if got := printableASCII(string(s)); got != want {
					t.Fatalf("%q: printableASCII %v, want %v", s, got, want)
				}
			}
		}
	}
}

// TestHashUserFoldsCase checks that names equal once folded to lower case hash alike,
// also when folding changes the bytes outside ASCII, and that other names mostly do not.
func TestHashUserFoldsCase(t *testing.T) {
	pairs := [][2]string{
		{"Ana.Lopez@Contoso.COM", "ana.lopez@contoso.com"}, {"", ""}, {"A", "a"}, {"@[`{Z", "@[`{z"},
		{"ÄLVA@X.SE", "älva@x.se"}, {"\u212Aelvin@x.com", "kelvin@X.COM"}, {"a-very-long-user-name-Of-33-bytes", "A-VERY-LONG-USER-NAME-of-33-BYTES"},
	}
	for _, p := range pairs {
		if !sameUser([]byte(p[0]), p[1]) {
			t.Fatalf("%q and %q: not the same user", p[0], p[1])
		}
		if a, b := hashUser(1, 2, p[0]), hashUser(1, 2, p[1]); a != b {
			t.Errorf("%q and %q hash to %x and %x", p[0], p[1], a, b)
		}
	}
	// 100,000 names in 32 bits: about one collision is expected by chance.
	seen := map[uint32]bool{}
	collisions := 0
	for i := range 100000 {
		h := hashUser(3, 1, fmt.Sprintf("user.%d@tenant-%d.example.com", i, i%13))
		collisions += map[bool]int{true: 1}[seen[uint32(h^h>>32)]]
		seen[uint32(h^h>>32)] = true
	}
	if collisions > 8 {
		t.Errorf("%d collisions among 100,000 names", collisions)
	}
}
