package client

import (
	"strings"
	"testing"
)

func TestIsGUID(t *testing.T) {
	good := []string{"0c39d6d5-c70d-4c55-bc02-f620844f3fd1", "0C39D6D5-C70D-4C55-BC02-F620844F3FD1", "00000000-0000-0000-0000-000000000000"}
	bad := []string{"", "0c39d6d5c70d-4c55-bc02-f620844f3fd1-", "{c39d6d5-c70d-4c55-bc02-f620844f3fd1}", "0c39d6d5-c70d-4c55-bc02-f620844f3fdg",
		"0c39d6d5-c70d-4c55-bc02-f620844f3fd", "0c39d6d5-c70d-4c55-bc02_f620844f3fd1", "0c39d6d5-c70d-4c55-bc02-f620844f3fd1 ", "amy@contoso.com"}
	for _, s := range good {
		if !IsGUID(s) {
			t.Errorf("IsGUID(%q) = false", s)
		}
	}
	for _, s := range bad {
		if IsGUID(s) {
			t.Errorf("IsGUID(%q) = true", s)
		}
	}
	// Every single-byte change of a hex digit to a non-hex byte is refused.
	g := good[0]
	for i := range len(g) {
		for _, c := range []byte{'g', 'G', ' ', '-', 0xff, 0} {
			if g[i] == '-' {
				continue
			}
			if s := g[:i] + string([]byte{c}) + g[i+1:]; IsGUID(s) {
				t.Fatalf("IsGUID(%q) = true", strings.ToValidUTF8(s, "?"))
			}
		}
	}
}
